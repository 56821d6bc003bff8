"""The hidden-danger register's rules (隐患排查治理; docs/standards/hidden-dangers.md): levels, the
workflow, overdue and 通报 flags, the map colours, the 121号 list of major-hazard situations and the
reading of a regulator's spreadsheet. Pure: no database, files or settings.

Dates are calendar days (``datetime.date``); a deadline (整改期限) is the last day allowed, so an
item is overdue from the day after it while not closed (CHOICE).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from geo_risk.errors import InvalidInput, Problem

__all__ = [
    "LEVELS", "STATUSES", "TRANSITIONS", "OPEN_STATUSES", "CRITERIA_121", "CRITERIA_TAG", "COLOURS",
    "HEADER_MAP", "IllegalTransition", "allowed_transitions", "check_transition", "is_overdue",
    "needs_notice", "flags", "enterprise_colour", "parse_level", "parse_status", "parse_date",
    "read_rows",
]

#: Level code → (中文, English). 16号令 art. 3 (C2).
LEVELS: dict[str, tuple[str, str]] = {"general": ("一般事故隐患", "general"), "major": ("重大事故隐患", "major")}

#: Status code → (中文, English), in workflow order (CHOICE: the texts name the steps, not a state machine).
STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("已上报", "reported"),
    "assigned": ("已交办", "assigned"),
    "rectifying": ("整改中", "rectifying"),
    "reviewed": ("已复查", "reviewed"),
    "closed": ("已销号", "closed"),
}
OPEN_STATUSES = tuple(s for s in STATUSES if s != "closed")

#: Legal transitions: status → the statuses it may go to. A failed review sends the item back to
#: rectification; closing (销号) only after review; closed is final. CHOICE.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("assigned",),
    "assigned": ("rectifying",),
    "rectifying": ("reviewed",),
    "reviewed": ("closed", "rectifying"),
    "closed": (),
}

#: 安监总管三〔2017〕121号: the twenty situations judged a major hidden danger in chemical and hazardous-
#: chemical enterprises: code → (中文 abridged, English gist). Items 1–14 C2, 15 C1, 16–20 UNCONFIRMED (the doc).
CRITERIA_121: dict[str, tuple[str, str]] = {
    "121-01": ("主要负责人和安全生产管理人员未依法经考核合格", "managers not certified"),
    "121-02": ("特种作业人员未持证上岗", "special-work operators without licence"),
    "121-03": ("“两重点一重大”装置、储存设施外部安全防护距离不符合国家标准",
               "external safety distance of key or major-hazard plant not met"),
    "121-04": ("重点监管危险化工工艺装置未实现自动化控制、紧急停车",
               "hazardous processes without automatic control or emergency shutdown"),
    "121-05": ("一、二级重大危险源罐区未实现紧急切断或未配备独立安全仪表系统",
               "grade 1-2 tank farms without emergency shut-off or independent SIS"),
    "121-06": ("全压力式液化烃储罐未按国家标准设置注水措施",
               "pressurised liquefied-hydrocarbon tanks without water injection"),
    "121-07": ("液化烃、液氨、液氯等充装未使用万向管道充装系统", "liquefied gas loading without swivel-arm system"),
    "121-08": ("光气、氯气等剧毒气体及硫化氢管道穿越厂区外公共区域", "toxic gas pipelines across public areas"),
    "121-09": ("地区架空电力线路穿越生产区且不符合国家标准", "overhead power lines across the production area"),
    "121-10": ("在役化工装置未经正规设计且未进行安全设计诊断", "plant never properly designed nor design-audited"),
    "121-11": ("使用淘汰落后安全技术工艺、设备目录列出的工艺、设备", "phased-out processes or equipment in use"),
    "121-12": ("未按国家标准设置可燃有毒气体检测报警装置或防爆电气设备",
               "no gas detection or non-Ex electrics in hazardous areas"),
    "121-13": ("控制室或机柜间面向火灾爆炸危险装置一侧不满足防火防爆要求",
               "control room facing the plant not fire- and blast-protected"),
    "121-14": ("未按国家标准设置双重电源供电，自动化控制系统未设不间断电源",
               "no dual power supply or no UPS for controls"),
    "121-15": ("安全阀、爆破片等安全附件未正常投用", "relief valves or bursting discs not in service"),
    "121-16": ("未建立全员安全生产责任制或未制定实施隐患排查治理制度",
               "no safety responsibility system or hidden-danger system"),
    "121-17": ("未制定操作规程和工艺控制指标", "no operating procedures or process limits"),
    "121-18": ("未按国家标准制定动火、受限空间等特殊作业管理制度或未有效执行",
               "hot-work or confined-space rules missing or not applied"),
    "121-19": ("新工艺未经试验论证、新装置无试生产方案、精细化工未做反应安全风险评估",
               "unproven process, no trial-run plan or no reaction-hazard assessment"),
    "121-20": ("未按国家标准分区分类储存，超量、超品种储存，禁配物质混放混存",
               "storage not segregated, over quantity or incompatibles mixed"),
}
CRITERIA_TAG = {f"121-{i:02d}": ("C2" if i <= 14 else "C1" if i == 15 else "UNCONFIRMED") for i in range(1, 21)}

#: Enterprise colour on the map, worst first: code → (hex, 中文, English). CHOICE.
COLOURS: dict[str, tuple[str, str, str]] = {
    "red": ("#e31a1c", "重大隐患超期未整改", "Major hidden danger overdue"),
    "orange": ("#ff7f00", "重大隐患整改中", "Open major hidden danger"),
    "yellow": ("#ffd92f", "一般隐患超期", "General hidden danger overdue"),
    "blue": ("#1f78b4", "一般隐患整改中", "Open general hidden dangers"),
}


class IllegalTransition(InvalidInput):
    """A status change the workflow does not allow (HTTP 409); the message names the allowed ones."""


def allowed_transitions(status: str) -> tuple[str, ...]:
    """The statuses an item in ``status`` may move to (empty for closed)."""
    if status not in TRANSITIONS:
        raise InvalidInput(f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
    return TRANSITIONS[status]


def check_transition(current: str, to: str) -> None:
    """Raise unless ``current`` → ``to`` is a legal step.

    Raises
    ------
    InvalidInput
        ``to`` is not a status at all (HTTP 422).
    IllegalTransition
        ``to`` is a status but not reachable from ``current`` (HTTP 409), naming the allowed ones.
    """
    if to not in STATUSES:
        raise InvalidInput(f"unknown status {to!r}; valid: {', '.join(STATUSES)}")
    allowed = allowed_transitions(current)
    if to not in allowed:
        nxt = ", ".join(allowed) if allowed else "none: a closed (已销号) item is final"
        extra = " (closing needs a review first: rectifying → reviewed → closed)" if to == "closed" else ""
        raise IllegalTransition(
            f"a hidden danger in status {current!r} ({STATUSES[current][0]}) cannot go to {to!r}{extra}; "
            f"allowed from {current!r}: {nxt}")


def is_overdue(deadline: dt.date, status: str, on: dt.date) -> bool:
    """Whether an item is overdue on day ``on``: its deadline (the last day allowed) has passed and it is
    not closed."""
    return status != "closed" and deadline < on


def needs_notice(level: str, deadline: dt.date, status: str, on: dt.date) -> bool:
    """Whether an item is flagged for 通报 on ``on``: a major item that is overdue (CHOICE)."""
    return level == "major" and is_overdue(deadline, status, on)


def flags(level: str, deadline: dt.date, status: str, on: dt.date) -> list[str]:
    """The item's flags on ``on``: ``overdue`` (a warning) and ``notice`` (通报, major and overdue)."""
    out = []
    if is_overdue(deadline, status, on):
        out.append("overdue")
    if needs_notice(level, deadline, status, on):
        out.append("notice")
    return out


def enterprise_colour(items: Iterable[tuple[str, dt.date, str]], on: dt.date) -> str | None:
    """The map colour of an enterprise from its items ``(level, deadline, status)`` on ``on``: red (an
    open major item overdue) > orange (an open major item) > yellow (an overdue general item) > blue
    (open general items); None when nothing is open."""
    best: str | None = None
    order = list(COLOURS)
    for level, deadline, status in items:
        if status == "closed":
            continue
        late = is_overdue(deadline, status, on)
        c = ("red" if late else "orange") if level == "major" else ("yellow" if late else "blue")
        if best is None or order.index(c) < order.index(best):
            best = c
    return best


# -- reading a regulator's spreadsheet ------------------------------------------------------------
#: Column header (as regulators' 隐患台账 name them, and the field names themselves) → field.
HEADER_MAP: dict[str, str] = {
    "隐患编号": "id", "编号": "id", "id": "id",
    "企业名称": "enterprise", "单位名称": "enterprise", "企业": "enterprise", "enterprise": "enterprise",
    "企业编号": "enterprise_id", "enterprise_id": "enterprise_id",
    "统一社会信用代码": "uscc", "uscc": "uscc",
    "单元编号": "unit_id", "装置编号": "unit_id", "unit_id": "unit_id",
    "隐患描述": "description", "隐患内容": "description", "隐患名称": "description", "description": "description",
    "隐患级别": "level", "隐患等级": "level", "级别": "level", "level": "level",
    "判定依据": "criterion", "判定标准条款": "criterion", "重大隐患判定依据": "criterion", "criterion": "criterion",
    "发现日期": "found_on", "排查日期": "found_on", "发现时间": "found_on", "found_on": "found_on",
    "整改期限": "deadline", "整改时限": "deadline", "限期": "deadline", "deadline": "deadline",
    "责任人": "responsible", "整改责任人": "responsible", "responsible": "responsible",
    "责任部门": "responsible_dept", "责任单位": "responsible_dept", "responsible_dept": "responsible_dept",
    "状态": "status", "整改状态": "status", "治理状态": "status", "status": "status",
    "挂牌督办": "supervised", "是否挂牌督办": "supervised", "supervised": "supervised",
    "督办单位": "supervised_by", "督办部门": "supervised_by", "supervised_by": "supervised_by",
    "是否公示": "public", "公示": "public", "public": "public",
}
REQUIRED = ("description", "level", "found_on", "deadline")

_LEVEL_WORDS = {"一般": "general", "一般隐患": "general", "一般事故隐患": "general", "general": "general",
                "重大": "major", "重大隐患": "major", "重大事故隐患": "major", "major": "major"}
_STATUS_WORDS = {"已上报": "reported", "上报": "reported", "待交办": "reported", "reported": "reported",
                 "已交办": "assigned", "交办": "assigned", "待整改": "assigned", "assigned": "assigned",
                 "整改中": "rectifying", "正在整改": "rectifying", "rectifying": "rectifying",
                 "已复查": "reviewed", "待销号": "reviewed", "已验收": "reviewed", "reviewed": "reviewed",
                 "已销号": "closed", "销号": "closed", "closed": "closed"}
_YES = {"是", "有", "y", "yes", "true", "1", "√"}
_NO = {"否", "无", "n", "no", "false", "0", ""}


def parse_level(value: Any) -> str:
    """``general`` or ``major`` from 一般/重大 (…隐患, …事故隐患) or the English codes."""
    text = _text(value) or ""
    key = text if text in _LEVEL_WORDS else text.lower()
    if key not in _LEVEL_WORDS:
        raise InvalidInput(f"隐患级别 {value!r} is not a level: write 一般 or 重大 (general / major)")
    return _LEVEL_WORDS[key]


def parse_status(value: Any) -> str:
    """A status code from its Chinese name (已上报, 已交办, 整改中, 已复查/待销号, 已销号) or code."""
    text = _text(value)
    if text is None:
        return "reported"
    key = text if text in _STATUS_WORDS else text.lower()
    if key not in _STATUS_WORDS:
        raise InvalidInput(f"状态 {value!r} is not a status: write one of 已上报, 已交办, 整改中, 已复查, 已销号")
    return _STATUS_WORDS[key]


def parse_date(value: Any, name: str) -> dt.date:
    """A calendar day from a date, a datetime, an ISO text or 2026年3月1日 / 2026/3/1 / 2026.3.1."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        return value.to_pydatetime().date()
    text = _text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text or "")
    if m is None:
        raise InvalidInput(f"{name} {value!r} is not a date: write 2026-03-01 or 2026年3月1日")
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a day of the calendar") from None


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = (_text(value) or "").lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput(f"{name} {value!r} is not yes or no: write 是 or 否")


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class EnterpriseKeys:
    """The store's enterprises by id, name and USCC, and its units' enterprise."""

    by_id: Mapping[str, str]  # id → name
    by_name: Mapping[str, str]  # name → id
    by_uscc: Mapping[str, str]  # USCC → id
    unit_enterprise: Mapping[str, str]  # unit id → enterprise id


def read_rows(rows: list[Mapping[str, Any]], keys: EnterpriseKeys, layer: str = "hidden_dangers"
              ) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Records of the register from spreadsheet rows (headers as in :data:`HEADER_MAP`), and every
    problem, each naming its 1-based row. The caller writes nothing when a problem is found.

    Each record has: id (None when not given), enterprise_id, unit_id, description, level, criterion,
    found_on, deadline, responsible, responsible_dept, status, supervised, supervised_by, public.
    """
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    if rows:
        unknown = [h for h in rows[0] if str(h).strip() not in HEADER_MAP and str(h).strip().lower() not in HEADER_MAP]
        mapped = {HEADER_MAP.get(str(h).strip(), HEADER_MAP.get(str(h).strip().lower())) for h in rows[0]}
        missing = [f for f in REQUIRED if f not in mapped]
        if not ({"enterprise", "enterprise_id", "uscc"} & mapped):
            missing.insert(0, "enterprise")
        if missing:
            names = {f: [h for h, v in HEADER_MAP.items() if v == f][0] for f in missing}
            problems.append(Problem(layer, None, None, "missing column(s): " + ", ".join(
                f"{names[f]} ({f})" for f in missing) + (f"; columns not recognised: {', '.join(map(str, unknown))}"
                                                           if unknown else "")))
            return [], problems
    seen: set[str] = set()
    for i, raw in enumerate(rows, start=1):
        row = {}
        for h, v in raw.items():
            f = HEADER_MAP.get(str(h).strip(), HEADER_MAP.get(str(h).strip().lower()))
            if f is not None:
                row[f] = v
        rid = _text(row.get("id"))
        try:
            rec = _record(row, keys)
        except InvalidInput as exc:
            problems.append(Problem(layer, i, rid, str(exc)))
            continue
        if rid is not None:
            if rid in seen:
                problems.append(Problem(layer, i, rid, f"隐患编号 {rid!r} appears twice in the file"))
                continue
            seen.add(rid)
        rec["id"] = rid
        records.append(rec)
    return records, problems


def _record(row: Mapping[str, Any], keys: EnterpriseKeys) -> dict[str, Any]:
    ent = _enterprise(row, keys)
    description = _text(row.get("description"))
    if description is None:
        raise InvalidInput("隐患描述 is empty: describe the hidden danger")
    level = parse_level(row.get("level"))
    criterion = _text(row.get("criterion"))
    if criterion is not None:
        numbers = set(re.findall(r"\d+", re.sub(r"^121\s*[-号]?", "", criterion)))  # 121-06, 6, 第六条 (6)
        code = f"121-{int(numbers.pop()):02d}" if len(numbers) == 1 else criterion
        if code not in CRITERIA_121:
            raise InvalidInput(f"判定依据 {criterion!r} is not one of the 20 situations of 安监总管三〔2017〕121号: "
                               "write 121-01 … 121-20 (or the item's number)")
        if level != "major":
            raise InvalidInput(f"判定依据 {code} makes the item 重大 (major), but 隐患级别 says 一般: fix one of them")
        criterion = code
    found_on = parse_date(row.get("found_on"), "发现日期")
    deadline = parse_date(row.get("deadline"), "整改期限")
    if deadline < found_on:
        raise InvalidInput(f"整改期限 {deadline} is before 发现日期 {found_on}")
    unit_id = _text(row.get("unit_id"))
    if unit_id is not None and keys.unit_enterprise.get(unit_id) != ent:
        where = keys.unit_enterprise.get(unit_id)
        raise InvalidInput(f"单元 {unit_id!r} " + (f"belongs to {where!r}, not to {ent!r}" if where
                                                   else "is not a hazard unit of the store"))
    public = _bool(row.get("public"), "是否公示")
    if public and level != "major":
        raise InvalidInput("是否公示 is 是 for a 一般 item: only major hidden dangers are listed publicly")
    supervised_by = _text(row.get("supervised_by"))
    supervised = _bool(row.get("supervised"), "挂牌督办") or supervised_by is not None
    return {"enterprise_id": ent, "unit_id": unit_id, "description": description, "level": level,
            "criterion": criterion, "found_on": found_on, "deadline": deadline,
            "responsible": _text(row.get("responsible")), "responsible_dept": _text(row.get("responsible_dept")),
            "status": parse_status(row.get("status")), "supervised": supervised, "supervised_by": supervised_by,
            "public": public}


def _enterprise(row: Mapping[str, Any], keys: EnterpriseKeys) -> str:
    eid = _text(row.get("enterprise_id"))
    if eid is not None:
        if eid not in keys.by_id:
            raise InvalidInput(f"企业编号 {eid!r} is not an enterprise of the store: load it first or fix the id")
        return eid
    uscc = _text(row.get("uscc"))
    if uscc is not None and uscc in keys.by_uscc:
        return keys.by_uscc[uscc]
    name = _text(row.get("enterprise"))
    if name is not None and name in keys.by_name:
        return keys.by_name[name]
    shown = name or uscc
    raise InvalidInput(f"企业 {shown!r} is not an enterprise of the store (by name or 统一社会信用代码): "
                       "load it first or fix the name")
