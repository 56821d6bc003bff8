"""Run the siting check on the store (``geo-risk site-check``, ``POST /api/v1/siting-check``).

The I/O edge around the pure rulebook :mod:`geo_risk.analysis.siting`:

- :func:`parse_request` turns a request (a dict: the CLI's options or the API's JSON body) into a
  checked :class:`SiteRequest` — the site geometry in lon/lat (input CRS EPSG:4326, CGCS2000
  EPSG:4490, any projected EPSG, ``gcj02`` or ``bd09``, converted as the loader does), the kind and
  population of a development, or the unit type and planned inventory of a project. Bad input
  raises :class:`geo_risk.errors.InvalidInput` naming the field.
- :func:`load_context` reads what every check needs once per store state (inputs version and the
  risk runs' basis) and keeps it: enterprises, units and their required distances, the current IR
  grids and F-N curves, the parks with their control lines (computed where none is published),
  targets and homes (classified), the store's extent. Direction 2 then touches only memory.
- :func:`check_site` runs direction 1 (:func:`run_project`: GB 18218, GB/T 37243 method and
  distances, a QRA of the new unit at 25 m cells, domino links by
  :func:`geo_risk.analysis.clusters.find_clusters`) or direction 2 (:func:`run_development`).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.analysis.siting import (
    DEFAULT_SETTINGS,
    HazardSide,
    ParkSide,
    SitingSettings,
    TargetSide,
    Verdict,
    check_development,
    check_project,
    local_crs,
    validate_site,
)
from geo_risk.chemicals import resolve
from geo_risk.errors import InvalidInput, UnknownSubstance
from geo_risk.standards.gb36894 import TARGET_CLASSES, TARGET_KINDS, classify_target

__all__ = ["map_layers", "SiteRequest", "SiteContext", "parse_request", "load_context", "check_site", "run_development",
           "run_project", "PROJECT_ID", "FAR_FROM_STORE_M", "clear_cache"]

#: The id the proposed project takes in the engine and in its reasons.
PROJECT_ID = "PROPOSED"
#: A site farther than this from everything in the store is refused (m): nothing is known there.
FAR_FROM_STORE_M = 50_000.0
_INVENTORY_FIELDS = ("chemical", "cas", "table1_seq", "hazard_categories", "max_quantity_t", "state",
                     "temperature_c", "pressure_mpa", "vessel_count", "vessel_capacity_t")
_UNIT_FIELDS = ("equipment", "containment", "fire_class", "special_process", "operating_temperature_c",
                "operating_pressure_mpa")


# =============================================================================================
# Requests
# =============================================================================================


@dataclass
class SiteRequest:
    """A checked request. ``what``: ``development`` or ``project``; ``site``: lon/lat geometry."""

    what: str
    site: Any
    name: str
    kind: str | None = None
    population: float | None = None
    households: int | None = None
    unit_type: str | None = None
    unit: dict[str, Any] = field(default_factory=dict)
    inventory: list[dict[str, Any]] = field(default_factory=list)
    declared_distances_m: dict[str, float] = field(default_factory=dict)
    crs: str = "EPSG:4326"
    #: a stored enterprise the project stands in for (its units are left out of the neighbours)
    replaces: str | None = None
    #: the project's units: geometry (lon/lat), unit_type, unit fields, inventory rows, declared distances
    units: list[dict[str, Any]] = field(default_factory=list)


def _geometry(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return value
    if isinstance(value, dict):
        if value.get("type") == "FeatureCollection":
            feats = value.get("features") or []
            if len(feats) != 1:
                raise InvalidInput(f"site: a FeatureCollection must hold exactly one feature; it holds {len(feats)}")
            value = feats[0]
        if value.get("type") == "Feature":
            value = value.get("geometry")
        try:
            return shapely.geometry.shape(value)
        except Exception as exc:  # noqa: BLE001 - any malformed GeoJSON
            raise InvalidInput(f"site: not a GeoJSON geometry ({exc}); e.g. {{\"type\": \"Point\", "
                               "\"coordinates\": [126.64, 43.90]}") from exc
    if isinstance(value, str):
        try:
            return shapely.from_wkt(value)
        except Exception as exc:  # noqa: BLE001 - shapely raises GEOSException
            raise InvalidInput(f"site: not WKT ({exc}); e.g. POINT (126.64 43.90)") from exc
    raise InvalidInput("site: give a GeoJSON geometry (object) or WKT (text)")


def _to_lonlat(geom: Any, crs: str) -> Any:
    from geo_risk.errors import CRSMismatch
    from geo_risk.io.crs import resolve_crs, to_wgs84

    try:
        source = resolve_crs(crs, None, "site")
    except CRSMismatch as exc:
        raise InvalidInput(f"crs: {exc}") from exc
    if source.is_geographic:
        x0, y0, x1, y1 = geom.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InvalidInput(f"site: coordinates {tuple(round(v, 3) for v in geom.bounds)} are not lon/lat "
                               f"degrees, yet crs is {source.label}: give the projected CRS in crs")
    out = to_wgs84(np.array([geom], dtype=object), source)[0]
    if not all(map(math.isfinite, out.bounds)):
        raise InvalidInput(f"site: coordinates cannot be transformed from {source.label} to lon/lat")
    return out


def _number(body: dict, key: str, *, positive: bool = False, required: bool = False, at: str = "") -> float | None:
    """``body[key]`` as a finite float (None when absent and not ``required``); messages name ``at`` + key."""
    v = body.get(key)
    if v is None:
        if required:
            raise InvalidInput(f"{at}{key}: required")
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise InvalidInput(f"{at}{key}: must be a number; got {v!r}")
    if positive and v <= 0:
        raise InvalidInput(f"{at}{key}: must be greater than zero; got {v!r}")
    return float(v)


def parse_request(body: dict[str, Any]) -> SiteRequest:
    """Check a request and return it with the site in lon/lat.

    Keys: ``site`` (GeoJSON geometry/Feature or WKT), ``crs`` (default EPSG:4326; EPSG:4490,
    ``gcj02``, ``bd09`` or a projected EPSG), ``name``; a development: ``kind`` (a GB 36894 kind,
    e.g. ``school``, ``residential``), ``population`` (> 0 people), optional ``households``; a
    project: ``unit_type`` (``production``/``storage``), ``inventory`` (non-empty list of rows as in
    the inventory layer: ``chemical``, ``max_quantity_t`` > 0, optional ``cas``, ``state``,
    ``temperature_c``, ``pressure_mpa``, ``vessel_count``, ``vessel_capacity_t`` …), optional
    ``unit`` (``equipment``, ``fire_class`` …) and ``declared_distances_m`` (class → m).

    Raises InvalidInput naming the field.
    """

    if not isinstance(body, dict):
        raise InvalidInput("request: a JSON object with site and either kind/population or unit_type/inventory")
    if body.get("site") is None:
        raise InvalidInput("site: required (GeoJSON geometry or WKT)")
    crs = str(body.get("crs") or "EPSG:4326")
    raw = _geometry(body["site"])
    if raw.is_empty:
        raise InvalidInput("site: the geometry is empty")
    if raw.geom_type in ("Polygon", "MultiPolygon") and not raw.is_valid:
        validate_site(raw)  # names the self-intersection in the caller's own coordinates
    site = validate_site(_to_lonlat(raw, crs))
    name = str(body.get("name") or "拟建项目 / proposed site")[:200]
    is_project = any(body.get(k) is not None for k in ("inventory", "unit_type", "units"))
    known = {"site", "crs", "name", "kind", "population", "households", "unit_type", "unit", "inventory",
             "declared_distances_m", "replaces", "units"}
    if set(body) - known:
        raise InvalidInput(f"request: unknown field(s) {', '.join(sorted(map(str, set(body) - known)))}; valid: "
                           f"{', '.join(sorted(known))}")
    if is_project and body.get("kind") is not None:
        raise InvalidInput("kind: give either a development (kind, population) or a project (unit_type, inventory)")
    if not is_project:
        kind = body.get("kind")
        if not isinstance(kind, str) or kind.strip().lower() not in TARGET_KINDS:
            raise InvalidInput(f"kind: unknown development kind {kind!r}; valid: {', '.join(TARGET_KINDS)}")
        pop = _number(body, "population", positive=True, required=True)
        hh = body.get("households")
        if hh is not None and (isinstance(hh, bool) or not isinstance(hh, int) or hh < 0):
            raise InvalidInput(f"households: a whole number ≥ 0; got {hh!r}")
        return SiteRequest("development", site, name, kind=kind.strip().lower(), population=pop, households=hh,
                           crs=crs)
    units: list[dict[str, Any]] = []
    if body.get("units") is not None:
        if any(body.get(k) is not None for k in ("unit_type", "inventory", "unit", "declared_distances_m")):
            raise InvalidInput("units: give the units as a list, or one unit by unit_type/inventory, not both")
        if not isinstance(body["units"], list) or not body["units"] or len(body["units"]) > 50:
            raise InvalidInput("units: a list of 1–50 units, each with unit_type and inventory (and its own site, "
                               "else the project's)")
        for k, u in enumerate(body["units"]):
            if not isinstance(u, dict):
                raise InvalidInput(f"units[{k}]: an object with unit_type, inventory, unit, site")
            unknown = set(u) - {"site", "unit_type", "unit", "inventory", "declared_distances_m"}
            if unknown:
                raise InvalidInput(f"units[{k}]: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
            geom = site
            if u.get("site") is not None:
                geom = validate_site(_to_lonlat(_geometry(u["site"]), crs), f"units[{k}].site")
            units.append(_parse_unit(u, f"units[{k}].", geom))
    else:
        units.append(_parse_unit(body, "", site))
    replaces = body.get("replaces")
    if replaces is not None and not isinstance(replaces, str):
        raise InvalidInput(f"replaces: a stored enterprise id (text); got {replaces!r}")
    return SiteRequest("project", site, name, unit_type=units[0]["unit_type"], unit=units[0]["unit"],
                       inventory=units[0]["inventory"], declared_distances_m=units[0]["declared"], crs=crs,
                       replaces=replaces, units=units)


def _parse_unit(body: dict[str, Any], at: str, geometry: Any) -> dict[str, Any]:
    """One project unit from ``body`` (field names prefixed with ``at`` in messages)."""
    from geo_risk.io.schema import EQUIPMENT, FIRE_CLASSES, INVENTORY_STATES, UNIT_TYPES

    unit_type = body.get("unit_type") or "storage"
    if unit_type not in UNIT_TYPES:
        raise InvalidInput(f"{at}unit_type: {unit_type!r}; valid: {', '.join(UNIT_TYPES)}")
    inv = body.get("inventory")
    if not isinstance(inv, list) or not inv:
        raise InvalidInput(f"{at}inventory: a non-empty list of rows (chemical, max_quantity_t in tonnes …)")
    rows = []
    for k, row in enumerate(inv):
        if not isinstance(row, dict) or not isinstance(row.get("chemical"), str) or not row["chemical"].strip():
            raise InvalidInput(f"{at}inventory[{k}].chemical: required (a GB 18218 name or CAS)")
        q = _number(row, "max_quantity_t", positive=True, required=True, at=f"{at}inventory[{k}].")
        unknown = set(row) - set(_INVENTORY_FIELDS)
        if unknown:
            raise InvalidInput(f"{at}inventory[{k}]: unknown field(s) {', '.join(sorted(unknown))}; valid: "
                               f"{', '.join(_INVENTORY_FIELDS)}")
        if row.get("state") is not None and row["state"] not in INVENTORY_STATES:
            raise InvalidInput(f"{at}inventory[{k}].state: {row['state']!r}; valid: {', '.join(INVENTORY_STATES)}")
        clean = {f: row.get(f) for f in _INVENTORY_FIELDS}
        for f in ("table1_seq", "vessel_count"):  # whole numbers; 49.0 from a float column is 49
            v = clean[f]
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer() or v < 1:
                    raise InvalidInput(f"{at}inventory[{k}].{f}: a whole number ≥ 1; got {v!r}")
                clean[f] = int(v)
        for f in ("temperature_c", "pressure_mpa", "vessel_capacity_t"):
            _number(clean, f, at=f"{at}inventory[{k}].")
        try:  # the GB 18218 catalogue must know the row (as the grading will need it)
            resolve(clean["chemical"], clean.get("cas"), clean.get("table1_seq"), clean.get("hazard_categories"))
        except (InvalidInput, UnknownSubstance) as exc:
            raise InvalidInput(f"{at}inventory[{k}].chemical: {exc}") from None
        rows.append({**clean, "max_quantity_t": q})
    unit = body.get("unit") or {}
    if not isinstance(unit, dict) or set(unit) - set(_UNIT_FIELDS):
        raise InvalidInput(f"{at}unit: an object with any of {', '.join(_UNIT_FIELDS)}")
    if unit.get("equipment") is not None and unit["equipment"] not in EQUIPMENT:
        raise InvalidInput(f"{at}unit.equipment: {unit['equipment']!r}; valid: {', '.join(EQUIPMENT)}")
    if unit.get("fire_class") is not None and unit["fire_class"] not in FIRE_CLASSES:
        raise InvalidInput(f"{at}unit.fire_class: {unit['fire_class']!r}; valid: {', '.join(FIRE_CLASSES)}")
    declared = body.get("declared_distances_m") or {}
    if not isinstance(declared, dict) or set(declared) - set(TARGET_CLASSES):
        raise InvalidInput(f"{at}declared_distances_m: an object of class → metres; classes: "
                           f"{', '.join(TARGET_CLASSES)}")
    for c in declared:
        _number(declared, c, positive=True, at=f"{at}declared_distances_m.")
    return {"geometry": geometry, "unit_type": unit_type, "unit": dict(unit), "inventory": rows,
            "declared": {c: float(v) for c, v in declared.items()}}


# =============================================================================================
# The store, read once per state
# =============================================================================================


@dataclass
class SiteContext:
    """Everything a check reads, for one store state (see :func:`load_context`)."""

    key: tuple
    enterprises: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    required: pd.DataFrame  # index unit id; one column per class (m) and basis: as stored (the plant's own column)
    distances: pd.DataFrame  # the rows behind ``required`` (unit, class, method, final/declared/code)
    qra_units: set  # units whose stored distance came from a QRA
    reach_m: pd.Series  # unit id → largest required distance (m)
    reach_tree: Any  # STRtree of each unit's envelope grown by its reach (lon/lat)
    reach_units: np.ndarray
    grids: dict[str, Any]
    grid_boxes: dict[str, tuple[float, float, float, float]]
    fn: dict[str, tuple[np.ndarray, np.ndarray]]
    parks: list[ParkSide]
    targets: gpd.GeoDataFrame  # targets and homes, with ``category`` (class) and ``layer``
    inventory: pd.DataFrame
    extent: tuple[float, float, float, float] | None
    notes: list[str]
    unassessed: Any = None  # GeoDataFrame: live units holding chemicals with no current GB/T 37243 result (R8)
    places: dict = field(default_factory=dict)
    required_new: dict = field(default_factory=dict)  # enterprise id → its units' 新建-column required distances
    places_lock: Any = field(default_factory=threading.Lock)  # one build of the populated places at a time


_CACHE: dict[tuple, SiteContext] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached store state (tests; a reload is noticed without it)."""
    with _LOCK:
        _CACHE.clear()


def _state(url: str) -> tuple:
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        row = conn.execute(text("SELECT (SELECT inputs_version FROM data_version), conflicts_basis()")).first()
    return (int(row[0]), str(row[1]))


def _deg_pad(reach_m: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees of lon and lat covering ``reach_m`` metres at latitude ``lat`` (generous: 1 % margin)."""
    dlat = reach_m / 110_574.0 * 1.01
    dlon = reach_m / (111_319.0 * np.cos(np.radians(np.minimum(89.0, np.abs(lat) + dlat)))) * 1.01
    return dlon, dlat


def _computed_control_line(park: Any, units: gpd.GeoDataFrame, required: pd.DataFrame) -> Any:
    """parks §2.3 CHOICE (simple form): the park and, around each of its hazard units, the largest
    required distance for the 3×10⁻⁷ classes; lon/lat."""
    crs = local_crs(park.geometry)
    from geo_risk.analysis.siting import _project, _to_lonlat

    shapes = [_project([park.geometry], crs)[0]]
    strict = [c for c in ("high_sensitive", "important", "general_1") if c in required.columns]
    if len(units):
        r = required.reindex(units.index)[strict].max(axis=1).fillna(0.0).to_numpy(dtype=float)
        ug = _project(units.geometry.values, crs)
        shapes += [g.buffer(float(d), quad_segs=8) for g, d in zip(ug, r, strict=True) if d > 0]
    return _to_lonlat(shapely.union_all(shapes), crs)


def _new_column_required(required: pd.DataFrame, distances: pd.DataFrame, units: gpd.GeoDataFrame,
                         grids: dict[str, Any], qra_units: set) -> pd.DataFrame:
    """Required distances with each QRA unit's method distance taken at GB 36894's 新建 column.

    A stored QRA distance is the reach of the IR contour at the criterion of the plant's own column (在役
    for an operating plant). A pair with a new side is judged on 新建 (:class:`SitingSettings`), so the
    reach of the 新建 contour is read off the plant's stored IR grid — as the QRA itself measures it
    (:func:`geo_risk.risk.contours.iso_risk_polygons`, the farthest contour vertex from the units) —
    and the floor rule applied again: max(新建 QRA distance, design code, declared). The grid covers
    every place where IR can reach a tenth of its run's lowest level (3×10⁻⁷/a for 在役), so the
    新建 contours are not cut by its edge.
    """
    from geo_risk.risk.contours import iso_risk_polygons
    from geo_risk.risk.grid import Grid
    from geo_risk.risk.run import _reach_beyond
    from geo_risk.standards.gb36894 import individual_risk_criterion_per_year

    out = required.copy()
    levels: dict[float, list[str]] = {}
    for c in TARGET_CLASSES:
        levels.setdefault(individual_risk_criterion_per_year(c, "new"), []).append(c)
    for eid, g in grids.items():
        mine = units[(units["enterprise_id"] == eid) & units.index.isin(list(qra_units))]
        if not len(mine):
            continue
        rows, cols = g.array.shape
        x0, y0, _, _ = g.bounds
        grid = Grid(x0 + g.cell_m / 2, y0 + g.cell_m / 2, g.cell_m, cols, rows, g.crs)
        installations = mine.to_crs(g.crs).geometry.union_all()
        method = {}
        for level, geom in iso_risk_polygons(grid, np.flipud(g.array), sorted(levels)):
            for c in levels[level]:
                method[c] = round(_reach_beyond(geom, installations), 1)
        for uid in mine.index:
            rows_u = distances[distances["unit_id"] == uid].set_index("target_class")
            for c in TARGET_CLASSES:
                other = [rows_u.loc[c, k] for k in ("code_distance_m", "declared_distance_m")
                         if c in rows_u.index and pd.notna(rows_u.loc[c, k])]
                vals = [method.get(c, np.nan), *other]
                vals = [float(v) for v in vals if pd.notna(v)]
                out.loc[uid, c] = max(vals) if vals else np.nan
            out.loc[uid, "basis"] = "GB/T 37243 QRA distance at the 新建 column, from the stored IR grid"
    return out


def load_context(url: str, *, data_dir: Path | None = None, warm: bool = False) -> SiteContext:
    """The store's state for the siting check, cached per inputs version and risk-run basis.

    ``warm``: when the state is read afresh, build the populated places of a project's QRA (25 m
    cells, the UTM zone of the store's centre) in a background thread, so the first project check
    does not pay for them (several seconds on the sample city). The API asks for it; the CLI, which
    answers one request, does not."""
    from geo_risk.analyse import conflict_distances, grid_box
    from geo_risk.standards.gb36894 import classify_targets
    from geo_risk.store import conflicts as cstore
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.read import read_layer, read_table
    from geo_risk.store.siting import fn_curves, read_parks, store_extent

    key = (url, str(data_dir), *_state(url))
    with _LOCK:
        ctx = _CACHE.get(key)
    if ctx is not None:
        return ctx
    data = cstore.read_inputs(url, targets=True)
    ents = read_layer(url, "enterprises", ("name", "status", "park_id", "industry_code"))
    units = data["units"].join(read_table(url, "hazard_units", ("containment", "special_process",
                                                                 "operating_temperature_c", "operating_pressure_mpa")))
    distances, notes = conflict_distances(url, data["units"], data["enterprises"], data["distances"])
    d = distances.copy()
    for col in ("final_distance_m", "declared_distance_m", "code_distance_m"):
        d[col] = pd.to_numeric(d[col], errors="coerce")
    d["required"] = d[["final_distance_m", "declared_distance_m", "code_distance_m"]].max(axis=1)
    d["basis"] = np.where(d["final_distance_m"].notna(), "GB/T 37243 final distance (stored)",
                          np.where(d["code_distance_m"] >= d["declared_distance_m"].fillna(-1), "design-code distance",
                                   "declared distance"))
    required = d.pivot_table(index="unit_id", columns="target_class", values="required", aggfunc="max")
    required = required.reindex(columns=list(TARGET_CLASSES))
    basis = d.sort_values("required").groupby("unit_id")["basis"].last()
    required["basis"] = basis.reindex(required.index)
    grids = {g.scope_id: g for g in read_grids(url, data_dir=data_dir, scope="enterprise")}
    qra_units = set(d.loc[d["method"] == "qra", "unit_id"]) if "method" in d.columns else set()
    # the 新建-column QRA distances are read off each grid when first needed (_hazard); they lie inside the
    # grid, whose box also selects the enterprise for a site, so the stored reach suffices here
    reach = required[list(TARGET_CLASSES)].max(axis=1).fillna(0.0)
    reach = reach[reach > 0]
    live = ents.index[ents["status"].isin(["operating", "suspended", "planned"])]
    ru = units[units.index.isin(reach.index) & units["enterprise_id"].isin(live)]
    b = shapely.bounds(np.asarray(ru.geometry.values, dtype=object))
    r = reach.reindex(ru.index).to_numpy(dtype=float)
    dlon, dlat = _deg_pad(r, np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])))
    boxes = shapely.box(b[:, 0] - dlon, b[:, 1] - dlat, b[:, 2] + dlon, b[:, 3] + dlat)
    parks_frame = read_parks(url)
    parks: list[ParkSide] = []
    for pid, p in parks_frame.iterrows():
        line, official = p["control_line"], True
        if line is None:
            members = ents.index[(ents["park_id"] == pid) & ents.index.isin(live)]
            line = _computed_control_line(p, units[units["enterprise_id"].isin(members)], required)
            official = False
        parks.append(ParkSide(str(pid), str(p["name"]), p.geometry, line, official))
    targets = data["targets"].copy()
    targets["category"] = classify_targets(targets["kind"], targets["population"]).to_numpy() if len(targets) \
        else []
    if "category" in data["targets"].columns:  # a stored category (the loader's) wins
        given = data["targets"]["category"]
        targets["category"] = given.where(given.notna(), targets["category"])
    inventory = read_table(url, "inventory", ("unit_id", *_INVENTORY_FIELDS), index=False)
    # R8: units of live enterprises that hold chemicals but have no current GB/T 37243 result (no risk run
    # since the last write): their design-code and declared distances are only floors (a chlorine store's QRA
    # distance can be far larger), so a site near them cannot be cleared.
    final = d.dropna(subset=["final_distance_m"])
    known = pd.Series(True, index=pd.Index(final["unit_id"].unique()))
    holding = set(inventory["unit_id"].astype(str)) if len(inventory) else set()
    bare = units[units["enterprise_id"].isin(live) & units.index.isin(holding)
                 & ~units.index.isin(known[known].index)]
    names = ents["name"].reindex(bare["enterprise_id"]).astype(str).to_numpy()
    unassessed = gpd.GeoDataFrame({"unit_id": bare.index.astype(str),
                                   "enterprise_id": bare["enterprise_id"].astype(str), "enterprise_name": names},
                                  geometry=bare.geometry.values, crs=4326)
    if not grids:
        notes.append("no current IR grids stored (run `geo-risk risk --all`): the IR and F-N rules are not "
                     "evaluated against existing plants")
    ctx = SiteContext(key, ents, units, required, d, qra_units, reach, shapely.STRtree(boxes),
                      np.asarray(ru.index, dtype=object), grids, {e: grid_box(g) for e, g in grids.items()},
                      fn_curves(url), parks, targets, inventory, store_extent(url), notes, unassessed)
    with _LOCK:
        for k in [k for k in _CACHE if k[0] == url]:
            del _CACHE[k]
        _CACHE[key] = ctx
    if warm and ctx.extent is not None:
        from geo_risk.risk.run import utm_crs_for

        x0, y0, x1, y1 = ctx.extent
        crs = utm_crs_for((x0 + x1) / 2, (y0 + y1) / 2)
        threading.Thread(target=_people, args=(ctx, crs, 25.0), name="siting-warm-up", daemon=True).start()
    return ctx


def _check_extent(ctx: SiteContext, site: Any) -> None:
    if ctx.extent is None:
        raise InvalidInput("site: the store holds no data to check a site against (load a city first)")
    from pyproj import Geod

    x0, y0, x1, y1 = ctx.extent
    c = site.centroid
    nx, ny = min(max(c.x, x0), x1), min(max(c.y, y0), y1)
    far = Geod(ellps="WGS84").inv(c.x, c.y, nx, ny)[2] if (nx, ny) != (c.x, c.y) else 0.0
    if far > FAR_FROM_STORE_M:
        raise InvalidInput(f"site: ({c.x:.4f}, {c.y:.4f}) is {far / 1000:,.0f} km outside the area the store holds "
                           f"(lon {x0:.3f}…{x1:.3f}, lat {y0:.3f}…{y1:.3f}); check the coordinates and their crs "
                           "(lon/lat order, GCJ-02/BD-09)")


def _hazard(ctx: SiteContext, eid: str, settings: SitingSettings = DEFAULT_SETTINGS) -> HazardSide:
    e = ctx.enterprises.loc[eid]
    units = ctx.units[ctx.units["enterprise_id"] == eid]
    req = ctx.required.reindex(units.index)
    if settings.decision_column == "new" and eid in ctx.grids and ctx.qra_units.intersection(units.index):
        with _LOCK:
            hit = ctx.required_new.get(eid)
        if hit is None:
            hit = _new_column_required(req, ctx.distances, units, {eid: ctx.grids[eid]}, ctx.qra_units)
            with _LOCK:
                ctx.required_new[eid] = hit
        req = hit
    fn = ctx.fn.get(eid)
    park = e["park_id"]
    return HazardSide(str(eid), str(e["name"]), str(e["status"]), units, req, ctx.grids.get(eid),
                      None if fn is None else fn[0], None if fn is None else fn[1],
                      None if park is None or (isinstance(park, float) and math.isnan(park)) else str(park))


# =============================================================================================
# Direction 2: a sensitive development
# =============================================================================================


def run_development(ctx: SiteContext, req: SiteRequest, settings: SitingSettings = DEFAULT_SETTINGS) -> Verdict:
    """Direction 2 on a loaded context: only memory, no SQL."""
    _check_extent(ctx, req.site)
    cls = classify_target(req.kind, req.population, req.households)
    target = TargetSide(PROJECT_ID, req.name, req.kind, cls, req.population, req.site, proposed=True)
    hits = ctx.reach_tree.query(req.site)
    eids = set(ctx.units.loc[ctx.reach_units[hits], "enterprise_id"].astype(str)) if len(hits) else set()
    x0, y0, x1, y1 = req.site.bounds
    for eid, (gx0, gy0, gx1, gy1) in ctx.grid_boxes.items():
        if gx0 <= x1 and x0 <= gx1 and gy0 <= y1 and y0 <= gy1:
            eids.add(eid)
    eids = {e for e in eids if e in ctx.enterprises.index
            and ctx.enterprises.loc[e, "status"] in ("operating", "suspended", "planned")}
    hazards = [_hazard(ctx, e, settings) for e in sorted(eids)]
    notes = list(ctx.notes) + [f"GB 36894 class of the development: {cls} ({TARGET_CLASSES[cls][0]} / "
                               f"{TARGET_CLASSES[cls][1]}); enterprises within reach: {len(hazards)}"]
    near = None
    if ctx.unassessed is not None and len(ctx.unassessed):
        pad = settings.unassessed_radius_m
        dlon, dlat = _deg_pad(np.array([pad]), np.array([max(abs(y0), abs(y1))]))
        box = shapely.box(x0 - dlon[0], y0 - dlat[0], x1 + dlon[0], y1 + dlat[0])
        near = ctx.unassessed[ctx.unassessed.geometry.intersects(box)]
    return check_development(target, hazards, ctx.parks, settings, notes, unassessed=near)


# =============================================================================================
# Direction 1: a hazardous project
# =============================================================================================


def _ir_grid_of(result: Any) -> Any:
    from rasterio.transform import from_origin

    from geo_risk.analysis.ir_field import IrGrid

    g = result.grid
    top = g.y0 + (g.ny - 0.5) * g.cell_m
    left = g.x0 - g.cell_m / 2
    return IrGrid(run_id=0, scope="enterprise", scope_id=PROJECT_ID, enterprise_ids=(PROJECT_ID,), criteria="new",
                  crs=str(g.crs), array=np.flipud(np.asarray(result.ir, dtype=float)),
                  transform=from_origin(left, top, g.cell_m, g.cell_m))


def run_project(ctx: SiteContext, req: SiteRequest, settings: SitingSettings = DEFAULT_SETTINGS, *,
                cell_m: float = 25.0, risk_settings: Any = None, keep_grid: bool = False
                ) -> tuple[Verdict, dict[str, Any]]:
    """Direction 1: GB 18218, the GB/T 37243 method and distances, the QRA of the new unit (25 m cells),
    then the rulebook. Returns the verdict and extras (the method, distances, contours, timings; with
    ``keep_grid`` also ``ir_grid``, the project's IR grid or None: not JSON, for callers in Python such
    as the relocation plan)."""
    from geo_risk.analysis.clusters import find_clusters
    from geo_risk.analysis.exposure import exposed_people
    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.run import RiskSettings, ScopeInputs, assess_scope, utm_crs_for
    from geo_risk.standards.gb18218 import OperatingConditions, assess_unit
    from geo_risk.standards.gbt37243 import external_distances

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    _check_extent(ctx, req.site)
    spec = req.units or [{"geometry": req.site, "unit_type": req.unit_type, "unit": req.unit,
                          "inventory": req.inventory, "declared": req.declared_distances_m}]
    uids = [f"{PROJECT_ID}-U{k + 1}" for k in range(len(spec))]
    unit_rows = [{"enterprise_id": PROJECT_ID, "name": f"{req.name} #{k + 1}", "unit_type": u["unit_type"],
                  **{f: u["unit"].get(f) for f in _UNIT_FIELDS}} for k, u in enumerate(spec)]
    inv = pd.DataFrame([{**r, "unit_id": uid, "id": f"{uid}/{j + 1}"}
                        for uid, u in zip(uids, spec, strict=True) for j, r in enumerate(u["inventory"])])
    # GB 18218 per unit, α from the residents within 500 m outside the site (the plant boundary)
    site_frame = gpd.GeoDataFrame({"name": [req.name]}, geometry=[req.site], crs=4326, index=pd.Index([PROJECT_ID]))
    homes = ctx.targets[ctx.targets["layer"] == "residential_areas"]
    others = ctx.targets[ctx.targets["layer"] != "residential_areas"]
    exposure = exposed_people(site_frame, homes[["population", "geometry"]], others[["population", "geometry"]])
    residents = float(exposure.loc[PROJECT_ID, "residents"])
    assessments = {}
    for uid, u in zip(uids, spec, strict=True):
        cond = OperatingConditions(temperature_c=_num(u["unit"].get("operating_temperature_c")),
                                   pressure_mpa=_num(u["unit"].get("operating_pressure_mpa")),
                                   special_process=bool(u["unit"].get("special_process")))
        items = [{"chemical": r["chemical"], "cas": r.get("cas"), "table1_seq": r.get("table1_seq"),
                  "hazard_categories": r.get("hazard_categories"), "quantity_t": r["max_quantity_t"]}
                 for r in u["inventory"]]
        assessments[uid] = assess_unit(items, residents, cond)
    timings["gb18218_s"] = time.perf_counter() - t0
    # GB/T 37243: the method (one QRA of the whole project when any unit needs it) and design-code distances
    ent = pd.DataFrame({"name": [req.name], "status": ["planned"]}, index=pd.Index([PROJECT_ID]))
    units_plain = pd.DataFrame(unit_rows, index=pd.Index(uids))
    table = method_rows(ent, units_plain[["enterprise_id", "name", "unit_type", "equipment", "fire_class"]],
                        inv[["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq", "hazard_categories",
                             "state"]])
    erow = table[table["level"] == "enterprise"].iloc[0]
    urows = table[table["level"] == "unit"].set_index("unit_id")
    method = str(erow["method"])
    crs = utm_crs_for(req.site.centroid.x, req.site.centroid.y)
    units_geo = gpd.GeoDataFrame(units_plain, geometry=[u["geometry"] for u in spec], crs=4326)
    result = None
    ir_grid = None
    fn_n = fn_f = None
    qra_m: dict[str, float] | None = None
    extras: dict[str, Any] = {"method": method, "method_reason": str(erow["reason"]), "criteria": "new"}
    if (urows["method"] == "qra").any():
        t1 = time.perf_counter()
        rs = risk_settings or RiskSettings(cell_m=cell_m)
        res_p, tg_p, places = _people(ctx, crs, rs.cell_m)
        result = assess_scope(ScopeInputs("enterprise", PROJECT_ID, crs, "new", units_geo.to_crs(crs), inv,
                                          res_p, tg_p, places), rs)
        timings["qra_s"] = time.perf_counter() - t1
        qra_m = result.distances_m
        if result.grid is not None:
            ir_grid = _ir_grid_of(result)
            fn_n, fn_f = result.fn_n, result.fn_f
        extras["qra"] = {"max_ir_per_year": result.max_ir, "fn_region": result.region, "problems": result.problems,
                         "grid_cell_m": None if result.grid is None else result.grid.cell_m}
        extras["contours"] = _contours_geojson(result)
    required = pd.DataFrame(index=pd.Index(uids), columns=list(TARGET_CLASSES), dtype=float)
    table_rows, unit_notes = [], []
    for uid, u in zip(uids, spec, strict=True):
        ur = urows.loc[uid]
        code = {c: _num(ur[f"code_distance_{c}_m"]) for c in TARGET_CLASSES}
        method_m = None
        if ur["method"] == "qra":
            method_m = qra_m
        elif ur["method"] == "consequence":
            from geo_risk.risk_runs import _explosive_distances

            method_m, why = _explosive_distances(inv[inv["unit_id"] == uid])
            unit_notes.append(f"{uid}: {why}")
        final = external_distances(method_m, code, dict(u["declared"]) or None)
        for c in TARGET_CLASSES:  # the strictest any rule requires, as for the existing units: max(final, declared)
            vals = [v for v in (_num(final.loc[c, "final_distance_m"]), _num(final.loc[c, "declared_distance_m"]))
                    if v is not None]
            required.loc[uid, c] = max(vals) if vals else np.nan
            table_rows.append({"target_class": f"{uid} {c}" if len(uids) > 1 else c,
                               **{k: _num(final.loc[c, k]) for k in ("method_distance_m", "code_distance_m",
                                                                     "final_distance_m", "declared_distance_m")}})
        unit_notes.append(f"{uid}: GB/T 37243 {ur['method']} — {ur['reason']}")
    required["basis"] = [f"GB/T 37243 {urows.loc[u, 'method']}: max(method, design code)" for u in uids]
    extras["distances_m"] = {c: _num(required[c].max()) for c in TARGET_CLASSES}
    extras["distance_table"] = table_rows
    extras["units"] = [{"unit_id": uid, "unit_type": u["unit_type"], "method": str(urows.loc[uid, "method"]),
                        "distances_m": {c: _num(required.loc[uid, c]) for c in TARGET_CLASSES},
                        "gb18218": _grading(assessments[uid], residents)} for uid, u in zip(uids, spec, strict=True)]
    project = HazardSide(PROJECT_ID, req.name, "planned", units_geo, required, ir_grid, fn_n, fn_f, proposed=True)
    # targets within the largest distance or the IR grid
    reach = max([v for v in extras["distances_m"].values() if v] or [0.0])
    area = shapely.union_all([req.site, *units_geo.geometry.values])
    near_t = _near(ctx.targets, area, reach + 10.0)
    if ir_grid is not None:
        from geo_risk.analyse import grid_box

        gx0, gy0, gx1, gy1 = grid_box(ir_grid)
        box = ctx.targets.cx[gx0:gx1, gy0:gy1]
        near_t = pd.concat([near_t, box[~box.index.isin(near_t.index)]])
    targets = [TargetSide(str(i), str(t["name"]), str(t["kind"]), str(t["category"]),
                          None if pd.isna(t["population"]) else float(t["population"]), t.geometry)
               for i, t in near_t.iterrows()]
    # domino: the project and the enterprises around it
    t2 = time.perf_counter()
    links = clusters = None
    neigh_units = _near(ctx.units, area, 2_000.0)
    live = ctx.enterprises.index[ctx.enterprises["status"].isin(["operating", "suspended", "planned"])]
    neigh_units = neigh_units[neigh_units["enterprise_id"].isin(live) & (neigh_units["enterprise_id"] != req.replaces)]
    if len(neigh_units):
        eids = sorted(set(neigh_units["enterprise_id"]))
        ents = ctx.enterprises.loc[eids, ["name", "status", "park_id", "industry_code", "geometry"]]
        ents = pd.concat([ents, gpd.GeoDataFrame({"name": [req.name], "status": ["planned"], "park_id": [None],
                                                  "industry_code": [None]}, geometry=[req.site], crs=4326,
                                                 index=pd.Index([PROJECT_ID]))])
        all_units = pd.concat([neigh_units, units_geo])
        inv_all = pd.concat([ctx.inventory[ctx.inventory["unit_id"].isin(neigh_units.index)], inv],
                            ignore_index=True)
        cl = find_clusters(gpd.GeoDataFrame(ents, crs=4326).to_crs(crs), gpd.GeoDataFrame(all_units, crs=4326)
                           .to_crs(crs), inv_all)
        links = cl.links.to_crs(4326) if len(cl.links) else cl.links
        clusters = pd.DataFrame(cl.clusters.drop(columns="geometry")) if len(cl.clusters) else None
    timings["domino_s"] = time.perf_counter() - t2
    parks = list(ctx.parks)
    notes = list(ctx.notes) + [f"GB/T 37243 method: {method} — {extras['method_reason']}", *unit_notes,
                               f"GB 18218 α from {residents:,.0f} residents within 500 m of the site"]
    verdict = check_project(project, targets, parks, assessments, links, clusters, settings, notes)
    timings["total_s"] = time.perf_counter() - t0
    extras["timings"] = {k: round(v, 3) for k, v in timings.items()}
    worst = max(assessments.values(), key=lambda a: (a.is_major_hazard, a.r or 0.0, a.s))
    extras["gb18218"] = _grading(worst, residents)
    if keep_grid:
        extras["ir_grid"] = ir_grid
    return verdict, extras


def _grading(a: Any, residents: float) -> dict[str, Any]:
    return {"s": a.s, "is_major_hazard": a.is_major_hazard, "alpha": a.alpha, "exposed_residents": round(residents, 1),
            "r": a.r, "grade": a.grade}


def _people(ctx: SiteContext, crs: str, cell_m: float) -> tuple[Any, Any, Any]:
    """Homes and targets in ``crs`` and their populated places on ``cell_m`` cells, built once per
    context, CRS and cell (the lattice is anchored at (0, 0), so every project in the zone shares it)."""
    from geo_risk.risk.population import presence_places

    key = (crs, float(cell_m))
    with ctx.places_lock:  # a second caller (the warm-up thread and a request) waits for the first build
        hit = ctx.places.get(key)
        if hit is None:
            t = ctx.targets
            res_p = t[t["layer"] == "residential_areas"][["population", "geometry"]].to_crs(crs)
            tg_p = t[t["layer"] != "residential_areas"][["population", "kind", "geometry"]].to_crs(crs)
            hit = (res_p, tg_p, (*presence_places(res_p, tg_p, cell_m), float(cell_m)))
            ctx.places[key] = hit
    return hit


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _near(frame: gpd.GeoDataFrame, site: Any, reach_m: float) -> gpd.GeoDataFrame:
    """Rows of a lon/lat frame within ``reach_m`` of the site (metres, in the site's UTM zone)."""
    if not len(frame):
        return frame
    c = site.centroid
    dlon, dlat = _deg_pad(np.array([reach_m]), np.array([abs(c.y) + 0.5]))
    x0, y0, x1, y1 = site.bounds
    cand = frame.cx[x0 - dlon[0]:x1 + dlon[0], y0 - dlat[0]:y1 + dlat[0]]
    if not len(cand):
        return cand
    from geo_risk.analysis.siting import _project

    crs = local_crs(site)
    d = shapely.distance(_project(cand.geometry.values, crs), _project([site], crs)[0])
    return cand[d <= reach_m]


def _contours_geojson(result: Any) -> dict[str, Any]:
    from geo_risk.analysis.siting import _to_lonlat

    feats = []
    for level, label, classes, geom in result.contours:
        if geom is None or geom.is_empty:
            continue
        feats.append({"type": "Feature", "geometry": shapely.geometry.mapping(_to_lonlat(geom, result.crs)),
                      "properties": {"level_per_year": level, "level_label": label, "target_classes": classes}})
    return {"type": "FeatureCollection", "features": feats}


# =============================================================================================
# Entry point
# =============================================================================================


def check_site(url: str, body: dict[str, Any], *, tier: str = "restricted", data_dir: Path | None = None,
               settings: SitingSettings = DEFAULT_SETTINGS, cell_m: float = 25.0, warm: bool = False
               ) -> dict[str, Any]:
    """Parse, check and answer one request as a JSON-ready dict for ``tier`` (``public`` or
    ``restricted``): the verdict, reasons, checks, rulebook, settings, notes, the site (GeoJSON) and,
    for a project, its method, distances, GB 18218 result, contours and timings."""
    t0 = time.perf_counter()
    req = parse_request(body)
    ctx = load_context(url, data_dir=data_dir, warm=warm)
    if req.what == "development":
        verdict = run_development(ctx, req, settings)
        extras: dict[str, Any] = {}
    else:
        verdict, extras = run_project(ctx, req, settings, cell_m=cell_m)
    out = verdict.as_dict(tier)
    out.update({"what": req.what, "name": req.name, "input_crs": req.crs,
                "site": shapely.geometry.mapping(req.site), "inputs_version": ctx.key[2], **extras,
                "seconds": round(time.perf_counter() - t0, 4)})
    if req.what == "development":
        out["development"] = {"kind": req.kind, "population": req.population, "households": req.households}
    return out


def map_layers(url: str, result: dict[str, Any], *, data_dir: Path | None = None, pad_m: float = 300.0
               ) -> dict[str, list[Any]]:
    """The surroundings of a result for its map (lon/lat geometries within the evidence's extent plus
    ``pad_m``): ``parks``, ``control_lines``, ``units`` and ``targets`` (only locations: public)."""
    ctx = load_context(url, data_dir=data_dir)
    shapes = [shapely.geometry.shape(result["site"])]
    shapes += [shapely.geometry.shape(r["geometry"]) for r in result.get("reasons", []) if r.get("geometry")]
    shapes += [shapely.geometry.shape(f["geometry"]) for f in (result.get("contours") or {}).get("features", [])]
    area = shapely.union_all(shapes)
    near = _near(ctx.units, area, pad_m)
    return {"parks": [p.boundary for p in ctx.parks if p.boundary.intersects(area.buffer(0.05))],
            "control_lines": [p.control_line for p in ctx.parks if p.control_line is not None
                              and p.control_line.intersects(area.buffer(0.05))],
            "units": list(near.geometry.values),
            "targets": list(_near(ctx.targets, area, pad_m).geometry.values)}
