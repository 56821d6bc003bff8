"""A bounding box of zero width or height still matches what it touches (it matched nothing before)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo_risk.store.db import get_engine


@pytest.fixture(scope="module")
def a_point_target(city_url: str) -> tuple[str, float, float]:
    with get_engine(city_url).connect() as conn:
        row = conn.execute(text(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM protection_targets WHERE GeometryType(geom) = 'POINT' "
            "ORDER BY id LIMIT 1")).one()
    return row[0], row[1], row[2]


def _ids(resp) -> set[str]:  # noqa: ANN001
    assert resp.status_code == 200, resp.text
    return {f["id"] for f in resp.json()["features"]}


def test_point_bbox_matches_the_point_it_sits_on(city_client, a_point_target) -> None:
    tid, x, y = a_point_target
    bbox = f"{x!r},{y!r},{x!r},{y!r}"
    assert tid in _ids(city_client.get("/collections/protection_targets/items", params={"bbox": bbox}))


def test_point_bbox_in_cql2_text_and_json(city_client, a_point_target) -> None:
    tid, x, y = a_point_target
    got = city_client.get("/collections/protection_targets/items",
                          params={"filter": f"S_INTERSECTS(geom, BBOX({x!r},{y!r},{x!r},{y!r}))"})
    assert tid in _ids(got)
    import json

    body = {"op": "s_intersects", "args": [{"property": "geom"}, {"bbox": [x, y, x, y]}]}
    got = city_client.get("/collections/protection_targets/items",
                          params={"filter": json.dumps(body), "filter-lang": "cql2-json"})
    assert tid in _ids(got)


def test_line_bbox_through_a_point_matches_it_and_a_proper_box_still_works(city_client, a_point_target) -> None:
    tid, x, y = a_point_target
    assert tid in _ids(city_client.get("/collections/protection_targets/items",
                                       params={"bbox": f"{x - 0.01!r},{y!r},{x + 0.01!r},{y!r}"}))
    assert tid not in _ids(city_client.get("/collections/protection_targets/items",
                                           params={"bbox": f"{x + 0.001!r},{y!r},{x + 0.01!r},{y!r}"}))
    assert tid in _ids(city_client.get("/collections/protection_targets/items",
                                       params={"bbox": f"{x - 0.001!r},{y - 0.001!r},{x + 0.001!r},{y + 0.001!r}"}))
