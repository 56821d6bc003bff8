"""grade_store against the same grading written as one PostGIS query (benchmarks/grading.py, GRADING_SQL).

The benchmark's SQL computes, unit by unit, S = Σq/Q, the residents within 500 m outside the plant
(ST_Buffer/ST_Difference/ST_Intersection in the plant's UTM zone), α (Table 5), R = α·Σβq/Q and the
grade (Table 6) from the catalogue alone, independently of our code path (the engine's pandas/shapely
frames, the exposure shortcuts, the term cache, the COPY write). Here it runs at a small size, on the
sample city and on a small generated province (benchmarks/_province.py: 400 units, 2,000 housing
polygons), and every unit must agree: the same units, S and R to 1e-9 (the SQL sums in numeric),
residents to 1e-9 relative (GEOS builds differ: shapely's wheel vs the server's), the same α, major
hazards and grades.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load

from geo_risk.grading import grade_store
from geo_risk.store.db import get_engine

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():  # noqa: ANN201 - the benchmark module
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _province
        import grading

        yield grading, _province
    finally:
        sys.path.remove(str(BENCHMARKS))


def _agree(bench, url: str) -> dict:  # noqa: ANN001
    grading, _ = bench
    report = grade_store(url)
    grading.run_sql(url)
    agreement = grading.compare(url)
    with get_engine(url).connect() as conn:
        r = pd.read_sql("SELECT a.unit_id, a.r AS ours, g.r::float8 AS sql FROM hazard_assessments a "
                        "JOIN sql_grades g USING (unit_id)", conn)
    assert agreement["units_ours"] == agreement["units_sql"] == agreement["matched"] == report.units > 0
    assert (agreement["s_bad"], agreement["major_bad"], agreement["alpha_bad"], agreement["grade_bad"]) == (0, 0, 0, 0)
    assert agreement["residents_max_rel"] < 1e-9
    assert agreement["grades_ours"] == agreement["grades_sql"]
    assert (r.ours.isna() == r.sql.isna()).all()
    major = r[r.sql.notna()]
    assert len(major) and ((major.ours - major.sql).abs() <= 1e-9 * major.sql.abs().clip(lower=1)).all()
    return agreement


def test_the_sample_city_grades_as_the_sql_does(bench, db_url: str) -> None:  # noqa: ANN001
    load(SAMPLE_CITY, db_url)
    a = _agree(bench, db_url)
    assert set(a["grades_ours"]) == {1, 2, 3, 4} and a["pairs"] > 100


def test_a_generated_province_grades_as_the_sql_does(bench, fresh_db_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    _, province = bench
    path = tmp_path / "province.gpkg"
    province.make_province(path, units=400, residential=2000)
    load(path, fresh_db_url)
    a = _agree(bench, fresh_db_url)
    # both sides of every limit are exercised: major and not, several α bands and grades
    assert 0 < a["majors"] < a["matched"] and len(a["alpha_bands"]) >= 3 and len(a["grades_ours"]) >= 3
