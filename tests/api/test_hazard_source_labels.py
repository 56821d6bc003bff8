"""Public hazard-source items carry ``enterprise_id`` and say what ``register`` means (在册 / 拟建),
on the OGC layer and in /api/v1/hazard-sources alike, for every caller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS, load, small_city, write_city
from sqlalchemy import text

from api.app import create_app
from geo_risk.analysis.hazard_sources import REGISTER_LABELS
from geo_risk.grading import grade_store
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine

#: The small city (tests/helpers.py): major hazard units and their enterprises; E3 is planned.
EXPECTED = {"U1": ("E1", "register"), "U3": ("E2", "register"), "U4": ("E3", "planned")}
LABELS = {"register": "在册 In the register", "planned": "拟建 Planned"}


@pytest.fixture(scope="module")
def client(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    load(write_city(small_city(), Path(tmp_path_factory.mktemp("city")) / "city.gpkg"), db_url)
    grade_store(db_url)
    with TestClient(create_app(Settings(database_url=db_url, api_keys=ROLE_KEYS), database_url=db_url)) as c:
        yield c


def test_the_labels_are_the_same_in_the_engine_and_the_view(client: TestClient, db_url: str) -> None:
    assert REGISTER_LABELS == LABELS
    with get_engine(db_url).connect() as conn:
        rows = set(conn.execute(text("SELECT DISTINCT register, register_label FROM hazard_sources_map")).all())
    assert rows == set(LABELS.items())


@pytest.mark.parametrize("role", [None, "viewer", "analyst"])
def test_ogc_items_have_enterprise_id_and_register_label(client: TestClient, role: str | None) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    page = client.get("/collections/hazard_sources/items", headers=headers).json()
    got = {f["id"]: (f["properties"]["enterprise_id"], f["properties"]["register"],
                     f["properties"]["register_label"]) for f in page["features"]}
    assert got == {u: (e, reg, LABELS[reg]) for u, (e, reg) in EXPECTED.items()}
    # and both are queryable properties of the layer
    r = client.get("/collections/hazard_sources/items", params={"enterprise_id": "E3"}, headers=headers)
    assert [f["id"] for f in r.json()["features"]] == ["U4"]


@pytest.mark.parametrize("role", [None, "analyst"])
def test_api_hazard_sources_return_register_and_its_label(client: TestClient, role: str | None) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    items = client.get("/api/v1/hazard-sources", headers=headers).json()["items"]
    got = {i["id"]: (i["enterprise_id"], i["register"], i["register_label"]) for i in items}
    assert got == {u: (e, reg, LABELS[reg]) for u, (e, reg) in EXPECTED.items()}
    assert "register_" not in items[0]  # the JSON name stays "register"
    one = client.get("/api/v1/hazard-sources/U4", headers=headers).json()
    assert (one["register"], one["register_label"]) == ("planned", "拟建 Planned")
    planned = client.get("/api/v1/hazard-sources", params={"register": "planned"}, headers=headers).json()
    assert [i["id"] for i in planned["items"]] == ["U4"]
