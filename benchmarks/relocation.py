"""Relocation plan benchmark: the firms × parks assignment as one MIP (HiGHS via PuLP) against the obvious
alternative, one firm at a time (greedy), on a generated province (benchmarks/_province.py).

The province's plants, hazard units and housing come from the generator. Its chemical parks (3 per city,
discs of 2.5 km) are not a layer there, so their centres are replayed from the generator's seed (the
same draws in the same order; checked: every plant the generator put in a park lies within its disc).
What the store would hold and the province does not is drawn here from a fixed seed (not real data):
per park ``recognised`` (90 %), grade A–D (5/10/35/50 %), ``free_area_ha`` (10–60 ha: scarce, so firms
compete) and accepted industries; per firm a GB/T 4754 code, a size class, and a required distance per
GB 36894 class (100–600 m) for the new-site exposure proxy; the on-site upgrade share is drawn (30 %
feasible, 0.5–1) instead of searched, since this run times the assignment, not the upgrade search.

Candidates are found by the engine's own §2 test (the density rule: the province has no conflict
analysis here), then the prices are built by :func:`geo_risk.analysis.relocation.build_problem` with the
default settings. Printed: candidates, parks, binaries, time of each solver and the greedy objective
gap (greedy in the candidates' order, and greedy taking the largest saving first).

    python benchmarks/relocation.py                      # 10,000 units, 40,000 residential areas
    python benchmarks/relocation.py --density 500        # the same province, hundreds of candidates
    python benchmarks/relocation.py --units 2500 --residential 20000   # small (the smoke run)

The risk at the new site (issue 14): the siting check of the firm's inventory placed in the park
(:func:`geo_risk.relocation_plan.checker_for`, run_project: GB 18218, GB/T 37243, the QRA at 25 m, the
rulebook) is timed on the first ``--site-check-firms`` candidates (default 10), shortlisted by the proxy
as the plan does (``site_check_shortlist`` parks per firm, more while every one vetoes), on a siting
context built from the province's frames; printed: checks, seconds per check, the cached repeat, how
often the proxy's cheapest park was vetoed, and what checking every eligible pair would cost instead.

    python benchmarks/relocation.py --density 500 --site-check-firms 20
    python benchmarks/relocation.py --city       # the sample city: the plan with and without the new checks
                                                 # (the store of GEO_RISK_*: load, grade and risk --all first)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _province  # noqa: E402
from _province import peak_mb, province_path  # noqa: E402

OUT = HERE / "out"


def replay_parks(units: int) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of the 3 × 40 park centres the generator drew for ``units`` (the same draws, same order)."""
    rng = np.random.default_rng(_province.SEED)
    n = _province.CITIES
    gx, gy = np.meshgrid(np.arange(8), np.arange(5))
    cell_lon = (_province.LON[1] - _province.LON[0]) / 8
    cell_lat = (_province.LAT[1] - _province.LAT[0]) / 5
    city_lon = _province.LON[0] + (gx.ravel() + 0.5 + (rng.random(n) - 0.5) * 0.5) * cell_lon
    city_lat = _province.LAT[0] + (gy.ravel() + 0.5 + (rng.random(n) - 0.5) * 0.5) * cell_lat
    weight = rng.lognormal(0.0, 0.5, n)
    weight /= weight.sum()
    n_plants = max(1, int(round(units / 2.5)))
    rng.choice(n, n_plants, p=weight)
    rng.random(n_plants)
    park_r = 6_000 + 6_000 * rng.random((n, 3))
    park_a = rng.random((n, 3)) * 2 * np.pi
    dx, dy = park_r * np.cos(park_a), park_r * np.sin(park_a)
    m_lat = _province.M_PER_DEG_LAT
    lon = city_lon[:, None] + dx / (m_lat * np.cos(np.radians(city_lat[:, None])))
    lat = city_lat[:, None] + dy / m_lat
    return lon.ravel(), lat.ravel()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--residential", type=int, default=40_000)
    ap.add_argument("--site-check-firms", type=int, default=10,
                    help="candidates whose shortlisted parks get the siting check (0: none)")
    ap.add_argument("--city", action="store_true", help="time the sample city's plan in the GEO_RISK_* store instead")
    ap.add_argument("--density", type=float, default=None,
                    help="density threshold, people/km² (default the setting's 1,500; the generated province's "
                         "housing is sparser than a real city's, so a lower value gives the hundreds of candidates)")
    args = ap.parse_args()
    if args.city:
        city()
        return

    import geopandas as gpd
    import pandas as pd
    import shapely

    from geo_risk.analysis.relocation import (
        DEFAULT_SETTINGS,
        build_problem,
        find_candidates,
        new_site_exposure,
        solve_greedy,
        solve_mip,
    )

    path = province_path(OUT, args.units, args.residential)
    ents = gpd.read_file(path, layer="enterprises").set_index("id")
    units = gpd.read_file(path, layer="hazard_units", read_geometry=False).set_index("id")
    res = gpd.read_file(path, layer="residential_areas")
    targets = gpd.read_file(path, layer="protection_targets")
    from geo_risk.standards.gb36894 import classify_target

    targets["category"] = [classify_target(k, p) for k, p in zip(targets["kind"], targets["population"], strict=True)]
    rng = np.random.default_rng(77)

    # parks: replayed centres, discs of 2.5 km; plants inside a disc belong to that park
    plon, plat = replay_parks(args.units)
    centres = gpd.GeoSeries(gpd.points_from_xy(plon, plat), crs=4326)
    discs = []
    for c in centres:
        crs = f"EPSG:{32600 + int((c.x + 180) // 6) + 1}"
        discs.append(gpd.GeoSeries([c], crs=4326).to_crs(crs).buffer(2_500).to_crs(4326).iloc[0])
    park_ids = [f"PARK-{k:03d}" for k in range(len(discs))]
    parks = gpd.GeoDataFrame({
        "name": [f"化工园区 {k}" for k in range(len(discs))],
        "recognised": rng.random(len(discs)) < 0.9,
        "risk_grade": rng.choice(np.array(list("ABCD"), dtype=object), len(discs), p=[0.05, 0.10, 0.35, 0.50]),
        "free_area_ha": rng.uniform(10, 60, len(discs)).round(1),
        "industry_codes": rng.choice(np.array(["26", "25,26", "26,27", "26,27,28"], dtype=object), len(discs)),
    }, geometry=discs, index=pd.Index(park_ids, name="id"), crs=4326)
    tree = shapely.STRtree(np.asarray(parks.geometry.values, dtype=object))
    pi, ti = tree.query(shapely.centroid(np.asarray(ents.geometry.values, dtype=object)), predicate="within")
    ents["park_id"] = None
    ents.iloc[pi, ents.columns.get_loc("park_id")] = np.asarray(park_ids, dtype=object)[ti]
    in_park_share = float(ents["park_id"].notna().mean())
    if not 0.6 <= in_park_share <= 0.72:  # the generator puts 65 % in parks: the replay must find them
        raise SystemExit(f"replayed parks hold {in_park_share:.0%} of the plants, not about 65 %: has "
                         "benchmarks/_province.py changed its draws?")
    ents["industry_code"] = rng.choice(np.array(["2612", "2614", "2621", "2631", "2710", "2511"], dtype=object),
                                       len(ents))

    t0 = time.perf_counter()
    conflicts = pd.DataFrame(columns=["rule", "view", "enterprise_id", "target_id", "target_class",
                                      "people_affected"])
    settings = DEFAULT_SETTINGS if args.density is None else replace(DEFAULT_SETTINGS, density_per_km2=args.density)
    screen = find_candidates(ents, units, parks, conflicts, res, settings)
    t_screen = time.perf_counter() - t0
    cand = ents.loc[screen.index[screen["candidate"]]]
    n = len(cand)
    classes = ["high_sensitive", "important", "general_1", "general_2", "general_3"]
    base = rng.uniform(100, 600, n)
    reach = pd.DataFrame({c: base * f for c, f in zip(classes, (1.0, 1.0, 1.0, 0.6, 0.3), strict=True)},
                         index=cand.index)
    area = cand.to_crs(32652).area.to_numpy() / 1e4  # metric enough for land need (zones 51–52 here)
    land = pd.Series(area.round(2), index=cand.index)
    t0 = time.perf_counter()
    people, _ = new_site_exposure(reach, land, gpd.GeoSeries(shapely.point_on_surface(
        np.asarray(parks.geometry.values, dtype=object)), index=parks.index, crs=4326), targets)
    t_exposure = time.perf_counter() - t0

    cols: dict[str, np.ndarray] = {}
    firms = pd.DataFrame(index=cand.index)
    firms["park_id"] = cand["park_id"]
    firms["industry_code"] = cand["industry_code"]
    firms["land_ha"] = land
    feasible = rng.random(n) < 0.3
    firms["upgrade_share"] = np.where(feasible, rng.uniform(0.5, 1.0, n), np.nan)
    firms["upgrade_feasible"] = feasible
    cx = shapely.get_x(shapely.centroid(np.asarray(cand.geometry.values, dtype=object)))
    cy = shapely.get_y(shapely.centroid(np.asarray(cand.geometry.values, dtype=object)))
    for j, (pid, c) in enumerate(zip(parks.index, centres, strict=True)):
        # great-circle distance, km (haversine)
        la1, la2 = np.radians(cy), math.radians(c.y)
        dla, dlo = la2 - la1, np.radians(c.x - cx)
        h = np.sin(dla / 2) ** 2 + np.cos(la1) * math.cos(la2) * np.sin(dlo / 2) ** 2
        cols[f"km:{pid}"] = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
        cols[f"people:{pid}"] = people[pid].to_numpy() if j < people.shape[1] else np.zeros(n)
    firms = pd.concat([firms, pd.DataFrame(cols, index=firms.index)], axis=1)
    t0 = time.perf_counter()
    problem, _ = build_problem(firms, parks.drop(columns="geometry"), settings)
    t_build = time.perf_counter() - t0
    allowed = int(np.isfinite(problem.move_cost).sum())
    floor = np.minimum(problem.close_cost, problem.upgrade_cost)
    kept = int((np.isfinite(problem.move_cost) & (problem.move_cost < floor[:, None])).sum())

    mip = solve_mip(problem, time_limit_s=600)
    greedy = solve_greedy(problem)
    best_move = np.where(np.isfinite(problem.move_cost), problem.move_cost, np.inf).min(axis=1)
    saving = np.minimum(problem.close_cost, problem.upgrade_cost) - np.minimum(best_move, floor)
    by_saving = solve_greedy(problem, order=list(np.argsort(-saving, kind="stable")))

    def count(choice: tuple[str, ...]) -> str:
        moved = sum(c not in ("close", "upgrade") for c in choice)
        return f"move {moved}, upgrade {choice.count('upgrade')}, close {choice.count('close')}"

    print(f"province: {len(ents):,} plants ({in_park_share:.0%} in the {len(parks)} replayed parks), "
          f"{len(res):,} residential areas, {len(targets):,} protection targets")
    print(f"candidates (§2 density rule, ≥ {settings.density_per_km2:g}/km² within 500 m): {n} in "
          f"{t_screen:.1f} s; new-site exposure {t_exposure:.1f} s; "
          f"problem built in {t_build:.2f} s")
    print(f"assignment: {n} firms × {len(parks)} parks; eligible moves {allowed:,}, of which {kept:,} priced below "
          f"the firm's close/upgrade (the MIP's binaries: {kept + n + int(np.isfinite(problem.upgrade_cost).sum()):,})")
    print(f"{'solver':<34}{'seconds':>10}{'objective':>14}{'gap':>10}  choices")
    for a in (mip, greedy, by_saving):
        gap = (a.objective - mip.objective) / mip.objective if mip.objective else 0.0
        name = a.method if a is not by_saving else "greedy (largest saving first)"
        print(f"{name:<34}{a.seconds:>10.3f}{a.objective:>14.1f}{gap:>9.2%}  {count(a.choice)}")
    print(f"MIP / greedy time: {mip.seconds / max(greedy.seconds, 1e-9):,.0f}× ; greedy objective "
          f"{greedy.objective / mip.objective:.4f}× the MIP's, largest-saving-first "
          f"{by_saving.objective / mip.objective:.4f}×")
    if args.site_check_firms > 0:
        site_checks(path, ents, parks, targets, res, problem, settings, args.site_check_firms, allowed, n)
    print(f"peak memory: {peak_mb():.0f} MB")


def site_checks(path: Path, ents, parks, targets, res, problem, settings, k: int, allowed: int, n: int) -> None:  # noqa: ANN001
    """The siting check at the new sites on the first ``k`` candidates' shortlisted parks (module docstring)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geo_risk.analysis.relocation import AssignmentProblem, _shortlist_and_check
    from geo_risk.analysis.siting import ParkSide
    from geo_risk.relocation_plan import checker_for
    from geo_risk.siting_check import SiteContext

    units = gpd.read_file(path, layer="hazard_units").set_index("id")
    for col in ("equipment", "containment", "fire_class", "safety_distance_m"):
        units[col] = None
    inventory = gpd.read_file(path, layer="inventory", read_geometry=False)
    for col in ("hazard_categories", "state", "temperature_c", "pressure_mpa", "vessel_count", "vessel_capacity_t"):
        if col not in inventory.columns:
            inventory[col] = None
    t = pd.concat([res.assign(kind="residential", layer="residential_areas"),
                   targets.assign(layer="protection_targets")], ignore_index=True)
    from geo_risk.standards.gb36894 import classify_targets

    t["category"] = classify_targets(t["kind"], t["population"]).to_numpy()
    t.index = pd.Index([f"T{i}" for i in range(len(t))])
    ctx = SiteContext(key=("province", str(path)), enterprises=ents, units=units, required=pd.DataFrame(),
                      distances=pd.DataFrame(), qra_units=set(), reach_m=pd.Series(dtype=float),
                      reach_tree=shapely.STRtree([]), reach_units=np.array([], dtype=object), grids={}, grid_boxes={},
                      fn={}, parks=[ParkSide(str(i), str(p["name"]), p.geometry, None, False)
                                    for i, p in parks.iterrows()],
                      targets=gpd.GeoDataFrame(t, geometry="geometry", crs=4326), inventory=inventory,
                      extent=tuple(ents.total_bounds), notes=[])
    sub = AssignmentProblem(problem.firms[:k], problem.parks, problem.land_ha[:k], problem.capacity_ha,
                            problem.move_cost[:k], problem.upgrade_cost[:k], problem.close_cost[:k])
    check = checker_for(ctx, yellow=settings.colour_rules.ir_bands_per_year[2])
    t0 = time.perf_counter()
    check(sub.firms[0], sub.parks[int(np.argmin(sub.move_cost[0]))])  # the populated places of the zone, once
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    checks = _shortlist_and_check(sub, check, settings.site_check_shortlist, settings.veto_mode == "exclude")
    t_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    _shortlist_and_check(sub, check, settings.site_check_shortlist, settings.veto_mode == "exclude")
    t_cached = time.perf_counter() - t0
    per = float(np.mean([c.seconds for c in checks.values()])) if checks else 0.0
    first_vetoed = sum(checks[(f, sub.parks[int(np.argmin(sub.move_cost[i]))])].veto
                       for i, f in enumerate(sub.firms) if np.isfinite(sub.move_cost[i]).any())
    movable = sum(bool(np.isfinite(sub.move_cost[i]).any()) for i in range(len(sub.firms)))
    vetoed = sum(c.veto for c in checks.values())
    print(f"siting check at the new site (run_project, QRA at 25 m): first call {t_warm:.1f} s (the zone's populated "
          f"places); {len(checks)} checks for {len(sub.firms)} firms (shortlist {settings.site_check_shortlist}) in "
          f"{t_all:.1f} s, {per:.2f} s per check; cached repeat {t_cached * 1000:.1f} ms")
    print(f"  vetoed: {vetoed} of {len(checks)} pairs; the proxy's cheapest park vetoed for {first_vetoed} of "
          f"{movable} movable firms")
    short = n * settings.site_check_shortlist
    print(f"  all {n} candidates: shortlisted ≈ {short * per / 60:.1f} min; every eligible pair ({allowed:,}) ≈ "
          f"{allowed * per / 60:.1f} min ({allowed / max(1, short):.1f}× the shortlist)")


def city() -> None:
    """The sample city's plan in the GEO_RISK_* store: the proxy alone, with the siting checks, with the
    receiving parks' F-N (first and cached), and the people per IR band before → after."""
    from geo_risk.relocation_plan import clear_cache, compute_plan
    from geo_risk.settings import get_settings
    from geo_risk.store.db import resolve_url

    s = get_settings()
    url = resolve_url(s)
    runs = [("proxy only (as before issue 14's gaps)", False, False), ("+ siting checks", True, False),
            ("+ siting checks + park F-N (first)", True, True), ("the same again (cached)", True, True)]
    clear_cache()
    for name, check, fn in runs:
        t0 = time.perf_counter()
        plan = compute_plan(url, settings=s, data_dir=s.data_dir, new_site_check=check, park_fn=fn)
        dt = time.perf_counter() - t0
        b = plan.benefit.get("ir_bands") or {}
        above = b.get("any_above_yellow", {})
        moves = {r["enterprise_id"]: r["park_id"] for r in plan.cases.to_dict("records")
                 if isinstance(r["park_id"], str)}
        print(f"{name:<40}{dt:>8.1f} s  {plan.summary()}; people ≥ 3e-7/a {above.get('before', 0):,.0f} → "
              f"{above.get('after', 0):,.0f}; moves {moves}")
        print("    " + ", ".join(f"{k} {v}" for k, v in plan.solver.items()
                                  if "seconds" in k or k in ("site_checks", "site_checks_vetoed")))


if __name__ == "__main__":
    main()
