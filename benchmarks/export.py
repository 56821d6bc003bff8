"""Benchmark layer exports against ogr2ogr reading the same table from the same PostGIS.

One private PostGIS cluster is started for the run and ``--rows`` residential blocks (default
1,000,000 quadrilaterals of 40 m near Jilin City) are generated in it with ``generate_series``.
Then, per format (``--formats``, default gpkg, fgb, csv):

- **geo-risk**: ``GET /collections/residential_areas/export?f=F`` from ``geo-risk serve`` (one
  uvicorn worker, started once for the run) over loopback, saved to a file: rows streamed from a
  server-side cursor in batches into ``pyogrio.write_arrow``, the GeoPackage also gets its QGIS
  style, then the file is sent. Timed around the request; the server's peak RSS during it is
  sampled every 50 ms (it includes the ~250 MB of libraries the server has loaded).
- **ogr2ogr**: ``ogr2ogr -f <driver> out PG:… -sql "SELECT <the layer's fields>, geom FROM
  residential_areas"`` — the obvious alternative, with GDAL's own PostgreSQL reader (cursor of
  500 rows) and no style; timed around the process (≈ 0.1 s of start-up), its peak RSS sampled.

Both files are reopened with pyogrio and must hold every row. The ratio is ogr2ogr's time over ours
(> 1: we are faster). Run-to-run noise on our 2-core machines is ±15–25 %: compare within one run.

    python benchmarks/export.py                    # 1,000,000 rows
    python benchmarks/export.py --rows 100000      # the smoke run (make bench-smoke)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import PeakRSS, timed  # noqa: E402 - the benchmarks' shared sampler and timer

DRIVERS = {"gpkg": ("GPKG", ".gpkg"), "fgb": ("FlatGeobuf", ".fgb"), "csv": ("CSV", ".csv"),
           "geojson": ("GeoJSON", ".geojson"), "shp": ("ESRI Shapefile", ".shp")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(base: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return base
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"geo-risk serve did not answer {base}/health within 60 s")


def _features(path: Path) -> int:
    import pyogrio

    if path.suffix == ".zip":  # a string: pathlib would fold the "//" of /vsizip//tmp/…
        return int(pyogrio.read_info(f"/vsizip/{path}", force_feature_count=True)["features"])
    if path.suffix == ".gpkg":
        return int(pyogrio.read_info(path, layer="residential_areas", force_feature_count=True)["features"])
    return int(pyogrio.read_info(path, force_feature_count=True)["features"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--formats", default="gpkg,fgb,csv", help=f"comma-separated, of {', '.join(DRIVERS)}")
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]

    from sqlalchemy import text

    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster
    from layers.registry import REGISTRY

    root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_pg_"))
    os.chmod(root, 0o755)
    out = Path(tempfile.mkdtemp(prefix="geo_risk_bench_export_"))
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
    rows: list[tuple[str, float, float, float, float]] = []
    try:
        cluster.start()
        url = cluster.url()
        migrate(url)
        print(f"generating {args.rows:,} residential blocks in PostGIS …", flush=True)
        with get_engine(url).begin() as conn:
            conn.execute(text(
                "INSERT INTO residential_areas (id, name, population, households, category, geom) "
                "SELECT 'RA-' || lpad(i::text, 8, '0'), '居民区 ' || i, 50 + i % 400, 20 + i % 150, 'general_1', "
                "ST_MakeEnvelope(126.0 + (i % 2000) * 0.0006, 43.5 + (i / 2000) * 0.0005, "
                "126.0 + (i % 2000) * 0.0006 + 0.0005, 43.5 + (i / 2000) * 0.0005 + 0.0004, 4326) "
                "FROM generate_series(1, :n) AS i"), {"n": int(args.rows)})
            conn.exec_driver_sql("ANALYZE residential_areas")
        fields = ", ".join(REGISTRY["residential_areas"].fields)
        pg = f"PG:host=127.0.0.1 port={cluster.running_port()} user=georisk dbname={cluster.url().rsplit('/', 1)[1]}"
        port = _free_port()
        env = dict(os.environ, GEO_RISK_DATABASE_URL=url, GEO_RISK_PORT=str(port), GEO_RISK_HEAVY_WAIT_S="600")
        server = subprocess.Popen([str(Path(sys.executable).with_name("geo-risk")), "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = _wait_for(f"http://127.0.0.1:{port}")
            for fmt in formats:
                driver, suffix = DRIVERS[fmt]
                ours = out / f"ours{'.zip' if fmt == 'shp' else suffix}"
                rss = PeakRSS(server.pid)
                t0 = time.perf_counter()
                with urllib.request.urlopen(f"{base}/collections/residential_areas/export?f={fmt}",
                                            timeout=3600) as r, open(ours, "wb") as f:
                    shutil.copyfileobj(r, f, 1 << 20)
                s_ours, mb_ours = time.perf_counter() - t0, rss.stop() / 1e6
                theirs = out / f"ogr{suffix}"
                same = ["-lco", "GEOMETRY=AS_WKT"] if fmt == "csv" else []  # as ours: geometry as WKT
                s_ogr, mb_ogr, _ = timed(["ogr2ogr", "-f", driver, str(theirs), pg, "-nln", "residential_areas",
                                        *same, "-sql", f"SELECT {fields}, geom FROM residential_areas"], env)
                n_ours, n_ogr = _features(ours), _features(theirs)
                if n_ours != args.rows or n_ogr != args.rows:
                    raise RuntimeError(f"{fmt}: ours wrote {n_ours:,}, ogr2ogr {n_ogr:,} of {args.rows:,} rows")
                rows.append((fmt, s_ours, mb_ours, s_ogr, mb_ogr))
                print(f"  {fmt}: ours {s_ours:.1f} s / {mb_ours:.0f} MB, ogr2ogr {s_ogr:.1f} s / {mb_ogr:.0f} MB, "
                      f"ratio {s_ogr / s_ours:.2f}×", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        cluster.destroy()
        shutil.rmtree(out, ignore_errors=True)

    print(f"\nexport of {args.rows:,} residential polygons, {date.today()} (both files hold every row)")
    print("| format | GET …/export s | server peak MB | ogr2ogr s | peak MB | ours vs ogr2ogr |")
    print("|---|---:|---:|---:|---:|---:|")
    for fmt, s_ours, mb_ours, s_ogr, mb_ogr in rows:
        print(f"| {fmt} | {s_ours:.1f} | {mb_ours:.0f} | {s_ogr:.1f} | {mb_ogr:.0f} | **{s_ogr / s_ours:.2f}×** |")


if __name__ == "__main__":
    main()
