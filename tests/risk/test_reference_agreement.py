"""The fast, sector-smoothed IR against the slow per-cell reference on a real scenario (issue 13).

Reference: :func:`geo_risk.risk.grid.individual_risk_reference` evaluates each cell exactly, the
sector mean by a 45-point midpoint rule per sector — an independent computation of the same sum,
not the fast path's output. Case: the chlorine containment of ``benchmarks/risk.py`` (30 t of
liquefied chlorine in a 0.58 MPa pressure vessel, G.1 / G.2 / G.3) at the centre of 7 × 7 cells of
50 m under the default six weather classes and uniform 16-sector rose.

Why this case: the G.3 plume (10 mm hole, 2.15 kg/s) is a Britter–McQuaid dense plume to its
transition at 71.9 m, where the top-hat cloud (half-width L_H = 23–113 m, lethality ≈ 1 across)
hands over to the virtual-source Gaussian matched on the centreline only (lethal half-width
10–30 m): the lethal width drops within a few metres, so the sector-mean IR falls steeply between
72 and ~85 m — right at the diagonal neighbours of the source cell (70.7 m). With rings half a
cell (25 m) apart the raster bridged that drop by one linear interpolation: 3.07 % of the largest
IR (model 2.2.0, 'risk engine 2.1'); rings r/10 apart near the source resolve it (0.93 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geo_risk.risk.grid as grid_mod
from geo_risk.risk.grid import Grid, SectorSmoothing, individual_risk_reference, risk_field
from geo_risk.risk.run import RiskSettings
from geo_risk.risk.scenarios import build_scenarios

#: Largest |ours − reference| beyond one cell of the source, as a share of the largest IR: the
#: polar raster's interpolation error that benchmarks/risk.py allows.
TOLERANCE = 0.03


def _containment(chemical: str, cas: str, quantity_t: float, pressure_mpa: float):  # noqa: ANN202
    units = pd.DataFrame([{"id": "U", "equipment": "pressure_vessel", "operating_pressure_mpa": pressure_mpa,
                           "name": "储罐", "containment": "single", "unit_type": "storage",
                           "operating_temperature_c": 20.0, "enterprise_id": "E1"}]).set_index("id")
    inventory = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": chemical, "cas": cas,
                               "max_quantity_t": quantity_t, "pressure_mpa": pressure_mpa, "table1_seq": None,
                               "hazard_categories": None, "state": "liquefied_pressurized", "temperature_c": 20.0}])
    built = build_scenarios(units, inventory, {"U": (0.0, 0.0)})
    assert not built.problems and len(built.sources) == 1
    return built.sources[0]


@pytest.fixture(scope="module")
def chlorine_case():  # noqa: ANN201
    rose = RiskSettings().rose()
    grid = Grid(-150.0, -150.0, 50.0, 7, 7)
    src = _containment("液氯", "7782-50-5", 30.0, 0.58)
    ref = individual_risk_reference(grid, [src], rose)
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    away = np.hypot(xs, ys) > 1.01 * grid.cell_m
    return rose, grid, src, ref, away


def _rel(ours: np.ndarray, ref: np.ndarray, away: np.ndarray) -> float:
    return float(np.abs(ours - ref)[away].max() / ref.max())


def test_chlorine_store_agrees_with_the_slow_reference(chlorine_case) -> None:  # noqa: ANN001
    rose, grid, src, ref, away = chlorine_case
    assert ref.max() == pytest.approx(1.1e-5, rel=1e-9)  # Σ f of G.1 + G.2 + G.3 at the source (lethality 1)
    grid_mod._cache.clear()
    ours = risk_field(grid, [src], rose).ir
    assert _rel(ours, ref, away) <= TOLERANCE
    # the worst cells are the diagonal neighbours, on the G.3 transition: they are inside the reach
    assert ref[2, 2] > 1e-6


def test_uniform_half_cell_rings_miss_the_transition(chlorine_case, monkeypatch) -> None:  # noqa: ANN001
    """The same case with the old ring layout (uniform, half a cell apart): outside the tolerance —
    the test can tell the two layouts apart, and the refinement is what brings the agreement."""
    rose, grid, src, ref, away = chlorine_case
    monkeypatch.setattr(grid_mod, "_NEAR_RING_RATIO", 0.0)
    monkeypatch.setattr(grid_mod, "_NEAR_RING_MIN", 1.0)
    grid_mod._cache.clear()
    try:
        old = risk_field(grid, [src], rose).ir
    finally:
        grid_mod._cache.clear()
    assert _rel(old, ref, away) > TOLERANCE


def test_finer_uniform_rings_converge_to_the_reference(chlorine_case) -> None:  # noqa: ANN001
    """The difference is the raster's radial step, not the model: uniform rings of 6.25 m agree to 0.1 %."""
    rose, grid, src, ref, away = chlorine_case
    grid_mod._cache.clear()
    fine = risk_field(grid, [src], rose, smoothing=SectorSmoothing(radial_step_m=6.25)).ir
    assert _rel(fine, ref, away) <= 0.001


def test_rings_near_the_source_are_a_tenth_of_their_radius_apart() -> None:
    dalpha = 2 * np.pi / 624
    rings = grid_mod._rings(25.0, dalpha, 5000.0)
    assert rings[0] == 12.5 and rings[-1] > 5000.0
    step = np.diff(rings)
    assert (step > 0).all()
    r = rings[:-1]
    near = r < 250.0  # dr / ratio: beyond it the step is dr, then r·dα
    assert np.all(step[near] <= np.maximum(0.1 * r[near], 6.25) + 1e-9)
    assert np.all(step[~near] >= 25.0 - 1e-9)
    assert np.all(step <= np.maximum(25.0, r * dalpha) + 1e-9)
    # every list is a prefix of a longer one
    short = grid_mod._rings(25.0, dalpha, 300.0)
    assert short[-1] > 300.0 and np.array_equal(short, rings[: short.size])
