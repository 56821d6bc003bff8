"""Test fixtures: a real PostgreSQL + PostGIS cluster started by the suite itself.

One throwaway cluster per session (the project's own embedded-cluster code, fsync off), migrated
once into a template database; each module (``db_url``) or test (``fresh_db_url``) gets its own
clone (``CREATE DATABASE … TEMPLATE``), so loads, COPY on their own connection and rollbacks are
tested against a real database and checked afterwards. Never a mock.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from geo_risk.store.db import get_engine, migrate
from geo_risk.store.embedded import EmbeddedCluster

# Property tests draw the same examples on every run (a CI run must not pass or fail by chance;
# a new seed is a deliberate change), with no per-example deadline on a loaded 2-core machine.
hypothesis_settings.register_profile("geo_risk", derandomize=True, deadline=None)
hypothesis_settings.load_profile("geo_risk")

TEMPLATE = "georisk_template"
_counter = itertools.count()
REPO = Path(__file__).resolve().parents[1]
# Reference material the tests check against, inside the repository (nothing is read from outside it):
# the published tables as CSV (tests/data/PROVENANCE.md) and the standards notes (docs/standards/).
TEST_DATA = REPO / "tests" / "data"
STANDARDS_NOTES = REPO / "docs" / "standards"


# `make mutants` sets this: mutmut forks one pytest session per mutant, and they all share one cluster in
# this folder (started once, kept running; the Makefile destroys it at the end) instead of each running
# initdb and the migrations again. Unset (a normal run), every pytest process has a throwaway cluster.
SHARED_CLUSTER_ENV = "GEO_RISK_TEST_SHARED_PG"


def _shared_cluster(root: Path) -> EmbeddedCluster:
    import fcntl

    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    cluster = EmbeddedCluster(root, unsafe=True, echo=lambda *a, **k: None)
    with open(root.parent / f"{root.name}.lock", "w") as lock:  # one starter and migrator at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        cluster.start()
        admin = cluster._admin()
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEMPLATE,))
                if cur.fetchone() is None:  # migrated under another name, so a half-built one is never used
                    building = f"{TEMPLATE}_building"
                    cluster.drop_database(building)
                    cluster.create_database(building)
                    migrate(cluster.url(building))
                    get_engine(cluster.url(building)).dispose()
                    cur.execute(f"ALTER DATABASE {building} RENAME TO {TEMPLATE}")
        finally:
            admin.close()
    return cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[EmbeddedCluster]:
    shared = os.environ.get(SHARED_CLUSTER_ENV)
    if shared:
        yield _shared_cluster(Path(shared))
        return
    root = Path(tempfile.mkdtemp(prefix="geo_risk_test_pg_"))
    os.chmod(root, 0o755)  # the server runs as an unprivileged user when the suite runs as root
    cluster = EmbeddedCluster(root, unsafe=True, echo=lambda *a, **k: None)
    cluster.start()
    cluster.create_database(TEMPLATE)
    url = cluster.url(TEMPLATE)
    migrate(url)
    get_engine(url).dispose()
    yield cluster
    cluster.destroy()


def _new_db(cluster: EmbeddedCluster, hint: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", hint.lower())[-40:].strip("_") + f"_{next(_counter)}"
    if os.environ.get(SHARED_CLUSTER_ENV):  # sessions forked from one process share the counter
        name += f"_{os.getpid()}"
    cluster.create_database(name, template=TEMPLATE)
    return name


def _drop(cluster: EmbeddedCluster, name: str) -> None:
    get_engine(cluster.url(name)).dispose()
    cluster.drop_database(name)


@pytest.fixture(scope="module")
def db_url(pg_cluster: EmbeddedCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of this test module's own."""
    name = _new_db(pg_cluster, request.module.__name__)
    yield pg_cluster.url(name)
    _drop(pg_cluster, name)


@pytest.fixture
def fresh_db_url(pg_cluster: EmbeddedCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database of this test's own."""
    name = _new_db(pg_cluster, request.node.name)
    yield pg_cluster.url(name)
    _drop(pg_cluster, name)


@pytest.fixture
def empty_db_url(pg_cluster: EmbeddedCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with PostGIS available but no schema (for migration tests)."""
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[-40:] + f"_{next(_counter)}"
    pg_cluster.create_database(name)
    yield pg_cluster.url(name)
    _drop(pg_cluster, name)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, fresh_db_url: str) -> Iterator[str]:
    """GEO_RISK_DATABASE_URL pointing at a fresh database, for CLI tests (settings re-read)."""
    from geo_risk.settings import get_settings

    monkeypatch.setenv("GEO_RISK_DATABASE_URL", fresh_db_url)
    get_settings.cache_clear()
    yield fresh_db_url
    get_settings.cache_clear()
