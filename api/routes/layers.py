"""``/api/v1/layers``: the registered layers and their features as GeoJSON (first map service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.access import Principal, authorise_layer, can_see, current_principal
from api.deps import get_database_url
from geo_risk.errors import InvalidInput
from layers.registry import REGISTRY

router = APIRouter(prefix="/api/v1/layers", tags=["layers"])


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``lon_min,lat_min,lon_max,lat_max`` in degrees (EPSG:4326) → tuple, validated."""
    if bbox is None:
        return None
    try:
        parts = tuple(float(v) for v in bbox.split(","))
    except ValueError:
        raise InvalidInput(f"bbox {bbox!r} is not four numbers lon_min,lat_min,lon_max,lat_max") from None
    if len(parts) != 4:
        raise InvalidInput(f"bbox needs 4 numbers lon_min,lat_min,lon_max,lat_max; got {len(parts)}")
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(
            f"bbox {bbox!r} is not lon_min ≤ lon_max within ±180 and lat_min ≤ lat_max within ±90"
        )
    return parts  # type: ignore[return-value]


@router.get("", summary="Registered map layers, titles, styles and legends")
def list_layers(principal: Principal = Depends(current_principal)) -> dict[str, object]:
    return {"layers": [d.as_dict() for d in REGISTRY.values() if can_see(principal, d.tier)]}


@router.get("/{layer_id}.geojson", summary="Features of a layer as GeoJSON (EPSG:4326)")
def layer_geojson(
    layer_id: str,
    bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max (degrees)")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.store.features import feature_collection

    layer = authorise_layer(layer_id, principal)
    body = feature_collection(url, layer.table, layer.fields, parse_bbox(bbox), limit)
    return Response(body, media_type="application/geo+json")
