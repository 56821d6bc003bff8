"""``/api/v1/clusters``: joint-prevention clusters (联防联控) — which plants must plan together, and why
(computed by ``geo-risk analyse`` or ``geo-risk clusters``).

Public tier: members, links with their kind, vector, threshold, distance and rule, combined GB 18218 R
(public in this service, like the grade), people, colours, outlines. A link's ``value`` (the heat flux,
overpressure or fireball radius that reached the threshold) follows from the inventories: it is given
to analysts and above only (null below), and the reasons carry it in tiered spans that
:mod:`api.disclosure` renders for the caller. Every answer carries the rules used (thresholds
UNCONFIRMED, choices CHOICE) and ``current`` (false once the inputs or the risk runs changed after the
analysis).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.access import Principal, current_principal
from api.deps import get_database_url

router = APIRouter(prefix="/api/v1/clusters", tags=["joint-prevention clusters (联防联控)"])

Colour = Literal["red", "orange", "yellow", "blue"]
Kind = Literal["domino", "fallback", "policy"]


class LinkOut(BaseModel):
    id: str = Field(description="kind:enterprise_a:enterprise_b")
    enterprise_a: str
    enterprise_b: str
    kind: Kind = Field(description="domino (physical escalation), fallback (distance rule for units without "
                                   "consequence data) or policy (位置相邻、行业相近、业态相似)")
    vector: str | None = Field(description="heat, overpressure, fire engulfment, fireball engulfment, distance")
    equipment_class: str | None = Field(description="the target's class for the threshold: atmospheric, pressurised, "
                                                    "elongated, small")
    value: float | None = Field(description="what reached the threshold (kW/m², kPa or m); restricted: analyst and "
                                            "above, null below")
    value_unit: str | None
    threshold: float | None = Field(description="the threshold met (kW/m², kPa, m) or, for a policy link, the "
                                                "least weight kept")
    scenario: str | None = Field(description="the primary scenario: unit, loss of containment, outcome")
    primary_unit: str | None
    target_unit: str | None
    distance_m: float | None
    weight: float | None = Field(description="policy link weight: shared traits / 2 × proximity")
    rule: str | None
    cross_park: bool = Field(description="the two plants are not in one park")
    evidence_count: int = Field(description="scenario–unit pairs (or unit pairs) that gave this link")
    reason: str | None
    geometry: dict[str, Any] | None = Field(description="GeoJSON line between the two units or plants (EPSG:4326)")


class ClusterOut(BaseModel):
    id: str = Field(description="CL-<smallest member id>")
    members: list[str]
    member_names: str | None
    n_members: int
    n_links: int
    kinds: str | None
    lead_enterprise_id: str | None
    lead_enterprise_name: str | None
    lead_reason: str | None = Field(description="why this enterprise is suggested to lead: degree centrality + share "
                                                "of the cluster's R")
    combined_r: float | None = Field(description="Σ of the members' GB 18218 R")
    people: float | None = Field(description="people inside the union of the members' 3×10⁻⁶/a contours (null when "
                                             "no contour is stored)")
    people_basis: str | None
    worst_colour: Colour | None
    colour_basis: str | None
    parks: str | None
    cross_park: bool
    outline: dict[str, Any] | None = Field(description="GeoJSON outline: the members' convex hull, buffered")
    links: list[LinkOut]


class ClusterList(BaseModel):
    number_matched: int
    number_returned: int
    current: bool = Field(description="false when no analysis is stored or it is stale: run geo-risk analyse")
    computed_at: datetime | None
    settings: dict[str, Any] | None = Field(description="the rules and thresholds used, with their tags")
    notes: list[str]
    items: list[ClusterOut]


@router.get("", response_model=ClusterList, summary="Joint-prevention clusters (largest first) with links and rules")
def list_clusters(
    enterprise_id: Annotated[str | None, Query(description="the cluster holding this enterprise")] = None,
    park_id: Annotated[str | None, Query(description="clusters with a member in this chemical park")] = None,
    min_members: Annotated[int, Query(ge=1, le=100_000, description="only clusters this large")] = 1,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> ClusterList:
    from geo_risk.store.clusters import latest_run, links_of
    from geo_risk.store.clusters import list_clusters as rows_of

    run = latest_run(url)
    if run is None:
        return ClusterList(number_matched=0, number_returned=0, current=False, computed_at=None, settings=None,
                           notes=["no stored cluster analysis: run `geo-risk analyse`"], items=[])
    rows, total = rows_of(url, enterprise_id=enterprise_id, park_id=park_id, min_members=min_members, limit=limit,
                          offset=offset)
    restricted = principal.tier == "restricted"
    links: dict[str, list[LinkOut]] = {}
    for lk in links_of(url, [r["id"] for r in rows]):
        line = lk.pop("line")
        cid = lk.pop("cluster_id")
        if not restricted:
            lk["value"] = None
        links.setdefault(cid, []).append(LinkOut(**lk, geometry=json.loads(line) if line else None))
    items = []
    for r in rows:
        outline = r.pop("outline")
        items.append(ClusterOut(**r, outline=json.loads(outline) if outline else None, links=links.get(r["id"], [])))
    return ClusterList(number_matched=total, number_returned=len(items), current=bool(run["current"]),
                       computed_at=run["computed_at"], settings=run["settings"], notes=list(run["notes"] or []),
                       items=items)
