"""Joint-prevention clusters (联防联控): which plants must plan together, and why.

Pure: frames in one projected metric CRS in, frames out (docs/standards/risk-colours-and-joint-prevention.md,
"Joint-prevention clusters"). Three kinds of link between two enterprises, each kept with its reason:

**Domino (physical).** Every inventory item of a unit goes through the risk engine's own scenario
builder (:func:`geo_risk.risk.scenarios.build_scenarios`: Purple Book LOCs, event trees) and its
consequence models (:mod:`geo_risk.risk.fires`, :mod:`geo_risk.risk.explosions`). Each primary
scenario — pool fire, jet fire, vapour-cloud explosion (VCE), BLEVE fireball — starts at its unit's
position (the engine's convention: one containment at the unit's representative point). Its heat flux
(kW/m²) or side-on overpressure (kPa) is computed at every hazardous unit of *other* enterprises, at
the distance from the source point to the nearest point of that unit's footprint; a link exists where
it is at or above the unit's escalation threshold (:class:`ClusterRules`, Cozzani et al. 2006 as
commonly cited, **UNCONFIRMED**). A target inside a burning pool (fire engulfment) is always reached; a
fireball escalates only by engulfment (a target within the fireball's radius D/2, horizontally), not by
its radiation. Not modelled: BLEVE blast and fragments (the engine has no model for them), jet
impingement and flame direction (the jet fire is the engine's point source). Every modelled scenario
counts, whatever its frequency: a domino link says "can escalate", not "how often".

Equipment type of a target (the rule, :func:`equipment_classes`):

- heat: ``pressurised`` for a pressure vessel or cylinder store; for a process vessel or a unit
  without an equipment value, ``pressurised`` when its operating pressure is ≥
  ``pressurised_min_mpa`` (gauge) or any of its items is a gas or a liquefied gas under pressure;
  ``atmospheric`` otherwise (atmospheric and refrigerated tanks, warehouses, pipelines).
- blast: ``elongated`` (columns) for a process vessel of a production unit; ``small`` (auxiliary
  equipment) for a pipeline; else the heat class (a warehouse is atmospheric: the lower threshold).

**Fallback (no consequence data).** A unit holding an item the scenario builder could not model (a
warehouse, an oxidiser, a toxic liquid, missing properties) cannot be a primary scenario; for such a
unit of enterprise A, A and B are linked when the unit is within ``fallback_unit_distance_m`` (200 m)
of a hazardous unit of B, or — failing that — when the two plant boundaries are within
``fallback_boundary_distance_m`` (500 m) and both hold a major hazard installation. Marked "fallback".

**Policy (位置相邻、行业相近、业态相似).** Two enterprises in the same park, or whose boundaries are within
``policy_distance_m`` (1 km), with similarity s = [same GB/T 4754 two-digit industry] + [same business
form: the dominant hazard class of their major hazard installations, by Σβq/Q]. The data carries only
whether a unit runs a key supervised process (特殊危险化工工艺), not which one, so "the same process" is
not tested. Weight w = s/2 × p, proximity p = max(1 − gap/``policy_distance_m``, ``policy_same_park_floor``
for the same park, else 0); links with w < ``policy_min_weight`` are pruned (weak), and of the rest
each enterprise keeps its ``policy_max_links`` strongest (by w, then the smaller gap, then the other's
id): a link stays when it is among the strongest of either end (a park of one trade would otherwise
be a clique of every pair).

A link is flagged ``cross_park`` when its two enterprises are in different parks, or one is in a park and
the other outside any (two plants both outside parks: not flagged). Links are undirected: one per
enterprise pair and kind, with the strongest evidence (highest value/threshold) and the number of
evidence rows.

**Clusters** are the connected components of the graph (networkx). Per cluster: members; combined R
(Σ of the members' GB 18218 R, public in this service); people inside the union of the members'
``contour_level_per_year`` (3×10⁻⁶/a) individual-risk contours (residents by area apportionment,
protection targets by area or point); the suggested lead (highest degree centrality + share of the
cluster's R, ties to the larger R); the worst member colour (:mod:`geo_risk.analysis.colours`); an
outline (the members' convex hull buffered by ``outline_buffer_m``). Only enterprises in the register
(``statuses``: operating, suspended) that hold a hazardous unit take part; a lone plant is a cluster of one.

Restricted data: a link's value (heat flux, overpressure, a fireball radius) follows from the
inventory, so every text carries it in a tiered span (:func:`geo_risk.disclosure.restricted`) and the
``value`` column is for analysts only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from geo_risk.analysis import colours as col
from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput

__all__ = [
    "ClusterRules", "DEFAULT_RULES", "RULE_TAGS", "THRESHOLD_SOURCE", "ClusterResult", "HAZARD_CLASSES",
    "equipment_classes", "threshold_table", "industry_division", "hazard_class_of_codes", "find_clusters",
    "LINK_COLUMNS", "CLUSTER_COLUMNS",
]

THRESHOLD_SOURCE = ("Cozzani, Gubinelli & Salzano, J. Hazard. Mater. A129 (2006) 1–21, as commonly cited; "
                    "values not read in the paper (UNCONFIRMED)")


@dataclass(frozen=True)
class ClusterRules:
    """Every number the cluster rules use (settings; defaults from the reference, tags in :data:`RULE_TAGS`).

    Heat flux thresholds in kW/m², overpressure thresholds in kPa, distances in m, pressure in MPa (gauge).
    """

    heat_atmospheric_kw_m2: float = 15.0
    heat_pressurised_kw_m2: float = 45.0
    blast_atmospheric_kpa: float = 22.0
    blast_pressurised_kpa: float = 16.0
    blast_elongated_kpa: float = 31.0
    blast_small_kpa: float = 37.0
    pressurised_min_mpa: float = 0.1
    fallback_unit_distance_m: float = 200.0
    fallback_boundary_distance_m: float = 500.0
    policy_distance_m: float = 1000.0
    policy_same_park_floor: float = 0.25
    policy_min_weight: float = 0.25
    policy_max_links: int = 4
    outline_buffer_m: float = 50.0
    contour_level_per_year: float = 3e-6
    statuses: tuple[str, ...] = ("operating", "suspended")

    def __post_init__(self) -> None:
        for name in ("heat_atmospheric_kw_m2", "heat_pressurised_kw_m2", "blast_atmospheric_kpa",
                     "blast_pressurised_kpa", "blast_elongated_kpa", "blast_small_kpa", "policy_distance_m",
                     "contour_level_per_year"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidInput(f"cluster rule {name} must be a positive number; got {v!r}")
        for name in ("pressurised_min_mpa", "fallback_unit_distance_m", "fallback_boundary_distance_m",
                     "outline_buffer_m"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise InvalidInput(f"cluster rule {name} must be a number ≥ 0; got {v!r}")
        if not (isinstance(self.policy_max_links, int) and self.policy_max_links >= 0):
            raise InvalidInput(f"cluster rule policy_max_links must be a whole number ≥ 0 (0: no limit); got "
                               f"{self.policy_max_links!r}")
        for name in ("policy_same_park_floor", "policy_min_weight"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and 0 <= v <= 1):
                raise InvalidInput(f"cluster rule {name} must lie within 0–1; got {v!r}")

    def heat_threshold_kw_m2(self, heat_class: str) -> float:
        return self.heat_pressurised_kw_m2 if heat_class == "pressurised" else self.heat_atmospheric_kw_m2

    def blast_threshold_kpa(self, blast_class: str) -> float:
        return {"atmospheric": self.blast_atmospheric_kpa, "pressurised": self.blast_pressurised_kpa,
                "elongated": self.blast_elongated_kpa, "small": self.blast_small_kpa}[blast_class]

    def describe(self) -> dict[str, Any]:
        """The values used with their tags and the threshold table: printed on every output."""
        return {"values": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()},
                "tags": dict(RULE_TAGS), "thresholds": threshold_table(self),
                "basis": "服务规则（非官方） / service rules (not official); see docs/standards/"
                         "risk-colours-and-joint-prevention.md"}


DEFAULT_RULES = ClusterRules()

RULE_TAGS: dict[str, str] = {
    "heat_atmospheric_kw_m2": "UNCONFIRMED (Cozzani et al. 2006 as cited: atmospheric equipment 15 kW/m²)",
    "heat_pressurised_kw_m2": "UNCONFIRMED (as cited 45 kW/m²; some later works cite 50)",
    "blast_atmospheric_kpa": "UNCONFIRMED (as cited 22 kPa)",
    "blast_pressurised_kpa": "UNCONFIRMED (as cited 16 kPa)",
    "blast_elongated_kpa": "UNCONFIRMED (as cited 31 kPa, columns)",
    "blast_small_kpa": "UNCONFIRMED (as cited 37 kPa, small or auxiliary equipment)",
    "pressurised_min_mpa": "CHOICE (a process vessel at ≥ 0.1 MPa gauge is pressurised equipment)",
    "fallback_unit_distance_m": "CHOICE (reference §4.3: above the largest GB 50160 Table 4.1.9 separation, 150 m)",
    "fallback_boundary_distance_m": "CHOICE (reference §4.3: the 500 m radius GB 18218 uses for α)",
    "policy_distance_m": "CHOICE (reference §4.3: same park or within 1 km)",
    "policy_same_park_floor": "CHOICE (proximity given to two plants of one park farther apart than policy_distance_m)",
    "policy_min_weight": "CHOICE (weak links pruned: one shared trait needs a gap ≤ half policy_distance_m)",
    "policy_max_links": "CHOICE (each enterprise keeps its 4 strongest policy links; 0: no limit)",
    "outline_buffer_m": "CHOICE (drawing only)",
    "contour_level_per_year": "CHOICE (reference §4.3: people inside the members' 3×10⁻⁶/a contours)",
    "statuses": "CHOICE (enterprises in the register: operating and suspended; planned and closed left out)",
}

#: Business forms (业态) by GB 18218 Table 2 codes, in priority order for a substance with several codes.
HAZARD_CLASSES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("explosive_reactive", "爆炸物、自反应物质", "explosive or self-reactive", ("W1", "W6", "W7")),
    ("toxic", "有毒物质", "toxic", ("J",)),
    ("flammable_gas", "易燃气体（含液化）", "flammable gas (incl. liquefied)", ("W2", "W3")),
    ("flammable_liquid", "易燃液体", "flammable liquid", ("W5",)),
    ("other", "氧化性及其他", "oxidising and other", ("W4", "W8", "W9", "W10", "W11")),
)
_CLASS_LABEL = {k: (zh, en) for k, zh, en, _ in HAZARD_CLASSES}

#: Columns of :attr:`ClusterResult.links` (plus geometry).
LINK_COLUMNS: tuple[str, ...] = (
    "cluster_id", "enterprise_a", "enterprise_b", "kind", "vector", "equipment_class", "value", "value_unit",
    "threshold", "ratio", "scenario", "primary_unit", "target_unit", "distance_m", "weight", "rule",
    "cross_park", "evidence_count", "reason",
)
#: Columns of :attr:`ClusterResult.clusters` (plus geometry).
CLUSTER_COLUMNS: tuple[str, ...] = (
    "cluster_id", "members", "member_names", "n_members", "n_links", "kinds", "lead_enterprise_id",
    "lead_enterprise_name", "lead_reason", "combined_r", "people", "people_basis", "worst_colour",
    "colour_basis", "parks", "cross_park",
)


@dataclass
class ClusterResult:
    """What :func:`find_clusters` returns (geometries in the caller's projected CRS).

    Attributes
    ----------
    clusters : geopandas.GeoDataFrame
        One row per cluster, :data:`CLUSTER_COLUMNS`, outline polygon.
    links : geopandas.GeoDataFrame
        One row per enterprise pair and kind, :data:`LINK_COLUMNS`, a line between the two units
        (domino, unit fallback) or the two plants (policy, boundary fallback).
    members : pandas.DataFrame
        One row per enterprise taking part: ``cluster_id``, ``degree``, ``r``, ``colour``, ``hazard_class``,
        ``industry``, ``consequence_data`` (whether every item was modelled).
    settings : dict
        :meth:`ClusterRules.describe` plus the scenario builder's digests.
    notes : list of str
        Stated limits met in this run (units left to the fallback, members without contours …).
    fallback_units : list of str
        Units holding an item the scenario builder could not model (their links use the fallback rule).
    """

    clusters: gpd.GeoDataFrame
    links: gpd.GeoDataFrame
    members: pd.DataFrame
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    fallback_units: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: clusters by size, links by kind."""
        sizes = self.clusters["n_members"] if len(self.clusters) else pd.Series(dtype=int)
        kinds = self.links["kind"].value_counts().to_dict() if len(self.links) else {}
        return (f"{len(self.clusters)} cluster(s) of {int(sizes.sum())} enterprise(s) ({int((sizes > 1).sum())} "
                f"with two or more, largest {int(sizes.max()) if len(sizes) else 0}); links: "
                + (", ".join(f"{k} {kinds[k]}" for k in ("domino", "fallback", "policy") if k in kinds) or "none"))


# =============================================================================================
# Small rules
# =============================================================================================


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _num(v: object) -> float | None:
    if _missing(v):
        return None
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def industry_division(code: object) -> str | None:
    """GB/T 4754 two-digit division (大类) of an industry code: ``"2614"`` → ``"26"``, ``"C26"`` → ``"26"``."""
    if _missing(code):
        return None
    m = re.match(r"^\s*[A-Ta-t]?\s*(\d{2})", str(code))
    return m.group(1) if m else None


def hazard_class_of_codes(codes: object) -> str | None:
    """Business form of one substance from its GB 18218 Table 2 codes (``"W2;J3"`` → toxic: first in priority)."""
    if _missing(codes):
        return None
    items = [c.strip().upper() for c in (codes if isinstance(codes, list | tuple) else str(codes).split(";"))]
    items = [c for c in items if c]
    for key, _zh, _en, prefixes in HAZARD_CLASSES:
        for c in items:
            head = re.match(r"^[A-Z]+\d*", c)
            base = head.group(0) if head else c
            if any(base == p or (p == "J" and base.startswith("J")) for p in prefixes):
                return key
    return None


def equipment_classes(unit: Mapping[str, Any], states: set[str], rules: ClusterRules = DEFAULT_RULES
                      ) -> tuple[str, str, str]:
    """(heat class, blast class, why) of a target unit — the rule in the module docstring.

    ``unit``: ``equipment``, ``unit_type``, ``operating_pressure_mpa`` (gauge); ``states``: its items' states.
    """
    eq = None if _missing(unit.get("equipment")) else str(unit.get("equipment"))
    p = _num(unit.get("operating_pressure_mpa"))
    gaslike = bool(states & {"gas", "liquefied_pressurized"})
    if eq in ("pressure_vessel", "cylinder_store"):
        heat, why = "pressurised", f"equipment {eq}"
    elif eq in (None, "process_vessel"):
        pressurised = (p is not None and p >= rules.pressurised_min_mpa) or gaslike
        heat = "pressurised" if pressurised else "atmospheric"
        # the pressure and the state of what the unit holds are restricted details: the public reads the rule
        held = restricted("gas or pressurised liquefied gas held" if gaslike else "no gas held",
                          public="by the state of what it holds")
        why = (f"equipment {eq or 'not given'}, "
               f"{restricted(f'operating pressure {p if p is not None else chr(63)} MPa', public='by its pressure')}, "
               f"{held}")
    else:
        heat, why = "atmospheric", f"equipment {eq}"
    if eq == "process_vessel" and str(unit.get("unit_type")) == "production":
        blast = "elongated"
        why += "; production process vessel → columns (elongated)"
    elif eq == "pipeline":
        blast = "small"
    else:
        blast = heat
    return heat, blast, why


def threshold_table(rules: ClusterRules = DEFAULT_RULES) -> list[dict[str, Any]]:
    """The escalation thresholds in force, one row per vector and equipment class, with tag and source."""
    rows = []
    for cls in ("atmospheric", "pressurised"):
        rows.append({"vector": "heat", "equipment_class": cls, "value": rules.heat_threshold_kw_m2(cls),
                     "unit": "kW/m²", "tag": "UNCONFIRMED", "source": THRESHOLD_SOURCE})
    for cls in ("atmospheric", "pressurised", "elongated", "small"):
        rows.append({"vector": "overpressure", "equipment_class": cls, "value": rules.blast_threshold_kpa(cls),
                     "unit": "kPa", "tag": "UNCONFIRMED", "source": THRESHOLD_SOURCE})
    rows.append({"vector": "fire engulfment", "equipment_class": "any", "value": None, "unit": "",
                 "tag": "UNCONFIRMED", "source": "reference §4.2: engulfment assumed to escalate"})
    rows.append({"vector": "fireball engulfment", "equipment_class": "any", "value": None, "unit": "m (D/2)",
                 "tag": "UNCONFIRMED", "source": "reference §4.2: a fireball escalates only when it engulfs"})
    return rows


# =============================================================================================
# Domino: primary scenarios and their reach
# =============================================================================================

_VECTOR_ZH = {"heat": "热辐射", "overpressure": "冲击波超压", "fire engulfment": "火焰吞没",
              "fireball engulfment": "火球吞没"}


@dataclass(frozen=True)
class _Primary:
    """One primary scenario: the engine's outcome object and where it came from."""

    unit_id: str
    kind: str  # pool_fire, jet_fire, fireball, vce
    outcome: Any
    label: str  # e.g. "HU-0005 G.1 pool_fire"


def _value(p: _Primary, d: np.ndarray) -> tuple[str, np.ndarray, np.ndarray]:
    """(vector, value, engulfed) at distances ``d`` (m): heat in kW/m², overpressure in kPa, fireball: d."""
    from geo_risk.risk.explosions import kinney_graham_overpressure_pa

    d = np.asarray(d, dtype=float)
    if p.kind == "vce":  # an explosion centred downwind may sit that far towards the target (any wind)
        d = np.maximum(d - float(getattr(p.outcome, "centre_downwind_m", 0.0) or 0.0), 0.0)
        return "overpressure", kinney_graham_overpressure_pa(d, p.outcome.tnt_mass_kg) / 1000.0, np.zeros(d.shape, bool)
    if p.kind == "fireball":
        return "fireball engulfment", d, d <= _fireball_radius(p)
    from geo_risk.risk.fires import jet_fire, pool_fire

    o = p.outcome
    if p.kind == "pool_fire":
        exp = pool_fire(d, o.pool_diameter_m, o.flame_height_m, o.sep_w_m2, o.duration_s, o.transmissivity)
    else:  # jet fire: the engine's point source; r = 0 would be infinite
        exp = jet_fire(np.maximum(d, 1e-6), o.mass_rate_kg_s, o.heat_of_combustion_j_kg, o.radiative_fraction,
                       o.duration_s, o.transmissivity)
    return "heat", np.asarray(exp.heat_flux_w_m2, dtype=float) / 1000.0, np.asarray(exp.engulfed, dtype=bool)


def _fireball_radius(p: _Primary) -> float:
    from geo_risk.risk.fires import fireball_diameter_m

    return fireball_diameter_m(p.outcome.mass_kg) / 2.0


#: Distances (m) at which a primary's value is sampled to bound its reach: 0.1 m to 50 km, 3 % apart.
_REACH_GRID = np.geomspace(0.1, 50_000.0, 440)


def _reach_m(p: _Primary, thresholds: list[float]) -> float:
    """An upper bound (m) of the distance at which ``p`` still reaches the lowest of ``thresholds`` (or
    engulfs): the values decrease with distance, so the next grid distance past the last one reached
    bounds it. Only a candidate radius: every link is decided on the value at its own distance."""
    if p.kind == "fireball":
        return _fireball_radius(p)
    _vector, values, engulfed = _value(p, _REACH_GRID)
    reached = engulfed | (values >= min(thresholds))
    if not reached.any():
        return float(_REACH_GRID[0])
    last = int(np.flatnonzero(reached)[-1])
    return float(_REACH_GRID[min(last + 1, len(_REACH_GRID) - 1)]) * (1.0 if last + 1 < len(_REACH_GRID) else 2.0)


#: Units given to the scenario builder at a time: its event objects and tables are dropped after each
#: chunk, so the peak memory follows the chunk, not the province.
SCENARIO_CHUNK_UNITS = 500


def _primaries(units: pd.DataFrame, inventory: pd.DataFrame, positions: Mapping[str, tuple[float, float]]
               ) -> tuple[list[_Primary], set[str], dict[str, Any], list[str]]:
    """The engine's scenarios → primaries (one per distinct outcome of a unit); units lacking consequence data;
    the builder's assumptions; problems. Built :data:`SCENARIO_CHUNK_UNITS` units at a time."""
    from geo_risk.risk.scenarios import build_scenarios

    prim: list[_Primary] = []
    seen: set[tuple[str, Any]] = set()
    modelled: set[tuple[str, str]] = set()
    problems: list[str] = []
    digest: dict[str, Any] = {}
    ids = list(units.index)
    unit_of = inventory["unit_id"].astype(str)
    for start in range(0, len(ids), SCENARIO_CHUNK_UNITS):
        chunk = units.loc[ids[start:start + SCENARIO_CHUNK_UNITS]]
        ss = build_scenarios(chunk, inventory[unit_of.isin({str(u) for u in chunk.index})], positions)
        for row in ss.scenarios.itertuples(index=False):
            modelled.add((str(row.unit_id), str(row.inventory_id)))
            if not row.frequency_per_year > 0:  # a branch of probability 0 (e.g. K3/K4 direct ignition) cannot occur
                continue
            event = ss.sources[int(row.source_index)].events[int(row.event_index)]
            outcome = getattr(event.lethality, "__self__", None)  # the outcome whose lethality the event wraps
            # an outcome made of parts (a cloud's explosion, then the pool fire) is each of its parts
            for part in getattr(outcome, "parts", None) or ((outcome,) if outcome is not None else ()):
                kind = getattr(part, "kind", None)
                if kind in ("pool_fire", "jet_fire", "fireball", "vce") and (str(row.unit_id), part) not in seen:
                    seen.add((str(row.unit_id), part))  # G.1 and G.2 of one item often give the same pool
                    prim.append(_Primary(str(row.unit_id), str(kind), part, f"{row.unit_id} {row.loc} {kind}"))
        problems += ss.problems
        digest = {k: ss.assumptions.get(k) for k in ("method", "model_version", "parameters_sha256",
                                                      "release_properties_sha256")}
        del ss
    counters: dict[str, int] = {}
    lacking: set[str] = set()
    for rec in inventory.to_dict("records"):
        uid = str(rec["unit_id"])
        counters[uid] = counters.get(uid, 0) + 1
        iid = str(rec["id"]) if "id" in rec and not _missing(rec.get("id")) else f"{uid}/{counters[uid]}"
        if (uid, iid) not in modelled:
            lacking.add(uid)
    return prim, lacking, digest, problems


# =============================================================================================
# Entry point
# =============================================================================================


def _check(frame: Any, name: str, columns: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"{name} must be a DataFrame; got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InvalidInput(f"{name} lacks column(s) {', '.join(absent)}")


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def find_clusters(
    enterprises: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    inventory: pd.DataFrame,
    assessments: pd.DataFrame | None = None,
    contours: gpd.GeoDataFrame | None = None,
    residential: gpd.GeoDataFrame | None = None,
    targets: gpd.GeoDataFrame | None = None,
    rules: ClusterRules = DEFAULT_RULES,
    enterprise_colours: Mapping[str, tuple[str, str]] | None = None,
) -> ClusterResult:
    """Domino, fallback and policy links between enterprises, and the clusters they make.

    Parameters
    ----------
    enterprises : GeoDataFrame
        Index id; ``name``, ``status``, ``park_id``, ``industry_code``; geometry the plant boundary (or a point).
    units : GeoDataFrame
        Index id; ``enterprise_id``, ``unit_type``, ``equipment``, ``containment``, ``fire_class``,
        ``operating_temperature_c`` (°C), ``operating_pressure_mpa`` (MPa gauge); geometry.
    inventory : DataFrame
        ``unit_id``, ``chemical``, ``max_quantity_t`` (t), optional ``id``, ``cas``, ``table1_seq``,
        ``hazard_categories``, ``state``, ``temperature_c``, ``pressure_mpa``, ``vessel_count``,
        ``vessel_capacity_t`` (t): a primary scenario releases ONE vessel's contents (the scenario
        builder's rule 1), so without the vessel fields a unit is one vessel holding the whole item.
    assessments : DataFrame, optional
        Index unit id; ``is_major_hazard``, ``r``, ``grade``, ``terms`` (list of dicts with ``codes`` and
        ``beta_q_over_q``) — GB 18218 results. Without them no plant holds a major hazard.
    contours : GeoDataFrame, optional
        ``enterprise_id`` and geometry: each enterprise's ``contour_level_per_year`` IR contour.
    residential, targets : GeoDataFrame, optional
        ``population`` (people) and geometry, for the people inside the members' contours.
    rules : ClusterRules
        The thresholds and choices.
    enterprise_colours : Mapping, optional
        Enterprise id → (colour, basis), e.g. official 应急〔2018〕19号 colours; otherwise each
        colour is derived from the enterprise's worst GB 18218 grade (:func:`colours.grade_colour`).

    All geometries in one projected CRS in metres.
    """
    _check(enterprises, "enterprises", ("name", "status", "park_id", "industry_code"))
    _check(units, "units", ("enterprise_id",))
    _check(inventory, "inventory", ("unit_id", "chemical", "max_quantity_t"))
    crs = enterprises.crs
    for name, frame in (("enterprises", enterprises), ("units", units), ("contours", contours),
                        ("residential", residential), ("targets", targets)):
        if frame is not None and len(frame) and (frame.crs is None or not frame.crs.is_projected):
            raise InvalidInput(f"{name} must be in a projected CRS in metres (got {frame.crs}); project first")
    notes: list[str] = []
    assessments = assessments if assessments is not None else pd.DataFrame(
        columns=["is_major_hazard", "r", "grade", "terms"])

    # -- who takes part ---------------------------------------------------------------------------
    ents = enterprises[enterprises["status"].isin(rules.statuses)]
    inv = inventory[inventory["unit_id"].isin(units.index)]
    held = set(inv["unit_id"].astype(str))
    hazardous = units[units.index.astype(str).isin(held) & units["enterprise_id"].isin(ents.index)]
    if "fire_class" in hazardous.columns and "equipment" in hazardous.columns:  # warehouses of 丙/丁/戊 are not
        low = (hazardous["equipment"] == "warehouse") & hazardous["fire_class"].isin(("丙", "丁", "戊"))
        hazardous = hazardous[~low]
    ents = ents[ents.index.isin(hazardous["enterprise_id"])]
    if len(enterprises[enterprises["status"].isin(rules.statuses)]) > len(ents):
        notes.append(f"{len(enterprises[enterprises['status'].isin(rules.statuses)]) - len(ents)} enterprise(s) "
                     "in the register hold no hazardous unit: not in any cluster")
    inv = inv[inv["unit_id"].isin(hazardous.index)]
    unit_ent = hazardous["enterprise_id"].astype(str).to_dict()
    park = {e: (None if _missing(p) else str(p)) for e, p in ents["park_id"].items()}

    def cross(a: str, b: str) -> bool:
        return park[a] != park[b]  # two parks, or one plant in a park and one outside; both outside: not

    evidence: list[dict[str, Any]] = []
    unit_geoms = hazardous.geometry.values
    unit_ids = np.array([str(i) for i in hazardous.index])
    unit_points = {str(i): g.representative_point() if g.geom_type != "Point" else g
                   for i, g in hazardous.geometry.items()}
    tree = shapely.STRtree(unit_geoms)

    # -- domino ----------------------------------------------------------------------------------
    positions = {u: (p.x, p.y) for u, p in unit_points.items()}
    plain_units = pd.DataFrame(hazardous.drop(columns=hazardous.geometry.name))
    prim, lacking, digest, problems = _primaries(plain_units, inv, positions) if len(hazardous) else (
        [], set(), {}, [])
    states: dict[str, set[str]] = {}
    if "state" in inv.columns:
        for uid, st in zip(inv["unit_id"].astype(str), inv["state"], strict=True):
            if not _missing(st):
                states.setdefault(uid, set()).add(str(st))
    classes = {u: equipment_classes(rec, states.get(u, set()), rules)
               for u, rec in zip(unit_ids, plain_units.to_dict("records"), strict=True)}
    by_unit: dict[str, list[_Primary]] = {}
    for p in prim:
        by_unit.setdefault(p.unit_id, []).append(p)
    for uid, plist in by_unit.items():
        ent = unit_ent[uid]
        src = unit_points[uid]
        needs: list[tuple[_Primary, float, str | None]] = []  # (primary, threshold, class) → reach
        reach = 0.0
        for p in plist:
            if p.kind == "vce":
                r = _reach_m(p, [rules.blast_threshold_kpa(c) for c in ("atmospheric", "pressurised", "elongated",
                                                                         "small")])
            elif p.kind == "fireball":
                r = _fireball_radius(p)
            else:
                r = _reach_m(p, [rules.heat_atmospheric_kw_m2, rules.heat_pressurised_kw_m2])
            needs.append((p, r, None))
            reach = max(reach, r)
        if reach <= 0:
            continue
        cand = tree.query(src, predicate="dwithin", distance=reach + 1.0)
        cand = [int(k) for k in cand if unit_ent[unit_ids[k]] != ent]
        if not cand:
            continue
        d = shapely.distance(src, unit_geoms[cand])
        for p, r, _ in needs:
            vector, values, engulfed = _value(p, d)
            for j, k in enumerate(cand):
                tid = unit_ids[k]
                heat_c, blast_c, why = classes[tid]
                if vector == "heat":
                    cls, thr = heat_c, rules.heat_threshold_kw_m2(heat_c)
                elif vector == "overpressure":
                    cls, thr = blast_c, rules.blast_threshold_kpa(blast_c)
                else:
                    cls, thr = "any", r
                v, eng = float(values[j]), bool(engulfed[j])
                if vector == "fireball engulfment":
                    hit, ratio = eng, (thr / max(v, 1e-9))
                else:
                    hit, ratio = (eng or v >= thr), (v / thr)
                if not hit:
                    continue
                vec = "fire engulfment" if (eng and vector == "heat") else vector
                evidence.append({
                    "a": ent, "b": unit_ent[tid], "kind": "domino", "vector": vec, "equipment_class": cls,
                    "value": v, "value_unit": {"heat": "kW/m²", "fire engulfment": "kW/m²", "overpressure": "kPa"}
                    .get(vec, "m"), "threshold": thr, "ratio": max(ratio, 1.0) if eng else ratio,
                    "scenario": p.label, "primary_unit": uid, "target_unit": tid, "distance_m": float(d[j]),
                    "weight": None, "rule": f"target {cls}: {why}",
                    "line": (src, unit_points[tid]),
                })
    # -- fallback --------------------------------------------------------------------------------
    major_units = set()
    if len(assessments) and "is_major_hazard" in assessments.columns:
        major_units = {str(u) for u, m in assessments["is_major_hazard"].items() if bool(m)}
    major_ent = {unit_ent[u] for u in major_units if u in unit_ent}
    ent_geoms = ents.geometry
    ent_tree = shapely.STRtree(ent_geoms.values)
    geom_of = dict(zip(ents.index.astype(str), ent_geoms.values, strict=True))
    ent_ids = np.array([str(i) for i in ents.index])
    lack_ent: dict[str, list[str]] = {}
    for uid in sorted(lacking & set(unit_ids)):
        lack_ent.setdefault(unit_ent[uid], []).append(uid)
    if lacking:
        notes.append(f"{len(lacking & set(unit_ids))} unit(s) hold items the scenario builder could not model: "
                     "their links use the fallback distance rule")
    uidx = {u: k for k, u in enumerate(unit_ids)}
    for ent, uids in lack_ent.items():
        linked_by_unit: set[str] = set()
        for uid in uids:
            g = unit_geoms[uidx[uid]]
            cand = tree.query(g, predicate="dwithin", distance=rules.fallback_unit_distance_m + 1e-6)
            for k in cand:
                tid = unit_ids[int(k)]
                other = unit_ent[tid]
                if other == ent:
                    continue
                dist = float(shapely.distance(g, unit_geoms[int(k)]))
                if dist > rules.fallback_unit_distance_m + 1e-6:
                    continue
                linked_by_unit.add(other)
                evidence.append({
                    "a": ent, "b": other, "kind": "fallback", "vector": "distance", "equipment_class": None,
                    "value": dist, "value_unit": "m", "threshold": rules.fallback_unit_distance_m,
                    "ratio": rules.fallback_unit_distance_m / max(dist, 1e-9), "scenario": None,
                    "primary_unit": uid, "target_unit": tid, "distance_m": dist, "weight": None,
                    "rule": f"nearest hazardous units ≤ {rules.fallback_unit_distance_m:g} m (no consequence data "
                            f"for {uid})", "line": (unit_points[uid], unit_points[tid]),
                })
        if ent not in major_ent:
            continue
        eg = geom_of[ent]
        for k in ent_tree.query(eg, predicate="dwithin", distance=rules.fallback_boundary_distance_m + 1e-6):
            other = ent_ids[int(k)]
            if other == ent or other not in major_ent or other in linked_by_unit:
                continue
            dist = float(shapely.distance(eg, ent_geoms.iloc[int(k)]))
            if dist > rules.fallback_boundary_distance_m + 1e-6:
                continue
            evidence.append({
                "a": ent, "b": other, "kind": "fallback", "vector": "distance", "equipment_class": None,
                "value": dist, "value_unit": "m", "threshold": rules.fallback_boundary_distance_m,
                "ratio": rules.fallback_boundary_distance_m / max(dist, 1e-9), "scenario": None,
                "primary_unit": uids[0], "target_unit": None, "distance_m": dist, "weight": None,
                "rule": f"site boundaries ≤ {rules.fallback_boundary_distance_m:g} m and both hold a major hazard "
                        f"(no consequence data for {', '.join(uids[:3])}{' …' if len(uids) > 3 else ''})",
                "line": (eg.representative_point(), ent_geoms.iloc[int(k)].representative_point()),
            })
    # -- policy ----------------------------------------------------------------------------------
    industry = {e: industry_division(c) for e, c in ents["industry_code"].items()}
    form = _business_forms(assessments, unit_ent, major_units)
    pairs: set[tuple[str, str]] = set()
    if len(ent_ids):  # every plant against the tree at once
        src, dst = ent_tree.query(ent_geoms.values, predicate="dwithin", distance=rules.policy_distance_m)
        pairs |= {_pair(ent_ids[i], ent_ids[j]) for i, j in zip(src.tolist(), dst.tolist(), strict=True) if i != j}
    by_park: dict[str, list[str]] = {}
    for e, p in park.items():
        if p is not None:
            by_park.setdefault(p, []).append(e)
    for members in by_park.values():
        if len(members) > 1:
            ms = sorted(members)
            for i, a in enumerate(ms):
                for b in ms[i + 1:]:
                    pairs.add((a, b))
    policy: list[tuple[str, str, float, float, int, float, bool, bool, bool]] = []
    similar = [(a, b) for a, b in sorted(pairs) if (industry[a] is not None and industry[a] == industry[b])
               or (form.get(a) is not None and form.get(a) == form.get(b))]
    gaps = shapely.distance(np.array([geom_of[a] for a, _ in similar], dtype=object),
                            np.array([geom_of[b] for _, b in similar], dtype=object)) if similar else []
    for (a, b), gap in zip(similar, gaps, strict=True):
        same_ind = industry[a] is not None and industry[a] == industry[b]
        same_form = form.get(a) is not None and form.get(a) == form.get(b)
        s = int(same_ind) + int(same_form)
        gap = float(gap)
        same_park = park[a] is not None and park[a] == park[b]
        p = max(1.0 - gap / rules.policy_distance_m, rules.policy_same_park_floor if same_park else 0.0, 0.0)
        w = s / 2.0 * p
        if w < rules.policy_min_weight:
            continue
        policy.append((a, b, w, gap, s, p, same_ind, same_form, same_park))
    for a, b, w, gap, s, p, same_ind, same_form, same_park in _strongest(policy, rules.policy_max_links):
        ga, gb = geom_of[a], geom_of[b]
        shared = []
        if same_ind:
            shared.append(f"行业 {industry[a]} 大类 / industry division {industry[a]}")
        if same_form:
            zh, en = _CLASS_LABEL[form[a]]
            shared.append(f"业态 {zh} / business form {en}")
        where = "同一园区 / same park" if same_park else f"厂界相距 {gap:.0f} m / boundaries {gap:.0f} m apart"
        evidence.append({
            "a": a, "b": b, "kind": "policy", "vector": None, "equipment_class": None, "value": None,
            "value_unit": None, "threshold": rules.policy_min_weight, "ratio": w / rules.policy_min_weight,
            "scenario": None, "primary_unit": None, "target_unit": None, "distance_m": gap, "weight": round(w, 4),
            "rule": f"{where}; {'; '.join(shared)}; w = {s}/2 × {p:.2f} = {w:.2f} ≥ {rules.policy_min_weight:g}"
                    + (f"; among the {rules.policy_max_links} strongest of one end" if rules.policy_max_links else ""),
            "line": (ga.representative_point(), gb.representative_point()),
        })

    # -- links: one per pair and kind, the strongest evidence ---------------------------------
    link_rows: list[dict[str, Any]] = []
    best: dict[tuple[str, str, str], tuple[dict[str, Any], int]] = {}
    for ev in evidence:
        key = (*_pair(ev["a"], ev["b"]), ev["kind"])
        cur = best.get(key)
        if cur is None:
            best[key] = (ev, 1)
        else:
            keep = ev if ev["ratio"] > cur[0]["ratio"] else cur[0]
            best[key] = (keep, cur[1] + 1)
    for (a, b, kind), (ev, n) in sorted(best.items()):
        link_rows.append({**ev, "enterprise_a": a, "enterprise_b": b, "kind": kind, "evidence_count": n,
                          "cross_park": cross(a, b), "reason": _reason(ev, kind, n, cross(a, b))})

    # -- graph and clusters --------------------------------------------------------------------
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(ent_ids)
    for row in link_rows:
        graph.add_edge(row["enterprise_a"], row["enterprise_b"])
    r_ent: dict[str, float] = {}
    grade_ent: dict[str, int | None] = {}
    if len(assessments) and "r" in assessments.columns:
        for uid, a in assessments.iterrows():
            e = unit_ent.get(str(uid))
            if e is None or not bool(a.get("is_major_hazard")):
                continue
            r = _num(a.get("r"))
            r_ent[e] = r_ent.get(e, 0.0) + (r or 0.0)
            g = _num(a.get("grade"))
            if g is not None:
                grade_ent[e] = int(g) if grade_ent.get(e) is None else min(int(g), grade_ent[e])  # type: ignore[type-var]
    colour_of: dict[str, tuple[str, str]] = {}
    for e in ent_ids:
        if enterprise_colours and e in enterprise_colours:
            colour_of[e] = enterprise_colours[e]
        else:
            c = col.grade_colour(grade_ent.get(e))
            colour_of[e] = (col.enterprise_colour(None, c, None)[0], "derived from the worst GB 18218 grade")
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    cluster_of: dict[str, str] = {}
    cluster_rows: list[dict[str, Any]] = []
    contour_by_ent: dict[str, Any] = {}
    if contours is not None and len(contours):
        for e, g in contours.groupby("enterprise_id").geometry:
            contour_by_ent[str(e)] = shapely.union_all(g.values)
    names = ents["name"].astype(str).to_dict()
    member_rows: list[dict[str, Any]] = []
    kinds_of: dict[str, set[str]] = {}
    for comp in components:
        for e in comp:
            cluster_of[e] = f"CL-{comp[0]}"
    for row in link_rows:
        kinds_of.setdefault(cluster_of[row["enterprise_a"]], set()).add(row["kind"])
    for comp in components:
        cid = cluster_of[comp[0]]
        sub = graph.subgraph(comp)
        n = len(comp)
        total_r = sum(r_ent.get(e, 0.0) for e in comp)
        lead, lead_reason = _lead(sub, comp, r_ent, total_r)
        worst = col.worst(*(colour_of[e][0] for e in comp)) or "blue"
        worst_basis = "; ".join(sorted({f"{e}: {colour_of[e][1]}" for e in comp if colour_of[e][0] == worst}))[:500]
        people, basis = _people([contour_by_ent.get(e) for e in comp], comp, residential, targets,
                                contours is not None)
        geoms = [geom_of[e] for e in comp]
        outline = shapely.convex_hull(shapely.union_all(geoms)).buffer(rules.outline_buffer_m)
        kinds = sorted(kinds_of.get(cid, ()))
        parks = sorted({park[e] or "—" for e in comp})  # "—": outside any park
        cluster_rows.append({
            "cluster_id": cid, "members": list(comp), "member_names": "、".join(names[e] for e in comp),
            "n_members": n, "n_links": sub.number_of_edges(), "kinds": ",".join(kinds),
            "lead_enterprise_id": lead, "lead_enterprise_name": names[lead], "lead_reason": lead_reason,
            "combined_r": round(total_r, 2), "people": people, "people_basis": basis, "worst_colour": worst,
            "colour_basis": worst_basis, "parks": ",".join(parks), "cross_park": len(parks) > 1,
            "geometry": outline,
        })
        for e in comp:
            member_rows.append({"enterprise_id": e, "cluster_id": cid, "degree": sub.degree(e),
                                "r": round(r_ent.get(e, 0.0), 2), "colour": colour_of[e][0],
                                "colour_basis": colour_of[e][1], "hazard_class": form.get(e),
                                "industry": industry.get(e), "park_id": park[e],
                                "consequence_data": e not in lack_ent})
    for row in link_rows:
        row["cluster_id"] = cluster_of[row["enterprise_a"]]
    lines = [LineString([row["line"][0], row["line"][1]]) if not row["line"][0].equals(row["line"][1])
             else row["line"][0].buffer(0.5).exterior for row in link_rows]
    links = gpd.GeoDataFrame([{c: row.get(c) for c in LINK_COLUMNS} for row in link_rows],
                             columns=list(LINK_COLUMNS), geometry=gpd.GeoSeries(lines, crs=crs), crs=crs)
    clusters = gpd.GeoDataFrame([{c: row[c] for c in CLUSTER_COLUMNS} for row in cluster_rows],
                                columns=list(CLUSTER_COLUMNS),
                                geometry=gpd.GeoSeries([r["geometry"] for r in cluster_rows], crs=crs), crs=crs)
    members = pd.DataFrame(member_rows, columns=["enterprise_id", "cluster_id", "degree", "r", "colour",
                                                 "colour_basis", "hazard_class", "industry", "park_id",
                                                 "consequence_data"]).set_index("enterprise_id")
    settings = {**rules.describe(), "scenarios": digest, "colours": col.DEFAULT_RULES.describe(),
                "not_modelled": "BLEVE blast, fragments, jet impingement and direction; every modelled scenario "
                                "counts whatever its frequency",
                "scenario_problems": len(problems)}
    return ClusterResult(clusters, links, members, settings, notes, sorted(lacking & set(unit_ids)))


def _strongest(policy: list[tuple], k: int) -> list[tuple]:
    """The policy links among the ``k`` strongest of either end (by weight, then the smaller gap, then the
    other enterprise's id); all of them when ``k`` is 0."""
    if k <= 0:
        return policy
    ranked: dict[str, list[tuple[float, float, str, int]]] = {}
    for i, (a, b, w, gap, *_rest) in enumerate(policy):
        ranked.setdefault(a, []).append((-w, gap, b, i))
        ranked.setdefault(b, []).append((-w, gap, a, i))
    keep: set[int] = set()
    for links in ranked.values():
        keep |= {i for *_key, i in sorted(links)[:k]}
    return [row for i, row in enumerate(policy) if i in keep]


def _business_forms(assessments: pd.DataFrame, unit_ent: Mapping[str, str], major_units: set[str]
                    ) -> dict[str, str]:
    """Enterprise → dominant hazard class of its major hazard installations (largest Σβq/Q)."""
    weight: dict[str, dict[str, float]] = {}
    if not len(assessments) or "terms" not in assessments.columns:
        return {}
    for uid, terms in assessments["terms"].items():
        e = unit_ent.get(str(uid))
        if e is None or str(uid) not in major_units or not isinstance(terms, list | tuple):
            continue
        for t in terms:
            cls = hazard_class_of_codes(t.get("codes"))
            w = _num(t.get("beta_q_over_q")) or 0.0
            if cls is not None:
                weight.setdefault(e, {}).setdefault(cls, 0.0)
                weight[e][cls] += w
    order = {k: i for i, (k, *_r) in enumerate(HAZARD_CLASSES)}
    return {e: max(ws, key=lambda c: (ws[c], -order[c])) for e, ws in weight.items() if ws}


def _lead(sub: Any, comp: list[str], r_ent: Mapping[str, float], total_r: float) -> tuple[str, str]:
    """Suggested lead: highest degree centrality + share of the cluster's R; ties → larger R, then id."""
    n = len(comp)
    if n == 1:
        return comp[0], "单一企业 / a cluster of one"
    score = {}
    for e in comp:
        c = sub.degree(e) / (n - 1)
        share = r_ent.get(e, 0.0) / total_r if total_r > 0 else 0.0
        score[e] = (c + share, r_ent.get(e, 0.0), [-ord(ch) for ch in e])
    lead = max(comp, key=lambda e: score[e])
    c = sub.degree(lead) / (n - 1)
    share = r_ent.get(lead, 0.0) / total_r if total_r > 0 else 0.0
    return lead, (f"联系 {sub.degree(lead)}/{n - 1} 家成员（中心度 {c:.2f}），R 占群组 {share:.0%}；"
                  f"得分 = 中心度 + R 占比 = {c + share:.2f}，为群组最高 / "
                  f"linked to {sub.degree(lead)} of {n - 1} members (degree centrality "
                  f"{c:.2f}), {share:.0%} of the cluster's R; score = centrality + R share = {c + share:.2f}, the "
                  "highest in the cluster")


def _people(zones: list[Any], comp: list[str], residential: gpd.GeoDataFrame | None,
            targets: gpd.GeoDataFrame | None, have_contours: bool) -> tuple[float | None, str]:
    """People inside the union of the members' contours: residents by area share, targets by area or point."""
    have = [z for z in zones if z is not None and not z.is_empty]
    missing = [e for e, z in zip(comp, zones, strict=True) if z is None or z.is_empty]
    if not have_contours or (residential is None and targets is None):
        return None, "未提供等值线 / no contours given"
    zone = shapely.union_all(have) if have else None
    total = 0.0
    if zone is not None:
        for frame in (residential, targets):
            if frame is None or not len(frame):
                continue
            geoms = frame.geometry.values
            pop = pd.to_numeric(frame["population"], errors="coerce").fillna(0.0).to_numpy()
            idx = shapely.STRtree(geoms).query(zone, predicate="intersects")
            for k in idx:
                g = geoms[k]
                if g.geom_type in ("Point", "MultiPoint"):
                    total += pop[k]
                elif g.area > 0:
                    total += pop[k] * shapely.intersection(g, zone).area / g.area
    basis = "个人风险 3×10⁻⁶/年 等值线内（居民按面积分摊） / inside the 3×10⁻⁶/a IR contours (residents by area share)"
    if missing:
        basis += (f"; {len(missing)} 家成员无当前等值线（未计） / {len(missing)} member(s) without a current contour, "
                  f"not counted: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} (run geo-risk risk)")
    return round(total, 1), basis


def _reason(ev: Mapping[str, Any], kind: str, n: int, cross_park: bool) -> str:
    """The bilingual reason of a link; values that follow from inventories in tiered spans."""
    tail = f"（{n} 条依据 / {n} evidence rows）" if n > 1 else ""
    flag = "；跨园区 / cross-park" if cross_park else ""
    if kind == "domino":
        vec = ev["vector"]
        zh = _VECTOR_ZH.get(vec, vec)
        if vec == "fireball engulfment":
            val = restricted(f"火球半径 {ev['threshold']:.1f} m ≥ 距离 {ev['distance_m']:.1f} m / fireball radius "
                             f"{ev['threshold']:.1f} m ≥ distance {ev['distance_m']:.1f} m",
                             f"距离 {ev['distance_m']:.0f} m 在火球半径内 / within the fireball radius at "
                             f"{ev['distance_m']:.0f} m")
        elif vec == "fire engulfment":
            val = f"目标在池火范围内 / target inside the burning pool ({ev['distance_m']:.0f} m)"
        else:
            val = (restricted(f"{ev['value']:.1f} {ev['value_unit']}", "") +
                   f" ≥ 阈值 / threshold {ev['threshold']:g} {ev['value_unit']}（{ev['equipment_class']}）")
        return (f"多米诺 / domino: {ev['scenario']} → {ev['target_unit']}，{zh} / {vec} {val}，距离 / distance "
                f"{ev['distance_m']:.0f} m{tail}{flag}")
    if kind == "fallback":
        return f"后备规则 / fallback: {ev['rule']}，距离 / distance {ev['distance_m']:.1f} m{tail}{flag}"
    return f"政策 / policy (位置相邻、行业相近、业态相似): {ev['rule']}{flag}"
