"""Benchmark the alarm engine (issue 15): the vectorised evaluator against the obvious per-reading loop.

A plant of ``--sensors`` sensors (the built-in plant's seven kinds, repeated with new ids; a third of
the copies without deadband and delays) sends one reading per sensor per second for ``--seconds``
seconds from 07:00 UTC, the simulated temperatures' peak at their H limit (the simulator's signals,
seeded), so alarms raise and clear throughout. The readings
arrive as the ingest hands them over: one batch per second of all sensors' readings, and the clock
ticks every 10 s (silent sensors). Both evaluators run on one core, in this process, one after the other:

- **engine**: :class:`geo_risk.monitoring.alarms.AlarmEngine` — each batch as numpy arrays across all
  sensors, state carried per sensor (``feed`` from :class:`Reading` objects, as the ingest calls it);
- **naive**: :class:`geo_risk.monitoring.alarms.NaiveEvaluator` — the same rules, one reading and one
  alarm kind at a time in Python (the loop one would write first).

Both must produce the same events (checked). The third alternative, **SQL**: the limit alarms alone (HH/H/L/LL
with deadband and delays) as window functions over the same readings in PostgreSQL (:data:`LIMITS_SQL`, a
private cluster; the COPY of the readings is timed apart), checked equal to the engine's limit events.
Printed: readings per second of each, the ratio, and the
time to evaluate one batch (p50 / p99 / max, ms) — the alarm engine's share of reading-to-alarm latency.
Then, on the built-in plant's 4-hour replay with injected faults (the README figures): alarms per 1,000
readings before filtering (no deadband, no delays) and after, which alarm answered each fault, and the
EEMUA 191 figures of both.

    python benchmarks/alarms.py                       # 2,000 sensors × 120 s
    python benchmarks/alarms.py --sensors 10000 --seconds 60

Run-to-run noise on the shared 2-core machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo_risk.monitoring.alarms import AlarmEngine, NaiveEvaluator, unfiltered_spec  # noqa: E402
from geo_risk.monitoring.simulate import (  # noqa: E402
    DEFAULT_START,
    ReplayEvaluator,
    builtin_plant,
    simulate,
    simulate_chunks,
    to_readings,
)

#: 07:00 UTC: the simulated temperatures' daily peak, at their H limit.
START = DEFAULT_START + timedelta(hours=3)


#: The limit alarms (HH/H/L/LL with deadband and on/off delays) in SQL window functions: the alternative
#: one would write against the readings table. ``readings(sensor_id, ts, value)`` (ts: epoch s) and
#: ``limits(sensor_id, kind, dir, lim, db, on_delay, off_delay, lo, hi)`` (dir +1 high, −1 low); out-of-range
#: values neither raise nor clear. Returns (sensor_id, kind, ts, transition) of each raise and clear.
LIMITS_SQL = """
WITH c AS (
  SELECT l.sensor_id, l.kind, r.ts, l.on_delay, l.off_delay,
         (r.value >= l.lo AND r.value <= l.hi AND r.value <> 'NaN'::float8)
           AND CASE WHEN l.dir > 0 THEN r.value >= l.lim ELSE r.value <= l.lim END AS on_c,
         (r.value >= l.lo AND r.value <= l.hi AND r.value <> 'NaN'::float8)
           AND CASE WHEN l.dir > 0 THEN r.value < l.lim - l.db ELSE r.value > l.lim + l.db END AS off_c
  FROM readings r JOIN limits l USING (sensor_id)
), p AS (
  SELECT *, LAG(on_c, 1, false) OVER w AS prev_on, LAG(off_c, 1, false) OVER w AS prev_off
  FROM c WINDOW w AS (PARTITION BY sensor_id, kind ORDER BY ts)
), n AS (
  SELECT *, SUM((on_c AND NOT prev_on)::int) OVER w AS on_run, SUM((off_c AND NOT prev_off)::int) OVER w AS off_run
  FROM p WINDOW w AS (PARTITION BY sensor_id, kind ORDER BY ts)
), ok AS (
  SELECT sensor_id, kind, ts,
         on_c AND ts - MIN(ts) OVER (PARTITION BY sensor_id, kind, on_run) >= on_delay AS on_ok,
         off_c AND ts - MIN(ts) OVER (PARTITION BY sensor_id, kind, off_run) >= off_delay AS off_ok
  FROM n
), e AS (
  SELECT *, SUM((on_ok OR off_ok)::int) OVER (PARTITION BY sensor_id, kind ORDER BY ts) AS ev FROM ok
), s AS (
  SELECT sensor_id, kind, ts,
         CASE WHEN ev = 0 THEN false
              ELSE FIRST_VALUE(on_ok) OVER (PARTITION BY sensor_id, kind, ev ORDER BY ts) END AS active
  FROM e
), t AS (
  SELECT *, LAG(active, 1, false) OVER (PARTITION BY sensor_id, kind ORDER BY ts) AS was FROM s
)
SELECT sensor_id, kind, ts, CASE WHEN active THEN 'raise' ELSE 'clear' END AS transition
FROM t WHERE active <> was ORDER BY ts, sensor_id, kind
"""

LIMIT_KINDS = (("HH", "hh", 1), ("H", "h", 1), ("L", "l", -1), ("LL", "ll", -1))


def load_sql(conn, specs, readings) -> None:
    """Create and fill ``readings`` and ``limits`` (temporary tables) on a psycopg2 connection, by COPY."""
    import io

    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE readings (sensor_id text, ts float8, value float8);"
                "CREATE TEMP TABLE limits (sensor_id text, kind text, dir int, lim float8, db float8, "
                "on_delay float8, off_delay float8, lo float8, hi float8)")
    buf = io.StringIO()
    for r in readings:
        buf.write(f"{r.sensor_id}\t{r.ts.timestamp()!r}\t{float(r.value)!r}\n")
    buf.seek(0)
    cur.copy_expert("COPY readings FROM STDIN", buf)
    buf = io.StringIO()
    for s in specs:
        for kind, attr, d in LIMIT_KINDS:
            lim = getattr(s, attr)
            if lim is not None:
                buf.write(f"{s.id}\t{kind}\t{d}\t{lim!r}\t{s.deadband!r}\t{s.on_delay_s!r}\t{s.off_delay_s!r}\t"
                          f"{s.range_lo!r}\t{s.range_hi!r}\n")
    buf.seek(0)
    cur.copy_expert("COPY limits FROM STDIN", buf)
    cur.execute("ANALYZE readings; ANALYZE limits")


def plant(n: int):
    """``n`` sensors; every third copy without deadband and delays (so the temperatures at their daily
    peak chatter about H, and the run has alarms to compare)."""
    base, rules = builtin_plant()
    specs, overfill = [], []
    by_id = {r.sensor_id: r for r in rules}
    for i in range(n):
        s = base[i % len(base)]
        sid = f"{s.id}#{i}"
        s = replace(s, id=sid, unit_id=f"{s.unit_id}#{i // len(base)}")
        specs.append(unfiltered_spec(s) if (i // len(base)) % 3 == 0 else s)
        if s.id in by_id:
            overfill.append(replace(by_id[s.id], sensor_id=sid))
    return specs, overfill


def batches(specs, seconds: int, seed: int):
    frame = next(simulate_chunks(specs, START, seconds, 1.0, seed, (), chunk_s=seconds + 1))
    readings = to_readings(frame)
    ts = frame["ts_s"].to_numpy()
    cuts = np.flatnonzero(np.diff(ts)) + 1
    return [readings[a:b] for a, b in zip([0, *cuts], [*cuts, len(readings)], strict=True)]


def run(engine, bs):
    times, events = [], []
    t_all = time.perf_counter()
    for i, b in enumerate(bs):
        t = time.perf_counter()
        events += engine.feed(b)
        if (i + 1) % 10 == 0:
            events += engine.tick(b[-1].ts + timedelta(seconds=1))
        times.append(time.perf_counter() - t)
    return time.perf_counter() - t_all, np.array(times), events


def key(e):
    v = None if e.value is None or math.isnan(e.value) else e.value
    return (e.sensor_id, e.kind, e.transition, e.ts, v)


def sql_alternative(specs, readings, engine_result) -> bool:
    """The limit alarms as :data:`LIMITS_SQL` on a private PostgreSQL cluster: load by COPY (timed apart),
    the query timed; its raises and clears compared with the engine's limit events."""
    import tempfile

    from geo_risk.store.db import get_engine
    from geo_risk.store.embedded import EmbeddedCluster

    root = Path(tempfile.mkdtemp(prefix="bench_alarms_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
    try:
        cluster.start()
        cluster.create_database("alarms")
        raw = get_engine(cluster.url("alarms")).raw_connection()
        try:
            t = time.perf_counter()
            load_sql(raw, specs, readings)
            t_load = time.perf_counter() - t
            cur = raw.cursor()
            t = time.perf_counter()
            cur.execute(LIMITS_SQL)
            rows = cur.fetchall()
            t_sql = time.perf_counter() - t
        finally:
            raw.rollback()
            raw.close()
    finally:
        cluster.destroy()
    n = len(readings)
    ours = sorted((e.sensor_id, e.kind, round(e.ts.timestamp(), 6), e.transition) for e in engine_result[2]
                  if e.kind in ("HH", "H", "L", "LL"))
    theirs = sorted((sid, kind, round(ts, 6), tr) for sid, kind, ts, tr in rows)
    same = ours == theirs
    print(f"  SQL window functions (limits only) {n / t_sql:>12,.0f} readings/s   query {t_sql:.2f} s "
          f"(COPY of the readings {t_load:.2f} s apart)   {len(rows)} limit events, same as the engine's: {same}")
    print(f"  engine (every kind) vs SQL window functions (limits only): {t_sql / engine_result[0]:.1f}× faster")
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sensors", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-replay", action="store_true", help="leave out the 4-hour replay figures")
    ap.add_argument("--skip-sql", action="store_true", help="leave out the SQL window-function alternative")
    args = ap.parse_args()

    specs, overfill = plant(args.sensors)
    t = time.perf_counter()
    bs = batches(specs, args.seconds, args.seed)
    n = sum(len(b) for b in bs)
    print(f"{args.sensors} sensors × {args.seconds} s = {n} readings in {len(bs)} batches of {len(bs[0])} "
          f"(generated in {time.perf_counter() - t:.1f} s)")
    res = {}
    for name, cls in (("engine", AlarmEngine), ("naive", NaiveEvaluator)):
        total, per, events = run(cls(specs, overfill, started=START), bs)
        res[name] = (total, per, events)
        print(f"  {name:<7} {n / total:>12,.0f} readings/s   batch p50 {np.percentile(per, 50) * 1e3:7.1f} ms  "
              f"p99 {np.percentile(per, 99) * 1e3:7.1f} ms  max {per.max() * 1e3:7.1f} ms   {len(events)} events")
    same = [key(e) for e in res["engine"][2]] == [key(e) for e in res["naive"][2]]
    print(f"  same events: {same}")
    print(f"  engine vs naive per-reading loop: {res['naive'][0] / res['engine'][0]:.1f}× faster "
          f"({n / res['engine'][0] / 10_000:.1f}× the 10,000 readings/s target on one core)")
    if not same:
        return 1
    if not args.skip_sql:
        ok = sql_alternative(specs, [r for b in bs for r in b], res["engine"])
        if not ok:
            return 1

    if not args.skip_replay:
        t = time.perf_counter()
        r = simulate(seed=0)
        ev = ReplayEvaluator(r.specs, r.overfill)
        ev(r.frame)
        s = ev.summary(r.faults, DEFAULT_START, DEFAULT_START + timedelta(hours=4))
        print(f"\nreplay: built-in plant, 4 h at 1 s, {s['readings']} readings, {len(r.faults)} injected faults "
              f"({time.perf_counter() - t:.1f} s)")
        for name in ("raw", "filtered"):
            x = s[name]
            print(f"  {name:<8} {x['alarms']:>4} alarms = {x['per_1000_readings']:.3f} per 1,000 readings; per 10 min "
                  f"avg {x['average_per_10min']:.2f} peak {x['peak_per_10min']}, flood {x['flood_pct']:.1f} % of "
                  f"periods, chattering {x['chattering']}, top-10 share {x['top_share'] * 100:.0f} %")
        raw, filt = s["raw"]["per_1000_readings"], s["filtered"]["per_1000_readings"]
        print(f"  filtering: {raw / filt:.0f}× fewer alarms ({(1 - filt / raw) * 100:.1f} % cut)")
        for f in s["faults"]:
            print(f"  fault {f['fault']:<8} on {f['sensor']:<9} → {'/'.join(f['raised']) or 'NOT FOUND'}")
        if not all(f["raised"] for f in s["faults"]):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
