"""Read stored layers into GeoDataFrames (EPSG:4326, indexed by id) for the engine."""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy import column, select, table

from geo_risk.store.db import get_engine

__all__ = ["read_layer"]


def read_layer(url: str, table_name: str, columns: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Rows of ``table_name`` with ``columns`` and the geometry, EPSG:4326, index ``id``.

    ``table_name`` and ``columns`` are the caller's (the code's), never a request's.
    """
    t = table(table_name, column("id"), column("geom"), *[column(c) for c in columns])
    query = select(t.c.id, *[t.c[c] for c in columns], t.c.geom).order_by(t.c.id)
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(query, conn, geom_col="geom", crs="EPSG:4326")
    return frame.set_index("id").rename_geometry("geometry")
