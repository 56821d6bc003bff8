"""Residents in the 500 m ring: which blocks are looked at, and how much of each counts.

``exposed_people`` looks only at the residential areas in a lon/lat box around each UTM zone's
plants, and intersects with the ring only the blocks its edge crosses (a block inside counts
whole). Both are shortcuts: these tests build plants and blocks in UTM metres (WGS 84 / UTM 52N
and 51N), where the expected counts are worked by hand, and check that no block within reach is
missed at the box's edges and that every share is the area share.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from geo_risk.analysis.exposure import exposed_people, ring_quad_segs


def _plant_and_blocks(utm: str, x0: float, y0: float, blocks: list, population: list) -> tuple:
    plant = box(x0, y0, x0 + 100, y0 + 100)
    plants = gpd.GeoDataFrame({"id": ["P"]}, geometry=[plant], crs=utm).set_index("id").to_crs(4326)
    res = gpd.GeoDataFrame({"population": population}, geometry=blocks, crs=utm).to_crs(4326)
    return plants, res


def _square(cx: float, cy: float, half: float = 1.0) -> Polygon:
    return box(cx - half, cy - half, cx + half, cy + half)


@pytest.mark.parametrize(("utm", "x0", "y0"), [
    ("EPSG:32652", 500_000, 4_850_000),  # Jilin City, 43.8° N, on the central meridian
    ("EPSG:32652", 720_000, 5_100_000),  # north-east Jilin, 46° N, 220 km east of it
    ("EPSG:32651", 300_000, 6_600_000),  # 59.5° N, 200 km west of the central meridian
])
def test_blocks_just_inside_the_ring_are_found_in_every_direction(utm: str, x0: float, y0: float) -> None:
    # 2 m squares centred 498 m (in: 1 person each) and 503 m (out: 1,000 each) from the 100 m plant,
    # east, west, north, south and diagonally off each corner.
    d_in, d_out = 498.0, 503.0
    blocks, population = [], []
    for d, people in ((d_in, 1), (d_out, 1000)):
        c = d / math.sqrt(2)
        for cx, cy in ((x0 + 100 + d, y0 + 50), (x0 - d, y0 + 50), (x0 + 50, y0 + 100 + d), (x0 + 50, y0 - d),
                       (x0 + 100 + c, y0 + 100 + c), (x0 - c, y0 - c), (x0 + 100 + c, y0 - c), (x0 - c, y0 + 100 + c)):
            blocks.append(_square(cx, cy))
            population.append(people)
    plants, res = _plant_and_blocks(utm, x0, y0, blocks, population)
    got = exposed_people(plants, res)
    assert (got.loc["P", "residents"], got.loc["P", "residential_areas"]) == (8.0, 8)


def test_each_block_counts_by_the_share_of_its_area_in_the_ring() -> None:
    utm, x0, y0 = "EPSG:32652", 500_000, 4_850_000
    blocks = [
        box(x0 + 200, y0, x0 + 300, y0 + 100),  # wholly in the ring: 100 people, exactly
        box(x0 + 550, y0, x0 + 650, y0 + 100),  # the ring ends at x0 + 600: half of 80
        box(x0 + 50, y0 + 50, x0 + 150, y0 + 150),  # a quarter lies in the plant: 3/4 of 40
        box(x0 - 950, y0 - 950, x0 + 1050, y0 + 1050),  # holds plant and ring: ring area / 4 km²
    ]
    plants, res = _plant_and_blocks(utm, x0, y0, blocks, [100, 80, 40, 4_000_000])
    got = exposed_people(plants, res)
    # the rounded square minus the plant, m²: its four arcs make a 500-gon inscribed in the 500 m
    # circle (125 segments a quarter), area (n/2)·r²·sin(2π/n), 20.7 m² short of π·r²
    n = 4 * ring_quad_segs(500.0)
    ring_area = 4 * 100 * 500 + n / 2 * 500**2 * math.sin(2 * math.pi / n)
    expected = 100 + 40 + 30 + 4_000_000 * ring_area / 4e6
    # the reprojection round trip bends straight UTM edges by millimetres
    assert got.loc["P", "residents"] == pytest.approx(expected, rel=1e-6)
    assert got.loc["P", "residential_areas"] == 4
    alone = exposed_people(plants, res.iloc[[0]])  # the block inside, alone: every one of its people
    assert alone.loc["P", "residents"] == 100.0


def test_the_box_is_wide_enough_at_the_zones_highest_plant() -> None:
    # Two plants in one zone, at 41° N and (further east) at 46° N: a degree of longitude is 8 % shorter
    # at the northern one, whose blocks east of it decide the box's eastern edge.
    utm = "EPSG:32652"
    south = box(500_000, 4_540_000, 500_100, 4_540_100)
    x0, y0 = 600_000, 5_095_000
    north = box(x0, y0, x0 + 100, y0 + 100)
    plants = gpd.GeoDataFrame({"id": ["S", "N"]}, geometry=[south, north], crs=utm).set_index("id").to_crs(4326)
    blocks = [_square(x0 + 100 + 498, y0 + 50), _square(x0 + 100 + 503, y0 + 50)]
    res = gpd.GeoDataFrame({"population": [1, 1000]}, geometry=blocks, crs=utm).to_crs(4326)
    got = exposed_people(plants, res)
    assert (got.loc["N", "residents"], got.loc["S", "residents"]) == (1.0, 0.0)


def test_a_courtyard_and_the_gap_between_parcels_are_outside_the_plant() -> None:
    # The ring is everything within 500 m outside the boundary: homes in a courtyard the plant
    # surrounds (a hole in its polygon) and between two parcels count; homes on a parcel do not.
    utm, x0, y0 = "EPSG:32652", 500_000, 4_850_000
    courtyard_plant = Polygon(
        [(x0, y0), (x0 + 300, y0), (x0 + 300, y0 + 300), (x0, y0 + 300)],
        holes=[[(x0 + 100, y0 + 100), (x0 + 200, y0 + 100), (x0 + 200, y0 + 200), (x0 + 100, y0 + 200)]])
    parcels = MultiPolygon([box(x0 + 5000, y0, x0 + 5100, y0 + 100), box(x0 + 5300, y0, x0 + 5400, y0 + 100)])
    plants = gpd.GeoDataFrame({"id": ["C", "M"]}, geometry=[courtyard_plant, parcels], crs=utm).set_index("id")
    blocks = [
        _square(x0 + 150, y0 + 150, 10),  # in the courtyard: 7 residents of C
        _square(x0 + 50, y0 + 50, 10),  # on C's ground: nobody's
        _square(x0 + 5200, y0 + 50, 10),  # between M's parcels: 11 residents of M
        _square(x0 + 5050, y0 + 50, 10),  # on a parcel of M: nobody's
    ]
    res = gpd.GeoDataFrame({"population": [7, 1000, 11, 1000]}, geometry=blocks, crs=utm).to_crs(4326)
    got = exposed_people(plants.to_crs(4326), res)
    assert got.loc["C", "residents"] == pytest.approx(7.0, abs=1e-6)
    assert got.loc["M", "residents"] == pytest.approx(11.0, abs=1e-6)
    assert list(got["residential_areas"]) == [1, 1]


def test_plants_drawn_a_batch_at_a_time_get_what_they_get_all_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Six plants 300 m apart along a street of blocks, so that blocks and targets are shared between
    # rings: graded in batches of one and two plants, each plant keeps its counts (every one of its
    # pairs is in its batch) and its sums of people to the last bits (pandas' group-by sum rounds by
    # the groups of the call, ~1e-16 relative, as tests/test_grading_incremental.py notes).
    import geo_risk.analysis.exposure as exposure

    utm, x0, y0 = "EPSG:32652", 500_000, 4_850_000
    plants = gpd.GeoDataFrame({"id": [f"P{i}" for i in range(6)]},
                              geometry=[box(x0 + 300 * i, y0, x0 + 300 * i + 100, y0 + 100) for i in range(6)],
                              crs=utm).set_index("id").to_crs(4326)
    blocks = [_square(x0 + 37 * i, y0 + 300 + 13 * (i % 5), 15) for i in range(60)]
    res = gpd.GeoDataFrame({"population": [10 + i for i in range(60)]}, geometry=blocks, crs=utm).to_crs(4326)
    targets = gpd.GeoDataFrame({"population": [100.0, 250.0]}, geometry=[_square(x0 + 500, y0 - 200),
                                                                         _square(x0 + 1200, y0 + 400)],
                               crs=utm).to_crs(4326)
    whole = exposed_people(plants, res, targets)
    assert whole["residential_areas"].min() > 0 and whole["other_targets"].sum() > 2
    for size in (1, 2):
        monkeypatch.setattr(exposure, "_BATCH_PLANTS", size)
        batched = exposed_people(plants, res, targets)
        sums = ["residents", "other_people"]
        pd.testing.assert_frame_equal(batched.drop(columns=sums), whole.drop(columns=sums), check_exact=True)
        pd.testing.assert_frame_equal(batched[sums], whole[sums], check_exact=False, rtol=1e-12, atol=0)
