"""Every risk data table compared row by row with its reference (issue 13: only 5 of 24 Briggs rows were pinned).

The references are typed in ``tests/data/qra/`` from ``docs/standards/qra-method.md`` (§2.2 LOCs, §3
direct ignition, §5.1 CCPS puff sigmas, §5.2 Briggs, §6 probits) and docs/standards/qra-outcomes-and-vessels.md
(the low-reactivity list); each row
keeps the printed form it was typed from (column ``printed``). Provenance: ``tests/data/PROVENANCE.md``.
The package reads its own copies in ``geo_risk/risk/data/``; a change to one without the other fails here.
Each table is compared in both directions: every reference row is in the package with the same values,
and the package has no row the reference lacks.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from conftest import TEST_DATA

from geo_risk.risk.dispersion import briggs_sigma_y_m, briggs_sigma_z_m, puff_sigmas_m, reach_box_m
from geo_risk.risk.parameters import (
    ToxicProbitTable,
    briggs_coefficients,
    direct_ignition_probability,
    gas_reactivity,
    heat_probit_constants,
    load_parameters,
    overpressure_probit_constants,
    puff_sigma_coefficients,
    toxic_probit_constants,
    wind_profile_exponent,
)

QRA = TEST_DATA / "qra"
X_M = np.array([10.0, 100.0, 500.0, 1000.0, 3000.0, 10_000.0])


def _rows(name: str) -> list[dict[str, str]]:
    with (QRA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _opt(text: str) -> float | None:
    return float(text) if text.strip() else None


# -- Briggs (1973) plume sigmas, qra-method.md §5.2 -----------------------------------------------------------


BRIGGS = _rows("briggs_sigma.csv")


def test_briggs_reference_has_all_24_rows() -> None:
    assert len(BRIGGS) == 24
    assert {(r["terrain"], r["stability"], r["axis"]) for r in BRIGGS} == {
        (t, s, a) for t in ("rural", "urban") for s in "ABCDEF" for a in "yz"}
    assert set(load_parameters().briggs) == {(r["terrain"], r["stability"], r["axis"]) for r in BRIGGS}


@pytest.mark.parametrize("row", BRIGGS, ids=lambda r: f"{r['terrain']}-{r['stability']}-{r['axis']}")
def test_briggs_row_equals_the_reference(row: dict[str, str]) -> None:
    a, b, e = float(row["a"]), float(row["b"]), float(row["exponent"])
    expected = a * X_M * (1.0 + b * X_M) ** e  # the printed σ(x); for "0.20x" b = 0
    c = briggs_coefficients(row["terrain"], row["stability"], row["axis"])
    assert c.a == a
    np.testing.assert_allclose(c.a * X_M * (1.0 + c.b * X_M) ** c.exponent, expected, rtol=1e-12)
    sigma = briggs_sigma_y_m if row["axis"] == "y" else briggs_sigma_z_m
    np.testing.assert_allclose(sigma(X_M, row["stability"], row["terrain"]), expected, rtol=1e-12)


def test_briggs_by_hand_at_one_kilometre() -> None:
    # rural D: σy = 0.08·1000/√1.1 = 76.277 m, σz = 0.06·1000/√2.5 = 37.947 m; urban E σz = 80/√2.5 = 50.596 m
    assert float(briggs_sigma_y_m(1000.0, "D")) == pytest.approx(80 / math.sqrt(1.1), rel=1e-12)
    assert float(briggs_sigma_z_m(1000.0, "D")) == pytest.approx(60 / math.sqrt(2.5), rel=1e-12)
    assert float(briggs_sigma_z_m(1000.0, "E", "urban")) == pytest.approx(80 / math.sqrt(2.5), rel=1e-12)
    assert float(briggs_sigma_z_m(1000.0, "A", "urban")) == pytest.approx(240 * math.sqrt(2.0), rel=1e-12)


# -- CCPS (1999) puff sigmas, qra-method.md §5.1 ---------------------------------------------------------------


PUFF = _rows("puff_sigma.csv")


def test_puff_reference_has_all_12_rows() -> None:
    assert len(PUFF) == 12
    assert set(load_parameters().puff_sigma) == {(r["stability"], r["axis"]) for r in PUFF}


@pytest.mark.parametrize("row", PUFF, ids=lambda r: f"{r['stability']}-{r['axis']}")
def test_puff_row_equals_the_reference(row: dict[str, str]) -> None:
    a, b = float(row["a"]), float(row["b"])
    c = puff_sigma_coefficients(row["stability"], row["axis"])
    assert (c.a, c.b) == (a, b)
    sx, sy, sz = puff_sigmas_m(X_M, row["stability"])  # a point puff: σx = σy = a x^b, σz = a x^b
    got = sz if row["axis"] == "z" else sy
    np.testing.assert_allclose(got, a * X_M**b, rtol=1e-12)
    if row["axis"] == "xy":
        np.testing.assert_allclose(sx, a * X_M**b, rtol=1e-12)


# -- Purple Book LOC base frequencies, qra-method.md §2.2 -----------------------------------------------------


LOCS = _rows("loc_frequencies.csv")


def test_loc_base_frequencies_equal_the_reference_row_by_row() -> None:
    package = {(loc.equipment, loc.loc_code): loc for loc in load_parameters().loc_frequencies}
    assert set(package) == {(r["equipment"], r["loc_code"]) for r in LOCS}
    for r in LOCS:
        loc = package[(r["equipment"], r["loc_code"])]
        assert loc.frequency == float(r["frequency"]), r["printed"]
        assert loc.frequency_unit == r["frequency_unit"], r["printed"]
        assert loc.hole_diameter_mm == _opt(r["hole_diameter_mm"]), r["printed"]
        assert loc.status == "UNCONFIRMED"


# -- Purple Book Table 4.5 direct ignition, qra-method.md §3 ----------------------------------------------------


IGNITION = _rows("direct_ignition.csv")
# (column, release type, amounts inside the band): the middle band is closed at both ends
BANDS = [
    ("continuous_lt_10", "continuous", [0.0, 1.0, 9.999]),
    ("continuous_10_100", "continuous", [10.0, 50.0, 100.0]),
    ("continuous_gt_100", "continuous", [100.001, 1e4]),
    ("instantaneous_lt_1000", "instantaneous", [0.0, 999.9]),
    ("instantaneous_1000_10000", "instantaneous", [1000.0, 5000.0, 10_000.0]),
    ("instantaneous_gt_10000", "instantaneous", [10_000.1, 1e7]),
]


@pytest.mark.parametrize("row", IGNITION, ids=lambda r: r["category"])
def test_direct_ignition_row_equals_the_reference(row: dict[str, str]) -> None:
    for column, release, amounts in BANDS:
        for amount in amounts:
            assert direct_ignition_probability(row["category"], release, amount) == float(row[column]), (
                column, amount)


def test_direct_ignition_categories_equal_the_reference() -> None:
    assert {b.category for b in load_parameters().ignition_bands} == {r["category"] for r in IGNITION}


# -- probits, qra-method.md §6 ------------------------------------------------------------------------------------


def test_heat_probits_equal_the_reference_row_by_row() -> None:
    rows = _rows("heat_probits.csv")
    assert set(load_parameters().heat_probits) == {r["key"] for r in rows}
    for r in rows:
        key = "lees" if r["key"] == "lees_osd30" else r["key"]
        p = heat_probit_constants(key, lees_half_factor=r["key"] != "lees_osd30")
        assert (p.a, p.b, p.dose_factor) == (float(r["a"]), float(r["b"]), float(r["dose_factor"])), r["printed"]


def test_overpressure_probits_equal_the_reference_row_by_row() -> None:
    rows = _rows("overpressure_probits.csv")
    expected: dict[str, dict[str, float]] = {}
    for r in rows:
        expected.setdefault(r["key"], {})[r["coefficient"]] = float(r["value"])
    assert set(load_parameters().overpressure_probits) == set(expected)
    for key, coefficients in expected.items():
        assert dict(overpressure_probit_constants(key).coefficients) == coefficients, key


def test_toxic_probits_equal_the_reference_row_by_row() -> None:
    rows = _rows("toxic_probits.csv")
    params = load_parameters()
    tables = {"A": ToxicProbitTable.SET_A_PURPLE_BOOK, "B": ToxicProbitTable.SET_B_LEES_OSD30}
    for table, package in (("A", params.toxic_set_a), ("B", params.toxic_set_b)):
        mine = [r for r in rows if r["table"] == table]
        assert set(package) == {r["key"] for r in mine}
        for r in mine:
            p = toxic_probit_constants(r["key"], tables[table])
            assert (p.a, p.b, p.n) == (float(r["a"]), float(r["b"]), float(r["n"])), r["printed"]
            assert (p.concentration_unit, p.time_unit) == (r["concentration_unit"], r["time_unit"])


# -- weather, wind profile, hole sizes, reactivity: qra-method.md §2.1 and §4, qra-outcomes-and-vessels.md ------


def test_weather_classes_equal_the_reference() -> None:
    rows = _rows("weather_classes.csv")
    got = [(w.label, w.stability, w.wind_speed_10m_m_s) for w in load_parameters().weather_classes]
    assert got == [(r["label"], r["stability"], float(r["wind_speed_10m_m_s"])) for r in rows]


def test_wind_profile_exponents_equal_the_reference() -> None:
    rows = _rows("wind_profile_exponents.csv")
    assert set(load_parameters().wind_exponents) == {(r["terrain"], r["stability"]) for r in rows}
    for r in rows:
        assert wind_profile_exponent(r["terrain"], r["stability"]) == float(r["p"]), r


def test_hole_sizes_equal_the_reference() -> None:
    rows = _rows("hole_sizes.csv")
    got = [(h.key, h.name_zh, h.min_mm, h.max_mm, h.representative_mm) for h in load_parameters().hole_sizes]
    assert got == [(r["key"], r["name_zh"], float(r["min_mm"]), float(r["max_mm"]), _opt(r["representative_mm"]))
                   for r in rows]


def test_low_reactivity_gases_are_the_listed_ones() -> None:
    # The recalled Purple Book list (UNCONFIRMED): the low row of Table 4.5 for these; the average/high row for
    # everything else, including the gases the notes name as average/high.
    for r in _rows("gas_reactivity.csv"):
        row = gas_reactivity([r["cas"]])
        if r["reactivity"] == "low":
            assert row is not None and row.reactivity == "low", r["name_en"]
        else:
            assert row is None or row.reactivity != "low", r["name_en"]


# -- reach_box_m: the box of a region known by hand -------------------------------------------------------------


def _rectangle(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """1 inside 100 ≤ downwind ≤ 300 m, −80 ≤ crosswind ≤ 20 m; 0 elsewhere."""
    return ((dx >= 100) & (dx <= 300) & (dy >= -80) & (dy <= 20)).astype(float)


def test_reach_box_holds_a_rectangle_and_the_source() -> None:
    box = reach_box_m(_rectangle, 0.5, max_distance_m=1000.0)
    # farthest corner (300, −80): 310.48 m; the radii step by (1000/0.1)^(1/799) = 1.16 %
    step = (1000.0 / 0.1) ** (1 / 799)
    corner = math.hypot(300.0, 80.0)
    assert corner / step <= box.reach <= corner * step
    # the box spans the source too (down_min ≤ 0) and is widened by at most one radial step plus one
    # angular step of arc at the reach: ≤ (step − 1)·reach + reach·2π/360 ≈ 9.0 m
    margin = (step - 1) * box.reach + box.reach * 2 * math.pi / 360
    assert -margin <= box.down_min <= -box.reach * 2 * math.pi / 360
    assert 300.0 <= box.down_max <= 300.0 + margin
    assert 80.0 <= box.cross_max <= 80.0 + margin  # |crosswind|: the −80 m side, not the +20 m side
    assert box.radii is not None and box.peak is not None and box.peak.max() == 1.0


def test_reach_box_of_an_omnidirectional_field_is_the_disc() -> None:
    box = reach_box_m(lambda dx, dy: (np.hypot(dx, dy) <= 200.0).astype(float), 0.5, directional=False,
                      max_distance_m=1000.0)
    assert 200.0 <= box.reach <= 200.0 * (1000.0 / 0.1) ** (1 / 799)
    assert (box.down_min, box.down_max, box.cross_max) == (-box.reach, box.reach, box.reach)


def test_reach_box_of_a_field_below_its_threshold_is_empty() -> None:
    box = reach_box_m(_rectangle, 2.0, max_distance_m=1000.0)
    assert (box.reach, box.down_min, box.down_max, box.cross_max) == (0.0, 0.0, 0.0, 0.0)
