"""Residents within 500 m outside plant boundaries (GB 18218 α) on the sample city, checked against
the same buffer and area apportionment written independently in PostGIS SQL."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from helpers import SAMPLE_CITY, load
from shapely.geometry import Point, box
from sqlalchemy import text

from geo_risk.analysis.exposure import exposed_people, utm_epsg
from geo_risk.errors import CRSMismatch
from geo_risk.store.db import get_engine
from geo_risk.store.read import read_layer

# The same ring and apportionment in SQL, in the UTM zone of Jilin City (WGS 84 / UTM 52N).
SQL_RESIDENTS = """
WITH plant AS MATERIALIZED (
    SELECT id, ST_Transform(geom, 32652) AS g FROM enterprises WHERE ST_GeometryType(geom) <> 'ST_Point'
), ring AS MATERIALIZED (
    SELECT id, ST_Difference(ST_Buffer(g, 500), g) AS g FROM plant
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
        sql = pd.read_sql(text(SQL_RESIDENTS), conn).set_index("id")["residents"]
    assert (ours["utm_epsg"] == 32652).all()
    polygons = ours.loc[sql.index]
    assert len(sql) == len(plants)  # every sample plant has a boundary
    # Same buffer (8 segments per quarter circle in both GEOS and PostGIS), same CRS: equal to a
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
