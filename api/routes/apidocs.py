"""``/docs``: the interactive API documentation (Swagger UI), served entirely by this app.

FastAPI's built-in ``/docs`` loads Swagger UI from a CDN, so it is blank on a network without the
Internet. Here the app is created with ``docs_url=None`` and this route serves the same page with
Swagger UI taken from ``layers/static/vendor/swagger-ui/`` (fetched from npm at build time by
``layers/web/build.sh``, like Leaflet). A Content-Security-Policy limits the page to this server.
ReDoc (``/redoc``) is not offered: it too would load from a CDN, and ``/docs`` covers the need.

A router cannot read the app's OpenAPI URL or title, so the app calls :func:`install`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.routes.webmap import STATIC_DIR, VENDOR_HINT

__all__ = ["install", "SWAGGER_DIR", "SWAGGER_ASSETS", "DOCS_PATH"]

DOCS_PATH = "/docs"
SWAGGER_DIR = STATIC_DIR / "vendor" / "swagger-ui"
#: The vendored files the page links to, under ``/static/vendor/swagger-ui/``.
SWAGGER_ASSETS = {"js": "swagger-ui-bundle.js", "css": "swagger-ui.css", "favicon": "favicon-32x32.png"}
_STATIC_URL = "/static/vendor/swagger-ui/"

#: Swagger UI options: no badge from validator.swagger.io (a request to a third party).
_PARAMETERS = {"validatorUrl": None}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _csp(page: str) -> str:
    """Scripts, styles, images and requests only from this server; the page's one inline script by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
        for s in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'self'"
    )


def _missing_vendor_page() -> str:
    hint = html.escape(VENDOR_HINT)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>geo_risk API 文档不可用 / API documentation unavailable</title></head>
<body style="font-family: 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif;
             max-width: 44em; margin: 3em auto;">
<h1>API 文档的前端库未安装 / Swagger UI is not installed</h1>
<p>缺少 <code>layers/static/vendor/swagger-ui/</code>。请在项目目录运行：</p>
<p>Swagger UI is missing (<code>layers/static/vendor/swagger-ui/</code>). In the project folder run:</p>
<pre>{hint}</pre>
<p>The OpenAPI document itself is at <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>"""


def install(app: FastAPI) -> None:
    """Add ``GET /docs`` (Swagger UI from this server) to ``app``, created with ``docs_url=None``."""
    router = APIRouter(include_in_schema=False)

    @router.api_route(DOCS_PATH, methods=["GET", "HEAD"], response_class=HTMLResponse)
    def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI; 503 with instructions when its files have not been built."""
        if not all((SWAGGER_DIR / name).is_file() for name in SWAGGER_ASSETS.values()):
            return HTMLResponse(_missing_vendor_page(), status_code=503, headers={"Retry-After": "3600"})
        root = request.scope.get("root_path", "").rstrip("/")
        assets = root + _STATIC_URL
        page = get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=assets + SWAGGER_ASSETS["js"],
            swagger_css_url=assets + SWAGGER_ASSETS["css"],
            swagger_favicon_url=assets + SWAGGER_ASSETS["favicon"],
            swagger_ui_parameters={**_PARAMETERS, **(app.swagger_ui_parameters or {})},
        )
        body = bytes(page.body).decode("utf-8")
        return HTMLResponse(body, headers={"Content-Security-Policy": _csp(body), "Cache-Control": "no-cache"})

    app.include_router(router)
