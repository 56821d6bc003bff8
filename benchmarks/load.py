"""Benchmark ``geo-risk load`` against ``ogr2ogr -f PostgreSQL`` on the same data, in one run.

Generates N residential quadrilaterals 20–80 m across around Jilin City (lon 126.55, lat 43.84,
±30 km; EPSG:4326; integer population; Chinese name) as a GeoPackage, starts a private PostGIS
cluster, then loads the file

1. with ``geo-risk load`` (all validation on) into the empty, migrated ``residential_areas`` table;
2. with ``PG_USE_COPY=YES ogr2ogr`` (no validation, GiST index built) into a fresh table;
3. with ``geo-risk load`` again: a re-load, i.e. an upsert into the filled, indexed table;

and prints rows/second and peak resident memory (MB, the process tree's RSS sampled every 50 ms)
for each, and the ratio to ogr2ogr. Run-to-run noise on our 2-core machines is ±15–25 %: compare
within one run.

    python benchmarks/load.py              # 1,000,000 rows
    python benchmarks/load.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``cmd``; return (seconds, peak RSS in MB). Raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = PeakRSS(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    peak = rss.stop() / 1e6
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{err[-3000:]}")
    return seconds, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()

    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    print(f"generating {args.rows:,} residential polygons …", flush=True)
    src = make_file(args.rows, OUT / f"residential_{args.rows}.gpkg")
    print(f"  {src} ({src.stat().st_size / 1e6:.0f} MB)")

    root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_pg_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
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
        results: list[tuple[str, float, float]] = []

        s, mb = timed(geo_risk, env)
        results.append(("geo-risk load (validated, empty table)", s, mb))
        print(f"  geo-risk load: {s:.1f} s", flush=True)
        pg = f"PG:host=127.0.0.1 port={port} user=georisk dbname=bench_ogr"
        s, mb = timed(
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
        results.append(("ogr2ogr PG_USE_COPY=YES (no validation)", s, mb))
        print(f"  ogr2ogr: {s:.1f} s", flush=True)
        s, mb = timed(geo_risk, env)
        results.append(("geo-risk load again (upsert, filled table)", s, mb))
        print(f"  geo-risk re-load: {s:.1f} s", flush=True)
        with get_engine(url).connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM residential_areas").scalar()
        assert n == args.rows, f"expected {args.rows} rows stored, found {n}"
    finally:
        cluster.destroy()

    ogr_rate = args.rows / results[1][1]
    print(f"\nLoad of {args.rows:,} residential polygons into PostGIS ({os.cpu_count()} cores)")
    print(f"{'method':<46} {'seconds':>8} {'rows/s':>10} {'peak MB':>8} {'vs ogr2ogr':>10}")
    for name, s, mb in results:
        rate = args.rows / s
        print(f"{name:<46} {s:>8.1f} {rate:>10,.0f} {mb:>8.0f} {rate / ogr_rate:>9.2f}×")


if __name__ == "__main__":
    main()
