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

The ring's round parts (around the plant's corners) are polygons inscribed in the true circle
arcs. GEOS' default of 8 segments per quarter circle leaves chords up to r·(1 − cos(π/32)) =
2.4 m inside a 500 m arc, which undercounted residents by up to 2.6 %; :func:`ring_quad_segs`
chooses the segments from the radius so that no chord lies more than :data:`RING_TOLERANCE_M`
(1 cm) inside the arc: 125 per quarter circle for 500 m.

Only the blocks whose area the ring's edge crosses are intersected with it (a ring has ~500
vertices; most blocks near a plant lie wholly in its ring and count whole, share exactly 1), and
only the residential areas in a lon/lat box around each zone's plants are projected and tested.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.errors import CRSMismatch, InvalidInput

__all__ = ["RING_M", "RING_TOLERANCE_M", "exposed_people", "plant_rings", "ring_quad_segs", "utm_epsg"]

#: GB 18218 Table 5: residents within this distance outward from the plant boundary, metres.
RING_M = 500.0

#: Largest gap, metres, between the ring's polygonal outer edge and the true offset curve.
RING_TOLERANCE_M = 0.01

#: Plants whose rings are drawn and tested at once (memory: ~500 vertices a ring, prepared).
_BATCH_PLANTS = 4096


def ring_quad_segs(ring_m: float, tolerance_m: float = RING_TOLERANCE_M) -> int:
    """Segments per quarter circle that keep a buffer of ``ring_m`` metres within ``tolerance_m`` of its arcs.

    A chord spanning the angle θ = π/(2n) of an arc of radius r lies at most its sagitta
    r·(1 − cos(θ/2)) inside the arc; n is the smallest number of segments per quarter circle for
    which that is ≤ ``tolerance_m`` (never fewer than GEOS' default 8).

    Examples
    --------
    >>> ring_quad_segs(500.0)  # 500 m within 1 cm
    125
    >>> ring_quad_segs(500.0, 0.05)
    56
    """
    if not (ring_m > 0 and tolerance_m > 0):
        raise InvalidInput(f"ring and tolerance must be positive metres, got {ring_m!r} and {tolerance_m!r}")
    if tolerance_m >= ring_m:
        return 8
    return max(8, math.ceil(math.pi / (4.0 * math.acos(1.0 - tolerance_m / ring_m))))


def plant_rings(geoms: np.ndarray, ring_m: float = RING_M) -> np.ndarray:
    """The ring from each plant boundary out to ``ring_m`` metres: buffer minus the plant (a disc for a point).

    ``geoms``: shapely geometries in a projected metric CRS (metres). Arcs are drawn with
    :func:`ring_quad_segs` segments per quarter circle (within :data:`RING_TOLERANCE_M` of the
    exact offset curve).
    """
    geoms = np.asarray(geoms, dtype=object)
    outer = shapely.buffer(geoms, ring_m, quad_segs=ring_quad_segs(ring_m))
    kind = shapely.get_type_id(geoms)
    rings = outer.copy()
    # A plain plant (a valid polygon without holes, its buffer without holes) is the ring's one hole:
    # the polygon is built directly, the same point set as the difference, which costs more than the
    # buffer itself. Any other plant (holes, several parts, invalid) goes through the difference.
    plain = ((kind == shapely.GeometryType.POLYGON) & (shapely.get_num_interior_rings(geoms) == 0)
             & (shapely.get_type_id(outer) == shapely.GeometryType.POLYGON)
             & (shapely.get_num_interior_rings(outer) == 0) & shapely.is_valid(geoms))
    if plain.any():
        rings[plain] = shapely.polygons(shapely.get_exterior_ring(outer[plain]),
                                        holes=shapely.get_exterior_ring(geoms[plain])[:, None])
    other = ~plain & (kind != shapely.GeometryType.POINT) & (kind != shapely.GeometryType.MULTIPOINT)
    if other.any():
        rings[other] = shapely.difference(outer[other], geoms[other])
    return rings


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of the WGS 84 / UTM zone of each lon/lat (degrees): 326zz north, 327zz south."""
    zone = np.clip(np.floor((np.asarray(lon) + 180.0) / 6.0).astype(int) + 1, 1, 60)
    return np.where(np.asarray(lat) >= 0, 32600 + zone, 32700 + zone)


def _lonlat_reach_box(geoms: np.ndarray, ring_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box (degrees) holding everything within ``ring_m`` metres of ``geoms`` (EPSG:4326).

    Metres per degree are taken at their smallest — 110,574 m of latitude, 111,319·cos φ of longitude at
    the box's highest latitude — with 5 % and 1 m to spare for the UTM scale (≤ 0.1 % in a zone), so the
    box holds every ring drawn in the plants' UTM zone. Choosing a few areas too many changes nothing:
    only those a ring meets are counted.
    """
    lon0, lat0, lon1, lat1 = shapely.total_bounds(geoms)
    reach = 1.05 * ring_m + 1.0
    dlat = reach / 110_574.0
    top = min(89.0, max(abs(lat0), abs(lat1)) + dlat)
    dlon = reach / (111_319.0 * math.cos(math.radians(top)))
    return lon0 - dlon, lat0 - dlat, lon1 + dlon, lat1 + dlat


def _share_inside(areas: np.ndarray, rings: np.ndarray) -> np.ndarray:
    """Share (0–1) of each polygon's area inside its ring (pairs of equal length, metres; rings prepared).

    A polygon the ring contains properly counts whole (1): only the polygons a ring's edge crosses
    are intersected with it, the costly part (a ring has ~500 vertices).
    """
    whole = shapely.area(areas)
    share = np.ones(len(areas))
    cut = ~(shapely.contains_properly(rings, areas) & (whole > 0))
    if cut.any():
        part = areas[cut]
        # Only the ring's part near the block takes part: the ring cut to the block's box made 1 m
        # wider (so the cut edges stay off the block), a few vertices instead of ~500.
        box = shapely.bounds(part) + np.array([-1.0, -1.0, 1.0, 1.0])
        near = np.array([shapely.clip_by_rect(r, *b) for r, b in zip(rings[cut], box.tolist(), strict=True)],
                        dtype=object)
        bad = ~shapely.is_valid(near)  # a cut the fast clipping left invalid: the whole ring instead
        if bad.any():
            near[bad] = rings[cut][bad]
        share[cut] = shapely.area(shapely.intersection(part, near)) / whole[cut]
    return share


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
        out.loc[group.index, "approximate"] = group.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
        # Only the residential areas and targets near this zone's plants are projected.
        lon0, lat0, lon1, lat1 = _lonlat_reach_box(plants.geometry.values[mask], ring_m)
        near = residential.cx[lon0:lon1, lat0:lat1]
        res = near.geometry.to_crs(int(epsg)).to_numpy()  # shapely geometries, metres
        population = near["population"].to_numpy(dtype=float)
        tree = shapely.STRtree(res)
        near_t = targets.cx[lon0:lon1, lat0:lat1] if targets is not None and len(targets) else None
        tt = near_t[["population", "geometry"]].to_crs(int(epsg)) if near_t is not None and len(near_t) else None
        # Plants a batch at a time: a batch's rings (prepared, ~500 vertices each) and pairs are all
        # that is held. Every plant's pairs are in its batch, so its sums are the same.
        for start in range(0, len(group), _BATCH_PLANTS):
            batch = group.iloc[start:start + _BATCH_PLANTS]
            ring = plant_rings(batch.geometry.values, ring_m)
            shapely.prepare(ring)  # each ring is tested against every residential area its box meets
            ring_i, res_i = tree.query(ring, predicate="intersects")
            if len(res_i):
                order = np.argsort(res_i, kind="stable")  # pairs in residential order (each plant's sum adds them so)
                ring_i, res_i = ring_i[order], res_i[order]
                share = _share_inside(res[res_i], ring[ring_i])
                plant_of = batch.index.to_numpy()[ring_i]
                summed = pd.Series(population[res_i] * share).groupby(plant_of).sum()
                counted = pd.Series(share > 0).groupby(plant_of).sum()
                out.loc[summed.index, "residents"] = summed.to_numpy()
                out.loc[counted.index, "residential_areas"] = counted.to_numpy().astype(int)
            if tt is not None:
                rings = gpd.GeoDataFrame({"plant": batch.index}, geometry=ring, crs=group.crs)
                pairs = gpd.sjoin(tt, rings, predicate="intersects", how="inner")
                if len(pairs):
                    grouped = pairs.groupby("plant")
                    other = grouped["population"].sum(min_count=1).fillna(0.0)
                    out.loc[other.index, "other_people"] = other.to_numpy(dtype=float)
                    out.loc[other.index, "other_targets"] = grouped.size().to_numpy()
    return out
