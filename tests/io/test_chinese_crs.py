"""Tests for geo_risk.io.chinese_crs against published test vectors and independent checks."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_risk.errors import InvalidInput
from geo_risk.io.chinese_crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

_GEOD = pyproj.Geod(ellps="WGS84")

# ---------------------------------------------------------------------------------------------
# Published test vectors, as (lon, lat) in degrees.
#
# googollee/eviltransform, go/transform_test.go (same values in python/test.py, c/test.c,
# javascript/test.js): `tests = {wgsLat, wgsLng, gcjLat, gcjLng}`; its go/transform.go uses
# a = 6378245.0 and ee = 0.00669342162296594323. The WGS 84 values are the inputs, the GCJ-02
# values the exact forward transform, so they also check the exact inverse.
_SHANGHAI_WGS84 = (121.5272106, 31.1774276)  # googollee/eviltransform go/transform_test.go
_SHANGHAI_GCJ02 = (121.531541859215, 31.17530398364597)  # googollee/eviltransform go/transform_test.go
_SHENZHEN_WGS84 = (113.912316, 22.543847)  # googollee/eviltransform go/transform_test.go
_SHENZHEN_GCJ02 = (113.9171764808363, 22.540796131694766)  # googollee/eviltransform go/transform_test.go
_BEIJING_WGS84 = (116.377817, 39.911954)  # googollee/eviltransform go/transform_test.go
_BEIJING_GCJ02 = (116.38404722455657, 39.91334545536069)  # googollee/eviltransform go/transform_test.go

# wandergis/coordtransform, README.md "示例用法" results for the input (116.404, 39.915)
# (the same values are asserted by hutool's CoordinateUtilTest, which cites that repository).
_WANDERGIS_INPUT = (116.404, 39.915)  # wandergis/coordtransform README.md
_WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)  # wandergis/coordtransform README.md
_WANDERGIS_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)  # wandergis/coordtransform README.md
_WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)  # wandergis/coordtransform README.md
# wandergis' gcj02towgs84 is the ONE-STEP approximation 2·gcj − forward(gcj), not exact
# (wandergis/coordtransform README.md):
_WANDERGIS_GCJ02_TO_WGS84_ONE_STEP = (116.39775550083061, 39.91359571849836)

# hujiulong/gcoord, test/fixtures/china-cities.json: GCJ02 / BD09 pairs given to 1e-7 degrees.
# (Its WGS84 column differs from the published GCJ-02 formula by a systematic ~0.6 m, so only
# the GCJ-02 → BD-09 pairs are used here.)
_ZHUMADIAN_GCJ02 = (114.022306, 33.0115324)  # hujiulong/gcoord test/fixtures/china-cities.json
_ZHUMADIAN_BD09 = (114.0287781, 33.0176697)  # hujiulong/gcoord test/fixtures/china-cities.json
_NAQU_GCJ02 = (92.0512438, 31.4762063)  # hujiulong/gcoord test/fixtures/china-cities.json
_NAQU_BD09 = (92.0576832, 31.4824421)  # hujiulong/gcoord test/fixtures/china-cities.json

_EVILTRANSFORM_PAIRS = [
    pytest.param(_SHANGHAI_WGS84, _SHANGHAI_GCJ02, id="shanghai"),
    pytest.param(_SHENZHEN_WGS84, _SHENZHEN_GCJ02, id="shenzhen"),
    pytest.param(_BEIJING_WGS84, _BEIJING_GCJ02, id="beijing"),
]


def _distance_m(lon1, lat1, lon2, lat2):
    """Geodesic distance on WGS 84, metres."""
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return dist


def _one_step_bd09_to_gcj02(lon, lat):
    """The published one-step BD-09 → GCJ-02 formula (wandergis/coordtransform ``bd09togcj02``)."""
    x_pi = np.pi * 3000.0 / 180.0
    x, y = np.asarray(lon) - 0.0065, np.asarray(lat) - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * x_pi)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * x_pi)
    return z * np.cos(theta), z * np.sin(theta)


def _one_step_gcj02_to_wgs84(lon, lat):
    """The widespread approximation 2·gcj − forward(gcj) (what wandergis/coordtransform does)."""
    f_lon, f_lat = wgs84_to_gcj02(lon, lat)
    return 2 * np.asarray(lon) - f_lon, 2 * np.asarray(lat) - f_lat


# ---------------------------------------------------------------------------------------------
# (a) published vectors


@pytest.mark.parametrize(("wgs", "gcj"), _EVILTRANSFORM_PAIRS)
def test_forward_matches_eviltransform(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-6)  # degrees
    assert lat == pytest.approx(gcj[1], abs=1e-6)


@pytest.mark.parametrize(("wgs", "gcj"), _EVILTRANSFORM_PAIRS)
def test_inverse_recovers_published_wgs84(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert lon == pytest.approx(wgs[0], abs=1e-6)  # degrees, against the published WGS 84
    assert lat == pytest.approx(wgs[1], abs=1e-6)
    # and it really inverts the forward transform to 1e-7 degrees
    back_lon, back_lat = wgs84_to_gcj02(lon, lat)
    assert back_lon == pytest.approx(gcj[0], abs=1e-7)
    assert back_lat == pytest.approx(gcj[1], abs=1e-7)
    assert _distance_m(lon, lat, *wgs) < 0.02  # metres


def test_vectorised_matches_published():
    wgs = np.array([_SHANGHAI_WGS84, _SHENZHEN_WGS84, _BEIJING_WGS84])
    gcj = np.array([_SHANGHAI_GCJ02, _SHENZHEN_GCJ02, _BEIJING_GCJ02])
    lon, lat = wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    assert isinstance(lon, np.ndarray) and lon.shape == (3,)
    np.testing.assert_allclose(lon, gcj[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(lat, gcj[:, 1], rtol=0, atol=1e-6)
    inv_lon, inv_lat = gcj02_to_wgs84(gcj[:, 0], gcj[:, 1])
    np.testing.assert_allclose(inv_lon, wgs[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(inv_lat, wgs[:, 1], rtol=0, atol=1e-6)


def test_wandergis_readme_values():
    assert wgs84_to_gcj02(*_WANDERGIS_INPUT) == pytest.approx(_WANDERGIS_WGS84_TO_GCJ02, abs=1e-9)
    assert gcj02_to_bd09(*_WANDERGIS_INPUT) == pytest.approx(_WANDERGIS_GCJ02_TO_BD09, abs=1e-9)
    # Their BD-09 → GCJ-02 is the one-step published formula, reproduced here; ours iterates from
    # it to the exact inverse of the forward formula, within 2e-6 degrees (0.2 m) of it.
    assert _one_step_bd09_to_gcj02(*_WANDERGIS_INPUT) == pytest.approx(_WANDERGIS_BD09_TO_GCJ02, abs=1e-9)
    assert bd09_to_gcj02(*_WANDERGIS_INPUT) == pytest.approx(_WANDERGIS_BD09_TO_GCJ02, abs=2e-6)
    assert gcj02_to_bd09(*bd09_to_gcj02(*_WANDERGIS_INPUT)) == pytest.approx(_WANDERGIS_INPUT, abs=1e-7)
    # Their inverse is the one-step approximation: we reproduce it with the formula ...
    assert _one_step_gcj02_to_wgs84(*_WANDERGIS_INPUT) == pytest.approx(
        _WANDERGIS_GCJ02_TO_WGS84_ONE_STEP, abs=1e-9
    )
    # ... but our exact inverse differs from it, and maps back onto the input exactly.
    exact = gcj02_to_wgs84(*_WANDERGIS_INPUT)
    assert _distance_m(*exact, *_WANDERGIS_GCJ02_TO_WGS84_ONE_STEP) > 0.03  # metres
    assert wgs84_to_gcj02(*exact) == pytest.approx(_WANDERGIS_INPUT, abs=1e-7)


@pytest.mark.parametrize(
    ("gcj", "bd"),
    [
        pytest.param(_ZHUMADIAN_GCJ02, _ZHUMADIAN_BD09, id="zhumadian"),
        pytest.param(_NAQU_GCJ02, _NAQU_BD09, id="naqu"),
    ],
)
def test_gcj02_to_bd09_matches_gcoord_fixture(gcj, bd):
    # fixture values are rounded to 1e-7 degrees
    assert gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=2e-7)


# ---------------------------------------------------------------------------------------------
# (b) the one-step approximation is off by metres; the exact inverse is not


def test_one_step_approximation_is_off_by_metres_ours_is_not():
    lon_grid, lat_grid = np.meshgrid(np.linspace(73.5, 135.0, 63), np.linspace(18.0, 53.5, 37))
    lon, lat = lon_grid.ravel(), lat_grid.ravel()
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)

    approx_err_m = _distance_m(*_one_step_gcj02_to_wgs84(gcj_lon, gcj_lat), lon, lat)
    exact_err_m = _distance_m(*gcj02_to_wgs84(gcj_lon, gcj_lat), lon, lat)

    assert approx_err_m.max() > 0.5  # metres: the approximation is wrong by metres somewhere
    assert exact_err_m.max() < 0.02  # metres


# ---------------------------------------------------------------------------------------------
# (c) property: exact round trip inside China


@settings(max_examples=300, deadline=None)
@given(
    lon=st.floats(min_value=73.5, max_value=135.0, allow_nan=False),
    lat=st.floats(min_value=18.0, max_value=53.5, allow_nan=False),
)
def test_round_trip_property(lon, lat):
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back_lon == pytest.approx(lon, abs=1e-7)  # degrees
    assert back_lat == pytest.approx(lat, abs=1e-7)


@settings(max_examples=50, deadline=None)
@given(
    points=st.lists(
        st.tuples(
            st.floats(min_value=73.5, max_value=135.0, allow_nan=False),
            st.floats(min_value=18.0, max_value=53.5, allow_nan=False),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_round_trip_property_vectorised(points):
    pts = np.array(points)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(pts[:, 0], pts[:, 1]))
    np.testing.assert_allclose(back_lon, pts[:, 0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(back_lat, pts[:, 1], rtol=0, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# (d) outside China: unchanged


@pytest.mark.parametrize(
    "point",
    [
        pytest.param((-74.006, 40.7128), id="new-york"),
        pytest.param((2.3522, 48.8566), id="paris"),
        pytest.param((151.2093, -33.8688), id="sydney"),
        pytest.param((72.0, 35.0), id="just-west-of-rectangle"),
        pytest.param((110.0, 55.9), id="just-north-of-rectangle"),
    ],
)
def test_outside_china_unchanged(point):
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point


def test_mixed_inside_outside_and_nan():
    lon = np.array([_SHANGHAI_WGS84[0], -74.006, np.nan, 116.0])
    lat = np.array([_SHANGHAI_WGS84[1], 40.7128, 30.0, np.nan])
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    assert gcj_lon[0] == pytest.approx(_SHANGHAI_GCJ02[0], abs=1e-6)
    assert (gcj_lon[1], gcj_lat[1]) == (-74.006, 40.7128)
    assert np.isnan(gcj_lon[2]) and np.isnan(gcj_lat[3])
    wgs_lon, wgs_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    np.testing.assert_allclose(wgs_lon[:2], lon[:2], rtol=0, atol=1e-7)
    np.testing.assert_allclose(wgs_lat[:2], lat[:2], rtol=0, atol=1e-7)
    assert np.isnan(wgs_lon[2]) and np.isnan(wgs_lat[3])
    # inputs are not modified in place
    assert lon[0] == _SHANGHAI_WGS84[0]


def test_scalar_in_scalar_out_and_lists():
    lon, lat = wgs84_to_gcj02(*_SHANGHAI_WGS84)
    assert isinstance(lon, float) and isinstance(lat, float)
    lon_l, lat_l = wgs84_to_gcj02([_SHANGHAI_WGS84[0]], [_SHANGHAI_WGS84[1]])
    assert isinstance(lon_l, np.ndarray) and lon_l.shape == (1,)


# ---------------------------------------------------------------------------------------------
# (e) BD-09


# Points across China, degrees: a grid spanning Ürümqi (87.6° E) to Harbin (126.6° E) and Sanya
# (18.25° N) to Harbin (45.75° N), plus the cities themselves.
_CITIES = {"harbin": (126.63, 45.75), "sanya": (109.51, 18.25), "urumqi": (87.62, 43.83),
           "shanghai": (121.47, 31.23), "jilin": (126.55, 43.84), "beijing": (116.40, 39.90)}


def _china_points() -> tuple[np.ndarray, np.ndarray]:
    lon_grid, lat_grid = np.meshgrid(np.linspace(87.6, 126.6, 53), np.linspace(18.25, 45.75, 41))
    lon = np.concatenate([lon_grid.ravel(), [c[0] for c in _CITIES.values()]])
    lat = np.concatenate([lat_grid.ravel(), [c[1] for c in _CITIES.values()]])
    return lon, lat


def test_bd09_inverse_inverts_the_forward_transform_across_china():
    lon, lat = _china_points()
    # forward(inverse(p)) = p to 1e-7 degrees, p taken as BD-09 coordinates
    f_lon, f_lat = wgs84_to_bd09(*bd09_to_wgs84(lon, lat))
    np.testing.assert_allclose(f_lon, lon, rtol=0, atol=1e-7)
    np.testing.assert_allclose(f_lat, lat, rtol=0, atol=1e-7)
    # inverse(forward(p)) = p to 1 cm on the WGS 84 ellipsoid, p taken as WGS 84 coordinates
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert _distance_m(back_lon, back_lat, lon, lat).max() < 0.01  # metres
    # and the BD-09 → GCJ-02 step alone, against the published forward formula
    g_lon, g_lat = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    np.testing.assert_allclose(g_lon, lon, rtol=0, atol=1e-7)
    np.testing.assert_allclose(g_lat, lat, rtol=0, atol=1e-7)


def test_the_one_step_bd09_inverse_is_off_by_decimetres_ours_is_not():
    lon, lat = _china_points()
    bd_lon, bd_lat = wgs84_to_bd09(lon, lat)
    one_step = gcj02_to_wgs84(*_one_step_bd09_to_gcj02(bd_lon, bd_lat))
    assert _distance_m(*one_step, lon, lat).max() > 0.1  # metres: what was fixed
    assert _distance_m(*bd09_to_wgs84(bd_lon, bd_lat), lon, lat).max() < 0.01


def test_bd09_nan_passes_through_and_scalars_stay_scalars():
    lon, lat = bd09_to_wgs84(np.array([116.404, np.nan]), np.array([39.915, 39.9]))
    assert np.isfinite(lon[0]) and np.isnan(lon[1]) and np.isnan(lat[1])
    assert all(isinstance(v, float) for v in bd09_to_gcj02(*_WANDERGIS_INPUT))
    with pytest.raises(InvalidInput, match="max_iter"):
        bd09_to_gcj02(*_WANDERGIS_INPUT, max_iter=0)


def test_bd09_to_wgs84_composes_exact_inverse():
    bd = _WANDERGIS_GCJ02_TO_BD09
    lon, lat = bd09_to_wgs84(*bd)
    assert (lon, lat) == pytest.approx(gcj02_to_wgs84(*bd09_to_gcj02(*bd)), abs=1e-12)
    # and the BD-09 → GCJ-02 step recovers the GCJ-02 point that produced it (to 1e-7 degrees, 1 cm)
    assert _distance_m(*bd09_to_gcj02(*bd), *_WANDERGIS_INPUT) < 0.01


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("gcj02", "gcj"),
        ("GCJ-02", "gcj"),
        (" Gcj02 ", "gcj"),
        ("bd09", "bd"),
        ("BD-09", "bd"),
    ],
)
def test_to_wgs84_dispatch(system, expected):
    lon, lat = to_wgs84(*_WANDERGIS_INPUT, system=system)
    ref = gcj02_to_wgs84(*_WANDERGIS_INPUT) if expected == "gcj" else bd09_to_wgs84(*_WANDERGIS_INPUT)
    assert (lon, lat) == pytest.approx(ref, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# (f) errors


@pytest.mark.parametrize("system", ["wgs84", "gcj", "bd-11", "", "EPSG:4326"])
def test_unknown_system_names_valid_choices(system):
    with pytest.raises(InvalidInput, match=r"unknown coordinate system.*'gcj02'.*'bd09'"):
        to_wgs84(*_WANDERGIS_INPUT, system=system)


@pytest.mark.parametrize(
    "func", [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84, wgs84_to_bd09]
)
def test_out_of_range_raises(func):
    # latitude 121.5 > 90: a swapped lon/lat pair
    with pytest.raises(InvalidInput, match=r"outside the valid range.*lat=121\.5.*longitude comes first"):
        func(31.2, 121.5)
    with pytest.raises(InvalidInput, match=r"2 point\(s\) outside the valid range"):
        func(np.array([116.0, 181.0, -200.0]), np.array([39.0, 39.0, 39.0]))
    with pytest.raises(InvalidInput, match=r"outside the valid range"):
        func(np.inf, 30.0)


def test_projected_metres_rejected():
    with pytest.raises(InvalidInput, match="not projected metres"):
        wgs84_to_gcj02(500000.0, 3500000.0)


def test_non_numeric_and_shape_mismatch():
    with pytest.raises(InvalidInput, match="must be numbers in degrees"):
        wgs84_to_gcj02("east", 30.0)
    with pytest.raises(InvalidInput, match="same shape"):
        wgs84_to_gcj02(np.zeros(3) + 116.0, np.zeros(2) + 39.0)


def test_bad_iteration_parameters():
    with pytest.raises(InvalidInput, match="tol_deg must be a positive"):
        gcj02_to_wgs84(116.0, 39.0, tol_deg=0.0)
    with pytest.raises(InvalidInput, match="max_iter must be a positive integer"):
        gcj02_to_wgs84(116.0, 39.0, max_iter=0)


def test_non_convergence_raises():
    # one iteration cannot reach 1e-15 degrees
    with pytest.raises(InvalidInput, match="did not converge"):
        gcj02_to_wgs84(*_SHANGHAI_GCJ02, tol_deg=1e-15, max_iter=1)
