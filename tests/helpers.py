"""Helpers shared by tests: load into a database, snapshot a store, build interchange files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from sqlalchemy import text

from geo_risk.io.load import LoadReport, load_path
from geo_risk.io.schema import to_shapefile_name
from geo_risk.store.db import get_engine
from geo_risk.store.models import ENTITY_TABLES

REPO = Path(__file__).resolve().parents[1]
#: One API key per role, for apps built in tests.
ROLE_KEYS = {"viewer-key-1": "viewer", "analyst-key-1": "analyst", "editor-key-1": "editor", "admin-key-1": "admin"}
KEY_OF = {role: key for key, role in ROLE_KEYS.items()}
SAMPLE_CITY = REPO / "sample_geo" / "jilin_city.gpkg"


def load(path: Path, url: str, **kwargs) -> LoadReport:
    """Run a load on its own raw psycopg2 connection, as the CLI does."""
    raw = get_engine(url).raw_connection()
    try:
        return load_path(path, raw.driver_connection, **kwargs)
    finally:
        raw.close()


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every entity table (all columns, geometry as EWKT), for before/after equality."""
    out: dict[str, list[tuple]] = {}
    with get_engine(url).connect() as conn:
        for name, model in ENTITY_TABLES.items():
            cols = [c.name for c in model.__table__.columns]
            exprs = ", ".join(
                f"ST_AsEWKT({c})" if c in ("geom", "safety_control_line") else f"{c}::text" for c in cols
            )
            rows = conn.execute(text(f"SELECT {exprs} FROM {name} ORDER BY id")).all()  # noqa: S608
            out[name] = [tuple(r) for r in rows]
        out["data_version"] = [tuple(conn.execute(text("SELECT version FROM data_version")).one())]
    return out


def write_layer(frame: gpd.GeoDataFrame, folder: Path, layer: str, driver: str = "GeoJSON", **kwargs) -> Path:
    """Write ``frame`` as interchange layer ``layer`` in ``folder`` with the given OGR driver."""
    suffix = {"GeoJSON": ".geojson", "ESRI Shapefile": ".shp", "GPKG": ".gpkg", "FlatGeobuf": ".fgb"}[driver]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{layer}{suffix}"
    if driver == "ESRI Shapefile":  # field names through the project's alias table, as the exporter does
        frame = frame.rename(columns={c: to_shapefile_name(c) for c in frame.columns if c != "geometry"})
    if driver == "GPKG":
        frame.to_file(path, layer=layer, driver=driver, engine="pyogrio", **kwargs)
    else:
        frame.to_file(path, driver=driver, engine="pyogrio", **kwargs)
    return path


def small_city() -> dict[str, gpd.GeoDataFrame]:
    """A hand-made city of every layer in EPSG:4326 (lon/lat), a few rows each, near Jilin."""
    import pandas as pd
    from shapely.geometry import Point, box

    park = gpd.GeoDataFrame(
        {
            "id": ["P1"],
            "name": ["测试化工园区"],
            "level": ["省级"],
            "risk_grade": ["C"],
            "safety_control_line_wkt": [box(126.49, 43.89, 126.56, 43.96).wkt],
        },
        geometry=[box(126.50, 43.90, 126.55, 43.95)],
        crs="EPSG:4326",
    )
    ent = gpd.GeoDataFrame(
        {
            "id": ["E1", "E2", "E3"],
            "name": ["吉化一厂", "江城液化气站", "拟建项目"],
            "uscc": ["91220200123456789X", None, None],
            "industry_code": ["2614", "4500", "2614"],
            "park_id": ["P1", None, "P1"],
            "status": ["operating", "operating", "planned"],
            "owner_note": ["保留字段", None, None],
        },
        geometry=[
            box(126.51, 43.91, 126.52, 43.92),
            box(126.60, 43.85, 126.602, 43.852),
            Point(126.53, 43.93),
        ],
        crs="EPSG:4326",
    )
    units = gpd.GeoDataFrame(
        {
            "id": ["U1", "U2", "U3", "U4"],
            "enterprise_id": ["E1", "E1", "E2", "E3"],
            "name": ["液氯储罐区", "氯化装置", "液化石油气球罐", "甲醇罐区"],
            "unit_type": ["storage", "production", "storage", "storage"],
            "equipment": ["pressure_vessel", "process_vessel", "pressure_vessel", "atmospheric_tank"],
            "fire_class": ["乙", "甲", "甲", "甲"],
            "special_process": [False, True, False, False],
            "safety_distance_m": [800.0, None, 300.0, None],
        },
        geometry=[
            box(126.512, 43.912, 126.513, 43.913),
            box(126.515, 43.915, 126.516, 43.916),
            Point(126.601, 43.851),
            Point(126.53, 43.93),
        ],
        crs="EPSG:4326",
    )
    inv = pd.DataFrame(
        {
            "unit_id": ["U1", "U2", "U2", "U3", "U4"],
            "chemical": ["氯", "氯", "苯", "液化石油气", "甲醇"],
            "cas": ["7782-50-5", "7782-50-5", "71-43-2", "68476-85-7", "67-56-1"],
            "max_quantity_t": [60.0, 2.0, 10.0, 120.0, 800.0],
        }
    )
    res = gpd.GeoDataFrame(
        {
            "id": ["R1", "R2", "R3"],
            "name": ["江城花园", "松江小区", "龙潭村"],
            "population": [1200, 45, 12],
            "households": [460, 17, 4],
        },
        geometry=[
            box(126.600, 43.856, 126.604, 43.859),
            box(126.520, 43.960, 126.523, 43.962),
            box(126.70, 43.80, 126.701, 43.801),
        ],
        crs="EPSG:4326",
    )
    targets = gpd.GeoDataFrame(
        {
            "id": ["T1", "T2", "T3"],
            "name": ["龙潭区第一中学", "万达广场", "吉林站"],
            "kind": ["school", "mall", "station"],
            "category": [None, None, "important"],
            "population": [1500, 50, 3000],
        },
        geometry=[Point(126.556, 43.925), box(126.59, 43.84, 126.592, 43.842), Point(126.57, 43.86)],
        crs="EPSG:4326",
    )
    return {
        "chemical_parks": park,
        "enterprises": ent,
        "hazard_units": units,
        "inventory": inv,
        "residential_areas": res,
        "protection_targets": targets,
    }


def write_city(layers: dict, path: Path) -> Path:
    """Write layers into one GeoPackage (the inventory as a table without geometry)."""
    import pyogrio

    for name, frame in layers.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        else:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path


def live_server(app):  # noqa: ANN001, ANN201 - a context manager yielding the base URL
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields ``http://127.0.0.1:PORT``."""
    import contextlib
    import socket
    import threading
    import time
    import urllib.request

    import uvicorn

    @contextlib.contextmanager
    def serve():  # noqa: ANN202
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                server.should_exit = True
                raise RuntimeError(f"the app did not answer {base}/health within 30 s")
            time.sleep(0.1)
        try:
            yield base
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()

    return serve()
