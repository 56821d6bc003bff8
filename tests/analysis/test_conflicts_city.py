"""Proximity conflicts on the sample city: stored, stale after a write, exported, and equal to the same
analysis written independently in PostGIS SQL (ST_Distance in the unit's UTM zone)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from sqlalchemy import text

from geo_risk.analyse import analyse, conflict_distances, export_conflicts
from geo_risk.store import conflicts as store
from geo_risk.store.db import get_engine

#: Old plants in town among homes (sample_geo/README.md, built-in situation 1).
AMONG_HOMES = ("ENT-0101", "ENT-0102", "ENT-0103", "ENT-0104", "ENT-0105", "ENT-0106", "ENT-0107", "ENT-0108",
               "ENT-0109", "ENT-0110")


@pytest.fixture(scope="module")
def city(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from geo_risk.risk_runs import run_risk

    load(SAMPLE_CITY, db_url)
    # one QRA (the chlor-alkali plant among homes, next to kindergarten PT-0002): its grid gives IR conflicts
    run_risk(db_url, enterprise_id="ENT-0101", data_dir=tmp_path_factory.mktemp("risk"))
    outcomes = analyse(db_url, only=["conflicts"])
    assert [o.name for o in outcomes if o.ran] == ["conflicts"]
    return db_url


def test_plants_among_homes_show_as_red_conflicts(city: str) -> None:
    rows, total = store.list_conflicts(city, colour="red", limit=10_000)
    assert total == len(rows) > 0
    red_plants = {r["enterprise_id"] for r in rows}
    assert len(red_plants & set(AMONG_HOMES)) >= 4, red_plants  # declared and design-code distances alone
    homes = [r for r in rows if r["enterprise_id"] in AMONG_HOMES and r["target_layer"] == "residential_areas"]
    assert homes and all(r["people_affected"] <= r["population"] for r in homes)
    assert all(r["geometry"]["type"] == "LineString" for r in rows)


def test_the_school_by_the_park_boundary_shows(city: str) -> None:
    rows, total = store.list_conflicts(city, target_id="PT-0001", limit=100)
    assert total > 0 and {r["target_class"] for r in rows} == {"high_sensitive"}
    assert {r["enterprise_id"] for r in rows} & {"ENT-0001", "ENT-0003"}  # park plants (sample_geo README, item 2)


def test_individual_risk_at_the_kindergarten_is_read_from_the_stored_grid(city: str) -> None:
    """The per-enterprise IR of ENT-0101 at kindergarten PT-0002 (a point) is the value of the COG cell
    holding it, read here with rasterio's own index() and the criterion the GB 36894 table's (在役, 3×10⁻⁶)."""
    import pyproj
    import rasterio

    rows, _ = store.list_conflicts(city, target_id="PT-0002", rule="individual_risk", limit=10)
    with get_engine(city).connect() as conn:
        path = conn.execute(text("SELECT grid_path FROM risk_runs WHERE scope_id = 'ENT-0101'")).scalar_one()
        lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM protection_targets WHERE id = 'PT-0002'")
                                ).one()
    with rasterio.open(path) as src:
        x, y = pyproj.Transformer.from_crs(4326, src.crs, always_xy=True).transform(lon, lat)
        row, col = src.index(x, y)
        ir = float(src.read(1)[row, col])
    if ir <= 3e-6:
        assert rows == []
        return
    assert len(rows) == 1
    r = rows[0]
    assert r["enterprise_id"] == "ENT-0101" and r["view"] == "per_enterprise" and r["criteria"] == "existing"
    assert r["ir_per_year"] == pytest.approx(ir, rel=1e-6) and r["criterion_per_year"] == 3e-6
    assert r["ir_ratio"] == pytest.approx(ir / 3e-6, rel=1e-6)
    assert r["cumulative_ir_per_year"] == pytest.approx(ir, rel=1e-6)  # the only grid


def test_the_conflict_set_equals_the_same_analysis_in_postgis_sql(city: str) -> None:
    """Every (rule, unit, target) the engine reports, and no other, from SQL: the distance between the
    unit's and the target's footprints in the WGS 84 / UTM zone of the unit's centroid (ST_Transform),
    to the millimetre, strictly less than the rule's required distance for the target's class."""
    data = store.read_inputs(city)
    distances, _ = conflict_distances(city, data["units"], data["enterprises"], data["distances"])
    long = distances.melt(id_vars=["unit_id", "target_class"],
                          value_vars=["final_distance_m", "declared_distance_m", "code_distance_m"],
                          var_name="col", value_name="required_m").dropna(subset=["required_m"])
    long["rule"] = long["col"].map({"final_distance_m": "external_distance", "declared_distance_m": "declared_distance",
                                    "code_distance_m": "design_code_distance"})
    with get_engine(city).begin() as conn:
        conn.execute(text("CREATE TEMP TABLE req (unit_id text, target_class text, rule text, required_m float8)"))
        conn.execute(text("INSERT INTO req VALUES (:unit_id, :target_class, :rule, :required_m)"),
                     long[["unit_id", "target_class", "rule", "required_m"]].to_dict("records"))
        sql = conn.execute(text("""
            WITH u AS (
              SELECT u.id, u.geom, (SELECT max(required_m) FROM req WHERE req.unit_id = u.id) AS reach_m,
                     (CASE WHEN ST_Y(ST_Centroid(u.geom)) >= 0 THEN 32600 ELSE 32700 END
                      + (floor((ST_X(ST_Centroid(u.geom)) + 180) / 6)::int % 60) + 1) AS srid
                FROM hazard_units u JOIN enterprises e ON e.id = u.enterprise_id
               WHERE e.status IN ('operating', 'suspended', 'planned')),
            pairs AS (  -- a box of reach / 70 km per degree (smaller than a degree anywhere in China) first
              SELECT u.id AS unit_id, t.id AS target_id, t.category,
                     round(ST_Distance(ST_Transform(u.geom, u.srid), ST_Transform(t.geom, u.srid))::numeric, 3) AS d
                FROM u JOIN all_protection_targets t ON t.geom && ST_Expand(u.geom, u.reach_m / 70000.0)
               WHERE u.reach_m IS NOT NULL)
            SELECT r.rule, p.unit_id, p.target_id
              FROM pairs p JOIN req r ON r.unit_id = p.unit_id AND r.target_class = p.category
             WHERE p.d < r.required_m
        """)).all()
    expected = {tuple(r) for r in sql}
    rows, _ = store.list_conflicts(city, limit=100_000)
    got = {(r["rule"], r["unit_id"], r["target_id"]) for r in rows if r["view"] == "per_unit"}
    assert len(expected) > 50
    assert got == expected


def test_results_are_stale_after_a_write_and_analyse_recomputes_them(city: str) -> None:
    assert store.conflicts_are_current(city)
    with get_engine(city).connect() as conn:
        shown = conn.execute(text("SELECT count(*) FROM conflicts_map")).scalar_one()
        targets = conn.execute(text("SELECT count(*) FROM conflict_targets_map")).scalar_one()
    assert shown > 0 and targets > 0
    with get_engine(city).begin() as conn:
        conn.execute(text("UPDATE residential_areas SET population = population + 1 WHERE id = "
                          "(SELECT min(id) FROM residential_areas)"))
    assert not store.conflicts_are_current(city)
    with get_engine(city).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conflicts_map")).scalar_one() == 0  # stale: not served
    again = analyse(city, only=["conflicts"])
    assert again[0].ran and store.conflicts_are_current(city)
    assert not analyse(city, only=["conflicts"])[0].ran  # current: nothing to do


@pytest.mark.parametrize("suffix", [".gpkg", ".csv", ".xlsx"])
def test_exports_carry_the_conflicts_and_the_settings_used(city: str, tmp_path: Path, suffix: str) -> None:
    import pyogrio

    out = tmp_path / f"conflicts{suffix}"
    paths = export_conflicts(city, out, enterprise_id="ENT-0101")
    rows, total = store.list_conflicts(city, enterprise_id="ENT-0101", limit=10_000)
    assert total > 0
    if suffix == ".gpkg":
        frame = pyogrio.read_dataframe(out, layer="conflicts")
        settings = pyogrio.read_dataframe(out, layer="settings")
        assert "shortfall_bands" in set(settings["key"])
    elif suffix == ".csv":
        frame = pd.read_csv(out)
        assert paths[1].name == "conflicts.settings.json" and "CHOICE" in paths[1].read_text(encoding="utf-8")
    else:
        frame = pd.read_excel(out, sheet_name="conflicts")
        assert "shortfall_bands" in set(pd.read_excel(out, sheet_name="settings")["key"])
    assert set(frame["enterprise_id"]) == {"ENT-0101"} and len(frame) == total
