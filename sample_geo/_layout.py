"""Geometry primitives for the synthetic Jilin City sample.

Everything here works in a *local* metric frame: metres, x east and y north, origin at the
city centre (lon 126.55, lat 43.84). ``generate.py`` shifts the result into
EPSG:4551 (CGCS2000 / 3-degree Gauss-Kruger CM 126E) and then converts it to EPSG:4490.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DENSITY_CENTRES",
    "RIVER_HALF_WIDTH_M",
    "fill_lots",
    "irregular_plant",
    "largest_part",
    "park_outlines",
    "place_units",
    "river_band",
    "river_centreline",
    "rotated_rectangle",
    "urban_density",
]

#: Half width of the modelled Songhua River band, in metres.
RIVER_HALF_WIDTH_M = 220.0

# Control points of the river centreline (local metres), SW -> centre -> NE, then bending
# north-north-west past the chemical industry zone, like the real Songhua at Jilin.
_RIVER_CONTROL_M: tuple[tuple[float, float], ...] = (
    (-24000.0, -13000.0),
    (-16000.0, -9500.0),
    (-9500.0, -6200.0),
    (-4500.0, -2600.0),
    (0.0, 0.0),
    (3500.0, 3300.0),
    (5000.0, 7800.0),
    (4400.0, 12600.0),
    (2600.0, 17200.0),
    (2200.0, 24000.0),
)

#: Population-density kernels: (x_m, y_m, sigma_along_m, sigma_across_m, weight, angle_deg).
DENSITY_CENTRES: tuple[tuple[float, float, float, float, float, float], ...] = (
    (0.0, 0.0, 5200.0, 3300.0, 1.0, 40.0),  # main city on both banks
    (7000.0, 5200.0, 1700.0, 1300.0, 0.78, 0.0),  # Longtan (龙潭) sub-centre
    (-800.0, 10900.0, 1300.0, 1000.0, 0.62, 0.0),  # Jiuzhan (九站) sub-centre
    (5200.0, -7200.0, 1300.0, 1000.0, 0.6, 0.0),  # Fengman (丰满) town
    (-7200.0, 1500.0, 1300.0, 1100.0, 0.52, 0.0),  # Hada (哈达湾) west
    (-3800.0, -5600.0, 1200.0, 900.0, 0.5, 0.0),  # Jiangnan (江南) south-west
)


def _chaikin(coords: np.ndarray, iterations: int = 4) -> np.ndarray:
    """Smooth an open polyline by Chaikin corner cutting (keeps both end points)."""
    pts = np.asarray(coords, dtype=float)
    for _ in range(iterations):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2] = q
        mid[1::2] = r
        pts = np.vstack([pts[:1], mid, pts[-1:]])
    return pts


def river_centreline() -> LineString:
    """Return the smoothed Songhua River centreline (local metres)."""
    return LineString(_chaikin(np.array(_RIVER_CONTROL_M)))


def river_band(half_width_m: float = RIVER_HALF_WIDTH_M) -> Polygon:
    """Return the river water surface as a band ``2 * half_width_m`` metres wide."""
    return river_centreline().buffer(half_width_m, quad_segs=4)


def largest_part(geom: BaseGeometry) -> Polygon | None:
    """Return the largest polygon of ``geom`` (or ``None`` if it has no polygonal area)."""
    if geom.is_empty:
        return None
    if isinstance(geom, Polygon):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    if not polys:
        return None
    return max(polys, key=lambda g: g.area)


def park_outlines(river: Polygon) -> dict[str, Polygon | MultiPolygon]:
    """Return the synthetic outlines of PARK-01 and PARK-02 (local metres).

    PARK-01 lies on the east bank north of the city (Longtan-like chemical zone); PARK-02 is
    a two-parcel park on the west bank further north-north-west (Jiuzhan-like). Both keep at
    least 350 m from the river band.
    """
    keep_off = river.buffer(350.0, quad_segs=4)
    p1 = Polygon(
        [
            (5950, 7000), (8200, 6750), (9600, 7550), (9850, 9600),
            (8850, 10750), (6900, 10850), (6100, 10100), (5800, 8500),
        ]
    )
    p2a = Polygon(
        [
            (-1500, 12500), (1100, 12350), (2700, 12900), (2800, 14300),
            (1900, 14900), (-300, 14950), (-1650, 14300),
        ]
    )
    p2b = Polygon([(-3300, 15300), (-1300, 15250), (-1150, 16650), (-3150, 16700)])
    parts = [largest_part(p.difference(keep_off)) for p in (p1, p2a, p2b)]
    if any(p is None for p in parts):
        raise RuntimeError("a park outline lies entirely in the river keep-off zone")
    park1, park2a, park2b = parts
    return {"PARK-01": park1, "PARK-02": MultiPolygon([park2a, park2b])}


def urban_density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return a dimensionless urban density in [0, 1] at local coordinates (metres)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.zeros(np.broadcast(x, y).shape)
    for cx, cy, s_along, s_across, weight, angle in DENSITY_CENTRES:
        a = np.deg2rad(angle)
        dx, dy = x - cx, y - cy
        u = dx * np.cos(a) + dy * np.sin(a)
        v = -dx * np.sin(a) + dy * np.cos(a)
        out = np.maximum(out, weight * np.exp(-0.5 * ((u / s_along) ** 2 + (v / s_across) ** 2)))
    return out


def fill_lots(
    area: Polygon,
    reserved: Sequence[Polygon],
    rng: np.random.Generator,
    *,
    row_height_m: tuple[float, float] = (230.0, 470.0),
    lot_width_m: tuple[float, float] = (170.0, 560.0),
    gap_m: tuple[float, float] = (22.0, 90.0),
    road_m: tuple[float, float] = (30.0, 70.0),
    edge_m: float = 40.0,
) -> list[Polygon]:
    """Tile ``area`` with axis-aligned plant lots in rows, like a park's land parcels.

    Lots in a row are ``gap_m`` metres apart; rows are separated by ``road_m`` metres. Lots
    must lie ``edge_m`` metres inside ``area`` and keep ``gap_m`` from ``reserved`` lots.
    Returns lots ordered row by row, west to east.
    """
    inner = area.buffer(-edge_m, join_style="mitre")
    shapely.prepare(inner)
    blocked = [r.buffer(float(gap_m[0]), join_style="mitre") for r in reserved]
    minx, miny, maxx, maxy = area.bounds
    lots: list[Polygon] = []
    y = miny
    while y < maxy:
        h = float(rng.uniform(*row_height_m))
        x = minx + float(rng.uniform(0.0, 80.0))
        while x < maxx:
            # About one lot in eight is a wide parcel for a large plant.
            w = float(rng.uniform(*lot_width_m)) * (2.0 if rng.random() < 0.12 else 1.0)
            lot = box(x, y, x + w, y + h)
            if inner.contains(lot) and not any(lot.intersects(b) for b in blocked):
                lots.append(lot)
                x += w + float(rng.uniform(*gap_m))
            else:
                x += 60.0
        y += h + float(rng.uniform(*road_m))
    return lots


def irregular_plant(lot: Polygon, rng: np.random.Generator) -> Polygon:
    """Return a plant boundary inside ``lot``: a rectangle, an irregular quadrilateral or an
    L shape (about 50/30/20 %). The result is valid and contained in ``lot``."""
    minx, miny, maxx, maxy = lot.bounds
    w, h = maxx - minx, maxy - miny
    kind = rng.random()
    if kind < 0.5:
        return Polygon(lot.exterior.coords)
    if kind < 0.8:
        jx = rng.uniform(0.0, 0.1, 4) * w
        jy = rng.uniform(0.0, 0.1, 4) * h
        return Polygon(
            [
                (minx + jx[0], miny + jy[0]),
                (maxx - jx[1], miny + jy[1]),
                (maxx - jx[2], maxy - jy[2]),
                (minx + jx[3], maxy - jy[3]),
            ]
        )
    cx = float(rng.uniform(0.2, 0.4)) * w
    cy = float(rng.uniform(0.2, 0.4)) * h
    corner = int(rng.integers(4))
    notch = [
        box(minx, miny, minx + cx, miny + cy),
        box(maxx - cx, miny, maxx, miny + cy),
        box(maxx - cx, maxy - cy, maxx, maxy),
        box(minx, maxy - cy, minx + cx, maxy),
    ][corner]
    poly = largest_part(lot.difference(notch))
    if poly is None:
        raise RuntimeError("notch removed the whole lot")
    return shapely.normalize(poly)


def rotated_rectangle(centre: Point, width_m: float, height_m: float, angle_deg: float) -> Polygon:
    """Return a ``width_m`` x ``height_m`` rectangle centred on ``centre`` and rotated."""
    rect = box(
        centre.x - width_m / 2, centre.y - height_m / 2, centre.x + width_m / 2, centre.y + height_m / 2
    )
    return affinity.rotate(rect, angle_deg, origin=centre) if angle_deg else rect


def place_units(
    plant: Polygon,
    areas_m2: Sequence[float],
    rng: np.random.Generator,
    *,
    angle_deg: float = 0.0,
    setback_m: float = 12.0,
    spacing_m: float = 12.0,
) -> list[Polygon]:
    """Place rectangular unit footprints of about ``areas_m2`` square metres inside ``plant``.

    Units stay ``setback_m`` metres inside the plant boundary and ``spacing_m`` metres apart,
    aligned with the plant's orientation ``angle_deg``. Areas are shrunk when they do not fit.
    The footprints are returned in the order of ``areas_m2``.
    """
    origin = plant.centroid
    local = affinity.rotate(plant, -angle_deg, origin=origin) if angle_deg else plant
    inner = local.buffer(-setback_m, join_style="mitre")
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    order = np.argsort(-np.asarray(areas_m2, dtype=float), kind="stable")
    placed: dict[int, Polygon] = {}
    blockers: list[Polygon] = []
    for idx in order:
        area = float(areas_m2[idx])
        rect = None
        for _shrink in range(8):
            aspect = float(rng.uniform(1.0, 2.2))
            w = float(np.sqrt(area * aspect))
            h = area / w
            if rng.random() < 0.5:
                w, h = h, w
            if w < maxx - minx and h < maxy - miny:
                for _try in range(40):
                    x = float(rng.uniform(minx, maxx - w))
                    y = float(rng.uniform(miny, maxy - h))
                    cand = box(x, y, x + w, y + h)
                    if inner.contains(cand) and not any(cand.intersects(b) for b in blockers):
                        rect = cand
                        break
            if rect is not None:
                break
            area *= 0.6
        if rect is None:
            raise RuntimeError(f"could not place a unit of {areas_m2[idx]:.0f} m2 in plant")
        blockers.append(rect.buffer(spacing_m, join_style="mitre"))
        placed[int(idx)] = rect
    out = [placed[i] for i in range(len(areas_m2))]
    if angle_deg:
        out = [affinity.rotate(u, angle_deg, origin=origin) for u in out]
    return out
