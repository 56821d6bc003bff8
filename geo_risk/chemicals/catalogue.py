"""The GB 18218-2018 chemical catalogue: Table 1 substances, Table 2 categories, Table 3/4 β.

Pure: reads the package's CSV files once (``data/``) and answers lookups. No database, no web.

Data (``geo_risk/chemicals/data/``)
-----------------------------------
* ``gb18218_table1.csv`` — Table 1, 85 named substances (seq, name, CAS, Q in t).
* ``gb18218_table2.csv`` — Table 2, 24 hazard categories (code, Q in t) with their Table 4 β.
* ``gb18218_table1_categories.csv`` — the Table 2 codes of each Table 1 substance **at ambient
  storage**, the β to use and its confidence (C2 / C1 / UNCONFIRMED). This is a project
  classification (domain notes §10), not text of the standard.
* ``table3.csv`` — Table 3, the 14 named toxic gases and their β.
* ``aliases.csv`` — alias → Table 1 seq: the standard's 别名 (``source=table1``) and common
  names users type (``source=common``: 液氯, LPG, 天然气, gasoline, ...).

Rules implemented
-----------------
* **Q of a Table 1 substance** is its Table 1 quantity, even where Table 2 would give less
  (GB 18218-2018 Table 1; domain notes §3.1). Rows are matched by name *and* conditions: a CAS
  shared by several rows (nitrocellulose 9004-70-0, rows 37–42; ammonium nitrate 6484-52-2,
  rows 43–44) is ambiguous unless a name or ``table1_seq`` settles it.
* **Q of any other substance** is the lowest Q among its Table 2 categories (Table 2; §3.2–3.3).
* **β** (Table 3, else Table 4): :attr:`Substance.beta` is the Table 3 value for the 13 Table 1
  rows in Table 3, otherwise the categories CSV's β — the largest Table 4 β of the row's
  ambient categories (project choice, domain notes §10.2; UNCONFIRMED rows flagged below).
  Operating conditions that move a flammable liquid to W5.1/W5.2 are the grading module's job.

Matching
--------
Names are compared after NFKC normalisation (full-width → half-width), case folding and removal
of spaces and hyphens. A CAS number may be typed with or without dashes; a CAS with a wrong
check digit is rejected. Content conditions written into a row's name (rows 8, 11, 42–45, 72,
81) cannot be checked from a CAS: a CAS match assumes the condition holds.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from geo_risk.chemicals._normalise import name_key, parse_cas
from geo_risk.chemicals.properties import ChemicalProperties, chemical_properties
from geo_risk.errors import InvalidInput, UnknownSubstance

__all__ = [
    "HazardCategory",
    "Resolved",
    "Substance",
    "ToxicGas",
    "all_categories",
    "all_substances",
    "all_toxic_gases",
    "category",
    "lookup",
    "parse_categories",
    "resolve",
    "toxic_gas",
]

_HINT_CATEGORIES = "give its hazard_categories (Table 2 codes such as W5.3;J2)"
_MAX_SUGGESTIONS = 5
# A CAS that does not belong to a row with no CAS of its own but is still consistent with it
# (the fertiliser row 45 is ammonium nitrate, whose CAS belongs to rows 43–44).
_COMPATIBLE_CAS = {45: frozenset({"6484-52-2"})}


@dataclass(frozen=True)
class HazardCategory:
    """A GB 18218-2018 Table 2 row, with its Table 4 β.

    ``critical_quantity_t`` is the threshold quantity Q in tonnes; ``condition`` the
    classification condition (Chinese, with our English gloss).
    """

    code: str
    name_zh: str
    name_en: str
    condition: str
    critical_quantity_t: float
    beta: float


@dataclass(frozen=True)
class ToxicGas:
    """A GB 18218-2018 Table 3 entry (named toxic gas and its β)."""

    name_zh: str
    name_en: str
    beta: float
    table1_seq: int | None  # None for 一氧化碳, which has no Table 1 row
    cas: str


@dataclass(frozen=True)
class Substance:
    """A GB 18218-2018 Table 1 row.

    Attributes
    ----------
    seq : int
        Table 1 row number, 1–85.
    name_zh : str
        Name as printed, including any condition (``硝酸铵(含可燃物≤0.2%)``).
    name_en : str
        Our English translation (not part of the standard).
    cas : tuple of str
        CAS numbers; ``()`` for rows 13, 45, 74, several for rows 49 and 52.
    critical_quantity_t : float
        Threshold quantity Q, tonnes (Table 1).
    beta : float
        β at ambient conditions: Table 3 if the row is there, else the categories CSV's β.
    beta_rule : str
        ``'table3'``, ``'table4:<code>'``, ``'table4:max(<codes>)'`` or ``'default:1 (...)'``.
    in_table3 : bool
        Whether the row is one of Table 3's named toxic gases.
    table2_codes : tuple of str
        Table 2 codes at ambient storage (project classification); ``()`` when none applies.
    confidence : str
        ``'C2'``, ``'C1'`` or ``'UNCONFIRMED'`` for the β-deciding classification.
    aliases : tuple of str
        Aliases from ``aliases.csv`` (the standard's 别名 first).
    properties : ChemicalProperties or None
        Physical properties (see :mod:`geo_risk.chemicals.properties`).
    """

    seq: int
    name_zh: str
    name_en: str
    cas: tuple[str, ...]
    critical_quantity_t: float
    beta: float
    beta_rule: str
    in_table3: bool
    table2_codes: tuple[str, ...]
    confidence: str
    aliases: tuple[str, ...]
    properties: ChemicalProperties | None

    def describe(self) -> str:
        """Short text naming the row for messages: ``seq 12 氯 (CAS 7782-50-5) Q=5 t``."""
        cas = f" (CAS {', '.join(self.cas)})" if self.cas else ""
        return f"seq {self.seq} {self.name_zh}{cas} Q={self.critical_quantity_t:g} t"


@dataclass(frozen=True)
class Resolved:
    """One inventory row resolved against the catalogue.

    Attributes
    ----------
    substance : Substance or None
        The Table 1 row; None for a substance not in Table 1.
    codes : tuple of str
        Table 2 codes: the Table 1 row's ambient codes plus any the inventory row gave, or, for a
        substance not in Table 1, the codes given.
    critical_quantity_t : float
        Q in tonnes: the Table 1 quantity, or the lowest Q of the given codes (ambient codes; the
        grading module re-derives Q when operating conditions move a flammable liquid to
        W5.1/W5.2).
    matched_by : str
        ``'table1_seq'``, ``'cas'``, ``'name'``, ``'alias'`` or ``'categories'``.
    table3_beta : float or None
        Table 3 β when the substance is a Table 3 toxic gas (including 一氧化碳, which has no
        Table 1 row), else None.
    """

    substance: Substance | None
    codes: tuple[str, ...]
    critical_quantity_t: float
    matched_by: str
    table3_beta: float | None = None


@dataclass(frozen=True)
class _Match:
    seqs: tuple[int, ...]
    matched_by: str  # 'cas' | 'name' | 'alias'
    text: str


@dataclass(frozen=True)
class _Catalogue:
    substances: tuple[Substance, ...]
    by_seq: Mapping[int, Substance]
    by_cas: Mapping[str, tuple[int, ...]]
    by_key: Mapping[str, _Match]
    shown: Mapping[str, str]  # key -> the name as written, for suggestions
    categories: Mapping[str, HazardCategory]
    toxic_gases: tuple[ToxicGas, ...]


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _split(text: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(sep) if part.strip() and part.strip() != "none")


@cache
def _catalogue() -> _Catalogue:
    categories = {
        row["code"]: HazardCategory(
            code=row["code"],
            name_zh=row["category_zh"],
            name_en=row["category_en"],
            condition=row["condition"],
            critical_quantity_t=float(row["critical_quantity_t"]),
            beta=float(row["beta"]),
        )
        for row in _read("gb18218_table2.csv")
    }
    toxic = tuple(
        ToxicGas(
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            beta=float(row["beta"]),
            table1_seq=int(row["table1_seq"]) if row["table1_seq"] else None,
            cas=row["cas"],
        )
        for row in _read("table3.csv")
    )
    table3_by_seq = {gas.table1_seq: gas for gas in toxic if gas.table1_seq is not None}
    ambient = {int(row["seq"]): row for row in _read("gb18218_table1_categories.csv")}
    aliases: dict[int, list[str]] = {}
    alias_rows = _read("aliases.csv")
    for row in sorted(alias_rows, key=lambda r: r["source"] != "table1"):
        aliases.setdefault(int(row["table1_seq"]), []).append(row["alias"])

    substances = []
    for row in _read("gb18218_table1.csv"):
        seq = int(row["seq"])
        cat = ambient[seq]
        gas = table3_by_seq.get(seq)
        substances.append(
            Substance(
                seq=seq,
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                cas=_split(row["cas"]),
                critical_quantity_t=float(row["critical_quantity_t"]),
                # Table 3 wins (GB 18218-2018 Table 3); else the project's Table 4 choice. Rows 2, 5, 8,
                # 14-16, 53, 63, 66, 72 are UNCONFIRMED there (domain notes §10.6): the larger
                # candidate β is used. UNCONFIRMED: whether Table 3's 一氧化碳 β = 2 applies to row 13
                # 煤气 (§5.2 note); row 13 is not treated as a Table 3 row, but its Table 4 β,
                # max(W2, J3) = 2, is the same value.
                beta=gas.beta if gas is not None else float(cat["beta"]),
                beta_rule="table3" if gas is not None else cat["beta_rule"],
                in_table3=gas is not None,
                table2_codes=_split(cat["table2_codes"]),
                confidence=cat["confidence"],
                aliases=tuple(dict.fromkeys(aliases.get(seq, ()))),
                properties=chemical_properties(seq),
            )
        )

    by_cas: dict[str, list[int]] = {}
    for sub in substances:
        for cas in sub.cas:
            by_cas.setdefault(cas, []).append(sub.seq)
    keys: dict[str, tuple[set[int], str]] = {}
    shown: dict[str, str] = {}

    def add(text: str, seq: int, kind: str) -> None:
        key = name_key(text)
        seqs, old_kind = keys.get(key, (set(), kind))
        seqs.add(seq)
        keys[key] = (seqs, "name" if "name" in (kind, old_kind) else "alias")
        shown.setdefault(key, text)

    for sub in substances:
        add(sub.name_zh, sub.seq, "name")
        add(sub.name_en, sub.seq, "name")
    for row in alias_rows:
        add(row["alias"], int(row["table1_seq"]), "alias")

    return _Catalogue(
        substances=tuple(substances),
        by_seq=MappingProxyType({s.seq: s for s in substances}),
        by_cas=MappingProxyType({cas: tuple(seqs) for cas, seqs in by_cas.items()}),
        by_key=MappingProxyType({k: _Match(tuple(sorted(s)), kind, shown[k]) for k, (s, kind) in keys.items()}),
        shown=MappingProxyType(shown),
        categories=MappingProxyType(categories),
        toxic_gases=toxic,
    )


def all_substances() -> tuple[Substance, ...]:
    """All 85 GB 18218-2018 Table 1 rows, in seq order."""
    return _catalogue().substances


def all_categories() -> tuple[HazardCategory, ...]:
    """All 24 GB 18218-2018 Table 2 categories (J1–J5, W1.1–W11), in table order, with Table 4 β."""
    return tuple(_catalogue().categories.values())


def all_toxic_gases() -> tuple[ToxicGas, ...]:
    """The 14 named toxic gases of GB 18218-2018 Table 3, in table order."""
    return _catalogue().toxic_gases


def _valid_codes() -> str:
    return ", ".join(_catalogue().categories)


def category(code: str) -> HazardCategory:
    """The Table 2 category for ``code`` (``'W5.1'``, ``'j2'``; case-insensitive, full-width accepted).

    Raises
    ------
    InvalidInput
        Unknown code; the message lists the valid codes.
    """
    norm = unicodedata.normalize("NFKC", str(code)).strip().upper()
    found = _catalogue().categories.get(norm)
    if found is None:
        raise InvalidInput(f"unknown GB 18218-2018 Table 2 hazard category {code!r}: valid codes are {_valid_codes()}")
    return found


def parse_categories(text: str) -> tuple[str, ...]:
    """Parse a list of Table 2 codes: ``'W5.1;J2'``, ``'W5.1, J2'``, ``'w5.1；j2'`` → ``('W5.1', 'J2')``.

    Separators: ``;`` ``,`` ``、`` ``/`` and whitespace (full-width forms too). Duplicates are
    dropped; order is kept.

    Raises
    ------
    InvalidInput
        No code at all, or unknown codes (all of them are named, with the valid codes).
    """
    parts = [p.upper() for p in re.split(r"[;,、/\s]+", unicodedata.normalize("NFKC", text or "")) if p]
    if not parts:
        raise InvalidInput(
            f"no hazard category codes in {text!r}: give GB 18218-2018 Table 2 codes such as W5.3;J2 "
            f"(valid codes: {_valid_codes()})"
        )
    known = _catalogue().categories
    unknown = [p for p in parts if p not in known]
    if unknown:
        raise InvalidInput(
            f"unknown GB 18218-2018 Table 2 hazard category code(s) {', '.join(map(repr, unknown))} "
            f"in {text!r}: valid codes are {_valid_codes()}"
        )
    return tuple(dict.fromkeys(parts))


def toxic_gas(name_or_cas: str) -> ToxicGas | None:
    """The GB 18218-2018 Table 3 toxic gas named (Table 3 name in Chinese or English, Table 1 name or
    alias) or with this CAS, or None. Carbon monoxide is found although it has no Table 1 row.

    Raises
    ------
    InvalidInput
        A dashed CAS number with a wrong check digit.
    """
    cat = _catalogue()
    cas = parse_cas(name_or_cas, strict=False)
    key = name_key(name_or_cas)
    for gas in cat.toxic_gases:
        if cas is not None and cas == gas.cas:
            return gas
        if key in (name_key(gas.name_zh), name_key(gas.name_en)):
            return gas
    match = None if cas is not None else cat.by_key.get(key)
    if match is not None and len(match.seqs) == 1:
        return next((g for g in cat.toxic_gases if g.table1_seq == match.seqs[0]), None)
    return None


def _describe(seqs: Iterable[int]) -> str:
    by_seq = _catalogue().by_seq
    return "; ".join(by_seq[s].describe() for s in seqs)


def _suggest(text: str) -> str:
    """Up to five Table 1 names close to ``text``, with their rows, for error messages."""
    cat = _catalogue()
    key = name_key(text)
    scored = []
    for other, match in cat.by_key.items():
        ratio = difflib.SequenceMatcher(None, key, other).ratio()
        if ratio >= 0.4:
            scored.append((-ratio, len(other), other, match))
    scored.sort(key=lambda item: item[:3])
    out: list[str] = []
    for _, _, other, match in scored:
        name = cat.shown[other]
        rows = ", ".join(
            f"seq {s}" + ("" if cat.by_seq[s].name_zh == name else f" {cat.by_seq[s].name_zh}") for s in match.seqs
        )
        entry = f"{name} ({rows})"
        if entry not in out:
            out.append(entry)
        if len(out) == _MAX_SUGGESTIONS:
            break
    return f" Closest Table 1 names: {'; '.join(out)}." if out else ""


def _match_text(text: str) -> _Match | None:
    """Match a name, alias, English name or CAS number; None when unknown. Raises on a bad CAS."""
    cas = parse_cas(text, strict=False)
    if cas is not None:
        seqs = _catalogue().by_cas.get(cas)
        return _Match(seqs, "cas", cas) if seqs else None
    return _catalogue().by_key.get(name_key(text))


def _match_cas(text: str) -> tuple[str, _Match | None]:
    cas = parse_cas(text, strict=True) or ""  # strict parsing raises rather than return None
    seqs = _catalogue().by_cas.get(cas)
    return cas, (_Match(seqs, "cas", cas) if seqs else None)


def _ambiguous(what: str, seqs: Iterable[int]) -> InvalidInput:
    return InvalidInput(
        f"{what} matches several GB 18218-2018 Table 1 rows with different conditions: {_describe(seqs)}. "
        f"Give table1_seq to choose the row (GB 18218 matches by name and conditions, not by CAS alone)."
    )


def _unknown(text: str, extra: str = "") -> UnknownSubstance:
    gas = toxic_gas(text)
    note = (
        f" It is a GB 18218-2018 Table 3 toxic gas ({gas.name_zh}, β={gas.beta:g}) without a Table 1 row."
        if gas is not None and gas.table1_seq is None
        else ""
    )
    return UnknownSubstance(
        f"{text!r}{extra} is not in GB 18218-2018 Table 1: {_HINT_CATEGORIES}.{note}{_suggest(text)}"
    )


def lookup(name_or_cas: str) -> Substance:
    """Find a GB 18218-2018 Table 1 row by CAS, Chinese name, alias or English name.

    Parameters
    ----------
    name_or_cas : str
        A CAS number (``7782-50-5``, ``7782505``) or a name: exact Table 1 name (``氯``), alias
        (``液氯``, ``LPG``, ``汽油``) or English name (``Liquid Chlorine``); case, spaces, hyphens
        and full-width characters do not matter.

    Raises
    ------
    UnknownSubstance
        Not in Table 1; the message suggests up to five close Table 1 names.
    InvalidInput
        Empty text; a CAS with a wrong check digit; or a CAS/name shared by several rows with
        different conditions (nitrocellulose 9004-70-0 → rows 37–42, ammonium nitrate 6484-52-2 →
        rows 43–44, 硝化棉 → 37–41): the message names the rows; use :func:`resolve` with
        ``table1_seq``.

    Examples
    --------
    >>> lookup("液氯").seq, lookup("7782-50-5").critical_quantity_t
    (12, 5.0)
    """
    if not isinstance(name_or_cas, str) or not name_or_cas.strip():
        raise InvalidInput(f"empty chemical name or CAS number: {name_or_cas!r}")
    match = _match_text(name_or_cas)
    if match is None:
        raise _unknown(name_or_cas)
    if len(match.seqs) > 1:
        raise _ambiguous(f"{name_or_cas!r}", match.seqs)
    return _catalogue().by_seq[match.seqs[0]]


def _check_seq(seq: object) -> Substance:
    by_seq = _catalogue().by_seq
    if isinstance(seq, bool) or not isinstance(seq, int) or seq not in by_seq:
        raise InvalidInput(f"table1_seq {seq!r} is not a GB 18218-2018 Table 1 row: give an integer 1–{len(by_seq)}")
    return by_seq[seq]


def _contradiction(first: str, second: str, seqs: Iterable[int]) -> InvalidInput:
    return InvalidInput(
        f"{first} contradicts {second}, which is GB 18218-2018 Table 1 {_describe(seqs)}: "
        f"correct one of them or leave the wrong one empty"
    )


def _merge_codes(row_codes: tuple[str, ...], given: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(row_codes + given))


def resolve(
    chemical: str | None,
    cas: str | None = None,
    table1_seq: int | None = None,
    hazard_categories: str | None = None,
) -> Resolved:
    """Resolve one inventory row to a Table 1 row or to Table 2 categories, and its Q.

    Order (GB 18218-2018 Table 1 first, Table 2 for everything else; domain notes §3):

    1. ``table1_seq``: must be a Table 1 row. A ``chemical`` or ``cas`` that matches *other*
       rows contradicts it (InvalidInput). A name or CAS the catalogue does not know does not
       contradict (inventories use trade names and other CAS numbers of the same substance).
    2. ``cas``: a CAS of one row gives that row. A CAS shared by several rows (9004-70-0,
       6484-52-2) is settled by ``chemical`` if that names one of the candidate rows, else
       InvalidInput naming the candidates and asking for ``table1_seq``. A ``chemical`` naming a
       row the CAS does not belong to is a contradiction.
    3. ``chemical``: Table 1 name, alias, English name, or a CAS typed into the name column.
    4. Not in Table 1: ``hazard_categories`` is required; Q is the lowest Q of its codes
       (Table 2; domain notes §3.3).

    **Table 1 substance with hazard_categories given (project decision).** Q stays the Table 1
    quantity (a named substance's Q is never replaced by Table 2's; §3.1). The codes become the
    union of the row's ambient codes (categories CSV) and the given codes, so a user can push a
    substance to a stricter category for β — e.g. gasoline stored above its boiling point as
    ``W5.1`` — but can never drop the catalogue's own categories.

    Parameters
    ----------
    chemical : str or None
        Name (any language/alias) or a CAS number.
    cas : str or None
        CAS registry number; with or without dashes; the check digit is verified.
    table1_seq : int or None
        GB 18218-2018 Table 1 row, 1–85.
    hazard_categories : str or None
        Table 2 codes, e.g. ``'W5.3;J2'`` (see :func:`parse_categories`).

    Returns
    -------
    Resolved

    Raises
    ------
    InvalidInput
        Bad CAS, bad codes, bad ``table1_seq``, contradicting identifiers, an ambiguous CAS or
        name, or nothing given at all.
    UnknownSubstance
        Not in Table 1 and no ``hazard_categories``; the message suggests close Table 1 names.

    Examples
    --------
    >>> r = resolve("汽油")
    >>> r.substance.seq, r.critical_quantity_t, r.codes
    (66, 200.0, ('W5.3',))
    >>> resolve("xylene", hazard_categories="W5.3;J2").critical_quantity_t  # min(1000, 50) t
    50.0
    """
    chemical = chemical.strip() if isinstance(chemical, str) and chemical.strip() else None
    cas = cas.strip() if isinstance(cas, str) and cas.strip() else None
    given = parse_categories(hazard_categories) if hazard_categories and hazard_categories.strip() else ()
    if chemical is None and cas is None and table1_seq is None and not given:
        raise InvalidInput("give at least one of chemical, cas, table1_seq or hazard_categories")

    name_match = _match_text(chemical) if chemical is not None else None
    cas_text, cas_match = _match_cas(cas) if cas is not None else (None, None)
    cat = _catalogue()
    substance: Substance | None = None
    matched_by = "categories"

    if table1_seq is not None:
        substance = _check_seq(table1_seq)
        matched_by = "table1_seq"
        if name_match is not None and substance.seq not in name_match.seqs:
            raise _contradiction(
                f"table1_seq {substance.seq} ({substance.name_zh})", f"chemical {chemical!r}", name_match.seqs
            )
        if (
            cas_match is not None
            and substance.seq not in cas_match.seqs
            and cas_text not in _COMPATIBLE_CAS.get(substance.seq, ())
        ):
            raise _contradiction(f"table1_seq {substance.seq} ({substance.name_zh})", f"CAS {cas_text}", cas_match.seqs)
    elif cas_match is not None:
        candidates = cas_match.seqs
        matched_by = "cas"
        if name_match is not None:
            both = tuple(s for s in candidates if s in name_match.seqs)
            if not both:
                raise _contradiction(
                    f"CAS {cas_text} ({_describe(candidates)})", f"chemical {chemical!r}", name_match.seqs
                )
            if len(candidates) > 1:
                candidates, matched_by = both, "name"
        if len(candidates) > 1:
            raise _ambiguous(f"CAS {cas_text}" + (f" with chemical {chemical!r}" if chemical else ""), candidates)
        substance = cat.by_seq[candidates[0]]
    elif name_match is not None:
        if len(name_match.seqs) > 1:
            raise _ambiguous(f"{chemical!r}", name_match.seqs)
        substance = cat.by_seq[name_match.seqs[0]]
        matched_by = name_match.matched_by

    if substance is not None:
        return Resolved(
            substance=substance,
            codes=_merge_codes(substance.table2_codes, given),
            critical_quantity_t=substance.critical_quantity_t,
            matched_by=matched_by,
            table3_beta=substance.beta if substance.in_table3 else None,
        )
    if not given:
        label = chemical if chemical is not None else (cas_text or "")
        raise _unknown(label, f" (CAS {cas_text})" if chemical is not None and cas_text else "")
    gas = toxic_gas(cas_text) if cas_text else None
    if gas is None and chemical is not None:
        gas = toxic_gas(chemical)
    return Resolved(
        substance=None,
        codes=given,
        critical_quantity_t=min(cat.categories[c].critical_quantity_t for c in given),
        matched_by="categories",
        table3_beta=gas.beta if gas is not None else None,
    )
