"""Four-colour zoning and the heatmap (geo_risk/analysis/zoning.py) on layouts whose answers are known
by hand: IR either side of 1×10⁻⁵, official and derived enterprise colours, an administrative area of
cells of known colours, the raise-one-level rule, population apportioned by area, the R kernel."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon

from geo_risk.analysis import zoning as z

RES = 8
SETTINGS = z.ZoningSettings(resolution=RES, fine_resolution=None)
LAT0, LON0 = 43.84, 126.55
C0 = h3.latlng_to_cell(LAT0, LON0, RES)
NEIGHBOURS = sorted(h3.grid_ring(C0, 1))
UTM = Transformer.from_crs(4326, 32652, always_xy=True)
GEO = Transformer.from_crs(32652, 4326, always_xy=True)


def _poly(cell: str) -> Polygon:
    return Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def _ir_by_cell(values: dict[str, float]):  # noqa: ANN202 - a field constant over each res-8 cell
    def ir_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.array([values.get(h3.latlng_to_cell(b, a, RES), 0.0) for a, b in zip(lon, lat, strict=True)])
    return ir_at


def _frame(rows: list[dict], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=cols)


def _inputs(ir: dict[str, float] | None = None, *, enterprises: list[dict] | None = None,
            units: list[dict] | None = None, parks: list[dict] | None = None, residential: list[dict] | None = None,
            admin: list[dict] | None = None, target_ir: dict[str, float] | None = None) -> z.ZoningInputs:
    return z.ZoningInputs(
        enterprises=_frame(enterprises or [], ["id", "name", "park_id", "risk_score", "geometry"]),
        units=_frame(units or [], ["id", "enterprise_id", "grade", "r", "geometry"]),
        parks=_frame(parks or [], ["id", "name", "risk_grade", "geometry"]),
        residential=_frame(residential or [], ["population", "geometry"]),
        admin_areas=_frame(admin or [], ["id", "name", "geometry"]),
        ir_at=_ir_by_cell(ir or {}), target_ir=target_ir or {},
    )


def _cells(result: z.ZoningResult) -> pd.DataFrame:
    return result.cells.set_index("h3")


# -- the IR band of a cell --------------------------------------------------------------------------------
@pytest.mark.parametrize(("ir", "colour"), [(1.0001e-5, "red"), (1.0e-5, "red"), (0.9999e-5, "orange"),
                                            (3e-6, "orange"), (2.999e-6, "yellow"), (3e-7, "yellow"),
                                            (2.999e-7, "blue")])
def test_cell_colour_from_ir_either_side_of_each_band(ir: float, colour: str) -> None:
    admin = [{"id": "220203", "name": "龙潭区", "geometry": _poly(C0).buffer(-1e-6)}]
    cells = _cells(z.zone(_inputs({C0: ir}, admin=admin), SETTINGS))
    assert cells.loc[C0, "colour"] == colour
    assert cells.loc[C0, "ir_max"] == pytest.approx(ir, rel=1e-12)
    assert pd.isna(cells.loc[C0, "raised_by"])


def test_cell_ir_is_the_largest_sum_at_any_sample_point_inside_it() -> None:
    """Two points of one cell: the field is 2e-6 (yellow) at the centre and 1.2e-5 at a
    grid-cell centre near the edge; the cell takes the larger (red)."""
    lat, lon = h3.cell_to_latlng(C0)
    vx, vy = _poly(C0).exterior.coords[0]
    px, py = lon + 0.9 * (vx - lon), lat + 0.9 * (vy - lat)  # inside the cell, near a corner

    def ir_at(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(np.hypot(x - px, y - py) < 1e-9, 1.2e-5, 2e-6)

    got = z.cell_ir_max(np.array([C0], dtype=object), RES, ir_at, (np.array([px]), np.array([py])))
    assert got[0] == pytest.approx(1.2e-5)
    assert z.cell_ir_max(np.array([C0], dtype=object), RES, ir_at)[0] == pytest.approx(2e-6)


# -- enterprises: official score vs derived ----------------------------------------------------------------
def test_official_score_wins_and_says_so_and_derived_is_marked() -> None:
    pt = shapely.Point(LON0, LAT0)
    enterprises = [
        {"id": "E1", "risk_score": 59.9, "geometry": pt},   # official red (< 60), though its unit is yellow
        {"id": "E2", "risk_score": 60.0, "geometry": pt},   # official orange (60 is not < 60)
        {"id": "E3", "risk_score": 90.0, "geometry": pt},   # official blue, though its unit is grade 1 (red)
        {"id": "E4", "risk_score": None, "geometry": pt},   # derived: grade-1 unit → red
        {"id": "E5", "risk_score": None, "geometry": pt},   # derived: grade-3 unit, IR 4e-6 at a target → orange
        {"id": "E6", "risk_score": None, "geometry": pt},   # derived: nothing → blue
    ]
    units = [{"id": "U1", "enterprise_id": "E1", "grade": 3, "r": 20.0, "geometry": pt},
             {"id": "U3", "enterprise_id": "E3", "grade": 1, "r": 150.0, "geometry": pt},
             {"id": "U4", "enterprise_id": "E4", "grade": 1, "r": 120.0, "geometry": pt},
             {"id": "U5", "enterprise_id": "E5", "grade": 3, "r": 12.0, "geometry": pt},
             {"id": "U6", "enterprise_id": "E6", "grade": None, "r": None, "geometry": pt}]
    inputs = _inputs(enterprises=enterprises, units=units, target_ir={"E5": 4e-6, "E6": 0.0})
    units_c = z.unit_colours(inputs.units)
    assert dict(zip(units_c["id"], units_c["colour"], strict=True)) == {
        "U1": "yellow", "U3": "red", "U4": "red", "U5": "yellow", "U6": "blue"}
    ents = z.enterprise_colours(inputs.enterprises, units_c, inputs.target_ir).set_index("enterprise_id")
    assert ents["colour"].to_dict() == {"E1": "red", "E2": "orange", "E3": "blue", "E4": "red", "E5": "orange",
                                        "E6": "blue"}
    assert ents["basis"].to_dict() == {"E1": "official", "E2": "official", "E3": "official", "E4": "derived",
                                       "E5": "derived", "E6": "derived"}
    assert "应急〔2018〕19号" in ents.loc["E1", "basis_label"] and "59.9" in ents.loc["E1", "reason"]
    assert "derived" in ents.loc["E5", "basis_label"] and ents.loc["E5", "target_ir_colour"] == "orange"


# -- areas: worst colour and counts -------------------------------------------------------------------------
def test_admin_area_takes_the_worst_of_its_cells_with_counts() -> None:
    a, b, c = C0, NEIGHBOURS[0], NEIGHBOURS[1]
    area = shapely.union_all([_poly(a), _poly(b), _poly(c)]).buffer(-1e-6)  # the three cells, 10 cm inside
    ir = {a: 2e-6, b: 5e-6, c: 1.5e-5}  # yellow, orange, red
    result = z.zone(_inputs(ir, admin=[{"id": "220204", "name": "船营区", "geometry": area}]), SETTINGS)
    row = result.areas.set_index("area_id").loc["220204"]
    assert row["colour"] == "red"
    assert (row["n_red"], row["n_orange"], row["n_yellow"], row["n_blue"], row["n_cells"]) == (1, 1, 1, 0, 3)
    # without the red cell the worst is orange
    result = z.zone(_inputs({a: 2e-6, b: 5e-6, c: 1e-9}, admin=[{"id": "220204", "name": "船营区",
                                                               "geometry": area}]), SETTINGS)
    row = result.areas.set_index("area_id").loc["220204"]
    assert (row["colour"], row["n_orange"], row["n_yellow"], row["n_blue"]) == ("orange", 1, 1, 1)


# -- raise one level -------------------------------------------------------------------------------------
def test_grade_a_park_and_red_enterprise_raise_one_level_and_red_stays_red() -> None:
    a, b, c, d = C0, NEIGHBOURS[0], NEIGHBOURS[2], NEIGHBOURS[4]
    lat, lon = h3.cell_to_latlng(c)
    ir = {a: 1e-6, b: 1e-6, c: 0.0, d: 2e-5}  # yellow, yellow, blue, red
    parks = [{"id": "PA", "name": "A级园区", "risk_grade": "A", "geometry": _poly(a).buffer(-0.002)},
             {"id": "PB", "name": "B级园区", "risk_grade": "B", "geometry": _poly(b).buffer(-0.002)},
             {"id": "PD", "name": "A级园区二", "risk_grade": "A", "geometry": _poly(d).buffer(-0.002)}]
    enterprises = [{"id": "ER", "risk_score": 40.0, "geometry": shapely.Point(lon, lat)}]
    cells = _cells(z.zone(_inputs(ir, parks=parks, enterprises=enterprises), SETTINGS))
    assert cells.loc[a, "colour"] == "orange" and "A级园区" in cells.loc[a, "raised_by"]  # yellow + grade A
    assert cells.loc[b, "colour"] == "yellow" and pd.isna(cells.loc[b, "raised_by"])  # grade B: no raise
    assert cells.loc[c, "colour"] == "yellow" and "红色企业" in cells.loc[c, "raised_by"]  # blue + red enterprise
    assert cells.loc[d, "colour"] == "red" and pd.isna(cells.loc[d, "raised_by"])  # red stays red
    assert cells.loc[a, "ir_colour"] == "yellow" and cells.loc[c, "ir_colour"] == "blue"


# -- population by area ----------------------------------------------------------------------------------
def _square_on_shared_edge(a: str, b: str, half_m: float) -> Polygon:
    """A square 2·half_m a side centred on the midpoint of the edge a|b, aligned with it (UTM metres)."""
    va = {tuple(np.round(v, 12)) for v in h3.cell_to_boundary(a)}
    shared = [v for v in h3.cell_to_boundary(b) if tuple(np.round(v, 12)) in va]
    assert len(shared) == 2
    (y1, x1), (y2, x2) = shared
    (ux1, uy1), (ux2, uy2) = (UTM.transform(x1, y1), UTM.transform(x2, y2))
    mx, my = (ux1 + ux2) / 2, (uy1 + uy2) / 2
    u = np.array([ux2 - ux1, uy2 - uy1]) / np.hypot(ux2 - ux1, uy2 - uy1)
    n = np.array([-u[1], u[0]])
    corners = [(mx + s * half_m * u[0] + t * half_m * n[0], my + s * half_m * u[1] + t * half_m * n[1])
               for s, t in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return Polygon([GEO.transform(x, y) for x, y in corners])


def test_population_is_apportioned_by_area() -> None:
    a, b = C0, NEIGHBOURS[0]
    half = _square_on_shared_edge(a, b, 20.0)  # half in a, half in b
    lat, lon = h3.cell_to_latlng(a)
    x, y = UTM.transform(lon, lat)
    inside = Polygon([GEO.transform(x + dx, y + dy) for dx, dy in ((-30, -30), (30, -30), (30, 30), (-30, 30))])
    geoms = np.array([half, inside], dtype=object)
    pop, placed = z.apportion_population(geoms, np.array([1000.0, 77.0]), RES)
    assert placed == pytest.approx([1.0, 1.0], abs=1e-9)
    assert pop[a] == pytest.approx(500.0 + 77.0, abs=0.5)
    assert pop[b] == pytest.approx(500.0, abs=0.5)
    assert pop.sum() == pytest.approx(1077.0, rel=1e-9)
    # through zone(): the cells carry the same numbers
    cells = _cells(z.zone(_inputs(residential=[{"population": 1000, "geometry": half},
                                               {"population": 77, "geometry": inside}]), SETTINGS))
    assert cells.loc[a, "population"] == pytest.approx(577.0, abs=0.5)
    assert cells.loc[b, "population"] == pytest.approx(500.0, abs=0.5)


def test_a_block_over_three_cells_is_shared_by_hand_computed_areas() -> None:
    """A block that is exactly the union of three cells (slightly shrunk) gives each cell its own area share."""
    cells3 = [C0, NEIGHBOURS[0], NEIGHBOURS[1]]
    block = shapely.union_all([_poly(c) for c in cells3])
    pop, placed = z.apportion_population(np.array([block], dtype=object), np.array([3000.0]), RES)
    areas = {c: h3.cell_area(c, "m^2") for c in cells3}
    total = sum(areas.values())
    assert placed[0] == pytest.approx(1.0, abs=1e-6)
    for c in cells3:  # UTM areas vs H3's spherical areas: equal to well under 0.1 %
        assert pop[c] == pytest.approx(3000.0 * areas[c] / total, rel=1e-3)


# -- R heat -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kernel", "w_half"), [("quartic", 0.5625), ("triangular", 0.5), ("uniform", 1.0)])
def test_kernels_at_the_source_half_radius_and_radius(kernel: str, w_half: float) -> None:
    w = z.kernel_weights(np.array([0.0, 500.0, 1000.0, 1500.0]), 1000.0, kernel)
    assert w.tolist() == pytest.approx([1.0, w_half, 0.0, 0.0])


def test_r_heat_of_a_source_500_m_from_a_cell_centre() -> None:
    lat, lon = h3.cell_to_latlng(C0)
    x, y = UTM.transform(lon, lat)
    s_lon, s_lat = GEO.transform(x, y + 500.0)
    cells = np.array([C0], dtype=object)
    heat = z.r_heat(cells, np.array([s_lon, lon]), np.array([s_lat, lat]), np.array([80.0, 30.0]), 1000.0)
    assert heat[0] == pytest.approx(80.0 * 0.5625 + 30.0, rel=1e-6)
    # a source 1001 m away adds nothing; a non-major unit (no R) adds nothing
    f_lon, f_lat = GEO.transform(x + 1001.0, y)
    assert z.r_heat(cells, np.array([f_lon, lon]), np.array([f_lat, lat]), np.array([500.0, np.nan]),
                    1000.0)[0] == 0.0


def test_settings_are_described_with_tags() -> None:
    d = z.ZoningSettings().describe()
    assert d["h3_resolution"] == 8 and d["h3_fine_resolution"] == 9
    assert d["values"]["r_kernel"] == "quartic" and "CHOICE" in d["tags"]["r_kernel"]
    assert d["colour_rules"]["values"]["ir_bands_per_year"] == (1e-5, 3e-6, 3e-7)
    with pytest.raises(ValueError, match="unknown R kernel"):
        z.ZoningSettings(r_kernel="cubic")


def test_fine_cells_only_where_something_is_and_areas_at_the_coarse_resolution() -> None:
    admin = [{"id": "220203", "name": "龙潭区", "geometry": _poly(C0).buffer(-1e-6)}]
    lat, lon = h3.cell_to_latlng(C0)
    x, y = UTM.transform(lon, lat)
    block = Polygon([GEO.transform(x + dx, y + dy) for dx, dy in ((-5, -5), (5, -5), (5, 5), (-5, 5))])
    result = z.zone(_inputs(admin=admin, residential=[{"population": 10, "geometry": block}]),
                    z.ZoningSettings(resolution=8, fine_resolution=9))
    by_res = result.cells.groupby("resolution")["h3"].apply(set).to_dict()
    assert by_res[8] == {C0}  # the whole administrative area
    assert by_res[9] == {h3.latlng_to_cell(lat, lon, 9)}  # only the fine cell with people
    assert set(result.areas["resolution"]) == {8}
