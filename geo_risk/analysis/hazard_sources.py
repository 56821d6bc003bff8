"""GB 18218 applied to a whole register: every unit of every enterprise, with α from its plant.

Pure: frames in, a frame out. Which enterprises are graded follows their status: operating and
suspended ones go into the register (重大危险源登记台账); planned ones are graded but listed apart
(their check belongs to siting); closed ones are left out.
"""

from __future__ import annotations

import math

import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import InventoryItem, OperatingConditions, TermCache, assess_unit

__all__ = ["REGISTER_BY_STATUS", "REGISTER_LABELS", "METHOD", "assess_units"]

#: Enterprise status → where its units are listed; statuses not here are left out (closed).
REGISTER_BY_STATUS = {"operating": "register", "suspended": "register", "planned": "planned"}
#: What each ``register`` value means, 中文 English (also written in the hazard_sources_map view).
REGISTER_LABELS = {"register": "在册 In the register", "planned": "拟建 Planned"}
#: Recorded with every stored result.
METHOD = "GB 18218-2018 (geo_risk gb18218 v1: largest β for several categories; residents apportioned by area)"


def _num(v: object) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v)


def assess_units(
    units: pd.DataFrame,
    inventory: pd.DataFrame,
    exposure: pd.DataFrame,
    enterprises: pd.DataFrame,
) -> pd.DataFrame:
    """Identify and grade every unit of the enterprises that are graded.

    Parameters
    ----------
    units
        Index unit id; ``enterprise_id``, ``operating_temperature_c`` (°C), ``operating_pressure_mpa``
        (MPa), ``special_process``.
    inventory
        ``unit_id``, ``chemical``, ``cas``, ``table1_seq``, ``hazard_categories``, ``max_quantity_t`` (t),
        ``temperature_c``, ``pressure_mpa``; optional ``id``.
    exposure
        Index enterprise id; ``residents`` (people within 500 m outside the boundary),
        ``residential_areas``, ``other_people``, ``other_targets``, ``approximate``
        (:func:`geo_risk.analysis.exposure.exposed_people`).
    enterprises
        Index enterprise id; ``status``.

    Returns
    -------
    pandas.DataFrame
        Index unit id: ``enterprise_id``, ``register``, ``s``, ``is_major_hazard``, ``alpha``,
        ``exposed_residents``, ``residential_areas``, ``other_people``, ``other_targets``,
        ``approximate``, ``r``, ``grade``, ``main_substances``, ``terms`` (list of dicts), ``notes``.

    Raises
    ------
    InvalidInput
        Listing every unit whose inventory cannot be assessed (unknown chemical …), by unit id.
    """
    register = enterprises["status"].map(REGISTER_BY_STATUS)
    graded = units[units["enterprise_id"].map(register).notna()]
    register_of = dict(zip(register.index.tolist(), register.tolist(), strict=True))
    # Plain lists, read once: no pandas row or group objects per unit (they cost more than GB 18218 itself).
    exposure_of = dict(zip(exposure.index.tolist(), zip(
        *(exposure[c].tolist() for c in ("residents", "residential_areas", "other_people", "other_targets",
                                         "approximate")), strict=True), strict=True))

    def column(frame: pd.DataFrame, name: str) -> list:
        return frame[name].tolist() if name in frame.columns else [None] * len(frame)

    inv = {c: column(inventory, c) for c in ("id", "chemical", "cas", "table1_seq", "hazard_categories",
                                             "temperature_c", "pressure_mpa")}
    quantity = inventory["max_quantity_t"].tolist() if len(inventory) else []
    rows_of: dict[object, list[int]] = {}
    for i, uid in enumerate(column(inventory, "unit_id")):
        rows_of.setdefault(uid, []).append(i)
    cache = TermCache()  # each kind of row (substance, categories, conditions) resolved once
    records: list[dict] = []
    problems: list[str] = []
    for uid, ent, temperature, pressure, special in zip(
        graded.index.tolist(), graded["enterprise_id"].tolist(), column(graded, "operating_temperature_c"),
        column(graded, "operating_pressure_mpa"), column(graded, "special_process"),
        strict=True,
    ):
        exp = exposure_of.get(ent)
        residents = float(exp[0]) if exp is not None else 0.0
        items = []
        for i in rows_of.get(uid, ()):
            seq = _num(inv["table1_seq"][i])
            items.append(InventoryItem(
                chemical=_text(inv["chemical"][i]), quantity_t=quantity[i], cas=_text(inv["cas"][i]),
                table1_seq=int(seq) if seq is not None else None,
                hazard_categories=_text(inv["hazard_categories"][i]),
                temperature_c=_num(inv["temperature_c"][i]), pressure_mpa=_num(inv["pressure_mpa"][i]),
                row=f"inventory {inv['id'][i] or ''} of unit {uid}".replace("  ", " "),
            ))
        conditions = OperatingConditions(
            temperature_c=_num(temperature),
            pressure_mpa=_num(pressure),
            special_process=bool(special) if special is not None and special == special else False,  # NaN → False
        )
        try:
            a = assess_unit(items, residents, conditions, cache)
        except InvalidInput as exc:
            problems.append(f"unit {uid}: {exc}")
            continue
        notes = []
        if exp is None:
            notes.append("no exposure computed for the enterprise: 0 residents assumed")
        elif bool(exp[4]):
            notes.append("approximate: the enterprise has no boundary polygon; residents counted within 500 m "
                         "of its point")
        records.append({
            "unit_id": uid,
            "enterprise_id": ent,
            "register": register_of[ent],
            "s": a.s,
            "is_major_hazard": a.is_major_hazard,
            "alpha": a.alpha,
            "exposed_residents": residents,
            "residential_areas": int(exp[1]) if exp is not None else 0,
            "other_people": float(exp[2]) if exp is not None else 0.0,
            "other_targets": int(exp[3]) if exp is not None else 0,
            "approximate": bool(exp[4]) if exp is not None else True,
            "r": a.r,
            "grade": a.grade,
            "main_substances": "、".join(a.main_substances) or None,
            "terms": [
                {"name_zh": t.name_zh, "name_en": t.name_en, "table1_seq": t.table1_seq, "cas": t.cas,
                 "quantity_t": t.quantity_t, "critical_quantity_t": t.critical_quantity_t, "beta": t.beta,
                 "codes": list(t.codes), "q_over_q": t.q_over_q, "beta_q_over_q": t.beta_q_over_q,
                 "share_of_s": t.share_of_s, "matched_by": t.matched_by, "basis": t.basis}
                for t in a.terms
            ],
            "notes": "; ".join(notes) or None,
        })
    if problems:
        raise InvalidInput(f"{len(problems)} unit(s) cannot be graded:\n" + "\n".join(problems[:50]))
    columns = ["enterprise_id", "register", "s", "is_major_hazard", "alpha", "exposed_residents",
               "residential_areas", "other_people", "other_targets", "approximate", "r", "grade",
               "main_substances", "terms", "notes"]
    if not records:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="unit_id"))
    return pd.DataFrame.from_records(records).set_index("unit_id")[columns]
