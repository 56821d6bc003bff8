"""The alarm store (migration 0014): current state per alarm, the audit trail, the event log, NOTIFY.

The table ``alarms`` is the one truth of an alarm's ISA-18.2 state. Whoever changes an alarm — an
evaluator applying the engine's events (:func:`apply_events`), an operator through the API
(:func:`act`), the clock unshelving expired shelves (:func:`expire_shelves`) — does it in ONE
transaction: lock the rows (``SELECT … FOR UPDATE``, keys in order, so two writers never deadlock),
rebuild each :class:`~geo_risk.monitoring.lifecycle.Alarm` from its row, apply the transition (the
lifecycle module checks it), write the rows, the audit records and the events, and
``pg_notify('geo_risk_alarms', payload)`` once per changed alarm. PostgreSQL delivers the
notifications at commit, so a listener (the API's event stream) never sees a change that was rolled
back, and it sees it whichever process made it.

The payload (:func:`payload`) holds no value and no message: it is public-safe.

Functions take a psycopg2 connection (autocommit off) and leave it committed or rolled back, or a
database URL for the read-only queries of the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geo_risk.errors import NotFound
from geo_risk.monitoring.alarms import AlarmEvent, OverfillRule
from geo_risk.monitoring.lifecycle import SYSTEM, Alarm, AuditRecord, IllegalTransition, priority_of

__all__ = ["CHANNEL", "SensorMeta", "sensor_meta", "overfill_rules", "active_conditions", "apply_events", "act",
           "expire_shelves", "payload", "snapshot", "list_alarms", "get_alarm", "audit_of", "event_rows",
           "ACTIONS", "COLUMNS", "connect"]

#: The NOTIFY channel of alarm changes.
CHANNEL = "geo_risk_alarms"

#: Operator actions (as in the API path) → the lifecycle method.
ACTIONS: dict[str, str] = {
    "acknowledge": "acknowledge", "shelve": "shelve", "unshelve": "unshelve", "suppress": "suppress",
    "unsuppress": "unsuppress", "remove-from-service": "remove_from_service",
    "return-to-service": "return_to_service",
}

COLUMNS = ("key", "sensor_id", "enterprise_id", "unit_id", "area", "kind", "priority", "state", "active", "value",
           "limit_value", "message", "raised_at", "changed_at", "shelved_until", "shelved_by", "acknowledged_by",
           "acknowledged_at")
_PAYLOAD = ("key", "sensor_id", "enterprise_id", "unit_id", "kind", "priority", "state", "active")


@dataclass(frozen=True, slots=True)
class SensorMeta:
    """Where a sensor is: its unit, the unit's enterprise, what it measures."""

    sensor_id: str
    unit_id: str | None
    enterprise_id: str | None
    quantity: str | None


def sensor_meta(conn) -> dict[str, SensorMeta]:  # noqa: ANN001 - a psycopg2 connection
    """Every sensor with its unit's enterprise."""
    with conn.cursor() as cur:
        cur.execute("SELECT s.id, s.unit_id, u.enterprise_id, s.quantity FROM sensors s "
                    "LEFT JOIN hazard_units u ON u.id = s.unit_id")
        rows = cur.fetchall()
    conn.rollback()
    return {r[0]: SensorMeta(*r) for r in rows}


def overfill_rules(conn) -> list[OverfillRule]:  # noqa: ANN001
    """Overfill rules (超量储存) of the level sensors (uom %) whose unit holds an item with a vessel capacity.

    The live inventory of an item is level × its vessels (``vessel_count``, 1 when absent) × the
    interchange's ``vessel_capacity_t`` (tonnes of contents when full: capacity m³ × density t/m³, given
    as one product, so the rule carries it as ``capacity_m3`` = vessels × that product with
    ``density_t_m3`` = 1 — CHOICE: the store holds no separate density); it overfills above the item's
    ``max_quantity_t``. A unit of several items overfills at the lowest such level, with that item's
    figures: the same rule as the live map's (:func:`geo_risk.store.live.overfill_levels`).
    """
    with conn.cursor() as cur:
        cur.execute("""
            SELECT DISTINCT ON (s.id) s.id, coalesce(i.vessel_count, 1) * i.vessel_capacity_t, i.max_quantity_t
            FROM sensors s JOIN inventory i ON i.unit_id = s.unit_id
            WHERE s.quantity = 'level' AND s.uom = '%' AND i.vessel_capacity_t > 0 AND i.max_quantity_t > 0
            ORDER BY s.id, i.max_quantity_t / (coalesce(i.vessel_count, 1) * i.vessel_capacity_t), i.chemical""")
        rows = cur.fetchall()
    conn.rollback()
    return [OverfillRule(sid, float(cap), 1.0, float(design)) for sid, cap, design in rows]


def active_conditions(conn) -> list[tuple[str, str]]:  # noqa: ANN001
    """(sensor_id, kind) of every alarm whose process condition is active in the store."""
    with conn.cursor() as cur:
        cur.execute("SELECT sensor_id, kind FROM alarms WHERE active ORDER BY key")
        rows = [(r[0], r[1]) for r in cur.fetchall()]
    conn.rollback()
    return rows


# -- rows ↔ lifecycle ---------------------------------------------------------------------------
def _alarm(row: Mapping[str, Any]) -> Alarm:
    return Alarm(row["key"], row["priority"], row["state"], bool(row["active"]), row["changed_at"],
                 row["shelved_until"], row["shelved_by"], row["acknowledged_by"], row["acknowledged_at"])


def payload(row: Mapping[str, Any]) -> dict[str, Any]:
    """The public-safe change notice of an alarm row: no value, no limit, no message."""
    out = {k: row[k] for k in _PAYLOAD}
    ts = row["changed_at"]
    out["ts"] = ts.isoformat() if isinstance(ts, datetime) else ts
    return out


def _lock(cur, keys: Sequence[str]) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    cur.execute(f"SELECT {', '.join(COLUMNS)} FROM alarms WHERE key = ANY(%s) ORDER BY key FOR UPDATE",  # noqa: S608
                (sorted(keys),))
    return {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()}


def _write(cur, rows: Iterable[dict[str, Any]], audit: Sequence[AuditRecord],  # noqa: ANN001
           events: Sequence[tuple]) -> list[dict[str, Any]]:
    """UPDATE the changed rows, INSERT audit and events, NOTIFY each row; returns the payloads."""
    out = []
    sets = ", ".join(f"{c} = %({c})s" for c in COLUMNS if c != "key")
    for row in rows:
        cur.execute(f"UPDATE alarms SET {sets} WHERE key = %(key)s", row)  # noqa: S608
        p = payload(row)
        cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(p, ensure_ascii=False)))
        out.append(p)
    if audit:
        cur.executemany("INSERT INTO alarm_audit (ts, key, who, action, from_state, to_state, reason) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [(a.ts, a.key, a.who, a.action, a.from_state, a.to_state, a.reason or "") for a in audit])
    if events:
        cur.executemany("INSERT INTO alarm_events (ts, key, area, priority, transition, value, annunciated) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)", events)
    return out


def _store_alarm(row: dict[str, Any], a: Alarm) -> None:
    row.update(state=a.state, active=a.condition, changed_at=a.since or row["changed_at"],
               shelved_until=a.shelved_until, shelved_by=a.shelved_by, acknowledged_by=a.acknowledged_by,
               acknowledged_at=a.acknowledged_at)


def apply_events(conn, events: Sequence[AlarmEvent], meta: Mapping[str, SensorMeta]) -> list[dict[str, Any]]:  # noqa: ANN001
    """Apply the engine's ``events`` (in order) to the stored alarms in one transaction; commit; payloads.

    A ``raise`` of an alarm whose condition is already active in the store (another evaluator saw it,
    or it was restored at a restart) and a ``clear`` of one already clear change nothing and are not
    logged twice. A raise while shelved, suppressed or out of service changes only the condition and
    is logged as not annunciated.
    """
    if not events:
        return []
    try:
        with conn.cursor() as cur:
            keys = sorted({e.key for e in events})
            first = {}
            for e in events:
                first.setdefault(e.key, e)
            new = []
            for k in keys:
                e = first[k]
                m = meta.get(e.sensor_id)
                new.append((k, e.sensor_id, m.enterprise_id if m else None, e.unit_id, e.area, e.kind,
                            priority_of(e.kind, m.quantity if m else None), e.ts))
            cur.executemany("INSERT INTO alarms (key, sensor_id, enterprise_id, unit_id, area, kind, priority, state, "
                            "active, changed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'normal', false, %s) "
                            "ON CONFLICT (key) DO NOTHING", new)
            rows = _lock(cur, keys)
            alarms = {k: _alarm(r) for k, r in rows.items()}
            audit: list[AuditRecord] = []
            logged: list[tuple] = []
            changed: set[str] = set()
            for e in events:
                a, row = alarms[e.key], rows[e.key]
                if (e.transition == "raise") == a.condition:
                    continue  # already so in the store
                try:
                    rec = a.activate(e.ts) if e.transition == "raise" else a.clear(e.ts)
                except IllegalTransition:  # a row edited by hand into a state its condition contradicts
                    a.condition, rec = e.transition == "raise", None
                if rec is not None:
                    audit.append(rec)
                if e.transition == "raise":
                    row["raised_at"] = e.ts
                row.update(value=e.value, message=e.message)
                if e.limit is not None:
                    row["limit_value"] = e.limit
                _store_alarm(row, a)
                row["changed_at"] = e.ts
                logged.append((e.ts, e.key, e.area, a.priority, e.transition, e.value,
                               e.transition == "raise" and rec is not None))
                changed.add(e.key)
            out = _write(cur, [rows[k] for k in keys if k in changed], audit, logged)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return out


def _reannunciated(rec: AuditRecord, row: Mapping[str, Any]) -> list[tuple]:
    """An alarm back from shelved / suppressed / out of service while active annunciates again (as
    :meth:`AlarmBoard._note`): an event row for the EEMUA figures."""
    if rec.from_state in ("shelved", "suppressed", "out_of_service") and rec.to_state == "unack_active":
        return [(rec.ts, rec.key, row["area"] or row["sensor_id"], row["priority"], "raise", None, True)]
    return []


def act(conn, key: str, action: str, who: str, ts: datetime, reason: str = "",  # noqa: ANN001
        until: datetime | None = None, max_shelve_s: float | None = None) -> dict[str, Any]:
    """An operator's ``action`` (a key of :data:`ACTIONS`) on alarm ``key``, audited; commit; the new row.

    Raises
    ------
    NotFound
        No alarm ``key`` in the store.
    IllegalTransition
        The alarm's state does not allow ``action`` (the message names the state and the allowed actions).
    InvalidInput
        A missing reason where one is needed, a shelf not in the future or longer than allowed.
    """
    method = ACTIONS[action]
    try:
        with conn.cursor() as cur:
            rows = _lock(cur, [key])
            if key not in rows:
                raise NotFound(f"no alarm {key!r}; alarms are named sensor_id:kind, e.g. U1-LT:HH "
                               "(list them with GET /api/v1/alarms)")
            row = rows[key]
            a = _alarm(row)
            if method == "shelve":
                if until is None:
                    from geo_risk.errors import InvalidInput

                    raise InvalidInput(f"shelve alarm {key}: give 'until', when the shelf expires (ISO 8601)")
                rec = a.shelve(who, ts, until, reason, max_shelve_s=max_shelve_s)
            else:
                rec = getattr(a, method)(who, ts, reason)
            _store_alarm(row, a)
            _write(cur, [row], [rec], _reannunciated(rec, row))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return row


def expire_shelves(conn, now: datetime) -> list[dict[str, Any]]:  # noqa: ANN001
    """Unshelve (by ``system``, at the shelf's end) every alarm whose shelf has expired by ``now``; commit.

    Rows another transaction holds are skipped (``SKIP LOCKED``): the next tick takes them.
    """
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {', '.join(COLUMNS)} FROM alarms WHERE state = 'shelved' AND "  # noqa: S608
                        "shelved_until <= %s ORDER BY key FOR UPDATE SKIP LOCKED", (now,))
            rows = [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]
            audit, logged = [], []
            for row in rows:
                a = _alarm(row)
                rec = a.unshelve(SYSTEM, a.shelved_until, "shelf expired")
                _store_alarm(row, a)
                audit.append(rec)
                logged += _reannunciated(rec, row)
            out = _write(cur, rows, audit, logged) if rows else []
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return out


# -- reads (the API) ------------------------------------------------------------------------------
def connect(url: str):  # noqa: ANN201 - a DB-API connection of the engine's pool
    """A psycopg2 connection from the URL's pooled engine (close it to give it back)."""
    from geo_risk.store.db import get_engine

    return get_engine(url).raw_connection()


_SELECT = (f"SELECT {', '.join('a.' + c for c in COLUMNS)}, s.quantity FROM alarms a "
           "LEFT JOIN sensors s ON s.id = a.sensor_id")


def _rows(url: str, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        conn.rollback()
        return rows
    finally:
        conn.close()


def snapshot(url: str) -> list[dict[str, Any]]:
    """The payloads of the alarms that matter now: condition active, or annunciated (unacknowledged or in alarm)."""
    rows = _rows(url, f"SELECT {', '.join(COLUMNS)} FROM alarms WHERE active OR state IN "  # noqa: S608
                      "('unack_active', 'ack_active', 'rtn_unack') ORDER BY key", ())
    return [payload(r) for r in rows]


def list_alarms(url: str, state: str | None = None, active: bool | None = None, enterprise_id: str | None = None,
                since: datetime | None = None, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    """Stored alarms (with their sensor's quantity), newest change first, filtered."""
    sql = (_SELECT + " WHERE (%s::text IS NULL OR a.state = %s) AND (%s::boolean IS NULL OR a.active = %s) "
           "AND (%s::text IS NULL OR a.enterprise_id = %s) AND (%s::timestamptz IS NULL OR a.changed_at >= %s) "
           "ORDER BY a.changed_at DESC, a.key LIMIT %s OFFSET %s")
    return _rows(url, sql, (state, state, active, active, enterprise_id, enterprise_id, since, since, limit, offset))


def get_alarm(url: str, key: str) -> dict[str, Any]:
    """One stored alarm. Raises NotFound."""
    rows = _rows(url, _SELECT + " WHERE a.key = %s", (key,))
    if not rows:
        raise NotFound(f"no alarm {key!r}; alarms are named sensor_id:kind, e.g. U1-LT:HH "
                       "(list them with GET /api/v1/alarms)")
    return rows[0]


def audit_of(url: str, key: str) -> list[dict[str, Any]]:
    """The audit trail of alarm ``key``, oldest first. Raises NotFound for an unknown alarm."""
    get_alarm(url, key)
    return _rows(url, "SELECT id, ts, key, who, action, from_state, to_state, reason FROM alarm_audit "
                      "WHERE key = %s ORDER BY ts, id", (key,))


def event_rows(url: str, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    """The event log in [``start``, ``end``] (None: open) as rows for
    :func:`geo_risk.monitoring.metrics.eemua_figures`: annunciated raises and every clear."""
    return _rows(url, "SELECT ts, key, area, transition, priority FROM alarm_events "
                      "WHERE (transition = 'clear' OR annunciated) "
                      "AND (%s::timestamptz IS NULL OR ts >= %s) AND (%s::timestamptz IS NULL OR ts <= %s) "
                      "ORDER BY ts, id", (start, start, end, end))
