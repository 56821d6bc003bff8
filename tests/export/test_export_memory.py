"""Exports stream: memory stays flat whatever the layer's size (issue 11 §2).

The residential layer is filled with 20,000 and then 200,000 generated blocks (ten times more), and
each export runs in its own process, which reports its peak resident memory. Reading the whole layer
into memory (as exports did) grows the peak with the rows; streaming batches from the store to the
file does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from geo_risk.store.db import get_engine

#: Allowed growth of the peak (MB) from 20,000 to 200,000 features.
GROWTH_MB = 40
#: An export's peak whatever the layer (the issue: well under 500 MB).
CEILING_MB = 400

_CHILD = """
import json, sys
from pathlib import Path
from geo_risk.export import export_download
d = export_download(sys.argv[1], "residential_areas", sys.argv[2])
# VmHWM: this process's own peak (ru_maxrss would carry the forking parent's across exec)
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
import pyogrio
path = d.path if d.path.suffix != ".zip" else "/vsizip/" + str(d.path)
n = int(pyogrio.read_info(path, force_feature_count=True)["features"])
size = d.path.stat().st_size
d.remove()
print(json.dumps({"peak_mb": peak, "bytes": size, "features": n}))
"""


def _fill(url: str, n: int) -> None:
    """``n`` residential blocks of 40 m × 40 m on a grid near Jilin City (a fresh table each time)."""
    with get_engine(url).begin() as conn:
        conn.execute(text("DELETE FROM residential_areas"))
        conn.execute(text(
            "INSERT INTO residential_areas (id, name, population, households, category, geom) "
            "SELECT 'RA-' || lpad(i::text, 7, '0'), '居民区 ' || i, 50 + i % 400, 20 + i % 150, 'general_1', "
            "ST_MakeEnvelope(126.3 + (i % 1000) * 0.0006, 43.7 + (i / 1000) * 0.0005, "
            "126.3 + (i % 1000) * 0.0006 + 0.0005, 43.7 + (i / 1000) * 0.0004 + 0.0003, 4326) "
            "FROM generate_series(1, :n) AS i"), {"n": n})


def _export(url: str, fmt: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, url, fmt], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb"])
def test_export_memory_does_not_grow_with_the_layer(fresh_db_url: str, fmt: str) -> None:
    _fill(fresh_db_url, 20_000)
    small = _export(fresh_db_url, fmt)
    _fill(fresh_db_url, 200_000)
    large = _export(fresh_db_url, fmt)
    assert (small["features"], large["features"]) == (20_000, 200_000)  # every feature written
    assert large["peak_mb"] - small["peak_mb"] < GROWTH_MB, (small, large)
    assert large["peak_mb"] < CEILING_MB, large


def test_large_flatgeobuf_files_have_no_spatial_index_and_small_ones_have_one(fresh_db_url: str) -> None:
    import pyogrio

    from geo_risk.export import FGB_INDEX_MAX_FEATURES, export_download

    for n, indexed in ((FGB_INDEX_MAX_FEATURES, True), (FGB_INDEX_MAX_FEATURES + 1, False)):
        _fill(fresh_db_url, n)
        d = export_download(fresh_db_url, "residential_areas", "fgb")
        try:
            info = pyogrio.read_info(d.path, force_feature_count=True)
            assert info["features"] == n
            # GDAL tells an indexed FlatGeobuf by its fast spatial filter
            assert info["capabilities"]["fast_spatial_filter"] is indexed, (n, info["capabilities"])
        finally:
            d.remove()
