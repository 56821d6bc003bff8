"""The row rules of ``geo_risk/io/validate.py`` one by one, on small layers defined here.

Each rule is checked at its edge (exactly on a limit and just past it) with the message a user reads,
so that a mutant of any rule is caught (docs/mutation-testing.md). The layers are made for the test
(``LayerSpec``/``FieldSpec`` as the schema declares them), so the limits are the ones written here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from geo_risk.errors import InvalidInput
from geo_risk.io.crs import WGS84, SourceCRS
from geo_risk.io.schema import FieldSpec, LayerSpec
from geo_risk.io.validate import normalise_columns, validate_chunk

SPEC = LayerSpec(
    name="things",
    title_zh="物",
    title_en="things",
    fields=(
        FieldSpec("id", "text", required=True),
        FieldSpec("kind", "text", choices=("a", "b")),
        FieldSpec("flag", "bool"),
        FieldSpec("count", "int", minimum=0, maximum=100),
        FieldSpec("share", "float", minimum=0.5, maximum=2.5, exclusive_minimum=True),
        FieldSpec("mass_t", "float", minimum=0),
        FieldSpec("capacity_total", "text"),
        FieldSpec("capacity_tonnes", "text"),
        FieldSpec("enterprise_id", "text", shp="ent_id"),
    ),
    geometry=None,
)


def _check(**columns: list) -> tuple[pd.DataFrame, list[tuple[int, str | None, str, str]]]:
    n = len(next(iter(columns.values())))
    attrs = pd.DataFrame({"id": [f"R{i}" for i in range(n)], **columns})
    checked = validate_chunk(SPEC, attrs, None, None, 7)
    return checked.rows, [(p.row, p.id, p.reason, p.severity) for p in checked.problems]


def test_a_missing_required_value_is_named_per_row() -> None:
    attrs = pd.DataFrame({"id": ["A", None, "  ", "D"]})
    checked = validate_chunk(SPEC, attrs, None, None, 1)
    assert [(p.row, p.id, p.reason, p.severity) for p in checked.problems] == [
        (2, None, "missing required field 'id'", "error"),
        (3, None, "missing required field 'id'", "error"),
    ]
    assert checked.bad.tolist() == [False, True, True, False]
    no_id = validate_chunk(SPEC, pd.DataFrame({"kind": ["a"]}), None, None, 1)
    assert [(p.row, p.id, p.reason) for p in no_id.problems] == [(1, None, "missing required field 'id'")]


def test_choices() -> None:
    rows, problems = _check(kind=["a", "b", "c", None, " a "])
    assert problems == [(9, "R2", "kind 'c' is not one of a, b", "error")]
    assert rows["kind"].tolist() == ["a", "b", "c", None, "a"]


def test_yes_no_values() -> None:
    given = ["true", "T", "1", "yes", "Y", "是", "1.0", "false", "f", "0", "NO", "n", "否", "0.0", None, "maybe"]
    rows, problems = _check(flag=given)
    assert rows["flag"].tolist() == [True] * 7 + [False] * 7 + [None, None]
    assert problems == [(22, "R15", "flag 'maybe' is not a yes/no value (true/false, 1/0, 是/否)", "error")]


def test_numbers_at_their_limits() -> None:
    # count: whole, 0 ≤ count ≤ 100; share: 0.5 < share ≤ 2.5 (exclusive minimum)
    rows, problems = _check(count=["0", "100", "101", "-1", "12.0", "12.5", "x", None],
                            share=[0.5000001, 2.5, 2.5000001, 0.5, 1, 1, 1, 1])
    assert sorted(problems) == sorted([
        (9, "R2", "count 101 exceeds 100, more than any real record holds: check the unit and the digits", "error"),
        (10, "R3", "count -1 is negative; it must be ≥ 0", "error"),
        (12, "R5", "count 12.5 is not a whole number", "error"),
        (13, "R6", "count 'x' is not a number", "error"),
        (9, "R2", "share 2.5 exceeds 2.5, more than any real record holds: check the unit and the digits", "error"),
        (10, "R3", "share 0.5 is below the smallest valid value 0.5", "error"),
    ])
    assert rows["count"].tolist()[:2] == [0, 100] and rows["count"].iloc[4] == 12
    assert str(rows["count"].dtype) == "Int64"
    assert rows["share"].dtype == np.float64


def test_non_finite_numbers() -> None:
    rows, problems = _check(mass_t=[float("inf"), float("-inf"), float("nan"), 0.0, -0.001])
    assert problems == [
        (7, "R0", "mass_t inf is not a finite number", "error"),
        (8, "R1", "mass_t -inf is not a finite number", "error"),
        (11, "R4", "mass_t -0.001 is negative; it must be ≥ 0", "error"),
    ]
    text_rows, text_problems = _check(mass_t=["inf", "1e400", "2"])
    assert [p[2] for p in text_problems] == ["mass_t inf is not a finite number", "mass_t inf is not a finite number"]
    assert text_rows["mass_t"].iloc[2] == 2.0


def test_ids_read_as_numbers_keep_their_digits() -> None:
    attrs = pd.DataFrame({"id": [12.0, 3.5, np.nan, 2.0**53, 13.0, 1001.0, -7.0, 2.0**53 - 1]})
    checked = validate_chunk(SPEC, attrs, None, None, 1)
    assert checked.rows["id"].tolist() == ["12", "3.5", None, "9007199254740992.0", "13", "1001", "-7",
                                           "9007199254740991"]
    assert [(p.row, p.id) for p in checked.problems] == [(3, None)]


def test_other_columns_go_to_extra_as_json() -> None:
    attrs = pd.DataFrame({"id": ["A", "B"], "note": ["备注", None], "n": [np.int64(3), np.int64(4)],
                          "_hidden": [1, 2]})
    checked = validate_chunk(SPEC, attrs, None, None, 1)
    assert [json.loads(e) for e in checked.rows["extra"]] == [{"note": "备注", "n": 3}, {"n": 4}]
    assert "备注" in checked.rows["extra"].iloc[0]  # not \\u-escaped
    plain = validate_chunk(SPEC, pd.DataFrame({"id": ["A"]}), None, None, 1)
    assert plain.rows["extra"].tolist() == [None]
    empty = validate_chunk(SPEC, pd.DataFrame({"id": ["A", "B"], "note": [None, "x"]}), None, None, 1)
    assert pd.isna(empty.rows["extra"].iloc[0])  # nothing to keep: no extra at all, not "{}" nor ""
    assert empty.rows["extra"].iloc[1] == '{"note": "x"}'


def test_column_names_are_normalised() -> None:
    got = normalise_columns([" ID ", "Kind", "ENT_ID", "other"], SPEC)
    assert got == {" ID ": "id", "Kind": "kind", "ENT_ID": "enterprise_id", "other": "other"}


def test_an_ambiguous_cut_name_is_refused() -> None:
    # capacity_total and capacity_tonnes both cut to capacity_t at 10 characters.
    with pytest.raises(InvalidInput, match=r"^things: column 'Capacity_T' is a long field name cut at 10 characters "
                                           r"and could be any of capacity_total, capacity_tonnes; rename it to its "
                                           r"Shapefile name \(capacity_total, capacity_tonnes\)$"):
        normalise_columns(["Capacity_T"], SPEC)


def test_a_name_of_eleven_characters_is_cut_too() -> None:
    fields = (FieldSpec("capacity_to", "text"), FieldSpec("class_name", "text"))
    spec = LayerSpec("things", "物", "things", fields, None)
    assert normalise_columns(["capacity_t", "class_name"], spec) == {"capacity_t": "capacity_to",
                                                                     "class_name": "class_name"}


def test_problems_name_the_layer_and_rows_count_from_the_first() -> None:
    checked = validate_chunk(SPEC, pd.DataFrame({"id": ["A", "B"], "count": [1, -1]}), None, None, 41)
    assert [(p.layer, p.row, p.id) for p in checked.problems] == [("things", 42, "B")]
    assert checked.rows["_row"].tolist() == [41, 42]
    assert checked.rows.index.tolist() == [0, 1]


def test_a_yes_no_column_is_not_a_number() -> None:
    _, problems = _check(count=[True, False])
    assert problems == [(7, "R0", "count True is not a number", "error"), (8, "R1", "count False is not a number",
                                                                          "error")]


def test_an_unambiguous_cut_name_is_mapped() -> None:
    spec = LayerSpec("things", "物", "things", SPEC.fields[:7], None)
    assert normalise_columns(["capacity_t", "capacity_total"], spec) == {"capacity_t": "capacity_total",
                                                                         "capacity_total": "capacity_total"}


POINTS = LayerSpec("places", "地点", "places", (FieldSpec("id", "text", required=True),), frozenset({"Point"}))


def test_geometry_presence_and_type() -> None:
    geoms = np.array([None, shapely.Point(), shapely.Point(126.5, 43.8),
                      shapely.box(126, 43, 127, 44)], dtype=object)
    attrs = pd.DataFrame({"id": ["A", "B", "C", "D"]})
    checked = validate_chunk(POINTS, attrs, geoms, SourceCRS(WGS84), 1)
    assert [(p.row, p.reason) for p in checked.problems] == [
        (1, "missing geometry"), (2, "empty geometry"), (4, "geometry is Polygon; places takes Point"),
    ]
    assert checked.bad.tolist() == [True, True, False, True]
    assert checked.rows["geom"].isna().tolist() == [True, True, False, True]
    assert shapely.from_wkb(checked.rows["geom"].iloc[2].split(";")[1]).equals(shapely.Point(126.5, 43.8))
    assert checked.rows["geom"].iloc[2].startswith("SRID=4326;")


AREAS = LayerSpec("areas", "区域", "areas", (FieldSpec("id", "text", required=True),),
                  frozenset({"Polygon", "MultiPolygon"}))


def _lonlat(xy: list[tuple[float, float]]) -> shapely.Polygon:
    """A ring drawn on a 100 × 100 grid, placed in 吉林 (0.004° a unit): areas scale alike, ratios do not change."""
    return shapely.Polygon([(126 + x * 0.004, 43 + y * 0.004) for x, y in xy])


def _twisted(s: float) -> shapely.Polygon:
    """The 100 × 100 square with a loop twisted outside its left side at y = 50: the loop's two triangles
    (base s, height s/2: s²/4 each) turn opposite ways, so the ring's own (shoelace) area stays 10,000
    while the valid polygon covers 10,000 + s²/2 — a change of s²/20,000."""
    return _lonlat([(0, 0), (100, 0), (100, 100), (0, 100), (0, 50), (-s, 50 + s), (-s, 50), (0, 50 + s), (0, 0)])


def _areas(geoms: list) -> tuple[list[tuple[int, str, str]], pd.DataFrame, list[bool]]:
    attrs = pd.DataFrame({"id": [f"A{i}" for i in range(len(geoms))]})
    checked = validate_chunk(AREAS, attrs, np.array(geoms, dtype=object), SourceCRS(WGS84), 1)
    return [(p.row, p.severity, p.reason) for p in checked.problems], checked.rows, checked.bad.tolist()


def test_a_repair_within_one_percent_is_kept_with_a_warning() -> None:
    problems, rows, bad = _areas([_twisted(10)])  # 10,050 against 10,000: 0.50 %
    assert bad == [False]
    assert [(r, s) for r, s, _ in problems] == [(1, "warning")]
    assert problems[0][2].startswith("invalid geometry (Ring Self-intersection")
    assert problems[0][2].endswith(") repaired with make_valid; area changed by 0.50 %")
    stored = shapely.from_wkb(rows["geom"].iloc[0].split(";")[1])
    assert stored.is_valid
    assert stored.area == pytest.approx(10_050 * 0.004**2, rel=1e-9)  # square degrees


def test_a_repair_past_one_percent_is_refused() -> None:
    problems, rows, bad = _areas([_twisted(20)])  # 10,200 against 10,000: 2.0 %
    assert bad == [True]
    assert [(r, s) for r, s, _ in problems] == [(1, "error")]
    assert problems[0][2].startswith("invalid geometry (Ring Self-intersection")
    assert problems[0][2].endswith("); make_valid would change its area by 2.0 %, more than 1 %: fix the geometry")
    assert pd.isna(rows["geom"].iloc[0])


def test_the_repair_limit_is_one_percent() -> None:
    # s²/20,000 = 1 % at s = √200 ≈ 14.142: 14.1 is kept, 14.2 refused.
    problems, _, bad = _areas([_twisted(14.1), _twisted(14.2), _twisted(40)])
    assert bad == [False, True, True]
    assert [(r, s) for r, s, _ in problems] == [(1, "warning"), (2, "error"), (3, "error")]
    assert problems[0][2].endswith("area changed by 0.99 %")  # 14.1² / 20,000 = 0.994 %
    assert problems[1][2].endswith("by 1.0 %, more than 1 %: fix the geometry")  # 1.008 %
    assert problems[2][2].endswith("by 8.0 %, more than 1 %: fix the geometry")  # 40² / 20,000


def test_a_bow_tie_has_no_area_to_compare_and_is_refused() -> None:
    # Two equal triangles turning opposite ways: the ring's own area is 0, so no relative change exists.
    problems, _, bad = _areas([_lonlat([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])])
    assert bad == [True]
    assert problems[0][2].endswith(
        "make_valid would change its area by an undefined amount (the original area is zero), more than 1 %: "
        "fix the geometry")


def test_a_spike_is_dropped_and_the_polygon_kept() -> None:
    # A zero-width spike (5,10)→(5,5)→(5,10) makes the ring invalid; the repair is the square plus a line,
    # whose polygonal part (area 100 units, unchanged) is stored as a Polygon.
    spiked = _lonlat([(0, 0), (10, 0), (10, 10), (5, 10), (5, 5), (5, 10), (0, 10), (0, 0)])
    problems, rows, bad = _areas([spiked, _lonlat([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)])])
    assert bad == [False, False]
    assert [(r, s) for r, s, _ in problems] == [(1, "warning")]
    assert problems[0][2].endswith("repaired with make_valid; area changed by 0.00 %")
    stored = shapely.from_wkb(rows["geom"].iloc[0].split(";")[1])
    assert stored.geom_type == "Polygon"
    assert stored.area == pytest.approx(100 * 0.004**2, rel=1e-9)


def test_a_point_in_a_polygon_layer_is_told_to_go_elsewhere() -> None:
    problems, _, bad = _areas([shapely.Point(126.5, 43.8)])
    assert bad == [True]
    assert problems == [(1, "error", "geometry is Point; areas takes MultiPolygon or Polygon (the layer mixes points "
                                     "and polygons: split the points into their own file or layer)")]


def test_non_finite_coordinates_are_named() -> None:
    problems, _, bad = _areas([_lonlat([(0, 0), (10, 0), (10, float("inf")), (0, 10), (0, 0)])])
    assert bad == [True]
    assert (1, "error", "geometry has non-finite coordinates (NaN or infinity)") in problems


def _places(points: list) -> tuple[list[tuple[int, str]], list[bool]]:
    attrs = pd.DataFrame({"id": [f"P{i}" for i in range(len(points))]})
    geoms = np.array([shapely.Point(p) if isinstance(p, tuple) else p for p in points], dtype=object)
    checked = validate_chunk(POINTS, attrs, geoms, SourceCRS(WGS84), 1)
    return [(p.row, p.reason) for p in checked.problems], checked.bad.tolist()


def test_coordinates_on_the_edges_of_the_globe_are_in_range() -> None:
    # Longitude −180…180 and latitude −90…90 inclusive; (100, 79.5) is Severnaya Zemlya, not a swapped point.
    problems, bad = _places([(180, 0), (-180, 0), (0, 90), (0, -90), (100, 79.5), (37.6, 55.75)])
    assert problems == [] and bad == [False] * 6


@pytest.mark.parametrize("xy", [(180.0001, 0), (-180.0001, 0), (0, 90.0001), (0, -90.0001)])
def test_coordinates_past_the_edges_are_out_of_range(xy: tuple[float, float]) -> None:
    problems, bad = _places([xy])
    assert bad == [True]
    assert problems == [(1, f"coordinates out of range for EPSG:4326 longitude/latitude (x={xy[0]:.3f}, "
                            f"y={xy[1]:.3f}): if they are metres, the file is in a projected CRS: pass it with "
                            f"--crs (e.g. EPSG:4551, CGCS2000 Gauss-Kruger CM 126E)")]


def test_metres_in_a_lon_lat_file_are_out_of_range_not_swapped() -> None:
    problems, _ = _places([(500000.0, 4800000.0)])
    assert problems == [(1, "coordinates out of range for EPSG:4326 longitude/latitude (x=500000.000, "
                            "y=4800000.000): if they are metres, the file is in a projected CRS: pass it with --crs "
                            "(e.g. EPSG:4551, CGCS2000 Gauss-Kruger CM 126E)")]


def test_a_swap_onto_the_edge_of_china_is_named() -> None:
    # China's extent is lon 73…136, lat 3…54 (geo_risk.io.crs.CHINA_EXTENT): (3, 73) and (54, 136) swap onto
    # its corners; (54, 136) is out of range as lon/lat too, but the swap is the better explanation.
    problems, bad = _places([(3, 73), (54, 136), (2.99, 73), (3, 72.99)])
    assert bad == [True, True, False, False]
    assert problems == [
        (1, "coordinates appear swapped (latitude first): x=3.000000, y=73.000000 would be in China as "
            "lon=73.000000, lat=3.000000; swap the columns or fix the axis order of the file"),
        (2, "coordinates appear swapped (latitude first): x=54.000000, y=136.000000 would be in China as "
            "lon=136.000000, lat=54.000000; swap the columns or fix the axis order of the file"),
    ]


def test_a_geometry_of_the_wrong_type_gets_one_problem() -> None:
    problems, bad = _places([shapely.box(500000, 4800000, 500100, 4800100)])
    assert bad == [True]
    assert problems == [(1, "geometry is Polygon; places takes Point")]


def test_a_multipolygon_repair_keeps_only_polygons() -> None:
    spiked = _lonlat([(0, 0), (10, 0), (10, 10), (5, 10), (5, 5), (5, 10), (0, 10), (0, 0)])
    other = _lonlat([(20, 0), (21, 0), (21, 1), (20, 1), (20, 0)])
    problems, rows, bad = _areas([shapely.MultiPolygon([spiked, other])])
    assert bad == [False] and [s for _, s, _ in problems] == ["warning"]
    stored = shapely.from_wkb(rows["geom"].iloc[0].split(";")[1])
    assert stored.geom_type == "MultiPolygon"
    assert stored.area == pytest.approx(101 * 0.004**2, rel=1e-9)


def test_a_collapsed_polygon_is_refused() -> None:
    # A ring with no area: make_valid gives a line, which has no polygon to keep.
    problems, _, bad = _areas([shapely.Polygon([(126, 43), (126.1, 43.1), (126, 43), (126, 43)])])
    assert bad == [True]
    assert problems[0][2].endswith("by an undefined amount (the original area is zero), more than 1 %: fix the "
                                   "geometry")


def test_projected_coordinates_are_brought_to_lon_lat() -> None:
    from pyproj import CRS, Transformer

    # 吉林市 in CGCS2000 / 3-degree Gauss-Kruger CM 126E (EPSG:4551), by pyproj directly.
    x, y = Transformer.from_crs(4326, 4551, always_xy=True).transform(126.55, 43.84)
    geoms = np.array([shapely.Point(x, y), shapely.Point(5e7, 5e6), shapely.Point(1e9, 1e9)], dtype=object)
    checked = validate_chunk(POINTS, pd.DataFrame({"id": ["A", "B", "C"]}), geoms, SourceCRS(CRS.from_epsg(4551)), 1)
    assert [(p.row, p.reason) for p in checked.problems] == [
        (2, "coordinates fall outside the area of EPSG:4551: check the CRS of the file (--crs)"),
        (3, "coordinates fall outside the area of EPSG:4551: check the CRS of the file (--crs)"),
    ]
    assert checked.bad.tolist() == [False, True, True]
    stored = shapely.from_wkb(checked.rows["geom"].iloc[0].split(";")[1])
    assert (stored.x, stored.y) == pytest.approx((126.55, 43.84), abs=1e-9)
    assert checked.rows["geom"].iloc[1:].isna().all()


def test_lon_lat_as_read_is_stored_as_read() -> None:
    # A file's own WKB of unchanged EPSG:4326 points is kept byte for byte (here big-endian, which a
    # re-encoding would turn little-endian); a chunk with a 3D point is flattened, so encoded anew.
    flat, tall = shapely.Point(126.5, 43.8), shapely.Point(126.6, 43.9, 250.0)

    def stored(points: list) -> list[str]:
        wkb = np.array([shapely.to_wkb(g, byte_order=0) for g in points], dtype=object)
        checked = validate_chunk(POINTS, pd.DataFrame({"id": [f"P{i}" for i in range(len(points))]}),
                                 np.array(points, dtype=object), SourceCRS(WGS84), 1, wkb=wkb)
        assert checked.problems == []
        return checked.rows["geom"].tolist()

    assert stored([flat]) == ["SRID=4326;" + shapely.to_wkb(flat, byte_order=0).hex()]
    both = stored([flat, tall])
    assert all(h.startswith("SRID=4326;01") for h in both)  # encoded here: little-endian
    again = shapely.from_wkb(both[1].split(";")[1])
    assert not again.has_z and (again.x, again.y) == (126.6, 43.9)


def test_a_repaired_geometry_is_not_passed_through_as_read() -> None:
    spiked = _lonlat([(0, 0), (10, 0), (10, 10), (5, 10), (5, 5), (5, 10), (0, 10), (0, 0)])
    attrs = pd.DataFrame({"id": ["A"]})
    checked = validate_chunk(AREAS, attrs, np.array([spiked], dtype=object), SourceCRS(WGS84), 1,
                             wkb=np.array([shapely.to_wkb(spiked)], dtype=object))
    stored = shapely.from_wkb(checked.rows["geom"].iloc[0].split(";")[1])
    assert stored.is_valid and stored.geom_type == "Polygon"


def test_a_layer_without_geometries_given_has_every_row_missing_one() -> None:
    checked = validate_chunk(POINTS, pd.DataFrame({"id": ["A", "B"]}), None, SourceCRS(WGS84), 1)
    assert [(p.row, p.reason) for p in checked.problems] == [(1, "missing geometry"), (2, "missing geometry")]


def test_a_repair_of_exactly_one_percent_is_kept() -> None:
    # A figure-eight ring in units of 1/256° (exact in binary): a 201-unit² triangle turning one way and a
    # 1-unit² triangle turning the other. The ring's own area is 200, the repaired MultiPolygon's 202:
    # exactly 1 % (2/200 is 0.01 in floating point too), which is still within the limit.
    u = 1 / 256
    ring = [(0, 0), (201, 0), (0, 2), (0, 0), (0, -2), (-1, 0), (0, 0)]
    eight = shapely.Polygon([(126 + x * u, 43 + y * u) for x, y in ring])
    problems, rows, bad = _areas([eight])
    assert bad == [False]
    assert problems == [(1, "warning", "invalid geometry (Ring Self-intersection[126 43]) repaired with make_valid; "
                                       "area changed by 1.00 %")]
    stored = shapely.from_wkb(rows["geom"].iloc[0].split(";")[1])
    assert stored.geom_type == "MultiPolygon" and stored.area == 202 * u * u


def test_the_polygonal_part_of_a_collection_is_flattened() -> None:
    from geo_risk.io.validate import _polygonal

    a, b, c = shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(4, 0, 5, 1)
    mixed = shapely.GeometryCollection([shapely.MultiPolygon([a, b]), shapely.LineString([(0, 0), (9, 9)]), c])
    got = _polygonal(mixed)
    assert got.geom_type == "MultiPolygon" and [g.bounds for g in got.geoms] == [a.bounds, b.bounds, c.bounds]
    assert _polygonal(shapely.GeometryCollection([shapely.MultiPolygon([a, b])])).equals(shapely.MultiPolygon([a, b]))
    assert _polygonal(shapely.GeometryCollection([shapely.Point(0, 0)])).is_empty


# -- patterns, bounded scales, positive values, vessels (fields added for zoning and vessels) ----------------

SCALES = LayerSpec(
    name="scales",
    title_zh="量表",
    title_en="scales",
    fields=(
        FieldSpec("id", "text", required=True),
        FieldSpec("code", "text", pattern=r"\d{6}", hint="a six-digit area code"),
        FieldSpec("tag", "text", pattern=r"[A-Z]{2}"),
        FieldSpec("score", "float", minimum=0, maximum=100, hint="a score from 0 to 100"),
        FieldSpec("share", "float", minimum=0, maximum=1, exclusive_minimum=True, hint="a share above 0, at most 1"),
        FieldSpec("rate", "float", minimum=0, hint="a rate"),
        FieldSpec("cap", "float", maximum=10, hint="a capped value"),
        FieldSpec("n", "int", minimum=0, exclusive_minimum=True),
        FieldSpec("done", "bool", required=True),
    ),
    geometry=None,
)


def _scales(**columns: list) -> list[tuple[int, str]]:
    n = len(next(iter(columns.values())))
    attrs = pd.DataFrame({"id": [f"S{i}" for i in range(n)], "done": ["yes"] * n, **columns})
    return [(p.row, p.reason) for p in validate_chunk(SCALES, attrs, None, None, 1).problems]


def test_a_text_pattern_names_the_valid_form() -> None:
    assert _scales(code=["220200", "22020", "2202001", " 220200 ", None]) == [
        (2, "code '22020' is not valid: a six-digit area code"),
        (3, "code '2202001' is not valid: a six-digit area code"),
    ]
    assert _scales(tag=["AB", "ab", "ABC"]) == [(2, "tag 'ab' is not valid: expected [A-Z]{2}"),
                                                (3, "tag 'ABC' is not valid: expected [A-Z]{2}")]


def test_a_bounded_scale_gets_one_message_per_row() -> None:
    assert _scales(score=[0, 100, -0.5, 100.5, None]) == [
        (3, "score -0.5 is outside 0–100: a score from 0 to 100"),
        (4, "score 100.5 is outside 0–100: a score from 0 to 100"),
    ]
    assert _scales(share=[0, 1, 0.5, 1.01]) == [
        (1, "share 0 is outside 0–1: a share above 0, at most 1"),
        (4, "share 1.01 is outside 0–1: a share above 0, at most 1"),
    ]


def test_a_hint_with_one_bound_keeps_the_usual_messages() -> None:
    assert _scales(rate=[-1, 0, 5]) == [(1, "rate -1 is negative; it must be ≥ 0")]
    assert _scales(cap=[10, 11]) == [
        (2, "cap 11 exceeds 10, more than any real record holds: check the unit and the digits")]


def test_a_strictly_positive_count() -> None:
    assert _scales(n=[0, 1, -1, 2]) == [(1, "n 0 is not positive; it must be > 0"),
                                        (3, "n -1 is not positive; it must be > 0")]


def test_a_whole_number_within_one_billionth() -> None:
    rows, problems = _check(count=[1e-9, 2e-9, 3])
    assert problems == [(8, "R1", "count 2e-09 is not a whole number", "error")]
    assert rows["count"].tolist()[0] == 0


def test_a_required_yes_no_value_that_is_missing() -> None:
    attrs = pd.DataFrame({"id": ["S0", "S1", "S2"], "done": ["no", None, " "]})
    problems = [(p.row, p.reason) for p in validate_chunk(SCALES, attrs, None, None, 1).problems]
    assert problems == [(2, "missing required field 'done'"), (3, "missing required field 'done'")]


VESSELS = LayerSpec(
    name="inventory",
    title_zh="存量",
    title_en="inventory",
    fields=(
        FieldSpec("id", "text", required=True),
        FieldSpec("max_quantity_t", "float", minimum=0),
        FieldSpec("vessel_count", "int", minimum=1),
        FieldSpec("vessel_capacity_t", "float", minimum=0, exclusive_minimum=True),
    ),
    geometry=None,
)


def _vessels(spec: LayerSpec = VESSELS, **columns: list) -> list[tuple[int, str]]:
    n = len(next(iter(columns.values())))
    attrs = pd.DataFrame({"id": [f"V{i}" for i in range(n)], **columns})
    return [(p.row, p.reason) for p in validate_chunk(spec, attrs, None, None, 1).problems]


def test_the_vessels_must_hold_the_quantity() -> None:
    # 2 × 50 t hold 100 t exactly; 2 × 49.99 t do not; 3 × 33.333333333 t = 99.999999999 t is 100 t within
    # one part in 10⁹; 3 × 33.3333 t is not; an empty count or capacity is not checked.
    problems = _vessels(max_quantity_t=[100, 100, 100, 100, 100, 100, None],
                        vessel_count=[2, 2, 3, 3, None, 1, 1],
                        vessel_capacity_t=[50, 49.99, 33.333333333, 33.3333, 50, None, 5])
    assert problems == [
        (2, "vessel_count × vessel_capacity_t = 2 × 49.99 t = 99.98 t is less than max_quantity_t 100 t: the "
            "quantity does not fit in the vessels (give more vessels, a larger capacity, or leave one of the two "
            "empty)"),
        (4, "vessel_count × vessel_capacity_t = 3 × 33.3333 t = 99.9999 t is less than max_quantity_t 100 t: the "
            "quantity does not fit in the vessels (give more vessels, a larger capacity, or leave one of the two "
            "empty)"),
    ]


def test_the_vessel_check_is_the_inventory_layers_only() -> None:
    other = LayerSpec(name="stock", title_zh="库存", title_en="stock", fields=VESSELS.fields, geometry=None)
    assert _vessels(other, max_quantity_t=[100], vessel_count=[1], vessel_capacity_t=[1]) == []
    assert _vessels(max_quantity_t=[100], vessel_count=[1]) == []  # no capacity column: nothing to compare
    assert _vessels(max_quantity_t=[100], vessel_capacity_t=[1]) == []


def test_geometries_without_a_source_crs_are_all_missing_or_refused() -> None:
    checked = validate_chunk(POINTS, pd.DataFrame({"id": ["A", "B"]}), None, None, 1)
    assert [(p.row, p.reason) for p in checked.problems] == [(1, "missing geometry"), (2, "missing geometry")]


def test_a_missing_geometry_in_a_projected_file_is_only_missing() -> None:
    from pyproj import CRS, Transformer

    x, y = Transformer.from_crs(4326, 4551, always_xy=True).transform(126.55, 43.84)
    geoms = np.array([shapely.Point(x, y), None], dtype=object)
    checked = validate_chunk(POINTS, pd.DataFrame({"id": ["A", "B"]}), geoms, SourceCRS(CRS.from_epsg(4551)), 1)
    assert [(p.row, p.reason) for p in checked.problems] == [(2, "missing geometry")]
    assert checked.bad.tolist() == [False, True]


def test_a_list_value_goes_to_extra_as_json() -> None:
    rows, problems = _check(tags=[["a", "b"], None])
    assert problems == []
    assert json.loads(rows["extra"].iloc[0]) == {"tags": ["a", "b"]} and pd.isna(rows["extra"].iloc[1])
