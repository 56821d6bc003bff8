"""Mapbox Vector Tiles of map layers (OGC API - Tiles, WebMercatorQuad), made in PostGIS.

At and above a layer's minimum zoom a tile holds **every** feature that intersects it: geometries
are transformed to Web Mercator, clipped and snapped to the tile's 4096-unit grid by
``ST_AsMVTGeom`` (which also drops repeated vertices: the simplification by zoom), and a polygon
too small to survive the snapping is kept as a point on its surface rather than dropped (a
hazard unit or school never disappears from the map). No ORDER BY: tile rows need no order.

Below the minimum zoom the layer is summed into hexagons (``HEXAGONS_PER_TILE`` across a tile,
anchored at the Web Mercator origin so neighbouring tiles and zooms agree): each feature counts
once, in the hexagon holding the centre of its bounding box, with the layer's aggregate (count,
sum of population, worst grade…). The binning is arithmetic in SQL (axial hexagon coordinates
with cube rounding); the ≤ a few hundred hexagons of a tile are encoded in Python.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from sqlalchemy import text

from geo_risk.errors import InvalidInput, NotFound
from geo_risk.store.db import get_engine
from geo_risk.store.items import column_kinds

__all__ = [
    "MAX_ZOOM", "EXTENT", "BUFFER", "WORLD_M", "check_tile", "tile_bounds_3857", "feature_tile",
    "hexagon_tile", "hexagons_geojson", "hexagon_size_m", "hexagon_cells",
]

MAX_ZOOM = 24
EXTENT = 4096  # tile coordinate units across a tile
BUFFER = 64  # tile units of buffer around a tile (lines and fills continue across tile edges)
R = 6378137.0  # Web Mercator sphere radius, metres
WORLD_M = 2 * math.pi * R  # width of the Web Mercator world, metres
_MAX_LAT = 85.0511287798066


def check_tile(z: int, x: int, y: int) -> None:
    """Raise NotFound unless z/x/y is a tile of WebMercatorQuad (0 ≤ z ≤ 24, 0 ≤ x, y < 2^z).

    A tile outside the tile matrix does not exist: OGC API – Tiles (requirement /req/core/tc-error, as its
    conformance suite checks it) answers such a request 404 or 400, never a success or a 422.
    """
    if not 0 <= z <= MAX_ZOOM:
        raise NotFound(f"tile matrix {z} does not exist: WebMercatorQuad runs 0–{MAX_ZOOM}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFound(f"tile {z}/{y}/{x} does not exist: at tile matrix {z} row and column run 0–{n - 1}")


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of tile z/x/y in Web Mercator metres."""
    size = WORLD_M / (1 << z)
    minx = -WORLD_M / 2 + x * size
    maxy = WORLD_M / 2 - y * size
    return minx, maxy - size, minx + size, maxy


def hexagon_size_m(z: int, per_tile: int | None = None) -> float:
    """Circumradius (centre to corner, Web Mercator metres) of the aggregation hexagons at zoom ``z``."""
    from layers.registry import HEXAGONS_PER_TILE

    per_tile = per_tile or HEXAGONS_PER_TILE
    return WORLD_M / (1 << z) / (per_tile * math.sqrt(3))  # pointy-top hexagon: width √3·s


def _lonlat(mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon = np.degrees(mx / R)
    lat = np.degrees(2 * np.arctan(np.exp(my / R)) - math.pi / 2)
    return lon, lat


def _merc(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-_MAX_LAT, min(_MAX_LAT, lat))
    return R * math.radians(lon), R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


# -- features -------------------------------------------------------------------------------------
def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():  # names come from the registry; this is a guard
        raise ValueError(f"bad identifier {name!r}")
    return f'"{name}"'


def feature_tile(url: str, layer: Any, z: int, x: int, y: int, max_features: int | None = None) -> bytes:
    """MVT bytes of every feature of ``layer`` intersecting tile z/x/y (layer name = layer id).

    ``max_features`` caps the rows (None: no cap; the cap exists for like-for-like benchmarks).
    """
    check_tile(z, x, y)
    column_kinds(url, layer.table)  # raises a clear error when the table is missing
    props = ", ".join(f"t.{_quote(f)}" for f in layer.fields)
    cap = f"LIMIT {int(max_features)}" if max_features else ""
    sql = f"""
        WITH env AS (SELECT ST_TileEnvelope(:z, :x, :y) AS e,
                            ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326) AS e4326),
        rows AS (
            SELECT {props}, ST_Transform(t.geom, 3857) AS g
              FROM {_quote(layer.table)} t, env
             WHERE t.geom && env.e4326 {cap}
        ),
        mvt AS (
            SELECT rows.*, m.geom
              FROM rows, env,
                   LATERAL (SELECT COALESCE(
                       ST_AsMVTGeom(rows.g, env.e, {EXTENT}, {BUFFER}, true),
                       CASE WHEN ST_Intersects(rows.g, env.e)
                            THEN ST_AsMVTGeom(ST_PointOnSurface(rows.g), env.e, {EXTENT}, {BUFFER}, true) END
                   ) AS geom) m
        )
        SELECT ST_AsMVT(q, :name, {EXTENT}, 'geom') FROM (SELECT {', '.join(_quote(f) for f in layer.fields)}, geom
                                                        FROM mvt) q
    """  # noqa: S608 - identifiers from the registry, quoted; values bound
    with get_engine(url).connect() as conn:
        data = conn.execute(text(sql), {"z": z, "x": x, "y": y, "name": layer.id}).scalar_one()
    return bytes(data or b"")


# -- hexagons -------------------------------------------------------------------------------------
def _aggregate_sql(layer: Any) -> str:
    agg = layer.aggregate
    if agg is None:
        raise InvalidInput(f"layer {layer.id!r} is not shown below zoom {layer.min_zoom}: zoom in")
    if agg.how == "count":
        return "count(*)"
    if agg.how in ("sum", "min", "max") and agg.field in layer.fields:
        return f"{agg.how}(v)"
    raise ValueError(f"layer {layer.id}: bad aggregate {agg}")  # a registry error, not a request's


def _hexagon_sql(layer: Any, with_bbox: bool) -> str:
    value = f"t.{_quote(layer.aggregate.field)}" if layer.aggregate and layer.aggregate.field else "NULL::int"
    where = "WHERE t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)" if with_bbox else ""
    return f"""
        WITH p AS MATERIALIZED (
            SELECT {value} AS v,
                   {R} * radians((ST_XMin(t.geom) + ST_XMax(t.geom)) / 2) AS x,
                   {R} * ln(tan(pi() / 4 + radians(greatest(-{_MAX_LAT}, least({_MAX_LAT},
                        (ST_YMin(t.geom) + ST_YMax(t.geom)) / 2))) / 2)) AS y
              FROM {_quote(layer.table)} t
             {where}
        ), a AS (
            SELECT v, (sqrt(3) / 3 * x - y / 3) / :s AS q, (2.0 / 3 * y) / :s AS r FROM p
        ), c AS (
            SELECT v, q, r, round(q) AS rq, round(r) AS rr, round(-q - r) AS rs,
                   abs(round(q) - q) AS dq, abs(round(r) - r) AS dr, abs(round(-q - r) + q + r) AS ds FROM a
        )
        SELECT (CASE WHEN dq > dr AND dq > ds THEN -rr - rs ELSE rq END)::bigint AS hq,
               (CASE WHEN NOT (dq > dr AND dq > ds) AND dr > ds THEN -rq - rs ELSE rr END)::bigint AS hr,
               count(*) AS n, {_aggregate_sql(layer)} AS value
          FROM c GROUP BY 1, 2
    """  # noqa: S608 - identifiers from the registry, quoted; values bound


def _rows_to_cells(rows: Any) -> np.ndarray:
    return np.array(
        [(r[0], r[1], r[2], np.nan if r[3] is None else float(r[3])) for r in rows], dtype=float
    ).reshape(-1, 4)


#: Whole-layer hexagons per (database, layer, zoom, data version): computed once, then every tile
#: and hexagon page of that zoom is cut from memory. Bounded LRU; a new data version never hits
#: an old entry.
_LAYER_HEXAGONS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_LAYER_HEXAGONS_MAX = 48
_LAYER_HEXAGONS_LOCK = threading.Lock()
_KEY_LOCKS: dict[tuple, threading.Lock] = {}


def hexagons_built(url: str, layer: Any, z: int, version: int | None) -> bool:
    """Whether the whole-layer hexagon index of ``layer`` at zoom ``z`` and data ``version`` is at hand
    (a request that would build it is heavy work; one that reads it is not)."""
    with _LAYER_HEXAGONS_LOCK:
        return version is not None and (url, layer.id, z, version) in _LAYER_HEXAGONS


def layer_hexagons(url: str, layer: Any, z: int, version: int) -> np.ndarray:
    """Every hexagon of ``layer`` at zoom ``z`` as (q, r, count, value), for data version ``version``."""
    key = (url, layer.id, z, version)
    with _LAYER_HEXAGONS_LOCK:
        cached = _LAYER_HEXAGONS.get(key)
        if cached is not None:
            _LAYER_HEXAGONS.move_to_end(key)
            return cached
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:  # one computation per key, however many tiles ask at once
        with _LAYER_HEXAGONS_LOCK:
            cached = _LAYER_HEXAGONS.get(key)
        if cached is not None:
            return cached
        with get_engine(url).connect() as conn:
            cells = _rows_to_cells(conn.execute(text(_hexagon_sql(layer, False)), {"s": hexagon_size_m(z)}).all())
        with _LAYER_HEXAGONS_LOCK:
            _LAYER_HEXAGONS[key] = cells
            while len(_LAYER_HEXAGONS) > _LAYER_HEXAGONS_MAX:
                _LAYER_HEXAGONS.popitem(last=False)
            _KEY_LOCKS.pop(key, None)
        return cells


def hexagon_cells(
    url: str, layer: Any, z: int, bbox_3857: tuple[float, float, float, float], version: int | None = None
) -> np.ndarray:
    """Hexagon cells (q, r, count, value) of ``layer`` at zoom ``z`` near ``bbox_3857``.

    With the store's data ``version`` the cells come from :func:`layer_hexagons` (the whole layer,
    once per zoom and version); without it, from one query over the features around the bbox
    (expanded by two hexagons, so every hexagon that reaches into the bbox is complete).
    """
    _aggregate_sql(layer)
    size = hexagon_size_m(z)
    minx, miny, maxx, maxy = bbox_3857
    if version is not None:
        cells = layer_hexagons(url, layer, z, version)
        if len(cells) == 0:
            return cells
        cx, cy, _, _ = _hexagon_corners(cells, size)
        near = (cx >= minx - 2 * size) & (cx <= maxx + 2 * size) & (cy >= miny - 2 * size) & (cy <= maxy + 2 * size)
        return cells[near]
    lon0, lat0 = _lonlat(np.array([minx - 2 * size]), np.array([miny - 2 * size]))
    lon1, lat1 = _lonlat(np.array([maxx + 2 * size]), np.array([maxy + 2 * size]))
    params = {"x0": float(lon0[0]), "y0": float(max(lat0[0], -_MAX_LAT)), "x1": float(lon1[0]),
              "y1": float(min(lat1[0], _MAX_LAT)), "s": size}
    with get_engine(url).connect() as conn:
        return _rows_to_cells(conn.execute(text(_hexagon_sql(layer, True)), params).all())


def _hexagon_corners(cells: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centres (cx, cy) and corner arrays (n, 7) of pointy-top hexagons, Web Mercator metres."""
    q, r = cells[:, 0], cells[:, 1]
    cx = size * (math.sqrt(3) * q + math.sqrt(3) / 2 * r)
    cy = size * 1.5 * r
    angles = np.radians(30 + 60 * np.arange(7))  # closed ring, counter-clockwise
    xs = cx[:, None] + size * np.cos(angles)[None, :]
    ys = cy[:, None] + size * np.sin(angles)[None, :]
    return cx, cy, xs, ys


def _properties(layer: Any, cell: np.ndarray) -> dict[str, Any]:
    value = None if math.isnan(cell[3]) else cell[3]
    if value is not None and float(value).is_integer():
        value = int(value)
    props: dict[str, Any] = {"count": int(cell[2]), "value": value, "aggregate": layer.aggregate.how}
    if layer.aggregate.field:
        props[layer.aggregate.field] = value
    return props


def hexagon_tile(url: str, layer: Any, z: int, x: int, y: int, version: int | None = None) -> bytes:
    """MVT bytes of the layer summed into hexagons over tile z/x/y (layer name ``<id>_hexagons``)."""
    import mapbox_vector_tile
    from shapely.geometry import Polygon

    check_tile(z, x, y)
    _aggregate_sql(layer)
    bounds = tile_bounds_3857(z, x, y)
    size = hexagon_size_m(z)
    cells = hexagon_cells(url, layer, z, bounds, version)
    if len(cells) == 0:
        return b""
    minx, miny, maxx, maxy = bounds
    _, _, xs, ys = _hexagon_corners(cells, size)
    keep = (xs.max(axis=1) >= minx) & (xs.min(axis=1) <= maxx) & (ys.max(axis=1) >= miny) & (ys.min(axis=1) <= maxy)
    scale = EXTENT / (maxx - minx)
    features = []
    for i in np.flatnonzero(keep):
        px = (xs[i] - minx) * scale
        py = (maxy - ys[i]) * scale  # tile y runs down
        features.append({"geometry": Polygon(zip(px, py, strict=True)), "properties": _properties(layer, cells[i])})
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": f"{layer.id}_hexagons", "features": features}],
        default_options={"extents": EXTENT, "y_coord_down": True},
    )


def hexagons_geojson(
    url: str, layer: Any, zoom: int, bbox: tuple[float, float, float, float], version: int | None = None
) -> dict[str, Any]:
    """The layer summed into hexagons of zoom ``zoom`` over ``bbox`` (lon/lat degrees) as GeoJSON."""
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidInput(f"zoom {zoom} is outside 0–{MAX_ZOOM}")
    _aggregate_sql(layer)
    x0, y0 = _merc(bbox[0], bbox[1])
    x1, y1 = _merc(bbox[2], bbox[3])
    size = hexagon_size_m(zoom)
    if (x1 - x0) * (y1 - y0) / (size * size * 2.6) > 200_000:
        raise InvalidInput("too many hexagons for this bbox at this zoom: zoom in or send a smaller bbox")
    cells = hexagon_cells(url, layer, zoom, (x0, y0, x1, y1), version)
    features = []
    if len(cells):
        _, _, xs, ys = _hexagon_corners(cells, size)
        lon, lat = _lonlat(xs, ys)
        for i in range(len(cells)):
            ring = [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon[i], lat[i], strict=True)]
            features.append({
                "type": "Feature",
                "id": f"{zoom}/{int(cells[i, 0])}/{int(cells[i, 1])}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": _properties(layer, cells[i]),
            })
    return {"type": "FeatureCollection", "features": features, "zoom": zoom,
            "hexagon_radius_m": size, "aggregate": layer.aggregate.as_dict()}
