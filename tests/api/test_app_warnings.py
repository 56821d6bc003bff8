"""Building the app and its OpenAPI document warns of nothing (no pydantic field shadowing
``register``, no duplicate operation id), and ``/map`` has one operation id per method."""

from __future__ import annotations

import subprocess
import sys

from api.app import create_app
from geo_risk.settings import Settings

_BUILD = """
from api.app import create_app
from geo_risk.settings import Settings
create_app(Settings(), database_url="postgresql://nobody@localhost/none").openapi()
"""


def test_importing_and_building_the_app_raises_no_warning() -> None:
    # A fresh interpreter, so the warnings of import time are seen too; every warning is an error.
    done = subprocess.run([sys.executable, "-W", "error", "-c", _BUILD], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Warning" not in done.stderr


def test_get_and_head_of_the_map_have_their_own_operation_ids() -> None:
    doc = create_app(Settings(), database_url="postgresql://nobody@localhost/none").openapi()
    ops = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ops) == len(set(ops))
    assert {m: op["operationId"] for m, op in doc["paths"]["/map"].items()} == {"get": "web_map",
                                                                                "head": "web_map_head"}
