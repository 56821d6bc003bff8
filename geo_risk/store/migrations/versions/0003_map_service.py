"""Map service: the audit log, version notifications for tile caches, and the restricted inventory layer.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: Channel on which every bump of data_version is announced (payload: the new version).
CHANNEL = "geo_risk_data_version"


def upgrade() -> None:
    # Every write: who (role and a non-secret key label, or the OS user of a CLI run), when, what.
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("role", sa.Text()),
        sa.Column("channel", sa.Text(), nullable=False),  # 'api' or 'cli'
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),  # 'ok' or 'failed'
        sa.Column("details", postgresql.JSONB()),
        sa.Column("data_version", sa.BigInteger()),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # Tile caches key on data_version; announcing each bump lets a server drop stale tiles at once,
    # whatever process made the write (API, CLI load, an analysis run).
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE v bigint;
        BEGIN
            UPDATE data_version SET version = version + 1, inputs_version = inputs_version + 1,
                                    changed_at = now()
             RETURNING version INTO v;
            PERFORM pg_notify('{CHANNEL}', v::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION bump_results_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE v bigint;
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now() RETURNING version INTO v;
            PERFORM pg_notify('{CHANNEL}', v::text);
            RETURN NULL;
        END $$
        """
    )
    # Add computed_at to the public hazard-source layer (its temporal property).
    op.execute(
        """
        CREATE OR REPLACE VIEW hazard_sources_map AS
        SELECT u.id, u.name, u.unit_type, u.enterprise_id, e.name AS enterprise_name, a.register,
               a.grade, round(a.r::numeric, 2)::float AS r, a.main_substances,
               u.safety_distance_m, a.approximate, u.geom, a.computed_at
          FROM hazard_assessments a
          JOIN hazard_units u ON u.id = a.unit_id
          JOIN enterprises e ON e.id = a.enterprise_id
         WHERE a.is_major_hazard
        """
    )
    # The restricted layer of chemical inventories, located at their unit (analyst and above).
    op.execute(
        """
        CREATE VIEW inventory_map AS
        SELECT i.id, i.unit_id, u.name AS unit_name, u.enterprise_id, e.name AS enterprise_name,
               i.chemical, i.cas, i.max_quantity_t, i.state, i.temperature_c, i.pressure_mpa,
               i.updated_at, u.geom
          FROM inventory i
          JOIN hazard_units u ON u.id = i.unit_id
          JOIN enterprises e ON e.id = u.enterprise_id
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS inventory_map")
    op.execute("DROP VIEW IF EXISTS hazard_sources_map")
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
    op.execute(
        """
        CREATE OR REPLACE FUNCTION bump_results_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now();
            RETURN NULL;
        END $$
        """
    )
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
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
