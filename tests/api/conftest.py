"""A module-scoped app on the graded sample city, with one API key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from helpers import ROLE_KEYS, SAMPLE_CITY, load

from api.app import create_app
from geo_risk.grading import grade_store
from geo_risk.settings import Settings


@pytest.fixture(scope="module")
def city_url(db_url: str) -> str:
    """The module's database with the sample city loaded and graded."""
    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    return db_url


@pytest.fixture(scope="module")
def city_client(city_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=city_url, api_keys=ROLE_KEYS), database_url=city_url)
    with TestClient(app) as c:
        yield c
