"""Render the README's risk images from the store: a map of the iso-risk contours and one F-N plot.

    .venv/bin/python scripts/readme_images.py [--enterprise ID] [--out docs/img]

Needs a store on which ``geo-risk risk --all`` has run (the demo store: ``geo-risk db up``).

- ``risk_contours.png``: ``geo-risk render-map``'s self-contained page (no request leaves it)
  opened in headless Chromium (Debian's ``chromium`` + ``chromium-driver``), showing the contours
  with hazard units, residential areas and protection targets, fitted to the contours of the
  chosen enterprise (default: the QRA enterprise whose outermost contour is largest).
- ``fn_curve.png``: that enterprise's stored F-N curve against the GB 36894 lines, drawn by the
  same function as ``GET /api/v1/risk/enterprise/{id}/fn-curve.png``.

Not part of the test suite: it writes the pictures a person looks at before they go in the README.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LAYERS = ["risk_contours", "hazard_units", "residential_areas", "protection_targets", "chemical_parks"]

FIT_AND_SHOW = """
const [keep, bounds, done] = arguments;
const map = window.geoRiskMap;
for (const [id, layer] of Object.entries(window.geoRiskLayers)) {
  if (keep.includes(id)) map.addLayer(layer); else map.removeLayer(layer);
}
map.fitBounds(bounds, {animate: false, padding: [30, 30]});
const started = Date.now();
(function wait() {
  const s = document.body.dataset.layersLoaded;
  if (s !== 'true' && s !== 'error' && Date.now() - started < 25000) return setTimeout(wait, 50);
  requestAnimationFrame(() => requestAnimationFrame(() => done(s)));
})();
"""


def pick_enterprise(url: str) -> str:
    """The QRA enterprise whose largest contour covers the most ground."""
    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        row = conn.execute(text(
            "SELECT scope_id FROM risk_contours_map WHERE scope = 'enterprise' "
            "ORDER BY ST_Area(geom::geography) DESC LIMIT 1"
        )).first()
    if row is None:
        raise SystemExit("no risk contours in the store: run `geo-risk risk --all` first")
    return str(row[0])


def contour_bounds(url: str, enterprise: str) -> list[list[float]]:
    from geo_risk.store.db import get_engine

    with get_engine(url).connect() as conn:
        b = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e "
            "FROM risk_contours_map WHERE scope = 'enterprise' AND scope_id = :id) q"
        ), {"id": enterprise}).first()
    if b is None or b[0] is None:
        raise SystemExit(f"enterprise {enterprise!r} has no stored contours")
    return [[b[1], b[0]], [b[3], b[2]]]


def map_png(url: str, enterprise: str, out: Path) -> None:
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    from layers.render import render_map

    work = Path(tempfile.mkdtemp(prefix="geo_risk_readme_"))
    try:
        page = work / "map.html"
        render_map(url, page, LAYERS)
        opts = Options()
        opts.binary_location = CHROMIUM
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", f"--user-data-dir={work / 'profile'}",
                    "--window-size=1200,800", "--force-device-scale-factor=1", "--hide-scrollbars"):
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.set_script_timeout(40)
        try:
            driver.get(page.as_uri())
            WebDriverWait(driver, 40).until(
                lambda d: d.execute_script("return document.body.dataset.layersLoaded || ''") in ("true", "error"))
            state = driver.execute_async_script(FIT_AND_SHOW, LAYERS, contour_bounds(url, enterprise))
            if state != "true":
                raise SystemExit(f"the map did not finish drawing ({state})")
            time.sleep(0.5)
            out.write_bytes(driver.get_screenshot_as_png())
        finally:
            driver.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fn_png(url: str, enterprise: str, out: Path) -> None:
    from geo_risk.risk.societal import plot_fn
    from geo_risk.store.risk_results import get_run

    run = get_run(url, "enterprise", enterprise)
    if run is None:
        raise SystemExit(f"no stored run for enterprise {enterprise!r}")
    fn = run["fn"] or {"n": [], "f": []}
    a = run["assumptions"]
    note = f"{a.get('wind_rose', '')}; weather {', '.join(a.get('weather', {}))}; model {run['model_version']}"
    plot_fn({enterprise: (np.array(fn["n"]), np.array(fn["f"]))}, out,
            f"F-N 曲线 F-N curve — {enterprise}（{run['fn_region'] or '—'}）", note)


def main() -> None:
    from geo_risk.settings import get_settings
    from geo_risk.store.db import resolve_url

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--enterprise", help="enterprise id (default: the one with the largest contour)")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    args = ap.parse_args()
    url = resolve_url(get_settings(), start=False)
    enterprise = args.enterprise or pick_enterprise(url)
    args.out.mkdir(parents=True, exist_ok=True)
    map_png(url, enterprise, args.out / "risk_contours.png")
    fn_png(url, enterprise, args.out / "fn_curve.png")
    print(f"wrote {args.out / 'risk_contours.png'} and {args.out / 'fn_curve.png'} for enterprise {enterprise}")


if __name__ == "__main__":
    main()
