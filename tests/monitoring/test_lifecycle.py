"""The ISA-18.2 alarm lifecycle: transitions, shelving with automatic unshelve, audit, illegal actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import AlarmEvent
from geo_risk.monitoring.lifecycle import (
    PRIORITIES,
    Alarm,
    AlarmBoard,
    IllegalTransition,
    priority_of,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def ev(kind: str, transition: str, s: float, sensor: str = "LT1", area: str = "TK1") -> AlarmEvent:
    return AlarmEvent(sensor, kind, transition, at(s), 1.0, None, area, area, "")


def test_ack_then_return_to_normal():
    a = Alarm("LT1:H")
    a.activate(at(0))
    assert a.state == "unack_active"
    a.acknowledge("王工", at(5))
    assert (a.state, a.acknowledged_by, a.acknowledged_at) == ("ack_active", "王工", at(5))
    a.clear(at(10))
    assert a.state == "normal"
    assert [(r.action, r.from_state, r.to_state, r.who, r.ts) for r in a.audit] == [
        ("activate", "normal", "unack_active", "system", at(0)),
        ("acknowledge", "unack_active", "ack_active", "王工", at(5)),
        ("clear", "ack_active", "normal", "system", at(10)),
    ]


def test_return_to_normal_unacknowledged_then_ack_or_reactivate():
    a = Alarm("LT1:H")
    a.activate(at(0))
    a.clear(at(3))
    assert a.state == "rtn_unack"
    a.activate(at(4))  # comes back before anyone acknowledged
    assert a.state == "unack_active"
    a.clear(at(6))
    a.acknowledge("li", at(8))
    assert a.state == "normal"


def test_shelve_with_automatic_unshelve_while_active():
    board = AlarmBoard()
    board.apply([ev("H", "raise", 0)])
    board.shelve("LT1:H", "王工", at(10), until=at(3600), reason="transmitter being recalibrated")
    a = board.get("LT1:H")
    assert a.state == "shelved" and not a.annunciated
    board.apply([ev("H", "clear", 20), ev("H", "raise", 30)])  # followed while shelved, nothing annunciated
    assert a.state == "shelved" and a.condition
    assert board.tick(at(3599)) == []
    recs = board.tick(at(4000))
    assert [(r.action, r.who, r.ts, r.from_state, r.to_state, r.reason) for r in recs] == [
        ("unshelve", "system", at(3600), "shelved", "unack_active", "shelf expired")]
    # back as a new unacknowledged alarm: annunciated again, at the shelf's end
    assert [(ts, key) for ts, key, _, _ in board.annunciations] == [(at(0), "LT1:H"), (at(3600), "LT1:H")]


def test_shelf_expiring_while_normal_goes_to_normal():
    board = AlarmBoard()
    board.apply([ev("H", "raise", 0)])
    board.shelve("LT1:H", "wang", at(1), until=at(100))
    board.apply([ev("H", "clear", 50)])
    board.tick(at(100))
    assert board.get("LT1:H").state == "normal"
    assert len(board.annunciations) == 1


def test_shelving_is_time_limited():
    a = Alarm("LT1:H")
    with pytest.raises(InvalidInput, match="at most 12 h"):
        a.shelve("wang", at(0), until=at(12 * 3600 + 1))
    with pytest.raises(InvalidInput, match="must be after now"):
        a.shelve("wang", at(10), until=at(10))
    a.shelve("wang", at(0), until=at(12 * 3600))
    assert a.state == "shelved"


def test_suppression_and_out_of_service():
    board = AlarmBoard()
    board.apply([ev("LL", "raise", 0)])
    board.suppress("LT1:LL", "logic", at(5), reason="unit TK1 shut down")
    assert board.get("LT1:LL").state == "suppressed"
    board.apply([ev("LL", "clear", 6)])
    board.unsuppress("LT1:LL", "logic", at(7))
    assert board.get("LT1:LL").state == "normal"
    board.remove_from_service("LT1:LL", "zhao", at(8), reason="work order 42")
    board.apply([ev("LL", "raise", 9)])
    board.return_to_service("LT1:LL", "zhao", at(10))
    assert board.get("LT1:LL").state == "unack_active"
    assert [(r.action, r.from_state, r.to_state) for r in board.audit] == [
        ("activate", "normal", "unack_active"),
        ("suppress", "unack_active", "suppressed"),
        ("unsuppress", "suppressed", "normal"),
        ("remove_from_service", "normal", "out_of_service"),
        ("return_to_service", "out_of_service", "unack_active"),
    ]
    assert [r.reason for r in board.audit][1] == "unit TK1 shut down"


@pytest.mark.parametrize(("setup", "action", "message"), [
    ([], lambda a: a.acknowledge("wang", at(1)), "cannot acknowledge alarm LT1:H: it is 正常 / normal"),
    (["activate", "ack"], lambda a: a.acknowledge("wang", at(2)), "it is 报警已确认 / active, acknowledged"),
    ([], lambda a: a.clear(at(1)), "cannot clear"),
    (["activate"], lambda a: a.activate(at(1)), "cannot activate"),
    ([], lambda a: a.unshelve("wang", at(1)), "cannot unshelve"),
    (["shelve"], lambda a: a.shelve("wang", at(2), at(30)), "cannot shelve"),
    (["shelve"], lambda a: a.acknowledge("wang", at(2)), "allowed now: unshelve, remove_from_service"),
    ([], lambda a: a.return_to_service("wang", at(1)), "cannot return to service"),
])
def test_illegal_transitions_raise_a_clear_error(setup, action, message):
    a = Alarm("LT1:H")
    for step in setup:
        {"activate": lambda: a.activate(at(0)), "ack": lambda: a.acknowledge("wang", at(0)),
         "shelve": lambda: a.shelve("wang", at(0), at(60))}[step]()
    before = (a.state, len(a.audit))
    with pytest.raises(IllegalTransition, match=message):
        action(a)
    assert (a.state, len(a.audit)) == before


def test_actions_need_a_person_and_suppression_a_reason():
    a = Alarm("LT1:H")
    a.activate(at(0))
    with pytest.raises(InvalidInput, match="say who"):
        a.acknowledge("", at(1))
    with pytest.raises(InvalidInput, match="design reason"):
        a.suppress("wang", at(1), reason="")
    board = AlarmBoard()
    with pytest.raises(InvalidInput, match="no alarm 'X:H'"):
        board.acknowledge("X:H", "wang", at(0))


def test_priorities():
    assert [priority_of(k) for k in ("HH", "H", "ROC", "STUCK", "OVERFILL")] == [
        "critical", "high", "medium", "low", "critical"]
    assert priority_of("SILENT", "toxic_gas") == "medium"
    assert set(PRIORITIES.values()) == {"critical", "high", "medium", "low"}
    with pytest.raises(InvalidInput, match="unknown alarm kind"):
        priority_of("XX")
    board = AlarmBoard({"LT1": "level"})
    board.apply([ev("ROC", "raise", 0), ev("HH", "raise", 1), ev("H", "raise", 2)])
    assert [a.key for a in board.annunciated()] == ["LT1:HH", "LT1:H", "LT1:ROC"]
    assert [p for *_, p in board.annunciations] == ["medium", "critical", "high"]
