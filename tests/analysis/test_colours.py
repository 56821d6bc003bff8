"""The four-colour rules against the reference's §2.2 tables, typed in here (not read from the code)."""

import numpy as np
import pytest

from geo_risk.analysis.colours import (
    ColourRules,
    area_colour,
    enterprise_colour,
    grade_colour,
    ir_colour,
    ir_colours,
    raise_one,
    score_colour,
    worst,
)


@pytest.mark.parametrize(("grade", "colour"), [(1, "red"), (2, "orange"), (3, "yellow"), (4, "yellow"), (None, "blue")])
def test_grade_colours_follow_table_a(grade, colour):
    assert grade_colour(grade) == colour


@pytest.mark.parametrize(("ir", "colour"), [
    (1e-5, "red"), (np.nextafter(1e-5, 0), "orange"), (3e-6, "orange"), (np.nextafter(3e-6, 0), "yellow"),
    (3e-7, "yellow"), (np.nextafter(3e-7, 0), "blue"), (0.0, "blue"), (1.0, "red"),
])
def test_ir_bands_take_the_worse_colour_on_a_boundary(ir, colour):
    assert ir_colour(ir) == colour
    assert list(ir_colours(np.array([ir, ir]))) == [colour, colour]


@pytest.mark.parametrize(("score", "colour"), [
    (0, "red"), (59.99, "red"), (60, "orange"), (74.99, "orange"), (75, "yellow"), (89.99, "yellow"), (90, "blue"),
    (100, "blue"),
])
def test_official_score_cut_offs(score, colour):
    assert score_colour(score) == colour


def test_score_out_of_range_is_refused():
    with pytest.raises(ValueError, match="0–100"):
        score_colour(101)


def test_enterprise_official_beats_derived_and_derived_takes_the_worse():
    assert enterprise_colour(95, "red", "red") == ("blue", "official")
    assert enterprise_colour(None, "yellow", "orange") == ("orange", "derived")
    assert enterprise_colour(None, "red", "blue") == ("red", "derived")
    assert enterprise_colour(None, None, None) == ("blue", "derived")


def test_area_raised_one_level_by_red_enterprise_or_grade_a_park_never_past_red():
    assert area_colour("yellow", False, False) == "yellow"
    assert area_colour("yellow", True, False) == "orange"
    assert area_colour("blue", False, True) == "yellow"
    assert area_colour("red", True, True) == "red"
    assert area_colour(None, False, False) == "blue"
    assert raise_one("orange") == "red"


def test_worst_ignores_missing():
    assert worst(None, "blue", "yellow") == "yellow"
    assert worst(None) is None


def test_rules_refuse_unordered_bands_and_unknown_colours():
    with pytest.raises(ValueError, match="decreasing"):
        ColourRules(ir_bands_per_year=(3e-6, 1e-5, 3e-7))
    with pytest.raises(ValueError, match="unknown colour"):
        ColourRules(below_major="green")
    assert ColourRules(ir_bands_per_year=(1e-4, 1e-5, 1e-6)).ir_bands_per_year[0] == 1e-4
    assert ir_colour(5e-5, ColourRules(ir_bands_per_year=(1e-4, 1e-5, 1e-6))) == "orange"
