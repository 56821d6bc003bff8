"""Proximity conflicts (issue 12): the analysis run, its conflicts, the targets in conflict, map views.

- ``conflict_runs``: one row per analysis (the latest replaces the previous one): the inputs
  version it was computed at, the settings used (JSON, with their tags), notes and totals per
  enterprise, park and administrative area (JSON).
- ``conflicts``: one row per conflict (rule × unit or enterprise × target), with a line from the unit
  to the nearest point of the target (none for the summed, regional IR view).
- ``conflict_targets``: the targets in conflict with their worst colour.
- ``conflicts_map`` / ``conflict_targets_map``: the map layers; only current results. A run is
  current while it was computed at the store's inputs version and :func:`conflicts_basis` (the
  stored risk runs and external distances it read) is unchanged: any write to an entity table or a
  new risk run makes it stale until ``geo-risk analyse``.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("conflict_runs", "conflicts", "conflict_targets")

# What a conflict analysis read besides the entity tables: the stored QRA runs (IR grids) and the
# external distances of GB/T 37243.
BASIS_SQL = """
    SELECT md5(coalesce((SELECT string_agg(id::text || ':' || inputs_version::text || ':' || computed_at::text,
                                            ',' ORDER BY id) FROM risk_runs), '')
               || '|' || coalesce((SELECT count(*)::text || ':' || max(computed_at)::text
                                     FROM external_distances), ''))
"""


def upgrade() -> None:
    op.execute(f"CREATE FUNCTION conflicts_basis() RETURNS text LANGUAGE sql STABLE AS $${BASIS_SQL}$$")
    op.create_table(
        "conflict_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),  # conflicts_basis() when computed
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        sa.Column("notes", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("totals", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("summary", sa.Text()),
        sa.Column("grids", sa.Integer(), nullable=False, server_default="0"),  # IR grids read
        sa.Column("seconds", sa.Float()),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Text(), primary_key=True),  # rule:unit-or-enterprise:target
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("conflict_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("rule_label", sa.Text(), nullable=False),
        sa.Column("view", sa.Text(), nullable=False),  # per_unit / per_enterprise / cumulative
        sa.Column("unit_id", sa.Text()),
        sa.Column("unit_name", sa.Text()),
        sa.Column("enterprise_id", sa.Text(), index=True),
        sa.Column("enterprise_name", sa.Text()),
        sa.Column("park_id", sa.Text(), index=True),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("target_name", sa.Text()),
        sa.Column("target_layer", sa.Text()),
        sa.Column("target_kind", sa.Text()),
        sa.Column("target_class", sa.Text()),
        sa.Column("class_label", sa.Text()),
        sa.Column("criteria", sa.Text()),
        sa.Column("actual_distance_m", sa.Float()),
        sa.Column("required_distance_m", sa.Float()),
        sa.Column("shortfall_m", sa.Float()),
        sa.Column("ir_per_year", sa.Float()),
        sa.Column("criterion_per_year", sa.Float()),
        sa.Column("ir_ratio", sa.Float()),
        sa.Column("cumulative_ir_per_year", sa.Float()),
        sa.Column("population", sa.Float()),
        sa.Column("share_inside", sa.Float()),
        sa.Column("people_affected", sa.Float()),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("colour_label", sa.Text()),
        sa.Column("basis", sa.Text()),
        sa.Column("admin_code", sa.Text()),
        sa.Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=False)),
    )
    op.execute("CREATE INDEX ix_conflicts_geom ON conflicts USING gist (geom)")
    op.create_table(
        "conflict_targets",
        sa.Column("id", sa.Text(), primary_key=True),  # the target's id
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("conflict_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("target_name", sa.Text()),
        sa.Column("target_layer", sa.Text()),
        sa.Column("target_kind", sa.Text()),
        sa.Column("target_class", sa.Text()),
        sa.Column("class_label", sa.Text()),
        sa.Column("population", sa.Float()),
        sa.Column("conflicts", sa.Integer()),
        sa.Column("rules", sa.Text()),
        sa.Column("enterprises", sa.Text()),
        sa.Column("people_affected", sa.Float()),
        sa.Column("max_shortfall_m", sa.Float()),
        sa.Column("max_ir_ratio", sa.Float()),
        sa.Column("cumulative_ir_per_year", sa.Float()),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("colour_label", sa.Text()),
        sa.Column("admin_code", sa.Text()),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False), nullable=False),
    )
    op.execute("CREATE INDEX ix_conflict_targets_geom ON conflict_targets USING gist (geom)")
    for table in TABLES:  # results: tile caches refresh, the inputs version stays
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()"
        )
    current = "r.inputs_version = (SELECT inputs_version FROM data_version) AND r.basis = (SELECT conflicts_basis())"
    op.execute(
        f"""
        CREATE VIEW conflicts_map AS
        SELECT c.id, c.rule, c.rule_label, c.view, c.unit_id, c.unit_name, c.enterprise_id, c.enterprise_name,
               c.park_id, c.target_id, c.target_name, c.target_layer, c.target_class, c.class_label, c.criteria,
               c.actual_distance_m, c.required_distance_m, c.shortfall_m, c.ir_per_year, c.criterion_per_year,
               c.ir_ratio, c.cumulative_ir_per_year, c.people_affected, c.colour, c.colour_label, c.basis,
               c.admin_code, r.computed_at, {current} AS current, c.geom
          FROM conflicts c JOIN conflict_runs r ON r.id = c.run_id
         WHERE c.geom IS NOT NULL AND {current}
        """
    )
    op.execute(
        f"""
        CREATE VIEW conflict_targets_map AS
        SELECT t.id, t.target_name, t.target_layer, t.target_kind, t.target_class, t.class_label, t.population,
               t.conflicts, t.rules, t.enterprises, t.people_affected, t.max_shortfall_m, t.max_ir_ratio,
               t.cumulative_ir_per_year, t.colour, t.colour_label, t.admin_code, r.computed_at,
               {current} AS current, t.geom
          FROM conflict_targets t JOIN conflict_runs r ON r.id = t.run_id
         WHERE {current}
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS conflict_targets_map")
    op.execute("DROP VIEW IF EXISTS conflicts_map")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table("conflict_targets")
    op.drop_table("conflicts")
    op.drop_table("conflict_runs")
    op.execute("DROP FUNCTION IF EXISTS conflicts_basis()")
