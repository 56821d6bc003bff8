"""``GET /api/v1/live/enterprises`` on the graded sample city: live colours raised by stored alarms, live S / R
for analysts only, hand-computed.

Hand computation (HU-0005 of ENT-0001: one item, 汽油, design max 12,500 t in 4 vessels of 3,600 t; GB 18218
Table 1 row 66 Q = 200 t, Table 4 W5.3 β = 1; 384 residents within 500 m → α = 2.0):
level 95 % → q = 0.95 × 4 × 3,600 = 13,680 t > 12,500 t (超量储存); S = 13,680 / 200 = 68.4;
R = 2.0 × 1 × 68.4 = 136.8 → the grade R would give is 1 (R ≥ 100). Stored: S = 62.5, R = 125, grade 1.

Alarms are rows of the alarm store (migration 0014) written here directly, as the alarm service writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF
from sqlalchemy import text

from geo_risk.analysis.colours import RANK
from geo_risk.store.db import get_engine

URL = "/api/v1/live/enterprises"


@pytest.fixture
def alarms(city_url: str) -> Iterator[callable]:
    """``add(key, enterprise_id, unit_id, kind, priority, state, active)``: an alarm row; all removed after."""
    keys: list[str] = []

    def add(key: str, enterprise_id: str, unit_id: str, kind: str, priority: str, state: str = "unack_active",
            active: bool = True) -> None:
        with get_engine(city_url).begin() as conn:
            conn.execute(text("INSERT INTO alarms (key, sensor_id, enterprise_id, unit_id, kind, priority, state, "
                              "active, changed_at, raised_at, message) VALUES (:k, :s, :e, :u, :kind, :p, :st, :a, "
                              "now(), now(), :m)"),
                         {"k": key, "s": key.rsplit(":", 1)[0], "e": enterprise_id, "u": unit_id, "kind": kind,
                          "p": priority, "st": state, "a": active, "m": f"{key} test alarm"})
        keys.append(key)

    yield add
    with get_engine(city_url).begin() as conn:
        conn.execute(text("DELETE FROM alarms WHERE key = ANY(:k)"), {"k": keys})


def _by_id(body: dict) -> dict[str, dict]:
    return {e["id"]: e for e in body["enterprises"]}


def test_public_answer_has_colours_and_no_live_figures(city_client: TestClient) -> None:
    r = city_client.get(URL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tier"] == "public" and body["alarms_store"] is True
    ents = _by_id(body)
    assert len(ents) == 150  # every enterprise of the sample city
    for e in ents.values():
        assert e["live"] is None
        assert e["stored_colour"] in RANK and e["live_colour"] in RANK
    quiet = [e for e in ents.values() if not e["active_alarms"]]
    assert quiet and all(e["live_colour"] == e["stored_colour"] and not e["raised"] for e in quiet)


def test_a_critical_alarm_raises_two_levels_a_low_one_none(city_client: TestClient, alarms) -> None:  # noqa: ANN001
    before = _by_id(city_client.get(URL).json())
    # an enterprise stored blue or yellow, so two levels show (blue → orange, yellow → red)
    target = next(e for e in before.values() if e["stored_colour"] in ("blue", "yellow") and e["units_in_alarm"] == [])
    other = next(e for e in before.values() if e["id"] != target["id"] and e["stored_colour"] != "red")
    expected = {"blue": "orange", "yellow": "red"}[target["stored_colour"]]
    alarms(f"{target['id']}-X-LT:HH", target["id"], None, "HH", "critical")
    alarms(f"{other['id']}-X-TT:STUCK", other["id"], None, "STUCK", "low")
    alarms(f"{other['id']}-X-PT:H", other["id"], None, "H", "high", state="suppressed")  # does not raise
    after = _by_id(city_client.get(URL).json())
    t = after[target["id"]]
    assert (t["stored_colour"], t["live_colour"], t["steps"], t["raised"]) == (
        target["stored_colour"], expected, 2, True)
    assert t["worst_priority"] == "critical" and t["active_alarms"] == 1
    assert t["reason"].startswith("动态升级") and f"{target['id']}-X-LT:HH" in t["reason"]
    o = after[other["id"]]
    assert o["live_colour"] == o["stored_colour"] and o["active_alarms"] == 1 and o["worst_priority"] == "low"
    raised = city_client.get(URL, params={"only_raised": "true"}).json()["enterprises"]
    assert [e["id"] for e in raised] == [target["id"]]


def test_units_in_alarm_are_listed_with_a_location(city_client: TestClient, alarms) -> None:  # noqa: ANN001
    alarms("HU-0005-LT:H", "ENT-0001", "HU-0005", "H", "high")
    body = city_client.get(URL, params={"enterprise_id": "ENT-0001"}).json()
    assert [e["id"] for e in body["enterprises"]] == ["ENT-0001"]
    (u,) = body["units_in_alarm"]
    assert u["unit_id"] == "HU-0005" and u["worst_priority"] == "high"
    assert 126 < u["lon"] < 127 and 43 < u["lat"] < 45
    assert body["enterprises"][0]["units_in_alarm"] == ["HU-0005"]


def test_live_s_and_r_for_analysts_only(city_client: TestClient) -> None:
    ts = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    r = city_client.post("/api/v1/readings", json=[{"sensor_id": "HU-0005-LT", "ts": ts, "value": 95.0}],
                         headers={"X-API-Key": KEY_OF["analyst"]})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    a = city_client.get(URL, params={"enterprise_id": "ENT-0001"}, headers={"X-API-Key": KEY_OF["analyst"]})
    ent = a.json()["enterprises"][0]
    unit = next(u for u in ent["live"] if u["unit_id"] == "HU-0005")
    assert unit["level_pct"] == 95.0
    (item,) = unit["items"]
    assert item["live_t"] == pytest.approx(13_680.0) and item["design_max_t"] == 12_500.0 and item["overfill"]
    assert unit["live_s"] == pytest.approx(68.4)
    assert unit["live_r"] == pytest.approx(136.8)
    assert unit["live_grade"] == 1
    assert (unit["stored_s"], unit["stored_r"], unit["stored_grade"]) == (pytest.approx(62.5), pytest.approx(125.0), 1)
    assert "13680.0 t > 12500 t" in unit["note"]
    for role in (None, "viewer"):
        headers = {"X-API-Key": KEY_OF[role]} if role else {}
        p = city_client.get(URL, params={"enterprise_id": "ENT-0001"}, headers=headers)
        assert p.json()["enterprises"][0]["live"] is None
        assert "13680" not in p.text and "68.4" not in p.text and "136.8" not in p.text


def test_bad_query_is_a_422(city_client: TestClient) -> None:
    assert city_client.get(URL, params={"only_raised": "maybe"}).status_code == 422
