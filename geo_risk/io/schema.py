"""The interchange format: layers, their fields, valid values and Shapefile aliases.

One definition, used by the loader (what to expect and validate), by the store test that checks the
database columns agree, and by exporters (the Shapefile alias table, used both ways).

Units are in the field names: ``_t`` tonnes, ``_m`` metres, ``_c`` degrees Celsius, ``_mpa`` MPa
(gauge or absolute as the safety report states; the format does not say which).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FieldSpec",
    "LayerSpec",
    "LAYERS",
    "LOAD_ORDER",
    "ENTERPRISE_STATUS",
    "UNIT_TYPES",
    "EQUIPMENT",
    "CONTAINMENT",
    "FIRE_CLASSES",
    "INVENTORY_STATES",
    "PARK_RISK_GRADES",
    "PARK_GRADE_EDITIONS",
    "SIZE_CLASSES",
    "TARGET_CATEGORIES",
    "ADMIN_LEVELS",
    "ADMIN_CODE_PATTERN",
    "SENSOR_QUANTITIES",
    "SHAPEFILE_ALIASES",
    "to_shapefile_name",
    "from_shapefile_name",
]

FieldKind = Literal["text", "int", "float", "bool"]

ENTERPRISE_STATUS = ("operating", "suspended", "closed", "planned")
UNIT_TYPES = ("production", "storage")
EQUIPMENT = (
    "atmospheric_tank",
    "pressure_vessel",
    "refrigerated_tank",
    "process_vessel",
    "pipeline",
    "warehouse",
    "cylinder_store",
)
CONTAINMENT = ("single", "double", "full")
FIRE_CLASSES = ("甲", "乙", "丙", "丁", "戊")
INVENTORY_STATES = ("gas", "liquefied_pressurized", "liquefied_refrigerated", "liquid", "solid")
PARK_RISK_GRADES = ("A", "B", "C", "D")
PARK_GRADE_EDITIONS = ("2019", "2023")  # 应急〔2019〕78号 / 应急〔2023〕123号
SIZE_CLASSES = ("large", "medium", "small", "micro")  # 大型 / 中型 / 小型 / 微型 (大中小微型企业划分标准)
TARGET_CATEGORIES = ("high_sensitive", "important", "general_1", "general_2", "general_3")
ADMIN_LEVELS = ("province", "city", "county", "township")
#: 行政区划代码: 6 digits (GB/T 2260: province, city, county) or 9/12 digits (township, village; the
#: statistical division codes that extend it).
ADMIN_CODE_PATTERN = r"\d{6}(\d{3}(\d{3})?)?"
#: What a sensor measures (geo_risk.monitoring.model.QUANTITIES; AQ 3035-2010, docs/standards/aq3035-2010.md §2).
SENSOR_QUANTITIES = ("level", "temperature", "pressure", "flammable_gas", "toxic_gas")
MAX_SENSOR_DELAY_S = 86_400.0  # an alarm delay or silence of more than a day is a typing error (CHOICE)

# Upper bounds that no real record reaches: a value above them is a typing or unit error
# (kg entered as t, say), rejected with the row named. Not from a standard: project choices.
MAX_QUANTITY_T = 1.0e7  # one unit holding 10 Mt is beyond the largest crude tank farms
MAX_VESSELS = 10_000  # vessels of one inventory item (a cylinder store's cylinders included)
MAX_POPULATION = 1_000_000  # one residential area or target with a million people
# Populations and households are head counts ("int" fields): a file may write 12.0, never 12.5.
# Apportioning people to the part of an area inside a ring is the engine's job, not the file's.
MAX_DISTANCE_M = 20_000.0  # a declared external safety distance beyond 20 km
MAX_TEMPERATURE_C = 2_000.0
MIN_TEMPERATURE_C = -273.15
MAX_PRESSURE_MPA = 1_000.0


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of an interchange layer.

    ``minimum``/``maximum`` are inclusive bounds in the field's unit; ``exclusive_minimum`` makes
    the lower bound strict.
    """

    name: str
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    shp: str | None = None  # Shapefile name (≤ 10 characters) when ``name`` is longer
    pattern: str | None = None  # a text value must match this regular expression whole
    hint: str | None = None  # what a valid value is, for the message naming a bad row (pattern, range)

    @property
    def shapefile_name(self) -> str:
        return self.shp or self.name


@dataclass(frozen=True)
class LayerSpec:
    """An interchange layer: its fields, allowed geometry types and references to other layers."""

    name: str
    title_zh: str
    title_en: str
    fields: tuple[FieldSpec, ...]
    geometry: frozenset[str] | None  # shapely geom_type names; None for a table without geometry
    references: dict[str, str] = field(default_factory=dict)  # field → referenced layer
    key: str = "id"  # the field that identifies a row (its id in the store and in messages)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def polygonal_only(self) -> bool:
        return self.geometry is not None and not (self.geometry & {"Point", "MultiPoint"})


_POINT_OR_POLY = frozenset({"Point", "Polygon", "MultiPolygon"})
_POLY = frozenset({"Polygon", "MultiPolygon"})
_ID = FieldSpec("id", required=True)

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "chemical_parks",
            "化工园区",
            "Chemical parks",
            (
                _ID,
                FieldSpec("name", required=True),
                FieldSpec("level"),
                FieldSpec("risk_grade", choices=PARK_RISK_GRADES),
                # 安全控制线 as WKT (lon/lat in the layer's CRS); one geometry column per layer.
                FieldSpec("safety_control_line_wkt", shp="ctrl_wkt"),
                # Relocation plan inputs (issue 14; all optional). recognised: 认定化工园区 (工信部联原〔2021〕220号)
                # — only recognised parks receive relocated firms; free_area_ha: land still free for them (the
                # assignment's capacity; absent = unconstrained, said on the plan); grade_edition: the 应急 guideline
                # edition the A–D grade follows (2019 cut-offs differ); industry_codes: GB/T 4754 code prefixes
                # the park accepts (comma-separated; absent = any), the industry compatibility of the assignment.
                FieldSpec("recognised", "bool", shp="recognised"),
                FieldSpec("free_area_ha", "float", minimum=0, maximum=1.0e6, shp="free_ha",
                          hint="free land in hectares, 0 or more"),
                FieldSpec("grade_edition", choices=PARK_GRADE_EDITIONS, shp="grade_ed"),
                FieldSpec("industry_codes", shp="ind_codes"),
            ),
            _POLY,
        ),
        LayerSpec(
            "enterprises",
            "企业",
            "Enterprises",
            (
                _ID,
                FieldSpec("name", required=True),
                FieldSpec("uscc"),
                FieldSpec("industry_code", shp="ind_code"),
                FieldSpec("park_id"),
                FieldSpec("status", required=True, choices=ENTERPRISE_STATUS),
                # 应急〔2018〕19号 enterprise diagnosis score (points of 100), when the regulator gave one.
                FieldSpec("risk_score", "float", minimum=0, maximum=100, shp="risk_score",
                          hint="a 应急〔2018〕19号 diagnosis score is 0–100 points"),
                # Relocation plan inputs (issue 14; all optional), the §1.3 decision aid's tests: size_class
                # (大中小微 enterprise size; small/micro firms are to close), major_hazard_open (a 重大事故隐患 still
                # open → close), capacity_restricted (eliminated/restricted capacity → close); site_area_ha: the
                # land the firm needs in a park (absent: its site polygon's area).
                FieldSpec("size_class", choices=SIZE_CLASSES, shp="size_cls"),
                FieldSpec("major_hazard_open", "bool", shp="mh_open"),
                FieldSpec("capacity_restricted", "bool", shp="cap_restr"),
                FieldSpec("site_area_ha", "float", minimum=0, exclusive_minimum=True, maximum=1.0e5, shp="site_ha",
                          hint="the land the firm needs, hectares, above 0"),
            ),
            _POINT_OR_POLY,
            {"park_id": "chemical_parks"},
        ),
        LayerSpec(
            "hazard_units",
            "危险化学品单元",
            "Hazard units",
            (
                _ID,
                FieldSpec("enterprise_id", required=True, shp="ent_id"),
                FieldSpec("name", required=True),
                FieldSpec("unit_type", required=True, choices=UNIT_TYPES, shp="unit_type"),
                FieldSpec("equipment", choices=EQUIPMENT),
                FieldSpec("containment", choices=CONTAINMENT, shp="containmnt"),
                FieldSpec("fire_class", choices=FIRE_CLASSES, shp="fire_class"),
                FieldSpec("special_process", "bool", shp="special_pr"),
                FieldSpec(
                    "operating_temperature_c",
                    "float",
                    minimum=MIN_TEMPERATURE_C,
                    maximum=MAX_TEMPERATURE_C,
                    shp="op_temp_c",
                ),
                FieldSpec(
                    "operating_pressure_mpa", "float", minimum=0, maximum=MAX_PRESSURE_MPA, shp="op_p_mpa"
                ),
                FieldSpec("safety_distance_m", "float", minimum=0, maximum=MAX_DISTANCE_M, shp="sd_m"),
                FieldSpec(
                    "safety_distance_high_sensitive_m",
                    "float",
                    minimum=0,
                    maximum=MAX_DISTANCE_M,
                    shp="sd_hs_m",
                ),
                FieldSpec(
                    "safety_distance_important_m", "float", minimum=0, maximum=MAX_DISTANCE_M, shp="sd_imp_m"
                ),
                FieldSpec(
                    "safety_distance_general_1_m", "float", minimum=0, maximum=MAX_DISTANCE_M, shp="sd_g1_m"
                ),
                FieldSpec(
                    "safety_distance_general_2_m", "float", minimum=0, maximum=MAX_DISTANCE_M, shp="sd_g2_m"
                ),
                FieldSpec(
                    "safety_distance_general_3_m", "float", minimum=0, maximum=MAX_DISTANCE_M, shp="sd_g3_m"
                ),
            ),
            _POINT_OR_POLY,
            {"enterprise_id": "enterprises"},
        ),
        LayerSpec(
            "inventory",
            "危险化学品存量",
            "Chemical inventory",
            (
                # Optional: when absent, a row's id is "<unit_id>/<n>", n counting the unit's rows
                # in file order, so reloading the same file updates rather than duplicates.
                FieldSpec("id"),
                FieldSpec("unit_id", required=True),
                FieldSpec("chemical", required=True),
                FieldSpec("cas"),
                FieldSpec(
                    "max_quantity_t",
                    "float",
                    required=True,
                    minimum=0,
                    maximum=MAX_QUANTITY_T,
                    shp="max_qty_t",
                ),
                FieldSpec("table1_seq", "int", minimum=1, maximum=85, shp="t1_seq"),
                FieldSpec("hazard_categories", shp="haz_cats"),
                FieldSpec("state", choices=INVENTORY_STATES),
                FieldSpec(
                    "temperature_c",
                    "float",
                    minimum=MIN_TEMPERATURE_C,
                    maximum=MAX_TEMPERATURE_C,
                    shp="temp_c",
                ),
                FieldSpec("pressure_mpa", "float", minimum=0, maximum=MAX_PRESSURE_MPA, shp="press_mpa"),
                # How the item is held (optional; RESTRICTED like max_quantity_t): the number of vessels
                # and one vessel's capacity (t). Absent → one vessel (geo_risk.risk.scenarios rule 1).
                FieldSpec("vessel_count", "int", minimum=1, maximum=MAX_VESSELS, shp="vessel_n"),
                FieldSpec(
                    "vessel_capacity_t",
                    "float",
                    minimum=0,
                    exclusive_minimum=True,
                    maximum=MAX_QUANTITY_T,
                    shp="vessel_cap",
                ),
            ),
            None,
            {"unit_id": "hazard_units"},
        ),
        LayerSpec(
            "residential_areas",
            "居民区",
            "Residential areas",
            (
                _ID,
                FieldSpec("name", required=True),
                FieldSpec(
                    "population", "int", required=True, minimum=0, maximum=MAX_POPULATION, shp="population"
                ),
                FieldSpec("households", "int", minimum=0, maximum=MAX_POPULATION, shp="households"),
            ),
            _POLY,
        ),
        LayerSpec(
            "protection_targets",
            "防护目标",
            "Protection targets",
            (
                _ID,
                FieldSpec("name", required=True),
                FieldSpec("kind", required=True),  # valid kinds: geo_risk.standards.gb36894.TARGET_KINDS
                FieldSpec("category", choices=TARGET_CATEGORIES),
                FieldSpec("population", "int", minimum=0, maximum=MAX_POPULATION, shp="population"),
            ),
            _POINT_OR_POLY,
        ),
        LayerSpec(
            "admin_areas",
            "行政区",
            "Administrative areas",
            (
                FieldSpec("code", required=True, pattern=ADMIN_CODE_PATTERN,
                          hint="行政区划代码: 6 digits (GB/T 2260), or 9 or 12 for townships and villages"),
                FieldSpec("name", required=True),
                FieldSpec("level", choices=ADMIN_LEVELS),
            ),
            _POLY,
            key="code",
        ),
        LayerSpec(
            "sensors",
            "监测点",
            "Sensors",
            (
                # Optional layer (issue 15): one monitoring point of a hazard unit, its range and alarm limits,
                # all in ``uom`` (one of geo_risk.monitoring.model.UOMS[quantity]); checked across fields
                # (LL ≤ L < H ≤ HH inside the range) by geo_risk.io.validate.
                _ID,
                FieldSpec("unit_id", required=True),
                FieldSpec("quantity", required=True, choices=SENSOR_QUANTITIES, shp="quantity"),
                FieldSpec("uom", required=True),
                FieldSpec("range_lo", "float", required=True),
                FieldSpec("range_hi", "float", required=True),
                FieldSpec("ll", "float"),
                FieldSpec("l", "float"),
                FieldSpec("h", "float"),
                FieldSpec("hh", "float"),
                FieldSpec("deadband", "float", minimum=0),
                FieldSpec("on_delay_s", "float", minimum=0, maximum=MAX_SENSOR_DELAY_S),
                FieldSpec("off_delay_s", "float", minimum=0, maximum=MAX_SENSOR_DELAY_S, shp="off_delay"),
                FieldSpec("rate_limit", "float", minimum=0, exclusive_minimum=True),
                FieldSpec("silent_after_s", "float", minimum=0, exclusive_minimum=True, maximum=MAX_SENSOR_DELAY_S,
                          shp="silent_s"),
                FieldSpec("area"),
            ),
            None,
            {"unit_id": "hazard_units"},
        ),
    )
}

#: Layers in the order a load must write them (referenced layers first).
LOAD_ORDER: tuple[str, ...] = (
    "chemical_parks",
    "enterprises",
    "hazard_units",
    "inventory",
    "residential_areas",
    "protection_targets",
    "admin_areas",
    "sensors",
)

#: The one Shapefile alias table (long name → ≤ 10-character name), used on import and export.
SHAPEFILE_ALIASES: dict[str, str] = {
    f.name: f.shp for spec in LAYERS.values() for f in spec.fields if f.shp and f.shp != f.name
}
_FROM_SHP = {short: long for long, short in SHAPEFILE_ALIASES.items()}

assert len(_FROM_SHP) == len(SHAPEFILE_ALIASES), "Shapefile aliases must be unique"  # noqa: S101
assert all(len(s) <= 10 for s in _FROM_SHP), "Shapefile names stop at 10 characters"  # noqa: S101


def to_shapefile_name(name: str) -> str:
    """The ≤ 10-character Shapefile field name of interchange field ``name``."""
    return SHAPEFILE_ALIASES.get(name, name)


def from_shapefile_name(name: str) -> str:
    """The interchange field name of a Shapefile field (case-insensitive; unknown names unchanged)."""
    return _FROM_SHP.get(name, _FROM_SHP.get(name.lower(), name))
