"""Relocation planning (issue 14): the inputs the policy needs, and the latest plan with its map view.

Inputs (all optional; see ``geo_risk.io.schema``):

- ``chemical_parks``: ``recognised`` (认定化工园区), ``free_area_ha`` (≥ 0, land free for relocated firms),
  ``grade_edition`` (2019 / 2023 edition of the A–D grading guideline), ``industry_codes`` (GB/T 4754
  prefixes the park accepts);
- ``enterprises``: ``size_class`` (large / medium / small / micro), ``major_hazard_open``,
  ``capacity_restricted`` (the §3 decision aid's closing tests), ``site_area_ha`` (> 0, land need).

Results (the latest plan replaces the previous one):

- ``relocation_runs``: inputs version and basis (``conflicts_basis()``: the risk runs and distances read),
  settings with their tags, notes, benefit, parks' land and the solver's figures (JSON);
- ``relocation_cases``: one row per candidate enterprise: outcome, receiving park, reasons (``reason``
  with tiered spans; ``reason_public`` rendered for the public tier), the restricted upgrade figures
  (``upgrade_share``, ``upgrade_inventory``, ``cost``), and a line from the current site to the park's
  candidate point (a point for an upgrade or a closure);
- ``relocation_map``: the map layer: only the current plan and only public columns.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("relocation_runs", "relocation_cases")


def upgrade() -> None:
    op.add_column("chemical_parks", sa.Column("recognised", sa.Boolean(), nullable=True))
    op.add_column("chemical_parks", sa.Column("free_area_ha", sa.Float(), nullable=True))
    op.add_column("chemical_parks", sa.Column("grade_edition", sa.Text(), nullable=True))
    op.add_column("chemical_parks", sa.Column("industry_codes", sa.Text(), nullable=True))
    op.create_check_constraint("free_area_nonnegative", "chemical_parks", "free_area_ha IS NULL OR free_area_ha >= 0")
    op.create_check_constraint("grade_edition_valid", "chemical_parks",
                               "grade_edition IS NULL OR grade_edition IN ('2019', '2023')")
    op.add_column("enterprises", sa.Column("size_class", sa.Text(), nullable=True))
    op.add_column("enterprises", sa.Column("major_hazard_open", sa.Boolean(), nullable=True))
    op.add_column("enterprises", sa.Column("capacity_restricted", sa.Boolean(), nullable=True))
    op.add_column("enterprises", sa.Column("site_area_ha", sa.Float(), nullable=True))
    op.create_check_constraint("size_class_valid", "enterprises",
                               "size_class IS NULL OR size_class IN ('large', 'medium', 'small', 'micro')")
    op.create_check_constraint("site_area_positive", "enterprises", "site_area_ha IS NULL OR site_area_ha > 0")

    op.create_table(
        "relocation_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        sa.Column("notes", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("benefit", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("parks", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("solver", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("summary", sa.Text()),
        sa.Column("seconds", sa.Float()),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "relocation_cases",
        sa.Column("id", sa.Text(), primary_key=True),  # the enterprise id
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("relocation_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("enterprise_name", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("outcome_label", sa.Text()),
        sa.Column("colour", sa.Text()),
        sa.Column("park_id", sa.Text(), index=True),
        sa.Column("park_name", sa.Text()),
        sa.Column("decision_rule", sa.Text()),
        sa.Column("reason", sa.Text()),  # tiered spans
        sa.Column("reason_public", sa.Text()),
        sa.Column("in_scope_reasons", sa.Text()),
        sa.Column("conflicts", sa.Integer()),
        sa.Column("targets", sa.Integer()),
        sa.Column("people_affected", sa.Float()),
        sa.Column("density_per_km2", sa.Float()),
        sa.Column("land_ha", sa.Float()),
        sa.Column("land_basis", sa.Text()),
        sa.Column("distance_km", sa.Float()),
        sa.Column("new_site_people", sa.Float()),
        sa.Column("new_site_targets", sa.Integer()),
        sa.Column("upgrade_offered", sa.Boolean()),
        sa.Column("upgrade_share", sa.Float()),  # RESTRICTED (derived from quantities)
        sa.Column("upgrade_inventory", sa.Text()),  # RESTRICTED
        sa.Column("upgrade_shortfall_m", sa.Float()),
        sa.Column("cost", sa.Float()),  # RESTRICTED (an upgrade's price is its share)
        sa.Column("fn_note", sa.Text()),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False)),
        sa.CheckConstraint("outcome IN ('in_situ_upgrade', 'relocate_to_park', 'close_exit')", name="outcome_valid"),
    )
    op.execute("CREATE INDEX ix_relocation_cases_geom ON relocation_cases USING gist (geom)")
    for table in TABLES:  # results: tile caches refresh, the inputs version stays
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()"
        )
    current = "r.inputs_version = (SELECT inputs_version FROM data_version) AND r.basis = (SELECT conflicts_basis())"
    op.execute(
        f"""
        CREATE VIEW relocation_map AS
        SELECT c.id, c.enterprise_name, c.outcome, c.outcome_label, c.colour, c.park_id, c.park_name,
               c.decision_rule, c.reason_public AS reason, c.in_scope_reasons, c.conflicts, c.targets,
               c.people_affected, c.density_per_km2, c.land_ha, c.distance_km, c.new_site_people,
               c.new_site_targets, c.upgrade_offered, r.computed_at, {current} AS current, c.geom
          FROM relocation_cases c JOIN relocation_runs r ON r.id = c.run_id
         WHERE c.geom IS NOT NULL AND {current}
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS relocation_map")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table("relocation_cases")
    op.drop_table("relocation_runs")
    op.drop_constraint("site_area_positive", "enterprises", type_="check")
    op.drop_constraint("size_class_valid", "enterprises", type_="check")
    for col in ("site_area_ha", "capacity_restricted", "major_hazard_open", "size_class"):
        op.drop_column("enterprises", col)
    op.drop_constraint("grade_edition_valid", "chemical_parks", type_="check")
    op.drop_constraint("free_area_nonnegative", "chemical_parks", type_="check")
    for col in ("industry_codes", "grade_edition", "free_area_ha", "recognised"):
        op.drop_column("chemical_parks", col)
