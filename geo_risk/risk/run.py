"""One QRA of an enterprise or a park: scenarios → IR grid → contours, distances, F-N (pure; no I/O).

For a scope (an enterprise assessed as a whole, as GB/T 37243 requires once its gases reach the
GB 18218 threshold, or every QRA enterprise of a park together):

1. the units' loss-of-containment scenarios become grid events (:mod:`geo_risk.risk.scenarios`);
2. a grid in the local UTM zone (metres) covers every event's reach; if it would exceed the cell
   limit the cell size is enlarged and the output says so;
3. individual risk on the grid (:mod:`geo_risk.risk.grid`) under the weather classes and wind rose
   of :class:`RiskSettings` (default: the six Purple Book classes equally likely and a uniform
   16-sector rose — a default, not a measured rose, stated on every output; the rose gives where
   the wind blows FROM);
4. iso-risk contours at the GB 36894 criteria of the scope's column (新建 for planned enterprises,
   在役 for operating and suspended ones);
5. the QRA distance per protection-target class: how far the class's contour reaches beyond the
   installations (the largest distance from a contour vertex to the nearest unit footprint);
6. societal risk: people of residential areas and protection targets present by day and at night,
   indoors and outdoors (:mod:`geo_risk.risk.population`, Purple Book ch. 5/6), the F-N curve
   and its GB 36894 region (advisory: the F-N lines are C1).

Wind sectors are smoothed by default (:data:`geo_risk.risk.grid.SMOOTHED`: each sector's
probability uniform over its width), so contours and the distances read off them are not spokes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.risk.contours import ir_level_label, iso_risk_polygons
from geo_risk.risk.grid import (
    MAX_GRID_CELLS,
    ROSE_CONVENTION,
    Grid,
    SectorSmoothing,
    WindRose,
    risk_field,
)
from geo_risk.risk.population import ENGINE_VERSION, PopulationModel, population_assumptions, presence_places
from geo_risk.risk.rose import CityWindRose, read_wind_rose
from geo_risk.risk.societal import fn_curve, fn_region
from geo_risk.standards.gb36894 import TARGET_CLASSES, individual_risk_criterion_per_year

__all__ = ["RiskSettings", "ScopeInputs", "ScopeResult", "utm_crs_for", "assess_scope", "settings_line",
           "USER_SETTINGS"]


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 UTM zone (EPSG:326xx north, 327xx south) holding ``lon``, ``lat`` (degrees)."""
    zone = int(math.floor((lon + 180) / 6)) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


@dataclass(frozen=True)
class RiskSettings:
    """How a QRA is run: grid cell (m), weather classes and their weights, wind rose.

    ``rose_file``: a city wind-rose CSV (:mod:`geo_risk.risk.rose`; the probability of each weather
    class with the wind blowing FROM each sector), read and checked when the settings are made;
    its rows then set the weather-class frequencies, so ``weather_weights`` must be None. Unset:
    the uniform ``n_sectors`` rose (default; not a measured rose) with the classes weighted by
    ``weather_weights`` (equal when None). ``sector_smoothing``: ``"exact"`` (default: each sector's
    probability uniform over its width) or ``"rays"`` (the old spokes). ``population_treatment``:
    ``"purple_book"`` (default: day/night presence, indoors/outdoors, indoor lethality per effect)
    or ``"outdoor_everyone"`` (conservative screening: everyone present at the busier period,
    outdoors, IR lethality). ``day_fraction`` and ``flash_fire_indoor_factor`` override the
    UNCONFIRMED table values (None: the table's). Raises InvalidInput for a cell size that is not
    a finite number of metres in (0, :attr:`MAX_CELL_M`], a bad rose file, both a file and
    weights, or a bad smoothing, treatment or fraction.
    """

    #: Largest grid cell a user may ask for (m); the API's limit too. Larger cells blur contours.
    MAX_CELL_M: ClassVar[float] = 500.0

    cell_m: float = 25.0
    n_sectors: int = 16
    terrain: str = "rural"
    weather_weights: tuple[float, ...] | None = None
    max_cells: int = MAX_GRID_CELLS // 4
    rose_file: Path | None = None
    sector_smoothing: str = "exact"
    population_treatment: str = "purple_book"
    day_fraction: float | None = None
    flash_fire_indoor_factor: float | None = None
    city_rose: CityWindRose | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cell = self.cell_m
        if isinstance(cell, bool) or not isinstance(cell, int | float) or not math.isfinite(cell) \
                or not 0 < cell <= self.MAX_CELL_M:
            raise InvalidInput(f"grid cell size must be a number of metres > 0 and ≤ {self.MAX_CELL_M:g}; got "
                               f"{cell!r} (e.g. --cell-m 25)")
        if isinstance(self.n_sectors, bool) or not isinstance(self.n_sectors, int) or self.n_sectors < 1:
            raise InvalidInput(f"the uniform wind rose needs a whole number of sectors ≥ 1; got {self.n_sectors!r}")
        if isinstance(self.max_cells, bool) or not isinstance(self.max_cells, int) or self.max_cells < 1:
            raise InvalidInput(f"max_cells must be a whole number ≥ 1; got {self.max_cells!r}")
        self.smoothing()  # raises InvalidInput for a bad mode
        if self.population_treatment not in ("purple_book", "outdoor_everyone"):
            raise InvalidInput(f"population treatment must be 'purple_book' or 'outdoor_everyone'; got "
                               f"{self.population_treatment!r}")
        self.population_model()  # raises InvalidInput for a fraction outside [0, 1]
        if self.rose_file is not None:
            if self.weather_weights is not None:
                raise InvalidInput("give weather weights or a wind rose file, not both: the rose file's rows are "
                                   "the weather-class frequencies")
            object.__setattr__(self, "city_rose", read_wind_rose(self.rose_file, self.weathers()))

    def smoothing(self) -> SectorSmoothing:
        """How wind sectors are spread (the polar raster's rings half a cell apart)."""
        return SectorSmoothing(self.sector_smoothing, radial_step_m=float(self.cell_m) / 2)

    def population_model(self) -> PopulationModel:
        """The societal-risk population treatment."""
        return PopulationModel(day_fraction=self.day_fraction, flash_fire_indoor_factor=self.flash_fire_indoor_factor,
                               outdoor_everyone=self.population_treatment == "outdoor_everyone")

    def weathers(self) -> tuple[Any, ...]:
        from geo_risk.risk.weather import purple_book_weather_classes

        return purple_book_weather_classes(self.terrain)  # type: ignore[arg-type]

    def rose(self) -> WindRose:
        """The city rose when ``rose_file`` is set, else the uniform default (FROM convention)."""
        if self.city_rose is not None:
            return self.city_rose.rose
        return WindRose.uniform(self.weathers(), self.weather_weights, self.n_sectors)

    def describe(self) -> dict[str, Any]:
        weathers = self.weathers()
        if self.city_rose is not None:
            rose = self.city_rose.rose
            frequencies = rose.probabilities.sum(axis=1)
            weather_note = ("six Purple Book representative classes (UNCONFIRMED); frequencies = the rows of the "
                            "wind rose file")
            wind_rose = rose.label
            rose_file: dict[str, Any] | None = self.city_rose.describe()
        else:
            weights = np.asarray(self.weather_weights or (1.0,) * len(weathers), dtype=float)
            frequencies = weights / weights.sum()
            weather_note = "six Purple Book representative classes (UNCONFIRMED), equally likely unless configured"
            wind_rose = (f"uniform {self.n_sectors}-sector rose (default; not a measured rose), probability of the "
                         "wind blowing FROM each sector")
            rose_file = None
        return {
            "weather": {w.label: round(float(p), 6) for w, p in zip(weathers, frequencies, strict=True)},
            "weather_note": weather_note,
            "wind_rose": wind_rose,
            "wind_rose_file": rose_file,
            "wind_rose_convention": ROSE_CONVENTION,
            "terrain": self.terrain,
            "grid_cell_m": self.cell_m,
            "individual_risk": "outdoor, unprotected, always present (GB 36894)",
            "societal_risk": (
                "Purple Book: people present by day/night, indoors/outdoors, indoor lethality per effect"
                if self.population_treatment == "purple_book" else
                "everyone outdoors at the busier period, IR lethality (conservative screening)"),
            "sector_smoothing": self.smoothing().describe(),
            "run_settings": self.settings_used(),
        }

    def settings_used(self) -> dict[str, dict[str, Any]]:
        """The run's user-settable values, each with its value, its tag and who set it.

        ``tag``: C2 / C1 / UNCONFIRMED / CHOICE (docs/standards/qra-population.md); ``set_by``:
        ``"default"`` (the table's or the engine's value) or ``"setting"`` (given by the user: the
        option, GEO_RISK_RISK_* or the API body, named in ``names``). Values the treatment does not
        use say so (``used`` False).
        """
        from geo_risk.risk.population import population_constant_row

        model = self.population_model()
        pb = self.population_treatment == "purple_book"
        day_row = population_constant_row("day_start_hour")
        ff_row = population_constant_row("flash_fire_indoor_factor")
        return {
            "cell_m": {"value": self.cell_m, "tag": "CHOICE", "used": True,
                       "set_by": "default" if self.cell_m == 25.0 else "setting",
                       "names": _setting_names("cell_m")},
            "sector_smoothing": {
                "value": self.sector_smoothing, "set_by": "default" if self.sector_smoothing == "exact" else "setting",
                "tag": "C1" if self.sector_smoothing == "exact" else "CHOICE", "used": True,
                "reference": ("Purple Book §6.2.5: wind direction uniform within each sector" if
                              self.sector_smoothing == "exact" else "old treatment: all wind along the centre "
                              "bearing (contours as spokes; not the Purple Book)"),
                "names": _setting_names("sector_smoothing")},
            "population_treatment": {
                "value": self.population_treatment, "set_by": "default" if pb else "setting",
                "tag": "C1" if pb else "CHOICE", "used": True,
                "reference": ("Purple Book Table 5.3, Figures 5.2-5.5, eqs. 6.7/6.13" if pb else
                              "conservative screening: everyone outdoors at the busier period, IR lethality"),
                "names": _setting_names("population_treatment")},
            "day_fraction": {
                "value": round(model.day(), 6), "set_by": "default" if self.day_fraction is None else "setting",
                "tag": day_row["status"] if self.day_fraction is None else "setting (overrides UNCONFIRMED)",
                "used": pb, "reference": day_row["reference"], "names": _setting_names("day_fraction")},
            "flash_fire_indoor_factor": {
                "value": model.flash_fire_indoor(),
                "set_by": "default" if self.flash_fire_indoor_factor is None else "setting",
                "tag": ff_row["status"] if self.flash_fire_indoor_factor is None else "setting (overrides UNCONFIRMED)",
                "used": pb, "reference": ff_row["reference"], "names": _setting_names("flash_fire_indoor_factor")},
        }


#: The risk-run settings users can give, and where (option, environment variable, API body field).
USER_SETTINGS: tuple[str, ...] = ("cell_m", "sector_smoothing", "population_treatment", "day_fraction",
                                  "flash_fire_indoor_factor")


def _setting_names(name: str) -> dict[str, str]:
    """Where a user sets ``name``: the CLI option, the environment variable, the API body field."""
    env = "" if name == "cell_m" else f"GEO_RISK_RISK_{name.upper()}"
    return {"cli": f"--{name.replace('_', '-')}", "env": env, "api": name}


def settings_line(run_settings: dict[str, Any] | None) -> str:
    """One line naming every run setting with its value and tag (CLI summary, F-N plot, grid metadata)."""
    if not run_settings:
        return "settings: not recorded (run before model 2.1)"
    parts = []
    for name, v in run_settings.items():
        value = v.get("value")
        text = f"{value:g}" if isinstance(value, float) else str(value)
        unused = "" if v.get("used", True) else ", not used"
        parts.append(f"{name}={text} [{v.get('tag')}{unused}]")
    return "settings: " + "; ".join(parts)


@dataclass
class ScopeInputs:
    """What one QRA reads, in one projected CRS (metres).

    ``units``: index unit id; columns of hazard_units plus ``geometry`` (projected). ``inventory``:
    rows of the units' inventory items. ``residential`` / ``targets``: GeoDataFrames in ``crs`` with
    ``population``. ``criteria``: "new" or "existing".
    """

    scope: str
    scope_id: str
    crs: str
    criteria: str
    units: gpd.GeoDataFrame
    inventory: pd.DataFrame
    residential: gpd.GeoDataFrame | None = None
    targets: gpd.GeoDataFrame | None = None
    #: presence_places(residential, targets, cell, origin (0, 0)) when the caller already has them
    #: (they are the same for every scope of a run in one CRS): (x m, y m, presence n × 4) and the
    #: cell (m).
    places: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None = None


@dataclass
class ScopeResult:
    scope: str
    scope_id: str
    crs: str
    criteria: str
    grid: Grid | None
    ir: np.ndarray | None
    contours: list[tuple[float, str, str, Any]]
    distances_m: dict[str, float]
    fn_n: np.ndarray
    fn_f: np.ndarray
    region: dict[str, Any] | None
    scenarios: pd.DataFrame
    assumptions: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def max_ir(self) -> float | None:
        return None if self.ir is None else float(self.ir.max())


def _levels_by_class(criteria: str) -> dict[float, list[str]]:
    levels: dict[float, list[str]] = {}
    for cls in TARGET_CLASSES:
        levels.setdefault(individual_risk_criterion_per_year(cls, criteria), []).append(cls)
    return dict(sorted(levels.items()))


def _reach_beyond(geom: Any, installations: Any) -> float:
    """Largest distance (m) from a contour vertex to the nearest installation footprint (0 if empty)."""
    import shapely

    if geom is None or geom.is_empty:
        return 0.0
    pts = shapely.points(shapely.get_coordinates(geom.boundary))
    return float(shapely.distance(pts, installations).max()) if len(pts) else 0.0


def _directions_covering(footprint: tuple[float, float, float] | None, axis: np.ndarray) -> np.ndarray:
    """Angular width (rad) of the directions from the source in which a point at each distance of
    ``axis`` (m) can lie inside a directional event's footprint box (down_min, down_max,
    cross_max) m in the wind frame; 2π where it may lie in every direction (no box, or near the
    source)."""
    width = np.full(axis.shape, 2.0 * np.pi)
    if footprint is None:
        return width
    down_min, _down_max, cross = (float(v) for v in footprint)
    # upwind points (dx < 0) are inside only within hypot(down_min, cross) of the source
    everywhere = max(cross, math.hypot(min(down_min, 0.0), cross))
    far = axis > everywhere
    width[far] = 2.0 * np.arcsin(np.clip(cross / axis[far], 0.0, 1.0))
    return width


def _risk_radius_m(source: Any, rose: WindRose, epsilon: float) -> float:
    """Distance (m) from ``source`` beyond which its IR is < ``epsilon`` per year, by an upper bound.

    Bound at distance ρ: Σ over events and weather classes of f · p(ρ) · L(ρ), with L the event's
    lethality envelope (``Event.envelope_m``; without one, 1 within its reach) and p(ρ) the most
    wind-direction probability that can bring the event over one point at ρ: omnidirectional
    events the whole class; directional events the sum of the class's k likeliest sectors, k =
    ⌊W(ρ)/Δθ⌋ + 1 with W(ρ) the angular width of the event's footprint box seen from ρ (a point
    at ρ is hit by directions within W; with rays at most k sector bearings fall in W, smoothed
    the mean over W of the sector densities is at most that sum). (Model 2.0 took the likeliest
    sector alone, which a cloud wider than a sector exceeds: cells up to ~3 × ``epsilon`` could
    be left out.) The radius is the first sampled distance after the last one where the bound
    reaches ``epsilon``.
    """
    axis = np.concatenate([[0.0], np.geomspace(0.1, 200_000.0, 1200)])
    bound = np.zeros_like(axis)
    n_sectors = rose.probabilities.shape[1]
    sector = 2.0 * np.pi / n_sectors
    top_k = np.cumsum(-np.sort(-rose.probabilities, axis=1), axis=1)  # sum of the k likeliest sectors
    for event in source.events:
        if event.frequency <= 0:
            continue
        for w, weather in enumerate(rose.weathers):
            row = rose.probabilities[w]
            if float(row.sum()) <= 0:
                continue
            reach = float(event.max_distance_m(weather))
            if reach <= 0:
                continue
            if event.directional:
                box = event.footprint_m(weather) if event.footprint_m is not None else None
                k = np.minimum(np.floor(_directions_covering(box, axis) / sector + 1e-9).astype(int) + 1, n_sectors)
                p = top_k[w, k - 1]
            else:
                p = float(row.sum())
            if event.envelope_m is None:
                lethal = (axis <= reach).astype(float)
            else:
                radii, env = event.envelope_m(weather)
                at = np.clip(np.searchsorted(radii, axis, side="right") - 1, 0, len(radii) - 1)
                lethal = np.where(axis <= reach, env[at], 0.0)
            bound += event.frequency * p * lethal
    over = np.flatnonzero(bound >= epsilon)
    return 0.0 if over.size == 0 else float(axis[min(over[-1] + 1, axis.size - 1)])


def _grid_for(sources: Sequence[Any], rose: WindRose, settings: RiskSettings, crs: str, lowest_level: float
              ) -> tuple[Grid, dict[str, Any]]:
    """The IR grid: ``settings.cell_m`` cells over every place where IR could reach a tenth (the
    ``ir_grid_extent_fraction``) of ``lowest_level`` — not over the whole reach, which for a large
    toxic release is tens of km of risk far below every criterion."""
    from geo_risk.risk.parameters import constant

    fraction = constant("ir_grid_extent_fraction")
    epsilon = fraction * lowest_level / max(1, len(sources))
    radii = [_risk_radius_m(s, rose, epsilon) for s in sources]
    reach = max((float(e.max_distance_m(w)) for s in sources for e in s.events for w in rose.weathers), default=0.0)
    cell = settings.cell_m
    pad = 2 * cell
    bounds = (min(s.x - r for s, r in zip(sources, radii, strict=True)) - pad,
              min(s.y - r for s, r in zip(sources, radii, strict=True)) - pad,
              max(s.x + r for s, r in zip(sources, radii, strict=True)) + pad,
              max(s.y + r for s, r in zip(sources, radii, strict=True)) + pad)
    note: dict[str, Any] = {
        "extent": (f"cells within {max(radii):,.0f} m of the sources: beyond, an upper bound of IR is below "
                   f"{fraction:g} × {lowest_level:g} per year (ir_grid_extent_fraction, UNCONFIRMED project choice)"),
        "ir_radius_m": round(max(radii), 1),
        "max_reach_m": round(reach, 1),
    }
    cells = ((bounds[2] - bounds[0]) / cell + 1) * ((bounds[3] - bounds[1]) / cell + 1)
    if cells > settings.max_cells:
        cell = math.ceil(math.sqrt(cells / settings.max_cells) * cell)
        note["grid_cell_enlarged"] = (f"the area where IR can matter needs {cells:,.0f} cells of "
                                      f"{settings.cell_m:g} m; cells enlarged to {cell:g} m to stay within "
                                      f"{settings.max_cells:,}")
    # Cell centres on the lattice of multiples of the cell size: runs of neighbouring scopes (an
    # enterprise and its park) then share cells and people, so their grids and F-N add up.
    bounds = (math.floor(bounds[0] / cell) * cell, math.floor(bounds[1] / cell) * cell,
              math.ceil(bounds[2] / cell) * cell, math.ceil(bounds[3] / cell) * cell)
    return Grid.covering(bounds, cell, crs), note


def scope_scenarios(inputs: ScopeInputs, settings: RiskSettings) -> tuple[Any, dict[Any, Any]]:
    """The scope's scenarios (:func:`build_scenarios`) and each unit's terrain: a unit disperses over the
    terrain of the built-up land around it (Briggs rural/urban; issue 13 item 8, :func:`terrain_by_land_use`)."""
    from geo_risk.risk.dispersion import terrain_by_land_use
    from geo_risk.risk.scenarios import build_scenarios

    positions = {uid: (g.centroid.x, g.centroid.y) for uid, g in inputs.units.geometry.items()}
    terrains = terrain_by_land_use(positions, inputs.residential, settings.terrain)
    units = inputs.units.drop(columns="geometry").assign(
        dispersion_terrain=[terrains[u].terrain for u in inputs.units.index],
        dispersion_terrain_note=[terrains[u].note for u in inputs.units.index])
    return build_scenarios(units, inputs.inventory, positions), terrains


def assess_scope(inputs: ScopeInputs, settings: RiskSettings | None = None) -> ScopeResult:
    """Run the QRA of one scope. Raises InvalidInput when no unit can be modelled."""
    from geo_risk.risk.parameters import model_metadata

    settings = settings or RiskSettings()
    if inputs.criteria not in ("new", "existing"):
        raise InvalidInput(f"criteria must be 'new' or 'existing'; got {inputs.criteria!r}")
    built, terrains = scope_scenarios(inputs, settings)
    model_meta = model_metadata()
    # the risk-field engine's version is part of the model version stamped on every output
    model_meta = {**model_meta, "model_version": f"{model_meta['model_version']}; {ENGINE_VERSION}",
                  "risk_engine_version": ENGINE_VERSION}
    assumptions: dict[str, Any] = {**settings.describe(), "scenarios": built.assumptions,
                                   "model": model_meta, "crs": inputs.crs,
                                   "criteria": inputs.criteria,
                                   "dispersion_terrain": {str(u): {"terrain": t.terrain, "note": t.note}
                                                          for u, t in terrains.items()}}
    if not built.sources:
        return ScopeResult(inputs.scope, inputs.scope_id, inputs.crs, inputs.criteria, None, None, [],
                           {}, np.zeros(0), np.zeros(0), None, built.scenarios, assumptions, list(built.problems))
    rose = settings.rose()
    levels = _levels_by_class(inputs.criteria)
    grid, grid_note = _grid_for(built.sources, rose, settings, inputs.crs, min(levels))
    assumptions["grid"] = {"cell_m": grid.cell_m, "nx": grid.nx, "ny": grid.ny, **grid_note}
    # Societal risk over each event's whole reach, from the populated places (cells of cell_m).
    if inputs.places is not None and inputs.places[3] == settings.cell_m:
        px, py, presence = inputs.places[:3]
    else:
        px, py, presence = presence_places(inputs.residential, inputs.targets, settings.cell_m)
    model = settings.population_model()
    field_ = risk_field(grid, built.sources, rose, smoothing=settings.smoothing(),
                        places=(px, py, model.split(presence)), population_model=model)
    ir, fn_frequency, fn_deaths = field_.ir, field_.fn_frequency, field_.fn_deaths
    assumptions["societal_grid"] = (f"people apportioned to {settings.cell_m:g} m cells over each event's whole reach "
                                    f"(up to {grid_note['max_reach_m']:,.0f} m), not limited to the IR grid")
    kinds = ["residential"] if inputs.residential is not None and len(inputs.residential) else []
    if inputs.targets is not None and "kind" in inputs.targets.columns:
        kinds += [str(k) for k in inputs.targets["kind"].dropna().unique()]
    assumptions["societal_population"] = population_assumptions(model, kinds)
    polygons = iso_risk_polygons(grid, ir, list(levels))
    installations = inputs.units.geometry.union_all()
    contours = []
    distances: dict[str, float] = {}
    for level, geom in polygons:
        classes = levels[level]
        contours.append((level, ir_level_label(level), ",".join(classes), geom))
        reach = _reach_beyond(geom, installations)
        for cls in classes:
            distances[cls] = round(reach, 1)
    n, f = fn_curve(fn_frequency, fn_deaths)
    region = fn_region(n, f) if len(n) else fn_region(np.array([0.0]), np.array([0.0]))
    return ScopeResult(inputs.scope, inputs.scope_id, inputs.crs, inputs.criteria, grid, ir, contours,
                       distances, n, f, region, built.scenarios, assumptions, list(built.problems))
