"""Text the store cannot hold is refused at the door: one check for every path and parameter.

PostgreSQL text cannot hold the NUL character (U+0000), so a NUL in a path segment or a query
parameter (``/items/a%00b``, ``?name=%00``, a CQL2 filter) would otherwise reach psycopg2 and end
as a 500. :class:`InputGuard` is a plain ASGI middleware that looks at the decoded path and query
string before any routing or database work and answers 422 naming the parameter (the route's own
parameter name when the path matches a route). :func:`install` adds it and a last-resort handler
for the same fault met deeper (a JSON body, a multipart file name): psycopg2's "A string literal
cannot contain NUL" and Python's "embedded null byte" become the same 422, never a 500.

Both answer through the app's one error table (:mod:`api.errors`), so the body has the shape of
every other 4xx.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from geo_risk.errors import GeoRiskError, InvalidInput

__all__ = ["InputGuard", "install", "FORBIDDEN_CHARACTERS", "problem_in_text"]

_NUL = "a NUL character (U+0000)"
#: Characters no text value may carry: PostgreSQL's text type cannot store U+0000.
FORBIDDEN_CHARACTERS = {"\x00": _NUL}

#: Messages of the errors a NUL (or other text the store cannot encode) causes deeper down.
_NUL_MESSAGES = ("cannot contain NUL", "embedded null byte", "embedded null character")


def problem_in_text(value: str) -> str | None:
    """What makes ``value`` unstorable as text (None when nothing does).

    Examples
    --------
    >>> problem_in_text("a\\x00b")
    'a NUL character (U+0000)'
    >>> problem_in_text("吉林") is None
    True
    """
    for ch, what in FORBIDDEN_CHARACTERS.items():
        if ch in value:
            return what
    return None


def _shown(value: str, limit: int = 40) -> str:
    """``value`` quoted with control characters escaped, cut at ``limit`` characters."""
    text = repr(value[:limit])
    return text + ("…" if len(value) > limit else "")


def _path_problem(scope: dict[str, Any]) -> str | None:
    path: str = scope.get("path", "")
    if problem_in_text(path) is None:
        return None
    names = _path_parameter_names(scope)
    for name, value in names.items():
        what = problem_in_text(value)
        if what:
            return f"path parameter {name!r} ({_shown(value)}) contains {what}, which no text can hold: remove it"
    segment = next(s for s in path.split("/") if problem_in_text(s))
    return f"the path segment {_shown(segment)} contains {problem_in_text(segment)}, which no text can hold: remove it"


def _path_parameter_names(scope: dict[str, Any]) -> dict[str, str]:
    """The path parameters of the route the path matches, by the route's own names ({} for none)."""
    path = scope.get("path", "")
    for route in _routes(getattr(scope.get("app"), "router", None)):
        regex = getattr(route, "path_regex", None)
        match = regex.match(path) if regex is not None else None
        if match is not None and match.groupdict():
            return match.groupdict()
    return {}


def _routes(router: Any) -> list[Any]:
    """Every route of ``router``, those of included routers too (FastAPI keeps them nested)."""
    out: list[Any] = []
    for route in getattr(router, "routes", ()):
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            out.extend(contexts())
        else:
            out.append(route)
    return out


def _query_problem(scope: dict[str, Any]) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return None
    # Decoded as Starlette decodes it for the routes (percent-escapes as UTF-8).
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        what = problem_in_text(name)
        if what:
            return f"a query parameter name ({_shown(name)}) contains {what}, which no text can hold: remove it"
        what = problem_in_text(value)
        if what:
            return (
                f"query parameter {name!r} ({_shown(value)}) contains {what}, which no text can hold: "
                f"remove it"
            )
    return None


async def _render(request: Request, exc: GeoRiskError) -> Response:
    """The app's own answer to ``exc`` (its one error table), or a plain 422 when it has none."""
    handler = request.app.exception_handlers.get(GeoRiskError) if hasattr(request, "app") else None
    if handler is not None:
        return await handler(request, exc)
    return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status_code=422)


class InputGuard:
    """ASGI middleware: a 422 for a path or query parameter holding text the store cannot hold."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            problem = _path_problem(scope) or _query_problem(scope)
            if problem is not None:
                response = await _render(Request(scope, receive), InvalidInput(problem))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Add :class:`InputGuard` (outermost, so it runs before any other work) and the last-resort handler."""

    @app.exception_handler(ValueError)
    async def _nul_deeper(request: Request, exc: ValueError) -> Response:
        if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
            return await _render(
                request, InvalidInput("a text value is not valid Unicode (it holds a lone surrogate): fix the text")
            )
        if not any(m in str(exc) for m in _NUL_MESSAGES):
            raise exc
        return await _render(
            request,
            InvalidInput(f"a text value (a body field or a file name) contains {_NUL}, "
                         f"which no text can hold: remove it"),
        )

    app.add_middleware(InputGuard)


def check_content_length(request: Any, limit_bytes: int, too_large: Any) -> None:
    """Refuse a request body by its declared ``Content-Length`` before a byte of it is read.

    A length that is not a number of bytes is InvalidInput; one over ``limit_bytes`` raises
    ``too_large(limit_bytes)`` (the route's own message). A body without the header (chunked) is the
    route's to count as it arrives.
    """
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise InvalidInput(f"Content-Length {declared[:40]!r} is not a number of bytes")
    if int(declared) > limit_bytes:
        raise too_large(limit_bytes)
