"""Liquefied gases flash with aerosol (issue 13): chlorine had no liquid heat capacity, so no flash.

Chlorine's liquid C_p is now Perry's Chemical Engineers' Handbook (8th ed.) Table 2-153 (DIPPR
eq. 100, C_p = A + B·T + C·T² J/(kmol·K), A = 63 936, B = 46.35, C = −0.1623, fitted 172.12–239.12
K) read at the normal boiling point, 0.08 K above the fit's end. Checked here against the hand
value and against an independent corresponding-states estimate (Rowlinson–Poling).

Flash fraction of chlorine stored at 20 °C, by hand: ΔT = 293.15 − T_b ≈ 53.95 K,
h_fg(T_b) = 287.8 kJ/kg (CRC), C_p ≈ 0.927 kJ/(kg·K):

* linear form f = C_p ΔT / h_fg ≈ 0.174 (the often-quoted "about 18 %" takes a C_p near 0.95-1.0,
  the liquid's value nearer ambient);
* integrated form f = 1 − exp(−C_p ΔT / h_fg) ≈ 0.160, which the engine uses (the latent heat is
  drawn from a shrinking liquid mass; CCPS).
"""

from __future__ import annotations

import csv
import math
from importlib import resources

import pandas as pd
import pytest

from geo_risk.chemicals import chemical_properties
from geo_risk.risk.scenarios import build_scenarios

R = 8.314462618
CL2_MW = 70.906  # g/mol


def _row(cas: str) -> dict[str, str]:
    path = resources.files("geo_risk.risk").joinpath("data/substances/release_properties.csv")
    with path.open(encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["cas"] == cas)


def test_chlorine_liquid_heat_capacity_is_perrys_at_the_boiling_point() -> None:
    row = _row("7782-50-5")
    tb = chemical_properties(12).boiling_point_c + 273.15
    perry = (63936.0 + 46.35 * tb - 0.1623 * tb**2) / CL2_MW / 1000.0  # kJ/(kg K)
    assert float(row["liquid_heat_capacity_kj_per_kg_k"]) == pytest.approx(perry, abs=6e-4)
    assert 0.92 < perry < 0.935
    assert "Perry_153_100" in row["source"] and row["status"] == "C1" and row["version"] == "2"


def test_chlorine_heat_capacity_agrees_with_an_independent_estimate() -> None:
    """Rowlinson–Poling from T_c, ω and the ideal-gas C_p, by hand: within 5 % of Perry's value."""
    tc, omega = 416.9, 0.07  # K, chlorine (Poling et al. Appendix A; the library's 416.87 K, 0.07)
    tb = chemical_properties(12).boiling_point_c + 273.15
    cp_gas = 32.9  # J/(mol K): chlorine's ideal-gas C_p near T_b (33.9 at 298 K, CRC; falling with T)
    tr = tb / tc
    rp = cp_gas + R * (1.586 + 0.49 / (1 - tr) + omega * (4.2775 + 6.3 * (1 - tr) ** (1 / 3) / tr + 0.4355 / (1 - tr)))
    table = float(_row("7782-50-5")["liquid_heat_capacity_kj_per_kg_k"])
    assert rp / CL2_MW == pytest.approx(table, rel=0.05)


def _scenarios(chemical: str, cas: str, t_c: float = 20.0, p_mpa: float = 0.7):
    units = pd.DataFrame([{"id": "U", "equipment": "pressure_vessel", "containment": None, "unit_type": "storage",
                           "operating_temperature_c": t_c, "operating_pressure_mpa": p_mpa}]).set_index("id")
    inv = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": chemical, "cas": cas, "max_quantity_t": 30.0,
                         "state": "liquefied_pressurized", "temperature_c": t_c, "pressure_mpa": p_mpa}])
    return build_scenarios(units, inv, {"U": (0.0, 0.0)})


@pytest.mark.parametrize(("chemical", "cas", "seq"), [("氯", "7782-50-5", 12), ("氨", "7664-41-7", 1)])
def test_flashing_chlorine_and_ammonia_carry_their_aerosol(chemical: str, cas: str, seq: int) -> None:
    """Stored at 20 °C: the toxic cloud's source density is the vapour + aerosol mixture's at T_b."""
    props, row = chemical_properties(seq), _row(cas)
    tb = props.boiling_point_c + 273.15
    cp = float(row["liquid_heat_capacity_kj_per_kg_k"]) * 1e3
    hv = float(row["heat_of_vaporisation_tb_kj_per_kg"]) * 1e3
    rho_l = float(row["liquid_density_20c_kg_m3"])
    linear = cp * (293.15 - tb) / hv
    xv = 1 - math.exp(-linear)
    assert 0.16 < linear < 0.185 and 0.15 < xv < 0.17  # both about a sixth flashes at 20 °C
    rho_v = 101325.0 * props.molar_mass_g_per_mol / 1000 / (R * tb)
    rho_mix = 1 / (xv / rho_v + (1 - xv) / rho_l)
    s = _scenarios(chemical, cas)
    toxic = s.scenarios[s.scenarios["tree"] == "toxic"]
    assert set(toxic["loc"]) == {"G.1", "G.2", "G.3"}
    for _, ev in toxic.iterrows():
        assert f"vapour fraction {xv:.3f}" in ev["notes"], ev["notes"]
        cloud = s.sources[0].events[int(ev["event_index"])].lethality.__self__
        assert cloud.release.source_density_kg_m3 == pytest.approx(rho_mix, rel=1e-6)
        assert cloud.release.source_density_kg_m3 > max(4 * rho_v, 1.205)  # denser than air: the aerosol
