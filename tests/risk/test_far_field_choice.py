"""The far field of a dense cloud in stable weather (issue 13 item: the F1.5 far-field choice).

Reference: the issue's review (qra-fidelity.md) quotes ~2.8 km for the 50 % lethality of chlorine G.2
(85 t over 10 min) "dense", in F1.5 and D5 alike. That figure is the Britter–McQuaid tail alone,
recomputed here by hand from the workbook's correlation (CCPS 1999 digitisation, the C/C0 = 0.002
curve's last segment β = −0.50α + 2.71) with the pure vapour at ambient: 2.67 km, the same in every
wind. Ours continues the cloud beyond its transition as the passive Gaussian matched on the
centreline (qra-fidelity §1.7, CHOICE): shorter than the tail in D5, lethal to the one-hour travel
limit in F1.5 (docs/standards/dense-gas-and-puffs.md §1.7a). These tests pin that choice and its
statement on the output, so that a change of the far field is seen.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo_risk.risk.dense_gas import DensePlume
from geo_risk.risk.dispersion import FAR_FIELD_CHOICE
from geo_risk.risk.scenarios import build_scenarios
from geo_risk.risk.weather import Weather

F15, D5 = Weather("F", 1.5), Weather("D", 5.0)
R, G, P_ATM, T_A = 8.314462618, 9.80665, 101_325.0, 293.15
M_CL2, M_AIR = 70.906, 28.9647  # g/mol
RATE = 85_000.0 / 600.0  # kg/s: G.2, the whole 85 t over 10 min
# Purple Book Set A chlorine: Pr = −6.35 + 0.5 ln(C^2.75 t), C mg/m³, t min
C50_MG_M3 = math.exp(((5 + 6.35) / 0.5 - math.log(10.0)) / 2.75)


def _tail_alone_x50_by_hand(u: float) -> float:
    """50 % lethality distance (m) of the Britter–McQuaid far-field tail, pure chlorine vapour at ambient."""
    rho_s, rho_a = P_ATM * M_CL2 / 1000 / (R * T_A), P_ATM * M_AIR / 1000 / (R * T_A)
    g0 = G * (rho_s - rho_a) / rho_a
    q0 = RATE / rho_s
    d = math.sqrt(q0 / u)
    alpha = 0.2 * math.log10(g0 * g0 * q0 / u**5)
    assert -0.13 < alpha <= 1.0  # the last segment of the 0.002 curve
    x_ff = d * 10 ** (-0.50 * alpha + 2.71)
    # beyond x_ff: C/C0 = 0.002 (x_ff / x)²; C0 = ρ_s (no temperature correction at T_s = T_a)
    return x_ff * math.sqrt(0.002 * rho_s * 1e6 / C50_MG_M3)


def test_the_reference_figure_is_the_britter_mcquaid_tail_alone() -> None:
    x15, x5 = _tail_alone_x50_by_hand(1.5), _tail_alone_x50_by_hand(5.0)
    assert x15 == pytest.approx(x5, rel=1e-9)  # the tail has no wind (nor stability) in it
    assert x5 == pytest.approx(2671.0, abs=2.0)  # the review's "~2.8 km dense"
    # the engine's Britter–McQuaid plume gives the same tail
    rho_s, rho_a = P_ATM * M_CL2 / 1000 / (R * T_A), P_ATM * M_AIR / 1000 / (R * T_A)
    plume = DensePlume(RATE, rho_s, T_A, 5.0, T_A, rho_a, temperature_correction=False)
    c = rho_s * 1e6 * float(plume.ratio(x5))
    assert c == pytest.approx(C50_MG_M3, rel=2e-3)


@pytest.fixture(scope="module")
def chlorine_g2():  # noqa: ANN201
    units = pd.DataFrame([{"id": "U", "equipment": "pressure_vessel", "operating_pressure_mpa": 0.58, "name": "液氯",
                           "containment": "single", "unit_type": "storage", "operating_temperature_c": 20.0,
                           "enterprise_id": "E"}]).set_index("id")
    inv = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": "液氯", "cas": "7782-50-5", "max_quantity_t": 85.0,
                         "pressure_mpa": 0.58, "table1_seq": None, "hazard_categories": None,
                         "state": "liquefied_pressurized", "temperature_c": 20.0}])
    built = build_scenarios(units, inv, {"U": (0.0, 0.0)})
    (event,) = [e for e in built.sources[0].events if " G.2 " in f" {e.name} "]
    return event.lethality.__self__


def _x50(outcome, w: Weather) -> float:  # noqa: ANN001
    xs = np.linspace(100.0, 6000.0, 5901)
    p = outcome.lethality(xs, np.zeros_like(xs), w)
    return float(xs[np.flatnonzero(p >= 0.5).max()])


def test_ours_in_d5_is_shorter_than_the_tail_and_in_f15_lethal_to_the_travel_limit(chlorine_g2) -> None:  # noqa: ANN001
    limit_f15 = 1.5 * 3600.0  # one hour at u10 (dense-gas-and-puffs.md §2.4)
    tail_with_aerosol = 1990.0  # §1.7a: the tail alone with the aerosol-laden source (shorter than 2.67 km)
    x_d5 = _x50(chlorine_g2, D5)
    assert 1000.0 < x_d5 < tail_with_aerosol < _tail_alone_x50_by_hand(5.0)
    x_f15 = _x50(chlorine_g2, F15)
    assert x_f15 >= limit_f15 - 10.0 and chlorine_g2.max_distance_m(F15) <= limit_f15 * 1.02
    flags = chlorine_g2.flags(F15)
    assert any(FAR_FIELD_CHOICE in f and "centreline" in f for f in flags)
    assert any(f.startswith("reach limited to") and "one hour of travel" in f for f in flags)


def test_every_run_states_the_far_field_choice_with_its_tag() -> None:
    units = pd.DataFrame([{"id": "U", "equipment": "pressure_vessel", "operating_pressure_mpa": 0.75, "name": "丙烷",
                           "containment": "single", "unit_type": "storage", "operating_temperature_c": 20.0,
                           "enterprise_id": "E"}]).set_index("id")
    inv = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": "丙烷", "cas": "74-98-6", "max_quantity_t": 10.0,
                         "pressure_mpa": 0.75, "table1_seq": None, "hazard_categories": None,
                         "state": "liquefied_pressurized", "temperature_c": 20.0}])
    stated = build_scenarios(units, inv, {"U": (0.0, 0.0)}).assumptions["dense_gas_far_field"]
    assert stated["status"] == "CHOICE" and FAR_FIELD_CHOICE in stated["rule"] and "§1.7a" in stated["reference"]
