"""Inputs of the risk-fidelity work (issue 13): how an inventory item is held.

``inventory.vessel_count`` (≥ 1) and ``inventory.vessel_capacity_t`` (t, > 0), both optional and
restricted like ``max_quantity_t``; the restricted ``inventory_map`` view serves them to analysts.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_VIEW_COLUMNS = "i.chemical, i.cas, i.max_quantity_t, i.state, i.temperature_c, i.pressure_mpa"


def _view(extra: str) -> str:
    return f"""
        CREATE VIEW inventory_map AS
        SELECT i.id, i.unit_id, u.name AS unit_name, u.enterprise_id, e.name AS enterprise_name,
               {_VIEW_COLUMNS}{extra},
               i.updated_at, u.geom
          FROM inventory i
          JOIN hazard_units u ON u.id = i.unit_id
          JOIN enterprises e ON e.id = u.enterprise_id
        """


def upgrade() -> None:
    op.add_column("inventory", sa.Column("vessel_count", sa.Integer(), nullable=True))
    op.add_column("inventory", sa.Column("vessel_capacity_t", sa.Float(), nullable=True))
    op.create_check_constraint("vessel_count_positive", "inventory", "vessel_count IS NULL OR vessel_count >= 1")
    op.create_check_constraint(
        "vessel_capacity_positive", "inventory", "vessel_capacity_t IS NULL OR vessel_capacity_t > 0"
    )
    op.execute("DROP VIEW IF EXISTS inventory_map")
    op.execute(_view(", i.vessel_count, i.vessel_capacity_t"))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS inventory_map")
    op.execute(_view(""))
    op.drop_constraint("vessel_capacity_positive", "inventory", type_="check")
    op.drop_constraint("vessel_count_positive", "inventory", type_="check")
    op.drop_column("inventory", "vessel_capacity_t")
    op.drop_column("inventory", "vessel_count")
