"""The siting check (选址论证): one versioned rulebook, both directions of land-use planning.

Pure engine: dataclasses and frames in, a :class:`Verdict` out; nothing here reads the store
(``geo_risk.siting_check`` does). The notes behind every rule — sources, confidence tags and the
project's choices — are in ``docs/standards/siting-rulebook.md``.

Two directions, one rulebook
----------------------------
1. **A new hazardous project** (:func:`check_project`): its own units, their GB 18218
   identification, its GB/T 37243 distances and QRA, against the existing protection targets,
   the parks and the other enterprises' units.
2. **A new sensitive development** (:func:`check_development`): a residential area, school,
   hospital, mall … against the existing hazards (their stored distances, IR grids and F-N
   curves) and the parks' safety control lines.

The rules that judge a *pair* — a hazardous enterprise and a protection target — are evaluated by
one function, :func:`pair_reasons`, whichever side of the pair is the proposal. A school at X near
plant P and plant P proposed at its site with the school at X existing therefore fire the same
rule with the same evidence (the distance, the required distance, the IR and its criterion). The
criteria column is the one the rulebook's setting chooses for a *new decision*
(:attr:`SitingSettings.decision_column`, CHOICE: 新建 whichever side is new), so it does not depend
on the direction.

Verdict: veto rules first — when one fires the verdict is 不予通过 / advise against and the text
says "重大安全风险一票否决"; then the advisory rules: 有条件通过 / conditional when one fires,
otherwise 通过 / no objection. Which rule is a veto is data (:data:`RULES` ``kind``, overridable in
:class:`SitingSettings`); where no policy maps a rule to veto or advisory the mapping is a CHOICE,
tagged on the rule and printed with every verdict (docs/standards/siting-rulebook.md §2, §3).

Disclosure: figures derived from the stored inventories of *existing* enterprises (their IR, F-N,
QRA-based required distances, the domino link's physical values) are listed in each reason's
``restricted_fields`` and rendered inside :func:`geo_risk.disclosure.restricted` spans in the text;
:meth:`Verdict.as_dict` drops them for the public tier. The caller's own planned figures are not
restricted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import (
    SOCIETAL_RISK_CRITERION,
    TARGET_CLASSES,
    classify_fn,
    individual_risk_criterion_per_year,
    on_or_above,
)

__all__ = [
    "RULEBOOK_VERSION", "Rule", "RULES", "RULEBOOK", "SitingSettings", "DEFAULT_SETTINGS", "Reason", "Check",
    "Verdict", "HazardSide", "TargetSide", "ParkSide", "pair_reasons", "fn_bound_with_added_people",
    "societal_reason_added_people", "societal_reason_own_curve", "control_line_reasons", "park_reasons",
    "major_hazard_reasons", "domino_reasons", "verdict", "check_development", "check_project", "rulebook_table",
    "validate_site", "local_crs", "VERDICTS",
]

#: Version of the rulebook: changes whenever a rule, its kind or its evidence changes.
RULEBOOK_VERSION = "siting-rulebook 1.1 (2026-12)"


@dataclass(frozen=True)
class Rule:
    """One rule of the rulebook.

    ``kind``: ``veto`` or ``advisory`` (default; :class:`SitingSettings` may change it).
    ``kind_basis``: where the veto/advisory mapping comes from (a tag: ``CHOICE`` when no policy
    gives it). ``confidence``: the tag of the rule's substance (C2/C1/UNCONFIRMED/CHOICE).
    ``applies``: ``both`` (a pair rule), ``project`` or ``development``.
    """

    id: str
    title_zh: str
    title_en: str
    cites: str
    kind: str
    kind_basis: str
    confidence: str
    applies: str
    note: str


RULES: tuple[Rule, ...] = (
    Rule("R1-gb18218", "规划存量构成重大危险源", "planned inventory is a major hazard installation",
         "GB 18218-2018 §4 (S = Σq/Q ≥ 1) and §4.3 grade (R, Table 6)", "advisory", "CHOICE", "C2", "project",
         "A major hazard may be built, under the 重大危险源 registration and control duties: conditional."),
    Rule("R2-park", "危险化学品生产项目位于认定化工园区外",
         "hazardous-chemical production project outside a recognised park",
         "工信部联原〔2021〕220号 (recognised parks); 国办发〔2017〕77号 and provincial rules: producers belong in "
         "parks", "veto", "CHOICE: park rules are mandatory checks (docs/standards/siting-rulebook.md §2)", "C1",
         "project",
         "Every park in the store's chemical_parks layer counts as recognised (the layer carries no recognition "
         "flag: CHOICE). Storage-only projects are not caught (the national text names producers)."),
    Rule("R3-distance", "防护目标位于外部安全防护距离内",
         "protection target inside a required external safety distance",
         "GB/T 37243-2019 §4, §6.8 and the design-code floor; distance per GB 36894 target class", "veto",
         "CHOICE: mandatory checks veto (docs/standards/siting-rulebook.md §2)", "C2", "both",
         "Required distance = max(method, design code); the declared distance when no other is known."),
    Rule("R4-ir", "防护目标处个人风险超过基准", "individual risk at the protection target above its criterion",
         "GB 36894-2018 Table 1 (IR ≤ criterion of the target's class)", "veto",
         "CHOICE: mandatory checks veto (docs/standards/siting-rulebook.md §2)",
         "C2 (ladder); class mapping UNCONFIRMED", "both",
         "IR of each enterprise on its own (the regulatory test), the maximum over the target's footprint."),
    Rule("R5-fn", "受影响企业社会风险进入不可接受区",
         "societal risk of an affected enterprise in the unacceptable region",
         "GB 36894-2018 Figure 1 (F-N lines, C1)", "advisory",
         "the F-N lines are C1: advisory (docs/standards/gb36894-2018.md §5)",
         "C1", "both",
         "Direction 2 uses an upper bound of the curve with the added people (see fn_bound_with_added_people); "
         "direction 1 the new project's own curve."),
    Rule("R6-domino", "新增多米诺联系（加入或形成联防联控集群）",
         "new domino link (joins or creates a joint-prevention cluster)",
         "中发〔2016〕32号 重大安全风险联防联控; escalation thresholds Cozzani et al. 2006 (UNCONFIRMED)", "advisory",
         "CHOICE", "UNCONFIRMED", "project",
         "A link means joint prevention with the neighbour, not a ban: conditional."),
    Rule("R7-control-line", "敏感用地位于园区周边土地规划安全控制线内",
         "sensitive use inside a park's peripheral land-use safety control line",
         "工信部联原〔2021〕220号 Art. 6 as cited; 应急〔2019〕78号/〔2023〕123号 导则 (3×10⁻⁷/a basis)", "veto",
         "CHOICE: park rules are mandatory checks (docs/standards/siting-rulebook.md §2)", "C1", "development",
         "Veto for classes whose 新建 IR criterion is 3×10⁻⁷/a (the line's basis); other classes advisory. A park "
         "without a published line gets a computed one (parks §2.3 CHOICE), labelled so."),
    Rule("R8-unassessed", "附近危险化学品单元尚无外部安全防护距离计算结果",
         "hazard units near the site have no computed external safety distance",
         "GB/T 37243-2019 §4 (every unit's external distance is to be determined); the check cannot clear a site "
         "against a unit whose distance is unknown", "advisory", "CHOICE", "CHOICE", "development",
         "A unit holding hazardous chemicals within the screening radius (SitingSettings.unassessed_radius_m, "
         "CHOICE) with no current GB/T 37243 result (no risk run since the last write): its design-code and "
         "declared distances are floors, not the method's distance, so the verdict cannot be 通过 until "
         "`geo-risk risk` has computed it."),
)
RULEBOOK: Mapping[str, Rule] = {r.id: r for r in RULES}

VERDICTS: Mapping[str, tuple[str, str]] = {
    "advise_against": ("不予通过", "advise against"),
    "conditional": ("有条件通过", "conditional"),
    "no_objection": ("通过", "no objection"),
}
VETO_TEXT = "重大安全风险一票否决 / one-vote veto for a major safety risk"


@dataclass(frozen=True)
class SitingSettings:
    """The rulebook's settings (each a CHOICE, printed with the verdict).

    ``kinds``: rule id → ``veto``/``advisory`` overrides of :data:`RULES`. ``decision_column``:
    the GB 36894 column for a pair in which one side is new: ``new`` (default, CHOICE: a new
    decision takes the 新建 column whichever side is new — symmetric) or ``installation`` (the
    installation's own status: a new school near an operating plant is judged on 在役).
    ``fn_split_fractions``: the splits a of the F-N bound (see :func:`fn_bound_with_added_people`).
    """

    kinds: Mapping[str, str] = field(default_factory=dict)
    decision_column: str = "new"
    fn_split_fractions: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
    #: R8: how far (m) from the site a unit without a current GB/T 37243 distance still counts (CHOICE: the
    #: 1 km the relocation rule uses for "near homes"; a toxic gas's QRA distance can be larger).
    unassessed_radius_m: float = 1000.0

    def __post_init__(self) -> None:
        bad = {k: v for k, v in self.kinds.items() if k not in RULEBOOK or v not in ("veto", "advisory")}
        if bad:
            raise InvalidInput(f"siting rule kinds {bad}: rule ids are {', '.join(RULEBOOK)}; kinds 'veto' or "
                               "'advisory'")
        if self.decision_column not in ("new", "installation"):
            raise InvalidInput(f"decision_column must be 'new' or 'installation'; got {self.decision_column!r}")
        if not self.fn_split_fractions or not all(0 < a < 1 for a in self.fn_split_fractions):
            raise InvalidInput("fn_split_fractions must be numbers strictly between 0 and 1")
        if not (self.unassessed_radius_m >= 0 and math.isfinite(self.unassessed_radius_m)):
            raise InvalidInput(f"unassessed_radius_m must be a distance ≥ 0 m; got {self.unassessed_radius_m!r}")

    def kind(self, rule_id: str) -> str:
        return self.kinds.get(rule_id, RULEBOOK[rule_id].kind)

    def column(self, installation_status: str) -> str:
        """The GB 36894 column (``new``/``existing``) for a pair with one new side."""
        if self.decision_column == "new":
            return "new"
        return "new" if installation_status in ("planned", "proposed") else "existing"

    def describe(self) -> dict[str, Any]:
        return {
            "rulebook_version": RULEBOOK_VERSION,
            "rule_kinds": {r.id: self.kind(r.id) for r in RULES},
            "rule_kinds_basis": {r.id: ("setting (CHOICE)" if r.id in self.kinds else r.kind_basis) for r in RULES},
            "decision_column": self.decision_column,
            "decision_column_note": ("CHOICE: a pair with a new side is judged on GB 36894's 新建 column whichever "
                                     "side is new (symmetric)" if self.decision_column == "new" else
                                     "CHOICE: the installation's own status sets the column"),
            "fn_criterion": SOCIETAL_RISK_CRITERION.note,
            "unassessed_radius_m": self.unassessed_radius_m,
            "unassessed_radius_note": "CHOICE: R8 looks this far for units without a current GB/T 37243 distance",
        }


DEFAULT_SETTINGS = SitingSettings()


@dataclass
class Reason:
    """A fired rule: its text (bilingual, with restricted spans), evidence and where it applies.

    ``evidence``: numbers (metres, per year, people …) and identifiers; ``restricted_fields``:
    the evidence keys a caller below analyst must not see. ``geometry``: a lon/lat shapely
    geometry showing the evidence (the line from unit to target, the overlap …) or None.
    """

    rule: str
    kind: str
    text: str
    evidence: dict[str, Any]
    restricted_fields: tuple[str, ...] = ()
    geometry: Any = None

    def as_dict(self, tier: str = "restricted") -> dict[str, Any]:
        from geo_risk.disclosure import disclose

        r = RULEBOOK[self.rule]
        ev = {k: _plain(v) for k, v in self.evidence.items()
              if tier == "restricted" or k not in self.restricted_fields}
        return {"rule": self.rule, "kind": self.kind, "title": f"{r.title_zh} / {r.title_en}", "cites": r.cites,
                "confidence": r.confidence, "text": disclose(self.text, tier), "evidence": ev,
                "withheld": [] if tier == "restricted" else [k for k in self.restricted_fields if k in self.evidence],
                "geometry": None if self.geometry is None else shapely.geometry.mapping(self.geometry)}


@dataclass
class Check:
    """What became of one rule in a check: ``fired``, ``passed``, ``not_applicable`` or ``not_evaluated``."""

    rule: str
    status: str
    note: str = ""


@dataclass
class Verdict:
    """The answer: code, bilingual label, the veto statement, reasons (vetoes first) and checks."""

    code: str
    reasons: list[Reason]
    checks: list[Check]
    direction: str
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        zh, en = VERDICTS[self.code]
        return f"{zh} / {en}"

    @property
    def veto(self) -> bool:
        return self.code == "advise_against"

    def as_dict(self, tier: str = "restricted") -> dict[str, Any]:
        from geo_risk.disclosure import disclose

        return {
            "verdict": self.code, "verdict_label": self.label,
            "veto_statement": VETO_TEXT if self.veto else None,
            "direction": self.direction, "rulebook_version": RULEBOOK_VERSION,
            "reasons": [r.as_dict(tier) for r in self.reasons],
            "checks": [{"rule": c.rule, "status": c.status, "note": disclose(c.note, tier)} for c in self.checks],
            "rulebook": rulebook_table(self.settings.get("rule_kinds")),
            "settings": self.settings,
            "notes": [disclose(n, tier) for n in self.notes],
        }


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def rulebook_table(kinds: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The rulebook as rows (id, titles, cites, kind in force, its basis, confidence, applies, note)."""
    kinds = kinds or {}
    return [{"id": r.id, "title_zh": r.title_zh, "title_en": r.title_en, "cites": r.cites,
             "kind": kinds.get(r.id, r.kind), "kind_basis": r.kind_basis, "confidence": r.confidence,
             "applies": r.applies, "note": r.note} for r in RULES]


# =============================================================================================
# The two sides of a pair
# =============================================================================================


@dataclass
class HazardSide:
    """A hazardous enterprise, existing or proposed (geometries lon/lat, EPSG:4326).

    ``units``: GeoDataFrame, index unit id, ``unit_type``, geometry. ``required_m``: index unit
    id, one column per GB 36894 class (metres; NaN: none known), plus optional ``basis`` text.
    ``ir_grid``: this enterprise's IR grid (:class:`geo_risk.analysis.ir_field.IrGrid`) or None.
    ``fn_n``/``fn_f``: its F-N curve (deaths, per year) or None. ``proposed``: the caller's
    project (its figures are the caller's own, not restricted).
    """

    id: str
    name: str
    status: str
    units: Any
    required_m: pd.DataFrame
    ir_grid: Any = None
    fn_n: np.ndarray | None = None
    fn_f: np.ndarray | None = None
    park_id: str | None = None
    proposed: bool = False


@dataclass
class TargetSide:
    """A protection target or residential area, existing or proposed (geometry lon/lat)."""

    id: str
    name: str
    kind: str
    target_class: str
    population: float | None
    geometry: Any
    proposed: bool = False


@dataclass
class ParkSide:
    """A chemical park: boundary and its safety control line (lon/lat); ``official`` False for a
    line computed by the service (parks §2.3 CHOICE)."""

    id: str
    name: str
    boundary: Any
    control_line: Any = None
    official: bool = True


@lru_cache(maxsize=64)
def _transformer(crs: str):  # noqa: ANN202 - a pyproj Transformer
    import pyproj

    return pyproj.Transformer.from_crs(4326, crs, always_xy=True)


def local_crs(geom: Any) -> str:
    """The WGS 84 UTM zone (EPSG) at a lon/lat geometry's centroid: metres for distances."""
    from geo_risk.risk.run import utm_crs_for

    c = shapely.centroid(geom)
    return utm_crs_for(float(c.x), float(c.y))


def _project(geoms: Any, crs: str) -> np.ndarray:
    t = _transformer(crs)
    arr = np.asarray(geoms, dtype=object)
    return shapely.transform(arr, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def validate_site(geom: Any, what: str = "site") -> Any:
    """Check a lon/lat site geometry: a valid Point, Polygon or MultiPolygon, not empty, with lon/lat
    in range. Returns it. Raises InvalidInput naming ``what`` and the problem (a self-intersection
    with its location)."""
    if geom is None or not isinstance(geom, shapely.Geometry) or geom.is_empty:
        raise InvalidInput(f"{what}: give a Point, Polygon or MultiPolygon (lon/lat); got an empty or missing "
                           "geometry")
    if geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
        raise InvalidInput(f"{what}: a {geom.geom_type} cannot be a site; give a Point, Polygon or MultiPolygon")
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90) or not all(map(math.isfinite, geom.bounds)):
        raise InvalidInput(f"{what}: coordinates {geom.bounds} are not lon/lat degrees (lon −180…180, lat −90…90)")
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        raise InvalidInput(f"{what}: the polygon is not valid ({why}); draw the outline without crossing itself")
    return geom


# =============================================================================================
# Pair rules (R3, R4): one function for both directions
# =============================================================================================


def _fmt_m(x: float) -> str:
    return f"{x:,.0f} m"


def _fmt_ir(x: float) -> str:
    return f"{x:.2e}/a"


def pair_reasons(h: HazardSide, t: TargetSide, settings: SitingSettings = DEFAULT_SETTINGS
                 ) -> tuple[list[Reason], dict[str, str]]:
    """R3 (required distance) and R4 (IR criterion) on one hazard–target pair.

    The same evaluation whichever side is proposed: distances are measured in the pair's local UTM
    zone from each unit footprint to the target's footprint (shapely, metres); the required
    distance is ``h.required_m`` for the target's class; IR is the maximum of ``h.ir_grid`` over
    the target's footprint, against :func:`individual_risk_criterion_per_year` in the column
    :meth:`SitingSettings.column` gives. Figures of an existing enterprise are restricted.

    Returns the reasons and, per rule, a status note (``passed``/``not_evaluated`` …).
    """
    reasons: list[Reason] = []
    status: dict[str, str] = {}
    cls = t.target_class
    hide = not h.proposed  # an existing enterprise's figures come from its stored inventory
    crs = local_crs(t.geometry)
    units = h.units
    # -- R3 -------------------------------------------------------------------------------------
    if len(units) and cls in h.required_m.columns:
        ug = _project(units.geometry.values, crs)
        tg = _project([t.geometry], crs)[0]
        dist = shapely.distance(ug, tg)
        req = pd.to_numeric(h.required_m.reindex(units.index)[cls], errors="coerce").to_numpy(dtype=float)
        short = np.where(np.isfinite(req), req - dist, -np.inf)
        known = np.isfinite(req)
        if not known.any():
            status["R3-distance"] = f"not_evaluated: no required distance known for {h.id}'s units"
        elif (short > 0).any():
            k = int(np.argmax(short))
            uid = str(units.index[k])
            n_bad = int((short > 0).sum())
            basis = ""
            if "basis" in h.required_m.columns:
                b = h.required_m.reindex(units.index)["basis"].iloc[k]
                basis = "" if b is None or (isinstance(b, float) and math.isnan(b)) else str(b)
            req_txt = _fmt_m(req[k])
            req_txt = restricted(req_txt, "（见分析员版 / analyst view）") if hide else req_txt
            line = shapely.shortest_line(units.geometry.values[k], t.geometry)
            text = (f"{t.name}（{TARGET_CLASSES[cls][0]}）距 {h.name} 单元 {uid} {_fmt_m(dist[k])}，"
                    f"小于要求的外部安全防护距离 {req_txt} / {t.name} ({TARGET_CLASSES[cls][1]}) is "
                    f"{_fmt_m(dist[k])} from unit {uid} of {h.name}, inside its required external safety "
                    f"distance {req_txt}" + (f" ({n_bad} units of the enterprise)" if n_bad > 1 else ""))
            reasons.append(Reason("R3-distance", settings.kind("R3-distance"), text, {
                "enterprise_id": h.id, "unit_id": uid, "target_id": t.id, "target_class": cls,
                "distance_m": round(float(dist[k]), 1), "required_distance_m": round(float(req[k]), 1),
                "shortfall_m": round(float(short[k]), 1), "units_inside": n_bad, "basis": basis or None,
            }, ("required_distance_m", "shortfall_m", "basis") if hide else (), line))
        else:
            k = int(np.argmax(np.where(known, short, -np.inf)))
            status["R3-distance"] = (f"passed: nearest margin {-short[k]:,.0f} m (unit {units.index[k]})"
                                     if not hide else "passed")
    else:
        status["R3-distance"] = f"not_evaluated: {h.id} has no units or required distances"
    # -- R4 -------------------------------------------------------------------------------------
    column = settings.column("proposed" if h.proposed else h.status)
    criterion = individual_risk_criterion_per_year(cls, column)
    if h.ir_grid is None:
        status["R4-ir"] = ("not_evaluated: the project has no QRA (its GB/T 37243 method is not QRA)" if h.proposed
                           else f"not_evaluated: no current IR grid for {h.id} (run `geo-risk risk`)")
    else:
        from geo_risk.analysis.ir_field import max_over_geometries

        ir = float(max_over_geometries(h.ir_grid, [t.geometry])[0])
        if ir > criterion:
            ir_txt = restricted(_fmt_ir(ir), "") if hide else _fmt_ir(ir)
            col_zh = "新建" if column == "new" else "在役"
            text = (f"{t.name} 处 {h.name} 的个人风险 {ir_txt} 超过 GB 36894 {col_zh}基准 {_fmt_ir(criterion)}"
                    f"（{TARGET_CLASSES[cls][0]}） / individual risk of {h.name} at {t.name} {ir_txt} above the "
                    f"GB 36894 {column} criterion {_fmt_ir(criterion)} ({TARGET_CLASSES[cls][1]})")
            reasons.append(Reason("R4-ir", settings.kind("R4-ir"), text, {
                "enterprise_id": h.id, "target_id": t.id, "target_class": cls, "ir_per_year": ir,
                "criterion_per_year": criterion, "column": column, "ir_ratio": ir / criterion,
                "grid_cell_m": float(h.ir_grid.cell_m),
            }, ("ir_per_year", "ir_ratio") if hide else (), t.geometry))
        else:
            status["R4-ir"] = (f"passed: IR {_fmt_ir(ir)} ≤ {_fmt_ir(criterion)}" if not hide
                               else f"passed: IR ≤ {_fmt_ir(criterion)} ({column})")
    return reasons, status


# =============================================================================================
# R5: societal risk
# =============================================================================================


def _f_at(n: np.ndarray, f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """F(≥ x) of a stored curve (points n ascending, f non-increasing); 0 beyond the largest n."""
    if not len(n):  # a curve with no event killing anyone: F = 0 everywhere
        return np.zeros(np.shape(x))
    idx = np.searchsorted(n, x, side="left")
    return np.where(idx < len(n), f[np.minimum(idx, len(n) - 1)], 0.0)


def fn_bound_with_added_people(n: np.ndarray, f: np.ndarray, people: float, ir_max: float,
                               fractions: Sequence[float] = DEFAULT_SETTINGS.fn_split_fractions
                               ) -> tuple[np.ndarray, np.ndarray]:
    """An upper bound of an enterprise's F-N curve once ``people`` are added where its IR is at most
    ``ir_max`` (per year) — without rerunning the QRA.

    Each event i (frequency f_i, N_i deaths) gains ΔN_i ≥ 0 deaths among the added people. By
    linearity Σ f_i ΔN_i = Σ_people IR_soc(person) ≤ people · ir_max, taking the societal
    lethality of a person (present part of the time, maybe indoors) as no more than the IR
    lethality (always present, outdoors). Markov's inequality then bounds the frequency of events
    adding ≥ m deaths by people · ir_max / m. An event reaching N' = N_i + ΔN_i ≥ N has either
    N_i ≥ aN or ΔN_i ≥ (1 − a)N, so for every split a in (0, 1):

        F'(N) ≤ F(aN) + people · ir_max / ((1 − a) N),

    and also F'(N) ≤ F(N − people) for N > people (ΔN_i ≤ people), and F'(N) = 0 beyond
    max N + people. The bound is the smallest of these at each integer N.

    Returns (N, F bound) at N = 1 … ⌈max N + people⌉ (capped at 10⁶ points).
    """
    n = np.asarray(n, dtype=float)
    f = np.asarray(f, dtype=float)
    keep = n > 0
    n, f = n[keep], f[keep]
    order = np.argsort(n)
    n, f = n[order], f[order]
    top = (n.max() if len(n) else 0.0) + float(people)
    grid = np.arange(1, min(int(math.ceil(top)), 1_000_000) + 1, dtype=float)
    if not len(grid):
        return grid, grid.copy()
    added = float(people) * max(float(ir_max), 0.0)
    bound = np.full(grid.shape, np.inf)
    for a in fractions:
        bound = np.minimum(bound, _f_at(n, f, a * grid) + added / ((1.0 - a) * grid))
    shifted = grid > people
    if shifted.any():
        bound[shifted] = np.minimum(bound[shifted], _f_at(n, f, grid[shifted] - people))
    return grid, bound


#: What the F-N bound does not cover (said on every R5 of direction 2): the Purple Book's indoor lethality
#: 0.025 between 0.1 and 0.3 bar (collapsing buildings), the one effect where a person indoors may die
#: where IR (outdoors) counts no death.
FN_BOUND_LIMIT = ("bound covers toxic, fire and flash-fire events and explosions ≥ 0.3 bar; not the Purple Book "
                  "indoor lethality 0.025 at 0.1–0.3 bar, which IR does not count")


def societal_reason_added_people(h: HazardSide, t: TargetSide, settings: SitingSettings = DEFAULT_SETTINGS
                                 ) -> tuple[Reason | None, str]:
    """R5 in direction 2: does the added population move ``h``'s F-N curve into the unacceptable
    region? Uses :func:`fn_bound_with_added_people` with the IR of ``h`` over the site. Fires when
    the bound enters the region (said to be a bound: an exact recompute may clear it) or when the
    stored curve is already there (the development adds people to it)."""
    if h.fn_n is None or h.fn_f is None or h.ir_grid is None:
        return None, f"not_evaluated: no current QRA (F-N curve and IR grid) for {h.id}"
    from geo_risk.analysis.ir_field import max_over_geometries

    people = float(t.population or 0.0)
    ir = float(max_over_geometries(h.ir_grid, [t.geometry])[0])
    if ir <= 0 or people <= 0:
        return None, "passed: the site is outside the enterprise's IR field" if ir <= 0 else "passed: no people"
    before = classify_fn(h.fn_n, h.fn_f) if len(h.fn_n) else "acceptable"
    n, fb = fn_bound_with_added_people(h.fn_n, h.fn_f, people, ir, settings.fn_split_fractions)
    upper = SOCIETAL_RISK_CRITERION.boundary("upper", n)
    over = on_or_above(fb, upper)
    hide = not h.proposed
    if before == "unacceptable":
        text = (f"{h.name} 的社会风险已在不可接受区，{t.name} 再增加 {people:,.0f} 人 / {h.name}'s societal risk is "
                f"already in the unacceptable region; {t.name} adds {people:,.0f} people to it")
        return Reason("R5-fn", settings.kind("R5-fn"), text, {
            "enterprise_id": h.id, "target_id": t.id, "people_added": people, "region_before": before,
            "method": "stored curve", "ir_at_site_per_year": ir}, ("ir_at_site_per_year",) if hide else ()), ""
    if not over.any():
        return None, (f"passed: upper bound of {h.id}'s curve with {people:,.0f} more people stays out of the "
                      f"unacceptable region ({FN_BOUND_LIMIT})")
    k = int(np.flatnonzero(over)[0])
    pt = restricted(f"N = {n[k]:,.0f}, F ≤ {fb[k]:.2e}/a ≥ {upper[k]:.2e}/a", "") if hide else \
        f"N = {n[k]:,.0f}, F ≤ {fb[k]:.2e}/a ≥ {upper[k]:.2e}/a"
    text = (f"增加 {people:,.0f} 人后 {h.name} 的 F-N 曲线上界进入不可接受区 {pt}（上界，精确重算可能解除） / with "
            f"{people:,.0f} more people the upper bound of {h.name}'s F-N curve enters the unacceptable region "
            f"{pt} (a bound: an exact recompute may clear it)")
    return Reason("R5-fn", settings.kind("R5-fn"), text, {
        "enterprise_id": h.id, "target_id": t.id, "people_added": people, "region_before": before,
        "method": "upper bound (Markov split, no QRA rerun)", "bound_limit": FN_BOUND_LIMIT,
        "first_n": float(n[k]), "f_bound_per_year": float(fb[k]),
        "upper_line_per_year": float(upper[k]), "ir_at_site_per_year": ir,
    }, ("first_n", "f_bound_per_year", "ir_at_site_per_year") if hide else ()), ""


def societal_reason_own_curve(h: HazardSide, settings: SitingSettings = DEFAULT_SETTINGS
                              ) -> tuple[Reason | None, str]:
    """R5 in direction 1: the proposed project's own F-N curve (from its QRA with the existing
    population) in the unacceptable region."""
    if h.fn_n is None or h.fn_f is None:
        return None, "not_evaluated: the project has no QRA (GB/T 37243 method is not QRA)"
    if not len(h.fn_n):
        return None, "passed: the QRA found no event killing anyone"
    region = classify_fn(h.fn_n, h.fn_f)
    if region != "unacceptable":
        return None, f"passed: F-N region {region}"
    upper = SOCIETAL_RISK_CRITERION.boundary("upper", np.maximum(h.fn_n, 1.0))
    over = np.flatnonzero(on_or_above(h.fn_f, upper) & (h.fn_n >= 1))
    k = int(over[0]) if len(over) else 0
    text = (f"{h.name} 的 F-N 曲线进入不可接受区（N = {h.fn_n[k]:,.1f}，F = {h.fn_f[k]:.2e}/a） / {h.name}'s F-N curve "
            f"enters the unacceptable region (N = {h.fn_n[k]:,.1f}, F = {h.fn_f[k]:.2e}/a)")
    return Reason("R5-fn", settings.kind("R5-fn"), text, {
        "enterprise_id": h.id, "region": region, "n": float(h.fn_n[k]), "f_per_year": float(h.fn_f[k]),
        "upper_line_per_year": float(upper[k]), "method": "the project's QRA"}), ""


# =============================================================================================
# R7 control line, R2 park, R1 GB 18218, R6 domino
# =============================================================================================

#: Classes whose 新建 IR criterion is the control line's basis (3×10⁻⁷/a): R7 is a veto for them.
def _line_classes() -> frozenset[str]:
    return frozenset(c for c in TARGET_CLASSES if individual_risk_criterion_per_year(c, "new") <= 3e-7)


def control_line_reasons(t: TargetSide, parks: Iterable[ParkSide], settings: SitingSettings = DEFAULT_SETTINGS
                         ) -> tuple[list[Reason], str]:
    """R7: the development's footprint inside a park's safety control line (lon/lat geometries).

    Veto (per the rule's kind) for targets of the classes whose 新建 criterion is 3×10⁻⁷/a; an
    advisory for the other classes. Evidence: the overlap area (m², in the local UTM zone), the
    share of the site inside, and the distance from the site to the park boundary.
    """
    reasons: list[Reason] = []
    crs = local_crs(t.geometry)
    site = _project([t.geometry], crs)[0]
    sensitive = t.target_class in _line_classes()
    seen = 0
    for p in parks:
        if p.control_line is None:
            continue
        seen += 1
        line, boundary = _project([p.control_line, p.boundary], crs)
        if not site.intersects(line):
            continue
        inter = site.intersection(line)
        area = float(inter.area)
        share = area / site.area if site.area > 0 else 1.0
        dist = float(site.distance(boundary))
        kind = settings.kind("R7-control-line") if sensitive else "advisory"
        official = "" if p.official else "（计算线，非官方 / computed, not official）"
        text = (f"{t.name}（{TARGET_CLASSES[t.target_class][0]}）位于 {p.name} 周边土地规划安全控制线内{official}，"
                f"距园区边界 {_fmt_m(dist)} / {t.name} ({TARGET_CLASSES[t.target_class][1]}) lies inside the safety "
                f"control line of {p.name}{' (computed, not official)' if not p.official else ''}, {_fmt_m(dist)} "
                "from the park boundary")
        reasons.append(Reason("R7-control-line", kind, text, {
            "park_id": p.id, "target_id": t.id, "target_class": t.target_class, "official_line": p.official,
            "overlap_m2": round(area, 1), "share_inside": round(share, 4), "distance_to_park_m": round(dist, 1),
            "class_is_line_basis": sensitive}, (), _to_lonlat(inter, crs)))
    if reasons:
        return reasons, ""
    return [], ("passed" if seen else "not_evaluated: no park has a control line") + \
        f" ({seen} park control line(s) checked)"


def _to_lonlat(geom: Any, crs: str) -> Any:
    import pyproj

    t = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def park_reasons(h: HazardSide, parks: Sequence[ParkSide], settings: SitingSettings = DEFAULT_SETTINGS
                 ) -> tuple[list[Reason], str]:
    """R2: production units of the project outside every park boundary (lon/lat)."""
    prod = h.units[h.units["unit_type"] == "production"]
    if not len(prod):
        return [], "not_applicable: no production unit (storage only)"
    if not parks:
        inside = np.zeros(len(prod), dtype=bool)
    else:
        boundaries = shapely.union_all([p.boundary for p in parks])
        inside = shapely.covered_by(prod.geometry.values, boundaries)
    if inside.all():
        return [], "passed: every production unit lies inside a park"
    out = prod[~inside]
    crs = local_crs(out.geometry.union_all())
    geoms = _project(out.geometry.values, crs)
    nearest, dist = None, math.inf
    for p in parks:
        d = float(shapely.distance(geoms, _project([p.boundary], crs)[0]).max())
        if d < dist:
            nearest, dist = p, d
    where = (f"，距最近园区 {nearest.name} {_fmt_m(dist)}" if nearest else "")
    where_en = f", {_fmt_m(dist)} from the nearest park {nearest.name}" if nearest else ""
    text = (f"{h.name} 的 {len(out)} 个生产单元位于化工园区外{where} / {len(out)} production unit(s) of {h.name} lie "
            f"outside every chemical park{where_en}")
    return [Reason("R2-park", settings.kind("R2-park"), text, {
        "enterprise_id": h.id, "units_outside": [str(u) for u in out.index],
        "nearest_park_id": nearest.id if nearest else None,
        "distance_to_nearest_park_m": round(dist, 1) if nearest else None})], ""


def major_hazard_reasons(h: HazardSide, assessments: Mapping[str, Any], settings: SitingSettings = DEFAULT_SETTINGS
                         ) -> tuple[list[Reason], str]:
    """R1: the planned inventory's GB 18218 identification (S ≥ 1) and grade, per unit.

    ``assessments``: unit id → :class:`geo_risk.standards.gb18218.UnitAssessment`. The figures are
    the caller's own planned inventory's (not restricted for the caller)."""
    major = {u: a for u, a in assessments.items() if a.is_major_hazard}
    if not major:
        s = max((float(a.s) for a in assessments.values()), default=0.0)
        return [], f"passed: no unit reaches S = Σq/Q ≥ 1 (largest S = {s:.3g})"
    worst = min(major.items(), key=lambda kv: kv[1].grade or 9)
    uid, a = worst
    zh, en = a.grade_name or ("", "")
    text = (f"{h.name} 的 {len(major)} 个单元构成重大危险源，最高 {zh}（单元 {uid}：S = {float(a.s):.3g}，α = "
            f"{float(a.alpha):g}，R = {float(a.r):.3g}） / {len(major)} unit(s) of {h.name} are major hazard "
            f"installations, highest {en} (unit {uid}: S = {float(a.s):.3g}, α = {float(a.alpha):g}, "
            f"R = {float(a.r):.3g})")
    return [Reason("R1-gb18218", settings.kind("R1-gb18218"), text, {
        "enterprise_id": h.id, "major_units": sorted(major), "unit_id": uid, "s": float(a.s),
        "alpha": float(a.alpha), "r": float(a.r), "grade": a.grade,
        "per_unit": {u: {"s": float(x.s), "r": None if x.r is None else float(x.r), "grade": x.grade}
                     for u, x in assessments.items()}})], ""


def domino_reasons(h: HazardSide, links: pd.DataFrame, clusters: pd.DataFrame | None,
                   settings: SitingSettings = DEFAULT_SETTINGS) -> tuple[list[Reason], str]:
    """R6: domino links (``kind == 'domino'``, :data:`geo_risk.analysis.clusters.LINK_COLUMNS`) between
    the project and other enterprises, from :func:`geo_risk.analysis.clusters.find_clusters` run on
    the project and its neighbours. One reason per neighbour; the physical values of a link whose
    primary is the neighbour come from its stored inventory and are restricted."""
    if links is None or not len(links):
        return [], "passed: no domino link to another enterprise"
    mine = links[(links["kind"] == "domino") & ((links["enterprise_a"] == h.id) | (links["enterprise_b"] == h.id))]
    if not len(mine):
        return [], "passed: no domino link to another enterprise"
    reasons = []
    size = None
    if clusters is not None and len(clusters):
        for _, c in clusters.iterrows():
            if h.id in list(c["members"]):
                size = int(c["n_members"])
    for _, link in mine.iterrows():
        other = link["enterprise_b"] if link["enterprise_a"] == h.id else link["enterprise_a"]
        hide = str(link["primary_unit"]) not in set(map(str, h.units.index))
        value = f"{link['value']:.3g} {link['value_unit']} ≥ {link['threshold']:.3g}"
        value = restricted(value, "") if hide else value
        text = (f"{h.name} 与 {other} 形成多米诺联系（{link['vector']}，{value}，距离 {_fmt_m(link['distance_m'])}）"
                f" / a domino link between {h.name} and {other} ({link['vector']}, {value}, "
                f"{_fmt_m(link['distance_m'])} apart)" + (f"; cluster of {size} enterprises" if size else ""))
        reasons.append(Reason("R6-domino", settings.kind("R6-domino"), text, {
            "enterprise_id": h.id, "other_enterprise_id": str(other), "vector": link["vector"],
            "primary_unit": str(link["primary_unit"]), "target_unit": str(link["target_unit"]),
            "value": float(link["value"]), "value_unit": link["value_unit"], "threshold": float(link["threshold"]),
            "distance_m": float(link["distance_m"]), "cluster_size": size,
        }, ("value", "threshold") if hide else (), link.geometry if hasattr(link, "geometry") else None))
    return reasons, ""


# =============================================================================================
# Verdict and the two directions
# =============================================================================================


def verdict(reasons: list[Reason], checks: list[Check], direction: str, settings: SitingSettings,
            notes: list[str] | None = None) -> Verdict:
    """Vetoes first (不予通过 with the 一票否决 statement), then advisories (有条件通过), else 通过."""
    vetoes = [r for r in reasons if r.kind == "veto"]
    advisories = [r for r in reasons if r.kind != "veto"]
    code = "advise_against" if vetoes else "conditional" if advisories else "no_objection"
    order = {r.id: i for i, r in enumerate(RULES)}
    ordered = sorted(vetoes, key=lambda r: order[r.rule]) + sorted(advisories, key=lambda r: order[r.rule])
    out_notes = list(notes or [])
    if vetoes:
        out_notes.insert(0, f"{VETO_TEXT}: " + "; ".join(sorted({RULEBOOK[r.rule].cites for r in vetoes})))
    return Verdict(code, ordered, checks, direction, settings.describe(), out_notes)


def _merge_checks(statuses: Mapping[str, list[str]], fired: set[str], rules: Iterable[str]) -> list[Check]:
    checks = []
    for rid in rules:
        if rid in fired:
            checks.append(Check(rid, "fired"))
            continue
        notes = statuses.get(rid) or ["not_evaluated"]
        head = notes[0].split(":", 1)[0]
        st = head if head in ("passed", "not_applicable", "not_evaluated") else "passed"
        if any(n.startswith("not_evaluated") for n in notes):
            st = "not_evaluated" if all(n.startswith("not_") for n in notes) else "passed"
        checks.append(Check(rid, st, "; ".join(dict.fromkeys(notes))[:2000]))
    return checks


def unassessed_reasons(target: TargetSide, nearby: pd.DataFrame, settings: SitingSettings = DEFAULT_SETTINGS
                       ) -> tuple[list[Reason], str]:
    """R8: units within ``settings.unassessed_radius_m`` of the site with no current GB/T 37243 result.

    ``nearby``: one row per such unit, columns ``unit_id``, ``enterprise_id``, ``enterprise_name`` and
    ``geometry`` (lon/lat); distances are measured here in the site's local UTM zone (m). One reason
    names the count and the nearest; its geometry is the line to the nearest unit.
    """
    radius = settings.unassessed_radius_m
    if nearby is None or not len(nearby):
        return [], f"passed: every hazard unit within {_fmt_m(radius)} has a current GB/T 37243 distance"
    crs = local_crs(target.geometry)
    tg = _project([target.geometry], crs)[0]
    dist = shapely.distance(_project(nearby.geometry.values, crs), tg)
    inside = dist <= radius
    if not inside.any():
        return [], f"passed: every hazard unit within {_fmt_m(radius)} has a current GB/T 37243 distance"
    k = int(np.argmin(np.where(inside, dist, np.inf)))
    row = nearby.iloc[k]
    n = int(inside.sum())
    ents = sorted({str(e) for e in nearby["enterprise_id"].to_numpy()[inside]})
    text = (f"{target.name} {_fmt_m(radius)} 内有 {n} 个危险化学品单元尚无外部安全防护距离计算结果"
            f"（最近：{row['enterprise_name']} 单元 {row['unit_id']}，{_fmt_m(dist[k])}），"
            f"不能据此认定选址无异议；请先运行 geo-risk risk / {n} hazard "
            f"unit(s) within {_fmt_m(radius)} of {target.name} have no computed external safety distance (nearest: "
            f"unit {row['unit_id']} of {row['enterprise_name']}, {_fmt_m(dist[k])}): the site cannot be cleared "
            "against them; run geo-risk risk first")
    line = shapely.shortest_line(row.geometry, target.geometry)
    return [Reason("R8-unassessed", settings.kind("R8-unassessed"), text, {
        "target_id": target.id, "units": n, "enterprises": ents, "nearest_unit_id": str(row["unit_id"]),
        "nearest_enterprise_id": str(row["enterprise_id"]), "nearest_distance_m": round(float(dist[k]), 1),
        "radius_m": radius,
    }, (), line)], ""


def check_development(target: TargetSide, hazards: Sequence[HazardSide], parks: Sequence[ParkSide],
                      settings: SitingSettings = DEFAULT_SETTINGS, notes: list[str] | None = None,
                      unassessed: pd.DataFrame | None = None) -> Verdict:
    """Direction 2: a proposed sensitive development against existing hazards and parks.

    ``hazards``: the enterprises that can reach the site (the orchestrator picks them by their
    required distances and IR grids); R3/R4 per pair, R5 by the added-people bound, R7 against
    every park's control line, R8 against ``unassessed`` (units without a current GB/T 37243 result; see
    :func:`unassessed_reasons`)."""
    reasons: list[Reason] = []
    statuses: dict[str, list[str]] = {}
    rs, note = unassessed_reasons(target, unassessed if unassessed is not None else pd.DataFrame(), settings)
    reasons += rs
    if note:
        statuses["R8-unassessed"] = [note]
    for h in hazards:
        rs, st = pair_reasons(h, target, settings)
        reasons += rs
        for k, v in st.items():
            statuses.setdefault(k, []).append(f"{v} [{h.id}]" if ":" in v else v)
        r5, note = societal_reason_added_people(h, target, settings)
        if r5 is not None:
            reasons.append(r5)
        elif note:
            statuses.setdefault("R5-fn", []).append(f"{note} [{h.id}]")
    if not hazards:
        for rid in ("R3-distance", "R4-ir", "R5-fn"):
            statuses[rid] = ["passed: no hazardous enterprise's required distance or IR field reaches the site"]
    rs, note = control_line_reasons(target, parks, settings)
    reasons += rs
    statuses.setdefault("R7-control-line", []).append(note)
    fired = {r.rule for r in reasons}
    rules = [r.id for r in RULES if r.applies in ("both", "development")]
    return verdict(reasons, _merge_checks(statuses, fired, rules), "development", settings, notes)


def check_project(project: HazardSide, targets: Sequence[TargetSide], parks: Sequence[ParkSide],
                  assessments: Mapping[str, Any], links: pd.DataFrame | None = None,
                  clusters: pd.DataFrame | None = None, settings: SitingSettings = DEFAULT_SETTINGS,
                  notes: list[str] | None = None) -> Verdict:
    """Direction 1: a proposed hazardous project against existing targets, parks and neighbours.

    ``project.proposed`` must be True (its figures are the caller's). R1 from ``assessments``
    (GB 18218 per unit), R2 from the parks, R3/R4 per (project, target) pair — the same function
    as direction 2 — R5 from the project's own F-N curve, R6 from the cluster links."""
    if not project.proposed:
        raise InvalidInput("check_project: the project side must be marked proposed")
    reasons: list[Reason] = []
    statuses: dict[str, list[str]] = {}
    rs, note = major_hazard_reasons(project, assessments, settings)
    reasons += rs
    statuses["R1-gb18218"] = [note]
    rs, note = park_reasons(project, parks, settings)
    reasons += rs
    statuses["R2-park"] = [note]
    for t in targets:
        rs, st = pair_reasons(project, t, settings)
        reasons += rs
        for k, v in st.items():
            statuses.setdefault(k, []).append(v.split(":", 1)[0] if k == "R3-distance" else v.split(":", 1)[0])
    if not targets:
        statuses["R3-distance"] = ["passed: no protection target within reach"]
        statuses["R4-ir"] = ["passed: no protection target within reach"]
    r5, note = societal_reason_own_curve(project, settings)
    if r5 is not None:
        reasons.append(r5)
    statuses["R5-fn"] = [note]
    rs, note = domino_reasons(project, links if links is not None else pd.DataFrame(), clusters, settings)
    reasons += rs
    statuses["R6-domino"] = [note]
    fired = {r.rule for r in reasons}
    rules = [r.id for r in RULES if r.applies in ("both", "project")]
    return verdict(reasons, _merge_checks(statuses, fired, rules), "project", settings, notes)
