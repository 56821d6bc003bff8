"""The audit log: every write to the store (imports, edits, analysis runs) with who, when and what."""

from __future__ import annotations

import getpass
import json
from typing import Any

from sqlalchemy import text

from geo_risk.store.db import get_engine

__all__ = ["record", "recent", "cli_actor"]


def cli_actor() -> str:
    """The actor of a command-line run: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli:unknown"


def record(
    url: str,
    *,
    actor: str,
    role: str | None,
    channel: str,
    action: str,
    target: str | None = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry (in its own transaction, so a failed write is recorded too); return its id.

    ``channel`` is ``api`` or ``cli``; ``outcome`` ``ok`` or ``failed``. The entry carries the
    store's data version after the write.
    """
    with get_engine(url).begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO audit_log (actor, role, channel, action, target, outcome, details, data_version) "
                    "VALUES (:actor, :role, :channel, :action, :target, :outcome, CAST(:details AS jsonb), "
                    "(SELECT version FROM data_version)) RETURNING id"
                ),
                {
                    "actor": actor,
                    "role": role,
                    "channel": channel,
                    "action": action,
                    "target": target,
                    "outcome": outcome,
                    "details": json.dumps(details or {}, ensure_ascii=False, default=str),
                },
            ).scalar_one()
        )


def recent(url: str, limit: int = 100) -> list[dict[str, Any]]:
    """The latest ``limit`` entries, newest first."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM audit_log ORDER BY id DESC LIMIT :n"), {"n": max(1, min(limit, 10_000))}
        ).mappings()
        return [dict(r) for r in rows]
