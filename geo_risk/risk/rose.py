"""A city's wind rose from a CSV file: the probability of each weather class with the wind FROM each sector.

File format (UTF-8, a byte-order mark is accepted; comma-separated)::

    # Jilin, 2015-2024 station record (comment lines start with '#'; blank lines are skipped)
    weather,N,NNE,NE,ENE,E,ESE,SE,SSE,S,SSW,SW,WSW,W,WNW,NW,NNW
    B3,0.004,0.003,...
    D1.5,...
    D5,...
    D9,...
    E5,...
    F1.5,...

- The first header cell is ``weather``; the other header cells name the sectors, clockwise from
  north in equal steps: compass points (``N,E,S,W``; ``N,NE,E,…,NW``; or the 16 points
  ``N,NNE,NE,…,NNW``) or centre bearings in degrees (``0,30,60,…,330`` for 12 sectors; a trailing
  ``°`` is allowed). The number of sector columns sets the rose's sectors (16 is usual).
- One row per weather class, labelled as :func:`geo_risk.risk.weather.purple_book_weather_classes`
  labels them (``B3, D1.5, D5, D9, E5, F1.5``; case is ignored). Every class needs a row: a class
  that never occurs gets a row of zeros.
- Each value is the probability (a fraction, not a percentage) that the weather is that class
  **and** the wind blows **FROM** that sector (the meteorological convention: a north wind,
  ``N``, carries a plume to the south). The whole table sums to 1; a row sums to its class's
  frequency, so the file also sets the weather-class frequencies.
- A table summing to within 1e-3 of 1 is renormalised to 1 and the rose's label says so
  (rounding in a published table). Anything further off is refused with the sum; a table summing
  to 100 is refused as percentages (divide by 100) rather than guessed at.

Every problem of the file (unknown or duplicate class, missing class, wrong number of values, a
value that is not a number, negative or not finite, a misordered sector header) is reported in one
:class:`~geo_risk.errors.InvalidInput` naming the line and the column.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geo_risk.errors import InvalidInput
from geo_risk.risk.grid import WindRose

__all__ = ["COMPASS_16", "SUM_TOLERANCE", "CityWindRose", "parse_wind_rose", "read_wind_rose"]

#: The 16 compass points, clockwise from north; point k is centred on bearing k · 22.5°.
COMPASS_16 = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
#: A table whose sum is within this of 1 is renormalised (and says so); further off is refused.
SUM_TOLERANCE = 1e-3

_MAX_REPORTED = 20  # problems listed in one message; the rest are counted
_BEARING_OF_NAME = {name: k * 22.5 for k, name in enumerate(COMPASS_16)}


@dataclass(frozen=True)
class CityWindRose:
    """A wind rose read from a file, with what identifies the file.

    ``rose`` (probability of the wind FROM each sector per weather class), ``path``, ``sha256``
    (hex digest of the file's bytes), ``renormalised_from`` (the file's sum when it was within
    :data:`SUM_TOLERANCE` of 1 but not 1, else None).
    """

    rose: WindRose
    path: Path
    sha256: str
    renormalised_from: float | None = None

    def describe(self) -> dict[str, Any]:
        """The rose's identity for a run's assumptions."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "n_sectors": self.rose.n_sectors,
            "convention": "probability of the weather class AND the wind blowing FROM each sector",
            "renormalised_from": self.renormalised_from,
        }


def _bearing_of(cell: str) -> float | None:
    name = cell.strip().upper()
    if name in _BEARING_OF_NAME:
        return _BEARING_OF_NAME[name]
    number = cell.strip().removesuffix("°").strip()
    try:
        value = float(number)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _sector_header(cells: list[str], line: int, source: str) -> list[str]:
    """Check the sector columns of the header; return their names. Raises InvalidInput."""
    first = cells[0].strip() if cells else ""
    if first.lower() != "weather":
        raise InvalidInput(
            f"{source}: line {line}: the header's first column must be 'weather'; got {first!r}. "
            "Expected e.g. weather,N,NNE,NE,…,NNW"
        )
    names = [c.strip() for c in cells[1:]]
    n = len(names)
    if n == 0:
        raise InvalidInput(f"{source}: line {line}: the header names no sector column after 'weather'")
    errors = []
    for k, name in enumerate(names):
        expected = k * 360.0 / n
        bearing = _bearing_of(name)
        if bearing is None:
            errors.append(
                f"column {k + 2} {name!r} is neither a compass point ({', '.join(COMPASS_16)}) nor a bearing in degrees"
            )
        elif abs((bearing - expected + 180.0) % 360.0 - 180.0) > 1e-6:
            errors.append(
                f"column {k + 2} {name!r} is bearing {bearing:g}°, but sector {k + 1} of {n} is centred "
                f"on {expected:g}°"
            )
    if errors:
        raise InvalidInput(
            f"{source}: line {line} (header): {'; '.join(errors)}. Sectors start at north (N, 0°) and go "
            "clockwise in equal steps"
        )
    return names


def parse_wind_rose(
    text: str, weathers: Sequence[Any], *, source: str = "wind rose table"
) -> tuple[WindRose, float | None]:
    """Parse a wind-rose CSV (format in the module docstring) for ``weathers``.

    Parameters
    ----------
    text : str
        The file's content.
    weathers : sequence of Weather
        The weather classes of the run (anything with a ``label``); the rose's rows follow this order.
    source : str
        How messages and the rose's label name the table (e.g. the file path).

    Returns
    -------
    (WindRose, float or None)
        The rose (FROM convention, sectors from the header) and the original sum when it was
        renormalised (within :data:`SUM_TOLERANCE` of 1), else None.

    Raises
    ------
    InvalidInput
        Every problem of the table at once, each naming its line and column.
    """
    labels = [str(w.label) for w in weathers]
    index = {label.upper(): k for k, label in enumerate(labels)}
    lines = [
        (k, line)
        for k, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InvalidInput(f"{source}: no header and no rows (expected weather,N,NNE,…,NNW then one row per class)")
    header_line, header = lines[0]
    sectors = _sector_header(next(csv.reader([header])), header_line, source)
    n = len(sectors)
    table = np.zeros((len(labels), n))
    seen: dict[int, int] = {}
    errors: list[str] = []
    for line, raw in lines[1:]:
        cells = next(csv.reader([raw]))
        label = cells[0].strip() if cells else ""
        where = f"line {line} ({label or 'no class'})"
        row = index.get(label.upper())
        if row is None:
            errors.append(f"{where}: unknown weather class {label!r}; valid: {', '.join(labels)}")
        elif row in seen:
            errors.append(f"{where}: weather class {labels[row]} again (first on line {seen[row]})")
        else:
            seen[row] = line
        values = cells[1:]
        if len(values) != n:
            errors.append(f"{where}: {len(values)} values for {n} sector columns (header line {header_line})")
            continue
        for k, cell in enumerate(values):
            at = f"{where}, column {sectors[k]}"
            try:
                value = float(cell)
            except ValueError:
                errors.append(f"{at}: {cell.strip()!r} is not a number")
                continue
            if not math.isfinite(value):
                errors.append(f"{at}: {cell.strip()!r} is not a finite number")
            elif value < 0:
                errors.append(f"{at}: {value:g} is negative; a probability is ≥ 0")
            elif row is not None and seen.get(row) == line:
                table[row, k] = value
    missing = [labels[k] for k in range(len(labels)) if k not in seen]
    if missing:
        errors.append(
            f"no row for weather class(es) {', '.join(missing)}: give every class a row (zeros if it never occurs)"
        )
    if errors:
        more = f"; … and {len(errors) - _MAX_REPORTED} more" if len(errors) > _MAX_REPORTED else ""
        raise InvalidInput(f"{source}: " + "; ".join(errors[:_MAX_REPORTED]) + more)
    total = float(table.sum())
    if abs(total - 100.0) <= 100.0 * SUM_TOLERANCE:
        raise InvalidInput(
            f"{source}: the probabilities sum to {total:.6g}: this looks like percentages. The file holds fractions "
            "that sum to 1: divide every value by 100"
        )
    if abs(total - 1.0) > SUM_TOLERANCE:
        per_class = ", ".join(f"{lab} {s:.4g}" for lab, s in zip(labels, table.sum(axis=1), strict=True))
        raise InvalidInput(
            f"{source}: the probabilities sum to {total:.6g}, not 1 (tolerance {SUM_TOLERANCE:g}); per class: "
            f"{per_class}. Each value is P(weather class and wind FROM the sector): the whole table sums to 1"
        )
    renormalised = None if abs(total - 1.0) <= 1e-9 else total  # decimal rounding of an exact table
    return WindRose(tuple(weathers), table / total, label=_label(f"({source})", n, renormalised)), renormalised


def _label(where: str, n_sectors: int, renormalised: float | None) -> str:
    label = (
        f"city wind rose {where}: {n_sectors} sectors, probability of the wind blowing FROM each sector per "
        "weather class"
    )
    if renormalised is not None:
        label += f" (renormalised to 1: the values summed to {renormalised:.9g})"
    return label


def read_wind_rose(path: str | Path, weathers: Sequence[Any]) -> CityWindRose:
    """Read the wind-rose CSV at ``path`` (format in the module docstring) for ``weathers``.

    Raises InvalidInput when the file cannot be read or its table is not a valid rose.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(
            f"wind rose file {str(path)!r} does not exist (GEO_RISK_WIND_ROSE_FILE or "
            "--wind-rose); unset it for the uniform 16-sector default"
        ) from exc
    except OSError as exc:
        raise InvalidInput(f"wind rose file {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"wind rose file {str(path)!r} is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    rose, renormalised = parse_wind_rose(text, weathers, source=f"wind rose file {path}")
    rose = dataclasses.replace(rose, label=_label(f"{path} (sha256 {digest[:12]})", rose.n_sectors, renormalised))
    return CityWindRose(rose, path, digest, renormalised)
