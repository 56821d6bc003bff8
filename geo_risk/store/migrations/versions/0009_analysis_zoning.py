"""Slot for four-colour zoning, heatmap, admin_areas, risk_score (issue 12; owner: zoning work): no change yet.

Revision ID: 0009
Revises: 0008
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
