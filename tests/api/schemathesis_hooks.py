"""Schemathesis hooks: positive requests also keep the rules the API document states in words.

JSON Schema cannot say that two numbers of one string are ordered, that a date exists, that a tile
row is below 2^zoom, that a CQL2 text parses or that one parameter goes only with another. The
document states each such rule in the parameter's description (api.routes.ogc: BBOX_FORM,
DATETIME_FORM, HEXAGON_AREA, the tileRow/tileCol and filter-lang descriptions), and the service
answers 422 when one is broken. ``map_case`` below brings every *positive* request (one the schema
says is valid) within those stated rules before it is sent, so the positive-data check measures
what the document promises; negative requests are left exactly as generated. ``filter_failure`` drops
only the findings on requests the stateful phase builds from a URL template it took for a link.

Loaded by the schemathesis CLI through ``SCHEMATHESIS_HOOKS`` (tests/api/test_openapi_schemathesis.py).
"""

from __future__ import annotations

import calendar
import json
import math
import re
from typing import Any
from urllib.parse import unquote

import schemathesis
from schemathesis.core.parameters import ParameterLocation

#: CQL2 over the one queryable every layer has (its geometry), as text and as JSON.
_AREA = [[120, 40], [130, 40], [130, 45], [120, 45], [120, 40]]
FILTER_TEXT = "S_INTERSECTS(geom, POLYGON((" + ", ".join(f"{x} {y}" for x, y in _AREA) + ")))"
FILTER_JSON = json.dumps({"op": "s_intersects",
                          "args": [{"property": "geom"}, {"type": "Polygon", "coordinates": [_AREA]}]})
_WORLD_M = 2 * math.pi * 6378137.0  # Web Mercator world width, metres
_MAX_HEXAGONS = 200_000
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _positive_at(case: Any, location: ParameterLocation) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive and not meta.is_negative_at(location)


def _ordered_bbox(text: str) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in text.split(","))
    x0, x1 = sorted(min(180.0, max(-180.0, v)) for v in (x0, x1))
    y0, y1 = sorted(min(90.0, max(-90.0, v)) for v in (y0, y1))
    return [x0, y0, x1, y1]


def _merc(lon: float, lat: float) -> tuple[float, float]:
    lat = max(-85.0511, min(85.0511, lat))
    return (math.radians(lon) * 6378137.0, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6378137.0)


def _within_hexagon_limit(box: list[float], zoom: int) -> list[float]:
    """``box`` shrunk about its centre until its hexagons at ``zoom`` are within the documented limit."""
    size = _WORLD_M / (1 << zoom) / (16 * math.sqrt(3))
    for _ in range(200):
        (mx0, my0), (mx1, my1) = _merc(box[0], box[1]), _merc(box[2], box[3])
        if (mx1 - mx0) * (my1 - my0) / (size * size * 2.6) <= _MAX_HEXAGONS:
            return box
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        box = [cx - (cx - box[0]) / 2, cy - (cy - box[1]) / 2, cx + (box[2] - cx) / 2, cy + (box[3] - cy) / 2]
    return [box[0], box[1], box[0], box[1]]


def _existing_dates(text: str) -> str:
    def fix(m: re.Match) -> str:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        return f"{m[1]}-{m[2]}-{min(day, calendar.monthrange(year, month)[1]):02d}"

    text = _DATE.sub(fix, text)
    if "/" in text:
        start, end = text.split("/")
        if start not in ("", "..") and end not in ("", ".."):
            from datetime import datetime

            def when(s: str) -> datetime:
                return datetime.fromisoformat(s.replace("Z", "+00:00"))

            if when(start) > when(end):
                text = f"{end}/{start}"
    return text


def _register_rules(body: dict) -> None:
    """A new hidden danger (POST /api/v1/hidden-dangers) within the rules its fields' descriptions state:
    the deadline on or after found_on, a 121号 criterion and a public listing on major items only."""
    found, deadline = body.get("found_on"), body.get("deadline")
    if isinstance(found, str) and isinstance(deadline, str) and deadline < found:  # YYYY-MM-DD sorts as text
        body["found_on"], body["deadline"] = deadline, found
    if body.get("level") != "major":
        body.pop("criterion", None)
        if body.get("public") is True:
            body["public"] = False


def _shelf_end() -> str:
    """A shelf's end as POST /api/v1/alarms/{key}/shelve states it: in the future, at most 12 h ahead (1 h here)."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every finding but one the tool makes itself: the stateful phase infers links from URLs in
    response bodies and takes TileJSON's ``tiles`` template (``…/{z}/{y}/{x}``, as TileJSON 3.0
    writes it) for one, sends ``{z}`` literally where the document asks for an integer and labels
    the request schema-valid. Only a failure of a request whose path values are such unexpanded
    template variables is dropped."""
    values = [unquote(str(v)) for v in (case.path_parameters or {}).values()]
    return not any(re.fullmatch(r"\{\w+\}", v) for v in values)


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    path = case.operation.path
    if _positive_at(case, ParameterLocation.PATH) and path.endswith("/{tileMatrix}/{tileRow}/{tileCol}"):
        p = case.path_parameters or {}
        if all(isinstance(p.get(k), int) for k in ("tileMatrix", "tileRow", "tileCol")):
            n = 1 << p["tileMatrix"]
            p["tileRow"], p["tileCol"] = p["tileRow"] % n, p["tileCol"] % n
    if (path == "/api/v1/hidden-dangers" and case.method.upper() == "POST" and isinstance(case.body, dict)
            and _positive_at(case, ParameterLocation.BODY)):
        _register_rules(case.body)
    if (path == "/api/v1/alarms/{key}/shelve" and isinstance(case.body, dict)
            and _positive_at(case, ParameterLocation.BODY)):
        case.body["until"] = _shelf_end()
    if not _positive_at(case, ParameterLocation.QUERY) or not isinstance(case.query, dict):
        return case
    q = case.query
    if isinstance(q.get("bbox"), str):
        box = _ordered_bbox(q["bbox"])
        if path.endswith("/hexagons") and isinstance(q.get("zoom"), int):
            box = _within_hexagon_limit(box, q["zoom"])
        q["bbox"] = ",".join(repr(v) for v in box)
    if isinstance(q.get("datetime"), str):
        q["datetime"] = _existing_dates(q["datetime"])
    if path.endswith("/items"):
        if q.get("filter") is None:
            q.pop("filter-lang", None)  # documented: only with filter
            q.pop("filter-crs", None)
        else:
            q["filter"] = FILTER_JSON if q.get("filter-lang") == "cql2-json" else FILTER_TEXT
    return case
