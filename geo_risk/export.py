"""Export a map layer to a file that QGIS and GDAL open as it is: GeoPackage, Shapefile, GeoJSON,
KML, FlatGeobuf or CSV, with the registry's style where the format can carry one.

Access control is NOT done here: this module exports whatever layer it is asked for. Callers
check who may see the layer first (the API through ``api.access.authorise_layer``; the command
line has the database credentials and so sees everything anyway).

What is written (every feature of the layer, its registry ``fields`` and its geometry, EPSG:4326
longitude/latitude in degrees; text in UTF-8 everywhere):

``gpkg``
    A GeoPackage written as version 1.2 (the ``VERSION=1.2`` creation option: recent GDAL writes
    1.4, which the GDAL 3.6 of Debian 12 — and the QGIS built on it — warns it "may only partly
    support"). Its style (QML and SLD) is stored in a ``layer_styles`` table laid out as QGIS
    writes it, so QGIS applies it when the layer opens, with no file beside it; see
    :func:`write_gpkg_styles` for the details that otherwise silently break it.
``shp``
    A Shapefile with ``.cpg`` (UTF-8), ``.prj``, and ``.qml`` + ``.sld`` of the same base name (QGIS
    applies a same-named ``.qml`` when the file opens). Field names are at most 10 characters:
    the interchange aliases of ``geo_risk.io.schema`` plus :data:`EXPORT_SHAPEFILE_ALIASES` for
    the registry fields that are not interchange fields; QGIS shows the full names as aliases.
    Text values longer than a DBF field's 254 bytes are cut at a character boundary (logged).
``geojson``
    RFC 7946 GeoJSON (``RFC7946=YES``: lon/lat WGS 84, counter-clockwise exterior rings).
``kml``
    KML 2.2 (GDAL's LIBKML driver: the ``name`` field becomes the placemark's name, the others
    ExtendedData). No style. Booleans are written as integers 1/0 (``xsd:int``): GDAL writes a
    boolean field as ``true``/``false``, which GDAL 3.6 (Debian 12, and the QGIS built on it) reads
    back as 0 with a warning. Integer columns are written as 32-bit integers (LIBKML writes 64-bit
    ones as text).
``fgb``
    FlatGeobuf with its spatial index.
``csv``
    CSV with a header, the geometry as WKT in the first column ``WKT`` (``GEOMETRY=AS_WKT``), a
    UTF-8 byte-order mark (so Excel and WPS open the Chinese text as UTF-8, not GBK), plus a
    ``.csvt`` of field types and a ``.prj`` of the CRS that GDAL reads back (HTTP sends the CSV only).

Layer names: a layer inside a file (a GeoPackage table, the name GeoJSON, KML and FlatGeobuf
carry) is named by its collection id (``hazard_sources``), whatever the file is called; a
Shapefile's layer is its file name.

Layers of both points and polygons (registry geometry "mixed"): GeoJSON, KML, FlatGeobuf and CSV
hold both in one layer. A Shapefile cannot, and a QGIS style draws one symbol type, so for
``shp`` and ``gpkg`` a layer that holds both is written as one layer per geometry type, named
``<name>_points`` and ``<name>_polygons`` (files ``<name>_points.shp`` … for ``shp``, tables in
the one GeoPackage for ``gpkg``), each with the style of its own type. A mixed layer that holds
one type only is written as one layer without a suffix (``hazard_sources``); an empty mixed layer
gets both (empty) parts, ready for either type.

Computed results (``risk_contours``): the layer's current results only (runs computed from the
store's current inputs); ``include_history=True`` exports every stored result, with its
``current`` flag.

Empty layers: GeoPackage, Shapefile, FlatGeobuf and CSV keep the field list and CRS without any
feature, so an empty layer is exported as a valid empty file. GeoJSON and KML describe fields
only through features; for them an empty layer is an :class:`EmptyLayer` error naming the
formats that work.
"""

from __future__ import annotations

import io
import logging
import shutil
import sqlite3
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.io.schema import SHAPEFILE_ALIASES, to_shapefile_name
from layers.qgis_styles import qml, sld
from layers.registry import REGISTRY, LayerDef, get_layer

__all__ = [
    "ExportFormat",
    "EXPORT_FORMATS",
    "EXPORT_SHAPEFILE_ALIASES",
    "EmptyLayer",
    "ExportedLayer",
    "shapefile_field_names",
    "read_export_frame",
    "export_layer",
    "export_archive",
    "describe",
    "write_gpkg_styles",
]

log = logging.getLogger(__name__)

CRS = "EPSG:4326"
#: Bytes a DBF text field holds (a UTF-8 Chinese character takes 3).
DBF_TEXT_BYTES = 254


@dataclass(frozen=True)
class ExportFormat:
    """An export format: its OGR driver, file suffix, HTTP media type and what it can carry."""

    key: str
    driver: str
    suffix: str
    media_type: str
    title: str
    styled: bool = False  # carries the QGIS style (and so splits mixed layers by geometry type)
    keeps_empty_schema: bool = True  # an empty layer still has its fields


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("gpkg", "GPKG", ".gpkg", "application/geopackage+sqlite3", "GeoPackage", styled=True),
        ExportFormat("shp", "ESRI Shapefile", ".shp", "application/zip", "Shapefile (zip)", styled=True),
        ExportFormat("geojson", "GeoJSON", ".geojson", "application/geo+json", "GeoJSON (RFC 7946)",
                     keeps_empty_schema=False),
        ExportFormat("kml", "LIBKML", ".kml", "application/vnd.google-earth.kml+xml", "KML",
                     keeps_empty_schema=False),
        ExportFormat("fgb", "FlatGeobuf", ".fgb", "application/flatgeobuf", "FlatGeobuf"),
        ExportFormat("csv", "CSV", ".csv", "text/csv", "CSV (geometry as WKT)"),
    )
}

#: Shapefile names (≤ 10 characters) of registry fields that are not interchange fields (those are
#: in ``geo_risk.io.schema.SHAPEFILE_ALIASES``) and are longer than 10 characters.
EXPORT_SHAPEFILE_ALIASES: dict[str, str] = {
    "enterprise_name": "ent_name",
    "main_substances": "main_subst",
    "approximate": "approx",
    "level_per_year": "ir_level",
    "level_label": "ir_label",
    "target_classes": "classes",
    "model_version": "model_ver",
    "register_label": "reg_label",
}


class EmptyLayer(InvalidInput):
    """The layer has no features and the format cannot describe its fields without any."""


@dataclass(frozen=True)
class ExportedLayer:
    """One data layer written: where, its name, its geometry kind, feature count and CRS."""

    path: Path
    layer: str
    geometry: str  # "point", "polygon" or "mixed"
    features: int
    crs: str


def shapefile_field_names(layer: LayerDef) -> dict[str, str]:
    """Registry field name → its ≤ 10-character Shapefile name, for ``layer``.

    Raises ValueError when a name is too long or two fields would share a name (a registry
    change that needs an entry in :data:`EXPORT_SHAPEFILE_ALIASES`).
    """
    out = {f: EXPORT_SHAPEFILE_ALIASES.get(f, to_shapefile_name(f)) for f in layer.fields}
    long = [f"{f} → {s}" for f, s in out.items() if len(s) > 10]
    if long:
        raise ValueError(f"layer {layer.id!r}: Shapefile names over 10 characters: {', '.join(long)}; "
                         "add them to geo_risk.export.EXPORT_SHAPEFILE_ALIASES")
    lowered = [s.lower() for s in out.values()]  # DBF names are compared case-insensitively
    if len(set(lowered)) != len(lowered):
        raise ValueError(f"layer {layer.id!r}: Shapefile field names are not unique: {sorted(out.values())}")
    return out


_clash = set(EXPORT_SHAPEFILE_ALIASES.values()) & (set(SHAPEFILE_ALIASES.values()) | set(SHAPEFILE_ALIASES))
assert not _clash, f"export aliases clash with interchange names: {_clash}"  # noqa: S101
for _layer in REGISTRY.values():  # every registered layer must have valid Shapefile names
    shapefile_field_names(_layer)


def _format(fmt: str) -> ExportFormat:
    try:
        return EXPORT_FORMATS[fmt.lower().lstrip(".")]
    except (KeyError, AttributeError):
        raise InvalidInput(
            f"unknown export format {fmt!r}; valid formats: {', '.join(EXPORT_FORMATS)}"
        ) from None


# -- reading --------------------------------------------------------------------------------------
def _column_kinds(url: str, table_name: str) -> dict[str, str]:
    """Column name → "int" / "bool" / "other" of a table or view (to keep NULL-able ints integers)."""
    from sqlalchemy import text

    from geo_risk.store.db import get_engine

    query = text("SELECT column_name, data_type FROM information_schema.columns "
                 "WHERE table_schema = current_schema() AND table_name = :t")
    with get_engine(url).connect() as conn:
        rows = conn.execute(query, {"t": table_name}).all()
    ints = {"smallint", "integer", "bigint"}
    return {name: "int" if dt in ints else "bool" if dt == "boolean" else "other" for name, dt in rows}


def read_export_frame(url: str, layer: LayerDef, include_history: bool = False) -> gpd.GeoDataFrame:
    """Every feature of ``layer``: its ``fields`` in registry order, then ``geometry`` (EPSG:4326).

    Integer and boolean columns with NULLs stay integer and boolean (pandas ``Int64``/``boolean``),
    so a grade is written as 1, not 1.0. ``include_history``: also results whose inputs changed
    since (layers of computed results only; see ``LayerDef.source``).
    """
    from geo_risk.store.read import read_layer

    source = layer.source(include_history)
    frame = read_layer(url, source, tuple(f for f in layer.fields if f != "id")).reset_index()
    kinds = _column_kinds(url, source)
    for name in layer.fields:
        if kinds.get(name) == "int":
            frame[name] = frame[name].astype("Int64")
        elif kinds.get(name) == "bool":
            frame[name] = frame[name].astype("boolean")
    frame = frame[[*layer.fields, "geometry"]]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


_KIND = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}
_PART_SUFFIX = {"point": "_points", "line": "_lines", "polygon": "_polygons"}
_OGR_TYPE = {"point": "Point", "line": "MultiLineString", "polygon": "MultiPolygon", "mixed": "Unknown"}


def _parts(layer: LayerDef, frame: gpd.GeoDataFrame, base: str, split: bool) -> list[tuple[str, str, gpd.GeoDataFrame]]:
    """(layer name, geometry kind, rows) of each layer to write.

    A mixed layer split by geometry type gets ``_points``/``_polygons`` suffixes only when it holds
    more than one type (or none: both empty parts); one type alone keeps ``base``.
    """
    if layer.geometry != "mixed":
        return [(base, layer.geometry, frame)]
    if not split:
        return [(base, "mixed", frame)]
    kinds = frame.geometry.geom_type.map(_KIND)
    if kinds.isna().any():  # the store's CHECK constraints allow none; never drop a feature silently
        raise InvalidInput(f"layer {layer.id!r} has geometry types no export part holds: "
                           f"{sorted(set(frame.geometry.geom_type[kinds.isna()].astype(str)))}")
    present = [k for k in ("point", "line", "polygon") if (kinds == k).any()]
    if len(present) == 1:
        return [(base, present[0], frame)]
    return [(base + _PART_SUFFIX[k], k, frame[(kinds == k).to_numpy()]) for k in present or ["point", "polygon"]]


def _kml_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Booleans as integers 1/0 and 64-bit integers as 32-bit ones, which every GDAL reads back from KML."""
    frame = frame.copy()
    for col in frame.columns:
        if col == "geometry":
            continue
        dtype = frame[col].dtype
        if pd.api.types.is_bool_dtype(dtype):
            frame[col] = frame[col].astype("Int32")
        elif pd.api.types.is_integer_dtype(dtype):
            values = frame[col].dropna()
            if values.empty or (values.abs() < 2**31).all():
                frame[col] = frame[col].astype("Int32")
    return frame


def _ogr_type(kind: str, frame: gpd.GeoDataFrame) -> tuple[str, bool]:
    """OGR geometry type to declare and whether to promote singles to multi."""
    if kind == "point" and (frame.geometry.geom_type == "MultiPoint").any():
        return "MultiPoint", True
    return _OGR_TYPE[kind], kind in ("line", "polygon")


def _cut_dbf_text(frame: pd.DataFrame, layer_id: str) -> pd.DataFrame:
    """Cut text values over :data:`DBF_TEXT_BYTES` UTF-8 bytes at a character boundary (logged)."""
    frame = frame.copy()
    for col in frame.columns:
        if col == "geometry" or not pd.api.types.is_string_dtype(frame[col]):
            continue
        long = frame[col].map(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > DBF_TEXT_BYTES)
        if long.any():
            log.warning("%s: %d value(s) of %s cut to %d bytes for the Shapefile", layer_id, int(long.sum()),
                        col, DBF_TEXT_BYTES)
            frame.loc[long, col] = frame.loc[long, col].map(
                lambda v: v.encode("utf-8")[:DBF_TEXT_BYTES].decode("utf-8", errors="ignore")
            )
    return frame


# -- writing --------------------------------------------------------------------------------------
def _target(out: Path, spec: ExportFormat, layer_id: str) -> Path:
    """The main file to write: ``out`` itself, ``out`` + suffix, or ``out/<layer><suffix>`` for a folder."""
    out = Path(out)
    if out.is_dir():
        return out / f"{layer_id}{spec.suffix}"
    if out.suffix == "":
        return out.with_suffix(spec.suffix)
    if out.suffix.lower() != spec.suffix:
        raise InvalidInput(f"output {str(out)!r} does not end in {spec.suffix!r}, the suffix of {spec.key} files")
    return out


_SHP_SIDE_FILES = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qml", ".sld", ".qix", ".sbn", ".sbx")


def _remove(paths: list[Path]) -> None:
    for p in paths:
        if p.is_dir():
            raise InvalidInput(f"{str(p)!r} is a folder; the export would overwrite it")
        p.unlink(missing_ok=True)


def write_gpkg_styles(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    """Store styles in the GeoPackage's ``layer_styles`` table, the way QGIS does.

    ``rows``: (table name, style name, QML, SLD, description) per data table. QGIS applies the
    row of a layer when it opens (and prefers it to a ``.qml`` beside the file) only when:

    - the table is laid out as QGIS writes it — f_table_catalog, f_table_schema, f_table_name,
      f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui,
      update_time — and registered in ``gpkg_contents`` (it is written here through GDAL, as
      QGIS itself does, so it is);
    - ``f_geometry_column`` is the real geometry column, read here from ``gpkg_geometry_columns``
      (``geom`` for files GDAL writes, not ``geometry``);
    - ``f_table_catalog`` and ``f_table_schema`` are empty strings, not NULL;
    - ``update_time`` is ISO 8601 (``YYYY-MM-DDTHH:MM:SS.sssZ``; GDAL warns of non-conformant
      content otherwise) and ``useAsDefault`` is 1 (it picks the row when there are several).
    """
    import pyogrio

    with closing(sqlite3.connect(path)) as conn:
        geom_cols = dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    now = pd.Timestamp(datetime.now(UTC)).floor("ms")
    table = pd.DataFrame(
        {
            "f_table_catalog": ["" for _ in rows],
            "f_table_schema": ["" for _ in rows],
            "f_table_name": [r[0] for r in rows],
            "f_geometry_column": [geom_cols[r[0]] for r in rows],
            "styleName": [r[1] for r in rows],
            "styleQML": [r[2] for r in rows],
            "styleSLD": [r[3] for r in rows],
            "useAsDefault": pd.array([True for _ in rows], dtype="boolean"),
            "description": [r[4] for r in rows],
            "owner": ["" for _ in rows],
            "ui": ["" for _ in rows],
            "update_time": pd.Series([now for _ in rows], dtype="datetime64[ms, UTC]"),
        }
    )
    pyogrio.write_dataframe(table, path, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"})


def export_layer(url: str, layer_id: str, fmt: str, out: Path, include_history: bool = False) -> list[Path]:
    """Export every feature of layer ``layer_id`` from the store at ``url`` as ``fmt``; return the files.

    ``out`` is the file to write (its suffix must be the format's, or is added when missing) or a
    folder (the file is then ``<layer_id><suffix>`` in it). Existing files of the same names are
    replaced. The data files come first in the returned list, then their side files (``.cpg``,
    ``.prj``, ``.qml``, ``.sld``, ``.csvt``). See the module docstring for what each format holds.

    Access control is the caller's job (this function exports any layer). ``include_history``:
    also the results whose inputs changed since (``risk_contours``); by default current ones only.

    Raises
    ------
    geo_risk.errors.InvalidInput
        An unknown format (naming the valid ones), an output path of another format's suffix, or
        (:class:`EmptyLayer`) an empty layer in a format that cannot carry its fields.
    geo_risk.errors.NotFound
        An unknown layer (naming the registered ones).
    """
    import pyogrio

    spec = _format(fmt)
    layer = get_layer(layer_id)
    target = _target(out, spec, layer.id)
    frame = read_export_frame(url, layer, include_history)
    if frame.empty and not spec.keeps_empty_schema:
        raise EmptyLayer(
            f"layer {layer.id!r} has no features, and {spec.title} describes fields only through features; "
            f"export it as {', '.join(k for k, f in EXPORT_FORMATS.items() if f.keeps_empty_schema)} "
            "to get an empty file with its fields and CRS"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Layers inside a file are named by the collection id; a Shapefile's layer is its file name.
    base = target.stem if spec.key == "shp" else layer.id
    parts = _parts(layer, frame, base, split=spec.styled)
    written: list[Path] = []
    side: list[Path] = []
    title = f"{layer.title_zh} {layer.title_en}"

    if spec.key == "gpkg":
        _remove([target])
        styles = []
        for i, (name, kind, part) in enumerate(parts):
            geometry_type, promote = _ogr_type(kind, part)
            pyogrio.write_dataframe(
                part, target, layer=name, driver="GPKG", geometry_type=geometry_type, promote_to_multi=promote,
                dataset_options={"VERSION": "1.2"} if i == 0 else None,  # a dataset option, read at creation
                layer_options={"GEOMETRY_NAME": "geom", "DESCRIPTION": title},
            )
            styles.append((name, name, qml(layer, kind), sld(layer, kind, layer_name=name), f"{title} — geo_risk"))
        write_gpkg_styles(target, styles)
        written.append(target)

    elif spec.key == "shp":
        names = shapefile_field_names(layer)
        # Every file an export of this name can write, so no part of an earlier export is left over.
        stems = [base] + ([base + s for s in _PART_SUFFIX.values()] if layer.geometry == "mixed" else [])
        _remove([target.with_name(stem + s) for stem in stems for s in _SHP_SIDE_FILES])
        for name, kind, part in parts:
            path = target.with_name(name + ".shp")
            geometry_type, promote = _ogr_type(kind, part)
            renamed = _cut_dbf_text(part.rename(columns=names), layer.id)
            pyogrio.write_dataframe(
                renamed, path, driver="ESRI Shapefile", geometry_type=geometry_type, promote_to_multi=promote,
                encoding="UTF-8",  # writes the .cpg; GDAL then writes and reads the DBF as UTF-8
            )
            path.with_suffix(".qml").write_text(qml(layer, kind, names), encoding="utf-8")
            path.with_suffix(".sld").write_text(sld(layer, kind, names, layer_name=name), encoding="utf-8")
            written.append(path)
            side += [p for s in (".shx", ".dbf", ".cpg", ".prj", ".qml", ".sld")
                     if (p := path.with_suffix(s)).exists()]

    else:
        (name, kind, part), = parts
        options: dict[str, str] = {}
        extra: tuple[str, ...] = ()
        if spec.key == "geojson":
            options = {"RFC7946": "YES"}
        elif spec.key == "csv":
            options = {"GEOMETRY": "AS_WKT", "CREATE_CSVT": "YES", "WRITE_BOM": "YES"}
            extra = (".csvt", ".prj")
        elif spec.key == "kml":
            part = _kml_columns(part)
        _remove([target, *(target.with_suffix(s) for s in extra)])
        geometry_type, promote = _ogr_type(kind, part)
        pyogrio.write_dataframe(
            part, target, layer=name, driver=spec.driver, geometry_type=geometry_type,
            promote_to_multi=promote if spec.key == "fgb" else False, layer_options=options or None,
        )
        written.append(target)
        side += [p for s in extra if (p := target.with_suffix(s)).exists()]
    return written + side


def describe(paths: list[Path]) -> list[ExportedLayer]:
    """What GDAL reads back from the data files among ``paths``: layers, feature counts, CRS."""
    import pyogrio

    data_suffixes = {f.suffix for f in EXPORT_FORMATS.values()}
    out: list[ExportedLayer] = []
    for path in paths:
        if path.suffix.lower() not in data_suffixes:
            continue
        for name, geometry_type in pyogrio.list_layers(path):
            if geometry_type is None:  # the GeoPackage's layer_styles table
                continue
            info = pyogrio.read_info(path, layer=name, force_feature_count=True)
            kind = {"Point": "point", "MultiPoint": "point", "Polygon": "polygon", "MultiPolygon": "polygon"}.get(
                str(info["geometry_type"]).replace(" Z", ""), "mixed"
            )
            out.append(ExportedLayer(path, str(name), kind, int(info["features"]), str(info["crs"])))
    return out


def export_archive(url: str, layer_id: str, fmt: str, include_history: bool = False) -> tuple[bytes, str, str]:
    """The export of ``layer_id`` as one download: (content, media type, file name).

    ``shp``: a zip (``<layer>.shp.zip``) of every file written (``.shp .shx .dbf .prj .cpg .qml
    .sld``, twice for a mixed layer); ``gpkg``: the GeoPackage alone (its style is inside); the
    others: the single data file (a CSV's CRS is EPSG:4326 lon/lat, as documented; its ``.prj``
    and ``.csvt`` are not sent). Written in a temporary folder, removed before returning.

    Access control is the caller's job. ``include_history`` as in :func:`export_layer`. Raises as
    :func:`export_layer`.
    """
    spec = _format(fmt)
    layer = get_layer(layer_id)
    tmp = Path(tempfile.mkdtemp(prefix="geo_risk_export_"))
    try:
        paths = export_layer(url, layer.id, spec.key, tmp / f"{layer.id}{spec.suffix}", include_history)
        if spec.key == "shp":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(paths):
                    zf.write(p, arcname=p.name)
            return buf.getvalue(), spec.media_type, f"{layer.id}.shp.zip"
        return paths[0].read_bytes(), spec.media_type, f"{layer.id}{spec.suffix}"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
