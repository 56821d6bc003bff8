"""What the siting check reads from the store (the only SQL for it), and its PostGIS baseline.

:func:`read_parks` (boundaries and published safety control lines), :func:`store_extent` (where the
store has data, to reject a site on the other side of the world), :func:`fn_curves` (each current
enterprise run's F-N curve) and :func:`sql_required_distance_hits` — the same distance rule as the
engine's R3 written as one PostGIS query, the obvious alternative the benchmark compares with.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import text

from geo_risk.store.db import get_engine

__all__ = ["read_parks", "store_extent", "fn_curves", "sql_required_distance_hits"]


def read_parks(url: str) -> gpd.GeoDataFrame:
    """Chemical parks: index id, ``name``, ``control_line`` (shapely or None, lon/lat), boundary geometry."""
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(
            "SELECT id, name, ST_AsBinary(safety_control_line) AS line, geom FROM chemical_parks ORDER BY id"),
            conn, geom_col="geom", crs="EPSG:4326")
    frame["control_line"] = [None if b is None else shapely.from_wkb(bytes(b)) for b in frame.pop("line")]
    return frame.set_index("id").rename_geometry("geometry")


def store_extent(url: str) -> tuple[float, float, float, float] | None:
    """(lon0, lat0, lon1, lat1) of the enterprises, parks, residential areas and targets; None when empty."""
    sql = ("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(g) AS e FROM ("
           "SELECT geom AS g FROM enterprises UNION ALL SELECT geom FROM chemical_parks UNION ALL "
           "SELECT geom FROM residential_areas UNION ALL SELECT geom FROM protection_targets) x) y")
    with get_engine(url).connect() as conn:
        row = conn.execute(text(sql)).first()
    if row is None or row[0] is None:
        return None
    return tuple(float(v) for v in row)  # type: ignore[return-value]


def fn_curves(url: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Enterprise id → (N, F per year) of its current enterprise-scope risk run."""
    sql = ("SELECT scope_id, fn FROM risk_runs WHERE scope = 'enterprise' "
           "AND inputs_version = (SELECT inputs_version FROM data_version) AND fn IS NOT NULL")
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with get_engine(url).connect() as conn:
        for sid, fn in conn.execute(text(sql)):
            out[str(sid)] = (np.asarray(fn.get("n", []), dtype=float), np.asarray(fn.get("f", []), dtype=float))
    return out


#: R3 in one query: every unit of an operating, suspended or planned enterprise whose required
#: distance for the class (the largest of the current stored final, declared and design-code
#: distances) exceeds its geodesic distance to the site. Units without a stored row use their
#: declared distances (the design-code fallback is the engine's; the baseline checks what is stored).
_SQL_R3 = """
WITH site AS (SELECT ST_GeomFromText(:wkt, 4326) AS g),
req AS (
  SELECT u.id, u.enterprise_id, u.geom,
         GREATEST(MAX(d.final_distance_m), MAX(d.declared_distance_m), MAX(d.code_distance_m),
                  MAX(CASE :cls WHEN 'high_sensitive' THEN u.safety_distance_high_sensitive_m
                                WHEN 'important' THEN u.safety_distance_important_m
                                WHEN 'general_1' THEN u.safety_distance_general_1_m
                                WHEN 'general_2' THEN u.safety_distance_general_2_m
                                ELSE u.safety_distance_general_3_m END),
                  MAX(u.safety_distance_m)) AS required_m
    FROM hazard_units u JOIN enterprises e ON e.id = u.enterprise_id
    LEFT JOIN external_distances d ON d.unit_id = u.id AND d.target_class = :cls
         AND d.inputs_version = (SELECT inputs_version FROM data_version)
   WHERE e.status IN ('operating', 'suspended', 'planned')
     AND ST_DWithin(u.geom::geography, (SELECT g FROM site)::geography, 20000)
   GROUP BY u.id, u.enterprise_id, u.geom)
SELECT id, enterprise_id, required_m, ST_Distance(geom::geography, (SELECT g FROM site)::geography) AS distance_m
  FROM req WHERE required_m > ST_Distance(geom::geography, (SELECT g FROM site)::geography)
 ORDER BY id
"""


def sql_required_distance_hits(url: str, site_wkt: str, target_class: str) -> list[dict[str, Any]]:
    """The PostGIS baseline of R3 for one site (lon/lat WKT) and class: unit id, enterprise, required and
    actual distance (m, geodesic). For the benchmark and as an independent check in the tests."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(_SQL_R3), {"wkt": site_wkt, "cls": target_class})
        return [dict(r._mapping) for r in rows]
