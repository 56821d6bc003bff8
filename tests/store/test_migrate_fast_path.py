"""`migrate` leaves a store at the head alone without starting Alembic, and upgrades any other."""

from __future__ import annotations

from sqlalchemy import inspect, text

from geo_risk.store.db import code_head_revision, current_revision, downgrade, get_engine, head_revision, migrate


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert code_head_revision() == head_revision()


def test_a_store_at_the_head_is_not_touched(empty_db_url: str) -> None:
    migrate(empty_db_url)
    # a table dropped behind Alembic's back stays dropped: the fast path trusts the stamped revision
    with get_engine(empty_db_url).begin() as conn:
        conn.execute(text("DROP TABLE audit_log"))
    migrate(empty_db_url)
    assert "audit_log" not in inspect(get_engine(empty_db_url)).get_table_names()


def test_an_older_or_unmigrated_store_is_upgraded(empty_db_url: str) -> None:
    migrate(empty_db_url)
    downgrade(empty_db_url, "0006")
    assert current_revision(empty_db_url) == "0006"
    migrate(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()
    downgrade(empty_db_url, "base")
    assert current_revision(empty_db_url) is None
    migrate(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()
