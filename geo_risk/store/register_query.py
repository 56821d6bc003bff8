"""The register's query (重大危险源登记台账): the only SQL behind :mod:`geo_risk.register`.

One row per MAJOR hazard unit (``hazard_assessments.is_major_hazard``), in the register or planned,
joined with its enterprise, park and unit, and located by representative points (a point inside
the geometry, ``ST_PointOnSurface``, lon/lat EPSG:4326 rounded to 6 decimals, about 0.1 m).
Quantities (``terms``, ``inventory``) are restricted data: this is for the regulator's full-access URL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Numeric, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from geo_risk.store.db import get_engine
from geo_risk.store.models import ChemicalPark, Enterprise, HazardAssessment, HazardUnit, InventoryItem

__all__ = ["register_rows"]


def _lon_lat(geom, prefix: str) -> list:
    point = func.ST_PointOnSurface(geom)
    return [
        cast(func.round(cast(func.ST_X(point), Numeric), 6), Float).label(f"{prefix}_lon"),
        cast(func.round(cast(func.ST_Y(point), Numeric), 6), Float).label(f"{prefix}_lat"),
    ]


def _query():
    a, e, u, p, i = HazardAssessment, Enterprise, HazardUnit, ChemicalPark, InventoryItem
    # The unit's inventory rows as declared (name, CAS, design maximum quantity), in the order
    # grading read them (by id), so the register can show the declared name next to Table 1's.
    inventory = (
        select(func.jsonb_agg(aggregate_order_by(
            func.jsonb_build_object("chemical", i.chemical, "cas", i.cas, "max_quantity_t", i.max_quantity_t),
            i.id,
        )))
        .where(i.unit_id == u.id)
        .scalar_subquery()
        .label("inventory")
    )
    return (
        select(
            e.id.label("enterprise_id"), e.name.label("enterprise_name"), e.uscc, e.industry_code,
            e.status.label("enterprise_status"), e.source.label("enterprise_source"), p.name.label("park_name"),
            u.id.label("unit_id"), u.name.label("unit_name"), u.unit_type, u.equipment, u.safety_distance_m,
            a.register, a.s, a.alpha, a.exposed_residents, a.other_people, a.r, a.grade, a.main_substances,
            a.terms, inventory, a.approximate, a.notes, a.computed_at, a.method, a.inputs_version,
            *_lon_lat(u.geom, "unit"), *_lon_lat(e.geom, "enterprise"),
        )
        .select_from(a)
        .join(u, u.id == a.unit_id)
        .join(e, e.id == a.enterprise_id)
        .outerjoin(p, p.id == e.park_id)
        .where(a.is_major_hazard.is_(True))
        .order_by(a.grade, a.r.desc(), e.name, u.id)
    )


def register_rows(url: str) -> list[dict[str, Any]]:
    """Every major hazard unit of the store at ``url`` with the register's fields (dicts)."""
    with get_engine(url).connect() as conn:
        return [dict(row) for row in conn.execute(_query()).mappings()]

