"""Before/after scenarios on the stored city (``geo-risk scenario``, ``POST /api/v1/scenarios``; issue 14).

The I/O edge around :mod:`geo_risk.analysis.scenario_diff`. A scenario (JSON)::

    {"name": "…", "baseline_without": ["ENT-0111"],            # optional
     "changes": [
       {"type": "add_project", "site": …, "unit_type": "storage", "unit": {…}, "inventory": [{…}], …},
       {"type": "remove_enterprise", "enterprise_id": "ENT-0104"},
       {"type": "move_to_park", "enterprise_id": "ENT-0102", "park_id": "PARK-02"},
       {"type": "cut_inventory", "unit_id": "HU-0201", "chemical": "氯", "share": 0.5},
       {"type": "add_development", "site": …, "kind": "school", "population": 800},
       {"type": "relocation_case", "enterprise_id": "ENT-0102"}]}

``add_project`` takes the siting check's request shape (:func:`geo_risk.siting_check.parse_request`:
site, crs, name, unit_type, unit, inventory, declared_distances_m, or units); ``cut_inventory`` a
``unit_id`` or an ``enterprise_id``, an optional ``chemical`` and either ``max_quantity_t`` (t ≥ 0)
or ``share`` (0–1); ``relocation_case`` the stored relocation plan's outcome for that enterprise
(relocate → move_to_park, close → remove_enterprise, upgrade → cut_inventory by its share).
``baseline_without``: stored enterprises left out of both sides (a stored planned project that the
scenario's project stands in for, as the siting check's ``replaces``).

:func:`run_scenario` reads the store once per state (:func:`load_base`, cached per inputs version
and risk-run basis), applies the changes in memory (the store is never written), re-runs the QRA
of the touched enterprises only (and of the planned project), at the stored runs' settings
(:func:`settings_of_run`: the cell size, smoothing, population treatment, weather and rose the
stored run recorded), keeps every other enterprise's stored IR grid, and answers the difference
(:class:`ScenarioResult`): the IR difference grid, its contours and crossings, F-N curves before and
after, conflicts added and removed (:func:`geo_risk.analysis.conflicts.find_conflicts` on the same
targets before and after), people per IR band. :func:`write_products` writes the GeoTIFF, the F-N
PNG, a GeoPackage and the JSON; :func:`from_siting_request` and :func:`from_relocation_plan` turn
a siting check's request and the stored relocation plan into scenarios.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.analysis.scenario_diff import (
    CHANGE_TYPES,
    IR_LEVELS,
    Change,
    CityFrames,
    apply_changes,
    conflict_changes,
    crossings,
    difference_field,
    field_at_points,
    people_by_band,
    plot_fn_before_after,
)
from geo_risk.errors import GeoRiskError, InvalidInput, NotFound
from geo_risk.standards.gb36894 import TARGET_CLASSES

__all__ = ["parse_scenario", "load_base", "run_scenario", "settings_of_run", "write_products", "result_json",
           "from_siting_request", "from_relocation_plan", "ScenarioResult", "OUTPUTS", "MAX_CHANGES", "clear_cache",
           "scenario_dir", "KEEP_SCENARIOS", "CHANGE_SCHEMA"]

Progress = Callable[[str, int, int], None]
#: Output files by suffix.
OUTPUTS = (".gpkg", ".tif", ".png", ".json")
MAX_CHANGES = 50
#: How many scenarios' products are kept under <data dir>/scenarios (the oldest go first).
KEEP_SCENARIOS = 32
_TYPES = (*CHANGE_TYPES, "relocation_case")
_FIELDS = {
    "add_project": {"type", "site", "crs", "name", "unit_type", "unit", "inventory", "declared_distances_m", "units",
                    "park_id"},
    "remove_enterprise": {"type", "enterprise_id"},
    "move_to_park": {"type", "enterprise_id", "park_id", "at"},
    "cut_inventory": {"type", "unit_id", "enterprise_id", "chemical", "max_quantity_t", "share"},
    "add_development": {"type", "site", "crs", "name", "kind", "population", "households"},
    "relocation_case": {"type", "enterprise_id"},
}

_ID = {"type": "string", "minLength": 1}
_SITE = {"description": "GeoJSON geometry or Feature (Point, Polygon, MultiPolygon), or WKT",
         "anyOf": [{"type": "object"}, {"type": "string"}]}
#: JSON Schema (draft 2020-12) of one change; :func:`parse_scenario` is the validator (same rules, and it
#: names ``changes[i].field`` in its messages). ``cut_inventory`` takes unit_id or enterprise_id, and share
#: or max_quantity_t (one of each).
CHANGE_SCHEMA: dict[str, Any] = {"oneOf": [
    {"title": "add_project", "type": "object", "required": ["type", "site"],
     "properties": {"type": {"const": "add_project"}, "site": _SITE, "crs": {"type": "string"},
                    "name": {"type": "string"}, "unit_type": {"enum": ["production", "storage"]},
                    "unit": {"type": "object"}, "inventory": {"type": "array", "minItems": 1},
                    "declared_distances_m": {"type": "object"}, "units": {"type": "array", "minItems": 1},
                    "park_id": _ID}, "additionalProperties": False},
    {"title": "remove_enterprise", "type": "object", "required": ["type", "enterprise_id"],
     "properties": {"type": {"const": "remove_enterprise"}, "enterprise_id": _ID}, "additionalProperties": False},
    {"title": "move_to_park", "type": "object", "required": ["type", "enterprise_id", "park_id"],
     "properties": {"type": {"const": "move_to_park"}, "enterprise_id": _ID, "park_id": _ID,
                    "at": {**_SITE, "description": "a lon/lat point (default: the park's point on surface)"}},
     "additionalProperties": False},
    {"title": "cut_inventory", "type": "object", "required": ["type"],
     "properties": {"type": {"const": "cut_inventory"}, "unit_id": _ID, "enterprise_id": _ID,
                    "chemical": _ID, "share": {"type": "number", "minimum": 0, "maximum": 1},
                    "max_quantity_t": {"type": "number", "minimum": 0}},
     "allOf": [{"oneOf": [{"required": ["unit_id"]}, {"required": ["enterprise_id"]}]},
               {"oneOf": [{"required": ["share"]}, {"required": ["max_quantity_t"]}]}],
     "additionalProperties": False},
    {"title": "add_development", "type": "object", "required": ["type", "site", "kind", "population"],
     "properties": {"type": {"const": "add_development"}, "site": _SITE, "crs": {"type": "string"},
                    "name": {"type": "string"}, "kind": {"type": "string"},
                    "population": {"type": "number", "exclusiveMinimum": 0},
                    "households": {"type": "integer", "minimum": 0}}, "additionalProperties": False},
    {"title": "relocation_case", "type": "object", "required": ["type", "enterprise_id"],
     "properties": {"type": {"const": "relocation_case"}, "enterprise_id": _ID}, "additionalProperties": False},
]}


# =============================================================================================
# Parsing
# =============================================================================================


def _prefixed(at: str, exc: InvalidInput) -> InvalidInput:
    return InvalidInput(f"{at}.{exc}" if not str(exc).startswith("request") else f"{at}: {exc}")


def _number(v: Any, at: str, *, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InvalidInput(f"{at}: must be a number; got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"{lo:g}–{hi:g}" if hi is not None else f"≥ {lo:g}"
        raise InvalidInput(f"{at}: must be within {rng}; got {v!r}")
    return float(v)


def _text(v: Any, at: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise InvalidInput(f"{at}: required (an id, text)")
    return v.strip()


def parse_scenario(body: Any) -> tuple[str, list[Change], list[str]]:
    """Check a scenario's shape (the store is not read) and return (name, changes, baseline_without).

    ``relocation_case`` changes are kept as they are (:func:`run_scenario` expands them from the stored
    plan). Raises InvalidInput naming the change index and field: an empty change list, an unknown
    type or field, a share outside 0–1, a negative quantity, a bad site, kind or population.
    """
    from geo_risk.siting_check import parse_request

    if not isinstance(body, dict):
        raise InvalidInput("scenario: a JSON object with changes (a list) and an optional name")
    unknown = set(body) - {"name", "changes", "baseline_without"}
    if unknown:
        raise InvalidInput(f"scenario: unknown field(s) {', '.join(sorted(map(str, unknown)))}; valid: name, changes, "
                           "baseline_without")
    name = str(body.get("name") or "情景 / scenario")[:200]
    raw = body.get("changes")
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("changes: a non-empty list of changes (add_project, remove_enterprise, move_to_park, "
                           "cut_inventory, add_development, relocation_case)")
    if len(raw) > MAX_CHANGES:
        raise InvalidInput(f"changes: at most {MAX_CHANGES} changes; got {len(raw)}")
    base = body.get("baseline_without") or []
    if not isinstance(base, list) or not all(isinstance(e, str) and e.strip() for e in base):
        raise InvalidInput("baseline_without: a list of stored enterprise ids")
    changes: list[Change] = []
    n_projects = sum(1 for c in raw if isinstance(c, dict) and c.get("type") == "add_project")
    for i, c in enumerate(raw):
        at = f"changes[{i}]"
        if not isinstance(c, dict):
            raise InvalidInput(f"{at}: an object with a type ({', '.join(_TYPES)})")
        kind = c.get("type")
        if kind not in _TYPES:
            raise InvalidInput(f"{at}.type: unknown change type {kind!r}; valid: {', '.join(_TYPES)}")
        extra = set(c) - _FIELDS[kind]
        if extra:
            raise InvalidInput(f"{at}: unknown field(s) {', '.join(sorted(map(str, extra)))} for {kind}; valid: "
                               f"{', '.join(sorted(_FIELDS[kind] - {'type'}))}")
        if kind in ("remove_enterprise", "relocation_case"):
            changes.append(Change(i, kind, {"enterprise_id": _text(c.get("enterprise_id"), f"{at}.enterprise_id")}))
        elif kind == "move_to_park":
            p: dict[str, Any] = {"enterprise_id": _text(c.get("enterprise_id"), f"{at}.enterprise_id"),
                                 "park_id": _text(c.get("park_id"), f"{at}.park_id")}
            if c.get("at") is not None:
                from geo_risk.siting_check import _geometry

                try:
                    pt = _geometry(c["at"])
                except InvalidInput as exc:
                    raise InvalidInput(f"{at}.at: a point, lon/lat (GeoJSON or WKT): {exc}") from exc
                if pt.geom_type != "Point" or not (-180 <= pt.x <= 180 and -90 <= pt.y <= 90):
                    raise InvalidInput(f"{at}.at: a lon/lat point (EPSG:4326); got {pt.wkt[:80]}")
                p["at"] = pt
            changes.append(Change(i, kind, p))
        elif kind == "cut_inventory":
            if (c.get("unit_id") is None) == (c.get("enterprise_id") is None):
                raise InvalidInput(f"{at}: give unit_id (one unit) or enterprise_id (all its units), not both")
            if (c.get("share") is None) == (c.get("max_quantity_t") is None):
                raise InvalidInput(f"{at}: give share (0–1) or max_quantity_t (t ≥ 0), one of them")
            p = {"unit_id": None if c.get("unit_id") is None else _text(c["unit_id"], f"{at}.unit_id"),
                 "enterprise_id": (None if c.get("enterprise_id") is None
                                   else _text(c["enterprise_id"], f"{at}.enterprise_id")),
                 "chemical": None if c.get("chemical") is None else _text(c["chemical"], f"{at}.chemical")}
            if c.get("share") is not None:
                p["share"] = _number(c["share"], f"{at}.share", lo=0.0, hi=1.0)
            else:
                p["max_quantity_t"] = _number(c["max_quantity_t"], f"{at}.max_quantity_t", lo=0.0)
            changes.append(Change(i, kind, p))
        elif kind == "add_project":
            req_body = {k: v for k, v in c.items() if k not in ("type", "park_id")}
            try:
                req = parse_request(req_body)
            except InvalidInput as exc:
                raise _prefixed(at, exc) from exc
            if req.what != "project":
                raise InvalidInput(f"{at}: a project needs unit_type and inventory (or units)")
            eid = "PROPOSED" if n_projects == 1 else f"PROPOSED-{i}"
            units = [{"unit_id": f"{eid}-U{k + 1}", "name": f"{req.name} #{k + 1}", "geometry": u["geometry"],
                      "unit_type": u["unit_type"], "unit": u["unit"], "inventory": u["inventory"],
                      "declared": u["declared"]} for k, u in enumerate(req.units)]
            changes.append(Change(i, kind, {"enterprise_id": eid, "name": req.name, "site": req.site, "units": units,
                                             "park_id": c.get("park_id")}))
        else:  # add_development
            req_body = {k: v for k, v in c.items() if k != "type"}
            try:
                req = parse_request(req_body)
            except InvalidInput as exc:
                raise _prefixed(at, exc) from exc
            if req.what != "development":
                raise InvalidInput(f"{at}: a development needs kind and population")
            layer = "residential_areas" if req.kind == "residential" else "protection_targets"
            changes.append(Change(i, kind, {"geometry": req.site, "kind": req.kind, "population": req.population,
                                             "households": req.households, "name": req.name, "layer": layer,
                                             "id": f"SCN-DEV-{i}"}))
    return name, changes, [e.strip() for e in base]


# =============================================================================================
# The store, read once per state
# =============================================================================================


@dataclass
class Base:
    """What every scenario reads, for one store state."""

    key: tuple
    data: dict[str, Any]  # risk_runs._read: enterprises, units, inventory, residential, targets (EPSG:4326)
    parks: gpd.GeoDataFrame
    grids: dict[str, Any]  # enterprise id → its current stored IrGrid
    runs: dict[tuple[str, str], dict[str, Any]]  # (scope, id) → current stored run (assumptions, fn)
    conflict_units: gpd.GeoDataFrame
    distances: pd.DataFrame  # as the conflict analysis reads them (stored, else declared + code)
    distance_notes: list[str]
    targets: gpd.GeoDataFrame  # every target and home with category and layer
    admin_areas: gpd.GeoDataFrame | None
    places: dict = field(default_factory=dict)
    lock: Any = field(default_factory=threading.Lock)


_CACHE: dict[tuple, Base] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached store state."""
    with _LOCK:
        _CACHE.clear()


def _state(url: str) -> tuple[int, str]:
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        row = conn.execute(text("SELECT (SELECT inputs_version FROM data_version), conflicts_basis()")).first()
    return int(row[0]), str(row[1])


def load_base(url: str, *, data_dir: Path | None = None) -> Base:
    """The store's inputs, current IR grids and runs, distances and targets; cached per state."""
    from geo_risk.analyse import conflict_distances
    from geo_risk.risk_runs import _read
    from geo_risk.store import conflicts as cstore
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.risk_results import list_runs
    from geo_risk.store.siting import read_parks

    key = (url, str(data_dir), *_state(url))
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    data = _read(url)
    parks = read_parks(url)
    grids = {g.scope_id: g for g in read_grids(url, data_dir=data_dir, scope="enterprise")}
    runs = {(r["scope"], r["scope_id"]): r for r in list_runs(url) if r["current"]}
    c = cstore.read_inputs(url, targets=False)
    distances, notes = conflict_distances(url, c["units"], c["enterprises"], c["distances"])
    targets = cstore.read_targets(url)
    base = Base(key, data, parks, grids, runs, c["units"], distances, notes, targets, c["admin_areas"])
    with _LOCK:
        for k in [k for k in _CACHE if k[0] == url]:
            del _CACHE[k]
        _CACHE[key] = base
    return base


def settings_of_run(assumptions: dict[str, Any] | None):  # noqa: ANN201 - a RiskSettings
    """The :class:`~geo_risk.risk.run.RiskSettings` a stored run recorded: its requested cell size,
    sector smoothing, population treatment, day fraction and flash-fire factor (when set), terrain,
    weather weights, uniform rose sectors or rose file (checked by its SHA-256). Defaults for a run
    that recorded none (before model 2.1). Raises GeoRiskError when the run's rose file is gone or
    changed."""
    from geo_risk.risk.run import RiskSettings

    a = assumptions or {}
    rs = a.get("run_settings") or {}

    def value(k: str, default: Any) -> Any:
        return (rs.get(k) or {}).get("value", default)

    def given(k: str) -> bool:
        return (rs.get(k) or {}).get("set_by") == "setting"

    rose = a.get("wind_rose_file")
    rose_file = None
    weights = None
    if rose:
        rose_file = Path(rose["path"])
        try:
            sha = hashlib.sha256(rose_file.read_bytes()).hexdigest()
        except OSError as exc:
            raise GeoRiskError(f"the stored risk run used the wind rose file {rose_file.name}, which cannot be read "
                               "now: restore it or rerun `geo-risk risk --all`") from exc
        if rose.get("sha256") and sha != rose["sha256"]:
            raise GeoRiskError(f"the wind rose file {rose_file.name} changed since the stored risk run: rerun "
                               "`geo-risk risk --all` first, so before and after use the same rose")
    else:
        w = [float(v) for v in (a.get("weather") or {}).values()]
        if w and max(w) - min(w) > 1e-6:
            weights = tuple(w)
    m = re.search(r"uniform (\d+)-sector", str(a.get("wind_rose", "")))
    return RiskSettings(cell_m=float(value("cell_m", 25.0)), n_sectors=int(m.group(1)) if m else 16,
                        terrain=str(a.get("terrain", "rural")), weather_weights=weights, rose_file=rose_file,
                        sector_smoothing=str(value("sector_smoothing", "exact")),
                        population_treatment=str(value("population_treatment", "purple_book")),
                        day_fraction=float(value("day_fraction", 0.0)) if given("day_fraction") else None,
                        flash_fire_indoor_factor=(float(value("flash_fire_indoor_factor", 1.0))
                                                  if given("flash_fire_indoor_factor") else None))


# =============================================================================================
# Running a scenario
# =============================================================================================


@dataclass
class ScenarioResult:
    """A scenario's difference (see the module docstring). Figures are derived from inventories:
    below analyst only :meth:`verdict` is shown."""

    scenario_id: str
    name: str
    changes: list[Change]
    baseline_without: list[str]
    inputs_version: int
    touched: dict[str, list[str]]
    removed: list[str]
    field: Any  # scenario_diff.DiffField or None
    contours: dict[str, list[tuple[float, Any]]]
    fn: dict[str, dict[str, Any]]  # label → {"before": (n, f), "after": (n, f), "region_before", "region_after"}
    conflicts_added: gpd.GeoDataFrame
    conflicts_removed: gpd.GeoDataFrame
    conflicts_kept: int
    bands: dict[str, dict[str, float]]
    settings: dict[str, Any]
    notes: list[str]
    problems: list[str]
    timings: dict[str, float]
    developments: gpd.GeoDataFrame | None = None
    moves: dict[str, dict[str, Any]] = field(default_factory=dict)

    def direction(self) -> str:
        """``raised``, ``lowered``, ``mixed`` or ``unchanged``: how cumulative IR changes anywhere."""
        if self.field is None:
            return "unchanged"
        d = self.field.diff
        up, down = bool((d > 0).any()), bool((d < 0).any())
        return "mixed" if up and down else "raised" if up else "lowered" if down else "unchanged"

    def verdict(self) -> dict[str, Any]:
        labels = {"raised": "累积风险上升 / cumulative risk raised",
                  "lowered": "累积风险下降 / cumulative risk lowered",
                  "mixed": "有升有降 / raised in places, lowered in others", "unchanged": "无变化 / unchanged"}
        d = self.direction()
        return {"ir": d, "ir_label": labels[d], "conflicts_added": int(len(self.conflicts_added)),
                "conflicts_removed": int(len(self.conflicts_removed)), "conflicts_kept": int(self.conflicts_kept)}


def _scenario_id(body: Any, key: tuple) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str) + repr(key[1:])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _expand_cases(url: str, changes: list[Change]) -> list[Change]:
    """``relocation_case`` changes → the stored plan's outcome for the enterprise."""
    if not any(c.type == "relocation_case" for c in changes):
        return changes
    from geo_risk.store.relocation import latest_plan, plan_cases

    run = latest_plan(url)
    if run is None:
        raise NotFound("no stored relocation plan: compute it first (geo-risk relocation-plan or "
                       "GET /api/v1/relocation-plan)")
    cases = plan_cases(url).set_index("enterprise_id")
    out = []
    for c in changes:
        if c.type != "relocation_case":
            out.append(c)
            continue
        eid = c.params["enterprise_id"]
        if eid not in cases.index:
            raise InvalidInput(f"{c.where('enterprise_id')}: {eid!r} is not a case of the stored relocation plan; "
                               f"cases: {', '.join(map(str, cases.index[:20]))}")
        out += _case_changes(c.index, eid, cases.loc[eid])
    return out


def _case_changes(index: int, eid: str, case: Any) -> list[Change]:
    outcome = case["outcome"]
    if outcome == "relocate_to_park":
        return [Change(index, "move_to_park", {"enterprise_id": eid, "park_id": str(case["park_id"])})]
    if outcome == "close_exit":
        return [Change(index, "remove_enterprise", {"enterprise_id": eid})]
    share = case.get("upgrade_share")
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return []  # an upgrade the plan found no share for: nothing to apply
    return [Change(index, "cut_inventory", {"enterprise_id": eid, "unit_id": None, "chemical": None,
                                            "share": float(share)})]


def _check_ids(base: Base, changes: list[Change], without: list[str]) -> None:
    ents = base.data["enterprises"]
    for e in without:
        if e not in ents.index:
            raise InvalidInput(f"baseline_without: no enterprise {e!r}")
    for c in changes:
        p = c.params
        eid = p.get("enterprise_id")
        if c.type in ("remove_enterprise", "move_to_park") or (c.type == "cut_inventory" and eid is not None):
            if eid not in ents.index:
                raise InvalidInput(f"{c.where('enterprise_id')}: no enterprise {eid!r} in the store")
            if eid in without:
                raise InvalidInput(f"{c.where('enterprise_id')}: {eid!r} is left out by baseline_without")
        if c.type == "add_project" and p.get("park_id") is not None and p["park_id"] not in base.parks.index:
            raise InvalidInput(f"{c.where('park_id')}: no chemical park {p['park_id']!r}")
        if c.type == "move_to_park" and p["park_id"] not in base.parks.index:
            raise InvalidInput(f"{c.where('park_id')}: no chemical park {p['park_id']!r}; parks: "
                               f"{', '.join(map(str, base.parks.index))}")
        if c.type == "cut_inventory" and p.get("unit_id") is not None and p["unit_id"] not in base.data["units"].index \
                and not str(p["unit_id"]).startswith("PROPOSED"):
            raise InvalidInput(f"{c.where('unit_id')}: no hazard unit {p['unit_id']!r} in the store")


def _places(base: Base, crs: str, cell_m: float, residential: gpd.GeoDataFrame, targets: gpd.GeoDataFrame):
    """The populated places of the stored residential areas and targets in ``crs`` on ``cell_m`` cells,
    built once per state (as :func:`geo_risk.risk_runs._scope_inputs` builds them for a run)."""
    from geo_risk.risk.population import presence_places

    with base.lock:
        hit = base.places.get((crs, cell_m))
        if hit is None:
            hit = (*presence_places(residential, targets, cell_m), cell_m)
            base.places[(crs, cell_m)] = hit
    return hit


def _scope(base: Base, frames: CityFrames, scope: str, sid: str, members: list[str], criteria: str, cell_m: float,
           developments: gpd.GeoDataFrame | None, crs: str | None = None):
    """ScopeInputs as the stored run built them (UTM zone of the units' centroid; the city's people),
    from the frames after the changes; an added development's people added to the places."""
    from geo_risk.risk.population import presence_places
    from geo_risk.risk.run import ScopeInputs, utm_crs_for

    units = frames.units[frames.units["enterprise_id"].isin(members)]
    centre = units.geometry.union_all().centroid
    crs = crs or utm_crs_for(centre.x, centre.y)
    inv = frames.inventory[frames.inventory["unit_id"].isin(units.index)]
    res0, tg0 = base.data["residential"].to_crs(crs), base.data["targets"].to_crs(crs)
    px, py, pres, cell = _places(base, crs, cell_m, res0, tg0)
    res, tg = frames.residential.to_crs(crs), frames.targets.to_crs(crs)
    if developments is not None and len(developments):
        d = developments.to_crs(crs)
        dr = d[d["layer"] == "residential_areas"][["population", "geometry"]]
        dt = d[d["layer"] != "residential_areas"][["population", "kind", "geometry"]]
        ax, ay, ap = presence_places(dr, dt, cell_m)
        px, py, pres = np.concatenate([px, ax]), np.concatenate([py, ay]), np.concatenate([pres, ap])
    return ScopeInputs(scope, sid, crs, criteria, units.to_crs(crs), inv, res, tg, (px, py, pres, cell))


def _ir_grid(result: Any, scope: str, sid: str, members: tuple[str, ...], criteria: str):
    """A QRA result as an IrGrid, float32 as the stored COG holds it (rows from the north)."""
    from rasterio.transform import from_origin

    from geo_risk.analysis.ir_field import IrGrid

    g = result.grid
    top = g.y0 + (g.ny - 0.5) * g.cell_m
    left = g.x0 - g.cell_m / 2
    array = np.flipud(np.asarray(result.ir, dtype=np.float32)).astype(np.float64)
    return IrGrid(run_id=0, scope=scope, scope_id=sid, enterprise_ids=members, criteria=criteria, crs=str(g.crs),
                  array=array, transform=from_origin(left, top, g.cell_m, g.cell_m))


def _distance_rows(frames: CityFrames, eid: str, method_table: pd.DataFrame, qra_m: dict[str, float] | None
                   ) -> list[dict[str, Any]]:
    """The required distances of ``eid``'s units after the changes, as ``geo-risk risk`` stores them
    (final = max(method, design code); declared beside)."""
    from geo_risk.risk_runs import _explosive_distances
    from geo_risk.standards.gbt37243 import declared_distances, external_distances

    rows: list[dict[str, Any]] = []
    unit_rows = method_table[(method_table["level"] == "unit") & (method_table["enterprise_id"] == eid)]
    for _, u in unit_rows.iterrows():
        uid = u["unit_id"]
        if not u["assessed"]:
            continue
        code = {c: (None if pd.isna(u[f"code_distance_{c}_m"]) else float(u[f"code_distance_{c}_m"]))
                for c in TARGET_CLASSES}
        method_m = None
        if u["method"] == "qra":
            method_m = qra_m
        elif u["method"] == "consequence":
            method_m, _ = _explosive_distances(frames.inventory[frames.inventory["unit_id"] == uid])
        declared = declared_distances(frames.units.loc[uid].to_dict())
        final = external_distances(method_m, code, declared)
        for cls, r in final.iterrows():
            rows.append({"unit_id": uid, "target_class": cls, "method": u["method"],
                         "final_distance_m": _num(r["final_distance_m"]),
                         "declared_distance_m": _num(r["declared_distance_m"]),
                         "code_distance_m": _num(r["code_distance_m"])})
    return rows


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _fn_of(run: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
    fn = (run or {}).get("fn") or {}
    return np.asarray(fn.get("n", []), dtype=float), np.asarray(fn.get("f", []), dtype=float)


def _region(n: np.ndarray, f: np.ndarray) -> str:
    from geo_risk.risk.societal import fn_region

    return fn_region(n, f)["region"] if len(n) else fn_region(np.array([0.0]), np.array([0.0]))["region"]


def _box_of(grid: Any) -> tuple[float, float, float, float]:
    from geo_risk.analyse import grid_box

    return grid_box(grid)


def _reach_boxes(units: gpd.GeoDataFrame, reach: pd.Series) -> list[tuple[float, float, float, float]]:
    """Lon/lat boxes of units grown by their reach (m)."""
    out = []
    for uid, g in units.geometry.items():
        r = float(reach.get(uid, 0.0) or 0.0) + 50.0
        x0, y0, x1, y1 = g.bounds
        dlat = r / 110_574.0 * 1.02
        dlon = r / (111_319.0 * max(0.05, math.cos(math.radians(min(89.0, abs(y1) + dlat))))) * 1.02
        out.append((x0 - dlon, y0 - dlat, x1 + dlon, y1 + dlat))
    return out


def _conflict_units(frames: CityFrames, base: Base) -> gpd.GeoDataFrame:
    cols = [c for c in base.conflict_units.columns if c != "geometry"]
    u = frames.units.reindex(columns=[*cols, "geometry"])
    return gpd.GeoDataFrame(u, geometry="geometry", crs=4326)


def run_scenario(url: str, body: Any, *, data_dir: Path | None = None, progress: Progress | None = None,
                 settings: Any = None) -> ScenarioResult:
    """Run one scenario on the store (nothing written): see the module docstring."""
    from geo_risk.analyse import conflict_settings
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.run import assess_scope
    from geo_risk.standards.gb36894 import classify_target

    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def tick(what: str, k: int, n: int) -> None:
        if progress:
            progress(what, k, n)

    name, changes, without = parse_scenario(body)
    tick("scenario: reading the store", 0, 5)
    base = load_base(url, data_dir=data_dir)
    timings["read_s"] = time.perf_counter() - t0
    changes = _expand_cases(url, changes)
    _check_ids(base, changes, without)
    d = base.data
    keep = ~d["enterprises"].index.isin(without)
    before = CityFrames(d["enterprises"][keep], d["units"][~d["units"]["enterprise_id"].isin(without)],
                        d["inventory"], d["residential"], d["targets"], base.parks)
    before.inventory = before.inventory[before.inventory["unit_id"].isin(before.units.index)]
    applied = apply_changes(before, changes)
    after = applied.frames
    notes = list(applied.notes) + list(base.distance_notes)
    if without:
        notes.append(f"left out of both sides (baseline_without): {', '.join(without)}")
    # enterprises whose societal risk sees an added development: their QRA is recomputed too
    if applied.developments is not None:
        dev_union = applied.developments.geometry.union_all()
        for eid, run in base.runs.items():
            if eid[0] != "enterprise" or eid[1] in without or eid[1] not in after.enterprises.index:
                continue
            reach = float(((run.get("assumptions") or {}).get("grid") or {}).get("max_reach_m") or 0.0)
            eu = after.units[after.units["enterprise_id"] == eid[1]]
            if len(eu) and _distance_m(eu.geometry.union_all(), dev_union) <= reach:
                applied.touched.setdefault(eid[1], []).append("add_development")
    touched = dict(applied.touched)
    # the risk settings: those of the touched enterprises' stored runs (all alike), else the service's
    stored_settings = {}
    for eid in touched:
        run = base.runs.get(("enterprise", eid))
        if run is not None:
            stored_settings[eid] = settings_of_run(run["assumptions"])
    distinct = {repr(s) for s in stored_settings.values()}
    if len(distinct) > 1:
        raise GeoRiskError("the touched enterprises' stored risk runs used different settings: rerun "
                           "`geo-risk risk --all` so before and after compare like with like")
    if stored_settings:
        rs = next(iter(stored_settings.values()))
    else:
        any_run = next((r for k, r in base.runs.items() if k[0] == "enterprise"), None)
        if any_run is not None:
            rs = settings_of_run(any_run["assumptions"])
        else:
            from geo_risk.risk_runs import risk_settings

            rs = risk_settings(settings)
    # -- the QRA of the touched enterprises after the changes -----------------------------------
    table = method_rows(after.enterprises[["name", "status"]],
                        after.units[["enterprise_id", "name", "unit_type", "equipment", "fire_class"]],
                        after.inventory[["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq",
                                         "hazard_categories", "state"]]) if len(after.units) else pd.DataFrame()
    after_grids: dict[str, Any] = {}
    fn: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    new_distance_rows: list[dict[str, Any]] = []
    alive = [e for e in touched if e in after.enterprises.index]
    t1 = time.perf_counter()
    fresh_before, fresh_runs, fresh_rows = _before_without_runs(base, before, touched, rs, notes)
    for k, eid in enumerate(sorted(touched)):
        tick(f"scenario: QRA {eid}", k, len(touched))
        result = None
        if eid in alive and len(table):
            erow = table[(table["level"] == "enterprise") & (table["enterprise_id"] == eid)]
            urows = table[(table["level"] == "unit") & (table["enterprise_id"] == eid)]
            qra = bool(len(erow)) and bool(erow["assessed"].iloc[0]) and bool(
                (urows["assessed"] & (urows["method"] == "qra")).any())
            if qra:
                criteria = str(erow["criteria"].iloc[0])
                result = assess_scope(_scope(base, after, "enterprise", eid, [eid], criteria, rs.cell_m,
                                             applied.developments), rs)
                problems += [f"{eid}: {p}" for p in result.problems]
                if result.grid is not None:
                    after_grids[eid] = _ir_grid(result, "enterprise", eid, (eid,), criteria)
            new_distance_rows += _distance_rows(after, eid, table, result.distances_m if result else None)
        run_b = fresh_runs.get(eid) or base.runs.get(("enterprise", eid))
        n_b, f_b = _fn_of(run_b)
        n_a, f_a = (result.fn_n, result.fn_f) if result is not None else (np.zeros(0), np.zeros(0))
        if len(n_b) or len(n_a) or result is not None or run_b is not None:
            fn[f"enterprise {eid}"] = {"before": (n_b, f_b), "after": (np.asarray(n_a), np.asarray(f_a)),
                                       "region_before": _region(n_b, f_b) if run_b is not None else None,
                                       "region_after": _region(np.asarray(n_a), np.asarray(f_a)) if result is not None
                                       else None}
    timings["qra_s"] = time.perf_counter() - t1
    _park_fn(base, after, applied, touched, table, rs, fn, notes, without)
    # -- the IR difference ------------------------------------------------------------------------
    tick("scenario: IR difference", 2, 5)
    t2 = time.perf_counter()
    stored = {**{e: g for e, g in base.grids.items() if e not in without}, **fresh_before}
    before_t = [stored[e] for e in sorted(touched) if e in stored]
    after_t = [after_grids[e] for e in sorted(after_grids)]
    context = [g for e, g in stored.items() if e not in touched]
    field_ = difference_field(before_t, after_t, context)
    contours = crossings(field_) if field_ is not None else {}
    if field_ is not None:
        notes += field_.notes
    # people per IR band, citywide (each target's representative point)
    tg = base.targets
    pts = shapely.point_on_surface(np.asarray(tg.geometry.values, dtype=object))
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    pop = pd.to_numeric(tg["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    ir_b = field_at_points(list(stored.values()), x, y)
    ir_a = ir_b - field_at_points(before_t, x, y) + field_at_points(after_t, x, y)
    ir_a = np.maximum(ir_a, 0.0)
    pop_b, pop_a = pop, pop
    if applied.developments is not None:
        dp = shapely.point_on_surface(np.asarray(applied.developments.geometry.values, dtype=object))
        dx, dy = shapely.get_x(dp), shapely.get_y(dp)
        all_after = [*context, *after_t]
        dev_ir = field_at_points(all_after, dx, dy)
        ir_b = np.concatenate([ir_b, np.zeros(len(dp))])
        ir_a = np.concatenate([ir_a, dev_ir])
        dpop = applied.developments["population"].to_numpy(dtype=float)
        pop_b, pop_a = np.concatenate([pop, np.zeros(len(dp))]), np.concatenate([pop, dpop])
    bands = people_by_band(ir_b, ir_a, pop_b, pop_a)
    timings["difference_s"] = time.perf_counter() - t2
    # -- conflicts before and after on the same targets -------------------------------------------
    tick("scenario: conflicts", 3, 5)
    t3 = time.perf_counter()
    dist_b = base.distances[base.distances["unit_id"].isin(before.units.index)]
    if fresh_rows:  # the touched plants whose before QRA was computed now: their distances with it
        redone = {r["unit_id"] for r in fresh_rows}
        dist_b = pd.concat([dist_b[~dist_b["unit_id"].isin(redone)], pd.DataFrame(fresh_rows)], ignore_index=True)
    touched_units_b = before.units.index[before.units["enterprise_id"].isin(list(touched))]
    dist_a = dist_b[~dist_b["unit_id"].isin(touched_units_b)]
    if new_distance_rows:
        dist_a = pd.concat([dist_a, pd.DataFrame(new_distance_rows)], ignore_index=True)
    from geo_risk.analyse import required_reach

    reach_b, reach_a = required_reach(dist_b), required_reach(dist_a)
    touched_units_a = after.units.index[after.units["enterprise_id"].isin(list(touched))]
    boxes = (_reach_boxes(before.units.loc[touched_units_b], reach_b)
             + _reach_boxes(after.units.loc[touched_units_a], reach_a)
             + [_box_of(g) for g in (*before_t, *after_t)])
    if applied.developments is not None:
        boxes += [tuple(g.bounds) for g in applied.developments.geometry.values]
    targets = _targets_in(base.targets, boxes)
    grids_b = _grids_near([stored[e] for e in stored], boxes)
    grids_a = _grids_near([*context, *after_t], boxes)
    cs = conflict_settings(settings)
    ents_b = before.enterprises[["name", "status", "park_id"]]
    ents_a = after.enterprises[["name", "status", "park_id"]]
    res_b = find_conflicts(targets, _conflict_units(before, base), pd.DataFrame(ents_b), dist_b, grids_b,
                           base.admin_areas, cs)
    targets_a = targets
    if applied.developments is not None:
        dv = applied.developments
        hh = dv["households"] if "households" in dv.columns else pd.Series([None] * len(dv), index=dv.index)
        cats = [classify_target(k, p, None if h is None or h != h else int(h))
                for k, p, h in zip(dv["kind"], dv["population"], hh, strict=True)]
        extra = gpd.GeoDataFrame({"name": dv["name"], "kind": dv["kind"], "category": cats,
                                  "population": dv["population"].astype(float), "layer": dv["layer"]},
                                 geometry=dv.geometry.values, crs=4326, index=dv.index)
        targets_a = gpd.GeoDataFrame(pd.concat([targets, extra.reindex(columns=targets.columns)]), geometry="geometry",
                                     crs=4326)
    res_a = find_conflicts(targets_a, _conflict_units(after, base), pd.DataFrame(ents_a), dist_a, grids_a,
                           base.admin_areas, cs)
    added, removed, kept = conflict_changes(res_b.conflicts, res_a.conflicts)
    timings["conflicts_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - t0
    tick("scenario: done", 5, 5)
    described = rs.describe()
    return ScenarioResult(
        scenario_id=_scenario_id(body, base.key), name=name, changes=changes, baseline_without=without,
        inputs_version=int(base.key[2]), touched=touched, removed=sorted(applied.removed), field=field_,
        contours=contours, fn=fn, conflicts_added=added, conflicts_removed=removed, conflicts_kept=kept, bands=bands,
        settings={"risk": described["run_settings"], "wind_rose": described["wind_rose"],
                  "weather": described["weather"], "grid_cell_m": rs.cell_m,
                  "source": ("the touched enterprises' stored runs" if stored_settings else
                             "a stored run of the store" if base.runs else "the service's settings (no stored run)"),
                  "conflicts": res_a.settings.get("tags"), "ir_levels_per_year": list(IR_LEVELS),
                  "people_per_band": ("cumulative IR at each target's representative point (EPSG:4326 point on "
                                      "surface), a target's people counted whole in its band; bands: service "
                                      "colours on the GB 36894 ladder")},
        notes=notes, problems=problems, timings={k: round(v, 3) for k, v in timings.items()},
        developments=applied.developments, moves=applied.moves)


def _before_without_runs(base: Base, before: CityFrames, touched: dict[str, list[str]], rs: Any, notes: list[str]
                         ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The before QRA of touched enterprises that need one (a QRA plant by GB/T 37243) and have no current
    stored run: computed now from the stored inputs at the same settings, so before and after compare
    like with like. Returns (grids, runs {"fn"}, distance rows) by enterprise."""
    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.run import assess_scope

    todo = [e for e in sorted(touched) if e in before.enterprises.index and e not in base.grids]
    if not todo:
        return {}, {}, []
    mine = before.units["enterprise_id"].isin(todo)
    units = before.units[mine]
    inv = before.inventory[before.inventory["unit_id"].isin(units.index)]
    table = method_rows(before.enterprises.loc[todo, ["name", "status"]],
                        units[["enterprise_id", "name", "unit_type", "equipment", "fire_class"]],
                        inv[["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq", "hazard_categories",
                             "state"]])
    grids, runs, rows = {}, {}, []
    for eid in todo:
        erow = table[(table["level"] == "enterprise") & (table["enterprise_id"] == eid)]
        urows = table[(table["level"] == "unit") & (table["enterprise_id"] == eid)]
        if not (len(erow) and bool(erow["assessed"].iloc[0]) and bool((urows["assessed"]
                                                                        & (urows["method"] == "qra")).any())):
            continue
        criteria = str(erow["criteria"].iloc[0])
        result = assess_scope(_scope(base, before, "enterprise", eid, [eid], criteria, rs.cell_m, None), rs)
        if result.grid is not None:
            grids[eid] = _ir_grid(result, "enterprise", eid, (eid,), criteria)
        runs[eid] = {"fn": {"n": list(result.fn_n), "f": list(result.fn_f)}}
        rows += _distance_rows(before, eid, table, result.distances_m)
        notes.append(f"{eid}: no current stored QRA run; its before QRA computed now from the stored inputs at the "
                     "same settings (run `geo-risk risk` to store it)")
    return grids, runs, rows


def _distance_m(a: Any, b: Any) -> float:
    from geo_risk.analysis.scenario_diff import _project
    from geo_risk.risk.run import utm_crs_for

    c = a.centroid
    crs = utm_crs_for(c.x, c.y)
    pa, pb = _project([a, b], 4326, crs)
    return float(pa.distance(pb))


def _targets_in(targets: gpd.GeoDataFrame, boxes: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    if not boxes or not len(targets):
        return targets.iloc[:0]
    tree = shapely.STRtree(np.asarray(targets.geometry.values, dtype=object))
    hit = np.unique(tree.query(shapely.box(*np.array(boxes).T))[1])
    return targets.iloc[np.sort(hit)]


def _grids_near(grids: list[Any], boxes: list[tuple[float, float, float, float]]) -> list[Any]:
    if not boxes:
        return []
    area = shapely.union_all(shapely.box(*np.array(boxes).T))
    return [g for g in grids if shapely.box(*_box_of(g)).intersects(area)]


def _park_fn(base: Base, after: CityFrames, applied: Any, touched: dict[str, list[str]], table: pd.DataFrame,
             rs: Any, fn: dict[str, dict[str, Any]], notes: list[str], without: list[str]) -> None:
    """F-N of the parks the scenario touches (a member touched, or a firm moved in), when the park has
    a current stored park run to compare with; else a note."""
    from geo_risk.risk.run import assess_scope

    parks: set[str] = set()
    ents_b = base.data["enterprises"]
    for eid in touched:
        for frame in (ents_b, after.enterprises):
            if eid in frame.index and isinstance(frame.loc[eid, "park_id"], str):
                parks.add(str(frame.loc[eid, "park_id"]))
    for pid in sorted(parks):
        run = base.runs.get(("park", pid))
        if run is None:
            notes.append(f"park {pid}: no current stored park QRA, its F-N before and after is not compared (run "
                         f"`geo-risk risk --park {pid}` first)")
            continue
        if not len(table):
            continue
        ents = table[(table["level"] == "enterprise") & table["assessed"]]
        units = table[(table["level"] == "unit") & table["assessed"] & (table["method"] == "qra")]
        members = [e for e in ents["enterprise_id"] if e in set(units["enterprise_id"])
                   and after.enterprises.loc[e, "park_id"] == pid]
        n_b, f_b = _fn_of(run)
        if members:
            crit = "new" if all(ents.set_index("enterprise_id").loc[e, "criteria"] == "new" for e in members) \
                else "existing"
            result = assess_scope(_scope(base, after, "park", pid, members, crit, rs.cell_m, applied.developments),
                                  rs)
            n_a, f_a = np.asarray(result.fn_n), np.asarray(result.fn_f)
        else:
            n_a, f_a = np.zeros(0), np.zeros(0)
        fn[f"park {pid}"] = {"before": (n_b, f_b), "after": (n_a, f_a), "region_before": _region(n_b, f_b),
                             "region_after": _region(n_a, f_a)}


# =============================================================================================
# Siting requests and the relocation plan as scenarios
# =============================================================================================


def from_siting_request(body: dict[str, Any]) -> dict[str, Any]:
    """A siting check's request (POST /api/v1/siting-check) as a scenario: a project is added (the stored
    enterprise it ``replaces`` left out of both sides: before is the city without it), a development
    is added as a sensitive development."""
    if not isinstance(body, dict):
        raise InvalidInput("request: a siting-check request (JSON object)")
    rest = {k: v for k, v in body.items() if k != "replaces"}
    project = any(body.get(k) is not None for k in ("inventory", "unit_type", "units"))
    change = {"type": "add_project" if project else "add_development", **rest}
    out: dict[str, Any] = {"name": f"选址论证情景 / siting check: {body.get('name') or 'site'}", "changes": [change]}
    if body.get("replaces"):
        out["baseline_without"] = [str(body["replaces"])]
    return out


def from_relocation_plan(url: str, outcomes: tuple[str, ...] = ("relocate_to_park", "close_exit", "in_situ_upgrade")
                         ) -> dict[str, Any]:
    """The stored relocation plan as a scenario: one ``relocation_case`` per case whose outcome is in
    ``outcomes`` (default every case). Raises NotFound without a stored plan."""
    from geo_risk.store.relocation import latest_plan, plan_cases

    if latest_plan(url) is None:
        raise NotFound("no stored relocation plan: compute it first (geo-risk relocation-plan)")
    cases = plan_cases(url)
    chosen = cases[cases["outcome"].isin(outcomes)]
    if not len(chosen):
        raise InvalidInput(f"the stored relocation plan has no case with outcome {', '.join(outcomes)}")
    return {"name": "搬迁入园方案情景 / relocation plan: " + ", ".join(outcomes),
            "changes": [{"type": "relocation_case", "enterprise_id": e} for e in chosen["enterprise_id"]]}


# =============================================================================================
# Products
# =============================================================================================


def _lonlat(geom: Any, crs: str) -> Any:
    from geo_risk.analysis.scenario_diff import _project

    return _project([geom], crs, 4326)[0]


def contour_features(result: ScenarioResult) -> dict[str, Any]:
    """The after contours and the raised / lowered areas per GB 36894 level as GeoJSON (EPSG:4326)."""
    from geo_risk.risk.contours import ir_level_label

    labels = {"after": "情景后等值线 / after: IR ≥ level", "raised": "风险升高越过 / raised across the level",
              "lowered": "风险降低越过 / lowered across the level"}
    feats = []
    if result.field is not None:
        for what in ("after", "raised", "lowered"):
            for level, geom in result.contours.get(what, []):
                if geom is None or geom.is_empty:
                    continue
                g = _lonlat(geom, result.field.crs)
                feats.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)),
                              "properties": {"what": what, "label": labels[what], "level_per_year": level,
                                             "level_label": ir_level_label(level)}})
    return {"type": "FeatureCollection", "features": feats}


_CONFLICT_PUBLIC = ("conflict_id", "rule", "rule_label", "view", "unit_id", "enterprise_id", "enterprise_name",
                    "target_id", "target_name", "target_kind", "target_class")
_CONFLICT_FIGURES = ("actual_distance_m", "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year",
                     "ir_ratio", "people_affected", "colour")


def _conflicts_json(frame: gpd.GeoDataFrame, tier: str) -> list[dict[str, Any]]:
    cols = list(_CONFLICT_PUBLIC) + (list(_CONFLICT_FIGURES) if tier == "restricted" else [])
    out = []
    for rec, geom in zip(pd.DataFrame(frame).reindex(columns=cols).to_dict("records"),
                         frame.geometry.values if len(frame) else [], strict=True):
        rec = {k: (None if isinstance(v, float) and math.isnan(v) else (float(v) if isinstance(v, np.floating) else v))
               for k, v in rec.items()}
        if tier == "restricted":
            rec["geometry"] = json.loads(shapely.to_geojson(geom)) if geom is not None else None
        out.append(rec)
    return out


def result_json(result: ScenarioResult, tier: str = "restricted", links: dict[str, str] | None = None
                ) -> dict[str, Any]:
    """The answer for ``tier``: analysts the figures (IR, F-N, people per band, contours, conflicts with
    their numbers, links to the products); below analyst the verdict, the changes and which conflicts
    are added and removed (no figure derived from an inventory)."""
    out: dict[str, Any] = {
        "scenario_id": result.scenario_id, "name": result.name, "inputs_version": result.inputs_version,
        "changes": [{"index": c.index, "type": c.type, "label": " / ".join(CHANGE_TYPES[c.type]),
                     **{k: v for k, v in c.params.items() if k in ("enterprise_id", "park_id", "unit_id", "kind")}}
                    for c in result.changes],
        "baseline_without": result.baseline_without, "touched": sorted(result.touched), "removed": result.removed,
        "verdict": result.verdict(),
        "conflicts_added": _conflicts_json(result.conflicts_added, tier),
        "conflicts_removed": _conflicts_json(result.conflicts_removed, tier),
    }
    if tier != "restricted":
        out["withheld"] = ["ir_difference", "contours", "fn", "people_per_band", "conflict figures", "products",
                           "notes: figures derived from inventory quantities are shown to analysts only"]
        return out
    f = result.field
    diff = f.diff if f is not None else None
    out.update({
        "ir_difference": None if f is None else {
            "crs": f.crs, "cell_m": f.cell_m, "shape": list(f.before.shape),
            "bounds": [round(v, 2) for v in f.bounds()],
            "max_increase_per_year": float(max(diff.max(), 0.0)), "max_decrease_per_year": float(max(-diff.min(), 0.0)),
            "max_before_per_year": float(f.before.max()), "max_after_per_year": float(f.after.max()),
            "cells_raised": int((diff > 0).sum()), "cells_lowered": int((diff < 0).sum())},
        "contours": contour_features(result),
        "fn": {k: {"before": {"n": v["before"][0].tolist(), "f": v["before"][1].tolist()},
                   "after": {"n": v["after"][0].tolist(), "f": v["after"][1].tolist()},
                   "region_before": v["region_before"], "region_after": v["region_after"]}
               for k, v in result.fn.items()},
        "people_per_band": result.bands, "moves": result.moves,
        "settings": result.settings, "notes": result.notes, "problems": result.problems, "timings": result.timings,
    })
    if links:
        out["links"] = links
    return out


def write_products(result: ScenarioResult, out: Path) -> Path:
    """Write one product by suffix: ``.tif`` (float32 GeoTIFF in the local UTM zone: band 1 IR after −
    before, 2 before, 3 after, per year), ``.png`` (the F-N plot), ``.gpkg`` (layers
    ``ir_contours`` — after contours, raised and lowered areas — ``conflicts_added`` and
    ``conflicts_removed``, EPSG:4326) or ``.json`` (the analyst's answer)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUTS:
        raise InvalidInput(f"scenario output {out.name!r}: give a path ending in {', '.join(OUTPUTS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        out.write_text(json.dumps(result_json(result, "restricted"), ensure_ascii=False, indent=1, default=str),
                       encoding="utf-8")
    elif suffix == ".png":
        from geo_risk.risk.run import settings_line

        curves = {k: (v["before"], v["after"]) for k, v in result.fn.items()}
        plot_fn_before_after(curves, out, f"F-N 情景前后 / before and after\n{result.name[:90]}",
                             settings_line(result.settings.get("risk")))
    elif suffix == ".tif":
        if result.field is None:
            raise InvalidInput("the scenario changes no IR grid (no QRA enterprise is touched): no IR difference "
                               "raster to write")
        import rasterio

        f = result.field
        data = np.stack([f.diff, f.before, f.after]).astype(np.float32)
        profile = {"driver": "GTiff", "height": data.shape[1], "width": data.shape[2], "count": 3,
                   "dtype": "float32", "crs": f.crs, "transform": f.transform, "compress": "deflate",
                   "tiled": True, "blockxsize": 256, "blockysize": 256}
        if data.shape[1] < 256 or data.shape[2] < 256:
            profile.update(tiled=False)
            profile.pop("blockxsize")
            profile.pop("blockysize")
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(data)
            for k, d in enumerate(("IR after - before (per year)", "IR before (per year)", "IR after (per year)"), 1):
                dst.set_band_description(k, d)
            dst.update_tags(scenario=result.name, scenario_id=result.scenario_id, units="per year",
                            crs_note=f"{f.crs} (local UTM zone, metres)", touched=",".join(sorted(result.touched)))
    else:
        if out.exists():
            out.unlink()
        gj = contour_features(result)
        if gj["features"]:
            gpd.GeoDataFrame.from_features(gj["features"], crs=4326).to_file(out, layer="ir_contours", driver="GPKG")
        else:  # no level crossed in the window: the layer is there, empty
            gpd.GeoDataFrame({"what": pd.Series(dtype=str), "label": pd.Series(dtype=str),
                              "level_per_year": pd.Series(dtype=float), "level_label": pd.Series(dtype=str)},
                             geometry=gpd.GeoSeries([], crs=4326)).to_file(out, layer="ir_contours", driver="GPKG")
        for layer, frame in (("conflicts_added", result.conflicts_added),
                             ("conflicts_removed", result.conflicts_removed)):
            if len(frame):
                g = gpd.GeoDataFrame(pd.DataFrame(frame).reindex(columns=[*_CONFLICT_PUBLIC, *_CONFLICT_FIGURES]),
                                     geometry=frame.geometry.values, crs=4326)
                g.to_file(out, layer=layer, driver="GPKG")
    return out


def scenario_dir(data_dir: Path, scenario_id: str) -> Path:
    """Where a scenario's products are kept: <data dir>/scenarios/<id> (ids are hex)."""
    if not re.fullmatch(r"[0-9a-f]{16}", scenario_id):
        raise NotFound(f"no scenario {scenario_id!r}")
    return Path(data_dir) / "scenarios" / scenario_id


def keep_products(result: ScenarioResult, data_dir: Path) -> dict[str, Path]:
    """Write the TIF (when there is a difference), the F-N PNG and the JSON under <data dir>/scenarios/<id>,
    keeping only the newest :data:`KEEP_SCENARIOS` scenarios."""
    d = scenario_dir(data_dir, result.scenario_id)
    d.mkdir(parents=True, exist_ok=True)
    paths = {"fn_png": write_products(result, d / "fn.png"), "json": write_products(result, d / "result.json")}
    if result.field is not None:
        paths["ir_difference_tif"] = write_products(result, d / "ir-difference.tif")
    root = d.parent
    kept = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP_SCENARIOS:]:
        shutil.rmtree(old, ignore_errors=True)
    return paths
