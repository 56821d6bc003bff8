"""The siting rulebook: one constructed case per reason, answers known by hand; the symmetry test.

Geometry is built in metres in UTM 52N (Jilin) and handed to the engine in lon/lat, which measures in
the local UTM zone — the same zone here, so distances come back as built (to < 1 mm).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from affine import Affine

from geo_risk.analysis.ir_field import IrGrid
from geo_risk.analysis.siting import (
    RULEBOOK,
    RULEBOOK_VERSION,
    VETO_TEXT,
    HazardSide,
    ParkSide,
    SitingSettings,
    TargetSide,
    check_development,
    check_project,
    control_line_reasons,
    domino_reasons,
    fn_bound_with_added_people,
    major_hazard_reasons,
    pair_reasons,
    park_reasons,
    societal_reason_added_people,
    validate_site,
)
from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import assess_unit
from geo_risk.standards.gb36894 import TARGET_CLASSES

_UTM = "EPSG:32652"
_TO_WGS = pyproj.Transformer.from_crs(_UTM, 4326, always_xy=True)
_X, _Y = 300_000.0, 4_860_000.0  # the plant's unit: a 20 m square with its SW corner here


def _wgs(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1])))


def _plant(*, proposed: bool, status: str = "operating", required_hs: float = 300.0, ir: float | None = 1e-6,
           unit_type: str = "storage", fn: tuple | None = None) -> HazardSide:
    unit = _wgs(shapely.box(_X, _Y, _X + 20, _Y + 20))
    units = gpd.GeoDataFrame({"unit_type": [unit_type]}, geometry=[unit], crs=4326, index=pd.Index(["U1"]))
    req = pd.DataFrame({c: [required_hs if c in ("high_sensitive", "important", "general_1") else 50.0]
                        for c in TARGET_CLASSES}, index=pd.Index(["U1"]))
    grid = None
    if ir is not None:  # 100 m cells over x 300000…301000, y 4859500…4860500; `ir` everywhere east of the unit
        arr = np.zeros((10, 10))
        arr[:, 1:] = ir
        grid = IrGrid(run_id=1, scope="enterprise", scope_id="P", enterprise_ids=("P",), criteria="existing",
                      crs=_UTM, array=arr, transform=Affine(100.0, 0, _X, 0, -100.0, _Y + 500))
    n, f = (None, None) if fn is None else (np.asarray(fn[0], float), np.asarray(fn[1], float))
    return HazardSide("P", "甲化工厂", status, units, req, grid, n, f, proposed=proposed)


def _school(*, proposed: bool, east_m: float = 250.0, population: float = 800.0) -> TargetSide:
    # a point `east_m` east of the unit's east edge, level with its middle
    return TargetSide("S", "第一中学", "school", "high_sensitive", population,
                      _wgs(shapely.Point(_X + 20 + east_m, _Y + 10)), proposed=proposed)


# -- R3 and R4: known by hand ----------------------------------------------------------------------


def test_a_school_inside_the_required_distance_is_a_veto_with_its_numbers() -> None:
    v = check_development(_school(proposed=True), [_plant(proposed=False, ir=None)], [])
    assert v.code == "advise_against"
    assert v.as_dict()["veto_statement"] == VETO_TEXT
    assert "重大安全风险一票否决" in v.notes[0]
    (r,) = [r for r in v.reasons if r.rule == "R3-distance"]
    assert r.kind == "veto"
    assert r.evidence["distance_m"] == pytest.approx(250.0, abs=0.01)
    assert r.evidence["required_distance_m"] == 300.0
    assert r.evidence["shortfall_m"] == pytest.approx(50.0, abs=0.01)
    assert r.geometry is not None  # the line from the unit to the school


def test_a_school_beyond_the_required_distance_passes_r3() -> None:
    v = check_development(_school(proposed=True, east_m=301.0), [_plant(proposed=False, ir=None)], [])
    assert "R3-distance" not in {r.rule for r in v.reasons}
    assert {c.rule: c.status for c in v.checks}["R3-distance"] == "passed"


def test_ir_above_the_new_criterion_fires_r4_with_the_table_value() -> None:
    # school 600 m out: beyond the 300 m distance; IR there 1e-6 > 3e-7 (GB 36894 Table 1, 新建, high-sensitive)
    v = check_development(_school(proposed=True, east_m=600.0), [_plant(proposed=False, ir=1e-6)], [])
    (r,) = [r for r in v.reasons if r.rule == "R4-ir"]
    assert r.evidence["criterion_per_year"] == 3e-7
    assert r.evidence["ir_per_year"] == 1e-6
    assert r.evidence["column"] == "new"
    assert v.code == "advise_against"
    # at 2.9e-7 (≤ 3e-7) it passes
    v2 = check_development(_school(proposed=True, east_m=600.0), [_plant(proposed=False, ir=2.9e-7)], [])
    assert "R4-ir" not in {r.rule for r in v2.reasons}
    assert v2.code == "no_objection"


def test_the_installation_column_setting_judges_an_operating_plant_on_existing() -> None:
    # 在役 high-sensitive criterion 3e-6: IR 1e-6 passes under that setting
    s = SitingSettings(decision_column="installation")
    v = check_development(_school(proposed=True, east_m=600.0), [_plant(proposed=False, ir=1e-6)], [], s)
    assert "R4-ir" not in {r.rule for r in v.reasons}
    assert v.settings["decision_column"] == "installation"


# -- symmetry ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("east_m", "ir", "fired"), [(250.0, 1e-6, {"R3-distance", "R4-ir"}),
                                                      (600.0, 1e-6, {"R4-ir"}), (600.0, 1e-7, set())])
def test_a_school_near_a_plant_is_that_plant_near_the_school(east_m: float, ir: float, fired: set) -> None:
    """Direction 2 (school proposed, plant existing) and direction 1 (plant proposed, school existing)
    evaluate the same pair rules with the same evidence and reach the same pair verdict."""
    d2 = check_development(_school(proposed=True, east_m=east_m), [_plant(proposed=False, ir=ir)], [])
    d1 = check_project(_plant(proposed=True, ir=ir), [_school(proposed=False, east_m=east_m)], [], {})
    pair = ("R3-distance", "R4-ir")
    r2 = {r.rule: r for r in d2.reasons if r.rule in pair}
    r1 = {r.rule: r for r in d1.reasons if r.rule in pair}
    assert set(r2) == set(r1) == fired
    for rule in fired:
        assert r1[rule].kind == r2[rule].kind
        for key in ("distance_m", "required_distance_m", "shortfall_m", "ir_per_year", "criterion_per_year",
                    "column", "target_class"):
            assert r1[rule].evidence.get(key) == r2[rule].evidence.get(key), key
    assert d1.code == d2.code  # no other rule fires in either direction here


def test_pair_reasons_is_the_same_call_in_both_directions() -> None:
    a, _ = pair_reasons(_plant(proposed=False), _school(proposed=True))
    b, _ = pair_reasons(_plant(proposed=True), _school(proposed=False))
    assert [(r.rule, r.evidence) for r in a] == [(r.rule, r.evidence) for r in b]


# -- disclosure ------------------------------------------------------------------------------------------


def test_an_existing_plants_figures_are_withheld_from_the_public_tier() -> None:
    v = check_development(_school(proposed=True), [_plant(proposed=False, ir=1e-6)], [])
    pub = v.as_dict("public")
    ana = v.as_dict("restricted")
    r3p = next(r for r in pub["reasons"] if r["rule"] == "R3-distance")
    r3a = next(r for r in ana["reasons"] if r["rule"] == "R3-distance")
    assert "required_distance_m" not in r3p["evidence"] and r3a["evidence"]["required_distance_m"] == 300.0
    assert "300 m" not in r3p["text"] and "300 m" in r3a["text"]
    assert r3p["evidence"]["distance_m"] == pytest.approx(250.0, abs=0.01)  # geometry is public
    r4p = next(r for r in pub["reasons"] if r["rule"] == "R4-ir")
    assert "ir_per_year" not in r4p["evidence"] and "1.00e-06" not in r4p["text"]
    # the caller's own project: its figures are echoed back
    d1 = check_project(_plant(proposed=True, ir=1e-6), [_school(proposed=False)], [], {}).as_dict("public")
    r3 = next(r for r in d1["reasons"] if r["rule"] == "R3-distance")
    assert r3["evidence"]["required_distance_m"] == 300.0


# -- R5: the F-N bound ---------------------------------------------------------------------------------


def test_fn_bound_by_hand() -> None:
    # one stored event: N = 10, F = 1e-5. 100 people at IR 1e-6: P·IR = 1e-4.
    n, b = fn_bound_with_added_people(np.array([10.0]), np.array([1e-5]), 100, 1e-6, (0.5,))
    # N = 1 (a = 0.5): F(0.5) + 1e-4 / 0.5 = 1e-5 + 2e-4; N = 20: F(10) + 2e-4/20 = 1e-5 + 1e-5;
    # N = 30: F(15) = 0 → 2e-4/30; beyond max N + P = 110 nothing can reach: the curve stops there
    assert b[0] == pytest.approx(2.1e-4)
    assert b[19] == pytest.approx(2e-5)
    assert b[29] == pytest.approx(2e-4 / 30)
    assert n[-1] == 110
    # with a = 0.95 only, at N = 105: F(99.75) + 1e-4/(0.05·105) = 1.9e-5, but ΔN ≤ 100 → F(5) = 1e-5
    n, b = fn_bound_with_added_people(np.array([10.0]), np.array([1e-5]), 100, 1e-6, (0.95,))
    assert b[104] == pytest.approx(1e-5)


def test_fn_bound_of_a_curve_with_no_deaths_is_the_markov_term_alone() -> None:
    # no stored event kills anyone: F'(N) ≤ P·IR/((1 − a)N) = 100 × 1e-6 / (0.5 N), zero beyond N = P
    n, b = fn_bound_with_added_people(np.array([]), np.array([]), 100, 1e-6, (0.5,))
    assert n[-1] == 100 and b[0] == pytest.approx(2e-4) and b[99] == pytest.approx(2e-6)


def test_fn_bound_holds_for_random_event_sets() -> None:
    """The bound is never below the true curve of any event set meeting its premises
    (Σ f·ΔN ≤ P·IR, 0 ≤ ΔN ≤ P)."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        k = int(rng.integers(1, 12))
        f = 10 ** rng.uniform(-8, -4, k)
        n0 = np.floor(rng.uniform(0, 60, k))
        people, ir = float(rng.integers(1, 500)), 10 ** rng.uniform(-8, -5)
        dn = np.minimum(rng.uniform(0, 1, k) * people, people)
        scale = min(1.0, people * ir / max(float((f * dn).sum()), 1e-300))
        dn = dn * scale
        curve_n, curve_f = np.unique(n0[n0 > 0]), None
        curve_f = np.array([f[n0 >= x].sum() for x in curve_n])
        grid, bound = fn_bound_with_added_people(curve_n, curve_f, people, ir)
        true = np.array([f[n0 + dn >= x].sum() for x in grid])
        assert (true <= bound * (1 + 1e-12) + 1e-300).all()


def test_r5_fires_when_the_bound_enters_the_unacceptable_region() -> None:
    # P·IR = 1000 × 1e-6 = 1e-3: F'(N) ≤ F(aN) + 1e-3/((1−a)N) ≥ 1e-3/N = the upper line at every N
    plant = _plant(proposed=False, ir=1e-6, fn=([10.0], [1e-5]))
    r, _ = societal_reason_added_people(plant, _school(proposed=True, east_m=600, population=1000))
    assert r is not None and r.rule == "R5-fn" and r.kind == "advisory"
    assert r.evidence["region_before"] == "alarp"
    assert r.evidence["f_bound_per_year"] >= r.evidence["upper_line_per_year"]
    # 100 people: 2·P·IR = 2e-4 < 1e-3 and F(N/2) = 1e-5 < 8e-4/N for N ≤ 20 → stays out
    r2, note = societal_reason_added_people(plant, _school(proposed=True, east_m=600, population=100))
    assert r2 is None and note.startswith("passed")


# -- R7: control line ------------------------------------------------------------------------------------


def _park(official: bool = True) -> ParkSide:
    b = shapely.box(_X, _Y, _X + 2000, _Y + 2000)
    return ParkSide("PK", "化工园区", _wgs(b), _wgs(b.buffer(800, quad_segs=32)), official)


def test_a_school_149_m_outside_the_park_is_inside_its_control_line() -> None:
    school = TargetSide("S", "十一中", "school", "high_sensitive", 700,
                        _wgs(shapely.Point(_X + 1000, _Y - 149)), proposed=True)
    reasons, _ = control_line_reasons(school, [_park()])
    (r,) = reasons
    assert r.kind == "veto"
    assert r.evidence["distance_to_park_m"] == pytest.approx(149.0, abs=0.01)
    v = check_development(school, [], [_park()])
    assert v.code == "advise_against"


def test_a_general_2_use_inside_the_line_is_advisory_and_outside_passes() -> None:
    mall = TargetSide("M", "商场", "mall", "general_2", 50, _wgs(shapely.box(_X + 900, _Y - 300, _X + 1000, _Y - 200)),
                      proposed=True)
    (r,), _ = control_line_reasons(mall, [_park(official=False)])
    assert r.kind == "advisory" and r.evidence["official_line"] is False
    assert r.evidence["overlap_m2"] == pytest.approx(100 * 100, rel=1e-6)
    assert check_development(mall, [], [_park()]).code == "conditional"
    far = TargetSide("F", "远处学校", "school", "high_sensitive", 700, _wgs(shapely.Point(_X + 1000, _Y - 801)), True)
    assert control_line_reasons(far, [_park()])[0] == []


# -- R2, R1, R6 (direction 1) ------------------------------------------------------------------------------


def test_a_production_project_outside_every_park_is_a_veto_and_storage_is_not_caught() -> None:
    far_park = ParkSide("PK", "远园区", _wgs(shapely.box(_X + 1020, _Y, _X + 2000, _Y + 500)))
    (r,), _ = park_reasons(_plant(proposed=True, unit_type="production"), [far_park])
    assert r.kind == "veto" and r.evidence["distance_to_nearest_park_m"] == pytest.approx(1000.0, abs=0.01)
    rs, note = park_reasons(_plant(proposed=True, unit_type="storage"), [far_park])
    assert rs == [] and note.startswith("not_applicable")
    inside = ParkSide("PK", "园区", _wgs(shapely.box(_X - 10, _Y - 10, _X + 30, _Y + 30)))
    assert park_reasons(_plant(proposed=True, unit_type="production"), [inside])[0] == []


def test_a_major_hazard_inventory_is_advisory_with_the_worked_example_grade() -> None:
    # gb18218-2018.md §8 Example 1: 60 t chlorine, 35 residents → S = 12, α = 1.2, R = 57.6, grade 2
    a = assess_unit([("氯", 60)], exposed_population=35)
    (r,), _ = major_hazard_reasons(_plant(proposed=True), {"U1": a})
    assert r.kind == "advisory"
    assert (r.evidence["s"], r.evidence["alpha"], r.evidence["r"], r.evidence["grade"]) == (12.0, 1.2, 57.6, 2)
    v = check_project(_plant(proposed=True, ir=None, required_hs=0.0), [], [], {"U1": a})
    assert v.code == "conditional"
    small = assess_unit([("氯", 1)], exposed_population=35)  # S = 0.2
    assert major_hazard_reasons(_plant(proposed=True), {"U1": small})[0] == []


def _links(primary: str) -> pd.DataFrame:
    return pd.DataFrame([{"cluster_id": "C1", "enterprise_a": "P", "enterprise_b": "Q", "kind": "domino",
                          "vector": "heat", "value": 20.0, "value_unit": "kW/m²", "threshold": 15.0,
                          "primary_unit": primary, "target_unit": "V1" if primary == "U1" else "U1",
                          "distance_m": 35.0}])


def test_a_domino_link_to_a_neighbour_is_advisory_and_hides_the_neighbours_values() -> None:
    clusters = pd.DataFrame([{"members": ["P", "Q"], "n_members": 2}])
    (r,), _ = domino_reasons(_plant(proposed=True), _links("V1"), clusters)
    assert r.kind == "advisory" and r.evidence["other_enterprise_id"] == "Q" and r.evidence["cluster_size"] == 2
    assert set(r.restricted_fields) == {"value", "threshold"}  # the neighbour's unit is the primary
    (own,), _ = domino_reasons(_plant(proposed=True), _links("U1"), clusters)
    assert own.restricted_fields == ()
    assert domino_reasons(_plant(proposed=True), _links("U1").assign(kind="policy"), None)[0] == []


def test_no_reason_is_no_objection_and_an_override_changes_the_kind() -> None:
    assert check_development(_school(proposed=True, east_m=900), [_plant(proposed=False, ir=0.0)], []).code \
        == "no_objection"
    s = SitingSettings(kinds={"R3-distance": "advisory"})
    v = check_development(_school(proposed=True), [_plant(proposed=False, ir=None)], [], s)
    assert v.code == "conditional"
    assert v.settings["rule_kinds_basis"]["R3-distance"] == "setting (CHOICE)"
    with pytest.raises(InvalidInput, match="rule ids"):
        SitingSettings(kinds={"R9": "veto"})


def test_the_rulebook_is_printed_on_the_output() -> None:
    out = check_development(_school(proposed=True), [], []).as_dict()
    assert out["rulebook_version"] == RULEBOOK_VERSION
    assert [r["id"] for r in out["rulebook"]] == list(RULEBOOK)
    assert all(r["kind_basis"] and r["confidence"] for r in out["rulebook"])


def test_validate_site_names_the_field() -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InvalidInput, match="site: the polygon is not valid.*Self-intersection"):
        validate_site(bowtie)
    with pytest.raises(InvalidInput, match="site: .* not lon/lat"):
        validate_site(shapely.Point(500000, 4860000))


# -- R8: units whose external distance has not been computed ---------------------------------------


def _bare_units(*east_m: float) -> gpd.GeoDataFrame:
    """Unit squares of 20 m whose west edge lies ``east_m`` east of the school at (_X + 270, _Y + 10)."""
    geoms = [_wgs(shapely.box(_X + 270 + e, _Y, _X + 290 + e, _Y + 20)) for e in east_m]
    return gpd.GeoDataFrame({"unit_id": [f"B{i}" for i in range(len(geoms))],
                             "enterprise_id": [f"E{i}" for i in range(len(geoms))],
                             "enterprise_name": [f"乙厂{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4326)


def test_a_unit_without_a_computed_distance_near_the_site_makes_the_verdict_conditional() -> None:
    # The school is a point at (_X + 270, _Y + 10); one unit 300 m east of it, one 1,200 m east: with the 1 km
    # default radius only the first counts, and the reason names it with its distance measured by hand (300 m).
    school = _school(proposed=True, east_m=250)
    v = check_development(school, [], [], unassessed=_bare_units(300.0, 1200.0))
    assert v.code == "conditional"
    (r,) = v.reasons
    assert r.rule == "R8-unassessed" and r.kind == "advisory"
    assert r.evidence["units"] == 1 and r.evidence["nearest_unit_id"] == "B0"
    assert r.evidence["nearest_distance_m"] == pytest.approx(300.0, abs=0.01)
    assert "geo-risk risk" in r.text and r.text.index("尚无") < r.text.index("no computed")  # 中文 first


def test_beyond_the_radius_or_with_distances_computed_r8_passes() -> None:
    school = _school(proposed=True, east_m=250)
    far = check_development(school, [], [], unassessed=_bare_units(1000.5))
    assert far.code == "no_objection"
    assert [c.status for c in far.checks if c.rule == "R8-unassessed"] == ["passed"]
    near = check_development(school, [], [], SitingSettings(unassessed_radius_m=1001.0),
                             unassessed=_bare_units(1000.5))
    assert near.code == "conditional"
    assert check_development(school, [], [], unassessed=_bare_units()).code == "no_objection"
    with pytest.raises(InvalidInput, match="unassessed_radius_m"):
        SitingSettings(unassessed_radius_m=-1.0)
