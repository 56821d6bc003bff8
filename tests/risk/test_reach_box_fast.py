"""The fast reach box (half plane, coarse blocks refined across the edge) against the brute force.

``reach_box_m(..., symmetric=True, coarse=8)`` (``geo_risk.risk.lethality.FAST_BOX``) must give a
box that holds the brute-force one (every one of the 800 × 360 polar samples evaluated) and is no
more than a stated margin larger, on the package's own outcomes: chlorine dense puff and dense
plume, flashing ammonia (toxic and flash fire), LPG flash fire, gasoline pool fire after the flash
fire, in the Purple Book weather classes B3, D5 and F1.5; and on hand-made fields that probe the refinement
(a plume narrower than one angular step, an off-axis blob, a non-symmetric field).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.risk import lethality as lethality_module
from geo_risk.risk.dispersion import ReachBox, reach_box_m
from geo_risk.risk.lethality import _cloud
from geo_risk.risk.scenarios import build_scenarios
from geo_risk.risk.weather import purple_book_weather_classes

sys.path.insert(0, str(Path(__file__).parent))
from test_scenarios import ITEMS, UNITS, _frames  # noqa: E402

#: Stated margin: the fast box may exceed the brute-force one by at most this fraction of the reach
#: on each side (measured: 0 — the same samples hit; rounding of mirrored angles aside).
MARGIN = 0.005
#: Float rounding allowed when comparing the two (mirrored angles: sin(π − θ) vs sin θ).
ROUND = 1e-9
#: The fast radial profile may exceed the brute-force one (inner values of all-hit blocks bounded by
#: the block's inner ring): never by more than the brute-force profile this many radii further in.
SHIFT = 8


def _contains(fast: ReachBox, brute: ReachBox) -> None:
    tol = ROUND * max(brute.reach, 1.0)
    assert fast.reach >= brute.reach - tol
    assert fast.down_min <= brute.down_min + tol
    assert fast.down_max >= brute.down_max - tol
    assert fast.cross_max >= brute.cross_max - tol
    room = MARGIN * brute.reach + tol
    assert fast.reach <= brute.reach + room
    assert fast.down_min >= brute.down_min - room
    assert fast.down_max <= brute.down_max + room
    assert fast.cross_max <= brute.cross_max + room


def _envelope_holds(fast: ReachBox, brute: ReachBox) -> None:
    """The bound built on ``peak`` (largest value at this radius or beyond) is never lower, within the reach."""
    assert fast.radii is not None and brute.radii is not None and fast.peak is not None and brute.peak is not None
    np.testing.assert_array_equal(fast.radii, brute.radii)
    assert np.all(np.isfinite(fast.peak))  # every radius has a value, sampled or bounded
    f = np.maximum.accumulate(fast.peak[::-1])[::-1]
    b = np.maximum.accumulate(brute.peak[::-1])[::-1]
    inside = brute.radii <= brute.reach
    assert np.all(f[inside] >= b[inside] * (1 - 1e-12))
    # at most the brute-force bound one block (8 radii ≈ 15 % in distance) further in
    shifted = b[np.maximum(np.arange(b.size) - SHIFT, 0)]
    assert np.all(f[inside] <= shifted[inside] * (1 + 1e-12))


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[str, object]]:
    """Every directional outcome of the constructed plant, once each."""
    built = build_scenarios(*_frames(UNITS, ITEMS))
    seen: dict[int, tuple[str, object]] = {}
    for source in built.sources:
        for event in source.events:
            outcome = event.lethality.__self__
            if getattr(outcome, "directional", False):
                seen.setdefault(id(outcome), (event.name, outcome))
    return list(seen.values())


def test_the_plant_has_the_outcomes_of_the_brief(outcomes: list[tuple[str, object]]) -> None:
    kinds = {(name.split(" ")[0].split("/")[1], name.split(" ")[1], type(o).__name__) for name, o in outcomes}
    for wanted in (("I-CL2", "G.1", "ToxicCloud"), ("I-CL2", "G.2", "ToxicCloud"), ("I-NH3", "G.1", "ToxicCloud"),
                   ("I-NH3", "G.1", "FlashFire"), ("I-LPG", "G.1", "FlashFire"), ("I-GSL", "G.1", "ThenPoolFire")):
        assert wanted in kinds, wanted
    # the chlorine releases are dense-gas clouds (Britter–McQuaid), puff and plume
    w = purple_book_weather_classes()[-1]  # F1.5
    models = {_cloud(o.release, o._molar_mass(), o.cloud_temperature_k, o.dispersion, o.terrain, w).model
              for name, o in outcomes if "I-CL2" in name and type(o).__name__ == "ToxicCloud"}  # type: ignore[attr-defined]
    assert {"dense_puff", "dense_plume"} <= models


def test_fast_box_holds_the_brute_force_box(outcomes: list[tuple[str, object]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert lethality_module.FAST_BOX == {"symmetric": True, "coarse": 8}
    weathers = [w for w in purple_book_weather_classes() if w.label in ('B3', 'D5', 'F1.5')]
    fast = {(name, w): o._box(w) for name, o in outcomes for w in weathers}  # type: ignore[attr-defined]
    monkeypatch.setitem(lethality_module.FAST_BOX, "symmetric", False)
    monkeypatch.setitem(lethality_module.FAST_BOX, "coarse", 1)
    reached = 0
    for name, o in outcomes:
        for w in weathers:
            brute = o._box(w)  # type: ignore[attr-defined]
            _contains(fast[(name, w)], brute)
            if brute.reach > 0:
                reached += 1
                _envelope_holds(fast[(name, w)], brute)
    assert reached >= 40


# -- hand-made fields ------------------------------------------------------------------------------


def _both(field, threshold: float = 0.5, symmetric: bool = True) -> tuple[ReachBox, ReachBox]:  # noqa: ANN001
    fast = reach_box_m(field, threshold, max_distance_m=2000.0, symmetric=symmetric, coarse=8)
    brute = reach_box_m(field, threshold, max_distance_m=2000.0)
    return fast, brute


def test_a_plume_narrower_than_one_angular_step() -> None:
    """Hits only on the downwind axis (half-angle 0.3° < 1°): the axis is a spoke at every radius."""
    fast, brute = _both(lambda dx, dy: ((dx > 0) & (np.abs(dy) <= 0.005 * dx) & (dx <= 1500.0)).astype(float))
    assert 1500.0 <= brute.reach <= 1500.0 * 1.02
    _contains(fast, brute)
    assert fast.reach == brute.reach


def test_an_off_axis_pair_of_blobs() -> None:
    """Two discs of 40 m at (300, ±250) m: between spokes and rings, found through the mixed blocks."""
    def blobs(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return (np.hypot(dx - 300.0, np.abs(dy) - 250.0) <= 40.0).astype(float)

    fast, brute = _both(blobs)
    far = math.hypot(300.0, 250.0) + 40.0
    assert far <= brute.reach <= far * 1.02
    # one radial step (1.24 %) plus one angular step of arc (1.75 %) of margin at the reach
    assert 290.0 <= brute.cross_max <= 290.0 + 0.03 * brute.reach
    _contains(fast, brute)


def test_a_field_that_is_not_symmetric() -> None:
    """Only the −y side (crosswind −200…−50 m, downwind 100…400 m): symmetric=False samples the circle."""
    def side(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return ((dx >= 100) & (dx <= 400) & (dy >= -200) & (dy <= -50)).astype(float)

    fast, brute = _both(side, symmetric=False)
    _contains(fast, brute)
    assert brute.cross_max >= 200.0


def test_a_radial_profile_between_rings_is_bounded_by_the_inner_ring() -> None:
    """A field decaying as 1/r²: the fast profile is ≥ the brute one and ≤ it × (8 radial steps)²."""
    fast, brute = _both(lambda dx, dy: 1e4 / np.maximum(np.hypot(dx, dy), 0.1) ** 2 * (dx > -50), threshold=0.01)
    _contains(fast, brute)
    assert fast.peak is not None and brute.peak is not None and brute.radii is not None
    inside = brute.radii <= brute.reach
    step8 = (2000.0 / 0.1) ** (8 / 799)
    assert np.all(fast.peak[inside] >= brute.peak[inside] * (1 - 1e-12))
    assert np.all(fast.peak[inside] <= brute.peak[inside] * step8**2 * (1 + 1e-12))


def test_a_symmetric_sampling_needs_an_even_number_of_angles() -> None:
    with pytest.raises(InvalidInput, match="even number of angles"):
        reach_box_m(lambda dx, dy: dx * 0.0, 0.5, symmetric=True, n_angles=359)
    with pytest.raises(InvalidInput, match="coarse"):
        reach_box_m(lambda dx, dy: dx * 0.0, 0.5, coarse=0)
