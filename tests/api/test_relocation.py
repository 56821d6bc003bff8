"""The relocation plan on the sample city (吉林市, synthetic): what a reader of the data expects, through the
API per tier, the stored layer and the exports."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF
from sqlalchemy import text

from geo_risk.disclosure import OPEN
from geo_risk.errors import InvalidInput
from geo_risk.relocation_plan import compute_plan, export_plan
from geo_risk.store.db import get_engine

# sample_geo/README.md, situation 1: old plants among homes. The producers among them (a production unit):
URBAN_PRODUCERS = {"ENT-0101", "ENT-0102", "ENT-0103", "ENT-0104"}  # chlor-alkali ×2, fertiliser, pesticide
URBAN_STORAGE_ONLY = {"ENT-0105", "ENT-0106", "ENT-0107", "ENT-0108", "ENT-0109", "ENT-0110"}


@pytest.fixture(scope="module")
def public_plan(city_client: TestClient) -> dict:
    r = city_client.get("/api/v1/relocation-plan")
    assert r.status_code == 200, r.text[:500]
    return r.json()


def test_plants_among_homes_are_candidates(public_plan: dict) -> None:
    cases = {c["enterprise_id"]: c for c in public_plan["cases"]}
    assert set(cases) >= URBAN_PRODUCERS  # 10,000–32,000 residents within 500 m: far above 1,500/km²
    for e in URBAN_PRODUCERS:
        assert "density" in cases[e]["in_scope_reasons"] and "outside_recognised_park" in cases[e]["in_scope_reasons"]
        assert cases[e]["density_per_km2"] >= 1500
    assert not (URBAN_STORAGE_ONLY & set(cases))  # storage-only firms: not named by the national text (default)
    # the §3 decision aid: ENT-0104 has the open major hazard, ENT-0101 is small (8.1 ha) → close
    assert cases["ENT-0104"]["outcome"] == "close_exit" and "重大事故隐患" in cases["ENT-0104"]["reason"]
    assert cases["ENT-0101"]["outcome"] == "close_exit" and "small" in cases["ENT-0101"]["reason"]
    # a medium chlor-alkali plant whose code distances no cut can clear moves into a park
    assert cases["ENT-0102"]["outcome"] == "relocate_to_park"
    assert cases["ENT-0102"]["park_id"] in {"PARK-01", "PARK-02"}


def test_land_and_grade_rules_hold(public_plan: dict) -> None:
    free = {p["park_id"]: p["free_area_ha"] for p in public_plan["parks"]}
    used: dict[str, float] = {}
    for c in public_plan["cases"]:
        if c["outcome"] == "relocate_to_park":
            used[c["park_id"]] = used.get(c["park_id"], 0.0) + c["land_ha"]
            assert c["geometry"]["type"] == "LineString"
        else:
            assert c["park_id"] is None and c["geometry"]["type"] == "Point"
    for park, ha in used.items():
        assert ha <= free[park] + 1e-9  # two firms never share the same scarce land
    assert public_plan["settings"]["tags"]["candidates"].startswith("CHOICE")
    assert public_plan["solver"]["mip_objective"] <= public_plan["solver"]["greedy_objective"] + 1e-9
    assert public_plan["benefit"]["conflicts_resolved"] > 0


def test_restricted_figures_only_for_analysts(city_client: TestClient, public_plan: dict) -> None:
    assert all(c["upgrade_share"] is None and c["upgrade_inventory"] is None and c["cost"] is None
               for c in public_plan["cases"])
    body = city_client.get("/api/v1/relocation-plan").text
    assert OPEN not in body and "\\u27e6" not in body.lower()
    viewer = city_client.get("/api/v1/relocation-plan", headers={"X-API-Key": KEY_OF["viewer"]}).json()
    assert all(c["cost"] is None for c in viewer["cases"])
    analyst = city_client.get("/api/v1/relocation-plan", headers={"X-API-Key": KEY_OF["analyst"]}).json()
    assert all(c["cost"] is not None for c in analyst["cases"])
    shares = {c["enterprise_id"]: c["upgrade_share"] for c in analyst["cases"]}
    assert shares["ENT-0103"] is not None  # the fertiliser plant's upgrade search ran
    assert any("%" in c["reason"] for c in analyst["cases"] if c["outcome"] == "relocate_to_park")


def test_post_needs_an_analyst_and_stores_the_layer(city_client: TestClient, city_url: str) -> None:
    assert city_client.post("/api/v1/relocation-plan").status_code in (401, 403)
    r = city_client.post("/api/v1/relocation-plan", headers={"X-API-Key": KEY_OF["analyst"]})
    assert r.status_code == 200, r.text[:300]
    with get_engine(city_url).connect() as conn:
        rows = conn.execute(text("SELECT outcome, GeometryType(geom) FROM relocation_map")).all()
        columns = {c for (c,) in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'relocation_map'"))}
    assert len(rows) == len(r.json()["cases"]) and rows
    assert {g for o, g in rows if o == "relocate_to_park"} == {"LINESTRING"}
    assert not columns & {"upgrade_share", "upgrade_inventory", "cost"}  # the map layer is public
    layer = city_client.get("/collections/relocation/items?f=json&limit=100").json()
    assert len(layer["features"]) == len(rows)
    assert OPEN not in str(layer)


def test_exports_per_tier(city_client: TestClient, city_url: str, tmp_path: Path) -> None:
    s = city_client.app.state.settings  # the app's settings and data folder: its cached checks are reused
    plan = compute_plan(city_url, settings=s, data_dir=s.data_dir)
    for suffix in (".gpkg", ".csv", ".xlsx"):
        public = export_plan(plan, tmp_path / f"public{suffix}", tier="public")
        full = export_plan(plan, tmp_path / f"full{suffix}")
        if suffix == ".gpkg":
            p, f = gpd.read_file(public, layer="relocation_cases"), gpd.read_file(full, layer="relocation_cases")
        elif suffix == ".csv":
            p, f = pd.read_csv(public), pd.read_csv(full)
        else:
            p, f = pd.read_excel(public, sheet_name="cases"), pd.read_excel(full, sheet_name="cases")
        assert "upgrade_share" not in p.columns and "cost" not in p.columns
        assert "upgrade_share" in f.columns and "cost" in f.columns
        assert len(p) == len(f) == len(plan.cases)
        assert not p["reason"].astype(str).str.contains(OPEN).any()
    # the parks' F-N curves (restricted) in their own sheet for the analyst's file only
    assert "park_fn" in pd.ExcelFile(tmp_path / "full.xlsx").sheet_names
    assert "park_fn" not in pd.ExcelFile(tmp_path / "public.xlsx").sheet_names
    public_parks = pd.read_excel(tmp_path / "public.xlsx", sheet_name="parks")
    assert public_parks["fn_region_after"].isna().all()
    # the parks' F-N before/after plot: for the analyst's file only
    png = export_plan(plan, tmp_path / "fn.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    with pytest.raises(InvalidInput, match="restricted"):
        export_plan(plan, tmp_path / "public.png", tier="public")


def test_new_sites_are_siting_checked_and_the_receiving_parks_fn_is_restricted(city_client: TestClient,
                                                                                public_plan: dict) -> None:
    """Every relocation went to a park the siting check of the firm's inventory there did not veto; the
    receiving parks' F-N (derived from inventories) reaches analysts only, and is never lower after."""
    import numpy as np

    from geo_risk.relocation_plan import fn_at

    moved = {c["enterprise_id"]: c["park_id"] for c in public_plan["cases"] if c["outcome"] == "relocate_to_park"}
    assert moved
    pairs = {(p["enterprise_id"], p["park_id"]): p for p in public_plan["solver"]["site_check_pairs"]}
    for e, park in moved.items():
        assert (e, park) in pairs and pairs[(e, park)]["chosen"] and not pairs[(e, park)]["veto"]
    receiving = set(moved.values())
    for p in public_plan["parks"]:
        assert p["fn_before"] is None and p["fn_after"] is None and p["fn_region_after"] is None
        if p["park_id"] in receiving:
            assert {"fn_before", "fn_after", "fn_region_after"} <= set(p["withheld"])
    for c in public_plan["cases"]:
        assert not any(w in (c["fn_note"] or "") for w in ("alarp", "acceptable", "largest N"))
    analyst = city_client.get("/api/v1/relocation-plan", headers={"X-API-Key": KEY_OF["analyst"]}).json()
    computed = {p["park_id"]: p for p in analyst["parks"] if p.get("fn_changes")}
    assert receiving <= set(computed)  # every receiving park (and any park a member leaves) recomputed
    for p in computed.values():
        assert p["fn_region_after"] in ("acceptable", "alarp", "unacceptable")
        if all(c.startswith("+") for c in p["fn_changes"].split(", ")):  # firms only added: never lower
            b, a = p["fn_before"], p["fn_after"]
            xs = np.unique(np.concatenate([b["n"], a["n"]]))
            assert np.all(fn_at(a["n"], a["f"], xs) >= fn_at(b["n"], b["f"], xs) * (1 - 1e-12))
