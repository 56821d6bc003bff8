"""Individual risk on a grid in metres: Σ over sources, events, weather classes and wind directions.

IR(x, y) = Σ_events f · Σ_w Σ_d p(w, d) · P(x, y | event, w, d)   [per year]

- The grid is in a projected CRS in metres (cells ``cell_m`` square); sources are points in the same
  CRS. Each event is evaluated only on the cells within its largest effect distance (a window of
  the grid), vectorised over those cells with NumPy: the Python loops run over events, weather
  classes and wind sectors, never over cells.
- The wind rose gives, for each weather class, the probability that the wind blows **from** each
  sector (the meteorological convention). Wind from the north (bearing 0°) carries a plume to the
  south. All wind within a sector is taken to blow from the sector's centre bearing.
- An event's lethality is a function of the downwind and crosswind distances (m) from its source
  (``dx`` along the direction the wind blows **to**, ``dy`` across it), and of the weather; an
  omnidirectional event (fireball, explosion, pool fire) depends only on the radius, so its
  sectors collapse into one evaluation.

:func:`individual_risk_reference` computes the same sum one cell at a time in plain Python: the
slow, obviously-correct implementation the tests and the benchmark compare against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo_risk.errors import InvalidInput

__all__ = [
    "Event", "Source", "WindRose", "Grid", "RiskField", "risk_field", "individual_risk",
    "individual_risk_reference", "societal_events", "MAX_GRID_CELLS", "ROSE_CONVENTION",
]

#: Largest grid accepted (cells): 40 million float64 cells is 320 MB for the IR array alone.
MAX_GRID_CELLS = 40_000_000
ROSE_CONVENTION = "wind rose: probability of the wind blowing FROM each sector (meteorological convention)"

Lethality = Callable[[np.ndarray, np.ndarray, Any], np.ndarray]


@dataclass(frozen=True)
class Event:
    """One outcome of one loss of containment: frequency per year, lethality, reach.

    ``lethality(dx, dy, weather)`` → array in [0, 1] (outdoor, unprotected, always present);
    ``max_distance_m(weather)`` → the distance beyond which lethality is zero (m);
    ``footprint_m(weather)`` (optional, directional events) → (down_min, down_max, cross_max) in m:
    a box in the wind frame outside which lethality is zero. With it, each sector evaluates the
    lethality only on the cells inside the box (a plume costs its own area, not its reach's
    circle); without it, on every cell within ``max_distance_m``.
    ``envelope_m(weather)`` (optional) → (radii m, bound): an upper bound of the lethality at any
    distance ≥ each radius (non-increasing), for limiting the IR grid to where risk can matter;
    without it the bound is 1 within ``max_distance_m``.
    """

    frequency: float
    lethality: Lethality
    max_distance_m: Callable[[Any], float]
    directional: bool = True
    name: str = ""
    footprint_m: Callable[[Any], tuple[float, float, float]] | None = None
    envelope_m: Callable[[Any], tuple[np.ndarray, np.ndarray]] | None = None


@dataclass(frozen=True)
class Source:
    """A place events start from: ``x``, ``y`` in the grid's projected CRS (m)."""

    x: float
    y: float
    events: Sequence[Event]
    name: str = ""


@dataclass(frozen=True)
class WindRose:
    """Weather classes and the probability of the wind blowing FROM each sector in each class.

    ``probabilities[w, d]``: weather ``weathers[w]``, sector ``d`` centred on bearing
    ``d · 360 / n_sectors`` degrees clockwise from north. Rows sum to the class frequency; the
    whole table sums to 1.
    """

    weathers: tuple[Any, ...]
    probabilities: np.ndarray
    label: str = ""

    def __post_init__(self) -> None:
        p = np.asarray(self.probabilities, dtype=float)
        if p.ndim != 2 or p.shape[0] != len(self.weathers) or p.shape[1] < 1:
            raise InvalidInput(
                f"wind rose: probabilities must be (weather classes × sectors) = ({len(self.weathers)} × n); "
                f"got shape {p.shape}"
            )
        if not np.all(np.isfinite(p)) or (p < 0).any():
            raise InvalidInput("wind rose: probabilities must be finite and ≥ 0")
        total = float(p.sum())
        if abs(total - 1.0) > 1e-6:
            raise InvalidInput(f"wind rose: probabilities sum to {total:.6g}, not 1 — check the table")
        object.__setattr__(self, "probabilities", p)

    @property
    def n_sectors(self) -> int:
        return int(self.probabilities.shape[1])

    @classmethod
    def uniform(cls, weathers: Sequence[Any], weights: Sequence[float] | None = None, n_sectors: int = 16) -> WindRose:
        """Every sector equally likely, weather classes in proportion to ``weights`` (default equal)."""
        w = np.ones(len(weathers)) if weights is None else np.asarray(weights, dtype=float)
        if len(w) != len(weathers) or (w < 0).any() or w.sum() <= 0:
            raise InvalidInput("wind rose: one non-negative weight per weather class, not all zero")
        p = np.outer(w / w.sum(), np.full(n_sectors, 1.0 / n_sectors))
        return cls(tuple(weathers), p, label=f"uniform {n_sectors}-sector rose (default; not measured)")

    def sector_bearings_deg(self) -> np.ndarray:
        """Centre bearing of each sector, degrees clockwise from north (where the wind comes FROM)."""
        return np.arange(self.n_sectors) * 360.0 / self.n_sectors


@dataclass(frozen=True)
class Grid:
    """A regular grid of square cells in a projected CRS: cell (row i, column j) has its centre at
    (x0 + j·cell_m, y0 + i·cell_m); rows run north (y increases with i)."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    crs: Any = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.cell_m > 0 and math.isfinite(self.cell_m)):
            raise InvalidInput(f"grid cell size must be a positive number of metres; got {self.cell_m}")
        if self.nx < 1 or self.ny < 1:
            raise InvalidInput("grid needs at least one cell in each direction")
        if self.nx * self.ny > MAX_GRID_CELLS:
            raise InvalidInput(
                f"grid of {self.nx} × {self.ny} = {self.nx * self.ny:,} cells is over the limit of "
                f"{MAX_GRID_CELLS:,} (memory): use larger cells or a smaller area"
            )

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell_m: float, crs: Any = None) -> Grid:
        """The grid of ``cell_m`` cells covering ``bounds`` (minx, miny, maxx, maxy in metres)."""
        minx, miny, maxx, maxy = bounds
        if not (cell_m > 0):
            raise InvalidInput(f"grid cell size must be a positive number of metres; got {cell_m}")
        nx = max(1, math.ceil((maxx - minx) / cell_m) + 1)
        ny = max(1, math.ceil((maxy - miny) / cell_m) + 1)
        if nx * ny > MAX_GRID_CELLS:
            raise InvalidInput(
                f"a {cell_m:g} m grid over {maxx - minx:,.0f} × {maxy - miny:,.0f} m needs {nx * ny:,} cells, over "
                f"the limit of {MAX_GRID_CELLS:,} (memory): use larger cells or a smaller area"
            )
        return cls(minx, miny, float(cell_m), nx, ny, crs)

    @property
    def xs(self) -> np.ndarray:
        return self.x0 + np.arange(self.nx) * self.cell_m

    @property
    def ys(self) -> np.ndarray:
        return self.y0 + np.arange(self.ny) * self.cell_m

    def window(self, x: float, y: float, radius: float) -> tuple[slice, slice]:
        """Row and column slices of the cells whose centres lie within ``radius`` (m) of (x, y) in each axis."""
        j0 = max(0, math.floor((x - radius - self.x0) / self.cell_m))
        j1 = min(self.nx, math.ceil((x + radius - self.x0) / self.cell_m) + 1)
        i0 = max(0, math.floor((y - radius - self.y0) / self.cell_m))
        i1 = min(self.ny, math.ceil((y + radius - self.y0) / self.cell_m) + 1)
        return slice(i0, max(i0, i1)), slice(j0, max(j0, j1))


def _downwind_axes(bearing_from_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (east, north components) of the direction the wind blows TO, per sector."""
    to = np.radians(bearing_from_deg + 180.0)
    return np.sin(to), np.cos(to)


#: Sectors evaluated together (a stack of ``chunk × window`` arrays; bounds memory per step).
_SECTOR_CHUNK_CELLS = 4_000_000


@dataclass
class RiskField:
    """The result of one evaluation: IR per cell and, when a population grid was given, one
    (frequency, expected deaths N) pair per event × weather × sector for the F-N curve."""

    ir: np.ndarray
    fn_frequency: np.ndarray
    fn_deaths: np.ndarray


def individual_risk(grid: Grid, sources: Sequence[Source], rose: WindRose) -> np.ndarray:
    """IR per year on every cell of ``grid`` (array ny × nx), vectorised over cells."""
    return risk_field(grid, sources, rose).ir


def _active(sources: Sequence[Source], rose: WindRose):  # noqa: ANN202 - a generator of tuples
    """Every (source, event, weather, p_sectors, reach) with a positive frequency, probability and reach."""
    for source in sources:
        for event in source.events:
            if not (event.frequency >= 0 and math.isfinite(event.frequency)):
                raise InvalidInput(f"event {event.name!r} of {source.name!r}: frequency {event.frequency} is not ≥ 0")
            if event.frequency == 0:
                continue
            for w, weather in enumerate(rose.weathers):
                p_sectors = rose.probabilities[w]
                if p_sectors.sum() == 0:
                    continue
                reach = float(event.max_distance_m(weather))
                if reach > 0:
                    yield source, event, weather, p_sectors, reach


def _on_cells(
    dx: np.ndarray, dy: np.ndarray, event: Event, weather: Any, p_sectors: np.ndarray,
    axes: tuple[np.ndarray, np.ndarray], people: np.ndarray | None,
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """One event in one weather class on flat arrays of places within its reach.

    ``dx``, ``dy``: east and north offsets (m) of the places from the source. Returns the IR
    contribution per place (per year) and, with ``people`` per place, the F-N pairs: frequencies
    (per year) and deaths, one per active sector (one in all for an omnidirectional event).
    """
    n = dx.size
    if not event.directional:
        lethal = np.asarray(event.lethality(np.hypot(dx, dy), np.zeros(n), weather), dtype=float)
        p_weather = float(p_sectors.sum())
        if people is None:
            return event.frequency * p_weather * lethal, [], []
        return (event.frequency * p_weather * lethal, [np.array([event.frequency * p_weather])],
                [np.array([float(people @ lethal)])])
    ux, uy = axes
    active = np.flatnonzero(p_sectors > 0)
    box = event.footprint_m(weather) if event.footprint_m is not None else None
    ir = np.zeros(n)
    fn_f: list[np.ndarray] = []
    fn_n: list[np.ndarray] = []
    chunk = max(1, _SECTOR_CHUNK_CELLS // max(1, n))
    for k in range(0, len(active), chunk):
        d = active[k : k + chunk]
        down = dx[None, :] * ux[d][:, None] + dy[None, :] * uy[d][:, None]
        cross = -dx[None, :] * uy[d][:, None] + dy[None, :] * ux[d][:, None]
        if box is None:
            sector, cell = np.divmod(np.arange(down.size), n)
            lethal = np.asarray(event.lethality(down, cross, weather), dtype=float).ravel()
        else:  # only the places inside the footprint box, as one flat batch over the sectors
            inside = (down >= box[0]) & (down <= box[1]) & (np.abs(cross) <= box[2])
            sector, cell = np.divmod(np.flatnonzero(inside), n)
            lethal = (np.asarray(event.lethality(down[inside], cross[inside], weather), dtype=float)
                      if sector.size else np.zeros(0))
        ir += np.bincount(cell, event.frequency * p_sectors[d][sector] * lethal, minlength=n)
        if people is not None:
            fn_f.append(event.frequency * p_sectors[d])
            fn_n.append(np.bincount(sector, lethal * people[cell], minlength=len(d)))
    return ir, fn_f, fn_n


def risk_field(
    grid: Grid, sources: Sequence[Source], rose: WindRose, population: np.ndarray | None = None
) -> RiskField:
    """IR on the grid and, with ``population`` (people per cell, ny × nx), the F-N events.

    Societal risk takes the same (outdoor, unprotected) lethality as IR for everyone: it overstates
    N where people are indoors (conservative). Raises InvalidInput for an event with a negative or
    non-finite frequency, or a population grid of the wrong shape.
    """
    if population is not None and population.shape != (grid.ny, grid.nx):
        raise InvalidInput(f"population grid is {population.shape}, the risk grid {(grid.ny, grid.nx)}")
    ir = np.zeros((grid.ny, grid.nx))
    fn_f: list[np.ndarray] = []
    fn_n: list[np.ndarray] = []
    axes = _downwind_axes(rose.sector_bearings_deg())
    for source, event, weather, p_sectors, reach in _active(sources, rose):
        rows, cols = grid.window(source.x, source.y, reach)
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        dx, dy = np.broadcast_arrays(grid.xs[cols][None, :] - source.x, grid.ys[rows][:, None] - source.y)
        reached = np.flatnonzero(np.hypot(dx, dy).ravel() <= reach)  # the window is square; the reach a circle
        people = None if population is None else population[rows, cols].ravel()[reached]
        got, f, n = _on_cells(dx.ravel()[reached], dy.ravel()[reached], event, weather, p_sectors, axes, people)
        window = ir[rows, cols]
        window.flat[reached] += got  # a view of ir: no copy back needed
        fn_f += f
        fn_n += n
    if fn_f:
        return RiskField(ir, np.concatenate(fn_f), np.concatenate(fn_n))
    return RiskField(ir, np.zeros(0), np.zeros(0))


def societal_events(
    x: np.ndarray, y: np.ndarray, people: np.ndarray, sources: Sequence[Source], rose: WindRose
) -> tuple[np.ndarray, np.ndarray]:
    """F-N events from people at places (``x``, ``y`` in m, the sources' CRS): (frequency, deaths).

    The same sum as :func:`risk_field`'s F-N part, on a list of populated places instead of a
    grid, so that the whole reach of every event (tens of km for a large toxic release) can be
    covered without a grid over all of it: cost grows with the places within reach, not the area.
    """
    x, y, people = (np.asarray(a, dtype=float).ravel() for a in (x, y, people))
    if not (x.shape == y.shape == people.shape):
        raise InvalidInput("societal risk: one x, y and people value per place")
    axes = _downwind_axes(rose.sector_bearings_deg())
    fn_f: list[np.ndarray] = []
    fn_n: list[np.ndarray] = []
    order: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for source, event, weather, p_sectors, reach in _active(sources, rose):
        if id(source) not in order:  # places sorted by distance from this source, once
            r = np.hypot(x - source.x, y - source.y)
            by = np.argsort(r, kind="stable")
            order[id(source)] = (by, r[by])
        by, r_sorted = order[id(source)]
        near = by[: np.searchsorted(r_sorted, reach, side="right")]
        _, f, n = _on_cells(x[near] - source.x, y[near] - source.y, event, weather, p_sectors, axes, people[near])
        fn_f += f
        fn_n += n
    if fn_f:
        return np.concatenate(fn_f), np.concatenate(fn_n)
    return np.zeros(0), np.zeros(0)


def individual_risk_reference(grid: Grid, sources: Sequence[Source], rose: WindRose) -> np.ndarray:
    """The same sum one cell, event, weather and sector at a time (slow; for tests and benchmarks)."""
    ir = np.zeros((grid.ny, grid.nx))
    bearings = rose.sector_bearings_deg()
    for i in range(grid.ny):
        y = grid.y0 + i * grid.cell_m
        for j in range(grid.nx):
            x = grid.x0 + j * grid.cell_m
            total = 0.0
            for source in sources:
                ex, ey = x - source.x, y - source.y
                for event in source.events:
                    for w, weather in enumerate(rose.weathers):
                        for d, bearing in enumerate(bearings):
                            p = rose.probabilities[w, d]
                            if p == 0:
                                continue
                            to = math.radians(bearing + 180.0)
                            down = ex * math.sin(to) + ey * math.cos(to)
                            cross = -ex * math.cos(to) + ey * math.sin(to)
                            if not event.directional:
                                down, cross = math.hypot(ex, ey), 0.0
                            if math.hypot(ex, ey) > event.max_distance_m(weather):
                                continue
                            lethal = float(event.lethality(np.array([down]), np.array([cross]), weather)[0])
                            total += event.frequency * p * lethal
            ir[i, j] = total
    return ir
