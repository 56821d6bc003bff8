"""Proximity conflicts: protection targets and homes inside a hazard's required distance or above
their individual-risk criterion.

Pure: frames and grids in, frames out (the store side is :mod:`geo_risk.store.conflicts`, the
orchestration :mod:`geo_risk.analyse`). For every protection target and residential area
(GB 36894 class in ``category``) against every hazard unit of every enterprise that is not closed
(a closed plant has no GB 36894 column):

- **distance rules** (per unit; a conflict when the distance between the unit's footprint and the
  target's footprint is *less* than the required distance for the target's class):

  ``external_distance``: the GB/T 37243 external safety distance (外部安全防护距离) computed and
  stored by ``geo-risk risk`` (final = max(method, design code));
  ``declared_distance``: the distance the enterprise declares (``safety_distance_<class>_m``, else
  ``safety_distance_m``);
  ``design_code_distance``: the design-code separation (GB 50160 / GB 50016 rows as
  :func:`geo_risk.standards.gbt37243.code_distances` selects them).
  Each rule that applies is reported (a target can break all three);

- **individual risk, per enterprise** (``individual_risk``, the regulatory test): IR of the
  enterprise's own stored QRA grid at the target (the largest value over its footprint,
  :mod:`geo_risk.analysis.ir_field`) above the GB 36894 criterion of the target's class, in the
  column of the enterprise's status (planned → 新建 new; operating, suspended → 在役 existing);
- **cumulative individual risk** (``cumulative_individual_risk``, the regional view, not the legal
  test): IR summed over every enterprise's grid at the target above the same class criterion, in
  the existing column unless every contributing enterprise is planned (CHOICE; as a park-wide run
  chooses its column).

Compliance is IR ≤ criterion, so IR exactly at the criterion is no conflict; a distance exactly
equal to the required one is no conflict either (inside means strictly less).

Per conflict: unit, enterprise, target, class, rule, actual and required distance, shortfall (m),
IR, criterion and their ratio, the cumulative IR at the target, people affected and a severity
colour. **People affected** (CHOICE): a residential block counts the share of its people living in
the part of the block inside the zone (the unit buffered by the required distance; for IR, the
cells above the criterion), people spread evenly over the block's area; any other protection
target counts all its people (a school is evacuated whole). **Severity** (:class:`ConflictSettings`,
CHOICE, printed with every result): a distance conflict takes its colour from the shortfall as a
share of the required distance (≥ 50 % red, ≥ 25 % orange, ≥ 10 % yellow, else blue); an IR
conflict the colour of its IR value by the service's IR bands (:func:`geo_risk.analysis.colours.ir_colour`,
Z2 of docs/standards/risk-colours-and-joint-prevention.md). A target's colour is the worst of
its conflicts.

Distances are metres in the WGS 84 / UTM zone of each unit's centroid, rounded to the millimetre;
candidate pairs come from a spatial index (shapely STRtree, ``dwithin`` the unit's largest required
distance), never from all pairs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.analysis.colours import COLOURS, DEFAULT_RULES, RANK, SERVICE_CLASSIFICATION, ColourRules, ir_colours
from geo_risk.analysis.ir_field import (
    CUMULATIVE_NOTE,
    PER_ENTERPRISE_NOTE,
    IrGrid,
    area_fraction_above,
    max_over_geometries,
    summed_grids,
)
from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import TARGET_CLASSES, individual_risk_criterion_per_year

__all__ = ["RULES", "DISTANCE_RULES", "ConflictSettings", "DEFAULT_SETTINGS", "ConflictResult", "find_conflicts",
           "CONFLICT_COLUMNS", "TARGET_COLUMNS"]

#: rule → (中文, English). The three distance rules, then the two IR views.
RULES: dict[str, tuple[str, str]] = {
    "external_distance": ("外部安全防护距离不足（GB/T 37243）", "inside the external safety distance (GB/T 37243)"),
    "declared_distance": ("申报安全距离不足", "inside the declared safety distance"),
    "design_code_distance": ("设计规范防火间距不足（GB 50160 / GB 50016）",
                             "inside the design-code distance (GB 50160 / GB 50016)"),
    "individual_risk": ("个人风险超过 GB 36894 基准（单个企业：监管判定）",
                        "individual risk above the GB 36894 criterion (one enterprise: the regulatory test)"),
    "cumulative_individual_risk": ("累积个人风险超过基准（所有企业之和：区域视角）",
                                   "cumulative individual risk above the criterion (all enterprises: regional view)"),
}
#: distance rule → the column of the distances table holding its required distance (m)
DISTANCE_RULES: dict[str, str] = {
    "external_distance": "final_distance_m",
    "declared_distance": "declared_distance_m",
    "design_code_distance": "code_distance_m",
}
_CRITERIA_LABEL = {"new": "新建 new", "existing": "在役 existing"}
_CLASS_LABELS = {k: f"{zh} / {en}" for k, (zh, en) in TARGET_CLASSES.items()}
_CRITERIA_BY_STATUS = {"planned": "new", "operating": "existing", "suspended": "existing"}

CONFLICT_COLUMNS = (
    "conflict_id", "rule", "rule_label", "view", "unit_id", "unit_name", "enterprise_id", "enterprise_name",
    "park_id", "target_id", "target_name", "target_layer", "target_kind", "target_class", "class_label", "criteria",
    "actual_distance_m", "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year", "ir_ratio",
    "cumulative_ir_per_year", "population", "share_inside", "people_affected", "colour", "colour_label", "basis",
)
TARGET_COLUMNS = (
    "target_id", "target_name", "target_layer", "target_kind", "target_class", "class_label", "population",
    "conflicts", "rules", "enterprises", "people_affected", "max_shortfall_m", "max_ir_ratio",
    "cumulative_ir_per_year", "colour", "colour_label", "admin_code",
)


@dataclass(frozen=True)
class ConflictSettings:
    """How conflicts are coloured (settings; defaults are the service's CHOICE, printed on every output).

    ``shortfall_bands``: a distance conflict is red when its shortfall is at least the first share of
    the required distance, orange at least the second, yellow at least the third, else blue.
    ``colour_rules``: the IR bands of an IR conflict's colour (:class:`ColourRules`).
    ``cumulative``: whether the regional (summed) IR view is reported.
    """

    shortfall_bands: tuple[float, float, float] = (0.5, 0.25, 0.1)
    colour_rules: ColourRules = DEFAULT_RULES
    cumulative: bool = True

    def __post_init__(self) -> None:
        a, b, c = self.shortfall_bands
        if not (1 >= a > b > c >= 0):
            raise InvalidInput(f"shortfall bands must be decreasing shares within [0, 1] (red > orange > yellow); "
                               f"got {self.shortfall_bands}")

    def describe(self) -> dict[str, Any]:
        """The values used with their tags: stored and printed with every result."""
        return {
            "shortfall_bands": list(self.shortfall_bands),
            "ir_bands_per_year": list(self.colour_rules.ir_bands_per_year),
            "cumulative": self.cumulative,
            "tags": {
                "shortfall_bands": "CHOICE (shortfall as a share of the required distance: red ≥ 50 %, orange ≥ 25 %, "
                                   "yellow ≥ 10 %, else blue)",
                "ir_bands_per_year": "CHOICE on the GB 36894 ladder (reference Z2: red ≥ 1e-5, orange ≥ 3e-6, "
                                     "yellow ≥ 3e-7)",
                "people_affected": "CHOICE (residential blocks: share of the block's area inside the zone; other "
                                   "targets: all their people)",
                "cumulative_criteria": "CHOICE (existing column unless every contributing enterprise is planned)",
                "criteria_by_status": ("CHOICE (planned → new 新建; operating, suspended → existing 在役; "
                                       "closed left out)"),
            },
            "basis": SERVICE_CLASSIFICATION,
            "per_enterprise": PER_ENTERPRISE_NOTE,
            "cumulative_view": CUMULATIVE_NOTE,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"shortfall_bands": list(self.shortfall_bands), "cumulative": self.cumulative,
                "colour_rules": asdict(self.colour_rules)}


DEFAULT_SETTINGS = ConflictSettings()


@dataclass
class ConflictResult:
    """Conflicts (one row each, ``geometry`` a line from the unit to the nearest point of the target,
    EPSG:4326), the targets in conflict (their own geometry, worst colour), totals per enterprise,
    park and administrative area, the settings used and notes."""

    conflicts: gpd.GeoDataFrame
    targets: gpd.GeoDataFrame
    totals: dict[str, pd.DataFrame]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.conflicts
        by_rule = ", ".join(f"{r} {n}" for r, n in c["rule"].value_counts().sort_index().items()) if len(c) else "none"
        colours = ", ".join(f"{k} {int((self.targets['colour'] == k).sum())}" for k in COLOURS) if len(
            self.targets) else ""
        people = float(self.targets["people_affected"].sum()) if len(self.targets) else 0.0
        return (f"conflicts: {len(c)} ({by_rule}); targets in conflict: {len(self.targets)}"
                + (f" ({colours})" if colours else "") + f"; people affected: {people:,.0f}")


def _colour_label(colour: str) -> str:
    return f"{COLOURS[colour][1]} / {COLOURS[colour][2]}"


def _shortfall_colours(share: np.ndarray, bands: tuple[float, float, float]) -> np.ndarray:
    red, orange, yellow = bands
    out = np.full(share.shape, "blue", dtype=object)
    out[share >= yellow] = "yellow"
    out[share >= orange] = "orange"
    out[share >= red] = "red"
    return out


def _utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    zone = (np.floor((lon + 180) / 6).astype(int) % 60) + 1
    return np.where(lat >= 0, 32600, 32700) + zone


@functools.lru_cache(maxsize=64)
def _transformer(crs_from: Any, crs_to: Any):  # noqa: ANN202 - a pyproj Transformer (built once per pair)
    import pyproj

    return pyproj.Transformer.from_crs(crs_from, crs_to, always_xy=True)


def _to(crs_from: Any, crs_to: Any, geoms: np.ndarray) -> np.ndarray:
    tr = _transformer(crs_from, crs_to)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _check_targets(targets: gpd.GeoDataFrame) -> None:
    missing = [c for c in ("name", "category", "population", "layer", "kind") if c not in targets.columns]
    if missing:
        raise InvalidInput(f"find_conflicts: targets need the columns {missing}")
    bad = sorted(set(targets["category"].dropna()) - set(TARGET_CLASSES))
    if bad or targets["category"].isna().any():
        raise InvalidInput(f"find_conflicts: every target needs a GB 36894 class ({', '.join(TARGET_CLASSES)}); "
                           f"got {bad or 'an empty class'}")


def _distance_matrix(units: pd.Index, distances: pd.DataFrame, column: str) -> np.ndarray:
    """(units × classes) required distances of one rule, metres (NaN: none)."""
    out = np.full((len(units), len(TARGET_CLASSES)), np.nan)
    if distances is None or len(distances) == 0 or column not in distances.columns:
        return out
    pos = pd.Series(np.arange(len(units)), index=units)
    cls = pd.Series(np.arange(len(TARGET_CLASSES)), index=list(TARGET_CLASSES))
    d = distances[distances["unit_id"].isin(units) & distances["target_class"].isin(cls.index)]
    out[pos[d["unit_id"]].to_numpy(), cls[d["target_class"]].to_numpy()] = pd.to_numeric(
        d[column], errors="coerce").to_numpy(dtype=float)
    return out


def find_conflicts(
    targets: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    enterprises: pd.DataFrame,
    distances: pd.DataFrame | None,
    grids: Sequence[IrGrid] = (),
    admin_areas: gpd.GeoDataFrame | None = None,
    settings: ConflictSettings = DEFAULT_SETTINGS,
) -> ConflictResult:
    """Every proximity conflict (module docstring).

    Parameters
    ----------
    targets
        Protection targets and residential areas together, EPSG:4326, index the target id:
        ``name``, ``kind``, ``category`` (GB 36894 class), ``population`` (people; missing = 0),
        ``layer`` (``protection_targets`` or ``residential_areas``: the latter are apportioned by area).
    units
        Hazard units, EPSG:4326, index the unit id: ``enterprise_id``, ``name``.
    enterprises
        Index the enterprise id: ``name``, ``status``, ``park_id``.
    distances
        Required distances per unit and class: ``unit_id``, ``target_class`` and any of
        ``final_distance_m``, ``declared_distance_m``, ``code_distance_m`` (metres; NaN: none), with
        optional ``basis`` text. Rows with no value take no part.
    grids
        Stored IR grids (:func:`geo_risk.store.ir_grids.read_grids`); enterprise-scope grids give the
        per-enterprise test and the cumulative sum.
    admin_areas
        Optional administrative areas, EPSG:4326, with ``code`` and ``name``: a target belongs to
        the area holding its representative point; totals per area are then given.
    """
    _check_targets(targets)
    for frame, what in ((targets, "targets"), (units, "units")):
        if len(frame) and (frame.crs is None or frame.crs.to_epsg() != 4326):
            raise InvalidInput(f"find_conflicts: {what} must be in EPSG:4326 (lon/lat); got {frame.crs}")
    notes: list[str] = []
    ents = enterprises.copy()
    ents["criteria"] = ents["status"].map(_CRITERIA_BY_STATUS)
    closed = ents.index[ents["criteria"].isna()]
    if len(closed):
        notes.append(f"{len(closed)} closed (or status unknown) enterprise(s) left out: GB 36894 has no column "
                     f"for them ({', '.join(map(str, closed[:10]))}{' …' if len(closed) > 10 else ''})")
    units = units[units["enterprise_id"].isin(ents.index[ents["criteria"].notna()])]
    u_ids = np.asarray(units.index, dtype=object)  # plain object arrays: no per-item Arrow look-ups
    u_ents = np.asarray(units["enterprise_id"], dtype=object)
    t_geom = np.asarray(targets.geometry.values, dtype=object)
    t_cls = targets["category"].to_numpy()
    cls_pos = {c: k for k, c in enumerate(TARGET_CLASSES)}
    t_cls_idx = np.array([cls_pos[c] for c in t_cls], dtype=np.int64)
    t_pop = pd.to_numeric(targets["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    t_res = (targets["layer"] == "residential_areas").to_numpy()
    parts: list[pd.DataFrame] = []
    lines: list[np.ndarray] = []

    # -- distance rules, per UTM zone of the units -------------------------------------------------
    matrices = {rule: _distance_matrix(units.index, distances, col) for rule, col in DISTANCE_RULES.items()}
    basis = {}
    if distances is not None and len(distances) and "basis" in distances.columns:
        basis = {(u, c): b for u, c, b in distances[["unit_id", "target_class", "basis"]].itertuples(index=False)}
    reach = np.nanmax(np.stack([np.nan_to_num(m, nan=0.0) for m in matrices.values()]), axis=(0, 2)) if len(
        units) else np.zeros(0)
    has_reach = reach > 0
    if len(units) and has_reach.any() and len(targets):
        cent = shapely.centroid(np.asarray(units.geometry.values, dtype=object))
        zones = _utm_epsg(shapely.get_x(cent), shapely.get_y(cent))
        t_bounds = shapely.bounds(t_geom)
        for zone in np.unique(zones[has_reach]):
            upos = np.flatnonzero((zones == zone) & has_reach)
            u_wgs = np.asarray(units.geometry.values, dtype=object)[upos]
            ub = shapely.bounds(u_wgs)
            lat = max(abs(ub[:, 1].min()), abs(ub[:, 3].max()))
            pad_deg = reach[upos].max() / (111_319.0 * np.cos(np.radians(min(89.0, lat + 1)))) + 0.01
            box = (ub[:, 0].min() - pad_deg, ub[:, 1].min() - pad_deg,
                   ub[:, 2].max() + pad_deg, ub[:, 3].max() + pad_deg)
            tpos = np.flatnonzero((t_bounds[:, 2] >= box[0]) & (t_bounds[:, 0] <= box[2])
                                  & (t_bounds[:, 3] >= box[1]) & (t_bounds[:, 1] <= box[3]))
            if tpos.size == 0:
                continue
            crs = f"EPSG:{zone}"
            u_p = _to(4326, crs, u_wgs)
            t_p = _to(4326, crs, t_geom[tpos])
            tree = shapely.STRtree(t_p)
            qi, qj = tree.query(u_p, predicate="dwithin", distance=reach[upos])
            convex = _convex(u_p)
            if qi.size == 0:
                continue
            d = np.round(shapely.distance(u_p[qi], t_p[qj]), 3)  # to the millimetre: coordinates hold no more
            gu, gt = upos[qi], tpos[qj]
            for rule, mat in matrices.items():
                req = mat[gu, t_cls_idx[gt]]
                hit = np.flatnonzero(d < req)  # NaN (no distance) compares False
                if hit.size == 0:
                    continue
                hu, ht, hd, hr = gu[hit], gt[hit], d[hit], req[hit]
                share = np.ones(hit.size)
                res = t_res[ht]
                if res.any():
                    local = np.flatnonzero(res)
                    share[local] = _share_inside(u_p[qi[hit[local]]], convex[qi[hit[local]]],
                                                 t_p[qj[hit[local]]], hr[local])
                shortfall = hr - hd
                colour = _shortfall_colours(np.round(shortfall / hr, 9), settings.shortfall_bands)
                line = _to(crs, 4326, shapely.shortest_line(u_p[qi[hit]], t_p[qj[hit]]))
                uid = u_ids[hu]
                parts.append(pd.DataFrame({
                    "rule": rule, "view": "per_unit", "unit_pos": hu, "target_pos": ht,
                    "unit_id": uid, "enterprise_id": u_ents[hu],
                    "actual_distance_m": hd, "required_distance_m": hr, "shortfall_m": shortfall,
                    "ir_per_year": np.nan, "criterion_per_year": np.nan, "share_inside": np.clip(share, 0, 1),
                    "colour": colour,
                    "basis": ([basis.get((u, t_cls[t]), "") for u, t in zip(uid, ht, strict=True)] if basis
                              else ""),
                }))
                lines.append(line)

    # -- individual risk: per enterprise (regulatory) and summed (regional) -------------------------
    ent_grids = [g for g in grids if g.scope == "enterprise" and g.scope_id in ents.index
                 and ents.loc[g.scope_id, "criteria"] in ("new", "existing")]
    cumulative = np.zeros(len(targets))
    contributors: dict[int, set[str]] = {}
    if ent_grids and len(targets):
        tree4326 = shapely.STRtree(t_geom)
        unit_geoms = units.geometry
        for grid in ent_grids:
            tpos = _targets_on_grid(tree4326, grid)
            if tpos.size == 0:
                continue
            ir = max_over_geometries(grid, t_geom[tpos])
            on = ir > 0
            for p in tpos[on]:
                contributors.setdefault(int(p), set()).add(grid.scope_id)
            crit_col = ents.loc[grid.scope_id, "criteria"]
            crit = np.array([individual_risk_criterion_per_year(c, crit_col) for c in t_cls[tpos]])
            over = np.flatnonzero(ir > crit)
            if over.size == 0:
                continue
            tp = tpos[over]
            share = np.ones(over.size)
            res = t_res[tp]
            if res.any():
                share[res] = area_fraction_above(grid, t_geom[tp[res]], crit[over][res])
            eu = unit_geoms[units["enterprise_id"] == grid.scope_id]
            line, dist = _nearest_lines(eu, t_geom[tp], grid.crs)
            parts.append(pd.DataFrame({
                "rule": "individual_risk", "view": "per_enterprise", "unit_pos": -1, "target_pos": tp,
                "unit_id": None, "enterprise_id": grid.scope_id, "actual_distance_m": dist,
                "required_distance_m": np.nan, "shortfall_m": np.nan, "ir_per_year": ir[over],
                "criterion_per_year": crit[over], "share_inside": share,
                "colour": ir_colours(ir[over], settings.colour_rules),
                "basis": f"GB 36894 表1 {_CRITERIA_LABEL[crit_col]}; QRA run {grid.run_id}",
            }))
            lines.append(line)
        if settings.cumulative:
            sums = summed_grids(ent_grids)
            for sgrid in sums:
                tpos = _targets_on_grid(tree4326, sgrid)
                if tpos.size:
                    cumulative[tpos] += max_over_geometries(sgrid, t_geom[tpos])
            cols = []
            for p in range(len(targets)):
                who = contributors.get(p, set())
                cols.append("new" if who and all(ents.loc[e, "criteria"] == "new" for e in who) else "existing")
            crit_all = np.array([individual_risk_criterion_per_year(c, k) for c, k in zip(t_cls, cols, strict=True)])
            over = np.flatnonzero(cumulative > crit_all)
            if over.size:
                share = np.ones(over.size)
                res = t_res[over]
                if res.any():  # the share above the criterion in the summed field (exact in one covering group)
                    rp = np.flatnonzero(res)
                    share[rp] = 0.0
                    for sgrid in sums:
                        frac = area_fraction_above(sgrid, t_geom[over[rp]], crit_all[over[rp]])
                        share[rp] = np.maximum(share[rp], frac)
                parts.append(pd.DataFrame({
                    "rule": "cumulative_individual_risk", "view": "cumulative", "unit_pos": -1, "target_pos": over,
                    "unit_id": None, "enterprise_id": None, "actual_distance_m": np.nan,
                    "required_distance_m": np.nan, "shortfall_m": np.nan, "ir_per_year": cumulative[over],
                    "criterion_per_year": crit_all[over], "share_inside": share,
                    "colour": ir_colours(cumulative[over], settings.colour_rules),
                    "basis": [f"GB 36894 表1 {_CRITERIA_LABEL[cols[p]]}; Σ {len(contributors.get(int(p), ()))} "
                              "enterprise(s)" for p in over],
                }))
                lines.append(np.array([None] * over.size, dtype=object))
    elif not grids:
        notes.append("no current QRA grids: individual-risk conflicts not checked (run `geo-risk risk --all`)")

    conflicts = _assemble(parts, lines, targets, units, ents, t_pop, cumulative)
    target_frame = _targets_frame(conflicts, targets, cumulative, admin_areas)
    if len(conflicts):
        conflicts["admin_code"] = conflicts["target_id"].map(
            dict(zip(target_frame["target_id"], target_frame["admin_code"], strict=True)))
    else:
        conflicts["admin_code"] = pd.Series(dtype=object)
    totals = _totals(conflicts, target_frame, ents, admin_areas)
    return ConflictResult(conflicts, target_frame, totals, settings.describe(), notes)


def _convex(geoms: np.ndarray) -> np.ndarray:
    """True for points and convex polygons (their buffers are convex)."""
    kind = shapely.get_type_id(geoms)
    polygon = kind == 3
    hull = shapely.area(shapely.convex_hull(geoms))
    area = shapely.area(geoms)
    return (kind == 0) | (polygon & np.isclose(hull, area, rtol=1e-9, atol=1e-6))


def _disc_polygon_area(cx: np.ndarray, cy: np.ndarray, r: np.ndarray, rings: np.ndarray) -> np.ndarray:
    """Area (m²) of each polygon ``rings[i]`` (a closed ring without holes, projected metres) inside the disc
    of centre (``cx[i]``, ``cy[i]``) and radius ``r[i]`` — exact, vectorised over all the edges.

    The area is Σ over the ring's edges AB of the signed area of the triangle (centre, A, B) ∩ disc. An
    edge is cut where it crosses the circle (parameters t₁ ≤ t₂ of |A + t(B − A)| = r, clipped to
    [0, 1]); each of its three pieces PQ adds the triangle cross(P, Q)/2 when its midpoint lies inside
    the disc, else the circular sector r²·∠(P, Q)/2. The sum's absolute value is the area whatever the
    ring's orientation.
    """
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return np.zeros(len(rings))
    same = owner[1:] == owner[:-1]  # edge k joins vertex k and k + 1 of the same ring
    ax, ay = coords[:-1, 0][same] - cx[owner[:-1][same]], coords[:-1, 1][same] - cy[owner[:-1][same]]
    bx, by = coords[1:, 0][same] - cx[owner[:-1][same]], coords[1:, 1][same] - cy[owner[:-1][same]]
    rr = r[owner[:-1][same]]
    dx, dy = bx - ax, by - ay
    a = dx * dx + dy * dy
    b = 2.0 * (ax * dx + ay * dy)
    c = ax * ax + ay * ay - rr * rr
    disc = b * b - 4.0 * a * c
    ok = (a > 0) & (disc > 0)
    root = np.sqrt(np.where(ok, disc, 0.0))
    a_safe = np.where(a > 0, a, 1.0)
    t1 = np.where(ok, np.clip((-b - root) / (2.0 * a_safe), 0.0, 1.0), 1.0)
    t2 = np.where(ok, np.clip((-b + root) / (2.0 * a_safe), 0.0, 1.0), 1.0)
    total = np.zeros(len(ax))
    for ts, te in ((np.zeros_like(t1), t1), (t1, t2), (t2, np.ones_like(t2))):
        px, py = ax + ts * dx, ay + ts * dy
        qx, qy = ax + te * dx, ay + te * dy
        cross = px * qy - py * qx
        dot = px * qx + py * qy
        mx, my = (px + qx) / 2.0, (py + qy) / 2.0
        inside = mx * mx + my * my <= rr * rr
        total += np.where(inside, cross / 2.0, rr * rr * np.arctan2(cross, dot) / 2.0)
    return np.abs(np.bincount(owner[:-1][same], weights=total, minlength=len(rings)))


def _share_inside(units: np.ndarray, convex: np.ndarray, blocks: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Share (0–1) of each block's area within ``radius_m`` of its unit (projected, metres).

    A block whose vertices all lie within the radius of a convex unit lies wholly inside (the buffer of
    a convex set is convex): share 1 without building the buffer. The others: the area of the block
    inside the unit buffered by the radius over the block's area — for a point unit and a block without
    holes the exact area inside the disc (:func:`_disc_polygon_area`), else the intersection with the
    unit's buffer (32 segments per quarter circle; the exact disc is larger by ≤ 0.04 % of the zone).
    """
    out = np.ones(len(blocks))
    coords, owner = shapely.get_coordinates(blocks, return_index=True)
    far = np.zeros(len(blocks))
    point = shapely.get_type_id(units) == 0
    if len(coords):
        vertex = np.empty(len(coords))
        pv = point[owner]
        if pv.any():
            ux, uy = shapely.get_x(units[owner[pv]]), shapely.get_y(units[owner[pv]])
            vertex[pv] = np.hypot(coords[pv, 0] - ux, coords[pv, 1] - uy)
        if (~pv).any():
            vertex[~pv] = shapely.distance(units[owner[~pv]], shapely.points(coords[~pv]))
        np.maximum.at(far, owner, vertex)
    part = np.flatnonzero(~(convex & (far < radius_m)))
    if part.size:
        area = shapely.area(blocks[part])
        inter = np.empty(part.size)
        simple = point[part] & (shapely.get_type_id(blocks[part]) == 3) \
            & (shapely.get_num_interior_rings(blocks[part]) == 0)
        if simple.any():
            s = part[simple]
            inter[simple] = _disc_polygon_area(shapely.get_x(units[s]), shapely.get_y(units[s]), radius_m[s],
                                               shapely.get_exterior_ring(blocks[s]))
        if (~simple).any():
            o = part[~simple]
            inter[~simple] = shapely.area(shapely.intersection(
                blocks[o], shapely.buffer(units[o], radius_m[o], quad_segs=32)))
        out[part] = np.divide(inter, area, out=np.ones(part.size), where=area > 0)
    return out


def _targets_on_grid(tree: shapely.STRtree, grid: IrGrid) -> np.ndarray:
    """Positions of the targets (tree of EPSG:4326 geometries) whose box meets the grid's extent."""
    import pyproj

    tr = pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True)
    xmin, ymin, xmax, ymax = tr.transform_bounds(*grid.bounds, densify_pts=21)
    return np.sort(tree.query(shapely.box(xmin, ymin, xmax, ymax)))


def _nearest_lines(unit_geoms: gpd.GeoSeries, target_geoms: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Lines (EPSG:4326) from the nearest of the units to each target, and their lengths (m) in ``crs``."""
    if len(unit_geoms) == 0:
        return np.array([None] * len(target_geoms), dtype=object), np.full(len(target_geoms), np.nan)
    u = _to(4326, crs, np.asarray(unit_geoms.values, dtype=object))
    t = _to(4326, crs, target_geoms)
    tree = shapely.STRtree(u)
    near = tree.nearest(t)
    line = shapely.shortest_line(u[near], t)
    return _to(crs, 4326, line), shapely.length(line)


def _assemble(parts: list[pd.DataFrame], lines: list[np.ndarray], targets: gpd.GeoDataFrame,
              units: gpd.GeoDataFrame, ents: pd.DataFrame, t_pop: np.ndarray, cumulative: np.ndarray
              ) -> gpd.GeoDataFrame:
    if not parts:
        empty = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in CONFLICT_COLUMNS},
                                 geometry=gpd.GeoSeries([], crs=4326), crs=4326)
        return empty
    c = pd.concat(parts, ignore_index=True)
    geom = np.concatenate(lines)
    tp = c["target_pos"].to_numpy()
    c["target_id"] = np.asarray(targets.index, dtype=object)[tp]
    c["target_name"] = np.asarray(targets["name"], dtype=object)[tp]
    c["target_layer"] = np.asarray(targets["layer"], dtype=object)[tp]
    c["target_kind"] = np.asarray(targets["kind"], dtype=object)[tp]
    c["target_class"] = np.asarray(targets["category"], dtype=object)[tp]
    c["class_label"] = c["target_class"].map(_CLASS_LABELS)
    c["population"] = t_pop[tp]
    c["people_affected"] = np.round(t_pop[tp] * c["share_inside"].to_numpy(), 1)
    c["cumulative_ir_per_year"] = np.where(cumulative[tp] > 0, cumulative[tp], np.nan)
    ent = c["enterprise_id"]
    c["enterprise_name"] = ent.map(ents["name"]).where(ent.notna(), None)
    c["park_id"] = ent.map(ents["park_id"]).where(ent.notna(), None)
    c["criteria"] = ent.map(ents["criteria"]).where(ent.notna(), None)
    c["unit_name"] = c["unit_id"].map(pd.Series(np.asarray(units["name"], dtype=object),
                                                 index=np.asarray(units.index, dtype=object))
                                       ).where(c["unit_id"].notna(), None)
    c["ir_ratio"] = c["ir_per_year"] / c["criterion_per_year"]
    c["rule_label"] = c["rule"].map({r: f"{zh} / {en}" for r, (zh, en) in RULES.items()})
    c["colour_label"] = c["colour"].map({k: _colour_label(k) for k in COLOURS})
    owner = c["unit_id"].where(c["unit_id"].notna(), c["enterprise_id"]).fillna("all")
    c["conflict_id"] = c["rule"] + ":" + owner.astype(str) + ":" + c["target_id"].astype(str)
    out = gpd.GeoDataFrame(c[list(CONFLICT_COLUMNS)], geometry=gpd.GeoSeries(geom, crs=4326), crs=4326)
    rank = out["colour"].map(RANK)
    return out.assign(_r=rank).sort_values(["_r", "shortfall_m", "ir_ratio"], ascending=[True, False, False],
                                           na_position="last").drop(columns="_r").reset_index(drop=True)


def _admin_of(points: np.ndarray, admin_areas: gpd.GeoDataFrame | None) -> np.ndarray:
    out = np.full(len(points), None, dtype=object)
    if admin_areas is None or len(admin_areas) == 0 or len(points) == 0:
        return out
    tree = shapely.STRtree(np.asarray(admin_areas.geometry.values, dtype=object))
    pi, ai = tree.query(points, predicate="within")
    codes = admin_areas["code"].to_numpy()
    order = np.argsort(pi, kind="stable")
    out[pi[order]] = codes[ai[order]]  # a point on a shared border: the last listed area
    return out


def _joined(c: pd.DataFrame, column: str) -> pd.Series:
    """Per target id: the distinct non-empty values of ``column``, sorted, joined by commas (integer codes
    of the ids and of the sorted values, one ``np.unique`` of the pairs: no sort of the texts per row)."""
    keep = c[column].notna().to_numpy()
    if not keep.any():
        return pd.Series(dtype=object)
    tid, tkeys = pd.factorize(c["target_id"].to_numpy(dtype=object)[keep])
    val, vkeys = pd.factorize(c[column].astype(str).to_numpy(dtype=object)[keep], sort=True)
    pair = np.unique(tid.astype(np.int64) * len(vkeys) + val)
    t, v = pair // len(vkeys), pair % len(vkeys)
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    groups = np.split(np.asarray(vkeys, dtype=object)[v], starts[1:])
    return pd.Series([",".join(g) for g in groups], index=np.asarray(tkeys, dtype=object)[t[starts]], dtype=object)


def _targets_frame(conflicts: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, cumulative: np.ndarray,
                   admin_areas: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if len(conflicts) == 0:
        return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in TARGET_COLUMNS},
                                geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    c = pd.DataFrame({"target_id": conflicts["target_id"].to_numpy(dtype=object),
                      "rule": conflicts["rule"].to_numpy(dtype=object),
                      "enterprise_id": conflicts["enterprise_id"].to_numpy(dtype=object),
                      "people_affected": conflicts["people_affected"].to_numpy(dtype=float),
                      "shortfall_m": conflicts["shortfall_m"].to_numpy(dtype=float),
                      "ir_ratio": conflicts["ir_ratio"].to_numpy(dtype=float),
                      "_r": conflicts["colour"].map(RANK).to_numpy()})
    g = c.groupby("target_id", sort=False)
    frame = pd.DataFrame({
        "conflicts": g.size(),
        "rules": _joined(c, "rule"),
        "enterprises": _joined(c, "enterprise_id"),
        "people_affected": g["people_affected"].max(),
        "max_shortfall_m": g["shortfall_m"].max(),
        "max_ir_ratio": g["ir_ratio"].max(),
        "_r": g["_r"].min(),
    })
    frame = frame.sort_index()  # by target id (the ties of the final order)
    frame["enterprises"] = frame["enterprises"].fillna("")
    frame["colour"] = frame["_r"].map({v: k for k, v in RANK.items()})
    frame["colour_label"] = frame["colour"].map(_colour_label)
    t = targets.loc[frame.index]
    frame["target_id"] = frame.index.to_numpy(dtype=object)
    frame["target_name"] = t["name"].to_numpy()
    frame["target_layer"] = t["layer"].to_numpy()
    frame["target_kind"] = t["kind"].to_numpy()
    frame["target_class"] = t["category"].to_numpy()
    frame["class_label"] = frame["target_class"].map(_CLASS_LABELS)
    frame["population"] = pd.to_numeric(t["population"], errors="coerce").fillna(0).to_numpy()
    pos = targets.index.get_indexer(frame.index)
    frame["cumulative_ir_per_year"] = np.where(cumulative[pos] > 0, cumulative[pos], np.nan)
    frame["admin_code"] = _admin_of(shapely.point_on_surface(np.asarray(t.geometry.values, dtype=object)),
                                    admin_areas)
    out = gpd.GeoDataFrame(frame[list(TARGET_COLUMNS)].reset_index(drop=True),
                           geometry=gpd.GeoSeries(t.geometry.values, crs=4326), crs=4326)
    return out.assign(_r=out["colour"].map(RANK)).sort_values(["_r", "people_affected"], ascending=[True, False]
                                                              ).drop(columns="_r").reset_index(drop=True)


def _group_totals(c: pd.DataFrame, key: str) -> pd.DataFrame:
    """Totals of conflicts ``c`` per ``key``: conflicts, targets, people (each target once, its largest
    count), worst colour and targets per colour (a target's worst colour within the group)."""
    cols = ["conflicts", "targets", "people_affected", "colour", *[f"targets_{k}" for k in COLOURS]]
    c = c[c[key].notna()]
    if len(c) == 0:
        return pd.DataFrame(columns=[key, *cols])
    c = pd.DataFrame({key: c[key].to_numpy(dtype=object), "target_id": c["target_id"].to_numpy(dtype=object),
                      "people": c["people_affected"].to_numpy(dtype=float), "r": c["colour"].map(RANK).to_numpy()})
    per_target = c.groupby([key, "target_id"], sort=False).agg(people=("people", "max"), r=("r", "min"),
                                                               n=("r", "size")).reset_index()
    codes, keys = pd.factorize(per_target[key], sort=True)
    n = len(keys)
    rank = per_target["r"].to_numpy()
    counts = np.zeros((n, len(RANK)), dtype=np.int64)
    np.add.at(counts, (codes, rank - 1), 1)
    worst = np.full(n, len(RANK) + 1)
    np.minimum.at(worst, codes, rank)
    out = pd.DataFrame({"conflicts": np.bincount(codes, per_target["n"].to_numpy(), n).astype(np.int64),
                        "targets": np.bincount(codes, minlength=n),
                        "people_affected": np.bincount(codes, per_target["people"].to_numpy(), n),
                        "colour": [{v: k for k, v in RANK.items()}[int(r)] for r in worst]},
                       index=pd.Index(keys, name=key))
    for k, r in RANK.items():
        out[f"targets_{k}"] = counts[:, r - 1]
    return out.reset_index()


def _totals(conflicts: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, ents: pd.DataFrame,
            admin_areas: gpd.GeoDataFrame | None) -> dict[str, pd.DataFrame]:
    c = pd.DataFrame(conflicts.drop(columns=["geometry", "admin_code"]))
    per_ent = c[c["view"] != "cumulative"]
    totals = {"enterprise": _group_totals(per_ent, "enterprise_id"), "park": _group_totals(per_ent, "park_id")}
    if len(totals["enterprise"]):
        totals["enterprise"].insert(1, "enterprise_name", totals["enterprise"]["enterprise_id"].map(ents["name"]))
    if admin_areas is not None:
        admin = dict(zip(targets["target_id"], targets["admin_code"], strict=True)) if len(targets) else {}
        t = totals["admin_area"] = _group_totals(c.assign(admin_code=c["target_id"].map(admin)), "admin_code")
        if len(t):
            t.insert(1, "admin_name", t["admin_code"].map(dict(zip(admin_areas["code"], admin_areas["name"],
                                                                     strict=True))))
    return totals
