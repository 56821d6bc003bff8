"""Vector tiles on the graded sample city: contents against shapely, hexagons, caching, freshness.

A tile's expected contents are computed independently: the layer read into GeoPandas, projected
to Web Mercator by pyproj, intersected with the tile square by shapely. ST_AsMVTGeom keeps what
falls in the 64/4096 buffer too, so: every feature intersecting the tile is in it, and nothing
outside the buffered tile is.
"""

from __future__ import annotations

import math
import time

import mapbox_vector_tile
import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, box, shape
from sqlalchemy import text

from geo_risk.store.db import get_engine
from geo_risk.store.read import read_layer
from geo_risk.store.tiles import BUFFER, EXTENT, tile_bounds_3857
from layers.registry import REGISTRY

KEY = {"X-API-Key": "analyst-key-1"}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _get(client: TestClient, layer: str, z: int, x: int, y: int, **kw) -> dict:
    r = client.get(f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}", **kw)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(r.content) if r.content else {}


# The school PT-0001 beside park PARK-01: the busiest corner of the sample city.
CENTRE = (126.6331, 43.91)


@pytest.mark.parametrize(
    ("layer", "z"),
    [(layer, z) for layer in ("hazard_sources", "protection_targets", "residential_areas", "hazard_units")
     for z in (10, 12, 14) if z >= REGISTRY[layer].min_zoom],  # below the minimum zoom: hexagons, tested below
)
def test_tile_holds_exactly_the_features_that_intersect_it(
    city_client: TestClient, city_url: str, layer: str, z: int
) -> None:
    d = REGISTRY[layer]
    frame = read_layer(city_url, d.table).to_crs(3857)
    z, x, y = _tile_of(*CENTRE, z)
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    pad = (maxx - minx) * BUFFER / EXTENT
    inside = set(frame.index[frame.intersects(box(minx, miny, maxx, maxy))])
    buffered = set(frame.index[frame.intersects(box(minx - pad, miny - pad, maxx + pad, maxy + pad))])
    tile = _get(city_client, layer, z, x, y)
    got = {f["properties"]["id"] for f in tile.get(layer, {}).get("features", [])}
    assert inside, "the test tile should not be empty"
    assert inside <= got <= buffered
    props = tile[layer]["features"][0]["properties"]
    assert set(props) <= set(d.fields)  # public fields only (NULLs are omitted by MVT)


def test_tiny_polygons_survive_as_points(city_client: TestClient, city_url: str) -> None:
    """At z8 a 30 m hazard unit is far below a tile pixel: it must still be in the tile."""
    frame = read_layer(city_url, "hazard_sources_map")
    z, x, y = _tile_of(*CENTRE, 8)
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    inside = set(frame.to_crs(3857).pipe(lambda f: f.index[f.intersects(box(minx, miny, maxx, maxy))]))
    features = _get(city_client, "hazard_sources", z, x, y)["hazard_sources"]["features"]
    assert inside <= {f["properties"]["id"] for f in features}
    assert any(f["geometry"]["type"] == "Point" for f in features)
    grades = {f["properties"]["id"]: f["properties"]["grade"] for f in features}
    assert grades["HU-0005"] == int(read_layer(city_url, "hazard_sources_map", ("grade",)).grade["HU-0005"])


def test_hexagons_below_min_zoom_sum_every_feature_once(city_client: TestClient, city_url: str) -> None:
    """Each residential area is counted in the hexagon that contains its bbox centre (shapely
    containment, independent of the SQL's axial rounding), and the sums add up."""
    frame = read_layer(city_url, "residential_areas", ("population",))
    x0, y0, x1, y1 = frame.total_bounds
    r = city_client.get("/collections/residential_areas/hexagons",
                        params={"bbox": f"{x0 - .01},{y0 - .01},{x1 + .01},{y1 + .01}", "zoom": 11})
    assert r.status_code == 200
    hexes = r.json()["features"]
    assert sum(h["properties"]["count"] for h in hexes) == len(frame)
    assert sum(h["properties"]["population"] for h in hexes) == int(frame.population.sum())
    b = frame.geometry.bounds
    centres = [Point(cx, cy) for cx, cy in zip((b.minx + b.maxx) / 2, (b.miny + b.maxy) / 2, strict=True)]
    polys = [shape(h["geometry"]) for h in hexes]
    rng = np.random.default_rng(7)
    for i in rng.choice(len(frame), size=60, replace=False):
        # a hexagon edge is computed in Web Mercator and drawn in lon/lat: allow the boundary
        homes = [j for j, p in enumerate(polys) if p.buffer(1e-9).contains(centres[i])]
        assert homes, f"area {frame.index[i]} is in no hexagon"
    for j, p in enumerate(polys[:40]):
        inside = sum(p.contains(c) for c in centres)
        assert abs(inside - hexes[j]["properties"]["count"]) <= 1  # a centre exactly on an edge


def test_hexagon_tile_below_min_zoom(city_client: TestClient) -> None:
    z, x, y = _tile_of(*CENTRE, 10)
    tile = _get(city_client, "residential_areas", z, x, y)
    assert "residential_areas" not in tile
    hexes = tile["residential_areas_hexagons"]["features"]
    assert hexes and all(h["properties"]["count"] >= 1 for h in hexes)
    assert all(h["geometry"]["type"] == "Polygon" for h in hexes)


def test_etag_304_and_cache_keyed_by_version(city_client: TestClient, city_url: str) -> None:
    z, x, y = _tile_of(*CENTRE, 14)
    path = f"/collections/residential_areas/tiles/WebMercatorQuad/{z}/{y}/{x}"
    first = city_client.get(path)
    etag = first.headers["etag"]
    assert "must-revalidate" in first.headers["cache-control"]
    assert city_client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # a write by another connection (as a CLI load would make) reaches the tile at once
    minx, miny, maxx, maxy = tile_bounds_3857(z, x, y)
    lon = (minx + maxx) / 2 / 6378137 * 180 / math.pi
    lat = math.degrees(2 * math.atan(math.exp((miny + maxy) / 2 / 6378137)) - math.pi / 2)
    with get_engine(city_url).begin() as conn:
        conn.execute(text(
            "INSERT INTO residential_areas (id, name, population, category, geom) VALUES "
            "('RA-TILE-TEST', '新小区', 10, 'general_3', ST_Buffer(ST_SetSRID(ST_Point(:lon, :lat), 4326), 0.0002))"
        ), {"lon": lon, "lat": lat})
    try:
        deadline = time.monotonic() + 5
        while True:
            r = city_client.get(path, headers={"If-None-Match": etag})
            if r.status_code == 200:
                break
            assert time.monotonic() < deadline, "the tile stayed stale after a write"
            time.sleep(0.05)
        ids = {f["properties"]["id"] for f in mapbox_vector_tile.decode(r.content)["residential_areas"]["features"]}
        assert "RA-TILE-TEST" in ids and r.headers["etag"] != etag
    finally:
        with get_engine(city_url).begin() as conn:
            conn.execute(text("DELETE FROM residential_areas WHERE id = 'RA-TILE-TEST'"))


def test_restricted_tiles_per_role_and_never_shared(city_client: TestClient) -> None:
    z, x, y = _tile_of(*CENTRE, 14)
    path = f"/collections/inventory/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert city_client.get(path).status_code == 404  # a restricted layer does not exist for them
    assert city_client.get(path, headers={"X-API-Key": "viewer-key-1"}).status_code == 404
    r = city_client.get(path, headers=KEY)
    assert r.status_code == 200 and "private" in r.headers["cache-control"]
    feats = mapbox_vector_tile.decode(r.content)["inventory"]["features"]
    assert any("max_quantity_t" in f["properties"] for f in feats)
    # an anonymous request after the analyst's (same z/x/y, warm cache) still gets nothing
    assert city_client.get(path).status_code == 404


def _asgi_get(middleware, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One GET through the ASGI callable ``middleware``; (status, headers, body)."""
    import asyncio

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(middleware(scope, receive, send))
    start = sent[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            b"".join(m.get("body", b"") for m in sent[1:]))


def test_cached_tiles_are_answered_before_routing_exactly_as_the_route_would(city_client: TestClient) -> None:
    from api.tile_fastpath import CachedTiles

    class NotAnsweredHere(Exception):
        pass

    async def the_app(scope, receive, send) -> None:  # noqa: ANN001 - stands for the FastAPI app behind
        raise NotAnsweredHere(scope["path"])

    state = city_client.app.state
    deadline = time.monotonic() + 5
    while not state.version_watch.listening:
        assert time.monotonic() < deadline, "the version watch never started listening"
        time.sleep(0.05)
    shortcut = CachedTiles(the_app, state)
    z, x, y = _tile_of(*CENTRE, 14)
    path = f"/collections/residential_areas/tiles/WebMercatorQuad/{z}/{y}/{x}"
    with pytest.raises(NotAnsweredHere):  # not cached yet: the app must make it
        _asgi_get(shortcut, f"/collections/residential_areas/tiles/WebMercatorQuad/{z}/{y}/{x + 1}", {})
    made = city_client.get(path)  # the route makes and caches it
    status, headers, body = _asgi_get(shortcut, path, {})
    assert status == 200 and body == made.content and len(body) > 100
    for name in ("etag", "cache-control", "vary", "content-type"):
        assert headers[name] == made.headers[name], name
    assert _asgi_get(shortcut, path, {"If-None-Match": made.headers["etag"]})[0] == 304
    with pytest.raises(NotAnsweredHere):  # a key that is not configured: the app answers 401
        _asgi_get(shortcut, path, {"X-API-Key": "no-such-key-123"})
    # a restricted tile cached for an analyst is never answered here for anyone else
    inv = f"/collections/inventory/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert city_client.get(inv, headers=KEY).status_code == 200
    assert _asgi_get(shortcut, inv, KEY)[0] == 200
    for others in ({}, {"X-API-Key": "viewer-key-1"}):
        with pytest.raises(NotAnsweredHere):
            _asgi_get(shortcut, inv, others)


@pytest.mark.parametrize("zyx", ["25/0/0", "3/8/0", "3/0/8", "3/-1/0", "a/b/c"])
def test_tile_out_of_range_is_4xx(city_client: TestClient, zyx: str) -> None:
    r = city_client.get(f"/collections/hazard_sources/tiles/WebMercatorQuad/{zyx}")
    assert 400 <= r.status_code < 500, r.text


def test_tilejson_and_legend(city_client: TestClient) -> None:
    doc = city_client.get("/collections/hazard_sources/tiles/WebMercatorQuad/tilejson.json").json()
    assert doc["tilejson"] == "3.0.0" and doc["tiles"][0].endswith("/{z}/{y}/{x}")
    legend = doc["geo_risk:legend"]["style"]["classes"]
    assert legend["1"] == {"colour": "#b30000", "label_zh": "一级重大危险源", "label_en": "Grade 1 major hazard"}
    ids = {v["id"] for v in doc["vector_layers"]}
    assert ids == {"hazard_sources", "hazard_sources_hexagons"}


@pytest.mark.parametrize("z", [8, 10, 11])
def test_whole_layer_hexagon_index_equals_the_bbox_query(city_url: str, z: int) -> None:
    """Tiles cut from the per-zoom whole-layer hexagons equal those aggregated around the tile."""
    from geo_risk.store.db import data_version
    from geo_risk.store.tiles import hexagon_tile

    layer = REGISTRY["residential_areas"]
    z, x, y = _tile_of(*CENTRE, z)

    def hexes(data: bytes) -> list[tuple]:
        feats = mapbox_vector_tile.decode(data)["residential_areas_hexagons"]["features"]
        return sorted((f["properties"]["count"], f["properties"]["population"], str(f["geometry"]["coordinates"]))
                      for f in feats)

    direct = hexes(hexagon_tile(city_url, layer, z, x, y))
    indexed = hexes(hexagon_tile(city_url, layer, z, x, y, version=data_version(city_url)))
    assert direct == indexed and direct


@pytest.mark.parametrize(("z", "y", "x"), [(0, 1, 0), (0, 0, 1), (3, 8, 0), (3, 0, 8), (24, 1 << 24, 0),
                                           (12, 10**30, 5)])
def test_a_tile_outside_the_tile_matrix_is_a_404_naming_the_range(city_client: TestClient, z: int, y: int,
                                                                  x: int) -> None:
    # OGC API – Tiles /req/core/tc-error: the conformance suite asks for tileRow = maxTileRow + 1 and accepts
    # only 404 or 400; a row or column of 2^z (or more) names no tile of WebMercatorQuad.
    r = city_client.get(f"/collections/residential_areas/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert r.status_code == 404, (r.status_code, r.text[:300])
    assert f"run 0–{(1 << z) - 1}" in r.json()["detail"]


def test_the_last_tile_of_a_matrix_exists(city_client: TestClient) -> None:
    n = 1 << 3
    r = city_client.get(f"/collections/residential_areas/tiles/WebMercatorQuad/3/{n - 1}/{n - 1}")
    assert r.status_code == 200, r.text[:300]


@pytest.mark.parametrize("zyx", ["25/0/0", "3/-1/0", "3/0/-1", "x/0/0"])
def test_a_malformed_tile_address_is_a_422_naming_the_parameter(city_client: TestClient, zyx: str) -> None:
    r = city_client.get(f"/collections/residential_areas/tiles/WebMercatorQuad/{zyx}")
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert any(p in r.json()["detail"] for p in ("tileMatrix", "tileRow", "tileCol"))


def test_a_daily_layers_cached_tiles_are_keyed_by_the_date() -> None:
    # The hidden-danger layers colour items overdue from the day after their deadline: a tile cached
    # yesterday must not be served today, although no data changed.
    import datetime as dt

    from api.access import Principal
    from api.routes.ogc import tile_key

    anyone = Principal(None)
    daily, plain = REGISTRY["hidden_dangers_public"], REGISTRY["residential_areas"]
    assert daily.daily and not plain.daily
    monday, tuesday = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
    assert tile_key(daily, anyone, 5, 12, 1, 2, today=monday) != tile_key(daily, anyone, 5, 12, 1, 2, today=tuesday)
    assert tile_key(plain, anyone, 5, 12, 1, 2, today=monday) == tile_key(plain, anyone, 5, 12, 1, 2, today=tuesday)
