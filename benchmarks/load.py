"""Benchmark ``geo-risk load`` against ``ogr2ogr -f PostgreSQL`` on the same data, in one run.

Generates N residential quadrilaterals 20–80 m across around Jilin City (lon 126.55, lat 43.84,
±30 km; EPSG:4326; integer population; Chinese name) as a GeoPackage, starts a private PostGIS
cluster, then loads the file

1. with ``geo-risk load`` (all validation on) into the empty, migrated ``residential_areas`` table;
2. with ``PG_USE_COPY=YES ogr2ogr`` (no validation, GiST index built) into a fresh table;
3. with ``geo-risk load`` again: a re-load, i.e. an upsert into the filled, indexed table;
4. with ``geo-risk load`` into a store that already holds the sample city, graded (150 plants,
   2,268 residential areas; loaded and graded beforehand, not timed): the grading the load
   triggers then re-grades the plants whose 500 m ring the new blocks meet (``--skip-city``: not run).

Each ``geo-risk load`` is the whole command: start-up, migration check, load, audit and the GB 18218
grading it triggers (its time is also reported apart, from the command's own summary). Both commands
are run once untimed on a one-row file first (cold caches of a fresh cluster and interpreter); the
fixed cost of the command (the same load of a one-row file: interpreter, imports, migration check,
audit) is measured too and printed with the rows/s beyond it, which is what a small ``--rows`` run can
compare (at 100,000 rows the start-up is most of our time; ogr2ogr's is ~0.05 s). Prints
rows/second and peak resident memory (MB, the process tree's RSS sampled every 50 ms) for each,
and the ratio to ogr2ogr; the file is read once before (page cache) so that neither side pays for the
disk; checks that both sides stored every row (``count(*)`` = N in each
table). Run-to-run noise on our 2-core machines is ±15–25 %: compare within one run.

    python benchmarks/load.py              # 1,000,000 rows
    python benchmarks/load.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"


def make_file(rows: int, path: Path) -> Path:
    """N random quadrilaterals (20–80 m) around Jilin City, EPSG:4326, written once and cached."""
    if path.exists():
        return path
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(42)
    m_per_deg_lat = 111_320.0
    m_per_deg_lon = m_per_deg_lat * np.cos(np.radians(43.84))
    cx = 126.55 + (rng.random(rows) - 0.5) * 2 * 30_000 / m_per_deg_lon
    cy = 43.84 + (rng.random(rows) - 0.5) * 2 * 30_000 / m_per_deg_lat
    size = 20 + rng.random((rows, 4)) * 60  # half-diagonals, metres
    ang = np.radians(np.array([0, 90, 180, 270]) + rng.random((rows, 4)) * 30)
    xs = cx[:, None] + size * np.cos(ang) / 2 / m_per_deg_lon
    ys = cy[:, None] + size * np.sin(ang) / 2 / m_per_deg_lat
    rings = np.stack([xs, ys], axis=-1)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    names = np.array(["江城花园", "松江小区", "龙潭新村", "昌邑家园", "船营里"])[rng.integers(0, 5, rows)]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"RA{i:07d}" for i in range(rows)],
            "name": [f"{n}{i % 97}期" for i, n in enumerate(names)],
            "population": rng.integers(10, 3000, rows),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(
        path, layer="residential_areas", driver="GPKG", engine="pyogrio", dataset_options={"VERSION": "1.2"}
    )
    return path


class PeakRSS:
    """Peak resident memory (bytes) of a process and its children, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd``; return (seconds, peak RSS in MB, its output: stdout and stderr). Raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = PeakRSS(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    peak = rss.stop() / 1e6
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, peak, out + err


#: The end of ``geo-risk load``'s grading summary: "[whole store, N enterprise(s); S s]" or
#: "[re-graded the N enterprise(s) the load changed, other results kept; S s]".
_GRADED = re.compile(r"\[(whole store|re-graded)[^\]]*?(\d+) enterprise\(s\)[^\]]*; ([0-9.]+) s\]")


def grading_of(out: str) -> tuple[str, int, float]:
    """(scope, enterprises graded, seconds) of the grading a ``geo-risk load`` ran, from its output."""
    m = _GRADED.search(" ".join(out.split()))
    if m is None:
        raise RuntimeError(f"no grading summary in the output of geo-risk load:\n{out[-2000:]}")
    return ("incremental" if m.group(1) == "re-graded" else "whole store"), int(m.group(2)), float(m.group(3))


def count_rows(url: str, table: str) -> int:
    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar())  # noqa: S608 - our constant


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-city", action="store_true", help="no 4th run into a store holding the sample city")
    args = ap.parse_args()

    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    print(f"generating {args.rows:,} residential polygons …", flush=True)
    src = make_file(args.rows, OUT / f"residential_{args.rows}.gpkg")
    print(f"  {src} ({src.stat().st_size / 1e6:.0f} MB)")
    with open(src, "rb") as f:  # into the page cache: no side pays for reading it from disk first
        while f.read(1 << 24):
            pass

    root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_pg_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
    # (name, seconds, peak MB, grading: (scope, enterprises, seconds) or None)
    results: list[tuple[str, float, float, tuple[str, int, float] | None]] = []
    try:
        cluster.start()
        cluster.create_database("bench_ogr")
        url = cluster.url()
        migrate(url)
        with get_engine(cluster.url("bench_ogr")).begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION postgis")
        port = cluster.running_port()
        env = dict(os.environ, GEO_RISK_DATABASE_URL=url, PG_USE_COPY="YES")
        geo_risk = [str(Path(sys.executable).with_name("geo-risk")), "load", str(src)]

        # Warm-up, not timed: the first command of a fresh cluster and interpreter pays for cold
        # caches (libraries, PostGIS loading in a backend). Then the fixed cost of the command:
        # the same one-row load again (interpreter, imports, migration check, audit, grading).
        one = OUT / "residential_1.gpkg"
        if not one.exists():
            make_file(1, one)
        cluster.create_database("bench_startup")
        migrate(cluster.url("bench_startup"))
        startup_env = dict(env, GEO_RISK_DATABASE_URL=cluster.url("bench_startup"))
        timed([geo_risk[0], "load", str(one)], startup_env)
        subprocess.run(["ogr2ogr", "-f", "PostgreSQL", f"PG:host=127.0.0.1 port={port} user=georisk dbname=bench_ogr",
                        str(one), "-nln", "warm_up"], env=env, check=True, capture_output=True)
        startup, _, _ = timed([geo_risk[0], "load", str(one)], startup_env)
        print(f"  geo-risk load of a one-row file (fixed cost): {startup:.1f} s", flush=True)

        s, mb, out = timed(geo_risk, env)
        results.append(("geo-risk load (validated, empty table)", s, mb, grading_of(out)))
        print(f"  geo-risk load: {s:.1f} s", flush=True)
        stored = count_rows(url, "residential_areas")
        pg = f"PG:host=127.0.0.1 port={port} user=georisk dbname=bench_ogr"
        s, mb, _ = timed(
            [
                "ogr2ogr",
                "-f",
                "PostgreSQL",
                pg,
                str(src),
                "-nln",
                "residential_areas",
                "-lco",
                "GEOMETRY_NAME=geom",
                "-lco",
                "SPATIAL_INDEX=GIST",
            ],
            env,
        )
        results.append(("ogr2ogr PG_USE_COPY=YES (no validation)", s, mb, None))
        print(f"  ogr2ogr: {s:.1f} s", flush=True)
        stored_ogr = count_rows(cluster.url("bench_ogr"), "residential_areas")
        s, mb, out = timed(geo_risk, env)
        results.append(("geo-risk load again (upsert, filled table)", s, mb, grading_of(out)))
        print(f"  geo-risk re-load: {s:.1f} s", flush=True)
        stored_again = count_rows(url, "residential_areas")
        counts = {"geo-risk load": stored, "ogr2ogr": stored_ogr, "geo-risk re-load": stored_again}
        if not args.skip_city:
            cluster.create_database("bench_city")
            city_url = cluster.url("bench_city")
            migrate(city_url)
            city_env = dict(env, GEO_RISK_DATABASE_URL=city_url)
            cli = str(Path(sys.executable).with_name("geo-risk"))
            subprocess.run([cli, "load", str(REPO / "sample_geo" / "jilin_city.gpkg")], env=city_env,
                           check=True, capture_output=True)
            city_rows = count_rows(city_url, "residential_areas")
            s, mb, out = timed(geo_risk, city_env)
            results.append(("geo-risk load into the graded sample city", s, mb, grading_of(out)))
            print(f"  geo-risk load beside the sample city's plants: {s:.1f} s", flush=True)
            counts["geo-risk load beside the city"] = count_rows(city_url, "residential_areas") - city_rows
        bad = {k: n for k, n in counts.items() if n != args.rows}
        assert not bad, f"expected {args.rows:,} rows stored by each, found {bad}"
    finally:
        cluster.destroy()

    ogr_rate = args.rows / results[1][1]
    print(f"\nLoad of {args.rows:,} residential polygons into PostGIS ({os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f}); every side stored all "
          f"{args.rows:,} rows")
    print(f"{'method':<46} {'seconds':>8} {'rows/s':>10} {'peak MB':>8} {'vs ogr2ogr':>10}   grading it triggered")
    for name, s, mb, graded in results:
        rate = args.rows / s
        grading = f"{graded[2]:.2f} s ({graded[0]}, {graded[1]} enterprises)" if graded else "—"
        print(f"{name:<46} {s:>8.1f} {rate:>10,.0f} {mb:>8.0f} {rate / ogr_rate:>9.2f}×   {grading}")
    print(f"\nfixed cost of a geo-risk load command (a one-row file): {startup:.1f} s; beyond it:")
    for name, s, _, _ in results:
        if name.startswith("geo-risk") and s > startup:
            rate = args.rows / (s - startup)
            print(f"  {name:<44} {rate:>10,.0f} rows/s {rate / ogr_rate:>9.2f}× ogr2ogr's whole run")


if __name__ == "__main__":
    main()
