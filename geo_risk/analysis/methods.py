"""GB/T 37243-2019 method selection over a whole register: one row per enterprise and per unit.

:func:`method_rows` is pure (frames in, a frame out); :func:`method_table` reads the store and calls
it. For each enterprise and unit: the method (事故后果法 / 定量风险评价法 / 规范距离) and its reason, the
GB 36894 criteria column that follows from the enterprise's status (新建 / 在役; closed enterprises
are listed but left out: ``assessed`` False), and for units the design-code distances per GB 36894
class (metres). All the choices behind them are in :mod:`geo_risk.standards.gbt37243`.
"""

from __future__ import annotations

import pandas as pd

from geo_risk.standards.gb36894 import TARGET_CLASSES
from geo_risk.standards.gbt37243 import (
    QRA_TRIGGER,
    QraTrigger,
    code_distances,
    criteria_column,
    select_methods,
)

__all__ = ["COLUMNS", "UNIT_COLUMNS", "INVENTORY_COLUMNS", "method_rows", "method_table"]

#: hazard_units columns read from the store.
UNIT_COLUMNS: tuple[str, ...] = ("enterprise_id", "name", "unit_type", "equipment", "fire_class")
#: inventory columns read from the store.
INVENTORY_COLUMNS: tuple[str, ...] = (
    "unit_id", "chemical", "cas", "max_quantity_t", "table1_seq", "hazard_categories", "state",
)
_CODE_COLUMNS = tuple(f"code_distance_{c}_m" for c in TARGET_CLASSES)
#: Columns of the table, in order.
COLUMNS: tuple[str, ...] = (
    "level", "enterprise_id", "unit_id", "name", "status", "method", "method_label", "reason", "provisional",
    "gas_sum", "criteria", "criteria_label", "assessed", *_CODE_COLUMNS, "code_reason", "code_statuses",
)


def method_rows(
    enterprises: pd.DataFrame,
    units: pd.DataFrame,
    inventory: pd.DataFrame,
    *,
    trigger: QraTrigger = QRA_TRIGGER,
) -> pd.DataFrame:
    """The method table from frames.

    Parameters
    ----------
    enterprises
        Index enterprise id; ``name``, ``status`` (operating/suspended/closed/planned).
    units
        Index unit id; ``enterprise_id``, ``name``, ``unit_type``, ``equipment``, ``fire_class``.
    inventory
        ``unit_id``, ``chemical``, ``cas``, ``table1_seq``, ``hazard_categories``, ``max_quantity_t`` (t),
        ``state``.
    trigger
        The QRA trigger's form (:data:`geo_risk.standards.gbt37243.QRA_TRIGGER`, UNCONFIRMED).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; one row per enterprise (``level`` "enterprise", ``unit_id`` None, no code
        distances) followed by its units (``level`` "unit"). ``gas_sum`` is Σ q/Q over toxic and
        flammable gases (the enterprise's total, or the unit's own). ``code_distance_<class>_m`` in
        metres, NaN where not determined (``code_reason`` says why).

    Raises
    ------
    InvalidInput
        An unknown enterprise status, a unit of an unknown enterprise, a bad quantity.
    """
    ent_methods, unit_methods = select_methods(enterprises, units, inventory, trigger=trigger)
    inv_by_unit: dict[str, list[dict]] = {}
    for rec in inventory.to_dict("records") if len(inventory) else []:
        inv_by_unit.setdefault(str(rec["unit_id"]), []).append(rec)
    units_of: dict[object, list] = {}
    for uid, ent in units["enterprise_id"].items():
        units_of.setdefault(ent, []).append(uid)
    records: list[dict] = []
    for ent, e in enterprises.iterrows():
        crit = criteria_column(e["status"])
        m = ent_methods.loc[ent]
        common = {
            "enterprise_id": ent, "status": e["status"],
            "criteria": crit.key if crit else None,
            "criteria_label": crit.label if crit else "已关闭，不评估 / closed: left out",
            "assessed": crit is not None,
        }
        records.append({
            "level": "enterprise", "unit_id": None, "name": e.get("name"), "method": m["method"],
            "method_label": m["method_label"], "reason": m["reason"], "provisional": bool(m["provisional"]),
            "gas_sum": float(m["gas_sum"]), **common, **dict.fromkeys(_CODE_COLUMNS),
            "code_reason": None, "code_statuses": None,
        })
        for uid in units_of.get(ent, []):
            u = units.loc[uid]
            um = unit_methods.loc[str(uid)]
            code = code_distances({**u.to_dict(), "id": uid}, inv_by_unit.get(str(uid), []))
            records.append({
                "level": "unit", "unit_id": uid, "name": u.get("name"), "method": um["method"],
                "method_label": um["method_label"], "reason": um["reason"], "provisional": bool(um["provisional"]),
                "gas_sum": float(um["gas_sum"]), **common,
                **{f"code_distance_{c}_m": code.distance_m[c] for c in TARGET_CLASSES},
                "code_reason": code.reason, "code_statuses": ";".join(code.statuses) or None,
            })
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    for col in _CODE_COLUMNS:
        frame[col] = frame[col].astype(float)
    return frame


def method_table(url: str, *, trigger: QraTrigger = QRA_TRIGGER) -> pd.DataFrame:
    """:func:`method_rows` on the enterprises, hazard units and inventory of the store at ``url``."""
    from geo_risk.store.read import read_table  # the store only here: the engine stays importable without it

    enterprises = read_table(url, "enterprises", ("name", "status"))
    units = read_table(url, "hazard_units", UNIT_COLUMNS)
    inventory = read_table(url, "inventory", INVENTORY_COLUMNS, index=False)
    return method_rows(enterprises, units, inventory, trigger=trigger)
