"""A toxic liquid's pool evaporates into a toxic cloud (issue 13: a toxic liquid pool gave no cloud).

Expected rates are computed here by hand from the published Mackay & Matsugu (1973) form
E = k·A·P_v·M/(R·T), k = 0.0048·u^(7/9)·D^(-1/9)·Sc^(-2/3) (m/s; Sc = 0.8, the project's choice),
with the pool of the spilled volume at 1 cm depth (diameter ≤ 100 m), and compared with the US
EPA RMP offsite-consequence-analysis screening equation (EPA 550-B-99-009, 1999):
QR [lb/min] = 0.284·u^0.78·MW^(2/3)·A [ft²]·VP [mmHg] / (82.05·T [K]), an independent published
formula built on the same mass-transfer idea (no D term, the Schmidt number from MW). Its
constant is larger, so our rate is 0.5–1 of EPA's at the pool sizes of a storage spill.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo_risk.chemicals import chemical_properties
from geo_risk.risk.lethality import ContinuousRelease, EvaporatingPool, ToxicCloud
from geo_risk.risk.parameters import ToxicProbitTable, toxic_probit_constants
from geo_risk.risk.scenarios import build_scenarios
from geo_risk.risk.weather import Weather

R = 8.314462618  # J/(mol K)
ATM = 101_325.0
U_EVAP = 5.0  # m/s, scenario_pool_evaporation_wind_speed
DEPTH, D_MAX = 0.01, 100.0  # m: scenario_pool_depth, scenario_pool_max_diameter
CAP_S = 1800.0  # s: scenario_max_release_duration


def _mackay_matsugu(d_m: float, pv_pa: float, m_g_mol: float, t_k: float, u: float = U_EVAP) -> float:
    k = 0.0048 * u ** (7 / 9) * d_m ** (-1 / 9) * 0.8 ** (-2 / 3)
    return k * math.pi * d_m**2 / 4 * pv_pa * m_g_mol / 1000 / (R * t_k)


def _epa_rmp_kg_s(d_m: float, pv_pa: float, m_g_mol: float, t_k: float, u: float = U_EVAP) -> float:
    area_ft2 = math.pi * d_m**2 / 4 / 0.09290304
    lb_min = 0.284 * u**0.78 * m_g_mol ** (2 / 3) * area_ft2 * (pv_pa / 133.322368) / (82.05 * t_k)
    return lb_min * 0.45359237 / 60


def _frames(chemical: str, q_t: float, state: str, t_c: float, equipment: str = "atmospheric_tank"):
    units = pd.DataFrame([{"id": "U", "equipment": equipment, "containment": "single", "unit_type": "storage",
                           "operating_temperature_c": t_c, "operating_pressure_mpa": 0.0}]).set_index("id")
    inv = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": chemical, "max_quantity_t": q_t, "state": state,
                         "temperature_c": t_c, "pressure_mpa": 0.0}])
    return units, inv, {"U": (0.0, 0.0)}


def test_hcn_liquid_pool_feeds_a_continuous_toxic_cloud_at_the_hand_rate() -> None:
    """20 t of liquid hydrogen cyanide at 20 °C (below its 25.6 °C boiling point): G.1 spills all of
    it: 20 000 kg / ρ / 1 cm → a pool of about 61 m, P_v = the tabulated 20 °C vapour pressure."""
    s = build_scenarios(*_frames("氰化氢", 20.0, "liquid", 20.0))
    assert not any("evaporating pool" in p or "toxic pool" in p for p in s.problems), s.problems
    toxic = s.scenarios[s.scenarios["tree"] == "toxic"]
    assert set(toxic["branch"]) == {"toxic_pool_evaporation"} and (toxic["branch_probability"] == 1.0).all()
    assert set(toxic["loc"]) == {"G.1", "G.2", "G.3"}  # every LOC of the tank spills into a pool
    hcn = chemical_properties(25)  # Table 1 row 25, the property basis of the engine
    rho = 686.9  # kg/m³ at 20 °C (release_properties.csv, chemicals VDI_PPDS_2)
    pv, m, t = hcn.vapour_pressure_20c_kpa * 1e3, hcn.molar_mass_g_per_mol, 293.15
    g1 = toxic[toxic["loc"] == "G.1"].iloc[0]
    d = math.sqrt(4 * 20_000 / rho / DEPTH / math.pi)
    assert 60 < d < 62
    rate = _mackay_matsugu(d, pv, m, t)
    assert g1["release_rate_kg_s"] == pytest.approx(rate, rel=1e-3)
    assert g1["release_duration_s"] == pytest.approx(min(20_000 / rate, CAP_S), rel=1e-3)
    assert g1["release_type"] == "continuous" and "Mackay–Matsugu" in g1["notes"]
    assert 0.5 < rate / _epa_rmp_kg_s(d, pv, m, t) < 1.0  # the EPA screening equation is the upper one
    # the event's outcome is a toxic cloud over a continuous source of that rate, reaching people
    src = s.sources[0]
    event = src.events[int(g1["event_index"])]
    cloud = event.lethality.__self__  # the ToxicCloud behind the event
    assert isinstance(cloud.release, EvaporatingPool)  # model 2.4.0: the rate follows each class's wind
    for w in (Weather("D", 5.0), Weather("F", 1.5), Weather("D", 9.0), Weather("B", 3.0)):
        steady = cloud.release.at(w)
        assert isinstance(steady, ContinuousRelease)
        by_hand = _mackay_matsugu(d, pv, m, t, w.wind_speed_10m_m_s)
        assert steady.rate_kg_s == pytest.approx(by_hand, rel=1e-3)
        assert steady.duration_s == pytest.approx(min(20_000 / by_hand, CAP_S), rel=1e-3)
    reach = event.max_distance_m(Weather("D", 5.0))
    assert reach > 100.0
    # a bigger spill makes a bigger pool and a larger rate, up to the 100 m cap
    big = build_scenarios(*_frames("氰化氢", 200.0, "liquid", 20.0)).scenarios
    big_g1 = big[(big["tree"] == "toxic") & (big["loc"] == "G.1")].iloc[0]
    assert big_g1["release_rate_kg_s"] == pytest.approx(_mackay_matsugu(D_MAX, pv, m, t), rel=1e-3)


def test_refrigerated_chlorine_pool_boils_at_its_boiling_point() -> None:
    """Chlorine held refrigerated at −34 °C: the pool is at T_b, its vapour pressure capped at 0.99 atm."""
    s = build_scenarios(*_frames("氯", 50.0, "liquefied_refrigerated", -34.0))
    toxic = s.scenarios[s.scenarios["tree"] == "toxic"]
    assert set(toxic["branch"]) == {"toxic_pool_evaporation"}
    g1 = toxic[toxic["loc"] == "G.1"].iloc[0]
    cl2 = chemical_properties(12)
    rho_tb = 1562.3  # kg/m³ at T_b (release_properties.csv)
    d = min(math.sqrt(4 * 50_000 / rho_tb / DEPTH / math.pi), D_MAX)
    tb = cl2.boiling_point_c + 273.15
    rate = _mackay_matsugu(d, 0.99 * ATM, cl2.molar_mass_g_per_mol, tb)
    assert g1["release_rate_kg_s"] == pytest.approx(rate, rel=1e-3)
    assert "boiling pool" in g1["notes"]
    cloud = s.sources[0].events[int(g1["event_index"])].lethality.__self__
    assert cloud.release.source_temperature_k == pytest.approx(tb)  # cold vapour: denser than air
    assert cloud.release.at(Weather("F", 1.5)).source_temperature_k == pytest.approx(tb)


def test_evaporation_rate_follows_each_weather_class_wind_by_hand() -> None:
    """Mackay–Matsugu rate ∝ u^(7/9): a 30 m pool of HCN at 20 °C evaporates at 1.5 m/s
    (1.5/5)^(7/9) = 0.392 of its rate at 5 m/s (the single speed of model ≤ 2.3.0 overstated the F1.5
    and D1.5 rates 2.55 ×), at 9 m/s 1.580 ×; the cloud in F1.5 is the steady plume of that rate."""
    hcn = chemical_properties(25)
    pv, m, t = hcn.vapour_pressure_20c_kpa * 1e3, hcn.molar_mass_g_per_mol, 293.15
    pool = EvaporatingPool(30.0, pv, m, t, mass_kg=5_000.0, max_duration_s=CAP_S)
    r5, r15, r9 = (pool.at(Weather(c, u)).rate_kg_s for c, u in (("D", 5.0), ("F", 1.5), ("D", 9.0)))
    assert r5 == pytest.approx(_mackay_matsugu(30.0, pv, m, t, 5.0), rel=1e-3)  # the table's exponents: 4 digits
    assert abs((1.5 / 5.0) ** (7 / 9) - 0.3920) < 5e-4 and abs((9.0 / 5.0) ** (7 / 9) - 1.5797) < 5e-4  # by hand
    assert r15 / r5 == pytest.approx(0.3920, abs=5e-4) and r9 / r5 == pytest.approx(1.5797, abs=5e-4)
    # duration: min(mass / rate, 30 min) at each wind (5 t at ~2 kg/s: the cap; at 9 m/s shorter or capped)
    for u in (1.5, 5.0, 9.0):
        rel = pool.at(Weather("D", u))
        assert rel.duration_s == pytest.approx(min(5_000.0 / rel.rate_kg_s, CAP_S))
    # the toxic cloud over the pool in F1.5 equals the steady plume of the F1.5 rate, not the 5 m/s one
    probit = toxic_probit_constants("hydrogen_cyanide", ToxicProbitTable.SET_A_PURPLE_BOOK)
    f15 = Weather("F", 1.5)
    x, y = np.array([100.0, 300.0, 600.0]), np.zeros(3)
    over_pool = ToxicCloud(probit, pool, m, t).toxic_load(x, y, f15)
    steady_f15 = ToxicCloud(probit, pool.at(f15), m, t).toxic_load(x, y, f15)
    steady_d5 = ToxicCloud(probit, pool.at(Weather("D", 5.0)), m, t).toxic_load(x, y, f15)
    assert np.allclose(over_pool, steady_f15, rtol=1e-12)
    assert (over_pool < steady_d5).all()



def test_a_toxic_liquid_without_a_probit_is_still_a_problem() -> None:
    s = build_scenarios(*_frames("丙烯醛", 5.0, "liquid", 20.0))  # acrolein: J codes, no Set A probit
    assert any("without a Set A probit" in p for p in s.problems)
    assert (s.scenarios["tree"] != "toxic").all()


def test_pool_rate_grows_with_vapour_pressure_like_the_hand_formula() -> None:
    """Warmer HCN (still below T_b) evaporates faster by the ratio of the hand formula's P_v/T."""
    a = build_scenarios(*_frames("氰化氢", 20.0, "liquid", 10.0)).scenarios
    b = build_scenarios(*_frames("氰化氢", 20.0, "liquid", 20.0)).scenarios
    ra = a[(a["tree"] == "toxic") & (a["loc"] == "G.1")]["release_rate_kg_s"].iloc[0]
    rb = b[(b["tree"] == "toxic") & (b["loc"] == "G.1")]["release_rate_kg_s"].iloc[0]
    assert ra < rb
    assert np.isfinite(ra) and ra > 0
