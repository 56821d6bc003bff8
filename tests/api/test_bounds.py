"""Every input is bounded before work is done (issue 11 §2).

Uploads: the key and the declared size are checked before a byte of the body is read, and a body
without a declared size is read only up to the cap. Measured on a real uvicorn server: the app is
wrapped in a counter of the body bytes it pulls, and a raw socket client keeps sending until it has
its answer. Heavy work (exports, hexagon indexes, risk runs) holds a slot of the caller's tier; with
the public slot taken an anonymous export is a 429 while analysts' exports and everyone's tiles go on.
Error messages show no server path.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS, SAMPLE_CITY, live_server, load

from api.app import create_app
from geo_risk.settings import Settings

CAP_MB = 1.0
CAP = int(CAP_MB * 1e6)


class BodyCounter:
    """ASGI wrapper: counts the request-body bytes the app behind it has pulled through ``receive``
    (``pulled``) and the size of the last body message it pulled (``last``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pulled = 0
        self.last = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def counted() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                self.last = len(message.get("body", b""))
                self.pulled += self.last
            return message

        await self.app(scope, counted, send)


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    return db_url


@pytest.fixture(scope="module")
def app(city: str) -> Any:
    return create_app(Settings(database_url=city, api_keys=ROLE_KEYS, max_upload_mb=CAP_MB, heavy_wait_s=0.2),
                      database_url=city)


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[tuple[str, BodyCounter]]:
    counter = BodyCounter(app)
    with live_server(counter) as base:
        yield base, counter


def _post_until_answered(base: str, headers: dict[str, str], chunked: bool, total: int) -> tuple[int, int, bytes]:
    """POST /api/v1/loads, sending up to ``total`` body bytes in 64 KiB pieces and stopping as soon as
    the server answers; (status, bytes sent, response head and body)."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    boundary = "bnd"
    head = (f"POST /api/v1/loads HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n") + "\r\n")
    sock.sendall(head.encode())
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.gpkg\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    piece = part + b"\0" * (65536 - len(part))
    sent, answer = 0, b""
    sock.setblocking(False)
    while sent < total:
        try:
            answer += sock.recv(65536)
            if answer:
                break
        except BlockingIOError:
            pass
        body = piece if sent == 0 else b"\0" * 65536
        data = (f"{len(body):x}\r\n".encode() + body + b"\r\n") if chunked else body
        try:
            sock.sendall(data)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            time.sleep(0.01)
            continue
        sent += len(body)
        piece = b""
    sock.setblocking(True)
    deadline = time.monotonic() + 20
    while b"\r\n\r\n" not in answer and time.monotonic() < deadline:
        try:
            more = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not more:
            break
        answer += more
    sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent, answer


@pytest.mark.parametrize(("key", "chunked", "status"), [
    (None, False, 401),          # anonymous, 2 GB declared
    ("viewer", False, 403),      # a role that may not load
    ("editor", False, 413),      # the editor, 2 GB declared: refused on the declared size
    ("editor", True, 413),       # the editor, no declared size: read up to the cap, then refused
])
def test_uploads_are_refused_before_the_body_is_read(
    server: tuple[str, BodyCounter], key: str | None, chunked: bool, status: int
) -> None:
    base, counter = server
    before = counter.pulled
    headers = {"X-API-Key": KEY_OF[key]} if key else {}
    got, sent, answer = _post_until_answered(base, headers, chunked, total=2_000_000_000 if not chunked
                                             else 64 * CAP)
    pulled = counter.pulled - before
    assert got == status, answer[:300]
    if chunked:
        # read to the cap, not beyond: the app stops at the first message that crosses it (the server may
        # coalesce several 64 KiB chunks into one message when the machine is busy, so its size varies)
        assert sent > CAP and pulled > CAP and pulled - counter.last <= CAP, (sent, pulled, counter.last)
    else:
        assert pulled == 0, pulled  # not a byte of the body read
    assert sent < 64 * CAP  # the client stopped because it had its answer


def test_upload_errors_name_the_file_and_never_a_server_path(app: Any) -> None:
    with TestClient(app) as c:
        r = c.post("/api/v1/loads", headers={"X-API-Key": KEY_OF["editor"]},
                   files=[("files", ("enterprises.geojson", b"{ this is not json", "application/geo+json"))])
    assert r.status_code == 422, r.text
    assert "enterprises.geojson" in r.text
    assert "/tmp" not in r.text and "geo_risk_upload" not in r.text and "Traceback" not in r.text


def test_an_upload_of_no_interchange_layer_names_no_server_folder(app: Any) -> None:
    with TestClient(app) as c:
        r = c.post("/api/v1/loads", headers={"X-API-Key": KEY_OF["editor"]},
                   files=[("files", ("notes.txt", b"hello", "text/plain"))])
    assert r.status_code == 422, r.text
    assert "geo_risk_upload" not in r.text and "/tmp" not in r.text


def test_an_upload_with_no_file_part_is_a_422(app: Any) -> None:
    with TestClient(app) as c:
        r = c.post("/api/v1/loads", headers={"X-API-Key": KEY_OF["editor"]}, data={"other": "x"})
        assert r.status_code == 422 and "files" in r.json()["detail"]
        r = c.post("/api/v1/loads", headers={"X-API-Key": KEY_OF["editor"], "Content-Type": "multipart/form-data"},
                   content=b"garbage")
        assert 400 <= r.status_code < 500


def test_heavy_work_waits_for_a_slot_of_its_own_tier(app: Any) -> None:
    with TestClient(app) as c:
        with app.state.heavy.slot("public", "a test holding the public slot"):
            t0 = time.monotonic()
            r = c.get("/collections/enterprises/export", params={"f": "csv"})
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
            assert "heavy" in r.json()["detail"] and time.monotonic() - t0 < 5
            r = c.get("/collections/residential_areas/hexagons", params={"bbox": "126,43.5,127,44.2", "zoom": 8})
            assert r.status_code == 429  # building a hexagon index is heavy too
            # analysts have their own slots; the map (items, tiles) never waits here
            r = c.get("/collections/enterprises/export", params={"f": "csv"},
                      headers={"X-API-Key": KEY_OF["analyst"]})
            assert r.status_code == 200 and r.content.count(b"\n") > 100
            assert c.get("/collections/enterprises/items", params={"limit": 5}).status_code == 200
            assert c.get("/collections/enterprises/tiles/WebMercatorQuad/12/1488/3486").status_code == 200
        assert c.get("/collections/enterprises/export", params={"f": "csv"}).status_code == 200
        # once built, reading the index is not heavy: it is served while the slot is taken
        assert c.get("/collections/residential_areas/hexagons",
                     params={"bbox": "126,43.5,127,44.2", "zoom": 8}).status_code == 200
        with app.state.heavy.slot("public", "a test holding the public slot"):
            assert c.get("/collections/residential_areas/hexagons",
                         params={"bbox": "126,43.5,127,44.2", "zoom": 8}).status_code == 200
