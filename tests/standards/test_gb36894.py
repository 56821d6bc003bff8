"""Tests for geo_risk.standards.gb36894 against the text of GB 36894-2018 as summarised in
docs/standards/gb36894-2018.md (§3 protection-target classes, §4 / §7 Table 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import (
    GB36894_TABLE,
    INSTALLATION_TYPES,
    TARGET_CLASSES,
    TARGET_KINDS,
    classify_target,
    classify_targets,
    individual_risk_criterion_per_year,
)

_KIND_CODES = {
    "school", "kindergarten", "university", "hospital", "clinic", "nursing_home", "welfare_home",
    "cultural_centre", "library", "museum", "religious_site", "cultural_relic", "rail_transit",
    "prison", "military", "embassy", "government_office", "office", "mall", "market", "hotel",
    "sports_venue", "station", "park", "factory", "other", "residential",
}  # fmt: skip

# Doc §3.1 (高敏感防护目标) and §3.2 (重要防护目标)
_HIGH_SENSITIVE = [
    "school", "kindergarten", "university", "hospital", "clinic", "nursing_home", "welfare_home",
    "cultural_centre",
]  # fmt: skip
_IMPORTANT = [
    "library", "museum", "religious_site", "cultural_relic", "rail_transit", "prison", "military", "embassy",
]  # fmt: skip
# Doc §3.3: general use categories split by population
_GENERAL_BY_POPULATION = [
    "government_office", "office", "mall", "market", "hotel", "sports_venue", "station", "factory", "other",
    "residential",
]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The data table


def test_classes_ordered_from_strictest_with_labels():
    assert list(TARGET_CLASSES) == ["high_sensitive", "important", "general_1", "general_2", "general_3"]
    assert TARGET_CLASSES["high_sensitive"][0] == "高敏感防护目标"
    assert TARGET_CLASSES["important"][0] == "重要防护目标"
    assert TARGET_CLASSES["general_1"][0] == "一般防护目标中的一类防护目标"
    assert TARGET_CLASSES["general_2"][0] == "一般防护目标中的二类防护目标"
    assert TARGET_CLASSES["general_3"][0] == "一般防护目标中的三类防护目标"
    for zh, en in TARGET_CLASSES.values():
        assert zh and en


def test_all_project_kinds_have_labels():
    assert set(TARGET_KINDS) == _KIND_CODES
    for zh, en in TARGET_KINDS.values():
        assert zh and en


def test_every_entry_has_confidence_and_note():
    entries = [
        *GB36894_TABLE.target_classes,
        *GB36894_TABLE.kinds,
        *GB36894_TABLE.general_splits,
        *GB36894_TABLE.individual_risk_criteria,
    ]
    for entry in entries:
        assert entry.confidence in {"C1", "C2", "UNCONFIRMED"}, entry
        assert entry.note.strip(), entry
    assert GB36894_TABLE.boundary_confidence == "UNCONFIRMED"
    # the doc marks all thresholds and the IR row mapping as unconfirmed
    assert all(s.confidence == "UNCONFIRMED" for s in GB36894_TABLE.general_splits)
    assert all(c.confidence == "UNCONFIRMED" for c in GB36894_TABLE.individual_risk_criteria)


def test_table_is_consistent():
    splits = {s.use_category for s in GB36894_TABLE.general_splits}
    for rule in GB36894_TABLE.kinds:
        assert (rule.target_class is None) != (rule.use_category is None), rule
        if rule.target_class is not None:
            assert rule.target_class in {"high_sensitive", "important"}
        else:
            assert rule.use_category in splits
    assert {c.target_class for c in GB36894_TABLE.individual_risk_criteria} == set(TARGET_CLASSES)
    assert INSTALLATION_TYPES == ("new", "existing")


def test_table_is_immutable():
    with pytest.raises(AttributeError):
        GB36894_TABLE.boundary_convention = "gt"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TARGET_CLASSES["x"] = ("x", "x")  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# classify_target against the doc's §3 lists and table


@pytest.mark.parametrize("kind", _HIGH_SENSITIVE)
@pytest.mark.parametrize("population", [0, 10, 29, 150, None])
def test_high_sensitive_whatever_the_population(kind, population):
    # §3.1: schools, hospitals, ... are 高敏感 by use, not by size: a school of 10 is still one.
    assert classify_target(kind, population) == "high_sensitive"


@pytest.mark.parametrize("kind", _IMPORTANT)
@pytest.mark.parametrize("population", [0, 10, 150, None])
def test_important_whatever_the_population(kind, population):
    assert classify_target(kind, population) == "important"


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        (150, "general_1"),
        (50, "general_2"),
        (10, "general_3"),
        (0, "general_3"),
        # boundaries: "以上" inclusive (UNCONFIRMED convention, flagged in the table)
        (100, "general_1"),
        (99, "general_2"),
        (99.9, "general_2"),
        (30, "general_2"),
        (29, "general_3"),
        (29.5, "general_3"),
    ],
)
def test_mall_split_by_population(population, expected):
    assert classify_target("mall", population) == expected


@pytest.mark.parametrize("kind", _GENERAL_BY_POPULATION)
def test_general_kinds_use_the_100_30_tiers(kind):
    assert classify_target(kind, 100) == "general_1"
    assert classify_target(kind, 99) == "general_2"
    assert classify_target(kind, 30) == "general_2"
    assert classify_target(kind, 29) == "general_3"


@pytest.mark.parametrize(
    ("residents", "households", "expected"),
    [
        (None, 30, "general_1"),  # ≥ 30 households → 一类
        (None, 29, "general_2"),
        (None, 10, "general_2"),  # 10–30 households → 二类
        (None, 9, "general_3"),  # < 10 households → 三类
        (5, 30, "general_1"),  # "or": the stricter of the two counts wins
        (120, 3, "general_1"),
        (40, 3, "general_2"),
        (20, 12, "general_2"),
        (20, 5, "general_3"),
        (100, None, "general_1"),
        (None, None, "general_1"),  # unknown → most conservative general class
    ],
)
def test_residential_by_residents_or_households(residents, households, expected):
    assert classify_target("residential", residents, households) == expected


def test_households_ignored_for_non_residential_kinds():
    assert classify_target("mall", 10, households=500) == "general_3"


@pytest.mark.parametrize("population", [None, float("nan"), np.nan])
def test_general_kind_with_unknown_population_is_most_conservative(population):
    assert classify_target("mall", population) == "general_1"
    assert classify_target("factory", population) == "general_1"


def test_park_has_no_threshold_so_always_general_1():
    # doc §3.3: no threshold found for city parks; leave empty → conservative general_1
    assert classify_target("park", 5) == "general_1"
    assert classify_target("park", None) == "general_1"


def test_kind_is_case_and_space_insensitive():
    assert classify_target("  Mall ", 50) == "general_2"
    assert classify_target("SCHOOL", 5) == "high_sensitive"


# ---------------------------------------------------------------------------------------------
# classify_target errors


@pytest.mark.parametrize("kind", ["shop", "", "学校", None])
def test_unknown_kind_lists_valid_kinds(kind):
    with pytest.raises(
        InvalidInput, match=r"unknown protection-target kind.*Valid kinds: .*school.*residential"
    ):
        classify_target(kind, 10)  # type: ignore[arg-type]


def test_negative_population_rejected():
    with pytest.raises(InvalidInput, match=r"population -1 is negative.*zero or more"):
        classify_target("mall", -1)
    with pytest.raises(InvalidInput, match="population -5 is negative"):
        classify_target("school", -5)  # validated even where it does not change the class


def test_bad_counts_rejected():
    with pytest.raises(InvalidInput, match="households -3 is negative"):
        classify_target("residential", 10, households=-3)
    with pytest.raises(InvalidInput, match="not finite"):
        classify_target("mall", float("inf"))
    with pytest.raises(InvalidInput, match="not a number"):
        classify_target("mall", "many")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not a number"):
        classify_target("mall", True)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# classify_targets (vectorised)


def test_classify_targets_matches_scalar_function():
    kinds = ["school", "mall", "mall", "mall", "mall", "mall", "residential", "residential", "park", "Hotel "]
    pops = [10, 150, 100, 99, 30, 29, None, 5, 3, np.nan]
    households = [None, None, None, None, None, None, 30, 12, None, None]
    index = pd.Index([f"t{i}" for i in range(len(kinds))], name="target_id")
    result = classify_targets(
        pd.Series(kinds, index=index), pd.Series(pops, index=index), pd.Series(households, index=index)
    )
    expected = [classify_target(k, p, h) for k, p, h in zip(kinds, pops, households, strict=True)]
    assert list(result) == expected
    assert list(result) == [
        "high_sensitive", "general_1", "general_1", "general_2", "general_2", "general_3",
        "general_1", "general_2", "general_1", "general_1",
    ]  # fmt: skip
    assert result.index.equals(index)
    assert result.name == "target_class"


def test_classify_targets_all_kinds_and_nullable_dtypes():
    kinds = pd.Series(sorted(_KIND_CODES))
    pops = pd.Series([50] * len(kinds), dtype="Int64")
    result = classify_targets(kinds, pops)
    for kind, cls in zip(kinds, result, strict=True):
        assert cls == classify_target(kind, 50)


def test_classify_targets_empty():
    result = classify_targets(pd.Series([], dtype=object), pd.Series([], dtype=float))
    assert len(result) == 0


def test_classify_targets_reports_all_bad_rows_at_once():
    kinds = pd.Series(["school", "shop", "mall", None, "mall", "residential"], index=[10, 11, 12, 13, 14, 15])
    pops = pd.Series([5, 10, -4, 10, "lots", 10], index=kinds.index)
    households = pd.Series([None, None, None, None, None, -2], index=kinds.index)
    with pytest.raises(InvalidInput) as info:
        classify_targets(kinds, pops, households)
    msg = str(info.value)
    assert "5 bad row(s)" in msg
    assert "row 11: unknown kind 'shop'" in msg
    assert "row 12: population -4 is negative" in msg
    assert "row 13: kind is missing" in msg
    assert "row 14: population 'lots' is not a number" in msg
    assert "row 15: households -2.0 is negative" in msg  # float column: None became NaN
    assert "row 10" not in msg
    assert "Valid kinds: school" in msg


def test_classify_targets_limits_listing_to_20_rows():
    kinds = pd.Series(["mall"] * 30)
    pops = pd.Series([-1] * 25 + [5] * 5)
    with pytest.raises(InvalidInput) as info:
        classify_targets(kinds, pops)
    msg = str(info.value)
    assert "25 bad row(s)" in msg
    assert "row 19: population -1 is negative" in msg
    assert "row 20:" not in msg
    assert "… and 5 more" in msg


def test_classify_targets_index_mismatch():
    with pytest.raises(InvalidInput, match="different index"):
        classify_targets(pd.Series(["mall", "mall"]), pd.Series([1, 2], index=[5, 6]))


# ---------------------------------------------------------------------------------------------
# Individual-risk criteria, Table 1 (doc §4 / §7)


@pytest.mark.parametrize(
    ("target_class", "new", "existing"),
    [
        ("high_sensitive", 3e-7, 3e-6),
        ("important", 3e-7, 3e-6),
        ("general_1", 3e-7, 3e-6),
        ("general_2", 3e-6, 1e-5),
        ("general_3", 1e-5, 3e-5),
    ],
)
def test_individual_risk_criteria(target_class, new, existing):
    assert individual_risk_criterion_per_year(target_class, "new") == pytest.approx(new, rel=1e-12)  # /a
    assert individual_risk_criterion_per_year(target_class, "existing") == pytest.approx(existing, rel=1e-12)
    assert individual_risk_criterion_per_year(target_class, " NEW ") == pytest.approx(new, rel=1e-12)


def test_criteria_get_looser_down_the_classes():
    for installation in INSTALLATION_TYPES:
        values = [individual_risk_criterion_per_year(c, installation) for c in TARGET_CLASSES]
        assert values == sorted(values)
    for target_class in TARGET_CLASSES:
        assert individual_risk_criterion_per_year(target_class, "new") < individual_risk_criterion_per_year(
            target_class, "existing"
        )


def test_school_of_ten_gets_strictest_criterion():
    cls = classify_target("school", 10)
    assert individual_risk_criterion_per_year(cls, "new") == pytest.approx(3e-7, rel=1e-12)


def test_criterion_errors():
    with pytest.raises(InvalidInput, match=r"unknown target class 'general'.*Valid classes: high_sensitive"):
        individual_risk_criterion_per_year("general", "new")
    with pytest.raises(InvalidInput, match=r"unknown installation type 'planned'.*'new'.*'existing'"):
        individual_risk_criterion_per_year("general_1", "planned")
