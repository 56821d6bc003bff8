"""``/api/v1/hazard-sources`` on the graded sample city: grades, tiers, the full calculation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from helpers import SAMPLE_CITY, load
from sqlalchemy import text

from api.app import create_app
from geo_risk.grading import grade_store
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine

KEYS = {"viewer-key-1": "viewer", "analyst-key-1": "analyst"}


@pytest.fixture(scope="module")
def client(db_url: str) -> Iterator[TestClient]:
    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    app = create_app(Settings(database_url=db_url, api_keys=KEYS), database_url=db_url)
    with TestClient(app) as c:
        yield c


def _count(url: str, where: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM hazard_assessments WHERE {where}")).scalar())  # noqa: S608


def test_list_is_major_units_by_grade_then_r(client: TestClient, db_url: str) -> None:
    body = client.get("/api/v1/hazard-sources", params={"limit": 10_000}).json()
    assert body["number_matched"] == _count(db_url, "is_major_hazard") == body["number_returned"]
    keys = [(i["grade"], -i["r"]) for i in body["items"]]
    assert keys == sorted(keys)
    first = body["items"][0]
    assert first["grade"] == 1 and first["grade_zh"] == "一级重大危险源"
    assert first["r"] >= 100


def test_public_tier_hides_quantities_and_s(client: TestClient) -> None:
    item = client.get("/api/v1/hazard-sources", params={"limit": 1}).json()["items"][0]
    assert item["tier"] == "public"
    assert item["s"] is None and item["terms"] is None
    assert item["main_substances"] and item["r"] is not None
    viewer = client.get("/api/v1/hazard-sources", params={"limit": 1}, headers={"X-API-Key": "viewer-key-1"})
    assert viewer.json()["items"][0]["terms"] is None


def test_analyst_sees_the_full_calculation(client: TestClient) -> None:
    item = client.get("/api/v1/hazard-sources", params={"limit": 1}).json()["items"][0]
    full = client.get(f"/api/v1/hazard-sources/{item['id']}", headers={"X-API-Key": "analyst-key-1"}).json()
    assert full["tier"] == "restricted"
    # R = α · Σ β·q/Q and S = Σ q/Q, recomputed here from the returned terms
    assert full["s"] == pytest.approx(sum(t["quantity_t"] / t["critical_quantity_t"] for t in full["terms"]))
    assert full["r"] == pytest.approx(
        full["alpha"] * sum(t["beta"] * t["quantity_t"] / t["critical_quantity_t"] for t in full["terms"]))
    assert full["current"] is True


def test_filters_and_planned_units(client: TestClient, db_url: str) -> None:
    g3 = client.get("/api/v1/hazard-sources", params={"grade": 3, "limit": 10_000}).json()
    assert {i["grade"] for i in g3["items"]} == {3}
    assert g3["number_matched"] == _count(db_url, "grade = 3")
    planned = client.get("/api/v1/hazard-sources", params={"register": "planned"}).json()
    assert planned["number_matched"] == _count(db_url, "is_major_hazard AND register = 'planned'") > 0


def test_unknown_unit_is_404_and_bad_grade_is_422(client: TestClient) -> None:
    assert client.get("/api/v1/hazard-sources/NOPE").status_code == 404
    assert client.get("/api/v1/hazard-sources", params={"grade": 7}).status_code == 422


def test_map_layer_of_hazard_sources_carries_grades(client: TestClient, db_url: str) -> None:
    layers = {d["id"]: d for d in client.get("/api/v1/layers").json()["layers"]}
    style = layers["hazard_sources"]["style"]
    assert style["classify_by"] == "grade"
    assert style["classes"]["1"]["label_zh"] == "一级重大危险源"
    fc = client.get("/collections/hazard_sources/items", params={"limit": 10_000}).json()
    assert len(fc["features"]) == _count(db_url, "is_major_hazard")
    assert all("quantity_t" not in f["properties"] and "s" not in f["properties"] for f in fc["features"])
