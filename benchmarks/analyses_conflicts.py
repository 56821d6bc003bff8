"""Benchmark the proximity-conflict analysis against the same analysis written in PostGIS SQL.

Data sets, each in its own database of one private PostGIS cluster started for the run, loaded with
``load_path`` (not timed here):

1. the sample city (``sample_geo/jilin_city.gpkg``: 298 units, 2,268 residential areas, 158 targets;
   declared distances on some units, design-code distances from their fire class and equipment);
2. a generated province (:mod:`benchmarks._province`: ``--units`` hazard units in ≈ units/2.5 plants
   around 40 cities, ``--residential`` housing polygons, 2,000 targets), cached under
   ``benchmarks/out/``. The generator writes no fire class, equipment or declared distance, so the
   benchmark sets them in SQL before the run (not timed; :data:`PROVINCE_SETUP_SQL`): storage units
   become class 甲 atmospheric tank farms and production units class 甲 process units (GB 50160
   100 m to homes), and every unit declares a distance of 100–500 m (from a hash of its id).

No QRA runs are stored in either data set (the risk engine is benchmarked on its own:
benchmarks/risk.py), so both sides check the distance rules: declared and design-code distances
per unit and GB 36894 class, every target and residential area within them.

- **geo-risk** (a child process: its peak memory is its own ``VmHWM``), as ``geo-risk analyse`` runs it:
  read units and enterprises (:func:`geo_risk.store.conflicts.read_inputs`), the required distances
  (:func:`geo_risk.analyse.conflict_distances`: declared and design-code per unit), the grids (none),
  the targets within each unit's largest distance (:func:`geo_risk.store.conflicts.read_targets`:
  chosen in the database by the GiST indexes, so the homes far from every plant are never read),
  :func:`geo_risk.analysis.conflicts.find_conflicts` (STRtree ``dwithin`` per UTM zone, distances,
  shortfalls, people apportioned by the area inside each buffer, colours, lines, targets, totals), and
  storing the result (:func:`geo_risk.store.conflicts.save_conflicts`); stages timed.
- **PostGIS SQL** (:data:`CONFLICTS_SQL`, one statement): the same required distances uploaded as a
  table (not timed), every unit's targets found by the GiST index (``&&`` against the unit's envelope
  expanded by its largest distance), then in the UTM zone of the unit's centroid (``ST_Transform``):
  the distance to the millimetre, strictly less than the rule's distance for the target's class, the
  shortfall, and the people of a residential block inside ``ST_Buffer(unit, distance, 32)`` apportioned
  by area. It does not colour, draw lines, build the target layer or total (ours does all of it).
  Server memory is not measured.
- **agreement**: the sets of (rule, unit, target) must be equal; the people affected are compared.

``run(size)`` is the entry point of ``benchmarks/analyses.py``: ``"small"`` (the city and a 2,000-unit
province with 100,000 housing polygons) or ``"full"`` (the city and a 20,000-unit province with
1,000,000).

    python benchmarks/analyses_conflicts.py                             # full
    python benchmarks/analyses_conflicts.py --units 2000 --residential 100000

Run-to-run noise on our 2-core shared machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SAMPLE_CITY = HERE.parent / "sample_geo" / "jilin_city.gpkg"
sys.path.insert(0, str(HERE))
from _province import on_fresh_databases, peak_mb, province_path  # noqa: E402  (benchmarks/ is not a package)

SIZES = {"small": (2_000, 100_000), "full": (20_000, 1_000_000)}

PROVINCE_SETUP_SQL = [
    "UPDATE hazard_units SET fire_class = '甲', equipment = CASE unit_type WHEN 'storage' THEN 'atmospheric_tank' "
    "ELSE 'process_vessel' END, safety_distance_m = 100 + (abs(hashtext(id)) % 401)",
]

#: The analysis as one statement: (rule, unit, target, distance m, required m, shortfall m, people).
CONFLICTS_SQL = """
WITH u AS (
  SELECT u.id, u.geom, r.reach_m,
         (CASE WHEN ST_Y(ST_Centroid(u.geom)) >= 0 THEN 32600 ELSE 32700 END
          + (floor((ST_X(ST_Centroid(u.geom)) + 180) / 6)::int % 60) + 1) AS srid
    FROM hazard_units u
    JOIN enterprises e ON e.id = u.enterprise_id AND e.status IN ('operating', 'suspended', 'planned')
    JOIN (SELECT unit_id, max(required_m) AS reach_m FROM bench_req GROUP BY unit_id) r ON r.unit_id = u.id),
pairs AS (  -- per unit, each target table by its GiST index (a box of reach / 70 km per degree: a degree
            -- is longer anywhere in China), in the unit's UTM zone
  SELECT u.id AS unit_id, t.id AS target_id, t.category, t.population, t.layer,
         ST_Transform(u.geom, u.srid) AS ug, ST_Transform(t.geom, u.srid) AS tg
    FROM u CROSS JOIN LATERAL (
      SELECT r.id, r.category, r.population, r.geom, 'residential_areas' AS layer FROM residential_areas r
       WHERE r.geom && ST_Expand(u.geom, u.reach_m / 70000.0)
      UNION ALL
      SELECT p.id, p.category, p.population, p.geom, 'protection_targets' FROM protection_targets p
       WHERE p.geom && ST_Expand(u.geom, u.reach_m / 70000.0)) t),
d AS (
  SELECT p.*, round(ST_Distance(p.ug, p.tg)::numeric, 3)::float8 AS d FROM pairs p)
SELECT r.rule, d.unit_id, d.target_id, d.d, r.required_m, r.required_m - d.d AS shortfall_m,
       CASE WHEN d.layer = 'residential_areas' AND ST_Area(d.tg) > 0
            THEN coalesce(d.population, 0) * ST_Area(ST_Intersection(d.tg, ST_Buffer(d.ug, r.required_m, 32)))
                 / ST_Area(d.tg)
            ELSE coalesce(d.population, 0) END AS people
  FROM d JOIN bench_req r ON r.unit_id = d.unit_id AND r.target_class = d.category
 WHERE d.d < r.required_m
"""


def worker(url: str, req_path: str) -> None:
    """Run the conflict analysis once with its stages timed; write the required distances to
    ``req_path`` (for the SQL side) and print one JSON line."""
    from geo_risk.analyse import conflict_distances, conflict_settings, grid_box, required_reach
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.store import conflicts as store
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.results import inputs_version

    stages = {}
    t0 = time.perf_counter()
    version, basis = inputs_version(url), store.current_basis(url)
    data = store.read_inputs(url, targets=False)
    stages["read"] = time.perf_counter() - t0
    t = time.perf_counter()
    distances, _ = conflict_distances(url, data["units"], data["enterprises"], data["distances"])
    stages["distances"] = time.perf_counter() - t
    t = time.perf_counter()
    grids = read_grids(url)
    stages["grids"] = time.perf_counter() - t
    t = time.perf_counter()
    data["targets"] = store.read_targets(url, required_reach(distances), [grid_box(g) for g in grids])
    stages["read_targets"] = time.perf_counter() - t
    t = time.perf_counter()
    result = find_conflicts(data["targets"], data["units"], data["enterprises"], distances, grids,
                            data["admin_areas"], conflict_settings())
    stages["engine"] = time.perf_counter() - t
    t = time.perf_counter()
    store.save_conflicts(url, result, inputs_version=version, basis=basis, grids=len(grids), seconds=0.0)
    stages["write"] = time.perf_counter() - t
    long = distances.melt(id_vars=["unit_id", "target_class"],
                          value_vars=["final_distance_m", "declared_distance_m", "code_distance_m"],
                          var_name="col", value_name="required_m").dropna(subset=["required_m"])
    long["rule"] = long["col"].map({"final_distance_m": "external_distance", "declared_distance_m": "declared_distance",
                                    "code_distance_m": "design_code_distance"})
    long[["unit_id", "target_class", "rule", "required_m"]].to_csv(req_path, index=False)
    c = result.conflicts
    print(json.dumps({
        "seconds": time.perf_counter() - t0, "stages": stages, "peak_mb": peak_mb(),
        "targets_in": int(len(data["targets"])), "targets_all": _count_targets(url),
        "units": int(len(data["units"])), "conflicts": int(len(c)),
        "targets_hit": int(len(result.targets)), "people": float(c["people_affected"].sum()) if len(c) else 0.0,
        "set": sorted([r, u, tg] for r, u, tg in zip(c["rule"], c["unit_id"], c["target_id"], strict=True)),
        "summary": result.summary(),
    }, ensure_ascii=False))


def _count_targets(url: str) -> int:
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM all_protection_targets")).scalar_one())


def run_ours(url: str, req_path: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", url, str(req_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the conflict analysis failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_sql(url: str, req_path: Path) -> tuple[float, set[tuple[str, str, str]], float]:
    """CONFLICTS_SQL once on the uploaded distances: (seconds, {(rule, unit, target)}, people)."""
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        conn = raw.driver_connection
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_req")
            cur.execute("CREATE TABLE bench_req (unit_id text, target_class text, rule text, required_m float8)")
            with open(req_path, encoding="utf-8") as f:
                cur.copy_expert("COPY bench_req FROM STDIN WITH (FORMAT csv, HEADER true)", f)
            cur.execute("CREATE INDEX ON bench_req (unit_id, target_class)")
            cur.execute("ANALYZE bench_req")
            t = time.perf_counter()
            cur.execute(CONFLICTS_SQL)
            rows = cur.fetchall()
            seconds = time.perf_counter() - t
    finally:
        raw.close()
    return seconds, {(r, u, tg) for r, u, tg, *_ in rows}, float(sum(r[6] for r in rows))


def _prepare(name: str, path: Path, url: str, province: bool) -> dict:
    from sqlalchemy import text

    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        t = time.perf_counter()
        report = load_path(path, raw.driver_connection)
        load_s = time.perf_counter() - t
    finally:
        raw.close()
    if province:
        with get_engine(url).begin() as conn:
            for sql in PROVINCE_SETUP_SQL:
                conn.execute(text(sql))
    raw = get_engine(url).raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute("ANALYZE")
    finally:
        raw.close()
    return {"name": name, "rows": sum(report.layers.values()), "load_s": load_s}


def bench(name: str, path: Path, url: str, province: bool) -> dict:
    prep = _prepare(name, path, url, province)
    print(f"{name}: {prep['rows']:,} rows loaded in {prep['load_s']:.1f} s; analysing …", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "req.csv"
        ours = run_ours(url, req)
        sql_s, sql_set, sql_people = run_sql(url, req)
    ours_set = {tuple(x) for x in ours.pop("set")}
    return {**prep, "ours": ours, "sql_s": sql_s, "agree": ours_set == sql_set, "pairs": len(sql_set),
            "only_ours": len(ours_set - sql_set), "only_sql": len(sql_set - ours_set), "sql_people": sql_people}


def report(runs: list[dict]) -> None:
    print(f"\nProximity conflicts: geo-risk vs PostGIS SQL (distance rules), same database ({os.cpu_count()} cores)")
    print(f"{'data set':<10} {'targets':>9} {'read':>8} {'units':>7} {'conflicts':>9} {'targets hit':>11} "
          f"{'people ours':>12} {'people SQL':>11}")
    for r in runs:
        o = r["ours"]
        print(f"{r['name']:<10} {o['targets_all']:>9,} {o['targets_in']:>8,} {o['units']:>7,} {o['conflicts']:>9,} "
              f"{o['targets_hit']:>11,} {o['people']:>12,.0f} {r['sql_people']:>11,.0f}")
    print(f"\n{'data set':<10} {'method':<46} {'seconds':>8} {'peak MB':>8} {'SQL / it':>8}")
    for r in runs:
        o, st, s = r["ours"], r["ours"]["stages"], r["sql_s"]
        for label, sec in (("geo-risk engine (find_conflicts)", st["engine"]),
                           ("geo-risk everything (read, distances, store)", o["seconds"])):
            print(f"{r['name']:<10} {label:<46} {sec:>8.2f} {o['peak_mb']:>8.0f} {s / sec:>7.2f}×")
        print(f"{'':<10} {'PostGIS SQL (one statement)':<46} {s:>8.2f} {'—':>8} {1:>7.2f}×")
    print("\nstages (seconds)")
    for r in runs:
        st = r["ours"]["stages"]
        print(f"{r['name']:<10} " + ", ".join(f"{k} {v:.2f}" for k, v in st.items()))
    for r in runs:
        print(f"{r['name']}: conflict set {'EQUAL' if r['agree'] else 'DIFFERENT'} to the SQL's ({r['pairs']:,} "
              f"(rule, unit, target); only ours {r['only_ours']}, only SQL {r['only_sql']})")


def run(size: str = "small") -> list[dict]:
    """Run the benchmark at ``size`` ("small" or "full"; see the module docstring), print and return the results."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    units, residential = SIZES[size]
    return main_with(units, residential, skip_city=False)


def main_with(units: int, residential: int, skip_city: bool) -> list[dict]:
    province = province_path(OUT, units, residential)
    sets = ([] if skip_city else [("city", SAMPLE_CITY, False)]) + [("province", province, True)]
    runs = on_fresh_databases("geo_risk_bench_conflicts_", sets,
                              lambda name, path, url, is_province, root: bench(name, path, url, is_province))
    report(runs)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=SIZES["full"][0], help="hazard units of the province")
    ap.add_argument("--residential", type=int, default=SIZES["full"][1], help="housing polygons of the province")
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--worker", nargs=2, metavar=("URL", "REQ"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    main_with(args.units, args.residential, args.skip_city)


if __name__ == "__main__":
    main()
