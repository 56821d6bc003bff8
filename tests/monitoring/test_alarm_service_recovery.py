"""A failed alarm write is counted, and the engine is rebuilt from the table so what was lost is raised again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg2

from geo_risk.monitoring.alarm_service import AlarmService
from geo_risk.monitoring.model import Reading


def _sql(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_a_lost_write_is_raised_again_by_the_next_readings(monitoring_url: str) -> None:
    # U3-GF: HH 40 %LEL, on-delay 3 s. The store refuses event rows for a while (a real failing write).
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    svc = AlarmService(monitoring_url)
    try:
        _sql(monitoring_url, "ALTER TABLE alarm_events ADD CONSTRAINT refuse CHECK (false) NOT VALID")
        svc.on_committed([Reading("U3-GF", t0, 45.0), Reading("U3-GF", t0 + timedelta(seconds=4), 45.0)])
        assert svc.failures == 1 and "refuse" in (svc.last_error or "")
        assert _sql(monitoring_url, "SELECT count(*) FROM alarms") == [(0,)]  # the transaction was rolled back
        _sql(monitoring_url, "ALTER TABLE alarm_events DROP CONSTRAINT refuse")
        # the engine forgot the condition with the write: the next readings, held 3 s, raise it
        svc.on_committed([Reading("U3-GF", t0 + timedelta(seconds=10), 45.0)])
        assert _sql(monitoring_url, "SELECT count(*) FROM alarms") == [(0,)]
        svc.on_committed([Reading("U3-GF", t0 + timedelta(seconds=14), 45.0)])
    finally:
        svc.stop()
    assert svc.failures == 1
    assert _sql(monitoring_url, "SELECT key, state, raised_at FROM alarms WHERE kind = 'HH'") == [
        ("U3-GF:HH", "unack_active", t0 + timedelta(seconds=14))]
