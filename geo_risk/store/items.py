"""Feature queries of the map service (OGC API - Features items), built and serialised in PostGIS.

A layer's table and fields come from the layer registry, never from a request; every value a
request supplies (bbox, datetime, property filters, CQL2 literals, limit, offset) is a bound
parameter. Features are serialised to GeoJSON by PostGIS (``ST_AsGeoJSON`` + ``jsonb_build_object``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, column, func, literal, select, table, text
from sqlalchemy.dialects.postgresql import JSONB

from geo_risk.errors import InvalidInput
from geo_risk.store.cql2 import box_geometry, to_sql
from geo_risk.store.db import get_engine

__all__ = ["ItemsQuery", "column_kinds", "query_items", "get_item", "parse_datetime", "COORDINATE_DECIMALS"]

#: Decimals of degrees in served coordinates: 7 ≈ 1 cm (the store keeps full precision).
COORDINATE_DECIMALS = 7

_KINDS = {
    "text": "text", "character varying": "text", "character": "text",
    "integer": "number", "bigint": "number", "smallint": "number", "double precision": "number",
    "real": "number", "numeric": "number",
    "boolean": "boolean",
    "timestamp with time zone": "timestamp", "timestamp without time zone": "timestamp", "date": "timestamp",
}


@lru_cache(maxsize=256)
def column_kinds(url: str, table_name: str) -> dict[str, str]:
    """Each column of ``table_name`` (a table or view) → text / number / boolean / timestamp / geometry."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT column_name, data_type, udt_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t"
            ),
            {"t": table_name},
        ).all()
    out: dict[str, str] = {}
    for name, data_type, udt in rows:
        if udt == "geometry":
            out[name] = "geometry"
        elif data_type in _KINDS:
            out[name] = _KINDS[data_type]
    if not out:
        raise InvalidInput(f"table {table_name!r} does not exist in the store: run `geo-risk db migrate`")
    return out


@dataclass
class ItemsQuery:
    """What a request asks of a layer. ``bbox`` in degrees (lon/lat, EPSG:4326).

    ``include_history``: also computed results whose inputs changed since (``current`` false), for
    a layer that keeps them apart (``LayerDef.history_table``); by default only current results.
    """

    bbox: tuple[float, float, float, float] | None = None
    datetime: tuple[dt.datetime | None, dt.datetime | None] | None = None
    properties: dict[str, str] = field(default_factory=dict)
    cql: Any = None  # a parsed CQL2 filter (geo_risk.store.cql2.parse_cql2)
    limit: int = 10
    offset: int = 0
    include_history: bool = False


def parse_datetime(value: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """OGC API ``datetime``: an RFC 3339 instant, or an interval ``start/end`` with ``..`` for open ends.

    Returns (start, end); an instant gives (t, t). Raises InvalidInput with the expected form.
    """
    if value is None or value == "":
        return None

    def one(part: str) -> dt.datetime | None:
        part = part.strip()
        if part in ("..", ""):
            return None
        try:
            parsed = dt.datetime.fromisoformat(part.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"datetime {value!r} is not RFC 3339: give 2024-01-31T00:00:00Z or start/end with .. for open"
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    if "/" in value:
        start_s, _, end_s = value.partition("/")
        start, end = one(start_s), one(end_s)
        if start is None and end is None:
            raise InvalidInput("datetime '../..' is not an interval: give at least one end")
        if start and end and start > end:
            raise InvalidInput(f"datetime interval {value!r} ends before it starts")
        return start, end
    instant = one(value)
    return instant, instant


def _layer_table(url: str, layer: Any, include_history: bool = False) -> tuple[Any, dict[str, str], dict[str, Any]]:
    source = layer.source(include_history)
    kinds = column_kinds(url, source)
    names = set(layer.fields) | {"geom"} | ({layer.time_field} if layer.time_field else set())
    missing = [n for n in names if n not in kinds]
    if missing:
        raise InvalidInput(f"layer {layer.id!r}: columns {missing} are missing from {source!r}")
    t = table(source, *[column(n) for n in sorted(names)])
    queryable = {n: t.c[n] for n in names}
    return t, {n: kinds[n] for n in names}, queryable


def _where(url: str, layer: Any, q: ItemsQuery) -> tuple[Any, list[ColumnElement]]:
    t, kinds, cols = _layer_table(url, layer, q.include_history)
    conditions: list[ColumnElement] = []
    if q.bbox is not None:
        conditions.append(func.ST_Intersects(t.c.geom, box_geometry(*map(float, q.bbox))))
    if q.datetime is not None:
        if not layer.time_field:
            raise InvalidInput(f"layer {layer.id!r} has no time: the datetime parameter does not apply")
        start, end = q.datetime
        tcol = t.c[layer.time_field]
        if start is not None:
            conditions.append(tcol >= start)
        if end is not None:
            conditions.append(tcol <= end)
    for name, raw in q.properties.items():
        if name not in layer.fields:
            raise InvalidInput(
                f"unknown property {name!r} of layer {layer.id!r}; properties: {', '.join(layer.fields)}"
            )
        conditions.append(_property_condition(cols[name], kinds[name], name, raw))
    if q.cql is not None:
        conditions.append(to_sql(q.cql, cols, kinds, "geom"))
    return t, conditions


def _property_condition(col: Any, kind: str, name: str, raw: str) -> ColumnElement:
    """``?name=value`` on a declared field: equality with the value read as the column's type."""
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            raise InvalidInput(f"property {name!r} is numeric; {raw!r} is not a number") from None
        return col == literal(number)
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise InvalidInput(f"property {name!r} is true or false; got {raw!r}")
        return col.is_(raw.lower() == "true")
    if kind == "timestamp":
        start, _ = parse_datetime(raw) or (None, None)
        return col == start
    return col == literal(raw)


def _feature(t: Any, fields: tuple[str, ...]) -> Any:
    props = func.jsonb_build_object(*[x for f in fields for x in (literal(f), t.c[f])])
    return func.jsonb_build_object(
        literal("type"), literal("Feature"),
        literal("id"), t.c.id,
        literal("geometry"), cast(func.ST_AsGeoJSON(t.c.geom, COORDINATE_DECIMALS), JSONB),
        literal("properties"), props,
    )


def query_items(url: str, layer: Any, q: ItemsQuery) -> tuple[int, int, str]:
    """(numberMatched, numberReturned, JSON text of the features array) of a page of ``layer``.

    Features are ordered by id so pages are stable.
    """
    t, conditions = _where(url, layer, q)
    cond = and_(*conditions) if conditions else None
    count_q = select(func.count()).select_from(t)
    inner = select(_feature(t, layer.fields).label("f")).select_from(t)
    if cond is not None:
        count_q = count_q.where(cond)
        inner = inner.where(cond)
    inner = inner.order_by(t.c.id).limit(q.limit).offset(q.offset).subquery()
    page = select(func.count(), func.coalesce(func.jsonb_agg(inner.c.f), cast(literal("[]"), JSONB)))
    with get_engine(url).connect() as conn:
        matched = int(conn.execute(count_q).scalar_one())
        returned, features = conn.execute(page).one()
    return matched, int(returned), json.dumps(features, ensure_ascii=False, separators=(",", ":"))


def get_item(url: str, layer: Any, feature_id: str, include_history: bool = False) -> dict[str, Any] | None:
    """One feature of ``layer`` by id, or None (a result no longer current only with ``include_history``)."""
    t, _ = _where(url, layer, ItemsQuery(include_history=include_history))
    query = select(_feature(t, layer.fields)).select_from(t).where(t.c.id == literal(feature_id))
    with get_engine(url).connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def layer_extent(url: str, layer: Any) -> tuple[float, float, float, float] | None:
    """(lon_min, lat_min, lon_max, lat_max) of the layer's features, or None when empty."""
    t, _ = _where(url, layer, ItemsQuery())
    with get_engine(url).connect() as conn:
        box = conn.execute(
            select(func.ST_XMin(func.ST_Extent(t.c.geom)), func.ST_YMin(func.ST_Extent(t.c.geom)),
                   func.ST_XMax(func.ST_Extent(t.c.geom)), func.ST_YMax(func.ST_Extent(t.c.geom)))
        ).one()
    return None if box[0] is None else tuple(float(v) for v in box)  # type: ignore[return-value]
