"""Read the stored individual-risk grids (the COGs of ``risk_runs.grid_path``) for the analyses.

Each QRA run wrote its IR field as a Cloud-Optimised GeoTIFF (:func:`geo_risk.risk.contours.write_cog`)
and stored its path. :func:`read_grids` returns them as :class:`geo_risk.analysis.ir_field.IrGrid`
(array, affine transform, CRS, the run's scope and plants) for the pure sampler
:mod:`geo_risk.analysis.ir_field`. By default only runs computed from the store's current inputs
are read (a run whose inputs changed since is stale: its grid describes plants as they were).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy import text

from geo_risk.analysis.ir_field import IrGrid
from geo_risk.errors import GeoRiskError
from geo_risk.store.db import get_engine

__all__ = ["read_grids", "grid_runs"]


def grid_runs(url: str, *, include_stale: bool = False) -> list[dict[str, Any]]:
    """The runs that stored a grid: id, scope, scope_id, criteria, grid_path, inputs_version, current,
    and ``enterprise_ids`` (the enterprise itself; for a park run, the park's enterprises that have
    a run of their own or, failing that, every enterprise of the park)."""
    cond = "" if include_stale else " AND r.inputs_version = (SELECT inputs_version FROM data_version)"
    sql = (
        "SELECT r.id, r.scope, r.scope_id, r.criteria, r.grid_path, r.inputs_version, "
        "r.inputs_version = (SELECT inputs_version FROM data_version) AS current, "
        "CASE WHEN r.scope = 'enterprise' THEN ARRAY[r.scope_id] ELSE COALESCE("
        " (SELECT array_agg(e.id ORDER BY e.id) FROM enterprises e JOIN risk_runs er ON er.scope = 'enterprise' "
        "   AND er.scope_id = e.id WHERE e.park_id = r.scope_id),"
        " (SELECT array_agg(e.id ORDER BY e.id) FROM enterprises e WHERE e.park_id = r.scope_id)) END "
        "AS enterprise_ids "
        f"FROM risk_runs r WHERE r.grid_path IS NOT NULL{cond} ORDER BY r.scope, r.scope_id"  # noqa: S608
    )
    with get_engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql))]


def _resolve(path: str, data_dir: Path | None) -> Path:
    p = Path(path)
    if not p.is_absolute() and data_dir is not None:
        p = Path(data_dir) / p
    return p


def read_grids(
    url: str,
    *,
    data_dir: Path | None = None,
    scope: str | None = None,
    enterprise_ids: Collection[str] | None = None,
    include_stale: bool = False,
) -> list[IrGrid]:
    """The stored IR grids as :class:`IrGrid` (per year, rows from the north).

    ``scope``: only ``enterprise`` or ``park`` runs (default both). ``enterprise_ids``: only runs
    holding one of these plants. ``include_stale``: also runs computed from older inputs (their
    ``current`` is False). ``data_dir``: where relative grid paths are resolved (default: the
    settings' data directory).

    Raises
    ------
    GeoRiskError
        A run's grid file is missing or unreadable (the message names the run and says to rerun
        ``geo-risk risk``).
    """
    runs = grid_runs(url, include_stale=include_stale)
    if not runs:  # no grid: neither rasterio (≈ 0.1–0.2 s to import) nor the settings are needed
        return []
    import numpy as np
    import rasterio

    if data_dir is None:
        from geo_risk.settings import get_settings

        data_dir = get_settings().data_dir
    wanted = None if enterprise_ids is None else {str(e) for e in enterprise_ids}
    out: list[IrGrid] = []
    for run in runs:
        if scope is not None and run["scope"] != scope:
            continue
        members = tuple(run["enterprise_ids"] or ())
        if wanted is not None and not wanted.intersection(members):
            continue
        path = _resolve(run["grid_path"], data_dir)
        try:
            with rasterio.open(path) as src:
                array = src.read(1).astype(np.float64)
                transform, crs = src.transform, src.crs.to_wkt()
        except (rasterio.errors.RasterioIOError, OSError) as exc:
            raise GeoRiskError(
                f"the IR grid of the {run['scope']} {run['scope_id']} risk run cannot be read ({path.name}): "
                f"rerun `geo-risk risk --{run['scope']} {run['scope_id']}` to write it again"
            ) from exc
        out.append(IrGrid(run_id=int(run["id"]), scope=run["scope"], scope_id=run["scope_id"],
                          enterprise_ids=members, criteria=run["criteria"], crs=crs, array=array,
                          transform=transform, inputs_version=int(run["inputs_version"]),
                          current=bool(run["current"]), path=str(path)))
    return out
