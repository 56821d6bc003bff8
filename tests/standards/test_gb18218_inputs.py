"""GB 18218-2018: how inventory rows are read and what each substance term reports.

Checked against the standard's tables as the catalogue holds them (chlorine: Table 1 row 12, Q = 5 t,
Table 3 β = 4; benzene: row 57, Q = 50 t, W5.3; Table 2 W5.3 Q = 1000 t, W5.2 Q = 50 t, W5.1 β = 1.5)
and docs/standards/gb18218-2018.md §8 Example 1 (60 t of chlorine: S = 12, β·q/Q = 48). Each rule is
pinned where a mutant of it would change an answer or a message (docs/mutation-testing.md).
"""

from __future__ import annotations

import pytest

from geo_risk.chemicals import resolve
from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import InventoryItem, OperatingConditions, assess_unit, grade_for_r

BENZENE_BOILING_C = resolve("苯", None, None, None).substance.properties.boiling_point_c  # the catalogue's input


def test_a_term_reports_its_substance_and_its_share() -> None:
    term = assess_unit([("氯", 60)], exposed_population=35).terms[0]
    assert (term.name_zh, term.name_en, term.table1_seq, term.cas) == ("氯", "Chlorine", 12, "7782-50-5")
    assert (term.quantity_t, term.critical_quantity_t, term.beta) == (60.0, 5.0, 4.0)
    assert (term.q_over_q, term.beta_q_over_q, term.share_of_s) == (12.0, 48.0, 1.0)
    assert term.matched_by == "name"
    assert term.basis == "Table 1 row 12: Q = 5 t; Table 3 β"
    assert assess_unit([("氯", 60)], exposed_population=35).exposed_population == 35.0


def test_the_share_of_s_below_the_threshold_and_at_zero() -> None:
    # 2.5 t of chlorine: S = 0.5, all of it from chlorine; nothing at all: S = 0 and no share.
    assert assess_unit([("氯", 2.5)], 0).terms[0].share_of_s == 1.0
    two = assess_unit([("氯", 1), ("苯", 10)], 0).terms  # 0.2 and 0.2 of S = 0.4
    assert [t.share_of_s for t in two] == pytest.approx([0.5, 0.5], abs=1e-12)
    assert assess_unit([("氯", 0)], 0).terms[0].share_of_s == 0.0


def test_rows_as_mappings() -> None:
    by_cas = assess_unit([{"cas": "7782-50-5", "quantity_t": 60}], 35)  # no chemical name at all
    assert (by_cas.s, by_cas.r) == (12.0, 57.6)
    assert by_cas.terms[0].cas == "7782-50-5" and by_cas.terms[0].name_zh == "氯"
    by_seq = assess_unit([{"table1_seq": 12, "max_quantity_t": 60}], 35)  # the interchange column name
    assert (by_seq.s, by_seq.r) == (12.0, 57.6)
    both = assess_unit([{"chemical": "氯", "quantity_t": 60, "max_quantity_t": 1}], 35)  # quantity_t wins
    assert both.s == 12.0
    with pytest.raises(InvalidInput, match=r"^inventory item 2 has no quantity_t \(tonnes\)$"):
        assess_unit([("氯", 1), {"chemical": "氯"}], 0)


def test_rows_as_items_name_the_substance_by_cas_or_sequence() -> None:
    assert assess_unit([InventoryItem(None, 60, cas="7782-50-5")], 35).r == 57.6
    assert assess_unit([InventoryItem(None, 60, table1_seq=12)], 35).r == 57.6


def test_rows_as_pairs_of_name_or_categories() -> None:
    butadiene = assess_unit([("1,3-丁二烯", 5)], 0).terms[0]  # a name with digits and a comma, not categories
    assert (butadiene.table1_seq, butadiene.critical_quantity_t) == (47, 5.0)
    for codes in ("W5.3；W5.4", "W5.3,W5.4", "w5.3; w5.4"):  # full-width semicolon, comma, lower case
        term = assess_unit([(codes, 10)], 0).terms[0]
        assert (term.critical_quantity_t, term.beta) == (1000.0, 1.0), codes  # lowest Q of W5.3 (1000 t) and W5.4
    assert assess_unit([("W5.3", 10)], 0).terms[0].name_zh == "W5.3"


@pytest.mark.parametrize("entry", [["氯", 60], ("氯", 60, "t"), 60, "氯"])
def test_other_rows_are_refused(entry: object) -> None:
    with pytest.raises(InvalidInput, match=r"^inventory item 1 is .*: give \(chemical or categories, quantity in "
                                           r"tonnes\), a mapping with chemical/quantity_t, or an InventoryItem$"):
        assess_unit([entry], 0)


def test_every_bad_row_is_reported_at_once_with_its_label() -> None:
    with pytest.raises(InvalidInput) as caught:
        assess_unit([("氯", -1), ("氯", 5), {"chemical": "氯", "quantity_t": "lots", "row": "inventory row 7"},
                     InventoryItem("氯", float("inf"))], 0)
    assert str(caught.value) == (
        "the unit's inventory cannot be assessed:\n"
        "  - item 1: quantity -1 t must be a finite number ≥ 0\n"
        "  - inventory row 7: quantity 'lots' is not a number of tonnes\n"
        "  - item: quantity inf t must be a finite number ≥ 0"
    )


def test_a_yes_no_value_is_not_a_grading_index() -> None:
    with pytest.raises(InvalidInput, match=r"^expected a number, got True$"):
        grade_for_r(True)


def test_a_liquid_exactly_at_its_boiling_point_is_not_above_it() -> None:
    at = assess_unit([("苯", 10)], 0, OperatingConditions(temperature_c=BENZENE_BOILING_C)).terms[0]
    above = assess_unit([("苯", 10)], 0, OperatingConditions(temperature_c=BENZENE_BOILING_C + 0.01)).terms[0]
    assert (at.codes, at.beta) == (("W5.3",), 1.0)
    assert (above.codes, above.beta) == (("W5.1",), 1.5)
    assert at.basis == "Table 1 row 57: Q = 50 t; β from Table 4 (table4:W5.3)"


def test_an_items_own_conditions_override_the_units() -> None:
    hot_unit = OperatingConditions(temperature_c=120, pressure_mpa=2.0)
    cool_item = InventoryItem("苯", 10, temperature_c=20, pressure_mpa=0.1)
    assert assess_unit([cool_item], 0, hot_unit).terms[0].codes == ("W5.3",)
    hot_item = InventoryItem("苯", 10, temperature_c=120)
    assert assess_unit([hot_item], 0, OperatingConditions(temperature_c=20)).terms[0].codes == ("W5.1",)
    pressed = InventoryItem(None, 10, hazard_categories="W5.3", pressure_mpa=2.0)
    assert assess_unit([pressed], 0, OperatingConditions(pressure_mpa=0.1)).terms[0].codes == ("W5.2",)


def test_conditions_of_a_liquid_outside_table_1() -> None:
    special = assess_unit([("W5.3", 10)], 0, OperatingConditions(special_process=True)).terms[0]
    assert (special.codes, special.critical_quantity_t) == (("W5.2",), 50.0)
    assert special.basis == ("not in Table 1: categories W5.2 → lowest Q 50.0 t, largest β 1.0; "
                             "special process (危险化工工艺) → W5.2")
    warm = assess_unit([("W5.3", 10)], 0, OperatingConditions(temperature_c=30)).terms[0]
    assert warm.codes == ("W5.3",)
    assert warm.basis == ("not in Table 1: categories W5.3 → lowest Q 1000.0 t, largest β 1.0; "
                          "boiling point unknown: W5.1 (above boiling point) not checked")
    plain = assess_unit([("W5.3", 10)], 0).terms[0]
    assert plain.basis == "not in Table 1: categories W5.3 → lowest Q 1000.0 t, largest β 1.0"
    gas = assess_unit([("W2", 10)], 0, OperatingConditions(temperature_c=30)).terms[0]  # not a liquid: no note
    assert gas.basis.endswith("largest β 1.5")
    two = assess_unit([("W5.3;J2", 10)], 0).terms[0]
    assert two.name_zh == "W5.3;J2" and two.codes == ("W5.3", "J2")
