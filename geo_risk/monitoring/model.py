"""The shapes every part of monitoring shares: a sensor's specification and one reading.

Times are UTC; values are in the sensor's unit of measure (``uom``). Limits follow the usual four
levels of a process alarm system: 低低 LL < 低 L < 高 H < 高高 HH; any may be absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["QUANTITIES", "UOMS", "SensorSpec", "Reading", "convert_uom"]

#: Measured quantities (issue 15; AQ 3035-2010 names what must be monitored per unit) → default unit.
QUANTITIES: dict[str, str] = {
    "level": "%",  # tank level, per cent of the vessel's working height
    "temperature": "°C",
    "pressure": "MPa",
    "flammable_gas": "%LEL",
    "toxic_gas": "ppm",
}


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """One monitoring point on a hazard unit.

    ``range_lo``/``range_hi``: the instrument's measuring range (uom); a reading outside it is a
    sensor fault, not a process alarm. ``ll``/``l``/``h``/``hh``: alarm limits (uom), None when not set.
    ``deadband``: how far (uom) a value must come back inside a limit before its alarm clears.
    ``on_delay_s``/``off_delay_s``: how long (s) a condition must hold before the alarm raises / clears.
    ``rate_limit``: the largest credible change per minute (uom/min), None when not checked.
    ``silent_after_s``: a sensor that has sent nothing for this long (s) is in fault.
    ``area``: the alarm area (for EEMUA 191 rates), by default the hazard unit.
    """

    id: str
    unit_id: str
    quantity: str
    uom: str
    range_lo: float
    range_hi: float
    ll: float | None = None
    l: float | None = None  # noqa: E741 - the standard's own name for the low limit
    h: float | None = None
    hh: float | None = None
    deadband: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    rate_limit: float | None = None
    silent_after_s: float = 300.0
    area: str | None = None

    @property
    def alarm_area(self) -> str:
        return self.area or self.unit_id


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one sensor at one instant (``ts`` timezone-aware UTC)."""

    sensor_id: str
    ts: datetime
    value: float


#: Units a sensor of each quantity may report in → (factor, offset) taking a value to the quantity's default
#: unit (``QUANTITIES``): default = value × factor + offset. Level in metres is a height, not a share of the
#: vessel: it converts to metres and millimetres only, never to per cent (that needs the vessel's height).
UOMS: dict[str, dict[str, tuple[float, float]]] = {
    "level": {"%": (1.0, 0.0), "m": (1.0, 0.0), "mm": (1e-3, 0.0)},
    "temperature": {"°C": (1.0, 0.0), "K": (1.0, -273.15), "°F": (5.0 / 9.0, -32.0 * 5.0 / 9.0)},
    "pressure": {"MPa": (1.0, 0.0), "kPa": (1e-3, 0.0), "bar": (0.1, 0.0), "Pa": (1e-6, 0.0)},
    "flammable_gas": {"%LEL": (1.0, 0.0)},
    "toxic_gas": {"ppm": (1.0, 0.0)},
}
_LENGTHS = {"m", "mm"}


def convert_uom(value: float, quantity: str, from_uom: str, to_uom: str) -> float:
    """``value`` (in ``from_uom``) expressed in ``to_uom``, both units of ``quantity``.

    Raises
    ------
    ValueError
        When either unit is not one of ``UOMS[quantity]`` or the two do not convert (level % ↔ m).
    """
    units = UOMS.get(quantity, {})
    if from_uom not in units or to_uom not in units:
        raise ValueError(f"{quantity}: {from_uom!r} → {to_uom!r} is not a known conversion; units: {', '.join(units)}")
    if from_uom == to_uom:
        return value
    if quantity == "level" and (from_uom in _LENGTHS) != (to_uom in _LENGTHS):
        raise ValueError(f"level in {from_uom!r} does not convert to {to_uom!r} without the vessel's height")
    f1, o1 = units[from_uom]
    f2, o2 = units[to_uom]
    return (value * f1 + o1 - o2) / f2
