"""The register (重大危险源登记台账) of the graded sample city: xlsx and csv files checked against SQL."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from sqlalchemy import text
from typer.testing import CliRunner

from geo_risk import register as reg
from geo_risk.cli import app
from geo_risk.errors import InvalidInput
from geo_risk.grading import grade_store
from geo_risk.store.db import get_engine
from geo_risk.store.register_query import register_rows

GRADES = ["一级", "二级", "三级", "四级"]
NUMERIC = [reg.NO, reg.S, reg.ALPHA, reg.RESIDENTS, reg.R, reg.LON, reg.LAT]


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    return db_url


@pytest.fixture(scope="module")
def frames(city: str) -> reg.RegisterFrames:
    return reg.build_register(register_rows(city))


@pytest.fixture(scope="module")
def workbook(frames: reg.RegisterFrames, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("register") / "register.xlsx"
    assert reg.write_register(frames, path) == [path]
    return openpyxl.load_workbook(path)


def _sql(url: str, sql: str, **params) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _sheet(ws) -> tuple[list[str], list[dict]]:
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _cells(ws, column: str) -> list:
    header = [c.value for c in ws[1]]
    j = header.index(column) + 1
    return [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]


def test_the_workbook_has_the_sheets_and_chinese_first_headers(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [reg.REGISTER_SHEET, reg.PLANNED_SHEET, reg.NOTES_SHEET]
    ws = workbook[reg.REGISTER_SHEET]
    header, _ = _sheet(ws)
    assert header[:6] == ["序号 No.", "企业名称 Enterprise", "统一社会信用代码 USCC", "行业代码 Industry code",
                          "所在园区 Chemical park", "企业状态 Enterprise status"]
    for h in ["单元名称 Unit", "单元类型 Unit type", "辨识指标 S", "校正系数 α", "分级指标 R", "级别 Grade",
              "危险化学品名称及设计最大量 Chemicals and design maximum quantities (t)",
              "经度 Longitude", "纬度 Latitude"]:
        assert h in header
    for h in header:  # Chinese first, then English
        assert re.match(r"^[0-9 m]*[\u4e00-\u9fff]+.* [A-Za-z(α]", h), h
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref.startswith("A1:")
    assert workbook[reg.PLANNED_SHEET].freeze_panes == "C2"


def test_register_rows_are_exactly_the_major_units_in_the_register(city: str, workbook: openpyxl.Workbook) -> None:
    expected = {r[0] for r in _sql(city, "SELECT unit_id FROM hazard_assessments "
                                         "WHERE is_major_hazard AND register = 'register'")}
    _, rows = _sheet(workbook[reg.REGISTER_SHEET])
    assert len(rows) == len(expected) > 100
    assert {r[reg.UNIT_ID] for r in rows} == expected
    assert [r[reg.NO] for r in rows] == list(range(1, len(rows) + 1))
    statuses = dict(_sql(city, "SELECT name, status FROM enterprises"))
    assert {statuses[r[reg.ENTERPRISE]] for r in rows} <= {"operating", "suspended"}


def test_grades_are_sorted_then_r_descending_and_follow_r(workbook: openpyxl.Workbook) -> None:
    _, rows = _sheet(workbook[reg.REGISTER_SHEET])
    grades = [r[reg.GRADE] for r in rows]
    assert set(grades) == set(GRADES)
    assert grades == sorted(grades, key=GRADES.index)
    for a, b in zip(rows, rows[1:], strict=False):
        if a[reg.GRADE] == b[reg.GRADE]:
            assert a[reg.R] >= b[reg.R]
    for r in rows:  # GB 18218 Table 6, applied to the 2-decimal R shown
        expected = "一级" if r[reg.R] >= 100 else "二级" if r[reg.R] >= 50 else "三级" if r[reg.R] >= 10 else "四级"
        assert r[reg.GRADE] == expected, r[reg.UNIT_ID]


def test_numbers_are_numeric_cells(workbook: openpyxl.Workbook) -> None:
    ws = workbook[reg.REGISTER_SHEET]
    for column in NUMERIC:
        cells = _cells(ws, column)
        assert cells and all(c.data_type == "n" and isinstance(c.value, int | float) for c in cells), column
    distances = [c for c in _cells(ws, reg.DISTANCE) if c.value is not None]
    assert distances and all(isinstance(c.value, int | float) for c in distances)
    assert all(isinstance(c.value, datetime) for c in _cells(ws, reg.COMPUTED))
    assert all(isinstance(c.value, int) for c in _cells(ws, reg.RESIDENTS))
    assert all(c.alignment.wrap_text for c in _cells(ws, reg.CHEMICALS))


def test_one_unit_against_its_inventory_rows_and_footprint(city: str, workbook: openpyxl.Workbook) -> None:
    # A register unit with several inventory rows, chosen and read straight from the tables.
    (unit,) = _sql(city, """
        SELECT i.unit_id FROM inventory i JOIN hazard_assessments a ON a.unit_id = i.unit_id
         WHERE a.is_major_hazard AND a.register = 'register'
         GROUP BY i.unit_id HAVING count(*) >= 3 ORDER BY i.unit_id LIMIT 1""")[0]
    inventory = _sql(city, "SELECT chemical, max_quantity_t FROM inventory WHERE unit_id = :u ORDER BY id", u=unit)
    _, rows = _sheet(workbook[reg.REGISTER_SHEET])
    (row,) = [r for r in rows if r[reg.UNIT_ID] == unit]
    parts = row[reg.CHEMICALS].split("；")
    assert len(parts) == len(inventory)
    for part, (chemical, quantity) in zip(parts, inventory, strict=True):
        name, qty = re.fullmatch(r"(.+) ([0-9.]+) t", part).groups()
        assert chemical in name and float(qty) == pytest.approx(quantity, rel=1e-9)
    s, alpha, r = _sql(city, "SELECT s, alpha, r FROM hazard_assessments WHERE unit_id = :u", u=unit)[0]
    assert (row[reg.S], row[reg.ALPHA], row[reg.R]) == (round(s, 2), alpha, round(r, 2))
    # The point lies on the unit's footprint (within 0.2 m, for the 6-decimal rounding).
    (inside,) = _sql(city, "SELECT ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, "
                           "0.2) FROM hazard_units WHERE id = :u", x=row[reg.LON], y=row[reg.LAT], u=unit)[0]
    assert inside


def test_a_declared_name_other_than_table_1_is_shown_beside_it(city: str, workbook: openpyxl.Workbook) -> None:
    (unit, declared) = _sql(city, """
        SELECT i.unit_id, i.chemical FROM inventory i JOIN hazard_assessments a ON a.unit_id = i.unit_id
         WHERE a.is_major_hazard AND a.register = 'register' AND i.chemical = '液氯'
         ORDER BY i.unit_id LIMIT 1""")[0]
    _, rows = _sheet(workbook[reg.REGISTER_SHEET])
    (row,) = [r for r in rows if r[reg.UNIT_ID] == unit]
    assert f"氯（{declared}）" in row[reg.CHEMICALS]


def test_the_planned_sheet_lists_the_planned_major_units(city: str, workbook: openpyxl.Workbook) -> None:
    expected = _sql(city, "SELECT a.unit_id, e.status FROM hazard_assessments a JOIN enterprises e "
                          "ON e.id = a.enterprise_id WHERE a.is_major_hazard AND a.register = 'planned'")
    header, rows = _sheet(workbook[reg.PLANNED_SHEET])
    assert header == reg.COLUMNS
    assert expected and {r[reg.UNIT_ID] for r in rows} == {u for u, _ in expected}
    assert {s for _, s in expected} == {"planned"} and {r[reg.STATUS] for r in rows} == {"拟建"}


def test_the_notes_sheet_states_method_version_alpha_and_synthetic(city: str, workbook: openpyxl.Workbook) -> None:
    notes = "\n".join(str(v) for row in workbook[reg.NOTES_SHEET].iter_rows(values_only=True) for v in row if v)
    [(method, version)] = _sql(city, "SELECT DISTINCT method, inputs_version FROM hazard_assessments")
    assert method in notes and str(version) in notes
    assert "500 m" in notes and "apportioned" in notes and "常住人口" in notes
    assert "SYNTHETIC" in notes and "合成" in notes


def test_csv_has_a_bom_and_round_trips(frames: reg.RegisterFrames, tmp_path: Path) -> None:
    path = tmp_path / "台账.csv"
    written = reg.write_register(frames, path)
    assert written == [path, tmp_path / "台账_planned.csv"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={reg.USCC: str, reg.INDUSTRY: str})
    assert list(back.columns) == reg.COLUMNS and len(back) == len(frames.register)
    for column in (reg.UNIT_ID, reg.ENTERPRISE, reg.USCC, reg.GRADE, reg.CHEMICALS):
        assert back[column].fillna("").tolist() == frames.register[column].fillna("").tolist()
    assert back[reg.R].tolist() == pytest.approx(frames.register[reg.R].tolist())
    planned = pd.read_csv(written[1], encoding="utf-8-sig")
    assert planned[reg.UNIT_ID].tolist() == frames.planned[reg.UNIT_ID].tolist()


def test_other_suffixes_are_refused_naming_both(frames: reg.RegisterFrames, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\.xlsx or \.csv"):
        reg.write_register(frames, tmp_path / "register.pdf")
    with pytest.raises(InvalidInput, match="does not exist"):
        reg.write_register(frames, tmp_path / "no" / "register.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_build_register_is_pure_and_splits_sorts_and_skips() -> None:
    def row(uid: str, register: str, grade: int | None, r: float | None) -> dict:
        return {"unit_id": uid, "enterprise_name": "甲厂", "register": register, "grade": grade, "r": r, "s": 2.0,
                "alpha": 1.0, "exposed_residents": 29.5, "unit_type": "storage", "enterprise_status": "operating",
                "terms": [{"name_zh": "氯", "quantity_t": 60.0}, {"name_zh": "氨", "quantity_t": 12.5}],
                "inventory": [{"chemical": "液氯", "max_quantity_t": 60.0}, {"chemical": "氨", "max_quantity_t": 12.5}],
                "unit_lon": None, "unit_lat": None, "enterprise_lon": 126.5, "enterprise_lat": 43.8}

    f = reg.build_register([row("U1", "register", 3, 12.0), row("U2", "register", 1, 120.0),
                            row("U3", "register", 3, 40.0), row("U4", "planned", 2, 60.0),
                            row("U5", "register", None, None)])
    assert f.register[reg.UNIT_ID].tolist() == ["U2", "U3", "U1"]
    assert f.planned[reg.UNIT_ID].tolist() == ["U4"]
    first = f.register.iloc[0]
    assert first[reg.CHEMICALS] == "氯（液氯） 60 t；氨 12.5 t"
    assert first[reg.RESIDENTS] == 30 and first[reg.UNIT_TYPE] == "储存单元" and first[reg.LON] == 126.5
    assert "企业位置" in first[reg.NOTES]
    assert not f.synthetic_sample
    mismatched = row("U6", "register", 4, 5.0)
    mismatched["inventory"] = [{"chemical": "液氯", "max_quantity_t": 61.0}]  # stale: terms alone are shown
    assert reg.build_register([mismatched]).register.iloc[0][reg.CHEMICALS] == "氯 60 t；氨 12.5 t"
    empty = reg.build_register([])
    assert list(empty.register.columns) == reg.COLUMNS and empty.register.empty


def test_an_empty_register_still_writes_headers(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    reg.write_register(reg.build_register([]), path)
    ws = openpyxl.load_workbook(path)[reg.REGISTER_SHEET]
    assert [c.value for c in ws[1]] == reg.COLUMNS and ws.max_row == 1


# -- CLI ------------------------------------------------------------------------------------------
def test_cli_grades_when_stale_then_writes_the_register(cli_env: str, tmp_path: Path) -> None:
    runner = CliRunner()
    load(SAMPLE_CITY, cli_env)  # loaded, not graded: no stored results yet
    out = tmp_path / "register.xlsx"
    result = runner.invoke(app, ["register", "--out", str(out)])
    assert result.exit_code == 0, result.output
    counts = dict(_sql(cli_env, "SELECT register, count(*) FROM hazard_assessments WHERE is_major_hazard GROUP BY 1"))
    n, planned = counts["register"], counts["planned"]
    assert "grading first" in result.output
    assert f"{n} major hazard units" in result.output and str(out) in result.output
    assert f"{planned} planned units" in result.output
    assert openpyxl.load_workbook(out)[reg.REGISTER_SHEET].max_row == n + 1

    again = runner.invoke(app, ["register", "--out", str(tmp_path / "r.csv")])
    assert again.exit_code == 0, again.output
    assert "grading first" not in again.output and "r_planned.csv" in again.output
    assert (tmp_path / "r.csv").exists() and (tmp_path / "r_planned.csv").exists()

    bad = runner.invoke(app, ["register", "--out", str(tmp_path / "register.pdf")])
    assert bad.exit_code == 1 and ".xlsx or .csv" in bad.output
    assert not (tmp_path / "register.pdf").exists()
