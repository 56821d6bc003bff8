"""The run settings users can give (issue 13): CLI options, ``GEO_RISK_RISK_*`` and the API body.

One planned chlorine store 400 m from a housing estate and a school (toxic only: the Purple Book
indoor factors never raise N for toxic events). Expectations are directions the method fixes, not
numbers the code returns:

* the population treatment changes societal risk only: IR (and so the contours) is the same; the
  Purple Book treatment (people indoors, by period) never has more deaths than everyone outdoors
  at the busier period, for every event, so its F-N curve lies on or under the outdoor one;
* rays put a whole sector's probability on its centre bearing instead of spreading it over the
  sector: the risk is moved, not made or lost, so the grid's integral of IR stays (within the
  discretisation) while the field itself changes;
* a CLI option wins over the environment; every stored run lists the values used with their tags;
* a bad value is a CLI usage error or an API 422 naming the parameter, and a bad environment value
  names its variable.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import ROLE_KEYS, write_city
from shapely.geometry import Point, box
from typer.testing import CliRunner

from geo_risk.cli import app

runner = CliRunner()
LON, LAT = 126.60, 43.90
M_LON = 1 / (111_320 * np.cos(np.radians(LAT)))
M_LAT = 1 / 110_950
ANALYST = {"X-API-Key": next(k for k, r in ROLE_KEYS.items() if r == "analyst")}


def _at(dx_m: float, dy_m: float, half_m: float) -> object:
    x, y = LON + dx_m * M_LON, LAT + dy_m * M_LAT
    return box(x - half_m * M_LON, y - half_m * M_LAT, x + half_m * M_LON, y + half_m * M_LAT)


def _city() -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    crs = "EPSG:4326"
    return {
        "enterprises": gpd.GeoDataFrame(
            {"id": ["E-CL"], "name": ["氯碱厂"], "uscc": [None], "industry_code": ["2611"], "park_id": [None],
             "status": ["planned"]}, geometry=[_at(0, 0, 80)], crs=crs),
        "hazard_units": gpd.GeoDataFrame(
            {"id": ["U-CL"], "enterprise_id": ["E-CL"], "name": ["液氯储罐"], "unit_type": ["storage"],
             "equipment": ["pressure_vessel"], "fire_class": ["乙"], "operating_temperature_c": [20.0],
             "operating_pressure_mpa": [0.7], "safety_distance_m": [200.0]}, geometry=[_at(0, 0, 15)], crs=crs),
        "inventory": pd.DataFrame(
            {"unit_id": ["U-CL"], "chemical": ["氯"], "cas": ["7782-50-5"], "max_quantity_t": [30.0],
             "state": ["liquefied_pressurized"], "temperature_c": [20.0], "pressure_mpa": [0.7]}),
        "residential_areas": gpd.GeoDataFrame(
            {"id": ["R-1"], "name": ["南苑小区"], "population": [3000], "households": [1000]},
            geometry=[_at(0, -400, 100)], crs=crs),
        "protection_targets": gpd.GeoDataFrame(
            {"id": ["T-1"], "name": ["南苑小学"], "kind": ["school"], "population": [600]},
            geometry=[Point(LON + 200 * M_LON, LAT - 500 * M_LAT)], crs=crs),
    }


def _stored(url: str) -> dict:
    from geo_risk.store.risk_results import get_run

    return get_run(url, "enterprise", "E-CL")


def _ir(path: str) -> np.ndarray:
    """The IR grid (per year) of a stored run's GeoTIFF."""
    import rasterio

    with rasterio.open(path) as tif:
        return tif.read(1).astype(float)


def _f_at(fn: dict, n: float) -> float:
    """F(N ≥ n) of a stored F-N curve (per year); 0 beyond its largest N."""
    ns, fs = np.asarray(fn["n"]), np.asarray(fn["f"])
    at = np.flatnonzero(ns >= n)
    return float(fs[at[0]]) if at.size else 0.0


def test_env_and_cli_settings_reach_the_stored_run_and_move_the_result(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_risk.settings import get_settings

    monkeypatch.setenv("GEO_RISK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    gpkg = write_city(_city(), tmp_path / "c.gpkg")
    assert runner.invoke(app, ["load", str(gpkg)]).exit_code == 0
    args = ["risk", "--enterprise", "E-CL", "--cell-m", "50"]

    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "population_treatment=purple_book [C1]" in first.output
    assert "day_fraction=0.4375 [UNCONFIRMED]" in first.output  # the table's value and its tag
    base = _stored(cli_env)
    base_ir = _ir(base["grid_path"])
    used = base["assumptions"]["run_settings"]
    assert used["population_treatment"] == {**used["population_treatment"], "value": "purple_book",
                                            "set_by": "default", "tag": "C1"}
    assert used["flash_fire_indoor_factor"]["tag"] == "UNCONFIRMED" and used["cell_m"]["value"] == 50.0

    # the environment: everyone outdoors
    monkeypatch.setenv("GEO_RISK_RISK_POPULATION_TREATMENT", "outdoor_everyone")
    monkeypatch.setenv("GEO_RISK_RISK_DAY_FRACTION", "0.25")
    get_settings.cache_clear()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    outdoors = _stored(cli_env)
    used = outdoors["assumptions"]["run_settings"]
    assert used["population_treatment"]["value"] == "outdoor_everyone"
    assert used["population_treatment"]["set_by"] == "setting"
    assert used["day_fraction"] == {**used["day_fraction"], "value": 0.25, "used": False}
    assert outdoors["max_ir"] == base["max_ir"]  # IR does not see the population treatment
    assert max(base["fn"]["n"]) <= max(outdoors["fn"]["n"])
    assert max(outdoors["fn"]["n"]) > max(base["fn"]["n"]) * 1.5  # people indoors: far fewer deaths
    for n in np.unique(np.concatenate([base["fn"]["n"], outdoors["fn"]["n"]])):
        assert _f_at(base["fn"], n) <= _f_at(outdoors["fn"], n) * (1 + 1e-9), n

    # a CLI option wins over the environment; rays concentrate a sector on its centre bearing
    third = runner.invoke(app, [*args, "--population-treatment", "purple_book", "--sector-smoothing", "rays"])
    assert third.exit_code == 0, third.output
    rays = _stored(cli_env)
    used = rays["assumptions"]["run_settings"]
    assert used["population_treatment"]["value"] == "purple_book" and used["sector_smoothing"]["value"] == "rays"
    assert used["sector_smoothing"]["tag"] == "CHOICE" and used["day_fraction"]["value"] == 0.25
    assert "rays" in rays["assumptions"]["sector_smoothing"]
    rays_ir = _ir(rays["grid_path"])
    assert rays_ir.shape == base_ir.shape and not np.allclose(rays_ir, base_ir, rtol=0.05, atol=0)
    assert rays_ir.sum() == pytest.approx(base_ir.sum(), rel=0.05)  # the same risk, moved onto the spokes
    import rasterio

    with rasterio.open(rays["grid_path"]) as tif:  # the grid's metadata lists the settings too
        assert "sector_smoothing=rays [CHOICE]" in tif.tags()["settings"]
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo_risk.settings import Settings

    with TestClient(create_app(Settings(database_url=cli_env), database_url=cli_env)) as client:
        doc = client.get("/api/v1/risk/enterprise/E-CL/contours").json()  # the contours say it too
        assert doc["settings"]["sector_smoothing"] == {**doc["settings"]["sector_smoothing"], "value": "rays",
                                                       "tag": "CHOICE", "set_by": "setting"}
        assert doc["settings"]["day_fraction"]["value"] == 0.25
        assert client.get("/api/v1/risk/enterprise/E-CL/fn-curve.png").status_code == 200


def test_bad_cli_values_name_the_option(cli_env: str) -> None:
    bad = runner.invoke(app, ["risk", "--all", "--day-fraction", "1.5"])
    assert bad.exit_code == 2 and "--day-fraction" in bad.output
    bad = runner.invoke(app, ["risk", "--all", "--sector-smoothing", "spokes"])
    assert bad.exit_code == 2 and "--sector-smoothing" in bad.output


def test_bad_environment_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from geo_risk.settings import Settings, settings_error_message

    monkeypatch.setenv("GEO_RISK_RISK_FLASH_FIRE_INDOOR_FACTOR", "2")
    with pytest.raises(ValidationError) as err:
        Settings()
    assert "GEO_RISK_RISK_FLASH_FIRE_INDOOR_FACTOR" in settings_error_message(err.value)
    monkeypatch.setenv("GEO_RISK_RISK_FLASH_FIRE_INDOOR_FACTOR", "")
    monkeypatch.setenv("GEO_RISK_RISK_POPULATION_TREATMENT", "indoors")
    with pytest.raises(ValidationError) as err:
        Settings()
    assert "GEO_RISK_RISK_POPULATION_TREATMENT" in settings_error_message(err.value)


def test_api_bad_setting_is_a_422_naming_it(fresh_db_url: str) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from geo_risk.settings import Settings

    app_ = create_app(Settings(database_url=fresh_db_url, api_keys=ROLE_KEYS), database_url=fresh_db_url)
    with TestClient(app_) as client:
        for field, value in (("day_fraction", 1.5), ("flash_fire_indoor_factor", -0.1),
                             ("population_treatment", "indoors"), ("sector_smoothing", "spokes")):
            r = client.post("/api/v1/risk/runs", json={"all": True, field: value}, headers=ANALYST)
            assert r.status_code == 422, (field, r.text)
            assert field in r.text


def test_api_settings_override_the_environment() -> None:
    from geo_risk.risk_runs import risk_settings
    from geo_risk.settings import Settings

    env = Settings(risk_population_treatment="outdoor_everyone", risk_day_fraction=0.3,
                   risk_sector_smoothing="rays")
    s = risk_settings(env, cell_m=40.0, population_treatment="purple_book", flash_fire_indoor_factor=0.0)
    assert (s.population_treatment, s.sector_smoothing, s.day_fraction, s.flash_fire_indoor_factor, s.cell_m) == (
        "purple_book", "rays", 0.3, 0.0, 40.0)
    used = s.settings_used()
    assert used["flash_fire_indoor_factor"]["set_by"] == "setting" and used["flash_fire_indoor_factor"]["value"] == 0
    assert risk_settings(Settings()).settings_used()["day_fraction"]["value"] == pytest.approx(10.5 / 24)
