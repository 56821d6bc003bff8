"""Alembic migrations up and down on a real PostGIS."""

from __future__ import annotations

from sqlalchemy import inspect, text

from geo_risk.store.db import current_revision, downgrade, get_engine, head_revision, migrate
from geo_risk.store.models import ENTITY_TABLES

EXPECTED = set(ENTITY_TABLES) | {"data_version", "hazard_assessments", "audit_log", "risk_runs", "risk_contours",
                                 "external_distances"}
EXPECTED |= {"zoning_runs", "zoning_cells", "zoning_areas", "zoning_enterprises", "zoning_units"}  # 0009
EXPECTED |= {"cluster_runs", "clusters", "cluster_links"}  # 0008
EXPECTED |= {"conflict_runs", "conflicts", "conflict_targets"}  # 0007
EXPECTED |= {"relocation_runs", "relocation_cases"}  # 0011
EXPECTED |= {"readings", "reading_rejects"}  # 0012 (sensors is an entity table)
EXPECTED |= {"hidden_dangers", "hidden_danger_history"}  # 0013
EXPECTED |= {"alarms", "alarm_audit", "alarm_events"}  # 0014


def _tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_upgrade_creates_every_table_with_gist_indexes_and_4326(empty_db_url: str) -> None:
    migrate(empty_db_url)
    assert current_revision(empty_db_url) == head_revision() == "0015"
    assert _tables(empty_db_url) == EXPECTED
    with get_engine(empty_db_url).connect() as conn:
        gist = {
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
            )
        }
        srids = {tuple(r) for r in conn.execute(text("SELECT f_table_name, srid FROM geometry_columns"))}
        cols = {
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE column_name IN ('id', 'source', 'created_at', 'updated_at')"
                )
            )
        }
    assert gist == EXPECTED - {"inventory", "data_version", "hazard_assessments", "audit_log", "risk_runs",
                               "cluster_runs",
                               "sensors", "readings", "reading_rejects",
                               "external_distances", "zoning_runs", "zoning_enterprises", "zoning_units",
                               "conflict_runs", "relocation_runs",
                               "hidden_dangers", "hidden_danger_history",
                               "alarms", "alarm_audit", "alarm_events"}
    assert {s for _, s in srids} == {4326}
    for table in ENTITY_TABLES:
        for col in ("id", "source", "created_at", "updated_at"):
            assert (table, col) in cols


def test_downgrade_to_base_removes_everything_and_upgrade_again(empty_db_url: str) -> None:
    migrate(empty_db_url)
    downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()
    assert current_revision(empty_db_url) is None
    with get_engine(empty_db_url).connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'bump_data_version'")).scalar()
            == 0
        )
    migrate(empty_db_url)
    assert _tables(empty_db_url) == EXPECTED


def test_every_write_bumps_the_data_version(fresh_db_url: str) -> None:
    engine = get_engine(fresh_db_url)
    with engine.begin() as conn:
        v0 = conn.execute(text("SELECT version FROM data_version")).scalar()
        conn.execute(
            text(
                "INSERT INTO chemical_parks (id, name, geom) VALUES "
                "('P', 'p', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326))"
            )
        )
    with engine.begin() as conn:
        v1 = conn.execute(text("SELECT version FROM data_version")).scalar()
        conn.execute(text("UPDATE chemical_parks SET name = 'q'"))
    with engine.begin() as conn:
        v2 = conn.execute(text("SELECT version FROM data_version")).scalar()
        conn.execute(text("DELETE FROM chemical_parks"))
        v3 = conn.execute(text("SELECT version FROM data_version")).scalar()
    assert v0 < v1 < v2 < v3


def test_reasons_stored_before_tiered_texts_become_restricted(empty_db_url: str) -> None:
    """0005: a distance reason written by older code (figures in plain text) is wrapped whole, so the
    public reads a note to re-run and an analyst still reads it as it was."""
    from geo_risk.disclosure import disclose

    old = "定量风险评价法：Σq/Q = 7.10167 ≥ 1（碳酰氯 2 t/0.3 t = 6.66667）"
    migrate(empty_db_url, "0004")
    with get_engine(empty_db_url).begin() as conn:
        conn.execute(text("INSERT INTO enterprises (id, name, status, geom) "
                          "VALUES ('E1', 'e', 'operating', ST_SetSRID(ST_MakePoint(126.5, 43.8), 4326))"))
        conn.execute(text("INSERT INTO external_distances (enterprise_id, target_class, method, reason, "
                          "inputs_version) VALUES ('E1', 'general_1', 'qra', :r, 1)"), {"r": old})
    migrate(empty_db_url)
    with get_engine(empty_db_url).connect() as conn:
        stored = conn.execute(text("SELECT reason FROM external_distances")).scalar_one()
    assert disclose(stored, "restricted") == old
    public = disclose(stored, "public")
    assert "7.10167" not in public and " 2 t" not in public and "geo-risk risk" in public
