"""Bulk result writes (geo_risk.store.bulk): COPY of frames, indexes and foreign keys set aside and restored.

The stored rows are compared with what the database itself returns for the same frame written row by
row (INSERT … VALUES through SQLAlchemy), and the schema after a bulk write with the catalogue's own
definitions read before it.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from shapely.geometry import LineString, Point
from sqlalchemy import text

from geo_risk.analyse import analyse
from geo_risk.store import bulk
from geo_risk.store import conflicts as store
from geo_risk.store.db import get_engine

_SCHEMA_SQL = """
SELECT 'index' AS kind, indexname AS name, indexdef AS definition FROM pg_indexes
 WHERE tablename IN ('conflicts', 'conflict_targets')
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid IN ('conflicts'::regclass, 'conflict_targets'::regclass)
ORDER BY 1, 2
"""


def _schema(url: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(_SCHEMA_SQL)).all()]


def _stored(url: str) -> pd.DataFrame:
    cols = ", ".join(store._CONFLICT_COLS)
    with get_engine(url).connect() as conn:
        return pd.read_sql(text(f"SELECT id, {cols}, ST_AsEWKT(geom) AS geom FROM conflicts ORDER BY id"), conn)


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    analyse(db_url, only=["conflicts"])
    return db_url


def test_a_bulk_write_stores_the_same_rows_and_restores_the_schema(city: str, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    from geo_risk.analyse import conflict_distances, conflict_settings
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.store.results import inputs_version

    data = store.read_inputs(city)
    distances, _ = conflict_distances(city, data["units"], data["enterprises"], data["distances"])
    result = find_conflicts(data["targets"], data["units"], data["enterprises"], distances, [],
                            data["admin_areas"], conflict_settings())
    assert len(result.conflicts) > 100
    version, basis = inputs_version(city), store.current_basis(city)
    schema = _schema(city)
    assert any(k == "constraint" and "FOREIGN KEY" in d for k, _, d in schema)
    assert sum(k == "index" and "USING gist" in d for k, _, d in schema) == 2

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 10**9)  # row upkeep as usual
    store.save_conflicts(city, result, inputs_version=version, basis=basis, grids=0)
    plain = _stored(city)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)  # indexes and keys set aside
    store.save_conflicts(city, result, inputs_version=version, basis=basis, grids=0)
    bulky = _stored(city)
    assert len(bulky) == len(result.conflicts)
    pd.testing.assert_frame_equal(plain, bulky)
    assert _schema(city) == schema  # every index and key back, as defined
    with get_engine(city).connect() as conn:  # and in use: the key still cascades, the GiST index answers
        assert conn.execute(text("SELECT count(*) FROM conflicts c LEFT JOIN conflict_runs r ON r.id = c.run_id "
                                 "WHERE r.id IS NULL")).scalar_one() == 0
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text("EXPLAIN SELECT id FROM conflicts WHERE geom && "
                                           "ST_MakeEnvelope(126, 43, 127, 44, 4326)")).scalars().all())
        assert "ix_conflicts_geom" in plan
    assert store.conflicts_are_current(city)


def test_a_failed_bulk_write_leaves_the_previous_result(city: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before, schema = _stored(city), _schema(city)
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    broken = store.latest_run(city)
    assert broken is not None

    class Boom:  # a result whose conflicts break the COPY half-way (a colour NULL: NOT NULL column)
        settings, notes, totals = {}, [], {}
        conflicts = gpd.GeoDataFrame(
            {"conflict_id": ["a", "b"], **{c: ["x", None] if c == "colour" else ["x", "x"]
                                            for c in store._CONFLICT_COLS}},
            geometry=[LineString([(126, 43), (126.1, 43)])] * 2, crs=4326)
        targets = gpd.GeoDataFrame({"target_id": [], **{c: [] for c in store._TARGET_COLS}}, geometry=[], crs=4326)

        def summary(self) -> str:
            return "boom"

    for c in ("actual_distance_m", "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year",
              "ir_ratio", "cumulative_ir_per_year", "population", "share_inside", "people_affected"):
        Boom.conflicts[c] = 1.0
    with pytest.raises(Exception, match="colour"):
        store.save_conflicts(city, Boom(), inputs_version=1, basis="x", grids=0)
    pd.testing.assert_frame_equal(_stored(city), before)
    assert _schema(city) == schema


def test_csv_buffer_round_trips_through_copy(db_url: str) -> None:
    """Texts with quotes, commas, newlines and Chinese, NULLs of every kind, nullable integers, booleans and
    points, read back by the database as written."""
    frame = pd.DataFrame({
        "t": ['a "quoted", text', "多行\n文本", None, ""],
        "f": [1.5, float("nan"), -0.1, 1e-12],
        "i": pd.array([1, None, 3, 4], dtype="Int64"),
        "b": [True, False, None, True],
    })
    with get_engine(db_url).begin() as conn:
        conn.execute(text("CREATE TABLE bulk_probe (k int, t text, f float8, i bigint, b boolean, "
                          "geom geometry(Point, 4326))"))
        cur = conn.connection.dbapi_connection.cursor()
        bulk.copy_frame(cur, "bulk_probe", frame, ["t", "f", "i", "b"], first={"k": [10, 11, 12, 13]},
                        geometry=[Point(126.5, 43.8), Point(0, 0), Point(-1.25, 2.5), Point(1, 1)])
        cur.close()
        back = conn.execute(text("SELECT k, t, f, i, b, ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM bulk_probe "
                                 "ORDER BY k")).all()
        conn.execute(text("DROP TABLE bulk_probe"))
    assert [r[0] for r in back] == [10, 11, 12, 13]
    assert [r[1] for r in back] == ['a "quoted", text', "多行\n文本", None, ""]
    assert back[0][2] == 1.5 and back[1][2] is None and back[2][2] == -0.1 and back[3][2] == 1e-12
    assert [r[3] for r in back] == [1, None, 3, 4]
    assert [r[4] for r in back] == [True, False, None, True]
    assert [(r[5], r[6], r[7]) for r in back] == [(126.5, 43.8, 4326), (0, 0, 4326), (-1.25, 2.5, 4326),
                                                 (1, 1, 4326)]
    assert not math.isnan(back[3][2])


def test_text_array_literal_round_trips(db_url: str) -> None:
    from geo_risk.store.clusters import _pg_text_array

    names = ['ENT-1', 'a "quoted", name', "back\\slash", "{braces}", "吉林 化工", ""]
    with get_engine(db_url).connect() as conn:
        back = conn.execute(text("SELECT CAST(:a AS text[])"), {"a": _pg_text_array(names)}).scalar_one()
    assert back == names


def test_clusters_written_in_bulk_equal_the_row_path(city: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample city's clusters and links stored with the indexes and keys set aside equal those stored
    without, and the schema comes back."""
    from geo_risk.cluster_runs import run_clusters
    from geo_risk.grading import grade_store
    from geo_risk.store import clusters as cstore

    db_url = city
    grade_store(db_url)

    def dump() -> tuple[pd.DataFrame, pd.DataFrame, list]:
        with get_engine(db_url).connect() as conn:
            c = pd.read_sql(text("SELECT id, members, member_names, n_members, n_links, kinds, lead_enterprise_id, "
                                 "combined_r, people, worst_colour, cross_park, ST_AsEWKT(geom) AS g FROM clusters "
                                 "ORDER BY id"), conn)
            lk = pd.read_sql(text("SELECT * , ST_AsEWKT(geom) AS g FROM cluster_links ORDER BY id"), conn
                             ).drop(columns=["geom", "run_id"])
            schema = conn.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE tablename IN ('clusters', 'cluster_links') UNION ALL "
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN "
                "('clusters'::regclass, 'cluster_links'::regclass) ORDER BY 1")).scalars().all()
        return c, lk, schema

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 10**9)
    run_clusters(db_url)
    plain = dump()
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    run_clusters(db_url)
    bulky = dump()
    assert len(plain[0]) > 10 and len(plain[1]) > 100
    pd.testing.assert_frame_equal(plain[0], bulky[0])
    pd.testing.assert_frame_equal(plain[1], bulky[1])
    assert plain[2] == bulky[2] and any("FOREIGN KEY (cluster_id)" in d for d in bulky[2])
    assert cstore.clusters_are_current(db_url)
