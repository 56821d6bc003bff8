"""The FastAPI application factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from api import errors, input_guard, methods, openapi
from api.disclosure import DiscloseTexts
from api.heavy import HeavyWork
from api.routes import apidocs, conflicts, exports, hazard_sources, health, layers, loads, ogc, risk, webmap
from geo_risk import __version__
from geo_risk.settings import Settings, get_settings


def create_app(settings: Settings | None = None, database_url: str | None = None) -> FastAPI:
    """Build the app. ``database_url`` defaults to the settings' (or the embedded cluster's) URL."""
    from geo_risk.store.db import resolve_url

    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.version_watch.stop()  # the LISTEN thread of the tile cache
        ingestor = getattr(app.state, "ingestor", None)  # the readings route's connection (issue 15)
        if ingestor is not None:
            ingestor.close()
        alarm_service = getattr(app.state, "alarm_service", None)  # the evaluator of this process (issue 15)
        if alarm_service is not None:
            from geo_risk.monitoring.alarm_service import release

            release(alarm_service)
        alarm_stream = getattr(app.state, "alarm_stream", None)  # the LISTEN thread of the alarm stream
        if alarm_stream is not None:
            alarm_stream.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="geo_risk 重大危险源风险地图服务",
        version=__version__,
        description="Major-hazard-source risk map service: store, grading, risk engine and map layers.",
        docs_url=None,  # /docs is served by api.routes.apidocs with Swagger UI from this server, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database_url = database_url or resolve_url(settings, start=False)
    app.state.heavy = HeavyWork({"public": settings.heavy_public, "restricted": settings.heavy_restricted},
                                settings.heavy_wait_s)
    errors.install(app)
    for module in (health, layers, loads, hazard_sources, exports, risk, conflicts):
        app.include_router(module.router)
    from api.routes import clusters as cluster_routes  # joint-prevention clusters (issue 12)

    app.include_router(cluster_routes.router)
    webmap.install(app)
    apidocs.install(app)
    from api.routes import zoning as zoning_routes  # four-colour zoning and the heatmap COG (issue 12)

    app.include_router(zoning_routes.router)
    from api.routes import monitoring as monitoring_routes  # sensor readings in batches (issue 15)

    app.include_router(monitoring_routes.router)
    from api.routes import alarms as alarm_routes  # alarms: list, actions, metrics, the event stream (issue 15)

    alarm_routes.install(app, settings)
    from api.routes import relocation as relocation_routes  # the relocation plan (issue 14)

    app.include_router(relocation_routes.router)
    from api.routes import hidden_dangers as hidden_danger_routes  # the hidden-danger register (issue 15)

    app.include_router(hidden_danger_routes.router)
    from api.routes import siting as siting_routes  # the siting check (issue 14)

    app.include_router(siting_routes.router)
    from api.routes import scenarios as scenario_routes  # before/after scenarios (issue 14)

    app.include_router(scenario_routes.router)
    from api.routes import live as live_routes  # the live map: live colours, units in alarm, live S/R (issue 15)

    app.include_router(live_routes.router)
    ogc.install(app, settings, app.state.database_url)
    openapi.install(app)  # the document completed: one error body, every status, security (api.openapi)
    methods.install(app)  # OPTIONS and 405 list every method of a path
    input_guard.install(app)  # text the store cannot hold (a NUL) is refused before any work
    # Outermost: every response body, the fast path's and the error handlers' included, passes the
    # tier rule for texts (api.disclosure).
    app.add_middleware(DiscloseTexts, settings=settings)
    return app
