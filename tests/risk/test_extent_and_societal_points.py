"""Where the engine saves work, checked against the plain computation it replaces.

- Lethality envelopes: an outcome's bound at distance ≥ r is never below its lethality sampled
  independently (a finer polar grid than the one the envelope came from).
- The IR grid's extent: IR computed on a grid over the whole reach is, outside the limited grid,
  below ``ir_grid_extent_fraction`` × the lowest level, and inside equal to the limited grid's.
- Societal risk from populated places equals the F-N events of the grid computation on the same
  people, and population_on_grid is population_points binned.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geo_risk.risk.grid import Grid, SectorSmoothing, Source, WindRose, individual_risk, risk_field, societal_events
from geo_risk.risk.lethality import (
    ContinuousRelease,
    Fireball,
    FlashFire,
    InstantaneousRelease,
    ToxicCloud,
    VapourCloudExplosion,
    as_event,
)
from geo_risk.risk.parameters import ToxicProbitTable, constant, toxic_probit_constants
from geo_risk.risk.run import RiskSettings, _grid_for
from geo_risk.risk.societal import population_on_grid, population_points
from geo_risk.risk.weather import Weather

D5 = Weather("D", 5.0)
F15 = Weather("F", 1.5)
A = ToxicProbitTable.SET_A_PURPLE_BOOK
CHLORINE_PLUME = ToxicCloud(toxic_probit_constants("chlorine", A), ContinuousRelease(2.0, 600.0))
AMMONIA_PUFF = ToxicCloud(toxic_probit_constants("ammonia", A), InstantaneousRelease(2000.0))
PROPANE_FLASH = FlashFire(ContinuousRelease(5.0, 600.0, 1.0), 2.1, 44.096)
BALL = Fireball(5_000.0)
VCE = VapourCloudExplosion(800.0, centre_downwind_m=80.0)


@pytest.mark.parametrize("outcome", [CHLORINE_PLUME, AMMONIA_PUFF, PROPANE_FLASH, BALL, VCE],
                         ids=["plume", "puff", "flash", "fireball", "vce"])
@pytest.mark.parametrize("weather", [D5, F15], ids=["D5", "F1.5"])
def test_the_envelope_bounds_the_lethality_everywhere_beyond_each_radius(outcome, weather) -> None:  # noqa: ANN001
    event = as_event(outcome, 1e-6)
    radii, bound = event.envelope_m(weather)
    assert np.all(np.diff(bound) <= 0) and bound.max() <= 1.0
    # an independent sample: 1,500 radii × 720 directions, offset from the envelope's own samples
    reach = event.max_distance_m(weather)
    r = np.linspace(0.37, 1.2 * reach, 1500)
    theta = np.linspace(0.0, 2 * np.pi, 720, endpoint=False) + 0.0013
    dx, dy = r[:, None] * np.cos(theta), r[:, None] * np.sin(theta)
    lethal = event.lethality(dx, dy, weather).max(axis=1)
    at = np.clip(np.searchsorted(radii, r, side="right") - 1, 0, len(radii) - 1)
    floor = constant("lethality_floor")
    assert np.all(lethal <= bound[at] + floor), float(np.max(lethal - bound[at]))
    assert lethal.max() > 0.1  # the sample does reach the lethal zone


def _uniform(n: int = 16) -> WindRose:
    return WindRose.uniform((D5, F15), n_sectors=n)


def test_risk_outside_the_limited_ir_grid_stays_below_a_tenth_of_the_lowest_level() -> None:
    rose = _uniform()
    # frequencies high enough that a 3e-7 contour exists and large-reach, rare events that do not
    sources = [
        Source(0.0, 0.0, [as_event(CHLORINE_PLUME, 5e-5), as_event(AMMONIA_PUFF, 5e-7)]),
        Source(300.0, 100.0, [as_event(PROPANE_FLASH, 1e-4), as_event(BALL, 1e-6), as_event(VCE, 1e-5)]),
    ]
    level = 3e-7
    settings = RiskSettings(cell_m=25.0)
    limited, note = _grid_for(sources, rose, settings, "EPSG:32652", level)
    reach = note["max_reach_m"]
    assert note["ir_radius_m"] < 0.5 * reach  # the point of it: the grid is much smaller than the reach
    full = Grid(limited.x0 - 200 * 25.0, limited.y0 - 200 * 25.0, 25.0, limited.nx + 400, limited.ny + 400)
    ir_full = individual_risk(full, sources, rose)
    ir_limited = individual_risk(limited, sources, rose)
    inside = np.zeros(ir_full.shape, dtype=bool)
    inside[200 : 200 + limited.ny, 200 : 200 + limited.nx] = True
    np.testing.assert_allclose(ir_full[inside].reshape(ir_limited.shape), ir_limited, rtol=1e-12, atol=0)
    fraction = constant("ir_grid_extent_fraction")
    assert ir_limited.max() > level  # there is a contour to keep whole
    assert ir_full[~inside].max() < fraction * level
    assert ir_full[~inside].max() > 0  # and risk does go on beyond it (the reach is longer)
    # cell centres on multiples of the cell size
    assert limited.x0 % 25.0 == 0 and limited.y0 % 25.0 == 0


def test_a_cloud_wider_than_a_sector_keeps_the_grid_bound() -> None:
    """A dense chlorine plume (20 kg/s for 10 min, flashing: 8 kg/m³ at T_b) is wider than a 22.5°
    sector near the source, so several sectors' winds bring it over one point. Model 2.0 bounded
    IR with the likeliest sector alone: here that bound is below ``fraction × level`` at every
    distance, the grid shrank to the source, and cells with IR ≈ 1.8×10⁻⁷ were left out. The
    bound now counts every sector whose wind can reach the point (footprint's angular width)."""
    cloud = ToxicCloud(toxic_probit_constants("chlorine", A), ContinuousRelease(20.0, 600.0, 0.0, 8.0, 239.2),
                       70.906, 239.2)
    f, level, cell = 3e-7, 3e-7, 25.0
    rose = _uniform(16)
    sources = [Source(0.0, 0.0, [as_event(cloud, f)])]
    limited, note = _grid_for(sources, rose, RiskSettings(cell_m=cell), "EPSG:32652", level)
    pad = int(note["max_reach_m"] / cell) + 4
    full = Grid(-pad * cell, -pad * cell, cell, 2 * pad + 1, 2 * pad + 1)
    ir = individual_risk(full, sources, rose)
    x = full.x0 + np.arange(full.nx) * cell
    y = full.y0 + np.arange(full.ny) * cell
    xx, yy = np.meshgrid(x, y)
    inside = ((xx >= limited.x0 - 1e-6) & (xx <= limited.x0 + (limited.nx - 1) * cell + 1e-6)
              & (yy >= limited.y0 - 1e-6) & (yy <= limited.y0 + (limited.ny - 1) * cell + 1e-6))
    epsilon = constant("ir_grid_extent_fraction") * level
    assert ir[~inside].max() < epsilon
    # the likeliest-sector bound (f × 1/16 × the envelope, summed over the classes) misses this risk
    rho = np.hypot(xx, yy)
    old = np.zeros_like(rho)
    for w in rose.weathers:
        radii, env = as_event(cloud, f).envelope_m(w)
        at = np.clip(np.searchsorted(radii, rho, side="right") - 1, 0, len(radii) - 1)
        old += f * rose.probabilities[0].max() * np.where(rho <= cloud.max_distance_m(w), env[at], 0.0)
    missed = (old < epsilon) & (ir >= epsilon)
    assert missed.any() and ir[missed].max() > 3 * epsilon


def test_societal_events_from_places_equal_the_grid_computation() -> None:
    rose = WindRose((D5, F15), np.random.default_rng(3).dirichlet(np.ones(32)).reshape(2, 16))
    sources = [Source(0.0, 0.0, [as_event(CHLORINE_PLUME, 5e-5), as_event(BALL, 1e-6)]),
               Source(150.0, -60.0, [as_event(PROPANE_FLASH, 1e-4), as_event(VCE, 1e-5)])]
    homes = gpd.GeoDataFrame({"population": [3000, 800, 0]},
                             geometry=[box(-900, -700, -300, -200), box(200, 300, 650, 900), box(0, 0, 10, 10)])
    school = gpd.GeoDataFrame({"population": [600, 40]}, geometry=[Point(420.0, -380.0), Point(-5000.0, 0.0)])
    grid = Grid(-1500.0, -1500.0, 20.0, 151, 151)
    pop = population_on_grid(grid, [homes, school])
    field = risk_field(grid, sources, rose, pop)
    x, y, people = population_points([homes, school], 20.0, (grid.x0, grid.y0))
    assert people.sum() == pytest.approx(3000 + 800 + 600 + 40)
    assert pop.sum() == pytest.approx(3000 + 800 + 600)  # the school 5 km west is off the grid
    on_grid = (np.abs(x) <= 1500) & (np.abs(y) <= 1500)
    same_rings = SectorSmoothing(radial_step_m=grid.cell_m / 2)  # the grid computation's polar raster
    f, n = societal_events(x[on_grid], y[on_grid], people[on_grid], sources, rose, smoothing=same_rings)
    np.testing.assert_allclose(f, field.fn_frequency, rtol=1e-12)
    np.testing.assert_allclose(n, field.fn_deaths, rtol=1e-9, atol=1e-9)
    # with every place: the far school counts wherever an event reaches it, and nowhere else
    f_all, n_all = societal_events(x, y, people, sources, rose, smoothing=same_rings)
    np.testing.assert_allclose(f_all, f, rtol=1e-12)
    assert np.all(n_all >= n - 1e-9)
    far_reach = max(e.max_distance_m(w) for s in sources for e in s.events for w in rose.weathers)
    assert (n_all.sum() > n.sum()) == (far_reach > 5000.0)
    assert n.max() > 1  # somebody is killed in some event


def test_population_points_of_a_polygon_sum_to_its_people_at_cell_centres() -> None:
    homes = gpd.GeoDataFrame({"population": [1000.0]}, geometry=[box(3, 7, 113, 58)])
    x, y, people = population_points([homes], 10.0)
    assert people.sum() == pytest.approx(1000.0)
    assert np.all(x % 10 == 0) and np.all(y % 10 == 0)
    # a full interior cell holds its area share: 100 m² of 110 × 51 m
    assert people.max() == pytest.approx(1000.0 * 100 / (110 * 51))
