"""The alarm API over a real server: the Server-Sent Events stream, the list's filters and the EEMUA figures.

uvicorn serves the app on a loopback port (``helpers.live_server``); a real HTTP client holds the event
stream open while readings that cross HH are posted, and the ``alarm`` event must arrive within 2 s.
The figures are checked against a count made by hand from the readings posted.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from helpers import KEY_OF, ROLE_KEYS, live_server
from monitoring.monitoring_data import load_monitoring_city

from api.app import create_app
from geo_risk.settings import Settings

PAYLOAD_FIELDS = {"key", "sensor_id", "enterprise_id", "unit_id", "kind", "priority", "state", "active", "ts"}
ANALYST = {"X-API-Key": KEY_OF["analyst"]}


@pytest.fixture(scope="module")
def served(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    load_monitoring_city(db_url, tmp_path_factory.mktemp("alarm_city"))
    app = create_app(Settings(database_url=db_url, api_keys=ROLE_KEYS, alarm_stream_heartbeat_s=0.5),
                     database_url=db_url)
    with live_server(app) as base:
        yield base
    stream = getattr(app.state, "alarm_stream", None)
    if stream is not None:
        stream.stop()
    from geo_risk.monitoring.alarm_service import release

    release(app.state.alarm_service)


class StreamReader:
    """Reads an event stream in a thread: (event, data, arrival time) on a queue; comments as ('comment', text)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.q: queue.Queue = queue.Queue()
        self.status: int | None = None
        self.content_type = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        with httpx.Client(timeout=httpx.Timeout(10.0, read=30.0)) as client, \
                client.stream("GET", url, headers={"Accept": "text/event-stream", **headers}) as r:
            self.status, self.content_type = r.status_code, r.headers.get("content-type", "")
            event, data = None, []
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith(":"):
                    self.q.put(("comment", line[1:].strip(), time.monotonic()))
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and event is not None:
                    self.q.put((event, json.loads("\n".join(data)), time.monotonic()))
                    event, data = None, []

    def next(self, event: str, timeout_s: float, where=None) -> tuple:  # noqa: ANN001
        """The next ``event`` (for which ``where(data)`` holds), or AssertionError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event} event within {timeout_s} s")
            try:
                got = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if got[0] == event and (where is None or where(got[1])):
                return got

    def close(self) -> None:
        self._stop.set()


def _post(base: str, readings: list[tuple[str, datetime, float]]) -> None:
    body = [{"sensor_id": s, "ts": t.isoformat(), "value": v} for s, t, v in readings]
    r = httpx.post(f"{base}/api/v1/readings", json=body, headers=ANALYST, timeout=30)
    assert r.status_code == 200 and r.json()["stored"] == len(readings), r.text


def test_a_crossing_reading_reaches_the_stream_within_2_s(served: str) -> None:
    reader = StreamReader(f"{served}/api/v1/alarms/stream")
    try:
        snap = reader.next("snapshot", 10)
        assert reader.status == 200 and reader.content_type.startswith("text/event-stream")
        assert snap[1] == []  # nothing in alarm yet
        # U3-GF: HH 40 %LEL, H 20 %LEL, on-delay 3 s. 45 %LEL at t0 and t0 + 4 s: both raise at the second.
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        sent = time.monotonic()
        _post(served, [("U3-GF", t0, 45.0), ("U3-GF", t0 + timedelta(seconds=4), 45.0)])
        _, data, at = reader.next("alarm", 2.0, lambda d: d["key"] == "U3-GF:HH")
        assert at - sent < 2.0
        assert set(data) == PAYLOAD_FIELDS  # the public payload: no value, no message
        assert (data["state"], data["active"], data["priority"], data["enterprise_id"]) == (
            "unack_active", True, "critical", "E2")
        assert data["ts"] == (t0 + timedelta(seconds=4)).isoformat()
        # an idle stream sends heartbeats (every 0.5 s here)
        assert reader.next("comment", 3.0, lambda text: text == "heartbeat")
        # an acknowledgement through the API is an event too
        r = httpx.post(f"{served}/api/v1/alarms/U3-GF:HH/acknowledge", json={"reason": "on it"}, headers=ANALYST)
        assert r.status_code == 200, r.text
        _, data, _ = reader.next("alarm", 2.0, lambda d: d["key"] == "U3-GF:HH")
        assert data["state"] == "ack_active"
    finally:
        reader.close()
    # a new subscriber's snapshot holds both alarms; without Accept: text/event-stream the stream ends after it
    r = httpx.get(f"{served}/api/v1/alarms/stream", timeout=10)
    assert r.status_code == 200 and r.text.startswith("event: snapshot\n")
    snapshot = json.loads(r.text.split("data: ", 1)[1])
    assert sorted((p["key"], p["state"]) for p in snapshot) == [("U3-GF:H", "unack_active"),
                                                                ("U3-GF:HH", "ack_active")]


def test_list_filters_and_paging(served: str) -> None:
    rows = httpx.get(f"{served}/api/v1/alarms", params={"enterprise_id": "E2"}).json()
    assert sorted(r["key"] for r in rows) == ["U3-GF:H", "U3-GF:HH"]
    one = httpx.get(f"{served}/api/v1/alarms", params={"state": "ack_active"}).json()
    assert [r["key"] for r in one] == ["U3-GF:HH"]
    assert one[0]["state_label"] == "报警已确认 / active, acknowledged"
    assert one[0]["value"] == 45.0 and one[0]["acknowledged_by"] is None  # gas values public; who is not
    assert httpx.get(f"{served}/api/v1/alarms", params={"limit": 1, "offset": 1}).json().__len__() == 1
    assert httpx.get(f"{served}/api/v1/alarms", params={"active": "false"}).json() == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert httpx.get(f"{served}/api/v1/alarms", params={"since": future}).json() == []
    assert httpx.get(f"{served}/api/v1/alarms/NOPE:HH").status_code == 404
    assert httpx.get(f"{served}/api/v1/alarms/U3-GF:HH/audit").status_code == 401
    audit = httpx.get(f"{served}/api/v1/alarms/U3-GF:HH/audit", headers=ANALYST).json()
    assert [(a["who"], a["action"]) for a in audit] == [
        ("system", "activate"), (f"api:{KEY_OF['analyst'][:4]}… (analyst)", "acknowledge")]


def test_eemua_figures_of_the_stored_events(served: str) -> None:
    # Two annunciated activations (U3-GF:HH and U3-GF:H at t0 + 4 s, area U3), no clear.
    end = datetime.now(UTC)
    start = end - timedelta(hours=1)
    r = httpx.get(f"{served}/api/v1/alarms/metrics", params={"from": start.isoformat(), "to": end.isoformat()})
    assert r.status_code == 200, r.text
    f = r.json()
    every = next(a for a in f["areas"] if a["area"] == "*")
    assert [a["area"] for a in f["areas"]] == ["U3", "*"]
    assert (every["activations"], every["peak_per_10min"], every["flood_periods"]) == (2, 2, 0)
    assert sorted((t["key"], t["activations"], t["share"]) for t in f["top"]) == [("U3-GF:H", 1, 0.5),
                                                                                  ("U3-GF:HH", 1, 0.5)]
    assert f["priorities"] == {"critical": 0.5, "high": 0.5}
    # this process's evaluator: one batch of two readings (the POST above), two raises stored, no failure
    assert f["evaluator"] == {"batches": 1, "readings": 2, "events": 2, "changes": 2, "failures": 0}
    # a window without events is a quiet window, not an error; from and to in either order
    quiet = httpx.get(f"{served}/api/v1/alarms/metrics", params={"from": "2020-01-01T00:00:00Z",
                                                                 "to": "2020-01-01T01:00:00Z"}).json()
    assert next(a for a in quiet["areas"] if a["area"] == "*")["activations"] == 0
    swapped = httpx.get(f"{served}/api/v1/alarms/metrics", params={"from": end.isoformat(), "to": start.isoformat()})
    assert swapped.status_code == 200 and swapped.json()["areas"] == f["areas"]  # either order: the same window


#: Another process ingesting (as ``geo-risk ingest`` does): the real Ingestor with the process's alarm service.
_OTHER_PROCESS = """
import json, sys
from geo_risk.monitoring.alarm_service import attach_alarms, release
from geo_risk.monitoring.ingest import Ingestor
from geo_risk.monitoring.payload import parse_json
url, body = sys.argv[1], sys.argv[2]
ingestor = Ingestor(url)
service = attach_alarms(ingestor, url)
report = ingestor.submit(*parse_json(body.encode()), channel="mqtt")
release(service)
ingestor.close()
print(json.dumps({"stored": report.stored, "changes": service.changes}))
"""


def test_alarms_raised_in_another_process_reach_the_stream(served: str, db_url: str) -> None:
    import subprocess
    import sys

    reader = StreamReader(f"{served}/api/v1/alarms/stream")
    try:
        reader.next("snapshot", 10)
        # U1-PT: HH 1.3 MPa, H 1.1 MPa, on-delay 5 s → both raise at the reading of t0 + 6 s
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        body = json.dumps([{"sensor_id": "U1-PT", "ts": (t0 + timedelta(seconds=k)).isoformat(), "value": 1.4}
                           for k in (0, 6)])
        run = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, db_url, body], capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode == 0, run.stderr[-2000:]
        assert json.loads(run.stdout.strip().splitlines()[-1]) == {"stored": 2, "changes": 2}
        _, data, _ = reader.next("alarm", 2.0, lambda d: d["key"] == "U1-PT:HH")
        assert (data["state"], data["enterprise_id"]) == ("unack_active", "E1")
    finally:
        reader.close()
