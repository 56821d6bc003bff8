"""The restricted tier never leaks, in any field, text or message (issue 11 §1).

A store where the restricted figures are known and distinctive: the sample city with the inventories
of four enterprises given seven-significant-figure quantities (a QRA plant, a class 甲 warehouse that
also gets an explosive, a design-code plant holding gases below the trigger and a substance of unknown
category), graded and run through the risk engine. Every GET operation of the OpenAPI document is
requested as an anonymous caller and as a viewer, and the whole body (zip members unpacked) is searched
for any of those figures — each design maximum quantity (t and kg), each vessel capacity and one
vessel's contents (t and kg), each q/Q, each unit's S, each
enterprise's Σq/Q over gases and each TNT mass — rounded to five or more significant figures. The same
search over an analyst's answers must find them: that proves the search sees what it looks for.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS, SAMPLE_CITY, load
from sqlalchemy import text

from api.app import create_app
from geo_risk.disclosure import OPEN, disclose, restricted
from geo_risk.grading import grade_store
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine
from layers.registry import REGISTRY

QRA, WAREHOUSE, BELOW, = "ENT-0006", "ENT-0007", "ENT-0011"
CHOSEN = (QRA, WAREHOUSE, BELOW)
#: Every quantity of the chosen enterprises × this: seven significant figures no other number shares.
SCALE = 1.0123457
#: Every vessel capacity of the chosen enterprises × this (larger than SCALE: the vessels still hold q).
VESSEL_SCALE = 1.0234567
TNT_T = 3.141593  # 2,4,6-trinitrotoluene (GB 18218 Table 1 row 35) added to the class 甲 warehouse
UNKNOWN_T = 7.654321  # a substance the catalogue cannot class, added to the design-code plant


@pytest.fixture(scope="module")
def leak_store(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from geo_risk.risk_runs import run_risk

    load(SAMPLE_CITY, db_url)
    with get_engine(db_url).begin() as conn:
        conn.execute(
            text("UPDATE inventory SET max_quantity_t = round((max_quantity_t * :k)::numeric, 6) WHERE unit_id IN "
                 "(SELECT id FROM hazard_units WHERE enterprise_id = ANY(:e))"),
            {"k": SCALE, "e": list(CHOSEN)},
        )
        conn.execute(  # vessel capacities are quantities too (issue 13): restricted like max_quantity_t
            text("UPDATE inventory SET vessel_capacity_t = round((vessel_capacity_t * :k)::numeric, 6) "
                 "WHERE unit_id IN (SELECT id FROM hazard_units WHERE enterprise_id = ANY(:e))"),
            {"k": VESSEL_SCALE, "e": list(CHOSEN)},
        )
        unit = conn.execute(text("SELECT id FROM hazard_units WHERE enterprise_id = :e AND equipment = 'warehouse' "
                                 "ORDER BY id LIMIT 1"), {"e": WAREHOUSE}).scalar_one()
        other = conn.execute(text("SELECT id FROM hazard_units WHERE enterprise_id = :e ORDER BY id LIMIT 1"),
                             {"e": BELOW}).scalar_one()
        conn.execute(text("INSERT INTO inventory (id, unit_id, chemical, cas, max_quantity_t, table1_seq, state) "
                          "VALUES (:i, :u, '2,4,6-三硝基甲苯', '118-96-7', :q, 35, 'solid')"),
                     {"i": f"{unit}/tnt", "u": unit, "q": TNT_T})
    grade_store(db_url)
    from geo_risk.hidden_dangers import SAMPLE_REGISTER, import_file

    import_file(db_url, SAMPLE_REGISTER, actor="test")  # the hidden-danger routes and layers serve items
    with get_engine(db_url).begin() as conn:  # after grading, which refuses it; the risk engine names it
        conn.execute(text("INSERT INTO inventory (id, unit_id, chemical, max_quantity_t) "
                          "VALUES (:i, :u, '未名物质X', :q)"), {"i": f"{other}/x", "u": other, "q": UNKNOWN_T})
    for ent in CHOSEN:
        run_risk(db_url, enterprise_id=ent, data_dir=tmp_path_factory.mktemp("risk"))
    from geo_risk.analyse import run_conflicts

    run_conflicts(db_url)  # conflicts: distances and IR at targets, read from the runs above
    from geo_risk.cluster_runs import run_clusters

    run_clusters(db_url)  # links whose heat flux or overpressure follows from the quantities (restricted)
    from geo_risk.zoning_run import run_zoning  # the zoning layers and heatmap are searched too (coarse cells only)

    run_zoning(db_url, settings=Settings(zoning_h3_fine_resolution=None), data_dir=tmp_path_factory.mktemp("zoning"))
    return db_url


@pytest.fixture(scope="module")
def client(leak_store: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=leak_store, api_keys=ROLE_KEYS), database_url=leak_store)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def secrets(leak_store: str) -> list[float]:
    """The restricted figures of the chosen enterprises, computed here from the stored inventory and
    GB 18218's Q (Table 1), not read from any result the service computed."""
    from geo_risk.chemicals import resolve

    with get_engine(leak_store).connect() as conn:
        rows = conn.execute(text(
            "SELECT u.enterprise_id, i.unit_id, i.chemical, i.cas, i.table1_seq, i.max_quantity_t, "
            "i.vessel_count, i.vessel_capacity_t "
            "FROM inventory i JOIN hazard_units u ON u.id = i.unit_id WHERE u.enterprise_id = ANY(:e)"),
            {"e": list(CHOSEN)}).mappings().all()
    out: set[float] = set()
    s_unit: dict[str, float] = defaultdict(float)
    gases: dict[str, float] = defaultdict(float)
    for r in rows:
        q = float(r["max_quantity_t"])
        out |= {q, q * 1000.0}
        if r["vessel_capacity_t"] is not None:  # one vessel's capacity, and one vessel's contents (t, kg)
            cap = float(r["vessel_capacity_t"])
            n = r["vessel_count"] or math.ceil(q / cap - 1e-9)
            out |= {cap, cap * 1000.0, q / n, q / n * 1000.0}
        try:
            sub = resolve(r["chemical"], r["cas"], r["table1_seq"])
        except Exception:  # noqa: BLE001 - the substance of unknown category: its quantity is still a secret
            continue
        big_q = sub.critical_quantity_t
        if not big_q:
            continue
        out.add(q / big_q)
        s_unit[r["unit_id"]] += q / big_q
        if {"W2", "J1", "J3"} & set(sub.codes) or sub.table3_beta is not None:
            gases[r["enterprise_id"]] += q / big_q
    out |= set(s_unit.values()) | set(gases.values())
    out.add(TNT_T * 1000.0)  # TNT equivalent of the explosive (factor 1), kg
    return sorted(v for v in out if v > 0 and _significant(repr(v)) >= 5)


# --- the search -----------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([+-]?\d+))?")


def _significant(token: str) -> int:
    digits = token.replace(",", "").split("e")[0].split("E")[0]
    whole, _, frac = digits.partition(".")
    if frac:
        return len((whole + frac).lstrip("0"))
    return len(whole.lstrip("0").rstrip("0"))


def _found(body: str, secrets: list[float]) -> list[tuple[str, float]]:
    """(token, secret) pairs where a number in ``body`` is a secret rounded to five or more figures."""
    hits = []
    for m in _NUMBER.finditer(body):
        whole, frac, exp = m.group(1).replace(",", ""), m.group(2) or "", m.group(3)
        token = whole + frac
        if _significant(token) < 5:
            continue
        value = float(token) * (10.0 ** int(exp) if exp else 1.0)
        ulp = 10.0 ** (-(len(frac) - 1) if frac else 0) * (10.0 ** int(exp) if exp else 1.0)
        if (40 <= value <= 50 or 120 <= value <= 130) and len(frac) > 4:
            continue  # a longitude or latitude of Jilin City
        for s in secrets:
            if abs(value - s) <= ulp / 2 * (1 + 1e-9) and not math.isclose(value, 0):
                hits.append((m.group(0), s))
    return hits


def _text_of(body: bytes) -> str:
    if body[:4] == b"PK\x03\x04":  # a zip (Shapefile export): search its members
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    return body.decode("utf-8", "ignore")


# --- every public GET operation -------------------------------------------------------------

FORMATS = ("gpkg", "shp", "geojson", "kml", "fgb", "csv")
LAYERS = [*REGISTRY]  # public layers and the restricted one (which must not exist for these callers)


def _urls(client: TestClient, leak_store: str) -> dict[str, list[str]]:
    """Operation path (as in the OpenAPI document) → the concrete URLs requested for it."""
    with get_engine(leak_store).connect() as conn:
        units = conn.execute(text("SELECT id FROM hazard_units WHERE enterprise_id = ANY(:e) ORDER BY id"),
                             {"e": list(CHOSEN)}).scalars().all()
        lon, lat = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM enterprises "
                                     "WHERE id = :e) s"), {"e": QRA}).one()
        feature = {lay: conn.execute(text(f"SELECT id FROM {REGISTRY[lay].table} ORDER BY id LIMIT 1")).scalar()  # noqa: S608
                   for lay in LAYERS}
    z = 14
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    bbox = f"{lon - 0.03},{lat - 0.03},{lon + 0.03},{lat + 0.03}"
    c = "/collections/{collectionId}"
    return {
        "/health": ["/health"],
        "/api/v1/layers": ["/api/v1/layers"],
        "/": ["/?f=json", "/?f=html"],
        "/conformance": ["/conformance"],
        "/collections": ["/collections?f=json", "/collections?f=html"],
        "/map": ["/map"],
        "/alarms": ["/alarms"],  # the alarm page (issue 15): its figures come from the API, for the caller's tier
        "/api/v1/hazard-sources": [f"/api/v1/hazard-sources?enterprise_id={e}&include_below_threshold=true"
                                   for e in CHOSEN] + ["/api/v1/hazard-sources?limit=10000"],
        "/api/v1/hazard-sources/{unit_id}": [f"/api/v1/hazard-sources/{u}" for u in units],
        "/api/v1/risk/runs": ["/api/v1/risk/runs"],
        "/api/v1/clusters": ["/api/v1/clusters", f"/api/v1/clusters?enterprise_id={QRA}"],
        "/api/v1/risk/{scope}/{scope_id}": [f"/api/v1/risk/enterprise/{QRA}", "/api/v1/risk/enterprise/NO-SUCH"],
        "/api/v1/risk/{scope}/{scope_id}/contours": [f"/api/v1/risk/enterprise/{QRA}/contours"],
        "/api/v1/risk/{scope}/{scope_id}/fn-curve.png": [f"/api/v1/risk/enterprise/{QRA}/fn-curve.png"],
        "/api/v1/risk/{scope}/{scope_id}/ir.tif": [f"/api/v1/risk/enterprise/{QRA}/ir.tif"],
        "/api/v1/zoning": ["/api/v1/zoning"],
        "/api/v1/zoning/heatmap.tif": ["/api/v1/zoning/heatmap.tif"],
        "/api/v1/risk/distances": ["/api/v1/risk/distances"] + [f"/api/v1/risk/distances?enterprise_id={e}"
                                                                for e in CHOSEN],
        "/api/v1/conflicts": ["/api/v1/conflicts?limit=10000"] + [f"/api/v1/conflicts?enterprise_id={e}"
                                                                  for e in CHOSEN],
        "/api/v1/conflicts/totals": ["/api/v1/conflicts/totals"],
        "/api/v1/relocation-plan": ["/api/v1/relocation-plan"],
        "/api/v1/scenarios/{scenario_id}/ir-difference.tif": ["/api/v1/scenarios/0123456789abcdef/ir-difference.tif"],
        "/api/v1/scenarios/{scenario_id}/fn.png": ["/api/v1/scenarios/0123456789abcdef/fn.png"],
        "/api/v1/hidden-dangers": ["/api/v1/hidden-dangers?limit=10000", "/api/v1/hidden-dangers?overdue=true"],
        "/api/v1/hidden-dangers/{hidden_danger_id}": ["/api/v1/hidden-dangers/HD-JL-2026-001",
                                                      "/api/v1/hidden-dangers/NO-SUCH"],
        "/api/v1/alarms": ["/api/v1/alarms?limit=10000"],  # the alarms (issue 15): level/overfill values restricted
        "/api/v1/alarms/stream": ["/api/v1/alarms/stream"],  # without Accept: text/event-stream, the snapshot alone
        "/api/v1/alarms/metrics": ["/api/v1/alarms/metrics"],
        "/api/v1/alarms/{key}": ["/api/v1/alarms/NO-SUCH:HH"],
        "/api/v1/alarms/{key}/audit": ["/api/v1/alarms/NO-SUCH:HH/audit"],
        "/api/v1/live/enterprises": ["/api/v1/live/enterprises"] + [f"/api/v1/live/enterprises?enterprise_id={e}"
                                                                    for e in CHOSEN],
        c: [f"/collections/{lay}?f={f}" for lay in LAYERS for f in ("json", "html")],
        c + "/queryables": [f"/collections/{lay}/queryables" for lay in LAYERS],
        c + "/items": [f"/collections/{lay}/items?bbox={bbox}&limit=10000&f={f}" for lay in LAYERS
                       for f in ("json", "html")],
        c + "/items/{featureId}": [f"/collections/{lay}/items/{feature[lay]}" for lay in LAYERS],
        c + "/tiles": [f"/collections/{lay}/tiles" for lay in LAYERS],
        c + "/tiles/WebMercatorQuad": [f"/collections/{lay}/tiles/WebMercatorQuad" for lay in LAYERS],
        c + "/tiles/WebMercatorQuad/tilejson.json": [f"/collections/{lay}/tiles/WebMercatorQuad/tilejson.json"
                                                     for lay in LAYERS],
        c + "/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": [
            f"/collections/{lay}/tiles/WebMercatorQuad/{z}/{y}/{x}" for lay in LAYERS],
        c + "/hexagons": [f"/collections/{lay}/hexagons?bbox={bbox}&zoom=9" for lay in LAYERS],
        c + "/export": [f"/collections/{lay}/export?f={f}" for lay in ("hazard_sources", "hazard_units",
                                                                        "enterprises", "inventory")
                        for f in FORMATS],
    }


def _responses(client: TestClient, leak_store: str, role: str | None) -> Iterator[tuple[str, bool, str]]:
    """(url, whether the body is text, the body's text — zip members unpacked, binary decoded loosely)."""
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    for urls in _urls(client, leak_store).values():
        for url in urls:
            r = client.get(url, headers=headers)
            assert r.status_code < 500, (url, r.status_code, r.text[:300])
            ctype = r.headers.get("content-type", "")
            textual = ctype.startswith(("text/", "application/json", "application/geo+json", "application/schema+json",
                                        "application/vnd.google-earth.kml+xml"))
            yield url, textual, _text_of(r.content)


def test_every_public_get_operation_is_searched(client: TestClient, leak_store: str) -> None:
    documented = {p for p, ops in client.app.openapi()["paths"].items() if "get" in ops}
    documented -= {"/docs", "/docs/oauth2-redirect"}
    assert documented <= set(_urls(client, leak_store)), documented - set(_urls(client, leak_store))


@pytest.mark.parametrize("role", [None, "viewer"])
def test_no_restricted_figure_reaches_a_caller_below_analyst(
    client: TestClient, leak_store: str, secrets: list[float], role: str | None
) -> None:
    assert len(secrets) >= 20  # quantities, kg, q/Q, S, Σq/Q of the chosen enterprises
    leaks = {}
    for url, textual, body in _responses(client, leak_store, role):
        hits = _found(body, secrets)
        if hits:
            leaks[url] = hits[:5]
        if textual:  # spans are always rendered
            assert OPEN not in body and "\\u27e6" not in body.lower(), url
    assert not leaks, leaks


def test_analysts_get_the_figures_and_the_public_the_rule(client: TestClient, secrets: list[float]) -> None:
    """The search finds the figures where they belong (so it can find a leak), and the public reason
    still says which method and which rule applied."""
    for ent in (QRA, BELOW, WAREHOUSE):
        url = f"/api/v1/risk/distances?enterprise_id={ent}"
        analyst = client.get(url, headers={"X-API-Key": KEY_OF["analyst"]}).json()
        public = client.get(url).json()
        assert analyst and len(analyst) == len(public)
        assert _found("\n".join(r["reason"] for r in analyst), secrets), ent
        assert not _found("\n".join(r["reason"] for r in public), secrets), ent
    reasons = {ent: "\n".join(r["reason"] for r in client.get(f"/api/v1/risk/distances?enterprise_id={ent}").json())
               for ent in CHOSEN}
    assert "Σq/Q ≥ 1" in reasons[QRA] and "定量风险评价法" in reasons[QRA]
    assert "Σq/Q < 1" in reasons[BELOW] and "规范距离" in reasons[BELOW]
    assert "未名物质X" in reasons[BELOW] and "类别未知" in reasons[BELOW]
    assert "事故后果法" in reasons[WAREHOUSE] and "TNT" in reasons[WAREHOUSE]
    # the analyst reads the same sentence with its figures: Σq/Q = … ≥ 1 (… t/… t = …)
    analyst = client.get(f"/api/v1/risk/distances?enterprise_id={QRA}",
                         headers={"X-API-Key": KEY_OF["analyst"]}).json()[0]["reason"]
    assert re.search(r"Σq/Q = [\d.]+ ≥ 1（.+ t/[\d.]+ t = ", analyst), analyst


def test_spans_render_for_each_tier() -> None:
    text_ = f"Σq/Q {restricted('= 7.10167 ', '')}≥ 1{restricted('（氯 1.8 t/5 t = 0.36）')}"
    assert disclose(text_, "public") == "Σq/Q ≥ 1"
    assert disclose(text_, "restricted") == "Σq/Q = 7.10167 ≥ 1（氯 1.8 t/5 t = 0.36）"
    nested = restricted(f"a {restricted('b', 'c')}", f"d {restricted('e', 'f')}")
    assert disclose(nested, "restricted") == "a b" and disclose(nested, "public") == "d f"
    with pytest.raises(ValueError, match="unknown tier"):
        disclose(text_, "viewer")


# --- a restricted layer does not exist for callers below its tier ---------------------------

Z, X, Y = 14, 13955, 5963


@pytest.mark.parametrize("path", [
    "/collections/{}", "/collections/{}/queryables", "/collections/{}/items", "/collections/{}/items/HU-0001%2F1",
    f"/collections/{{}}/tiles/WebMercatorQuad/{Z}/{Y}/{X}", "/collections/{}/tiles/WebMercatorQuad/tilejson.json",
    "/collections/{}/tiles", "/collections/{}/hexagons?bbox=126,43,127,44&zoom=9", "/collections/{}/export?f=csv",
])
@pytest.mark.parametrize("role", [None, "viewer"])
def test_a_restricted_layer_is_indistinguishable_from_an_unknown_one(
    client: TestClient, path: str, role: str | None
) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    real = client.get(path.format("inventory"), headers=headers)
    made_up = client.get(path.format("inventorz"), headers=headers)
    assert real.status_code == made_up.status_code == 404
    assert real.json()["detail"].replace("inventory", "X") == made_up.json()["detail"].replace("inventorz", "X")
    assert "inventory" not in made_up.text  # the list of layers offered leaves it out
    assert client.get(path.format("inventory"), headers={"X-API-Key": KEY_OF["analyst"]}).status_code == 200


# --- one parser of credentials --------------------------------------------------------------

def test_the_bearer_header_carries_a_key(client: TestClient) -> None:
    r = client.get("/collections/inventory", headers={"Authorization": f"Bearer {KEY_OF['analyst']}"})
    assert r.status_code == 200
    assert client.get("/collections/inventory", headers={"Authorization": "Bearer nope-nope-nope"}).status_code == 401


@pytest.mark.parametrize("headers", [
    [("X-API-Key", KEY_OF["viewer"]), ("X-API-Key", KEY_OF["analyst"])],
    [("X-API-Key", KEY_OF["analyst"]), ("X-API-Key", KEY_OF["viewer"])],
    [("X-API-Key", KEY_OF["analyst"]), ("Authorization", f"Bearer {KEY_OF['analyst']}")],
])
@pytest.mark.parametrize("path", ["/collections/inventory/items", "/collections/enterprises/items?limit=1",
                                  f"/collections/hazard_sources/tiles/WebMercatorQuad/{Z}/{Y}/{X}"])
def test_two_keys_in_one_request_are_refused(client: TestClient, headers: list, path: str) -> None:
    # the tile is made (and cached) first, so the fast path sees the two-key request too
    assert client.get(f"/collections/hazard_sources/tiles/WebMercatorQuad/{Z}/{Y}/{X}").status_code == 200
    r = client.get(path, headers=headers)
    assert r.status_code == 401, (path, r.status_code)
    assert "one API key" in r.json()["detail"]


def test_decimal_figures_are_not_dropped_by_the_public_rule() -> None:
    """The public side of a gas sum states the comparison the method rests on, in exact decimals."""
    from geo_risk.standards.gbt37243 import select_method

    m = select_method({"U1": [("氯", Decimal("0.7")), ("氯", Decimal("4.3"))]})  # Σ = 1 exactly: QRA
    assert m.method == "qra"
    assert "Σq/Q ≥ 1" in disclose(m.reason, "public") and "0.86" not in disclose(m.reason, "public")
    assert "Σq/Q = 1 ≥ 1" in disclose(m.reason, "restricted")
