"""Probits against the reference outputs of qra-method.md §8.1 (HyRAM+) and §8.3 (self-computed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import ToxicProbitTable, toxic_probit_constants
from geo_risk.risk.probits import (
    convert_toxic_load,
    heat_lethality,
    heat_probit,
    mg_m3_to_ppm,
    molar_volume_m3_per_mol,
    overpressure_probit,
    ppm_to_mg_m3,
    probability_to_probit,
    probit_to_probability,
    thermal_dose,
    toxic_concentration_at_probability,
    toxic_lethality,
    toxic_load,
    toxic_probit,
    toxic_probit_from_load,
)

A = ToxicProbitTable.SET_A_PURPLE_BOOK
B = ToxicProbitTable.SET_B_LEES_OSD30
REL = 1e-6  # HyRAM+ numbers are published to 7-8 significant figures


def phi(pr: float) -> float:
    """P = ½[1 + erf((Pr − 5)/√2)], by hand."""
    return 0.5 * (1.0 + math.erf((pr - 5.0) / math.sqrt(2.0)))


# -- §8.1 HyRAM+ published unit tests ---------------------------------------------------------------


def test_hyram_thermal_dose() -> None:
    assert float(thermal_dose(5.0, 30.0)) == pytest.approx(256.4963920, rel=REL)


@pytest.mark.parametrize(
    ("model", "expected"),
    [("eisenberg", 2.7823249), ("tsao_perry", 4.8823249), ("tno", 4.0323249), ("lees", 1.6756475)],
)
def test_hyram_heat_probits_at_1e7(model: str, expected: float) -> None:
    assert float(heat_probit(1e7, model)) == pytest.approx(expected, rel=REL)


def test_hyram_eisenberg_fifty_percent() -> None:
    v = thermal_dose(15796.170691, 60.0)
    assert float(probit_to_probability(heat_probit(v, "eisenberg"))) == pytest.approx(0.5, abs=1e-6)


def test_hyram_overpressure_probits() -> None:
    assert float(overpressure_probit(1e5, "eisenberg_lung")) == pytest.approx(2.4543150, rel=REL)
    assert float(overpressure_probit(1e5, "hse_lung")) == pytest.approx(5.13, rel=REL)
    assert float(overpressure_probit(1e5, "tno_head", 1e4)) == pytest.approx(12.2786003, rel=REL)


def test_probit_five_is_fifty_percent() -> None:
    assert float(probit_to_probability(5.0)) == 0.5
    assert float(probability_to_probit(0.5)) == 5.0


def test_zero_in_zero_out() -> None:
    assert float(probit_to_probability(heat_probit(thermal_dose(0.0, 20.0)))) == 0.0
    assert float(probit_to_probability(overpressure_probit(0.0, "hse_lung"))) == 0.0
    chlorine = toxic_probit_constants("chlorine", A)
    assert float(toxic_lethality(chlorine, 0.0, 10.0, concentration_unit="mg/m3")) == 0.0


def test_lees_half_factor_flag_shifts_by_1_99_ln2() -> None:
    with_half = float(heat_probit(1e7, "lees", lees_half_factor=True))
    without = float(heat_probit(1e7, "lees", lees_half_factor=False))
    assert without - with_half == pytest.approx(1.99 * math.log(2) - 0.01, abs=1e-9)  # −29.03 vs −29.02


# -- §8.3 self-computed checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("substance", "c_mg_m3", "t_min", "pr", "pr_tol", "p", "p_tol"),
    [  # tolerances: half a unit of the last printed digit
        ("chlorine", 1000.0, 10.0, 4.2995, 5e-5, 0.2418, 5e-5),
        ("ammonia", 5000.0, 30.0, 4.8356, 5e-5, 0.4347, 5e-5),
        ("hydrogen_chloride", 1000.0, 30.0, 0.740, 5e-4, 1.02e-5, 5e-8),
        ("hydrogen_chloride", 2000.0, 30.0, 3.298, 5e-4, 0.0444, 5e-5),
    ],
)
def test_set_a_self_computed(
    substance: str, c_mg_m3: float, t_min: float, pr: float, pr_tol: float, p: float, p_tol: float
) -> None:
    row = toxic_probit_constants(substance, A)
    got = float(toxic_probit(row, c_mg_m3, t_min, concentration_unit="mg/m3"))
    assert got == pytest.approx(pr, abs=pr_tol)
    assert got == pytest.approx(row.a + row.b * math.log(c_mg_m3**row.n * t_min), abs=1e-12)  # by hand
    assert float(toxic_lethality(row, c_mg_m3, t_min, concentration_unit="mg/m3")) == pytest.approx(p, abs=p_tol)


def test_heat_tsao_perry_self_computed() -> None:
    pr = float(heat_probit(thermal_dose(10_000.0, 20.0), "tsao_perry"))
    assert pr == pytest.approx(2.727, abs=5e-4)
    assert float(probit_to_probability(pr)) == pytest.approx(0.0115, abs=5e-5)


@given(st.floats(min_value=-5, max_value=15, allow_nan=False))
def test_probability_matches_erf_by_hand(pr: float) -> None:
    assert float(probit_to_probability(pr)) == pytest.approx(phi(pr), abs=1e-12)


@settings(max_examples=50)
@given(st.floats(min_value=1e-9, max_value=1 - 1e-9))
def test_probit_round_trip(p: float) -> None:
    assert float(probit_to_probability(probability_to_probit(p))) == pytest.approx(p, rel=1e-9, abs=1e-15)


@given(st.lists(st.floats(min_value=-10, max_value=20, allow_nan=False), min_size=2, max_size=30))
def test_probability_is_monotone_and_vectorised(values: list[float]) -> None:
    pr = np.sort(np.array(values))
    p = probit_to_probability(pr.reshape(-1, 1))
    assert p.shape == (len(values), 1)
    assert np.all(np.diff(p[:, 0]) >= 0) and np.all((p >= 0) & (p <= 1))


# -- units: mg/m³ vs ppm --------------------------------------------------------------------------

CL2_M = 70.906  # g/mol, chlorine (geo_risk/chemicals properties)
VM_L = 8.314462618 * 298.15 / 101325 * 1e3  # L/mol at 25 °C, 1 atm


def test_molar_volume_25c() -> None:
    assert molar_volume_m3_per_mol() * 1e3 == pytest.approx(24.465, abs=5e-4)


def test_ppm_mg_conversion_by_hand() -> None:
    assert float(ppm_to_mg_m3(100.0, CL2_M)) == pytest.approx(100 * CL2_M / VM_L, rel=1e-12)
    assert float(mg_m3_to_ppm(ppm_to_mg_m3(37.0, CL2_M), CL2_M)) == pytest.approx(37.0, rel=1e-12)


def test_set_b_in_ppm_by_hand() -> None:
    row = toxic_probit_constants("chlorine", B)
    got = float(toxic_probit(row, 100.0, 10.0, concentration_unit="ppm"))
    assert got == pytest.approx(-8.29 + 0.92 * math.log(100.0**2 * 10.0), abs=1e-12)


def test_set_b_converts_a_mg_m3_exposure_to_ppm() -> None:
    row = toxic_probit_constants("chlorine", B)
    ppm = 1000.0 * VM_L / CL2_M
    by_hand = -8.29 + 0.92 * math.log(ppm**2 * 10.0)
    got = float(toxic_probit(row, 1000.0, 10.0, concentration_unit="mg/m3"))  # molar mass from the catalogue
    assert got == pytest.approx(by_hand, abs=1e-4)
    got_explicit = float(toxic_probit(row, 1000.0, 10.0, concentration_unit="mg/m3", molar_mass_g_per_mol=CL2_M))
    assert got_explicit == pytest.approx(by_hand, abs=1e-12)


def test_set_a_accepts_ppm_and_gives_the_same_answer() -> None:
    row = toxic_probit_constants("chlorine", A)
    ppm = float(mg_m3_to_ppm(1000.0, CL2_M))
    a = toxic_probit(row, ppm, 10.0, concentration_unit="ppm", molar_mass_g_per_mol=CL2_M)
    assert float(a) == pytest.approx(4.2995, abs=5e-5)


def test_concentration_unit_is_required_and_checked() -> None:
    row = toxic_probit_constants("chlorine", A)
    with pytest.raises(TypeError):
        toxic_probit(row, 1000.0, 10.0)  # type: ignore[call-arg]
    with pytest.raises(InvalidInput, match="unknown concentration unit 'ppb'"):
        toxic_probit(row, 1000.0, 10.0, concentration_unit="ppb")  # type: ignore[arg-type]


def test_toxic_load_constant_and_ramp_by_hand() -> None:
    t = np.array([0.0, 5.0, 10.0])
    assert float(toxic_load(np.array([100.0, 100.0, 100.0]), t, 2.0)) == pytest.approx(100.0**2 * 10.0)
    # ramp 0 → 100 over 10 min sampled at 0, 10: trapezoid of c² = (0 + 100²)/2 × 10
    assert float(toxic_load(np.array([0.0, 100.0]), np.array([0.0, 10.0]), 2.0)) == pytest.approx(5e4)
    # two receptors along axis 0
    loads = toxic_load(np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]), t, 1.0)
    assert loads.tolist() == pytest.approx([10.0, 20.0])


def test_load_probit_equals_constant_exposure_probit() -> None:
    row = toxic_probit_constants("chlorine", A)
    load = toxic_load(np.full(31, 1000.0), np.linspace(0, 10, 31), row.n)
    assert float(toxic_probit_from_load(row, load)) == pytest.approx(4.2995, abs=5e-5)


def test_convert_toxic_load_by_hand() -> None:
    f = CL2_M / VM_L  # mg/m³ per ppm
    assert float(convert_toxic_load(10.0, 2.0, "ppm", "mg/m3", CL2_M)) == pytest.approx(10.0 * f**2, rel=1e-12)
    assert float(convert_toxic_load(10.0, 2.0, "mg/m3", "mg/m3", CL2_M)) == 10.0


def test_inverse_concentration_gives_the_probability() -> None:
    row = toxic_probit_constants("ammonia", A)
    c = toxic_concentration_at_probability(row, 0.01, 30.0)
    assert float(toxic_lethality(row, c, 30.0, concentration_unit="mg/m3")) == pytest.approx(0.01, rel=1e-9)


# -- heat protection rules ------------------------------------------------------------------------


def test_heat_rules() -> None:
    q = np.array([34_999.0, 35_000.0, 10_000.0])
    p_probit = probit_to_probability(heat_probit(thermal_dose(q, 20.0)))
    assert heat_lethality(q, 20.0).tolist() == pytest.approx([p_probit[0], 1.0, p_probit[2]])
    assert heat_lethality(q, 20.0, protection="outdoor_clothed").tolist() == pytest.approx(
        [0.14 * p_probit[0], 1.0, 0.14 * p_probit[2]]
    )
    assert heat_lethality(q, 20.0, protection="indoor").tolist() == [0.0, 1.0, 0.0]
    assert heat_lethality(q, 20.0, protection="probit_only").tolist() == pytest.approx(p_probit.tolist())
    with pytest.raises(InvalidInput, match="valid: unprotected"):
        heat_lethality(q, 20.0, protection="clothed")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_negative_or_nan_inputs_raise(bad: float) -> None:
    with pytest.raises(InvalidInput, match="heat flux must be ≥ 0 W/m²"):
        thermal_dose(bad, 20.0)
    row = toxic_probit_constants("chlorine", A)
    with pytest.raises(InvalidInput, match="concentration must be ≥ 0"):
        toxic_probit(row, bad, 10.0, concentration_unit="mg/m3")
    with pytest.raises(InvalidInput, match="overpressure must be ≥ 0 Pa"):
        overpressure_probit(bad)


def test_tno_probits_need_impulse() -> None:
    with pytest.raises(InvalidInput, match="needs the impulse"):
        overpressure_probit(1e5, "tno_collapse")
    by_hand = 5 - 0.22 * math.log((40000 / 1e5) ** 7.4 + (460 / 1e3) ** 11.3)
    assert float(overpressure_probit(1e5, "tno_collapse", 1e3)) == pytest.approx(by_hand, rel=1e-12)
