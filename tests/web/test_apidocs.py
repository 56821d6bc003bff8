"""``/docs``: Swagger UI served by the app itself, so the API documentation works offline.

The page must reference only this server (no CDN), every file it references must answer, and in a
headless Chromium with no Internet (see ``chromium`` in conftest.py: every host name but the
loopback's fails to resolve) it must render one operation block per operation of ``/openapi.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NPM_PACKAGE = REPO / "layers" / "web" / "node_modules" / "swagger-ui-dist"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
NO_DB = "postgresql://nobody@127.0.0.1:9/none"  # never contacted by the page and its assets


def _client() -> Any:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo_risk.settings import Settings

    return TestClient(create_app(Settings(database_url=NO_DB), database_url=NO_DB))


def _referenced_urls(page: str) -> list[str]:
    """Every URL the page names: src and href attributes, and the OpenAPI document's ``url:``."""
    urls = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    urls += re.findall(r"""\burl\s*:\s*["']([^"']+)["']""", page)
    return urls


def test_docs_page_references_only_this_server(vendored_swagger_ui: Path) -> None:
    client = _client()
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.I), "the page names another host"
    urls = _referenced_urls(page)
    # the stylesheet, the favicon, the script and the OpenAPI document, all on this server
    assert len(urls) == 4, urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "/openapi.json" in urls
    want_type = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert want_type[Path(url).suffix] in answer.headers["content-type"], (url, answer.headers["content-type"])
    # the files served are the npm package's (pinned in package-lock.json), not something else
    bundle = next(u for u in urls if u.endswith(".js"))
    assert client.get(bundle).content == (NPM_PACKAGE / "swagger-ui-bundle.js").read_bytes()
    lock = json.loads((REPO / "layers" / "web" / "package-lock.json").read_text(encoding="utf-8"))
    package = json.loads((NPM_PACKAGE / "package.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == package["version"]
    # the browser may load nothing from elsewhere either
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "http" not in csp
    assert client.head("/docs").status_code == 200


def test_redoc_is_not_offered() -> None:
    """ReDoc would load its script from a CDN: it is not served rather than blank offline."""
    assert _client().get("/redoc").status_code == 404


def test_docs_is_503_with_instructions_without_swagger_ui(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from api.routes import apidocs

    monkeypatch.setattr(apidocs, "SWAGGER_DIR", tmp_path / "missing")
    r = _client().get("/docs")
    assert r.status_code == 503
    assert "make vendor" in r.text and "layers/web/build.sh" in r.text and "/openapi.json" in r.text
    assert str(tmp_path) not in r.text


# -- in the browser, without the Internet ----------------------------------------------------------
@pytest.fixture(scope="module")
def docs_server(db_url: str, vendored_swagger_ui: Path) -> Iterator[str]:
    """The app on a loopback port (its /health needs the module's database; /docs does not)."""
    from helpers import live_server

    from api.app import create_app
    from geo_risk.settings import Settings

    with live_server(create_app(Settings(database_url=db_url), database_url=db_url)) as base:
        yield base


def _requests_since_navigation(d: Any) -> list[str]:
    urls = []
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def test_docs_renders_every_operation_offline(chromium, docs_server: str, screenshot) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    d = chromium
    d.get("about:blank")
    d.get_log("performance")
    d.get_log("browser")
    # the operations of the OpenAPI document, counted independently of the page
    document = json.loads(_client().get("/openapi.json").text)
    operations = [(path, method) for path, item in document["paths"].items() for method in item
                  if method in HTTP_METHODS]
    assert len(operations) > 20
    d.get(f"{docs_server}/docs")
    try:
        WebDriverWait(d, 30).until(
            lambda drv: len(drv.find_elements("css selector", ".opblock")) >= len(operations)
        )
    except TimeoutException:
        body = d.find_element("tag name", "body").text
        pytest.fail(f"/docs drew no operation list within 30 s; the page says: {body!r}")
    blocks = d.execute_script(
        "return [...document.querySelectorAll('.opblock')].map(b => ["
        " b.querySelector('.opblock-summary-path').getAttribute('data-path'),"
        " b.querySelector('.opblock-summary-method').textContent.toLowerCase()])"
    )
    assert sorted(map(tuple, blocks)) == sorted(operations)
    title = d.find_element("css selector", ".information-container .title").text
    assert "geo_risk 重大危险源风险地图服务" in title
    d.execute_script("window.scrollTo(0, 0)")
    png = screenshot(d, "api_docs.png")
    assert len(png) > 10_000
    urls = _requests_since_navigation(d)
    assert f"{docs_server}/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    outside = [u for u in urls if not u.startswith(docs_server + "/") and not u.startswith("data:")]
    assert not outside, f"/docs made requests beyond this server: {outside}"
    severe = [e for e in d.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors (e.g. a Content-Security-Policy violation): {severe}"
