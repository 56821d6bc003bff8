"""geo-risk analyse and geo-risk conflicts on the sample city: progress, staleness, files, settings printed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from helpers import SAMPLE_CITY, load
from typer.testing import CliRunner

from geo_risk.cli import app

runner = CliRunner()


def test_analyse_then_conflicts_to_a_file_with_the_settings_printed(cli_env: str, tmp_path: Path) -> None:
    load(SAMPLE_CITY, cli_env)
    first = runner.invoke(app, ["analyse", "--only", "conflicts"])
    assert first.exit_code == 0, first.output
    assert "conflicts (" in first.output and "CHOICE" in first.output
    again = runner.invoke(app, ["analyse", "--only", "conflicts"])
    assert again.exit_code == 0 and "current: nothing to do" in again.output

    out = tmp_path / "c.csv"
    done = runner.invoke(app, ["conflicts", "--enterprise", "ENT-0102", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "settings used" in done.output and "shortfall_bands" in done.output and "CHOICE" in done.output
    frame = pd.read_csv(out)
    assert len(frame) > 0 and set(frame["enterprise_id"]) == {"ENT-0102"}
    assert (tmp_path / "c.settings.json").exists()


def test_conflicts_refuses_what_it_cannot_write(cli_env: str, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["conflicts", "--out", str(tmp_path / "c.shp")])
    assert bad.exit_code == 1 and ".gpkg, .csv, .xlsx" in bad.output
    both = runner.invoke(app, ["conflicts", "--enterprise", "E", "--park", "P", "--out", str(tmp_path / "c.csv")])
    assert both.exit_code == 1 and "not both" in both.output
    unknown = runner.invoke(app, ["analyse", "--only", "nearby"])
    assert unknown.exit_code == 1 and "analyses: conflicts" in unknown.output
