"""Sector smoothing (Purple Book §6.2.5) and the Purple Book societal-risk population treatment.

Reference values are hand computations or published worked examples, never the engine's output:

- PB Appendix 6.B (CO, 100 kg/s, R = 361 m; qra-fidelity §5.3 as re-computed): the sector mean of
  the lethality at the point is 0.381936 by exact angular integration (the PB's small-angle
  P_ci gives 0.38029 and dIR = 7.0×10⁻⁹/a as printed).
- A new hand case: a lethal strip of width w along the wind: the sector mean at distance r is
  2·asin(w/2r)/Δθ, on a sector boundary half from each sector.
- A one-sector rose: IR south of a plume = f · (1/Δθ)∫P_hand dφ by scipy quadrature.
- PB Table 5.3 / Figures 5.2–5.5 (qra-fidelity §3.3, re-computed): toxic P = 0.835 → F_d 0.136105
  by day, 0.091015 at night; VCE at 0.2 barg → 0.02325 / 0.02475.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk.test_grid import disc_event, lethality_by_hand, plume_conc_mg_m3, toxic_event
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import ndtr
from shapely.geometry import Point, box

from geo_risk.errors import InvalidInput
from geo_risk.risk.explosions import kinney_graham_overpressure_pa
from geo_risk.risk.grid import (
    RAYS,
    SMOOTHED,
    Event,
    Grid,
    SectorSmoothing,
    Source,
    WindRose,
    individual_risk,
    individual_risk_reference,
    risk_field,
    societal_events,
)
from geo_risk.risk.lethality import (
    ContinuousRelease,
    Fireball,
    FlashFire,
    ToxicCloud,
    VapourCloudExplosion,
    as_event,
)
from geo_risk.risk.parameters import ToxicProbitTable, toxic_probit_constants
from geo_risk.risk.population import PopulationModel, presence_places
from geo_risk.risk.weather import Weather

D5 = Weather("D", 5.0)


# -- PB Appendix 6.B ------------------------------------------------------------------------------
def _pb_6b_lethality(dx: np.ndarray, dy: np.ndarray, weather: object) -> np.ndarray:
    """CO, Q = 100 kg/s, u = 5 m/s, σy = 28.8 m, σz = 10.3 m (as printed, fixed), h = z = 1 m,
    Pr = −7.4 + ln(C·t), C mg/m³, t = 30 min; zero upwind."""
    dx, dy = np.broadcast_arrays(np.asarray(dx, float), np.asarray(dy, float))
    sy, sz = 28.8, 10.3
    c = 100.0 / (2 * np.pi * 5.0 * sy * sz) * np.exp(-(dy**2) / (2 * sy**2)) * (1 + np.exp(-4 / (2 * sz**2)))
    p = ndtr(-7.4 + np.log(np.maximum(c, 1e-300) * 1e6 * 30.0) - 5.0)
    return np.where(dx > 0, p, 0.0)


def test_purple_book_appendix_6b_worked_example() -> None:
    """12 sectors, the point 361 m downwind on the sector axis (wind FROM the south → point north),
    f = 5×10⁻⁷/a, P_M·P_φ = 0.0368: IR = f · 0.0368 · 0.381936 (exact angular mean, re-computed),
    within 0.5 % of the PB's printed 7.0×10⁻⁹/a (small-angle P_ci)."""
    p = np.zeros((1, 12))
    p[0, 6] = 0.0368  # FROM 180°: blows north
    p[0, 0] = 1 - 0.0368  # FROM the north: blows south, away from the point
    rose = WindRose(("D5",), p)
    event = Event(5e-7, _pb_6b_lethality, lambda w: 2000.0, directional=True)
    grid = Grid(-38.0, 0.0, 19.0, 5, 21)  # a cell centred at (0, 361)
    ir = individual_risk(grid, [Source(0.0, 0.0, [event])], rose)
    at = float(ir[19, 2])
    assert grid.xs[2] == 0.0 and grid.ys[19] == 361.0
    assert at == pytest.approx(5e-7 * 0.0368 * 0.381936, rel=2e-3)
    assert at == pytest.approx(7.0e-9, rel=0.01)  # PB App. 6.B as printed (6.997e-9 re-computed)
    rays = individual_risk(grid, [Source(0.0, 0.0, [event])], rose, smoothing=RAYS)
    assert float(rays[19, 2]) == pytest.approx(5e-7 * 0.0368 * 0.83293, rel=1e-4)  # P_cl on the ray


# -- a new hand case: a lethal strip --------------------------------------------------------------
def _strip(width: float, length: float) -> Event:
    def lethality(dx: np.ndarray, dy: np.ndarray, weather: object) -> np.ndarray:
        dx, dy = np.broadcast_arrays(np.asarray(dx, float), np.asarray(dy, float))
        return np.where((dx > 0) & (dx <= length) & (np.abs(dy) <= width / 2), 1.0, 0.0)

    return Event(1e-4, lethality, lambda w: length * 1.01, directional=True, name="strip")


def test_a_lethal_strip_by_hand() -> None:
    """Lethal strip 20 m wide, 800 m long; 16 sectors, wind FROM N with 0.6, FROM NNE with 0.4.
    South at r: IR = f · 0.6 · 2 asin(w/2r)/Δθ; on the boundary bearing between the two sectors'
    downwind directions (191.25°): f · (0.6 + 0.4) · asin(w/2r)/Δθ; rays put all of it on the axis."""
    p = np.zeros((1, 16))
    p[0, 0], p[0, 1] = 0.6, 0.4
    rose = WindRose(("D5",), p)
    event = _strip(20.0, 800.0)
    width = math.radians(22.5)
    r = 400.0
    b = math.radians(191.25)
    pts = [(0.0, -r), (r * math.sin(b), r * math.cos(b))]
    half = math.asin(10.0 / r)
    expected = [1e-4 * 0.6 * 2 * half / width, 1e-4 * 1.0 * half / width]
    grid = Grid(-500.0, -500.0, 2.5, 401, 401)
    ir = individual_risk(grid, [Source(0.0, 0.0, [event])], rose)
    for (px, py), want in zip(pts, expected, strict=True):
        j, i = (px - grid.x0) / 2.5, (py - grid.y0) / 2.5  # bilinear read of the grid at the point
        j0, i0 = int(j), int(i)
        tj, ti = j - j0, i - i0
        got = ((1 - ti) * ((1 - tj) * ir[i0, j0] + tj * ir[i0, j0 + 1])
               + ti * ((1 - tj) * ir[i0 + 1, j0] + tj * ir[i0 + 1, j0 + 1]))
        assert got == pytest.approx(want, rel=0.03)
    rays = individual_risk(grid, [Source(0.0, 0.0, [event])], rose, smoothing=RAYS)
    assert float(rays[round((-r - grid.y0) / 2.5), 200]) == pytest.approx(1e-4 * 0.6)


def test_one_sector_rose_smoothed_by_quadrature() -> None:
    """All wind FROM the north: IR south at d = f · (1/Δθ)∫ P_hand(d cos φ, d sin φ) dφ over the
    sector (scipy quad of the hand plume and probit); upwind (north), nothing."""
    grid = Grid(-700.0, -700.0, 10.0, 141, 141)
    f = 1e-4
    rose = WindRose(("D3",), np.array([[1.0] + [0.0] * 15]))
    ir = individual_risk(grid, [Source(0.0, 0.0, [toxic_event(f, 3000.0)])], rose)
    width = math.radians(22.5)
    for d in (100.0, 300.0, 600.0):
        mean = quad(lambda a, d=d: lethality_by_hand(plume_conc_mg_m3(d * math.cos(a), d * math.sin(a))),
                    -width / 2, width / 2, limit=200)[0] / width
        assert float(ir[round((-d + 700) / 10), 70]) == pytest.approx(f * mean, rel=2e-3)
        assert float(ir[round((d + 700) / 10), 70]) == 0.0
    assert ir[grid.ys > 0, :].max() == 0.0


@pytest.mark.parametrize("n_sectors", [1, 4, 12, 16])
def test_smoothed_equals_the_slow_reference(n_sectors: int) -> None:
    """Against the reference's midpoint rule (61 sub-bearings per 22.5°, ≤ 0.37° apart: finer than the
    narrowest plume) evaluated exactly at the cells: within 1 % of the largest IR beyond 20 m of the
    sources (the polar raster's rings are 7.5 m apart there)."""
    rng = np.random.default_rng(n_sectors)
    p = rng.random((2, n_sectors))
    rose = WindRose(("D3", "F1.5"), p / p.sum())
    grid = Grid(-205.0, -195.0, 15.0, 27, 25)
    sources = [Source(0.0, 0.0, [toxic_event(2e-4, 2500.0), disc_event(60.0)]),
               Source(80.0, -40.0, [toxic_event(5e-5, 1800.0)])]
    fast = individual_risk(grid, sources, rose)
    slow = individual_risk_reference(grid, sources, rose, sub_bearings=61 * 16 // n_sectors)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    far = np.minimum(np.hypot(xs, ys), np.hypot(xs - 80, ys + 40)) > 20
    assert np.abs(fast - slow)[far].max() <= 0.01 * slow.max()
    rays = individual_risk(grid, sources, rose, smoothing=RAYS)
    assert np.abs(rays - slow)[far].max() > 0.1 * slow.max()  # the test can tell rays from smoothing


def test_smoothing_settings_are_checked() -> None:
    with pytest.raises(InvalidInput, match="'exact' or 'rays'"):
        SectorSmoothing("fan")
    with pytest.raises(InvalidInput, match="sub-bearing step"):
        SectorSmoothing(sub_bearing_max_step_deg=0.0)
    lay = SMOOTHED.layout(16)
    assert lay.n_sub % 2 == 1 and 22.5 / lay.n_sub <= 2.0 and lay.m % 2 == 0
    assert SMOOTHED.layout(3).m % 2 == 0  # an odd sector count still puts the opposite bearing on a bin
    three = SMOOTHED.layout(3)  # an even number of bins per sector: trapezoid, halves at the shared edges
    rho3 = three.density(np.full(3, 1 / 3))
    assert three.bins_per_sector % 2 == 0
    assert rho3.sum() == pytest.approx(1.0) and np.ptp(rho3) == pytest.approx(0.0, abs=1e-15)
    rho = lay.density(np.full(16, 1 / 16))
    assert rho.sum() == pytest.approx(1.0) and np.ptp(rho) == pytest.approx(0.0, abs=1e-15)


def test_fn_events_are_one_per_sub_bearing() -> None:
    """A 2 m wide lethal strip and 10 people 300 m due south on the axis of the only sector: only the
    centre sub-bearing hits them (the next one is 1.7° off: 9 m sideways), with f · p / n_sub."""
    rose = WindRose(("D5",), np.array([[1.0] + [0.0] * 15]))
    event = _strip(2.0, 800.0)
    lay = SMOOTHED.layout(16)
    f, n = societal_events(np.array([0.0]), np.array([-300.0 + 6.25]), np.array([10.0]), [Source(0.0, 0.0, [event])],
                           rose, smoothing=SectorSmoothing(radial_step_m=12.5))
    assert len(f) == lay.n_sub and f.sum() == pytest.approx(1e-4)
    assert sorted(n.tolist())[-1] == pytest.approx(10.0) and sorted(n.tolist())[-2] == 0.0
    f_rays, n_rays = societal_events(np.array([0.0]), np.array([-293.75]), np.array([10.0]),
                                     [Source(0.0, 0.0, [event])], rose, smoothing=RAYS)
    assert f_rays.tolist() == pytest.approx([1e-4]) and n_rays.tolist() == pytest.approx([10.0])


# -- the population treatment ---------------------------------------------------------------------
def _const_event(p: float, fe_in: float, fe_out: float) -> Event:
    def effects(dx, dy, w, factors=None):  # noqa: ANN001, ANN202
        shape = np.broadcast(np.asarray(dx), np.asarray(dy)).shape
        return np.full(shape, p), np.full(shape, fe_in), np.full(shape, fe_out)

    return Event(1e-5, lambda dx, dy, w: effects(dx, dy, w)[0], lambda w: 500.0, directional=False,
                 effects=effects)


@pytest.mark.parametrize(("p", "fe_in", "fe_out", "day", "night"), [
    (0.835, 0.0835, 0.835, 0.136105, 0.091015),  # toxic, PB Figure 5.2 (re-computed)
    (0.0, 0.025, 0.0, 0.02325, 0.02475),  # VCE at 0.2 barg, PB Figure 5.5
])
def test_purple_book_fatality_fractions(p: float, fe_in: float, fe_out: float, day: float, night: float) -> None:
    """One person present at both periods, in a building: N by day = 0.93 FE_in + 0.07 FE_out."""
    model = PopulationModel()
    people = model.split(np.array([[1.0, 0.0, 1.0, 0.0]]))
    f, n = societal_events(np.array([100.0]), np.array([0.0]), people, [Source(0.0, 0.0, [_const_event(p, fe_in,
                           fe_out)])], WindRose.uniform(("D5",)), population_model=model)
    assert n.tolist() == pytest.approx([day, night], rel=1e-6)
    assert f.tolist() == pytest.approx([1e-5 * 10.5 / 24, 1e-5 * 13.5 / 24])


def test_outcome_effects_follow_the_purple_book_rules() -> None:
    """Toxic FE_in = 0.1 P; fireball below 35 kW/m²: FE_in 0, FE_out 0.14 P_E, above: 1; VCE indoors
    0.025 at 0.2 bar (radius found by bisection of Kinney–Graham), 0 outdoors (PB 0.3 bar rule)."""
    tox = ToxicCloud(toxic_probit_constants("chlorine", ToxicProbitTable.SET_A_PURPLE_BOOK),
                     ContinuousRelease(5.0, 600.0))
    dx = np.linspace(50, 3000, 60)
    pe, fin, fout = tox.effects(dx, np.zeros_like(dx), D5)
    np.testing.assert_allclose(fin, 0.1 * pe)
    np.testing.assert_allclose(fout, pe)
    assert pe.max() > 0.5
    ball = Fireball(20_000.0)
    r = np.linspace(1, 1500, 400)
    pe, fin, fout = ball.effects(r, np.zeros_like(r), D5)
    sure = pe == 1.0
    assert sure.any() and (~sure & (pe > 0.01)).any()
    np.testing.assert_allclose(fin[sure], 1.0)
    np.testing.assert_allclose(fin[~sure], 0.0)
    np.testing.assert_allclose(fout[~sure], 0.14 * pe[~sure])
    vce = VapourCloudExplosion(1000.0)
    r02 = brentq(lambda x: float(kinney_graham_overpressure_pa(np.array([x]), 1000.0 * 2)[0]) - 20_000.0, 5, 5000)
    pe, fin, fout = vce.effects(np.array([r02]), np.array([0.0]), D5)
    assert (pe[0], fin[0], fout[0]) == (0.0, 0.025, 0.0)
    assert vce.effects(np.array([r02 * 0.5]), np.array([0.0]), D5)[1][0] == 1.0


def test_flash_fire_indoor_factor_is_a_setting() -> None:
    ff = FlashFire(ContinuousRelease(5.0, 600.0, 1.0), 2.1, 44.096)
    dx = np.linspace(1, 200, 50)
    pe, fin, _ = ff.effects(dx, np.zeros_like(dx), D5)
    assert pe.max() == 1.0 and np.array_equal(fin, pe)  # table default 1 (PB transcription)
    _, fin0, _ = ff.effects(dx, np.zeros_like(dx), D5, {"flash_fire": 0.0})
    assert fin0.max() == 0.0


def test_residents_and_pupils_are_not_counted_in_full_at_the_same_hour() -> None:
    """1000 residents and a 500-pupil school: by day 500 + 500 present, at night 1000 + 0."""
    homes = gpd.GeoDataFrame({"population": [1000.0]}, geometry=[box(0, 0, 100, 100)])
    school = gpd.GeoDataFrame({"population": [500.0], "kind": ["school"]}, geometry=[Point(50.0, 50.0)])
    x, y, presence = presence_places(homes, school, 25.0)
    day = presence[:, 0] + presence[:, 1]
    night = presence[:, 2] + presence[:, 3]
    assert day.sum() == pytest.approx(500.0 + 500.0) and night.sum() == pytest.approx(1000.0)
    park = gpd.GeoDataFrame({"population": [100.0], "kind": ["park"]}, geometry=[Point(0.0, 0.0)])
    _, _, pres = presence_places(None, park, 25.0)
    assert pres[:, 0].sum() == 0.0 and pres[:, 1].sum() > 0  # visitors of a park are outdoors


_OUTCOMES = {
    "toxic": as_event(ToxicCloud(toxic_probit_constants("ammonia", ToxicProbitTable.SET_A_PURPLE_BOOK),
                                 ContinuousRelease(20.0, 600.0)), 1e-5),
    "fireball": as_event(Fireball(5_000.0), 1e-6),
    "flash": as_event(FlashFire(ContinuousRelease(5.0, 600.0, 1.0), 2.1, 44.096), 1e-5),
}


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(sorted(_OUTCOMES)), share=st.floats(0.0, 1.0), seed=st.integers(0, 10_000),
       ff=st.floats(0.0, 1.0))
def test_moving_people_indoors_never_raises_n_and_never_changes_ir(kind: str, share: float, seed: int,
                                                                   ff: float) -> None:
    """Toxic, heat and flash fire: FE_in ≤ FE_out, so moving a share of the outdoor people indoors
    gives N ≤ before for every F-N event; IR is the same with any population treatment or none."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-800, 800, 40), rng.uniform(-800, 800, 40)
    before = np.column_stack([rng.uniform(0, 50, 40), rng.uniform(0, 50, 40), rng.uniform(0, 50, 40),
                              rng.uniform(0, 50, 40)])
    after = before.copy()
    for c in (1, 3):  # outdoor columns
        moved = share * before[:, c]
        after[:, c] -= moved
        after[:, c - 1] += moved
    sources = [Source(0.0, 0.0, [_OUTCOMES[kind]])]
    rose = WindRose.uniform((D5,), n_sectors=12)
    grid = Grid(-400.0, -400.0, 25.0, 33, 33)
    model = PopulationModel(flash_fire_indoor_factor=ff)
    a = risk_field(grid, sources, rose, places=(x, y, before), population_model=model)
    b = risk_field(grid, sources, rose, places=(x, y, after), population_model=model)
    np.testing.assert_array_equal(a.fn_frequency, b.fn_frequency)
    assert np.all(b.fn_deaths <= a.fn_deaths * (1 + 1e-9) + 1e-12)
    plain = risk_field(grid, sources, rose).ir
    everyone = risk_field(grid, sources, rose, places=(x, y, before.sum(axis=1))).ir
    np.testing.assert_array_equal(a.ir, plain)
    np.testing.assert_array_equal(everyone, plain)


def test_overpressure_is_the_exception_indoors_is_worse_in_the_damage_band() -> None:
    """PB Figure 5.5: between 0.1 and 0.3 bar indoors 0.025, outdoors 0: moving people indoors there
    raises N (documented, so the monotonicity property above leaves explosions out)."""
    vce = as_event(VapourCloudExplosion(1000.0), 1e-5)
    r02 = brentq(lambda x: float(kinney_graham_overpressure_pa(np.array([x]), 2000.0)[0]) - 20_000.0, 5, 5000)
    out = np.array([[0.0, 100.0, 0.0, 100.0]])
    inside = np.array([[100.0, 0.0, 100.0, 0.0]])
    rose = WindRose.uniform((D5,))
    _, n_out = societal_events(np.array([r02]), np.array([0.0]), out, [Source(0.0, 0.0, [vce])], rose)
    _, n_in = societal_events(np.array([r02]), np.array([0.0]), inside, [Source(0.0, 0.0, [vce])], rose)
    assert n_out.max() == 0.0 and n_in.tolist() == pytest.approx([2.5, 2.5])


def test_smoothed_real_outcomes_with_footprint_boxes_equal_the_slow_reference() -> None:
    """Real outcomes (puff, flash fire, a VCE centred downwind): the polar raster samples only inside
    each footprint box; the reference evaluates every cell and sub-bearing (61 per sector) exactly.
    The flash fire and the VCE are steps (1 inside, 0 outside): the raster's rings (12.5 m) smear
    an edge over about a cell, so each cell beyond 30 m of the sources must lie within the range of
    the reference over its 3 × 3 neighbourhood (2 % slack), and the totals agree within 2 %."""
    rng = np.random.default_rng(7)
    p = rng.random((2, 12))
    p[:, rng.integers(0, 12, 4)] = 0.0  # some calm sectors
    f15 = Weather("F", 1.5)
    rose = WindRose((D5, f15), p / p.sum())
    grid = Grid(-400.0, -400.0, 25.0, 33, 33)
    from geo_risk.risk.lethality import InstantaneousRelease

    puff = ToxicCloud(toxic_probit_constants("ammonia", ToxicProbitTable.SET_A_PURPLE_BOOK),
                      InstantaneousRelease(1000.0))
    events = [as_event(puff, 1e-6), as_event(FlashFire(ContinuousRelease(5.0, 600.0, 1.0), 2.1, 44.096), 2e-6),
              as_event(VapourCloudExplosion(500.0, centre_downwind_m=60.0), 1e-7)]
    assert all(e.footprint_m is not None for e in events)
    sources = [Source(0.0, 0.0, events[:2]), Source(50.0, -50.0, events[2:])]
    fast = individual_risk(grid, sources, rose)
    slow = individual_risk_reference(grid, sources, rose, sub_bearings=61)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    far = np.minimum(np.hypot(xs, ys), np.hypot(xs - 50, ys + 50)) > 30
    padded = np.pad(slow, 1, mode="edge")
    stack = np.stack([padded[1 + a : 1 + a + 33, 1 + b : 1 + b + 33] for a in (-1, 0, 1) for b in (-1, 0, 1)])
    lo, hi = stack.min(axis=0), stack.max(axis=0)
    slack = 0.02 * slow.max()
    assert slow.max() > 1e-7
    assert np.all((fast >= lo - slack) & (fast <= hi + slack) | ~far)
    assert fast.sum() == pytest.approx(slow.sum(), rel=0.02)


def test_the_engine_imports_nothing_from_layers_api_or_store() -> None:
    """geo_risk/risk (the engine) is pure: no import of layers/, api/ or geo_risk.store (issue 13)."""
    import ast
    from pathlib import Path

    import geo_risk.risk

    bad = []
    for path in Path(geo_risk.risk.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("layers", "api")
                    or n.startswith("geo_risk.store")]
    assert bad == []
