"""Before/after scenarios on the sample city (issue 14): the store untouched, an identity scenario, the
difference against an independent recomputation, removing the only enterprise, a cut to 0 t ≡ removing,
the relocation plan and the planned LNG station as scenarios, and bad scenarios as clear errors.

Independent checks: the stored IR grid is read from its COG with rasterio (not through the store's
reader) and the after grid computed by :func:`geo_risk.risk.run.assess_scope` on inputs modified here
by hand (pandas), not by :func:`geo_risk.analysis.scenario_diff.apply_changes`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
from helpers import SAMPLE_CITY, load, snapshot

from geo_risk.errors import InvalidInput
from geo_risk.relocation_plan import fn_at
from geo_risk.scenarios import from_relocation_plan, from_siting_request, parse_scenario, run_scenario, write_products

QRA = ("ENT-0005", "ENT-0003", "ENT-0102", "ENT-0103")


@pytest.fixture(scope="module")
def city(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    from geo_risk.relocation_plan import run_relocation_plan
    from geo_risk.risk_runs import run_risk
    from geo_risk.scenarios import clear_cache

    data_dir = tmp_path_factory.mktemp("scenario_data")
    load(SAMPLE_CITY, db_url)
    for e in QRA:
        run_risk(db_url, enterprise_id=e, data_dir=data_dir)
    run_relocation_plan(db_url, data_dir=data_dir)
    clear_cache()
    return db_url, data_dir


def _stored_cog(data_dir: Path, eid: str):  # noqa: ANN202 - (array float64 rows from the north, transform, crs)
    import rasterio

    with rasterio.open(data_dir / "risk" / f"enterprise-{eid}.tif") as src:
        return src.read(1).astype(np.float64), src.transform, src.crs


def _window_of(field, transform, shape) -> tuple[int, int]:  # noqa: ANN001
    """(row, col) in the scenario's difference grid of a grid's top-left cell (exact lattice offsets)."""
    t = field.transform
    c = (transform.c - t.c) / t.a
    r = (t.f - transform.f) / -t.e
    assert abs(c - round(c)) < 1e-6 and abs(r - round(r)) < 1e-6
    return int(round(r)), int(round(c))


def test_a_scenario_leaves_the_store_untouched(city: tuple[str, Path]) -> None:
    url, data_dir = city
    before = snapshot(url)
    result = run_scenario(url, {"changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-0005"},
                                            {"type": "cut_inventory", "enterprise_id": "ENT-0003", "share": 0.5}]},
                          data_dir=data_dir)
    assert result.verdict()["ir"] == "lowered"
    assert snapshot(url) == before  # every row of every entity table, and data_version


def test_an_identity_scenario_changes_nothing(city: tuple[str, Path]) -> None:
    url, data_dir = city
    result = run_scenario(url, {"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005", "share": 1.0}]},
                          data_dir=data_dir)
    assert result.touched == {"ENT-0005": ["cut_inventory"]}  # recomputed, not skipped
    assert result.field is not None and result.field.before.max() > 1e-5
    assert np.array_equal(result.field.after, result.field.before)
    assert not np.any(result.field.diff)
    assert len(result.conflicts_added) == 0 and len(result.conflicts_removed) == 0 and result.conflicts_kept > 0
    assert all(b["change"] == 0 for b in result.bands.values())
    fn = result.fn["enterprise ENT-0005"]
    assert np.allclose(fn["before"][0], fn["after"][0]) and np.allclose(fn["before"][1], fn["after"][1], rtol=1e-9)


def test_a_touched_plant_without_a_stored_run_gets_its_before_qra_now(city: tuple[str, Path]) -> None:
    url, data_dir = city  # ENT-0101 (chlor-alkali among homes) is a QRA plant with no stored run here
    result = run_scenario(url, {"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0101", "share": 1.0}]},
                          data_dir=data_dir)
    assert any(n.startswith("ENT-0101: no current stored QRA run") for n in result.notes), result.notes
    assert result.field is not None and result.field.before.max() > 1e-6
    assert not np.any(result.field.diff)  # not its whole field counted as "raised"
    assert len(result.conflicts_added) == len(result.conflicts_removed) == 0
    fn = result.fn["enterprise ENT-0101"]
    assert len(fn["before"][0]) and np.array_equal(fn["before"][0], fn["after"][0])


def test_a_school_by_the_pesticide_plant_adds_its_conflicts_and_deaths(city: tuple[str, Path]) -> None:
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    url, data_dir = city
    with get_engine(url).connect() as conn:  # beside school PT-0001, south of PARK-01 (ENT-0005's neighbour)
        lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM protection_targets WHERE id = 'PT-0001'")
                                ).one()
    result = run_scenario(url, {"changes": [{"type": "add_development", "kind": "school", "population": 800,
                                             "site": {"type": "Point", "coordinates": [lon + 0.0005, lat]}}]},
                          data_dir=data_dir)
    assert "ENT-0005" in result.touched  # its societal risk sees the school's 800 people
    added = result.conflicts_added
    assert len(added) > 0 and set(added["target_id"]) == {"SCN-DEV-0"} and len(result.conflicts_removed) == 0
    assert not np.any(result.field.diff)  # a school is no built-up land: the IR field is unchanged
    (n_b, f_b), (n_a, f_a) = result.fn["enterprise ENT-0005"]["before"], result.fn["enterprise ENT-0005"]["after"]
    # more people: deaths and frequencies never fewer (to the last bits of a sum whose terms come in
    # another order once the school's people are among them)
    assert n_a.max() >= n_b.max() * (1 - 1e-12) and f_a[0] >= f_b[0] * (1 - 1e-12)
    assert fn_at(n_a, f_a, 700.0)[0] >= fn_at(n_b, f_b, 700.0)[0] * (1 - 1e-12)
    assert result.bands["any_above_yellow"]["after"] >= result.bands["any_above_yellow"]["before"]


def test_the_difference_equals_an_independent_recomputation(city: tuple[str, Path]) -> None:
    from geo_risk.risk.run import RiskSettings, assess_scope
    from geo_risk.risk_runs import _read, _scope_inputs

    url, data_dir = city
    result = run_scenario(url, {"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005", "share": 0.3}]},
                          data_dir=data_dir)
    # by hand: the enterprise's items at 30 % in the inputs as the risk run reads them, one QRA
    data = _read(url)
    units = data["units"].index[data["units"]["enterprise_id"] == "ENT-0005"]
    mine = data["inventory"]["unit_id"].isin(units)
    data["inventory"].loc[mine, "max_quantity_t"] = data["inventory"].loc[mine, "max_quantity_t"] * 0.3
    scope = _scope_inputs(data, "enterprise", "ENT-0005", ["ENT-0005"], "existing", 25.0)
    after = assess_scope(scope, RiskSettings(cell_m=25.0))
    g = after.grid
    from rasterio.transform import from_origin

    a_arr = np.flipud(after.ir).astype(np.float32).astype(np.float64)
    a_tr = from_origin(g.x0 - g.cell_m / 2, g.y0 + (g.ny - 0.5) * g.cell_m, g.cell_m, g.cell_m)
    b_arr, b_tr, _ = _stored_cog(data_dir, "ENT-0005")
    expected = np.zeros(result.field.before.shape)
    for arr, tr, sign in ((a_arr, a_tr, 1.0), (b_arr, b_tr, -1.0)):
        r0, c0 = _window_of(result.field, tr, arr.shape)
        expected[r0:r0 + arr.shape[0], c0:c0 + arr.shape[1]] += sign * arr
    assert np.abs(expected).max() > 1e-6  # the cut changes the field
    np.testing.assert_array_equal(result.field.diff, expected)  # cell by cell
    assert result.verdict()["ir"] == "lowered"
    assert result.field.diff.max() <= 0.0  # 30 % of every item never raises IR anywhere


def test_removing_the_only_enterprise_zeroes_ir_and_removes_every_conflict(city: tuple[str, Path]) -> None:
    from geo_risk.risk_runs import _read

    url, data_dir = city
    others = [e for e in _read(url)["enterprises"].index if e != "ENT-0005"]
    result = run_scenario(url, {"baseline_without": others,
                                "changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-0005"}]},
                          data_dir=data_dir)
    assert result.field.before.max() > 1e-5
    assert not np.any(result.field.after)  # zero everywhere
    assert len(result.conflicts_removed) > 0 and result.conflicts_kept == 0 and len(result.conflicts_added) == 0
    assert set(result.conflicts_removed["enterprise_id"].dropna()) == {"ENT-0005"}
    assert result.bands["any_above_yellow"]["after"] == 0 < result.bands["any_above_yellow"]["before"]
    fn = result.fn["enterprise ENT-0005"]
    assert len(fn["before"][0]) and not len(fn["after"][0])


def test_cutting_an_inventory_to_zero_is_removing_it(city: tuple[str, Path]) -> None:
    url, data_dir = city
    cut = run_scenario(url, {"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0005",
                                          "max_quantity_t": 0}]}, data_dir=data_dir)
    gone = run_scenario(url, {"changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-0005"}]},
                        data_dir=data_dir)
    assert cut.removed == gone.removed == ["ENT-0005"]
    np.testing.assert_array_equal(cut.field.diff, gone.field.diff)
    assert cut.field.diff.min() < 0
    assert set(cut.conflicts_removed["conflict_id"]) == set(gone.conflicts_removed["conflict_id"])
    assert len(cut.conflicts_removed) > 0 and len(cut.conflicts_added) == len(gone.conflicts_added) == 0
    assert cut.bands == gone.bands


def test_relocating_the_plans_firms_lowers_ir_at_their_old_sites(city: tuple[str, Path]) -> None:
    from geo_risk.analysis.ir_field import sample_points
    from geo_risk.risk_runs import _read
    from geo_risk.store.relocation import plan_cases

    url, data_dir = city
    cases = plan_cases(url)
    movers = set(cases.loc[cases["outcome"] == "relocate_to_park", "enterprise_id"])
    assert movers & set(QRA), cases[["enterprise_id", "outcome"]]
    body = from_relocation_plan(url, ("relocate_to_park",))
    result = run_scenario(url, body, data_dir=data_dir)
    assert set(result.moves) == movers
    units = _read(url)["units"]
    f = result.field
    from geo_risk.analysis.ir_field import IrGrid

    def at(array: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return sample_points(IrGrid(0, "sum", "x", (), None, f.crs, array, f.transform), x, y)

    for e in movers & set(QRA):
        import shapely

        c = shapely.centroid(np.asarray(units[units["enterprise_id"] == e].geometry.values, dtype=object))
        x, y = shapely.get_x(c), shapely.get_y(c)  # each unit's own site (lon/lat)
        before, after = at(f.before, x, y), at(f.after, x, y)
        assert (after < before).all(), (e, before, after)
    band = result.bands["any_above_yellow"]
    assert band["after"] < band["before"]  # people at ≥ 3×10⁻⁷ per year drop


def _planned(enterprise: str) -> dict:
    units = pyogrio.read_dataframe(SAMPLE_CITY, layer="hazard_units")
    inv = pyogrio.read_dataframe(SAMPLE_CITY, layer="inventory")
    u = units[units["enterprise_id"] == enterprise].iloc[0]
    rows = [{k: (None if v != v else v) for k, v in r.items()}
            for r in inv[inv["unit_id"] == u["id"]].drop(columns=["unit_id"]).to_dict("records")]
    fields = ("equipment", "containment", "fire_class", "special_process", "operating_temperature_c",
              "operating_pressure_mpa")
    unit = {k: (None if u[k] != u[k] else u[k].item() if hasattr(u[k], "item") else u[k]) for k in fields}
    return {"site": u.geometry.wkt, "unit_type": u["unit_type"], "inventory": rows, "name": enterprise,
            "unit": unit, "replaces": enterprise}


def test_the_planned_lng_station_among_homes_adds_conflicts(city: tuple[str, Path], tmp_path: Path) -> None:
    url, data_dir = city
    body = from_siting_request(_planned("ENT-0111"))
    assert body["baseline_without"] == ["ENT-0111"] and body["changes"][0]["type"] == "add_project"
    result = run_scenario(url, body, data_dir=data_dir)
    assert result.verdict()["ir"] == "raised" and result.field.diff.min() >= 0
    added = result.conflicts_added
    assert len(added) > 0 and len(result.conflicts_removed) == 0
    assert set(added["enterprise_id"].dropna()) == {"PROPOSED"}
    assert "residential_areas" in set(added["target_layer"])  # among homes
    # full containment (as stored for HU-0243) keeps its IR below 3×10⁻⁷: no one changes band, none drops
    assert result.bands["any_above_yellow"]["after"] >= result.bands["any_above_yellow"]["before"]
    # the products
    import rasterio

    tif = write_products(result, tmp_path / "d.tif")
    with rasterio.open(tif) as src:
        assert src.count == 3 and src.dtypes[0] == "float32" and src.crs.to_epsg() == 32652
        np.testing.assert_allclose(src.read(1), result.field.diff.astype(np.float32))
    png = write_products(result, tmp_path / "fn.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    gpkg = write_products(result, tmp_path / "d.gpkg")
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"ir_contours", "conflicts_added"} <= layers


@pytest.mark.parametrize(("body", "needle"), [
    ({"changes": []}, "changes: a non-empty list"),
    ({}, "changes: a non-empty list"),
    ({"changes": [{"type": "demolish"}]}, "changes[0].type"),
    ({"changes": [{"type": "remove_enterprise"}]}, "changes[0].enterprise_id"),
    ({"changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-0005"},
                  {"type": "cut_inventory", "unit_id": "HU-0024", "share": 1.5}]}, "changes[1].share"),
    ({"changes": [{"type": "cut_inventory", "unit_id": "HU-0024", "max_quantity_t": -1}]},
     "changes[0].max_quantity_t"),
    ({"changes": [{"type": "cut_inventory", "unit_id": "HU-0024"}]}, "changes[0]: give share"),
    ({"changes": [{"type": "move_to_park", "enterprise_id": "ENT-0005", "park": "PARK-02"}]}, "changes[0]: unknown"),
    ({"changes": [{"type": "add_development", "site": "POINT (126.64 43.90)", "kind": "school",
                   "population": 0}]}, "changes[0].population"),
    ({"changes": [{"type": "add_project", "site": "POINT (126.64 43.90)", "unit_type": "storage",
                   "inventory": []}]}, "changes[0].inventory"),
])
def test_bad_scenarios_name_the_change_and_field(body: dict, needle: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_scenario(body)
    assert needle in str(err.value), str(err.value)


@pytest.mark.parametrize(("change", "needle"), [
    ({"type": "remove_enterprise", "enterprise_id": "ENT-9999"}, "changes[0].enterprise_id: no enterprise"),
    ({"type": "move_to_park", "enterprise_id": "ENT-0005", "park_id": "PARK-99"}, "changes[0].park_id"),
    ({"type": "cut_inventory", "unit_id": "HU-9999", "share": 0.5}, "changes[0].unit_id"),
    ({"type": "cut_inventory", "unit_id": "HU-0024", "chemical": "unobtainium", "share": 0.5}, "changes[0].chemical"),
])
def test_unknown_ids_are_named(city: tuple[str, Path], change: dict, needle: str) -> None:
    url, data_dir = city
    with pytest.raises(InvalidInput) as err:
        run_scenario(url, {"changes": [change]}, data_dir=data_dir)
    assert needle in str(err.value), str(err.value)


def test_the_cli_writes_the_products_and_prints_the_verdict(city: tuple[str, Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import rasterio
    from typer.testing import CliRunner

    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    url, data_dir = city
    monkeypatch.setenv("GEO_RISK_DATABASE_URL", url)
    monkeypatch.setenv("GEO_RISK_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        scenario = tmp_path / "s.json"
        scenario.write_text(json.dumps({"name": "关闭 ENT-0005", "changes": [
            {"type": "remove_enterprise", "enterprise_id": "ENT-0005"}]}, ensure_ascii=False), encoding="utf-8")
        runner = CliRunner()
        done = runner.invoke(app, ["scenario", "--file", str(scenario), "--out", str(tmp_path / "d.tif"),
                                   "--out", str(tmp_path / "r.json")])
        assert done.exit_code == 0, done.output
        assert "累积风险下降 / cumulative risk lowered" in done.output and "any_above_yellow" in done.output
        with rasterio.open(tmp_path / "d.tif") as src:
            diff = src.read(1)
            assert diff.max() == 0 and diff.min() < 0  # only lowered
        body = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert body["removed"] == ["ENT-0005"] and body["conflicts_removed"]
        bad = runner.invoke(app, ["scenario", "--file", str(scenario), "--out", str(tmp_path / "d.shp")])
        assert bad.exit_code == 1 and ".gpkg, .tif, .png, .json" in bad.output
        two = runner.invoke(app, ["scenario", "--file", str(scenario), "--relocation-plan", "--out",
                                  str(tmp_path / "d.json")])
        assert two.exit_code == 1 and "give one of --file" in two.output
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def park_run(city: tuple[str, Path]) -> tuple[str, Path]:
    """PARK-02's QRA stored (with its members' own runs), for the park's F-N."""
    from geo_risk.risk_runs import run_risk

    url, data_dir = city
    run_risk(url, park_id="PARK-02", data_dir=data_dir)
    return url, data_dir


def test_a_park_member_touched_compares_the_parks_fn(park_run: tuple[str, Path]) -> None:
    from geo_risk.store.risk_results import get_run

    url, data_dir = park_run
    stored = get_run(url, "park", "PARK-02")
    assert stored is not None and stored["fn"]["n"]
    # an identity cut of a member: the park's whole QRA re-run gives back its stored F-N
    result = run_scenario(url, {"changes": [{"type": "cut_inventory", "enterprise_id": "ENT-0057", "share": 1.0}]},
                          data_dir=data_dir)
    park = result.fn["park PARK-02"]
    np.testing.assert_array_equal(park["before"][0], np.asarray(stored["fn"]["n"]))
    np.testing.assert_array_equal(park["after"][0], park["before"][0])
    np.testing.assert_allclose(park["after"][1], park["before"][1], rtol=1e-12, atol=0)
    assert park["region_before"] == park["region_after"] == stored["fn_region"]


def test_products_are_kept_for_the_newest_scenarios_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    from geo_risk import scenarios
    from geo_risk.errors import NotFound

    monkeypatch.setattr(scenarios, "KEEP_SCENARIOS", 2)
    empty = gpd.GeoDataFrame({"conflict_id": []}, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    ids = [f"{k:016x}" for k in range(1, 4)]
    for sid in ids:
        result = scenarios.ScenarioResult(sid, "s", [], [], 1, {}, [], None, {}, {}, empty, empty, 0, {}, {}, [], [],
                                          {})
        paths = scenarios.keep_products(result, tmp_path)
        assert set(paths) == {"fn_png", "json"}  # no IR grid touched: no raster
    kept = sorted(p.name for p in (tmp_path / "scenarios").iterdir())
    assert kept == ids[1:]  # the oldest went first
    with pytest.raises(NotFound):
        scenarios.scenario_dir(tmp_path, "../../etc")


def test_the_json_schema_and_the_validator_agree_on_fields() -> None:
    from geo_risk.scenarios import _FIELDS, CHANGE_SCHEMA

    branches = {b["title"]: b for b in CHANGE_SCHEMA["oneOf"]}
    assert set(branches) == set(_FIELDS)
    for kind, branch in branches.items():
        assert set(branch["properties"]) == _FIELDS[kind], kind
        assert branch["properties"]["type"] == {"const": kind}
    valid = {"remove_enterprise": {"enterprise_id": "E"}, "relocation_case": {"enterprise_id": "E"},
             "move_to_park": {"enterprise_id": "E", "park_id": "P"},
             "add_development": {"site": "POINT (126.6 43.9)", "kind": "school", "population": 10}}
    for kind, fields in valid.items():
        parse_scenario({"changes": [{"type": kind, **fields}]})  # accepted
        for name in branches[kind]["required"]:
            if name == "type":
                continue
            with pytest.raises(InvalidInput, match=name):  # each required field, left out, is named
                parse_scenario({"changes": [{"type": kind, **{k: v for k, v in fields.items() if k != name}}]})
