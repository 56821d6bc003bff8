"""Source terms against the CCPS propane example (qra-method.md §8.2) and hand formulas."""

from __future__ import annotations

import math

import pytest

from geo_risk.errors import InvalidInput
from geo_risk.risk.source_term import (
    flash_fraction,
    gas_release,
    liquid_release_rate_kg_s,
    pool_evaporation_rate_kg_s,
)

# GasDispersion.jl docs/src/plume.md, adapted from CCPS (1999) p. 47
PROPANE_M_KG_MOL = 0.044096
PROPANE_GAMMA = 1.142
P1_PA = 4e5 + 101325.0  # 4 barg
T1_K = 298.15
R = 8.314462618


def test_ccps_propane_choked_release() -> None:
    r = gas_release(0.01, P1_PA, T1_K, PROPANE_GAMMA, PROPANE_M_KG_MOL, 0.85)
    assert r.choked
    assert r.mass_rate_kg_s == pytest.approx(0.0899180, abs=5e-8)
    assert r.exit_velocity_m_s == pytest.approx(208.11, abs=5e-3)
    assert r.exit_temperature_k == pytest.approx(278.3846872, rel=1e-8)  # as printed by GasDispersion.jl
    assert r.exit_pressure_pa == pytest.approx(288765.2212, rel=1e-8)


def test_unchoked_release_by_hand() -> None:
    p, pa, g, m, t, cd, d = 1.3e5, 101325.0, 1.4, 0.02896, 300.0, 0.6, 0.05
    area = math.pi * d**2 / 4
    ratio = pa / p
    by_hand = cd * area * p * math.sqrt(2 * m / (R * t) * g / (g - 1) * (ratio ** (2 / g) - ratio ** ((g + 1) / g)))
    r = gas_release(d, p, t, g, m, cd, pa)
    assert not r.choked
    assert r.mass_rate_kg_s == pytest.approx(by_hand, rel=1e-12)
    assert r.exit_pressure_pa == pa


def test_choked_and_unchoked_meet_at_the_critical_ratio() -> None:
    g, pa = 1.3, 101325.0
    p_crit = pa / (2 / (g + 1)) ** (g / (g - 1))
    below = gas_release(0.02, p_crit * (1 - 1e-9), 300.0, g, 0.03, 0.85, pa)
    above = gas_release(0.02, p_crit * (1 + 1e-9), 300.0, g, 0.03, 0.85, pa)
    assert not below.choked and above.choked
    assert below.mass_rate_kg_s == pytest.approx(above.mass_rate_kg_s, rel=1e-6)


def test_liquid_bernoulli_by_hand() -> None:
    d, rho, p, pa, h, cd = 0.025, 800.0, 3e5, 101325.0, 4.0, 0.61
    area = math.pi * d**2 / 4
    by_hand = cd * area * math.sqrt(2 * rho * (p - pa) + 2 * rho**2 * 9.80665 * h)
    assert liquid_release_rate_kg_s(d, rho, p, pa, h, cd) == pytest.approx(by_hand, rel=1e-12)


def test_flash_fraction() -> None:
    # propane at 25 °C: cp 2520 J/(kg K), Tb 231.02 K, hfg 425 740 J/kg (GasDispersion.jl example data)
    f = float(flash_fraction(298.15, 231.02, 2520.0, 425740.0))
    assert f == pytest.approx(2520 * (298.15 - 231.02) / 425740, rel=1e-12)
    assert float(flash_fraction(200.0, 231.02, 2520.0, 425740.0)) == 0.0
    assert float(flash_fraction(2000.0, 231.02, 2520.0, 425740.0)) == 1.0


def test_pool_evaporation_rejects_bad_inputs() -> None:
    # the value itself is checked by hand in tests/risk/test_scenarios_fidelity.py (Mackay & Matsugu)
    with pytest.raises(InvalidInput, match="pool diameter"):
        pool_evaporation_rate_kg_s(0.0, 1e4, 0.1, 293.15, 5.0)
    with pytest.raises(InvalidInput, match="vapour pressure"):
        pool_evaporation_rate_kg_s(10.0, -1.0, 0.1, 293.15, 5.0)
    with pytest.raises(InvalidInput, match="wind speed"):
        pool_evaporation_rate_kg_s(10.0, 1e4, 0.1, 293.15, 0.0)
    # twice the vapour pressure, twice the rate; the rate grows as u^(7/9)
    a = pool_evaporation_rate_kg_s(10.0, 1e4, 0.1, 293.15, 5.0)
    assert pool_evaporation_rate_kg_s(10.0, 2e4, 0.1, 293.15, 5.0) == pytest.approx(2 * a, rel=1e-12)
    assert pool_evaporation_rate_kg_s(10.0, 1e4, 0.1, 293.15, 10.0) == pytest.approx(a * 2**0.7778, rel=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput, match="absolute"):
        gas_release(0.01, 0.5e5, T1_K, PROPANE_GAMMA, PROPANE_M_KG_MOL)  # a 0.5 barg reading passed as absolute
    with pytest.raises(InvalidInput, match="did you pass g/mol"):
        gas_release(0.01, P1_PA, T1_K, PROPANE_GAMMA, 44.096)
    with pytest.raises(InvalidInput, match="hole diameter must be a finite number > 0 m"):
        gas_release(-0.01, P1_PA, T1_K, PROPANE_GAMMA, PROPANE_M_KG_MOL)
    with pytest.raises(InvalidInput, match="γ must be > 1"):
        gas_release(0.01, P1_PA, T1_K, 1.0, PROPANE_M_KG_MOL)
    with pytest.raises(InvalidInput, match="no outflow"):
        liquid_release_rate_kg_s(0.01, 800.0, 101325.0, 101325.0, 0.0)
