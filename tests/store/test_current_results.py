"""Risk contours of runs whose inputs changed since (``current`` false) are history: every path that
serves the ``risk_contours`` layer (items, one item, tiles, exports over HTTP and the command line)
gives the current runs only, and all runs only when asked (``include_history``).

Two runs on a small city: E1's, then a write to the store (its inputs change), then E2's. E1's run
is stale, E2's current — as ``risk_runs.inputs_version`` against ``data_version`` says, checked
here in SQL first.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyproj
import pytest
import shapely
from fastapi.testclient import TestClient
from helpers import load, small_city, write_city
from sqlalchemy import text
from typer.testing import CliRunner

from api.app import create_app
from geo_risk.export import export_download
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine
from geo_risk.store.results import inputs_version
from geo_risk.store.risk_results import save_run

UTM = 32652
#: Plant centres of the small city (lon, lat, degrees) and the contour radii drawn around them (m).
CENTRES = {"E1": (126.515, 43.915), "E2": (126.601, 43.851)}
RADII_M = {"E1": (300.0, 150.0), "E2": (250.0,)}


def _save(url: str, scope_id: str) -> int:
    to_utm = pyproj.Transformer.from_crs(4326, UTM, always_xy=True)
    x, y = to_utm.transform(*CENTRES[scope_id])
    contours = [(10.0 ** -(5 + i), f"1×10⁻{5 + i}", "general_1", shapely.Point(x, y).buffer(r))
                for i, r in enumerate(RADII_M[scope_id])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no shapely.ops.transform deprecation (or any other warning)
        return save_run(url, scope="enterprise", scope_id=scope_id, criteria="existing",
                        inputs_version=inputs_version(url), model_version="test", assumptions={}, grid_cell_m=None,
                        grid_path=None, max_ir=None, fn=None, fn_region=None, contours=contours, source_crs=UTM)


def _two_runs(url: str, folder: Path) -> None:
    load(write_city(small_city(), folder / "city.gpkg"), url)
    _save(url, "E1")
    with get_engine(url).begin() as conn:  # a write: the store's inputs change, E1's run is now stale
        conn.execute(text("UPDATE protection_targets SET population = 51 WHERE id = 'T2'"))
    _save(url, "E2")


@pytest.fixture(scope="module")
def store(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    _two_runs(db_url, tmp_path_factory.mktemp("city"))
    return db_url


@pytest.fixture(scope="module")
def client(store: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=store), database_url=store)) as c:
        yield c


def _contours(url: str) -> dict[str, dict[str, object]]:
    """Contour id → scope_id and whether its run is current, straight from the tables."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(text(
            "SELECT c.id::text, r.scope_id, r.inputs_version = (SELECT inputs_version FROM data_version) "
            "FROM risk_contours c JOIN risk_runs r ON r.id = c.run_id")).all()
    return {i: {"scope_id": s, "current": bool(cur)} for i, s, cur in rows}


def test_the_store_holds_one_stale_and_one_current_run(store: str) -> None:
    got = _contours(store)
    assert sorted((v["scope_id"], v["current"]) for v in got.values()) == [("E1", False), ("E1", False),
                                                                          ("E2", True)]


def _scopes(features: list[dict]) -> list[tuple[str, bool]]:
    return sorted((f["properties"]["scope_id"], f["properties"]["current"]) for f in features)


def test_items_give_current_results_and_history_only_when_asked(client: TestClient, store: str) -> None:
    page = client.get("/collections/risk_contours/items").json()
    assert page["numberMatched"] == 1 and _scopes(page["features"]) == [("E2", True)]
    page = client.get("/collections/risk_contours/items", params={"include_history": "true"}).json()
    assert page["numberMatched"] == 3
    assert _scopes(page["features"]) == [("E1", False), ("E1", False), ("E2", True)]
    # The next/self links keep the parameter, so paging stays in the history.
    assert all("include_history=true" in link["href"] for link in page["links"] if link["rel"] == "self")
    # A stale contour by id: not found among current results, found in the history.
    stale = next(i for i, v in _contours(store).items() if not v["current"])
    assert client.get(f"/collections/risk_contours/items/{stale}").status_code == 404
    r = client.get(f"/collections/risk_contours/items/{stale}", params={"include_history": "true"})
    assert r.status_code == 200 and r.json()["properties"]["current"] is False


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_tiles_show_current_results_only(client: TestClient) -> None:
    import mapbox_vector_tile

    z, x, y = _tile_of(126.56, 43.88, 6)
    assert (z, x, y) == _tile_of(*CENTRES["E1"], 6) == _tile_of(*CENTRES["E2"], 6)  # one tile holds both plants
    r = client.get(f"/collections/risk_contours/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert r.status_code == 200
    features = mapbox_vector_tile.decode(r.content)["risk_contours"]["features"]
    assert sorted(f["properties"]["scope_id"] for f in features) == ["E2"]


def test_exports_give_current_results_and_history_only_when_asked(client: TestClient, store: str) -> None:
    d = export_download(store, "risk_contours", "geojson")
    content = d.path.read_bytes()
    d.remove()
    assert _scopes(json.loads(content)["features"]) == [("E2", True)]
    d = export_download(store, "risk_contours", "geojson", include_history=True)
    content = d.path.read_bytes()
    d.remove()
    assert _scopes(json.loads(content)["features"]) == [("E1", False), ("E1", False), ("E2", True)]
    r = client.get("/collections/risk_contours/export", params={"f": "geojson"})
    assert _scopes(r.json()["features"]) == [("E2", True)]
    r = client.get("/collections/risk_contours/export", params={"f": "geojson", "include_history": "true"})
    assert len(r.json()["features"]) == 3


def test_cli_export_takes_include_history(cli_env: str, tmp_path: Path) -> None:
    from geo_risk.cli import app

    _two_runs(cli_env, tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["export", "risk_contours", "-f", "geojson", "--out", str(tmp_path / "now.geojson")])
    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "now.geojson").read_text(encoding="utf-8"))["features"]) == 1
    result = runner.invoke(app, ["export", "risk_contours", "-f", "geojson", "--include-history",
                                 "--out", str(tmp_path / "all.geojson")])
    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "all.geojson").read_text(encoding="utf-8"))["features"]) == 3
