"""Stored proximity conflicts (the only SQL for them) and the inputs the analysis reads.

One analysis is kept: saving replaces the previous one in one transaction (COPY, with the indexes
and foreign keys set aside for a large result: :mod:`geo_risk.store.bulk`). A stored analysis is
current while it was computed at the store's inputs version and ``conflicts_basis()`` (the risk runs
and external distances it read; migration 0007) is unchanged; otherwise it is stale, the map views
serve nothing and ``geo-risk analyse`` recomputes it.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
from psycopg2.extras import execute_values
from sqlalchemy import text

from geo_risk.store.bulk import copy_frame, indexes_set_aside
from geo_risk.store.db import get_engine

__all__ = ["read_inputs", "read_targets", "save_conflicts", "current_basis", "latest_run", "conflicts_are_current",
           "list_conflicts", "conflicts_frame", "targets_frame", "admin_areas_exist"]

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


_TARGETS_SQL = "SELECT id, name, kind, category, population, source_layer AS layer, geom FROM all_protection_targets"

#: Targets near the units: per unit, each target table by its GiST index (``&&`` against the unit's
#: envelope expanded by its reach in degrees, metres per degree taken at their smallest at the box's
#: highest latitude, as :data:`geo_risk.store.read.NEAR_PLANT_SQL`), and targets in any grid's box.
_NEAR_SQL = """
WITH box AS (
  SELECT u.id, ST_Expand(u.geom,
           r.reach_m / (111319.0 * cos(radians(least(89.0, greatest(abs(ST_YMin(u.geom)), abs(ST_YMax(u.geom)))
                                                           + r.reach_m / 110574.0)))),
           r.reach_m / 110574.0) AS b
    FROM _conflict_reach r JOIN hazard_units u ON u.id = r.unit_id),
near AS (
  SELECT x.id FROM box CROSS JOIN LATERAL (
    SELECT a.id FROM residential_areas a WHERE a.geom && box.b
    UNION ALL
    SELECT p.id FROM protection_targets p WHERE p.geom && box.b) x
  UNION
  SELECT a.id FROM residential_areas a
    JOIN _conflict_boxes g ON a.geom && ST_MakeEnvelope(g.x0, g.y0, g.x1, g.y1, 4326)
  UNION
  SELECT p.id FROM protection_targets p
    JOIN _conflict_boxes g ON p.geom && ST_MakeEnvelope(g.x0, g.y0, g.x1, g.y1, 4326))
SELECT t.id, t.name, t.kind, t.category, t.population, t.source_layer AS layer, t.geom
  FROM all_protection_targets t WHERE t.id IN (SELECT id FROM near) ORDER BY t.id
"""


def read_inputs(url: str, *, targets: bool = True) -> dict[str, Any]:
    """What the conflict analysis reads: targets (protection targets and residential areas, with
    ``layer``; with ``targets=False`` none: read them with :func:`read_targets`), hazard units,
    enterprises, the current stored external distances, and the administrative areas when that
    table exists (else None)."""
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
    return {"targets": _read_geo(url, _TARGETS_SQL) if targets else None, "units": units,
            "enterprises": enterprises, "distances": distances, "admin_areas": admin}


def read_targets(url: str, reach_m: pd.Series | None = None,
                 boxes: list[tuple[float, float, float, float]] = ()) -> gpd.GeoDataFrame:
    """Protection targets and residential areas (EPSG:4326, index id, ``layer``): all of them, or with
    ``reach_m`` (unit id → metres) only those whose box comes within a unit's reach, plus those in
    any of ``boxes`` (lon/lat boxes: the IR grids' extents). Chosen in the database by the GiST
    indexes, so a province's million homes are not read to check a few plants."""
    if reach_m is None:
        return _read_geo(url, _TARGETS_SQL)
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE _conflict_reach (unit_id text, reach_m float8) ON COMMIT DROP"))
        conn.execute(text("CREATE TEMP TABLE _conflict_boxes (x0 float8, y0 float8, x1 float8, y1 float8) "
                          "ON COMMIT DROP"))
        cur = conn.connection.dbapi_connection.cursor()
        try:
            reach = reach_m[reach_m > 0]
            execute_values(cur, "INSERT INTO _conflict_reach VALUES %s",
                           [(str(u), float(r)) for u, r in reach.items()], page_size=5000)
            if boxes:
                execute_values(cur, "INSERT INTO _conflict_boxes VALUES %s", [tuple(map(float, b)) for b in boxes])
        finally:
            cur.close()
        conn.execute(text("ANALYZE _conflict_reach"))
        frame = gpd.read_postgis(text(_NEAR_SQL), conn, geom_col="geom", crs="EPSG:4326")
    return frame.set_index("id").rename_geometry("geometry")


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
        # TRUNCATE, not DELETE: a new result into emptied files (a deleted row's key stays in the primary key's
        # index until vacuumed, and every new row with that key would check it)
        conn.execute(text("TRUNCATE conflict_targets, conflicts, conflict_runs"))
        run_id = conn.execute(text(
            "INSERT INTO conflict_runs (inputs_version, basis, settings, notes, totals, summary, grids, seconds) "
            "VALUES (:iv, :basis, CAST(:settings AS jsonb), CAST(:notes AS jsonb), CAST(:totals AS jsonb), :summary, "
            ":grids, :seconds) RETURNING id"),
            {"iv": inputs_version, "basis": basis, "settings": json.dumps(result.settings, ensure_ascii=False),
             "notes": json.dumps(result.notes, ensure_ascii=False), "totals": json.dumps(totals, ensure_ascii=False),
             "summary": result.summary(), "grids": grids, "seconds": seconds}).scalar_one()
        cur = conn.connection.dbapi_connection.cursor()  # the same transaction: COPY, CSV with hex EWKB
        try:
            with indexes_set_aside(cur, ["conflicts", "conflict_targets"], len(conflicts) + len(targets)):
                for table, frame, cols in (("conflicts", conflicts, _CONFLICT_COLS),
                                           ("conflict_targets", targets, _TARGET_COLS)):
                    copy_frame(cur, table, frame, cols, first={"id": frame["id"].astype(str), "run_id": run_id},
                               geometry=frame.geometry.values)
        finally:
            cur.close()
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
