"""Stored proximity conflicts (the only SQL for them) and the inputs the analysis reads.

One analysis is kept: saving replaces the previous one in one transaction. A stored analysis is
current while it was computed at the store's inputs version and ``conflicts_basis()`` (the risk runs
and external distances it read; migration 0007) is unchanged; otherwise it is stale, the map views
serve nothing and ``geo-risk analyse`` recomputes it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text

from geo_risk.store.db import get_engine

__all__ = ["read_inputs", "save_conflicts", "current_basis", "latest_run", "conflicts_are_current", "list_conflicts",
           "conflicts_frame", "targets_frame", "admin_areas_exist"]

_CURRENT = ("r.inputs_version = (SELECT inputs_version FROM data_version) "
            "AND r.basis = (SELECT conflicts_basis())")


def admin_areas_exist(url: str) -> bool:
    """Whether the optional ``admin_areas`` table exists (it comes with the zoning migration)."""
    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT to_regclass('admin_areas') IS NOT NULL")).scalar_one()


def _read_geo(url: str, sql: str, params: dict | None = None) -> gpd.GeoDataFrame:
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(sql), conn, geom_col="geom", crs="EPSG:4326", params=params or {})
    return frame.set_index("id").rename_geometry("geometry")


def read_inputs(url: str) -> dict[str, Any]:
    """What the conflict analysis reads: targets (protection targets and residential areas, with
    ``layer``), hazard units, enterprises, the current stored external distances, and the
    administrative areas when that table exists (else None)."""
    targets = _read_geo(url, "SELECT id, name, kind, category, population, source_layer AS layer, geom "
                             "FROM all_protection_targets")
    units = _read_geo(url, "SELECT id, enterprise_id, name, unit_type, equipment, fire_class, safety_distance_m, "
                           "safety_distance_high_sensitive_m, safety_distance_important_m, "
                           "safety_distance_general_1_m, safety_distance_general_2_m, safety_distance_general_3_m, "
                           "geom FROM hazard_units")
    with get_engine(url).connect() as conn:
        enterprises = pd.read_sql(text("SELECT id, name, status, park_id FROM enterprises ORDER BY id"),
                                  conn).set_index("id")
        distances = pd.read_sql(text(
            "SELECT unit_id, target_class, method, final_distance_m, declared_distance_m, code_distance_m "
            "FROM external_distances WHERE unit_id IS NOT NULL "
            "AND inputs_version = (SELECT inputs_version FROM data_version)"), conn)
    admin = None
    if admin_areas_exist(url):
        admin = _read_geo(url, "SELECT id::text AS id, code, name, geom FROM admin_areas")
    return {"targets": targets, "units": units, "enterprises": enterprises, "distances": distances,
            "admin_areas": admin}


def _clean(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if v is pd.NA:
        return None
    return v


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    import shapely

    out = []
    geoms = frame.geometry.values if len(frame) else []
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object)) if len(frame) else []
    for (_, row), w in zip(frame[columns].iterrows(), wkb, strict=True):
        rec = {c: _clean(row[c]) for c in columns}
        rec["wkb"] = w
        out.append(rec)
    return out


_CONFLICT_COLS = [
    "rule", "rule_label", "view", "unit_id", "unit_name", "enterprise_id", "enterprise_name", "park_id", "target_id",
    "target_name", "target_layer", "target_kind", "target_class", "class_label", "criteria", "actual_distance_m",
    "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year", "ir_ratio", "cumulative_ir_per_year",
    "population", "share_inside", "people_affected", "colour", "colour_label", "basis", "admin_code",
]
_TARGET_COLS = [
    "target_name", "target_layer", "target_kind", "target_class", "class_label", "population", "conflicts", "rules",
    "enterprises", "people_affected", "max_shortfall_m", "max_ir_ratio", "cumulative_ir_per_year", "colour",
    "colour_label", "admin_code",
]


def save_conflicts(url: str, result: Any, *, inputs_version: int, basis: str, grids: int,
                   seconds: float | None = None) -> int:
    """Replace the stored analysis with ``result`` (a :class:`geo_risk.analysis.conflicts.ConflictResult`),
    computed at ``inputs_version`` from the risk results ``basis`` (``conflicts_basis()`` read before
    the analysis); return the run id."""
    totals = {k: json.loads(v.to_json(orient="records", force_ascii=False)) for k, v in result.totals.items()}
    conflicts = result.conflicts.rename(columns={"conflict_id": "id"})
    targets = result.targets.rename(columns={"target_id": "id"})
    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM conflict_runs"))
        run_id = conn.execute(text(
            "INSERT INTO conflict_runs (inputs_version, basis, settings, notes, totals, summary, grids, seconds) "
            "VALUES (:iv, :basis, CAST(:settings AS jsonb), CAST(:notes AS jsonb), CAST(:totals AS jsonb), :summary, "
            ":grids, :seconds) RETURNING id"),
            {"iv": inputs_version, "basis": basis, "settings": json.dumps(result.settings, ensure_ascii=False),
             "notes": json.dumps(result.notes, ensure_ascii=False), "totals": json.dumps(totals, ensure_ascii=False),
             "summary": result.summary(), "grids": grids, "seconds": seconds}).scalar_one()
        if len(conflicts):
            cols = ", ".join(_CONFLICT_COLS)
            vals = ", ".join(f":{c}" for c in _CONFLICT_COLS)
            rows = [{**r, "id": cid, "run": run_id} for r, cid in
                    zip(_records(conflicts, _CONFLICT_COLS), conflicts["id"], strict=True)]
            conn.execute(text(f"INSERT INTO conflicts (id, run_id, {cols}, geom) VALUES (:id, :run, {vals}, "  # noqa: S608
                              "ST_GeomFromWKB(:wkb, 4326))"), rows)
        if len(targets):
            cols = ", ".join(_TARGET_COLS)
            vals = ", ".join(f":{c}" for c in _TARGET_COLS)
            rows = [{**r, "id": tid, "run": run_id} for r, tid in
                    zip(_records(targets, _TARGET_COLS), targets["id"], strict=True)]
            conn.execute(text(f"INSERT INTO conflict_targets (id, run_id, {cols}, geom) VALUES (:id, :run, "  # noqa: S608
                              f"{vals}, ST_GeomFromWKB(:wkb, 4326))"), rows)
    return int(run_id)


def current_basis(url: str) -> str:
    """``conflicts_basis()`` now: read before an analysis and stored with it."""
    with get_engine(url).connect() as conn:
        return conn.execute(text("SELECT conflicts_basis()")).scalar_one()


def latest_run(url: str) -> dict[str, Any] | None:
    """The stored analysis (settings, notes, totals, summary) with ``current``; None when none."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            f"SELECT r.id, r.inputs_version, r.settings, r.notes, r.totals, r.summary, r.grids, r.seconds, "  # noqa: S608
            f"r.computed_at, {_CURRENT} AS current FROM conflict_runs r ORDER BY r.id DESC LIMIT 1")).first()
    return dict(row._mapping) if row else None


def conflicts_are_current(url: str) -> bool:
    """True when a stored analysis exists and is current."""
    run = latest_run(url)
    return bool(run and run["current"])


def _where(enterprise_id: str | None, park_id: str | None, rule: str | None, colour: str | None,
           target_id: str | None) -> tuple[str, dict[str, Any]]:
    where, params = ["TRUE"], {}
    for name, value in (("enterprise_id", enterprise_id), ("park_id", park_id), ("rule", rule), ("colour", colour),
                        ("target_id", target_id)):
        if value is not None:
            where.append(f"c.{name} = :{name}")
            params[name] = value
    return " AND ".join(where), params


def list_conflicts(url: str, *, enterprise_id: str | None = None, park_id: str | None = None, rule: str | None = None,
                   colour: str | None = None, target_id: str | None = None, limit: int = 1000, offset: int = 0
                   ) -> tuple[list[dict[str, Any]], int]:
    """Stored conflicts (worst colour first, largest shortfall and IR ratio first) and their total.

    Each row carries the line as GeoJSON (``geometry``, None for the summed regional view) and
    ``current``."""
    cond, params = _where(enterprise_id, park_id, rule, colour, target_id)
    cols = ", ".join(f"c.{c}" for c in _CONFLICT_COLS)
    order = ("CASE c.colour WHEN 'red' THEN 1 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 3 ELSE 4 END, "
             "c.shortfall_m DESC NULLS LAST, c.ir_ratio DESC NULLS LAST, c.id")
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(
            f"SELECT c.id, {cols}, ST_AsGeoJSON(c.geom, 7) AS geometry, {_CURRENT} AS current "  # noqa: S608
            f"FROM conflicts c JOIN conflict_runs r ON r.id = c.run_id WHERE {cond} ORDER BY {order} "
            "LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset}).mappings().all()
        total = conn.execute(text(f"SELECT count(*) FROM conflicts c WHERE {cond}"), params).scalar_one()  # noqa: S608
    out = []
    for r in rows:
        d = dict(r)
        d["geometry"] = json.loads(d["geometry"]) if d["geometry"] else None
        out.append(d)
    return out, int(total)


def conflicts_frame(url: str, *, enterprise_id: str | None = None, park_id: str | None = None) -> gpd.GeoDataFrame:
    """Stored conflicts as a GeoDataFrame (EPSG:4326; the summed regional view has no line) for exports."""
    cond, params = _where(enterprise_id, park_id, None, None, None)
    cols = ", ".join(f"c.{c}" for c in _CONFLICT_COLS)
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(
            f"SELECT c.id AS conflict_id, {cols}, c.geom FROM conflicts c WHERE {cond} "  # noqa: S608
            "ORDER BY CASE c.colour WHEN 'red' THEN 1 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 3 ELSE 4 END, c.id"),
            conn, geom_col="geom", crs="EPSG:4326", params=params)
    return frame.rename_geometry("geometry")


def targets_frame(url: str, target_ids: list[str] | None = None) -> gpd.GeoDataFrame:
    """Stored targets in conflict (EPSG:4326), all or those of ``target_ids``."""
    cols = ", ".join(f"t.{c}" for c in _TARGET_COLS)
    cond = "TRUE" if target_ids is None else "t.id = ANY(:ids)"
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(
            f"SELECT t.id AS target_id, {cols}, t.geom FROM conflict_targets t WHERE {cond} "  # noqa: S608
            "ORDER BY CASE t.colour WHEN 'red' THEN 1 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 3 ELSE 4 END, t.id"),
            conn, geom_col="geom", crs="EPSG:4326", params={"ids": target_ids} if target_ids is not None else {})
    return frame.rename_geometry("geometry")
