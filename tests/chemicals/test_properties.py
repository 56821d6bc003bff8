"""Tests for geo_risk.chemicals.properties: values against independent textbook figures, internal
physical consistency, and proof that data/properties.csv is what scripts/build_chemical_properties.py
produces from the installed ``chemicals`` library."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from geo_risk.chemicals import all_substances, chemical_properties, lookup

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_chemical_properties.py"
CSV_PATH = REPO / "geo_risk" / "chemicals" / "data" / "properties.csv"

# Independent reference values (CRC Handbook of Chemistry and Physics; IUPAC atomic weights).
CHLORINE_MOLAR_MASS_G_PER_MOL = 70.906  # 2 × 35.453
AMMONIA_BOILING_POINT_C = -33.3
BENZENE_BOILING_POINT_C = 80.1
METHANE_BOILING_POINT_C = -161.5
TOLUENE_BOILING_POINT_C = 110.6
METHANOL_BOILING_POINT_C = 64.7
PROPANE_CRITICAL_TEMPERATURE_C = 96.7
CHLORINE_CRITICAL_TEMPERATURE_C = 143.8
HYDROGEN_LHV_MJ_PER_KG = 120.0
METHANE_LHV_MJ_PER_KG = 50.0
AMMONIA_VAPOUR_PRESSURE_20C_KPA = 857.0  # 8.57 bar
BENZENE_VAPOUR_PRESSURE_20C_KPA = 10.0


def test_textbook_values() -> None:
    chlorine, ammonia, benzene = lookup("氯").properties, lookup("氨").properties, lookup("苯").properties
    assert chlorine.molar_mass_g_per_mol == pytest.approx(CHLORINE_MOLAR_MASS_G_PER_MOL, abs=0.01)  # g/mol
    assert ammonia.boiling_point_c == pytest.approx(AMMONIA_BOILING_POINT_C, abs=0.2)  # °C
    assert benzene.boiling_point_c == pytest.approx(BENZENE_BOILING_POINT_C, abs=0.2)  # °C
    assert lookup("甲烷").properties.boiling_point_c == pytest.approx(METHANE_BOILING_POINT_C, abs=0.3)
    assert lookup("甲苯").properties.boiling_point_c == pytest.approx(TOLUENE_BOILING_POINT_C, abs=0.3)
    assert lookup("甲醇").properties.boiling_point_c == pytest.approx(METHANOL_BOILING_POINT_C, abs=0.3)
    assert lookup("LPG").properties.critical_temperature_c == pytest.approx(PROPANE_CRITICAL_TEMPERATURE_C, abs=0.3)
    assert chlorine.critical_temperature_c == pytest.approx(CHLORINE_CRITICAL_TEMPERATURE_C, abs=0.5)
    assert lookup("氢").properties.heat_of_combustion_lhv_mj_per_kg == pytest.approx(HYDROGEN_LHV_MJ_PER_KG, abs=0.5)
    assert lookup("甲烷").properties.heat_of_combustion_lhv_mj_per_kg == pytest.approx(METHANE_LHV_MJ_PER_KG, abs=0.3)
    assert ammonia.vapour_pressure_20c_kpa == pytest.approx(AMMONIA_VAPOUR_PRESSURE_20C_KPA, rel=0.01)  # kPa
    assert benzene.vapour_pressure_20c_kpa == pytest.approx(BENZENE_VAPOUR_PRESSURE_20C_KPA, rel=0.03)  # kPa
    assert 4.4 <= lookup("甲烷").properties.lower_flammability_limit_vol_pct <= 5.0  # vol %, IEC / NFPA


@pytest.mark.parametrize(
    ("name", "phase"),
    [("氯", "gas"), ("氨", "gas"), ("氟化氢", "gas"), ("氰化氢", "liquid"), ("苯", "liquid"), ("钠", "solid"),
     ("硝酸钾", "solid"), ("LPG", "gas"), ("汽油", "liquid"), ("硝化甘油", "liquid"), ("煤气", "gas")],
)  # fmt: skip
def test_phase_at_25c(name: str, phase: str) -> None:
    """HF boils at 19.5 °C (gas at 25 °C), HCN at 25.6 °C (liquid)."""
    assert lookup(name).properties.phase_at_25c == phase


def test_every_row_has_properties_and_a_phase() -> None:
    for sub in all_substances():
        props = sub.properties
        assert props is not None and props is chemical_properties(sub.seq)
        assert props.phase_at_25c in ("gas", "liquid", "solid"), sub.seq
        assert props.basis and props.source


def test_representative_components_are_stated() -> None:
    lpg = lookup("LPG").properties
    assert lpg.cas == "74-98-6" and "propane" in lpg.basis
    assert lookup("天然气").properties.cas == "74-82-8"
    gasoline = lookup("汽油").properties  # n-pentane for gasoline's initial boiling point (about 30–40 °C)
    assert gasoline.cas == "109-66-0" and "surrogate" in gasoline.basis
    assert 30.0 <= gasoline.boiling_point_c <= 40.0  # °C
    assert lookup("煤气").properties.cas == "630-08-0"


def test_physical_consistency() -> None:
    """Melting below boiling; LFL below UFL; vapour pressure at 20 °C below 1 atm exactly when the
    substance boils above 20 °C (Clausius–Clapeyron monotonicity); boiling below critical."""
    for sub in all_substances():
        p = sub.properties
        if p.melting_point_c is not None and p.boiling_point_c is not None and sub.seq != 54:
            # acetylene (54) sublimes at 1 atm (-84 °C, below its triple point -80.8 °C): Tb < Tm is right
            assert p.melting_point_c < p.boiling_point_c, sub.seq
        if p.boiling_point_c is not None and p.critical_temperature_c is not None:
            assert p.boiling_point_c < p.critical_temperature_c, sub.seq
        if p.lower_flammability_limit_vol_pct is not None and p.upper_flammability_limit_vol_pct is not None:
            assert 0 < p.lower_flammability_limit_vol_pct < p.upper_flammability_limit_vol_pct <= 100, sub.seq
        if p.vapour_pressure_20c_kpa is not None and p.boiling_point_c is not None:
            assert (p.vapour_pressure_20c_kpa < 101.325) == (p.boiling_point_c > 20.0), sub.seq
        if p.vapour_pressure_20c_kpa is not None and p.critical_temperature_c is not None:
            assert p.critical_temperature_c > 20.0, sub.seq
        if p.heat_of_combustion_lhv_mj_per_kg is not None:
            assert 5 < p.heat_of_combustion_lhv_mj_per_kg < 125, sub.seq


def _load_script():
    spec = importlib.util.spec_from_file_location("build_chemical_properties", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_csv_is_what_the_script_produces_from_the_library() -> None:
    """properties.csv is provably taken from the installed ``chemicals`` (pinned in the dev extras)."""
    script = _load_script()
    committed = CSV_PATH.read_text(encoding="utf-8")
    assert script.LIBRARY in committed, f"properties.csv was built with another library version than {script.LIBRARY}"
    assert script.render_csv() == committed, "run .venv/bin/python scripts/build_chemical_properties.py"
