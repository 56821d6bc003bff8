"""The OpenAPI document tells the truth (issue 11 §4): schemathesis with every check finds nothing.

``schemathesis run --checks all`` found, before: 422 bodies unlike the documented
``HTTPValidationError``; undocumented 401/403/404 answers; GeoJSON and JSON Schema documented as
application/json; ``OPTIONS /api/v1/risk/runs`` answering ``Allow: GET`` without POST; inputs the
schema allowed refused with 422 (``?f=``, ``bbox=q``, tile zoom 321, ``filter-lang`` of any text)
and a 500 (a ``datetime`` offset PostgreSQL cannot hold). Now the CLI runs every phase (coverage,
fuzzing, stateful) with every check over every operation of the served document, as an anonymous
caller and with an analyst key, on the graded sample city, and any finding fails the test.

The operations that start long work (``POST /api/v1/risk/runs``, ``POST /api/v1/loads``, the siting
check, scenarios and the relocation plan's recompute) are
left out of the broad run and their documented answers are checked with a few explicit requests:
no key, a viewer key, a bad body, an oversize upload — each validated by schemathesis against the
document (status, media type, body schema, headers).

Positive requests keep the rules the document states in words (ordered bbox, dates that exist,
tile rows below 2^zoom, CQL2 that parses, filter-lang only with filter): tests/api/schemathesis_hooks.py.
Path ids are drawn half the time from those the store holds (layers, units, features and one stored
QRA run), so requests reach past the 404 of a made-up id. Bounded and reproducible: 15 examples per
operation and phase, derandomised (``--generation-deterministic``), one worker (the stateful phase
infers its links from the responses it has seen, so their order must not vary); about 50 s a role.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from helpers import KEY_OF, ROLE_KEYS, live_server
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from geo_risk.settings import Settings

HERE = Path(__file__).resolve().parent
#: The schemathesis CLI of this interpreter.
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
#: Operations that start long work: tested on their own below, not by the broad run.
LONG_RUNS = {("POST", "/api/v1/risk/runs"): "start_run_api_v1_risk_runs_post",
             ("POST", "/api/v1/loads"): "create_load_api_v1_loads_post",
             ("POST", "/api/v1/siting-check"): "siting_check_api_v1_siting_check_post",
             ("POST", "/api/v1/scenarios"): "post_scenario_api_v1_scenarios_post",
             ("POST", "/api/v1/relocation-plan"): "post_plan_api_v1_relocation_plan_post"}
MAX_EXAMPLES = 15
#: The enterprise given a stored QRA run.
RUN_ENTERPRISE = "ENT-0002"
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture(scope="module")
def app(city_url: str, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The app on the sample city with one stored QRA run (a coarse grid: seconds), so the risk
    operations have something to serve."""
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk

    run_risk(city_url, enterprise_id=RUN_ENTERPRISE, settings=RiskSettings(cell_m=100.0),
             data_dir=tmp_path_factory.mktemp("risk"))
    from geo_risk.analyse import analyse
    from geo_risk.zoning_run import run_zoning

    # Result layers hold features (an empty one cannot be exported as GeoJSON: a 422 for a valid request).
    analyse(city_url, only=["conflicts", "clusters"])
    run_zoning(city_url, settings=Settings(zoning_h3_fine_resolution=None), data_dir=tmp_path_factory.mktemp("zoning"))
    settings = Settings(database_url=city_url, api_keys=ROLE_KEYS)
    # The relocation plan is stored, as a service keeps it: GET answers the stored plan in milliseconds,
    # where computing it first (a siting check per shortlisted firm and park, each park's F-N twice)
    # takes tens of seconds, past the response-time check.
    from geo_risk.relocation_plan import run_relocation_plan

    run_relocation_plan(city_url, settings=settings, data_dir=tmp_path_factory.mktemp("relocation"))
    return create_app(settings, database_url=city_url)


@pytest.fixture(scope="module")
def served(app) -> Iterator[str]:  # noqa: ANN001
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def document(app) -> dict:  # noqa: ANN001
    return app.openapi()


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}


def _get_json(url: str, key: str | None) -> dict:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def _known_ids_config(base: str, key: str | None) -> str:
    """A schemathesis config that draws path ids half the time from those the store holds (layers the
    caller sees, graded units, hazard-source features, the run), so requests reach past the 404 of a
    made-up id."""
    layers = [c["id"] for c in _get_json(f"{base}/collections", key)["collections"]]
    units = [u["id"] for u in _get_json(f"{base}/api/v1/hazard-sources?limit=5", key)["items"]]
    features = [f["id"] for f in _get_json(f"{base}/collections/hazard_sources/items?limit=5", key)["features"]]
    runs = [r["scope_id"] for r in _get_json(f"{base}/api/v1/risk/runs", key)]
    assert layers and units and features and runs == [RUN_ENTERPRISE]

    def values(items: list[str]) -> str:
        return "[" + ", ".join(json.dumps(str(v)) for v in items) + "]"

    return (f"[dictionaries.layers]\nvalues = {values(layers)}\n"
            f"[dictionaries.units]\nvalues = {values(units)}\n"
            f"[dictionaries.features]\nvalues = {values(features)}\n"
            f"[dictionaries.runs]\nvalues = {values(runs)}\n"
            "[parameters]\n"
            '"path.collectionId" = { dictionary = "layers", probability = 0.5 }\n'
            '"path.unit_id" = { dictionary = "units", probability = 0.5 }\n'
            '"path.featureId" = { dictionary = "features", probability = 0.5 }\n'
            '"path.scope_id" = { dictionary = "runs", probability = 0.5 }\n')


# -- the broad run --------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [None, "analyst"])
def test_schemathesis_all_checks_find_nothing(served: str, document: dict, role: str | None,
                                              tmp_path: Path) -> None:
    # Only the long runs are left out, and they exist under the ids excluded.
    operation_ids = {(m.upper(), p): op["operationId"] for p, ops in document["paths"].items() for m, op in ops.items()}
    assert all(operation_ids[k] == v for k, v in LONG_RUNS.items())
    config = tmp_path / "schemathesis.toml"
    config.write_text(_known_ids_config(served, KEY_OF[role] if role else None), encoding="utf-8")
    command = [*SCHEMATHESIS, "--config-file", str(config), "run", f"{served}/openapi.json", "--checks", "all",
               "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(MAX_EXAMPLES),
               "--generation-deterministic", "--generation-with-security-parameters", "false",
               "--workers", "1", "--request-timeout", "60", "--no-color",
               # a generation limit, not a finding: a plain string path id has few invalid forms to draw
               "--suppress-health-check", "filter_too_much",
               "--max-failures", "20"]  # a broken document fails fast instead of shrinking every finding
    for operation_id in LONG_RUNS.values():
        command += ["--exclude-operation-id", operation_id]
    if role is not None:
        command += ["--header", f"X-API-Key: {KEY_OF[role]}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=420, check=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    tested = re.search(r"Tested: (\d+)", out)
    assert tested and int(tested[1]) == len(_operations(document)) - len(LONG_RUNS), out[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", out)
    assert generated and int(generated[1]) >= 20 * int(tested[1]), out[-2000:]  # it really sent requests


# -- the operations that start long work, with a few explicit requests -----------------------------
@pytest.fixture(scope="module")
def schema(app):  # noqa: ANN001, ANN201
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _call_and_check(schema, method: str, path: str, **kwargs):  # noqa: ANN001, ANN202
    """Send one request to the operation and validate the answer against the document."""
    operation = schema[path][method]
    case = operation.Case(**{k: v for k, v in kwargs.items() if k in ("body", "headers", "query", "media_type")})
    response = case.call(**{k: v for k, v in kwargs.items() if k not in ("body", "headers", "query", "media_type")})
    case.validate_response(response, checks=CHECKS)
    return response


@pytest.mark.parametrize(
    ("role", "body", "status", "needle"),
    [
        (None, {"enterprise_id": "ENT-0001"}, 401, "API key"),
        ("viewer", {"enterprise_id": "ENT-0001"}, 403, "analyst"),
        ("analyst", {"enterprise_id": "ENT-0001", "cell_m": "fine"}, 422, "cell_m"),
        ("analyst", {"enterprise_id": "ENT-0001", "cell_m": 0.5}, 422, "cell_m"),
        ("analyst", {}, 422, "enterprise_id, park_id or all"),
    ],
)
def test_risk_run_answers_as_documented(schema, role: str | None, body: dict, status: int,  # noqa: ANN001
                                        needle: str) -> None:
    headers = {"X-API-Key": KEY_OF[role]} if role else {}
    r = _call_and_check(schema, "POST", "/api/v1/risk/runs", body=body, headers=headers)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"], r.json()


def test_load_answers_as_documented(schema, city_url: str) -> None:  # noqa: ANN001
    upload = {"files": [("city.gpkg", b"not a geopackage")]}
    for headers, status in (({}, 401), ({"X-API-Key": KEY_OF["viewer"]}, 403),
                            ({"X-API-Key": KEY_OF["analyst"]}, 403)):
        r = _call_and_check(schema, "POST", "/api/v1/loads", body=upload, media_type="multipart/form-data",
                            headers=headers)
        assert r.status_code == status, r.text
    editor = {"X-API-Key": KEY_OF["editor"]}
    r = _call_and_check(schema, "POST", "/api/v1/loads", query={"dry_run": "maybe"}, body=upload,
                        media_type="multipart/form-data", headers=editor)
    assert r.status_code == 422 and r.json()["problems"][0]["parameter"] == "dry_run", r.text
    # over the limit (an app that takes 1 kB): 413
    small = create_app(Settings(database_url=city_url, api_keys=ROLE_KEYS, max_upload_mb=0.001),
                       database_url=city_url)
    r = _call_and_check(schemathesis.openapi.from_asgi("/openapi.json", small), "POST", "/api/v1/loads",
                        body={"files": [("city.gpkg", b"x" * 4000)]}, media_type="multipart/form-data",
                        headers=editor)
    assert r.status_code == 413 and "GEO_RISK_MAX_UPLOAD_MB" in r.json()["detail"], r.text


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"site": {"type": "Point", "coordinates": [126.64164, 43.8998]}, "kind": "school", "population": 760}, 200,
     None),
    ({"site": {"type": "Point", "coordinates": [126.64164, 43.8998]}, "kind": "school", "population": 0}, 422,
     "population"),
    ({"site": "POINT (126.64 43.90)", "kind": "spaceport", "population": 5}, 422, "kind"),
    ({"site": "POINT (126.64 43.90)", "kind": "school", "population": "many"}, 422, "population"),
])
def test_siting_check_answers_as_documented(schema, body: dict, status: int, needle: str | None) -> None:  # noqa: ANN001
    # a hazardous project runs its own QRA: the siting check is left out of the broad run (LONG_RUNS)
    r = _call_and_check(schema, "POST", "/api/v1/siting-check", body=body)
    assert r.status_code == status, r.text
    if needle:
        assert needle in json.dumps(r.json()), r.json()
    else:
        assert r.json()["verdict"] in ("advise_against", "conditional", "no_objection")


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"changes": [{"type": "remove_enterprise", "enterprise_id": RUN_ENTERPRISE}]}, 200, None),
    ({"changes": []}, 422, "changes"),
    ({"changes": [{"type": "cut_inventory", "enterprise_id": RUN_ENTERPRISE, "share": 1.5}]}, 422,
     "changes[0].share"),
    ({"changes": [{"type": "remove_enterprise", "enterprise_id": "ENT-9999"}]}, 422, "changes[0].enterprise_id"),
])
def test_scenario_answers_as_documented(schema, body: dict, status: int, needle: str | None) -> None:  # noqa: ANN001
    # a scenario re-runs the QRA of what it touches: left out of the broad run (LONG_RUNS)
    r = _call_and_check(schema, "POST", "/api/v1/scenarios", body=body)
    assert r.status_code == status, r.text
    if needle:
        assert needle in json.dumps(r.json(), ensure_ascii=False), r.json()
    else:
        assert r.json()["verdict"]["ir"] in ("lowered", "unchanged") and "ir_difference" not in r.json()


def test_relocation_recompute_answers_as_documented(schema) -> None:  # noqa: ANN001
    # recomputing the plan runs siting checks and park QRAs (tens of seconds): left out of the broad run
    for headers, status in (({}, 401), ({"X-API-Key": KEY_OF["viewer"]}, 403)):
        r = _call_and_check(schema, "POST", "/api/v1/relocation-plan", headers=headers)
        assert r.status_code == status, r.text
    r = _call_and_check(schema, "POST", "/api/v1/relocation-plan", headers={"X-API-Key": KEY_OF["analyst"]},
                        timeout=300)
    assert r.status_code == 200 and r.json()["current"] is True, r.text
    assert r.json()["summary"].startswith("relocation plan:"), r.json()["summary"]


# -- what the broad run checks, spelled out ------------------------------------------------------
def test_one_error_body_for_every_status(document: dict) -> None:
    """Every 4xx/5xx of every operation is the shared ErrorBody, but /health's and /map's own 503."""
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ErrorBody" in schemas
    own_503 = {("GET", "/health"), ("GET", "/map"), ("HEAD", "/map")}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert "422" in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if int(status) < 400 or (method.upper(), path) in own_503 and status == "503":
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorBody", (method, path, status)


def test_validation_error_names_the_parameter(app) -> None:  # noqa: ANN001
    with TestClient(app) as client:
        r = client.get("/collections/enterprises/items", params={"limit": 0, "f": ""})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "InvalidInput" and body["detail"].startswith("limit: ")
    assert {(p["parameter"], p["in"]) for p in body["problems"]} == {("limit", "query"), ("f", "query")}
    assert "json, geojson, html" in body["detail"]  # an enum says every value it takes


def test_options_and_405_list_every_method_of_the_path(app) -> None:  # noqa: ANN001
    with TestClient(app) as client:
        r = client.options("/api/v1/risk/runs")
        assert r.status_code == 204 and r.headers["allow"] == "GET, POST, OPTIONS"
        r = client.put("/api/v1/risk/runs")
        assert r.status_code == 405 and r.headers["allow"] == "GET, POST, OPTIONS"
        assert r.json()["error"] == "MethodNotAllowed"
        assert client.options("/map").headers["allow"] == "GET, HEAD, OPTIONS"
