"""Risk engine results: runs with their assumptions, iso-risk contours, external safety distances.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

RESULT_TABLES = ("risk_runs", "risk_contours", "external_distances")


def upgrade() -> None:
    # One QRA run of one enterprise (or park): what it was computed from and under which assumptions.
    op.create_table(
        "risk_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("scope", sa.Text(), nullable=False),  # 'enterprise' or 'park'
        sa.Column("scope_id", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text()),  # 'new' (新建) or 'existing' (在役): which GB 36894 column
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("assumptions", postgresql.JSONB(), nullable=False),  # weather, rose, grid, simplifications
        sa.Column("grid_cell_m", sa.Float()),
        sa.Column("grid_path", sa.Text()),  # the COG of IR, relative to the data directory
        sa.Column("max_ir", sa.Float()),
        sa.Column("fn", postgresql.JSONB()),  # {"n": [...], "f": [...]}
        sa.Column("fn_region", sa.Text()),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("scope", "scope_id", name="one_run_per_scope"),
    )
    op.create_table(
        "risk_contours",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("risk_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("level_per_year", sa.Float(), nullable=False),
        sa.Column("level_label", sa.Text(), nullable=False),  # e.g. 3×10⁻⁶ (the map classifies on it)
        sa.Column("target_classes", sa.Text(), nullable=False),  # GB 36894 classes judged at this level
        sa.Column("criteria", sa.Text()),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    )
    op.execute("CREATE INDEX ix_risk_contours_geom ON risk_contours USING gist (geom)")
    op.create_table(
        "external_distances",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("enterprise_id", sa.Text(), sa.ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("hazard_units.id", ondelete="CASCADE")),
        sa.Column("target_class", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),  # consequence / qra / design_code
        sa.Column("method_distance_m", sa.Float()),
        sa.Column("code_distance_m", sa.Float()),
        sa.Column("final_distance_m", sa.Float()),
        sa.Column("declared_distance_m", sa.Float()),
        sa.Column("declared_shorter", sa.Boolean()),
        sa.Column("criteria", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    for table in RESULT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()"
        )
    # The public map layer of iso-risk contours (contours show where risk is; no quantities).
    op.execute(
        """
        CREATE VIEW risk_contours_map AS
        SELECT c.id::text AS id, r.scope, r.scope_id, e.name AS enterprise_name, c.level_per_year, c.level_label,
               c.target_classes, c.criteria, r.model_version, r.computed_at,
               r.inputs_version = (SELECT inputs_version FROM data_version) AS current, c.geom
          FROM risk_contours c
          JOIN risk_runs r ON r.id = c.run_id
          LEFT JOIN enterprises e ON r.scope = 'enterprise' AND e.id = r.scope_id
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS risk_contours_map")
    for table in RESULT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table("external_distances")
    op.execute("DROP INDEX IF EXISTS ix_risk_contours_geom")
    op.drop_table("risk_contours")
    op.drop_table("risk_runs")
