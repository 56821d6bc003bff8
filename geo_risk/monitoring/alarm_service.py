"""The alarm service: the committed readings of the ingest → alarms stored, audited, announced.

:class:`AlarmService` joins the pure engine (:class:`~geo_risk.monitoring.alarms.AlarmEngine`, the
ISA-18.2 lifecycle of :mod:`~geo_risk.monitoring.lifecycle`) to the store (:mod:`geo_risk.store.alarms`):

- it loads the sensors (with :func:`~geo_risk.monitoring.alarms.recommended_spec`: the table's deadband
  and on/off delays where a sensor sets none, and ``Settings.alarm_parameters``) and the overfill rules
  the store holds enough for (:func:`geo_risk.store.alarms.overfill_rules`);
- it restores the process conditions from the table ``alarms`` at start: an alarm active before a
  restart stays active (no second raise), and its acknowledged or shelved state is the table's;
- :meth:`AlarmService.attach` hooks it onto an :class:`~geo_risk.monitoring.ingest.Ingestor`'s committed
  batches (the ingest's hook list ``Ingestor.hooks``; the service appends to that ingestor's own copy
  of :data:`~geo_risk.monitoring.ingest.COMMITTED_HOOKS`, so a process serving two databases never feeds
  one's readings to the other's alarms). Each batch is fed to the engine and its events written in ONE
  transaction (alarm rows, audit, events), which NOTIFYs ``geo_risk_alarms`` at commit;
- a clock thread ticks every ``Settings.alarm_tick_s`` seconds: silent sensors raise SILENT, expired
  shelves are unshelved.

A failure of the service (the database gone, a bug) never blocks the ingest (the readings are already
committed when the hook runs, and :meth:`Ingestor.submit` contains hooks' exceptions): it is logged and
counted in :attr:`AlarmService.failures`.

One evaluator per process and database: :func:`service_for` hands out one shared, reference-counted
service per database URL, and both ingest channels of a process — the MQTT ingest of
:class:`~geo_risk.monitoring.service.MonitoringService` and the HTTP route ``POST /api/v1/readings`` —
attach to it. When the MQTT ingest (``geo-risk ingest``) and the HTTP ingest (``geo-risk serve``) run in
two different processes, each process evaluates the readings that arrive through it: the state of each
alarm is the table's (rows locked per change; an operator's acknowledgement in the API is seen by both),
but the on/off delays, deadbands, rate and stuck checks run on the readings one evaluator sees. A
sensor should therefore report through one channel (which is how gateways are set up); a sensor whose
readings are split over two processes is judged on each half. A single evaluator fed through the
database (LISTEN on readings) would remove that at the cost of a second read of every reading, which
the 10,000 readings/s target cannot afford.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from geo_risk.monitoring.alarms import AlarmEngine, parameters, recommended_spec
from geo_risk.monitoring.model import Reading

__all__ = ["AlarmService", "service_for", "release", "attach_alarms"]

log = logging.getLogger(__name__)

#: A sensor the engine does not know makes it reload the registry at most this often (s).
RELOAD_EVERY_S = 5.0


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://").replace("postgresql+psycopg://", "postgresql://")


class AlarmService:
    """One database's alarm evaluator (thread-safe: batches and ticks are applied one at a time).

    ``database_url``: the store. ``settings``: :class:`geo_risk.settings.Settings` (``alarm_parameters``,
    ``alarm_tick_s``); None: the defaults. Start it with :meth:`start` (or let the first batch do it).
    Counters: ``batches``, ``readings``, ``events``, ``changes`` (alarm rows changed), ``failures``.
    """

    def __init__(self, database_url: str, settings: Any = None) -> None:
        self.dsn = _dsn(database_url)
        self.params = parameters(getattr(settings, "alarm_parameters", None) or {})
        self.tick_s = float(getattr(settings, "alarm_tick_s", 2.0))
        self._lock = threading.RLock()
        self._conn = None
        self.engine: AlarmEngine | None = None
        self.meta: dict = {}
        self._loaded_at = 0.0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.batches = self.readings = self.events = self.changes = self.failures = 0
        self.last_error: str | None = None
        self.refs = 0

    # -- connection and registry ---------------------------------------------------------------
    def _connection(self):  # noqa: ANN202
        import psycopg2

        if self._conn is None or self._conn.closed:
            self._conn = psycopg2.connect(self.dsn, connect_timeout=5, application_name="geo_risk-alarms")
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken
                self._conn.close()
            self._conn = None

    def _load(self) -> None:
        """(Re)build the engine from the sensor registry, its conditions restored from the store."""
        from geo_risk.store import alarms as store
        from geo_risk.store.readings import load_sensors

        conn = self._connection()
        specs = [recommended_spec(s, self.params) for s in load_sensors(conn).values()]
        self.meta = store.sensor_meta(conn)
        rules = [r for r in store.overfill_rules(conn) if any(s.id == r.sensor_id for s in specs)]
        engine = AlarmEngine(specs, rules, self.params, started=datetime.now(UTC))
        engine.restore(store.active_conditions(conn))
        self.engine = engine
        self._loaded_at = time.monotonic()

    def start(self) -> AlarmService:
        """Load the sensors and restore the conditions (once), start the clock thread."""
        with self._lock:
            if self.engine is None:
                self._load()
            if self._ticker is None:
                self._stop.clear()
                self._ticker = threading.Thread(target=self._run, name="geo_risk-alarm-tick", daemon=True)
                self._ticker.start()
        return self

    def stop(self) -> None:
        """Stop the clock thread and close the connection."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join(timeout=10)
        self._ticker = None
        with self._lock:
            self._drop_connection()

    # -- the ingest's hook -----------------------------------------------------------------------
    def attach(self, ingestor: Any) -> AlarmService:
        """Feed ``ingestor``'s committed batches to this service (once per ingestor)."""
        hooks = list(ingestor.hooks)
        if self.on_committed not in hooks:
            ingestor.hooks = [*hooks, self.on_committed]
        return self

    def on_committed(self, readings: Sequence[Reading]) -> None:
        """The committed-batch hook: evaluate ``readings``, store the alarms' changes. Never raises."""
        if not readings:
            return
        try:
            self.feed(readings)
        except Exception as exc:  # noqa: BLE001 - never stops the ingest; logged and counted
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
            self._forget()
            log.exception("alarm service: a batch of %d readings was not evaluated", len(readings))

    def _forget(self) -> None:
        """After a failed write the engine may hold conditions the table does not: rebuild it from the table at
        the next batch (what the lost batch should have raised is raised again by the readings that follow)."""
        with self._lock:
            self.engine = None

    def feed(self, readings: Sequence[Reading]) -> list[dict[str, Any]]:
        """Evaluate a committed batch and store what changed (one transaction); the NOTIFY payloads."""
        with self._lock:
            if self.engine is None:
                self.start()
            assert self.engine is not None
            if (any(r.sensor_id not in self.engine.index for r in readings)
                    and time.monotonic() - self._loaded_at >= RELOAD_EVERY_S):
                self._load()  # a sensor loaded since: rebuild (conditions restored from the store)
            events = self.engine.feed(readings)
            self.batches += 1
            self.readings += len(readings)
            return self._store(events)

    def _store(self, events: list) -> list[dict[str, Any]]:  # noqa: ANN001
        import psycopg2

        from geo_risk.store import alarms as store

        if not events:
            return []
        self.events += len(events)
        for attempt in (1, 2):
            try:
                out = store.apply_events(self._connection(), events, self.meta)
                self.changes += len(out)
                return out
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self._drop_connection()
                if attempt == 2:
                    raise
        return []

    # -- the clock -------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Raise SILENT for sensors quiet too long and unshelve expired shelves; the payloads of what changed."""
        from geo_risk.store import alarms as store

        now = now or datetime.now(UTC)
        with self._lock:
            if self.engine is None:
                self._load()
            assert self.engine is not None
            out = self._store(self.engine.tick(now))
            unshelved = store.expire_shelves(self._connection(), now)
            self.changes += len(unshelved)
            return out + unshelved

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self.tick_s if failures == 0 else min(30.0, self.tick_s * 2 ** failures)):
            try:
                self.tick()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the next tick retries
                failures = min(failures + 1, 6)
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
                with self._lock:
                    self._drop_connection()
                self._forget()
                if "does not exist" in str(exc):  # the database was dropped: nothing left to watch
                    log.warning("alarm service: %s; stopping its clock", str(exc).strip()[:200])
                    return
                (log.warning if failures == 1 else log.debug)("alarm service tick failed: %s", exc)

    def stats(self) -> dict[str, Any]:
        return {"batches": self.batches, "readings": self.readings, "events": self.events, "changes": self.changes,
                "failures": self.failures, "last_error": self.last_error,
                "sensors": 0 if self.engine is None else len(self.engine.specs)}


_SERVICES: dict[str, AlarmService] = {}
_SERVICES_LOCK = threading.Lock()


def service_for(database_url: str, settings: Any = None) -> AlarmService:
    """The process's one alarm service of ``database_url`` (created on first use; not yet started).

    Each call takes a reference; give it back with :func:`release`.
    """
    key = _dsn(database_url)
    with _SERVICES_LOCK:
        svc = _SERVICES.get(key)
        if svc is None:
            svc = _SERVICES[key] = AlarmService(database_url, settings)
        svc.refs += 1
        return svc


def release(service: AlarmService) -> None:
    """Give back a reference of :func:`service_for`; the last one stops the service."""
    with _SERVICES_LOCK:
        service.refs -= 1
        if service.refs > 0:
            return
        if _SERVICES.get(service.dsn) is service:
            del _SERVICES[service.dsn]
    service.stop()


def attach_alarms(ingestor: Any, database_url: str, settings: Any = None) -> AlarmService:
    """Attach the process's alarm service of ``database_url`` to ``ingestor`` (it starts at the first batch)."""
    return service_for(database_url, settings).attach(ingestor)
