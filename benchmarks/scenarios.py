"""Benchmark a one-enterprise before/after scenario (issue 14) against re-running the whole city's QRA.

Set-up (not timed): a private PostGIS cluster, the sample city loaded and graded, the QRA of every
enterprise (``run_risk --all`` at ``--cell-m``, default 25 m), so every QRA enterprise has its stored
IR grid. ``--url`` (with ``--data-dir``) uses an existing store instead.

The scenario: ``--enterprise`` (default ENT-0005, a pesticide plant of PARK-01) with every inventory
item cut to ``--share`` (default 0.5).

- **geo-risk scenario**: :func:`geo_risk.scenarios.run_scenario` — the QRA of the one touched
  enterprise, every other enterprise's stored grid kept; the difference on one grid, contours and
  crossings, F-N, conflicts before and after, people per band. Cold (first call: the store read and
  the city's populated places built) and warm (``--repeats`` calls, the store state cached, as the
  API keeps it), p50.
- **whole-city QRA**: the obvious alternative — the same change made to the inputs and the QRA of
  every QRA enterprise of the city run again (:func:`geo_risk.risk.run.assess_scope` per enterprise,
  as ``geo-risk risk --all`` does, nothing stored), then the cumulative IR summed. It computes the IR
  and F-N only: no difference grid, contours or conflicts.
- **agreement**: the alternative's cumulative IR after − before (the stored COGs) against the
  scenario's difference grid, cell by cell (max |Δ| per year).

    python benchmarks/scenarios.py                        # fresh store, QRA of the city at 25 m
    python benchmarks/scenarios.py --cell-m 50            # quicker
    python benchmarks/scenarios.py --url postgresql://… --data-dir /path/of/its/grids

Run-to-run noise on our 2-core shared machines is ±15–25 %: compare within one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SAMPLE_CITY = HERE.parent / "sample_geo" / "jilin_city.gpkg"
sys.path.insert(0, str(HERE))


def _whole_city(url: str, enterprise: str, share: float, cell_m: float) -> tuple[float, dict[str, object]]:
    """The alternative: the change in the inputs, every QRA enterprise re-run; (seconds, grids)."""
    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.run import RiskSettings, assess_scope
    from geo_risk.risk_runs import _read, _scope_inputs
    from geo_risk.scenarios import _ir_grid

    t = time.perf_counter()
    data = _read(url)
    units = data["units"].index[data["units"]["enterprise_id"] == enterprise]
    mine = data["inventory"]["unit_id"].isin(units)
    data["inventory"].loc[mine, "max_quantity_t"] = data["inventory"].loc[mine, "max_quantity_t"] * share
    table = method_rows(data["enterprises"][["name", "status"]],
                        data["units"][["enterprise_id", "name", "unit_type", "equipment", "fire_class"]],
                        data["inventory"][["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq",
                                           "hazard_categories", "state"]])
    ents = table[(table["level"] == "enterprise") & table["assessed"]].set_index("enterprise_id")
    qra_units = table[(table["level"] == "unit") & table["assessed"] & (table["method"] == "qra")]
    grids = {}
    settings = RiskSettings(cell_m=cell_m)
    for e in ents.index:
        if e not in set(qra_units["enterprise_id"]):
            continue
        crit = str(ents.loc[e, "criteria"])
        result = assess_scope(_scope_inputs(data, "enterprise", e, [e], crit, cell_m), settings)
        if result.grid is not None:
            grids[e] = _ir_grid(result, "enterprise", e, (e,), crit)
    return time.perf_counter() - t, grids


def bench(url: str, data_dir: Path | None, enterprise: str, share: float, repeats: int, cell_m: float) -> None:
    from geo_risk.analysis.scenario_diff import difference_field
    from geo_risk.scenarios import clear_cache, run_scenario
    from geo_risk.store.ir_grids import read_grids

    body = {"name": "bench", "changes": [{"type": "cut_inventory", "enterprise_id": enterprise, "share": share}]}
    clear_cache()
    t = time.perf_counter()
    result = run_scenario(url, body, data_dir=data_dir)
    cold = time.perf_counter() - t
    warm = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = run_scenario(url, body, data_dir=data_dir)
        warm.append(time.perf_counter() - t)
    p50 = statistics.median(warm)
    print(f"scenario ({enterprise} cut to {share:g}): cold {cold:.2f} s (store read, populated places built); warm "
          f"p50 {p50:.2f} s over {repeats} ({result.timings})")
    print(f"  verdict {result.verdict()}; touched {sorted(result.touched)}")
    full_s, grids = _whole_city(url, enterprise, share, cell_m)
    print(f"whole-city QRA with the change: {full_s:.1f} s ({len(grids)} QRA enterprises re-run; IR and F-N only)")
    print(f"ratio: whole-city / scenario warm ×{full_s / p50:.1f}; / scenario cold ×{full_s / cold:.1f}")
    stored = {g.scope_id: g for g in read_grids(url, data_dir=data_dir, scope="enterprise")}
    # the alternative's difference on the scenario's window: all after grids minus all stored grids
    alt = difference_field([stored[e] for e in sorted(stored)], [grids[e] for e in sorted(grids)])
    f = result.field
    t0, ta = f.transform, alt.transform
    ro, co = int(round((ta.f - t0.f) / t0.a)), int(round((t0.c - ta.c) / t0.a))
    h, w = f.diff.shape
    window = alt.diff[ro:ro + h, co:co + w] if ro >= 0 and co >= 0 else None
    if window is not None and window.shape == f.diff.shape:
        outside = np.abs(alt.diff).sum() - np.abs(window).sum()
        print(f"agreement: max |Δ| on the scenario's grid {np.abs(window - f.diff).max():.3g} per year; "
              f"Σ|difference| outside it {outside:.3g} (the other enterprises re-run equal their stored grids)")
    else:
        print("agreement: the windows do not align (not compared)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an existing store with every QRA stored (skips the set-up)")
    parser.add_argument("--data-dir", type=Path, help="with --url: where its grids are (default: the settings')")
    parser.add_argument("--enterprise", default="ENT-0005")
    parser.add_argument("--share", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cell-m", type=float, default=25.0, help="QRA cell of the set-up (m)")
    args = parser.parse_args()
    if args.url:
        bench(args.url, args.data_dir, args.enterprise, args.share, args.repeats, args.cell_m)
        return
    from _province import load_grade_and_qra, on_fresh_databases

    def one(name: str, path: Path, url: str, is_province: bool, root: Path) -> dict:
        took = load_grade_and_qra(url, path, args.cell_m, root)
        print(f"set-up: city loaded, graded, QRA of every enterprise at {args.cell_m:g} m in "
              f"{took:,.0f} s (not timed below)")
        bench(url, root, args.enterprise, args.share, args.repeats, args.cell_m)
        return {}

    on_fresh_databases("geo_risk_scenarios_", [("city", SAMPLE_CITY, False)], one)


if __name__ == "__main__":
    main()
