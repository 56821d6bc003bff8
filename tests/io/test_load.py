"""``geo-risk load`` against a real PostGIS: round trips, validation rules, all-or-nothing, upsert.

Each validation test breaks one rule in a file, loads it into a store that already holds a city,
and checks that the error names the layer, the row and the reason, and that the store (every
column of every row, and the data version) is exactly as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from helpers import load, small_city, snapshot, write_city, write_layer
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box
from sqlalchemy import text

from geo_risk.errors import InvalidInput, ValidationFailed
from geo_risk.store.db import get_engine

# -- round trips ---------------------------------------------------------------------------------


def _stored(url: str, layer: str) -> gpd.GeoDataFrame:
    with get_engine(url).connect() as conn:
        return gpd.read_postgis(text(f"SELECT * FROM {layer} ORDER BY id"), conn, geom_col="geom")  # noqa: S608


@pytest.mark.parametrize("driver", ["GPKG", "GeoJSON", "ESRI Shapefile", "FlatGeobuf"])
def test_every_layer_round_trips_with_equal_geometry(tmp_path: Path, fresh_db_url: str, driver: str) -> None:
    city = small_city()
    if driver == "ESRI Shapefile":
        # A Shapefile holds one geometry type: keep the polygon rows of the mixed layers.
        for name in ("enterprises", "hazard_units", "protection_targets"):
            frame = city[name]
            city[name] = frame[frame.geom_type != "Point"].reset_index(drop=True)
        city["inventory"] = city["inventory"][city["inventory"].unit_id.isin(city["hazard_units"].id)]
    if driver == "GPKG":
        src = write_city(city, tmp_path / "city.gpkg")
    else:
        src = tmp_path / "city"
        for name, frame in city.items():
            if name != "inventory":
                write_layer(frame, src, name, driver)
        city["inventory"].to_csv(src / "inventory.csv", index=False)
    report = load(src, fresh_db_url)

    with get_engine(fresh_db_url).connect() as conn:
        inv = pd.read_sql(text("SELECT * FROM inventory ORDER BY unit_id, id"), conn)
    expected_inv = city["inventory"].sort_values(["unit_id", "chemical"])
    assert sorted(zip(inv.unit_id, inv.chemical, inv.max_quantity_t, strict=True)) == sorted(
        zip(expected_inv.unit_id, expected_inv.chemical, expected_inv.max_quantity_t, strict=True)
    )
    for name, frame in city.items():
        if name == "inventory":
            continue
        expected = frame.set_index("id").sort_index()
        stored = _stored(fresh_db_url, name).set_index("id").sort_index()
        assert list(stored.index) == list(expected.index), name
        assert report.layers[name] == len(expected)
        # geometry equality, lon/lat degrees (1e-9° ≈ 0.1 mm)
        # normalised: a Shapefile writes exterior rings clockwise from another start vertex
        ok = shapely.equals_exact(
            shapely.normalize(stored.geometry.values),
            shapely.normalize(expected.geometry.values),
            tolerance=1e-9,
        )
        assert ok.all(), f"{name}: geometries differ after the round trip"
        assert list(stored["name"]) == list(expected["name"])  # Chinese text intact
        for col in expected.columns.drop(["geometry", "name"]):
            if col in stored.columns:
                want = [None if pd.isna(v) else v for v in expected[col]]
                got = [None if pd.isna(v) else v for v in stored[col]]
                if col == "category":  # derived where the file left it empty (tested below)
                    got = [g if w is not None else None for g, w in zip(got, want, strict=True)]
                assert got == want, f"{name}.{col}"


def test_sample_like_gpkg_in_cgcs2000_and_extra_fields_are_kept(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    city = {
        k: (v.set_crs("EPSG:4490", allow_override=True) if isinstance(v, gpd.GeoDataFrame) else v)
        for k, v in city.items()
    }
    report = load(write_city(city, tmp_path / "c.gpkg"), fresh_db_url)
    assert report.crs["enterprises"] == "EPSG:4490"
    with get_engine(fresh_db_url).connect() as conn:
        extra = conn.execute(text("SELECT extra FROM enterprises WHERE id = 'E1'")).scalar()
        source = conn.execute(text("SELECT source FROM enterprises WHERE id = 'E1'")).scalar()
        srid = conn.execute(text("SELECT DISTINCT ST_SRID(geom) FROM enterprises")).scalar()
    assert extra == {"owner_note": "保留字段"}
    assert source == "c.gpkg:enterprises"
    assert srid == 4326


def test_protection_target_class_is_derived_when_absent_and_kept_when_given(
    tmp_path: Path, fresh_db_url: str
) -> None:
    load(write_city(small_city(), tmp_path / "c.gpkg"), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        rows = dict(
            conn.execute(text("SELECT id, category || ':' || category_derived FROM protection_targets")).all()
        )
        res = dict(conn.execute(text("SELECT id, category FROM residential_areas")).all())
    # GB 36894 (docs/standards/gb36894-2018.md §3): a school is highly sensitive whatever its size;
    # a mall of 50 people falls in the 30–99 tier (二类); the station keeps the class the file gave.
    assert rows == {"T1": "high_sensitive:true", "T2": "general_2:true", "T3": "important:false"}
    # Housing: ≥30 households or ≥100 residents → 一类; 10–29 households → 二类; fewer → 三类.
    assert res == {"R1": "general_1", "R2": "general_2", "R3": "general_3"}


# -- upsert ----------------------------------------------------------------------------------------


def test_reload_is_idempotent_and_updates_change_only_changed_rows(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    path = write_city(city, tmp_path / "c.gpkg")
    first = load(path, fresh_db_url)
    assert first.counts["enterprises"]["inserted"] == 3
    before = snapshot(fresh_db_url)
    second = load(path, fresh_db_url)
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in second.counts.values())
    after = snapshot(fresh_db_url)
    assert {k: v for k, v in after.items() if k != "data_version"} == {
        k: v for k, v in before.items() if k != "data_version"
    }

    city["residential_areas"].loc[0, "population"] = 1300
    city["inventory"] = city["inventory"].iloc[:-1]  # U4 loses its only row: nothing of U4 in the file
    city["inventory"].loc[1, "max_quantity_t"] = 3.0
    path2 = write_city(city, tmp_path / "c2.gpkg")
    third = load(path2, fresh_db_url)
    assert third.counts["residential_areas"] == {"inserted": 0, "updated": 1, "unchanged": 2, "deleted": 0}
    assert third.counts["inventory"]["updated"] == 1
    with get_engine(fresh_db_url).connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM residential_areas")).scalar()
        pop = conn.execute(text("SELECT population FROM residential_areas WHERE id = 'R1'")).scalar()
        stamps = dict(conn.execute(text("SELECT id, updated_at > created_at FROM residential_areas")).all())
        u4 = conn.execute(text("SELECT count(*) FROM inventory WHERE unit_id = 'U4'")).scalar()
    assert (n, pop) == (3, 1300)
    assert stamps == {"R1": True, "R2": False, "R3": False}
    assert u4 == 1  # a unit absent from the inventory file keeps its stored inventory


def test_inventory_rows_a_unit_no_longer_lists_are_removed(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    load(write_city(city, tmp_path / "c.gpkg"), fresh_db_url)
    inv = city["inventory"]
    inv = inv[~((inv.unit_id == "U2") & (inv.chemical == "苯"))]
    (tmp_path / "inv").mkdir()
    inv.to_csv(tmp_path / "inv" / "inventory.csv", index=False)
    report = load(tmp_path / "inv", fresh_db_url)
    assert report.counts["inventory"]["deleted"] == 1
    with get_engine(fresh_db_url).connect() as conn:
        chems = sorted(r[0] for r in conn.execute(text("SELECT chemical FROM inventory WHERE unit_id='U2'")))
    assert chems == ["氯"]


# -- validation: every rule, the row named, the store unchanged ------------------------------------


@pytest.fixture
def city_db(tmp_path: Path, fresh_db_url: str) -> str:
    load(write_city(small_city(), tmp_path / "base.gpkg"), fresh_db_url)
    return fresh_db_url


def _rejects(path: Path, url: str, layer: str, row: int | None, reason: str, **kwargs) -> ValidationFailed:
    before = snapshot(url)
    with pytest.raises(ValidationFailed) as info:
        load(path, url, **kwargs)
    hits = [p for p in info.value.problems if p.layer == layer and p.row == row and reason in p.reason]
    assert hits, f"expected {layer} row {row}: {reason!r}; got:\n{info.value}"
    assert "nothing was written" in str(info.value)
    assert snapshot(url) == before, "a rejected load changed the store"
    return info.value


def _geo(records: list[dict], geoms: list, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(records), geometry=geoms, crs=crs)


def _res(geoms: list, **over) -> gpd.GeoDataFrame:
    recs = [{"id": f"N{i}", "name": f"新小区{i}", "population": 100} for i in range(len(geoms))]
    for k, vals in over.items():
        for r, v in zip(recs, vals, strict=True):
            r[k] = v
    return _geo(recs, geoms)


SQ = [box(126.6 + i * 0.01, 43.8, 126.605 + i * 0.01, 43.805) for i in range(4)]


def test_missing_id_is_rejected(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res(SQ[:3], id=["N0", None, "N2"]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "missing required field 'id'")


def test_duplicate_id_is_rejected(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res(SQ[:3], id=["N0", "N1", "N0"]), tmp_path, "residential_areas")
    err = _rejects(p, city_db, "residential_areas", 3, "duplicate id 'N0'")
    assert "row 1" in next(x.reason for x in err.problems if x.row == 3)


def test_dangling_references_are_rejected(tmp_path: Path, city_db: str) -> None:
    units = _geo(
        [{"id": "U9", "enterprise_id": "E404", "name": "x", "unit_type": "storage"}], [Point(126.5, 43.9)]
    )
    folder = tmp_path / "f"
    write_layer(units, folder, "hazard_units")
    pd.DataFrame({"unit_id": ["U1", "U404"], "chemical": ["氯", "氨"], "max_quantity_t": [1, 2]}).to_csv(
        folder / "inventory.csv", index=False
    )
    err = _rejects(folder, city_db, "hazard_units", 1, "enterprise_id 'E404' refers to no row of enterprises")
    assert any(p.layer == "inventory" and p.row == 2 and "U404" in p.reason for p in err.problems)


def test_enterprise_in_unknown_park_is_rejected(tmp_path: Path, city_db: str) -> None:
    ent = _geo([{"id": "E7", "name": "x", "status": "operating", "park_id": "P404"}], [Point(126.5, 43.9)])
    p = write_layer(ent, tmp_path, "enterprises")
    _rejects(p, city_db, "enterprises", 1, "park_id 'P404' refers to no row of chemical_parks")


def test_units_may_reference_enterprises_already_stored(tmp_path: Path, city_db: str) -> None:
    units = _geo(
        [{"id": "U9", "enterprise_id": "E2", "name": "新储罐", "unit_type": "storage"}], [Point(126.6, 43.85)]
    )
    report = load(write_layer(units, tmp_path, "hazard_units"), city_db)
    assert report.counts["hazard_units"]["inserted"] == 1


def test_empty_geometry_is_rejected(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res([SQ[0], Polygon(), SQ[2]]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "geometry")


def test_missing_geometry_is_rejected(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res([SQ[0], None, SQ[2]]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "missing geometry")


def test_slightly_invalid_polygon_is_repaired_and_reported(tmp_path: Path, city_db: str) -> None:
    # A square with a tiny self-intersecting notch: make_valid changes its area by far less than 1 %.
    x0, y0, d = 126.6, 43.8, 0.005
    notch = Polygon(
        [
            (x0, y0),
            (x0 + d, y0),
            (x0 + d, y0 + d),
            (x0 + d / 2 + 1e-6, y0 + d),
            (x0 + d / 2, y0 + d + 1e-6),
            (x0 + d / 2 + 1e-6, y0 + d + 1e-6),
            (x0 + d / 2, y0 + d),
            (x0, y0 + d),
        ]
    )
    assert not notch.is_valid
    p = write_layer(_res([SQ[1], notch]), tmp_path, "residential_areas")
    report = load(p, city_db)
    assert any(w.row == 2 and "repaired with make_valid" in w.reason for w in report.warnings)
    with get_engine(city_db).connect() as conn:
        valid, area = conn.execute(
            text("SELECT ST_IsValid(geom), ST_Area(geom) FROM residential_areas WHERE id='N1'")
        ).one()
    assert valid
    assert area == pytest.approx(d * d, rel=0.01)


def test_bowtie_polygon_is_rejected(tmp_path: Path, city_db: str) -> None:
    bowtie = Polygon([(126.6, 43.8), (126.61, 43.81), (126.61, 43.8), (126.6, 43.81)])
    p = write_layer(_res([SQ[0], bowtie]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "invalid geometry (Self-intersection")


def test_coordinates_out_of_range_are_rejected(tmp_path: Path, city_db: str) -> None:
    pts = [Point(126.5, 43.9), Point(526500.0, 4860000.0)]
    t = _geo([{"id": "T8", "name": "a", "kind": "school"}, {"id": "T9", "name": "b", "kind": "school"}], pts)
    p = write_layer(t, tmp_path, "protection_targets")
    _rejects(p, city_db, "protection_targets", 2, "out of range")


def test_swapped_lat_lon_is_named(tmp_path: Path, city_db: str) -> None:
    (tmp_path / "d").mkdir()
    pd.DataFrame(
        {
            "id": ["T8", "T9"],
            "name": ["a", "b"],
            "kind": ["school", "hospital"],
            "lon": [126.55, 43.84],
            "lat": [43.84, 126.55],
        }
    ).to_csv(tmp_path / "d" / "protection_targets.csv", index=False)
    _rejects(tmp_path / "d", city_db, "protection_targets", 2, "appear swapped")


def test_negative_population_is_rejected(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res(SQ[:2], population=[10, -5]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "population -5 is negative")


@pytest.mark.parametrize(
    ("qty", "reason"), [(-1.0, "is negative"), (1e9, "exceeds"), ("lots", "is not a number")]
)
def test_bad_quantities_are_rejected(tmp_path: Path, city_db: str, qty: object, reason: str) -> None:
    (tmp_path / "d").mkdir()
    pd.DataFrame({"unit_id": ["U1", "U1"], "chemical": ["氯", "氨"], "max_quantity_t": [5, qty]}).to_csv(
        tmp_path / "d" / "inventory.csv", index=False
    )
    _rejects(tmp_path / "d", city_db, "inventory", 2, reason)


def test_unknown_enum_values_are_rejected(tmp_path: Path, city_db: str) -> None:
    ent = _geo([{"id": "E8", "name": "x", "status": "running"}], [Point(126.5, 43.9)])
    err = _rejects(
        write_layer(ent, tmp_path, "enterprises"), city_db, "enterprises", 1, "status 'running' is not one of"
    )
    assert "operating, suspended, closed, planned" in str(err)


def test_unknown_target_kind_lists_the_valid_kinds(tmp_path: Path, city_db: str) -> None:
    t = _geo([{"id": "T8", "name": "a", "kind": "spaceport"}], [Point(126.5, 43.9)])
    err = _rejects(
        write_layer(t, tmp_path, "protection_targets"), city_db, "protection_targets", 1, "kind 'spaceport'"
    )
    assert "kindergarten" in str(err)


def test_points_in_a_polygon_layer_are_rejected_with_a_hint(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res([SQ[0], Point(126.6, 43.8)]), tmp_path, "residential_areas")
    _rejects(p, city_db, "residential_areas", 2, "mixes points and polygons")


def test_shapefile_without_prj_needs_crs(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res(SQ[:2]), tmp_path, "residential_areas", "ESRI Shapefile")
    p.with_suffix(".prj").unlink()
    before = snapshot(city_db)
    with pytest.raises(ValidationFailed, match="has no CRS") as info:
        load(p, city_db)
    assert "--crs EPSG:4490" in str(info.value)
    assert snapshot(city_db) == before
    assert load(p, city_db, crs="EPSG:4326").counts["residential_areas"]["inserted"] == 2


def test_bad_crs_option_is_explained(tmp_path: Path, city_db: str) -> None:
    p = write_layer(_res(SQ[:1]), tmp_path, "residential_areas")
    with pytest.raises(ValidationFailed, match="is not a CRS"):
        load(p, city_db, crs="EPSG:99999999")


def test_one_bad_row_in_many_layers_rejects_the_whole_load(tmp_path: Path, city_db: str) -> None:
    city = small_city()
    for name, frame in city.items():
        if name != "inventory":
            frame["id"] = frame["id"] + "_new"
    city["inventory"]["unit_id"] = city["inventory"]["unit_id"] + "_new"
    city["enterprises"]["park_id"] = city["enterprises"]["park_id"].map(
        lambda v: v + "_new" if isinstance(v, str) else v
    )
    city["hazard_units"]["enterprise_id"] = city["hazard_units"]["enterprise_id"] + "_new"
    city["protection_targets"].loc[2, "population"] = -1  # the last layer loaded has one bad row
    _rejects(write_city(city, tmp_path / "c.gpkg"), city_db, "protection_targets", 3, "negative")


def test_dry_run_reports_and_writes_nothing(tmp_path: Path, city_db: str) -> None:
    before = snapshot(city_db)
    p = write_layer(_res(SQ[:3]), tmp_path, "residential_areas")
    report = load(p, city_db, dry_run=True)
    assert report.dry_run and report.counts["residential_areas"]["inserted"] == 3
    assert snapshot(city_db) == before


def test_unknown_file_type_and_missing_path(tmp_path: Path, city_db: str) -> None:
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(InvalidInput, match="unsupported file type"):
        load(tmp_path / "x.txt", city_db)
    with pytest.raises(InvalidInput, match="does not exist"):
        load(tmp_path / "nope.gpkg", city_db)


# -- formats, encodings, aliases ------------------------------------------------------------------


def test_shapefile_aliases_and_gbk_encoding_via_cpg(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    load(
        write_city({k: city[k] for k in ("chemical_parks", "enterprises")}, tmp_path / "c.gpkg"), fresh_db_url
    )
    units = city["hazard_units"][city["hazard_units"].geom_type == "Polygon"].rename(
        columns={"enterprise_id": "ent_id", "special_process": "special_pr", "safety_distance_m": "sd_m"}
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(units, folder / "hazard_units.shp", encoding="GBK")
    assert (folder / "hazard_units.cpg").read_text().strip().upper() in ("GBK", "CP936", "936")
    load(folder, fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, enterprise_id, name, special_process, safety_distance_m "
                "FROM hazard_units ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("U1", "E1", "液氯储罐区", False, 800.0),
        ("U2", "E1", "氯化装置", True, None),
    ]


def test_ambiguous_cut_field_name_is_an_error(tmp_path: Path, city_db: str) -> None:
    units = small_city()["hazard_units"].iloc[:2]
    folder = tmp_path / "shp"
    folder.mkdir()
    units.to_file(folder / "hazard_units.shp", engine="pyogrio")  # GDAL cuts safety_distance_m → safety_dis
    before = snapshot(city_db)
    with pytest.raises(
        InvalidInput, match="safety_dis.*could be any of.*rename it to its Shapefile name.*sd_m"
    ):
        load(folder, city_db)
    assert snapshot(city_db) == before


def test_encoding_option_for_a_gb18030_csv(tmp_path: Path, fresh_db_url: str) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame(
        {"id": ["T1"], "name": ["龙潭区实验小学"], "kind": ["school"], "lon": [126.55], "lat": [43.9]}
    ).to_csv(folder / "protection_targets.csv", index=False, encoding="gb18030")
    load(folder, fresh_db_url, encoding="gb18030")
    with get_engine(fresh_db_url).connect() as conn:
        assert conn.execute(text("SELECT name FROM protection_targets")).scalar() == "龙潭区实验小学"


def test_csv_with_wkt_column(tmp_path: Path, fresh_db_url: str) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame({"id": ["R1"], "name": ["a"], "population": [5], "wkt": [SQ[0].wkt]}).to_csv(
        folder / "residential_areas.csv", index=False
    )
    report = load(folder, fresh_db_url, crs="EPSG:4490")
    assert report.crs["residential_areas"] == "EPSG:4490"


def test_projected_crs_is_reprojected_to_4326(tmp_path: Path, fresh_db_url: str) -> None:
    # CGCS2000 / 3-degree Gauss-Kruger CM 126E (EPSG:4551), metres.
    xy = (555_000.0, 4_860_000.0)
    t = _geo([{"id": "T1", "name": "a", "kind": "school"}], [Point(*xy)], crs="EPSG:4551")
    load(write_layer(t, tmp_path, "protection_targets", "GPKG"), fresh_db_url)
    lon, lat = Transformer.from_crs("EPSG:4551", "EPSG:4326", always_xy=True).transform(*xy)
    with get_engine(fresh_db_url).connect() as conn:
        x, y = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM protection_targets")).one()
    assert (x, y) == pytest.approx((lon, lat), abs=1e-9)
    assert 126.5 < x < 126.8 and 43.8 < y < 44.0


# GCJ-02 reference pair published with googollee/eviltransform (go/transform_test.go):
# WGS 84 (121.5272106, 31.1774276) ↔ GCJ-02 (121.531541859215, 31.17530398364597).
_SHANGHAI_WGS84 = (121.5272106, 31.1774276)
_SHANGHAI_GCJ02 = (121.531541859215, 31.17530398364597)


def test_gcj02_input_is_converted_to_wgs84(tmp_path: Path, fresh_db_url: str) -> None:
    t = _geo([{"id": "T1", "name": "上海某校", "kind": "school"}], [Point(*_SHANGHAI_GCJ02)])
    report = load(write_layer(t, tmp_path, "protection_targets"), fresh_db_url, crs="gcj02")
    assert report.crs["protection_targets"] == "GCJ-02"
    with get_engine(fresh_db_url).connect() as conn:
        x, y = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM protection_targets")).one()
    # The exact inverse recovers the published WGS 84 point to < 1e-7° (≈ 1 cm).
    assert x == pytest.approx(_SHANGHAI_WGS84[0], abs=1e-7)
    assert y == pytest.approx(_SHANGHAI_WGS84[1], abs=1e-7)


def test_extra_fields_survive_with_their_types(tmp_path: Path, fresh_db_url: str) -> None:
    r = _res(SQ[:1])
    r["build_year"] = [1998]
    r["note"] = ["老旧小区"]
    load(write_layer(r, tmp_path, "residential_areas"), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        extra = conn.execute(text("SELECT extra FROM residential_areas")).scalar()
    assert extra == {"build_year": 1998, "note": "老旧小区"}
    assert json.dumps(extra, ensure_ascii=False)


def test_many_rows_stream_in_chunks(tmp_path: Path, fresh_db_url: str) -> None:
    n = 12_345
    rng = np.random.default_rng(1)
    x = 126.4 + rng.random(n) * 0.3
    y = 43.7 + rng.random(n) * 0.3
    frame = gpd.GeoDataFrame(
        {"id": [f"R{i}" for i in range(n)], "name": ["小区"] * n, "population": rng.integers(0, 3000, n)},
        geometry=shapely.box(x, y, x + 0.0005, y + 0.0005),
        crs="EPSG:4326",
    )
    calls: list[tuple[int, int]] = []
    report = load(
        write_layer(frame, tmp_path, "residential_areas", "GPKG"),
        fresh_db_url,
        chunk_rows=1000,
        progress=lambda layer, done, total: calls.append((done, total)),
    )
    assert report.layers["residential_areas"] == n
    assert len(calls) == 13 and calls[-1] == (n, n)
    with get_engine(fresh_db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*), sum(population) FROM residential_areas")).one() == (
            n,
            int(frame["population"].sum()),
        )


# -- loads into empty tables (COPY straight into the table, GiST rebuilt after) --------------------


def _gist(url: str, table: str) -> list[str]:
    with get_engine(url).connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%'"), {"t": table})]


def _blocks(n: int, dup_at: int | None = None) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    x = 126.4 + rng.random(n) * 0.3
    y = 43.7 + rng.random(n) * 0.3
    ids = [f"R{i}" for i in range(n)]
    if dup_at is not None:
        ids[dup_at] = ids[0]
    return gpd.GeoDataFrame({"id": ids, "name": ["小区"] * n, "population": rng.integers(0, 3000, n)},
                            geometry=shapely.box(x, y, x + 0.0005, y + 0.0005), crs="EPSG:4326")


def test_duplicate_ids_into_an_empty_table_are_named_by_row(tmp_path: Path, fresh_db_url: str) -> None:
    p = write_layer(_blocks(20, dup_at=13), tmp_path, "residential_areas", "GPKG")
    _rejects(p, fresh_db_url, "residential_areas", 14, "duplicate id 'R0': also on row 1")


def test_dangling_references_into_empty_tables_are_named_by_row(tmp_path: Path, fresh_db_url: str) -> None:
    city = small_city()
    city["hazard_units"].loc[3, "enterprise_id"] = "E404"
    err = _rejects(write_city(city, tmp_path / "c.gpkg"), fresh_db_url, "hazard_units", 4, "'E404' refers to no row")
    assert all(p.row is not None for p in err.problems)


def test_large_first_load_rebuilds_the_gist_index_and_a_failed_one_keeps_it(tmp_path: Path, fresh_db_url: str) -> None:
    bad = write_layer(_blocks(12_000, dup_at=11_999), tmp_path / "bad", "residential_areas", "GPKG")
    _rejects(bad, fresh_db_url, "residential_areas", 12_000, "duplicate id 'R0'")
    assert _gist(fresh_db_url, "residential_areas") == ["ix_residential_areas_geom"]
    good = write_layer(_blocks(12_000), tmp_path / "good", "residential_areas", "GPKG")
    report = load(good, fresh_db_url)
    assert report.counts["residential_areas"]["inserted"] == 12_000
    assert _gist(fresh_db_url, "residential_areas") == ["ix_residential_areas_geom"]
    with get_engine(fresh_db_url).connect() as conn:
        plan = "\n".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT id FROM residential_areas "
            "WHERE geom && ST_MakeEnvelope(126.5, 43.8, 126.51, 43.81, 4326)")))
    assert "ix_residential_areas_geom" in plan


def test_a_first_load_of_parks_keeps_enterprises_outside_any_park(tmp_path: Path, fresh_db_url: str) -> None:
    # Enterprises with no park stored, no parks yet: loading parks into the empty parks table
    # must not touch them (a TRUNCATE … CASCADE there would wipe enterprises, units and inventory).
    city = small_city()
    city["enterprises"]["park_id"] = None
    load(write_city({k: city[k] for k in ("enterprises", "hazard_units", "inventory")}, tmp_path / "a.gpkg"),
         fresh_db_url)
    before = snapshot(fresh_db_url)
    load(write_city({"chemical_parks": city["chemical_parks"]}, tmp_path / "b.gpkg"), fresh_db_url)
    after = snapshot(fresh_db_url)
    for table in ("enterprises", "hazard_units", "inventory"):
        assert after[table] == before[table]
    assert len(after["chemical_parks"]) == 1


def test_large_first_load_of_units_with_deferred_foreign_keys(tmp_path: Path, fresh_db_url: str) -> None:
    # ≥ 10,000 hazard units straight into empty tables: the GiST rebuild must not meet the pending
    # deferred foreign-key checks ("cannot CREATE INDEX … because it has pending trigger events").
    n = 10_500
    rng = np.random.default_rng(5)
    x, y = 126.4 + rng.random(n) * 0.3, 43.7 + rng.random(n) * 0.3
    ent = gpd.GeoDataFrame({"id": ["E1"], "name": ["吉化"], "status": ["operating"]},
                           geometry=[box(126.3, 43.6, 126.8, 44.1)], crs="EPSG:4326")
    units = gpd.GeoDataFrame({"id": [f"U{i}" for i in range(n)], "enterprise_id": "E1", "name": "罐",
                              "unit_type": "storage"}, geometry=shapely.points(x, y), crs="EPSG:4326")
    report = load(write_city({"enterprises": ent, "hazard_units": units}, tmp_path / "c.gpkg"), fresh_db_url)
    assert report.counts["hazard_units"]["inserted"] == n
    assert _gist(fresh_db_url, "hazard_units") == ["ix_hazard_units_geom"]


# -- a park's 安全控制线 (safety_control_line_wkt) ------------------------------------------------------------
_PARK = box(126.60, 43.80, 126.62, 43.82)
_LINE = _PARK.buffer(0.01, join_style="mitre")  # the park and about 1 km around it


def _park(line: object, crs: str = "EPSG:4326", geom: object = _PARK) -> gpd.GeoDataFrame:
    return _geo([{"id": "P1", "name": "某化工园区", "safety_control_line_wkt": line}], [geom], crs=crs)


def test_a_parks_control_line_is_stored_as_its_geometry(tmp_path: Path, fresh_db_url: str) -> None:
    load(write_layer(_park(_LINE.wkt), tmp_path, "chemical_parks"), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        stored, srid = conn.execute(text("SELECT ST_AsText(safety_control_line), ST_SRID(safety_control_line) "
                                         "FROM chemical_parks WHERE id = 'P1'")).one()
    assert srid == 4326
    assert shapely.from_wkt(stored).equals_exact(_LINE, 1e-9)


def test_a_park_without_a_control_line_stores_none(tmp_path: Path, fresh_db_url: str) -> None:
    load(write_layer(_park(None), tmp_path, "chemical_parks"), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        assert conn.execute(text("SELECT safety_control_line IS NULL FROM chemical_parks")).scalar() is True


def test_a_control_line_in_a_projected_crs_is_reprojected_with_the_park(tmp_path: Path, fresh_db_url: str) -> None:
    # CGCS2000 / 3-degree Gauss-Kruger CM 126E (EPSG:4551): the WKT is in the layer's CRS, like its geometry.
    to_4551 = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)
    line_4551 = shapely.transform(_LINE, lambda xy: np.column_stack(to_4551.transform(xy[:, 0], xy[:, 1])))
    park_4551 = shapely.transform(_PARK, lambda xy: np.column_stack(to_4551.transform(xy[:, 0], xy[:, 1])))
    load(write_layer(_park(line_4551.wkt, "EPSG:4551", park_4551), tmp_path, "chemical_parks"), fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        stored = conn.execute(text("SELECT ST_AsText(safety_control_line) FROM chemical_parks")).scalar()
    # EPSG:4551 → 4326 is CGCS2000 → WGS 84 taken as identical at the metre level: the round trip holds to 1e-7°.
    assert shapely.from_wkt(stored).equals_exact(_LINE, 1e-7)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("POLYGON ((126.6 43.8, 126.7", "safety_control_line_wkt is not readable WKT"),
        ("POINT (126.6 43.8)", "safety_control_line_wkt is a Point; a control line is a (multi)line or (multi)polygon"),
        ("POLYGON EMPTY", "safety_control_line_wkt is an empty geometry"),
        ("LINESTRING (43.8 126.6, 43.9 126.7)", "safety_control_line_wkt: "),  # lat/lon swapped
    ],
    ids=["unreadable", "point", "empty", "swapped"],
)
def test_a_bad_control_line_rejects_the_load_naming_field_and_row(tmp_path: Path, fresh_db_url: str, line: str,
                                                                 reason: str) -> None:
    _rejects(write_layer(_park(line), tmp_path, "chemical_parks"), fresh_db_url, "chemical_parks", 1, reason)


def test_the_sample_citys_published_control_line_is_stored(fresh_db_url: str) -> None:
    sample = Path(__file__).resolve().parents[2] / "sample_geo" / "jilin_city.gpkg"
    published = gpd.read_file(sample, layer="chemical_parks").set_index("id")["safety_control_line_wkt"]
    load(sample, fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        stored = dict(conn.execute(text("SELECT id, ST_AsText(safety_control_line) FROM chemical_parks")).all())
    assert stored["PARK-02"] is None and pd.isna(published["PARK-02"])
    assert shapely.from_wkt(stored["PARK-01"]).equals_exact(shapely.from_wkt(published["PARK-01"]), 1e-9)
