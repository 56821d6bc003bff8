"""The alarm service wired: committed readings → alarm rows, audit, events and NOTIFY, on a real PostGIS.

Readings go in through the real ingest (``POST /api/v1/readings``, and MQTT with the throwaway broker);
what is expected is worked out by hand from the sensors of ``monitoring_data.SENSORS`` (limits, delays)
and the lifecycle rules of ISA-18.2, never read back from the code.
"""

from __future__ import annotations

import json
import select
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS

from api.app import create_app
from geo_risk.monitoring.alarm_service import AlarmService
from geo_risk.monitoring.lifecycle import IllegalTransition
from geo_risk.monitoring.model import Reading
from geo_risk.settings import Settings
from geo_risk.store import alarms as store

ANALYST = {"X-API-Key": KEY_OF["analyst"]}


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


def _rows(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(_dsn(url))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def alarm_url(monitoring_url: str) -> str:
    """The monitoring city; U1's chlorine held in one vessel of 75 t when full (design maximum 60 t)."""
    conn = psycopg2.connect(_dsn(monitoring_url))
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE inventory SET vessel_capacity_t = 75, vessel_count = 1 WHERE unit_id = 'U1'")
    conn.close()
    return monitoring_url


@pytest.fixture(scope="module")
def client(alarm_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=alarm_url, api_keys=ROLE_KEYS)
    with TestClient(create_app(settings, database_url=alarm_url)) as c:
        yield c


class Listener:
    """A LISTEN geo_risk_alarms connection of the test's own."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg2.connect(_dsn(url))
        self.conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with self.conn.cursor() as cur:
            cur.execute("LISTEN geo_risk_alarms")

    def wait(self, key: str, timeout_s: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            select.select([self.conn], [], [], 0.2)
            self.conn.poll()
            while self.conn.notifies:
                p = json.loads(self.conn.notifies.pop(0).payload)
                if p["key"] == key:
                    return p
        raise AssertionError(f"no NOTIFY for {key} within {timeout_s} s")

    def close(self) -> None:
        self.conn.close()


def _post(client: TestClient, readings: list[tuple[str, datetime, float]]) -> dict:
    body = [{"sensor_id": s, "ts": t.isoformat(), "value": v} for s, t, v in readings]
    r = client.post("/api/v1/readings", json=body, headers=ANALYST)
    assert r.status_code == 200, r.text
    return r.json()


def test_http_readings_crossing_hh_raise_a_stored_audited_announced_alarm(client: TestClient, alarm_url: str) -> None:
    # U1-PT: H 1.1, HH 1.3 MPa, on-delay 5 s. 1.5 MPa at t0 and t0 + 6 s: both H and HH hold ≥ 5 s at the
    # second reading, so both raise there, and nothing at the first.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    listen = Listener(alarm_url)
    try:
        assert _post(client, [("U1-PT", t0, 1.5)])["stored"] == 1
        assert _rows(alarm_url, "SELECT count(*) FROM alarms WHERE sensor_id = 'U1-PT'") == [(0,)]
        _post(client, [("U1-PT", t0 + timedelta(seconds=6), 1.5)])
        note = listen.wait("U1-PT:HH")
    finally:
        listen.close()
    assert note == {"key": "U1-PT:HH", "sensor_id": "U1-PT", "enterprise_id": "E1", "unit_id": "U1", "kind": "HH",
                    "priority": "critical", "state": "unack_active", "active": True,
                    "ts": (t0 + timedelta(seconds=6)).isoformat()}
    row = _rows(alarm_url, "SELECT state, active, value, limit_value, raised_at, priority, enterprise_id "
                           "FROM alarms WHERE key = 'U1-PT:HH'")[0]
    assert row == ("unack_active", True, 1.5, 1.3, t0 + timedelta(seconds=6), "critical", "E1")
    assert _rows(alarm_url, "SELECT priority FROM alarms WHERE key = 'U1-PT:H'") == [("high",)]
    assert _rows(alarm_url, "SELECT who, action, from_state, to_state FROM alarm_audit WHERE key = 'U1-PT:HH'") == [
        ("system", "activate", "normal", "unack_active")]
    assert _rows(alarm_url, "SELECT transition, value, annunciated FROM alarm_events WHERE key = 'U1-PT:HH'") == [
        ("raise", 1.5, True)]


def test_enterprise_view(client: TestClient, alarm_url: str) -> None:
    view = _rows(alarm_url, "SELECT enterprise_id, n_active, worst_priority, high_priority_active "
                            "FROM alarms_active_by_enterprise")
    assert ("E1", 2, "critical", True) in view  # U1-PT:HH (critical) and U1-PT:H (high) of the last test


def test_ack_shelve_via_the_api_name_who_and_clear_after_the_off_delay(client: TestClient, alarm_url: str) -> None:
    r = client.post("/api/v1/alarms/U1-PT:HH/acknowledge", json={"reason": "seen"}, headers=ANALYST)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "ack_active" and r.json()["acknowledged_by"].startswith("api:")
    # an illegal transition names the state and the allowed actions
    r = client.post("/api/v1/alarms/U1-PT:HH/acknowledge", json={}, headers=ANALYST)
    assert r.status_code == 409, r.text
    assert "报警已确认 / active, acknowledged" in r.json()["detail"]
    assert "allowed now: shelve, suppress, remove_from_service" in r.json()["detail"]
    # a viewer may not act; nobody acts on an alarm that does not exist
    assert client.post("/api/v1/alarms/U1-PT:HH/unshelve", headers={"X-API-Key": KEY_OF["viewer"]}).status_code == 403
    assert client.post("/api/v1/alarms/NOPE:HH/acknowledge", headers=ANALYST).status_code == 404
    # a body breaking its rule: suppress needs a reason, shelve an 'until', times are ISO 8601 text
    assert client.post("/api/v1/alarms/U1-PT:HH/suppress", json={}, headers=ANALYST).status_code == 422
    assert client.post("/api/v1/alarms/U1-PT:HH/shelve", json={"until": 1e10}, headers=ANALYST).status_code == 422
    late = (datetime.now(UTC) + timedelta(hours=13)).isoformat()
    r = client.post("/api/v1/alarms/U1-PT:HH/shelve", json={"until": late}, headers=ANALYST)
    assert r.status_code == 422 and "at most 12 h" in r.json()["detail"], r.text
    assert client.post("/api/v1/alarms/U1-PT:HH/audit", headers=ANALYST).status_code == 405
    until = datetime.now(UTC) + timedelta(hours=1)
    r = client.post("/api/v1/alarms/U1-PT:H/shelve", json={"reason": "valve work", "until": until.isoformat()},
                    headers=ANALYST)
    assert r.status_code == 200 and r.json()["state"] == "shelved", r.text
    audit = client.get("/api/v1/alarms/U1-PT:H/audit", headers=ANALYST).json()
    assert [(a["action"], a["from_state"], a["to_state"]) for a in audit] == [
        ("activate", "normal", "unack_active"), ("shelve", "unack_active", "shelved")]
    assert audit[1]["who"] == f"api:{KEY_OF['analyst'][:4]}… (analyst)" and audit[1]["reason"] == "valve work"
    # back to 1.0 MPa (< 1.3 − 0.02 and < 1.1 − 0.02): HH clears after the off-delay, 15 s for pressure
    # (recommended_spec: the sensor sets none); acknowledged, so it goes to normal.
    t1 = _rows(alarm_url, "SELECT raised_at FROM alarms WHERE key = 'U1-PT:HH'")[0][0]
    _post(client, [("U1-PT", t1 + timedelta(seconds=2), 1.0), ("U1-PT", t1 + timedelta(seconds=18), 1.0)])
    assert _rows(alarm_url, "SELECT state, active FROM alarms WHERE key = 'U1-PT:HH'") == [("normal", False)]
    # the shelved one follows its condition silently: still shelved, no longer active, no audit of the clear
    assert _rows(alarm_url, "SELECT state, active FROM alarms WHERE key = 'U1-PT:H'") == [("shelved", False)]
    assert _rows(alarm_url, "SELECT count(*) FROM alarm_audit WHERE key = 'U1-PT:H'") == [(2,)]


def test_auto_unshelve_at_the_shelf_end(alarm_url: str) -> None:
    svc = AlarmService(alarm_url)
    conn = psycopg2.connect(_dsn(alarm_url))
    try:
        now = datetime.now(UTC)
        store.act(conn, "U1-PT:H", "unshelve", "op", now)
        store.act(conn, "U1-PT:H", "shelve", "op", now, "short", until=now + timedelta(seconds=30))
        assert [p["key"] for p in svc.tick(now + timedelta(seconds=29))] == []
        changed = svc.tick(now + timedelta(seconds=31))
    finally:
        conn.close()
        svc.stop()
    assert [(p["key"], p["state"]) for p in changed] == [("U1-PT:H", "normal")]  # condition clear: back to normal
    last = _rows(alarm_url, "SELECT who, action, to_state, reason, ts FROM alarm_audit WHERE key = 'U1-PT:H' "
                            "ORDER BY id DESC LIMIT 1")[0]
    assert last[:4] == ("system", "unshelve", "normal", "shelf expired")
    assert abs((last[4] - (now + timedelta(seconds=30))).total_seconds()) < 1e-3  # at the shelf's end


def test_illegal_transition_in_the_store(alarm_url: str) -> None:
    conn = psycopg2.connect(_dsn(alarm_url))
    try:
        with pytest.raises(IllegalTransition, match=r"正常 / normal; allowed now: shelve, suppress"):
            store.act(conn, "U1-PT:HH", "acknowledge", "op", datetime.now(UTC))
    finally:
        conn.close()


def test_restart_keeps_state_and_does_not_raise_twice(alarm_url: str) -> None:
    # U4-TT: HH 50 °C, on-delay 10 s, deadband 0.5; off-delay 60 s (temperature, recommended_spec).
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    first = AlarmService(alarm_url)
    first.feed([Reading("U4-TT", t0, 55.0), Reading("U4-TT", t0 + timedelta(seconds=11), 55.0)])
    first.stop()
    assert _rows(alarm_url, "SELECT state FROM alarms WHERE key = 'U4-TT:HH'") == [("unack_active",)]
    conn = psycopg2.connect(_dsn(alarm_url))
    store.act(conn, "U4-TT:HH", "acknowledge", "op-1", datetime.now(UTC))
    conn.close()
    second = AlarmService(alarm_url)  # a restart: the condition comes from the table
    try:
        second.feed([Reading("U4-TT", t0 + timedelta(seconds=20), 56.0)])
        assert _rows(alarm_url, "SELECT state, acknowledged_by FROM alarms WHERE key = 'U4-TT:HH'") == [
            ("ack_active", "op-1")]
        assert _rows(alarm_url, "SELECT count(*) FROM alarm_events WHERE key = 'U4-TT:HH'") == [(1,)]
        # 40 °C (< 50 − 0.5) for 60 s clears it: acknowledged → normal (only if the restarted engine knows
        # the condition is active: a fresh one would never clear it)
        second.feed([Reading("U4-TT", t0 + timedelta(seconds=50), 40.0),
                     Reading("U4-TT", t0 + timedelta(seconds=110), 40.0)])
    finally:
        second.stop()
    assert _rows(alarm_url, "SELECT state, active FROM alarms WHERE key = 'U4-TT:HH'") == [("normal", False)]
    assert _rows(alarm_url, "SELECT action FROM alarm_audit WHERE key = 'U4-TT:HH' ORDER BY id") == [
        ("activate",), ("acknowledge",), ("clear",)]


def test_overfill_is_restricted_below_analyst(client: TestClient, alarm_url: str) -> None:
    # U1: one vessel of 75 t full, design maximum 60 t → overfill above 60 / 75 = 80 % level. 82 % held
    # 6 s (on-delay 5 s): 0.82 × 75 = 61.5 t > 60 t. Below H (85 %): only OVERFILL.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20)
    _post(client, [("U1-LT", t0, 82.0), ("U1-LT", t0 + timedelta(seconds=6), 82.0)])
    assert _rows(alarm_url, "SELECT kind, state FROM alarms WHERE sensor_id = 'U1-LT'") == [
        ("OVERFILL", "unack_active")]
    analyst = client.get("/api/v1/alarms/U1-LT:OVERFILL", headers=ANALYST).json()
    assert analyst["value"] == 82.0 and "61.5 t" in analyst["message"] and "60.0 t" in analyst["message"]
    for headers in ({}, {"X-API-Key": KEY_OF["viewer"]}):
        for url in ("/api/v1/alarms/U1-LT:OVERFILL", "/api/v1/alarms?enterprise_id=E1"):
            r = client.get(url, headers=headers)
            assert r.status_code == 200, r.text
            assert "61.5" not in r.text and "82.0" not in r.text and "60.0 t" not in r.text
        one = client.get("/api/v1/alarms/U1-LT:OVERFILL", headers=headers).json()
        assert (one["value"], one["limit_value"], one["message"], one["state"]) == (None, None, None, "unack_active")
    # the pressure alarm's value is public
    assert client.get("/api/v1/alarms/U1-PT:HH").json()["value"] == 1.0


def test_hook_failure_is_counted_and_never_stops_the_ingest(alarm_url: str) -> None:
    broken = AlarmService(alarm_url.rsplit("/", 1)[0] + "/no_such_database")
    broken.on_committed([Reading("U1-PT", datetime.now(UTC), 1.0)])
    assert broken.failures == 1 and "no_such_database" in (broken.last_error or "")


def test_mqtt_ingest_raises_alarms_too(alarm_url: str, broker) -> None:  # noqa: ANN001
    from geo_risk.monitoring.alarm_service import release, service_for
    from geo_risk.monitoring.ingest import Ingestor, MqttIngest, MqttPublisher

    ingestor = Ingestor(alarm_url)
    svc = service_for(alarm_url).attach(ingestor)
    mqtt = MqttIngest(ingestor, "127.0.0.1", broker.running_port(), broker.user, str(broker.password),
                      client_id="alarm-test", flush_ms=50).start()
    listen = Listener(alarm_url)
    try:
        # U3-GF: HH 40 %LEL, on-delay 3 s
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        pub = MqttPublisher("127.0.0.1", broker.running_port(), broker.user, str(broker.password), client_id="gw-alarm")
        pub.send([{"sensor_id": "U3-GF", "ts": (t0 + timedelta(seconds=k)).isoformat(), "value": 45.0}
                  for k in (0, 4)])
        assert pub.close() == 2
        note = listen.wait("U3-GF:HH", timeout_s=10)
    finally:
        listen.close()
        mqtt.stop()
        ingestor.close()
        release(svc)
    assert (note["state"], note["priority"], note["unit_id"]) == ("unack_active", "critical", "U3")
