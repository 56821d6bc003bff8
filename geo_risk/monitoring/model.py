"""The shapes every part of monitoring shares: a sensor's specification and one reading.

Times are UTC; values are in the sensor's unit of measure (``uom``). Limits follow the usual four
levels of a process alarm system: 低低 LL < 低 L < 高 H < 高高 HH; any may be absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["QUANTITIES", "SensorSpec", "Reading"]

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
