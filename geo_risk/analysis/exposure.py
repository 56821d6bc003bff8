"""People around plants: the residents GB 18218's α counts, and other people beside them.

GB 18218-2018 Table 5 counts the **residents (常住人口) within 500 m outward from the plant boundary
(厂区边界)**. The ring is the plant polygon buffered by 500 m minus the plant itself. A residential
area that the ring cuts contributes its population times the share of its **area** inside the ring
(people are assumed spread evenly over a residential polygon — a stated assumption; the standard
does not say how to count a block the ring cuts). People of other protection targets (schools,
malls, offices…) are not residents: they are reported beside the count and never enter α.

Distances and areas are computed in metres in the UTM zone of each plant (WGS 84 / UTM, chosen
per plant from its centroid), never in degrees. A plant stored as a point (no boundary) gets a
500 m disc around the point, and its result is flagged ``approximate``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.errors import CRSMismatch, InvalidInput

__all__ = ["RING_M", "exposed_people", "utm_epsg"]

#: GB 18218 Table 5: residents within this distance outward from the plant boundary, metres.
RING_M = 500.0


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of the WGS 84 / UTM zone of each lon/lat (degrees): 326zz north, 327zz south."""
    zone = np.clip(np.floor((np.asarray(lon) + 180.0) / 6.0).astype(int) + 1, 1, 60)
    return np.where(np.asarray(lat) >= 0, 32600 + zone, 32700 + zone)


def _require_lonlat(frame: gpd.GeoDataFrame, name: str) -> None:
    if frame.crs is None:
        raise CRSMismatch(f"{name} has no CRS; expected EPSG:4326 lon/lat as stored")
    if not frame.crs.equals("EPSG:4326"):
        raise CRSMismatch(f"{name} is in {frame.crs.to_string()}; expected EPSG:4326 lon/lat as stored")


def exposed_people(
    plants: gpd.GeoDataFrame,
    residential: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame | None = None,
    ring_m: float = RING_M,
) -> pd.DataFrame:
    """Residents (and, beside them, other people) within ``ring_m`` metres outside each plant.

    Parameters
    ----------
    plants
        Enterprises, EPSG:4326, index = enterprise id; Polygon/MultiPolygon boundaries, or Points.
    residential
        Residential areas, EPSG:4326, with ``population`` (residents, people).
    targets
        Other protection targets, EPSG:4326, with ``population`` (people present or capacity).
    ring_m
        Width of the ring outward from the plant boundary, metres (GB 18218: 500).

    Returns
    -------
    pandas.DataFrame
        Index = plant id. ``residents`` (float, people, area-apportioned), ``residential_areas``
        (number of areas the ring touches), ``other_people`` and ``other_targets`` (targets whose
        geometry intersects the ring, counted whole), ``approximate`` (True for a point plant),
        ``utm_epsg`` (the metric CRS used).
    """
    _require_lonlat(plants, "plants")
    _require_lonlat(residential, "residential areas")
    if targets is not None:
        _require_lonlat(targets, "protection targets")
    if ring_m <= 0:
        raise InvalidInput(f"ring_m must be a positive number of metres, got {ring_m!r}")
    if (residential["population"] < 0).any():
        raise InvalidInput("residential areas have a negative population")

    centre = shapely.centroid(plants.geometry.values)
    zones = utm_epsg(shapely.get_x(centre), shapely.get_y(centre)).astype(int)
    out = pd.DataFrame(
        {"residents": 0.0, "residential_areas": 0, "other_people": 0.0, "other_targets": 0,
         "approximate": False, "utm_epsg": zones},
        index=plants.index,
    )
    for epsg in np.unique(zones):
        mask = zones == epsg
        group = plants[mask].to_crs(int(epsg))
        is_point = group.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
        outer = shapely.buffer(group.geometry.values, ring_m)
        ring = np.where(is_point, outer, shapely.difference(outer, group.geometry.values))
        rings = gpd.GeoDataFrame({"plant": group.index}, geometry=ring, crs=group.crs)
        out.loc[group.index, "approximate"] = is_point

        # Only the residential areas near this zone's plants are projected.
        lon0, lat0, lon1, lat1 = gpd.GeoSeries(ring, crs=group.crs).to_crs(4326).total_bounds
        near = residential.cx[lon0:lon1, lat0:lat1]
        if len(near):
            res = near[["population", "geometry"]].to_crs(int(epsg))
            pairs = gpd.sjoin(res, rings, predicate="intersects", how="inner")
            if len(pairs):
                inside = shapely.area(shapely.intersection(pairs.geometry.values,
                                                           rings.geometry.values[pairs["index_right"].to_numpy()]))
                share = inside / shapely.area(pairs.geometry.values)
                people = pairs["population"].to_numpy(dtype=float) * share
                summed = pd.Series(people).groupby(pairs["plant"].to_numpy()).sum()
                counted = pd.Series(share > 0).groupby(pairs["plant"].to_numpy()).sum()
                out.loc[summed.index, "residents"] = summed.to_numpy()
                out.loc[counted.index, "residential_areas"] = counted.to_numpy().astype(int)
        if targets is not None and len(targets):
            near_t = targets.cx[lon0:lon1, lat0:lat1]
            if len(near_t):
                tt = near_t[["population", "geometry"]].to_crs(int(epsg))
                pairs = gpd.sjoin(tt, rings, predicate="intersects", how="inner")
                if len(pairs):
                    grouped = pairs.groupby("plant")
                    other = grouped["population"].sum(min_count=1).fillna(0.0)
                    out.loc[other.index, "other_people"] = other.to_numpy(dtype=float)
                    out.loc[other.index, "other_targets"] = grouped.size().to_numpy()
    return out
