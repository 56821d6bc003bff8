"""GB/T 37243-2019: the exact bilingual reasons for cases worked by hand, and the edges of every rule.

Each expected text below is written from the rule (docs/standards/gbt37243-2019.md §3; the design-code
cells of docs/standards/land-use-planning.md) and the numbers worked by hand: q/Q with Q from GB 18218
Table 1 (氯 5 t, 氨 10 t, 二氟化氧 1 t, 丙烯醛 20 t) or Table 2 (W1.3: 50 t). Analysts see the figures,
everyone else the rule (``disclose(text, "public")``).

Cases the older tests missed (issue 13): a W1.3 explosive, a toxic gas by its J code alone (二氟化氧,
J1, not in Table 3), a J2 liquid that must not count as a gas (40 t of 丙烯醛 would flip to QRA if J2
were read as J3), and the unit-scope trigger where "any unit" and "every unit" disagree.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from geo_risk.disclosure import disclose
from geo_risk.errors import InvalidInput
from geo_risk.standards import gbt37243
from geo_risk.standards.gb18218 import InventoryItem
from geo_risk.standards.gbt37243 import (
    QraTrigger,
    SubstanceRoles,
    classify_substance,
    code_distances,
    consequence_distances_m,
    criteria_column,
    declared_distances,
    external_distances,
    select_method,
    select_methods,
)

CLASSES = ["high_sensitive", "important", "general_1", "general_2", "general_3"]


def full(text: str) -> str:
    return disclose(text, "restricted")


def public(text: str) -> str:
    return disclose(text, "public")


TRIG_ZH = "QRA 触发条件（全厂合计，UNCONFIRMED）"
TRIG_EN = "QRA trigger (summed over the enterprise, UNCONFIRMED)"
NO_GAS_ZH = "不涉及有毒气体或易燃气体（Σq/Q = 0）"
NO_GAS_EN = "no toxic or flammable gas (Σq/Q = 0)"
UNKNOWN_PROBLEM = ("'某未知溶剂' is not in GB 18218-2018 Table 1: give its hazard_categories "
                   "(Table 2 codes such as W5.3;J2).")


# =============================================================================================
# Substances: the basis text of each role


@pytest.mark.parametrize(
    ("args", "basis"),
    [
        (("液氯",), "表1第12项，类别 W4;J3：有毒气体（J3，表3） / Table 1 row 12, codes W4;J3: toxic gas (J3, "
                  "Table 3)"),
        (("二氟化氧",), "表1第2项，类别 W4;J1：有毒气体（J1） / Table 1 row 2, codes W4;J1: toxic gas (J1)"),
        (("氰化氢",), "表1第25项，类别 W5.1;J2：有毒气体（表3） / Table 1 row 25, codes W5.1;J2: toxic gas (Table 3)"),
        (("丙烯醛",), "表1第19项，类别 W5.3;J2：非爆炸物、非有毒/易燃气体 / "
                     "Table 1 row 19, codes W5.3;J2: not an explosive, toxic gas or flammable gas"),
        (("氨",), "表1第1项，类别 W2;J3：有毒气体（J3，表3）、易燃气体（W2） / "
                 "Table 1 row 1, codes W2;J3: toxic gas (J3, Table 3), flammable gas (W2)"),
        ((None, None, None, "W1.3"), "表2类别，类别 W1.3：爆炸物 / Table 2 codes, codes W1.3: explosive"),
        (("某混合物", None, None, "W1.1;J1;J3;W2"),
         "表2类别，类别 W1.1;J1;J3;W2：爆炸物、有毒气体（J1;J3）、易燃气体（W2） / "
         "Table 2 codes, codes W1.1;J1;J3;W2: explosive, toxic gas (J1;J3), flammable gas (W2)"),
    ],
)
def test_basis_text_of_each_role(args, basis) -> None:
    assert classify_substance(*args).basis == basis


def test_w13_explosive_takes_q_50_t_from_table_2() -> None:
    c = classify_substance("礼花弹", hazard_categories="W1.3")  # Division 1.4 articles: Table 2 W1.3, Q = 50 t
    assert (c.known, c.explosive, c.toxic_gas, c.flammable_gas, c.critical_quantity_t) == (True, True, False, False,
                                                                                           50.0)
    assert (c.name_zh, c.name_en, c.codes) == ("礼花弹", "礼花弹", ("W1.3",))


def test_a_table1_row_number_alone_finds_the_substance() -> None:
    c = classify_substance(None, table1_seq=12)
    assert (c.name_zh, c.name_en, c.critical_quantity_t, c.toxic_gas) == ("氯", "Chlorine", 5.0, True)


@pytest.mark.parametrize(
    ("args", "label"),
    [(("某未知溶剂",), "某未知溶剂"), ((None, "9004-70-0"), "9004-70-0"), ((None, None, 99999), "Table 1 row 99999"),
     ((None, None, None, "W99"), "W99"), ((), "?")],
)
def test_an_unknown_substance_is_named_by_what_was_given(args, label) -> None:
    c = classify_substance(*args) if args else classify_substance(None)
    assert (c.name_zh, c.name_en, c.codes, c.critical_quantity_t) == (label, label, (), None)
    assert c.known is False and c.explosive is False and c.toxic_gas is False and c.flammable_gas is False
    assert c.basis == "类别未知 / category unknown" and c.problem


# =============================================================================================
# Method selection: reasons worked by hand


def test_qra_by_a_j1_gas_alone_with_an_unknown_substance_elsewhere() -> None:
    # 二氟化氧 0.5 t / 1 t = 0.5 (J1 gas, not in Table 3) + 氯 4 t / 5 t = 0.8 → Σ = 1.3 ≥ 1: QRA for all.
    m = select_method({"U1": [("二氟化氧", 0.5), ("氯", 4)], "U2": [("甲苯", 100)], "U3": [("某未知溶剂", 10)],
                       "U4": []})
    assert (m.method, m.gas_sum, m.trigger_met, m.provisional) == ("qra", 1.3, True, True)
    assert m.unknown == ("某未知溶剂",) and m.explosives == ()
    sum_zh = "有毒气体和易燃气体 Σq/Q = 1.3 ≥ 1（氯 4 t/5 t = 0.8；二氟化氧 0.5 t/1 t = 0.5）"
    sum_en = ("Σq/Q over toxic and flammable gases = 1.3 ≥ 1 "
              "(Chlorine 4 t/5 t = 0.8; Oxygen difluoride 0.5 t/1 t = 0.5)")
    assert full(m.reason) == (
        f"定量风险评价法（全厂所有单元整体评估）：{sum_zh}，满足{TRIG_ZH}；"
        "类别未知、未计入：某未知溶剂 10 t（单元 U3），方法为暂定 / "
        f"QRA for the whole enterprise (all units assessed together): {sum_en}, meets the {TRIG_EN}; "
        f"category unknown, not counted: 某未知溶剂 10 t (unit U3): {UNKNOWN_PROBLEM}; the method is provisional")
    assert public(m.reason) == (
        f"定量风险评价法（全厂所有单元整体评估）：有毒气体和易燃气体 Σq/Q ≥ 1，满足{TRIG_ZH}；"
        "类别未知、未计入：某未知溶剂（单元 U3），方法为暂定 / "
        "QRA for the whole enterprise (all units assessed together): Σq/Q over toxic and flammable gases ≥ 1, "
        f"meets the {TRIG_EN}; category unknown, not counted: 某未知溶剂 (unit U3): {UNKNOWN_PROBLEM}; "
        "the method is provisional")
    elsewhere = ("；企业另有类别未知的物质，方法为暂定",
                 "; the enterprise holds a substance of unknown category elsewhere: the method is provisional")
    together_zh = f"定量风险评价法：随企业整体评估（企业{sum_zh}）；本单元"
    together_en = f"QRA: assessed together with its whole enterprise (enterprise {sum_en}); this unit: "
    assert full(m.units["U1"].reason) == (f"{together_zh}{sum_zh}{elsewhere[0]} / {together_en}{sum_en}{elsewhere[1]}")
    assert full(m.units["U2"].reason) == (
        f"{together_zh}{NO_GAS_ZH}{elsewhere[0]} / {together_en}{NO_GAS_EN}{elsewhere[1]}")
    assert full(m.units["U3"].reason) == (
        f"{together_zh}{NO_GAS_ZH}；类别未知、未计入：某未知溶剂 10 t（单元 U3），方法为暂定 / "
        f"{together_en}{NO_GAS_EN}; category unknown, not counted: 某未知溶剂 10 t (unit U3): {UNKNOWN_PROBLEM}; "
        "the method is provisional")
    assert full(m.units["U4"].reason) == full(m.units["U2"].reason)
    assert [(u.method, u.gas_sum, u.provisional, u.explosives, u.unknown) for u in m.units.values()] == [
        ("qra", 1.3, True, (), ()), ("qra", 0.0, True, (), ()), ("qra", 0.0, True, (), ("某未知溶剂",)),
        ("qra", 0.0, True, (), ())]
    assert [(u, c.name_zh, q) for u, c, q in m.substances] == [
        ("U1", "二氟化氧", 0.5), ("U1", "氯", 4.0), ("U2", "甲苯", 100.0), ("U3", "某未知溶剂", 10.0)]


def test_forty_tonnes_of_acrolein_is_a_j2_liquid_not_a_gas() -> None:
    # 丙烯醛: W5.3;J2, Q = 20 t. 40 t is q/Q = 2, but J2 is Table 2's row for liquids and solids: not counted.
    m = select_method({"U1": [("丙烯醛", 40)]})
    assert (m.method, m.gas_sum, m.trigger_met) == ("design_code", 0.0, False)
    assert m.reason == (f"规范距离：无爆炸物，{NO_GAS_ZH}，未满足{TRIG_ZH} / "
                        f"design-code distances: no explosives; {NO_GAS_EN}, below the {TRIG_EN}")
    assert m.units["U1"].reason == (
        f"规范距离：企业无爆炸物且{NO_GAS_ZH}；本单元{NO_GAS_ZH} / "
        f"design-code distances: the enterprise has no explosives and {NO_GAS_EN}; this unit: {NO_GAS_EN}")
    # Were J2 a toxic-gas code, the same 40 t would be q/Q = 2 and give a QRA.
    j2 = SubstanceRoles(toxic_gas_codes=frozenset({"J1", "J2", "J3"}))
    assert select_method({"U1": [("丙烯醛", 40)]}, roles=j2).method == "qra"


def test_a_w13_explosive_with_a_met_trigger() -> None:
    # 礼花弹 (W1.3) 0.5 t > 0: consequence method; 氯 2.5/5 + 氨 5/10 = 1 ≥ 1: the other units by QRA.
    m = select_method({"U1": [{"chemical": "礼花弹", "hazard_categories": "W1.3", "max_quantity_t": 0.5}],
                       "U2": [("氯", 2.5)], "U3": [("氨", 5)]})
    assert (m.method, m.gas_sum, m.trigger_met, m.explosives, m.provisional) == (
        "consequence", 1.0, True, ("礼花弹",), False)
    sum_zh = "有毒气体和易燃气体 Σq/Q = 1 ≥ 1（氯 2.5 t/5 t = 0.5；氨 5 t/10 t = 0.5）"
    sum_en = "Σq/Q over toxic and flammable gases = 1 ≥ 1 (Chlorine 2.5 t/5 t = 0.5; Ammonia 5 t/10 t = 0.5)"
    assert full(m.reason) == (
        f"事故后果法：涉及爆炸物：礼花弹 0.5 t（W1.3，单元 U1）；另 {TRIG_ZH}已满足：{sum_zh}，"
        "不含爆炸物的单元按定量风险评价法整体评估 / consequence method: explosives present: 礼花弹 0.5 t (W1.3, "
        "unit U1); "
        f"the {TRIG_EN} is also met: {sum_en}; units without explosives are assessed together by QRA")
    assert public(m.reason) == (
        f"事故后果法：涉及爆炸物：礼花弹（W1.3，单元 U1）；另 {TRIG_ZH}已满足：有毒气体和易燃气体 Σq/Q ≥ 1，"
        "不含爆炸物的单元按定量风险评价法整体评估 / consequence method: explosives present: 礼花弹 (W1.3, unit U1); "
        f"the {TRIG_EN} is also met: Σq/Q over toxic and flammable gases ≥ 1; "
        "units without explosives are assessed together by QRA")
    assert full(m.units["U1"].reason) == ("事故后果法：涉及爆炸物：礼花弹 0.5 t（W1.3，单元 U1） / "
                                          "consequence method: explosives present: 礼花弹 0.5 t (W1.3, unit U1)")
    assert m.units["U1"].explosives == ("礼花弹",) and m.units["U2"].explosives == ()
    assert full(m.units["U2"].reason) == (
        f"定量风险评价法：随企业整体评估（企业{sum_zh}）；本单元有毒气体和易燃气体 Σq/Q = 0.5 < 1（氯 2.5 t/5 t = "
        f"0.5） / "
        f"QRA: assessed together with its whole enterprise (enterprise {sum_en}); "
        "this unit: Σq/Q over toxic and flammable gases = 0.5 < 1 (Chlorine 2.5 t/5 t = 0.5)")
    assert public(m.units["U3"].reason) == (
        "定量风险评价法：随企业整体评估（企业有毒气体和易燃气体 Σq/Q ≥ 1）；本单元有毒气体和易燃气体 Σq/Q < 1 / "
        "QRA: assessed together with its whole enterprise (enterprise Σq/Q over toxic and flammable gases ≥ 1); "
        "this unit: Σq/Q over toxic and flammable gases < 1")


def test_two_explosives_and_an_unknown_substance_that_cannot_change_the_method() -> None:
    m = select_method({"U1": [("2,4,6-三硝基甲苯", 2), {"chemical": "某混合物", "hazard_categories": "W1.1;J1",
                                                         "max_quantity_t": 1}],
                       "U2": [("某未知溶剂", 3), ("另一未知物", 4)]})
    assert (m.method, m.provisional, m.explosives, m.unknown) == (
        "consequence", False, ("2,4,6-三硝基甲苯", "某混合物"), ("某未知溶剂", "另一未知物"))
    other = ("'另一未知物' is not in GB 18218-2018 Table 1: give its hazard_categories "
             "(Table 2 codes such as W5.3;J2).")
    # 某混合物 is also a J1 gas: 1 t / Q 1 t (W1.1 and J1 both give 1 t... the lowest Q of its codes)
    gas = m.gas_sum
    assert gas == 1.0
    assert full(m.reason).startswith(
        "事故后果法：涉及爆炸物：2,4,6-三硝基甲苯 2 t（W1.1，单元 U1）；某混合物 1 t（W1.1;J1，单元 U1）；另 ")
    assert full(m.reason).endswith(
        "类别未知、未计入：某未知溶剂 3 t（单元 U2）；另一未知物 4 t（单元 U2），不影响方法 / "
        "consequence method: explosives present: 2,4,6-Trinitrotoluene (TNT) 2 t (W1.1, unit U1); 某混合物 1 t "
        "(W1.1;J1, unit U1); "
        "the QRA trigger (summed over the enterprise, UNCONFIRMED) is also met: Σq/Q over toxic and flammable gases "
        "= 1 ≥ 1 (某混合物 1 t/1 t = 1); units without explosives are assessed together by QRA; "
        f"category unknown, not counted: 某未知溶剂 3 t (unit U2): {UNKNOWN_PROBLEM}; 另一未知物 4 t (unit U2): "
        f"{other}; "
        "it cannot change the method")
    # the unit holding explosives is not provisional; the other unit is (its method is QRA, not fixed by explosives)
    assert m.units["U1"].provisional is False and m.units["U2"].provisional is True
    assert m.units["U2"].unknown == ("某未知溶剂", "另一未知物")
    assert full(m.units["U2"].reason).endswith(
        "；类别未知、未计入：某未知溶剂 3 t（单元 U2）；另一未知物 4 t（单元 U2），方法为暂定 / "
        "QRA: assessed together with its whole enterprise (enterprise Σq/Q over toxic and flammable gases = 1 ≥ 1 "
        f"(某混合物 1 t/1 t = 1)); this unit: {NO_GAS_EN}; category unknown, not counted: 某未知溶剂 3 t (unit U2): "
        f"{UNKNOWN_PROBLEM}; 另一未知物 4 t (unit U2): {other}; the method is provisional")


def test_unit_scope_where_any_unit_and_every_unit_disagree() -> None:
    # U1: 氯 5/5 = 1 (exactly on the threshold); U2: 氨 2/10 = 0.2. "Any unit ≥ 1" is met; "every unit" is not.
    inventory = {"U1": [("氯", 5)], "U2": [("氨", 2)]}
    m = select_method(inventory, trigger=QraTrigger(scope="unit"))
    assert (m.method, m.trigger_met) == ("qra", True)
    assert full(m.reason) == (
        "定量风险评价法（全厂所有单元整体评估）：有毒气体和易燃气体 Σq/Q = 1.2 ≥ 1（氯 5 t/5 t = 1；氨 2 t/10 t = "
        "0.2），"
        "满足QRA 触发条件（单个单元，UNCONFIRMED） / QRA for the whole enterprise (all units assessed together): "
        "Σq/Q over toxic and flammable gases = 1.2 ≥ 1 (Chlorine 5 t/5 t = 1; Ammonia 2 t/10 t = 0.2), "
        "meets the QRA trigger (in one unit, UNCONFIRMED)")
    # a unit just below the threshold does not meet the unit-scope trigger, though the enterprise sum does
    below = select_method({"U1": [("氯", 4.99)], "U2": [("氨", 2)]}, trigger=QraTrigger(scope="unit"))
    assert (below.method, below.trigger_met) == ("design_code", False)
    assert select_method({"U1": [("氯", 4.99)], "U2": [("氨", 2)]}).method == "qra"


def test_qra_only_for_the_units_holding_gases() -> None:
    m = select_method({"U1": [("氯", 5)], "U2": [("甲苯", 5)]}, trigger=QraTrigger(whole_enterprise=False))
    assert full(m.reason) == (
        "定量风险评价法（仅含有毒/易燃气体的单元）：有毒气体和易燃气体 Σq/Q = 1 ≥ 1（氯 5 t/5 t = 1），满足"
        f"{TRIG_ZH} / QRA for the units holding toxic or flammable gases: Σq/Q over toxic and flammable gases "
        f"= 1 ≥ 1 (Chlorine 5 t/5 t = 1), meets the {TRIG_EN}")
    assert full(m.units["U1"].reason) == (
        "定量风险评价法：企业有毒气体和易燃气体 Σq/Q = 1 ≥ 1（氯 5 t/5 t = 1）；本单元有毒气体和易燃气体 Σq/Q = 1 ≥ 1"
        "（氯 5 t/5 t = 1） / QRA: enterprise Σq/Q over toxic and flammable gases = 1 ≥ 1 (Chlorine 5 t/5 t = 1); "
        "this unit: Σq/Q over toxic and flammable gases = 1 ≥ 1 (Chlorine 5 t/5 t = 1)")
    assert m.units["U2"].reason == (
        "规范距离：企业满足 QRA 触发条件，但按 whole_enterprise=False 仅含气体的单元做 QRA；本单元"
        f"{NO_GAS_ZH} / design-code distances: the enterprise meets the QRA trigger, but with whole_enterprise=False "
        f"only units holding gases are assessed by QRA; this unit: {NO_GAS_EN}")


def test_design_code_below_the_trigger_and_a_unit_without_rows() -> None:
    m = select_method({"U1": [("氨", 3)], "U2": []})
    assert full(m.reason) == (
        "规范距离：无爆炸物，有毒气体和易燃气体 Σq/Q = 0.3 < 1（氨 3 t/10 t = 0.3），未满足"
        f"{TRIG_ZH} / design-code distances: no explosives; Σq/Q over toxic and flammable gases = 0.3 < 1 "
        f"(Ammonia 3 t/10 t = 0.3), below the {TRIG_EN}")
    enterprise_zh = "有毒气体和易燃气体 Σq/Q = 0.3 < 1（氨 3 t/10 t = 0.3）"
    enterprise_en = "Σq/Q over toxic and flammable gases = 0.3 < 1 (Ammonia 3 t/10 t = 0.3)"
    assert full(m.units["U1"].reason) == (
        f"规范距离：企业无爆炸物且{enterprise_zh}；本单元{enterprise_zh} / "
        f"design-code distances: the enterprise has no explosives and {enterprise_en}; this unit: {enterprise_en}")
    assert full(m.units["U2"].reason) == (
        f"规范距离：企业无爆炸物且{enterprise_zh}；本单元{NO_GAS_ZH}；本单元无存量记录 / "
        f"design-code distances: the enterprise has no explosives and {enterprise_en}; this unit: {NO_GAS_EN}; "
        "the unit has no inventory rows")
    empty = select_method({})
    assert empty.reason == (f"规范距离：无爆炸物，{NO_GAS_ZH}，未满足{TRIG_ZH}；无危险化学品单元 / "
                            f"design-code distances: no explosives; {NO_GAS_EN}, below the {TRIG_EN}; "
                            "the enterprise has no hazard unit")


# =============================================================================================
# Inventory rows: every form, every identifier


def test_every_form_of_an_inventory_row_is_read() -> None:
    rows = {
        "A": [InventoryItem(chemical=None, cas="7782-50-5", table1_seq=None, hazard_categories=None, quantity_t=1)],
        "B": [InventoryItem(chemical=None, cas=None, table1_seq=12, hazard_categories=None, quantity_t=1)],
        "C": [InventoryItem(chemical="某有毒气体", cas=None, table1_seq=None, hazard_categories="J1", quantity_t=1)],
        "D": [{"cas": "7782-50-5", "quantity_t": 1}],  # quantity_t when max_quantity_t is absent
        "E": [{"table1_seq": 12.0, "max_quantity_t": 1}],
        "F": [{"chemical": "某有毒气体", "hazard_categories": "J1", "max_quantity_t": 1}],
        "G": [{"chemical": "氯", "table1_seq": float("nan"), "max_quantity_t": 1}],
        "H": [("氯", 1)],
    }
    m = select_method(rows, trigger=QraTrigger(threshold=100))
    assert {u: r.gas_sum for u, r in m.units.items()} == {
        "A": 0.2, "B": 0.2, "C": 0.2, "D": 0.2, "E": 0.2, "F": 0.2, "G": 0.2, "H": 0.2}
    assert [c.name_zh for _, c, _ in m.substances] == ["氯", "氯", "某有毒气体", "氯", "氯", "某有毒气体", "氯", "氯"]


def test_a_row_of_another_shape_is_refused() -> None:
    expected = (r"inventory item \['氯', 5\]: give a mapping with chemical/cas/table1_seq/hazard_categories and "
                r"max_quantity_t \(t\), a \(chemical, tonnes\) pair, or a gb18218.InventoryItem$")
    with pytest.raises(InvalidInput, match=expected):
        select_method({"U1": [["氯", 5]]})
    with pytest.raises(InvalidInput, match="inventory item"):
        select_method({"U1": [("氯", 5, "t")]})


def test_bad_quantities_message_shows_the_value_to_analysts_only() -> None:
    with pytest.raises(InvalidInput) as err:
        select_method({"U1": [("氯", -1), ("氨", 2)], "U2": [("苯", "many")]})
    assert full(str(err.value)) == (
        "the inventory cannot be used for method selection:\n"
        "  - unit U1 item 1: quantity -1 must be a finite number of tonnes ≥ 0\n"
        "  - unit U2 item 1: quantity 'many' must be a finite number of tonnes ≥ 0")
    assert public(str(err.value)) == (
        "the inventory cannot be used for method selection:\n"
        "  - unit U1 item 1: quantity must be a finite number of tonnes ≥ 0\n"
        "  - unit U2 item 1: quantity must be a finite number of tonnes ≥ 0")
    with pytest.raises(InvalidInput, match="expected a number, got True"):
        gbt37243._dec(True)
    assert gbt37243._dec(0.1) == gbt37243.Decimal("0.1") and gbt37243._dec(3) == 3
    assert gbt37243._dec(10**17 + 1) == gbt37243.Decimal("100000000000000001")  # ints stay exact


# =============================================================================================
# Register frames


def test_frames_pass_the_trigger_and_roles_and_join_the_names() -> None:
    enterprises = pd.DataFrame(index=["E1", "E2"])
    units = pd.DataFrame({"enterprise_id": ["E1", "E1", "E2", "E2"]}, index=["U1", "U2", "U3", "U4"])
    inventory = pd.DataFrame({
        "unit_id": ["U1", "U1", "U3", "U3"],
        "chemical": ["2,4,6-三硝基甲苯", "某未知物", "氯", "丙烯醛"],
        "max_quantity_t": [1.0, 1.0, 2.5, 10.0], "state": [None, None, None, None],
    })
    ents, us = select_methods(enterprises, units, inventory)
    assert ents.loc["E1", "explosives"] == "2,4,6-三硝基甲苯" and ents.loc["E1", "unknown"] == "某未知物"
    assert pd.isna(ents.loc["E2", "explosives"]) and pd.isna(ents.loc["E2", "unknown"])
    assert us.loc["U4", "method"] == "design_code" and "本单元无存量记录" in us.loc["U4", "reason"]
    # 氯 2.5/5 = 0.5 in U3; with J2 counted, 丙烯醛 10/20 = 0.5 more: 1 ≥ 1
    j2 = SubstanceRoles(toxic_gas_codes=frozenset({"J1", "J2", "J3"}))
    assert select_methods(enterprises, units, inventory)[0].loc["E2", "method"] == "design_code"
    assert select_methods(enterprises, units, inventory, roles=j2)[0].loc["E2", "method"] == "qra"
    unit_scope = select_methods(enterprises, units, inventory, roles=j2, trigger=QraTrigger(threshold=2))
    assert unit_scope[0].loc["E2", "method"] == "design_code"
    two = pd.DataFrame({"unit_id": ["U1", "U1"], "chemical": ["2,4,6-三硝基甲苯", "某混合物"],
                        "hazard_categories": [None, "W1.2"], "max_quantity_t": [1.0, 1.0]})
    assert select_methods(enterprises, units, two)[0].loc["E1", "explosives"] == "2,4,6-三硝基甲苯、某混合物"
    both_unknown = pd.DataFrame({"unit_id": ["U3", "U3"], "chemical": ["某未知物", "另一未知物"],
                                 "max_quantity_t": [1.0, 1.0]})
    assert select_methods(enterprises, units, both_unknown)[0].loc["E2", "unknown"] == "某未知物、另一未知物"


def test_frames_list_every_enterprise_that_cannot_be_assessed() -> None:
    enterprises = pd.DataFrame(index=["E1", "E2"])
    units = pd.DataFrame({"enterprise_id": ["E1", "E2"]}, index=["U1", "U2"])
    inventory = pd.DataFrame({"unit_id": ["U1", "U2"], "chemical": ["氯", "氨"], "max_quantity_t": [-1.0, -2.0]})
    with pytest.raises(InvalidInput) as err:
        select_methods(enterprises, units, inventory)
    assert full(str(err.value)) == (
        "2 enterprise(s) cannot be assessed:\n"
        "enterprise E1: the inventory cannot be used for method selection:\n"
        "  - unit U1 item 1: quantity -1.0 must be a finite number of tonnes ≥ 0\n"
        "enterprise E2: the inventory cannot be used for method selection:\n"
        "  - unit U2 item 1: quantity -2.0 must be a finite number of tonnes ≥ 0")


def test_frames_list_at_most_fifty_enterprises_that_cannot_be_assessed() -> None:
    ids = [f"E{i:02d}" for i in range(51)]
    units = pd.DataFrame({"enterprise_id": ids}, index=[f"U{i:02d}" for i in range(51)])
    inventory = pd.DataFrame({"unit_id": list(units.index), "chemical": ["氯"] * 51, "max_quantity_t": [-1.0] * 51})
    with pytest.raises(InvalidInput) as err:
        select_methods(pd.DataFrame(index=ids), units, inventory)
    lines = str(err.value).split("\n")
    assert lines[0] == "51 enterprise(s) cannot be assessed:"
    named = [line.split(":")[0] for line in lines if line.startswith("enterprise ")]
    assert named == [f"enterprise E{i:02d}" for i in range(50)]


def test_frames_name_at_most_twenty_missing_enterprises() -> None:
    units = pd.DataFrame({"enterprise_id": [f"X{i:02d}" for i in range(25)]}, index=[f"U{i}" for i in range(25)])
    with pytest.raises(InvalidInput) as err:
        select_methods(pd.DataFrame(index=["E1"]), units, pd.DataFrame())
    assert str(err.value) == ("units refer to enterprises that are not given: "
                              + ", ".join(f"X{i:02d}" for i in range(20)))


def test_frames_of_an_empty_register_have_their_columns() -> None:
    ents, us = select_methods(pd.DataFrame(index=pd.Index([])), pd.DataFrame({"enterprise_id": []}), pd.DataFrame())
    assert list(ents.columns) == ["method", "method_label", "reason", "gas_sum", "trigger_met", "explosives",
                                  "unknown", "provisional", "n_units"]
    assert list(us.columns) == ["enterprise_id", "method", "method_label", "reason", "gas_sum", "provisional"]
    assert (ents.index.name, us.index.name, len(ents), len(us)) == ("enterprise_id", "unit_id", 0, 0)


def test_criteria_column_refuses_a_status_that_is_not_text() -> None:
    with pytest.raises(InvalidInput, match="unknown enterprise status None"):
        criteria_column(None)  # type: ignore[arg-type]


# =============================================================================================
# Design-code distances: basis and reason texts


def _unit(unit_type="storage", equipment="atmospheric_tank", fire_class="甲", **more):
    return {"unit_type": unit_type, "equipment": equipment, "fire_class": fire_class, **more}


_RES_ZH = "GB 50160 表4.1.9「居民区、公共福利设施、村庄」"
_RES_EN = "GB 50160 Table 4.1.9 'Residential area, public-welfare facility, village (居民区、公共福利设施、村庄)'"


def test_class_c_tank_basis_and_reason() -> None:
    d = code_distances(_unit(fire_class="丙"))
    basis = (f"{_RES_ZH}×「甲、乙类液体罐组」 = 100 m × 0.75 = 75 m [UNCONFIRMED；类别映射 CHOICE；"
             "规则 liquid_tank_group_c UNCONFIRMED] / "
             f"{_RES_EN} × '甲/乙 liquid tank group' = 100 m × 0.75 = 75 m [UNCONFIRMED; class mapping CHOICE; "
             "rule liquid_tank_group_c UNCONFIRMED]")
    assert dict(d.basis) == dict.fromkeys(CLASSES, basis)
    shown = "high_sensitive 75 m, important 75 m, general_1 75 m, general_2 75 m, general_3 75 m"
    assert d.reason == f"规范距离已确定（{shown}） / design-code distances determined ({shown})"
    assert d.rules == ("liquid_tank_group_c",) and d.statuses == ("CHOICE", "UNCONFIRMED") and d.determined


def test_lpg_sphere_basis() -> None:
    d = code_distances(_unit(equipment="pressure_vessel"),
                       [{"chemical": "液化石油气", "max_quantity_t": 100, "state": "liquefied_pressurized"}])
    assert d.basis["general_3"] == (
        f"{_RES_ZH}×「液化烃罐组」 = 150 m = 150 m [UNCONFIRMED；类别映射 CHOICE；规则 lhc_tank_group CHOICE] / "
        f"{_RES_EN} × 'LHC tank group' = 150 m = 150 m [UNCONFIRMED; class mapping CHOICE; rule lhc_tank_group CHOICE]")


def test_class_a_warehouse_basis_names_the_items_and_tonnes_for_analysts() -> None:
    # 丙酮 8 t (W5.3 → 甲 item 1, ≤ 10 t) and 碳化钙 6 t (W11 → 甲 item 4, > 5 t): each class takes the larger cell.
    d = code_distances(_unit(equipment="warehouse"), [("丙酮", 8), ("碳化钙", 6)])
    detail_zh = "甲类储存物品 第3、4项 6 t，第1、2、5、6项 8 t"
    detail_en = "class 甲 storage items 3, 4: 6 t; items 1, 2, 5, 6: 8 t"
    tail_zh, tail_en = "[UNCONFIRMED；类别映射 CHOICE；规则 warehouse_a CHOICE]", \
        "[UNCONFIRMED; class mapping CHOICE; rule warehouse_a CHOICE]"
    assert full(d.basis["general_1"]) == (
        f"GB 50016 表3.5.1「裙房、其他民用建筑、明火或散发火花地点」×「甲类储存物品第3、4项 "
        f"储量>5t」（{detail_zh}） = 40 m = 40 m "
        f"{tail_zh} / GB 50016 Table 3.5.1 'Podium, other civil buildings, open flame or sparks' × "
        f"'甲 items 3, 4: > 5 t' ({detail_en}) = 40 m = 40 m {tail_en}")
    assert public(d.basis["high_sensitive"]) == (
        "GB 50016 表3.5.1「高层民用建筑、重要公共建筑」×「甲类储存物品第3、4项 储量>5t」（甲类储存物品 "
        "第3、4项，第1、2、5、6项） "
        f"= 50 m = 50 m {tail_zh} / GB 50016 Table 3.5.1 'High-rise civil building, important public building' × "
        f"'甲 items 3, 4: > 5 t' (class 甲 storage items 3, 4; items 1, 2, 5, 6) = 50 m = 50 m {tail_en}")


@pytest.mark.parametrize(
    ("inventory", "general_m"),
    [([("丙酮", 10)], 25.0), ([("丙酮", 10.01)], 30.0),  # items 1, 2, 5, 6: ≤ 10 t / > 10 t
     ([("碳化钙", 5)], 30.0), ([("碳化钙", 5.01)], 40.0),  # items 3, 4: ≤ 5 t / > 5 t
     ([("碳化钙", 3), ("碳化钙", 3)], 40.0),  # the tonnes of a group are summed: 6 t
     ([("丙酮", 6), ("丙酮", 6)], 30.0),
     ([("白磷", 6)], 40.0)],  # W8 → 甲 item 3: with items 3, 4, > 5 t
)
def test_class_a_warehouse_columns_at_their_edges(inventory, general_m) -> None:
    d = code_distances(_unit(equipment="warehouse"), inventory)
    assert d.distance_m["general_2"] == general_m


def test_class_a_warehouse_of_unknown_items_is_undetermined_where_the_columns_differ() -> None:
    d = code_distances(_unit(equipment="warehouse"), [("某未知物", 1), ("另一未知物", 1)])
    assert d.distance_m["high_sensitive"] == 50.0  # all four columns say 50 m
    assert d.basis["high_sensitive"] == (
        "GB 50016 表3.5.1「高层民用建筑、重要公共建筑」×「甲类储存物品第3、4项 储量≤5t」 = 50 m = 50 m "
        "[UNCONFIRMED；类别映射 CHOICE；规则 warehouse_a CHOICE] / GB 50016 Table 3.5.1 'High-rise civil building, "
        "important public building' × '甲 items 3, 4: ≤ 5 t' = 50 m = 50 m "
        "[UNCONFIRMED; class mapping CHOICE; rule warehouse_a CHOICE]")
    undetermined = ("GB 50016 表3.5.1 列未定：某未知物、另一未知物 类别未知：无法确定甲类储存物品项别 / GB 50016 "
                    "Table 3.5.1 column "
                    "undetermined: category of 某未知物, 另一未知物 unknown: the class 甲 storage item cannot be "
                    "decided")
    assert [d.basis[c] for c in ("general_1", "general_2", "general_3")] == [undetermined] * 3
    zh, en = undetermined.split(" / ", 1)
    assert d.reason == (  # all the Chinese first, then all the English
        "部分类别的规范距离未定；" + "；".join(f"{c}：{zh}" for c in ("general_1", "general_2", "general_3"))
        + " / design-code distances undetermined for some classes; "
        + "; ".join(f"{c}: {en}" for c in ("general_1", "general_2", "general_3")))
    none = code_distances(_unit(equipment="warehouse"), [("硝酸铵(含可燃物≤0.2%)", 1)])
    assert none.basis["general_1"] == (
        "GB 50016 表3.5.1 列未定：无物质对应 GB 50016 第3.1.3条甲类储存物品项别 / GB 50016 Table 3.5.1 column "
        "undetermined: no substance maps to a GB 50016 Art. 3.1.3 class 甲 storage item")


@pytest.mark.parametrize(
    ("unit", "inventory", "text"),
    [
        ({"equipment": "atmospheric_tank", "fire_class": "甲"}, [],
         "缺少 unit_type（生产/储存单元）：无法确定规范距离表的列 / "
         "unit_type (production/storage) missing: the design-code column cannot be determined"),
        (_unit(fire_class=" "), [],
         "缺少 fire_class（火灾危险性类别）：无法确定规范距离表的列 / "
         "fire_class (fire-hazard class) missing: the design-code column cannot be determined"),
        (_unit(equipment=None), [],
         "储存单元缺少 equipment（储罐/压力容器/仓库）：无法确定规范距离表的列 / equipment (tank, vessel, warehouse …) "
         "missing for a storage unit: the design-code column cannot be determined"),
        (_unit("production", None, "丁"), [], "参考规范表中无适用于 生产单元/—/丁类 的距离 / "
         "the reference tables give no distance for a production unit / — / class 丁"),
        (_unit("mine", "shaft", "甲"), [], "参考规范表中无适用于 mine/shaft/甲类 的距离 / "
         "the reference tables give no distance for a mine unit / shaft / class 甲"),
        (_unit(equipment="pressure_vessel"), [{"chemical": "氢", "max_quantity_t": 1, "state": "gas"}],
         # all the Chinese first, then all the English (not 中文 / English；中文 / English)
         "参考规范表中无适用于 储存单元/pressure_vessel/甲类 的距离；不储存液化的易燃气体（W2） / the reference tables "
         "give no distance for a storage unit / pressure_vessel / class 甲; holds no liquefied flammable gas (W2)"),
        (_unit(equipment="pressure_vessel"), [],
         "液化烃罐组是否适用未定：无存量记录：无法判断是否储存液化烃 / whether the LHC tank-group column applies is "
         "undetermined: no inventory rows: cannot tell whether it holds a liquefied hydrocarbon"),
        (_unit(equipment="refrigerated_tank"), [{"chemical": "乙烯", "max_quantity_t": 1}, ("氢", 1)],
         "液化烃罐组是否适用未定：乙烯、氢 缺少 state（液化或压缩） / whether the LHC tank-group column applies is "
         "undetermined: state (liquefied or compressed) missing for 乙烯, 氢"),
        (_unit(equipment="pressure_vessel"), [{"chemical": "某未知物", "max_quantity_t": 1, "state": "gas"},
                                              {"chemical": "另一未知物", "max_quantity_t": 1, "state": "gas"}],
         "液化烃罐组是否适用未定：某未知物、另一未知物 类别未知：无法判断是否为液化烃 / whether the LHC "
         "tank-group column "
         "applies is undetermined: category of 某未知物, 另一未知物 unknown: liquefied hydrocarbon or not is unknown"),
    ],
)
def test_no_distance_names_why(unit, inventory, text) -> None:
    d = code_distances(unit, inventory)
    assert dict(d.distance_m) == dict.fromkeys(CLASSES)
    assert dict(d.basis) == dict.fromkeys(CLASSES, text) and d.reason == text
    assert d.statuses == ()
    assert d.rules == (("lhc_tank_group",) if "LHC" in text else ())


def test_liquefied_flammable_gas_needs_one_w2_row_liquefied() -> None:
    # one liquefied W2 row is enough, whatever the other rows say
    d = code_distances(_unit(equipment="pressure_vessel"),
                       [{"chemical": "某未知物", "max_quantity_t": 1},
                        {"chemical": "乙烯", "max_quantity_t": 1, "state": "liquefied_refrigerated"}])
    assert d.distance_m["general_1"] == 150.0 and d.rules == ("lhc_tank_group",)


def test_code_distances_name_the_unit_of_a_bad_quantity() -> None:
    with pytest.raises(InvalidInput, match="unit U7 item 1"):
        code_distances(_unit(id="U7"), [("氯", -1)])
    with pytest.raises(InvalidInput, match=r"unit \? item 1"):
        code_distances(_unit(), [("氯", -1)])


def test_in_list_specs() -> None:
    assert gbt37243._in_list(None, "*") and gbt37243._in_list("x", "*")
    assert gbt37243._in_list("pipeline", "!pipeline;flare") is False
    assert gbt37243._in_list("flare", "!pipeline;flare") is False
    assert gbt37243._in_list("tank", "!pipeline;flare") is True
    assert gbt37243._in_list("甲", "甲;乙") and not gbt37243._in_list(None, "甲;乙")


def test_package_tables_are_read_as_written() -> None:
    root = Path(gbt37243.__file__).parent / "data"
    for name in ("design_code_rules.csv", "gb50016_class_a_items.csv", "gbt37243_overpressure_thresholds.csv"):
        text = (root / name).read_text(encoding="utf-8")
        assert gbt37243._read_csv(name) == list(csv.DictReader(io.StringIO(text)))


# =============================================================================================
# Floor rule and declared distances: notes and messages


def test_floor_rule_notes_word_for_word() -> None:
    t = external_distances(
        {"high_sensitive": 80.0, "important": 250.0, "general_1": 100.0, "general_3": 40.0},
        {"high_sensitive": 100.0, "important": 100.0, "general_1": 100.0, "general_2": 60.0},
        {"high_sensitive": 90.0, "general_1": 99.5},
    )
    assert t["note"].to_dict() == {
        "high_sensitive": "计算距离小于规范距离，取规范距离（底线规则） / computed distance below the code "
                          "distance: raised "
                          "to it (floor rule); 申报距离 90 m 小于 100 m / declared 90 m is shorter than 100 m",
        "important": "取计算距离（不小于规范距离） / the computed distance (not below the code distance)",
        "general_1": "取计算距离（不小于规范距离） / the computed distance (not below the code distance); "
                     "申报距离 99.5 m 小于 100 m / declared 99.5 m is shorter than 100 m",
        "general_2": "无方法距离：取规范距离 / no method distance: the code distance",
        "general_3": "无规范距离：取方法距离 / no code distance: the method distance",
    }
    assert t["governed_by"].to_dict() == {"high_sensitive": "code", "important": "method", "general_1": "equal",
                                          "general_2": "code", "general_3": "method"}
    label = "一般防护目标中的二类防护目标 / general protection target, class II"
    assert t["class_label"].to_dict()["general_2"] == label
    assert t.loc["general_1", "shortfall_m"] == 0.5
    none = external_distances(None, None)
    assert set(none["note"]) == {"方法距离与规范距离均缺失 / neither a method nor a code distance"}


@pytest.mark.parametrize(
    ("args", "message"),
    [(({"general_1": -1.0}, None), "method_distance_m[general_1] = -1.0: a distance must be a finite number of "
                                   "metres ≥ 0"),
     ((None, {"general_2": math.inf}), "code_distance_m[general_2] = inf: a distance must be a finite number of "
                                       "metres ≥ 0"),
     ((None, None, {"important": "far"}), "declared_m[important] = 'far' is not a distance in metres"),
     ((None, {"residents": 1.0}), "code_distance_m: unknown GB 36894 class(es) ['residents']; valid: high_sensitive, "
      "important, general_1, general_2, general_3")],
)
def test_distance_messages_name_the_argument(args, message) -> None:
    with pytest.raises(InvalidInput) as err:
        external_distances(*args)
    assert str(err.value) == message


def test_declared_distance_messages_name_the_column() -> None:
    with pytest.raises(InvalidInput) as err:
        declared_distances({"safety_distance_m": -5})
    assert str(err.value) == "safety_distance_m = -5: a distance must be a finite number of metres ≥ 0"
    with pytest.raises(InvalidInput) as err:
        declared_distances({"safety_distance_general_1_m": "x"})
    assert str(err.value) == "safety_distance_general_1_m = 'x' is not a distance in metres"


def test_missing_values_of_every_kind() -> None:
    for v in (None, float("nan"), pd.NA, pd.NaT, math.nan):
        assert gbt37243._missing(v), v
    for v in (0, 0.0, "", "nan", "x", False):
        assert not gbt37243._missing(v), v
    assert declared_distances({"safety_distance_m": pd.NA, "safety_distance_general_1_m": pd.NaT}) == \
        dict.fromkeys(CLASSES)


# =============================================================================================
# Consequence method: the search at its edges


def test_consequence_distance_below_the_default_start() -> None:
    # p = 1 kPa·m / r: 2 kPa at 0.5 m (below 1.1 m), 10 kPa at exactly 0.1 m, the default start.
    d = consequence_distances_m(lambda r: 1.0 / r, thresholds_kpa={"general_3": 10.0, "high_sensitive": 2.0})
    assert d["general_3"] == 0.1  # the threshold is met (equal) at the start of the search
    assert d["high_sensitive"] == pytest.approx(0.5, abs=0.01) and d["high_sensitive"] >= 0.5
    assert list(d) == ["general_3", "high_sensitive"]


def test_consequence_distance_at_the_end_of_the_search() -> None:
    # p = 1000/r reaches 0.05 kPa at 20,000 m, the default end: met there; 0.04999 kPa is not met within it.
    assert consequence_distances_m(lambda r: 1000.0 / r, thresholds_kpa={"general_1": 0.05}) == {"general_1": 20000.0}
    with pytest.raises(InvalidInput) as err:
        consequence_distances_m(lambda r: 1000.0 / r, thresholds_kpa={"general_1": 0.04999})
    assert str(err.value) == ("the overpressure is still 0.05 kPa at 20000 m, above the 0.04999 kPa threshold of "
                              "general_1: raise max_distance_m or check the scenario")


def test_consequence_distance_bisects_to_the_tolerance() -> None:
    d = consequence_distances_m(lambda r: 1000.0 / r, thresholds_kpa={"general_2": 5.0}, tolerance_m=1e-6)
    assert 200.0 <= d["general_2"] <= 200.0 + 1e-6
    coarse = consequence_distances_m(lambda r: 1000.0 / r, thresholds_kpa={"general_2": 5.0}, tolerance_m=5.0)
    assert 200.0 <= coarse["general_2"] <= 205.0


def test_bisection_brackets_by_hand() -> None:
    # Search 1 … 1025 m (width 1024 = 2^10), tolerance 4 m: eight halvings; p = 1000/r kPa.
    # Crossing at 198 m: the brackets' upper ends go 513, 257, 257, 257, 225, 209, 201, 201 → 201.
    def curve(r: float) -> float:
        return 1000.0 / r

    kw = {"min_distance_m": 1.0, "max_distance_m": 1025.0, "tolerance_m": 4.0}
    assert consequence_distances_m(curve, thresholds_kpa={"general_2": 1000.0 / 198}, **kw) == {"general_2": 201.0}
    # Crossing exactly at the fourth midpoint, 193 m: p(193) is not above the threshold, so 193 becomes the
    # upper end and stays: 193.
    assert consequence_distances_m(curve, thresholds_kpa={"general_2": 1000.0 / 193}, **kw) == {"general_2": 193.0}
    # a tolerance of 0 ends (at adjacent floats) instead of halving for ever
    exact = consequence_distances_m(curve, thresholds_kpa={"general_2": 5.0}, tolerance_m=0.0)["general_2"]
    assert exact == pytest.approx(200.0, rel=1e-15) and curve(exact) <= 5.0


def test_a_flat_curve_is_not_rising() -> None:
    assert consequence_distances_m(lambda r: 1.0, thresholds_kpa={"general_1": 2.0}) == {"general_1": 0.1}
    assert consequence_distances_m(lambda r: 0.5, thresholds_kpa={"general_1": 0.7}, min_distance_m=3.0) == {
        "general_1": 3.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"min_distance_m": 0.0}, "need 0 < min_distance_m < max_distance_m, got 0.0, 20000.0"),
     ({"min_distance_m": 100.0, "max_distance_m": 100.0}, "need 0 < min_distance_m < max_distance_m, got 100.0, 100.0"),
     ({"thresholds_kpa": {"residents": 5.0}}, "threshold for 'residents' = 5.0: give positive kPa for classes "
      "['high_sensitive', 'important', 'general_1', 'general_2', 'general_3']"),
     ({"thresholds_kpa": {"general_1": 0.0}}, "threshold for 'general_1' = 0.0: give positive kPa for classes "
      "['high_sensitive', 'important', 'general_1', 'general_2', 'general_3']")],
)
def test_consequence_distance_arguments_are_checked(kwargs, message) -> None:
    with pytest.raises(InvalidInput) as err:
        consequence_distances_m(lambda r: 1000.0 / r, **kwargs)
    assert str(err.value) == message


def test_a_threshold_below_one_kpa_is_valid_and_a_rising_curve_is_named() -> None:
    assert consequence_distances_m(lambda r: 1000.0 / r, thresholds_kpa={"general_1": 0.5})["general_1"] == \
        pytest.approx(2000.0, abs=0.01)
    with pytest.raises(InvalidInput) as err:
        consequence_distances_m(lambda r: r)
    assert str(err.value) == "overpressure_kpa_at rises with distance: give overpressure (kPa) against distance (m)"
