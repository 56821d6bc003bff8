"""The methods of a path, answered alike for every path: ``OPTIONS`` and 405 list all of them.

Starlette dispatches a request to the first route whose path matches; when a path has several
routes (``GET`` and ``POST /api/v1/risk/runs``) a method that none of them takes was answered 405
with the first route's methods only (``Allow: GET``), and ``OPTIONS`` was a 405 too. :class:`AllowedMethods`
is a plain ASGI middleware that, for a path some route of the app matches, collects the methods of
every such route and answers

- ``OPTIONS``: 204 with ``Allow`` listing them (and ``OPTIONS``);
- a method none of them takes: 405 with the same ``Allow`` and the service's error body;

and passes everything else on unchanged (paths no route matches, static files, allowed methods).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

__all__ = ["AllowedMethods", "allowed_methods", "install"]

#: The order methods are listed in.
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: list[Any], path: str) -> set[str] | None:
    """The methods the routes matching ``path`` take; None when none matches or a mount serves it."""
    methods: set[str] = set()
    matched = False
    for route in iter_route_contexts(routes):  # the routes of included routers too
        if isinstance(route.original_route, Mount):
            if path == route.path or path.startswith(route.path.rstrip("/") + "/"):
                return None  # a mounted app (static files) answers for its own methods
            continue
        regex = getattr(route, "path_regex", None)
        if regex is None or getattr(route, "methods", None) is None or not regex.match(path):
            continue
        matched = True
        methods |= set(route.methods)
    return methods if matched else None


def _allow(methods: set[str]) -> str:
    return ", ".join(m for m in _ORDER if m in methods | {"OPTIONS"})


class AllowedMethods:
    """ASGI middleware: OPTIONS and 405 list every method of the path (see the module docstring)."""

    def __init__(self, app: Any, router: Any) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        methods = allowed_methods(self.router.routes, scope["path"])
        if methods is None or (method in methods and method != "OPTIONS"):
            await self.app(scope, receive, send)
            return
        allow = _allow(methods)
        if method == "OPTIONS":
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(b"allow", allow.encode()), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps({"error": "MethodNotAllowed",
                           "detail": f"{method} is not offered on {scope['path']}: use {allow}"}).encode()
        await send({"type": "http.response.start", "status": 405,
                    "headers": [(b"allow", allow.encode()), (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def install(app: Any) -> None:
    """Add :class:`AllowedMethods` over ``app``'s routes."""
    app.add_middleware(AllowedMethods, router=app.router)
