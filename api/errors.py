"""One table from domain errors to HTTP status codes, and the handler that applies it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.access import Forbidden, Unauthorized
from geo_risk.errors import (
    CRSMismatch,
    DatabaseUnavailable,
    GeoRiskError,
    InvalidInput,
    NotFound,
    UnknownSubstance,
    ValidationFailed,
)


class PayloadTooLarge(InvalidInput):
    """An upload over GEO_RISK_MAX_UPLOAD_MB (HTTP 413)."""


#: Most specific first.
STATUS: list[tuple[type[GeoRiskError], int]] = [
    (PayloadTooLarge, 413),
    (ValidationFailed, 422),
    (UnknownSubstance, 422),
    (CRSMismatch, 422),
    (InvalidInput, 422),
    (NotFound, 404),
    (Unauthorized, 401),
    (Forbidden, 403),
    (DatabaseUnavailable, 503),
    (GeoRiskError, 400),
]


def status_for(exc: GeoRiskError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


def install(app: FastAPI) -> None:
    @app.exception_handler(GeoRiskError)
    async def _handle(_: Request, exc: GeoRiskError) -> JSONResponse:
        body: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, ValidationFailed):
            body["problems"] = [
                {"layer": p.layer, "row": p.row, "id": p.id, "reason": p.reason, "severity": p.severity}
                for p in exc.problems
            ]
        headers = {"WWW-Authenticate": "ApiKey"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(body, status_code=status_for(exc), headers=headers)
