"""Run the spatial analyses on the store: each stale one is recomputed and stored (``geo-risk analyse``).

The I/O edge around the pure analyses of :mod:`geo_risk.analysis`. :data:`STEPS` lists them in
order; an analysis is added with one line::

    STEPS.append(AnalysisStep("clusters", "联防联控集群 / joint-prevention clusters", clusters_current, run_clusters))

where ``is_current(url) -> bool`` says whether its stored result is still current and
``run(url, progress) -> str`` recomputes and stores it, returning a one-line summary (settings
used included). :func:`analyse` runs every stale step (or the ones named, or all with ``force``),
reporting progress as ``progress(what, done, total)``.

Proximity conflicts (:func:`run_conflicts`) read:

- the targets, units and enterprises of the store;
- the current GB/T 37243 external distances stored by ``geo-risk risk``; a unit without them gets
  its declared distances (from the unit) and its design-code distances
  (:func:`geo_risk.analysis.methods.method_rows`), and no computed external distance (said in
  the notes) — so conflicts work at demo start-up without a QRA;
- the current IR grids (:mod:`geo_risk.store.ir_grids`), when QRA runs exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AnalysisStep", "StepOutcome", "STEPS", "analyse", "run_conflicts", "conflict_settings",
           "export_conflicts", "conflict_distances"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AnalysisStep:
    """One analysis: its name, a bilingual title, whether its stored result is current, how to run it."""

    name: str
    title: str
    is_current: Callable[[str], bool]
    run: Callable[[str, Progress | None], str]


@dataclass
class StepOutcome:
    """What :func:`analyse` did with one step: ``ran`` (and its summary and seconds) or skipped as current."""

    name: str
    ran: bool
    summary: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def conflict_settings(settings: Any = None):  # noqa: ANN201 - a ConflictSettings
    """The conflict analysis settings from the service settings (``GEO_RISK_CONFLICTS_*``)."""
    from geo_risk.analysis.conflicts import ConflictSettings
    from geo_risk.settings import get_settings

    s = settings or get_settings()
    return ConflictSettings(shortfall_bands=tuple(s.conflicts_shortfall_bands), cumulative=s.conflicts_cumulative)


def conflict_distances(url: str, units: pd.DataFrame, enterprises: pd.DataFrame, stored: pd.DataFrame
                       ) -> tuple[pd.DataFrame, list[str]]:
    """Required distances per unit and class: the stored current ones, and for units without them
    the declared distances (from the unit) and design-code distances; with notes saying how many.

    Design-code distances come from :func:`geo_risk.standards.gbt37243.code_distances`. Only a
    pressurised or refrigerated store (the liquefied-hydrocarbon test) and a warehouse or cylinder
    store (class 甲 storage items and tonnes) depend on the inventory; every other unit's distances
    depend on its type, equipment and fire class alone and are computed once per combination.
    """
    from geo_risk.analysis.methods import INVENTORY_COLUMNS
    from geo_risk.standards.gb36894 import TARGET_CLASSES
    from geo_risk.standards.gbt37243 import code_distances
    from geo_risk.store.read import read_table

    notes: list[str] = []
    have = set(stored["unit_id"]) if len(stored) else set()
    assessed = enterprises.index[enterprises["status"].isin(["operating", "suspended", "planned"])]
    units = units[units["enterprise_id"].isin(assessed)]  # closed plants are left out of the analysis
    missing = units.index[~units.index.isin(list(have))]
    if len(missing) == 0:
        return stored, notes
    notes.append(f"{len(missing)} of {len(units)} unit(s) have no current GB/T 37243 external distances stored "
                 "(run `geo-risk risk --all`): for them only the declared and design-code distances are checked")
    u = units.loc[missing]
    by_inventory = u["equipment"].isin(["pressure_vessel", "refrigerated_tank", "warehouse", "cylinder_store"])
    inv_by_unit: dict[str, list[dict]] = {}
    if by_inventory.any():
        inv = read_table(url, "inventory", INVENTORY_COLUMNS, index=False,
                         where_in=("unit_id", list(u.index[by_inventory])))
        for rec in inv.to_dict("records"):
            inv_by_unit.setdefault(str(rec["unit_id"]), []).append(rec)
    cache: dict[tuple, dict[str, float | None]] = {}
    code = np.full((len(u), len(TARGET_CLASSES)), np.nan)
    keys = u[["unit_type", "equipment", "fire_class"]].astype(object).where(u[["unit_type", "equipment",
                                                                              "fire_class"]].notna(), None)
    for k, (uid, key, per_inv) in enumerate(zip(u.index, keys.itertuples(index=False, name=None), by_inventory,
                                               strict=True)):
        unit = dict(zip(("unit_type", "equipment", "fire_class"), key, strict=True))
        if per_inv:
            dist = code_distances({**unit, "id": uid}, inv_by_unit.get(str(uid), [])).distance_m
        else:
            if key not in cache:
                cache[key] = dict(code_distances(unit).distance_m)
            dist = cache[key]
        code[k] = [np.nan if dist.get(c) is None else float(dist[c]) for c in TARGET_CLASSES]
    single = pd.to_numeric(u["safety_distance_m"], errors="coerce").to_numpy(dtype=float)
    frames = []
    for j, cls in enumerate(TARGET_CLASSES):
        own = pd.to_numeric(u[f"safety_distance_{cls}_m"], errors="coerce").to_numpy(dtype=float)
        frames.append(pd.DataFrame({"unit_id": u.index.to_numpy(), "target_class": cls, "method": None,
                                    "final_distance_m": np.nan,
                                    "declared_distance_m": np.where(np.isnan(own), single, own),
                                    "code_distance_m": code[:, j]}))
    extra = pd.concat(frames, ignore_index=True)
    return (pd.concat([stored, extra], ignore_index=True) if len(stored) else extra), notes


def required_reach(distances: pd.DataFrame) -> pd.Series:
    """Unit id → the largest distance (m) any rule requires of it (NaN-free; units with none left out)."""
    cols = [c for c in ("final_distance_m", "declared_distance_m", "code_distance_m") if c in distances.columns]
    reach = distances[cols].apply(pd.to_numeric, errors="coerce").max(axis=1)
    return reach.groupby(distances["unit_id"]).max().dropna()


def grid_box(grid: Any) -> tuple[float, float, float, float]:
    """A grid's extent as a lon/lat box (EPSG:4326), densified so the box holds the whole grid."""
    import pyproj

    return pyproj.Transformer.from_crs(grid.crs, 4326, always_xy=True).transform_bounds(*grid.bounds, densify_pts=21)


def run_conflicts(url: str, progress: Progress | None = None, *, settings: Any = None,
                  data_dir: Path | None = None) -> str:
    """Compute the proximity conflicts from the store and store them; return the summary."""
    from geo_risk.analysis.conflicts import find_conflicts
    from geo_risk.store import conflicts as store
    from geo_risk.store.ir_grids import read_grids
    from geo_risk.store.results import inputs_version

    started = time.perf_counter()
    if progress:
        progress("conflicts: reading", 0, 3)
    version = inputs_version(url)
    basis = store.current_basis(url)
    data = store.read_inputs(url, targets=False)
    distances, notes = conflict_distances(url, data["units"], data["enterprises"], data["distances"])
    grids = read_grids(url, data_dir=data_dir)
    data["targets"] = store.read_targets(url, required_reach(distances), [grid_box(g) for g in grids])
    if progress:
        progress("conflicts: analysing", 1, 3)
    result = find_conflicts(data["targets"], data["units"], data["enterprises"], distances, grids,
                            data["admin_areas"], conflict_settings(settings))
    result.notes[:0] = notes
    if data["admin_areas"] is None:
        result.notes.append("no administrative areas table: totals per administrative area skipped")
    if progress:
        progress("conflicts: storing", 2, 3)
    seconds = time.perf_counter() - started
    store.save_conflicts(url, result, inputs_version=version, basis=basis, grids=len(grids), seconds=seconds)
    if progress:
        progress("conflicts", 3, 3)
    bands = result.settings["shortfall_bands"]
    return (f"{result.summary()}; IR grids read: {len(grids)}; colours (CHOICE): shortfall share ≥ {bands[0]:g} red, "
            f"≥ {bands[1]:g} orange, ≥ {bands[2]:g} yellow, else blue; IR conflicts by the IR bands "
            f"{result.settings['ir_bands_per_year']}" + "".join(f"\n  note: {n}" for n in result.notes))


def _conflicts_current(url: str) -> bool:
    from geo_risk.store.conflicts import conflicts_are_current

    return conflicts_are_current(url)


#: The analyses, in order. Others append theirs (one line each; see the module docstring).
STEPS: list[AnalysisStep] = [
    AnalysisStep("conflicts", "邻近冲突 / proximity conflicts", _conflicts_current, run_conflicts),
]
from geo_risk.cluster_runs import clusters_current, run_clusters  # noqa: E402  (the clusters step)

STEPS.append(AnalysisStep("clusters", "联防联控集群 / joint-prevention clusters", clusters_current, run_clusters))
STEPS.append(AnalysisStep(  # geo_risk.zoning_run, imported at the end of this module
    "zoning", "四色分区与风险热力图 / four-colour zoning and risk heatmap",
    lambda url: zoning_run.zoning_current(url), lambda url, progress=None: zoning_run.run_zoning(url, progress)))


def analyse(url: str, *, only: list[str] | None = None, force: bool = False,
            progress: Progress | None = None) -> list[StepOutcome]:
    """Run every stale analysis of :data:`STEPS` (only those named in ``only``; all with ``force``).

    Raises
    ------
    geo_risk.errors.InvalidInput
        An unknown analysis name (the message lists the valid ones).
    """
    from geo_risk.errors import InvalidInput

    names = [s.name for s in STEPS]
    unknown = sorted(set(only or ()) - set(names))
    if unknown:
        raise InvalidInput(f"unknown analysis {', '.join(unknown)}; analyses: {', '.join(names)}")
    steps = [s for s in STEPS if not only or s.name in only]
    out: list[StepOutcome] = []
    for k, step in enumerate(steps):
        if progress:
            progress(step.name, k, len(steps))
        if not force and step.is_current(url):
            out.append(StepOutcome(step.name, ran=False, summary="current: nothing to do"))
            continue
        started = time.perf_counter()
        summary = step.run(url, progress)
        out.append(StepOutcome(step.name, ran=True, summary=summary, seconds=time.perf_counter() - started))
    if progress:
        progress("done", len(steps), len(steps))
    return out


CONFLICT_SUFFIXES = (".gpkg", ".csv", ".xlsx")


def export_conflicts(url: str, out: Path, *, enterprise_id: str | None = None, park_id: str | None = None
                     ) -> list[Path]:
    """Write the stored conflicts (all, one enterprise's or one park's) to ``out``: .gpkg (layers
    ``conflicts`` lines, ``conflict_targets``, the totals and ``settings`` as tables), .csv (the
    conflicts, line as WKT, beside a ``.settings.json``) or .xlsx (sheets conflicts, targets,
    totals, settings, notes). Returns the files written.

    Raises
    ------
    geo_risk.errors.InvalidInput
        Another suffix, or a folder that does not exist.
    geo_risk.errors.NotFound
        No stored analysis, or an unknown enterprise or park.
    """
    import json

    import pyogrio

    from geo_risk.errors import InvalidInput, NotFound
    from geo_risk.store import conflicts as store

    out = Path(out)
    if out.suffix.lower() not in CONFLICT_SUFFIXES:
        raise InvalidInput(f"--out {out.name}: use a path ending in {', '.join(CONFLICT_SUFFIXES)} "
                           "(e.g. conflicts.gpkg)")
    if not out.parent.exists():
        raise InvalidInput(f"--out {out}: the folder {out.parent} does not exist")
    run = store.latest_run(url)
    if run is None:
        raise NotFound("no stored conflict analysis: run `geo-risk analyse` first")
    data = store.read_inputs(url) if (enterprise_id or park_id) else None
    if enterprise_id and enterprise_id not in data["enterprises"].index:
        raise NotFound(f"no enterprise {enterprise_id!r}")
    if park_id and park_id not in set(data["enterprises"]["park_id"].dropna()):
        raise NotFound(f"no enterprise lies in park {park_id!r} (or no such park)")
    conflicts = store.conflicts_frame(url, enterprise_id=enterprise_id, park_id=park_id)
    targets = store.targets_frame(url, sorted(set(conflicts["target_id"])) if (enterprise_id or park_id) else None)
    totals = {}
    for level, rows in (run["totals"] or {}).items():
        frame = pd.DataFrame(rows)
        if enterprise_id and len(frame) and level == "enterprise":
            frame = frame[frame["enterprise_id"] == enterprise_id]
        elif park_id and len(frame) and level == "park":
            frame = frame[frame["park_id"] == park_id]
        elif (enterprise_id or park_id) and level != ("enterprise" if enterprise_id else "park"):
            continue  # other levels' totals count other plants too
        totals[level] = frame
    settings_rows = pd.DataFrame([
        {"key": "computed_at", "value": str(run["computed_at"])},
        {"key": "current", "value": str(bool(run["current"]))},
        {"key": "inputs_version", "value": str(run["inputs_version"])},
        *({"key": k, "value": json.dumps(v, ensure_ascii=False)} for k, v in run["settings"].items()),
    ])
    notes = pd.DataFrame({"note": list(run["notes"] or [])})
    suffix = out.suffix.lower()
    if out.exists():
        out.unlink()
    if suffix == ".gpkg":
        lines = conflicts[conflicts.geometry.notna()]
        pyogrio.write_dataframe(lines, out, layer="conflicts")
        cumulative = pd.DataFrame(conflicts[conflicts.geometry.isna()].drop(columns="geometry"))
        if len(cumulative):
            pyogrio.write_dataframe(cumulative, out, layer="conflicts_cumulative", append=True)
        if len(targets):
            pyogrio.write_dataframe(targets, out, layer="conflict_targets", append=True)
        for level, frame in totals.items():
            if len(frame):
                pyogrio.write_dataframe(frame, out, layer=f"totals_{level}", append=True)
        pyogrio.write_dataframe(settings_rows, out, layer="settings", append=True)
        return [out]
    if suffix == ".csv":
        frame = pd.DataFrame(conflicts.drop(columns="geometry"))
        frame["line_wkt"] = conflicts.geometry.to_wkt()
        frame.to_csv(out, index=False, encoding="utf-8-sig")
        side = out.with_suffix(".settings.json")
        side.write_text(json.dumps({"settings": run["settings"], "notes": run["notes"], "totals": run["totals"],
                                    "computed_at": str(run["computed_at"]), "current": bool(run["current"])},
                                   ensure_ascii=False, indent=1), encoding="utf-8")
        return [out, side]
    with pd.ExcelWriter(out, engine="openpyxl") as xl:
        frame = pd.DataFrame(conflicts.drop(columns="geometry"))
        frame.to_excel(xl, sheet_name="conflicts", index=False)
        pd.DataFrame(targets.drop(columns="geometry")).to_excel(xl, sheet_name="targets", index=False)
        for level, t in totals.items():
            t.to_excel(xl, sheet_name=f"totals_{level}"[:31], index=False)
        settings_rows.to_excel(xl, sheet_name="settings", index=False)
        notes.to_excel(xl, sheet_name="notes", index=False)
    return [out]


from geo_risk import zoning_run  # noqa: E402  (the zoning step; imported last: it needs nothing from here)
