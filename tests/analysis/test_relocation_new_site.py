"""The relocation plan's two engine-backed pieces (issue 14's gaps), on hand-built towns:

1. the risk a firm would create at its new site is the siting check (direction 1) of its inventory placed
   in the park: a park with a school beside its site loses to a clean park farther away, which the
   distance-count proxy alone would not see; and
2. a receiving park's F-N before and after, computed on the fly by the risk engine, against the same
   engine run directly on the hand-built inputs, and never lower after a firm is added.

No store: the siting check's context and the scenarios' base are built by hand from frames (the same
objects :func:`geo_risk.siting_check.load_context` and :func:`geo_risk.scenarios.load_base` read).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_risk.analysis.relocation import (
    AssignmentProblem,
    RelocationSettings,
    SiteCheck,
    _shortlist_and_check,
    placement,
    plan_relocation,
)
from geo_risk.analysis.siting import ParkSide
from geo_risk.relocation_plan import checker_for, fn_at, park_fn_rows
from geo_risk.risk.run import RiskSettings, ScopeInputs, assess_scope
from geo_risk.siting_check import SiteContext

_UTM = "EPSG:32652"
_X0, _Y0 = 350_000.0, 4_850_000.0  # near Jilin, inside UTM zone 52


def _gdf(rows: list[dict], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    """Rows with geometries given in metres from (_X0, _Y0), as lon/lat."""
    local = gpd.GeoSeries([shapely.affinity.translate(g, _X0, _Y0) for g in geoms], crs=_UTM)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=local.to_crs(4326).values, crs=4326).set_index("id")


_UNIT_NONE = {"containment": None, "special_process": False, "operating_temperature_c": None,
              "operating_pressure_mpa": None, "safety_distance_m": None, "safety_distance_high_sensitive_m": None,
              "safety_distance_important_m": None, "safety_distance_general_1_m": None,
              "safety_distance_general_2_m": None, "safety_distance_general_3_m": None}
_CHLORINE = {"chemical": "氯", "cas": "7782-50-5", "table1_seq": None, "hazard_categories": None,
             "max_quantity_t": 10.0, "state": "liquefied_pressurized", "temperature_c": None, "pressure_mpa": None,
             "vessel_count": 1, "vessel_capacity_t": 10.0}

# -- the town: firm F among homes at the origin; park P1 5 km east, P2 15 km west --------------------------------
_SITE = shapely.box(0, 0, 100, 100)
_P1 = shapely.box(5000, -300, 5200, 300)  # 200 m × 600 m: its point on surface (5100, 0)
_P2 = shapely.box(-15_400, -300, -15_000, 300)
#: a primary school of 800 just east of P1, 150 m from P1's point on surface (10 m outside the park)
_SCHOOL = shapely.box(5210, -40, 5290, 40)


def _town(school: bool) -> dict:
    ents = _gdf([{"id": "F", "name": "城中氯碱厂", "status": "operating", "park_id": None, "industry_code": "2612",
                  "size_class": "medium", "major_hazard_open": False, "capacity_restricted": False,
                  "site_area_ha": 1.0}], [_SITE])
    units = _gdf([{"id": "UF", "enterprise_id": "F", "name": "液氯储罐", "unit_type": "production",
                   "equipment": "pressure_vessel", "fire_class": None, **_UNIT_NONE}], [shapely.box(40, 40, 60, 60)])
    inventory = pd.DataFrame([{"unit_id": "UF", **_CHLORINE}])
    t_rows = [{"id": "H1", "name": "城中小区", "kind": "residential", "category": "general_1", "population": 5000,
               "layer": "residential_areas"}]
    t_geoms = [shapely.box(0, 160, 100, 260)]
    if school:
        t_rows.append({"id": "S1", "name": "园区旁小学", "kind": "school", "category": "high_sensitive",
                       "population": 800, "layer": "protection_targets"})
        t_geoms.append(_SCHOOL)
    targets = _gdf(t_rows, t_geoms)
    parks = _gdf([{"id": "P1", "name": "近园区", "recognised": True, "risk_grade": "C", "free_area_ha": 100.0,
                   "industry_codes": None},
                  {"id": "P2", "name": "远园区", "recognised": True, "risk_grade": "C", "free_area_ha": 100.0,
                   "industry_codes": None}], [_P1, _P2])
    return {"enterprises": ents, "units": units, "inventory": inventory, "targets": targets, "parks": parks}


def _context(town: dict) -> SiteContext:
    """The siting check's context, as load_context builds it, from the town's frames (no stored runs)."""
    units = town["units"]
    x0, y0, x1, y1 = pd.concat([town["targets"].geometry, units.geometry, town["parks"].geometry]).total_bounds
    parks = [ParkSide(str(pid), str(p["name"]), p.geometry, None, False) for pid, p in town["parks"].iterrows()]
    return SiteContext(key=("hand-built", id(town)), enterprises=town["enterprises"], units=units,
                       required=pd.DataFrame(), distances=pd.DataFrame(), qra_units=set(),
                       reach_m=pd.Series(dtype=float),
                       reach_tree=shapely.STRtree([]), reach_units=np.array([], dtype=object), grids={}, grid_boxes={},
                       fn={}, parks=parks, targets=town["targets"], inventory=town["inventory"].copy(),
                       extent=(x0, y0, x1, y1), notes=[])


def _plan(town: dict, checker):  # noqa: ANN001, ANN202 - a SiteChecker or None; a RelocationPlan
    # the firm's one conflict: its declared 400 m against the homes 60 m away (an upgrade needs s = (60/400)^3)
    distances = pd.DataFrame([{"unit_id": "UF", "target_class": "general_1", "method": None,
                               "final_distance_m": np.nan, "declared_distance_m": 400.0, "code_distance_m": np.nan}])
    conflicts = gpd.GeoDataFrame(pd.DataFrame([
        {"rule": "declared_distance", "view": "per_unit", "unit_id": "UF", "enterprise_id": "F", "target_id": "H1",
         "target_class": "general_1", "actual_distance_m": 100.0, "criterion_per_year": np.nan,
         "people_affected": 5000.0}]), geometry=gpd.GeoSeries([None], crs=4326), crs=4326)
    homes = town["targets"][town["targets"]["layer"] == "residential_areas"]
    # the proxy: no required distance known per class beyond general_1 — the school is a high_sensitive target
    return plan_relocation(town["enterprises"], town["units"], town["inventory"], distances, conflicts,
                           town["targets"], homes, town["parks"], (), RelocationSettings(), None, site_check=checker)


def test_a_park_with_a_school_beside_its_site_loses_to_a_clean_park() -> None:
    """F must move (its upgrade needs (100/400)^3 = 1.6 % of its inventory). P1 is 5.1 km away, P2 15.1 km: by
    price alone P1 wins (both grade C, land to spare). Placed at P1's point on surface, F's 10 t chlorine
    vessel stands ~150 m from a school of 800: a high-sensitive target inside any chlorine store's external
    distance and IR reach (新建 criterion 3×10⁻⁷/a) — the siting check vetoes the pair, so F goes to P2.
    The proxy (targets within the firm's known required distances: none for the school's class) sees nothing."""
    proxy = _plan(_town(school=True), None)
    assert proxy.cases.set_index("enterprise_id").loc["F", "park_id"] == "P1"  # blind to the school

    clean = _plan(_town(school=False), checker_for(_context(_town(school=False))))
    assert clean.cases.set_index("enterprise_id").loc["F", "park_id"] == "P1"

    town = _town(school=True)
    plan = _plan(town, checker_for(_context(town)))
    case = plan.cases.set_index("enterprise_id").loc["F"]
    assert case["outcome"] == "relocate_to_park" and case["park_id"] == "P2"
    checks = plan.site_checks.set_index("park_id")
    assert bool(checks.loc["P1", "veto"]) and checks.loc["P1", "verdict"] == "advise_against"
    assert {"R3-distance", "R4-ir"} & set(checks.loc["P1", "rules"].split(","))
    assert not bool(checks.loc["P2", "veto"])
    # the people the firm would put at IR ≥ 3×10⁻⁷/a: the school, whole, beside P1; nobody near P2
    assert checks.loc["P1", "people_ir"] == 800.0 and checks.loc["P2", "people_ir"] == 0.0
    assert case["new_site_people"] == 0.0
    assert plan.solver["site_checks"] == 2 and plan.solver["site_checks_vetoed"] == 1
    assert "远园区" in case["reason"] and "siting check at the new site: conditional" in case["reason"]


def test_placement_keeps_the_layout_and_lands_on_the_parks_point_on_surface() -> None:
    """The site's centroid (50, 50) goes onto P1's point on surface; the unit 10 m from it stays 10 m from it."""
    town = _town(school=False)
    site = town["enterprises"].geometry["F"]
    unit = town["units"].geometry["UF"]
    park = town["parks"].geometry["P1"]
    new_site, (new_unit,), dx, dy = placement(site, [unit], park)
    to_utm = gpd.GeoSeries([new_site.centroid, new_unit.centroid, shapely.point_on_surface(park)], crs=4326).to_crs(
        _UTM)
    assert to_utm.iloc[0].distance(to_utm.iloc[2]) < 0.5  # metres (a projection round trip)
    assert to_utm.iloc[1].distance(to_utm.iloc[0]) == pytest.approx(0.0, abs=0.5)  # the unit sits at the centre
    assert math.hypot(dx, dy) == pytest.approx(5050.2, abs=30.0)  # (50, 50) → (5100, 0): 5,050 m (by hand)


def test_shortlist_checks_the_cheapest_parks_and_goes_on_while_every_check_vetoes() -> None:
    """Four parks priced 110 < 120 < 130 < 140 (one infeasible); shortlist 2: the two cheapest are checked;
    when both veto, the next two are."""
    p = AssignmentProblem(("F",), ("A", "B", "C", "D", "E"), np.array([1.0]), np.full(5, np.nan),
                          np.array([[130.0, 110.0, math.inf, 120.0, 140.0]]), np.array([math.inf]), np.array([400.0]))
    seen: list[str] = []

    def checker(veto_parks: set[str]):  # noqa: ANN202
        def check(f: str, park: str) -> SiteCheck:
            seen.append(park)
            return SiteCheck("advise_against" if park in veto_parks else "no_objection", park in veto_parks)
        return check

    assert set(_shortlist_and_check(p, checker(set()), 2, True)) == {("F", "B"), ("F", "D")}
    seen.clear()
    got = _shortlist_and_check(p, checker({"B", "D"}), 2, True)
    assert seen == ["B", "D", "A", "E"] and len(got) == 4
    seen.clear()
    _shortlist_and_check(p, checker({"B", "D"}), 2, False)  # veto priced, not excluding: no second round
    assert seen == ["B", "D"]


# -- the receiving park's F-N ----------------------------------------------------------------------------------


def _park_town() -> dict:
    """Park P (1 km × 1 km) holding E1's 10 t chlorine vessel; homes 600 m and 1.5 km from it; firm F 8 km away
    with its own 10 t vessel."""
    park = shapely.box(0, 0, 1000, 1000)
    ents = _gdf([{"id": "E1", "name": "园区氯碱厂", "status": "operating", "park_id": "P"},
                 {"id": "F", "name": "城中氯碱厂", "status": "operating", "park_id": None}],
                [shapely.box(100, 100, 300, 300), shapely.box(8000, 0, 8100, 100)])
    units = _gdf([{"id": "U1", "enterprise_id": "E1", "name": "液氯储罐 1", "unit_type": "storage",
                   "equipment": "pressure_vessel", "fire_class": None, **_UNIT_NONE},
                  {"id": "UF", "enterprise_id": "F", "name": "液氯储罐 F", "unit_type": "production",
                   "equipment": "pressure_vessel", "fire_class": None, **_UNIT_NONE}],
                 [shapely.box(190, 190, 210, 210), shapely.box(8040, 40, 8060, 60)])
    inventory = pd.DataFrame([{"unit_id": "U1", **_CHLORINE}, {"unit_id": "UF", **_CHLORINE}])
    residential = _gdf([{"id": "R1", "population": 3000}, {"id": "R2", "population": 6000},
                        {"id": "R3", "population": 4000}],
                       [shapely.box(800, 1200, 1200, 1500), shapely.box(-1500, -400, -1000, 600),
                        shapely.box(1200, -300, 1600, 200)])
    targets = _gdf([{"id": "T1", "population": 900, "kind": "school"}], [shapely.box(-300, 500, -200, 600)])
    parks = _gdf([{"id": "P", "name": "接收园区"}], [park])
    return {"enterprises": ents, "units": units, "inventory": inventory, "residential": residential,
            "targets": targets, "parks": parks}


def _base(town: dict):  # noqa: ANN202 - a geo_risk.scenarios.Base
    from geo_risk.scenarios import Base

    data = {k: town[k] for k in ("enterprises", "units", "inventory", "residential", "targets")}
    return Base(key=("hand-built", id(town)), data=data, parks=town["parks"], grids={}, runs={},
                conflict_units=town["units"], distances=pd.DataFrame(), distance_notes=[],
                targets=pd.concat([town["residential"], town["targets"]]), admin_areas=None)


def _direct(town: dict, unit_geoms: dict[str, shapely.Geometry], rs: RiskSettings) -> tuple[np.ndarray, np.ndarray]:
    """The engine run directly on the hand-built inputs: the park scope over the given units."""
    units = town["units"].loc[list(unit_geoms)].copy()
    units = gpd.GeoDataFrame(units.drop(columns="geometry"), geometry=list(unit_geoms.values()), crs=4326)
    inv = town["inventory"][town["inventory"]["unit_id"].isin(units.index)]
    r = assess_scope(ScopeInputs("park", "P", _UTM, "existing", units.to_crs(_UTM), inv,
                                 town["residential"].to_crs(_UTM), town["targets"].to_crs(_UTM)), rs)
    return np.asarray(r.fn_n, float), np.asarray(r.fn_f, float)


def test_receiving_park_fn_is_the_engines_and_never_lower_after_a_firm_moves_in() -> None:
    """Before: the engine on E1's vessel alone; after: E1's and F's vessels, F's vessel (at its site's centre)
    moved by hand onto the park's point on surface (≈ (500, 500)). The plan's park F-N equals those runs, and
    F(≥ N) after ≥ F(≥ N) before at every N (an added firm adds events and never removes people)."""
    from geo_risk.relocation_plan import clear_cache

    clear_cache()
    town = _park_town()
    rs = RiskSettings(cell_m=25.0)
    rows = park_fn_rows(_base(town), {"F": "P"}, risk_settings=rs)
    assert set(rows) == {"P"}
    row = rows["P"]
    # F's vessel sits at its site's centre, so it lands centred on the park's point on surface (lon/lat, as stored)
    there = gpd.GeoSeries([shapely.point_on_surface(town["parks"].geometry["P"])], crs=4326).to_crs(_UTM).iloc[0]
    moved = shapely.box(there.x - 10, there.y - 10, there.x + 10, there.y + 10)
    moved_ll = gpd.GeoSeries([moved], crs=_UTM).to_crs(4326).iloc[0]
    nb, fb = _direct(town, {"U1": town["units"].geometry["U1"]}, rs)
    na, fa = _direct(town, {"U1": town["units"].geometry["U1"], "UF": moved_ll}, rs)
    assert len(nb) and len(na)
    np.testing.assert_allclose(row["fn_before"]["n"], nb, rtol=1e-6)
    np.testing.assert_allclose(row["fn_before"]["f"], fb, rtol=1e-6)
    # after: the same curve up to the millimetres of the placement's projection round trip (a death toll
    # may split in two): compared as F(≥ N) over the whole range
    probe = np.geomspace(1.0, max(na.max(), 1.0), 400)
    np.testing.assert_allclose(fn_at(row["fn_after"]["n"], row["fn_after"]["f"], probe), fn_at(na, fa, probe),
                               rtol=1e-3, atol=1e-12)
    xs = np.unique(np.concatenate([nb, na]))
    assert np.all(fn_at(na, fa, xs) >= fn_at(nb, fb, xs) * (1 - 1e-12))
    assert na.max() >= nb.max() and fa[0] > fb[0]  # more events, and F(≥ 1) strictly up
    assert row["fn_members_before"] == 1 and row["fn_members_after"] == 2 and row["fn_changes"] == "+F"
    # the park's one member closes instead: no QRA member left, no event, the curve empty after
    gone = park_fn_rows(_base(town), {}, risk_settings=rs, closed=["E1"])["P"]
    assert gone["fn_members_after"] == 0 and gone["fn_after"] == {"n": [], "f": []}
    np.testing.assert_allclose(gone["fn_before"]["f"], fb, rtol=1e-6)
