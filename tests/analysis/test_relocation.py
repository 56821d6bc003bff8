"""Relocation plan engine: the optimiser against brute force, the greedy gap, eligibility, the on-site
upgrade search and the candidate test, on constructed cases whose answers are known by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from geo_risk.analysis.ir_field import IrGrid
from geo_risk.analysis.relocation import (
    AssignmentProblem,
    RelocationSettings,
    find_candidates,
    objective_of,
    park_eligibility,
    solve_brute_force,
    solve_greedy,
    solve_mip,
    upgrade_search,
)
from geo_risk.errors import InvalidInput

_UTM = "EPSG:32652"
_X0, _Y0 = 350_000.0, 4_850_000.0  # near Jilin, inside zone 52

INF = math.inf


def _problem(land, cap, move, up, close) -> AssignmentProblem:
    move = np.asarray(move, dtype=float)
    return AssignmentProblem(tuple(f"F{i}" for i in range(move.shape[0])), tuple(f"P{j}" for j in range(move.shape[1])),
                             np.asarray(land, float), np.asarray(cap, float), move, np.asarray(up, float),
                             np.asarray(close, float))


def _random_problem(rng: np.random.Generator) -> AssignmentProblem:
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    land = rng.uniform(1, 10, n).round(1)
    cap = np.where(rng.random(m) < 0.2, np.nan, rng.uniform(0, 15, m).round(1))  # tight: firms compete
    move = np.where(rng.random((n, m)) < 0.25, np.inf, rng.uniform(100, 450, (n, m)).round(2))
    up = np.where(rng.random(n) < 0.6, np.inf, rng.uniform(20, 70, n).round(2))
    close = rng.uniform(150, 400, n).round(2)
    return _problem(land, cap, move, up, close)


@pytest.mark.parametrize("seed", range(40))
def test_mip_matches_brute_force_on_small_instances(seed: int) -> None:
    """Every assignment enumerated: the MIP reaches the same (least) objective and a feasible choice."""
    p = _random_problem(np.random.default_rng(seed))
    mip, brute = solve_mip(p), solve_brute_force(p)
    assert mip.objective == pytest.approx(brute.objective, rel=1e-9, abs=1e-9)
    assert objective_of(p, mip.choice) == pytest.approx(mip.objective)
    greedy = solve_greedy(p)
    assert greedy.objective >= brute.objective - 1e-9  # never better than the optimum


def test_greedy_one_firm_at_a_time_loses_the_land_the_mip_saves() -> None:
    """One park, 10 ha free; both firms need 10 ha. F0 moves for 150 (closing 200), F1 for 110 (closing
    400). Greedy in list order: F0 takes the land (150 < 200), F1 closes: 550. Optimum: F0 closes,
    F1 moves: 200 + 110 = 310 (by hand)."""
    p = _problem([10, 10], [10], [[150], [110]], [INF, INF], [200, 400])
    assert solve_greedy(p).choice == ("P0", "close")
    assert solve_greedy(p).objective == pytest.approx(550)
    for solver in (solve_mip, solve_brute_force):
        a = solver(p)
        assert a.choice == ("close", "P0")
        assert a.objective == pytest.approx(310)


def test_two_firms_never_share_scarce_land_but_share_unconstrained_land() -> None:
    land = [6, 6]
    both_cheap = [[100], [100]]
    scarce = solve_mip(_problem(land, [10], both_cheap, [INF, INF], [400, 400]))
    assert sorted(scarce.choice) == ["P0", "close"]  # 12 ha > 10 ha: one of them closes
    assert scarce.objective == pytest.approx(500)
    free = solve_mip(_problem(land, [np.nan], both_cheap, [INF, INF], [400, 400]))
    assert free.choice == ("P0", "P0")  # no free_area_ha: unconstrained
    assert free.objective == pytest.approx(200)


def test_upgrade_and_close_are_priced_alternatives() -> None:
    p = _problem([5], [100], [[130]], [60], [400])
    assert solve_mip(p).choice == ("upgrade",)
    p = _problem([5], [100], [[130]], [INF], [120])
    assert solve_mip(p).choice == ("close",)  # closing priced below the move
    p = _problem([5], [100], [[INF]], [INF], [400])
    assert solve_mip(p).choice == ("close",)  # nothing else open


def test_problem_shapes_and_close_price_are_checked() -> None:
    with pytest.raises(InvalidInput, match="shapes"):
        _problem([5, 5], [10], [[100]], [INF], [400])
    with pytest.raises(InvalidInput, match="closing"):
        _problem([5], [10], [[100]], [INF], [INF])


# -- eligibility ----------------------------------------------------------------------------------------------


_FIRM = {"park_id": None, "industry_code": "2612"}


@pytest.mark.parametrize(
    ("park", "firm", "eligible", "extra", "note"),
    [
        ({"recognised": True, "risk_grade": "C"}, _FIRM, True, 0.0, ""),
        ({"recognised": False, "risk_grade": "D"}, _FIRM, False, 0.0, "not a recognised park"),
        ({"recognised": None, "risk_grade": "D"}, _FIRM, True, 0.0, "recognition not recorded"),
        ({"recognised": True, "risk_grade": "B"}, _FIRM, False, 0.0, "park grade B"),
        ({"recognised": True, "risk_grade": "A"}, _FIRM, False, 0.0, "park grade A"),
        ({"recognised": True, "risk_grade": "D", "industry_codes": "27,28"}, _FIRM, False, 0.0, "industry 2612"),
        ({"recognised": True, "risk_grade": "D", "industry_codes": "26"}, _FIRM, True, 0.0, ""),
        ({"recognised": True, "risk_grade": "D"}, {"park_id": "P", "industry_code": "2612"}, False, 0.0, "own park"),
    ],
)
def test_park_eligibility(park: dict, firm: dict, eligible: bool, extra: float, note: str) -> None:
    ok, add, text = park_eligibility(firm, "P", park)
    assert (ok, add) == (eligible, extra)
    assert note in text


def test_grade_penalty_mode_prices_instead_of_excluding() -> None:
    s = RelocationSettings(grade_mode="penalty", grade_penalty=150.0)
    ok, add, text = park_eligibility(_FIRM, "P", {"recognised": True, "risk_grade": "B"}, s)
    assert ok and add == 150.0 and "grade B" in text


# -- on-site upgrade search -----------------------------------------------------------------------------------


def _units() -> pd.DataFrame:
    return pd.DataFrame([{"id": "U1", "unit_type": "storage", "equipment": "warehouse", "fire_class": "甲"}]
                        ).set_index("id")


def _inv(q: float = 20.0) -> pd.DataFrame:
    return pd.DataFrame([{"unit_id": "U1", "chemical": "X", "max_quantity_t": q}])


def _conflict(rule: str, actual: float, cls: str = "general_1", **kw) -> dict:
    return {"rule": rule, "unit_id": "U1", "target_class": cls, "actual_distance_m": actual,
            "criterion_per_year": np.nan, "geometry": None, **kw}


def _dist(final=None, declared=None, code=None, method="qra", cls="general_1") -> pd.DataFrame:
    return pd.DataFrame([{"unit_id": "U1", "target_class": cls, "method": method, "final_distance_m": final,
                          "declared_distance_m": declared, "code_distance_m": code}])


def _const_code(d: float | None):
    return lambda unit, inv: {c: d for c in ("high_sensitive", "important", "general_1", "general_2", "general_3")}


def test_upgrade_declared_distance_scales_with_the_cube_root() -> None:
    """Declared 200 m, target at 100 m: 200·s^(1/3) ≤ 100 ⇔ s ≤ 1/8 (by hand) — below the viable half."""
    r = upgrade_search(pd.DataFrame([_conflict("declared_distance", 100.0)]), _units(), _inv(),
                       _dist(declared=200.0), code_distance=_const_code(None))
    assert r.share == pytest.approx(0.125, abs=0.005)
    assert not r.feasible
    assert 20.0 * r.share - 0.001 <= r.max_by_chemical["X"] <= 20.0 * r.share  # to the kg, rounded down


def test_upgrade_external_distance_feasible_share() -> None:
    """QRA distance 120 m, target at 100 m, code 30 m: s ≤ (100/120)^3 = 0.5787 (by hand): feasible."""
    r = upgrade_search(pd.DataFrame([_conflict("external_distance", 100.0)]), _units(), _inv(),
                       _dist(final=120.0, code=30.0), code_distance=_const_code(30.0))
    assert r.share == pytest.approx((100 / 120) ** 3, abs=0.005)
    assert r.share <= (100 / 120) ** 3  # the share returned passes
    assert r.feasible
    assert "⟦" in r.text  # the figures are restricted spans


def test_upgrade_cannot_cure_a_code_distance_independent_of_tonnes() -> None:
    r = upgrade_search(pd.DataFrame([_conflict("design_code_distance", 50.0)]), _units(), _inv(),
                       _dist(code=100.0, method="design_code"), code_distance=_const_code(100.0))
    assert r.share is None and not r.feasible
    assert r.shortfall_m == pytest.approx(50.0)


def test_upgrade_code_distance_recomputed_at_the_cut_inventory() -> None:
    """Code 40 m above 5 t, 30 m at or below (a GB 50016-like tier); target at 35 m; 20 t now: the cut
    must reach 5 t, share 0.25 (by hand)."""
    def tiered(unit, inv):
        q = sum(r["max_quantity_t"] for r in inv)
        return {c: (30.0 if q <= 5.0 else 40.0) for c in ("general_1",)}

    r = upgrade_search(pd.DataFrame([_conflict("design_code_distance", 35.0)]), _units(), _inv(20.0),
                       _dist(code=40.0, method="design_code"), code_distance=tiered)
    assert r.share == pytest.approx(0.25, abs=0.005)
    assert r.share <= 0.25


def test_upgrade_with_the_real_code_tables_runs() -> None:
    """The engine's own code_distances as the default (a class 甲 warehouse): no error, a share or None."""
    r = upgrade_search(pd.DataFrame([_conflict("design_code_distance", 5.0)]), _units(), _inv(20.0),
                       _dist(code=30.0, method="design_code"))
    assert r.share is None or 0 < r.share <= 1


def _radial_grid(scale_m: float = 100.0, top: float = 1e-4, cell: float = 2.0, half: float = 1000.0) -> IrGrid:
    n = int(2 * half / cell)
    centres = -half + cell * (np.arange(n) + 0.5)
    xx, yy = np.meshgrid(centres, centres[::-1])
    ir = top * np.exp(-np.hypot(xx, yy) / scale_m)
    return IrGrid(run_id=1, scope="enterprise", scope_id="E1", enterprise_ids=("E1",), criteria="existing",
                  crs=_UTM, array=ir, transform=Affine(cell, 0, _X0 - half, 0, -cell, _Y0 + half))


def _line_4326(x0: float, y0: float, x1: float, y1: float) -> shapely.LineString:
    g = gpd.GeoSeries([shapely.LineString([(_X0 + x0, _Y0 + y0), (_X0 + x1, _Y0 + y1)])], crs=_UTM).to_crs(4326)
    return g.iloc[0]


def test_upgrade_ir_conflict_stretches_the_field() -> None:
    """IR = 1e-4·exp(−r/100 m) around the unit; a class I target 200 m away (IR 1.35e-5 > 3e-6).
    After a cut to s the field at 200 m is the old field at 200/s^(1/3): need 200/s^(1/3) ≥
    100·ln(1e-4/3e-6) = 350.66 m, s ≤ (200/350.66)^3 = 0.1855 (by hand)."""
    c = _conflict("individual_risk", 200.0, criterion_per_year=3e-6, geometry=_line_4326(0, 0, 200, 0))
    r = upgrade_search(pd.DataFrame([c]), _units(), _inv(), _dist(), grid=_radial_grid(),
                       code_distance=_const_code(None))
    assert r.share == pytest.approx((200 / (100 * math.log(1e-4 / 3e-6))) ** 3, abs=0.01)
    no_grid = upgrade_search(pd.DataFrame([c]), _units(), _inv(), _dist(), grid=None, code_distance=_const_code(None))
    assert no_grid.share is None  # an IR conflict with no grid cannot be shown cleared


def test_no_conflicts_needs_no_cut() -> None:
    r = upgrade_search(pd.DataFrame([_conflict("declared_distance", 300.0)]), _units(), _inv(),
                       _dist(declared=200.0), code_distance=_const_code(None))
    assert r.share == 1.0 and r.feasible


# -- candidates -----------------------------------------------------------------------------------------------


def _gdf(rows: list[dict], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    local = gpd.GeoSeries([shapely.affinity.translate(g, _X0, _Y0) for g in geoms], crs=_UTM)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=local.to_crs(4326).values, crs=4326).set_index("id")


def _screen(population: int, *, park: str | None = None, recognised: bool = True, unit_type: str = "production",
            status: str = "operating", block_at: float = 200.0, conflicts: pd.DataFrame | None = None) -> pd.Series:
    ents = _gdf([{"id": "E1", "name": "plant", "status": status, "park_id": park}], [shapely.box(0, 0, 100, 100)])
    units = pd.DataFrame([{"id": "U1", "enterprise_id": "E1", "unit_type": unit_type}]).set_index("id")
    parks = pd.DataFrame([{"id": "P1", "recognised": recognised}]).set_index("id")
    # a 100 m × 100 m block wholly inside the 500 m ring (beside the plant)
    res = _gdf([{"id": "R1", "population": population}], [shapely.box(block_at, 0, block_at + 100, 100)])
    if conflicts is None:
        conflicts = pd.DataFrame(columns=["rule", "view", "enterprise_id", "target_id", "target_class",
                                          "people_affected"])
    return find_candidates(ents, units, parks, conflicts, res).loc["E1"]


# Ring = the 100 m square buffered by 500 m (64-gon arcs) minus the square:
# 4·100·500 + 32·500²·sin(2π/64) = 200,000 + 784,137 = 984,137 m² (by hand).
_RING_KM2 = (4 * 100 * 500 + 32 * 500**2 * math.sin(2 * math.pi / 64)) / 1e6


def test_density_rule_by_hand() -> None:
    above, below = _screen(1600), _screen(1400)
    assert above["density_per_km2"] == pytest.approx(1600 / _RING_KM2, rel=1e-6)
    assert above["candidate"] and "density" in above["reasons"]
    assert below["density_per_km2"] == pytest.approx(1400 / _RING_KM2, rel=1e-6)
    assert not below["candidate"]  # 1,423/km² < 1,500/km² and no conflict


def test_candidate_filters() -> None:
    assert not _screen(5000, park="P1", recognised=True)["candidate"]  # in a recognised park, no conflicts
    assert _screen(5000, park="P1", recognised=False)["candidate"]  # an unrecognised park counts as outside
    assert not _screen(5000, unit_type="storage")["candidate"]  # producers only (default)
    assert not _screen(5000, status="closed")["candidate"]
    assert not _screen(5000, block_at=1200.0)["near_homes"]  # the block is beyond 1 km
    conflict = pd.DataFrame([{"rule": "design_code_distance", "view": "per_unit", "enterprise_id": "E1",
                              "target_id": "R1", "target_class": "general_1", "people_affected": 10.0}])
    in_park = _screen(100, park="P1", recognised=True, conflicts=conflict)
    assert in_park["candidate"] and in_park["distance"] and not in_park["density"]  # conflicts make it one


# -- prices and benefit ---------------------------------------------------------------------------------------


def test_build_problem_prices_by_hand() -> None:
    """Move = 100 + 1/km + 1/ha + 0.05/person (defaults): 100 + 10 + 5 + 0.05·100 = 120; the grade-B park is
    excluded; upgrade keeping 80 %: 20 + 100·0.2 = 40; close 400."""
    from geo_risk.analysis.relocation import build_problem

    firms = pd.DataFrame([{"id": "F", "park_id": None, "industry_code": "2612", "land_ha": 5.0, "upgrade_share": 0.8,
                           "upgrade_feasible": True, "km:A": 10.0, "people:A": 100.0, "km:B": 1.0, "people:B": 0.0}]
                         ).set_index("id")
    parks = pd.DataFrame([{"id": "A", "recognised": True, "risk_grade": "C", "free_area_ha": 30.0},
                          {"id": "B", "recognised": True, "risk_grade": "B", "free_area_ha": np.nan}]).set_index("id")
    p, notes = build_problem(firms, parks)
    assert p.move_cost[0, 0] == pytest.approx(120.0)
    assert math.isinf(p.move_cost[0, 1])
    assert p.upgrade_cost[0] == pytest.approx(40.0)
    assert p.close_cost[0] == pytest.approx(400.0)
    assert p.capacity_ha[0] == 30.0 and math.isnan(p.capacity_ha[1])
    assert notes.set_index("park_id").loc["B", "note"] == "park grade B"


def test_benefit_people_removed_from_ir_bands() -> None:
    """One firm's grid, IR = 1e-4·exp(−r/100 m). Homes of 100 people at 50 m (IR 6.07e-5: red) and 40 at 250 m
    (8.2e-6: orange). The firm moves away: both bands empty after, 100 and 40 removed (by hand)."""
    from geo_risk.analysis.relocation import benefit

    grid = _radial_grid()
    targets = _gdf([{"id": "T1", "population": 100, "category": "general_1"},
                    {"id": "T2", "population": 40, "category": "general_2"}],
                   [shapely.Point(50, 0), shapely.Point(0, 250)])
    units = _gdf([{"id": "U1", "enterprise_id": "E1"}], [shapely.box(-5, -5, 5, 5)])
    conflicts = pd.DataFrame([{"rule": "individual_risk", "view": "per_enterprise", "enterprise_id": "E1",
                               "target_id": "T1", "people_affected": 100.0}])
    moved = pd.DataFrame([{"id": "E1", "outcome": "relocate_to_park", "upgrade_share": np.nan}]).set_index("id")
    b = benefit(moved, conflicts, targets, [grid], units)
    assert b["ir_bands"]["red"] == {"lower_per_year": 1e-5, "before": 100.0, "after": 0.0, "removed": 100.0}
    assert b["ir_bands"]["orange"]["before"] == 40.0 and b["ir_bands"]["orange"]["removed"] == 40.0
    assert b["conflicts_resolved"] == 1 and b["people_relieved"] == 100.0
    # an upgrade to 1/8 of the inventory halves distances (s^(1/3) = 1/2): the home at 50 m reads the field at
    # 5 + 2·45 = 95 m from the centre (1e-4·exp(−0.95) = 3.9e-5, still red); the one at 250 m at
    # 5 + 2·245 = 495 m (7.1e-7: yellow)
    up = pd.DataFrame([{"id": "E1", "outcome": "in_situ_upgrade", "upgrade_share": 0.125}]).set_index("id")
    b = benefit(up, conflicts, targets, [grid], units)
    assert b["ir_bands"]["red"]["after"] == 100.0
    assert b["ir_bands"]["orange"]["after"] == 0.0 and b["ir_bands"]["yellow"]["after"] == 40.0


# -- the whole plan on a constructed town ---------------------------------------------------------------------


def test_plan_classifies_four_firms_by_the_decision_aid() -> None:
    """Four producers beside a dense block (5,000 people in 1 ha: far above 1,500/km²), outside any park:
    A has an open major hazard → close (test 1); B's declared 120 m against a home at 100 m clears at
    s = (100/120)^3 = 0.58 ≥ 0.5 → upgrade; C and D need s = (100/400)^3 = 1/64 → relocation, but the one
    recognised grade-C park has 10 ha for their 8 ha each: the nearer (C, 5 km; D 15 km) moves, D closes
    (the grade-B park is excluded)."""
    from geo_risk.analysis.relocation import plan_relocation

    xs = {"A": 0.0, "B": 1000.0, "C": 2000.0, "D": -8000.0}
    ents = _gdf([{"id": k, "name": f"firm {k}", "status": "operating", "park_id": None, "industry_code": "2612",
                  "size_class": "medium", "major_hazard_open": k == "A", "capacity_restricted": False,
                  "site_area_ha": 8.0} for k in xs],
                [shapely.box(x, 0, x + 100, 100) for x in xs.values()])
    units = _gdf([{"id": f"U{k}", "enterprise_id": k, "name": f"unit {k}", "unit_type": "production",
                   "equipment": None, "fire_class": None} for k in xs],
                 [shapely.box(x + 40, 40, x + 60, 60) for x in xs.values()])
    homes = _gdf([{"id": f"R{k}", "name": f"block {k}", "population": 5000, "category": "general_1",
                   "kind": "residential", "layer": "residential_areas"} for k in xs],
                 [shapely.box(x, 160, x + 100, 260) for x in xs.values()])
    declared = {"A": 400.0, "B": 120.0, "C": 400.0, "D": 400.0}
    distances = pd.DataFrame([{"unit_id": f"U{k}", "target_class": "general_1", "method": None,
                               "final_distance_m": np.nan, "declared_distance_m": d, "code_distance_m": np.nan}
                              for k, d in declared.items()])
    conflicts = gpd.GeoDataFrame(pd.DataFrame([
        {"rule": "declared_distance", "view": "per_unit", "unit_id": f"U{k}", "enterprise_id": k,
         "target_id": f"R{k}", "target_class": "general_1", "actual_distance_m": 100.0,
         "criterion_per_year": np.nan, "people_affected": 5000.0} for k in xs]),
        geometry=gpd.GeoSeries([None] * 4, crs=4326), crs=4326)
    inventory = pd.DataFrame([{"unit_id": f"U{k}", "chemical": "氯", "cas": "7782-50-5", "max_quantity_t": 10.0,
                               "state": "liquefied_pressurized"} for k in xs])
    parks = _gdf([{"id": "P1", "name": "park C", "recognised": True, "risk_grade": "C", "free_area_ha": 10.0,
                   "industry_codes": "26"},
                  {"id": "P2", "name": "park B", "recognised": True, "risk_grade": "B", "free_area_ha": 100.0,
                   "industry_codes": None}],
                 [shapely.box(6000, -500, 8000, 500), shapely.box(-3000, -500, -1000, 500)])
    plan = plan_relocation(ents, units, inventory, distances, conflicts, homes, homes, parks)
    out = plan.cases.set_index("enterprise_id")
    assert out.loc["A", "outcome"] == "close_exit" and "test 1" in out.loc["A", "decision_rule"]
    assert out.loc["B", "outcome"] == "in_situ_upgrade"
    assert out.loc["B", "upgrade_share"] == pytest.approx((100 / 120) ** 3, abs=0.005)
    assert out.loc["C", "outcome"] == "relocate_to_park" and out.loc["C", "park_id"] == "P1"
    assert out.loc["D", "outcome"] == "close_exit" and "test 4" in out.loc["D", "decision_rule"]
    assert plan.parks.set_index("park_id").loc["P1", "land_used_ha"] == 8.0
    assert plan.benefit["conflicts_resolved"] == 4
