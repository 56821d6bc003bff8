"""Stored relocation plan (the only SQL for it; migration 0011) and the inputs the plan reads.

One plan is kept: saving replaces the previous one in one transaction. A stored plan is current while it
was computed at the store's inputs version and ``conflicts_basis()`` (the risk runs and external
distances it read) is unchanged; otherwise the map view serves nothing and ``geo-risk relocation-plan``
recomputes it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text

from geo_risk.disclosure import disclose
from geo_risk.store.db import get_engine

__all__ = ["read_relocation_inputs", "save_plan", "latest_plan", "plan_cases", "fn_regions", "RESTRICTED_CASE_COLUMNS"]

_CURRENT = ("r.inputs_version = (SELECT inputs_version FROM data_version) "
            "AND r.basis = (SELECT conflicts_basis())")
_CASE_COLS = [
    "enterprise_name", "outcome", "outcome_label", "colour", "park_id", "park_name", "decision_rule", "reason",
    "reason_public", "in_scope_reasons", "conflicts", "targets", "people_affected", "density_per_km2", "land_ha",
    "land_basis", "distance_km", "new_site_people", "new_site_targets", "upgrade_offered", "upgrade_share",
    "upgrade_inventory", "upgrade_shortfall_m", "cost", "fn_note",
]
#: Case columns derived from inventory quantities: only for analysts and above.
RESTRICTED_CASE_COLUMNS = ("upgrade_share", "upgrade_inventory", "cost")


def _csv(frame: gpd.GeoDataFrame, columns: list[str], run_id: int) -> io.BytesIO:
    """``frame`` as CSV rows (id, run id, ``columns``, geometry as hex EWKB, SRID 4326) for COPY; NaN and
    None become empty unquoted fields (NULL), texts are quoted."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import shapely

    data = {"id": pa.array(frame["id"].astype(str).to_numpy(dtype=object), pa.string()),
            "run_id": pa.array(np.full(len(frame), run_id, dtype=np.int64))}
    for c in columns:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col.dtype):
            data[c] = pa.array([None if v is None else bool(v) for v in col.astype(object)], pa.bool_())
        elif pd.api.types.is_numeric_dtype(col.dtype):
            data[c] = pa.array(col.to_numpy(dtype=float), pa.float64(), from_pandas=True)
        else:
            values = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
            data[c] = pa.array([None if v is None else str(v) for v in values], pa.string())
    geoms = shapely.set_srid(np.asarray(frame.geometry.values, dtype=object), 4326)
    data["geom"] = pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True), pa.string(), from_pandas=True)
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(data), buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    buf.seek(0)
    return buf


def _read_geo(url: str, sql: str) -> gpd.GeoDataFrame:
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(sql), conn, geom_col="geom", crs="EPSG:4326")
    return frame.set_index("id").rename_geometry("geometry")


def read_relocation_inputs(url: str) -> dict[str, Any]:
    """Enterprises and parks with their relocation fields (EPSG:4326, index id), and the inventory
    (RESTRICTED quantities: the engine's input, never returned to a caller)."""
    from geo_risk.analysis.methods import INVENTORY_COLUMNS

    enterprises = _read_geo(url, "SELECT id, name, status, park_id, industry_code, size_class, major_hazard_open, "
                                 "capacity_restricted, site_area_ha, geom FROM enterprises ORDER BY id")
    parks = _read_geo(url, "SELECT id, name, risk_grade, recognised, free_area_ha, grade_edition, industry_codes, geom "
                           "FROM chemical_parks ORDER BY id")
    with get_engine(url).connect() as conn:
        inventory = pd.read_sql(text(f"SELECT {', '.join(INVENTORY_COLUMNS)}, temperature_c, pressure_mpa "  # noqa: S608
                                     "FROM inventory ORDER BY unit_id, id"), conn)
    return {"enterprises": enterprises, "parks": parks, "inventory": inventory}


def fn_regions(url: str) -> dict[tuple[str, str], str]:
    """(scope, scope id) → the GB 36894 F-N region of the stored current QRA run (enterprise and park runs)."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT scope, scope_id, fn_region FROM risk_runs WHERE fn_region IS NOT NULL "
            "AND inputs_version = (SELECT inputs_version FROM data_version)")).all()
    return {(r[0], r[1]): r[2] for r in rows}


def save_plan(url: str, plan: Any, *, inputs_version: int, basis: str, seconds: float | None = None) -> int:
    """Replace the stored plan with ``plan`` (a :class:`geo_risk.analysis.relocation.RelocationPlan`)
    computed at ``inputs_version`` from the risk results ``basis``; return the run id."""
    cases = plan.cases.rename(columns={"enterprise_id": "id"}).copy()
    cases["reason_public"] = [disclose(str(r), "public") if r is not None else None for r in cases["reason"]]
    parks = json.loads(plan.parks.to_json(orient="records", force_ascii=False)) if len(plan.parks) else []
    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM relocation_runs"))
        run_id = conn.execute(text(
            "INSERT INTO relocation_runs (inputs_version, basis, settings, notes, benefit, parks, solver, summary, "
            "seconds) VALUES (:iv, :basis, CAST(:settings AS jsonb), CAST(:notes AS jsonb), CAST(:benefit AS jsonb), "
            "CAST(:parks AS jsonb), CAST(:solver AS jsonb), :summary, :seconds) RETURNING id"),
            {"iv": inputs_version, "basis": basis, "settings": json.dumps(plan.settings, ensure_ascii=False),
             "notes": json.dumps(plan.notes, ensure_ascii=False),
             "benefit": json.dumps(plan.benefit, ensure_ascii=False, default=float),
             "parks": json.dumps(parks, ensure_ascii=False),
             "solver": json.dumps(plan.solver, ensure_ascii=False, default=float),
             "summary": plan.summary(), "seconds": seconds}).scalar_one()
        if len(cases):
            cur = conn.connection.dbapi_connection.cursor()
            try:
                cur.copy_expert(f"COPY relocation_cases (id, run_id, {', '.join(_CASE_COLS)}, geom) FROM STDIN "
                                "WITH (FORMAT csv)", _csv(cases, _CASE_COLS, run_id))
            finally:
                cur.close()
    return int(run_id)


def latest_plan(url: str) -> dict[str, Any] | None:
    """The stored plan's run (settings, notes, benefit, parks, solver, summary) with ``current``; None when none."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            f"SELECT r.id, r.inputs_version, r.settings, r.notes, r.benefit, r.parks, r.solver, r.summary, "  # noqa: S608
            f"r.seconds, r.computed_at, {_CURRENT} AS current FROM relocation_runs r ORDER BY r.id DESC LIMIT 1")
        ).first()
    return dict(row._mapping) if row else None


def plan_cases(url: str) -> gpd.GeoDataFrame:
    """The stored plan's cases (EPSG:4326; the reason with its tiered spans), in outcome order."""
    cols = ", ".join(f"c.{c}" for c in _CASE_COLS)
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(
            f"SELECT c.id AS enterprise_id, {cols}, c.geom FROM relocation_cases c "  # noqa: S608
            "ORDER BY CASE c.outcome WHEN 'in_situ_upgrade' THEN 1 WHEN 'relocate_to_park' THEN 2 ELSE 3 END, c.id"),
            conn, geom_col="geom", crs="EPSG:4326")
    return frame.rename_geometry("geometry")
