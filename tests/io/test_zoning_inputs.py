"""The zoning inputs of the interchange format: enterprises' optional 应急〔2018〕19号 ``risk_score`` and
the optional ``admin_areas`` layer (code, name, level, polygon), loaded all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from helpers import load, small_city, snapshot, write_city
from shapely.geometry import box
from sqlalchemy import text

from geo_risk.errors import ValidationFailed
from geo_risk.store.db import get_engine


def _admin(codes: list[str], names: list[str] | None = None) -> gpd.GeoDataFrame:
    n = len(codes)
    return gpd.GeoDataFrame(
        {"code": codes, "name": names or [f"区{i}" for i in range(n)], "level": ["county"] * n},
        geometry=[box(126.45 + 0.1 * i, 43.80, 126.55 + 0.1 * i, 43.98) for i in range(n)], crs="EPSG:4326",
    )


def _city(tmp_path: Path, scores: list[float | None], codes: list[str]) -> Path:
    city = small_city()
    city["enterprises"]["risk_score"] = scores
    city["admin_areas"] = _admin(codes)
    tmp_path.mkdir(parents=True, exist_ok=True)
    return write_city(city, tmp_path / "city.gpkg")


def test_scores_and_admin_areas_are_stored(tmp_path: Path, fresh_db_url: str) -> None:
    report = load(_city(tmp_path, [58.5, None, 100.0], ["220203", "220204001"]), fresh_db_url)
    assert report.layers["admin_areas"] == 2
    with get_engine(fresh_db_url).connect() as conn:
        scores = dict(conn.execute(text("SELECT id, risk_score FROM enterprises")).all())
        areas = conn.execute(text("SELECT id, code, name, level, ST_GeometryType(geom) FROM admin_areas "
                                  "ORDER BY id")).all()
    assert scores == {"E1": 58.5, "E2": None, "E3": 100.0}
    assert [tuple(a) for a in areas] == [("220203", "220203", "区0", "county", "ST_Polygon"),
                                         ("220204001", "220204001", "区1", "county", "ST_Polygon")]


@pytest.mark.parametrize(
    ("scores", "codes", "layer", "row", "needle"),
    [
        ([58.5, 120.0, None], ["220203"], "enterprises", 2, "risk_score 120 is outside 0–100"),
        ([-0.5, None, None], ["220203"], "enterprises", 1, "risk_score -0.5 is outside 0–100"),
        ([None, None, None], ["220203", "22020"], "admin_areas", 2, "code '22020' is not valid: 行政区划代码"),
        ([None, None, None], ["2202O3"], "admin_areas", 1, "code '2202O3' is not valid"),
        ([None, None, None], ["220203", "220203"], "admin_areas", 2, "duplicate id '220203'"),
    ],
)
def test_bad_values_name_the_row_and_change_nothing(
    tmp_path: Path, fresh_db_url: str, scores: list, codes: list[str], layer: str, row: int, needle: str
) -> None:
    load(_city(tmp_path / "good", [70.0, None, None], ["220211"]), fresh_db_url)
    before = snapshot(fresh_db_url)
    with pytest.raises(ValidationFailed) as err:
        load(_city(tmp_path / "bad", scores, codes), fresh_db_url)
    found = [p for p in err.value.problems if p.layer == layer and p.row == row]
    assert found and needle in found[0].reason, [str(p) for p in err.value.problems]
    assert snapshot(fresh_db_url) == before  # all or nothing


def test_boundary_scores_are_valid(tmp_path: Path, fresh_db_url: str) -> None:
    load(_city(tmp_path, [0.0, 100.0, 59.999], ["220203"]), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM enterprises WHERE risk_score IS NOT NULL")).scalar() == 3
