"""GB/T 37243-2019 method selection, design-code distances and the floor rule.

Against ``docs/standards/gbt37243-2019.md`` (§3 decision rule, §4 overpressure table) and
``docs/standards/land-use-planning.md`` (§2–4 code tables, parsed here from the markdown and compared
row by row with the package data), with constructed enterprises for every branch."""

from __future__ import annotations

import doctest
import math
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import STANDARDS_NOTES
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.disclosure import disclose
from geo_risk.errors import InvalidInput
from geo_risk.standards import gbt37243
from geo_risk.standards.gb36894 import TARGET_CLASSES
from geo_risk.standards.gbt37243 import (
    QRA_TRIGGER,
    QraTrigger,
    classify_substance,
    code_distances,
    consequence_distances_m,
    criteria_column,
    declared_distances,
    design_code_table,
    external_distances,
    overpressure_thresholds_kpa,
    select_method,
    select_methods,
)

LAND_USE = STANDARDS_NOTES / "land-use-planning.md"
GBT37243 = STANDARDS_NOTES / "gbt37243-2019.md"
CLASSES = list(TARGET_CLASSES)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{4,}")


def assert_bilingual(text: str) -> None:
    """Chinese first, then English, joined by ' / '."""
    assert " / " in text, text
    zh, en = text.split(" / ", 1)
    assert _CJK.search(zh), text
    assert _WORD.search(en), text
    first_cjk = _CJK.search(text).start()
    first_word = _WORD.search(text).start()
    assert first_cjk < first_word, text


# =============================================================================================
# Markdown tables of the reference, parsed independently of the package


def _section(path: Path, heading: str) -> str:
    """Text from the line starting with ``heading`` to the next heading of the same or higher level."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    level = len(heading) - len(heading.lstrip("#"))
    out = []
    for line in lines[start + 1:]:
        m = re.match(r"^(#+) ", line)
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return "\n".join(out)


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables in ``text``: each a list of rows (header first), cells stripped, separator dropped."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _plain(cell: str) -> str:
    return cell.replace("**", "").strip()


def _number(cell: str) -> float:
    """The cell as metres if it is one number (optionally followed by words in brackets), else NaN."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(?:\s*\(.*\))?", _plain(cell))
    return float(m.group(1)) if m else math.nan


def _csv_table(standard: str, table: str) -> pd.DataFrame:
    t = design_code_table()
    return t[(t["standard"] == standard) & (t["table"] == table)]


def _compare_grid(md: list[list[str]], standard: str, table: str, label_cells: int = 1,
                  status: str | None = None, bold_status: tuple[str, str] | None = None) -> None:
    """Every cell of a markdown grid equals one CSV row (same row label, column, text, metres)."""
    header, body = md[0], md[1:]
    data = _csv_table(standard, table)
    assert len(data) == len(body) * (len(header) - label_cells), (standard, table)
    for cells in body:
        row = " | ".join(_plain(c) for c in cells[:label_cells])
        mine = data[data["row"] == row]
        assert len(mine) == len(header) - label_cells, row
        for col, cell in zip(header[label_cells:], cells[label_cells:], strict=True):
            (hit,) = mine[mine["column"] == _plain(col)].to_dict("records")
            assert hit["value_text"] == _plain(cell), (row, col)
            expected = _number(cell)
            if math.isnan(expected):
                assert math.isnan(hit["value_m"]), (row, col, hit["value_m"])
            else:
                assert hit["value_m"] == pytest.approx(expected, abs=0), (row, col)
            if status is not None:
                assert hit["status"] == status, (row, col)
            if bold_status is not None:
                assert hit["status"] == (bold_status[0] if cell.startswith("**") else bold_status[1]), (row, col)
            assert hit["edition"] and hit["source"].startswith("docs/standards/land-use-planning.md")


def test_gb50160_table_4_1_9_equals_the_reference_row_by_row() -> None:
    (md,) = _tables(_section(LAND_USE, "### 2.1 Table 4.1.9"))
    assert len(md) == 15  # header + 14 rows
    _compare_grid(md, "GB 50160", "4.1.9", status="UNCONFIRMED")
    (res,) = _csv_table("GB 50160", "4.1.9").query("row_key == 'residential'")[["value_m"]].T.to_numpy()
    assert list(res) == [150, 100, 120, 100, 25]


def test_gb50160_table_4_1_11_equals_the_reference_row_by_row() -> None:
    (md,) = _tables(_section(LAND_USE, "### 2.2 Table 4.1.11"))
    _compare_grid(md, "GB 50160", "4.1.11", status="C1")


def test_gb50016_factory_and_warehouse_items_equal_the_reference() -> None:
    md = _tables(_section(LAND_USE, "### 3.1 Factories and warehouses"))[0]
    assert md[0] == ["Item", "Value (m)", "Status"]
    t = design_code_table()
    data = t[(t["standard"] == "GB 50016") & t["table"].isin(["3.4.1 / Art. 3.4.2", "3.5.2 notes"])]
    assert len(data) == len(md) - 1
    for item, value, status in md[1:]:
        (hit,) = data[data["row"] == _plain(item)].to_dict("records")
        assert hit["value_text"] == value
        assert hit["value_m"] == _number(value)
        assert f"[{hit['status']}]" == status
        assert hit["table"] == ("3.5.2 notes" if "warehouse" in item else "3.4.1 / Art. 3.4.2")


def test_gb50016_table_3_5_1_equals_the_reference_row_by_row() -> None:
    tables = _tables(_section(LAND_USE, "### 3.1 Factories and warehouses"))
    md = tables[1]
    assert md[0][0] == "Neighbour"
    _compare_grid(md, "GB 50016", "3.5.1", status="UNCONFIRMED")


def test_gb50016_table_4_2_1_equals_the_reference_with_bold_columns_c1() -> None:
    (md,) = _tables(_section(LAND_USE, "### 3.2 Table 4.2.1"))
    _compare_grid(md, "GB 50016", "4.2.1", label_cells=2, bold_status=("C1", "UNCONFIRMED"))


def test_gb50074_grades_and_recalled_row_equal_the_reference() -> None:
    text = _section(LAND_USE, "## 4. GB 50074-2014")
    (md,) = _tables(text)
    grades = pd.read_csv(Path(gbt37243.__file__).parent / "data" / "gb50074_depot_grades.csv")
    assert len(grades) == len(md) - 1
    for (grade, tv), rec in zip(md[1:], grades.to_dict("records"), strict=True):
        assert rec["grade_zh"] == grade and rec["value_text"] == tv and rec["status"] == "UNCONFIRMED"
        bounds = [float(n.replace(",", "")) for n in re.findall(r"[\d,]+", tv) if n.strip(",")]
        assert bounds[-1] == rec["total_volume_max_m3"]
        if len(bounds) == 2:
            assert bounds[0] == rec["total_volume_min_m3"]
    recalled = dict(re.findall(r"([一二三四五]级) (\d+)", text.split("Recalled first row")[1].split("丙 tank")[0]))
    row = _csv_table("GB 50074", "4.0.10")
    assert len(row) == len(recalled) == 5
    for grade, metres in recalled.items():
        (hit,) = row[row["column"].str.endswith(grade)].to_dict("records")
        assert hit["value_m"] == float(metres) and hit["status"] == "UNCONFIRMED"


def test_overpressure_thresholds_equal_the_reference() -> None:
    (md,) = _tables(_section(GBT37243, "## 4. Consequence method"))
    names = {"高敏感防护目标": "high_sensitive", "重要防护目标": "important", "一般防护目标一类": "general_1",
             "一般防护目标二类": "general_2", "一般防护目标三类": "general_3"}
    expected = {}
    for label, value in md[1:]:
        kpa = float(value.split()[0])
        assert "[UNCONFIRMED]" in value
        for name in label.split(", "):
            expected[names[name]] = kpa
    assert overpressure_thresholds_kpa() == expected == {
        "high_sensitive": 2, "important": 2, "general_1": 2, "general_2": 5, "general_3": 9}


def test_every_data_row_has_provenance_and_valid_class_mapping() -> None:
    t = design_code_table()
    for col in ("standard", "edition", "table", "row_key", "row", "row_zh", "column_key", "column", "column_zh",
                "value_text", "status", "source"):
        assert (t[col].str.len() > 0).all(), col
    assert set(t["status"]) <= {"C1", "C2", "UNCONFIRMED"}
    assert not t.duplicated(["standard", "table", "row_key", "column_key"]).any()
    mapped = t[t["gb36894_classes"] != ""]
    assert (mapped["class_map_status"] == "CHOICE").all()
    assert (t.loc[t["gb36894_classes"] == "", "class_map_status"] == "").all()
    for classes in mapped["gb36894_classes"]:
        assert set(classes.split(";")) <= set(CLASSES)
    residential = t[(t["table"] == "4.1.9") & (t["row_key"] == "residential")]
    assert (residential["gb36894_classes"].str.split(";").apply(set) == set(CLASSES)).all()
    assert residential["row_zh"].iloc[0] == "居民区、公共福利设施、村庄"


def test_every_rule_points_at_cells_that_exist() -> None:
    t = design_code_table()
    keys = set(zip(t["standard"], t["table"], t["row_key"], t["column_key"], strict=True))
    rules = pd.read_csv(Path(gbt37243.__file__).parent / "data" / "design_code_rules.csv", dtype=str)
    items = ["items_3_4_le_5t", "items_3_4_gt_5t", "items_1_2_5_6_le_10t", "items_1_2_5_6_gt_10t"]
    for rule in rules.to_dict("records"):
        columns = items if rule["column_key"] == "@class_a_items" else [rule["column_key"]]
        for row in rule["row_keys"].split(";"):
            for col in columns:
                assert (rule["standard"], rule["table"], row, col) in keys, rule["rule_id"]
        assert rule["status"] in {"CHOICE", "UNCONFIRMED"}


# =============================================================================================
# Substances


@pytest.mark.parametrize(
    ("chemical", "categories", "explosive", "toxic", "flammable", "q_t"),
    [
        ("氯", None, False, True, False, 5.0),  # W4;J3
        ("液氨", None, False, True, True, 10.0),  # W2;J3
        ("液化石油气", None, False, False, True, 50.0),  # W2
        ("氰化氢", None, False, True, False, 1.0),  # W5.1;J2, a liquid, but GB 18218 Table 3 names it a toxic gas
        ("1,2-环氧丙烷", None, False, False, False, 10.0),  # J4 is a liquid row
        ("氧", None, False, False, False, 200.0),  # W4 oxidizing gas only
        ("2,4,6-三硝基甲苯", None, True, False, False, 5.0),  # W1.1
        ("硝酸铵(含可燃物≤0.2%)", None, False, False, False, 50.0),  # W9.2, not an explosive
        ("一氧化碳", "W2;J3", False, True, True, 10.0),  # not in Table 1: lowest Q of W2 (10) and J3 (50)
        ("丙烯", "W2", False, False, True, 10.0),
    ],
)
def test_substance_roles_from_the_catalogue(chemical, categories, explosive, toxic, flammable, q_t) -> None:
    c = classify_substance(chemical, hazard_categories=categories)
    assert (c.known, c.explosive, c.toxic_gas, c.flammable_gas) == (True, explosive, toxic, flammable)
    assert c.critical_quantity_t == q_t
    assert_bilingual(c.basis)


def test_unknown_and_ambiguous_substances_are_not_guessed() -> None:
    unknown = classify_substance("某未知溶剂")
    assert not unknown.known and unknown.critical_quantity_t is None and not unknown.gas
    assert "not in GB 18218-2018 Table 1" in unknown.problem
    ambiguous = classify_substance(None, cas="9004-70-0")  # nitrocellulose rows 37–42: W1.1 … W10
    assert not ambiguous.known and "several GB 18218-2018 Table 1 rows" in ambiguous.problem


# =============================================================================================
# Method selection


def test_explosives_give_the_consequence_method() -> None:
    m = select_method({"U1": [("2,4,6-三硝基甲苯", 2)], "U2": [("甲苯", 100)]})
    assert m.method == "consequence" and m.explosives == ("2,4,6-三硝基甲苯",) and not m.provisional
    assert m.units["U1"].method == "consequence"
    assert m.units["U2"].method == "design_code"  # no gas trigger
    for text in (disclose(m.reason, "restricted"), disclose(m.units["U1"].reason, "restricted")):
        assert_bilingual(text)
        assert "事故后果法" in text and "consequence method" in text
        assert "2,4,6-三硝基甲苯 2 t" in text and "W1.1" in text
    public = disclose(m.reason, "public")  # the method and the substance, not its quantity
    assert "事故后果法" in public and "2,4,6-三硝基甲苯（W1.1" in public and " 2 t" not in public


def test_explosives_with_a_met_gas_trigger_leave_the_other_units_to_qra() -> None:
    m = select_method({"U1": [("2,4,6-三硝基甲苯", 2)], "U2": [("液氯", 60)], "U3": [("甲苯", 10)]})
    assert m.method == "consequence" and m.trigger_met and m.gas_sum == 12.0
    assert [m.units[u].method for u in ("U1", "U2", "U3")] == ["consequence", "qra", "qra"]
    assert "QRA" in m.reason and "Σq/Q = 12" in disclose(m.reason, "restricted")
    assert "Σq/Q ≥ 1" in disclose(m.reason, "public") and "12" not in disclose(m.reason, "public")


def test_an_explosive_at_zero_tonnes_is_not_present() -> None:
    m = select_method({"U1": [("2,4,6-三硝基甲苯", 0)]})
    assert m.method == "design_code" and m.explosives == ()


def test_chlorine_and_ammonia_above_q_give_qra_for_the_whole_enterprise() -> None:
    m = select_method({
        "chlorine store": [{"chemical": "液氯", "max_quantity_t": 5, "state": "liquefied_pressurized"}],
        "ammonia tank": [{"chemical": "液氨", "max_quantity_t": 3}],
        "toluene tanks": [("甲苯", 800)],  # no gas
        "empty warehouse": [],
    })
    assert m.method == "qra" and m.trigger_met
    assert m.gas_sum == pytest.approx(1.3, abs=1e-12)  # 5/5 + 3/10
    assert {u.method for u in m.units.values()} == {"qra"}
    assert m.units["toluene tanks"].gas_sum == 0.0
    assert_bilingual(m.reason)
    full = disclose(m.reason, "restricted")
    assert "氯 5 t/5 t = 1" in full and "氨 3 t/10 t = 0.3" in full and "Σq/Q = 1.3 ≥ 1" in full
    assert "whole enterprise" in m.reason and "UNCONFIRMED" in m.reason
    toluene = m.units["toluene tanks"].reason
    assert_bilingual(toluene)
    assert "随企业整体评估" in toluene and "assessed together with its whole enterprise" in toluene


def test_gasoline_tanks_only_give_design_code_distances_from_gb50160() -> None:
    m = select_method({"T1": [{"chemical": "汽油", "max_quantity_t": 12500, "state": "liquid"}]})
    assert m.method == "design_code" and m.gas_sum == 0.0
    assert "规范距离" in m.reason and "Σq/Q = 0" in m.reason
    d = code_distances({"unit_type": "storage", "equipment": "atmospheric_tank", "fire_class": "甲"},
                       [{"chemical": "汽油", "max_quantity_t": 12500}])
    assert dict(d.distance_m) == dict.fromkeys(CLASSES, 100.0)
    assert d.rules == ("liquid_tank_group",) and d.statuses == ("CHOICE", "UNCONFIRMED")
    for c in CLASSES:
        assert_bilingual(d.basis[c])
        assert "GB 50160 表4.1.9「居民区、公共福利设施、村庄」×「甲、乙类液体罐组」" in d.basis[c]
        assert "= 100 m" in d.basis[c] and "UNCONFIRMED" in d.basis[c] and "CHOICE" in d.basis[c]


def test_exactly_one_is_qra_in_exact_arithmetic() -> None:
    # 1.5/5 + 6/10 + 0.5/5 = 0.3 + 0.6 + 0.1 = 1 exactly, although binary floats give 0.9999999999999999.
    assert 1.5 / 5 + 6 / 10 + 0.5 / 5 < 1
    on = select_method({"U1": [("氢", 1.5), ("氨", 6)], "U2": [("氯", 0.5)]})
    assert on.method == "qra" and on.gas_sum == 1.0 and "Σq/Q = 1 ≥ 1" in disclose(on.reason, "restricted")
    below = select_method({"U1": [("氢", 1.5), ("氨", 6)], "U2": [("氯", 0.49)]})
    assert below.method == "design_code" and "< 1" in below.reason


def test_trigger_scope_is_a_named_choice() -> None:
    assert (QRA_TRIGGER.scope, QRA_TRIGGER.threshold, QRA_TRIGGER.whole_enterprise, QRA_TRIGGER.status) == (
        "enterprise", Decimal(1), True, "UNCONFIRMED")
    inventory = {"U1": [("氯", 2.5)], "U2": [("氨", 5)]}  # 0.5 + 0.5: 1 for the enterprise, 0.5 per unit
    assert select_method(inventory).method == "qra"
    per_unit = select_method(inventory, trigger=QraTrigger(scope="unit"))
    assert per_unit.method == "design_code" and "单个单元" in per_unit.reason and "in one unit" in per_unit.reason
    gas_units_only = select_method({"U1": [("氯", 5)], "U2": [("甲苯", 5)]},
                                   trigger=QraTrigger(whole_enterprise=False))
    assert gas_units_only.method == "qra"
    assert (gas_units_only.units["U1"].method, gas_units_only.units["U2"].method) == ("qra", "design_code")
    with pytest.raises(InvalidInput, match="valid scopes"):
        select_method(inventory, trigger=QraTrigger(scope="site"))  # type: ignore[arg-type]


def test_unknown_category_is_named_and_makes_the_method_provisional() -> None:
    m = select_method({"U1": [("某未知溶剂", 10)], "U2": [("甲苯", 5)]})
    assert m.method == "design_code" and m.provisional and m.unknown == ("某未知溶剂",)
    assert_bilingual(m.reason)
    assert "类别未知、未计入：某未知溶剂 10 t（单元 U1）" in disclose(m.reason, "restricted")
    assert "类别未知、未计入：某未知溶剂（单元 U1）" in disclose(m.reason, "public")
    assert "category unknown, not counted" in m.reason and "the method is provisional" in m.reason
    assert m.units["U1"].provisional and m.units["U2"].provisional
    assert "unknown category" in m.units["U2"].reason
    decided = select_method({"U1": [("某未知溶剂", 10), ("2,4,6-三硝基甲苯", 1)]})
    assert decided.method == "consequence" and not decided.provisional and "cannot change the method" in decided.reason


def test_bad_quantities_are_all_listed() -> None:
    with pytest.raises(InvalidInput) as err:
        select_method({"U1": [("氯", -1), ("氨", float("nan"))], "U2": [("苯", "many")]})
    message = str(err.value)
    assert "unit U1 item 1" in message and "unit U1 item 2" in message and "unit U2 item 1" in message


def test_frames_every_enterprise_gets_a_method() -> None:
    enterprises = pd.DataFrame({"status": ["operating", "planned", "operating"]}, index=["E1", "E2", "E3"])
    units = pd.DataFrame({"enterprise_id": ["E1", "E1", "E2"]}, index=["U1", "U2", "U3"])
    inventory = pd.DataFrame({
        "unit_id": ["U1", "U2", "U3"], "chemical": ["氯", "甲苯", "甲醇"], "cas": [None, None, None],
        "table1_seq": [None, 64, float("nan")], "hazard_categories": [None, None, None],
        "max_quantity_t": [20.0, 100.0, 30.0], "state": ["liquefied_pressurized", "liquid", None],
    })
    ents, us = select_methods(enterprises, units, inventory)
    assert ents["method"].to_dict() == {"E1": "qra", "E2": "design_code", "E3": "design_code"}
    assert ents.loc["E1", "gas_sum"] == 4.0 and ents.loc["E3", "n_units"] == 0
    assert "无危险化学品单元" in ents.loc["E3", "reason"] and "no hazard unit" in ents.loc["E3", "reason"]
    assert us["method"].to_dict() == {"U1": "qra", "U2": "qra", "U3": "design_code"}
    with pytest.raises(InvalidInput, match="E9"):
        select_methods(enterprises, pd.DataFrame({"enterprise_id": ["E9"]}, index=["U9"]), inventory.iloc[:0])


# =============================================================================================
# Criteria column

_NEW = "新建装置 / new installations"
_EXISTING = "在役装置 / existing installations"


@pytest.mark.parametrize(
    ("status", "key", "label"),
    [("planned", "new", _NEW), ("operating", "existing", _EXISTING), ("suspended", "existing", _EXISTING),
     (" Planned ", "new", _NEW)],
)
def test_criteria_column(status: str, key: str, label: str) -> None:
    crit = criteria_column(status)
    assert crit is not None and crit.key == key and crit.label == label
    assert_bilingual(crit.label)


def test_closed_is_left_out_and_unknown_status_raises() -> None:
    assert criteria_column("closed") is None
    with pytest.raises(InvalidInput, match="operating, suspended, closed"):
        criteria_column("demolished")


# =============================================================================================
# Design-code distances


def _unit(unit_type="storage", equipment="atmospheric_tank", fire_class="甲"):
    return {"unit_type": unit_type, "equipment": equipment, "fire_class": fire_class}


def test_lhc_tank_group_needs_a_liquefied_flammable_gas() -> None:
    lpg = code_distances(_unit(equipment="pressure_vessel"),
                         [{"chemical": "液化石油气", "max_quantity_t": 2000, "state": "liquefied_pressurized"}])
    assert dict(lpg.distance_m) == dict.fromkeys(CLASSES, 150.0) and "液化烃罐组" in lpg.basis["general_1"]
    hydrogen = code_distances(_unit(equipment="pressure_vessel"),
                              [{"chemical": "氢", "max_quantity_t": 1, "state": "gas"}])
    assert set(hydrogen.distance_m.values()) == {None}
    assert_bilingual(hydrogen.reason)
    assert "holds no liquefied flammable gas" in hydrogen.reason and "pressure_vessel" in hydrogen.reason
    no_state = code_distances(_unit(equipment="refrigerated_tank"), [{"chemical": "乙烯", "max_quantity_t": 1600}])
    assert set(no_state.distance_m.values()) == {None}
    assert "state (liquefied or compressed) missing for 乙烯" in no_state.reason


@pytest.mark.parametrize(
    ("unit", "missing"),
    [({"equipment": "atmospheric_tank", "fire_class": "甲"}, "unit_type"),
     (_unit(fire_class=None), "fire_class"),
     (_unit(equipment=float("nan")), "equipment")],
)
def test_missing_attributes_give_none_with_the_attribute_named(unit, missing) -> None:
    d = code_distances(unit)
    assert set(d.distance_m.values()) == {None} and not d.determined
    assert_bilingual(d.reason)
    assert f"{missing} (" in d.reason and "missing" in d.reason


def test_class_c_is_reduced_by_a_quarter() -> None:
    tank = code_distances(_unit(fire_class="丙"))
    plant = code_distances(_unit("production", "process_vessel", "丙"))
    assert dict(tank.distance_m) == dict(plant.distance_m) == dict.fromkeys(CLASSES, 75.0)
    assert "100 m × 0.75 = 75 m" in tank.basis["important"]


def test_class_a_production_takes_the_larger_of_gb50160_and_gb50016() -> None:
    d = code_distances(_unit("production", "process_vessel", "甲"))
    assert d.rules == ("process_unit", "factory_a")
    assert dict(d.distance_m) == dict.fromkeys(CLASSES, 100.0)  # GB 50016's 25 / 50 m are smaller
    assert "甲、乙类工艺装置或设施" in d.basis["high_sensitive"]


@pytest.mark.parametrize(
    ("inventory", "general_m"),
    [([("丙酮", 8)], 25.0),  # 甲 item 1, ≤ 10 t
     ([("丙酮", 12)], 30.0),  # > 10 t
     ([("碳化钙", 5)], 30.0),  # 甲 item 4, ≤ 5 t
     ([("碳化钙", 6)], 40.0),  # > 5 t
     ([("丙酮", 8), ("碳化钙", 6)], 40.0)],  # both groups: the larger
)
def test_class_a_warehouse_by_item_and_tonnes(inventory, general_m) -> None:
    d = code_distances(_unit(equipment="warehouse"), inventory)
    assert d.distance_m["high_sensitive"] == d.distance_m["important"] == 50.0
    assert [d.distance_m[c] for c in ("general_1", "general_2", "general_3")] == [general_m] * 3
    assert "GB 50016 表3.5.1" in d.basis["general_2"]


def test_class_a_warehouse_without_an_item_is_undetermined_where_columns_differ() -> None:
    d = code_distances(_unit(equipment="warehouse"), [("硝酸铵(含可燃物≤0.2%)", 40)])  # W9.2: no 甲 item
    assert d.distance_m["high_sensitive"] == 50.0  # every column says 50
    assert d.distance_m["general_1"] is None
    assert "Art. 3.1.3 class 甲 storage item" in d.basis["general_1"]
    assert_bilingual(d.basis["general_1"])


def test_class_b_warehouse_and_class_e_cylinders() -> None:
    b = code_distances(_unit(equipment="cylinder_store", fire_class="乙"), [("液氯", 30)])
    assert [b.distance_m[c] for c in CLASSES] == [50.0, 50.0, 25.0, 25.0, 25.0]
    assert "C1" in b.statuses
    e = code_distances(_unit(equipment="cylinder_store", fire_class="戊"), [("二氧化硫", 8)])
    assert set(e.distance_m.values()) == {None} and "class 戊" in e.reason


@settings(max_examples=200, deadline=None)
@given(
    unit_type=st.sampled_from(["production", "storage", None, "mine"]),
    equipment=st.sampled_from([None, "atmospheric_tank", "pressure_vessel", "refrigerated_tank", "process_vessel",
                               "pipeline", "warehouse", "cylinder_store", "flare"]),
    fire_class=st.sampled_from([None, "甲", "乙", "丙", "丁", "戊"]),
    inventory=st.lists(st.tuples(st.sampled_from(["液化石油气", "氢", "丙酮", "碳化钙", "某未知物", "氯"]),
                                 st.floats(0, 5000, allow_nan=False)), max_size=3),
    state=st.sampled_from([None, "gas", "liquefied_pressurized"]),
)
def test_code_distances_never_crash_and_always_explain(unit_type, equipment, fire_class, inventory, state) -> None:
    rows = [{"chemical": c, "max_quantity_t": q, "state": state} for c, q in inventory]
    d = code_distances({"unit_type": unit_type, "equipment": equipment, "fire_class": fire_class}, rows)
    for c in CLASSES:
        value = d.distance_m[c]
        assert value is None or value > 0
        assert_bilingual(d.basis[c])
    assert_bilingual(d.reason)


# =============================================================================================
# Floor rule and declared distances


def test_floor_rule_code_above_and_below_the_method() -> None:
    t = external_distances(
        {"high_sensitive": 80.0, "important": 250.0, "general_1": 100.0, "general_2": None},
        {"high_sensitive": 100.0, "important": 100.0, "general_1": 100.0, "general_2": 100.0},
    )
    assert t.loc["high_sensitive", "final_distance_m"] == 100.0 and t.loc["high_sensitive", "governed_by"] == "code"
    assert t.loc["important", "final_distance_m"] == 250.0 and t.loc["important", "governed_by"] == "method"
    assert t.loc["general_1", "governed_by"] == "equal"
    assert t.loc["general_2", "final_distance_m"] == 100.0  # design-code unit: no method distance
    assert math.isnan(t.loc["general_3", "final_distance_m"]) and t.loc["general_3", "governed_by"] is None
    assert list(t.index) == CLASSES
    for note in t["note"]:
        assert_bilingual(note)
    assert "底线规则" in t.loc["high_sensitive", "note"] and "floor rule" in t.loc["high_sensitive", "note"]
    assert_bilingual(t.loc["general_2", "class_label"])


def test_declared_shorter_is_flagged() -> None:
    code = dict.fromkeys(CLASSES, 100.0)
    t = external_distances(None, code, {"high_sensitive": 90.0, "important": 100.0, "general_1": 120.0})
    assert t.loc["high_sensitive", "declared_shorter"] is True
    assert t.loc["high_sensitive", "shortfall_m"] == 10.0
    assert "申报距离 90 m 小于 100 m" in t.loc["high_sensitive", "note"]
    assert t.loc["important", "declared_shorter"] is False  # equal is not shorter
    assert t.loc["general_1", "declared_shorter"] is False
    assert t.loc["general_2", "declared_shorter"] is None  # nothing declared
    assert math.isnan(t.loc["important", "shortfall_m"])


def test_declared_distances_fall_back_to_the_single_distance() -> None:
    unit = {"safety_distance_m": 300.0, "safety_distance_high_sensitive_m": 500.0,
            "safety_distance_general_3_m": float("nan")}
    assert declared_distances(unit) == {"high_sensitive": 500.0, "important": 300.0, "general_1": 300.0,
                                        "general_2": 300.0, "general_3": 300.0}
    assert declared_distances({}) == dict.fromkeys(CLASSES)
    with pytest.raises(InvalidInput, match="safety_distance_m"):
        declared_distances({"safety_distance_m": -5})


def test_bad_distances_raise() -> None:
    with pytest.raises(InvalidInput, match="unknown GB 36894 class"):
        external_distances({"residents": 10.0}, {})
    with pytest.raises(InvalidInput, match="≥ 0"):
        external_distances({"general_1": -1.0}, {})
    with pytest.raises(InvalidInput, match="not a distance"):
        external_distances({}, {"general_1": "far"})


_distance = st.one_of(st.none(), st.floats(0, 20_000, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(CLASSES), _distance), st.dictionaries(st.sampled_from(CLASSES), _distance),
       st.dictionaries(st.sampled_from(CLASSES), _distance))
def test_final_is_never_below_the_code_or_the_method(method, code, declared) -> None:
    t = external_distances(method, code, declared)
    for c in CLASSES:
        final = t.loc[c, "final_distance_m"]
        for part in (method.get(c), code.get(c)):
            if part is not None:
                assert final >= part
        if method.get(c) is None and code.get(c) is None:
            assert math.isnan(final)
        else:
            assert final in {method.get(c), code.get(c)}
        d = declared.get(c)
        if d is not None and not math.isnan(final):
            assert t.loc[c, "declared_shorter"] is bool(d < final)


# =============================================================================================
# Consequence method for explosives


def test_consequence_distances_from_an_overpressure_curve() -> None:
    d = consequence_distances_m(lambda r_m: 1000.0 / r_m)  # p = 1000 kPa·m / r: distance = 1000 / threshold
    assert d["high_sensitive"] == pytest.approx(500.0, abs=0.01)  # 2 kPa
    assert d["general_2"] == pytest.approx(200.0, abs=0.01)  # 5 kPa
    assert d["general_3"] == pytest.approx(1000 / 9, abs=0.01)  # 9 kPa
    custom = consequence_distances_m(lambda r_m: 1000.0 / r_m, thresholds_kpa={"general_1": 10.0})
    assert custom == {"general_1": pytest.approx(100.0, abs=0.01)}


def test_consequence_distances_refuse_bad_curves() -> None:
    with pytest.raises(InvalidInput, match="still"):
        consequence_distances_m(lambda r_m: 1e6 / r_m, max_distance_m=1000.0)
    with pytest.raises(InvalidInput, match="rises with distance"):
        consequence_distances_m(lambda r_m: r_m)
    with pytest.raises(InvalidInput, match="finite"):
        consequence_distances_m(lambda r_m: float("nan"))


def test_module_doctests() -> None:
    result = doctest.testmod(gbt37243, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
