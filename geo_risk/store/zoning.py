"""SQL of the four-colour zoning: read its inputs, store its results, say whether they are current.

Inputs are read with geometries as WKB (EPSG:4326). R is read as the public layer shows it
(``round(r, 2)``, major hazard units only: a unit below the threshold has no public R), so nothing the
heatmap derives from R carries more than a caller below analyst can already read.

A stored zoning run is current while the store's inputs version and :func:`zoning_basis` (the risk
runs and GB 18218 results it read) are those it was computed from (migration 0009).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text

from geo_risk.store.bulk import copy_frame, indexes_set_aside
from geo_risk.store.db import get_engine

__all__ = ["read_inputs", "read_targets", "basis", "is_current", "save", "latest_run", "cells"]

_INPUT_SQL = {
    "enterprises": "SELECT id, name, park_id, risk_score, ST_AsBinary(geom) AS wkb FROM enterprises ORDER BY id",
    "units": "SELECT u.id, u.enterprise_id, CASE WHEN a.is_major_hazard THEN a.grade END AS grade, "
             "CASE WHEN a.is_major_hazard THEN round(a.r::numeric, 2)::float END AS r, ST_AsBinary(u.geom) AS wkb "
             "FROM hazard_units u LEFT JOIN hazard_assessments a ON a.unit_id = u.id ORDER BY u.id",
    "parks": "SELECT id, name, risk_grade, ST_AsBinary(geom) AS wkb FROM chemical_parks ORDER BY id",
    "residential": "SELECT population, ST_AsBinary(geom) AS wkb FROM residential_areas WHERE population > 0",
    "admin_areas": "SELECT id, name, level, ST_AsBinary(geom) AS wkb FROM admin_areas ORDER BY id",
}


def _frame(conn, sql: str) -> pd.DataFrame:  # noqa: ANN001
    frame = pd.read_sql(text(sql), conn)
    frame["geometry"] = shapely.from_wkb([bytes(b) for b in frame.pop("wkb")]) if len(frame) else []
    return frame


def read_inputs(url: str) -> dict[str, Any]:
    """The zoning's inputs: frames (``geometry`` shapely, lon/lat) keyed as :class:`ZoningInputs`'s
    fields, plus ``inputs_version`` and ``basis``, read in one snapshot."""
    engine = get_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        out: dict[str, Any] = {k: _frame(conn, sql) for k, sql in _INPUT_SQL.items()}
        out["inputs_version"] = int(conn.execute(text("SELECT inputs_version FROM data_version")).scalar_one())
        out["basis"] = str(conn.execute(text("SELECT zoning_basis()")).scalar_one())
    return out


def read_targets(url: str) -> np.ndarray:
    """Geometries (lon/lat) of every protection target and residential area (GB 36894 targets)."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT ST_AsBinary(geom) FROM all_protection_targets")).scalars().all()
    return shapely.from_wkb([bytes(b) for b in rows]) if rows else np.zeros(0, dtype=object)


def basis(url: str) -> str:
    """The current :func:`zoning_basis` (risk runs and GB 18218 results)."""
    with get_engine(url).connect() as conn:
        return str(conn.execute(text("SELECT zoning_basis()")).scalar_one())


def is_current(url: str) -> bool:
    """Whether a stored zoning run was computed from the store's current inputs and results."""
    with get_engine(url).connect() as conn:
        return bool(conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM zoning_runs z WHERE z.inputs_version = "
            "(SELECT inputs_version FROM data_version) AND z.basis = (SELECT zoning_basis()))")).scalar_one())


def latest_run(url: str) -> dict[str, Any] | None:
    """The stored zoning run (id, inputs_version, settings, summary, computed_at, current), or None."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            "SELECT id, inputs_version, settings, summary, computed_at, inputs_version = "
            "(SELECT inputs_version FROM data_version) AND basis = (SELECT zoning_basis()) AS current "
            "FROM zoning_runs ORDER BY id DESC LIMIT 1")).mappings().first()
    return dict(row) if row else None


def cells(url: str, resolution: int) -> pd.DataFrame:
    """The stored cells of the latest run at ``resolution`` (geometry shapely, lon/lat)."""
    with get_engine(url).connect() as conn:
        return _frame(conn, "SELECT c.h3, c.colour, c.ir_max, c.r_heat, c.population, ST_AsBinary(c.geom) AS wkb "
                            "FROM zoning_cells c WHERE c.run_id = (SELECT max(id) FROM zoning_runs) "
                            f"AND c.resolution = {int(resolution)} ORDER BY c.h3")  # noqa: S608


def _copy(cur, table: str, frame: pd.DataFrame, columns: list[str], geometry: Any = None) -> None:  # noqa: ANN001
    copy_frame(cur, table, frame.reset_index(drop=True), columns, geometry=geometry)


def save(url: str, result: Any, *, inputs_version: int, basis_: str, summary: dict[str, Any]) -> int:
    """Replace the stored zoning with ``result`` (a :class:`geo_risk.analysis.zoning.ZoningResult`)
    in one transaction; returns the run id."""
    raw = get_engine(url).raw_connection()
    try:
        cur = raw.cursor()
        # The previous run goes whole; a large grid is copied with its indexes and run key set aside
        # (geo_risk.store.bulk), built once after.
        cur.execute("TRUNCATE zoning_runs, zoning_cells, zoning_areas, zoning_enterprises, zoning_units")
        cur.execute("INSERT INTO zoning_runs (inputs_version, basis, settings, summary) VALUES (%s, %s, %s, %s) "
                    "RETURNING id", (inputs_version, basis_, json.dumps(result.settings, ensure_ascii=False),
                                     json.dumps(summary, ensure_ascii=False)))
        run_id = int(cur.fetchone()[0])
        with indexes_set_aside(cur, ["zoning_cells"], len(result.cells)):
            _copy(cur, "zoning_cells", result.cells.assign(run_id=run_id),
                  ["run_id", "h3", "resolution", "colour", "colour_label", "ir_max", "ir_colour", "raised_by", "r_heat",
                   "population"], result.cells["geometry"].to_numpy())
        if len(result.areas):
            _copy(cur, "zoning_areas", result.areas.assign(run_id=run_id),
                  ["run_id", "kind", "area_id", "name", "park_grade", "resolution", "colour", "colour_label",
                   "n_cells", "n_red", "n_orange", "n_yellow", "n_blue", "population"],
                  result.areas["geometry"].to_numpy())
        if len(result.enterprises):
            _copy(cur, "zoning_enterprises", result.enterprises.assign(run_id=run_id),
                  ["run_id", "enterprise_id", "colour", "colour_label", "basis", "basis_label", "risk_score",
                   "worst_unit_colour", "target_ir", "target_ir_colour", "reason"])
        if len(result.units):
            u = result.units.rename(columns={"id": "unit_id"}).assign(run_id=run_id)
            _copy(cur, "zoning_units", u, ["run_id", "unit_id", "enterprise_id", "grade", "colour"])
        raw.commit()
        return run_id
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
