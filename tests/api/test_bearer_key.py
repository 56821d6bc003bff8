"""An API key sent as ``Authorization: Bearer <key>`` counts as the same key sent as ``X-API-Key``.

Issue 11 §8: no test sent a bearer token, so removing that path survived. Each case compares the
bearer answer with what the role must get (api/access.py's tiers): an analyst sees the restricted
tier (Σq/Q and the per-substance terms, the inventory layer), on the routes and on the cached-tile
fast path alike; an editor may load; the scheme name is case-insensitive (RFC 7235 §2.1); an
unknown bearer key is refused like an unknown X-API-Key.
"""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from helpers import KEY_OF, small_city, write_city


def _bearer(role: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {KEY_OF[role]}"}


def test_a_bearer_analyst_key_sees_the_restricted_tier(city_client: TestClient) -> None:
    anonymous = city_client.get("/api/v1/hazard-sources", params={"limit": 5}).json()["items"]
    assert anonymous and all(i["tier"] == "public" and i["s"] is None and i["terms"] is None for i in anonymous)
    for scheme in ("Bearer", "bearer", "BEARER"):
        items = city_client.get("/api/v1/hazard-sources", params={"limit": 5},
                                headers=_bearer("analyst", scheme)).json()["items"]
        assert [i["id"] for i in items] == [i["id"] for i in anonymous]
        assert all(i["tier"] == "restricted" and i["s"] is not None and i["terms"] for i in items), scheme
    viewer = city_client.get("/api/v1/hazard-sources", params={"limit": 5}, headers=_bearer("viewer")).json()
    assert all(i["tier"] == "public" and i["s"] is None for i in viewer["items"])


def test_a_bearer_key_opens_the_restricted_layer(city_client: TestClient) -> None:
    r = city_client.get("/collections/inventory/items", params={"limit": 3}, headers=_bearer("analyst"))
    assert r.status_code == 200, r.text[:300]
    features = r.json()["features"]
    assert features and all("max_quantity_t" in f["properties"] for f in features)
    assert city_client.get("/collections/inventory/items", headers=_bearer("viewer")).status_code != 200
    assert city_client.get("/collections/inventory/items").status_code != 200


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(column, row) of the Web Mercator tile holding lon/lat at zoom z (OGC WebMercatorQuad)."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def test_a_bearer_key_is_read_alike_by_the_route_and_the_cached_tile_path(city_client: TestClient) -> None:
    feature = city_client.get("/collections/inventory/items", params={"limit": 1},
                              headers={"X-API-Key": KEY_OF["analyst"]}).json()["features"][0]
    coords = feature["geometry"]["coordinates"]
    while isinstance(coords[0], list):  # the first vertex of a polygon
        coords = coords[0]
    z = 14
    x, y = _tile_of(coords[0], coords[1], z)
    path = f"/collections/inventory/tiles/WebMercatorQuad/{z}/{y}/{x}"
    first = city_client.get(path, headers=_bearer("analyst"))  # made by the route, then cached
    again = city_client.get(path, headers=_bearer("analyst"))  # a warm tile: answered before routing
    assert first.status_code == again.status_code == 200, (first.status_code, again.status_code)
    assert first.content and again.content == first.content
    assert city_client.get(path, headers=_bearer("viewer")).status_code != 200
    assert city_client.get(path).status_code != 200


def test_a_bearer_editor_key_may_load(city_client: TestClient, tmp_path) -> None:  # noqa: ANN001
    gpkg = write_city(small_city(), tmp_path / "city.gpkg").read_bytes()
    files = [("files", ("city.gpkg", gpkg, "application/geopackage+sqlite3"))]
    r = city_client.post("/api/v1/loads", params={"dry_run": "true"}, files=files, headers=_bearer("editor"))
    assert r.status_code == 200, r.text[:300]
    assert r.json()["loaded_by"] == "editor" and r.json()["dry_run"] is True
    assert city_client.post("/api/v1/loads", params={"dry_run": "true"}, files=files).status_code == 401
    assert city_client.post("/api/v1/loads", params={"dry_run": "true"}, files=files,
                            headers=_bearer("analyst")).status_code == 403


def test_an_unknown_bearer_key_is_refused(city_client: TestClient) -> None:
    r = city_client.get("/api/v1/hazard-sources", headers={"Authorization": "Bearer not-a-key-of-this-server"})
    assert r.status_code == 401
