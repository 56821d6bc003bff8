"""Run the joint-prevention cluster analysis on the store, store it, export it (``geo-risk clusters``).

The I/O edge around :func:`geo_risk.analysis.clusters.find_clusters`: reads the store
(:func:`geo_risk.store.clusters.read_inputs`), projects every layer to one metric CRS — the WGS 84
UTM zone of the enterprises' centre (scale error under 0.1 % within 3° of its meridian; a province
wider than that keeps its distances within about 1 %) — runs the engine, and stores the result with
the inputs version and the rules used (:func:`geo_risk.store.clusters.save_clusters`). Registered as a
step of ``geo-risk analyse``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cluster_rules", "run_clusters", "clusters_current", "export_clusters", "CLUSTER_SUFFIXES", "metric_crs",
           "rules_text"]

Progress = Callable[[str, int, int], None]
CLUSTER_SUFFIXES = (".gpkg", ".csv", ".xlsx")


def cluster_rules(settings: Any = None):  # noqa: ANN201 - a ClusterRules
    """The cluster rules from the service settings (``GEO_RISK_CLUSTERS_*``)."""
    from geo_risk.analysis.clusters import ClusterRules
    from geo_risk.settings import get_settings

    s = settings or get_settings()
    heat = tuple(s.clusters_heat_thresholds_kw_m2)
    blast = tuple(s.clusters_blast_thresholds_kpa)
    fb = tuple(s.clusters_fallback_m)
    return ClusterRules(heat_atmospheric_kw_m2=heat[0], heat_pressurised_kw_m2=heat[1],
                        blast_atmospheric_kpa=blast[0], blast_pressurised_kpa=blast[1], blast_elongated_kpa=blast[2],
                        blast_small_kpa=blast[3], fallback_unit_distance_m=fb[0], fallback_boundary_distance_m=fb[1],
                        policy_distance_m=s.clusters_policy_distance_m,
                        policy_min_weight=s.clusters_policy_min_weight, policy_max_links=s.clusters_policy_max_links)


def metric_crs(enterprises: Any) -> str:
    """The UTM zone (EPSG:326xx/327xx) of the centre of ``enterprises``' bounds (EPSG:4326)."""
    from geo_risk.risk.run import utm_crs_for

    if not len(enterprises):
        return "EPSG:32650"
    x0, y0, x1, y1 = enterprises.total_bounds
    return utm_crs_for((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def run_clusters(url: str, progress: Progress | None = None, *, settings: Any = None, rules: Any = None) -> str:
    """Compute the clusters from the store and store them; return the summary with the rules used."""
    from geo_risk.analysis.clusters import find_clusters
    from geo_risk.store import clusters as store
    from geo_risk.store.results import inputs_version

    started = time.perf_counter()
    rules = rules or cluster_rules(settings)
    if progress:
        progress("clusters: reading", 0, 3)
    version = inputs_version(url)
    basis = store.current_basis(url)
    data = store.read_inputs(url, rules.contour_level_per_year)
    crs = metric_crs(data["enterprises"])
    if progress:
        progress("clusters: analysing", 1, 3)
    result = find_clusters(
        data["enterprises"].to_crs(crs), data["units"].to_crs(crs), data["inventory"], data["assessments"],
        data["contours"].to_crs(crs) if len(data["contours"]) else None, data["residential"].to_crs(crs),
        data["targets"].to_crs(crs), rules,
    )
    result.settings["metric_crs"] = crs
    if not len(data["contours"]):
        result.notes.append("no current 3×10⁻⁶/a contours stored (run geo-risk risk): people not counted")
    if progress:
        progress("clusters: storing", 2, 3)
    summary = result.summary()
    store.save_clusters(url, result, inputs_version=version, basis=basis, seconds=time.perf_counter() - started,
                        summary=summary)
    if progress:
        progress("clusters", 3, 3)
    return summary + "\n" + rules_text(result.settings) + "".join(f"\n  note: {n}" for n in result.notes)


def rules_text(settings: dict[str, Any]) -> str:
    """The thresholds and choices used, with their tags: printed on every output."""
    v = settings["values"]
    thr = "; ".join(f"{r['vector']} {r['equipment_class']} {r['value']:g} {r['unit']}"
                    for r in settings["thresholds"] if r["value"] is not None)
    return (f"  rules: escalation thresholds (UNCONFIRMED, Cozzani et al. 2006 as cited): {thr}; fire and fireball "
            f"engulfment escalate; fallback (CHOICE): units ≤ {v['fallback_unit_distance_m']:g} m, or boundaries ≤ "
            f"{v['fallback_boundary_distance_m']:g} m with two major hazards; policy (CHOICE): same park or ≤ "
            f"{v['policy_distance_m']:g} m, shared GB/T 4754 division or dominant hazard class, weight ≥ "
            f"{v['policy_min_weight']:g}, each plant's {v.get('policy_max_links', 0) or 'all'} strongest")


def clusters_current(url: str) -> bool:
    """Whether the stored cluster analysis is current (for ``geo-risk analyse``)."""
    from geo_risk.store.clusters import clusters_are_current

    return clusters_are_current(url)


def export_clusters(url: str, out: Path, *, enterprise_id: str | None = None, park_id: str | None = None
                    ) -> list[Path]:
    """Write the stored clusters (all, one enterprise's, or those reaching one park) for a park committee.

    ``.xlsx``: sheets 集群 clusters (members, lead and why, links per kind, people, combined R, worst
    colour), 成员 members, 联系 links (each with its reason), 规则 rules (the thresholds and choices
    with tags), 说明 notes. ``.gpkg``: layers ``clusters`` (outlines), ``cluster_links`` (lines) and
    the tables ``cluster_members``, ``cluster_rules``. ``.csv``: the clusters, beside
    ``<name>_links.csv``, ``<name>_members.csv`` and ``<name>.settings.json``. Texts are rendered for
    the operator (who holds the database): link values included. Returns the files written.

    Raises
    ------
    geo_risk.errors.InvalidInput
        Another suffix, or a folder that does not exist.
    geo_risk.errors.NotFound
        No stored analysis, or nothing for that enterprise or park.
    """
    import json

    import pandas as pd
    import pyogrio

    from geo_risk.disclosure import disclose
    from geo_risk.errors import InvalidInput, NotFound
    from geo_risk.store import clusters as store

    out = Path(out)
    if out.suffix.lower() not in CLUSTER_SUFFIXES:
        raise InvalidInput(f"--out must end in {', '.join(CLUSTER_SUFFIXES)}; got {out.name!r}")
    if not out.parent.exists():
        raise InvalidInput(f"the folder of --out does not exist: {out.parent}")
    run = store.latest_run(url)
    if run is None:
        raise NotFound("no cluster analysis stored: run geo-risk clusters (or geo-risk analyse) first")
    clusters = store.clusters_frame(url, enterprise_id=enterprise_id, park_id=park_id)
    if not len(clusters):
        what = f"enterprise {enterprise_id!r}" if enterprise_id else f"park {park_id!r}"
        raise NotFound(f"no stored cluster holds {what}")
    ids = list(clusters.index)
    links = store.links_frame(url, ids)
    members = store.members_of(url, ids)
    for frame in (clusters, links):
        for col in frame.columns:
            if col != frame.geometry.name:
                frame[col] = frame[col].map(lambda v: disclose(v, "restricted") if isinstance(v, str) else v)
    kinds = links.groupby(["cluster_id", "kind"]).size().unstack(fill_value=0) if len(links) else pd.DataFrame()
    table = clusters.drop(columns="geometry").copy()
    for k in ("domino", "fallback", "policy"):
        table[f"links_{k}"] = kinds[k].reindex(table.index).fillna(0).astype(int) if k in kinds else 0
    table.insert(0, "current", bool(run["current"]))
    settings = run["settings"]
    rules = pd.DataFrame(
        [{"rule": k, "value": json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v,
          "tag": settings["tags"].get(k, "")} for k, v in settings["values"].items()]
        + [{"rule": f"threshold {r['vector']} / {r['equipment_class']}", "value": r["value"],
            "tag": f"{r['tag']}: {r['source']} ({r['unit']})"} for r in settings["thresholds"]])
    notes = pd.DataFrame({"note": [*list(run["notes"] or []), f"computed at {run['computed_at']}; inputs version "
                                   f"{run['inputs_version']}; current: {bool(run['current'])}"]})
    suffix = out.suffix.lower()
    written: list[Path] = [out]
    if suffix == ".xlsx":
        with pd.ExcelWriter(out) as xl:
            table.reset_index().to_excel(xl, sheet_name="集群 clusters", index=False)
            members.to_excel(xl, sheet_name="成员 members", index=False)
            links.drop(columns="geometry").reset_index(drop=True).to_excel(xl, sheet_name="联系 links", index=False)
            rules.to_excel(xl, sheet_name="规则 rules", index=False)
            notes.to_excel(xl, sheet_name="说明 notes", index=False)
    elif suffix == ".gpkg":
        if out.exists():
            out.unlink()
        pyogrio.write_dataframe(clusters.assign(current=bool(run["current"])).reset_index(), out, layer="clusters")
        if len(links):
            pyogrio.write_dataframe(links.reset_index(drop=True), out, layer="cluster_links", append=True)
        for name, frame in (("cluster_members", members), ("cluster_rules", rules)):
            pyogrio.write_dataframe(frame, out, layer=name, append=True)
    else:
        table.reset_index().to_csv(out, index=False, encoding="utf-8-sig")
        lk = out.with_name(out.stem + "_links.csv")
        links.assign(line_wkt=links.geometry.to_wkt()).drop(columns="geometry").to_csv(lk, index=False,
                                                                                       encoding="utf-8-sig")
        mb = out.with_name(out.stem + "_members.csv")
        members.to_csv(mb, index=False, encoding="utf-8-sig")
        side = out.with_suffix(".settings.json")
        side.write_text(json.dumps({"settings": settings, "notes": run["notes"]}, ensure_ascii=False, indent=1,
                                   default=str), encoding="utf-8")
        written += [lk, mb, side]
    return written
