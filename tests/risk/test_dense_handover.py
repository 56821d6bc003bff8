"""The dense → passive handover at x_t (issue 13; docs/standards/dense-gas-and-puffs.md §1.7, §1.7b).

qra-fidelity §1.7 matches the ground-level centreline concentration at x_t (the rule's point is that it is
continuous there) and says the crosswind profile "becomes Gaussian" there: the width is not matched. Until
model 2.5.0 the match used the pure vapour at ambient while the near field carries the aerosol's share
(ρ_s/ρ_vap(T_s), model 2.2.0), so a flashing release's centreline fell 2.2-fold at x_t (chlorine at 20 °C).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo_risk.risk.dispersion import CloudSpec, briggs_sigma_y_m, cloud_model, gas_density_kg_m3
from geo_risk.risk.weather import Weather

F15, D5 = Weather("F", 1.5), Weather("D", 5.0)
# flashing chlorine at 20 °C: the cloud at T_b = 239.1 K with its aerosol, 8 kg/m³ (scenarios give ~8–22)
RHO_MIX, T_B, M_CL2 = 8.0, 239.1, 70.906


@pytest.mark.parametrize("weather", [F15, D5])
@pytest.mark.parametrize("instantaneous", [True, False])
def test_a_flashing_cloud_is_continuous_at_the_transition(weather: Weather, instantaneous: bool) -> None:
    spec = (CloudSpec(True, 85e3, math.inf, 0.0, M_CL2, RHO_MIX, T_B) if instantaneous
            else CloudSpec(False, 85e3 / 600, 600.0, 0.0, M_CL2, RHO_MIX, T_B))
    cloud = cloud_model(spec, weather)
    assert cloud.model == ("dense_puff" if instantaneous else "dense_plume")
    # the aerosol's share the near field carries (the old match lacked it): ρ_s over the vapour at T_b
    share = RHO_MIX / gas_density_kg_m3(M_CL2, T_B)
    assert share == pytest.approx(2.21, abs=0.01)
    x = cloud.transition_m * np.array([1 - 1e-9, 1 + 1e-9])
    c = cloud.concentration_kg_m3(x, 0 * x)
    assert c[0] > 0 and c[1] == pytest.approx(c[0], rel=5e-3)  # before 2.5.0: c[1] ≈ c[0] / 2.21


def test_the_width_is_not_matched_at_the_transition() -> None:
    """D5 flashing chlorine G.2: just before x_t the top-hat c_t for |y| ≤ L_H(x_t), 0 beyond; just after,
    c_t·exp(−y²/2σy²) with σy = Briggs σy(x_t + x_v) — by hand at y = σy (e^−½) and at 1.5 L_H (0 before,
    far below c_t after). The crosswind integral falls from 2 L_H c_t to √(2π) σy c_t (§1.7b)."""
    cloud = cloud_model(CloudSpec(False, 85e3 / 600, 600.0, 0.0, M_CL2, RHO_MIX, T_B), D5)
    xt = cloud.transition_m
    lh = float(cloud._plume_half_width_m(np.array([xt]))[0])
    sy = float(briggs_sigma_y_m(xt + cloud.virtual_distance_m, "D"))
    before, after = xt * (1 - 1e-9), xt * (1 + 1e-9)
    c_t = float(cloud.concentration_kg_m3(np.array([before]), np.array([0.0]))[0])
    inside = float(cloud.concentration_kg_m3(np.array([before]), np.array([0.9 * lh]))[0])
    assert inside == pytest.approx(c_t, rel=1e-12)  # top-hat
    at_sigma = float(cloud.concentration_kg_m3(np.array([after]), np.array([sy]))[0])
    assert at_sigma == pytest.approx(c_t * math.exp(-0.5), rel=5e-3)
    assert float(cloud.concentration_kg_m3(np.array([before]), np.array([1.5 * lh]))[0]) == 0.0
    assert sy < 0.1 * lh  # the Gaussian is much narrower: 30 m against 466 m
    assert math.sqrt(2 * math.pi) * sy / (2 * lh) == pytest.approx(0.082, abs=0.003)
