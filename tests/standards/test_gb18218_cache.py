"""GB 18218 with a shared TermCache: the same answers as without it, unit after unit.

A run grades a whole register with one :class:`~geo_risk.standards.gb18218.TermCache`, so a row kind
resolved for one unit is reused for the next. Hand values from GB 18218-2018 Tables 1, 2 and 4
(docs/standards/gb18218-2018.md): 苯 is Table 1 row 57 (Q 50 t, W5.3 at ambient, boiling point
80.07 °C); W5.1 has β 1.5, W5.2 and W5.3 β 1; 氯 is row 12 (Q 5 t, Table 3 β 4). The randomised check
compares against the same function without a cache (the code path the hand tests pin).
"""

from __future__ import annotations

import random

import pytest

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import InventoryItem, OperatingConditions, TermCache, assess_unit

COLD = OperatingConditions(temperature_c=20.0, pressure_mpa=0.1)
HOT = OperatingConditions(temperature_c=90.0, pressure_mpa=0.1)  # above benzene's 80.07 °C
SPECIAL = OperatingConditions(temperature_c=20.0, pressure_mpa=0.1, special_process=True)
PRESSED = OperatingConditions(temperature_c=20.0, pressure_mpa=2.0)  # > 1.6 MPa


@pytest.mark.parametrize("order", [(COLD, HOT, SPECIAL, PRESSED), (HOT, PRESSED, COLD, SPECIAL)])
def test_a_flammable_liquid_takes_each_units_conditions(order) -> None:
    # 50 t of benzene: S = 50/50 = 1 (a major hazard), α 1.0 (10 residents), R = β.
    expected = {COLD: (("W5.3",), 1.0), HOT: (("W5.1",), 1.5), SPECIAL: (("W5.2",), 1.0), PRESSED: (("W5.2",), 1.0)}
    cache = TermCache()
    for conditions in order:
        a = assess_unit([("苯", 50)], 10, conditions, cache)
        (term,) = a.terms
        assert (term.codes, a.r) == expected[conditions], conditions
        assert (a.s, term.critical_quantity_t) == (1.0, 50.0)


def test_a_rows_own_temperature_is_part_of_its_kind() -> None:
    cache = TermCache()
    cold = assess_unit([InventoryItem("苯", 50, temperature_c=20.0)], 10, COLD, cache)
    hot = assess_unit([InventoryItem("苯", 50, temperature_c=85.0)], 10, COLD, cache)  # the row runs hot
    assert (cold.terms[0].codes, cold.r) == (("W5.3",), 1.0)
    assert (hot.terms[0].codes, hot.r) == (("W5.1",), 1.5)


def test_other_substances_are_resolved_once_whatever_the_conditions() -> None:
    cache = TermCache()
    for conditions in (COLD, HOT, SPECIAL, PRESSED):
        a = assess_unit([("液氯", 6)], 40, conditions, cache)  # 6/5 = 1.2; α 1.2 (40 residents); R = 1.2·4·1.2
        assert (a.s, a.alpha, a.r, a.grade) == (1.2, 1.2, pytest.approx(5.76, abs=1e-12), 4)
    assert len(cache) == 1


def test_a_value_of_another_type_is_another_kind() -> None:
    # table1_seq True is no Table 1 row, even after table1_seq 1 (氨; True == 1 in Python) was resolved
    cache = TermCache()
    assert assess_unit([InventoryItem(None, 10, table1_seq=1)], 0, None, cache).s == 1.0  # 氨: Q 10 t
    with pytest.raises(InvalidInput, match="table1_seq True is not a GB 18218-2018 Table 1 row"):
        assess_unit([InventoryItem(None, 10, table1_seq=True)], 0, None, cache)


def test_a_row_that_cannot_be_resolved_fails_every_time_under_its_own_name() -> None:
    cache = TermCache()
    for row in ("inventory 7 of unit A", "inventory 9 of unit B"):
        with pytest.raises(InvalidInput) as err:
            assess_unit([InventoryItem("不存在的物质", 1.0, row=row)], 0, None, cache)
        assert str(err.value).startswith(f"the unit's inventory cannot be assessed:\n  - {row}: '不存在的物质' is not")


# --- randomised: with a cache = without ----------------------------------------------------------
_KINDS = [
    {"chemical": "苯"}, {"chemical": "benzene"}, {"cas": "71-43-2"}, {"table1_seq": 57},
    {"chemical": "汽油"}, {"chemical": "甲醇", "hazard_categories": "J2"}, {"chemical": "液氯"},
    {"chemical": "液氨"}, {"table1_seq": 52}, {"chemical": "xylene", "hazard_categories": "W5.3;J2"},
    {"chemical": "某溶剂", "hazard_categories": "W5.4"}, {"hazard_categories": "W2;J3"},
    {"chemical": "9004-70-0"},  # ambiguous CAS: an error
    {"chemical": "氯", "cas": "7664-41-7"},  # contradiction: an error
    {"chemical": "unknown stuff"},  # not in Table 1, no categories: an error
]


def _random_unit(rng: random.Random) -> tuple[list[InventoryItem], float, OperatingConditions]:
    items = []
    for n in range(rng.randint(1, 3)):
        kind = rng.choice(_KINDS)
        items.append(InventoryItem(
            chemical=kind.get("chemical"), quantity_t=rng.choice([0.0, 0.1, 1.0, 5.0, 12.5, 50.0, 333.3, 1000.0]),
            cas=kind.get("cas"), table1_seq=kind.get("table1_seq"), hazard_categories=kind.get("hazard_categories"),
            temperature_c=rng.choice([None, None, 25.0, 70.0, 120.0]), pressure_mpa=rng.choice([None, 0.5, 1.7]),
            row=f"item {n + 1}",
        ))
    conditions = OperatingConditions(temperature_c=rng.choice([None, 20.0, 65.0, 150.0]),
                                     pressure_mpa=rng.choice([None, 0.1, 1.6, 3.0]),
                                     special_process=rng.random() < 0.2)
    return items, rng.choice([0.0, 0.4, 29.5, 35.0, 49.49, 120.0]), conditions


def _outcome(items, residents, conditions, cache):
    try:
        return assess_unit(items, residents, conditions, cache)
    except InvalidInput as exc:
        return str(exc)


def test_a_shared_cache_gives_what_each_unit_gives_alone() -> None:
    rng = random.Random(18218)
    cache = TermCache()
    outcomes = set()
    for _ in range(600):
        unit = _random_unit(rng)
        alone = _outcome(*unit, None)
        assert _outcome(*unit, cache) == alone, unit
        outcomes.add(type(alone))
    assert outcomes == {str, type(assess_unit([("氯", 1)], 0))}  # errors and results both exercised
    assert len(cache) <= len(_KINDS)
