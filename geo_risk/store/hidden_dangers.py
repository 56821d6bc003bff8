"""The hidden-danger register in PostGIS (migration 0013): import, create, list, transitions.

Every status change is one transaction that locks the item, checks the step with
:func:`geo_risk.analysis.hidden_dangers.check_transition`, updates it and appends its history row;
the audit log gets the same change (and refused attempts) through :mod:`geo_risk.store.audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text

from geo_risk.analysis.hidden_dangers import (
    CRITERIA_121,
    LEVELS,
    STATUSES,
    EnterpriseKeys,
    check_transition,
    flags,
    read_rows,
)
from geo_risk.errors import InvalidInput, NotFound, Problem, ValidationFailed
from geo_risk.store import audit
from geo_risk.store.db import get_engine

__all__ = ["enterprise_keys", "import_records", "import_rows", "create", "get", "list_items", "transition",
           "history", "PUBLIC_FIELDS"]

#: What the public tier sees of a publicly listed major item.
PUBLIC_FIELDS = ("id", "enterprise_id", "enterprise_name", "level", "level_label", "deadline", "status",
                 "status_label", "supervised", "supervised_by", "overdue", "notice")

_COLUMNS = ("id", "enterprise_id", "unit_id", "description", "level", "criterion", "found_on", "deadline",
            "responsible", "responsible_dept", "status", "supervised", "supervised_by", "public", "source")


def enterprise_keys(url: str) -> EnterpriseKeys:
    """The store's enterprises by id, name and USCC, and each unit's enterprise."""
    with get_engine(url).connect() as conn:
        ents = conn.execute(text("SELECT id, name, uscc FROM enterprises")).all()
        units = conn.execute(text("SELECT id, enterprise_id FROM hazard_units")).all()
    by_name: dict[str, str] = {}
    for eid, name, _ in ents:
        if name:
            by_name.setdefault(name, eid)
    return EnterpriseKeys(by_id={e: n for e, n, _ in ents}, by_name=by_name,
                          by_uscc={u: e for e, _, u in ents if u}, unit_enterprise=dict(units))


def import_rows(url: str, rows: list[dict[str, Any]], *, actor: str, role: str | None, channel: str,
                source: str, update: bool = False) -> list[str]:
    """Read a spreadsheet's rows (:func:`read_rows`) and store them all, or nothing.

    ``update``: a row whose 隐患编号 is already stored updates that item (see :func:`import_records`).

    Raises
    ------
    ValidationFailed
        Any row is bad (unknown enterprise, bad level, date, …) or (without ``update``) an id is already
        stored; each problem names its row. Nothing was written.
    """
    records, problems = read_rows(rows, enterprise_keys(url))
    if problems:
        raise ValidationFailed(problems)
    return import_records(url, records, actor=actor, role=role, channel=channel, source=source, update=update)


def import_records(url: str, records: list[dict[str, Any]], *, actor: str, role: str | None, channel: str,
                   source: str, update: bool = False) -> list[str]:
    """Store ``records`` in one transaction with their history rows; return their ids (in file order).

    Without ``update`` an id already stored is refused. With ``update`` the stored item takes the row's
    fields and status: the regulator's register is the record, so a status it reports is taken as it is
    (not checked against the workflow, CHOICE), and a changed status is one history row (note
    ``imported from <file>``).
    """
    note = f"imported from {source}"
    with get_engine(url).begin() as conn:
        given = [r["id"] for r in records if r.get("id")]
        taken = dict(conn.execute(text("SELECT id, status FROM hidden_dangers WHERE id = ANY(:ids) FOR UPDATE"),
                                  {"ids": given}).all()) if given else {}
        if taken and not update:
            rows = {r["id"]: i for i, r in enumerate(records, start=1) if r.get("id")}
            raise ValidationFailed([Problem("hidden_dangers", rows[t], t, f"隐患编号 {t!r} is already in the "
                                            "register: change it, leave it empty to number it, or update the "
                                            "register with it (--update)") for t in sorted(taken)])
        new = [{**rec, "source": source} for rec in records if rec.get("id") not in taken]
        ids = iter(_insert_many(conn, new, actor, role, channel, note))
        order = [rec["id"] if rec.get("id") in taken else next(ids) for rec in records]
        changed = [rec for rec in records if rec.get("id") in taken]
        for rec in changed:
            values = {c: rec.get(c) for c in _COLUMNS if c != "id"}
            values.update(id=rec["id"], source=source, supervised=bool(values["supervised"]),
                          public=bool(values["public"]))
            sets = ", ".join(f"{c} = :{c}" for c in _COLUMNS if c != "id")
            conn.execute(text(f"UPDATE hidden_dangers SET {sets}, updated_at = now(), "  # noqa: S608 - fixed names
                              "closed_at = CASE WHEN :status <> 'closed' THEN NULL "
                              "ELSE COALESCE(closed_at, now()) END WHERE id = :id"), values)
        moved = [{"hidden_danger_id": r["id"], "actor": actor, "role": role, "channel": channel,
                  "from_status": taken[r["id"]], "to_status": r["status"], "note": note}
                 for r in changed if r["status"] != taken[r["id"]]]
        if moved:
            conn.execute(sa.insert(_HISTORY), moved)
    audit.record(url, actor=actor, role=role, channel=channel, action="hidden-dangers-import", target=source,
                 details={"count": len(order), "new": len(new), "updated": len(changed),
                          "status_changes": len(moved), "ids": order[:50]})
    return order


_ITEMS = sa.table("hidden_dangers", *(sa.column(c) for c in (*_COLUMNS, "closed_at")))
_HISTORY = sa.table("hidden_danger_history", *(sa.column(c) for c in (
    "hidden_danger_id", "actor", "role", "channel", "from_status", "to_status", "note")))


def _insert_many(conn: Any, records: list[dict[str, Any]], actor: str, role: str | None, channel: str,
                 note: str) -> list[str]:
    """Insert ``records`` and one history row each (batched multi-row INSERTs); return their ids, numbering
    those without one from ``hidden_danger_seq`` (HD-000001 …)."""
    if not records:
        return []
    missing = sum(1 for r in records if not r.get("id"))
    fresh = iter(conn.execute(text(
        "SELECT 'HD-' || lpad(nextval('hidden_danger_seq')::text, 6, '0') FROM generate_series(1, :n)"),
        {"n": missing}).scalars().all() if missing else [])
    now = dt.datetime.now(dt.UTC)
    rows = []
    for rec in records:
        row = {c: rec.get(c) for c in _COLUMNS}
        row["id"] = row["id"] or next(fresh)
        row["supervised"], row["public"] = bool(row["supervised"]), bool(row["public"])
        row["status"] = row["status"] or "reported"
        row["closed_at"] = now if row["status"] == "closed" else None
        rows.append(row)
    conn.execute(sa.insert(_ITEMS), rows)
    conn.execute(sa.insert(_HISTORY), [{"hidden_danger_id": r["id"], "actor": actor, "role": role, "channel": channel,
                                        "from_status": None, "to_status": r["status"], "note": note} for r in rows])
    return [str(r["id"]) for r in rows]


def create(url: str, record: dict[str, Any], *, actor: str, role: str | None, channel: str) -> str:
    """Store one new item (status ``reported``) reported through the API or the CLI; return its id.

    Raises
    ------
    NotFound
        Unknown enterprise, or a unit that is not one of the enterprise's.
    InvalidInput
        Deadline before found, a 121号 code on a general item, a public general item, an id taken.
    """
    keys = enterprise_keys(url)
    row = {**record, "status": "reported"}
    ent, unit = row.get("enterprise_id"), row.get("unit_id")
    if ent not in keys.by_id:
        raise NotFound(f"enterprise_id {ent!r} is not an enterprise of the store: name a loaded enterprise")
    if unit is not None and keys.unit_enterprise.get(unit) != ent:
        where = keys.unit_enterprise.get(unit)
        raise NotFound(f"enterprise {ent!r} has no hazard unit {unit!r}"
                       + (f" (it belongs to {where!r})" if where else "") + ": leave unit_id out or fix it")
    records, problems = read_rows([row], keys)
    if problems:
        raise InvalidInput(problems[0].reason)
    rec = records[0]
    with get_engine(url).begin() as conn:
        if rec["id"] and conn.execute(text("SELECT 1 FROM hidden_dangers WHERE id = :i"), {"i": rec["id"]}).first():
            raise InvalidInput(f"id {rec['id']!r} is already in the register: leave it empty to number it")
        (hid,) = _insert_many(conn, [{**rec, "source": channel}], actor, role, channel,
                              record.get("note") or "reported")
    audit.record(url, actor=actor, role=role, channel=channel, action="hidden-danger-create", target=hid,
                 details={"enterprise_id": rec["enterprise_id"], "level": rec["level"]})
    return hid


_SELECT = """
SELECT d.id, d.enterprise_id, e.name AS enterprise_name, d.unit_id, u.name AS unit_name, d.description, d.level,
       d.criterion, d.found_on, d.deadline, d.responsible, d.responsible_dept, d.status, d.supervised,
       d.supervised_by, d.public, d.source, d.created_at, d.updated_at, d.closed_at
  FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id LEFT JOIN hazard_units u ON u.id = d.unit_id
"""


def _decorate(row: dict[str, Any], on: dt.date) -> dict[str, Any]:
    row["level_label"] = LEVELS[row["level"]][0]
    row["status_label"] = STATUSES[row["status"]][0]
    row["criterion_text"] = CRITERIA_121[row["criterion"]][0] if row["criterion"] else None
    f = flags(row["level"], row["deadline"], row["status"], on)
    row["overdue"] = "overdue" in f
    row["notice"] = "notice" in f
    return row


def get(url: str, hid: str, on: dt.date | None = None) -> dict[str, Any]:
    """One item with its flags on ``on`` (default: today). Raises NotFound."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(_SELECT + " WHERE d.id = :i"), {"i": hid}).mappings().first()
    if row is None:
        raise NotFound(f"no hidden danger {hid!r}: list them with GET /api/v1/hidden-dangers")
    return _decorate(dict(row), on or dt.date.today())


def list_items(url: str, *, on: dt.date | None = None, enterprise_id: str | None = None,
               overdue: bool | None = None, status: str | None = None, level: str | None = None,
               public_only: bool = False, limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    """Items (newest deadline last) with their flags on ``on`` (default: today).

    ``public_only``: publicly listed major items only (what the public tier may see of the register).
    ``overdue``: only overdue (True) or only not overdue (False) items on ``on``.
    """
    on = on or dt.date.today()
    where, params = [], {"on": on, "limit": limit, "offset": offset}
    if enterprise_id is not None:
        where.append("d.enterprise_id = :ent")
        params["ent"] = enterprise_id
    if status is not None:
        where.append("d.status = :status")
        params["status"] = status
    if level is not None:
        where.append("d.level = :level")
        params["level"] = level
    if public_only:
        where.append("d.public AND d.level = 'major'")
    if overdue is not None:
        where.append(("" if overdue else "NOT ") + "(d.status <> 'closed' AND d.deadline < :on)")
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + \
        " ORDER BY d.deadline, d.id LIMIT :limit OFFSET :offset"
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(sql), params).mappings().all()
    return [_decorate(dict(r), on) for r in rows]


def history(url: str, hid: str) -> list[dict[str, Any]]:
    """The item's status changes, oldest first."""
    with get_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT at, actor, role, channel, from_status, to_status, note FROM hidden_danger_history "
            "WHERE hidden_danger_id = :i ORDER BY id"), {"i": hid}).mappings()]


def transition(url: str, hid: str, to: str, *, note: str | None, actor: str, role: str | None, channel: str,
               on: dt.date | None = None) -> dict[str, Any]:
    """Move item ``hid`` to status ``to`` (a legal step only), record it in the history and the audit log,
    and return the item.

    Raises
    ------
    NotFound
        No such item.
    IllegalTransition
        The step is not allowed from the item's status (the message names the allowed ones); audited as
        a failed attempt.
    """
    with get_engine(url).begin() as conn:
        current = conn.execute(text("SELECT status FROM hidden_dangers WHERE id = :i FOR UPDATE"), {"i": hid}
                               ).scalar()
        if current is None:
            raise NotFound(f"no hidden danger {hid!r}: list them with GET /api/v1/hidden-dangers")
        try:
            check_transition(current, to)
        except InvalidInput as exc:
            conn.rollback()
            audit.record(url, actor=actor, role=role, channel=channel, action="hidden-danger-transition",
                         target=hid, outcome="failed", details={"from": current, "to": to, "error": str(exc)})
            raise
        conn.execute(text("UPDATE hidden_dangers SET status = :to, updated_at = now(), "
                          "closed_at = CASE WHEN :to = 'closed' THEN now() END WHERE id = :i"), {"to": to, "i": hid})
        conn.execute(text("INSERT INTO hidden_danger_history (hidden_danger_id, actor, role, channel, from_status, "
                          "to_status, note) VALUES (:h, :a, :r, :c, :f, :t, :n)"),
                     {"h": hid, "a": actor, "r": role, "c": channel, "f": current, "t": to, "n": note})
    audit.record(url, actor=actor, role=role, channel=channel, action="hidden-danger-transition", target=hid,
                 details={"from": current, "to": to, "note": note})
    return get(url, hid, on)
