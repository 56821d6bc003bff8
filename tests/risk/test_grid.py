"""The IR grid engine against a slow reference, hand computations and properties.

The lethality functions here are written in the test (a ground-level Gaussian plume with Briggs
rural σ and a probit, and an omnidirectional step), so the engine is checked independently of the
consequence models.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.grid import (
    RAYS,
    SMOOTHED,
    Event,
    Grid,
    Source,
    WindRose,
    individual_risk,
    individual_risk_reference,
    risk_field,
)

# -- hand-written consequence functions -------------------------------------------------------------
Q_KG_S = 5.0  # release rate, kg/s
U = 3.0  # wind speed, m/s
T_MIN = 10.0  # exposure, min
A, B, N = -6.35, 0.5, 2.75  # chlorine, Purple Book set (mg/m³, min)


def plume_conc_mg_m3(x: float, y: float) -> float:
    """Ground-level concentration of a ground-level continuous release, Briggs rural class D, by hand."""
    if x <= 0:
        return 0.0
    sy = 0.08 * x / math.sqrt(1 + 0.0001 * x)
    sz = 0.06 * x / math.sqrt(1 + 0.0015 * x)
    return Q_KG_S / (math.pi * U * sy * sz) * math.exp(-(y**2) / (2 * sy**2)) * 1e6


def lethality_by_hand(c_mg_m3: float) -> float:
    if c_mg_m3 <= 0:
        return 0.0
    pr = A + B * math.log(c_mg_m3**N * T_MIN)
    return 0.5 * (1 + math.erf((pr - 5) / math.sqrt(2)))


def plume_lethality(dx: np.ndarray, dy: np.ndarray, weather: object) -> np.ndarray:
    dx = np.asarray(dx, dtype=float)
    dy = np.asarray(dy, dtype=float)
    out = np.zeros(np.broadcast(dx, dy).shape)
    x = np.broadcast_to(dx, out.shape)
    y = np.broadcast_to(dy, out.shape)
    down = x > 0
    xs, ys = x[down], y[down]
    sy = 0.08 * xs / np.sqrt(1 + 0.0001 * xs)
    sz = 0.06 * xs / np.sqrt(1 + 0.0015 * xs)
    c = Q_KG_S / (np.pi * U * sy * sz) * np.exp(-(ys**2) / (2 * sy**2)) * 1e6
    with np.errstate(divide="ignore"):
        pr = A + B * np.log(np.maximum(c, 1e-300) ** N * T_MIN)
    from scipy.special import ndtr

    out[down] = ndtr(pr - 5)
    return out


def toxic_event(freq: float = 1e-4, reach: float = 3000.0) -> Event:
    return Event(freq, plume_lethality, lambda w: reach, directional=True, name="Cl2 10 min")


def disc_event(radius: float, freq: float = 1e-5, lethal: float = 1.0) -> Event:
    return Event(freq, lambda r, _y, _w: np.where(np.asarray(r) <= radius, lethal, 0.0), lambda w: radius,
                 directional=False, name=f"disc {radius}")


NORTH_ONLY = WindRose(("D3",), np.array([[1.0] + [0.0] * 15]), label="all wind from the north")


def test_wind_from_the_north_carries_risk_south_by_hand() -> None:
    """One-sector rose, wind FROM the north: IR south of the source is f · P(plume, probit) by hand;
    north (upwind), east and west it is zero."""
    grid = Grid(-1000.0, -1000.0, 10.0, 201, 201)  # cell (i, j) at (x0 + 10 j, y0 + 10 i)
    f = 1e-4
    ir = individual_risk(grid, [Source(0.0, 0.0, [toxic_event(f)])], NORTH_ONLY, smoothing=RAYS)

    def at(x: float, y: float) -> float:
        return float(ir[round((y - grid.y0) / 10), round((x - grid.x0) / 10)])

    for dist in (100.0, 300.0, 600.0):
        expected = f * lethality_by_hand(plume_conc_mg_m3(dist, 0.0))
        assert at(0.0, -dist) == pytest.approx(expected, rel=1e-9)
        assert expected > 1e-7  # the test points are inside the plume's lethal reach
        assert at(0.0, dist) == 0.0  # upwind
        assert at(dist, 0.0) == 0.0 and at(-dist, 0.0) == 0.0
    # off the centreline: 200 m south, 30 m east
    assert at(30.0, -200.0) == pytest.approx(f * lethality_by_hand(plume_conc_mg_m3(200.0, 30.0)), rel=1e-9)


def test_wind_from_the_east_carries_risk_west() -> None:
    rose = WindRose(("D3",), np.array([[0.0, 0.0, 0.0, 0.0, 1.0] + [0.0] * 11]))  # sector 4 = 90°, from east
    grid = Grid(-500.0, -500.0, 10.0, 101, 101)
    for smoothing in (RAYS, SMOOTHED):
        ir = individual_risk(grid, [Source(0.0, 0.0, [toxic_event()])], rose, smoothing=smoothing)
        west, east = ir[50, 50 - 20], ir[50, 50 + 20]
        assert west > 0 and east == 0.0


@pytest.mark.parametrize("n_sectors", [1, 4, 16])
def test_rays_equal_the_slow_reference(n_sectors: int) -> None:
    rng = np.random.default_rng(n_sectors)
    p = rng.random((2, n_sectors))
    rose = WindRose(("D3", "F1.5"), p / p.sum())
    grid = Grid(-205.0, -195.0, 15.0, 27, 25)
    sources = [Source(0.0, 0.0, [toxic_event(2e-4, 250.0), disc_event(60.0)]),
               Source(80.0, -40.0, [toxic_event(5e-5, 180.0)])]
    fast = individual_risk(grid, sources, rose, smoothing=RAYS)
    slow = individual_risk_reference(grid, sources, rose, smoothing=RAYS)
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-20)
    assert fast.max() > 0


def test_omnidirectional_event_gives_exact_circles() -> None:
    grid = Grid(-300.0, -300.0, 5.0, 121, 121)
    ir = individual_risk(grid, [Source(0.0, 0.0, [disc_event(150.0, 1e-5)])], WindRose.uniform(("D3",)),
                         smoothing=RAYS)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    r = np.hypot(xs, ys)
    assert np.all(ir[r <= 150] == pytest.approx(1e-5)) and np.all(ir[r > 150] == 0)


def test_uniform_rose_gives_circular_contours() -> None:
    """A uniform rose and one point source: with 16 sectors IR is unchanged by a 90° turn (a
    multiple of 22.5°); with 72 sectors (plumes overlapping) a contour is a circle within 10 %."""
    grid = Grid(-600.0, -600.0, 10.0, 121, 121)
    source = [Source(0.0, 0.0, [toxic_event(reach=700.0)])]
    ir16 = individual_risk(grid, source, WindRose.uniform(("D3",)))
    np.testing.assert_allclose(ir16, np.rot90(ir16), rtol=1e-9, atol=1e-22)
    ir = individual_risk(grid, source, WindRose.uniform(("D3",), n_sectors=72))
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    level = ir[30, 60]  # the IR 300 m south of the source
    inside = ir >= level
    r = np.hypot(xs, ys)[inside]
    angles = np.degrees(np.arctan2(ys[inside], xs[inside]))
    radii = np.array([r[(angles >= a) & (angles < a + 15)].max() for a in range(-180, 180, 15)])
    assert radii.max() < 500 and radii.max() / radii.min() < 1.10


@settings(max_examples=25, deadline=None)
@given(
    f1=st.floats(1e-8, 1e-3), f2=st.floats(1e-8, 1e-3),
    x2=st.floats(-150, 150), y2=st.floats(-150, 150),
    sector=st.integers(0, 15),
)
def test_risk_is_additive_over_sources(f1: float, f2: float, x2: float, y2: float, sector: int) -> None:
    p = np.zeros((1, 16))
    p[0, sector] = 1.0
    rose = WindRose(("D3",), p)
    grid = Grid(-300.0, -300.0, 20.0, 31, 31)
    a = Source(0.0, 0.0, [toxic_event(f1, 400.0)])
    b = Source(x2, y2, [toxic_event(f2, 400.0), disc_event(50.0, f2)])
    both = individual_risk(grid, [a, b], rose)
    np.testing.assert_allclose(both, individual_risk(grid, [a], rose) + individual_risk(grid, [b], rose),
                               rtol=1e-12, atol=1e-25)


@settings(max_examples=20, deadline=None)
@given(r1=st.floats(10, 200), extra=st.floats(0, 200), level=st.sampled_from([3e-7, 3e-6, 1e-5]))
def test_more_inventory_never_shrinks_a_contour(r1: float, extra: float, level: float) -> None:
    """A larger effect radius (more inventory) gives IR ≥ the smaller one everywhere, so every
    contour of the larger contains the smaller's."""
    grid = Grid(-450.0, -450.0, 15.0, 61, 61)
    rose = WindRose.uniform(("D3",))
    small = individual_risk(grid, [Source(0.0, 0.0, [disc_event(r1, 2e-5)])], rose)
    large = individual_risk(grid, [Source(0.0, 0.0, [disc_event(r1 + extra, 2e-5)])], rose)
    assert np.all(large >= small)
    assert np.all((large >= level)[small >= level])


def test_fn_events_count_the_people_killed() -> None:
    """One disc event killing everyone within 100 m: N is the population inside, F its frequency."""
    grid = Grid(-200.0, -200.0, 10.0, 41, 41)
    pop = np.zeros((41, 41))
    pop[20, 25] = 7.0  # 50 m east of the source: inside
    pop[20, 35] = 100.0  # 150 m east: outside
    field = risk_field(grid, [Source(0.0, 0.0, [disc_event(100.0, 1e-5)])], WindRose.uniform(("D3",)), pop)
    assert field.fn_deaths.tolist() == [7.0] and field.fn_frequency.tolist() == pytest.approx([1e-5])


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="sum to"):
        WindRose(("D3",), np.array([[0.5, 0.2]]))
    with pytest.raises(InvalidInput, match="shape"):
        WindRose(("D3", "F1.5"), np.array([[1.0]]))
    with pytest.raises(InvalidInput, match="over the limit"):
        Grid.covering((0, 0, 100_000, 100_000), 5.0)
    with pytest.raises(InvalidInput, match="positive"):
        Grid.covering((0, 0, 100, 100), 0.0)
    with pytest.raises(InvalidInput, match="frequency"):
        individual_risk(Grid(0, 0, 10, 3, 3), [Source(0, 0, [disc_event(10, -1.0)])], NORTH_ONLY)
