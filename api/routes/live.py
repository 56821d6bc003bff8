"""``GET /api/v1/live/enterprises``: the live map's state per enterprise (issue 15, dynamic risk).

Per enterprise: the stored four-colour class and its basis, the live class (raised while an alarm is active,
:mod:`geo_risk.monitoring.dynamic_risk`) with its reason (中文 first), the active alarms and the worst
priority, the units in alarm — public: colours, alarm counts and priorities carry no quantity. For analysts
and above also the live indicators of each unit with a live level: the live inventory per item, live S and
R beside the stored grade, and overfill (超量储存) — restricted, as they derive from inventories; a caller
below analyst gets ``live: null`` and never a figure. Units in alarm are listed with their alarms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.access import Principal, current_principal
from api.deps import get_database_url
from api.openapi import errors

router = APIRouter(prefix="/api/v1/live", tags=["live map (dynamic risk)"])

Colour = Literal["red", "orange", "yellow", "blue"]
Priority = Literal["critical", "high", "medium", "low"]
_RESTRICTED = "restricted: analysts and above; null below"


class LiveItem(BaseModel):
    chemical: str
    design_max_t: float = Field(description="design maximum inventory (设计最大量), t")
    live_t: float | None = Field(description="live quantity, t: level × vessels × vessel capacity; null without "
                                             "a vessel capacity (the design max then stands in for S and R)")
    overfill: bool = Field(description="live quantity above the design maximum (超量储存)")


class LiveUnit(BaseModel):
    unit_id: str
    level_sensor: str
    level_pct: float = Field(description="latest level, % of the working height")
    level_ts: datetime
    items: list[LiveItem]
    live_s: float | None = Field(description="S = Σ q/Q on live quantities (GB 18218 4.2), operational indicator")
    live_r: float | None = Field(description="R = α Σ β q/Q on live quantities, stored α; operational indicator")
    live_grade: int | None = Field(description="the grade R would give (1–4), null below S = 1; NOT the grade")
    stored_s: float | None = Field(description="S of the stored GB 18218 result (design maximum)")
    stored_r: float | None
    stored_grade: int | None = Field(description="the stored GB 18218 grade: the grade")
    complete: bool = Field(description="every item had a live quantity")
    overfill: bool
    note: str


class AlarmOnUnit(BaseModel):
    key: str
    kind: str
    priority: Priority
    state: str
    state_label: str
    active: bool
    message: str | None = Field(description=f"the alarm's text; {_RESTRICTED}")


class UnitInAlarm(BaseModel):
    unit_id: str
    unit_name: str | None
    enterprise_id: str
    lon: float | None
    lat: float | None
    worst_priority: Priority
    alarms: list[AlarmOnUnit]


class LiveEnterprise(BaseModel):
    id: str
    name: str | None
    lon: float | None = Field(description="a point on the enterprise (WGS 84)")
    lat: float | None
    stored_colour: Colour = Field(description="the stored four-colour class (service classification)")
    stored_colour_label: str
    stored_basis: str = Field(description="zoning (the current zoning run), official (应急〔2018〕19号 score) or "
                                          "derived (worst GB 18218 unit grade)")
    live_colour: Colour = Field(description="the stored class raised while an alarm is active (never replaces it)")
    live_colour_label: str
    raised: bool
    steps: int = Field(description="levels raised (0–3)")
    reason: str = Field(description="why the live class is what it is, 中文 / English")
    active_alarms: int = Field(description="alarms active now (in alarm, acknowledged or not, or shelved)")
    worst_priority: Priority | None
    worst_priority_label: str | None
    raising_alarms: list[str] = Field(description="keys of the alarms that raise the class")
    units_in_alarm: list[str]
    live: list[LiveUnit] | None = Field(description=f"live inventory, S and R of its units with a live level; "
                                                    f"{_RESTRICTED}")


class LiveAnswer(BaseModel):
    read_at: datetime
    tier: Literal["public", "restricted"]
    alarms_store: bool = Field(description="whether the store has the alarm tables (else no alarm is known)")
    zoning_current: bool = Field(description="whether stored colours come from a current zoning run")
    rule: str = Field(description="the raise rule, in words")
    enterprises: list[LiveEnterprise]
    units_in_alarm: list[UnitInAlarm]


_RULE = ("服务规则（CHOICE）：活动报警期间，紧急优先级报警使企业分级升 2 级、高优先级升 1 级，最高至红；原定级不变 / "
         "service rule (CHOICE): while an alarm is active, critical priority raises the enterprise's class two "
         "levels, high one, capped at red; the stored class is unchanged (docs/standards/alarm-management.md §A9)")


def _answer(url: str, tier: str, only_raised: bool, enterprise_id: str | None) -> LiveAnswer:
    from geo_risk.store.live import live_snapshot

    snap = live_snapshot(url, with_live=tier == "restricted")
    live_of: dict[str, list[LiveUnit]] = {}
    if tier == "restricted":
        for e in snap.enterprises:
            live_of[e["id"]] = []
        for uid, ul in snap.unit_live.items():
            st = snap.unit_stored[uid]
            sid, ts, level = st["level"]
            lu = LiveUnit(unit_id=uid, level_sensor=sid, level_pct=level, level_ts=ts,
                          items=[LiveItem(chemical=i.chemical, design_max_t=i.design_max_t, live_t=i.live_t,
                                          overfill=i.overfill) for i in ul.items],
                          live_s=ul.live.s if ul.live else None, live_r=ul.live.r if ul.live else None,
                          live_grade=ul.live.grade if ul.live else None, stored_s=st["s"], stored_r=st["r"],
                          stored_grade=st["grade"], complete=ul.complete, overfill=ul.overfill, note=ul.note)
            if st.get("enterprise_id") in live_of:
                live_of[st["enterprise_id"]].append(lu)
    ents = []
    for e in snap.enterprises:
        if enterprise_id is not None and e["id"] != enterprise_id:
            continue
        if only_raised and not e["raised"]:
            continue
        ents.append(LiveEnterprise(**e, live=live_of.get(e["id"]) if tier == "restricted" else None))
    units = [UnitInAlarm(**u) for u in snap.units_in_alarm
             if enterprise_id is None or u["enterprise_id"] == enterprise_id]
    if tier != "restricted":  # an alarm's text may carry a level or an inventory (as GET /api/v1/alarms hides)
        for u in units:
            for a in u.alarms:
                a.message = None
    return LiveAnswer(read_at=snap.read_at, tier=tier, alarms_store=snap.alarms_store,  # type: ignore[arg-type]
                      zoning_current=snap.zoning_current, rule=_RULE, enterprises=ents, units_in_alarm=units)


@router.get(
    "/enterprises",
    response_model=LiveAnswer,
    summary="Live colour of every enterprise (stored class raised by active alarms, with the reason), its alarms, "
            "units in alarm; live S/R and inventory for analysts",
    responses=errors(),
)
async def live_enterprises(
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
    only_raised: Annotated[bool, Query(description="only enterprises whose live class is raised")] = False,
    enterprise_id: Annotated[str | None, Query(max_length=200, description="one enterprise only")] = None,
) -> LiveAnswer:
    return await run_in_threadpool(_answer, url, principal.tier, only_raised, enterprise_id)
