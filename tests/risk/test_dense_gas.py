"""Britter–McQuaid dense-gas models against the published cases and hand computations.

Reference numbers: docs/standards/dense-gas-and-puffs.md (the Burro LNG plume, CCPS 1999 p. 122, and the
Potchefstroom puff, the workbook's example, as set up in GasDispersion.jl's tests and re-computed
independently). The correlation tables are typed here a second time, from the same note, and compared
row by row with the package's data file.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.risk.dense_gas import (
    DensePlume,
    DensePuff,
    beta_of_curve,
    bm_table,
    flashing_source,
    plume_ratio,
    puff_ratio,
)
from geo_risk.risk.dispersion import (
    DENSE_GAS_FLAG,
    CloudSpec,
    briggs_sigma_y_m,
    briggs_sigma_z_m,
    cloud_model,
    puff_sigmas_m,
)
from geo_risk.risk.lethality import ContinuousRelease, FlashFire, InstantaneousRelease, ToxicCloud
from geo_risk.risk.parameters import ToxicProbitTable, toxic_probit_constants
from geo_risk.risk.scenarios import build_scenarios
from geo_risk.risk.weather import Weather

R_GAS, P_ATM = 8.31446261815324, 101325.0
F15, D5 = Weather("F", 1.5), Weather("D", 5.0)

# (Cm/C0, [(alpha_max, slope, intercept), ...]) typed from the note's §1.3 and §1.4 tables
PLUME = {
    0.10: [(-0.55, 0, 1.75), (-0.14, 0.24, 1.88), (math.inf, -0.50, 1.78)],
    0.05: [(-0.68, 0, 1.92), (-0.29, 0.36, 2.16), (-0.18, 0, 2.06), (math.inf, -0.56, 1.96)],
    0.02: [(-0.69, 0, 2.08), (-0.31, 0.45, 2.39), (-0.16, 0, 2.25), (math.inf, -0.54, 2.16)],
    0.01: [(-0.70, 0, 2.25), (-0.29, 0.49, 2.59), (-0.20, 0, 2.45), (math.inf, -0.52, 2.35)],
    0.005: [(-0.67, 0, 2.40), (-0.28, 0.59, 2.80), (-0.15, 0, 2.63), (math.inf, -0.48, 2.56)],
    0.002: [(-0.69, 0, 2.60), (-0.25, 0.39, 2.87), (-0.13, 0, 2.77), (math.inf, -0.50, 2.71)],
}
PUFF = {
    0.10: [(-0.44, 0, 0.70), (0.43, 0.26, 0.81), (math.inf, 0, 0.93)],
    0.05: [(-0.56, 0, 0.85), (0.31, 0.26, 1.00), (math.inf, -0.12, 1.12)],
    0.02: [(-0.66, 0, 0.95), (0.32, 0.36, 1.19), (math.inf, -0.26, 1.38)],
    0.01: [(-0.71, 0, 1.15), (0.37, 0.34, 1.39), (math.inf, -0.38, 1.66)],
    0.005: [(-0.52, 0, 1.48), (0.24, 0.26, 1.62), (math.inf, -0.30, 1.75)],
    0.002: [(0.27, 0, 1.83), (math.inf, -0.32, 1.92)],
    0.001: [(-0.10, 0, 2.075), (math.inf, -0.27, 2.05)],
}


# -- the tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "typed"), [("plume", PLUME), ("puff", PUFF)])
def test_tables_row_by_row(kind: str, typed: dict) -> None:
    table = bm_table()[kind]
    assert sorted(table) == sorted(typed)
    for ratio, rows in typed.items():
        got = [(s.alpha_max, s.slope, s.intercept) for s in table[ratio]]
        assert got == rows, (kind, ratio)
        assert all(s.status == "C2" for s in table[ratio])


@pytest.mark.parametrize("kind", ["plume", "puff"])
def test_curves_are_continuous_at_every_breakpoint(kind: str) -> None:
    for ratio, segs in bm_table()[kind].items():
        for left, right in zip(segs, segs[1:], strict=False):
            a = left.alpha_max
            assert abs((left.slope * a + left.intercept) - (right.slope * a + right.intercept)) <= 0.01, (ratio, a)
        if kind == "plume":
            assert segs[-1].slope < 0, ratio  # the Kuznetsov sign typos would make this positive


def test_table_look_ups_t_bm3() -> None:
    plume = [beta_of_curve("plume", r, -0.40) for r in (0.1, 0.05, 0.02, 0.01, 0.005, 0.002)]
    assert plume == pytest.approx([1.784, 2.016, 2.21, 2.394, 2.564, 2.714], abs=1e-12)
    puff = [beta_of_curve("puff", r, 0.75) for r in (0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)]
    assert puff == pytest.approx([0.93, 1.03, 1.185, 1.375, 1.525, 1.68, 1.8475], abs=1e-12)


def test_segments_are_closed_on_the_right() -> None:
    """At a breakpoint the left segment holds: 0.10 plume curve at α = −0.55 → 1.75 (not 0.24α + 1.88 = 1.748)."""
    assert beta_of_curve("plume", 0.1, -0.55) == 1.75
    assert beta_of_curve("puff", 0.001, -0.10) == 2.075


def test_nomogram_samples_against_the_independent_digitisation() -> None:
    """Casal's digitisation (OpenSRANE) at α = −1: x/D 56.4 (0.10) and 386 (0.002); the fits within 9 %."""
    assert 10 ** beta_of_curve("plume", 0.1, -1.0) == pytest.approx(56.4, rel=0.09)
    assert 10 ** beta_of_curve("plume", 0.002, -1.0) == pytest.approx(386, rel=0.09)
    assert 10 ** beta_of_curve("plume", 0.002, 0.61) == pytest.approx(254, rel=0.09)


# -- T-BM1: Burro LNG plume ---------------------------------------------------------------------------


def burro(u: float = 10.9) -> DensePlume:
    rho_a = P_ATM * 0.02896 / (R_GAS * 298.0)
    return DensePlume(0.23 * 425.6, 1.76, 111.15, u, 298.0, rho_a)


def test_burro_intermediates() -> None:
    p = burro()
    # g = 9.80665 here against 9.80616 in the reference: 5e-5 relative in g0'
    assert p.g0 == pytest.approx(4.76677, rel=1e-4)
    assert p.length_d == pytest.approx(2.258890, rel=1e-6)
    assert p.alpha == pytest.approx(-0.417093, abs=1e-4)
    assert p.buoyancy_length == pytest.approx(0.204721, rel=1e-4)
    assert p.criterion == pytest.approx(0.4492, abs=1e-4)
    assert p.is_dense


@pytest.mark.parametrize(
    ("x", "expected"), [(45.2, 0.6720234545), (367.0, 0.0507176677), (1200.0, 0.0049214097)]
)
def test_burro_concentrations(x: float, expected: float) -> None:
    assert float(burro().ratio(x)) == pytest.approx(expected, rel=2e-4)


def test_burro_distance_to_five_percent() -> None:
    p = burro()
    lo, hi = 100.0, 1000.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if float(p.ratio(mid)) > 0.05 else (lo, mid)
    assert lo == pytest.approx(371.4, abs=0.5)


def test_burro_near_field_edge() -> None:
    """u10 = 0.8322 m/s: α = 0.7001 > 0.605, the near field stops at the 0.10 curve's point."""
    p = burro(0.8322)
    assert p.alpha == pytest.approx(0.7001, abs=1e-4)
    x_edge = 10 ** beta_of_curve("plume", 0.1, p.alpha) * p.length_d
    assert float(p.ratio(x_edge)) == pytest.approx(0.5311215219, rel=2e-4)


def test_plume_near_field_joins_at_30_d() -> None:
    assert float(plume_ratio(30.0, -0.4)) == pytest.approx(306 / (306 + 900), rel=1e-12)  # 0.2537
    assert float(plume_ratio(10.0, -0.4)) == pytest.approx(306 / 406, rel=1e-12)


def test_plume_geometry_by_hand() -> None:
    p = burro()
    lb, d = p.buoyancy_length, p.length_d
    assert p.upwind_extent_m == pytest.approx(d / 2 + 2 * lb, rel=1e-12)
    assert float(p.half_width_m(100.0)) == pytest.approx(d + 8 * lb + 2.5 * lb ** (1 / 3) * 100 ** (2 / 3), rel=1e-12)


# -- T-BM2: Potchefstroom puff ------------------------------------------------------------------------


def potchefstroom() -> DensePuff:
    rho_a = P_ATM * 0.02896 / (R_GAS * 293.15)
    return DensePuff(7.25e4 * 1.434, 1.434, 293.15, 2.0, 293.15, rho_a, temperature_correction=False)


@pytest.mark.parametrize(
    ("x", "t", "expected"),
    [(160.0, 200.0, 0.0505616), (333.0, 124.0, 0.1000000), (333.0, 1396.0, 0.0030336), (2500.0, 3125.0, 7.26e-4)],
)
def test_potchefstroom_puff(x: float, t: float, expected: float) -> None:
    p = potchefstroom()
    assert p.alpha == pytest.approx(0.64544, abs=1e-4)
    assert float(p.ratio(x, 0.0, t)) == pytest.approx(expected, rel=1e-3)


def test_puff_geometry_and_cover_times_by_hand() -> None:
    p = potchefstroom()
    r0 = (3 * 7.25e4 / (4 * math.pi)) ** (1 / 3)
    k = 1.2 * math.sqrt(p.g0 * 7.25e4)
    assert float(p.radius_m(124.0)) == pytest.approx(math.sqrt(r0**2 + k * 124.0), rel=1e-12)
    t_in, t_out = p.cover_times_s(np.array([333.0]), np.array([50.0]))
    for t in (float(t_in[0]), float(t_out[0])):  # the receptor is on the cloud's edge at both times
        xc, r = 0.8 * t, math.sqrt(r0**2 + k * t)
        assert (333.0 - xc) ** 2 + 50.0**2 == pytest.approx(r**2, rel=1e-9)
    assert float(p.ratio(333.0, 50.0, 0.5 * (t_in[0] + t_out[0]))) > 0
    assert float(p.ratio(333.0, 50.0, 0.9 * t_in[0])) == 0.0


# -- criteria ------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.floats(0.5, 500.0), st.floats(1.3, 20.0), st.floats(0.5, 12.0))
def test_continuous_criterion_is_the_alpha_criterion(rate: float, rho: float, u: float) -> None:
    """(g0' q0/(u³D))^{1/3} ≥ 0.15 ⇔ α ≥ 0.4·log10(0.15³) = −0.989 (the note's algebra)."""
    p = DensePlume(rate, rho, 293.15, u, 293.15, 1.204)
    assert p.alpha == pytest.approx(0.4 * math.log10(p.criterion**3), abs=1e-9)


def test_instantaneous_criterion_is_the_alpha_criterion() -> None:
    p = potchefstroom()
    assert math.log10(p.criterion) == pytest.approx(p.alpha, abs=1e-12)


# -- flashing ammonia: the density flag ---------------------------------------------------------------


def test_flashing_ammonia_with_aerosol_is_denser_than_air() -> None:
    """Ammonia at 20 °C flashing to T_b = 239.8 K: x_v = 1 − exp(−c_p ΔT / h_v) by hand; the cloud of
    vapour and aerosol is ~4 times as dense as air although the vapour alone is lighter."""
    cp, hv, tb, t = 4474.0, 1369.9e3, 239.82, 293.15
    xv = 1 - math.exp(-cp * (t - tb) / hv)
    rho_v = P_ATM * 17.031e-3 / (8.314462618 * tb)
    rho = 1 / (xv / rho_v + (1 - xv) / 610.6)
    src = flashing_source(t, tb, cp, hv, 17.031, 610.6)
    assert src.vapour_fraction == pytest.approx(xv, rel=1e-12)
    assert src.density_kg_m3 == pytest.approx(rho, rel=1e-12)
    assert rho_v < 1.2 < 3 * 1.2 < src.density_kg_m3
    probit = toxic_probit_constants("ammonia", ToxicProbitTable.SET_A_PURPLE_BOOK)
    vapour_only = ToxicCloud(probit, InstantaneousRelease(50_000.0, 0.0, None, tb), dispersion="passive")
    assert vapour_only.flags(D5) == ()  # the old flag: lighter than air
    flashing = ToxicCloud(probit, InstantaneousRelease(50_000.0, 0.0, src.density_kg_m3, src.temperature_k))
    assert flashing.flags(D5)[0].startswith("Britter–McQuaid dense-gas puff")
    passive = ToxicCloud(probit, InstantaneousRelease(50_000.0, 0.0, src.density_kg_m3, src.temperature_k),
                         dispersion="passive")
    assert passive.flags(D5) == (DENSE_GAS_FLAG,)


def test_scenarios_give_flashing_ammonia_its_aerosol_and_the_dense_model() -> None:
    units = pd.DataFrame({"equipment": ["pressure_vessel"], "containment": [""],
                          "dispersion_terrain": ["urban"], "dispersion_terrain_note": ["urban: test"]}, index=["U1"])
    inv = pd.DataFrame({"unit_id": ["U1"], "chemical": ["氨"], "cas": ["7664-41-7"], "max_quantity_t": [20.0],
                        "state": ["liquefied_pressurized"]})
    built = build_scenarios(units, inv, {"U1": (0.0, 0.0)})
    toxic = built.scenarios[(built.scenarios["loc"] == "G.1") & (built.scenarios["tree"] == "toxic")].iloc[0]
    assert "aerosol" in toxic.notes and "dispersion terrain urban: test" in toxic.notes
    event = built.sources[0].events[int(toxic.event_index)]
    cloud = event.lethality.__self__  # type: ignore[attr-defined]
    assert cloud.release.source_density_kg_m3 > 3 * 1.2
    assert cloud.terrain == "urban"
    assert cloud.flags(F15)[0].startswith("Britter–McQuaid dense-gas puff")


# -- the cloud model: transition, mass, bounds ---------------------------------------------------------


def chlorine_spec(instantaneous: bool = True) -> CloudSpec:
    if instantaneous:
        return CloudSpec(True, 85_000.0, math.inf, 0.0, 70.906, None, 239.1)
    return CloudSpec(False, 85_000.0 / 600, 600.0, 0.0, 70.906, None, 239.1)


@pytest.mark.parametrize("weather", [F15, D5])
def test_plume_transition_is_continuous_and_gaussian_beyond(weather: Weather) -> None:
    cloud = cloud_model(chlorine_spec(False), weather)
    assert cloud.model == "dense_plume"
    xt = cloud.transition_m
    near = float(cloud._dense_plume_conc(np.array(xt * (1 - 1e-7)), np.array(0.0)))
    far = float(cloud._dense_plume_conc(np.array(xt * (1 + 1e-7)), np.array(0.0)))
    assert far == pytest.approx(near, rel=0.01)  # matched at the ground; the receptor is at 1 m
    # beyond: the Gaussian plume of the virtual source, by hand
    x, s = xt + 500.0, xt + 500.0 + cloud.virtual_distance_m
    sy, sz = float(briggs_sigma_y_m(s, weather.stability)), float(briggs_sigma_z_m(s, weather.stability))
    q, u = 85_000.0 / 600, weather.wind_speed_10m_m_s
    hand = q / (2 * math.pi * u * sy * sz) * 2 * math.exp(-1 / (2 * sz**2))
    assert float(cloud._dense_plume_conc(np.array(x), np.array(0.0))) == pytest.approx(hand, rel=1e-9)


def test_puff_transition_matches_the_gaussian_peak() -> None:
    cloud = cloud_model(chlorine_spec(True), F15)
    assert cloud.model == "dense_puff"
    s = cloud.transition_m + cloud.virtual_distance_m
    sx, sy, sz = (float(v) for v in puff_sigmas_m(s, "F", 0.0, True))
    ground = 2 * 85_000.0 / ((2 * math.pi) ** 1.5 * sx * sy * sz)
    d = cloud.dense
    c_t = cloud.ambient_gas_density_kg_m3 * float(d.ratio_at_edge(cloud.transition_m))  # type: ignore[union-attr]
    assert ground == pytest.approx(c_t, rel=1e-6)


def test_dense_puff_conserves_the_released_mass_in_the_far_field() -> None:
    """Far field C ≈ C_iso·T_a/T_s, so C·ρ_gas(T_a) = C_iso·ρ_s: the mass concentration is the dilution of
    the source cloud (with aerosol, ρ_s is the mixture's; the conversion carries the aerosol's share)."""
    rho_mix = 20.0
    spec = CloudSpec(True, 85_000.0, math.inf, 0.0, 70.906, rho_mix, 239.1)
    cloud = cloud_model(spec, D5)
    d = cloud.dense
    x_edge = 0.5 * cloud.transition_m
    c_iso = float(DensePuff(85_000.0, rho_mix, 239.1, 5.0, 293.15, d.air_density_kg_m3,  # type: ignore[union-attr]
                            temperature_correction=False).ratio_at_edge(x_edge))
    c = cloud.ambient_gas_density_kg_m3 * float(d.ratio_at_edge(x_edge))  # type: ignore[union-attr]
    assert c == pytest.approx(c_iso * rho_mix, rel=0.02)


def test_a_continuous_release_far_away_blends_into_the_lower_of_plume_and_puff() -> None:
    """Model 2.5.0 (dense-gas-and-puffs.md §1.2a): with r = u10·t_d/d, the steady plume where r ≥ 2.5 (C1);
    the lower of the steady plume and the puff of the whole release where r ≤ 0.6 (UNCONFIRMED); between,
    the lower + w·(steady − lower), w = ln(r/0.6)/ln(2.5/0.6) (CHOICE). D5, 10 min: u10·t_d = 3,000 m, so
    the plume to 1,200 m, the lower beyond 5,000 m; at 3,000 m r = 1, w = ln(1/0.6)/ln(2.5/0.6) = 0.358."""
    plume = cloud_model(chlorine_spec(False), D5)
    puff = cloud_model(chlorine_spec(True), D5)
    args = (2.75, 1e6, 1800.0)
    x_far = np.array([1201.0, 3000.0, 5001.0, 6000.0])
    steady = (1e6 * plume._dense_plume_conc(x_far, 0 * x_far)) ** 2.75 * 600.0
    whole = puff.toxic_load(x_far, 0 * x_far, *args)
    low = np.minimum(steady, whole)
    r = 5.0 * 600.0 / x_far
    w = np.clip(np.log(r / 0.6) / math.log(2.5 / 0.6), 0.0, 1.0)
    assert w[1] == pytest.approx(0.35795, abs=1e-5) and w[2] == 0.0 and w[3] == 0.0
    assert 0.9 < w[0] < 1.0
    np.testing.assert_allclose(plume.toxic_load(x_far, 0 * x_far, *args), low + w * (steady - low), rtol=1e-12)
    assert whole[0] < steady[0] and whole[-1] > steady[-1]  # each of the two is the lower somewhere
    x_near = np.array([50.0, 1199.0])
    c = plume._dense_plume_conc(x_near, 0 * x_near)
    np.testing.assert_allclose(plume.toxic_load(x_near, 0 * x_near, *args), (1e6 * c) ** 2.75 * 600.0)
    # off the axis the distance from the source counts: (1,100, 500) is 1,208 m away, beyond 1,200 m
    x1, y1 = np.array([1100.0]), np.array([500.0])
    st1 = (1e6 * float(plume._dense_plume_conc(x1, y1)[0])) ** 2.75 * 600.0
    wh1 = float(puff.toxic_load(x1, y1, *args)[0])
    w1 = math.log(3000.0 / math.hypot(1100.0, 500.0) / 0.6) / math.log(2.5 / 0.6)
    assert wh1 < st1 and float(plume.toxic_load(x1, y1, *args)[0]) == pytest.approx(wh1 + w1 * (st1 - wh1), rel=1e-12)


def test_puff_near_field_before_the_first_curve() -> None:
    """α = −0.5: the 0.10 curve starts at β = 0.70 (x′ = 5.01); before it C/C0 = 3.24/(3.24 + x′²) > 0.10."""
    assert float(puff_ratio(4.5, -0.5)) == pytest.approx(3.24 / (3.24 + 4.5**2), rel=1e-12)
    assert float(puff_ratio(5.0, -0.5)) == pytest.approx(3.24 / (3.24 + 25.0), rel=1e-12)
    assert float(puff_ratio(8.0, 0.645)) == 0.1  # floored at the first curve


def test_dense_threshold_of_a_continuous_release() -> None:
    """The criterion falls as u^(−5/6): Burro's 0.4492 at 10.9 m/s is 0.18 at 32.6 m/s (dense) and 0.137
    at 45 m/s (passive: the cloud model takes the Gaussian)."""
    assert burro(32.6).criterion == pytest.approx(0.4492 * (10.9 / 32.6) ** (5 / 6), rel=1e-3)
    assert burro(32.6).is_dense and not burro(45.0).is_dense
    spec = CloudSpec(False, 0.23 * 425.6, 600.0, 0.0, 16.043, 1.76, 111.15)
    assert cloud_model(spec, Weather("D", 32.6)).model == "dense_plume"
    assert cloud_model(spec, Weather("D", 45.0)).model == "passive_plume"


def test_dense_threshold_of_an_instantaneous_release() -> None:
    """√(g0′V0^{1/3})/u ∝ 1/u: Potchefstroom's 4.42 at 2 m/s is 0.30 at 29.5 m/s (dense) and 0.177 at 50 m/s."""
    def at(u: float) -> DensePuff:
        rho_a = P_ATM * 0.02896 / (R_GAS * 293.15)
        return DensePuff(7.25e4 * 1.434, 1.434, 293.15, u, 293.15, rho_a)

    assert at(29.5).criterion == pytest.approx(potchefstroom().criterion * 2.0 / 29.5, rel=1e-12)
    assert 0.2 < at(29.5).criterion < 0.4 and at(29.5).is_dense
    assert at(50.0).criterion < 0.2 and not at(50.0).is_dense


def test_transition_where_the_diluted_cloud_stops_being_dense() -> None:
    """Criterion₀ 0.2 (isothermal): the local criterion 0.2·(C/C0)^{1/6} reaches 0.15 at C/C0 = 0.75⁶ = 0.178,
    before the end of the correlation."""
    rho_a = 1.204
    p = DensePlume(10.0, 3.0, 293.15, 1.0, 293.15, rho_a)
    u = (p.criterion / 0.2) ** (6 / 5) * 1.0  # criterion ∝ u^(−5/6)
    p = DensePlume(10.0, 3.0, 293.15, u, 293.15, rho_a)
    assert p.criterion == pytest.approx(0.2, rel=1e-9)
    x_t, why = p.transition_m()
    assert "no longer dense" in why
    assert float(plume_ratio(x_t / p.length_d, p.alpha)) == pytest.approx(0.75**6, rel=1e-6)


def test_dense_plume_is_a_top_hat_of_half_width_l_h() -> None:
    cloud = cloud_model(chlorine_spec(False), D5)
    x = 0.5 * cloud.transition_m
    lh = float(cloud.dense.half_width_m(x))  # type: ignore[union-attr]
    inside, outside = cloud._dense_plume_conc(np.array([x, x]), np.array([lh * 0.999, lh * 1.001]))
    assert inside > 0 and outside == 0.0


def test_dense_puff_load_is_the_integral_over_at_most_30_min_of_cover() -> None:
    """Independent quadrature of the cloud-mean history (DensePuff.ratio at the receptor) over the first
    1800 s of cover; the cover lasts longer than that here."""
    from scipy.integrate import quad

    cloud = cloud_model(chlorine_spec(True), F15)
    d = cloud.dense
    x, y = 0.6 * cloud.transition_m, 100.0
    t_in, t_out = (float(v[0]) for v in d.cover_times_s(np.array([x]), np.array([y])))  # type: ignore[union-attr]
    assert t_out - t_in > 1800.0

    def c(t: float) -> float:
        return 1e6 * cloud.ambient_gas_density_kg_m3 * float(d.ratio(x, y, t))  # type: ignore[union-attr]

    hand = quad(lambda t: c(t) ** 2.75, t_in * (1 + 1e-9), t_in + 1800.0, limit=200)[0]
    got = float(cloud.toxic_load(np.array(x), np.array(y), 2.75, 1e6, 1800.0))
    assert got == pytest.approx(hand, rel=2e-3)


def test_a_large_release_in_light_wind_is_no_wider_than_its_puff() -> None:
    """2,000 t of LPG over 600 s in F1.5: the steady-state plume would be tens of km wide at the source
    (D + 8 l_b); u10·t_d = 900 m, so beyond d = 900/0.6 = 1,500 m from the source it is instantaneous and
    the puff of the whole mass bounds it (model 2.5.0: within 900/2.5 = 360 m it is the steady plume, and
    between the log-linear blend, dense-gas-and-puffs.md §1.2a)."""
    spec = CloudSpec(False, 2e6 / 600, 600.0, 0.0, 44.096, 7.0, 231.0)
    cloud = cloud_model(spec, F15)
    assert cloud.model == "dense_plume"
    assert float(cloud.dense.half_width_m(0.0)) > 10_000.0  # type: ignore[union-attr]
    x = np.array([100.0, 100.0, -500.0, 2000.0])
    y = np.array([0.0, 5000.0, 0.0, 300.0])
    whole = cloud_model(CloudSpec(True, 2e6, math.inf, 0.0, 44.096, 7.0, 231.0), F15)
    got = cloud.concentration_kg_m3(x, y)
    steady = cloud._dense_plume_conc(x, y)
    low = np.minimum(steady, whole.concentration_kg_m3(x, y))
    w = np.array([1.0, 0.0, math.log(900.0 / 500.0 / 0.6) / math.log(2.5 / 0.6), 0.0])  # d = 100, 5,001, 500, 2,022 m
    np.testing.assert_allclose(got, low + w * (steady - low), rtol=1e-12)
    # 5 km crosswind is inside the steady state's L_H but beyond the whole release's gravity spread (R ≈ 1.6 km)
    assert float(cloud.dense.half_width_m(100.0)) > 5000.0  # type: ignore[union-attr]
    assert got[1] == 0.0 and steady[1] == 0.0 and low[2] < got[2] < steady[2]


def test_issue_13_figures() -> None:
    """85 t of chlorine in F1.5: the old point puff peaked at 35 kg/m³ at 1 km (ten times pure chlorine
    vapour); the dense cloud stays below the source concentration and the 2,000 t propane LFL
    footprint is no longer tens of km."""
    cloud = cloud_model(chlorine_spec(True), F15)
    c_1km = float(cloud.concentration_kg_m3(np.array(1000.0), np.array(0.0)))
    assert c_1km < 0.01 < 35.0  # kg/m³
    propane = FlashFire(InstantaneousRelease(2_000_000.0), 2.1, 44.096)
    assert propane.max_distance_m(F15) < 3000.0


# -- physical bounds as properties -----------------------------------------------------------------


releases = st.tuples(
    st.booleans(),
    st.floats(1.0, 2e6),  # kg or kg/s
    st.floats(60.0, 3600.0),
    st.floats(0.0, 10.0),  # at or below the 10 m advection floor: the cloud moves at u10
    st.sampled_from([17.031, 44.096, 70.906, 98.92, 16.043]),
    st.one_of(st.none(), st.floats(0.3, 30.0)),
    st.one_of(st.none(), st.floats(110.0, 300.0)),
    st.sampled_from(["auto", "passive"]),
    st.sampled_from([None, "rural", "urban"]),
)
weathers = st.sampled_from([Weather(s, u) for s, u in (("B", 3.0), ("D", 1.5), ("D", 5.0), ("D", 9.0),
                                                         ("E", 5.0), ("F", 1.5))])


def _spec(r: tuple) -> CloudSpec:
    inst, amount, dur, h, mm, rho, ts, mode, terrain = r
    if inst:
        return CloudSpec(True, amount, math.inf, h, mm, rho, ts, mode, terrain)
    return CloudSpec(False, amount / 100.0, dur, h, mm, rho, ts, mode, terrain)


@settings(max_examples=80, deadline=None)
@given(releases, weathers, st.floats(-200.0, 12_000.0), st.floats(-3000.0, 3000.0))
def test_no_concentration_above_the_source_concentration(r: tuple, w: Weather, x: float, y: float) -> None:
    cloud = cloud_model(_spec(r), w)
    xs = np.array([x, x * 0.01, 0.5, 1e-3])
    c = cloud.concentration_kg_m3(xs, np.full_like(xs, y * 0.01))
    assert np.all(c <= cloud.source_concentration_kg_m3 * (1 + 1e-12))
    assert np.all(c >= 0)


@settings(max_examples=40, deadline=None)
@given(releases, weathers)
def test_no_lethal_reach_beyond_the_travel_time_limit(r: tuple, w: Weather) -> None:
    spec = _spec(r)
    probit = toxic_probit_constants("chlorine", ToxicProbitTable.SET_A_PURPLE_BOOK)
    if spec.instantaneous:
        release = InstantaneousRelease(spec.amount, spec.height_m, spec.source_density_kg_m3, spec.source_temperature_k)
    else:
        release = ContinuousRelease(spec.amount, spec.duration_s, spec.height_m, spec.source_density_kg_m3,
                                    spec.source_temperature_k)
    cloud = ToxicCloud(probit, release, spec.molar_mass_g_per_mol, dispersion=spec.mode, terrain=spec.terrain)
    limit = min(10_000.0, w.wind_speed_10m_m_s * 3600.0)  # Briggs' 10 km; one hour at u10
    x = np.linspace(limit * 1.0001, limit * 3, 50)
    assert np.all(cloud.lethality(x, np.zeros_like(x), w) == 0.0)
    assert cloud.max_distance_m(w) <= limit * 1.02  # one radial sampling step
