"""Individual risk on a grid in metres, and the F-N events of societal risk: Σ over sources, events,
weather classes and wind directions.

IR(x, y) = Σ_events f · Σ_w Σ_d p(w, d) · (1/Δθ) ∫_sector d P(x, y | event, w, wind to φ) dφ   [per year]

- The grid is in a projected CRS in metres (cells ``cell_m`` square); sources are points in the same
  CRS.
- The wind rose gives, for each weather class, the probability that the wind blows **from** each
  sector (the meteorological convention). Wind from the north (bearing 0°) carries a plume to the
  south.
- **Sector smoothing** (default, :data:`SMOOTHED`; Purple Book §6.2.5: the wind direction is
  uniformly distributed within each sector): each sector's probability is spread evenly over its
  width. Each directional event's lethality is sampled once per weather class on a polar raster
  around its source (rings ``radial_step_m`` apart, closer near the source: a tenth of their
  radius, see :func:`_rings`; angular steps of a fraction of a degree; only inside its footprint
  box) — the footprint is reused for every sector and sub-bearing; the rose's angular density is
  then applied by a circular convolution along the angle (an exact angular integration up to the
  raster's step: a midpoint/trapezoid sum over ≥ 39 steps per sector), and the polar IR is
  interpolated (bilinear in r and θ) to the cells. F-N events are one per sub-bearing (an odd
  number per sector, ≤ ``sub_bearing_max_step_deg`` apart, each with an equal share of the
  sector's probability), their N from a circular correlation of the event's polar footprint with
  the people binned on the same raster.
  :data:`RAYS` is the old treatment (all wind of a sector along its centre bearing; evaluated
  exactly at the cells), kept for comparison and for hand cases.
- An event's lethality is a function of the downwind and crosswind distances (m) from its source
  (``dx`` along the direction the wind blows **to**, ``dy`` across it), and of the weather; an
  omnidirectional event (fireball, explosion, pool fire) depends only on the radius, so its
  sectors collapse into one evaluation (exact at the cells, smoothing or not).
- Societal risk (:mod:`geo_risk.risk.population`): people per place and *component* (period ×
  indoors/outdoors); N of an event in a period = Σ people · FE_in or FE_out (the event's
  ``effects``), its F-N frequency × the period's share. A 1-D people array is the old treatment:
  everyone outdoors, always present, with the IR lethality.

:func:`individual_risk_reference` computes the same IR one cell at a time in plain Python (the
sector mean by a fine midpoint rule over sub-bearings, or rays): the slow, obviously-correct
implementation the tests and the benchmark compare against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geo_risk.errors import InvalidInput

__all__ = [
    "Event", "Source", "WindRose", "Grid", "RiskField", "risk_field", "individual_risk",
    "individual_risk_reference", "societal_events", "MAX_GRID_CELLS", "ROSE_CONVENTION",
    "SectorSmoothing", "SMOOTHED", "RAYS",
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
    #: ``effects(dx, dy, weather, indoor_factors)`` → (P_E, FE_in, FE_out), the IR lethality and the
    #: societal-risk lethality indoors and outdoors; None: FE_in = FE_out = P_E (conservative).
    effects: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    kind: str = ""
    #: lethality(dx, dy) == lethality(dx, −dy): the smoothed engine then evaluates one side of the
    #: wind axis and mirrors it (half the work). Every Outcome is (tests/risk/test_lethality.py).
    symmetric: bool = False


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


@dataclass(frozen=True)
class SectorSmoothing:
    """How a wind sector's probability is spread over directions.

    ``mode``: ``"exact"`` (uniform over the sector's width, Purple Book §6.2.5; the default) or
    ``"rays"`` (all of it along the centre bearing: the old treatment, contours as spokes).
    ``sub_bearing_max_step_deg`` (largest angle between the F-N sub-bearings of a sector) and
    ``bins_per_sub_bearing`` (polar raster steps per sub-bearing step) default to
    ``population_constants.csv`` (UNCONFIRMED project choices); ``radial_step_m`` (ring spacing
    of the polar raster, m) defaults to half the grid cell (IR) or 12.5 m (places only).
    """

    mode: str = "exact"
    sub_bearing_max_step_deg: float | None = None
    bins_per_sub_bearing: int | None = None
    radial_step_m: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("exact", "rays"):
            raise InvalidInput(f"sector smoothing must be 'exact' or 'rays'; got {self.mode!r}")
        step = self.sub_bearing_max_step_deg
        if step is not None and not (isinstance(step, int | float) and 0 < step <= 360 and math.isfinite(step)):
            raise InvalidInput(f"sub-bearing step must be a number of degrees in (0, 360]; got {step!r}")
        bins = self.bins_per_sub_bearing
        if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or bins < 1):
            raise InvalidInput(f"bins per sub-bearing must be a whole number ≥ 1; got {bins!r}")
        dr = self.radial_step_m
        if dr is not None and not (isinstance(dr, int | float) and dr > 0 and math.isfinite(dr)):
            raise InvalidInput(f"radial step must be a positive number of metres; got {dr!r}")

    @property
    def smoothed(self) -> bool:
        return self.mode == "exact"

    def layout(self, n_sectors: int) -> _Layout:
        """The polar raster's angular layout for a rose of ``n_sectors`` sectors."""
        from geo_risk.risk.population import population_constant

        step = self.sub_bearing_max_step_deg or population_constant("sub_bearing_max_step_deg")
        width = 360.0 / n_sectors
        n_sub = math.ceil(width / step - 1e-9)
        n_sub += 1 - n_sub % 2  # odd: the centre bearing is one of them
        q = self.bins_per_sub_bearing or int(population_constant("angular_bins_per_sub_bearing"))
        if (n_sectors * n_sub * q) % 2:  # the opposite bearing (wind FROM → TO) must fall on a bin
            q += 1
        return _Layout(n_sectors, n_sub, q)

    def describe(self) -> str:
        if not self.smoothed:
            return "rays: all wind of a sector along its centre bearing (not smoothed)"
        return ("exact angular integration: each sector's probability uniform over its width (Purple Book "
                "§6.2.5); F-N per sub-bearing")


SMOOTHED = SectorSmoothing("exact")
RAYS = SectorSmoothing("rays")


@dataclass(frozen=True)
class _Layout:
    """Angular layout: ``n_sub`` sub-bearings per sector (odd), ``q`` raster bins per sub-bearing step."""

    n_sectors: int
    n_sub: int
    q: int

    @property
    def bins_per_sector(self) -> int:
        return self.n_sub * self.q

    @property
    def m(self) -> int:
        return self.n_sectors * self.bins_per_sector

    @property
    def dalpha(self) -> float:
        return 2 * math.pi / self.m

    def centre_bin(self, sector: int) -> int:
        """Bin of the bearing the wind of ``sector`` blows TO (the FROM bearing + 180°)."""
        return (sector * self.bins_per_sector + self.m // 2) % self.m

    def density(self, p_sectors: np.ndarray) -> np.ndarray:
        """Probability of the wind blowing TO each bin: each sector's uniform over its width
        (midpoint sum for an odd number of bins per sector; trapezoid, halves at the edges, for even)."""
        b = self.bins_per_sector
        rho = np.zeros(self.m)
        if b % 2:
            offsets, weights = np.arange(-(b // 2), b // 2 + 1), np.full(b, 1.0 / b)
        else:
            offsets = np.arange(-(b // 2), b // 2 + 1)
            weights = np.full(b + 1, 1.0 / b)
            weights[[0, -1]] = 0.5 / b
        for d in np.flatnonzero(p_sectors > 0):
            np.add.at(rho, (self.centre_bin(int(d)) + offsets) % self.m, p_sectors[d] * weights)
        return rho

    def sub_bearing_bins(self, sector: int) -> np.ndarray:
        """The sector's sub-bearings (TO), as bins: midpoints of n_sub equal parts of its width."""
        offsets = (np.arange(self.n_sub) - (self.n_sub - 1) // 2) * self.q
        return (self.centre_bin(sector) + offsets) % self.m


@dataclass
class RiskField:
    """The result of one evaluation: IR per cell and, when people were given, one (frequency,
    expected deaths N) pair per event × weather × direction (sector, or sub-bearing when smoothed)
    × period for the F-N curve."""

    ir: np.ndarray
    fn_frequency: np.ndarray
    fn_deaths: np.ndarray


def individual_risk(
    grid: Grid, sources: Sequence[Source], rose: WindRose, *, smoothing: SectorSmoothing = SMOOTHED
) -> np.ndarray:
    """IR per year on every cell of ``grid`` (array ny × nx), vectorised over cells."""
    return risk_field(grid, sources, rose, smoothing=smoothing).ir


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
                    yield source, event, weather, w, p_sectors, reach


@dataclass(frozen=True)
class _People:
    """People per place and component, what each component's lethality is, and the periods.

    ``values``: (n × C); ``effects``: per component ``"pe"`` (IR lethality), ``"in"`` or ``"out"``;
    ``period``: per component its period index; ``period_p``: each period's share of the year;
    ``factors``: indoor factors handed to ``Event.effects``.
    """

    values: np.ndarray
    effects: tuple[str, ...]
    period: tuple[int, ...]
    period_p: tuple[float, ...]
    factors: Mapping[str, float] | None = None

    def take(self, idx: np.ndarray) -> np.ndarray:
        return self.values[idx]


def _people(people: np.ndarray, population_model: Any) -> _People:
    values = np.asarray(people, dtype=float)
    if values.ndim == 1:
        return _People(values[:, None], ("pe",), (0,), (1.0,))
    from geo_risk.risk.population import PopulationModel

    model = population_model or PopulationModel()
    comps = model.components()
    if values.ndim != 2 or values.shape[1] != len(comps):
        raise InvalidInput(f"people per place: one column per component {comps}; got shape {values.shape}")
    return _People(values, tuple(e for _, e in comps), tuple(p for p, _ in comps),
                   tuple(p for _, p in model.periods()),
                   {"toxic": model.toxic_indoor(), "flash_fire": model.flash_fire_indoor()})


def _values(event: Event, down: np.ndarray, cross: np.ndarray, weather: Any, want: tuple[str, ...],
            factors: Mapping[str, float] | None) -> dict[str, np.ndarray]:
    """The lethalities ``want`` (subset of pe/in/out) of ``event`` at (down, cross)."""
    if set(want) <= {"pe"} or event.effects is None:
        pe = np.asarray(event.lethality(down, cross, weather), dtype=float)
        return {"pe": pe, "in": pe, "out": pe}
    pe, fe_in, fe_out = event.effects(down, cross, weather, factors)
    return {"pe": np.asarray(pe, dtype=float), "in": np.asarray(fe_in, dtype=float),
            "out": np.asarray(fe_out, dtype=float)}


def _deaths(values: dict[str, np.ndarray], people: np.ndarray, pp: _People) -> np.ndarray:
    """Deaths per period: Σ over components of people · that component's lethality (people n × C)."""
    out = np.zeros(len(pp.period_p))
    for c, (eff, per) in enumerate(zip(pp.effects, pp.period, strict=True)):
        out[per] += float(people[:, c] @ values[eff])
    return out


def _on_cells(
    dx: np.ndarray, dy: np.ndarray, event: Event, weather: Any, p_sectors: np.ndarray,
    axes: tuple[np.ndarray, np.ndarray], people: np.ndarray | None, pp: _People | None = None,
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """One event in one weather class on flat arrays of places within its reach, along the sector
    centre bearings (rays; omnidirectional events are the same either way).

    ``dx``, ``dy``: east and north offsets (m) of the places from the source. Returns the IR
    contribution per place (per year) and, with ``people`` per place (n × components of ``pp``),
    the F-N pairs: frequencies (per year) and deaths, one per active sector and period.
    """
    n = dx.size
    want = ("pe",) if pp is None else tuple(sorted(set(pp.effects) | {"pe"}))
    if not event.directional:
        vals = _values(event, np.hypot(dx, dy), np.zeros(n), weather, want, None if pp is None else pp.factors)
        p_weather = float(p_sectors.sum())
        ir = event.frequency * p_weather * vals["pe"]
        if people is None or pp is None:
            return ir, [], []
        deaths = _deaths(vals, people, pp)
        return ir, [event.frequency * p_weather * np.asarray(pp.period_p)], [deaths]
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
            vals = _values(event, down.ravel(), cross.ravel(), weather, want, None if pp is None else pp.factors)
        else:  # only the places inside the footprint box, as one flat batch over the sectors
            inside = (down >= box[0]) & (down <= box[1]) & (np.abs(cross) <= box[2])
            sector, cell = np.divmod(np.flatnonzero(inside), n)
            if sector.size:
                vals = _values(event, down[inside], cross[inside], weather, want, None if pp is None else pp.factors)
            else:
                vals = {e: np.zeros(0) for e in ("pe", "in", "out")}
        ir += np.bincount(cell, event.frequency * p_sectors[d][sector] * vals["pe"], minlength=n)
        if people is not None and pp is not None:
            for per, share in enumerate(pp.period_p):
                deaths = np.zeros(len(d))
                for c, (eff, cp) in enumerate(zip(pp.effects, pp.period, strict=True)):
                    if cp == per:
                        deaths += np.bincount(sector, vals[eff] * people[cell, c], minlength=len(d))
                fn_f.append(event.frequency * p_sectors[d] * share)
                fn_n.append(deaths)
    return ir, fn_f, fn_n


# -- the smoothed engine: polar footprints, reused over sectors ------------------------------------

#: Relative size of the FFT's round-off: smaller values of a convolution or correlation are zero.
_ROUND_OFF = 1e-12

#: Polar footprints kept between calls (bytes): outcomes repeat across the scopes of a run (an
#: enterprise and its park) and across identical vessels.
_CACHE_BYTES = 200_000_000
_cache: dict[Any, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
_cache_size = [0]


def _outcome_key(event: Event) -> Any:
    owner = getattr(event.lethality, "__self__", None)
    if owner is None:
        return None
    try:
        hash(owner)
    except TypeError:
        return None
    return owner


#: Near the source the rings are closer than ``dr``: ``r·_NEAR_RING_RATIO`` apart (at least
#: ``dr·_NEAR_RING_MIN``), so that a feature of the field whose size scales with its distance
#: (the end of a small dense plume's top-hat cloud at its transition, tens of metres out, where the
#: lethal width drops from L_H to the Gaussian's in a few metres) is resolved, not bridged by one
#: linear interpolation across a ring step of half a cell. Numerical choices, measured against
#: :func:`individual_risk_reference` (benchmarks/risk.py; tests/risk/test_reference_agreement.py).
_NEAR_RING_RATIO = 0.1
_NEAR_RING_MIN = 0.25
_RINGS: dict[tuple[float, float, float, float], np.ndarray] = {}


def _rings(dr: float, dalpha: float, r_max: float) -> np.ndarray:
    """Ring radii (m) of the polar raster out to beyond ``r_max``: from ½·dr, spaced
    max(dr·:data:`_NEAR_RING_MIN`, r·:data:`_NEAR_RING_RATIO`) while that is below dr (near the
    source, where the field changes on the scale of r), then dr while dr is at least a bin's arc
    (r·dα), then growing geometrically (r·(1 + dα): cells about as long as wide). Every list is a
    prefix of a longer one (the same rings for every event of a source)."""
    key = (dr, dalpha, _NEAR_RING_RATIO, _NEAR_RING_MIN)
    rings = _RINGS.get(key)
    if rings is None or rings[-2] < r_max:
        out = [0.5 * dr]
        reach = max(r_max, 2.0 * (float(rings[-1]) if rings is not None else dr))
        while out[-1] <= reach or len(out) < 3:
            r = out[-1]
            out.append(r + max(min(dr, max(dr * _NEAR_RING_MIN, r * _NEAR_RING_RATIO)), r * dalpha))
        rings = _RINGS[key] = np.asarray(out)
    n = int(np.searchsorted(rings, r_max, side="left")) + 2
    return rings[:n]


def _polar_samples(event: Event, weather: Any, reach: float, rings: np.ndarray, dr: float, lay: _Layout,
                   want: tuple[str, ...], factors: Mapping[str, float] | None
                   ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The event's lethalities ``want`` on the polar raster (``rings`` up to one beyond its reach,
    bins of ``lay``) inside its footprint box: (flat indices k·M + m into the K × M raster, values
    per effect).

    Bin m is the direction ``m·dα`` clockwise from the downwind axis (the wind's TO bearing)."""
    n_rings = min(int(np.searchsorted(rings, reach, side="right")) + 1, rings.size)
    owner = _outcome_key(event)
    fkey = tuple(sorted(factors.items())) if factors else None
    key = None if owner is None else (owner, weather, dr, lay.m, want, fkey, n_rings)
    if key is not None and key in _cache:
        return _cache[key]
    m_bins = lay.m
    r = rings[:n_rings]
    step = np.maximum(dr, r * lay.dalpha)
    box = event.footprint_m(weather) if event.footprint_m is not None else None
    if box is None:
        down_min, down_max, cross_max = -reach, reach, reach
    else:
        down_min, down_max, cross_max = (float(v) for v in box)
    # half-width (bins) of the angular window of each ring: the footprint box seen from the source
    with np.errstate(invalid="ignore", divide="ignore"):
        half = np.where((down_min < 0) | (r <= cross_max), math.pi,
                        np.arcsin(np.clip(cross_max / r, 0.0, 1.0)))
    h = np.minimum(np.floor(half / lay.dalpha).astype(np.int64) + 1, m_bins // 2)
    h[(r < down_min - step) | (r > math.hypot(max(abs(down_min), abs(down_max)), cross_max) + step)] = -1
    # a symmetric event: bins 0..h on one side, the other side mirrored below
    counts = np.where(h < 0, 0, h + 1 if event.symmetric else np.minimum(2 * h + 1, m_bins))
    total = int(counts.sum())
    if total == 0:
        out: tuple[np.ndarray, dict[str, np.ndarray]] = (np.zeros(0, dtype=np.int64), {e: np.zeros(0) for e in want})
    else:
        ring = np.repeat(np.arange(n_rings, dtype=np.int32), counts)
        first = np.cumsum(counts) - counts
        if not event.symmetric:
            first = first + np.where(counts == m_bins, m_bins // 2, h)
        m = np.arange(total, dtype=np.int32) - np.repeat(first.astype(np.int32), counts)
        m %= m_bins
        cos_t, sin_t = _trig(lay)
        rr = r[ring]
        down, cross = rr * cos_t[m], rr * sin_t[m]
        inside = (down >= down_min) & (down <= down_max) & (np.abs(cross) <= cross_max) & (rr <= reach)
        flat = ring[inside].astype(np.int64) * m_bins + m[inside]
        vals = _values(event, down[inside], cross[inside], weather, want, factors)
        keep = np.zeros(flat.size, dtype=bool)
        for e in want:
            keep |= vals[e] > 0
        flat = flat[keep]
        vals = {e: vals[e][keep] for e in want}
        if event.symmetric:
            mk = flat % m_bins
            mirror = (mk > 0) & (mk < m_bins // 2)
            flat = np.concatenate([flat, flat[mirror] - mk[mirror] + (m_bins - mk[mirror])])
            vals = {e: np.concatenate([v, v[mirror]]) for e, v in vals.items()}
        out = (flat, {e: np.ascontiguousarray(v) for e, v in vals.items()})
    if key is not None:
        size = out[0].nbytes + sum(v.nbytes for v in out[1].values())
        if _cache_size[0] + size > _CACHE_BYTES:
            _cache.clear()
            _cache_size[0] = 0
        _cache[key] = out
        _cache_size[0] += size
    return out


_TRIG: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _trig(lay: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """cos(m·dα) and −sin(m·dα) of every bin: (downwind, crosswind) of a unit radius in bin m."""
    if lay.m not in _TRIG:
        rel = np.arange(lay.m) * lay.dalpha
        _TRIG[lay.m] = (np.cos(rel), -np.sin(rel))
    return _TRIG[lay.m]


def _bilinear(r: np.ndarray, theta: np.ndarray, rings: np.ndarray, lay: _Layout
              ) -> tuple[np.ndarray, np.ndarray]:
    """Raster indices (4 per place, flat k·M + m) and weights of places at radius ``r`` (m) and
    bearing ``theta`` (rad, clockwise from north) on ``rings`` (linear in r) and bins m·dα."""
    n_rings = rings.size
    kf = np.interp(r, rings, np.arange(n_rings, dtype=float))
    k0 = np.minimum(np.floor(kf).astype(np.int64), n_rings - 1)
    k1 = np.minimum(k0 + 1, n_rings - 1)
    wk = kf - k0
    mf = np.mod(theta, 2 * math.pi) / lay.dalpha
    m0 = np.floor(mf).astype(np.int64) % lay.m
    m1 = (m0 + 1) % lay.m
    wm = mf - np.floor(mf)
    idx = np.stack([k0 * lay.m + m0, k0 * lay.m + m1, k1 * lay.m + m0, k1 * lay.m + m1])
    wts = np.stack([(1 - wk) * (1 - wm), (1 - wk) * wm, wk * (1 - wm), wk * wm])
    return idx, wts


def _smoothed(
    sources: Sequence[Source], rose: WindRose, smoothing: SectorSmoothing, dr: float,
    grid: Grid | None, ir: np.ndarray | None,
    places: tuple[np.ndarray, np.ndarray, _People] | None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Sector-smoothed IR (added into ``ir`` on ``grid``) and F-N events of ``places``."""
    lay = smoothing.layout(rose.n_sectors)
    m_bins = lay.m
    rho_hat = [np.fft.rfft(lay.density(rose.probabilities[w])) for w in range(len(rose.weathers))]
    axes = _downwind_axes(rose.sector_bearings_deg())
    fn_f: list[np.ndarray] = []
    fn_n: list[np.ndarray] = []
    by_source: dict[int, list[tuple[Event, Any, int, np.ndarray, float]]] = {}
    for source, event, weather, w, p_sectors, reach in _active(sources, rose):
        by_source.setdefault(id(source), []).append((event, weather, w, p_sectors, reach))
    for source in sources:
        items = by_source.get(id(source), [])
        if not items:
            continue
        # omnidirectional events: exact at the cells and places, as without smoothing
        for event, weather, _w, p_sectors, reach in items:
            if event.directional:
                continue
            if grid is not None and ir is not None:
                _add_cells(grid, ir, source, event, weather, p_sectors, reach, axes)
            if places is not None:
                px, py, pp = places
                near = np.flatnonzero(np.hypot(px - source.x, py - source.y) <= reach)
                _, f, n = _on_cells(px[near] - source.x, py[near] - source.y, event, weather, p_sectors, axes,
                                    pp.take(near), pp)
                fn_f += f
                fn_n += n
        directional = [it for it in items if it[0].directional]
        if not directional:
            continue
        reach_max = max(it[4] for it in directional)
        # rings only out to where they are read: the IR grid's far corner, the farthest person in reach
        needed = 0.0
        if grid is not None:
            rows, cols = grid.window(source.x, source.y, reach_max)
            if rows.start < rows.stop and cols.start < cols.stop:
                far_x = max(abs(grid.xs[cols.start] - source.x), abs(grid.xs[cols.stop - 1] - source.x))
                far_y = max(abs(grid.ys[rows.start] - source.y), abs(grid.ys[rows.stop - 1] - source.y))
                needed = math.hypot(far_x, far_y)
        near = np.zeros(0, dtype=np.int64)
        if places is not None:
            px, py, pp = places
            rad_all = np.hypot(px - source.x, py - source.y)
            near = np.flatnonzero(rad_all <= reach_max)
            if near.size:
                needed = max(needed, float(rad_all[near].max()))
        rings = _rings(dr, lay.dalpha, min(reach_max, needed) + dr)
        n_rings = rings.size
        want: tuple[str, ...] = ("pe",)
        people_hat = None
        if places is not None:
            px, py, pp = places
            want = tuple(sorted(set(pp.effects) | {"pe"}))
            if near.size:
                ex, ey = px[near] - source.x, py[near] - source.y
                idx, wts = _bilinear(rad_all[near], np.arctan2(ex, ey), rings, lay)
                vals = pp.take(near)
                raster = np.zeros((vals.shape[1], n_rings * m_bins))
                for c in range(vals.shape[1]):
                    raster[c] = np.bincount(idx.ravel(), (wts * vals[:, c][None, :]).ravel(),
                                            minlength=n_rings * m_bins)
                raster = raster.reshape(vals.shape[1], n_rings, m_bins)
                rings_with_people = np.flatnonzero(raster.sum(axis=(0, 2)) > 0)
                people_floor = _ROUND_OFF * float(vals.sum())
                people_hat = (rings_with_people, np.fft.rfft(raster[:, rings_with_people, :], axis=-1))
        acc = np.zeros((len(rose.weathers), n_rings * m_bins)) if grid is not None else None
        for event, weather, w, p_sectors, reach in directional:
            flat, vals = _polar_samples(event, weather, reach, rings, dr, lay, want,
                                        None if places is None else places[2].factors)
            if flat.size == 0:
                continue
            if acc is not None:
                acc[w] += np.bincount(flat, event.frequency * vals["pe"], minlength=n_rings * m_bins)
            if people_hat is not None and places is not None:
                pp = places[2]
                populated, p_hat = people_hat
                k_e = int(flat.max() // m_bins) + 1
                sel = populated[populated < k_e]
                if sel.size == 0:
                    continue
                deaths = np.zeros((len(pp.period_p), m_bins))
                spectra: dict[str, np.ndarray] = {}
                for c, (eff, per) in enumerate(zip(pp.effects, pp.period, strict=True)):
                    if eff not in spectra:
                        dense = np.bincount(flat, vals[eff], minlength=k_e * m_bins).reshape(k_e, m_bins)
                        spectra[eff] = np.conj(np.fft.rfft(dense[sel], axis=-1))
                    corr = np.einsum("km,km->m", p_hat[c, : sel.size], spectra[eff])
                    deaths[per] += np.fft.irfft(corr, n=m_bins)
                deaths[deaths < people_floor] = 0.0  # round-off of the FFT
                for d in np.flatnonzero(p_sectors > 0):
                    bins = lay.sub_bearing_bins(int(d))
                    for per, share in enumerate(pp.period_p):
                        fn_f.append(np.full(lay.n_sub, event.frequency * p_sectors[d] * share / lay.n_sub))
                        fn_n.append(deaths[per, bins])
        if acc is not None and grid is not None and ir is not None:
            polar = np.zeros((n_rings, m_bins))
            for w in range(len(rose.weathers)):
                if acc[w].any():
                    spectrum = np.fft.rfft(acc[w].reshape(n_rings, m_bins), axis=-1) * rho_hat[w][None, :]
                    polar += np.fft.irfft(spectrum, n=m_bins, axis=-1)
            polar[polar < _ROUND_OFF * float(polar.max(initial=0.0))] = 0.0  # round-off of the FFT
            rows, cols = grid.window(source.x, source.y, reach_max)
            if rows.start < rows.stop and cols.start < cols.stop:
                dx, dy = np.broadcast_arrays(grid.xs[cols][None, :] - source.x, grid.ys[rows][:, None] - source.y)
                rad = np.hypot(dx, dy).ravel()
                reached = np.flatnonzero(rad <= reach_max)
                idx, wts = _bilinear(rad[reached], np.arctan2(dx.ravel()[reached], dy.ravel()[reached]), rings, lay)
                # r·IR is interpolated, not IR: a plume narrower than a sector gives IR ∝ 1/r, which
                # linear interpolation between rings near the source would overstate by a few %
                flat_polar = (polar * rings[:, None]).ravel()
                window = ir[rows, cols]
                window.flat[reached] += (flat_polar[idx] * wts).sum(axis=0) / np.maximum(rad[reached], dr / 2)
    return fn_f, fn_n


def _add_cells(grid: Grid, ir: np.ndarray, source: Source, event: Event, weather: Any, p_sectors: np.ndarray,
               reach: float, axes: tuple[np.ndarray, np.ndarray]) -> None:
    """IR of one event and weather class added exactly at the cells (rays for a directional event)."""
    rows, cols = grid.window(source.x, source.y, reach)
    if rows.start >= rows.stop or cols.start >= cols.stop:
        return
    dx, dy = np.broadcast_arrays(grid.xs[cols][None, :] - source.x, grid.ys[rows][:, None] - source.y)
    reached = np.flatnonzero(np.hypot(dx, dy).ravel() <= reach)  # the window is square; the reach a circle
    got, _, _ = _on_cells(dx.ravel()[reached], dy.ravel()[reached], event, weather, p_sectors, axes, None)
    window = ir[rows, cols]
    window.flat[reached] += got  # a view of ir: no copy back needed


def risk_field(
    grid: Grid, sources: Sequence[Source], rose: WindRose, population: np.ndarray | None = None, *,
    smoothing: SectorSmoothing = SMOOTHED,
    places: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    population_model: Any = None,
) -> RiskField:
    """IR on the grid and, with people, the F-N events.

    ``population``: people per cell (ny × nx; everyone outdoors, always present: the IR lethality),
    or ``places`` = (x m, y m, people) with people 1-D (the same treatment) or n × 4 (day indoors,
    day outdoors, night indoors, night outdoors: :func:`geo_risk.risk.population.people_by_component`,
    treated by ``population_model``). ``smoothing``: :data:`SMOOTHED` (default) or :data:`RAYS`.
    Raises InvalidInput for an event with a negative or non-finite frequency, or people of the
    wrong shape.
    """
    if population is not None:
        if population.shape != (grid.ny, grid.nx):
            raise InvalidInput(f"population grid is {population.shape}, the risk grid {(grid.ny, grid.nx)}")
        if places is not None:
            raise InvalidInput("give people per cell or per place, not both")
        i, j = np.nonzero(population > 0)
        places = (grid.xs[j], grid.ys[i], population[i, j])
    ir = np.zeros((grid.ny, grid.nx))
    if smoothing.smoothed:
        dr = smoothing.radial_step_m or grid.cell_m / 2
        pl = None if places is None else _places(places, population_model)
        fn_f, fn_n = _smoothed(sources, rose, smoothing, dr, grid, ir, pl)
    else:
        axes = _downwind_axes(rose.sector_bearings_deg())
        for source, event, weather, _w, p_sectors, reach in _active(sources, rose):
            _add_cells(grid, ir, source, event, weather, p_sectors, reach, axes)
        fn_f, fn_n = [], []
        if places is not None:
            fn_f, fn_n = _rays_societal(places, sources, rose, population_model)
    if fn_f:
        return RiskField(ir, np.concatenate(fn_f), np.concatenate(fn_n))
    return RiskField(ir, np.zeros(0), np.zeros(0))


def _places(places: tuple[np.ndarray, np.ndarray, np.ndarray], population_model: Any
            ) -> tuple[np.ndarray, np.ndarray, _People]:
    x, y, people = places
    x, y = (np.asarray(a, dtype=float).ravel() for a in (x, y))
    pp = _people(people, population_model)
    if not (x.shape[0] == y.shape[0] == pp.values.shape[0]):
        raise InvalidInput("societal risk: one x, y and people value per place")
    return x, y, pp


def _rays_societal(places: tuple[np.ndarray, np.ndarray, np.ndarray], sources: Sequence[Source], rose: WindRose,
                   population_model: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    x, y, pp = _places(places, population_model)
    axes = _downwind_axes(rose.sector_bearings_deg())
    fn_f: list[np.ndarray] = []
    fn_n: list[np.ndarray] = []
    order: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for source, event, weather, _w, p_sectors, reach in _active(sources, rose):
        if id(source) not in order:  # places sorted by distance from this source, once
            r = np.hypot(x - source.x, y - source.y)
            by = np.argsort(r, kind="stable")
            order[id(source)] = (by, r[by])
        by, r_sorted = order[id(source)]
        near = by[: np.searchsorted(r_sorted, reach, side="right")]
        _, f, n = _on_cells(x[near] - source.x, y[near] - source.y, event, weather, p_sectors, axes,
                            pp.take(near), pp)
        fn_f += f
        fn_n += n
    return fn_f, fn_n


def societal_events(
    x: np.ndarray, y: np.ndarray, people: np.ndarray, sources: Sequence[Source], rose: WindRose, *,
    smoothing: SectorSmoothing = SMOOTHED, population_model: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """F-N events from people at places (``x``, ``y`` in m, the sources' CRS): (frequency, deaths).

    ``people``: 1-D (everyone outdoors, always present) or n × 4 components (see
    :func:`risk_field`). The same sum as :func:`risk_field`'s F-N part, on a list of populated
    places instead of a grid, so that the whole reach of every event (tens of km for a large toxic
    release) can be covered without a grid over all of it: cost grows with the places within reach
    (and the polar raster's rings), not the area.
    """
    x, y = (np.asarray(a, dtype=float).ravel() for a in (x, y))
    people = np.asarray(people, dtype=float)
    if people.ndim == 1:
        people = people.ravel()
    if not (x.shape[0] == y.shape[0] == people.shape[0]):
        raise InvalidInput("societal risk: one x, y and people value per place")
    if smoothing.smoothed:
        dr = smoothing.radial_step_m or 12.5
        fn_f, fn_n = _smoothed(sources, rose, smoothing, dr, None, None, _places((x, y, people), population_model))
    else:
        fn_f, fn_n = _rays_societal((x, y, people), sources, rose, population_model)
    if fn_f:
        return np.concatenate(fn_f), np.concatenate(fn_n)
    return np.zeros(0), np.zeros(0)


def individual_risk_reference(
    grid: Grid, sources: Sequence[Source], rose: WindRose, *, smoothing: SectorSmoothing = SMOOTHED,
    sub_bearings: int = 45,
) -> np.ndarray:
    """The same IR one cell, event, weather and sector at a time (slow; for tests and benchmarks).

    Smoothed: each sector's lethality is the mean over ``sub_bearings`` bearings at the midpoints of
    equal parts of its width (a midpoint rule for (1/Δθ)∫P dθ), evaluated exactly at the cell.
    """
    ir = np.zeros((grid.ny, grid.nx))
    bearings = rose.sector_bearings_deg()
    width = 360.0 / rose.n_sectors
    offsets = (np.arange(sub_bearings) + 0.5) * width / sub_bearings - width / 2 if smoothing.smoothed else np.zeros(1)
    for i in range(grid.ny):
        y = grid.y0 + i * grid.cell_m
        for j in range(grid.nx):
            x = grid.x0 + j * grid.cell_m
            total = 0.0
            for source in sources:
                ex, ey = x - source.x, y - source.y
                for event in source.events:
                    for w, weather in enumerate(rose.weathers):
                        if math.hypot(ex, ey) > event.max_distance_m(weather):
                            continue
                        if not event.directional:
                            p = float(rose.probabilities[w].sum())
                            lethal = float(event.lethality(np.array([math.hypot(ex, ey)]), np.array([0.0]),
                                                           weather)[0])
                            total += event.frequency * p * lethal
                            continue
                        for d, bearing in enumerate(bearings):
                            p = rose.probabilities[w, d]
                            if p == 0:
                                continue
                            to = np.radians(bearing + offsets + 180.0)
                            down = ex * np.sin(to) + ey * np.cos(to)
                            cross = -ex * np.cos(to) + ey * np.sin(to)
                            lethal = float(np.mean(event.lethality(down, cross, weather)))
                            total += event.frequency * p * lethal
            ir[i, j] = total
    return ir
