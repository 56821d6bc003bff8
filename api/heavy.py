"""Heavy work under a concurrency limit per access tier, so a few callers cannot starve the map.

Exports, hexagon-index builds and risk runs read whole layers or run for minutes. Each takes a
slot of its caller's tier (``GEO_RISK_HEAVY_PUBLIC`` for anonymous callers and viewers,
``GEO_RISK_HEAVY_RESTRICTED`` for analysts and above) and gives it back when done; a request that
finds no free slot within ``GEO_RISK_HEAVY_WAIT_S`` seconds is answered 429 with ``Retry-After``.
Tiles, items and everything else never wait here: the map stays responsive while the slots are busy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from geo_risk.errors import GeoRiskError

__all__ = ["Busy", "HeavyWork"]


class Busy(GeoRiskError):
    """Every heavy-work slot of the caller's tier is taken (HTTP 429, Retry-After)."""

    retry_after_s = 30


class HeavyWork:
    """Per-tier slots for heavy work (threading semaphores: taken from worker threads or the loop)."""

    def __init__(self, limits: dict[str, int], wait_s: float) -> None:
        self.limits = dict(limits)
        self.wait_s = wait_s
        self._slots = {tier: threading.BoundedSemaphore(n) for tier, n in limits.items()}

    @contextmanager
    def slot(self, tier: str, what: str) -> Iterator[None]:
        """Hold one slot of ``tier`` while ``what`` runs; Busy when none frees up in time."""
        sem = self._slots[tier]
        if not sem.acquire(timeout=self.wait_s):
            raise Busy(
                f"{what}: the server is already doing {self.limits[tier]} heavy job(s) for {tier} callers "
                f"(exports, hexagon indexes, risk runs); retry in {Busy.retry_after_s} s"
            )
        try:
            yield
        finally:
            sem.release()
