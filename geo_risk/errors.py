"""Errors users can act on.

Every message says what failed, the value received, what is valid and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GeoRiskError",
    "InvalidInput",
    "CRSMismatch",
    "UnknownSubstance",
    "NotFound",
    "Problem",
    "ValidationFailed",
    "DatabaseUnavailable",
]


class GeoRiskError(Exception):
    """Base class of every geo_risk error."""


class InvalidInput(GeoRiskError):
    """Input data or arguments that cannot be used as given."""


class CRSMismatch(GeoRiskError):
    """Coordinates in a CRS the operation cannot use."""


class UnknownSubstance(GeoRiskError):
    """A chemical that the catalogue does not know."""


class NotFound(GeoRiskError):
    """A requested object does not exist."""


class DatabaseUnavailable(GeoRiskError):
    """The PostGIS store cannot be reached or started."""


@dataclass(frozen=True)
class Problem:
    """One rejected (or repaired) row of an import.

    ``row`` is the 1-based feature number within its layer (the first data row is 1),
    ``id`` the row's external id when it has one.
    """

    layer: str
    row: int | None
    id: str | None
    reason: str
    severity: str = "error"  # "error" rejects the load; "warning" is reported (e.g. a repair)

    def __str__(self) -> str:
        where = f"{self.layer}"
        if self.row is not None:
            where += f" row {self.row}"
        if self.id is not None:
            where += f" (id {self.id!r})"
        return f"{where}: {self.reason}"


class ValidationFailed(InvalidInput):
    """An import was rejected; ``problems`` lists every bad row. Nothing was written."""

    def __init__(self, problems: list[Problem], limit: int = 50) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        shown = "\n".join(f"  - {p}" for p in errors[:limit])
        more = f"\n  … and {len(errors) - limit} more" if len(errors) > limit else ""
        super().__init__(f"{len(errors)} problem(s) found; nothing was written to the store.\n{shown}{more}")
