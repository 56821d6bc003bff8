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

Both must produce the same events (checked). Printed: readings per second of each, the ratio, and the
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sensors", type=int, default=2000)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-replay", action="store_true", help="leave out the 4-hour replay figures")
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
