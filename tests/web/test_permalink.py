"""The web map's permalink: ``#<zoom>/<lat>/<lon>/layers=<id>,…`` in the URL restores the view and the
layers shown, on ``/map`` and in a ``geo-risk render-map`` file, and follows every move and layer
switch; a hash that does not validate leaves the defaults and never breaks the map.

Expected positions are computed independently with the Web Mercator pixel maths of a 256 px tile
(one pixel at zoom z spans 360 / (256 · 2^z) degrees of longitude).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest

from layers.registry import PUBLIC_LAYERS, REGISTRY

LOAD_TIMEOUT_S = 30
DEFAULT_LAYERS = [i for i in PUBLIC_LAYERS if REGISTRY[i].visible]

# The map's view and the layers it shows, read from the page (and the switcher's check boxes).
MAP_STATE = """
const map = window.geoRiskMap;
const c = map.getCenter();
const labels = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
  .filter(l => l.querySelector('input').checked).map(l => l.textContent.trim());
return {zoom: map.getZoom(), lat: c.lat, lon: c.lng, hash: window.location.hash,
        layers: window.geoRiskRegistry.map(d => d.id).filter(id => map.hasLayer(window.geoRiskLayers[id])),
        checked: labels, history: window.history.length, loaded: document.body.dataset.layersLoaded,
        requests: Object.fromEntries(Object.entries(window.geoRiskLayerState).map(([k, s]) => [k, s.requests]))};
"""


def open_map(d: Any, url: str) -> dict[str, Any]:
    """Open ``url`` afresh, wait until its layers are drawn and the hash is written; the map's state."""
    from selenium.webdriver.support.ui import WebDriverWait

    d.get("about:blank")
    d.get_log("browser")
    d.get(url)
    WebDriverWait(d, LOAD_TIMEOUT_S).until(
        lambda drv: drv.execute_script("return document.body.dataset.layersLoaded || ''") in ("true", "error")
    )
    state = d.execute_script(MAP_STATE)
    assert state["loaded"] == "true", d.find_element("id", "status").text
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors on {url}: {severe}"
    return state


def wait_for_hash(d: Any, old: str) -> str:
    """The page's hash once it differs from ``old`` (it is written after a short debounce)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, 5).until(lambda drv: drv.execute_script("return window.location.hash") != old)
    return d.execute_script("return window.location.hash")


def parse(hash_: str) -> tuple[float, float, float, list[str]]:
    """``#z/lat/lon/layers=a,b`` → (zoom, lat, lon, [a, b]), by plain string handling."""
    zoom, lat, lon, layers = hash_.lstrip("#").split("/")
    assert layers.startswith("layers=")
    ids = layers[len("layers="):]
    return float(zoom), float(lat), float(lon), ids.split(",") if ids else []


def degrees_per_pixel(zoom: float) -> float:
    """Degrees of longitude one screen pixel spans at ``zoom`` (Web Mercator, 256 px tiles)."""
    return 360 / (256 * 2**zoom)


def title(layer_id: str) -> str:
    return f"{REGISTRY[layer_id].title_zh} {REGISTRY[layer_id].title_en}"


@pytest.fixture(scope="module")
def server(webmap_server: str) -> str:
    return webmap_server


@pytest.fixture(scope="module")
def default_view(chromium, server: str) -> dict[str, Any]:
    """What /map shows without a hash: the registry's default layers, fitted to their extent."""
    return open_map(chromium, f"{server}/map")


# -- /map -----------------------------------------------------------------------------------------
def test_plain_map_gets_a_permalink_of_its_default_view(default_view: dict[str, Any]) -> None:
    zoom, lat, lon, layers = parse(default_view["hash"])
    assert layers == DEFAULT_LAYERS
    assert zoom == default_view["zoom"]
    # as many decimals as make a pixel: the written centre is within half a pixel of the map's
    half_pixel = degrees_per_pixel(zoom) / 2
    assert lon == pytest.approx(default_view["lon"], abs=half_pixel)
    assert lat == pytest.approx(default_view["lat"], abs=half_pixel)


@pytest.fixture(scope="module")
def grade1_source(webmap_db_url: str) -> tuple[str, float, float]:
    """A grade-1 hazard source (polygon) no other comes within 30 m of: id, lat and lon of the centre
    of its largest inscribed circle (a point surely painted in its colour)."""
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    with get_engine(webmap_db_url).connect() as conn:
        row = conn.execute(text(
            "SELECT id, ST_Y((c).center), ST_X((c).center) FROM ("
            "  SELECT s.id, ST_MaximumInscribedCircle(s.geom) AS c FROM hazard_sources_map s"
            "   WHERE s.grade = 1 AND GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT EXISTS ("
            "     SELECT 1 FROM hazard_sources_map o WHERE o.id <> s.id"
            "        AND ST_DWithin(o.geom::geography, s.geom::geography, 30))) x"
            " ORDER BY (c).radius DESC LIMIT 1"
        )).one()
    return row[0], round(float(row[1]), 5), round(float(row[2]), 5)  # 5 decimals: ≈ 1 m


def test_opening_a_permalink_restores_view_and_layers(chromium, server: str, grade1_source, screenshot) -> None:
    from PIL import Image

    d = chromium
    uid, lat, lon = grade1_source
    state = open_map(d, f"{server}/map#16/{lat}/{lon}/layers=hazard_sources")
    assert state["zoom"] == 16
    assert state["lat"] == pytest.approx(lat, abs=1e-9) and state["lon"] == pytest.approx(lon, abs=1e-9)
    assert state["layers"] == ["hazard_sources"]
    assert state["checked"] == [title("hazard_sources")]  # the layer switcher agrees
    # only the linked layer was asked for, and drawn as features (zoom 16 ≥ its min_zoom)
    assert {k: v for k, v in state["requests"].items() if v} == {"hazard_sources": 1}
    assert d.execute_script("return window.geoRiskLayerState.hazard_sources.mode") == "features"
    assert state["hash"] == f"#16/{lat}/{lon}/layers=hazard_sources"  # already canonical: kept
    # on screen: the middle of the map is the grade-1 source, painted in the registry's grade colour
    x, y = d.execute_script(
        "const r = window.geoRiskMap.getContainer().getBoundingClientRect();"
        "return [(r.left + r.width / 2) * devicePixelRatio, (r.top + r.height / 2) * devicePixelRatio];"
    )
    png = screenshot(d, "permalink_z16_hazard_sources.png")
    style = REGISTRY["hazard_sources"].style
    want = tuple(style.fill_opacity * int(style.classes["1"][0].lstrip("#")[i:i + 2], 16)
                 + (1 - style.fill_opacity) * 255 for i in (0, 2, 4))
    got = Image.open(io.BytesIO(png)).convert("RGB").getpixel((round(x), round(y)))
    assert max(abs(g - w) for g, w in zip(got, want, strict=True)) <= 6, (uid, got, want)


def test_moving_and_switching_layers_rewrite_the_hash(chromium, server: str) -> None:
    d = chromium
    state = open_map(d, f"{server}/map#15/43.87/126.56/layers=hazard_sources")
    history = state["history"]
    # pan 300 px east: the centre moves 300 pixels' worth of longitude, latitude unchanged
    d.execute_script("window.geoRiskMap.panBy([300, 0], {animate: false})")
    zoom, lat, lon, layers = parse(wait_for_hash(d, state["hash"]))
    assert zoom == 15 and layers == ["hazard_sources"]
    half_pixel = degrees_per_pixel(15) / 2
    assert lon == pytest.approx(126.56 + 300 * degrees_per_pixel(15), abs=2 * half_pixel)
    assert lat == pytest.approx(43.87, abs=half_pixel)
    # zoom out by one: the hash says 14
    before = d.execute_script("return window.location.hash")
    d.execute_script("window.geoRiskMap.zoomOut(1, {animate: false})")
    assert parse(wait_for_hash(d, before))[0] == 14
    # a click in the layer switcher adds a layer: listed in registry order
    before = d.execute_script("return window.location.hash")
    label = next(el for el in d.find_elements("css selector", ".leaflet-control-layers-overlays label")
                 if el.text.strip() == title("enterprises"))
    label.find_element("css selector", "input").click()
    ids = parse(wait_for_hash(d, before))[3]
    assert ids == [i for i in PUBLIC_LAYERS if i in ("hazard_sources", "enterprises")]
    # … and a click removes both: "layers=" with nothing after it
    before = d.execute_script("return window.location.hash")
    for lid in ("enterprises", "hazard_sources"):
        label = next(el for el in d.find_elements("css selector", ".leaflet-control-layers-overlays label")
                     if el.text.strip() == title(lid))
        label.find_element("css selector", "input").click()
    final = wait_for_hash(d, before)
    d.execute_script("return new Promise(r => setTimeout(r, 400))")  # past the debounce
    final = d.execute_script("return window.location.hash")
    assert parse(final)[3] == []
    # the hash was replaced, not pushed: Back does not walk through every pan
    assert d.execute_script("return window.history.length") == history
    # and the rewritten link opens the same view
    reopened = open_map(d, f"{server}/map{final}")
    assert reopened["layers"] == [] and reopened["zoom"] == 14
    assert reopened["lon"] == pytest.approx(lon, abs=half_pixel * 2)


def test_editing_the_hash_moves_the_map(chromium, server: str) -> None:
    d = chromium
    open_map(d, f"{server}/map#15/43.87/126.56/layers=hazard_sources")
    d.execute_script("window.location.hash = '#13/43.8/126.5/layers=enterprises,chemical_parks'")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, 5).until(lambda drv: drv.execute_script("return window.geoRiskMap.getZoom()") == 13)
    WebDriverWait(d, LOAD_TIMEOUT_S).until(
        lambda drv: drv.execute_script("return document.body.dataset.layersLoaded") == "true"
    )
    state = d.execute_script(MAP_STATE)
    assert state["lat"] == pytest.approx(43.8, abs=1e-9) and state["lon"] == pytest.approx(126.5, abs=1e-9)
    assert state["layers"] == ["chemical_parks", "enterprises"]  # registry order
    assert state["checked"] == [title("chemical_parks"), title("enterprises")]
    d.execute_script("return new Promise(r => setTimeout(r, 400))")  # the canonical form is written back
    assert d.execute_script("return window.location.hash") == "#13/43.8/126.5/layers=chemical_parks,enterprises"


@pytest.mark.parametrize(
    ("fragment", "view_kept", "layers_kept"),
    [
        ("#abc/43.87/126.56/layers=hazard_sources", False, ["hazard_sources"]),  # not a number
        ("#15/95/126.56", False, None),  # latitude beyond the Mercator limit
        ("#15/43.87/181", False, None),  # longitude out of range
        ("#25/43.87/126.56", False, None),  # zoom beyond the map's 19
        ("#2/43.87/126.56", False, None),  # zoom below the map's 3
        ("#15/43.87/1e2", False, None),  # exponent notation is not a coordinate
        ("#15/43.87/Infinity", False, None),
        ("#15/NaN/126.56", False, None),
        ("#15/43.87", False, None),  # a missing part
        ("#15//126.56", False, None),
        ("#%E0%A4%A/x", False, None),  # malformed percent-encoding
        ("#layers=nope,neither", False, None),  # only unknown layers: the default layers
        ("#layers=inventory", False, None),  # a restricted layer is unknown to an anonymous caller
        ("#15/43.87/126.56/layers=nope,hazard_sources", True, ["hazard_sources"]),  # unknown id dropped
        ("#15/43.87/126.56/layers=", True, []),  # nothing shown, as asked
        ("#<script>alert(1)</script>", False, None),
    ],
)
def test_bad_permalinks_fall_back_to_the_defaults(
    chromium, server: str, default_view: dict[str, Any], fragment: str, view_kept: bool,
    layers_kept: list[str] | None,
) -> None:
    state = open_map(chromium, f"{server}/map{fragment}")  # loads without a browser error
    if view_kept:
        assert (state["zoom"], round(state["lat"], 6), round(state["lon"], 6)) == (15, 43.87, 126.56)
    else:
        assert state["zoom"] == default_view["zoom"]
        assert state["lat"] == pytest.approx(default_view["lat"], abs=1e-9)
        assert state["lon"] == pytest.approx(default_view["lon"], abs=1e-9)
    assert state["layers"] == (DEFAULT_LAYERS if layers_kept is None else layers_kept)
    # the URL now holds the canonical permalink of what is shown
    zoom, _, _, layers = parse(state["hash"])
    assert zoom == state["zoom"] and layers == state["layers"]


# -- geo-risk render-map --------------------------------------------------------------------------
def test_render_map_file_restores_and_follows_the_view(
    chromium, webmap_db_url: str, tmp_path: Path, vendored_leaflet: Path, screenshot
) -> None:
    from layers.render import render_map

    out = tmp_path / "shared map.html"
    render_map(webmap_db_url, out, ["chemical_parks", "enterprises", "hazard_sources"])
    d = chromium
    state = open_map(d, out.as_uri() + "#15/43.87/126.56/layers=hazard_sources")
    assert d.execute_script("return window.geoRiskStatic") is True
    assert (state["zoom"], state["layers"]) == (15, ["hazard_sources"])
    assert state["lat"] == pytest.approx(43.87, abs=1e-9) and state["lon"] == pytest.approx(126.56, abs=1e-9)
    assert state["checked"] == [title("hazard_sources")]
    screenshot(d, "permalink_render_map_z15.png")
    # a move is written into the file's URL too
    d.execute_script("window.geoRiskMap.panBy([0, 200], {animate: false})")
    zoom, lat, lon, layers = parse(wait_for_hash(d, state["hash"]))
    assert zoom == 15 and layers == ["hazard_sources"] and lon == pytest.approx(126.56, abs=degrees_per_pixel(15))
    # 200 px south in Web Mercator: y = ln(tan(π/4 + φ/2)); one pixel spans 2π / (256 · 2^15) of y
    y = math.log(math.tan(math.pi / 4 + math.radians(43.87) / 2)) - 200 * 2 * math.pi / (256 * 2**15)
    want_lat = math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)
    assert lat == pytest.approx(want_lat, abs=degrees_per_pixel(15))
    # without a hash the file shows every layer it holds, fitted to them
    plain = open_map(d, out.as_uri())
    assert plain["layers"] == ["chemical_parks", "enterprises", "hazard_sources"]
    assert plain["hash"].endswith("/layers=chemical_parks,enterprises,hazard_sources")
