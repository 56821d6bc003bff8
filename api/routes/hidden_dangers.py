"""``/api/v1/hidden-dangers``: the hidden-danger register (隐患排查治理; issue 15).

``GET`` lists items and ``GET /{id}`` answers one, for the caller's tier: the public (no key, or a
viewer) sees only the publicly listed MAJOR items (公示的重大事故隐患) with the enterprise, level,
deadline, status and 挂牌督办 — the description, unit, person and department responsible are null; an
analyst key (or above) sees every item with its details and its history. ``POST`` reports a new item
and ``POST /{id}/transition`` moves one along its workflow (reported → assigned → rectifying →
reviewed → closed 销号; a failed review goes back to rectifying): an analyst key, each change in the
item's history and the audit log; a step the workflow does not allow is a 409 naming the allowed ones.
Every item carries its flags on the day asked (``on``, default today): ``overdue`` (deadline passed,
not closed: a warning) and ``notice`` (a major item overdue: flagged for 通报).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from api.access import Principal, current_principal, require_role
from api.deps import get_database_url
from api.openapi import errors
from geo_risk.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/hidden-dangers", tags=["hidden-danger register (隐患排查治理)"])



def _iso_day(value: object) -> object:
    """A day only as YYYY-MM-DD (not a number of seconds, which pydantic would also read as a date)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("write a day as YYYY-MM-DD")


#: A calendar day written YYYY-MM-DD.
Day = Annotated[dt.date, BeforeValidator(_iso_day)]
Level = Literal["general", "major"]
Status = Literal["reported", "assigned", "rectifying", "reviewed", "closed"]
_ID = Path(description="the item's id (隐患编号), e.g. HD-JL-2026-001", max_length=100)
_ON = Query(description="the day overdue and 通报 flags are judged on (default: today, server time)")
_RESTRICTED = "RESTRICTED (analyst): null below analyst"


class HistoryEntry(BaseModel):
    at: dt.datetime
    actor: str
    role: str | None
    channel: str = Field(description="api or cli")
    from_status: str | None = Field(description="null: the item was created or imported")
    to_status: str
    note: str | None


class HiddenDanger(BaseModel):
    id: str = Field(description="隐患编号")
    enterprise_id: str
    enterprise_name: str | None
    level: Level = Field(description="general 一般事故隐患 / major 重大事故隐患 (国家安监总局令第16号)")
    level_label: str
    criterion: str | None = Field(description="the 安监总管三〔2017〕121号 situation that made it major, "
                                              "121-01 … 121-20")
    criterion_text: str | None
    deadline: dt.date = Field(description="整改期限: the last day allowed")
    status: Status = Field(description="reported 已上报 → assigned 已交办 → rectifying 整改中 → reviewed 已复查 → "
                                       "closed 已销号")
    status_label: str
    supervised: bool = Field(description="挂牌督办")
    supervised_by: str | None = Field(description="who supervises (督办单位)")
    overdue: bool = Field(description="deadline passed and not closed on the day asked: a warning")
    notice: bool = Field(description="a major item overdue: flagged for 通报")
    public: bool = Field(description="publicly listed (major items only)")
    found_on: dt.date | None = Field(description=f"发现日期; {_RESTRICTED}")
    description: str | None = Field(description=f"隐患描述; {_RESTRICTED}")
    unit_id: str | None = Field(description=f"the hazard unit; {_RESTRICTED}")
    unit_name: str | None = Field(description=_RESTRICTED)
    responsible: str | None = Field(description=f"责任人; {_RESTRICTED}")
    responsible_dept: str | None = Field(description=f"责任部门; {_RESTRICTED}")
    closed_at: dt.datetime | None = Field(description="when it was closed (销号)")
    history: list[HistoryEntry] | None = Field(default=None, description=f"status changes, oldest first (one item "
                                                                         f"only); {_RESTRICTED}")


class NewHiddenDanger(BaseModel):
    enterprise_id: str = Field(min_length=1, max_length=100, description="an enterprise of the store")
    unit_id: str | None = Field(default=None, max_length=100, description="a hazard unit of that enterprise")
    description: str = Field(min_length=1, max_length=4000, pattern=r"\S", description="隐患描述 (not blank)")
    level: Level
    criterion: str | None = Field(default=None, pattern=r"^121-(0[1-9]|1[0-9]|20)$",
                                  description="the 121号 situation (major items only)")
    found_on: Day
    deadline: Day = Field(description="整改期限, on or after found_on")
    responsible: str | None = Field(default=None, max_length=200)
    responsible_dept: str | None = Field(default=None, max_length=200)
    supervised: bool = False
    supervised_by: str | None = Field(default=None, max_length=200)
    public: bool = Field(default=False, description="list publicly (major items only)")
    note: str | None = Field(default=None, max_length=2000, description="a note for the history")


class Transition(BaseModel):
    to: Status
    note: str | None = Field(default=None, max_length=2000, description="why (kept in the history)")


#: The largest JSON body read (a report or a transition is a few kB).
MAX_BODY_BYTES = 256_000


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


async def _read(request: Request, model: type[BaseModel]) -> Any:
    """The JSON body as ``model``: any body that is not (bytes that are not UTF-8 included, which FastAPI
    would answer with a bare 400) is a 422 naming the fields at fault."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"the body exceeds {MAX_BODY_BYTES:,} bytes")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


def _shown(row: dict[str, Any], tier: str, with_history: list[dict[str, Any]] | None = None) -> HiddenDanger:
    if tier != "restricted":
        row = {**row, **{k: None for k in ("found_on", "description", "unit_id", "unit_name", "responsible",
                                           "responsible_dept")}}
        with_history = None
    fields = {k: row.get(k) for k in HiddenDanger.model_fields if k != "history"}
    return HiddenDanger(**fields, history=[HistoryEntry(**h) for h in with_history] if with_history else None)


def _actor(principal: Principal) -> str:
    return f"api:{principal.key_id or '?'}"


@router.get("", response_model=list[HiddenDanger], summary="The hidden-danger register (public: publicly listed "
            "major items, without description, unit or person)")
async def list_hidden_dangers(
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    overdue: Annotated[bool | None, Query(description="only overdue (true) or only not overdue (false) items")] = None,
    status: Annotated[Status | None, Query()] = None,
    level: Annotated[Level | None, Query()] = None,
    on: Annotated[Day | None, _ON] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[HiddenDanger]:
    from geo_risk.store.hidden_dangers import list_items

    rows = await run_in_threadpool(list_items, url, on=on, enterprise_id=enterprise_id, overdue=overdue,
                                   status=status, level=level, public_only=principal.tier != "restricted",
                                   limit=limit, offset=offset)
    return [_shown(r, principal.tier) for r in rows]


def _one(url: str, hid: str, tier: str, on: dt.date | None) -> HiddenDanger:
    from geo_risk.store.hidden_dangers import get, history

    row = get(url, hid, on)
    if tier != "restricted" and not (row["public"] and row["level"] == "major"):
        raise NotFound(f"no hidden danger {hid!r}: list them with GET /api/v1/hidden-dangers")  # as for unknown
    return _shown(row, tier, history(url, hid) if tier == "restricted" else None)


@router.get("/{hidden_danger_id}", response_model=HiddenDanger,
            summary="One hidden danger (analysts: with its details and history)")
async def get_hidden_danger(
    hidden_danger_id: Annotated[str, _ID],
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
    on: Annotated[Day | None, _ON] = None,
) -> HiddenDanger:
    return await run_in_threadpool(_one, url, hidden_danger_id, principal.tier, on)


@router.post("", response_model=HiddenDanger, status_code=201,
             summary="Report a hidden danger (analyst key); status reported, audited",
             responses=errors(404, _404="The enterprise named, or the unit within it, is not in the store"),
             openapi_extra=_body_doc(NewHiddenDanger))
async def create_hidden_danger(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("analyst"))],
    url: Annotated[str, Depends(get_database_url)],
) -> HiddenDanger:
    from geo_risk.store.hidden_dangers import create

    body = await _read(request, NewHiddenDanger)
    hid = await run_in_threadpool(create, url, body.model_dump(), actor=_actor(principal), role=principal.role,
                                  channel="api")
    return await run_in_threadpool(_one, url, hid, principal.tier, None)


@router.post("/{hidden_danger_id}/transition", response_model=HiddenDanger,
             summary="Move a hidden danger along its workflow (analyst key); audited",
             responses=errors(409, _409="The workflow does not allow this step from the item's status; the "
                                        "detail names the allowed ones (closing 销号 needs a review first)"),
             openapi_extra=_body_doc(Transition))
async def transition_hidden_danger(
    request: Request,
    hidden_danger_id: Annotated[str, _ID],
    principal: Annotated[Principal, Depends(require_role("analyst"))],
    url: Annotated[str, Depends(get_database_url)],
    on: Annotated[Day | None, _ON] = None,
) -> HiddenDanger:
    from geo_risk.store.hidden_dangers import transition

    body = await _read(request, Transition)
    await run_in_threadpool(transition, url, hidden_danger_id, body.to, note=body.note, actor=_actor(principal),
                            role=principal.role, channel="api", on=on)
    return await run_in_threadpool(_one, url, hidden_danger_id, principal.tier, on)
