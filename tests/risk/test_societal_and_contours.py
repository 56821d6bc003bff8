"""F-N curves and their GB 36894 region, people on the grid, iso-risk contours and the COG."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geo_risk.risk.contours import iso_risk_polygons, reach_of_polygon, write_cog
from geo_risk.risk.grid import Event, Grid, Source, WindRose, individual_risk
from geo_risk.risk.societal import fn_curve, fn_region, plot_fn, population_on_grid
from geo_risk.standards.gb36894 import SOCIETAL_RISK_CRITERION, classify_fn


def test_fn_curve_by_hand() -> None:
    n, f = fn_curve(np.array([1e-5, 2e-6, 3e-5, 1e-4, 5e-7]), np.array([5, 2, 5, 0.4, 12]))
    # N < 1 (0.4) is dropped; F(2) = all with N ≥ 2, F(5) = those with N ≥ 5, F(12) = the one with 12
    assert n.tolist() == [2, 5, 12]
    assert f == pytest.approx([1e-5 + 2e-6 + 3e-5 + 5e-7, 1e-5 + 3e-5 + 5e-7, 5e-7])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(1e-9, 1e-3), st.floats(0, 500)), min_size=1, max_size=60))
def test_f_is_non_increasing_in_n(events: list[tuple[float, float]]) -> None:
    f_in, n_in = np.array(events).T
    n, f = fn_curve(f_in, n_in)
    assert np.all(np.diff(n) > 0) and np.all(np.diff(f) <= 1e-18)
    if len(n):  # F(N_min) is the total frequency of events killing at least one person
        assert f[0] == pytest.approx(f_in[n_in >= 1].sum())


@pytest.mark.parametrize(
    ("n", "f", "region"),
    [
        ([1, 10], [2e-3, 1e-5], "unacceptable"),  # F(1) above 1e-3
        ([10], [1e-4], "unacceptable"),  # exactly on the upper line at N = 10: the worse region
        ([10], [5e-5], "alarp"),  # F(N ≤ 10) = 5e-5: above 1e-5/N up to N = 10 …  and below 1e-3/N
        ([100], [1e-7], "alarp"),  # on the lower line at N = 100 (1e-5/100)
        ([100], [9e-8], "acceptable"),
        ([0.5], [1.0], "acceptable"),  # nobody dies
    ],
)
def test_fn_region_against_the_gb36894_lines(n: list[float], f: list[float], region: str) -> None:
    assert classify_fn(np.array(n), np.array(f)) == region
    assert fn_region(np.array(n), np.array(f))["criterion_confidence"] == SOCIETAL_RISK_CRITERION.confidence


def test_boundary_lines_are_1e3_and_1e5_over_n() -> None:
    n = np.array([1.0, 10.0, 1000.0, 5000.0])
    assert SOCIETAL_RISK_CRITERION.boundary("upper", n) == pytest.approx(1e-3 / n)
    assert SOCIETAL_RISK_CRITERION.boundary("lower", n) == pytest.approx(1e-5 / n)


def test_population_is_apportioned_by_area_and_conserved() -> None:
    grid = Grid(5.0, 5.0, 10.0, 10, 10)  # cells [0,10)×[0,10) … centres 5, 15, …
    homes = gpd.GeoDataFrame({"population": [100.0, 40.0, np.nan]},
                             geometry=[box(0, 0, 20, 10), box(15, 15, 25, 25), box(50, 50, 60, 60)])
    school = gpd.GeoDataFrame({"population": [30.0]}, geometry=[Point(44, 73)])
    pop = population_on_grid(grid, [homes, school])
    assert pop.sum() == pytest.approx(170.0)
    assert pop[0, 0] == pytest.approx(50.0) and pop[0, 1] == pytest.approx(50.0)
    assert pop[1, 1] == pytest.approx(10.0) and pop[2, 2] == pytest.approx(10.0)  # quarter of 40 each
    assert pop[7, 4] == pytest.approx(30.0)


def _disc(radius: float, freq: float) -> Event:
    return Event(freq, lambda r, _y, _w: (np.asarray(r) <= radius).astype(float), lambda w: radius,
                 directional=False)


def test_contours_of_a_disc_reach_its_radius(tmp_path: Path) -> None:
    grid = Grid(-500.0, -500.0, 10.0, 101, 101, crs="EPSG:32652")
    ir = individual_risk(grid, [Source(0.0, 0.0, [_disc(200.0, 1e-5), _disc(300.0, 2e-6)])],
                         WindRose.uniform(("D3",)))
    (l1, g1), (l2, g2), (l3, g3) = iso_risk_polygons(grid, ir, [3e-7, 3e-6, 1e-5])
    # IR = 1.2e-5 within 200 m, 2e-6 from 200 to 300 m
    assert reach_of_polygon(g1, 0, 0) == pytest.approx(300, abs=10)
    assert reach_of_polygon(g2, 0, 0) == pytest.approx(200, abs=10)
    assert reach_of_polygon(g3, 0, 0) == pytest.approx(200, abs=10)
    assert g1.contains(g2) or g1.buffer(1e-6).contains(g2)
    assert g1.area == pytest.approx(np.pi * 300**2, rel=0.05)
    assert iso_risk_polygons(grid, ir, [1e-3])[0][1].is_empty
    path = write_cog(tmp_path / "ir.tif", grid, ir, {"model_version": "test"})
    import rasterio

    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32652 and src.count == 1 and src.dtypes[0] == "float32"
        assert src.overviews(1) or max(src.width, src.height) < 512  # a COG gets overviews when large enough
        row, col = src.index(0.0, 0.0)
        assert src.read(1)[row, col] == pytest.approx(1.2e-5, rel=1e-6)
        row, col = src.index(250.0, 0.0)
        assert src.read(1)[row, col] == pytest.approx(2e-6, rel=1e-6)
        assert src.tags()["units"] == "per year"


def test_fn_plot_is_written(tmp_path: Path) -> None:
    path = plot_fn({"企业 A Enterprise A": (np.array([1.0, 5, 20]), np.array([1e-4, 2e-5, 1e-6]))},
                   tmp_path / "fn.png", "F-N 曲线 F-N curve", "uniform 16-sector rose")
    assert path.stat().st_size > 10_000
    assert plot_fn({}, tmp_path / "fn.svg", "empty").read_text().startswith("<?xml")


def test_an_event_with_exactly_one_death_is_on_the_curve_and_the_line() -> None:
    # N = 1 exactly is a death (N ≥ 1); with F(1) = 1e-3 the curve touches the upper line there: unacceptable.
    n, f = fn_curve(np.array([6e-4, 4e-4, 5e-3]), np.array([1.0, 1.0, 0.99]))
    assert n.tolist() == [1.0] and f.tolist() == [1e-3]
    assert classify_fn(n, f) == "unacceptable"
    assert fn_region(np.array([1.0]), np.array([1e-5]))["region"] == "alarp"
