"""Four-colour zoning and the risk heatmap (issue 12): enterprises' official scores, administrative
areas, and the stored zoning results with the map views that serve only current ones.

- ``enterprises.risk_score``: the 应急〔2018〕19号 diagnosis score (0–100 points) when the regulator
  supplied one (an enterprise's colour is then the official one).
- ``admin_areas``: an interchange entity layer (行政区: code, name, level, polygon), written by loads
  like every entity table (its writes bump the inputs version).
- ``zoning_runs``: one computation, with the inputs version, the settings and colour rules used, and
  ``basis`` (:func:`zoning_basis`: the risk runs and GB 18218 results it read). A run is current
  while both still hold: any write to an entity table, a new risk run or a new grading makes it
  stale, and the map views below then serve nothing until ``geo-risk analyse`` recomputes.
- ``zoning_cells`` (H3 cells at one or two resolutions: colour, IR, R heat, population),
  ``zoning_areas`` (parks and administrative areas: worst colour and cells per colour),
  ``zoning_enterprises`` and ``zoning_units`` (colours with their basis).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RESULT_TABLES = ("zoning_runs", "zoning_cells", "zoning_areas", "zoning_enterprises", "zoning_units")
COLOURS = "('red', 'orange', 'yellow', 'blue')"

# What a zoning run read besides the entity tables: the stored risk runs and GB 18218 results.
BASIS_SQL = """
    SELECT md5(coalesce((SELECT string_agg(id::text || ':' || inputs_version::text || ':' || computed_at::text,
                                            ',' ORDER BY id) FROM risk_runs), '')
               || '|' || coalesce((SELECT count(*)::text || ':' || max(computed_at)::text
                                     FROM hazard_assessments), ''))
"""

_CURRENT = ("z.inputs_version = (SELECT inputs_version FROM data_version) "
            "AND z.basis = (SELECT zoning_basis())")


def upgrade() -> None:
    op.add_column("enterprises", sa.Column("risk_score", sa.Float(), nullable=True))
    op.create_check_constraint("risk_score_range", "enterprises", "risk_score IS NULL OR risk_score BETWEEN 0 AND 100")

    op.create_table(
        "admin_areas",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(r"code ~ '^\d{6}(\d{3}(\d{3})?)?$'", name="code_valid"),
        sa.CheckConstraint("level IS NULL OR level IN ('province', 'city', 'county', 'township')",
                           name="level_valid"),
        sa.CheckConstraint("ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Polygon')", name="geom_type"),
    )
    op.execute("CREATE INDEX ix_admin_areas_geom ON admin_areas USING gist (geom)")
    op.execute("CREATE TRIGGER admin_areas_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON admin_areas FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")

    op.execute(f"CREATE FUNCTION zoning_basis() RETURNS text LANGUAGE sql STABLE AS $$ {BASIS_SQL} $$")
    op.create_table(
        "zoning_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("settings", postgresql.JSONB(), nullable=False),  # resolutions, kernel, radius, colour rules
        sa.Column("summary", postgresql.JSONB(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "zoning_cells",
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("zoning_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("h3", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("colour_label", sa.Text(), nullable=False),
        sa.Column("ir_max", sa.Float(), nullable=False),  # per year, summed over enterprises
        sa.Column("ir_colour", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.Text()),  # why the colour is one level above the IR band
        sa.Column("r_heat", sa.Float(), nullable=False),  # distance-weighted Σ R of major hazard units
        sa.Column("population", sa.Float(), nullable=False),  # residents apportioned by area
        sa.Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "h3"),
        sa.CheckConstraint(f"colour IN {COLOURS} AND ir_colour IN {COLOURS}", name="colour_valid"),
    )
    op.execute("CREATE INDEX ix_zoning_cells_geom ON zoning_cells USING gist (geom)")
    op.create_table(
        "zoning_areas",
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("zoning_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),  # 'admin' or 'park'
        sa.Column("area_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("park_grade", sa.Text()),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("colour_label", sa.Text(), nullable=False),
        sa.Column("n_cells", sa.Integer(), nullable=False),
        sa.Column("n_red", sa.Integer(), nullable=False),
        sa.Column("n_orange", sa.Integer(), nullable=False),
        sa.Column("n_yellow", sa.Integer(), nullable=False),
        sa.Column("n_blue", sa.Integer(), nullable=False),
        sa.Column("population", sa.Float(), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "kind", "area_id"),
        sa.CheckConstraint("kind IN ('admin', 'park')", name="kind_valid"),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="colour_valid"),
    )
    op.execute("CREATE INDEX ix_zoning_areas_geom ON zoning_areas USING gist (geom)")
    op.create_table(
        "zoning_enterprises",
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("zoning_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("enterprise_id", sa.Text(), sa.ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.Column("colour_label", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),  # 'official' or 'derived'
        sa.Column("basis_label", sa.Text(), nullable=False),
        sa.Column("risk_score", sa.Float()),
        sa.Column("worst_unit_colour", sa.Text()),
        sa.Column("target_ir", sa.Float()),
        sa.Column("target_ir_colour", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "enterprise_id"),
        sa.CheckConstraint("basis IN ('official', 'derived')", name="basis_valid"),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="colour_valid"),
    )
    op.create_table(
        "zoning_units",
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("zoning_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("hazard_units.id", ondelete="CASCADE"), nullable=False),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("grade", sa.Integer()),
        sa.Column("colour", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "unit_id"),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="colour_valid"),
    )
    for table in RESULT_TABLES:
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()")

    # Map views: current results only (stale ones are not served).
    cells = ("SELECT c.h3 AS id, c.resolution, c.colour, c.colour_label, c.ir_max, c.ir_colour, c.raised_by, "
             "c.r_heat, c.population, z.computed_at, c.geom FROM zoning_cells c JOIN zoning_runs z ON z.id = c.run_id "
             f"WHERE {_CURRENT} AND c.resolution = ")
    op.execute(f"CREATE VIEW risk_zones_map AS {cells}(z.settings->>'h3_resolution')::int")
    op.execute(f"CREATE VIEW risk_zones_fine_map AS {cells}(z.settings->>'h3_fine_resolution')::int")
    op.execute(
        "CREATE VIEW risk_areas_map AS SELECT a.kind || ':' || a.area_id AS id, a.kind, a.area_id, a.name, "
        "a.park_grade, a.resolution, a.colour, a.colour_label, a.n_cells, a.n_red, a.n_orange, a.n_yellow, "
        "a.n_blue, a.population, z.computed_at, a.geom FROM zoning_areas a JOIN zoning_runs z ON z.id = a.run_id "
        f"WHERE {_CURRENT}"
    )
    op.execute(
        "CREATE VIEW risk_enterprises_map AS SELECT e.id, e.name, e.park_id, ze.colour, ze.colour_label, ze.basis, "
        "ze.basis_label, ze.risk_score, ze.worst_unit_colour, ze.target_ir, ze.target_ir_colour, ze.reason, "
        "z.computed_at, e.geom FROM zoning_enterprises ze JOIN zoning_runs z ON z.id = ze.run_id "
        f"JOIN enterprises e ON e.id = ze.enterprise_id WHERE {_CURRENT}"
    )


def downgrade() -> None:
    for view in ("risk_enterprises_map", "risk_areas_map", "risk_zones_fine_map", "risk_zones_map"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in reversed(RESULT_TABLES):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS zoning_basis()")
    op.execute("DROP TRIGGER IF EXISTS admin_areas_data_version ON admin_areas")
    op.drop_table("admin_areas")
    op.drop_constraint("risk_score_range", "enterprises", type_="check")
    op.drop_column("enterprises", "risk_score")
