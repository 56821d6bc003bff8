"""POST /api/v1/scenarios and its products on the sample city: the analyst's figures and links, the viewer's
verdict without figures, the products by scenario id (analyst key), bad scenarios as a 4xx naming the change."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS

from api.app import create_app
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine

_URL = "/api/v1/scenarios"
_ANALYST = {"X-API-Key": KEY_OF["analyst"]}
_VIEWER = {"X-API-Key": KEY_OF["viewer"]}
_CUT = {"name": "削减 / cut", "changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005", "share": 0.5}]}


@pytest.fixture(scope="module")
def client(city_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app on the sample city whose data directory (risk grids, scenario products) is the test's own,
    with ENT-0005's QRA stored there."""
    from geo_risk.risk_runs import run_risk
    from geo_risk.scenarios import clear_cache

    data_dir = tmp_path_factory.mktemp("scenario_api")
    run_risk(city_url, enterprise_id="ENT-0005", data_dir=data_dir)
    clear_cache()
    app = create_app(Settings(database_url=city_url, api_keys=ROLE_KEYS, data_dir=data_dir), database_url=city_url)
    with TestClient(app) as c:
        yield c


def _quantities(url: str) -> list[str]:
    """ENT-0005's stored design maxima (t) as the texts a leak would show."""
    from sqlalchemy import text

    with get_engine(url).connect() as conn:
        q = conn.execute(text("SELECT i.max_quantity_t FROM inventory i JOIN hazard_units u ON u.id = i.unit_id "
                              "WHERE u.enterprise_id = 'ENT-0005'")).scalars().all()
    return [f"{float(v):g}" for v in q if v and float(v) >= 10]


def test_the_analyst_gets_the_figures_and_the_products(city_url: str, client: TestClient) -> None:
    r = client.post(_URL, json=_CUT, headers=_ANALYST)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["verdict"]["ir"] == "lowered" and body["touched"] == ["ENT-0005"]
    d = body["ir_difference"]
    assert d["crs"] == "EPSG:32652" and d["cell_m"] == 25.0 and d["max_decrease_per_year"] > 0
    assert d["max_increase_per_year"] == 0  # half of every item never raises IR
    assert body["contours"]["type"] == "FeatureCollection" and body["contours"]["features"]
    assert {f["properties"]["what"] for f in body["contours"]["features"]} >= {"after", "lowered"}
    fn = body["fn"]["enterprise ENT-0005"]
    assert fn["before"]["n"] and fn["after"]["n"]
    assert body["settings"]["source"] == "the touched enterprises' stored runs"
    tif = client.get(body["links"]["ir_difference_tif"], headers=_ANALYST)
    assert tif.status_code == 200 and tif.headers["content-type"] == "image/tiff" and tif.content[:2] in (b"II", b"MM")
    png = client.get(body["links"]["fn_png"], headers=_ANALYST)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    # products need an analyst key
    assert client.get(body["links"]["fn_png"], headers=_VIEWER).status_code == 403
    assert client.get(body["links"]["fn_png"]).status_code == 401
    assert client.get(f"{_URL}/0123456789abcdef/fn.png", headers=_ANALYST).status_code == 404
    assert client.get(f"{_URL}/..%2F..%2Fetc/fn.png", headers=_ANALYST).status_code == 404


@pytest.mark.parametrize("headers", [{}, _VIEWER])
def test_below_analyst_the_verdict_without_figures(city_url: str, client: TestClient, headers: dict) -> None:
    r = client.post(_URL, json=_CUT, headers=headers)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["verdict"]["ir"] == "lowered"
    for key in ("ir_difference", "contours", "fn", "people_per_band", "links", "notes", "problems"):
        assert key not in body, key
    text = json.dumps(body, ensure_ascii=False)
    for c in body["conflicts_added"] + body["conflicts_removed"]:
        assert "ir_per_year" not in c and "people_affected" not in c
    secrets = _quantities(city_url)
    assert secrets and not [s for s in secrets if f": {s}" in text or f"{s} t" in text]


@pytest.mark.parametrize(("body", "needle"), [
    ({"changes": []}, "changes"),
    ({"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005", "share": 1.5}]}, "changes[0].share"),
    ({"changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-9999"}]}, "changes[0].enterprise_id"),
    ({"changes": [{"type": "teleport"}]}, "changes[0].type"),
    ({"changes": [{"type": "move_to_park", "enterprise_id": "ENT-0005", "park_id": "PARK-99"}]},
     "changes[0].park_id"),
])
def test_bad_scenarios_are_a_4xx_naming_the_change(city_url: str, client: TestClient, body: dict,
                                                   needle: str) -> None:
    r = client.post(_URL, json=body, headers=_ANALYST)
    assert r.status_code == 422, r.text[:300]
    assert needle in json.dumps(r.json(), ensure_ascii=False), r.json()
