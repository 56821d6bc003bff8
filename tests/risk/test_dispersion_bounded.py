"""Bounded passive clouds (issue 13): finite initial puff, along-wind spread, the distance limit, and the
urban/rural choice from land use. Hand formulas are written out here; the published point-puff vector
is GasDispersion.jl's propane example (docs/standards/dense-gas-and-puffs.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.dispersion import (
    CloudSpec,
    cloud_model,
    dispersion_constants,
    distance_limit_m,
    finite_puff_initial_sigma_m,
    puff_concentration_kg_m3,
    puff_peak_concentration_kg_m3,
    puff_sigmas_m,
    terrain_by_land_use,
    terrain_from_built_up_fraction,
)
from geo_risk.risk.weather import Weather

F15, D5 = Weather("F", 1.5), Weather("D", 5.0)


def test_point_puff_vector_propane() -> None:
    """0.8991799 kg of propane at 3.5 m, F, 1.150113 m/s: (100, 0, 2) m at 86 s → 3.394005e-3 v/v."""
    c = float(puff_concentration_kg_m3(0.8991799, 1.150113, 100.0, 0.0, 2.0, 86.0, "F", 3.5))
    rho = 101325.0 * 44.096e-3 / (8.31446261815324 * 298.15)  # v/v → kg/m³ at 25 °C
    assert c / rho == pytest.approx(3.394005e-3, rel=2e-5)


@pytest.mark.parametrize(("v0", "sigma0"), [(100.0, 2.333), (1000.0, 5.026), (0.0, 0.0)])
def test_initial_sigma(v0: float, sigma0: float) -> None:
    assert finite_puff_initial_sigma_m(v0) == pytest.approx(sigma0, abs=1e-3)


def test_finite_puff_starts_at_the_source_concentration() -> None:
    """With σx = σy = σz = σ0 the ground-reflected peak is 2M/((2π)^{3/2} σ0³) = M/V0."""
    m, v0 = 1000.0, 400.0
    c = float(puff_peak_concentration_kg_m3(m, 1e-9, 0.0, 0.0, "D", 0.0, v0))
    assert c == pytest.approx(m / v0, rel=1e-6)


def test_finite_puff_virtual_sources_by_hand() -> None:
    m, v0, x = 5000.0, 2500.0, 300.0
    s0 = (2 * v0 / (2 * math.pi) ** 1.5) ** (1 / 3)
    sy = 0.04 * (x + (s0 / 0.04) ** (1 / 0.92)) ** 0.92  # class E
    sz = 0.10 * (x + (s0 / 0.10) ** (1 / 0.65)) ** 0.65
    sx = max(sy, 0.13 * x + s0)
    got = puff_sigmas_m(x, "E", s0, along_wind=True)
    assert [float(v) for v in got] == pytest.approx([sx, sy, sz], rel=1e-12)
    peak = m / ((2 * math.pi) ** 1.5 * sx * sy * sz) * 2 * math.exp(-1 / (2 * sz**2))
    assert float(puff_peak_concentration_kg_m3(m, x, 0.0, 1.0, "E", 0.0, v0, True)) == pytest.approx(peak, rel=1e-12)


def test_along_wind_spread_is_the_yellow_book_0_13_x() -> None:
    assert dispersion_constants()["puff_sigma_x_along_wind_coefficient"].value == 0.13
    sx, sy, _ = puff_sigmas_m(1000.0, "F", 0.0, along_wind=True)
    assert float(sy) == pytest.approx(0.02 * 1000**0.89, rel=1e-12)
    assert float(sx) == pytest.approx(130.0, rel=1e-12)  # ≫ σy = 9.3 m in F


def test_old_85_t_chlorine_point_puff_against_the_bounded_one() -> None:
    """The issue's figure: the point puff peaks at ~35 kg/m³ at 1 km in F1.5; the bounded one cannot
    exceed pure chlorine vapour (2.95 kg/m³ at 20 °C)."""
    assert float(puff_peak_concentration_kg_m3(85_000.0, 1000.0, 0.0, 1.0, "F")) == pytest.approx(34.93, rel=1e-3)
    cloud = cloud_model(CloudSpec(True, 85_000.0, math.inf, 0.0, 70.906, mode="passive"), F15)
    rho = 101325.0 * 70.906e-3 / (8.314462618 * 293.15)
    assert cloud.source_concentration_kg_m3 == pytest.approx(rho, rel=1e-9)
    x = np.geomspace(0.01, 5000.0, 400)
    assert cloud.concentration_kg_m3(x, 0 * x).max() <= rho


@pytest.mark.parametrize(("weather", "limit"), [(F15, 5400.0), (Weather("D", 1.5), 5400.0), (D5, 10_000.0),
                                               (Weather("B", 3.0), 10_000.0)])
def test_distance_limit_per_weather_class(weather: Weather, limit: float) -> None:
    assert distance_limit_m(weather)[0] == pytest.approx(limit, rel=1e-12)
    cloud = cloud_model(CloudSpec(False, 50.0, 600.0, 0.0, 70.906, mode="passive"), weather)
    r = np.array([limit * 0.999, limit * 1.001])
    c = cloud.concentration_kg_m3(r * 0.8, r * 0.6)  # at distance r, off the axis
    assert c[0] > 0 and c[1] == 0.0


@settings(max_examples=50, deadline=None)
@given(st.floats(1.0, 1e6), st.floats(0.0, 5000.0), st.floats(-500.0, 500.0),
       st.sampled_from(["A", "B", "C", "D", "E", "F"]))
def test_finite_puff_never_exceeds_its_source_concentration(m: float, x: float, y: float, s: str) -> None:
    v0 = m / 1.5
    for t in (0.0, 0.5, x / 2.0 + 1e-3, 100.0):
        c = puff_concentration_kg_m3(m, 2.0, np.array([x, x * 1e-3]), y, np.array([0.0, 1.0]), t, s, 0.0, v0, True)
        assert np.all(c <= m / v0 * (1 + 1e-12))
    assert float(puff_peak_concentration_kg_m3(m, x, y, 0.0, s, 0.0, v0, True)) <= m / v0 * (1 + 1e-12)


# -- urban or rural ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stability", "u"), [("D", 5.0), ("F", 1.5)])
def test_urban_briggs_is_6_to_9_times_lower_at_2_km(stability: str, u: float) -> None:
    """Ground source, receptor at 1 m: c ∝ exp(−1/(2σz²))/(σy σz); Briggs rural and urban rows by hand."""
    x = 2000.0
    if stability == "D":
        rural = (0.08 * x / math.sqrt(1 + 1e-4 * x), 0.06 * x / math.sqrt(1 + 0.0015 * x))
        urban = (0.16 * x / math.sqrt(1 + 4e-4 * x), 0.14 * x / math.sqrt(1 + 3e-4 * x))
    else:
        rural = (0.04 * x / math.sqrt(1 + 1e-4 * x), 0.016 * x / (1 + 3e-4 * x))
        urban = (0.11 * x / math.sqrt(1 + 4e-4 * x), 0.08 * x / math.sqrt(1 + 0.0015 * x))

    def c(sy: float, sz: float) -> float:
        return math.exp(-1 / (2 * sz**2)) / (sy * sz)

    w = Weather(stability, u)
    spec = dict(instantaneous=False, amount=10.0, duration_s=600.0, height_m=0.0, molar_mass_g_per_mol=28.0,
                mode="passive")
    c_r = float(cloud_model(CloudSpec(**spec, terrain="rural"), w).concentration_kg_m3(np.array(x), np.array(0.0)))
    c_u = float(cloud_model(CloudSpec(**spec, terrain="urban"), w).concentration_kg_m3(np.array(x), np.array(0.0)))
    assert 6.0 <= c(*rural) / c(*urban) <= 9.0
    assert c_r / c_u == pytest.approx(c(*rural) / c(*urban), rel=1e-9)


def test_terrain_threshold_and_statement() -> None:
    assert terrain_from_built_up_fraction(0.5).terrain == "urban"  # at the threshold: urban
    assert terrain_from_built_up_fraction(0.4999).terrain == "rural"
    none = terrain_from_built_up_fraction(None, "rural")
    assert none.terrain == "rural" and "no land-use layer" in none.note
    assert "built-up fraction 0.62 within 1000 m ≥ 0.5" in terrain_from_built_up_fraction(0.62).note
    with pytest.raises(InvalidInput, match=r"built-up fraction must be a number in \[0, 1\]"):
        terrain_from_built_up_fraction(1.5)


def test_built_up_fraction_from_polygons_by_hand() -> None:
    """Land x > −d around a source at the origin: the disc's share is ½ + (asin(d/R) + (d/R)√(1 − (d/R)²))/π."""
    r, d = 1000.0, 300.0
    box = shapely.box(-d, -5000.0, 5000.0, 5000.0)
    far = shapely.box(50_000.0, 0.0, 51_000.0, 1000.0)
    choice = terrain_by_land_use({"a": (0.0, 0.0), "b": (-3000.0, 0.0)}, [box, far])
    share = 0.5 + (math.asin(d / r) + (d / r) * math.sqrt(1 - (d / r) ** 2)) / math.pi
    assert choice["a"].built_up_fraction == pytest.approx(share, abs=2e-3)
    assert choice["a"].terrain == "urban"
    assert choice["b"].built_up_fraction == 0.0 and choice["b"].terrain == "rural"
    assert terrain_by_land_use({"a": (0.0, 0.0)}, None, "urban")["a"].terrain == "urban"
