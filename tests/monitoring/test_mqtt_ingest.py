"""The MQTT ingest with the real broker (mosquitto) and PostGIS: nothing acknowledged is lost.

Count in = count stored; a duplicate delivery is stored once; a broker restart and a database restart
in the middle of the stream lose no reading the broker acknowledged to the sender; bad input is counted
with its reason and the ingest carries on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg2
import pytest
from monitoring.monitoring_data import load_monitoring_city

from geo_risk.monitoring.broker import Broker
from geo_risk.monitoring.ingest import Ingestor, MqttIngest
from geo_risk.store.db import get_engine, migrate
from geo_risk.store.embedded import EmbeddedCluster


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


def _count(url: str, sql: str = "SELECT count(*) FROM readings", args: tuple = ()) -> int:
    conn = psycopg2.connect(_dsn(url), connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def _wait_count(url: str, n: int, timeout_s: float = 30.0, sql: str = "SELECT count(*) FROM readings") -> int:
    deadline = time.monotonic() + timeout_s
    got = -1
    while time.monotonic() < deadline:
        try:
            got = _count(url, sql)
        except psycopg2.OperationalError:
            got = -1
        if got >= n:
            return got
        time.sleep(0.2)
    return got


class Sender:
    """A sensor gateway: QoS 1 publisher with a persistent session; counts what the broker acknowledged."""

    def __init__(self, broker: Broker, client_id: str = "gateway-1") -> None:
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                             protocol=mqtt.MQTTv311)
        self.c.username_pw_set(broker.user, broker.password)
        self.c.reconnect_delay_set(1, 2)
        self.c.max_queued_messages_set(0)
        self.connects = 0
        self.c.on_connect = lambda *a: setattr(self, "connects", self.connects + 1)
        self.c.connect("127.0.0.1", broker.running_port() or 0)
        self.c.loop_start()
        self.infos: list[mqtt.MQTTMessageInfo] = []

    def send(self, sensor: str | None, payload: object) -> None:
        """To ``georisk/readings/<sensor>``, or ``georisk/readings`` for a batch naming its sensors."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        topic = "georisk/readings" + (f"/{sensor}" if sensor else "")
        self.infos.append(self.c.publish(topic, body, qos=1))

    def acknowledged(self, timeout_s: float = 30.0) -> int:
        """Wait for the broker's PUBACKs; return how many messages it acknowledged."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not all(i.is_published() for i in self.infos):
            time.sleep(0.05)
        return sum(i.is_published() for i in self.infos)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def sender(broker: Broker) -> Iterator[Sender]:
    s = Sender(broker)
    yield s
    s.close()


def _ingest(url: str, broker: Broker, client_id: str = "ingest-test") -> MqttIngest:
    ing = Ingestor(url, retention_days=90, future_tolerance_s=60)
    return MqttIngest(ing, "127.0.0.1", broker.running_port() or 0, broker.user, broker.password or "",
                      client_id=client_id, batch_rows=200, flush_ms=50).start()


def _base(monitoring_url: str) -> datetime:
    """A time after every reading stored so far (each test writes its own window)."""
    conn = psycopg2.connect(_dsn(monitoring_url))
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(ts), now() - interval '2 hours') FROM readings")
        last = cur.fetchone()[0]
    conn.close()
    return max(last, datetime.now(UTC) - timedelta(hours=2)) + timedelta(seconds=1)


def test_count_in_equals_count_stored_and_duplicates_once(monitoring_url: str, broker: Broker,
                                                          sender: Sender) -> None:
    before = _count(monitoring_url)
    t0 = _base(monitoring_url)
    ingest = _ingest(monitoring_url, broker)
    try:
        for k in range(300):  # one reading per message, and batches of 10 per message
            sender.send("U1-PT", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 0.5})
        for k in range(30):
            sender.send(None, [{"sensor_id": "U4-TT", "ts": (t0 + timedelta(seconds=1, milliseconds=10 * k + j))
                                   .isoformat(), "value": 20.0 + j} for j in range(10)])
        # duplicate deliveries: the first 50 readings again, one of them twice more
        for k in range(50):
            sender.send("U1-PT", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 0.5})
        sender.send("U1-PT", {"ts": t0.isoformat(), "value": 0.5})
        sender.send("U1-PT", {"ts": t0.isoformat(), "value": 0.9})
        assert sender.acknowledged() == 300 + 30 + 52
        assert _wait_count(monitoring_url, before + 600) == before + 600
        deadline = time.monotonic() + 20
        while ingest.committed_messages < 382 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ingest.committed_messages == 382  # every message committed, the duplicates too ...
        assert _count(monitoring_url) == before + 600  # ... and not stored twice
        assert _count(monitoring_url, "SELECT count(*) FROM readings WHERE sensor_id = 'U1-PT' AND ts = %s "
                                      "AND value = 0.5", (t0,)) == 1
    finally:
        ingest.stop()


def test_bad_input_is_counted_with_its_reason_and_ingest_carries_on(monitoring_url: str, broker: Broker,
                                                                     sender: Sender) -> None:
    t0 = _base(monitoring_url)
    rejects_before = _count(monitoring_url, "SELECT count(*) FROM reading_rejects WHERE channel = 'mqtt'")
    ingest = _ingest(monitoring_url, broker)
    try:
        sender.send("NOPE", {"ts": t0.isoformat(), "value": 1})                                    # unknown_sensor
        sender.send("U1-PT", {"ts": t0.isoformat(), "value": 1, "uom": "%"})                        # unit_mismatch
        sender.send("U1-PT", {"ts": (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "value": 1})  # future
        sender.send("U1-PT", b"\xff{not json")                                                     # malformed
        sender.send("U1-PT", b'{"ts": "' + t0.isoformat().encode() + b'", "value": NaN}')          # not_finite
        sender.send("U1-PT", {"ts": (t0 - timedelta(days=400)).isoformat(), "value": 1})           # too_old
        sender.send("U1-PT", {"ts": t0.isoformat(), "value": 1.05, "uom": "MPa"})                   # good
        sender.send("U1-PT", {"ts": (t0 + timedelta(seconds=1)).isoformat(), "value": 1100, "uom": "kPa"})  # good
        assert sender.acknowledged() == 8
        sql = "SELECT count(*) FROM reading_rejects WHERE channel = 'mqtt'"
        assert _wait_count(monitoring_url, rejects_before + 6, sql=sql) == rejects_before + 6
        assert _wait_count(monitoring_url, 2, sql=f"SELECT count(*) FROM readings WHERE ts >= '{t0.isoformat()}'") == 2
        conn = psycopg2.connect(_dsn(monitoring_url))
        with conn.cursor() as cur:
            cur.execute("SELECT reason, count(*) FROM reading_rejects WHERE id > (SELECT coalesce(max(id), 0) - 6 "
                        "FROM reading_rejects) GROUP BY 1")
            assert dict(cur.fetchall()) == {r: 1 for r in ("unknown_sensor", "unit_mismatch", "future", "malformed",
                                                           "not_finite", "too_old")}
            cur.execute("SELECT value FROM readings WHERE ts >= %s ORDER BY ts", (t0,))
            assert [round(v, 9) for (v,) in cur.fetchall()] == [1.05, 1.1]  # 1100 kPa = 1.1 MPa
        conn.close()
    finally:
        ingest.stop()


def test_broker_restart_during_ingest_loses_nothing_acknowledged(monitoring_url: str, broker: Broker,
                                                                 sender: Sender) -> None:
    before = _count(monitoring_url)
    t0 = _base(monitoring_url)
    ingest = _ingest(monitoring_url, broker)
    try:
        for k in range(400):
            sender.send("U3-GF", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 1.0})
        assert sender.acknowledged() == 400
        broker.stop()  # SIGTERM: the broker saves sessions and queued messages, then exits
        assert broker.running_port() is None
        broker.start()
        deadline = time.monotonic() + 30
        while sender.connects < 2 and time.monotonic() < deadline:  # the gateway reconnects first
            time.sleep(0.05)
        for k in range(400, 800):
            sender.send("U3-GF", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 2.0})
        acknowledged = sender.acknowledged(timeout_s=60)
        assert acknowledged == 800
        assert _wait_count(monitoring_url, before + acknowledged, timeout_s=60) == before + acknowledged
    finally:
        ingest.stop()


def test_ingest_crash_before_commit_loses_nothing(monitoring_url: str, broker: Broker, sender: Sender) -> None:
    """An ingest that dies with messages received but not committed never acknowledged them: the next
    ingest with the same client id (persistent session) gets them again."""
    before = _count(monitoring_url)
    t0 = _base(monitoring_url)
    ingest = _ingest(monitoring_url, broker, client_id="ingest-crash")
    ingest.ingestor.submit = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash before commit"))  # type: ignore
    for k in range(100):
        sender.send("U1-LT", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 50.0})
    assert sender.acknowledged() == 100
    time.sleep(0.5)
    ingest._client.disconnect()  # the dead ingest's connection goes; its session stays with the broker
    ingest._client.loop_stop()
    ingest._stop.set()
    assert _count(monitoring_url) == before
    second = _ingest(monitoring_url, broker, client_id="ingest-crash")
    try:
        assert _wait_count(monitoring_url, before + 100) == before + 100
    finally:
        second.stop()


@pytest.fixture
def own_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedCluster, str]]:
    """A PostgreSQL cluster of this test's own, to restart under the ingest (the session's is shared)."""
    root = Path(tempfile.mkdtemp(prefix="geo_risk_test_pg_restart_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, unsafe=True, echo=lambda *a, **k: None)
    cluster.start()
    url = cluster.url()
    migrate(url)
    load_monitoring_city(url, tmp_path_factory.mktemp("restart_city"))
    get_engine(url).dispose()
    yield cluster, url
    get_engine(url).dispose()
    cluster.destroy()


def test_database_restart_during_ingest_loses_nothing_acknowledged(own_cluster: tuple[EmbeddedCluster, str],
                                                                   broker: Broker, sender: Sender) -> None:
    cluster, url = own_cluster
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    ingest = _ingest(url, broker, client_id="ingest-db-restart")
    try:
        for k in range(300):
            sender.send("U4-TT", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 21.0})
        assert sender.acknowledged() == 300
        port = cluster.running_port()
        cluster.stop()  # fast shutdown: open connections are cut, in-flight transactions roll back
        for k in range(300, 600):  # sent while the database is down: the broker acknowledges, the ingest waits
            sender.send("U4-TT", {"ts": (t0 + timedelta(milliseconds=k)).isoformat(), "value": 22.0})
        assert sender.acknowledged() == 600
        time.sleep(1.0)
        assert cluster.start() == port  # back on its port (its connections' TIME_WAIT does not move it)
        assert _wait_count(url, 600, timeout_s=60) == 600
        time.sleep(0.5)
        assert _count(url) == 600
    finally:
        ingest.stop()


def test_publisher_sends_a_readings_frame(monitoring_url: str, broker: Broker) -> None:
    """The publisher the simulator's --publish uses: a frame of sensor_id, ts, value → QoS 1 batches."""
    import pandas as pd

    from geo_risk.monitoring.ingest import MqttPublisher

    before = _count(monitoring_url)
    t0 = _base(monitoring_url)
    ingest = _ingest(monitoring_url, broker, client_id="ingest-publisher")
    try:
        pub = MqttPublisher("127.0.0.1", broker.running_port() or 0, broker.user, broker.password or "",
                            per_message=7)
        frame = pd.DataFrame({"sensor_id": ["U1-LT", "U4-TT"] * 25,
                              "ts": [t0 + timedelta(seconds=k // 2) for k in range(50)],
                              "value": [50.0, 20.0] * 25})
        pub(frame)
        assert pub.close() == 50  # 8 messages (7 × 7 + 1), every reading acknowledged by the broker
        assert _wait_count(monitoring_url, before + 50) == before + 50
    finally:
        ingest.stop()
