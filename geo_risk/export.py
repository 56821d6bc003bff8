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
    A DBF text field holds 254 bytes (84 Chinese characters): nothing is lost silently. A longer
    value is cut at a character boundary and ends in "…" in the DBF, and its full text goes to a
    CSV beside the Shapefile, ``<name>.long_text.csv`` (UTF-8 with a byte-order mark; columns
    ``fid`` — the feature's number in the Shapefile, from 0 —, ``id`` — the layer's id —,
    ``field`` — the Shapefile field name —, ``field_name`` — the full name — and ``text``), listed
    with the written files and logged. A GeoPackage keeps every text whole.
``geojson``
    RFC 7946 GeoJSON (``RFC7946=YES``: lon/lat WGS 84, counter-clockwise exterior rings).
``kml``
    KML 2.2 (GDAL's LIBKML driver: the ``name`` field becomes the placemark's name, the others
    ExtendedData). No style. Booleans are written as integers 1/0 (``xsd:int``): GDAL writes a
    boolean field as ``true``/``false``, which GDAL 3.6 (Debian 12, and the QGIS built on it) reads
    back as 0 with a warning. Integer columns are written as 32-bit integers (LIBKML writes 64-bit
    ones as text).
``fgb``
    FlatGeobuf, with its spatial index up to :data:`FGB_INDEX_MAX_FEATURES` features; GDAL builds
    that index in memory (about 200 MB per million features), so a larger layer is written
    without one to keep memory flat — readers then scan it (QGIS still opens it).
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

import csv
import logging
import shutil
import sqlite3
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    "Download",
    "export_layer",
    "export_download",
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
for _long, _short in {"member_names": "mem_names", "lead_enterprise_id": "lead_id", "lead_enterprise_name": "lead_name",
                      "lead_reason": "lead_why", "worst_colour": "worst_col", "enterprise_a": "ent_a",
                      "enterprise_a_name": "ent_a_name", "enterprise_b": "ent_b", "enterprise_b_name": "ent_b_name",
                      "equipment_class": "equip_cls", "evidence_count": "evidence"}.items():  # cluster layers
    EXPORT_SHAPEFILE_ALIASES.setdefault(_long, _short)
for _long, _short in {"target_name": "tgt_name", "target_class": "tgt_class", "class_label": "cls_label",
                      "actual_distance_m": "actual_m", "required_distance_m": "required_m", "shortfall_m": "short_m",
                      "ir_per_year": "ir", "criterion_per_year": "criterion", "cumulative_ir_per_year": "cum_ir",
                      "people_affected": "people_aff", "colour_label": "col_label", "target_layer": "tgt_layer",
                      "target_kind": "tgt_kind", "max_shortfall_m": "max_short", "max_ir_ratio": "max_ir_rat",
                      "enterprises": "ents"}.items():  # the conflict layers (issue 12)
    EXPORT_SHAPEFILE_ALIASES.setdefault(_long, _short)
for _long, _short in {"colour_label": "col_label", "basis_label": "basis_lbl", "worst_unit_colour": "unit_col",
                      "target_ir_colour": "tgt_ir_col"}.items():  # the zoning layers (issue 12)
    EXPORT_SHAPEFILE_ALIASES.setdefault(_long, _short)
for _long, _short in {"outcome_label": "outcome_lb", "decision_rule": "dec_rule", "in_scope_reasons": "in_scope",
                      "density_per_km2": "dens_km2", "distance_km": "dist_km", "new_site_people": "new_people",
                      "new_site_targets": "new_tgts", "upgrade_offered": "upg_offer"}.items():  # relocation (issue 14)
    EXPORT_SHAPEFILE_ALIASES.setdefault(_long, _short)
for _long, _short in {"n_major_overdue": "n_maj_late", "n_supervised": "n_superv", "worst_level": "worst_lvl",
                      "next_deadline": "next_due"}.items():  # the hidden-danger layers (issue 15)
    EXPORT_SHAPEFILE_ALIASES.setdefault(_long, _short)

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
#: Largest layer written to FlatGeobuf with a spatial index (GDAL holds the index in memory).
FGB_INDEX_MAX_FEATURES = 100_000
#: Rows per batch read from the store and written to the file: memory holds one batch, whatever
#: the layer's size (a 20,000-row batch of residential polygons is a few MB).
BATCH_ROWS = 20_000


def _arrow_schema(layer: LayerDef, kinds: dict[str, str], names: dict[str, str], kml: bool) -> Any:
    """The Arrow schema of the written rows: each field by its store kind, then the ``wkb`` geometry.

    KML (LIBKML) reads back neither booleans nor 64-bit integers: both are written as 32-bit
    integers there (booleans 1/0).
    """
    import pyarrow as pa

    types = {"int": pa.int32() if kml else pa.int64(), "bool": pa.int32() if kml else pa.bool_(),
             "float": pa.float64(), "timestamptz": pa.timestamp("ms", tz="UTC"), "timestamp": pa.timestamp("ms"),
             "date": pa.date32(), "text": pa.string()}
    return pa.schema([pa.field(names.get(f, f), types[kinds.get(f, "text")]) for f in layer.fields]
                     + [pa.field("wkb", pa.binary())])


def _batches(url: str, source: str, layer: LayerDef, kinds: dict[str, str], schema: Any, *,
             only_types: tuple[str, ...] | None, multi: bool, names: dict[str, str],
             long_text: _LongText | None = None) -> Any:
    """A RecordBatchReader over the rows of one written part, batch by batch from the store; with
    ``long_text`` (a Shapefile), texts too long for a DBF field are cut and kept whole there."""
    import pyarrow as pa

    from geo_risk.store.read import iter_layer_wkb

    def column(values: list, field: Any, registry_name: str, fids: range, ids: list | None) -> Any:
        if pa.types.is_int32(field.type):  # KML: booleans as 1/0 and integers as 32-bit
            return pa.array([None if v is None else int(v) for v in values], type=pa.int64()).cast(field.type)
        if long_text is not None and pa.types.is_string(field.type):
            values = _cut_dbf_values(values, field.name, layer.id, keep=lambda k, v: long_text.add(
                fids[k], None if ids is None else ids[k], field.name, registry_name, v))
        return pa.array(values, type=field.type)

    def gen() -> Any:
        fid = 0
        for batch in iter_layer_wkb(url, source, layer.fields, kinds, only_types=only_types, multi=multi,
                                    batch_rows=BATCH_ROWS):
            n = len(batch["wkb"])
            fids, ids = range(fid, fid + n), batch.get("id")
            fid += n
            values = [batch[f] for f in layer.fields] + [batch["wkb"]]
            yield pa.RecordBatch.from_arrays(
                [column(v, f, name, fids, ids) for v, f, name in zip(values, schema, [*layer.fields, "wkb"],
                                                                       strict=True)], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, gen())


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


_TYPES_OF = {"point": ("Point", "MultiPoint"), "line": ("LineString", "MultiLineString"),
             "polygon": ("Polygon", "MultiPolygon")}


def _parts(layer: LayerDef, counts: dict[str, int], base: str, split: bool) -> list[tuple[str, str, tuple | None]]:
    """(layer name, geometry kind, the geometry types it holds or None for all) of each layer to write.

    ``counts``: rows per geometry type in the store. A mixed layer split by geometry type gets
    ``_points``/``_polygons`` suffixes only when it holds more than one type (or none: both empty
    parts); one type alone keeps ``base``.
    """
    if layer.geometry != "mixed":
        return [(base, layer.geometry, None)]
    if not split:
        return [(base, "mixed", None)]
    unknown = sorted(t for t in counts if _KIND.get(t) is None)
    if unknown:  # the store's CHECK constraints allow none; never drop a feature silently
        raise InvalidInput(f"layer {layer.id!r} has geometry types no export part holds: {unknown}")
    present = [k for k in ("point", "line", "polygon") if any(_KIND[t] == k for t in counts)]
    if len(present) == 1:
        return [(base, present[0], None)]
    return [(base + _PART_SUFFIX[k], k, _TYPES_OF[k]) for k in present or ["point", "polygon"]]


def _ogr_type(kind: str, counts: dict[str, int]) -> tuple[str, bool]:
    """OGR geometry type to declare for a part of ``kind`` and whether to make singles multi (ST_Multi)."""
    if kind == "point":
        return ("MultiPoint", True) if counts.get("MultiPoint") else ("Point", False)
    return _OGR_TYPE[kind], kind in ("line", "polygon")


#: What a cut DBF value ends in, so a reader of the Shapefile sees it is not whole.
CUT_MARK = "…"


def _cut_dbf_values(values: list, name: str, layer_id: str, keep: Any = None) -> list:
    """Text values over :data:`DBF_TEXT_BYTES` UTF-8 bytes cut at a character boundary and ended by
    :data:`CUT_MARK` (within the bytes); ``keep(k, full_text)`` is called for each value ``k`` cut (logged)."""
    out, cut = [], 0
    room = DBF_TEXT_BYTES - len(CUT_MARK.encode("utf-8"))
    for k, v in enumerate(values):
        if isinstance(v, str) and len(raw := v.encode("utf-8")) > DBF_TEXT_BYTES:
            if keep is not None:
                keep(k, v)
            v = raw[:room].decode("utf-8", errors="ignore") + CUT_MARK
            cut += 1
        out.append(v)
    if cut:
        log.warning("%s: %d value(s) of %s longer than the %d bytes of a DBF field: cut in the Shapefile%s",
                    layer_id, cut, name, DBF_TEXT_BYTES, ", whole in its .long_text.csv" if keep else "")
    return out


class _LongText:
    """The full texts of the values a Shapefile's DBF cuts, written to ``<name>.long_text.csv`` beside it
    (opened at the first such value: no file when every text fits)."""

    COLUMNS = ("fid", "id", "field", "field_name", "text")

    def __init__(self, shp: Path) -> None:
        self.path = shp.with_name(shp.stem + ".long_text.csv")
        self._file: Any = None
        self._writer: Any = None
        self.rows = 0

    def add(self, fid: int, feature_id: Any, field: str, field_name: str, text: str) -> None:
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.COLUMNS)
        self._writer.writerow((fid, "" if feature_id is None else feature_id, field, field_name, text))
        self.rows += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None


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

    from geo_risk.store.read import column_kinds, geometry_types

    spec = _format(fmt)
    layer = get_layer(layer_id)
    target = _target(out, spec, layer.id)
    source = layer.source(include_history)
    kinds = column_kinds(url, source)
    counts = geometry_types(url, source)
    if not counts and not spec.keeps_empty_schema:
        raise EmptyLayer(
            f"layer {layer.id!r} has no features, and {spec.title} describes fields only through features; "
            f"export it as {', '.join(k for k, f in EXPORT_FORMATS.items() if f.keeps_empty_schema)} "
            "to get an empty file with its fields and CRS"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Layers inside a file are named by the collection id; a Shapefile's layer is its file name.
    base = target.stem if spec.key == "shp" else layer.id
    parts = _parts(layer, counts, base, split=spec.styled)
    names = shapefile_field_names(layer) if spec.key == "shp" else {}
    schema = _arrow_schema(layer, kinds, names, kml=spec.key == "kml")
    written: list[Path] = []
    side: list[Path] = []
    title = f"{layer.title_zh} {layer.title_en}"

    def write(path: Path, name: str, kind: str, only: tuple | None, promote: bool = True,
              long_text: _LongText | None = None, **options: Any) -> None:
        geometry_type, multi = _ogr_type(kind, counts)
        multi = multi and promote
        reader = _batches(url, source, layer, kinds, schema, only_types=only, multi=multi, names=names,
                          long_text=long_text)
        pyogrio.write_arrow(reader, path, layer=name, driver=spec.driver, geometry_name="wkb",
                            geometry_type=geometry_type, crs=CRS, **options)

    if spec.key == "gpkg":
        _remove([target])
        styles = []
        for i, (name, kind, only) in enumerate(parts):
            write(target, name, kind, only, dataset_options={"VERSION": "1.2"} if i == 0 else None,
                  layer_options={"GEOMETRY_NAME": "geom", "DESCRIPTION": title})
            styles.append((name, name, qml(layer, kind), sld(layer, kind, layer_name=name), f"{title} — geo_risk"))
        write_gpkg_styles(target, styles)
        written.append(target)

    elif spec.key == "shp":
        # Every file an export of this name can write, so no part of an earlier export is left over.
        stems = [base] + ([base + s for s in _PART_SUFFIX.values()] if layer.geometry == "mixed" else [])
        _remove([target.with_name(stem + s) for stem in stems for s in (*_SHP_SIDE_FILES, ".long_text.csv")])
        for name, kind, only in parts:
            path = target.with_name(name + ".shp")
            long_text = _LongText(path)
            try:  # encoding: writes the .cpg; GDAL then writes the DBF as UTF-8
                write(path, name, kind, only, long_text=long_text, encoding="UTF-8")
            finally:
                long_text.close()
            path.with_suffix(".qml").write_text(qml(layer, kind, names), encoding="utf-8")
            path.with_suffix(".sld").write_text(sld(layer, kind, names, layer_name=name), encoding="utf-8")
            written.append(path)
            side += [p for s in (".shx", ".dbf", ".cpg", ".prj", ".qml", ".sld")
                     if (p := path.with_suffix(s)).exists()] + ([long_text.path] if long_text.rows else [])

    else:
        (name, kind, only), = parts
        options: dict[str, str] = {}
        extra: tuple[str, ...] = ()
        if spec.key == "geojson":
            options = {"RFC7946": "YES"}
        elif spec.key == "fgb" and sum(counts.values()) > FGB_INDEX_MAX_FEATURES:
            options = {"SPATIAL_INDEX": "NO"}
        elif spec.key == "csv":
            options = {"GEOMETRY": "AS_WKT", "CREATE_CSVT": "YES", "WRITE_BOM": "YES"}
            extra = (".csvt", ".prj")
        _remove([target, *(target.with_suffix(s) for s in extra)])
        # singles are made multi where the declared type needs it: FlatGeobuf checks; the text formats keep them
        write(target, name, kind, only, promote=spec.key == "fgb", layer_options=options or None)
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


@dataclass(frozen=True)
class Download:
    """An export written to disk, ready to send: the file, its media type and download name.

    ``folder`` is the temporary folder that holds it: remove it once sent (:meth:`remove`).
    """

    path: Path
    media_type: str
    filename: str
    folder: Path

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def export_download(url: str, layer_id: str, fmt: str, include_history: bool = False) -> Download:
    """The export of ``layer_id`` as one file to send, written in a temporary folder.

    ``shp``: a zip (``<layer>.shp.zip``) of every file written (``.shp .shx .dbf .prj .cpg .qml
    .sld``, twice for a mixed layer); ``gpkg``: the GeoPackage alone (its style is inside); the
    others: the single data file (a CSV's CRS is EPSG:4326 lon/lat, as documented; its ``.prj``
    and ``.csvt`` are not sent). Rows stream from the store to the file in batches of
    :data:`BATCH_ROWS` and the zip is written to disk, so memory stays flat whatever the layer's
    size. The caller sends ``path`` and then calls :meth:`Download.remove`.

    Access control is the caller's job. ``include_history`` as in :func:`export_layer`. Raises as
    :func:`export_layer` (the temporary folder is removed then).
    """
    spec = _format(fmt)
    layer = get_layer(layer_id)
    tmp = Path(tempfile.mkdtemp(prefix="geo_risk_export_"))
    try:
        paths = export_layer(url, layer.id, spec.key, tmp / "data" / f"{layer.id}{spec.suffix}", include_history)
        if spec.key == "shp":
            archive = tmp / f"{layer.id}.shp.zip"
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in sorted(paths):
                    zf.write(p, arcname=p.name)
            return Download(archive, spec.media_type, archive.name, tmp)
        return Download(paths[0], spec.media_type, f"{layer.id}{spec.suffix}", tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
