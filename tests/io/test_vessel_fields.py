"""``vessel_count`` and ``vessel_capacity_t`` of the inventory (issue 13 item 7) through ``geo-risk load``.

Bad values are named by layer, row and reason, and the whole load is refused (the store unchanged);
good values are stored as given, and an absent pair stays empty (the engine's one-vessel default).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import load, small_city, snapshot, write_city
from sqlalchemy import text

from geo_risk.errors import ValidationFailed
from geo_risk.store.db import get_engine


@pytest.fixture
def city_db(tmp_path: Path, fresh_db_url: str) -> str:
    load(write_city(small_city(), tmp_path / "base.gpkg"), fresh_db_url)
    return fresh_db_url


def _inventory(tmp_path: Path, **vessels: list) -> Path:
    folder = tmp_path / "d"
    folder.mkdir(exist_ok=True)
    frame = pd.DataFrame({"unit_id": ["U1", "U1", "U3"], "chemical": ["氯", "氨", "液化石油气"],
                          "max_quantity_t": [80.0, 100.0, 1000.0], **vessels})
    frame.to_csv(folder / "inventory.csv", index=False)
    return folder


@pytest.mark.parametrize(
    ("count", "cap", "row", "reason"),
    [
        ([2, 0, 1], [50.0, 60.0, 400.0], 2, "vessel_count 0 is below the smallest valid value 1"),
        ([2, 2.5, 3], [50.0, 60.0, 400.0], 2, "vessel_count 2.5 is not a whole number"),
        ([2, 2, 3], [50.0, 0.0, 400.0], 2, "vessel_capacity_t 0 is not positive; it must be > 0"),
        ([2, 2, 3], [50.0, 60.0, -4.0], 3, "vessel_capacity_t -4 is not positive; it must be > 0"),
        ([2, 2, 20_001], [50.0, 60.0, 1.0], 3, "vessel_count 20001 exceeds 10000"),
        # 2 × 30 t = 60 t cannot hold the 80 t of row 1; 3 × 300 = 900 t < 1000 t in row 3
        ([2, 2, 3], [30.0, 60.0, 400.0], 1, "vessel_count × vessel_capacity_t = 2 × 30 t = 60 t is less than "
                                            "max_quantity_t 80 t"),
        ([2, 2, 3], [50.0, 60.0, 300.0], 3, "the quantity does not fit in the vessels"),
        (["two", 2, 3], [50.0, 60.0, 400.0], 1, "vessel_count 'two' is not a number"),
    ],
)
def test_bad_vessel_values_are_named_by_row_and_nothing_is_written(
    tmp_path: Path, city_db: str, count: list, cap: list, row: int, reason: str
) -> None:
    before = snapshot(city_db)
    with pytest.raises(ValidationFailed) as info:
        load(_inventory(tmp_path, vessel_count=count, vessel_capacity_t=cap), city_db)
    hits = [p for p in info.value.problems if p.layer == "inventory" and p.row == row and reason in p.reason]
    assert hits, f"expected inventory row {row}: {reason!r}; got:\n{info.value}"
    assert "nothing was written" in str(info.value)
    assert snapshot(city_db) == before


def test_good_vessel_values_are_stored_and_absent_ones_stay_empty(tmp_path: Path, city_db: str) -> None:
    # exactly full (2 × 40 = 80 t) is accepted; the count alone and the capacity alone are accepted
    load(_inventory(tmp_path, vessel_count=[2, None, 3], vessel_capacity_t=[40.0, 60.0, None]), city_db)
    with get_engine(city_db).connect() as conn:
        rows = conn.execute(text("SELECT chemical, vessel_count, vessel_capacity_t FROM inventory "
                                 "WHERE unit_id IN ('U1', 'U3') ORDER BY unit_id, chemical")).all()
    got = {r.chemical: (r.vessel_count, r.vessel_capacity_t) for r in rows}
    assert got["氯"] == (2, 40.0) and got["氨"] == (None, 60.0) and got["液化石油气"] == (3, None)
    # a file without the two columns loads, and leaves them empty
    load(_inventory(tmp_path), city_db)
    with get_engine(city_db).connect() as conn:
        empty = conn.execute(text("SELECT count(*) FROM inventory WHERE vessel_count IS NOT NULL "
                                  "OR vessel_capacity_t IS NOT NULL")).scalar_one()
    assert empty == 0


def test_the_store_refuses_impossible_vessels_itself(city_db: str) -> None:
    """The check constraints of migration 0010, for writers other than the loader."""
    from sqlalchemy.exc import IntegrityError

    for column, value in (("vessel_count", 0), ("vessel_capacity_t", 0.0)):
        with pytest.raises(IntegrityError), get_engine(city_db).begin() as conn:
            conn.execute(text(f"UPDATE inventory SET {column} = :v"), {"v": value})  # noqa: S608
