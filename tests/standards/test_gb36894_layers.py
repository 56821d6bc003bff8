"""GB 36894-2018 target classes for a whole layer: the vectorised classify_targets.

Each row must get what :func:`classify_target` gives that row alone (the one-target rules are checked
against the standard's Table in test_gb36894.py); bad rows are all listed at once, by row label, in
row order. Pinned so that a mutant of the layer path is caught (docs/mutation-testing.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import classify_target, classify_targets

KINDS = ["residential", "residential", "school", "office", "office", "mall", "hospital", "factory", " Office "]
PEOPLE = [10, 5000, 100, 5000, 20, 50, 3, 0, 5000]
HOUSEHOLDS = [40, 1, np.nan, 7, 7, 7, 7, 7, 7]


def _one_by_one(kinds: list, people: list, households: list | None = None) -> list[str]:
    out = []
    for i, kind in enumerate(kinds):
        p = None if pd.isna(people[i]) else people[i]
        hh = None if households is None or pd.isna(households[i]) else households[i]
        out.append(classify_target(kind.strip().lower(), p, hh))
    return out


def test_a_layer_is_classified_row_by_row() -> None:
    index = pd.Index([f"T{i}" for i in range(len(KINDS))])
    got = classify_targets(pd.Series(KINDS, index=index), pd.Series(PEOPLE, index=index),
                           pd.Series(HOUSEHOLDS, index=index))
    assert got.tolist() == _one_by_one(KINDS, PEOPLE, HOUSEHOLDS)
    assert got.index.equals(index) and got.name == "target_class"
    assert classify_targets(pd.Series(KINDS, index=index), pd.Series(PEOPLE, index=index)).tolist() == _one_by_one(
        KINDS, PEOPLE)


def test_plain_lists_are_taken_as_columns() -> None:
    assert classify_targets(KINDS, PEOPLE, HOUSEHOLDS).tolist() == _one_by_one(KINDS, PEOPLE, HOUSEHOLDS)
    assert classify_targets(KINDS, np.array(PEOPLE, dtype=float)).tolist() == _one_by_one(KINDS, PEOPLE)


def test_counts_as_text_and_unknown_counts() -> None:
    people = ["10", "5000", None, "5000.0", np.nan, "50", "3", "0", 5000]
    got = classify_targets(pd.Series(KINDS), pd.Series(people, dtype=object))
    expect = _one_by_one(KINDS, [None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
                                 for v in people])
    assert got.tolist() == expect


def test_columns_that_do_not_line_up_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^classify_targets: populations has a different index from kinds "
                                           r"\(2 vs 3 rows\); pass columns of the same frame so rows line up\.$"):
        classify_targets(["office"] * 3, [1, 2])
    with pytest.raises(InvalidInput, match=r"^classify_targets: households has a different index from kinds "
                                           r"\(3 vs 2 rows\)"):
        classify_targets(["residential"] * 2, [1, 2], [1, 2, 3])
    with pytest.raises(InvalidInput, match=r"^classify_targets: populations has a different index"):
        classify_targets(pd.Series(["office"], index=["a"]), pd.Series([1], index=["b"]))


def test_every_bad_row_is_listed_in_row_order() -> None:
    kinds = pd.Series(["office", "castle", None, "office", "residential", "office", "office"],
                      index=[10, 11, 12, 13, 14, 15, 16])
    people = pd.Series([1, 2, 3, -1, "many", True, np.inf], index=kinds.index, dtype=object)
    households = pd.Series([0, 0, 0, 0, -2, 0, 0], index=kinds.index)
    with pytest.raises(InvalidInput) as caught:
        classify_targets(kinds, people, households)
    text = str(caught.value)
    assert text.startswith(
        "classify_targets: 6 bad row(s) in the protection-target layer:\n"
        "  - row 11: unknown kind 'castle'\n"
        "  - row 12: kind is missing\n"
        "  - row 13: population -1 is negative\n"
        "  - row 14: population 'many' is not a number; households -2 is negative\n"
        "  - row 15: population True is not a number\n"
        "  - row 16: population inf is not finite\n"
        "Valid kinds: school, kindergarten,"), text
    assert text.endswith("Populations and households are counts of zero or more (leave empty when unknown). "
                         "Fix these rows and retry.")
    assert "… and" not in text


def test_columns_of_yes_no_or_numbers_out_of_range() -> None:
    with pytest.raises(InvalidInput) as caught:
        classify_targets(["office", "office"], pd.Series([True, False]))
    assert "  - row 0: population True is not a number\n  - row 1: population False is not a number\n" in str(
        caught.value)
    with pytest.raises(InvalidInput) as numeric:
        classify_targets(["office", "office", "office"], pd.Series([np.inf, -0.5, 0.0]))
    assert "  - row 0: population inf is not finite\n  - row 1: population -0.5 is negative\nValid" in str(
        numeric.value)


def test_past_twenty_bad_rows_the_rest_are_counted() -> None:
    for n_bad, tail in ((20, None), (21, "\n  … and 1 more\n"), (23, "\n  … and 3 more\n")):
        with pytest.raises(InvalidInput) as caught:
            classify_targets(["castle"] * n_bad, [1] * n_bad)
        text = str(caught.value)
        assert text.count("unknown kind 'castle'") == 20
        assert text.startswith(f"classify_targets: {n_bad} bad row(s)")
        if tail is None:
            assert "… and" not in text
        else:
            assert tail in text
