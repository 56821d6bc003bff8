"""GB 36894 Figure 1: the F-N lines and the tie rule, exactly.

The default lines are F = 1e-3/N (upper) and F = 1e-5/N (lower) (docs/standards/gb36894-2018.md §5,
C1). The tie rule is a project CHOICE: a curve point exactly on a line counts as the worse region, as
the individual-risk colours put a boundary value in the worse colour; "exactly" is within
FN_BOUNDARY_RTOL = 4 units in the last place. The expected values are 1e-3/N and 1e-5/N computed
directly (one correctly rounded division), not read from the module's line.
"""

from __future__ import annotations

import numpy as np
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import (
    FN_BOUNDARY_RTOL,
    SOCIETAL_RISK_CRITERION,
    SocietalRiskCriterion,
    classify_fn,
    classify_target,
    classify_targets,
    individual_risk_criterion_per_year,
    on_or_above,
)

N = np.arange(1.0, 1001.0)
EPS = float(np.finfo(float).eps)
BELOW = 1 - 1e-12  # far outside the tolerance, far inside any meaningful difference


def test_the_tolerance_is_four_ulps() -> None:
    assert FN_BOUNDARY_RTOL == 4 * EPS


@pytest.mark.parametrize(("which", "a"), [("upper", 1e-3), ("lower", 1e-5)])
def test_default_lines_are_a_over_n_to_one_ulp(which: str, a: float) -> None:
    line = SOCIETAL_RISK_CRITERION.boundary(which, N)
    assert np.all(np.abs(line - a / N) <= np.spacing(a / N))
    assert SOCIETAL_RISK_CRITERION.boundary(which, np.array([1.0, 1000.0])).tolist() == [a, a / 1000]
    beyond = np.array([2000.0, 5000.0])  # the last slope goes on beyond N = 1000
    assert np.all(np.abs(SOCIETAL_RISK_CRITERION.boundary(which, beyond) - a / beyond) <= 2 * np.spacing(a / beyond))


def test_the_line_at_n_10_is_on_the_line() -> None:
    # an interpolation of logarithms gave 9.999999999999991e-05 here, so F = 1e-4 was "above" it by luck
    assert SOCIETAL_RISK_CRITERION.boundary("upper", np.array([10.0]))[0] == 1e-4
    assert classify_fn(np.array([10.0]), np.array([1e-4])) == "unacceptable"
    assert classify_fn(np.array([10.0]), np.array([1e-4 * BELOW])) == "alarp"


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 33, 100, 333, 999, 1000])
def test_a_point_exactly_on_a_line_is_the_worse_region(n: int) -> None:
    nn = np.array([float(n)])
    assert classify_fn(nn, np.array([1e-3 / n])) == "unacceptable"
    assert classify_fn(nn, np.array([1e-3 / n * BELOW])) == "alarp"
    assert classify_fn(nn, np.array([1e-5 / n])) == "alarp"
    assert classify_fn(nn, np.array([1e-5 / n * BELOW])) == "acceptable"


def test_every_integer_n_on_both_lines() -> None:
    for n in N:
        assert classify_fn(np.array([n]), np.array([1e-3 / n])) == "unacceptable", n
        assert classify_fn(np.array([n]), np.array([1e-5 / n])) == "alarp", n


def test_an_event_killing_exactly_one_person_counts() -> None:
    # N = 1 exactly: the lines are 1e-3 and 1e-5 there; N just below 1 kills nobody.
    assert classify_fn(np.array([1.0]), np.array([1e-3])) == "unacceptable"
    assert classify_fn(np.array([1.0]), np.array([1e-5])) == "alarp"
    assert classify_fn(np.array([1.0]), np.array([9.99e-6])) == "acceptable"
    assert classify_fn(np.array([0.999999]), np.array([1.0])) == "acceptable"
    assert classify_fn(np.array([0.5, 1.0]), np.array([1.0, 2e-3])) == "unacceptable"


def test_on_or_above_by_hand() -> None:
    line = np.array([1e-4, 1e-4, 1e-4, 1e-4])
    f = np.array([1e-4, 1e-4 * (1 - 2 * EPS), 1e-4 * BELOW, 2e-4])
    assert on_or_above(f, line).tolist() == [True, True, False, True]


def test_the_curve_is_a_step_function_read_at_every_integer_n() -> None:
    # unsorted points: F(1) = 2e-3 is above the upper line at N = 1
    assert classify_fn(np.array([100.0, 1.0]), np.array([1e-8, 2e-3])) == "unacceptable"
    # F(N) for 2 ≤ N ≤ 10 is the frequency of the point at N = 10 (5e-7), below 1e-5/N up to N = 10
    assert classify_fn(np.array([1.0, 10.0]), np.array([5e-6, 5e-7])) == "acceptable"
    # the curve ends at its largest N: F just below the upper line at N = 10 is not read at N = 11
    assert classify_fn(np.array([10.0]), np.array([0.99999e-4])) == "alarp"
    # a point at N = 10.5 counts for N = 1 … 10 only
    assert classify_fn(np.array([10.5]), np.array([1e-4])) == "unacceptable"
    assert classify_fn(np.array([10.5]), np.array([0.99e-4])) == "alarp"


def test_a_criterion_with_bent_lines() -> None:
    # upper: slope −2 from (1, 1e-2) to (10, 1e-4), then −1 to (100, 1e-5); lower a hundred times lower
    bent = SocietalRiskCriterion(upper=((1.0, 1e-2), (10.0, 1e-4), (100.0, 1e-5)),
                                 lower=((1.0, 1e-4), (10.0, 1e-6), (100.0, 1e-7)),
                                 n_max=100.0, confidence="test", note="test")
    n = np.array([0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 100.0, 1000.0])
    expected = np.array([4e-2, 1e-2, 2.5e-3, 4e-4, 1e-4, 5e-5, 1e-5, 1e-6])
    np.testing.assert_allclose(bent.boundary("upper", n), expected, rtol=4 * EPS)
    np.testing.assert_allclose(bent.boundary("lower", n), expected / 100, rtol=4 * EPS)
    assert classify_fn(np.array([5.0]), np.array([4e-4]), bent) == "unacceptable"  # on the −2 segment
    assert classify_fn(np.array([5.0]), np.array([3.9e-4]), bent) == "alarp"
    assert classify_fn(np.array([20.0]), np.array([5e-7]), bent) == "alarp"  # on the lower line's −1 segment
    assert classify_fn(np.array([20.0]), np.array([4.9e-7]), bent) == "acceptable"


def test_boundary_refuses_an_unknown_line() -> None:
    with pytest.raises(InvalidInput, match="which = 'middle'; valid: 'upper', 'lower'"):
        SOCIETAL_RISK_CRITERION.boundary("middle", N)


# =============================================================================================
# Target classes: inputs of every form, messages word for word


def test_lists_line_up_with_a_labelled_kinds_series() -> None:
    kinds = pd_series(["mall", "residential", "school"], ["a", "b", "c"])
    got = classify_targets(kinds, [150, 20, 5], [None, 40, None])
    assert got.to_dict() == {"a": "general_1", "b": "general_1", "c": "high_sensitive"}


def test_nullable_integer_counts() -> None:
    import pandas as pd

    kinds = pd.Series(["mall", "mall", "residential"])
    pops = pd.Series([100, pd.NA, 29], dtype="Int64")
    hh = pd.Series([pd.NA, pd.NA, 10], dtype="Int64")
    assert classify_targets(kinds, pops, hh).tolist() == ["general_1", "general_1", "general_2"]


def pd_series(values, index):
    import pandas as pd

    return pd.Series(values, index=index)


def test_classify_target_messages_word_for_word() -> None:
    with pytest.raises(InvalidInput) as err:
        classify_target("castle", 5)
    message = str(err.value)
    assert message.startswith("classify_target: unknown protection-target kind 'castle'. Valid kinds: school, ")
    assert message.endswith(". Map the source category to one of these (use 'other' for another public gathering "
                            "place).")
    with pytest.raises(InvalidInput) as err:
        classify_target("residential", -1, "many")
    assert str(err.value) == ("classify_target: population -1 is negative; households 'many' is not a number "
                              "(kind 'residential'). Counts are numbers of people or households, zero or more; "
                              "use None when unknown.")


def test_individual_risk_criterion_refuses_what_is_not_text() -> None:
    with pytest.raises(InvalidInput) as err:
        individual_risk_criterion_per_year(["general_1"], "new")  # type: ignore[arg-type]
    assert str(err.value) == (
        "individual_risk_criterion_per_year: unknown target class ['general_1']. Valid classes: high_sensitive, "
        "important, general_1, general_2, general_3. Classify the target first with classify_target().")
    with pytest.raises(InvalidInput) as err:
        individual_risk_criterion_per_year("general_1", None)  # type: ignore[arg-type]
    assert str(err.value) == (
        "individual_risk_criterion_per_year: unknown installation type None. Valid: 'new' (新建, including "
        "改建/扩建: new, rebuilt or expanded) or 'existing' (在役: in service).")
