"""The zoning on the sample city through the store and the API: IR grids summed across enterprises (two
synthetic grids of known values), residents per cell equal to the same apportioning in PostGIS SQL,
official colours equal to the 19号 bands in SQL, layers and the heatmap COG served, stale after a write."""

from __future__ import annotations

from pathlib import Path

import h3
import numpy as np
import pytest
import rasterio
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlalchemy import text

from geo_risk.risk.contours import write_cog
from geo_risk.risk.grid import Grid
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine
from geo_risk.store.risk_results import save_run
from geo_risk.zoning_run import run_zoning

ENT = "ENT-0101"  # an old urban plant among homes
UTM = "EPSG:32652"
SETTINGS = Settings(zoning_h3_fine_resolution=None)
A_IR, B_IR = 4e-6, 7e-6  # orange alone; 1.1e-5 (red) where they overlap


def _grid_run(url: str, tmp: Path, scope_id: str, centre: tuple[float, float], n: int, value: float) -> None:
    x, y = centre
    grid = Grid(x0=x - (n - 1) * 12.5, y0=y - (n - 1) * 12.5, cell_m=25.0, nx=n, ny=n, crs=UTM)
    path = write_cog(tmp / f"{scope_id}.tif", grid, np.full((n, n), value))
    with get_engine(url).connect() as conn:
        version = conn.execute(text("SELECT inputs_version FROM data_version")).scalar_one()
    save_run(url, scope="enterprise", scope_id=scope_id, criteria="existing", inputs_version=version,
             model_version="test", assumptions={}, grid_cell_m=25.0, grid_path=str(path), max_ir=value, fn=None,
             fn_region=None, contours=[], source_crs=UTM)


@pytest.fixture(scope="module")
def zoned(city_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("zoning")
    with get_engine(city_url).connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM enterprises "
                                     "WHERE id = :e) s"), {"e": ENT}).one()
    fwd = Transformer.from_crs(4326, UTM, always_xy=True)
    back = Transformer.from_crs(UTM, 4326, always_xy=True)
    px, py = fwd.transform(lon, lat)
    _grid_run(city_url, tmp, ENT, (px, py), 80, A_IR)  # 2 km square around P
    _grid_run(city_url, tmp, "ENT-0102", (px + 500, py), 20, B_IR)  # 500 m square around Q = P + 500 m east
    summary = run_zoning(city_url, settings=SETTINGS, data_dir=tmp)
    q = back.transform(px + 500, py)
    w = back.transform(px - 900, py)  # only A reaches here, and no point of its cell is within B
    return {"summary": summary, "q": h3.latlng_to_cell(q[1], q[0], 8), "w": h3.latlng_to_cell(w[1], w[0], 8)}


def _cell(url: str, h: str) -> dict:
    with get_engine(url).connect() as conn:
        return dict(conn.execute(text("SELECT * FROM zoning_cells WHERE h3 = :h"), {"h": h}).mappings().one())


def test_ir_is_summed_over_enterprises_and_banded(city_url: str, zoned: dict) -> None:
    both, one = _cell(city_url, zoned["q"]), _cell(city_url, zoned["w"])
    f32 = float(np.float32(A_IR)) + float(np.float32(B_IR))  # the COG stores float32
    assert both["ir_max"] == pytest.approx(f32, rel=1e-9) and both["ir_colour"] == "red"
    assert one["ir_max"] == pytest.approx(float(np.float32(A_IR)), rel=1e-9) and one["ir_colour"] == "orange"
    assert "2 IR grids" in zoned["summary"]


def test_cell_population_equals_the_same_apportioning_in_postgis(city_url: str, zoned: dict) -> None:
    with get_engine(city_url).connect() as conn:
        sql = dict(conn.execute(text(
            "SELECT c.h3, sum(r.population * ST_Area(ST_Intersection(r.geom, c.geom)::geography) "
            "/ ST_Area(r.geom::geography)) FROM zoning_cells c "
            "JOIN residential_areas r ON ST_Intersects(r.geom, c.geom) GROUP BY c.h3")).all())
        ours = dict(conn.execute(text("SELECT h3, population FROM zoning_cells WHERE population > 0")).all())
        total = conn.execute(text("SELECT sum(population) FROM residential_areas")).scalar_one()
    assert set(ours) == {h for h, v in sql.items() if v > 1e-6}
    for h, v in ours.items():
        assert v == pytest.approx(sql[h], rel=2e-3, abs=0.5), h
    assert sum(ours.values()) == pytest.approx(float(total), rel=1e-9)


def test_official_colours_are_the_19_bands_and_derived_ones_are_marked(city_url: str, zoned: dict) -> None:
    with get_engine(city_url).connect() as conn:
        rows = conn.execute(text(
            "SELECT e.risk_score, z.colour, z.basis, CASE WHEN e.risk_score < 60 THEN 'red' WHEN e.risk_score < 75 "
            "THEN 'orange' WHEN e.risk_score < 90 THEN 'yellow' ELSE 'blue' END FROM enterprises e "
            "JOIN zoning_enterprises z ON z.enterprise_id = e.id")).all()
    official = [r for r in rows if r[0] is not None]
    assert official and all(r[2] == "official" and r[1] == r[3] for r in official)
    assert all(r[2] == "derived" for r in rows if r[0] is None)


def test_layers_heatmap_and_summary_are_served(city_client: TestClient, zoned: dict, tmp_path: Path) -> None:
    run = city_client.get("/api/v1/zoning").json()
    assert run["current"] and run["settings"]["h3_resolution"] == 8
    assert "CHOICE" in run["settings"]["tags"]["r_kernel"] and "service classification" in run["settings"]["basis"]
    for layer in ("risk_zones", "risk_areas", "risk_enterprises", "admin_areas"):
        items = city_client.get(f"/collections/{layer}/items?limit=10000").json()
        assert items["features"], layer
    areas = city_client.get("/collections/risk_areas/items?limit=100").json()["features"]
    assert {f["properties"]["area_id"] for f in areas} >= {"220202", "220203", "220204", "220211", "PARK-01"}
    legend = city_client.get("/api/v1/layers").json()["layers"]
    zones = next(d for d in legend if d["id"] == "risk_zones")
    assert "服务分级" in zones["title_zh"] and "service classification" in zones["style"]["classes"]["red"]["label_en"]
    r = city_client.get("/api/v1/zoning/heatmap.tif")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/tiff")
    (tmp_path / "h.tif").write_bytes(r.content)
    with rasterio.open(tmp_path / "h.tif") as src:
        assert src.count == 4 and src.crs.is_projected
        rank = src.read(1)
        assert set(np.unique(rank[np.isfinite(rank)])) <= {1.0, 2.0, 3.0, 4.0}
        assert (rank == 1.0).any()  # the red cells of the summed grids
    exported = city_client.get("/collections/risk_zones/export?f=gpkg")
    assert exported.status_code == 200 and len(exported.content) > 1000


def test_a_write_makes_the_zoning_stale_until_recomputed(city_url: str, city_client: TestClient, zoned: dict,
                                                         tmp_path: Path) -> None:
    with get_engine(city_url).begin() as conn:
        conn.execute(text("UPDATE admin_areas SET name = name || '' WHERE id = '220203'"))  # a write, same values
    assert city_client.get("/api/v1/zoning").status_code == 404
    assert "geo-risk analyse" in city_client.get("/api/v1/zoning").json()["detail"]
    assert city_client.get("/collections/risk_zones/items").json()["features"] == []
    run_zoning(city_url, settings=SETTINGS, data_dir=tmp_path)
    assert city_client.get("/api/v1/zoning").status_code == 200
