"""Row checks at their edges (issue 11 §8: mutants of ``geo_risk/io/validate.py`` that survived).

- Swapped lat/lon is caught even when both numbers are in range: Ürümqi (lon 87.6, lat 43.8) given
  as x = 43.8, y = 87.6 is a valid lon/lat far west of China (Caspian-Sea longitude, near the pole)
  whose swap falls in China, so it must be named as swapped.
- The absurd-value limits are the documented ones, checked exactly at and just above the limit:
  one unit's inventory item ≤ 10,000,000 t, one residential area or target ≤ 1,000,000 people
  (project choices stated in ``geo_risk/io/schema.py``; the numbers are written here on purpose,
  so a looser limit in the code fails).
- Populations and households are head counts: a whole number, which a file may write as 12.0
  (a Shapefile's double field); 12.5 people is refused naming the row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_risk.io.crs import WGS84, SourceCRS
from geo_risk.io.schema import LAYERS
from geo_risk.io.validate import validate_chunk

URUMQI_LON, URUMQI_LAT = 87.6, 43.8
JILIN_LON, JILIN_LAT = 126.55, 43.84


def _targets(points: list[tuple[float, float]]):  # noqa: ANN202 - a ValidatedChunk
    attrs = pd.DataFrame({"id": [f"T{i}" for i in range(len(points))], "name": ["学校"] * len(points),
                          "kind": ["school"] * len(points)})
    geoms = shapely.points(np.array(points, dtype=float))
    return validate_chunk(LAYERS["protection_targets"], attrs, geoms, SourceCRS(WGS84), 1)


def test_a_swapped_point_in_range_is_named() -> None:
    given = (URUMQI_LAT, URUMQI_LON)  # x = 43.8, y = 87.6: in range for lon/lat, so no range error
    assert -180 <= given[0] <= 180 and -90 <= given[1] <= 90
    checked = _targets([(URUMQI_LON, URUMQI_LAT), given, (JILIN_LON, JILIN_LAT)])
    assert [(p.row, p.id) for p in checked.problems] == [(2, "T1")], checked.problems
    assert "appear swapped" in checked.problems[0].reason
    assert "lon=87.6" in checked.problems[0].reason and "lat=43.8" in checked.problems[0].reason
    assert checked.bad.tolist() == [False, True, False]


def test_a_point_outside_china_whose_swap_is_not_in_china_is_not_called_swapped() -> None:
    paris = (2.35, 48.86)  # swapped: lon 48.86, lat 2.35 — south of China's extent
    checked = _targets([paris])
    assert not any("swapped" in p.reason for p in checked.problems), checked.problems


def _inventory(quantities: list[float]):  # noqa: ANN202
    n = len(quantities)
    attrs = pd.DataFrame({"unit_id": ["U1"] * n, "chemical": ["氯"] * n, "max_quantity_t": quantities})
    return validate_chunk(LAYERS["inventory"], attrs, None, None, 1)


@pytest.mark.parametrize(
    ("quantity_t", "refused"),
    [(10_000_000.0, False), (9_999_999.999, False), (10_000_000.001, True), (10_000_001.0, True), (1.0e8, True)],
)
def test_the_quantity_limit_is_ten_million_tonnes(quantity_t: float, refused: bool) -> None:
    checked = _inventory([5.0, quantity_t])
    problems = [p for p in checked.problems if p.severity == "error"]
    if refused:
        assert [p.row for p in problems] == [2], problems
        assert "max_quantity_t" in problems[0].reason and "exceeds 1e+07" in problems[0].reason
    else:
        assert problems == []
        assert checked.rows["max_quantity_t"].iat[1] == quantity_t


def _residential(populations: list[object], households: list[object] | None = None):  # noqa: ANN202
    n = len(populations)
    attrs = pd.DataFrame({"id": [f"R{i}" for i in range(n)], "name": ["小区"] * n, "population": populations})
    if households is not None:
        attrs["households"] = households
    geoms = np.array([shapely.box(126.5 + i * 0.01, 43.8, 126.505 + i * 0.01, 43.805) for i in range(n)])
    return validate_chunk(LAYERS["residential_areas"], attrs, geoms, SourceCRS(WGS84), 1)


@pytest.mark.parametrize(("population", "refused"), [(1_000_000, False), (1_000_001, True)])
def test_the_population_limit_is_one_million(population: int, refused: bool) -> None:
    checked = _residential([10, population])
    problems = [p for p in checked.problems if p.severity == "error"]
    assert [p.row for p in problems] == ([2] if refused else []), problems


def test_fractional_populations_are_refused_and_whole_floats_kept() -> None:
    checked = _residential([12.0, 12.5, 7.25, 30], households=[4.0, 4.0, 2.5, 10])
    errors = [(p.row, p.reason) for p in checked.problems if p.severity == "error"]
    assert sorted(errors) == [
        (2, "population 12.5 is not a whole number"),
        (3, "households 2.5 is not a whole number"),
        (3, "population 7.25 is not a whole number"),
    ], errors
    assert checked.bad.tolist() == [False, True, True, False]
    good = checked.rows[~checked.bad]
    assert good["population"].tolist() == [12, 30] and str(good["population"].dtype) == "Int64"
    assert good["households"].tolist() == [4, 10]


def test_fractional_populations_written_as_text_are_refused_too() -> None:
    checked = _residential(["12", "12.5", " 40 "])
    errors = [(p.row, p.reason) for p in checked.problems if p.severity == "error"]
    assert errors == [(2, "population 12.5 is not a whole number")], errors
