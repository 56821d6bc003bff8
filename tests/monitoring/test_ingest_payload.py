"""Reading payloads: every shape accepted, every bad input refused with its reason, units converted by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from geo_risk.monitoring.model import SensorSpec, convert_uom
from geo_risk.monitoring.payload import check_readings, parse_csv, parse_json, parse_ts

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
SENSORS = {
    "T1": SensorSpec("T1", "U1", "temperature", "°C", -50, 150, h=40, hh=50),
    "P1": SensorSpec("P1", "U1", "pressure", "MPa", 0, 2.5, h=1.1, hh=1.3),
    "L1": SensorSpec("L1", "U1", "level", "%", 0, 100),
}


def _check(raws):  # noqa: ANN001, ANN202
    return check_readings(raws, SENSORS, NOW, future_tolerance_s=60, retention_days=90)


def test_shapes_topic_object_list_and_wrapped() -> None:
    one, bad = parse_json(b'{"ts": "2026-12-06T04:59:00Z", "value": 21.5}', topic_sensor="T1")
    assert not bad and [(r.sensor_id, r.value) for r in one] == [("T1", 21.5)]
    assert one[0].ts == datetime(2026, 12, 6, 4, 59, tzinfo=UTC)
    many, bad = parse_json(json.dumps({"readings": [{"sensor_id": "P1", "ts": 1796533140, "value": 1},
                                                    {"sensor_id": "L1", "ts": "2026-12-06T12:59:00+08:00",
                                                     "value": "55.5"}]}))
    assert not bad
    # 1796533140 s after the epoch is 2026-12-06 04:59:00 UTC; 12:59 at +08:00 is the same instant
    assert [r.ts for r in many] == [datetime(2026, 12, 6, 4, 59, tzinfo=UTC)] * 2
    assert [r.value for r in many] == [1.0, 55.5]


@pytest.mark.parametrize(("payload", "topic", "why"), [
    (b"{not json", "T1", "not JSON"),
    (b'{"value": 1}', "T1", "no ts"),
    (b'{"ts": "2026-12-06T05:00:00", "value": 1}', "T1", "no time zone"),
    (b'{"ts": "yesterday", "value": 1}', "T1", "ts:"),
    (b'{"ts": "2026-12-06T05:00:00Z"}', "T1", "no value"),
    (b'{"ts": "2026-12-06T05:00:00Z", "value": true}', "T1", "value:"),
    (b'{"ts": "2026-12-06T05:00:00Z", "value": "abc"}', "T1", "value:"),
    (b'{"sensor_id": "P1", "ts": "2026-12-06T05:00:00Z", "value": 1}', "T1", "differs from the topic"),
    (b'[{"ts": "2026-12-06T05:00:00Z", "value": 1}]', None, "no sensor_id"),
    (b'[17]', None, "not an object"),
])
def test_malformed_payloads_are_rejects_not_errors(payload: bytes, topic: str | None, why: str) -> None:
    raws, rejects = parse_json(payload, topic)
    assert raws == []
    assert [r.reason for r in rejects] == ["malformed"]
    assert why in rejects[0].detail


def test_each_bad_reading_has_its_reason() -> None:
    raws, bad = parse_json(json.dumps([
        {"sensor_id": "T1", "ts": "2026-12-06T04:00:00Z", "value": 20},                 # good
        {"sensor_id": "NOPE", "ts": "2026-12-06T04:00:00Z", "value": 20},               # unknown sensor
        {"sensor_id": "T1", "ts": "2026-12-06T04:00:01Z", "value": float("nan")},       # NaN (JSON NaN literal)
        {"sensor_id": "T1", "ts": "2026-12-06T04:00:02Z", "value": float("inf")},
        {"sensor_id": "P1", "ts": "2026-12-06T04:00:00Z", "value": 3, "uom": "m"},      # a length for a pressure
        {"sensor_id": "L1", "ts": "2026-12-06T04:00:00Z", "value": 3, "uom": "m"},      # level m ↛ %
        {"sensor_id": "T1", "ts": "2026-12-06T05:01:01Z", "value": 20},                 # 61 s ahead
        {"sensor_id": "T1", "ts": "2026-12-06T05:01:00Z", "value": 20},                 # 60 s ahead: tolerated
        {"sensor_id": "T1", "ts": "2026-09-06T04:59:59Z", "value": 20},                 # 91 days old
    ]))
    assert not bad
    ok, rejects = _check(raws)
    assert [r.ts.second for r in ok] == [0, 0]  # the good one and the one exactly at the tolerance (05:01:00)
    assert [(j.index, j.reason) for j in rejects] == [
        (1, "unknown_sensor"), (2, "not_finite"), (3, "not_finite"), (4, "unit_mismatch"), (5, "unit_mismatch"),
        (6, "future"), (8, "too_old")]


def test_units_convert_to_the_sensors_by_hand() -> None:
    raws, _ = parse_json(json.dumps([
        {"sensor_id": "T1", "ts": "2026-12-06T04:00:00Z", "value": 212, "uom": "°F"},   # (212 − 32) × 5/9 = 100 °C
        {"sensor_id": "T1", "ts": "2026-12-06T04:00:01Z", "value": 300, "uom": "K"},    # 300 − 273.15 = 26.85 °C
        {"sensor_id": "P1", "ts": "2026-12-06T04:00:00Z", "value": 1500, "uom": "kPa"},  # 1.5 MPa
        {"sensor_id": "P1", "ts": "2026-12-06T04:00:01Z", "value": 12, "uom": "bar"},   # 1.2 MPa
    ]))
    ok, rejects = _check(raws)
    assert not rejects
    assert [round(r.value, 9) for r in ok] == [100.0, 26.85, 1.5, 1.2]
    assert convert_uom(1.0, "level", "m", "mm") == pytest.approx(1000.0)
    with pytest.raises(ValueError):
        convert_uom(1.0, "level", "m", "%")


def test_out_of_range_value_is_kept_for_the_alarm_engine() -> None:
    raws, _ = parse_json(b'{"ts": "2026-12-06T04:00:00Z", "value": 999}', "T1")  # range −50..150
    ok, rejects = _check(raws)
    assert [r.value for r in ok] == [999.0] and not rejects


def test_csv_batches() -> None:
    text = ("sensor_id,ts,value,uom\n"
            "T1,2026-12-06T04:00:00Z,21.5,\n"
            "P1,2026-12-06T04:00:00Z,1100,kPa\n"
            "T1,2026-12-06T04:00:01Z,abc,\n"
            "T1,,20,\n"
            "T1,2026-12-06T04:00:02Z,nan,\n")
    raws, bad = parse_csv(text)
    assert [j.reason for j in bad] == ["malformed", "malformed"]
    ok, rejects = _check(raws)
    assert [(r.sensor_id, round(r.value, 9)) for r in ok] == [("T1", 21.5), ("P1", 1.1)]
    assert [j.reason for j in rejects] == ["not_finite"]
    _, bad = parse_csv("a,b\n1,2\n")
    assert [j.reason for j in bad] == ["malformed"] and "header" in bad[0].detail


def test_ts_forms() -> None:
    assert parse_ts("2026-12-06T13:00:00+08:00") == datetime(2026, 12, 6, 5, tzinfo=UTC)
    assert parse_ts(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_ts("2026-12-06T05:00:00z") - parse_ts(1796533200.5) == timedelta(seconds=-0.5)
    for bad in (True, None, "2026-12-06 05:00", float("nan")):
        with pytest.raises((ValueError, TypeError)):
            parse_ts(bad)
