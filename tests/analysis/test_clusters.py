"""Joint-prevention clusters on layouts whose answers are known by hand (geo_risk.analysis.clusters).

The pool-fire flux is computed here from the published correlations written out by hand (Burgess
burning rate, Thomas flame height, Mudan & Croce emissive power, the planar view factor of a vertical
rectangle), not by calling the engine; the distances of the fallback rule are exact on a plane.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo_risk.analysis.clusters import (
    DEFAULT_RULES,
    ClusterRules,
    equipment_classes,
    find_clusters,
    hazard_class_of_codes,
    industry_division,
)
from geo_risk.errors import InvalidInput

CRS = "EPSG:32652"  # UTM 52N, metres

# Xylene (二甲苯, CAS 1330-20-7; m-xylene basis) as the release-property table gives it: a K2 liquid
# (flash point 25 °C > 21 °C) whose only fire scenario is the directly ignited pool fire.
RHO_L = 863.9  # kg/m³ at 20 °C
HC = 40.8e6  # J/kg, lower heat of combustion
HV = 335.9e3  # J/kg at the boiling point
CP = 1.706e3  # J/(kg·K)
TB = 139.06 + 273.15  # K
TA = 293.15  # K, the engine's ambient 20 °C
MASS_KG = 600.0  # below 1 035 kg, so the 10 mm hole (0.58 kg/s for ≤ 1 800 s) spills it all, like G.1/G.2


def _hand_pool_flux_kw_m2(r: float, mass_kg: float = MASS_KG) -> tuple[float, float]:
    """(flux kW/m², pool diameter m) at r m from the pool centre of ``mass_kg`` spilt, by hand from the correlations."""
    d = math.sqrt(4.0 * mass_kg / RHO_L / 0.01 / math.pi)  # 1 cm unconfined pool
    m2 = 1e-3 * HC / (HV + CP * (TB - TA))  # Burgess, kg/(m²·s)
    rho_a = 101325.0 * 28.9647e-3 / (8.314462618 * TA)
    h = 42.0 * d * (m2 / (rho_a * math.sqrt(9.80665 * d))) ** 0.61  # Thomas
    sep = 140.0 * math.exp(-0.12 * d) + 20.0 * (1.0 - math.exp(-0.12 * d))  # Mudan & Croce, kW/m²
    c = r - d / 2.0
    x, y = (d / 2.0) / c, h / c
    f = (x / math.sqrt(1 + x * x) * math.atan(y / math.sqrt(1 + x * x))
         + y / math.sqrt(1 + y * y) * math.atan(x / math.sqrt(1 + y * y))) / math.pi
    return sep * f, d


def _hand_reach_m(threshold_kw_m2: float) -> float:
    lo, hi = _hand_pool_flux_kw_m2(0)[1] / 2 + 1e-6, 500.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _hand_pool_flux_kw_m2(mid)[0] >= threshold_kw_m2 else (lo, mid)
    return lo


def _layout(plants: list[dict]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Enterprises (a 20 m square around each plant's first unit), units (points) and inventory."""
    ents, units, inv = [], [], []
    for p in plants:
        pts = p["units"]
        x0, y0 = pts[0][1]
        geom = p.get("boundary") or box(x0 - 10, y0 - 10, x0 + 10, y0 + 10)
        ents.append({"id": p["id"], "name": p["id"], "status": p.get("status", "operating"),
                     "park_id": p.get("park"), "industry_code": p.get("industry", "2614"), "geometry": geom})
        for uid, (x, y), kind in pts:
            if kind == "tank":
                units.append({"id": uid, "enterprise_id": p["id"], "unit_type": "storage",
                              "equipment": "atmospheric_tank", "containment": "single", "fire_class": "乙",
                              "operating_temperature_c": 20.0, "operating_pressure_mpa": 0.0, "geometry": Point(x, y)})
                inv.append({"id": f"{uid}/1", "unit_id": uid, "chemical": "二甲苯", "cas": "1330-20-7",
                            "hazard_categories": "W5.4", "max_quantity_t": MASS_KG / 1000.0, "state": "liquid",
                            "temperature_c": 20.0, "pressure_mpa": 0.0})
            else:  # a warehouse of packaged solvent: no scenario model → the fallback rule
                units.append({"id": uid, "enterprise_id": p["id"], "unit_type": "storage", "equipment": "warehouse",
                              "containment": None, "fire_class": "甲", "operating_temperature_c": 20.0,
                              "operating_pressure_mpa": 0.0, "geometry": Point(x, y)})
                inv.append({"id": f"{uid}/1", "unit_id": uid, "chemical": "乙酸乙酯", "cas": "141-78-6",
                            "hazard_categories": None, "max_quantity_t": 5.0, "state": "liquid",
                            "temperature_c": 20.0, "pressure_mpa": 0.0})
    e = gpd.GeoDataFrame(ents, crs=CRS).set_index("id")
    u = gpd.GeoDataFrame(units, crs=CRS).set_index("id")
    return e, u, pd.DataFrame(inv)


def _links(res, kind: str | None = None) -> set[tuple[str, str]]:
    lk = res.links if kind is None else res.links[res.links["kind"] == kind]
    return {(a, b) for a, b in zip(lk["enterprise_a"], lk["enterprise_b"], strict=True)}


def _cluster_sets(res) -> list[set[str]]:
    return sorted((set(m) for m in res.clusters["members"]), key=lambda s: sorted(s))


# -- domino: two tank farms, a pool fire against an atmospheric tank --------------------------------


def test_hand_reach_is_outside_the_pool_and_above_the_atmospheric_threshold() -> None:
    r15 = _hand_reach_m(15.0)
    q, d = _hand_pool_flux_kw_m2(r15)
    assert d / 2 < r15 < 60  # a 9.4 m pool: the 15 kW/m² reach is beyond the pool edge
    assert q == pytest.approx(15.0, rel=1e-6)


@pytest.mark.parametrize("offset_m, linked", [(-0.5, True), (+0.5, False)])
def test_pool_fire_reaches_the_neighbours_atmospheric_tank(offset_m: float, linked: bool) -> None:
    r15 = _hand_reach_m(DEFAULT_RULES.heat_atmospheric_kw_m2)
    dist = r15 + offset_m
    e, u, inv = _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": "2511"},
        {"id": "B", "units": [("B-T1", (dist, 0.0), "tank")], "industry": "2710",
         "boundary": box(dist - 0.2, -10, dist + 20, 10)},
    ])
    e.loc["A", "geometry"] = box(-20, -10, 0.2, 10)
    res = find_clusters(e, u, inv)
    domino = res.links[res.links["kind"] == "domino"]
    if linked:
        assert len(domino) == 1
        row = domino.iloc[0]
        expected, _ = _hand_pool_flux_kw_m2(dist)
        assert expected > 15.0
        assert row["vector"] == "heat" and row["equipment_class"] == "atmospheric"
        assert row["value"] == pytest.approx(expected, rel=1e-6)
        assert row["threshold"] == 15.0 and row["distance_m"] == pytest.approx(dist)
        assert row["scenario"].endswith("pool_fire")
        assert _cluster_sets(res) == [{"A", "B"}]
    else:
        assert _hand_pool_flux_kw_m2(dist)[0] < 15.0
        assert domino.empty and res.links.empty  # no fallback (both modelled), no policy (other industries)
        assert _cluster_sets(res) == [{"A"}, {"B"}]


@pytest.mark.parametrize("vessels, linked", [
    ({}, True),  # no vessel fields: one vessel holding the whole 1.2 t
    ({"vessel_count": 2}, False),  # two vessels of 0.6 t: the fire of one is the 600 kg pool
    ({"vessel_capacity_t": 0.6}, False),  # n = ⌈1.2 / 0.6⌉ = 2, the same
    ({"vessel_count": 1, "vessel_capacity_t": 1.5}, True),
])
def test_vessel_size_decides_a_domino_link(vessels: dict, linked: bool) -> None:
    """A's item is 1.2 t of xylene; B's tank stands 0.5 m beyond the 15 kW/m² reach of a 600 kg pool. A scenario
    releases one vessel's contents: in one vessel the 1.2 t pool reaches B, split in two 0.6 t vessels it does not."""
    dist = _hand_reach_m(DEFAULT_RULES.heat_atmospheric_kw_m2) + 0.5
    big, _ = _hand_pool_flux_kw_m2(dist, 2 * MASS_KG)
    assert big > 15.0 > _hand_pool_flux_kw_m2(dist)[0]
    e, u, inv = _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": "2511"},
        {"id": "B", "units": [("B-T1", (dist, 0.0), "tank")], "industry": "2710",
         "boundary": box(dist - 0.2, -10, dist + 20, 10)},
    ])
    e.loc["A", "geometry"] = box(-20, -10, 0.2, 10)
    a = inv["unit_id"] == "A-T1"
    inv.loc[a, "max_quantity_t"] = 2 * MASS_KG / 1000.0
    for k, v in vessels.items():
        inv.loc[a, k] = v
    res = find_clusters(e, u, inv)
    domino = res.links[res.links["kind"] == "domino"]
    if linked:
        assert len(domino) == 1 and domino.iloc[0]["target_unit"] == "B-T1"
        assert domino.iloc[0]["value"] == pytest.approx(big, rel=1e-6)
    else:
        assert domino.empty and _cluster_sets(res) == [{"A"}, {"B"}]


def test_pressurised_target_needs_the_higher_threshold() -> None:
    """The same fire at a distance where it gives 15–45 kW/m²: a pressure vessel there is not reached."""
    r15 = _hand_reach_m(15.0)
    dist = r15 - 0.5
    e, u, inv = _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": "2511"},
        {"id": "B", "units": [("B-T1", (dist, 0.0), "tank")], "industry": "2710"},
    ])
    u.loc["B-T1", "equipment"] = "pressure_vessel"
    assert _hand_pool_flux_kw_m2(dist)[0] < 45.0
    res = find_clusters(e, u, inv)
    # B's own fire still reaches A's atmospheric tank at the same distance: one link, from B's scenario
    domino = res.links[res.links["kind"] == "domino"]
    assert len(domino) == 1 and domino.iloc[0]["target_unit"] == "A-T1"


def test_flux_at_the_threshold_links() -> None:
    """A threshold at the hand-computed flux at the neighbour (less a rounding margin) links; a hair above not."""
    dist = 20.0
    e, u, inv = _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": "2511"},
        {"id": "B", "units": [("B-T1", (dist, 0.0), "tank")], "industry": "2710"},
    ])
    q, _ = _hand_pool_flux_kw_m2(dist)
    at = find_clusters(e, u, inv, rules=ClusterRules(heat_atmospheric_kw_m2=q * (1 - 1e-9)))
    assert _links(at, "domino") == {("A", "B")}
    above = find_clusters(e, u, inv, rules=ClusterRules(heat_atmospheric_kw_m2=q * (1 + 1e-6)))
    assert above.links.empty


def test_thresholds_are_settings() -> None:
    r15 = _hand_reach_m(15.0)
    e, u, inv = _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": "2511"},
        {"id": "B", "units": [("B-T1", (r15 - 0.5, 0.0), "tank")], "industry": "2710"},
    ])
    stricter = ClusterRules(heat_atmospheric_kw_m2=_hand_pool_flux_kw_m2(r15 - 0.5)[0] + 0.01)
    assert find_clusters(e, u, inv, rules=stricter).links.empty
    assert stricter.describe()["values"]["heat_atmospheric_kw_m2"] > 15
    assert {r["tag"] for r in stricter.describe()["thresholds"]} == {"UNCONFIRMED"}


# -- fallback: units without consequence data ---------------------------------------------------


@pytest.mark.parametrize("dist, linked", [(200.0, True), (201.0, False)])
def test_fallback_distance_between_hazardous_units(dist: float, linked: bool) -> None:
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")], "industry": "2511"},
        {"id": "B", "units": [("B-W1", (dist, 0.0), "warehouse")], "industry": "2710"},
    ])
    res = find_clusters(e, u, inv)
    assert _links(res, "fallback") == ({("A", "B")} if linked else set())
    if linked:
        row = res.links.iloc[0]
        assert row["distance_m"] == pytest.approx(200.0) and row["threshold"] == 200.0
        assert "fallback" in row["reason"] and not row["cross_park"]


def test_fallback_by_boundaries_needs_two_major_hazards() -> None:
    # units 600 m apart (beyond 200 m); boundaries 480 m apart
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")], "boundary": box(-10, -10, 50, 10)},
        {"id": "B", "units": [("B-W1", (600.0, 0.0), "warehouse")], "boundary": box(530, -10, 610, 10),
         "industry": "2710"},
    ])
    e.loc["A", "industry_code"] = "2511"
    major = pd.DataFrame({"is_major_hazard": [True, True], "r": [12.0, 30.0], "grade": [3, 3], "terms": [[], []]},
                         index=["A-W1", "B-W1"])
    assert _links(find_clusters(e, u, inv, major), "fallback") == {("A", "B")}
    one = major.copy()
    one.loc["B-W1", "is_major_hazard"] = False
    assert find_clusters(e, u, inv, one).links.empty
    far = e.copy()
    far.loc["B", "geometry"] = box(551, -10, 610, 10)  # 501 m
    assert find_clusters(far, u, inv, major).links.empty


def test_chain_makes_one_cluster_and_a_lone_plant_its_own() -> None:
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")], "industry": "2511"},
        {"id": "B", "units": [("B-W1", (150.0, 0.0), "warehouse")], "industry": "2710"},
        {"id": "C", "units": [("C-W1", (300.0, 0.0), "warehouse")], "industry": "4511"},
        {"id": "D", "units": [("D-W1", (5000.0, 0.0), "warehouse")], "industry": "2614"},
    ])
    res = find_clusters(e, u, inv)
    assert _links(res) == {("A", "B"), ("B", "C")}  # A–C is 300 m: not linked directly
    assert _cluster_sets(res) == [{"A", "B", "C"}, {"D"}]
    abc = res.clusters[res.clusters["n_members"] == 3].iloc[0]
    assert abc["lead_enterprise_id"] == "B"  # the middle of the chain: centrality 1 against 0.5
    assert abc["n_links"] == 2
    lone = res.clusters[res.clusters["n_members"] == 1].iloc[0]
    assert lone["members"] == ["D"] and lone["lead_enterprise_id"] == "D" and lone["n_links"] == 0
    assert lone.geometry.contains(Point(5000, 0))


def test_cross_park_flag() -> None:
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")], "park": "P1", "industry": "2511"},
        {"id": "B", "units": [("B-W1", (150.0, 0.0), "warehouse")], "park": "P2", "industry": "2710"},
        {"id": "C", "units": [("C-W1", (0.0, 150.0), "warehouse")], "park": "P1", "industry": "4511"},
    ])
    res = find_clusters(e, u, inv)
    flags = {(a, b): c for a, b, c in zip(res.links["enterprise_a"], res.links["enterprise_b"],
                                          res.links["cross_park"], strict=True)}
    assert flags == {("A", "B"): True, ("A", "C"): False}
    assert "cross-park" in res.links.set_index(["enterprise_a", "enterprise_b"]).loc[("A", "B"), "reason"]
    assert bool(res.clusters.iloc[0]["cross_park"])


# -- policy links --------------------------------------------------------------------------------


def _two_tanks(gap_m: float, ind_a: str, ind_b: str, park_a: str | None, park_b: str | None):
    return _layout([
        {"id": "A", "units": [("A-T1", (0.0, 0.0), "tank")], "industry": ind_a, "park": park_a},
        {"id": "B", "units": [("B-T1", (gap_m + 20.0, 0.0), "tank")], "industry": ind_b, "park": park_b},
    ])


def test_same_park_and_industry_is_a_policy_link() -> None:
    e, u, inv = _two_tanks(300.0, "2614", "C2619", "P1", "P1")  # one division, 26
    res = find_clusters(e, u, inv)
    assert _links(res) == {("A", "B")}
    row = res.links.iloc[0]
    assert row["kind"] == "policy" and not row["cross_park"]
    assert row["weight"] == pytest.approx(0.5 * (1 - 300 / 1000))  # s = 1 of 2, proximity 0.7
    assert "industry division 26" in row["reason"]


def test_policy_needs_a_shared_trait_and_weak_links_are_pruned() -> None:
    e, u, inv = _two_tanks(300.0, "2614", "2710", "P1", "P1")
    assert find_clusters(e, u, inv).links.empty  # same park, nothing shared
    e, u, inv = _two_tanks(600.0, "2614", "2614", "P1", "P1")
    assert find_clusters(e, u, inv).links.empty  # w = 0.5 × 0.4 = 0.2 < 0.25: pruned
    e, u, inv = _two_tanks(1500.0, "2614", "2614", "P1", None)
    assert find_clusters(e, u, inv).links.empty  # not one park and beyond 1 km
    e, u, inv = _two_tanks(1500.0, "2614", "2614", None, None)
    assert find_clusters(e, u, inv, rules=ClusterRules(policy_distance_m=2000)).links.empty  # 0.5 × 0.25 < 0.25


def test_each_enterprise_keeps_its_strongest_policy_links() -> None:
    """Five plants of one park and trade in a row, boundaries 100 m apart: every pair passes the weight
    (w = 0.5 × (1 − gap/1000) ≥ 0.27); with 2 links an end, the union of each end's two strongest remains."""
    e, u, inv = _layout([{"id": k, "units": [(f"{k}-T1", (120.0 * i, 0.0), "tank")], "park": "P1"}
                         for i, k in enumerate("ABCDE")])
    everything = find_clusters(e, u, inv, rules=ClusterRules(policy_max_links=0))
    assert len(_links(everything, "policy")) == 10
    two = find_clusters(e, u, inv, rules=ClusterRules(policy_max_links=2))
    # A: B, C; B: A, C (gap tie, then id); C: B, D; D: C, E; E: D, C
    assert _links(two, "policy") == {("A", "B"), ("A", "C"), ("B", "C"), ("C", "D"), ("D", "E"), ("C", "E")}
    assert _cluster_sets(two) == [set("ABCDE")]


def test_business_form_from_major_hazard_terms() -> None:
    e, u, inv = _two_tanks(300.0, "2614", "2710", None, None)
    terms_a = [{"codes": ["W2"], "beta_q_over_q": 3.0}, {"codes": ["J3"], "beta_q_over_q": 1.0}]
    terms_b = [{"codes": ["W2", "W5.3"], "beta_q_over_q": 2.0}]  # W2 before W5 in priority: flammable gas
    ass = pd.DataFrame({"is_major_hazard": [True, True], "r": [10.0, 5.0], "grade": [3, 4],
                        "terms": [terms_a, terms_b]}, index=["A-T1", "B-T1"])
    res = find_clusters(e, u, inv, ass)
    assert _links(res, "policy") == {("A", "B")}
    assert "flammable gas" in res.links.iloc[0]["reason"]
    assert res.members.loc["A", "hazard_class"] == "flammable_gas"
    cl = res.clusters.iloc[0]
    assert cl["combined_r"] == pytest.approx(15.0)
    assert cl["lead_enterprise_id"] == "A"  # equal centrality, larger R share
    assert cl["worst_colour"] == "yellow"  # grade 3 → yellow (service mapping)


# -- people inside the members' contours ---------------------------------------------------------


def test_people_inside_the_union_of_contours_by_area() -> None:
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")]},
        {"id": "B", "units": [("B-W1", (150.0, 0.0), "warehouse")]},
    ])
    contours = gpd.GeoDataFrame({"enterprise_id": ["A", "B"]},
                                geometry=[box(-100, -100, 100, 100), box(50, -100, 250, 100)], crs=CRS)
    # a block half inside the union (x 200–300, contour to x 250); one inside both contours, counted once
    res_blocks = gpd.GeoDataFrame({"population": [1000, 400]},
                                  geometry=[box(200, 0, 300, 50), box(0, 0, 100, 50)], crs=CRS)
    targets = gpd.GeoDataFrame({"population": [30, 70]}, geometry=[Point(10, 10), Point(900, 900)], crs=CRS)
    res = find_clusters(e, u, inv, contours=contours, residential=res_blocks, targets=targets)
    # 500 of the half-inside block + 400 (inside both contours, counted once) + 30 at the school inside
    assert res.clusters.iloc[0]["people"] == pytest.approx(930.0)


# -- rules and inputs ---------------------------------------------------------------------------


def test_equipment_classes_rule() -> None:
    assert equipment_classes({"equipment": "pressure_vessel"}, set())[:2] == ("pressurised", "pressurised")
    assert equipment_classes({"equipment": "atmospheric_tank"}, {"liquid"})[:2] == ("atmospheric", "atmospheric")
    assert equipment_classes({"equipment": "process_vessel", "unit_type": "production",
                              "operating_pressure_mpa": 0.5}, set())[:2] == ("pressurised", "elongated")
    assert equipment_classes({"equipment": "process_vessel", "unit_type": "storage",
                              "operating_pressure_mpa": 0.05}, {"liquid"})[:2] == ("atmospheric", "atmospheric")
    assert equipment_classes({"equipment": None, "operating_pressure_mpa": 0.0}, {"liquefied_pressurized"}
                             )[:2] == ("pressurised", "pressurised")
    assert equipment_classes({"equipment": "pipeline"}, set())[:2] == ("atmospheric", "small")


def test_codes_and_divisions() -> None:
    assert industry_division("2614") == "26" and industry_division("C2614") == "26"
    assert industry_division(None) is None and industry_division("x") is None
    assert hazard_class_of_codes("W2;J3") == "toxic"  # toxic before flammable gas
    assert hazard_class_of_codes("W5.3") == "flammable_liquid"
    assert hazard_class_of_codes(["W1.1"]) == "explosive_reactive"
    assert hazard_class_of_codes("W11") == "other"


def test_inputs_must_be_projected_and_rules_valid() -> None:
    e, u, inv = _two_tanks(300.0, "2614", "2614", None, None)
    with pytest.raises(InvalidInput, match="projected"):
        find_clusters(e.to_crs(4326), u.to_crs(4326), inv)
    with pytest.raises(InvalidInput, match="policy_min_weight"):
        ClusterRules(policy_min_weight=2)


def test_closed_and_planned_plants_are_left_out() -> None:
    e, u, inv = _layout([
        {"id": "A", "units": [("A-W1", (0.0, 0.0), "warehouse")]},
        {"id": "B", "units": [("B-W1", (150.0, 0.0), "warehouse")], "status": "planned"},
    ])
    res = find_clusters(e, u, inv)
    assert res.links.empty and list(res.members.index) == ["A"]
