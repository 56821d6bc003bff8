"""Loss-of-containment scenarios and event trees → grid events (GB/T 37243-2019 clauses 6.4–6.6).

:func:`build_scenarios` turns the hazard units and their inventory into :class:`~geo_risk.risk.grid.Source`
objects for :func:`~geo_risk.risk.grid.individual_risk`, a table of every event, the assumptions
applied and the items that could not be modelled. The method is the simplified QRA of
docs/standards/qra-method.md §2, §3 and §7 (TNO Purple Book CPR 18E LOCs and event trees);
GB/T 37243 Annexes C and F were not available, so every LOC frequency is UNCONFIRMED.

Every number is in a data file of ``geo_risk/risk/data`` with its source and status:
``loc_frequencies.csv`` (LOC frequencies, per year), ``direct_ignition.csv`` (Purple Book Table
4.5), ``model_constants.csv`` (0.6 / 0.4 split, TNT yield, and every number of the rules below
under keys ``scenario_*``, the process vessel's LOC frequencies included) and
``substances/release_properties.csv`` (γ, liquid density, heat of vaporisation, liquid heat
capacity, flash point — from the ``chemicals`` library; ``tests/risk/test_scenarios.py``
regenerates it). The word-valued choices are the constants :data:`EQUIPMENT_RULES`,
:data:`GAS_REACTIVITY_DEFAULT`, :data:`K_CLASS_BY_CODE` and :data:`TOXIC_PROBIT_TABLE`.

Rules (each is also listed in :attr:`ScenarioSet.assumptions`)
---------------------------------------------------------------
1. **Vessels of an inventory item**, at its unit's position (x, y in the caller's projected CRS,
   m): ``vessel_count`` n and/or ``vessel_capacity_t`` c (t). Both absent → n =
   ``default_vessel_count`` (1: the whole quantity in one vessel); count only → each vessel holds
   q/n (nothing says more); capacity only → n = ⌈q/c⌉ vessels; both → n vessels (n·c < q is a
   problem, not modelled). With a capacity, the vessel whose LOC is modelled is full: its
   contents are min(``vessel_fill_fraction`` · c, q), never below q/n (model 2.3.0; q/n before,
   which understated the consequence of the one vessel that is full while others are part
   empty). The LOCs and their consequences are those of ONE vessel's contents; every LOC
   frequency is the per-vessel frequency × n (the n vessels are lumped at the unit's position:
   qra-fidelity §7). No piping, no loading arms or hoses, no domino effects.
2. **Equipment → LOC set** (:data:`EQUIPMENT_RULES`): pressure vessel and cylinder store →
   pressure vessel (each cylinder or pack of a cylinder store is one vessel of rule 1; without
   vessel fields the store is ONE vessel holding the whole stored quantity); process
   vessel → process vessel (``scenario_process_vessel_g*_frequency``: recalled Purple Book values,
   10× the pressure vessel's, UNCONFIRMED); atmospheric and refrigerated tanks → the atmospheric
   tank row of their containment (single when not given). Pipelines and warehouses
   are not modelled (reported in ``problems``). A unit without an equipment value takes the
   default of its item's phase: pressure vessel for a gas or a liquefied gas under pressure,
   atmospheric tank (single) for a liquid or a refrigerated liquefied gas.
3. **LOCs** (Purple Book): G.1 instantaneous release of the whole inventory (kg); G.2 the whole
   inventory over ``g2_release_duration`` (600 s); G.3 a 10 mm hole: choked or sub-sonic gas flow
   (:func:`~geo_risk.risk.source_term.gas_release`) from the item's pressure and temperature for a
   gas, Bernoulli liquid flow (:func:`~geo_risk.risk.source_term.liquid_release_rate_kg_s`) with
   the pressure above the liquid and a ``liquid_head`` of 10 m for a liquid (liquid density at
   20 °C, at the boiling point for a refrigerated liquid; no flashing in the hole); duration
   min(inventory / rate, ``max_release_duration`` = 1800 s). Releases at ``release_height`` (0 m).
4. **Conditions**: item temperature, else the unit's operating temperature, else
   ``ambient_temperature`` (20 °C); item pressure, else the unit's, else 0; pressures are read as
   gauge (``pressure_is_gauge``). A liquefied gas under pressure is at least at its vapour
   pressure (Clausius–Clapeyron through the normal boiling point and the 20 °C vapour pressure).
5. **Phase** = the item's ``state``; when missing: T ≤ T_b → liquid (refrigerated liquefied gas if
   T_b < ambient); T > T_b and T < T_c and P ≥ P_sat(T) → liquefied under pressure; otherwise gas.
   No boiling point → problem.
6. **Toxic branch**: a substance with a Set A probit (Purple Book Table 5.2; ``toxic_probit_table``)
   in the gas or pressurised-liquefied phase → :class:`~geo_risk.risk.lethality.ToxicCloud` with
   probability 1 (puff for G.1, plume for G.2 and G.3); the whole release is airborne (no
   rain-out; conservative). A toxic liquid or refrigerated liquefied gas forms a pool (unconfined,
   ``pool_depth``, diameter capped at ``pool_max_diameter``) at min(T, T_b) (a refrigerated pool at
   T_b, its vapour pressure capped just below the ambient pressure: boiling) that evaporates
   (Mackay–Matsugu, :func:`~geo_risk.risk.source_term.pool_evaporation_rate_kg_s`, at each weather
   class's own 10 m wind: :class:`~geo_risk.risk.lethality.EvaporatingPool`, model 2.4.0; the table
   row's rate at ``pool_evaporation_wind_speed``) for min(pool mass / rate, ``max_release_duration``): the
   continuous source of a :class:`~geo_risk.risk.lethality.ToxicCloud` with probability 1 (branch
   ``toxic_pool_evaporation``; no ground heat conduction, so a boiling pool's first minutes are
   understated). A toxic substance (J codes or Table 3) without a probit → problem.
7. **Flammable gases and liquefied flammable gases** (W2, or W5 in a gas / pressurised phase):
   direct ignition P_d from Table 4.5 with the substance's Purple Book reactivity class
   (``gas_reactivity.csv``: ammonia, methane, CO … are LOW → 0.02 / 0.04 / 0.09; every gas not
   listed takes the average/high row); instantaneous → BLEVE
   :class:`~geo_risk.risk.lethality.Fireball` for a pressurised liquefied gas (SEP from the
   Roberts fraction F_s = 0.27·P^0.32 of the combustion energy, kept within 200–350 kW/m²), else a
   flash fire of the puff; an outcome the substance cannot produce (``outcome_capability.csv``:
   ammonia has no fireball and no explosion) goes to the outcome named there (flash fire), so the
   branch keeps its frequency; continuous →
   :class:`~geo_risk.risk.lethality.JetFire`. A refrigerated liquefied flammable gas is at
   atmospheric pressure: no jet and no BLEVE, direct ignition → pool fire. Delayed ignition
   P_del = (1 − P_d) × ``delayed_ignition_given_no_direct`` (1: every cloud meets a source;
   UNCONFIRMED), split 0.6 flash fire / 0.4 explosion (Purple Book §4.8; VCE by TNT equivalence on
   ``vce_flammable_mass_fraction`` × the released mass, for a continuous release the mass of
   min(duration, ``vce_cloud_build_up_time``)). The branches of one LOC sum to the LOC frequency.
8. **Flammable liquids** (W5 codes, liquid phase; W4 in GB 18218 Table 2 is oxidising gases) →
   pool fire with the direct-ignition probability of the liquid's K class (from the flash point
   with ``k*_max_flash_point``, K1 at or above the flash point; from the W5 code when no flash
   point is tabulated). Pool: unconfined, ``pool_depth`` 1 cm, diameter capped at
   ``pool_max_diameter`` (100 m) — the schema's containment field gives no bund area. **K1
   liquids, delayed ignition** (UNCONFIRMED tree): P_del = (1 − P_d) ×
   ``k1_delayed_ignition_given_no_direct`` (1); the vapour evaporating from the pool
   (Mackay–Matsugu, :func:`~geo_risk.risk.source_term.pool_evaporation_rate_kg_s`, at each weather
   class's own wind, for min(pool mass / rate, ``max_release_duration``)) is ignited:
   flash fire 0.6 / explosion 0.4 (Purple Book §4.8; the explosion's flammable mass is the plume's
   mass up to its LFL distance in class D at ``pool_evaporation_wind_speed`` (5 m/s), rate × x_LFL / u,
   at most rule 7's: one explosive mass for every weather class, a CHOICE),
   each followed by the pool fire (``k1_pool_fire_after_delayed_ignition``: one event of lethality
   1 − (1 − P_cloud)(1 − P_pool)). Without vapour data the delayed branch is the pool fire alone.
   The fire tree of a K1 liquid then sums to the LOC frequency. K2–K4 liquids: direct ignition
   only (their vapour pressure at ambient is too low for a flammable cloud; UNCONFIRMED).
9. **Toxic and flammable**: both trees, the toxic one with the full LOC frequency (Purple Book:
   "treat separately").
10. **Explosives** (W1.x) are not QRA'd here: GB/T 37243 uses the consequence method → problem.
    Other categories with no outcome model (W4 oxidising gases, W6–W11, solids) → problem.

Every event frequency = LOC frequency × branch probability; the frequency of each event is also
in :attr:`ScenarioSet.scenarios` with the LOC frequency and the branch probability.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import pandas as pd

from geo_risk.chemicals import chemical_properties, resolve
from geo_risk.disclosure import restricted
from geo_risk.errors import GeoRiskError, InvalidInput
from geo_risk.risk.dispersion import (
    FAR_FIELD_CHOICE,
    FINITE_RELEASE_RULE,
    PUFF_LOAD_MATCH,
    advection_speed_m_s,
    reach_box_m,
)
from geo_risk.risk.fires import fireball_diameter_m, fireball_duration_s
from geo_risk.risk.grid import Event, Source
from geo_risk.risk.lethality import (
    ContinuousRelease,
    EvaporatingPool,
    Fireball,
    FlashFire,
    InstantaneousRelease,
    JetFire,
    Outcome,
    PoolFire,
    ToxicCloud,
    VapourCloudExplosion,
    as_event,
)
from geo_risk.risk.parameters import (
    MODEL_VERSION,
    STATUSES,
    LocFrequency,
    ToxicProbit,
    ToxicProbitTable,
    UnknownProbitSubstance,
    constant,
    direct_ignition_probability,
    gas_reactivity,
    load_parameters,
    outcome_capability,
    parameters_digest,
    toxic_probit_constants,
)
from geo_risk.risk.source_term import gas_release, liquid_release_rate_kg_s, pool_evaporation_rate_kg_s
from geo_risk.risk.weather import Weather
from geo_risk.standards.gbt37243 import SUBSTANCE_ROLES

__all__ = [
    "EQUIPMENT_RULES", "GAS_REACTIVITY_DEFAULT", "K_CLASS_BY_CODE", "RELEASE_PROPERTIES_FILE", "SCENARIO_COLUMNS",
    "TOXIC_PROBIT_TABLE", "EquipmentRule", "ScenarioSet", "build_scenarios",
]  # fmt: skip

#: Physical data for the releases (regenerated from the ``chemicals`` library by the tests), under
#: ``geo_risk/risk/data``. Every number of the scenario rules is in ``model_constants.csv``
#: (keys ``scenario_*``), so it is in :func:`~geo_risk.risk.parameters.parameters_digest` and
#: :func:`~geo_risk.risk.parameters.unconfirmed_values`.
RELEASE_PROPERTIES_FILE = ("substances", "release_properties.csv")

#: Stated choices that are words, not numbers (UNCONFIRMED; also in ``ScenarioSet.assumptions``).
GAS_REACTIVITY_DEFAULT = "gas_average_high_reactivity"
"""Purple Book Table 4.5 row for every flammable gas NOT on the low-reactivity list
(``gas_reactivity.csv``): the average/high row (conservative)."""
TOXIC_PROBIT_TABLE = ToxicProbitTable.SET_A_PURPLE_BOOK
"""Toxic probits of the toxic branch: Purple Book Table 5.2 (mg/m³, min)."""
K_CLASS_BY_CODE: Mapping[str, str] = MappingProxyType({
    "W5.1": "k1_liquid",  # GHS flammable liquid category 1 (flash point < 23 °C)
    "W5.2": "k1_liquid",  # category 2 or 3 under special process conditions: K1 (conservative)
    "W5.3": "k1_liquid",  # category 2 (flash point < 23 °C)
    "W5.4": "k2_liquid",  # category 3 (flash point 23-60 °C): K2, or K3 from 55 °C; K2 (conservative)
})  # fmt: skip
"""Table 4.5 liquid category from the GB 18218 Table 2 code, when no flash point is tabulated."""


@dataclass(frozen=True)
class EquipmentRule:
    """Schema ``equipment`` (and ``containment``; "" = any) → Purple Book LOC set (or not modelled).

    Rows with an empty ``equipment`` are the defaults by phase for a unit without an equipment value.
    """

    equipment: str
    containment: str
    phase: str
    loc_equipment: str
    note: str


_NOT_MODELLED = "not_modelled"
_ATM = "atmospheric tank"
#: The mapping in force (UNCONFIRMED project choices; the LOC sets are the rows of loc_frequencies.csv).
EQUIPMENT_RULES: tuple[EquipmentRule, ...] = (
    EquipmentRule("pressure_vessel", "", "", "pressure_vessel", "Purple Book stationary pressure vessel"),
    EquipmentRule("process_vessel", "", "", "process_vessel",
                  "Purple Book process / reactor vessel (scenario_process_vessel_g*_frequency, recalled, "
                  "10x the pressure vessel's)"),
    EquipmentRule("cylinder_store", "", "", "pressure_vessel",
                  "a cylinder store: each cylinder (or pack) a pressure vessel of rule 1 (vessel_count); without "
                  "vessel fields ONE pressure vessel holding the whole stored quantity"),
    EquipmentRule("atmospheric_tank", "single", "", "atmospheric_tank_single", f"{_ATM}, single containment"),
    EquipmentRule("atmospheric_tank", "double", "", "atmospheric_tank_double",
                  f"{_ATM}, double containment (the table has no 10 mm hole row: two LOCs)"),
    EquipmentRule("atmospheric_tank", "full", "", "atmospheric_tank_full_containment",
                  f"{_ATM}, full containment (the table has only the instantaneous LOC)"),
    EquipmentRule("atmospheric_tank", "", "", "atmospheric_tank_single",
                  "containment not given: single (the most frequent LOCs; conservative)"),
    EquipmentRule("refrigerated_tank", "single", "", "atmospheric_tank_single",
                  "a refrigerated tank is an atmospheric tank in the Purple Book's LOC tables"),
    EquipmentRule("refrigerated_tank", "double", "", "atmospheric_tank_double",
                  "a refrigerated tank is an atmospheric tank in the Purple Book's LOC tables"),
    EquipmentRule("refrigerated_tank", "full", "", "atmospheric_tank_full_containment",
                  "a refrigerated tank is an atmospheric tank in the Purple Book's LOC tables"),
    EquipmentRule("refrigerated_tank", "", "", "atmospheric_tank_single", "containment not given: single"),
    EquipmentRule("pipeline", "", "", _NOT_MODELLED,
                  "Pipe LOCs are per metre and need the length and nominal diameter, which the schema does not carry"),
    EquipmentRule("warehouse", "", "", _NOT_MODELLED,
                  "Packaged goods in a warehouse: the Purple Book's warehouse fire scenarios are not implemented"),
    EquipmentRule("", "", "gas", "pressure_vessel", "no equipment given: a gas is held in a pressure vessel"),
    EquipmentRule("", "", "liquefied_pressurized", "pressure_vessel",
                  "no equipment given: a liquefied gas under pressure is held in a pressure vessel"),
    EquipmentRule("", "", "liquefied_refrigerated", "atmospheric_tank_single",
                  "no equipment given: a refrigerated liquefied gas is held in an atmospheric (refrigerated) tank"),
    EquipmentRule("", "", "liquid", "atmospheric_tank_single",
                  "no equipment given: a liquid is held in an atmospheric tank (single containment)"),
)  # fmt: skip

#: Columns of :attr:`ScenarioSet.scenarios`, one row per event, in the order of the sources' events.
SCENARIO_COLUMNS: tuple[str, ...] = (
    "unit_id", "inventory_id", "source_index", "event_index", "chemical", "phase", "loc_equipment", "loc",
    "loc_code", "loc_name", "loc_frequency_per_year", "tree", "branch", "outcome", "branch_probability",
    "frequency_per_year", "release_type", "release_mass_kg", "release_rate_kg_s", "release_duration_s", "notes",
    "vessel_count", "loc_frequency_per_vessel_per_year",
)  # fmt: skip

_PHASES = ("gas", "liquefied_pressurized", "liquefied_refrigerated", "liquid", "solid")
_GASLIKE = ("gas", "liquefied_pressurized")
#: LOC codes of the data tables → the Purple Book's generic names (structural, not a number).
_GENERIC_LOC = {
    "G1": "G.1", "instantaneous": "G.1",
    "G2": "G.2", "ten_minutes": "G.2",
    "G3": "G.3", "hole_10mm": "G.3",
}  # fmt: skip
_K_CATEGORIES = ("k1_liquid", "k2_liquid", "k3_k4_liquid")


# =============================================================================================
# Data
# =============================================================================================


def _num(key: str) -> float:
    """A scenario rule of ``model_constants.csv`` (key ``scenario_<key>``), in the table's unit."""
    return constant(f"scenario_{key}")


@cache
def _loc_rows() -> tuple[LocFrequency, ...]:
    """The LOC rows of loc_frequencies.csv plus the process vessel's (pressure vessel LOCs, own frequencies)."""
    params = load_parameters()
    process = tuple(
        LocFrequency(
            "process_vessel", r.loc_code, r.loc_name, r.hole_diameter_mm,
            _num(f"process_vessel_{r.loc_code.lower()}_frequency"), "per_year",
            params.constants[f"scenario_process_vessel_{r.loc_code.lower()}_frequency"].status,
            "recalled Purple Book process / reactor vessel frequency (model_constants.csv)",
        )
        for r in params.loc_frequencies
        if r.equipment == "pressure_vessel"
    )  # fmt: skip
    return params.loc_frequencies + process


def _release_text() -> str:
    folder, name = RELEASE_PROPERTIES_FILE
    return resources.files("geo_risk.risk").joinpath("data").joinpath(folder).joinpath(name).read_text("utf-8")


@cache
def _release_properties() -> Mapping[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(_release_text())))
    for i, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()) or row["status"] not in STATUSES:
            raise InvalidInput(f"geo_risk/risk/data/{'/'.join(RELEASE_PROPERTIES_FILE)} line {i}: malformed row")
    return {r["cas"]: r for r in rows}


# =============================================================================================
# Substance data for one item
# =============================================================================================


@dataclass(frozen=True)
class _Props:
    """Physical data of one item's substance; None where not tabulated. Units in the names."""

    basis: str
    molar_mass_g_per_mol: float | None = None
    boiling_point_c: float | None = None
    critical_temperature_c: float | None = None
    vapour_pressure_20c_kpa: float | None = None
    lfl_vol_pct: float | None = None
    heat_of_combustion_j_kg: float | None = None
    heat_capacity_ratio: float | None = None
    liquid_density_20c_kg_m3: float | None = None
    liquid_density_tb_kg_m3: float | None = None
    heat_of_vaporisation_j_kg: float | None = None
    liquid_heat_capacity_j_kg_k: float | None = None
    flash_point_c: float | None = None


def _f(text: str | None, scale: float = 1.0) -> float | None:
    return float(text) * scale if text is not None and str(text).strip() else None


def _props_for(res: Any, item_cas: str | None) -> _Props | None:
    """Table 1 properties (geo_risk.chemicals) merged with ``release_properties.csv``, or the CSV alone."""
    table = _release_properties()
    seq = res.substance.seq if res.substance is not None else None
    base = res.substance.properties if res.substance is not None else None
    key = base.cas if base is not None else item_cas
    extra = table.get(key) if key else None
    if base is None and extra is not None and extra["table1_seq"]:
        # a substance outside Table 1 whose CAS is the basis of a Table 1 row (CO for 煤气, row 13)
        seq = int(extra["table1_seq"])
        base = chemical_properties(seq)
    if base is None and extra is None:
        return None
    e = extra or {}
    if base is not None:
        first = dict(
            basis=f"GB 18218 Table 1 row {seq}: {base.basis} (CAS {base.cas})",
            molar_mass_g_per_mol=base.molar_mass_g_per_mol,
            boiling_point_c=base.boiling_point_c,
            critical_temperature_c=base.critical_temperature_c,
            vapour_pressure_20c_kpa=base.vapour_pressure_20c_kpa,
            lfl_vol_pct=base.lower_flammability_limit_vol_pct,
            heat_of_combustion_j_kg=(
                base.heat_of_combustion_lhv_mj_per_kg * 1e6 if base.heat_of_combustion_lhv_mj_per_kg else None
            ),
        )
    else:
        first = dict(
            basis=f"release_properties.csv: {e['basis']} (CAS {e['basis_cas']})",
            molar_mass_g_per_mol=_f(e.get("molar_mass_g_per_mol")),
            boiling_point_c=_f(e.get("boiling_point_c")),
            critical_temperature_c=_f(e.get("critical_temperature_c")),
            vapour_pressure_20c_kpa=_f(e.get("vapour_pressure_20c_kpa")),
            lfl_vol_pct=_f(e.get("lower_flammability_limit_vol_pct")),
            heat_of_combustion_j_kg=_f(e.get("heat_of_combustion_lhv_mj_per_kg"), 1e6),
        )
    return _Props(
        **first,
        heat_capacity_ratio=_f(e.get("heat_capacity_ratio_20c")),
        liquid_density_20c_kg_m3=_f(e.get("liquid_density_20c_kg_m3")),
        liquid_density_tb_kg_m3=_f(e.get("liquid_density_tb_kg_m3")),
        heat_of_vaporisation_j_kg=_f(e.get("heat_of_vaporisation_tb_kj_per_kg"), 1e3),
        liquid_heat_capacity_j_kg_k=_f(e.get("liquid_heat_capacity_kj_per_kg_k"), 1e3),
        flash_point_c=_f(e.get("flash_point_c")),
    )


def _probit_for(res: Any, item_cas: str | None) -> ToxicProbit | None:
    """The Set A probit of the substance: by its Table 1 CAS, basis CAS, Table 1 name, or the item's CAS."""
    table = TOXIC_PROBIT_TABLE
    candidates: list[str] = []
    if res.substance is not None:
        if res.substance.properties is not None:
            candidates.append(res.substance.properties.cas)
        candidates += list(res.substance.cas) + [res.substance.name_zh]
    if item_cas:
        candidates.append(item_cas)
    for name in dict.fromkeys(c for c in candidates if c):
        try:
            return toxic_probit_constants(name, table)
        except UnknownProbitSubstance:
            continue
    return None


def _vapour_pressure_pa(props: _Props, temperature_k: float) -> float | None:
    """Clausius–Clapeyron through (T_b, 101 325 Pa) and (20 °C, P_sat,20); None without both points."""
    if props.boiling_point_c is None or props.vapour_pressure_20c_kpa is None:
        return None
    t1, p1 = props.boiling_point_c + 273.15, constant("standard_atmosphere")
    t2, p2 = 293.15, props.vapour_pressure_20c_kpa * 1e3
    if abs(1.0 / t1 - 1.0 / t2) < 1e-6 or p2 <= 0:
        return None
    slope = math.log(p2 / p1) / (1.0 / t1 - 1.0 / t2)
    return p1 * math.exp(slope * (1.0 / t1 - 1.0 / temperature_k))


# =============================================================================================
# Result
# =============================================================================================


@dataclass
class ScenarioSet:
    """What :func:`build_scenarios` returns.

    Attributes
    ----------
    sources : list of Source
        One per modelled containment (inventory item) at its unit's x, y (m, the caller's projected
        CRS), with its events (frequency per year, lethality, reach).
    scenarios : pandas.DataFrame
        One row per event, :data:`SCENARIO_COLUMNS`: ``loc_frequency_per_year`` (/a) ×
        ``branch_probability`` = ``frequency_per_year`` (/a); ``release_mass_kg`` (kg; for a
        continuous release rate × duration), ``release_rate_kg_s`` (kg/s, NaN for an instantaneous
        release), ``release_duration_s`` (s); ``tree`` is ``"toxic"`` or ``"fire"``;
        ``source_index`` / ``event_index`` locate the event in ``sources``.
    assumptions : dict
        Every rule and default applied, every UNCONFIRMED table row used, data digests.
    problems : list of str
        Items (or LOCs / branches) that could not be modelled and why, 中文 / English.
    """

    sources: list[Source]
    scenarios: pd.DataFrame
    assumptions: dict[str, object]
    problems: list[str] = field(default_factory=list)


# =============================================================================================
# One item
# =============================================================================================


def _missing(v: object) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _text(v: object) -> str | None:
    return None if _missing(v) else str(v).strip()


def _cas(v: object) -> str | None:
    """A CAS number with its dashes (``7782505`` → ``7782-50-5``); other text unchanged."""
    text = _text(v)
    if text is not None and text.isdigit() and len(text) >= 5:
        return f"{text[:-3]}-{text[-3:-1]}-{text[-1]}"
    return text


def _number(v: object) -> float | None:
    if _missing(v):
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class _Release:
    """One LOC's source term: instantaneous ``mass_kg``, or ``rate_kg_s`` for ``duration_s``."""

    instantaneous: bool
    mass_kg: float
    rate_kg_s: float | None = None
    duration_s: float | None = None
    note: str = ""
    source_density_kg_m3: float | None = None  # the flashing cloud's (aerosol), geo_risk.risk.dense_gas
    source_temperature_k: float | None = None
    terrain: str | None = None  # Briggs rural/urban from the land use around the unit (dispersion_terrain)
    #: an evaporating pool: the rate follows each weather class's wind (rate_kg_s / duration_s: at the
    #: reference wind ``pool_evaporation_wind_speed``, for the scenario table)
    pool: EvaporatingPool | None = None

    @property
    def model(self) -> ContinuousRelease | InstantaneousRelease | EvaporatingPool:
        h = _num("release_height")
        if self.pool is not None:
            return self.pool
        if self.instantaneous:
            return InstantaneousRelease(self.mass_kg, h, self.source_density_kg_m3, self.source_temperature_k)
        return ContinuousRelease(
            self.rate_kg_s, self.duration_s, h, self.source_density_kg_m3, self.source_temperature_k  # type: ignore[arg-type]
        )

    @property
    def amount(self) -> float:
        """Table 4.5 amount: kg for an instantaneous release, kg/s for a continuous one."""
        return self.mass_kg if self.instantaneous else float(self.rate_kg_s)  # type: ignore[arg-type]

    @property
    def release_type(self) -> str:
        return "instantaneous" if self.instantaneous else "continuous"


@dataclass(frozen=True)
class _Case:
    """One LOC of one item: the table row, its generic name (G.1 …), the release, phase and LOC set."""

    loc: LocFrequency
    generic: str
    release: _Release
    phase: str
    loc_equipment: str


class _Item:
    """Builds the events of one inventory item; collects rows, notes, defaults and problems."""

    def __init__(self, uid: str, iid: str, rec: Mapping[str, Any], unit: Mapping[str, Any]) -> None:
        self.uid, self.iid, self.rec, self.unit = uid, iid, rec, unit
        self.chemical = _text(rec.get("chemical")) or _text(rec.get("cas")) or "?"
        self.problems: list[str] = []
        self.defaults: list[dict[str, object]] = []
        self.notes: list[str] = []
        self.events: list[Event] = []
        self.rows: list[dict[str, object]] = []
        self.locs_used: set[tuple[str, str]] = set()
        self.ignition_used: set[str] = set()
        self.probits_used: set[str] = set()
        self.vessels = 1
        self.p_abs, self.t_k = 101325.0, 293.15
        self.cas_numbers: tuple[str, ...] = ()
        self.tables_used: set[str] = set()  # UNCONFIRMED rows of gas_reactivity / outcome_capability used

    # -- reporting ------------------------------------------------------------------------------

    def problem(self, zh: str, en: str) -> None:
        text = (
            f"单元 {self.uid} 存量 {self.iid}（{self.chemical}）：{zh} / "
            f"unit {self.uid} item {self.iid} ({self.chemical}): {en}"
        )
        if text not in self.problems:
            self.problems.append(text)

    def default(self, what: str, value: object, rule: str) -> None:
        self.defaults.append(
            {"unit_id": self.uid, "inventory_id": self.iid, "what": what, "value": value, "rule": rule}
        )
        self.notes.append(f"default {what} = {value} ({rule})")

    # -- conditions -----------------------------------------------------------------------------

    def conditions(self) -> tuple[float, float]:
        """(temperature K, absolute pressure Pa) with the stated fall-backs."""
        t = _number(self.rec.get("temperature_c"))
        if t is None:
            t = _number(self.unit.get("operating_temperature_c"))
            if t is not None:
                self.notes.append(f"temperature from the unit: {t:g} °C")
            else:
                t = _num("ambient_temperature")
                self.default("temperature_c", t, "model_constants.csv scenario_ambient_temperature")
        p = _number(self.rec.get("pressure_mpa"))
        if p is None:
            p = _number(self.unit.get("operating_pressure_mpa"))
            if p is not None:
                self.notes.append(f"pressure from the unit: {p:g} MPa")
            else:
                p = 0.0
                self.default("pressure_mpa", 0.0, "no pressure given: atmospheric")
        pa = constant("standard_atmosphere")
        p_abs = max(p * 1e6 + (pa if _num("pressure_is_gauge") else 0.0), pa)
        self.p_abs, self.t_k = p_abs, t + 273.15
        return t + 273.15, p_abs

    def phase(self, props: _Props | None, t_k: float, p_abs: float) -> str | None:
        state = _text(self.rec.get("state"))
        if state is not None:
            if state not in _PHASES:
                self.problem(f"未知状态 {state!r}", f"unknown state {state!r}; valid: {', '.join(_PHASES)}")
                return None
            return state
        if props is None or props.boiling_point_c is None:
            self.problem(
                "状态未填且无沸点数据，无法判断相态，未建模",
                "state missing and no boiling point in the property tables: phase unknown, not modelled "
                "(give the state, or a substance the catalogue knows)",
            )
            return None
        tb_k = props.boiling_point_c + 273.15
        ambient_k = _num("ambient_temperature") + 273.15
        if t_k <= tb_k:
            derived = "liquefied_refrigerated" if tb_k < ambient_k else "liquid"
        elif props.critical_temperature_c is not None and t_k >= props.critical_temperature_c + 273.15:
            derived = "gas"
        else:
            psat = _vapour_pressure_pa(props, t_k)
            derived = "liquefied_pressurized" if psat is not None and p_abs >= psat else "gas"
        self.default("state", derived, "phase rule: T ≤ Tb liquid; Tb < T < Tc and P ≥ Psat(T) liquefied; else gas")
        return derived

    # -- releases -------------------------------------------------------------------------------

    def release(
        self, generic: str, loc: LocFrequency, mass_kg: float, phase: str, props: _Props, t_k: float, p_abs: float
    ) -> _Release | None:
        if generic == "G.1":
            return _Release(True, mass_kg)
        if generic == "G.2":
            d = _num("g2_release_duration")
            return _Release(False, mass_kg, mass_kg / d, d)
        hole_m = (loc.hole_diameter_mm or 10.0) / 1000.0
        pa = constant("standard_atmosphere")
        try:
            if phase == "gas":
                if props.heat_capacity_ratio is None or props.molar_mass_g_per_mol is None:
                    self.problem(
                        f"{generic}：缺少比热比或摩尔质量，小孔泄漏未建模",
                        f"{generic}: no heat-capacity ratio or molar mass, hole release not modelled",
                    )
                    return None
                g = gas_release(
                    hole_m,
                    p_abs,
                    t_k,
                    props.heat_capacity_ratio,
                    props.molar_mass_g_per_mol / 1000.0,
                    _num("discharge_coefficient_gas"),
                    pa,
                )
                rate, how = g.mass_rate_kg_s, f"gas {'choked' if g.choked else 'sub-sonic'} flow"
            else:
                rho = (
                    props.liquid_density_tb_kg_m3
                    if phase == "liquefied_refrigerated"
                    else props.liquid_density_20c_kg_m3
                )
                if rho is None:
                    self.problem(
                        f"{generic}：缺少液体密度，小孔泄漏未建模",
                        f"{generic}: no liquid density, hole release not modelled",
                    )
                    return None
                p_liquid, how = p_abs, "liquid Bernoulli flow"
                if phase == "liquefied_pressurized":
                    psat = _vapour_pressure_pa(props, t_k)
                    if psat is not None and psat > p_liquid:
                        p_liquid = psat
                        how += f" (pressure raised to the vapour pressure {psat / 1e6:.3g} MPa abs)"
                rate = liquid_release_rate_kg_s(
                    hole_m, rho, p_liquid, pa, _num("liquid_head"), _num("discharge_coefficient_liquid")
                )
        except InvalidInput as exc:
            self.problem(
                f"{generic}：小孔无泄漏驱动力，未建模（{exc}）",
                f"{generic}: no outflow through the hole, LOC not modelled ({exc})",
            )
            return None
        duration = min(mass_kg / rate, _num("max_release_duration"))
        return _Release(False, rate * duration, rate, duration, f"{how} {rate:.4g} kg/s for {duration:.4g} s")

    # -- events ---------------------------------------------------------------------------------

    def add(self, case: _Case, outcome: Outcome, tree: str, branch: str, probability: float, notes: list[str]) -> None:
        """One event: ``case``'s LOC frequency (/a) × ``probability`` (branch of the ``tree``)."""
        loc, rel = case.loc, case.release
        loc_frequency = loc.frequency * self.vessels
        freq = loc_frequency * probability
        name = f"{self.uid}/{self.iid} {case.generic} {tree}:{branch} {outcome.kind}"
        self.events.append(as_event(outcome, freq, name))
        self.locs_used.add((loc.equipment, loc.loc_code))
        self.rows.append({
            "unit_id": self.uid, "inventory_id": self.iid, "chemical": self.chemical, "phase": case.phase,
            "loc_equipment": case.loc_equipment, "loc": case.generic, "loc_code": loc.loc_code,
            "loc_name": loc.loc_name, "loc_frequency_per_year": loc_frequency, "tree": tree, "branch": branch,
            "outcome": outcome.kind, "branch_probability": probability, "frequency_per_year": freq,
            "release_type": rel.release_type, "release_mass_kg": rel.mass_kg,
            "release_rate_kg_s": rel.rate_kg_s if rel.rate_kg_s else math.nan,
            "release_duration_s": rel.duration_s if rel.duration_s else math.nan,
            "notes": "; ".join(n for n in [*self.notes, rel.note, *notes] if n),
            "vessel_count": self.vessels, "loc_frequency_per_vessel_per_year": loc.frequency,
        })  # fmt: skip

    def pool_fire(self, mass_kg: float, rho: float | None, props: _Props, notes: list[str]) -> PoolFire | None:
        """Pool fire of ``mass_kg`` (kg) spilled unconfined at ``pool_depth``, diameter capped; None without data."""
        hc, hv, tb_c = props.heat_of_combustion_j_kg, props.heat_of_vaporisation_j_kg, props.boiling_point_c
        if rho is None or hc is None or hv is None or tb_c is None:
            return None
        diameter = _pool_diameter_m(mass_kg, rho)
        ambient_k = _num("ambient_temperature") + 273.15
        tb_k = tb_c + 273.15
        cp = props.liquid_heat_capacity_j_kg_k
        if cp is None:  # the sensible-heat term is dropped: burning rate overstated (conservative)
            cp, tb_k = 1.0, min(tb_k, ambient_k)
            notes.append("no liquid heat capacity: Burgess sensible-heat term dropped (conservative)")
        notes.append(f"pool diameter {diameter:.3g} m")
        return PoolFire.from_properties(diameter, hc, hv, cp, tb_k, ambient_k, pool_mass_kg=mass_kg)

    def gas_fire_tree(self, case: _Case, props: _Props) -> None:
        """Flammable gas or liquefied gas: direct ignition, then delayed flash fire 0.6 / explosion 0.4."""
        rel, phase = case.release, case.phase
        reactive = gas_reactivity(self.cas_numbers)
        if reactive is not None:
            category = reactive.ignition_category
            why = (f"Purple Book reactivity {reactive.reactivity} ({reactive.name_en}, gas_reactivity.csv, "
                   f"{reactive.status})")
            if reactive.status == "UNCONFIRMED":
                self.tables_used.add(f"gas_reactivity.csv {reactive.cas} {reactive.name_en} = {reactive.reactivity} "
                                     "(UNCONFIRMED: recalled Purple Book list)")
        else:
            category = GAS_REACTIVITY_DEFAULT
            why = "not on the low-reactivity list: average/high (GAS_REACTIVITY_DEFAULT)"
        p_direct = direct_ignition_probability(category, rel.release_type, rel.amount)
        self.ignition_used.add(category)
        p_delayed = (1.0 - p_direct) * _num("delayed_ignition_given_no_direct")
        missing: list[str] = []
        notes = [f"direct ignition {p_direct:g} (Table 4.5, {category}: {why})"]
        direct: Outcome | None = None
        fireball_instead = self.cannot("fireball") if rel.instantaneous and phase == "liquefied_pressurized" else None
        if phase == "liquefied_refrigerated":  # atmospheric pressure: no jet, no BLEVE, a boiling pool
            direct = self.pool_fire(rel.mass_kg, props.liquid_density_tb_kg_m3, props, notes)
            if direct is None:
                missing.append("direct ignition pool fire (liquid density / heat of combustion / vaporisation)")
        elif rel.instantaneous and phase == "liquefied_pressurized" and fireball_instead is None:
            sep = _fireball_sep_w_m2(rel.mass_kg, props, max(self.p_abs, _vapour_pressure_pa(props, self.t_k) or 0.0))
            direct = Fireball(rel.mass_kg, sep_w_m2=sep)
            notes.append(f"BLEVE fireball of the whole release, SEP {sep / 1000:.0f} kW/m² (Roberts fraction)")
        elif rel.instantaneous:
            if fireball_instead is not None:
                notes.append(f"no BLEVE fireball ({fireball_instead}): direct ignition burns the puff as a flash fire")
            direct = _flash(rel, props)
            if direct is None:
                missing.append("direct ignition flash fire (LFL / molar mass)")
        elif props.heat_of_combustion_j_kg:
            direct = JetFire(rel.amount, props.heat_of_combustion_j_kg, duration_s=float(rel.duration_s or 0.0))
        else:
            missing.append("jet fire (heat of combustion)")
        if direct is not None:
            self.add(case, direct, "fire", "direct_ignition", p_direct, notes)

        delayed = f"delayed ignition {p_delayed:g} = (1 - {p_direct:g}) x " \
                  f"{_num('delayed_ignition_given_no_direct'):g} (UNCONFIRMED)"  # fmt: skip
        if phase == "liquefied_refrigerated":
            delayed += "; vapour source = the liquid release (all evaporates at once: conservative)"
        f_ff = constant("delayed_ignition_flash_fire_fraction")
        f_vce = constant("delayed_ignition_explosion_fraction")
        vce_instead = self.cannot("vce")
        if vce_instead is not None:
            f_ff, f_vce = f_ff + f_vce, 0.0
            delayed += f"; no explosion ({vce_instead}): the whole delayed branch is a flash fire"
        flash = _flash(rel, props)
        if flash is not None:
            self.add(case, flash, "fire", "delayed_flash_fire", p_delayed * f_ff, [delayed, f"flash fire {f_ff:g}"])
        else:
            missing.append("delayed flash fire (LFL / molar mass)")
        if vce_instead is not None:
            pass
        elif props.heat_of_combustion_j_kg:
            mass = rel.mass_kg
            if not rel.instantaneous:  # the cloud built up over min(duration, build-up time)
                mass = rel.amount * min(float(rel.duration_s or 0.0), _num("vce_cloud_build_up_time"))
            mass *= _num("vce_flammable_mass_fraction")
            vce = VapourCloudExplosion.from_flammable_mass(mass, props.heat_of_combustion_j_kg)
            tnt = restricted(f"flammable mass {mass:.4g} kg, TNT {vce.tnt_mass_kg:.4g} kg", "TNT equivalence")
            self.add(case, vce, "fire", "delayed_explosion", p_delayed * f_vce, [delayed, f"explosion {f_vce:g}", tnt])
        else:
            missing.append("delayed explosion (heat of combustion)")
        if missing:
            self.problem(
                f"{case.generic} 火灾分支缺少物性数据未建模：{'；'.join(missing)}",
                f"{case.generic} fire branches not modelled for missing properties: {'; '.join(missing)}",
            )

    def cannot(self, outcome: str) -> str | None:
        """Why the substance cannot produce ``outcome`` (outcome_capability.csv), or None if it can."""
        row = outcome_capability(self.cas_numbers, outcome)
        if row is None or row.possible:
            return None
        self.tables_used.add(f"outcome_capability.csv {row.cas} {row.name_en}: no {row.outcome}, {row.instead} "
                             f"instead ({row.status}: {row.source})")
        return f"{row.name_en} cannot produce a {outcome} (outcome_capability.csv, {row.status})"

    def pool_fire_tree(self, case: _Case, props: _Props, t_k: float, codes: tuple[str, ...]) -> None:
        """Flammable liquid: pool fire with the K-class direct-ignition probability; K1: the delayed branch."""
        rel = case.release
        category, why = _k_class(props, t_k, codes)
        p_direct = direct_ignition_probability(category, rel.release_type, rel.amount)
        self.ignition_used.add(category)
        notes = [f"direct ignition {p_direct:g} (Table 4.5, {category}: {why})"]
        pool_notes: list[str] = []
        fire = self.pool_fire(rel.mass_kg, props.liquid_density_20c_kg_m3, props, pool_notes)
        if fire is None:
            self.problem(
                f"{case.generic}：缺少液体密度、燃烧热或汽化热，池火未建模",
                f"{case.generic}: no liquid density, heat of combustion or heat of vaporisation: pool fire not "
                "modelled",
            )
            return
        self.add(case, fire, "fire", "direct_ignition", p_direct, notes + pool_notes)
        if category != "k1_liquid":
            return
        p_delayed = (1.0 - p_direct) * _num("k1_delayed_ignition_given_no_direct")
        delayed = (f"K1 delayed ignition {p_delayed:g} = (1 - {p_direct:g}) x "
                   f"{_num('k1_delayed_ignition_given_no_direct'):g} (UNCONFIRMED tree)")
        then_pool = bool(_num("k1_pool_fire_after_delayed_ignition"))
        cloud = self.evaporation(fire, props, t_k, rel.mass_kg)
        if cloud is None:
            self.add(case, fire, "fire", "delayed_pool_fire", p_delayed,
                     [delayed, "no vapour data (vapour pressure / LFL / molar mass): the delayed branch is the "
                      "pool fire alone", *pool_notes])
            return
        source, evap_note = cloud
        f_ff = constant("delayed_ignition_flash_fire_fraction")
        f_vce = constant("delayed_ignition_explosion_fraction")
        flash = FlashFire(source, props.lfl_vol_pct, props.molar_mass_g_per_mol)  # type: ignore[arg-type]
        branches: list[tuple[str, Outcome, float, list[str]]] = []
        mass = 0.0
        if props.heat_of_combustion_j_kg:
            # the steady plume's mass up to its LFL distance in D at the evaporation wind (CHOICE), at
            # most the gas rule's rate × min(duration, build-up time)
            w = Weather("D", _num("pool_evaporation_wind_speed"))
            steady = source.at(w)
            travel_s = flash.max_distance_m(w) / advection_speed_m_s(w, steady.height_m)
            mass = steady.rate_kg_s * min(steady.duration_s, _num("vce_cloud_build_up_time"), travel_s)
            mass *= _num("vce_flammable_mass_fraction")
        if props.heat_of_combustion_j_kg and mass > 0:
            vce = VapourCloudExplosion.from_flammable_mass(mass, props.heat_of_combustion_j_kg)
            tnt = restricted(f"flammable mass {mass:.4g} kg, TNT {vce.tnt_mass_kg:.4g} kg", "TNT equivalence")
            branches = [("delayed_flash_fire", flash, f_ff, [f"flash fire {f_ff:g}"]),
                        ("delayed_explosion", vce, f_vce, [f"explosion {f_vce:g}", tnt])]
        elif props.heat_of_combustion_j_kg:
            branches = [("delayed_flash_fire", flash, f_ff + f_vce,
                         [f"flash fire {f_ff + f_vce:g} (the plume never reaches its LFL: no explosive mass)"])]
        else:
            branches = [("delayed_flash_fire", flash, f_ff + f_vce,
                         [f"flash fire {f_ff + f_vce:g} (no heat of combustion: no explosion)"])]
        for branch, outcome, fraction, extra in branches:
            if then_pool:
                outcome = ThenPoolFire(outcome, fire)
                extra = [*extra, "then the pool fire (one event: 1 - (1 - P_cloud)(1 - P_pool))", *pool_notes]
            self.add(case, outcome, "fire", branch, p_delayed * fraction, [delayed, evap_note, *extra])

    def toxic_pool(self, case: _Case, props: _Props, probit: ToxicProbit, t_k: float) -> None:
        """Toxic liquid or refrigerated liquefied gas: the pool's evaporation, a continuous toxic cloud."""
        rel, phase = case.release, case.phase
        refrigerated = phase == "liquefied_refrigerated"
        rho = props.liquid_density_tb_kg_m3 if refrigerated else props.liquid_density_20c_kg_m3
        if rho is None or props.molar_mass_g_per_mol is None or props.boiling_point_c is None:
            self.problem(
                f"{case.generic}：缺少液体密度、摩尔质量或沸点，有毒液池蒸发未建模",
                f"{case.generic}: no liquid density, molar mass or boiling point: the toxic pool's evaporation is "
                "not modelled",
            )
            return
        tb_k = props.boiling_point_c + 273.15
        pool_k = tb_k if refrigerated else min(t_k, tb_k)
        pv = _vapour_pressure_pa(props, pool_k)
        if pv is None or pv <= 0:
            self.problem(
                f"{case.generic}：缺少蒸气压数据，有毒液池蒸发未建模",
                f"{case.generic}: no vapour pressure data: the toxic pool's evaporation is not modelled",
            )
            return
        pv = min(pv, 0.99 * constant("standard_atmosphere"))  # at its boiling point: boiling (capped)
        diameter = _pool_diameter_m(rel.mass_kg, rho)
        u = _num("pool_evaporation_wind_speed")
        cold = pool_k if pool_k < _num("ambient_temperature") + 273.15 else None
        pool = EvaporatingPool(diameter, pv, props.molar_mass_g_per_mol, pool_k, rel.mass_kg,
                               _num("max_release_duration"), _num("release_height"), None, cold)
        at_u = pool.at(Weather("D", u))
        rate, duration = at_u.rate_kg_s, at_u.duration_s
        note = (f"toxic pool of {diameter:.3g} m (spill {rel.release_type}) at {pool_k - 273.15:.3g} °C evaporating "
                f"{rate:.4g} kg/s for {duration:.4g} s at {u:g} m/s ({_evaporation_note(u)}; "
                f"P_v {pv / 1000:.3g} kPa"
                + ("; boiling pool without ground heat conduction" if pool_k >= tb_k else "") + ")")
        source = _Release(False, rate * duration, rate, duration, note, source_temperature_k=cold,
                          terrain=rel.terrain, pool=pool)
        cloud = ToxicCloud(probit, source.model, props.molar_mass_g_per_mol, pool_k, terrain=rel.terrain)
        self.probits_used.add(probit.key)
        self.add(dataclasses.replace(case, release=source), cloud, "toxic", "toxic_pool_evaporation", 1.0,
                 [f"toxic probit {probit.key} ({probit.table.value}); the pool's vapour is the continuous source"])

    def evaporation(
        self, fire: PoolFire, props: _Props, t_k: float, mass_kg: float
    ) -> tuple[EvaporatingPool, str] | None:
        """The pool's vapour source (Mackay–Matsugu at each weather class's wind) and a note; None without
        vapour pressure, LFL or molar mass."""
        if props.lfl_vol_pct is None or props.molar_mass_g_per_mol is None:
            return None
        pv = _vapour_pressure_pa(props, t_k)
        if pv is None or pv <= 0:
            return None
        pv = min(pv, 0.99 * constant("standard_atmosphere"))  # a pool above its boiling point: boiling (capped)
        u = _num("pool_evaporation_wind_speed")
        rate = pool_evaporation_rate_kg_s(fire.pool_diameter_m, pv, props.molar_mass_g_per_mol / 1000.0, t_k, u)
        if rate <= 0:
            return None
        pool = EvaporatingPool(fire.pool_diameter_m, pv, props.molar_mass_g_per_mol, t_k, mass_kg,
                               _num("max_release_duration"), _num("release_height"))
        duration = pool.at(Weather("D", u)).duration_s
        note = (f"pool evaporation {rate:.4g} kg/s for {duration:.4g} s at {u:g} m/s ({_evaporation_note(u)}; "
                f"P_v {pv / 1000:.3g} kPa)")
        return pool, note


def _evaporation_note(u_m_s: float) -> str:
    """How an evaporating pool's rate is stated on its rows (the row's rate is at the reference wind ``u_m_s``)."""
    a = constant("scenario_pool_evaporation_wind_exponent")
    return (f"Mackay–Matsugu; the clouds evaporate at each weather class's own 10 m wind, rate ∝ u^{a:.3g}: "
            f"at 1.5 m/s {(1.5 / u_m_s) ** a:.2f} ×, at 9 m/s {(9.0 / u_m_s) ** a:.2f} × this")


def _pool_diameter_m(mass_kg: float, rho_kg_m3: float) -> float:
    """Diameter (m) of ``mass_kg`` spilled unconfined at ``pool_depth``, capped at ``pool_max_diameter``."""
    area = mass_kg / rho_kg_m3 / _num("pool_depth")
    return min(math.sqrt(4.0 * area / math.pi), _num("pool_max_diameter"))


def _then_box(outcome: ThenPoolFire, weather: Weather) -> Any:
    """The outcome's reach box, from the cache the footprint and envelope read too (computed once)."""
    from geo_risk.risk.lethality import _cached_box

    return _cached_box(outcome, weather)


@dataclass(frozen=True)
class ThenPoolFire:
    """A delayed-ignition outcome of a K1 pool's vapour cloud, then the pool fire: one event.

    Lethality 1 − (1 − P_first)(1 − P_pool) (outdoor, unprotected: the IR convention); ``kind`` and
    ``directional`` are those of ``first`` (the flash fire or the explosion); ``parts`` names both
    for the caller that treats effects apart (e.g. indoor factors per effect).
    """

    first: Outcome
    pool: PoolFire

    @property
    def kind(self) -> str:
        return self.first.kind

    @property
    def parts(self) -> tuple[Outcome, PoolFire]:
        return (self.first, self.pool)

    @property
    def directional(self) -> bool:
        return bool(self.first.directional)

    def lethality(self, dx_downwind_m: Any, dy_crosswind_m: Any, weather: Weather) -> Any:
        """1 − (1 − P_first)(1 − P_pool) at (dx, dy) m in the wind frame."""
        a = self.first.lethality(dx_downwind_m, dy_crosswind_m, weather)
        b = self.pool.lethality(dx_downwind_m, dy_crosswind_m, weather)
        return 1.0 - (1.0 - a) * (1.0 - b)

    def effects(
        self, dx_downwind_m: Any, dy_crosswind_m: Any, weather: Weather, indoor_factors: Any = None
    ) -> tuple[Any, Any, Any]:
        """(P_E, FE_in, FE_out) of the two effects combined as independent: 1 − (1 − a)(1 − b) each.

        Each part's own ``effects`` when it has one (indoor/outdoor rules per effect), else its
        lethality for all three.
        """
        out = []
        for part in (self.first, self.pool):
            fn = getattr(part, "effects", None)
            if fn is None:
                p = part.lethality(dx_downwind_m, dy_crosswind_m, weather)
                out.append((p, p, p))
            else:
                out.append(fn(dx_downwind_m, dy_crosswind_m, weather, indoor_factors))
        return tuple(1.0 - (1.0 - a) * (1.0 - b) for a, b in zip(out[0], out[1], strict=True))  # type: ignore[return-value]

    def _box(self, weather: Weather) -> Any:
        from geo_risk.risk.lethality import FAST_BOX

        return reach_box_m(lambda dx, dy: self.lethality(dx, dy, weather), constant("lethality_floor"),
                           directional=self.directional, **(FAST_BOX if self.directional else {}))

    def _peak_lethality(self, peak: Any, weather: Weather) -> Any:
        return peak  # the sampled field is the lethality itself

    def max_distance_m(self, weather: Weather) -> float:
        """Distance (m) beyond which both lethalities are below ``lethality_floor``."""
        return float(_then_box(self, weather).reach)

    def flags(self, weather: Weather) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.first.flags(weather), *self.pool.flags(weather))))


def _fireball_sep_w_m2(mass_kg: float, props: _Props, p_abs_pa: float) -> float:
    """Fireball SEP (W/m²): Roberts F_s·M·ΔH_c/(π D² t_d), F_s = 0.27·P^0.32 (P in MPa abs), kept in the band."""
    lo, hi = constant("fireball_sep_min"), constant("fireball_sep_max")
    if not props.heat_of_combustion_j_kg:
        return constant("fireball_sep_default")
    f_s = constant("fireball_sep_roberts_coefficient") * (p_abs_pa / 1e6) ** constant("fireball_sep_roberts_exponent")
    d, t = fireball_diameter_m(mass_kg), fireball_duration_s(mass_kg)
    sep = f_s * mass_kg * props.heat_of_combustion_j_kg / (math.pi * d * d * t)
    return min(max(sep, lo), hi)


def _flash(rel: _Release, props: _Props) -> FlashFire | None:
    """Flash fire of the release's cloud (LFL footprint); None without the LFL or the molar mass."""
    if props.lfl_vol_pct is None or props.molar_mass_g_per_mol is None:
        return None
    return FlashFire(rel.model, props.lfl_vol_pct, props.molar_mass_g_per_mol, terrain=rel.terrain)


def _with_cloud_source(rel: _Release, unit: Mapping[str, Any], phase: str, props: _Props, t_k: float) -> _Release:
    """The release's cloud for the dispersion models: a flashing liquefied gas keeps its aerosol (mixture
    density at T_b, :func:`geo_risk.risk.dense_gas.flashing_source`); the unit's ``dispersion_terrain``."""
    from geo_risk.risk.dense_gas import flashing_source

    notes = [rel.note] if rel.note else []
    terrain = _text(unit.get("dispersion_terrain"))
    if terrain is not None:
        notes.append(f"dispersion terrain {_text(unit.get('dispersion_terrain_note')) or terrain}")
    density = temperature = None
    if (phase == "liquefied_pressurized" and props.boiling_point_c is not None and props.molar_mass_g_per_mol
            and props.liquid_heat_capacity_j_kg_k and props.heat_of_vaporisation_j_kg
            and props.liquid_density_20c_kg_m3):
        src = flashing_source(t_k, props.boiling_point_c + 273.15, props.liquid_heat_capacity_j_kg_k,
                              props.heat_of_vaporisation_j_kg, props.molar_mass_g_per_mol,
                              props.liquid_density_20c_kg_m3)
        density, temperature = src.density_kg_m3, src.temperature_k
        notes.append(src.note)
    elif phase == "liquefied_refrigerated" and props.boiling_point_c is not None:
        temperature = props.boiling_point_c + 273.15  # the boil-off vapour is at T_b
    return dataclasses.replace(rel, note="; ".join(notes), source_density_kg_m3=density,
                               source_temperature_k=temperature, terrain=terrain)


def _k_class(props: _Props, t_k: float, codes: tuple[str, ...]) -> tuple[str, str]:
    """Table 4.5 liquid category and why (flash point, or W5 code when no flash point)."""
    fp = props.flash_point_c
    if fp is not None:
        if _num("k1_when_above_flash_point") and t_k - 273.15 >= fp:
            return "k1_liquid", f"handled at or above its flash point {fp:g} °C"
        if fp < _num("k1_max_flash_point"):
            return "k1_liquid", f"flash point {fp:g} °C"
        if fp <= _num("k2_max_flash_point"):
            return "k2_liquid", f"flash point {fp:g} °C"
        return "k3_k4_liquid", f"flash point {fp:g} °C"
    rank = {c: i for i, c in enumerate(_K_CATEGORIES)}
    found = [K_CLASS_BY_CODE[c] for c in codes if c in K_CLASS_BY_CODE]
    if not found:
        return "k1_liquid", "no flash point and no W5 code: K1 (conservative)"
    best = min(found, key=rank.__getitem__)
    return best, f"no flash point tabulated; from {';'.join(c for c in codes if c.startswith('W5'))}"


def _cas_numbers(res: Any, item_cas: str | None) -> tuple[str, ...]:
    """Every CAS number the substance is known by: Table 1 basis, Table 1 row, the item's, the basis of 煤气."""
    out: list[str] = []
    if res.substance is not None:
        if res.substance.properties is not None:
            out.append(res.substance.properties.cas)
        out += list(res.substance.cas)
    if item_cas:
        out.append(item_cas)
        extra = _release_properties().get(item_cas)
        if extra is not None and extra.get("basis_cas"):
            out.append(extra["basis_cas"])
    return tuple(dict.fromkeys(c for c in out if c))


def _vessels(item: _Item, quantity_t: float) -> float | None:
    """Set ``item.vessels`` by rule 1 and return one vessel's contents (t); None (a problem) if impossible."""
    raw_n, raw_c = item.rec.get("vessel_count"), item.rec.get("vessel_capacity_t")
    n, cap = _number(raw_n), _number(raw_c)
    if (not _missing(raw_n) and (n is None or n < 1 or n != math.floor(n))) or (
        not _missing(raw_c) and (cap is None or cap <= 0 or not math.isfinite(cap))
    ):
        item.problem(
            f"容器数{restricted(f' {raw_n!r}')}或单个容器容量{restricted(f' {raw_c!r} t')}无效，未建模",
            f"vessel_count{restricted(f' {raw_n!r}')} must be a whole number ≥ 1 and vessel_capacity_t"
            f"{restricted(f' {raw_c!r} t')} a number > 0: not modelled",
        )
        return None
    if n is None and cap is None:
        count = int(_num("default_vessel_count"))
        item.default("vessel_count", count, "model_constants.csv scenario_default_vessel_count (neither vessel_count "
                     "nor vessel_capacity_t given: the whole quantity in one vessel)")
    elif n is None:
        count = max(1, math.ceil(quantity_t / float(cap) - 1e-9))  # type: ignore[arg-type]
        item.default("vessel_count", restricted(str(count), "⌈q / capacity⌉"),
                     "vessel_count = ⌈max_quantity_t / vessel_capacity_t⌉")
    else:
        count = int(n)
        if cap is not None and count * cap < quantity_t * (1 - 1e-9):
            item.problem(
                f"容器数 × 单个容器容量{restricted(f' {count} × {cap:g} t')} 小于最大存量"
                f"{restricted(f' {quantity_t:g} t')}，未建模",
                f"vessel_count × vessel_capacity_t{restricted(f' = {count} × {cap:g} t')} is less than "
                f"max_quantity_t{restricted(f' {quantity_t:g} t')}: the quantity does not fit, not modelled",
            )
            return None
    item.vessels = count
    contents = quantity_t / count
    if cap is not None:  # the vessel that fails is full (at the fill fraction), however the rest is shared
        fill = _num("vessel_fill_fraction")
        contents = max(contents, min(fill * float(cap), quantity_t))
        item.default("vessel_contents", restricted(f"{contents:g} t", "one full vessel"),
                     "model_constants.csv scenario_vessel_fill_fraction: the failing vessel holds "
                     "min(fill fraction × vessel_capacity_t, max_quantity_t), at least max_quantity_t / n")
    if count > 1:
        item.notes.append(f"{restricted(f'{count} vessels', 'several vessels')}: LOCs per vessel, consequences of "
                          f"one {'full ' if cap is not None else ''}vessel's contents, frequencies × the count "
                          "(lumped at the unit's position)")
    return contents


def _loc_equipment(unit: Mapping[str, Any], phase: str) -> tuple[str | None, str, bool]:
    """(LOC set key or 'not_modelled', the rule's note, whether the phase default was applied)."""
    equipment = _text(unit.get("equipment")) or ""
    containment = _text(unit.get("containment")) or ""
    if equipment:
        for want in ((equipment, containment), (equipment, "")):
            for r in EQUIPMENT_RULES:
                if (r.equipment, r.containment) == want and not r.phase:
                    return r.loc_equipment, r.note, False
        return None, f"equipment {equipment!r} is not in EQUIPMENT_RULES", False
    for r in EQUIPMENT_RULES:
        if not r.equipment and r.phase == phase:
            return r.loc_equipment, r.note, True
    return None, f"no default equipment for phase {phase!r}", True


# =============================================================================================
# Entry point
# =============================================================================================

_REQUIRED_INVENTORY = ("unit_id", "chemical", "max_quantity_t")


def _rules_text() -> list[str]:
    doc = __doc__ or ""
    body = doc.split("---------------------------------------------------------------\n", 1)[-1]
    body = body.split("\nEvery event frequency", 1)[0]
    items: list[str] = []
    for line in body.splitlines():
        s = line.strip()
        if not s:
            continue
        if s[0].isdigit() and ". " in s[:4]:
            items.append(s)
        elif items:
            items[-1] += " " + s
    return items


def build_scenarios(
    units: pd.DataFrame, inventory: pd.DataFrame, positions: Mapping[str, tuple[float, float]]
) -> ScenarioSet:
    """Loss-of-containment scenarios and event trees of every inventory item, as grid sources.

    Parameters
    ----------
    units : pandas.DataFrame
        Index unit id; ``equipment``, ``containment``, ``unit_type``, ``operating_temperature_c``
        (°C), ``operating_pressure_mpa`` (MPa, read as gauge), ``name``, ``enterprise_id`` (missing
        columns count as empty).
    inventory : pandas.DataFrame
        ``unit_id``, ``chemical``, ``max_quantity_t`` (t) required; ``id``, ``cas``, ``table1_seq``,
        ``hazard_categories``, ``state``, ``temperature_c`` (°C), ``pressure_mpa`` (MPa) optional.
        An item without ``id`` is ``"<unit_id>/<n>"``, n counting the unit's rows from 1.
    positions : Mapping
        Unit id → (x, y) in metres of a projected CRS (the caller's; the grid must use the same).

    Returns
    -------
    ScenarioSet
        Sources (one per modelled item), the event table, the assumptions and the problems. The
        rules are in the module docstring.

    Raises
    ------
    InvalidInput
        ``inventory`` lacks a required column, or ``units`` / ``inventory`` is not a DataFrame.
    """
    for name, frame in (("units", units), ("inventory", inventory)):
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInput(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    absent = [c for c in _REQUIRED_INVENTORY if c not in inventory.columns]
    if absent:
        raise InvalidInput(f"inventory lacks column(s) {', '.join(absent)}; required: {', '.join(_REQUIRED_INVENTORY)}")
    sources: list[Source] = []
    rows: list[dict[str, object]] = []
    problems: list[str] = []
    defaults: list[dict[str, object]] = []
    locs_used: set[tuple[str, str]] = set()
    ignition_used: set[str] = set()
    probits_used: set[str] = set()
    tables_used: set[str] = set()
    counters: dict[str, int] = {}
    unit_records = {str(k): v for k, v in units.to_dict("index").items()}
    for rec in inventory.to_dict("records"):
        uid = str(rec["unit_id"])
        counters[uid] = counters.get(uid, 0) + 1
        iid = _text(rec.get("id")) or f"{uid}/{counters[uid]}"
        item = _Item(uid, iid, rec, unit_records.get(uid, {}))
        position = positions.get(uid, positions.get(rec["unit_id"]))
        _build_item(item, uid in unit_records, position)
        problems += item.problems
        defaults += item.defaults
        locs_used |= item.locs_used
        ignition_used |= item.ignition_used
        probits_used |= item.probits_used
        tables_used |= item.tables_used
        if item.events and position is not None:
            x, y = position
            for k, row in enumerate(item.rows):
                rows.append({**row, "source_index": len(sources), "event_index": k})
            sources.append(Source(float(x), float(y), tuple(item.events), name=f"{uid}/{iid}"))
    scenarios = pd.DataFrame.from_records(rows, columns=list(SCENARIO_COLUMNS))
    return ScenarioSet(sources, scenarios, _assumptions(defaults, locs_used, ignition_used, probits_used, tables_used),
                       problems)


def _build_item(item: _Item, unit_known: bool, position: tuple[float, float] | None) -> None:
    """Fill ``item`` with events or problems (never raises for bad data: it reports)."""
    if not unit_known:
        item.problem("所属单元不在单元表中，未建模", "its unit is not in the units table, not modelled")
        return
    if position is None or len(position) != 2 or not all(math.isfinite(float(v)) for v in position):
        item.problem("单元无坐标，未建模", "its unit has no position (x, y in metres), not modelled")
        return
    quantity_t = _number(item.rec.get("max_quantity_t"))
    if quantity_t is None or quantity_t <= 0:
        item.problem(
            f"最大存量{restricted(f' {quantity_t!r} t')} 不大于 0，无泄漏量",
            f"max_quantity_t{restricted(f' {quantity_t!r} t')} is not > 0: nothing to release",
        )
        return
    per_vessel_t = _vessels(item, quantity_t)
    if per_vessel_t is None:
        return
    seq = _number(item.rec.get("table1_seq"))
    item_cas = _cas(item.rec.get("cas"))
    try:
        res = resolve(
            _text(item.rec.get("chemical")),
            item_cas,
            int(seq) if seq is not None else None,
            _text(item.rec.get("hazard_categories")),
        )
    except GeoRiskError as exc:
        item.problem(f"物质无法识别：{exc}", f"substance not resolved: {exc}")
        return
    codes = res.codes
    item.cas_numbers = _cas_numbers(res, item_cas)
    if SUBSTANCE_ROLES.explosive_codes & set(codes):
        item.problem(
            "爆炸物（W1）：GB/T 37243 采用事故后果法，不在此作定量风险评价",
            "explosive (W1): GB/T 37243 uses the consequence method (clause 5), not QRA'd here",
        )
        return
    props = _props_for(res, item_cas)
    t_k, p_abs = item.conditions()
    phase = item.phase(props, t_k, p_abs)
    if phase is None:
        return
    if phase == "solid":
        item.problem("固体：无泄漏场景模型，未建模", "solid: no loss-of-containment model for solids, not modelled")
        return
    probit = _probit_for(res, item_cas)
    toxic_coded = any(c.startswith("J") for c in codes) or res.table3_beta is not None
    flammable_gas = "W2" in codes
    flammable_liquid = any(c.startswith("W5") for c in codes)
    if flammable_gas and phase == "liquid":
        phase = "liquefied_refrigerated"
        item.notes.append("flammable gas (W2) declared liquid: treated as a refrigerated liquefied gas")
    do_toxic = probit is not None and phase in _GASLIKE
    toxic_pool = probit is not None and phase in ("liquid", "liquefied_refrigerated")
    if probit is None and toxic_coded:
        item.problem(
            f"有毒物质（{';'.join(codes)}）在 Set A 中无概率函数，毒性分支未建模",
            f"toxic substance ({';'.join(codes)}) without a Set A probit: toxic branch not modelled",
        )
    fire = "none"
    if flammable_gas or flammable_liquid:
        fire = "gas" if phase in _GASLIKE or phase == "liquefied_refrigerated" else "pool"
    if not (do_toxic or toxic_pool) and fire == "none":
        if not (toxic_coded or probit is not None):
            item.problem(
                f"类别 {';'.join(codes) or '无'} 无定量风险评价后果模型（仅建模有毒和易燃物质），未建模",
                f"categories {';'.join(codes) or 'none'}: no QRA outcome model (only toxic and flammable "
                "substances are modelled), not modelled",
            )
        return
    if props is None:
        item.problem("无物性数据，未建模", "no physical properties in the tables, not modelled")
        return
    loc_equipment, map_note, defaulted = _loc_equipment(item.unit, phase)
    if defaulted and loc_equipment not in (None, "not_modelled"):
        item.default("equipment", loc_equipment, f"EQUIPMENT_RULES phase default: {map_note}")
    if loc_equipment in (None, "not_modelled"):
        item.problem(
            f"设备类型无泄漏场景（{map_note}），未建模", f"no LOC set for the equipment ({map_note}), not modelled"
        )
        return
    item.notes.append(f"LOC set {loc_equipment}; one containment at the unit's position (no piping or loading)")
    item.notes.append(f"properties: {props.basis}")
    mass_kg = per_vessel_t * 1000.0
    for loc in (r for r in _loc_rows() if r.equipment == loc_equipment and r.frequency_unit == "per_year"):
        generic = _GENERIC_LOC.get(loc.loc_code, loc.loc_code)
        rel = item.release(generic, loc, mass_kg, phase, props, t_k, p_abs)
        if rel is None:
            continue
        rel = _with_cloud_source(rel, item.unit, phase, props, t_k)
        case = _Case(loc, generic, rel, phase, loc_equipment)
        if do_toxic and probit is not None:
            cloud_k = None  # cloud temperature for the dense-gas flag: a flashing liquefied gas is at T_b
            if phase == "liquefied_pressurized" and props.boiling_point_c is not None:
                cloud_k = props.boiling_point_c + 273.15
            cloud = ToxicCloud(probit, rel.model, props.molar_mass_g_per_mol, cloud_k, terrain=rel.terrain)
            item.probits_used.add(probit.key)
            airborne = f"toxic probit {probit.key} ({probit.table.value}); whole release airborne (no rain-out)"
            item.add(case, cloud, "toxic", "toxic", 1.0, [airborne])
        elif toxic_pool and probit is not None:
            item.toxic_pool(case, props, probit, t_k)
        if fire == "gas":
            item.gas_fire_tree(case, props)
        elif fire == "pool":
            item.pool_fire_tree(case, props, t_k, codes)


_TREE_CONSTANTS = ("delayed_ignition_flash_fire_fraction", "delayed_ignition_explosion_fraction", "tnt_yield_default")


def _assumptions(
    defaults: list[dict[str, object]], locs_used: set[tuple[str, str]], ignition_used: set[str], probits_used: set[str],
    tables_used: set[str] | None = None,
) -> dict[str, object]:
    """The run's metadata: rules, scenario constants with status, UNCONFIRMED rows used, defaults, digests."""
    params = load_parameters()
    scenario_constants = {k: c for k, c in params.constants.items() if k.startswith("scenario_")}
    unconfirmed: list[str] = []
    for loc in _loc_rows():
        if (loc.equipment, loc.loc_code) in locs_used and loc.status == "UNCONFIRMED":
            unconfirmed.append(f"LOC frequency {loc.equipment}/{loc.loc_code} = {loc.frequency:g} /a (UNCONFIRMED)")
    for c in scenario_constants.values():
        if c.status == "UNCONFIRMED" and not c.key.startswith("scenario_process_vessel_"):
            unit = f" {c.unit}" if c.unit else ""
            unconfirmed.append(f"model_constants.csv {c.key} = {c.value:g}{unit} (UNCONFIRMED: {c.source})")
    for category in sorted(ignition_used):
        bands = [b for b in params.ignition_bands if b.category == category and b.status == "UNCONFIRMED"]
        if bands:
            values = ", ".join(f"{b.release_type} {b.probability:g}" for b in bands)
            unconfirmed.append(f"direct_ignition.csv {category}: {values} (UNCONFIRMED)")
    unconfirmed += sorted(tables_used)
    unconfirmed += [
        "EQUIPMENT_RULES: every equipment → LOC set mapping (UNCONFIRMED project choice)",
        f"GAS_REACTIVITY_DEFAULT = {GAS_REACTIVITY_DEFAULT} for gases not in gas_reactivity.csv (UNCONFIRMED)",
        "K_CLASS_BY_CODE: K class from the W5 code when no flash point is tabulated (UNCONFIRMED)",
        f"{'/'.join(RELEASE_PROPERTIES_FILE)}: physical data from one library (C1), some by COSTALD / Alibakhshi; "
        "liquid heat capacities of several liquefied gases by the Rowlinson-Poling estimate or read up to 5 K "
        "outside Perry's fitted range (rows of version 2)",
    ]
    return {
        "method": "simplified QRA: Purple Book LOCs and event trees (qra-method.md §2, §3, §7)",
        "rules": _rules_text(),
        "scenario_constants": {
            k: {"value": c.value, "unit": c.unit, "status": c.status, "note": c.note}
            for k, c in scenario_constants.items()
        },
        "equipment_rules": [dataclasses.asdict(r) for r in EQUIPMENT_RULES],
        "gas_reactivity_default": GAS_REACTIVITY_DEFAULT,
        "gas_reactivity_and_outcome_rows_used": sorted(tables_used or ()),
        "k_class_by_code": dict(K_CLASS_BY_CODE),
        "toxic_probit_table": TOXIC_PROBIT_TABLE.value,
        "toxic_probits_used": {k: params.toxic_set_a[k].status for k in sorted(probits_used)},
        "direct_ignition_categories_used": sorted(ignition_used),
        "event_tree_fractions": {
            k: {"value": params.constants[k].value, "status": params.constants[k].status}
            for k in _TREE_CONSTANTS
        },
        "consequence_model_constants": "see geo_risk.risk.parameters.model_metadata() (exposure caps, lethality rules)",
        "defaults_applied": defaults,
        "unconfirmed": unconfirmed,
        # the far field of a dense cloud (issue 13): stated on every run, with its tag
        "dense_gas_far_field": {"rule": f"passive Gaussian from a virtual source matched on the centreline "
                                        f"concentration at the Britter–McQuaid transition; {FAR_FIELD_CHOICE}",
                                "status": "CHOICE", "reference": "docs/standards/dense-gas-and-puffs.md §1.7a"},
        # the toxic load of a dense puff at its passive handover (issue 13, model 2.6.0)
        "dense_gas_puff_load_handover": {"rule": PUFF_LOAD_MATCH, "status": "CHOICE",
                                         "reference": "docs/standards/dense-gas-and-puffs.md §1.7c"},
        # a dense release of finite duration between plume and puff (issue 13, model 2.5.0)
        "dense_gas_finite_release": {"rule": FINITE_RELEASE_RULE, "status": "CHOICE (2.5: C1; 0.6: UNCONFIRMED)",
                                     "reference": "docs/standards/dense-gas-and-puffs.md §1.2a"},
        "model_version": MODEL_VERSION,
        "parameters_sha256": parameters_digest(),
        "release_properties_sha256": hashlib.sha256(_release_text().encode("utf-8")).hexdigest(),
    }
