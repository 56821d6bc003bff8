"""EEMUA 191 figures on a constructed alarm log, every expected number worked out by hand below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import AlarmEvent, parameters
from geo_risk.monitoring.metrics import eemua_figures, event_log

H8 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def hm(m: int, s: int = 0) -> datetime:
    return H8 + timedelta(minutes=m, seconds=s)


def _log() -> pd.DataFrame:
    rows = []

    def alarm(key, area, raise_at, clear_after_s=None):
        rows.append((raise_at, key, area, "raise"))
        if clear_after_s is not None:
            rows.append((raise_at + timedelta(seconds=clear_after_s), key, area, "clear"))

    # area A
    for s in (0, 20, 50):  # A1:H — 3 activations within 50 s: chattering
        alarm("A1:H", "A", hm(0, s), 5)
    for m in range(1, 10):  # A2:HH — 9 in 08:01..08:09, one a minute
        alarm("A2:HH", "A", hm(m), 5)
    for k in range(10):  # A2:HH — 10 in 08:10:00..08:18:15, 55 s apart
        alarm("A2:HH", "A", hm(10) + timedelta(seconds=55 * k), 5)
    alarm("A3:L", "A", hm(25))  # never cleared
    # area B
    alarm("B1:H", "B", hm(5), 35 * 60)  # cleared at 08:40
    for s in (0, 30, 65):  # B2:LL — 3 activations but 65 s from first to last: not chattering
        alarm("B2:LL", "B", hm(50, s), 3)
    df = pd.DataFrame(rows, columns=["ts", "key", "area", "transition"])
    df["priority"] = df["key"].map(lambda k: {"HH": "critical", "LL": "critical", "H": "high", "L": "medium"}[
        k.split(":")[1]])
    return df.sample(frac=1.0, random_state=1)  # any order


def test_figures_of_a_constructed_log():
    p = parameters({"standing_after_s": 1800.0})  # a CHOICE: 30 min, so an hour's window can show it
    f = eemua_figures(_log(), start=hm(0), end=hm(59, 59), params=p)
    by = {a.area: a for a in f.areas}
    # 6 periods of 10 min (08:00 … 08:50). A: [3 + 9, 10, 1, 0, 0, 0] → 23; B: [1, 0, 0, 0, 0, 3] → 4
    a, b, al = by["A"], by["B"], by["*"]
    assert (a.periods, a.activations, a.peak_per_10min) == (6, 23, 12)
    assert a.average_per_10min == pytest.approx(23 / 6)
    assert (a.flood_periods, a.flood_pct) == (1, pytest.approx(100 / 6))  # 12 > 10; 10 is not a flood
    assert (a.periods_over_acceptable, a.periods_over_manageable) == (2, 2)
    assert (b.activations, b.peak_per_10min, b.flood_periods) == (4, 3, 0)
    assert b.average_per_10min == pytest.approx(4 / 6)
    assert (b.periods_over_acceptable, b.periods_over_manageable) == (1, 1)
    # all areas: [13, 10, 1, 0, 0, 3]
    assert (al.activations, al.peak_per_10min, al.flood_periods) == (27, 13, 1)
    assert al.average_per_10min == pytest.approx(4.5)
    assert al.periods_over_acceptable == 3
    # chattering: only A1:H (three activations, first to last 50 s)
    assert [(c["key"], c["activations"], c["first"]) for c in f.chattering] == [("A1:H", 3, 50.0)]
    # bad actors: A2:HH 19, then the 3s (by key), then the 1s
    assert [(t["key"], t["activations"]) for t in f.top] == [
        ("A2:HH", 19), ("A1:H", 3), ("B2:LL", 3), ("A3:L", 1), ("B1:H", 1)]
    assert f.top[0]["share"] == pytest.approx(19 / 27)
    assert f.top_share == pytest.approx(1.0)
    # standing (> 30 min): B1:H 08:05 → 08:40 (2,100 s); A3:L 08:25 → window end 08:59:59 (2,099 s)
    assert [(s["key"], round(s["hours"] * 3600), s["still_active"]) for s in f.standing] == [
        ("A3:L", 2099, True), ("B1:H", 2100, False)]
    # priorities of the 27 activations: HH 19 + LL 3 critical, H 3 + 1 high, L 1 medium
    assert f.priorities == pytest.approx({"critical": 22 / 27, "high": 4 / 27, "medium": 1 / 27})
    assert f.benchmarks["flood_per_10min"] == {"value": 10.0, "unit": "alarms/10 min", "tag": "C2"}


def test_chattering_boundary_is_inclusive():
    # three activations with first and last exactly 60 s apart are chattering; 61 s apart are not
    for last, expected in ((60, ["X:H"]), (61, [])):
        rows = pd.DataFrame([(hm(0, s), "X:H", "A", "raise") for s in (0, 30, last)],
                            columns=["ts", "key", "area", "transition"])
        assert [c["key"] for c in eemua_figures(rows).chattering] == expected


def test_the_default_standing_time_is_24_hours():
    f = eemua_figures(_log(), start=hm(0), end=hm(59, 59))
    assert f.standing == []
    rows = pd.DataFrame([(hm(0), "X:H", "A", "raise")], columns=["ts", "key", "area", "transition"])
    f = eemua_figures(rows, start=hm(0), end=hm(0) + timedelta(hours=24, seconds=1))
    assert [(s["key"], s["still_active"]) for s in f.standing] == [("X:H", True)]
    f = eemua_figures(rows, start=hm(0), end=hm(0) + timedelta(hours=24))
    assert f.standing == []  # exactly 24 h is not longer than 24 h


def test_periods_are_aligned_on_the_clock_and_the_window_defaults_to_the_log():
    rows = pd.DataFrame([(hm(7), "X:H", "A", "raise"), (hm(12), "X:H", "A", "raise")],
                        columns=["ts", "key", "area", "transition"])
    f = eemua_figures(rows)
    # 08:07 and 08:12 fall in the periods 08:00–08:10 and 08:10–08:20: two periods, one alarm each
    assert [(a.area, a.periods, a.peak_per_10min) for a in f.areas] == [("A", 2, 1), ("*", 2, 1)]


def test_from_engine_events_and_bad_logs():
    evs = [AlarmEvent("S1", "H", "raise", hm(1), 1.0, 0.5, "U1", "U1", ""),
           AlarmEvent("S1", "H", "clear", hm(2), 0.1, 0.5, "U1", "U1", "")]
    f = eemua_figures(evs, start=hm(0), end=hm(9, 59))
    assert [(a.area, a.activations, a.periods) for a in f.areas] == [("U1", 1, 1), ("*", 1, 1)]
    log = event_log(evs, {"H": "high"})
    assert list(log["priority"]) == ["high", "high"]
    with pytest.raises(InvalidInput, match="lacks column"):
        eemua_figures(pd.DataFrame({"ts": [hm(0)]}))
    with pytest.raises(InvalidInput, match="empty alarm log"):
        eemua_figures([])
    with pytest.raises(InvalidInput, match="'raise' or 'clear'"):
        eemua_figures(pd.DataFrame([(hm(0), "k", "a", "up")], columns=["ts", "key", "area", "transition"]))
    with pytest.raises(InvalidInput, match="before its start"):
        eemua_figures(evs, start=hm(5), end=hm(1))
    quiet = eemua_figures([], start=hm(0), end=hm(59))
    assert [(a.area, a.activations, a.periods) for a in quiet.areas] == [("*", 0, 6)]
