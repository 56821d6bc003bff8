"""GB/T 37243-2019 《危险化学品生产装置和储存设施外部安全防护距离确定方法》: which method sets the
external safety distance (外部安全防护距离), the design-code distances, and the floor rule.

Pure functions on plain data and DataFrames; no database, files or settings (the tables are package
data read once from ``geo_risk/standards/data/``). Summarised in ``docs/standards/gbt37243-2019.md``
(§3 method selection, §4 overpressure thresholds) and ``docs/standards/land-use-planning.md`` (§2–4
design-code tables).

Method selection (clause 4; :func:`select_method`, :func:`select_methods`)
--------------------------------------------------------------------------
1. **Explosives present → consequence method (事故后果法).** A substance is an explosive (爆炸物) when
   its GB 18218 Table 2 codes include W1.1, W1.2 or W1.3 (Table 1 rows 31–39 and 43 carry them in
   the catalogue). Present means a design maximum quantity > 0 t in the unit.
2. **Else Σ q/Q over toxic and flammable gases ≥ 1 → QRA (定量风险评价法) for the whole enterprise:**
   every unit of the enterprise is assessed together, including units that hold no gas. q is the
   design maximum quantity (设计最大量, t) and Q the GB 18218 threshold quantity (临界量, t): the
   Table 1 quantity, else the lowest Q of the substance's Table 2 codes. The sum is taken in exact
   decimal arithmetic, so Σ = 1 by hand is Σ = 1 here (inclusive).
3. **Else → design-code distances (规范距离).** GB/T 37243 computes nothing; the codes' distances
   apply (:func:`code_distances`).

How a substance is classed (from the catalogue, :func:`geo_risk.chemicals.resolve`):

- **toxic gas (有毒气体)**: a Table 2 code J1 or J3 (the two acute-toxicity rows whose condition is
  "gas"), or a GB 18218 Table 3 named toxic gas (毒性气体; this brings in hydrogen cyanide, row 25,
  and methyl isocyanate, row 30, which are liquids at 25 °C but named as toxic gases by the standard).
  J2, J4 and J5 are liquids or solids and do not count.
- **flammable gas (易燃气体)**: Table 2 code W2.
- A Table 1 substance takes the catalogue's ambient codes (``gb18218_table1_categories.csv``) plus any
  the inventory row adds; any other substance needs its ``hazard_categories``.
- **Unknown category**: a substance the catalogue cannot resolve (not in Table 1 and no codes given,
  an ambiguous CAS such as nitrocellulose 9004-70-0, contradicting identifiers) is NOT counted. The
  reason names it and, unless the method is already the consequence method, marks the result
  ``provisional`` (the substance could be an explosive or a gas). Nothing is guessed.

Project choices (each UNCONFIRMED or CHOICE, kept in this module's constants and the data files):

- :data:`QRA_TRIGGER` — the trigger's form: Σ over toxic + flammable gases, threshold 1 inclusive,
  summed over the **whole enterprise** (alternative ``"unit"``: any one unit's own sum ≥ 1), and the
  QRA then covers the whole enterprise. UNCONFIRMED (gbt37243-2019.md §3 item 2).
- :data:`SUBSTANCE_ROLES` — the codes above, Table 3 gases counted as toxic gases, explosives
  present at q > 0. CHOICE.
- An enterprise with explosives AND a met gas trigger: the units holding explosives take the
  consequence method, the others the QRA; the enterprise row says ``consequence`` (explosives first)
  and its reason names both. CHOICE.
- :data:`CRITERIA_BY_STATUS` — planned → new (新建), operating/suspended → existing (在役), closed →
  left out. CHOICE (the project's rule).
- Declared distances: a unit's single ``safety_distance_m`` stands for every class whose own
  ``safety_distance_<class>_m`` is empty (:func:`declared_distances`). CHOICE.
- Consequence-method overpressure thresholds 2 / 5 / 9 kPa (``gbt37243_overpressure_thresholds.csv``).
  UNCONFIRMED.
- Design codes (``design_code_distances.csv``, ``design_code_rules.csv``,
  ``gb50016_class_a_items.csv``; see :func:`code_distances`): every value UNCONFIRMED or C1 as the
  reference says; the mapping of table rows to GB 36894 classes (column ``gb36894_classes``) and of
  unit attributes to table columns are CHOICEs.

Floor rule (§3): ``final = max(method distance, code distance)`` per GB 36894 class
(:func:`external_distances`). UNCONFIRMED wording; principle widely applied.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from geo_risk.chemicals import Resolved, resolve
from geo_risk.disclosure import restricted
from geo_risk.errors import GeoRiskError, InvalidInput
from geo_risk.standards.gb18218 import InventoryItem
from geo_risk.standards.gb36894 import TARGET_CLASSES

__all__ = [
    "CRITERIA_BY_STATUS",
    "CRITERIA_LABELS",
    "METHOD_LABELS",
    "QRA_TRIGGER",
    "SUBSTANCE_ROLES",
    "CodeDistances",
    "Criteria",
    "EnterpriseMethod",
    "QraTrigger",
    "SubstanceClass",
    "SubstanceRoles",
    "UnitMethod",
    "classify_substance",
    "code_distances",
    "consequence_distances_m",
    "criteria_column",
    "declared_distances",
    "design_code_table",
    "external_distances",
    "overpressure_thresholds_kpa",
    "select_method",
    "select_methods",
]

Method = Literal["consequence", "qra", "design_code"]

# =============================================================================================
# Choices: the ONE place for every UNCONFIRMED / CHOICE rule of method selection.
# =============================================================================================


@dataclass(frozen=True)
class QraTrigger:
    """The form of the QRA trigger (GB/T 37243-2019 clause 4, as recalled; UNCONFIRMED).

    ``scope``: ``"enterprise"`` sums q/Q over the gases of all the enterprise's units; ``"unit"``
    requires one unit's own sum to reach the threshold. ``threshold`` is compared with ``>=``.
    ``whole_enterprise``: once triggered, every unit of the enterprise is assessed by QRA together
    (``False``: only the units holding toxic or flammable gases; the others keep design-code distances).
    """

    scope: Literal["enterprise", "unit"] = "enterprise"
    threshold: Decimal = Decimal(1)
    whole_enterprise: bool = True
    status: str = "UNCONFIRMED"
    note: str = (
        "Σ q/Q over toxic and flammable gases (design maximum quantities, GB 18218 Q) ≥ 1, summed over "
        "the enterprise; the whole enterprise is then assessed together. Exact wording not confirmed "
        "(gbt37243-2019.md §3 item 2)."
    )


#: The QRA trigger in force (UNCONFIRMED form; pass another :class:`QraTrigger` to compare).
QRA_TRIGGER = QraTrigger()


@dataclass(frozen=True)
class SubstanceRoles:
    """Which GB 18218 Table 2 codes make a substance an explosive, a toxic gas or a flammable gas."""

    explosive_codes: frozenset[str] = frozenset({"W1.1", "W1.2", "W1.3"})
    toxic_gas_codes: frozenset[str] = frozenset({"J1", "J3"})
    table3_gases_are_toxic_gases: bool = True
    flammable_gas_codes: frozenset[str] = frozenset({"W2"})
    #: An explosive is "present" when its quantity exceeds this (t).
    explosive_present_above_t: Decimal = Decimal(0)
    status: str = "CHOICE"
    note: str = (
        "J1/J3 are Table 2's acute-toxicity rows for gases; Table 3 is headed 毒性气体 (its HCN and methyl "
        "isocyanate are liquids at 25 °C); W2 is 易燃气体; W1.x is 爆炸物. Explosives count at any quantity > 0."
    )


#: The substance roles in force (CHOICE).
SUBSTANCE_ROLES = SubstanceRoles()

METHOD_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "consequence": ("事故后果法", "consequence method"),
    "qra": ("定量风险评价法", "quantitative risk assessment (QRA)"),
    "design_code": ("规范距离", "design-code distances"),
})
"""Method code → (中文, English)."""

#: Enterprise status → GB 36894 criteria column; None = left out (closed). CHOICE (project rule).
CRITERIA_BY_STATUS: Mapping[str, str | None] = MappingProxyType({
    "planned": "new", "operating": "existing", "suspended": "existing", "closed": None,
})
#: Criteria column → (中文, English), as on every output.
CRITERIA_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "new": ("新建装置", "new installations"),
    "existing": ("在役装置", "existing installations"),
})

_LIQUEFIED_STATES = frozenset({"liquefied_pressurized", "liquefied_refrigerated"})
_DECLARED_COLUMNS = {c: f"safety_distance_{c}_m" for c in TARGET_CLASSES}


def _both(zh: str, en: str) -> str:
    """A bilingual text, Chinese first."""
    return f"{zh} / {en}"


def _join_both(parts: list[str], zh_sep: str = "；", en_sep: str = "; ") -> str:
    """Bilingual texts (each ``zh / en``, as :func:`_both` writes them) joined into one bilingual text,
    all the Chinese first, then all the English: ``zh1；zh2 / en1; en2`` (not ``zh1 / en1；zh2 / en2``).
    The Chinese half of a part must not hold " / " (the English half may)."""
    halves = [p.split(" / ", 1) if " / " in p else [p, p] for p in parts]
    return _both(zh_sep.join(h[0] for h in halves), en_sep.join(h[1] for h in halves))


def _dec(x: Any) -> Decimal:
    """The decimal value of a number as written (0.1 → Decimal('0.1'))."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise InvalidInput(f"expected a number, got {x!r}")
    return Decimal(repr(float(x))) if not isinstance(x, int) else Decimal(x)


def _fmt(x: Decimal | float) -> str:
    """Short decimal text: 12, 0.8, 0.333333."""
    return f"{float(x):.6g}"


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or (
        not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v))


def _text(v: Any) -> str | None:
    return None if _missing(v) or (isinstance(v, str) and not v.strip()) else str(v).strip()


# =============================================================================================
# Substances
# =============================================================================================


@dataclass(frozen=True)
class SubstanceClass:
    """How one inventory row counts for method selection.

    ``known`` is False when the catalogue could not resolve it (``problem`` says why); then
    ``critical_quantity_t`` is None and no role is set. ``basis`` says in words (中文 / English)
    which codes made it an explosive, toxic gas or flammable gas.
    """

    name_zh: str
    name_en: str
    codes: tuple[str, ...]
    critical_quantity_t: float | None
    explosive: bool
    toxic_gas: bool
    flammable_gas: bool
    known: bool
    basis: str
    problem: str | None = None

    @property
    def gas(self) -> bool:
        """Counted in the QRA trigger's sum: a toxic or a flammable gas."""
        return self.toxic_gas or self.flammable_gas


def classify_substance(
    chemical: str | None,
    cas: str | None = None,
    table1_seq: int | None = None,
    hazard_categories: str | None = None,
    roles: SubstanceRoles = SUBSTANCE_ROLES,
) -> SubstanceClass:
    """Class one substance as explosive / toxic gas / flammable gas from the GB 18218 catalogue.

    Parameters
    ----------
    chemical, cas, table1_seq, hazard_categories
        As an inventory row (see :func:`geo_risk.chemicals.resolve`): Table 1 rows take the
        catalogue's ambient Table 2 codes plus any given; other substances need Table 2 codes.
    roles
        Which codes make which role (:data:`SUBSTANCE_ROLES`).

    Returns
    -------
    SubstanceClass
        Never raises for an unknown substance: ``known=False`` with the catalogue's message.

    Examples
    --------
    >>> c = classify_substance("液氯")
    >>> (c.toxic_gas, c.flammable_gas, c.critical_quantity_t)
    (True, False, 5.0)
    """
    label = chemical or cas or (f"Table 1 row {table1_seq}" if table1_seq else None) or hazard_categories or "?"
    try:
        res: Resolved = resolve(chemical, cas, table1_seq, hazard_categories)
    except GeoRiskError as exc:  # UnknownSubstance, or InvalidInput (ambiguous CAS, contradiction, bad codes)
        return SubstanceClass(
            name_zh=label, name_en=label, codes=(), critical_quantity_t=None, explosive=False,
            toxic_gas=False, flammable_gas=False, known=False,
            basis=_both("类别未知", "category unknown"), problem=str(exc),
        )
    codes = res.codes
    sub = res.substance
    explosive = bool(roles.explosive_codes & set(codes))
    toxic_codes = sorted(roles.toxic_gas_codes & set(codes))
    in_table3 = roles.table3_gases_are_toxic_gases and res.table3_beta is not None
    toxic = bool(toxic_codes) or in_table3
    flammable = bool(roles.flammable_gas_codes & set(codes))
    where_zh = f"表1第{sub.seq}项" if sub else "表2类别"
    where_en = f"Table 1 row {sub.seq}" if sub else "Table 2 codes"
    parts_zh, parts_en = [], []
    if explosive:
        parts_zh.append("爆炸物")
        parts_en.append("explosive")
    if toxic:
        why = ";".join(toxic_codes) if toxic_codes else "表3"
        parts_zh.append(f"有毒气体（{why}{'，表3' if toxic_codes and in_table3 else ''}）")
        also = ", Table 3" if toxic_codes and in_table3 else ""
        parts_en.append(f"toxic gas ({';'.join(toxic_codes) or 'Table 3'}{also})")
    if flammable:
        parts_zh.append("易燃气体（W2）")
        parts_en.append("flammable gas (W2)")
    codes_text = ";".join(codes) or "none"
    basis = _both(
        f"{where_zh}，类别 {codes_text}：{'、'.join(parts_zh) or '非爆炸物、非有毒/易燃气体'}",
        f"{where_en}, codes {codes_text}: {', '.join(parts_en) or 'not an explosive, toxic gas or flammable gas'}",
    )
    return SubstanceClass(
        name_zh=sub.name_zh if sub else label,
        name_en=sub.name_en if sub else label,
        codes=codes,
        critical_quantity_t=res.critical_quantity_t,
        explosive=explosive,
        toxic_gas=toxic,
        flammable_gas=flammable,
        known=True,
        basis=basis,
    )


# =============================================================================================
# Method selection
# =============================================================================================


@dataclass(frozen=True)
class _Row:
    unit_id: str
    quantity_t: Decimal
    state: str | None
    cls: SubstanceClass

    @property
    def q_over_q(self) -> Decimal:
        return self.quantity_t / _dec(self.cls.critical_quantity_t)

    def term(self) -> tuple[str, str]:
        """(中文, English) text of this row's q/Q; q and q/Q are restricted (tiered spans)."""
        q, big_q = _fmt(self.quantity_t), _fmt(self.cls.critical_quantity_t or 0)
        ratio = _fmt(self.q_over_q)
        figures = restricted(f" {q} t/{big_q} t = {ratio}")
        return (f"{self.cls.name_zh}{figures}", f"{self.cls.name_en}{figures}")


@dataclass(frozen=True)
class UnitMethod:
    """The method for one unit, with its reason (中文 / English)."""

    unit_id: str
    method: Method
    reason: str
    gas_sum: float  # this unit's own Σ q/Q over toxic and flammable gases
    explosives: tuple[str, ...]
    unknown: tuple[str, ...]
    provisional: bool

    @property
    def method_label(self) -> str:
        return _both(*METHOD_LABELS[self.method])


@dataclass(frozen=True)
class EnterpriseMethod:
    """The method for one enterprise and each of its units.

    ``gas_sum`` is Σ q/Q over the toxic and flammable gases of all its units; ``trigger_met``
    whether :data:`QRA_TRIGGER` (or the trigger given) is met; ``provisional`` whether a substance
    of unknown category could still change the method.
    """

    method: Method
    reason: str
    gas_sum: float
    trigger_met: bool
    explosives: tuple[str, ...]
    unknown: tuple[str, ...]
    provisional: bool
    units: Mapping[str, UnitMethod] = field(default_factory=dict)
    substances: tuple[tuple[str, SubstanceClass, float], ...] = ()  # (unit id, class, quantity t)

    @property
    def method_label(self) -> str:
        return _both(*METHOD_LABELS[self.method])


def _item_fields(entry: Any) -> dict[str, Any]:
    if isinstance(entry, InventoryItem):
        return {"chemical": entry.chemical, "cas": entry.cas, "table1_seq": entry.table1_seq,
                "hazard_categories": entry.hazard_categories, "quantity_t": entry.quantity_t, "state": None}
    if isinstance(entry, Mapping):
        q = entry.get("max_quantity_t", entry.get("quantity_t"))
        return {"chemical": entry.get("chemical"), "cas": entry.get("cas"), "table1_seq": entry.get("table1_seq"),
                "hazard_categories": entry.get("hazard_categories"), "quantity_t": q, "state": entry.get("state")}
    if isinstance(entry, tuple) and len(entry) == 2:
        return {"chemical": entry[0], "cas": None, "table1_seq": None, "hazard_categories": None,
                "quantity_t": entry[1], "state": None}
    raise InvalidInput(
        f"inventory item {entry!r}: give a mapping with chemical/cas/table1_seq/hazard_categories and "
        "max_quantity_t (t), a (chemical, tonnes) pair, or a gb18218.InventoryItem"
    )


def _rows(inventory_by_unit: Mapping[str, Iterable[Any]], roles: SubstanceRoles) -> list[_Row]:
    rows: list[_Row] = []
    problems: list[str] = []
    for unit_id, items in inventory_by_unit.items():
        for n, entry in enumerate(items, start=1):
            f = _item_fields(entry)
            q_raw = f["quantity_t"]
            try:
                q = _dec(q_raw)
                ok = q.is_finite() and q >= 0
            except (InvalidInput, TypeError, ValueError):
                ok = False
            if not ok:
                shown = restricted(f" {q_raw!r}")
                problems.append(f"unit {unit_id} item {n}: quantity{shown} must be a finite number of tonnes ≥ 0")
                continue
            seq = f["table1_seq"]
            seq = None if _missing(seq) else int(seq)
            cls = classify_substance(_text(f["chemical"]), _text(f["cas"]), seq, _text(f["hazard_categories"]), roles)
            rows.append(_Row(str(unit_id), q, _text(f["state"]), cls))
    if problems:
        raise InvalidInput("the inventory cannot be used for method selection:\n"
                           + "\n".join(f"  - {p}" for p in problems))
    return rows


def _unknown_text(unknown: list[_Row], provisional: bool) -> tuple[str, str]:
    names_zh = "；".join(f"{r.cls.name_zh}{_tonnes(r.quantity_t)}（单元 {r.unit_id}）" for r in unknown)
    names_en = "; ".join(f"{r.cls.name_en}{_tonnes(r.quantity_t)} (unit {r.unit_id}): {r.cls.problem}" for r in unknown)
    tail_zh = "方法为暂定" if provisional else "不影响方法"
    tail_en = "the method is provisional" if provisional else "it cannot change the method"
    return (f"类别未知、未计入：{names_zh}，{tail_zh}",
            f"category unknown, not counted: {names_en}; {tail_en}")


def _tonnes(quantity_t: Decimal) -> str:
    """" 12.5 t" for analysts, nothing for the public (a design maximum quantity is restricted)."""
    return restricted(f" {_fmt(quantity_t)} t")


def _sum_text(rows: list[_Row], total: Decimal, threshold: Decimal) -> tuple[str, str]:
    """The gas sum and how it compares with the trigger: the public sees the rule (``Σq/Q ≥ 1``), analysts
    the sum and every term."""
    if not rows:
        return ("不涉及有毒气体或易燃气体（Σq/Q = 0）", "no toxic or flammable gas (Σq/Q = 0)")
    rel = "≥" if total >= threshold else "<"
    terms = [r.term() for r in sorted(rows, key=lambda r: -r.q_over_q)]
    value = restricted(f"= {_fmt(total)} ")
    terms_zh = restricted(f"（{'；'.join(t[0] for t in terms)}）")
    terms_en = restricted(f" ({'; '.join(t[1] for t in terms)})")
    return (f"有毒气体和易燃气体 Σq/Q {value}{rel} {_fmt(threshold)}{terms_zh}",
            f"Σq/Q over toxic and flammable gases {value}{rel} {_fmt(threshold)}{terms_en}")


def _explosive_text(rows: list[_Row]) -> tuple[str, str]:
    zh = "；".join(f"{r.cls.name_zh}{_tonnes(r.quantity_t)}（{';'.join(r.cls.codes)}，单元 {r.unit_id}）" for r in rows)
    en = "; ".join(f"{r.cls.name_en}{_tonnes(r.quantity_t)} ({';'.join(r.cls.codes)}, unit {r.unit_id})" for r in rows)
    return f"涉及爆炸物：{zh}", f"explosives present: {en}"


def select_method(
    inventory_by_unit: Mapping[str, Iterable[Any]],
    *,
    trigger: QraTrigger = QRA_TRIGGER,
    roles: SubstanceRoles = SUBSTANCE_ROLES,
) -> EnterpriseMethod:
    """Select the GB/T 37243-2019 method for one enterprise and for each of its units (clause 4).

    Parameters
    ----------
    inventory_by_unit
        Unit id → that unit's inventory rows: mappings with ``chemical``, ``cas``, ``table1_seq``,
        ``hazard_categories``, ``max_quantity_t`` (design maximum, t) and ``state``; or
        ``(chemical, tonnes)`` pairs; or :class:`geo_risk.standards.gb18218.InventoryItem`. A unit
        with no rows is given as an empty list (it still gets a method).
    trigger
        The QRA trigger's form (:data:`QRA_TRIGGER`, UNCONFIRMED).
    roles
        Which Table 2 codes make explosives, toxic and flammable gases (:data:`SUBSTANCE_ROLES`).

    Returns
    -------
    EnterpriseMethod
        The enterprise's method and reason, and one :class:`UnitMethod` per unit. Reasons are
        bilingual (中文 first) and name the substances and the sum that decided.

    Raises
    ------
    InvalidInput
        Listing every row whose quantity is negative, infinite or not a number. Unknown substances
        do not raise: they are named in the reasons (see the module docstring).

    Examples
    --------
    >>> m = select_method({"U1": [("氯", 5)], "U2": [("甲苯", 100)]})
    >>> m.method, m.units["U2"].method, m.gas_sum
    ('qra', 'qra', 1.0)
    """
    rows = _rows(inventory_by_unit, roles)
    unit_ids = [str(u) for u in inventory_by_unit]
    present = [r for r in rows if r.cls.explosive and r.quantity_t > roles.explosive_present_above_t]
    gases = [r for r in rows if r.cls.known and r.cls.gas]
    unknown = [r for r in rows if not r.cls.known]
    unit_sum = {u: sum((r.q_over_q for r in gases if r.unit_id == u), Decimal(0)) for u in unit_ids}
    total = sum(unit_sum.values(), Decimal(0))
    if trigger.scope == "enterprise":
        trigger_met = total >= trigger.threshold
    elif trigger.scope == "unit":
        trigger_met = any(s >= trigger.threshold for s in unit_sum.values())
    else:
        raise InvalidInput(f"QraTrigger.scope {trigger.scope!r}: valid scopes are 'enterprise' and 'unit'")
    explosive_units = {r.unit_id for r in present}
    method: Method = "consequence" if present else ("qra" if trigger_met else "design_code")
    provisional = bool(unknown) and method != "consequence"

    scope_zh = "全厂合计" if trigger.scope == "enterprise" else "单个单元"
    scope_en = "summed over the enterprise" if trigger.scope == "enterprise" else "in one unit"
    sum_zh, sum_en = _sum_text(gases, total, trigger.threshold)
    trig_zh = f"QRA 触发条件（{scope_zh}，{trigger.status}）"
    trig_en = f"QRA trigger ({scope_en}, {trigger.status})"
    if method == "consequence":
        ex_zh, ex_en = _explosive_text(present)
        zh, en = f"事故后果法：{ex_zh}", f"consequence method: {ex_en}"
        if trigger_met:
            zh += f"；另 {trig_zh}已满足：{sum_zh}，不含爆炸物的单元按定量风险评价法整体评估"
            en += f"; the {trig_en} is also met: {sum_en}; units without explosives are assessed together by QRA"
    elif method == "qra":
        if trigger.whole_enterprise:
            zh = f"定量风险评价法（全厂所有单元整体评估）：{sum_zh}，满足{trig_zh}"
            en = f"QRA for the whole enterprise (all units assessed together): {sum_en}, meets the {trig_en}"
        else:
            zh = f"定量风险评价法（仅含有毒/易燃气体的单元）：{sum_zh}，满足{trig_zh}"
            en = f"QRA for the units holding toxic or flammable gases: {sum_en}, meets the {trig_en}"
    else:
        zh = f"规范距离：无爆炸物，{sum_zh}，未满足{trig_zh}"
        en = f"design-code distances: no explosives; {sum_en}, below the {trig_en}"
        if not unit_ids:
            zh += "；无危险化学品单元"
            en += "; the enterprise has no hazard unit"
    if unknown:
        u_zh, u_en = _unknown_text(unknown, provisional)
        zh, en = f"{zh}；{u_zh}", f"{en}; {u_en}"

    units: dict[str, UnitMethod] = {}
    for u in unit_ids:
        u_rows = [r for r in rows if r.unit_id == u]
        u_present = [r for r in present if r.unit_id == u]
        u_unknown = [r for r in unknown if r.unit_id == u]
        u_gases = [r for r in gases if r.unit_id == u]
        own_zh, own_en = _sum_text(u_gases, unit_sum[u], trigger.threshold)
        if u in explosive_units:
            u_method: Method = "consequence"
            ex_zh, ex_en = _explosive_text(u_present)
            uzh, uen = f"事故后果法：{ex_zh}", f"consequence method: {ex_en}"
        elif trigger_met and trigger.whole_enterprise:
            u_method = "qra"
            uzh = f"定量风险评价法：随企业整体评估（企业{sum_zh}）；本单元{own_zh}"
            uen = f"QRA: assessed together with its whole enterprise (enterprise {sum_en}); this unit: {own_en}"
        elif trigger_met and u_gases:
            u_method = "qra"
            uzh = f"定量风险评价法：企业{sum_zh}；本单元{own_zh}"
            uen = f"QRA: enterprise {sum_en}; this unit: {own_en}"
        elif trigger_met:
            u_method = "design_code"
            uzh = f"规范距离：企业满足 QRA 触发条件，但按 whole_enterprise=False 仅含气体的单元做 QRA；本单元{own_zh}"
            uen = (f"design-code distances: the enterprise meets the QRA trigger, but with whole_enterprise=False "
                   f"only units holding gases are assessed by QRA; this unit: {own_en}")
        else:
            u_method = "design_code"
            uzh = f"规范距离：企业无爆炸物且{sum_zh}；本单元{own_zh}"
            uen = f"design-code distances: the enterprise has no explosives and {sum_en}; this unit: {own_en}"
            if not u_rows:
                uzh += "；本单元无存量记录"
                uen += "; the unit has no inventory rows"
        u_prov = bool(unknown) and u_method != "consequence"
        if u_unknown:
            k_zh, k_en = _unknown_text(u_unknown, u_prov)
            uzh, uen = f"{uzh}；{k_zh}", f"{uen}; {k_en}"
        elif u_prov:
            uzh += "；企业另有类别未知的物质，方法为暂定"
            uen += "; the enterprise holds a substance of unknown category elsewhere: the method is provisional"
        units[u] = UnitMethod(
            unit_id=u, method=u_method, reason=_both(uzh, uen), gas_sum=float(unit_sum[u]),
            explosives=tuple(r.cls.name_zh for r in u_present), unknown=tuple(r.cls.name_zh for r in u_unknown),
            provisional=u_prov,
        )
    return EnterpriseMethod(
        method=method,
        reason=_both(zh, en),
        gas_sum=float(total),
        trigger_met=bool(trigger_met),
        explosives=tuple(dict.fromkeys(r.cls.name_zh for r in present)),
        unknown=tuple(dict.fromkeys(r.cls.name_zh for r in unknown)),
        provisional=provisional,
        units=MappingProxyType(units),
        substances=tuple((r.unit_id, r.cls, float(r.quantity_t)) for r in rows),
    )


def select_methods(
    enterprises: pd.DataFrame,
    units: pd.DataFrame,
    inventory: pd.DataFrame,
    *,
    trigger: QraTrigger = QRA_TRIGGER,
    roles: SubstanceRoles = SUBSTANCE_ROLES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`select_method` for every enterprise of a register.

    Parameters
    ----------
    enterprises
        Index enterprise id (other columns ignored). Every enterprise gets a row, with or without units.
    units
        Index unit id; column ``enterprise_id``.
    inventory
        Columns ``unit_id``, ``chemical``, ``cas``, ``table1_seq``, ``hazard_categories``,
        ``max_quantity_t`` (t), optional ``state``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Enterprises (index enterprise id): ``method``, ``method_label``, ``reason``, ``gas_sum``,
        ``trigger_met``, ``explosives``, ``unknown``, ``provisional``, ``n_units``.
        Units (index unit id): ``enterprise_id``, ``method``, ``method_label``, ``reason``,
        ``gas_sum`` (the unit's own), ``provisional``.

    Raises
    ------
    InvalidInput
        A unit whose enterprise is not in ``enterprises``; bad quantities (all listed).
    """
    orphans = sorted(set(units["enterprise_id"]) - set(enterprises.index)) if len(units) else []
    if orphans:
        raise InvalidInput(f"units refer to enterprises that are not given: {', '.join(map(str, orphans[:20]))}")
    inv = inventory.to_dict("records") if len(inventory) else []
    by_unit: dict[str, list[dict]] = {}
    for rec in inv:
        by_unit.setdefault(str(rec["unit_id"]), []).append(rec)
    units_of: dict[Any, list[str]] = {}
    for uid, ent in units["enterprise_id"].items():
        units_of.setdefault(ent, []).append(str(uid))
    ent_rows, unit_rows = [], []
    problems: list[str] = []
    for ent in enterprises.index:
        try:
            m = select_method({u: by_unit.get(u, []) for u in units_of.get(ent, [])}, trigger=trigger, roles=roles)
        except InvalidInput as exc:
            problems.append(f"enterprise {ent}: {exc}")
            continue
        ent_rows.append({"enterprise_id": ent, "method": m.method, "method_label": m.method_label,
                         "reason": m.reason, "gas_sum": m.gas_sum, "trigger_met": m.trigger_met,
                         "explosives": "、".join(m.explosives) or None, "unknown": "、".join(m.unknown) or None,
                         "provisional": m.provisional, "n_units": len(m.units)})
        for u in m.units.values():
            unit_rows.append({"unit_id": u.unit_id, "enterprise_id": ent, "method": u.method,
                              "method_label": u.method_label, "reason": u.reason, "gas_sum": u.gas_sum,
                              "provisional": u.provisional})
    if problems:
        raise InvalidInput(f"{len(problems)} enterprise(s) cannot be assessed:\n" + "\n".join(problems[:50]))
    ent_cols = ["method", "method_label", "reason", "gas_sum", "trigger_met", "explosives", "unknown",
                "provisional", "n_units"]
    unit_cols = ["enterprise_id", "method", "method_label", "reason", "gas_sum", "provisional"]
    ent_frame = (pd.DataFrame.from_records(ent_rows).set_index("enterprise_id")[ent_cols] if ent_rows
                 else pd.DataFrame(columns=ent_cols, index=pd.Index([], name="enterprise_id")))
    unit_frame = (pd.DataFrame.from_records(unit_rows).set_index("unit_id")[unit_cols] if unit_rows
                  else pd.DataFrame(columns=unit_cols, index=pd.Index([], name="unit_id")))
    return ent_frame, unit_frame


# =============================================================================================
# GB 36894 criteria column
# =============================================================================================


@dataclass(frozen=True)
class Criteria:
    """The GB 36894 Table 1 column that applies: ``key`` is ``"new"`` or ``"existing"``
    (as :func:`geo_risk.standards.gb36894.individual_risk_criterion_per_year` takes it)."""

    key: str
    label_zh: str
    label_en: str

    @property
    def label(self) -> str:
        """``新建装置 / new installations`` — the label used on every output."""
        return _both(self.label_zh, self.label_en)


def criteria_column(status: str) -> Criteria | None:
    """The GB 36894 criteria column for an enterprise's status (:data:`CRITERIA_BY_STATUS`).

    ``planned`` → new installations (新建, including 改建/扩建); ``operating`` and ``suspended`` →
    existing installations (在役); ``closed`` → None (left out of the assessment).

    Raises
    ------
    InvalidInput
        An unknown status; the message lists the valid ones.

    Examples
    --------
    >>> criteria_column("planned").label
    '新建装置 / new installations'
    >>> criteria_column("closed") is None
    True
    """
    key = status.strip().lower() if isinstance(status, str) else None
    if key not in CRITERIA_BY_STATUS:
        raise InvalidInput(
            f"criteria_column: unknown enterprise status {status!r}; valid: {', '.join(CRITERIA_BY_STATUS)}"
        )
    column = CRITERIA_BY_STATUS[key]
    return None if column is None else Criteria(column, *CRITERIA_LABELS[column])


# =============================================================================================
# Data tables
# =============================================================================================


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("geo_risk.standards").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def design_code_table() -> pd.DataFrame:
    """The design-code distance tables of land-use-planning.md §2–4 as one frame.

    Columns: ``standard``, ``edition``, ``table``, ``row_key``, ``row``, ``row_zh``, ``column_key``,
    ``column``, ``column_zh``, ``value_m`` (metres; NaN where the cell is not one number: "—",
    "1.5 × tower height", "10 / 5"), ``value_text`` (the cell as printed in the reference),
    ``status`` (C1 / UNCONFIRMED), ``gb36894_classes`` (the GB 36894 classes the row stands for,
    ``;``-separated; CHOICE), ``class_map_status``, ``source``, ``note``. A new frame each call.
    """
    return _design_code_frame().copy()


@cache
def _design_code_frame() -> pd.DataFrame:
    frame = pd.DataFrame(_read_csv("design_code_distances.csv"))
    frame["value_m"] = pd.to_numeric(frame["value_m"].replace("", None), errors="coerce").astype(float)
    return frame


def _float_or_nan(text: str) -> float:
    """A cell's number as ``pd.to_numeric(errors="coerce")`` reads it: NaN when empty or not one number."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


@cache
def _cells() -> Mapping[tuple[str, str, str, str], Mapping[str, Any]]:
    """The design-code cells keyed by (standard, table, row_key, column_key), for lookups."""
    out = {}
    for rec in _read_csv("design_code_distances.csv"):  # as _design_code_frame's rows, without building a frame
        rec = dict(rec)
        rec["value_m"] = _float_or_nan(rec["value_m"])
        rec["classes"] = frozenset(c for c in rec["gb36894_classes"].split(";") if c)
        out[(rec["standard"], rec["table"], rec["row_key"], rec["column_key"])] = MappingProxyType(rec)
    return MappingProxyType(out)


@cache
def _rules() -> tuple[dict[str, str], ...]:
    return tuple(_read_csv("design_code_rules.csv"))


@cache
def _class_a_items() -> Mapping[str, int]:
    return MappingProxyType({r["table2_code"]: int(r["class_a_item"]) for r in _read_csv("gb50016_class_a_items.csv")})


@cache
def _overpressure() -> Mapping[str, tuple[float, str]]:
    rows = _read_csv("gbt37243_overpressure_thresholds.csv")
    return MappingProxyType({r["target_class"]: (float(r["overpressure_kpa"]), r["status"]) for r in rows})


def overpressure_thresholds_kpa() -> dict[str, float]:
    """Peak side-on overpressure threshold per GB 36894 class, kPa (GB/T 37243-2019 clause 5).

    2 kPa for 高敏感 / 重要 / 一般一类, 5 kPa for 一般二类, 9 kPa for 一般三类 — all UNCONFIRMED (recalled,
    no source confirmed them; ``gbt37243_overpressure_thresholds.csv``).
    """
    return {c: _overpressure()[c][0] for c in TARGET_CLASSES}


# =============================================================================================
# Consequence method for explosives
# =============================================================================================


#: Halvings of the bisection at most: 200 halve any float interval to adjacent floats, so a tolerance
#: of 0 (or below the floats' spacing) ends too.
_MAX_HALVINGS = 200


def consequence_distances_m(
    overpressure_kpa_at: Callable[[float], float],
    *,
    thresholds_kpa: Mapping[str, float] | None = None,
    min_distance_m: float = 0.1,
    max_distance_m: float = 20_000.0,
    tolerance_m: float = 0.01,
) -> dict[str, float]:
    """Distance at which the blast overpressure falls to each class's threshold (clause 5.4).

    Parameters
    ----------
    overpressure_kpa_at
        Peak side-on overpressure (kPa) at a distance (m) from the charge, for the most severe
        scenario (e.g. a TNT-equivalent blast curve from ``geo_risk.risk``); must not increase with
        distance. Not imported here: the caller chooses the correlation (UNCONFIRMED which one the
        standard uses).
    thresholds_kpa
        Class → threshold in kPa; default :func:`overpressure_thresholds_kpa` (UNCONFIRMED 2/5/9).
    min_distance_m, max_distance_m
        Search interval, metres. A threshold already met at ``min_distance_m`` gives that distance.
    tolerance_m
        Bisection tolerance, metres; the distance returned is the upper end of the final bracket
        (the overpressure there is ≤ the threshold). The bracket is halved until it is no wider than
        this (at most 200 times).

    Returns
    -------
    dict
        GB 36894 class → distance in metres.

    Raises
    ------
    InvalidInput
        A threshold not reached within ``max_distance_m``, a non-finite overpressure, or an
        overpressure that rises with distance inside the search.

    Examples
    --------
    >>> d = consequence_distances_m(lambda r_m: 1000.0 / r_m)  # p = 1000 kPa·m / r
    >>> round(d["general_3"], 1), round(d["high_sensitive"], 1)  # 1000/9 and 1000/2 m
    (111.1, 500.0)
    """
    thresholds = dict(thresholds_kpa) if thresholds_kpa is not None else overpressure_thresholds_kpa()
    if not 0 < min_distance_m < max_distance_m:
        raise InvalidInput(f"need 0 < min_distance_m < max_distance_m, got {min_distance_m!r}, {max_distance_m!r}")

    def p(r: float) -> float:
        value = float(overpressure_kpa_at(r))
        if not math.isfinite(value):
            raise InvalidInput(f"overpressure_kpa_at({r:g} m) returned {value!r}: must be a finite pressure in kPa")
        return value

    out: dict[str, float] = {}
    for cls, threshold in thresholds.items():
        if cls not in TARGET_CLASSES or not threshold > 0:
            raise InvalidInput(
                f"threshold for {cls!r} = {threshold!r}: give positive kPa for classes {list(TARGET_CLASSES)}"
            )
        lo, hi = min_distance_m, max_distance_m
        p_lo, p_hi = p(lo), p(hi)
        if p_hi > p_lo:
            raise InvalidInput("overpressure_kpa_at rises with distance: give overpressure (kPa) against distance (m)")
        if p_lo <= threshold:
            out[cls] = lo
            continue
        if p_hi > threshold:
            raise InvalidInput(
                f"the overpressure is still {p_hi:g} kPa at {hi:g} m, above the {threshold:g} kPa threshold of "
                f"{cls}: raise max_distance_m or check the scenario"
            )
        for _ in range(_MAX_HALVINGS):
            if hi - lo <= tolerance_m:
                break
            mid = 0.5 * (lo + hi)
            if p(mid) > threshold:
                lo = mid
            else:
                hi = mid
        out[cls] = hi
    return out


# =============================================================================================
# Design-code distances
# =============================================================================================


@dataclass(frozen=True)
class CodeDistances:
    """Design-code distances of one unit per GB 36894 class.

    ``distance_m[class]`` is metres or None (not determined, or no code row applies); ``basis``
    says per class which table row/column gave it or why there is none (中文 / English);
    ``reason`` sums up; ``rules`` are the ``design_code_rules.csv`` ids applied; ``statuses`` the
    confidence tags of the values used (always with ``CHOICE`` for the class mapping).
    """

    distance_m: Mapping[str, float | None]
    basis: Mapping[str, str]
    reason: str
    rules: tuple[str, ...]
    statuses: tuple[str, ...]

    @property
    def determined(self) -> bool:
        return all(v is not None for v in self.distance_m.values())


def _in_list(value: str | None, spec: str) -> bool:
    if spec == "*":
        return True
    if spec.startswith("!"):
        return value not in spec[1:].split(";")
    return value is not None and value in spec.split(";")


_UNIT_TYPE_ZH = {"production": "生产单元", "storage": "储存单元"}


def _classified_inventory(unit_id: str, inventory: Iterable[Any]) -> list[_Row]:
    return _rows({unit_id: list(inventory)}, SUBSTANCE_ROLES)


def _liquefied_flammable_gas(rows: list[_Row]) -> tuple[bool | None, str]:
    """Whether the unit holds a W2 flammable gas in a liquefied state: True, False or None (unknown)."""
    w2 = [r for r in rows if r.cls.flammable_gas]
    if any(r.state in _LIQUEFIED_STATES for r in w2):
        return True, ""
    no_state = [r.cls.name_zh for r in w2 if r.state is None]
    unknown = [r.cls.name_zh for r in rows if not r.cls.known]
    if not rows:
        return None, _both("无存量记录：无法判断是否储存液化烃",
                           "no inventory rows: cannot tell whether it holds a liquefied hydrocarbon")
    if no_state:
        return None, _both(f"{'、'.join(no_state)} 缺少 state（液化或压缩）",
                           f"state (liquefied or compressed) missing for {', '.join(no_state)}")
    if unknown:
        return None, _both(f"{'、'.join(unknown)} 类别未知：无法判断是否为液化烃",
                           f"category of {', '.join(unknown)} unknown: liquefied hydrocarbon or not is unknown")
    return False, _both("不储存液化的易燃气体（W2）", "holds no liquefied flammable gas (W2)")


def _class_a_columns(rows: list[_Row]) -> tuple[list[str], str, bool]:
    """GB 50016 Table 3.5.1 column(s) for a class 甲 warehouse: (columns, why, determined)."""
    items = _class_a_items()
    group_t = {"3_4": Decimal(0), "1_2_5_6": Decimal(0)}
    present: set[str] = set()
    for r in rows:  # a substance in both groups counts in both (conservative)
        for group in {"3_4" if items[c] in (3, 4) else "1_2_5_6" for c in r.cls.codes if c in items}:
            group_t[group] += r.quantity_t
            present.add(group)
    unknown = [r.cls.name_zh for r in rows if not r.cls.known]
    all_columns = ["items_3_4_le_5t", "items_3_4_gt_5t", "items_1_2_5_6_le_10t", "items_1_2_5_6_gt_10t"]
    if unknown:
        why = _both(f"{'、'.join(unknown)} 类别未知：无法确定甲类储存物品项别",
                    f"category of {', '.join(unknown)} unknown: the class 甲 storage item cannot be decided")
        return all_columns, why, False
    if not present:
        why = _both("无物质对应 GB 50016 第3.1.3条甲类储存物品项别",
                    "no substance maps to a GB 50016 Art. 3.1.3 class 甲 storage item")
        return all_columns, why, False
    columns, parts_zh, parts_en = [], [], []
    if "3_4" in present:
        q = group_t["3_4"]
        columns.append("items_3_4_le_5t" if q <= 5 else "items_3_4_gt_5t")
        parts_zh.append(f"第3、4项{_tonnes(q)}")
        parts_en.append(f"items 3, 4{restricted(f': {_fmt(q)} t')}")
    if "1_2_5_6" in present:
        q = group_t["1_2_5_6"]
        columns.append("items_1_2_5_6_le_10t" if q <= 10 else "items_1_2_5_6_gt_10t")
        parts_zh.append(f"第1、2、5、6项{_tonnes(q)}")
        parts_en.append(f"items 1, 2, 5, 6{restricted(f': {_fmt(q)} t')}")
    return columns, _both("甲类储存物品 " + "，".join(parts_zh), "class 甲 storage " + "; ".join(parts_en)), True


def _cell_text(row: Mapping[str, Any]) -> str:
    return _both(f"{row['standard']} 表{row['table']}「{row['row_zh']}」×「{row['column_zh']}」",
                 f"{row['standard']} Table {row['table']} '{row['row']}' × '{row['column']}'")


def code_distances(unit: Mapping[str, Any], inventory: Iterable[Any] = ()) -> CodeDistances:
    """Design-code distances from one unit to residential areas / public facilities per GB 36894 class.

    The unit's attributes pick rules of ``design_code_rules.csv`` (CHOICE): GB 50160 Table 4.1.9
    (liquefied-hydrocarbon tank group, 甲/乙 liquid tank group, 甲/乙 process unit; 丙 at −25 %,
    UNCONFIRMED) and GB 50016 (class 甲/乙 factory buildings, Table 3.4.1 / Art. 3.4.2; class 甲
    warehouses, Table 3.5.1, by storage item and tonnes; class 乙 warehouses, Table 3.5.2 notes).
    Each rule's rows stand for GB 36894 classes (column ``gb36894_classes`` of
    ``design_code_distances.csv``, CHOICE): the GB 50160 row 居民区、公共福利设施、村庄 for all five
    classes; GB 50016 "important public building" rows for 高敏感/重要, "civil building" rows for the
    three general classes. When several rules apply, each class takes the largest distance.

    Not selected automatically (data kept in the CSV): the elevated-flare column (the format has no
    flare equipment), GB 50016 Table 4.2.1 and GB 50074 Table 4.0.10 (both need a volume in m³,
    which the interchange format does not carry).

    Parameters
    ----------
    unit
        ``unit_type`` (production/storage), ``equipment``, ``fire_class`` (甲 … 戊); other keys ignored.
    inventory
        The unit's inventory rows (as for :func:`select_method`); used for the liquefied-hydrocarbon
        test (W2 substance with ``state`` liquefied_*) and the class 甲 warehouse item and tonnes.

    Returns
    -------
    CodeDistances
        Never raises for missing or unusual attributes: a distance is None and the basis says which
        attribute is missing or that no table row applies.

    Raises
    ------
    InvalidInput
        An inventory quantity that is negative, infinite or not a number (all listed).

    Examples
    --------
    >>> d = code_distances({"unit_type": "storage", "equipment": "atmospheric_tank", "fire_class": "甲"})
    >>> d.distance_m["general_3"]
    100.0
    """
    unit_type = _text(unit.get("unit_type"))
    equipment = _text(unit.get("equipment"))
    fire_class = _text(unit.get("fire_class"))
    classes = list(TARGET_CLASSES)

    def none(zh: str, en: str) -> CodeDistances:
        text = _both(zh, en)
        return CodeDistances(MappingProxyType(dict.fromkeys(classes)), MappingProxyType(dict.fromkeys(classes, text)),
                             text, (), ())

    if unit_type is None:
        return none("缺少 unit_type（生产/储存单元）：无法确定规范距离表的列",
                    "unit_type (production/storage) missing: the design-code column cannot be determined")
    if fire_class is None:
        return none("缺少 fire_class（火灾危险性类别）：无法确定规范距离表的列",
                    "fire_class (fire-hazard class) missing: the design-code column cannot be determined")
    if unit_type == "storage" and equipment is None:
        return none("储存单元缺少 equipment（储罐/压力容器/仓库）：无法确定规范距离表的列",
                    "equipment (tank, vessel, warehouse …) missing for a storage unit: the design-code column "
                    "cannot be determined")
    rows = _classified_inventory(_text(unit.get("id")) or "?", inventory)
    table = _cells()
    best: dict[str, tuple[float, str, str]] = {}  # class → (metres, basis, status)
    undetermined: dict[str, str] = {}
    applied: list[str] = []
    notes: list[str] = []
    for rule in _rules():
        if rule["unit_type"] != unit_type or not _in_list(equipment, rule["equipment"]) \
                or not _in_list(fire_class, rule["fire_class"]):
            continue
        columns = [rule["column_key"]]
        detail = ""
        determined = True
        if rule["condition"] == "liquefied_flammable_gas":
            ok, why = _liquefied_flammable_gas(rows)
            if ok is False:
                notes.append(why)
                continue
            if ok is None:
                why_zh, why_en = why.split(" / ", 1)
                for c in classes:
                    undetermined[c] = _both(f"液化烃罐组是否适用未定：{why_zh}",
                                            f"whether the LHC tank-group column applies is undetermined: {why_en}")
                applied.append(rule["rule_id"])
                continue
        if rule["column_key"] == "@class_a_items":
            columns, detail, determined = _class_a_columns(rows)
        cells = [table[k] for k in ((rule["standard"], rule["table"], r, col)
                                    for r in rule["row_keys"].split(";") for col in columns) if k in table]
        factor = float(rule["factor"])
        applied.append(rule["rule_id"])
        for c in classes:
            mine = [cell for cell in cells if c in cell["classes"] and not math.isnan(cell["value_m"])]
            if not mine:
                continue
            if not determined and len({cell["value_m"] for cell in mine}) > 1:
                undetermined[c] = _both(f"GB 50016 表3.5.1 列未定：{detail.split(' / ')[0]}",
                                        f"GB 50016 Table 3.5.1 column undetermined: {detail.split(' / ')[1]}")
                continue
            cell = max(mine, key=lambda cell: cell["value_m"])
            metres = float(cell["value_m"]) * factor
            factor_text = "" if factor == 1 else f" × {factor:g}"
            extra = f"（{detail.split(' / ')[0]}）" if detail and determined else ""
            extra_en = f" ({detail.split(' / ')[1]})" if detail and determined else ""
            zh, en = _cell_text(cell).split(" / ", 1)
            value = f"{cell['value_m']:g} m{factor_text} = {metres:g} m"
            rule_text = f"{rule['rule_id']} {rule['status']}"
            basis = _both(
                f"{zh}{extra} = {value} [{cell['status']}；类别映射 CHOICE；规则 {rule_text}]",
                f"{en}{extra_en} = {value} [{cell['status']}; class mapping CHOICE; rule {rule_text}]",
            )
            if c not in best or metres > best[c][0]:
                best[c] = (metres, basis, str(cell["status"]))
    distance = {c: (best[c][0] if c in best else None) for c in classes}
    basis_out: dict[str, str] = {}
    for c in classes:
        if c in best:
            basis_out[c] = _join_both([best[c][1], undetermined[c]]) if c in undetermined else best[c][1]
        elif c in undetermined:
            basis_out[c] = undetermined[c]
        else:
            kind_zh = f"{_UNIT_TYPE_ZH.get(unit_type, unit_type)}/{equipment or '—'}/{fire_class}类"
            kind_en = f"a {unit_type} unit / {equipment or '—'} / class {fire_class}"
            what = _both(f"参考规范表中无适用于 {kind_zh} 的距离",
                         f"the reference tables give no distance for {kind_en}")
            basis_out[c] = _join_both([what, *notes])
    statuses = tuple(sorted({b[2] for b in best.values()} | ({"CHOICE"} if best else set())))
    if all(v is not None for v in distance.values()):
        shown = ", ".join(f"{c} {distance[c]:g} m" for c in classes)
        reason = _both(f"规范距离已确定（{shown}）", f"design-code distances determined ({shown})")
    elif all(v is None for v in distance.values()):
        reason = basis_out[classes[0]]
    else:
        reason = _join_both([_both("部分类别的规范距离未定", "design-code distances undetermined for some classes"),
                             *(_join_both([_both(c, c), basis_out[c]], "：", ": ") for c in classes
                               if distance[c] is None)])
    return CodeDistances(MappingProxyType(distance), MappingProxyType(basis_out), reason, tuple(applied), statuses)


# =============================================================================================
# Floor rule and declared distances
# =============================================================================================


def _distance(value: Any, what: str) -> float | None:
    if _missing(value):
        return None
    try:
        d = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what} = {value!r} is not a distance in metres") from None
    if not math.isfinite(d) or d < 0:
        raise InvalidInput(f"{what} = {value!r}: a distance must be a finite number of metres ≥ 0")
    return d


def _per_class(values: Mapping[str, Any] | None, what: str) -> dict[str, float | None]:
    values = values or {}
    unknown = sorted(set(values) - set(TARGET_CLASSES))
    if unknown:
        raise InvalidInput(f"{what}: unknown GB 36894 class(es) {unknown}; valid: {', '.join(TARGET_CLASSES)}")
    return {c: _distance(values.get(c), f"{what}[{c}]") for c in TARGET_CLASSES}


def declared_distances(unit: Mapping[str, Any]) -> dict[str, float | None]:
    """The external safety distances a unit declares, per GB 36894 class, metres.

    ``safety_distance_<class>_m`` where given; otherwise the single ``safety_distance_m`` stands for
    that class (CHOICE: a single declared distance is read as applying to every class).
    """
    single = _distance(unit.get("safety_distance_m"), "safety_distance_m")
    out = {}
    for c, col in _DECLARED_COLUMNS.items():
        own = _distance(unit.get(col), col)
        out[c] = own if own is not None else single
    return out


def external_distances(
    method_distance_m: Mapping[str, Any] | None,
    code_distance_m: Mapping[str, Any] | None,
    declared_m: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Final external safety distances by the floor rule, compared with the declared ones.

    ``final = max(method distance, code distance)`` per GB 36894 class (gbt37243-2019.md §3, floor
    rule, UNCONFIRMED wording). A missing value (None/NaN) takes no part; both missing → final None.

    Parameters
    ----------
    method_distance_m
        Class → distance from the consequence method or QRA, metres (None for design-code units).
    code_distance_m
        Class → design-code distance, metres (:attr:`CodeDistances.distance_m`).
    declared_m
        Class → the distance the enterprise declares, metres (:func:`declared_distances`).

    Returns
    -------
    pandas.DataFrame
        Index GB 36894 class (strictest first): ``class_label``, ``method_distance_m``,
        ``code_distance_m``, ``final_distance_m``, ``governed_by`` (``method``, ``code``, ``equal``
        or None), ``declared_distance_m``, ``declared_shorter`` (declared < final; None when either is
        missing), ``shortfall_m`` (final − declared when shorter), ``note`` (中文 / English).

    Raises
    ------
    InvalidInput
        An unknown class key, or a negative / infinite / non-numeric distance.

    Examples
    --------
    >>> t = external_distances({"general_3": 80.0}, {"general_3": 100.0}, {"general_3": 90.0})
    >>> row = t.loc["general_3"]
    >>> float(row["final_distance_m"]), row["governed_by"], row["declared_shorter"]
    (100.0, 'code', True)
    """
    method = _per_class(method_distance_m, "method_distance_m")
    code = _per_class(code_distance_m, "code_distance_m")
    declared = _per_class(declared_m, "declared_m")
    records = []
    for c, (zh_label, en_label) in TARGET_CLASSES.items():
        m, k, d = method[c], code[c], declared[c]
        if m is None and k is None:
            final, governed = None, None
            note = _both("方法距离与规范距离均缺失", "neither a method nor a code distance")
        elif k is None:
            final, governed = m, "method"
            note = _both("无规范距离：取方法距离", "no code distance: the method distance")
        elif m is None:
            final, governed = k, "code"
            note = _both("无方法距离：取规范距离", "no method distance: the code distance")
        else:
            final = max(m, k)
            governed = "equal" if m == k else ("method" if m > k else "code")
            if k > m:
                note = _both("计算距离小于规范距离，取规范距离（底线规则）",
                             "computed distance below the code distance: raised to it (floor rule)")
            else:
                note = _both("取计算距离（不小于规范距离）", "the computed distance (not below the code distance)")
        shorter = None if (final is None or d is None) else bool(d < final)
        if shorter:
            note += "; " + _both(f"申报距离 {d:g} m 小于 {final:g} m", f"declared {d:g} m is shorter than {final:g} m")
        records.append({
            "target_class": c, "class_label": _both(zh_label, en_label), "method_distance_m": m,
            "code_distance_m": k, "final_distance_m": final, "governed_by": governed,
            "declared_distance_m": d, "declared_shorter": shorter,
            "shortfall_m": (final - d) if shorter else None, "note": note,
        })
    frame = pd.DataFrame.from_records(records).set_index("target_class")
    for col in ("method_distance_m", "code_distance_m", "final_distance_m", "declared_distance_m", "shortfall_m"):
        frame[col] = frame[col].astype(float)
    for col in ("governed_by", "declared_shorter"):  # None stays None (not NaN)
        frame[col] = pd.Series([r[col] for r in records], index=frame.index, dtype=object)
    return frame
