"""Reading payloads (MQTT messages, HTTP JSON and CSV batches) parsed and checked, pure.

A payload becomes :class:`~geo_risk.monitoring.model.Reading` objects ready to store and
:class:`Reject` records for everything refused, each with a reason code of :data:`REASONS` and a
message a sender can act on. Nothing here raises on bad input: bad input is counted, never fatal.

Accepted shapes (JSON): one object ``{"ts": …, "value": …}`` (the sensor from the MQTT topic
``georisk/readings/<sensor_id>``), an object with ``"sensor_id"``, a list of such objects, or
``{"readings": [...]}``. ``ts`` is ISO 8601 with a time zone (``2026-12-06T05:00:00Z``,
``…+08:00``) or Unix seconds; ``value`` a finite number in the sensor's unit, or in ``"uom"`` when
that is given and converts (:func:`~geo_risk.monitoring.model.convert_uom`). CSV: a header with
``sensor_id,ts,value`` and optionally ``uom``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from geo_risk.monitoring.model import Reading, SensorSpec, convert_uom

__all__ = ["REASONS", "Reject", "RawReading", "parse_json", "parse_csv", "check_readings", "TOPIC_PREFIX"]

#: Why a reading was refused (the ``reading_rejects.reason`` codes).
REASONS: dict[str, str] = {
    "unknown_sensor": "未知监测点 / no sensor of this id in the registry (load it in the sensors layer)",
    "unit_mismatch": "单位不符 / the reading's unit is not the sensor's and does not convert to it",
    "future": "时间超前 / stamped ahead of the server clock beyond the tolerance",
    "malformed": "格式错误 / not a reading: unreadable JSON or CSV, a missing or ill-typed field",
    "not_finite": "数值无效 / the value is NaN or infinite",
    "too_old": "超出保存期 / older than the retention (GEO_RISK_MONITORING_RETENTION_DAYS)",
}
TOPIC_PREFIX = "georisk/readings"
_EXCERPT = 200


@dataclass(frozen=True, slots=True)
class Reject:
    """One refused reading or payload: ``reason`` (a key of :data:`REASONS`), a message, what is known of it."""

    reason: str
    detail: str
    sensor_id: str | None = None
    ts: datetime | None = None
    excerpt: str | None = None
    index: int | None = None  # position in the batch (0-based), when known

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "sensor_id": self.sensor_id, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class RawReading:
    """A reading as sent, before the registry is consulted."""

    index: int
    sensor_id: str
    ts: datetime
    value: float
    uom: str | None = None


def _excerpt(obj: object) -> str:
    text = obj.decode("utf-8", "replace") if isinstance(obj, bytes) else (obj if isinstance(obj, str) else repr(obj))
    return text[:_EXCERPT]


def parse_ts(value: object) -> datetime:
    """A timestamp as UTC: ISO 8601 with a time zone, or Unix seconds. ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("ts is a boolean, not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("ts is not a finite number of seconds")
        return datetime.fromtimestamp(float(value), tz=UTC)
    if not isinstance(value, str):
        raise ValueError(f"ts must be ISO 8601 text or Unix seconds, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        raise ValueError(f"ts {value!r} has no time zone: add Z (UTC) or an offset such as +08:00")
    return ts.astimezone(UTC)


def _value(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"value must be a number, got {type(value).__name__}")
    return float(value)


def _one(obj: object, index: int, topic_sensor: str | None) -> RawReading | Reject:
    if not isinstance(obj, dict):
        return Reject("malformed", f"reading {index} is not an object with ts and value", excerpt=_excerpt(obj),
                      index=index)
    sid = obj.get("sensor_id", topic_sensor)
    if topic_sensor is not None and sid != topic_sensor:
        return Reject("malformed", f"sensor_id {sid!r} differs from the topic's {topic_sensor!r}",
                      sensor_id=str(sid), excerpt=_excerpt(json.dumps(obj, default=str)), index=index)
    if not isinstance(sid, str) or not sid.strip():
        return Reject("malformed", "no sensor_id (in the reading or the topic georisk/readings/<sensor_id>)",
                      excerpt=_excerpt(json.dumps(obj, default=str)), index=index)
    sid = sid.strip()
    try:
        ts = parse_ts(obj["ts"])
    except KeyError:
        return Reject("malformed", "no ts", sensor_id=sid, excerpt=_excerpt(json.dumps(obj, default=str)), index=index)
    except (ValueError, OverflowError, OSError) as exc:
        return Reject("malformed", f"ts: {exc}", sensor_id=sid, excerpt=_excerpt(json.dumps(obj, default=str)),
                      index=index)
    try:
        value = _value(obj["value"])
    except KeyError:
        return Reject("malformed", "no value", sensor_id=sid, ts=ts, index=index,
                      excerpt=_excerpt(json.dumps(obj, default=str)))
    except (TypeError, ValueError) as exc:
        return Reject("malformed", f"value: {exc}", sensor_id=sid, ts=ts, index=index,
                      excerpt=_excerpt(json.dumps(obj, default=str)))
    uom = obj.get("uom")
    if uom is not None and not isinstance(uom, str):
        return Reject("malformed", "uom must be text", sensor_id=sid, ts=ts, index=index)
    return RawReading(index, sid, ts, value, uom)


def parse_json(payload: bytes | str | object, topic_sensor: str | None = None) -> tuple[list[RawReading], list[Reject]]:
    """Readings of a JSON payload (bytes or text as received, or already decoded)."""
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            return [], [Reject("malformed", f"not JSON: {exc}", sensor_id=topic_sensor, excerpt=_excerpt(payload))]
    if isinstance(payload, dict) and "readings" in payload:
        payload = payload["readings"]
    items = payload if isinstance(payload, list) else [payload]
    raws: list[RawReading] = []
    rejects: list[Reject] = []
    for i, obj in enumerate(items):
        r = _one(obj, i, topic_sensor)
        (raws if isinstance(r, RawReading) else rejects).append(r)  # type: ignore[arg-type]
    return raws, rejects


def parse_csv(text: str) -> tuple[list[RawReading], list[Reject]]:
    """Readings of a CSV batch with a header naming ``sensor_id``, ``ts``, ``value`` (and optionally ``uom``)."""
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower() for f in (reader.fieldnames or [])}
    if not {"sensor_id", "ts", "value"} <= fields:
        return [], [Reject("malformed", "CSV needs a header with sensor_id, ts, value (and optionally uom); got "
                           f"{sorted(fields)}", excerpt=_excerpt(text))]
    raws: list[RawReading] = []
    rejects: list[Reject] = []
    for i, row in enumerate(reader):
        row = {(k or "").strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()}
        if row.get("uom") == "":
            row["uom"] = None
        r = _one(row, i, None)
        (raws if isinstance(r, RawReading) else rejects).append(r)  # type: ignore[arg-type]
    return raws, rejects


def check_readings(
    raws: Iterable[RawReading],
    sensors: Mapping[str, SensorSpec],
    now: datetime,
    future_tolerance_s: float,
    retention_days: int,
) -> tuple[list[Reading], list[Reject]]:
    """Readings against the registry and the clock: known sensor, finite value, unit, not ahead, not too old.

    A value outside the instrument's range is kept: that is a sensor fault for the alarm engine, not bad input.
    ``now`` is timezone-aware UTC.
    """
    latest = now + timedelta(seconds=future_tolerance_s)
    oldest = now - timedelta(days=retention_days)
    ok: list[Reading] = []
    rejects: list[Reject] = []
    for r in raws:
        spec = sensors.get(r.sensor_id)
        if spec is None:
            rejects.append(Reject("unknown_sensor", f"no sensor {r.sensor_id!r} in the registry", r.sensor_id, r.ts,
                                  index=r.index))
            continue
        if not math.isfinite(r.value):
            rejects.append(Reject("not_finite", f"value {r.value!r} is not a finite number", r.sensor_id, r.ts,
                                  index=r.index))
            continue
        value = r.value
        if r.uom is not None and r.uom != spec.uom:
            try:
                value = convert_uom(value, spec.quantity, r.uom, spec.uom)
            except ValueError as exc:
                rejects.append(Reject("unit_mismatch", f"sensor {r.sensor_id!r} reads {spec.quantity} in {spec.uom}; "
                                      f"got {r.uom!r} ({exc})", r.sensor_id, r.ts, index=r.index))
                continue
        if r.ts > latest:
            rejects.append(Reject("future", f"ts {r.ts.isoformat()} is {(r.ts - now).total_seconds():.0f} s ahead of "
                                  f"the server clock (tolerance {future_tolerance_s:g} s)", r.sensor_id, r.ts,
                                  index=r.index))
            continue
        if r.ts < oldest:
            rejects.append(Reject("too_old", f"ts {r.ts.isoformat()} is older than the {retention_days}-day retention",
                                  r.sensor_id, r.ts, index=r.index))
            continue
        ok.append(Reading(r.sensor_id, r.ts, value))
    return ok, rejects
