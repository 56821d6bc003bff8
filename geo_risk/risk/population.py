"""Who is where, and indoors or not, for societal risk (Purple Book ch. 5/6); sector smoothing settings.

Individual risk (IR) is location-based: a person outdoors, unprotected and present all the time
(GB 36894 §6; PB §5.1). Nothing in this module changes it. Societal risk (the F-N curve) instead
counts the people actually there, by period, split indoors and outdoors (PB eqs. 6.7, 6.13):

    N(event, period) = Σ_places  n_in(place, period) · FE_in  +  n_out(place, period) · FE_out

* Periods: day 08:00–18:30 (share 0.4375) and night (UNCONFIRMED, ``day_start_hour``,
  ``day_end_hour``). The weather and wind rose are taken to be the same by day and by night (no
  separate day/night rose is read): an event's F-N frequency is f · P(period) · P(weather,
  sector).
* People present: each object's population × its presence fraction for the period
  (``presence_fractions.csv``, by protection-target ``kind``; residential areas use the
  ``residential`` row): residents are half away by day, schools and offices are empty at night,
  so a resident and a pupil are not both counted in full at the same hour. Kinds marked
  ``outdoors`` (parks, sports venues…) put their people outdoors; everyone else is indoors with
  the PB Table 5.3 fraction (0.93 by day, 0.99 at night, C1).
* Indoor and outdoor lethality per effect (PB Figures 5.2–5.5, C1 via one transcription; the
  outcomes' ``effects`` in :mod:`geo_risk.risk.lethality`): toxic FE_in = 0.1 · P; heat
  FE_in = 1 at ≥ 35 kW/m² (or engulfed) else 0, FE_out = 1 there else 0.14 · P; flash fire
  FE_in = ``flash_fire_indoor_factor`` (UNCONFIRMED, 1 by default: the sources conflict);
  overpressure FE_in = 1 above 0.3 bar, 0.025 between 0.1 and 0.3 bar — the one place where being
  indoors is *worse* (building damage), so N is not monotone in the indoor share for explosions.

Every number is in ``data/population_constants.csv`` or ``data/presence_fractions.csv`` with its
source and status; :func:`population_assumptions` lists the ones a run used (and every
UNCONFIRMED one) for its output, and :data:`ENGINE_VERSION` is stamped on every result next to
the consequence models' version.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from geo_risk.errors import InvalidInput

__all__ = [
    "ENGINE_VERSION",
    "Presence",
    "PopulationModel",
    "population_constant",
    "population_constant_row",
    "presence_fractions",
    "presence_for",
    "population_assumptions",
    "people_by_component",
    "PRESENCE_COLUMNS",
    "presence_places",
]

#: Columns of :func:`presence_places`: people present by day / at night, in buildings or outdoors.
PRESENCE_COLUMNS = ("day_buildings", "day_outdoors", "night_buildings", "night_outdoors")

#: Version of the risk-field engine (grid, sector smoothing, societal population treatment).
ENGINE_VERSION = ("risk engine 2.2 (sector smoothing by exact angular integration; PB indoor/outdoor day/night SR; "
                  "grid extent bound over every sector a wide cloud spans; polar rings r/10 apart near the source)")

_STATUSES = ("C2", "C1", "UNCONFIRMED")
_CONSTANTS_FILE = "population_constants.csv"
_PRESENCE_FILE = "presence_fractions.csv"


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    for i, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise InvalidInput(f"geo_risk/risk/data/{name} line {i}: wrong number of columns")
        if row["status"] not in _STATUSES:
            raise InvalidInput(
                f"geo_risk/risk/data/{name} line {i}: status {row['status']!r} is not one of {_STATUSES}"
            )
    return rows


@cache
def _constants() -> Mapping[str, dict[str, str]]:
    return {r["key"]: r for r in _read(_CONSTANTS_FILE)}


def population_constant(key: str) -> float:
    """One value of ``population_constants.csv`` (unit in the table). Raises InvalidInput for an unknown key."""
    table = _constants()
    if key not in table:
        raise InvalidInput(f"unknown population constant {key!r}; valid keys: {', '.join(sorted(table))}")
    return float(table[key]["value"])


def population_constant_row(key: str) -> dict[str, str]:
    """The whole row of ``population_constants.csv`` for ``key`` (value, unit, status, reference …)."""
    table = _constants()
    if key not in table:
        raise InvalidInput(f"unknown population constant {key!r}; valid keys: {', '.join(sorted(table))}")
    return dict(table[key])


@dataclass(frozen=True)
class Presence:
    """Presence fractions of one kind of place: share of its people there by ``day`` and at
    ``night`` (0..1), and whether they are ``outdoors`` (parks, stadiums) rather than in buildings."""

    kind: str
    day: float
    night: float
    outdoors: bool
    status: str
    note: str


@cache
def presence_fractions() -> Mapping[str, Presence]:
    """``presence_fractions.csv`` by kind (``residential`` for residential areas; ``other`` the default)."""
    out: dict[str, Presence] = {}
    for r in _read(_PRESENCE_FILE):
        day, night = float(r["day"]), float(r["night"])
        if not (0 <= day <= 1 and 0 <= night <= 1):
            raise InvalidInput(f"geo_risk/risk/data/{_PRESENCE_FILE}: {r['kind']}: fractions must be in [0, 1]")
        out[r["kind"]] = Presence(r["kind"], day, night, r["outdoors"] == "1", r["status"], r["note"])
    return out


def presence_for(kind: Any) -> Presence:
    """The presence row of ``kind`` (a protection-target kind or ``"residential"``); unknown → ``other``."""
    table = presence_fractions()
    key = str(kind).strip() if kind is not None and not (isinstance(kind, float) and math.isnan(kind)) else ""
    return table.get(key, table["other"])


@dataclass(frozen=True)
class PopulationModel:
    """The societal-risk population treatment of a run.

    ``day_fraction``: share of the year in the day period (default from ``day_start_hour`` and
    ``day_end_hour``, UNCONFIRMED); ``indoor_fraction_day`` / ``indoor_fraction_night`` (PB Table
    5.3, C1); ``flash_fire_indoor_factor`` (UNCONFIRMED, default 1); ``toxic_indoor_factor``
    (C1, 0.1). ``outdoor_everyone=True`` is the old screening treatment (everyone outdoors, always
    present, IR lethality): one period, probability 1.
    """

    day_fraction: float | None = None
    indoor_fraction_day: float | None = None
    indoor_fraction_night: float | None = None
    flash_fire_indoor_factor: float | None = None
    toxic_indoor_factor: float | None = None
    outdoor_everyone: bool = False

    def __post_init__(self) -> None:
        for name in ("day_fraction", "indoor_fraction_day", "indoor_fraction_night", "flash_fire_indoor_factor",
                     "toxic_indoor_factor"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not (0 <= value <= 1):
                raise InvalidInput(f"{name} must be a number in [0, 1]; got {value!r}")

    # -- resolved values ----------------------------------------------------------------------
    def day(self) -> float:
        if self.day_fraction is not None:
            return float(self.day_fraction)
        return (population_constant("day_end_hour") - population_constant("day_start_hour")) / 24.0

    def indoor(self, period: str) -> float:
        if period == "day":
            v = self.indoor_fraction_day
            return float(population_constant("indoor_fraction_day") if v is None else v)
        v = self.indoor_fraction_night
        return float(population_constant("indoor_fraction_night") if v is None else v)

    def flash_fire_indoor(self) -> float:
        v = self.flash_fire_indoor_factor
        return float(population_constant("flash_fire_indoor_factor") if v is None else v)

    def toxic_indoor(self) -> float:
        v = self.toxic_indoor_factor
        return float(population_constant("toxic_indoor_factor") if v is None else v)

    # -- components -----------------------------------------------------------------------------
    def periods(self) -> tuple[tuple[str, float], ...]:
        """(name, probability) of each period; probabilities sum to 1."""
        if self.outdoor_everyone:
            return (("always", 1.0),)
        d = self.day()
        return (("day", d), ("night", 1.0 - d))

    def split(self, presence: np.ndarray) -> np.ndarray:
        """People per place and component from :func:`presence_places`' columns (n × 4): people in
        buildings are indoors with the period's indoor fraction, the rest outdoors. The old
        treatment (``outdoor_everyone``) counts everyone present at any period, in full: the
        larger of the day and night totals (never both)."""
        pres = np.asarray(presence, dtype=float)
        if pres.ndim != 2 or pres.shape[1] != len(PRESENCE_COLUMNS):
            raise InvalidInput(f"presence per place: columns {PRESENCE_COLUMNS}; got shape {pres.shape}")
        if self.outdoor_everyone:
            return np.maximum(pres[:, 0] + pres[:, 1], pres[:, 2] + pres[:, 3])
        out = np.empty((pres.shape[0], 4))
        for col, period in enumerate(("day", "night")):
            bldg, outdoors = pres[:, 2 * col], pres[:, 2 * col + 1]
            f_in = self.indoor(period)
            out[:, 2 * col] = bldg * f_in
            out[:, 2 * col + 1] = bldg * (1.0 - f_in) + outdoors
        return out

    def components(self) -> tuple[tuple[int, str], ...]:
        """(period index, effect) of each people column: effect ``"in"``/``"out"`` (FE_in / FE_out), or
        ``"pe"`` (the IR lethality, for the old everyone-outdoors treatment)."""
        if self.outdoor_everyone:
            return ((0, "pe"),)
        return ((0, "in"), (0, "out"), (1, "in"), (1, "out"))


def people_by_component(population: np.ndarray, kinds: Sequence[Any], model: PopulationModel) -> np.ndarray:
    """People per object and component (n × len(model.components())): population × presence ×
    indoor share. ``kinds``: each object's kind (``"residential"`` for a residential area)."""
    pop = np.nan_to_num(np.asarray(population, dtype=float), nan=0.0)
    if model.outdoor_everyone:
        return pop[:, None].copy()
    out = np.zeros((pop.size, 4))
    rows = [presence_for(k) for k in kinds]
    day = np.array([r.day for r in rows])
    night = np.array([r.night for r in rows])
    outdoors = np.array([r.outdoors for r in rows], dtype=bool)
    for col, (present, period) in enumerate(((day, "day"), (night, "night"))):
        f_in = np.where(outdoors, 0.0, model.indoor(period))
        out[:, 2 * col] = pop * present * f_in
        out[:, 2 * col + 1] = pop * present * (1.0 - f_in)
    return out


def presence_places(
    residential: Any, targets: Any, cell_m: float, origin: tuple[float, float] = (0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Populated places (x m, y m, presence n × 4, :data:`PRESENCE_COLUMNS`) from residential areas
    (``population``) and protection targets (``population``, ``kind``) in a projected CRS, on
    ``cell_m`` cells (:func:`geo_risk.risk.societal.population_points`). Independent of the indoor
    fractions (cache it per CRS and cell); :meth:`PopulationModel.split` makes the components."""
    from geo_risk.risk.societal import population_points

    frames = []
    for frame, kinds in ((residential, None), (targets, "kind")):
        if frame is None or len(frame) == 0:
            continue
        pop = np.nan_to_num(np.asarray(frame["population"], dtype=float), nan=0.0)
        if kinds is not None and kinds in frame.columns:
            rows = [presence_for(k) for k in frame[kinds]]
        else:
            rows = [presence_for("residential" if kinds is None else None)] * len(frame)
        day = np.array([r.day for r in rows])
        night = np.array([r.night for r in rows])
        out = np.array([r.outdoors for r in rows], dtype=bool)
        f = frame[["geometry"]].copy()
        f["day_buildings"] = np.where(out, 0.0, pop * day)
        f["day_outdoors"] = np.where(out, pop * day, 0.0)
        f["night_buildings"] = np.where(out, 0.0, pop * night)
        f["night_outdoors"] = np.where(out, pop * night, 0.0)
        frames.append(f)
    return population_points(frames, cell_m, origin, list(PRESENCE_COLUMNS))


def _digest() -> str:
    h = hashlib.sha256()
    for name in (_CONSTANTS_FILE, _PRESENCE_FILE):
        h.update(resources.files(__package__).joinpath("data").joinpath(name).read_bytes())
    return h.hexdigest()


def population_assumptions(model: PopulationModel, kinds_used: Sequence[str] = ()) -> dict[str, Any]:
    """What a run's societal risk assumed, for its output: periods, indoor fractions, factors with
    their status, the presence rows of the kinds present, and every UNCONFIRMED value used."""
    consts = _constants()

    def row(key: str, value: float, overridden: bool) -> dict[str, Any]:
        r = consts[key]
        return {"value": value, "status": "setting (overrides the table)" if overridden else r["status"],
                "unit": r["unit"], "reference": r["reference"]}

    if model.outdoor_everyone:
        return {"treatment": "everyone outdoors, unprotected, always present (IR lethality): conservative screening",
                "engine_version": ENGINE_VERSION}
    used = {
        "day_fraction": {"value": round(model.day(), 6),
                         "status": "setting" if model.day_fraction is not None else "UNCONFIRMED",
                         "reference": consts["day_start_hour"]["reference"],
                         "note": "day 08:00-18:30 unless set; same weather and rose by day and night"},
        "indoor_fraction_day": row("indoor_fraction_day", model.indoor("day"), model.indoor_fraction_day is not None),
        "indoor_fraction_night": row("indoor_fraction_night", model.indoor("night"),
                                     model.indoor_fraction_night is not None),
        "toxic_indoor_factor": row("toxic_indoor_factor", model.toxic_indoor(), model.toxic_indoor_factor is not None),
        "flash_fire_indoor_factor": row("flash_fire_indoor_factor", model.flash_fire_indoor(),
                                        model.flash_fire_indoor_factor is not None),
    }
    table = presence_fractions()
    kinds = sorted({k if k in table else "other" for k in kinds_used})
    presence = {k: {"day": table[k].day, "night": table[k].night, "outdoors": table[k].outdoors,
                    "status": table[k].status} for k in kinds}
    unconfirmed = sorted([k for k, v in used.items() if v["status"] == "UNCONFIRMED"]
                         + [f"presence_fractions[{k}]" for k in kinds if table[k].status == "UNCONFIRMED"])
    return {
        "treatment": ("Purple Book societal risk: people present by period (day/night presence fractions), "
                      "indoors/outdoors (PB Table 5.3), indoor and outdoor lethality per effect (PB Figures "
                      "5.2-5.5: toxic 0.1 P indoors; heat 1 at >= 35 kW/m2 else 0 indoors, 0.14 P outdoors; "
                      "flash fire indoor factor; overpressure 0.025 indoors at 0.1-0.3 bar). IR is unchanged: "
                      "outdoor, unprotected, always present"),
        "values": used,
        "presence_fractions": presence,
        "unconfirmed_used": unconfirmed,
        "tables_sha256": _digest(),
        "engine_version": ENGINE_VERSION,
    }
