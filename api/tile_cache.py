"""The vector-tile cache and the store's data version it is keyed on.

A tile is cached under (layer, data version, access tier, z, x, y). The data version is a counter
in the database that every write bumps by trigger — API, CLI load, grading, any later analysis —
and announces with ``pg_notify`` (migration 0003). :class:`VersionWatch` LISTENs on a connection of
its own and keeps the latest version in memory, so a warm tile costs no database round trip; when
the version moves, older entries can never be hit again and are dropped. Writes made through this
process call :meth:`VersionWatch.refresh` after they commit, so their own next tile is fresh at once;
writes by another process are seen when their notification arrives (milliseconds). Should the
listening connection fail, every lookup reads the version from the database until it is back.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from collections import OrderedDict

import psycopg2
import psycopg2.extensions

__all__ = ["VersionWatch", "TileCache", "CHANNEL"]

CHANNEL = "geo_risk_data_version"
log = logging.getLogger(__name__)


def _dsn(url: str) -> str:
    """A libpq DSN from a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {"host": u.host, "port": u.port, "dbname": u.database, "user": u.username, "password": u.password}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v not in (None, ""))


class VersionWatch:
    """The store's data version, kept current by LISTEN/NOTIFY (falls back to a query per call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._version: int | None = None
        self._listening = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list = []

    def on_change(self, callback) -> None:  # noqa: ANN001 - callable(int)
        """Call ``callback(version)`` whenever the version moves."""
        self._listeners.append(callback)

    def start(self) -> None:
        """Start the listening thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="geo-risk-version-watch", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _set(self, version: int) -> None:
        changed = version != self._version
        self._version = version
        if changed:
            for callback in self._listeners:
                callback(version)

    def refresh(self) -> int:
        """Read the version from the database now (after a write of this process)."""
        from sqlalchemy import text

        from geo_risk.store.db import get_engine

        with get_engine(self.url).connect() as conn:
            version = int(conn.execute(text("SELECT version FROM data_version")).scalar_one())
        self._set(version)
        return version

    @property
    def listening(self) -> bool:
        """True while the version comes from notifications (reading it costs no query)."""
        return self._listening and self._version is not None

    @property
    def version(self) -> int:
        """The current data version (from memory while listening, else from the database)."""
        if self._listening and self._version is not None:
            return self._version
        self.start()
        return self.refresh()

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            conn = None
            try:
                conn = psycopg2.connect(_dsn(self.url))
                conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
                with conn.cursor() as cur:
                    cur.execute(f"LISTEN {CHANNEL}")
                    cur.execute("SELECT version FROM data_version")
                    self._set(int(cur.fetchone()[0]))
                self._listening = True
                while not self._stop.is_set():
                    if select.select([conn], [], [], 5.0) == ([], [], []):
                        continue
                    conn.poll()
                    latest = None
                    while conn.notifies:
                        latest = conn.notifies.pop(0).payload
                    if latest is not None:
                        # Payloads can arrive out of order across transactions: read the row itself.
                        with conn.cursor() as cur:
                            cur.execute("SELECT version FROM data_version")
                            self._set(int(cur.fetchone()[0]))
            except Exception as exc:  # noqa: BLE001 - reconnect on any failure; lookups query meanwhile
                failures += 1
                (log.warning if failures == 1 else log.debug)("data-version listener: %s; retrying", exc)
            else:
                failures = 0
            finally:
                self._listening = False
                if conn is not None:
                    with contextlib.suppress(Exception):  # closing a broken connection
                        conn.close()
            self._stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))


class TileCache:
    """An LRU of tile bytes bounded by ``max_bytes``; keys carry the data version and access tier."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.created = time.time()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: tuple, count_miss: bool = True) -> bytes | None:
        """The cached tile, or None. ``count_miss=False`` for a look that a full lookup follows."""
        if not self.enabled:
            return None
        with self._lock:
            data = self._items.get(key)
            if data is None:
                self.misses += count_miss
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return data

    def put(self, key: tuple, data: bytes) -> None:
        if not self.enabled or len(data) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = data
            self._bytes += len(data)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def drop_older_than(self, version: int) -> None:
        """Forget every tile made at an older data version (key position 1)."""
        with self._lock:
            for key in [k for k in self._items if k[1] != version]:
                self._bytes -= len(self._items.pop(key))

    def stats(self) -> dict[str, float]:
        with self._lock:
            return {"tiles": len(self._items), "bytes": self._bytes, "hits": self.hits, "misses": self.misses}
