"""Stored joint-prevention clusters (the only SQL for them) and the inputs the analysis reads.

One analysis is kept: saving replaces the previous one in one transaction. A stored analysis is
current while it was computed at the store's inputs version and ``clusters_basis()`` (the stored risk
runs, whose contours give the people, and the GB 18218 assessments; migration 0008) is unchanged;
otherwise it is stale, the map views serve nothing and ``geo-risk analyse`` (or ``geo-risk clusters``)
recomputes it.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text

from geo_risk.store.bulk import copy_frame, indexes_set_aside
from geo_risk.store.db import get_engine

__all__ = ["read_inputs", "save_clusters", "current_basis", "latest_run", "clusters_are_current", "list_clusters",
           "links_of", "clusters_frame", "links_frame", "members_of", "FALLBACK_POLICY_SQL"]

_CURRENT = ("r.inputs_version = (SELECT inputs_version FROM data_version) "
            "AND r.basis = (SELECT clusters_basis())")


def _read_geo(url: str, sql: str, params: dict | None = None) -> gpd.GeoDataFrame:
    with get_engine(url).connect() as conn:
        frame = gpd.read_postgis(text(sql), conn, geom_col="geom", crs="EPSG:4326", params=params or {})
    return frame.set_index("id").rename_geometry("geometry")


def read_inputs(url: str, contour_level_per_year: float = 3e-6) -> dict[str, Any]:
    """What the cluster analysis reads (EPSG:4326): enterprises, hazard units, inventory (with the vessel
    fields ``vessel_count`` / ``vessel_capacity_t``: a domino scenario is one vessel's contents), the GB 18218
    assessments, each enterprise's current IR contour at ``contour_level_per_year`` and the residents and
    protection targets that meet those contours (chosen in the database by the GiST indexes)."""
    ents = _read_geo(url, "SELECT id, name, status, park_id, industry_code, geom FROM enterprises ORDER BY id")
    units = _read_geo(url, "SELECT id, enterprise_id, name, unit_type, equipment, containment, fire_class, "
                           "special_process, operating_temperature_c, operating_pressure_mpa, geom "
                           "FROM hazard_units ORDER BY id")
    contour_sql = (
        "SELECT c.id::text AS id, r.scope_id AS enterprise_id, c.geom FROM risk_contours c "
        "JOIN risk_runs r ON r.id = c.run_id WHERE r.scope = 'enterprise' AND abs(c.level_per_year - :lvl) "
        "<= 1e-3 * :lvl AND r.inputs_version = (SELECT inputs_version FROM data_version)")
    contours = _read_geo(url, contour_sql + " ORDER BY c.id", {"lvl": contour_level_per_year})
    near = (f"EXISTS (SELECT 1 FROM ({contour_sql}) z WHERE z.geom && t.geom AND ST_Intersects(z.geom, t.geom))")
    residential = _read_geo(url, f"SELECT t.id, t.population, t.geom FROM residential_areas t WHERE {near}",
                            {"lvl": contour_level_per_year})
    targets = _read_geo(url, f"SELECT t.id, t.population, t.geom FROM protection_targets t WHERE {near}",
                        {"lvl": contour_level_per_year})
    with get_engine(url).connect() as conn:
        inventory = pd.read_sql(text(
            "SELECT id, unit_id, chemical, cas, table1_seq, hazard_categories, max_quantity_t, state, temperature_c, "
            "pressure_mpa, vessel_count, vessel_capacity_t FROM inventory ORDER BY unit_id, id"), conn)
        assessments = pd.read_sql(text(
            "SELECT unit_id, is_major_hazard, r, grade, terms FROM hazard_assessments"), conn).set_index("unit_id")
    return {"enterprises": ents, "units": units, "inventory": inventory, "assessments": assessments,
            "contours": contours, "residential": residential, "targets": targets}


def _geoms(geoms: gpd.GeoSeries, multi: bool) -> list[Any]:
    """Geometries in EPSG:4326; with ``multi`` made valid and MultiPolygon (the outlines' column type)."""
    import shapely

    out = []
    for g in geoms.to_crs(4326).values:
        g = shapely.make_valid(g) if multi else g
        if multi and g.geom_type == "Polygon":
            g = shapely.MultiPolygon([g])
        elif multi and g.geom_type != "MultiPolygon":
            polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
            g = shapely.MultiPolygon([q for p in polys for q in getattr(p, "geoms", [p])])
        out.append(g)
    return out


def _pg_text_array(values: Any) -> str:
    """A PostgreSQL text[] literal (``{"a","b"}``) of ``values``, each quoted and escaped, for COPY."""
    return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


_CLUSTER_COLS = ["members", "member_names", "n_members", "n_links", "kinds", "lead_enterprise_id",
                 "lead_enterprise_name", "lead_reason", "combined_r", "people", "people_basis", "worst_colour",
                 "colour_basis", "parks", "cross_park"]
_LINK_COLS = ["cluster_id", "enterprise_a", "enterprise_b", "kind", "vector", "equipment_class", "value", "value_unit",
              "threshold", "scenario", "primary_unit", "target_unit", "distance_m", "weight", "rule", "cross_park",
              "evidence_count", "reason"]


def save_clusters(url: str, result: Any, *, inputs_version: int, basis: str, seconds: float, summary: str) -> int:
    """Replace the stored analysis with ``result`` (a :class:`geo_risk.analysis.clusters.ClusterResult`,
    geometries in a projected CRS); return the run id. Written by COPY (:mod:`geo_risk.store.bulk`: a
    province's links with their indexes and keys set aside) into tables emptied by TRUNCATE."""
    clusters, links = result.clusters, result.links
    with get_engine(url).begin() as conn:
        conn.execute(text("TRUNCATE cluster_links, clusters, cluster_runs"))
        run_id = conn.execute(text(
            "INSERT INTO cluster_runs (inputs_version, basis, settings, notes, summary, seconds) VALUES "
            "(:iv, :basis, CAST(:settings AS jsonb), CAST(:notes AS jsonb), :summary, :seconds) RETURNING id"),
            {"iv": inputs_version, "basis": basis, "settings": json.dumps(result.settings, ensure_ascii=False,
                                                                           default=str),
             "notes": json.dumps(result.notes, ensure_ascii=False), "summary": summary, "seconds": seconds},
        ).scalar_one()
        cur = conn.connection.dbapi_connection.cursor()  # the same transaction
        try:
            with indexes_set_aside(cur, ["clusters", "cluster_links"], len(clusters) + len(links)):
                if len(clusters):
                    c = pd.DataFrame(clusters.drop(columns="geometry")).reset_index(drop=True)
                    c["members"] = [_pg_text_array(m) for m in c["members"]]
                    copy_frame(cur, "clusters", c, _CLUSTER_COLS,
                               first={"id": c["cluster_id"].astype(str), "run_id": int(run_id)},
                               geometry=_geoms(clusters.geometry, True))
                if len(links):
                    lk = pd.DataFrame(links.drop(columns="geometry")).reset_index(drop=True)
                    ids = lk["kind"].astype(str) + ":" + lk["enterprise_a"].astype(str) + ":" \
                        + lk["enterprise_b"].astype(str)
                    copy_frame(cur, "cluster_links", lk, _LINK_COLS, first={"id": ids, "run_id": int(run_id)},
                               geometry=_geoms(links.geometry, False))
        finally:
            cur.close()
    return int(run_id)


def current_basis(url: str) -> str:
    """``clusters_basis()`` now: a digest of the stored risk runs and GB 18218 assessments the analysis reads."""
    with get_engine(url).connect() as conn:
        return str(conn.execute(text("SELECT clusters_basis()")).scalar_one())


def latest_run(url: str) -> dict[str, Any] | None:
    """The stored run with ``current``, or None when no analysis was stored."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            f"SELECT r.id, r.inputs_version, r.settings, r.notes, r.summary, r.seconds, r.computed_at, "
            f"({_CURRENT}) AS current FROM cluster_runs r ORDER BY r.id DESC LIMIT 1")).first()  # noqa: S608
    return dict(row._mapping) if row else None


def clusters_are_current(url: str) -> bool:
    """Whether a stored analysis exists and is current."""
    run = latest_run(url)
    return bool(run and run["current"])


def _cluster_where(enterprise_id: str | None, park_id: str | None, min_members: int) -> tuple[str, dict]:
    where, params = ["c.n_members >= :minm"], {"minm": min_members}
    if enterprise_id is not None:
        where.append(":e = ANY(c.members)")
        params["e"] = enterprise_id
    if park_id is not None:
        where.append("(',' || c.parks || ',') LIKE :p")
        params["p"] = f"%,{park_id},%"
    return " AND ".join(where), params


def list_clusters(url: str, *, enterprise_id: str | None = None, park_id: str | None = None, min_members: int = 1,
                  limit: int = 1000, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Stored clusters (largest first) with their outline as GeoJSON text, and the number matched."""
    where, params = _cluster_where(enterprise_id, park_id, min_members)
    with get_engine(url).connect() as conn:
        total = conn.execute(text(f"SELECT count(*) FROM clusters c WHERE {where}"), params).scalar_one()  # noqa: S608
        rows = conn.execute(text(
            f"SELECT c.id, c.members, c.member_names, c.n_members, c.n_links, c.kinds, c.lead_enterprise_id, "
            f"c.lead_enterprise_name, c.lead_reason, c.combined_r, c.people, c.people_basis, c.worst_colour, "
            f"c.colour_basis, c.parks, c.cross_park, ST_AsGeoJSON(c.geom, 6) AS outline "
            f"FROM clusters c WHERE {where} ORDER BY c.n_members DESC, c.id LIMIT :lim OFFSET :off"),  # noqa: S608
            {**params, "lim": limit, "off": offset}).all()
    return [dict(r._mapping) for r in rows], int(total)


def links_of(url: str, cluster_ids: list[str]) -> list[dict[str, Any]]:
    """The stored links of ``cluster_ids`` (with ``value``; the caller drops it below analyst)."""
    if not cluster_ids:
        return []
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT l.id, l.cluster_id, l.enterprise_a, l.enterprise_b, l.kind, l.vector, l.equipment_class, l.value, "
            "l.value_unit, l.threshold, l.scenario, l.primary_unit, l.target_unit, l.distance_m, l.weight, l.rule, "
            "l.cross_park, l.evidence_count, l.reason, ST_AsGeoJSON(l.geom, 6) AS line FROM cluster_links l "
            "WHERE l.cluster_id = ANY(:ids) ORDER BY l.cluster_id, l.kind, l.enterprise_a, l.enterprise_b"),
            {"ids": list(cluster_ids)}).all()
    return [dict(r._mapping) for r in rows]


def members_of(url: str, cluster_ids: list[str]) -> pd.DataFrame:
    """Member enterprises of ``cluster_ids``: cluster, id, name, park, industry code, status."""
    with get_engine(url).connect() as conn:
        return pd.read_sql(text(
            "SELECT c.id AS cluster_id, m.enterprise_id, e.name, e.park_id, e.industry_code, e.status, "
            "(m.enterprise_id = c.lead_enterprise_id) AS lead FROM clusters c "
            "CROSS JOIN LATERAL unnest(c.members) AS m(enterprise_id) "
            "LEFT JOIN enterprises e ON e.id = m.enterprise_id "
            "WHERE c.id = ANY(:ids) ORDER BY c.n_members DESC, c.id, m.enterprise_id"), conn,
            params={"ids": list(cluster_ids)})


def clusters_frame(url: str, *, enterprise_id: str | None = None, park_id: str | None = None
                   ) -> gpd.GeoDataFrame:
    """Stored clusters as a GeoDataFrame (EPSG:4326) for exports."""
    where, params = _cluster_where(enterprise_id, park_id, 1)
    frame = _read_geo(url, (
        "SELECT c.id, array_to_string(c.members, ',') AS members, c.member_names, c.n_members, c.n_links, c.kinds, "
        "c.lead_enterprise_id, c.lead_enterprise_name, c.lead_reason, c.combined_r, c.people, c.people_basis, "
        f"c.worst_colour, c.colour_basis, c.parks, c.cross_park, c.geom FROM clusters c WHERE {where} "  # noqa: S608
        "ORDER BY c.n_members DESC, c.id"), params)
    frame.index.name = "cluster_id"
    return frame


def links_frame(url: str, cluster_ids: list[str]) -> gpd.GeoDataFrame:
    """Stored links of ``cluster_ids`` as a GeoDataFrame (EPSG:4326) with the enterprises' names."""
    return _read_geo(url, (
        "SELECT l.id, l.cluster_id, l.enterprise_a, ea.name AS enterprise_a_name, l.enterprise_b, "
        "eb.name AS enterprise_b_name, l.kind, l.vector, l.equipment_class, l.value, l.value_unit, l.threshold, "
        "l.scenario, l.primary_unit, l.target_unit, l.distance_m, l.weight, l.rule, l.cross_park, l.evidence_count, "
        "l.reason, l.geom FROM cluster_links l LEFT JOIN enterprises ea ON ea.id = l.enterprise_a "
        "LEFT JOIN enterprises eb ON eb.id = l.enterprise_b WHERE l.cluster_id = ANY(:ids) "
        "ORDER BY l.cluster_id, l.kind, l.enterprise_a, l.enterprise_b"), {"ids": list(cluster_ids)})


#: The fallback and policy links written as one PostGIS query — ST_DWithin self-joins in the metric
#: CRS ``:srid`` — the independent formulation the tests and the benchmark compare the engine with.
#: Parameters: :srid, :d_unit, :d_site, :d_policy, :floor, :minw, :k (the rules), :lacking (ids of the
#: units without consequence data: the scenario builder decides that, not SQL), :statuses.
FALLBACK_POLICY_SQL = r"""
WITH e AS (
    SELECT id, park_id, ST_Transform(geom, :srid) AS g,
           substring(regexp_replace(coalesce(industry_code, ''), '^\s*[A-Ta-t]?\s*', '') FROM '^[0-9]{2}') AS division
      FROM enterprises WHERE status = ANY(:statuses)
), u AS (
    SELECT h.id, h.enterprise_id, ST_Transform(h.geom, :srid) AS g FROM hazard_units h JOIN e ON e.id = h.enterprise_id
     WHERE EXISTS (SELECT 1 FROM inventory i WHERE i.unit_id = h.id)
       AND NOT (coalesce(h.equipment, '') = 'warehouse' AND coalesce(h.fire_class, '') IN ('丙', '丁', '戊'))
), pe AS (
    SELECT * FROM e WHERE id IN (SELECT enterprise_id FROM u)
), major AS (
    SELECT DISTINCT u.enterprise_id FROM hazard_assessments a JOIN u ON u.id = a.unit_id
     WHERE a.is_major_hazard
), term_class AS (
    SELECT u.enterprise_id, (t ->> 'beta_q_over_q')::float AS w,
           (SELECT min(CASE WHEN b IN ('W1', 'W6', 'W7') THEN 1 WHEN b LIKE 'J%' THEN 2 WHEN b IN ('W2', 'W3') THEN 3
                            WHEN b = 'W5' THEN 4 WHEN b IN ('W4', 'W8', 'W9', 'W10', 'W11') THEN 5 END)
              FROM (SELECT substring(upper(trim(c)) FROM '^[A-Z]+[0-9]*') AS b
                      FROM jsonb_array_elements_text(t -> 'codes') c) codes) AS cls
      FROM hazard_assessments a JOIN u ON u.id = a.unit_id CROSS JOIN LATERAL jsonb_array_elements(a.terms) t
     WHERE a.is_major_hazard
), form AS (
    SELECT DISTINCT ON (enterprise_id) enterprise_id, cls FROM (
        SELECT enterprise_id, cls, sum(coalesce(w, 0)) AS w FROM term_class WHERE cls IS NOT NULL GROUP BY 1, 2) x
     ORDER BY enterprise_id, w DESC, cls
), unit_links AS (
    SELECT DISTINCT least(a.enterprise_id, b.enterprise_id) AS ea, greatest(a.enterprise_id, b.enterprise_id) AS eb
      FROM u a JOIN u b ON a.enterprise_id <> b.enterprise_id AND a.g && ST_Expand(b.g, :d_unit)
       AND ST_DWithin(a.g, b.g, :d_unit)
     WHERE a.id = ANY(:lacking)
), site_links AS (
    SELECT DISTINCT least(a.id, b.id) AS ea, greatest(a.id, b.id) AS eb
      FROM pe a JOIN pe b ON a.id <> b.id AND a.g && ST_Expand(b.g, :d_site) AND ST_DWithin(a.g, b.g, :d_site)
     WHERE a.id IN (SELECT enterprise_id FROM u WHERE id = ANY(:lacking))
       AND a.id IN (SELECT enterprise_id FROM major) AND b.id IN (SELECT enterprise_id FROM major)
), neighbours AS (  -- one park (a hash join), or boundaries within d_policy (a box test first, then the distance)
    SELECT a.id AS ea, b.id AS eb FROM pe a JOIN pe b ON a.id < b.id AND a.park_id = b.park_id
    UNION
    SELECT a.id, b.id FROM pe a JOIN pe b ON a.id < b.id AND a.g && ST_Expand(b.g, :d_policy)
       AND ST_DWithin(a.g, b.g, :d_policy)
), policy_pairs AS (
    SELECT a.id AS ea, b.id AS eb,
           coalesce(a.division = b.division, false)::int + coalesce(fa.cls = fb.cls, false)::int AS s,
           greatest(1 - ST_Distance(a.g, b.g) / :d_policy,
                    CASE WHEN a.park_id IS NOT NULL AND a.park_id = b.park_id THEN :floor ELSE 0 END, 0) AS p,
           ST_Distance(a.g, b.g) AS gap
      FROM neighbours n JOIN pe a ON a.id = n.ea JOIN pe b ON b.id = n.eb
      LEFT JOIN form fa ON fa.enterprise_id = a.id LEFT JOIN form fb ON fb.enterprise_id = b.id
), kept AS (
    SELECT ea, eb, s / 2.0 * p AS w, gap FROM policy_pairs WHERE s > 0 AND s / 2.0 * p >= :minw
), ranked AS (  -- each end's strongest: weight, then the smaller gap, then the other's id (code-point order)
    SELECT ea, eb, row_number() OVER (PARTITION BY e ORDER BY w DESC, gap, o COLLATE "C") AS rank
      FROM (SELECT ea AS e, eb AS o, * FROM kept UNION ALL SELECT eb, ea, * FROM kept) ends
)
SELECT 'fallback' AS kind, ea, eb FROM (SELECT ea, eb FROM unit_links UNION SELECT ea, eb FROM site_links) f
UNION ALL
SELECT DISTINCT 'policy', ea, eb FROM ranked WHERE :k = 0 OR rank <= :k
"""
