"""Benchmark joint-prevention clusters against the same fallback and policy links written in PostGIS SQL.

Data sets, each in its own database of one private PostGIS cluster started for the run, loaded with
``load_path`` and graded with ``grade_store`` (neither timed here):

1. the sample city (``sample_geo/jilin_city.gpkg``);
2. a generated province (:mod:`benchmarks._province`: ``--units`` hazard units in ≈ units/2.5 plants
   around 40 cities, ``--residential`` housing polygons), cached under ``benchmarks/out/``. The
   generator writes no parks and no industry codes, so the benchmark adds them in SQL before the run
   (not timed): parks are the DBSCAN groups of plant centroids (``ST_ClusterDBSCAN``, 2.5 km, ≥ 5
   plants; a park is the hull of its plants buffered by 300 m), and a plant's GB/T 4754 code
   follows its trade word (化工 2614, 石化 2511, 燃气 4511, 化肥 2621, 氯碱 2612, 精细化工 2669,
   冷库 5942, 仓储 5941).

On each, the same database:

- **geo-risk** (a child process, so its peak memory is its own ``VmHWM``): read the store
  (:func:`geo_risk.store.clusters.read_inputs`), :func:`~geo_risk.analysis.clusters.find_clusters`
  with everything — the scenario builder and consequence models for the domino links, the fallback
  and policy links, the graph, people, outlines — then store it. Its stages are timed, and the
  fallback + policy + graph part is timed apart by a second call in which the scenario stage returns
  the same result it computed the first time (no domino evidence): that is the part the SQL does.
- **PostGIS SQL**: :data:`geo_risk.store.clusters.FALLBACK_POLICY_SQL`, one statement of ST_DWithin
  self-joins in the same UTM CRS computing the fallback links (units ≤ 200 m; boundaries ≤ 500 m with
  two major hazards) and the weighted, pruned policy links (same park or ≤ 1 km; shared division or
  dominant hazard class from the stored GB 18218 terms; each plant's 4 strongest, by a window
  function). It is given the ids of the units without
  consequence data (the scenario builder decides that, not SQL). It does not build the graph,
  components, leads, people or outlines, and no domino link: it is the lower bound of what an
  analyst would write in SQL for the distance part. Server memory is not measured.

The two link sets are compared pair by pair (they must be equal). ``run(size)`` is the entry point of
``benchmarks/analyses.py``: ``"small"`` (the city and a 2,000-unit province with 100,000 housing
polygons) or ``"full"`` (the city and a 20,000-unit province with 1,000,000).

    python benchmarks/analyses_clusters.py                           # full
    python benchmarks/analyses_clusters.py --units 2000 --residential 100000

Run-to-run noise on our 2-core shared machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SAMPLE_CITY = HERE.parent / "sample_geo" / "jilin_city.gpkg"
sys.path.insert(0, str(HERE))
from _province import on_fresh_databases, peak_mb, province_path  # noqa: E402  (benchmarks/ is not a package)

SIZES = {"small": (2_000, 100_000), "full": (20_000, 1_000_000)}

PROVINCE_SETUP_SQL = [
    """
    CREATE TEMP TABLE bench_parks AS
    SELECT id, ST_ClusterDBSCAN(ST_Transform(ST_Centroid(geom), 3857), eps => 2500 / cos(radians(43.5)),
                                minpoints => 5) OVER () AS k
      FROM enterprises
    """,
    """
    INSERT INTO chemical_parks (id, name, geom)
    SELECT 'BPK-' || k, '基准园区 ' || k,
           ST_Multi(ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(ST_Transform(e.geom, 3857))),
                                           300 / cos(radians(43.5))), 4326))
      FROM bench_parks b JOIN enterprises e USING (id) WHERE k IS NOT NULL GROUP BY k
    """,
    "UPDATE enterprises e SET park_id = 'BPK-' || b.k FROM bench_parks b WHERE b.id = e.id AND b.k IS NOT NULL",
    """
    UPDATE enterprises SET industry_code = CASE
        WHEN name LIKE '%精细化工%' THEN '2669' WHEN name LIKE '%石化%' THEN '2511' WHEN name LIKE '%燃气%' THEN '4511'
        WHEN name LIKE '%化肥%' THEN '2621' WHEN name LIKE '%氯碱%' THEN '2612' WHEN name LIKE '%冷库%' THEN '5942'
        WHEN name LIKE '%仓储%' THEN '5941' ELSE '2614' END
    """,
]


# ---------------------------------------------------------------------------------------------
# Our side, in a child process
# ---------------------------------------------------------------------------------------------


def worker(url: str) -> None:
    """Run the cluster analysis once with its stages timed; print one JSON line."""
    import geo_risk.analysis.clusters as engine
    from geo_risk.cluster_runs import cluster_rules, metric_crs
    from geo_risk.store import clusters as store
    from geo_risk.store.results import inputs_version

    stages = {"read": 0.0, "scenarios": 0.0, "engine": 0.0, "links_only": 0.0, "write": 0.0}
    rules = cluster_rules()
    t0 = time.perf_counter()
    version, basis = inputs_version(url), store.current_basis(url)
    data = store.read_inputs(url, rules.contour_level_per_year)
    crs = metric_crs(data["enterprises"])
    ents, units = data["enterprises"].to_crs(crs), data["units"].to_crs(crs)
    contours = data["contours"].to_crs(crs) if len(data["contours"]) else None
    args = (ents, units, data["inventory"], data["assessments"], contours, data["residential"].to_crs(crs),
            data["targets"].to_crs(crs), rules)
    stages["read"] = time.perf_counter() - t0

    real = engine._primaries
    kept: dict[str, object] = {}

    def timed_primaries(*a, **k):  # noqa: ANN002, ANN003, ANN202
        t = time.perf_counter()
        out = real(*a, **k)
        stages["scenarios"] += time.perf_counter() - t
        kept["out"] = out
        return out

    engine._primaries = timed_primaries
    t = time.perf_counter()
    result = engine.find_clusters(*args)
    stages["engine"] = time.perf_counter() - t
    prim, lacking, digest, problems = kept["out"]  # type: ignore[misc]
    engine._primaries = lambda *a, **k: ([], lacking, digest, problems)
    t = time.perf_counter()
    links_only = engine.find_clusters(*args)
    stages["links_only"] = time.perf_counter() - t
    t = time.perf_counter()
    store.save_clusters(url, result, inputs_version=version, basis=basis, seconds=0.0, summary=result.summary())
    stages["write"] = time.perf_counter() - t
    links = result.links
    print(json.dumps({
        "seconds": time.perf_counter() - t0, "stages": stages, "peak_mb": peak_mb(), "crs": crs,
        "enterprises": int(len(result.members)), "units": int(len(units)), "primaries": len(prim),
        "clusters": int(len(result.clusters)), "largest": int(result.clusters["n_members"].max()),
        "kinds": links["kind"].value_counts().to_dict(), "fallback_units": result.fallback_units,
        "pairs": sorted([k, a, b] for k, a, b in zip(links_only.links["kind"], links_only.links["enterprise_a"],
                                                      links_only.links["enterprise_b"], strict=True)),
        "summary": result.summary(),
    }, ensure_ascii=False))


def run_ours(url: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", url], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the cluster analysis failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_sql(url: str, crs: str, lacking: list[str]) -> tuple[float, set[tuple[str, str, str]]]:
    """FALLBACK_POLICY_SQL once: (seconds, {(kind, a, b)})."""
    from sqlalchemy import text

    from geo_risk.cluster_runs import cluster_rules
    from geo_risk.store.clusters import FALLBACK_POLICY_SQL
    from geo_risk.store.db import get_engine

    r = cluster_rules()
    params = {"srid": int(crs.split(":")[1]), "d_unit": r.fallback_unit_distance_m,
              "d_site": r.fallback_boundary_distance_m, "d_policy": r.policy_distance_m,
              "floor": r.policy_same_park_floor, "minw": r.policy_min_weight, "k": r.policy_max_links,
              "lacking": lacking, "statuses": list(r.statuses)}
    with get_engine(url).connect() as conn:
        t = time.perf_counter()
        rows = conn.execute(text(FALLBACK_POLICY_SQL), params).all()
        seconds = time.perf_counter() - t
    return seconds, {(k, a, b) for k, a, b in rows}


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def _prepare(name: str, path: Path, url: str, province: bool) -> dict:
    from geo_risk.grading import grade_store
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
            from sqlalchemy import text

            for sql in PROVINCE_SETUP_SQL:
                conn.execute(text(sql))
    t = time.perf_counter()
    grade_store(url)
    grade_s = time.perf_counter() - t
    raw = get_engine(url).raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute("ANALYZE")
    finally:
        raw.close()
    return {"name": name, "rows": sum(report.layers.values()), "load_s": load_s, "grade_s": grade_s}


def bench(name: str, path: Path, url: str, province: bool) -> dict:
    prep = _prepare(name, path, url, province)
    print(f"{name}: {prep['rows']:,} rows loaded in {prep['load_s']:.1f} s, graded in {prep['grade_s']:.1f} s; "
          "analysing …", flush=True)
    ours = run_ours(url)
    sql_s, sql_pairs = run_sql(url, ours["crs"], ours["fallback_units"])
    ours_pairs = {tuple(p) for p in ours.pop("pairs")}
    ours.pop("fallback_units")
    return {**prep, "ours": ours, "sql_s": sql_s, "agree": ours_pairs == sql_pairs, "pairs": len(sql_pairs),
            "only_ours": len(ours_pairs - sql_pairs), "only_sql": len(sql_pairs - ours_pairs)}


def report(runs: list[dict]) -> None:
    print(f"\nJoint-prevention clusters: geo-risk vs PostGIS SQL (fallback + policy links), same database "
          f"({os.cpu_count()} cores)")
    print(f"{'data set':<10} {'plants':>7} {'units':>7} {'scen.':>7} {'clusters':>8} {'largest':>7}  links by kind")
    for r in runs:
        o = r["ours"]
        print(f"{r['name']:<10} {o['enterprises']:>7,} {o['units']:>7,} {o['primaries']:>7,} {o['clusters']:>8,} "
              f"{o['largest']:>7,}  {o['kinds']}")
    print(f"\n{'data set':<10} {'method':<44} {'seconds':>8} {'peak MB':>8} {'vs SQL':>7}")
    for r in runs:
        o, st, s = r["ours"], r["ours"]["stages"], r["sql_s"]
        rows = [("geo-risk fallback + policy + graph (engine)", st["links_only"], o["peak_mb"]),
                ("geo-risk everything (read, domino, store)", o["seconds"], o["peak_mb"])]
        for label, sec, peak in rows:
            print(f"{r['name']:<10} {label:<44} {sec:>8.2f} {peak:>8.0f} {s / sec:>6.2f}×")
        print(f"{'':<10} {'PostGIS SQL (fallback + policy, one query)':<44} {s:>8.2f} {'—':>8} {1:>6.2f}×")
    print("\nstages (seconds): read, scenario builder, whole engine, fallback+policy+graph alone, write")
    for r in runs:
        st = r["ours"]["stages"]
        print(f"{r['name']:<10} read {st['read']:.2f}, scenarios {st['scenarios']:.2f}, engine {st['engine']:.2f}, "
              f"links only {st['links_only']:.2f}, write {st['write']:.2f}")
    for r in runs:
        print(f"{r['name']}: fallback and policy links {'EQUAL' if r['agree'] else 'DIFFERENT'} to the SQL's "
              f"({r['pairs']:,} pairs; only ours {r['only_ours']}, only SQL {r['only_sql']})")


def run(size: str = "small") -> list[dict]:
    """Run the benchmark at ``size`` ("small" or "full"; see the module docstring), print and return the results."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    units, residential = SIZES[size]
    return main_with(units, residential, skip_city=False)


def main_with(units: int, residential: int, skip_city: bool) -> list[dict]:
    province = province_path(OUT, units, residential)
    sets = ([] if skip_city else [("city", SAMPLE_CITY, False)]) + [("province", province, True)]
    runs = on_fresh_databases("geo_risk_bench_clusters_", sets,
                              lambda name, path, url, is_province, root: bench(name, path, url, is_province))
    report(runs)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=SIZES["full"][0], help="hazard units of the province")
    ap.add_argument("--residential", type=int, default=SIZES["full"][1], help="housing polygons of the province")
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker)
        return
    main_with(args.units, args.residential, args.skip_city)


if __name__ == "__main__":
    main()
