"""The web map's decision tools (issue 14; ``layers/static/tools.js``) in a real headless Chromium, on the
real app and the sample city in PostGIS: the siting tool (a site drawn by clicking the map, the API's verdict
and reasons shown exactly, a 422 shown at the field it names, the report), the relocation layer and the
before/after scenario layers.

What the page shows is compared with what the API answers to the same request, posted again here; the
sample city's expectations (a school 150 m from PARK-01's boundary is inside its 800 m safety control line:
不予通过 with R7) come from the data, not from the page.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import KEY_OF, ROLE_KEYS
from sqlalchemy import text

from layers.registry import REGISTRY

TIMEOUT_S = 60
SITING_STATE = "const s = window.geoRiskTools.state.siting; return s === 'done' || s === 'error' ? s : null;"
SCHOOL = (126.64164, 43.8998)  # lon, lat: 150 m south of PARK-01's boundary (the siting API's own example)
LNG_SITE = (126.60, 43.85)  # a planned LNG store among homes (the API's project example)
ANALYST = KEY_OF["analyst"]


@pytest.fixture(scope="module")
def tools_server(webmap_db_url: str, vendored_leaflet: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with API keys and its own data directory, on the sample city with ENT-0005's QRA and a stored
    relocation plan."""
    from helpers import live_server

    from api.app import create_app
    from geo_risk.relocation_plan import run_relocation_plan
    from geo_risk.risk_runs import run_risk
    from geo_risk.scenarios import clear_cache
    from geo_risk.settings import Settings

    data_dir = tmp_path_factory.mktemp("decision_tools")
    # The page shows no park F-N (the plan's API and CLI tests check it): without it a plan takes seconds,
    # not a minute, also when the page's GET finds the stored plan stale and recomputes it.
    settings = Settings(database_url=webmap_db_url, api_keys=ROLE_KEYS, data_dir=data_dir, relocation_park_fn=False)
    run_risk(webmap_db_url, enterprise_id="ENT-0005", data_dir=data_dir)  # a QRA firm the plan closes
    run_relocation_plan(webmap_db_url, settings=settings, data_dir=data_dir)
    clear_cache()
    with live_server(create_app(settings, database_url=webmap_db_url)) as base:
        yield base


def post(base: str, path: str, body: dict[str, Any], key: str | None = None) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as the page does; (status, JSON answer)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key:
        headers["X-API-Key"] = key
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait(d: Any, script: str, timeout: float = TIMEOUT_S) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, timeout).until(lambda drv: drv.execute_script(script))
    return d.execute_script(script)


def open_tools(d: Any, base: str, key: str | None = None, hash_: str = "") -> None:
    """/map with its layers drawn, the API key set (or cleared) and the siting pane open."""
    d.get("about:blank")
    d.get(f"{base}/map{hash_}")
    wait(d, "return ['true', 'error'].includes(document.body.dataset.layersLoaded || '')")
    d.execute_script("sessionStorage.setItem('geoRiskApiKey', arguments[0]);", key or "")
    d.refresh()
    wait(d, "return ['true', 'error'].includes(document.body.dataset.layersLoaded || '') && !!window.geoRiskTools")
    d.execute_script("window.geoRiskTools.open('siting');")


def click_map_at(d: Any, lon: float, lat: float) -> None:
    """A real mouse click on the map at (lon, lat)."""
    from selenium.webdriver.common.action_chains import ActionChains

    mapel = d.find_element("id", "map")
    p = d.execute_script("const p = window.geoRiskMap.latLngToContainerPoint([arguments[0], arguments[1]]);"
                         "return [p.x, p.y];", lat, lon)
    size = mapel.size
    ActionChains(d).move_to_element_with_offset(mapel, p[0] - size["width"] / 2, p[1] - size["height"] / 2) \
        .click().perform()


def shown_reasons(d: Any) -> list[str]:
    return d.execute_script("return [...document.querySelectorAll('#gr-reasons li')].map(li => li.dataset.rule);")


def test_school_beside_park_01_shows_the_apis_verdict_and_reasons(chromium, tools_server: str, screenshot) -> None:
    d = chromium
    open_tools(d, tools_server, hash_=f"#16/{SCHOOL[1]}/{SCHOOL[0]}/layers=chemical_parks,protection_targets")
    d.find_element("id", "gr-draw-point").click()
    click_map_at(d, *SCHOOL)
    site = d.execute_script("return window.geoRiskTools.state.site;")
    assert site["type"] == "Point"
    assert abs(site["coordinates"][0] - SCHOOL[0]) < 5e-5 and abs(site["coordinates"][1] - SCHOOL[1]) < 5e-5, site
    d.execute_script("document.getElementById('gr-s-kind').value = 'school';")
    d.find_element("id", "gr-s-population").send_keys("760")
    d.find_element("id", "gr-s-submit").click()
    assert wait(d, SITING_STATE) == "done"

    sent = d.execute_script("return window.geoRiskTools.state.request;")
    assert sent == {"site": site, "kind": "school", "population": 760}
    status, api = post(tools_server, "/api/v1/siting-check", sent)
    assert status == 200
    # the sample city: inside PARK-01's 800 m safety control line → veto
    assert api["verdict"] == "advise_against" and "R7-control-line" in [r["rule"] for r in api["reasons"]]

    verdict = d.find_element("id", "gr-verdict")
    assert verdict.get_attribute("data-verdict") == api["verdict"]
    assert verdict.text == api["verdict_label"] and verdict.text.startswith("不予通过")
    assert verdict.value_of_css_property("background-color") == "rgba(198, 40, 40, 1)"  # red
    assert d.find_element("id", "gr-veto").text.endswith(api["veto_statement"])
    assert shown_reasons(d) == [r["rule"] for r in api["reasons"]]
    texts = d.execute_script("return [...document.querySelectorAll('#gr-reasons .gr-reason-text')]"
                             ".map(e => e.textContent);")
    assert texts == [r["text"] for r in api["reasons"]]
    # the reasons' geometries are on the map, with the site
    n_geom = sum(1 for r in api["reasons"] if r.get("geometry"))
    drawn = d.execute_script("const L = window.geoRiskTools.layers; return [L.site.getLayers().length, "
                             "L.result.getLayers().length, window.geoRiskMap.hasLayer(L.result)];")
    assert drawn == [1, n_geom, n_geom > 0]
    screenshot(d, "siting_tool_school.png")

    # the HTML report of the same request
    d.execute_script("window.geoRiskTools.report('html').then(r => { window.__report = r; });")
    report = wait(d, "return window.__report || null;")
    assert report["type"].startswith("text/html") and report["size"] > 1000, report


def test_a_bad_population_is_shown_at_its_field(chromium, tools_server: str, screenshot) -> None:
    d = chromium
    open_tools(d, tools_server)
    d.execute_script("window.geoRiskTools.setSite({type: 'Point', coordinates: arguments[0]});", list(SCHOOL))
    d.find_element("id", "gr-s-population").send_keys("0")
    d.find_element("id", "gr-s-submit").click()
    assert wait(d, SITING_STATE) == "error"
    sent = d.execute_script("return window.geoRiskTools.state.request;")
    assert sent == {"site": {"type": "Point", "coordinates": list(SCHOOL)}, "kind": "school", "population": 0}
    status, api = post(tools_server, "/api/v1/siting-check", sent)
    assert status == 422 and api["detail"].startswith("population:")
    slot = d.find_element("css selector", '[data-err="population"]')
    assert slot.is_displayed() and api["detail"] in slot.text
    assert d.find_element("id", "gr-s-population").get_attribute("aria-invalid") == "true"
    # nothing else is flagged
    others = d.execute_script("return [...document.querySelectorAll('.gr-field-error.gr-shown')]"
                              ".map(e => e.dataset.err);")
    assert others == ["population"]
    assert d.find_element("id", "gr-s-result").text == ""
    screenshot(d, "siting_tool_bad_population.png")


def test_a_polygon_is_drawn_by_clicking_its_corners(chromium, tools_server: str) -> None:
    d = chromium
    open_tools(d, tools_server, hash_=f"#15/{SCHOOL[1]}/{SCHOOL[0]}/layers=chemical_parks")
    d.find_element("id", "gr-draw-polygon").click()
    corners = [(SCHOOL[0] - 0.002, SCHOOL[1] - 0.001), (SCHOOL[0] + 0.002, SCHOOL[1] - 0.001),
               (SCHOOL[0], SCHOOL[1] + 0.0015)]
    for lon, lat in corners:
        click_map_at(d, lon, lat)
    d.find_element("id", "gr-draw-finish").click()
    site = d.execute_script("return window.geoRiskTools.state.site;")
    assert site["type"] == "Polygon" and len(site["coordinates"][0]) == 4
    ring = site["coordinates"][0]
    assert ring[0] == ring[-1]
    for (lon, lat), got in zip(corners, ring[:3], strict=True):
        assert abs(got[0] - lon) < 5e-5 and abs(got[1] - lat) < 5e-5


def test_the_relocation_layer_draws_its_features(chromium, tools_server: str, webmap_db_url: str, screenshot) -> None:
    from sqlalchemy import create_engine

    with create_engine(webmap_db_url).connect() as conn:
        rows = conn.execute(text("SELECT id, outcome, GeometryType(geom) AS t FROM relocation_map")).mappings().all()
    assert rows, "no stored relocation plan"
    d = chromium
    open_tools(d, tools_server)
    d.execute_script("window.geoRiskTools.open('relocation');")
    wait(d, "return !document.getElementById('gr-r-layer').disabled && "
            "document.getElementById('gr-r-summary').textContent.includes('relocation plan');")
    d.find_element("id", "gr-r-layer").click()
    wait(d, "const s = window.geoRiskLayerState.relocation; return s.status === 'done' && "
            "document.body.dataset.layersLoaded === 'true';")
    drawn = d.execute_script("""
      const out = [];
      window.geoRiskLayers.relocation.eachLayer(l => out.push({id: l.feature.properties.id,
        outcome: l.feature.properties.outcome, line: !!l.getLatLngs, colour: l.options.color,
        fill: l.options.fillColor}));
      return out;""")
    assert sorted(f["id"] for f in drawn) == sorted(r["id"] for r in rows)
    classes = REGISTRY["relocation"].style.classes
    for f in drawn:
        want = classes[f["outcome"]][0]
        assert (f["colour"] if f["line"] else f["fill"]) == want, f
    lines = {r["id"] for r in rows if r["t"] == "LINESTRING"}
    assert lines and {f["id"] for f in drawn if f["line"]} == lines
    assert {r["outcome"] for r in rows if r["id"] in lines} == {"relocate_to_park"}
    # a popup: firm, outcome, park, reason
    popup = d.execute_script("""
      const l = window.geoRiskLayers.relocation.getLayers().find(l => l.getLatLngs);
      l.openPopup(); return document.querySelector('.leaflet-popup-content').innerText;""")
    for label in ("企业名称", "方案", "迁入园区", "理由"):
        assert label in popup, popup
    assert "异地迁建" in popup
    screenshot(d, "relocation_layer.png")


def test_a_project_check_shows_its_scenario_difference_layers(chromium, tools_server: str, screenshot) -> None:
    d = chromium
    open_tools(d, tools_server, key=ANALYST, hash_="#13/43.85/126.6/layers=chemical_parks,protection_targets")
    d.execute_script("document.querySelector('input[name=gr-direction][value=project]').click();"
                     "window.geoRiskTools.setSite({type: 'Point', coordinates: arguments[0]});", list(LNG_SITE))
    d.find_element("css selector", '[data-field="inventory[0].chemical"]').send_keys("甲烷，天然气")
    d.find_element("css selector", '[data-field="inventory[0].max_quantity_t"]').send_keys("430")
    d.execute_script("document.querySelector('[data-field=\"inventory[0].state\"]').value = 'liquefied_refrigerated';")
    d.find_element("id", "gr-s-submit").click()
    assert wait(d, "const s = window.geoRiskTools.state.scenario; return s === 'done' || s === 'error' ? s : null;",
                120) == "done"
    answer = d.execute_script("return window.geoRiskTools.state.scenarioResult;")
    assert answer["changes"][0]["type"] == "add_project" and answer["verdict"]["ir"] == "raised"
    raised = [f for f in answer["contours"]["features"] if f["properties"]["what"] == "raised"]
    assert raised
    drawn = d.execute_script("""const L = window.geoRiskTools.layers, m = window.geoRiskMap;
      const n = g => { let k = 0; g.eachLayer(x => { k += x.getLayers ? x.getLayers().length : 1; }); return k; };
      return {raised: n(L.raised), lowered: n(L.lowered), added: L.added.getLayers().length,
              on: m.hasLayer(L.raised), legend: document.querySelector('.gr-tools-legend').innerText};""")
    assert drawn["raised"] == len(raised) and drawn["on"] and drawn["lowered"] == 0
    assert drawn["added"] == sum(1 for c in answer["conflicts_added"] if c.get("geometry"))
    assert "风险升高越过等值线" in drawn["legend"] and "新增冲突" in drawn["legend"]
    assert d.find_element("id", "gr-scenario-verdict").text == answer["verdict"]["ir_label"]
    wait(d, "return window.geoRiskTools.state.fnLoaded;")
    assert d.execute_script("return document.getElementById('gr-fn-img').naturalWidth;") > 100
    screenshot(d, "scenario_project.png")


def test_the_relocation_plans_effect_lowers_ir_at_the_old_sites(chromium, tools_server: str, screenshot) -> None:
    d = chromium
    open_tools(d, tools_server, key=ANALYST)
    d.execute_script("window.geoRiskTools.open('relocation');")
    d.find_element("id", "gr-r-effect").click()
    # the scenario re-runs the QRA of every firm the plan touches (before and after where none is stored)
    from selenium.common.exceptions import TimeoutException

    try:
        state = wait(d, "const s = window.geoRiskTools.state.scenario; return s === 'done' || s === 'error' ? s : "
                        "null;", 300)
    except TimeoutException:
        pytest.fail("the plan's effect is still " + str(d.execute_script("return window.geoRiskTools.state.scenario;"))
                    + " after 300 s")
    assert state == "done", d.execute_script("return window.geoRiskTools.state.error;")
    answer = d.execute_script("return window.geoRiskTools.state.scenarioResult;")
    assert {c["type"] for c in answer["changes"]} <= {"remove_enterprise", "move_to_park", "cut_inventory",
                                                      "relocation_case"}
    lowered = [f for f in answer["contours"]["features"] if f["properties"]["what"] == "lowered"]
    assert lowered and answer["conflicts_removed"]
    drawn = d.execute_script("""const L = window.geoRiskTools.layers;
      const n = g => { let k = 0; g.eachLayer(x => { k += x.getLayers ? x.getLayers().length : 1; }); return k; };
      return [n(L.lowered), L.removed.getLayers().length];""")
    assert drawn == [len(lowered), sum(1 for c in answer["conflicts_removed"] if c.get("geometry"))]
    screenshot(d, "scenario_relocation.png")


def test_an_uploaded_site_far_from_every_hazard_is_no_objection(chromium, tools_server: str, webmap_db_url: str,
                                                                tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    square = {"type": "Polygon", "coordinates": [[[126.70, 43.75], [126.702, 43.75], [126.702, 43.7515],
                                                  [126.70, 43.7515], [126.70, 43.75]]]}
    with create_engine(webmap_db_url).connect() as conn:  # the nearest hazard unit and park, geodesic metres
        nearest = conn.execute(text(
            "SELECT (SELECT min(ST_Distance(geom::geography, ST_GeomFromGeoJSON(:g)::geography)) FROM hazard_units), "
            "(SELECT min(ST_Distance(geom::geography, ST_GeomFromGeoJSON(:g)::geography)) FROM chemical_parks)"),
            {"g": json.dumps(square)}).one()
    assert min(nearest) > 5000, nearest  # beyond every required distance and control line of the sample city
    upload = tmp_path / "site.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"}, "geometry": square}]}), encoding="utf-8")
    d = chromium
    open_tools(d, tools_server)
    d.find_element("id", "gr-upload").send_keys(str(upload))
    wait(d, "return !!window.geoRiskTools.state.site;")
    assert d.execute_script("return window.geoRiskTools.state.site;") == square
    d.execute_script("document.getElementById('gr-s-kind').value = 'residential';")
    d.find_element("id", "gr-s-population").send_keys("300")
    d.find_element("id", "gr-s-submit").click()
    assert wait(d, SITING_STATE) == "done"
    sent = d.execute_script("return window.geoRiskTools.state.request;")
    status, api = post(tools_server, "/api/v1/siting-check", sent)
    assert status == 200 and api["verdict"] == "no_objection" and not api["reasons"]
    verdict = d.find_element("id", "gr-verdict")
    assert verdict.text == api["verdict_label"] and verdict.text.startswith("通过")
    assert verdict.value_of_css_property("background-color") == "rgba(46, 125, 50, 1)"  # green
    assert not d.find_elements("id", "gr-veto") and shown_reasons(d) == []
    # with no reason, the notes (what was and was not checked) are open
    notes = d.execute_script("return [...document.querySelectorAll('#gr-notes li')].map(e => e.textContent);")
    assert notes == api["notes"] and d.find_element("id", "gr-notes").get_attribute("open") is not None


def test_below_analyst_the_scenario_says_what_it_withholds(chromium, tools_server: str) -> None:
    d = chromium
    open_tools(d, tools_server)  # no key: the public tier
    d.execute_script("window.geoRiskTools.scenario({name: 'closed', changes: [{type: 'remove_enterprise', "
                     "enterprise_id: 'ENT-0005'}]});")
    assert wait(d, "const s = window.geoRiskTools.state.scenario; return s === 'done' || s === 'error' ? s : null;",
                120) == "done"
    answer = d.execute_script("return window.geoRiskTools.state.scenarioResult;")
    assert "contours" not in answer and "links" not in answer
    assert d.find_element("id", "gr-scenario-verdict").text == answer["verdict"]["ir_label"]
    assert answer["verdict"]["ir"] == "lowered"
    assert "分析员密钥" in d.find_element("id", "gr-scenario").text
    assert d.execute_script("const L = window.geoRiskTools.layers; return L.raised.getLayers().length + "
                            "L.lowered.getLayers().length;") == 0


@pytest.mark.parametrize(("row", "field"), [
    ({"chemical": "unobtainium", "max_quantity_t": "4"}, "inventory[0].chemical"),
    ({"chemical": "氯", "max_quantity_t": "-4"}, "inventory[0].max_quantity_t"),
])
def test_an_inventory_error_is_shown_at_its_row(chromium, tools_server: str, row: dict, field: str) -> None:
    d = chromium
    open_tools(d, tools_server)
    d.execute_script("document.querySelector('input[name=gr-direction][value=project]').click();"
                     "window.geoRiskTools.setSite({type: 'Point', coordinates: arguments[0]});", list(LNG_SITE))
    d.find_element("css selector", '[data-field="inventory[0].chemical"]').send_keys(row["chemical"])
    d.find_element("css selector", '[data-field="inventory[0].max_quantity_t"]').send_keys(row["max_quantity_t"])
    d.find_element("id", "gr-s-submit").click()
    assert wait(d, SITING_STATE) == "error"
    sent = d.execute_script("return window.geoRiskTools.state.request;")
    status, api = post(tools_server, "/api/v1/siting-check", sent)
    assert status == 422
    slot = d.find_element("css selector", f'[data-err="{field}"]')
    assert slot.is_displayed() and " ".join(api["detail"].split()) in " ".join(slot.text.split())
    assert d.find_element("css selector", f'[data-field="{field}"]').get_attribute("aria-invalid") == "true"
    assert d.execute_script("return [...document.querySelectorAll('.gr-field-error.gr-shown')]"
                            ".map(e => e.dataset.err);") == [field]
