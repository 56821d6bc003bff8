"""Fixtures of the monitoring tests: a throwaway mosquitto per test and a store holding a few sensors.

The broker is the project's own (:class:`geo_risk.monitoring.broker.Broker`) in a fresh folder, the
store a real PostGIS database with the hand-made small city and the sensors below loaded through
``geo-risk load`` (the interchange ``sensors`` layer). Never a mock.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from monitoring.monitoring_data import load_monitoring_city

from geo_risk.monitoring.broker import Broker


@pytest.fixture(scope="module")
def monitoring_url(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module's database with the small city and :data:`SENSORS` loaded."""
    load_monitoring_city(db_url, tmp_path_factory.mktemp("monitoring_city"))
    return db_url


@pytest.fixture
def broker() -> Iterator[Broker]:
    """A running throwaway mosquitto of this test's own (folder world-enterable: it may run as 'mosquitto')."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed: run scripts/system-deps.sh")
    root = Path(tempfile.mkdtemp(prefix="geo_risk_test_mqtt_"))
    os.chmod(root, 0o755)
    b = Broker(root / "mqtt", user="tester", password="test-password-1")
    b.start()
    yield b
    b.stop()
    shutil.rmtree(root, ignore_errors=True)
