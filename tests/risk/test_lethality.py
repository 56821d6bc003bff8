"""Outcomes (the grid engine's interface): hand computations, properties, reach, and the grid itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.dispersion import DENSE_GAS_FLAG
from geo_risk.risk.grid import RAYS, Grid, Source, WindRose, individual_risk, individual_risk_reference
from geo_risk.risk.lethality import (
    ContinuousRelease,
    Fireball,
    FlashFire,
    InstantaneousRelease,
    JetFire,
    Outcome,
    PoolFire,
    ToxicCloud,
    VapourCloudExplosion,
    as_event,
)
from geo_risk.risk.parameters import ToxicProbitTable, constant, toxic_probit_constants
from geo_risk.risk.weather import Weather

A = ToxicProbitTable.SET_A_PURPLE_BOOK
B = ToxicProbitTable.SET_B_LEES_OSD30
D5 = Weather("D", 5.0)
F15 = Weather("F", 1.5)


def phi(pr: float) -> float:
    return 0.5 * (1.0 + math.erf((pr - 5.0) / math.sqrt(2.0)))


# dispersion="passive": these pin the Gaussian plume formulas by hand (a chlorine release is dense, so
# "auto" would use Britter–McQuaid near the source; that path is tested in tests/risk/test_dense_gas.py).
CHLORINE_A = ToxicCloud(toxic_probit_constants("chlorine", A), ContinuousRelease(5.0, 600.0), dispersion="passive")
CHLORINE_B = ToxicCloud(toxic_probit_constants("chlorine", B), ContinuousRelease(5.0, 600.0), dispersion="passive")
AMMONIA_PUFF = ToxicCloud(toxic_probit_constants("ammonia", A), InstantaneousRelease(1000.0))
PROPANE_FLASH = FlashFire(ContinuousRelease(5.0, 600.0, 1.0), 2.1, 44.096)
POOL = PoolFire(20.0, 35.0, 40e3, duration_s=900.0)
JET = JetFire(5.0, 46e6)
BALL = Fireball(10_000.0)
VCE = VapourCloudExplosion.from_flammable_mass(5000.0, 46e6)
ALL: list[Outcome] = [CHLORINE_A, CHLORINE_B, AMMONIA_PUFF, PROPANE_FLASH, POOL, JET, BALL, VCE]
OMNI: list[Outcome] = [POOL, JET, BALL, VCE]


def test_every_outcome_satisfies_the_protocol() -> None:
    kinds = {o.kind for o in ALL}
    assert kinds == {"toxic", "flash_fire", "pool_fire", "jet_fire", "fireball", "vce"}
    for o in ALL:
        assert isinstance(o, Outcome)
    assert [o.directional for o in ALL] == [True, True, True, True, False, False, False, False]


# -- hand computations -----------------------------------------------------------------------------


def test_chlorine_plume_lethality_by_hand() -> None:
    """D5 rural: u = 5 m/s (10 m wind), receptor at 1 m, Set A, 10 min exposure."""
    x, y = 800.0, 40.0
    sy = 0.08 * x / math.sqrt(1 + 0.0001 * x)
    sz = 0.06 * x / math.sqrt(1 + 0.0015 * x)
    c = 5.0 / (2 * math.pi * 5.0 * sy * sz) * math.exp(-(y**2) / (2 * sy**2)) * 2 * math.exp(-1 / (2 * sz**2))
    pr = -6.35 + 0.5 * math.log((c * 1e6) ** 2.75 * 10.0)
    assert float(CHLORINE_A.lethality(np.array(x), np.array(y), D5)) == pytest.approx(phi(pr), rel=1e-9)


def test_chlorine_set_b_uses_ppm_by_hand() -> None:
    x = 800.0
    sy = 0.08 * x / math.sqrt(1 + 0.0001 * x)
    sz = 0.06 * x / math.sqrt(1 + 0.0015 * x)
    c_mg = 5.0 / (2 * math.pi * 5.0 * sy * sz) * 2 * math.exp(-1 / (2 * sz**2)) * 1e6
    ppm = c_mg * (8.314462618 * 298.15 / 101325 * 1e3) / 70.906
    pr = -8.29 + 0.92 * math.log(ppm**2 * 10.0)
    assert float(CHLORINE_B.lethality(x, 0.0, D5)) == pytest.approx(phi(pr), rel=1e-9)


def test_ammonia_puff_lethality_by_hand() -> None:
    """Closed-form dose with σ frozen at x, a 30 min window, Set A n = 2.

    Issue 13: the puff has a finite initial volume V0 = M/ρ (ammonia vapour at 20 °C), each σ grows
    from σ0 = (2V0/(2π)^{3/2})^{1/3} at its own virtual source, and σx = max(σy, 0.13·x + σ0).
    """
    x, y, m, u = 300.0, 10.0, 1000.0, 5.0
    rho = 101325 * 17.031e-3 / (8.314462618 * 293.15)
    s0 = (2 * (m / rho) / (2 * math.pi) ** 1.5) ** (1 / 3)
    sy = 0.06 * (x + (s0 / 0.06) ** (1 / 0.92)) ** 0.92
    sz = 0.15 * (x + (s0 / 0.15) ** (1 / 0.70)) ** 0.70
    sx = max(sy, 0.13 * x + s0)
    peak = m / ((2 * math.pi) ** 1.5 * sx * sy * sz) * math.exp(-(y**2) / (2 * sy**2)) * 2 * math.exp(-1 / (2 * sz**2))
    window = math.erf(u * 1800 * math.sqrt(2) / (2 * math.sqrt(2) * sx))
    load_min = (peak * 1e6) ** 2 * math.sqrt(2 * math.pi / 2) * sx / u * window / 60
    pr = -15.6 + 1.0 * math.log(load_min)
    assert float(AMMONIA_PUFF.lethality(x, y, D5)) == pytest.approx(phi(pr), rel=1e-9)


def test_toxic_exposure_is_capped_at_30_min() -> None:
    long = ToxicCloud(CHLORINE_A.probit, ContinuousRelease(5.0, 7200.0))
    thirty = ToxicCloud(CHLORINE_A.probit, ContinuousRelease(5.0, 1800.0))
    x = np.array([500.0, 2000.0])
    assert long.lethality(x, 0.0, D5).tolist() == thirty.lethality(x, 0.0, D5).tolist()


def test_vce_and_fireball_by_hand() -> None:
    w_tnt = 0.04 * 5000 * 46e6 / 4.6e6
    z = 60.0 / (2 * w_tnt) ** (1 / 3)
    ps = (
        101325
        * 808
        * (1 + (z / 4.5) ** 2)
        / math.sqrt((1 + (z / 0.048) ** 2) * (1 + (z / 0.32) ** 2) * (1 + (z / 1.35) ** 2))
    )
    assert float(VCE.lethality(60.0, 0.0, D5)) == (1.0 if ps >= 30000 else 0.0)
    d = 5.8 * 10_000 ** (1 / 3)
    q = 350e3 * (d / 2) ** 2 / (400.0**2 + (0.75 * d) ** 2)
    t = 0.45 * 10_000 ** (1 / 3)
    pr = -36.38 + 2.56 * math.log(q ** (4 / 3) * t)
    expected = 1.0 if q >= 35e3 else phi(pr)
    assert float(BALL.lethality(np.array(400.0), np.array(0.0), D5)) == pytest.approx(expected, rel=1e-9)


def test_pool_fire_engulfed_and_from_properties() -> None:
    assert POOL.lethality(np.array([0.0, 9.9]), np.array([0.0, 0.0]), D5).tolist() == [1.0, 1.0]
    pf = PoolFire.from_properties(20.0, 46.3e6, 0.426e6, 2520.0, 231.0, pool_mass_kg=10_000.0)
    m2 = 1e-3 * 46.3e6 / 0.426e6
    assert pf.duration_s == pytest.approx(10_000.0 / (m2 * math.pi * 100.0))
    assert pf.sep_w_m2 == pytest.approx(140e3 * math.exp(-2.4) + 20e3 * (1 - math.exp(-2.4)))


def test_flash_fire_footprint() -> None:
    lethal = PROPANE_FLASH.lethality(np.array([5.0, 5.0, 500.0, -5.0]), np.array([0.0, 50.0, 0.0, 0.0]), D5)
    assert lethal.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_vce_centred_downwind_is_directional() -> None:
    v = VapourCloudExplosion(VCE.tnt_mass_kg, centre_downwind_m=100.0)
    assert v.directional
    assert float(v.lethality(100.0, 0.0, D5)) == 1.0
    assert float(v.lethality(-100.0, 0.0, D5)) == 0.0
    assert v.max_distance_m(D5) == pytest.approx(VCE.max_distance_m(D5) + 100.0)


# -- properties ------------------------------------------------------------------------------------

coord = st.floats(min_value=-5000.0, max_value=5000.0)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(range(len(ALL))), st.lists(st.tuples(coord, coord), min_size=1, max_size=20))
def test_lethality_in_unit_interval(i: int, points: list[tuple[float, float]]) -> None:
    pts = np.array(points)
    lethal = ALL[i].lethality(pts[:, 0], pts[:, 1], F15)
    assert lethal.shape == (len(points),)
    assert np.all((lethal >= 0) & (lethal <= 1))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(range(len(OMNI))), st.floats(min_value=0, max_value=3000), st.floats(min_value=0, max_value=3000)
)
def test_omnidirectional_lethality_non_increasing_and_radial(i: int, r1: float, r2: float) -> None:
    o = OMNI[i]
    lo, hi = min(r1, r2), max(r1, r2)
    near, far = o.lethality(np.array([lo, hi]), np.array([0.0, 0.0]), D5)
    assert near >= far
    angle = 0.7
    rotated = o.lethality(np.array(hi * math.cos(angle)), np.array(hi * math.sin(angle)), D5)
    assert float(rotated) == pytest.approx(float(far), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([0, 1, 2, 3]), coord, st.floats(min_value=0, max_value=2000))
def test_directional_outcomes_are_symmetric_and_zero_upwind(i: int, x: float, y: float) -> None:
    o = ALL[i]
    a, b = o.lethality(np.array([x, x]), np.array([y, -y]), D5)
    assert a == b
    # issue 13: a dense plume (PROPANE_FLASH under Britter–McQuaid) spreads upwind by L_U = D/2 + 2 l_b
    # (< 1 m for 5 kg/s of propane): zero beyond it
    assert float(o.lethality(-abs(x) - 1.0, y, D5)) == 0.0


def test_vectorised_over_any_shape() -> None:
    dx = np.linspace(-200, 3000, 2 * 3 * 5 * 7).reshape(2, 3, 5, 7)
    dy = np.full_like(dx, 10.0)
    for o in ALL:
        assert o.lethality(dx, dy, D5).shape == dx.shape
    assert CHLORINE_A.lethality(np.array([[100.0], [200.0]]), np.array([[0.0, 5.0, 10.0]]), D5).shape == (2, 3)


# -- reach -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("i", range(len(ALL)))
def test_nothing_lethal_beyond_the_reach(i: int) -> None:
    o = ALL[i]
    for w in (D5, F15):
        reach = o.max_distance_m(w)
        assert reach > 0
        theta = np.linspace(0, 2 * np.pi, 721)
        r = reach * 1.0001
        lethal = o.lethality(r * np.cos(theta), r * np.sin(theta), w)
        assert lethal.max() < 1e-5


def test_reach_is_tight_for_the_toxic_plume() -> None:
    reach = CHLORINE_A.max_distance_m(D5)
    assert float(CHLORINE_A.lethality(reach / 1.03, 0.0, D5)) >= 1e-5


def test_stable_weather_reaches_further() -> None:
    assert CHLORINE_A.max_distance_m(F15) > CHLORINE_A.max_distance_m(D5)
    assert BALL.max_distance_m(F15) == BALL.max_distance_m(D5)  # weather-independent


# -- flags and bad input -----------------------------------------------------------------------------


def test_dense_gas_flag() -> None:
    assert CHLORINE_A.flags(D5) == (DENSE_GAS_FLAG,)
    assert AMMONIA_PUFF.flags(D5) == ()  # lighter than air at ambient temperature
    cold = ToxicCloud(AMMONIA_PUFF.probit, InstantaneousRelease(1000.0), cloud_temperature_k=150.0)
    # issue 13: a dense release is computed with Britter–McQuaid ("auto") and says so; "passive" keeps the flag
    assert cold.flags(D5)[0].startswith("Britter–McQuaid dense-gas puff")
    cold_passive = ToxicCloud(AMMONIA_PUFF.probit, InstantaneousRelease(1000.0), cloud_temperature_k=150.0,
                              dispersion="passive")
    assert cold_passive.flags(D5) == (DENSE_GAS_FLAG,)
    assert POOL.flags(D5) == ()


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="weather must be a geo_risk.risk.weather.Weather"):
        CHLORINE_A.lethality(100.0, 0.0, "D5")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="released mass must be a finite number > 0 kg"):
        InstantaneousRelease(-10.0)
    with pytest.raises(InvalidInput, match="release rate must be a finite number > 0 kg/s"):
        ContinuousRelease(0.0, 600.0)
    with pytest.raises(InvalidInput, match="downwind distance dx must be finite"):
        POOL.lethality(np.nan, 0.0, D5)
    with pytest.raises(InvalidInput, match="no toxic probit"):
        ToxicCloud(toxic_probit_constants("benzene", A), ContinuousRelease(1.0, 60.0))
    with pytest.raises(InvalidInput, match="event frequency must be ≥ 0"):
        as_event(POOL, -1e-5)
    with pytest.raises(InvalidInput, match="valid: purple_book_outdoor"):
        VapourCloudExplosion(100.0, rule="0.3 bar")


# -- the grid engine, through as_event ---------------------------------------------------------------


def test_grid_with_an_omnidirectional_outcome_is_f_times_lethality() -> None:
    grid = Grid(-500.0, -500.0, 25.0, 41, 41)
    f = 1e-6
    rose = WindRose.uniform([D5, F15], n_sectors=12)
    ir = individual_risk(grid, [Source(0.0, 0.0, [as_event(BALL, f)])], rose)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    r = np.hypot(xs, ys)
    expected = f * BALL.lethality(r, np.zeros_like(r), D5) * (r <= BALL.max_distance_m(D5))
    assert np.allclose(ir, expected, rtol=1e-12, atol=0)


def test_grid_with_a_toxic_plume_wind_from_the_north() -> None:
    grid = Grid(-300.0, -3000.0, 50.0, 13, 67)  # y from −3000 to +300 m
    rose = WindRose((D5,), np.array([[1.0] + [0.0] * 15]))
    f = 1e-5
    ir = individual_risk(grid, [Source(0.0, 0.0, [as_event(CHLORINE_A, f)])], rose, smoothing=RAYS)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    expected = f * CHLORINE_A.lethality(-ys, xs, D5) * (np.hypot(xs, ys) <= CHLORINE_A.max_distance_m(D5))
    # Lethality below the floor may be left out (outside the footprint box); all else is exact.
    kept = expected >= f * constant("lethality_floor")
    assert kept.sum() > 20
    assert np.allclose(ir[kept], expected[kept], rtol=1e-9, atol=0)
    assert np.all(np.abs(ir - expected) <= f * constant("lethality_floor"))
    assert ir.max() > 0.1 * f  # lethal downwind (south)
    assert ir[grid.ys > 0].max() == 0.0  # nothing north (upwind) of the source


@pytest.mark.parametrize("seed", [1, 2])
def test_footprint_boxes_agree_with_the_slow_reference(seed: int) -> None:
    """Directional outcomes are evaluated only inside their footprint box; the slow reference
    evaluates every cell within the reach. They agree wherever the lethality reaches the floor."""
    rng = np.random.default_rng(seed)
    p = rng.random((2, 16))
    p[:, rng.integers(0, 16, 5)] = 0.0  # some calm sectors
    rose = WindRose((D5, F15), p / p.sum())
    grid = Grid(-400.0, -400.0, 20.0, 41, 41)
    events = [as_event(AMMONIA_PUFF, 1e-6), as_event(PROPANE_FLASH, 2e-6),
              as_event(VapourCloudExplosion(500.0, centre_downwind_m=60.0), 1e-7)]
    assert all(e.footprint_m is not None for e in events)
    sources = [Source(0.0, 0.0, events[:2]), Source(60.0, -40.0, events[2:])]
    fast = individual_risk(grid, sources, rose, smoothing=RAYS)
    slow = individual_risk_reference(grid, sources, rose, smoothing=RAYS)
    floor = constant("lethality_floor") * sum(e.frequency for e in events)
    assert fast.max() > 1e3 * floor
    assert np.all(np.abs(fast - slow) <= floor)
    big = slow >= floor
    np.testing.assert_allclose(fast[big], slow[big], rtol=1e-6)
