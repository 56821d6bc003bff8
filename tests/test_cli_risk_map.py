"""`geo-risk risk-map`: the one-page city map from the command line."""

from __future__ import annotations

from pathlib import Path

from helpers import small_city, write_city
from typer.testing import CliRunner

from geo_risk.cli import app

runner = CliRunner()


def test_risk_map_refuses_a_bad_suffix_before_touching_the_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["risk-map", "--out", str(tmp_path / "city.svg")])
    assert result.exit_code != 0
    assert ".pdf or .png" in result.output and not (tmp_path / "city.svg").exists()


def test_risk_map_draws_the_graded_store(cli_env: str, tmp_path: Path) -> None:
    gpkg = write_city(small_city(), tmp_path / "c.gpkg")
    assert runner.invoke(app, ["load", str(gpkg)]).exit_code == 0
    out = tmp_path / "city.pdf"
    result = runner.invoke(app, ["risk-map", "--out", str(out), "--title-zh", "小城", "--title-en", "Small town"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "hazard_sources 3" in result.output  # the load graded the three units
    assert out.read_bytes()[:5] == b"%PDF-"
