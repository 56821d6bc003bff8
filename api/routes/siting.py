"""``POST /api/v1/siting-check``: the siting check (选址论证, issue 14) of :mod:`geo_risk.siting_check`.

Anyone may ask. The answer is rendered for the caller's tier: below analyst, the verdict, the rules,
the geometry and the caller's own planned figures, but no figure derived from the stored inventories
of existing enterprises (their IR, F-N points, required distances, domino values: listed under
``withheld``). A sensitive development (``kind``, ``population``) is answered from memory in tens of
milliseconds; a hazardous project (``unit_type``, ``inventory``) runs its own QRA and takes a heavy-work
slot of the caller's tier.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.access import Principal, current_principal
from api.deps import get_database_url
from api.openapi import HTML, JSON, errors, ok

PDF = "application/pdf"

router = APIRouter(prefix="/api/v1/siting-check", tags=["siting check (选址论证)"])


class SitingRequest(BaseModel):
    """A site and what is planned there: a development (kind, population) or a project (unit_type, inventory)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"site": {"type": "Point", "coordinates": [126.64164, 43.8998]}, "kind": "school", "population": 760},
        {"site": "POLYGON ((126.60 43.85, 126.601 43.85, 126.601 43.851, 126.60 43.851, 126.60 43.85))",
         "unit_type": "storage", "unit": {"equipment": "refrigerated_tank", "fire_class": "甲"},
         "inventory": [{"chemical": "甲烷，天然气", "max_quantity_t": 430, "state": "liquefied_refrigerated",
                        "temperature_c": -162, "pressure_mpa": 0.01}]},
    ]})

    site: dict[str, Any] | str = Field(description="GeoJSON geometry or Feature (Point, Polygon, MultiPolygon), or WKT")
    crs: str | None = Field(default=None, max_length=100,
                            description="CRS of the site: EPSG:4326 (default), EPSG:4490 (CGCS2000), gcj02, bd09 or "
                                        "a projected EPSG code")
    name: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=50,
                             description="a development's GB 36894 kind (school, residential, hospital, mall …)")
    population: float | None = Field(default=None, description="people at the development (> 0)")
    households: int | None = Field(default=None, description="households (residential)")
    unit_type: str | None = Field(default=None, max_length=20, description="a project: production or storage")
    unit: dict[str, Any] | None = Field(default=None, description="the project unit: equipment, containment, "
                                                                  "fire_class, special_process, operating_*")
    inventory: list[dict[str, Any]] | None = Field(default=None, max_length=200,
                                                   description="planned inventory rows (chemical, max_quantity_t "
                                                               "in t, state, temperature_c, pressure_mpa, …)")
    declared_distances_m: dict[str, float] | None = Field(default=None, description="class → declared distance (m)")
    units: list[dict[str, Any]] | None = Field(default=None, max_length=50,
                                               description="a project of several units: each with unit_type, "
                                                           "inventory, unit, declared_distances_m and its own site "
                                                           "(else the project's); instead of unit_type/inventory")
    replaces: str | None = Field(default=None, max_length=100,
                                 description="a stored enterprise the project stands in for (left out of its "
                                             "neighbours)")


@router.post("", summary="Siting check: verdict (不予通过 / 有条件通过 / 通过), reasons with rules and evidence",
             response_class=Response,
             responses={**ok(JSON, HTML, PDF, description="The verdict as JSON (format=json), or the report a planner "
                                                         "can file with its tables and map (format=html or pdf)"),
                        **errors(422, 429, _422="A field is missing or unusable — named in the answer: a "
                                                "self-intersecting site, a site far outside the store's area, an "
                                                "unknown kind or chemical, a population ≤ 0, an empty inventory, an "
                                                "unknown CRS")})
async def siting_check(
    body: SitingRequest,
    request: Request,
    format: Literal["json", "html", "pdf"] = Query("json", description="json (the result), html or pdf (the "
                                                                       "report with its tables and map)"),
    principal: Principal = Depends(current_principal),
    url: str = Depends(get_database_url),
) -> Response:
    from geo_risk.siting_check import check_site

    payload = body.model_dump(exclude_none=True)
    data_dir = request.app.state.settings.data_dir
    project = any(payload.get(k) is not None for k in ("inventory", "unit_type", "units"))

    def answer() -> Response:
        result = check_site(url, payload, tier=principal.tier, data_dir=data_dir, warm=True)
        if format == "json":
            return JSONResponse(result)
        return _report(url, result, format, data_dir)

    if not project and format == "json":
        return await run_in_threadpool(answer)

    def held() -> Response:  # a project runs its own QRA, a report draws a map: a heavy-work slot of the tier
        with request.app.state.heavy.slot(principal.tier, "siting check of a hazardous project or its report"):
            return answer()

    return await run_in_threadpool(held)


def _report(url: str, result: dict[str, Any], fmt: str, data_dir: Any) -> Response:
    import tempfile
    from pathlib import Path

    from geo_risk.siting_check import map_layers
    from geo_risk.siting_report import write_report

    with tempfile.TemporaryDirectory(prefix="siting_") as tmp:
        path = write_report(result, Path(tmp) / f"siting-check.{fmt}", map_layers(url, result, data_dir=data_dir))
        content = path.read_bytes()
    media = HTML + "; charset=utf-8" if fmt == "html" else PDF
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="siting-check.{fmt}"'})
