"""The relocation plan from the store (issue 14): read, analyse, store, export.

The engine is :mod:`geo_risk.analysis.relocation` (pure); the SQL :mod:`geo_risk.store.relocation`.
The conflicts the plan rests on are recomputed here from the same inputs (not read from the stored
conflict analysis, which may be stale), with the stored QRA grids and external distances.

Two pieces need the store and live here:

- :func:`site_checker`: the risk a firm would create at its new site is the siting check's
  (:func:`geo_risk.siting_check.run_project`, direction 1, the 新建 column) of the firm's stored
  units and inventory placed in the park by :func:`geo_risk.analysis.relocation.placement` (the
  site's centroid onto the park's point on surface, the layout kept: CHOICE). Checks are cached per
  store state, firm and park; the engine runs them only on the parks the proxy screen shortlists.
- :func:`receiving_park_fn`: the F-N before and after of each park the plan touches (firms moved in
  or out, closed, cut), computed on the fly by the risk engine (:func:`geo_risk.risk.run.assess_scope`
  over the park's stored QRA enterprises, then with the plan's outcomes applied by the scenarios'
  ``move_to_park`` / ``remove_enterprise`` / ``cut_inventory``), at the stored runs' settings.
  F-N derives from inventories: RESTRICTED below analyst (:data:`RESTRICTED_PARK_KEYS`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_risk.errors import InvalidInput

__all__ = ["relocation_settings", "compute_plan", "run_relocation_plan", "export_plan", "public_cases",
           "public_parks", "summary_lines", "site_checker", "checker_for", "firm_request", "receiving_park_fn",
           "park_fn_rows", "fn_at", "EXPORT_FORMATS", "clear_cache"]

Progress = Callable[[str, int, int], None]
EXPORT_FORMATS = (".gpkg", ".csv", ".xlsx", ".png")


def relocation_settings(settings: Any = None):  # noqa: ANN201 - a RelocationSettings
    """The plan's settings from the service settings (``GEO_RISK_RELOCATION_*``)."""
    from geo_risk.analysis.relocation import RelocationSettings
    from geo_risk.settings import get_settings

    s = settings or get_settings()
    return RelocationSettings(density_per_km2=s.relocation_density_per_km2, density_ring_m=s.relocation_density_ring_m,
                              near_homes_m=s.relocation_near_homes_m, min_upgrade_share=s.relocation_min_upgrade_share,
                              excluded_grades=tuple(s.relocation_excluded_grades), grade_mode=s.relocation_grade_mode,
                              producers_only=s.relocation_producers_only,
                              site_check_shortlist=int(s.relocation_site_check_shortlist),
                              veto_mode=s.relocation_veto_mode)


def compute_plan(url: str, progress: Progress | None = None, *, settings: Any = None,
                 data_dir: Path | None = None, new_site_check: bool = True,
                 park_fn: bool | None = None):  # noqa: ANN201 - a RelocationPlan
    """The plan from the store's current inputs (nothing written). ``new_site_check``: price the new
    sites by the siting check (else the proxy alone); ``park_fn``: the receiving parks' F-N before
    and after (module docstring; default the setting ``relocation_park_fn``)."""
    from geo_risk.analyse import conflict_distances, conflict_settings, grid_box, required_reach
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.analysis.relocation import plan_relocation
    from geo_risk.store import conflicts as cstore
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.relocation import read_relocation_inputs

    rs = relocation_settings(settings)
    if progress:
        progress("relocation: reading", 0, 7)
    data = cstore.read_inputs(url, targets=False)
    distances, notes = conflict_distances(url, data["units"], data["enterprises"], data["distances"])
    grids = read_grids(url, data_dir=data_dir)
    reach = required_reach(distances)
    # the density ring and the 1 km homes test look further than the required distances
    look = pd.Series(rs.near_homes_m + rs.density_ring_m, index=data["units"].index)
    reach = pd.concat([reach, look], axis=1).max(axis=1)
    inputs = read_relocation_inputs(url)
    # the parks and PARK_PAD_M around them: where a moved firm's QRA at its new site counts people
    park_boxes = [_padded(g, PARK_PAD_M) for g in inputs["parks"].geometry.values if g is not None]
    targets = cstore.read_targets(url, reach, [grid_box(g) for g in grids] + park_boxes)
    conflicts = find_conflicts(targets, data["units"], data["enterprises"], distances, grids, data["admin_areas"],
                               conflict_settings(settings))
    residential = targets[targets["layer"] == "residential_areas"]
    checker = site_checker(url, yellow=rs.colour_rules.ir_bands_per_year[2], data_dir=data_dir) \
        if new_site_check else None
    plan = plan_relocation(inputs["enterprises"], data["units"], inputs["inventory"], distances, conflicts.conflicts,
                           targets, residential, inputs["parks"], grids, rs, progress, site_check=checker)
    plan.notes[:0] = notes + conflicts.notes
    _fn_before(url, plan)
    if park_fn is None:
        from geo_risk.settings import get_settings

        park_fn = bool((settings or get_settings()).relocation_park_fn)
    if park_fn:
        t0 = time.perf_counter()
        receiving_park_fn(url, plan, data_dir=data_dir, settings=settings)
        plan.solver["park_fn_seconds"] = round(time.perf_counter() - t0, 3)
    elif (plan.cases["outcome"] == "relocate_to_park").any() if len(plan.cases) else False:
        plan.notes.append("the receiving parks' F-N before and after was not computed (GEO_RISK_RELOCATION_PARK_FN "
                          "is false)")
    if len(plan.site_checks):
        plan.solver["site_check_pairs"] = plan.site_checks.to_dict("records")
    return plan


#: How far around a park (m) the plan reads targets: the reach of a moved firm's QRA at its new site (CHOICE).
PARK_PAD_M = 5_000.0


def _padded(geom: Any, pad_m: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = geom.bounds
    dlat = pad_m / 110_574.0
    dlon = pad_m / (111_319.0 * max(0.05, math.cos(math.radians(max(abs(y0), abs(y1))))))
    return (x0 - dlon, y0 - dlat, x1 + dlon, y1 + dlat)


# -- the siting check of a firm at a park ---------------------------------------------------------------------

_CHECKS: dict[tuple, Any] = {}
_PARK_FN: dict[tuple, Any] = {}
_CHECK_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the cached new-site checks and parks' F-N (tests)."""
    with _CHECK_LOCK:
        _CHECKS.clear()
        _PARK_FN.clear()


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def firm_request(ctx: Any, enterprise_id: str, park_id: str, park_geom: Any) -> Any:
    """A siting-check request (:class:`geo_risk.siting_check.SiteRequest`, a project) for a stored firm's
    units and inventory placed in a park (:func:`geo_risk.analysis.relocation.placement`). Units holding
    no inventory are left out (no hazard there). Raises InvalidInput when the firm holds nothing."""
    from geo_risk.analysis.relocation import placement
    from geo_risk.siting_check import _INVENTORY_FIELDS, _UNIT_FIELDS, SiteRequest
    from geo_risk.standards.gbt37243 import declared_distances

    units = ctx.units[ctx.units["enterprise_id"] == enterprise_id]
    inv = ctx.inventory[ctx.inventory["unit_id"].isin(units.index)]
    units = units[units.index.isin(set(inv["unit_id"]))]
    if not len(units):
        raise InvalidInput(f"{enterprise_id}: no hazard unit holding an inventory: nothing to place in {park_id}")
    site = ctx.enterprises.geometry.get(enterprise_id) if enterprise_id in ctx.enterprises.index else None
    new_site, new_units, _, _ = placement(site, list(units.geometry.values), park_geom)
    spec = []
    for (uid, u), geom in zip(units.iterrows(), new_units, strict=True):
        rows = []
        for r in inv[inv["unit_id"] == uid].to_dict("records"):
            row = {f: _clean(r.get(f)) for f in _INVENTORY_FIELDS}
            for f in ("table1_seq", "vessel_count"):
                if row[f] is not None:
                    row[f] = int(row[f])
            row["max_quantity_t"] = float(row["max_quantity_t"])
            rows.append(row)
        declared = {c: float(v) for c, v in declared_distances(u.to_dict()).items() if v is not None}
        spec.append({"geometry": geom, "unit_type": str(u["unit_type"]),
                     "unit": {f: _clean(u.get(f)) for f in _UNIT_FIELDS}, "inventory": rows, "declared": declared})
    name = str(ctx.enterprises.loc[enterprise_id, "name"]) if enterprise_id in ctx.enterprises.index \
        else enterprise_id
    return SiteRequest("project", new_site if new_site is not None else spec[0]["geometry"],
                       f"{name} → {park_id}", unit_type=spec[0]["unit_type"], unit=spec[0]["unit"],
                       inventory=spec[0]["inventory"], declared_distances_m=spec[0]["declared"],
                       replaces=enterprise_id, units=spec)


def site_checker(url: str, *, yellow: float = 3e-7, data_dir: Path | None = None, cell_m: float = 25.0
                 ) -> Callable[[str, str], Any]:
    """(firm id, park id) → :class:`geo_risk.analysis.relocation.SiteCheck`: the siting check of the
    firm's stored units and inventory placed in the park (module docstring), cached per store state.

    ``people_ir`` counts the people of every target and home (each whole, at its representative
    point, as the plan's benefit counts them) where the firm's QRA at the new site gives IR ≥
    ``yellow`` (per year)."""
    from geo_risk.siting_check import load_context

    return checker_for(load_context(url, data_dir=data_dir), yellow=yellow, cell_m=cell_m)


def checker_for(ctx: Any, *, yellow: float = 3e-7, cell_m: float = 25.0) -> Callable[[str, str], Any]:
    """:func:`site_checker` on a loaded :class:`geo_risk.siting_check.SiteContext` (the store's, or one
    built by hand in a test)."""
    import numpy as np
    import shapely

    from geo_risk.analyse import grid_box
    from geo_risk.analysis.ir_field import sample_points
    from geo_risk.analysis.relocation import SiteCheck
    from geo_risk.siting_check import run_project

    parks = {p.id: p.boundary for p in ctx.parks}
    tg = ctx.targets
    pts = shapely.point_on_surface(np.asarray(tg.geometry.values, dtype=object))
    tx, ty = shapely.get_x(pts), shapely.get_y(pts)
    pop = pd.to_numeric(tg["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    pop_of = pd.Series(pop, index=tg.index.astype(str))

    def check(enterprise_id: str, park_id: str) -> SiteCheck:
        key = (ctx.key, enterprise_id, park_id, float(cell_m), float(yellow))
        with _CHECK_LOCK:
            hit = _CHECKS.get(key)
        if hit is not None:
            return hit
        t0 = time.perf_counter()
        req = firm_request(ctx, enterprise_id, park_id, parks[park_id])
        verdict, extras = run_project(ctx, req, cell_m=cell_m, keep_grid=True)
        reasons = verdict.reasons
        r4 = {str(r.evidence.get("target_id")) for r in reasons if r.rule == "R4-ir"}
        r3 = {str(r.evidence.get("target_id")) for r in reasons if r.rule == "R3-distance"}
        grid = extras.get("ir_grid")
        if grid is not None:  # kept per (firm, park) for the benefit: float32 as a stored grid (half the memory)
            grid = dataclasses.replace(grid, array=np.asarray(grid.array, dtype=np.float32),
                                       scope_id=f"{enterprise_id}@{park_id}", enterprise_ids=(enterprise_id,))
        people_ir, targets_ir = math.nan, 0
        if grid is not None:
            x0, y0, x1, y1 = grid_box(grid)
            near = (tx >= x0) & (tx <= x1) & (ty >= y0) & (ty <= y1)
            ir = sample_points(grid, tx[near], ty[near]) if near.any() else np.zeros(0)
            hot = ir >= yellow
            people_ir, targets_ir = float(pop[near][hot].sum()), int(hot.sum())
        out = SiteCheck(
            verdict=verdict.code, veto=verdict.veto, rules=tuple(sorted({r.rule for r in reasons})),
            advisories=tuple(sorted({r.rule for r in reasons if r.kind != "veto" and r.rule != "R1-gb18218"})),
            people_ir=people_ir, targets_ir=targets_ir,
            people_above_criterion=float(pop_of.reindex(sorted(r4)).fillna(0.0).sum()),
            targets_above_criterion=len(r4), targets_inside_distance=len(r3), method=str(extras.get("method")),
            grid=grid, seconds=time.perf_counter() - t0)
        with _CHECK_LOCK:
            for k in [k for k in _CHECKS if k[0] != ctx.key]:
                del _CHECKS[k]
            _CHECKS[key] = out
        return out

    return check


# -- the receiving parks' F-N ----------------------------------------------------------------------------------

#: Keys of a park row derived from inventories (the F-N): only for analysts and above.
RESTRICTED_PARK_KEYS = ("fn_before", "fn_after", "fn_region_before", "fn_region_after", "fn_members_before",
                        "fn_members_after", "fn_max_n_before", "fn_max_n_after", "fn_changes")


def fn_at(n: Any, f: Any, x: Any) -> Any:
    """F(≥ x) per year of an F-N curve given as points (n ascending, f the frequency of ≥ n deaths); 0
    beyond the largest n (no event kills that many)."""
    import numpy as np

    n, f, x = np.asarray(n, float), np.asarray(f, float), np.atleast_1d(np.asarray(x, float))
    if not len(n):
        return np.zeros(x.shape)
    idx = np.searchsorted(n, x, side="left")
    return np.where(idx < len(n), f[np.minimum(idx, len(n) - 1)], 0.0)


def _qra_members(table: pd.DataFrame, enterprises: pd.DataFrame, park_id: str) -> tuple[list[str], str]:
    """The park's enterprises whose QRA the park run sums (as ``geo-risk risk --park``), and the criteria."""
    ents = table[(table["level"] == "enterprise") & table["assessed"]].set_index("enterprise_id")
    units = table[(table["level"] == "unit") & table["assessed"] & (table["method"] == "qra")]
    inside = set(enterprises.index[enterprises["park_id"] == park_id])
    members = sorted(e for e in ents.index if e in inside and e in set(units["enterprise_id"]))
    crit = "new" if members and all(ents.loc[e, "criteria"] == "new" for e in members) else "existing"
    return members, crit


def receiving_park_fn(url: str, plan: Any, *, data_dir: Path | None = None, settings: Any = None) -> None:
    """The F-N before and after the plan of every park it touches — a park receiving a firm, and a park a
    member leaves (moved or closed) or cuts its inventory in (an upgrade) — by the risk engine on the fly.

    Before: :func:`geo_risk.risk.run.assess_scope` over the park's stored QRA enterprises (as ``geo-risk
    risk --park`` sums them). After: the same with the plan's outcomes applied by
    :func:`geo_risk.analysis.scenario_diff.apply_changes` (relocated firms ``move_to_park``: the
    placement the siting check used; closed firms ``remove_enterprise``; upgraded firms
    ``cut_inventory`` by their share), on the same CRS, cell and populated places. Settings: the stored
    park run's, else those of any stored enterprise run (the scenarios' rule), else the service's. The
    rows of ``plan.parks`` gain the curves, their GB 36894 regions and members (RESTRICTED: F-N derives
    from inventories) and each relocation case's ``fn_note`` the regions as a restricted span."""
    from geo_risk.disclosure import restricted
    from geo_risk.scenarios import load_base

    cases = plan.cases
    if not len(cases):
        return
    moves = cases[cases["outcome"] == "relocate_to_park"]
    closed = list(cases.loc[cases["outcome"] == "close_exit", "enterprise_id"])
    share = pd.to_numeric(cases.get("upgrade_share"), errors="coerce")
    up = cases[(cases["outcome"] == "in_situ_upgrade") & (share < 1)]
    cuts = dict(zip(up["enterprise_id"], pd.to_numeric(up["upgrade_share"]), strict=True))
    rows = park_fn_rows(load_base(url, data_dir=data_dir), dict(zip(moves["enterprise_id"], moves["park_id"],
                                                                     strict=True)), settings, closed=closed, cuts=cuts)
    if len(plan.parks):
        for key in (*RESTRICTED_PARK_KEYS, "fn_basis"):
            old = plan.parks[key] if key in plan.parks.columns else pd.Series(None, index=plan.parks.index)
            plan.parks[key] = [rows[p][key] if p in rows else o for p, o in zip(plan.parks["park_id"], old,
                                                                                  strict=True)]
    fn_notes = []
    for _, c in plan.cases.iterrows():
        text = str(c["fn_note"])
        r = rows.get(c["park_id"]) if isinstance(c["park_id"], str) else None
        if r is not None:
            text += "; " + restricted(
                f"receiving park {c['park_id']}'s F-N (recomputed): {r['fn_region_before']} → {r['fn_region_after']} "
                f"(largest N {r['fn_max_n_before']:.0f} → {r['fn_max_n_after']:.0f})",
                f"receiving park {c['park_id']}'s F-N recomputed (analyst view)")
        fn_notes.append(text)
    plan.cases["fn_note"] = fn_notes


def park_fn_rows(base: Any, moves: dict[str, str], settings: Any = None, *, risk_settings: Any = None,
                 closed: Sequence[str] = (), cuts: dict[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """park id → its F-N before and after ``moves`` (firm id → park id), ``closed`` firms and ``cuts``
    (firm id → the share of its inventory kept) on a :class:`geo_risk.scenarios.Base` (the store's, or
    one built by hand), for every park they touch: see :func:`receiving_park_fn`. ``risk_settings`` (a
    :class:`geo_risk.risk.run.RiskSettings`) overrides the stored runs' settings."""
    import numpy as np

    from geo_risk.analysis.methods import method_rows
    from geo_risk.analysis.scenario_diff import Change, CityFrames, apply_changes
    from geo_risk.risk.run import assess_scope
    from geo_risk.risk.societal import fn_region
    from geo_risk.scenarios import _scope, settings_of_run

    cuts = dict(cuts or {})
    d = base.data
    ents = d["enterprises"]
    before = CityFrames(ents, d["units"], d["inventory"], d["residential"], d["targets"], base.parks)
    changes = [Change(k, "move_to_park", {"enterprise_id": str(e), "park_id": str(p)})
               for k, (e, p) in enumerate(moves.items())]
    changes += [Change(len(changes) + k, "remove_enterprise", {"enterprise_id": str(e)})
                for k, e in enumerate(closed) if e in ents.index]
    changes += [Change(len(changes) + k, "cut_inventory", {"enterprise_id": str(e), "share": float(v)})
                for k, (e, v) in enumerate(cuts.items()) if e in ents.index]
    after = apply_changes(before, changes).frames

    def park_of(e: str) -> str | None:
        p = ents["park_id"].get(e) if e in ents.index else None
        return p if isinstance(p, str) else None

    what: dict[str, list[str]] = {}
    for e, p in moves.items():
        what.setdefault(p, []).append(f"+{e}")
        if park_of(e):
            what.setdefault(park_of(e), []).append(f"-{e} (moved out)")
    for e in closed:
        if park_of(e):
            what.setdefault(park_of(e), []).append(f"-{e} (closed)")
    for e, v in cuts.items():
        if park_of(e):
            what.setdefault(park_of(e), []).append(f"{e} cut to {v:.1%}")
    cols_u = ["enterprise_id", "name", "unit_type", "equipment", "fire_class"]
    cols_i = ["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq", "hazard_categories", "state"]
    rows: dict[str, dict[str, Any]] = {}
    for pid in sorted(what):
        run = base.runs.get(("park", pid)) or next((r for k, r in base.runs.items() if k[0] == "enterprise"), None)
        if risk_settings is not None:
            rs = risk_settings
        elif run is not None:
            rs = settings_of_run(run["assumptions"])
        else:
            from geo_risk.risk_runs import risk_settings as service_risk_settings

            rs = service_risk_settings(settings)
        curves, members, crs = {}, {}, None
        for side, frames in (("before", before), ("after", after)):
            # the park as stored is the same for every plan on this store state; after, for the same moves in
            key = (base.key, pid, repr(rs), side, tuple(sorted(what[pid])) if side == "after" else ())
            with _CHECK_LOCK:
                hit = _PARK_FN.get(key)
            if hit is not None:
                curves[side], members[side], crs = hit
                continue
            inside = frames.enterprises.index[frames.enterprises["park_id"] == pid]
            units = frames.units[frames.units["enterprise_id"].isin(inside)]
            inv = frames.inventory[frames.inventory["unit_id"].isin(units.index)]
            table = method_rows(frames.enterprises.loc[inside, ["name", "status"]], units[cols_u], inv[cols_i]) \
                if len(units) else pd.DataFrame()
            m, crit = _qra_members(table, frames.enterprises, pid) if len(table) else ([], "existing")
            members[side] = m
            if not m:
                curves[side] = (np.zeros(0), np.zeros(0))
                continue
            result = assess_scope(_scope(base, frames, "park", pid, m, crit, rs.cell_m, None, crs=crs), rs)
            crs = crs or result.crs  # after on the before side's CRS: one lattice, one set of places
            curves[side] = (np.asarray(result.fn_n, float), np.asarray(result.fn_f, float))
            with _CHECK_LOCK:
                for k in [k for k in _PARK_FN if k[0] != base.key]:
                    del _PARK_FN[k]
                _PARK_FN[key] = (curves[side], m, crs)
        (nb, fb), (na, fa) = curves["before"], curves["after"]
        region_b = fn_region(nb, fb)["region"] if len(nb) or members["before"] else None
        region_a = fn_region(na, fa)["region"] if len(na) or members["after"] else None
        rows[pid] = {"fn_before": {"n": nb.tolist(), "f": fb.tolist()},
                     "fn_after": {"n": na.tolist(), "f": fa.tolist()},
                     "fn_region_before": region_b, "fn_region_after": region_a,
                     "fn_members_before": len(members["before"]), "fn_members_after": len(members["after"]),
                     "fn_max_n_before": float(nb.max()) if len(nb) else 0.0,
                     "fn_max_n_after": float(na.max()) if len(na) else 0.0,
                     "fn_changes": ", ".join(what[pid]),
                     "fn_basis": ("computed now by the risk engine: the park's stored QRA enterprises, then with the "
                                  "plan's outcomes applied (firms moved in or out, closed, cut; the stored run's "
                                  "settings; restricted)")}
    return rows


def _fn_before(url: str, plan: Any) -> None:
    """Add the stored F-N region (before) of each case's enterprise to its ``fn_note`` (a restricted span:
    F-N derives from inventories); the receiving parks' are computed by :func:`receiving_park_fn`."""
    from geo_risk.disclosure import restricted
    from geo_risk.store.relocation import fn_regions

    regions = fn_regions(url)
    if len(plan.cases):
        notes = []
        for _, c in plan.cases.iterrows():
            own = regions.get(("enterprise", c["enterprise_id"]))
            text = (f"F-N before: {restricted(own, 'stored (analyst view)')}" if own else "F-N before: no stored QRA")
            notes.append(text + "; " + str(c["fn_note"]))
        plan.cases["fn_note"] = notes
    if len(plan.parks):
        plan.parks["fn_region_before"] = [regions.get(("park", p), None) for p in plan.parks["park_id"]]
        plan.parks["fn_basis"] = [("stored park QRA run" if ("park", p) in regions else None)
                                  for p in plan.parks["park_id"]]


def run_relocation_plan(url: str, progress: Progress | None = None, *, settings: Any = None,
                        data_dir: Path | None = None) -> tuple[Any, int]:
    """Compute the plan from the store and store it (replacing the previous one); return (plan, run id)."""
    from geo_risk.store.conflicts import current_basis
    from geo_risk.store.relocation import save_plan
    from geo_risk.store.results import inputs_version

    started = time.perf_counter()
    version, basis = inputs_version(url), current_basis(url)
    plan = compute_plan(url, progress, settings=settings, data_dir=data_dir)
    run_id = save_plan(url, plan, inputs_version=version, basis=basis, seconds=time.perf_counter() - started)
    return plan, run_id


def public_cases(cases: pd.DataFrame, tier: str) -> pd.DataFrame:
    """The cases for a reader of ``tier``: below analyst, the quantity-derived columns are dropped and
    the reason is rendered for the public tier."""
    from geo_risk.disclosure import disclose
    from geo_risk.store.relocation import RESTRICTED_CASE_COLUMNS

    out = cases.copy()
    for col in ("reason", "fn_note"):
        if col in out.columns:
            out[col] = [disclose(str(r), tier) if isinstance(r, str) else None for r in out[col]]
    if tier != "restricted":
        out = out.drop(columns=[c for c in RESTRICTED_CASE_COLUMNS if c in out.columns])
    return out.drop(columns=[c for c in ("reason_public",) if c in out.columns])


def summary_lines(plan: Any) -> list[str]:
    """The plan's summary table for the operator (who holds the database: every figure): people per IR
    band before → after, each siting check at a new site, each receiving park's F-N before → after."""
    lines = []
    bands = (plan.benefit or {}).get("ir_bands") or {}
    if bands:
        lines.append("people per IR band (before → after): " + ", ".join(
            f"{k} {v['before']:,.0f} → {v['after']:,.0f}" for k, v in bands.items()))
    for r in plan.site_checks.to_dict("records") if len(plan.site_checks) else []:
        people = "no QRA" if r["people_ir"] is None else f"{r['people_ir']:,.0f} people at IR ≥ 3e-7/a"
        lines.append(f"new site {r['enterprise_id']} → {r['park_id']}: {r['verdict']} ({r['rules'] or '—'}), "
                     f"{people}, {r['seconds']:.1f} s" + (" [chosen]" if r["chosen"] else ""))
    for p in plan.parks.to_dict("records") if len(plan.parks) else []:
        if p.get("fn_members_after") is None:
            continue
        lines.append(f"park {p['park_id']} F-N (engine, now): {p['fn_region_before']} → {p['fn_region_after']}; "
                     f"largest N {p['fn_max_n_before']:,.0f} → {p['fn_max_n_after']:,.0f}; QRA members "
                     f"{p['fn_members_before']} → {p['fn_members_after']} ({p.get('fn_changes')})")
    s = plan.solver or {}
    if "site_checks" in s:
        lines.append(f"timings: {s['site_checks']} siting check(s) at new sites in {s['site_check_seconds']:.1f} s"
                     + (f", the touched parks' F-N in {s['park_fn_seconds']:.1f} s" if "park_fn_seconds" in s else ""))
    return lines


def public_parks(parks: list[dict[str, Any]], tier: str) -> list[dict[str, Any]]:
    """The parks' rows for a reader of ``tier``: below analyst the F-N keys (:data:`RESTRICTED_PARK_KEYS`)
    are null and listed under ``withheld``."""
    if tier == "restricted":
        return [dict(p) for p in parks]
    out = []
    for p in parks:
        row = {k: (None if k in RESTRICTED_PARK_KEYS else v) for k, v in p.items()}
        row["withheld"] = [k for k in RESTRICTED_PARK_KEYS if p.get(k) is not None]
        out.append(row)
    return out


def export_plan(plan: Any, out: Path, *, tier: str = "restricted") -> Path:
    """Write the plan: GeoPackage (layers ``relocation_cases`` and ``relocation_parks``), CSV (the cases,
    geometry as WKT), xlsx (sheets cases, parks, park_fn, site_checks, benefit, settings) or PNG (the
    F-N before, dashed, and after, solid, of every park the plan touches, with the GB 36894 lines:
    restricted, like the curves). ``tier``: who reads the file (the CLI's operator holds the database:
    restricted)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise InvalidInput(f"relocation plan output {out.name!r}: give a path ending in {', '.join(EXPORT_FORMATS)}")
    if suffix == ".png":
        return _plot_park_fn(plan, out, tier)
    cases = public_cases(plan.cases, tier)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gpkg":
        if out.exists():
            out.unlink()
        gpd.GeoDataFrame(cases, geometry="geometry", crs=4326).to_file(out, layer="relocation_cases", driver="GPKG")
        if len(plan.parks):
            frame = pd.DataFrame(public_parks(plan.parks.to_dict("records"), tier))
            for k in ("fn_before", "fn_after", "withheld"):  # lists and objects as text in a GeoPackage
                if k in frame.columns:
                    frame[k] = [None if v is None else json.dumps(v) for v in frame[k]]
            parks = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=4326))
            parks.to_file(out, layer="relocation_parks", driver="GPKG")
    elif suffix == ".csv":
        frame = pd.DataFrame(cases.drop(columns="geometry"))
        frame["wkt"] = cases.geometry.to_wkt()
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        with pd.ExcelWriter(out) as xw:
            frame = pd.DataFrame(cases.drop(columns="geometry"))
            frame["wkt"] = cases.geometry.to_wkt()
            frame.to_excel(xw, sheet_name="cases", index=False)
            parks = pd.DataFrame(public_parks(plan.parks.to_dict("records"), tier)) if len(plan.parks) \
                else pd.DataFrame()
            curves = []  # the F-N curves in their own sheet, a row per point (a cell holds 32,767 characters)
            for rec in parks.to_dict("records"):
                for side in ("before", "after"):
                    fn = rec.get(f"fn_{side}")
                    if isinstance(fn, dict):
                        curves += [{"park_id": rec["park_id"], "side": side, "n_deaths": n, "f_per_year": f}
                                   for n, f in zip(fn["n"], fn["f"], strict=True)]
            parks = parks.drop(columns=[k for k in ("fn_before", "fn_after") if k in parks.columns])
            if "withheld" in parks.columns:
                parks["withheld"] = [", ".join(v) if isinstance(v, list) else v for v in parks["withheld"]]
            parks.to_excel(xw, sheet_name="parks", index=False)
            if curves:
                pd.DataFrame(curves).to_excel(xw, sheet_name="park_fn", index=False)
            if len(plan.site_checks):
                plan.site_checks.to_excel(xw, sheet_name="site_checks", index=False)
            pd.DataFrame(_flat(plan.benefit), columns=["item", "value"]).to_excel(xw, sheet_name="benefit",
                                                                                  index=False)
            pd.DataFrame(_flat({k: v for k, v in plan.settings.items()}), columns=["setting", "value"]).to_excel(
                xw, sheet_name="settings", index=False)
    return out


def _plot_park_fn(plan: Any, out: Path, tier: str) -> Path:
    """The touched parks' F-N before and after on one plot
    (:func:`geo_risk.analysis.scenario_diff.plot_fn_before_after`)."""
    import numpy as np

    from geo_risk.analysis.scenario_diff import plot_fn_before_after

    if tier != "restricted":
        raise InvalidInput("the parks' F-N curves derive from inventories: the plot is for analysts (restricted)")
    curves = {}
    for p in plan.parks.to_dict("records") if len(plan.parks) else []:
        b, a = p.get("fn_before"), p.get("fn_after")
        if isinstance(b, dict) and isinstance(a, dict):
            label = (f"{p.get('park_name') or p['park_id']} ({p['park_id']}): {p['fn_region_before']} → "
                     f"{p['fn_region_after']}")
            curves[label] = ((np.asarray(b["n"], float), np.asarray(b["f"], float)),
                             (np.asarray(a["n"], float), np.asarray(a["f"], float)))
    if not curves:
        raise InvalidInput("the plan touches no park's F-N (no firm moved into or out of a park, closed or cut in "
                           "one), or it was not computed (GEO_RISK_RELOCATION_PARK_FN=false): no plot to write")
    out.parent.mkdir(parents=True, exist_ok=True)
    return plot_fn_before_after(curves, out, "搬迁方案：园区 F-N 曲线前后 / relocation plan: parks' F-N before and "
                                "after", "F-N computed now by the risk engine, the stored runs' settings")


def _flat(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _flat(v, key + ".")
        else:
            rows.append((key, v if isinstance(v, int | float | str | bool) or v is None else str(v)))
    return rows
