"""Iso-risk contours as polygons, and the IR grid as a Cloud-Optimised GeoTIFF.

Contours: the area where IR ≥ a level, traced by contourpy (matplotlib's contouring library) on
the cell centres with linear interpolation between them, as (multi)polygons with holes in the
grid's projected CRS. Distances read off a contour are therefore good to about a cell.
The COG stores IR per year as float32, one band, in the grid's CRS, with overviews; QGIS opens it
as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geo_risk.risk.grid import Grid

__all__ = ["iso_risk_polygons", "write_cog", "reach_of_polygon", "ir_level_label"]


def ir_level_label(level_per_year: float) -> str:
    """``3×10⁻⁶`` for 3e-6: the label of an iso-risk level on maps, legends and exports."""
    mantissa, exponent = f"{level_per_year:.0e}".split("e")
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mantissa}×10{str(int(exponent)).translate(sup)}"


def iso_risk_polygons(grid: Grid, ir: np.ndarray, levels: Sequence[float]) -> list[tuple[float, Any]]:
    """(level, shapely geometry) of the area with IR ≥ level, for each level (empty when none)."""
    import contourpy
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union

    out: list[tuple[float, Any]] = []
    if grid.nx < 2 or grid.ny < 2:
        return [(float(level), Polygon()) for level in levels]
    # pad with a ring of zeros so areas touching the grid edge close
    z = np.pad(np.asarray(ir, dtype=float), 1)
    xs = np.concatenate([[grid.xs[0] - grid.cell_m], grid.xs, [grid.xs[-1] + grid.cell_m]])
    ys = np.concatenate([[grid.ys[0] - grid.cell_m], grid.ys, [grid.ys[-1] + grid.cell_m]])
    gen = contourpy.contour_generator(xs, ys, z, fill_type=contourpy.FillType.OuterOffset)
    top = max(float(z.max()) * 2, 1.0)
    for level in levels:
        polygons = []
        if z.max() >= level:
            points, offsets = gen.filled(float(level), top)
            for pts, offs in zip(points, offsets, strict=True):
                rings = [pts[offs[k] : offs[k + 1]] for k in range(len(offs) - 1)]
                if rings and len(rings[0]) >= 4:
                    polygons.append(Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
        geom = unary_union(polygons) if polygons else Polygon()
        if geom.geom_type == "Polygon" and not geom.is_empty:
            geom = MultiPolygon([geom])
        out.append((float(level), geom))
    return out


def reach_of_polygon(geom: Any, x: float, y: float) -> float:
    """The largest distance (m) from (x, y) to the contour polygon's boundary: how far it reaches."""
    if geom is None or geom.is_empty:
        return 0.0
    import shapely

    coords = shapely.get_coordinates(geom)
    return float(np.hypot(coords[:, 0] - x, coords[:, 1] - y).max())


def write_cog(path: Path, grid: Grid, ir: np.ndarray, tags: dict[str, str] | None = None) -> Path:
    """Write ``ir`` (per year) as a single-band float32 Cloud-Optimised GeoTIFF in the grid's CRS."""
    import rasterio
    from rasterio.transform import from_origin

    path = Path(path)
    top = grid.y0 + (grid.ny - 0.5) * grid.cell_m
    left = grid.x0 - grid.cell_m / 2
    transform = from_origin(left, top, grid.cell_m, grid.cell_m)
    data = np.flipud(np.asarray(ir, dtype=np.float32))  # rows from the north
    profile = {
        "driver": "COG", "width": grid.nx, "height": grid.ny, "count": 1, "dtype": "float32",
        "crs": grid.crs, "transform": transform, "compress": "deflate", "predictor": 3, "nodata": None,
        "overview_resampling": "average",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(units="per year", quantity="individual risk (location-based)", **(tags or {}))
        dst.set_band_description(1, "个人风险 Individual risk (/a)")
    return path
