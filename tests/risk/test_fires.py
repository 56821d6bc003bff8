"""Fires: hand computations of the correlations, an independent view-factor quadrature, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.fires import (
    atmospheric_transmissivity,
    burgess_burning_rate_kg_m2_s,
    fireball,
    fireball_diameter_m,
    fireball_duration_s,
    flash_fire_lethality,
    jet_fire,
    lfl_kg_m3,
    mudan_croce_sep_w_m2,
    planar_view_factor,
    pool_fire,
    thomas_flame_height_m,
)


def test_burgess_by_hand() -> None:
    # hexane-like: ΔHc 44.7 MJ/kg, ΔHv 0.335 MJ/kg, cp 2270 J/(kg K), Tb 342 K, Ta 293.15 K
    by_hand = 1e-3 * 44.7e6 / (0.335e6 + 2270 * (342 - 293.15))
    assert burgess_burning_rate_kg_m2_s(44.7e6, 0.335e6, 2270, 342, 293.15) == pytest.approx(by_hand, rel=1e-12)
    # a liquefied gas (Tb < Ta): no sensible-heat term
    assert burgess_burning_rate_kg_m2_s(46.3e6, 0.426e6, 2520, 231, 293.15) == pytest.approx(1e-3 * 46.3e6 / 0.426e6)


def test_thomas_and_mudan_by_hand() -> None:
    d, m, rho = 10.0, 0.08, 1.2
    assert thomas_flame_height_m(d, m, rho) == pytest.approx(42 * d * (m / (rho * math.sqrt(9.80665 * d))) ** 0.61)
    assert mudan_croce_sep_w_m2(d) == pytest.approx(140e3 * math.exp(-1.2) + 20e3 * (1 - math.exp(-1.2)))


def _view_factor_quadrature(c: float, w: float, h: float, n: int = 801) -> float:
    """F = ∫∫ cosθ₁ cosθ₂ / (π S²) dA = ∫∫ c² / (π S⁴) dy dz over the rectangle, written out here."""
    y = np.linspace(-w / 2, w / 2, n)
    z = np.linspace(0, h, n)
    yy, zz = np.meshgrid(y, z, indexing="ij")
    s2 = c**2 + yy**2 + zz**2
    return float(np.trapezoid(np.trapezoid(c**2 / (np.pi * s2**2), z, axis=1), y))


@pytest.mark.parametrize(("c", "w", "h"), [(5.0, 10.0, 20.0), (30.0, 20.0, 35.0), (200.0, 15.0, 25.0)])
def test_planar_view_factor_against_quadrature(c: float, w: float, h: float) -> None:
    assert float(planar_view_factor(c, w, h)) == pytest.approx(_view_factor_quadrature(c, w, h), rel=2e-4)


def test_planar_view_factor_limits() -> None:
    assert float(planar_view_factor(0.0, 10.0, 20.0)) == 0.5
    assert float(planar_view_factor(1e-6, 10.0, 20.0)) == pytest.approx(0.5, abs=1e-6)
    f = planar_view_factor(np.geomspace(0.1, 1e4, 200), 10.0, 20.0)
    assert np.all(np.diff(f) < 0)


def test_pool_fire_flux_engulfment_and_exposure_cap() -> None:
    exp = pool_fire(np.array([0.0, 5.0, 5.0001, 50.0]), 10.0, 20.0, 60e3, duration_s=600.0)
    assert exp.engulfed.tolist() == [True, True, False, False]
    assert exp.heat_flux_w_m2[0] == 60e3
    assert exp.heat_flux_w_m2[3] == pytest.approx(60e3 * _view_factor_quadrature(45.0, 10.0, 20.0), rel=2e-4)
    assert exp.exposure_s == 20.0  # capped
    assert pool_fire(10.0, 10.0, 20.0, 60e3, duration_s=12.0).exposure_s == 12.0


def test_jet_fire_by_hand() -> None:
    q = jet_fire(50.0, 2.0, 46e6, radiative_fraction=0.2).heat_flux_w_m2
    assert float(q) == pytest.approx(0.2 * 2.0 * 46e6 / (4 * math.pi * 50.0**2), rel=1e-12)
    assert float(jet_fire(50.0, 2.0, 46e6).heat_flux_w_m2) == pytest.approx(1.5 * float(q))  # default 0.3


@settings(max_examples=60)
@given(st.floats(min_value=0.5, max_value=5000.0), st.floats(min_value=0.01, max_value=500.0))
def test_jet_fire_flux_is_inverse_square(r: float, rate: float) -> None:
    q1 = float(jet_fire(r, rate, 46e6).heat_flux_w_m2)
    q2 = float(jet_fire(2 * r, rate, 46e6).heat_flux_w_m2)
    assert q1 * r**2 == pytest.approx(q2 * (2 * r) ** 2, rel=1e-12)


def test_fireball_by_hand() -> None:
    assert fireball_diameter_m(1000.0) == pytest.approx(58.0, rel=1e-12)
    assert fireball_duration_s(1000.0) == pytest.approx(4.5, rel=1e-12)
    assert fireball_duration_s(1e5) == pytest.approx(2.6 * 1e5 ** (1 / 6), rel=1e-12)
    d = 58.0
    h = 0.75 * d
    exp = fireball(100.0, 1000.0, sep_w_m2=270e3)
    assert float(exp.heat_flux_w_m2) == pytest.approx(270e3 * (d / 2) ** 2 / (100.0**2 + h**2), rel=1e-12)
    assert exp.exposure_s == pytest.approx(4.5)
    assert float(fireball(100.0, 1000.0).heat_flux_w_m2) == pytest.approx(350e3 / 270e3 * float(exp.heat_flux_w_m2))


def test_fireball_sep_outside_band_raises() -> None:
    with pytest.raises(InvalidInput, match="reference band 200000–350000 W/m²"):
        fireball(100.0, 1000.0, sep_w_m2=400e3)


def test_lfl_and_flash_fire() -> None:
    lfl = lfl_kg_m3(2.1, 44.096, 293.15)
    assert lfl == pytest.approx(0.021 * 101325 * 0.044096 / (8.314462618 * 293.15), rel=1e-12)
    c = np.array([0.0, 0.999 * lfl, lfl, 3 * lfl])
    assert flash_fire_lethality(c, lfl).tolist() == [0.0, 0.0, 1.0, 1.0]


def test_transmissivity() -> None:
    tau = atmospheric_transmissivity(np.array([0.0, 100.0]), 1700.0)
    assert tau[0] == 1.0
    assert tau[1] == pytest.approx(2.02 * (1700.0 * 100.0) ** -0.09, rel=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="fireball mass must be a finite number > 0 kg"):
        fireball(10.0, -5.0)
    with pytest.raises(InvalidInput, match="distance must be ≥ 0 m"):
        jet_fire(-1.0, 1.0, 46e6)
    with pytest.raises(InvalidInput, match="release rate must be ≥ 0 kg/s"):
        jet_fire(1.0, -1.0, 46e6)
    with pytest.raises(InvalidInput, match="transmissivity must be in"):
        pool_fire(10.0, 10.0, 20.0, 60e3, transmissivity=1.5)
