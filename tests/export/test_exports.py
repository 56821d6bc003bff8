"""Layer exports on the graded sample city, reopened with GDAL: counts, fields, CRS, Chinese text,
QGIS styles (QML, SLD, a GeoPackage's layer_styles), the command line and the HTTP endpoint."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from helpers import SAMPLE_CITY, load
from sqlalchemy import text
from typer.testing import CliRunner

from api.app import create_app
from geo_risk.cli import app as cli_app
from geo_risk.errors import InvalidInput, NotFound
from geo_risk.export import (
    EXPORT_FORMATS,
    EXPORT_SHAPEFILE_ALIASES,
    EmptyLayer,
    export_download,
    export_layer,
    shapefile_field_names,
)
from geo_risk.grading import grade_store
from geo_risk.io.schema import from_shapefile_name
from geo_risk.settings import Settings
from geo_risk.store.db import get_engine
from layers.palette import HAZARD_GRADE_COLOURS
from layers.qgis_styles import OTHER_LABEL
from layers.registry import REGISTRY, LayerDef, get_layer

#: Every layer the sample city fills; risk contours exist only after a risk run (their export is
#: checked in tests/risk/test_run.py).
LAYERS = [d for d in REGISTRY if d != "risk_contours"]
#: The zoning's result layers exist only after `geo-risk analyse` (exported in tests/api/test_zoning_api.py).
LAYERS = [d for d in LAYERS if d not in ("risk_zones", "risk_zones_fine", "risk_areas", "risk_enterprises")]
FORMATS = list(EXPORT_FORMATS)
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"
#: Fields the LIBKML driver adds to every KML layer it reads (``Name`` is our ``name``).
KML_FIELDS = {"description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
              "visibility", "drawOrder", "icon"}
#: A registry field holding Chinese text, per layer, to compare with what GDAL reads back.
CHINESE_FIELD = {"inventory": "enterprise_name", "hazard_sources": "enterprise_name",
                 "conflicts": "enterprise_name", "conflict_targets": "target_name", "clusters": "lead_enterprise_name",
                 "cluster_links": "enterprise_a_name", "relocation": "enterprise_name"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")

runner = CliRunner()


@pytest.fixture(scope="module")
def city(db_url: str) -> str:
    from geo_risk.analyse import analyse
    from geo_risk.hidden_dangers import SAMPLE_REGISTER, import_file

    load(SAMPLE_CITY, db_url)
    grade_store(db_url)
    analyse(db_url)  # the conflict, cluster and zoning layers (no QRA here: distances and the fallback rules)
    import_file(db_url, SAMPLE_REGISTER, actor="test")  # the hidden-danger layers (the register demo loads)
    from geo_risk.relocation_plan import run_relocation_plan

    run_relocation_plan(db_url)  # the relocation layer (site → park lines)
    return db_url


@pytest.fixture(scope="module")
def exported(city: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``exported(layer, fmt)`` → the paths written (each export done once per module)."""
    root = tmp_path_factory.mktemp("exports")
    done: dict[tuple[str, str], list[Path]] = {}

    def get(layer_id: str, fmt: str) -> list[Path]:
        if (layer_id, fmt) not in done:
            folder = root / fmt
            folder.mkdir(exist_ok=True)
            done[layer_id, fmt] = export_layer(city, layer_id, fmt, folder)
        return done[layer_id, fmt]

    return get


def _scalar(url: str, sql: str, **params: object) -> object:
    with get_engine(url).connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _count(url: str, layer: LayerDef, where: str = "true") -> int:
    return int(_scalar(url, f"SELECT count(*) FROM {layer.table} WHERE {where}"))  # noqa: S608 - registry names


def _data_layers(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, layer) of every data layer GDAL finds in the exported files (not layer_styles)."""
    out = []
    for p in paths:
        if p.suffix in {f.suffix for f in EXPORT_FORMATS.values()}:
            out += [(p, str(name)) for name, gtype in pyogrio.list_layers(p) if gtype is not None]
    return out


def _registry_names(fmt: str, layer: LayerDef, fields: list[str]) -> set[str]:
    """The registry names of the fields GDAL read from a file of ``fmt``."""
    if fmt == "shp":
        back = {v: k for k, v in EXPORT_SHAPEFILE_ALIASES.items()}
        return {back.get(f, from_shapefile_name(f)) for f in fields}
    if fmt == "csv":
        return set(fields) - {"WKT"}
    if fmt == "kml":
        names = {"name" if f == "Name" else f for f in fields} - KML_FIELDS
        return names if "name" in layer.fields else names - {"name"}  # KML has a Name whether or not
    return set(fields)


def _ogrinfo_warnings(path: Path, summary: bool = True) -> str:
    """What the system's ogrinfo (GDAL 3.6, as QGIS on Debian 12 uses) prints on stderr."""
    args = ["ogrinfo", "-ro", "-al", *(["-so"] if summary else []), str(path)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120)
    return done.stderr.strip()


# -- every layer × every format -------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer_id", LAYERS)
def test_every_layer_reopens_with_gdal(city: str, exported, layer_id: str, fmt: str) -> None:
    layer = REGISTRY[layer_id]
    expected = _count(city, layer)
    assert expected > 0, f"{layer_id} has no features in the sample city"
    paths = exported(layer_id, fmt)
    found = _data_layers(paths)
    assert found, paths
    total = 0
    for path, name in found:
        info = pyogrio.read_info(path, layer=name, force_feature_count=True)
        total += info["features"]
        assert info["crs"] == "EPSG:4326", (path, name, info["crs"])
        assert _registry_names(fmt, layer, list(info["fields"])) == set(layer.fields), (path, list(info["fields"]))
        assert _ogrinfo_warnings(path) == ""
    assert total == expected

    # Chinese text as stored: one value of the layer's name field, read back through GDAL.
    field = CHINESE_FIELD.get(layer_id, "name")
    row_id, value = _first_chinese(city, layer, field)
    column = {"shp": shapefile_field_names(layer)[field], "kml": "Name" if field == "name" else field}.get(fmt, field)
    values = []
    for path, name in found:
        frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
        values += list(frame.loc[frame["id"] == row_id, column])
    assert values == [value]


def _first_chinese(url: str, layer: LayerDef, field: str) -> tuple[str, str]:
    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            f"SELECT id, {field} FROM {layer.table} WHERE {field} ~ '[^\\x01-\\x7f]' ORDER BY id LIMIT 1"  # noqa: S608
        )).one()
    return row[0], row[1]


def test_every_layer_of_the_sample_city_has_features(city: str) -> None:
    # risk contours exist only after an explicit `geo-risk risk` run (not made in this module)
    assert all(_count(city, d) > 0 for d in REGISTRY.values() if d.id != "risk_contours")


def test_mixed_layers_are_split_by_geometry_type_for_styled_formats(city: str, exported) -> None:
    layer = REGISTRY["protection_targets"]
    points = _count(city, layer, "ST_GeometryType(geom) IN ('ST_Point', 'ST_MultiPoint')")
    polygons = _count(city, layer, "ST_GeometryType(geom) IN ('ST_Polygon', 'ST_MultiPolygon')")
    assert points and polygons
    for fmt in ("shp", "gpkg"):
        got = {name: pyogrio.read_info(p, layer=name, force_feature_count=True)
               for p, name in _data_layers(exported("protection_targets", fmt))}
        assert {n: (i["features"], i["geometry_type"]) for n, i in got.items()} == {
            "protection_targets_points": (points, "Point"),
            "protection_targets_polygons": (polygons, "MultiPolygon" if fmt == "gpkg" else "Polygon"),
        }
    # The other formats keep one layer of both.
    (path, name), = _data_layers(exported("protection_targets", "fgb"))
    assert name == "protection_targets" and pyogrio.read_info(path)["features"] == points + polygons


def test_shapefile_side_files_and_short_unique_names(city: str, exported) -> None:
    for layer_id in LAYERS:
        layer = REGISTRY[layer_id]
        paths = exported(layer_id, "shp")
        for shp in [p for p in paths if p.suffix == ".shp"]:
            assert shp.with_suffix(".cpg").read_text().strip() == "UTF-8"
            assert "WGS" in shp.with_suffix(".prj").read_text()
            assert shp.with_suffix(".qml").exists() and shp.with_suffix(".sld").exists()
            fields = list(pyogrio.read_info(shp)["fields"])
            assert all(len(f) <= 10 for f in fields) and len(set(fields)) == len(fields)
            assert fields == list(shapefile_field_names(layer).values())


def test_geojson_is_rfc7946(exported) -> None:
    (path,) = exported("chemical_parks", "geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc  # RFC 7946: WGS 84 lon/lat, no crs member
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 126 < lon < 127 and 43 < lat < 45


def test_csv_has_a_header_wkt_geometry_and_a_bom(exported) -> None:
    path = next(p for p in exported("enterprises", "csv") if p.suffix == ".csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel/WPS read UTF-8, not GBK
    header, first = raw[3:].decode("utf-8").splitlines()[:2]
    assert header.split(",")[:2] == ["WKT", "id"]
    assert first.startswith('"POLYGON') or first.startswith('"POINT') or first.startswith('"MULTIPOLYGON')


# -- styles ---------------------------------------------------------------------------------------
def _rgba(value: str) -> tuple[str, int]:
    r, g, b, a = (int(v) for v in value.split(","))
    return f"#{r:02x}{g:02x}{b:02x}", a


def _expected_classes(layer: LayerDef) -> list[tuple[str, str, str]]:
    """(value, colour, label) the style must have, from the registry (fallback last)."""
    s = layer.style
    if not s.classify_by:
        return [("", s.fill, f"{layer.title_zh} {layer.title_en}")]
    return [(str(v), c, f"{zh} {en}") for v, (c, zh, en) in s.classes.items()] + [("", s.fill, OTHER_LABEL)]


def check_qml(doc: str, layer: LayerDef, kind: str, attr: str | None) -> None:
    root = ET.fromstring(doc.split("\n", 1)[1])  # after the DOCTYPE
    assert root.tag == "qgis"
    assert root.findtext("layerGeometryType") == {"point": "0", "line": "1", "polygon": "2"}[kind]
    renderer = root.find("renderer-v2")
    s = layer.style
    symbols = {sym.get("name"): sym for sym in renderer.find("symbols")}
    if s.classify_by:
        assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == attr
        got = [(c.get("value"), c.get("label"), symbols[c.get("symbol")]) for c in renderer.find("categories")]
    else:
        assert renderer.get("type") == "singleSymbol"
        got = [("", f"{layer.title_zh} {layer.title_en}", symbols["0"])]
    expected = _expected_classes(layer)
    assert [(v, label) for v, label, _ in got] == [(v, label) for v, _, label in expected]
    for (_, _, symbol), (_, colour, _) in zip(got, expected, strict=True):
        assert symbol.get("type") == {"point": "marker", "line": "line", "polygon": "fill"}[kind]
        sl = symbol.find("layer")
        assert sl.get("class") == {"point": "SimpleMarker", "line": "SimpleLine", "polygon": "SimpleFill"}[kind]
        props = {o.get("name"): o.get("value") for o in sl.find("Option")}
        assert props == {p.get("k"): p.get("v") for p in sl.findall("prop")}
        if kind == "line":  # a line is drawn in its class colour, opaque
            assert _rgba(props["line_color"]) == (colour, 255)
            assert float(props["line_width"]) == s.weight and props["line_width_unit"] == "Pixel"
            continue
        assert _rgba(props["color"]) == (colour, round(s.fill_opacity * 255))
        assert _rgba(props["outline_color"]) == (s.stroke, 255)
        assert float(props["outline_width"]) == s.weight and props["outline_width_unit"] == "Pixel"
        if kind == "point":
            assert float(props["size"]) == 2 * s.radius_px and props["size_unit"] == "Pixel"


def check_sld(doc: str, layer: LayerDef, kind: str, attr: str | None) -> None:
    root = ET.fromstring(doc.encode("utf-8"))
    assert root.tag == "{http://www.opengis.net/sld}StyledLayerDescriptor" and root.get("version") == "1.1.0"
    rules = root.findall(f".//{SE}FeatureTypeStyle/{SE}Rule")
    expected = _expected_classes(layer)
    assert len(rules) == len(expected)
    symbolizer = {"point": "PointSymbolizer", "line": "LineSymbolizer", "polygon": "PolygonSymbolizer"}[kind]
    for rule, (value, colour, label) in zip(rules, expected, strict=True):
        assert rule.findtext(f"{SE}Description/{SE}Title") == label
        flt = rule.find(f"{OGC}Filter")
        if not layer.style.classify_by:
            assert flt is None
        elif value:
            assert flt.findtext(f"{OGC}PropertyIsEqualTo/{OGC}PropertyName") == attr
            assert flt.findtext(f"{OGC}PropertyIsEqualTo/{OGC}Literal") == value
        else:  # every other value, and NULL
            assert flt.findtext(f"{OGC}Or/{OGC}PropertyIsNull/{OGC}PropertyName") == attr
            assert [e.text for e in flt.iter(f"{OGC}Literal")] == [str(v) for v in layer.style.classes]
        sym = rule.find(f"{SE}{symbolizer}")
        assert sym is not None
        params = {p.get("name"): p.text for p in sym.iter(f"{SE}SvgParameter")}
        if kind == "line":  # a line is drawn in its class colour
            assert params["stroke"] == colour and float(params["stroke-width"]) == layer.style.weight
            continue
        assert params["fill"] == colour and float(params["fill-opacity"]) == layer.style.fill_opacity
        assert params["stroke"] == layer.style.stroke and float(params["stroke-width"]) == layer.style.weight
        if kind == "point":
            assert float(sym.findtext(f"{SE}Graphic/{SE}Size")) == 2 * layer.style.radius_px


def _kind(name: str, layer: LayerDef) -> str:
    if layer.geometry != "mixed":
        return layer.geometry
    return "point" if name.endswith("_points") else "line" if name.endswith("_lines") else "polygon"


@pytest.mark.parametrize("layer_id", LAYERS)
def test_shapefile_qml_and_sld_follow_the_registry(exported, layer_id: str) -> None:
    layer = REGISTRY[layer_id]
    names = shapefile_field_names(layer)
    attr = names.get(layer.style.classify_by) if layer.style.classify_by else None
    for shp in [p for p in exported(layer_id, "shp") if p.suffix == ".shp"]:
        kind = _kind(shp.stem, layer)
        check_qml(shp.with_suffix(".qml").read_text(encoding="utf-8"), layer, kind, attr)
        check_sld(shp.with_suffix(".sld").read_text(encoding="utf-8"), layer, kind, attr)


def test_hazard_source_grades_use_the_palette(exported) -> None:
    (shp, *_) = [p for p in exported("hazard_sources", "shp") if p.suffix == ".shp"]
    root = ET.fromstring(shp.with_suffix(".qml").read_text(encoding="utf-8").split("\n", 1)[1])
    cats = {c.get("value"): c.get("label") for c in root.iter("category")}
    assert cats == {str(g): f"{zh} {en}" for g, (_, zh, en) in HAZARD_GRADE_COLOURS.items()} | {"": OTHER_LABEL}


@pytest.mark.parametrize("layer_id", LAYERS)
def test_geopackage_carries_its_style_in_layer_styles(exported, layer_id: str) -> None:
    layer = REGISTRY[layer_id]
    (path,) = exported(layer_id, "gpkg")
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
        geom_cols = dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        contents = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        rows = [dict(r) for r in conn.execute("SELECT * FROM layer_styles")]
    assert contents.pop("layer_styles") == "attributes" and set(contents.values()) == {"features"}
    assert {r["f_table_name"] for r in rows} == set(geom_cols)
    for row in rows:
        table = row["f_table_name"]
        assert row["f_geometry_column"] == geom_cols[table] == "geom"
        assert row["f_table_catalog"] == "" and row["f_table_schema"] == ""  # not NULL
        assert row["useAsDefault"] == 1
        assert ISO_UTC.match(row["update_time"]), row["update_time"]
        assert row["styleName"] == table
        assert {"owner", "ui", "description"} <= set(row)
        kind = _kind(table, layer)
        check_qml(row["styleQML"], layer, kind, layer.style.classify_by)
        check_sld(row["styleSLD"], layer, kind, layer.style.classify_by)
    assert _ogrinfo_warnings(path, summary=False) == ""  # every feature read, layer_styles' dates included


# -- empty layers, bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_layer_keeps_fields_and_crs_or_says_why_not(fresh_db_url: str, tmp_path: Path, fmt: str) -> None:
    layer = REGISTRY["enterprises"]  # mixed: the styled formats write both (empty) parts
    if not EXPORT_FORMATS[fmt].keeps_empty_schema:
        with pytest.raises(EmptyLayer, match="has no features") as err:
            export_layer(fresh_db_url, layer.id, fmt, tmp_path)
        assert "gpkg" in str(err.value) and "fgb" in str(err.value)
        return
    paths = export_layer(fresh_db_url, layer.id, fmt, tmp_path)
    found = _data_layers(paths)
    assert len(found) == (2 if fmt in ("shp", "gpkg") else 1)
    for path, name in found:
        info = pyogrio.read_info(path, layer=name, force_feature_count=True)
        assert info["features"] == 0 and info["crs"] == "EPSG:4326"
        assert _registry_names(fmt, layer, list(info["fields"])) == set(layer.fields)
        assert _ogrinfo_warnings(path, summary=False) == ""


def test_unknown_format_and_layer_and_wrong_suffix(city: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="gpkg, shp, geojson, kml, fgb, csv"):
        export_layer(city, "enterprises", "dxf", tmp_path)
    with pytest.raises(NotFound, match="chemical_parks"):
        export_layer(city, "no_such_layer", "gpkg", tmp_path)
    with pytest.raises(InvalidInput, match=r"'\.gpkg'"):
        export_layer(city, "enterprises", "gpkg", tmp_path / "x.shp")
    # A path without a suffix gets the format's.
    assert export_layer(city, "chemical_parks", "fgb", tmp_path / "parks")[0] == tmp_path / "parks.fgb"


def _download(url: str, layer_id: str, fmt: str) -> tuple[bytes, str, str]:
    d = export_download(url, layer_id, fmt)
    try:
        return d.path.read_bytes(), d.media_type, d.filename
    finally:
        d.remove()
        assert not d.folder.exists()


def test_archives_for_http(city: str) -> None:
    content, media_type, filename = _download(city, "protection_targets", "shp")
    assert (media_type, filename) == ("application/zip", "protection_targets.shp.zip")
    names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert names == {f"protection_targets_{part}{ext}" for part in ("points", "polygons")
                     for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qml", ".sld")}
    content, media_type, filename = _download(city, "chemical_parks", "gpkg")
    assert content.startswith(b"SQLite format 3\x00") and filename == "chemical_parks.gpkg"
    assert media_type == "application/geopackage+sqlite3"
    expected = {"geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml",
                "fgb": "application/flatgeobuf", "csv": "text/csv"}
    for fmt, media in expected.items():
        _, media_type, filename = _download(city, "chemical_parks", fmt)
        assert (media_type, filename) == (media, f"chemical_parks{EXPORT_FORMATS[fmt].suffix}")


def test_long_text_is_cut_for_dbf_at_a_character_boundary_and_marked() -> None:
    from geo_risk.export import CUT_MARK, DBF_TEXT_BYTES, _cut_dbf_values

    kept: list[tuple[int, str]] = []
    cut = _cut_dbf_values(["氯" * 100, "short", None, "a" * 300, "b" * 254], "main_subst", "hazard_sources",
                          keep=lambda k, v: kept.append((k, v)))
    assert DBF_TEXT_BYTES == 254 and CUT_MARK == "…"  # 3 bytes in UTF-8
    assert cut[0] == "氯" * 83 + "…"  # 249 + 3 bytes: an 84th character would not fit with the mark
    assert cut[1:3] == ["short", None] and cut[3] == "a" * 251 + "…" and cut[4] == "b" * 254
    assert all(len(v.encode("utf-8")) <= 254 for v in cut if v)
    assert kept == [(0, "氯" * 100), (3, "a" * 300)]


def test_shapefile_keeps_texts_too_long_for_dbf_whole_beside_it(city: str, exported) -> None:
    """The clusters' member lists (a park's fifty plant names) and reasons exceed a DBF field: each is cut and
    marked in the Shapefile and whole in <name>.long_text.csv, by feature number and id; shorter ones are whole."""
    import csv

    layer = get_layer("clusters")
    names = shapefile_field_names(layer)
    paths = exported("clusters", "shp")
    (shp,) = [p for p in paths if p.suffix == ".shp"]
    side = shp.with_name(shp.stem + ".long_text.csv")
    assert side in paths
    with side.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["fid", "id", "field", "field_name", "text"]
    dbf = pyogrio.read_dataframe(shp, read_geometry=False, fid_as_index=True)
    texts = [f for f in layer.fields if f != "id" and pd.api.types.is_string_dtype(dbf[names[f]])]
    with get_engine(city).connect() as conn:
        stored = pd.read_sql(text(f"SELECT id, {', '.join(texts)} FROM {layer.table}"), conn).set_index("id")
    long = {(i, f) for f in texts for i, v in stored[f].items() if isinstance(v, str) and len(v.encode()) > 254}
    assert any(f == "member_names" for _, f in long)
    assert {(r["id"], r["field_name"]) for r in rows} == long  # every long value, and no other
    for r in rows:
        fid, field = int(r["fid"]), names[r["field_name"]]
        assert r["field"] == field and dbf.loc[fid, "id"] == r["id"]
        assert r["text"] == stored.loc[r["id"], r["field_name"]]  # whole, as stored
        cut = dbf.loc[fid, field]
        assert cut.endswith("…") and r["text"].startswith(cut[:-1]) and len(cut.encode()) <= 254
    for f in texts:  # the others: whole in the DBF
        short = [i for i, v in stored[f].items() if isinstance(v, str) and v and (i, f) not in long]  # DBF: "" is NULL
        got = dbf.set_index("id").loc[short, names[f]]
        assert got.tolist() == stored.loc[short, f].tolist(), f


def test_a_mixed_layer_needs_the_geometry_type_of_its_style() -> None:
    from layers.qgis_styles import qml, sld

    with pytest.raises(ValueError, match="one style per exported geometry type"):
        qml(REGISTRY["enterprises"])
    with pytest.raises(ValueError, match="unknown geometry kind"):
        sld(REGISTRY["enterprises"], "raster")


# -- command line ---------------------------------------------------------------------------------
def test_cli_export_shows_what_it_wrote(cli_env: str, tmp_path: Path) -> None:
    load(SAMPLE_CITY, cli_env)
    n = _count(cli_env, REGISTRY["chemical_parks"])
    result = runner.invoke(cli_app, ["export", "chemical_parks", "--format", "gpkg", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'chemical_parks.gpkg'}" in result.output
    assert f"{n} features, EPSG:4326" in result.output
    result = runner.invoke(cli_app, ["export", "protection_targets", "-f", "shp", "--out", str(tmp_path / "t.shp")])
    assert result.exit_code == 0, result.output
    assert "t_points.shp" in result.output and "t_polygons.shp" in result.output
    assert "t_points.qml" in result.output and "t_points.cpg" in result.output
    # Hazard sources need GB 18218 results: the command grades first when they are missing.
    result = runner.invoke(cli_app, ["export", "hazard_sources", "-f", "geojson", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "grading first" in result.output
    assert f"{_count(cli_env, REGISTRY['hazard_sources'])} features" in result.output


def test_cli_export_errors(cli_env: str, tmp_path: Path) -> None:
    result = runner.invoke(cli_app, ["export", "enterprises", "--format", "dxf", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "valid formats: gpkg, shp" in result.output
    result = runner.invoke(cli_app, ["export", "nope", "--format", "gpkg", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no layer 'nope'" in result.output


# -- HTTP -----------------------------------------------------------------------------------------
KEYS = {"k-analyst": "analyst", "k-viewer": "viewer"}


@pytest.fixture(scope="module")
def client(city: str) -> Iterator[TestClient]:
    app = create_app(Settings(api_keys=KEYS), database_url=city)
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("fmt", FORMATS)
def test_http_export_of_every_format(client: TestClient, city: str, fmt: str, tmp_path: Path) -> None:
    r = client.get("/collections/enterprises/export", params={"f": fmt})
    assert r.status_code == 200, r.text
    spec = EXPORT_FORMATS[fmt]
    assert r.headers["content-type"].split(";")[0] == spec.media_type
    filename = "enterprises.shp.zip" if fmt == "shp" else f"enterprises{spec.suffix}"
    assert r.headers["content-disposition"] == f'attachment; filename="{filename}"'
    path = tmp_path / filename
    path.write_bytes(r.content)
    if fmt == "shp":
        zipfile.ZipFile(path).extractall(tmp_path)
        paths = sorted(tmp_path.glob("*.shp"))
    else:
        paths = [path]
    total = sum(pyogrio.read_info(p, layer=n, force_feature_count=True)["features"] for p, n in _data_layers(paths))
    assert total == _count(city, REGISTRY["enterprises"])


def test_http_errors(client: TestClient) -> None:
    r = client.get("/collections/no_such_layer/export", params={"f": "gpkg"})
    assert r.status_code == 404 and "chemical_parks" in r.json()["detail"]
    r = client.get("/collections/enterprises/export", params={"f": "dxf"})
    assert 400 <= r.status_code < 500 and "gpkg, shp, geojson, kml, fgb, csv" in r.json()["detail"]


def test_http_restricted_layer_needs_an_analyst(client: TestClient, city: str) -> None:
    assert client.get("/collections/inventory/export", params={"f": "csv"}).status_code == 404
    r = client.get("/collections/inventory/export", params={"f": "csv"}, headers={"X-API-Key": "k-viewer"})
    assert r.status_code == 404  # a restricted layer does not exist below its tier
    r = client.get("/collections/inventory/export", params={"f": "csv"}, headers={"X-API-Key": "k-analyst"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["WKT", "id", "unit_id"] and len(rows) == 1 + _count(city, REGISTRY["inventory"])
