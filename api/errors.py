"""One table from domain errors to HTTP status codes, and the handler that applies it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.access import Forbidden, Unauthorized
from api.heavy import Busy
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
    (Busy, 429),
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


def server_roots(data_dir: Path | None = None) -> tuple[str, ...]:
    """Folders of this server whose paths an error message must not show: the temporary folder
    (uploads and exports are unpacked there), the data folder and the installation."""
    roots = {tempfile.gettempdir(), str(Path(__file__).resolve().parents[1])}
    if data_dir is not None:
        roots.add(str(Path(data_dir).resolve()))
    return tuple(sorted(roots, key=len, reverse=True))


def without_server_paths(text: str, roots: tuple[str, ...]) -> str:
    """``text`` with every path under one of ``roots`` cut to its last part (the file's own name)."""
    for root in roots:
        if root in text:
            text = re.sub(re.escape(root.rstrip("/")) + r"/(?:[^\s'\"/]+/)*", "", text)
    return text


def install(app: FastAPI) -> None:
    roots = server_roots(getattr(app.state, "settings", None) and app.state.settings.data_dir)

    @app.exception_handler(GeoRiskError)
    async def _handle(_: Request, exc: GeoRiskError) -> JSONResponse:
        body: dict[str, object] = {"error": type(exc).__name__, "detail": without_server_paths(str(exc), roots)}
        if isinstance(exc, ValidationFailed):
            body["problems"] = [
                {"layer": p.layer, "row": p.row, "id": p.id, "reason": without_server_paths(str(p.reason), roots),
                 "severity": p.severity}
                for p in exc.problems
            ]
        headers = None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "ApiKey"}
        elif isinstance(exc, Busy):
            headers = {"Retry-After": str(Busy.retry_after_s)}
        return JSONResponse(body, status_code=status_for(exc), headers=headers)
