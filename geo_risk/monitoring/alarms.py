"""The streaming alarm evaluator: limits, rate of change, sensor faults and overfill, per sensor.

Notes: ``docs/standards/alarm-management.md`` (ISA-18.2 / IEC 62682, EEMUA 191). Every number the alarm
engine (this module, :mod:`~geo_risk.monitoring.lifecycle`, :mod:`~geo_risk.monitoring.metrics`) uses is
in :data:`PARAMETERS`, with its unit, confidence tag and source; the CHOICE entries can be overridden
(the callers pass ``Settings.alarm_parameters``; :func:`parameters` checks the names).

Kinds of alarm (:data:`KINDS`):

- ``HH``/``H``/``L``/``LL`` — process limits: raised when the value has been at or beyond the limit for
  the sensor's ``on_delay_s`` (s), cleared when it has been back inside the limit by more than the
  ``deadband`` (uom) for ``off_delay_s`` (s). In between the alarm holds: a noisy signal about a limit
  does not chatter. A reading outside the instrument range is not a process value: it neither raises
  nor clears a limit alarm (the RANGE fault says the sensor is bad).
- ``ROC`` — rate of change: ``|Δvalue| / Δt`` between consecutive in-range readings above the sensor's
  ``rate_limit`` (uom/min); raised at once (a rate is a transient), cleared after ``off_delay_s`` of
  rates at or below it.
- ``RANGE`` — a reading outside ``[range_lo, range_hi]`` or not a number; raised at once, cleared
  after ``off_delay_s`` back in range.
- ``STUCK`` — flat-lined: no change between consecutive readings larger than
  ``stuck_tolerance_frac_span`` × span for ``stuck_after_s``; cleared by the first change.
- ``SILENT`` — no reading for the sensor's ``silent_after_s``; evaluated on a clock tick
  (:meth:`AlarmEngine.tick`), cleared by the next reading.
- ``OVERFILL`` — 超量储存: live inventory = level (%) / 100 × vessel capacity (m³) × density (t/m³)
  above the design maximum (t) that GB 18218 grades by (:class:`OverfillRule`, given by the caller).
  Inventories are restricted: the figures appear only inside ``restricted(...)`` spans and the
  event carries no limit.

:class:`AlarmEngine` is vectorised across the sensors of a batch (numpy; carried state per sensor
between batches), :class:`NaiveEvaluator` is the same rules written reading by reading — the test
oracle and the benchmark's baseline (``benchmarks/alarms.py``). Times inside are seconds since the
epoch (UTC); events carry timezone-aware datetimes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput
from geo_risk.monitoring.model import QUANTITIES, Reading, SensorSpec

__all__ = [
    "PARAMETERS", "Parameter", "parameters", "KINDS", "KIND_LABELS", "AlarmEvent", "OverfillRule",
    "AlarmEngine", "NaiveEvaluator", "replay", "recommended_spec", "unfiltered_spec", "live_inventory_t",
    "overfill_message",
]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One number of the alarm engine: value, unit, confidence tag, source (the notes' §A6)."""

    value: float
    unit: str
    tag: str  # C2 | C1 | UNCONFIRMED | CHOICE
    source: str


#: THE table: every number of the alarm engine (alarms, lifecycle, metrics), with its tag.
#: ``alarm-management.md §A6`` is the same table in words; a test checks the two agree.
PARAMETERS: dict[str, Parameter] = {
    # --- EEMUA 191 / ISA-18.2 performance figures (metrics.py) -------------------------------
    "period_s": Parameter(600.0, "s", "C2", "EEMUA 191; ISA-18.2 §16: alarm rates per 10-minute period"),
    "acceptable_per_10min": Parameter(1.0, "alarms/10 min", "C2",
                                      "EEMUA 191 'manageable steady state' ~1 per 10 min; ISA-18.2 Table 16"),
    "manageable_per_10min": Parameter(2.0, "alarms/10 min", "UNCONFIRMED",
                                      "ISA-18.2 Table 16 'maximum manageable' ~2 per 10 min (recalled)"),
    "flood_per_10min": Parameter(10.0, "alarms/10 min", "C2",
                                 "EEMUA 191 flood state: more than 10 alarms in 10 minutes; ISA-18.2 §16.5"),
    "chatter_count": Parameter(3.0, "activations", "C1",
                               "PAS / ISA TR18.2.5 starting criterion: 3 or more activations in 1 minute"),
    "chatter_window_s": Parameter(60.0, "s", "C1", "as chatter_count"),
    "standing_after_s": Parameter(86_400.0, "s", "CHOICE",
                                  "standing (stale) alarm: active longer than 24 h; ISA-18.2's stale alarm "
                                  "example is 24 h (UNCONFIRMED)"),
    "top_n": Parameter(10.0, "alarms", "C1", "ISA-18.2 §16: the top 10 most frequent alarms and their share"),
    "top10_share_max": Parameter(0.05, "fraction", "UNCONFIRMED",
                                 "ISA-18.2 Table 16: top-10 share ~1 % to 5 % maximum (recalled)"),
    # --- Deadbands (fraction of the instrument span) and delays, by quantity -----------------
    "deadband_frac_level": Parameter(0.05, "fraction of span", "UNCONFIRMED",
                                     "ISA-18.2-2009 recommended deadband, level 5 % (recalled)"),
    "deadband_frac_pressure": Parameter(0.02, "fraction of span", "UNCONFIRMED",
                                        "ISA-18.2-2009 recommended deadband, pressure 2 % (recalled)"),
    "deadband_frac_temperature": Parameter(0.01, "fraction of span", "UNCONFIRMED",
                                           "ISA-18.2-2009 recommended deadband, temperature 1 % (recalled)"),
    "deadband_frac_flammable_gas": Parameter(0.02, "fraction of span", "CHOICE", "no gas row in the tables"),
    "deadband_frac_toxic_gas": Parameter(0.02, "fraction of span", "CHOICE", "no gas row in the tables"),
    "delay_s_level": Parameter(60.0, "s", "UNCONFIRMED", "ISA-18.2-2009 recommended delay, level 60 s (recalled)"),
    "delay_s_pressure": Parameter(15.0, "s", "UNCONFIRMED",
                                  "ISA-18.2-2009 recommended delay, pressure 15 s (recalled)"),
    "delay_s_temperature": Parameter(60.0, "s", "UNCONFIRMED",
                                     "ISA-18.2-2009 recommended delay, temperature 60 s (recalled)"),
    "delay_s_flammable_gas": Parameter(5.0, "s", "CHOICE", "short: a gas release must not wait a minute"),
    "delay_s_toxic_gas": Parameter(5.0, "s", "CHOICE", "as flammable gas"),
    # --- Sensor faults --------------------------------------------------------------------------
    "stuck_after_s": Parameter(900.0, "s", "CHOICE", "no change for 15 minutes = flat-lined"),
    "stuck_tolerance_frac_span": Parameter(1e-4, "fraction of span", "CHOICE",
                                           "a change smaller than this is 'no change' (a live transmitter's "
                                           "noise is larger)"),
    "silent_after_s": Parameter(300.0, "s", "CHOICE", "default of SensorSpec.silent_after_s"),
    # --- Overfill (超量储存) -----------------------------------------------------------------------
    "overfill_deadband_frac": Parameter(0.01, "fraction of design max", "CHOICE",
                                        "clears below 99 % of the design maximum"),
    # --- Lifecycle ------------------------------------------------------------------------------
    "max_shelve_s": Parameter(43_200.0, "s", "CHOICE",
                              "shelving is time-limited (ISA-18.2 §16.4, C1); at most 12 h (one shift)"),
    # --- Priority distribution of annunciated alarms (metrics.py) ---------------------------------
    "priority_share_low": Parameter(0.80, "fraction", "C1", "EEMUA KPI grid (Nimmo): ~80 % low"),
    "priority_share_medium": Parameter(0.15, "fraction", "C1", "EEMUA KPI grid (Nimmo): ~15 % medium"),
    "priority_share_high": Parameter(0.05, "fraction", "C1", "EEMUA KPI grid (Nimmo): ~5 % high"),
}


def parameters(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The table's values, with ``overrides`` applied to CHOICE entries (others are rejected)."""
    values = {name: p.value for name, p in PARAMETERS.items()}
    for name, value in (overrides or {}).items():
        if name not in PARAMETERS:
            raise InvalidInput(f"unknown alarm parameter {name!r}; valid: {', '.join(sorted(PARAMETERS))}")
        if PARAMETERS[name].tag != "CHOICE":
            choice = sorted(n for n, p in PARAMETERS.items() if p.tag == "CHOICE")
            raise InvalidInput(f"alarm parameter {name!r} comes from a standard ({PARAMETERS[name].tag}: "
                               f"{PARAMETERS[name].source}) and cannot be overridden; CHOICE ones can: "
                               f"{', '.join(choice)}")
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"alarm parameter {name!r} must be a number ≥ 0, got {value!r}")
        values[name] = value
    return values


#: Alarm kinds in evaluation order.
KINDS: tuple[str, ...] = ("HH", "H", "L", "LL", "ROC", "RANGE", "STUCK", "OVERFILL", "SILENT")

#: Kind → (中文, English).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "HH": ("高高报警", "high-high"),
    "H": ("高报警", "high"),
    "L": ("低报警", "low"),
    "LL": ("低低报警", "low-low"),
    "ROC": ("变化率报警", "rate of change"),
    "RANGE": ("超量程故障", "out of instrument range"),
    "STUCK": ("数值冻结故障", "stuck / flat-lined"),
    "OVERFILL": ("超量储存", "storage above the design maximum"),
    "SILENT": ("通信中断故障", "silent: no readings"),
}


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """An alarm's process transition: ``raise`` (the condition became true) or ``clear``.

    ``value`` is the reading that caused it (None for SILENT), ``limit`` the limit it was judged
    against (uom; None for SILENT, STUCK and OVERFILL — the overfill level is restricted).
    ``message`` may hold restricted spans (:func:`geo_risk.disclosure.disclose` before showing).
    """

    sensor_id: str
    kind: str
    transition: str
    ts: datetime
    value: float | None
    limit: float | None
    unit_id: str
    area: str
    message: str

    @property
    def key(self) -> str:
        """The alarm's identity: ``sensor_id:kind``."""
        return f"{self.sensor_id}:{self.kind}"


@dataclass(frozen=True, slots=True)
class OverfillRule:
    """Overfill (超量储存) of the vessel a level sensor measures: capacity m³, density t/m³, design max t."""

    sensor_id: str
    capacity_m3: float
    density_t_m3: float
    design_max_t: float

    def __post_init__(self) -> None:
        for name in ("capacity_m3", "density_t_m3", "design_max_t"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidInput(f"overfill rule of sensor {self.sensor_id!r}: {name} must be > 0, got {v!r}")

    @property
    def level_pct(self) -> float:
        """The level (%) at which the live inventory equals the design maximum."""
        return self.design_max_t / (self.capacity_m3 * self.density_t_m3) * 100.0


def live_inventory_t(level_pct: float, capacity_m3: float, density_t_m3: float) -> float:
    """Live inventory, t: level (% of the working height) / 100 × vessel capacity (m³) × density (t/m³)."""
    return level_pct / 100.0 * capacity_m3 * density_t_m3


def overfill_message(level_pct: float, rule: OverfillRule, transition: str = "raise") -> str:
    """The overfill text; every quantity inside a restricted span (public: the rule, no figure)."""
    inv = live_inventory_t(level_pct, rule.capacity_m3, rule.density_t_m3)
    figures = restricted(f"：储量 {inv:.1f} t {'>' if transition == 'raise' else '≤'} 设计最大储量 "
                         f"{rule.design_max_t:.1f} t / inventory {inv:.1f} t vs design maximum "
                         f"{rule.design_max_t:.1f} t", "")
    if transition == "raise":
        return (f"超量储存 storage above the design maximum — 储罐 {rule.sensor_id}（液位×容积×密度 > 设计最大储量 / "
                f"level × capacity × density > design maximum）{figures}")
    return (f"超量储存解除 storage back within the design maximum — 储罐 {rule.sensor_id}（液位×容积×密度 / "
            f"level × capacity × density）{figures}")


def recommended_spec(spec: SensorSpec, params: Mapping[str, float] | None = None) -> SensorSpec:
    """``spec`` with the table's deadband and on/off delays of its quantity where it sets none (0)."""
    p = parameters() if params is None else params
    if spec.quantity not in QUANTITIES:
        return spec
    span = spec.range_hi - spec.range_lo
    db = spec.deadband or p[f"deadband_frac_{spec.quantity}"] * span
    delay = p[f"delay_s_{spec.quantity}"]
    return replace(spec, deadband=db, on_delay_s=spec.on_delay_s or delay, off_delay_s=spec.off_delay_s or delay)


def unfiltered_spec(spec: SensorSpec) -> SensorSpec:
    """``spec`` with no deadband and no delays: every raw limit crossing is an alarm ('before filtering')."""
    return replace(spec, deadband=0.0, on_delay_s=0.0, off_delay_s=0.0)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _message(spec: SensorSpec, kind: str, transition: str, value: float | None, limit: float | None,
             extra: str = "") -> str:
    zh, en = KIND_LABELS[kind]
    qty = spec.quantity
    u = spec.uom
    if transition == "clear":
        return f"{zh}恢复 {en} cleared — {spec.id} ({qty}){extra}"
    if kind in ("HH", "H"):
        return f"{zh} {en} — {spec.id} ({qty}) {_fmt(value)} {u} ≥ {_fmt(limit)} {u}"
    if kind in ("L", "LL"):
        return f"{zh} {en} — {spec.id} ({qty}) {_fmt(value)} {u} ≤ {_fmt(limit)} {u}"
    if kind == "ROC":
        return f"{zh} {en} — {spec.id} ({qty}) {extra} > {_fmt(limit)} {u}/min"
    if kind == "RANGE":
        return (f"{zh} {en} — {spec.id} ({qty}) {_fmt(value)} {u} outside "
                f"[{_fmt(spec.range_lo)}, {_fmt(spec.range_hi)}] {u}")
    if kind == "STUCK":
        return f"{zh} {en} — {spec.id} ({qty}) unchanged at {_fmt(value)} {u}{extra}"
    if kind == "SILENT":
        return f"{zh} {en} — {spec.id} ({qty}){extra}"
    return f"{zh} {en} — {spec.id}{extra}"


def _event(spec: SensorSpec, kind: str, transition: str, ts: float, value: float | None, limit: float | None,
           aux: float | None, params: Mapping[str, float], overfill: Mapping[str, OverfillRule]) -> AlarmEvent:
    """One event with its bilingual text (shared by both evaluators: one wording)."""
    value = None if value is None or (kind == "SILENT" and transition == "raise") else float(value)
    if kind == "OVERFILL":
        msg = overfill_message(value, overfill[spec.id], transition)
    elif kind == "ROC" and transition == "raise":
        msg = _message(spec, kind, transition, value, limit, extra=f"{_fmt(aux)} {spec.uom}/min")
    elif kind == "STUCK" and transition == "raise":
        msg = _message(spec, kind, transition, value, limit, extra=f" for ≥ {_fmt(params['stuck_after_s'])} s")
    else:
        msg = _message(spec, kind, transition, value, limit)
    return AlarmEvent(spec.id, kind, transition, _dt(ts), value, limit, spec.unit_id, spec.alarm_area, msg)


# ---------------------------------------------------------------------------------------------
# The vectorised engine
# ---------------------------------------------------------------------------------------------

_HYST_KINDS = ("HH", "H", "L", "LL", "ROC", "RANGE", "STUCK", "OVERFILL")


@dataclass
class _Carry:
    """State carried per sensor between batches, for one hysteresis kind."""

    active: np.ndarray
    on_start: np.ndarray
    off_start: np.ndarray


def _run_start(cond: np.ndarray, first: np.ndarray, start_at: np.ndarray, carried: np.ndarray) -> np.ndarray:
    """For each reading where ``cond`` holds, the start time of the run of ``cond`` it belongs to (NaN elsewhere).

    Runs never cross a sensor's segment (``first`` marks a sensor's first reading in the batch); a run
    still going at a segment's first reading continues the carried run (``carried``, NaN: none).
    """
    n = cond.size
    prev = np.zeros(n, dtype=bool)
    prev[1:] = cond[:-1]
    prev[first] = False
    starts = cond & ~prev
    start_ts = np.where(starts, start_at, np.nan)
    cont = starts & first & ~np.isnan(carried)
    start_ts[cont] = carried[cont]
    idx = np.where(starts, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)
    return np.where(cond, start_ts[idx], np.nan)


class AlarmEngine:
    """Streaming evaluator for many sensors: :meth:`feed` batches of readings, :meth:`tick` the clock.

    ``specs``: the sensors (ids unique). ``overfill``: overfill rules of level sensors. ``params``:
    :func:`parameters` (default: the table). ``started``: when monitoring started (a sensor never heard
    from is silent ``silent_after_s`` after it; default: the first feed or tick).
    Readings of unknown sensors are counted in ``unknown`` and skipped; a reading not later than the
    sensor's last one (a duplicate or a late delivery) is counted in ``stale`` and skipped.
    """

    def __init__(self, specs: Iterable[SensorSpec], overfill: Iterable[OverfillRule] = (),
                 params: Mapping[str, float] | None = None, started: datetime | None = None) -> None:
        self.specs: list[SensorSpec] = list(specs)
        self.params = dict(parameters() if params is None else params)
        self.index: dict[str, int] = {}
        for i, s in enumerate(self.specs):
            if s.id in self.index:
                raise InvalidInput(f"sensor id {s.id!r} is given twice; ids must be unique")
            if not s.range_hi > s.range_lo:
                raise InvalidInput(f"sensor {s.id!r}: range_hi {s.range_hi} must be above range_lo {s.range_lo}")
            self.index[s.id] = i
        n = len(self.specs)

        def arr(name: str) -> np.ndarray:
            return np.array([np.nan if getattr(s, name) is None else float(getattr(s, name)) for s in self.specs],
                            dtype=float).reshape(n)

        self._lim = {k: arr(a) for k, a in (("HH", "hh"), ("H", "h"), ("L", "l"), ("LL", "ll"))}
        self._db = arr("deadband")
        self._on = arr("on_delay_s")
        self._off = arr("off_delay_s")
        self._roc = arr("rate_limit")
        self._lo = arr("range_lo")
        self._hi = arr("range_hi")
        self._silent_after = arr("silent_after_s")
        self._stuck_tol = self.params["stuck_tolerance_frac_span"] * (self._hi - self._lo)
        self.overfill: dict[str, OverfillRule] = {}
        self._ovf = np.full(n, np.nan)
        self._ovf_db = np.zeros(n)
        for rule in overfill:
            if rule.sensor_id not in self.index:
                raise InvalidInput(f"overfill rule for unknown sensor {rule.sensor_id!r}")
            i = self.index[rule.sensor_id]
            if self.specs[i].quantity != "level":
                raise InvalidInput(f"overfill rule on sensor {rule.sensor_id!r}, a {self.specs[i].quantity} "
                                   "sensor; it needs a level sensor")
            self.overfill[rule.sensor_id] = rule
            self._ovf[i] = rule.level_pct
            self._ovf_db[i] = self.params["overfill_deadband_frac"] * rule.level_pct
        self._last_ts = np.full(n, np.nan)
        self._last_v = np.full(n, np.nan)
        self._carry = {k: _Carry(np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan)) for k in _HYST_KINDS}
        self._silent = np.zeros(n, bool)
        self._started = started.timestamp() if started is not None else None
        self.unknown = 0
        self.stale = 0
        self.readings = 0

    # -- input -------------------------------------------------------------------------------
    def feed(self, readings: Sequence[Reading]) -> list[AlarmEvent]:
        """Evaluate a batch of readings (any order); the alarm events it causes, in time order."""
        index = self.index
        idx = np.fromiter((index.get(r.sensor_id, -1) for r in readings), dtype=np.int64, count=len(readings))
        ts = np.fromiter((r.ts.timestamp() for r in readings), dtype=float, count=len(readings))
        v = np.fromiter((r.value for r in readings), dtype=float, count=len(readings))
        return self.feed_arrays(idx, ts, v)

    def feed_arrays(self, sensor: np.ndarray, ts: np.ndarray, value: np.ndarray) -> list[AlarmEvent]:
        """:meth:`feed` on arrays: sensor index (into ``specs``; −1 unknown), epoch seconds, value."""
        sensor = np.asarray(sensor, dtype=np.int64)
        ts = np.asarray(ts, dtype=float)
        v = np.asarray(value, dtype=float)
        known = sensor >= 0
        self.unknown += int((~known).sum())
        if not known.all():
            sensor, ts, v = sensor[known], ts[known], v[known]
        if sensor.size == 0:
            return []
        if self._started is None:
            self._started = float(ts.min())
        order = np.lexsort((ts, sensor))
        s, t, v = sensor[order], ts[order], v[order]
        n = s.size
        first = np.ones(n, bool)
        first[1:] = s[1:] != s[:-1]
        same_prev = np.zeros(n, bool)
        same_prev[1:] = (~first[1:]) & (t[1:] == t[:-1])
        last_ts = self._last_ts[s]
        keep = ~(t <= last_ts) & ~same_prev  # NaN last_ts compares False: kept
        if not keep.all():
            self.stale += int((~keep).sum())
            s, t, v = s[keep], t[keep], v[keep]
            n = s.size
            if n == 0:
                return []
            first = np.ones(n, bool)
            first[1:] = s[1:] != s[:-1]
        self.readings += n
        last = np.ones(n, bool)
        last[:-1] = s[1:] != s[:-1]
        # previous reading of the same sensor (carried for a segment's first)
        pv = np.empty(n)
        pt = np.empty(n)
        pv[1:], pt[1:] = v[:-1], t[:-1]
        pv[first], pt[first] = self._last_v[s[first]], self._last_ts[s[first]]

        events: list[tuple] = []
        seg_start = np.where(first, np.arange(n), 0)
        np.maximum.accumulate(seg_start, out=seg_start)
        # silent sensors come back
        back = first & self._silent[s]
        for i in np.flatnonzero(back):
            events.append((t[i], s[i], KINDS.index("SILENT"), "SILENT", "clear", v[i], None, None))
        self._silent[s[back]] = False

        good = np.isfinite(v) & (v >= self._lo[s]) & (v <= self._hi[s])
        pgood = np.isfinite(pv) & (pv >= self._lo[s]) & (pv <= self._hi[s])
        on = self._on[s]
        off = self._off[s]
        zero = np.zeros(n)
        db = self._db[s]
        # rate of change, uom/min, between consecutive in-range readings
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.abs(v - pv) / (t - pt) * 60.0
            diff = np.abs(v - pv)
        rate_ok = good & pgood
        roc = self._roc[s]
        stuck_tol = self._stuck_tol[s]
        have_prev = ~np.isnan(pt)
        for kind in _HYST_KINDS:
            start_on = t
            if kind in ("HH", "H", "L", "LL"):
                lim = self._lim[kind][s]
                with np.errstate(invalid="ignore"):
                    if kind in ("HH", "H"):
                        on_c = good & (v >= lim)
                        off_c = good & (v < lim - db)
                    else:
                        on_c = good & (v <= lim)
                        off_c = good & (v > lim + db)
                d_on, d_off = on, off
            elif kind == "ROC":
                lim = roc
                with np.errstate(invalid="ignore"):
                    on_c = rate_ok & (rate > roc)
                    off_c = rate_ok & (rate <= roc)
                d_on, d_off = zero, off
            elif kind == "RANGE":
                lim = None
                on_c = ~good
                off_c = good
                d_on, d_off = zero, off
            elif kind == "STUCK":
                lim = None
                on_c = have_prev & (diff <= stuck_tol)
                off_c = have_prev & ~(diff <= stuck_tol)
                start_on = pt
                d_on, d_off = np.full(n, self.params["stuck_after_s"]), zero
            else:  # OVERFILL
                thr = self._ovf[s]
                if np.isnan(thr).all():
                    continue
                lim = None
                with np.errstate(invalid="ignore"):
                    on_c = good & (v > thr)
                    off_c = good & (v <= thr - self._ovf_db[s])
                d_on, d_off = on, off
            if not (on_c.any() or self._carry[kind].active[s].any()):
                self._carry[kind].on_start[s[last]] = np.nan
                self._carry[kind].off_start[s[last]] = np.nan
                continue
            c = self._carry[kind]
            on_start = _run_start(on_c, first, start_on, c.on_start[s])
            off_start = _run_start(off_c, first, t, c.off_start[s])
            with np.errstate(invalid="ignore"):
                on_ok = on_c & (t - on_start >= d_on)
                off_ok = off_c & (t - off_start >= d_off)
            ev = on_ok | off_ok
            ei = np.where(ev, np.arange(n), -1)
            np.maximum.accumulate(ei, out=ei)
            active0 = c.active[s]
            state = np.where(ei >= seg_start, on_ok[np.maximum(ei, 0)], active0)
            prev_state = np.empty(n, bool)
            prev_state[1:] = state[:-1]
            prev_state[first] = active0[first]
            k = KINDS.index(kind)
            for i in np.flatnonzero(state != prev_state):
                li = None if lim is None else float(lim[i])
                aux = float(rate[i]) if kind == "ROC" else None
                events.append((t[i], s[i], k, kind, "raise" if state[i] else "clear", v[i], li, aux))
            c.active[s[last]] = state[last]
            c.on_start[s[last]] = on_start[last]
            c.off_start[s[last]] = off_start[last]
        self._last_ts[s[last]] = t[last]
        self._last_v[s[last]] = v[last]
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        return [_event(self.specs[int(e[1])], e[3], e[4], float(e[0]), e[5], e[6], e[7], self.params, self.overfill)
                for e in events]

    def tick(self, now: datetime) -> list[AlarmEvent]:
        """Clock tick: raise SILENT for sensors that have sent nothing for their ``silent_after_s``."""
        now_s = now.timestamp()
        if self._started is None:
            self._started = now_s
        ref = np.where(np.isnan(self._last_ts), self._started, self._last_ts)
        newly = ~self._silent & (now_s - ref >= self._silent_after)
        out = []
        for i in np.flatnonzero(newly):
            spec = self.specs[i]
            since = "never" if np.isnan(self._last_ts[i]) else _dt(float(self._last_ts[i])).isoformat()
            msg = _message(spec, "SILENT", "raise", None, None,
                           extra=f" no reading for ≥ {_fmt(spec.silent_after_s)} s (last: {since})")
            out.append(AlarmEvent(spec.id, "SILENT", "raise", now, None, None, spec.unit_id, spec.alarm_area, msg))
        self._silent |= newly
        return out

    def active(self) -> list[tuple[str, str]]:
        """The (sensor_id, kind) of every alarm whose condition is active now."""
        out = [(self.specs[i].id, k) for k in _HYST_KINDS for i in np.flatnonzero(self._carry[k].active)]
        out += [(self.specs[i].id, "SILENT") for i in np.flatnonzero(self._silent)]
        return sorted(out)

    def restore(self, conditions: Iterable[tuple[str, str]]) -> int:
        """Mark the (sensor_id, kind) conditions active, as :meth:`active` lists them, without raising events.

        For a restart: the conditions stored as active are taken back, so the next readings clear them or
        keep them instead of raising them a second time. Unknown sensors and kinds that carry no state
        between readings are skipped. Returns how many were restored.
        """
        n = 0
        for sensor_id, kind in conditions:
            i = self.index.get(sensor_id)
            if i is None:
                continue
            if kind == "SILENT":
                self._silent[i] = True
            elif kind in self._carry:
                self._carry[kind].active[i] = True
            else:
                continue
            n += 1
        return n


# ---------------------------------------------------------------------------------------------
# The naive per-reading evaluator (oracle and baseline)
# ---------------------------------------------------------------------------------------------


@dataclass
class _Cond:
    active: bool = False
    on_since: float | None = None
    off_since: float | None = None


@dataclass
class _SensorState:
    last_ts: float | None = None
    last_v: float | None = None
    silent: bool = False
    conds: dict[str, _Cond] = field(default_factory=dict)


class NaiveEvaluator:
    """The rules of :class:`AlarmEngine` written the obvious way: one reading at a time, one kind at a time.

    Same API (``feed``, ``tick``, ``active``) and, by construction, the same events; slower.
    """

    def __init__(self, specs: Iterable[SensorSpec], overfill: Iterable[OverfillRule] = (),
                 params: Mapping[str, float] | None = None, started: datetime | None = None) -> None:
        self.specs = {s.id: s for s in specs}
        self.params = dict(parameters() if params is None else params)
        self.overfill = {r.sensor_id: r for r in overfill}
        self.state = {sid: _SensorState() for sid in self.specs}
        self.started = started.timestamp() if started is not None else None
        self._order = list(self.specs)
        self.unknown = 0
        self.stale = 0
        self.readings = 0

    def feed(self, readings: Sequence[Reading]) -> list[AlarmEvent]:
        pos = {sid: i for i, sid in enumerate(self._order)}
        known = []
        for r in readings:
            if r.sensor_id not in self.specs:
                self.unknown += 1
            else:
                known.append(r)
        if known and self.started is None:
            self.started = min(r.ts.timestamp() for r in known)
        known.sort(key=lambda r: (pos[r.sensor_id], r.ts.timestamp()))
        out: list[tuple[float, int, int, AlarmEvent]] = []
        for r in known:
            for e in self._one(r):
                out.append((e.ts.timestamp(), pos[e.sensor_id], KINDS.index(e.kind), e))
        out.sort(key=lambda x: x[:3])
        return [x[3] for x in out]

    def _one(self, r: Reading) -> list[AlarmEvent]:
        spec = self.specs[r.sensor_id]
        st = self.state[r.sensor_id]
        t = r.ts.timestamp()
        v = float(r.value)
        if st.last_ts is not None and t <= st.last_ts:
            self.stale += 1
            return []
        self.readings += 1
        events: list[AlarmEvent] = []

        def emit(kind: str, transition: str, limit: float | None, aux: float | None = None) -> None:
            events.append(_event(spec, kind, transition, t, v, limit, aux, self.params, self.overfill))

        if st.silent:
            st.silent = False
            emit("SILENT", "clear", None)
        good = math.isfinite(v) and spec.range_lo <= v <= spec.range_hi
        pv, pt = st.last_v, st.last_ts
        pgood = pv is not None and math.isfinite(pv) and spec.range_lo <= pv <= spec.range_hi

        def step(kind: str, on_c: bool, off_c: bool, d_on: float, d_off: float, limit: float | None,
                 start_at: float | None = None, aux: float | None = None) -> None:
            c = st.conds.setdefault(kind, _Cond())
            if on_c:
                if c.on_since is None:
                    c.on_since = t if start_at is None else start_at
            else:
                c.on_since = None
            if off_c:
                if c.off_since is None:
                    c.off_since = t
            else:
                c.off_since = None
            if not c.active and on_c and t - c.on_since >= d_on:
                c.active = True
                emit(kind, "raise", limit, aux)
            elif c.active and off_c and t - c.off_since >= d_off:
                c.active = False
                emit(kind, "clear", limit, aux)

        db = spec.deadband
        for kind, lim in (("HH", spec.hh), ("H", spec.h), ("L", spec.l), ("LL", spec.ll)):
            if lim is None:
                step(kind, False, False, 0, 0, None)
                continue
            if kind in ("HH", "H"):
                step(kind, good and v >= lim, good and v < lim - db, spec.on_delay_s, spec.off_delay_s, lim)
            else:
                step(kind, good and v <= lim, good and v > lim + db, spec.on_delay_s, spec.off_delay_s, lim)
        if spec.rate_limit is not None and good and pgood:
            rate = abs(v - pv) / (t - pt) * 60.0
            step("ROC", rate > spec.rate_limit, rate <= spec.rate_limit, 0.0, spec.off_delay_s, spec.rate_limit,
                 aux=rate)
        else:
            step("ROC", False, False, 0.0, spec.off_delay_s, spec.rate_limit)
        step("RANGE", not good, good, 0.0, spec.off_delay_s, None)
        if pt is not None:
            tol = self.params["stuck_tolerance_frac_span"] * (spec.range_hi - spec.range_lo)
            same = abs(v - pv) <= tol
            step("STUCK", same, not same, self.params["stuck_after_s"], 0.0, None, start_at=pt)
        else:
            step("STUCK", False, False, 0, 0, None)
        rule = self.overfill.get(spec.id)
        if rule is not None:
            thr = rule.level_pct
            step("OVERFILL", good and v > thr, good and v <= thr - self.params["overfill_deadband_frac"] * thr,
                 spec.on_delay_s, spec.off_delay_s, None)
        st.last_ts, st.last_v = t, v
        return events

    def tick(self, now: datetime) -> list[AlarmEvent]:
        now_s = now.timestamp()
        if self.started is None:
            self.started = now_s
        out = []
        for sid in self._order:
            spec, st = self.specs[sid], self.state[sid]
            ref = self.started if st.last_ts is None else st.last_ts
            if not st.silent and now_s - ref >= spec.silent_after_s:
                st.silent = True
                since = "never" if st.last_ts is None else _dt(st.last_ts).isoformat()
                msg = _message(spec, "SILENT", "raise", None, None,
                               extra=f" no reading for ≥ {_fmt(spec.silent_after_s)} s (last: {since})")
                out.append(AlarmEvent(sid, "SILENT", "raise", now, None, None, spec.unit_id, spec.alarm_area, msg))
        return out

    def active(self) -> list[tuple[str, str]]:
        out = [(sid, k) for sid, st in self.state.items() for k, c in st.conds.items() if c.active]
        out += [(sid, "SILENT") for sid, st in self.state.items() if st.silent]
        return sorted(out)


def replay(engine: AlarmEngine | NaiveEvaluator, readings: Sequence[Reading], tick_s: float = 10.0,
           batch: int | None = None) -> list[AlarmEvent]:
    """Feed time-ordered ``readings`` in slices of ``tick_s`` seconds of their time, ticking the clock at
    the end of each slice (so silent sensors are found); every event, in order."""
    if not readings:
        return []
    ts = np.fromiter((r.ts.timestamp() for r in readings), dtype=float, count=len(readings))
    if np.any(np.diff(ts) < 0):
        raise InvalidInput("replay needs readings in time order")
    t0 = float(ts[0])
    bins = np.floor((ts - t0) / tick_s).astype(np.int64)
    cuts = np.flatnonzero(np.diff(bins)) + 1
    out: list[AlarmEvent] = []
    start = 0
    for end in [*cuts.tolist(), len(readings)]:
        out += engine.feed(readings[start:end])
        out += engine.tick(_dt(t0 + (int(bins[end - 1]) + 1) * tick_s))
        start = end
    return out
