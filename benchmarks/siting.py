"""Benchmark the siting check (issue 14) on the sample city against the same checks in PostGIS SQL.

Set-up (not timed): a private PostGIS cluster, the sample city loaded and graded, the QRA of every
enterprise (``run_risk --all`` at ``--cell-m``, default 25 m) and the analyses, so the stored
external distances, IR grids and F-N curves exist. ``--url`` uses an existing store instead.

Direction 2 — a sensitive development (school, residential, mall, hospital, office) at ``--sites``
random places within 3 km of the city's plants, points and 50–300 m squares:

- **geo-risk**: :func:`geo_risk.siting_check.check_site` with the context already read (the API keeps
  it per inputs version): R3, R4, R5 (bound), R7, the verdict and its JSON. The first call (reading
  the store) is reported apart as the cold start.
- **PostGIS SQL + rasterio**: the obvious alternative — per request, R3 as one query
  (:func:`geo_risk.store.siting.sql_required_distance_hits`: required distances from
  ``external_distances`` and the units' declared ones, geodesic ``ST_Distance``) and R4 by opening each
  stored IR COG whose box meets the site and sampling it with rasterio at the site's vertices.
  It neither classes the target, nor checks control lines or F-N, nor builds a verdict.
- **agreement**: the enterprises with an R3 hit, engine against SQL, per site — the engine run again (not
  timed) with ``decision_column="installation"``, i.e. on the stored distances the SQL reads (by default an
  existing QRA plant's distance is re-read at the 新建 column from its IR grid, which SQL cannot do).

Direction 1 — a hazardous project: the three planned sites of the sample city (ENT-0009, ENT-0095,
ENT-0111, with ``replaces``) and synthetic projects at random places (LPG, chlorine, methanol,
ammonia), each run ``--repeats`` times: p50 of :func:`check_site` (GB 18218, method, QRA at 25 m,
domino, rulebook). Alternative: what the store offers without the siting check — load the project as
an enterprise and run ``run_risk`` on it (the QRA, contours, COG and distances written); timed for
ENT-0111 (already in the store).

    python benchmarks/siting.py                         # fresh store, QRA of the city at 25 m
    python benchmarks/siting.py --sites 100 --cell-m 50 # quicker set-up
    python benchmarks/siting.py --url postgresql://…    # an existing, analysed store

Run-to-run noise on our 2-core shared machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SAMPLE_CITY = HERE.parent / "sample_geo" / "jilin_city.gpkg"
sys.path.insert(0, str(HERE))

KINDS = (("school", 800), ("residential", 1500), ("mall", 400), ("hospital", 600), ("office", 120))
PROJECTS = (
    ("LPG 球罐 200 t", "storage", {"equipment": "pressure_vessel", "fire_class": "甲"},
     [{"chemical": "液化石油气(含丙烷、丁烷及其混合物)", "max_quantity_t": 200, "state": "liquefied_pressurized",
       "temperature_c": 20, "pressure_mpa": 0.8}]),
    ("液氯 40 t", "storage", {"equipment": "pressure_vessel"},
     [{"chemical": "氯", "max_quantity_t": 40, "state": "liquefied_pressurized", "temperature_c": 20,
       "pressure_mpa": 0.6}]),
    ("甲醇罐区 800 t", "storage", {"equipment": "atmospheric_tank", "fire_class": "甲"},
     [{"chemical": "甲醇", "max_quantity_t": 800, "state": "liquid", "temperature_c": 20, "pressure_mpa": 0.0}]),
    ("合成氨 60 t", "production", {"equipment": "process_vessel", "fire_class": "乙"},
     [{"chemical": "氨", "max_quantity_t": 60, "state": "liquefied_pressurized", "temperature_c": 30,
       "pressure_mpa": 1.5}]),
)


def _stored_column():  # noqa: ANN202 - a SitingSettings
    from geo_risk.analysis.siting import SitingSettings

    return SitingSettings(decision_column="installation")


STORED_COLUMN = None  # set in bench()


def _sites(url: str, n: int, seed: int = 11) -> list[dict]:
    import pyproj
    import shapely

    from geo_risk.store.read import read_layer

    units = read_layer(url, "hazard_units", ())
    rng = np.random.default_rng(seed)
    cent = shapely.centroid(units.geometry.values)
    utm = pyproj.Transformer.from_crs(4326, 32652, always_xy=True)
    back = pyproj.Transformer.from_crs(32652, 4326, always_xy=True)
    out = []
    for k in range(n):
        c = cent[int(rng.integers(len(cent)))]
        x, y = utm.transform(c.x, c.y)
        r, a = rng.uniform(100, 3000), rng.uniform(0, 2 * np.pi)
        x, y = x + r * np.cos(a), y + r * np.sin(a)
        kind, pop = KINDS[k % len(KINDS)]
        if k % 2:
            h = rng.uniform(25, 150)
            geom = shapely.box(x - h, y - h, x + h, y + h)
        else:
            geom = shapely.Point(x, y)
        geom = shapely.transform(geom, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
        out.append({"site": geom.wkt, "kind": kind, "population": float(pop), "name": f"site {k}"})
    return out


def _sql_baseline(url: str, body: dict, grids: list[dict]) -> set[str]:
    """R3 by one PostGIS query and R4 by sampling the stored COGs with rasterio (opened per request)."""
    import pyproj
    import rasterio
    import shapely

    from geo_risk.standards.gb36894 import classify_target
    from geo_risk.store.siting import sql_required_distance_hits

    cls = classify_target(body["kind"], body["population"])
    hits = sql_required_distance_hits(url, body["site"], cls)
    site = shapely.from_wkt(body["site"])
    x0, y0, x1, y1 = site.bounds
    pts = shapely.get_coordinates(site)
    for g in grids:
        gx0, gy0, gx1, gy1 = g["box"]
        if gx0 <= x1 and x0 <= gx1 and gy0 <= y1 and y0 <= gy1:
            with rasterio.open(g["grid_path"]) as src:
                t = pyproj.Transformer.from_crs(4326, src.crs, always_xy=True)
                xs, ys = t.transform(pts[:, 0], pts[:, 1])
                _ = max(float(v[0]) for v in src.sample(list(zip(xs, ys, strict=True))))
    return {h["enterprise_id"] for h in hits}


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def bench(url: str, n_sites: int, repeats: int, data_dir: Path | None) -> None:
    import pyogrio

    from geo_risk.analyse import grid_box
    from geo_risk.siting_check import check_site, clear_cache, load_context
    from geo_risk.store.ir_grids import grid_runs, read_grids

    global STORED_COLUMN
    STORED_COLUMN = _stored_column()
    clear_cache()
    sites = _sites(url, n_sites)
    t0 = time.perf_counter()
    check_site(url, sites[0], data_dir=data_dir)
    cold = time.perf_counter() - t0
    ctx = load_context(url, data_dir=data_dir)
    ours, base, agree, diffs = [], [], 0, []
    boxes = {g.scope_id: grid_box(g) for g in read_grids(url, data_dir=data_dir, scope="enterprise")}
    grids = [{**g, "box": boxes[g["scope_id"]]} for g in grid_runs(url) if g["scope"] == "enterprise"]
    for body in sites:
        t = time.perf_counter()
        out = check_site(url, body, data_dir=data_dir)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        sql = _sql_baseline(url, body, grids)
        base.append(time.perf_counter() - t)
        # agreement on the stored distances (the plant's own column, as the SQL reads them; not timed)
        same = check_site(url, body, data_dir=data_dir, settings=STORED_COLUMN)
        mine = {r["evidence"]["enterprise_id"] for r in same["reasons"] if r["rule"] == "R3-distance"}
        if mine == sql:
            agree += 1
        else:
            diffs.append((body["name"], sorted(mine ^ sql)))
    print(f"store: {len(ctx.units)} units, {len(ctx.grids)} IR grids, {len(ctx.fn)} F-N curves, "
          f"{len(ctx.targets)} targets and homes")
    print(f"direction 2 (development), {len(sites)} sites: cold start {cold * 1000:,.0f} ms (reads the store)")
    print(f"  geo-risk       p50 {_pct(ours, 50):7.1f} ms  p99 {_pct(ours, 99):7.1f} ms  (R3, R4, R5 bound, R7, "
          "verdict)")
    print(f"  PostGIS+COG    p50 {_pct(base, 50):7.1f} ms  p99 {_pct(base, 99):7.1f} ms  (R3 and R4 only)")
    r50, r99 = _pct(base, 50) / _pct(ours, 50), _pct(base, 99) / _pct(ours, 99)
    print(f"  ratio (SQL / ours): p50 ×{r50:.2f}, p99 ×{r99:.2f}")
    print(f"  R3 agreement (enterprises hit, per site): {agree}/{len(sites)}"
          + (f"; differing: {diffs[:5]}" if diffs else ""))

    units = pyogrio.read_dataframe(SAMPLE_CITY, layer="hazard_units").to_crs(4326)
    inv = pyogrio.read_dataframe(SAMPLE_CITY, layer="inventory")
    bodies = []
    for ent in ("ENT-0009", "ENT-0095", "ENT-0111"):
        u = units[units["enterprise_id"] == ent].iloc[0]
        rows = [{k: (None if v != v else v) for k, v in r.items()}
                for r in inv[inv["unit_id"] == u["id"]].drop(columns=["unit_id"]).to_dict("records")]
        bodies.append((ent, {"site": u.geometry.wkt, "unit_type": u["unit_type"], "inventory": rows, "name": ent,
                             "unit": {"equipment": u["equipment"], "fire_class": u["fire_class"]}, "replaces": ent}))
    for k, (name, utype, unit, rows) in enumerate(PROJECTS):
        s = sites[2 * k + 1]
        bodies.append((name, {"site": s["site"], "unit_type": utype, "unit": unit, "inventory": rows, "name": name}))
    t = time.perf_counter()
    check_site(url, bodies[-1][1], data_dir=data_dir)
    cold1 = time.perf_counter() - t
    times, lines = [], []
    for name, body in bodies:
        per = []
        for _ in range(repeats):
            t = time.perf_counter()
            out = check_site(url, body, data_dir=data_dir)
            per.append(time.perf_counter() - t)
        times += per
        lines.append(f"  {name:<16} {out['method']:<12} {out['verdict_label']:<28} median {np.median(per):6.2f} s "
                     f"(QRA {out.get('timings', {}).get('qra_s', 0):.2f} s)")
    print(f"direction 1 (project), {len(bodies)} projects × {repeats}: first QRA in a context {cold1:,.1f} s "
          "(builds the populated places at 25 m)")
    print("\n".join(lines))
    print(f"  geo-risk p50 {np.median(times):.2f} s, max {max(times):.2f} s")
    from geo_risk.risk_runs import run_risk

    t = time.perf_counter()
    run_risk(url, enterprise_id="ENT-0111", data_dir=data_dir)
    rr = time.perf_counter() - t
    print(f"  alternative for ENT-0111: run_risk on the stored enterprise {rr:.2f} s (QRA, contours, COG, distances; "
          "no verdict)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an existing analysed store (skips the set-up)")
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cell-m", type=float, default=25.0, help="QRA cell of the set-up (m)")
    args = parser.parse_args()
    if args.url:
        bench(args.url, args.sites, args.repeats, None)
        return
    from _province import load_grade_and_qra, on_fresh_databases

    def one(name: str, path: Path, url: str, is_province: bool, root: Path) -> dict:
        from geo_risk.analyse import analyse

        took = load_grade_and_qra(url, path, args.cell_m, root)
        t = time.perf_counter()
        analyse(url)
        took += time.perf_counter() - t
        print(f"set-up: city loaded, graded, QRA of every enterprise at {args.cell_m:g} m and analysed in "
              f"{took:,.0f} s (not timed below)")
        bench(url, args.sites, args.repeats, root)
        return {}

    on_fresh_databases("geo_risk_siting_", [("city", SAMPLE_CITY, False)], one)


if __name__ == "__main__":
    main()
