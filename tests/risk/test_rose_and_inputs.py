"""City wind-rose files (FROM convention) and the risk engine's bad-input paths.

Expected probabilities are the values written into the test files; expected risk comes from the
hand-written plume and probit of ``test_grid.py`` (lethality × frequency × the sector's
probability), never from the code under test.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import write_city
from risk.test_grid import lethality_by_hand, plume_conc_mg_m3, toxic_event
from typer.testing import CliRunner

from geo_risk.errors import InvalidInput
from geo_risk.risk.grid import RAYS, Grid, Source, individual_risk
from geo_risk.risk.rose import COMPASS_16, parse_wind_rose, read_wind_rose
from geo_risk.risk.run import RiskSettings
from geo_risk.risk.weather import purple_book_weather_classes

CLASSES = ("B3", "D1.5", "D5", "D9", "E5", "F1.5")  # the Purple Book labels, as a user would type them
HEADER_16 = "weather," + ",".join(COMPASS_16)


def _row(label: str, values: list[float] | list[str]) -> str:
    return f"{label}," + ",".join(str(v) for v in values)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _north_only_lines(frequencies: tuple[float, ...] = (0.1, 0.1, 0.3, 0.2, 0.2, 0.1)) -> list[str]:
    """Every class with all of its wind FROM the north (column N); class frequencies as given."""
    return [HEADER_16] + [_row(c, [f] + [0] * 15) for c, f in zip(CLASSES, frequencies, strict=True)]


# -- reading a good file ---------------------------------------------------------------------------
def test_reads_a_16_sector_file_with_comments_and_a_bom(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    table = rng.integers(0, 50, size=(6, 16)).astype(float)
    table /= table.sum()  # written with repr(): 17 significant digits, read back exactly
    lines = ["# station 54161, 2015-2024", "", HEADER_16] + [
        _row(c, [repr(float(v)) for v in r]) for c, r in zip(CLASSES, table, strict=True)
    ]
    path = tmp_path / "jilin.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))
    city = read_wind_rose(path, purple_book_weather_classes())
    assert city.rose.n_sectors == 16
    assert [w.label for w in city.rose.weathers] == list(CLASSES)
    np.testing.assert_allclose(city.rose.probabilities, table, rtol=1e-12, atol=0)
    assert city.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert city.renormalised_from is None
    assert str(path) in city.rose.label and city.sha256[:12] in city.rose.label and "FROM" in city.rose.label


def test_rows_in_any_order_and_case_bearings_in_degrees(tmp_path: Path) -> None:
    """12 sectors given as bearings (0°, 30°, …, 330°); rows shuffled and in lower case."""
    header = "weather," + ",".join(f"{30 * k}°" if k % 2 else str(30 * k) for k in range(12))
    values = {c: [0.0] * 12 for c in CLASSES}
    values["F1.5"][6] = 0.25  # from the south (180°)
    values["D5"][3] = 0.75  # from the east (90°)
    lines = [header] + [_row(c.lower(), values[c]) for c in reversed(CLASSES)]
    rose = read_wind_rose(_write(tmp_path / "r12.csv", lines), purple_book_weather_classes()).rose
    assert rose.n_sectors == 12
    expected = np.zeros((6, 12))
    expected[CLASSES.index("F1.5"), 6] = 0.25
    expected[CLASSES.index("D5"), 3] = 0.75
    np.testing.assert_array_equal(rose.probabilities, expected)
    assert rose.sector_bearings_deg()[3] == 90.0 and rose.sector_bearings_deg()[6] == 180.0


def test_a_sum_within_1e_3_is_renormalised_and_says_so() -> None:
    lines = [HEADER_16] + [_row(c, [0.0] * 16) for c in CLASSES]
    lines[1] = _row("B3", [0.9995] + [0.0] * 15)
    rose, renormalised = parse_wind_rose("\n".join(lines), purple_book_weather_classes(), source="t")
    assert renormalised == pytest.approx(0.9995, abs=1e-12)
    assert rose.probabilities[0, 0] == pytest.approx(1.0, abs=1e-12)
    assert "renormalised" in rose.label and "0.9995" in rose.label


# -- bad files: one InvalidInput naming the line and the column ------------------------------------
def _good_lines() -> list[str]:
    return [HEADER_16] + [_row(c, [1 / 96] * 16) for c in CLASSES]  # lines 2-7 hold the classes


def _with(line_no: int, text: str) -> list[str]:
    lines = _good_lines()
    lines[line_no - 1] = text
    return lines


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        # sum: every value 0.01 → 96 × 0.01 = 0.96, outside the 1e-3 tolerance
        ([HEADER_16] + [_row(c, [0.01] * 16) for c in CLASSES], r"sum to 0\.96, not 1"),
        # percentages: 96 × 100/96 = 100
        ([HEADER_16] + [_row(c, [100 / 96] * 16) for c in CLASSES], r"sum to 100: this looks like percentages"),
        (
            _with(4, _row("D5", [1 / 96] * 5 + [-0.01] + [1 / 96] * 10)),
            r"line 4 \(D5\), column ESE: -0\.01 is negative",
        ),
        (_with(3, _row("D4", [1 / 96] * 16)), r"line 3 \(D4\): unknown weather class 'D4'; valid: B3, D1\.5"),
        (_with(5, _row("D9", [1 / 96] * 15)), r"line 5 \(D9\): 15 values for 16 sector columns"),
        (_with(6, _row("E5", [1 / 96] * 17)), r"line 6 \(E5\): 17 values for 16 sector columns"),
        (_with(7, _row("F1.5", ["calm"] + [1 / 96] * 15)), r"line 7 \(F1\.5\), column N: 'calm' is not a number"),
        (_with(7, _row("F1.5", ["nan"] + [1 / 96] * 15)), r"line 7 \(F1\.5\), column N: 'nan' is not a finite"),
        (_good_lines()[:-1], r"no row for weather class\(es\) F1\.5"),
        (_good_lines() + [_row("B3", [0] * 16)], r"line 8 \(B3\): weather class B3 again \(first on line 2\)"),
        (["wind," + ",".join(COMPASS_16)] + _good_lines()[1:], r"line 1: the header's first column must be 'weather'"),
        (
            ["weather,N,NE,NNE" + "," + ",".join(COMPASS_16[3:])] + _good_lines()[1:],
            r"line 1 \(header\): column 3 'NE' is bearing 45°, but sector 2 of 16 is centred on 22\.5°",
        ),
    ],
    ids=[
        "sum-0.96",
        "percent",
        "negative",
        "unknown-class",
        "too-few-columns",
        "too-many-columns",
        "non-numeric",
        "nan",
        "missing-class",
        "duplicate-class",
        "bad-first-header",
        "misordered-sectors",
    ],
)
def test_bad_files_name_the_line_and_column(tmp_path: Path, lines: list[str], message: str) -> None:
    path = _write(tmp_path / "bad.csv", lines)
    with pytest.raises(InvalidInput, match=message) as err:
        read_wind_rose(path, purple_book_weather_classes())
    assert f"wind rose file {path}" in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    lines = _with(3, _row("D1.5", [-1] + [1 / 96] * 15))
    lines[4] = _row("X9", [1 / 96] * 16)
    with pytest.raises(InvalidInput) as err:
        read_wind_rose(_write(tmp_path / "bad.csv", lines), purple_book_weather_classes())
    text = str(err.value)
    assert "line 3 (D1.5), column N: -1 is negative" in text and "line 5 (X9): unknown weather class" in text
    assert "no row for weather class(es) D9" in text


def test_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        read_wind_rose(tmp_path / "nope.csv", purple_book_weather_classes())
    (tmp_path / "latin1.csv").write_bytes(HEADER_16.encode() + b"\n\xe9t\xe9")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_wind_rose(tmp_path / "latin1.csv", purple_book_weather_classes())


# -- the rose drives the risk field through RiskSettings -------------------------------------------
def test_wind_from_the_north_puts_risk_south_not_north(tmp_path: Path) -> None:
    """All wind FROM the north (column N), six classes: IR south of a chlorine-like source is
    f · P_hand(plume) (the test lethality ignores the weather and the N column sums to 1); north
    (upwind), east and west it is zero."""
    settings = RiskSettings(rose_file=_write(tmp_path / "north.csv", _north_only_lines()))
    rose = settings.rose()
    grid = Grid(-700.0, -700.0, 10.0, 141, 141)  # cell (i, j) centred at (-700 + 10 j, -700 + 10 i)
    f = 2e-5  # per year
    ir = individual_risk(grid, [Source(0.0, 0.0, [toxic_event(f, reach=800.0)])], rose, smoothing=RAYS)

    def at(x: float, y: float) -> float:
        return float(ir[round((y + 700) / 10), round((x + 700) / 10)])

    for d in (100.0, 250.0, 500.0):
        expected = f * lethality_by_hand(plume_conc_mg_m3(d, 0.0))
        assert expected > 1e-8  # inside the lethal plume
        assert at(0.0, -d) == pytest.approx(expected, rel=1e-9)  # south: downwind
        assert at(0.0, d) == 0.0  # north: upwind
        assert at(d, 0.0) == 0.0 and at(-d, 0.0) == 0.0
    assert ir[grid.ys > 0, :].max() == 0.0  # nothing anywhere north of the source


def test_each_column_is_the_bearing_the_wind_comes_from(tmp_path: Path) -> None:
    """0.7 of the time from the north, 0.3 from the east: risk south is 0.7 · f · P, west 0.3 · f · P."""
    lines = [HEADER_16] + [_row(c, [0] * 16) for c in CLASSES]
    lines[3] = _row("D5", [0.7] + [0] * 15)  # N
    lines[6] = _row("F1.5", [0, 0, 0, 0, 0.3] + [0] * 11)  # E (bearing 90°)
    rose = RiskSettings(rose_file=_write(tmp_path / "ne.csv", lines)).rose()
    grid = Grid(-400.0, -400.0, 10.0, 81, 81)
    f = 1e-5
    ir = individual_risk(grid, [Source(0.0, 0.0, [toxic_event(f, reach=500.0)])], rose, smoothing=RAYS)
    p300 = lethality_by_hand(plume_conc_mg_m3(300.0, 0.0))
    assert ir[40 - 30, 40] == pytest.approx(0.7 * f * p300, rel=1e-9)  # 300 m south
    assert ir[40, 40 - 30] == pytest.approx(0.3 * f * p300, rel=1e-9)  # 300 m west
    assert ir[40 + 30, 40] == 0.0 and ir[40, 40 + 30] == 0.0  # north and east: upwind


def test_settings_describe_which_rose_was_used(tmp_path: Path) -> None:
    path = _write(tmp_path / "north.csv", _north_only_lines())
    described = RiskSettings(rose_file=path).describe()
    assert described["weather"] == {"B3": 0.1, "D1.5": 0.1, "D5": 0.3, "D9": 0.2, "E5": 0.2, "F1.5": 0.1}
    assert described["wind_rose_file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert described["wind_rose_file"]["n_sectors"] == 16 and "FROM" in described["wind_rose"]
    assert str(path) in described["wind_rose"]
    default = RiskSettings().describe()
    assert default["wind_rose"].startswith("uniform 16-sector rose (default; not a measured rose)")
    assert "FROM" in default["wind_rose"] and default["wind_rose_file"] is None
    assert default["weather"] == {c: round(1 / 6, 6) for c in CLASSES}


@pytest.mark.parametrize("cell_m", [0.0, -25.0, math.nan, math.inf, 1e6])
def test_absurd_cell_sizes_are_refused(cell_m: float) -> None:
    with pytest.raises(InvalidInput, match=r"grid cell size must be a number of metres > 0 and ≤ 500"):
        RiskSettings(cell_m=cell_m)


def test_weights_and_a_rose_file_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not both"):
        RiskSettings(rose_file=_write(tmp_path / "n.csv", _north_only_lines()), weather_weights=(1.0,) * 6)


# -- the command line --------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_with_a_bad_rose_exits_non_zero_with_the_message(cli_env: str, tmp_path: Path) -> None:
    from geo_risk.cli import app

    bad = _write(tmp_path / "bad.csv", [HEADER_16] + [_row(c, [0.01] * 16) for c in CLASSES])
    result = runner.invoke(app, ["risk", "--all", "--wind-rose", str(bad)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not a traceback
    assert "error:" in result.output and "sum to 0.96, not 1" in result.output and "Traceback" not in result.output


def test_cli_reads_the_rose_from_the_settings(cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    bad = _write(tmp_path / "neg.csv", _with(2, _row("B3", [-0.5] + [1 / 96] * 15)))
    monkeypatch.setenv("GEO_RISK_WIND_ROSE_FILE", str(bad))
    get_settings.cache_clear()
    result = runner.invoke(app, ["risk", "--all"])
    assert result.exit_code == 1 and "line 2 (B3), column N: -0.5 is negative" in result.output


@pytest.mark.parametrize("cell", ["0", "-5", "nan"])
def test_cli_refuses_an_absurd_cell_size(cli_env: str, cell: str) -> None:
    from geo_risk.cli import app

    result = runner.invoke(app, ["risk", "--all", "--cell-m", cell])
    assert result.exit_code == 1 and "grid cell size must be a number of metres > 0" in result.output


def test_cli_run_states_the_rose_the_grid_note_and_the_problems(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A QRA enterprise with a city rose, a cell limit low enough to force larger cells, and an item
    the method cannot model (chlorine declared solid: no loss-of-containment model for solids): the
    output says all three and the stored run keeps them."""
    from helpers import load
    from risk.test_run import _city

    import geo_risk.risk.run as run_module
    from geo_risk.cli import app
    from geo_risk.store.risk_results import get_run

    city = _city()
    inv = city["inventory"]
    solid = {**inv.iloc[0].to_dict(), "max_quantity_t": 1.0, "state": "solid"}  # chlorine, U-CL
    city["inventory"] = pd.concat([inv, pd.DataFrame([solid])], ignore_index=True)
    load(write_city(city, tmp_path / "c.gpkg"), cli_env)
    rose_path = _write(tmp_path / "north.csv", _north_only_lines())
    max_cells = 20_000
    monkeypatch.setattr(run_module, "RiskSettings", functools.partial(RiskSettings, max_cells=max_cells))
    result = runner.invoke(app, ["risk", "--enterprise", "E-CL", "--cell-m", "10", "--wind-rose", str(rose_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    digest = hashlib.sha256(rose_path.read_bytes()).hexdigest()
    assert f"assumptions: city wind rose {rose_path} (sha256 {digest[:12]}): 16 sectors" in out
    assert "blowing FROM each sector" in out and "D5 0.3" in out
    assert "note: enterprise E-CL: the area where IR can matter needs" in out and "cells enlarged to" in out
    assert "problem: E-CL: 单元 U-CL" in out and "no loss-of-containment model for solids" in out
    run = get_run(cli_env, "enterprise", "E-CL")
    assert run["grid_cell_m"] > 10.0
    grid = run["assumptions"]["grid"]
    assert grid["nx"] * grid["ny"] <= 1.05 * max_cells  # the cell is rounded up to whole metres
    assert run["assumptions"]["wind_rose_file"]["sha256"] == digest
    assert any("no loss-of-containment model for solids" in p for p in run["assumptions"]["problems"])


# -- the API ---------------------------------------------------------------------------------------------
def test_api_run_with_a_bad_server_rose_is_a_422_naming_the_file(fresh_db_url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from helpers import KEY_OF, ROLE_KEYS

    from api.app import create_app
    from geo_risk.settings import Settings

    bad = _write(tmp_path / "bad.csv", [HEADER_16] + [_row(c, [0.01] * 16) for c in CLASSES])
    settings = Settings(database_url=fresh_db_url, api_keys=ROLE_KEYS, wind_rose_file=bad)
    with TestClient(create_app(settings, database_url=fresh_db_url)) as client:
        r = client.post("/api/v1/risk/runs", json={"all": True}, headers={"X-API-Key": KEY_OF["analyst"]})
    assert r.status_code == 422, r.text
    assert f"wind rose file {bad.name}" in r.text and "sum to 0.96, not 1" in r.text
    assert str(bad.parent) not in r.text  # the API shows no server path
