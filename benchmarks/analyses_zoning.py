"""Benchmark the four-colour zoning and heatmap against the same computation written in PostGIS SQL.

Data sets, each in its own database of one private PostGIS cluster started for the run, loaded with
``load_path`` and graded with ``grade_store`` (neither timed here):

1. the sample city (``sample_geo/jilin_city.gpkg``: 4 districts, 2 parks, official scores);
2. a generated province (:mod:`benchmarks._province`: ``--units`` hazard units in ≈ units/2.5 plants
   around 40 cities, ``--residential`` housing polygons), cached under ``benchmarks/out/``. The
   generator writes no parks, administrative areas or scores, so the benchmark adds them in SQL
   before the run (not timed): parks are DBSCAN groups of plant centroids (2.5 km, ≥ 5 plants; the
   hull buffered by 300 m; every fifth park grade A, the rest C); an administrative area per city is
   the envelope of its plants and homes (DBSCAN of plants at 15 km) buffered by 5 km; one plant in
   ten gets an official score (45–98).

No QRA runs are stored in either data set (the risk engine is benchmarked on its own: benchmarks/risk.py),
so individual risk is 0 everywhere on both sides and cells are coloured by the raise-one-level rule
alone; everything else of the zoning runs: H3 cells (resolution 8; the fine resolution is off on both
sides), residents apportioned by area, the quartic-kernel R heat within 1 km, unit and enterprise
colours (official or derived), cells holding a red enterprise or a grade-A park, areas' worst colour
and counts per colour.

- **geo-risk** (a child process: its peak memory is its own ``VmHWM``): read the store
  (:func:`geo_risk.store.zoning.read_inputs`), :func:`geo_risk.analysis.zoning.zone`, store the result
  (:func:`geo_risk.store.zoning.save`); stages timed.
- **PostGIS SQL** (:data:`ZONING_SQL`): the same steps on PostGIS's own hexagons — ``ST_HexagonGrid``
  cells of the same area as H3 res 8 (edge 532.7 m) in the UTM zone of each feature (h3-pg is not
  installed): residents apportioned by ``ST_Intersection`` areas, the R heat by ``ST_DWithin`` from
  each source's hexagons, enterprise colours from scores and grades, the raise rule, every
  administrative area's and park's cells with worst colour and counts. Server memory is not measured.
- **agreement**: total residents placed (equal to the layer's total on both sides), and the same
  apportioning and heat computed by SQL on *our* H3 cells (uploaded, geography areas and distances)
  compared cell by cell with ours.

``run(size)`` is the entry point of ``benchmarks/analyses.py``: ``"small"`` (the city and a 2,000-unit
province with 100,000 housing polygons) or ``"full"`` (the city and a 20,000-unit province with
1,000,000).

    python benchmarks/analyses_zoning.py                             # full
    python benchmarks/analyses_zoning.py --units 2000 --residential 100000

Run-to-run noise on our 2-core shared machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import io
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
HEX_EDGE_M = 532.7  # a hexagon of H3 res 8's average area (737,327 m²): edge = sqrt(2 A / (3 √3))
RADIUS_M = 1000.0

PROVINCE_SETUP_SQL = [
    """
    CREATE TEMP TABLE bench_parks AS
    SELECT id, ST_ClusterDBSCAN(ST_Transform(ST_Centroid(geom), 3857), eps => 2500 / cos(radians(43.5)),
                                minpoints => 5) OVER () AS k
      FROM enterprises
    """,
    """
    INSERT INTO chemical_parks (id, name, risk_grade, geom)
    SELECT 'BPK-' || k, '基准园区 ' || k, CASE WHEN k % 5 = 0 THEN 'A' ELSE 'C' END,
           ST_Multi(ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(ST_Transform(e.geom, 3857))),
                                           300 / cos(radians(43.5))), 4326))
      FROM bench_parks b JOIN enterprises e USING (id) WHERE k IS NOT NULL GROUP BY k
    """,
    "UPDATE enterprises e SET park_id = 'BPK-' || b.k FROM bench_parks b WHERE b.id = e.id AND b.k IS NOT NULL",
    "UPDATE enterprises SET risk_score = 45 + (abs(hashtext(id)) % 5300) / 100.0 WHERE abs(hashtext(id)) % 10 = 0",
    """
    CREATE TEMP TABLE bench_cities AS
    SELECT id, ST_ClusterDBSCAN(ST_Transform(ST_Centroid(geom), 3857), eps => 15000 / cos(radians(43.5)),
                                minpoints => 1) OVER () AS k, geom
      FROM enterprises
    """,
    """
    INSERT INTO admin_areas (id, code, name, level, geom)
    SELECT lpad((220100 + k)::text, 6, '0'), lpad((220100 + k)::text, 6, '0'), '基准县 ' || k, 'county',
           ST_Transform(ST_Envelope(ST_Buffer(ST_Envelope(ST_Transform(ST_Collect(geom), 3857)),
                                               5000 / cos(radians(43.5)))), 4326)
      FROM bench_cities GROUP BY k
    """,
]

_SRID = "(32600 + floor((ST_X(ST_PointOnSurface({g})) + 180) / 6)::int + 1)"

#: The zoning in SQL, one statement at a time (temporary tables); ``:size`` the hexagon edge (m),
#: ``:h`` the kernel radius (m). The last statement returns the areas' worst colour and counts.
ZONING_SQL = [
    f"CREATE TEMP TABLE z_res AS SELECT population::float8 AS pop, {_SRID.format(g='geom')} AS srid, geom "
    "FROM residential_areas WHERE population > 0",
    "CREATE TEMP TABLE z_pop AS SELECT r.srid, h.i, h.j, sum(r.pop * ST_Area(ST_Intersection(r.g, h.geom)) "
    "/ ST_Area(r.g)) AS pop FROM (SELECT srid, pop, ST_Transform(geom, srid) AS g FROM z_res) r, "
    "LATERAL ST_HexagonGrid(:size, r.g) h WHERE ST_Intersects(r.g, h.geom) GROUP BY 1, 2, 3",
    f"CREATE TEMP TABLE z_src AS SELECT round(a.r::numeric, 2)::float8 AS r, {_SRID.format(g='u.geom')} AS srid, "
    "ST_PointOnSurface(u.geom) AS p FROM hazard_assessments a JOIN hazard_units u ON u.id = a.unit_id "
    "WHERE a.is_major_hazard",
    "CREATE TEMP TABLE z_heat AS SELECT s.srid, h.i, h.j, sum(s.r * power(1 - power(ST_Distance(ST_Centroid(h.geom), "
    "s.g) / :h, 2), 2)) AS heat FROM (SELECT srid, r, ST_Transform(p, srid) AS g FROM z_src) s, "
    "LATERAL ST_HexagonGrid(:size, ST_Expand(s.g, :h)) h WHERE ST_DWithin(ST_Centroid(h.geom), s.g, :h) "
    "GROUP BY 1, 2, 3",
    # enterprise colour rank (1 red … 4 blue): official score band, else the worst unit's grade colour
    "CREATE TEMP TABLE z_ent AS SELECT e.id, e.geom, CASE WHEN e.risk_score IS NOT NULL THEN CASE "
    "WHEN e.risk_score < 60 THEN 1 WHEN e.risk_score < 75 THEN 2 WHEN e.risk_score < 90 THEN 3 ELSE 4 END "
    "ELSE coalesce((SELECT min(CASE a.grade WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 3 END) FROM hazard_assessments a "
    "WHERE a.enterprise_id = e.id AND a.is_major_hazard), 4) END AS rank FROM enterprises e",
    f"CREATE TEMP TABLE z_raise AS SELECT x.srid, h.i, h.j, bool_or(x.kind = 'e') AS red_e, "
    "bool_or(x.kind = 'p') AS park_a FROM (SELECT kind, srid, ST_Transform(geom, srid) AS g FROM ("
    f"SELECT 'e' AS kind, {_SRID.format(g='geom')} AS srid, geom FROM z_ent WHERE rank = 1 UNION ALL "
    f"SELECT 'p', {_SRID.format(g='geom')}, geom FROM chemical_parks WHERE risk_grade = 'A') y) x, "
    "LATERAL ST_HexagonGrid(:size, x.g) h WHERE ST_Intersects(x.g, h.geom) AND NOT ST_Touches(x.g, h.geom) "
    "GROUP BY 1, 2, 3",
    f"CREATE TEMP TABLE z_area_cells AS SELECT a.kind, a.id, a.srid, h.i, h.j FROM (SELECT kind, id, srid, "
    "ST_Transform(geom, srid) AS g FROM (SELECT 'admin' AS kind, id, "
    f"{_SRID.format(g='geom')} AS srid, geom FROM admin_areas UNION ALL SELECT 'park', id, "
    f"{_SRID.format(g='geom')}, geom FROM chemical_parks) y) a, LATERAL ST_HexagonGrid(:size, a.g) h "
    "WHERE ST_Intersects(a.g, h.geom) AND NOT ST_Touches(a.g, h.geom)",
    f"CREATE TEMP TABLE z_ent_cells AS SELECT x.srid, h.i, h.j FROM (SELECT srid, ST_Transform(p, srid) AS g FROM "
    f"(SELECT {_SRID.format(g='geom')} AS srid, ST_PointOnSurface(geom) AS p FROM enterprises) y) x, "
    "LATERAL ST_HexagonGrid(:size, x.g) h WHERE ST_Intersects(x.g, h.geom)",
    "CREATE TEMP TABLE z_cells AS SELECT k.srid, k.i, k.j, coalesce(p.pop, 0) AS pop, coalesce(h.heat, 0) AS heat, "
    "CASE WHEN coalesce(x.red_e, false) OR coalesce(x.park_a, false) THEN 3 ELSE 4 END AS rank FROM ("
    "SELECT srid, i, j FROM z_pop UNION SELECT srid, i, j FROM z_heat UNION SELECT srid, i, j FROM z_raise "
    "UNION SELECT srid, i, j FROM z_area_cells UNION SELECT srid, i, j FROM z_ent_cells) k "
    "LEFT JOIN z_pop p USING (srid, i, j) LEFT JOIN z_heat h USING (srid, i, j) LEFT JOIN z_raise x USING (srid, i, j)",
    "SELECT a.kind, a.id, min(c.rank) AS worst, count(*) FILTER (WHERE c.rank = 1) AS n_red, "
    "count(*) FILTER (WHERE c.rank = 2) AS n_orange, count(*) FILTER (WHERE c.rank = 3) AS n_yellow, "
    "count(*) FILTER (WHERE c.rank = 4) AS n_blue, (SELECT count(*) FROM z_cells) AS cells, "
    "(SELECT sum(pop) FROM z_cells) AS pop, (SELECT count(*) FROM z_cells WHERE rank < 4) AS raised "
    "FROM z_area_cells a JOIN z_cells c USING (srid, i, j) GROUP BY 1, 2",
]

#: Population and heat on our H3 cells (uploaded to ``z_h3``: h3, geom, lon, lat), geodesic.
H3_CHECK_SQL = [
    "CREATE INDEX ON z_h3 USING gist (geom)",
    "CREATE INDEX ON z_h3 USING gist (centre)",
    "ANALYZE z_h3",
    "CREATE TEMP TABLE z_h3_pop AS SELECT c.h3, sum(r.population * ST_Area(ST_Intersection(r.geom, c.geom)::geography) "
    "/ ST_Area(r.geom::geography)) AS pop FROM z_h3 c JOIN residential_areas r ON ST_Intersects(r.geom, c.geom) "
    "WHERE r.population > 0 GROUP BY c.h3",
    "CREATE TEMP TABLE z_h3_heat AS SELECT c.h3, sum(round(a.r::numeric, 2)::float8 * power(1 - power(ST_Distance("
    "c.centre, ST_PointOnSurface(u.geom)::geography) / :h, 2), 2)) AS heat FROM hazard_assessments a "
    "JOIN hazard_units u ON u.id = a.unit_id JOIN z_h3 c ON ST_DWithin(c.centre, ST_PointOnSurface(u.geom)::geography, "
    ":h) WHERE a.is_major_hazard GROUP BY c.h3",
]


def worker(url: str, cells_out: str) -> None:
    """Read, zone (H3 res 8, no fine cells), store; print one JSON line; write our cells for the check."""
    from geo_risk.analysis.zoning import ZoningInputs, ZoningSettings, zone
    from geo_risk.store import zoning as store

    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    data = store.read_inputs(url)
    stages["read"] = time.perf_counter() - t0
    t = time.perf_counter()
    settings = ZoningSettings(resolution=8, fine_resolution=None, r_radius_m=RADIUS_M)
    result = zone(ZoningInputs(enterprises=data["enterprises"], units=data["units"], parks=data["parks"],
                               residential=data["residential"], admin_areas=data["admin_areas"]), settings)
    stages["engine"] = time.perf_counter() - t
    t = time.perf_counter()
    store.save(url, result, inputs_version=data["inputs_version"], basis_=data["basis"], summary=result.summary())
    stages["write"] = time.perf_counter() - t
    cells = result.cells
    cells[["h3", "population", "r_heat"]].to_csv(cells_out, index=False)
    print(json.dumps({
        "seconds": time.perf_counter() - t0, "stages": stages, "engine_stages": result.timings_s,
        "peak_mb": peak_mb(), "cells": int(len(cells)), "residents": float(cells["population"].sum()),
        "raised": int((cells["colour"] != "blue").sum()), "areas": int(len(result.areas)),
        "units": int(len(data["units"])), "residential": int(len(data["residential"])),
        "sources": int(data["units"]["r"].notna().sum()),
    }))


def run_ours(url: str, cells_out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--worker", url, "--cells-out", str(cells_out)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the zoning failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_sql(url: str) -> tuple[float, dict]:
    """ZONING_SQL once on one connection: (seconds, totals)."""
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    params = {"size": HEX_EDGE_M, "h": RADIUS_M}
    with get_engine(url).connect() as conn:
        t = time.perf_counter()
        for stmt in ZONING_SQL[:-1]:
            conn.execute(text(stmt), params)
        rows = conn.execute(text(ZONING_SQL[-1]), params).mappings().all()
        seconds = time.perf_counter() - t
        totals = {"cells": int(conn.execute(text("SELECT count(*) FROM z_cells")).scalar_one()),
                  "residents": float(conn.execute(text("SELECT coalesce(sum(pop), 0) FROM z_cells")).scalar_one()),
                  "raised": int(conn.execute(text("SELECT count(*) FROM z_cells WHERE rank < 4")).scalar_one()),
                  "areas": len(rows)}
        conn.rollback()
    return seconds, totals


def check_h3(url: str, cells_csv: Path, max_cells: int = 20_000) -> dict:
    """The same apportioning and heat in SQL on our H3 cells, compared cell by cell (not timed; at most
    ``max_cells`` cells, drawn at random with a fixed seed, where there are more)."""
    import h3
    import numpy as np
    import pandas as pd

    from geo_risk.analysis.zoning import cell_polygons
    from geo_risk.store.db import get_engine

    ours = pd.read_csv(cells_csv).set_index("h3")
    if len(ours) > max_cells:
        ours = ours.sample(max_cells, random_state=12)
    cells = np.asarray(ours.index, dtype=object)
    polys = cell_polygons(cells)
    ll = np.array([h3.cell_to_latlng(c) for c in cells])
    import shapely

    buf = io.StringIO()
    pd.DataFrame({"h3": cells, "geom": ["SRID=4326;" + w for w in shapely.to_wkb(polys, hex=True)],
                  "lon": ll[:, 1], "lat": ll[:, 0]}).to_csv(buf, index=False, header=False)
    buf.seek(0)
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("CREATE TEMP TABLE z_h3 (h3 text, geom geometry, lon float8, lat float8)")
        cur.copy_expert("COPY z_h3 FROM STDIN WITH (FORMAT csv)", buf)
        cur.execute("ALTER TABLE z_h3 ADD COLUMN centre geography")
        cur.execute("UPDATE z_h3 SET centre = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography")
        for stmt in H3_CHECK_SQL:
            cur.execute(stmt.replace(":h", str(RADIUS_M)))
        cur.execute("SELECT h3, pop FROM z_h3_pop")
        pop = pd.Series(dict(cur.fetchall()), dtype=float)
        cur.execute("SELECT h3, heat FROM z_h3_heat")
        heat = pd.Series(dict(cur.fetchall()), dtype=float)
        raw.rollback()
    finally:
        raw.close()
    p = pop.reindex(ours.index).fillna(0.0)
    q = heat.reindex(ours.index).fillna(0.0)
    dp = (ours["population"] - p).abs()
    dq = (ours["r_heat"] - q).abs()
    return {"cells": len(ours), "pop_bad": int((dp > np.maximum(0.5, 2e-3 * p)).sum()),
            "pop_max_diff": float(dp.max()) if len(dp) else 0.0,
            "heat_bad": int((dq > np.maximum(1e-3, 5e-3 * q)).sum()), "heat_max_diff": float(dq.max()) if len(dq)
            else 0.0, "sources_sum_sql": float(q.sum()), "sources_sum_ours": float(ours["r_heat"].sum())}


def _prepare(name: str, path: Path, url: str, province: bool) -> dict:
    from sqlalchemy import text

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


def bench(name: str, path: Path, url: str, province: bool, work: Path) -> dict:
    prep = _prepare(name, path, url, province)
    print(f"{name}: {prep['rows']:,} rows loaded in {prep['load_s']:.1f} s, graded in {prep['grade_s']:.1f} s; "
          "zoning …", flush=True)
    cells_csv = work / f"{name}_cells.csv"
    ours = run_ours(url, cells_csv)
    print(f"{name}:   geo-risk {ours['seconds']:.1f} s; PostGIS SQL …", flush=True)
    sql_s, sql = run_sql(url)
    print(f"{name}:   SQL {sql_s:.1f} s; checking on the H3 cells …", flush=True)
    return {**prep, "ours": ours, "sql_s": sql_s, "sql": sql, "check": check_h3(url, cells_csv)}


def report(runs: list[dict]) -> None:
    print(f"\nFour-colour zoning and heatmap: geo-risk vs PostGIS SQL, same database ({os.cpu_count()} cores); "
          f"H3 res 8 vs ST_HexagonGrid of the same area, R kernel quartic {RADIUS_M:g} m, no IR grids")
    print(f"{'data set':<10} {'housing':>9} {'units':>7} {'R srcs':>7} {'cells':>8} {'SQL cells':>9} {'raised':>7} "
          f"{'SQL rsd':>7} {'areas':>6}")
    for r in runs:
        o, s = r["ours"], r["sql"]
        print(f"{r['name']:<10} {o['residential']:>9,} {o['units']:>7,} {o['sources']:>7,} {o['cells']:>8,} "
              f"{s['cells']:>9,} {o['raised']:>7,} {s['raised']:>7,} {o['areas']:>6,}")
    print(f"\n{'data set':<10} {'method':<40} {'seconds':>8} {'peak MB':>8} {'vs SQL':>7}")
    for r in runs:
        o, st, s = r["ours"], r["ours"]["stages"], r["sql_s"]
        for label, sec in (("geo-risk engine (zone)", st["engine"]), ("geo-risk read + engine + store", o["seconds"])):
            print(f"{r['name']:<10} {label:<40} {sec:>8.2f} {o['peak_mb']:>8.0f} {s / sec:>6.2f}×")
        print(f"{'':<10} {'PostGIS SQL (ST_HexagonGrid, 10 statements)':<40} {s:>8.2f} {'—':>8} {1:>6.2f}×")
    print("\nengine stages (seconds):")
    for r in runs:
        es = r["ours"]["engine_stages"]
        print(f"{r['name']:<10} " + ", ".join(f"{k} {v:.2f}" for k, v in es.items()))
    print("\nagreement:")
    for r in runs:
        c, o, s = r["check"], r["ours"], r["sql"]
        print(f"{r['name']}: residents placed {o['residents']:,.1f} (ours) vs {s['residents']:,.1f} (SQL hexagons); "
              f"on {c['cells']:,} of our H3 cells the SQL apportioning differs in {c['pop_bad']} cells (largest "
              f"{c['pop_max_diff']:.3f} people) and the R heat in {c['heat_bad']} (largest {c['heat_max_diff']:.4f}; "
              f"Σ {c['sources_sum_ours']:,.2f} ours, {c['sources_sum_sql']:,.2f} SQL)")


def run(size: str = "small") -> list[dict]:
    """Run the benchmark at ``size`` ("small" or "full"; see the module docstring), print and return the results."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    units, residential = SIZES[size]
    return main_with(units, residential, skip_city=False)


def main_with(units: int, residential: int, skip_city: bool) -> list[dict]:
    province = province_path(OUT, units, residential)
    sets = ([] if skip_city else [("city", SAMPLE_CITY, False)]) + [("province", province, True)]
    runs = on_fresh_databases("geo_risk_bench_zoning_", sets,
                              lambda name, path, url, is_province, root: bench(name, path, url, is_province, root))
    report(runs)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=SIZES["full"][0], help="hazard units of the province")
    ap.add_argument("--residential", type=int, default=SIZES["full"][1], help="housing polygons of the province")
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--cells-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.cells_out)
        return
    main_with(args.units, args.residential, args.skip_city)


if __name__ == "__main__":
    main()
