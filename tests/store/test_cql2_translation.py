"""CQL2 filters evaluated by PostgreSQL against the same predicate written in Python.

A small table of five rows holds one column of each kind the translation knows (text, number,
boolean, timestamp, geometry). Each filter's matching ids, as PostGIS computes them from
``to_sql(parse_cql2(…))``, must equal the ids that the filter's meaning selects, computed here in
plain Python from the CQL2 standard (OGC 21-065: comparison, LIKE with ``%``/``_``/``\\``, BETWEEN,
IN, IS NULL, the spatial predicates, and the temporal ones of §A.10 for an instant and an interval),
with SQL's rule that a comparison with NULL is not true. S_DWITHIN distances come from pyproj's
geodesic on the WGS 84 spheroid. The messages of refused filters are pinned as users read them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from geoalchemy2 import Geometry
from pyproj import Geod

from geo_risk.errors import InvalidInput
from geo_risk.store.cql2 import parse_cql2, to_sql
from geo_risk.store.db import get_engine

UTC = dt.UTC


@dataclass(frozen=True)
class Row:
    id: int
    name: str | None
    population: int | None
    ratio: float | None
    active: bool | None
    built: dt.datetime | None
    lon: float
    lat: float


ROWS = [
    Row(1, "Alpha works", 10, 0.5, True, dt.datetime(2020, 1, 1, tzinfo=UTC), 126.5, 43.8),
    Row(2, "beta_site", 200, 1.5, False, dt.datetime(2021, 6, 15, 12, tzinfo=UTC), 126.6, 43.9),
    Row(3, "Gamma%plant", 3000, 2.5, None, dt.datetime(2022, 12, 31, 23, 59, 59, tzinfo=UTC), 127.0, 44.0),
    Row(4, None, 0, -1.0, True, None, 87.6, 43.8),
    Row(5, "ALPHA Depot", 55, 0.0, False, dt.datetime(2019, 3, 1, tzinfo=UTC), 126.55, 43.85),
    Row(6, "beta-site", None, None, None, dt.datetime(2021, 6, 15, 12, 0, 1, tzinfo=UTC), 126.52, 43.81),
]
METADATA = sa.MetaData()
TABLE = sa.Table(
    "cql2_rows", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("population", sa.BigInteger),
    sa.Column("ratio", sa.Float),
    sa.Column("active", sa.Boolean),
    sa.Column("built", sa.DateTime(timezone=True)),
    sa.Column("geom", Geometry("POINT", srid=4326)),
)
COLUMNS = {c.name: c for c in TABLE.columns if c.name != "id"}
KINDS = {"name": "text", "population": "number", "ratio": "number", "active": "boolean", "built": "timestamp",
         "geom": "geometry"}
# A box around 吉林市 (lon 126–127.5, lat 43–44.5) that holds every row but 4 (Ürümqi, lon 87.6).
BOX = "POLYGON((126 43, 127.5 43, 127.5 44.5, 126 44.5, 126 43))"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = get_engine(db_url)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(TABLE.insert(), [
            {"id": r.id, "name": r.name, "population": r.population, "ratio": r.ratio, "active": r.active,
             "built": r.built, "geom": f"SRID=4326;POINT({r.lon} {r.lat})"} for r in ROWS
        ])
    yield engine


def _matching(engine: sa.Engine, expression: str | dict, lang: str = "cql2-text") -> set[int]:
    where = to_sql(parse_cql2(expression, lang), COLUMNS, KINDS, "geom")
    with engine.connect() as conn:
        return set(conn.execute(sa.select(TABLE.c.id).where(where)).scalars())


def _where(predicate: Callable[[Row], bool | None]) -> set[int]:
    """Ids of the rows where ``predicate`` is true; None (SQL's unknown, from a NULL) is not true."""
    return {r.id for r in ROWS if predicate(r) is True}


def _cmp(f):  # noqa: ANN001, ANN202
    return lambda a: None if a is None else f(a)


T = dt.datetime
TS_2021 = T(2021, 6, 15, 12, tzinfo=UTC)

CASES: list[tuple[str, Callable[[Row], bool | None]]] = [
    # comparisons, property first and literal first (5 < population means population > 5)
    ("population > 55", lambda r: _cmp(lambda p: p > 55)(r.population)),
    ("55 < population", lambda r: _cmp(lambda p: p > 55)(r.population)),
    ("55 > population", lambda r: _cmp(lambda p: p < 55)(r.population)),
    ("55 <= population", lambda r: _cmp(lambda p: p >= 55)(r.population)),
    ("55 >= population", lambda r: _cmp(lambda p: p <= 55)(r.population)),
    ("population >= 55", lambda r: _cmp(lambda p: p >= 55)(r.population)),
    ("population < 55", lambda r: _cmp(lambda p: p < 55)(r.population)),
    ("population <= 10", lambda r: _cmp(lambda p: p <= 10)(r.population)),
    ("population = 55", lambda r: _cmp(lambda p: p == 55)(r.population)),
    ("55 = population", lambda r: _cmp(lambda p: p == 55)(r.population)),
    ("population <> 55", lambda r: _cmp(lambda p: p != 55)(r.population)),
    ("ratio < 0.75", lambda r: _cmp(lambda x: x < 0.75)(r.ratio)),
    ("ratio >= -1", lambda r: _cmp(lambda x: x >= -1)(r.ratio)),
    # BETWEEN and IN, with their negations
    ("population BETWEEN 10 AND 200", lambda r: _cmp(lambda p: 10 <= p <= 200)(r.population)),
    ("population NOT BETWEEN 10 AND 200", lambda r: _cmp(lambda p: not 10 <= p <= 200)(r.population)),
    ("population IN (10, 3000)", lambda r: _cmp(lambda p: p in (10, 3000))(r.population)),
    ("population NOT IN (10, 3000)", lambda r: _cmp(lambda p: p not in (10, 3000))(r.population)),
    ("name IN ('beta_site', 'nothing')", lambda r: _cmp(lambda s: s == "beta_site")(r.name)),
    # LIKE: % any run, _ one character, \ escapes; case-sensitive unless CASEI
    ("name LIKE 'Alpha%'", lambda r: _cmp(lambda s: s.startswith("Alpha"))(r.name)),
    ("name NOT LIKE 'Alpha%'", lambda r: _cmp(lambda s: not s.startswith("Alpha"))(r.name)),
    ("name LIKE 'beta_site'", lambda r: _cmp(lambda s: len(s) == 9 and s.startswith("beta") and s.endswith("site"))(
        r.name)),
    ("name LIKE 'beta\\_site'", lambda r: _cmp(lambda s: s == "beta_site")(r.name)),
    ("name LIKE '%\\%%'", lambda r: _cmp(lambda s: "%" in s)(r.name)),
    ("name LIKE 'Gamma\\%plant'", lambda r: _cmp(lambda s: s == "Gamma%plant")(r.name)),
    ("name LIKE 'Gamma\\plant'", lambda r: _cmp(lambda s: s == "Gammaplant")(r.name)),  # \p is just p
    ("CASEI(name) LIKE 'alpha%'", lambda r: _cmp(lambda s: s.lower().startswith("alpha"))(r.name)),
    ("CASEI(name) LIKE CASEI('ALPHA%')", lambda r: _cmp(lambda s: s.lower().startswith("alpha"))(r.name)),
    ("CASEI(name) = CASEI('ALPHA WORKS')", lambda r: _cmp(lambda s: s.lower() == "alpha works")(r.name)),
    ("name = 'ALPHA Depot'", lambda r: _cmp(lambda s: s == "ALPHA Depot")(r.name)),
    # NULL tests and booleans
    ("name IS NULL", lambda r: r.name is None),
    ("name IS NOT NULL", lambda r: r.name is not None),
    ("population IS NULL", lambda r: r.population is None),
    ("active = FALSE", lambda r: _cmp(lambda a: a is False)(r.active)),
    ("active = TRUE", lambda r: _cmp(lambda a: a is True)(r.active)),
    # logic: AND binds tighter than OR; chains
    ("population > 5 AND ratio < 2", lambda r: _cmp(lambda p: p > 5)(r.population) and _cmp(lambda x: x < 2)(
        r.ratio)),
    ("population > 1000 OR active = TRUE",
     lambda r: _cmp(lambda p: p > 1000)(r.population) is True or r.active is True),
    ("population = 10 OR population = 200 OR population = 55",
     lambda r: _cmp(lambda p: p in (10, 200, 55))(r.population)),
    ("population > 5 AND population < 3000 AND ratio > 0",
     lambda r: _cmp(lambda p: 5 < p < 3000)(r.population) and _cmp(lambda x: x > 0)(r.ratio)),
    ("NOT (population > 100 OR ratio < 0)",
     lambda r: None if r.population is None else not (r.population > 100 or r.ratio < 0)),
    # spatial: property first and literal first (S_CONTAINS(box, geom) is "geom inside box")
    (f"S_INTERSECTS(geom, {BOX})", lambda r: 126 <= r.lon <= 127.5 and 43 <= r.lat <= 44.5),
    (f"S_INTERSECTS({BOX}, geom)", lambda r: 126 <= r.lon <= 127.5 and 43 <= r.lat <= 44.5),
    (f"S_WITHIN(geom, {BOX})", lambda r: 126 < r.lon < 127.5 and 43 < r.lat < 44.5),
    (f"S_CONTAINS({BOX}, geom)", lambda r: 126 < r.lon < 127.5 and 43 < r.lat < 44.5),
    (f"S_CONTAINS(geom, {BOX})", lambda r: False),  # a point contains no box
    (f"S_WITHIN({BOX}, geom)", lambda r: False),
    (f"S_DISJOINT(geom, {BOX})", lambda r: not (126 <= r.lon <= 127.5 and 43 <= r.lat <= 44.5)),
    ("S_EQUALS(geom, POINT(126.5 43.8))", lambda r: (r.lon, r.lat) == (126.5, 43.8)),
    ("S_TOUCHES(geom, POLYGON((126.5 43.8, 127 43.8, 127 44, 126.5 44, 126.5 43.8)))",
     lambda r: (r.lon, r.lat) in {(126.5, 43.8), (127.0, 44.0)}),  # on the ring, not inside
    ("S_CROSSES(geom, LINESTRING(126 43, 127.5 44.5))", lambda r: False),  # a point never crosses
    ("S_OVERLAPS(geom, MULTIPOINT((126.5 43.8), (1 1)))", lambda r: False),  # one point: no overlap
    ("S_INTERSECTS(geom, BBOX(126.55, 43.85, 127, 44))", lambda r: 126.55 <= r.lon <= 127 and 43.85 <= r.lat <= 44),
    ("BBOX(geom, 126.55, 43.85, 127, 44)", lambda r: 126.55 <= r.lon <= 127 and 43.85 <= r.lat <= 44),
    ("S_INTERSECTS(geom, BBOX(80, 40, 90, 45))", lambda r: r.id == 4),
    # temporal (OGC 21-065 §A.10), instants and intervals, open ends
    ("T_BEFORE(built, TIMESTAMP('2021-06-15T12:00:00Z'))", lambda r: _cmp(lambda t: t < TS_2021)(r.built)),
    ("T_AFTER(built, TIMESTAMP('2021-06-15T12:00:00Z'))", lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
    ("T_EQUALS(built, TIMESTAMP('2021-06-15T12:00:00Z'))", lambda r: _cmp(lambda t: t == TS_2021)(r.built)),
    ("T_INTERSECTS(built, TIMESTAMP('2021-06-15T12:00:00Z'))", lambda r: _cmp(lambda t: t == TS_2021)(r.built)),
    ("T_DURING(built, TIMESTAMP('2021-06-15T12:00:00Z'))", lambda r: False),
    ("T_BEFORE(built, DATE('2020-01-01'))", lambda r: _cmp(lambda t: t < T(2020, 1, 1, tzinfo=UTC))(r.built)),
    ("T_AFTER(built, TIMESTAMP('2021-06-15T20:00:00+08:00'))", lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
    ("T_AFTER(built, TIMESTAMP('2021-06-15T12:00:00'))", lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
    ("T_DURING(built, INTERVAL('2020-01-01T00:00:00Z', '2022-12-31T23:59:59Z'))",
     lambda r: _cmp(lambda t: T(2020, 1, 1, tzinfo=UTC) < t < T(2022, 12, 31, 23, 59, 59, tzinfo=UTC))(r.built)),
    ("T_INTERSECTS(built, INTERVAL('2020-01-01T00:00:00Z', '2022-12-31T23:59:59Z'))",
     lambda r: _cmp(lambda t: T(2020, 1, 1, tzinfo=UTC) <= t <= T(2022, 12, 31, 23, 59, 59, tzinfo=UTC))(r.built)),
    ("T_BEFORE(built, INTERVAL('2021-06-15T12:00:00Z', '2023-01-01T00:00:00Z'))",
     lambda r: _cmp(lambda t: t < TS_2021)(r.built)),
    ("T_AFTER(built, INTERVAL('2019-01-01T00:00:00Z', '2021-06-15T12:00:00Z'))",
     lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
    ("T_EQUALS(built, INTERVAL('2021-06-15T12:00:00Z', '2021-06-15T12:00:00Z'))",
     lambda r: _cmp(lambda t: t == TS_2021)(r.built)),
    ("T_EQUALS(built, INTERVAL('2021-06-15T12:00:00Z', '2021-06-15T12:00:01Z'))", lambda r: False),
    ("T_EQUALS(built, INTERVAL('..', '2021-06-15T12:00:00Z'))", lambda r: False),
    ("T_BEFORE(built, INTERVAL('..', '2021-01-01T00:00:00Z'))", lambda r: False),  # nothing is before ..
    ("T_AFTER(built, INTERVAL('2021-01-01T00:00:00Z', '..'))", lambda r: False),
    ("T_DURING(built, INTERVAL('2020-06-01T00:00:00Z', '..'))",
     lambda r: _cmp(lambda t: t > T(2020, 6, 1, tzinfo=UTC))(r.built)),
    ("T_DURING(built, INTERVAL('..', '2021-06-15T12:00:00Z'))", lambda r: _cmp(lambda t: t < TS_2021)(r.built)),
    ("T_DURING(built, INTERVAL('..', '..'))", lambda r: r.built is not None),
    ("T_INTERSECTS(built, INTERVAL('..', '2020-01-01T00:00:00Z'))",
     lambda r: _cmp(lambda t: t <= T(2020, 1, 1, tzinfo=UTC))(r.built)),
    ("T_INTERSECTS(built, INTERVAL('2021-06-15T12:00:00Z', '..'))", lambda r: _cmp(lambda t: t >= TS_2021)(r.built)),
    ("T_INTERSECTS(built, INTERVAL('..', '..'))", lambda r: r.built is not None),
]


def _id(expression: str) -> str:
    """A test id safe on a command line (mutmut passes ids as arguments)."""
    return re.sub(r"[^A-Za-z0-9_.<>=-]+", "_", expression).strip("_")[:80]


@pytest.mark.parametrize(("expression", "meaning"), [c for c in CASES if c[1] is not None],
                         ids=[_id(c[0]) for c in CASES if c[1] is not None])
def test_a_filter_selects_what_it_means(engine: sa.Engine, expression: str, meaning) -> None:  # noqa: ANN001
    expected = _where(meaning)
    assert _matching(engine, expression) == expected


def test_two_number_properties_compare_with_each_other(engine: sa.Engine) -> None:
    assert _matching(engine, "population > ratio") == _where(
        lambda r: None if r.population is None or r.ratio is None else r.population > r.ratio)
    assert _matching(engine, "ratio >= population") == _where(
        lambda r: None if r.population is None or r.ratio is None else r.ratio >= r.population)


@pytest.mark.parametrize("distance_m", [0, 6_000, 7_500, 14_000, 60_000])
def test_s_dwithin_is_metres_on_the_spheroid(engine: sa.Engine, distance_m: int) -> None:
    def within(r: Row) -> bool:
        return GEOD.inv(126.5, 43.8, r.lon, r.lat)[2] <= distance_m

    for text in (f"S_DWITHIN(geom, POINT(126.5 43.8), {distance_m})",
                 f"S_DWITHIN(POINT(126.5 43.8), geom, {distance_m})"):
        assert _matching(engine, text) == _where(within), text


def test_a_boolean_property_alone_is_a_condition(engine: sa.Engine) -> None:
    # cql2-text cannot write a bare property as a condition; cql2-json can ({"property": "active"}).
    active = {"property": "active"}
    assert _matching(engine, active, "cql2-json") == _where(lambda r: r.active is True)
    assert _matching(engine, {"op": "not", "args": [active]}, "cql2-json") == _where(lambda r: r.active is not True)
    with pytest.raises(InvalidInput, match=r"^property 'population' is not boolean: compare it with a value$"):
        _matching(engine, {"property": "population"}, "cql2-json")


def test_a_json_bbox_is_minx_miny_maxx_maxy(engine: sa.Engine) -> None:
    # OGC 21-065 Annex B: "bbox": [minx, miny, maxx, maxy]. pygeofilter reads the list in another order.
    box = {"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [126.55, 43.85, 127, 44]}]}
    assert _matching(engine, box, "cql2-json") == _where(lambda r: 126.55 <= r.lon <= 127 and 43.85 <= r.lat <= 44)
    box6 = {"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [80, 40, 0, 90, 45, 100]}]}
    assert _matching(engine, box6, "cql2-json") == {4}


def test_cql2_json_reads_like_text(engine: sa.Engine) -> None:
    cases = [
        ({"op": "<", "args": [55, {"property": "population"}]}, "55 < population"),
        ({"op": "not", "args": [{"op": "in", "args": [{"property": "population"}, [10, 3000]]}]},
         "population NOT IN (10, 3000)"),
        ({"op": "between", "args": [{"property": "population"}, 10, 200]}, "population BETWEEN 10 AND 200"),
        ({"op": "s_contains", "args": [{"bbox": [126, 43, 127.5, 44.5]}, {"property": "geom"}]},
         f"S_CONTAINS({BOX}, geom)"),
        ({"op": "t_before", "args": [{"property": "built"}, {"timestamp": "2021-06-15T12:00:00Z"}]},
         "T_BEFORE(built, TIMESTAMP('2021-06-15T12:00:00Z'))"),
        ({"op": "t_during", "args": [{"property": "built"}, {"interval": ["2020-06-01T00:00:00Z", ".."]}]},
         "T_DURING(built, INTERVAL('2020-06-01T00:00:00Z', '..'))"),
        ({"op": "isNull", "args": [{"property": "name"}]}, "name IS NULL"),
        ({"op": "s_intersects", "args": [{"property": "geometry"},
                                          {"type": "Point", "coordinates": [87.6, 43.8]}]}, "population = 0"),
    ]
    for json_filter, text in cases:
        assert _matching(engine, json_filter, "cql2-json") == _matching(engine, text), json_filter


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("nosuch = 1", "unknown property 'nosuch'; queryable properties: active, built, name, population, ratio, "
                       "geometry"),
        ("name = 5", "text property needs a quoted value; got 5"),
        ("population = 'five'", "numeric property needs a number; got 'five'"),
        ("population = TRUE", "numeric property needs a number; got True"),
        ("active = 1", "boolean property needs TRUE or FALSE; got 1"),
        ("population LIKE '1%'", "LIKE needs a text property and a quoted pattern"),
        ("name = population", "cannot compare text property with number property"),
        ("geom = 5", "the geometry can only be used in spatial operators (S_INTERSECTS …)"),
        ("S_INTERSECTS(name, POINT(1 1))", "spatial operators need the geometry property; "),
        ("T_BEFORE(population, TIMESTAMP('2021-01-01T00:00:00Z'))",
         "temporal operators need a timestamp property; "),
        ("S_DWITHIN(geom, POINT(126.5 43.8), 10000001)", "S_DWITHIN distance must be 0–10000000 metres; got 10000001"),
        ("S_DWITHIN(geom, POINT(126.5 43.8), -1)", "S_DWITHIN distance must be 0–10000000 metres; got -1"),
        ("S_INTERSECTS(geom, POINT(500000 4800000))", "filter geometry coordinates must be lon/lat in degrees"),
        ("BBOX(geom, 127, 43, 126, 44)", "BBOX 127.0,43.0,126.0,44.0 is not lon_min ≤ lon_max (±180), lat_min ≤ "
                                         "lat_max (±90)"),
        ("built > TIMESTAMP('2021-01-01T00:00:00Z') AND name = 'x\x00'",
         "the text 'x\\x00' contains a NUL character (U+0000), which no text can hold"),
        ("population = 9223372036854775808",
         "the number 922337…808 (19 digits) is out of range: integers in a filter are at most 9223372036854775807"),
    ],
    ids=_id,
)
def test_a_refused_filter_says_why(expression: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2(expression), COLUMNS, KINDS, "geom")
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_filter_language_is_checked() -> None:
    with pytest.raises(InvalidInput, match=r"^filter-lang 'cql-text' is not supported: use cql2-text or cql2-json$"):
        parse_cql2("population = 1", "cql-text")


POINT = {"type": "Point", "coordinates": [126.5, 43.8]}


@pytest.mark.parametrize(
    ("json_filter", "message"),
    [
        ({"op": "s_dwithin", "args": [{"property": "geom"}, POINT, "far"]},
         "S_DWITHIN distance must be a number of metres; got 'far'"),
        ({"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [126, 43, 127]}]},
         "CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)"),
        ({"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": {"0": 126, "1": 43, "2": 127, "3": 44}}]},
         "CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)"),
        ({"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [126, 43, "127", 44]}]},
         "CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)"),
        ({"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [126, 43, True, 44]}]},
         "CQL2-JSON: a bbox is [minx, miny, maxx, maxy] (or six numbers with heights)"),
        ({"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [127, 43, 126, 44]}]},
         "BBOX 127.0,43.0,126.0,44.0 is not lon_min ≤ lon_max (±180), lat_min ≤ lat_max (±90)"),
        ({"op": "=", "args": [{"property": "name"}, "a\ud800b"]},
         "the text 'a\\ud800b' is not valid Unicode (a lone surrogate)"),
        ({"op": "=", "args": [{"property": "population"}, "x" * 38]}, "numeric property needs a number; got '"
         + "x" * 38 + "'"),  # a repr of 40 characters is shown whole
        ({"op": "=", "args": [{"property": "population"}, "x" * 39]}, "numeric property needs a number; got '"
         + "x" * 38 + "…"),  # one more: cut to 39 and an ellipsis
        ({"op": "=", "args": [{"property": "population"}, -(10**20)]},
         "the number -100000…000 (21 digits) is out of range: integers in a filter are at most "
         "9223372036854775807 in absolute value"),
        ({"op": "=", "args": [{"property": "population"}, 10**20]},
         "the number 100000…000 (21 digits) is out of range: integers in a filter are at most "
         "9223372036854775807 in absolute value"),
        ({"op": "=", "args": [{"property": "name"}, 2**63 - 1]},
         "text property needs a quoted value; got 9223372036854775807"),  # at the limit: shown whole
    ],
    ids=lambda v: _id(str(v)),
)
def test_a_refused_json_filter_says_why(json_filter: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2(json_filter, "cql2-json"), COLUMNS, KINDS, "geom")
    assert str(caught.value) == message


def test_s_dwithin_takes_up_to_a_quarter_meridian(engine: sa.Engine) -> None:
    assert _matching(engine, "S_DWITHIN(geom, POINT(126.5 43.8), 10000000)") == {r.id for r in ROWS}


@pytest.mark.parametrize("units", [None, "meters", "metres", "m"])
def test_s_dwithin_units_are_metres(engine: sa.Engine, units: str | None) -> None:
    from pygeofilter import ast, values

    node = ast.DistanceWithin(ast.Attribute("geom"), values.Geometry(POINT), 7_500, units)
    with engine.connect() as conn:
        got = set(conn.execute(sa.select(TABLE.c.id).where(to_sql(node, COLUMNS, KINDS, "geom"))).scalars())
    assert got == _where(lambda r: GEOD.inv(126.5, 43.8, r.lon, r.lat)[2] <= 7_500)


@pytest.mark.parametrize("units", ["feet", "M", "km", "METRES"])
def test_s_dwithin_other_units_are_refused(units: str) -> None:
    from pygeofilter import ast, values

    node = ast.DistanceWithin(ast.Attribute("geom"), values.Geometry(POINT), 1, units)
    with pytest.raises(InvalidInput, match=rf"^S_DWITHIN distances are metres; unit '{units}' is not supported$"):
        to_sql(node, COLUMNS, KINDS, "geom")


def test_a_trailing_backslash_in_like_is_dropped_not_an_error(engine: sa.Engine) -> None:
    # CQL2 gives a lone escape at the end no meaning; PostgreSQL refuses a pattern ending in its escape
    # character, so the translation must not pass it on (a database error would be a 500).
    assert _matching(engine, "name LIKE 'Alpha works\\'") == _matching(engine, "name LIKE 'Alpha works'") == {1}


P, R_, N_ = {"property": "population"}, {"property": "ratio"}, {"property": "name"}


@pytest.mark.parametrize(
    ("json_filter", "text"),
    [
        ({"op": "and", "args": [{"op": ">", "args": [P, 5]}, {"op": "<", "args": [R_, 2]}]},
         "population > 5 AND ratio < 2"),
        ({"op": "AND", "args": [{"op": ">", "args": [P, 5]}, {"op": "<", "args": [R_, 2]}]},
         "population > 5 AND ratio < 2"),  # operator names are case-insensitive
        ({"op": "or", "args": [{"op": "=", "args": [P, v]} for v in (10, 200, 55)]},
         "population = 10 OR population = 200 OR population = 55"),
        ({"op": "Or", "args": [{"op": ">", "args": [P, 1000]}, {"op": "<", "args": [R_, 0.75]}]},
         "population > 1000 OR ratio < 0.75"),
        ({"op": "not", "args": [{"op": ">", "args": [P, 100]}]}, "NOT population > 100"),
        ({"op": "NOT", "args": [{"op": ">", "args": [P, 100]}]}, "NOT population > 100"),
        ({"op": "s_dwithin", "args": [{"property": "geom"}, POINT, 7500]},
         "S_DWITHIN(geom, POINT(126.5 43.8), 7500)"),
        ({"op": "S_DWITHIN", "args": [POINT, {"property": "geom"}, 14000]},
         "S_DWITHIN(geom, POINT(126.5 43.8), 14000)"),
        ({"op": "between", "args": [P, [10, 200]]}, "population BETWEEN 10 AND 200"),  # the draft's form
        ({"op": "in", "args": [P, [10, 3000]]}, "population IN (10, 3000)"),
        ({"op": "like", "args": [N_, "beta_site"]}, "name LIKE 'beta_site'"),
    ],
    ids=lambda v: _id(str(v)),
)
def test_cql2_json_operators_read_like_text(engine: sa.Engine, json_filter: dict, text: str) -> None:
    assert _matching(engine, json_filter, "cql2-json") == _matching(engine, text)


@pytest.mark.parametrize(
    ("json_filter", "message"),
    [
        ({"op": "and", "args": [{"op": ">", "args": [P, 5]}]}, "CQL2-JSON: 'and' needs at least two arguments"),
        ({"op": "or", "args": []}, "CQL2-JSON: 'or' needs at least two arguments"),
        ({"op": "or", "args": {"a": 1}}, "CQL2-JSON: 'args' of 'or' must be a list"),
        ({"op": "not", "args": [{"op": ">", "args": [P, 5]}, {"op": ">", "args": [P, 6]}]},
         "CQL2-JSON: 'not' takes one argument"),
        ({"op": "s_dwithin", "args": [{"property": "geom"}, POINT]},
         "CQL2-JSON: s_dwithin takes [property, geometry, distance in metres]"),
        ({"op": "s_dwithin", "args": [{"property": "geom"}, POINT, 1, 2]},
         "CQL2-JSON: s_dwithin takes [property, geometry, distance in metres]"),
        ({"op": "=", "args": [P]}, "CQL2-JSON: '=' takes 2 arguments; got 1"),
        ({"op": "=", "args": [P, 1, 2]}, "CQL2-JSON: '=' takes 2 arguments; got 3"),
        ({"op": "between", "args": [P]}, "CQL2-JSON: 'between' takes 2 or 3 arguments; got 1"),
        ({"op": "between", "args": [P, [1]]}, "CQL2-JSON: 'between' takes [property, low, high]"),
        ({"op": "between", "args": [P, 5]}, "CQL2-JSON: 'between' takes [property, low, high]"),
        ({"op": "in", "args": [P, 5]}, "CQL2-JSON: the second argument of 'in' is the list of values"),
        ({"op": "s_intersects", "args": [{"property": "geom"}]}, "CQL2-JSON: 's_intersects' takes 2 arguments; got 1"),
    ],
    ids=lambda v: _id(str(v)),
)
def test_a_malformed_json_filter_says_why(json_filter: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cql2(json_filter, "cql2-json")
    assert str(caught.value) == message


def test_an_unknown_json_operator_is_a_parse_error() -> None:
    for node in ({"op": "frobnicate", "args": []}, {"op": "frobnicate"}, {"op": "frobnicate", "args": [P]}):
        with pytest.raises(InvalidInput, match=r"^the cql2-json filter cannot be parsed: "):
            parse_cql2(node, "cql2-json")


def test_json_nesting_is_limited_at_116_levels() -> None:
    # 2 levels per condition × 50 + 16 (cql2._MAX_JSON_NESTING): the top object is level 1, "args" level 2,
    # the outer of k nested lists level 3, and the text inside them level 3 + k.
    def nested(k: int) -> dict:
        value: object = "x"
        for _ in range(k):
            value = [value]
        return {"op": "=", "args": [N_, value]}

    with pytest.raises(InvalidInput) as at_limit:
        to_sql(parse_cql2(nested(113), "cql2-json"), COLUMNS, KINDS, "geom")
    assert "nests objects and arrays" not in str(at_limit.value)
    with pytest.raises(InvalidInput, match=r"^the cql2-json filter nests objects and arrays more than 116 deep; "
                                           r"the limit is 50 nested conditions$"):
        parse_cql2(nested(114), "cql2-json")


def _matching_in(engine: sa.Engine, expression: str | dict, time_zone: str, lang: str = "cql2-text") -> set[int]:
    where = to_sql(parse_cql2(expression, lang), COLUMNS, KINDS, "geom")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT set_config('TimeZone', :tz, false)"), {"tz": time_zone})
        return set(conn.execute(sa.select(TABLE.c.id).where(where)).scalars())


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def test_the_server_time_zone_does_not_change_an_answer(engine: sa.Engine, time_zone: str) -> None:
    # A timestamp without an offset, and a DATE, are UTC (the module's rule), whatever the session's zone.
    cases = [
        ("T_AFTER(built, TIMESTAMP('2021-06-15T12:00:00'))", lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
        ("built > TIMESTAMP('2021-06-15T12:00:00')", lambda r: _cmp(lambda t: t > TS_2021)(r.built)),
        ("T_BEFORE(built, DATE('2023-01-01'))", lambda r: _cmp(lambda t: t < T(2023, 1, 1, tzinfo=UTC))(r.built)),
        ("built < DATE('2023-01-01')", lambda r: _cmp(lambda t: t < T(2023, 1, 1, tzinfo=UTC))(r.built)),
        ("T_DURING(built, INTERVAL('2021-06-15T12:00:00', '2023-01-01'))",
         lambda r: _cmp(lambda t: TS_2021 < t < T(2023, 1, 1, tzinfo=UTC))(r.built)),
        ("T_INTERSECTS(built, INTERVAL('2021-06-15T12:00:01Z', '2022-12-31T23:59:59+00:00'))",
         lambda r: _cmp(lambda t: T(2021, 6, 15, 12, 0, 1, tzinfo=UTC) <= t <= T(2022, 12, 31, 23, 59, 59,
                                                                                  tzinfo=UTC))(r.built)),
        ("T_EQUALS(built, TIMESTAMP('2021-06-15T20:00:00+08:00'))", lambda r: _cmp(lambda t: t == TS_2021)(r.built)),
    ]
    for expression, meaning in cases:
        assert _matching_in(engine, expression, time_zone) == _where(meaning), expression


def test_an_instant_list_of_two_is_an_interval(engine: sa.Engine) -> None:
    from pygeofilter import ast

    during = ast.TimeDuring(ast.Attribute("built"), ["2020-01-01T00:00:00Z", "2022-12-31T23:59:59Z"])
    overlap = ast.TimeOverlaps(ast.Attribute("built"), ("..", "2020-01-01T00:00:00Z"))
    with engine.connect() as conn:
        got = [set(conn.execute(sa.select(TABLE.c.id).where(to_sql(n, COLUMNS, KINDS, "geom"))).scalars())
               for n in (during, overlap)]
    assert got == [{2, 6}, {1, 5}]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("built > 5", "expected a timestamp (TIMESTAMP('…') or DATE('…')), got 5"),
        ("S_INTERSECTS(geom, 5)", "expected a geometry (WKT, GeoJSON or BBOX), got 5"),
        ("CASEI(name) = CASEI(5)", "CASEI() takes a text property or a quoted text"),
        ("CASEI(population) = 'x'", "CASEI() takes a text property"),
        ("population BETWEEN ratio AND 5", "compare a property with a value here, not with another property"),
        ("population IN (ratio)", "compare a property with a value here, not with another property"),
        ("S_INTERSECTS(geom, LINESTRING(-180.001 0, 10 10))",
         "filter geometry coordinates must be lon/lat in degrees (lon −180…180, lat −90…90); got bounds "
         "(-180.001, 0.0, 10.0, 10.0) — projected coordinates or swapped lat/lon?"),
        ("S_INTERSECTS(geom, LINESTRING(0 0, 180.001 10))", "filter geometry coordinates must be lon/lat"),
        ("S_INTERSECTS(geom, LINESTRING(0 -90.001, 10 10))", "filter geometry coordinates must be lon/lat"),
        ("S_INTERSECTS(geom, LINESTRING(0 0, 10 90.001))", "filter geometry coordinates must be lon/lat"),
        ("BBOX(geom, -180.001, 0, 10, 10)", "BBOX -180.001,0.0,10.0,10.0 is not lon_min ≤ lon_max (±180)"),
        ("BBOX(geom, 0, 0, 180.001, 10)", "BBOX 0.0,0.0,180.001,10.0 is not"),
        ("BBOX(geom, 0, -90.001, 10, 10)", "BBOX 0.0,-90.001,10.0,10.0 is not"),
        ("BBOX(geom, 0, 0, 10, 90.001)", "BBOX 0.0,0.0,10.0,90.001 is not"),
        ("BBOX(geom, 0, 10, 10, 9)", "BBOX 0.0,10.0,10.0,9.0 is not"),
        ("S_INTERSECTS(geom, BBOX(0, 0, 0, 10, 10))", "expected a geometry (WKT, GeoJSON or BBOX), got "),
        ("S_INTERSECTS(geom, BBOX(0, 0, 0, 10, 10, 1, 1))", "expected a geometry (WKT, GeoJSON or BBOX), got "),
    ],
    ids=lambda v: _id(str(v)),
)
def test_more_refused_filters_say_why(expression: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2(expression), COLUMNS, KINDS, "geom")
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize(
    ("expression", "meaning"),
    [
        ("S_INTERSECTS(geom, ENVELOPE(126.55 127 43.85 44))",  # ENVELOPE(minx maxx miny maxy)
         lambda r: 126.55 <= r.lon <= 127 and 43.85 <= r.lat <= 44),
        ("S_INTERSECTS(geom, BBOX(126.55, 43.85, -5, 127, 44, 100))",  # with heights
         lambda r: 126.55 <= r.lon <= 127 and 43.85 <= r.lat <= 44),
        ("BBOX(geom, -180, -90, 180, 90)", lambda r: True),
        ("S_INTERSECTS(geom, LINESTRING(-180 -90, 180 90))", lambda r: r.lat == r.lon / 2),
        ("S_INTERSECTS(geom, MULTIPOINT((126.5 43.8), (180 90), (-180 -90)))",
         lambda r: (r.lon, r.lat) == (126.5, 43.8)),
    ],
    ids=lambda v: _id(str(v)) if isinstance(v, str) else "",
)
def test_boxes_and_edges(engine: sa.Engine, expression: str, meaning) -> None:  # noqa: ANN001
    assert _matching(engine, expression) == _where(meaning)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [126.5, 43.8], "crs": {"type": "name", "properties": {"name": "EPSG:4490"}}},
         "filter geometries are CRS84 (lon/lat); a 'crs' member is not supported"),
        ({"type": "MultiPoint", "coordinates": []}, "the filter geometry is empty"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "the filter geometry is not valid: "),
    ],
    ids=["crs", "empty", "invalid"],
)
def test_refused_json_geometries(geometry: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2({"op": "s_intersects", "args": [{"property": "geom"}, geometry]}, "cql2-json"),
               COLUMNS, KINDS, "geom")
    assert str(caught.value).startswith(message)
    if message.endswith("supported") or message.endswith("empty"):
        assert str(caught.value) == message


def test_bare_true_and_false(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        got = [set(conn.execute(sa.select(TABLE.c.id).where(to_sql(v, COLUMNS, KINDS, "geom"))).scalars())
               for v in (True, False)]
    assert got == [{r.id for r in ROWS}, set()]


def test_like_without_case_and_its_negation(engine: sa.Engine) -> None:
    from pygeofilter import ast

    def run(node) -> set[int]:  # noqa: ANN001
        with engine.connect() as conn:
            return set(conn.execute(sa.select(TABLE.c.id).where(to_sql(node, COLUMNS, KINDS, "geom"))).scalars())

    name = ast.Attribute("name")
    assert run(ast.Like(name, "alpha%", True, "%", "_", "\\", False)) == _where(
        lambda r: _cmp(lambda s: s.lower().startswith("alpha"))(r.name))
    assert run(ast.Like(name, "beta\\_site", True, "%", "_", "\\", False)) == {2}
    assert run(ast.Like(name, "ALPHA%", True, "%", "_", "\\", True)) == _where(
        lambda r: _cmp(lambda s: not s.lower().startswith("alpha"))(r.name))


def test_bbox_crs_and_arguments() -> None:
    from pygeofilter import ast

    geom = ast.Attribute("geom")
    for crs in (None, "EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"):
        to_sql(ast.BBox(geom, 126, 43, 127, 44, crs), COLUMNS, KINDS, "geom")
    for crs in ("EPSG:3857", "epsg:4326", "EPSG:4490"):
        with pytest.raises(InvalidInput, match=rf"^BBOX in CRS '{crs}' is not supported: give lon/lat \(CRS84\)$"):
            to_sql(ast.BBox(geom, 126, 43, 127, 44, crs), COLUMNS, KINDS, "geom")
    with pytest.raises(InvalidInput, match=r"^BBOX takes four numbers: lon_min, lat_min, lon_max, lat_max$"):
        to_sql(ast.BBox(geom, "west", 43, 127, 44), COLUMNS, KINDS, "geom")
    to_sql(parse_cql2("BBOX(geom, 126.5, 43.8, 126.5, 43.8)"), COLUMNS, KINDS, "geom")  # min = max is a box
    with pytest.raises(InvalidInput, match=r"^'yesterday' is not an RFC 3339 timestamp$"):
        to_sql(ast.TimeBefore(ast.Attribute("built"), "yesterday"), COLUMNS, KINDS, "geom")


def test_in_takes_one_to_a_thousand_values(engine: sa.Engine) -> None:
    thousand = ", ".join(str(v) for v in range(1, 1001))
    assert _matching(engine, f"population IN ({thousand})") == _where(
        lambda r: _cmp(lambda p: 1 <= p <= 1000)(r.population))
    with pytest.raises(InvalidInput, match=r"^IN takes at most 1000 values$"):
        to_sql(parse_cql2(f"population IN ({thousand}, 1001)"), COLUMNS, KINDS, "geom")
    with pytest.raises(InvalidInput, match=r"^IN needs at least one value$"):
        to_sql(parse_cql2({"op": "in", "args": [P, []]}, "cql2-json"), COLUMNS, KINDS, "geom")


def test_an_unsupported_operator_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"^this filter operator is not supported: Add$"):
        to_sql(parse_cql2("population + 1 = 2").lhs, COLUMNS, KINDS, "geom")


def test_the_text_grammar_is_built_with_s_dwithin() -> None:
    from pygeofilter import ast

    from geo_risk.store import cql2

    cql2._text_parser.cache_clear()  # build it again here (it is made once per process and kept)
    assert isinstance(parse_cql2("S_DWITHIN(geom, POINT(1 1), 5)"), ast.DistanceWithin)


def test_the_length_limit_is_20000_characters_of_text_or_json() -> None:
    pad = "name = '" + "x" * (20_000 - len("name = ''")) + "'"
    assert len(pad) == 20_000
    parse_cql2(pad)
    with pytest.raises(InvalidInput, match=r"^the filter is 20001 characters long; the limit is 20000$"):
        parse_cql2(pad + " ")
    big_json = {"op": "=", "args": [N_, "x" * 20_000]}  # 44 characters of JSON around the text, 3 after it
    with pytest.raises(InvalidInput, match=r"^the filter is 20047 characters long; the limit is 20000$"):
        parse_cql2(big_json, "cql2-json")


def test_parse_errors_say_which_language_and_one_line() -> None:
    with pytest.raises(InvalidInput, match=r"^a cql2-text filter must be text$"):
        parse_cql2({"op": "=", "args": [P, 1]}, "cql2-text")
    with pytest.raises(InvalidInput) as not_json:
        parse_cql2('{"op": "=", ', "cql2-json")
    assert str(not_json.value).startswith("the cql2-json filter is not JSON: Expecting")
    with pytest.raises(InvalidInput) as bad_text:
        parse_cql2("population = = 1")
    text = str(bad_text.value)
    assert text.startswith("the cql2-text filter cannot be parsed: Unexpected token") and "\n" not in text
    assert "at line 1, column" in text
    with pytest.raises(InvalidInput, match=r"^the cql2-json filter cannot be parsed: .*frobnicate"):
        parse_cql2({"op": "frobnicate", "args": [P]}, "cql2-json")


def test_the_size_of_a_filter_is_counted_by_hand() -> None:
    # Each node a level, a chain of one logical operator one level (cql2.filter_size); a comparison's
    # property is a node of its own, a literal is not.
    from geo_risk.store.cql2 import filter_size

    cases = {
        "population = 1": (2, 0),
        "population = 1 AND ratio = 2 AND name = 'x'": (3, 2),
        "NOT (population = 1 OR ratio = 2)": (4, 2),
        "(population = 1 AND ratio = 2) OR name = 'x'": (4, 2),
        "population = 1 OR (ratio = 2 OR name = 'x')": (3, 2),
        "NOT NOT_X = 1": (3, 1),
    }
    for text, size in cases.items():
        assert filter_size(parse_cql2(text.replace("NOT_X", "population") if "NOT_X" in text else text)) == size, text


def test_at_most_200_logical_operators() -> None:
    chain = " OR ".join(f"population = {i}" for i in range(201))  # 200 ORs
    parse_cql2(chain)
    with pytest.raises(InvalidInput, match=r"^the filter has 201 AND/OR/NOT operators; the limit is 200: write a "
                                           r"list of alternatives as IN \(…\) or BETWEEN, or split the query$"):
        parse_cql2(chain + " OR population = 999")


def test_conditions_nest_at_most_50_deep() -> None:
    def nots(k: int) -> dict:
        node: dict = {"op": "=", "args": [P, 1]}
        for _ in range(k):
            node = {"op": "not", "args": [node]}
        return node

    parse_cql2(nots(48), "cql2-json")  # 48 NOTs, the comparison and its property: 50 levels
    with pytest.raises(InvalidInput, match=r"^the filter nests 51 levels deep; the limit is 50 levels \(each NOT, "
                                           r"each parenthesised group and each AND inside an OR or the reverse adds "
                                           r"a level; a chain a AND b AND c … is one\): simplify it$"):
        parse_cql2(nots(49), "cql2-json")


def test_parentheses_nest_at_most_53_deep_quoted_text_aside() -> None:
    parse_cql2("(" * 53 + "population = 1" + ")" * 53)
    with pytest.raises(InvalidInput, match=r"^the filter nests 54 levels of parentheses deep; the limit is 50"):
        parse_cql2("(" * 54 + "population = 1" + ")" * 54)
    parse_cql2("name = '" + "(" * 60 + "'")  # inside a quoted literal: not nesting
    from geo_risk.store.cql2 import _check_text_nesting

    _check_text_nesting("name = 'it''s " + "(" * 60 + "' AND (population = 1)")  # '' stays inside the literal
    with pytest.raises(InvalidInput, match=r"^the filter nests 54 levels of parentheses"):
        _check_text_nesting("name = 'a''b' AND " + "(" * 54 + ")" * 54)
    parse_cql2("(population = 1) AND " * 30 + "population = 2")  # closed groups do not add up


def test_the_geometry_is_reachable_by_its_two_names(engine: sa.Engine) -> None:
    inside = _where(lambda r: 126 <= r.lon <= 127.5 and 43 <= r.lat <= 44.5)
    where = to_sql(parse_cql2(f"S_INTERSECTS(geometry, {BOX})"), COLUMNS, KINDS)  # geometry="geom" by default
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(TABLE.c.id).where(where)).scalars()) == inside
    shape_columns = {**{k: v for k, v in COLUMNS.items() if k != "geom"}, "shape": TABLE.c.geom}
    shape_kinds = {**{k: v for k, v in KINDS.items() if k != "geom"}, "shape": "geometry"}
    for name in ("geom", "geometry", "shape"):
        where = to_sql(parse_cql2(f"S_INTERSECTS({name}, {BOX})"), shape_columns, shape_kinds, "shape")
        with engine.connect() as conn:
            assert set(conn.execute(sa.select(TABLE.c.id).where(where)).scalars()) == inside, name


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"op": "=", "args": [{"property": 5}, 1]}, "a property name is text; got 5"),
        ({"op": "=", "args": [5, 5]}, "expected a property name, got 5"),
        ({"op": "s_intersects", "args": [POINT, POINT]}, "GeometryIntersects needs the geometry property as one "
                                                          "argument"),
        ({"op": "t_meets", "args": [{"property": "built"}, {"interval": ["2020-01-01", "2021-01-01"]}]},
         "temporal operator TimeMeets is not supported: use T_BEFORE, T_AFTER, T_EQUALS, T_DURING or T_INTERSECTS"),
    ],
    ids=["property-name", "no-property", "no-geometry", "t_meets"],
)
def test_operands_that_are_not_what_an_operator_needs(node: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2(node, "cql2-json"), COLUMNS, KINDS, "geom")
    assert str(caught.value) == message


def test_more_boxes_whose_corners_matter(engine: sa.Engine) -> None:
    # Boxes chosen so that reading any corner from the wrong position changes the rows: 100 > every latitude,
    # 43.81 cuts between rows 1 (43.8) and 6 (43.81).
    def box(x0: float, y0: float, x1: float, y1: float) -> set[int]:
        return _where(lambda r: x0 <= r.lon <= x1 and y0 <= r.lat <= y1)

    assert _matching(engine, "S_INTERSECTS(geom, BBOX(100, 43, 127, 44))") == box(100, 43, 127, 44)
    assert _matching(engine, "S_INTERSECTS(geom, BBOX(100, 43, 0, 127, 44, 100))") == box(100, 43, 127, 44)
    assert _matching(engine, "S_INTERSECTS(geom, BBOX(126.5, 43.81, 0, 127, 44, 100))") == box(126.5, 43.81, 127, 44)
    for bbox in ([100, 43, 0, 127, 44, 100], [126.5, 43.81, 0, 127, 44, 100]):
        node = {"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": bbox}]}
        assert _matching(engine, node, "cql2-json") == box(bbox[0], bbox[1], bbox[3], bbox[4]), bbox


def test_more_comparisons(engine: sa.Engine) -> None:
    assert _matching(engine, "CASEI('ALPHA WORKS') = CASEI(name)") == {1}
    assert _matching(engine, "population = 9223372036854775807") == set()  # the largest integer is accepted
    assert _matching(engine, "T_EQUALS(built, INTERVAL('..', '..'))") == set()


def test_parentheses_depth_goes_back_down_when_a_group_closes() -> None:
    from geo_risk.store.cql2 import _check_text_nesting

    # sixty groups one after another are one level deep, not sixty
    parse_cql2("(population = 1) AND " * 60 + "population = 2")
    # a closed group, then 53 nested: the deepest point is 53 (allowed) …
    _check_text_nesting("(population = 1) AND " + "(" * 53 + "population = 2" + ")" * 53)
    # … and inside an outer group, a closed group then 53 nested is 54 (refused): closing counts one level
    with pytest.raises(InvalidInput, match=r"^the filter nests 54 levels of parentheses"):
        _check_text_nesting("((population = 1) AND " + "(" * 53 + "population = 2" + ")" * 53 + ")")


def test_instants_without_a_zone_are_utc_and_with_one_are_converted() -> None:
    from geo_risk.store.cql2 import _instant

    utc = dt.UTC
    assert _instant("2024-01-01T08:00:00+08:00") == dt.datetime(2024, 1, 1, 0, 0, tzinfo=utc)
    assert _instant("2024-01-01T08:00:00+08:00").utcoffset() == dt.timedelta(hours=8)
    naive = _instant("2024-01-01T08:00:00")
    assert naive.tzinfo is dt.UTC and naive == dt.datetime(2024, 1, 1, 8, 0, tzinfo=utc)
    assert _instant("2024-01-01T08:00:00Z") == dt.datetime(2024, 1, 1, 8, 0, tzinfo=utc)
    assert _instant(dt.datetime(2024, 1, 1, 8, 0)).tzinfo is dt.UTC
    assert _instant(dt.date(2024, 1, 1)) == dt.datetime(2024, 1, 1, tzinfo=utc)
    with pytest.raises(InvalidInput, match=r"^'yesterday' is not an RFC 3339 timestamp$"):
        _instant("yesterday")


def test_a_number_that_is_not_one_is_named() -> None:
    from geo_risk.store.cql2 import _number

    with pytest.raises(InvalidInput, match=r"^S_DWITHIN takes a distance; got 'far'$"):
        _number("far", "S_DWITHIN takes a distance")
    with pytest.raises(InvalidInput, match=r"^S_DWITHIN takes a distance; got True$"):
        _number(True, "S_DWITHIN takes a distance")


@pytest.mark.parametrize("lang", ["cql2-text", "cql2-json"])
def test_degenerate_boxes_match_the_points_they_touch(engine: sa.Engine, lang: str) -> None:
    # A box of zero width or height is the point or line it covers (a zero-area polygon matched nothing).
    def node(x0: float, y0: float, x1: float, y1: float) -> object:
        if lang == "cql2-text":
            return f"S_INTERSECTS(geom, BBOX({x0}, {y0}, {x1}, {y1}))"
        return {"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [x0, y0, x1, y1]}]}

    assert _matching(engine, node(126.5, 43.8, 126.5, 43.8), lang) == {1}  # a point on row 1
    assert _matching(engine, node(126.52, 43.81, 126.52, 43.81), lang) == {6}
    assert _matching(engine, node(126.5, 43.81, 126.5, 43.81), lang) == set()  # a point on no row
    assert _matching(engine, node(80, 43.8, 127, 43.8), lang) == {1, 4}  # a horizontal line through rows 1 and 4
    assert _matching(engine, node(126.45, 43.8, 126.49, 43.8), lang) == set()  # the same line, short of row 1
    assert _matching(engine, node(126.6, 43, 126.6, 45), lang) == {2}  # a vertical line through row 2
    assert _matching(engine, node(126.6, 43.95, 126.6, 45), lang) == set()  # the same line, above row 2


# The fall-back hour of 2021-11-07 in Los Angeles: 01:30 local happens twice, at 08:30 UTC (PDT) and at
# 09:30 UTC (PST). A filter instant that went through a zone-less timestamp on its way to the column would
# come back as only one of the two (PostgreSQL resolves the repeated local hour to one offset), so one of
# these two comparisons would be false.
FOLD_INSTANTS = ("2021-11-07T08:30:00Z", "2021-11-07T09:30:00Z")


@pytest.mark.parametrize("instant", FOLD_INSTANTS)
@pytest.mark.parametrize("form", ["built = TIMESTAMP('{i}')", "T_EQUALS(built, TIMESTAMP('{i}'))",
                                  "T_DURING(built, INTERVAL('{i}', '2030-01-01T00:00:00Z'))",
                                  "T_INTERSECTS(built, INTERVAL('{i}', '{i}'))"])
def test_an_instant_in_the_repeated_hour_of_the_session_zone_keeps_its_offset(engine: sa.Engine, instant: str,
                                                                              form: str) -> None:
    held = sa.cast(sa.literal(instant), sa.DateTime(timezone=True))  # the column: exactly that instant
    where = to_sql(parse_cql2(form.format(i=instant)), {**COLUMNS, "built": held}, KINDS, "geom")
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT set_config('TimeZone', 'America/Los_Angeles', false)"))
        got = conn.execute(sa.select(where)).scalar()
    # T_DURING is open at its start (OGC 21-065 §A.10): the instant itself is not during [instant, 2030).
    assert got is (not form.startswith("T_DURING")), (form, instant)


@pytest.mark.parametrize(
    ("json_filter", "message"),
    [
        ({"op": "=", "args": [{"function": {"name": "f", "arguments": 5}}, 1]},
         "the filter's Function has arguments of the wrong kind"),
        ({"op": ">", "args": [{"property": "population"}, float("inf")]},
         "numeric property needs a number that is finite; got inf (a literal beyond ±1.8e308 reads as infinite)"),
    ],
    ids=["function-arguments-not-a-list", "infinite-number"],
)
def test_malformed_operands_say_what_is_wrong(json_filter: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2(json_filter, "cql2-json"), COLUMNS, KINDS, "geom")
    assert str(caught.value) == message


def test_a_literal_beyond_the_double_range_is_refused_as_infinite() -> None:
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2("population > 1e999"), COLUMNS, KINDS, "geom")
    assert str(caught.value) == ("numeric property needs a number that is finite; got inf "
                                 "(a literal beyond ±1.8e308 reads as infinite)")


def test_a_column_of_a_kind_without_literals_is_refused_by_name() -> None:
    # A queryable of a kind the translator has no literal rule for (a view exposing, say, an interval column
    # under a kind of its own) is refused with that kind named, not compared by accident.
    kinds = {**KINDS, "ratio": "interval"}
    with pytest.raises(InvalidInput) as caught:
        to_sql(parse_cql2("ratio = 5"), COLUMNS, kinds, "geom")
    assert str(caught.value) == "property of kind interval cannot be compared with a value"


def _too_deep_message(found: str) -> str:
    from geo_risk.store.cql2 import MAX_FILTER_DEPTH

    return (f"the filter nests {found} deep; the limit is {MAX_FILTER_DEPTH} levels (each NOT, each "
            "parenthesised group and each AND inside an OR or the reverse adds a level; a chain "
            "a AND b AND c … is one): simplify it")


def test_a_tree_too_deep_for_python_is_refused_by_to_sql_as_too_deep() -> None:
    # A tree built in code (not through parse_cql2's depth check) that is deeper than Python's recursion limit.
    import sys

    from pygeofilter import ast

    from geo_risk.store.cql2 import MAX_FILTER_DEPTH

    node: object = ast.Equal(ast.Attribute("population"), 1)
    for _ in range(sys.getrecursionlimit() + 100):
        node = ast.Not(node)
    with pytest.raises(InvalidInput) as caught:
        to_sql(node, COLUMNS, KINDS, "geom")
    assert str(caught.value) == _too_deep_message(f"more than {MAX_FILTER_DEPTH} levels")


def test_a_json_parse_that_runs_out_of_stack_is_refused_as_too_deep() -> None:
    # The CQL2-JSON walker recurses once per level. Within the depth limit (40 < 50) but run with so little
    # stack left that the walk gives out, the answer is the depth message, not a crash. (The text parser does
    # not recurse per level, so only the JSON path can reach this branch.)
    import inspect
    import sys

    from geo_risk.store.cql2 import MAX_FILTER_DEPTH

    node: dict = {"op": "=", "args": [{"property": "population"}, 1]}
    for _ in range(40):
        node = {"op": "not", "args": [node]}
    parse_cql2({"op": "not", "args": [{"op": "=", "args": [{"property": "population"}, 1]}]}, "cql2-json")
    parse_cql2(node, "cql2-json")  # with the normal stack the same filter parses
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 30)
    try:
        with pytest.raises(InvalidInput) as caught:
            parse_cql2(node, "cql2-json")
    finally:
        sys.setrecursionlimit(old)
    assert str(caught.value) == _too_deep_message(f"more than {MAX_FILTER_DEPTH} levels")
