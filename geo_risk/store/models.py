"""The store's tables (SQLAlchemy 2 + GeoAlchemy2). Alembic migrations own the schema.

Every entity table has a stable external ``id`` (text primary key, the id users give in their
files), ``source`` (which file or import wrote the row), ``created_at``/``updated_at`` and
``extra`` (JSON of the fields a file carried beyond the interchange format, kept, not dropped).
Geometries are stored in EPSG:4326 (lon/lat, WGS 84) with GiST indexes.

Residential areas are kept apart from protection targets (see README, "Data model"): they are the
population layer GB 18218's α counts (常住人口, residents only), they come in numbers several orders
larger, and they carry households rather than a kind; the view ``all_protection_targets`` unites
both for analyses that treat housing as a GB 36894 general protection target.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo_risk.io import schema as s

__all__ = [
    "AuditEntry",
    "Base",
    "ChemicalPark",
    "Enterprise",
    "HazardUnit",
    "InventoryItem",
    "ResidentialArea",
    "ProtectionTarget",
    "AdminArea",
    "Sensor",
    "DataVersion",
    "HazardAssessment",
    "ENTITY_TABLES",
    "SRID",
]

SRID = 4326


def _in(col: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{col} IS NULL OR {col} IN ({quoted})"


def _geom_types(types: frozenset[str]) -> str:
    names = ", ".join(f"'ST_{t}'" for t in sorted(types))
    return f"ST_GeometryType(geom) IN ({names})"


class Base(DeclarativeBase):
    pass


class _Entity:
    """Columns every entity table shares."""

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _geom(nullable: bool = False):
    # spatial_index=False: the migration creates the GiST index under a known name so a load into
    # an empty table can build it after the data.
    return mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=nullable)


class ChemicalPark(_Entity, Base):
    """化工园区: a chemical park, its boundary and optional 安全控制线 (safety control line)."""

    __tablename__ = "chemical_parks"
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    risk_grade: Mapped[str | None] = mapped_column(Text)
    geom = _geom()
    safety_control_line = mapped_column(Geometry("GEOMETRY", srid=SRID, spatial_index=False))
    # Relocation plan inputs (issue 14, migration 0011; all optional): see geo_risk.io.schema.
    recognised: Mapped[bool | None] = mapped_column(Boolean)
    free_area_ha: Mapped[float | None] = mapped_column(Float)
    grade_edition: Mapped[str | None] = mapped_column(Text)
    industry_codes: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint(_in("risk_grade", s.PARK_RISK_GRADES), name="risk_grade_valid"),
        CheckConstraint("free_area_ha IS NULL OR free_area_ha >= 0", name="free_area_nonnegative"),
        CheckConstraint(_in("grade_edition", s.PARK_GRADE_EDITIONS), name="grade_edition_valid"),
        CheckConstraint(_geom_types(s.LAYERS["chemical_parks"].geometry), name="geom_type"),
    )


class Enterprise(_Entity, Base):
    """企业: a plant; its geometry is the plant boundary (厂区边界) or, lacking one, a point."""

    __tablename__ = "enterprises"
    name: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(Text)
    industry_code: Mapped[str | None] = mapped_column(Text)
    park_id: Mapped[str | None] = mapped_column(
        Text,
        ForeignKey("chemical_parks.id", ondelete="SET NULL", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    status: Mapped[str] = mapped_column(Text)
    # 应急〔2018〕19号 diagnosis score (0–100 points) when the regulator supplied one.
    risk_score: Mapped[float | None] = mapped_column(Float)
    # Relocation plan inputs (issue 14, migration 0011; all optional): see geo_risk.io.schema.
    size_class: Mapped[str | None] = mapped_column(Text)
    major_hazard_open: Mapped[bool | None] = mapped_column(Boolean)
    capacity_restricted: Mapped[bool | None] = mapped_column(Boolean)
    site_area_ha: Mapped[float | None] = mapped_column(Float)
    geom = _geom()
    __table_args__ = (
        CheckConstraint(_in("status", s.ENTERPRISE_STATUS), name="status_valid"),
        CheckConstraint(_in("size_class", s.SIZE_CLASSES), name="size_class_valid"),
        CheckConstraint("site_area_ha IS NULL OR site_area_ha > 0", name="site_area_positive"),
        CheckConstraint("risk_score IS NULL OR risk_score BETWEEN 0 AND 100", name="risk_score_range"),
        CheckConstraint(_geom_types(s.LAYERS["enterprises"].geometry), name="geom_type"),
    )


class HazardUnit(_Entity, Base):
    """危险化学品单元: a production unit (生产单元) or storage unit (储存单元) of an enterprise."""

    __tablename__ = "hazard_units"
    enterprise_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("enterprises.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    name: Mapped[str] = mapped_column(Text)
    unit_type: Mapped[str] = mapped_column(Text)
    equipment: Mapped[str | None] = mapped_column(Text)
    containment: Mapped[str | None] = mapped_column(Text)
    fire_class: Mapped[str | None] = mapped_column(Text)
    special_process: Mapped[bool | None] = mapped_column(Boolean)
    operating_temperature_c: Mapped[float | None] = mapped_column(Float)
    operating_pressure_mpa: Mapped[float | None] = mapped_column(Float)
    safety_distance_m: Mapped[float | None] = mapped_column(Float)
    safety_distance_high_sensitive_m: Mapped[float | None] = mapped_column(Float)
    safety_distance_important_m: Mapped[float | None] = mapped_column(Float)
    safety_distance_general_1_m: Mapped[float | None] = mapped_column(Float)
    safety_distance_general_2_m: Mapped[float | None] = mapped_column(Float)
    safety_distance_general_3_m: Mapped[float | None] = mapped_column(Float)
    geom = _geom()
    __table_args__ = (
        CheckConstraint(_in("unit_type", s.UNIT_TYPES), name="unit_type_valid"),
        CheckConstraint(_in("equipment", s.EQUIPMENT), name="equipment_valid"),
        CheckConstraint(_in("containment", s.CONTAINMENT), name="containment_valid"),
        CheckConstraint(_in("fire_class", s.FIRE_CLASSES), name="fire_class_valid"),
        CheckConstraint(_geom_types(s.LAYERS["hazard_units"].geometry), name="geom_type"),
    )


class InventoryItem(_Entity, Base):
    """A chemical held in a hazard unit, at its design maximum inventory (设计最大量), tonnes."""

    __tablename__ = "inventory"
    unit_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("hazard_units.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    chemical: Mapped[str] = mapped_column(Text)
    cas: Mapped[str | None] = mapped_column(Text)
    max_quantity_t: Mapped[float] = mapped_column(Float)
    table1_seq: Mapped[int | None] = mapped_column(Integer)
    hazard_categories: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    pressure_mpa: Mapped[float | None] = mapped_column(Float)
    # How the item is held (issue 13; restricted like max_quantity_t): vessels and one vessel's capacity, t.
    vessel_count: Mapped[int | None] = mapped_column(Integer)
    vessel_capacity_t: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (
        CheckConstraint("max_quantity_t >= 0", name="quantity_nonnegative"),
        CheckConstraint("vessel_count IS NULL OR vessel_count >= 1", name="vessel_count_positive"),
        CheckConstraint("vessel_capacity_t IS NULL OR vessel_capacity_t > 0", name="vessel_capacity_positive"),
        CheckConstraint(_in("state", s.INVENTORY_STATES), name="state_valid"),
    )


class ResidentialArea(_Entity, Base):
    """居民区: a residential area and its resident population (常住人口, people)."""

    __tablename__ = "residential_areas"
    name: Mapped[str] = mapped_column(Text)
    population: Mapped[int] = mapped_column(BigInteger)
    households: Mapped[int | None] = mapped_column(BigInteger)
    # GB 36894 general class of the housing, derived at load by geo_risk.standards.gb36894.
    category: Mapped[str] = mapped_column(Text)
    geom = _geom()
    __table_args__ = (
        CheckConstraint("category IN ('general_1', 'general_2', 'general_3')", name="category_valid"),
        CheckConstraint("population >= 0", name="population_nonnegative"),
        CheckConstraint(_geom_types(s.LAYERS["residential_areas"].geometry), name="geom_type"),
    )


class ProtectionTarget(_Entity, Base):
    """防护目标: a school, hospital, mall… with its GB 36894 class and population or capacity."""

    __tablename__ = "protection_targets"
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    category_derived: Mapped[bool] = mapped_column(Boolean, server_default="false")
    population: Mapped[int | None] = mapped_column(BigInteger)
    geom = _geom()
    __table_args__ = (
        CheckConstraint(_in("category", s.TARGET_CATEGORIES), name="category_valid"),
        CheckConstraint("population IS NULL OR population >= 0", name="population_nonnegative"),
        CheckConstraint(_geom_types(s.LAYERS["protection_targets"].geometry), name="geom_type"),
    )


class AdminArea(_Entity, Base):
    """行政区: an administrative area (province, city, county, township) known by its division code."""

    __tablename__ = "admin_areas"
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    geom = _geom()
    __table_args__ = (
        CheckConstraint(f"code ~ '^{s.ADMIN_CODE_PATTERN}$'", name="code_valid"),
        CheckConstraint(_in("level", s.ADMIN_LEVELS), name="level_valid"),
        CheckConstraint(_geom_types(s.LAYERS["admin_areas"].geometry), name="geom_type"),
    )


class Sensor(_Entity, Base):
    """监测点: one monitoring point of a hazard unit (issue 15), its range and alarm limits, all in ``uom``."""

    __tablename__ = "sensors"
    unit_id: Mapped[str] = mapped_column(
        Text,
        ForeignKey("hazard_units.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        index=True,
    )
    quantity: Mapped[str] = mapped_column(Text)
    uom: Mapped[str] = mapped_column(Text)
    range_lo: Mapped[float] = mapped_column(Float)
    range_hi: Mapped[float] = mapped_column(Float)
    ll: Mapped[float | None] = mapped_column(Float)
    l: Mapped[float | None] = mapped_column(Float)  # noqa: E741 - the standard's name of the low limit
    h: Mapped[float | None] = mapped_column(Float)
    hh: Mapped[float | None] = mapped_column(Float)
    deadband: Mapped[float | None] = mapped_column(Float)
    on_delay_s: Mapped[float | None] = mapped_column(Float)
    off_delay_s: Mapped[float | None] = mapped_column(Float)
    rate_limit: Mapped[float | None] = mapped_column(Float)
    silent_after_s: Mapped[float | None] = mapped_column(Float)
    area: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint(_in("quantity", s.SENSOR_QUANTITIES), name="quantity_valid"),
        CheckConstraint("range_lo < range_hi", name="range_ordered"),
    )


class DataVersion(Base):
    """One row: a counter that every write to an entity table increments (by trigger).

    Tile caches and exports key on it, so whatever wrote (API, CLI load, an analysis run) nothing
    stale is served.
    """

    __tablename__ = "data_version"
    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default="true")
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Bumped only by writes to the entity tables: results computed at an older value are stale.
    inputs_version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (CheckConstraint("singleton", name="one_row"),)


class HazardAssessment(Base):
    """GB 18218 result of one hazard unit, with every input it was computed from.

    ``terms`` (restricted tier) holds the per-substance q, Q, β, q/Q; ``main_substances`` (public)
    only names. ``inputs_version`` is the store's inputs version the result was computed at.
    """

    __tablename__ = "hazard_assessments"
    unit_id: Mapped[str] = mapped_column(Text, ForeignKey("hazard_units.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(Text, ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    register: Mapped[str] = mapped_column(Text)
    s: Mapped[float] = mapped_column(Float)
    is_major_hazard: Mapped[bool] = mapped_column(Boolean)
    alpha: Mapped[float] = mapped_column(Float)
    exposed_residents: Mapped[float] = mapped_column(Float)
    residential_areas: Mapped[int] = mapped_column(Integer)
    other_people: Mapped[float] = mapped_column(Float)
    other_targets: Mapped[int] = mapped_column(Integer)
    approximate: Mapped[bool] = mapped_column(Boolean)
    r: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[int | None] = mapped_column(Integer)
    main_substances: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[list] = mapped_column(JSONB)
    notes: Mapped[str | None] = mapped_column(Text)
    inputs_version: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (
        CheckConstraint("register IN ('register', 'planned')", name="register_valid"),
        CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 4", name="grade_valid"),
        CheckConstraint("(grade IS NULL) = (NOT is_major_hazard)", name="grade_iff_major"),
    )


class AuditEntry(Base):
    """One write to the store: who (actor and role), when, through which channel, what, and its outcome."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    actor: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONB)
    data_version: Mapped[int | None] = mapped_column(BigInteger)


#: Interchange layer name → model, in load order.
ENTITY_TABLES: dict[str, type[Base]] = {
    "chemical_parks": ChemicalPark,
    "enterprises": Enterprise,
    "hazard_units": HazardUnit,
    "inventory": InventoryItem,
    "residential_areas": ResidentialArea,
    "protection_targets": ProtectionTarget,
    "admin_areas": AdminArea,
    "sensors": Sensor,
}
