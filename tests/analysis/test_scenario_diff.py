"""The pure scenario engine on hand-made cases: changes applied to frames, the difference on one grid, level
crossings, people per band and conflicts keyed across before and after — each answer worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.transform import from_origin

from geo_risk.analysis.ir_field import IrGrid
from geo_risk.analysis.scenario_diff import (
    IR_LEVELS,
    Change,
    CityFrames,
    apply_changes,
    conflict_changes,
    crossings,
    difference_field,
    people_by_band,
)
from geo_risk.errors import InvalidInput

UTM = "EPSG:32652"


def _frames() -> CityFrames:
    ents = gpd.GeoDataFrame({"name": ["A", "B"], "status": ["operating", "operating"], "park_id": [None, None]},
                            geometry=[shapely.box(126.50, 43.80, 126.51, 43.81), shapely.box(126.60, 43.80, 126.61,
                                                                                               43.81)],
                            crs=4326, index=pd.Index(["A", "B"]))
    units = gpd.GeoDataFrame({"enterprise_id": ["A", "A", "B"], "name": ["a1", "a2", "b1"],
                              "unit_type": ["storage"] * 3},
                             geometry=[shapely.Point(126.502, 43.802), shapely.Point(126.508, 43.808),
                                       shapely.Point(126.605, 43.805)], crs=4326, index=pd.Index(["a1", "a2", "b1"]))
    inv = pd.DataFrame({"unit_id": ["a1", "a1", "a2", "b1"], "chemical": ["氯", "氨", "氯", "氯"],
                        "max_quantity_t": [10.0, 20.0, 4.0, 8.0]})
    res = gpd.GeoDataFrame({"population": [100.0]}, geometry=[shapely.box(126.52, 43.80, 126.53, 43.81)], crs=4326,
                           index=pd.Index(["R1"]))
    tg = gpd.GeoDataFrame({"population": [50.0], "kind": ["school"]}, geometry=[shapely.Point(126.55, 43.805)],
                          crs=4326, index=pd.Index(["T1"]))
    parks = gpd.GeoDataFrame({"name": ["P"]}, geometry=[shapely.box(126.70, 43.90, 126.72, 43.92)], crs=4326,
                             index=pd.Index(["P1"]))
    return CityFrames(ents, units, inv, res, tg, parks)


def test_a_cut_by_share_and_by_tonnes() -> None:
    f = _frames()
    out = apply_changes(f, [Change(0, "cut_inventory", {"unit_id": "a1", "chemical": "氯", "share": 0.25}),
                            Change(1, "cut_inventory", {"enterprise_id": "B", "max_quantity_t": 3.0})])
    q = out.frames.inventory.set_index(["unit_id", "chemical"])["max_quantity_t"]
    assert q[("a1", "氯")] == 2.5 and q[("a1", "氨")] == 20.0 and q[("a2", "氯")] == 4.0 and q[("b1", "氯")] == 3.0
    assert out.touched == {"A": ["cut_inventory"], "B": ["cut_inventory"]}
    assert f.inventory["max_quantity_t"].tolist() == [10.0, 20.0, 4.0, 8.0]  # the input is not modified
    # a "cut" to more than the design maximum keeps it (a cut never adds)
    more = apply_changes(f, [Change(0, "cut_inventory", {"unit_id": "a2", "max_quantity_t": 9.0})])
    assert more.frames.inventory["max_quantity_t"].tolist() == [10.0, 20.0, 4.0, 8.0]


def test_a_cut_to_zero_empties_units_and_the_enterprise_as_a_removal() -> None:
    f = _frames()
    cut = apply_changes(f, [Change(0, "cut_inventory", {"enterprise_id": "A", "max_quantity_t": 0.0})])
    gone = apply_changes(f, [Change(0, "remove_enterprise", {"enterprise_id": "A"})])
    for a, b in ((cut.frames.units, gone.frames.units), (cut.frames.enterprises, gone.frames.enterprises)):
        assert list(a.index) == list(b.index) == (["b1"] if "enterprise_id" in a.columns else ["B"])
    assert cut.frames.inventory.reset_index(drop=True).equals(gone.frames.inventory.reset_index(drop=True))
    assert cut.removed == gone.removed == {"A"}
    part = apply_changes(f, [Change(0, "cut_inventory", {"unit_id": "a2", "share": 0.0})])
    assert list(part.frames.units.index) == ["a1", "b1"] and "A" in part.frames.enterprises.index


def test_a_move_into_a_park_translates_every_unit_by_the_same_metres() -> None:
    from pyproj import Geod, Transformer

    f = _frames()
    out = apply_changes(f, [Change(0, "move_to_park", {"enterprise_id": "A", "park_id": "P1"})])
    site = f.enterprises.geometry["A"].centroid
    target = shapely.point_on_surface(f.parks.geometry["P1"])
    tr = Transformer.from_crs(4326, UTM, always_xy=True)
    # by hand: the vector from the site's centroid to the park's point, in metres of the UTM zone
    sx, sy = tr.transform(site.x, site.y)
    tx, ty = tr.transform(target.x, target.y)
    for uid in ("a1", "a2"):
        ox, oy = tr.transform(f.units.geometry[uid].x, f.units.geometry[uid].y)
        nx, ny = tr.transform(out.frames.units.geometry[uid].x, out.frames.units.geometry[uid].y)
        assert (nx - ox, ny - oy) == pytest.approx((tx - sx, ty - sy), abs=1e-3)
    assert out.frames.units.geometry["b1"].equals(f.units.geometry["b1"])
    assert out.frames.enterprises.loc["A", "park_id"] == "P1"
    assert out.frames.enterprises.geometry["A"].centroid.distance(target) < 1e-6
    km = Geod(ellps="WGS84").inv(site.x, site.y, target.x, target.y)[2]
    assert out.moves["A"]["distance_m"] == pytest.approx(km, rel=2e-3)  # UTM scale within 0.2 %


def test_a_development_joins_its_layer_and_errors_name_the_change() -> None:
    f = _frames()
    out = apply_changes(f, [Change(0, "add_development", {"geometry": shapely.Point(126.56, 43.81), "kind": "school",
                                                          "population": 800.0, "layer": "protection_targets"}),
                            Change(1, "add_development", {"geometry": shapely.box(126.57, 43.80, 126.58, 43.81),
                                                          "kind": "residential", "population": 300.0,
                                                          "layer": "residential_areas"})])
    assert len(out.frames.targets) == 2 and out.frames.targets.loc["SCN-DEV-0", "kind"] == "school"
    assert len(out.frames.residential) == 2 and out.frames.residential.loc["SCN-DEV-1", "population"] == 300.0
    assert list(out.developments.index) == ["SCN-DEV-0", "SCN-DEV-1"] and out.touched == {}
    with pytest.raises(InvalidInput, match=r"changes\[1\]\.enterprise_id"):
        apply_changes(f, [Change(0, "remove_enterprise", {"enterprise_id": "A"}),
                          Change(1, "move_to_park", {"enterprise_id": "A", "park_id": "P1"})])
    with pytest.raises(InvalidInput, match=r"changes\[0\]\.chemical"):
        apply_changes(f, [Change(0, "cut_inventory", {"unit_id": "b1", "chemical": "氨", "share": 0.5})])


def _grid(scope_id: str, array: list[list[float]], left: float, top: float, crs: str = UTM, cell: float = 25.0
          ) -> IrGrid:
    return IrGrid(run_id=1, scope="enterprise", scope_id=scope_id, enterprise_ids=(scope_id,), criteria="existing",
                  crs=crs, array=np.asarray(array, dtype=float), transform=from_origin(left, top, cell, cell))


def test_the_difference_on_one_grid_by_hand() -> None:
    # before: A's 2×2 grid at x 1000–1050, y 2000–2050; after: A's grid one cell east, values halved;
    # context: C overlapping A's first column (both sides); D in another zone: left out with a note
    a0 = _grid("A", [[4e-6, 2e-6], [1e-6, 1e-6]], 1000.0, 2050.0)
    a1 = _grid("A", [[2e-6, 1e-6], [5e-7, 5e-7]], 1025.0, 2050.0)
    c = _grid("C", [[1e-6], [1e-6]], 1000.0, 2050.0)
    d = _grid("D", [[1.0]], 1000.0, 2050.0, crs="EPSG:32651")
    # E reaches one cell beyond the window's north-west corner: its inner 2×2 block falls inside
    e = _grid("E", (np.arange(1.0, 10.0).reshape(3, 3) * 1e-8).tolist(), 975.0, 2075.0)
    f = difference_field([a0], [a1], [c, d, e], pad_cells=0)
    assert f.crs == UTM and f.cell_m == 25.0
    assert f.bounds() == (1000.0, 2000.0, 1075.0, 2050.0)  # 3 columns: A before ∪ A after
    inner = np.array([[5e-8, 6e-8, 0.0], [8e-8, 9e-8, 0.0]])
    expect_before = np.array([[4e-6 + 1e-6, 2e-6, 0.0], [1e-6 + 1e-6, 1e-6, 0.0]]) + inner
    expect_after = np.array([[1e-6, 2e-6, 1e-6], [1e-6, 5e-7, 5e-7]]) + inner
    np.testing.assert_allclose(f.before, expect_before, rtol=0, atol=1e-20)
    np.testing.assert_allclose(f.after, expect_after, rtol=0, atol=1e-20)
    np.testing.assert_allclose(f.diff, [[-4e-6, 0.0, 1e-6], [-1e-6, -5e-7, 5e-7]], rtol=0, atol=1e-20)
    # a grid in another CRS among the touched ones is left out and said
    g = difference_field([a0], [_grid("A", [[1.0]], 0.0, 25.0, crs="EPSG:32651")], pad_cells=0)
    assert "left out" in " ".join(g.notes) and not g.after.any()
    assert difference_field([], []) is None


def test_crossings_raised_and_lowered_areas() -> None:
    # a 6×6 block: before 2e-6 on the west half, after 2e-5 on the east half
    before = np.zeros((6, 6))
    before[:, :3] = 2e-6
    after = np.zeros((6, 6))
    after[:, 3:] = 2e-5
    f = difference_field([_grid("A", before.tolist(), 0.0, 150.0)], [_grid("A", after.tolist(), 0.0, 150.0)],
                         pad_cells=2)
    out = crossings(f)
    by = {k: dict(v) for k, v in out.items()}
    assert IR_LEVELS == (3e-7, 3e-6, 1e-5, 3e-5)
    # 1e-5: nothing before, the east half after → raised there only, nothing lowered
    assert by["before"][1e-5].is_empty and by["lowered"][1e-5].is_empty
    assert by["raised"][1e-5].centroid.x > 75.0
    # 3e-7: the west half lowered, the east half raised
    assert by["lowered"][3e-7].centroid.x < 75.0 < by["raised"][3e-7].centroid.x
    # 3e-5: above every value: nothing anywhere
    assert all(by[k][3e-5].is_empty for k in by)


def test_people_by_band_by_hand() -> None:
    ir_b = np.array([2e-5, 5e-6, 3e-7, 1e-8, 0.0])
    ir_a = np.array([1e-5, 1e-6, 3e-7, 1e-8, 4e-6])
    pop_b = np.array([10.0, 20.0, 30.0, 40.0, 0.0])  # the last: a development, nobody before
    pop_a = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    b = people_by_band(ir_b, ir_a, pop_b, pop_a)
    assert b["red"] == {"lower_per_year": 1e-5, "before": 10.0, "after": 10.0, "change": 0.0}  # 1e-5 is red
    assert b["orange"]["before"] == 20.0 and b["orange"]["after"] == 50.0
    assert b["yellow"]["before"] == 30.0 and b["yellow"]["after"] == 50.0  # 3e-7 takes the worse band
    assert b["any_above_yellow"] == {"lower_per_year": 3e-7, "before": 60.0, "after": 110.0, "change": 50.0}


def test_conflicts_are_keyed_across_before_and_after() -> None:
    before = pd.DataFrame({"conflict_id": ["external_distance:a1:T1", "individual_risk:A:T1",
                                           "cumulative_individual_risk:all:T1"], "ir_per_year": [np.nan, 1e-5, 2e-5]})
    after = pd.DataFrame({"conflict_id": ["cumulative_individual_risk:all:T1", "external_distance:a1:T2"],
                          "ir_per_year": [1e-5, np.nan]})
    added, removed, kept = conflict_changes(before, after)
    assert added["conflict_id"].tolist() == ["external_distance:a1:T2"]
    assert sorted(removed["conflict_id"]) == ["external_distance:a1:T1", "individual_risk:A:T1"]
    assert kept == 1  # the cumulative conflict stays, though its IR changed
    a, r, k = conflict_changes(before.iloc[:0], before)
    assert len(a) == 3 and len(r) == 0 and k == 0
