"""The weather an outcome is evaluated in: Pasquill class, 10 m wind, terrain, air temperature.

:class:`Weather` is a small frozen (hashable) dataclass that the grid engine passes, unchanged, to
every outcome's ``max_distance_m(weather)`` and ``lethality(dx, dy, weather)``.
:func:`purple_book_weather_classes` gives the six representative classes the Purple Book uses
(B3, D1.5, D5, D9, E5, F1.5; UNCONFIRMED, ``weather_classes.csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from geo_risk.errors import InvalidInput
from geo_risk.risk.parameters import STABILITY_CLASSES, TERRAINS, _check_stability, _check_terrain, load_parameters

__all__ = ["Weather", "STABILITY_CLASSES", "TERRAINS", "purple_book_weather_classes"]

_MIN_AIR_K, _MAX_AIR_K = 200.0, 350.0


@dataclass(frozen=True)
class Weather:
    """One weather class.

    Attributes
    ----------
    stability : {"A", "B", "C", "D", "E", "F"}
        Pasquill stability class (lower case accepted and normalised).
    wind_speed_10m_m_s : float
        Wind speed at 10 m, m/s, > 0.
    terrain : {"rural", "urban"}
        Selects the Briggs σ set and the wind-profile exponents. Default ``"rural"``.
    air_temperature_k : float
        Air temperature, K (200–350). Default 293.15 K (20 °C).
    air_pressure_pa : float
        Air pressure, Pa. Default 101 325 Pa.

    Raises
    ------
    InvalidInput
        Unknown class (e.g. ``"G"``) or terrain, wind speed ≤ 0 or not finite, temperature or
        pressure out of range.
    """

    stability: str
    wind_speed_10m_m_s: float
    terrain: Literal["rural", "urban"] = "rural"
    air_temperature_k: float = 293.15
    air_pressure_pa: float = 101325.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "stability", _check_stability(self.stability))
        object.__setattr__(self, "terrain", _check_terrain(self.terrain))
        u = self.wind_speed_10m_m_s
        if isinstance(u, bool) or not isinstance(u, int | float) or not math.isfinite(u) or u <= 0:
            raise InvalidInput(
                f"wind speed at 10 m must be a finite number > 0 m/s; got {u!r}. The Gaussian models "
                "divide by the wind speed: use a calm-condition class (e.g. F1.5) instead of 0."
            )
        t = self.air_temperature_k
        if isinstance(t, bool) or not isinstance(t, int | float) or not (_MIN_AIR_K <= t <= _MAX_AIR_K):
            raise InvalidInput(
                f"air temperature must be in kelvin between {_MIN_AIR_K:g} and {_MAX_AIR_K:g} K; got {t!r} "
                "(did you pass °C? add 273.15)"
            )
        p = self.air_pressure_pa
        if isinstance(p, bool) or not isinstance(p, int | float) or not (5e4 <= p <= 1.2e5):
            raise InvalidInput(f"air pressure must be in Pa between 50 000 and 120 000; got {p!r}")
        object.__setattr__(self, "wind_speed_10m_m_s", float(u))
        object.__setattr__(self, "air_temperature_k", float(t))
        object.__setattr__(self, "air_pressure_pa", float(p))

    @property
    def label(self) -> str:
        """Purple Book style label, e.g. ``"D5"`` or ``"F1.5"``."""
        return f"{self.stability}{self.wind_speed_10m_m_s:g}"


def purple_book_weather_classes(
    terrain: Literal["rural", "urban"] = "rural", air_temperature_k: float = 293.15
) -> tuple[Weather, ...]:
    """The six Purple Book representative weather classes (UNCONFIRMED), as :class:`Weather`."""
    return tuple(
        Weather(row.stability, row.wind_speed_10m_m_s, terrain, air_temperature_k)
        for row in load_parameters().weather_classes
    )
