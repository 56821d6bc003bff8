"""``POST /api/v1/readings``: sensor readings in batches, JSON or CSV (issue 15).

The same checks and store as the MQTT ingest (:class:`geo_risk.monitoring.ingest.Ingestor`): the
answer counts the readings stored, the duplicates (already stored: a repeated delivery is harmless)
and the rejected ones, each with its reason (unknown sensor, unit mismatch, from the future,
malformed, not finite, older than the retention). Bad readings never fail the batch: the good ones
are stored, the bad ones counted and recorded in ``reading_rejects``. Needs a sensor key (role
``sensor``: it may post readings and nothing more) or an analyst key (or above); the body is capped at
``GEO_RISK_MAX_UPLOAD_MB`` like every upload.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.access import Principal, require_role
from api.deps import get_app_settings, get_database_url
from api.errors import PayloadTooLarge
from api.input_guard import check_content_length
from api.openapi import errors
from geo_risk.errors import InvalidInput
from geo_risk.settings import SENSOR_ROLE, Settings

router = APIRouter(prefix="/api/v1", tags=["monitoring"])

#: How long an HTTP batch waits for an unreachable database before the answer is a 503.
HTTP_RETRY_S = 10.0
_lock = threading.Lock()


class RejectItem(BaseModel):
    index: int | None = Field(default=None, description="position of the reading in the batch (0-based)")
    sensor_id: str | None = Field(default=None, description="the sensor named, when readable")
    reason: str = Field(description="unknown_sensor, unit_mismatch, future, malformed, not_finite or too_old")
    detail: str = Field(description="what is wrong and how to fix it")


class ReadingsAnswer(BaseModel):
    stored: int = Field(description="readings stored by this batch")
    duplicates: int = Field(description="readings already stored (same sensor and time): skipped, not an error")
    rejected: int = Field(description="readings refused; each is recorded with its reason")
    rejected_by_reason: dict[str, int] = Field(description="refused readings per reason")
    rejects: list[RejectItem] = Field(description="the first 100 refused readings with their reasons")


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            # Any JSON is accepted: each reading is checked on its own and a bad one is counted with its
            # reason in the answer, never a refused request (the shape the readings should take is below).
            "application/json": {"schema": {
                "description": "a list of readings, or {\"readings\": [...]}; each reading an object with "
                               "sensor_id, ts (ISO 8601 with a time zone, or Unix seconds), value (a number in "
                               "the sensor's unit) and optionally uom (the value's unit when it differs)",
                "example": [{"sensor_id": "HU-0001-TT", "ts": "2026-12-06T05:00:00Z", "value": 21.5}],
            }},
            # Any text likewise: a body that is not the CSV below is one malformed reject in the answer.
            "text/csv": {"schema": {"description": "a header naming sensor_id, ts, value (and optionally uom), "
                                                   "then one reading per line",
                                    "example": "sensor_id,ts,value\nHU-0001-TT,2026-12-06T05:00:00Z,21.5\n"}},
        },
    },
}


async def _body(request: Request, limit_bytes: int) -> bytes:
    """The request body, never more than ``limit_bytes`` read."""
    check_content_length(request, limit_bytes, _too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise _too_large(limit_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the batch exceeds the limit of {limit_bytes / 1e6:g} MB (GEO_RISK_MAX_UPLOAD_MB); "
                           "nothing was stored: send it in smaller batches")


def _ingestor(request: Request, settings: Settings, url: str):  # noqa: ANN202
    from geo_risk.monitoring.ingest import Ingestor

    with _lock:
        ing = getattr(request.app.state, "ingestor", None)
        if ing is None:
            ing = Ingestor(url, settings.monitoring_retention_days, settings.monitoring_future_tolerance_s)
            request.app.state.ingestor = ing
        return ing


@router.post(
    "/readings",
    summary="Store sensor readings (a JSON or CSV batch): counts stored, duplicates and rejected with reasons",
    openapi_extra=_BODY,
    response_model=ReadingsAnswer,
    responses=errors(413, 422, _422="A parameter breaks its rule or the body is neither JSON nor CSV "
                                    "(Content-Type application/json or text/csv)"),
)
async def post_readings(
    request: Request,
    principal: Annotated[Principal, Depends(require_role("analyst", also=(SENSOR_ROLE,)))],
    settings: Annotated[Settings, Depends(get_app_settings)],
    url: Annotated[str, Depends(get_database_url)],
) -> ReadingsAnswer:
    from geo_risk.monitoring.payload import parse_csv, parse_json

    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in ("application/json", "text/csv"):
        raise InvalidInput(f"Content-Type {kind[:60]!r} is not accepted: send application/json or text/csv")
    body = await _body(request, int(settings.max_upload_mb * 1e6))
    if kind == "text/csv":
        text = body.decode("utf-8-sig", errors="replace")
        raws, rejects = await run_in_threadpool(parse_csv, text)
    else:
        raws, rejects = await run_in_threadpool(parse_json, body)
    ingestor = _ingestor(request, settings, url)
    report = await run_in_threadpool(ingestor.submit, raws, rejects, "http", HTTP_RETRY_S)
    return ReadingsAnswer(**report.as_dict())  # type: ignore[arg-type]
