"""The simulator: reproducible readings, injected faults each raising its alarm, filtering measured."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import AlarmEngine, replay, unfiltered_spec
from geo_risk.monitoring.lifecycle import AlarmBoard
from geo_risk.monitoring.metrics import eemua_figures
from geo_risk.monitoring.simulate import (
    DEFAULT_START,
    InjectedFault,
    builtin_plant,
    default_faults,
    fault_alarms,
    read_sensors,
    simulate,
)


@pytest.fixture(scope="module")
def run():
    r = simulate(seed=7)
    readings = r.readings()
    filtered = replay(AlarmEngine(r.specs, r.overfill), readings, tick_s=10)
    raw = replay(AlarmEngine([unfiltered_spec(s) for s in r.specs], r.overfill), readings, tick_s=10)
    return r, readings, filtered, raw


def test_same_seed_same_readings_other_seed_other_noise():
    a = simulate(duration_s=1800, seed=3).frame
    b = simulate(duration_s=1800, seed=3).frame
    c = simulate(duration_s=1800, seed=4).frame
    assert a.equals(b)
    assert not np.array_equal(a["value"].to_numpy(), c["value"].to_numpy())
    assert list(a["sensor_id"]) == list(c["sensor_id"])


def test_every_injected_fault_raises_its_alarm(run):
    r, readings, filtered, _ = run
    assert sorted(f.kind for f in r.faults) == ["dropout", "leak", "overfill", "spike", "stuck"]
    answered = {f.kind: sorted({e.kind for e in hits}) for f, hits in fault_alarms(r.faults, filtered)}
    assert answered == {"spike": ["ROC"], "stuck": ["STUCK"], "dropout": ["SILENT"], "leak": ["H", "HH"],
                        "overfill": ["OVERFILL"]}
    # independently: the alarm sits on the faulty sensor, inside the fault (+ the silent time / on-delay)
    for f in r.faults:
        first = min(e.ts for e in filtered if e.sensor_id == f.sensor_id and e.kind == f.expects[0]
                    and e.transition == "raise")
        assert f.start <= first <= f.end + timedelta(seconds=360), f


def test_faults_are_in_the_readings(run):
    r, _, _, _ = run
    fr = r.frame
    by = {f.kind: f for f in r.faults}
    d = by["dropout"]
    gap = fr[(fr.sensor_id == d.sensor_id) & (fr.ts >= d.start) & (fr.ts < d.end)]
    assert gap.empty
    s = by["stuck"]
    flat = fr[(fr.sensor_id == s.sensor_id) & (fr.ts >= s.start) & (fr.ts < s.end)]["value"]
    assert flat.nunique() == 1 and len(flat) == (s.end - s.start).total_seconds()
    o = by["overfill"]
    lvl = fr[(fr.sensor_id == o.sensor_id) & (fr.ts >= o.start) & (fr.ts < o.end)]["value"]
    rule = next(x for x in r.overfill if x.sensor_id == o.sensor_id)
    assert lvl.max() > rule.level_pct


def test_filtering_cuts_the_alarms_per_thousand_readings(run, capsys):
    r, readings, filtered, raw = run
    n = len(readings)
    before = sum(1 for e in raw if e.transition == "raise") / n * 1000
    after = sum(1 for e in filtered if e.transition == "raise") / n * 1000
    with capsys.disabled():
        print(f"\n  replay: {n} readings, alarms per 1,000 readings before filtering {before:.2f}, "
              f"after {after:.3f} ({(1 - after / before) * 100:.1f} % fewer)")
    assert after < before / 10
    # the chattering comes from the hot afternoon's temperature about its H limit: raw many, filtered one
    raw_tt = Counter(e.kind for e in raw if e.sensor_id == "TK101-TT" and e.transition == "raise")
    filt_tt = Counter(e.kind for e in filtered if e.sensor_id == "TK101-TT" and e.transition == "raise")
    assert raw_tt["H"] > 50 and filt_tt["H"] == 1
    # and no injected fault is lost by filtering
    assert all(hits for _, hits in fault_alarms(r.faults, filtered))


def test_eemua_figures_of_the_replay_before_and_after(run):
    r, _, filtered, raw = run
    quantities = {s.id: s.quantity for s in r.specs}
    figs = {}
    for name, events in (("raw", raw), ("filtered", filtered)):
        board = AlarmBoard(quantities)
        board.apply(events)
        log = [(ts, key, area, "raise") for ts, key, area, _ in board.annunciations]
        df = pd.DataFrame(log, columns=["ts", "key", "area", "transition"])
        figs[name] = eemua_figures(df, start=DEFAULT_START, end=DEFAULT_START + timedelta(hours=4, seconds=-1))
    allr = {a.area: a for a in figs["raw"].areas}["*"]
    allf = {a.area: a for a in figs["filtered"].areas}["*"]
    assert allr.flood_periods > 0 and allf.flood_periods == 0
    assert [c["key"] for c in figs["raw"].chattering] == ["TK101-TT:H"]
    assert figs["filtered"].chattering == []
    assert figs["raw"].top[0]["key"] == "TK101-TT:H"


def test_default_faults_fit_the_run():
    specs, rules = builtin_plant()
    assert [f.kind for f in default_faults(specs, DEFAULT_START, 3600, rules)] == ["spike"]
    assert len(default_faults(specs, DEFAULT_START, 4 * 3600, rules)) == 5
    assert simulate(duration_s=600, faults=None).faults == []
    with pytest.raises(InvalidInput, match="unknown sensor"):
        simulate(duration_s=60, faults=[InjectedFault("stuck", "nope", DEFAULT_START, DEFAULT_START, ("STUCK",))])


def test_read_sensors_csv_and_json(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("id,unit_id,quantity,range_lo,range_hi,h,hh,capacity_m3,density_t_m3,design_max_t\n"
                   "LT1,TK1,level,0,100,85,90,500,0.8,300\n"
                   "PT1,TK1,pressure,0,1.6,1.0,,,,\n", encoding="utf-8")
    specs, rules = read_sensors(csv)
    assert [(s.id, s.uom, s.h, s.hh) for s in specs] == [("LT1", "%", 85.0, 90.0), ("PT1", "MPa", 1.0, None)]
    assert specs[0].deadband == 5.0 and specs[1].on_delay_s == 15.0  # recommended where unset
    assert rules[0].level_pct == pytest.approx(75.0)  # 300 / (500 × 0.8)
    js = tmp_path / "s.json"
    js.write_text(json.dumps([{"id": "AT1", "unit_id": "U", "quantity": "toxic_gas", "range_lo": 0,
                               "range_hi": 100, "h": 25}]), encoding="utf-8")
    specs, rules = read_sensors(js, recommended=False)
    assert (specs[0].uom, specs[0].deadband, rules) == ("ppm", 0.0, [])
    bad = tmp_path / "b.csv"
    bad.write_text("id,unit_id,quantity,range_lo,range_hi\nX,U,humidity,0,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown quantity 'humidity'"):
        read_sensors(bad)
    bad.write_text("id,unit_id,quantity,range_lo,range_hi,colour\nX,U,level,0,1,red\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown column"):
        read_sensors(bad)
    bad.write_text("id,unit_id,quantity,range_lo,range_hi,capacity_m3\nX,U,level,0,1,10\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="needs all of"):
        read_sensors(bad)
    with pytest.raises(InvalidInput, match="does not exist"):
        read_sensors(tmp_path / "none.csv")


def test_the_sample_city_sensors_replay_quietly():
    # the sample city's sensors layer, 2 h every 10 s: only the injected faults and the one hot
    # temperature raise alarms once filtered; a transmitter's noise stays under its own rate alarm
    specs, rules = read_sensors(Path(__file__).resolve().parents[2] / "sample_geo" / "jilin_city.gpkg")
    assert len(specs) > 500 and rules == []
    r = simulate(specs, rules, duration_s=2 * 3600, period_s=10.0, seed=1)
    ev = replay(AlarmEngine(r.specs, r.overfill), r.readings(), tick_s=10)
    assert [f.kind for f in r.faults] == ["spike", "stuck", "dropout"]
    assert all(hits for _, hits in fault_alarms(r.faults, ev))
    faulty = {f.sensor_id for f in r.faults}
    others = [e for e in ev if e.sensor_id not in faulty and e.transition == "raise"]
    assert len(others) <= 3, others


def test_simulate_sensors_command(tmp_path):
    from typer.testing import CliRunner

    from geo_risk.cli import app

    runner = CliRunner()
    out = tmp_path / "r.jsonl"
    res = runner.invoke(app, ["simulate-sensors", "--out", str(out), "--duration", "3600", "--period", "5",
                              "--seed", "2", "--evaluate"])
    assert res.exit_code == 0, res.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 720 * 7  # one hour every 5 s, seven sensors
    first = json.loads(lines[0])
    assert set(first) == {"sensor_id", "ts", "value"} and first["ts"].startswith("2026-01-01T04:00:00")
    truth = json.loads((tmp_path / "r.faults.json").read_text(encoding="utf-8"))
    assert [(f["kind"], f["sensor_id"]) for f in truth] == [("spike", "TK101-LT")]
    assert "spike on TK101-LT: ROC" in res.output
    bad = runner.invoke(app, ["simulate-sensors", "--out", str(tmp_path / "r.txt")])
    assert bad.exit_code == 1 and "use a .csv or .jsonl file" in bad.output
    none = runner.invoke(app, ["simulate-sensors"])
    assert none.exit_code == 1 and "nothing to do" in none.output
