"""Stored IR grids read back: a COG written by the risk engine's writer, sampled at known cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from geo_risk.analysis.ir_field import sample_points
from geo_risk.errors import GeoRiskError
from geo_risk.risk.contours import write_cog
from geo_risk.risk.grid import Grid
from geo_risk.store.db import get_engine
from geo_risk.store.ir_grids import read_grids


def _insert_run(url: str, scope: str, sid: str, path: str, stale: bool = False) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(text(
            "INSERT INTO risk_runs (scope, scope_id, criteria, inputs_version, model_version, assumptions, grid_path) "
            "VALUES (:s, :i, 'existing', (SELECT inputs_version FROM data_version) - :d, 'test', '{}'::jsonb, :p)"),
            {"s": scope, "i": sid, "p": path, "d": 1 if stale else 0})


def test_grids_read_back_with_their_values_where_they_were_written(fresh_db_url: str, tmp_path: Path) -> None:
    # cell centres (x0 + 100 j, y0 + 100 i), rows running north as the engine computes them
    grid = Grid(300_050.0, 4_850_050.0, 100.0, 3, 2, "EPSG:32652")
    ir = np.array([[1e-6, 2e-6, 3e-6], [4e-6, 5e-6, 6e-6]])
    (tmp_path / "risk").mkdir()
    write_cog(tmp_path / "risk" / "enterprise-E1.tif", grid, ir)
    write_cog(tmp_path / "risk" / "enterprise-E2.tif", grid, ir * 10)
    _insert_run(fresh_db_url, "enterprise", "E1", "risk/enterprise-E1.tif")  # relative to the data dir
    _insert_run(fresh_db_url, "enterprise", "E2", str(tmp_path / "risk" / "enterprise-E2.tif"), stale=True)

    grids = read_grids(fresh_db_url, data_dir=tmp_path)
    assert [(g.scope, g.scope_id, g.enterprise_ids, g.current) for g in grids] == [
        ("enterprise", "E1", ("E1",), True)]
    g = grids[0]
    assert g.cell_m == 100.0
    # centre of cell (i=1, j=2) → 6e-6; of (i=0, j=0) → 1e-6 (float32 in the COG)
    got = sample_points(g, [300_250.0, 300_050.0], [4_850_150.0, 4_850_050.0], projected=True)
    np.testing.assert_allclose(got, [6e-6, 1e-6], rtol=1e-6)
    both = read_grids(fresh_db_url, data_dir=tmp_path, include_stale=True)
    assert [(x.scope_id, x.current) for x in both] == [("E1", True), ("E2", False)]
    assert read_grids(fresh_db_url, data_dir=tmp_path, enterprise_ids=["E9"]) == []


def test_a_missing_grid_file_says_to_rerun_the_risk_run(fresh_db_url: str, tmp_path: Path) -> None:
    _insert_run(fresh_db_url, "enterprise", "E1", "risk/gone.tif")
    with pytest.raises(GeoRiskError, match="rerun `geo-risk risk --enterprise E1`"):
        read_grids(fresh_db_url, data_dir=tmp_path)
