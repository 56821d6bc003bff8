"""``/api/v1/layers``: the registered layers the caller may see, with titles, styles and legends.

Features are served by the OGC API paths (api.routes.ogc): items by bbox and zoom, tiles, exports.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.access import Principal, can_see, current_principal
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
