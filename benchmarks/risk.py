"""Benchmark the risk engine: the whole sample city at 25 m and 10 m, and a scaling series against the
obvious alternative and the slow reference, on the same data in one run.

1. **Whole city** (skipped with ``--skip-city``): a private PostGIS cluster (``EmbeddedCluster`` in
   a temp dir), migrate, ``geo-risk load sample_geo/jilin_city.gpkg`` (which also grades), then
   for each cell size (25 m, then 10 m; ``--quick``: 25 m only) ``run_risk(everything=True)`` in a
   FRESH SUBPROCESS, so that its peak RSS (``ru_maxrss`` of the child) is that run's own. The child
   prints a line per scope as it goes and times the stages by wrapping them (one ``perf_counter``
   pair per call): reading the store, method selection, scenarios, the grid extent (it computes
   each outcome's reach box once per weather class: cached afterwards), ``risk_field`` (IR),
   the societal events, contours, COG and result storage. It counts, without changing the work:
   events, grid cells (the cell actually used: the engine enlarges it past ``max_cells``), the
   **lethality evaluations** (each event's ``lethality`` is wrapped to add up the size of the
   arrays it receives: one Python call per batch) and, as the work the full-window path would do,
   the **cell × sector positions within reach** (cells within each event's reach, from the area of
   the reach disc clipped to the grid, × the sectors with wind for a directional event).
2. **Scaling series** (pure engine, no database): two constructed containments from
   ``build_scenarios`` — 液氯 30 t in a pressure vessel at 0.58 MPa (3 toxic events: puff and two
   plumes) and 丙烷 100 t in a pressure vessel at 0.75 MPa (9 fire events: fireball, jet fires,
   flash fires, VCEs) — alternating on a square lattice ``--spacing`` m apart (N = 1 is one
   chlorine store), six Purple Book weather classes and the uniform 16-sector rose (the defaults
   of ``RiskSettings``). The grid is the lattice's bounding box plus ``--margin`` m on every side
   at 50, 25 and 10 m cells (fixed here, not the engine's own extent rule, so that the series does
   not move when that rule does). For each case: **ours** (``risk_field``: directional events only
   inside their footprint box) and the **full window** (the same events with
   ``footprint_m=None``: every cell within the reach), checked against each other in the same run
   (max |difference| ≤ Σ frequencies × ``lethality_floor``). Cases under a second are repeated
   and the best time kept; the reach boxes are computed once before timing (reported apart). Peak
   memory = RSS above the pre-call level, sampled every 20 ms (psutil). A full-window case whose
   predicted time (ours × the largest full/ours ratio so far × 1.2) exceeds ``--max-full-s`` is
   skipped and says so.
3. **Slow reference** (``individual_risk_reference``, one cell, event, weather and sector at a
   time in Python) on the small end only: one source on a tiny grid (``--ref-cells`` across at
   50 m, centred on it), chlorine and propane, with ours and the full window on the same grid:
   time ratios and agreement.
4. Prints the tables, the log-log slopes of time in grid cells and in sources, writes
   ``benchmarks/out/risk.json`` (every figure, machine, versions, the engine's git state) and the
   plot ``benchmarks/out/risk_scaling.png``.

Run-to-run noise on our shared 2-core machines is ±15–25 %: compare within one run, as ratios.
CPU seconds are reported next to wall seconds (CPU/wall > 1: NumPy used both cores).

    python benchmarks/risk.py                 # city at 25 m and 10 m; N = 1, 4, 16, 64 at 50, 25, 10 m
    python benchmarks/risk.py --quick         # city at 25 m; N ≤ 16 at 50 and 25 m
    python benchmarks/risk.py --skip-city     # the engine series only (no database)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
SAMPLE_CITY = REPO / "sample_geo" / "jilin_city.gpkg"
#: Stages of a whole-city run, timed in the child by wrapping these module attributes (when present).
STAGES: tuple[tuple[str, str, str], ...] = (
    ("geo_risk.risk_runs", "_read", "read store"),
    ("geo_risk.analysis.methods", "method_rows", "methods (GB/T 37243)"),
    ("geo_risk.risk_runs", "_scope_inputs", "scope inputs (reproject)"),
    ("geo_risk.risk.run", "assess_scope", "assess_scope (QRA, all below)"),
    ("geo_risk.risk.scenarios", "build_scenarios", "  scenarios"),
    ("geo_risk.risk.run", "_grid_for", "  grid extent (reach boxes)"),
    ("geo_risk.risk.run", "risk_field", "  risk_field (IR)"),
    ("geo_risk.risk.run", "population_on_grid", "  population on grid"),
    ("geo_risk.risk.run", "population_points", "  population points"),
    ("geo_risk.risk.run", "societal_events", "  societal events (F-N)"),
    ("geo_risk.risk.run", "iso_risk_polygons", "  contours"),
    ("geo_risk.risk.run", "fn_curve", "  F-N curve"),
    ("geo_risk.risk.contours", "write_cog", "write COG"),
    ("geo_risk.store.risk_results", "save_run", "save run"),
    ("geo_risk.store.risk_results", "save_distances", "save distances"),
)


# -- small helpers --------------------------------------------------------------------------------
def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1e6


class PeakRss:
    """Peak RSS above the level at entry (MB), sampled every ``interval_s`` by a thread."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.base = self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.base = self.peak = _rss_mb()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def above_mb(self) -> float:
        return self.peak - self.base


def _timed(fn: Callable[[], Any], repeat_below_s: float = 1.0, budget_s: float = 3.0) -> tuple[Any, dict]:
    """Run ``fn``; when it took under ``repeat_below_s``, again while within ``budget_s`` (≤ 7×).

    Returns the last result and {seconds (best), cpu_s (of the best), runs, peak_mb (first run)}.
    """
    with PeakRss() as mem:
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        best, cpu = time.perf_counter() - t0, time.process_time() - c0
    runs, spent = 1, best
    while best < repeat_below_s and spent + best < budget_s and runs < 7:
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        t = time.perf_counter() - t0
        spent += t
        runs += 1
        if t < best:
            best, cpu = t, time.process_time() - c0
    return out, {"seconds": best, "cpu_s": cpu, "runs": runs, "peak_mb": round(mem.above_mb, 1)}


class Counter:
    """Adds up the number of places each wrapped ``lethality`` is evaluated at, and the seconds
    spent inside it (the rest of the engine's time is rotation, masks, sums and bookkeeping)."""

    def __init__(self) -> None:
        self.evaluations = 0
        self.calls = 0
        self.seconds = 0.0

    def wrap_sources(self, sources: Sequence[Any]) -> list[Any]:
        from geo_risk.risk.grid import Source

        return [Source(s.x, s.y, tuple(self.wrap_event(e) for e in s.events), s.name) for s in sources]

    def wrap_event(self, event: Any) -> Any:
        inner = event.lethality

        def lethality(dx: Any, dy: Any, weather: Any) -> Any:
            self.calls += 1
            self.evaluations += int(np.broadcast(np.asarray(dx), np.asarray(dy)).size)
            t0 = time.perf_counter()
            try:
                return inner(dx, dy, weather)
            finally:
                self.seconds += time.perf_counter() - t0

        return dataclasses.replace(event, lethality=lethality)


def positions_in_reach(grid: Any, sources: Sequence[Any], rose: Any) -> int:
    """Cell × sector positions within each event's reach (directional: × sectors with wind): the
    places the full-window path evaluates. Cells within a reach = area of the reach disc clipped to
    the grid / cell² (a 256-gon; exact to ≈ 0.01 %)."""
    import shapely

    half = grid.cell_m / 2
    frame = shapely.box(grid.x0 - half, grid.y0 - half, grid.x0 + (grid.nx - 1) * grid.cell_m + half,
                        grid.y0 + (grid.ny - 1) * grid.cell_m + half)
    sectors = (rose.probabilities > 0).sum(axis=1)
    total = 0.0
    cache: dict[tuple[float, float, float], float] = {}
    for s in sources:
        for e in s.events:
            if not e.frequency > 0:
                continue
            for w, weather in enumerate(rose.weathers):
                reach = float(e.max_distance_m(weather))
                if not reach > 0 or sectors[w] == 0:
                    continue
                key = (s.x, s.y, reach)
                if key not in cache:
                    disc = shapely.Point(s.x, s.y).buffer(reach, quad_segs=64)
                    cache[key] = disc.intersection(frame).area / grid.cell_m**2
                total += cache[key] * (sectors[w] if e.directional else 1)
    return int(round(total))


def _engine_state() -> dict[str, Any]:
    """Git commit, uncommitted engine files and a digest of geo_risk/risk/*.py (what was measured)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.rstrip()

    digest = hashlib.sha256()
    for p in sorted((REPO / "geo_risk" / "risk").glob("*.py")) + [REPO / "geo_risk" / "risk_runs.py"]:
        digest.update(p.read_bytes())
    return {"commit": git("rev-parse", "HEAD"),
            "uncommitted": git("status", "--porcelain", "--", "geo_risk").splitlines(),
            "engine_sha256": digest.hexdigest()[:16]}


def _machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith("model name")), "")
    import matplotlib
    import shapely

    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "numpy": np.__version__, "shapely": shapely.__version__, "matplotlib": matplotlib.__version__,
            "platform": platform.platform(), "memory_gb": round(psutil.virtual_memory().total / 1e9, 1)}


# -- the constructed sources ----------------------------------------------------------------------
def templates() -> dict[str, Any]:
    """One chlorine and one propane containment (``build_scenarios``), at (0, 0)."""
    import pandas as pd

    from geo_risk.risk.scenarios import build_scenarios

    unit = {"containment": "single", "unit_type": "storage", "operating_temperature_c": 20.0, "enterprise_id": "E1"}
    units = pd.DataFrame([
        {"id": "U-CL", "equipment": "pressure_vessel", "operating_pressure_mpa": 0.58, "name": "液氯储罐", **unit},
        {"id": "U-C3", "equipment": "pressure_vessel", "operating_pressure_mpa": 0.75, "name": "丙烷储罐", **unit},
    ]).set_index("id")
    item = {"table1_seq": None, "hazard_categories": None, "state": "liquefied_pressurized", "temperature_c": 20.0}
    inventory = pd.DataFrame([
        {"unit_id": "U-CL", "id": "I-CL", "chemical": "液氯", "cas": "7782-50-5", "max_quantity_t": 30.0,
         "pressure_mpa": 0.58, **item},
        {"unit_id": "U-C3", "id": "I-C3", "chemical": "丙烷", "cas": "74-98-6", "max_quantity_t": 100.0,
         "pressure_mpa": 0.75, **item},
    ])
    built = build_scenarios(units, inventory, {"U-CL": (0.0, 0.0), "U-C3": (0.0, 0.0)})
    if built.problems or len(built.sources) != 2:
        raise RuntimeError(f"the constructed containments did not build: {built.problems}")
    chlorine, propane = built.sources
    return {"chlorine": chlorine, "propane": propane, "scenarios": built.scenarios}


def lattice(n: int, tpl: dict[str, Any], spacing_m: float) -> list[Any]:
    """``n`` sources on a ⌈√n⌉-wide square lattice, chlorine and propane alternating (chlorine first)."""
    from geo_risk.risk.grid import Source

    k = math.ceil(math.sqrt(n))
    out = []
    for i in range(n):
        t = tpl["chlorine"] if i % 2 == 0 else tpl["propane"]
        out.append(Source((i % k) * spacing_m, (i // k) * spacing_m, t.events, f"{t.name}#{i}"))
    return out


def full_window(sources: Sequence[Any]) -> list[Any]:
    """The same sources with ``footprint_m=None``: every cell within the reach is evaluated."""
    from geo_risk.risk.grid import Source

    return [Source(s.x, s.y, tuple(dataclasses.replace(e, footprint_m=None) for e in s.events), s.name)
            for s in sources]


def tolerance(sources: Sequence[Any]) -> float:
    """Σ frequencies × lethality_floor (per year): the most the footprint boxes may leave out."""
    from geo_risk.risk.parameters import constant

    return constant("lethality_floor") * sum(e.frequency for s in sources for e in s.events)


# -- 2 + 3: the engine series ---------------------------------------------------------------------
def run_case(grid: Any, sources: list[Any], rose: Any, with_full: bool, with_ref: bool
             ) -> tuple[dict[str, Any], np.ndarray]:
    """Time ours (and the full window, the reference) on one grid; check the agreement. Returns
    the row and our IR grid."""
    from geo_risk.risk.grid import risk_field

    row: dict[str, Any] = {"sources": len(sources), "events": sum(len(s.events) for s in sources),
                           "cell_m": grid.cell_m, "nx": grid.nx, "ny": grid.ny, "cells": grid.nx * grid.ny,
                           "positions_in_reach": positions_in_reach(grid, sources, rose),
                           "tolerance_per_year": tolerance(sources)}
    count = Counter()
    ours_src = count.wrap_sources(sources)
    ours, row["ours"] = _timed(lambda: risk_field(grid, ours_src, rose).ir)
    row["ours"]["lethality_evaluations"] = count.evaluations // row["ours"]["runs"]
    row["ours"]["lethality_s"] = count.seconds / row["ours"]["runs"]
    row["max_ir_per_year"] = float(ours.max())
    # the old treatment (rays: every sector along its centre bearing, exact at the cells), same run
    from geo_risk.risk.grid import RAYS

    _, row["rays"] = _timed(lambda: risk_field(grid, sources, rose, smoothing=RAYS).ir)
    full = add_full(row, grid, sources, rose, ours) if with_full else None
    if with_ref:
        add_ref(row, grid, sources, rose, ours, full)
    _per_m(row["ours"])
    return row, ours


def _per_m(part: dict[str, Any]) -> None:
    if part["lethality_evaluations"]:
        part["s_per_M_evaluations"] = part["seconds"] / part["lethality_evaluations"] * 1e6


def add_full(row: dict[str, Any], grid: Any, sources: list[Any], rose: Any, ours: np.ndarray) -> np.ndarray:
    """The full-window path on the same grid; max |ours − full| against the tolerance."""
    from geo_risk.risk.grid import risk_field

    count = Counter()
    full_src = count.wrap_sources(full_window(sources))
    full, row["full"] = _timed(lambda: risk_field(grid, full_src, rose).ir)
    row["full"]["lethality_evaluations"] = count.evaluations // row["full"]["runs"]
    row["full"]["lethality_s"] = count.seconds / row["full"]["runs"]
    row["ours_vs_full_max_abs"] = float(np.abs(ours - full).max())
    row["ours_vs_full_ok"] = row["ours_vs_full_max_abs"] <= row["tolerance_per_year"]
    _per_m(row["full"])
    return full


def add_ref(row: dict[str, Any], grid: Any, sources: list[Any], rose: Any, ours: np.ndarray,
            full: np.ndarray | None) -> None:
    """The slow reference, once, on the same grid; max |ours − ref| against the tolerance."""
    from geo_risk.risk.grid import individual_risk_reference

    count = Counter()
    ref_src = count.wrap_sources(sources)
    ref, row["ref"] = _timed(lambda: individual_risk_reference(grid, ref_src, rose), repeat_below_s=0)
    row["ref"]["lethality_evaluations"] = count.evaluations
    row["ref"]["lethality_s"] = count.seconds
    # Smoothed sectors: ours reads a polar raster (rings half a cell apart, a tenth of their radius
    # near the source), the reference evaluates 45 sub-bearings per sector exactly at each cell:
    # compared beyond one cell of the sources, as a share of the largest IR (the raster's
    # interpolation error), 3 % allowed. Chlorine: 3.07 % with uniform rings (the G.3 dense plume's
    # transition at 72 m, on the diagonal neighbours), 0.93 % since engine 2.2.
    xs, ys = np.meshgrid(grid.xs, grid.ys)
    away = np.ones(ours.shape, dtype=bool)
    for s in sources:
        away &= np.hypot(xs - s.x, ys - s.y) > 1.01 * grid.cell_m
    row["ours_vs_ref_max_abs"] = float(np.abs(ours - ref)[away].max())
    row["ours_vs_ref_rel"] = row["ours_vs_ref_max_abs"] / max(float(ref.max()), 1e-300)
    row["ours_vs_ref_ok"] = row["ours_vs_ref_rel"] <= 0.03
    if full is not None:
        row["full_vs_ref_max_abs"] = float(np.abs(full - ref).max())
    _per_m(row["ref"])


def warm_reach_boxes(tpl: dict[str, Any], rose: Any) -> float:
    """Compute every outcome's reach box (cached by the engine) before timing; seconds taken."""
    t0 = time.perf_counter()
    for name in ("chlorine", "propane"):
        for e in tpl[name].events:
            for w in rose.weathers:
                e.max_distance_m(w)
                if e.footprint_m is not None:
                    e.footprint_m(w)
                if getattr(e, "envelope_m", None) is not None:
                    e.envelope_m(w)
    return time.perf_counter() - t0


def reference_cases(tpl: dict[str, Any], rose: Any, n_cells: int) -> list[dict[str, Any]]:
    from geo_risk.risk.grid import Grid

    rows = []
    cell = 50.0
    half = (n_cells - 1) / 2 * cell
    grid = Grid(-half, -half, cell, n_cells, n_cells)
    for name in ("chlorine", "propane"):
        print(f"  reference: 1 {name} source ({len(tpl[name].events)} events), {n_cells}×{n_cells} cells of "
              f"{cell:g} m …", end=" ", flush=True)
        src = [dataclasses.replace(tpl[name], x=0.0, y=0.0)]
        row, _ = run_case(grid, src, rose, with_full=True, with_ref=True)
        row["template"] = name
        print(f"ref {row['ref']['seconds']:.1f} s, ours {row['ours']['seconds'] * 1e3:.1f} ms, full "
              f"{row['full']['seconds'] * 1e3:.1f} ms, rays {row['rays']['seconds'] * 1e3:.1f} ms; ours−ref max "
              f"{row['ours_vs_ref_max_abs']:.2g} = {row['ours_vs_ref_rel']:.2%} of the largest IR beyond a cell of the "
              f"source (≤ 3 %: {'ok' if row['ours_vs_ref_ok'] else 'FAIL'})", flush=True)
        rows.append(row)
    return rows


def series(tpl: dict[str, Any], rose: Any, ns: list[int], cells: list[float], spacing_m: float, margin_m: float,
           max_full_s: float, skip: set[tuple[int, float]] = frozenset()) -> list[dict[str, Any]]:
    from geo_risk.risk.grid import Grid

    rows: list[dict[str, Any]] = []
    worst_ratio = 0.0
    for cell in cells:
        for n in ns:
            if (n, cell) in skip:
                print(f"  N {n:>2} at {cell:g} m: left out (--skip)", flush=True)
                continue
            sources = lattice(n, tpl, spacing_m)
            xs, ys = [s.x for s in sources], [s.y for s in sources]
            grid = Grid.covering((min(xs) - margin_m, min(ys) - margin_m, max(xs) + margin_m, max(ys) + margin_m),
                                 cell)
            print(f"  N {n:>2} at {cell:g} m ({grid.nx}×{grid.ny} = {grid.nx * grid.ny:,} cells): ours …", end=" ",
                  flush=True)
            row, ours = run_case(grid, sources, rose, with_full=False, with_ref=False)
            print(f"{row['ours']['seconds']:.2f} s (rays {row['rays']['seconds']:.2f} s)", end="", flush=True)
            predicted = row["ours"]["seconds"] * max(worst_ratio, 1.0) * 1.2
            if worst_ratio and predicted > max_full_s:
                row["full_skipped"] = f"predicted {predicted:.0f} s > --max-full-s {max_full_s:g}"
                print(f"; full window skipped ({row['full_skipped']})", flush=True)
            else:
                print("; full window …", end=" ", flush=True)
                add_full(row, grid, sources, rose, ours)
                worst_ratio = max(worst_ratio, row["full"]["seconds"] / row["ours"]["seconds"])
                print(f"{row['full']['seconds']:.2f} s ({row['full']['seconds'] / row['ours']['seconds']:.2f}×); "
                      f"max |ours − full| {row['ours_vs_full_max_abs']:.2g} ≤ {row['tolerance_per_year']:.2g}: "
                      f"{'ok' if row['ours_vs_full_ok'] else 'FAIL'}", flush=True)
            rows.append(row)
    return rows


def slopes(rows: list[dict[str, Any]], side: str) -> dict[str, Any]:
    """Log-log slopes of time: in cells (per N, over cell sizes), in sources (per cell size), and
    the joint least-squares fit log t = a + b·log cells + c·log sources over every case."""
    have = [r for r in rows if side in r]
    out: dict[str, Any] = {"in_cells_per_n": {}, "in_sources_per_cell": {}}
    for n in sorted({r["sources"] for r in have}):
        rs = [r for r in have if r["sources"] == n]
        if len(rs) >= 2:
            out["in_cells_per_n"][n] = round(float(np.polyfit(np.log([r["cells"] for r in rs]),
                                                              np.log([r[side]["seconds"] for r in rs]), 1)[0]), 2)
    for cell in sorted({r["cell_m"] for r in have}, reverse=True):
        rs = [r for r in have if r["cell_m"] == cell]
        if len(rs) >= 2:
            out["in_sources_per_cell"][cell] = round(float(np.polyfit(
                np.log([r["sources"] for r in rs]), np.log([r[side]["seconds"] for r in rs]), 1)[0]), 2)
    if len(have) >= 3 and len({r["sources"] for r in have}) > 1 and len({r["cells"] for r in have}) > 1:
        a = np.column_stack([np.ones(len(have)), np.log([r["cells"] for r in have]),
                             np.log([r["sources"] for r in have])])
        coef, *_ = np.linalg.lstsq(a, np.log([r[side]["seconds"] for r in have]), rcond=None)
        out["joint"] = {"cells": round(float(coef[1]), 2), "sources": round(float(coef[2]), 2)}
    return out


# -- 1: the whole city ----------------------------------------------------------------------------
def city_child(spec: dict[str, Any]) -> None:
    """In a fresh process: run_risk(everything=True) at one cell size, instrumented; write JSON."""
    import importlib

    t_import = time.perf_counter()
    from geo_risk.risk.run import RiskSettings
    from geo_risk.risk_runs import run_risk

    label = f"[{spec['cell_m']:g} m]"
    stage_s: dict[str, float] = {}
    stage_calls: dict[str, int] = {}
    scopes: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    rose_box: list[Any] = []

    def wrap(module: Any, attr: str, key: str) -> None:
        inner = getattr(module, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                stage_s[key] = stage_s.get(key, 0.0) + time.perf_counter() - t0
                stage_calls[key] = stage_calls.get(key, 0) + 1

        setattr(module, attr, timed)

    for mod_name, attr, key in STAGES:
        module = importlib.import_module(mod_name)
        if attr in ("risk_field", "societal_events"):
            continue  # wrapped below, with counting
        if hasattr(module, attr):
            wrap(module, attr, key)

    run_mod = importlib.import_module("geo_risk.risk.run")
    inner_field = run_mod.risk_field

    def risk_field(grid: Any, sources: Any, rose: Any, *args: Any, **kwargs: Any) -> Any:
        count = Counter()
        wrapped = count.wrap_sources(sources)
        t0 = time.perf_counter()
        out = inner_field(grid, wrapped, rose, *args, **kwargs)
        seconds = time.perf_counter() - t0
        stage_s["  risk_field (IR)"] = stage_s.get("  risk_field (IR)", 0.0) + seconds
        stage_calls["  risk_field (IR)"] = stage_calls.get("  risk_field (IR)", 0) + 1
        rose_box[:] = [rose]
        current.update(field_s=current.get("field_s", 0.0) + seconds, cells=grid.nx * grid.ny, nx=grid.nx,
                       ny=grid.ny, cell_used_m=grid.cell_m, sources=len(sources),
                       events=sum(len(s.events) for s in sources),
                       evaluations=current.get("evaluations", 0) + count.evaluations,
                       lethality_s=current.get("lethality_s", 0.0) + count.seconds,
                       positions_in_reach=positions_in_reach(grid, sources, rose))
        return out

    run_mod.risk_field = risk_field
    if hasattr(run_mod, "societal_events"):
        inner_soc = run_mod.societal_events

        def societal_events(x: Any, y: Any, people: Any, sources: Any, rose: Any, *args: Any, **kw: Any) -> Any:
            count = Counter()
            t0 = time.perf_counter()
            out = inner_soc(x, y, people, count.wrap_sources(sources), rose, *args, **kw)
            key = "  societal events (F-N)"
            stage_s[key] = stage_s.get(key, 0.0) + time.perf_counter() - t0
            stage_calls[key] = stage_calls.get(key, 0) + 1
            current.update(places=int(np.size(x)), societal_evaluations=count.evaluations,
                           societal_lethality_s=count.seconds)
            return out

        run_mod.societal_events = societal_events
    t_import = time.perf_counter() - t_import

    t_run = [time.perf_counter()]
    last = [time.perf_counter()]
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(15.0):
            if current.get("scope") and time.perf_counter() - last[0] >= 10.0:
                print(f"  {label}   … {current['scope']} running for {time.perf_counter() - last[0]:.0f} s",
                      flush=True)

    def progress(what: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if current.get("scope"):
            rec = {k: current.get(k) for k in ("scope", "field_s", "cells", "nx", "ny", "cell_used_m", "sources",
                                               "events", "evaluations", "lethality_s", "positions_in_reach",
                                               "places", "societal_evaluations", "societal_lethality_s")}
            rec["seconds"] = now - last[0]
            scopes.append(rec)
            grid = (f"grid {rec['nx']}×{rec['ny']} at {rec['cell_used_m']:g} m, {rec['events']} events, "
                    f"{(rec['evaluations'] or 0) / 1e6:,.0f} M evaluations, risk_field {rec['field_s'] or 0:.1f} s"
                    if rec.get("cells") else "no modelled source")
            print(f"  {label} {len(scopes):>3}/{total} {rec['scope']:<18} {rec['seconds']:6.1f} s  {grid}  "
                  f"(elapsed {now - t_run[0]:.0f} s)", flush=True)
        current.clear()
        last[0] = now
        if what != "distances":
            current["scope"] = what

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0 = time.process_time()
    t_run[0] = time.perf_counter()
    report = run_risk(spec["url"], everything=True, settings=RiskSettings(cell_m=spec["cell_m"]),
                      data_dir=Path(spec["data_dir"]), progress=progress)
    seconds = time.perf_counter() - t_run[0]
    cpu = time.process_time() - c0
    stop.set()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux → MiB
    enterprise_runs = [r for r in report.runs if r["scope"] == "enterprise"]
    result = {
        "cell_m": spec["cell_m"], "run_risk_s": seconds, "cpu_s": cpu, "import_s": t_import,
        "peak_rss_mb": rss, "rss_after_imports_mb": rss0, "methods": report.methods,
        "qra_enterprises": len(enterprise_runs), "scopes": scopes, "stages_s": stage_s, "stage_calls": stage_calls,
        "problems": len(report.problems), "notes": report.notes if hasattr(report, "notes") else [],
        "distances_stored": report.distances,
        "events": sum(s["events"] or 0 for s in scopes), "grid_cells": sum(s["cells"] or 0 for s in scopes),
        "lethality_evaluations": sum(s["evaluations"] or 0 for s in scopes),
        "positions_in_reach": sum(s["positions_in_reach"] or 0 for s in scopes),
        "societal_evaluations": sum(s["societal_evaluations"] or 0 for s in scopes),
        "lethality_s": sum(s["lethality_s"] or 0.0 for s in scopes),
        "societal_lethality_s": sum(s["societal_lethality_s"] or 0.0 for s in scopes),
        "places_max": max((s["places"] or 0 for s in scopes), default=0),
        "risk_field_s": stage_s.get("  risk_field (IR)", 0.0),
        "cells_used_m": sorted({s["cell_used_m"] for s in scopes if s.get("cell_used_m")}),
    }
    Path(spec["out"]).write_text(json.dumps(result, ensure_ascii=False, default=str))


def whole_city(cells: list[float], root: Path) -> dict[str, Any]:
    from geo_risk.store.db import get_engine, migrate
    from geo_risk.store.embedded import EmbeddedCluster

    cluster = EmbeddedCluster(root / "pg", echo=lambda *a: None)
    out: dict[str, Any] = {"runs": []}
    try:
        t0 = time.perf_counter()
        cluster.start()
        url = cluster.url()
        migrate(url)
        env = dict(os.environ, GEO_RISK_DATABASE_URL=url, GEO_RISK_DATA_DIR=str(root / "data"))
        env.pop("GEO_RISK_WIND_ROSE_FILE", None)  # the uniform default rose, as in the series
        print(f"private PostGIS up and migrated in {time.perf_counter() - t0:.1f} s; loading {SAMPLE_CITY.name} …",
              flush=True)
        t0 = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).with_name("geo-risk")), "load", str(SAMPLE_CITY)], env=env,
                              capture_output=True, text=True)
        out["load_s"] = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"geo-risk load failed ({done.returncode}):\n{done.stderr[-3000:]}")
        with get_engine(url).connect() as conn:
            out["store"] = {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())  # noqa: S608
                            for t in ("enterprises", "hazard_units", "inventory", "residential_areas",
                                      "protection_targets")}
        get_engine(url).dispose()
        print(f"loaded (and graded) in {out['load_s']:.1f} s: {out['store']}", flush=True)
        for cell in cells:
            spec = {"url": url, "cell_m": cell, "data_dir": str(root / f"data_{cell:g}"),
                    "out": str(root / f"city_{cell:g}.json")}
            print(f"\nwhole city at {cell:g} m: run_risk(everything=True) in a fresh process …", flush=True)
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--city-child", json.dumps(spec)],
                                  env=env, cwd=REPO)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"the {cell:g} m city run failed (exit {proc.returncode}); see its output above")
            res = json.loads(Path(spec["out"]).read_text())
            res["process_wall_s"] = wall
            out["runs"].append(res)
            print(f"  done: run_risk {res['run_risk_s']:.1f} s (process {wall:.1f} s), peak RSS "
                  f"{res['peak_rss_mb']:,.0f} MB", flush=True)
    finally:
        try:
            if cluster.running_port():
                from geo_risk.store.db import get_engine

                get_engine(cluster.url()).dispose()
        except Exception as exc:  # noqa: BLE001 - best effort before destroy
            print(f"disposing the engine: {exc}", file=sys.stderr)
        cluster.destroy()
    return out


# -- report ---------------------------------------------------------------------------------------
def _n(v: float) -> str:
    """A count with k / M / G."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{unit}"
    return f"{v:.0f}"


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"


def _share(part: dict[str, Any] | None) -> str:
    return f"{100 * part['lethality_s'] / part['seconds']:.0f} %" if part and part.get("seconds") else "—"


def print_series(rows: list[dict[str, Any]], title: str) -> None:
    nan = float("nan")
    print(f"\n{title}")
    print(f"{'N':>3} {'events':>6} {'cell':>5} {'cells':>9} {'ours':>10} {'full':>10} {'ref':>10} "
          f"{'full/ours':>9} {'ref/ours':>9} {'ours in leth.':>13} {'full in leth.':>13} {'MB ours/full':>12}")
    for r in rows:
        o, f, x = r["ours"], r.get("full"), r.get("ref")
        print(f"{r['sources']:>3} {r['events']:>6} {r['cell_m']:>4g}m {r['cells']:>9,} {_fmt_s(o['seconds']):>10} "
              f"{_fmt_s(f['seconds']) if f else 'skipped':>10} {_fmt_s(x['seconds']) if x else '—':>10} "
              f"{(f['seconds'] / o['seconds']) if f else nan:>8.2f}× "
              f"{(x['seconds'] / o['seconds']) if x else nan:>8.0f}× {_share(o):>13} {_share(f):>13} "
              f"{o['peak_mb']:>5.0f}/{f['peak_mb'] if f else nan:<6.0f}")
    print(f"\n{'N':>3} {'cell':>5} {'in reach':>9} {'ours evals':>10} {'full evals':>10} {'ours s/M':>8} "
          f"{'full s/M':>8} {'ref s/M':>8} {'max IR /a':>9} {'max|ours−full|':>14} {'max|ours−ref|':>13} "
          f"{'tolerance':>9}")
    for r in rows:
        o, f, x = r["ours"], r.get("full"), r.get("ref")
        print(f"{r['sources']:>3} {r['cell_m']:>4g}m {_n(r['positions_in_reach']):>9} "
              f"{_n(o['lethality_evaluations']):>10} {_n(f['lethality_evaluations']) if f else '—':>10} "
              f"{o.get('s_per_M_evaluations', nan):>8.3f} {f.get('s_per_M_evaluations', nan) if f else nan:>8.3f} "
              f"{x.get('s_per_M_evaluations', nan) if x else nan:>8.0f} {r['max_ir_per_year']:>9.2g} "
              f"{r.get('ours_vs_full_max_abs', nan):>14.2g} {r.get('ours_vs_ref_max_abs', nan):>13.2g} "
              f"{r['tolerance_per_year']:>9.2g}")


def print_city(city: dict[str, Any]) -> None:
    print(f"\nWhole sample city ({SAMPLE_CITY.name}: {city.get('store')}), loaded with geo-risk load in "
          f"{city['load_s']:.1f} s; uniform 16-sector rose, six Purple Book weather classes; one fresh process per "
          "cell size")
    print(f"{'cell asked':>10} {'cells used':>14} {'wall s':>8} {'process s':>9} {'CPU/wall':>8} {'QRA ent.':>8} "
          f"{'events':>7} {'grid cells Σ':>13} {'lethality evals':>15} {'in reach':>10} {'risk_field s':>12} "
          f"{'in leth.':>8} {'s/M evals':>9} {'peak RSS MB':>11}")
    for r in city["runs"]:
        evals = r["lethality_evaluations"]
        used = ",".join(f"{c:g}" for c in r["cells_used_m"])
        print(f"{r['cell_m']:>9g}m {used:>13}m {r['run_risk_s']:>8.1f} {r['process_wall_s']:>9.1f} "
              f"{r['cpu_s'] / r['run_risk_s']:>8.2f} {r['qra_enterprises']:>8} {r['events']:>7,} "
              f"{r['grid_cells']:>13,} {_n(evals):>15} {_n(r['positions_in_reach']):>10} "
              f"{r['risk_field_s']:>12.1f} {100 * r['lethality_s'] / max(r['risk_field_s'], 1e-9):>7.0f}% "
              f"{r['risk_field_s'] / evals * 1e6 if evals else 0:>9.3f} {r['peak_rss_mb']:>11,.0f}")
    for r in city["runs"]:
        soc = r["stages_s"].get("  societal events (F-N)")
        if soc is not None:
            print(f"  societal events at {r['cell_m']:g} m: up to {r['places_max']:,} populated places per scope, "
                  f"{_n(r['societal_evaluations'])} lethality evaluations, {soc:.1f} s "
                  f"({100 * r['societal_lethality_s'] / max(soc, 1e-9):.0f} % inside lethality)")
    print("\nwhere the time goes (s; indented stages are inside assess_scope):")
    keys = [k for _, _, k in STAGES if any(k in r["stages_s"] for r in city["runs"])]
    print(f"{'':<32}" + "".join(f"{r['cell_m']:>10g} m" for r in city["runs"]))
    for k in keys:
        print(f"{k:<32}" + "".join(f"{r['stages_s'].get(k, 0.0):>12.1f}" for r in city["runs"]))
    print(f"{'run_risk total':<32}" + "".join(f"{r['run_risk_s']:>12.1f}" for r in city["runs"]))
    for r in city["runs"]:
        top = sorted((s for s in r["scopes"] if s.get("seconds")), key=lambda s: -s["seconds"])[:5]
        print(f"slowest scopes at {r['cell_m']:g} m: " + "; ".join(
            f"{s['scope']} {s['seconds']:.1f} s ({s.get('nx')}×{s.get('ny')} at {s.get('cell_used_m')} m, "
            f"{s.get('events')} events)" for s in top))
        if r.get("notes"):
            print(f"  notes at {r['cell_m']:g} m: {len(r['notes'])}, e.g. {r['notes'][0]}")


def plot(rows: list[dict[str, Any]], ref_rows: list[dict[str, Any]], path: Path) -> None:
    from geo_risk.risk.societal import pyplot_with_cjk_fonts

    plt = pyplot_with_cjk_fonts()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5.2), dpi=120)
    colours = ["#1e6fd9", "#2e7d32", "#ef6c00", "#7b1fa2", "#5d4037"]
    for k, n in enumerate(sorted({r["sources"] for r in rows})):
        rs = sorted((r for r in rows if r["sources"] == n), key=lambda r: r["cells"])
        c = colours[k % len(colours)]
        a1.plot([r["cells"] for r in rs], [r["ours"]["seconds"] for r in rs], "o-", color=c,
                label=f"本方法 ours, N={n}")
        fr = [r for r in rs if "full" in r]
        if fr:
            a1.plot([r["cells"] for r in fr], [r["full"]["seconds"] for r in fr], "s--", color=c, alpha=0.7,
                    label=f"全窗口 full window, N={n}")
    for r in ref_rows:
        a1.plot([r["cells"]], [r["ref"]["seconds"]], "k^", ms=8)
        a1.plot([r["cells"]], [r["ours"]["seconds"]], "kv", ms=6)
    if ref_rows:
        a1.plot([], [], "k^", label="逐格参考实现 slow reference (1 source)")
        a1.plot([], [], "kv", label="本方法 ours, same tiny grid")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("网格单元数 grid cells")
    a1.set_ylabel("耗时 (秒) time (s)")
    a1.set_title("个人风险计算耗时与网格规模 IR time vs grid cells")
    a1.grid(True, which="both", alpha=0.3)
    a1.legend(fontsize=7)
    for k, cell in enumerate(sorted({r["cell_m"] for r in rows}, reverse=True)):
        rs = sorted((r for r in rows if r["cell_m"] == cell), key=lambda r: r["sources"])
        c = colours[k % len(colours)]
        a2.plot([r["sources"] for r in rs], [r["ours"]["seconds"] for r in rs], "o-", color=c,
                label=f"本方法 ours, {cell:g} m")
        fr = [r for r in rs if "full" in r]
        if fr:
            a2.plot([r["sources"] for r in fr], [r["full"]["seconds"] for r in fr], "s--", color=c, alpha=0.7,
                    label=f"全窗口 full window, {cell:g} m")
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xticks(sorted({r["sources"] for r in rows}))
    a2.set_xticklabels([str(n) for n in sorted({r["sources"] for r in rows})])
    a2.minorticks_off()
    a2.set_xlabel("危险源数 N sources (氯/丙烷交替 chlorine/propane alternating)")
    a2.set_ylabel("耗时 (秒) time (s)")
    a2.set_title("耗时与危险源数 time vs number of sources")
    a2.grid(True, which="both", alpha=0.3)
    a2.legend(fontsize=7)
    fig.text(0.01, 0.01, "6 个气象类别 weather classes × 16 风向 sectors; 每点一次运行（<1 s 取最优）"
             " one run per point (best of several under 1 s)", fontsize=7)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="series N ≤ 16 at 50 and 25 m; whole city at 25 m only")
    ap.add_argument("--skip-city", action="store_true", help="no database: the engine series only")
    ap.add_argument("--sources", default=None, help="N of the series, comma-separated (default 1,4,16,64)")
    ap.add_argument("--cells", default=None, help="cell sizes (m) of the series (default 50,25,10)")
    ap.add_argument("--city-cells", default=None, help="cell sizes (m) of the whole-city runs (default 25,10)")
    ap.add_argument("--skip", default="", help="series cases to leave out, as N@cell, comma-separated (e.g. 64@10)")
    ap.add_argument("--spacing", type=float, default=300.0, help="lattice spacing of the sources, m (300)")
    ap.add_argument("--margin", type=float, default=2000.0, help="grid margin around the lattice, m (2000)")
    ap.add_argument("--ref-cells", type=int, default=None, help="reference grid cells across (default 11; quick 7)")
    ap.add_argument("--max-full-s", type=float, default=300.0,
                    help="skip a full-window case predicted to take longer than this (s, default 300)")
    ap.add_argument("--city-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.city_child:
        city_child(json.loads(args.city_child))
        return

    ns = [int(v) for v in (args.sources or ("1,4,16" if args.quick else "1,4,16,64")).split(",")]
    cells = [float(v) for v in (args.cells or ("50,25" if args.quick else "50,25,10")).split(",")]
    city_cells = [float(v) for v in (args.city_cells or ("25" if args.quick else "25,10")).split(",")]
    ref_cells = args.ref_cells or (7 if args.quick else 11)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "args": {k: v for k, v in vars(args).items() if k != "city_child"}, "machine": _machine(),
        "engine": _engine_state(), "loadavg_start": os.getloadavg(),
    }
    print(f"risk engine benchmark — {result['machine']['cores']} cores ({result['machine']['cpu']}), Python "
          f"{result['machine']['python']}, NumPy {result['machine']['numpy']}; engine at "
          f"{result['engine']['commit'][:10]}"
          + (f" with uncommitted {', '.join(ln[3:] for ln in result['engine']['uncommitted'])}"
             if result["engine"]["uncommitted"] else ""), flush=True)

    if not args.skip_city:
        root = Path(tempfile.mkdtemp(prefix="geo_risk_bench_risk_"))
        os.chmod(root, 0o755)
        result["city"] = whole_city(city_cells, root)

    from geo_risk.risk.parameters import constant
    from geo_risk.risk.run import RiskSettings

    rose = RiskSettings().rose()
    print("\nscaling series: building the chlorine and propane containments …", flush=True)
    tpl = templates()
    warm_s = warm_reach_boxes(tpl, rose)
    reach = {name: {e.name: [round(float(e.max_distance_m(w))) for w in rose.weathers] for e in tpl[name].events}
             for name in ("chlorine", "propane")}
    print(f"  reach boxes of {sum(len(tpl[n].events) for n in ('chlorine', 'propane'))} events × "
          f"{len(rose.weathers)} weather classes: {warm_s:.1f} s (once; cached by the engine)", flush=True)
    ref_rows = reference_cases(tpl, rose, ref_cells)
    skip = {(int(c.split("@")[0]), float(c.split("@")[1])) for c in args.skip.split(",") if c.strip()}
    rows = series(tpl, rose, ns, cells, args.spacing, args.margin, args.max_full_s, skip)

    if "city" in result:
        print_city(result["city"])
    print_series(ref_rows, f"Slow reference vs ours vs full window: one source at the centre of "
                           f"{ref_cells}×{ref_cells} cells of 50 m (best of ≤ 7 runs under 1 s; the reference once)")
    print_series(rows, f"Scaling series: N sources {args.spacing:g} m apart (chlorine 30 t / propane 100 t "
                       f"alternating), grid = lattice + {args.margin:g} m margin; 'in reach' = cell × sector "
                       "positions within reach (the full window's work); evals = lethality evaluations; "
                       "s/M = seconds per million evaluations; MB = peak RSS above the start of the call")
    fits = {side: slopes(rows, side) for side in ("ours", "full")}
    print("\nhow time grows (log-log slopes; 1 = linear):")
    for side, f in fits.items():
        print(f"  {side:<5} in grid cells per N: {f['in_cells_per_n']}; in sources per cell size: "
              f"{f['in_sources_per_cell']}; joint fit t ∝ cells^{f.get('joint', {}).get('cells', float('nan'))} × "
              f"sources^{f.get('joint', {}).get('sources', float('nan'))}")
    bad = [r for r in rows + ref_rows if r.get("ours_vs_full_ok") is False or r.get("ours_vs_ref_ok") is False]
    print(f"\nagreement: {'every case within Σf × lethality_floor' if not bad else f'{len(bad)} case(s) OUT'} "
          f"(lethality_floor {constant('lethality_floor'):g})")

    result.update({
        "reach_boxes_s": warm_s, "reach_m_by_weather": reach, "weathers": [w.label for w in rose.weathers],
        "rose": rose.label, "spacing_m": args.spacing, "margin_m": args.margin,
        "reference": ref_rows, "series": rows, "slopes": fits, "all_agree": not bad,
        "loadavg_end": os.getloadavg(), "total_s": time.perf_counter() - started,
    })
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "risk.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    plot(rows, ref_rows, OUT / "risk_scaling.png")
    print(f"\nwrote {OUT / 'risk.json'} and {OUT / 'risk_scaling.png'} in {result['total_s'] / 60:.1f} min in all; "
          f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
