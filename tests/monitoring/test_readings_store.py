"""The readings store on a real PostGIS: daily partitions, dedup, rejects with reasons, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from geo_risk.monitoring.model import Reading
from geo_risk.monitoring.payload import Reject
from geo_risk.store.readings import ReadingsWriter, load_sensors, partition_name


@pytest.fixture
def writer(monitoring_url: str):  # noqa: ANN201
    conn = psycopg2.connect(monitoring_url.replace("postgresql+psycopg2://", "postgresql://"))
    yield ReadingsWriter(conn, retention_days=30)
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("TRUNCATE readings, reading_rejects")
    conn.commit()
    conn.close()


def _q(w: ReadingsWriter, sql: str, args: tuple = ()) -> list[tuple]:
    with w.conn.cursor() as cur:
        cur.execute(sql, args)
        rows = cur.fetchall()
    w.conn.rollback()
    return rows


def test_store_schema_partitioned_brin_unique(writer: ReadingsWriter) -> None:
    assert _q(writer, "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'readings'::regclass") == [("r",)]
    idx = dict(_q(writer, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'readings'"))
    assert "USING brin (ts)" in idx["ix_readings_ts_brin"]
    assert "UNIQUE" in idx["readings_sensor_ts"] and "(sensor_id, ts)" in idx["readings_sensor_ts"]


def test_registry_read_back(writer: ReadingsWriter) -> None:
    sensors = load_sensors(writer.conn)
    assert set(sensors) == {"U1-PT", "U1-LT", "U4-TT", "U3-GF"}
    s = sensors["U1-LT"]
    assert (s.unit_id, s.quantity, s.uom, s.ll, s.l, s.h, s.hh, s.deadband) == ("U1", "level", "%", 5, 10, 85, 90, 1)
    assert sensors["U1-PT"].silent_after_s == 300.0  # absent in the file: SensorSpec's default


def test_count_in_equals_count_stored_and_duplicates_once(writer: ReadingsWriter) -> None:
    t0 = datetime.now(UTC).replace(hour=23, minute=59, second=58, microsecond=0) - timedelta(days=1)
    batch = [Reading("U1-PT", t0 + timedelta(seconds=k), 0.5 + k / 100) for k in range(4)]  # across midnight UTC
    r = writer.write(batch, channel="http")
    assert (len(r.stored), r.duplicates, r.rejected) == (4, 0, 0)
    days = {t0.date(), (t0 + timedelta(days=1)).date()}
    names = {n for (n,) in _q(writer, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                      "WHERE i.inhparent = 'readings'::regclass")}
    assert {partition_name(d) for d in days} <= names
    per_part = dict(_q(writer, "SELECT tableoid::regclass::text, count(*) FROM readings GROUP BY 1"))
    assert per_part == {partition_name(t0.date()): 2, partition_name(t0.date() + timedelta(days=1)): 2}
    # the same four again, one new, and the new one twice in the batch: one stored, five duplicates
    again = [*batch, Reading("U1-PT", t0 + timedelta(seconds=10), 0.7), Reading("U1-PT", t0 + timedelta(seconds=10),
                                                                                0.9)]
    r = writer.write(again)
    assert (len(r.stored), r.duplicates) == (1, 5)
    total = 0.5 + 0.51 + 0.52 + 0.53 + 0.7  # the first value of a (sensor, ts) stays
    assert _q(writer, "SELECT count(*), sum(value) FROM readings") == [(5, pytest.approx(total))]


def test_rejects_are_recorded_with_reasons(writer: ReadingsWriter) -> None:
    ts = datetime.now(UTC)
    rejects = [Reject("unknown_sensor", "no sensor 'X'", "X", ts, index=0),
               Reject("malformed", "not JSON: tab\there, back\\slash", None, None, "{bad\n"),
               Reject("future", "ahead", "U1-PT", ts + timedelta(hours=1))]
    r = writer.write([Reading("U4-TT", ts, 21.0)], rejects, channel="mqtt")
    assert (len(r.stored), r.rejected) == (1, 3)
    rows = _q(writer, "SELECT channel, reason, detail, sensor_id, excerpt FROM reading_rejects ORDER BY id")
    assert rows == [("mqtt", "unknown_sensor", "no sensor 'X'", "X", None),
                    ("mqtt", "malformed", "not JSON: tab\there, back\\slash", None, "{bad\n"),
                    ("mqtt", "future", "ahead", "U1-PT", None)]


def test_retention_drops_whole_old_days(writer: ReadingsWriter) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    old, kept, edge = now - timedelta(days=40), now - timedelta(days=10), now - timedelta(days=30, hours=13)
    writer.write([Reading("U4-TT", t, 20.0) for t in (old, kept, edge)])
    # retention 30 days from 2026-12-06 12:00: the horizon is 2026-11-06 12:00. The day of `edge`
    # (2026-11-05, ending 11-06 00:00) lies wholly before it and goes; `kept`'s day stays.
    dropped = writer.drop_expired(now)
    assert set(dropped) == {partition_name(old.date()), partition_name(edge.date())}
    assert _q(writer, "SELECT ts FROM readings") == [(kept,)]
    assert writer.drop_expired(now) == []


def test_partitions_ahead(writer: ReadingsWriter) -> None:
    now = datetime(2031, 1, 1, 1, tzinfo=UTC)
    made = writer.ensure_ahead(now, days_ahead=2)
    assert made == [partition_name(datetime(2030, 12, 31).date())] + [
        partition_name(datetime(2031, 1, d).date()) for d in (1, 2, 3)]
    assert writer.ensure_ahead(now, days_ahead=2) == []
    writer.retention_days = 30
    writer.drop_expired(now + timedelta(days=400))  # leave no far-future partitions to the other tests
