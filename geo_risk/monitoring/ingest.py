"""Readings ingest: MQTT (QoS 1, persistent session, acknowledged only once committed) and HTTP batches.

:class:`Ingestor` is the one way readings reach the store: it checks them against the sensor registry
and the clock (:mod:`geo_risk.monitoring.payload`), writes them in one transaction
(:class:`geo_risk.store.readings.ReadingsWriter`), and only then calls the hooks of
:data:`COMMITTED_HOOKS` with what was stored. A lost database connection is retried (the same batch
again: duplicates are skipped by the store), so a database restart delays readings and loses none.

:class:`MqttIngest` subscribes to ``georisk/readings/#`` with QoS 1 under a fixed client id and a
persistent session (``clean_session`` False), with paho-mqtt 2's manual acknowledgement: a message's
PUBACK is sent only after the batch holding it has been committed. A crash of the ingest, the broker
or the database therefore loses no acknowledged reading: the broker redelivers whatever was not
acknowledged, and the store stores it once.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from geo_risk.monitoring.model import Reading, SensorSpec
from geo_risk.monitoring.payload import TOPIC_PREFIX, RawReading, Reject, check_readings, parse_json

__all__ = ["COMMITTED_HOOKS", "on_committed", "Ingestor", "BatchReport", "MqttIngest", "MqttPublisher", "publisher",
           "publish_start"]

log = logging.getLogger(__name__)

#: Called with each committed batch's newly stored readings (duplicates left out), in commit order, on
#: the thread that committed. The alarm engine registers here (:func:`on_committed`). A hook's exception
#: is logged and never undoes or blocks the ingest.
COMMITTED_HOOKS: list[Callable[[Sequence[Reading]], None]] = []


def on_committed(hook: Callable[[Sequence[Reading]], None]) -> Callable[[Sequence[Reading]], None]:
    """Register ``hook`` (usable as a decorator) to be called with every committed batch's stored readings."""
    COMMITTED_HOOKS.append(hook)
    return hook


@dataclass
class BatchReport:
    """What one batch did: readings stored, duplicates (already stored), rejects with their reasons."""

    stored: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)

    def as_dict(self, limit: int = 100) -> dict[str, object]:
        by_reason: dict[str, int] = {}
        for r in self.rejects:
            by_reason[r.reason] = by_reason.get(r.reason, 0) + 1
        return {"stored": self.stored, "duplicates": self.duplicates, "rejected": len(self.rejects),
                "rejected_by_reason": by_reason, "rejects": [r.as_dict() for r in self.rejects[:limit]]}


class Ingestor:
    """Checks and stores reading batches on one database connection (thread-safe: one batch at a time).

    ``database_url``: SQLAlchemy-style or libpq URL of the store. The sensor registry is read at the
    first batch and again (at most every ``refresh_s``) when a batch names a sensor it does not know.
    """

    def __init__(self, database_url: str, retention_days: int = 90, future_tolerance_s: float = 60.0,
                 refresh_s: float = 5.0) -> None:
        self.dsn = database_url.replace("postgresql+psycopg2://", "postgresql://")
        self.retention_days = retention_days
        self.future_tolerance_s = future_tolerance_s
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._writer = None
        self._sensors: dict[str, SensorSpec] | None = None
        self._sensors_at = 0.0
        self.hooks = COMMITTED_HOOKS

    # -- connection ------------------------------------------------------------------------------
    def _connect(self):  # noqa: ANN202
        import psycopg2

        from geo_risk.store.readings import ReadingsWriter

        if self._writer is None:
            conn = psycopg2.connect(self.dsn, connect_timeout=5, application_name="geo_risk-ingest")
            self._writer = ReadingsWriter(conn, self.retention_days)
            self._writer.ensure_ahead()
        return self._writer

    def _drop_connection(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):  # already broken
                self._writer.conn.close()
            self._writer = None

    def sensors(self, refresh: bool = False) -> dict[str, SensorSpec]:
        from geo_risk.store.readings import load_sensors

        if self._sensors is None or (refresh and time.monotonic() - self._sensors_at >= self.refresh_s):
            self._sensors = load_sensors(self._connect().conn)
            self._sensors_at = time.monotonic()
        return self._sensors

    def maintain(self) -> list[str]:
        """Partitions ahead created and expired ones dropped; returns the names dropped."""
        with self._lock:
            w = self._connect()
            w.ensure_ahead()
            return w.drop_expired()

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    # -- batches ---------------------------------------------------------------------------------
    def submit(self, raws: Sequence[RawReading], rejects: Sequence[Reject] = (), channel: str = "mqtt",
               retry_for_s: float | None = None) -> BatchReport:
        """Check ``raws``, store them and record every reject in one committed transaction.

        A lost connection is retried with back-off for ``retry_for_s`` seconds (None: until it works);
        the batch is written again from the start, which the store's dedup makes safe.

        Raises
        ------
        DatabaseUnavailable
            When the database stayed unreachable for ``retry_for_s`` seconds.
        """
        import psycopg2

        from geo_risk.errors import DatabaseUnavailable

        deadline = None if retry_for_s is None else time.monotonic() + retry_for_s
        delay = 0.1
        while True:
            try:
                with self._lock:
                    sensors = self.sensors()
                    if any(r.sensor_id not in sensors for r in raws):
                        sensors = self.sensors(refresh=True)
                    ok, bad = check_readings(raws, sensors, datetime.now(UTC), self.future_tolerance_s,
                                             self.retention_days)
                    all_rejects = [*rejects, *bad]
                    result = self._connect().write(ok, all_rejects, channel)
                break
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
                with self._lock:
                    self._drop_connection()
                if deadline is not None and time.monotonic() > deadline:
                    raise DatabaseUnavailable(f"the readings store is unreachable: {str(exc).strip()[:200]}") from exc
                log.warning("readings store unreachable (%s); retrying in %.1f s", str(exc).strip()[:120], delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        for hook in self.hooks:
            try:
                hook(result.stored)
            except Exception:  # noqa: BLE001 - a hook never stops the ingest
                log.exception("committed-batch hook %r failed", hook)
        return BatchReport(len(result.stored), result.duplicates, sorted(all_rejects, key=_reject_order))


def _reject_order(r: Reject) -> int:
    return -1 if r.index is None else r.index


@dataclass
class _Message:
    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes


class MqttIngest:
    """The MQTT side of the ingest: a paho-mqtt 2 client feeding :class:`Ingestor` in batches.

    Messages are buffered by paho's network thread; a flusher thread commits a batch when it holds
    ``batch_rows`` messages or ``flush_ms`` after its first, then acknowledges exactly those messages
    (their PUBACK). Messages of an earlier connection are not acknowledged on a later one: the broker
    redelivers them on the resumed session and the store skips them as duplicates.
    """

    def __init__(self, ingestor: Ingestor, host: str, port: int, user: str, password: str,
                 client_id: str = "georisk-ingest", topic: str = f"{TOPIC_PREFIX}/#", batch_rows: int = 5000,
                 flush_ms: float = 100.0) -> None:
        import paho.mqtt.client as mqtt

        self.ingestor = ingestor
        self.host, self.port, self.topic = host, port, topic
        self.batch_rows, self.flush_s = batch_rows, flush_ms / 1000.0
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                   protocol=mqtt.MQTTv311, manual_ack=True)
        self._client.username_pw_set(user, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._cond = threading.Condition()
        self._buffer: list[_Message] = []
        self._first_at: float | None = None
        self._generation = 0
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        self.committed_messages = 0
        self.batches = 0

    # -- paho callbacks (network thread) ----------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if reason_code.is_failure:
            log.warning("MQTT connection refused: %s", reason_code)
            return
        with self._cond:
            self._generation += 1
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        if any(rc.is_failure for rc in reason_codes):
            log.warning("MQTT subscription to %s refused: %s", self.topic, reason_codes)
            return
        self._connected.set()  # ready: the broker delivers what is published from now on (and the session's backlog)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self._connected.clear()
        with self._cond:
            self._generation += 1  # acknowledgements of messages received so far would go to a later connection

    def _on_message(self, client, userdata, msg) -> None:  # noqa: ANN001
        with self._cond:
            if not self._buffer:
                self._first_at = time.monotonic()
            self._buffer.append(_Message(self._generation, msg.mid, msg.qos, msg.topic, msg.payload))
            if len(self._buffer) >= self.batch_rows:
                self._cond.notify()

    # -- flusher ----------------------------------------------------------------------------------
    def _take(self) -> list[_Message]:
        with self._cond:
            while not self._stop.is_set():
                if self._buffer:
                    due = (self._first_at or 0.0) + self.flush_s
                    left = due - time.monotonic()
                    if len(self._buffer) >= self.batch_rows or left <= 0:
                        break
                    self._cond.wait(left)
                else:
                    self._cond.wait(0.5)
            batch, self._buffer, self._first_at = self._buffer, [], None
            return batch

    def _commit(self, batch: list[_Message]) -> None:
        raws: list[RawReading] = []
        rejects: list[Reject] = []
        prefix = TOPIC_PREFIX + "/"
        for m in batch:
            sensor = m.topic[len(prefix):] if m.topic.startswith(prefix) else None
            r, j = parse_json(m.payload, sensor or None)
            raws.extend(r)
            rejects.extend(j)
        self.ingestor.submit(raws, rejects, channel="mqtt")
        with self._cond:
            generation = self._generation
        for m in batch:
            if m.qos > 0 and m.generation == generation:
                self._client.ack(m.mid, m.qos)
        self.committed_messages += len(batch)
        self.batches += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take()
            if batch:
                try:
                    self._commit(batch)
                except Exception:  # noqa: BLE001 - never acknowledged: the broker redelivers them
                    log.exception("a batch of %d MQTT messages could not be stored; left unacknowledged", len(batch))

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, wait_s: float = 10.0) -> MqttIngest:
        """Connect (in the background, reconnecting on loss) and start committing; wait until subscribed."""
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        self._flusher = threading.Thread(target=self._run, name="geo_risk-mqtt-ingest", daemon=True)
        self._flusher.start()
        if not self._connected.wait(wait_s):
            log.warning("MQTT broker at %s:%d not reachable yet; still trying", self.host, self.port)
        return self

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self) -> None:
        """Commit what is buffered, stop; unacknowledged messages stay with the broker for next time."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._flusher is not None:
            self._flusher.join(timeout=30)
        with self._cond:
            rest, self._buffer = self._buffer, []
        if rest:
            try:
                self._commit(rest)
            except Exception:  # noqa: BLE001
                log.exception("final MQTT batch not stored; left unacknowledged")
        self._client.disconnect()
        self._client.loop_stop()


class MqttPublisher:
    """A sender of readings (a gateway, the simulator, the benchmark): QoS 1 batches to ``georisk/readings``.

    Call it with a frame of ``sensor_id``, ``ts`` (datetime, UTC) and ``value`` columns — the simulator's
    sink interface — or use :meth:`send` with reading dicts. Readings go ``per_message`` to a message
    (one JSON list). :meth:`close` waits until the broker has acknowledged every message and returns how
    many readings it acknowledged.
    """

    def __init__(self, host: str, port: int, user: str, password: str, client_id: str = "georisk-publisher",
                 per_message: int = 200) -> None:
        import paho.mqtt.client as mqtt

        self.per_message = per_message
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                   protocol=mqtt.MQTTv311)
        self._client.username_pw_set(user, password)
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.max_queued_messages_set(0)
        self._client.max_inflight_messages_set(1000)
        self._client.connect(host, port, keepalive=30)
        self._client.loop_start()
        self._pending: list[tuple[object, int]] = []
        self.acknowledged = 0

    def send(self, readings: Sequence[dict]) -> None:
        """Publish reading dicts (``sensor_id``, ``ts`` ISO text or Unix seconds, ``value``)."""
        import json

        for i in range(0, len(readings), self.per_message):
            part = readings[i:i + self.per_message]
            info = self._client.publish(TOPIC_PREFIX, json.dumps(part, separators=(",", ":")), qos=1)
            self._pending.append((info, len(part)))
        self._collect()

    def __call__(self, frame) -> None:  # noqa: ANN001 - a pandas DataFrame of readings
        import pandas as pd

        ts = pd.to_datetime(frame["ts"], utc=True).map(lambda t: t.isoformat())
        self.send([{"sensor_id": s, "ts": t, "value": float(v)}
                   for s, t, v in zip(frame["sensor_id"], ts, frame["value"], strict=True)])

    def _collect(self) -> None:
        left = []
        for info, n in self._pending:
            try:
                done = info.is_published()
            except RuntimeError:  # published while disconnected: paho sends it on reconnect; the flag tells
                done = bool(getattr(info, "_published", False))
            if done:
                self.acknowledged += n
            else:
                left.append((info, n))
        self._pending = left

    def close(self, timeout_s: float = 120.0) -> int:
        """Wait for the broker's acknowledgements (up to ``timeout_s``), disconnect; readings acknowledged."""
        deadline = time.monotonic() + timeout_s
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.05)
            self._collect()
        self._client.disconnect()
        self._client.loop_stop()
        return self.acknowledged


def publish_start(duration_s: float, now: datetime | None = None, margin_s: float = 60.0) -> datetime:
    """Default start of a simulated run that is published (``geo-risk simulate-sensors --publish``): ``now``
    minus the run's ``duration_s`` minus ``margin_s`` (s), whole seconds — the run ends just before now, so
    nothing is refused as too old (the retention) or from the future (the future tolerance), as readings from
    the simulator's fixed default start (2026-01-01) were once older than the 90-day retention."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return now - timedelta(seconds=math.ceil(duration_s + margin_s))


def publisher(settings) -> MqttPublisher:  # noqa: ANN001 - geo_risk.settings.Settings
    """A publisher to the broker of ``settings`` (the project's own, started if needed) — ``geo-risk
    simulate-sensors --publish`` sends through it, from :func:`publish_start` unless ``--start`` is given."""
    from geo_risk.monitoring.broker import Broker

    password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
    if settings.mqtt_host in ("127.0.0.1", "localhost", "::1"):
        broker = Broker(settings.data_dir / "mqtt", settings.mqtt_user, password, settings.mqtt_port)
        return MqttPublisher(settings.mqtt_host, broker.start(), broker.user, str(broker.password))
    return MqttPublisher(settings.mqtt_host, settings.mqtt_port or 1883, settings.mqtt_user, str(password))
