"""The tier rule for texts, applied once to every response the service sends.

Stored and computed texts carry restricted figures as tiered spans (:mod:`geo_risk.disclosure`).
:class:`DiscloseTexts` is the outermost ASGI middleware: it resolves the caller with the one
credential parser (:func:`api.access.key_from_headers`) and renders every span in every textual
response body (JSON, GeoJSON, HTML, CSV, XML/KML, plain text) for the caller's tier — the public
side for anonymous callers and viewers, the figures for analysts and above. Because it sits outside
every route, error handler and the cached-tile fast path, no route can forget it: a reason, a note,
an assumption, a problem or an error message reaches a caller only through it.

Binary bodies (vector tiles, GeoPackages, zip archives, PNG, GeoTIFF) are passed through untouched:
no layer field carries a tiered text.
"""

from __future__ import annotations

from typing import Any

from api.access import Unauthorized, key_from_headers, principal_for_key
from geo_risk.disclosure import OPEN, SPAN_BYTES

__all__ = ["DiscloseTexts", "render_body"]

_TEXTUAL = (b"application/json", b"application/geo+json", b"application/schema+json", b"application/problem+json",
            b"text/", b"application/xml", b"application/vnd.google-earth.kml+xml", b"application/javascript")
_OPEN_BYTES = (OPEN.encode(), b"\\u27e6", b"\\u27E6")


def render_body(body: bytes, tier: str) -> bytes:
    """``body`` with each tiered span replaced by its ``tier`` side (UTF-8 or JSON-escaped spans)."""
    side = 1 if tier == "restricted" else 2
    for pattern in SPAN_BYTES:
        body = pattern.sub(lambda m: m.group(side), body)
    return body


def _split_unfinished(data: bytes) -> tuple[bytes, bytes]:
    """(what can be rendered now, the tail from an opening mark whose span has not closed yet)."""
    cut = max(data.rfind(o) for o in _OPEN_BYTES)
    if cut < 0:
        return data, b""
    tail = data[cut:]
    if render_body(tail, "public") != tail:  # the span closes inside this chunk
        return data, b""
    return data[:cut], tail


class DiscloseTexts:
    """ASGI middleware: render the tiered spans of every textual response body for the caller's tier."""

    def __init__(self, app: Any, settings: Any) -> None:
        self.app = app
        self.settings = settings

    def _tier(self, scope: dict[str, Any]) -> str:
        try:
            return principal_for_key(key_from_headers(scope.get("headers", [])), self.settings).tier
        except Unauthorized:
            return "public"  # the app answers 401 itself; its body is rendered as for the public

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":  # HEAD: no body to render
            await self.app(scope, receive, send)
            return
        tier = "public"  # resolved when a textual response starts: binary answers (tiles) skip it
        start: dict[str, Any] | None = None
        textual = False
        pending = b""

        async def wrapped(message: dict[str, Any]) -> None:
            nonlocal start, textual, pending, tier
            if message["type"] == "http.response.start":
                ctype = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                textual = ctype.lower().startswith(_TEXTUAL)
                if not textual:
                    await send(message)
                    return
                tier = self._tier(scope)
                start = message  # held until the body is known: its length may change
                return
            if message["type"] != "http.response.body" or not textual:
                await send(message)
                return
            more = message.get("more_body", False)
            data = pending + message.get("body", b"")
            if more:
                data, pending = _split_unfinished(data)
            else:
                pending = b""
            body = render_body(data, tier) if any(o in data for o in _OPEN_BYTES) else data
            if start is not None:
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                if not more:
                    headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                start = None
            await send({**message, "body": body})

        await self.app(scope, receive, wrapped)
