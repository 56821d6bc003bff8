"""The OpenAPI document tells the truth: one error body, every status an operation can answer, its media types.

Every 4xx and 5xx the service sends carries one body, :class:`ErrorBody`
(``{"error": kind, "detail": message, "problems": [...]?}``): the domain errors through the table of
:mod:`api.errors`, FastAPI's own request validation through the handler there, the NUL guard of
:mod:`api.input_guard` and the 405 of :mod:`api.methods`. The document registers that schema once
(``#/components/schemas/ErrorBody``) and :func:`install` completes every operation from what the
operation depends on, so no route can forget a status:

- 422 on every operation: a parameter or body that breaks its documented rule, and a NUL in any
  path or query text (refused by the guard before routing);
- 401 where the caller is resolved (``current_principal``): a key that is not configured, or two
  credentials in one request; 403 too where a role is required (``require_role``);
- 404 where the path has parameters (an unknown layer, feature, unit or run; a restricted layer
  below its tier is answered as an unknown one);
- 503 where the database is read (``get_database_url``);
- the API key's security schemes (``X-API-Key`` or ``Authorization: Bearer``): optional where a key
  only widens what is served, required where a role is.

Statuses only a route knows of (413 and 429, media types of files, tiles and HTML) are declared on
the route with :func:`errors`. Query parameters lose the ``null`` branch FastAPI gives optional ones
(a query string cannot carry JSON null: an absent parameter is how it is left out).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "Problem", "errors", "ok", "install", "STATUS_DESCRIPTIONS", "JSON", "HTML"]

JSON = "application/json"
HTML = "text/html"


class Problem(BaseModel):
    """One problem of a refused request: a parameter (``parameter``, ``in``) or a row of an upload
    (``layer``, ``row``, ``id``, ``severity``)."""

    model_config = ConfigDict(populate_by_name=True)

    reason: str = Field(description="what is wrong and how to fix it")
    parameter: str | None = Field(default=None, description="the request parameter (or body field) at fault")
    in_: str | None = Field(default=None, alias="in", description="where it was: path, query, header or body")
    layer: str | None = Field(default=None, description="the layer of an upload the row belongs to")
    row: int | None = Field(default=None, description="1-based feature number within the layer")
    id: str | None = Field(default=None, description="the row's external id")
    severity: str | None = Field(default=None, description="error (rejects the load) or warning")


class ErrorBody(BaseModel):
    """The body of every error response of this service."""

    error: str = Field(description="the kind of error: InvalidInput, ValidationFailed, NotFound, Unauthorized, "
                                   "Forbidden, PayloadTooLarge, Busy, MethodNotAllowed, DatabaseUnavailable, …")
    detail: str = Field(description="what failed, the value received and how to fix it")
    problems: list[Problem] | None = Field(
        default=None, description="each problem on its own (invalid parameters; rejected rows of an upload)")


#: What each error status means in this service.
STATUS_DESCRIPTIONS: dict[int, str] = {
    401: "The API key is not valid, or the request carries more than one credential (send one X-API-Key "
         "header or one Authorization: Bearer token); a required key is missing",
    403: "The key's role may not do this",
    404: "No such resource (layer, feature, unit or run); a restricted layer below its tier is answered "
         "exactly as an unknown one",
    405: "The method is not offered on this path (the Allow header lists those that are)",
    409: "The request conflicts with the resource's state (a workflow step not allowed from its status)",
    413: "The upload exceeds GEO_RISK_MAX_UPLOAD_MB; nothing was read past the limit",
    422: "A parameter or the body breaks its documented rule, or a text holds a NUL character; "
         "problems names each parameter",
    429: "Every heavy-work slot of the caller's tier is busy (exports, hexagon indexes, risk runs): retry "
         "after Retry-After seconds",
    503: "The database is unreachable",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "ApiKey", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}

_REF = "#/components/schemas/ErrorBody"
_SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An API key of GEO_RISK_API_KEYS (role viewer, analyst, editor or admin; sensor "
                              "may post readings only)"},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "The same API key as a bearer token"},
}


def errors(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries of a route for error ``statuses``, each with the shared body.

    ``descriptions`` (``_404="…"``) replace the general description of a status for this route.

    Examples
    --------
    >>> sorted(errors(404, 429))
    [404, 429]
    >>> errors(404, _404="No such layer")[404]["description"]
    'No such layer'
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody,
                                 "description": descriptions.get(f"_{status}", STATUS_DESCRIPTIONS[status])}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        out[status] = entry
    return out


def ok(*media_types: str, description: str = "Successful Response", status: int = 200) -> dict[int | str, dict]:
    """The ``responses=`` entry of a success answered in ``media_types`` (give the route
    ``response_class=Response`` so FastAPI adds no application/json of its own)."""
    return {status: {"description": description, "content": {m: {} for m in media_types}}}


# -- completing the document ----------------------------------------------------------------------
def _calls(dependant: Any) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _what_it_needs(route: Any) -> tuple[bool, bool, bool]:
    """(resolves the caller, requires a role, reads the database) for ``route``."""
    from api.access import current_principal
    from api.deps import get_database_url

    calls = list(_calls(route.dependant))
    caller = current_principal in calls
    role = any(getattr(c, "__qualname__", "").startswith("require_role.") for c in calls)
    database = get_database_url in calls
    return caller, role, database


def _error_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(existing or {})
    out.setdefault("description", STATUS_DESCRIPTIONS.get(status, "Error"))
    out["content"] = {JSON: {"schema": {"$ref": _REF}}}
    if status in _HEADERS:
        out.setdefault("headers", _HEADERS[status])
    return out


def _is_plain_error(response: dict[str, Any]) -> bool:
    """Whether ``response`` has no body of its own: none, FastAPI's validation error or ours."""
    content = response.get("content")
    if not content:
        return True
    ref = content.get(JSON, {}).get("schema", {}).get("$ref", "")
    return set(content) == {JSON} and ref.rsplit("/", 1)[-1] in ("HTTPValidationError", "ErrorBody")


def _plain_query_schema(parameter: dict[str, Any]) -> None:
    """Drop the ``null`` branch of an optional parameter's schema (absent is how it is left out)."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf")
    if not branches or {"type": "null"} not in branches:
        return
    rest = [b for b in branches if b != {"type": "null"}]
    if len(rest) != 1:
        schema["anyOf"] = rest
        return
    merged = {k: v for k, v in schema.items() if k != "anyOf"}
    if merged.get("default", 0) is None:
        del merged["default"]
    parameter["schema"] = {**rest[0], **merged}


def complete(schema: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Complete ``schema`` (FastAPI's document of ``routes``) in place; see the module docstring."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (ErrorBody, Problem):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}",
                                                          by_alias=True)
        schemas[model.__name__].pop("$defs", None)
    # problems is left out when there are none, never null
    problems = schemas["ErrorBody"]["properties"]["problems"]
    schemas["ErrorBody"]["properties"]["problems"] = {
        "type": "array", "items": {"$ref": "#/components/schemas/Problem"}, "description": problems["description"]}
    components.setdefault("securitySchemes", {}).update(_SECURITY_SCHEMES)
    for route in iter_route_contexts(routes):  # the routes of included routers too
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        caller, role, database = _what_it_needs(route)
        has_path_parameters = bool(route.dependant.path_params)
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            statuses = {422}
            if caller:
                statuses.add(401)
                operation["security"] = [{"ApiKey": []}, {"Bearer": []}] if role else [{}, {"ApiKey": []},
                                                                                       {"Bearer": []}]
            if role:
                statuses.add(403)
            if has_path_parameters:
                statuses.add(404)
            if database:
                statuses.add(503)
            statuses |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status in sorted(statuses):
                existing = responses.get(str(status))
                if existing is None or _is_plain_error(existing):
                    responses[str(status)] = _error_response(status, existing)
            operation["responses"] = dict(sorted(responses.items()))
            for parameter in operation.get("parameters", []):
                _plain_query_schema(parameter)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed document at ``app.openapi_url`` (built once, on first request)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(build(), app.routes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
