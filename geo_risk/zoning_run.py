"""Run the four-colour zoning on the store (the ``zoning`` step of ``geo-risk analyse``) and write the
heatmap as a Cloud-Optimised GeoTIFF. The I/O edge around :mod:`geo_risk.analysis.zoning`.

Reads the store's enterprises (with their official 应急〔2018〕19号 scores), hazard units with their
public GB 18218 grade and R, parks, residential areas and administrative areas
(:mod:`geo_risk.store.zoning`), and the current IR grids of the enterprise risk runs
(:mod:`geo_risk.store.ir_grids`). IR in a cell is the summed field (:func:`ir_field.cumulative_points`)
at the cell's centre and at the centre of every IR-grid cell inside it where some grid holds at
least :data:`IR_POINT_FLOOR`; an enterprise's IR at its worst protection target is its own grid's
largest value over every target's footprint (:func:`ir_field.max_over_geometries`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["zoning_settings", "run_zoning", "zoning_current", "heatmap_path", "write_heatmap_cog",
           "IR_POINT_FLOOR", "HEATMAP_BANDS"]

Progress = Callable[[str, int, int], None]

#: IR-grid cells below this (per year) are not sampled inside H3 cells: a tenth of the lowest band,
#: so every colour boundary is met with margin; the cell centre is always sampled.
IR_POINT_FLOOR = 3e-8
#: Bands of the heatmap GeoTIFF: (description, what it holds).
HEATMAP_BANDS = (
    ("colour_rank", "四色等级 colour rank: 1 红 red, 2 橙 orange, 3 黄 yellow, 4 蓝 blue (service classification)"),
    ("ir_max", "单元格最大个人风险 largest individual risk in the cell, per year, summed over enterprises"),
    ("r_heat", "重大危险源R值距离加权和 distance-weighted sum of GB 18218 R (public R of major hazard units)"),
    ("population_per_km2", "常住人口密度 residents per km² (apportioned by area)"),
)


def zoning_settings(settings: Any = None):  # noqa: ANN201 - a ZoningSettings
    """The zoning settings from the service settings (``GEO_RISK_ZONING_*``)."""
    from geo_risk.analysis.zoning import ZoningSettings
    from geo_risk.settings import get_settings

    s = settings or get_settings()
    return ZoningSettings(resolution=s.zoning_h3_resolution, fine_resolution=s.zoning_h3_fine_resolution,
                          r_kernel=s.zoning_r_kernel, r_radius_m=s.zoning_r_radius_m)


def heatmap_path(data_dir: Path) -> Path:
    """Where the heatmap GeoTIFF of the latest zoning lives."""
    return Path(data_dir) / "zoning" / "heatmap.tif"


def zoning_current(url: str) -> bool:
    """Whether the stored zoning is current (inputs, risk runs and gradings unchanged since)."""
    from geo_risk.store.zoning import is_current

    return is_current(url)


def _grid_points(grids: list, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat of the centres of every grid cell holding at least ``floor`` (per year)."""
    from pyproj import Transformer

    xs, ys = [], []
    for g in grids:
        rows, cols = np.nonzero(g.array >= floor)
        if rows.size == 0:
            continue
        t = g.transform
        x = t.c + (cols + 0.5) * t.a
        y = t.f + (rows + 0.5) * t.e
        lon, lat = Transformer.from_crs(g.crs, 4326, always_xy=True).transform(x, y)
        xs.append(np.asarray(lon))
        ys.append(np.asarray(lat))
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs), np.concatenate(ys)


def _target_ir(grids: list, targets: np.ndarray) -> dict[str, float]:
    """Per enterprise: its own grid's largest IR over any target footprint (the regulatory view)."""
    from geo_risk.analysis.ir_field import max_over_geometries

    out: dict[str, float] = {}
    if len(targets) == 0:
        return out
    for g in grids:
        if g.scope != "enterprise":
            continue
        out[g.scope_id] = max(out.get(g.scope_id, 0.0), float(max_over_geometries(g, targets).max()))
    return out


def write_heatmap_cog(path: Path, cells: Any, resolution: int, *, max_pixels: int = 4096,
                      min_pixel_m: float = 50.0, tags: dict[str, str] | None = None) -> Path:
    """Rasterise the heatmap cells (one resolution) into a 4-band float32 COG (:data:`HEATMAP_BANDS`)
    in the UTM zone of the cells' centre; pixels outside every cell are NaN. The pixel is
    ``min_pixel_m`` or coarser, so that neither side exceeds ``max_pixels``."""
    import h3
    import rasterio
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    from geo_risk.analysis.colours import RANK
    from geo_risk.analysis.zoning import _project, utm_epsg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    geoms = np.asarray(cells["geometry"].values, dtype=object)
    if len(geoms) == 0:
        raise ValueError("no cells to rasterise")
    lon0, lat0 = np.mean(shapely.bounds(geoms)[:, [0, 2]]), np.mean(shapely.bounds(geoms)[:, [1, 3]])
    epsg = int(utm_epsg(np.array([lon0]), np.array([lat0]))[0])
    proj = _project(geoms, epsg)
    xmin, ymin = shapely.bounds(proj)[:, :2].min(axis=0)
    xmax, ymax = shapely.bounds(proj)[:, 2:].max(axis=0)
    px = max(min_pixel_m, (xmax - xmin) / max_pixels, (ymax - ymin) / max_pixels)
    width, height = int(np.ceil((xmax - xmin) / px)), int(np.ceil((ymax - ymin) / px))
    transform = from_origin(xmin, ymax, px, px)
    index = rasterize(((g, k + 1) for k, g in enumerate(proj)), out_shape=(height, width), transform=transform,
                      fill=0, dtype="int32")
    area_km2 = np.array([h3.cell_area(c, "km^2") for c in cells["h3"]])
    values = [np.array([RANK[c] for c in cells["colour"]], dtype=float), cells["ir_max"].to_numpy(float),
              cells["r_heat"].to_numpy(float), cells["population"].to_numpy(float) / area_km2]
    profile = {"driver": "COG", "width": width, "height": height, "count": len(HEATMAP_BANDS), "dtype": "float32",
               "crs": f"EPSG:{epsg}", "transform": transform, "compress": "deflate", "predictor": 3,
               "nodata": float("nan"), "overview_resampling": "nearest"}
    with rasterio.open(path, "w", **profile) as dst:
        for b, (vals, (name, desc)) in enumerate(zip(values, HEATMAP_BANDS, strict=True), start=1):
            lut = np.concatenate([[np.nan], vals]).astype(np.float32)
            dst.write(lut[index], b)
            dst.set_band_description(b, f"{name}: {desc}")
        dst.update_tags(h3_resolution=str(resolution), basis="服务分级 service classification", **(tags or {}))
    return path


def run_zoning(url: str, progress: Progress | None = None, *, settings: Any = None,
               data_dir: Path | None = None) -> str:
    """Recompute and store the zoning and write its heatmap COG; returns a one-line summary with the
    settings used."""
    import json

    from geo_risk.analysis.ir_field import cumulative_points
    from geo_risk.analysis.zoning import ZoningInputs, zone
    from geo_risk.settings import get_settings
    from geo_risk.store import zoning as store
    from geo_risk.store.ir_grids import read_grids

    s = settings or get_settings()
    zs = zoning_settings(s)
    data_dir = Path(data_dir or s.data_dir)
    started = time.perf_counter()
    data = store.read_inputs(url)
    grids = [g for g in read_grids(url, data_dir=data_dir) if g.scope == "enterprise"]
    ir_at = (lambda lon, lat: cumulative_points(grids, lon, lat)) if grids else None
    points = _grid_points(grids, IR_POINT_FLOOR) if grids else None
    target_ir = _target_ir(grids, store.read_targets(url)) if grids else {}
    read_s = time.perf_counter() - started
    if progress:
        progress("zoning: computing", 0, 1)
    result = zone(ZoningInputs(enterprises=data["enterprises"], units=data["units"], parks=data["parks"],
                               residential=data["residential"], admin_areas=data["admin_areas"], ir_at=ir_at,
                               ir_points=points, target_ir=target_ir), zs)
    summary = result.summary()
    summary["ir_grids"] = len(grids)
    summary["timings_s"] = {"read": round(read_s, 3), **{k: round(v, 3) for k, v in result.timings_s.items()}}
    coarse = result.cells[result.cells["resolution"] == zs.resolution]
    cog = heatmap_path(data_dir)
    if len(coarse):
        write_heatmap_cog(cog, coarse, zs.resolution, tags={"settings": json.dumps(result.settings["values"])})
        summary["cog"] = str(cog)
    store.save(url, result, inputs_version=data["inputs_version"], basis_=data["basis"], summary=summary)
    counts = summary.get(f"cells_res{zs.resolution}", {})
    return (f"{len(coarse)} cells at H3 res {zs.resolution} (红 {counts.get('red', 0)}, 橙 {counts.get('orange', 0)}, "
            f"黄 {counts.get('yellow', 0)}, 蓝 {counts.get('blue', 0)}), {len(result.areas)} areas, "
            f"{len(result.enterprises)} enterprises, {len(grids)} IR grids; R kernel {zs.r_kernel} "
            f"{zs.r_radius_m:g} m; fine res {zs.fine_resolution}")
