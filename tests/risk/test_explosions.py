"""VCE by TNT equivalence: hand computations, Hopkinson scaling, monotonicity, lethality rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.explosions import (
    DEFAULT_OVERPRESSURE_RULE,
    kinney_graham_impulse_pa_s,
    kinney_graham_overpressure_pa,
    overpressure_lethality,
    scaled_distance_m_kg13,
    tnt_equivalent_mass_kg,
)


def kg_by_hand(z: float) -> float:
    """Kinney & Graham (1985) eq. 6-2, ps/pa, written out."""
    return (
        808 * (1 + (z / 4.5) ** 2) / math.sqrt((1 + (z / 0.048) ** 2) * (1 + (z / 0.32) ** 2) * (1 + (z / 1.35) ** 2))
    )


def test_tnt_mass_by_hand() -> None:
    assert tnt_equivalent_mass_kg(1000.0, 46e6) == pytest.approx(0.04 * 1000 * 46e6 / 4.6e6)  # default yield 4 %
    assert tnt_equivalent_mass_kg(1000.0, 46e6, 0.03) == pytest.approx(300.0)
    assert tnt_equivalent_mass_kg(0.0, 46e6) == 0.0


def test_overpressure_by_hand_surface_burst() -> None:
    w, r = 400.0, 120.0
    z = r / (2 * w) ** (1 / 3)
    assert float(scaled_distance_m_kg13(r, w)) == pytest.approx(z)
    assert float(kinney_graham_overpressure_pa(r, w)) == pytest.approx(101325 * kg_by_hand(z), rel=1e-12)
    z_free = r / w ** (1 / 3)
    assert float(kinney_graham_overpressure_pa(r, w, surface_burst=False)) == pytest.approx(101325 * kg_by_hand(z_free))


def test_known_point_of_the_fit() -> None:
    """At Z = 4.5 m/kg^(1/3) the numerator doubles: ps/pa = 1616 / √(…), by hand ≈ 0.4 bar-ish order."""
    z = 4.5
    assert kg_by_hand(z) == pytest.approx(
        1616 / math.sqrt((1 + (4.5 / 0.048) ** 2) * (1 + (4.5 / 0.32) ** 2) * (1 + (4.5 / 1.35) ** 2))
    )
    assert 0.2 < kg_by_hand(z) < 0.5


@settings(max_examples=60)
@given(st.floats(min_value=1.0, max_value=1e5), st.floats(min_value=1.0, max_value=10.0), st.floats(1.0, 5000.0))
def test_more_mass_never_lowers_the_overpressure(w: float, factor: float, r: float) -> None:
    # within floating-point round-off: hypothesis found factor 1 + 2e-16 lowering p by one ulp
    more, base = float(kinney_graham_overpressure_pa(r, w * factor)), float(kinney_graham_overpressure_pa(r, w))
    assert more >= base * (1 - 1e-12)


@settings(max_examples=40)
@given(st.floats(min_value=1.0, max_value=1e4), st.floats(min_value=0.5, max_value=5.0), st.floats(5.0, 2000.0))
def test_hopkinson_cranz_scaling(w: float, lam: float, r: float) -> None:
    """Same Z → same overpressure; impulse scales with λ."""
    p1 = float(kinney_graham_overpressure_pa(r, w))
    p2 = float(kinney_graham_overpressure_pa(lam * r, lam**3 * w))
    assert p2 == pytest.approx(p1, rel=1e-9)
    i1 = float(kinney_graham_impulse_pa_s(r, w))
    i2 = float(kinney_graham_impulse_pa_s(lam * r, lam**3 * w))
    assert i2 == pytest.approx(lam * i1, rel=1e-9)


def test_overpressure_decreases_with_distance() -> None:
    p = kinney_graham_overpressure_pa(np.geomspace(0.1, 1e4, 2000), 1000.0)
    assert np.all(np.diff(p) < 0)


def test_zero_mass_gives_zero() -> None:
    assert kinney_graham_overpressure_pa(np.array([1.0, 10.0]), 0.0).tolist() == [0.0, 0.0]


def test_purple_book_rules() -> None:
    p = np.array([29_999.0, 30_000.0, 10_000.0, 9_999.0])
    assert DEFAULT_OVERPRESSURE_RULE == "purple_book_outdoor"
    assert overpressure_lethality(p).tolist() == [0.0, 1.0, 0.0, 0.0]
    assert overpressure_lethality(p, "purple_book_indoor").tolist() == [0.025, 1.0, 0.025, 0.0]


def test_probit_rules() -> None:
    p_hse = float(overpressure_lethality(1e5, "hse_lung"))
    assert p_hse == pytest.approx(0.5 * (1 + math.erf(0.13 / math.sqrt(2))), rel=1e-12)
    assert float(overpressure_lethality(1e5, "tno_head", 1e4)) == pytest.approx(1.0, abs=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="flammable mass must be ≥ 0 kg"):
        tnt_equivalent_mass_kg(-1.0, 46e6)
    with pytest.raises(InvalidInput, match="TNT mass must be ≥ 0 kg"):
        kinney_graham_overpressure_pa(10.0, -1.0)
    with pytest.raises(InvalidInput, match="valid: purple_book_outdoor"):
        overpressure_lethality(1e4, "bar")
    with pytest.raises(InvalidInput, match="yield factor"):
        tnt_equivalent_mass_kg(1.0, 46e6, 4.0)
