"""Row validation of an interchange layer chunk, vectorised with pandas and shapely 2.

:func:`validate_chunk` takes the attributes and geometries of a chunk as read, in the source CRS,
and returns the rows ready for the store (typed values, EPSG:4326 geometry) with every problem
found: missing or ill-typed values, unknown enum values, negative or absurd numbers, missing,
empty or invalid geometries, geometry types the layer does not take, coordinates out of range or
apparently swapped. Invalid polygons are repaired with ``make_valid`` when the repair keeps the
area within :data:`REPAIR_AREA_TOLERANCE`, reported as a warning; otherwise rejected.

Checks across rows (duplicate ids, references to other layers) need the whole load and are done
in the store by :mod:`geo_risk.store.loader`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo_risk.errors import InvalidInput, Problem
from geo_risk.io.crs import CHINA_EXTENT, SourceCRS, to_wgs84
from geo_risk.io.schema import FieldSpec, LayerSpec, from_shapefile_name, to_shapefile_name

__all__ = ["ValidatedChunk", "validate_chunk", "REPAIR_AREA_TOLERANCE", "normalise_columns"]

#: A repair by make_valid is accepted when it changes the polygon's area by at most this fraction.
REPAIR_AREA_TOLERANCE = 0.01

_TRUE = {"true", "t", "1", "yes", "y", "是", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "0.0"}
_POLY_TYPES = {"Polygon", "MultiPolygon"}
_TYPE_NAMES = np.array(
    ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
     "GeometryCollection"], dtype=object,
)


@dataclass
class ValidatedChunk:
    """Rows ready for the store and the problems found (errors reject the whole load)."""

    rows: pd.DataFrame  # interchange columns typed, plus ``_row``, ``extra`` (JSON) and ``geom`` (EWKB hex)
    problems: list[Problem]
    bad: NDArray[np.bool_]  # rows with at least one error


def normalise_columns(columns: list[str], spec: LayerSpec) -> dict[str, str]:
    """Map a file's column names to the interchange names of ``spec``.

    Case-insensitive; Shapefile aliases (``ent_id`` → ``enterprise_id``); and the names GDAL
    makes by cutting a long name at 10 characters (``industry_c`` → ``industry_code``) where the
    cut is unambiguous within the layer. Other columns keep their name and go to ``extra``.
    """
    cut: dict[str, list[str]] = {}
    for f in spec.fields:
        if len(f.name) > 10:
            cut.setdefault(f.name[:10], []).append(f.name)
    out: dict[str, str] = {}
    for c in columns:
        name = from_shapefile_name(str(c).strip()).lower()
        if name not in spec.field_names and name in cut:
            if len(cut[name]) > 1:
                raise InvalidInput(
                    f"{spec.name}: column {c!r} is a long field name cut at 10 characters and could be any of "
                    f"{', '.join(cut[name])}; rename it to its Shapefile name "
                    f"({', '.join(to_shapefile_name(n) for n in cut[name])})"
                )
            name = cut[name][0]
        out[c] = name
    return out


class _Collector:
    def __init__(self, spec: LayerSpec, row_numbers: NDArray[np.int64], ids: pd.Series) -> None:
        self.spec = spec
        self.row_numbers = row_numbers
        self.ids = ids
        self.problems: list[Problem] = []
        self.bad = np.zeros(len(row_numbers), dtype=bool)

    def add(self, mask: NDArray[np.bool_], reason, severity: str = "error") -> None:  # noqa: ANN001
        """Record a problem for each row where ``mask``; ``reason`` is a str or f(position) -> str."""
        for pos in np.flatnonzero(mask):
            text = reason(pos) if callable(reason) else reason
            rid = self.ids.iat[pos]
            self.problems.append(
                Problem(
                    self.spec.name,
                    int(self.row_numbers[pos]),
                    None if pd.isna(rid) else str(rid),
                    text,
                    severity,
                )
            )
        if severity == "error":
            self.bad |= mask


def _as_text(values: pd.Series) -> pd.Series:
    """Strings stripped; empty → NA; integral floats (ids read as numbers) without '.0'. Vectorised."""
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        out = values.astype("string")
        integral = np.isfinite(arr) & (np.mod(arr, 1) == 0) & (np.abs(arr) < 2**53)
        if integral.any():
            out[integral] = arr[integral].astype(np.int64).astype(str)
    else:
        out = values.astype("string")
    out = out.str.strip()
    return out.mask(out == "")


def _check_field(f: FieldSpec, raw: pd.Series, col: _Collector) -> tuple[pd.Series, NDArray[np.bool_]]:
    """The typed values of field ``f`` (problems go to ``col``) and the mask of rows where it is absent
    (missing, or empty once stripped) — what a required field's check reads."""
    name = f.name
    if f.kind == "text":
        values = _as_text(raw)
        present = values.notna().to_numpy()
        if f.choices:
            bad = present & ~values.isin(f.choices).fillna(False).to_numpy()
            col.add(bad, lambda p: f"{name} {values.iat[p]!r} is not one of {', '.join(f.choices)}")
        if f.pattern:
            bad = present & ~values.str.fullmatch(f.pattern).fillna(False).to_numpy(dtype=bool)
            col.add(bad, lambda p: f"{name} {values.iat[p]!r} is not valid: {f.hint or 'expected ' + f.pattern}")
        return values.astype(object).where(values.notna(), None), ~present
    if f.kind == "bool":
        text = _as_text(raw).str.lower()
        present = text.notna().to_numpy()
        is_true = text.isin(_TRUE).fillna(False).to_numpy()
        is_false = text.isin(_FALSE).fillna(False).to_numpy()
        col.add(
            present & ~is_true & ~is_false,
            lambda p: f"{name} {_shown(raw.iat[p])} is not a yes/no value (true/false, 1/0, 是/否)",
        )
        out = pd.Series(
            np.where(is_true, True, np.where(is_false, False, None)), index=raw.index, dtype=object
        )
        return out, ~present
    # numbers
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype("float64")
        present = num.notna().to_numpy()
        absent = ~present
    else:
        text = _as_text(raw)
        present = text.notna().to_numpy()
        absent = ~present
        num = pd.to_numeric(text, errors="coerce").astype("float64")
        not_number = present & num.isna().to_numpy()
        col.add(not_number, lambda p: f"{name} {_shown(raw.iat[p])} is not a number")
        present = present & ~not_number
    arr = num.to_numpy()
    finite = np.isfinite(arr)
    col.add(present & ~finite & ~np.isnan(arr), lambda p: f"{name} {arr[p]:g} is not a finite number")
    present = present & finite
    if f.hint and f.minimum is not None and f.maximum is not None:  # a bounded scale: one message
        outside = present & ((arr <= f.minimum) if f.exclusive_minimum else (arr < f.minimum)) | (
            present & (arr > f.maximum))
        col.add(outside, lambda p: f"{name} {arr[p]:g} is outside {f.minimum:g}–{f.maximum:g}: {f.hint}")
        present = present & ~outside
    if f.minimum is not None:
        below = present & ((arr <= f.minimum) if f.exclusive_minimum else (arr < f.minimum))
        if f.minimum == 0 and f.exclusive_minimum:
            col.add(below, lambda p: f"{name} {arr[p]:g} is not positive; it must be > 0")
        elif f.minimum == 0:
            col.add(below, lambda p: f"{name} {arr[p]:g} is negative; it must be ≥ 0")
        else:
            col.add(below, lambda p: f"{name} {arr[p]:g} is below the smallest valid value {f.minimum:g}")
    if f.maximum is not None:
        col.add(
            present & (arr > f.maximum),
            lambda p: (
                f"{name} {arr[p]:g} exceeds {f.maximum:g}, more than any real record holds: "
                f"check the unit and the digits"
            ),
        )
    if f.kind == "int":
        frac = present & (np.abs(arr - np.round(arr)) > 1e-9)
        col.add(frac, lambda p: f"{name} {arr[p]:g} is not a whole number")
        return pd.Series(arr, index=raw.index).round().astype("Int64"), absent
    return pd.Series(arr, index=raw.index, dtype="float64"), absent


def _check_coordinates(geoms: NDArray, source: SourceCRS, col: _Collector, usable: NDArray[np.bool_]) -> None:
    """Range and swapped-axis checks for geographic sources (degrees)."""
    bounds = shapely.bounds(geoms)  # NaN for missing/empty
    xmin, ymin, xmax, ymax = bounds.T
    finite = np.isfinite(bounds).all(axis=1)
    col.add(usable & ~finite, "geometry has non-finite coordinates (NaN or infinity)")
    ok = usable & finite
    in_range = (xmin >= -180) & (xmax <= 180) & (ymin >= -90) & (ymax <= 90)
    lo_x, lo_y, hi_x, hi_y = CHINA_EXTENT
    in_china = (xmin >= lo_x) & (xmax <= hi_x) & (ymin >= lo_y) & (ymax <= hi_y)
    swapped_in_china = (ymin >= lo_x) & (ymax <= hi_x) & (xmin >= lo_y) & (xmax <= hi_y)
    swapped = ok & ~in_china & swapped_in_china
    col.add(
        swapped,
        lambda p: (
            f"coordinates appear swapped (latitude first): x={xmin[p]:.6f}, y={ymin[p]:.6f} "
            f"would be in China as lon={ymin[p]:.6f}, lat={xmin[p]:.6f}; swap the columns "
            f"or fix the axis order of the file"
        ),
    )
    col.add(
        ok & ~swapped & ~in_range,
        lambda p: (
            f"coordinates out of range for {source.label} longitude/latitude "
            f"(x={xmin[p]:.3f}, y={ymin[p]:.3f}): if they are metres, the file is in a projected "
            f"CRS: pass it with --crs (e.g. EPSG:4551, CGCS2000 Gauss-Kruger CM 126E)"
        ),
    )


def _repair(
    geoms: NDArray, col: _Collector, usable: NDArray[np.bool_]
) -> tuple[NDArray, NDArray[np.bool_]]:
    """make_valid invalid geometries; keep the repair when the area moves by ≤ 1 %.

    Returns the geometries and the mask of rows that were invalid (repaired or rejected).
    """
    invalid = usable & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms, invalid
    out = geoms.copy()
    idx = np.flatnonzero(invalid)
    reasons = shapely.is_valid_reason(geoms[idx])
    repaired = shapely.make_valid(geoms[idx])
    # Keep the polygonal part of a polygon's repair (make_valid may add stray lines or points).
    was_poly = np.isin(shapely.get_type_id(geoms[idx]), [3, 6])
    repaired = np.array(
        [_polygonal(g) if wp else g for g, wp in zip(repaired, was_poly, strict=True)], dtype=object
    )
    before = np.abs(shapely.area(geoms[idx]))
    after = shapely.area(repaired)
    rel = np.where(before > 0, np.abs(after - before) / np.where(before > 0, before, 1), np.inf)
    ok = (rel <= REPAIR_AREA_TOLERANCE) & ~shapely.is_empty(repaired)
    for k, pos in enumerate(idx):
        if ok[k]:
            out[pos] = repaired[k]
    col.add(
        np.isin(np.arange(len(geoms)), idx[ok]),
        lambda p: (
            f"invalid geometry ({reasons[np.searchsorted(idx, p)]}) repaired with make_valid; "
            f"area changed by {100 * rel[np.searchsorted(idx, p)]:.2f} %"
        ),
        severity="warning",
    )
    col.add(
        np.isin(np.arange(len(geoms)), idx[~ok]),
        lambda p: (
            f"invalid geometry ({reasons[np.searchsorted(idx, p)]}); make_valid would change its area "
            f"by {_pct(rel[np.searchsorted(idx, p)])}, more than {100 * REPAIR_AREA_TOLERANCE:g} %: "
            f"fix the geometry"
        ),
    )
    return out, invalid


def _pct(x: float) -> str:
    return "an undefined amount (the original area is zero)" if not np.isfinite(x) else f"{100 * x:.1f} %"


def _polygonal(g):  # noqa: ANN001, ANN202
    if g.geom_type in _POLY_TYPES:
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type in _POLY_TYPES]
    if not parts:
        return shapely.Polygon()
    flat = []
    for p in parts:
        flat.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
    return flat[0] if len(flat) == 1 else shapely.MultiPolygon(flat)


def validate_chunk(
    spec: LayerSpec,
    attrs: pd.DataFrame,
    geoms: NDArray | None,
    source: SourceCRS | None,
    first_row: int,
    wkb: NDArray | None = None,
) -> ValidatedChunk:
    """Validate and type one chunk of layer ``spec``.

    Parameters
    ----------
    attrs
        Attribute columns as read, already renamed to interchange names (:func:`normalise_columns`).
    geoms
        Shapely geometries in the source CRS (None for a layer without geometry).
    source
        The CRS of ``geoms``.
    first_row
        1-based row number of the chunk's first row within its layer (for messages).
    wkb
        The file's own WKB of ``geoms``. Where a geometry is stored unchanged (already EPSG:4326,
        2D, valid) it is passed through as read instead of being encoded again.
    """
    n = len(attrs)
    attrs = attrs.reset_index(drop=True)
    row_numbers = np.arange(first_row, first_row + n, dtype=np.int64)
    ids = _as_text(attrs[spec.key]) if spec.key in attrs else pd.Series([pd.NA] * n, dtype="string")
    col = _Collector(spec, row_numbers, ids)
    # Columns are gathered in a dict and framed once: a column set on a DataFrame copies its blocks.
    columns: dict[str, Any] = {"_row": row_numbers}

    for f in spec.fields:
        if f.name in attrs:
            values, absent = _check_field(f, attrs[f.name], col)
        else:
            values, absent = pd.Series([None] * n, index=attrs.index, dtype=object), np.ones(n, bool)
        if f.required:
            col.add(absent, f"missing required field {f.name!r}")
        columns[f.name] = values

    extra_cols = [c for c in attrs.columns if c not in spec.field_names and not str(c).startswith("_")]
    if extra_cols:
        extra = [
            json.dumps({k: _jsonable(v) for k, v in rec.items() if not _isna(v)}, ensure_ascii=False)
            for rec in attrs[extra_cols].to_dict("records")
        ]
        columns["extra"] = [None if e == "{}" else e for e in extra]
    else:
        columns["extra"] = None
    out = pd.DataFrame(columns, index=attrs.index)

    if spec.geometry is not None:
        if geoms is None:
            geoms = np.full(n, None, dtype=object)
        missing = shapely.is_missing(geoms)
        col.add(missing, "missing geometry")
        empty = ~missing & shapely.is_empty(geoms)
        col.add(empty, "empty geometry")
        usable = ~missing & ~empty
        types = np.where(usable, _TYPE_NAMES[np.clip(shapely.get_type_id(geoms), 0, 7)], "")
        wrong = usable & ~np.isin(types, list(spec.geometry))
        allowed = " or ".join(sorted(spec.geometry))
        hint = (
            " (the layer mixes points and polygons: split the points into their own file or layer)"
            if spec.polygonal_only
            else ""
        )
        col.add(wrong, lambda p: f"geometry is {types[p]}; {spec.name} takes {allowed}{hint}")
        usable &= ~wrong
        if source is not None and source.is_geographic:
            _check_coordinates(geoms, source, col, usable)
            usable &= ~col.bad
        work = np.where(usable, geoms, None)
        unchanged = source is not None and source.is_identity and not shapely.has_z(work[usable]).any()
        if source is not None and not unchanged:
            work[usable] = to_wgs84(work[usable], source)
        if source is not None and not source.is_geographic:
            b = shapely.bounds(work)
            bad_xy = usable & ~(
                np.isfinite(b).all(axis=1)
                & (b[:, 0] >= -180)
                & (b[:, 2] <= 180)
                & (b[:, 1] >= -90)
                & (b[:, 3] <= 90)
            )
            col.add(
                bad_xy,
                f"coordinates fall outside the area of {source.label}: check the CRS of the file (--crs)",
            )
            usable &= ~bad_xy
        work, touched = _repair(work, col, usable)
        ok = usable & ~col.bad
        hexes = np.full(n, None, dtype=object)
        # PostGIS reads "SRID=4326;<hex WKB>" as EWKB with that SRID.
        same = ok & ~touched if (unchanged and wkb is not None) else np.zeros(n, dtype=bool)
        if same.any():
            hexes[same] = ["SRID=4326;" + b.hex() for b in wkb[same]]
        rest = ok & ~same
        if rest.any():
            hexes[rest] = ["SRID=4326;" + h for h in shapely.to_wkb(work[rest], hex=True)]
        out["geom"] = hexes
    _check_vessels(spec, out, col)
    _check_sensors(spec, out, col)
    _control_lines(spec, out, col, source)
    return ValidatedChunk(out, col.problems, col.bad)


#: Shapes a park's 安全控制线 may take: the line itself, or the area it encloses.
_CONTROL_LINE_TYPES = frozenset({"LineString", "MultiLineString", "Polygon", "MultiPolygon"})


def _control_lines(spec: LayerSpec, out: pd.DataFrame, col: _Collector, source: SourceCRS | None) -> None:
    """Chemical parks: ``safety_control_line_wkt`` (WKT in the layer's CRS) → the stored geometry.

    Read, checked and converted to EPSG:4326 like the layer's own geometry, and written as EWKB to the
    ``safety_control_line`` column; each problem names the field and the row.
    """
    field = "safety_control_line_wkt"
    if spec.name != "chemical_parks" or field not in out.columns:
        return
    n = len(out)
    text = out[field].to_numpy(dtype=object)
    given = np.array([isinstance(t, str) and t.strip() != "" for t in text], dtype=bool)
    geoms = np.full(n, None, dtype=object)
    if given.any():
        geoms[given] = shapely.from_wkt(text[given], on_invalid="ignore")
    unreadable = given & shapely.is_missing(geoms)
    col.add(unreadable, lambda p: f"{field} is not readable WKT: {str(text[p])[:60]!r}")
    usable = given & ~unreadable
    empty = usable & shapely.is_empty(geoms)
    col.add(empty, f"{field} is an empty geometry: leave the field blank when the park has no line")
    usable &= ~empty
    kinds = np.where(usable, _TYPE_NAMES[np.clip(shapely.get_type_id(geoms), 0, 7)], "")
    wrong = usable & ~np.isin(kinds, list(_CONTROL_LINE_TYPES))
    col.add(wrong, lambda p: f"{field} is a {kinds[p]}; a control line is a (multi)line or (multi)polygon")
    usable &= ~wrong
    if source is not None:
        inner = _Collector(spec, col.row_numbers, col.ids)
        if source.is_geographic:
            _check_coordinates(geoms, source, inner, usable)
            usable &= ~inner.bad
        if usable.any() and not source.is_identity:
            geoms[usable] = to_wgs84(geoms[usable], source)
        b = shapely.bounds(geoms)
        outside = usable & ~(np.isfinite(b).all(axis=1) & (b[:, 0] >= -180) & (b[:, 2] <= 180)
                             & (b[:, 1] >= -90) & (b[:, 3] <= 90))
        inner.add(outside, f"coordinates fall outside the area of {source.label}: check the CRS of the file")
        usable &= ~outside
        geoms, _ = _repair(geoms, inner, usable)
        usable &= ~inner.bad
        col.problems.extend(dataclasses.replace(p, reason=f"{field}: {p.reason}") for p in inner.problems)
        col.bad |= inner.bad
    hexes = np.full(n, None, dtype=object)
    ok = usable & ~col.bad
    if ok.any():
        flat = shapely.force_2d(geoms[ok])
        hexes[ok] = ["SRID=4326;" + h for h in shapely.to_wkb(flat, hex=True)]
    out["safety_control_line"] = hexes


def _check_vessels(spec: LayerSpec, out: pd.DataFrame, col: _Collector) -> None:
    """Inventory: ``vessel_count`` vessels of ``vessel_capacity_t`` t must hold ``max_quantity_t`` t."""
    if spec.name != "inventory" or not {"vessel_count", "vessel_capacity_t", "max_quantity_t"} <= set(out.columns):
        return
    n = pd.to_numeric(out["vessel_count"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    cap = pd.to_numeric(out["vessel_capacity_t"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    q = pd.to_numeric(out["max_quantity_t"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        short = np.isfinite(n) & np.isfinite(cap) & np.isfinite(q) & (n * cap < q * (1 - 1e-9))
    col.add(
        short,
        lambda p: (
            f"vessel_count × vessel_capacity_t = {n[p]:g} × {cap[p]:g} t = {n[p] * cap[p]:g} t is less than "
            f"max_quantity_t {q[p]:g} t: the quantity does not fit in the vessels (give more vessels, a larger "
            "capacity, or leave one of the two empty)"
        ),
    )


def _check_sensors(spec: LayerSpec, out: pd.DataFrame, col: _Collector) -> None:
    """Sensors: ``uom`` is a unit of the quantity; range_lo < range_hi; LL ≤ L < H ≤ HH, each inside the range."""
    if spec.name != "sensors" or not {"quantity", "uom", "range_lo", "range_hi"} <= set(out.columns):
        return
    from geo_risk.monitoring.model import UOMS

    quantity, uom = out["quantity"], out["uom"]
    bad_uom = np.array([q in UOMS and u is not None and u not in UOMS[q]
                        for q, u in zip(quantity, uom, strict=True)], dtype=bool)
    col.add(bad_uom, lambda p: f"uom {uom.iat[p]!r} is not a unit of {quantity.iat[p]}: use one of "
                               f"{', '.join(UOMS[quantity.iat[p]])}")

    def num(name: str) -> NDArray[np.float64]:
        if name not in out.columns:
            return np.full(len(out), np.nan)
        return pd.to_numeric(out[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    lo, hi = num("range_lo"), num("range_hi")
    with np.errstate(invalid="ignore"):
        col.add(lo >= hi, lambda p: f"range_lo {lo[p]:g} must be below range_hi {hi[p]:g}")
        limits = [(n, num(n)) for n in ("ll", "l", "h", "hh")]
        for name, v in limits:
            outside = np.isfinite(v) & (lo < hi) & ((v < lo) | (v > hi))
            col.add(outside, lambda p, name=name, v=v: f"{name} {v[p]:g} lies outside the measuring range "
                                                       f"{lo[p]:g}–{hi[p]:g} {uom.iat[p]}")
        for i, (a, va) in enumerate(limits):
            for b, vb in limits[i + 1:]:
                strict = (a, b) in {("ll", "h"), ("ll", "hh"), ("l", "h"), ("l", "hh")}
                wrong = np.isfinite(va) & np.isfinite(vb) & ((va >= vb) if strict else (va > vb))
                rel = "below" if strict else "at most"
                col.add(wrong, lambda p, a=a, b=b, va=va, vb=vb, rel=rel: (
                    f"{a} {va[p]:g} must be {rel} {b} {vb[p]:g}: limits run LL ≤ L < H ≤ HH"))


def _shown(v: object) -> str:
    """A value as a message quotes it: numpy scalars as the Python values they hold (True, not np.True_)."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _jsonable(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v
