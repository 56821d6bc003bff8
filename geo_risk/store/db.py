"""Engines, sessions and migrations. Resolves which database to use.

``GEO_RISK_DATABASE_URL`` wins; without it the project's embedded cluster is used (started on
demand by :func:`resolve_url` when ``start=True``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from geo_risk.errors import DatabaseUnavailable
from geo_risk.settings import Settings
from geo_risk.store.embedded import EmbeddedCluster

__all__ = [
    "embedded_cluster",
    "resolve_url",
    "get_engine",
    "session_scope",
    "migrate",
    "downgrade",
    "code_head_revision",
    "current_revision",
    "ping",
    "data_version",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    """The project's embedded cluster (folder ``<data_dir>/pg``)."""
    return EmbeddedCluster(settings.data_dir / "pg")


def resolve_url(settings: Settings, start: bool = False) -> str:
    """The database URL to use: the configured one, or the embedded cluster's.

    With ``start`` the embedded cluster is created and started when needed; otherwise a stopped
    cluster raises :class:`DatabaseUnavailable` with the command that starts it.
    """
    if settings.database_url:
        url = settings.database_url
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    cluster = embedded_cluster(settings)
    if start:
        cluster.start()
    return cluster.url()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """A pooled engine for ``url`` (one per URL per process)."""
    return create_engine(url, pool_pre_ping=True, future=True)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the schema of ``url`` to ``revision`` (Alembic).

    A store already at the head is left alone without starting Alembic: reading its version is one
    query, while Alembic's environment costs about half a second of every command's start-up.
    """
    if revision == "head" and _stored_revision(url) == code_head_revision():
        return
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


_REVISION_LINE = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([^"\'\s]+)["\']?', re.MULTILINE)


def code_head_revision() -> str:
    """The head of the migration chain, read from the version files' ``revision``/``down_revision`` lines.

    The same answer as :func:`head_revision` (a test checks it) without importing Alembic. Raises
    RuntimeError when the files do not form one chain with one head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision", "None") != "None":
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migration files have {len(heads)} heads ({', '.join(sorted(heads))}); expected one")
    return heads.pop()


def _stored_revision(url: str) -> str | None:
    """The revision stamped in ``url``'s ``alembic_version`` table, or None (unmigrated or unreadable)."""
    from sqlalchemy.exc import ProgrammingError

    try:
        with get_engine(url).connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except ProgrammingError:
        return None


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the schema of ``url`` to ``revision`` (Alembic); ``base`` removes every table."""
    from alembic import command

    command.downgrade(_alembic_config(url), revision)


def head_revision() -> str:
    """The newest Alembic revision this code knows (what ``migrate`` upgrades to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config("postgresql://unused")).get_current_head()


def current_revision(url: str) -> str | None:
    """The Alembic revision the database is at, or None when unmigrated."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ping(url: str) -> dict[str, object]:
    """Check the database answers; return its PostGIS version and schema revision.

    Raises
    ------
    DatabaseUnavailable
        When it cannot be reached.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with get_engine(url).connect() as conn:
            postgis = conn.execute(
                text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
        return {"postgis": postgis, "revision": current_revision(url)}
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            f"The database at {_redact(url)} cannot be reached: {exc.__cause__ or exc}"
        ) from exc


def data_version(url: str) -> int:
    """The store's data version: it changes with every write to an entity table."""
    with get_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT version FROM data_version")).scalar_one())


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
