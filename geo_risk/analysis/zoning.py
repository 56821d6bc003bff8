"""Four-colour zoning (红橙黄蓝) and the risk heatmap on an H3 hexagon grid. Pure: frames and arrays in,
frames out; the store, the IR grids and the map are read and written elsewhere (geo_risk/zoning_run.py).

What is coloured, and by which rule (docs/standards/risk-colours-and-joint-prevention.md Z2; every
threshold a value of :class:`geo_risk.analysis.colours.ColourRules`, every other number a value of
:class:`ZoningSettings`, all printed with the results):

- **hazard units**: from their GB 18218 grade (Z2, hazard units);
- **enterprises**: the official 应急〔2018〕19号 colour when the enterprise carries a ``risk_score``
  (basis ``official``); otherwise the worse of its worst unit colour and the IR band at its worst
  protection target (Z2, enterprises), basis ``derived``;
- **cells** (H3 hexagons): the IR band of the cell's largest individual risk, summed over all
  enterprises (Z2, cells), raised one level when the cell holds a red enterprise or part of a grade-A
  park (Z2, cells; red stays red);
- **areas** (parks and administrative areas): the worst colour of the cells they overlap, with the
  number of cells of each colour (Z2, areas).

The heatmap carries, per cell, beside the colour: ``ir_max`` (per year), ``r_heat`` — a
distance-weighted sum of the GB 18218 R of the major hazard units within ``r_radius_m`` of the
cell's centre (kernel :data:`KERNELS`) — and ``population``, the residents of the residential areas
apportioned to the cell by the share of each area's surface inside it. ``r_heat`` and population are
reported, not used in the colour: Z2 colours cells by individual risk only.

Distances and areas are in metres in the UTM zone of each feature (a projected CRS; never degrees).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import h3
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo_risk.analysis.colours import (
    COLOURS,
    DEFAULT_RULES,
    RANK,
    SERVICE_CLASSIFICATION,
    ColourRules,
    grade_colour,
    ir_colours,
    score_colour,
    worst,
)

__all__ = [
    "KERNELS", "ZoningSettings", "ZoningInputs", "ZoningResult", "SETTING_TAGS", "BASIS_LABELS",
    "kernel_weights", "utm_epsg", "cell_polygons", "cover_cells", "apportion_population", "r_heat",
    "cell_ir_max", "holds", "classify_cells", "area_colours", "unit_colours", "enterprise_colours", "zone",
    "colour_label",
]

#: Kernels of the R heat: weight of a source at distance d (m) from a cell centre, radius h (m).
KERNELS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "quartic": lambda d, h: np.where(d < h, (1.0 - (d / h) ** 2) ** 2, 0.0),
    "triangular": lambda d, h: np.where(d < h, 1.0 - d / h, 0.0),
    "uniform": lambda d, h: np.where(d < h, 1.0, 0.0),
}

BASIS_LABELS = {
    "official": "官方评估（应急〔2018〕19号） / official (应急〔2018〕19号 diagnosis)",
    "derived": "推算（服务分级） / derived (service classification)",
}

#: Confidence of the zoning settings' defaults.
SETTING_TAGS = {
    "resolution": "CHOICE (H3 res 8, about 0.74 km² a cell, between the reference's 500 m and 1 km cells)",
    "fine_resolution": "CHOICE (H3 res 9, about 0.105 km², served when zoomed in; only cells with people, "
                       "hazard sources within the R radius, individual risk, enterprises or parks)",
    "r_kernel": "CHOICE (no rule weighs R over space; a reported quantity, not a colour input)",
    "r_radius_m": "CHOICE",
    "area_cells": "CHOICE (an area takes every cell overlapping it: the conservative reading of 'its cells')",
    "cell_ir": "CHOICE (largest summed IR at the cell centre and at every IR-grid cell centre inside it)",
}


def colour_label(colour: str) -> str:
    """'重大风险（红） / Major risk (red)' for 'red'."""
    _, zh, en = COLOURS[colour]
    return f"{zh} / {en}"


@dataclass(frozen=True)
class ZoningSettings:
    """Every number of the zoning besides the colour rules (settings; see :data:`SETTING_TAGS`)."""

    resolution: int = 8
    fine_resolution: int | None = 9
    r_kernel: str = "quartic"
    r_radius_m: float = 1000.0
    rules: ColourRules = DEFAULT_RULES

    def __post_init__(self) -> None:
        if self.r_kernel not in KERNELS:
            raise ValueError(f"unknown R kernel {self.r_kernel!r}; kernels: {', '.join(KERNELS)}")
        if not self.r_radius_m > 0:
            raise ValueError(f"the R kernel radius must be > 0 m; got {self.r_radius_m}")
        for r in (self.resolution, self.fine_resolution):
            if r is not None and not 0 <= r <= 15:
                raise ValueError(f"H3 resolutions are 0–15; got {r}")

    @property
    def resolutions(self) -> tuple[int, ...]:
        fine = self.fine_resolution
        return (self.resolution,) if fine is None or fine == self.resolution else (self.resolution, fine)

    def describe(self) -> dict[str, Any]:
        """The values used and their tags (stored with the results, printed on every output)."""
        values = {k: v for k, v in asdict(self).items() if k != "rules"}
        return {"h3_resolution": self.resolution, "h3_fine_resolution": self.fine_resolution,
                "values": values, "tags": dict(SETTING_TAGS), "colour_rules": self.rules.describe(),
                "basis": SERVICE_CLASSIFICATION}


def kernel_weights(d_m: np.ndarray, radius_m: float, kernel: str = "quartic") -> np.ndarray:
    """Weight of a source at distance ``d_m`` (m): 1 at the source, 0 at and beyond ``radius_m``."""
    return KERNELS[kernel](np.asarray(d_m, dtype=float), float(radius_m))


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of the WGS 84 UTM zone of each point (326zz north, 327zz south)."""
    lon = np.asarray(lon, dtype=float)
    zone = np.clip(np.floor((lon + 180.0) / 6.0).astype(int) + 1, 1, 60)
    return np.where(np.asarray(lat, dtype=float) >= 0, 32600, 32700) + zone


_TRANSFORMERS: dict[int, Transformer] = {}


def _to_utm(epsg: int) -> Transformer:
    if epsg not in _TRANSFORMERS:
        _TRANSFORMERS[epsg] = Transformer.from_crs(4326, int(epsg), always_xy=True)
    return _TRANSFORMERS[epsg]


def _project(geoms: np.ndarray, epsg: int) -> np.ndarray:
    tr = _to_utm(epsg)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely polygons (lon/lat, EPSG:4326) of H3 cells."""
    out = np.empty(len(cells), dtype=object)
    if len(cells) == 0:
        return out
    bounds = [h3.cell_to_boundary(c) for c in cells]
    sizes = np.fromiter((len(b) for b in bounds), dtype=np.int64, count=len(bounds))
    for n in np.unique(sizes):  # hexagons (6 vertices), pentagons (5), and cells cut by an icosahedron edge
        idx = np.flatnonzero(sizes == n)
        latlng = np.array([bounds[i] for i in idx], dtype=float)  # (m, n, 2) lat, lng
        ring = np.concatenate([latlng, latlng[:, :1]], axis=1)[:, :, ::-1]  # closed, lng first
        out[idx] = shapely.polygons(ring)
    return out


def _cells_of(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    return np.array([h3.latlng_to_cell(float(b), float(a), res) for a, b in zip(lon, lat, strict=True)],
                    dtype=object)


def _centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ll = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    return ll[:, 1], ll[:, 0]


def _overlap_cells(geom: Any, res: int) -> set[str]:
    """H3 cells overlapping a (multi)polygon in lon/lat."""
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(geom))
    return set(h3.h3shape_to_cells_experimental(shape, res, contain="overlap"))


def cover_cells(
    res: int,
    *,
    points: tuple[np.ndarray, np.ndarray] | None = None,
    areas: np.ndarray | None = None,
    disks: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> np.ndarray:
    """The cells of the study area, sorted: those holding ``points`` (lon, lat), those overlapping
    ``areas`` (polygons in lon/lat), and those within ``disks`` (lon, lat, radius m: every cell whose
    centre may lie within the radius of a point)."""
    out: set[str] = set()
    if points is not None and len(points[0]):
        out.update(_cells_of(points[0], points[1], res))
    if areas is not None:
        for g in areas:
            if g is not None and not g.is_empty:
                out.update(_overlap_cells(g, res))
    if disks is not None and len(disks[0]):
        spacing = h3.average_hexagon_edge_length(res, "m") * math.sqrt(3.0)  # centre to centre
        k = int(math.ceil(disks[2] / spacing)) + 1
        for c in set(_cells_of(disks[0], disks[1], res)):
            out.update(h3.grid_disk(c, k))
    return np.array(sorted(out), dtype=object)


def apportion_population(geoms: np.ndarray, population: np.ndarray, res: int) -> tuple[pd.Series, np.ndarray]:
    """Residents per H3 cell: each area's population shared by the share of its surface in each cell.

    Areas inside one cell give it all their people; areas crossing cell edges are cut by the cells
    in the UTM zone of the area, the share = area of the part / area of the whole (m²). Returns the
    population per cell (indexed by cell id; only cells that receive people) and, per area, the
    share of it that was placed (1 up to rounding: a test of completeness).
    """
    geoms = np.asarray(geoms, dtype=object)
    pop = np.asarray(population, dtype=float)
    n = len(geoms)
    placed = np.zeros(n)
    if n == 0:
        return pd.Series(dtype=float), placed
    rep = shapely.point_on_surface(geoms)
    rep_cell = _cells_of(shapely.get_x(rep), shapely.get_y(rep), res)
    uniq, inv = np.unique(rep_cell, return_inverse=True)
    polys = cell_polygons(uniq)
    shapely.prepare(polys)
    inside = shapely.within(geoms, polys[inv])
    parts = [pd.Series(pop[inside]).groupby(rep_cell[inside]).sum()]
    placed[inside] = 1.0
    cross = np.flatnonzero(~inside)
    if cross.size:
        pair_area, pair_cell, pair_geom = [], [], []
        epsg = utm_epsg(shapely.get_x(rep[cross]), shapely.get_y(rep[cross]))
        for zone in np.unique(epsg):
            idx = cross[epsg == zone]
            gm = _project(geoms[idx], int(zone))
            whole = shapely.area(gm)
            # First the cells holding a vertex of the area; an area whose parts there do not add up
            # to its whole crosses a cell without a vertex in it: then the neighbours of those cells too.
            coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
            pairs = pd.DataFrame({"o": owner, "c": _cells_of(coords[:, 0], coords[:, 1], res)}).drop_duplicates()
            done = np.zeros(len(idx))
            for attempt in range(2):
                if attempt:
                    short = np.flatnonzero(done < 1.0 - 1e-9)
                    if short.size == 0:
                        break
                    seen = pairs[pairs["o"].isin(short)]
                    ring = [(o, n) for o, c in zip(seen["o"], seen["c"], strict=True) for n in h3.grid_disk(c, 1)]
                    pairs = pd.DataFrame(ring, columns=["o", "c"]).drop_duplicates()
                    pairs = pairs.merge(seen, how="left", indicator=True)
                    pairs = pairs[pairs["_merge"] == "left_only"][["o", "c"]]
                    if pairs.empty:
                        break
                g_idx = pairs["o"].to_numpy(dtype=np.int64)
                c_ids = pairs["c"].to_numpy(dtype=object)
                cu, cinv = np.unique(c_ids, return_inverse=True)
                cpoly = _project(cell_polygons(cu), int(zone))
                a = shapely.area(shapely.intersection(gm[g_idx], cpoly[cinv]))
                keep = a > 0
                share = a[keep] / whole[g_idx[keep]]
                np.add.at(done, g_idx[keep], share)
                pair_area.append(share)
                pair_cell.append(c_ids[keep])
                pair_geom.append(idx[g_idx[keep]])
        share = np.concatenate(pair_area)
        gidx = np.concatenate(pair_geom)
        np.add.at(placed, gidx, share)
        parts.append(pd.Series(pop[gidx] * share).groupby(np.concatenate(pair_cell)).sum())
    total = pd.concat(parts).groupby(level=0).sum()
    return total, placed


def r_heat(
    cells: np.ndarray, lon: np.ndarray, lat: np.ndarray, r: np.ndarray, radius_m: float, kernel: str = "quartic"
) -> np.ndarray:
    """Σ R · K(d) per cell over the sources within ``radius_m`` of the cell's centre (d in metres,
    UTM zone of each source)."""
    out = np.zeros(len(cells))
    r = np.asarray(r, dtype=float)
    ok = np.isfinite(r) & (r > 0)
    if not ok.any() or len(cells) == 0:
        return out
    lon, lat, r = np.asarray(lon, float)[ok], np.asarray(lat, float)[ok], r[ok]
    clon, clat = _centres(cells)
    epsg = utm_epsg(lon, lat)
    for zone in np.unique(epsg):
        sel = epsg == zone
        tr = _to_utm(int(zone))
        sx, sy = tr.transform(lon[sel], lat[sel])
        # cells near these sources only (a box in degrees around them, generous), then exact metres
        pad_lat = radius_m / 100_000.0 + 0.01
        pad_lon = pad_lat / max(0.2, math.cos(math.radians(float(np.max(np.abs(lat[sel]))))))
        near = ((clon >= lon[sel].min() - pad_lon) & (clon <= lon[sel].max() + pad_lon)
                & (clat >= lat[sel].min() - pad_lat) & (clat <= lat[sel].max() + pad_lat))
        ci = np.flatnonzero(near)
        if ci.size == 0:
            continue
        cx, cy = tr.transform(clon[ci], clat[ci])
        tree = cKDTree(np.column_stack([cx, cy]))
        hits = tree.query_ball_point(np.column_stack([sx, sy]), r=radius_m)
        rs = r[sel]
        src = np.repeat(np.arange(len(hits)), [len(h) for h in hits])
        if src.size == 0:
            continue
        cel = np.concatenate([np.asarray(h, dtype=int) for h in hits])
        d = np.hypot(np.asarray(cx)[cel] - np.asarray(sx)[src], np.asarray(cy)[cel] - np.asarray(sy)[src])
        np.add.at(out, ci[cel], rs[src] * kernel_weights(d, radius_m, kernel))
    return out


def cell_ir_max(
    cells: np.ndarray,
    res: int,
    ir_at: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Largest summed IR (per year) per cell: ``ir_at`` (lon, lat → IR summed over enterprises) at
    each cell's centre and at every ``extra`` point inside it (the orchestrator passes the centres
    of the IR grids' cells with risk, so the maximum is taken on a lattice as fine as the grids)."""
    out = np.zeros(len(cells))
    if ir_at is None or len(cells) == 0:
        return out
    clon, clat = _centres(cells)
    out[:] = np.asarray(ir_at(clon, clat), dtype=float)
    if extra is not None and len(extra[0]):
        ex, ey = np.asarray(extra[0], float), np.asarray(extra[1], float)
        ecell = _cells_of(ex, ey, res)
        pos = pd.Index(cells).get_indexer(ecell)
        keep = pos >= 0
        if keep.any():
            vals = np.asarray(ir_at(ex[keep], ey[keep]), dtype=float)
            np.maximum.at(out, pos[keep], vals)
    return out


def holds(polys: np.ndarray, geoms: np.ndarray, tree: shapely.STRtree | None = None) -> np.ndarray:
    """Per cell polygon: whether any of ``geoms`` (lon/lat) shares more than a boundary with it
    (``tree``: an STRtree of ``polys``, built when not given)."""
    out = np.zeros(len(polys), dtype=bool)
    geoms = np.asarray([g for g in geoms if g is not None and not g.is_empty], dtype=object)
    if len(polys) == 0 or len(geoms) == 0:
        return out
    tree = tree or shapely.STRtree(polys)
    gi, ci = tree.query(geoms, predicate="intersects")
    real = ~shapely.touches(geoms[gi], polys[ci])
    out[ci[real]] = True
    return out


def classify_cells(
    ir_max: np.ndarray, red_enterprise: np.ndarray, grade_a_park: np.ndarray, rules: ColourRules = DEFAULT_RULES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(colour, IR colour, raised_by) per cell: the IR band (Z2, cells), one level worse when the cell
    holds a red enterprise or a grade-A park (Z2, cells; red stays red; raised_by says which, or None)."""
    ir_col = ir_colours(np.asarray(ir_max, dtype=float), rules)
    rank = np.array([RANK[c] for c in ir_col], dtype=int)
    red_e = np.asarray(red_enterprise, dtype=bool)
    park_a = np.asarray(grade_a_park, dtype=bool)
    raise_ = (red_e | park_a) & (rank > 1)
    by_rank = {v: k for k, v in RANK.items()}
    colour = np.array([by_rank[k - 1] if up else by_rank[k] for k, up in zip(rank, raise_, strict=True)],
                      dtype=object)
    reasons = np.full(len(rank), None, dtype=object)
    for i in np.flatnonzero(raise_):
        why = []
        if red_e[i]:
            why.append("红色企业 / red enterprise")
        if park_a[i]:
            why.append("A级园区 / grade-A park")
        reasons[i] = "升一级：" + "、".join(why) + " (Z2, cells)"
    return colour, ir_col, reasons


def area_colours(
    areas: pd.DataFrame, area_geoms: np.ndarray, polys: np.ndarray, colours: np.ndarray,
    population: np.ndarray, kind: str, res: int, tree: shapely.STRtree | None = None,
) -> pd.DataFrame:
    """Per area: the worst colour of the cells overlapping it (more than a shared boundary) and the
    number of cells of each colour; population = residents of the cells whose centre lies inside."""
    cols = ["kind", "area_id", "name", "park_grade", "resolution", "colour", "colour_label", "n_cells", "n_red",
            "n_orange", "n_yellow", "n_blue", "population", "geometry"]
    if len(areas) == 0:
        return pd.DataFrame(columns=cols)
    area_geoms = np.asarray(area_geoms, dtype=object)
    tree = tree or shapely.STRtree(polys)
    ai, ci = tree.query(area_geoms, predicate="intersects")
    real = ~shapely.touches(area_geoms[ai], polys[ci])
    ai, ci = ai[real], ci[real]
    centres = shapely.centroid(polys)
    centre_in = shapely.contains(area_geoms[ai], centres[ci])
    rows = []
    for k in range(len(areas)):
        mine = ci[ai == k]
        cs = colours[mine]
        counts = {c: int((cs == c).sum()) for c in COLOURS}
        colour = worst(*cs) or "blue"
        rec = areas.iloc[k]
        rows.append({
            "kind": kind, "area_id": str(rec["id"]), "name": rec.get("name"), "park_grade": rec.get("risk_grade"),
            "resolution": res, "colour": colour, "colour_label": colour_label(colour), "n_cells": int(len(mine)),
            **{f"n_{c}": counts[c] for c in COLOURS},
            "population": float(population[ci[(ai == k) & centre_in]].sum()), "geometry": area_geoms[k],
        })
    return pd.DataFrame(rows, columns=cols)


def unit_colours(units: pd.DataFrame, rules: ColourRules = DEFAULT_RULES) -> pd.DataFrame:
    """``units`` (id, enterprise_id, grade: 1–4 or missing) with ``colour`` from the grade (Z2, hazard units)."""
    out = units[["id", "enterprise_id", "grade"]].copy()
    out["grade"] = out["grade"].astype("Int64")
    out["colour"] = [grade_colour(None if pd.isna(g) else int(g), rules) for g in out["grade"]]
    return out


def enterprise_colours(
    enterprises: pd.DataFrame, units: pd.DataFrame, target_ir: pd.Series | dict | None = None,
    rules: ColourRules = DEFAULT_RULES,
) -> pd.DataFrame:
    """Colour of each enterprise with its basis (Z2, enterprises).

    ``enterprises``: id, risk_score (None when the regulator gave none). ``units``: the output of
    :func:`unit_colours`. ``target_ir``: enterprise id → the largest IR (per year) of that
    enterprise's own field at any protection target or residential area (the regulatory view).
    """
    target_ir = pd.Series(target_ir if target_ir is not None else {}, dtype=float)
    unit_worst = units.groupby("enterprise_id")["colour"].agg(lambda s: worst(*s)) if len(units) else pd.Series()
    rows = []
    for rec in enterprises.itertuples(index=False):
        eid = str(rec.id)
        score = getattr(rec, "risk_score", None)
        score = None if score is None or pd.isna(score) else float(score)
        u = unit_worst.get(eid)
        ir = target_ir.get(eid)
        ir = None if ir is None or pd.isna(ir) else float(ir)
        ir_col = str(ir_colours(np.array([ir]), rules)[0]) if ir is not None and ir > 0 else None
        if score is not None:
            colour, basis = score_colour(score, rules), "official"
            s1, s2, s3 = rules.score_bands
            reason = (f"应急〔2018〕19号评分 {score:g} 分（红 <{s1:g}，橙 <{s2:g}，黄 <{s3:g}，蓝 ≥{s3:g}） / "
                      f"official diagnosis score {score:g} of 100")
        else:
            colour, basis = worst(u, ir_col) or "blue", "derived"
            parts = [f"最差单元 {COLOURS[u][1]} / worst unit {u}" if u else "无重大危险源单元 / no major hazard unit"]
            parts.append(f"防护目标处个人风险 {ir:.2g}/年 → {ir_col} / IR at worst protection target"
                         if ir_col else "防护目标处无个人风险结果 / no IR at protection targets")
            reason = "取较差者 worse of: " + "; ".join(parts) + " (Z2, enterprises, 服务分级 service classification)"
        rows.append({"enterprise_id": eid, "colour": colour, "colour_label": colour_label(colour), "basis": basis,
                     "basis_label": BASIS_LABELS[basis], "risk_score": score, "worst_unit_colour": u,
                     "target_ir": ir, "target_ir_colour": ir_col, "reason": reason})
    return pd.DataFrame(rows, columns=["enterprise_id", "colour", "colour_label", "basis", "basis_label",
                                       "risk_score", "worst_unit_colour", "target_ir", "target_ir_colour", "reason"])


@dataclass
class ZoningInputs:
    """Everything the zoning reads, in lon/lat (EPSG:4326) shapely geometries.

    ``units``: id, enterprise_id, grade, r (the public R: only major hazard units carry one), geometry.
    ``enterprises``: id, name, park_id, risk_score, geometry. ``parks``: id, name, risk_grade,
    geometry. ``residential``: population, geometry. ``admin_areas``: id, name, geometry.
    ``ir_at``: summed IR (per year) at lon/lat points, or None without risk runs. ``ir_points``:
    extra (lon, lat) sample points of the IR field. ``target_ir``: enterprise id → IR at its worst
    protection target.
    """

    enterprises: pd.DataFrame
    units: pd.DataFrame
    parks: pd.DataFrame
    residential: pd.DataFrame
    admin_areas: pd.DataFrame
    ir_at: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    ir_points: tuple[np.ndarray, np.ndarray] | None = None
    target_ir: dict[str, float] = field(default_factory=dict)


@dataclass
class ZoningResult:
    """Cells (all resolutions), areas, enterprises and units with their colours; the settings used."""

    cells: pd.DataFrame
    areas: pd.DataFrame
    enterprises: pd.DataFrame
    units: pd.DataFrame
    settings: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for res, part in self.cells.groupby("resolution"):
            out[f"cells_res{res}"] = {c: int((part["colour"] == c).sum()) for c in COLOURS}
        out["enterprises"] = {f"{c}_{b}": int(((self.enterprises["colour"] == c) & (self.enterprises["basis"] == b))
                                              .sum()) for c in COLOURS for b in ("official", "derived")}
        out["areas"] = len(self.areas)
        return out


def _geoms(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["geometry"].values if len(frame) else [], dtype=object)


def zone(inputs: ZoningInputs, settings: ZoningSettings | None = None) -> ZoningResult:
    """Colour units, enterprises, cells and areas, and compute the heatmap per cell (module doc)."""
    import time

    settings = settings or ZoningSettings()
    rules = settings.rules
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    units = unit_colours(inputs.units, rules)
    ents = enterprise_colours(inputs.enterprises, units, inputs.target_ir, rules)
    t["colours"] = time.perf_counter() - t0

    ent_geoms = _geoms(inputs.enterprises)
    red_ids = set(ents.loc[ents["colour"] == "red", "enterprise_id"])
    is_red = inputs.enterprises["id"].astype(str).isin(red_ids).to_numpy() if len(ent_geoms) else np.zeros(0, bool)
    red_geoms = ent_geoms[is_red]
    park_geoms = _geoms(inputs.parks)
    a_parks = park_geoms[(inputs.parks["risk_grade"] == "A").to_numpy()] if len(park_geoms) else park_geoms
    res_geoms = _geoms(inputs.residential)
    res_pop = inputs.residential["population"].to_numpy(dtype=float) if len(res_geoms) else np.zeros(0)
    admin_geoms = _geoms(inputs.admin_areas)
    major = inputs.units[inputs.units["r"].notna()] if len(inputs.units) else inputs.units
    mpts = shapely.point_on_surface(_geoms(major)) if len(major) else np.zeros(0, dtype=object)
    mlon, mlat = (shapely.get_x(mpts), shapely.get_y(mpts)) if len(mpts) else (np.zeros(0), np.zeros(0))
    epts = shapely.point_on_surface(ent_geoms) if len(ent_geoms) else np.zeros(0, dtype=object)

    frames, areas = [], []
    for res in settings.resolutions:
        ts = time.perf_counter()
        pop_by_cell, _ = apportion_population(res_geoms, res_pop, res)
        t[f"population_r{res}"] = time.perf_counter() - ts
        ts = time.perf_counter()
        pts = [np.asarray(pop_by_cell.index, dtype=object)]
        if len(epts):
            pts.append(_cells_of(shapely.get_x(epts), shapely.get_y(epts), res))
        if inputs.ir_points is not None and len(inputs.ir_points[0]):
            pts.append(_cells_of(inputs.ir_points[0], inputs.ir_points[1], res))
        # Administrative areas are covered whole at the coarse resolution only (their colour and counts
        # are read there); the fine cells are where something is: people, sources, risk, parks.
        cover = [park_geoms, admin_geoms] if res == settings.resolution else [park_geoms]
        cover_geoms = np.concatenate(cover)
        base = cover_cells(res, areas=cover_geoms if len(cover_geoms) else None,
                           disks=(mlon, mlat, settings.r_radius_m) if len(mlon) else None)
        cells = np.array(sorted(set(base).union(*[set(p) for p in pts])), dtype=object)
        polys = cell_polygons(cells)
        t[f"cells_r{res}"] = time.perf_counter() - ts
        ts = time.perf_counter()
        heat = r_heat(cells, mlon, mlat, major["r"].to_numpy(dtype=float) if len(major) else np.zeros(0),
                      settings.r_radius_m, settings.r_kernel)
        t[f"r_heat_r{res}"] = time.perf_counter() - ts
        ts = time.perf_counter()
        ir = cell_ir_max(cells, res, inputs.ir_at, inputs.ir_points)
        t[f"ir_r{res}"] = time.perf_counter() - ts
        ts = time.perf_counter()
        tree = shapely.STRtree(polys)
        colour, ir_col, raised = classify_cells(ir, holds(polys, red_geoms, tree), holds(polys, a_parks, tree), rules)
        pop = pop_by_cell.reindex(cells).fillna(0.0).to_numpy()
        frames.append(pd.DataFrame({
            "h3": cells, "resolution": res, "colour": colour, "colour_label": [colour_label(c) for c in colour],
            "ir_max": ir, "ir_colour": ir_col, "raised_by": raised, "r_heat": heat, "population": pop,
            "geometry": polys,
        }))
        if res == settings.resolution:  # areas at the coarse resolution (what a regulator reads)
            for kind, frame, geoms in (("park", inputs.parks, park_geoms),
                                       ("admin", inputs.admin_areas, admin_geoms)):
                areas.append(area_colours(frame.reset_index(drop=True), geoms, polys, colour, pop, kind, res, tree))
        t[f"classify_r{res}"] = time.perf_counter() - ts
    cells_all = pd.concat(frames, ignore_index=True)
    areas_all = pd.concat(areas, ignore_index=True)
    return ZoningResult(cells_all, areas_all, ents, units, settings.describe(), t)
