"""The hidden-danger register's pure rules: workflow, overdue by a fixed clock, colours, 121号 list, rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from geo_risk.analysis.hidden_dangers import (
    COLOURS,
    CRITERIA_121,
    STATUSES,
    EnterpriseKeys,
    IllegalTransition,
    check_transition,
    enterprise_colour,
    flags,
    is_overdue,
    parse_date,
    read_rows,
)
from geo_risk.errors import InvalidInput

#: The fixed reference day of these tests (never the wall clock).
REF = dt.date(2026, 12, 1)
#: The workflow as the brief states it, written out by hand: reported → assigned → rectifying →
#: reviewed → closed, a failed review back to rectifying.
LEGAL = {("reported", "assigned"), ("assigned", "rectifying"), ("rectifying", "reviewed"),
         ("reviewed", "closed"), ("reviewed", "rectifying")}


@pytest.mark.parametrize("pair", sorted(LEGAL))
def test_each_legal_transition_passes(pair: tuple[str, str]) -> None:
    check_transition(*pair)


@pytest.mark.parametrize("pair", sorted(set(itertools.product(STATUSES, STATUSES)) - LEGAL))
def test_each_illegal_transition_is_refused_naming_the_allowed_ones(pair: tuple[str, str]) -> None:
    current, to = pair
    with pytest.raises(IllegalTransition) as info:
        check_transition(current, to)
    allowed = sorted(t for f, t in LEGAL if f == current)
    message = str(info.value)
    assert f"allowed from {current!r}: " in message
    for a in allowed:
        assert a in message.split("allowed from")[1]
    if current == "closed":
        assert "final" in message


def test_closing_needs_a_review_and_unknown_statuses_are_422_not_409() -> None:
    with pytest.raises(IllegalTransition, match="closing needs a review"):
        check_transition("rectifying", "closed")
    with pytest.raises(InvalidInput) as info:
        check_transition("reported", "done")
    assert not isinstance(info.value, IllegalTransition) and "valid: reported, assigned" in str(info.value)


def test_overdue_by_a_fixed_clock() -> None:
    deadline = dt.date(2026, 11, 30)  # the last day allowed
    assert not is_overdue(deadline, "rectifying", dt.date(2026, 11, 30))
    assert is_overdue(deadline, "rectifying", REF)
    assert is_overdue(deadline, "reviewed", REF)  # reviewed is not closed
    assert not is_overdue(deadline, "closed", REF)
    assert flags("major", deadline, "assigned", REF) == ["overdue", "notice"]  # 通报
    assert flags("general", deadline, "assigned", REF) == ["overdue"]
    assert flags("major", REF, "assigned", REF) == []
    assert flags("major", deadline, "closed", REF) == []


def test_enterprise_colours_worst_wins() -> None:
    late, due = dt.date(2026, 11, 1), dt.date(2027, 1, 1)
    assert enterprise_colour([("general", due, "reported")], REF) == "blue"
    assert enterprise_colour([("general", due, "reported"), ("general", late, "assigned")], REF) == "yellow"
    assert enterprise_colour([("general", late, "assigned"), ("major", due, "assigned")], REF) == "orange"
    assert enterprise_colour([("major", due, "assigned"), ("major", late, "reviewed")], REF) == "red"
    assert enterprise_colour([("major", late, "closed"), ("general", due, "reported")], REF) == "blue"
    assert enterprise_colour([("major", late, "closed")], REF) is None
    assert [v[0] for v in COLOURS.values()] == ["#e31a1c", "#ff7f00", "#ffd92f", "#1f78b4"]


def test_the_121_list_holds_twenty_situations() -> None:
    assert list(CRITERIA_121) == [f"121-{i:02d}" for i in range(1, 21)]
    # wording read in the reprint of the standard (docs/standards/hidden-dangers.md)
    assert "注水" in CRITERIA_121["121-06"][0] and "液化烃" in CRITERIA_121["121-06"][0]
    assert "万向管道" in CRITERIA_121["121-07"][0]
    assert "特种作业" in CRITERIA_121["121-02"][0]
    assert "防火防爆" in CRITERIA_121["121-13"][0]


KEYS = EnterpriseKeys(by_id={"E1": "甲化工有限公司", "E2": "乙化工有限公司"},
                      by_name={"甲化工有限公司": "E1", "乙化工有限公司": "E2"}, by_uscc={"91X": "E2"},
                      unit_enterprise={"U1": "E1", "U2": "E2"})


def _row(**kw: object) -> dict[str, object]:
    base = {"隐患编号": "A-1", "企业名称": "甲化工有限公司", "单元编号": "U1", "隐患描述": "罐区报警器失效",
            "隐患级别": "重大", "判定依据": "第十二条 (12)", "发现日期": "2026年10月1日", "整改期限": "2026/11/30",
            "责任人": "王工", "状态": "整改中", "挂牌督办": "是", "督办单位": "市应急管理局", "是否公示": "是"}
    base.update(kw)
    return base


def test_rows_with_chinese_headers_map_to_fields() -> None:
    records, problems = read_rows([_row(), _row(隐患编号="A-2", 企业名称=None, 统一社会信用代码="91X", 单元编号="U2",
                                                 隐患级别="一般事故隐患", 判定依据=None, 状态="待销号", 挂牌督办="否",
                                                 督办单位=None, 是否公示="否")], KEYS)
    assert problems == []
    a, b = records
    assert (a["enterprise_id"], a["level"], a["criterion"], a["found_on"], a["deadline"], a["status"],
            a["supervised"], a["public"]) == ("E1", "major", "121-12", dt.date(2026, 10, 1), dt.date(2026, 11, 30),
                                              "rectifying", True, True)
    assert (b["enterprise_id"], b["level"], b["status"], b["supervised"], b["public"]) == (
        "E2", "general", "reviewed", False, False)


@pytest.mark.parametrize(("change", "says"), [
    ({"企业名称": "丙化工有限公司"}, "'丙化工有限公司' is not an enterprise of the store"),
    ({"单元编号": "U2"}, "belongs to 'E2'"),
    ({"隐患级别": "较大"}, "is not a level"),
    ({"隐患级别": "一般"}, "makes the item 重大"),
    ({"判定依据": "121-21"}, "not one of the 20 situations"),
    ({"整改期限": "2026-09-01"}, "before 发现日期"),
    ({"发现日期": "2026-02-30"}, "not a day of the calendar"),
    ({"状态": "完成"}, "is not a status"),
    ({"隐患级别": "一般", "判定依据": None, "是否公示": "是"}, "only major hidden dangers are listed publicly"),
])
def test_a_bad_row_is_named(change: dict[str, object], says: str) -> None:
    records, problems = read_rows([_row(隐患编号="OK"), _row(**change)], KEYS)
    assert len(records) == 1 and len(problems) == 1
    assert problems[0].row == 2 and problems[0].id == "A-1" and says in problems[0].reason, problems[0].reason


def test_missing_columns_and_dates() -> None:
    _, problems = read_rows([{"企业名称": "甲化工有限公司", "隐患描述": "x"}], KEYS)
    assert "隐患级别 (level)" in problems[0].reason and "发现日期 (found_on)" in problems[0].reason
    assert parse_date("2026.3.1", "d") == dt.date(2026, 3, 1)
    assert parse_date(dt.datetime(2026, 3, 1, 8), "d") == dt.date(2026, 3, 1)
