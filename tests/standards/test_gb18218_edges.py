"""GB 18218-2018: how inventory rows are named in messages, codes told from names, the basis texts.

Expected values from GB 18218-2018 Tables 1 and 2 (docs/standards/gb18218-2018.md): 苯 is Table 1
row 57 (Q 50 t, W5.3, boiling point 80.07 °C); W2 has Q 10 t and β 1.5, J3 Q 50 t and β 2, W5.1 β 1.5.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.standards import gb18218
from geo_risk.standards.gb18218 import OperatingConditions, assess_unit

NOT_IN_TABLE_1 = "is not in GB 18218-2018 Table 1: give its hazard_categories (Table 2 codes such as W5.3;J2)."


def _problems(inventory) -> str:
    with pytest.raises(InvalidInput) as err:
        assess_unit(inventory, 10)
    return str(err.value)


def test_rows_are_named_by_their_position() -> None:
    assert _problems([("氯", 1), {"chemical": "氯", "quantity_t": -1}, ("W2;J3", -2)]) == (
        "the unit's inventory cannot be assessed:\n"
        "  - item 2: quantity -1 t must be a finite number ≥ 0\n"
        "  - item 3: quantity -2 t must be a finite number ≥ 0")
    with pytest.raises(InvalidInput, match=r"^inventory item 2 has no quantity_t \(tonnes\)$"):
        assess_unit([("氯", 1), {"chemical": "氨"}], 10)
    # a row that names itself keeps its name
    assert _problems([{"chemical": "氯", "quantity_t": -1, "row": "tank T-7"}]) == (
        "the unit's inventory cannot be assessed:\n  - tank T-7: quantity -1 t must be a finite number ≥ 0")


@pytest.mark.parametrize("text", ["W2；苯1", "W2,苯1", "W2;苯1", "X1"])
def test_a_name_is_not_taken_for_table2_codes(text: str) -> None:
    # a part that does not start with J or W (and carry a digit) makes the whole text a name
    assert _problems([(text, 1)]).startswith(f"the unit's inventory cannot be assessed:\n  - item 1: '{text}' "
                                             f"{NOT_IN_TABLE_1}")


def test_codes_only_item_is_named_by_its_codes_with_the_lowest_q_and_largest_beta() -> None:
    a = assess_unit([("W2；J3", 5)], 10)  # full-width separator: still codes
    (term,) = a.terms
    assert (term.name_zh, term.name_en, term.codes) == ("W2;J3", "W2;J3", ("W2", "J3"))  # named by its codes
    assert term.basis == "not in Table 1: categories W2;J3 → lowest Q 10.0 t, largest β 2.0"
    assert (term.critical_quantity_t, term.beta, a.s) == (10.0, 2.0, 0.5)
    plain = assess_unit([("W2,J3", 5)], 10).terms[0]
    assert (plain.name_en, plain.codes) == ("W2;J3", ("W2", "J3"))


def test_condition_reason_is_added_to_a_table1_basis() -> None:
    hot = assess_unit([("苯", 10)], 10, OperatingConditions(temperature_c=90.0))
    (term,) = hot.terms
    assert term.codes == ("W5.1",) and term.beta == 1.5 and term.critical_quantity_t == 50.0
    assert term.basis == ("Table 1 row 57: Q = 50 t; β from Table 4 (table4:W5.3); "
                          "handled at 90 °C above its boiling point 80.07 °C → W5.1")
    cold = assess_unit([("苯", 10)], 10, OperatingConditions(temperature_c=20.0)).terms[0]
    assert cold.basis == "Table 1 row 57: Q = 50 t; β from Table 4 (table4:W5.3)" and cold.beta == 1.0


def test_whole_numbers_of_tonnes_stay_exact() -> None:
    assert gb18218._dec(10**17 + 1) == Decimal("100000000000000001")
    assert gb18218._dec(np.int64(7)) == Decimal(7)
    assert gb18218._dec(0.7) == Decimal("0.7")
