"""``/collections/{collectionId}/export``: a whole layer as a file for QGIS and GDAL.

Formats (``f``): ``gpkg`` (GeoPackage 1.2, style inside), ``shp`` (zip of the Shapefile with
``.cpg``, ``.prj``, ``.qml``, ``.sld``), ``geojson`` (RFC 7946), ``kml``, ``fgb`` (FlatGeobuf),
``csv`` (geometry as WKT, EPSG:4326 lon/lat). Every feature, EPSG:4326, UTF-8; see
``geo_risk.export``. Access: as every other path serving a layer, through
``api.access.authorise_layer`` (restricted layers need an analyst key or above).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from api.access import Principal, authorise_layer, current_principal
from api.deps import get_database_url
from api.openapi import errors
from api.routes.ogc import INCLUDE_HISTORY
from geo_risk.export import EXPORT_FORMATS, export_download

__all__ = ["router"]

router = APIRouter(tags=["exports"])

_MEDIA_TYPES = sorted({f.media_type for f in EXPORT_FORMATS.values()})
#: The formats, as the enum the API document gives ``f``.
ExportFormat = Literal[tuple(EXPORT_FORMATS)]  # type: ignore[valid-type]


@router.get(
    "/collections/{collectionId}/export",
    summary="A whole layer as a file: GeoPackage, Shapefile (zip), GeoJSON, KML, FlatGeobuf or CSV",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as an attachment named <layer>.<suffix> (<layer>.shp.zip for shp)",
            "content": {m: {} for m in _MEDIA_TYPES},
        },
        **errors(404, 422, 429,
                 _404="No such layer (a restricted layer below its tier is answered exactly as an unknown one)",
                 _422="Unknown format, or an empty layer in a format that cannot describe its fields"),
    },
)
def export_collection(
    collection_id: Annotated[str, Path(alias="collectionId")],
    f: Annotated[ExportFormat, Query(description=f"format: {', '.join(EXPORT_FORMATS)}")] = "gpkg",
    include_history: Annotated[bool, INCLUDE_HISTORY] = False,
    *,
    request: Request,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    """Export every feature of ``collection_id`` (a plain ``def``: FastAPI runs it in a worker thread)."""
    layer = authorise_layer(collection_id, principal)
    with request.app.state.heavy.slot(principal.tier, f"export of {layer.id!r}"):
        download = export_download(url, layer.id, f, include_history)
    # sent from disk in chunks; the temporary folder goes once the response is out
    return FileResponse(download.path, media_type=download.media_type, filename=download.filename,
                        background=BackgroundTask(download.remove))
