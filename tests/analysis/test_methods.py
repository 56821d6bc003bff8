"""GB/T 37243 method table on the sample city (吉林市, synthetic), checked against an independent count
from the stored inventory with GB 18218 threshold quantities typed here from the domain notes."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from sqlalchemy import text

from geo_risk.analysis.methods import COLUMNS, method_table
from geo_risk.standards.gb36894 import TARGET_CLASSES
from geo_risk.standards.gbt37243 import QraTrigger
from geo_risk.store.db import get_engine

# Toxic and flammable gases held in the sample city, with Q (t) from GB 18218-2018 Table 1
# (tests/data/gb18218/gb18218_table1.csv), or the lowest Table 2 Q of the codes the inventory gives.
GAS_Q_T = {
    "氯": 5, "液氯": 5,  # row 12 (J3)
    "氨": 10, "液氨": 10,  # row 1 (W2, J3)
    "氢": 5, "氢气": 5,  # row 51 (W2)
    "液化石油气(含丙烷、丁烷及其混合物)": 50,  # row 52 (W2)
    "硫化氢": 5,  # row 10
    "乙烯": 50,  # row 55
    "1,3-丁二烯": 5,  # row 47
    "环氧乙烷": 10,  # row 7
    "碳酰氯": 0.3,  # row 6
    "氯化氢(无水)": 20,  # row 11
    "二氧化硫": 20,  # row 4
    "氯乙烯": 50,  # row 50
    "乙炔": 1,  # row 54
    "甲烷，天然气": 50,  # row 49
    "二甲醚": 50,  # row 48
    "氰化氢": 1,  # row 25: a liquid at 25 °C, but a GB 18218 Table 3 named toxic gas
    "丙烯": 10, "1-丁烯": 10,  # not in Table 1: W2 → Q 10
    "一氧化碳": 10,  # not in Table 1: W2;J3 → min(10, 50)
}
# Everything else the sample city holds: no explosive among them, and none a toxic or flammable gas.
NOT_GAS = {
    "甲醇", "甲苯", "丙酮", "乙酸乙酯", "苯", "乙醇", "硝酸(发红烟的除外，含硝酸>70%)", "氧(压缩的或液化的)",
    "汽油(乙醇汽油、甲醇汽油)", "正己烷", "苯乙烯", "1,2-环氧丙烷", "二甲苯", "环己烷", "2-丙烯腈", "二硫化碳",
    "1-氯-2,3-环氧丙烷", "碳化钙", "异丙醇", "甲苯二异氰酸酯", "乙苯", "正丁醇", "甲基叔丁基醚",
    "硝酸铵(含可燃物≤0.2%)",
}  # fmt: skip


@pytest.fixture(scope="module")
def city(db_url: str) -> tuple[str, pd.DataFrame]:
    load(SAMPLE_CITY, db_url)
    return db_url, method_table(db_url)


def _stored(url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    with get_engine(url).connect() as conn:
        ents = pd.read_sql(text("SELECT id, status FROM enterprises ORDER BY id"), conn).set_index("id")
        inv = pd.read_sql(text(
            "SELECT u.enterprise_id, i.unit_id, i.chemical, i.max_quantity_t FROM inventory i "
            "JOIN hazard_units u ON u.id = i.unit_id"), conn)
    return ents, inv


def test_every_enterprise_gets_a_method_matching_an_independent_count(city, capsys) -> None:
    url, table = city
    ents, inv = _stored(url)
    assert set(inv["chemical"]) <= set(GAS_Q_T) | NOT_GAS, "a chemical this test does not class"

    gas_sum: dict[str, Decimal] = defaultdict(Decimal)
    for rec in inv.to_dict("records"):
        if rec["chemical"] in GAS_Q_T:
            q_t = Decimal(repr(rec["max_quantity_t"]))
            gas_sum[rec["enterprise_id"]] += q_t / Decimal(str(GAS_Q_T[rec["chemical"]]))
    expected_qra = {e for e, s in gas_sum.items() if s >= 1}

    e_rows = table[table["level"] == "enterprise"].set_index("enterprise_id")
    u_rows = table[table["level"] == "unit"]
    assert list(table.columns) == list(COLUMNS)
    assert len(e_rows) == len(ents) == 150 and u_rows["unit_id"].nunique() == len(u_rows) == 298
    assert e_rows["method"].isin(["consequence", "qra", "design_code"]).all()
    assert e_rows["reason"].str.contains(" / ").all() and u_rows["reason"].str.contains(" / ").all()

    counts = e_rows["method"].value_counts().to_dict()
    assert set(e_rows.index[e_rows["method"] == "qra"]) == expected_qra
    assert counts.get("consequence", 0) == 0  # no explosive in the sample city
    assert counts == {"qra": len(expected_qra), "design_code": 150 - len(expected_qra)}
    for ent in expected_qra:
        assert e_rows.loc[ent, "gas_sum"] == pytest.approx(float(gas_sum[ent]), rel=1e-12)
    assert not e_rows["provisional"].any()  # every sample chemical resolves

    # The whole enterprise goes to QRA: every unit of a QRA enterprise, gas or not.
    unit_methods = u_rows.groupby("enterprise_id")["method"].agg(set)
    for ent, methods in unit_methods.items():
        assert methods == {e_rows.loc[ent, "method"]}, ent
    qra_units = u_rows[u_rows["method"] == "qra"]
    without_gas = qra_units[qra_units["gas_sum"] == 0]
    assert len(without_gas) > 0  # e.g. the refinery's gasoline tank farm

    per_unit = method_table(url, trigger=QraTrigger(scope="unit"))
    per_unit_qra = int((per_unit[per_unit["level"] == "enterprise"]["method"] == "qra").sum())
    by_status = e_rows.groupby(["method", "status"]).size().to_dict()
    with capsys.disabled():
        print(f"\nsample city, enterprises per method: {counts}; units per method: "
              f"{u_rows['method'].value_counts().to_dict()}; QRA units holding no gas: {len(without_gas)}")
        print(f"by method and status: {by_status}")
        print(f"with the per-unit trigger (QraTrigger(scope='unit')): {per_unit_qra} QRA enterprises")
    assert per_unit_qra <= len(expected_qra)


def test_criteria_follow_the_status(city) -> None:
    _, table = city
    e_rows = table[table["level"] == "enterprise"].set_index("enterprise_id")
    planned = e_rows[e_rows["status"] == "planned"]
    assert set(planned.index) == {"ENT-0009", "ENT-0095", "ENT-0111"}
    assert (planned["criteria"] == "new").all() and (planned["criteria_label"] == "新建装置 / new installations").all()
    existing = e_rows[e_rows["status"].isin(["operating", "suspended"])]
    assert (existing["criteria"] == "existing").all() and existing["assessed"].all()
    closed = e_rows[e_rows["status"] == "closed"]
    assert len(closed) == 5 and closed["criteria"].isna().all() and not closed["assessed"].any()
    units = table[table["level"] == "unit"]
    assert (units.groupby("enterprise_id")["criteria_label"].nunique() == 1).all()


def test_code_distances_of_known_units(city) -> None:
    _, table = city
    units = table[table["level"] == "unit"].set_index("unit_id")
    cols = [f"code_distance_{c}_m" for c in TARGET_CLASSES]
    assert units.loc["HU-0005", cols].tolist() == [100.0] * 5  # 汽油罐区: 甲/乙 liquid tank group
    assert units.loc["HU-0006", cols].tolist() == [150.0] * 5  # 液化石油气球罐区: LHC tank group
    assert units.loc["HU-0243", cols].tolist() == [150.0] * 5  # planned LNG tanks (refrigerated, liquefied)
    assert units.loc["HU-0001", cols].tolist() == [100.0] * 5  # 常减压蒸馏装置: 甲 process unit
    assert units.loc["HU-0025", cols].tolist() == [50.0, 50.0, 25.0, 25.0, 25.0]  # 乙 cylinder store (chlorine)
    ammonia = units.loc["HU-0236"]  # 乙 pressure vessel: no table column
    assert ammonia[cols].isna().all() and "class 乙" in ammonia["code_reason"]
    enterprise_rows = table[table["level"] == "enterprise"]
    assert enterprise_rows[cols].isna().all().all()
