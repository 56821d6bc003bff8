"""SQL of the live map (issue 15): stored colours, active alarms, latest levels, and the live snapshot.

:func:`live_snapshot` reads in one REPEATABLE READ snapshot what the live map needs and hands it to the
pure rules of :mod:`geo_risk.monitoring.dynamic_risk`:

- each enterprise's **stored** four-colour class: the current zoning run's (``zoning_enterprises``)
  when there is one, else :func:`geo_risk.analysis.colours.enterprise_colour` of its official score or
  its worst GB 18218 unit grade (basis ``derived``, as the zoning would give without IR results);
- its **alarms** from the alarm service's ``alarms`` table (migration 0014; read only — when the
  table is not there yet the snapshot says so and has no alarms);
- for units with a level transmitter (quantity ``level`` in ``%``), the **latest level** of the last
  :data:`LEVEL_MAX_AGE_S` and the unit's inventory, for the live inventory, S and R.

The snapshot holds restricted figures (live quantities, S, R); the API removes them below analyst.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text

from geo_risk.analysis.colours import COLOURS, enterprise_colour, grade_colour, worst
from geo_risk.errors import GeoRiskError
from geo_risk.monitoring.dynamic_risk import AlarmRef, UnitLive, live_colour, live_unit
from geo_risk.monitoring.lifecycle import PRIORITY_LABELS, STATE_LABELS
from geo_risk.standards.gb18218 import OperatingConditions, TermCache
from geo_risk.store.db import get_engine

__all__ = ["LEVEL_MAX_AGE_S", "LiveSnapshot", "live_snapshot", "alarms_table_exists", "latest_levels",
           "overfill_levels"]

#: A level older than this (s) is not live: the unit gets no live inventory. CHOICE (one hour; the
#: SILENT alarm says much earlier that a transmitter has stopped).
LEVEL_MAX_AGE_S = 3600.0

_ENTERPRISES = """
SELECT e.id, e.name, e.risk_score, ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat
FROM enterprises e CROSS JOIN LATERAL (SELECT ST_PointOnSurface(e.geom) AS pt) p
ORDER BY e.id
"""
_UNITS = """
SELECT u.id, u.enterprise_id, u.name, u.operating_temperature_c, u.operating_pressure_mpa, u.special_process,
       a.is_major_hazard, a.grade, a.s, a.r, a.alpha, a.exposed_residents,
       ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat
FROM hazard_units u LEFT JOIN hazard_assessments a ON a.unit_id = u.id
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(u.geom) AS pt) p
ORDER BY u.id
"""
_ZONING = """
SELECT ze.enterprise_id, ze.colour FROM zoning_enterprises ze
WHERE ze.run_id = (SELECT z.id FROM zoning_runs z WHERE z.inputs_version = (SELECT inputs_version FROM data_version)
                   AND z.basis = (SELECT zoning_basis()) ORDER BY z.id DESC LIMIT 1)
"""
_ALARMS = """
SELECT a.key, a.sensor_id, coalesce(a.enterprise_id, u.enterprise_id) AS enterprise_id,
       coalesce(a.unit_id, s.unit_id) AS unit_id, a.kind, a.priority, a.state, a.active, a.message,
       a.raised_at, a.changed_at
FROM alarms a
LEFT JOIN sensors s ON s.id = a.sensor_id
LEFT JOIN hazard_units u ON u.id = coalesce(a.unit_id, s.unit_id)
WHERE a.state <> 'normal'
ORDER BY a.key
"""
# The latest reading of each level transmitter in %, within the max age: one index probe per sensor
# (readings' UNIQUE (sensor_id, ts) in every partition), never a scan of the readings.
_LEVELS = """
SELECT s.id AS sensor_id, s.unit_id, r.ts, r.value
FROM sensors s CROSS JOIN LATERAL (
    SELECT ts, value FROM readings
    WHERE sensor_id = s.id AND ts > now() - make_interval(secs => :max_age) AND ts <= now() + interval '1 hour'
    ORDER BY ts DESC LIMIT 1) r
WHERE s.quantity = 'level' AND s.uom = '%'
ORDER BY s.unit_id, s.id
"""
_INVENTORY = """
SELECT unit_id, chemical, cas, table1_seq, hazard_categories, max_quantity_t, temperature_c, pressure_mpa,
       vessel_count, vessel_capacity_t
FROM inventory WHERE unit_id = ANY(:units) ORDER BY unit_id, chemical
"""


@dataclass
class LiveSnapshot:
    """The live state: per enterprise (stored and live colour, alarms, units in alarm) and, per unit with a
    live level, its live indicators (restricted). ``alarms_store``: whether the alarm table exists."""

    enterprises: list[dict[str, Any]]
    units_in_alarm: list[dict[str, Any]]
    unit_live: dict[str, UnitLive] = field(default_factory=dict)
    unit_stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    alarms_store: bool = True
    zoning_current: bool = False
    read_at: datetime | None = None


def alarms_table_exists(conn) -> bool:  # noqa: ANN001 - a SQLAlchemy connection
    """Whether the alarm service's table (migration 0014) is in the store."""
    return bool(conn.execute(text("SELECT to_regclass('alarms') IS NOT NULL")).scalar_one())


def latest_levels(conn, max_age_s: float = LEVEL_MAX_AGE_S) -> dict[str, tuple[str, datetime, float]]:  # noqa: ANN001
    """Unit id → (sensor id, time, level %) of the latest level reading (first sensor of a unit)."""
    out: dict[str, tuple[str, datetime, float]] = {}
    for r in conn.execute(text(_LEVELS), {"max_age": float(max_age_s)}).mappings():
        out.setdefault(r["unit_id"], (r["sensor_id"], r["ts"], float(r["value"])))
    return out


_OVERFILL_LEVELS = """
SELECT s.id, min(100.0 * i.max_quantity_t / (coalesce(i.vessel_count, 1) * i.vessel_capacity_t)) AS level_pct
FROM sensors s JOIN inventory i ON i.unit_id = s.unit_id
WHERE s.quantity = 'level' AND s.uom = '%' AND i.vessel_capacity_t > 0 AND i.max_quantity_t > 0
GROUP BY s.id ORDER BY s.id
"""


def overfill_levels(url: str) -> dict[str, float]:
    """Level sensor id → the level (%) above which one of its unit's items holds more than its design maximum
    (the lowest over the unit's items with a vessel capacity): the live inventory's 超量储存 level, as
    :func:`geo_risk.monitoring.dynamic_risk.live_unit` judges it, for units of one item or several."""
    with get_engine(url).connect() as conn:
        return {r[0]: float(r[1]) for r in conn.execute(text(_OVERFILL_LEVELS))}


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and v != v) else float(v)


def live_snapshot(url: str, with_live: bool = True, max_age_s: float = LEVEL_MAX_AGE_S) -> LiveSnapshot:
    """Read the store and apply the dynamic-risk rules. ``with_live``: also the live inventory, S and R
    (restricted; skip for a public caller — it costs the inventory read and a GB 18218 pass per unit)."""
    with get_engine(url).connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        read_at = conn.execute(text("SELECT now()")).scalar_one()
        ents = [dict(r) for r in conn.execute(text(_ENTERPRISES)).mappings()]
        units = [dict(r) for r in conn.execute(text(_UNITS)).mappings()]
        zoning = {r[0]: r[1] for r in conn.execute(text(_ZONING))}
        has_alarms = alarms_table_exists(conn)
        alarms = [dict(r) for r in conn.execute(text(_ALARMS)).mappings()] if has_alarms else []
        levels = latest_levels(conn, max_age_s) if with_live else {}
        inventory: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if levels:
            for r in conn.execute(text(_INVENTORY), {"units": list(levels)}).mappings():
                inventory[r["unit_id"]].append(dict(r))

    unit_by_id = {u["id"]: u for u in units}
    units_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for u in units:
        units_of[u["enterprise_id"]].append(u)
    alarms_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    alarms_of_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in alarms:
        if a["enterprise_id"]:
            alarms_of[a["enterprise_id"]].append(a)
        if a["unit_id"]:
            alarms_of_unit[a["unit_id"]].append(a)

    out_ents = []
    for e in ents:
        eid = e["id"]
        if eid in zoning:
            stored, basis = zoning[eid], "zoning"
        else:
            unit_worst = worst(*(grade_colour(u["grade"] if u["is_major_hazard"] else None)
                                 for u in units_of.get(eid, []) if u["is_major_hazard"] is not None))
            stored, basis = enterprise_colour(_num(e["risk_score"]), unit_worst, None)
        refs = [AlarmRef.from_mapping(a) for a in alarms_of.get(eid, [])]
        lc = live_colour(stored, refs)
        in_alarm = sorted({a["unit_id"] for a in alarms_of.get(eid, []) if a["unit_id"] and a["active"]})
        out_ents.append({
            "id": eid, "name": e["name"], "lon": _num(e["lon"]), "lat": _num(e["lat"]),
            "stored_colour": stored, "stored_colour_label": f"{COLOURS[stored][1]} {COLOURS[stored][2]}",
            "stored_basis": basis,
            "live_colour": lc.colour, "live_colour_label": f"{COLOURS[lc.colour][1]} {COLOURS[lc.colour][2]}",
            "raised": lc.raised, "steps": lc.steps, "reason": lc.reason,
            "active_alarms": lc.active, "worst_priority": lc.worst_priority,
            "worst_priority_label": " ".join(PRIORITY_LABELS[lc.worst_priority]) if lc.worst_priority else None,
            "raising_alarms": list(lc.raising), "units_in_alarm": in_alarm,
        })

    order = list(PRIORITY_LABELS)
    units_in_alarm = []
    for uid, alist in sorted(alarms_of_unit.items()):
        act = [a for a in alist if a["active"] or a["state"] == "rtn_unack"]
        if not act or uid not in unit_by_id:
            continue
        u = unit_by_id[uid]
        wp = min((a["priority"] for a in act), key=order.index)
        units_in_alarm.append({
            "unit_id": uid, "unit_name": u["name"], "enterprise_id": u["enterprise_id"],
            "lon": _num(u["lon"]), "lat": _num(u["lat"]), "worst_priority": wp,
            "alarms": [{"key": a["key"], "kind": a["kind"], "priority": a["priority"], "state": a["state"],
                        "state_label": " ".join(STATE_LABELS.get(a["state"], (a["state"], a["state"]))),
                        "active": bool(a["active"]), "message": a["message"]} for a in act],
        })

    unit_live: dict[str, UnitLive] = {}
    cache = TermCache()
    for uid, (_sid, _ts, level) in levels.items():
        u = unit_by_id.get(uid)
        if u is None or not inventory.get(uid):
            continue
        cond = OperatingConditions(_num(u["operating_temperature_c"]), _num(u["operating_pressure_mpa"]),
                                   bool(u["special_process"]))
        try:
            unit_live[uid] = live_unit(uid, inventory[uid], level, _num(u["exposed_residents"]) or 0.0, cond,
                                       cache=cache)
        except GeoRiskError:  # one unit's bad inventory row must not hide the others' live figures
            continue
    stored_of = {}
    for uid in unit_live:
        u = unit_by_id[uid]
        stored_of[uid] = {"enterprise_id": u["enterprise_id"], "grade": u["grade"], "s": _num(u["s"]),
                          "r": _num(u["r"]), "level": levels[uid]}
    return LiveSnapshot(out_ents, units_in_alarm, unit_live, stored_of, has_alarms, bool(zoning), read_at)
