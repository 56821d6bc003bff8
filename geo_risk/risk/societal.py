"""Societal risk: people on the risk grid, the F-N curve, its GB 36894 region, and its plot.

- Population: residential areas and protection targets with a population (people), apportioned to
  grid cells by the share of each polygon's area in each cell; a point target puts all its people
  in the cell holding it. Geometries must be in the grid's projected CRS (metres).
- F-N: each event × weather × sector i kills N_i people (Σ cells people · lethality) with frequency
  f_i; F(N) = Σ f_i over N_i ≥ N, per year. Points with N < 1 are not plotted (plots start at N = 1).
- The region (unacceptable / ALARP / acceptable) is judged against GB 36894 Figure 1 as encoded in
  :data:`geo_risk.standards.gb36894.SOCIETAL_RISK_CRITERION` (C1: advisory until checked).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.grid import Grid
from geo_risk.standards.gb36894 import FN_REGIONS, SOCIETAL_RISK_CRITERION, SocietalRiskCriterion, classify_fn

__all__ = ["pyplot_with_cjk_fonts", "population_points", "population_on_grid", "fn_curve", "fn_region", "plot_fn"]


def population_points(
    frames: Sequence[Any], cell_m: float, origin: tuple[float, float] = (0.0, 0.0),
    column: str | Sequence[str] = "population",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Populated places (x m, y m, people) from GeoDataFrames in a projected CRS (metres).

    Each polygon is split over the square cells (``cell_m``, centres on the lattice through
    ``origin``) it overlaps, by area (vectorised per polygon over the cells of its bounding box),
    its people placed at those cell centres; points and polygons smaller than a cell's hundredth
    put all their people at their point on surface. Rows with no population count as 0.
    ``column``: one column (people 1-D) or several (people n × columns, split alike; a row
    counts when any of them is positive).
    """
    import shapely

    if not (cell_m > 0 and math.isfinite(cell_m)):
        raise InvalidInput(f"population cell size must be a positive number of metres; got {cell_m!r}")
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ns: list[np.ndarray] = []
    half = cell_m / 2
    x0, y0 = origin
    for frame in frames:
        if frame is None or len(frame) == 0:
            continue
        columns = [column] if isinstance(column, str) else list(column)
        table = np.nan_to_num(np.asarray(frame[columns], dtype=float).reshape(len(frame), len(columns)), nan=0.0)
        if (table < 0).any():
            raise InvalidInput(f"population must be ≥ 0; {int((table < 0).any(axis=1).sum())} rows are negative")
        people = table[:, 0] if isinstance(column, str) else table
        positive = table.max(axis=1) > 0
        geoms = np.asarray(frame.geometry.values)
        areas = shapely.area(geoms)
        small = (areas < (cell_m**2) / 100) & positive
        if small.any():
            where = shapely.get_coordinates(shapely.point_on_surface(geoms[small]))
            xs.append(where[:, 0])
            ys.append(where[:, 1])
            ns.append(people[small])
        bounds = shapely.bounds(geoms)
        for k in np.flatnonzero(~small & positive):
            minx, miny, maxx, maxy = bounds[k]
            j0, j1 = math.floor((minx - x0 + half) / cell_m), math.floor((maxx - x0 + half) / cell_m)
            i0, i1 = math.floor((miny - y0 + half) / cell_m), math.floor((maxy - y0 + half) / cell_m)
            bx, by = np.meshgrid(x0 + np.arange(j0, j1 + 1) * cell_m, y0 + np.arange(i0, i1 + 1) * cell_m)
            cells = shapely.box(bx - half, by - half, bx + half, by + half)
            share = shapely.area(shapely.intersection(cells, geoms[k])) / areas[k]
            keep = share > 0
            xs.append(bx[keep])
            ys.append(by[keep])
            ns.append(np.multiply.outer(share[keep], people[k]) if people.ndim == 2 else people[k] * share[keep])
    if not xs:
        width = () if isinstance(column, str) else (len(column),)
        return np.zeros(0), np.zeros(0), np.zeros((0, *width))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ns)


def population_on_grid(grid: Grid, frames: Sequence[Any], column: str = "population") -> np.ndarray:
    """People per cell (ny × nx) from GeoDataFrames in the grid's CRS with a ``column`` of people.

    :func:`population_points` on the grid's own cells, summed per cell; people outside the grid
    are dropped.
    """
    x, y, people = population_points(frames, grid.cell_m, (grid.x0, grid.y0), column)
    pop = np.zeros((grid.ny, grid.nx))
    j = np.round((x - grid.x0) / grid.cell_m).astype(np.int64)
    i = np.round((y - grid.y0) / grid.cell_m).astype(np.int64)
    inside = (i >= 0) & (i < grid.ny) & (j >= 0) & (j < grid.nx)
    np.add.at(pop, (i[inside], j[inside]), people[inside])
    return pop


def fn_curve(frequency: np.ndarray, deaths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, F): the distinct death tolls N ≥ 1 in increasing order and F(N) = Σ f over N_i ≥ N."""
    frequency = np.asarray(frequency, dtype=float)
    deaths = np.asarray(deaths, dtype=float)
    if frequency.shape != deaths.shape:
        raise InvalidInput("F-N: one frequency per death toll")
    keep = (deaths >= 1) & (frequency > 0)
    if not keep.any():
        return np.zeros(0), np.zeros(0)
    n, f = deaths[keep], frequency[keep]
    order = np.argsort(-n, kind="stable")
    n, f = n[order], f[order]
    cumulative = np.cumsum(f)
    uniq, first = np.unique(n[::-1], return_index=True)  # ascending N; F at N = Σ f over N_i ≥ N
    last_of_each = len(n) - 1 - first  # index (in descending order) of the last event with that N
    return uniq, cumulative[last_of_each]


def fn_region(n: np.ndarray, f: np.ndarray, criterion: SocietalRiskCriterion = SOCIETAL_RISK_CRITERION) -> dict:
    """The curve's GB 36894 region with its bilingual label and the criterion's confidence."""
    region = classify_fn(n, f, criterion)
    zh, en = FN_REGIONS[region]
    return {"region": region, "label_zh": zh, "label_en": en, "criterion_confidence": criterion.confidence,
            "criterion_note": criterion.note}


def pyplot_with_cjk_fonts():  # noqa: ANN201 - matplotlib.pyplot
    """matplotlib.pyplot on the Agg backend with a CJK font first, for bilingual (中文 first) plots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei") if n in names]
    plt.rcParams["font.sans-serif"] = [*cjk, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def footnote(fig, note: str, fontsize: float = 6.5) -> float:  # noqa: ANN001 - a matplotlib Figure
    """Write ``note`` across the bottom of ``fig``, wrapped to the figure's width; return the share of the
    figure's height it takes (give it to ``tight_layout(rect=(0, share, 1, 1))`` so the axes stay clear)."""
    import textwrap

    width_pt = fig.get_figwidth() * 72.0
    # about 0.5 em per Latin character at this size; CJK characters are wider, so leave a margin
    chars = max(40, int(width_pt / (0.52 * fontsize)))
    lines = textwrap.wrap(note, chars) or [""]
    fig.text(0.01, 0.008, "\n".join(lines), fontsize=fontsize, va="bottom")
    line_in = fontsize * 1.3 / 72.0
    return min(0.45, (len(lines) * line_in + 0.12) / fig.get_figheight())


def plot_fn(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: Path,
    title: str,
    assumptions: str = "",
    criterion: SocietalRiskCriterion = SOCIETAL_RISK_CRITERION,
) -> Path:
    """Plot F-N curves (label → (N, F)) against the GB 36894 lines to PNG or SVG (by suffix)."""
    plt = pyplot_with_cjk_fonts()
    fig, ax = plt.subplots(figsize=(7.5, 6), dpi=120)
    n_line = np.logspace(0, np.log10(max(criterion.n_max, 10)), 100)
    ax.fill_between(n_line, criterion.boundary("upper", n_line), 1, color="#e60000", alpha=0.08)
    ax.fill_between(n_line, criterion.boundary("lower", n_line), criterion.boundary("upper", n_line),
                    color="#ffd700", alpha=0.12)
    ax.plot(n_line, criterion.boundary("upper", n_line), color="#e60000", lw=1.5,
            label="不可接受线 Unacceptable boundary")
    ax.plot(n_line, criterion.boundary("lower", n_line), color="#1e6fd9", lw=1.5,
            label="可接受线 Acceptable boundary")
    colours = ["#212121", "#7b1fa2", "#2e7d32", "#ef6c00", "#5d4037", "#00838f"]
    for k, (label, (n, f)) in enumerate(curves.items()):
        if len(n):
            # F(N) = f_k for n_{k-1} < N ≤ n_k (and f_0 from N = 1): a step drawn "pre"; zero beyond n_max
            colour = colours[k % len(colours)]
            ax.step(np.concatenate([[1.0], n]), np.concatenate([[f[0]], f]), where="pre", lw=2, color=colour,
                    label=label)
            ax.vlines(n[-1], 1e-12, f[-1], color=colour, lw=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Past the lines' end (GB 36894 draws them to n_max) the axis goes on to the largest N plotted.
    n_top = max((float(n[-1]) for n, _ in curves.values() if len(n)), default=1.0)
    ax.set_xlim(1, max(criterion.n_max, 10, 10 ** math.ceil(math.log10(max(n_top, 1.0)))))
    ax.set_ylim(1e-9, 1e-2)
    ax.set_xlabel("死亡人数 N / Number of fatalities N")
    ax.set_ylabel("累积频率 F (次/年) / Cumulative frequency F (per year)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    note = f"GB 36894 F-N lines: {criterion.confidence} (advisory). {assumptions}".strip()
    fig.tight_layout(rect=(0, footnote(fig, note), 1, 1))
    path = Path(path)
    fig.savefig(path, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
