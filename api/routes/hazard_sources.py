"""``/api/v1/hazard-sources``: GB 18218 major hazard sources, their grades and calculations.

Public tier: location, names, grade, R, α and the exposed population, the names of the main
substances. Restricted tier (analyst and above): S, the per-substance terms (q, Q, β, q/Q) and
anything a quantity can be derived from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.access import Principal, current_principal
from api.deps import get_database_url
from geo_risk.analysis.hazard_sources import REGISTER_LABELS
from geo_risk.errors import NotFound
from geo_risk.standards.gb18218 import GRADE_NAMES

router = APIRouter(prefix="/api/v1/hazard-sources", tags=["hazard sources (GB 18218)"])


class SubstanceTermOut(BaseModel):
    name_zh: str
    name_en: str
    table1_seq: int | None
    cas: str | None
    quantity_t: float = Field(description="design maximum inventory q, tonnes")
    critical_quantity_t: float = Field(description="critical quantity Q, tonnes")
    beta: float
    codes: list[str]
    q_over_q: float
    beta_q_over_q: float
    share_of_s: float
    matched_by: str
    basis: str


class HazardSourceOut(BaseModel):
    id: str
    name: str
    unit_type: str
    enterprise_id: str
    enterprise_name: str
    park_id: str | None
    # Named register_ in Python (``register`` would shadow BaseModel.register); "register" in JSON.
    register_: Literal["register", "planned"] = Field(
        alias="register", description="register (在册): operating/suspended; planned (拟建): listed apart")
    register_label: str = Field(description="what register means: 在册 In the register / 拟建 Planned")
    is_major_hazard: bool
    grade: int | None = Field(description="1 (一级, highest) … 4; null below the threshold")
    grade_zh: str | None
    grade_en: str | None
    r: float | None = Field(description="grading index R = α·Σβq/Q")
    alpha: float
    exposed_residents: float = Field(description="residents within 500 m outside the plant boundary (people)")
    other_people: float = Field(description="people of other protection targets in that ring (not residents)")
    approximate: bool = Field(description="true when the enterprise has no boundary polygon")
    main_substances: str | None
    safety_distance_m: float | None
    lon: float
    lat: float
    current: bool = Field(description="false when inputs changed after the grading: run geo-risk grade")
    computed_at: datetime
    method: str
    notes: str | None
    # restricted tier
    s: float | None = Field(default=None, description="Σq/Q (restricted: analyst and above)")
    terms: list[SubstanceTermOut] | None = Field(default=None, description="restricted: analyst and above")
    tier: Literal["public", "restricted"]


class HazardSourceList(BaseModel):
    number_matched: int
    number_returned: int
    items: list[HazardSourceOut]


def _out(row: dict, principal: Principal) -> HazardSourceOut:
    restricted = principal.tier == "restricted"
    g = row["grade"]
    return HazardSourceOut(
        **{k: row[k] for k in HazardSourceOut.model_fields if k in row and k not in ("s", "terms")},
        register=row["register"],
        register_label=REGISTER_LABELS[row["register"]],
        grade_zh=GRADE_NAMES[g][0] if g else None,
        grade_en=GRADE_NAMES[g][1] if g else None,
        s=row["s"] if restricted else None,
        terms=row["terms"] if restricted else None,
        tier=principal.tier,
    )


@router.get("", response_model=HazardSourceList, response_model_exclude_none=False,
            summary="Major hazard units with their grade (register and planned)")
def list_hazard_sources(
    grade: Annotated[int | None, Query(ge=1, le=4)] = None,
    register: Annotated[Literal["register", "planned"] | None, Query()] = None,
    enterprise_id: str | None = None,
    include_below_threshold: Annotated[bool, Query(description="also units with S < 1")] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> HazardSourceList:
    from geo_risk.store.results import hazard_sources

    rows, total = hazard_sources(url, major_only=not include_below_threshold, grade=grade, register=register,
                                 enterprise_id=enterprise_id, limit=limit, offset=offset)
    return HazardSourceList(number_matched=total, number_returned=len(rows), items=[_out(r, principal) for r in rows])


@router.get("/{unit_id}", response_model=HazardSourceOut, summary="One unit's GB 18218 result with its calculation")
def get_hazard_source(
    unit_id: str, principal: Principal = Depends(current_principal), url: str = Depends(get_database_url)
) -> HazardSourceOut:
    from geo_risk.store.results import hazard_source

    row = hazard_source(url, unit_id)
    if row is None:
        raise NotFound(f"no graded hazard unit {unit_id!r} (closed enterprises are not graded; run geo-risk grade)")
    return _out(row, principal)
