"""POST /api/v1/siting-check on the sample city: the school by the park boundary, a planned site, the
disclosure per tier, bad requests as 4xx, GCJ-02 input; and geo-risk site-check.

Independent checks: distances against PostGIS geodesic ST_Distance, IR against the stored COG sampled
with rasterio, GB 18218 S against Table 1 by hand (430 t of natural gas / Q 50 t = 8.6).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, SAMPLE_CITY
from sqlalchemy import text
from typer.testing import CliRunner

from geo_risk.io.chinese_crs import wgs84_to_gcj02
from geo_risk.siting_check import _UNIT_FIELDS
from geo_risk.store.db import get_engine

_ANALYST = {"X-API-Key": KEY_OF["analyst"]}
_VIEWER = {"X-API-Key": KEY_OF["viewer"]}
_URL = "/api/v1/siting-check"


@pytest.fixture(scope="module")
def qra_city(city_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The sample city with the QRA of ENT-0005 (a pesticide plant of PARK-01 near school PT-0001) stored."""
    from geo_risk.risk_runs import run_risk

    run_risk(city_url, enterprise_id="ENT-0005", data_dir=tmp_path_factory.mktemp("risk"))
    from geo_risk.siting_check import clear_cache

    clear_cache()
    return city_url


def _point(url: str, target_id: str) -> tuple[float, float]:
    with get_engine(url).connect() as conn:
        row = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM protection_targets WHERE id = :i"),
                           {"i": target_id}).one()
    return float(row[0]), float(row[1])


def _school(lon: float, lat: float, **extra) -> dict:
    return {"site": {"type": "Point", "coordinates": [lon, lat]}, "kind": "school", "population": 760,
            "name": "拟建学校", **extra}


def test_the_school_by_the_park_boundary_is_a_conflict(qra_city: str, city_client: TestClient) -> None:
    lon, lat = _point(qra_city, "PT-0001")
    r = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "advise_against" and "一票否决" in body["veto_statement"]
    rules = {x["rule"] for x in body["reasons"]}
    assert {"R3-distance", "R7-control-line"} <= rules
    (line,) = [x for x in body["reasons"] if x["rule"] == "R7-control-line"]
    assert line["evidence"]["park_id"] == "PARK-01"
    with get_engine(qra_city).connect() as conn:
        park_m = conn.execute(text("SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
                                   "::geography) FROM chemical_parks WHERE id = 'PARK-01'"), {"x": lon, "y": lat}
                              ).scalar_one()
        assert 140 < park_m < 160  # the sample's README: 149 m outside PARK-01's south boundary
        assert line["evidence"]["distance_to_park_m"] == pytest.approx(park_m, rel=2e-3)
        for r3 in (x for x in body["reasons"] if x["rule"] == "R3-distance"):
            unit_m = conn.execute(text("SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
                                       "::geography) FROM hazard_units WHERE id = :u"),
                                  {"x": lon, "y": lat, "u": r3["evidence"]["unit_id"]}).scalar_one()
            assert r3["evidence"]["distance_m"] == pytest.approx(unit_m, rel=2e-3)
            assert r3["evidence"]["required_distance_m"] > unit_m


def test_ir_at_the_school_matches_the_stored_grid(qra_city: str, city_client: TestClient) -> None:
    import numpy as np
    import pyproj
    import rasterio

    from geo_risk.store.ir_grids import grid_runs

    lon, lat = _point(qra_city, "PT-0001")
    body = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST).json()
    (run,) = [g for g in grid_runs(qra_city) if g["scope_id"] == "ENT-0005"]
    with rasterio.open(run["grid_path"]) as src:
        x, y = pyproj.Transformer.from_crs(4326, src.crs, always_xy=True).transform(lon, lat)
        ir = float(next(src.sample([(x, y)]))[0])
    assert np.isfinite(ir) and ir > 0
    r4 = [x for x in body["reasons"] if x["rule"] == "R4-ir" and x["evidence"]["enterprise_id"] == "ENT-0005"]
    assert ir > 3e-7  # the pesticide plant's IR at the school is above GB 36894's 新建 high-sensitive 3e-7
    (only,) = r4
    assert only["evidence"]["ir_per_year"] == pytest.approx(ir, rel=1e-6)  # float32 COG
    assert only["evidence"]["criterion_per_year"] == 3e-7


def test_a_viewer_gets_the_verdict_and_rules_but_no_figures_of_existing_plants(
        qra_city: str, city_client: TestClient) -> None:
    lon, lat = _point(qra_city, "PT-0001")
    for headers in ({}, _VIEWER):
        body = city_client.post(_URL, json=_school(lon, lat), headers=headers).json()
        assert body["verdict"] == "advise_against" and body["rulebook"]
        for reason in body["reasons"]:
            ev = reason["evidence"]
            assert not {"required_distance_m", "ir_per_year", "ir_ratio", "f_bound_per_year"} & set(ev), reason
        r3 = next(x for x in body["reasons"] if x["rule"] == "R3-distance")
        assert "required_distance_m" in r3["withheld"]
        assert "⟦" not in json.dumps(body, ensure_ascii=False)
    analyst = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST).json()
    assert "required_distance_m" in next(x for x in analyst["reasons"] if x["rule"] == "R3-distance")["evidence"]


def _planned(enterprise: str) -> dict:
    units = pyogrio.read_dataframe(SAMPLE_CITY, layer="hazard_units").to_crs(4326)
    inv = pyogrio.read_dataframe(SAMPLE_CITY, layer="inventory")
    u = units[units["enterprise_id"] == enterprise].iloc[0]
    rows = [{k: (None if v != v else v) for k, v in r.items()}
            for r in inv[inv["unit_id"] == u["id"]].drop(columns=["unit_id"]).to_dict("records")]
    return {"site": u.geometry.wkt, "unit_type": u["unit_type"], "inventory": rows, "name": enterprise,
            "unit": {k: _plain(u[k]) for k in _UNIT_FIELDS if k in u.index}, "replaces": enterprise}


def _plain(v: object) -> object:
    """A JSON value from a frame cell: NaN → None, NumPy scalars → Python."""
    if v is None or v != v:
        return None
    return v.item() if hasattr(v, "item") else v


def test_the_planned_lng_station_among_homes_is_advised_against(qra_city: str, city_client: TestClient) -> None:
    body = city_client.post(_URL, json=_planned("ENT-0111"), headers=_VIEWER).json()
    assert body["verdict"] == "advise_against", body
    assert body["method"] == "qra"
    # GB 18218 Table 1: 甲烷，天然气 Q = 50 t; 430 t → S = 8.6 — the caller's own figure, echoed to a viewer
    assert body["gb18218"]["s"] == pytest.approx(430 / 50)
    (r1,) = [x for x in body["reasons"] if x["rule"] == "R1-gb18218"]
    assert r1["evidence"]["s"] == pytest.approx(8.6)
    r3 = [x for x in body["reasons"] if x["rule"] == "R3-distance"]
    assert r3 and all(x["evidence"]["distance_m"] < x["evidence"]["required_distance_m"] for x in r3)
    assert {c["rule"]: c["status"] for c in body["checks"]}["R2-park"] == "not_applicable"  # storage only
    # A full-containment LNG tank has one LOC, the instantaneous release at 1e-8/a (Purple Book ch. 3), so
    # the IR peaks at that frequency × lethality 1 and stays below every GB 36894 level (lowest 3e-7/a): no
    # contour, and the veto comes from the distance rule alone.
    assert body["qra"]["max_ir_per_year"] == pytest.approx(1e-8)
    assert body["contours"]["features"] == []


def test_the_planned_epoxide_plant_in_its_park_is_conditional(qra_city: str, city_client: TestClient) -> None:
    body = city_client.post(_URL, json=_planned("ENT-0009"), headers=_ANALYST).json()
    assert body["verdict"] == "conditional", body
    checks = {c["rule"]: c["status"] for c in body["checks"]}
    assert checks["R2-park"] == "passed"  # inside PARK-01
    assert "R1-gb18218" in {x["rule"] for x in body["reasons"]}


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_map_input_is_converted(qra_city: str, city_client: TestClient, system: str) -> None:
    from geo_risk.io.chinese_crs import wgs84_to_bd09

    lon, lat = _point(qra_city, "PT-0001")
    glon, glat = (wgs84_to_gcj02 if system == "gcj02" else wgs84_to_bd09)(lon, lat)
    assert abs(glon - lon) + abs(glat - lat) > 1e-3  # hundreds of metres apart as given
    a = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST).json()
    b = city_client.post(_URL, json=_school(glon, glat, crs=system), headers=_ANALYST).json()
    assert b["site"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    da = next(x for x in a["reasons"] if x["rule"] == "R7-control-line")["evidence"]["distance_to_park_m"]
    db = next(x for x in b["reasons"] if x["rule"] == "R7-control-line")["evidence"]["distance_to_park_m"]
    assert da == pytest.approx(db, abs=0.5)


@pytest.mark.parametrize(("patch", "field"), [
    ({"site": "POLYGON ((126.60 43.85, 126.61 43.86, 126.61 43.85, 126.60 43.86, 126.60 43.85))"}, "site"),
    ({"site": {"type": "Point", "coordinates": [-73.98, 40.75]}}, "site"),
    ({"population": 0}, "population"),
    ({"population": -5}, "population"),
    ({"kind": "spaceport"}, "kind"),
    ({"crs": "EPSG:999999"}, "crs"),
    ({"kind": None, "unit_type": "storage", "inventory": []}, "inventory"),
    ({"kind": None, "unit_type": "storage", "inventory": [{"chemical": "unobtainium", "max_quantity_t": 5}]},
     "inventory[0].chemical: "),
    ({"kind": None, "unit_type": "storage", "inventory": [{"chemical": "氯", "max_quantity_t": 0}]},
     "inventory[0].max_quantity_t: "),
    ({"kind": None, "unit_type": "storage",
      "inventory": [{"chemical": "氯", "max_quantity_t": 5},
                    {"chemical": "氯", "max_quantity_t": 5, "pressure_mpa": "x"}]},
     "inventory[1].pressure_mpa: "),
])
def test_bad_requests_are_a_4xx_naming_the_field(qra_city: str, city_client: TestClient, patch: dict,
                                                 field: str) -> None:
    body = {**_school(126.64164, 43.8998), **patch}
    body = {k: v for k, v in body.items() if v is not None}
    if "inventory" in body:
        body.pop("population")
    r = city_client.post(_URL, json=body, headers=_ANALYST)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"], r.json()
    if field.startswith("inventory["):  # the message starts with the field's full name
        assert r.json()["detail"].startswith(field), r.json()
    if patch.get("site", {}) and isinstance(patch["site"], dict):
        assert "outside the area the store holds" in r.json()["detail"]


def test_the_route_is_in_the_openapi_document(city_client: TestClient) -> None:
    doc = city_client.get("/openapi.json").json()
    op = doc["paths"][_URL]["post"]
    assert {"200", "422", "429"} <= set(op["responses"])


def test_cli_site_check(qra_city: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    monkeypatch.setenv("GEO_RISK_DATABASE_URL", qra_city)
    get_settings.cache_clear()
    try:
        lon, lat = _point(qra_city, "PT-0001")
        out = tmp_path / "result.json"
        done = CliRunner().invoke(app, ["site-check", "--site", f"POINT ({lon} {lat})", "--kind", "school",
                                        "--population", "760", "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert "不予通过" in done.output and "R7-control-line" in done.output and "CHOICE" in done.output
        saved = json.loads(out.read_text(encoding="utf-8"))
        assert saved["verdict"] == "advise_against" and saved["rulebook_version"]
        report = tmp_path / "report.html"
        done = CliRunner().invoke(app, ["site-check", "--site", f"POINT ({lon} {lat})", "--kind", "school",
                                        "--population", "760", "--out", str(report)])
        assert done.exit_code == 0, done.output
        page = report.read_text(encoding="utf-8")
        assert "不予通过" in page and "data:image/png;base64," in page and "R7-control-line" in page
        bad = CliRunner().invoke(app, ["site-check", "--site", f"POINT ({lon} {lat})", "--kind", "school",
                                       "--population", "0"])
        assert bad.exit_code == 1 and "population" in bad.output
    finally:
        get_settings.cache_clear()


def _stored_project(url: str, enterprise: str) -> dict:
    """A project request standing in for a stored enterprise: its boundary, each unit with its footprint,
    fields, declared distances and inventory, as the store holds them."""
    from geo_risk.store.read import read_layer, read_table

    ent = read_layer(url, "enterprises", (), ids=[enterprise])
    fields = ("unit_type", "equipment", "containment", "fire_class", "special_process", "operating_temperature_c",
              "operating_pressure_mpa", "safety_distance_m", *(f"safety_distance_{c}_m" for c in (
                  "high_sensitive", "important", "general_1", "general_2", "general_3")))
    units = read_layer(url, "hazard_units", ("enterprise_id", *fields))
    units = units[units["enterprise_id"] == enterprise]
    inv = read_table(url, "inventory", ("unit_id", "chemical", "cas", "table1_seq", "hazard_categories",
                                        "max_quantity_t", "state", "temperature_c", "pressure_mpa", "vessel_count",
                                        "vessel_capacity_t"), index=False)
    out = []
    for uid, u in units.iterrows():
        rows = [{k: (None if v is None or v != v else v) for k, v in r.items() if k != "unit_id"}
                for r in inv[inv["unit_id"] == uid].drop(columns=["id"], errors="ignore").to_dict("records")]
        unit = {k: u[k] for k in ("equipment", "containment", "fire_class", "special_process",
                                  "operating_temperature_c", "operating_pressure_mpa")
                if u[k] is not None and u[k] == u[k]}
        declared = {}
        for c in ("high_sensitive", "important", "general_1", "general_2", "general_3"):
            v = u[f"safety_distance_{c}_m"]
            v = u["safety_distance_m"] if v is None or v != v else v
            if v is not None and v == v:
                declared[c] = float(v)
        out.append({"site": u.geometry.wkt, "unit_type": u["unit_type"], "unit": unit, "inventory": rows,
                    **({"declared_distances_m": declared} if declared else {})})
    return {"site": ent.geometry.iloc[0].wkt, "units": out, "name": enterprise, "replaces": enterprise}


def test_the_plant_near_the_school_is_the_school_near_the_plant(qra_city: str, city_client: TestClient) -> None:
    """On the store: a school proposed at PT-0001 beside the operating pesticide plant ENT-0005, and ENT-0005
    proposed at its site (its four units, same inventory) with PT-0001 existing, fire the same pair rules
    with the same evidence: R4 on IR computed once by the stored run and once by the project's own QRA,
    R3 on the 新建-column QRA distance read off the stored grid and computed by the project's QRA."""
    lon, lat = _point(qra_city, "PT-0001")
    d2 = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST).json()
    d1 = city_client.post(_URL, json=_stored_project(qra_city, "ENT-0005"), headers=_ANALYST).json()
    assert d1.get("method") == "qra" and len(d1["units"]) == 4, d1
    for rule in ("R4-ir", "R3-distance"):
        a = [r for r in d2["reasons"] if r["rule"] == rule and r["evidence"]["enterprise_id"] == "ENT-0005"]
        b = [r for r in d1["reasons"] if r["rule"] == rule and r["evidence"]["target_id"] == "PT-0001"]
        assert len(a) == len(b) == 1, (rule, a, b)
        ea, eb = a[0]["evidence"], b[0]["evidence"]
        assert a[0]["kind"] == b[0]["kind"] == "veto"
        assert ea["target_class"] == eb["target_class"] == "high_sensitive"
        if rule == "R4-ir":
            assert ea["ir_per_year"] == pytest.approx(eb["ir_per_year"], rel=1e-6)  # the COG holds float32
            assert ea["criterion_per_year"] == eb["criterion_per_year"] == 3e-7
        else:
            assert ea["distance_m"] == pytest.approx(eb["distance_m"], abs=0.2)
            assert ea["required_distance_m"] == pytest.approx(eb["required_distance_m"], abs=0.2)


def test_the_report_as_html_and_pdf_for_a_viewer(qra_city: str, city_client: TestClient) -> None:
    lon, lat = _point(qra_city, "PT-0001")
    page = city_client.post(_URL, params={"format": "html"}, json=_school(lon, lat), headers=_VIEWER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "不予通过" in text and "data:image/png;base64," in text
    analyst = city_client.post(_URL, json=_school(lon, lat), headers=_ANALYST).json()
    hidden = next(r for r in analyst["reasons"] if r["rule"] == "R3-distance")["evidence"]["required_distance_m"]
    assert f"{hidden:,.0f} m" not in text  # an existing plant's required distance stays out of a viewer's report
    pdf = city_client.post(_URL, params={"format": "pdf"}, json=_school(lon, lat), headers=_ANALYST)
    if _has_cjk_font():
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"
    else:  # the Docker image has no CJK font: a clear 4xx naming the package, never a 500
        assert pdf.status_code == 422 and "fonts-noto-cjk" in pdf.text
    bad = city_client.post(_URL, params={"format": "docx"}, json=_school(lon, lat))
    assert bad.status_code == 422 and "format" in bad.text


def _has_cjk_font() -> bool:
    from matplotlib import font_manager

    try:
        font_manager.findfont("Noto Sans CJK SC", fallback_to_default=False)
    except ValueError:
        return False
    return True
