"""Joint-prevention clusters on the sample city: stored, served, exported, stale after a write.

The fallback and policy links are checked against the same rules written as one PostGIS query
(``FALLBACK_POLICY_SQL``: ST_DWithin self-joins), an independent formulation of the engine's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import KEY_OF
from sqlalchemy import text
from typer.testing import CliRunner

from geo_risk.analysis.clusters import find_clusters
from geo_risk.cluster_runs import cluster_rules, metric_crs, run_clusters
from geo_risk.disclosure import CLOSE, OPEN
from geo_risk.store import clusters as store
from geo_risk.store.db import get_engine


@pytest.fixture(scope="module")
def analysed(city_url: str) -> str:
    run_clusters(city_url)
    return city_url


def _cluster_of(url: str, enterprise: str) -> set[str]:
    rows, total = store.list_clusters(url, enterprise_id=enterprise)
    assert total == 1, enterprise
    return set(rows[0]["members"])


def test_neighbouring_park_plants_come_out_as_one_cluster(analysed: str) -> None:
    # the sample city's built-in situation 3: plants in rows 20–100 m apart in the parks
    refinery = _cluster_of(analysed, "ENT-0001")
    assert {"ENT-0001", "ENT-0003", "ENT-0008", "ENT-0011"} <= refinery
    assert {"ENT-0002", "ENT-0021", "ENT-0022", "ENT-0032"} <= refinery  # the ethylene complex's row, same park
    coal = _cluster_of(analysed, "ENT-0057")
    assert {"ENT-0057", "ENT-0058", "ENT-0063", "ENT-0070"} <= coal
    assert not refinery & coal  # the two parks are kilometres apart
    assert _cluster_of(analysed, "ENT-0101") == {"ENT-0101"}  # a chlor-alkali plant alone among homes
    rows, _ = store.list_clusters(analysed, enterprise_id="ENT-0026")  # closed: in no cluster
    assert rows == []


def test_links_equal_the_postgis_formulation(analysed: str) -> None:
    data = store.read_inputs(analysed)
    crs = metric_crs(data["enterprises"])
    rules = cluster_rules()
    result = find_clusters(data["enterprises"].to_crs(crs), data["units"].to_crs(crs), data["inventory"],
                           data["assessments"], None, None, None, rules)
    with get_engine(analysed).connect() as conn:
        sql = pd.read_sql(text(store.FALLBACK_POLICY_SQL), conn, params={
            "srid": int(crs.split(":")[1]), "d_unit": rules.fallback_unit_distance_m,
            "d_site": rules.fallback_boundary_distance_m, "d_policy": rules.policy_distance_m,
            "floor": rules.policy_same_park_floor, "minw": rules.policy_min_weight, "k": rules.policy_max_links,
            "lacking": result.fallback_units, "statuses": list(rules.statuses)})
    for kind in ("fallback", "policy"):
        engine = result.links[result.links["kind"] == kind]
        mine = set(zip(engine["enterprise_a"], engine["enterprise_b"], strict=True))
        theirs = set(zip(sql[sql["kind"] == kind]["ea"], sql[sql["kind"] == kind]["eb"], strict=True))
        assert mine == theirs, (kind, sorted(mine ^ theirs)[:10])
        assert len(mine) > 10  # the sample city has many of each
    stored = set(zip(*store.links_frame(analysed, list(store.clusters_frame(analysed).index))[
        ["kind", "enterprise_a", "enterprise_b"]].T.values, strict=True))
    assert stored == set(zip(result.links["kind"], result.links["enterprise_a"], result.links["enterprise_b"],
                             strict=True))


def test_domino_links_use_the_inventory_vessels(analysed: str) -> None:
    """The store hands the scenario builder each item's vessel_count / vessel_capacity_t (a scenario is one
    vessel's contents): the stored domino links are those of the inventory with its vessels, and on the sample
    city (430 items in several vessels) they are not those of whole-inventory releases."""
    data = store.read_inputs(analysed)
    with get_engine(analysed).connect() as conn:
        sql = pd.read_sql(text("SELECT id, vessel_count, vessel_capacity_t FROM inventory ORDER BY id"), conn)
    inv = data["inventory"].set_index("id").sort_index()
    assert inv["vessel_count"].tolist() == pytest.approx(sql["vessel_count"].tolist(), nan_ok=True)
    assert inv["vessel_capacity_t"].tolist() == pytest.approx(sql["vessel_capacity_t"].tolist(), nan_ok=True)
    assert (sql["vessel_count"] > 1).sum() > 50
    crs = metric_crs(data["enterprises"])
    ents, units = data["enterprises"].to_crs(crs), data["units"].to_crs(crs)

    def domino(inventory: pd.DataFrame) -> set[tuple[str, str, str]]:
        lk = find_clusters(ents, units, inventory, data["assessments"], rules=cluster_rules()).links
        lk = lk[lk["kind"] == "domino"]
        return set(zip(lk["enterprise_a"], lk["enterprise_b"], lk["scenario"], strict=True))

    stored = store.links_frame(analysed, list(store.clusters_frame(analysed).index))
    stored = stored[stored["kind"] == "domino"]
    with_vessels = domino(data["inventory"])
    assert set(zip(stored["enterprise_a"], stored["enterprise_b"], stored["scenario"], strict=True)) == with_vessels
    assert with_vessels != domino(data["inventory"].drop(columns=["vessel_count", "vessel_capacity_t"]))


def test_api_serves_clusters_and_hides_link_values_below_analyst(analysed: str, city_client: TestClient) -> None:
    public = city_client.get("/api/v1/clusters", params={"enterprise_id": "ENT-0001"})
    assert public.status_code == 200
    body = public.json()
    assert body["current"] and body["number_matched"] == 1
    assert body["settings"]["values"]["heat_atmospheric_kw_m2"] == 15.0
    assert {r["tag"] for r in body["settings"]["thresholds"]} == {"UNCONFIRMED"}
    cluster = body["items"][0]
    assert "ENT-0003" in cluster["members"] and cluster["outline"]["type"] in ("Polygon", "MultiPolygon")
    domino = [lk for lk in cluster["links"] if lk["kind"] == "domino"]
    assert domino and all(lk["value"] is None for lk in cluster["links"])
    assert OPEN not in public.text and CLOSE not in public.text
    analyst = city_client.get("/api/v1/clusters", params={"enterprise_id": "ENT-0001"},
                              headers={"X-API-Key": KEY_OF["analyst"]}).json()
    values = {lk["id"]: lk["value"] for lk in analyst["items"][0]["links"] if lk["kind"] == "domino"}
    assert values and all(v is not None and v > 0 for v in values.values())
    some = next(iter(values))
    shown = next(lk for lk in analyst["items"][0]["links"] if lk["id"] == some)
    hidden = next(lk for lk in cluster["links"] if lk["id"] == some)
    if shown["vector"] in ("heat", "overpressure"):
        assert f"{shown['value']:.1f} {shown['value_unit']}" in shown["reason"]
        assert f"{shown['value']:.1f} {shown['value_unit']}" not in hidden["reason"]
    # a unit's operating pressure and the state of what it holds are restricted: the public reads the rule only
    assert not re.search(r"operating pressure [0-9?]", public.text) and "liquefied gas held" not in public.text
    assert "by its pressure" in public.text
    analyst_text = city_client.get("/api/v1/clusters", params={"enterprise_id": "ENT-0001"},
                                   headers={"X-API-Key": KEY_OF["analyst"]}).text
    assert re.search(r"operating pressure [0-9]+(\.[0-9]+)? MPa", analyst_text)
    assert "by its pressure" not in analyst_text
    big = city_client.get("/api/v1/clusters", params={"min_members": 30}).json()
    assert big["number_matched"] == 2 and all(c["n_members"] >= 30 for c in big["items"])


def test_map_views_hold_the_current_result_without_values(analysed: str) -> None:
    with get_engine(analysed).connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM clusters")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM clusters_map")).scalar_one() == n
        cols = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cluster_links_map'"))}
        assert "value" not in cols
        reasons = conn.execute(text("SELECT reason FROM cluster_links_map WHERE kind = 'domino'")).scalars().all()
        stored = conn.execute(text("SELECT reason FROM cluster_links WHERE kind = 'domino'")).scalars().all()
    assert reasons and not any(OPEN in r for r in reasons)
    assert any(OPEN in r for r in stored)  # the table keeps the spans; the view serves the public side


def test_cli_writes_the_committee_table(analysed: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from geo_risk.cli import app
    from geo_risk.settings import get_settings

    monkeypatch.setenv("GEO_RISK_DATABASE_URL", analysed)
    get_settings.cache_clear()
    try:
        out = tmp_path / "clusters.xlsx"
        res = CliRunner().invoke(app, ["clusters", "--park", "PARK-02", "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "UNCONFIRMED" in res.output and "200 m" in res.output
        sheets = pd.read_excel(out, sheet_name=None)
        table = sheets["集群 clusters"]
        assert "ENT-0057" in " ".join(table["members"].astype(str))
        assert {"lead_enterprise_id", "lead_reason", "people", "combined_r", "links_domino", "links_policy"} <= set(
            table.columns)
        links = sheets["联系 links"]
        assert len(links) and links["reason"].str.len().min() > 10
        assert not links["reason"].str.contains(OPEN).any()  # rendered for the operator
        assert "threshold heat / atmospheric" in set(sheets["规则 rules"]["rule"])
        gpkg = tmp_path / "c.gpkg"
        assert CliRunner().invoke(app, ["clusters", "--out", str(gpkg)]).exit_code == 0
        import pyogrio

        assert {"clusters", "cluster_links", "cluster_members", "cluster_rules"} <= {
            name for name, _ in pyogrio.list_layers(gpkg)}
    finally:
        get_settings.cache_clear()


def test_a_write_makes_the_clusters_stale(analysed: str, city_client: TestClient) -> None:
    assert store.clusters_are_current(analysed)
    with get_engine(analysed).begin() as conn:
        conn.execute(text("UPDATE enterprises SET industry_code = '2511' WHERE id = 'ENT-0101'"))
    assert not store.clusters_are_current(analysed)
    assert city_client.get("/api/v1/clusters").json()["current"] is False
    with get_engine(analysed).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM clusters_map")).scalar_one() == 0
    from geo_risk.analyse import analyse  # the step of geo-risk analyse recomputes it

    outcome = next(o for o in analyse(analysed, only=["clusters"]) if o.name == "clusters")
    assert outcome.ran and "UNCONFIRMED" in outcome.summary
    assert store.clusters_are_current(analysed)
    assert not next(o for o in analyse(analysed, only=["clusters"]) if o.name == "clusters").ran
