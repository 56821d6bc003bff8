"""The ``geo-risk`` command line on a real PostGIS: load, dry run, errors, db up/url/down, a killed load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from helpers import small_city, snapshot, write_city, write_layer
from sqlalchemy import text
from typer.testing import CliRunner

from geo_risk.cli import app
from geo_risk.settings import get_settings
from geo_risk.store.db import get_engine

runner = CliRunner()


def test_load_reports_what_it_did(cli_env: str, tmp_path: Path) -> None:
    path = write_city(small_city(), tmp_path / "c.gpkg")
    result = runner.invoke(app, ["load", str(path)])
    assert result.exit_code == 0, result.output
    assert "residential_areas: 3 rows (EPSG:4326) — 3 new" in result.output
    again = runner.invoke(app, ["load", str(path)])
    assert "residential_areas: 3 rows (EPSG:4326) — 0 new, 0 updated, 3 unchanged" in again.output
    assert _audit(cli_env) == [("cli", "load", "ok"), ("cli", "grade", "ok")] * 2


def _audit(url: str) -> list[tuple[str, str, str]]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT channel, action, outcome, actor FROM audit_log ORDER BY id")).all()
    assert all(r.actor.startswith("cli:") for r in rows)
    return [(r.channel, r.action, r.outcome) for r in rows]


def test_bad_load_exits_2_naming_the_row_and_writes_nothing(cli_env: str, tmp_path: Path) -> None:
    city = small_city()
    city["inventory"].loc[2, "max_quantity_t"] = -4.0
    before = snapshot(cli_env)
    result = runner.invoke(app, ["load", str(write_city(city, tmp_path / "c.gpkg"))])
    assert result.exit_code == 2
    assert "inventory row 3" in result.output and "max_quantity_t -4 is negative" in result.output
    assert "nothing was written" in result.output
    assert snapshot(cli_env) == before
    assert _audit(cli_env) == [("cli", "load", "failed")]  # the attempt is recorded, the data untouched


def test_dry_run_writes_nothing(cli_env: str, tmp_path: Path) -> None:
    before = snapshot(cli_env)
    result = runner.invoke(app, ["load", str(write_city(small_city(), tmp_path / "c.gpkg")), "--dry-run"])
    assert result.exit_code == 0 and "Dry run of" in result.output
    assert snapshot(cli_env) == before


def test_db_url_prints_the_configured_url(cli_env: str) -> None:
    result = runner.invoke(app, ["db", "url"])
    assert result.exit_code == 0 and result.stdout.strip() == cli_env


def test_embedded_cluster_up_url_down(monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="geo_risk_cli_"))
    os.chmod(data_dir, 0o755)
    monkeypatch.delenv("GEO_RISK_DATABASE_URL", raising=False)
    monkeypatch.setenv("GEO_RISK_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        up = runner.invoke(app, ["db", "up"])
        assert up.exit_code == 0, up.output
        url = runner.invoke(app, ["db", "url"]).stdout.strip()
        assert url.startswith("postgresql+psycopg2://georisk@127.0.0.1:")
        with get_engine(url).connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM data_version")).scalar() == 1
            assert conn.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
        get_engine(url).dispose()
        assert (data_dir / "pg" / "data" / "PG_VERSION").exists()
        assert runner.invoke(app, ["db", "down"]).exit_code == 0
        stopped = runner.invoke(app, ["db", "url"])
        assert stopped.exit_code == 1 and "geo-risk db up" in stopped.output
        # The data survive a restart on the same port file.
        assert runner.invoke(app, ["db", "up"]).exit_code == 0
        assert runner.invoke(app, ["db", "down"]).exit_code == 0
    finally:
        get_settings.cache_clear()
        import shutil

        from geo_risk.store.embedded import EmbeddedCluster

        EmbeddedCluster(data_dir / "pg").stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_a_killed_load_leaves_the_store_as_it_was(cli_env: str, tmp_path: Path) -> None:
    write_city(small_city(), tmp_path / "base.gpkg")
    assert runner.invoke(app, ["load", str(tmp_path / "base.gpkg")]).exit_code == 0
    n = 150_000
    rng = np.random.default_rng(3)
    x, y = 126.4 + rng.random(n) * 0.3, 43.7 + rng.random(n) * 0.3
    big = gpd.GeoDataFrame({"id": [f"K{i}" for i in range(n)], "name": ["小区"] * n,
                            "population": rng.integers(0, 3000, n)},
                           geometry=shapely.box(x, y, x + 0.0005, y + 0.0005), crs="EPSG:4326")
    path = write_layer(big, tmp_path, "residential_areas", "GPKG")
    before = snapshot(cli_env)
    proc = subprocess.Popen([sys.executable, "-m", "geo_risk.cli", "load", str(path)],
                            env=dict(os.environ, GEO_RISK_DATABASE_URL=cli_env, GEO_RISK_LOAD_CHUNK_ROWS="10000"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Kill it once rows are on their way to the server (its backend is then busy with COPY).
    deadline = time.monotonic() + 60
    with get_engine(cli_env).connect() as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY%'")).scalar()
            conn.rollback()
            if busy:
                break
            time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    time.sleep(0.5)  # the server notices the dropped connection and aborts its transaction
    assert snapshot(cli_env) == before
    # and the store takes a full load afterwards
    assert runner.invoke(app, ["load", str(path)]).exit_code == 0
    with get_engine(cli_env).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM residential_areas")).scalar() == n + 3
