"""Slot for inputs of the risk-fidelity work, e.g. vessel_count (issue 13; owner: risk outcomes work): no change yet.

Revision ID: 0010
Revises: 0009
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
