"""The hand-made sensors of the monitoring tests and the loader of the small city that carries them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from helpers import load, small_city, write_city

#: Hand-made sensors of the small city's units (U1 a pressure vessel of chlorine, U3 an LPG sphere, U4 a
#: methanol tank): one of each quantity, with limits in order inside the range.
SENSORS = pd.DataFrame([
    {"id": "U1-PT", "unit_id": "U1", "quantity": "pressure", "uom": "MPa", "range_lo": 0.0, "range_hi": 2.5,
     "ll": None, "l": None, "h": 1.1, "hh": 1.3, "deadband": 0.02, "on_delay_s": 5.0},
    {"id": "U1-LT", "unit_id": "U1", "quantity": "level", "uom": "%", "range_lo": 0.0, "range_hi": 100.0,
     "ll": 5.0, "l": 10.0, "h": 85.0, "hh": 90.0, "deadband": 1.0, "on_delay_s": 5.0},
    {"id": "U4-TT", "unit_id": "U4", "quantity": "temperature", "uom": "°C", "range_lo": -50.0, "range_hi": 150.0,
     "ll": None, "l": None, "h": 40.0, "hh": 50.0, "deadband": 0.5, "on_delay_s": 10.0},
    {"id": "U3-GF", "unit_id": "U3", "quantity": "flammable_gas", "uom": "%LEL", "range_lo": 0.0,
     "range_hi": 100.0, "ll": None, "l": None, "h": 20.0, "hh": 40.0, "deadband": 2.0, "on_delay_s": 3.0},
])


def load_monitoring_city(url: str, folder: Path, sensors: pd.DataFrame = SENSORS):  # noqa: ANN201
    """Load the small city with ``sensors`` into ``url``; returns the load report."""
    layers = small_city()
    layers["sensors"] = sensors
    folder.mkdir(parents=True, exist_ok=True)
    return load(write_city(layers, folder / "city.gpkg"), url)
