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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["IrGrid", "CUMULATIVE_NOTE", "PER_ENTERPRISE_NOTE", "sample_points", "max_over_geometries",
           "sample_grids", "cumulative", "cumulative_points", "to_grid_crs"]

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


def _transformer(crs: str, from_crs: Any = 4326):  # noqa: ANN202
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


def max_over_geometries(grid: IrGrid, geoms: Any, *, projected: bool = False,
                        max_window_cells: int = 4_000_000) -> np.ndarray:
    """Largest IR (per year) of ``grid`` over each geometry: the maximum of the cells it touches.

    Points take the cell holding them; polygons and lines every cell their shape intersects (a
    footprint smaller than a cell: the cell it lies in). Geometries off the grid get 0.
    ``geoms``: shapely geometries in EPSG:4326 (default) or, with ``projected=True``, in the grid's
    CRS. Only cells with IR > 0 are tested, in one vectorised intersection per batch of
    ``max_window_cells`` (geometry, cell) pairs.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=float)
    if len(geoms) == 0:
        return out
    g = geoms if projected else to_grid_crs(grid, geoms)
    xmin, ymin, xmax, ymax = grid.bounds
    b = shapely.bounds(g)  # (n, 4)
    valid = ~np.isnan(b).any(axis=1)
    near = valid & (b[:, 2] >= xmin) & (b[:, 0] <= xmax) & (b[:, 3] >= ymin) & (b[:, 1] <= ymax)
    idx = np.flatnonzero(near)
    if idx.size == 0:
        return out
    t = grid.transform
    rows, cols = grid.array.shape
    # cell windows of the bounding boxes (t.e < 0: the top edge has the smaller row)
    c0 = np.clip(np.floor((b[idx, 0] - t.c) / t.a).astype(np.int64), 0, cols - 1)
    c1 = np.clip(np.floor((b[idx, 2] - t.c) / t.a).astype(np.int64), 0, cols - 1)
    r0 = np.clip(np.floor((b[idx, 3] - t.f) / t.e).astype(np.int64), 0, rows - 1)
    r1 = np.clip(np.floor((b[idx, 1] - t.f) / t.e).astype(np.int64), 0, rows - 1)
    single = (c0 == c1) & (r0 == r1)
    out[idx[single]] = grid.array[r0[single], c0[single]]
    multi = np.flatnonzero(~single)
    if multi.size == 0:
        return out
    positive = grid.array > 0
    # expand each window into (geometry, row, col) pairs of positive cells, in batches
    sizes = (r1[multi] - r0[multi] + 1) * (c1[multi] - c0[multi] + 1)
    start = 0
    while start < multi.size:
        stop = start + 1
        total = int(sizes[start])
        while stop < multi.size and total + int(sizes[stop]) <= max_window_cells:
            total += int(sizes[stop])
            stop += 1
        sel = multi[start:stop]
        owner, rr, cc = [], [], []
        for k in sel:
            wr = np.arange(r0[k], r1[k] + 1)
            wc = np.arange(c0[k], c1[k] + 1)
            sub = positive[np.ix_(wr, wc)]
            if not sub.any():
                continue
            pr, pc = np.nonzero(sub)
            owner.append(np.full(pr.size, k))
            rr.append(wr[pr])
            cc.append(wc[pc])
        start = stop
        if not owner:
            continue
        o, r_, c_ = np.concatenate(owner), np.concatenate(rr), np.concatenate(cc)
        x0 = t.c + c_ * t.a
        y0 = t.f + r_ * t.e
        boxes = shapely.box(np.minimum(x0, x0 + t.a), np.minimum(y0, y0 + t.e),
                            np.maximum(x0, x0 + t.a), np.maximum(y0, y0 + t.e))
        hit = shapely.intersects(g[idx[o]], boxes)
        if hit.any():
            np.maximum.at(out, idx[o[hit]], grid.array[r_[hit], c_[hit]])
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
