"""One table from domain errors to HTTP status codes, and the handler that applies it.

FastAPI's own request validation (RequestValidationError) is answered in the same body,
``{"error": "InvalidInput", "detail": "<parameter>: <problem>", "problems": [...]}``, naming each
parameter; the API document (api.openapi) gives every error that one schema, ErrorBody.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.access import Forbidden, Unauthorized
from api.heavy import Busy
from geo_risk.analysis.hidden_dangers import IllegalTransition
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
    (IllegalTransition, 409),  # a workflow step not allowed (the hidden-danger register)
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
    # the temporary folder of an upload or export, named alone ("geo_risk_upload_x1y2 holds no layer")
    return re.sub(r"\bgeo_risk_(?:upload|export)_\w+", "the upload", text)


def _shown(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _documented_form(request: Request, where: str, name: str) -> str | None:
    """The description the API document gives parameter ``name`` (in ``where``) of the matched route."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    fields = {"query": dependant.query_params, "path": dependant.path_params, "header": dependant.header_params}
    for field in fields.get(where, []):
        if field.alias == name:
            return field.field_info.description
    return None


def validation_problems(request: Request, exc: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI's validation errors as problems naming the parameter, where it is and what is wrong."""
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or where
        reason = str(error.get("msg", "is not valid"))
        if error.get("type") == "missing":
            reason = "is required"
        elif error.get("type") == "literal_error":  # an enum: say every value it takes
            choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
            reason = f"{_shown(error.get('input'))} is not offered; valid: {', '.join(choices)}"
        elif "input" in error and error.get("type") != "json_invalid":
            reason = f"{reason} (got {_shown(error['input'])})"
        form = _documented_form(request, where, name) if error.get("type") == "string_pattern_mismatch" else None
        if form:  # the documented form says more than the pattern it is checked with
            reason = f"{_shown(error.get('input'))} is not of the form {form}"
        problems.append({"parameter": name, "in": where, "reason": reason})
    return problems


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

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own checks of the documented schemas answer in the shape of every other error.
        problems = validation_problems(request, exc)
        detail = "; ".join(f"{p['parameter']}: {p['reason']}" for p in problems) or "the request is not valid"
        return JSONResponse({"error": "InvalidInput", "detail": without_server_paths(detail, roots),
                             "problems": problems}, status_code=422)
