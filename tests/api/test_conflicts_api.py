"""GET /api/v1/conflicts and the conflict layers on the analysed sample city."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geo_risk.analyse import analyse


@pytest.fixture(scope="module")
def analysed(city_url: str, city_client: TestClient) -> TestClient:
    analyse(city_url, only=["conflicts"])
    return city_client


def test_conflicts_list_worst_first_with_the_settings_used(analysed: TestClient) -> None:
    r = analysed.get("/api/v1/conflicts", params={"limit": 50})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["current"] is True and body["number_matched"] >= body["number_returned"] > 0
    assert "CHOICE" in body["settings"]["tags"]["shortfall_bands"]
    ranks = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}
    order = [ranks[i["colour"]] for i in body["items"]]
    assert order == sorted(order)
    first = body["items"][0]
    assert first["geometry"]["type"] == "LineString"
    assert first["shortfall_m"] == pytest.approx(first["required_distance_m"] - first["actual_distance_m"], abs=1e-6)


def test_filters_and_refusals(analysed: TestClient) -> None:
    one = analysed.get("/api/v1/conflicts", params={"enterprise_id": "ENT-0102", "rule": "declared_distance"}).json()
    assert one["items"] and {(i["enterprise_id"], i["rule"]) for i in one["items"]} == {
        ("ENT-0102", "declared_distance")}
    park = analysed.get("/api/v1/conflicts", params={"park_id": "PARK-01", "limit": 10_000}).json()
    assert {i["park_id"] for i in park["items"]} <= {"PARK-01"}
    assert analysed.get("/api/v1/conflicts", params={"rule": "nearby"}).status_code == 422
    assert analysed.get("/api/v1/conflicts", params={"colour": "green"}).status_code == 422


def test_totals_per_enterprise_park_and_admin_area(analysed: TestClient) -> None:
    body = analysed.get("/api/v1/conflicts/totals").json()
    assert body["current"] is True
    assert {"enterprise", "park"} <= set(body["totals"])
    ent = {t["enterprise_id"]: t for t in body["totals"]["enterprise"]}
    listed = analysed.get("/api/v1/conflicts", params={"enterprise_id": "ENT-0102", "limit": 10_000}).json()
    per_unit = [i for i in listed["items"] if i["view"] != "cumulative"]
    assert ent["ENT-0102"]["conflicts"] == len(per_unit)
    assert ent["ENT-0102"]["targets"] == len({i["target_id"] for i in per_unit})
    if "admin_area" in body["totals"]:  # the sample city carries districts
        assert all(t["admin_code"] for t in body["totals"]["admin_area"])


def test_conflict_layers_are_registered_and_served(analysed: TestClient) -> None:
    layers = {d["id"]: d for d in analysed.get("/api/v1/layers").json()["layers"]}
    assert {"conflicts", "conflict_targets"} <= set(layers)
    legend = layers["conflict_targets"]["style"]["classes"]
    assert set(legend) == {"red", "orange", "yellow", "blue"}
    assert all("服务分级" in c["label_zh"] and "service classification" in c["label_en"] for c in legend.values())
    items = analysed.get("/collections/conflicts/items", params={"limit": 20}).json()
    assert items["features"] and {f["geometry"]["type"] for f in items["features"]} == {"LineString"}
    targets = analysed.get("/collections/conflict_targets/items", params={"limit": 20}).json()
    assert targets["features"] and all(f["properties"]["colour"] in legend for f in targets["features"])
