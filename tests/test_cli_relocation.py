"""geo-risk relocation-plan on the sample city: the plan written, the reasons and tags printed, bad paths refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from helpers import SAMPLE_CITY, load
from typer.testing import CliRunner

from geo_risk.cli import app

runner = CliRunner()


def test_relocation_plan_to_a_file_with_the_choices_printed(cli_env: str, tmp_path: Path) -> None:
    load(SAMPLE_CITY, cli_env)
    out = tmp_path / "plan.csv"
    done = runner.invoke(app, ["relocation-plan", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "relocation plan:" in done.output and "ENT-0102" in done.output and "CHOICE" in done.output
    assert "assignment:" in done.output and "PROXY" in done.output
    # the summary table: each new site's siting check, the receiving parks' F-N before → after, the IR bands
    assert "new site ENT-0102 → PARK-0" in done.output and "[chosen]" in done.output
    assert "F-N (engine, now):" in done.output and "timings:" in done.output
    frame = pd.read_csv(out)
    assert {"ENT-0101", "ENT-0102", "ENT-0103", "ENT-0104"} <= set(frame["enterprise_id"])
    assert "upgrade_share" in frame.columns  # the operator holds the database: every figure
    assert not frame["reason"].str.contains("\u27e6").any()  # spans rendered

    bad = runner.invoke(app, ["relocation-plan", "--out", str(tmp_path / "plan.shp")])
    assert bad.exit_code == 1 and ".gpkg, .csv, .xlsx" in bad.output
