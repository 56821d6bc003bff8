"""Relocation plan (搬迁入园, 国办发〔2017〕77号): candidates, the three outcomes, park assignment as a MIP.

Pure: frames, grids and settings in; frames out. The store side and orchestration live in
:mod:`geo_risk.relocation_plan`. Rules and their confidence: docs/standards/parks-and-relocation.md.

1. **Candidates** (§2 of the note; the policy gives no number, so the rule is the note's CHOICE and
   every threshold is a :class:`RelocationSettings` field printed with the plan). An enterprise is a
   candidate when it is a hazardous-chemical *producer* (a ``production`` hazard unit; storage-only
   firms only with ``producers_only=False``), is operating or suspended, and

   - (1) homes lie within ``near_homes_m`` (1 km) of the site — the proxy for "within 1 km of the
     built-up area", since the store holds no urban-boundary layer (CHOICE); and
   - any of (a) a GB 36894 高敏感/重要/一类 target above the IR criterion of the firm's own QRA (the
     ``individual_risk`` conflict, 在役 3×10⁻⁶/a), (b) a protection distance not met: the GB/T 37243
     external distance, the declared distance or the GB 50160 / GB 50016 design-code distance
     (conflict rules ``external_distance``, ``declared_distance``, ``design_code_distance``), or (c)
     residents within ``density_ring_m`` (500 m) of the site boundary at ≥ ``density_per_km2``
     (1,500 people/km²) of the ring's area; and
   - the issue's filter: outside a recognised park, or with at least one conflict.

2. **Classification** by the note's §3 decision aid (CHOICE, not policy), in order:

   - 关闭退出 (close) when a major accident hazard is open (``major_hazard_open``), the capacity is in
     an eliminated/restricted category (``capacity_restricted``), or the firm is small or micro
     (``size_class``) — the store records no submitted plan, so a small firm counts as having none;
   - else the on-site upgrade (就地改造) is *offered* when cutting the inventory clears every
     conflict while keeping at least ``min_upgrade_share`` of it (:func:`upgrade_search`);
   - relocation (异地迁建) to an eligible park, and closing, are always offered;
   - the outcome is the solution of ONE mixed-integer programme over all the firms (:func:`solve_mip`),
     in which each option has a price (:class:`RelocationSettings`): with the default prices an
     upgrade (≤ 20 + 100 × 0.5 = 70) is always cheaper than any move (≥ 100), and a move cheaper than
     closing (400) unless the new site's risk or the distance makes it dearer — the aid's order.

3. **On-site upgrade** (:func:`upgrade_search`): the largest share s ∈ (0, 1] of the firm's whole
   inventory (every chemical scaled alike) at which no conflict of the firm remains, found by
   bisection (to ``share_tolerance``), assuming fewer tonnes never need more distance:

   - design-code distance: recomputed by :func:`geo_risk.standards.gbt37243.code_distances` at the
     scaled inventory (exact: the code tables' quantity tiers);
   - GB/T 37243 external distance ``max(method, code)``: the method part scaled by s^(1/3)
     (Hopkinson–Cranz cube-root scaling of consequence distance with the quantity released — a
     PROXY for re-running the QRA; the stored final distance is taken as the method part, an upper
     bound when the code governed); the declared distance likewise scaled by s^(1/3);
   - per-enterprise IR: the stored IR grid sampled on the conflict's line (nearest unit point u →
     target point x) at u + (x − u)·s^(−1/3), i.e. the same cube-root stretch of the risk field
     (PROXY), compared with the target's criterion. The regional (summed) view is not a firm's test
     and is left out.

   The largest inventory of each chemical is s × its current design maximum (RESTRICTED). If even
   s = ``min_share_searched`` leaves a conflict (a code distance that does not depend on tonnes,
   say), the upgrade by inventory cannot resolve it and the remaining shortfall (m) is reported.

4. **Assignment** (:func:`build_problem`, :func:`solve_mip`): binary x[i, j] (firm i to park j),
   u[i] (upgrade, where offered), c[i] (close); Σ = 1 per firm; Σ_i land_i · x[i, j] ≤ free_area_ha
   of park j (a park without ``free_area_ha`` is unconstrained, and the plan says so) — so two firms
   never share the same scarce land. A park is eligible when it is not the firm's own park, is not
   recorded as unrecognised (``recognised`` unknown: eligible and flagged), its grade is not in
   ``excluded_grades`` (A/B; or, with ``grade_mode="penalty"``, priced by ``grade_penalty``), and
   its ``industry_codes`` (GB/T 4754 prefixes; none recorded = any) accept the firm's code. A move
   costs ``relocate_base`` + ``per_km`` × distance from the current site to the park's candidate
   point (km) + ``per_ha`` × land + ``per_person_new_site`` × people the firm would put at risk there.
   The risk at the new site is the siting check (direction 1, 新建 column) of the firm's units and
   inventory placed in the park by :func:`placement` (the site's centroid onto the park's point on
   surface, the layout kept: CHOICE), given by the caller as ``site_check`` (the store side,
   :func:`geo_risk.relocation_plan.site_checker`). A QRA per pair is too slow for a province, so the
   distance-count PROXY (people within the firm's largest required distance per class around the
   park's point, from a disc of its land need) only screens: per firm the ``site_check_shortlist``
   cheapest eligible parks by the proxy price are checked, and the next ones while every check so
   far vetoed; unchecked pairs leave the programme. A veto (不予通过) makes the pair infeasible
   (``veto_mode="exclude"``, CHOICE: the rulebook's one-vote veto means the project could not be
   approved there) or adds ``veto_penalty``; the people priced are those at IR ≥ 3×10⁻⁷/a of the
   firm's QRA at the new site (the proxy's where the firm has no QRA), and each advisory rule fired
   other than R1 adds ``advisory_penalty``. Without ``site_check`` the proxy alone prices the move
   (and the plan says so). The solver is HiGHS through PuLP.

5. **Benefit** (:func:`benefit`): conflicts resolved (every conflict of a moved or closed firm,
   every conflict of an upgraded firm), people removed from each IR band (cumulative IR of the
   stored per-enterprise grids at each target's representative point, before and after: the
   grids of moved or closed firms dropped, those of upgraded firms stretched by s^(−1/3) as above;
   all of a target's people counted in its band), and the F-N statement: the old site's curve of
   a moved or closed firm is removed (exact); the moved firms' new-site IR grids (the siting
   checks') are added to the cumulative IR after; the upgraded firm's curve is NOT recomputed (run a
   QRA of the scenario); each receiving park's curve before and after is computed by the
   orchestrator, which holds the store (:func:`geo_risk.relocation_plan.receiving_park_fn`).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.analysis.colours import DEFAULT_RULES, ColourRules, ir_colours
from geo_risk.analysis.ir_field import IrGrid, sample_points
from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput

__all__ = [
    "OUTCOMES", "CANDIDATE_REASONS", "RelocationSettings", "DEFAULT_SETTINGS", "UpgradeResult", "AssignmentProblem",
    "Assignment", "RelocationPlan", "find_candidates", "upgrade_search", "build_problem", "solve_mip",
    "solve_brute_force", "solve_greedy", "objective_of", "benefit", "plan_relocation", "CASE_COLUMNS",
]

#: outcome → (中文, English, map colour)
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "in_situ_upgrade": ("就地改造", "upgrade on site", "#1f78b4"),
    "relocate_to_park": ("异地迁建", "relocate into a park", "#ff7f00"),
    "close_exit": ("关闭退出", "close and exit", "#e31a1c"),
}
#: candidate reason → (中文, English)
CANDIDATE_REASONS: dict[str, tuple[str, str]] = {
    "near_homes": ("1 km 内有居民区（城镇建成区代用判据）", "homes within 1 km (proxy for the built-up area)"),
    "ir_class1": ("一类及以上防护目标位于个人风险基准之外（在役 3×10⁻⁶/a）",
                  "a class I or stricter target above its IR criterion (existing 3×10⁻⁶/a)"),
    "distance": ("外部安全防护距离或防火间距不足", "an external safety or fire distance not met"),
    "density": ("厂界 500 m 内人口密度 ≥ 阈值", "population density within 500 m at or above the threshold"),
    "outside_recognised_park": ("位于认定化工园区外", "outside a recognised chemical park"),
    "has_conflicts": ("存在未解决的防护距离或风险冲突", "unresolved distance or risk conflicts"),
}
_CLASS_1_OR_STRICTER = ("high_sensitive", "important", "general_1")
_DISTANCE_RULES = ("external_distance", "declared_distance", "design_code_distance")
_OPERATING = ("operating", "suspended")
_SMALL = ("small", "micro")

CASE_COLUMNS = (
    "enterprise_id", "enterprise_name", "outcome", "outcome_label", "colour", "park_id", "park_name",
    "decision_rule", "reason", "in_scope_reasons", "conflicts", "targets", "people_affected", "density_per_km2",
    "land_ha", "land_basis", "distance_km", "new_site_people", "new_site_targets", "upgrade_offered",
    "upgrade_share", "upgrade_inventory", "upgrade_shortfall_m", "cost", "fn_note",
)


@dataclass(frozen=True)
class RelocationSettings:
    """Every threshold and price of the plan (CHOICE unless tagged; printed with every plan).

    Distances in metres, density in people/km², land in ha, shares in (0, 1], prices in cost points
    (dimensionless: only their order matters to the optimiser).
    """

    producers_only: bool = True
    near_homes_m: float = 1000.0
    density_ring_m: float = 500.0
    density_per_km2: float = 1500.0
    min_upgrade_share: float = 0.5
    min_share_searched: float = 0.01
    share_tolerance: float = 0.005
    excluded_grades: tuple[str, ...] = ("A", "B")
    grade_mode: str = "exclude"  # or "penalty"
    grade_penalty: float = 150.0
    default_land_ha: float = 5.0
    upgrade_base: float = 20.0
    upgrade_per_share_cut: float = 100.0
    relocate_base: float = 100.0
    per_km: float = 1.0
    per_ha: float = 1.0
    per_person_new_site: float = 0.05
    close_cost: float = 400.0
    mip_time_limit_s: float = 120.0
    site_check_shortlist: int = 3
    veto_mode: str = "exclude"  # or "penalty"
    veto_penalty: float = 1000.0
    advisory_penalty: float = 10.0
    colour_rules: ColourRules = DEFAULT_RULES

    def __post_init__(self) -> None:
        for name in ("near_homes_m", "density_ring_m", "density_per_km2", "default_land_ha", "mip_time_limit_s"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise InvalidInput(f"relocation setting {name} must be a positive finite number; got {v!r}")
        if not 0 < self.min_share_searched <= self.min_upgrade_share <= 1:
            raise InvalidInput("relocation settings need 0 < min_share_searched ≤ min_upgrade_share ≤ 1; got "
                               f"{self.min_share_searched!r}, {self.min_upgrade_share!r}")
        if not 0 < self.share_tolerance < 0.5:
            raise InvalidInput(f"share_tolerance must be in (0, 0.5); got {self.share_tolerance!r}")
        if self.grade_mode not in ("exclude", "penalty"):
            raise InvalidInput(f"grade_mode must be 'exclude' or 'penalty'; got {self.grade_mode!r}")
        if self.veto_mode not in ("exclude", "penalty"):
            raise InvalidInput(f"veto_mode must be 'exclude' or 'penalty'; got {self.veto_mode!r}")
        if isinstance(self.site_check_shortlist, bool) or not isinstance(self.site_check_shortlist, int) \
                or self.site_check_shortlist < 1:
            raise InvalidInput(f"site_check_shortlist must be a whole number ≥ 1; got {self.site_check_shortlist!r}")
        for name in ("grade_penalty", "upgrade_base", "upgrade_per_share_cut", "relocate_base", "per_km", "per_ha",
                     "per_person_new_site", "close_cost", "veto_penalty", "advisory_penalty"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise InvalidInput(f"relocation price {name} must be a finite number ≥ 0; got {v!r}")
        bad = sorted(set(self.excluded_grades) - {"A", "B", "C", "D"})
        if bad:
            raise InvalidInput(f"excluded_grades must be park grades A–D; got {bad}")

    def describe(self) -> dict[str, Any]:
        """The values used with their tags: stored and printed with every plan."""
        d = {k: v for k, v in asdict(self).items() if k != "colour_rules"}
        d["excluded_grades"] = list(self.excluded_grades)
        d["ir_bands_per_year"] = list(self.colour_rules.ir_bands_per_year)
        d["tags"] = {
            "candidates": "CHOICE (docs/standards/parks-and-relocation.md §2: 国办发〔2017〕77号 gives no number)",
            "near_homes_m": "CHOICE (homes within 1 km stand in for the built-up area: no planning layer stored)",
            "density_per_km2": "CHOICE (EU/UN degree-of-urbanisation urban-centre density, ring of GB 18218's 500 m)",
            "classification": "CHOICE (decision aid of §3, not policy: the outcome is the government's)",
            "min_upgrade_share": "CHOICE (an upgrade must keep at least this share of the inventory)",
            "upgrade_scaling": "PROXY (distance ∝ quantity^(1/3), Hopkinson–Cranz; code distances recomputed)",
            "excluded_grades": "CHOICE (应急〔2023〕123号 grades A/B: national restrictions UNCONFIRMED)",
            "prices": "CHOICE (cost points; only their order matters)",
            "new_site_risk": ("the siting check (geo_risk.siting_check.run_project, 新建 column) of the firm's units "
                              "and inventory translated onto the park's point on surface (placement CHOICE); the "
                              "PROXY (targets within the firm's required distances) only screens the parks: the "
                              f"{self.site_check_shortlist} cheapest eligible per firm are checked (CHOICE)"),
            "new_site_veto": ("CHOICE: a 不予通过 (veto) at the new site makes the pair infeasible (veto_mode "
                              "'exclude'; 'penalty' prices it by veto_penalty instead)"),
            "new_site_price": ("CHOICE: per_person_new_site × people at IR ≥ 3×10⁻⁷/a of the firm's QRA at the new "
                               "site (the benefit's lowest band) + advisory_penalty per advisory rule fired other "
                               "than R1 (the firm's own grading, the same at every park)"),
            "ir_bands_per_year": "CHOICE on the GB 36894 ladder (red ≥ 1e-5, orange ≥ 3e-6, yellow ≥ 3e-7)",
        }
        return d


DEFAULT_SETTINGS = RelocationSettings()


# -- geometry helpers -----------------------------------------------------------------------------------------


def _utm(lon: float, lat: float) -> str:
    zone = int(math.floor((lon + 180) / 6)) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _both(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _truthy(v: Any) -> bool | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return bool(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# -- 1. candidates ---------------------------------------------------------------------------------------------


def find_candidates(
    enterprises: gpd.GeoDataFrame,
    units: pd.DataFrame,
    parks: pd.DataFrame,
    conflicts: pd.DataFrame,
    residential: gpd.GeoDataFrame,
    settings: RelocationSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """The §2 test for every enterprise (module docstring, item 1).

    Parameters
    ----------
    enterprises
        EPSG:4326, index the enterprise id: ``name``, ``status``, ``park_id``.
    units
        Hazard units: ``enterprise_id``, ``unit_type``.
    parks
        Index the park id: ``recognised`` (bool or None).
    conflicts
        Conflicts as :func:`geo_risk.analysis.conflicts.find_conflicts` gives them: ``rule``,
        ``enterprise_id``, ``target_id``, ``target_class``, ``people_affected``.
    residential
        Residential areas, EPSG:4326, with ``population`` (people).

    Returns
    -------
    pandas.DataFrame
        Index the enterprise id (every enterprise): ``candidate`` (bool), ``reasons`` (codes of
        :data:`CANDIDATE_REASONS` that hold, comma-separated), ``residents_ring`` (people within the
        density ring, area-apportioned), ``density_per_km2``, ``near_homes``, ``ir_class1``,
        ``distance``, ``density``, ``outside_recognised_park``, ``conflicts``, ``targets``,
        ``people_affected`` (each target once, its largest count).
    """
    for frame, what in ((enterprises, "enterprises"), (residential, "residential areas")):
        if len(frame) and (frame.crs is None or frame.crs.to_epsg() != 4326):
            raise InvalidInput(f"find_candidates: {what} must be in EPSG:4326; got {frame.crs}")
    ids = enterprises.index
    out = pd.DataFrame(index=ids)
    producers = set(units.loc[units["unit_type"] == "production", "enterprise_id"]) if len(units) else set()
    holders = set(units["enterprise_id"]) if len(units) else set()
    out["producer"] = ids.isin(list(producers if settings.producers_only else holders))
    out["operating"] = enterprises["status"].isin(_OPERATING).to_numpy()
    recognised = {str(k): _truthy(v) for k, v in parks.get("recognised", pd.Series(dtype=object)).items()}
    park = enterprises["park_id"]
    out["outside_recognised_park"] = [not (isinstance(p, str) and recognised.get(p) is not False and p in recognised)
                                      for p in park]
    c = conflicts[conflicts["view"] != "cumulative"] if len(conflicts) else conflicts
    if len(c):
        ir1 = c[(c["rule"] == "individual_risk") & c["target_class"].isin(_CLASS_1_OR_STRICTER)]
        dist = c[c["rule"].isin(_DISTANCE_RULES)]
        out["ir_class1"] = ids.isin(list(set(ir1["enterprise_id"])))
        out["distance"] = ids.isin(list(set(dist["enterprise_id"])))
        g = c.groupby("enterprise_id")
        out["conflicts"] = g.size().reindex(ids).fillna(0).astype(int)
        out["targets"] = g["target_id"].nunique().reindex(ids).fillna(0).astype(int)
        per_target = c.groupby(["enterprise_id", "target_id"])["people_affected"].max()
        out["people_affected"] = per_target.groupby(level=0).sum().reindex(ids).fillna(0.0)
    else:
        out["ir_class1"] = False
        out["distance"] = False
        out["conflicts"] = 0
        out["targets"] = 0
        out["people_affected"] = 0.0
    ring = _ring_people(enterprises[out["producer"] & out["operating"]], residential, settings)
    out["residents_ring"] = ring["people"].reindex(ids).fillna(0.0)
    out["density_per_km2"] = ring["density"].reindex(ids).fillna(0.0)
    out["near_homes"] = ring["near_homes"].reindex(ids).fillna(False).astype(bool)
    out["density"] = out["density_per_km2"] >= settings.density_per_km2
    out["has_conflicts"] = out["conflicts"] > 0
    trigger = out["ir_class1"] | out["distance"] | out["density"]
    filt = out["outside_recognised_park"] | out["has_conflicts"]
    out["candidate"] = out["producer"] & out["operating"] & out["near_homes"] & trigger & filt
    codes = ("near_homes", "ir_class1", "distance", "density", "outside_recognised_park", "has_conflicts")
    out["reasons"] = [",".join(k for k in codes if row[k]) for _, row in out[list(codes)].iterrows()]
    return out


def _ring_people(plants: gpd.GeoDataFrame, residential: gpd.GeoDataFrame,
                 settings: RelocationSettings) -> pd.DataFrame:
    """Residents within the density ring (area-apportioned), the ring's density and whether homes lie
    within ``near_homes_m``, per plant (projected in the UTM zone of each plant's centroid)."""
    out = pd.DataFrame({"people": 0.0, "density": 0.0, "near_homes": False}, index=plants.index)
    if len(plants) == 0 or len(residential) == 0:
        return out
    res_geom = np.asarray(residential.geometry.values, dtype=object)
    pop = pd.to_numeric(residential["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    tree = shapely.STRtree(res_geom)
    reach = max(settings.near_homes_m, settings.density_ring_m)
    for pid, geom in zip(plants.index, plants.geometry.values, strict=True):
        c = geom.centroid
        crs = _utm(c.x, c.y)
        site = _project([geom], 4326, crs)[0]
        pad = reach / (111_319.0 * max(0.05, math.cos(math.radians(c.y)))) + 0.01
        near = tree.query(shapely.box(c.x - pad, c.y - pad, c.x + pad, c.y + pad))
        if near.size == 0:
            continue
        res = _project(res_geom[near], 4326, crs)
        d = shapely.distance(site, res)
        out.loc[pid, "near_homes"] = bool((d <= settings.near_homes_m).any())
        ring = shapely.difference(shapely.buffer(site, settings.density_ring_m, quad_segs=16), site)
        ring_area = float(shapely.area(ring))
        close = d <= settings.density_ring_m
        if close.any() and ring_area > 0:
            area = shapely.area(res[close])
            inter = shapely.area(shapely.intersection(res[close], ring))
            people = float(np.sum(pop[near][close] * np.divide(inter, area, out=np.zeros_like(area), where=area > 0)))
            out.loc[pid, "people"] = people
            out.loc[pid, "density"] = people / (ring_area / 1e6)
    return out


def _project(geoms: Sequence[Any] | np.ndarray, src: Any, dst: Any) -> np.ndarray:
    import pyproj

    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    return shapely.transform(arr, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


# -- 3. on-site upgrade ----------------------------------------------------------------------------------------


@dataclass
class UpgradeResult:
    """The on-site upgrade of one firm: ``share`` (largest inventory share clearing every conflict,
    or None when even ``min_share_searched`` does not), ``feasible`` (share ≥ ``min_upgrade_share``),
    ``max_by_chemical`` (chemical → largest t: RESTRICTED), ``shortfall_m`` (the largest distance
    still missing at the smallest share searched; 0 when feasible), ``ir_ratio_left`` (largest IR /
    criterion left at that share), ``text`` (tiered)."""

    share: float | None
    feasible: bool
    max_by_chemical: dict[str, float]
    shortfall_m: float
    ir_ratio_left: float
    evaluations: int
    text: str


def upgrade_search(
    firm_conflicts: pd.DataFrame,
    units: pd.DataFrame,
    inventory: pd.DataFrame,
    distances: pd.DataFrame,
    grid: IrGrid | None = None,
    settings: RelocationSettings = DEFAULT_SETTINGS,
    code_distance: Callable[[Mapping[str, Any], list[dict]], Mapping[str, float | None]] | None = None,
) -> UpgradeResult:
    """The largest share of the firm's inventory that clears all its conflicts (module docstring, item 3).

    Parameters
    ----------
    firm_conflicts
        The firm's conflicts (per-unit distance rules and per-enterprise IR): ``rule``, ``unit_id``,
        ``target_class``, ``actual_distance_m``, ``criterion_per_year`` and ``geometry`` (the line
        from the unit to the target, EPSG:4326) for IR rows.
    units
        The firm's hazard units, index the unit id: ``unit_type``, ``equipment``, ``fire_class``.
    inventory
        The firm's inventory rows: ``unit_id``, ``chemical``, ``max_quantity_t`` (t) and what
        :func:`geo_risk.standards.gbt37243.code_distances` reads (``cas``, ``state``, …).
    distances
        Stored/derived required distances: ``unit_id``, ``target_class``, ``method``,
        ``final_distance_m``, ``declared_distance_m``, ``code_distance_m`` (m).
    grid
        The firm's stored IR grid (for IR conflicts); None: an IR conflict cannot be cleared.
    code_distance
        (unit mapping, inventory records) → class → metres; default the engine's
        :func:`geo_risk.standards.gbt37243.code_distances`.
    """
    if code_distance is None:
        from geo_risk.standards.gbt37243 import code_distances

        def code_distance(unit: Mapping[str, Any], inv: list[dict]) -> Mapping[str, float | None]:
            return code_distances(unit, inv).distance_m

    c = firm_conflicts[firm_conflicts["rule"].isin((*_DISTANCE_RULES, "individual_risk"))]
    inv_by_unit: dict[str, list[dict]] = {}
    for rec in inventory.to_dict("records"):
        inv_by_unit.setdefault(str(rec["unit_id"]), []).append(rec)
    dist = {(str(r["unit_id"]), str(r["target_class"])): r for r in distances.to_dict("records")}
    code_cache: dict[tuple[str, float], Mapping[str, float | None]] = {}
    evaluations = 0

    def code_at(uid: str, s: float) -> Mapping[str, float | None]:
        key = (uid, round(s, 6))
        if key not in code_cache:
            u = units.loc[uid]
            unit = {"id": uid, **{k: (None if pd.isna(u.get(k)) else u.get(k))
                                  for k in ("unit_type", "equipment", "fire_class")}}
            inv = [{**r, "max_quantity_t": float(r["max_quantity_t"]) * s} for r in inv_by_unit.get(uid, [])]
            code_cache[key] = code_distance(unit, inv)
        return code_cache[key]

    ir_rows = c[c["rule"] == "individual_risk"]
    ir_lines = []
    if len(ir_rows) and grid is not None:
        import pyproj

        tr = pyproj.Transformer.from_crs(4326, grid.crs, always_xy=True)
        for geom in ir_rows.geometry.values if hasattr(ir_rows, "geometry") else ir_rows["geometry"]:
            if geom is None or geom.is_empty:
                ir_lines.append(None)
                continue
            (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
            ux, uy = tr.transform(x0, y0)
            tx, ty = tr.transform(x1, y1)
            ir_lines.append((ux, uy, tx, ty))
    crit = ir_rows["criterion_per_year"].to_numpy(dtype=float) if len(ir_rows) else np.zeros(0)

    def deficits(s: float) -> tuple[float, float]:
        """(largest missing distance m, largest IR/criterion) at share s."""
        nonlocal evaluations
        evaluations += 1
        f = s ** (1.0 / 3.0)
        short = 0.0
        for rule, uid, cls, actual in c.loc[c["rule"].isin(_DISTANCE_RULES),
                                            ["rule", "unit_id", "target_class", "actual_distance_m"]].itertuples(
                index=False, name=None):
            r = dist.get((str(uid), str(cls)), {})
            if rule == "design_code_distance":
                req = _num(code_at(str(uid), s).get(cls)) or 0.0
            elif rule == "declared_distance":
                req = (_num(r.get("declared_distance_m")) or 0.0) * f
            else:
                final = _num(r.get("final_distance_m")) or 0.0
                method = None if r.get("method") in (None, "design_code") or pd.isna(r.get("method")) else final
                code_now = _num(code_at(str(uid), s).get(cls)) or 0.0
                req = max(code_now, (method or 0.0) * f) if method is not None else code_now
            short = max(short, req - float(actual))
        ratio = 0.0
        if len(ir_rows):
            if grid is None:
                ratio = math.inf
            else:
                for k, line in enumerate(ir_lines):
                    if line is None:
                        ratio = math.inf
                        continue
                    ux, uy, tx, ty = line
                    px, py = ux + (tx - ux) / f, uy + (ty - uy) / f
                    ir = float(sample_points(grid, [px], [py], projected=True)[0])
                    ratio = max(ratio, ir / crit[k])
        return short, ratio

    def ok(s: float) -> bool:
        short, ratio = deficits(s)
        return short <= 1e-9 and ratio <= 1.0

    total = inventory.groupby("chemical")["max_quantity_t"].sum() if len(inventory) else pd.Series(dtype=float)
    lo_s = settings.min_share_searched
    if ok(1.0):
        share: float | None = 1.0
    elif not ok(lo_s):
        short, ratio = deficits(lo_s)
        text = _both(f"削减存量无法消除冲突（存量降至 {lo_s:.0%} 仍缺 {short:.0f} m 距离"
                     + (f"、个人风险为基准的 {ratio:.3g} 倍" if ratio > 1 else "") + "）",
                     f"cutting the inventory cannot clear the conflicts (at {lo_s:.0%} of it {short:.0f} m of "
                     "distance still missing" + (f", IR {ratio:.3g}× its criterion" if ratio > 1 else "") + ")")
        return UpgradeResult(None, False, {}, round(short, 1), ratio, evaluations, restricted(
            text, _both("削减存量无法消除冲突", "cutting the inventory cannot clear the conflicts")))
    else:
        lo, hi = lo_s, 1.0  # ok(lo), not ok(hi)
        while hi - lo > settings.share_tolerance:
            mid = 0.5 * (lo + hi)
            if ok(mid):
                lo = mid
            else:
                hi = mid
        share = lo
    feasible = share >= settings.min_upgrade_share
    by_chem = {str(k): math.floor(float(v) * share * 1000.0) / 1000.0 for k, v in total.items()}  # kg, down
    listing = "; ".join(f"{k} ≤ {v:g} t" for k, v in by_chem.items())
    if share >= 1.0:
        text = _both("无需削减存量（未发现距离或个人风险冲突）", "no cut needed (no distance or IR conflict found)")
    elif feasible:
        text = restricted(_both(f"存量降至 {share:.1%} 可消除全部冲突：{listing}",
                                f"keeping {share:.1%} of the inventory clears every conflict: {listing}"),
                          _both("削减存量可消除全部冲突", "an inventory cut clears every conflict"))
    else:
        text = restricted(_both(f"需将存量降至 {share:.1%}（低于可行下限 {settings.min_upgrade_share:.0%}）",
                                f"needs a cut to {share:.1%} of the inventory (below the viable "
                                f"{settings.min_upgrade_share:.0%})"),
                          _both("所需削减超过可行下限", "the cut needed is beyond the viable limit"))
    return UpgradeResult(share, feasible, by_chem, 0.0, 0.0, evaluations, text)


# -- 4. assignment ---------------------------------------------------------------------------------------------


@dataclass
class AssignmentProblem:
    """Firms × parks with prices. ``move_cost[i, j]`` inf where firm i may not move to park j;
    ``upgrade_cost[i]`` inf where no upgrade is offered; ``capacity_ha[j]`` NaN = unconstrained."""

    firms: tuple[str, ...]
    parks: tuple[str, ...]
    land_ha: np.ndarray
    capacity_ha: np.ndarray
    move_cost: np.ndarray
    upgrade_cost: np.ndarray
    close_cost: np.ndarray

    def __post_init__(self) -> None:
        n, m = len(self.firms), len(self.parks)
        if self.move_cost.shape != (n, m) or self.land_ha.shape != (n,) or self.capacity_ha.shape != (m,) \
                or self.upgrade_cost.shape != (n,) or self.close_cost.shape != (n,):
            raise InvalidInput(f"assignment problem shapes do not match {n} firms × {m} parks")
        if not np.isfinite(self.close_cost).all():
            raise InvalidInput("every firm needs a finite price for closing (the option always open)")


@dataclass
class Assignment:
    """A solution: per firm ``"upgrade"``, ``"close"`` or a park id; its objective and how it was found."""

    choice: tuple[str, ...]
    objective: float
    method: str
    seconds: float
    status: str = "optimal"


def objective_of(problem: AssignmentProblem, choice: Sequence[str]) -> float:
    """The objective of a choice (inf when it breaks a capacity or uses a forbidden option)."""
    park_pos = {p: j for j, p in enumerate(problem.parks)}
    used = np.zeros(len(problem.parks))
    total = 0.0
    for i, ch in enumerate(choice):
        if ch == "upgrade":
            total += problem.upgrade_cost[i]
        elif ch == "close":
            total += problem.close_cost[i]
        else:
            j = park_pos[ch]
            total += problem.move_cost[i, j]
            used[j] += problem.land_ha[i]
    cap = problem.capacity_ha
    if np.any(np.isfinite(cap) & (used > cap + 1e-9)):
        return math.inf
    return float(total)


def solve_mip(problem: AssignmentProblem, time_limit_s: float = 120.0, msg: bool = False) -> Assignment:
    """The assignment as one mixed-integer programme, solved by HiGHS through PuLP (module docstring, item 4)."""
    import pulp

    started = time.perf_counter()
    n, m = len(problem.firms), len(problem.parks)
    prob = pulp.LpProblem("relocation", pulp.LpMinimize)
    # Exact pruning: a move priced at or above the firm's cheapest land-free option (close, or upgrade where
    # offered) can never beat it, so it is left out of the programme (the optimum's objective is unchanged).
    floor = np.minimum(problem.close_cost, problem.upgrade_cost)
    x = {(i, j): prob.add_variable(f"x_{i}_{j}", cat="Binary") for i in range(n) for j in range(m)
         if math.isfinite(problem.move_cost[i, j]) and problem.move_cost[i, j] < floor[i]}
    u = {i: prob.add_variable(f"u_{i}", cat="Binary") for i in range(n) if math.isfinite(problem.upgrade_cost[i])}
    c = {i: prob.add_variable(f"c_{i}", cat="Binary") for i in range(n)}
    prob += (pulp.lpSum(float(problem.move_cost[i, j]) * v for (i, j), v in x.items())
             + pulp.lpSum(float(problem.upgrade_cost[i]) * v for i, v in u.items())
             + pulp.lpSum(float(problem.close_cost[i]) * v for i, v in c.items()))
    by_firm: dict[int, list[Any]] = {i: [c[i]] for i in range(n)}
    for (i, _j), v in x.items():
        by_firm[i].append(v)
    for i, v in u.items():
        by_firm[i].append(v)
    for i, vs in by_firm.items():
        prob += pulp.lpSum(vs) == 1, f"one_option_{i}"
    for j in range(m):
        cap = problem.capacity_ha[j]
        col = [(i, v) for (i, jj), v in x.items() if jj == j]
        if math.isfinite(cap) and col:
            prob += pulp.lpSum(float(problem.land_ha[i]) * v for i, v in col) <= float(cap), f"land_{j}"
    solver = pulp.HiGHS(msg=msg, timeLimit=time_limit_s, gapRel=0.0, gapAbs=0.0, threads=1) if hasattr(
        pulp, "HiGHS") else None
    if solver is None or not solver.available():
        raise InvalidInput("the HiGHS solver is not available: pip install highspy (a dependency of geo_risk)")
    with _quiet_stdout():  # HiGHS prints its banner on C stdout whatever msg says
        prob.solve(solver)
    status = pulp.LpStatus[prob.status]
    if status not in ("Optimal",):
        raise InvalidInput(f"the relocation MIP ended {status!r}: raise mip_time_limit_s or check the inputs")
    choice = []
    for i in range(n):
        pick = "close"
        if i in u and (u[i].value() or 0) > 0.5:
            pick = "upgrade"
        for j in range(m):
            if (i, j) in x and (x[i, j].value() or 0) > 0.5:
                pick = problem.parks[j]
        choice.append(pick)
    return Assignment(tuple(choice), objective_of(problem, choice), "mip (HiGHS via PuLP)",
                      time.perf_counter() - started, status.lower())


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """File descriptor 1 to /dev/null for the duration (C libraries write there directly)."""
    import os
    import sys

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stream without a descriptor
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _options(problem: AssignmentProblem, i: int) -> list[str]:
    opts = ["close"]
    if math.isfinite(problem.upgrade_cost[i]):
        opts.append("upgrade")
    opts += [p for j, p in enumerate(problem.parks) if math.isfinite(problem.move_cost[i, j])]
    return opts


def solve_brute_force(problem: AssignmentProblem, max_combinations: int = 2_000_000) -> Assignment:
    """Every assignment enumerated; the cheapest that respects the land (for tests on small instances)."""
    started = time.perf_counter()
    options = [_options(problem, i) for i in range(len(problem.firms))]
    if math.prod(len(o) for o in options) > max_combinations:
        raise InvalidInput(f"brute force over more than {max_combinations} assignments: use solve_mip")
    best, best_choice = math.inf, None
    for choice in itertools.product(*options):
        v = objective_of(problem, choice)
        if v < best:
            best, best_choice = v, choice
    if best_choice is None:
        raise InvalidInput("no feasible assignment (cannot happen: closing is always open)")
    return Assignment(tuple(best_choice), best, "brute force", time.perf_counter() - started)


def solve_greedy(problem: AssignmentProblem, order: Sequence[int] | None = None) -> Assignment:
    """The obvious alternative: one firm at a time (in ``order``, default the problem's), each taking
    its cheapest option that still fits the land left."""
    started = time.perf_counter()
    left = problem.capacity_ha.astype(float).copy()
    choice = [""] * len(problem.firms)
    for i in (order if order is not None else range(len(problem.firms))):
        best, pick = problem.close_cost[i], "close"
        if problem.upgrade_cost[i] < best:
            best, pick = problem.upgrade_cost[i], "upgrade"
        for j, p in enumerate(problem.parks):
            cost = problem.move_cost[i, j]
            fits = not math.isfinite(left[j]) or problem.land_ha[i] <= left[j] + 1e-9
            if cost < best and fits:
                best, pick = cost, p
        if pick not in ("close", "upgrade"):
            j = problem.parks.index(pick)
            if math.isfinite(left[j]):
                left[j] -= problem.land_ha[i]
        choice[i] = pick
    return Assignment(tuple(choice), objective_of(problem, choice), "greedy (one firm at a time)",
                      time.perf_counter() - started)


def _codes(spec: Any) -> list[str]:
    if spec is None or (isinstance(spec, float) and math.isnan(spec)):
        return []
    return [s.strip() for s in str(spec).replace(";", ",").split(",") if s.strip()]


def park_eligibility(firm: Mapping[str, Any], park_id: str, park: Mapping[str, Any],
                     settings: RelocationSettings = DEFAULT_SETTINGS) -> tuple[bool, float, str]:
    """(eligible, price added, note) of moving ``firm`` to ``park`` (module docstring, item 4)."""
    if firm.get("park_id") == park_id:
        return False, 0.0, "the firm's own park"
    if _truthy(park.get("recognised")) is False:
        return False, 0.0, "not a recognised park"
    extra, notes = 0.0, []
    if _truthy(park.get("recognised")) is None:
        notes.append("recognition not recorded")
    grade = park.get("risk_grade")
    if isinstance(grade, str) and grade in settings.excluded_grades:
        if settings.grade_mode == "exclude":
            return False, 0.0, f"park grade {grade}"
        extra += settings.grade_penalty
        notes.append(f"grade {grade} priced")
    elif not isinstance(grade, str):
        notes.append("grade not recorded")
    accepted = _codes(park.get("industry_codes"))
    code = firm.get("industry_code")
    if accepted and isinstance(code, str) and code and not any(code.startswith(a) for a in accepted):
        return False, 0.0, f"industry {code} not among the park's {','.join(accepted)}"
    return True, extra, "; ".join(notes)


def build_problem(
    firms: pd.DataFrame,
    parks: pd.DataFrame,
    settings: RelocationSettings = DEFAULT_SETTINGS,
) -> tuple[AssignmentProblem, pd.DataFrame]:
    """The assignment problem from per-firm and per-park frames.

    ``firms`` (index the firm id): ``park_id``, ``industry_code``, ``land_ha``, ``upgrade_share``
    (None = not offered), ``upgrade_feasible``, and per park id column ``km:<park>`` (distance, km),
    ``people:<park>`` (people the firm would put at risk there: the siting check's people at IR ≥
    3×10⁻⁷/a, or the proxy's people within its distances) and optionally ``extra:<park>`` (a price
    added: the new-site verdict's penalties; inf = the pair is infeasible). ``parks`` (index
    the park id): ``recognised``, ``risk_grade``, ``free_area_ha``, ``industry_codes``.
    Returns the problem and a frame of pair notes (firm, park, eligible, note).
    """
    f_ids, p_ids = tuple(map(str, firms.index)), tuple(map(str, parks.index))
    n, m = len(f_ids), len(p_ids)
    move = np.full((n, m), np.inf)
    notes = []
    km = firms[[f"km:{p}" for p in parks.index]].to_numpy(dtype=float) if m else np.zeros((n, 0))
    people = firms[[f"people:{p}" for p in parks.index]].to_numpy(dtype=float) if m else np.zeros((n, 0))
    added = firms.reindex(columns=[f"extra:{p}" for p in parks.index]).fillna(0.0).to_numpy(dtype=float) if m \
        else np.zeros((n, 0))
    land = firms["land_ha"].to_numpy(dtype=float)
    park_rows = [(str(pid), p) for pid, p in zip(parks.index, parks.to_dict("records"), strict=True)]
    for i, (fid, f) in enumerate(zip(firms.index, firms[["park_id", "industry_code"]].to_dict("records"),
                                     strict=True)):
        for j, (pid, p) in enumerate(park_rows):
            ok, extra, note = park_eligibility(f, pid, p, settings)
            notes.append({"enterprise_id": fid, "park_id": pid, "eligible": ok, "note": note})
            if ok:
                move[i, j] = (settings.relocate_base + extra + settings.per_km * km[i, j]
                              + settings.per_ha * land[i] + settings.per_person_new_site * people[i, j]
                              + added[i, j])
    up = np.full(n, np.inf)
    share = pd.to_numeric(firms.get("upgrade_share", pd.Series(np.nan, index=firms.index)), errors="coerce")
    feasible = firms.get("upgrade_feasible", pd.Series(False, index=firms.index)).fillna(False).astype(bool)
    for i, (s, ok) in enumerate(zip(share, feasible, strict=True)):
        if ok and np.isfinite(s):
            up[i] = settings.upgrade_base + settings.upgrade_per_share_cut * (1.0 - float(s))
    cap = pd.to_numeric(parks.get("free_area_ha", pd.Series(np.nan, index=parks.index)), errors="coerce")
    problem = AssignmentProblem(f_ids, p_ids, firms["land_ha"].to_numpy(dtype=float), cap.to_numpy(dtype=float),
                                move, up, np.full(n, settings.close_cost))
    return problem, pd.DataFrame(notes)


# -- new-site proxy ------------------------------------------------------------------------------------------


def new_site_exposure(
    firm_reach: pd.DataFrame,
    land_ha: pd.Series,
    park_points: gpd.GeoSeries,
    targets: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People and targets that would lie within each firm's required distances at each park's point.

    ``firm_reach``: index firm id, columns the GB 36894 classes (metres; NaN = none). ``land_ha``:
    the firm's land need (the site is a disc of that area around the point). ``park_points``:
    EPSG:4326 points, index park id. ``targets``: EPSG:4326, ``category``, ``population``.
    Returns (people, targets) frames firm × park.
    """
    people = pd.DataFrame(0.0, index=firm_reach.index, columns=park_points.index)
    count = pd.DataFrame(0, index=firm_reach.index, columns=park_points.index)
    if len(targets) == 0 or len(firm_reach) == 0:
        return people, count
    t_geom = np.asarray(targets.geometry.values, dtype=object)
    t_cls = targets["category"].to_numpy()
    t_pop = pd.to_numeric(targets["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    tree = shapely.STRtree(t_geom)
    reach = firm_reach.fillna(0.0)
    radius = np.sqrt(land_ha.reindex(firm_reach.index).fillna(0.0).to_numpy(dtype=float) * 1e4 / math.pi)
    for pid, pt in park_points.items():
        crs = _utm(pt.x, pt.y)
        far = float(reach.to_numpy().max() + radius.max()) if reach.size else 0.0
        pad = far / (111_319.0 * max(0.05, math.cos(math.radians(pt.y)))) + 0.01
        near = tree.query(shapely.box(pt.x - pad, pt.y - pad, pt.x + pad, pt.y + pad))
        if near.size == 0:
            continue
        p_proj = _project([pt], 4326, crs)[0]
        d = shapely.distance(p_proj, _project(t_geom[near], 4326, crs))
        for k, fid in enumerate(firm_reach.index):
            req = reach.loc[fid].reindex(t_cls[near]).to_numpy(dtype=float) + radius[k]
            inside = d < req
            people.loc[fid, pid] = float(t_pop[near][inside].sum())
            count.loc[fid, pid] = int(inside.sum())
    return people, count


# -- new site: the siting check of the firm's inventory in the park --------------------------------------------


@dataclass
class SiteCheck:
    """The siting check (direction 1) of a firm's units and inventory placed in a park (module docstring, item 4).

    ``verdict``: ``advise_against`` / ``conditional`` / ``no_objection``; ``veto``: a veto rule fired;
    ``rules``: the rules fired (ids); ``advisories``: the advisory rules fired other than R1 (the
    firm's own GB 18218 grading, the same at every park); ``people_ir`` / ``targets_ir``: people and
    targets (representative point) at IR ≥ the lowest band (3×10⁻⁷/a) of the firm's QRA at the new
    site, NaN when the firm's GB/T 37243 method is not a QRA; ``people_above_criterion`` /
    ``targets_above_criterion``: targets whose IR exceeds their class's 新建 criterion (R4);
    ``targets_inside_distance``: targets inside a required distance (R3); ``method``: the GB/T
    37243 method; ``grid``: the QRA's IR grid at the new site (:class:`IrGrid`) or None;
    ``seconds``: the check's time.
    """

    verdict: str
    veto: bool
    rules: tuple[str, ...] = ()
    advisories: tuple[str, ...] = ()
    people_ir: float = math.nan
    targets_ir: int = 0
    people_above_criterion: float = 0.0
    targets_above_criterion: int = 0
    targets_inside_distance: int = 0
    method: str | None = None
    grid: IrGrid | None = None
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        """The check as a JSON-ready row (no grid)."""
        return {"verdict": self.verdict, "veto": self.veto, "rules": ",".join(self.rules),
                "people_ir": None if not math.isfinite(self.people_ir) else round(self.people_ir, 1),
                "targets_ir": self.targets_ir, "people_above_criterion": round(self.people_above_criterion, 1),
                "targets_above_criterion": self.targets_above_criterion,
                "targets_inside_distance": self.targets_inside_distance, "method": self.method,
                "seconds": round(self.seconds, 3)}


#: (firm id, park id) → the siting check of that firm at that park (the caller reads the store).
SiteChecker = Callable[[str, str], SiteCheck]


def placement(site: Any, unit_geoms: Sequence[Any], park: Any) -> tuple[Any, list[Any], float, float]:
    """Where a moved firm stands (CHOICE, as ``move_to_park`` in :mod:`geo_risk.analysis.scenario_diff`):
    the site's centroid onto the park's point on surface, the site and every unit translated by the
    same vector in metres (the UTM zone of the park's point), so the firm's layout is kept.

    All geometries lon/lat (EPSG:4326). Returns (site, units, dx m, dy m) after the move.
    """
    there = shapely.point_on_surface(park)
    here = (site if site is not None and not site.is_empty else shapely.union_all(list(unit_geoms))).centroid
    crs = _utm(there.x, there.y)
    h, t = _project([here, there], 4326, crs)
    dx, dy = float(t.x - h.x), float(t.y - h.y)
    shift = np.array([dx, dy])

    def move(geoms: Sequence[Any]) -> np.ndarray:
        g = _project(np.asarray(list(geoms), dtype=object), 4326, crs)
        return _project(shapely.transform(g, lambda xy: xy + shift), crs, 4326)

    moved_units = list(move(unit_geoms)) if len(unit_geoms) else []
    moved_site = move([site])[0] if site is not None and not site.is_empty else None
    return moved_site, moved_units, dx, dy


def _shortlist_and_check(problem: AssignmentProblem, checker: SiteChecker, k: int, veto_excludes: bool,
                         progress: Callable[[str, int, int], None] | None = None
                         ) -> dict[tuple[str, str], SiteCheck]:
    """Per firm, its eligible parks in order of the proxy price; the ``k`` cheapest checked by ``checker``,
    and the next ``k`` while every pair checked so far was vetoed (with ``veto_excludes``)."""
    checks: dict[tuple[str, str], SiteCheck] = {}
    for i, fid in enumerate(problem.firms):
        order = [j for j in np.argsort(problem.move_cost[i], kind="stable") if math.isfinite(problem.move_cost[i, j])]
        start = 0
        while start < len(order):
            for j in order[start:start + k]:
                checks[(fid, problem.parks[j])] = checker(fid, problem.parks[j])
            start += k
            if not veto_excludes or any(not checks[(fid, problem.parks[j])].veto for j in order[:start]):
                break
        if progress:
            progress("relocation: siting check at the new sites", i + 1, len(problem.firms))
    return checks


# -- 5. benefit -------------------------------------------------------------------------------------------------


def benefit(
    cases: pd.DataFrame,
    conflicts: pd.DataFrame,
    targets: gpd.GeoDataFrame,
    grids: Sequence[IrGrid],
    units: gpd.GeoDataFrame,
    settings: RelocationSettings = DEFAULT_SETTINGS,
    new_site_grids: Sequence[IrGrid] = (),
    new_site_checked: bool = False,
) -> dict[str, Any]:
    """What the plan removes (module docstring, item 5).

    ``cases``: index firm id, ``outcome`` and ``upgrade_share``. ``new_site_grids``: the IR grids of the
    moved firms' QRAs at their new sites (the siting check's), added to the cumulative IR after: the
    people a move puts at risk in the park count against the people it relieves. Returns a dict with
    ``conflicts_resolved``, ``targets_relieved``, ``people_relieved``, ``ir_bands`` (band → people
    before, after, removed; None without grids) and ``fn`` (what is recomputed and what is not).
    """
    moved = set(cases.index[cases["outcome"].isin(["relocate_to_park", "close_exit"])])
    upgraded = set(cases.index[cases["outcome"] == "in_situ_upgrade"])
    c = conflicts[conflicts["view"] != "cumulative"] if len(conflicts) else conflicts
    gone = c[c["enterprise_id"].isin(moved | upgraded)] if len(c) else c
    left_targets = set(c.loc[~c["enterprise_id"].isin(moved | upgraded), "target_id"]) if len(c) else set()
    relieved = set(gone["target_id"]) - left_targets if len(gone) else set()
    people = 0.0
    if relieved:
        per = gone[gone["target_id"].isin(relieved)].groupby("target_id")["people_affected"].max()
        people = float(per.sum())
    out: dict[str, Any] = {
        "conflicts_resolved": int(len(gone)),
        "conflicts_left": int(len(c) - len(gone)),
        "targets_relieved": len(relieved),
        "people_relieved": round(people, 1),
        "ir_bands": None,
    }
    ent_grids = [g for g in grids if g.scope == "enterprise"]
    if ent_grids and len(targets):
        pts = shapely.point_on_surface(np.asarray(targets.geometry.values, dtype=object))
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        pop = pd.to_numeric(targets["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        before = np.zeros(len(targets))
        after = np.zeros(len(targets))
        share = pd.to_numeric(cases.get("upgrade_share", pd.Series(dtype=float)), errors="coerce")
        for g in ent_grids:
            ir = sample_points(g, x, y)
            before += ir
            if g.scope_id in moved:
                continue
            if g.scope_id in upgraded and np.isfinite(share.get(g.scope_id, np.nan)) and share[g.scope_id] < 1:
                after += _stretched(g, units[units["enterprise_id"] == g.scope_id], x, y, float(share[g.scope_id]))
            else:
                after += ir
        for g in new_site_grids:
            after += sample_points(g, x, y)
        bands = {}
        red, orange, yellow = settings.colour_rules.ir_bands_per_year
        cb, ca = ir_colours(before, settings.colour_rules), ir_colours(after, settings.colour_rules)
        for colour, lower in (("red", red), ("orange", orange), ("yellow", yellow)):
            b, a = float(pop[cb == colour].sum()), float(pop[ca == colour].sum())
            bands[colour] = {"lower_per_year": lower, "before": b, "after": a, "removed": b - a}
        above_b, above_a = float(pop[before >= yellow].sum()), float(pop[after >= yellow].sum())
        bands["any_above_yellow"] = {"lower_per_year": yellow, "before": above_b, "after": above_a,
                                     "removed": above_b - above_a}
        out["ir_bands"] = bands
        out["ir_basis"] = ("cumulative IR of the stored per-enterprise grids at each target's representative point; "
                           "moved/closed firms' grids dropped, upgraded firms' grids stretched by share^(-1/3) "
                           "(PROXY), moved firms' QRA grids at their new sites added "
                           f"({len(new_site_grids)} grid(s), the siting check's); a target's people counted whole "
                           "in its band")
    else:
        out["ir_basis"] = "no stored QRA grids: people per IR band not computed (run `geo-risk risk --all`)"
    out["fn"] = {
        "recomputed": ("a moved or closed firm's F-N curve at its old site is removed (exact)"
                       + ("; a moved firm's own curve at its new site is the siting check's QRA (rule R5)"
                          if new_site_checked else "")),
        "approximated": ("an upgraded firm's F-N is not recomputed (run a QRA of the scenario); each receiving "
                         "park's F-N before and after is computed by the plan's orchestrator where the store is at "
                         "hand (geo_risk.relocation_plan: the parks' rows)"),
    }
    return out


def _stretched(grid: IrGrid, firm_units: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray, share: float) -> np.ndarray:
    """IR of ``grid`` at lon/lat points after a cut to ``share``: sampled at u + (p − u)·share^(−1/3),
    u the nearest point of the firm's units (the cube-root PROXY)."""
    import pyproj

    tr = pyproj.Transformer.from_crs(4326, grid.crs, always_xy=True)
    px, py = tr.transform(x, y)
    px, py = np.asarray(px, float), np.asarray(py, float)
    if len(firm_units) == 0:
        return sample_points(grid, px, py, projected=True)
    footprint = shapely.union_all(_project(np.asarray(firm_units.geometry.values, dtype=object), 4326, grid.crs))
    pts = shapely.points(px, py)
    line = shapely.shortest_line(footprint, pts)
    ux = shapely.get_x(shapely.get_point(line, 0))
    uy = shapely.get_y(shapely.get_point(line, 0))
    f = share ** (1.0 / 3.0)
    return sample_points(grid, ux + (px - ux) / f, uy + (py - uy) / f, projected=True)


# -- the whole plan ----------------------------------------------------------------------------------------------


@dataclass
class RelocationPlan:
    """The plan: ``cases`` (one row per candidate, EPSG:4326 line current site → park, or the site's
    point for an upgrade or a closure), ``screen`` (the §2 test of every enterprise), ``parks``
    (land used and left per park), ``benefit``, ``settings`` (with tags), ``notes``, ``solver``
    (MIP and greedy objective and times)."""

    cases: gpd.GeoDataFrame
    screen: pd.DataFrame
    parks: pd.DataFrame
    benefit: dict[str, Any]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)
    #: the siting checks run at the new sites: one row per (enterprise_id, park_id) checked
    site_checks: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        counts = self.cases["outcome"].value_counts() if len(self.cases) else pd.Series(dtype=int)
        parts = ", ".join(f"{OUTCOMES[k][0]} {int(counts.get(k, 0))}" for k in OUTCOMES)
        b = self.benefit
        return (f"relocation plan: {len(self.cases)} candidate(s) ({parts}); conflicts resolved "
                f"{b.get('conflicts_resolved', 0)}, targets relieved {b.get('targets_relieved', 0)}, people relieved "
                f"{b.get('people_relieved', 0):,.0f}")


def _land(enterprises: gpd.GeoDataFrame, settings: RelocationSettings) -> tuple[pd.Series, pd.Series]:
    """Land need (ha) and its basis per firm: ``site_area_ha``, else the site polygon's area, else the default."""
    stated = pd.to_numeric(enterprises.get("site_area_ha", pd.Series(np.nan, index=enterprises.index)),
                           errors="coerce")
    area = pd.Series(np.nan, index=enterprises.index)
    for fid, geom in zip(enterprises.index, enterprises.geometry.values, strict=True):
        if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
            c = geom.centroid
            area[fid] = float(shapely.area(_project([geom], 4326, _utm(c.x, c.y))[0])) / 1e4
    land = stated.where(stated.notna(), area).fillna(settings.default_land_ha)
    basis = pd.Series(np.where(stated.notna(), "site_area_ha", np.where(area.notna(), "site polygon",
                                                                        "default")), index=enterprises.index)
    return land.round(2), basis


def plan_relocation(
    enterprises: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    inventory: pd.DataFrame,
    distances: pd.DataFrame,
    conflicts: gpd.GeoDataFrame,
    targets: gpd.GeoDataFrame,
    residential: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    grids: Sequence[IrGrid] = (),
    settings: RelocationSettings = DEFAULT_SETTINGS,
    progress: Callable[[str, int, int], None] | None = None,
    site_check: SiteChecker | None = None,
) -> RelocationPlan:
    """The relocation plan of the module docstring, items 1–5.

    ``enterprises`` (EPSG:4326, index id): ``name``, ``status``, ``park_id``, ``industry_code`` and the
    optional ``size_class``, ``major_hazard_open``, ``capacity_restricted``, ``site_area_ha``.
    ``units`` (EPSG:4326, index id): ``enterprise_id``, ``unit_type``, ``equipment``, ``fire_class``.
    ``inventory``: ``unit_id``, ``chemical``, ``max_quantity_t`` (RESTRICTED) and the catalogue fields.
    ``distances``: required distances per unit and class (as the conflict analysis reads them).
    ``conflicts``: :func:`geo_risk.analysis.conflicts.find_conflicts` rows. ``targets``: protection
    targets and residential areas (``category``, ``population``). ``residential``: residential areas.
    ``parks`` (EPSG:4326, index id): ``name``, ``recognised``, ``risk_grade``, ``free_area_ha``,
    ``industry_codes``. ``grids``: stored IR grids. ``site_check``: (firm, park) → :class:`SiteCheck`,
    the siting check of the firm placed in the park (:func:`placement`); the caller reads the store
    (:mod:`geo_risk.relocation_plan`). Without it the new-site risk is the proxy alone (and said so).
    """
    notes: list[str] = []
    step = 0

    def tick(what: str) -> None:
        nonlocal step
        step += 1
        if progress:
            progress(f"relocation: {what}", step, 7)

    screen = find_candidates(enterprises, units, parks, conflicts, residential, settings)
    tick("candidates")
    cand = enterprises.loc[screen.index[screen["candidate"]]]
    land, land_basis = _land(cand, settings)
    if "free_area_ha" not in parks.columns or parks["free_area_ha"].isna().any():
        missing = list(parks.index) if "free_area_ha" not in parks.columns else list(
            parks.index[parks["free_area_ha"].isna()])
        if missing:
            notes.append(f"{len(missing)} park(s) without free_area_ha are treated as unconstrained in land: "
                         f"{', '.join(map(str, missing[:10]))}")
    grid_of = {g.scope_id: g for g in grids if g.scope == "enterprise"}
    c = conflicts[conflicts["view"] != "cumulative"] if len(conflicts) else conflicts

    # upgrade search and forced closures
    rows = []
    for k, (fid, f) in enumerate(cand.iterrows()):
        fu = units[units["enterprise_id"] == fid]
        finv = inventory[inventory["unit_id"].isin(fu.index)]
        fdist = distances[distances["unit_id"].isin(fu.index)]
        fc = c[c["enterprise_id"] == fid] if len(c) else c
        forced = []
        if _truthy(f.get("major_hazard_open")):
            forced.append(_both("重大事故隐患未消除", "an open major accident hazard"))
        if _truthy(f.get("capacity_restricted")):
            forced.append(_both("属淘汰或限制类产能", "eliminated or restricted capacity"))
        if isinstance(f.get("size_class"), str) and f.get("size_class") in _SMALL:
            forced.append(_both(f"{'小型' if f['size_class'] == 'small' else '微型'}企业（无在册改造方案）",
                                f"{f['size_class']} firm (no plan on record)"))
        up = upgrade_search(fc, fu, finv, fdist, grid_of.get(fid), settings) if not forced else None
        rows.append({"enterprise_id": fid, "forced": forced, "upgrade": up})
        if progress and k % 10 == 0:
            progress("relocation: on-site upgrade search", k, len(cand))
    tick("on-site upgrade")

    # required distances per class (new-site proxy): the largest of final / declared / code per unit
    from geo_risk.standards.gb36894 import TARGET_CLASSES

    reach = pd.DataFrame(np.nan, index=cand.index, columns=list(TARGET_CLASSES))
    if len(distances) and len(cand):
        d = distances.merge(units[["enterprise_id"]], left_on="unit_id", right_index=True)
        cols = [k for k in ("final_distance_m", "declared_distance_m", "code_distance_m") if k in d.columns]
        d["req"] = d[cols].apply(pd.to_numeric, errors="coerce").max(axis=1)
        r = d[d["enterprise_id"].isin(cand.index)].groupby(["enterprise_id", "target_class"])["req"].max().unstack()
        known = [k for k in r.columns if k in reach.columns]
        reach.loc[r.index, known] = r[known]
    park_pts = gpd.GeoSeries(shapely.point_on_surface(np.asarray(parks.geometry.values, dtype=object)),
                             index=parks.index, crs=4326) if len(parks) else gpd.GeoSeries([], crs=4326)
    people, tcount = new_site_exposure(reach, land, park_pts, targets)
    tick("new-site exposure")

    movable = [r for r in rows if not r["forced"]]
    firms = pd.DataFrame(index=pd.Index([r["enterprise_id"] for r in movable], name="id"))
    firms["park_id"] = cand["park_id"].reindex(firms.index)
    firms["industry_code"] = cand.get("industry_code", pd.Series(None, index=cand.index)).reindex(firms.index)
    firms["land_ha"] = land.reindex(firms.index)
    firms["upgrade_share"] = [r["upgrade"].share if r["upgrade"].share is not None else np.nan for r in movable]
    firms["upgrade_feasible"] = [r["upgrade"].feasible for r in movable]
    km = pd.DataFrame(0.0, index=firms.index, columns=parks.index)
    for fid in firms.index:
        g = cand.geometry[fid].centroid
        crs = _utm(g.x, g.y)
        here = _project([g], 4326, crs)[0]
        there = _project(np.asarray(park_pts.values, dtype=object), 4326, crs)
        km.loc[fid] = shapely.distance(here, there) / 1000.0
        for pid in parks.index:
            firms.loc[fid, f"km:{pid}"] = km.loc[fid, pid]
            firms.loc[fid, f"people:{pid}"] = people.loc[fid, pid]
    problem, pair_notes = build_problem(firms, parks.drop(columns="geometry"), settings)
    checks: dict[tuple[str, str], SiteCheck] = {}
    check_seconds = 0.0
    if site_check is not None and len(problem.firms):
        t_check = time.perf_counter()
        checks = _shortlist_and_check(problem, site_check, settings.site_check_shortlist,
                                      settings.veto_mode == "exclude", progress)
        check_seconds = time.perf_counter() - t_check
        pair_notes = pair_notes.copy()
        for fid in firms.index:
            for pid in parks.index:
                chk = checks.get((str(fid), str(pid)))
                at = (pair_notes["enterprise_id"] == fid) & (pair_notes["park_id"] == pid)
                if chk is None:
                    firms.loc[fid, f"extra:{pid}"] = math.inf
                    if bool(pair_notes.loc[at, "eligible"].any()):
                        pair_notes.loc[at, "note"] = _join(pair_notes.loc[at, "note"].iloc[0],
                                                           "not shortlisted by the proxy screen: not checked")
                    continue
                if math.isfinite(chk.people_ir):
                    firms.loc[fid, f"people:{pid}"] = chk.people_ir
                extra = settings.advisory_penalty * len(chk.advisories)
                if chk.veto:
                    extra = math.inf if settings.veto_mode == "exclude" else extra + settings.veto_penalty
                firms.loc[fid, f"extra:{pid}"] = extra
                pair_notes.loc[at, "note"] = _join(pair_notes.loc[at, "note"].iloc[0], _check_text(chk))
        problem, _ = build_problem(firms, parks.drop(columns="geometry"), settings)
        tick("siting check at the new sites")
    else:
        if len(problem.firms):
            notes.append("the new-site risk is the PROXY (people within the firm's required distances around the "
                         "park's point): no siting check was run")
        tick("new-site proxy only")
    if len(problem.firms):
        mip = solve_mip(problem, settings.mip_time_limit_s)
        greedy = solve_greedy(problem)
    else:
        mip = Assignment((), 0.0, "mip (HiGHS via PuLP)", 0.0)
        greedy = Assignment((), 0.0, "greedy (one firm at a time)", 0.0)
    tick("assignment")
    chosen = dict(zip(problem.firms, mip.choice, strict=True))
    pos = {f: i for i, f in enumerate(problem.firms)}

    records, geoms = [], []
    for r in rows:
        fid = r["enterprise_id"]
        f = cand.loc[fid]
        up: UpgradeResult | None = r["upgrade"]
        site = f.geometry.centroid if f.geometry is not None else None
        park_id = None
        if r["forced"]:
            outcome, rule = "close_exit", "1"
            reason = _both("关闭退出：", "close: ") + "; ".join(r["forced"])
            cost = settings.close_cost
        else:
            ch = chosen[fid]
            i = pos[fid]
            if ch == "upgrade":
                outcome, rule = "in_situ_upgrade", "2"
                reason = _both("就地改造：", "upgrade on site: ") + up.text
                cost = float(problem.upgrade_cost[i])
            elif ch == "close":
                outcome, rule = "close_exit", "4"
                eligible = pair_notes[(pair_notes["enterprise_id"] == fid) & pair_notes["eligible"]]
                mine = [c for (f_, _), c in checks.items() if f_ == fid]
                if len(eligible) == 0:
                    why = _both("无可接收的认定园区（C/D 级、用地与产业相符）",
                                "no eligible recognised park (grade C/D, land, industry)")
                elif mine and all(c.veto for c in mine) and settings.veto_mode == "exclude":
                    why = _both(f"在已核查的 {len(mine)} 个园区新址选址论证均为不予通过（一票否决）",
                                f"the siting check at the new site says advise against (veto) in every one of the "
                                f"{len(mine)} park(s) checked")
                else:
                    why = _both("迁入园区的代价高于关闭（或用地已被更优方案占用）",
                                "moving costs more than closing (or the land went to a better use)")
                reason = (_both("关闭退出（待复核）：", "close (flag for review): ") + why + "; "
                          + (up.text if up else ""))
                cost = float(problem.close_cost[i])
            else:
                outcome, rule = "relocate_to_park", "3"
                park_id = ch
                j = problem.parks.index(ch)
                pname = parks.loc[ch, "name"] if "name" in parks.columns else ch
                note = pair_notes[(pair_notes["enterprise_id"] == fid) & (pair_notes["park_id"] == ch)]["note"]
                chk = checks.get((fid, ch))
                if chk is not None:
                    there = (_both(f"距离 {km.loc[fid, ch]:.1f} km；新址选址论证 {_VERDICT_ZH[chk.verdict]}",
                                   f"{km.loc[fid, ch]:.1f} km away; siting check at the new site: "
                                   f"{_VERDICT_EN[chk.verdict]}")
                             + (_both(f"，个人风险 ≥ 3×10⁻⁷/a 处 {chk.people_ir:.0f} 人",
                                      f", {chk.people_ir:.0f} people at IR ≥ 3×10⁻⁷/a")
                                if math.isfinite(chk.people_ir) else
                                _both(f"（{chk.method} 法，无 QRA），防护距离内 {people.loc[fid, ch]:.0f} 人",
                                      f" ({chk.method} method, no QRA), {people.loc[fid, ch]:.0f} people within "
                                      "its distances")))
                else:
                    there = _both(f"距离 {km.loc[fid, ch]:.1f} km，新址防护距离内 {people.loc[fid, ch]:.0f} 人",
                                  f"{km.loc[fid, ch]:.1f} km away, {people.loc[fid, ch]:.0f} people within "
                                  "its distances at the new site")
                reason = (_both(f"异地迁建至 {pname}：", f"relocate to {pname}: ") + up.text + "; " + there
                          + (f" ({note.iloc[0]})" if len(note) and note.iloc[0] else ""))
                cost = float(problem.move_cost[i, j])
        s = screen.loc[fid]
        geoms.append(shapely.LineString([site, park_pts[park_id]]) if park_id is not None and site is not None
                     else site)
        share = up.share if up is not None else None
        records.append({
            "enterprise_id": fid, "enterprise_name": f.get("name"), "outcome": outcome,
            "outcome_label": _both(OUTCOMES[outcome][0], OUTCOMES[outcome][1]), "colour": OUTCOMES[outcome][2],
            "park_id": park_id, "park_name": (parks.loc[park_id, "name"] if park_id and "name" in parks.columns
                                              else None),
            "decision_rule": f"decision aid test {rule} (docs/standards/parks-and-relocation.md §3)",
            "reason": reason, "in_scope_reasons": s["reasons"],
            "conflicts": int(s["conflicts"]), "targets": int(s["targets"]),
            "people_affected": float(s["people_affected"]), "density_per_km2": round(float(s["density_per_km2"]), 1),
            "land_ha": float(land[fid]), "land_basis": land_basis[fid],
            "distance_km": round(float(km.loc[fid, park_id]), 3) if park_id else None,
            "new_site_people": _new_site(checks.get((fid, park_id)), people, fid, park_id, "people"),
            "new_site_targets": _new_site(checks.get((fid, park_id)), tcount, fid, park_id, "targets"),
            "upgrade_offered": bool(up is not None and up.feasible),
            "upgrade_share": share,
            "upgrade_inventory": ("; ".join(f"{k} ≤ {v:g} t" for k, v in up.max_by_chemical.items())
                                  if up is not None and up.share is not None else None),
            "upgrade_shortfall_m": up.shortfall_m if up is not None and up.share is None else None,
            "cost": round(cost, 3),
            "fn_note": {"relocate_to_park": ("after: the old site's F-N removed (exact); the firm's own curve at the "
                                             "new site checked by the siting check (R5)" if (fid, park_id) in checks
                                             else "after: the old site's F-N removed (exact), the new site's not "
                                                  "recomputed"),
                        "close_exit": "after: F-N removed (closed; exact)",
                        "in_situ_upgrade": "after: not recomputed for the cut (run a QRA of the scenario)"}[outcome],
        })
    cases = gpd.GeoDataFrame(pd.DataFrame.from_records(records, columns=list(CASE_COLUMNS)),
                             geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
    if len(cases):
        order = {k: n for n, k in enumerate(OUTCOMES)}
        cases = cases.assign(_o=cases["outcome"].map(order)).sort_values(["_o", "enterprise_id"]).drop(
            columns="_o").reset_index(drop=True)
    moved_to = {r["enterprise_id"]: r["park_id"] for r in records if r["park_id"] is not None}
    new_grids = [checks[(f_, p_)].grid for f_, p_ in moved_to.items()
                 if (f_, p_) in checks and checks[(f_, p_)].grid is not None]
    ben = benefit(cases.set_index("enterprise_id"), c, targets, grids, units, settings, new_site_grids=new_grids,
                  new_site_checked=bool(checks))
    tick("benefit")
    park_rows = []
    for pid, p in parks.iterrows():
        used = float(cases.loc[cases["park_id"] == pid, "land_ha"].sum()) if len(cases) else 0.0
        free = _num(p.get("free_area_ha"))
        park_rows.append({"park_id": pid, "park_name": p.get("name"), "recognised": _truthy(p.get("recognised")),
                          "risk_grade": p.get("risk_grade"), "free_area_ha": free,
                          "firms_received": int((cases["park_id"] == pid).sum()) if len(cases) else 0,
                          "land_used_ha": round(used, 2),
                          "land_left_ha": None if free is None else round(free - used, 2)})
    if not grids:
        notes.append("no stored QRA grids: IR conflicts and IR bands not available (run `geo-risk risk --all`)")
    solver = {"firms_in_mip": len(problem.firms), "parks": len(problem.parks),
              "mip_objective": mip.objective, "mip_seconds": round(mip.seconds, 3),
              "greedy_objective": greedy.objective, "greedy_seconds": round(greedy.seconds, 4),
              "greedy_gap": (greedy.objective - mip.objective) if len(problem.firms) else 0.0,
              "eligible_pairs": int(pair_notes["eligible"].sum()) if len(pair_notes) else 0,
              "site_checks": len(checks), "site_checks_vetoed": sum(c.veto for c in checks.values()),
              "site_check_seconds": round(check_seconds, 3)}
    site_rows = pd.DataFrame([{"enterprise_id": f_, "park_id": p_, **c.row(),
                               "chosen": moved_to.get(f_) == p_} for (f_, p_), c in checks.items()])
    tick("done")
    return RelocationPlan(cases, screen, pd.DataFrame(park_rows), ben, settings.describe(), notes, solver, site_rows)


_VERDICT_ZH = {"advise_against": "不予通过", "conditional": "有条件通过", "no_objection": "通过"}
_VERDICT_EN = {"advise_against": "advise against", "conditional": "conditional", "no_objection": "no objection"}


def _join(a: Any, b: str) -> str:
    return f"{a}; {b}" if isinstance(a, str) and a else b


def _check_text(c: SiteCheck) -> str:
    head = f"siting check at the new site: {_VERDICT_EN[c.verdict]}"
    if c.rules:
        head += f" ({', '.join(c.rules)})"
    return head


def _new_site(chk: SiteCheck | None, proxy: pd.DataFrame, fid: str, park_id: str | None, what: str) -> float | None:
    """People (or targets) the firm puts at risk at its new site: the siting check's at IR ≥ 3×10⁻⁷/a, else
    the proxy's within its distances."""
    if not park_id:
        return None
    if chk is not None and math.isfinite(chk.people_ir):
        return float(chk.people_ir) if what == "people" else int(chk.targets_ir)
    return float(proxy.loc[fid, park_id]) if what == "people" else int(proxy.loc[fid, park_id])
