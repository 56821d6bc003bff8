"""The register of major hazard sources (重大危险源登记台账): frames and files.

:func:`build_register` is pure: the rows of :func:`geo_risk.store.register_query.register_rows` in,
two frames out (units in the register, sorted 一级 first then R descending; planned units apart)
with bilingual headers, Chinese first. :func:`write_register` writes them as ``.xlsx`` (three
sheets: register, planned, notes) or ``.csv`` (UTF-8 with BOM, so Excel reads the Chinese; the
planned units go to ``<name>_planned.csv``).

The register carries design maximum quantities (restricted data): it is for the regulator.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from geo_risk.errors import InvalidInput

__all__ = [
    "COLUMNS",
    "GRADE_LABELS",
    "RegisterFrames",
    "build_register",
    "check_register_path",
    "planned_csv_path",
    "write_register",
]

GRADE_LABELS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
UNIT_TYPE_LABELS = {"production": "生产单元", "storage": "储存单元"}
STATUS_LABELS = {"operating": "在产", "suspended": "停产", "planned": "拟建"}  # as the map legend
#: Enterprises loaded from this file are the synthetic sample city (sample_geo/README.md).
SAMPLE_SOURCE = "jilin_city.gpkg"
TIMEZONE = "Asia/Shanghai"  # times in the register are Beijing time (UTC+8)
SUFFIXES = (".xlsx", ".csv")

NO = "序号 No."
ENTERPRISE = "企业名称 Enterprise"
USCC = "统一社会信用代码 USCC"
INDUSTRY = "行业代码 Industry code"
PARK = "所在园区 Chemical park"
STATUS = "企业状态 Enterprise status"
UNIT_ID = "单元编号 Unit ID"
UNIT = "单元名称 Unit"
UNIT_TYPE = "单元类型 Unit type"
CHEMICALS = "危险化学品名称及设计最大量 Chemicals and design maximum quantities (t)"
S = "辨识指标 S"
ALPHA = "校正系数 α"
RESIDENTS = "500 m 内常住人口 Residents within 500 m"
R = "分级指标 R"
GRADE = "级别 Grade"
MAIN = "主要危险化学品 Main substances"
LON = "经度 Longitude"
LAT = "纬度 Latitude"
DISTANCE = "外部安全防护距离 Declared safety distance (m)"
NOTES = "备注 Notes"
COMPUTED = "计算时间 Computed at (UTC+8)"
METHOD = "计算方法 Method"

#: Register columns in order.
COLUMNS = [NO, ENTERPRISE, USCC, INDUSTRY, PARK, STATUS, UNIT_ID, UNIT, UNIT_TYPE, CHEMICALS, S, ALPHA,
           RESIDENTS, R, GRADE, MAIN, LON, LAT, DISTANCE, NOTES, COMPUTED, METHOD]
#: Excel number formats of the numeric columns (the values stay numbers).
NUMBER_FORMATS = {NO: "0", S: "0.00", ALPHA: "0.0", RESIDENTS: "0", R: "0.00", LON: "0.000000",
                  LAT: "0.000000", DISTANCE: "0", COMPUTED: "yyyy-mm-dd hh:mm"}
WRAPPED = (CHEMICALS, NOTES)
# Grade fills: the red / orange / yellow / blue of Chinese risk maps.
GRADE_FILLS = {"一级": "FF0000", "二级": "FF9900", "三级": "FFFF00", "四级": "5B9BD5"}

REGISTER_SHEET = "重大危险源台账 Register"
PLANNED_SHEET = "拟建项目 Planned"
NOTES_SHEET = "说明 Notes"


@dataclass
class RegisterFrames:
    """The register (units of operating and suspended enterprises), the planned units, and facts for the notes."""

    register: pd.DataFrame
    planned: pd.DataFrame
    methods: list[str] = field(default_factory=list)
    inputs_versions: list[int] = field(default_factory=list)
    computed_at: tuple[datetime, datetime] | None = None  # earliest, latest (Beijing time)
    synthetic_sample: bool = False

    @property
    def title(self) -> str:
        where = "吉林市 合成示例数据 synthetic sample" if self.synthetic_sample else None
        day = (self.computed_at[1].date() if self.computed_at else date.today()).isoformat()
        return "重大危险源登记台账 Register of major hazard sources — " + " · ".join(filter(None, [where, day]))

    def grade_counts(self) -> dict[str, int]:
        counts = self.register[GRADE].value_counts() if len(self.register) else pd.Series(dtype=int)
        return {label: int(counts.get(label, 0)) for label in GRADE_LABELS.values()}


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _qty(t: float) -> str:
    """Tonnes without float noise: 60 → '60', 12.5 → '12.5', 0.0004 → '0.0004'."""
    return f"{float(t):.6f}".rstrip("0").rstrip(".") if t < 1e15 else f"{t:g}"


def _chemicals(terms: list[dict] | None, inventory: list[dict] | None) -> str:
    """'氯（液氯） 60 t；氨 12.5 t': Table 1 name (declared name when it differs) and the design maximum.

    ``terms`` (one per inventory row, in inventory id order) and the declared ``inventory`` rows are
    matched by position when they agree in number and quantities; otherwise the terms alone are shown.
    """
    terms = terms or []
    declared = inventory or []
    same = len(declared) == len(terms) and all(
        math.isclose(float(d.get("max_quantity_t") or 0), float(t.get("quantity_t") or 0), rel_tol=1e-9, abs_tol=1e-12)
        for d, t in zip(declared, terms, strict=False)
    )
    parts = []
    for k, t in enumerate(terms):
        name = t.get("name_zh") or t.get("cas") or "?"
        own = declared[k].get("chemical") if same else None
        if own and own.strip() and own.strip() != name:
            name = f"{name}（{own.strip()}）"
        parts.append(f"{name} {_qty(t.get('quantity_t') or 0)} t")
    return "；".join(parts)


def _beijing(ts: Any) -> datetime | None:
    if _missing(ts):
        return None
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(TIMEZONE).tz_localize(None)
    return stamp.floor("s").to_pydatetime()


def _num(v: Any, digits: int | None = None) -> float | None:
    if _missing(v):
        return None
    return round(float(v), digits) if digits is not None else float(v)


def _notes(row: Mapping[str, Any], located_by_enterprise: bool) -> str | None:
    notes = []
    if row.get("approximate"):
        notes.append("近似：企业无厂区边界，按厂址点周边 500 m 计人口 (approximate: no plant boundary)")
    if located_by_enterprise:
        notes.append("坐标为企业位置 (location of the enterprise)")
    text = row.get("notes")
    if not _missing(text) and text and not (row.get("approximate") and str(text).startswith("approximate:")):
        notes.append(str(text))
    return "；".join(notes) or None


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    lon, lat = row.get("unit_lon"), row.get("unit_lat")
    located_by_enterprise = _missing(lon) or _missing(lat)
    if located_by_enterprise:
        lon, lat = row.get("enterprise_lon"), row.get("enterprise_lat")
    residents = row.get("exposed_residents")
    grade = row.get("grade")
    return {
        ENTERPRISE: row.get("enterprise_name"),
        USCC: row.get("uscc"),
        INDUSTRY: row.get("industry_code"),
        PARK: row.get("park_name"),
        STATUS: STATUS_LABELS.get(row.get("enterprise_status"), row.get("enterprise_status")),
        UNIT_ID: row.get("unit_id"),
        UNIT: row.get("unit_name"),
        UNIT_TYPE: UNIT_TYPE_LABELS.get(row.get("unit_type"), row.get("unit_type")),
        CHEMICALS: _chemicals(row.get("terms"), row.get("inventory")),
        S: _num(row.get("s"), 2),
        ALPHA: _num(row.get("alpha")),
        # Whole people, rounded half up as GB 18218's α counts them.
        RESIDENTS: None if _missing(residents) else int(math.floor(float(residents) + 0.5)),
        R: _num(row.get("r"), 2),
        GRADE: GRADE_LABELS.get(int(grade)) if not _missing(grade) else None,
        MAIN: row.get("main_substances"),
        LON: _num(lon, 6),
        LAT: _num(lat, 6),
        DISTANCE: _num(row.get("safety_distance_m")),
        NOTES: _notes(row, located_by_enterprise),
        COMPUTED: _beijing(row.get("computed_at")),
        METHOD: row.get("method"),
        "_grade": int(grade) if not _missing(grade) else 9,
        "_r": float(row["r"]) if not _missing(row.get("r")) else -math.inf,
    }


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    frame = pd.DataFrame.from_records(records)
    frame = frame.sort_values(["_grade", "_r", ENTERPRISE, UNIT_ID], ascending=[True, False, True, True],
                              kind="mergesort").reset_index(drop=True)
    frame.insert(0, NO, range(1, len(frame) + 1))
    return frame[COLUMNS]


def build_register(rows: Iterable[Mapping[str, Any]]) -> RegisterFrames:
    """The register and the planned units from the query's rows (pure).

    Parameters
    ----------
    rows
        Mappings with the fields of :func:`geo_risk.store.register_query.register_rows`. Rows with
        ``register == 'register'`` form the register, ``'planned'`` the planned units; a row that is
        not a major hazard (no grade) has no place in either and is skipped.

    Returns
    -------
    RegisterFrames
        ``register`` and ``planned``: columns :data:`COLUMNS`, sorted by grade (一级 first) then R
        descending, numbered from 1; and the methods, inputs versions and computation times seen.
    """
    rows = [r for r in rows if not _missing(r.get("grade"))]
    register = [_record(r) for r in rows if r.get("register") == "register"]
    planned = [_record(r) for r in rows if r.get("register") == "planned"]
    times = [t for t in (_beijing(r.get("computed_at")) for r in rows) if t is not None]
    return RegisterFrames(
        register=_frame(register),
        planned=_frame(planned),
        methods=sorted({str(r["method"]) for r in rows if not _missing(r.get("method"))}),
        inputs_versions=sorted({int(r["inputs_version"]) for r in rows if not _missing(r.get("inputs_version"))}),
        computed_at=(min(times), max(times)) if times else None,
        synthetic_sample=any(str(r.get("enterprise_source") or "").startswith(SAMPLE_SOURCE) for r in rows),
    )


# -- files ----------------------------------------------------------------------------------------
def check_register_path(path: Path | str) -> Path:
    """``path`` as a Path if it ends in .xlsx or .csv and its folder exists; else :class:`InvalidInput`."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput(
            f"cannot write the register as {path.suffix or 'a file without suffix'!r} ({path}): "
            f"use a path ending in {' or '.join(SUFFIXES)} (e.g. register.xlsx)"
        )
    if not path.parent.exists():
        raise InvalidInput(f"the folder {path.parent} does not exist: create it or choose another --out path")
    return path


def planned_csv_path(path: Path | str) -> Path:
    """Where the planned units go when the register is written as CSV: ``<name>_planned.csv``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_planned{path.suffix}")


def write_register(frames: RegisterFrames, path: Path | str) -> list[Path]:
    """Write the register to ``path`` (.xlsx or .csv); return the files written."""
    path = check_register_path(path)
    if path.suffix.lower() == ".csv":
        planned = planned_csv_path(path)
        frames.register.to_csv(path, index=False, encoding="utf-8-sig")
        frames.planned.to_csv(planned, index=False, encoding="utf-8-sig")
        return [path, planned]
    _write_xlsx(frames, path)
    return [path]


def text_width(text: Any) -> int:
    """Display width: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def _cell_value(v: Any) -> Any:
    if _missing(v) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):  # numpy scalars → Python numbers
        return v.item()
    return v


def _header_width(header: str) -> int:
    """Width for the header wrapped at spaces on at most about three lines."""
    words = header.split()
    return max([*(text_width(w) for w in words), math.ceil(text_width(header) / 3)])


def _cell_text(column: str, v: Any) -> str:
    """The text Excel shows for ``v`` (to size the column)."""
    if isinstance(v, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(v, float) and column in NUMBER_FORMATS:
        decimals = NUMBER_FORMATS[column].partition(".")[2].count("0")
        return f"{v:.{decimals}f}"
    return str(v)


def _write_sheet(ws, frame: pd.DataFrame, title: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = border
    for values in frame.itertuples(index=False, name=None):
        ws.append([_cell_value(v) for v in values])
    for j, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        wrap = column in WRAPPED
        cap = 48 if wrap else (110 if column == METHOD else 60)
        widths = [_header_width(column)]
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            if cell.value is not None:
                widths.append(text_width(_cell_text(column, cell.value)))
            if column in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column]
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            else:
                cell.alignment = Alignment(vertical="top")
            cell.border = border
            if column == GRADE and cell.value in GRADE_FILLS:
                cell.fill = PatternFill("solid", fgColor=GRADE_FILLS[cell.value])
                cell.font = Font(bold=True, color="FFFFFF" if cell.value in ("一级", "四级") else "000000")
                cell.alignment = Alignment(horizontal="center", vertical="top")
        ws.column_dimensions[letter].width = min(max(widths) * 1.05 + 2, cap)
    _fit_row_heights(ws, min_row=2)
    ws.row_dimensions[1].height = 64  # bilingual headers wrap on three or four lines
    ws.freeze_panes = "C2"  # header row and No./enterprise stay in view
    if len(frame):
        ws.auto_filter.ref = ws.dimensions
    else:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}1"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页 Page &P of &N"


def _fit_row_heights(ws, min_row: int) -> None:
    """Set the height of rows holding wrapped text (not every reader fits rows on opening)."""
    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows(min_row=min_row):
        lines = 1
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            usable = max((ws.column_dimensions[get_column_letter(cell.column)].width or 10) - 2, 1)
            lines = max(lines, sum(max(1, math.ceil(text_width(p) / usable)) for p in str(cell.value).split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 15 * lines


def notes_lines(frames: RegisterFrames) -> list[tuple[str, str]]:
    """The notes sheet: (item, text) pairs."""
    counts = frames.grade_counts()
    when = frames.computed_at
    lines = [
        ("台账 Register", frames.title),
        ("内容 Contents",
         f"登记的重大危险源单元 {len(frames.register)} 个（" + "、".join(f"{k} {v}" for k, v in counts.items())
         + f"）；拟建项目重大危险源单元 {len(frames.planned)} 个，另表列出。 "
         f"{len(frames.register)} major hazard units of operating and suspended enterprises; "
         f"{len(frames.planned)} of planned projects listed apart (sheet {PLANNED_SHEET})."),
        ("排序 Order", "按级别（一级在前）、分级指标 R 降序排列。 Sorted by grade (一级 first), then R descending."),
        ("计算方法 Method", "\n".join(frames.methods) or "—"),
        ("输入数据版本 Inputs version",
         ", ".join(str(v) for v in frames.inputs_versions) or "—"),
        ("计算时间 Computed at",
         (f"{when[0]:%Y-%m-%d %H:%M} – {when[1]:%Y-%m-%d %H:%M}（北京时间 UTC+8）" if when else "—")),
        ("辨识 Identification",
         "S = Σ qᵢ/Qᵢ（qᵢ 为设计最大量，Qᵢ 为 GB 18218-2018 表 1/表 2 临界量，单位 t）；S ≥ 1 为重大危险源。 "
         "S = Σ q/Q with q the design maximum quantity and Q the critical quantity (t); S ≥ 1 is a major hazard."),
        ("分级 Grading",
         "R = α·Σ βᵢ·qᵢ/Qᵢ；R ≥ 100 一级，50 ≤ R < 100 二级，10 ≤ R < 50 三级，R < 10 四级。 "
         "R = α Σ β q/Q; grade 1 (一级) R ≥ 100, 2: 50–100, 3: 10–50, 4: below 10."),
        ("校正系数 α",
         "按厂区边界外 500 m 范围内居民区的常住人口计：居民区人口按其落在该范围内的面积比例分摊，四舍五入为整人后查 "
         "GB 18218-2018 表 5（≥100 人 2.0，50–99 人 1.5，30–49 人 1.2，1–29 人 1.0，0 人 0.5）。"
         "企业无厂区边界时按厂址点周边 500 m 计，备注标“近似”。 "
         "α counts the residents of residential areas within 500 m outside the plant boundary, each area's "
         "population apportioned by the share of its area inside that ring, rounded to whole people, then "
         "Table 5. An enterprise without a boundary polygon is counted around its point (marked approximate)."),
        ("坐标 Location",
         "经纬度为单元几何内的代表点（ST_PointOnSurface），WGS 84 / EPSG:4326，保留 6 位小数。 "
         "Longitude/latitude: a representative point inside the unit's footprint, WGS 84, 6 decimals."),
        ("外部安全防护距离 Safety distance",
         "企业申报的外部安全防护距离（safety_distance_m；按防护目标类别申报的距离未列出），本台账未计算。 "
         "As declared by the enterprise (safety_distance_m; per-class distances not listed); not computed here."),
        ("数据分级 Data tier",
         "本表含设计最大量等受限数据，仅供监管部门使用。 Contains restricted data (design maximum quantities): "
         "for the regulator only."),
    ]
    if frames.synthetic_sample:
        lines.append(("示例数据 Sample data",
                      "企业来自示例数据 jilin_city.gpkg：吉林市合成数据，企业、单元、存量、人口均为虚构，"
                      "不是真实台账。 "
                      "The enterprises come from the sample city (jilin_city.gpkg): SYNTHETIC data, invented "
                      "plants, inventories and populations, not a register of real plants."))
    return lines


def _write_xlsx(frames: RegisterFrames, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = REGISTER_SHEET
    _write_sheet(ws, frames.register, frames.title)
    _write_sheet(wb.create_sheet(PLANNED_SHEET), frames.planned, frames.title + " — 拟建项目 Planned")
    notes = wb.create_sheet(NOTES_SHEET)
    notes.append(["项目 Item", "说明 Note"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for item, text in notes_lines(frames):
        notes.append([item, text])
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["B"].width = 110
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _fit_row_heights(notes, min_row=2)
    notes.page_setup.orientation = "landscape"
    notes.page_setup.fitToWidth = 1
    notes.page_setup.fitToHeight = 0
    notes.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = frames.title
    wb.properties.subject = "GB 18218-2018 重大危险源辨识与分级"
    wb.properties.creator = "geo_risk"
    wb.save(path)
