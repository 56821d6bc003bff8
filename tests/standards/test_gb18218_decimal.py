"""S = Σ qᵢ/Qᵢ is summed in decimal as the quantities are written (issue 11 §8: a surviving mutant).

GB 18218-2018 §4.2.2: a unit is a major hazard source when S ≥ 1. Quantities in a safety report
are decimals (0.7 t); summed as binary floats they can fall just short of the threshold. 0.7 t +
4.3 t of chlorine (Table 1 row 12, Q = 5 t) is 5 t, S = 5/5 = 1 exactly: a major hazard source.
In binary, 0.7 and 4.3 are both stored a little low (0.6999999999999999556 and
4.2999999999999998224), so a sum of their exact binary values is 4.99999999999999978 < 5; reading
each through ``Decimal(float(x))`` would grade the unit as no hazard at all.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from geo_risk.standards.gb18218 import assess_unit

CHLORINE_Q_T = 5  # GB 18218-2018 Table 1, row 12 (氯, 7782-50-5): critical quantity 5 t
CHLORINE_BETA = 4  # Table 3: chlorine's correction factor β


def test_the_example_is_exact_in_decimal_and_short_in_binary() -> None:
    """The premise, computed without the code under test."""
    assert Fraction("0.7") / CHLORINE_Q_T + Fraction("4.3") / CHLORINE_Q_T == 1
    assert Decimal(0.7) + Decimal(4.3) < 5  # each float's exact binary value


def test_s_of_exactly_one_from_parts_inexact_in_binary_is_a_major_hazard() -> None:
    a = assess_unit([("氯", 0.7), ("氯", 4.3)], exposed_population=0)
    assert a.s == 1.0
    assert a.is_major_hazard
    # R = α · β · S with α = 0.5 for no residents (Table 5) and β = 4 (Table 3): exactly 2.0.
    assert a.r == 0.5 * CHLORINE_BETA * 1.0


def test_the_same_tonnes_as_decimals_and_as_text_agree() -> None:
    as_float = assess_unit([("氯", 0.7), ("氯", 4.3)], exposed_population=0)
    as_decimal = assess_unit([("氯", Decimal("0.7")), ("氯", Decimal("4.3"))], exposed_population=0)
    assert (as_float.s, as_float.is_major_hazard) == (as_decimal.s, as_decimal.is_major_hazard) == (1.0, True)


def test_just_under_one_in_decimal_is_not_a_major_hazard() -> None:
    a = assess_unit([("氯", 0.7), ("氯", 4.29)], exposed_population=0)  # S = 4.99/5 = 0.998
    assert not a.is_major_hazard
    assert a.s == float(Fraction("4.99") / CHLORINE_Q_T)
