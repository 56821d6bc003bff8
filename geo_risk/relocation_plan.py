"""The relocation plan from the store (issue 14): read, analyse, store, export.

The engine is :mod:`geo_risk.analysis.relocation` (pure); the SQL :mod:`geo_risk.store.relocation`.
The conflicts the plan rests on are recomputed here from the same inputs (not read from the stored
conflict analysis, which may be stale), with the stored QRA grids and external distances.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_risk.errors import InvalidInput

__all__ = ["relocation_settings", "compute_plan", "run_relocation_plan", "export_plan", "public_cases",
           "EXPORT_FORMATS"]

Progress = Callable[[str, int, int], None]
EXPORT_FORMATS = (".gpkg", ".csv", ".xlsx")


def relocation_settings(settings: Any = None):  # noqa: ANN201 - a RelocationSettings
    """The plan's settings from the service settings (``GEO_RISK_RELOCATION_*``)."""
    from geo_risk.analysis.relocation import RelocationSettings
    from geo_risk.settings import get_settings

    s = settings or get_settings()
    return RelocationSettings(density_per_km2=s.relocation_density_per_km2, density_ring_m=s.relocation_density_ring_m,
                              near_homes_m=s.relocation_near_homes_m, min_upgrade_share=s.relocation_min_upgrade_share,
                              excluded_grades=tuple(s.relocation_excluded_grades), grade_mode=s.relocation_grade_mode,
                              producers_only=s.relocation_producers_only)


def compute_plan(url: str, progress: Progress | None = None, *, settings: Any = None,
                 data_dir: Path | None = None):  # noqa: ANN201 - a RelocationPlan
    """The plan from the store's current inputs (nothing written)."""
    from geo_risk.analyse import conflict_distances, conflict_settings, grid_box, required_reach
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.analysis.relocation import plan_relocation
    from geo_risk.store import conflicts as cstore
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.relocation import read_relocation_inputs

    rs = relocation_settings(settings)
    if progress:
        progress("relocation: reading", 0, 6)
    data = cstore.read_inputs(url, targets=False)
    distances, notes = conflict_distances(url, data["units"], data["enterprises"], data["distances"])
    grids = read_grids(url, data_dir=data_dir)
    reach = required_reach(distances)
    # the density ring and the 1 km homes test look further than the required distances
    look = pd.Series(rs.near_homes_m + rs.density_ring_m, index=data["units"].index)
    reach = pd.concat([reach, look], axis=1).max(axis=1)
    targets = cstore.read_targets(url, reach, [grid_box(g) for g in grids])
    conflicts = find_conflicts(targets, data["units"], data["enterprises"], distances, grids, data["admin_areas"],
                               conflict_settings(settings))
    inputs = read_relocation_inputs(url)
    residential = targets[targets["layer"] == "residential_areas"]
    plan = plan_relocation(inputs["enterprises"], data["units"], inputs["inventory"], distances, conflicts.conflicts,
                           targets, residential, inputs["parks"], grids, rs, progress)
    plan.notes[:0] = notes + conflicts.notes
    _fn_before(url, plan)
    return plan


def _fn_before(url: str, plan: Any) -> None:
    """Add the stored F-N region (before) of each case's enterprise and receiving park to its ``fn_note``,
    and to the parks' rows; what happens after is said, not recomputed (geo_risk.analysis.relocation)."""
    from geo_risk.store.relocation import fn_regions

    regions = fn_regions(url)
    if len(plan.cases):
        notes = []
        for _, c in plan.cases.iterrows():
            own = regions.get(("enterprise", c["enterprise_id"]), "no stored QRA")
            text = f"F-N before: {own}; " + str(c["fn_note"])
            if isinstance(c["park_id"], str):
                text += f"; receiving park's F-N before: {regions.get(('park', c['park_id']), 'no stored park QRA')}"
            notes.append(text)
        plan.cases["fn_note"] = notes
    if len(plan.parks):
        plan.parks["fn_region_before"] = [regions.get(("park", p), None) for p in plan.parks["park_id"]]


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
    if "reason" in out.columns:
        out["reason"] = [disclose(str(r), tier) if r is not None else None for r in out["reason"]]
    if tier != "restricted":
        out = out.drop(columns=[c for c in RESTRICTED_CASE_COLUMNS if c in out.columns])
    return out.drop(columns=[c for c in ("reason_public",) if c in out.columns])


def export_plan(plan: Any, out: Path, *, tier: str = "restricted") -> Path:
    """Write the plan: GeoPackage (layers ``relocation_cases`` and ``relocation_parks``), CSV (the cases,
    geometry as WKT) or xlsx (sheets cases, parks, benefit, settings). ``tier``: who reads the file (the
    CLI's operator holds the database: restricted)."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise InvalidInput(f"relocation plan output {out.name!r}: give a path ending in {', '.join(EXPORT_FORMATS)}")
    cases = public_cases(plan.cases, tier)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gpkg":
        if out.exists():
            out.unlink()
        gpd.GeoDataFrame(cases, geometry="geometry", crs=4326).to_file(out, layer="relocation_cases", driver="GPKG")
        if len(plan.parks):
            parks = gpd.GeoDataFrame(plan.parks, geometry=gpd.GeoSeries([None] * len(plan.parks), crs=4326))
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
            pd.DataFrame(plan.parks).to_excel(xw, sheet_name="parks", index=False)
            pd.DataFrame(_flat(plan.benefit), columns=["item", "value"]).to_excel(xw, sheet_name="benefit",
                                                                                  index=False)
            pd.DataFrame(_flat({k: v for k, v in plan.settings.items()}), columns=["setting", "value"]).to_excel(
                xw, sheet_name="settings", index=False)
    return out


def _flat(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _flat(v, key + ".")
        else:
            rows.append((key, v if isinstance(v, int | float | str | bool) or v is None else str(v)))
    return rows
