"""GB 18218 applied to a whole register: every unit of every enterprise, with α from its plant.

Pure: frames in, a frame out. Which enterprises are graded follows their status: operating and
suspended ones go into the register (重大危险源登记台账); planned ones are graded but listed apart
(their check belongs to siting); closed ones are left out.
"""

from __future__ import annotations

import math

import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.standards.gb18218 import InventoryItem, OperatingConditions, assess_unit

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
    by_unit = {uid: rows for uid, rows in inventory.groupby("unit_id", sort=False)} if len(inventory) else {}
    records: list[dict] = []
    problems: list[str] = []
    for uid, unit in graded.iterrows():
        ent = unit["enterprise_id"]
        exp = exposure.loc[ent] if ent in exposure.index else None
        residents = float(exp["residents"]) if exp is not None else 0.0
        items = []
        rows = by_unit.get(uid)
        if rows is not None:
            for rec in rows.to_dict("records"):
                seq = _num(rec.get("table1_seq"))
                items.append(InventoryItem(
                    chemical=_text(rec.get("chemical")), quantity_t=rec["max_quantity_t"], cas=_text(rec.get("cas")),
                    table1_seq=int(seq) if seq is not None else None,
                    hazard_categories=_text(rec.get("hazard_categories")),
                    temperature_c=_num(rec.get("temperature_c")), pressure_mpa=_num(rec.get("pressure_mpa")),
                    row=f"inventory {rec.get('id') or ''} of unit {uid}".replace("  ", " "),
                ))
        special = unit.get("special_process")
        conditions = OperatingConditions(
            temperature_c=_num(unit.get("operating_temperature_c")),
            pressure_mpa=_num(unit.get("operating_pressure_mpa")),
            special_process=bool(special) if special is not None and special == special else False,  # NaN → False
        )
        try:
            a = assess_unit(items, residents, conditions)
        except InvalidInput as exc:
            problems.append(f"unit {uid}: {exc}")
            continue
        notes = []
        if exp is None:
            notes.append("no exposure computed for the enterprise: 0 residents assumed")
        elif bool(exp["approximate"]):
            notes.append("approximate: the enterprise has no boundary polygon; residents counted within 500 m "
                         "of its point")
        records.append({
            "unit_id": uid,
            "enterprise_id": ent,
            "register": register[ent],
            "s": a.s,
            "is_major_hazard": a.is_major_hazard,
            "alpha": a.alpha,
            "exposed_residents": residents,
            "residential_areas": int(exp["residential_areas"]) if exp is not None else 0,
            "other_people": float(exp["other_people"]) if exp is not None else 0.0,
            "other_targets": int(exp["other_targets"]) if exp is not None else 0,
            "approximate": bool(exp["approximate"]) if exp is not None else True,
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
