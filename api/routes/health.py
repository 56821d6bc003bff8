"""``/health``: is the service up and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import get_database_url
from geo_risk import __version__
from geo_risk.errors import DatabaseUnavailable

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database status",
            responses={503: {"description": "The database is unreachable: status degraded, with the reason",
                             "content": {"application/json": {}}}})
def health(url: str = Depends(get_database_url)) -> JSONResponse:
    """200 with the PostGIS version and schema revision when the database answers, else 503."""
    from geo_risk.store.db import ping

    try:
        info = ping(url)
    except DatabaseUnavailable as exc:
        return JSONResponse(
            {"status": "degraded", "database": "unreachable", "detail": str(exc), "version": __version__},
            status_code=503,
        )
    return JSONResponse(
        {
            "status": "ok",
            "database": "reachable",
            "postgis": info["postgis"],
            "schema_revision": info["revision"],
            "version": __version__,
        }
    )
