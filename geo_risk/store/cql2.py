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
``S_DWITHIN``, and the temporal ``T_BEFORE T_AFTER T_INTERSECTS T_EQUALS T_DURING`` on timestamps
(intervals may be open: ``..``).

Bounds (a filter outside them is a 422 saying the limit, before any work): MAX_FILTER_CHARS
characters; conditions nested at most MAX_FILTER_DEPTH deep (each NOT, each parenthesised group,
each AND inside an OR and the reverse adds a level; a chain ``a AND b AND c …`` is one level); at
most MAX_FILTER_OPERATORS AND/OR/NOT; integers within ±MAX_FILTER_INTEGER; text without a NUL
character (PostgreSQL text cannot hold it). AND binds tighter than OR, as CQL2 says.
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

__all__ = [
    "parse_cql2", "to_sql", "COLUMN_KINDS", "MAX_FILTER_CHARS", "MAX_FILTER_DEPTH", "MAX_FILTER_OPERATORS",
    "MAX_FILTER_INTEGER",
    "MAX_DWITHIN_M",
]

#: Longest filter accepted (characters of text or JSON).
MAX_FILTER_CHARS = 20_000
#: Deepest nesting of conditions accepted: NOT, parentheses, AND within OR and the reverse each add a
#: level; a chain of one operator (``a AND b AND c``) is one. Real filters nest a few levels; the
#: limit keeps the translation and PostgreSQL's planner far from their recursion limits.
MAX_FILTER_DEPTH = 50
#: Most logical operators (AND, OR, NOT) in one filter: a long list of alternatives is ``IN (…)``.
MAX_FILTER_OPERATORS = 200
#: Largest integer literal (absolute value): a 64-bit integer, the widest integer column type.
MAX_FILTER_INTEGER = 2**63 - 1
#: Nesting of JSON objects and arrays a cql2-json filter may use: two per nested condition
#: (``{"op": …, "args": [ … ]}``) and a margin for geometries' coordinate arrays.
_MAX_JSON_NESTING = 2 * MAX_FILTER_DEPTH + 16
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

        def open_end(self):  # noqa: ANN202 - an interval's '..' end
            return None

    folder = os.path.dirname(cql2_text.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    grammar = _patch(grammar, "          | spatial_predicate\n",
                     "          | spatial_predicate\n          | spatial_predicate_dwithin\n")
    grammar += _DWITHIN_RULE
    # CQL2 (OGC 21-065, booleanExpression / booleanTerm): AND binds tighter than OR, so
    # "a OR b AND c" is "a OR (b AND c)"; pygeofilter's grammar gives both the same precedence.
    grammar = _patch(
        grammar,
        '?condition: condition_1\n'
        '          | condition "AND"i condition_1                                 -> and_\n'
        '          | condition "OR"i condition_1                                   -> or_\n',
        '?condition: condition_and\n'
        '          | condition "OR"i condition_and -> or_\n'
        '?condition_and: condition_1\n'
        '          | condition_and "AND"i condition_1 -> and_\n',
    )
    # pygeofilter's grammar allows NOT (predicate) only; CQL2 allows NOT (any condition).
    grammar = _patch(grammar, '| "NOT"i "(" predicate ")"', '| "NOT"i "(" condition ")"')
    # CQL2 writes temporal operators as functions: T_AFTER(a, b); pygeofilter only infix.
    grammar = _patch(
        grammar,
        "          | temporal_predicate\n",
        "          | temporal_predicate\n"
        '          | _binary_temporal_predicate_func "(" expression "," expression ")" -> temporal_function\n',
    )
    # CQL2 intervals take dates or timestamps and '..' for an open end: INTERVAL('2020-01-01', '..').
    grammar = _patch(
        grammar,
        '''?interval: "INTERVAL" "("  "'" DATETIME "'" "," "'" DATETIME "'" ")"''',
        '''?interval: "INTERVAL"i "(" interval_end "," interval_end ")"\n'''
        '''?interval_end: "'" DATETIME "'" | "'" DATE "'" | "'..'" -> open_end''',
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
        low, high = _JSON_ARITY.get(op, (0, len(args)))
        if not low <= len(args) <= high:
            count = str(low) if low == high else f"{low} or {high}"
            raise InvalidInput(f"CQL2-JSON: {op!r} takes {count} arguments; got {len(args)}")
        if op == "in" and not isinstance(args[1], list):
            raise InvalidInput("CQL2-JSON: the second argument of 'in' is the list of values")
        if op == "between":  # CQL2 1.0: [property, low, high]; pygeofilter reads the draft's [property, [low, high]]
            bounds = args[1:] if len(args) == 3 else args[1]
            if not isinstance(bounds, list) or len(bounds) != 2:
                raise InvalidInput("CQL2-JSON: 'between' takes [property, low, high]")
            node = {"op": node["op"], "args": [args[0], bounds]}
        if any(isinstance(a, dict) and "bbox" in a for a in args):
            node = {**node, "args": [_bbox_as_polygon(a) for a in node["args"]]}
    return walk_cql_json(node)


def _bbox_as_polygon(arg: Any) -> Any:
    """A CQL2-JSON ``{"bbox": [minx, miny, maxx, maxy]}`` literal as the GeoJSON polygon it stands for.

    pygeofilter builds its Envelope from the list in the wrong order (its fields are x1, x2, y1, y2),
    so the box it would give is (minx, maxx) × (miny, maxy) read as (minx, miny) × (maxx, maxy).
    """
    if not (isinstance(arg, dict) and "bbox" in arg):
        return arg
    box = arg["bbox"]
    if not isinstance(box, list) or len(box) not in (4, 6):
        raise InvalidInput("CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)")
    x0, y0, x1, y1 = (box[0], box[1], box[2], box[3]) if len(box) == 4 else (box[0], box[1], box[3], box[4])
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x0, y0, x1, y1)):
        raise InvalidInput("CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)")
    _envelope(x0, y0, x1, y1)  # the same range checks and message as a text BBOX
    if x0 == x1 and y0 == y1:  # a degenerate box is the point or line it covers (see box_geometry)
        return {"type": "Point", "coordinates": [x0, y0]}
    if x0 == x1 or y0 == y1:
        return {"type": "LineString", "coordinates": [[x0, y0], [x1, y1]]}
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


#: Arguments (fewest, most) each CQL2-JSON operator takes (OGC 21-065, Annex B JSON schema).
_JSON_ARITY = {
    **{op: (2, 2) for op in ("=", "<>", "<", ">", "<=", ">=", "like", "in")},
    "between": (2, 3), "isnull": (1, 1), "casei": (1, 1),
    **{f"s_{op}": (2, 2) for op in ("intersects", "within", "contains", "disjoint", "touches", "crosses",
                                     "overlaps", "equals")},
    **{f"t_{op}": (2, 2) for op in ("before", "after", "meets", "metby", "overlaps", "overlappedby", "begins",
                                     "begunby", "during", "contains", "ends", "endedby", "equals", "intersects",
                                     "disjoint")},
}


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
    try:
        # Measured inside the try: a JSON object nested past Python's recursion limit fails here already.
        size = len(expression) if isinstance(expression, str) else len(json.dumps(expression))
        if size > MAX_FILTER_CHARS:
            raise InvalidInput(f"the filter is {size} characters long; the limit is {MAX_FILTER_CHARS}")
        if lang == "cql2-json":
            node = json.loads(expression) if isinstance(expression, str) else expression
            _check_json_nesting(node)
            tree = _walk_json(node)
        else:
            if not isinstance(expression, str):
                raise InvalidInput("a cql2-text filter must be text")
            _check_text_nesting(expression)
            tree = _text_parser().parse(expression)
    except InvalidInput:
        raise
    except RecursionError:
        raise InvalidInput(_too_deep(f"more than {MAX_FILTER_DEPTH} levels")) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the cql2-json filter is not JSON: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - lark and pygeofilter raise many kinds
        message = str(exc).split("\n")[0]
        raise InvalidInput(f"the {lang} filter cannot be parsed: {message}") from None
    depth, operators = filter_size(tree)
    if operators > MAX_FILTER_OPERATORS:
        raise InvalidInput(
            f"the filter has {operators} AND/OR/NOT operators; the limit is {MAX_FILTER_OPERATORS}: "
            f"write a list of alternatives as IN (…) or BETWEEN, or split the query"
        )
    if depth > MAX_FILTER_DEPTH:
        raise InvalidInput(_too_deep(f"{depth} levels"))
    return tree


def _too_deep(found: str) -> str:
    return (
        f"the filter nests {found} deep; the limit is {MAX_FILTER_DEPTH} levels (each NOT, each "
        f"parenthesised group and each AND inside an OR or the reverse adds a level; a chain "
        f"a AND b AND c … is one): simplify it"
    )


def _check_text_nesting(text: str) -> None:
    """Refuse parentheses nested deeper than MAX_FILTER_DEPTH (quoted text aside) before parsing.

    Geometry literals use up to three levels of parentheses of their own (MULTIPOLYGON), hence the margin.
    """
    depth = deepest = 0
    quoted = False
    for ch in text:
        if ch == "'":
            quoted = not quoted  # '' inside a literal toggles twice: still inside
        elif not quoted:
            if ch == "(":
                depth += 1
                deepest = max(deepest, depth)
            elif ch == ")":
                depth -= 1
    if deepest > MAX_FILTER_DEPTH + 3:
        raise InvalidInput(_too_deep(f"{deepest} levels of parentheses"))


def _check_json_nesting(node: Any) -> None:
    """Refuse JSON nested deeper than two levels per allowed condition level (iteratively, no recursion)."""
    stack = [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_JSON_NESTING:
            raise InvalidInput(
                f"the cql2-json filter nests objects and arrays more than {_MAX_JSON_NESTING} deep; "
                f"the limit is {MAX_FILTER_DEPTH} nested conditions"
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def filter_size(tree: Any) -> tuple[int, int]:
    """(nesting depth, number of AND/OR/NOT operators) of a parsed filter, counted without recursion.

    A chain of one logical operator (``a AND b AND c``, parsed as nested binary nodes) counts as one
    level; a NOT, a logical operator under another kind, and every other node each count one.
    """
    from pygeofilter import ast

    operators = 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if not isinstance(node, ast.Node):
            continue
        operators += isinstance(node, ast.And | ast.Or | ast.Not)
        chain = type(node) if isinstance(node, ast.And | ast.Or) else None
        try:
            subs = list(node.get_sub_nodes())
        except (TypeError, AttributeError):  # a node the JSON walker built from arguments of the wrong kind
            raise InvalidInput(f"the filter's {type(node).__name__} has arguments of the wrong kind") from None
        for sub in subs:
            if isinstance(sub, ast.Node):
                stack.append((sub, depth if type(sub) is chain else depth + 1))
    return deepest, operators


# -- translation ----------------------------------------------------------------------------------
def to_sql(node: Any, columns: Mapping[str, Any], kinds: Mapping[str, str], geometry: str = "geom") -> ColumnElement:
    """Translate a parsed filter into a boolean SQL expression over ``columns``.

    ``columns`` maps each queryable name to its SQLAlchemy column, ``kinds`` the name to one of
    COLUMN_KINDS. The geometry column is ``geometry`` (also reachable as ``geometry``/``geom``
    in the filter). Raises InvalidInput naming the problem (unknown property, type mismatch,
    unsupported operator, invalid geometry).
    """
    try:
        return _Translator(columns, kinds, geometry).condition(node)
    except RecursionError:  # a tree that did not come through parse_cql2's depth check
        raise InvalidInput(_too_deep(f"more than {MAX_FILTER_DEPTH} levels")) from None


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
        if isinstance(node, ast.And | ast.Or):  # a chain a AND b AND c … as one flat SQL AND
            terms = [self.condition(n) for n in _chain(node)]
            return and_(*terms) if isinstance(node, ast.And) else or_(*terms)
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
            raw = node.pattern
            if isinstance(raw, ast.Function) and raw.name == "lower" and len(raw.arguments) == 1 \
                    and isinstance(raw.arguments[0], str):  # CASEI('a%'): the pattern in lower case
                raw = raw.arguments[0].lower()
            if kind != "text" or not isinstance(raw, str):
                raise InvalidInput("LIKE needs a text property and a quoted pattern")
            pattern = _like_pattern(_storable_text(raw))
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
        distance = _number(node.distance, "S_DWITHIN distance must be a number of metres")
        if not 0 <= distance <= MAX_DWITHIN_M:
            raise InvalidInput(f"S_DWITHIN distance must be 0–{MAX_DWITHIN_M} metres; got {distance}")
        if node.units not in (None, "meters", "metres", "m"):
            raise InvalidInput(f"S_DWITHIN distances are metres; unit {node.units!r} is not supported")
        geography = func.geography
        return func.ST_DWithin(
            geography(column), geography(self.geometry_literal(rhs)), bindparam(None, float(distance), Float)
        )

    def temporal(self, node: Any) -> ColumnElement:
        """A temporal operator on a timestamp property (an instant t) and an instant or interval.

        As CQL2 defines them for an instant t and an interval [start, end] (OGC 21-065 §A.10; an
        instant i is the interval [i, i]; ``..`` is an open end, unbounded):
        T_BEFORE t < start; T_AFTER t > end; T_EQUALS t = start = end; T_DURING start < t < end;
        T_INTERSECTS start ≤ t ≤ end. An open end before which (after which) t must lie matches
        nothing: nothing is before the beginning of time.
        """
        from pygeofilter import ast

        col, kind = self.any_column(node.lhs)
        if kind != "timestamp":
            raise InvalidInput(f"temporal operators need a timestamp property; {node.lhs!r} is {kind}")
        start, end, instant = _interval(node.rhs)
        if isinstance(node, ast.TimeBefore):
            return false() if start is None else col < start
        if isinstance(node, ast.TimeAfter):
            return false() if end is None else col > end
        if isinstance(node, ast.TimeEquals):
            if instant:
                return col == start
            return false() if start is None or end is None else and_(col == start, col == end)
        if isinstance(node, ast.TimeDuring):
            if instant:  # strictly inside [i, i]: nothing
                return false()
            return and_(col.is_not(None), *([col > start] if start is not None else []),
                        *([col < end] if end is not None else []))
        if isinstance(node, ast.TimeOverlaps):  # pygeofilter parses T_INTERSECTS (and T_OVERLAPS) as this
            return and_(col.is_not(None), *([col >= start] if start is not None else []),
                        *([col <= end] if end is not None else []))
        raise InvalidInput(
            f"temporal operator {type(node).__name__} is not supported: use T_BEFORE, T_AFTER, T_EQUALS, "
            f"T_DURING or T_INTERSECTS"
        )

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
        if not isinstance(name, str):
            raise InvalidInput(f"a property name is text; got {_shown(name)}")
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
                raise InvalidInput(f"text property needs a quoted value; got {_shown(value)}")
            return bindparam(None, _storable_text(value), Text)
        if kind == "number":
            number = _number(value, "numeric property needs a number")
            return bindparam(None, number, Float) if isinstance(number, float) else literal(number)
        if kind == "boolean":
            if not isinstance(value, bool):
                raise InvalidInput(f"boolean property needs TRUE or FALSE; got {value!r}")
            return bindparam(None, value, Boolean)
        if kind == "timestamp":
            return cast(bindparam(None, _instant(value), DateTime(timezone=True)), TIMESTAMP(timezone=True))
        raise InvalidInput(f"property of kind {kind} cannot be compared with a value")


def _chain(node: Any) -> list[Any]:
    """The operands of a chain of ``node``'s logical operator, left to right (without recursion)."""
    out: list[Any] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is type(node):
            stack.extend((n.rhs, n.lhs))
        else:
            out.append(n)
    return out


def _is_property(node: Any) -> bool:
    from pygeofilter import ast

    return isinstance(node, ast.Attribute) or (
        isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1
        and isinstance(node.arguments[0], ast.Attribute)
    )


def _like_pattern(pattern: str) -> str:
    """A CQL2 LIKE pattern in PostgreSQL's syntax.

    CQL2 (OGC 21-065, isLikePredicate) fixes the wildcards: ``%`` any run of characters, ``_`` one
    character, ``\\`` escapes the next (pygeofilter's parsers say "." for one character: not CQL2).
    """
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append("\\" + ch if ch in "%_\\" else ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)


def _shown(value: Any, limit: int = 40) -> str:
    """A literal for a message: its repr, a long one cut (a 400-digit number shows its digit count)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_FILTER_INTEGER:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:6]}…{digits[-3:]} ({len(digits)} digits)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any, need: str) -> int | float:
    """``value`` as a finite number within the limits, else InvalidInput starting with ``need``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{need}; got {_shown(value)}")
    if isinstance(value, int):
        if abs(value) > MAX_FILTER_INTEGER:
            raise InvalidInput(
                f"the number {_shown(value)} is out of range: integers in a filter are at most "
                f"{MAX_FILTER_INTEGER} in absolute value"
            )
        return value
    if not math.isfinite(value):
        raise InvalidInput(f"{need} that is finite; got {value!r} (a literal beyond ±1.8e308 reads as infinite)")
    return value


def _storable_text(value: str) -> str:
    """``value`` if PostgreSQL text can hold it: no NUL character, no lone UTF-16 surrogate."""
    if "\x00" in value:
        raise InvalidInput(f"the text {_shown(value)} contains a NUL character (U+0000), which no text can hold")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"the text {_shown(value)} is not valid Unicode (a lone surrogate)") from None
    return value


def _envelope(minx: Any, miny: Any, maxx: Any, maxy: Any) -> Any:
    try:
        x0, y0, x1, y1 = (float(v) for v in (minx, miny, maxx, maxy))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("BBOX takes four numbers: lon_min, lat_min, lon_max, lat_max") from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(f"BBOX {x0},{y0},{x1},{y1} is not lon_min ≤ lon_max (±180), lat_min ≤ lat_max (±90)")
    return box_geometry(bindparam(None, x0, Float), bindparam(None, y0, Float), bindparam(None, x1, Float),
                        bindparam(None, y1, Float))


def box_geometry(x0: Any, y0: Any, x1: Any, y1: Any) -> Any:
    """A bounding box (degrees, EPSG:4326) as SQL geometry that a degenerate box also matches by.

    ``ST_MakeEnvelope`` turns a box of zero width or height into a zero-area polygon, which no point
    intersects: ``bbox=x,y,x,y`` on the point at (x, y) matched nothing. The envelope of the line
    between the corners is that polygon for a proper box, and the point or line itself otherwise.
    """
    return func.ST_SetSRID(func.ST_Envelope(func.ST_MakeLine(func.ST_MakePoint(x0, y0), func.ST_MakePoint(x1, y1))),
                           4326)


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


def _interval(value: Any) -> tuple[Any, Any, bool]:
    """(start, end, is_instant): bound parameters of an interval (None for an open end ``..``), or of
    an instant i as the interval [i, i]."""
    from pygeofilter import values

    def bound(v: Any) -> Any:
        if v is None or v == "..":
            return None
        return cast(bindparam(None, _instant(v), DateTime(timezone=True)), TIMESTAMP(timezone=True))

    if isinstance(value, values.Interval):
        return bound(value.start), bound(value.end), False
    if isinstance(value, list | tuple) and len(value) == 2:
        return bound(value[0]), bound(value[1]), False
    instant = bound(value)
    return instant, instant, True
