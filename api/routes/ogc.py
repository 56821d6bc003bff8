"""OGC API - Features (Part 1 Core + GeoJSON + HTML, Part 3 CQL2 filtering) and OGC API - Tiles (MVT).

Paths: ``/`` landing page, ``/conformance``, ``/collections``, ``/collections/{id}``,
``/collections/{id}/queryables``, ``/collections/{id}/items`` and ``…/items/{featureId}``,
``/collections/{id}/tiles``, ``…/tiles/WebMercatorQuad`` (+ ``/tilejson.json``),
``…/tiles/WebMercatorQuad/{z}/{y}/{x}`` (tileMatrix/tileRow/tileCol), and
``/collections/{id}/hexagons`` (the aggregated view below a layer's minimum zoom, as GeoJSON for
the web map). Collections are the layers of ``layers.registry``; restricted layers exist only for
callers who may see them (``api.access.authorise_layer`` on every path).

Why not embed tipg: it introspects the database and serves every table it finds through its own
asyncpg pool, catalogue and templates; our layers are registry entries with tiers, styles, minimum
zooms with aggregation and a data-version tile cache, none of which tipg has a hook for. Wrapping
it would mean filtering its catalogue, rewriting its responses and running a second pool. We take
pygeofilter for CQL2 parsing (the part that is hard to get right) and write the SQL ourselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import os
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.access import Principal, authorise_layer, can_see, current_principal
from api.deps import get_app_settings, get_database_url
from api.openapi import HTML, JSON, errors, ok
from api.routes.layers import parse_bbox
from geo_risk import __version__
from geo_risk.errors import InvalidInput, NotFound
from geo_risk.settings import Settings
from layers.registry import REGISTRY

router = APIRouter(tags=["OGC API"])

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
]

#: Query parameters of /items that are not property filters.
ITEM_PARAMS = {"bbox", "bbox-crs", "datetime", "limit", "offset", "filter", "filter-lang", "filter-crs", "f",
               "include_history"}
#: A decimal number as bbox takes it (no spaces, exponent allowed); [0-9], not \d: ASCII digits only.
_NUMBER = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: ``bbox``: four numbers. That they are degrees in range with min ≤ max is said in its description.
BBOX_PATTERN = rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$"
BBOX_FORM = ("lon_min,lat_min,lon_max,lat_max: four numbers in degrees (CRS84), -180 ≤ lon_min ≤ lon_max ≤ 180 "
             "and -90 ≤ lat_min ≤ lat_max ≤ 90")
#: ``datetime``: an RFC 3339 instant (years 1000-9999, an offset or Z), or an interval with one or both
#: ends given (``..`` or nothing for an open end). That the date exists and start ≤ end is in the description.
_INSTANT = (r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:"
            r"[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])")
DATETIME_PATTERN = rf"^(?:{_INSTANT}|{_INSTANT}/(?:{_INSTANT}|\.\.)?|(?:\.\.)?/{_INSTANT})$"
DATETIME_FORM = ("an RFC 3339 instant (2024-01-31T00:00:00Z) or an interval start/end with .. or nothing for an "
                 "open end (2024-01-01T00:00:00Z/..), of dates that exist, start ≤ end, UTC offsets within ±15:59 "
                 "(what PostgreSQL holds); only on layers with a time")
FILTER_LANGS = Literal["cql2-text", "cql2-json"]
FILTER_CRSS = Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84", "EPSG:4326",
                      "http://www.opengis.net/def/crs/EPSG/0/4326"]
#: ``f`` of the metadata pages, and of features (geojson is json).
F_META = Annotated[Literal["json", "html"] | None,
                   Query(description="json or html; without it, the Accept header decides")]
F_FEATURES = Annotated[Literal["json", "geojson", "html"] | None,
                       Query(description="json or geojson (GeoJSON), or html; without it, the Accept header decides")]
#: Success of a page offered as JSON or HTML.
JSON_OR_HTML = ok(JSON, HTML, description="The document as JSON, or as HTML with f=html")
#: The limit on the hexagons of one request (geo_risk.store.tiles.hexagons_geojson).
HEXAGON_AREA = ("; at most ~200,000 hexagons: the bbox's Web Mercator area / (2.6·s²) ≤ 200,000, s the hexagon "
                "size of the zoom (40,075,016.69 m / 2^zoom / (16·√3)), else 422 (zoom in or send a smaller bbox)")
#: The ``include_history`` parameter of items, one item and exports.
INCLUDE_HISTORY = Query(description="also computed results whose inputs changed since (current = false), for "
                                    "layers of results (risk_contours); by default only current results")


# -- helpers --------------------------------------------------------------------------------------
def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        if f not in ("json", "html", "geojson"):
            raise InvalidInput(f"f={f!r} is not offered: use json or html")
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def _title(layer: Any) -> str:
    return f"{layer.title_zh} {layer.title_en}"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em;max-width:70em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _links_html(links: list[dict[str, Any]]) -> str:
    return "<ul>" + "".join(
        f"<li><a href='{html.escape(link['href'])}'>{html.escape(link.get('title') or link['rel'])}</a>"
        f" ({html.escape(link.get('type', ''))})</li>"
        for link in links
    ) + "</ul>"


def _visible(principal: Principal) -> list[Any]:
    return [d for d in REGISTRY.values() if can_see(principal, d.tier)]


def _collection(base: str, layer: Any, extent: tuple[float, float, float, float] | None) -> dict[str, Any]:
    c = f"{base}/collections/{layer.id}"
    links = [
        {"rel": "self", "type": "application/json", "title": "this collection", "href": c},
        {"rel": "alternate", "type": "text/html", "title": "this collection as HTML", "href": f"{c}?f=html"},
        {"rel": "items", "type": GEOJSON, "title": "items 要素", "href": f"{c}/items"},
        {"rel": "items", "type": "text/html", "title": "items as HTML", "href": f"{c}/items?f=html"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json",
         "title": "queryables", "href": f"{c}/queryables"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json",
         "title": "vector tiles 矢量瓦片", "href": f"{c}/tiles"},
    ]
    for fmt, mime in (("gpkg", "application/geopackage+sqlite3"), ("shp", "application/zip"),
                      ("geojson", GEOJSON), ("kml", "application/vnd.google-earth.kml+xml"),
                      ("fgb", "application/flatgeobuf"), ("csv", "text/csv")):
        links.append({"rel": "enclosure", "type": mime, "title": f"export {fmt} 导出", "href": f"{c}/export?f={fmt}"})
    out: dict[str, Any] = {
        "id": layer.id,
        "title": _title(layer),
        "description": f"{layer.title_zh} ({layer.title_en}); access: {layer.tier}; "
        f"every feature at zoom ≥ {layer.min_zoom}" + ("; hexagon aggregates below" if layer.aggregate else ""),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": links,
        "geo_risk:tier": layer.tier,
        "geo_risk:min_zoom": layer.min_zoom,
    }
    if extent is not None:
        out["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return out


def _extent(request: Request, url: str, layer: Any) -> tuple[float, float, float, float] | None:
    """The layer's extent, cached per data version."""
    from geo_risk.store.items import layer_extent

    watch = request.app.state.version_watch
    cache = request.app.state.extent_cache
    key = (layer.id, watch.version)
    if key not in cache:
        if len(cache) > 1000:
            cache.clear()
        cache[key] = layer_extent(url, layer)
    return cache[key]


# -- landing, conformance, collections ------------------------------------------------------------
@router.get("/", summary="Landing page 首页", response_class=Response, responses=JSON_OR_HTML)
def landing(request: Request, f: F_META = None) -> Response:
    base = _base(request)
    links = [
        {"rel": "self", "type": "application/json", "title": "this document", "href": f"{base}/"},
        {"rel": "alternate", "type": "text/html", "title": "this document as HTML", "href": f"{base}/?f=html"},
        {"rel": "service-desc", "type": OPENAPI, "title": "the API definition (OpenAPI)",
         "href": f"{base}/openapi.json"},
        {"rel": "service-doc", "type": "text/html", "title": "the API documentation", "href": f"{base}/docs"},
        {"rel": "conformance", "type": "application/json", "title": "conformance classes",
         "href": f"{base}/conformance"},
        {"rel": "data", "type": "application/json", "title": "collections 图层", "href": f"{base}/collections"},
        {"rel": "alternate", "type": "text/html", "title": "web map 风险地图", "href": f"{base}/map"},
    ]
    doc = {
        "title": "geo_risk 重大危险源风险地图服务",
        "description": "Major hazard sources, protection targets, parks and risk layers (OGC API - Features and Tiles)",
        "links": links,
    }
    if _wants_html(request, f):
        return _page(doc["title"], f"<p>{html.escape(doc['description'])}</p>{_links_html(links)}")
    return JSONResponse(doc)


@router.get("/conformance", summary="Conformance classes", response_class=Response, responses=JSON_OR_HTML)
def conformance(request: Request, f: F_META = None) -> Response:
    if _wants_html(request, f):
        return _page("Conformance", "<ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in CONFORMANCE) + "</ul>")
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="Collections (map layers) 图层", response_class=Response, responses=JSON_OR_HTML)
def collections(
    request: Request,
    f: F_META = None,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    base = _base(request)
    items = [_collection(base, d, _extent(request, url, d)) for d in _visible(principal)]
    links = [
        {"rel": "self", "type": "application/json", "title": "this document", "href": f"{base}/collections"},
        {"rel": "alternate", "type": "text/html", "title": "as HTML", "href": f"{base}/collections?f=html"},
    ]
    if _wants_html(request, f):
        rows = "".join(
            f"<tr><td><a href='{html.escape(c['links'][1]['href'])}'>{html.escape(c['id'])}</a></td>"
            f"<td>{html.escape(c['title'])}</td><td>{html.escape(c['geo_risk:tier'])}</td></tr>"
            for c in items
        )
        return _page("Collections 图层", f"<table><tr><th>id</th><th>title</th><th>access</th></tr>{rows}</table>")
    return JSONResponse({"links": links, "collections": items})


@router.get("/collections/{collectionId}", summary="One collection", response_class=Response,
            responses=JSON_OR_HTML)
def collection(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    f: F_META = None,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    layer = authorise_layer(collection_id, principal)
    doc = _collection(_base(request), layer, _extent(request, url, layer))
    if _wants_html(request, f):
        return _page(doc["title"], f"<p>{html.escape(doc['description'])}</p>{_links_html(doc['links'])}")
    return JSONResponse(doc)


@router.get("/collections/{collectionId}/queryables", summary="Queryable properties (JSON Schema)",
            response_class=Response, responses=ok("application/schema+json", description="A JSON Schema"))
def queryables(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.store.items import column_kinds

    layer = authorise_layer(collection_id, principal)
    kinds = column_kinds(url, layer.table)
    types = {"text": {"type": "string"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
             "timestamp": {"type": "string", "format": "date-time"}}
    props: dict[str, Any] = {"geom": {"title": "geometry", "format": "geometry-any",
                                      "x-ogc-role": "primary-geometry"}}
    names = list(layer.fields) + ([layer.time_field] if layer.time_field else [])
    for name in names:
        props[name] = {"title": name, **types.get(kinds.get(name, "text"), {"type": "string"})}
    if layer.time_field:
        props[layer.time_field]["x-ogc-role"] = "primary-instant"
    return JSONResponse(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{_base(request)}/collections/{layer.id}/queryables",
            "type": "object",
            "title": _title(layer),
            "properties": props,
            "additionalProperties": False,
        },
        media_type="application/schema+json",
    )


# -- items ----------------------------------------------------------------------------------------
def _filter(filter_: str | None, lang: str | None, crs: str | None) -> Any:
    from geo_risk.store.cql2 import parse_cql2

    if filter_ is None:
        if lang is not None or crs is not None:
            raise InvalidInput("filter-lang/filter-crs given without a filter")
        return None
    if crs not in (None, CRS84, "EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326"):
        raise InvalidInput(f"filter-crs {crs!r} is not supported: filter geometries are CRS84 (lon/lat)")
    lang = lang or ("cql2-json" if filter_.lstrip().startswith("{") else "cql2-text")
    return parse_cql2(filter_, lang)


@router.get("/collections/{collectionId}/items", summary="Features of a collection (GeoJSON, EPSG:4326 lon/lat)",
            response_class=Response,
            responses=ok(GEOJSON, HTML, description="A GeoJSON FeatureCollection, or an HTML table with f=html"))
def items(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    bbox: Annotated[str | None, Query(description=BBOX_FORM, pattern=BBOX_PATTERN)] = None,
    bbox_crs: Annotated[Literal["http://www.opengis.net/def/crs/OGC/1.3/CRS84"] | None,
                        Query(alias="bbox-crs", description="CRS84, the only one offered")] = None,
    datetime_: Annotated[str | None, Query(alias="datetime", description=DATETIME_FORM,
                                           pattern=DATETIME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="features per page (≤ 10,000)")] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    filter_: Annotated[str | None, Query(
        alias="filter", min_length=1,
        description="CQL2 text or JSON (per filter-lang; by default JSON when it starts with '{') over the "
                    "collection's queryables; S_DWITHIN in metres")] = None,
    filter_lang: Annotated[FILTER_LANGS | None, Query(alias="filter-lang", description="only with filter")] = None,
    filter_crs: Annotated[FILTER_CRSS | None, Query(alias="filter-crs", description="only with filter")] = None,
    f: F_FEATURES = None,
    include_history: Annotated[bool, INCLUDE_HISTORY] = False,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    from geo_risk.store.items import ItemsQuery, parse_datetime, query_items

    layer = authorise_layer(collection_id, principal)
    if bbox_crs not in (None, CRS84):
        raise InvalidInput(f"bbox-crs {bbox_crs!r} is not supported: use {CRS84}")
    limit = min(limit, settings.items_max_limit)
    properties: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in ITEM_PARAMS:
            continue
        if name not in layer.fields:
            raise InvalidInput(
                f"unknown query parameter {name!r}; parameters: {', '.join(sorted(ITEM_PARAMS))} "
                f"and the properties {', '.join(layer.fields)}"
            )
        properties[name] = value
    query = ItemsQuery(
        bbox=parse_bbox(bbox),
        datetime=parse_datetime(datetime_),
        properties=properties,
        cql=_filter(filter_, filter_lang, filter_crs),
        limit=limit,
        offset=offset,
        include_history=include_history,
    )
    matched, returned, features = query_items(url, layer, query)
    base = f"{_base(request)}/collections/{layer.id}/items"
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "f")]

    def href(new_offset: int, fmt: str | None = None) -> str:
        q = [*params, ("offset", str(new_offset))] + ([("f", fmt)] if fmt else [])
        return f"{base}?{urlencode(q)}"

    links = [
        {"rel": "self", "type": GEOJSON, "title": "this page", "href": href(offset)},
        {"rel": "alternate", "type": "text/html", "title": "this page as HTML", "href": href(offset, "html")},
        {"rel": "collection", "type": "application/json", "title": _title(layer),
         "href": f"{_base(request)}/collections/{layer.id}"},
    ]
    if offset + returned < matched:
        links.append({"rel": "next", "type": GEOJSON, "title": "next page", "href": href(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "title": "previous page", "href": href(max(0, offset - limit))})
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if _wants_html(request, f):
        feats = json.loads(features)
        head = "".join(f"<th>{html.escape(n)}</th>" for n in layer.fields)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(x['properties'].get(n, '')))}</td>" for n in layer.fields) + "</tr>"
            for x in feats
        )
        return _page(
            f"{_title(layer)} — items",
            f"<p>{returned} of {matched} features</p><table><tr>{head}</tr>{rows}</table>{_links_html(links)}",
        )
    body = (
        '{"type":"FeatureCollection","features":' + features
        + f',"numberMatched":{matched},"numberReturned":{returned},"timeStamp":"{stamp}","links":'
        + json.dumps(links, ensure_ascii=False) + "}"
    )
    return Response(body, media_type=GEOJSON)


@router.get("/collections/{collectionId}/items/{featureId:path}", summary="One feature", response_class=Response,
            responses=ok(GEOJSON, HTML, description="A GeoJSON Feature, or an HTML table with f=html"))
def item(
    collection_id: Annotated[str, Path(alias="collectionId")],
    feature_id: Annotated[str, Path(alias="featureId")],
    request: Request,
    f: F_FEATURES = None,
    include_history: Annotated[bool, INCLUDE_HISTORY] = False,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.store.items import get_item

    layer = authorise_layer(collection_id, principal)
    feature = get_item(url, layer, feature_id, include_history)
    if feature is None:
        raise NotFound(f"collection {collection_id!r} has no feature {feature_id!r}")
    c = f"{_base(request)}/collections/{layer.id}"
    feature["links"] = [
        {"rel": "self", "type": GEOJSON, "href": f"{c}/items/{feature_id}"},
        {"rel": "collection", "type": "application/json", "href": c},
    ]
    if _wants_html(request, f):
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in feature["properties"].items()
        )
        return _page(f"{_title(layer)} — {feature_id}", f"<table>{rows}</table>")
    return Response(json.dumps(feature, ensure_ascii=False), media_type=GEOJSON)


# -- tiles ----------------------------------------------------------------------------------------
def _tileset_links(base: str, layer: Any) -> list[dict[str, Any]]:
    c = f"{base}/collections/{layer.id}/tiles/WebMercatorQuad"
    return [
        {"rel": "self", "type": "application/json", "href": c},
        {"rel": "item", "type": MVT, "templated": True, "href": c + "/{tileMatrix}/{tileRow}/{tileCol}"},
        {"rel": "describedby", "type": "application/json", "title": "TileJSON", "href": f"{c}/tilejson.json"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
         "href": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"},
    ]


@router.get("/collections/{collectionId}/tiles", summary="Tilesets of a collection")
def tilesets(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    principal: Principal = Depends(current_principal),
) -> Response:
    layer = authorise_layer(collection_id, principal)
    return JSONResponse({
        "tilesets": [{
            "title": _title(layer),
            "dataType": "vector",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
            "links": _tileset_links(_base(request), layer),
        }]
    })


@router.get("/collections/{collectionId}/tiles/WebMercatorQuad", summary="Tileset metadata")
def tileset(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    principal: Principal = Depends(current_principal),
) -> Response:
    layer = authorise_layer(collection_id, principal)
    return JSONResponse({
        "title": _title(layer),
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "layers": [{"id": layer.id, "dataType": "vector", "geometryDimension": None,
                    "minTileMatrix": str(layer.min_zoom), "maxTileMatrix": str(layer.max_zoom)}]
        + ([{"id": f"{layer.id}_hexagons", "dataType": "vector", "geometryDimension": 2, "minTileMatrix": "0",
             "maxTileMatrix": str(max(0, layer.min_zoom - 1))}] if layer.aggregate and layer.min_zoom > 0 else []),
        "links": _tileset_links(_base(request), layer),
    })


@router.get("/collections/{collectionId}/tiles/WebMercatorQuad/tilejson.json", summary="TileJSON 3.0 with legend")
def tilejson(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.store.items import column_kinds

    layer = authorise_layer(collection_id, principal)
    kinds = column_kinds(url, layer.table)
    names = {"text": "String", "number": "Number", "boolean": "Boolean", "timestamp": "String"}
    vector_layers = [{"id": layer.id, "description": _title(layer), "minzoom": layer.min_zoom,
                      "maxzoom": layer.max_zoom,
                      "fields": {f: names.get(kinds.get(f, "text"), "String") for f in layer.fields}}]
    if layer.aggregate and layer.min_zoom > 0:
        vector_layers.append({"id": f"{layer.id}_hexagons", "description": f"{layer.aggregate.label_zh} "
                              f"{layer.aggregate.label_en}", "minzoom": 0, "maxzoom": layer.min_zoom - 1,
                              "fields": {"count": "Number", "value": "Number", "aggregate": "String"}})
    extent = _extent(request, url, layer)
    doc = {
        "tilejson": "3.0.0",
        "name": layer.id,
        "description": _title(layer),
        "version": __version__,
        "scheme": "xyz",
        "tiles": [f"{_base(request)}/collections/{layer.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"],
        "minzoom": 0,
        "maxzoom": layer.max_zoom,
        "bounds": list(extent) if extent else [-180, -85.0511, 180, 85.0511],
        "vector_layers": vector_layers,
        "attribution": "geo_risk",
        "geo_risk:legend": {"title_zh": layer.title_zh, "title_en": layer.title_en, "style": layer.style.as_dict(),
                            "aggregate": layer.aggregate.as_dict() if layer.aggregate else None,
                            "min_zoom": layer.min_zoom},
    }
    return JSONResponse(doc)


def tile_key(layer: Any, principal: Principal, version: int, z: int, x: int, y: int,
             today: date | None = None) -> tuple:
    """The tile cache key: layer, data version, the access tier the tile was made for, z/x/y — and for a
    layer whose values depend on the date (``daily``: items overdue), today's date (``today``, default the
    server's), so yesterday's cached colours are not served after midnight."""
    tier = principal.tier if layer.tier == "restricted" else "public"
    key: tuple = (layer.id, version, tier, z, x, y)
    if getattr(layer, "daily", False):
        key += ((today or date.today()).isoformat(),)
    return key


def tile_etag(key: tuple) -> str:
    """The ETag of the tile with cache ``key`` (changes with the data version and tier)."""
    return '"' + hashlib.blake2s(repr(key).encode(), digest_size=12).hexdigest() + '"'


def tile_headers(etag: str, tier: str) -> dict[str, str]:
    """Caching headers of a tile response."""
    scope = "public" if tier == "public" else "private"
    return {
        "ETag": etag,
        # Revalidate every time: the ETag changes with the data version, so a 304 costs nothing and
        # nothing stale is ever shown.
        "Cache-Control": f"{scope}, max-age=0, must-revalidate",
        "Vary": "Authorization, X-API-Key, Accept-Encoding",
    }


@router.get(
    "/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A Mapbox Vector Tile (tileMatrix/tileRow/tileCol)",
    response_class=Response,
    responses={**ok(MVT, description="The tile (empty where the layer has nothing)"),
               304: {"description": "Not Modified: If-None-Match holds the tile's ETag"},
               **errors(404, 429, _404="No such layer, or no such tile: tileRow or tileCol beyond 2^tileMatrix − 1",
                        _429="Below the layer's minimum zoom, its hexagon index is being built and every "
                             "heavy-work slot of the caller's tier is busy: retry after Retry-After seconds")},
)
async def tile(
    collection_id: Annotated[str, Path(alias="collectionId")],
    z: Annotated[int, Path(alias="tileMatrix", ge=0, le=24, description="zoom level, 0-24")],
    y: Annotated[int, Path(alias="tileRow", ge=0,
                           description="row, from the north: 0 ≤ tileRow < 2^tileMatrix (a row beyond is 404)")],
    x: Annotated[int, Path(alias="tileCol", ge=0,
                           description="column, from the west: 0 ≤ tileCol < 2^tileMatrix (beyond is 404)")],
    request: Request,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    from geo_risk.store.tiles import check_tile, feature_tile, hexagon_tile

    layer = authorise_layer(collection_id, principal)
    check_tile(z, x, y)
    state = request.app.state
    version = state.version_watch.version if state.version_watch.listening else await run_in_threadpool(
        lambda: state.version_watch.version
    )
    key = tile_key(layer, principal, version, z, x, y)
    etag = tile_etag(key)
    headers = tile_headers(etag, key[2])
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    data = state.tile_cache.get(key)
    if data is None:
        async with state.tile_slots:  # at most tile_concurrency tiles in the making at once
            if z >= layer.min_zoom:
                data = await run_in_threadpool(feature_tile, url, layer, z, x, y, settings.tile_max_features)
            elif layer.aggregate is not None:
                data = await run_in_threadpool(_heavy_if_building, state, principal, layer, z, version,
                                               hexagon_tile, url, layer, z, x, y, version)
            else:
                data = b""
        state.tile_cache.put(key, data)
    return Response(data, media_type=MVT, headers=headers)


@router.get("/collections/{collectionId}/hexagons", summary="The layer summed into hexagons (GeoJSON, for zooms "
            "below its minimum)", response_class=Response,
            responses={**ok(GEOJSON, description="A GeoJSON FeatureCollection of hexagons"),
                       **errors(404, 429, _404="No such layer, or a layer not summed into hexagons")})
def hexagons(
    collection_id: Annotated[str, Path(alias="collectionId")],
    request: Request,
    bbox: Annotated[str, Query(description=BBOX_FORM + HEXAGON_AREA, pattern=BBOX_PATTERN)],
    zoom: Annotated[int, Query(ge=0, le=24, description="web-map zoom: hexagons are ~16 px across")],
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.store.tiles import hexagons_geojson

    layer = authorise_layer(collection_id, principal)
    if layer.aggregate is None:  # the resource exists only for layers summed into hexagons
        raise NotFound(f"collection {layer.id!r} has no hexagons: it is not summed below zoom {layer.min_zoom}")
    box = parse_bbox(bbox)
    assert box is not None  # noqa: S101 - bbox is required
    version = request.app.state.version_watch.version
    doc = _heavy_if_building(request.app.state, principal, layer, zoom, version,
                             hexagons_geojson, url, layer, zoom, box, version)
    return Response(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), media_type=GEOJSON)


def _heavy_if_building(state: Any, principal: Principal, layer: Any, z: int, version: int | None,
                       fn: Any, *args: Any) -> Any:
    """``fn(*args)``, holding a heavy-work slot of the caller's tier when it builds a layer's hexagon
    index for zoom ``z`` (the whole layer read once); reading a built index is not heavy."""
    from geo_risk.store.tiles import hexagons_built

    if hexagons_built(state.database_url, layer, z, version):
        return fn(*args)
    with state.heavy.slot(principal.tier, f"hexagon index of {layer.id!r} at zoom {z}"):
        return fn(*args)


def install(app: Any, settings: Settings, url: str) -> None:
    """Include the router and give the app its version watch and tile cache."""
    from api.tile_cache import TileCache, VersionWatch

    app.state.version_watch = VersionWatch(url)
    app.state.tile_cache = TileCache(int(settings.tile_cache_mb * 1e6))
    app.state.version_watch.on_change(app.state.tile_cache.drop_older_than)
    app.state.extent_cache = {}
    app.state.tile_slots = asyncio.Semaphore(settings.tile_concurrency or 2 * (os.cpu_count() or 1))
    app.include_router(router)
    if app.state.tile_cache.enabled:
        from api.tile_fastpath import CachedTiles

        app.add_middleware(CachedTiles, state=app.state)
