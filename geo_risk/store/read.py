"""Read stored layers into GeoDataFrames (EPSG:4326, indexed by id) for the engine."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import column, select, table

from geo_risk.store.db import get_engine

__all__ = ["read_layer", "read_table"]


def read_layer(url: str, table_name: str, columns: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Rows of ``table_name`` with ``columns`` and the geometry, EPSG:4326, index ``id``.

    ``table_name`` and ``columns`` are the caller's (the code's), never a request's.
    """
    t = table(table_name, column("id"), column("geom"), *[column(c) for c in columns])
    query = select(t.c.id, *[t.c[c] for c in columns], t.c.geom).order_by(t.c.id)
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(query, conn, geom_col="geom", crs="EPSG:4326")
    return frame.set_index("id").rename_geometry("geometry")


def read_table(url: str, table_name: str, columns: tuple[str, ...], index: bool = True) -> pd.DataFrame:
    """Rows of ``table_name`` without geometry: ``columns`` plus ``id`` (the index unless ``index=False``)."""
    t = table(table_name, column("id"), *[column(c) for c in columns])
    query = select(t.c.id, *[t.c[c] for c in columns]).order_by(t.c.id)
    with get_engine(url).connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.set_index("id") if index else frame
