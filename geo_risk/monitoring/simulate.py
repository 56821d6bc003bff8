"""Deterministic, plausible sensor readings with injected faults and their ground truth.

Each sensor's signal follows its quantity (:data:`geo_risk.monitoring.model.QUANTITIES`):

- ``level`` — a tank filling and emptying: a trapezoid cycle (fill, hold full, draw down, hold low) of
  ``LEVEL_CYCLE_S`` between 10 % of the span above L and 10 % below H (never an alarm by itself);
- ``temperature`` — a daily cycle of ±8 % of the span, peak at 15:00 UTC+8 (07:00 UTC) 2–10 % of the span
  below H (by a hash of the id); the first temperature sensor's peak is ``TEMP_PEAK_BELOW_H`` below it,
  i.e. just over H: a hot afternoon, the case that makes an unfiltered limit chatter;
- ``pressure`` — half way between L and H (or the range ends) with a daily swing of ±10 % of that band;
- ``flammable_gas`` / ``toxic_gas`` — a low background (1 % of span), never below 0.

Every signal gets Gaussian noise (``NOISE_FRAC`` of the span, less where the sensor has a rate limit: then
the change between consecutive readings due to noise stays ``ROC_NOISE_SIGMAS`` standard deviations below
it — a transmitter quiet enough for its own rate alarm). Injected faults (:class:`InjectedFault`):
``stuck`` (the value freezes), ``spike`` (one reading jumps by 40 % of the span), ``dropout`` (no
readings), ``leak`` (gas rises linearly to 5 % of span past HH, holds, falls back), ``overfill`` (the
level rises at 3 %/min to 97 %, holds, falls back). Each names the alarm kinds that must answer it.

Everything is a closed-form function of time plus seeded noise drawn chunk by chunk in a fixed order,
so a run is reproducible (same seed → same readings) and can be streamed in chunks
(:func:`simulate_chunks`) for long runs. Publishing (MQTT) is not here: the caller passes each chunk
to a sink (:data:`Sink`); the ingest module provides the MQTT one.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import AlarmEngine, OverfillRule, parameters, recommended_spec, replay, unfiltered_spec
from geo_risk.monitoring.model import QUANTITIES, Reading, SensorSpec

__all__ = ["InjectedFault", "SimResult", "Sink", "builtin_plant", "default_faults", "simulate", "simulate_chunks",
           "read_sensors", "to_readings", "FAULT_KINDS", "fault_alarms", "DEFAULT_START", "ReplayEvaluator"]

DEFAULT_START = datetime(2026, 1, 1, 4, tzinfo=UTC)
LEVEL_CYCLE_S = 6 * 3600.0
TEMP_PEAK_BELOW_H = -0.002
NOISE_FRAC = 0.0005
SPIKE_FRAC = 0.4
FILL_RATE_PCT_MIN = 3.0
OVERFILL_TOP_PCT = 97.0
ROC_NOISE_SIGMAS = 5.0

#: Fault kind → the alarm kinds any of which answers it.
FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "stuck": ("STUCK",),
    "spike": ("ROC", "RANGE"),
    "dropout": ("SILENT",),
    "leak": ("H", "HH"),
    "overfill": ("OVERFILL",),
}

#: A sink takes one chunk of readings (a DataFrame: sensor_id, ts, value) — a file writer, or MQTT.
Sink = Callable[[pd.DataFrame], None]


@dataclass(frozen=True)
class InjectedFault:
    """One injected fault: what, on which sensor, when (UTC), and which alarm kinds must answer it."""

    kind: str
    sensor_id: str
    start: datetime
    end: datetime
    expects: tuple[str, ...]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"], d["expects"] = self.start.isoformat(), self.end.isoformat(), list(self.expects)
        return d


@dataclass
class SimResult:
    """Readings (DataFrame ``sensor_id, ts, value`` in time order) and the ground truth."""

    frame: pd.DataFrame
    faults: list[InjectedFault]
    specs: list[SensorSpec]
    overfill: list[OverfillRule]

    def readings(self) -> list[Reading]:
        return to_readings(self.frame)


def to_readings(frame: pd.DataFrame) -> list[Reading]:
    """The rows of a readings frame as :class:`Reading` objects."""
    ts = pd.to_datetime(frame["ts"], utc=True).dt.to_pydatetime()
    return [Reading(s, t, float(v)) for s, t, v in zip(frame["sensor_id"], ts, frame["value"], strict=True)]


def builtin_plant() -> tuple[list[SensorSpec], list[OverfillRule]]:
    """A small plant: a gasoline tank with level, temperature, pressure and a flammable-gas detector, and a
    liquid-ammonia tank with level, pressure and a toxic-gas detector. Limits are plausible (CHOICE); rate
    limits (≈ 30 % of the span per minute) catch jumps between consecutive readings, above their noise;
    deadbands and delays the table's recommendations (:func:`~geo_risk.monitoring.alarms.recommended_spec`)."""
    raw = [
        SensorSpec("TK101-LT", "TK101", "level", "%", 0, 100, ll=5, l=10, h=85, hh=90, rate_limit=30.0),
        SensorSpec("TK101-TT", "TK101", "temperature", "°C", -30, 80, l=-20, h=40, hh=50, rate_limit=30.0),
        SensorSpec("TK101-PT", "TK101", "pressure", "MPa", 0, 1.6, l=0.05, h=0.9, hh=1.2, rate_limit=0.5),
        SensorSpec("TK101-GT", "TK101", "flammable_gas", "%LEL", 0, 100, h=25, hh=50),
        SensorSpec("TK201-LT", "TK201", "level", "%", 0, 100, ll=5, l=10, h=85, hh=90, rate_limit=30.0),
        SensorSpec("TK201-PT", "TK201", "pressure", "MPa", 0, 2.5, l=0.2, h=1.6, hh=1.9, rate_limit=0.8),
        SensorSpec("TK201-AT", "TK201", "toxic_gas", "ppm", 0, 100, h=25, hh=50),
    ]
    specs = [recommended_spec(s) for s in raw]
    overfill = [OverfillRule("TK101-LT", capacity_m3=1000.0, density_t_m3=0.74, design_max_t=650.0),
                OverfillRule("TK201-LT", capacity_m3=500.0, density_t_m3=0.61, design_max_t=270.0)]
    return specs, overfill


def default_faults(specs: Sequence[SensorSpec], start: datetime, duration_s: float,
                   overfill: Sequence[OverfillRule] = (), params: dict | None = None) -> list[InjectedFault]:
    """One fault of each kind on the first sensor that can show it, spread over the run (spike at 0.5 h,
    stuck at 1 h, dropout at 1.5 h, leak at 2 h, overfill at 2.6 h on the first overfill rule's tank);
    faults that do not fit in ``duration_s`` are left out (a 4-hour run holds all five)."""
    p = parameters() if params is None else params
    by_q: dict[str, list[SensorSpec]] = {}
    for s in specs:
        by_q.setdefault(s.quantity, []).append(s)
    gas = by_q.get("flammable_gas", []) + by_q.get("toxic_gas", [])
    leak_gas = [s for s in gas if s.h is not None or s.hh is not None]
    levels = {s.id: s for s in by_q.get("level", [])}
    tank = next((levels[r.sensor_id] for r in overfill if r.sensor_id in levels), None)
    dropout = (gas[1:] or gas or [None])[0]
    plan: list[tuple[str, SensorSpec | None, float, float]] = [
        ("spike", next((s for s in specs if s.rate_limit is not None), None), 0.5 * 3600, 1.0),
        ("stuck", (by_q.get("temperature") or by_q.get("pressure") or [None])[0], 1.0 * 3600,
         p["stuck_after_s"] + 600),
        ("dropout", dropout, 1.5 * 3600, (dropout.silent_after_s + 300) if dropout else 0.0),
        ("leak", leak_gas[0] if leak_gas else None, 2.0 * 3600, 1800.0),
        ("overfill", tank, 2.6 * 3600, 3600.0),
    ]
    out = []
    for kind, spec, at, dur in plan:
        if spec is None or at + dur + 300 > duration_s:
            continue
        out.append(InjectedFault(kind, spec.id, start + timedelta(seconds=at), start + timedelta(seconds=at + dur),
                                 FAULT_KINDS[kind]))
    return out


def _base(spec: SensorSpec, t: np.ndarray, hot: bool = False) -> np.ndarray:
    """The fault-free signal at epoch seconds ``t``; ``hot``: the temperature's daily peak crosses its H."""
    span = spec.range_hi - spec.range_lo
    q = spec.quantity
    if q == "level":
        lo = (spec.l if spec.l is not None else spec.range_lo) + 0.10 * span
        hi = (spec.h if spec.h is not None else spec.range_hi) - 0.10 * span
        ph = np.mod(t, LEVEL_CYCLE_S) / LEVEL_CYCLE_S
        up = np.clip(ph / 0.35, 0, 1)
        down = np.clip((ph - 0.5) / 0.35, 0, 1)
        return lo + (hi - lo) * (up - down)
    if q == "temperature":
        below = TEMP_PEAK_BELOW_H if hot else 0.02 + 0.08 * (zlib.crc32(spec.id.encode()) / 2**32)
        peak = (spec.h if spec.h is not None else spec.range_hi - 0.2 * span) - below * span
        amp = 0.08 * span
        return peak - amp + amp * np.cos(2 * np.pi * (t - 7 * 3600) / 86400.0)
    if q == "pressure":
        hi = spec.h if spec.h is not None else spec.range_hi
        lo = spec.l if spec.l is not None else spec.range_lo
        return lo + (hi - lo) * (0.5 + 0.1 * np.cos(2 * np.pi * (t - 7 * 3600) / 86400.0))
    return np.full(t.shape, spec.range_lo + 0.01 * span)


def _apply_faults(spec: SensorSpec, t: np.ndarray, v: np.ndarray, faults: Sequence[InjectedFault],
                  period_s: float, hot: bool = False) -> tuple[np.ndarray, np.ndarray]:
    span = spec.range_hi - spec.range_lo
    keep = np.ones(t.size, bool)
    for f in faults:
        if f.sensor_id != spec.id:
            continue
        a, b = f.start.timestamp(), f.end.timestamp()
        inside = (t >= a) & (t < b)
        if f.kind == "stuck":
            v[inside] = round(float(_base(spec, np.array([a]), hot)[0]), 3)
        elif f.kind == "spike":
            hit = (t >= a) & (t < a + period_s)
            v[hit] = np.minimum(v[hit] + SPIKE_FRAC * span, spec.range_hi)
        elif f.kind == "dropout":
            keep &= ~inside
        elif f.kind == "leak":
            top = (spec.hh if spec.hh is not None else spec.h) + 0.05 * span
            bg = float(_base(spec, np.array([a]), hot)[0])
            rise, hold = 0.4 * (b - a), 0.3 * (b - a)
            x = t - a
            fall = 1.0 - (x - rise - hold) / (b - a - rise - hold)
            shape = np.where(x < rise, x / rise, np.where(x < rise + hold, 1.0, fall))
            v[inside] = np.maximum(v[inside], bg + (top - bg) * shape[inside])
        elif f.kind == "overfill":
            # a tent clipped at OVERFILL_TOP_PCT: filling at FILL_RATE from the level at the start, drawn
            # down at the same rate to meet the normal level at the end
            r = FILL_RATE_PCT_MIN / 60.0
            v0 = float(_base(spec, np.array([a]), hot)[0])
            v1 = float(_base(spec, np.array([b]), hot)[0])
            level = np.minimum(np.minimum(v0 + r * (t - a), OVERFILL_TOP_PCT), v1 + r * (b - t))
            v[inside] = level[inside] + (v[inside] - _base(spec, t[inside], hot))
    return t[keep], v[keep]


def simulate_chunks(specs: Sequence[SensorSpec], start: datetime, duration_s: float, period_s: float = 1.0,
                    seed: int = 0, faults: Sequence[InjectedFault] = (), chunk_s: float = 3600.0
                    ) -> Iterator[pd.DataFrame]:
    """The readings chunk by chunk (``chunk_s`` seconds of simulated time each, time order inside)."""
    if start.tzinfo is None:
        raise InvalidInput("simulation start must be timezone-aware (UTC), e.g. 2026-01-01T00:00:00+00:00")
    if not (period_s > 0 and duration_s > 0):
        raise InvalidInput(f"period ({period_s} s) and duration ({duration_s} s) must be > 0")
    for s in specs:
        if s.quantity not in QUANTITIES:
            raise InvalidInput(f"sensor {s.id!r}: unknown quantity {s.quantity!r}; valid: {', '.join(QUANTITIES)}")
    rng = np.random.default_rng(seed)
    t0 = start.timestamp()
    n_total = int(math.floor(duration_s / period_s))
    per_chunk = max(1, int(chunk_s // period_s))
    hot = next((s.id for s in specs if s.quantity == "temperature"), None)
    for c0 in range(0, n_total, per_chunk):
        k = np.arange(c0, min(c0 + per_chunk, n_total))
        t = t0 + k * period_s
        parts = []
        for s in specs:
            span = s.range_hi - s.range_lo
            sigma = NOISE_FRAC * span
            if s.rate_limit is not None:  # a transmitter quiet enough for its own rate alarm
                sigma = min(sigma, s.rate_limit * period_s / 60.0 / (ROC_NOISE_SIGMAS * math.sqrt(2.0)))
            v = _base(s, t, s.id == hot) + rng.normal(0.0, sigma, t.size)
            if s.quantity in ("flammable_gas", "toxic_gas"):
                v = np.abs(v - s.range_lo) + s.range_lo
            tt, vv = _apply_faults(s, t, v, faults, period_s, s.id == hot)
            parts.append(pd.DataFrame({"sensor_id": s.id, "ts_s": tt, "value": np.round(vv, 4)}))
        df = pd.concat(parts, ignore_index=True).sort_values(["ts_s"], kind="stable")
        df["ts"] = pd.to_datetime(df["ts_s"], unit="s", utc=True)
        yield df[["sensor_id", "ts", "value", "ts_s"]].reset_index(drop=True)


def simulate(specs: Sequence[SensorSpec] | None = None, overfill: Sequence[OverfillRule] | None = None,
             start: datetime | None = None, duration_s: float = 4 * 3600.0, period_s: float = 1.0, seed: int = 0,
             faults: Sequence[InjectedFault] | str | None = "default") -> SimResult:
    """Readings of ``specs`` (default: :func:`builtin_plant`) for ``duration_s`` every ``period_s`` from ``start``
    (default 2026-01-01T04:00Z, so the temperature peak of 07:00Z falls in a 4-hour run), with ``faults``
    ("default": :func:`default_faults`; None or (): none); all in memory."""
    if specs is None:
        specs, overfill = builtin_plant()
    overfill = list(overfill or [])
    start = start or DEFAULT_START
    if isinstance(faults, str):
        if faults != "default":
            raise InvalidInput(f"faults: 'default', None or a list of InjectedFault, got {faults!r}")
        faults = default_faults(specs, start, duration_s, overfill)
    faults = list(faults or [])
    known = {s.id for s in specs}
    for f in faults:
        if f.sensor_id not in known:
            raise InvalidInput(f"fault {f.kind} on unknown sensor {f.sensor_id!r}")
    frames = list(simulate_chunks(specs, start, duration_s, period_s, seed, faults))
    frame = (pd.concat(frames, ignore_index=True) if frames
             else pd.DataFrame(columns=["sensor_id", "ts", "value", "ts_s"]))
    return SimResult(frame, faults, list(specs), overfill)


def fault_alarms(faults: Sequence[InjectedFault], events: Sequence, slack_s: float = 600.0
                 ) -> list[tuple[InjectedFault, list]]:
    """Each injected fault with the alarm events that answer it: a ``raise`` of one of its expected kinds on its
    sensor between its start and ``slack_s`` after its end (on-delays and the silent time)."""
    out = []
    for f in faults:
        a, b = f.start, f.end + timedelta(seconds=slack_s)
        hits = [e for e in events if e.sensor_id == f.sensor_id and e.kind in f.expects
                and e.transition == "raise" and a <= e.ts <= b]
        out.append((f, hits))
    return out


class ReplayEvaluator:
    """A :data:`Sink` that runs the alarm engine over the readings chunk by chunk, twice: with the sensors'
    deadbands and delays ("filtered") and without them ("raw": every limit crossing an alarm). Ticks the
    clock every ``tick_s`` seconds of reading time, so silent sensors are found."""

    def __init__(self, specs: Sequence[SensorSpec], overfill: Sequence[OverfillRule] = (),
                 params: dict | None = None, tick_s: float = 10.0) -> None:
        self.specs = list(specs)
        self.engines = {"filtered": AlarmEngine(specs, overfill, params),
                        "raw": AlarmEngine([unfiltered_spec(s) for s in specs], overfill, params)}
        self.events: dict[str, list] = {k: [] for k in self.engines}
        self.tick_s = tick_s
        self.readings = 0

    def __call__(self, chunk: pd.DataFrame) -> None:
        readings = to_readings(chunk)
        self.readings += len(readings)
        for name, engine in self.engines.items():
            self.events[name] += replay(engine, readings, self.tick_s)

    def summary(self, faults: Sequence[InjectedFault], start: datetime, end: datetime) -> dict:
        """Alarms per 1,000 readings raw and filtered, each injected fault with the alarm kinds that answered
        it, and the EEMUA 191 figures (all areas) of both, over [start, end)."""
        from geo_risk.monitoring.lifecycle import AlarmBoard
        from geo_risk.monitoring.metrics import eemua_figures

        out: dict = {"readings": self.readings}
        quantities = {s.id: s.quantity for s in self.specs}
        for name, events in self.events.items():
            raised = sum(1 for e in events if e.transition == "raise")
            board = AlarmBoard(quantities)
            board.apply(events)
            log = pd.DataFrame([(ts, key, area, "raise") for ts, key, area, _ in board.annunciations],
                               columns=["ts", "key", "area", "transition"])
            figs = eemua_figures(log, start=start, end=end - timedelta(microseconds=1))
            allf = next(a for a in figs.areas if a.area == "*")
            out[name] = {"alarms": raised, "per_1000_readings": 1000.0 * raised / max(self.readings, 1),
                         "average_per_10min": allf.average_per_10min, "peak_per_10min": allf.peak_per_10min,
                         "flood_pct": allf.flood_pct, "chattering": [c["key"] for c in figs.chattering],
                         "standing": [x["key"] for x in figs.standing],
                         "top": [(t["key"], t["activations"]) for t in figs.top[:5]], "top_share": figs.top_share}
        out["faults"] = [{"fault": f.kind, "sensor": f.sensor_id, "expects": list(f.expects),
                          "raised": sorted({e.kind for e in hits}),
                          "first": min((e.ts for e in hits), default=None)}
                         for f, hits in fault_alarms(faults, self.events["filtered"])]
        return out


_SPEC_FIELDS = {f.name for f in fields(SensorSpec)}
_FLOAT_FIELDS = {"range_lo", "range_hi", "ll", "l", "h", "hh", "deadband", "on_delay_s", "off_delay_s",
                 "rate_limit", "silent_after_s"}
_OVERFILL_FIELDS = ("capacity_m3", "density_t_m3", "design_max_t")


def read_sensors(path: Path, recommended: bool = True) -> tuple[list[SensorSpec], list[OverfillRule]]:
    """Sensors from a CSV or JSON file (a list of objects) or a GeoPackage's ``sensors`` layer: the
    :class:`SensorSpec` fields, plus optionally
    ``capacity_m3``, ``density_t_m3``, ``design_max_t`` for an overfill rule on a level sensor. Empty cells
    are unset. With ``recommended``, missing deadbands and delays take the table's values."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"sensor file {path} does not exist")
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"sensor file {path}: not JSON ({exc})") from None
        if isinstance(rows, dict):
            rows = rows.get("sensors", [])
    elif path.suffix.lower() == ".csv":
        rows = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
    elif path.suffix.lower() == ".gpkg":  # an interchange GeoPackage's sensors layer (e.g. the sample city's)
        import pyogrio

        if "sensors" not in {str(n) for n, _ in pyogrio.list_layers(path)}:
            raise InvalidInput(f"{path} has no sensors layer")
        df = pyogrio.read_dataframe(path, layer="sensors", read_geometry=False)
        rows = [{k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
                for r in df.to_dict("records")]
    else:
        raise InvalidInput(f"sensor file {path}: use .csv, .json or a GeoPackage (.gpkg) with a sensors layer")
    specs, rules = [], []
    for n, row in enumerate(rows, 1):
        row = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        row = {k: v for k, v in row.items() if v not in ("", None)}
        unknown = set(row) - _SPEC_FIELDS - set(_OVERFILL_FIELDS)
        if unknown:
            raise InvalidInput(f"sensor file {path} row {n}: unknown column(s) {sorted(unknown)}; valid: "
                               f"{', '.join(sorted(_SPEC_FIELDS | set(_OVERFILL_FIELDS)))}")
        missing = {"id", "unit_id", "quantity", "range_lo", "range_hi"} - set(row)
        if missing:
            raise InvalidInput(f"sensor file {path} row {n}: missing {sorted(missing)}")
        kw = {}
        try:
            for k, v in row.items():
                if k in _FLOAT_FIELDS or k in _OVERFILL_FIELDS:
                    kw[k] = float(v)
                else:
                    kw[k] = str(v)
        except ValueError as exc:
            raise InvalidInput(f"sensor file {path} row {n}: {exc}") from None
        if kw["quantity"] not in QUANTITIES:
            raise InvalidInput(f"sensor file {path} row {n}: unknown quantity {kw['quantity']!r}; valid: "
                               f"{', '.join(QUANTITIES)}")
        kw.setdefault("uom", QUANTITIES[kw["quantity"]])
        ovf = {k: kw.pop(k) for k in _OVERFILL_FIELDS if k in kw}
        spec = SensorSpec(**kw)
        specs.append(recommended_spec(spec) if recommended else spec)
        if ovf:
            if len(ovf) != 3:
                raise InvalidInput(f"sensor file {path} row {n}: an overfill rule needs all of "
                                   f"{', '.join(_OVERFILL_FIELDS)}")
            rules.append(OverfillRule(spec.id, **ovf))
    if not specs:
        raise InvalidInput(f"sensor file {path} holds no sensors")
    return specs, rules
