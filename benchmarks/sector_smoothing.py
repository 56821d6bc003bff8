"""Rays against smoothed sectors: the 3×10⁻⁷ and 1×10⁻⁵ distances of one chlorine vessel.

One pressure vessel of 液氯 (30 t, 0.58 MPa, the chlorine containment of ``benchmarks/risk.py``)
at the origin, the six Purple Book weather classes equally likely and the uniform 16-sector rose
(the defaults of ``RiskSettings``), IR on a 5 m grid. For each treatment (``RAYS``: all wind of a
sector along its centre bearing; ``SMOOTHED``: each sector's probability uniform over its width)
it prints how far each level reaches along a sector's centre bearing ("on a ray"), half-way
between two centre bearings ("between rays"), and at most in any direction (the contour's farthest
vertex), with the time of ``risk_field`` at 5 m and 25 m.

    python benchmarks/sector_smoothing.py            # prints a table; writes benchmarks/out/sector_smoothing.json
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from risk import templates  # noqa: E402

from geo_risk.risk.contours import iso_risk_polygons, reach_of_polygon  # noqa: E402
from geo_risk.risk.grid import RAYS, SMOOTHED, Grid, risk_field  # noqa: E402
from geo_risk.risk.run import RiskSettings  # noqa: E402

LEVELS = (3e-7, 1e-5)


def along(grid: Grid, ir: np.ndarray, bearing_deg: float, level: float) -> float:
    """Farthest distance (m) along ``bearing_deg`` (clockwise from north) where IR ≥ ``level``,
    reading the grid bilinearly every metre."""
    r = np.arange(0.0, min(grid.nx, grid.ny) * grid.cell_m / 2, 1.0)
    x, y = r * math.sin(math.radians(bearing_deg)), r * math.cos(math.radians(bearing_deg))
    j, i = (x - grid.x0) / grid.cell_m, (y - grid.y0) / grid.cell_m
    j0, i0 = np.floor(j).astype(int), np.floor(i).astype(int)
    tj, ti = j - j0, i - i0
    v = ((1 - ti) * ((1 - tj) * ir[i0, j0] + tj * ir[i0, j0 + 1])
         + ti * ((1 - tj) * ir[i0 + 1, j0] + tj * ir[i0 + 1, j0 + 1]))
    hit = np.flatnonzero(v >= level)
    return float(r[hit[-1]]) if hit.size else 0.0


def main() -> None:
    chlorine = templates()["chlorine"]
    rose = RiskSettings().rose()
    half = 1500.0
    out: dict[str, dict] = {}
    for name, smoothing in (("rays", RAYS), ("smoothed", SMOOTHED)):
        row: dict[str, object] = {}
        for cell in (5.0, 25.0):
            n = int(2 * half / cell) + 1
            grid = Grid(-half, -half, cell, n, n)
            t0 = time.perf_counter()
            ir = risk_field(grid, [chlorine], rose, smoothing=smoothing).ir
            row[f"risk_field_s_{cell:g}m"] = round(time.perf_counter() - t0, 2)
            if cell == 5.0:
                polygons = dict(iso_risk_polygons(grid, ir, LEVELS))
                for level in LEVELS:
                    row[f"{level:g}"] = {
                        "on_a_ray_m": along(grid, ir, 180.0, level),  # wind FROM the north: the ray south
                        "between_rays_m": along(grid, ir, 180.0 + 11.25, level),
                        "farthest_m": round(reach_of_polygon(polygons[level], 0.0, 0.0), 1),
                    }
                row["max_ir"] = float(ir.max())
        out[name] = row
    print("one 液氯 pressure vessel (30 t, 0.58 MPa); six PB classes equally likely; uniform 16-sector rose; 5 m grid")
    print(f"{'treatment':10} {'level':>7} {'on a ray':>9} {'between':>9} {'farthest':>9}   risk_field 5 m / 25 m")
    for name, row in out.items():
        for level in LEVELS:
            d = row[f"{level:g}"]
            print(f"{name:10} {level:7.0e} {d['on_a_ray_m']:8.0f}m {d['between_rays_m']:8.0f}m {d['farthest_m']:8.0f}m"
                  f"   {row['risk_field_s_5m']:.2f} s / {row['risk_field_s_25m']:.2f} s")
    (REPO / "benchmarks" / "out").mkdir(exist_ok=True)
    (REPO / "benchmarks" / "out" / "sector_smoothing.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
