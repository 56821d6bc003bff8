"""``/api/v1/relocation-plan``: the relocation plan (搬迁入园, 国办发〔2017〕77号; issue 14).

``GET`` answers the stored plan, computing and storing it first when none is stored or it is stale
(a heavy-work slot of the caller's tier); ``POST`` (analyst key) recomputes it and records the run in
the audit log. Every answer carries the settings used with their tags (the candidate rule, the
decision aid, the prices and the new site's placement are service CHOICES, the upgrade scaling a PROXY).
The new site's risk is the siting check of the firm's inventory placed in the park (``solver.site_check_pairs``:
every pair checked, its verdict and the people at IR ≥ 3×10⁻⁷/a there); the F-N before and after of each park
the plan touches is computed by the risk engine (``parks[].fn_*``).

Restricted: an upgrade's inventory share and the largest quantity per chemical (``upgrade_share``,
``upgrade_inventory``) and the option's price (``cost``: an upgrade's price is its share) are derived
from inventory quantities and are null below analyst; the reasons' figures are tiered spans rendered
for the caller's tier. The parks' F-N (``fn_before``, ``fn_after``, their regions and members) derive from
inventories: null below analyst and named in the row's ``withheld``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.access import Principal, current_principal, require_role
from api.deps import get_database_url
from api.openapi import errors

router = APIRouter(prefix="/api/v1/relocation-plan", tags=["relocation plan (国办发〔2017〕77号)"])

Outcome = Literal["in_situ_upgrade", "relocate_to_park", "close_exit"]


class CaseOut(BaseModel):
    enterprise_id: str
    enterprise_name: str | None
    outcome: Outcome = Field(description="就地改造 in_situ_upgrade / 异地迁建 relocate_to_park / 关闭退出 close_exit")
    outcome_label: str | None
    colour: str | None
    park_id: str | None = Field(description="the receiving park (relocations)")
    park_name: str | None
    decision_rule: str | None = Field(description="which test of the §3 decision aid decided it")
    reason: str | None
    in_scope_reasons: str | None = Field(description="the §2 candidate tests that hold (comma-separated codes)")
    conflicts: int | None
    targets: int | None
    people_affected: float | None
    density_per_km2: float | None = Field(description="residents per km² within the density ring")
    land_ha: float | None
    land_basis: str | None
    distance_km: float | None
    new_site_people: float | None = Field(description="people the firm would put at IR ≥ 3×10⁻⁷/a at the new site "
                                                      "(the siting check's QRA there; the distance-count PROXY where "
                                                      "the firm has no QRA)")
    new_site_targets: int | None
    upgrade_offered: bool | None
    upgrade_share: float | None = Field(description="RESTRICTED (analyst): largest inventory share clearing "
                                                    "every conflict")
    upgrade_inventory: str | None = Field(description="RESTRICTED (analyst): largest quantity per chemical, t")
    upgrade_shortfall_m: float | None = Field(description="distance still missing when no inventory cut clears "
                                                          "the conflicts, m")
    cost: float | None = Field(description="RESTRICTED (analyst): the chosen option's price (cost points)")
    fn_note: str | None
    geometry: dict[str, Any] | None = Field(description="GeoJSON: line from the site to the park's candidate point "
                                                        "(relocations) or the site's point (EPSG:4326)")


class PlanOut(BaseModel):
    current: bool = Field(description="false when the stored plan is stale (inputs or risk results changed)")
    computed_at: datetime | None
    summary: str | None
    settings: dict[str, Any] | None = Field(description="the settings used, with their confidence tags")
    notes: list[str]
    benefit: dict[str, Any] | None = Field(description="conflicts resolved, people per IR band before/after, "
                                                       "what of the F-N is recomputed and what approximated")
    parks: list[dict[str, Any]] = Field(description="per park: land used and left; for a park the plan touches "
                                                    "(firms moved in or out, closed, cut) its F-N before and after "
                                                    "(fn_before, fn_after: n deaths, f per year; fn_region_*, "
                                                    "fn_changes) — RESTRICTED: null below analyst, listed in "
                                                    "withheld")
    solver: dict[str, Any] | None = Field(description="the MIP (HiGHS via PuLP) and the greedy alternative; the "
                                                      "siting checks at the new sites (site_check_pairs) and times")
    cases: list[CaseOut]


def _answer(url: str, tier: str) -> PlanOut:
    import json

    import numpy as np
    import shapely

    from geo_risk.relocation_plan import public_cases, public_parks
    from geo_risk.store.relocation import RESTRICTED_CASE_COLUMNS, latest_plan, plan_cases

    run = latest_plan(url)
    cases = public_cases(plan_cases(url), tier)
    items = []
    for rec, geom in zip(cases.drop(columns="geometry").to_dict("records"), cases.geometry.values, strict=True):
        rec = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        for k in RESTRICTED_CASE_COLUMNS:
            rec.setdefault(k, None)
        rec["geometry"] = json.loads(shapely.to_geojson(geom)) if geom is not None else None
        items.append(CaseOut(**rec))
    return PlanOut(current=bool(run["current"]), computed_at=run["computed_at"], summary=run["summary"],
                   settings=run["settings"], notes=list(run["notes"] or []), benefit=run["benefit"],
                   parks=public_parks(list(run["parks"] or []), tier), solver=run["solver"], cases=items)


def _compute(request: Request, principal: Principal, url: str) -> None:
    from geo_risk.relocation_plan import run_relocation_plan

    with request.app.state.heavy.slot(principal.tier, "relocation plan"):
        run_relocation_plan(url, settings=request.app.state.settings, data_dir=request.app.state.settings.data_dir)


@router.get("", response_model=PlanOut, summary="The relocation plan (computed first when missing or stale)",
            responses=errors(429))
async def get_plan(request: Request, principal: Principal = Depends(current_principal),
                   url: str = Depends(get_database_url)) -> PlanOut:
    from geo_risk.store.relocation import latest_plan

    run = await run_in_threadpool(latest_plan, url)
    if run is None or not run["current"]:
        await run_in_threadpool(_compute, request, principal, url)
        await run_in_threadpool(request.app.state.version_watch.refresh)
    return await run_in_threadpool(_answer, url, principal.tier)


@router.post("", response_model=PlanOut, summary="Recompute the relocation plan (analyst key); audited",
             responses=errors(429))
async def post_plan(request: Request, principal: Principal = Depends(require_role("analyst")),
                    url: str = Depends(get_database_url)) -> PlanOut:
    from geo_risk.store.audit import record

    try:
        await run_in_threadpool(_compute, request, principal, url)
    except Exception as exc:
        await run_in_threadpool(record, url, actor=principal.key_id or "?", role=principal.role, channel="api",
                                action="relocation-plan", target="all", outcome="failed", details={"error": str(exc)})
        raise
    await run_in_threadpool(record, url, actor=principal.key_id or "?", role=principal.role, channel="api",
                            action="relocation-plan", target="all", outcome="ok", details={})
    await run_in_threadpool(request.app.state.version_watch.refresh)
    return await run_in_threadpool(_answer, url, principal.tier)
