"""Dependencies shared by the routers: settings and the database URL of this app."""

from __future__ import annotations

from fastapi import Request

from geo_risk.settings import Settings


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_database_url(request: Request) -> str:
    """The database URL the app serves."""
    return request.app.state.database_url
