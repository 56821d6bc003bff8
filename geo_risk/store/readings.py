"""The readings store (migration 0012): daily partitions, bulk writes by COPY, dedup, rejects, retention.

One :class:`ReadingsWriter` owns one psycopg2 connection. A batch is written in one transaction:
the accepted readings are COPYed into a temporary staging table, moved with ``INSERT … ON CONFLICT
(sensor_id, ts) DO NOTHING`` (a reading delivered twice is stored once; the second counts as a
duplicate), and the batch's rejects go to ``reading_rejects`` in the same transaction. When
:meth:`ReadingsWriter.write` returns, the batch is committed: the caller may then acknowledge it.

Partitions ``readings_pYYYYMMDD`` hold one UTC day each; :meth:`ReadingsWriter.ensure_partitions`
creates them ahead, and a batch with a day that has none creates it first (its own short
transaction under an advisory lock, so two writers never race). :meth:`ReadingsWriter.drop_expired`
drops whole days past the retention.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from psycopg2 import sql

from geo_risk.monitoring.model import Reading, SensorSpec
from geo_risk.monitoring.payload import Reject

__all__ = ["ReadingsWriter", "WriteResult", "load_sensors", "partition_name", "reject_counts", "readings_count"]

_LOCK_KEY = 0x6E6F_3135  # advisory lock of partition DDL ("no" 15)
_PART = re.compile(r"^readings_p(\d{8})$")


def partition_name(day: date) -> str:
    """The partition of UTC day ``day``."""
    return f"readings_p{day:%Y%m%d}"


@dataclass(frozen=True)
class WriteResult:
    """A committed batch: readings stored, duplicates skipped (already stored), rejects recorded."""

    stored: list[Reading]
    duplicates: int
    rejected: int


def load_sensors(conn) -> dict[str, SensorSpec]:  # noqa: ANN001 - a psycopg2 connection
    """The sensor registry (table ``sensors``) as specs by id. Absent optional values take SensorSpec's defaults."""
    with conn.cursor() as cur:
        cur.execute("SELECT id, unit_id, quantity, uom, range_lo, range_hi, ll, l, h, hh, deadband, on_delay_s, "
                    "off_delay_s, rate_limit, silent_after_s, area FROM sensors")
        rows = cur.fetchall()
    conn.rollback()
    out: dict[str, SensorSpec] = {}
    for (sid, unit, q, uom, lo, hi, ll, lw, h, hh, db, on, off, rate, silent, area) in rows:
        out[sid] = SensorSpec(sid, unit, q, uom, lo, hi, ll, lw, h, hh, db or 0.0, on or 0.0, off or 0.0, rate,
                              300.0 if silent is None else silent, area)
    return out


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class ReadingsWriter:
    """Writes reading batches on one connection (``conn``: psycopg2, autocommit off; not shared between threads)."""

    def __init__(self, conn, retention_days: int = 90) -> None:  # noqa: ANN001
        self.conn = conn
        self.retention_days = retention_days
        self._days: set[date] = set()
        self._staging = False

    # -- partitions ------------------------------------------------------------------------------
    def _existing_days(self) -> set[date]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'readings'::regclass")
            names = [r[0] for r in cur.fetchall()]
        return {datetime.strptime(m.group(1), "%Y%m%d").date() for n in names if (m := _PART.match(n))}

    def ensure_partitions(self, days: Sequence[date]) -> list[str]:
        """Create the daily partitions of ``days`` that do not exist; return those created. Commits."""
        missing = sorted(set(days) - self._days)
        if not missing:
            return []
        created: list[str] = []
        self.conn.rollback()
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            have = self._existing_days()
            for day in missing:
                if day in have:
                    continue
                start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                cur.execute(sql.SQL("CREATE TABLE {} PARTITION OF readings FOR VALUES FROM (%s) TO (%s)").format(
                    sql.Identifier(partition_name(day))), (start, start + timedelta(days=1)))
                created.append(partition_name(day))
        self.conn.commit()
        self._days |= have | set(missing)
        return created

    def ensure_ahead(self, now: datetime | None = None, days_ahead: int = 3) -> list[str]:
        """Partitions from yesterday to ``days_ahead`` days ahead of ``now`` (UTC)."""
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        return self.ensure_partitions([today + timedelta(days=k) for k in range(-1, days_ahead + 1)])

    def drop_expired(self, now: datetime | None = None) -> list[str]:
        """Drop the partitions wholly older than the retention and the rejects as old; return the partitions dropped."""
        horizon = (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=self.retention_days)
        self.conn.rollback()
        dropped: list[str] = []
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for day in sorted(self._existing_days()):
                end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
                if end <= horizon:
                    cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(partition_name(day))))
                    dropped.append(partition_name(day))
                    self._days.discard(day)
            cur.execute("DELETE FROM reading_rejects WHERE at < %s", (horizon,))
        self.conn.commit()
        return dropped

    # -- writes ----------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading], rejects: Sequence[Reject] = (), channel: str = "mqtt") -> WriteResult:
        """Store ``readings`` (deduplicated) and record ``rejects``, in one transaction, then commit."""
        if readings:
            self.ensure_partitions({r.ts.astimezone(UTC).date() for r in readings})  # type: ignore[arg-type]
        stored: list[Reading] = []
        with self.conn.cursor() as cur:
            if readings:
                if not self._staging:
                    cur.execute("CREATE TEMP TABLE IF NOT EXISTS _stage_readings (sensor_id text, ts timestamptz, "
                                "value double precision) ON COMMIT DELETE ROWS")
                    self._staging = True
                buf = io.StringIO()
                for r in readings:
                    buf.write(f"{_copy_text(r.sensor_id)}\t{r.ts.isoformat()}\t{r.value!r}\n")
                buf.seek(0)
                cur.copy_expert("COPY _stage_readings (sensor_id, ts, value) FROM STDIN", buf, size=1 << 20)
                cur.execute("INSERT INTO readings (sensor_id, ts, value) SELECT sensor_id, ts, value "
                            "FROM _stage_readings ON CONFLICT (sensor_id, ts) DO NOTHING "
                            "RETURNING sensor_id, ts, value")
                stored = [Reading(s, t, v) for s, t, v in cur.fetchall()]
            if rejects:
                buf = io.StringIO()
                for j in rejects:
                    cells = [channel, j.reason, j.detail, j.sensor_id, j.ts.isoformat() if j.ts else None, j.excerpt]
                    buf.write("\t".join("\\N" if c is None else _copy_text(str(c).replace("\x00", "")) for c in cells))
                    buf.write("\n")
                buf.seek(0)
                cur.copy_expert("COPY reading_rejects (channel, reason, detail, sensor_id, ts, excerpt) "
                                "FROM STDIN", buf)
        self.conn.commit()
        return WriteResult(stored, len(readings) - len(stored), len(rejects))


def readings_count(conn, sensor_ids: Sequence[str] | None = None) -> int:  # noqa: ANN001
    """Readings stored (of ``sensor_ids``, or all)."""
    with conn.cursor() as cur:
        if sensor_ids is None:
            cur.execute("SELECT count(*) FROM readings")
        else:
            cur.execute("SELECT count(*) FROM readings WHERE sensor_id = ANY(%s)", (list(sensor_ids),))
        n = int(cur.fetchone()[0])
    conn.rollback()
    return n


def reject_counts(conn, channel: str | None = None) -> dict[str, int]:  # noqa: ANN001
    """Rejects recorded per reason (of ``channel``, or all)."""
    with conn.cursor() as cur:
        cur.execute("SELECT reason, count(*) FROM reading_rejects WHERE %s IS NULL OR channel = %s GROUP BY reason",
                    (channel, channel))
        out = {r: int(n) for r, n in cur.fetchall()}
    conn.rollback()
    return out
