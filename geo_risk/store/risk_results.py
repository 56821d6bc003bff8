"""Stored risk-engine results: one run per enterprise or park, its contours and distances.

A run replaces the previous run of the same scope in one transaction (contours cascade). Results
carry the store's inputs version they were computed at; :func:`stale_runs` lists those computed
at an older one. Contour geometries arrive in a projected CRS and are stored in EPSG:4326.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text

from geo_risk.store.db import get_engine

__all__ = ["save_run", "save_distances", "list_runs", "get_run", "run_contours_geojson", "distances_for"]


def save_run(
    url: str,
    *,
    scope: str,
    scope_id: str,
    criteria: str | None,
    inputs_version: int,
    model_version: str,
    assumptions: dict[str, Any],
    grid_cell_m: float | None,
    grid_path: str | None,
    max_ir: float | None,
    fn: dict[str, list[float]] | None,
    fn_region: str | None,
    contours: Sequence[tuple[float, str, str, Any]],
    source_crs: Any,
) -> int:
    """Store one run (replacing the scope's previous one) with its contours; return the run id.

    ``contours``: (level per year, level label, target classes, shapely geometry in ``source_crs``).
    """
    import numpy as np
    import pyproj
    import shapely

    transformer = pyproj.Transformer.from_crs(source_crs, 4326, always_xy=True)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:  # shapely 2's vectorised transform: (n, 2) in, (n, 2) out
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM risk_runs WHERE scope = :s AND scope_id = :i"), {"s": scope, "i": scope_id})
        run_id = conn.execute(
            text(
                "INSERT INTO risk_runs (scope, scope_id, criteria, inputs_version, model_version, assumptions, "
                "grid_cell_m, grid_path, max_ir, fn, fn_region) VALUES (:scope, :scope_id, :criteria, :iv, :mv, "
                "CAST(:assumptions AS jsonb), :cell, :path, :max_ir, CAST(:fn AS jsonb), :region) RETURNING id"
            ),
            {"scope": scope, "scope_id": scope_id, "criteria": criteria, "iv": inputs_version, "mv": model_version,
             "assumptions": json.dumps(assumptions, ensure_ascii=False, default=str), "cell": grid_cell_m,
             "path": grid_path, "max_ir": max_ir, "fn": json.dumps(fn) if fn is not None else None,
             "region": fn_region},
        ).scalar_one()
        for level, label, classes, geom in contours:
            if geom is None or geom.is_empty:
                continue
            wgs = shapely.make_valid(shapely.transform(geom, to_wgs84))
            if wgs.geom_type == "Polygon":
                wgs = shapely.MultiPolygon([wgs])
            elif wgs.geom_type != "MultiPolygon":
                polys = [g for g in getattr(wgs, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
                wgs = shapely.MultiPolygon([p for g in polys for p in getattr(g, "geoms", [g])])
                if wgs.is_empty:
                    continue
            conn.execute(
                text(
                    "INSERT INTO risk_contours (run_id, level_per_year, level_label, target_classes, criteria, geom) "
                    "VALUES (:run, :level, :label, :classes, :criteria, ST_GeomFromWKB(:wkb, 4326))"
                ),
                {"run": run_id, "level": level, "label": label, "classes": classes, "criteria": criteria,
                 "wkb": shapely.to_wkb(wgs)},
            )
    return int(run_id)


def save_distances(
    url: str, enterprise_ids: Iterable[str], rows: Sequence[dict[str, Any]], inputs_version: int
) -> None:
    """Replace the external distances of ``enterprise_ids`` with ``rows`` (one per unit/enterprise and class)."""
    ids = list(enterprise_ids)
    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM external_distances WHERE enterprise_id = ANY(:ids)"), {"ids": ids})
        if rows:
            conn.execute(
                text(
                    "INSERT INTO external_distances (enterprise_id, unit_id, target_class, method, method_distance_m, "
                    "code_distance_m, final_distance_m, declared_distance_m, declared_shorter, criteria, reason, "
                    "inputs_version) VALUES (:enterprise_id, :unit_id, :target_class, :method, :method_distance_m, "
                    ":code_distance_m, :final_distance_m, :declared_distance_m, :declared_shorter, :criteria, "
                    ":reason, :iv)"
                ),
                [{**r, "iv": inputs_version} for r in rows],
            )


_RUN_COLUMNS = (
    "id, scope, scope_id, criteria, inputs_version, model_version, assumptions, grid_cell_m, grid_path, max_ir, "
    "fn, fn_region, computed_at, inputs_version = (SELECT inputs_version FROM data_version) AS current"
)


def list_runs(url: str) -> list[dict[str, Any]]:
    """Every stored run (newest first), with ``current`` false when its inputs changed since."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(f"SELECT {_RUN_COLUMNS} FROM risk_runs ORDER BY computed_at DESC, id DESC"))  # noqa: S608
        return [dict(r._mapping) for r in rows]


def get_run(url: str, scope: str, scope_id: str) -> dict[str, Any] | None:
    """The stored run of one enterprise or park, or None."""
    with get_engine(url).connect() as conn:
        row = conn.execute(
            text(f"SELECT {_RUN_COLUMNS} FROM risk_runs WHERE scope = :s AND scope_id = :i"),  # noqa: S608
            {"s": scope, "i": scope_id},
        ).first()
        return dict(row._mapping) if row else None


def run_contours_geojson(url: str, run_id: int) -> dict[str, Any]:
    """The contours of a run as a GeoJSON FeatureCollection (EPSG:4326, lon/lat)."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, level_per_year, level_label, target_classes, criteria, ST_AsGeoJSON(geom, 7) AS g "
                "FROM risk_contours WHERE run_id = :r ORDER BY level_per_year"
            ),
            {"r": run_id},
        ).all()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": str(r.id), "geometry": json.loads(r.g),
         "properties": {"level_per_year": r.level_per_year, "level_label": r.level_label,
                        "target_classes": r.target_classes, "criteria": r.criteria}}
        for r in rows
    ]}


def distances_for(url: str, enterprise_id: str | None = None) -> list[dict[str, Any]]:
    """Stored external distances (all, or one enterprise's), with ``current`` per row."""
    where = "WHERE enterprise_id = :e" if enterprise_id else ""
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT enterprise_id, unit_id, target_class, method, method_distance_m, code_distance_m, "
                "final_distance_m, declared_distance_m, declared_shorter, criteria, reason, computed_at, "
                "inputs_version = (SELECT inputs_version FROM data_version) AS current "
                f"FROM external_distances {where} ORDER BY enterprise_id, unit_id NULLS FIRST, target_class"  # noqa: S608
            ),
            {"e": enterprise_id},
        )
        return [dict(r._mapping) for r in rows]
