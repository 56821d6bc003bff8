"""``/api/v1/risk``: stored risk-engine results — runs, contours, external distances, F-N data and plots.

Reads are public (contours, distances and F-N curves say where risk is, not what is stored); a new
run is an analysis write and needs an analyst key (it is recorded in the audit log). Every answer
carries the run's assumptions (weather, wind rose and its FROM convention, grid, model version) and
``current`` (false once the store's inputs changed after the run).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from api.access import Principal, require_role
from api.deps import get_database_url
from api.openapi import errors, ok
from geo_risk.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/risk", tags=["risk (GB/T 37243, GB 36894)"])

Scope = Literal["enterprise", "park"]
#: The media type of the IR grid (a Cloud-Optimised GeoTIFF).
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


class RunOut(BaseModel):
    id: int
    scope: Scope
    scope_id: str
    criteria: str | None = Field(description="GB 36894 column: new (新建) or existing (在役)")
    model_version: str
    assumptions: dict[str, Any]
    grid_cell_m: float | None
    max_ir: float | None = Field(description="largest individual risk on the grid, per year")
    fn: dict[str, list[float]] | None = Field(description="F-N curve: n (deaths) and f (per year)")
    fn_region: str | None = Field(description="unacceptable / alarp / acceptable (advisory: F-N lines C1)")
    computed_at: datetime
    current: bool


class DistanceOut(BaseModel):
    enterprise_id: str
    unit_id: str | None
    target_class: str
    method: str
    method_distance_m: float | None
    code_distance_m: float | None
    final_distance_m: float | None
    declared_distance_m: float | None
    declared_shorter: bool | None
    criteria: str | None
    reason: str | None
    computed_at: datetime
    current: bool


class RunRequest(BaseModel):
    enterprise_id: str | None = None
    park_id: str | None = None
    all: bool = False
    cell_m: float = Field(default=25.0, gt=1, le=500, description="grid cell, metres")
    sector_smoothing: Literal["exact", "rays"] | None = Field(
        default=None, description="exact (each wind sector uniform over its width, Purple Book) or rays (the old "
        "spokes); unset: GEO_RISK_RISK_SECTOR_SMOOTHING, else exact")
    population_treatment: Literal["purple_book", "outdoor_everyone"] | None = Field(
        default=None, description="societal risk: purple_book (day/night, indoors/outdoors) or outdoor_everyone "
        "(conservative screening); unset: GEO_RISK_RISK_POPULATION_TREATMENT, else purple_book")
    day_fraction: float | None = Field(
        default=None, ge=0, le=1, description="share of the year in the day period; unset: "
        "GEO_RISK_RISK_DAY_FRACTION, else 0.4375 (UNCONFIRMED)")
    flash_fire_indoor_factor: float | None = Field(
        default=None, ge=0, le=1, description="indoor lethality inside a flash-fire envelope; unset: "
        "GEO_RISK_RISK_FLASH_FIRE_INDOOR_FACTOR, else 1 (UNCONFIRMED)")


def _run(url: str, scope: str, scope_id: str) -> dict[str, Any]:
    from geo_risk.store.risk_results import get_run

    run = get_run(url, scope, scope_id)
    if run is None:
        raise NotFound(f"no risk run for {scope} {scope_id!r}: run `geo-risk risk --{scope} {scope_id}`")
    return run


@router.get("/runs", response_model=list[RunOut], summary="Every stored QRA run with its assumptions")
def runs(url: str = Depends(get_database_url)) -> list[dict[str, Any]]:
    from geo_risk.store.risk_results import list_runs

    return list_runs(url)


@router.get("/{scope}/{scope_id}", response_model=RunOut, summary="One enterprise's or park's QRA run")
def run(scope: Scope, scope_id: str, url: str = Depends(get_database_url)) -> dict[str, Any]:
    return _run(url, scope, scope_id)


@router.get("/{scope}/{scope_id}/contours", summary="Iso-risk contours (GeoJSON, EPSG:4326)",
            response_class=Response, responses=ok("application/geo+json", description="A GeoJSON FeatureCollection"))
def contours(scope: Scope, scope_id: str, url: str = Depends(get_database_url)) -> Response:
    import json

    from geo_risk.store.risk_results import run_contours_geojson

    r = _run(url, scope, scope_id)
    doc = run_contours_geojson(url, r["id"])
    doc["assumptions"] = r["assumptions"]
    doc["settings"] = r["assumptions"].get("run_settings")
    doc["current"] = r["current"]
    return Response(json.dumps(doc, ensure_ascii=False, default=str), media_type="application/geo+json")


@router.get("/{scope}/{scope_id}/fn-curve.png", summary="F-N curve against the GB 36894 lines (PNG)",
            response_class=Response, responses=ok("image/png", description="The plot"))
def fn_curve_png(scope: Scope, scope_id: str, url: str = Depends(get_database_url)) -> Response:
    import numpy as np

    from geo_risk.risk.run import settings_line
    from geo_risk.risk.societal import plot_fn

    r = _run(url, scope, scope_id)
    fn = r["fn"] or {"n": [], "f": []}
    a = r["assumptions"]
    note = f"{a.get('wind_rose', '')}; weather {', '.join(a.get('weather', {}))}; model {r['model_version']}"
    societal = a.get("societal_population") or {}
    if a.get("societal_risk"):  # the population treatment and the UNCONFIRMED values it used
        unconfirmed = [u for u in societal.get("unconfirmed_used", []) if not u.startswith("presence_fractions[")]
        kinds = sum(u.startswith("presence_fractions[") for u in societal.get("unconfirmed_used", []))
        note += (f"; societal risk: {a['societal_risk']}; {a.get('sector_smoothing', '')}; UNCONFIRMED: "
                 f"{', '.join(unconfirmed) or '—'}" + (f", presence fractions of {kinds} kinds" if kinds else ""))
    note += f"; {settings_line(a.get('run_settings'))}"
    with tempfile.TemporaryDirectory() as tmp:
        path = plot_fn({f"{scope_id}": (np.array(fn["n"]), np.array(fn["f"]))}, Path(tmp) / "fn.png",
                       f"F-N 曲线 F-N curve — {scope_id}（{r['fn_region'] or '—'}）", note)
        return Response(path.read_bytes(), media_type="image/png")


@router.get("/{scope}/{scope_id}/ir.tif", summary="The IR grid as a Cloud-Optimised GeoTIFF (per year)",
            response_class=Response,
            responses={**ok(COG, description="The grid, as an attachment"),
                       **errors(404, _404="No run for this enterprise or park, or its grid is not on this server")})
def ir_grid(scope: Scope, scope_id: str, url: str = Depends(get_database_url)) -> FileResponse:
    r = _run(url, scope, scope_id)
    if not r["grid_path"] or not Path(r["grid_path"]).is_file():
        raise NotFound(f"the IR grid of {scope} {scope_id!r} is not on this server: run `geo-risk risk` again")
    return FileResponse(r["grid_path"], media_type=COG,
                        filename=f"ir-{scope}-{scope_id}.tif")


@router.get("/distances", response_model=list[DistanceOut], summary="External safety distances per unit and class")
def distances(
    enterprise_id: Annotated[str | None, Query(description="one enterprise")] = None,
    url: str = Depends(get_database_url),
) -> list[dict[str, Any]]:
    from geo_risk.store.risk_results import distances_for

    return distances_for(url, enterprise_id)


@router.post("/runs", summary="Run the risk engine (analyst key); recorded in the audit log",
             responses=errors(422, 429, _422="The body breaks its schema (a setting out of its range or not one of its "
                                        "values, named in the answer), names no target (enterprise_id, park_id or "
                                        "all: true), or the wind rose file is not usable"))
async def start_run(
    body: RunRequest,
    request: Request,
    principal: Principal = Depends(require_role("analyst")),
    url: str = Depends(get_database_url),
) -> dict[str, Any]:
    from geo_risk.risk_runs import risk_settings, run_risk
    from geo_risk.store.audit import record

    target = body.enterprise_id or body.park_id or ("all" if body.all else None)
    if target is None:
        raise InvalidInput("give enterprise_id, park_id or all: true")
    try:
        # The city rose (GEO_RISK_WIND_ROSE_FILE) is read and checked here: a bad file is a 422 naming it.
        settings = risk_settings(request.app.state.settings, cell_m=body.cell_m,
                                 sector_smoothing=body.sector_smoothing,
                                 population_treatment=body.population_treatment, day_fraction=body.day_fraction,
                                 flash_fire_indoor_factor=body.flash_fire_indoor_factor)
        def held() -> Any:  # a risk run holds a heavy-work slot of the caller's tier
            with request.app.state.heavy.slot(principal.tier, "risk run"):
                return run_risk(url, enterprise_id=body.enterprise_id, park_id=body.park_id, everything=body.all,
                                settings=settings, data_dir=request.app.state.settings.data_dir)

        report = await run_in_threadpool(held)
    except Exception as exc:
        await run_in_threadpool(record, url, actor=principal.key_id or "?", role=principal.role, channel="api",
                                action="risk", target=target, outcome="failed", details={"error": str(exc)})
        raise
    await run_in_threadpool(record, url, actor=principal.key_id or "?", role=principal.role, channel="api",
                            action="risk", target=target, outcome="ok", details={"summary": report.summary()})
    await run_in_threadpool(request.app.state.version_watch.refresh)
    return {"summary": report.summary(), "runs": report.runs, "problems": report.problems, "notes": report.notes,
            "wind_rose": settings.describe()["wind_rose"], "settings": settings.settings_used()}
