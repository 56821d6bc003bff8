"""Loss-of-containment scenarios and event trees (geo_risk.risk.scenarios).

Checks: LOC frequencies equal the rows of the data tables (read here with ``csv``, not through the
module), event-tree sums per LOC, outcome kinds per substance, source terms against hand
computations (the choked-flow and Bernoulli formulas written out below), stated defaults and
problems, the grid engine on the sources, monotonicity in the inventory (hypothesis), the sample
city end to end, and that ``release_properties.csv`` is what the ``chemicals`` library gives.

Regenerate ``geo_risk/risk/data/substances/release_properties.csv`` after changing the generator below::

    .venv/bin/python tests/risk/test_scenarios.py --write
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.risk.grid import Grid, WindRose, individual_risk
from geo_risk.risk.parameters import constant
from geo_risk.risk.scenarios import SCENARIO_COLUMNS, ScenarioSet, build_scenarios
from geo_risk.risk.weather import Weather

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "geo_risk" / "risk" / "data"
RELEASE_CSV = "substances/release_properties.csv"
R_GAS = 8.314462618  # J/(mol K), CODATA 2018
P_ATM = 101325.0  # Pa
G_N = 9.80665  # m/s2

_UNIT_COLUMNS = [
    "equipment",
    "containment",
    "unit_type",
    "operating_temperature_c",
    "operating_pressure_mpa",
    "name",
    "enterprise_id",
]
_INV_COLUMNS = [
    "unit_id",
    "id",
    "chemical",
    "cas",
    "table1_seq",
    "hazard_categories",
    "max_quantity_t",
    "state",
    "temperature_c",
    "pressure_mpa",
]


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _loc_table(equipment: str) -> dict[str, float]:
    """LOC code → frequency (/a) from loc_frequencies.csv, or model_constants.csv for the process vessel."""
    if equipment == "process_vessel":
        constants = {r["key"]: float(r["value"]) for r in _csv("model_constants.csv")}
        return {f"G{k}": constants[f"scenario_process_vessel_g{k}_frequency"] for k in (1, 2, 3)}
    return {r["loc_code"]: float(r["frequency"]) for r in _csv("loc_frequencies.csv") if r["equipment"] == equipment}


def _release_props(cas: str) -> dict[str, str]:
    return next(r for r in _csv(RELEASE_CSV) if r["cas"] == cas)


def _unit(
    uid: str,
    equipment: str | None,
    t_c: float | None = 20.0,
    p_mpa: float | None = 0.0,
    containment: str | None = "single",
) -> dict:
    return {
        "id": uid,
        "equipment": equipment,
        "containment": containment,
        "unit_type": "storage",
        "operating_temperature_c": t_c,
        "operating_pressure_mpa": p_mpa,
        "name": uid,
        "enterprise_id": "E1",
    }


def _item(
    uid: str,
    iid: str,
    chemical: str,
    q_t: float,
    state: str | None,
    t_c: float | None = 20.0,
    p_mpa: float | None = 0.0,
    cats: str | None = None,
    cas: str | None = None,
) -> dict:
    return {
        "unit_id": uid,
        "id": iid,
        "chemical": chemical,
        "cas": cas,
        "table1_seq": None,
        "hazard_categories": cats,
        "max_quantity_t": q_t,
        "state": state,
        "temperature_c": t_c,
        "pressure_mpa": p_mpa,
    }


def _frames(units: list[dict], items: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    u = pd.DataFrame(units).set_index("id")[_UNIT_COLUMNS]
    inv = pd.DataFrame(items)[_INV_COLUMNS]
    positions = {uid: (1000.0 * k, 500.0) for k, uid in enumerate(u.index)}
    return u, inv, positions


#: The constructed plant of the issue: chlorine vessel, LPG sphere, gasoline tank, ammonia vessel
#: without equipment, an item of unknown phase without properties, an explosive.
UNITS = [
    _unit("U-CL2", "pressure_vessel", 20.0, 0.58),
    _unit("U-LPG", "pressure_vessel", 20.0, 0.75),
    _unit("U-GSL", "atmospheric_tank", 20.0, 0.0),
    _unit("U-NH3", None, 20.0, 0.76, containment=None),
    _unit("U-UNK", "atmospheric_tank", None, None),
    _unit("U-TNT", "warehouse", 20.0, 0.0),
]
ITEMS = [
    _item("U-CL2", "I-CL2", "液氯", 30.0, "liquefied_pressurized", 20.0, 0.58),
    _item("U-LPG", "I-LPG", "液化石油气", 1000.0, "liquefied_pressurized", 20.0, 0.75),
    _item("U-GSL", "I-GSL", "汽油", 5000.0, "liquid", 20.0, 0.0),
    _item("U-NH3", "I-NH3", "液氨", 50.0, "liquefied_pressurized", 20.0, 0.76),
    _item("U-UNK", "I-UNK", "某溶剂X", 10.0, None, None, None, cats="W5.3"),
    _item("U-TNT", "I-TNT", "2,4,6-三硝基甲苯", 2.0, "solid"),
]


@pytest.fixture(scope="module")
def plant() -> ScenarioSet:
    return build_scenarios(*_frames(UNITS, ITEMS))


def _rows(s: ScenarioSet, iid: str) -> pd.DataFrame:
    return s.scenarios[s.scenarios["inventory_id"] == iid]


# ---------------------------------------------------------------------------------------------
# Structure, LOC frequencies, event-tree sums
# ---------------------------------------------------------------------------------------------


def test_columns_and_one_source_per_modelled_item(plant: ScenarioSet) -> None:
    assert list(plant.scenarios.columns) == list(SCENARIO_COLUMNS)
    assert [s.name for s in plant.sources] == ["U-CL2/I-CL2", "U-LPG/I-LPG", "U-GSL/I-GSL", "U-NH3/I-NH3"]
    assert (plant.sources[0].x, plant.sources[0].y) == (0.0, 500.0)  # the unit's position, m
    # every row points at its event, and the event carries the row's frequency
    for row in plant.scenarios.itertuples():
        event = plant.sources[row.source_index].events[row.event_index]
        assert event.frequency == pytest.approx(row.frequency_per_year, rel=1e-12)
    assert sum(len(s.events) for s in plant.sources) == len(plant.scenarios)


@pytest.mark.parametrize(
    ("iid", "equipment", "codes"),
    [
        ("I-CL2", "pressure_vessel", {"G.1": "G1", "G.2": "G2", "G.3": "G3"}),
        ("I-LPG", "pressure_vessel", {"G.1": "G1", "G.2": "G2", "G.3": "G3"}),
        ("I-NH3", "pressure_vessel", {"G.1": "G1", "G.2": "G2", "G.3": "G3"}),
        ("I-GSL", "atmospheric_tank_single", {"G.1": "instantaneous", "G.2": "ten_minutes", "G.3": "hole_10mm"}),
    ],
)
def test_loc_frequencies_equal_the_data_rows(plant: ScenarioSet, iid: str, equipment: str, codes: dict) -> None:
    rows = _rows(plant, iid)
    table = _loc_table(equipment)
    assert set(rows["loc"]) == set(codes)
    for generic, code in codes.items():
        at = rows[rows["loc"] == generic]
        assert set(at["loc_code"]) == {code}
        assert set(at["loc_equipment"]) == {equipment}
        assert at["loc_frequency_per_year"].tolist() == [table[code]] * len(at)  # /a, exactly the CSV's value


def test_every_frequency_is_loc_frequency_times_branch_probability(plant: ScenarioSet) -> None:
    s = plant.scenarios
    assert np.allclose(s["frequency_per_year"], s["loc_frequency_per_year"] * s["branch_probability"], rtol=1e-12)
    sums = s.groupby(["inventory_id", "loc", "tree"])["branch_probability"].sum()
    assert (sums <= 1.0 + 1e-12).all()


@pytest.mark.parametrize(
    ("iid", "tree"),
    [("I-CL2", "toxic"), ("I-LPG", "fire"), ("I-NH3", "toxic"), ("I-NH3", "fire"), ("I-GSL", "fire")],
)
def test_each_tree_sums_to_the_loc_frequency(plant: ScenarioSet, iid: str, tree: str) -> None:
    rows = _rows(plant, iid)
    rows = rows[rows["tree"] == tree]
    for _, at in rows.groupby("loc"):
        assert at["frequency_per_year"].sum() == pytest.approx(at["loc_frequency_per_year"].iloc[0], rel=1e-12)


def test_toxic_and_flammable_substance_gets_both_trees_in_full(plant: ScenarioSet) -> None:
    rows = _rows(plant, "I-NH3")
    for _, at in rows.groupby("loc"):
        f_loc = at["loc_frequency_per_year"].iloc[0]
        assert at["frequency_per_year"].sum() == pytest.approx(2 * f_loc, rel=1e-12)  # toxic 1 + fire 1


# ---------------------------------------------------------------------------------------------
# Outcome kinds and ignition probabilities
# ---------------------------------------------------------------------------------------------


def test_outcome_kinds_per_substance(plant: ScenarioSet) -> None:
    def kinds(iid: str, loc: str) -> list[str]:
        rows = _rows(plant, iid)
        return sorted(rows[rows["loc"] == loc]["outcome"])

    for loc in ("G.1", "G.2", "G.3"):
        assert kinds("I-CL2", loc) == ["toxic"]
        # K1: direct pool fire; delayed flash fire / explosion of the evaporated cloud (each then the pool fire)
        assert kinds("I-GSL", loc) == ["flash_fire", "pool_fire", "vce"]
    assert kinds("I-LPG", "G.1") == ["fireball", "flash_fire", "vce"]  # BLEVE: pressurised liquefied
    assert kinds("I-LPG", "G.2") == ["flash_fire", "jet_fire", "vce"]
    assert kinds("I-LPG", "G.3") == ["flash_fire", "jet_fire", "vce"]
    # ammonia: no BLEVE fireball and no explosion (outcome_capability.csv): flash fires carry those branches
    assert kinds("I-NH3", "G.1") == ["flash_fire", "flash_fire", "toxic"]
    assert kinds("I-NH3", "G.2") == ["flash_fire", "jet_fire", "toxic"]
    cl = _rows(plant, "I-CL2")
    assert cl.set_index("loc")["release_type"].to_dict() == {
        "G.1": "instantaneous",
        "G.2": "continuous",
        "G.3": "continuous",
    }


def test_flammable_gas_direct_ignition_and_the_0_6_0_4_split(plant: ScenarioSet) -> None:
    rows = _rows(plant, "I-LPG").set_index(["loc", "branch"])["branch_probability"]
    # G.1: 1 000 000 kg > 10 000 kg → 0.7 (Table 4.5, average/high reactivity: the stated default)
    assert rows[("G.1", "direct_ignition")] == pytest.approx(0.7)
    assert rows[("G.1", "delayed_flash_fire")] == pytest.approx(0.3 * 0.6)
    assert rows[("G.1", "delayed_explosion")] == pytest.approx(0.3 * 0.4)
    # G.2: 1e6 kg / 600 s = 1667 kg/s > 100 kg/s → 0.7; G.3 (a few kg/s) < 10 kg/s → 0.2
    assert rows[("G.2", "direct_ignition")] == pytest.approx(0.7)
    assert rows[("G.3", "direct_ignition")] == pytest.approx(0.2)
    assert rows[("G.3", "delayed_explosion")] == pytest.approx(0.8 * 0.4)


def test_gasoline_k1_tree_split_by_hand_and_no_frequency_lost(plant: ScenarioSet) -> None:
    rows = _rows(plant, "I-GSL")
    p = rows.set_index(["loc", "branch"])["branch_probability"]
    f_tank = {r["loc_code"]: float(r["frequency"]) for r in _csv("loc_frequencies.csv")
              if r["equipment"] == "atmospheric_tank_single"}
    for loc in ("G.1", "G.2", "G.3"):
        # K1 (n-pentane surrogate, flash point −40 °C): direct 0.065 → pool fire; the rest (0.935) is
        # ignited late (UNCONFIRMED tree, P(delayed | no direct) = 1): flash fire 0.6, explosion 0.4
        assert p[(loc, "direct_ignition")] == pytest.approx(0.065, rel=1e-12)
        assert p[(loc, "delayed_flash_fire")] == pytest.approx(0.935 * 0.6, rel=1e-12)
        assert p[(loc, "delayed_explosion")] == pytest.approx(0.935 * 0.4, rel=1e-12)
    code = {"G.1": "instantaneous", "G.2": "ten_minutes", "G.3": "hole_10mm"}
    for loc, at in rows.groupby("loc"):
        # no frequency lost: 5e-6 (G.1, G.2) and 1e-4 (G.3) per year, as in the table
        assert at["frequency_per_year"].sum() == pytest.approx(f_tank[code[loc]], rel=1e-12)
    delayed = rows[rows["branch"] != "direct_ignition"]
    assert delayed["notes"].str.contains("pool evaporation").all()
    assert delayed["notes"].str.contains("then the pool fire").all()


def test_k1_delayed_event_is_the_cloud_then_the_pool_fire(plant: ScenarioSet) -> None:
    """The delayed event's lethality is 1 − (1 − P_cloud)(1 − P_pool), its reach the larger of the two."""
    from geo_risk.risk.weather import Weather

    rows = _rows(plant, "I-GSL")
    row = rows[(rows["loc"] == "G.1") & (rows["branch"] == "delayed_flash_fire")].iloc[0]
    direct = rows[(rows["loc"] == "G.1") & (rows["branch"] == "direct_ignition")].iloc[0]
    event = plant.sources[int(row.source_index)].events[int(row.event_index)]
    pool = plant.sources[int(direct.source_index)].events[int(direct.event_index)]
    w = Weather("D", 5.0)
    x = np.array([0.0, 30.0, 80.0, 150.0, 400.0])
    y = np.zeros_like(x)
    p_pool = pool.lethality(x, y, w)
    p_both = event.lethality(x, y, w)
    assert (p_both >= p_pool - 1e-12).all() and (p_both <= 1.0).all()
    assert event.max_distance_m(w) >= pool.max_distance_m(w) - 1e-9


# ---------------------------------------------------------------------------------------------
# Defaults and problems
# ---------------------------------------------------------------------------------------------


def test_missing_equipment_takes_the_stated_default(plant: ScenarioSet) -> None:
    applied = [d for d in plant.assumptions["defaults_applied"] if d["inventory_id"] == "I-NH3"]
    assert [(d["what"], d["value"]) for d in applied] == [("vessel_count", 1), ("equipment", "pressure_vessel")]
    assert _rows(plant, "I-NH3")["notes"].str.contains("default equipment = pressure_vessel").all()


def test_unknown_phase_without_properties_and_explosive_are_problems(plant: ScenarioSet) -> None:
    unk = [p for p in plant.problems if "I-UNK" in p]
    tnt = [p for p in plant.problems if "I-TNT" in p]
    assert len(unk) == 1 and "phase unknown" in unk[0] and "无法判断相态" in unk[0]
    assert len(tnt) == 1 and "consequence method" in tnt[0] and "事故后果法" in tnt[0]
    assert all(" / " in p and p.startswith("单元") for p in plant.problems)  # 中文 first, then English
    assert not _rows(plant, "I-UNK").size and not _rows(plant, "I-TNT").size


def test_assumptions_state_rules_and_unconfirmed_rows(plant: ScenarioSet) -> None:
    a = plant.assumptions
    assert len(a["rules"]) == 10 and a["rules"][0].startswith("1. **Vessels of an inventory item**")
    assert a["toxic_probit_table"] == "set_a_purple_book_mg_m3_min"
    assert "LOC frequency pressure_vessel/G1 = 5e-07 /a (UNCONFIRMED)" in a["unconfirmed"]
    assert "LOC frequency atmospheric_tank_single/hole_10mm = 0.0001 /a (UNCONFIRMED)" in a["unconfirmed"]
    assert a["scenario_constants"]["scenario_delayed_ignition_given_no_direct"]["status"] == "UNCONFIRMED"
    assert "GAS_REACTIVITY_DEFAULT = gas_average_high_reactivity" in " ".join(a["unconfirmed"])
    assert a["toxic_probits_used"] == {"ammonia": "C1", "chlorine": "C1"}
    assert a["direct_ignition_categories_used"] == ["gas_average_high_reactivity", "gas_low_reactivity", "k1_liquid"]
    used = " ".join(a["unconfirmed"])
    assert "gas_reactivity.csv 7664-41-7 ammonia = low (UNCONFIRMED" in used
    assert "outcome_capability.csv 7664-41-7 ammonia: no fireball, flash_fire instead (UNCONFIRMED" in used
    assert "scenario_k1_delayed_ignition_given_no_direct = 1 (UNCONFIRMED" in used
    json.dumps(a)  # goes into the run's metadata as it is
    assert len(a["release_properties_sha256"]) == 64


def test_other_items_that_cannot_be_modelled_are_reported() -> None:
    units = [
        _unit("U-O2", "process_vessel", 20.0, 0.5),
        _unit("U-PIPE", "pipeline", 11.0, 2.7),
        _unit("U-WH", "warehouse"),
        _unit("U-HCN", "process_vessel", 20.0, 0.1),
        _unit("U-NOPOS", "pressure_vessel", 20.0, 1.0),
    ]
    items = [
        _item("U-O2", "O2", "氧", 10.0, "gas", 20.0, 0.5),
        _item("U-PIPE", "NG", "天然气", 5.0, "gas", 11.0, 2.7),
        _item("U-WH", "ACE", "丙酮", 20.0, "liquid"),
        _item("U-HCN", "HCN", "氰化氢", 2.0, "liquid", 20.0, 0.1),
        _item("U-NOPOS", "H2", "氢", 1.0, "gas", 20.0, 1.0),
        _item("U-GONE", "X", "氢", 1.0, "gas"),
        _item("U-O2", "ZERO", "氢", 0.0, "gas", 20.0, 0.5),
    ]
    u, inv, pos = _frames(units, items)
    del pos["U-NOPOS"]
    s = build_scenarios(u, inv, pos)
    text = "\n".join(s.problems)
    assert "no QRA outcome model" in text and "W4" in text  # oxygen: oxidising gas
    assert "Pipe LOCs are per metre" in text
    assert "warehouse fire scenarios are not implemented" in text
    assert "evaporating pool" not in text and "toxic pool" not in text  # HCN liquid: its pool evaporates
    assert "has no position" in text and "not in the units table" in text and "nothing to release" in text
    # HCN is also a W5.1 flammable liquid: its fire tree (K1, with the delayed branch) is still modelled
    assert set(_rows(s, "HCN")["outcome"]) == {"pool_fire", "flash_fire", "vce", "toxic"}
    assert set(_rows(s, "HCN").query("tree == 'toxic'")["branch"]) == {"toxic_pool_evaporation"}
    assert [src.name for src in s.sources] == ["U-HCN/HCN"]


def test_w11_is_not_an_explosive_and_co_outside_table_1_takes_row_13_properties() -> None:
    """Calcium carbide is W11 (not W1.x: a prefix match would call it an explosive); carbon
    monoxide given by CAS and W2;J3 is not a Table 1 row but is the basis of row 13 (煤气)."""
    units = [_unit("U-CAC2", "warehouse"), _unit("U-CO", "process_vessel", 20.0, 0.5)]
    items = [
        _item("U-CAC2", "CAC2", "碳化钙", 100.0, "solid"),
        _item("U-CO", "CO", "一氧化碳", 1.0, "gas", 20.0, 0.5, cats="W2;J3", cas="630-08-0"),
    ]
    s = build_scenarios(*_frames(units, items))
    cac2 = [p for p in s.problems if "CAC2" in p]
    assert len(cac2) == 1 and "solid" in cac2[0] and "explosive" not in cac2[0]
    assert not [p for p in s.problems if "存量 CO（" in p]
    co = _rows(s, "CO")
    assert sorted(co["loc"].unique()) == ["G.1", "G.2", "G.3"]
    assert set(co["tree"]) == {"toxic", "fire"}
    assert co["notes"].str.contains("GB 18218 Table 1 row 13").all()


def test_every_schema_equipment_and_phase_has_a_rule() -> None:
    from geo_risk.io.schema import CONTAINMENT, EQUIPMENT, INVENTORY_STATES
    from geo_risk.risk.scenarios import EQUIPMENT_RULES

    assert set(EQUIPMENT) == {r.equipment for r in EQUIPMENT_RULES if r.equipment}
    assert {r.containment for r in EQUIPMENT_RULES} <= {"", *CONTAINMENT}
    assert {r.phase for r in EQUIPMENT_RULES if not r.equipment} == set(INVENTORY_STATES) - {"solid"}
    tables = {r["equipment"] for r in _csv("loc_frequencies.csv")} | {"process_vessel", "not_modelled"}
    assert {r.loc_equipment for r in EQUIPMENT_RULES} <= tables


def test_missing_required_column_raises() -> None:
    u, inv, pos = _frames(UNITS[:1], ITEMS[:1])
    with pytest.raises(InvalidInput, match="max_quantity_t"):
        build_scenarios(u, inv.drop(columns=["max_quantity_t"]), pos)


def test_phase_derived_from_the_boiling_point_when_state_is_missing() -> None:
    units = [
        _unit("U1", "pressure_vessel", 20.0, 0.58),
        _unit("U2", "atmospheric_tank"),
        _unit("U3", "pressure_vessel", 20.0, 2.5),
    ]
    items = [
        _item("U1", "CL", "氯", 5.0, None, 20.0, 0.58),
        _item("U2", "TOL", "甲苯", 50.0, None),
        _item("U3", "H2", "氢", 1.0, None, 20.0, 2.5),
    ]
    s = build_scenarios(*_frames(units, items))
    derived = {d["inventory_id"]: d["value"] for d in s.assumptions["defaults_applied"] if d["what"] == "state"}
    assert derived == {"CL": "liquefied_pressurized", "TOL": "liquid", "H2": "gas"}
    assert set(s.scenarios.set_index("inventory_id")["phase"].items()) == {
        ("CL", "liquefied_pressurized"),
        ("TOL", "liquid"),
        ("H2", "gas"),
    }


def test_k_class_from_flash_point_and_temperature() -> None:
    # xylene (m-xylene basis, flash point 25 °C): K2 at 20 °C, K1 when handled at 30 °C (above its flash point)
    units = [_unit("U1", "atmospheric_tank"), _unit("U2", "atmospheric_tank", 30.0)]
    items = [
        _item("U1", "X20", "二甲苯", 100.0, "liquid", 20.0, cats="W5.4", cas="1330-20-7"),
        _item("U2", "X30", "二甲苯", 100.0, "liquid", 30.0, cats="W5.4", cas="1330-20-7"),
    ]
    s = build_scenarios(*_frames(units, items))
    assert set(_rows(s, "X20")["branch_probability"]) == {0.01}
    x30 = _rows(s, "X30")
    assert set(x30.loc[x30["branch"] == "direct_ignition", "branch_probability"]) == {0.065}
    # K1: the delayed branch carries the rest (0.935), split 0.6 / 0.4 or all flash fire when the
    # plume never reaches its LFL (no explosive mass)
    assert x30.groupby("loc")["branch_probability"].sum().round(12).eq(1.0).all()
    assert set(x30["branch_probability"].round(12)) <= {0.065, 0.935, 0.935 * 0.6, round(0.935 * 0.4, 12)}


def test_process_vessel_uses_its_own_unconfirmed_rows_and_no_outflow_is_reported() -> None:
    units = [_unit("U1", "process_vessel", 20.0, 0.0)]
    items = [_item("U1", "H2", "氢", 1.0, "gas", 20.0, 0.0)]
    s = build_scenarios(*_frames(units, items))
    table = _loc_table("process_vessel")
    assert sorted(s.scenarios["loc"].unique()) == ["G.1", "G.2"]  # the 10 mm hole has no driving pressure
    assert set(s.scenarios["loc_frequency_per_year"]) == {table["G1"], table["G2"]}
    assert any("no outflow through the hole" in p for p in s.problems)


# ---------------------------------------------------------------------------------------------
# Source terms against hand computations
# ---------------------------------------------------------------------------------------------


def test_gas_hole_release_is_the_choked_flow_formula() -> None:
    """Hydrogen at 2.5 MPa gauge, 20 °C through 10 mm: ṁ = Cd·A·P·√(γM/(RT)·(2/(γ+1))^((γ+1)/(γ−1)))."""
    units = [_unit("U1", "pressure_vessel", 20.0, 2.5)]
    items = [_item("U1", "H2", "氢", 1.0, "gas", 20.0, 2.5)]
    s = build_scenarios(*_frames(units, items))
    g3 = s.scenarios[s.scenarios["loc"] == "G.3"].iloc[0]
    gamma = float(_release_props("1333-74-0")["heat_capacity_ratio_20c"])
    m_kg_mol = 2.016e-3  # H2, kg/mol
    p = 2.5e6 + P_ATM  # Pa absolute (pressure read as gauge)
    t = 293.15  # K
    area = math.pi * 0.010**2 / 4  # m²
    assert P_ATM / p < (2 / (gamma + 1)) ** (gamma / (gamma - 1))  # choked
    rate = (
        0.85 * area * p * math.sqrt(gamma * m_kg_mol / (R_GAS * t) * (2 / (gamma + 1)) ** ((gamma + 1) / (gamma - 1)))
    )
    assert g3["release_rate_kg_s"] == pytest.approx(rate, rel=2e-3)  # kg/s (molar mass rounding)
    assert g3["release_duration_s"] == pytest.approx(min(1000.0 / rate, 1800.0), rel=2e-3)  # s, capped at 30 min
    g2 = s.scenarios[s.scenarios["loc"] == "G.2"].iloc[0]
    assert g2["release_rate_kg_s"] == pytest.approx(1000.0 / 600.0)  # whole inventory over 10 min, kg/s


def test_small_inventory_caps_the_hole_release_duration() -> None:
    units = [_unit("U1", "pressure_vessel", 20.0, 2.5)]
    items = [_item("U1", "H2", "氢", 0.01, "gas", 20.0, 2.5)]  # 10 kg
    g3 = build_scenarios(*_frames(units, items)).scenarios.query("loc == 'G.3'").iloc[0]
    assert g3["release_mass_kg"] == pytest.approx(10.0)  # kg: the whole inventory, not rate × 1800 s
    assert g3["release_duration_s"] == pytest.approx(10.0 / g3["release_rate_kg_s"])


def test_liquid_hole_release_is_bernoulli_with_the_stated_head(plant: ScenarioSet) -> None:
    """Gasoline (n-pentane basis) in an atmospheric tank: ṁ = Cd·A·ρ·√(2·g·h), h = 10 m (stated)."""
    g3 = _rows(plant, "I-GSL").query("loc == 'G.3'").iloc[0]
    rho = float(_release_props("109-66-0")["liquid_density_20c_kg_m3"])
    head = constant("scenario_liquid_head")  # m
    assert head == 10.0
    rate = 0.61 * math.pi * 0.010**2 / 4 * rho * math.sqrt(2 * G_N * head)
    assert g3["release_rate_kg_s"] == pytest.approx(rate, rel=1e-9)
    assert g3["release_duration_s"] == 1800.0  # 5 000 t would last days: capped at 30 min
    assert g3["release_mass_kg"] == pytest.approx(rate * 1800.0)


def test_pressurised_liquid_hole_release_uses_the_pressure(plant: ScenarioSet) -> None:
    """Chlorine at 0.58 MPa gauge: ṁ = Cd·A·ρ·√(2ΔP/ρ + 2·g·h), ΔP = 0.58 MPa, h = 10 m."""
    g3 = _rows(plant, "I-CL2").query("loc == 'G.3'").iloc[0]
    rho = float(_release_props("7782-50-5")["liquid_density_20c_kg_m3"])
    rate = 0.61 * math.pi * 0.010**2 / 4 * rho * math.sqrt(2 * 0.58e6 / rho + 2 * G_N * 10.0)
    assert g3["release_rate_kg_s"] == pytest.approx(rate, rel=1e-9)  # kg/s


def test_liquefied_gas_below_its_vapour_pressure_is_raised_to_it() -> None:
    """LPG declared at 0.2 MPa gauge, 20 °C: the liquid is at least at propane's P_sat(20 °C)."""
    units = [_unit("U1", "pressure_vessel", 20.0, 0.2)]
    items = [_item("U1", "LPG", "液化石油气", 100.0, "liquefied_pressurized", 20.0, 0.2)]
    g3 = build_scenarios(*_frames(units, items)).scenarios.query("loc == 'G.3'").iloc[0]
    from geo_risk.chemicals import chemical_properties

    psat = chemical_properties(52).vapour_pressure_20c_kpa * 1e3  # Pa abs, propane basis
    rho = float(_release_props("74-98-6")["liquid_density_20c_kg_m3"])
    rate = 0.61 * math.pi * 0.010**2 / 4 * rho * math.sqrt(2 * (psat - P_ATM) / rho + 2 * G_N * 10.0)
    assert psat > 0.2e6 + P_ATM
    assert g3["release_rate_kg_s"] == pytest.approx(rate, rel=1e-6)
    assert "raised to the vapour pressure" in g3["notes"]


# ---------------------------------------------------------------------------------------------
# Through the grid engine
# ---------------------------------------------------------------------------------------------


def test_sources_run_through_the_grid_and_give_risk_downwind(plant: ScenarioSet) -> None:
    weather = Weather("D", 5.0)
    probabilities = np.zeros((1, 12))
    probabilities[0, 0] = 1.0  # wind always FROM the north: plumes go south
    rose = WindRose((weather,), probabilities)
    chlorine = plant.sources[0]
    grid = Grid(chlorine.x - 1000.0, chlorine.y - 2000.0, 50.0, 41, 81)
    ir = individual_risk(grid, plant.sources, rose)  # every source, /a
    assert np.isfinite(ir).all() and ir.max() > 0
    only_cl = individual_risk(grid, [chlorine], rose)
    j = 20  # the column of the chlorine vessel
    down, up = only_cl[40 - 10, j], only_cl[40 + 10, j]  # 500 m south (downwind) and 500 m north
    assert down > 1e-7  # /a: at least the G.1 + G.2 puff/plume frequencies reach 500 m
    assert up < down * 1e-3


# ---------------------------------------------------------------------------------------------
# More inventory never lowers a release nor shrinks a reach
# ---------------------------------------------------------------------------------------------

_D5 = Weather("D", 5.0)


def _one(kind: str, q_t: float) -> ScenarioSet:
    unit = {
        "cl": _unit("U", "pressure_vessel", 20.0, 0.58),
        "lpg": _unit("U", "pressure_vessel", 20.0, 0.75),
        "gsl": _unit("U", "atmospheric_tank"),
    }[kind]
    item = {
        "cl": _item("U", "I", "液氯", q_t, "liquefied_pressurized", 20.0, 0.58),
        "lpg": _item("U", "I", "液化石油气", q_t, "liquefied_pressurized", 20.0, 0.75),
        "gsl": _item("U", "I", "汽油", q_t, "liquid"),
    }[kind]
    return build_scenarios(*_frames([unit], [item]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["cl", "lpg", "gsl"]),
    q_t=st.floats(min_value=0.05, max_value=2000.0),
    factor=st.floats(min_value=1.0, max_value=50.0),
)
def test_more_inventory_never_lowers_a_release_or_a_reach(kind: str, q_t: float, factor: float) -> None:
    small, large = _one(kind, q_t), _one(kind, q_t * factor)
    key = ["loc", "tree", "branch"]
    a = small.scenarios.set_index(key)
    b = large.scenarios.set_index(key)
    assert list(a.index) == list(b.index)
    assert (b["release_mass_kg"] >= a["release_mass_kg"] * (1 - 1e-12)).all()
    rates = a["release_rate_kg_s"].notna()
    assert (b.loc[rates, "release_rate_kg_s"] >= a.loc[rates, "release_rate_kg_s"] * (1 - 1e-12)).all()
    for ra, rb in zip(a.itertuples(), b.itertuples(), strict=True):
        ea = small.sources[ra.source_index].events[ra.event_index]
        eb = large.sources[rb.source_index].events[rb.event_index]
        assert eb.max_distance_m(_D5) >= ea.max_distance_m(_D5), ra.Index


# ---------------------------------------------------------------------------------------------
# The sample city
# ---------------------------------------------------------------------------------------------


def test_sample_city_qra_enterprises(db_url: str) -> None:
    from helpers import SAMPLE_CITY, load

    from geo_risk.analysis.methods import method_table
    from geo_risk.store.read import read_layer, read_table

    load(SAMPLE_CITY, db_url)
    methods = method_table(db_url)
    qra = set(methods.loc[(methods["level"] == "enterprise") & (methods["method"] == "qra"), "enterprise_id"])
    assert qra
    layer = read_layer(db_url, "hazard_units", tuple(_UNIT_COLUMNS))
    layer = layer[layer["enterprise_id"].isin(qra)]
    centroids = layer.to_crs("EPSG:32652").geometry.centroid  # UTM 52N, m
    positions = {uid: (pt.x, pt.y) for uid, pt in centroids.items()}
    units = pd.DataFrame(layer.drop(columns="geometry"))
    inventory = read_table(db_url, "inventory", tuple(c for c in _INV_COLUMNS if c != "id"), index=False)
    inventory = inventory[inventory["unit_id"].isin(units.index)]
    s = build_scenarios(units, inventory, positions)
    n_events = sum(len(src.events) for src in s.sources)
    print(
        f"\nsample city: {len(qra)} QRA enterprises, {len(units)} units, {len(inventory)} items -> "
        f"{len(s.sources)} sources, {n_events} events, {len(s.problems)} problems"
    )
    assert len(s.sources) > 0 and n_events == len(s.scenarios) > 0
    assert (s.scenarios["frequency_per_year"] > 0).all()
    sums = s.scenarios.groupby(["source_index", "loc", "tree"])["branch_probability"].sum()
    assert (sums <= 1.0 + 1e-12).all()
    modelled = {src.name.split("/", 1)[1] for src in s.sources}
    reported = {iid for iid in inventory["id"] if any(f"存量 {iid}（" in p for p in s.problems)}
    assert set(inventory["id"]) == modelled | reported  # never silently dropped
    assert all(p.startswith("单元") and " / unit " in p for p in s.problems)
    xs = np.array([src.x for src in s.sources])
    assert (xs > 1e5).all() and (xs < 9e5).all()  # UTM eastings, m


# ---------------------------------------------------------------------------------------------
# release_properties.csv is what the chemicals library gives
# ---------------------------------------------------------------------------------------------

#: Substances outside GB 18218 Table 1 that the sample city and common plants hold: (CAS, name,
#: the CAS whose data stand for it, basis text).
_EXTRA = (
    ("115-07-1", "丙烯", "115-07-1", "propylene"),
    ("106-98-9", "1-丁烯", "106-98-9", "1-butene"),
    ("106-97-8", "正丁烷", "106-97-8", "n-butane"),
    ("75-28-5", "异丁烷", "75-28-5", "isobutane"),
    (
        "1330-20-7",
        "二甲苯",
        "108-38-3",
        "m-xylene, the main isomer of mixed xylenes (the mixture CAS 1330-20-7 is not in the library)",
    ),
    ("100-41-4", "乙苯", "100-41-4", "ethylbenzene"),
    ("1634-04-4", "甲基叔丁基醚", "1634-04-4", "methyl tert-butyl ether"),
    ("67-63-0", "异丙醇", "67-63-0", "isopropanol"),
    ("71-36-3", "正丁醇", "71-36-3", "n-butanol"),
)
_RELEASE_COLUMNS = [
    "cas",
    "name_zh",
    "table1_seq",
    "basis_cas",
    "basis",
    "molar_mass_g_per_mol",
    "boiling_point_c",
    "critical_temperature_c",
    "vapour_pressure_20c_kpa",
    "lower_flammability_limit_vol_pct",
    "heat_of_combustion_lhv_mj_per_kg",
    "heat_capacity_ratio_20c",
    "liquid_density_20c_kg_m3",
    "liquid_density_tb_kg_m3",
    "heat_of_vaporisation_tb_kj_per_kg",
    "liquid_heat_capacity_kj_per_kg_k",
    "flash_point_c",
    "source",
    "reference",
    "status",
    "version",
]
_T20_K = 293.15
#: How far outside its fitted temperature range a Perry's Table 2-153 liquid Cp may be read (K).
CP_RANGE_MARGIN_K = 5.0


def render_release_properties() -> str:
    """The text of ``release_properties.csv`` from the ``chemicals`` library (pinned, dev extra).

    Rows: every GB 18218 Table 1 row that is a gas or liquid at 25 °C and is modelled here (W2, a
    W5 code, or a Set A toxic probit), keyed by the CAS its properties are for (``properties.csv``
    basis), then :data:`_EXTRA`. Table 1 rows carry only the release data (their base properties
    are geo_risk.chemicals'); extra rows also carry base properties by the rules of
    scripts/build_chemical_properties.py. Per value, the first tabulated source that applies:

    * γ = c_p/(c_p − R) at 20 °C, ideal-gas c_p from TRC, Poling (polynomial, or 298 K), CRC (298 K);
    * liquid density at 20 °C (if below T_c) and at T_b: VDI PPDS 2, Perry 8E (DIPPR 105), COSTALD
      with the library's T_c, V_c, ω;
    * heat of vaporisation at T_b: CRC, Perry 2-150, VDI PPDS 4, Alibakhshi;
    * liquid c_p at 20 °C (at T_b for substances boiling below 20 °C): Perry 2-153, Poling, CRC (298 K);
    * flash point: the library's first tabulated method (IEC 60079-20-1, NFPA 497, DIPPR, Wikidata).
    """
    import chemicals
    from chemicals import dippr, identifiers, safety, volume
    from chemicals import heat_capacity as hc
    from chemicals import phase_change as pc

    from geo_risk.chemicals import all_substances
    from geo_risk.risk.parameters import load_parameters

    spec = importlib.util.spec_from_file_location(
        "build_chemical_properties", REPO / "scripts" / "build_chemical_properties.py"
    )
    bcp = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bcp)  # type: ignore[union-attr]
    hc._load_Cp_data()
    volume._load_rho_data()
    pc._load_phase_change_correlations()
    pc._load_phase_change_constants()

    def in_range(row, t: float) -> bool:
        return float(row["Tmin"]) <= t <= float(row["Tmax"])

    def cp_gas(cas: str, t: float) -> tuple[float, str]:  # J/(mol K)
        if cas in hc.TRC_gas_data.index and in_range(r := hc.TRC_gas_data.loc[cas], t):
            return hc.TRCCp(t, r.a0, r.a1, r.a2, r.a3, r.a4, r.a5, r.a6, r.a7), "Cpg TRC"
        if cas in hc.Cp_data_Poling.index:
            r = hc.Cp_data_Poling.loc[cas]
            if not math.isnan(r.a0) and in_range(r, t):
                return hc.Poling(t, r.a0, r.a1, r.a2, r.a3, r.a4), "Cpg Poling"
            if not math.isnan(r.Cpg):
                return float(r.Cpg), "Cpg Poling 298 K"
        if cas in hc.CRC_standard_data.index and not math.isnan(hc.CRC_standard_data.loc[cas].Cpg):
            return float(hc.CRC_standard_data.loc[cas].Cpg), "Cpg CRC 298 K"
        return math.nan, ""

    def rho_liquid(cas: str, t: float, mw: float) -> tuple[float, str]:  # kg/m3
        if cas in volume.rho_data_VDI_PPDS_2.index and t < float((r := volume.rho_data_VDI_PPDS_2.loc[cas]).Tc):
            return mw / 1000.0 / volume.volume_VDI_PPDS(t, r.Tc, r.rhoc, r.A, r.B, r.C, r.D, r.MW), "rhol VDI_PPDS_2"
        if cas in volume.rho_data_Perry_8E_105_l.index and in_range(r := volume.rho_data_Perry_8E_105_l.loc[cas], t):
            return dippr.EQ105(t, r.C1, r.C2, r.C3, r.C4) * mw / 1000.0, "rhol Perry_8E_105"
        tc, vc, omega = chemicals.Tc(cas), chemicals.Vc(cas), chemicals.omega(cas)
        if None not in (tc, vc, omega) and t < tc:
            return mw / 1000.0 / volume.COSTALD(t, tc, vc, omega), "rhol COSTALD (Tc, Vc, omega)"
        return math.nan, ""

    def hvap_tb(cas: str, tb: float) -> tuple[float, str]:  # J/mol
        if cas in pc.Hvap_data_CRC.index and not math.isnan(pc.Hvap_data_CRC.loc[cas].HvapTb):
            return float(pc.Hvap_data_CRC.loc[cas].HvapTb), "HvapTb CRC"
        if cas in pc.phase_change_data_Perrys2_150.index and in_range(
            r := pc.phase_change_data_Perrys2_150.loc[cas], tb
        ):
            return dippr.EQ106(tb, r.Tc, r.C1, r.C2, r.C3, r.C4), "Hvap Perrys2_150"
        if cas in pc.phase_change_data_VDI_PPDS_4.index and tb < float(
            (r := pc.phase_change_data_VDI_PPDS_4.loc[cas]).Tc
        ):
            return pc.PPDS12(tb, r.Tc, r.A, r.B, r.C, r.D, r.E), "Hvap VDI_PPDS_4"
        if cas in pc.phase_change_data_Alibakhshi_Cs.index and chemicals.Tc(cas):
            return pc.Alibakhshi(
                tb, chemicals.Tc(cas), pc.phase_change_data_Alibakhshi_Cs.loc[cas].C
            ), "Hvap Alibakhshi"
        return math.nan, ""

    def cp_liquid(cas: str, t: float) -> tuple[float, str]:  # J/(mol K)
        if cas in hc.Cp_data_Perry_Table_153_100.index and in_range(r := hc.Cp_data_Perry_Table_153_100.loc[cas], t):
            return dippr.EQ100(t, r.A, r.B, r.C, r.D, r.E) / 1000.0, "Cpl Perry_153_100"
        if cas in hc.Cp_data_Perry_Table_153_114.index and in_range(r := hc.Cp_data_Perry_Table_153_114.loc[cas], t):
            return dippr.EQ114(t, chemicals.Tc(cas), r.A, r.B, r.C, r.D) / 1000.0, "Cpl Perry_153_114"
        if cas in hc.Cp_data_Poling.index and not math.isnan(hc.Cp_data_Poling.loc[cas].Cpl):
            return float(hc.Cp_data_Poling.loc[cas].Cpl), "Cpl Poling 298 K"
        if cas in hc.CRC_standard_data.index and not math.isnan(hc.CRC_standard_data.loc[cas].Cpl):
            return float(hc.CRC_standard_data.loc[cas].Cpl), "Cpl CRC 298 K"
        # model 2.2.0 (issue 13): liquefied gases without a liquid heat capacity had no flash
        # fraction and no aerosol. Perry's Table 2-153 fit a little outside its range (chlorine's
        # ends 0.08 K below its T_b; ≤ CP_RANGE_MARGIN_K), else, for a gas liquefied at 20 °C, the
        # Rowlinson–Poling corresponding-states estimate from Tc, ω and the ideal-gas Cp (Poling,
        # Prausnitz & O'Connell 2001, ch. 6).
        if cas in hc.Cp_data_Perry_Table_153_100.index:
            r = hc.Cp_data_Perry_Table_153_100.loc[cas]
            off = max(float(r["Tmin"]) - t, t - float(r["Tmax"]))
            if off <= CP_RANGE_MARGIN_K:
                cp = dippr.EQ100(t, r.A, r.B, r.C, r.D, r.E) / 1000.0
                return cp, f"Cpl Perry_153_100 ({off:.2g} K outside its range)"
        tc, omega = chemicals.Tc(cas), chemicals.omega(cas)
        cpg, how = cp_gas(cas, t)
        liquefied_gas = (tb := chemicals.Tb(cas)) is not None and tb < _T20_K  # where the flash fraction matters
        if liquefied_gas and tc is not None and omega is not None and how and t < tc:
            return hc.Rowlinson_Poling(t, tc, omega, cpg), f"Cpl Rowlinson-Poling estimate (Tc, omega, {how})"
        return math.nan, ""

    probit_cas = {r.cas for r in load_parameters().toxic_set_a.values()}
    entries: list[tuple[str, str, str, str, str]] = []
    seen: set[str] = set()
    for s in all_substances():
        p = s.properties
        if p is None or p.phase_at_25c not in ("gas", "liquid") or p.molar_mass_g_per_mol is None or p.cas in seen:
            continue
        if not (any(c == "W2" or c.startswith("W5") for c in s.table2_codes) or p.cas in probit_cas):
            continue
        seen.add(p.cas)
        entries.append((p.cas, s.name_zh, str(s.seq), p.cas, "Table 1 row: base properties from geo_risk.chemicals"))
    entries += [(cas, name, "", basis_cas, basis) for cas, name, basis_cas, basis in _EXTRA]

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_RELEASE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for cas, name, seq, basis_cas, basis in entries:
        row = dict.fromkeys(_RELEASE_COLUMNS, "")
        row.update(cas=cas, name_zh=name, table1_seq=seq, basis_cas=basis_cas, basis=basis, status="C1", version="1")
        row["reference"] = "the library tables named in source"
        methods: list[str] = []
        if not seq:  # base properties by the Table 1 generator's rules
            base = bcp.build_row({"seq": "0", "name_zh": name, "cas": basis_cas})
            for c in (
                "molar_mass_g_per_mol",
                "boiling_point_c",
                "critical_temperature_c",
                "vapour_pressure_20c_kpa",
                "lower_flammability_limit_vol_pct",
                "heat_of_combustion_lhv_mj_per_kg",
            ):
                row[c] = base[c]
            methods.append(base["source"].split(" [", 1)[1].rstrip("]"))
        mw = float(identifiers.search_chemical(basis_cas).MW)
        tb, tc = chemicals.Tb(basis_cas), chemicals.Tc(basis_cas)
        cpg, how = cp_gas(basis_cas, _T20_K)
        if how:
            row["heat_capacity_ratio_20c"] = bcp._fmt(cpg / (cpg - R_GAS), 4)
            methods.append(how)
        if tc is None or tc > _T20_K:
            rho, how = rho_liquid(basis_cas, _T20_K, mw)
            if how:
                row["liquid_density_20c_kg_m3"] = bcp._fmt(rho, 1)
                methods.append(how + " 20 °C")
        if tb is not None:
            rho, how = rho_liquid(basis_cas, tb, mw)
            if how:
                row["liquid_density_tb_kg_m3"] = bcp._fmt(rho, 1)
                methods.append(how + " Tb")
            hv, how = hvap_tb(basis_cas, tb)
            if how:
                row["heat_of_vaporisation_tb_kj_per_kg"] = bcp._fmt(hv / mw, 1)
                methods.append(how)
        t_cp = _T20_K if tb is None or tb > _T20_K else tb
        cpl, how = cp_liquid(basis_cas, t_cp)
        if how:
            row["liquid_heat_capacity_kj_per_kg_k"] = bcp._fmt(cpl / mw, 3)
            methods.append(how + (" 20 °C" if t_cp == _T20_K else " Tb"))
            if "outside its range" in how or "Rowlinson" in how:
                row["version"] = "2"  # filled by the 2.2.0 rules
        flash_methods = [m for m in safety.T_flash_methods(basis_cas) if m not in bcp.ESTIMATION_METHODS]
        if flash_methods and (fp := safety.T_flash(basis_cas, method=flash_methods[0])) is not None:
            row["flash_point_c"] = bcp._fmt(fp - 273.15, 1)
            methods.append(f"Tflash {flash_methods[0]}")
        row["source"] = f"chemicals {chemicals.__version__} [{'; '.join(methods)}]"
        writer.writerow(row)
    return out.getvalue()


def test_release_properties_csv_is_the_library_output() -> None:
    committed = (DATA / RELEASE_CSV).read_text(encoding="utf-8")
    assert render_release_properties() == committed, "run .venv/bin/python tests/risk/test_scenarios.py --write"


def test_release_properties_are_physically_sane() -> None:
    rows = _csv(RELEASE_CSV)
    assert len({r["cas"] for r in rows}) == len(rows)
    for r in rows:
        if r["heat_capacity_ratio_20c"]:
            assert 1.0 < float(r["heat_capacity_ratio_20c"]) < 1.7, r["cas"]
        for c in ("liquid_density_20c_kg_m3", "liquid_density_tb_kg_m3"):
            if r[c]:
                assert 60.0 < float(r[c]) < 3200.0, (r["cas"], c)  # kg/m³: liquid hydrogen 71 … bromine 3120
    propane = _release_props("74-98-6")
    assert float(propane["liquid_density_20c_kg_m3"]) == pytest.approx(500.0, rel=0.02)  # kg/m³, saturated at 20 °C
    assert float(propane["heat_of_vaporisation_tb_kj_per_kg"]) == pytest.approx(426.0, rel=0.03)  # kJ/kg at T_b


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        (DATA / RELEASE_CSV).write_text(render_release_properties(), encoding="utf-8")
        print(f"wrote {DATA / RELEASE_CSV}")
    else:
        print(__doc__)
