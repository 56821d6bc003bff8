"""Row counts of stored layers and the date of the data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, table, text

from geo_risk.store.db import get_engine

__all__ = ["layer_counts", "data_date"]


def layer_counts(url: str, tables: list[str]) -> dict[str, int]:
    """Row count of each table."""
    out: dict[str, int] = {}
    with get_engine(url).connect() as conn:
        for name in tables:
            out[name] = int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
    return out


def data_date(url: str) -> datetime | None:
    """When the stored data last changed: the latest ``updated_at`` of any entity table (None: empty store)."""
    from geo_risk.store.models import ENTITY_TABLES

    parts = " UNION ALL ".join(f"SELECT max(updated_at) AS t FROM {name}" for name in ENTITY_TABLES)
    with get_engine(url).connect() as conn:
        return conn.execute(text(f"SELECT max(t) FROM ({parts}) s")).scalar_one()
