"""The limit alarms (deadband, on/off delays, bad values) against an independent computation: the same
thresholds as SQL window functions in PostgreSQL (``LIMITS_SQL`` of ``benchmarks/alarms.py``)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from geo_risk.monitoring.alarms import AlarmEngine
from geo_risk.monitoring.model import Reading, SensorSpec
from geo_risk.store.db import get_engine

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _bench():
    spec = importlib.util.spec_from_file_location("bench_alarms", REPO / "benchmarks" / "alarms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_limit_alarms_equal_sql_window_functions(db_url):
    bench = _bench()
    rng = np.random.default_rng(15)
    specs, readings = [], []
    for i in range(30):
        s = SensorSpec(f"S{i}", "U", "pressure", "MPa", 0.0, 100.0, ll=10.0, l=20.0, h=70.0, hh=85.0,
                       deadband=float(rng.choice([0.0, 1.5, 4.0])), on_delay_s=float(rng.choice([0.0, 3.0, 10.0])),
                       off_delay_s=float(rng.choice([0.0, 5.0])))
        specs.append(s)
        ts = np.cumsum(rng.choice([1.0, 1.0, 2.0, 7.0], 800))
        v = 50 + 45 * np.sin(ts / 40 + i) + rng.normal(0, 2.5, ts.size)
        v[rng.random(ts.size) < 0.02] = 130.0  # out of the instrument range: holds limit alarms
        v[rng.random(ts.size) < 0.01] = np.nan
        readings += [Reading(s.id, T0 + timedelta(seconds=float(a)), float(b)) for a, b in zip(ts, v, strict=True)]
    readings.sort(key=lambda r: r.ts)
    ours = [(e.sensor_id, e.kind, e.ts, e.transition) for e in AlarmEngine(specs).feed(readings)
            if e.kind in ("HH", "H", "L", "LL")]
    raw = get_engine(db_url).raw_connection()
    try:
        bench.load_sql(raw, specs, readings)
        cur = raw.cursor()
        cur.execute(bench.LIMITS_SQL)
        theirs = [(sid, kind, datetime.fromtimestamp(ts, UTC), tr) for sid, kind, ts, tr in cur.fetchall()]
    finally:
        raw.rollback()
        raw.close()
    order = {"HH": 0, "H": 1, "L": 2, "LL": 3}

    def key(x):
        return (x[2], int(x[0][1:]), order[x[1]])

    assert len(ours) > 400
    assert {k for _, k, _, _ in ours} == {"HH", "H", "L", "LL"}
    assert sorted(ours, key=key) == sorted(theirs, key=key)
