"""Fixtures of the web-map tests: the sample city in the suite's PostGIS, the app on a loopback
port, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CITY = REPO / "sample_geo" / "jilin_city.gpkg"
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
SHOTS = Path("/tmp/geo_risk_shots")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BUILD_SH = REPO / "layers" / "web" / "build.sh"


@pytest.fixture(scope="module")
def sample_city() -> Path:
    """The sample GeoPackage (``GEO_RISK_TEST_SAMPLE_CITY`` overrides the path)."""
    path = Path(os.environ.get("GEO_RISK_TEST_SAMPLE_CITY", SAMPLE_CITY))
    if not path.is_file():
        pytest.fail(f"sample city {path} is missing: run  python -m sample_geo.generate --out {SAMPLE_CITY}")
    return path


@pytest.fixture(scope="module")
def webmap_db_url(db_url: str, sample_city: Path) -> str:
    """The module's database on the suite's PostGIS cluster, with the sample city loaded and graded."""
    from helpers import load

    from geo_risk.grading import grade_store

    load(sample_city, db_url)
    grade_store(db_url)
    return db_url


def _vendored_files() -> list[Path]:
    from api.routes.apidocs import SWAGGER_ASSETS, SWAGGER_DIR
    from api.routes.webmap import LEAFLET_JS

    return [LEAFLET_JS, *(SWAGGER_DIR / name for name in SWAGGER_ASSETS.values())]


@pytest.fixture(scope="module")
def vendored_leaflet() -> Path:
    """Leaflet and Swagger UI under layers/static/vendor/, built with layers/web/build.sh when missing."""
    from api.routes.webmap import LEAFLET_JS

    if not all(f.is_file() for f in _vendored_files()):
        proc = subprocess.run(["bash", str(BUILD_SH)], capture_output=True, text=True, timeout=300)
        missing = [str(f) for f in _vendored_files() if not f.is_file()]
        if proc.returncode != 0 or missing:
            pytest.fail(f"bash {BUILD_SH} failed (missing: {missing}):\n{proc.stdout}\n{proc.stderr}")
    return LEAFLET_JS


@pytest.fixture(scope="module")
def vendored_swagger_ui(vendored_leaflet: Path) -> Path:
    """Swagger UI under layers/static/vendor/swagger-ui/ (built with Leaflet by layers/web/build.sh)."""
    from api.routes.apidocs import SWAGGER_DIR

    return SWAGGER_DIR


@pytest.fixture(scope="module")
def webmap_server(webmap_db_url: str, vendored_leaflet: Path) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    from helpers import live_server

    from api.app import create_app
    from geo_risk.settings import Settings

    app = create_app(Settings(database_url=webmap_db_url), database_url=webmap_db_url)
    with live_server(app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Headless Chromium driven by Debian's chromedriver (Selenium never downloads a driver)."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for exe in (CHROMIUM, CHROMEDRIVER):
        if not Path(exe).exists():
            pytest.fail(f"{exe} is missing: apt-get install -y chromium chromium-driver fonts-noto-cjk")
    profile = tempfile.mkdtemp(prefix="geo_risk_chromium_")
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--window-size=1400,900", "--force-device-scale-factor=1",
        "--hide-scrollbars",
        # No Internet for the page: every host name but the loopback's fails to resolve, so a
        # page that needs a CDN or a third-party host shows it in these tests too.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        opts.add_argument(arg)
    # "performance": every network request the page makes (CDP Network events), read by the tests.
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[object, str], bytes]:
    """``screenshot(driver, "name.png")``: the page as PNG, saved under the test's tmp dir and
    copied to tests/web/_artifacts/ and to ``GEO_RISK_SHOTS`` (default /tmp/geo_risk_shots/)."""
    shots = Path(os.environ.get("GEO_RISK_SHOTS", SHOTS))

    def take(driver: object, name: str) -> bytes:
        png = driver.get_screenshot_as_png()  # type: ignore[attr-defined]
        (tmp_path / name).write_bytes(png)
        for folder in (ARTIFACTS, shots):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(png)
        return png

    return take
