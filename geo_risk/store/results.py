"""Stored analysis results: GB 18218 assessments (the only SQL for them)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import ARRAY, Text, any_, bindparam, delete, func, or_, select, text, update

from geo_risk.store.db import get_engine
from geo_risk.store.models import DataVersion, HazardAssessment, HazardUnit

__all__ = ["inputs_version", "replace_assessments", "replace_assessments_of", "assessments_are_current",
           "hazard_sources", "hazard_source"]


def inputs_version(url: str) -> int:
    """The store's inputs version (bumped by every write to an entity table)."""
    with get_engine(url).connect() as conn:
        return int(conn.execute(select(DataVersion.inputs_version)).scalar_one())


#: Columns of ``hazard_assessments`` written by a grading run (``computed_at`` is the server's now()).
_COLUMNS = ("unit_id", "enterprise_id", "register", "s", "is_major_hazard", "alpha", "exposed_residents",
            "residential_areas", "other_people", "other_targets", "approximate", "r", "grade", "main_substances",
            "terms", "notes", "inputs_version", "method")
_FLOAT = frozenset({"s", "alpha", "exposed_residents", "other_people", "r"})
_INT = frozenset({"residential_areas", "other_targets", "grade"})
_BOOL = frozenset({"is_major_hazard", "approximate"})
_NULL = "\\N"


def _escape(text: str) -> str:
    """``text`` in COPY's text format: a backslash, tab, newline and carriage return escaped (NULL is \\N).

    ``str.replace`` rather than ``str.translate``: translating a mapping goes character by character
    (20 µs for a unit's terms, most of the write).
    """
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v)  # None or NaN (a missing value of a float column)


#: Fields of a stored term that depend on the row kind only (the substance, its Q, β, codes and basis);
#: the others depend on the quantity (:func:`geo_risk.analysis.hazard_sources.assess_units`).
_TERM_FIXED = ("name_zh", "name_en", "table1_seq", "cas", "critical_quantity_t", "beta", "codes", "matched_by",
               "basis")
_TERM_VARYING = ("quantity_t", "q_over_q", "beta_q_over_q", "share_of_s")
_TERM_KEYS = frozenset(_TERM_FIXED + _TERM_VARYING)


class _TermsJSON:
    """The JSON text of units' terms, each term's fixed fields encoded once per kind.

    A register of 100,000 units holds a few hundred kinds of term; encoding every term's dict
    whole took most of the write. The varying fields are floats written by ``repr``, as the JSON
    encoder writes them; a term of any other shape is encoded whole. PostgreSQL stores the same
    ``jsonb`` value either way (keys are not kept in order).
    """

    def __init__(self) -> None:
        self._encode = json.JSONEncoder(ensure_ascii=False).encode
        self._fixed: dict[tuple, str] = {}

    def __call__(self, terms: list) -> str:
        parts = []
        for t in terms:
            if not (isinstance(t, dict) and t.keys() == _TERM_KEYS and isinstance(t["codes"], list)
                    and all(type(t[k]) is float and math.isfinite(t[k]) for k in _TERM_VARYING)):
                return self._encode(terms)
            key = tuple((type(v), tuple(v) if isinstance(v, list) else v) for v in (t[k] for k in _TERM_FIXED))
            try:
                head = self._fixed[key]
            except KeyError:
                head = self._fixed[key] = self._encode({k: t[k] for k in _TERM_FIXED})[:-1]  # without its "}"
            except TypeError:  # unhashable: encoded whole
                return self._encode(terms)
            parts.append(f'{head}, "quantity_t": {t["quantity_t"]!r}, "q_over_q": {t["q_over_q"]!r}, '
                         f'"beta_q_over_q": {t["beta_q_over_q"]!r}, "share_of_s": {t["share_of_s"]!r}}}')
        return "[" + ", ".join(parts) + "]"


def _copy_column(name: str, values: list, terms: _TermsJSON | None = None) -> list[str]:
    """One column of ``hazard_assessments`` as COPY text fields: floats in their shortest round-trip form
    (``repr``, as psycopg2 sends them), integers without a fraction, booleans t/f, terms as JSON."""
    if name in _FLOAT:
        return [_NULL if _missing(v) else repr(float(v)) for v in values]
    if name in _INT:
        return [_NULL if _missing(v) else str(int(v)) for v in values]
    if name in _BOOL:
        return [_NULL if _missing(v) else ("t" if v else "f") for v in values]
    if name == "terms":
        encode = terms or _TermsJSON()
        return [_NULL if v is None else _escape(encode(v)) for v in values]
    return [_NULL if _missing(v) else _escape(str(v)) for v in values]


class _CopyText:
    """The COPY text of ``assessed``, made ``rows`` units at a time as psycopg2 reads it (a file's ``read``):
    memory holds one slice's text, not the whole table's (100,000 units: ~70 MB of text, most of it terms)."""

    def __init__(self, assessed: pd.DataFrame, version: int, method: str, rows: int = 10_000) -> None:
        self._slices = self._make(assessed, version, method, rows)
        self._text, self._pos = "", 0

    @staticmethod
    def _make(assessed: pd.DataFrame, version: int, method: str, rows: int) -> Iterator[str]:
        terms = _TermsJSON()  # one cache of term kinds for every slice
        for start in range(0, len(assessed), rows):
            part = assessed.iloc[start:start + rows]
            n = len(part)
            columns = []
            for name in _COLUMNS:
                if name == "unit_id":
                    values = part.index.tolist()
                elif name == "inputs_version":
                    values = [version] * n
                elif name == "method":
                    values = [method] * n
                else:
                    values = part[name].tolist()
                columns.append(_copy_column(name, values, terms))
            yield "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))

    def read(self, size: int = -1) -> str:
        if size is None or size < 0:
            rest = self._text[self._pos:] + "".join(self._slices)
            self._text, self._pos = "", 0
            return rest
        while self._pos >= len(self._text):
            text_ = next(self._slices, None)
            if text_ is None:
                return ""
            self._text, self._pos = text_, 0
        out = self._text[self._pos:self._pos + size]
        self._pos += len(out)
        return out


def _copy_assessments(conn, assessed: pd.DataFrame, version: int, method: str) -> None:
    """Write ``assessed`` into ``hazard_assessments`` with one COPY on ``conn``'s transaction.

    Replaces an ORM bulk insert (100,000 units: 26 s of 162 s); the values are the ones that insert
    sent (missing values, NaN included, as NULL; floats exact).
    """
    if not len(assessed):
        return
    cur = conn.connection.dbapi_connection.cursor()  # the same transaction as the DELETE before it
    try:
        cur.copy_expert(f"COPY hazard_assessments ({', '.join(_COLUMNS)}) FROM STDIN",
                        _CopyText(assessed, version, method), size=1 << 20)
    finally:
        cur.close()


def replace_assessments(url: str, assessed: pd.DataFrame, version: int, method: str) -> None:
    """Replace every stored assessment with ``assessed`` (one transaction)."""
    with get_engine(url).begin() as conn:
        conn.execute(delete(HazardAssessment))
        _copy_assessments(conn, assessed, version, method)


def replace_assessments_of(
    url: str, assessed: pd.DataFrame, enterprise_ids: frozenset[str] | set[str], version: int, method: str,
    *, basis_version: int,
) -> bool:
    """Replace the stored assessments of ``enterprise_ids`` only, if the rest are still valid.

    In one transaction, holding the inputs version: if the store is at inputs version ``version``
    and every stored assessment was computed at ``basis_version`` (the results were current
    before the changes ``assessed`` accounts for), the assessments of those enterprises and of
    the units that now belong to them are replaced by ``assessed``, and every other assessment
    is stamped ``version`` (its inputs did not change; its ``computed_at`` stays). Otherwise
    nothing is written and the result is False: grade the whole store instead.
    """
    ids = bindparam("ids", sorted(enterprise_ids), type_=ARRAY(Text))
    with get_engine(url).begin() as conn:
        now = conn.execute(select(DataVersion.inputs_version).with_for_update()).scalar_one()
        lo, hi = conn.execute(
            select(func.min(HazardAssessment.inputs_version), func.max(HazardAssessment.inputs_version))
        ).one()
        if now != version or lo != basis_version or hi != basis_version:
            return False
        theirs = select(HazardUnit.id).where(HazardUnit.enterprise_id == any_(ids))
        conn.execute(delete(HazardAssessment).where(
            or_(HazardAssessment.enterprise_id == any_(ids), HazardAssessment.unit_id.in_(theirs))
        ))
        conn.execute(update(HazardAssessment).values(inputs_version=version))
        _copy_assessments(conn, assessed, version, method)
    return True


def assessments_are_current(url: str) -> bool:
    """True when stored assessments exist and were computed at the current inputs version."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT min(inputs_version) FROM hazard_assessments), inputs_version FROM data_version"
        )).one()
    return row[0] is not None and row[0] == row[1]


_SOURCE_SQL = """
SELECT a.unit_id AS id, u.name, u.unit_type, u.equipment, a.enterprise_id, e.name AS enterprise_name,
       e.uscc, e.status AS enterprise_status, e.park_id, a.register, a.is_major_hazard, a.grade, a.r, a.s,
       a.alpha, a.exposed_residents, a.residential_areas, a.other_people, a.other_targets, a.approximate,
       a.main_substances, a.terms, a.notes, a.method, a.inputs_version, a.computed_at,
       u.safety_distance_m,
       ST_X(ST_PointOnSurface(u.geom)) AS lon, ST_Y(ST_PointOnSurface(u.geom)) AS lat,
       a.inputs_version = (SELECT inputs_version FROM data_version) AS current
  FROM hazard_assessments a
  JOIN hazard_units u ON u.id = a.unit_id
  JOIN enterprises e ON e.id = a.enterprise_id
"""


def hazard_sources(
    url: str, *, major_only: bool = True, grade: int | None = None, register: str | None = None,
    enterprise_id: str | None = None, limit: int = 1000, offset: int = 0,
) -> tuple[list[dict], int]:
    """Stored assessments (joined with their unit and enterprise), grade then R descending; and the total."""
    where, params = ["TRUE"], {"limit": limit, "offset": offset}
    if major_only:
        where.append("a.is_major_hazard")
    if grade is not None:
        where.append("a.grade = :grade")
        params["grade"] = grade
    if register is not None:
        where.append("a.register = :register")
        params["register"] = register
    if enterprise_id is not None:
        where.append("a.enterprise_id = :enterprise_id")
        params["enterprise_id"] = enterprise_id
    cond = " AND ".join(where)  # fixed fragments; every value is bound
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(_SOURCE_SQL + f" WHERE {cond} ORDER BY a.grade NULLS LAST, a.r DESC NULLS LAST, "
                                 "a.unit_id LIMIT :limit OFFSET :offset"), params).mappings().all()
        total = conn.execute(text(f"SELECT count(*) FROM hazard_assessments a WHERE {cond}"),
                             {k: v for k, v in params.items() if k not in ("limit", "offset")}).scalar_one()
    return [dict(r) for r in rows], int(total)


def hazard_source(url: str, unit_id: str) -> dict | None:
    """One unit's stored assessment with its full calculation, or None."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(_SOURCE_SQL + " WHERE a.unit_id = :id"), {"id": unit_id}).mappings().first()
    return dict(row) if row else None
