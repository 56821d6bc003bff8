"""A synthetic Jilin province for the grading benchmark: plants, hazard units, inventories, housing.

Deterministic (one seed), numpy-vectorised, written once as a GeoPackage in EPSG:4326 with the
interchange layers ``enterprises``, ``hazard_units``, ``inventory``, ``residential_areas`` and
``protection_targets`` (fields as in :mod:`geo_risk.io.schema`). Not real data.

Layout (all distances in metres, converted to lon/lat around each city's centre):

- 40 cities on a jittered 8 × 5 grid over Jilin province (lon 121.6–131.3, lat 40.9–46.3), each
  with a size weight (log-normal): plants and housing are shared out by weight.
- Plants (厂区边界): rotated rectangles 100–600 m a side. 65 % lie in 3 chemical parks per city,
  6–12 km from the centre (discs of 2.5 km); 35 % are scattered within 15 km of the centre, some
  among the homes of the core.
- Hazard units: ``units`` in all, at least one per plant (≈ 2.5 a plant), points inside the plant;
  40 % production units (a quarter with a 危险化工工艺, 20–200 °C, 0.1–3 MPa), 60 % storage at
  ambient conditions.
- Inventory: 1–3 rows a unit (distinct substances), among six GB 18218-2018 Table 1 substances
  with their exact Table 1 name and first CAS (``table1_seq`` on every other row): 氨, 氯, 液化石油气,
  苯, 甲醇, 汽油. q/Q is log-uniform over 10^-1.5 … 10^1.5 (q in 0.1 t), and 2 % of rows hold
  exactly Q, so S falls on both sides of 1 and on it. Benzene, methanol and gasoline are flammable
  liquids: production units above their boiling point or with a special process move them to
  W5.1/W5.2 (β of W5.1 is 1.5).
- Residential areas: rotated rectangles; 75 % urban blocks 40–180 m across (Gaussian around the
  centre, σ 2.5 km × √(40 · weight), 20–800 people), 25 % villages 40–150 m across spread over 25 km
  (5–80 people). Blocks may overlap each other (the benchmark does not need a clean city), and the
  total population (≈ 130 M at 400,000 areas) is not Jilin's 24 M: housing scales with ``units``
  over a fixed set of cities, so a bigger run is a denser province (more housing per plant ring).
- Protection targets: 50 points a city (schools, hospitals, malls …) with a population.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["GENERATOR_VERSION", "make_province", "province_path", "on_fresh_databases", "peak_mb"]

GENERATOR_VERSION = 3
SEED = 18218
CITIES = 40
LON = (121.6, 131.3)
LAT = (40.9, 46.3)
M_PER_DEG_LAT = 110_950.0  # near 43.5° N; the layout only needs to be roughly metric

# Table 1 rows used: seq → (name as printed, first CAS) are read from the catalogue.
SEQS = np.array([1, 12, 52, 57, 65, 66])  # 氨, 氯, 液化石油气, 苯, 甲醇, 汽油
PICK = np.array([0.16, 0.16, 0.17, 0.17, 0.17, 0.17])  # chance of each as a unit's first substance


def _rects(rng, cx, cy, lon0, lat0, w, h) -> np.ndarray:
    """Closed rings (n, 5, 2) of rectangles w × h metres centred at (cx, cy) metres, rotated randomly."""
    n = len(cx)
    ang = rng.random(n) * np.pi
    c, s = np.cos(ang), np.sin(ang)
    hx = np.array([-0.5, 0.5, 0.5, -0.5])[None, :] * w[:, None]
    hy = np.array([-0.5, -0.5, 0.5, 0.5])[None, :] * h[:, None]
    x = cx[:, None] + hx * c[:, None] - hy * s[:, None]
    y = cy[:, None] + hx * s[:, None] + hy * c[:, None]
    lat = lat0[:, None] + y / M_PER_DEG_LAT
    lon = lon0[:, None] + x / (M_PER_DEG_LAT * np.cos(np.radians(lat0[:, None])))
    ring = np.stack([lon, lat], axis=-1)
    return np.round(np.concatenate([ring, ring[:, :1]], axis=1), 7)


def _disc(rng, n: int, radius: float) -> tuple[np.ndarray, np.ndarray]:
    r = radius * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * np.pi
    return r * np.cos(a), r * np.sin(a)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def make_province(path: Path, units: int = 100_000, residential: int = 400_000) -> dict[str, int]:
    """Write the province to ``path`` (GeoPackage, EPSG:4326) and return the rows per layer."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    from geo_risk.chemicals import all_substances

    rng = np.random.default_rng(SEED)
    table1 = {s.seq: s for s in all_substances()}

    # --- cities --------------------------------------------------------------------------
    gx, gy = np.meshgrid(np.arange(8), np.arange(5))
    cell_lon, cell_lat = (LON[1] - LON[0]) / 8, (LAT[1] - LAT[0]) / 5
    city_lon = LON[0] + (gx.ravel() + 0.5 + (rng.random(CITIES) - 0.5) * 0.5) * cell_lon
    city_lat = LAT[0] + (gy.ravel() + 0.5 + (rng.random(CITIES) - 0.5) * 0.5) * cell_lat
    weight = rng.lognormal(0.0, 0.5, CITIES)
    weight /= weight.sum()

    # --- plants --------------------------------------------------------------------------
    n_plants = max(1, int(round(units / 2.5)))
    p_city = rng.choice(CITIES, n_plants, p=weight)
    in_park = rng.random(n_plants) < 0.65
    park_r = 6_000 + 6_000 * rng.random((CITIES, 3))
    park_a = rng.random((CITIES, 3)) * 2 * np.pi
    park = rng.integers(0, 3, n_plants)
    ox, oy = _disc(rng, n_plants, 2_500)
    sx, sy = _disc(rng, n_plants, 15_000)
    px = np.where(in_park, park_r[p_city, park] * np.cos(park_a[p_city, park]) + ox, sx)
    py = np.where(in_park, park_r[p_city, park] * np.sin(park_a[p_city, park]) + oy, sy)
    pw, ph = 100 + 500 * rng.random(n_plants), 100 + 500 * rng.random(n_plants)
    plant_rings = _rects(rng, px, py, city_lon[p_city], city_lat[p_city], pw, ph)
    status = rng.choice(
        np.array(["operating", "suspended", "closed", "planned"], dtype=object), n_plants, p=[0.90, 0.04, 0.03, 0.03]
    )
    ent_ids = _ids("ENT-", n_plants, 6)
    trade = np.array(["化工", "石化", "燃气", "化肥", "氯碱", "精细化工", "冷库", "仓储"], dtype=object)
    enterprises = gpd.GeoDataFrame(
        {
            "id": ent_ids,
            "name": np.char.add(
                np.char.add("吉林省", trade[rng.integers(0, len(trade), n_plants)].astype(str)),
                np.char.add(np.arange(n_plants).astype(str), "号有限公司"),
            ).astype(object),
            "status": status,
        },
        geometry=shapely.polygons(plant_rings),
        crs="EPSG:4326",
    )

    # --- hazard units --------------------------------------------------------------------
    owner = np.sort(np.concatenate([np.arange(n_plants), rng.integers(0, n_plants, max(0, units - n_plants))]))
    owner = owner[:units]
    n_units = len(owner)
    production = rng.random(n_units) < 0.4
    special = production & (rng.random(n_units) < 0.25)
    temp = np.where(production, np.round(20 + 180 * rng.random(n_units)), 20.0)
    press = np.where(production, np.round(0.1 + 2.9 * rng.random(n_units), 2), 0.1)
    # a point inside the plant: its centre moved by up to a quarter of the rectangle's sides
    cen = plant_rings[owner, :4].mean(axis=1)
    d = (rng.random((n_units, 2)) - 0.5) * 0.5
    u_pt = (
        cen
        + d[:, :1] * (plant_rings[owner, 1] - plant_rings[owner, 0])
        + d[:, 1:] * (plant_rings[owner, 3] - plant_rings[owner, 0])
    )
    unit_ids = _ids("HU-", n_units, 6)
    hazard_units = gpd.GeoDataFrame(
        {
            "id": unit_ids,
            "enterprise_id": ent_ids[owner],
            "name": np.where(production, "生产装置", "储罐区").astype(object),
            "unit_type": np.where(production, "production", "storage").astype(object),
            "special_process": special,
            "operating_temperature_c": temp,
            "operating_pressure_mpa": press,
        },
        geometry=shapely.points(np.round(u_pt, 7)),
        crs="EPSG:4326",
    )

    # --- inventory -----------------------------------------------------------------------
    k = rng.choice(np.array([1, 2, 3]), n_units, p=[0.4, 0.4, 0.2])
    first = rng.choice(len(SEQS), n_units, p=PICK)
    row_unit = np.repeat(np.arange(n_units), k)
    row_j = np.arange(len(row_unit)) - np.repeat(np.cumsum(k) - k, k)
    chem = (first[row_unit] + row_j) % len(SEQS)  # distinct substances within a unit
    seq = SEQS[chem]
    big_q = np.array([table1[int(s)].critical_quantity_t for s in SEQS])[chem]
    ratio = 10 ** (-1.5 + 3.0 * rng.random(len(seq)))
    q = np.maximum(np.round(big_q * ratio, 1), 0.1)
    q = np.where(rng.random(len(seq)) < 0.02, big_q, q)
    names = np.array([table1[int(s)].name_zh for s in SEQS], dtype=object)
    cas = np.array([table1[int(s)].cas[0] for s in SEQS], dtype=object)
    with_seq = rng.random(len(seq)) < 0.5
    inventory = pd.DataFrame(
        {
            "unit_id": unit_ids[row_unit],
            "chemical": names[chem],
            "cas": cas[chem],
            "max_quantity_t": q,
            # every other row names its Table 1 row; the rest are resolved by CAS (the loader and
            # grading resolve them; the SQL side joins them by CAS)
            "table1_seq": np.where(with_seq, seq, 0).astype("int32"),
        }
    )
    inventory["table1_seq"] = inventory["table1_seq"].astype("Int32").where(with_seq)

    # --- residential areas ---------------------------------------------------------------
    r_city = rng.choice(CITIES, residential, p=weight)
    urban = rng.random(residential) < 0.75
    sigma = 2_500 * np.sqrt(weight[r_city] * CITIES)
    gx_, gy_ = rng.normal(0, 1, residential) * sigma, rng.normal(0, 1, residential) * sigma
    vx, vy = _disc(rng, residential, 25_000)
    rx, ry = np.where(urban, gx_, vx), np.where(urban, gy_, vy)
    rw = np.where(urban, 40 + 140 * rng.random(residential), 40 + 110 * rng.random(residential))
    rh = np.where(urban, 40 + 140 * rng.random(residential), 40 + 110 * rng.random(residential))
    res_rings = _rects(rng, rx, ry, city_lon[r_city], city_lat[r_city], rw, rh)
    pop = np.where(urban, rng.integers(20, 801, residential), rng.integers(5, 81, residential))
    street = np.array(["江城", "松江", "龙潭", "昌邑", "船营", "丰满", "南关", "朝阳", "宽城", "绿园"], dtype=object)
    residential_areas = gpd.GeoDataFrame(
        {
            "id": _ids("RA-", residential, 7),
            "name": np.char.add(
                street[rng.integers(0, len(street), residential)].astype(str), np.where(urban, "小区", "村")
            ).astype(object),
            "population": pop.astype("int64"),
        },
        geometry=shapely.polygons(res_rings),
        crs="EPSG:4326",
    )

    # --- protection targets --------------------------------------------------------------
    n_t = 50 * CITIES
    t_city = np.repeat(np.arange(CITIES), 50)
    tx, ty = _disc(rng, n_t, 10_000)
    kinds = np.array(["school", "kindergarten", "hospital", "mall", "office", "hotel", "market"], dtype=object)
    t_lat = city_lat[t_city] + ty / M_PER_DEG_LAT
    t_lon = city_lon[t_city] + tx / (M_PER_DEG_LAT * np.cos(np.radians(city_lat[t_city])))
    targets = gpd.GeoDataFrame(
        {
            "id": _ids("PT-", n_t, 5),
            "name": np.char.add("防护目标", np.arange(n_t).astype(str)).astype(object),
            "kind": kinds[rng.integers(0, len(kinds), n_t)],
            "population": rng.integers(20, 3000, n_t),
        },
        geometry=shapely.points(np.round(t_lon, 7), np.round(t_lat, 7)),
        crs="EPSG:4326",
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for name, frame in (
        ("enterprises", enterprises),
        ("hazard_units", hazard_units),
        ("residential_areas", residential_areas),
        ("protection_targets", targets),
    ):
        pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", layer_options={"SPATIAL_INDEX": "NO"})
    pyogrio.write_dataframe(inventory, tmp, layer="inventory", driver="GPKG")
    tmp.rename(path)
    return {
        "enterprises": n_plants,
        "hazard_units": n_units,
        "inventory": len(inventory),
        "residential_areas": residential,
        "protection_targets": n_t,
    }


def province_path(out: Path, units: int, residential: int) -> Path:
    """The generated province of ``units`` hazard units and ``residential`` housing polygons under ``out``
    (made once and kept: the file name carries the generator version and the sizes)."""
    out.mkdir(exist_ok=True)
    province = out / f"province_v{GENERATOR_VERSION}_{units}u_{residential}r.gpkg"
    if not province.exists():
        print(f"generating the province ({units:,} units, {residential:,} residential areas) …", flush=True)
        make_province(province, units, residential)
    return province


def on_fresh_databases(
    prefix: str, sets: Sequence[tuple[str, Path, bool]], bench_one: Callable[[str, Path, str, bool, Path], dict],
) -> list[dict]:
    """Run ``bench_one(name, file, url, is_province, root)`` for each (name, file, is_province) of ``sets``,
    each on its own freshly migrated database of one private PostGIS cluster (under a temporary
    folder ``root`` named with ``prefix``), destroyed afterwards; return the results in order."""
    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, echo=lambda *a: None)
    runs: list[dict] = []
    try:
        cluster.start()
        for name, path, is_province in sets:
            cluster.create_database(name)
            url = cluster.url(name)
            migrate(url)
            runs.append(bench_one(name, path, url, is_province, root))
            get_engine(url).dispose()
    finally:
        cluster.destroy()
    return runs


def peak_mb() -> float:
    """This process's peak resident set, MB (``VmHWM``; ru_maxrss would carry a parent's peak across exec);
    NaN where /proc is not available."""
    status = Path("/proc/self/status")
    if not status.exists():
        return float("nan")
    return next((int(line.split()[1]) / 1024 for line in status.read_text().splitlines()
                 if line.startswith("VmHWM:")), float("nan"))


def load_grade_and_qra(url: str, path: Path, cell_m: float, data_dir: Path) -> float:
    """Load ``path`` into the empty store at ``url``, grade it and run the QRA of every enterprise at
    ``cell_m`` (grids under ``data_dir``): the set-up of the benchmarks that need stored risk results.
    Returns the seconds the QRA took."""
    import time

    from geo_risk.grading import grade_store
    from geo_risk.io.load import load_path
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk
    from geo_risk.store.db import get_engine

    raw = get_engine(url).raw_connection()
    try:
        load_path(path, raw.driver_connection)
    finally:
        raw.close()
    grade_store(url)
    t = time.perf_counter()
    run_risk(url, everything=True, settings=RiskSettings(cell_m=cell_m), data_dir=data_dir)
    return time.perf_counter() - t
