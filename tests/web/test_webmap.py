"""The web map ``/map`` and the static map of ``geo-risk render-map``, in a real headless Chromium
on a real PostGIS loaded with the sample city.

Checks: layers are loaded by viewport and zoom from the OGC endpoints (features at and above a
layer's min_zoom, hexagons below it), never whole and never from outside this server; views inside
the loaded box are not refetched; the legend, layer switcher and popups are bilingual; the colours
on screen are the registry's (pixel checks at known hazard units, hazard sources of every grade
and hexagons); the static file is self-contained (no request at all) and drawn the same way.
"""

from __future__ import annotations

import io
import json
import re
import statistics
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from layers.registry import PUBLIC_LAYERS, REGISTRY

LOAD_TIMEOUT_S = 30
HEX_OPACITY = 0.72  # map.js HEX_STYLE.fillOpacity
WHOLE_LAYER = re.compile(r"/api/v1/layers/[^/?]+\.geojson")


# -- helpers --------------------------------------------------------------------------------------
def hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def over_white(colour: str, opacity: float) -> tuple[float, float, float]:
    """``colour`` painted with ``opacity`` over a white background."""
    return tuple(opacity * v + (1 - opacity) * 255 for v in hex_rgb(colour))  # type: ignore[return-value]


def pixel_at(png: bytes, x: float, y: float, half: int = 1) -> tuple[int, int, int]:
    """Median colour of the (2·half+1)² pixels around (x, y) of a PNG screenshot."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    cx, cy = round(x), round(y)
    span = range(-half, half + 1)
    samples = [img.getpixel((cx + dx, cy + dy)) for dx in span for dy in span]
    return tuple(int(statistics.median(s[i] for s in samples)) for i in range(3))  # type: ignore[return-value]


def assert_close(got: tuple[int, ...], want: tuple[float, ...], tol: float = 6, what: str = "") -> None:
    diff = max(abs(g - w) for g, w in zip(got, want, strict=True))
    assert diff <= tol, f"{what}: pixel {got} differs from expected {tuple(round(w) for w in want)} by {diff}"


def ramp_colour(layer_id: str, value: float) -> str:
    """The registry's ramp colour of a hexagon value (upper bounds inclusive, the last one open)."""
    agg = REGISTRY[layer_id].aggregate
    assert agg is not None
    return next(c for bound, c in agg.ramp if value <= bound)


def requests_seen(d: Any) -> list[str]:
    """Every URL the browser requested since the last navigation helper reset the list."""
    seen: list[str] = d.__dict__.setdefault("_geo_risk_requests", [])
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            seen.append(msg["params"]["request"]["url"])
    return seen


def open_page(d: Any, url: str) -> None:
    """Navigate to ``url`` with a fresh request record, and wait until its layers are drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    d.get("about:blank")
    requests_seen(d)
    d.__dict__["_geo_risk_requests"] = []
    d.get_log("browser")
    d.get(url)
    WebDriverWait(d, LOAD_TIMEOUT_S).until(
        lambda drv: drv.execute_script("return document.body.dataset.layersLoaded || ''") in ("true", "error")
    )
    state = d.execute_script("return document.body.dataset.layersLoaded")
    assert state == "true", f"the map reported a loading error: {d.find_element('id', 'status').text}"


# Show only the layers ``keep`` (all when null), hide the controls (for clean pixels) and move the
# map; resolve once the view's layers are drawn (layersLoaded "true"), two frames later.
SHOW_ONLY_AND_CENTRE = """
const [keep, lat, lon, zoom, done] = arguments;
const map = window.geoRiskMap;
map.closePopup();
document.querySelector('.leaflet-control-container').style.visibility = keep ? 'hidden' : '';
for (const [id, layer] of Object.entries(window.geoRiskLayers)) {
  if (!keep || keep.includes(id)) map.addLayer(layer); else map.removeLayer(layer);
}
if (lat !== null) map.setView([lat, lon], zoom, {animate: false});
const started = Date.now();
(function wait() {
  const s = document.body.dataset.layersLoaded;
  if ((s !== 'true' && s !== 'error') && Date.now() - started < 25000) return setTimeout(wait, 30);
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const r = map.getContainer().getBoundingClientRect();
    const p = lat === null ? {x: 0, y: 0} : map.latLngToContainerPoint([lat, lon]);
    done({x: r.left + p.x, y: r.top + p.y, left: r.left, top: r.top, width: r.width, height: r.height,
          dpr: window.devicePixelRatio, zoom: map.getZoom(), loaded: s});
  }));
})();
"""

STATE = """
const out = {};
for (const [id, s] of Object.entries(window.geoRiskLayerState)) {
  out[id] = {status: s.status, mode: s.mode, zoom: s.zoom, n: s.n, matched: s.matched, capped: s.capped,
             requests: s.requests, drawn: window.geoRiskLayers[id].getLayers().length,
             bbox: s.bbox ? s.bbox.split(',').map(Number) : null};
}
return out;
"""


def show(d: Any, keep: list[str] | None, lat: float | None = None, lon: float | None = None,
         zoom: int | None = None) -> dict[str, Any]:
    pos = d.execute_async_script(SHOW_ONLY_AND_CENTRE, keep, lat, lon, zoom)
    assert pos["loaded"] == "true", d.find_element("id", "status").text
    return pos


def show_all(d: Any) -> None:
    show(d, None)


def layer_state(d: Any) -> dict[str, dict[str, Any]]:
    return d.execute_script(STATE)


def centre_point(d: Any, pos: dict[str, Any]) -> tuple[float, float]:
    return pos["x"] * pos["dpr"], pos["y"] * pos["dpr"]


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def map_page(chromium, webmap_server: str):
    """/map, opened when the browser is elsewhere, with every layer shown and drawn."""
    d = chromium
    if d.current_url.split("#")[0] != f"{webmap_server}/map" or d.execute_script(
        "return document.body.dataset.layersLoaded || ''"
    ) != "true":
        open_page(d, f"{webmap_server}/map")
    else:
        show_all(d)
    return d


@pytest.fixture(scope="module")
def hazard_sources_by_grade(webmap_db_url: str) -> dict[int, tuple[str, float, float]]:
    """Per grade, the hazard source (a polygon) with the largest inscribed circle among those no
    other source comes within 30 m of: (id, lat, lon of the circle's centre)."""
    from geo_risk.store.db import get_engine

    with get_engine(webmap_db_url).connect() as conn:
        rows = conn.execute(text(
            "SELECT DISTINCT ON (grade) grade, id, ST_Y((c).center), ST_X((c).center) FROM ("
            "  SELECT s.grade, s.id, ST_MaximumInscribedCircle(s.geom) AS c FROM hazard_sources_map s"
            "   WHERE GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT EXISTS ("
            "     SELECT 1 FROM hazard_sources_map o WHERE o.id <> s.id"
            "        AND ST_DWithin(o.geom::geography, s.geom::geography, 30))) x"
            " ORDER BY grade, (c).radius DESC"
        )).all()
    return {int(r[0]): (r[1], float(r[2]), float(r[3])) for r in rows}


# -- page and assets (no browser) -----------------------------------------------------------------
def _client(settings=None):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo_risk.settings import Settings

    url = "postgresql://nobody@127.0.0.1:9/none"  # never contacted by these requests
    return TestClient(create_app(settings or Settings(database_url=url), database_url=url))


def test_map_page_is_503_with_instructions_without_leaflet(monkeypatch, tmp_path: Path) -> None:
    from api.routes import webmap

    monkeypatch.setattr(webmap, "LEAFLET_JS", tmp_path / "missing" / "leaflet.js")
    r = _client().get("/map")
    assert r.status_code == 503
    assert "make vendor" in r.text and "layers/web/build.sh" in r.text


def test_map_page_gets_the_tianditu_token_from_settings(vendored_leaflet: Path) -> None:
    from geo_risk.settings import Settings

    url = "postgresql://nobody@127.0.0.1:9/none"
    client = _client(Settings(database_url=url, tianditu_token="abc</script>123"))
    r = client.get("/map")
    assert r.status_code == 200
    assert "geo_risk 重大危险源风险地图 / Major hazard risk map" in r.text
    config = json.loads(re.search(r'id="geo-risk-config">(.*?)</script>', r.text, re.S).group(1))
    assert config["tianditu_token"] == "abc</script>123"
    assert "abc</script>" not in r.text  # escaped inside the JSON block
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert json.loads(re.search(r'id="geo-risk-config">(.*?)</script>', _client().get("/map").text,
                                re.S).group(1))["tianditu_token"] is None


def test_static_files_are_served(vendored_leaflet: Path) -> None:
    client = _client()
    for path in ("/static/map.js", "/static/map.css", "/static/vendor/leaflet/leaflet.js",
                 "/static/vendor/leaflet/leaflet.css", "/static/vendor/leaflet/images/layers.png"):
        assert client.get(path).status_code == 200, path


def test_map_script_asks_the_ogc_endpoints_not_whole_layers() -> None:
    source = (Path(__file__).resolve().parents[2] / "layers" / "static" / "map.js").read_text(encoding="utf-8")
    assert "/items?bbox=" in source and "/hexagons?bbox=" in source
    assert ".geojson" not in source


# -- in the browser: loading by viewport and zoom -------------------------------------------------
def test_layers_are_loaded_by_viewport_and_zoom_from_this_server(map_page, webmap_server: str) -> None:
    d = map_page
    assert d.title == "geo_risk 重大危险源风险地图 / Major hazard risk map"
    # [id, features drawn, z-index of its pane], in the order the page drew them
    drawn = d.execute_script(
        "return window.geoRiskRegistry.map(def => [def.id, window.geoRiskLayers[def.id].getLayers().length,"
        " Number(window.geoRiskMap.getPane('gr-' + def.id).style.zIndex)])"
    )
    # anonymous: the restricted inventory layer is not listed, not drawn, not in the switcher
    assert [row[0] for row in drawn] == list(PUBLIC_LAYERS)
    assert "inventory" not in d.execute_script("return Object.keys(window.geoRiskLayers)")
    assert REGISTRY["inventory"].title_zh not in d.find_element("css selector", ".leaflet-control-layers").text
    # every layer with data is drawn (risk contours exist only after a `geo-risk risk` run, the conflict
    # and cluster layers only after `geo-risk analyse`, not run on this store; layers hidden by default,
    # like the zoning's, are not drawn until switched on)
    computed = {"risk_contours", "conflicts", "conflict_targets", "clusters", "cluster_links"}
    assert all(n > 0 for lid, n, _ in drawn if lid not in computed and REGISTRY[lid].visible), drawn
    z = [row[2] for row in drawn]
    assert z == sorted(z) and len(set(z)) == len(z), f"layers are not stacked in registry order: {drawn}"
    # every layer in the mode its min_zoom gives at this zoom, one request each
    zoom = d.execute_script("return window.geoRiskMap.getZoom()")
    state = layer_state(d)
    for layer_id in (lid for lid in PUBLIC_LAYERS if REGISTRY[lid].visible):  # hidden ones load when shown
        want = "features" if zoom >= REGISTRY[layer_id].min_zoom else "hexagons"
        assert state[layer_id]["mode"] == want and state[layer_id]["status"] == "done", (layer_id, zoom, state)
        assert state[layer_id]["requests"] == 1, state[layer_id]
    shown = {lid: s for lid, s in state.items() if REGISTRY[lid].visible}
    assert {s["mode"] for s in shown.values()} == {"features", "hexagons"}, f"zoom {zoom}: {state}"
    assert all(s["requests"] == 0 for lid, s in state.items() if lid not in shown), state  # hidden: not loaded
    urls = requests_seen(d)
    assert any(f"/collections/{i}/items?bbox=" in u and "limit=10000" in u for u in urls for i in PUBLIC_LAYERS)
    assert any("/collections/residential_areas/hexagons?bbox=" in u and f"zoom={zoom}" in u for u in urls)
    assert not [u for u in urls if WHOLE_LAYER.search(u)], "the whole-layer endpoint was used"
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors: {severe}"
    status = d.find_element("id", "status").text
    assert f"Loaded {len(shown)} layers" in status, status
    assert "六边形 hexagons" in status


def test_views_inside_the_loaded_box_are_not_refetched(map_page) -> None:
    d = map_page
    show(d, None, 43.87, 126.56, 13)  # every layer as features
    before = layer_state(d)
    assert all(s["mode"] == "features" for s in before.values()), before
    # a small pan and a zoom in stay inside the padded box: nothing is asked again
    d.execute_script("window.geoRiskMap.panBy([60, -40], {animate: false})")
    assert d.execute_script("return document.body.dataset.layersLoaded") == "true"
    show(d, None, 43.87, 126.56, 14)
    d.execute_script("return new Promise(r => setTimeout(r, 500))")
    assert {k: s["requests"] for k, s in layer_state(d).items()} == {k: s["requests"] for k, s in before.items()}
    # a pan well beyond it refetches the layers whose loaded box no longer holds the view (those
    # loaded at this zoom; the others were loaded at a lower zoom with a bigger box), and says so
    d.execute_script("window.geoRiskMap.panBy([2500, 0], {animate: false})")
    assert d.execute_script("return document.body.dataset.layersLoaded") == "pending"
    view = d.execute_script("const b = window.geoRiskMap.getBounds(); return [b.getWest(), b.getSouth(),"
                            " b.getEast(), b.getNorth()]")
    show(d, None)
    after = layer_state(d)
    for k, s in before.items():
        holds = s["bbox"][0] <= view[0] and s["bbox"][1] <= view[1] and s["bbox"][2] >= view[2] and (
            s["bbox"][3] >= view[3])
        assert after[k]["requests"] == s["requests"] + (0 if holds else 1), (k, s, after[k], view)
    assert after["residential_areas"]["requests"] == before["residential_areas"]["requests"] + 1
    # three quick moves inside the debounce interval: one request per layer (stale views dropped)
    d.execute_script(
        "const m = window.geoRiskMap; m.setView([43.80, 126.50], 12, {animate: false});"
        "m.setView([43.90, 126.60], 12, {animate: false}); m.setView([43.86, 126.55], 11, {animate: false});"
    )
    show(d, None)
    last = layer_state(d)
    assert all(last[k]["requests"] <= after[k]["requests"] + 1 for k in after), (after, last)
    for k in ("residential_areas", "hazard_units"):  # back to hexagons: exactly one request each
        assert last[k]["requests"] == after[k]["requests"] + 1, (k, after[k], last[k])
        assert last[k]["mode"] == "hexagons" and last[k]["zoom"] == 11, last[k]


def test_zooming_out_below_min_zoom_shows_hexagons(map_page, screenshot) -> None:
    d = map_page
    layer = REGISTRY["residential_areas"]
    assert layer.min_zoom == 12 and layer.aggregate is not None
    show(d, ["residential_areas"], 43.866, 126.55, 12)
    assert layer_state(d)["residential_areas"]["mode"] == "features"
    pos = show(d, ["residential_areas"], 43.866, 126.55, 11)
    state = layer_state(d)["residential_areas"]
    assert state["mode"] == "hexagons" and state["zoom"] == 11 and state["drawn"] > 20, state
    # the hexagon with the largest population well inside the view: its centre, value and count
    hexes = d.execute_script(
        """
        const [left, top, width, height] = arguments;
        const map = window.geoRiskMap;
        return window.geoRiskLayers.residential_areas.getLayers().map(l => {
          const c = l.getBounds().getCenter(); const p = map.latLngToContainerPoint(c);
          return {x: left + p.x, y: top + p.y, props: l.feature.properties, id: l.feature.id};
        }).filter(h => h.x > left + 40 && h.x < left + width - 40 && h.y > top + 40 && h.y < top + height - 40);
        """,
        pos["left"], pos["top"], pos["width"], pos["height"],
    )
    assert hexes, "no hexagon inside the view"
    best = max(hexes, key=lambda h: h["props"]["value"])
    assert best["props"]["aggregate"] == "sum" and best["props"]["population"] == best["props"]["value"]
    assert best["props"]["count"] >= 1 and best["id"].startswith("11/")
    png = screenshot(d, "residential_hexagons_z11.png")
    got = pixel_at(png, best["x"] * pos["dpr"], best["y"] * pos["dpr"])
    assert_close(got, over_white(ramp_colour("residential_areas", best["props"]["value"]), HEX_OPACITY),
                 what=f"hexagon {best['id']} population {best['props']['value']}")
    # its popup: count and value with the bilingual label; the legend shows the hexagon ramp
    popup = d.execute_script(
        """
        const id = arguments[0];
        const l = window.geoRiskLayers.residential_areas.getLayers().find(x => x.feature.id === id);
        l.openPopup();  // read this popup's own element: a closed one fades out for 200 ms
        return l.getPopup().getElement().querySelector('.leaflet-popup-content').innerText;
        """,
        best["id"],
    )
    d.execute_script("document.querySelector('.leaflet-control-container').style.visibility = ''")
    d.execute_script("return new Promise(r => setTimeout(r, 400))")  # the popup fades in
    screenshot(d, "residential_hexagon_popup_z11.png")
    d.execute_script("window.geoRiskMap.closePopup()")
    assert "人口（每六边形） Population per hexagon" in popup and "要素数 Features" in popup
    assert f"{best['props']['value']:,}" in popup and "六边形汇总 hexagon aggregate" in popup
    show(d, None)
    legend = d.find_element("css selector", ".gr-legend").text
    assert "六边形汇总 Hexagons" in legend and "人口（每六边形）" in legend and "Population per hexagon" in legend
    assert "> 20,000" in legend and "≤ 100" in legend


def test_hazard_sources_below_min_zoom_are_hexagons_in_grade_colours(map_page, webmap_db_url: str,
                                                                     screenshot) -> None:
    from geo_risk.store.db import get_engine

    d = map_page
    layer = REGISTRY["hazard_sources"]
    assert layer.aggregate is not None and layer.aggregate.how == "min"
    pos = show(d, ["hazard_sources"], 43.87, 126.55, layer.min_zoom - 1)
    assert layer_state(d)["hazard_sources"]["mode"] == "hexagons"
    hexes = d.execute_script(
        "const map = window.geoRiskMap; return window.geoRiskLayers.hazard_sources.getLayers().map(l => {"
        " const p = map.latLngToContainerPoint(l.getBounds().getCenter());"
        " return {x: p.x, y: p.y, grade: l.feature.properties.grade, count: l.feature.properties.count}; })"
    )
    with get_engine(webmap_db_url).connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM hazard_sources_map")).scalar_one()
    assert sum(h["count"] for h in hexes) == total, "every hazard source is in one hexagon"
    png = screenshot(d, "hazard_source_hexagons_z7.png")
    for h in hexes:
        colour = layer.style.classes[str(h["grade"])][0]
        got = pixel_at(png, (pos["left"] + h["x"]) * pos["dpr"], (pos["top"] + h["y"]) * pos["dpr"])
        assert_close(got, over_white(colour, HEX_OPACITY), what=f"hexagon of grade {h['grade']}")


# -- in the browser: legend, switcher, popups -----------------------------------------------------
def test_legend_and_layer_switcher_are_bilingual(map_page) -> None:
    d = map_page
    show(d, None, 43.87, 126.56, 13)  # every layer as features: every class in the legend
    legend = d.find_element("css selector", ".gr-legend").text
    for layer_id in PUBLIC_LAYERS:
        layer = REGISTRY[layer_id]
        assert layer.title_zh in legend and layer.title_en in legend, layer.id
        for _, zh, en in layer.style.classes.values():
            assert zh in legend and en in legend
    assert legend.index("化工园区") < legend.index("Chemical parks")
    switcher = d.find_element("css selector", ".leaflet-control-layers").text
    for layer_id in PUBLIC_LAYERS:
        assert f"{REGISTRY[layer_id].title_zh} {REGISTRY[layer_id].title_en}" in switcher
    assert "无底图 No base map" in switcher and "开放街图 OpenStreetMap" in switcher
    assert "天地图" not in switcher  # no token configured
    checked = d.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-base input')]"
        ".filter(i => i.checked).map(i => i.nextElementSibling.textContent.trim())"
    )
    assert checked == ["无底图 No base map"]
    assert d.find_elements("css selector", ".leaflet-control-scale-line")
    # switching a layer off and on: off the legend, then back, drawn for the current view
    d.execute_script("window.geoRiskMap.removeLayer(window.geoRiskLayers.enterprises)")
    assert "Enterprises" not in d.find_element("css selector", ".gr-legend").text
    show_all(d)
    assert "Enterprises" in d.find_element("css selector", ".gr-legend").text


def test_popup_shows_bilingual_fields_and_values(map_page, hazard_sources_by_grade) -> None:
    d = map_page
    _, lat, lon = hazard_sources_by_grade[1]
    show(d, None, lat, lon, 14)
    popup, props = d.execute_script(
        """
        const layer = window.geoRiskLayers.hazard_units.getLayers()[0];
        layer.openPopup();
        const el = layer.getPopup().getElement().querySelector('.leaflet-popup-content');
        const t = el ? el.innerText : '';
        window.geoRiskMap.closePopup();
        return [t, layer.feature.properties];
        """
    )
    assert "名称 Name" in popup and "单元类型 Unit type" in popup and "所属企业 Enterprise" in popup
    unit = {"production": "生产单元", "storage": "储存单元"}[props["unit_type"]]
    assert unit in popup
    assert props["enterprise_id"] in popup  # shown as "enterprise name (id)"
    assert "危险化学品单元 Hazard units" in popup


def test_hazard_source_popup_shows_its_key_fields(map_page, hazard_sources_by_grade, screenshot) -> None:
    d = map_page
    uid, lat, lon = hazard_sources_by_grade[1]
    show(d, None, lat, lon, 16)
    popup, props, r_text = d.execute_script(
        """
        const layer = window.geoRiskLayers.hazard_sources.getLayers().find(l => l.feature.id === arguments[0]);
        layer.openPopup();
        const t = layer.getPopup().getElement().querySelector('.leaflet-popup-content').innerText;
        const p = layer.feature.properties;
        return [t, p, p.r.toLocaleString('zh-CN', {maximumFractionDigits: 1})];
        """,
        uid,
    )
    d.execute_script("return new Promise(r => setTimeout(r, 400))")  # the popup fades in
    screenshot(d, "hazard_source_popup.png")
    d.execute_script("window.geoRiskMap.closePopup()")
    for label in ("企业名称 Enterprise", "重大危险源级别 Hazard grade", "R 值 R (GB 18218)",
                  "主要危险化学品 Main chemicals", "外部安全防护距离 (m) Safety distance (m)"):
        assert label in popup, (label, popup)
    assert props["enterprise_name"] in popup and "一级重大危险源 Grade 1 major hazard" in popup
    assert props["main_substances"].split("、")[0] in popup
    assert r_text in popup


# -- in the browser: colours on screen ------------------------------------------------------------
def _largest_hazard_unit(sample_city: Path, url: str) -> tuple[str, float, float]:
    """The largest hazard-unit footprint of the GeoPackage whose interior point no other unit covers."""
    import geopandas as gpd

    from geo_risk.store.db import get_engine

    units = gpd.read_file(sample_city, layer="hazard_units")
    area = units.to_crs(units.estimate_utm_crs()).area
    with get_engine(url).connect() as conn:
        for uid in units.loc[area.sort_values(ascending=False).index, "id"]:
            row = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p), (SELECT count(*) FROM hazard_units o WHERE o.id <> :id"
                " AND ST_Intersects(o.geom, ST_Buffer(p, 0.0002)))"
                " FROM (SELECT ST_PointOnSurface(geom) AS p FROM hazard_units WHERE id = :id) s"
            ), {"id": uid}).one()
            if row[2] == 0:
                return uid, row[1], row[0]
    raise AssertionError("no hazard unit stands clear of the others")


def test_hazard_unit_is_painted_in_the_registry_colour(
    map_page, sample_city: Path, webmap_db_url: str, screenshot
) -> None:
    d = map_page
    uid, lat, lon = _largest_hazard_unit(sample_city, webmap_db_url)
    pos = show(d, ["hazard_units"], lat, lon, 16)
    assert layer_state(d)["hazard_units"]["mode"] == "features"
    png = screenshot(d, "hazard_unit_z16.png")
    style = REGISTRY["hazard_units"].style
    assert_close(pixel_at(png, *centre_point(d, pos)), over_white(style.fill, style.fill_opacity),
                 what=f"hazard unit {uid}")


def test_hazard_sources_are_painted_in_their_grade_colour(map_page, hazard_sources_by_grade, screenshot) -> None:
    d = map_page
    style = REGISTRY["hazard_sources"].style
    assert sorted(hazard_sources_by_grade) == [1, 2, 3, 4]
    for grade, (uid, lat, lon) in hazard_sources_by_grade.items():
        pos = show(d, ["hazard_sources"], lat, lon, 16)
        png = screenshot(d, f"hazard_source_grade{grade}_z16.png")
        colour = style.classes[str(grade)][0]
        assert_close(pixel_at(png, *centre_point(d, pos)), over_white(colour, style.fill_opacity),
                     what=f"hazard source {uid} (grade {grade})")


def test_hazard_sources_get_stand_in_markers_at_city_scale(map_page, webmap_db_url: str, screenshot) -> None:
    from geo_risk.store.db import get_engine

    d = map_page
    style = REGISTRY["hazard_sources"].style
    assert style.marker_below_zoom == 14
    with get_engine(webmap_db_url).connect() as conn:  # a source no other comes within 400 m of
        uid, grade, lat, lon = conn.execute(text(
            "SELECT id, grade, (ST_YMin(geom) + ST_YMax(geom)) / 2, (ST_XMin(geom) + ST_XMax(geom)) / 2"
            "  FROM hazard_sources_map s WHERE NOT EXISTS (SELECT 1 FROM hazard_sources_map o"
            "  WHERE o.id <> s.id AND ST_DWithin(o.geom::geography, s.geom::geography, 400))"
            " ORDER BY grade, id LIMIT 1"
        )).one()
    pos = show(d, ["hazard_sources"], lat, lon, 12)
    png = screenshot(d, "hazard_sources_stand_ins_z12.png")
    n_stand_ins = d.execute_script(
        "return window.geoRiskLayers.hazard_sources.getLayers().filter(l => l.grStandIn).length"
    )
    assert n_stand_ins > 0
    # the marker in the grade colour: alone over white, or over its own polygon (a pixel or two at
    # this zoom, which the SVG renderer may drop)
    colour = style.classes[str(grade)][0]
    got = pixel_at(png, *centre_point(d, pos))
    alone = over_white(colour, style.fill_opacity)
    over_polygon = over_white(colour, 1 - (1 - style.fill_opacity) ** 2)
    nearest = min((alone, over_polygon), key=lambda w: max(abs(g - v) for g, v in zip(got, w, strict=True)))
    assert_close(got, nearest, what=f"stand-in marker of {uid} (grade {grade})")
    show(d, ["hazard_sources"], lat, lon, 14)
    assert d.execute_script(
        "return window.geoRiskLayers.hazard_sources.getLayers().filter(l => l.grStandIn).length"
    ) == 0


def test_protection_target_marker_has_its_class_colour(map_page, webmap_db_url: str, screenshot) -> None:
    from geo_risk.store.db import get_engine

    d = map_page
    style = REGISTRY["protection_targets"].style
    other_colours = [k for k, (c, _, _) in style.classes.items() if c.lower() != style.fill.lower()]
    with get_engine(webmap_db_url).connect() as conn:
        row = conn.execute(text(
            "SELECT id, category, ST_Y(geom), ST_X(geom) FROM protection_targets t"
            " WHERE GeometryType(geom) = 'POINT' AND category = ANY(:cats) AND NOT EXISTS ("
            "  SELECT 1 FROM protection_targets o WHERE o.id <> t.id"
            "  AND ST_DWithin(o.geom::geography, t.geom::geography, 80))"
            " ORDER BY id LIMIT 1"
        ), {"cats": other_colours}).one()
    tid, category, lat, lon = row
    pos = show(d, ["protection_targets"], lat, lon, 16)
    png = screenshot(d, "protection_target_z16.png")
    colour = style.classes[category][0]
    assert_close(pixel_at(png, *centre_point(d, pos)), over_white(colour, style.fill_opacity),
                 what=f"target {tid} ({category})")


def test_paging_follows_next_links_and_says_when_capped(chromium, webmap_server: str, screenshot) -> None:
    d = chromium
    open_page(d, f"{webmap_server}/map?page_limit=100&max_pages=3")
    show(d, None, 43.87, 126.56, 13)
    state = layer_state(d)
    res, targets = state["residential_areas"], state["protection_targets"]
    assert res["capped"] and res["n"] == 300 and res["matched"] > 300, res
    assert 100 < targets["matched"] <= 300 and targets["n"] == targets["matched"] and not targets["capped"], targets
    assert targets["requests"] >= 2
    notice = d.find_element("css selector", ".gr-notice")
    assert notice.is_displayed()
    assert f"居民区：仅显示 300 / {res['matched']:,}" in notice.text and "Residential areas: showing 300" in notice.text
    screenshot(d, "capped_notice.png")
    assert not [u for u in requests_seen(d) if not u.startswith(webmap_server + "/")]


def test_overview_and_no_request_left_the_machine(map_page, webmap_server: str, screenshot) -> None:
    d = map_page
    d.execute_script(
        "const m = window.geoRiskMap; m.closePopup();"
        "m.fitBounds(L.latLngBounds([43.716, 126.328], [44.016, 126.770]), {padding: [24, 24], animate: false});"
    )
    show(d, None)
    png = screenshot(d, "overview.png")
    from PIL import Image

    # Residential areas, drawn as hexagons at city scale, are visible on screen in ramp colours.
    img = Image.open(io.BytesIO(png)).convert("RGB")
    agg = REGISTRY["residential_areas"].aggregate
    assert agg is not None and d.execute_script("return window.geoRiskMap.getZoom()") < 12
    wants = [over_white(c, HEX_OPACITY) for _, c in agg.ramp]
    hits = sum(
        1 for x in range(0, img.width, 4) for y in range(60, img.height - 40, 4)
        if any(max(abs(a - b) for a, b in zip(img.getpixel((x, y)), w, strict=True)) <= 8 for w in wants[1:])
    )
    assert hits > 50, "residential hexagons are not visible in the overview"
    urls = requests_seen(d)
    outside = [u for u in urls if not u.startswith(webmap_server + "/")]
    assert not outside, f"requests left the machine: {outside}"
    assert not [u for u in urls if WHOLE_LAYER.search(u)], "the whole-layer endpoint was used"
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors: {severe}"


# -- geo-risk render-map --------------------------------------------------------------------------
def test_build_map_html_is_self_contained_and_escapes(vendored_leaflet: Path) -> None:
    from geo_risk.errors import InvalidInput
    from layers.render import build_map_html, read_assets

    evil = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": "P1", "geometry": {"type": "Point", "coordinates": [126.5, 43.9]},
        "properties": {"id": "P1", "name": "</script><script>alert(1)</script>&amp;"},
    }]}
    page = build_map_html([REGISTRY["chemical_parks"]], {"chemical_parks": evil}, read_assets(), data_version=7)
    assert page.count("</script>") == 3  # config, Leaflet, map.js: nothing closes a block early
    assert "alert(1)" in page and "<script>alert(1)" not in page
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*stylesheet", page)
    assert "url(images/" not in page and "data:image/png;base64," in page
    config = json.loads(re.search(r'id="geo-risk-config">(.*?)</script>', page, re.S).group(1))
    assert config["static_data"]["features"]["chemical_parks"] == evil
    assert config["tianditu_token"] is None and config["static_data"]["data_version"] == 7
    with pytest.raises(InvalidInput, match="restricted"):
        build_map_html([REGISTRY["inventory"]], {}, read_assets())


def test_render_map_refuses_restricted_layers_and_bad_paths(cli_env: str, tmp_path: Path,
                                                            vendored_leaflet: Path) -> None:
    from typer.testing import CliRunner

    from geo_risk.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["render-map", "--out", str(tmp_path / "m.html"), "--layers", "hazard_sources,inventory"])
    assert r.exit_code == 1 and "restricted" in r.output and "never written" in r.output, r.output
    r = runner.invoke(app, ["render-map", "--out", str(tmp_path / "m.html"), "--layers", "nope"])
    assert r.exit_code == 1 and "no layer 'nope'" in r.output, r.output
    r = runner.invoke(app, ["render-map", "--out", str(tmp_path / "m.pdf")])
    assert r.exit_code == 1 and ".html" in r.output, r.output
    assert not list(tmp_path.glob("*.html"))


def test_render_map_file_is_self_contained_and_drawn(
    cli_env: str, sample_city: Path, chromium, tmp_path: Path, screenshot, vendored_leaflet: Path
) -> None:
    from helpers import load
    from typer.testing import CliRunner

    from geo_risk.cli import app
    from geo_risk.store.db import get_engine

    load(sample_city, cli_env)
    out = tmp_path / "share" / "map.html"
    out.parent.mkdir()
    r = CliRunner().invoke(app, ["render-map", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "grading first" in r.output  # the loaded city had no GB 18218 results yet
    assert f"written to {out}" in r.output and "MB)" in r.output, r.output
    size = out.stat().st_size
    assert f"({size / 1e6:.1f} MB)" in r.output
    with get_engine(cli_env).connect() as conn:
        counts = {i: conn.execute(text(f"SELECT count(*) FROM {REGISTRY[i].table}")).scalar_one()  # noqa: S608
                  for i in PUBLIC_LAYERS}
        by_grade = conn.execute(text(
            "SELECT DISTINCT ON (grade) grade, id, ST_Y((c).center), ST_X((c).center) FROM ("
            "  SELECT s.grade, s.id, ST_MaximumInscribedCircle(s.geom) AS c FROM hazard_sources_map s"
            "   WHERE NOT EXISTS (SELECT 1 FROM hazard_sources_map o WHERE o.id <> s.id"
            "        AND ST_DWithin(o.geom::geography, s.geom::geography, 30))) x"
            " ORDER BY grade, (c).radius DESC"
        )).all()
    for layer_id, n in counts.items():
        assert f"{layer_id} {n:,}" in r.output

    d = chromium
    open_page(d, out.as_uri())
    assert d.execute_script("return window.geoRiskStatic") is True
    assert d.execute_script("return window.geoRiskRegistry.map(d => d.id)") == list(PUBLIC_LAYERS)
    screenshot(d, "render_map_overview.png")
    state = layer_state(d)
    assert {k: s["n"] for k, s in state.items()} == counts
    # no hexagons without the server: features at every zoom, residential areas at zoom 9 too
    show(d, ["residential_areas"], 43.866, 126.55, 9)
    assert layer_state(d)["residential_areas"]["mode"] == "features"
    assert d.execute_script("return window.geoRiskLayers.residential_areas.getLayers().length") == counts[
        "residential_areas"
    ]
    style = REGISTRY["hazard_sources"].style
    assert [int(g) for g, *_ in by_grade] == [1, 2, 3, 4]
    for grade, uid, lat, lon in by_grade:
        pos = show(d, ["hazard_sources"], lat, lon, 16)
        png = screenshot(d, f"render_map_grade{grade}_z16.png")
        assert_close(pixel_at(png, *centre_point(d, pos)), over_white(style.classes[str(grade)][0], style.fill_opacity),
                     what=f"static map: hazard source {uid} (grade {grade})")
    popup = d.execute_script(
        "const l = window.geoRiskLayers.hazard_sources.getLayers().find(x => x.feature.id === arguments[0]);"
        "l.openPopup(); const t = l.getPopup().getElement().querySelector('.leaflet-popup-content').innerText;"
        "window.geoRiskMap.closePopup(); return t;",
        by_grade[0][1],
    )
    assert "一级重大危险源 Grade 1 major hazard" in popup and "主要危险化学品 Main chemicals" in popup
    show_all(d)
    legend = d.find_element("css selector", ".gr-legend").text
    assert "一级重大危险源" in legend and "Grade 1 major hazard" in legend and "六边形" not in legend
    # self-contained: the document itself is the only request (data: URIs aside)
    urls = requests_seen(d)
    others = [u for u in urls if u != out.as_uri() and not u.startswith("data:")]
    assert not others, f"the static file made requests: {others}"
    assert out.as_uri() in urls
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors: {severe}"
