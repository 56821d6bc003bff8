"""Residents within 500 m outside plant boundaries (GB 18218 α) on the sample city, checked against
the same buffer and area apportionment written independently in PostGIS SQL; the ring's accuracy
checked against the exact circle geometry."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from helpers import SAMPLE_CITY, load
from shapely.geometry import Point, box
from sqlalchemy import text

from geo_risk.analysis.exposure import exposed_people, plant_rings, ring_quad_segs, utm_epsg
from geo_risk.errors import CRSMismatch
from geo_risk.store.db import get_engine
from geo_risk.store.read import read_layer

# The same ring and apportionment in SQL, in the UTM zone of Jilin City (WGS 84 / UTM 52N), with
# the same number of segments per quarter circle (:segs).
SQL_RESIDENTS = """
WITH plant AS MATERIALIZED (
    SELECT id, ST_Transform(geom, 32652) AS g FROM enterprises WHERE ST_GeometryType(geom) <> 'ST_Point'
), ring AS MATERIALIZED (
    SELECT id, ST_Difference(ST_Buffer(g, 500, 'quad_segs=' || :segs), g) AS g FROM plant
), res AS MATERIALIZED (
    SELECT population, ST_Transform(geom, 32652) AS g FROM residential_areas
)
SELECT ring.id, COALESCE(sum(res.population * ST_Area(ST_Intersection(res.g, ring.g)) / ST_Area(res.g)), 0)
       AS residents
  FROM ring LEFT JOIN res ON ST_Intersects(res.g, ring.g)
 GROUP BY ring.id
"""


@pytest.fixture(scope="module")
def city_url(db_url: str) -> str:
    load(SAMPLE_CITY, db_url)
    return db_url


def test_residents_match_an_independent_postgis_computation(city_url: str) -> None:
    plants = read_layer(city_url, "enterprises")
    res = read_layer(city_url, "residential_areas", ("population",))
    ours = exposed_people(plants, res)
    with get_engine(city_url).connect() as conn:
        sql = pd.read_sql(text(SQL_RESIDENTS), conn, params={"segs": ring_quad_segs(500.0)})
    sql = sql.set_index("id")["residents"]
    assert (ours["utm_epsg"] == 32652).all()
    polygons = ours.loc[sql.index]
    assert len(sql) == len(plants)  # every sample plant has a boundary
    # Same buffer (the same segments per quarter circle in GEOS and PostGIS), same CRS: equal to a
    # small fraction of a person.
    assert polygons["residents"].to_numpy() == pytest.approx(sql.to_numpy(), abs=0.01, rel=1e-6)
    # The old plants placed among homes (sample_geo/README.md) have thousands of residents nearby.
    assert (ours.loc[[f"ENT-{i:04d}" for i in range(101, 111)], "residents"] > 1000).all()
    assert not ours["approximate"].any()


def _frame(geoms: list, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:4326")


def test_apportionment_by_hand() -> None:
    # A 100 m square plant at the equator-free latitude of Jilin; in UTM metres work by hand:
    # build everything in UTM 52N then convert to lon/lat, so the expected shares are exact.
    utm = "EPSG:32652"
    plant = box(500_000, 4_850_000, 500_100, 4_850_100)
    inside_ring = box(500_200, 4_850_000, 500_300, 4_850_100)  # wholly in the ring: 200–300 m east
    half = box(500_550, 4_850_000, 500_650, 4_850_100)  # x 550–650: the ring ends at x = 600 → half
    far = box(501_000, 4_850_000, 501_100, 4_850_100)  # beyond 500 m
    in_plant = box(500_010, 4_850_010, 500_020, 4_850_020)  # inside the plant: not outside it
    plants = gpd.GeoDataFrame({"id": ["P"]}, geometry=[plant], crs=utm).set_index("id").to_crs(4326)
    res = gpd.GeoDataFrame({"population": [100, 80, 1000, 50]}, geometry=[inside_ring, half, far, in_plant],
                           crs=utm).to_crs(4326)
    school = gpd.GeoDataFrame({"population": [1200.0]}, geometry=[Point(500_300, 4_850_300)], crs=utm).to_crs(4326)
    got = exposed_people(plants, res, school)
    # 100 + 80/2 = 140 residents (the reprojection round trip bends edges by millimetres)
    assert got.loc["P", "residents"] == pytest.approx(140.0, abs=0.05)
    assert got.loc["P", "residential_areas"] == 2
    assert got.loc["P", "other_people"] == 1200.0 and got.loc["P", "other_targets"] == 1


def test_point_plant_gets_a_disc_and_is_flagged_approximate() -> None:
    plants = _frame([Point(126.55, 43.84)], id=["P"]).set_index("id")
    res = _frame([box(126.5495, 43.8395, 126.5505, 43.8405)], population=[30])
    got = exposed_people(plants, res)
    assert bool(got.loc["P", "approximate"]) is True
    assert got.loc["P", "residents"] == pytest.approx(30.0)


def test_wrong_crs_is_refused() -> None:
    plants = _frame([Point(126.55, 43.84)], id=["P"]).set_index("id").to_crs(32652)
    with pytest.raises(CRSMismatch, match="EPSG:4326"):
        exposed_people(plants, _frame([box(0, 0, 1, 1)], population=[1]))


def test_utm_zones() -> None:
    assert list(utm_epsg([126.55, 117.0, -73.9], [43.84, 39.9, -40.0])) == [32652, 32650, 32718]


# -- the ring's accuracy against the exact circle geometry ----------------------------------------
def test_ring_quad_segs_keeps_the_sagitta_under_the_tolerance() -> None:
    # A chord spanning π/(2n) lies r·(1 − cos(π/(4n))) inside an arc of radius r (the sagitta).
    n = ring_quad_segs(500.0, 0.01)
    assert 500.0 * (1 - math.cos(math.pi / (4 * n))) <= 0.01  # metres
    assert 500.0 * (1 - math.cos(math.pi / (4 * (n - 1)))) > 0.01  # the smallest such n
    assert 500.0 * (1 - math.cos(math.pi / 32)) == pytest.approx(2.41, abs=0.005)  # GEOS' default 8: 2.4 m


@pytest.mark.parametrize("plant", [box(0, 0, 200, 120), Point(0, 0),
                                   shapely.Polygon([(0, 0), (300, 0), (300, 80), (60, 80), (60, 250), (0, 250)])],
                         ids=["rectangle", "point", "l_shape"])
def test_ring_edge_is_within_a_centimetre_of_500_m_from_the_plant(plant) -> None:
    (ring,) = plant_rings(np.array([plant], dtype=object), 500.0)
    # Every point of the outer edge (densified to 0.25 m) is 500 m from the plant, to 1 cm: the
    # exact offset curve is the set of points at distance 500 m.
    outer = shapely.segmentize(shapely.get_exterior_ring(ring), 0.25)
    dist_m = shapely.distance(shapely.points(shapely.get_coordinates(outer)), plant)
    assert dist_m.max() == pytest.approx(500.0, abs=1e-6)
    assert dist_m.min() >= 500.0 - 0.01
    # Area: the exact ring of a convex plant is its area grown by perimeter·r + π·r² (Steiner).
    if plant.geom_type != "Polygon" or plant.convex_hull.equals(plant):
        exact = plant.length * 500.0 + math.pi * 500.0**2
        assert ring.area == pytest.approx(exact, abs=2 * math.pi * 500.0 * 0.01)  # m², the 1 cm band


def test_a_block_only_the_exact_ring_reaches_changes_alpha() -> None:
    """A small residential block 498–499 m off a plant corner, midway between two vertices of the
    default 8-segment arc: with 8 segments per quarter circle the chord there lies at
    500·cos(π/32) = 497.59 m, so the block falls outside the ring; the exact ring (every point
    within 500 m of the boundary) holds it whole. 95 residents elsewhere + its 5 = 100 → α 2.0
    (GB 18218 Table 5: ≥ 100), against 95 → α 1.5."""
    from geo_risk.standards.gb18218 import alpha_for_population

    utm = "EPSG:32652"
    x0, y0 = 500_000.0, 4_850_000.0
    plant = box(x0, y0, x0 + 200, y0 + 200)
    corner = np.array([x0 + 200, y0 + 200])  # the north-east corner: its arc runs from east to north
    angle = math.radians(39.375)  # midway between the 8-segment vertices at 33.75° and 45°
    radial, tangent = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    block = shapely.Polygon([corner + r * radial + t * tangent for r, t in ((498, -0.5), (499, -0.5),
                                                                          (499, 0.5), (498, 0.5))])
    # By the circle geometry: the block's nearest point of the plant is the corner (it lies in the
    # corner's quadrant), its farthest vertex is √(499² + 0.5²) = 499.0003 m away (< 500: inside the
    # exact ring), and its nearest point is 498 m out along the bisector of the chord at 497.59 m.
    assert math.hypot(499, 0.5) < 500 and 500 * math.cos(math.pi / 32) < 498
    assert shapely.distance(block, plant) == pytest.approx(498.0, abs=1e-9)
    eight = shapely.buffer(plant, 500, quad_segs=8)
    assert not eight.intersects(block)  # the old ring misses it
    near = box(x0 + 250, y0, x0 + 350, y0 + 100)  # 50–150 m east of the plant: wholly in the ring
    plants = gpd.GeoDataFrame({"id": ["P"]}, geometry=[plant], crs=utm).set_index("id").to_crs(4326)
    res = gpd.GeoDataFrame({"population": [95, 5]}, geometry=[near, block], crs=utm).to_crs(4326)
    got = exposed_people(plants, res)
    assert got.loc["P", "residents"] == pytest.approx(100.0, abs=1e-3)  # people (reprojection: mm)
    assert got.loc["P", "residential_areas"] == 2
    assert alpha_for_population(got.loc["P", "residents"]) == 2.0
