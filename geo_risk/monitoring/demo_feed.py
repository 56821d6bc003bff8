"""The live demo feed (issue 15): ``geo-risk demo`` keeps the sample city's sensors reporting in real time.

Every ``period_s`` seconds (5 s) one reading of every sensor of the sample city's ``sensors`` layer, at the
current time, from the simulator's closed-form signals (:func:`geo_risk.monitoring.simulate.simulate_chunks`:
tanks filling and emptying, daily temperature cycles, noise), with faults injected on a repeating
:data:`CYCLE_S` cycle so the map has something to show within minutes: a spike, a slow flammable-gas leak, a
tank filling past its high-high level and its design maximum (超量储存), a stuck transmitter and a dropout
(:func:`demo_faults`). The readings go through the ingest's own checks and store
(:class:`~geo_risk.monitoring.ingest.Ingestor`) with the process's alarm service attached, so they raise
stored, audited alarms that the map's event stream announces — the same path as ``POST /api/v1/readings``.

A thread; :meth:`DemoFeed.stop` ends it. Faults are a demonstration, not a scenario of the sample city.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from geo_risk.monitoring import simulate as sim
from geo_risk.monitoring.model import SensorSpec
from geo_risk.monitoring.simulate import FAULT_KINDS, InjectedFault, read_sensors

__all__ = ["CYCLE_S", "FAULT_PLAN", "demo_faults", "operated_below", "DemoFeed"]

log = logging.getLogger(__name__)

#: Seconds of one fault cycle; the faults of :data:`FAULT_PLAN` repeat every cycle.
CYCLE_S = 1800.0
#: (fault kind, seconds into the cycle, duration s, which sensor: a quantity, or a sensor id).
FAULT_PLAN: tuple[tuple[str, float, float, str], ...] = (
    ("spike", 30.0, 5.0, "temperature"),
    ("leak", 60.0, 600.0, "flammable_gas"),
    ("overfill", 120.0, 1200.0, "HU-0005-LT"),  # the gasoline tank farm of ENT-0001: 4 × 3,600 t, design 12,500 t
    ("stuck", 180.0, 1080.0, "pressure"),
    ("dropout", 240.0, 420.0, "toxic_gas"),
)


def _pick(specs: Sequence[SensorSpec], which: str, kind: str) -> SensorSpec | None:
    by_id = {s.id: s for s in specs}
    if which in by_id:
        return by_id[which]
    fits = [s for s in specs if s.quantity == which]
    if kind == "leak":
        fits = [s for s in fits if s.h is not None or s.hh is not None]
    if kind == "spike":
        fits = [s for s in fits if s.rate_limit is not None] or fits
    return fits[0] if fits else None


def operated_below(spec: SensorSpec, overfill_pct: float) -> SensorSpec:
    """The level transmitter ``spec`` as the simulator should drive it for a tank run below its design maximum:
    the fill-and-draw cycle (10 % of the span inside L and H) moved to peak at 90 % of the overfill level
    (%, :attr:`~geo_risk.monitoring.alarms.OverfillRule.level_pct`) and to bottom at no more than half of it.
    The sample city's vessels often hold more than the unit's design maximum (capacity × count > design max),
    so the simulator's plain cycle would hold many tanks in 超量储存 all day; only the injected overfill
    fault should (CHOICE of the demo)."""
    span = spec.range_hi - spec.range_lo
    top = 0.9 * overfill_pct
    h = min(spec.h if spec.h is not None else spec.range_hi, top + 0.10 * span)
    low = min((spec.l if spec.l is not None else spec.range_lo) + 0.10 * span, 0.5 * overfill_pct)
    return replace(spec, h=h, l=low - 0.10 * span)


def demo_faults(specs: Sequence[SensorSpec], t0: datetime, cycle: int) -> list[InjectedFault]:
    """The faults of cycle ``cycle`` (0, 1, …) of a feed started at ``t0``."""
    start = t0 + timedelta(seconds=cycle * CYCLE_S)
    out = []
    for kind, at, dur, which in FAULT_PLAN:
        spec = _pick(specs, which, kind)
        if spec is None:
            continue
        a = start + timedelta(seconds=at)
        out.append(InjectedFault(kind, spec.id, a, a + timedelta(seconds=dur), FAULT_KINDS[kind]))
    return out


@dataclass
class DemoFeed:
    """A thread feeding simulated readings of ``sensors`` (a sensors file or GeoPackage) into ``url`` in real time."""

    url: str
    settings: Any
    sensors: Path
    period_s: float = 5.0
    echo: Callable[[str], object] = print
    readings: int = 0
    rejected: int = 0
    ticks: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def open(self, t0: datetime | None = None) -> DemoFeed:
        """Read the sensors, open the ingest and attach the process's alarm service; the fault cycle starts at
        ``t0`` (default now). :meth:`start` calls it; a caller may :meth:`tick` by hand after it."""
        from geo_risk.monitoring.alarm_service import attach_alarms
        from geo_risk.monitoring.ingest import Ingestor

        self.specs, _ = read_sensors(self.sensors)
        self.ingestor = Ingestor(self.url, self.settings.monitoring_retention_days,
                                 self.settings.monitoring_future_tolerance_s)
        self.alarms = attach_alarms(self.ingestor, self.url, self.settings)
        self.t0 = (t0 or datetime.now(UTC)).replace(microsecond=0)
        self.signal = {s.id: s for s in self.specs}
        from geo_risk.store.live import overfill_levels

        for sid, level_pct in overfill_levels(self.url).items():
            if sid in self.signal:
                self.signal[sid] = operated_below(self.signal[sid], level_pct)
        return self

    def start(self) -> DemoFeed:
        """:meth:`open`, then a reading of every sensor every ``period_s`` in a thread until :meth:`stop`."""
        self.open()
        self._thread = threading.Thread(target=self._run, name="geo_risk-demo-feed", daemon=True)
        self._thread.start()
        plan = ", ".join(f"{k} at +{at / 60:g} min" for k, at, _, _ in FAULT_PLAN)
        self.echo(f"demo feed: {len(self.specs)} sensors every {self.period_s:g} s; faults every "
                  f"{CYCLE_S / 60:g} min ({plan})")
        return self

    def tick(self, t: datetime) -> int:
        """Readings of every sensor at ``t`` (UTC), submitted; how many were stored. The simulator's signal, noise
        and fault shapes (:mod:`geo_risk.monitoring.simulate`) evaluated at one instant: no frame per sensor."""
        from geo_risk.monitoring.payload import RawReading

        cycle = max(0, int((t - self.t0).total_seconds() // CYCLE_S))
        faults = [f for c in (cycle - 1, cycle) if c >= 0 for f in demo_faults(self.specs, self.t0, c)]
        rng = np.random.default_rng(self.ticks)
        self.ticks += 1
        at = np.array([t.timestamp()])
        hot = next((s.id for s in self.specs if s.quantity == "temperature"), None)
        raws = []
        for s in self.specs:
            span = s.range_hi - s.range_lo
            sigma = sim.NOISE_FRAC * span
            if s.rate_limit is not None:
                sigma = min(sigma, s.rate_limit * self.period_s / 60.0 / (sim.ROC_NOISE_SIGMAS * math.sqrt(2.0)))
            g = self.signal.get(s.id, s)  # a tank is run below its design maximum (operated_below)
            v = sim._base(g, at, s.id == hot) + rng.normal(0.0, sigma, 1)
            if s.quantity in ("flammable_gas", "toxic_gas"):
                v = np.abs(v - s.range_lo) + s.range_lo
            tt, vv = sim._apply_faults(g, at, v, faults, self.period_s, s.id == hot)
            if tt.size and math.isfinite(float(vv[0])):
                raws.append(RawReading(len(raws), s.id, t, round(float(vv[0]), 4), s.uom))
        if not raws:
            return 0
        report = self.ingestor.submit(raws, (), "demo", retry_for_s=self.period_s)
        self.readings += report.stored
        self.rejected += len(report.rejects)
        return report.stored

    def _run(self) -> None:
        next_t = datetime.now(UTC).replace(microsecond=0)
        while not self._stop.is_set():
            try:
                self.tick(next_t)
            except Exception:  # noqa: BLE001 - the demo keeps going (the store may be restarting)
                log.exception("demo feed tick failed")
            next_t += timedelta(seconds=self.period_s)
            wait = (next_t - datetime.now(UTC)).total_seconds()
            if wait < 0:  # fell behind (a slow machine): skip to now
                next_t = datetime.now(UTC).replace(microsecond=0)
                wait = 0.0
            self._stop.wait(wait)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        from geo_risk.monitoring.alarm_service import release

        release(self.alarms)
        self.ingestor.close()
