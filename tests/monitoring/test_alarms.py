"""The alarm evaluator on hand-made signals whose alarms are known, and against the naive evaluator."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from geo_risk.disclosure import disclose
from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import (
    PARAMETERS,
    AlarmEngine,
    NaiveEvaluator,
    OverfillRule,
    live_inventory_t,
    parameters,
    recommended_spec,
    replay,
    unfiltered_spec,
)
from geo_risk.monitoring.model import Reading, SensorSpec

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def signal(sensor: str, values: list[float], dt: float = 1.0, t0: float = 0.0) -> list[Reading]:
    return [Reading(sensor, at(t0 + i * dt), float(v)) for i, v in enumerate(values)]


def spec(**kw) -> SensorSpec:
    base = dict(id="LT1", unit_id="U1", quantity="level", uom="%", range_lo=0.0, range_hi=100.0)
    base.update(kw)
    return SensorSpec(**base)


def run(specs, readings, engine=AlarmEngine, **kw):
    e = engine(specs, **kw)
    return [(ev.kind, ev.transition, (ev.ts - T0).total_seconds()) for ev in e.feed(readings)], e


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_deadband_holds_the_alarm(engine):
    # H = 80, deadband 5: raised at 81, held at 79 and 76 (≥ 75), still active at 81, cleared at 74 (< 75)
    vals = [70, 81, 79, 76, 81, 74, 70]
    got, _ = run([spec(h=80, deadband=5)], signal("LT1", vals), engine)
    assert got == [("H", "raise", 1.0), ("H", "clear", 5.0)]
    # without the deadband the same signal raises twice
    got, _ = run([spec(h=80)], signal("LT1", vals), engine)
    assert got == [("H", "raise", 1.0), ("H", "clear", 2.0), ("H", "raise", 4.0), ("H", "clear", 5.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_on_delay_swallows_a_short_spike_and_raises_a_held_excursion(engine):
    # on-delay 10 s, 1 s readings: 3 s above the limit is swallowed; a held excursion starting at
    # t = 13 raises at t = 23 (the first reading 10 s into the run)
    vals = [70] * 5 + [85] * 3 + [70] * 5 + [85] * 15
    got, _ = run([spec(h=80, on_delay_s=10)], signal("LT1", vals), engine)
    assert got == [("H", "raise", 23.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_off_delay_needs_the_value_back_for_its_time(engine):
    # raised at 0; back under at 1..3 (3 s < off-delay 5 s), up at 4, under again from 5: cleared at 10
    vals = [85, 70, 70, 70, 85] + [70] * 8
    got, _ = run([spec(h=80, off_delay_s=5)], signal("LT1", vals), engine)
    assert got == [("H", "raise", 0.0), ("H", "clear", 10.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_chatter_is_suppressed_by_the_deadband(engine):
    # 79.5 / 80.5 alternating for a minute: every raw crossing is an alarm (30), with a 1-unit
    # deadband the alarm is raised once and held until the value drops to 70
    vals = [79.5, 80.5] * 30 + [70]
    raw, _ = run([spec(h=80)], signal("LT1", vals), engine)
    assert sum(1 for k, tr, _ in raw if tr == "raise") == 30
    filt, _ = run([spec(h=80, deadband=1.0)], signal("LT1", vals), engine)
    assert filt == [("H", "raise", 1.0), ("H", "clear", 60.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_low_limits(engine):
    # L 10, LL 5, deadband 1: L at 9, LL at 4, LL clears at 6.5 (> 6), L clears at 12 (> 11), not at 10.5
    vals = [20, 9, 4, 6.5, 10.5, 12]
    got, _ = run([spec(l=10, ll=5, deadband=1)], signal("LT1", vals), engine)
    assert got == [("L", "raise", 1.0), ("LL", "raise", 2.0), ("LL", "clear", 3.0), ("L", "clear", 5.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_high_high_and_high_are_separate_alarms(engine):
    got, _ = run([spec(h=80, hh=90)], signal("LT1", [50, 85, 95, 85, 50]), engine)
    assert got == [("H", "raise", 1.0), ("HH", "raise", 2.0), ("HH", "clear", 3.0), ("H", "clear", 4.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_rate_of_change(engine):
    # limit 10 %/min; 1 s readings: 50 → 50.1 is 6 %/min (no), → 60 is 594 %/min (raise),
    # → 60.05 is 3 %/min (clear, no off-delay)
    e = engine([spec(rate_limit=10.0)])
    ev = e.feed(signal("LT1", [50, 50.1, 60, 60.05]))
    assert [(x.kind, x.transition, (x.ts - T0).total_seconds()) for x in ev] == [("ROC", "raise", 2.0),
                                                                               ("ROC", "clear", 3.0)]
    assert ev[0].limit == 10.0
    assert "594 %/min" in ev[0].message


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_out_of_range_is_a_fault_not_a_process_alarm(engine):
    # 120 on a 0-100 instrument: RANGE, and the H limit is neither raised nor cleared by it
    got, _ = run([spec(h=80)], signal("LT1", [50, 120, float("nan"), 50, 85, 120, 70]), engine)
    assert got == [("RANGE", "raise", 1.0), ("RANGE", "clear", 3.0), ("H", "raise", 4.0),
                   ("RANGE", "raise", 5.0), ("H", "clear", 6.0), ("RANGE", "clear", 6.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_stuck_sensor(engine):
    # readings every 60 s, 42.0 from t = 0: flat for 900 s at t = 900 (reading 15): STUCK; the first
    # change clears it
    vals = [42.0] * 16 + [42.5]
    got, _ = run([spec()], signal("LT1", vals, dt=60), engine)
    assert got == [("STUCK", "raise", 900.0), ("STUCK", "clear", 960.0)]
    # a change within the tolerance (1e-4 × span = 0.01) is no change; a CHOICE override of the time
    vals = [42.0, 42.005] * 4
    got, _ = run([spec()], signal("LT1", vals, dt=60), engine,
                 params=parameters({"stuck_after_s": 300}))
    assert got == [("STUCK", "raise", 300.0)]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_silent_sensor_on_the_clock(engine):
    s = [spec(silent_after_s=60), spec(id="LT2", silent_after_s=60)]
    e = engine(s, started=at(0))
    assert e.feed(signal("LT1", [50], t0=10)) == []
    assert e.tick(at(59)) == []
    ev = e.tick(at(60))  # LT2 never reported since the start
    assert [(x.sensor_id, x.kind, x.transition) for x in ev] == [("LT2", "SILENT", "raise")]
    ev = e.tick(at(70))  # LT1: last reading at 10
    assert [(x.sensor_id, x.kind, x.transition, x.ts) for x in ev] == [("LT1", "SILENT", "raise", at(70))]
    assert e.tick(at(80)) == []  # raised once
    ev = e.feed(signal("LT1", [51], t0=90))
    assert [(x.sensor_id, x.kind, x.transition) for x in ev] == [("LT1", "SILENT", "clear")]
    assert e.active() == [("LT2", "SILENT")]


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_overfill_and_its_restricted_text(engine):
    rule = OverfillRule("LT1", capacity_m3=1000.0, density_t_m3=0.74, design_max_t=650.0)
    # level at which 650 t are held: 650 / (1000 × 0.74) = 87.84 %; deadband 1 % of it: clears ≤ 86.96 %
    assert rule.level_pct == pytest.approx(87.8378, abs=1e-4)
    assert live_inventory_t(88.0, 1000.0, 0.74) == pytest.approx(651.2)
    e = engine([spec()], overfill=[rule])
    ev = e.feed(signal("LT1", [80.0, 87.8, 88.0, 87.5, 86.9]))
    assert [(x.kind, x.transition, (x.ts - T0).total_seconds()) for x in ev] == [("OVERFILL", "raise", 2.0),
                                                                               ("OVERFILL", "clear", 4.0)]
    raised = ev[0]
    assert raised.limit is None
    analyst = disclose(raised.message, "restricted")
    public = disclose(raised.message, "public")
    assert "651.2 t" in analyst and "650.0 t" in analyst
    assert "超量储存" in public and "storage above the design maximum" in public
    assert not any(ch.isdigit() for ch in public.replace("LT1", ""))


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_boundaries(engine):
    # at the limit is in alarm; back exactly at limit − deadband is not yet clear
    got, _ = run([spec(h=80, deadband=5)], signal("LT1", [80, 75, 74.5]), engine)
    assert got == [("H", "raise", 0.0), ("H", "clear", 2.0)]
    got, _ = run([spec(l=10, deadband=5)], signal("LT1", [10, 15, 15.5]), engine)
    assert got == [("L", "raise", 0.0), ("L", "clear", 2.0)]
    # the instrument's range ends are in range
    got, _ = run([spec()], signal("LT1", [0.0, 100.0]), engine)
    assert got == []
    # a rate exactly at the limit is not above it: 0.5 per s = 30 per min
    got, _ = run([spec(rate_limit=30.0)], signal("LT1", [50.0, 50.5, 52.0]), engine)
    assert got == [("ROC", "raise", 2.0)]
    # a change exactly of the tolerance is no change: span 10,000 → tolerance 1.0
    got, _ = run([spec(range_hi=10_000.0)], signal("LT1", [100.0, 101.0] * 9, dt=60), engine)
    assert got == [("STUCK", "raise", 900.0)]
    # overfill: exactly the design maximum is not above it; clears at 99 % of it (80 → 79.2)
    rule = OverfillRule("LT1", capacity_m3=100.0, density_t_m3=1.0, design_max_t=80.0)
    got, _ = run([spec()], signal("LT1", [80.0, 80.5, 79.3, 79.2]), engine, overfill=[rule])
    assert got == [("OVERFILL", "raise", 1.0), ("OVERFILL", "clear", 3.0)]


def test_overfill_rule_checks():
    with pytest.raises(InvalidInput, match="density_t_m3 must be > 0"):
        OverfillRule("LT1", 100.0, 0.0, 10.0)
    with pytest.raises(InvalidInput, match="needs a level sensor"):
        AlarmEngine([spec(quantity="pressure", uom="MPa")], overfill=[OverfillRule("LT1", 1.0, 1.0, 1.0)])
    with pytest.raises(InvalidInput, match="unknown sensor"):
        AlarmEngine([spec()], overfill=[OverfillRule("XX", 1.0, 1.0, 1.0)])


@pytest.mark.parametrize("engine", [AlarmEngine, NaiveEvaluator])
def test_duplicates_late_and_unknown_readings_are_counted_and_skipped(engine):
    r = signal("LT1", [50, 85, 86])
    e = engine([spec(h=80)])
    ev = e.feed([r[0], r[1], r[1], Reading("nope", at(1), 99.0)])
    assert [(x.kind, x.transition) for x in ev] == [("H", "raise")]
    assert e.feed([r[0], r[2]]) == []  # r[0] is late; r[2] holds the alarm
    assert e.feed([r[2]]) == []  # delivered again in a later batch
    assert (e.stale, e.unknown, e.readings) == (3, 1, 3)


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    specs = []
    for i in range(12):
        specs.append(spec(id=f"S{i}", ll=5, l=10, h=80, hh=90, deadband=float(rng.choice([0, 2])),
                          on_delay_s=float(rng.choice([0, 3])), off_delay_s=float(rng.choice([0, 5])),
                          rate_limit=float(rng.choice([30, 200])), silent_after_s=20.0))
    readings = []
    for i, s in enumerate(specs):
        n = 600
        ts = np.cumsum(rng.choice([1, 1, 1, 2, 30], n))
        v = np.clip(50 + 45 * np.sin(ts / 60 + i) + rng.normal(0, 3, n), -5, 105)
        v[rng.random(n) < 0.01] = np.nan
        for j in np.flatnonzero(rng.random(n) < 0.4):
            if j:
                v[j] = v[j - 1]
        readings += [Reading(s.id, at(float(a)), float(b)) for a, b in zip(ts, v, strict=True)]
    readings.sort(key=lambda r: r.ts)
    readings += readings[:40]  # duplicates, delivered late
    readings.sort(key=lambda r: r.ts)
    rule = OverfillRule("S0", 100.0, 0.8, 70.0)
    return specs, [rule], readings


def _key(e):
    v = None if e.value is None or math.isnan(e.value) else e.value
    return (e.sensor_id, e.kind, e.transition, e.ts, v, e.limit, e.message)


@pytest.mark.parametrize("seed", [1, 2])
def test_vectorised_engine_equals_the_naive_evaluator(seed):
    specs, rules, readings = _random_case(seed)
    params = parameters({"stuck_after_s": 4.0})  # short, so flat runs of the random signal are stuck
    a = AlarmEngine(specs, rules, params=params)
    b = NaiveEvaluator(specs, rules, params=params)
    ea, eb = replay(a, readings, tick_s=7.0), replay(b, readings, tick_s=7.0)
    kinds = {e.kind for e in ea}
    assert kinds == {"HH", "H", "L", "LL", "ROC", "RANGE", "STUCK", "OVERFILL", "SILENT"}
    assert len(ea) > 500
    assert [_key(e) for e in ea] == [_key(e) for e in eb]
    assert a.active() == b.active()
    assert (a.stale, a.readings) == (b.stale, b.readings) == (40, len(readings) - 40)


def test_batching_does_not_change_the_answer():
    specs, rules, readings = _random_case(3)
    params = parameters({"stuck_after_s": 4.0})
    whole = AlarmEngine(specs, rules, params=params).feed(readings)
    e = AlarmEngine(specs, rules, params=params)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(len(readings), 60, replace=False))
    pieces = []
    for a, b in zip([0, *cuts], [*cuts, len(readings)], strict=True):
        pieces += e.feed(readings[a:b])
    assert [_key(x) for x in pieces] == [_key(x) for x in whole]


def test_parameters_and_their_overrides():
    assert parameters()["flood_per_10min"] == 10.0
    with pytest.raises(InvalidInput, match="cannot be overridden"):
        parameters({"flood_per_10min": 20})
    with pytest.raises(InvalidInput, match="unknown alarm parameter"):
        parameters({"flod_per_10min": 20})
    with pytest.raises(InvalidInput, match="≥ 0"):
        parameters({"stuck_after_s": -1})
    assert {p.tag for p in PARAMETERS.values()} <= {"C2", "C1", "UNCONFIRMED", "CHOICE"}
    # the model's default silent time is the table's
    assert SensorSpec("a", "u", "level", "%", 0, 1).silent_after_s == PARAMETERS["silent_after_s"].value


def test_recommended_and_unfiltered_specs():
    s = recommended_spec(spec(h=80))  # level, span 100: 5 % → 5.0, 60 s delays
    assert (s.deadband, s.on_delay_s, s.off_delay_s) == (5.0, 60.0, 60.0)
    t = recommended_spec(spec(quantity="temperature", uom="°C", range_lo=-30, range_hi=80, deadband=0.5))
    assert (t.deadband, t.on_delay_s) == (0.5, 60.0)  # its own deadband is kept
    p = recommended_spec(spec(quantity="pressure", uom="MPa", range_lo=0, range_hi=1.6))
    assert p.deadband == pytest.approx(0.032) and p.on_delay_s == 15.0
    assert unfiltered_spec(s) == replace(s, deadband=0.0, on_delay_s=0.0, off_delay_s=0.0)


def test_engine_rejects_bad_specs():
    with pytest.raises(InvalidInput, match="twice"):
        AlarmEngine([spec(), spec()])
    with pytest.raises(InvalidInput, match="range_hi"):
        AlarmEngine([spec(range_lo=5, range_hi=5)])


def test_the_notes_table_is_the_code_table():
    from pathlib import Path

    notes = (Path(__file__).resolve().parents[2] / "docs" / "standards" / "alarm-management.md").read_text("utf-8")
    section = notes.split("## A6.")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (float(cells[1]), cells[2], cells[3])
    assert rows == {k: (p.value, p.unit, p.tag) for k, p in PARAMETERS.items()}


def test_the_setting_takes_only_choice_overrides(monkeypatch):
    from geo_risk.settings import Settings

    monkeypatch.setenv("GEO_RISK_ALARM_PARAMETERS", '{"stuck_after_s": 1800}')
    assert parameters(Settings().alarm_parameters)["stuck_after_s"] == 1800.0
    monkeypatch.setenv("GEO_RISK_ALARM_PARAMETERS", '{"chatter_count": 5}')
    with pytest.raises(ValueError, match="cannot be overridden"):
        Settings()


def test_restored_conditions_clear_instead_of_raising_again():
    """A restart takes back the stored active conditions: a high value keeps them quiet, a normal value clears."""
    s = spec(h=80.0, deadband=0.0, on_delay_s=0.0, off_delay_s=0.0, silent_after_s=60.0)
    e = AlarmEngine([s], started=T0)
    assert e.restore([("LT1", "H"), ("LT1", "SILENT"), ("NOPE", "H"), ("LT1", "NO_SUCH_KIND")]) == 2
    assert e.active() == [("LT1", "H"), ("LT1", "SILENT")]
    # the first reading ends the silence and, above H, raises nothing: H is already active (a fresh engine raises)
    assert [(x.kind, x.transition) for x in e.feed(signal("LT1", [90.0]))] == [("SILENT", "clear")]
    assert [(x.kind, x.transition) for x in AlarmEngine([s], started=T0).feed(signal("LT1", [90.0]))] == [
        ("H", "raise")]
    events = e.feed(signal("LT1", [50.0], t0=5.0))
    assert [(x.kind, x.transition) for x in events] == [("H", "clear")]
