"""The API on a real PostGIS: health, layer disclosure tiers per role, loads by editors only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import load, small_city, snapshot, write_city
from sqlalchemy import text

from api.app import create_app
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine, head_revision

KEYS = {"viewer-key-1": "viewer", "analyst-key-1": "analyst", "editor-key-1": "editor", "admin-key-01": "admin"}


@pytest.fixture(scope="module")
def client(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    load(write_city(small_city(), tmp_path_factory.mktemp("city") / "c.gpkg"), db_url)
    app = create_app(Settings(database_url=db_url, api_keys=KEYS, max_upload_mb=0.05), database_url=db_url)
    with TestClient(app) as c:
        yield c


def _key(role: str | None) -> dict[str, str]:
    return {} if role is None else {"X-API-Key": next(k for k, r in KEYS.items() if r == role)}


def test_health_reports_the_database(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "reachable" and body["schema_revision"] == head_revision()
    assert body["postgis"].startswith("3.")


def test_health_is_503_when_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
    with TestClient(create_app(Settings(database_url=url), database_url=url)) as c:
        r = c.get("/health")
    assert r.status_code == 503 and r.json()["database"] == "unreachable"


def test_public_layer_is_served_as_geojson_without_a_key(client: TestClient) -> None:
    r = client.get("/collections/protection_targets/items")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert {f["id"] for f in fc["features"]} == {"T1", "T2", "T3"}
    t1 = next(f for f in fc["features"] if f["id"] == "T1")
    assert t1["properties"]["name"] == "龙潭区第一中学" and t1["geometry"]["type"] == "Point"
    assert t1["geometry"]["coordinates"] == pytest.approx([126.556, 43.925], abs=1e-6)


def test_bbox_filters_features(client: TestClient) -> None:
    r = client.get("/collections/protection_targets/items", params={"bbox": "126.55,43.92,126.56,43.93"})
    assert [f["id"] for f in r.json()["features"]] == ["T1"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "10,10,5,5", "0,0,200,10"])
def test_bad_bbox_is_a_clear_422(client: TestClient, bbox: str) -> None:
    r = client.get("/collections/enterprises/items", params={"bbox": bbox})
    assert r.status_code == 422
    assert "bbox" in r.json()["detail"]


def test_unknown_layer_is_404_naming_the_layers(client: TestClient) -> None:
    r = client.get("/collections/nope/items")
    assert r.status_code == 404 and "enterprises" in r.json()["detail"]


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("viewer", 404), ("analyst", 200), ("admin", 200)])
def test_restricted_layers_need_analyst_or_above(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, role: str | None, status: int
) -> None:
    from layers.registry import REGISTRY, LayerDef, Style

    # A restricted layer as later issues register them (quantities of hazard units).
    monkeypatch.setitem(REGISTRY, "unit_quantities", LayerDef(
        "unit_quantities", "单元存量", "Unit quantities", "hazard_units", "mixed", ("id", "name"), ("name",),
        Style("#000000", "#000000"), tier="restricted"))
    listed = {d["id"] for d in client.get("/api/v1/layers", headers=_key(role)).json()["layers"]}
    assert ("unit_quantities" in listed) == (status == 200)
    r = client.get("/collections/unit_quantities/items", headers=_key(role))
    assert r.status_code == status
    if status == 200:
        assert len(r.json()["features"]) == 4
    else:
        assert "unit_quantities" not in r.json()["detail"].split(";", 1)[1]  # not offered either


def test_unknown_key_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/layers", headers={"X-API-Key": "not-a-key-at-all"})
    assert r.status_code == 401 and "not valid" in r.json()["detail"]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403), ("analyst", 403)])
def test_loads_need_an_editor_key(
    client: TestClient, db_url: str, tmp_path: Path, role: str | None, status: int
) -> None:
    before = snapshot(db_url)
    path = write_city({"chemical_parks": small_city()["chemical_parks"]}, tmp_path / "p.gpkg")
    with open(path, "rb") as f:
        r = client.post("/api/v1/loads", files={"files": ("p.gpkg", f)}, headers=_key(role))
    assert r.status_code == status
    assert snapshot(db_url) == before


def test_editor_loads_a_geojson_and_bad_rows_are_listed(client: TestClient, db_url: str) -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "RX1", "name": "新区", "population": 80},
         "geometry": {"type": "Polygon", "coordinates": [[[126.6, 43.8], [126.601, 43.8], [126.601, 43.801],
                                                          [126.6, 43.8]]]}},
        {"type": "Feature", "properties": {"id": "RX2", "name": "坏区", "population": -3},
         "geometry": {"type": "Polygon", "coordinates": [[[126.7, 43.8], [126.701, 43.8], [126.701, 43.801],
                                                          [126.7, 43.8]]]}},
    ]}
    before = snapshot(db_url)
    body = json.dumps(fc, ensure_ascii=False).encode()
    r = client.post("/api/v1/loads", files={"files": ("residential_areas.geojson", body)}, headers=_key("editor"))
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert problems == [{"layer": "residential_areas", "row": 2, "id": "RX2",
                         "reason": "population -3 is negative; it must be ≥ 0", "severity": "error"}]
    assert snapshot(db_url) == before

    fc["features"] = fc["features"][:1]
    body = json.dumps(fc, ensure_ascii=False).encode()
    r = client.post("/api/v1/loads", files={"files": ("residential_areas.geojson", body)}, headers=_key("editor"))
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["residential_areas"]["inserted"] == 1
    with get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT name FROM residential_areas WHERE id = 'RX1'")).scalar() == "新区"


def test_oversize_upload_is_413_and_loads_nothing(client: TestClient, db_url: str) -> None:
    before = snapshot(db_url)
    big = b'{"type": "FeatureCollection", "features": []}' + b" " * 60_000  # over the 0.05 MB limit
    r = client.post("/api/v1/loads", files={"files": ("residential_areas.geojson", big)}, headers=_key("editor"))
    assert r.status_code == 413
    assert "GEO_RISK_MAX_UPLOAD_MB" in r.json()["detail"]
    assert snapshot(db_url) == before
