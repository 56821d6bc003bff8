"""Read stored layers as GeoJSON, built in PostGIS (the API's reads touch SQL only here)."""

from __future__ import annotations

import json

from sqlalchemy import cast, column, func, literal, select, table
from sqlalchemy.dialects.postgresql import JSONB

from geo_risk.store.db import get_engine

__all__ = ["feature_collection", "layer_counts", "MAX_FEATURES"]

MAX_FEATURES = 100_000


def feature_collection(
    url: str,
    table_name: str,
    fields: tuple[str, ...],
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 10_000,
    precision: int = 6,
) -> str:
    """A GeoJSON FeatureCollection (text) of ``fields`` of ``table_name``, optionally within ``bbox``.

    ``bbox`` is (lon_min, lat_min, lon_max, lat_max) in degrees, EPSG:4326; coordinates are
    written with ``precision`` decimals (6 ≈ 0.1 m). ``table_name`` and ``fields`` come from the
    layer registry, never from a request; identifiers are quoted and values bound.
    """
    limit = max(1, min(int(limit), MAX_FEATURES))
    t = table(table_name, column("id"), column("geom"), *[column(f) for f in fields if f != "id"])
    props = func.jsonb_build_object(*[x for f in fields for x in (literal(f), t.c[f])])
    feature = func.jsonb_build_object(
        literal("type"),
        literal("Feature"),
        literal("id"),
        t.c.id,
        literal("geometry"),
        cast(func.ST_AsGeoJSON(t.c.geom, precision), JSONB),
        literal("properties"),
        props,
    )
    inner = select(feature.label("f")).select_from(t)
    if bbox is not None:
        inner = inner.where(func.ST_Intersects(t.c.geom, func.ST_MakeEnvelope(*map(float, bbox), 4326)))
    inner = inner.order_by(t.c.id).limit(limit).subquery()
    with get_engine(url).connect() as conn:
        features = conn.execute(select(func.jsonb_agg(inner.c.f))).scalar_one() or []
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")
    )


def layer_counts(url: str, tables: list[str]) -> dict[str, int]:
    """Row count of each table."""
    out: dict[str, int] = {}
    with get_engine(url).connect() as conn:
        for name in tables:
            out[name] = int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
    return out
