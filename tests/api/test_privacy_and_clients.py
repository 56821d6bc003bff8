"""Private layers stay private on every path, for every role; GDAL reads the service as a client;
schemathesis with every check runs in test_openapi_schemathesis.py; writes land in the audit log."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, SAMPLE_CITY, live_server
from sqlalchemy import text

from api.app import create_app
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine
from layers.registry import REGISTRY

Z, X, Y = 14, 13955, 5963  # a tile over PARK-01
RESTRICTED_PATHS = [
    "/collections/inventory",
    "/collections/inventory/queryables",
    "/collections/inventory/items",
    "/collections/inventory/items?filter=max_quantity_t%20%3E%200",
    "/collections/inventory/items/HU-0001%2F1",
    f"/collections/inventory/tiles/WebMercatorQuad/{Z}/{Y}/{X}",
    "/collections/inventory/tiles/WebMercatorQuad/tilejson.json",
    "/collections/inventory/tiles",
    "/collections/inventory/hexagons?bbox=126,43,127,44&zoom=9",
    "/collections/inventory/export?f=gpkg",
    "/collections/inventory/export?f=csv",
]


@pytest.mark.parametrize("path", RESTRICTED_PATHS)
@pytest.mark.parametrize(("role", "status"), [(None, 404), ("viewer", 404), ("analyst", 200), ("editor", 200),
                                              ("admin", 200)])
def test_restricted_layer_on_every_path(city_client: TestClient, path: str, role: str | None, status: int) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    r = city_client.get(path, headers=headers)
    assert r.status_code == status, (path, role, r.text[:200])
    if status == 200 and "items" in path and "filter" in path:
        assert r.json()["numberMatched"] > 0


@pytest.mark.parametrize(("role", "sees"), [(None, False), ("viewer", False), ("analyst", True)])
def test_listings_and_web_map_registry(city_client: TestClient, role: str | None, sees: bool) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    ids = {c["id"] for c in city_client.get("/collections", headers=headers).json()["collections"]}
    assert ("inventory" in ids) is sees
    layers = {d["id"] for d in city_client.get("/api/v1/layers", headers=headers).json()["layers"]}
    assert ("inventory" in layers) is sees


def test_public_layers_never_expose_quantities(city_client: TestClient) -> None:
    """No public layer serves a field a quantity can be read from, on any path."""
    for cid in ("hazard_sources", "hazard_units", "enterprises"):
        feature = city_client.get(f"/collections/{cid}/items", params={"limit": 1}).json()["features"][0]
        assert not {"max_quantity_t", "s", "terms", "q"} & set(feature["properties"])
        r = city_client.get(f"/collections/{cid}/items", params={"filter": "max_quantity_t > 0"})
        assert r.status_code == 422


def test_a_bad_key_is_401_everywhere(city_client: TestClient) -> None:
    r = city_client.get("/collections/hazard_sources/items", headers={"X-API-Key": "not-a-key-at-all"})
    assert r.status_code == 401


# -- GDAL as a client -----------------------------------------------------------------------------
def _gdal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300)


def test_gdal_reads_the_service(city_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=city_url), database_url=city_url)
    with live_server(app) as base:
        info = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{base}")
        assert info.returncode == 0, info.stderr
        for cid in ("chemical_parks", "residential_areas", "enterprises", "hazard_units", "hazard_sources",
                    "protection_targets"):
            assert cid in info.stdout
        assert "inventory" not in info.stdout  # anonymous: the restricted layer does not exist
        with get_engine(city_url).connect() as conn:
            for cid, table in (("hazard_sources", "hazard_sources_map"), ("residential_areas", "residential_areas")):
                out = tmp_path / f"{cid}.gpkg"
                copy = _gdal("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{base}/collections/{cid}",
                             "-oo", "PAGE_SIZE=1000")
                assert copy.returncode == 0, copy.stderr
                layer = pyogrio.read_info(out, layer=cid)
                expected = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                assert layer["features"] == expected
                assert layer["crs"] == "EPSG:4326"
                assert set(REGISTRY[cid].fields) - {"id"} <= set(layer["fields"])


def test_write_is_recorded_in_the_audit_log(fresh_db_url: str) -> None:
    keys = {"editor-key-9": "editor"}
    app = create_app(Settings(database_url=fresh_db_url, api_keys=keys), database_url=fresh_db_url)
    with TestClient(app) as client, open(SAMPLE_CITY, "rb") as f:
        r = client.post("/api/v1/loads", files={"files": ("city.gpkg", f, "application/geopackage+sqlite3")},
                        headers={"X-API-Key": "editor-key-9"})
        assert r.status_code == 200, r.text
        bad = client.post("/api/v1/loads", files={"files": ("x.geojson", b"{}", "application/geo+json")},
                          headers={"X-API-Key": "editor-key-9"})
        assert 400 <= bad.status_code < 500
    with get_engine(fresh_db_url).connect() as conn:
        rows = conn.execute(text("SELECT actor, role, channel, action, outcome, details FROM audit_log ORDER BY id"))
        rows = [dict(r._mapping) for r in rows]
    assert [(r["role"], r["channel"], r["action"], r["outcome"]) for r in rows] == [
        ("editor", "api", "load", "ok"), ("editor", "api", "load", "failed")]
    assert rows[0]["actor"] == "edit…" and rows[0]["details"]["counts"]["residential_areas"]["inserted"] == 2268
    assert "editor-key-9" not in json.dumps(rows, default=str)  # the secret never lands in the log
