"""``/api/v1/conflicts``: proximity conflicts — targets and homes inside a hazard's required distance
or above their individual-risk criterion (computed by ``geo-risk analyse``).

Public tier, like the external distances and iso-risk contours they are made from: distances,
individual risk, target classes and people affected say where risk reaches, not what is stored (no
inventory quantity or figure derived from one is in any field; texts pass the tier rule of
:mod:`api.disclosure` like every body). Every answer carries the settings used (the colour
mapping, tagged CHOICE) and ``current`` (false once the inputs or the risk results changed after the
analysis: run ``geo-risk analyse``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import get_database_url

router = APIRouter(prefix="/api/v1/conflicts", tags=["proximity conflicts (GB 36894, GB/T 37243)"])

Rule = Literal["external_distance", "declared_distance", "design_code_distance", "individual_risk",
               "cumulative_individual_risk"]
Colour = Literal["red", "orange", "yellow", "blue"]


class ConflictOut(BaseModel):
    id: str = Field(description="rule:unit-or-enterprise:target")
    rule: Rule
    rule_label: str
    view: str = Field(description="per_unit (distance rules), per_enterprise (IR: the regulatory test) or "
                                  "cumulative (IR summed over all enterprises: the regional view)")
    unit_id: str | None
    unit_name: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    park_id: str | None
    target_id: str
    target_name: str | None
    target_layer: str | None = Field(description="protection_targets or residential_areas")
    target_kind: str | None
    target_class: str | None = Field(description="GB 36894 class")
    class_label: str | None
    criteria: str | None = Field(description="GB 36894 column: new (新建) or existing (在役)")
    actual_distance_m: float | None
    required_distance_m: float | None
    shortfall_m: float | None
    ir_per_year: float | None
    criterion_per_year: float | None
    ir_ratio: float | None
    cumulative_ir_per_year: float | None = Field(description="IR summed over all enterprises at the target "
                                                             "(regional view)")
    population: float | None
    share_inside: float | None = Field(description="share of a residential block's area inside the zone (0–1)")
    people_affected: float | None
    colour: Colour
    colour_label: str | None
    basis: str | None
    admin_code: str | None
    geometry: dict[str, Any] | None = Field(description="GeoJSON line from the unit to the nearest point of the "
                                                        "target (EPSG:4326); null for the summed regional view")
    current: bool


class ConflictList(BaseModel):
    number_matched: int
    number_returned: int
    current: bool = Field(description="false when no analysis is stored or it is stale: run geo-risk analyse")
    computed_at: datetime | None
    settings: dict[str, Any] | None = Field(description="the settings used, with their confidence tags")
    notes: list[str]
    items: list[ConflictOut]


class TotalsOut(BaseModel):
    current: bool
    computed_at: datetime | None
    settings: dict[str, Any] | None
    totals: dict[str, list[dict[str, Any]]] = Field(
        description="per enterprise, park and (when the administrative areas are loaded) administrative area: "
                    "conflicts, targets, people affected (each target once), worst colour, targets per colour")
    summary: str | None


@router.get("", response_model=ConflictList, summary="Proximity conflicts (worst first) with the settings used")
def list_conflicts(
    enterprise_id: Annotated[str | None, Query(description="one enterprise")] = None,
    park_id: Annotated[str | None, Query(description="the enterprises of one chemical park")] = None,
    rule: Annotated[Rule | None, Query(description="one rule")] = None,
    colour: Annotated[Colour | None, Query(description="one severity colour")] = None,
    target_id: Annotated[str | None, Query(description="one protection target or residential area")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    url: str = Depends(get_database_url),
) -> ConflictList:
    from geo_risk.store.conflicts import latest_run
    from geo_risk.store.conflicts import list_conflicts as rows_of

    run = latest_run(url)
    if run is None:
        return ConflictList(number_matched=0, number_returned=0, current=False, computed_at=None, settings=None,
                            notes=["no stored conflict analysis: run `geo-risk analyse`"], items=[])
    rows, total = rows_of(url, enterprise_id=enterprise_id, park_id=park_id, rule=rule, colour=colour,
                          target_id=target_id, limit=limit, offset=offset)
    return ConflictList(number_matched=total, number_returned=len(rows), current=bool(run["current"]),
                        computed_at=run["computed_at"], settings=run["settings"], notes=list(run["notes"] or []),
                        items=[ConflictOut(**r) for r in rows])


@router.get("/totals", response_model=TotalsOut, summary="Conflict totals per enterprise, park and administrative area")
def conflict_totals(url: str = Depends(get_database_url)) -> TotalsOut:
    from geo_risk.store.conflicts import latest_run

    run = latest_run(url)
    if run is None:
        return TotalsOut(current=False, computed_at=None, settings=None, totals={},
                         summary="no stored conflict analysis: run `geo-risk analyse`")
    return TotalsOut(current=bool(run["current"]), computed_at=run["computed_at"], settings=run["settings"],
                     totals=run["totals"] or {}, summary=run["summary"])
