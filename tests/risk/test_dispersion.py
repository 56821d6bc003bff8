"""Dispersion against qra-method.md §8.2–§8.3, hand computations in the test and properties.

Hand formulas here do not call the module: σ, plume and puff expressions are written out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.dispersion import (
    DENSE_GAS_FLAG,
    advection_speed_m_s,
    air_density_kg_m3,
    briggs_sigma_y_m,
    briggs_sigma_z_m,
    check_dense_gas_continuous,
    check_dense_gas_instantaneous,
    gas_density_kg_m3,
    max_reach_m,
    plume_concentration_kg_m3,
    puff_concentration_kg_m3,
    puff_dose,
    puff_peak_concentration_kg_m3,
    puff_sigmas_m,
    wind_speed_at_height_m_s,
)
from geo_risk.risk.weather import Weather


def sy_rural_d(x: float) -> float:
    return 0.08 * x / math.sqrt(1 + 0.0001 * x)


def sz_rural_d(x: float) -> float:
    return 0.06 * x / math.sqrt(1 + 0.0015 * x)


# -- §8.3 self-computed ground plume ---------------------------------------------------------------


def test_ground_plume_reference_values() -> None:
    assert float(briggs_sigma_y_m(1000.0, "D")) == pytest.approx(76.277, abs=5e-4)
    assert float(briggs_sigma_z_m(1000.0, "D")) == pytest.approx(37.947, abs=5e-4)
    c = float(plume_concentration_kg_m3(1.0, 5.0, 1000.0, 0.0, 0.0, "D"))
    assert c == pytest.approx(2.1994e-5, rel=5e-5)


def test_ground_centreline_by_hand() -> None:
    """Ground source, ground receptor, centreline: c = Q/(π u σy σz)."""
    q, u = 3.0, 2.0
    for x in (150.0, 700.0, 4000.0):
        by_hand = q / (math.pi * u * sy_rural_d(x) * sz_rural_d(x))
        assert float(plume_concentration_kg_m3(q, u, x, 0.0, 0.0, "D")) == pytest.approx(by_hand, rel=1e-12)


def test_elevated_plume_with_reflection_by_hand() -> None:
    q, u, h, x, y, z = 2.0, 4.0, 20.0, 800.0, 30.0, 1.5
    sy, sz = sy_rural_d(x), sz_rural_d(x)
    by_hand = (
        q / (2 * math.pi * u * sy * sz)
        * math.exp(-(y**2) / (2 * sy**2))
        * (math.exp(-((z - h) ** 2) / (2 * sz**2)) + math.exp(-((z + h) ** 2) / (2 * sz**2)))
    )  # fmt: skip
    got = float(plume_concentration_kg_m3(q, u, x, y, z, "D", release_height_m=h))
    assert got == pytest.approx(by_hand, rel=1e-12)


def test_urban_e_f_sigma_z_uses_0_0015() -> None:
    for s in "EF":
        assert float(briggs_sigma_z_m(1000.0, s, "urban")) == pytest.approx(80 / math.sqrt(2.5), rel=1e-12)
    assert float(briggs_sigma_z_m(1000.0, "A", "urban")) == pytest.approx(240 * math.sqrt(2.0), rel=1e-12)


# -- §8.2 wind profile (GasDispersion.jl CCPS propane example) ------------------------------------


@pytest.mark.parametrize(("terrain", "expected"), [("rural", 0.8420), ("urban", 0.7990)])
def test_wind_at_3_5_m(terrain: str, expected: float) -> None:
    assert float(wind_speed_at_height_m_s(1.5, 3.5, "F", terrain)) == pytest.approx(expected, abs=5e-5)


def test_advection_speed_floor() -> None:
    w = Weather("F", 1.5)
    assert advection_speed_m_s(w, 3.5) == pytest.approx(1.5)  # floored at 10 m: the 10 m wind
    assert advection_speed_m_s(w, 40.0) == pytest.approx(1.5 * 4.0**0.55, rel=1e-12)


def test_wind_profile_rejects_zero_height() -> None:
    with pytest.raises(InvalidInput, match="> 0 m"):
        wind_speed_at_height_m_s(5.0, 0.0, "D")


# -- properties ------------------------------------------------------------------------------------

stab = st.sampled_from("ABCDEF")
terrain = st.sampled_from(["rural", "urban"])
xpos = st.floats(min_value=1.0, max_value=20_000.0)


@settings(max_examples=60)
@given(stab, terrain, xpos, st.floats(min_value=0, max_value=500), st.floats(min_value=0, max_value=500))
def test_plume_decreases_with_crosswind_distance_and_is_symmetric(
    s: str, t: str, x: float, y1: float, y2: float
) -> None:
    ys = np.array([min(y1, y2), max(y1, y2)])
    c = plume_concentration_kg_m3(1.0, 3.0, x, np.concatenate([ys, -ys]), 1.0, s, t, release_height_m=2.0)
    assert c[0] >= c[1]
    assert c[2] == c[0] and c[3] == c[1]


@settings(max_examples=60)
@given(stab, terrain, st.floats(min_value=-20_000, max_value=0), st.floats(min_value=-500, max_value=500))
def test_upwind_is_zero(s: str, t: str, x: float, y: float) -> None:
    assert float(plume_concentration_kg_m3(5.0, 2.0, x, y, 0.0, s, t)) == 0.0
    assert float(puff_peak_concentration_kg_m3(100.0, x, y, 0.0, s)) == 0.0
    assert float(puff_dose(100.0, 2.0, x, y, 0.0, s, n=2.0)) == 0.0


@settings(max_examples=40)
@given(stab, terrain, xpos, st.floats(min_value=0.1, max_value=100))
def test_plume_is_proportional_to_rate(s: str, t: str, x: float, q: float) -> None:
    one = plume_concentration_kg_m3(1.0, 3.0, x, 5.0, 0.0, s, t)
    assert float(plume_concentration_kg_m3(q, 3.0, x, 5.0, 0.0, s, t)) == pytest.approx(q * float(one), rel=1e-12)


def test_vectorised_over_any_shape() -> None:
    x = np.linspace(-100, 2000, 24).reshape(2, 3, 4)
    c = plume_concentration_kg_m3(1.0, 3.0, x, 0.0, 0.0, "D")
    assert c.shape == (2, 3, 4)
    assert c[x <= 0].tolist() == [0.0] * int((x <= 0).sum())


# -- puff ------------------------------------------------------------------------------------------


def test_puff_conserves_mass() -> None:
    """∫∫∫ c dx dy dz over z ≥ 0 equals the released mass (ground release, reflection)."""
    m, u, t = 500.0, 3.0, 200.0
    sx, sy, sz = (float(v) for v in puff_sigmas_m(u * t, "D"))
    x = np.linspace(u * t - 6 * sx, u * t + 6 * sx, 121)
    y = np.linspace(-6 * sy, 6 * sy, 121)
    z = np.linspace(0, 6 * sz, 61)
    xx, yy, zz = np.meshgrid(x, y, z, indexing="ij")
    c = puff_concentration_kg_m3(m, u, xx, yy, zz, t, "D")
    total = np.trapezoid(np.trapezoid(np.trapezoid(c, z, axis=2), y, axis=1), x)
    assert total == pytest.approx(m, rel=2e-3)


def test_puff_sigmas_ccps() -> None:
    sx, sy, sz = puff_sigmas_m(1000.0, "F")
    assert float(sx) == float(sy) == pytest.approx(0.02 * 1000**0.89, rel=1e-12)
    assert float(sz) == pytest.approx(0.05 * 1000**0.61, rel=1e-12)


def _frozen_puff_dose_numeric(m: float, u: float, x: float, y: float, n: float, window_s: float | None) -> float:
    """∫(c(t))ⁿ dt by quadrature with σ frozen at x (ground source and receptor), written out here."""
    sxy = 0.06 * x**0.92
    sz = 0.15 * x**0.70
    t_peak = x / u
    half = 8 * sxy / u if window_s is None else window_s / 2
    t = np.linspace(t_peak - half, t_peak + half, 20001)
    c = m / ((2 * math.pi) ** 1.5 * sxy * sxy * sz) * np.exp(-((x - u * t) ** 2) / (2 * sxy**2))
    c = c * math.exp(-(y**2) / (2 * sxy**2)) * 2.0
    return float(np.trapezoid(c**n, t))


@pytest.mark.parametrize(("n", "window"), [(1.0, None), (2.0, None), (2.75, None), (2.0, 60.0)])
def test_puff_dose_closed_form_against_quadrature(n: float, window: float | None) -> None:
    m, u, x, y = 1000.0, 2.0, 600.0, 15.0
    got = float(puff_dose(m, u, x, y, 0.0, "D", n=n, max_duration_s=math.inf if window is None else window))
    assert got == pytest.approx(_frozen_puff_dose_numeric(m, u, x, y, n, window), rel=1e-6)


def test_puff_dose_n1_is_plume_like_closed_form() -> None:
    """∫c dt = M/(2π u σy σz)·exp(−y²/2σy²)·2 for a ground source and receptor."""
    m, u, x = 1000.0, 2.0, 600.0
    sxy, sz = 0.06 * x**0.92, 0.15 * x**0.70
    assert float(puff_dose(m, u, x, 0.0, 0.0, "D")) == pytest.approx(m / (2 * math.pi * u * sxy * sz) * 2, rel=1e-12)


# -- reach -----------------------------------------------------------------------------------------


def test_max_reach_of_the_ground_plume_by_bisection() -> None:
    q, u, thr = 1.0, 5.0, 1e-4

    def centreline(x: float) -> float:
        return q / (math.pi * u * sy_rural_d(x) * sz_rural_d(x))

    lo, hi = 1.0, 1e5
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if centreline(mid) >= thr else (lo, mid)
    reach = max_reach_m(lambda dx, dy: plume_concentration_kg_m3(q, u, dx, dy, 0.0, "D"), thr)
    assert lo <= reach <= lo * 1.02


def test_max_reach_none_and_cap() -> None:
    assert max_reach_m(lambda dx, dy: np.zeros_like(dx), 1.0) == 0.0
    assert max_reach_m(lambda dx, dy: np.ones_like(dx), 0.5, max_distance_m=1000.0) == pytest.approx(1000.0)
    disc = max_reach_m(lambda dx, dy: (np.hypot(dx, dy) <= 123.0).astype(float), 0.5, directional=False)
    assert 123.0 <= disc <= 123.0 * 1.02


# -- dense gas -------------------------------------------------------------------------------------


def test_dense_gas_continuous_chlorine_by_hand() -> None:
    rho_a = air_density_kg_m3(293.15)
    rho = gas_density_kg_m3(70.906, 293.15)
    g0 = 9.80665 * (rho - rho_a) / rho_a
    q0 = 5.0 / rho
    d = math.sqrt(q0 / 2.0)
    value = (g0 * q0 / d) ** (1 / 3) / 2.0
    check = check_dense_gas_continuous(5.0, rho, rho_a, 2.0)
    assert check.value == pytest.approx(value, rel=1e-12)
    assert check.is_dense and check.flag == DENSE_GAS_FLAG == "passive-Gaussian approximation (dense gas)"
    assert check.threshold == 0.15


def test_dense_gas_instantaneous_by_hand_and_light_gas() -> None:
    rho_a, rho = 1.2, 2.4
    check = check_dense_gas_instantaneous(1000.0, rho, rho_a, 5.0)
    assert check.value == pytest.approx(math.sqrt(9.80665 * 1.0 * (1000 / 2.4) ** (1 / 3)) / 5.0, rel=1e-12)
    assert check.is_dense
    light = check_dense_gas_continuous(1.0, gas_density_kg_m3(16.04, 293.15), air_density_kg_m3(293.15), 5.0)
    assert light.value == 0.0 and not light.is_dense and light.flag is None


# -- bad input -------------------------------------------------------------------------------------


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="stability class 'G'"):
        plume_concentration_kg_m3(1.0, 5.0, 100.0, 0.0, 0.0, "G")
    with pytest.raises(InvalidInput, match="release rate must be ≥ 0 kg/s"):
        plume_concentration_kg_m3(-1.0, 5.0, 100.0, 0.0, 0.0, "D")
    with pytest.raises(InvalidInput, match="wind speed must be a finite number > 0 m/s"):
        plume_concentration_kg_m3(1.0, 0.0, 100.0, 0.0, 0.0, "D")
    with pytest.raises(InvalidInput, match="released mass must be ≥ 0 kg"):
        puff_dose(-5.0, 2.0, 100.0, 0.0, 0.0, "D")
    with pytest.raises(InvalidInput, match="receptor height z must be ≥ 0 m"):
        plume_concentration_kg_m3(1.0, 5.0, 100.0, 0.0, -1.0, "D")
    with pytest.raises(InvalidInput, match="downwind distance x must be finite"):
        plume_concentration_kg_m3(1.0, 5.0, np.nan, 0.0, 0.0, "D")
