"""Initial schema: entities, GiST indexes, the data-version counter, the protection-target view.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:29:44.403868
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


ENTITY_TABLES = (
    "chemical_parks",
    "enterprises",
    "hazard_units",
    "inventory",
    "residential_areas",
    "protection_targets",
)
SPATIAL = {
    "chemical_parks": ("geom", "safety_control_line"),
    "enterprises": ("geom",),
    "hazard_units": ("geom",),
    "residential_areas": ("geom",),
    "protection_targets": ("geom",),
}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "chemical_parks",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column("risk_grade", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "safety_control_line",
            geoalchemy2.types.Geometry(
                srid=4326, dimension=2, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry"
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Polygon')", name="geom_type"),
        sa.CheckConstraint(
            "risk_grade IS NULL OR risk_grade IN ('A', 'B', 'C', 'D')", name="risk_grade_valid"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "data_version",
        sa.Column("singleton", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("singleton", name="one_row"),
        sa.PrimaryKeyConstraint("singleton"),
    )
    op.create_table(
        "protection_targets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("category_derived", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Point', 'ST_Polygon')", name="geom_type"
        ),
        sa.CheckConstraint(
            "category IS NULL OR category IN ('high_sensitive', 'important', 'general_1', 'general_2', 'general_3')",
            name="category_valid",
        ),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="population_nonnegative"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "residential_areas",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=False),
        sa.Column("households", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Polygon')", name="geom_type"),
        sa.CheckConstraint("category IN ('general_1', 'general_2', 'general_3')", name="category_valid"),
        sa.CheckConstraint("population >= 0", name="population_nonnegative"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "enterprises",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("uscc", sa.Text(), nullable=True),
        sa.Column("industry_code", sa.Text(), nullable=True),
        sa.Column("park_id", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Point', 'ST_Polygon')", name="geom_type"
        ),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('operating', 'suspended', 'closed', 'planned')", name="status_valid"
        ),
        sa.ForeignKeyConstraint(
            ["park_id"], ["chemical_parks.id"], ondelete="SET NULL", initially="DEFERRED", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_enterprises_park_id"), "enterprises", ["park_id"], unique=False)
    op.create_table(
        "hazard_units",
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit_type", sa.Text(), nullable=False),
        sa.Column("equipment", sa.Text(), nullable=True),
        sa.Column("containment", sa.Text(), nullable=True),
        sa.Column("fire_class", sa.Text(), nullable=True),
        sa.Column("special_process", sa.Boolean(), nullable=True),
        sa.Column("operating_temperature_c", sa.Float(), nullable=True),
        sa.Column("operating_pressure_mpa", sa.Float(), nullable=True),
        sa.Column("safety_distance_m", sa.Float(), nullable=True),
        sa.Column("safety_distance_high_sensitive_m", sa.Float(), nullable=True),
        sa.Column("safety_distance_important_m", sa.Float(), nullable=True),
        sa.Column("safety_distance_general_1_m", sa.Float(), nullable=True),
        sa.Column("safety_distance_general_2_m", sa.Float(), nullable=True),
        sa.Column("safety_distance_general_3_m", sa.Float(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "ST_GeometryType(geom) IN ('ST_MultiPolygon', 'ST_Point', 'ST_Polygon')", name="geom_type"
        ),
        sa.CheckConstraint(
            "containment IS NULL OR containment IN ('single', 'double', 'full')", name="containment_valid"
        ),
        sa.CheckConstraint(
            "equipment IS NULL OR equipment IN ('atmospheric_tank', 'pressure_vessel', 'refrigerated_tank', 'process_vessel', 'pipeline', 'warehouse', 'cylinder_store')",
            name="equipment_valid",
        ),
        sa.CheckConstraint(
            "fire_class IS NULL OR fire_class IN ('甲', '乙', '丙', '丁', '戊')", name="fire_class_valid"
        ),
        sa.CheckConstraint(
            "unit_type IS NULL OR unit_type IN ('production', 'storage')", name="unit_type_valid"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], ondelete="CASCADE", initially="DEFERRED", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_hazard_units_enterprise_id"), "hazard_units", ["enterprise_id"], unique=False)
    op.create_table(
        "inventory",
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("chemical", sa.Text(), nullable=False),
        sa.Column("cas", sa.Text(), nullable=True),
        sa.Column("max_quantity_t", sa.Float(), nullable=False),
        sa.Column("table1_seq", sa.Integer(), nullable=True),
        sa.Column("hazard_categories", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("pressure_mpa", sa.Float(), nullable=True),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "state IS NULL OR state IN ('gas', 'liquefied_pressurized', 'liquefied_refrigerated', 'liquid', 'solid')",
            name="state_valid",
        ),
        sa.CheckConstraint("max_quantity_t >= 0", name="quantity_nonnegative"),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["hazard_units.id"], ondelete="CASCADE", initially="DEFERRED", deferrable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_inventory_unit_id"), "inventory", ["unit_id"], unique=False)

    # GiST indexes under known names (ix_<table>_<column>): a load into an empty table drops and
    # rebuilds them around the bulk copy.
    for table, columns in SPATIAL.items():
        for column in columns:
            op.execute(f"CREATE INDEX ix_{table}_{column} ON {table} USING gist ({column})")

    # The data version: every statement that writes an entity table bumps it (tile caches key on it).
    op.execute("INSERT INTO data_version (singleton, version) VALUES (true, 0)")
    op.execute(
        """
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now();
            RETURN NULL;
        END $$
        """
    )
    for table in ENTITY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )

    # Residential areas are GB 36894 general targets (housing); this view unites them with the
    # other protection targets for analyses that check every target class.
    op.execute(
        """
        CREATE VIEW all_protection_targets AS
        SELECT id, name, kind, category, population, geom, 'protection_targets' AS source_layer
          FROM protection_targets
        UNION ALL
        SELECT id, name, 'residential' AS kind, category, population, geom,
               'residential_areas' AS source_layer
          FROM residential_areas
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS all_protection_targets")
    for table in ENTITY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    for table, columns in SPATIAL.items():
        for column in columns:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}")
    op.drop_index(op.f("ix_inventory_unit_id"), table_name="inventory")
    op.drop_table("inventory")
    op.drop_index(op.f("ix_hazard_units_enterprise_id"), table_name="hazard_units")
    op.drop_table("hazard_units")
    op.drop_index(op.f("ix_enterprises_park_id"), table_name="enterprises")
    op.drop_table("enterprises")
    op.drop_table("residential_areas")
    op.drop_table("protection_targets")
    op.drop_table("data_version")
    op.drop_table("chemical_parks")
