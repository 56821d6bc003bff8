"""GB 18218-2018 《危险化学品重大危险源辨识》: identification and grading of major hazard units.

Pure functions, no database. The clauses implemented (summarised in ``docs/standards/gb18218-2018.md``):

- **Q** (§3): Table 1 quantity for a listed substance; otherwise the lowest Table 2 quantity among
  the substance's hazard categories.
- **Identification** (§4, clause 4.2): ``S = Σ qᵢ/Qᵢ`` over the unit's substances, q being the
  design maximum inventory (设计最大量) in tonnes; the unit is a major hazard when ``S ≥ 1``.
  Production and storage units are assessed separately: this module assesses one unit at a time.
- **Grading** (§5, clause 4.3): ``R = α · Σ βᵢ·qᵢ/Qᵢ``; β from Table 3 (named toxic gases), else
  Table 4 by hazard category; α from Table 5 by the residents (常住人口) within 500 m outside the
  plant boundary; grade from Table 6: R ≥ 100 一级, 50 ≤ R < 100 二级, 10 ≤ R < 50 三级, R < 10 四级.

Comparisons with the limits (S = 1; R = 10, 50, 100) are made in exact decimal arithmetic on the
decimal values of the inputs, so a value that is exactly on a limit by hand is on it here too.

Project choices, each kept in this module's constants (see README, "GB 18218: what is not confirmed"):

- :data:`BETA_SEVERAL_CATEGORIES` — a substance in several categories takes the **largest** β
  (the standard is silent; §10.2 of the domain notes). For substances outside Table 1 Q still
  takes the lowest Q, as the standard says.
- Flammable liquids (W5.3/W5.4 at ambient) move to **W5.1** when handled above their boiling point
  and to **W5.2** under a special process (危险化工工艺) or above :data:`W52_PRESSURE_LIMIT_MPA`
  (§7; the 1.6 MPa figure is from one source only — UNCONFIRMED). For a Table 1 substance this
  changes β only (W5.1 gives at least 1.5); for a Table 2 substance it changes Q and β.
- :func:`alpha_for_population` rounds an apportioned, fractional resident count to the nearest
  whole person (half up) before applying Table 5's integer bands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from geo_risk.chemicals import Resolved, category, resolve
from geo_risk.errors import InvalidInput, UnknownSubstance

__all__ = [
    "ALPHA_BANDS",
    "GRADE_LIMITS",
    "W52_PRESSURE_LIMIT_MPA",
    "BETA_SEVERAL_CATEGORIES",
    "GRADE_NAMES",
    "OperatingConditions",
    "InventoryItem",
    "SubstanceTerm",
    "UnitAssessment",
    "TermCache",
    "alpha_for_population",
    "grade_for_r",
    "assess_unit",
]

#: Table 5 (暴露人员校正系数): (least number of residents, α), first match wins. "100人以上" read as ≥ 100.
ALPHA_BANDS: tuple[tuple[int, Decimal], ...] = (
    (100, Decimal("2.0")),
    (50, Decimal("1.5")),
    (30, Decimal("1.2")),
    (1, Decimal("1.0")),
    (0, Decimal("0.5")),
)
#: Table 6: (least R, grade); R below the last limit is grade 4. Lower limits inclusive.
GRADE_LIMITS: tuple[tuple[Decimal, int], ...] = ((Decimal(100), 1), (Decimal(50), 2), (Decimal(10), 3))
#: Table 2 W5.2: "operating pressure > 1.6 MPa" — UNCONFIRMED (one source), see module docstring.
W52_PRESSURE_LIMIT_MPA = 1.6
#: β of a substance in several hazard categories: "max" (project choice; the standard is silent).
BETA_SEVERAL_CATEGORIES = "max"
#: Grade → (中文, English).
GRADE_NAMES: dict[int, tuple[str, str]] = {
    1: ("一级重大危险源", "Grade 1 (highest)"),
    2: ("二级重大危险源", "Grade 2"),
    3: ("三级重大危险源", "Grade 3"),
    4: ("四级重大危险源", "Grade 4 (lowest)"),
}
_FLAMMABLE_LIQUID_AMBIENT = {"W5.3", "W5.4"}


def _dec(x: float | int | Decimal) -> Decimal:
    """The decimal value of a number as written (0.1 → Decimal('0.1'), not its binary expansion)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise InvalidInput(f"expected a number, got {x!r}")
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(int(x))


def alpha_for_population(residents: float) -> float:
    """α of Table 5 for the residents (常住人口, people) within 500 m outside the plant boundary.

    ``residents`` may be fractional (apportioned by area); it is rounded to the nearest whole
    person, half up, before the integer bands are applied: 29.5 → 30 → 1.2.

    Examples
    --------
    >>> [alpha_for_population(n) for n in (0, 1, 29, 30, 49, 50, 99, 100)]
    [0.5, 1.0, 1.0, 1.2, 1.2, 1.5, 1.5, 2.0]
    """
    return float(_alpha(residents))


def _alpha(residents: float) -> Decimal:
    if residents is None or residents != residents or residents < 0:  # residents != residents: NaN
        raise InvalidInput(f"exposed population must be a number of people ≥ 0, got {residents!r}")
    n = int(_dec(residents).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return next(a for least, a in ALPHA_BANDS if n >= least)


def grade_for_r(r: float | Decimal) -> int:
    """Grade (1 highest … 4) of Table 6 for the grading index R (dimensionless).

    Examples
    --------
    >>> [grade_for_r(r) for r in (100, 99.99, 50, 49.99, 10, 9.99)]
    [1, 2, 2, 3, 3, 4]
    """
    value = _dec(r)
    return next((g for least, g in GRADE_LIMITS if value >= least), 4)


@dataclass(frozen=True)
class OperatingConditions:
    """How a unit runs, for the flammable-liquid categories of Table 2 (W5.1/W5.2).

    ``temperature_c`` in °C, ``pressure_mpa`` in MPa; ``special_process`` is a 危险化工工艺.
    """

    temperature_c: float | None = None
    pressure_mpa: float | None = None
    special_process: bool = False


@dataclass(frozen=True)
class InventoryItem:
    """One substance in a unit: ``quantity_t`` is the design maximum inventory in tonnes.

    Give ``chemical`` (a name, alias or CAS) and/or ``cas``/``table1_seq``; for a substance not
    in Table 1 also ``hazard_categories`` (Table 2 codes, e.g. ``"W5.3;J2"``). ``temperature_c``
    and ``pressure_mpa`` (the substance's own conditions) override the unit's.
    """

    chemical: str | None
    quantity_t: float
    cas: str | None = None
    table1_seq: int | None = None
    hazard_categories: str | None = None
    temperature_c: float | None = None
    pressure_mpa: float | None = None
    row: str | None = None  # where the row came from, for messages ("inventory row 7", an id …)


@dataclass(frozen=True)
class SubstanceTerm:
    """One substance's contribution: q/Q to S and β·q/Q to the sum in R."""

    name_zh: str
    name_en: str
    table1_seq: int | None
    cas: str | None
    quantity_t: float
    critical_quantity_t: float
    beta: float
    codes: tuple[str, ...]  # Table 2 codes used (after operating conditions)
    q_over_q: float  # qᵢ/Qᵢ
    beta_q_over_q: float  # βᵢ·qᵢ/Qᵢ
    share_of_s: float  # (qᵢ/Qᵢ) / S, 0–1
    matched_by: str
    basis: str  # why this Q and β, in words


@dataclass(frozen=True)
class UnitAssessment:
    """GB 18218 result for one unit. ``r`` and ``grade`` are None when the unit is not a major hazard."""

    s: float
    is_major_hazard: bool
    alpha: float
    exposed_population: float
    r: float | None
    grade: int | None
    terms: tuple[SubstanceTerm, ...] = field(default_factory=tuple)

    @property
    def grade_name(self) -> tuple[str, str] | None:
        return GRADE_NAMES[self.grade] if self.grade else None

    @property
    def main_substances(self) -> tuple[str, ...]:
        """Chinese names of the substances in order of their share of S (largest first)."""
        return tuple(t.name_zh for t in sorted(self.terms, key=lambda t: -t.share_of_s))


def _as_item(entry: InventoryItem | Mapping[str, Any] | tuple, index: int) -> InventoryItem:
    if isinstance(entry, InventoryItem):
        return entry
    if isinstance(entry, Mapping):
        known = {k: entry.get(k) for k in InventoryItem.__dataclass_fields__ if k in entry}
        if "quantity_t" not in known and "max_quantity_t" in entry:
            known["quantity_t"] = entry["max_quantity_t"]
        known.setdefault("row", f"item {index + 1}")
        if "quantity_t" not in known:
            raise InvalidInput(f"inventory item {index + 1} has no quantity_t (tonnes)")
        return InventoryItem(**{"chemical": None, **known})
    if isinstance(entry, tuple) and len(entry) == 2:
        what, q = entry
        text = str(what)
        looks_like_codes = all(c.strip().upper()[:1] in "JW" and any(ch.isdigit() for ch in c)
                               for c in text.replace("；", ";").replace(",", ";").split(";") if c.strip())
        if looks_like_codes:
            return InventoryItem(None, q, hazard_categories=text, row=f"item {index + 1}")
        return InventoryItem(text, q, row=f"item {index + 1}")
    raise InvalidInput(
        f"inventory item {index + 1} is {entry!r}: give (chemical or categories, quantity in tonnes), "
        f"a mapping with chemical/quantity_t, or an InventoryItem"
    )


def _condition_codes(codes: tuple[str, ...], boiling_point_c: float | None, item: InventoryItem,
                     conditions: OperatingConditions) -> tuple[tuple[str, ...], str]:
    """Move a flammable liquid from W5.3/W5.4 to W5.1 or W5.2 by how the unit runs (Table 2)."""
    if not _FLAMMABLE_LIQUID_AMBIENT & set(codes):
        return codes, ""
    temperature = item.temperature_c if item.temperature_c is not None else conditions.temperature_c
    pressure = item.pressure_mpa if item.pressure_mpa is not None else conditions.pressure_mpa
    rest = tuple(c for c in codes if c not in _FLAMMABLE_LIQUID_AMBIENT)
    if temperature is not None and boiling_point_c is not None and temperature > boiling_point_c:
        return (*rest, "W5.1"), f"handled at {temperature:g} °C above its boiling point {boiling_point_c:g} °C → W5.1"
    if conditions.special_process:
        return (*rest, "W5.2"), "special process (危险化工工艺) → W5.2"
    if pressure is not None and pressure > W52_PRESSURE_LIMIT_MPA:
        return (*rest, "W5.2"), f"operating pressure {pressure:g} MPa > {W52_PRESSURE_LIMIT_MPA:g} MPa → W5.2"
    if temperature is not None and boiling_point_c is None:
        return codes, "boiling point unknown: W5.1 (above boiling point) not checked"
    return codes, ""


def _term_inputs(resolved: Resolved, item: InventoryItem,
                 conditions: OperatingConditions) -> tuple[Decimal, Decimal, tuple[str, ...], str]:
    """Q (t), β and the codes and reasons for one resolved inventory item."""
    sub = resolved.substance
    if sub is not None:
        boiling = sub.properties.boiling_point_c if sub.properties is not None else None
        codes, why = _condition_codes(resolved.codes, boiling, item, conditions)
        q = _dec(sub.critical_quantity_t)
        if sub.in_table3:
            return q, _dec(sub.beta), codes, f"Table 1 row {sub.seq}: Q = {sub.critical_quantity_t:g} t; Table 3 β"
        # The row's own β (categories at ambient storage, largest-β rule), raised by any category
        # the unit's conditions or the inventory row add (e.g. W5.1 for a liquid above its boiling point).
        beta = _dec(sub.beta)
        added = [c for c in codes if c not in sub.table2_codes]
        if added:
            beta = max(beta, *(_dec(category(c).beta) for c in added))
        basis = f"Table 1 row {sub.seq}: Q = {sub.critical_quantity_t:g} t; β from Table 4 ({sub.beta_rule})"
        return q, beta, codes, basis + (f"; {why}" if why else "")
    codes, why = _condition_codes(resolved.codes, None, item, conditions)
    cats = [category(c) for c in codes]
    q = min(_dec(c.critical_quantity_t) for c in cats)
    beta = max(_dec(c.beta) for c in cats)
    basis = (f"not in Table 1: categories {';'.join(codes)} → lowest Q {q:f} t, largest β {beta:f}"
             + (f"; {why}" if why else ""))
    return q, beta, codes, basis


def _key(value: object) -> tuple[type, object]:
    """A dictionary key that tells ``1``, ``1.0`` and ``True`` apart (they hash alike)."""
    return type(value), value


class TermCache:
    """What :func:`assess_unit` works out for an inventory row apart from its quantity, kept per row kind.

    A register repeats the same few substances under the same conditions thousands of times;
    resolving each row against the catalogue (name normalisation, CAS check digits, aliases) and
    choosing its Q, β and Table 2 codes is the same work every time. Pass one cache to every
    :func:`assess_unit` call of a run: a row is resolved once per ``chemical``, ``cas``,
    ``table1_seq`` and ``hazard_categories``, and its Q, β, codes and basis are kept per resolved row
    — and, for a flammable liquid only (W5.3/W5.4, the only codes operating conditions move), per
    row temperature and pressure and unit :class:`OperatingConditions` too. Every value of a key
    carries its type, so ``1``, ``1.0`` and ``True`` are different keys. Misses are computed by
    exactly the code :func:`assess_unit` runs without a cache; a row that cannot be resolved keeps
    its error, raised again for every row like it. Not thread-safe.
    """

    def __init__(self) -> None:
        self._resolved: dict[tuple, Resolved | InvalidInput | UnknownSubstance] = {}
        self._terms: dict[tuple, tuple[Decimal, Decimal, tuple[str, ...], str]] = {}

    def __len__(self) -> int:
        """Distinct row kinds resolved."""
        return len(self._resolved)

    def term_inputs(self, item: InventoryItem,
                    conditions: OperatingConditions) -> tuple[Resolved, Decimal, Decimal, tuple[str, ...], str]:
        """The resolved row, Q (t), β, codes and basis of ``item`` in a unit running under ``conditions``."""
        key = (_key(item.chemical), _key(item.cas), _key(item.table1_seq), _key(item.hazard_categories))
        try:
            resolved = self._resolved.get(key)
        except TypeError:  # an unhashable value: nothing to share
            resolved = key = None
        if resolved is None:
            try:
                resolved = resolve(item.chemical, item.cas, item.table1_seq, item.hazard_categories)
            except (InvalidInput, UnknownSubstance) as exc:
                resolved = exc
            if key is not None:
                self._resolved[key] = resolved
        if isinstance(resolved, Exception):
            raise resolved
        if key is None:
            return (resolved, *_term_inputs(resolved, item, conditions))
        if _FLAMMABLE_LIQUID_AMBIENT.isdisjoint(resolved.codes):  # conditions change nothing (_condition_codes)
            term_key = key
        else:
            term_key = (*key, _key(item.temperature_c), _key(item.pressure_mpa), _key(conditions.temperature_c),
                        _key(conditions.pressure_mpa), _key(conditions.special_process))
        try:
            term = self._terms.get(term_key)
        except TypeError:
            term, term_key = None, None
        if term is None:
            term = _term_inputs(resolved, item, conditions)
            if term_key is not None:
                self._terms[term_key] = term
        return (resolved, *term)


def assess_unit(
    inventory: Iterable[InventoryItem | Mapping[str, Any] | tuple],
    exposed_population: float,
    conditions: OperatingConditions | None = None,
    cache: TermCache | None = None,
) -> UnitAssessment:
    """Identify and grade one unit (GB 18218-2018 clauses 4.2 and 4.3).

    Parameters
    ----------
    inventory
        The unit's substances: ``(chemical or Table 2 codes, quantity in tonnes)`` pairs, mappings
        with ``chemical``/``cas``/``table1_seq``/``hazard_categories``/``quantity_t``, or
        :class:`InventoryItem`. Quantities are design maximum inventories, tonnes, ≥ 0. The same
        substance on several rows is summed term by term (Σ q/Q is additive).
    exposed_population
        Residents (常住人口, people) within 500 m outside the plant boundary; sets α (Table 5).
    conditions
        The unit's operating conditions (for flammable liquids, Table 2 W5.1/W5.2).
    cache
        A :class:`TermCache` shared by the calls of one run (a whole register): rows of a kind
        already seen are not resolved again. The result is the same with or without it.

    Returns
    -------
    UnitAssessment
        S, whether S ≥ 1, α, R and grade (None below the threshold), and the per-substance terms.

    Raises
    ------
    InvalidInput, UnknownSubstance
        Naming the item: a negative or non-finite quantity, an unknown chemical, an ambiguous CAS.

    Examples
    --------
    >>> a = assess_unit([("氯", 60)], exposed_population=35)   # gb18218-2018.md §8, Example 1
    >>> (a.s, a.alpha, a.r, a.grade)
    (12.0, 1.2, 57.6, 2)
    """
    conditions = conditions or OperatingConditions()
    alpha = _alpha(exposed_population)
    items = [_as_item(e, i) for i, e in enumerate(inventory)]
    problems: list[str] = []
    rows: list[tuple[InventoryItem, Resolved, Decimal, Decimal, Decimal, tuple[str, ...], str]] = []
    for item in items:
        where = item.row or "item"
        try:
            q_t = _dec(item.quantity_t)
        except (InvalidInput, ValueError, TypeError):
            problems.append(f"{where}: quantity {item.quantity_t!r} is not a number of tonnes")
            continue
        if not q_t.is_finite() or q_t < 0:
            problems.append(f"{where}: quantity {item.quantity_t!r} t must be a finite number ≥ 0")
            continue
        try:
            if cache is not None:
                resolved, big_q, beta, codes, basis = cache.term_inputs(item, conditions)
            else:
                resolved = resolve(item.chemical, item.cas, item.table1_seq, item.hazard_categories)
                big_q, beta, codes, basis = _term_inputs(resolved, item, conditions)
        except (InvalidInput, UnknownSubstance) as exc:
            problems.append(f"{where}: {exc}")
            continue
        rows.append((item, resolved, q_t, big_q, beta, codes, basis))
    if problems:
        raise InvalidInput("the unit's inventory cannot be assessed:\n" + "\n".join(f"  - {p}" for p in problems))

    s = sum((q / big_q for _, _, q, big_q, _, _, _ in rows), Decimal(0))
    weighted = sum((beta * q / big_q for _, _, q, big_q, beta, _, _ in rows), Decimal(0))
    is_major = s >= 1
    r = alpha * weighted if is_major else None
    terms = []
    for item, resolved, q, big_q, beta, codes, basis in rows:
        sub = resolved.substance
        ratio = q / big_q
        terms.append(SubstanceTerm(
            name_zh=sub.name_zh if sub else (item.chemical or ";".join(codes)),
            name_en=sub.name_en if sub else (item.chemical or ";".join(codes)),
            table1_seq=sub.seq if sub else None,
            cas=(item.cas or (sub.cas[0] if sub and sub.cas else None)),
            quantity_t=float(q),
            critical_quantity_t=float(big_q),
            beta=float(beta),
            codes=codes,
            q_over_q=float(ratio),
            beta_q_over_q=float(beta * ratio),
            share_of_s=float(ratio / s) if s > 0 else 0.0,
            matched_by=resolved.matched_by,
            basis=basis,
        ))
    return UnitAssessment(
        s=float(s),
        is_major_hazard=bool(is_major),
        alpha=float(alpha),
        exposed_population=float(exposed_population),
        r=float(r) if r is not None else None,
        grade=grade_for_r(r) if r is not None else None,
        terms=tuple(terms),
    )
