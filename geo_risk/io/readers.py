"""Find the interchange layers in a path and stream them in chunks.

A path is a GeoPackage (its layers named as the interchange format), a folder of per-layer files
(``enterprises.geojson``, ``residential_areas.shp``, ``inventory.csv`` …), or one such file.
Spatial formats are read by pyogrio as Arrow record batches, so a million-row layer is never held
in memory at once; CSV is read by pandas in chunks, with ``lon``/``lat`` columns or a WKT column.
Encodings: a Shapefile's ``.cpg`` is honoured by GDAL; ``encoding`` overrides it (GBK/GB18030
files from Chinese sources often need ``--encoding gb18030``).

A file that cannot be read — empty, truncated, corrupted, not the format its suffix says, or text
not in the encoding it is read in — is an :class:`InvalidInput` naming the file (its own name,
never the folder it was put in) and what to do, not a GDAL, Arrow or pandas error.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.errors
import shapely
from numpy.typing import NDArray

from geo_risk.errors import InvalidInput
from geo_risk.io.schema import LAYERS

__all__ = ["LayerSource", "Chunk", "discover", "read_chunks", "unreadable"]

SPATIAL_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".geojsonl", ".geojsons")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


@dataclass(frozen=True)
class LayerSource:
    """Where one interchange layer is read from."""

    layer: str  # interchange layer name
    path: Path
    file_layer: str | None = None  # layer name inside the file (GeoPackage)

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.file_layer}" if self.file_layer else self.path.name


@dataclass
class Chunk:
    """A chunk of rows as read: attributes, geometries (source CRS) and the 1-based first row."""

    attrs: pd.DataFrame
    geoms: NDArray | None
    first_row: int
    wkb: NDArray | None = None  # the file's own WKB of each geometry, when read from a spatial format


_FORMATS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
            ".fgb": "FlatGeobuf", ".geojsonl": "GeoJSON sequence", ".geojsons": "GeoJSON sequence", ".csv": "CSV"}
#: What GDAL, Arrow and pandas raise for a file they cannot read (the file's fault, not ours).
_FILE_ERRORS = (
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
    pyogrio.errors.FeatureError, pyogrio.errors.GeometryError, pyogrio.errors.CRSError,
    pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
)


@contextlib.contextmanager
def unreadable(path: Path, encoding: str | None = None) -> Iterator[None]:
    """Turn a reader's error about the file at ``path`` into an InvalidInput naming the file.

    The message gives the file's name only (an upload's folder is a server path) and says what to
    do: pass ``encoding`` for text that is not UTF-8, send the whole file for a damaged one.
    An ``encoding`` no codec has is refused first.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(
                f"encoding {encoding!r} is not a known text encoding: give e.g. gb18030, gbk or utf-8"
            ) from None
    try:
        yield
    except _FILE_ERRORS as exc:
        raise InvalidInput(_unreadable_message(Path(path), encoding, exc)) from None


def _unreadable_message(path: Path, encoding: str | None, exc: Exception) -> str:
    name = path.name
    kind = _FORMATS.get(path.suffix.lower(), "interchange")
    text = str(exc)
    if isinstance(exc, UnicodeDecodeError) or (isinstance(exc, pa.ArrowException) and _is_encoding_error(text)):
        if encoding:
            return f"{name}: its text cannot be read as {encoding}: pass the encoding the file was written in"
        if kind == "Shapefile" and not path.with_suffix(".cpg").exists():
            return (
                f"{name}: its text is not UTF-8 and no .cpg file says its encoding; Chinese Shapefiles are "
                f"usually GBK/GB18030: pass encoding=gb18030 (geo-risk load --encoding gb18030), or add "
                f"{path.with_suffix('.cpg').name} holding the encoding's name"
            )
        return f"{name}: its text is not UTF-8: pass the file's encoding, e.g. encoding=gb18030 for GBK/GB18030"
    if isinstance(exc, pd.errors.EmptyDataError) or (path.exists() and path.stat().st_size == 0):
        return f"{name}: the file is empty"
    if "not recognized as being in a supported file format" in text or "not recognised" in text:
        return f"{name}: not a readable {kind} file (the wrong format for its suffix, or damaged)"
    if "malformed" in text or "not a database" in text or "corrupt" in text.lower():
        return f"{name}: the {kind} file is damaged (truncated or corrupted): copy or export it again"
    detail = _without_paths(text.split("\n")[0], path)
    return f"{name}: cannot be read as {kind}: {detail}"


def _is_encoding_error(text: str) -> bool:
    return "utf-8" in text.lower() or "utf8" in text.lower() or "Wrapping" in text


def _without_paths(text: str, path: Path) -> str:
    """``text`` with the file's folder removed from any path it quotes (an upload's folder is a server path)."""
    text = text.replace(str(path.parent) + "/", "")
    return re.sub(r"(?<![\w.])/(?:[^\s/'\"]+/)+", "", text)


def _layer_for(stem: str, explicit: str | None) -> str | None:
    name = explicit or stem.lower()
    return name if name in LAYERS else None


def discover(path: Path, layer: str | None = None) -> list[LayerSource]:
    """The interchange layers found at ``path``.

    Raises
    ------
    InvalidInput
        When the path does not exist or holds no layer with an interchange name.
    """
    path = Path(path)
    if layer is not None and layer not in LAYERS:
        raise InvalidInput(f"--layer {layer!r} is not an interchange layer; valid: {', '.join(LAYERS)}")
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    found: list[LayerSource] = []
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.suffix.lower() == ".gpkg":
                found.extend(discover(f))
            elif f.suffix.lower() in (*SPATIAL_SUFFIXES, ".csv"):
                name = _layer_for(f.stem, None)
                if name:
                    found.append(LayerSource(name, f))
    elif path.suffix.lower() == ".gpkg":
        with unreadable(path):
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if layer:
            if layer in names:
                found.append(LayerSource(layer, path, layer))
            elif len(names) == 1:
                found.append(LayerSource(layer, path, names[0]))
        else:
            found.extend(LayerSource(n, path, n) for n in names if n in LAYERS)
    elif path.suffix.lower() in (*SPATIAL_SUFFIXES, ".csv"):
        name = _layer_for(path.stem, layer)
        if name:
            found.append(LayerSource(name, path))
    else:
        raise InvalidInput(
            f"{path.name}: unsupported file type {path.suffix!r}; load a GeoPackage, GeoJSON, Shapefile, "
            f"FlatGeobuf or CSV"
        )
    if not found:
        raise InvalidInput(
            f"{path} holds no interchange layer: name the layers (or files) {', '.join(LAYERS)}, "
            f"or pass --layer to say which layer a single file is"
        )
    seen: dict[str, LayerSource] = {}
    for src in found:
        if src.layer in seen:
            raise InvalidInput(f"layer {src.layer!r} is given twice: {seen[src.layer].label} and {src.label}")
        seen[src.layer] = src
    return found


def count_rows(src: LayerSource, encoding: str | None = None) -> int:
    """Number of features (rows) of a layer, for progress reporting."""
    if src.is_csv:
        with open(src.path, "rb") as f:
            lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        return max(lines - 1, 0)
    with unreadable(src.path, encoding):
        info = pyogrio.read_info(src.path, layer=src.file_layer, encoding=encoding)
    return int(info["features"])


def file_crs(src: LayerSource, encoding: str | None = None) -> str | None:
    """The CRS the file declares (WKT or 'EPSG:n'), or None."""
    if src.is_csv:
        return None
    with unreadable(src.path, encoding):
        return pyogrio.read_info(src.path, layer=src.file_layer, encoding=encoding)["crs"]


def _csv_chunks(src: LayerSource, chunk_rows: int, encoding: str | None) -> Iterator[Chunk]:
    first = 1
    reader = pd.read_csv(
        src.path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        chunksize=chunk_rows,
        encoding=encoding or "utf-8-sig",
    )
    spec = LAYERS[src.layer]
    for frame in reader:
        frame.columns = [str(c).strip() for c in frame.columns]
        lower = {c.lower(): c for c in frame.columns}
        geoms: NDArray | None = None
        if spec.geometry is not None:
            lon = next((lower[n] for n in LON_NAMES if n in lower), None)
            lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
            wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
            if lon and lat:
                x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(float)
                y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(float)
                geoms = np.where(np.isnan(x) | np.isnan(y), None, shapely.points(x, y))
                frame = frame.drop(columns=[lon, lat])
            elif wkt:
                text = frame[wkt].to_numpy(dtype=object)
                geoms = shapely.from_wkt(text, on_invalid="ignore")
                frame = frame.drop(columns=[wkt])
            else:
                raise InvalidInput(
                    f"{src.path.name}: layer {src.layer!r} needs a geometry: give lon and lat columns "
                    f"or a WKT column named one of {', '.join(WKT_NAMES)}"
                )
        yield Chunk(frame.reset_index(drop=True), geoms, first)
        first += len(frame)


def csv_has_lonlat(src: LayerSource, encoding: str | None = None) -> bool:
    """Whether a CSV carries lon/lat columns (then WGS 84 is assumed when no --crs is given)."""
    with unreadable(src.path, encoding):
        header = pd.read_csv(src.path, nrows=0, encoding=encoding or "utf-8-sig").columns
    lower = {str(c).strip().lower() for c in header}
    return any(n in lower for n in LON_NAMES) and any(n in lower for n in LAT_NAMES)


def _ogr_chunks(src: LayerSource, chunk_rows: int, encoding: str | None) -> Iterator[Chunk]:
    first = 1
    spec = LAYERS[src.layer]
    with pyogrio.open_arrow(
        src.path,
        layer=src.file_layer,
        encoding=encoding,
        batch_size=chunk_rows,
        use_pyarrow=True,
        read_geometry=spec.geometry is not None,
    ) as (meta, reader):
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        for batch in reader:
            # GDAL hands a Shapefile's bytes over as they are when no .cpg names the encoding: text
            # that is not UTF-8 must fail here, naming the file, not later in pandas.
            batch.validate(full=True)
            frame = batch.to_pandas()
            geoms = wkb = None
            if geom_col in frame.columns:
                wkb = frame.pop(geom_col).to_numpy(dtype=object)
                geoms = shapely.from_wkb(wkb, on_invalid="ignore")
            yield Chunk(frame, geoms, first, wkb)
            first += len(frame)


def read_chunks(src: LayerSource, chunk_rows: int = 50_000, encoding: str | None = None) -> Iterator[Chunk]:
    """Stream a layer in chunks of at most ``chunk_rows`` rows.

    Raises
    ------
    InvalidInput
        Naming the file when it cannot be read (damaged, not its format, text not in ``encoding``).
    """
    with unreadable(src.path, encoding):
        if src.is_csv:
            yield from _csv_chunks(src, chunk_rows, encoding)
        else:
            yield from _ogr_chunks(src, chunk_rows, encoding)
