"""GB 18218 results: hazard_assessments, the inputs version, and the map view of hazard sources.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENTITY_TABLES = (
    "chemical_parks", "enterprises", "hazard_units", "inventory", "residential_areas", "protection_targets",
)


def upgrade() -> None:
    # inputs_version: bumped only by writes to the entity tables (what results are computed from);
    # version: bumped by every write, results included (what caches key on).
    op.add_column("data_version", sa.Column("inputs_version", sa.BigInteger(), server_default="0", nullable=False))
    op.execute(
        """
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, inputs_version = inputs_version + 1,
                                    changed_at = now();
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION bump_results_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now();
            RETURN NULL;
        END $$
        """
    )
    op.create_table(
        "hazard_assessments",
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("hazard_units.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("enterprise_id", sa.Text(), sa.ForeignKey("enterprises.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("register", sa.Text(), nullable=False),  # 'register' (operating/suspended) or 'planned'
        sa.Column("s", sa.Float(), nullable=False),
        sa.Column("is_major_hazard", sa.Boolean(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("exposed_residents", sa.Float(), nullable=False),
        sa.Column("residential_areas", sa.Integer(), nullable=False),
        sa.Column("other_people", sa.Float(), nullable=False),
        sa.Column("other_targets", sa.Integer(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("r", sa.Float()),
        sa.Column("grade", sa.Integer()),
        sa.Column("main_substances", sa.Text()),  # public: names only, largest share of S first
        sa.Column("terms", postgresql.JSONB(), nullable=False),  # restricted: per-substance q, Q, β, q/Q
        sa.Column("notes", sa.Text()),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("register IN ('register', 'planned')", name="register_valid"),
        sa.CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 4", name="grade_valid"),
        sa.CheckConstraint("(grade IS NULL) = (NOT is_major_hazard)", name="grade_iff_major"),
    )
    op.execute(
        "CREATE TRIGGER hazard_assessments_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON hazard_assessments FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()"
    )
    # The map layer of major hazard sources: unit footprints with their grade (public fields only).
    op.execute(
        """
        CREATE VIEW hazard_sources_map AS
        SELECT u.id, u.name, u.unit_type, u.enterprise_id, e.name AS enterprise_name, a.register,
               a.grade, round(a.r::numeric, 2)::float AS r, a.main_substances,
               u.safety_distance_m, a.approximate, u.geom
          FROM hazard_assessments a
          JOIN hazard_units u ON u.id = a.unit_id
          JOIN enterprises e ON e.id = a.enterprise_id
         WHERE a.is_major_hazard
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS hazard_sources_map")
    op.drop_table("hazard_assessments")
    op.execute("DROP FUNCTION IF EXISTS bump_results_version()")
    op.execute(
        """
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now();
            RETURN NULL;
        END $$
        """
    )
    op.drop_column("data_version", "inputs_version")
