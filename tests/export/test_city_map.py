"""The one-page city risk map: scale bar, north arrow, legend and files, on constructed frames and the sample city."""

from __future__ import annotations

import math
from datetime import datetime

import geopandas as gpd
import pytest
import shapely
from helpers import SAMPLE_CITY, load
from sqlalchemy import text

from geo_risk.errors import InvalidInput
from geo_risk.grading import grade_store
from geo_risk.store.db import get_engine
from layers.city_map import (
    CITY_MAP_LAYERS,
    check_sheet_path,
    draw_city_map,
    grid_convergence_deg,
    nice_scale_length_m,
    write_city_map,
)
from layers.registry import REGISTRY


@pytest.mark.parametrize(("width_m", "bar_m"), [
    (10_000, 2_000), (26_000, 5_000), (999, 100), (5_000, 1_000), (9_999, 1_000), (120, 20), (50_000, 10_000),
])
def test_scale_bar_is_a_round_length_of_at_most_a_fifth_of_the_map(width_m, bar_m):
    assert nice_scale_length_m(width_m) == pytest.approx(bar_m)


@pytest.mark.parametrize("bad", [0, -5, math.inf, math.nan])
def test_scale_bar_refuses_a_map_without_width(bad):
    with pytest.raises(InvalidInput, match="map width"):
        nice_scale_length_m(bad)


@pytest.mark.parametrize(("lon", "lat"), [(126.55, 43.85), (129.0, 43.85), (130.9, 30.0), (123.2, 50.0)])
def test_grid_convergence_matches_the_textbook_formula(lon, lat):
    """γ ≈ (λ − λ₀)·sin φ (Snyder 1987, eq. 8-12 first term) for a UTM zone of central meridian λ₀."""
    zone = int((lon + 180) // 6) + 1
    central = zone * 6 - 183
    expected = -(lon - central) * math.sin(math.radians(lat))  # clockwise from grid north to true north
    assert grid_convergence_deg(lon, lat, f"EPSG:{32600 + zone}") == pytest.approx(expected, abs=0.03)


@pytest.mark.parametrize("name", ["city.svg", "city", "city.pdf.zip"])
def test_sheet_path_must_be_pdf_or_png(tmp_path, name):
    with pytest.raises(InvalidInput, match=r"\.pdf or \.png"):
        check_sheet_path(tmp_path / name)


def test_sheet_path_folder_must_exist(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist"):
        check_sheet_path(tmp_path / "missing" / "city.pdf")


def test_sheet_layers_are_all_public():
    assert [lid for lid, _ in CITY_MAP_LAYERS if lid in REGISTRY and REGISTRY[lid].tier != "public"] == []


def _texts(fig) -> list[str]:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    return out


def test_constructed_sheet_has_legend_of_classes_present_scale_bar_and_date():
    # two grade-1 and one grade-3 source 10 km apart, and one park
    pts = gpd.GeoDataFrame({"grade": [1, 1, 3]}, geometry=[shapely.Point(126.50, 43.80), shapely.Point(126.51, 43.80),
                                                           shapely.Point(126.6245, 43.80)], crs=4326)
    park = gpd.GeoDataFrame({"name": ["P"]}, geometry=[shapely.box(126.49, 43.79, 126.52, 43.81)], crs=4326)
    fig = draw_city_map({"hazard_sources": pts, "chemical_parks": park}, title_zh="测试市风险图", title_en="Test map",
                        data_date=datetime(2026, 3, 1), data_version=7)
    texts = _texts(fig)
    joined = "\n".join(texts)
    assert "测试市风险图" in texts and "Test map" in texts
    assert any("一级重大危险源" in t for t in texts) and any("三级重大危险源" in t for t in texts)
    assert not any("二级重大危险源" in t for t in texts)  # no grade-2 source: no legend entry for it
    assert any(t.startswith("化工园区") for t in texts)
    assert "2026-03-01" in joined and "7" in joined and "北 N" in texts
    # the legend puts 中文 first in every entry
    for t in fig.axes[1].get_legend().get_texts():
        first = t.get_text().strip()[0]
        assert "\u4e00" <= first <= "\u9fff", t.get_text()
    # the scale bar: its two halves together are the labelled length, ≤ a fifth of the map's width
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_zorder() == 50 and hasattr(p, "get_width")]
    length = sum(b.get_width() for b in bars)
    x0, x1 = ax.get_xlim()
    assert length <= (x1 - x0) / 5 * (1 + 1e-9)
    assert any(t == f"{length / 1000:g} 公里 km" or t == f"{length:g} 米 m" for t in texts)


def test_nothing_to_map_is_a_clear_error():
    with pytest.raises(InvalidInput, match="nothing to map"):
        draw_city_map({"hazard_sources": None}, title_zh="x", title_en="x", data_date=None)


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    return db_url


def test_sample_city_sheet_pdf_and_png(city, tmp_path):
    with get_engine(city).connect() as conn:
        sources = conn.execute(text("SELECT count(*) FROM hazard_sources_map")).scalar_one()
        parks = conn.execute(text("SELECT count(*) FROM chemical_parks")).scalar_one()
    pdf = write_city_map(city, tmp_path / "city.pdf", title_zh="吉林市", title_en="Jilin")
    assert pdf.path.read_bytes()[:5] == b"%PDF-"
    assert pdf.counts["hazard_sources"] == sources > 0 and pdf.counts["chemical_parks"] == parks > 0
    png = write_city_map(city, tmp_path / "city.png", title_zh="吉林市", title_en="Jilin")
    assert png.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.size_bytes > 50_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.pdf", "city.png"]  # no temporary file left


def test_a_layer_too_large_for_one_sheet_is_left_out_and_named(city, tmp_path, monkeypatch):
    import layers.city_map as sheet

    with get_engine(city).connect() as conn:
        homes = conn.execute(text("SELECT count(*) FROM residential_areas")).scalar_one()
    monkeypatch.setattr(sheet, "SHEET_MAX_FEATURES", homes - 1)  # one fewer than the city's homes
    report = write_city_map(city, tmp_path / "city.png", title_zh="吉林市", title_en="Jilin")
    assert report.left_out == ("residential_areas",) and "residential_areas" not in report.counts
    assert report.counts["hazard_sources"] > 0 and "left out" in report.summary()
    monkeypatch.setattr(sheet, "SHEET_MAX_FEATURES", homes)  # exactly as many: drawn
    assert write_city_map(city, tmp_path / "city.png", title_zh="吉林市", title_en="Jilin").counts[
        "residential_areas"] == homes
