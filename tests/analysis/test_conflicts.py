"""Proximity conflicts on constructed layouts whose answers are known by hand (metres in UTM 52N)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from geo_risk.analysis.conflicts import ConflictSettings, find_conflicts
from geo_risk.analysis.ir_field import IrGrid
from geo_risk.errors import InvalidInput

_UTM = "EPSG:32652"
_X0, _Y0 = 350_000.0, 4_850_000.0  # near Jilin, inside zone 52


def _gdf(rows: list[dict], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    local = gpd.GeoSeries([shapely.affinity.translate(g, _X0, _Y0) for g in geoms], crs=_UTM)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=local.to_crs(4326).values, crs=4326)
    return frame.set_index("id")


def _unit(uid: str = "U1", ent: str = "E1", half: float = 10.0) -> gpd.GeoDataFrame:
    return _gdf([{"id": uid, "enterprise_id": ent, "name": f"unit {uid}"}], [shapely.box(-half, -half, half, half)])


def _ents(**status: str) -> pd.DataFrame:
    return pd.DataFrame([{"id": e, "name": f"enterprise {e}", "status": s, "park_id": "P1"} for e, s in status.items()]
                        ).set_index("id")


def _distances(unit: str = "U1", **per_class: tuple[float | None, float | None, float | None]) -> pd.DataFrame:
    """class → (final, declared, code) metres."""
    return pd.DataFrame([{"unit_id": unit, "target_class": c, "final_distance_m": f, "declared_distance_m": d,
                          "code_distance_m": k} for c, (f, d, k) in per_class.items()])


def _target(tid: str, geom: shapely.Geometry, category: str, population: float, layer: str = "protection_targets",
            kind: str = "school") -> tuple[dict, shapely.Geometry]:
    return {"id": tid, "name": f"target {tid}", "kind": kind, "category": category, "population": population,
            "layer": layer}, geom


def _targets(*items: tuple[dict, shapely.Geometry]) -> gpd.GeoDataFrame:
    return _gdf([r for r, _ in items], [g for _, g in items])


def test_a_school_10_m_inside_the_required_distance_falls_short_by_10_m() -> None:
    # unit edge at x = 10; school point at x = 100: 90 m away; external distance 100 m → shortfall 10 m
    targets = _targets(_target("T1", shapely.Point(100, 0), "high_sensitive", 600),
                       _target("T2", shapely.Point(0, 110), "high_sensitive", 300))  # exactly 100 m: not inside
    dist = _distances(high_sensitive=(100.0, 80.0, 100.0))
    res = find_conflicts(targets, _unit(), _ents(E1="operating"), dist)
    c = res.conflicts.set_index("rule")
    assert sorted(c.index) == ["design_code_distance", "external_distance"]  # declared 80 m < 90 m: no conflict
    row = c.loc["external_distance"]
    assert row["target_id"] == "T1" and row["unit_id"] == "U1" and row["enterprise_id"] == "E1"
    assert row["actual_distance_m"] == pytest.approx(90.0, abs=1e-3)
    assert row["required_distance_m"] == 100.0
    assert row["shortfall_m"] == pytest.approx(10.0, abs=1e-3)
    assert row["people_affected"] == 600  # a school counts all its people
    assert row["colour"] == "yellow"  # 10 % of 100 m: the yellow band's lower edge (≥ 10 %)
    # the line runs from the unit's edge to the school: 90 m long
    line = gpd.GeoSeries([res.conflicts.geometry.iloc[0]], crs=4326).to_crs(_UTM).iloc[0]
    assert line.length == pytest.approx(90.0, abs=1e-3)
    assert res.targets["target_id"].tolist() == ["T1"]


def test_a_residential_block_half_inside_the_zone_counts_half_its_people() -> None:
    # unit x, y ∈ [−10, 10]; zone of 100 m: the straight east edge at x = 110 for |y| ≤ 10.
    # block x ∈ [60, 160], y ∈ [−5, 5]: 50 of its 100 m lie inside → half of 400 people.
    targets = _targets(_target("R1", shapely.box(60, -5, 160, 5), "general_2", 400, "residential_areas", "residential"))
    res = find_conflicts(targets, _unit(), _ents(E1="operating"), _distances(general_2=(100.0, None, None)))
    row = res.conflicts.iloc[0]
    assert row["share_inside"] == pytest.approx(0.5, abs=1e-6)
    assert row["people_affected"] == pytest.approx(200.0, abs=0.05)
    assert row["shortfall_m"] == pytest.approx(50.0, abs=1e-3)
    assert row["colour"] == "red"  # 50 % short
    ent = res.totals["enterprise"].set_index("enterprise_id")
    assert ent.loc["E1", "people_affected"] == pytest.approx(200, abs=0.1)


def test_blocks_around_a_point_unit_count_the_people_inside_the_exact_circle() -> None:
    # a point unit at the origin, zone of 50 m. R1 x, y ∈ [−100, 100] holds the whole disc: π·50² of its
    # 40,000 m². R2 x ∈ [40, 140], y ∈ [−100, 100] holds the circular segment beyond x = 40:
    # r²·acos(d/r) − d·√(r² − d²) = 2500·acos(0.8) − 40·30 m² of its 20,000 m².
    units = _gdf([{"id": "U1", "enterprise_id": "E1", "name": "point"}], [shapely.Point(0, 0)])
    targets = _targets(_target("R1", shapely.box(-100, -100, 100, 100), "general_2", 1000, "residential_areas",
                               "residential"),
                       _target("R2", shapely.box(40, -100, 140, 100), "general_2", 1000, "residential_areas",
                               "residential"))
    res = find_conflicts(targets, units, _ents(E1="operating"), _distances(general_2=(50.0, None, None)))
    share = res.conflicts.set_index("target_id")["share_inside"]
    assert share["R1"] == pytest.approx(np.pi * 2500 / 40_000, rel=1e-6)
    assert share["R2"] == pytest.approx((2500 * np.arccos(0.8) - 40 * 30) / 20_000, rel=1e-6)
    people = res.conflicts.set_index("target_id")["people_affected"]
    assert people["R2"] == pytest.approx(1000 * (2500 * np.arccos(0.8) - 1200) / 20_000, abs=0.05)  # to 0.1


def _grid(sid: str, values: np.ndarray, scope: str = "enterprise") -> IrGrid:
    # 3 × 3 cells of 100 m over x, y ∈ [−150, 150] around the layout's origin
    return IrGrid(run_id=7, scope=scope, scope_id=sid, enterprise_ids=(sid,), criteria=None, crs=_UTM,
                  array=np.asarray(values, float), transform=Affine(100.0, 0, _X0 - 150, 0, -100.0, _Y0 + 150))


def test_individual_risk_just_above_the_criterion_is_a_conflict_and_just_below_is_not() -> None:
    # general_2, existing (在役) column: 1×10⁻⁵ per year. West cell 1.01e-5, east cell 0.99e-5, centre exactly 1e-5.
    values = np.zeros((3, 3))
    values[1] = [1.01e-5, 1e-5, 0.99e-5]
    targets = _targets(_target("W", shapely.Point(-100, 0), "general_2", 50, kind="office"),
                       _target("C", shapely.Point(0, 0), "general_2", 50, kind="office"),
                       _target("E", shapely.Point(100, 0), "general_2", 50, kind="office"))
    res = find_conflicts(targets, _unit(half=5), _ents(E1="operating"), None, grids=[_grid("E1", values)])
    per = res.conflicts[res.conflicts["rule"] == "individual_risk"]
    assert per["target_id"].tolist() == ["W"]
    row = per.iloc[0]
    assert row["ir_per_year"] == 1.01e-5 and row["criterion_per_year"] == 1e-5
    assert row["ir_ratio"] == pytest.approx(1.01)
    assert row["colour"] == "red" and row["criteria"] == "existing" and row["view"] == "per_enterprise"
    # a planned plant is judged on the new (新建) column, 3×10⁻⁶: all three
    planned = find_conflicts(targets, _unit(half=5), _ents(E1="planned"), None, grids=[_grid("E1", values)])
    assert sorted(planned.conflicts.query("rule == 'individual_risk'")["target_id"]) == ["C", "E", "W"]


def test_cumulative_risk_is_the_regional_view_beside_the_per_enterprise_test() -> None:
    # two plants each 6e-6 at a class-II target: each passes 1e-5 alone; together 1.2e-5 exceed it
    values = np.full((3, 3), 6e-6)
    targets = _targets(_target("T", shapely.Point(0, 0), "general_2", 80, kind="office"))
    units = pd.concat([_unit("U1", "E1"), _unit("U2", "E2")])
    res = find_conflicts(targets, units, _ents(E1="operating", E2="operating"), None,
                         grids=[_grid("E1", values), _grid("E2", values), _grid("P1", values * 50, scope="park")])
    assert res.conflicts["rule"].tolist() == ["cumulative_individual_risk"]
    row = res.conflicts.iloc[0]
    assert row["view"] == "cumulative" and pd.isna(row["enterprise_id"])
    assert row["ir_per_year"] == pytest.approx(1.2e-5)  # the park run is not added again
    assert "regional" in row["rule_label"]
    off = find_conflicts(targets, units, _ents(E1="operating", E2="operating"), None,
                         grids=[_grid("E1", values), _grid("E2", values)], settings=ConflictSettings(cumulative=False))
    assert len(off.conflicts) == 0


def test_a_closed_plant_is_left_out_and_said_so() -> None:
    targets = _targets(_target("T1", shapely.Point(50, 0), "general_1", 10))
    res = find_conflicts(targets, _unit(), _ents(E1="closed"), _distances(general_1=(100.0, 100.0, 100.0)))
    assert len(res.conflicts) == 0
    assert any("closed" in n for n in res.notes)


def test_totals_count_a_target_once_per_enterprise_and_per_admin_area() -> None:
    block = _target("R1", shapely.box(20, -5, 60, 5), "general_1", 100, "residential_areas", "residential")
    school = _target("S1", shapely.Point(0, 300), "high_sensitive", 500)
    targets = _targets(block, school)
    units = pd.concat([_unit("U1", "E1"), _gdf([{"id": "U2", "enterprise_id": "E1", "name": "u2"}],
                                                 [shapely.box(-10, 250, 10, 270)])])
    dist = pd.concat([_distances("U1", general_1=(100.0, 100.0, None), high_sensitive=(100.0, None, None)),
                      _distances("U2", general_1=(100.0, None, None), high_sensitive=(100.0, None, None))])
    admin = _gdf([{"id": 1, "code": "220202", "name": "昌邑区"}, {"id": 2, "code": "220203", "name": "龙潭区"}],
                 [shapely.box(-500, -500, 500, 150), shapely.box(-500, 150, 500, 800)])
    res = find_conflicts(targets, units, _ents(E1="operating"), dist, admin_areas=admin)
    # R1 lies within U1's 100 m (2 rules, whole block; U2 is 245 m away); S1 within U2's 100 m (30 m), 290 m from U1
    ent = res.totals["enterprise"].set_index("enterprise_id").loc["E1"]
    assert ent["targets"] == 2
    assert ent["people_affected"] == pytest.approx(100 + 500)
    adm = res.totals["admin_area"].set_index("admin_code")
    assert adm.loc["220202", "people_affected"] == pytest.approx(100) and adm.loc["220202", "admin_name"] == "昌邑区"
    assert adm.loc["220203", "people_affected"] == pytest.approx(500)


def test_targets_without_a_class_are_refused() -> None:
    targets = _targets(_target("T1", shapely.Point(50, 0), "general_1", 10))
    targets.loc["T1", "category"] = None
    with pytest.raises(InvalidInput, match="GB 36894 class"):
        find_conflicts(targets, _unit(), _ents(E1="operating"), None)


def test_a_block_near_a_non_convex_unit_is_not_taken_as_wholly_inside() -> None:
    # an L-shaped unit; a triangle whose three corners are 15 m from it (inside 20 m) while its middle is
    # 47.5 m away: only part of it lies within 20 m (the buffer of an L is not convex)
    ell = shapely.union(shapely.box(0, 0, 100, 10), shapely.box(0, 0, 10, 100))
    units = _gdf([{"id": "U1", "enterprise_id": "E1", "name": "L"}], [ell])
    tri = shapely.Polygon([(25, 25), (90, 25), (25, 90)])
    targets = _targets(_target("R1", tri, "general_3", 1000, "residential_areas", "residential"))
    res = find_conflicts(targets, units, _ents(E1="operating"), _distances(general_3=(20.0, None, None)))
    local = shapely.affinity.translate(tri, 0, 0)
    inside = shapely.intersection(local, shapely.buffer(ell, 20.0, quad_segs=32)).area / local.area
    assert 0.2 < inside < 0.9  # about 0.28
    assert res.conflicts.iloc[0]["share_inside"] == pytest.approx(inside, rel=1e-3)
