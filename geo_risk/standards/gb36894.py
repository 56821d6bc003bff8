"""GB 36894-2018 《危险化学品生产装置和储存设施风险基准》: protection-target classes and IR criteria.

Implements

* the protection-target classification (防护目标分类, clause 3.1 and normative Annex A):
  高敏感防护目标 (``high_sensitive``), 重要防护目标 (``important``) and 一般防护目标 split into
  一类 / 二类 / 三类 (``general_1`` / ``general_2`` / ``general_3``);
* the individual-risk criteria (个人风险基准, Table 1) for new (新建, including 改建/扩建) and
  existing (在役) installations, in events per year.

Everything that comes from the standard — class labels, the mapping from the project's
protection-target kinds to classes, the population thresholds and the IR criteria — is data in
ONE table, :data:`GB36894_TABLE`, at the top of this module. Every entry carries a
``confidence`` tag (``"C2"``: two or more independent sources; ``"C1"``: one source;
``"UNCONFIRMED"``: recalled or inferred, to be checked against the printed standard) and a note.
Most of Annex A is **UNCONFIRMED** (see docs/standards/gb36894-2018.md §3–§4, §7).

Choices made here (all flagged in the table)
---------------------------------------------
* **Population, not floor area.** Annex A splits some general use categories by total floor
  area (m²) or beds. The project's interchange format carries no floor area, so only headcount
  is used: population (people present; for housing, residents) and, for housing, households.
  The 2014 trial headcount tiers (国家安监总局公告 2014 年第 13 号) are carried over:
  ≥ 100 people → 一类, 30–99 → 二类, < 30 → 三类; for housing also ≥ 30 households → 一类,
  10–29 → 二类, < 10 → 三类.
* **Boundary convention:** "以上" is read as inclusive (≥): exactly 100 people is 一类,
  exactly 30 people is 二类 (not 三类), exactly 30 households is 一类, exactly 10 is 二类.
  UNCONFIRMED: decide per row from the printed Annex A.
* **Housing with both counts:** the stricter of the two classes applies (Annex A joins them
  with "or").
* **Unknown population:** a general kind with no population (None or NaN) is classed
  ``general_1``, the most conservative general class, so a missing headcount never loosens
  the criterion applied to a target.
* **City parks:** no threshold was found (the domain notes say to leave them empty), so a park
  is ``general_1`` whatever its population.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from geo_risk.errors import InvalidInput

__all__ = [
    "GB36894_TABLE",
    "INSTALLATION_TYPES",
    "TARGET_CLASSES",
    "TARGET_KINDS",
    "Gb36894Table",
    "GeneralSplit",
    "IndividualRiskCriterion",
    "KindRule",
    "TargetClassEntry",
    "classify_target",
    "classify_targets",
    "individual_risk_criterion_per_year",
]


# =============================================================================================
# Data: the ONE table of everything taken from GB 36894-2018 (and its 2014 predecessor).
# =============================================================================================


@dataclass(frozen=True)
class TargetClassEntry:
    """One protection-target class (clause 3.1, Annex A)."""

    code: str
    name_zh: str
    name_en: str
    confidence: str
    note: str


@dataclass(frozen=True)
class KindRule:
    """How one project protection-target kind is classified.

    Exactly one of ``target_class`` (a fixed class) and ``use_category`` (a key of the general
    splits, classed by population) is set.
    """

    kind: str
    name_zh: str
    name_en: str
    target_class: str | None
    use_category: str | None
    confidence: str
    note: str


@dataclass(frozen=True)
class GeneralSplit:
    """一类 / 二类 / 三类 split of one general use category (Annex A), by headcount.

    ``class_1_min_people``: population at or above which the target is ``general_1``;
    ``class_2_min_people``: at or above which it is ``general_2`` (below: ``general_3``).
    Households likewise (housing only). ``class_1_min_people = None`` means "no split known":
    every target of the category is ``general_1`` (conservative); ``class_2_min_people = None``
    alone means the category has no 三类 (below the 一类 threshold is ``general_2``).
    """

    use_category: str
    name_zh: str
    name_en: str
    class_1_min_people: float | None
    class_2_min_people: float | None
    class_1_min_households: float | None
    class_2_min_households: float | None
    confidence: str
    note: str


@dataclass(frozen=True)
class IndividualRiskCriterion:
    """Maximum acceptable individual risk at a target of one class (Table 1), per year."""

    target_class: str
    new_per_year: float
    existing_per_year: float
    confidence: str
    note: str


@dataclass(frozen=True)
class Gb36894Table:
    """Everything this module takes from GB 36894-2018, with confidence tags."""

    target_classes: tuple[TargetClassEntry, ...]
    kinds: tuple[KindRule, ...]
    general_splits: tuple[GeneralSplit, ...]
    individual_risk_criteria: tuple[IndividualRiskCriterion, ...]
    boundary_convention: str
    boundary_confidence: str
    boundary_note: str
    missing_population_class: str
    missing_population_note: str


_IR_NOTE = "Ladder C2 (2014 trial); its row mapping to GB 36894 classes is UNCONFIRMED."
_TRIAL_TIERS_NOTE = (
    "2014 trial headcount tiers carried over (>=100 -> 一类, 30-99 -> 二类, <30 -> 三类); "
    "GB 36894 Annex A thresholds not read."
)

# fmt: off
GB36894_TABLE = Gb36894Table(
    target_classes=(
        TargetClassEntry(
            "high_sensitive", "高敏感防护目标", "highly sensitive protection target", "C2",
            "Clause 3.1; the three-class structure is confirmed by two sources.",
        ),
        TargetClassEntry(
            "important", "重要防护目标", "important protection target", "C2",
            "Clause 3.1.",
        ),
        TargetClassEntry(
            "general_1", "一般防护目标中的一类防护目标", "general protection target, class I", "C2",
            "Class names C2; the split rule is UNCONFIRMED (see general_splits).",
        ),
        TargetClassEntry(
            "general_2", "一般防护目标中的二类防护目标", "general protection target, class II", "C2",
            "Class names C2; the split rule is UNCONFIRMED (see general_splits).",
        ),
        TargetClassEntry(
            "general_3", "一般防护目标中的三类防护目标", "general protection target, class III", "C2",
            "Class names C2; the split rule is UNCONFIRMED (see general_splits).",
        ),
    ),
    kinds=(
        # --- 高敏感防护目标 (Annex A.1)
        KindRule("school", "中小学校", "primary or secondary school", "high_sensitive", None,
                 "UNCONFIRMED", "教育设施: middle/primary schools are in the unconfirmed tail of A.1 b)."),
        KindRule("kindergarten", "幼儿园", "kindergarten", "high_sensitive", None,
                 "UNCONFIRMED", "教育设施: kindergartens are in the unconfirmed tail of A.1 b)."),
        KindRule("university", "高等院校", "university or college", "high_sensitive", None,
                 "C1", "教育设施 A.1 b): universities and colleges (one source)."),
        KindRule("hospital", "医院", "hospital", "high_sensitive", None,
                 "UNCONFIRMED", "医疗卫生场所 A.1 c); wording unconfirmed."),
        KindRule("clinic", "诊所、卫生院", "clinic or health centre", "high_sensitive", None,
                 "UNCONFIRMED", "医疗卫生场所 A.1 c); wording unconfirmed."),
        KindRule("nursing_home", "养老院", "elderly-care home", "high_sensitive", None,
                 "UNCONFIRMED", "社会福利设施 A.1 d); wording unconfirmed."),
        KindRule("welfare_home", "福利院", "welfare home or orphanage", "high_sensitive", None,
                 "UNCONFIRMED", "社会福利设施 A.1 d); wording unconfirmed."),
        KindRule("cultural_centre", "文化活动中心", "cultural activity centre", "high_sensitive", None,
                 "C1", "文化设施 A.1 a): cultural centres, youth/children's/elderly activity centres."),
        # --- 重要防护目标 (Annex A.2), all UNCONFIRMED in detail
        KindRule("library", "公共图书馆", "public library", "important", None,
                 "UNCONFIRMED", "公共图书展览设施."),
        KindRule("museum", "博物馆、展览馆", "museum or exhibition hall", "important", None,
                 "UNCONFIRMED", "公共图书展览设施 (museums, archives, memorial halls, galleries)."),
        KindRule("religious_site", "宗教场所", "religious site", "important", None,
                 "UNCONFIRMED", "宗教场所 (temples, monasteries, churches)."),
        KindRule("cultural_relic", "文物保护单位", "protected cultural-relic site", "important", None,
                 "UNCONFIRMED", "文物保护单位."),
        KindRule("rail_transit", "城市轨道交通设施", "urban rail-transit facility", "important", None,
                 "UNCONFIRMED", "城市轨道交通设施; wording not recalled."),
        KindRule("prison", "监狱、看守所", "prison or detention house", "important", None,
                 "UNCONFIRMED", "军事、安保设施."),
        KindRule("military", "军事设施", "military installation", "important", None,
                 "UNCONFIRMED", "军事、安保设施."),
        KindRule("embassy", "外事场所", "embassy, consulate or international organisation", "important",
                 None, "UNCONFIRMED", "外事场所."),
        # --- 一般防护目标 (Annex A.3), split by population
        KindRule("residential", "住宅", "housing (residential area)", None, "housing",
                 "UNCONFIRMED", "住宅及相应服务设施."),
        KindRule("government_office", "党政机关、行政办公", "government / administrative office", None,
                 "administrative_office", "UNCONFIRMED",
                 "行政办公设施. Recalled: county-level-or-above Party/government organs are 一类 "
                 "regardless of size; the data cannot tell the level, so that rule is NOT applied."),
        KindRule("office", "商务办公", "business office", None, "business_office",
                 "UNCONFIRMED", "商务办公 (finance, media, technical services)."),
        KindRule("mall", "商场", "shopping mall", None, "commercial",
                 "UNCONFIRMED", "商业、餐饮."),
        KindRule("market", "市场", "market", None, "commercial",
                 "UNCONFIRMED", "商业; open-air markets were in the 2014 trial's >=100 tier."),
        KindRule("hotel", "旅馆", "hotel", None, "hotel",
                 "UNCONFIRMED", "旅馆住宿."),
        KindRule("sports_venue", "体育场馆", "sports venue", None, "sports_venue",
                 "UNCONFIRMED", "体育场馆."),
        KindRule("station", "交通枢纽", "transport hub or station", None, "transport_hub",
                 "UNCONFIRMED", "交通枢纽 (railway, coach, passenger-port stations, airport terminals)."),
        KindRule("park", "城市公园", "city park", None, "city_park",
                 "UNCONFIRMED", "城市公园; category name recalled, no source."),
        KindRule("factory", "其他非危险化学品工业企业",
                 "other (non-hazardous-chemical) industrial enterprise", None, "industrial", "UNCONFIRMED",
                 "其他非危险化学品工业企业; population = workers on site."),
        KindRule("other", "其他人员密集场所", "other public gathering place", None, "other_gathering",
                 "UNCONFIRMED", "其他公众聚集场所."),
    ),
    general_splits=(
        GeneralSplit("housing", "住宅及相应服务设施", "housing and its service facilities",
                     100, 30, 30, 10, "UNCONFIRMED",
                     "Recalled Annex A: >=30 households or >=100 residents -> 一类; 10-30 households or "
                     "30-100 residents -> 二类; fewer -> 三类. Matches the 2014 trial tiers."),
        GeneralSplit("administrative_office", "行政办公设施", "administrative office",
                     100, 30, None, None, "UNCONFIRMED",
                     "Recalled: >=100 staff -> 一类, <100 -> 二类, 三类 not recalled. " + _TRIAL_TIERS_NOTE),
        GeneralSplit("business_office", "商务办公", "business office",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A uses floor area (>=5000 / 1500-5000 / <1500 m², tentative); not in the "
                     "data. " + _TRIAL_TIERS_NOTE),
        GeneralSplit("commercial", "商业、餐饮", "commercial and catering",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A uses floor area (>=5000 / 1500-5000 / <1500 m², tentative); not in the "
                     "data. " + _TRIAL_TIERS_NOTE),
        GeneralSplit("hotel", "旅馆住宿", "hotels and lodging",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A uses beds (>=100 -> 一类, tentative); population stands in for beds. "
                     + _TRIAL_TIERS_NOTE),
        GeneralSplit("sports_venue", "体育场馆", "sports venues",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A uses floor area (>=5000 m², tentative) and may have no 三类. "
                     + _TRIAL_TIERS_NOTE),
        GeneralSplit("transport_hub", "交通枢纽", "transport hubs",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A classes by station type (tentative) and may have no 三类. "
                     + _TRIAL_TIERS_NOTE),
        GeneralSplit("industrial", "其他非危险化学品工业企业", "other industrial enterprises",
                     100, 30, None, None, "UNCONFIRMED",
                     "Annex A thresholds not recalled. " + _TRIAL_TIERS_NOTE),
        GeneralSplit("other_gathering", "其他人员密集场所", "other public gathering places",
                     100, 30, None, None, "UNCONFIRMED",
                     "Recalled >=100 / 30-100 / <30 people (tentative); same as the 2014 trial tiers."),
        GeneralSplit("city_park", "城市公园", "city parks",
                     None, None, None, None, "UNCONFIRMED",
                     "No threshold found; left empty as the domain notes require, so every park is "
                     "general_1 (conservative) until the printed Annex A is read."),
    ),
    individual_risk_criteria=(
        IndividualRiskCriterion("high_sensitive", 3.0e-7, 3.0e-6, "UNCONFIRMED",
                                _IR_NOTE),
        IndividualRiskCriterion("important", 3.0e-7, 3.0e-6, "UNCONFIRMED",
                                _IR_NOTE),
        IndividualRiskCriterion("general_1", 3.0e-7, 3.0e-6, "UNCONFIRMED",
                                _IR_NOTE),
        IndividualRiskCriterion("general_2", 3.0e-6, 1.0e-5, "UNCONFIRMED",
                                _IR_NOTE),
        IndividualRiskCriterion("general_3", 1.0e-5, 3.0e-5, "UNCONFIRMED",
                                _IR_NOTE),
    ),
    boundary_convention="ge",
    boundary_confidence="UNCONFIRMED",
    boundary_note=(
        "'以上' read as inclusive: a count equal to a threshold falls in the stricter class "
        "(100 people -> 一类, 30 people -> 二类). Check per row against the printed Annex A."
    ),
    missing_population_class="general_1",
    missing_population_note=(
        "Project choice: a general target with unknown population gets the most conservative "
        "general class, so a missing headcount never loosens the criterion."
    ),
)
# fmt: on
"""All classes, kind mappings, thresholds and IR criteria, each with a confidence tag."""


# =============================================================================================
# Lookups derived from the table
# =============================================================================================

TARGET_CLASSES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {c.code: (c.name_zh, c.name_en) for c in GB36894_TABLE.target_classes}
)
"""Class code → (中文 label, English label), ordered from the strictest class."""

TARGET_KINDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {k.kind: (k.name_zh, k.name_en) for k in GB36894_TABLE.kinds}
)
"""Protection-target kind code → (中文 name, English name)."""

INSTALLATION_TYPES: tuple[str, ...] = ("new", "existing")
"""``new``: 新建 (new, rebuilt or expanded, 新建、改建、扩建); ``existing``: 在役 (in service)."""

_KIND_RULES: Mapping[str, KindRule] = MappingProxyType({k.kind: k for k in GB36894_TABLE.kinds})
_SPLITS: Mapping[str, GeneralSplit] = MappingProxyType(
    {s.use_category: s for s in GB36894_TABLE.general_splits}
)
_IR: Mapping[str, IndividualRiskCriterion] = MappingProxyType(
    {c.target_class: c for c in GB36894_TABLE.individual_risk_criteria}
)
# rank 0 = strictest; general_1/2/3 are ranks 2/3/4
_CLASS_CODES: tuple[str, ...] = tuple(TARGET_CLASSES)
_RANK_GENERAL_1 = _CLASS_CODES.index("general_1")
_RANK_GENERAL_2 = _CLASS_CODES.index("general_2")
_RANK_GENERAL_3 = _CLASS_CODES.index("general_3")
_RANK_MISSING = _CLASS_CODES.index(GB36894_TABLE.missing_population_class)
_MAX_LISTED_ROWS = 20


def _valid_kinds_text() -> str:
    return ", ".join(TARGET_KINDS)


def _split_rank(values: np.ndarray, class_1_min: float | None, class_2_min: float | None) -> np.ndarray:
    """General class rank (2, 3, 4) per value, NaN where the value is missing.

    With no thresholds every present value is ``general_1``. Thresholds are inclusive (≥).
    """
    values = np.asarray(values, dtype=np.float64)
    ranks = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if class_1_min is None:
        ranks[present] = _RANK_GENERAL_1
        return ranks
    c2 = -np.inf if class_2_min is None else class_2_min  # no 三类 threshold: below 一类 is 二类
    ranks[present] = np.where(
        values[present] >= class_1_min,
        _RANK_GENERAL_1,
        np.where(values[present] >= c2, _RANK_GENERAL_2, _RANK_GENERAL_3),
    )
    return ranks


def _general_rank(split: GeneralSplit, population: np.ndarray, households: np.ndarray | None) -> np.ndarray:
    """Combine population and (housing) household ranks: the stricter wins; none known → missing class."""
    rank = _split_rank(population, split.class_1_min_people, split.class_2_min_people)
    if households is not None and split.class_1_min_households is not None:
        rank_hh = _split_rank(households, split.class_1_min_households, split.class_2_min_households)
        rank = np.fmin(rank, rank_hh)  # NaN-ignoring minimum: the stricter known class
    if split.class_1_min_people is None and split.class_1_min_households is None:
        rank = np.full(rank.shape, float(_RANK_GENERAL_1))
    return np.where(np.isnan(rank), _RANK_MISSING, rank).astype(np.int64)


def _show(value: Any) -> str:
    """repr() of a value with NumPy scalars shown as plain Python values."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _normalise_kind(kind: Any) -> str | None:
    return kind.strip().lower() if isinstance(kind, str) else None


def _count_problem(name: str, value: Any) -> tuple[float, str | None]:
    """Parse a headcount: returns (value or NaN, problem text or None)."""
    if value is None:
        return math.nan, None
    if isinstance(value, bool):
        return math.nan, f"{name} {value!r} is not a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan, f"{name} {value!r} is not a number"
    if math.isnan(number):
        return math.nan, None
    if math.isinf(number):
        return math.nan, f"{name} {value!r} is not finite"
    if number < 0:
        return math.nan, f"{name} {value!r} is negative"
    return number, None


def classify_target(kind: str, population: float | None, households: int | None = None) -> str:
    """Classify one protection target under GB 36894-2018 clause 3.1 / Annex A.

    Fixed-class kinds (schools, hospitals, … → ``high_sensitive``; libraries, prisons, … →
    ``important``) ignore the headcounts. General kinds are split into ``general_1`` /
    ``general_2`` / ``general_3`` by population with inclusive thresholds (≥ 100 people →
    ``general_1``, 30–99 → ``general_2``, < 30 → ``general_3``; UNCONFIRMED, see
    :data:`GB36894_TABLE`). For ``residential`` the households count is also used (≥ 30 →
    ``general_1``, 10–29 → ``general_2``, < 10 → ``general_3``) and the stricter result wins;
    ``households`` is ignored for other kinds. Annex A's floor-area (m²) criteria are not used:
    the interchange format carries no floor area.

    Parameters
    ----------
    kind : str
        Protection-target kind code, one of :data:`TARGET_KINDS` (case and surrounding
        whitespace are ignored).
    population : float or None
        People normally present (residents for ``residential``), persons. ``None`` or NaN means
        unknown: a general kind is then classed ``general_1`` (the most conservative general
        class) unless households decide it.
    households : int or None, optional
        Households (户), for ``residential`` only.

    Returns
    -------
    str
        A class code of :data:`TARGET_CLASSES`.

    Raises
    ------
    InvalidInput
        If ``kind`` is unknown, or a count is negative, infinite or not a number.

    Examples
    --------
    >>> classify_target("school", 10)
    'high_sensitive'
    >>> classify_target("mall", 150), classify_target("mall", 50), classify_target("mall", 10)
    ('general_1', 'general_2', 'general_3')
    """
    key = _normalise_kind(kind)
    rule = _KIND_RULES.get(key) if key is not None else None
    if rule is None:
        raise InvalidInput(
            f"classify_target: unknown protection-target kind {kind!r}. Valid kinds: "
            f"{_valid_kinds_text()}. Map the source category to one of these (use 'other' for "
            "another public gathering place)."
        )
    pop, pop_problem = _count_problem("population", population)
    hh, hh_problem = _count_problem("households", households)
    problems = [p for p in (pop_problem, hh_problem) if p is not None]
    if problems:
        raise InvalidInput(
            f"classify_target: {'; '.join(problems)} (kind {rule.kind!r}). Counts are numbers of "
            "people or households, zero or more; use None when unknown."
        )
    if rule.target_class is not None:
        return rule.target_class
    split = _SPLITS[rule.use_category]  # type: ignore[index]
    hh_arr = np.array([hh]) if rule.kind == "residential" else None
    rank = _general_rank(split, np.array([pop]), hh_arr)
    return _CLASS_CODES[int(rank[0])]


def classify_targets(
    kinds: pd.Series, populations: pd.Series, households: pd.Series | None = None
) -> pd.Series:
    """Classify a whole layer of protection targets (vectorised :func:`classify_target`).

    Parameters
    ----------
    kinds : pandas.Series
        Kind codes of :data:`TARGET_KINDS` (case and surrounding whitespace ignored).
    populations : pandas.Series
        People present (residents for ``residential``), persons; NaN/None = unknown. Same index
        as ``kinds``.
    households : pandas.Series, optional
        Households, used for ``residential`` rows only; same index as ``kinds``.

    Returns
    -------
    pandas.Series
        Class codes (:data:`TARGET_CLASSES`), same index as ``kinds``, named ``target_class``.

    Raises
    ------
    InvalidInput
        Listing every bad row at once (the first 20, then "… and N more"): unknown or missing
        kind, negative / infinite / non-numeric population or households; or if the Series do
        not share an index.
    """
    if not isinstance(kinds, pd.Series):
        kinds = pd.Series(kinds)
    if not isinstance(populations, pd.Series):
        populations = pd.Series(populations, index=kinds.index if len(populations) == len(kinds) else None)
    if households is not None and not isinstance(households, pd.Series):
        households = pd.Series(households, index=kinds.index if len(households) == len(kinds) else None)
    for name, series in (("populations", populations), ("households", households)):
        if series is not None and not series.index.equals(kinds.index):
            raise InvalidInput(
                f"classify_targets: {name} has a different index from kinds ({len(series)} vs "
                f"{len(kinds)} rows); pass columns of the same frame so rows line up."
            )

    norm = kinds.astype("string").str.strip().str.lower()
    problems: list[tuple[int, str]] = []  # (row position, reason)

    known = norm.isin(list(_KIND_RULES)).to_numpy(dtype=bool, na_value=False)
    missing_kind = norm.isna().to_numpy(dtype=bool)
    for pos in np.flatnonzero(~known):
        reason = "kind is missing" if missing_kind[pos] else f"unknown kind {_show(kinds.iloc[pos])}"
        problems.append((int(pos), reason))

    pop = _as_counts(populations, "population", problems)
    hh = _as_counts(households, "households", problems) if households is not None else None

    if problems:
        by_row: dict[int, list[str]] = {}
        for pos, reason in sorted(problems, key=lambda p: p[0]):
            by_row.setdefault(pos, []).append(reason)
        shown = "\n".join(
            f"  - row {_show(kinds.index[pos])}: {'; '.join(reasons)}"
            for pos, reasons in list(by_row.items())[:_MAX_LISTED_ROWS]
        )
        n_more = len(by_row) - _MAX_LISTED_ROWS
        more = f"\n  … and {n_more} more" if n_more > 0 else ""
        raise InvalidInput(
            f"classify_targets: {len(by_row)} bad row(s) in the protection-target layer:\n"
            f"{shown}{more}\nValid kinds: {_valid_kinds_text()}. Populations and households are "
            "counts of zero or more (leave empty when unknown). Fix these rows and retry."
        )

    ranks = np.full(len(kinds), _RANK_MISSING, dtype=np.int64)
    for rule in GB36894_TABLE.kinds:
        mask = (norm == rule.kind).to_numpy(dtype=bool, na_value=False)
        if not mask.any():
            continue
        if rule.target_class is not None:
            ranks[mask] = _CLASS_CODES.index(rule.target_class)
            continue
        split = _SPLITS[rule.use_category]  # type: ignore[index]
        hh_part = hh[mask] if (hh is not None and rule.kind == "residential") else None
        ranks[mask] = _general_rank(split, pop[mask], hh_part)
    codes = np.array(_CLASS_CODES, dtype=object)[ranks]
    return pd.Series(codes, index=kinds.index, name="target_class")


def _as_counts(series: pd.Series, what: str, problems: list[tuple[int, str]]) -> np.ndarray:
    """Headcounts as float64 (NaN = unknown); appends a problem for each bad row."""
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        values = np.full(n, np.nan)
        not_number = np.ones(n, dtype=bool)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        not_number = np.zeros(n, dtype=bool)
    else:
        raw = series.astype(object)
        is_bool = raw.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
        numbers = pd.to_numeric(raw.where(~is_bool, "bool"), errors="coerce")
        values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        not_number = np.isnan(values) & ~raw.isna().to_numpy(dtype=bool)
    for pos in np.flatnonzero(not_number):
        problems.append((int(pos), f"{what} {_show(series.iloc[pos])} is not a number"))
    for pos in np.flatnonzero(np.isinf(values)):
        problems.append((int(pos), f"{what} {_show(series.iloc[pos])} is not finite"))
    with np.errstate(invalid="ignore"):
        for pos in np.flatnonzero(values < 0):
            problems.append((int(pos), f"{what} {_show(series.iloc[pos])} is negative"))
    return values


def individual_risk_criterion_per_year(target_class: str, installation: str) -> float:
    """Maximum acceptable individual risk at a target, per year (GB 36894-2018 Table 1).

    Compliance means the individual risk at the target is ≤ the returned value.

    ======================================  ==========  ==========
    Target class                            new (/a)    existing (/a)
    ======================================  ==========  ==========
    high_sensitive, important, general_1    3×10⁻⁷      3×10⁻⁶
    general_2                               3×10⁻⁶      1×10⁻⁵
    general_3                               1×10⁻⁵      3×10⁻⁵
    ======================================  ==========  ==========

    The ladder is confirmed (C2) for the 2014 trial criteria; its mapping to the GB 36894
    classes is UNCONFIRMED from the standard's own text (see :data:`GB36894_TABLE`).

    Parameters
    ----------
    target_class : str
        A class code of :data:`TARGET_CLASSES`.
    installation : str
        ``"new"`` (新建, including 改建/扩建) or ``"existing"`` (在役); case-insensitive.

    Returns
    -------
    float
        Individual-risk criterion, events per year.

    Raises
    ------
    InvalidInput
        If ``target_class`` or ``installation`` is not a valid choice.
    """
    criterion = _IR.get(target_class) if isinstance(target_class, str) else None
    if criterion is None:
        raise InvalidInput(
            f"individual_risk_criterion_per_year: unknown target class {target_class!r}. Valid "
            f"classes: {', '.join(TARGET_CLASSES)}. Classify the target first with classify_target()."
        )
    key = installation.strip().lower() if isinstance(installation, str) else None
    if key == "new":
        return criterion.new_per_year
    if key == "existing":
        return criterion.existing_per_year
    raise InvalidInput(
        f"individual_risk_criterion_per_year: unknown installation type {installation!r}. Valid: "
        "'new' (新建, including 改建/扩建: new, rebuilt or expanded) or 'existing' (在役: in service)."
    )


# -- societal risk (Figure 1) ---------------------------------------------------------------------
@dataclass(frozen=True)
class SocietalRiskCriterion:
    """The two F-N boundary lines of Figure 1: (N, F per year) vertices on log-log axes.

    Above ``upper`` is unacceptable (不可接受区), between the lines ALARP (尽可能降低区), below
    ``lower`` acceptable (可接受区). A curve point exactly on a line counts as the worse region.
    """

    upper: tuple[tuple[float, float], ...]
    lower: tuple[tuple[float, float], ...]
    n_max: float
    confidence: str
    note: str

    def boundary(self, which: str, n: np.ndarray) -> np.ndarray:
        """F (per year) of the ``upper`` or ``lower`` line at ``n`` deaths.

        The line is straight on log-log axes between its vertices: on the segment from
        (N_i, F_i) to (N_i+1, F_i+1), F = F_i · (N / N_i)^s with s = ln(F_i+1 / F_i) / ln(N_i+1 / N_i);
        below the first vertex and beyond the last the end segments' slopes go on. Written as a power
        of N / N_i, a vertex comes out exactly and the default lines (F = 1e-3/N, 1e-5/N) within
        one unit in the last place of 1e-3/N and 1e-5/N (an interpolation of logarithms drifts by up
        to 38: the line at N = 10 came out as 9.999999999999991e-05).

        Raises
        ------
        InvalidInput
            ``which`` is neither ``"upper"`` nor ``"lower"``.
        """
        if which not in ("upper", "lower"):
            raise InvalidInput(f"SocietalRiskCriterion.boundary: which = {which!r}; valid: 'upper', 'lower'")
        pts = np.asarray(self.upper if which == "upper" else self.lower, dtype=float)
        n_v, f_v = pts[:, 0], pts[:, 1]
        slopes = np.log(f_v[1:] / f_v[:-1]) / np.log(n_v[1:] / n_v[:-1])
        n = np.asarray(n, dtype=float)
        base = np.clip(np.searchsorted(n_v, n, side="right") - 1, 0, len(n_v) - 1)  # the vertex at or below n
        return f_v[base] * (n / n_v[base]) ** slopes[np.minimum(base, len(slopes) - 1)]


#: Tie rule of the F-N criterion (CHOICE; gb36894-2018.md §5 leaves it UNCONFIRMED): a curve point
#: exactly on a boundary line counts as the worse region, as the individual-risk colours put a
#: boundary value in the worse colour. "Exactly" is decided with a relative tolerance of 4 units in
#: the last place (4 × 2.22e-16): F ≥ line × (1 − FN_BOUNDARY_RTOL) is on or above the line. A
#: frequency given as 1e-4 at N = 10 is on the line 1e-3/N; one 1e-12 (relative) below it is not.
FN_BOUNDARY_RTOL = 4 * float(np.finfo(float).eps)


def on_or_above(f: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Whether each F is on or above its boundary-line value (:data:`FN_BOUNDARY_RTOL`), element-wise."""
    return np.asarray(f, dtype=float) >= np.asarray(line, dtype=float) * (1.0 - FN_BOUNDARY_RTOL)


#: Candidate A of the domain notes: F = 1e-3/N (upper) and 1e-5/N (lower), 1 ≤ N ≤ 1000. C1 — read
#: from one paper's figure of GB 36894; check against the printed Figure 1. Societal-risk results
#: are advisory until then. Beyond N = 1000 the lines are extended at the same slope (UNCONFIRMED;
#: the trial text's "above N = 1000 unacceptable" rule is not applied).
SOCIETAL_RISK_CRITERION = SocietalRiskCriterion(
    upper=((1.0, 1e-3), (1000.0, 1e-6)),
    lower=((1.0, 1e-5), (1000.0, 1e-8)),
    n_max=1000.0,
    confidence="C1",
    note="F = 1e-3/N and 1e-5/N (slope -1), 1 <= N <= 1000: one paper's reading of GB 36894 Figure 1; "
    "UNCONFIRMED against the printed figure. Results are advisory.",
)

FN_REGIONS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "unacceptable": ("不可接受区", "unacceptable"),
    "alarp": ("尽可能降低区", "ALARP (reduce as far as practicable)"),
    "acceptable": ("可接受区", "acceptable"),
})


def classify_fn(n: np.ndarray, f: np.ndarray, criterion: SocietalRiskCriterion = SOCIETAL_RISK_CRITERION) -> str:
    """The region of an F-N curve (points ``n`` ≥ 1 with cumulative frequency ``f`` per year).

    The curve is a step function, so it is checked at every integer N from 1 to its largest N:
    unacceptable if F(N) ≥ the upper line anywhere, ALARP if not and F(N) ≥ the lower line
    somewhere, acceptable otherwise. A point on a line counts as the worse region, "on" within
    :data:`FN_BOUNDARY_RTOL` (:func:`on_or_above`). An event killing exactly one person (N = 1)
    takes part; N < 1 does not.
    """
    n = np.asarray(n, dtype=float)
    f = np.asarray(f, dtype=float)
    keep = n >= 1
    if not keep.any():
        return "acceptable"
    n, f = n[keep], f[keep]
    order = np.argsort(n)
    n, f = n[order], f[order]
    grid = np.arange(1, int(np.floor(n.max())) + 1, dtype=float)
    # F(N) at integer N: the frequency of the smallest curve point with n ≥ N (F is non-increasing)
    idx = np.searchsorted(n, grid, side="left")
    f_at = f[np.minimum(idx, len(f) - 1)]
    if on_or_above(f_at, criterion.boundary("upper", grid)).any():
        return "unacceptable"
    if on_or_above(f_at, criterion.boundary("lower", grid)).any():
        return "alarp"
    return "acceptable"
