"""The risk engine end to end on the store: one small QRA enterprise, a design-code one, and the API.

The QRA enterprise is a planned chlorine store 400 m from a housing estate; expectations are structural
(contours nested by level, distances ordered by class strictness, the floor rule, staleness after
a write, the F-N curve non-increasing) — the models themselves are tested in their own modules.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from helpers import ROLE_KEYS, write_city
from shapely.geometry import Point, box
from sqlalchemy import text

from geo_risk.store.db import get_engine

LON, LAT = 126.60, 43.90
M_LON = 1 / (111_320 * np.cos(np.radians(LAT)))  # degrees of longitude per metre here
M_LAT = 1 / 110_950


def _at(dx_m: float, dy_m: float, half_m: float) -> object:
    x, y = LON + dx_m * M_LON, LAT + dy_m * M_LAT
    return box(x - half_m * M_LON, y - half_m * M_LAT, x + half_m * M_LON, y + half_m * M_LAT)


def _city() -> dict[str, gpd.GeoDataFrame]:
    crs = "EPSG:4326"
    enterprises = gpd.GeoDataFrame(
        {"id": ["E-CL", "E-OIL"], "name": ["氯碱厂", "油库"], "uscc": [None, None], "industry_code": ["2611", "5941"],
         "park_id": [None, None], "status": ["planned", "operating"]},
        geometry=[_at(0, 0, 80), _at(3000, 0, 80)], crs=crs)
    units = gpd.GeoDataFrame(
        {"id": ["U-CL", "U-OIL"], "enterprise_id": ["E-CL", "E-OIL"], "name": ["液氯储罐", "汽油罐区"],
         "unit_type": ["storage", "storage"], "equipment": ["pressure_vessel", "atmospheric_tank"],
         "fire_class": ["乙", "甲"], "operating_temperature_c": [20.0, 20.0],
         "operating_pressure_mpa": [0.7, 0.1], "safety_distance_m": [200.0, 50.0]},
        geometry=[_at(0, 0, 15), _at(3000, 0, 20)], crs=crs)
    inventory = pd.DataFrame(
        {"unit_id": ["U-CL", "U-OIL"], "chemical": ["氯", "汽油"], "cas": ["7782-50-5", "86290-81-5"],
         "max_quantity_t": [30.0, 800.0], "state": ["liquefied_pressurized", "liquid"],
         "temperature_c": [20.0, 20.0], "pressure_mpa": [0.7, 0.1]})
    homes = gpd.GeoDataFrame({"id": ["R-1"], "name": ["南苑小区"], "population": [3000], "households": [1000]},
                             geometry=[_at(0, -400, 100)], crs=crs)
    school = gpd.GeoDataFrame({"id": ["T-1"], "name": ["南苑小学"], "kind": ["school"], "population": [600]},
                              geometry=[Point(LON + 200 * M_LON, LAT - 500 * M_LAT)], crs=crs)
    return {"enterprises": enterprises, "hazard_units": units, "inventory": inventory,
            "residential_areas": homes, "protection_targets": school}


@pytest.fixture(scope="module")
def risk_city(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from helpers import load

    path = write_city(_city(), tmp_path_factory.mktemp("city") / "c.gpkg")
    load(path, db_url)
    return db_url


@pytest.fixture(scope="module")
def report(risk_city: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk

    return run_risk(risk_city, everything=True, settings=RiskSettings(cell_m=40.0),
                    data_dir=tmp_path_factory.mktemp("data"))


def test_methods_and_runs(report) -> None:  # noqa: ANN001
    assert report.methods == {"qra": 1, "design_code": 1}
    assert [r["scope_id"] for r in report.runs] == ["E-CL"]
    run = report.runs[0]
    assert run["max_ir"] > 3e-7 and Path(run["grid"]).is_file()


def test_contours_nest_and_distances_follow_class_strictness(risk_city: str, report) -> None:  # noqa: ANN001
    from geo_risk.store.risk_results import distances_for, get_run, run_contours_geojson

    run = get_run(risk_city, "enterprise", "E-CL")
    assert run["criteria"] == "new" and run["current"]  # planned → 新建
    assert run["assumptions"]["wind_rose_convention"].startswith("wind rose: probability of the wind blowing FROM")
    fc = run_contours_geojson(risk_city, run["id"])
    from shapely.geometry import shape

    by_level = {f["properties"]["level_per_year"]: shape(f["geometry"]) for f in fc["features"]}
    levels = sorted(by_level)
    assert levels[0] == 3e-7 and set(levels) <= {3e-7, 3e-6, 1e-5}  # new installations (新建)
    for low, high in zip(levels, levels[1:], strict=False):
        assert by_level[low].buffer(1e-6).contains(by_level[high])
    d = {r["target_class"]: r for r in distances_for(risk_city, "E-CL")}
    q = {c: d[c]["method_distance_m"] for c in d}
    assert q["high_sensitive"] >= q["general_1"] >= q["general_3"] >= 0 and q["high_sensitive"] > 0
    for r in d.values():  # the floor rule
        assert r["final_distance_m"] == max(x for x in (r["method_distance_m"], r["code_distance_m"]) if x is not None)
    assert d["high_sensitive"]["declared_shorter"] is (d["high_sensitive"]["final_distance_m"] > 200.0)
    oil = distances_for(risk_city, "E-OIL")
    assert oil and {r["method"] for r in oil} == {"design_code"}
    assert all(r["method_distance_m"] is None for r in oil)
    assert {r["criteria"] for r in oil} == {"existing"}  # operating → 在役


def test_fn_curve_is_stored_and_non_increasing(risk_city: str, report) -> None:  # noqa: ANN001
    from geo_risk.store.risk_results import get_run

    fn = get_run(risk_city, "enterprise", "E-CL")["fn"]
    assert len(fn["n"]) > 0 and all(n >= 1 for n in fn["n"])
    assert np.all(np.diff(fn["f"]) <= 0) and np.all(np.diff(fn["n"]) > 0)


def test_api_serves_results_and_marks_them_stale_after_a_write(risk_city: str, report) -> None:  # noqa: ANN001
    from api.app import create_app
    from geo_risk.settings import Settings

    app = create_app(Settings(database_url=risk_city, api_keys=ROLE_KEYS), database_url=risk_city)
    with TestClient(app) as client:
        r = client.get("/api/v1/risk/enterprise/E-CL")
        assert r.status_code == 200 and r.json()["current"] is True
        contours = client.get("/api/v1/risk/enterprise/E-CL/contours")
        assert contours.headers["content-type"] == "application/geo+json" and contours.json()["features"]
        png = client.get("/api/v1/risk/enterprise/E-CL/fn-curve.png")
        assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
        tif = client.get("/api/v1/risk/enterprise/E-CL/ir.tif")
        assert tif.status_code == 200 and tif.content[:4] in (b"II*\x00", b"MM\x00*")
        assert client.get("/api/v1/risk/enterprise/NOPE").status_code == 404
        layer = client.get("/collections/risk_contours/items").json()
        assert layer["numberMatched"] == len(contours.json()["features"]) >= 1
        gpkg = client.get("/collections/risk_contours/export", params={"f": "gpkg"})
        assert gpkg.status_code == 200
        out = Path(tempfile.mkdtemp()) / "risk_contours.gpkg"
        out.write_bytes(gpkg.content)
        info = pyogrio.read_info(out, layer=pyogrio.list_layers(out)[0][0])
        assert info["features"] == layer["numberMatched"] and info["crs"] == "EPSG:4326"
        assert client.post("/api/v1/risk/runs", json={"all": True}).status_code == 401
        with get_engine(risk_city).begin() as conn:
            conn.execute(text("UPDATE inventory SET max_quantity_t = 31 WHERE unit_id = 'U-CL'"))
        assert client.get("/api/v1/risk/enterprise/E-CL").json()["current"] is False
