"""Run the risk engine on the store: methods, QRA per enterprise or park, distances; store the results.

The I/O edge around :mod:`geo_risk.risk.run` (the QRA) and :mod:`geo_risk.standards.gbt37243`
(method selection, design-code distances, the floor rule). For each enterprise in scope:

- closed enterprises are left out (GB 36894 has no column for them);
- QRA enterprises (toxic/flammable gases at or above the GB 18218 threshold) are assessed as a
  whole: contours, a COG of the IR grid under ``<data dir>/risk/``, the F-N curve, and one QRA
  distance per protection-target class that applies to every unit of the enterprise;
- explosives: the consequence method (TNT-equivalent blast, Kinney–Graham; the explosive's
  TNT equivalence 1 — UNCONFIRMED) with the GB/T 37243 overpressure thresholds;
- every unit then gets final = max(method distance, design-code distance) per class, compared with
  the distance it declares (``declared_shorter``).
Results carry the store's inputs version; a later write makes them stale until the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput, NotFound
from geo_risk.standards.gb36894 import TARGET_CLASSES

__all__ = ["RiskReport", "run_risk", "risk_settings", "TNT_EQUIVALENCE_OF_EXPLOSIVES"]

#: TNT equivalence of a GB 18218 explosive (kg TNT per kg): UNCONFIRMED — 1 for every explosive
#: until the product's own figure is stored.
TNT_EQUIVALENCE_OF_EXPLOSIVES = 1.0

_UNIT_COLUMNS = (
    "enterprise_id", "name", "unit_type", "equipment", "containment", "fire_class", "special_process",
    "operating_temperature_c", "operating_pressure_mpa", "safety_distance_m", "safety_distance_high_sensitive_m",
    "safety_distance_important_m", "safety_distance_general_1_m", "safety_distance_general_2_m",
    "safety_distance_general_3_m",
)
_INVENTORY_COLUMNS = ("unit_id", "chemical", "cas", "table1_seq", "hazard_categories", "max_quantity_t", "state",
                      "temperature_c", "pressure_mpa", "vessel_count", "vessel_capacity_t")


@dataclass
class RiskReport:
    """What a run did: enterprises per method, QRA runs, problems, where the grids went."""

    methods: dict[str, int] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    distances: int = 0
    declared_shorter: int = 0
    problems: list[str] = field(default_factory=list)
    inputs_version: int = 0
    #: Stated defaults a run took (an enlarged grid cell, equipment or phase from the rules), per scope.
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        methods = ", ".join(f"{k} {v}" for k, v in sorted(self.methods.items()))
        regions = ", ".join(f"{r['scope_id']}: {r['fn_region']}" for r in self.runs[:8])
        more = f" (+{len(self.runs) - 8})" if len(self.runs) > 8 else ""
        return (f"GB/T 37243 methods: {methods}; QRA runs: {len(self.runs)}"
                + (f" [F-N {regions}{more}]" if self.runs else "")
                + f"; distances stored: {self.distances} ({self.declared_shorter} declared shorter than computed)"
                + (f"; {len(self.problems)} problems" if self.problems else ""))


def risk_settings(
    settings: Any = None,
    *,
    cell_m: float = 25.0,
    rose_file: Path | None = None,
    sector_smoothing: str | None = None,
    population_treatment: str | None = None,
    day_fraction: float | None = None,
    flash_fire_indoor_factor: float | None = None,
):
    """The :class:`~geo_risk.risk.run.RiskSettings` of a run: what the caller gave (CLI option or
    API body field) over the ``GEO_RISK_RISK_*`` settings of ``settings`` (default: the process's),
    over the engine's defaults. Raises InvalidInput naming a bad value (the CLI and the API check
    ranges first and name their own parameter)."""
    from geo_risk.risk.run import RiskSettings
    from geo_risk.settings import get_settings

    env = settings or get_settings()
    return RiskSettings(
        cell_m=cell_m,
        rose_file=rose_file or env.wind_rose_file,
        sector_smoothing=sector_smoothing or env.risk_sector_smoothing,
        population_treatment=population_treatment or env.risk_population_treatment,
        day_fraction=env.risk_day_fraction if day_fraction is None else day_fraction,
        flash_fire_indoor_factor=(env.risk_flash_fire_indoor_factor if flash_fire_indoor_factor is None
                                  else flash_fire_indoor_factor),
    )


def _read(url: str) -> dict[str, Any]:
    from geo_risk.store.read import read_layer, read_table

    return {
        "enterprises": read_layer(url, "enterprises", ("name", "status", "park_id")),
        "units": read_layer(url, "hazard_units", _UNIT_COLUMNS),
        "inventory": read_table(url, "inventory", _INVENTORY_COLUMNS, index=False),
        "residential": read_layer(url, "residential_areas", ("population",)),
        "targets": read_layer(url, "protection_targets", ("population", "kind")),
    }


def _scope_inputs(data: dict[str, Any], scope: str, scope_id: str, enterprise_ids: list[str], criteria: str,
                  cell_m: float | None = None):
    """The inputs of one scope; with ``cell_m``, the city's populated places too, built once per CRS
    and cell size and kept in ``data`` (every scope of a run shares them)."""
    from geo_risk.risk.population import presence_places
    from geo_risk.risk.run import ScopeInputs, utm_crs_for

    units = data["units"][data["units"]["enterprise_id"].isin(enterprise_ids)]
    centre = units.geometry.union_all().centroid
    crs = utm_crs_for(centre.x, centre.y)
    inv = data["inventory"][data["inventory"]["unit_id"].isin(units.index)]
    residential, targets = data["residential"].to_crs(crs), data["targets"].to_crs(crs)
    places = None
    if cell_m is not None:
        cache = data.setdefault("_places", {})
        if (crs, cell_m) not in cache:
            cache[(crs, cell_m)] = (*presence_places(residential, targets, cell_m), cell_m)
        places = cache[(crs, cell_m)]
    return ScopeInputs(scope, scope_id, crs, criteria, units.to_crs(crs), inv, residential, targets, places)


def _explosive_distances(inv: pd.DataFrame) -> tuple[dict[str, float], str]:
    """Consequence-method distances of a unit's explosives: the most severe case is all of them at once."""
    from geo_risk.risk.explosions import kinney_graham_overpressure_pa
    from geo_risk.standards.gbt37243 import classify_substance, consequence_distances_m

    mass_kg = 0.0
    names = []
    for rec in inv.to_dict("records"):
        rec = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        seq = None if rec.get("table1_seq") is None else int(rec["table1_seq"])
        cls = classify_substance(rec["chemical"], rec.get("cas"), seq, rec.get("hazard_categories"))
        if getattr(cls, "explosive", False):
            mass_kg += float(rec["max_quantity_t"]) * 1000.0
            names.append(str(rec["chemical"]))
    if mass_kg <= 0:
        return {}, ""
    tnt = mass_kg * TNT_EQUIVALENCE_OF_EXPLOSIVES
    distances = consequence_distances_m(lambda r: float(kinney_graham_overpressure_pa(r, tnt)) / 1000.0)
    mass = restricted(f" 共 {mass_kg:,.0f} kg，TNT 当量 {tnt:,.0f} kg", "，按 TNT 当量")
    tnt_en = restricted(f"TNT {tnt:,.0f} kg", "TNT equivalent")
    return distances, (f"事故后果法：{'、'.join(names)}{mass} / consequence "
                       f"method: {tnt_en}, Kinney–Graham, overpressure thresholds of GB/T 37243 (UNCONFIRMED)")


def run_risk(
    url: str,
    *,
    enterprise_id: str | None = None,
    park_id: str | None = None,
    everything: bool = False,
    settings: Any = None,
    data_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RiskReport:
    """Run methods, QRA and distances for one enterprise, one park, or the whole store; store the results."""
    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.contours import write_cog
    from geo_risk.risk.run import RiskSettings, assess_scope, settings_line
    from geo_risk.settings import get_settings
    from geo_risk.standards.gbt37243 import declared_distances, external_distances
    from geo_risk.store import results
    from geo_risk.store.risk_results import save_distances, save_run

    if sum(bool(x) for x in (enterprise_id, park_id, everything)) != 1:
        raise InvalidInput("say what to assess: one enterprise (--enterprise ID), one park (--park ID) or --all")
    settings = settings or RiskSettings()
    data_dir = Path(data_dir or get_settings().data_dir)
    version = results.inputs_version(url)
    data = _read(url)
    ents = data["enterprises"]
    if enterprise_id is not None and enterprise_id not in ents.index:
        raise NotFound(f"no enterprise {enterprise_id!r}")
    if park_id is not None and park_id not in set(ents["park_id"].dropna()):
        raise NotFound(f"no enterprise lies in park {park_id!r} (or no such park)")
    chosen = (ents.index[ents.index == enterprise_id] if enterprise_id else
              ents.index[ents["park_id"] == park_id] if park_id else ents.index)
    table = method_rows(ents[["name", "status"]], data["units"][["enterprise_id", "name", "unit_type", "equipment",
                                                                 "fire_class"]],
                        data["inventory"][["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq",
                                           "hazard_categories", "state"]])
    table = table[table["enterprise_id"].isin(chosen)]
    ent_rows = table[table["level"] == "enterprise"].set_index("enterprise_id")
    unit_rows = table[table["level"] == "unit"].set_index("unit_id")
    report = RiskReport(inputs_version=version)
    report.methods = ent_rows[ent_rows["assessed"]]["method"].value_counts().to_dict()
    # explosives make the enterprise row "consequence", yet its other units still take the QRA
    qra_units = unit_rows[unit_rows["assessed"] & (unit_rows["method"] == "qra")]
    qra = [e for e, r in ent_rows.iterrows() if r["assessed"] and e in set(qra_units["enterprise_id"])]
    method_distance: dict[str, dict[str, float]] = {}  # enterprise → class → m
    (data_dir / "risk").mkdir(parents=True, exist_ok=True)
    scopes: list[tuple[str, str, list[str], str]] = [
        ("enterprise", e, [e], ent_rows.loc[e, "criteria"]) for e in qra]
    if park_id is not None and qra:
        criteria = "new" if all(ent_rows.loc[e, "criteria"] == "new" for e in qra) else "existing"
        scopes.append(("park", park_id, qra, criteria))
    for k, (scope, sid, members, criteria) in enumerate(scopes):
        if progress:
            progress(f"{scope} {sid}", k, len(scopes))
        result = assess_scope(_scope_inputs(data, scope, sid, members, criteria, settings.cell_m), settings)
        report.problems += [f"{sid}: {p}" for p in result.problems]
        if "grid_cell_enlarged" in result.assumptions.get("grid", {}):
            report.notes.append(f"{scope} {sid}: {result.assumptions['grid']['grid_cell_enlarged']}")
        defaults = result.assumptions["scenarios"].get("defaults_applied") or []
        if defaults:
            report.notes.append(f"{scope} {sid}: {len(defaults)} stated default(s) applied ("
                                f"{', '.join(sorted({str(d['what']) for d in defaults}))}): see the stored run's "
                                "assumptions.scenarios.defaults_applied")
        if scope == "enterprise":
            method_distance[sid] = result.distances_m
        grid_path = None
        if result.grid is not None:
            path = data_dir / "risk" / f"{scope}-{sid}.tif"
            tags = {"model_version": result.assumptions["model"]["model_version"], "scope": f"{scope} {sid}",
                    "criteria": criteria, "wind_rose": str(result.assumptions["wind_rose"]),
                    "settings": settings_line(result.assumptions.get("run_settings"))}
            write_cog(path, result.grid, result.ir, tags)
            grid_path = str(path)
        region = result.region["region"] if result.region else None
        save_run(url, scope=scope, scope_id=sid, criteria=criteria, inputs_version=version,
                 model_version=str(result.assumptions["model"]["model_version"]),
                 assumptions={**result.assumptions, "problems": list(result.problems)},
                 grid_cell_m=result.grid.cell_m if result.grid else None, grid_path=grid_path,
                 max_ir=result.max_ir, fn={"n": result.fn_n.tolist(), "f": result.fn_f.tolist()},
                 fn_region=region, contours=result.contours, source_crs=result.crs)
        report.runs.append({"scope": scope, "scope_id": sid, "fn_region": region, "max_ir": result.max_ir,
                            "distances_m": result.distances_m, "grid": grid_path,
                            "settings": result.assumptions.get("run_settings")})
    if progress:
        progress("distances", len(scopes), len(scopes))
    rows: list[dict[str, Any]] = []
    units = data["units"]
    for uid, u in unit_rows.iterrows():
        ent = u["enterprise_id"]
        if not u["assessed"]:
            continue
        code = {c: (None if pd.isna(u[f"code_distance_{c}_m"]) else float(u[f"code_distance_{c}_m"]))
                for c in TARGET_CLASSES}
        method, reason = u["method"], str(u["reason"])
        method_m: dict[str, float] | None = None
        if method == "qra":
            method_m = method_distance.get(ent)
        elif method == "consequence":
            inv = data["inventory"][data["inventory"]["unit_id"] == uid]
            method_m, why = _explosive_distances(inv)
            reason = f"{reason}; {why}" if why else reason
        declared = declared_distances(units.loc[uid].to_dict())
        final = external_distances(method_m, code, declared)
        for cls, r in final.iterrows():
            shorter = r["declared_shorter"]
            rows.append({
                "enterprise_id": ent, "unit_id": uid, "target_class": cls, "method": method,
                "method_distance_m": _num(r["method_distance_m"]), "code_distance_m": _num(r["code_distance_m"]),
                "final_distance_m": _num(r["final_distance_m"]), "declared_distance_m": _num(r["declared_distance_m"]),
                "declared_shorter": None if shorter is None or pd.isna(shorter) else bool(shorter),
                "criteria": u["criteria"], "reason": f"{reason} | {r['note']}" if r.get("note") else reason,
            })
    save_distances(url, list(chosen), rows, version)
    report.distances = len(rows)
    report.declared_shorter = sum(1 for r in rows if r["declared_shorter"])
    return report


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v
