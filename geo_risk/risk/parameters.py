"""Every number the consequence models take from a reference, loaded from versioned data files.

The numbers live in ``geo_risk/risk/data/*.csv``, one table per concept, never in the model code.
Each row carries its ``source``, the ``reference`` (table or equation), a ``status`` —
``"C2"`` (two or more independent sources), ``"C1"`` (one source) or ``"UNCONFIRMED"`` (recalled,
or a project choice) — a ``note`` and the row ``version``. The reference notes are
docs/standards/qra-method.md (§2–§6) and docs/standards/gbt37243-2019.md.

Tables
------
=============================  ==================================================================
``toxic_probits_set_a.csv``    Set A, TNO Purple Book Table 5.2: Pr = a + b ln(Cⁿ t), C in mg/m³,
                               t in min.
``toxic_probits_set_b.csv``    Set B, Lees (2005) / HSE OSD/30 Table 2: C in ppm, t in min. The two
                               sets are separate tables and are never mixed: a constant carries
                               its concentration unit and :mod:`geo_risk.risk.probits` converts
                               the exposure to that unit or refuses.
``heat_probits.csv``           Pr = a + b ln(f · q^{4/3} t), q in W/m², t in s (Eisenberg,
                               Tsao & Perry — the default, the Purple Book's —, TNO, Lees with and
                               without the 0.5 factor).
``overpressure_probits.csv``   P in Pa, impulse i in Pa·s (Eisenberg and HSE lung haemorrhage,
                               TNO head impact and structural collapse).
``briggs_sigma.csv``           σ = a·x·(1 + b·x)^e, x in m; rural and urban (urban E–F σz with
                               b = 0.0015).
``puff_sigma.csv``             CCPS puff σ = a·x^b (σx = σy), x in m.
``wind_profile_exponents.csv`` Irwin power-law exponents p, rural and urban.
``direct_ignition.csv``        Purple Book Table 4.5 with band edges (middle band closed at both
                               ends).
``loc_frequencies.csv``        Purple Book LOC base frequencies (all UNCONFIRMED).
``hole_sizes.csv``             AQ/T 3046 hole-size scheme (UNCONFIRMED).
``weather_classes.csv``        The six Purple Book weather classes (UNCONFIRMED).
``model_constants.csv``        Scalars: lethality rules, exposure caps, fireball, TNT, pool and jet
                               fire, dense-gas thresholds, physical constants, project choices.
``britter_mcquaid.csv``        Britter–McQuaid dense-gas correlations (CCPS 1999 digitisation, C2), read
                               by :mod:`geo_risk.risk.dense_gas`.
``dispersion_constants.csv``   Britter–McQuaid geometry, finite-puff spread, the distance limit and the
                               urban/rural land-use rule, read by :mod:`geo_risk.risk.dispersion`.
``gas_reactivity.csv``         Purple Book reactivity list: the flammable gases of LOW reactivity
                               (Table 4.5's low row); every other gas takes the average/high row
                               (all UNCONFIRMED: the list is recalled).
``outcome_capability.csv``     Outcomes a substance cannot produce (ammonia: no BLEVE fireball, no
                               explosion) and the outcome its branch goes to instead (UNCONFIRMED).
=============================  ==================================================================

:func:`unconfirmed_values` lists every UNCONFIRMED row (for the README and result metadata);
:data:`MODEL_VERSION` and :func:`parameters_digest` identify the model and data used.

This module also holds the small input checks the sibling modules share (``_as_float_array``,
``_check_*``), so that every model raises the same :class:`~geo_risk.errors.InvalidInput` messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

import numpy as np

from geo_risk.errors import InvalidInput, UnknownSubstance

__all__ = [
    "MODEL_VERSION",
    "STABILITY_CLASSES",
    "TERRAINS",
    "STATUSES",
    "Constant",
    "ToxicProbitTable",
    "ToxicProbit",
    "HeatProbit",
    "OverpressureProbit",
    "BriggsCoefficients",
    "PuffSigmaCoefficients",
    "WindProfileExponent",
    "IgnitionBand",
    "LocFrequency",
    "HoleSize",
    "WeatherClassRow",
    "GasReactivity",
    "OutcomeCapability",
    "RiskParameters",
    "UnconfirmedValue",
    "UnknownProbitSubstance",
    "load_parameters",
    "constant",
    "toxic_probit_constants",
    "heat_probit_constants",
    "overpressure_probit_constants",
    "briggs_coefficients",
    "puff_sigma_coefficients",
    "wind_profile_exponent",
    "direct_ignition_probability",
    "gas_reactivity",
    "outcome_capability",
    "unconfirmed_values",
    "parameters_digest",
    "model_metadata",
]

#: Version of the consequence models and their parameter tables; goes into every result's metadata.
MODEL_VERSION = ("geo_risk.risk consequence models 2.6.0 (data tables v3, issue 13; toxic liquid pools evaporate; "
                 "liquefied gases flash with aerosol; a vessel of stated capacity fails full; pools evaporate at "
                 "each weather class's wind; a finite dense release blends plume and puff continuously; a dense "
                 "puff's toxic load is continuous at its passive handover)")

STABILITY_CLASSES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
"""Pasquill stability classes, A (very unstable) to F (stable)."""
TERRAINS: tuple[str, ...] = ("rural", "urban")
STATUSES: tuple[str, ...] = ("C2", "C1", "UNCONFIRMED")

_TABLE_FILES = (
    "toxic_probits_set_a.csv",
    "toxic_probits_set_b.csv",
    "heat_probits.csv",
    "overpressure_probits.csv",
    "briggs_sigma.csv",
    "puff_sigma.csv",
    "wind_profile_exponents.csv",
    "direct_ignition.csv",
    "loc_frequencies.csv",
    "hole_sizes.csv",
    "weather_classes.csv",
    "model_constants.csv",
    "gas_reactivity.csv",
    "outcome_capability.csv",
    "britter_mcquaid.csv",
    "dispersion_constants.csv",
    "population_constants.csv",  # geo_risk.risk.population (societal-risk population, sector smoothing)
    "presence_fractions.csv",  # geo_risk.risk.population (presence by kind of place)
)


class UnknownProbitSubstance(InvalidInput, UnknownSubstance):
    """No toxic probit for this substance in the requested table (an :class:`InvalidInput`)."""


# =============================================================================================
# Row types
# =============================================================================================


@dataclass(frozen=True)
class Constant:
    """One scalar of ``model_constants.csv``: ``value`` in ``unit``."""

    key: str
    value: float
    unit: str
    source: str
    reference: str
    status: str
    note: str
    version: str


class ToxicProbitTable(StrEnum):
    """The two toxic probit tables; their unit conventions are incompatible and never mixed.

    ``SET_A_PURPLE_BOOK``: TNO Purple Book Table 5.2, concentration in **mg/m³**, time in **min**.
    ``SET_B_LEES_OSD30``: Lees (2005) as printed in HSE OSD/30 Table 2, concentration in **ppm**
    (by volume), time in **min**.
    """

    SET_A_PURPLE_BOOK = "set_a_purple_book_mg_m3_min"
    SET_B_LEES_OSD30 = "set_b_lees_osd30_ppm_min"


@dataclass(frozen=True)
class ToxicProbit:
    """Pr = a + b·ln(Cⁿ·t) with C in ``concentration_unit`` (``"mg/m3"`` or ``"ppm"``), t in min."""

    key: str
    name_zh: str
    name_en: str
    cas: str
    gb18218_seq: int | None
    a: float
    b: float
    n: float
    concentration_unit: Literal["mg/m3", "ppm"]
    time_unit: Literal["min"]
    table: ToxicProbitTable
    source: str
    reference: str
    status: str
    note: str
    version: str


@dataclass(frozen=True)
class HeatProbit:
    """Pr = a + b·ln(dose_factor · q^{4/3} · t), q in W/m², t in s."""

    key: str
    a: float
    b: float
    dose_factor: float
    source: str
    reference: str
    status: str
    note: str
    version: str


@dataclass(frozen=True)
class OverpressureProbit:
    """Coefficients of one overpressure probit (P in Pa, impulse in Pa·s); form per ``key``."""

    key: str
    coefficients: Mapping[str, float]
    source: str
    reference: str
    status: str
    note: str


@dataclass(frozen=True)
class BriggsCoefficients:
    """Briggs (1973) plume σ = a·x·(1 + b·x)^exponent, x and σ in m."""

    terrain: str
    stability: str
    axis: Literal["y", "z"]
    a: float
    b: float
    exponent: float
    status: str


@dataclass(frozen=True)
class PuffSigmaCoefficients:
    """CCPS puff σ = a·x^b, x (distance travelled by the puff centre) and σ in m."""

    stability: str
    axis: Literal["xy", "z"]
    a: float
    b: float
    status: str


@dataclass(frozen=True)
class WindProfileExponent:
    """Power-law exponent p of u(z) = u₁₀·(z / 10 m)^p."""

    terrain: str
    stability: str
    p: float
    status: str


@dataclass(frozen=True)
class IgnitionBand:
    """One cell of Purple Book Table 4.5: probability of direct ignition for amounts in the band.

    ``lower``/``upper`` in ``amount_unit`` (kg/s for continuous releases, kg for instantaneous
    ones); ``lower_closed``/``upper_closed`` say whether the edge belongs to the band.
    """

    category: str
    release_type: Literal["continuous", "instantaneous"]
    lower: float
    upper: float
    lower_closed: bool
    upper_closed: bool
    amount_unit: str
    probability: float
    status: str
    note: str

    def contains(self, amount: float) -> bool:
        """Whether ``amount`` (in ``amount_unit``) falls in this band."""
        above = amount >= self.lower if self.lower_closed else amount > self.lower
        below = amount <= self.upper if self.upper_closed else amount < self.upper
        return above and below


@dataclass(frozen=True)
class LocFrequency:
    """A loss-of-containment base frequency (UNCONFIRMED); unit per year, per metre·year or per hour."""

    equipment: str
    loc_code: str
    loc_name: str
    hole_diameter_mm: float | None
    frequency: float
    frequency_unit: Literal["per_year", "per_metre_year", "per_hour_of_use"]
    status: str
    note: str


@dataclass(frozen=True)
class HoleSize:
    """AQ/T 3046 hole-size class (UNCONFIRMED): diameters in mm."""

    key: str
    name_zh: str
    name_en: str
    min_mm: float
    max_mm: float
    representative_mm: float | None
    status: str


@dataclass(frozen=True)
class WeatherClassRow:
    """A Purple Book representative weather class (UNCONFIRMED): stability and 10 m wind in m/s."""

    label: str
    stability: str
    wind_speed_10m_m_s: float
    status: str


@dataclass(frozen=True)
class GasReactivity:
    """A flammable gas's Purple Book reactivity class (``"low"``), by CAS number (UNCONFIRMED list)."""

    cas: str
    name_zh: str
    name_en: str
    reactivity: Literal["low", "average_high"]
    status: str
    source: str
    note: str

    @property
    def ignition_category(self) -> str:
        """The ``direct_ignition.csv`` category of this class."""
        return "gas_low_reactivity" if self.reactivity == "low" else "gas_average_high_reactivity"


@dataclass(frozen=True)
class OutcomeCapability:
    """Whether a substance (CAS) can produce an outcome kind; if not, the kind its branch takes ``instead``."""

    cas: str
    name_en: str
    outcome: str
    possible: bool
    instead: str
    status: str
    source: str
    note: str


@dataclass(frozen=True)
class UnconfirmedValue:
    """One UNCONFIRMED number: where it lives, its value and why it is unconfirmed."""

    table: str
    key: str
    value: str
    unit: str
    source: str
    note: str

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.table}: {self.key} = {self.value}{unit} — {self.source}" + (
            f" ({self.note})" if self.note else ""
        )


@dataclass(frozen=True)
class RiskParameters:
    """All parameter tables, as loaded from ``geo_risk/risk/data``."""

    constants: Mapping[str, Constant]
    toxic_set_a: Mapping[str, ToxicProbit]
    toxic_set_b: Mapping[str, ToxicProbit]
    heat_probits: Mapping[str, HeatProbit]
    overpressure_probits: Mapping[str, OverpressureProbit]
    briggs: Mapping[tuple[str, str, str], BriggsCoefficients]
    puff_sigma: Mapping[tuple[str, str], PuffSigmaCoefficients]
    wind_exponents: Mapping[tuple[str, str], WindProfileExponent]
    ignition_bands: tuple[IgnitionBand, ...]
    loc_frequencies: tuple[LocFrequency, ...]
    hole_sizes: tuple[HoleSize, ...]
    weather_classes: tuple[WeatherClassRow, ...]
    gas_reactivity: Mapping[str, GasReactivity]
    outcome_capability: Mapping[tuple[str, str], OutcomeCapability]


# =============================================================================================
# Loading
# =============================================================================================


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for i, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise InvalidInput(f"geo_risk/risk/data/{name} line {i}: wrong number of columns")
        if "status" in row and row["status"] not in STATUSES:
            raise InvalidInput(f"geo_risk/risk/data/{name} line {i}: status {row['status']!r} is not one of {STATUSES}")
    return rows


def _opt_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _toxic_table(name: str, table: ToxicProbitTable) -> Mapping[str, ToxicProbit]:
    out: dict[str, ToxicProbit] = {}
    for r in _read(name):
        out[r["key"]] = ToxicProbit(
            key=r["key"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            cas=r["cas"],
            gb18218_seq=int(r["gb18218_seq"]) if r["gb18218_seq"] else None,
            a=float(r["a"]),
            b=float(r["b"]),
            n=float(r["n"]),
            concentration_unit=r["concentration_unit"],  # type: ignore[arg-type]  # checked in tests
            time_unit=r["time_unit"],  # type: ignore[arg-type]
            table=table,
            source=r["source"],
            reference=r["reference"],
            status=r["status"],
            note=r["note"],
            version=r["version"],
        )
    return MappingProxyType(out)


@cache
def load_parameters() -> RiskParameters:
    """Load every parameter table (cached; the files are package data and never change at run time).

    Returns
    -------
    RiskParameters
        Frozen mappings and tuples of frozen row dataclasses.
    """
    constants = {
        r["key"]: Constant(
            r["key"], float(r["value"]), r["unit"], r["source"], r["reference"], r["status"], r["note"], r["version"]
        )
        for r in _read("model_constants.csv")
    }
    heat = {
        r["key"]: HeatProbit(
            r["key"], float(r["a"]), float(r["b"]), float(r["dose_factor"]), r["source"], r["reference"],
            r["status"], r["note"], r["version"],
        )
        for r in _read("heat_probits.csv")
    }  # fmt: skip
    over_rows: dict[str, list[dict[str, str]]] = {}
    for r in _read("overpressure_probits.csv"):
        over_rows.setdefault(r["key"], []).append(r)
    overpressure = {
        key: OverpressureProbit(
            key=key,
            coefficients=MappingProxyType({r["coefficient"]: float(r["value"]) for r in rows}),
            source=rows[0]["source"],
            reference=rows[0]["reference"],
            status=max((r["status"] for r in rows), key=STATUSES.index),  # the weakest status of its rows
            note=rows[0]["note"],
        )
        for key, rows in over_rows.items()
    }
    briggs = {
        (r["terrain"], r["stability"], r["axis"]): BriggsCoefficients(
            r["terrain"], r["stability"], r["axis"], float(r["a"]), float(r["b"]), float(r["exponent"]),  # type: ignore[arg-type]
            r["status"],
        )
        for r in _read("briggs_sigma.csv")
    }  # fmt: skip
    puff = {
        (r["stability"], r["axis"]): PuffSigmaCoefficients(
            r["stability"],
            r["axis"],
            float(r["a"]),
            float(r["b"]),
            r["status"],  # type: ignore[arg-type]
        )
        for r in _read("puff_sigma.csv")
    }
    wind = {
        (r["terrain"], r["stability"]): WindProfileExponent(r["terrain"], r["stability"], float(r["p"]), r["status"])
        for r in _read("wind_profile_exponents.csv")
    }
    bands = tuple(
        IgnitionBand(
            r["category"], r["release_type"], float(r["lower"]), float(r["upper"]),  # type: ignore[arg-type]
            r["lower_closed"] == "true", r["upper_closed"] == "true", r["amount_unit"], float(r["probability"]),
            r["status"], r["note"],
        )
        for r in _read("direct_ignition.csv")
    )  # fmt: skip
    locs = tuple(
        LocFrequency(
            r["equipment"], r["loc_code"], r["loc_name"], _opt_float(r["hole_diameter_mm"]), float(r["frequency"]),
            r["frequency_unit"], r["status"], r["note"],  # type: ignore[arg-type]
        )
        for r in _read("loc_frequencies.csv")
    )  # fmt: skip
    holes = tuple(
        HoleSize(
            r["key"], r["name_zh"], r["name_en"], float(r["min_mm"]), float(r["max_mm"]),
            _opt_float(r["representative_mm"]), r["status"],
        )
        for r in _read("hole_sizes.csv")
    )  # fmt: skip
    weathers = tuple(
        WeatherClassRow(r["label"], r["stability"], float(r["wind_speed_10m_m_s"]), r["status"])
        for r in _read("weather_classes.csv")
    )
    reactivity = {
        r["cas"]: GasReactivity(
            r["cas"], r["name_zh"], r["name_en"], r["reactivity"], r["status"], r["source"], r["note"]  # type: ignore[arg-type]
        )
        for r in _read("gas_reactivity.csv")
    }
    for cas, row in reactivity.items():
        if row.reactivity not in ("low", "average_high"):
            raise InvalidInput(
                f"geo_risk/risk/data/gas_reactivity.csv {cas}: reactivity {row.reactivity!r} is not low/average_high"
            )
    capability = {
        (r["cas"], r["outcome"]): OutcomeCapability(
            r["cas"], r["name_en"], r["outcome"], r["possible"] == "1", r["instead"], r["status"], r["source"],
            r["note"],
        )
        for r in _read("outcome_capability.csv")
    }
    return RiskParameters(
        constants=MappingProxyType(constants),
        toxic_set_a=_toxic_table("toxic_probits_set_a.csv", ToxicProbitTable.SET_A_PURPLE_BOOK),
        toxic_set_b=_toxic_table("toxic_probits_set_b.csv", ToxicProbitTable.SET_B_LEES_OSD30),
        heat_probits=MappingProxyType(heat),
        overpressure_probits=MappingProxyType(overpressure),
        briggs=MappingProxyType(briggs),
        puff_sigma=MappingProxyType(puff),
        wind_exponents=MappingProxyType(wind),
        ignition_bands=bands,
        loc_frequencies=locs,
        hole_sizes=holes,
        weather_classes=weathers,
        gas_reactivity=MappingProxyType(reactivity),
        outcome_capability=MappingProxyType(capability),
    )


# =============================================================================================
# Accessors
# =============================================================================================


def constant(key: str) -> float:
    """The value of one scalar of ``model_constants.csv`` (its unit is in the table's ``unit``).

    Raises
    ------
    InvalidInput
        If ``key`` is not in the table (the message lists the valid keys).
    """
    table = load_parameters().constants
    if key not in table:
        raise InvalidInput(f"unknown model constant {key!r}; valid keys: {', '.join(sorted(table))}")
    return table[key].value


def _norm(text: str) -> str:
    return " ".join(str(text).strip().lower().replace("_", " ").replace("-", " ").split())


def toxic_probit_constants(substance: str, table: ToxicProbitTable | str) -> ToxicProbit:
    """The toxic probit constants of ``substance`` in one table (Set A or Set B, never mixed).

    Parameters
    ----------
    substance : str
        Key (``"chlorine"``), English name (``"Hydrogen chloride"``), Chinese name (``"氯"``) or
        CAS number (``"7782-50-5"``); case, spaces, ``-`` and ``_`` are ignored in names.
    table : ToxicProbitTable or str
        :attr:`ToxicProbitTable.SET_A_PURPLE_BOOK` (mg/m³, min) or
        :attr:`ToxicProbitTable.SET_B_LEES_OSD30` (ppm, min), or their string values.

    Returns
    -------
    ToxicProbit
        Constants with their ``concentration_unit`` (``"mg/m3"`` or ``"ppm"``), time unit min.

    Raises
    ------
    InvalidInput
        Unknown table, or (:class:`UnknownProbitSubstance`) no row for the substance in that table.
    """
    try:
        which = ToxicProbitTable(table)
    except ValueError as exc:
        raise InvalidInput(
            f"unknown toxic probit table {table!r}; valid: {', '.join(t.value for t in ToxicProbitTable)} "
            "(Set A: Purple Book, mg/m³ and min; Set B: Lees/OSD30, ppm and min)"
        ) from exc
    params = load_parameters()
    rows = params.toxic_set_a if which is ToxicProbitTable.SET_A_PURPLE_BOOK else params.toxic_set_b
    wanted, raw = _norm(substance), str(substance).strip()
    for row in rows.values():
        if wanted in {_norm(row.key), _norm(row.name_en)} or raw in {row.name_zh, row.cas}:
            return row
    known = ", ".join(f"{r.key} ({r.name_zh}, {r.cas})" for r in rows.values())
    raise UnknownProbitSubstance(
        f"no toxic probit for substance {substance!r} in {which.value}. Substances in this table: {known}. "
        "Use one of these keys, names or CAS numbers, or the other table if it has the substance."
    )


_HEAT_MODELS = ("eisenberg", "tsao_perry", "tno", "lees")


def heat_probit_constants(model: str = "tsao_perry", *, lees_half_factor: bool = True) -> HeatProbit:
    """Heat-radiation probit constants (q in W/m², t in s).

    Parameters
    ----------
    model : {"tsao_perry", "eisenberg", "tno", "lees"}
        Default ``"tsao_perry"``: the Purple Book's eq. 5.4 (C2).
    lees_half_factor : bool
        For ``"lees"`` only: True (default) is the HyRAM+ form Pr = −29.02 + 1.99 ln(0.5 V);
        False is the OSD/30 form Pr = −29.03 + 1.99 ln V, 1.38 probit units higher.

    Raises
    ------
    InvalidInput
        If ``model`` is not one of the valid names.
    """
    key = _norm(model).replace(" ", "_")
    if key not in _HEAT_MODELS:
        raise InvalidInput(f"unknown heat probit model {model!r}; valid: {', '.join(_HEAT_MODELS)}")
    if key == "lees" and not lees_half_factor:
        key = "lees_osd30"
    return load_parameters().heat_probits[key]


def overpressure_probit_constants(model: str) -> OverpressureProbit:
    """Overpressure probit coefficients: ``eisenberg_lung``, ``hse_lung``, ``tno_head``, ``tno_collapse``."""
    table = load_parameters().overpressure_probits
    key = _norm(model).replace(" ", "_")
    if key not in table:
        raise InvalidInput(f"unknown overpressure probit model {model!r}; valid: {', '.join(table)}")
    return table[key]


def _check_stability(stability: str) -> str:
    s = str(stability).strip().upper()
    if s not in STABILITY_CLASSES:
        raise InvalidInput(
            f"unknown Pasquill stability class {stability!r}; valid: {', '.join(STABILITY_CLASSES)} "
            "(A very unstable … D neutral … F stable)"
        )
    return s


def _check_terrain(terrain: str) -> str:
    t = str(terrain).strip().lower()
    if t not in TERRAINS:
        raise InvalidInput(f"unknown terrain {terrain!r}; valid: {', '.join(TERRAINS)}")
    return t


def briggs_coefficients(terrain: str, stability: str, axis: str) -> BriggsCoefficients:
    """Briggs plume σ coefficients for ``terrain`` (rural/urban), class A–F and ``axis`` ("y"/"z")."""
    if axis not in ("y", "z"):
        raise InvalidInput(f"unknown sigma axis {axis!r}; valid: 'y' (crosswind), 'z' (vertical)")
    return load_parameters().briggs[(_check_terrain(terrain), _check_stability(stability), axis)]


def puff_sigma_coefficients(stability: str, axis: str) -> PuffSigmaCoefficients:
    """CCPS puff σ coefficients for class A–F and ``axis`` ("xy" for σx = σy, or "z")."""
    if axis not in ("xy", "z"):
        raise InvalidInput(f"unknown puff sigma axis {axis!r}; valid: 'xy', 'z'")
    return load_parameters().puff_sigma[(_check_stability(stability), axis)]


def wind_profile_exponent(terrain: str, stability: str) -> float:
    """Irwin power-law exponent p for ``terrain`` and class A–F (dimensionless)."""
    return load_parameters().wind_exponents[(_check_terrain(terrain), _check_stability(stability))].p


def direct_ignition_probability(category: str, release_type: str, amount: float) -> float:
    """Probability of direct ignition, TNO Purple Book Table 4.5 (stationary installations).

    Parameters
    ----------
    category : str
        ``gas_average_high_reactivity``, ``gas_low_reactivity``, ``k1_liquid`` (C1),
        ``k2_liquid``, ``k3_k4_liquid`` (UNCONFIRMED).
    release_type : {"continuous", "instantaneous"}
    amount : float
        Release rate in kg/s (continuous) or released mass in kg (instantaneous), ≥ 0. The middle
        band is closed at both ends: exactly 10 kg/s, 100 kg/s, 1000 kg or 10 000 kg falls in it.

    Raises
    ------
    InvalidInput
        Unknown category or release type, or a negative / non-finite amount.
    """
    bands = load_parameters().ignition_bands
    categories = sorted({b.category for b in bands})
    if category not in categories:
        raise InvalidInput(f"unknown substance category {category!r} for Table 4.5; valid: {', '.join(categories)}")
    if release_type not in ("continuous", "instantaneous"):
        raise InvalidInput(f"unknown release type {release_type!r}; valid: 'continuous', 'instantaneous'")
    if not (math.isfinite(amount) and amount >= 0):
        unit = "kg/s" if release_type == "continuous" else "kg"
        raise InvalidInput(f"release amount must be a finite number ≥ 0 {unit}; got {amount!r}")
    for band in bands:
        if band.category == category and band.release_type == release_type and band.contains(amount):
            return band.probability
    raise InvalidInput(f"no Table 4.5 band contains {amount!r} for {category}/{release_type}")  # pragma: no cover


def gas_reactivity(cas_numbers: tuple[str, ...] | list[str]) -> GasReactivity | None:
    """The reactivity row of the first listed CAS number found in ``gas_reactivity.csv``, else None.

    None means the gas is not on the (recalled) low-reactivity list: Table 4.5's average/high row
    applies.
    """
    table = load_parameters().gas_reactivity
    for cas in cas_numbers:
        if cas and str(cas).strip() in table:
            return table[str(cas).strip()]
    return None


def outcome_capability(cas_numbers: tuple[str, ...] | list[str], outcome: str) -> OutcomeCapability | None:
    """The row saying the substance (any of its CAS numbers) cannot produce ``outcome``, else None (it can)."""
    table = load_parameters().outcome_capability
    for cas in cas_numbers:
        row = table.get((str(cas).strip(), outcome)) if cas else None
        if row is not None:
            return row
    return None


def unconfirmed_values() -> tuple[UnconfirmedValue, ...]:
    """Every UNCONFIRMED number in the parameter tables, for the README and result metadata.

    Returns
    -------
    tuple of UnconfirmedValue
        One entry per UNCONFIRMED row (table file, key, value, unit, source, note).
    """
    out: list[UnconfirmedValue] = []
    key_cols = {
        "toxic_probits_set_a.csv": ("key",),
        "toxic_probits_set_b.csv": ("key",),
        "heat_probits.csv": ("key",),
        "overpressure_probits.csv": ("key", "coefficient"),
        "briggs_sigma.csv": ("terrain", "stability", "axis"),
        "puff_sigma.csv": ("stability", "axis"),
        "wind_profile_exponents.csv": ("terrain", "stability"),
        "direct_ignition.csv": ("category", "release_type", "lower", "upper"),
        "loc_frequencies.csv": ("equipment", "loc_code"),
        "hole_sizes.csv": ("key",),
        "weather_classes.csv": ("label",),
        "model_constants.csv": ("key",),
        "gas_reactivity.csv": ("cas", "name_en"),
        "outcome_capability.csv": ("cas", "outcome"),
        "britter_mcquaid.csv": ("kind", "ratio", "segment"),
        "dispersion_constants.csv": ("key",),
        "population_constants.csv": ("key",),
        "presence_fractions.csv": ("kind",),
    }
    value_cols = {
        "toxic_probits_set_a.csv": ("a", "b", "n"),
        "toxic_probits_set_b.csv": ("a", "b", "n"),
        "heat_probits.csv": ("a", "b", "dose_factor"),
        "overpressure_probits.csv": ("value",),
        "briggs_sigma.csv": ("a", "b", "exponent"),
        "puff_sigma.csv": ("a", "b"),
        "wind_profile_exponents.csv": ("p",),
        "direct_ignition.csv": ("probability",),
        "loc_frequencies.csv": ("frequency",),
        "hole_sizes.csv": ("min_mm", "max_mm", "representative_mm"),
        "weather_classes.csv": ("stability", "wind_speed_10m_m_s"),
        "model_constants.csv": ("value",),
        "gas_reactivity.csv": ("reactivity",),
        "outcome_capability.csv": ("possible", "instead"),
        "britter_mcquaid.csv": ("alpha_max", "slope", "intercept"),
        "dispersion_constants.csv": ("value",),
        "population_constants.csv": ("value",),
        "presence_fractions.csv": ("day", "night", "outdoors"),
    }
    unit_cols = {
        "model_constants.csv": "unit",
        "dispersion_constants.csv": "unit",
        "population_constants.csv": "unit",
        "overpressure_probits.csv": "unit",
        "loc_frequencies.csv": "frequency_unit",
    }
    for name in _TABLE_FILES:
        for r in _read(name):
            if r["status"] != "UNCONFIRMED":
                continue
            key = "/".join(r[c] for c in key_cols[name])
            value = (
                ", ".join(f"{c}={r[c]}" for c in value_cols[name])
                if len(value_cols[name]) > 1
                else r[value_cols[name][0]]
            )
            unit = r[unit_cols[name]] if name in unit_cols else ""
            out.append(UnconfirmedValue(name, key, value, unit, r["source"], r["note"]))
    return tuple(out)


@cache
def parameters_digest() -> str:
    """SHA-256 over every parameter table, in a fixed order (hex), for result metadata."""
    h = hashlib.sha256()
    for name in _TABLE_FILES:
        h.update(name.encode())
        h.update(resources.files(__package__).joinpath("data").joinpath(name).read_bytes())
    return h.hexdigest()


def model_metadata() -> dict[str, object]:
    """Metadata to store with every result: model version, table digest and the UNCONFIRMED values.

    Returns
    -------
    dict
        ``model_version`` (str), ``parameters_sha256`` (hex str), ``unconfirmed`` (list of str,
        one line per UNCONFIRMED value) and ``unconfirmed_count`` (int).
    """
    unconfirmed = [str(u) for u in unconfirmed_values()]
    return {
        "model_version": MODEL_VERSION,
        "parameters_sha256": parameters_digest(),
        "unconfirmed": unconfirmed,
        "unconfirmed_count": len(unconfirmed),
    }


# =============================================================================================
# Shared input checks (used by the sibling modules)
# =============================================================================================


def _as_float_array(name: str, value: object) -> np.ndarray:
    """``value`` as a float array; InvalidInput naming ``name`` if it is not numeric."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be a number or an array of numbers; got {value!r}") from exc
    return arr


def _check_nonnegative(name: str, value: object, unit: str) -> np.ndarray:
    """Float array ≥ 0 and not NaN (infinity allowed only where it means 'no limit')."""
    arr = _as_float_array(name, value)
    bad = np.isnan(arr) | (arr < 0)
    if bad.any():
        first = arr[bad].flat[0]
        raise InvalidInput(f"{name} must be ≥ 0 {unit}; got {first!r} ({int(bad.sum())} bad value(s))")
    return arr


def _check_positive(name: str, value: object, unit: str) -> np.ndarray:
    """Float array > 0 and finite."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr) | (arr <= 0)
    if bad.any():
        first = arr[bad].flat[0]
        raise InvalidInput(f"{name} must be a finite number > 0 {unit}; got {first!r} ({int(bad.sum())} bad value(s))")
    return arr


def _check_finite(name: str, value: object, unit: str) -> np.ndarray:
    """Float array without NaN or infinity."""
    arr = _as_float_array(name, value)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InvalidInput(f"{name} must be finite ({unit}); got {arr[bad].flat[0]!r}")
    return arr


def _scalar_positive(name: str, value: object, unit: str) -> float:
    """A single finite number > 0."""
    arr = _check_positive(name, value, unit)
    if arr.ndim != 0:
        raise InvalidInput(f"{name} must be a single number ({unit}); got an array of shape {arr.shape}")
    return float(arr)


def _scalar_nonnegative(name: str, value: object, unit: str) -> float:
    """A single number ≥ 0 (may be +inf)."""
    arr = _check_nonnegative(name, value, unit)
    if arr.ndim != 0:
        raise InvalidInput(f"{name} must be a single number ({unit}); got an array of shape {arr.shape}")
    return float(arr)
