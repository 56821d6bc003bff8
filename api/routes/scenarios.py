"""``/api/v1/scenarios``: before/after scenarios on the stored city (issue 14; :mod:`geo_risk.scenarios`).

``POST`` runs a scenario (planned changes applied in memory; the store is never written) under a
heavy-work slot of the caller's tier. Analysts get the figures: the IR difference (summary, the
after contours and the raised / lowered areas as inline GeoJSON), the F-N curves before and after,
people per IR band, the conflicts added and removed with their numbers, and links to the products
kept for the scenario id (``GET …/{id}/ir-difference.tif``, ``GET …/{id}/fn.png``; analyst key). Below
analyst every figure is derived from inventory quantities, so the answer is the verdict (risk
raised / lowered), the changes and which conflicts are added and removed, without numbers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import Principal, current_principal, require_role
from api.deps import get_database_url
from api.openapi import JSON, errors, ok
from geo_risk.scenarios import CHANGE_SCHEMA

router = APIRouter(prefix="/api/v1/scenarios", tags=["before/after scenarios (情景分析)"])
TIFF = "image/tiff"
PNG = "image/png"


class ScenarioRequest(BaseModel):
    """A scenario: changes applied in order to the stored city."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "ENT-0005 关闭 / closed", "changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-0005"}]},
        {"name": "削减 / cut", "changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005", "share": 0.5}]},
        {"name": "迁入园区 / into a park", "changes": [{"type": "move_to_park", "enterprise_id": "ENT-0102",
                                                     "park_id": "PARK-01"}]},
    ]})

    name: str | None = Field(default=None, max_length=200)
    changes: list[dict[str, Any]] = Field(
        min_length=1, max_length=50, json_schema_extra={"items": CHANGE_SCHEMA},
        description="each with type add_project (the siting-check request shape: site, unit_type, unit, inventory "
                    "or units), remove_enterprise (enterprise_id), move_to_park (enterprise_id, park_id, optional "
                    "at), cut_inventory (unit_id or enterprise_id, optional chemical, share 0–1 or max_quantity_t), "
                    "add_development (site, kind, population) or relocation_case (enterprise_id: the stored "
                    "relocation plan's outcome)")
    baseline_without: list[str] | None = Field(default=None, max_length=50,
                                               description="stored enterprises left out of both sides (a stored "
                                                           "planned project the scenario's project stands in for)")


def _run(request: Request, principal: Principal, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    from geo_risk.scenarios import keep_products, result_json, run_scenario

    data_dir = request.app.state.settings.data_dir
    with request.app.state.heavy.slot(principal.tier, "before/after scenario"):
        result = run_scenario(url, payload, data_dir=data_dir, settings=request.app.state.settings)
        links = None
        if principal.tier == "restricted":
            paths = keep_products(result, data_dir)
            base = f"/api/v1/scenarios/{result.scenario_id}"
            links = {"fn_png": f"{base}/fn.png"}
            if "ir_difference_tif" in paths:
                links["ir_difference_tif"] = f"{base}/ir-difference.tif"
    return result_json(result, principal.tier, links)


@router.post("", summary="Run a before/after scenario on the stored city (nothing is written)",
             response_class=Response,
             responses={**ok(JSON, description="The difference: verdict, conflicts added and removed; for analysts "
                                               "the IR difference, contours, F-N, people per band and links"),
                        **errors(404, 422, 429, _404="No stored relocation plan (a relocation_case change)",
                                 _422="A change is unusable — named as changes[i].field: an empty change list, an "
                                      "unknown type or enterprise, a share outside 0–1, a bad site")})
async def post_scenario(body: ScenarioRequest, request: Request, principal: Principal = Depends(current_principal),
                        url: str = Depends(get_database_url)) -> JSONResponse:
    payload = body.model_dump(exclude_none=True)
    return JSONResponse(await run_in_threadpool(_run, request, principal, url, payload))


def _product(request: Request, scenario_id: str, name: str, media: str) -> Response:
    from geo_risk.errors import NotFound
    from geo_risk.scenarios import scenario_dir

    path = scenario_dir(request.app.state.settings.data_dir, scenario_id) / name
    if not path.is_file():
        raise NotFound(f"no {name} for scenario {scenario_id!r}: run it with POST /api/v1/scenarios (kept for the "
                       "newest scenarios only)")
    return FileResponse(path, media_type=media, filename=f"scenario-{scenario_id}-{name}")


@router.get("/{scenario_id}/ir-difference.tif", summary="The IR difference raster (analyst key)",
            response_class=Response,
            responses={**ok(TIFF, description="float32 GeoTIFF in the local UTM zone (metres): band 1 IR after − "
                                              "before, 2 before, 3 after (per year)"), **errors(404)})
def get_difference_tif(scenario_id: str, request: Request,
                       principal: Principal = Depends(require_role("analyst"))) -> Response:
    return _product(request, scenario_id, "ir-difference.tif", TIFF)


@router.get("/{scenario_id}/fn.png", summary="F-N curves before and after on one plot (analyst key)",
            response_class=Response,
            responses={**ok(PNG, description="PNG: before dashed, after solid, the GB 36894 lines"), **errors(404)})
def get_fn_png(scenario_id: str, request: Request,
               principal: Principal = Depends(require_role("analyst"))) -> Response:
    return _product(request, scenario_id, "fn.png", PNG)
