"""Dynamic risk: the live colour rule table and live S / R by GB 18218 on level × capacity, hand-computed.

Hand computations (GB 18218-2018, the domain notes' Example 1: 氯 Q = 5 t, β = 4; 氨 Q = 10 t, β = 2;
35 residents within 500 m → α = 1.2):

- chlorine, 2 vessels × 50 t, level 40 %: q = 0.40 × 2 × 50 = 40 t → q/Q = 8; S = 8, R = 1.2 × 4 × 8 = 38.4
  → 三级 (10 ≤ R < 50);
- add ammonia, 1 vessel × 20 t at the same 40 %: q = 8 t → q/Q = 0.8; S = 8.8,
  R = 1.2 × (4 × 8 + 2 × 0.8) = 1.2 × 33.6 = 40.32;
- chlorine at 70 %: q = 70 t > 60 t design max → 超量储存; S = 14, R = 1.2 × 4 × 14 = 67.2 → 二级.
"""

from __future__ import annotations

import pytest

from geo_risk.disclosure import disclose
from geo_risk.errors import InvalidInput
from geo_risk.monitoring.dynamic_risk import (
    RAISE_STATES,
    RAISE_STEPS,
    AlarmRef,
    live_colour,
    live_item_quantity_t,
    live_unit,
)

CL = {"chemical": "氯", "max_quantity_t": 60.0, "vessel_count": 2, "vessel_capacity_t": 50.0}
NH3 = {"chemical": "氨", "max_quantity_t": 20.0, "vessel_count": 1, "vessel_capacity_t": 20.0}


def alarm(priority: str, state: str = "unack_active", active: bool = True, key: str = "HU-1-LT:HH") -> AlarmRef:
    return AlarmRef(key, key.rsplit(":", 1)[1], priority, state, active)


# -- (a) live colour ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("stored", "priority", "expected"), [
    ("blue", "high", "yellow"),        # one level
    ("yellow", "high", "orange"),
    ("blue", "critical", "orange"),    # two levels
    ("yellow", "critical", "red"),
    ("orange", "critical", "red"),     # capped at red
    ("red", "high", "red"),
    ("blue", "medium", "blue"),        # medium and low never raise
    ("yellow", "low", "yellow"),
])
def test_colour_raised_by_priority(stored: str, priority: str, expected: str) -> None:
    got = live_colour(stored, [alarm(priority)])
    assert got.colour == expected
    assert got.stored == stored  # the stored class is carried unchanged beside the live one
    assert got.active == 1 and got.worst_priority == priority


def test_table_is_the_documented_choice() -> None:
    # The table in alarm-management.md §A9 (written by hand there): critical 2, high 1, medium 0, low 0.
    assert {p: v[0] for p, v in RAISE_STEPS.items()} == {"critical": 2, "high": 1, "medium": 0, "low": 0}
    assert all(v[1] == "CHOICE" for v in RAISE_STEPS.values())


def test_steps_do_not_add_up_and_the_reason_names_the_alarm() -> None:
    got = live_colour("blue", [alarm("high", key="A-LT:H"), alarm("high", key="B-PT:H")])
    assert got.colour == "yellow" and got.steps == 1
    assert got.raising == ("A-LT:H", "B-PT:H")
    assert got.reason.startswith("动态升级")  # 中文 first
    assert "A-LT:H" in got.reason and "raised" in got.reason and "stored class is unchanged" in got.reason


@pytest.mark.parametrize(("state", "active", "raises"), [
    ("unack_active", True, True), ("ack_active", True, True), ("shelved", True, True),
    ("shelved", False, False), ("rtn_unack", False, False), ("suppressed", True, False),
    ("out_of_service", True, False), ("normal", False, False),
])
def test_which_states_raise(state: str, active: bool, raises: bool) -> None:
    got = live_colour("yellow", [alarm("critical", state, active)])
    assert (got.colour == "red") is raises
    assert (state in RAISE_STATES and active) is raises


def test_no_alarm_keeps_the_stored_colour_and_bad_input_is_named() -> None:
    got = live_colour("orange", [])
    assert got.colour == "orange" and not got.raised and got.worst_priority is None
    assert got.reason.startswith("无活动报警")
    with pytest.raises(InvalidInput, match="unknown stored colour 'green'"):
        live_colour("green", [])
    with pytest.raises(InvalidInput, match="unknown priority 'urgent'"):
        live_colour("blue", [alarm("urgent")])


def test_from_an_sse_payload() -> None:
    payload = {"key": "HU-0005-LT:HH", "sensor_id": "HU-0005-LT", "enterprise_id": "ENT-0002", "unit_id": "HU-0005",
               "kind": "HH", "priority": "critical", "state": "unack_active", "active": True, "ts": "2026-12-06T08:00Z"}
    assert live_colour("yellow", [payload]).colour == "red"


# -- (b) live inventory, S, R --------------------------------------------------------------------------

def test_live_quantity_is_level_times_capacity() -> None:
    assert live_item_quantity_t(40.0, 2, 50.0) == pytest.approx(40.0)
    assert live_item_quantity_t(40.0, None, 50.0) == pytest.approx(20.0)  # one vessel when not given
    assert live_item_quantity_t(120.0, 1, 50.0) == pytest.approx(50.0)  # an out-of-range level is clipped
    assert live_item_quantity_t(40.0, 2, None) is None


def test_live_s_and_r_hand_computed_one_substance() -> None:
    u = live_unit("HU-1", [CL], 40.0, exposed_population=35)
    assert u.items[0].live_t == pytest.approx(40.0)
    assert u.live.s == pytest.approx(8.0)
    assert u.live.alpha == pytest.approx(1.2)
    assert u.live.r == pytest.approx(38.4)
    assert u.live.grade == 3
    assert not u.overfill and u.complete


def test_live_s_and_r_hand_computed_two_substances() -> None:
    u = live_unit("HU-1", [CL, NH3], 40.0, exposed_population=35)
    assert u.live.s == pytest.approx(8.8)
    assert u.live.r == pytest.approx(40.32)


def test_overfill_above_the_design_max_and_its_figures_restricted() -> None:
    u = live_unit("HU-1", [CL], 70.0, exposed_population=35)
    assert u.items[0].live_t == pytest.approx(70.0) and u.items[0].overfill and u.overfill
    assert u.live.s == pytest.approx(14.0)
    assert u.live.r == pytest.approx(67.2)
    assert u.live.grade == 2
    assert "70.0 t > 60 t" in disclose(u.note, "restricted")
    assert "70.0" not in disclose(u.note, "public") and "60 t" not in disclose(u.note, "public")
    # at exactly the design max it is not over: 60 % → 60 t
    assert not live_unit("HU-1", [CL], 60.0, exposed_population=35).overfill


def test_no_level_or_no_capacity_gives_no_live_result() -> None:
    assert live_unit("HU-1", [CL], None, 35).live is None
    no_cap = dict(CL, vessel_capacity_t=None)
    assert live_unit("HU-1", [no_cap], 40.0, 35).live is None
    # one item without capacity counts at its design max: S = 40/5 + 20/10 = 10
    mixed = live_unit("HU-1", [CL, dict(NH3, vessel_capacity_t=None)], 40.0, 35)
    assert not mixed.complete and mixed.live.s == pytest.approx(10.0)


def test_the_notes_table_is_the_code_table() -> None:
    from pathlib import Path

    notes = (Path(__file__).resolve().parents[2] / "docs" / "standards" / "alarm-management.md").read_text("utf-8")
    section = notes.split("## A9.")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (int(cells[1]), cells[2])
    assert rows == {k: (v[0], v[1]) for k, v in RAISE_STEPS.items()}
