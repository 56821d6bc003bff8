"""``POST /api/v1/readings``: JSON and CSV batches, counts with reasons, roles, the upload cap; never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS
from sqlalchemy import text

from api.app import create_app
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine

#: A sensor gateway's key (role ``sensor``, off the viewer < … < admin ladder).
SENSOR_KEY = "sensor-gateway-key-1"


@pytest.fixture(scope="module")
def client(monitoring_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=monitoring_url, api_keys={**ROLE_KEYS, SENSOR_KEY: "sensor"},
                        max_upload_mb=0.05)
    with TestClient(create_app(settings, database_url=monitoring_url)) as c:
        yield c


def _post(client: TestClient, body: object, role: str | None = "analyst", content_type: str = "application/json"):  # noqa: ANN202
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    headers = {"Content-Type": content_type}
    if role:
        headers["X-API-Key"] = SENSOR_KEY if role == "sensor" else KEY_OF[role]
    return client.post("/api/v1/readings", content=data, headers=headers)


def _scalar(url: str, sql: str) -> object:
    with get_engine(url).connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_json_batch_counts_stored_duplicates_and_rejects(client: TestClient, monitoring_url: str) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    batch = [{"sensor_id": "U1-LT", "ts": (t0 + timedelta(seconds=k)).isoformat(), "value": 40 + k} for k in range(5)]
    bad = [{"sensor_id": "NOPE", "ts": t0.isoformat(), "value": 1},
           {"sensor_id": "U1-LT", "ts": t0.isoformat(), "value": 1, "uom": "MPa"},
           {"sensor_id": "U1-LT", "ts": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(), "value": 1},
           {"sensor_id": "U1-LT", "value": 1}]
    r = _post(client, {"readings": batch + bad})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (5, 0, 4)
    assert body["rejected_by_reason"] == {"unknown_sensor": 1, "unit_mismatch": 1, "future": 1, "malformed": 1}
    assert [(j["index"], j["reason"]) for j in body["rejects"]] == [
        (5, "unknown_sensor"), (6, "unit_mismatch"), (7, "future"), (8, "malformed")]
    assert "reads level in %; got 'MPa'" in body["rejects"][1]["detail"]
    # the same batch again: duplicates, nothing new
    again = _post(client, batch).json()
    assert (again["stored"], again["duplicates"], again["rejected"]) == (0, 5, 0)
    assert _scalar(monitoring_url, f"SELECT count(*) FROM readings WHERE sensor_id = 'U1-LT' "
                                   f"AND ts >= '{t0.isoformat()}'") == 5
    assert _scalar(monitoring_url, "SELECT count(*) FROM reading_rejects WHERE channel = 'http'") >= 4


def test_csv_batch(client: TestClient, monitoring_url: str) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    csv = "sensor_id,ts,value,uom\n" + "".join(
        f"U4-TT,{(t0 + timedelta(seconds=k)).isoformat()},{20 + k},\n" for k in range(3)) + (
        f"U4-TT,{(t0 + timedelta(seconds=9)).isoformat()},77,°F\n"  # (77 − 32) × 5/9 = 25 °C
        "U4-TT,garbage,1,\n")
    r = _post(client, csv, content_type="text/csv; charset=utf-8")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (4, 0, 1)
    assert body["rejects"][0]["reason"] == "malformed"
    v = _scalar(monitoring_url, f"SELECT value FROM readings WHERE sensor_id = 'U4-TT' "
                                f"AND ts = '{(t0 + timedelta(seconds=9)).isoformat()}'")
    assert v == pytest.approx(25.0)


def test_unreadable_bodies_are_counted_not_failed(client: TestClient) -> None:
    for body in (b"{oops", b"[1, 2]", b"null", "sensor_id;ts;value\n"):
        ct = "text/csv" if isinstance(body, str) else "application/json"
        r = _post(client, body, content_type=ct)
        assert r.status_code == 200, r.text
        assert r.json()["stored"] == 0 and r.json()["rejected"] >= 1
        assert set(r.json()["rejected_by_reason"]) == {"malformed"}


def test_roles_media_type_and_cap(client: TestClient) -> None:
    ok = [{"sensor_id": "U1-PT", "ts": datetime.now(UTC).isoformat(), "value": 1}]
    assert _post(client, ok, role=None).status_code == 401
    assert _post(client, ok, role="viewer").status_code == 403
    for role in ("sensor", "analyst", "editor", "admin"):
        assert _post(client, ok, role=role).status_code == 200
    # a sensor key posts readings and reads only what the public reads
    sensor = {"X-API-Key": SENSOR_KEY}
    assert client.get("/collections/inventory/items", headers=sensor).status_code == 404
    assert client.get("/collections/inventory/items", headers={"X-API-Key": KEY_OF["analyst"]}).status_code == 200
    r = client.post("/api/v1/relocation-plan", headers=sensor)
    assert r.status_code == 403 and "'sensor' may not do this" in r.json()["detail"], r.text
    r = _post(client, ok, content_type="application/xml")
    assert r.status_code == 422 and "application/json or text/csv" in r.json()["detail"]
    big = [{"sensor_id": "U1-PT", "ts": 1796533200 + k, "value": 1} for k in range(2000)]  # > 0.05 MB
    r = _post(client, big)
    assert r.status_code == 413 and "GEO_RISK_MAX_UPLOAD_MB" in r.json()["detail"]


def test_documented_in_openapi(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/v1/readings"]["post"]
    assert set(op["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert {"200", "401", "403", "413", "422"} <= set(op["responses"])
