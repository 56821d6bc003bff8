"""OGC API - Features on the graded sample city: core paths, paging, filters and CQL2.

Expected sets are computed independently of the SQL under test: from the layer read into
GeoPandas and shapely / pyproj geometry (geodesic distances on the WGS 84 ellipsoid).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import Point, box, shape
from sqlalchemy import text

from geo_risk.store.db import get_engine
from geo_risk.store.read import read_layer

GEOD = Geod(ellps="WGS84")


def _all_ids(client: TestClient, collection: str, **params) -> list[str]:
    """Every feature id of a query, following next links."""
    ids: list[str] = []
    url = f"/collections/{collection}/items"
    body = client.get(url, params={"limit": 500, **params})
    while True:
        assert body.status_code == 200, body.text
        doc = body.json()
        ids += [f["id"] for f in doc["features"]]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        if not nxt:
            return ids
        body = client.get(nxt[0].replace("http://testserver", ""))


def _count(url: str, table: str, where: str = "true") -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one())  # noqa: S608


# -- core -----------------------------------------------------------------------------------------
def test_landing_conformance_and_collections(city_client: TestClient) -> None:
    landing = city_client.get("/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = city_client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conf
    cols = {c["id"]: c for c in city_client.get("/collections").json()["collections"]}
    assert "hazard_sources" in cols and "inventory" not in cols  # restricted: not listed anonymously
    hs = cols["hazard_sources"]
    assert hs["title"].startswith("重大危险源")
    x0, y0, x1, y1 = hs["extent"]["spatial"]["bbox"][0]
    assert 126 < x0 < x1 < 127.5 and 43 < y0 < y1 < 44.5


def test_html_responses(city_client: TestClient) -> None:
    for path in ("/", "/collections", "/collections/enterprises", "/collections/enterprises/items"):
        r = city_client.get(path, params={"f": "html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
    r = city_client.get("/collections/enterprises/items", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html") and "企业" in r.text


def test_items_page_through_every_feature_once(city_client: TestClient, city_url: str) -> None:
    ids = _all_ids(city_client, "residential_areas")
    assert len(ids) == len(set(ids)) == _count(city_url, "residential_areas")
    first = city_client.get("/collections/residential_areas/items", params={"limit": 7})
    assert first.headers["content-type"] == "application/geo+json"
    doc = first.json()
    assert doc["numberReturned"] == 7 and doc["numberMatched"] == len(ids)
    assert doc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_single_item_and_404(city_client: TestClient) -> None:
    r = city_client.get("/collections/protection_targets/items/PT-0001")
    assert r.status_code == 200 and r.json()["properties"]["name"] == "吉林市第十一中学"
    assert city_client.get("/collections/protection_targets/items/nope").status_code == 404
    assert city_client.get("/collections/nope/items").status_code == 404


def test_bbox_matches_shapely(city_client: TestClient, city_url: str) -> None:
    frame = read_layer(city_url, "residential_areas")
    bbox = (126.50, 43.80, 126.58, 43.86)
    expected = set(frame.index[frame.intersects(box(*bbox))])
    got = set(_all_ids(city_client, "residential_areas", bbox=",".join(map(str, bbox))))
    assert got == expected and len(expected) > 10


def test_property_filter_and_datetime(city_client: TestClient, city_url: str) -> None:
    got = _all_ids(city_client, "hazard_sources", grade="1")
    assert len(got) == _count(city_url, "hazard_sources_map", "grade = 1") == 8
    # every hazard source was computed just now; an interval ending in 2000 matches none
    assert _all_ids(city_client, "hazard_sources", datetime="../2000-01-01T00:00:00Z") == []
    everything = _count(city_url, "hazard_sources_map")  # 124 in the register + 7 planned
    assert len(_all_ids(city_client, "hazard_sources", datetime="2000-01-01T00:00:00Z/..")) == everything == 131
    assert city_client.get("/collections/hazard_sources/items", params={"nonsense": "1"}).status_code == 422


# -- CQL2 -----------------------------------------------------------------------------------------
def _cql(client: TestClient, collection: str, expr: str | dict, lang: str | None = None) -> set[str]:
    params = {"filter": expr if isinstance(expr, str) else json.dumps(expr)}
    if lang:
        params["filter-lang"] = lang
    return set(_all_ids(client, collection, **params))


def test_cql2_comparison_and_logic_text_equals_json(city_client: TestClient, city_url: str) -> None:
    frame = read_layer(city_url, "hazard_sources_map", ("grade", "r", "enterprise_name", "safety_distance_m"))
    expected = set(frame.index[(frame.grade <= 2) & (frame.r > 50)])
    text_ = _cql(city_client, "hazard_sources", "grade <= 2 AND r > 50")
    as_json = _cql(city_client, "hazard_sources", {"op": "and", "args": [
        {"op": "<=", "args": [{"property": "grade"}, 2]}, {"op": ">", "args": [{"property": "r"}, 50]}]},
        "cql2-json")
    assert text_ == as_json == expected and expected
    assert _cql(city_client, "hazard_sources", "NOT (grade <= 2 AND r > 50)") == set(frame.index) - expected
    assert _cql(city_client, "hazard_sources", "grade IN (1, 3)") == set(frame.index[frame.grade.isin([1, 3])])
    assert _cql(city_client, "hazard_sources", "r BETWEEN 10 AND 20") == set(frame.index[frame.r.between(10, 20)])
    assert _cql(city_client, "hazard_sources", "safety_distance_m IS NULL") == set(
        frame.index[frame.safety_distance_m.isna()])
    assert _cql(city_client, "hazard_sources", "CASEI(unit_type) = CASEI('STORAGE')") == _cql(
        city_client, "hazard_sources", "unit_type = 'storage'")
    assert _cql(city_client, "hazard_sources", "T_AFTER(computed_at, TIMESTAMP('2000-01-01T00:00:00Z'))") == set(
        frame.index)
    like = set(frame.index[frame.enterprise_name.str.contains("石油化工")])
    assert _cql(city_client, "hazard_sources", "enterprise_name LIKE '%石油化工%'") == like and like


def test_cql2_spatial_operators_match_shapely(city_client: TestClient, city_url: str) -> None:
    frame = read_layer(city_url, "protection_targets")
    poly = box(126.50, 43.80, 126.60, 43.90)
    wkt = poly.wkt
    assert _cql(city_client, "protection_targets", f"S_INTERSECTS(geom, {wkt})") == set(
        frame.index[frame.intersects(poly)])
    assert _cql(city_client, "protection_targets", f"S_WITHIN(geom, {wkt})") == set(frame.index[frame.within(poly)])
    parks = read_layer(city_url, "chemical_parks")
    school = frame.geometry["PT-0001"]
    inner = school.representative_point()
    assert _cql(city_client, "chemical_parks", f"S_CONTAINS(geom, {inner.wkt})") == set(
        parks.index[parks.contains(inner)])
    assert _cql(city_client, "protection_targets", {"op": "s_intersects", "args": [
        {"property": "geom"}, shapely.geometry.mapping(poly)]}, "cql2-json") == set(frame.index[frame.intersects(poly)])


def test_s_dwithin_is_metres_on_the_spheroid(city_client: TestClient, city_url: str) -> None:
    """Points within d metres by pyproj's geodesic inverse; polygons by a local UTM projection with
    a ±1 % band around d left out (only the SQL's spheroid and UTM's scale differ there)."""
    frame = read_layer(city_url, "protection_targets")
    centre = Point(126.56, 43.85)
    d = 3000.0
    pts = frame[frame.geom_type == "Point"]
    _, _, dist = GEOD.inv([centre.x] * len(pts), [centre.y] * len(pts), pts.geometry.x.values, pts.geometry.y.values)
    got = _cql(city_client, "protection_targets", f"S_DWITHIN(geom, POINT({centre.x} {centre.y}), {d})")
    near_pts = set(pts.index[dist <= d * 0.999])
    far_pts = set(pts.index[dist > d * 1.001])
    assert near_pts <= got and not (far_pts & got) and near_pts
    utm = frame.to_crs(32652)
    c_utm = gpd.GeoSeries([centre], crs=4326).to_crs(32652).iloc[0]
    pd_ = utm.distance(c_utm)
    assert set(frame.index[pd_ <= d * 0.99]) <= got
    assert not (set(frame.index[pd_ > d * 1.01]) & got)
    # degrees would be a disaster: 3000 "degrees" covers everything; 0.03 metres nothing
    assert _cql(city_client, "protection_targets", f"S_DWITHIN(geom, POINT({centre.x} {centre.y}), 0.03)") == set()
    json_form = _cql(city_client, "protection_targets", {"op": "s_dwithin", "args": [
        {"property": "geom"}, {"type": "Point", "coordinates": [centre.x, centre.y]}, d]}, "cql2-json")
    assert json_form == got


@pytest.mark.parametrize(
    ("expr", "needle"),
    [
        ("grade = ", "cannot be parsed"),
        ("max_quantity_t > 0", "unknown property"),  # a restricted field is not queryable on a public layer
        ("grade = 'one'", "needs a number"),
        ("name = 5", "quoted value"),
        ("S_INTERSECTS(grade, POINT(1 2))", "geometry"),
        ("S_DWITHIN(geom, POINT(126 43), -5)", "0–"),
        ("S_INTERSECTS(geom, POINT(4000000 5000000))", "lon/lat"),
        ("name = 'x''; DROP TABLE enterprises; --'", None),
    ],
)
def test_bad_cql2_is_a_clear_4xx_and_harms_nothing(
    city_client: TestClient, city_url: str, expr: str, needle: str | None
) -> None:
    before = _count(city_url, "enterprises")
    r = city_client.get("/collections/hazard_sources/items", params={"filter": expr})
    if needle is None:  # a quoted quote: a literal that matches nothing, or refused — never SQL
        assert r.status_code == 422 or (r.status_code == 200 and r.json()["numberMatched"] == 0), r.text
    else:
        assert 400 <= r.status_code < 500, r.text
        assert needle in r.json()["detail"], r.json()
    assert _count(city_url, "enterprises") == before


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "200,0,201,1"},
        {"limit": "100000000"},
        {"limit": "0"},
        {"offset": "-1"},
        {"datetime": "yesterday"},
        {"filter-lang": "sql", "filter": "grade = 1"},
        {"filter": "{not json", "filter-lang": "cql2-json"},
        {"f": "xml"},
    ],
)
def test_bad_parameters_are_4xx(city_client: TestClient, params: dict[str, str]) -> None:
    r = city_client.get("/collections/hazard_sources/items", params=params)
    assert 400 <= r.status_code < 500, (params, r.status_code, r.text)
    assert r.json().get("detail")


def test_queryables_are_the_declared_fields(city_client: TestClient) -> None:
    q = city_client.get("/collections/hazard_sources/queryables").json()
    assert set(q["properties"]) == {"geom", "id", "name", "enterprise_id", "enterprise_name", "unit_type", "register",
                                    "register_label", "grade", "r", "main_substances", "safety_distance_m",
                                    "approximate", "computed_at"}
    assert q["properties"]["grade"]["type"] == "number"


def test_item_geometry_equals_store(city_client: TestClient, city_url: str) -> None:
    frame = read_layer(city_url, "chemical_parks")
    feature = city_client.get("/collections/chemical_parks/items/PARK-01").json()
    assert shape(feature["geometry"]).equals_exact(frame.geometry["PARK-01"], 1e-7)
