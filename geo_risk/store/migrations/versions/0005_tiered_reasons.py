"""Stored distance reasons written before tiered texts: their figures become restricted.

Reasons stored before geo_risk.disclosure spelt out design maximum quantities and Σq/Q in plain
text. Each such reason is wrapped whole in one tiered span: analysts still read it as it was, every
other caller reads a note to re-run the risk engine, which writes the public wording (method and rule).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN, SEP, CLOSE = "\u27e6", "\u205e", "\u27e7"
PUBLIC = "理由为旧版本所写，重新运行 geo-risk risk 后可见 / reason written by an older version: re-run geo-risk risk to see it"


def upgrade() -> None:
    op.execute(
        f"UPDATE external_distances SET reason = '{OPEN}' || replace(replace(reason, '{OPEN}', ''), '{CLOSE}', '') "
        f"|| '{SEP}{PUBLIC}{CLOSE}' WHERE reason IS NOT NULL AND position('{OPEN}' in reason) = 0"
    )


def downgrade() -> None:
    # The wrapped reasons stay wrapped: unwrapping would publish the figures again on older code.
    pass
