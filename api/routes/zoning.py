"""``/api/v1/zoning``: the stored four-colour zoning — its settings and counts, and the risk heatmap as a
Cloud-Optimised GeoTIFF.

Public: the zoning's numbers are colours, individual risk (as public as the iso-risk contours), the
distance-weighted sum of the public R of major hazard units (R as the hazard-source layer serves it,
rounded to 0.01) and residents of the public residential layer. Only a current zoning is served (one
computed from the store's present inputs, risk runs and gradings); a stale one is a 404 that says to
run ``geo-risk analyse``. The cells, areas and enterprise colours themselves are map layers
(``risk_zones``, ``risk_zones_fine``, ``risk_areas``, ``risk_enterprises``: OGC collections, tiles, exports).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from api.deps import get_database_url
from api.openapi import errors, ok
from geo_risk.errors import NotFound

router = APIRouter(prefix="/api/v1/zoning", tags=["four-colour zoning and heatmap (service classification)"])

#: The media type of the heatmap (a Cloud-Optimised GeoTIFF).
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


class ZoningOut(BaseModel):
    computed_at: datetime
    inputs_version: int
    current: bool
    settings: dict[str, Any] = Field(description="H3 resolutions, R kernel and radius, the colour rules with their "
                                                 "confidence tags, and the basis (service classification)")
    summary: dict[str, Any] = Field(description="cells per colour and resolution, enterprises per colour and basis, "
                                                "IR grids read, timings")


def _current(url: str) -> dict[str, Any]:
    from geo_risk.store.zoning import latest_run

    run = latest_run(url)
    if run is None or not run["current"]:
        state = "is stale (inputs, risk runs or gradings changed since)" if run else "has not been computed"
        raise NotFound(f"the four-colour zoning {state}: run `geo-risk analyse`")
    return run


@router.get("", response_model=ZoningOut, summary="The current zoning: settings used and counts per colour",
            responses=errors(404, _404="No current zoning: run `geo-risk analyse`"))
def zoning(url: str = Depends(get_database_url)) -> dict[str, Any]:
    run = _current(url)
    summary = dict(run["summary"])
    summary.pop("cog", None)  # a server path: the file is served below
    return {**run, "summary": summary}


@router.get("/heatmap.tif", summary="The risk heatmap as a Cloud-Optimised GeoTIFF (4 bands, UTM)",
            response_class=Response,
            responses={**ok(COG, description="Bands: colour rank (1 red … 4 blue), largest summed IR per year, "
                                             "distance-weighted Σ R, residents per km²; as an attachment"),
                       **errors(404, _404="No current zoning, or its heatmap is not on this server")})
def heatmap(url: str = Depends(get_database_url)) -> FileResponse:
    run = _current(url)
    path = run["summary"].get("cog")
    if not path or not Path(path).is_file():
        raise NotFound("the heatmap of the current zoning is not on this server: run `geo-risk analyse --force`")
    return FileResponse(path, media_type=COG, filename="risk-heatmap.tif")
