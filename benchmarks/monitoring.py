"""Benchmark the readings ingest (issue 15): sustained readings/s through MQTT and HTTP, p99 latency, nothing lost.

One private PostGIS cluster (normal durability: fsync on) and one private mosquitto, both started for the
run; the sample city (906 sensors) loaded. Then, one after the other:

- **MQTT**: the project's ingest (:class:`geo_risk.monitoring.ingest.MqttIngest`: QoS 1, persistent session,
  PUBACK only after commit) runs in this process; a gateway in a child process publishes readings of every
  sensor at ``--rate`` readings/s (0: as fast as it can) in messages of ``--per-message`` readings, each
  stamped with its send time. The process's alarm service (:mod:`geo_risk.monitoring.alarm_service`) is
  attached to the ingest as in ``geo-risk ingest``: every committed batch is evaluated, the alarms' changes
  stored (one transaction) and announced by NOTIFY. Two latencies: publish→commit (the committed-batch
  hook: the ingest's share) and **reading→alarm** — a LISTEN connection here receives each alarm change
  and takes receive time − the stamp of the reading that caused it (the event's ``ts``): the real path,
  commit → alarm row → NOTIFY received. For that the run gives every sensor one limit, HH at 90 % of its
  span, with no delays or deadband, and one sensor in 50 crosses it for 2 s in every 4 s (about 10 alarm
  changes a second); the others read mid-span. With ``--restarts`` the
  broker is restarted (SIGTERM) at a third of the run and the database (``pg_ctl stop -m fast``) at two
  thirds; at the end, count in (readings the broker acknowledged to the gateway) must equal count stored.
- **HTTP**: ``geo-risk serve``'s app (uvicorn, one worker, in a child process) takes JSON batches of
  ``--http-batch`` readings on ``POST /api/v1/readings`` from two client threads here; latency = a
  request's round trip.
- **COPY** (the obvious alternative): the same number of rows as the MQTT leg stored, COPYed straight into
  ``readings`` by psycopg2 in batches of 10,000 — no checks, no dedup answer, no acknowledgement protocol.

Prints readings/s of each, the ratios to COPY, p50/p99 latencies, and count in vs stored.

    python benchmarks/monitoring.py                   # 20 s per leg
    python benchmarks/monitoring.py --minutes 10 --restarts     # the issue's figure

Run-to-run noise on a shared 2-core machine is large (±20 %); compare within one run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo_risk.monitoring.broker import Broker  # noqa: E402
from geo_risk.monitoring.ingest import Ingestor, MqttIngest, MqttPublisher  # noqa: E402

#: Seconds after a restart ends counted as its recovery (left out of the steady-state latency).
RECOVERY_S = 15.0


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


def _count(url: str, since: datetime) -> int:
    import psycopg2

    conn = psycopg2.connect(_dsn(url), connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM readings WHERE ts >= %s", (since,))
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def _gateway(port: int, user: str, password: str, sensors: list[tuple[str, float, float]], seconds: float,
             rate: float, per_message: int, result: mp.Queue) -> None:
    """Child process: publish every sensor in turn, stamped with the send time, for ``seconds``.

    ``sensors``: (id, range_lo, range_hi). Values: mid-span (with a little noise: never stuck); every 50th
    sensor at 95 % of its span in the first 2 s of every 4 s (above the benchmark's HH at 90 %)."""
    pub = MqttPublisher("127.0.0.1", port, user, password, client_id="bench-gateway", per_message=per_message)
    sent = 0
    start = time.monotonic()
    tick = 0.02
    n_sensors = len(sensors)
    k = 0
    while (now := time.monotonic()) - start < seconds:
        due = int((now - start + tick) * rate) if rate > 0 else sent + per_message * 10
        n = max(0, due - sent)
        if n:
            t = time.time()
            batch = []
            for j in range(n):
                # readings of a batch are 1 µs apart, batches ≥ 20 ms: (sensor_id, ts) stays unique
                i = k % n_sensors
                sid, lo, hi = sensors[i]
                high = i % 50 == 0 and int(t / 2.0) % 2 == 0
                batch.append({"sensor_id": sid, "ts": t + j * 1e-6,
                              "value": lo + (hi - lo) * (0.95 if high else 0.5 + 0.001 * (k % 7))})
                k += 1
            pub.send(batch)
            sent += n
        if rate > 0:
            time.sleep(max(0.0, tick - (time.monotonic() - now)))
    acked = pub.close(timeout_s=300)
    result.put({"sent": sent, "acknowledged": acked, "seconds": time.monotonic() - start})


class AlarmListener:
    """LISTEN geo_risk_alarms in a thread (reconnecting across a database restart): for each alarm change
    received, receive time − its ``ts`` (the stamp of the reading that caused it), seconds."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.stamps: list[float] = []
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import select

        import psycopg2

        while not self._stop.is_set():
            try:
                conn = psycopg2.connect(_dsn(self.url), connect_timeout=3)
                conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
                with conn.cursor() as cur:
                    cur.execute("LISTEN geo_risk_alarms")
                self.ready.set()
                while not self._stop.is_set():
                    select.select([conn], [], [], 0.5)
                    conn.poll()
                    now = time.time()
                    while conn.notifies:
                        p = json.loads(conn.notifies.pop(0).payload)
                        ts = datetime.fromisoformat(p["ts"]).timestamp()
                        self.latencies.append(now - ts)
                        self.stamps.append(ts)
                conn.close()
            except Exception:  # noqa: BLE001 - the database restarting: listen again
                time.sleep(0.5)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def bench_mqtt(url: str, broker: Broker, cluster, sensors: list[tuple[str, float, float]], seconds: float,  # noqa: ANN001
               rate: float, per_message: int, restarts: bool) -> dict:
    stamps: list[np.ndarray] = []
    latencies: list[np.ndarray] = []

    def hook(batch) -> None:  # noqa: ANN001 - the committed readings
        now = time.time()
        if batch:
            ts = np.fromiter((r.ts.timestamp() for r in batch), dtype=np.float64, count=len(batch))
            stamps.append(ts)
            latencies.append((now - ts).astype(np.float32))

    since = datetime.now(UTC) - timedelta(seconds=5)
    ingestor = Ingestor(url, retention_days=90, future_tolerance_s=60)
    ingestor.hooks = [hook]
    from geo_risk.monitoring.alarm_service import release, service_for

    alarms = service_for(url).attach(ingestor).start()  # as geo-risk ingest does: evaluated where it arrives
    listener = AlarmListener(url)
    listener.ready.wait(10)
    ingest = MqttIngest(ingestor, "127.0.0.1", broker.running_port() or 0, broker.user, broker.password or "",
                        client_id="bench-ingest", batch_rows=max(1, 10_000 // per_message), flush_ms=100).start()
    result: mp.Queue = mp.get_context("spawn").Queue()
    child = mp.get_context("spawn").Process(target=_gateway, args=(
        broker.running_port(), broker.user, broker.password, sensors, seconds, rate, per_message, result))
    t0 = time.monotonic()
    child.start()
    try:
        out = _run_mqtt(url, broker, cluster, seconds, restarts, since, ingest, child, result, t0, stamps, latencies)
    finally:
        ingest.stop()
        time.sleep(1.0)  # the last changes' notices
        listener.stop()
        release(alarms)
    lat = np.array(listener.latencies) if listener.latencies else np.zeros(1)
    ts = np.array(listener.stamps) if listener.stamps else np.zeros(1)
    steady = np.ones(len(lat), dtype=bool)
    for a, b in out["outages"]:
        steady &= ~((ts >= a - 5) & (ts <= b))
    out.update(alarm_changes=len(listener.latencies), alarm_p50_ms=float(np.percentile(lat, 50) * 1e3),
               alarm_p99_ms=float(np.percentile(lat, 99) * 1e3), alarm_max_ms=float(lat.max() * 1e3),
               alarm_p99_steady_ms=float(np.percentile(lat[steady] if steady.any() else lat, 99) * 1e3),
               alarm_failures=alarms.failures, alarm_batches=alarms.batches)
    return out


def _run_mqtt(url, broker, cluster, seconds, restarts, since, ingest, child, result, t0, stamps,  # noqa: ANN001, ANN202
              latencies):
    events = []
    outages: list[tuple[float, float]] = []  # wall-clock spans from each restart's start to its end + RECOVERY_S
    if restarts:
        time.sleep(seconds / 3)
        w = time.time()
        broker.stop()
        broker.start()
        outages.append((w, time.time() + RECOVERY_S))
        events.append(f"broker restarted at {time.monotonic() - t0:.0f} s ({time.time() - w:.1f} s)")
        time.sleep(max(0.0, 2 * seconds / 3 - (time.monotonic() - t0)))
        w = time.time()
        cluster.stop()
        time.sleep(2.0)
        cluster.start()
        outages.append((w, time.time() + RECOVERY_S))
        events.append(f"database restarted at {time.monotonic() - t0:.0f} s (down {time.time() - w:.1f} s)")
    child.join()
    sent = result.get(timeout=60)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # until every acknowledged reading is in the store (or 5 min)
        try:
            if _count(url, since) >= sent["acknowledged"]:
                break
        except Exception:  # noqa: BLE001 - the database may still be starting
            pass
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    in_db = _count(url, since)
    lat = np.concatenate(latencies) if latencies else np.zeros(1)
    ts = np.concatenate(stamps) if stamps else np.zeros(1)
    steady = np.ones(len(lat), dtype=bool)
    for a, b in outages:
        steady &= ~((ts >= a - 5) & (ts <= b))  # stamped from 5 s before a restart through its recovery
    lat_steady = lat[steady] if steady.any() else lat
    return {"p99_steady_ms": float(np.percentile(lat_steady, 99) * 1e3), "steady_share": float(steady.mean()),
            "sent": sent["sent"], "acknowledged": sent["acknowledged"], "stored": in_db,
            "publish_s": sent["seconds"], "elapsed_s": elapsed, "rate": in_db / elapsed,
            "p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3),
            "max_ms": float(lat.max() * 1e3), "events": events, "outages": outages}


def _serve(url: str, port: int) -> None:
    import uvicorn

    from api.app import create_app
    from geo_risk.settings import Settings

    settings = Settings(database_url=url, api_keys={"bench-analyst-key": "analyst"})
    uvicorn.run(create_app(settings, database_url=url), host="127.0.0.1", port=port, log_level="warning")


def bench_http(url: str, sensors: list[str], seconds: float, batch: int, clients: int = 2) -> dict:
    import httpx

    from geo_risk.ports import free_port

    port = free_port()
    server = mp.get_context("spawn").Process(target=_serve, args=(url, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    since = datetime.now(UTC)  # every reading of this leg is stamped after this
    stop = time.monotonic() + seconds
    counts = {"stored": 0, "duplicates": 0, "rejected": 0, "requests": 0}
    lat: list[float] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        mine = sensors[c::clients]  # each client its own sensors: no two send the same (sensor_id, ts)
        k = 0
        with httpx.Client(headers={"X-API-Key": "bench-analyst-key", "Content-Type": "application/json"},
                          timeout=60) as http:
            while time.monotonic() < stop:
                t = time.time()
                body = json.dumps([{"sensor_id": mine[(k + j) % len(mine)], "ts": t + j * 1e-6, "value": 50.0}
                                   for j in range(batch)])
                k += batch
                t1 = time.perf_counter()
                r = http.post(base + "/api/v1/readings", content=body)
                dt = time.perf_counter() - t1
                answer = r.json()
                with lock:
                    lat.append(dt)
                    counts["requests"] += 1
                    for key in ("stored", "duplicates", "rejected"):
                        counts[key] += answer[key]

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t0
    server.terminate()
    server.join()
    in_db = _count(url, since)
    return {**counts, "in_db": in_db, "elapsed_s": elapsed, "rate": counts["stored"] / elapsed,
            "p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3)}


def bench_copy(url: str, sensors: list[str], rows: int) -> dict:
    import io

    import psycopg2

    conn = psycopg2.connect(_dsn(url))
    t = time.time() + 3600  # an hour ahead of the other legs' readings: no conflicts
    with conn.cursor() as cur:  # the day's partition first (the ingest creates its own the same way)
        from geo_risk.store.readings import ReadingsWriter

        ReadingsWriter(conn).ensure_partitions([datetime.fromtimestamp(t, UTC).date(),
                                                datetime.fromtimestamp(t + rows * 1e-6 + 1, UTC).date()])
    start = time.perf_counter()
    step = 10_000
    with conn.cursor() as cur:
        for i in range(0, rows, step):
            buf = io.StringIO()
            for j in range(i, min(rows, i + step)):
                ts = datetime.fromtimestamp(t + j * 1e-6, UTC).isoformat()
                buf.write(f"{sensors[j % len(sensors)]}\t{ts}\t50.0\n")
            buf.seek(0)
            cur.copy_expert("COPY readings (sensor_id, ts, value) FROM STDIN", buf)
            conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return {"rows": rows, "elapsed_s": elapsed, "rate": rows / elapsed}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each leg (default 20 s)")
    ap.add_argument("--minutes", type=float, default=None, help="length of each leg in minutes (overrides)")
    ap.add_argument("--rate", type=float, default=12_000.0, help="MQTT readings/s offered (0: as fast as possible)")
    ap.add_argument("--per-message", type=int, default=200, help="readings per MQTT message")
    ap.add_argument("--http-batch", type=int, default=2000, help="readings per HTTP request")
    ap.add_argument("--restarts", action="store_true", help="restart the broker and the database during MQTT")
    ap.add_argument("--skip-http", action="store_true")
    args = ap.parse_args(argv)
    seconds = args.minutes * 60 if args.minutes else args.seconds

    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    sys.path.insert(0, str(REPO / "tests"))
    from helpers import SAMPLE_CITY, load

    root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_monitoring_"))
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root / "pg", echo=lambda *a: None)
    broker = Broker(root / "mqtt", user="bench", password="bench-password")
    try:
        cluster.start()
        url = cluster.url()
        migrate(url)
        load(SAMPLE_CITY, url)
        get_engine(url).dispose()
        broker.start()
        import psycopg2

        conn = psycopg2.connect(_dsn(url))
        with conn.cursor() as cur:
            # one limit per sensor, HH at 90 % of the span, no delays, deadband or other checks (see the docstring)
            cur.execute("UPDATE sensors SET ll = NULL, l = NULL, h = NULL, "
                        "hh = range_lo + 0.9 * (range_hi - range_lo), deadband = 1e-9 * (range_hi - range_lo), "
                        "on_delay_s = 1e-9, off_delay_s = 1e-9, "
                        "rate_limit = NULL")
            cur.execute("SELECT id, range_lo, range_hi FROM sensors ORDER BY id")
            probes = [(r[0], float(r[1]), float(r[2])) for r in cur.fetchall()]
        conn.commit()
        conn.close()
        sensors = [p[0] for p in probes]
        print(f"{len(sensors)} sensors; legs of {seconds:g} s; MQTT offered {args.rate:g} readings/s "
              f"({args.per_message} per message){'; restarts' if args.restarts else ''}", flush=True)
        m = bench_mqtt(url, broker, cluster, probes, seconds, args.rate, args.per_message, args.restarts)
        print(f"MQTT : {m['rate']:,.0f} readings/s sustained ({m['stored']:,} stored in {m['elapsed_s']:.1f} s); "
              f"latency publish→commit p50 {m['p50_ms']:.0f} ms, p99 {m['p99_ms']:.0f} ms, max {m['max_ms']:.0f} ms",
              flush=True)
        steady = f"; steady state p99 {m['alarm_p99_steady_ms']:.0f} ms" if m["events"] else ""
        print(f"ALARM: reading→alarm (commit → alarm row → NOTIFY received) over {m['alarm_changes']:,} alarm "
              f"changes: p50 {m['alarm_p50_ms']:.0f} ms, p99 {m['alarm_p99_ms']:.0f} ms, max {m['alarm_max_ms']:.0f} ms"
              f"{steady}; "
              f"{m['alarm_batches']:,} batches evaluated, {m['alarm_failures']} failure(s)", flush=True)
        if m["events"]:
            print(f"       steady state (readings stamped outside 5 s before each restart to {RECOVERY_S:g} s "
                  f"after it, {m['steady_share']:.1%} of them): p99 {m['p99_steady_ms']:.0f} ms", flush=True)
        print(f"       count in (acknowledged by the broker) {m['acknowledged']:,} = stored {m['stored']:,}: "
              f"{'yes' if m['acknowledged'] == m['stored'] else 'NO — LOST ' + str(m['acknowledged'] - m['stored'])}"
              f"{'; ' + '; '.join(m['events']) if m['events'] else ''}", flush=True)
        h = None
        if not args.skip_http:
            h = bench_http(url, sensors, seconds, args.http_batch)
            print(f"HTTP : {h['rate']:,.0f} readings/s sustained ({h['stored']:,} stored by {h['requests']} requests "
                  f"of {args.http_batch}); request p50 {h['p50_ms']:.0f} ms, p99 {h['p99_ms']:.0f} ms; "
                  f"answers {h['stored']:,} = in the store {h['in_db']:,}", flush=True)
        c = bench_copy(url, sensors, max(100_000, m["stored"]))
        print(f"COPY : {c['rate']:,.0f} rows/s ({c['rows']:,} rows in {c['elapsed_s']:.1f} s), no checks")
        print(f"ratio: MQTT ingest / COPY = {m['rate'] / c['rate']:.2f}×"
              + (f"; HTTP ingest / COPY = {h['rate'] / c['rate']:.2f}×" if h else ""))
    finally:
        broker.stop()
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
