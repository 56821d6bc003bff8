"""Benchmark GB 18218 grading (``grade_store``) against the same computation as one PostGIS query.

Two data sets, each in its own database of one private PostGIS cluster started for the run:

1. the sample city (``sample_geo/jilin_city.gpkg``);
2. a generated province (:mod:`benchmarks._province`: ``--units`` hazard units, default 100,000,
   in ≈ units/2.5 plants around 40 cities of Jilin province, 1–3 inventory rows each, and
   ``--residential`` housing polygons, default 4 × units), cached under ``benchmarks/out/``.

Each is loaded with ``load_path`` (timed apart, not part of the comparison) and ``ANALYZE``d. Then,
on the same database:

- **geo-risk**: ``grade_store(url)`` in a child process (read the store, residents within 500 m
  outside each plant boundary apportioned by area, S = Σq/Q, α (Table 5), R = α·Σβq/Q, grade, write
  ``hazard_assessments``). Timed around the call (interpreter start and imports excluded); the
  call's stages are timed by wrapping the functions it calls (read, exposure, assessment, write);
  peak RSS is the child's ``VmHWM`` (it includes the ~200 MB of imported libraries).
- **PostGIS SQL**: one ``CREATE TABLE … AS WITH …`` statement (:data:`GRADING_SQL`) computing
  per unit S, the residents, α, R and the grade, after creating four small temporary catalogue
  tables from :mod:`geo_risk.chemicals` (Table 1 rows with Q, β, ambient Table 2 codes and boiling
  point; their names/aliases and CAS numbers; Table 2 categories with Q and β). Its time includes
  creating those tables (milliseconds). Peak memory of the server is not measured.

What the SQL side is spared, and why that is fair: resolving inventory names is part of our side's
work (NFKC/case/alias matching, CAS check digits, ambiguity errors, suggestions); the SQL side
joins inventory rows to the catalogue by ``table1_seq``, else by exact CAS (only CAS numbers of a
single row), else by exact name or alias — correct for these clean data, which is what an analyst
would do. It does not collect the per-substance terms, the notes or the other (non-resident)
people near each plant, which ``grade_store`` also stores; the province has 2,000 targets.
It does apply the same Table 2 operating-condition rule for flammable liquids (above the
boiling point → W5.1; special process or > 1.6 MPa → W5.2) and the same "largest β" choice, so
the two can be compared unit by unit.

Metric CRS: the SQL projects each plant and the housing it meets to the WGS 84 / UTM zone of the
plant's centroid, ``32600 + floor((lon + 180) / 6) + 1`` — the same choice as
:mod:`geo_risk.analysis.exposure`. ``geography`` would avoid the zone but PostGIS has no geodesic
buffer or difference: ``ST_Buffer(geography)`` itself goes through a planar projection it picks,
and areas of intersections would need a second round trip, so UTM (≤ 0.04 % scale error in a 6°
zone, far below the rounding of a resident count) is the natural and comparable choice. Housing
is found by its GiST index with ``&&`` against the ring's 1 m-expanded envelope transformed back to
EPSG:4326, then tested with ``ST_Intersects`` in UTM, as ``exposed_people`` tests it. The ring's arcs
have as many segments per quarter circle as ``exposed_people`` draws (``ring_quad_segs``: within
1 cm of the true 500 m offset, 125 segments), not ``ST_Buffer``'s default 8 (2.4 m short).

Exactness: the SQL casts quantities and resident counts through text to ``numeric`` (PostgreSQL's
``float8::text`` is the shortest round-trip form, as Python's ``repr``), so S ≥ 1 and R at 10, 50,
100 are compared in exact decimals like :mod:`geo_risk.standards.gb18218`; the α band is chosen on
the resident count rounded half up. Residents come from different builds of GEOS/PROJ (shapely and
pyproj wheels vs the server's), so they agree to ~1e-9, not bit for bit: a plant whose count is
within that of x.5 can land in the other α band.

    python benchmarks/grading.py                   # sample city + 100,000-unit province
    python benchmarks/grading.py --units 10000     # a quick run
    python benchmarks/grading.py --profile         # also cProfile grade_store on the province

Run-to-run noise on our 2-core machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
SAMPLE_CITY = REPO / "sample_geo" / "jilin_city.gpkg"
sys.path.insert(0, str(Path(__file__).resolve().parent))

# ---------------------------------------------------------------------------------------------
# The SQL alternative
# ---------------------------------------------------------------------------------------------

CATALOGUE_DDL = """
CREATE TEMP TABLE gb_substance (seq int PRIMARY KEY, q numeric NOT NULL, beta numeric NOT NULL,
                                in_table3 bool NOT NULL, codes text[] NOT NULL, bp float8);
CREATE TEMP TABLE gb_name (name text PRIMARY KEY, seq int NOT NULL);
CREATE TEMP TABLE gb_cas (cas text PRIMARY KEY, seq int NOT NULL);
CREATE TEMP TABLE gb_category (code text PRIMARY KEY, q numeric NOT NULL, beta numeric NOT NULL);
"""

#: One statement: per hazard unit of a graded enterprise, S, residents, α, R and grade.
GRADING_SQL = r"""
CREATE TABLE sql_grades AS
WITH plant AS MATERIALIZED (
    SELECT id, status, geom,
           32600 + floor((ST_X(ST_Centroid(geom)) + 180) / 6)::int + 1 AS srid
      FROM enterprises
     WHERE status IN ('operating', 'suspended', 'planned')
), ring AS MATERIALIZED (
    -- the 500 m ring outside the plant boundary (a disc around a plant stored as a point), metres
    SELECT id, srid,
           CASE WHEN ST_Dimension(m) = 0 THEN ST_Buffer(m, 500, 'quad_segs=__QUAD_SEGS__')
                ELSE ST_Difference(ST_Buffer(m, 500, 'quad_segs=__QUAD_SEGS__'), m) END AS ring
      FROM (SELECT id, srid, ST_Transform(geom, srid) AS m FROM plant) p
), exposed AS (
    -- residents: population × share of the residential area's area inside the ring
    SELECT ring.id,
           sum(ra.population * ST_Area(ST_Intersection(r.m, ring.ring)) / ST_Area(r.m)) AS residents
      FROM ring
      JOIN residential_areas ra ON ra.geom && ST_Transform(ST_Expand(ring.ring, 1), 4326)
      CROSS JOIN LATERAL (SELECT ST_Transform(ra.geom, ring.srid) AS m OFFSET 0) r
     WHERE ST_Intersects(r.m, ring.ring)
     GROUP BY ring.id
), item AS (
    SELECT i.unit_id, i.max_quantity_t::text::numeric AS q,
           s.seq, s.q AS q1, s.beta AS beta1, s.in_table3, s.codes AS ambient, s.bp,
           COALESCE(i.temperature_c, u.operating_temperature_c) AS temp,
           COALESCE(i.pressure_mpa, u.operating_pressure_mpa) AS press,
           COALESCE(u.special_process, false) AS special,
           CASE WHEN i.hazard_categories IS NULL THEN COALESCE(s.codes, '{}')
                ELSE COALESCE(s.codes, '{}') || ARRAY(
                    SELECT DISTINCT c FROM unnest(regexp_split_to_array(upper(i.hazard_categories),
                                                                       '[;,、/\s]+')) c
                     WHERE c <> '' AND NOT c = ANY (COALESCE(s.codes, '{}'))) END AS codes0
      FROM inventory i
      JOIN hazard_units u ON u.id = i.unit_id
      LEFT JOIN gb_cas gc ON gc.cas = i.cas
      LEFT JOIN gb_name gn ON gn.name = i.chemical
      LEFT JOIN gb_substance s ON s.seq = COALESCE(i.table1_seq, gc.seq, gn.seq)
), conditioned AS (
    -- GB 18218 Table 2: a flammable liquid above its boiling point is W5.1; under a special
    -- process or above 1.6 MPa, W5.2
    SELECT *, CASE
           WHEN NOT codes0 && '{W5.3,W5.4}'::text[] THEN codes0
           WHEN temp > bp THEN array_remove(array_remove(codes0, 'W5.3'), 'W5.4') || 'W5.1'::text
           WHEN special OR press > 1.6 THEN array_remove(array_remove(codes0, 'W5.3'), 'W5.4') || 'W5.2'::text
           ELSE codes0 END AS codes
      FROM item
), term AS (
    SELECT unit_id, q,
           CASE WHEN seq IS NOT NULL THEN q1
                ELSE (SELECT min(c.q) FROM gb_category c WHERE c.code = ANY (codes)) END AS big_q,
           CASE WHEN in_table3 THEN beta1
                WHEN seq IS NOT NULL AND codes <@ ambient THEN beta1
                WHEN seq IS NOT NULL THEN GREATEST(beta1, (SELECT max(c.beta) FROM gb_category c
                                                            WHERE c.code = ANY (codes) AND NOT c.code = ANY (ambient)))
                ELSE (SELECT max(c.beta) FROM gb_category c WHERE c.code = ANY (codes)) END AS beta
      FROM conditioned
), unit_sum AS (
    SELECT unit_id, sum(q / big_q) AS s, sum(beta * q / big_q) AS w FROM term GROUP BY unit_id
), unit_alpha AS (
    SELECT u.id AS unit_id, u.enterprise_id,
           CASE WHEN p.status = 'planned' THEN 'planned' ELSE 'register' END AS register,
           COALESCE(us.s, 0) AS s, COALESCE(us.w, 0) AS w, COALESCE(x.residents, 0) AS residents,
           CASE WHEN n >= 100 THEN 2.0 WHEN n >= 50 THEN 1.5 WHEN n >= 30 THEN 1.2
                WHEN n >= 1 THEN 1.0 ELSE 0.5 END AS alpha
      FROM hazard_units u
      JOIN plant p ON p.id = u.enterprise_id
      LEFT JOIN unit_sum us ON us.unit_id = u.id
      LEFT JOIN exposed x ON x.id = u.enterprise_id
      CROSS JOIN LATERAL (SELECT round(COALESCE(x.residents, 0)::text::numeric) AS n) k
)
SELECT unit_id, enterprise_id, register, s, s >= 1 AS is_major_hazard, residents, alpha,
       CASE WHEN s >= 1 THEN alpha * w END AS r,
       CASE WHEN s < 1 THEN NULL WHEN alpha * w >= 100 THEN 1 WHEN alpha * w >= 50 THEN 2
            WHEN alpha * w >= 10 THEN 3 ELSE 4 END AS grade
  FROM unit_alpha
"""


def _d(x: float) -> str:
    return str(Decimal(repr(float(x))))


def create_catalogue(cur) -> None:
    """Temporary catalogue tables from geo_risk.chemicals (Q and β as the decimals written)."""
    from psycopg2.extras import execute_values

    from geo_risk.chemicals import all_categories, all_substances

    cur.execute(CATALOGUE_DDL)
    subs = all_substances()
    execute_values(
        cur,
        "INSERT INTO gb_substance VALUES %s",
        [
            (
                s.seq,
                _d(s.critical_quantity_t),
                _d(s.beta),
                s.in_table3,
                list(s.table2_codes),
                s.properties.boiling_point_c if s.properties is not None else None,
            )
            for s in subs
        ],
    )
    names: dict[str, set[int]] = {}
    cas: dict[str, set[int]] = {}
    for s in subs:
        for n in (s.name_zh, s.name_en, *s.aliases):
            names.setdefault(n, set()).add(s.seq)
        for c in s.cas:
            cas.setdefault(c, set()).add(s.seq)
    # only names and CAS numbers of one row (several rows: ambiguous, ours asks for table1_seq)
    execute_values(cur, "INSERT INTO gb_name VALUES %s", [(n, next(iter(v))) for n, v in names.items() if len(v) == 1])
    execute_values(cur, "INSERT INTO gb_cas VALUES %s", [(c, next(iter(v))) for c, v in cas.items() if len(v) == 1])
    execute_values(
        cur,
        "INSERT INTO gb_category VALUES %s",
        [(c.code, _d(c.critical_quantity_t), _d(c.beta)) for c in all_categories()],
    )


def grading_sql() -> str:
    """:data:`GRADING_SQL` with the ring's segments per quarter circle of ``exposed_people`` (1 cm of the arc)."""
    from geo_risk.analysis.exposure import ring_quad_segs

    return GRADING_SQL.replace("__QUAD_SEGS__", str(ring_quad_segs(500.0)))


def run_sql(url: str) -> float:
    """Create the catalogue and run :data:`GRADING_SQL` on one connection; return seconds."""
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        conn = raw.driver_connection
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS sql_grades")
            conn.commit()
            t0 = time.perf_counter()
            create_catalogue(cur)
            cur.execute(grading_sql())
            conn.commit()
            return time.perf_counter() - t0
    finally:
        raw.close()


# ---------------------------------------------------------------------------------------------
# Our side, in a child process
# ---------------------------------------------------------------------------------------------


def worker(url: str, profile: str | None) -> None:
    """Run grade_store(url) once, timing its stages; print one JSON line."""
    import geo_risk.grading as g
    from geo_risk.store import results

    stages = {"read": 0.0, "exposure": 0.0, "assessment": 0.0, "write": 0.0}

    def timed(stage, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                stages[stage] += time.perf_counter() - t

        return wrapper

    g.read_layer = timed("read", g.read_layer)
    g.read_table = timed("read", g.read_table)
    g.read_near_plants = timed("read", g.read_near_plants)
    g.exposed_people = timed("exposure", g.exposed_people)
    g.assess_units = timed("assessment", g.assess_units)
    results.inputs_version = timed("read", results.inputs_version)
    results.replace_assessments = timed("write", results.replace_assessments)

    t0 = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        report = prof.runcall(g.grade_store, url)
        prof.dump_stats(profile)
    else:
        report = g.grade_store(url)
    seconds = time.perf_counter() - t0
    stages["other"] = seconds - sum(stages.values())
    # VmHWM: this process's peak resident set (ru_maxrss would carry over the parent's peak across exec)
    status = Path("/proc/self/status")
    peak = (
        next(
            (int(line.split()[1]) / 1024 for line in status.read_text().splitlines() if line.startswith("VmHWM:")),
            float("nan"),
        )
        if status.exists()
        else float("nan")
    )
    print(
        json.dumps(
            {"seconds": seconds, "stages": stages, "peak_mb": peak, "units": report.units, "summary": report.summary()}
        )
    )


def run_ours(url: str, profile: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", url] + (["--profile-out", profile] if profile else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"grade_store failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------


def compare(url: str) -> dict:
    """Unit-by-unit agreement of hazard_assessments (ours) and sql_grades."""
    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        ours = pd.read_sql(
            "SELECT unit_id, enterprise_id, register, s, is_major_hazard, alpha, "
            "exposed_residents AS residents, r, grade, residential_areas FROM hazard_assessments",
            conn,
        ).set_index("unit_id")
        sql = pd.read_sql(
            "SELECT unit_id, register, s::float8 AS s, is_major_hazard, alpha::float8 AS alpha, "
            "residents, r::float8 AS r, grade FROM sql_grades",
            conn,
        ).set_index("unit_id")
    both = ours.merge(sql, how="inner", left_index=True, right_index=True, suffixes=("_ours", "_sql"))
    n = len(both)
    s_diff = (both.s_ours - both.s_sql).abs()
    s_bad = s_diff > 1e-9 * np.maximum(1.0, both.s_ours.abs())
    g_ours = both.grade_ours.fillna(0).astype(int)
    g_sql = both.grade_sql.fillna(0).astype(int)
    grade_bad = g_ours != g_sql
    alpha_bad = both.alpha_ours != both.alpha_sql
    res_diff = (both.residents_ours - both.residents_sql).abs()

    def per_grade(frame, col):
        major = frame[frame[col].notna()]
        return {int(k): int(v) for k, v in major[col].astype(int).value_counts().sort_index().items()}

    plants = ours.drop_duplicates("enterprise_id")
    out = {
        "units_ours": len(ours),
        "units_sql": len(sql),
        "matched": n,
        "only_ours": len(ours) - n,
        "only_sql": len(sql) - n,
        "s_max_diff": float(s_diff.max()) if n else 0.0,
        "s_bad": int(s_bad.sum()),
        "major_bad": int((both.is_major_hazard_ours != both.is_major_hazard_sql).sum()),
        "residents_max_diff": float(res_diff.max()) if n else 0.0,
        "residents_max_rel": float((res_diff / np.maximum(1.0, both.residents_ours)).max()) if n else 0.0,
        "alpha_bad": int(alpha_bad.sum()),
        "grade_bad": int(grade_bad.sum()),
        "grade_same_pct": 100.0 * (1 - grade_bad.mean()) if n else 100.0,
        "grades_ours": per_grade(ours, "grade"),
        "grades_sql": per_grade(sql, "grade"),
        "alpha_bands": {f"{a:g}": int(c) for a, c in plants.alpha.value_counts().sort_index().items()},
        "plants": len(plants),
        "pairs": int(plants.residential_areas.sum()),
        "majors": int(ours.is_major_hazard.sum()),
        "examples": [],
    }
    for uid, row in both[grade_bad | alpha_bad | s_bad].head(8).iterrows():
        out["examples"].append(
            f"{uid}: S {row.s_ours!r}/{row.s_sql!r}, residents {row.residents_ours!r}/{row.residents_sql!r}, "
            f"α {row.alpha_ours}/{row.alpha_sql}, R {row.r_ours!r}/{row.r_sql!r}, "
            f"grade {row.grade_ours}/{row.grade_sql}"
        )
    return out


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def load_file(path: Path, url: str) -> tuple[float, int]:
    """geo-risk load of ``path`` into ``url`` (in this process), then ANALYZE; (seconds, rows)."""
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        t0 = time.perf_counter()
        report = load_path(path, raw.driver_connection)
        seconds = time.perf_counter() - t0
    finally:
        raw.close()
    raw = get_engine(url).raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute("ANALYZE")
    finally:
        raw.close()
    return seconds, sum(report.layers.values())


def bench(name: str, path: Path, url: str, profile: bool) -> dict:
    print(f"[{name}] loading {path.name} …", flush=True)
    load_s, rows = load_file(path, url)
    print(f"[{name}]   loaded {rows:,} rows in {load_s:.1f} s", flush=True)
    print(f"[{name}] grade_store …", flush=True)
    ours = run_ours(url)
    print(f"[{name}]   {ours['seconds']:.1f} s — {ours['summary']}", flush=True)
    print(f"[{name}] PostGIS SQL …", flush=True)
    sql_s = run_sql(url)
    print(f"[{name}]   {sql_s:.1f} s", flush=True)
    agreement = compare(url)
    prof = None
    if profile:
        prof = str(OUT / f"grading_{name}.prof")
        print(f"[{name}] grade_store under cProfile …", flush=True)
        run_ours(url, prof)
    return {
        "name": name,
        "rows": rows,
        "load_s": load_s,
        "ours": ours,
        "sql_s": sql_s,
        "agree": agreement,
        "profile": prof,
    }


def print_profile(path: str, top: int = 25) -> None:
    import pstats

    for key in ("tottime", "cumulative"):
        print(f"\ncProfile of grade_store, top {top} by {key} ({path}):")
        pstats.Stats(path).sort_stats(key).print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=100_000, help="hazard units of the province (default 100,000)")
    ap.add_argument("--residential", type=int, default=None, help="housing polygons (default 4 × units)")
    ap.add_argument("--profile", action="store_true", help="also run grade_store under cProfile on the province")
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.profile_out)
        return

    from _province import GENERATOR_VERSION, make_province

    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    residential = args.residential or 4 * args.units
    province = OUT / f"province_v{GENERATOR_VERSION}_{args.units}u_{residential}r.gpkg"
    gen_s = None
    if not province.exists():
        print(f"generating the province ({args.units:,} units, {residential:,} residential areas) …", flush=True)
        t0 = time.perf_counter()
        make_province(province, args.units, residential)
        gen_s = time.perf_counter() - t0
        print(f"  {province} ({province.stat().st_size / 1e6:.0f} MB) in {gen_s:.1f} s", flush=True)

    root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_pg_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
    runs = []
    try:
        cluster.start()
        sets = ([] if args.skip_city else [("city", SAMPLE_CITY)]) + [("province", province)]
        for name, path in sets:
            cluster.create_database(name)
            url = cluster.url(name)
            migrate(url)
            runs.append(bench(name, path, url, args.profile and name == "province"))
            get_engine(url).dispose()
    finally:
        cluster.destroy()

    print(f"\nGB 18218 grading: geo-risk grade_store vs one PostGIS SQL query, same database ({os.cpu_count()} cores)")
    if gen_s is not None:
        print(f"province generated in {gen_s:.1f} s")
    for run in runs:
        a = run["agree"]
        print(
            f"{run['name']}: {run['rows']:,} rows loaded in {run['load_s']:.1f} s "
            f"({run['rows'] / run['load_s']:,.0f} rows/s; not part of the comparison); "
            f"{a['plants']:,} graded plants, {a['pairs']:,} plant–housing pairs in the rings"
        )
    print(f"\n{'data set':<10} {'method':<26} {'units':>8} {'seconds':>8} {'units/s':>9} {'peak MB':>8} {'vs SQL':>7}")
    for run in runs:
        n, o, s = run["ours"]["units"], run["ours"]["seconds"], run["sql_s"]
        print(
            f"{run['name']:<10} {'geo-risk grade_store':<26} {n:>8,} {o:>8.2f} {n / o:>9,.0f} "
            f"{run['ours']['peak_mb']:>8.0f} {s / o:>6.2f}×"
        )
        print(f"{'':<10} {'PostGIS SQL (one query)':<26} {n:>8,} {s:>8.2f} {n / s:>9,.0f} {'—':>8} {1:>6.2f}×")
    for run in runs:
        print(f"{run['name']}: grade_store takes {run['ours']['seconds'] / run['sql_s']:.1f}× the SQL's time")
    print("\nwhere grade_store's time goes (seconds, share):")
    print(f"{'data set':<10} " + " ".join(f"{k:>16}" for k in ("read", "exposure", "assessment", "write", "other")))
    for run in runs:
        st, total = run["ours"]["stages"], run["ours"]["seconds"]
        stages = ("read", "exposure", "assessment", "write", "other")
        print(f"{run['name']:<10} " + " ".join(f"{st[k]:>8.2f} ({100 * st[k] / total:>3.0f} %)" for k in stages))
    print("\nagreement (unit by unit):")
    for run in runs:
        a = run["agree"]
        print(
            f"{run['name']}: {a['matched']:,} units in both (only ours {a['only_ours']}, only SQL {a['only_sql']}); "
            f"{a['majors']:,} major hazards; S max |Δ| {a['s_max_diff']:.1e} ({a['s_bad']} beyond 1e-9); "
            f"S ≥ 1 differs {a['major_bad']}; residents max |Δ| {a['residents_max_diff']:.1e} "
            f"(rel {a['residents_max_rel']:.1e}); α differs {a['alpha_bad']}; grade differs {a['grade_bad']} "
            f"({a['grade_same_pct']:.3f} % same)"
        )
        print(
            f"  major hazards per grade — ours {a['grades_ours']}, SQL {a['grades_sql']}"
            f" ({'same' if a['grades_ours'] == a['grades_sql'] else 'DIFFERENT'}); plants per α {a['alpha_bands']}"
        )
        for e in a["examples"]:
            print(f"    {e}")
    for run in runs:
        if run["profile"]:
            print_profile(run["profile"])


if __name__ == "__main__":
    main()
