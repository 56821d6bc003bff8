"""Files that cannot be read are refused naming the file, never a GDAL/Arrow/pandas traceback.

Issue 11 §3: an empty, truncated, bit-flipped or random GeoPackage, a ``.geojson`` that is not JSON,
and a GBK Shapefile without ``.cpg`` each ended the load (and the API's upload) with a 500. Each is
now an InvalidInput (422 on the API) whose message names the file by its own name — never the
folder it sits in, which for an upload is a server path — and says what to do. The store is left
untouched (checked with a snapshot of every table).
"""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import pytest
from helpers import load, small_city, snapshot, write_city, write_layer
from shapely.geometry import box
from typer.testing import CliRunner

from geo_risk.cli import app
from geo_risk.errors import InvalidInput

runner = CliRunner()


def _city_bytes(tmp_path: Path) -> bytes:
    (tmp_path / "source").mkdir()
    return write_city(small_city(), tmp_path / "source" / "city.gpkg").read_bytes()


def _damaged(kind: str, data: bytes) -> bytes:
    """A GeoPackage (an SQLite file) damaged in one of the ways files are damaged in transit."""
    if kind == "empty":
        return b""
    if kind == "truncated_third":
        return data[: len(data) // 3]
    if kind == "truncated_header":
        return data[:5000]
    if kind == "bit_flipped_header":  # byte 100 lies in SQLite's header page (the schema's root)
        return data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    if kind == "random_bytes":
        return random.Random(11).randbytes(len(data))
    raise ValueError(kind)


def _refused(path: Path, url: str, **kwargs) -> str:
    before = snapshot(url)
    with pytest.raises(InvalidInput) as info:
        load(path, url, **kwargs)
    message = str(info.value)
    assert snapshot(url) == before, "a refused load changed the store"
    assert str(path.parent) not in message, f"the message shows a server folder: {message}"
    return message


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("empty", "the file is empty"),
        ("truncated_third", "damaged (truncated or corrupted)"),
        ("truncated_header", "damaged (truncated or corrupted)"),
        ("bit_flipped_header", "damaged (truncated or corrupted)"),
        ("random_bytes", "not a readable GeoPackage file"),
    ],
)
def test_a_damaged_geopackage_is_named(tmp_path: Path, db_url: str, kind: str, needle: str) -> None:
    path = tmp_path / "upload" / f"{kind}.gpkg"
    path.parent.mkdir()
    path.write_bytes(_damaged(kind, _city_bytes(tmp_path)))
    message = _refused(path, db_url)
    assert message.startswith(f"{kind}.gpkg: ") and needle in message, message


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"this is not JSON {", "not a readable GeoJSON file"), (b"", "the file is empty"),
     (b'{"type": "FeatureCollection", "features": [', "enterprises.geojson: ")],
)
def test_a_geojson_that_is_not_json_is_named(tmp_path: Path, db_url: str, content: bytes, needle: str) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "enterprises.geojson").write_bytes(content)
    message = _refused(folder, db_url)
    assert message.startswith("enterprises.geojson: ") and needle in message, message


def test_a_csv_that_is_not_text_is_named(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "inventory.csv").write_bytes(random.Random(3).randbytes(600))
    message = _refused(folder, db_url)
    assert message.startswith("inventory.csv: "), message


def _gbk_shapefile(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": ["R1", "R2"], "name": ["江城花园", "松江小区"], "population": [120, 45]},
        geometry=[box(126.50, 43.80, 126.51, 43.81), box(126.60, 43.80, 126.61, 43.81)],
        crs="EPSG:4326",
    )
    path = write_layer(frame, folder, "residential_areas", "ESRI Shapefile", encoding="gb18030")
    path.with_suffix(".cpg").unlink()  # as files from many Chinese sources come: no word on the encoding
    return path


def test_a_gbk_shapefile_without_cpg_says_pass_gb18030(tmp_path: Path, db_url: str) -> None:
    path = _gbk_shapefile(tmp_path / "upload")
    assert "江城花园".encode("gb18030") in path.with_suffix(".dbf").read_bytes()  # GBK bytes, not UTF-8
    message = _refused(path.parent, db_url)
    assert message.startswith("residential_areas.shp: ") and "encoding=gb18030" in message, message
    # and with the encoding it loads, the names read correctly
    report = load(path.parent, db_url, encoding="gb18030", dry_run=True)
    assert report.layers == {"residential_areas": 2}


def test_the_command_line_names_the_damaged_file(tmp_path: Path, cli_env: str) -> None:
    path = tmp_path / "damaged.gpkg"
    path.write_bytes(_damaged("truncated_third", _city_bytes(tmp_path)))
    result = runner.invoke(app, ["load", str(path)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (result.output, result.exception)
    assert result.output.startswith("error: damaged.gpkg: the GeoPackage file is damaged"), result.output
    shp = _gbk_shapefile(tmp_path / "gbk")
    result = runner.invoke(app, ["load", str(shp.parent)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (result.output, result.exception)
    assert "--encoding gb18030" in result.output, result.output


def test_an_unknown_encoding_is_named(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "inventory.csv").write_text("unit_id,chemical,max_quantity_t\nU1,氯,5\n", encoding="utf-8")
    message = _refused(folder, db_url, encoding="nosuch")
    assert "encoding 'nosuch' is not a known text encoding" in message, message
