"""``/map``: the web map page, and ``/static/…``: its scripts, styles and the vendored Leaflet.

Everything the page loads is served by this app (Leaflet is fetched from npm at build time by
``layers/web/build.sh`` into ``layers/static/vendor/``); nothing is fetched from a CDN at run time,
so the map works on an air-gapped network. Base maps (OpenStreetMap, 天地图 Tianditu) are optional
and off by default: the page starts with "无底图 No base map".

A router cannot mount a sub-application, so the app calls :func:`install` (router + static mount).
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import layers

__all__ = ["router", "install", "STATIC_DIR", "TEMPLATE_PATH", "LEAFLET_JS", "VENDOR_HINT"]

LAYERS_DIR = Path(layers.__file__).resolve().parent
STATIC_DIR = LAYERS_DIR / "static"
TEMPLATE_PATH = LAYERS_DIR / "templates" / "map.html"
LEAFLET_JS = STATIC_DIR / "vendor" / "leaflet" / "leaflet.js"
VENDOR_HINT = "make vendor  (or: bash layers/web/build.sh)"

#: Content-Security-Policy of the page: scripts, styles and data only from this server; images may
#: also come from the two optional base-map tile hosts (only when the user picks a base map).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https://tile.openstreetmap.org https://*.tianditu.gov.cn; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)

router = APIRouter(tags=["map"])


@lru_cache(maxsize=1)
def _template() -> str:
    """The page template, read once."""
    return TEMPLATE_PATH.read_text(encoding="utf-8")


def _asset_version() -> str:
    """A cache-busting token for our own static files (changes when they change)."""
    stamps = [
        int(p.stat().st_mtime)
        for p in (STATIC_DIR / "map.js", STATIC_DIR / "tools.js", STATIC_DIR / "map.css", LEAFLET_JS,
                  STATIC_DIR / "live.js", STATIC_DIR / "alarms.js")
        if p.exists()
    ]
    return format(hash(tuple(stamps)) & 0xFFFFFFFF, "08x")


@lru_cache(maxsize=1)
def _value_labels() -> dict[str, dict[str, list[str]]]:
    """Bilingual labels of coded values defined elsewhere in the project (protection-target kinds)."""
    from geo_risk.standards.gb36894 import TARGET_KINDS

    return {"kind": {code: [zh, en] for code, (zh, en) in TARGET_KINDS.items()}}


@lru_cache(maxsize=1)
def _siting_choices() -> dict[str, Any]:
    """The decision tools' tables: the codes ``POST /api/v1/siting-check`` accepts (the form's choices) and the
    IR contour colours (level label → [colour, 中文, English]) the contours of its answer are drawn with."""
    from geo_risk.io.schema import EQUIPMENT, INVENTORY_STATES, UNIT_TYPES
    from layers.palette import IR_CONTOUR_COLOURS

    return {"unit_types": list(UNIT_TYPES), "inventory_states": list(INVENTORY_STATES), "equipment": list(EQUIPMENT),
            "ir_contours": {label: list(v) for label, v in IR_CONTOUR_COLOURS.items()}}


@lru_cache(maxsize=1)
def _live_labels() -> dict[str, Any]:
    """The live map's tables (issue 15): alarm kinds, priorities and states (中文, English), the four colours
    (hex, 中文, English) and the dynamic-colour rule (priority → levels raised)."""
    from geo_risk.analysis.colours import COLOURS
    from geo_risk.monitoring.alarms import KIND_LABELS
    from geo_risk.monitoring.dynamic_risk import RAISE_STEPS
    from geo_risk.monitoring.lifecycle import PRIORITY_LABELS, STATE_LABELS
    from layers.palette import RISK_COLOURS

    hexes = dict(zip(("red", "orange", "yellow", "blue"), (v[0] for v in RISK_COLOURS.values()), strict=True))
    return {"kinds": {k: list(v) for k, v in KIND_LABELS.items()},
            "priorities": {k: list(v) for k, v in PRIORITY_LABELS.items()},
            "states": {k: list(v) for k, v in STATE_LABELS.items()},
            "colours": {c: [hexes[c], zh, en] for c, (_, zh, en) in COLOURS.items()},
            "raise_steps": {k: v[0] for k, v in RAISE_STEPS.items()}}


def _config_json(request: Request) -> str:
    """``window.GEO_RISK_CONFIG`` as JSON, safe inside a ``<script type="application/json">``."""
    settings = getattr(request.app.state, "settings", None)
    token = getattr(settings, "tianditu_token", None) or None
    config = {"tianditu_token": token, "api_base": "/api/v1", "value_labels": _value_labels(),
              "siting": _siting_choices(), "live": _live_labels()}
    text = json.dumps(config, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _missing_vendor_page() -> str:
    hint = html.escape(VENDOR_HINT)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>geo_risk 地图不可用 / Map unavailable</title></head>
<body style="font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif;
             max-width: 44em; margin: 3em auto;">
<h1>地图前端库未安装 / The map's front-end library is not installed</h1>
<p>缺少 Leaflet 文件 <code>layers/static/vendor/leaflet/leaflet.js</code>。请在项目目录运行：</p>
<p>Leaflet is missing (<code>layers/static/vendor/leaflet/leaflet.js</code>). In the project folder run:</p>
<pre>{hint}</pre>
<p>该命令在构建时从 npm 获取 Leaflet；运行时地图不访问外网。<br>
It fetches Leaflet from npm at build time; at run time the map loads nothing from the Internet.</p>
</body></html>"""


#: The page that says how to build the front-end library when it is missing.
_MISSING_VENDOR = {503: {"description": "The vendored Leaflet has not been built: a page says how",
                         "content": {"text/html": {}}, "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}


# GET and HEAD as two routes of one function, so each has its own operationId in the OpenAPI document.
@router.head("/map", response_class=HTMLResponse, operation_id="web_map_head",
             summary="The web map's headers (HEAD of /map)", responses=_MISSING_VENDOR)
@router.get("/map", response_class=HTMLResponse, operation_id="web_map",
            summary="The web map (Leaflet) of the registered layers", responses=_MISSING_VENDOR)
def web_map(request: Request) -> HTMLResponse:
    """The map page; 503 with instructions when the vendored Leaflet has not been built."""
    if not LEAFLET_JS.is_file():
        return HTMLResponse(_missing_vendor_page(), status_code=503, headers={"Retry-After": "3600"})
    page = (
        _template()
        .replace("{{config_json}}", _config_json(request))
        .replace("{{asset_version}}", _asset_version())
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


ALARMS_TEMPLATE = LAYERS_DIR / "templates" / "alarms.html"


@router.get("/alarms", response_class=HTMLResponse, operation_id="alarm_page",
            summary="The alarm page: EEMUA 191 / ISA-18.2 figures and the alarms now (reads /api/v1/alarms/metrics)")
def alarm_page(request: Request) -> HTMLResponse:
    """The alarm-management page (issue 15): the figures of ``GET /api/v1/alarms/metrics`` over a window, the
    alarms standing now and the bad actors, bilingual; its script asks the API (with the map's key)."""
    page = (ALARMS_TEMPLATE.read_text(encoding="utf-8")
            .replace("{{config_json}}", _config_json(request))
            .replace("{{asset_version}}", _asset_version()))
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Add the ``/map`` route and serve ``/static/…`` from ``layers/static/``."""
    app.include_router(router)
    # check_dir=False: the app starts even from a checkout without built assets; /map then says why.
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
