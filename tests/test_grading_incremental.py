"""Grading after a load grades only what the load can have changed, and agrees with a full grade.

Which plants a changed residential block reaches is computed here independently of the code: the
blocks and plants are read from the interchange file with geopandas and their distances measured
in WGS 84 / UTM 52N (EPSG:32652, metres). Test cases keep clear of the 500 m edge (a block counts
for one plant within 400 m and no other within 700 m), so the choice does not hinge on metres.
What grading reads is observed by wrapping ``exposed_people`` (the real database is read; nothing
is replaced). Results after a load must equal a full grade: exactly (S, α, R, grade, counts,
terms), the sums of people to 1e-12 relative (see :data:`_SUMS`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from helpers import SAMPLE_CITY, load, small_city, write_city
from shapely.geometry import box

import geo_risk.grading as grading
from geo_risk.grading import grade_store
from geo_risk.store.db import get_engine
from geo_risk.store.results import assessments_are_current

UTM52N = 32652


def _assessments(url: str) -> pd.DataFrame:
    with get_engine(url).connect() as conn:
        frame = pd.read_sql("SELECT * FROM hazard_assessments ORDER BY unit_id", conn)
    return frame.set_index("unit_id")


def _results(url: str) -> pd.DataFrame:
    """The stored results without the stamps (when and at which version they were computed)."""
    return _assessments(url).drop(columns=["computed_at", "inputs_version"])


#: Sums of people: ``exposed_people`` adds a plant's apportioned residents in a pandas group-by
#: whose rounding depends on the other plants of the call (last bit, ~1e-16 relative).
_SUMS = ["exposed_residents", "other_people"]


def _full_regrade_agrees(url: str) -> None:
    """The results kept and re-graded after a load equal a full grade of the store now."""
    incremental = _results(url)
    report = grade_store(url)
    assert not report.incremental
    full = _results(url)
    pd.testing.assert_frame_equal(incremental.drop(columns=_SUMS), full.drop(columns=_SUMS), check_exact=True)
    pd.testing.assert_frame_equal(incremental[_SUMS], full[_SUMS], check_exact=False, rtol=1e-12, atol=0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Records, for each grading, which plants it assessed and how many residential areas it had read."""
    seen: list[dict] = []
    real = grading.exposed_people

    def spy(plants, residential, targets=None, *args, **kwargs):  # noqa: ANN001, ANN202
        seen.append({"plants": sorted(plants.index), "residential": len(residential)})
        return real(plants, residential, targets, *args, **kwargs)

    monkeypatch.setattr(grading, "exposed_people", spy)
    return seen


def _distances_m(blocks: gpd.GeoDataFrame, plants: gpd.GeoDataFrame) -> pd.DataFrame:
    """Distance (m, UTM 52N) from every block (rows) to every plant (columns)."""
    b = np.asarray(blocks.to_crs(UTM52N).geometry.values, dtype=object)
    p = np.asarray(plants.to_crs(UTM52N).geometry.values, dtype=object)
    return pd.DataFrame(shapely.distance(b[:, None], p[None, :]), index=blocks["id"], columns=plants["id"])


# -- the sample city -----------------------------------------------------------------------------
def test_a_changed_block_near_one_plant_regrades_only_that_plant(tmp_path: Path, fresh_db_url: str,
                                                                 reads: list[dict]) -> None:
    url = fresh_db_url
    blocks = gpd.read_file(SAMPLE_CITY, layer="residential_areas")
    plants = gpd.read_file(SAMPLE_CITY, layer="enterprises")
    units = gpd.read_file(SAMPLE_CITY, layer="hazard_units")
    graded = plants["status"].isin(["operating", "suspended", "planned"]) & plants["id"].isin(units.enterprise_id)
    d = _distances_m(blocks, plants)  # every plant, graded or not: a load reports each one within reach
    near_graded = ((d < 400) & graded.to_numpy()[None, :]).sum(axis=1) == 1
    alone = near_graded & ((d < 700).sum(axis=1) == 1)
    block_id = alone[alone].index[0]
    plant_id = d.loc[block_id].idxmin()

    load(SAMPLE_CITY, url)
    grade_store(url)
    before = _assessments(url)
    assert assessments_are_current(url)

    changed = blocks[blocks["id"] == block_id].copy()
    changed["population"] = changed["population"] * 3 + 500
    report = load(write_city({"residential_areas": changed}, tmp_path / "one_block.gpkg"), url)
    assert report.changes is not None and report.changes.enterprise_ids == {plant_id}
    assert not assessments_are_current(url)

    reads.clear()
    graded_now = grade_store(url, report.changes)
    assert graded_now.incremental and graded_now.enterprise_ids == [plant_id]
    assert graded_now.units == int((units.enterprise_id == plant_id).sum()) > 0
    # Only the residential areas near that plant were read, not the layer's 2,268: those whose box meets
    # the plant's box widened by 510 m (its corners are 721 m out; the plant is not its box).
    (call,) = reads
    assert call["plants"] == [plant_id]
    assert int((d[plant_id] < 500).sum()) <= call["residential"] <= int((d[plant_id] < 1000).sum()) < 100

    after = _assessments(url)
    assert assessments_are_current(url)
    mine = after["enterprise_id"] == plant_id
    assert (after.loc[mine, "computed_at"] > before.loc[mine[mine].index, "computed_at"]).all()
    others = after.index[~mine]
    assert (after.loc[others, "computed_at"] == before.loc[others, "computed_at"]).all()
    pd.testing.assert_frame_equal(after.loc[others].drop(columns="inputs_version"),
                                  before.loc[others].drop(columns="inputs_version"))
    assert (after.loc[mine, "exposed_residents"] > before.loc[mine[mine].index, "exposed_residents"]).all()
    _full_regrade_agrees(url)


def test_blocks_far_from_every_plant_grade_nothing(tmp_path: Path, fresh_db_url: str, reads: list[dict]) -> None:
    url = fresh_db_url
    plants = gpd.read_file(SAMPLE_CITY, layer="enterprises")
    load(SAMPLE_CITY, url)
    grade_store(url)
    before = _assessments(url)
    # 200 new blocks 20 km north-east of the city's plants
    rng = np.random.default_rng(3)
    x0, y0 = plants.total_bounds[2] + 0.25, plants.total_bounds[3] + 0.2
    xs, ys = x0 + rng.random(200) * 0.05, y0 + rng.random(200) * 0.05
    far = gpd.GeoDataFrame({"id": [f"FAR-{i}" for i in range(200)], "name": "远郊新村",
                            "population": rng.integers(10, 900, 200)},
                           geometry=[box(x, y, x + 0.0005, y + 0.0004) for x, y in zip(xs, ys, strict=True)],
                           crs="EPSG:4326")
    assert _distances_m(far, plants).min().min() > 5_000
    report = load(write_city({"residential_areas": far}, tmp_path / "far.gpkg"), url)
    assert report.changes is not None and report.changes.enterprise_ids == frozenset()

    reads.clear()
    graded = grade_store(url, report.changes)
    assert graded.incremental and graded.enterprise_ids == [] and graded.units == 0
    assert [r["residential"] for r in reads] == [0]
    after = _assessments(url)
    assert assessments_are_current(url)
    assert (after["computed_at"] == before["computed_at"]).all()
    _full_regrade_agrees(url)


# -- a hand-made city (tests/helpers.small_city): R1 is 500 m from E2 only -------------------------
def _graded_small_city(tmp_path: Path, url: str) -> dict[str, gpd.GeoDataFrame]:
    city = small_city()
    load(write_city(city, tmp_path / "city.gpkg"), url)
    grade_store(url)
    assert assessments_are_current(url)
    return city


def test_a_block_moved_away_regrades_the_plant_it_left(tmp_path: Path, fresh_db_url: str) -> None:
    url = fresh_db_url
    city = _graded_small_city(tmp_path, url)
    assert _results(url).loc["U3", "alpha"] == 2.0  # 1,200 residents of R1 beside E2
    r1 = city["residential_areas"][city["residential_areas"]["id"] == "R1"].copy()
    r1["geometry"] = r1.translate(0.2, 0.1)  # ~20 km away from every plant
    assert _distances_m(r1, city["enterprises"]).min().min() > 10_000
    report = load(write_city({"residential_areas": r1}, tmp_path / "moved.gpkg"), url)
    assert report.changes.enterprise_ids == {"E2"}
    graded = grade_store(url, report.changes)
    assert graded.incremental and graded.enterprise_ids == ["E2"] and graded.units == 1
    u3 = _results(url).loc["U3"]
    assert u3.exposed_residents == 0.0 and u3.alpha == 0.5  # GB 18218 Table 5: 0 residents
    _full_regrade_agrees(url)


def test_inventory_and_status_changes_regrade_their_enterprises(tmp_path: Path, fresh_db_url: str) -> None:
    url = fresh_db_url
    city = _graded_small_city(tmp_path, url)
    inv = city["inventory"].copy()
    inv.loc[inv["unit_id"] == "U3", "max_quantity_t"] = 20.0  # LPG 120 t → 20 t: below Q = 50 t
    report = load(write_city({"inventory": inv[inv["unit_id"] == "U3"]}, tmp_path / "inv.gpkg"), url)
    assert report.changes.enterprise_ids == {"E2"}
    graded = grade_store(url, report.changes)
    assert graded.incremental and graded.units == 1
    u3 = _results(url).loc["U3"]
    assert u3.s == pytest.approx(20 / 50, rel=1e-12) and not u3.is_major_hazard
    _full_regrade_agrees(url)

    ent = city["enterprises"].copy()
    ent.loc[ent["id"] == "E1", "status"] = "closed"  # closed: its units leave the register
    report = load(write_city({"enterprises": ent[ent["id"] == "E1"]}, tmp_path / "closed.gpkg"), url)
    assert report.changes.enterprise_ids == {"E1"}
    graded = grade_store(url, report.changes)
    assert graded.incremental and graded.units == 0
    assert not {"U1", "U2"} & set(_results(url).index)
    _full_regrade_agrees(url)


def test_results_stale_before_the_load_are_graded_whole(tmp_path: Path, fresh_db_url: str) -> None:
    url = fresh_db_url
    city = _graded_small_city(tmp_path, url)
    inv = city["inventory"].copy()
    inv.loc[inv["unit_id"] == "U1", "max_quantity_t"] = 1.0
    load(write_city({"inventory": inv[inv["unit_id"] == "U1"]}, tmp_path / "a.gpkg"), url)  # not graded
    r1 = city["residential_areas"][city["residential_areas"]["id"] == "R1"].copy()
    r1["population"] = 5
    report = load(write_city({"residential_areas": r1}, tmp_path / "b.gpkg"), url)
    assert report.changes.enterprise_ids == {"E2"} and not report.changes.results_were_current
    graded = grade_store(url, report.changes)
    assert not graded.incremental and graded.units == 4
    assert _results(url).loc["U1", "s"] == pytest.approx(1.0 / 5.0, rel=1e-12)  # chlorine, Q = 5 t
    assert assessments_are_current(url)


def test_a_residential_load_into_a_store_without_plants_reads_no_residents(tmp_path: Path, fresh_db_url: str,
                                                                          reads: list[dict]) -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    xs, ys = 126.4 + rng.random(n) * 0.3, 43.7 + rng.random(n) * 0.3
    blocks = gpd.GeoDataFrame({"id": [f"B{i}" for i in range(n)], "name": "小区",
                               "population": rng.integers(1, 999, n)},
                              geometry=shapely.box(xs, ys, xs + 0.0004, ys + 0.0003), crs="EPSG:4326")
    report = load(write_city({"residential_areas": blocks}, tmp_path / "homes.gpkg"), fresh_db_url)
    assert report.changes.enterprise_ids == frozenset()
    graded = grade_store(fresh_db_url, report.changes)
    assert graded.units == 0 and graded.enterprise_ids == []
    assert [r["residential"] for r in reads] == [0]
