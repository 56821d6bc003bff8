"""Sample stored individual-risk (IR) grids at points and over footprints; sum them across plants.

Pure: arrays and shapely geometries in, arrays out (the grids are read from the store by
:mod:`geo_risk.store.ir_grids`). A grid is one QRA run's IR field (per year) on a regular lattice in
the run's projected CRS (metres), as :func:`geo_risk.risk.contours.write_cog` wrote it: rows from the
north, ``transform`` the affine map from (col, row) to the cell's top-left corner.

The field is read as **piecewise constant**: IR at a place is the value of the cell that contains
it (no interpolation). Then:

- at a point, IR is that cell's value (0 outside the grid: beyond its extent the engine bounded IR
  below a tenth of the lowest criterion; see ``geo_risk/risk/run.py``);
- over a footprint (polygon), the largest value of the cells the footprint touches — the whole
  footprint must satisfy the criterion (docs/standards/gb36894-2018.md §6: footprint, not centroid;
  conservative), and a footprint smaller than a cell still gets the cell it lies in.

Summing across plants (the regional view, "cumulative IR"): at a point it is the exact sum of the
plants' fields. Over a footprint :func:`cumulative` adds each plant's maximum over the footprint —
an upper bound of the maximum of the summed field (the plants' maxima may lie at different places
in a large footprint); outputs say so (:data:`CUMULATIVE_NOTE`). Park-scope runs (one QRA of a
whole park) are left out of sums over enterprise runs, or their plants would count twice.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["IrGrid", "CUMULATIVE_NOTE", "PER_ENTERPRISE_NOTE", "sample_points", "max_over_geometries",
           "sample_grids", "cumulative", "cumulative_points", "to_grid_crs", "cells_touched", "area_fraction_above",
           "summed_grids"]

PER_ENTERPRISE_NOTE = ("单个企业个人风险（监管判定） / individual risk of one enterprise (the regulatory test, "
                       "GB 36894 per installation)")
CUMULATIVE_NOTE = ("累积个人风险：各企业之和（区域视角，非法定判定；面状目标取各企业最大值之和，为上限） / "
                   "cumulative individual risk, summed over all enterprises (the regional view, not the legal test; "
                   "for a footprint the sum of each enterprise's maximum over it, an upper bound)")


@dataclass(frozen=True)
class IrGrid:
    """One stored IR grid (per year).

    ``array``: float IR per year, shape (rows, cols), rows from the north. ``transform``: an affine
    (``affine.Affine``-like: ``a, b, c, d, e, f``) from (col, row) to the top-left corner of the cell
    in ``crs`` (projected, metres). ``scope``: ``enterprise`` or ``park``; ``enterprise_ids``: the
    plants whose risk the grid holds.
    """

    run_id: int
    scope: str
    scope_id: str
    enterprise_ids: tuple[str, ...]
    criteria: str | None
    crs: str
    array: np.ndarray
    transform: Any
    inputs_version: int | None = None
    current: bool = True
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cell_m(self) -> float:
        """Cell size, metres (square cells)."""
        return float(abs(self.transform.a))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid in its CRS, metres."""
        t = self.transform
        rows, cols = self.array.shape
        x0, y0 = t.c, t.f
        x1, y1 = t.c + t.a * cols, t.f + t.e * rows
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


@functools.lru_cache(maxsize=64)
def _transformer(crs: str, from_crs: Any = 4326):  # noqa: ANN202 - built once per pair of CRSs
    import pyproj

    return pyproj.Transformer.from_crs(from_crs, crs, always_xy=True)


def to_grid_crs(grid: IrGrid, geoms: Any, from_crs: Any = 4326) -> np.ndarray:
    """Shapely geometries (array-like, in ``from_crs``, default EPSG:4326 lon/lat) in the grid's CRS."""
    import shapely

    tr = _transformer(grid.crs, from_crs)

    def fwd(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(np.asarray(geoms, dtype=object), fwd)


def _cell_of(grid: IrGrid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, inside) of the cells holding projected points (x, y)."""
    t = grid.transform
    col = np.floor((np.asarray(x, float) - t.c) / t.a).astype(np.int64)
    row = np.floor((np.asarray(y, float) - t.f) / t.e).astype(np.int64)
    rows, cols = grid.array.shape
    inside = (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    return row, col, inside


def sample_points(grid: IrGrid, x: Any, y: Any, *, projected: bool = False) -> np.ndarray:
    """IR (per year) of ``grid`` at points: the value of the cell holding each point, 0 outside.

    ``x, y``: lon/lat in EPSG:4326 (default) or, with ``projected=True``, metres in the grid's CRS.
    """
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.atleast_1d(np.asarray(y, dtype=float))
    if not projected:
        x, y = _transformer(grid.crs).transform(x, y)
        x, y = np.asarray(x, float), np.asarray(y, float)
    row, col, inside = _cell_of(grid, x, y)
    out = np.zeros(x.shape, dtype=float)
    out[inside] = grid.array[row[inside], col[inside]]
    return out


def cells_touched(grid: IrGrid, geoms: Any, *, projected: bool = False, positive_only: bool = True,
                  max_window_cells: int = 4_000_000):  # noqa: ANN201 - a generator of arrays
    """Batches of (geometry position, row, col, cell box) for every cell each geometry touches.

    ``positive_only``: only cells with IR > 0. Geometries (EPSG:4326 unless ``projected``) whose
    bounding box lies in one cell yield that cell without a test; the others are tested in one
    vectorised intersection per batch of at most ``max_window_cells`` candidate cells.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return
    g = geoms if projected else to_grid_crs(grid, geoms)
    xmin, ymin, xmax, ymax = grid.bounds
    b = shapely.bounds(g)
    valid = ~np.isnan(b).any(axis=1)
    near = valid & (b[:, 2] >= xmin) & (b[:, 0] <= xmax) & (b[:, 3] >= ymin) & (b[:, 1] <= ymax)
    idx = np.flatnonzero(near)
    if idx.size == 0:
        return
    t = grid.transform
    rows, cols = grid.array.shape
    c0 = np.clip(np.floor((b[idx, 0] - t.c) / t.a).astype(np.int64), 0, cols - 1)
    c1 = np.clip(np.floor((b[idx, 2] - t.c) / t.a).astype(np.int64), 0, cols - 1)
    r0 = np.clip(np.floor((b[idx, 3] - t.f) / t.e).astype(np.int64), 0, rows - 1)  # t.e < 0: north first
    r1 = np.clip(np.floor((b[idx, 1] - t.f) / t.e).astype(np.int64), 0, rows - 1)
    keep = grid.array > 0 if positive_only else np.ones(grid.array.shape, dtype=bool)

    def box(r_: np.ndarray, c_: np.ndarray) -> np.ndarray:
        x0 = t.c + c_ * t.a
        y0 = t.f + r_ * t.e
        return shapely.box(np.minimum(x0, x0 + t.a), np.minimum(y0, y0 + t.e),
                           np.maximum(x0, x0 + t.a), np.maximum(y0, y0 + t.e))

    single = (c0 == c1) & (r0 == r1)
    s = np.flatnonzero(single & keep[r0, c0])
    if s.size:
        yield idx[s], r0[s], c0[s], box(r0[s], c0[s])
    multi = np.flatnonzero(~single)
    sizes = (r1[multi] - r0[multi] + 1) * (c1[multi] - c0[multi] + 1)
    start = 0
    while start < multi.size:
        stop, total = start + 1, int(sizes[start])
        while stop < multi.size and total + int(sizes[stop]) <= max_window_cells:
            total += int(sizes[stop])
            stop += 1
        owner, rr, cc = [], [], []
        for k in multi[start:stop]:
            wr = np.arange(r0[k], r1[k] + 1)
            wc = np.arange(c0[k], c1[k] + 1)
            pr, pc = np.nonzero(keep[np.ix_(wr, wc)])
            if pr.size:
                owner.append(np.full(pr.size, k))
                rr.append(wr[pr])
                cc.append(wc[pc])
        start = stop
        if not owner:
            continue
        o, r_, c_ = np.concatenate(owner), np.concatenate(rr), np.concatenate(cc)
        boxes = box(r_, c_)
        hit = shapely.intersects(g[idx[o]], boxes)
        if hit.any():
            yield idx[o[hit]], r_[hit], c_[hit], boxes[hit]


def _projected(grid: IrGrid, geoms: Any, projected: bool) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    return geoms if projected else to_grid_crs(grid, geoms)


def max_over_geometries(grid: IrGrid, geoms: Any, *, projected: bool = False,
                        max_window_cells: int = 4_000_000) -> np.ndarray:
    """Largest IR (per year) of ``grid`` over each geometry: the maximum of the cells it touches.

    Points take the cell holding them; polygons and lines every cell their shape intersects (a
    footprint smaller than a cell: the cell it lies in). Geometries off the grid get 0.
    ``geoms``: shapely geometries in EPSG:4326 (default) or, with ``projected=True``, in the grid's
    CRS. Only cells with IR > 0 are tested (:func:`cells_touched`).
    """
    g = _projected(grid, geoms, projected)
    out = np.zeros(len(g), dtype=float)
    for owner, r_, c_, _ in cells_touched(grid, g, projected=True, max_window_cells=max_window_cells):
        np.maximum.at(out, owner, grid.array[r_, c_])
    return out


def area_fraction_above(grid: IrGrid, geoms: Any, threshold_per_year: Any, *, projected: bool = False
                        ) -> np.ndarray:
    """Share (0–1) of each polygon's area lying in cells whose IR exceeds its threshold (strictly >).

    ``threshold_per_year``: one value or one per geometry. Points and lines (no area) get 1 when
    the cell holding them (or a cell they touch) is above the threshold, else 0. Cells are
    disjoint, so the share is the exact sum of the polygon's intersections with them.
    """
    import shapely

    g = _projected(grid, geoms, projected)
    n = len(g)
    thr = np.broadcast_to(np.asarray(threshold_per_year, dtype=float), (n,))
    area = shapely.area(g) if n else np.zeros(0)
    inside = np.zeros(n, dtype=float)
    touched = np.zeros(n, dtype=bool)
    for owner, r_, c_, boxes in cells_touched(grid, g, projected=True):
        above = grid.array[r_, c_] > thr[owner]
        if not above.any():
            continue
        o = owner[above]
        touched[o] = True
        polys = area[o] > 0
        if polys.any():
            np.add.at(inside, o[polys], shapely.area(shapely.intersection(g[o[polys]], boxes[above][polys])))
    out = np.where(area > 0, np.divide(inside, area, out=np.zeros(n), where=area > 0), touched.astype(float))
    return np.clip(out, 0.0, 1.0)


def summed_grids(grids: Sequence[IrGrid], *, max_cells: int = 25_000_000) -> list[IrGrid]:
    """The enterprise-scope grids added up where they align: the cumulative IR field.

    Grids in the same CRS with the same cell size and cell edges on the same lattice (the engine
    puts every run's cells on multiples of the cell size) are added into one grid over their
    union, as long as that union stays within ``max_cells`` cells; others form further groups.
    The sum of the returned grids' values at a point is the cumulative IR there; over a
    footprint, a single covering group gives the exact maximum of the summed field. Park-scope
    grids are left out. Returned grids have scope ``sum`` and list every plant they hold.
    """
    groups: list[dict[str, Any]] = []
    for grid in sorted((g for g in grids if g.scope == "enterprise"), key=lambda g: (g.crs, g.cell_m, g.bounds)):
        t = grid.transform
        key = (grid.crs, round(t.a, 9), round(t.e, 9), round((t.c / t.a) % 1.0, 6), round((t.f / t.e) % 1.0, 6))
        xmin, ymin, xmax, ymax = grid.bounds
        for grp in groups:
            if grp["key"] != key:
                continue
            ux = (min(grp["b"][0], xmin), min(grp["b"][1], ymin), max(grp["b"][2], xmax), max(grp["b"][3], ymax))
            if ((ux[2] - ux[0]) / grid.cell_m) * ((ux[3] - ux[1]) / grid.cell_m) <= max_cells:
                grp["b"] = ux
                grp["members"].append(grid)
                break
        else:
            groups.append({"key": key, "b": (xmin, ymin, xmax, ymax), "members": [grid]})
    out = []
    for k, grp in enumerate(groups):
        first = grp["members"][0]
        if len(grp["members"]) == 1:
            out.append(IrGrid(run_id=first.run_id, scope="sum", scope_id=f"sum-{k}",
                              enterprise_ids=first.enterprise_ids, criteria=None, crs=first.crs,
                              array=first.array, transform=first.transform))
            continue
        t = first.transform
        cell = first.cell_m
        xmin, ymin, xmax, ymax = grp["b"]
        cols = int(round((xmax - xmin) / cell))
        rows = int(round((ymax - ymin) / cell))
        total = np.zeros((rows, cols), dtype=float)
        for grid in grp["members"]:
            gx0, _, _, gy1 = grid.bounds
            c0 = int(round((gx0 - xmin) / cell))
            r0 = int(round((ymax - gy1) / cell))
            h, w = grid.array.shape
            total[r0:r0 + h, c0:c0 + w] += grid.array
        transform = type(t)(t.a, 0.0, xmin, 0.0, t.e, ymax)
        ids = tuple(sorted({e for g in grp["members"] for e in g.enterprise_ids}))
        out.append(IrGrid(run_id=-1, scope="sum", scope_id=f"sum-{k}", enterprise_ids=ids, criteria=None,
                          crs=first.crs, array=total, transform=transform))
    return out


def sample_grids(grids: Sequence[IrGrid], geoms: Any, *, scope: str | None = "enterprise",
                 min_ir: float = 0.0) -> list[tuple[int, IrGrid, np.ndarray]]:
    """Per grid (of ``scope``; None: every grid): (position in ``grids``, grid, IR per geometry).

    IR per geometry as :func:`max_over_geometries` (points: the cell's value). Geometries in
    EPSG:4326. Grids whose values at every geometry are ≤ ``min_ir`` are left out.
    """
    out = []
    for k, grid in enumerate(grids):
        if scope is not None and grid.scope != scope:
            continue
        values = max_over_geometries(grid, geoms)
        if (values > min_ir).any():
            out.append((k, grid, values))
    return out


def cumulative(grids: Sequence[IrGrid], geoms: Any) -> np.ndarray:
    """Cumulative IR (per year) at each geometry: the sum over the enterprise-scope grids of each one's
    IR there (points: exact; footprints: sum of maxima, an upper bound — :data:`CUMULATIVE_NOTE`)."""
    geoms = np.asarray(geoms, dtype=object)
    total = np.zeros(len(geoms), dtype=float)
    for _, _, values in sample_grids(grids, geoms, scope="enterprise"):
        total += values
    return total


def cumulative_points(grids: Sequence[IrGrid], x: Any, y: Any) -> np.ndarray:
    """Cumulative IR (per year) at points (lon/lat, EPSG:4326): the exact sum of the enterprise-scope
    grids' values there (park-scope grids are left out: their plants have their own grids)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    total = np.zeros(x.shape, dtype=float)
    for grid in grids:
        if grid.scope == "enterprise":
            total += sample_points(grid, x, y)
    return total
