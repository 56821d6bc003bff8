"""Stored analysis results: GB 18218 assessments (the only SQL for them)."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import delete, insert, select, text

from geo_risk.store.db import get_engine
from geo_risk.store.models import DataVersion, HazardAssessment

__all__ = ["inputs_version", "replace_assessments", "assessments_are_current"]


def inputs_version(url: str) -> int:
    """The store's inputs version (bumped by every write to an entity table)."""
    with get_engine(url).connect() as conn:
        return int(conn.execute(select(DataVersion.inputs_version)).scalar_one())


def replace_assessments(url: str, assessed: pd.DataFrame, version: int, method: str) -> None:
    """Replace every stored assessment with ``assessed`` (one transaction)."""
    rows = []
    for uid, rec in assessed.iterrows():
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
        row["terms"] = json.loads(json.dumps(row["terms"]))  # plain JSON types
        row.update(unit_id=uid, inputs_version=version, method=method)
        rows.append(row)
    with get_engine(url).begin() as conn:
        conn.execute(delete(HazardAssessment))
        if rows:
            conn.execute(insert(HazardAssessment), rows)


def assessments_are_current(url: str) -> bool:
    """True when stored assessments exist and were computed at the current inputs version."""
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            "SELECT (SELECT min(inputs_version) FROM hazard_assessments), inputs_version FROM data_version"
        )).one()
    return row[0] is not None and row[0] == row[1]
