"""CQL2 filters (OGC API - Features Part 3, text and JSON) → parameterised SQLAlchemy expressions.

Parsing is pygeofilter's (a well-kept CQL2 parser with the standard's grammar); the translation
to SQL is ours, because it must (1) admit only a layer's declared fields (its queryables, so a
filter cannot probe a column the caller may not see), (2) check each literal against the column's
type so a mistyped filter is a 400 with a message, not a database error, and (3) add the documented
extension ``S_DWITHIN(geom, geometry, distance)``: the distance is in **metres on the WGS 84
spheroid** (PostGIS ``geography``), never degrees. Every literal is a bound parameter; no text
from a request is pasted into SQL.

Supported: ``AND OR NOT``, ``= <> < <= > >=``, ``LIKE`` (``%`` and ``_``), ``BETWEEN``, ``IN``,
``IS NULL``, ``CASEI()``, spatial ``S_INTERSECTS S_WITHIN S_CONTAINS S_DISJOINT S_TOUCHES
S_CROSSES S_OVERLAPS S_EQUALS`` on WKT/GeoJSON geometries and ``BBOX()`` (EPSG:4326, lon/lat),
``S_DWITHIN``, and the temporal ``T_BEFORE T_AFTER T_INTERSECTS T_EQUALS T_DURING`` on timestamps.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, cast, false, func, literal, not_, or_, true
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.types import Boolean, DateTime, Float, LargeBinary, Text

from geo_risk.errors import InvalidInput

__all__ = ["parse_cql2", "to_sql", "COLUMN_KINDS", "MAX_FILTER_CHARS", "MAX_DWITHIN_M"]

#: Longest filter accepted (characters of text or JSON).
MAX_FILTER_CHARS = 20_000
#: Largest S_DWITHIN distance accepted (metres): a quarter of the Earth's circumference.
MAX_DWITHIN_M = 10_000_000
#: Column kinds the translation knows: "text", "number", "boolean", "timestamp", "geometry".
COLUMN_KINDS = ("text", "number", "boolean", "timestamp", "geometry")

_DWITHIN_RULE = (
    '\n?spatial_predicate_dwithin: "S_DWITHIN"i "(" expression "," expression "," full_number ")"'
    " -> dwithin_spatial_predicate\n"
)


def _patch(grammar: str, old: str, new: str) -> str:
    """Replace ``old`` once in pygeofilter's grammar; fail loudly if a new version moved it."""
    if old not in grammar:  # pragma: no cover - only after a pygeofilter upgrade
        raise RuntimeError(f"pygeofilter's CQL2 grammar changed: cannot patch {old.strip()!r}")
    return grammar.replace(old, new, 1)


@lru_cache(maxsize=1)
def _text_parser():  # noqa: ANN202 - a lark.Lark
    """pygeofilter's CQL2-text grammar plus the ``S_DWITHIN`` rule (built once)."""
    import lark
    from pygeofilter import ast
    from pygeofilter.parsers import cql2_text
    from pygeofilter.parsers.cql2_text.parser import CQLTransformer

    @lark.v_args(inline=True)
    class Transformer(CQLTransformer):
        def dwithin_spatial_predicate(self, lhs, rhs, distance):  # noqa: ANN001, ANN202
            return ast.DistanceWithin(lhs, rhs, distance, "meters")

        def temporal_function(self, op, lhs, rhs):  # noqa: ANN001, ANN202
            return self.binary_temporal_predicate(lhs, op, rhs)

    folder = os.path.dirname(cql2_text.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    grammar = _patch(grammar, "          | spatial_predicate\n",
                     "          | spatial_predicate\n          | spatial_predicate_dwithin\n")
    grammar += _DWITHIN_RULE
    # pygeofilter's grammar allows NOT (predicate) only; CQL2 allows NOT (any condition).
    grammar = _patch(grammar, '| "NOT"i "(" predicate ")"', '| "NOT"i "(" condition ")"')
    # CQL2 writes temporal operators as functions: T_AFTER(a, b); pygeofilter only infix.
    grammar = _patch(
        grammar,
        "          | temporal_predicate\n",
        "          | temporal_predicate\n"
        '          | _binary_temporal_predicate_func "(" expression "," expression ")" -> temporal_function\n',
    )
    # pygeofilter's attribute pattern needs two characters; one-letter properties (``r``) are legal.
    grammar = _patch(grammar, "attribute: /[a-zA-Z][a-zA-Z_:0-9.]+/", "attribute: /[a-zA-Z][a-zA-Z_:0-9.]*/")
    return lark.Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=False,
        transformer=Transformer(),
        import_paths=[os.path.dirname(folder)],
    )


def _walk_json(node: Any) -> Any:
    """CQL2-JSON → pygeofilter AST, with ``s_dwithin`` (pygeofilter's JSON walker lacks it)."""
    from pygeofilter import ast
    from pygeofilter.parsers.cql2_json.parser import walk_cql_json

    if isinstance(node, dict) and "op" in node:
        op = str(node["op"]).lower()
        args = node.get("args", [])
        if not isinstance(args, list):
            raise InvalidInput(f"CQL2-JSON: 'args' of {op!r} must be a list")
        if op == "s_dwithin":
            if len(args) != 3:
                raise InvalidInput("CQL2-JSON: s_dwithin takes [property, geometry, distance in metres]")
            return ast.DistanceWithin(_walk_json(args[0]), _walk_json(args[1]), args[2], "meters")
        if op in ("and", "or"):
            if len(args) < 2:
                raise InvalidInput(f"CQL2-JSON: {op!r} needs at least two arguments")
            items = [_walk_json(a) for a in args]
            return (ast.And if op == "and" else ast.Or).from_items(*items)
        if op == "not":
            if len(args) != 1:
                raise InvalidInput("CQL2-JSON: 'not' takes one argument")
            return ast.Not(_walk_json(args[0]))
    return walk_cql_json(node)


def parse_cql2(expression: str | Mapping[str, Any], lang: str = "cql2-text") -> Any:
    """Parse a CQL2 filter (``lang`` ``cql2-text`` or ``cql2-json``) into a pygeofilter AST.

    Raises
    ------
    InvalidInput
        For a syntax error (with the position), an unknown language, or a filter over
        MAX_FILTER_CHARS characters.
    """
    if lang not in ("cql2-text", "cql2-json"):
        raise InvalidInput(f"filter-lang {lang!r} is not supported: use cql2-text or cql2-json")
    size = len(expression) if isinstance(expression, str) else len(json.dumps(expression))
    if size > MAX_FILTER_CHARS:
        raise InvalidInput(f"the filter is {size} characters long; the limit is {MAX_FILTER_CHARS}")
    try:
        if lang == "cql2-json":
            node = json.loads(expression) if isinstance(expression, str) else expression
            return _walk_json(node)
        if not isinstance(expression, str):
            raise InvalidInput("a cql2-text filter must be text")
        return _text_parser().parse(expression)
    except InvalidInput:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the cql2-json filter is not JSON: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - lark and pygeofilter raise many kinds
        message = str(exc).split("\n")[0]
        raise InvalidInput(f"the {lang} filter cannot be parsed: {message}") from None


# -- translation ----------------------------------------------------------------------------------
def to_sql(node: Any, columns: Mapping[str, Any], kinds: Mapping[str, str], geometry: str = "geom") -> ColumnElement:
    """Translate a parsed filter into a boolean SQL expression over ``columns``.

    ``columns`` maps each queryable name to its SQLAlchemy column, ``kinds`` the name to one of
    COLUMN_KINDS. The geometry column is ``geometry`` (also reachable as ``geometry``/``geom``
    in the filter). Raises InvalidInput naming the problem (unknown property, type mismatch,
    unsupported operator, invalid geometry).
    """
    return _Translator(columns, kinds, geometry).condition(node)


class _Translator:
    def __init__(self, columns: Mapping[str, Any], kinds: Mapping[str, str], geometry: str) -> None:
        self.columns = columns
        self.kinds = kinds
        self.geometry = geometry

    # conditions ---------------------------------------------------------------------------------
    def condition(self, node: Any) -> ColumnElement:
        from pygeofilter import ast

        if isinstance(node, bool):
            return true() if node else false()
        if isinstance(node, ast.And):
            return and_(self.condition(node.lhs), self.condition(node.rhs))
        if isinstance(node, ast.Or):
            return or_(self.condition(node.lhs), self.condition(node.rhs))
        if isinstance(node, ast.Not):
            return not_(self.condition(node.sub_node))
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.Between):
            col, kind = self.scalar_column(node.lhs)
            low, high = self.value(node.low, kind, col), self.value(node.high, kind, col)
            expr = col.between(low, high)
            return not_(expr) if node.not_ else expr
        if isinstance(node, ast.Like):
            col, kind = self.scalar_column(node.lhs)
            if kind != "text" or not isinstance(node.pattern, str):
                raise InvalidInput("LIKE needs a text property and a quoted pattern")
            pattern = _like_pattern(node)
            expr = col.ilike(pattern, escape="\\") if node.nocase else col.like(pattern, escape="\\")
            return not_(expr) if node.not_ else expr
        if isinstance(node, ast.In):
            col, kind = self.scalar_column(node.lhs)
            if not node.sub_nodes:
                raise InvalidInput("IN needs at least one value")
            if len(node.sub_nodes) > 1000:
                raise InvalidInput("IN takes at most 1000 values")
            expr = col.in_([self.value(v, kind, col) for v in node.sub_nodes])
            return not_(expr) if node.not_ else expr
        if isinstance(node, ast.IsNull):
            col, _ = self.any_column(node.lhs)
            return col.is_not(None) if node.not_ else col.is_(None)
        if isinstance(node, ast.DistanceWithin):
            return self.dwithin(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node)
        if isinstance(node, ast.BBox):
            self.geometry_column(node.lhs)
            if node.crs not in (None, "EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"):
                raise InvalidInput(f"BBOX in CRS {node.crs!r} is not supported: give lon/lat (CRS84)")
            envelope = _envelope(node.minx, node.miny, node.maxx, node.maxy)
            return func.ST_Intersects(self.columns[self.geometry], envelope)
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        if isinstance(node, ast.Attribute):
            col, kind = self.any_column(node)
            if kind != "boolean":
                raise InvalidInput(f"property {node.name!r} is not boolean: compare it with a value")
            return col.is_(True)
        raise InvalidInput(f"this filter operator is not supported: {type(node).__name__}")

    def comparison(self, node: Any) -> ColumnElement:
        from pygeofilter import ast

        lhs, rhs = node.lhs, node.rhs
        if not _is_property(lhs) and _is_property(rhs):  # 5 < population → population > 5
            lhs, rhs = rhs, lhs
            flip = {ast.LessThan: ast.GreaterThan, ast.GreaterThan: ast.LessThan,
                    ast.LessEqual: ast.GreaterEqual, ast.GreaterEqual: ast.LessEqual}
            node = flip.get(type(node), type(node))(lhs, rhs)
        col, kind = self.scalar_column(lhs)
        if _is_property(rhs):
            other, other_kind = self.scalar_column(rhs)
            if other_kind != kind:
                raise InvalidInput(f"cannot compare {kind} property with {other_kind} property")
            value: Any = other
        else:
            value = self.value(rhs, kind, col)
        ops = {
            ast.Equal: lambda a, b: a == b,
            ast.NotEqual: lambda a, b: a != b,
            ast.LessThan: lambda a, b: a < b,
            ast.LessEqual: lambda a, b: a <= b,
            ast.GreaterThan: lambda a, b: a > b,
            ast.GreaterEqual: lambda a, b: a >= b,
        }
        try:
            return ops[type(node)](col, value)
        except KeyError:
            raise InvalidInput(f"comparison {type(node).__name__} is not supported") from None

    def spatial(self, node: Any) -> ColumnElement:
        from pygeofilter import ast

        functions = {
            ast.GeometryIntersects: func.ST_Intersects,
            ast.GeometryWithin: func.ST_Within,
            ast.GeometryContains: func.ST_Contains,
            ast.GeometryDisjoint: func.ST_Disjoint,
            ast.GeometryTouches: func.ST_Touches,
            ast.GeometryCrosses: func.ST_Crosses,
            ast.GeometryOverlaps: func.ST_Overlaps,
            ast.GeometryEquals: func.ST_Equals,
        }
        lhs, rhs = node.lhs, node.rhs
        if _is_property(lhs):
            return functions[type(node)](self.geometry_column(lhs), self.geometry_literal(rhs))
        if _is_property(rhs):  # S_WITHIN(POINT(…), geom): the literal first
            return functions[type(node)](self.geometry_literal(lhs), self.geometry_column(rhs))
        raise InvalidInput(f"{type(node).__name__} needs the geometry property as one argument")

    def dwithin(self, node: Any) -> ColumnElement:
        """S_DWITHIN in metres on the spheroid: ``ST_DWithin(geography, geography, metres)``."""
        lhs, rhs = node.lhs, node.rhs
        if not _is_property(lhs):
            lhs, rhs = rhs, lhs
        column = self.geometry_column(lhs)
        distance = node.distance
        if isinstance(distance, bool) or not isinstance(distance, int | float) or not math.isfinite(distance):
            raise InvalidInput("S_DWITHIN distance must be a number of metres")
        if not 0 <= distance <= MAX_DWITHIN_M:
            raise InvalidInput(f"S_DWITHIN distance must be 0–{MAX_DWITHIN_M} metres; got {distance}")
        if node.units not in (None, "meters", "metres", "m"):
            raise InvalidInput(f"S_DWITHIN distances are metres; unit {node.units!r} is not supported")
        geography = func.geography
        return func.ST_DWithin(
            geography(column), geography(self.geometry_literal(rhs)), bindparam(None, float(distance), Float)
        )

    def temporal(self, node: Any) -> ColumnElement:
        from pygeofilter import ast

        col, kind = self.any_column(node.lhs)
        if kind != "timestamp":
            raise InvalidInput(f"temporal operators need a timestamp property; {node.lhs!r} is {kind}")
        start, end = _interval(node.rhs)
        if isinstance(node, ast.TimeBefore):
            return col < (start or end)
        if isinstance(node, ast.TimeAfter):
            return col > (end or start)
        if isinstance(node, ast.TimeEquals):
            return col == start if end is None else and_(col == start, col == end)
        if isinstance(node, ast.TimeDuring | ast.TimeOverlaps):  # T_INTERSECTS parses as overlaps
            if end is None:
                return col == start
            return and_(col >= start, col <= end)
        raise InvalidInput(f"temporal operator {type(node).__name__} is not supported")

    # operands -----------------------------------------------------------------------------------
    def _lookup(self, node: Any) -> tuple[Any, str]:
        from pygeofilter import ast

        if isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1:
            col, kind = self._lookup(node.arguments[0])
            if kind != "text":
                raise InvalidInput("CASEI() takes a text property")
            return func.lower(col), "text"
        if not isinstance(node, ast.Attribute):
            raise InvalidInput(f"expected a property name, got {node!r}")
        name = node.name
        if name in ("geometry", "geom"):
            name = self.geometry
        if name not in self.columns:
            known = ", ".join(sorted(n for n in self.columns if n != self.geometry))
            raise InvalidInput(f"unknown property {node.name!r}; queryable properties: {known}, geometry")
        return self.columns[name], self.kinds[name]

    def any_column(self, node: Any) -> tuple[Any, str]:
        return self._lookup(node)

    def scalar_column(self, node: Any) -> tuple[Any, str]:
        col, kind = self._lookup(node)
        if kind == "geometry":
            raise InvalidInput("the geometry can only be used in spatial operators (S_INTERSECTS …)")
        return col, kind

    def geometry_column(self, node: Any) -> Any:
        col, kind = self._lookup(node)
        if kind != "geometry":
            raise InvalidInput(f"spatial operators need the geometry property; {node!r} is {kind}")
        return col

    def geometry_literal(self, value: Any) -> Any:
        from pygeofilter import values
        from shapely.geometry import shape

        if isinstance(value, values.Envelope):
            return _envelope(value.x1, value.y1, value.x2, value.y2)
        from pygeofilter import ast

        if isinstance(value, ast.Function) and value.name == "bbox" and len(value.arguments) in (4, 6):
            a = value.arguments
            return _envelope(a[0], a[1], a[2], a[3]) if len(a) == 4 else _envelope(a[0], a[1], a[3], a[4])
        geometry = getattr(value, "geometry", None)
        if not isinstance(geometry, dict):
            raise InvalidInput(f"expected a geometry (WKT, GeoJSON or BBOX), got {value!r}")
        try:
            geom = shape(geometry)
        except Exception as exc:  # noqa: BLE001 - shapely's many errors
            raise InvalidInput(f"the filter geometry is not valid: {exc}") from None
        if geom.is_empty:
            raise InvalidInput("the filter geometry is empty")
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InvalidInput(
                "filter geometry coordinates must be lon/lat in degrees (lon −180…180, lat −90…90); "
                f"got bounds {geom.bounds} — projected coordinates or swapped lat/lon?"
            )
        crs = geometry.get("crs")
        if crs is not None:
            raise InvalidInput("filter geometries are CRS84 (lon/lat); a 'crs' member is not supported")
        return func.ST_SetSRID(func.ST_GeomFromWKB(bindparam(None, geom.wkb, LargeBinary)), 4326)

    def value(self, value: Any, kind: str, column: Any) -> Any:
        """A literal checked against the column kind, as a bound parameter."""
        from pygeofilter import ast

        if isinstance(value, ast.Function) and value.name == "lower" and len(value.arguments) == 1:
            if not isinstance(value.arguments[0], str):
                raise InvalidInput("CASEI() takes a text property or a quoted text")
            value = value.arguments[0].lower()
        if _is_property(value):
            raise InvalidInput("compare a property with a value here, not with another property")
        if kind == "text":
            if not isinstance(value, str):
                raise InvalidInput(f"text property needs a quoted value; got {value!r}")
            return bindparam(None, value, Text)
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidInput(f"numeric property needs a number; got {value!r}")
            return bindparam(None, value, Float) if isinstance(value, float) else literal(value)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise InvalidInput(f"boolean property needs TRUE or FALSE; got {value!r}")
            return bindparam(None, value, Boolean)
        if kind == "timestamp":
            return cast(bindparam(None, _instant(value), DateTime(timezone=True)), TIMESTAMP(timezone=True))
        raise InvalidInput(f"property of kind {kind} cannot be compared with a value")


def _is_property(node: Any) -> bool:
    from pygeofilter import ast

    return isinstance(node, ast.Attribute) or (
        isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1
        and isinstance(node.arguments[0], ast.Attribute)
    )


def _like_pattern(node: Any) -> str:
    """The LIKE pattern in PostgreSQL's syntax (``%``, ``_``, backslash escapes)."""
    out = []
    escaped = False
    for ch in node.pattern:
        if escaped:
            out.append("\\" + ch if ch in "%_\\" else ch)
            escaped = False
        elif ch == node.escapechar:
            escaped = True
        elif ch == node.wildcard:
            out.append("%")
        elif ch == node.singlechar:
            out.append("_")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _envelope(minx: Any, miny: Any, maxx: Any, maxy: Any) -> Any:
    try:
        x0, y0, x1, y1 = (float(v) for v in (minx, miny, maxx, maxy))
    except (TypeError, ValueError):
        raise InvalidInput("BBOX takes four numbers: lon_min, lat_min, lon_max, lat_max") from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(f"BBOX {x0},{y0},{x1},{y1} is not lon_min ≤ lon_max (±180), lat_min ≤ lat_max (±90)")
    return func.ST_MakeEnvelope(
        bindparam(None, x0, Float), bindparam(None, y0, Float), bindparam(None, x1, Float),
        bindparam(None, y1, Float), 4326,
    )


def _instant(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{value!r} is not an RFC 3339 timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise InvalidInput(f"expected a timestamp (TIMESTAMP('…') or DATE('…')), got {value!r}")


def _interval(value: Any) -> tuple[Any, Any]:
    """(start, end) bound parameters of an instant (end None) or an interval (open ends None)."""
    from pygeofilter import values

    def bound(v: Any) -> Any:
        if v is None or v == "..":
            return None
        return cast(bindparam(None, _instant(v), DateTime(timezone=True)), TIMESTAMP(timezone=True))

    if isinstance(value, values.Interval):
        return bound(value.start), bound(value.end)
    if isinstance(value, list | tuple) and len(value) == 2:
        return bound(value[0]), bound(value[1])
    return bound(value), None
