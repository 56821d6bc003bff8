"""Weather: validation, normalisation and the Purple Book representative classes (qra-method.md §4)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from geo_risk.errors import InvalidInput
from geo_risk.risk.weather import STABILITY_CLASSES, Weather, purple_book_weather_classes


def test_defaults_and_label() -> None:
    w = Weather("d", 5)
    assert (w.stability, w.wind_speed_10m_m_s, w.terrain, w.air_temperature_k) == ("D", 5.0, "rural", 293.15)
    assert w.label == "D5"
    assert Weather("F", 1.5, "urban").label == "F1.5"
    assert STABILITY_CLASSES == ("A", "B", "C", "D", "E", "F")


def test_frozen_and_hashable() -> None:
    w = Weather("D", 5.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.stability = "F"  # type: ignore[misc]
    assert {w: 1}[Weather("D", 5.0)] == 1


def test_unknown_stability_class_g() -> None:
    with pytest.raises(InvalidInput, match=r"unknown Pasquill stability class 'G'; valid: A, B, C, D, E, F"):
        Weather("G", 3.0)


@pytest.mark.parametrize("u", [0.0, -1.0, math.nan, math.inf, "5"])
def test_wind_speed_must_be_positive(u: object) -> None:
    with pytest.raises(InvalidInput, match="wind speed at 10 m must be a finite number > 0 m/s"):
        Weather("D", u)  # type: ignore[arg-type]


def test_temperature_in_celsius_is_caught() -> None:
    with pytest.raises(InvalidInput, match="did you pass °C"):
        Weather("D", 5.0, air_temperature_k=20.0)


def test_unknown_terrain() -> None:
    with pytest.raises(InvalidInput, match="valid: rural, urban"):
        Weather("D", 5.0, "suburban")  # type: ignore[arg-type]


def test_purple_book_classes() -> None:
    classes = purple_book_weather_classes()
    assert [w.label for w in classes] == ["B3", "D1.5", "D5", "D9", "E5", "F1.5"]
    assert all(w.terrain == "rural" for w in classes)
    assert all(w.terrain == "urban" for w in purple_book_weather_classes("urban"))
