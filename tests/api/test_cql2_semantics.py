"""CQL2 answers checked where a wrong translation would still pass the other tests (issue 11 §8).

Each case is one a hand-made mutant of ``geo_risk/store/cql2.py`` or ``store/items.py`` survived:
``NOT IN`` read as ``IN``, a literal-first comparison (``5 < r``) not flipped, a literal-first
spatial predicate with its arguments swapped, ``T_BEFORE`` at its boundary, every column of a view
queryable. Expected sets are computed from the layer's rows read straight from the store
(GeoPandas, shapely, pandas), within the set the collection serves without a filter; the operators
mean what OGC 21-065 (CQL2) says, e.g. AND binds tighter than OR and ``_`` is LIKE's one-character
wildcard.
"""

from __future__ import annotations

import json
import operator
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import text

from geo_risk.store.db import get_engine
from geo_risk.store.read import read_layer
from layers.registry import REGISTRY


def _ids(client: TestClient, collection: str, expr: str | dict | None = None, lang: str | None = None) -> set[str]:
    """Every feature id a filter returns (following next links); 200 asserted."""
    params: dict[str, object] = {"limit": 10_000}
    if expr is not None:
        params["filter"] = expr if isinstance(expr, str) else json.dumps(expr)
    if lang:
        params["filter-lang"] = lang
    out: set[str] = set()
    url: str | None = f"/collections/{collection}/items"
    while url:
        r = client.get(url, params=params if url.startswith("/collections") else None)
        assert r.status_code == 200, (expr, r.status_code, r.text)
        doc = r.json()
        out |= {f["id"] for f in doc["features"]}
        url = next((link["href"].replace("http://testserver", "") for link in doc["links"]
                    if link["rel"] == "next"), None)
        params = {}
    return out


def _frame(client: TestClient, url: str, collection: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The layer's rows (read from its table, not through the API) that the collection serves unfiltered."""
    frame = read_layer(url, REGISTRY[collection].table, columns)
    served = _ids(client, collection)
    assert served, f"{collection} serves nothing: the sample city is not loaded"
    return frame[frame.index.isin(served)]


def test_not_in_is_the_complement_of_in(city_client: TestClient, city_url: str) -> None:
    frame = _frame(city_client, city_url, "hazard_sources", ("grade",))
    inside = set(frame.index[frame.grade.isin([1, 3])])
    outside = set(frame.index[~frame.grade.isin([1, 3])])
    assert inside and outside
    assert _ids(city_client, "hazard_sources", "grade IN (1, 3)") == inside
    assert _ids(city_client, "hazard_sources", "grade NOT IN (1, 3)") == outside
    as_json = {"op": "not", "args": [{"op": "in", "args": [{"property": "grade"}, [1, 3]]}]}
    assert _ids(city_client, "hazard_sources", as_json, "cql2-json") == outside


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "=", "<>"])
def test_a_literal_first_comparison_means_what_it_says(
    city_client: TestClient, city_url: str, op: str
) -> None:
    """``v op r`` with v one of the stored values, so < and <= (and > and >=) differ on that row."""
    frame = _frame(city_client, city_url, "hazard_sources", ("r",))
    v = float(frame.r.median())
    assert (frame.r == v).any()
    python_op = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                 "=": operator.eq, "<>": operator.ne}[op]
    expected = set(frame.index[python_op(v, frame.r)])
    assert _ids(city_client, "hazard_sources", f"{v!r} {op} r") == expected
    as_json = {"op": op, "args": [v, {"property": "r"}]}
    assert _ids(city_client, "hazard_sources", as_json, "cql2-json") == expected


def test_a_literal_first_spatial_predicate_keeps_its_argument_order(city_client: TestClient, city_url: str) -> None:
    """S_WITHIN(A, geom): A lies within the feature — not the feature within A."""
    parks = _frame(city_client, city_url, "chemical_parks", ())
    park_id = parks.index[0]
    inner = parks.geometry[park_id].representative_point()
    containing = set(parks.index[parks.contains(inner)])
    assert park_id in containing
    assert _ids(city_client, "chemical_parks", f"S_WITHIN({inner.wkt}, geom)") == containing
    assert _ids(city_client, "chemical_parks", f"S_CONTAINS(geom, {inner.wkt})") == containing
    # A box around every park contains them all; no park contains the box.
    x0, y0, x1, y1 = parks.total_bounds
    around = box(x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01)
    assert _ids(city_client, "chemical_parks", f"S_CONTAINS({around.wkt}, geom)") == set(parks.index)
    assert _ids(city_client, "chemical_parks", f"S_WITHIN({around.wkt}, geom)") == set()
    as_json = {"op": "s_within", "args": [{"type": "Point", "coordinates": [inner.x, inner.y]}, {"property": "geom"}]}
    assert _ids(city_client, "chemical_parks", as_json, "cql2-json") == containing


def _computed_at(city_url: str, ids: set[str]) -> pd.Series:
    """Each served hazard source's computed_at as PostgreSQL stores it (microseconds, UTC)."""
    with get_engine(city_url).connect() as conn:
        rows = conn.execute(text(
            f"SELECT id, computed_at FROM {REGISTRY['hazard_sources'].table}"  # noqa: S608 - the registry's name
        )).all()
    series = pd.Series({r.id: r.computed_at.astimezone(UTC) for r in rows})
    return series[series.index.isin(ids)]


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_t_before_and_t_after_exclude_their_boundary(city_client: TestClient, city_url: str) -> None:
    served = _ids(city_client, "hazard_sources")
    times = _computed_at(city_url, served)
    first, last = times.min(), times.max()
    for t in (first, last):
        before = set(times.index[times < t])
        after = set(times.index[times > t])
        at = set(times.index[times == t])
        assert at
        assert _ids(city_client, "hazard_sources", f"T_BEFORE(computed_at, TIMESTAMP('{_stamp(t)}'))") == before
        assert _ids(city_client, "hazard_sources", f"T_AFTER(computed_at, TIMESTAMP('{_stamp(t)}'))") == after
        assert _ids(city_client, "hazard_sources", f"computed_at T_BEFORE TIMESTAMP('{_stamp(t)}')") == before
        assert _ids(city_client, "hazard_sources", f"T_EQUALS(computed_at, TIMESTAMP('{_stamp(t)}'))") == at
    one_us = timedelta(microseconds=1)
    assert _ids(city_client, "hazard_sources", f"T_BEFORE(computed_at, TIMESTAMP('{_stamp(first + one_us)}'))") == set(
        times.index[times <= first])


def _temporal_json(op: str, start: str, end: str) -> dict:
    return {"op": op, "args": [{"property": "computed_at"}, {"interval": [start, end]}]}


def test_temporal_operators_take_open_intervals(city_client: TestClient, city_url: str) -> None:
    """``..`` is an unbounded end: nothing is after an interval open at its end, everything intersects it."""
    served = _ids(city_client, "hazard_sources")
    times = _computed_at(city_url, served)
    t = times.min()
    everything = set(times.index)
    cases = [
        (_temporal_json("t_after", "..", ".."), set()),
        (_temporal_json("t_before", "..", ".."), set()),
        (_temporal_json("t_intersects", "..", ".."), everything),
        (_temporal_json("t_during", "..", ".."), everything),
        (_temporal_json("t_after", "..", _stamp(t)), set(times.index[times > t])),
        (_temporal_json("t_before", _stamp(t), ".."), set(times.index[times < t])),
        (_temporal_json("t_after", _stamp(t), ".."), set()),
        (_temporal_json("t_intersects", _stamp(t), ".."), set(times.index[times >= t])),
        (_temporal_json("t_during", _stamp(t), ".."), set(times.index[times > t])),
        (_temporal_json("t_equals", "..", ".."), set()),
    ]
    for expr, expected in cases:
        assert _ids(city_client, "hazard_sources", expr, "cql2-json") == expected, expr
        # the same in CQL2 text: T_AFTER(computed_at, INTERVAL('..', '..'))
        start, end = expr["args"][1]["interval"]
        as_text = f"{expr['op'].upper()}(computed_at, INTERVAL('{start}', '{end}'))"
        assert _ids(city_client, "hazard_sources", as_text) == expected, as_text


def _undeclared_columns(city_url: str) -> dict[str, list[str]]:
    """Per public layer, the columns its table or view has that the registry does not declare."""
    out: dict[str, list[str]] = {}
    with get_engine(city_url).connect() as conn:
        for layer in REGISTRY.values():
            if layer.tier != "public":
                continue
            names = conn.execute(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t"
            ), {"t": layer.table}).scalars().all()
            declared = {*layer.fields, "geom", "geometry", layer.time_field}
            out[layer.id] = sorted(n for n in names if n not in declared)
    return out


def test_only_declared_fields_are_queryable(city_client: TestClient, city_url: str) -> None:
    """A column in the layer's view but not declared (hazard_sources has enterprise_id) is unknown to a filter."""
    undeclared = _undeclared_columns(city_url)
    assert sum(map(len, undeclared.values())) >= 5, undeclared  # hazard units alone keep several back
    for collection, names in undeclared.items():
        for name in names:
            for params in ({"filter": f"{name} IS NULL"}, {"filter": f"{name} IS NOT NULL"},
                           {"filter": json.dumps({"op": "isNull", "args": [{"property": name}]}),
                            "filter-lang": "cql2-json"},
                           {name: "1"}):
                r = city_client.get(f"/collections/{collection}/items", params=params)
                assert r.status_code == 422, (collection, params, r.status_code, r.text[:200])
                detail = r.json()["detail"]
                assert "unknown" in detail and repr(name) in detail, detail


def test_and_binds_tighter_than_or(city_client: TestClient, city_url: str) -> None:
    frame = _frame(city_client, city_url, "hazard_sources", ("grade", "r"))
    cql2 = set(frame.index[(frame.grade == 3) | ((frame.grade == 2) & (frame.r > 60))])
    left_to_right = set(frame.index[((frame.grade == 3) | (frame.grade == 2)) & (frame.r > 60)])
    assert cql2 != left_to_right  # the sample city tells the two readings apart
    assert _ids(city_client, "hazard_sources", "grade = 3 OR grade = 2 AND r > 60") == cql2
    assert _ids(city_client, "hazard_sources", "grade = 2 AND r > 60 OR grade = 3") == cql2


def test_like_wildcards_are_percent_and_underscore(city_client: TestClient, city_url: str) -> None:
    frame = _frame(city_client, city_url, "hazard_sources", ("enterprise_name",))
    name = str(frame.enterprise_name.iloc[0])
    names = frame.enterprise_name.astype(str)

    def like(pattern_regex: str) -> set[str]:
        return set(frame.index[names.map(lambda s: re.fullmatch(pattern_regex, s) is not None)])

    one_char = name[0] + "_" + name[2:]
    expected = like(re.escape(name[0]) + "." + re.escape(name[2:]))
    assert expected
    assert _ids(city_client, "hazard_sources", f"enterprise_name LIKE '{one_char}'") == expected
    dotted = name[0] + "." + name[2:]  # "." is an ordinary character in CQL2 LIKE
    assert _ids(city_client, "hazard_sources", f"enterprise_name LIKE '{dotted}'") == like(re.escape(dotted))
    as_json = {"op": "like", "args": [{"property": "enterprise_name"}, one_char]}
    assert _ids(city_client, "hazard_sources", as_json, "cql2-json") == expected


def test_between_in_cql2_json_takes_the_standard_three_arguments(city_client: TestClient, city_url: str) -> None:
    """OGC 21-065 Annex B: ``{"op": "between", "args": [property, low, high]}`` (bounds included)."""
    frame = _frame(city_client, city_url, "hazard_sources", ("r",))
    low, high = float(frame.r.quantile(0.25)), float(frame.r.quantile(0.75))
    expected = set(frame.index[(frame.r >= low) & (frame.r <= high)])
    assert expected
    as_json = {"op": "between", "args": [{"property": "r"}, low, high]}
    assert _ids(city_client, "hazard_sources", as_json, "cql2-json") == expected
    assert _ids(city_client, "hazard_sources", f"r BETWEEN {low!r} AND {high!r}") == expected
