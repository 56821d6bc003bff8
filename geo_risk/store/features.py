"""Row counts of stored layers."""

from __future__ import annotations

from sqlalchemy import func, select, table

from geo_risk.store.db import get_engine

__all__ = ["layer_counts"]


def layer_counts(url: str, tables: list[str]) -> dict[str, int]:
    """Row count of each table."""
    out: dict[str, int] = {}
    with get_engine(url).connect() as conn:
        for name in tables:
            out[name] = int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
    return out
