"""GB 18218-2018 identification and grading against the worked examples of
``docs/standards/gb18218-2018.md`` §8 (hand-computed there), the tables' boundaries, and properties
that must hold for any inventory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import (
    InventoryItem,
    OperatingConditions,
    alpha_for_population,
    assess_unit,
    grade_for_r,
)

# -- §8 Example 1: storage unit, 60 t liquid chlorine (Table 1 row 12, Q = 5 t; Table 3 β = 4) ------


@pytest.mark.parametrize(
    ("residents", "alpha", "r", "grade"),
    [(35, 1.2, 57.6, 2), (0, 0.5, 24.0, 3), (100, 2.0, 96.0, 2), (50, 1.5, 72.0, 2)],
)
def test_example_1_liquid_chlorine(residents: int, alpha: float, r: float, grade: int) -> None:
    a = assess_unit([("液氯", 60)], exposed_population=residents)
    assert a.s == pytest.approx(12.0, abs=1e-12)
    assert a.is_major_hazard
    assert a.alpha == alpha
    assert a.r == pytest.approx(r, abs=1e-9)
    assert a.grade == grade
    (term,) = a.terms
    assert (term.table1_seq, term.critical_quantity_t, term.beta) == (12, 5.0, 4.0)


# -- §8 Example 2: 3000 t gasoline + 800 t methanol + 100 t benzene, 120 residents -----------------


def test_example_2_tank_farm_at_ambient_conditions() -> None:
    a = assess_unit([("汽油", 3000), ("甲醇", 800), ("苯", 100)], exposed_population=120)
    # S = 3000/200 + 800/500 + 100/50 = 15 + 1.6 + 2 = 18.6
    assert a.s == pytest.approx(18.6, abs=1e-12)
    assert a.alpha == 2.0
    # W5.3 at ambient → β = 1 for all three: R = 2.0 × 18.6 = 37.2 → 三级
    assert a.r == pytest.approx(37.2, abs=1e-9)
    assert a.grade == 3
    # Table 1 rows 66 (gasoline, Q 200), 65 (methanol, Q 500), 57 (benzene, Q 50)
    assert {t.table1_seq: t.q_over_q for t in a.terms} == pytest.approx({66: 15.0, 65: 1.6, 57: 2.0})
    assert a.main_substances[0].startswith("汽油")
    assert sum(t.share_of_s for t in a.terms) == pytest.approx(1.0)


def test_example_2_sensitivity_all_w51_gives_grade_2() -> None:
    # §8: "if all three were instead W5.1 (β = 1.5), R = 2.0 × 1.5 × 18.6 = 55.8 → 二级". Handled above
    # their boiling points (gasoline's representative ≈ 30–40 °C, methanol 64.7 °C, benzene 80.1 °C).
    a = assess_unit([("汽油", 3000), ("甲醇", 800), ("苯", 100)], exposed_population=120,
                    conditions=OperatingConditions(temperature_c=150.0))
    assert {t.beta for t in a.terms} == {1.5}
    assert a.r == pytest.approx(55.8, abs=1e-9)
    assert a.grade == 2


# -- §8 Example 3: below threshold; and S exactly 1 -------------------------------------------------


def test_example_3_below_threshold_has_no_grade() -> None:
    a = assess_unit([("氨", 2), ("氯", 0.5), ("甲苯", 100)], exposed_population=500)
    assert a.s == pytest.approx(0.5, abs=1e-12)  # 0.2 + 0.1 + 0.2
    assert not a.is_major_hazard
    assert a.r is None and a.grade is None


def test_s_exactly_one_is_a_major_hazard() -> None:
    a = assess_unit([("氯", 5)], exposed_population=0)
    assert a.s == 1.0 and a.is_major_hazard
    assert a.r == pytest.approx(2.0) and a.grade == 4  # 0.5 × 4 × 1


def test_s_just_below_one_from_decimal_parts_is_not() -> None:
    # Ten rows of 0.49 t chlorine: S = 10 × 0.49/5 = 0.98.
    a = assess_unit([("氯", 0.49)] * 10, exposed_population=0)
    assert a.s == pytest.approx(0.98) and not a.is_major_hazard


def test_s_of_one_from_parts_that_are_inexact_in_binary() -> None:
    # 0.7 + 0.2 + 0.1 of Q: in binary floats 0.7 + 0.2 + 0.1 = 0.9999999999999999 < 1.
    a = assess_unit([("氯", 3.5), ("氯", 1.0), ("氯", 0.5)], exposed_population=0)
    assert a.is_major_hazard


# -- §8 Example 4: boundaries of Tables 5 and 6 -----------------------------------------------------


@pytest.mark.parametrize(("n", "alpha"), [(0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5),
                                          (99, 1.5), (100, 2.0), (100_000, 2.0)])
def test_alpha_bands(n: int, alpha: float) -> None:
    assert alpha_for_population(n) == alpha


@pytest.mark.parametrize(("n", "alpha"), [(0.4, 0.5), (0.5, 1.0), (29.49, 1.0), (29.5, 1.2), (99.5, 2.0)])
def test_apportioned_residents_round_to_the_nearest_person(n: float, alpha: float) -> None:
    assert alpha_for_population(n) == alpha


@pytest.mark.parametrize(("r", "grade"), [(100, 1), (99.99, 2), (50, 2), (49.99, 3), (10, 3), (9.99, 4), (0, 4)])
def test_grade_limits(r: float, grade: int) -> None:
    assert grade_for_r(r) == grade


def test_r_exactly_100_is_grade_1() -> None:
    # 62.5 t chlorine: S = 12.5; α = 2.0 → R = 2.0 × 4 × 12.5 = 100 → 一级
    a = assess_unit([("氯", 62.5)], exposed_population=100)
    assert a.r == 100.0 and a.grade == 1
    # 25 t chlorine with α = 2.0 → R = 40 → 三级
    assert assess_unit([("氯", 25)], exposed_population=150).grade == 3


def test_r_exactly_10_and_50_when_float_sums_fall_short() -> None:
    # Chlorine (Q 5 t, β 4). 0.5 + 20.5 + 4.0 = 25 t → S = 5; α 0.5 → R = 0.5 × 4 × 5 = 10 exactly (三级).
    # Summed in binary floating point the terms give 9.999999999999998 (→ 四级): the standard's
    # limits must be compared in decimal arithmetic (gb18218-2018.md §8, Example 4, last point).
    assert 0.5 * (4 * 0.5 / 5 + 4 * 20.5 / 5 + 4 * 4.0 / 5) < 10
    a = assess_unit([("氯", 0.5), ("氯", 20.5), ("氯", 4.0)], exposed_population=0)
    assert a.r == pytest.approx(10.0) and a.grade == 3
    # 0.5 + 20.5 + 10.25 = 31.25 t → S = 6.25; α 2.0 → R = 50 exactly (二级); floats give 49.99999999999999.
    assert 2.0 * (4 * 0.5 / 5 + 4 * 20.5 / 5 + 4 * 10.25 / 5) < 50
    b = assess_unit([("氯", 0.5), ("氯", 20.5), ("氯", 10.25)], exposed_population=100)
    assert b.r == pytest.approx(50.0) and b.grade == 2


# -- β rules ------------------------------------------------------------------------------------------


def test_lpg_is_a_flammable_gas_beta_1_5() -> None:
    # Table 1 row 52 (LPG), Q = 50 t, not in Table 3 → Table 4 W2 → β 1.5 (not 1)
    a = assess_unit([("液化石油气", 100)], exposed_population=0)
    assert a.terms[0].beta == 1.5
    assert a.r == pytest.approx(0.5 * 1.5 * 100 / 50)


def test_substance_outside_table_1_takes_lowest_q_and_largest_beta() -> None:
    # W5.3 (Q 1000, β 1) and J2 (Q 50, β 1): Q = 50. J3 (Q 50, β 2) with W2 (Q 10, β 1.5): Q = 10, β = 2.
    a = assess_unit([InventoryItem("某溶剂", 100, hazard_categories="W5.3;J2")], exposed_population=0)
    assert (a.terms[0].critical_quantity_t, a.terms[0].beta) == (50.0, 1.0)
    b = assess_unit([("W2;J3", 20)], exposed_population=0)
    assert (b.terms[0].critical_quantity_t, b.terms[0].beta, b.s) == (10.0, 2.0, 2.0)


def test_flammable_liquid_outside_table_1_moves_to_w52_under_pressure_and_w51_changes_q() -> None:
    solvent = InventoryItem("乙酸丁酯", 60, hazard_categories="W5.4")
    ambient = assess_unit([solvent], exposed_population=0)
    assert (ambient.terms[0].critical_quantity_t, ambient.terms[0].beta) == (5000.0, 1.0)
    pressed = assess_unit([solvent], 0, OperatingConditions(pressure_mpa=2.0))
    assert pressed.terms[0].codes == ("W5.2",) and pressed.terms[0].critical_quantity_t == 50.0
    assert pressed.s == pytest.approx(1.2) and pressed.is_major_hazard
    at_limit = assess_unit([solvent], 0, OperatingConditions(pressure_mpa=1.6))  # "> 1.6 MPa" is strict
    assert at_limit.terms[0].codes == ("W5.4",)
    special = assess_unit([solvent], 0, OperatingConditions(special_process=True))
    assert special.terms[0].codes == ("W5.2",)


def test_an_explicit_w51_category_raises_a_table_1_liquids_beta() -> None:
    # Gasoline is W5.3 at ambient (β 1, project choice); a row that states W5.1 gets β 1.5, Q stays 200 t.
    a = assess_unit([InventoryItem("汽油", 400, hazard_categories="W5.1")], exposed_population=0)
    assert (a.terms[0].critical_quantity_t, a.terms[0].beta) == (200.0, 1.5)


def test_table_3_beta_is_kept_whatever_the_conditions() -> None:
    a = assess_unit([("氨", 50)], exposed_population=0, conditions=OperatingConditions(temperature_c=200))
    assert a.terms[0].beta == 2.0  # Table 3


# -- bad input names the item -------------------------------------------------------------------------


def test_bad_items_are_named() -> None:
    with pytest.raises(InvalidInput) as info:
        assess_unit([InventoryItem("氯", -1, row="inventory row 4"),
                     InventoryItem("不存在的化学品", 5, row="inventory row 7"),
                     InventoryItem("苯", float("inf"), row="inventory row 9")], exposed_population=0)
    text = str(info.value)
    assert "inventory row 4" in text and "≥ 0" in text
    assert "inventory row 7" in text and "hazard_categories" in text
    assert "inventory row 9" in text


@pytest.mark.parametrize("population", [-1, float("nan")])
def test_bad_population(population: float) -> None:
    with pytest.raises(InvalidInput, match="exposed population"):
        assess_unit([("氯", 5)], exposed_population=population)


def test_empty_unit_is_not_a_major_hazard() -> None:
    a = assess_unit([], exposed_population=10)
    assert (a.s, a.is_major_hazard, a.grade) == (0.0, False, None)


# -- properties ---------------------------------------------------------------------------------------

CHEMICALS = ["氯", "氨", "液化石油气", "苯", "甲醇", "汽油", "硫化氢", "环氧乙烷", "氢"]
quantities = st.floats(min_value=0, max_value=5000, allow_nan=False, allow_infinity=False)
inventories = st.lists(st.tuples(st.sampled_from(CHEMICALS), quantities), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(inv=inventories, extra=st.tuples(st.sampled_from(CHEMICALS), quantities),
       people=st.integers(min_value=0, max_value=1000))
def test_adding_inventory_never_lowers_s_or_r(inv: list, extra: tuple, people: int) -> None:
    before = assess_unit(inv, people)
    after = assess_unit([*inv, extra], people)
    assert after.s >= before.s - 1e-12
    if before.is_major_hazard:
        assert after.is_major_hazard and after.r >= before.r - 1e-9
        assert after.grade <= before.grade


@settings(max_examples=150, deadline=None)
@given(inv=inventories, k=st.integers(min_value=1, max_value=20), people=st.integers(min_value=0, max_value=1000))
def test_r_scales_linearly_with_quantities_for_fixed_alpha(inv: list, k: int, people: int) -> None:
    base = assess_unit(inv, people)
    scaled = assess_unit([(c, q * k) for c, q in inv], people)
    assert scaled.s == pytest.approx(base.s * k, rel=1e-9, abs=1e-12)
    if base.is_major_hazard:
        assert scaled.r == pytest.approx(base.r * k, rel=1e-9)
        # and R is α times the β-weighted sum, term by term
        assert base.r == pytest.approx(base.alpha * sum(t.beta * t.quantity_t / t.critical_quantity_t
                                                        for t in base.terms), rel=1e-12)
