"""``/api/v1/alarms``: the alarms of the live monitoring (issue 15) — list, one, audit, actions, EEMUA figures,
and the event stream.

The alarms are evaluated where the readings arrive (:mod:`geo_risk.monitoring.alarm_service`: this
process's HTTP ingest, or ``geo-risk ingest`` in another process) and stored in ``alarms``; every change
is announced by ``NOTIFY geo_risk_alarms``. :class:`AlarmStream` LISTENs on one connection of this
process and fans each notice out to the subscribers of ``GET /api/v1/alarms/stream`` (Server-Sent
Events): on connect an ``event: snapshot`` with the alarms that matter now, then an ``event: alarm`` per
change, and a ``: heartbeat`` comment every ``GEO_RISK_ALARM_STREAM_HEARTBEAT_S`` (15 s) when idle. A
client that does not ask for ``text/event-stream`` in ``Accept`` (EventSource always does) gets the
snapshot alone and the end of the stream.

Tiers: anyone sees an alarm's key, place, kind, priority and state; the value, limit and message of
level and overfill alarms derive from inventories and are null below analyst (messages carry their
figures in restricted spans besides: :mod:`geo_risk.disclosure`), and who acknowledged or shelved is
null below analyst. The stream's payload has no value and no message: the same for every caller. The
audit trail and the actions need an analyst key; the actor recorded is the key's label and role. An
action the alarm's state does not allow is a 409 naming the state and the actions allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import select
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from api.access import Principal, current_principal, require_role
from api.deps import get_app_settings, get_database_url
from api.openapi import errors, ok
from geo_risk.errors import InvalidInput
from geo_risk.settings import Settings

__all__ = ["router", "install", "AlarmStream", "closing_event"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms (报警)"])

State = Literal["normal", "unack_active", "ack_active", "rtn_unack", "shelved", "suppressed", "out_of_service"]
_KEY = Path(description="the alarm's key, <sensor_id>:<kind>, e.g. U1-LT:HH", min_length=3, max_length=200)
_RESTRICTED = "RESTRICTED (analyst) for level and overfill alarms: null below analyst"
#: Kinds whose values and messages derive from an inventory (with the level sensors' quantity).
_INVENTORY_KINDS = {"OVERFILL"}


class AlarmItem(BaseModel):
    key: str = Field(description="<sensor_id>:<kind>")
    sensor_id: str
    enterprise_id: str | None
    unit_id: str | None
    area: str | None = Field(description="the alarm area (EEMUA rates), by default the hazard unit")
    kind: str = Field(description="HH, H, L, LL, ROC, RANGE, STUCK, OVERFILL or SILENT")
    kind_label: str = Field(description="中文 / English")
    priority: str = Field(description="critical, high, medium or low")
    priority_label: str
    state: State = Field(description="ISA-18.2: normal, unack_active, ack_active, rtn_unack, shelved, suppressed, "
                                     "out_of_service")
    state_label: str
    active: bool = Field(description="the process condition is in alarm now")
    value: float | None = Field(description=f"the reading of the last transition (sensor unit); {_RESTRICTED}")
    limit_value: float | None = Field(description=f"the limit it was judged against; {_RESTRICTED}")
    message: str | None = Field(description=f"中文 / English text of the last transition; {_RESTRICTED}")
    raised_at: dt.datetime | None
    changed_at: dt.datetime
    shelved_until: dt.datetime | None
    shelved_by: str | None = Field(description="RESTRICTED (analyst): null below analyst")
    acknowledged_by: str | None = Field(description="RESTRICTED (analyst): null below analyst")
    acknowledged_at: dt.datetime | None


class AuditItem(BaseModel):
    id: int
    ts: dt.datetime
    key: str
    who: str = Field(description="system, or the API key's label and role")
    action: str
    from_state: str
    to_state: str
    reason: str


def _iso_time(value: object) -> object:
    """A time only as ISO 8601 text (not a number of seconds or a bare day, which pydantic would also read)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*", value):
        return value
    raise ValueError("write a time as ISO 8601, e.g. 2026-12-06T08:00:00Z")


#: A time written ISO 8601 (no zone: UTC).
IsoTime = Annotated[dt.datetime, BeforeValidator(_iso_time)]


class ActionBody(BaseModel):
    reason: str | None = Field(default=None, max_length=2000, description="why (kept in the audit)")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                        description="why (kept in the audit): the design reason or the work order")


class ShelveBody(BaseModel):
    until: IsoTime = Field(description="when the shelf expires (ISO 8601; no zone: UTC): in the future and at most "
                                       "max_shelve_s (12 h, GEO_RISK_ALARM_PARAMETERS) ahead")
    reason: str | None = Field(default=None, max_length=2000, description="why (kept in the audit)")


def _labels(kind: str, priority: str, state: str) -> tuple[str, str, str]:
    from geo_risk.monitoring.alarms import KIND_LABELS
    from geo_risk.monitoring.lifecycle import PRIORITY_LABELS, STATE_LABELS

    return tuple(" / ".join(t) for t in (KIND_LABELS.get(kind, (kind, kind)),  # type: ignore[return-value]
                                         PRIORITY_LABELS.get(priority, (priority, priority)),
                                         STATE_LABELS.get(state, (state, state))))


def _shown(row: dict[str, Any], tier: str) -> AlarmItem:
    row = dict(row)
    if tier != "restricted":
        if row["kind"] in _INVENTORY_KINDS or row.get("quantity") == "level":
            row.update(value=None, limit_value=None, message=None)
        row.update(shelved_by=None, acknowledged_by=None)
    kind_label, priority_label, state_label = _labels(row["kind"], row["priority"], row["state"])
    fields = {k: row.get(k) for k in AlarmItem.model_fields if not k.endswith("_label")}
    return AlarmItem(**fields, kind_label=kind_label, priority_label=priority_label, state_label=state_label)


def _who(principal: Principal) -> str:
    return f"api:{principal.key_id or '?'} ({principal.role})"


# -- the stream -------------------------------------------------------------------------------------
class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = 1000) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.overflow = False

    def put(self, message: str) -> None:  # on the loop's thread
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflow = True  # the reader resynchronises with a fresh snapshot


class AlarmStream:
    """A LISTEN ``geo_risk_alarms`` connection of this process, fanned out to the stream's subscribers.

    The listening thread starts with the first subscriber and reconnects on a lost connection (a
    subscriber then gets a fresh snapshot: changes while it was down are not lost).
    """

    def __init__(self, url: str) -> None:
        self.dsn = url.replace("postgresql+psycopg2://", "postgresql://")
        self._subs: set[_Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()
        self.delivered = 0

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> _Subscriber:
        sub = _Subscriber(loop)
        with self._lock:
            self._subs.add(sub)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="geo_risk-alarm-listen", daemon=True)
                self._thread.start()
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _fan_out(self, message: str) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                sub.loop.call_soon_threadsafe(sub.put, message)
        self.delivered += 1

    def _run(self) -> None:
        import psycopg2

        from geo_risk.store.alarms import CHANNEL

        failures = 0
        while not self._stop.is_set():
            conn = None
            try:
                conn = psycopg2.connect(self.dsn, connect_timeout=5, application_name="geo_risk-alarm-stream")
                conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
                with conn.cursor() as cur:
                    cur.execute(f"LISTEN {CHANNEL}")
                if failures:
                    self._fan_out("")  # reconnected: subscribers take a fresh snapshot
                failures = 0
                self.listening.set()
                while not self._stop.is_set():
                    if select.select([conn], [], [], 1.0) == ([], [], []):
                        continue
                    conn.poll()
                    while conn.notifies:
                        self._fan_out(conn.notifies.pop(0).payload)
            except Exception as exc:  # noqa: BLE001 - reconnect on any failure
                failures += 1
                (log.warning if failures == 1 else log.debug)("alarm stream listener: %s; retrying", exc)
            finally:
                self.listening.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
            self._stop.wait(min(10.0, 0.5 * 2 ** min(failures, 5)))


def closing_event(app: FastAPI) -> threading.Event:
    """Set when the server begins to shut down: open event streams end within a second (``geo-risk serve``
    sets it from uvicorn's exit signal; without it a stream would hold the shutdown until the client leaves)."""
    event = getattr(app.state, "closing", None)
    if event is None:
        event = app.state.closing = threading.Event()
    return event


def _stream(request: Request) -> AlarmStream:
    stream = getattr(request.app.state, "alarm_stream", None)
    if stream is None:
        stream = request.app.state.alarm_stream = AlarmStream(request.app.state.database_url)
    return stream


def _sse(event: str, data: object) -> str:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {text}\n\n"


@router.get("/stream", response_class=StreamingResponse,
            summary="Alarm changes as Server-Sent Events: a snapshot, then one event per change (public payload)",
            responses=ok("text/event-stream", description=(
                "event: snapshot (data: a JSON list of the alarms active or awaiting acknowledgement), then "
                "event: alarm per change (data: {key, sensor_id, enterprise_id, unit_id, kind, priority, state, "
                "active, ts}), and a ': heartbeat' comment when idle. Without 'Accept: text/event-stream' the "
                "stream ends after the snapshot.")))
async def alarm_stream(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    url: Annotated[str, Depends(get_database_url)],
) -> StreamingResponse:
    from geo_risk.store.alarms import snapshot

    live = "text/event-stream" in (request.headers.get("accept") or "").lower()
    stream = _stream(request) if live else None
    sub = stream.subscribe(asyncio.get_running_loop()) if stream is not None else None
    try:
        if stream is not None:  # listening before the snapshot is read: no change falls between the two
            await asyncio.get_running_loop().run_in_executor(None, stream.listening.wait, 5.0)
        first = await run_in_threadpool(snapshot, url)  # before the answer starts: an unreachable store is a 503
    except BaseException:
        if sub is not None and stream is not None:
            stream.unsubscribe(sub)
        raise
    heartbeat = settings.alarm_stream_heartbeat_s
    closing = closing_event(request.app)

    async def events() -> AsyncIterator[str]:
        try:
            if sub is None:
                yield _sse("snapshot", first)
                return
            yield "retry: 3000\n\n" + _sse("snapshot", first)
            last = time.monotonic()
            while not closing.is_set():  # the server shutting down ends the stream (EventSource reconnects)
                try:
                    message = await asyncio.wait_for(sub.queue.get(), timeout=min(1.0, heartbeat))
                except TimeoutError:
                    if time.monotonic() - last >= heartbeat:
                        last = time.monotonic()
                        yield ": heartbeat\n\n"
                    continue
                last = time.monotonic()
                if sub.overflow or not message:
                    sub.overflow = False
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    yield _sse("snapshot", await run_in_threadpool(snapshot, url))
                    continue
                yield _sse("alarm", message)
        finally:
            if sub is not None and stream is not None:
                stream.unsubscribe(sub)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- figures ----------------------------------------------------------------------------------------
#: The window of the figures is cut to this span (no event is stored outside it; pandas' clock ends in 2262).
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_HORIZON = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _utc(t: dt.datetime) -> dt.datetime:
    """``t`` in UTC (a time without a zone is read as UTC), cut to [1970, 2200]."""
    try:
        t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    except OverflowError:  # an offset past the calendar's first or last day
        return _EPOCH if t.year < 1970 else _HORIZON
    return min(max(t, _EPOCH), _HORIZON)


def _figures(url: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    import pandas as pd

    from geo_risk.monitoring.metrics import eemua_figures
    from geo_risk.store.alarms import event_rows

    frame = pd.DataFrame(event_rows(url, start, end), columns=["ts", "key", "area", "transition", "priority"])
    return eemua_figures(frame, start, end).to_dict()


@router.get("/metrics", response_model=dict[str, Any],
            summary="EEMUA 191 / ISA-18.2 alarm-system figures over a window (default: the last 24 h), and the "
                    "counts of this process's alarm evaluator (batches, readings, events, changes, failures)",
            responses=errors(429))
async def alarm_metrics(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
    start: Annotated[IsoTime | None, Query(alias="from", description="window start, ISO 8601 (no zone: UTC); "
                                                                          "default: 24 h before 'to'. 'from' and "
                                                                          "'to' may come in either order; the "
                                                                          "window is cut to 1970–2200")] = None,
    end: Annotated[IsoTime | None, Query(alias="to", description="window end, ISO 8601 (no zone: UTC); "
                                                                      "default: now")] = None,
) -> dict[str, Any]:
    end = _utc(end) if end is not None else dt.datetime.now(dt.UTC)
    start = _utc(start) if start is not None else max(_EPOCH, end - dt.timedelta(hours=24))
    start, end = min(start, end), max(start, end)

    def work() -> dict[str, Any]:
        with request.app.state.heavy.slot(principal.tier, "alarm figures"):
            return _figures(url, start, end)

    figures = await run_in_threadpool(work)
    service = getattr(request.app.state, "alarm_service", None)  # this process's evaluator (HTTP readings)
    if service is not None:
        stats = service.stats()
        figures["evaluator"] = {k: stats[k] for k in ("batches", "readings", "events", "changes", "failures")}
    return figures


# -- the alarms ---------------------------------------------------------------------------------------
@router.get("", response_model=list[AlarmItem],
            summary="The stored alarms, newest change first (public: no value or message of level and overfill "
                    "alarms)")
async def list_alarms(
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
    state: Annotated[State | None, Query()] = None,
    active: Annotated[bool | None, Query(description="only alarms whose condition is (not) in alarm now")] = None,
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[IsoTime | None, Query(description="only alarms changed at or after this time "
                                                           "(ISO 8601; no zone: UTC)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AlarmItem]:
    from geo_risk.store.alarms import list_alarms as query

    since = _utc(since) if since is not None else None
    rows = await run_in_threadpool(query, url, state, active, enterprise_id, since, limit, offset)
    return [_shown(r, principal.tier) for r in rows]


@router.get("/{key}", response_model=AlarmItem, summary="One alarm")
async def get_alarm(
    key: Annotated[str, _KEY],
    principal: Annotated[Principal, Depends(current_principal)],
    url: Annotated[str, Depends(get_database_url)],
) -> AlarmItem:
    from geo_risk.store.alarms import get_alarm as query

    return _shown(await run_in_threadpool(query, url, key), principal.tier)


@router.get("/{key}/audit", response_model=list[AuditItem],
            summary="Every transition of one alarm, oldest first: who, when, from, to, why (analyst key)")
async def alarm_audit(
    key: Annotated[str, _KEY],
    principal: Annotated[Principal, Depends(require_role("analyst"))],
    url: Annotated[str, Depends(get_database_url)],
) -> list[AuditItem]:
    from geo_risk.store.alarms import audit_of

    return [AuditItem(**r) for r in await run_in_threadpool(audit_of, url, key)]


#: The largest JSON body read (a reason and a time).
MAX_BODY_BYTES = 16_000


def _body_doc(model: type[BaseModel], required: bool) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {"application/json": {
        "schema": model.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


async def _body(request: Request, model: type[BaseModel], required: bool) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"the body exceeds {MAX_BODY_BYTES:,} bytes")
    if not raw.strip() and not required:
        return model()
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


def _act(url: str, key: str, action: str, who: str, reason: str, until: dt.datetime | None,
         max_shelve_s: float) -> dict[str, Any]:
    from geo_risk.analysis.hidden_dangers import IllegalTransition as Conflict
    from geo_risk.monitoring.lifecycle import IllegalTransition
    from geo_risk.store.alarms import act, connect, get_alarm

    conn = connect(url)
    try:
        act(conn, key, action, who, dt.datetime.now(dt.UTC), reason, until, max_shelve_s)
    except IllegalTransition as exc:  # the API's 409 for a step a state does not allow (api.errors.STATUS)
        raise Conflict(str(exc)) from None
    finally:
        conn.close()
    return get_alarm(url, key)


_CONFLICT = errors(409, _409="The alarm's state does not allow this action; the detail names the state and the "
                             "actions allowed now")
#: action → (summary, body model, body required)
_ACTION_ROUTES: dict[str, tuple[str, type[BaseModel], bool]] = {
    "acknowledge": ("Acknowledge an alarm (analyst key): unack_active → ack_active, rtn_unack → normal; audited",
                    ActionBody, False),
    "shelve": ("Shelve an alarm until a time at most 12 h ahead (analyst key); it unshelves by itself then; audited",
               ShelveBody, True),
    "unshelve": ("Unshelve an alarm (analyst key); audited", ActionBody, False),
    "suppress": ("Suppress an alarm by design, with the reason (analyst key); audited", ReasonBody, True),
    "unsuppress": ("End an alarm's suppression (analyst key); audited", ActionBody, False),
    "remove-from-service": ("Take an alarm out of service, with the reason (analyst key); audited", ReasonBody,
                            True),
    "return-to-service": ("Return an alarm to service (analyst key); audited", ActionBody, False),
}


def _action_route(action: str, summary: str, model: type[BaseModel], required: bool) -> None:
    async def alarm_action(
        request: Request,
        key: Annotated[str, _KEY],
        principal: Annotated[Principal, Depends(require_role("analyst"))],
        settings: Annotated[Settings, Depends(get_app_settings)],
        url: Annotated[str, Depends(get_database_url)],
    ) -> AlarmItem:
        from geo_risk.monitoring.alarms import parameters

        body = await _body(request, model, required)
        until = getattr(body, "until", None)
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=dt.UTC)  # no zone: UTC
        max_shelve_s = parameters(settings.alarm_parameters)["max_shelve_s"]
        row = await run_in_threadpool(_act, url, key, action, _who(principal), body.reason or "", until,
                                      max_shelve_s)
        return _shown(row, principal.tier)

    name = action.replace("-", "_")
    alarm_action.__name__ = f"alarm_{name}"
    router.add_api_route(f"/{{key}}/{action}", alarm_action, methods=["POST"], response_model=AlarmItem,
                         summary=summary, responses=_CONFLICT, openapi_extra=_body_doc(model, required),
                         operation_id=f"alarm_{name}")


for _action, (_summary, _model, _required) in _ACTION_ROUTES.items():
    _action_route(_action, _summary, _model, _required)


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the alarm routes, and attach this process's alarm service to the HTTP readings ingest
    (``POST /api/v1/readings``): the ingestor is made here (it connects at its first batch) and the
    evaluator starts with the first committed batch."""
    from geo_risk.monitoring.alarm_service import attach_alarms
    from geo_risk.monitoring.ingest import Ingestor

    url = app.state.database_url
    if getattr(app.state, "ingestor", None) is None:
        app.state.ingestor = Ingestor(url, settings.monitoring_retention_days, settings.monitoring_future_tolerance_s)
    app.state.alarm_service = attach_alarms(app.state.ingestor, url, settings)
    app.include_router(router)
