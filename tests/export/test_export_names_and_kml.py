"""Exported files as GDAL reads them back: layers named by their collection id (``_points`` /
``_polygons`` only when a layer holds both), and KML booleans that GDAL 3.6 (Debian 12, the QGIS
built on it) and the GDAL of pyogrio both read back as the stored truth values."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest
from helpers import load, small_city, write_city
from shapely.geometry import box
from sqlalchemy import text

from geo_risk.export import export_layer
from geo_risk.grading import grade_store
from geo_risk.store.db import get_engine

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def city(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The small city graded: major hazard units U1 (polygon, E1), U3 (point, E2) and U4 (point,
    planned E3, which has no boundary: approximate)."""
    load(write_city(small_city(), tmp_path_factory.mktemp("city") / "city.gpkg"), db_url)
    grade_store(db_url)
    return db_url


def _data_layers(path: Path) -> list[str]:
    return sorted(str(name) for name, gtype in pyogrio.list_layers(path) if gtype is not None)


def test_a_geopackage_names_its_layers_by_the_collection_id(city: str, tmp_path: Path) -> None:
    # The file's name is the caller's; the layers inside are the collection's.
    (path,) = export_layer(city, "chemical_parks", "gpkg", tmp_path / "parks.gpkg")
    assert _data_layers(path) == ["chemical_parks"]
    # hazard_sources holds both points and polygons here: one layer per geometry type.
    (path,) = export_layer(city, "hazard_sources", "gpkg", tmp_path / "hs.gpkg")
    assert _data_layers(path) == ["hazard_sources_points", "hazard_sources_polygons"]


def test_one_geometry_type_gets_no_suffix(tmp_path: Path, fresh_db_url: str) -> None:
    layers = small_city()
    units = layers["hazard_units"]  # every unit a polygon: hazard_sources then holds polygons only
    units.loc[units.id == "U3", "geometry"] = box(126.6005, 43.8505, 126.6015, 43.8515)  # inside E2
    units.loc[units.id == "U4", "geometry"] = box(126.5295, 43.9295, 126.5305, 43.9305)  # around E3's point
    load(write_city(layers, tmp_path / "city.gpkg"), fresh_db_url)
    grade_store(fresh_db_url)
    with get_engine(fresh_db_url).connect() as conn:
        kinds = conn.execute(text("SELECT DISTINCT ST_GeometryType(geom) FROM hazard_sources_map")).scalars().all()
    assert kinds == ["ST_Polygon"]
    (path,) = export_layer(fresh_db_url, "hazard_sources", "gpkg", tmp_path / "hs.gpkg")
    assert _data_layers(path) == ["hazard_sources"]  # not hs_polygons
    shp = [p.name for p in export_layer(fresh_db_url, "hazard_sources", "shp", tmp_path / "out") if p.suffix == ".shp"]
    assert shp == ["out.shp"]  # a Shapefile's layer is its file name


@pytest.mark.parametrize(("fmt", "suffix"), [("fgb", ".fgb"), ("geojson", ".geojson"), ("kml", ".kml")])
def test_single_layer_formats_carry_the_collection_id(city: str, tmp_path: Path, fmt: str, suffix: str) -> None:
    (path,) = export_layer(city, "chemical_parks", fmt, tmp_path / f"p{suffix}")
    assert _data_layers(path) == ["chemical_parks"]


def _stored(url: str) -> dict[str, tuple[bool, int]]:
    with get_engine(url).connect() as conn:
        return {r.id: (bool(r.approximate), int(r.grade))
                for r in conn.execute(text("SELECT id, approximate, grade FROM hazard_sources_map"))}


def test_kml_booleans_read_back_true(city: str, tmp_path: Path) -> None:
    stored = _stored(city)
    assert stored["U4"][0] is True and stored["U1"][0] is False  # both values occur
    (path,) = export_layer(city, "hazard_sources", "kml", tmp_path / "hs.kml")

    # pyogrio (its own GDAL): the stored truth values and whole-number grades.
    frame = pyogrio.read_dataframe(path, read_geometry=False)
    got = {i: (bool(a), g) for i, a, g in zip(frame["id"], frame["approximate"], frame["grade"], strict=True)}
    assert got == stored
    assert all(isinstance(g, int) for _, g in got.values())  # integers, not text

    # The system's GDAL 3.6 (ogrinfo), as QGIS on Debian 12 reads it: 1 for true, no parse warning.
    done = subprocess.run(["ogrinfo", "-ro", "-al", str(path)], capture_output=True, text=True, check=True,
                          timeout=120)
    assert "parsed incompletely" not in done.stderr, done.stderr
    features = re.split(r"\nOGRFeature\(", done.stdout)[1:]
    values = {re.search(r"  Name \(String\) = (.+)", f).group(1):  # the placemark's name: the unit's
              (re.search(r"  approximate \(Integer\) = (-?\d+)", f).group(1),
               re.search(r"  grade \(Integer\) = (\d+)", f).group(1)) for f in features}
    names = dict(zip(frame["id"], frame["Name"], strict=True))
    assert values == {names[i]: (str(int(a)), str(g)) for i, (a, g) in stored.items()}

    # The schema declares integers (xsd:int), which KML's readers all parse.
    fields = {f.get("name"): f.get("type") for f in ET.parse(path).iter(f"{KML}SimpleField")}
    assert fields["approximate"] == "int" and fields["grade"] == "int"
