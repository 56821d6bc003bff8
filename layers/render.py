"""A self-contained static HTML web map of the store, for sharing without the server (``geo-risk render-map``).

The file holds everything the browser needs: Leaflet's JavaScript and CSS (from the vendored copy
under ``layers/static/vendor/``, its images as ``data:`` URIs), the web map's own ``map.js`` and
``map.css``, and every feature of the chosen PUBLIC layers as GeoJSON in the page's configuration
(``static_data``), which ``map.js`` draws instead of asking the API. This is the one place a whole
layer goes inline: the server's ``/map`` loads layers by viewport and zoom.

Restricted layers are never written into a file for sharing. The Tianditu token is never written
either; the optional OpenStreetMap base map stays off by default, and the page's
Content-Security-Policy forbids every other request, so opening the file fetches nothing.

:func:`build_map_html` is pure (registry entries + feature collections + assets → HTML text);
:func:`render_map` reads the store and writes the file.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import layers
from geo_risk.errors import InvalidInput, NotFound
from layers.registry import REGISTRY, LayerDef, get_layer

__all__ = [
    "MapAssets",
    "RenderReport",
    "MAX_INLINE_FEATURES",
    "read_assets",
    "select_layers",
    "value_labels",
    "build_map_html",
    "read_features",
    "check_map_path",
    "render_map",
]

LAYERS_DIR = Path(layers.__file__).resolve().parent
STATIC_DIR = LAYERS_DIR / "static"
LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet"
VENDOR_HINT = "make vendor  (or: bash layers/web/build.sh)"

#: More features than this (over all layers) make a file too big to open comfortably: refuse.
MAX_INLINE_FEATURES = 200_000
#: Features read per query from the store.
_PAGE = 20_000

#: The static page may load nothing but the optional OpenStreetMap tiles (off by default).
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: https://tile.openstreetmap.org; connect-src 'none'; font-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class MapAssets:
    """The text of the files the static page inlines."""

    leaflet_js: str
    leaflet_css: str
    leaflet_license: str
    map_js: str
    map_css: str


@dataclass
class RenderReport:
    """What :func:`render_map` wrote: the file, its size in bytes and the features per layer."""

    path: Path
    size: int
    features: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: layers, features, file and size."""
        per_layer = ", ".join(f"{k} {v:,}" for k, v in self.features.items())
        return (
            f"static map of {len(self.features)} layers ({per_layer}; {sum(self.features.values()):,} features) "
            f"written to {self.path} ({self.size / 1e6:.1f} MB)"
        )


# -- assets ---------------------------------------------------------------------------------------
def _inline_images(css: str, folder: Path) -> str:
    """``url(images/x.png)`` of Leaflet's CSS → ``data:`` URIs, so the page loads no image file."""

    def repl(match: re.Match[str]) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", repl, css)


def read_assets() -> MapAssets:
    """Leaflet (vendored) and the web map's script and styles.

    Raises
    ------
    NotFound
        When the vendored Leaflet has not been built, with the command that builds it.
    """
    js = LEAFLET_DIR / "leaflet.js"
    css = LEAFLET_DIR / "leaflet.css"
    if not (js.is_file() and css.is_file()):
        raise NotFound(f"Leaflet is not installed under {LEAFLET_DIR}: run  {VENDOR_HINT}")
    licence = LEAFLET_DIR / "LICENSE"
    return MapAssets(
        leaflet_js=js.read_text(encoding="utf-8"),
        leaflet_css=_inline_images(css.read_text(encoding="utf-8"), LEAFLET_DIR),
        leaflet_license=licence.read_text(encoding="utf-8") if licence.is_file() else "Leaflet: BSD-2-Clause",
        map_js=(STATIC_DIR / "map.js").read_text(encoding="utf-8"),
        map_css=(STATIC_DIR / "map.css").read_text(encoding="utf-8"),
    )


# -- pure part ------------------------------------------------------------------------------------
def select_layers(layer_ids: Sequence[str] | None = None) -> list[LayerDef]:
    """The layers to render: ``layer_ids`` (in registry order), else every public layer.

    Raises
    ------
    NotFound
        For an unknown layer id (naming the registered ones).
    InvalidInput
        For a restricted layer, which is never written into a file for sharing, or an empty list.
    """
    if layer_ids is None:
        return [d for d in REGISTRY.values() if d.tier == "public"]
    wanted = [i.strip() for i in layer_ids if i.strip()]
    if not wanted:
        raise InvalidInput("no layers given: name one or more of " + ", ".join(REGISTRY))
    chosen = {get_layer(i).id for i in wanted}
    restricted = [i for i in wanted if REGISTRY[i].tier != "public"]
    if restricted:
        raise InvalidInput(
            f"layer(s) {', '.join(restricted)} are restricted ({REGISTRY[restricted[0]].tier}) and are never "
            f"written into a file for sharing; public layers: "
            + ", ".join(d.id for d in REGISTRY.values() if d.tier == "public")
        )
    return [d for d in REGISTRY.values() if d.id in chosen]


def value_labels() -> dict[str, dict[str, list[str]]]:
    """Bilingual labels of coded values defined elsewhere in the project (protection-target kinds)."""
    from geo_risk.standards.gb36894 import TARGET_KINDS

    return {"kind": {code: [zh, en] for code, (zh, en) in TARGET_KINDS.items()}}


def _json_for_script(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``<``, ``>`` or ``&``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script(source: str) -> str:
    """JavaScript safe inside ``<script>``: a ``</script`` (in a string or comment) cannot close it."""
    return re.sub(r"</(script)", r"<\\/\1", source, flags=re.IGNORECASE)


def _style(source: str) -> str:
    return re.sub(r"</(style)", r"<\\/\1", source, flags=re.IGNORECASE)


def build_map_html(
    layer_defs: Sequence[LayerDef],
    features: Mapping[str, Mapping[str, Any]],
    assets: MapAssets,
    *,
    generated_at: datetime | None = None,
    data_version: int | None = None,
    labels: Mapping[str, Any] | None = None,
) -> str:
    """The static web map as one HTML document.

    ``features`` maps each layer id of ``layer_defs`` to a GeoJSON FeatureCollection (lon/lat);
    a layer without one is drawn empty. Restricted layers are refused (:class:`InvalidInput`).
    """
    restricted = [d.id for d in layer_defs if d.tier != "public"]
    if restricted:
        raise InvalidInput(f"restricted layer(s) {', '.join(restricted)} are never written into a file for sharing")
    stamp = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    empty = {"type": "FeatureCollection", "features": []}
    static_data = {
        "layers": [d.as_dict() for d in layer_defs],
        "features": {
            d.id: {"type": "FeatureCollection", "features": list((features.get(d.id) or empty).get("features", []))}
            for d in layer_defs
        },
        "generated_at": stamp,
        "data_version": data_version,
    }
    config = {"tianditu_token": None, "api_base": None, "value_labels": dict(labels or value_labels()),
              "static_data": static_data}
    brand = f"geo_risk · 静态导出 {stamp}" + (f"，数据版本 {data_version}" if data_version is not None else "")
    brand += " · static export" + (f", data version {data_version}" if data_version is not None else "")
    licence = html.escape(assets.leaflet_license).replace("--", "- -")
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="generator" content="geo_risk render-map">
<link rel="icon" href="data:,">
<title>geo_risk 重大危险源风险地图 / Major hazard risk map ({html.escape(stamp)})</title>
<!-- Leaflet (https://leafletjs.com), inlined:
{licence}
-->
<style>{_style(assets.leaflet_css)}</style>
<style>{_style(assets.map_css)}</style>
<script type="application/json" id="geo-risk-config">{_json_for_script(config)}</script>
</head>
<body>
<header class="gr-header">
  <h1><span class="zh">重大危险源风险地图</span> <span class="en">Major hazard risk map</span></h1>
  <span class="gr-brand">{html.escape(brand)}</span>
</header>
<main id="map" class="gr-map" aria-label="地图 Map"></main>
<footer class="gr-footer">
  <div id="status" class="gr-status" role="status" aria-live="polite">正在绘制图层… Drawing layers…</div>
</footer>
<noscript><p class="gr-noscript">地图需要 JavaScript。The map needs JavaScript.</p></noscript>
<script>{_script(assets.leaflet_js)}</script>
<script>{_script(assets.map_js)}</script>
</body>
</html>
"""


# -- I/O ------------------------------------------------------------------------------------------
def read_features(url: str, layer: LayerDef, budget: int = MAX_INLINE_FEATURES) -> dict[str, Any]:
    """Every feature of ``layer`` in the store as a GeoJSON FeatureCollection (pages by id).

    Raises
    ------
    InvalidInput
        When the layer has more than ``budget`` features (too many for a file to share).
    """
    from geo_risk.store.items import ItemsQuery, query_items

    out: list[Any] = []
    offset = 0
    while True:
        matched, returned, page = query_items(url, layer, ItemsQuery(limit=_PAGE, offset=offset))
        if matched > budget:
            raise InvalidInput(
                f"layer {layer.id!r} has {matched:,} features, more than a shared file should hold "
                f"({budget:,} left of {MAX_INLINE_FEATURES:,}): choose fewer layers with --layers"
            )
        out.extend(json.loads(page))
        offset += _PAGE
        if returned == 0 or offset >= matched:
            return {"type": "FeatureCollection", "features": out}


def check_map_path(out: Path | str) -> Path:
    """``out`` as a Path if it ends in .html (or .htm) and its folder exists; else :class:`InvalidInput`."""
    path = Path(out)
    if path.suffix.lower() not in (".html", ".htm"):
        raise InvalidInput(f"cannot write the map as {path.suffix or 'a file without suffix'!r} ({path}): "
                           "use a path ending in .html (e.g. map.html)")
    if not path.parent.exists():
        raise InvalidInput(f"the folder {path.parent} does not exist: create it or choose another --out path")
    return path


def render_map(url: str, out: Path | str, layer_ids: Sequence[str] | None = None) -> RenderReport:
    """Write the static web map of the store at ``url`` to ``out`` (.html); return what was written.

    Raises
    ------
    InvalidInput
        For a path not ending in .html/.htm or in a missing folder, a restricted layer or too many
        features; :class:`NotFound` for an unknown layer or a missing vendored Leaflet.
    """
    from geo_risk.store.db import data_version

    path = check_map_path(out)
    chosen = select_layers(layer_ids)
    assets = read_assets()
    collections: dict[str, dict[str, Any]] = {}
    budget = MAX_INLINE_FEATURES
    for layer in chosen:
        collections[layer.id] = read_features(url, layer, budget)
        budget -= len(collections[layer.id]["features"])
    text = build_map_html(chosen, collections, assets, data_version=data_version(url))
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return RenderReport(path, len(data), {k: len(v["features"]) for k, v in collections.items()})
