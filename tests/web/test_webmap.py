"""The web map ``/map`` in a real headless Chromium, on a real PostGIS loaded with the sample city.

Checks: every layer is drawn and nothing is fetched from outside the server; the legend, layer
switcher and popups are bilingual; the colours on screen are the registry's (pixel checks).
"""

from __future__ import annotations

import io
import json
import re
import statistics
from pathlib import Path

import pytest
from sqlalchemy import text

from layers.registry import REGISTRY

LOAD_TIMEOUT_S = 30


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


SHOW_ONLY_AND_CENTRE = """
const [keep, lat, lon, zoom, done] = arguments;
const map = window.geoRiskMap;
map.closePopup();
for (const [id, layer] of Object.entries(window.geoRiskLayers)) {
  if (id === keep) map.addLayer(layer); else map.removeLayer(layer);
}
map.setView([lat, lon], zoom, {animate: false});
requestAnimationFrame(() => requestAnimationFrame(() => {
  const p = map.latLngToContainerPoint([lat, lon]);
  const r = map.getContainer().getBoundingClientRect();
  done({x: r.left + p.x, y: r.top + p.y, dpr: window.devicePixelRatio, zoom: map.getZoom()});
}));
"""

SHOW_ALL = """
const map = window.geoRiskMap;
for (const layer of Object.values(window.geoRiskLayers)) map.addLayer(layer);
"""


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def map_page(chromium, webmap_server: str):
    """/map opened once and waited for until every layer is drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.get(f"{webmap_server}/map")
    WebDriverWait(chromium, LOAD_TIMEOUT_S).until(
        lambda d: d.execute_script("return document.body.dataset.layersLoaded || ''") in ("true", "error")
    )
    state = chromium.execute_script("return document.body.dataset.layersLoaded")
    status = chromium.find_element("id", "status").text
    assert state == "true", f"the map reported a loading error: {status}"
    return chromium


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


# -- in the browser -------------------------------------------------------------------------------
def test_every_layer_is_drawn_from_this_server_only(map_page, webmap_server: str) -> None:
    d = map_page
    assert d.title == "geo_risk 重大危险源风险地图 / Major hazard risk map"
    # [id, features drawn, z-index of its pane], in the order the page drew them
    drawn = d.execute_script(
        "return window.geoRiskRegistry.map(def => [def.id, window.geoRiskLayers[def.id].getLayers().length,"
        " Number(window.geoRiskMap.getPane('gr-' + def.id).style.zIndex)])"
    )
    assert [row[0] for row in drawn] == list(REGISTRY)
    assert all(n > 0 for _, n, _ in drawn), drawn
    z = [row[2] for row in drawn]
    assert z == sorted(z) and len(set(z)) == len(z), f"layers are not stacked in registry order: {drawn}"
    resources = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    urls = [d.current_url, *resources]
    outside = [u for u in urls if not u.startswith(webmap_server + "/")]
    assert not outside, f"requests left the machine: {outside}"
    assert any(u.endswith(".geojson") for u in resources)
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors: {severe}"
    status = d.find_element("id", "status").text
    assert f"Loaded {len(REGISTRY)} layers" in status, status


def test_legend_and_layer_switcher_are_bilingual(map_page) -> None:
    d = map_page
    legend = d.find_element("css selector", ".gr-legend").text
    for layer in REGISTRY.values():
        assert layer.title_zh in legend and layer.title_en in legend, layer.id
        for _, zh, en in layer.style.classes.values():
            assert zh in legend and en in legend
    assert legend.index("化工园区") < legend.index("Chemical parks")
    switcher = d.find_element("css selector", ".leaflet-control-layers").text
    for layer in REGISTRY.values():
        assert f"{layer.title_zh} {layer.title_en}" in switcher
    assert "无底图 No base map" in switcher and "开放街图 OpenStreetMap" in switcher
    assert "天地图" not in switcher  # no token configured
    checked = d.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-base input')]"
        ".filter(i => i.checked).map(i => i.nextElementSibling.textContent.trim())"
    )
    assert checked == ["无底图 No base map"]
    assert d.find_elements("css selector", ".leaflet-control-scale-line")


def test_popup_shows_bilingual_fields_and_values(map_page) -> None:
    d = map_page
    html = d.execute_script(
        """
        const layer = window.geoRiskLayers.hazard_units.getLayers()[0];
        layer.openPopup();
        const el = document.querySelector('.leaflet-popup-content');
        const t = el ? el.innerText : '';
        window.geoRiskMap.closePopup();
        return [t, layer.feature.properties];
        """
    )
    popup, props = html
    assert "名称 Name" in popup and "单元类型 Unit type" in popup and "所属企业 Enterprise" in popup
    unit = {"production": "生产单元", "storage": "储存单元"}[props["unit_type"]]
    assert unit in popup
    assert props["enterprise_id"] in popup  # shown as "enterprise name (id)"
    assert "危险化学品单元 Hazard units" in popup


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
    map_page, sample_city: Path, webmap_db_url: str, artifacts: Path
) -> None:
    d = map_page
    uid, lat, lon = _largest_hazard_unit(sample_city, webmap_db_url)
    try:
        pos = d.execute_async_script(SHOW_ONLY_AND_CENTRE, "hazard_units", lat, lon, 16)
        png = d.get_screenshot_as_png()
    finally:
        d.execute_script(SHOW_ALL)
    (artifacts / "hazard_unit_z16.png").write_bytes(png)
    style = REGISTRY["hazard_units"].style
    got = pixel_at(png, pos["x"] * pos["dpr"], pos["y"] * pos["dpr"])
    assert_close(got, over_white(style.fill, style.fill_opacity), what=f"hazard unit {uid}")


def test_protection_target_marker_has_its_class_colour(map_page, webmap_db_url: str, artifacts: Path) -> None:
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
    try:
        pos = d.execute_async_script(SHOW_ONLY_AND_CENTRE, "protection_targets", lat, lon, 16)
        png = d.get_screenshot_as_png()
    finally:
        d.execute_script(SHOW_ALL)
    (artifacts / "protection_target_z16.png").write_bytes(png)
    colour = style.classes[category][0]
    got = pixel_at(png, pos["x"] * pos["dpr"], pos["y"] * pos["dpr"])
    assert_close(got, over_white(colour, style.fill_opacity), what=f"target {tid} ({category})")


def test_overview_screenshot(map_page, artifacts: Path) -> None:
    d = map_page
    d.execute_script(SHOW_ALL + "window.geoRiskMap.closePopup();")
    d.execute_script(
        "const m = window.geoRiskMap; const b = L.latLngBounds([]);"
        "Object.values(window.geoRiskLayers).forEach(l => b.extend(l.getBounds()));"
        "m.fitBounds(b, {padding: [24, 24], animate: false});"
    )
    png = d.get_screenshot_as_png()
    (artifacts / "overview.png").write_bytes(png)
    # Residential areas (green, drawn in every part of the city) are visible somewhere on screen.
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    res = REGISTRY["residential_areas"].style
    want = over_white(res.fill, res.fill_opacity)
    hits = sum(
        1 for x in range(0, img.width, 4) for y in range(60, img.height - 40, 4)
        if max(abs(a - b) for a, b in zip(img.getpixel((x, y)), want, strict=True)) <= 8
    )
    assert hits > 50, "residential areas are not visible in the overview"
