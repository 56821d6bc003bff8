"""Benchmark the live map's snapshot (issue 15: ``GET /api/v1/live/enterprises``) on the sample city.

On a freshly migrated database of a private PostGIS cluster the sample city is loaded and graded, every level
transmitter gets a reading now, and ``--alarms`` alarms (default 300; seeded: priorities and lifecycle states
drawn at random, one in five not active) are written into the alarm store as the alarm service writes them.
Then, in the same run, best of 5:

- **public snapshot**: :func:`geo_risk.store.live.live_snapshot` without the live inventories — the stored
  class of every enterprise (derived from its GB 18218 grades: no zoning run here), its alarms, the live class
  by the rule table of :mod:`geo_risk.monitoring.dynamic_risk`, the units in alarm — against **one SQL
  query** that computes the stored and the live class in PostGIS (the same rules written as CASE
  expressions); the two must agree enterprise by enterprise;
- **analyst snapshot**: the same with every unit's live inventory, S and R (a GB 18218 pass per unit with a
  live level).

    python benchmarks/live.py                # 300 alarms
    python benchmarks/live.py --alarms 50    # the smoke size
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _province import on_fresh_databases  # noqa: E402

#: The live class in one query: stored rank (1 red … 4 blue; official score, else the worst GB 18218 grade:
#: 1 red, 2 orange, 3–4 yellow, below the threshold blue), raised by the largest step of the active alarms.
SQL = """
WITH u AS (
    SELECT u.enterprise_id,
           min(CASE WHEN a.is_major_hazard THEN CASE a.grade WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 3 END
                    WHEN a.is_major_hazard IS NOT NULL THEN 4 END) AS rank
    FROM hazard_units u LEFT JOIN hazard_assessments a ON a.unit_id = u.id GROUP BY u.enterprise_id),
st AS (
    SELECT e.id, CASE WHEN e.risk_score IS NOT NULL THEN
                      CASE WHEN e.risk_score < 60 THEN 1 WHEN e.risk_score < 75 THEN 2 WHEN e.risk_score < 90 THEN 3
                           ELSE 4 END
                      ELSE coalesce(u.rank, 4) END AS rank
    FROM enterprises e LEFT JOIN u ON u.enterprise_id = e.id),
al AS (
    SELECT coalesce(a.enterprise_id, hu.enterprise_id) AS enterprise_id,
           max(CASE a.priority WHEN 'critical' THEN 2 WHEN 'high' THEN 1 ELSE 0 END) AS steps, count(*) AS n
    FROM alarms a LEFT JOIN sensors s ON s.id = a.sensor_id
    LEFT JOIN hazard_units hu ON hu.id = coalesce(a.unit_id, s.unit_id)
    WHERE a.active AND a.state IN ('unack_active', 'ack_active', 'shelved')
    GROUP BY 1)
SELECT st.id, st.rank, greatest(1, st.rank - coalesce(al.steps, 0)) AS live_rank, coalesce(al.n, 0) AS n
FROM st LEFT JOIN al ON al.enterprise_id = st.id ORDER BY st.id
"""
STATES = ("unack_active", "ack_active", "rtn_unack", "shelved", "suppressed", "out_of_service")
PRIORITIES = ("critical", "high", "medium", "low")


def bench_one(name: str, path: Path, url: str, is_province: bool, root: Path) -> dict:
    from geo_risk.analysis.colours import RANK
    from geo_risk.grading import grade_store
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine
    from geo_risk.store.live import live_snapshot
    from geo_risk.store.readings import ReadingsWriter

    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        load_path(path, raw.driver_connection)
    finally:
        raw.close()
    grade_store(url)
    now = datetime.now(UTC) - timedelta(seconds=5)
    rng = np.random.default_rng(15)
    with engine.connect() as conn:
        sensors = conn.execute(text("SELECT s.id, s.unit_id, u.enterprise_id, s.quantity FROM sensors s "
                                    "JOIN hazard_units u ON u.id = s.unit_id ORDER BY s.id")).all()
    from geo_risk.monitoring.model import Reading

    raw = engine.raw_connection()
    try:
        levels = [Reading(s[0], now, float(rng.uniform(10, 95))) for s in sensors if s[3] == "level"]
        ReadingsWriter(raw.driver_connection).write(levels)
    finally:
        raw.close()
    picks = rng.choice(len(sensors), size=min(ARGS.alarms, len(sensors)), replace=False)
    rows = []
    for i in picks:
        sid, unit, ent, _ = sensors[int(i)]
        p = PRIORITIES[int(rng.integers(4))]
        st = STATES[int(rng.integers(len(STATES)))]
        active = bool(rng.random() >= 0.2) and st != "rtn_unack"
        rows.append({"k": f"{sid}:X{i}", "s": sid, "e": ent, "u": unit, "p": p, "st": st, "a": active, "t": now})
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alarms (key, sensor_id, enterprise_id, unit_id, kind, priority, state, active, "
                          "changed_at) VALUES (:k, :s, :e, :u, 'H', :p, :st, :a, :t)"), rows)
        conn.execute(text("ANALYZE"))
    out: dict = {"alarms": len(rows), "sensors": len(sensors), "levels": len(levels)}
    best = {"public": float("inf"), "analyst": float("inf"), "sql": float("inf")}
    for _ in range(5):
        t = time.perf_counter()
        pub = live_snapshot(url, with_live=False)
        best["public"] = min(best["public"], time.perf_counter() - t)
        t = time.perf_counter()
        ana = live_snapshot(url, with_live=True)
        best["analyst"] = min(best["analyst"], time.perf_counter() - t)
        t = time.perf_counter()
        with engine.connect() as conn:
            sql = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(text(SQL))}
        best["sql"] = min(best["sql"], time.perf_counter() - t)
    py = {e["id"]: (RANK[e["stored_colour"]], RANK[e["live_colour"]], e["active_alarms"]) for e in pub.enterprises}
    bad = {k: (py.get(k), sql.get(k)) for k in set(py) | set(sql) if py.get(k) != sql.get(k)}
    assert not bad, f"the snapshot and the SQL disagree on {len(bad)} enterprise(s), e.g. {list(bad.items())[:3]}"
    out.update({f"{k}_s": v for k, v in best.items()})
    out.update(enterprises=len(py), raised=sum(1 for e in pub.enterprises if e["raised"]),
               units_in_alarm=len(pub.units_in_alarm), live_units=len(ana.unit_live))
    return out


def main() -> None:
    from geo_risk.settings import PROJECT_ROOT

    city = PROJECT_ROOT / "sample_geo" / "jilin_city.gpkg"
    (r,) = on_fresh_databases("geo_risk_bench_live_", [("city", city, False)], bench_one)
    print(f"live map snapshot: sample city, {r['enterprises']} enterprises, {r['sensors']} sensors, {r['alarms']} "
          f"alarms ({r['raised']} enterprises raised, {r['units_in_alarm']} units in alarm), {r['levels']} live levels")
    print(f"  public (colours, alarms, units): {r['public_s'] * 1e3:.1f} ms; the live class in one SQL query "
          f"{r['sql_s'] * 1e3:.1f} ms → ×{r['public_s'] / r['sql_s']:.1f} the SQL; classes agree")
    print(f"  analyst (+ live inventory, S and R of {r['live_units']} units): {r['analyst_s'] * 1e3:.1f} ms "
          f"→ ×{r['analyst_s'] / r['public_s']:.1f} the public snapshot")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alarms", type=int, default=300)
    ARGS = ap.parse_args()
    main()
