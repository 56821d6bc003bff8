"""IR grid sampling: a constructed 4 × 4 grid of 100 m cells whose values are known by hand."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from affine import Affine

from geo_risk.analysis.ir_field import IrGrid, cumulative, cumulative_points, max_over_geometries, sample_points

_UTM = "EPSG:32652"  # UTM 52N (Jilin)
_LEFT, _TOP, _CELL = 300_000.0, 4_860_000.0, 100.0
# rows from the north; cell (row r, col c) covers x in [LEFT + 100c, LEFT + 100(c+1)), y in (TOP − 100(r+1), TOP − 100r]
_VALUES = np.array([
    [0.0, 0.0, 0.0, 0.0],
    [0.0, 1e-6, 2e-6, 0.0],
    [0.0, 3e-6, 4e-5, 0.0],
    [0.0, 0.0, 0.0, 5e-7],
])
_TO_WGS = pyproj.Transformer.from_crs(_UTM, 4326, always_xy=True)


def _grid(scope: str = "enterprise", sid: str = "E1", values: np.ndarray = _VALUES) -> IrGrid:
    return IrGrid(run_id=1, scope=scope, scope_id=sid, enterprise_ids=(sid,), criteria="existing", crs=_UTM,
                  array=values, transform=Affine(_CELL, 0, _LEFT, 0, -_CELL, _TOP))


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return _TO_WGS.transform(x, y)


def _wgs(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1])))


def test_a_point_takes_the_value_of_the_cell_holding_it() -> None:
    # centre of cell (2, 2): x = LEFT + 250, y = TOP − 250 → 4e-5
    lon, lat = _lonlat(_LEFT + 250, _TOP - 250)
    assert sample_points(_grid(), [lon], [lat])[0] == 4e-5
    # cell (1, 1) near its north-west corner (1 m inside)
    assert sample_points(_grid(), [_LEFT + 101], [_TOP - 101], projected=True)[0] == 1e-6


def test_off_the_grid_is_zero() -> None:
    lon, lat = _lonlat(_LEFT - 50, _TOP + 50)
    assert sample_points(_grid(), [lon], [lat])[0] == 0.0
    assert max_over_geometries(_grid(), [_wgs(shapely.box(_LEFT - 500, _TOP, _LEFT - 400, _TOP + 100))])[0] == 0.0


def test_a_footprint_takes_the_largest_cell_it_touches() -> None:
    # a 20 m square inside cell (1, 1) only → 1e-6; a box spanning cells (1,1)…(1,2) → 2e-6;
    # a box reaching 1 m into cell (2, 2) from the west → 4e-5
    small = shapely.box(_LEFT + 140, _TOP - 160, _LEFT + 160, _TOP - 140)
    across = shapely.box(_LEFT + 150, _TOP - 180, _LEFT + 260, _TOP - 120)
    corner = shapely.box(_LEFT + 150, _TOP - 260, _LEFT + 201, _TOP - 240)
    got = max_over_geometries(_grid(), [_wgs(small), _wgs(across), _wgs(corner)])
    np.testing.assert_allclose(got, [1e-6, 2e-6, 4e-5])


def test_a_shape_does_not_take_a_cell_its_bounding_box_only_covers() -> None:
    # local metres from the top-left corner (dx east, dy north, so negative downwards)
    thin = shapely.Polygon([(110, -110), (110, -190), (190, -110)])  # inside cell (1,1) only
    assert max_over_geometries(_grid(), [shapely.affinity.translate(thin, _LEFT, _TOP)], projected=True)[0] == 1e-6
    # an L around cell (2,2): touches (1,1), (1,2) and (2,1) but not (2,2), whose 4e-5 its box covers → 3e-6
    ell = shapely.Polygon([(110, -110), (290, -110), (290, -190), (190, -190), (190, -290), (110, -290)])
    assert max_over_geometries(_grid(), [shapely.affinity.translate(ell, _LEFT, _TOP)], projected=True)[0] == 3e-6


def test_cumulative_sums_enterprises_and_leaves_parks_out() -> None:
    a, b = _grid("enterprise", "E1"), _grid("enterprise", "E2", _VALUES * 2)
    park = _grid("park", "P1", _VALUES * 100)
    lon, lat = _lonlat(_LEFT + 250, _TOP - 250)
    np.testing.assert_allclose(cumulative_points([a, b, park], [lon], [lat]), [4e-5 + 8e-5])
    box = _wgs(shapely.box(_LEFT + 140, _TOP - 160, _LEFT + 160, _TOP - 140))
    np.testing.assert_allclose(cumulative([a, b, park], [box]), [1e-6 + 2e-6])


def test_the_share_of_a_footprint_above_a_threshold_is_its_area_in_those_cells() -> None:
    from geo_risk.analysis.ir_field import area_fraction_above

    # a box over the east half of cell (2,1) (3e-6) and the west half of cell (2,2) (4e-5), 100 × 80 m
    box = shapely.affinity.translate(shapely.box(150, -290, 250, -210), _LEFT, _TOP)
    got = area_fraction_above(_grid(), [box, box, box], [1e-5, 1e-6, 5e-5], projected=True)
    np.testing.assert_allclose(got, [0.5, 1.0, 0.0])
    # exactly at the cell's value is not above it (GB 36894: compliant when IR ≤ the criterion)
    assert area_fraction_above(_grid(), [box], 4e-5, projected=True)[0] == 0.0  # 3e-6 and 4e-5: neither above
    point = shapely.Point(_LEFT + 250, _TOP - 250)
    np.testing.assert_allclose(area_fraction_above(_grid(), [point, point], [3.9e-5, 4e-5], projected=True), [1, 0])


def test_aligned_grids_are_added_into_one_field() -> None:
    from geo_risk.analysis.ir_field import summed_grids

    a = _grid("enterprise", "E1")
    shifted = IrGrid(run_id=2, scope="enterprise", scope_id="E2", enterprise_ids=("E2",), criteria="new", crs=_UTM,
                     array=_VALUES, transform=Affine(_CELL, 0, _LEFT + _CELL, 0, -_CELL, _TOP))
    park = _grid("park", "P1", _VALUES * 100)
    sums = summed_grids([a, shifted, park])
    assert len(sums) == 1 and sums[0].array.shape == (4, 5) and sums[0].enterprise_ids == ("E1", "E2")
    # at A's cell (2,2) B has its cell (2,1): 4e-5 + 3e-6
    assert sample_points(sums[0], [_LEFT + 250], [_TOP - 250], projected=True)[0] == 4e-5 + 3e-6
    # over a box spanning A's (2,2) and (2,3): the summed field's maximum, not the sum of maxima (4e-5 + 4e-5)
    box = shapely.affinity.translate(shapely.box(210, -290, 390, -210), _LEFT, _TOP)
    assert max_over_geometries(sums[0], [box], projected=True)[0] == 4e-5 + 3e-6
