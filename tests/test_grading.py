"""Grading the stored sample city (GB 18218): register contents, independent checks, staleness, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_DATA
from helpers import SAMPLE_CITY, load, small_city, snapshot, write_city
from sqlalchemy import text

from geo_risk.analysis.exposure import ring_quad_segs
from geo_risk.errors import ValidationFailed
from geo_risk.grading import grade_store
from geo_risk.standards.gb18218 import alpha_for_population
from geo_risk.store.db import get_engine
from geo_risk.store.results import assessments_are_current


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    return db_url


def _frame(url: str, sql: str, **params: object) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def test_the_register_has_every_grade_and_follows_enterprise_status(city: str) -> None:
    a = _frame(city, "SELECT a.*, e.status FROM hazard_assessments a JOIN enterprises e ON e.id = a.enterprise_id")
    major = a[a.is_major_hazard & (a.register == "register")]
    assert set(major.grade) == {1, 2, 3, 4}
    assert set(a.status) <= {"operating", "suspended", "planned"}  # closed enterprises are left out
    assert set(a[a.status == "planned"].register) == {"planned"}
    with get_engine(city).connect() as conn:
        closed_units = conn.execute(text(
            "SELECT count(*) FROM hazard_units u JOIN enterprises e ON e.id = u.enterprise_id "
            "WHERE e.status = 'closed'")).scalar()
    assert closed_units > 0 and not a.enterprise_id.isin(
        _frame(city, "SELECT id FROM enterprises WHERE status = 'closed'").id).any()
    assert (a.grade.isna() == ~a.is_major_hazard).all()
    assert assessments_are_current(city)


def test_s_matches_an_independent_sum_from_the_reference_table_1(city: str) -> None:
    # Units holding only Table 1 substances, identified by their table1_seq or exact CAS (one row):
    # S = Σ q/Q with Q read from the reference copy tests/data/gb18218/gb18218_table1.csv (not from
    # the package's data; tests/data/PROVENANCE.md).
    with open(TEST_DATA / "gb18218" / "gb18218_table1.csv", encoding="utf-8") as f:
        table1 = list(csv.DictReader(f))
    q_by_seq = {int(r["seq"]): float(r["critical_quantity_t"]) for r in table1}
    cas_rows: dict[str, list[int]] = {}
    for r in table1:
        for cas in filter(None, r["cas"].replace("；", ";").split(";")):
            cas_rows.setdefault(cas.strip(), []).append(int(r["seq"]))
    inv = _frame(city, "SELECT unit_id, cas, table1_seq, hazard_categories, max_quantity_t FROM inventory")
    stored = _frame(city, "SELECT unit_id, s FROM hazard_assessments").set_index("unit_id")["s"]

    def seq_of(row: pd.Series) -> int | None:
        if pd.notna(row.table1_seq):
            return int(row.table1_seq)
        rows = cas_rows.get(row.cas or "", [])
        return rows[0] if len(rows) == 1 else None

    inv["seq"] = inv.apply(seq_of, axis=1)
    checked = 0
    for unit, rows in inv.groupby("unit_id"):
        if unit not in stored.index or rows.seq.isna().any() or rows.hazard_categories.notna().any():
            continue
        expected = sum(q / q_by_seq[int(s)] for q, s in zip(rows.max_quantity_t, rows.seq, strict=True))
        assert stored[unit] == pytest.approx(expected, rel=1e-12), unit
        checked += 1
    assert checked >= 150


def test_alpha_follows_residents_counted_in_postgis(city: str) -> None:
    sql = """
    WITH ring AS MATERIALIZED (
        SELECT id, ST_Difference(ST_Buffer(ST_Transform(geom, 32652), 500, 'quad_segs=' || :segs),
                                 ST_Transform(geom, 32652)) AS g
          FROM enterprises WHERE status <> 'closed'
    ), res AS MATERIALIZED (SELECT population, ST_Transform(geom, 32652) AS g FROM residential_areas)
    SELECT ring.id AS enterprise_id,
           COALESCE(sum(res.population * ST_Area(ST_Intersection(res.g, ring.g)) / ST_Area(res.g)), 0) AS n
      FROM ring LEFT JOIN res ON ST_Intersects(res.g, ring.g) GROUP BY ring.id
    """
    # The ring with as many segments per quarter circle as exposed_people draws (1 cm of the arc).
    people = _frame(city, sql, segs=ring_quad_segs(500.0)).set_index("enterprise_id")["n"]
    a = _frame(city, "SELECT enterprise_id, alpha, exposed_residents FROM hazard_assessments")
    assert a.exposed_residents.to_numpy() == pytest.approx(people[a.enterprise_id].to_numpy(), abs=0.01)
    # α from Table 5 applied to the SQL count (whole people; a band edge within ±0.01 of x.5 is not expected)
    assert list(a.alpha) == [alpha_for_population(n) for n in people[a.enterprise_id]]
    assert set(a.alpha) >= {2.0}  # the old plants among homes


def test_results_go_stale_when_inputs_change_and_grading_refreshes_them(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    load(write_city(city, tmp_path / "a.gpkg"), fresh_db_url)
    grade_store(fresh_db_url)
    assert assessments_are_current(fresh_db_url)
    r1 = _frame(fresh_db_url, "SELECT unit_id, alpha, grade FROM hazard_assessments WHERE unit_id = 'U3'").iloc[0]
    # U3 (LPG 120 t, E2) has R1 with 1200 residents next door: α = 2.0.
    assert r1.alpha == 2.0
    city["residential_areas"]["population"] = 0
    city["residential_areas"]["households"] = 0
    load(write_city(city, tmp_path / "b.gpkg"), fresh_db_url)
    assert not assessments_are_current(fresh_db_url)
    report = grade_store(fresh_db_url)
    assert assessments_are_current(fresh_db_url)
    r2 = _frame(fresh_db_url, "SELECT alpha, r, s FROM hazard_assessments WHERE unit_id = 'U3'").iloc[0]
    assert r2.alpha == 0.5 and r2.r == pytest.approx(0.5 * 1.5 * 120 / 50)  # LPG: Q 50 t, β 1.5 (W2)
    assert report.units == 4


def test_unknown_chemical_is_rejected_at_load_naming_the_row(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    load(write_city(city, tmp_path / "a.gpkg"), fresh_db_url)
    before = snapshot(fresh_db_url)
    city["inventory"].loc[4, "chemical"] = "甲醇钠盐水"  # not in Table 1, no categories
    city["inventory"].loc[4, "cas"] = None
    with pytest.raises(ValidationFailed) as info:
        load(write_city(city, tmp_path / "b.gpkg"), fresh_db_url)
    (p,) = [p for p in info.value.problems if p.layer == "inventory"]
    assert p.row == 5 and "hazard_categories" in p.reason
    assert snapshot(fresh_db_url) == before


def test_grading_an_empty_store_reports_nothing(fresh_db_url: str) -> None:
    report = grade_store(fresh_db_url)
    assert (report.units, report.major, report.planned_major) == (0, {}, 0)
