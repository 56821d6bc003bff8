"""The README's "Before and after the fidelity work" table, "after" column, recomputed on the current model.

Every value comes from the engine's own public functions (``geo_risk.risk``: ``build_scenarios``,
``cloud_model``, the outcomes' ``lethality``, ``risk_field``, ``iso_risk_polygons``,
``societal_events``) or from the risk runs stored by ``geo-risk risk --all``. It prints a markdown
table (row label | value) and the model version; progress lines go to stderr.

    GEO_RISK_DATA_DIR=/tmp/figs_geo .venv/bin/geo-risk demo --no-serve
    GEO_RISK_DATA_DIR=/tmp/figs_geo .venv/bin/geo-risk risk --all
    GEO_RISK_DATA_DIR=/tmp/figs_geo .venv/bin/python scripts/fidelity_figures.py   # or --url postgresql+psycopg2://…

Nobody kept the script behind the table's first "after" column (session 5, README commit cef41ea),
so each row's case is read from its label, the commit messages and the standards notes:

- **Single releases** (rows "85 t Cl₂ …", "2,000 t propane …", "100 t NH₃ …"): one pressure vessel
  (single containment, storage, 20 °C, liquefied under pressure, no vessel fields, so the whole
  quantity is one vessel), built as ``tests/risk/test_far_field_choice.py`` and
  ``benchmarks/risk.py`` build them: chlorine (7782-50-5) at 0.58 MPa, propane (74-98-6) at
  0.75 MPa, ammonia (7664-41-7) at 0.75 MPa (about its vapour pressure at 20 °C, gauge; the
  gauge pressure sets only the G.3 hole rate, not read here). "Instantaneous" is LOC G.1 (the
  whole inventory at once), "continuous (G.2)" the whole inventory over 10 min (85 t: 141.7 kg/s,
  as docs/standards/dense-gas-and-puffs.md §1.7a). Weather: Purple Book F1.5 / D5, rural Briggs
  (the default ``Weather``), as the row labels say.
- **Concentration at 1 km**: the G.1 cloud's footprint concentration (the largest as the puff
  passes, at the 1 m receptor height) on the downwind axis at 1,000 m, from
  ``dispersion.cloud_model`` of the outcome's own release — the quantity the old 34.9 kg/m³ was.
- **x % lethality reach / LFL reach**: the farthest point on the downwind axis (sampled every
  metre out to the outcome's ``max_distance_m``) where the outcome's ``lethality`` is ≥ x (the
  flash fire's is 1 inside the LFL footprint). Marked "(travel limit)" when it is within 1 % of
  ``dispersion.distance_limit_m`` (one hour of travel: 5.4 km in F1.5).
- **One Cl₂ vessel, 3×10⁻⁷/a reach**: the vessel of ``benchmarks/sector_smoothing.py`` (30 t at
  0.58 MPa, ``benchmarks/risk.py`` templates), the six Purple Book classes equally likely, the
  uniform 16-sector rose, sectors smoothed over their width, IR on a 5 m grid; the farthest vertex of
  the 3×10⁻⁷ contour from the vessel. The label says "(old passive model)" and commit 2fe6765
  computed 136 m with the passive Gaussian, so the row's value forces ``dispersion="passive"`` on
  the toxic outcomes (it shows the sector smoothing alone); the current model's own (dense-gas)
  reach is printed on the next row.
- **Ammonia 330 t store / gasoline 4,000 t (3 tanks)**: the sample city's units of those
  inventories — HU-0126 液氨球罐区 (ENT-0053: 330 t in one 520 t sphere) and HU-0264 汽油罐区
  (ENT-0126: 4,000 t in 3 × 1,440 t tanks), read from the store — each alone (not its enterprise),
  with its dispersion terrain from the city's built-up land as ``assess_scope`` chooses it, the
  default rose and smoothing, IR on a 5 m grid; the reach is the contour's farthest vertex from the
  unit's position (where the engine lumps its vessels), with the distance beyond the unit's
  outline in brackets.
- **Store rows**: the enterprise runs stored by ``geo-risk risk --all`` (25 m cells, uniform rose,
  Purple Book population): F-N region per run (the 49 QRA enterprises), largest N = the largest N
  of the stored F-N curve. For the enterprise with the largest N, the outcome behind it is found
  by recomputing N per event (``societal_events`` on the city's populated places, as the run does),
  then per weather class for that event; its area is the lethality-weighted footprint area
  (∑ P·dA on a 5 m lattice in the wind frame; for a flash fire, the LFL envelope's area).

The output carries restricted figures (quantities and released masses): it is for the analysts who
maintain the README.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from geo_risk.risk.contours import iso_risk_polygons, reach_of_polygon
from geo_risk.risk.dispersion import CloudSpec, cloud_model, distance_limit_m
from geo_risk.risk.grid import Event, Grid, Source, WindRose, risk_field, societal_events
from geo_risk.risk.lethality import ContinuousRelease, ToxicCloud, as_event
from geo_risk.risk.parameters import MODEL_VERSION
from geo_risk.risk.run import RiskSettings
from geo_risk.risk.scenarios import build_scenarios
from geo_risk.risk.weather import Weather

F15, D5 = Weather("F", 1.5), Weather("D", 5.0)
AMMONIA_UNIT, GASOLINE_UNIT = "HU-0126", "HU-0264"


def progress(msg: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- single releases ------------------------------------------------------------------------------

def one_vessel(chemical: str, cas: str, quantity_t: float, pressure_mpa: float) -> tuple[list[Event], pd.DataFrame]:
    """The events and scenario table of one pressure vessel of ``quantity_t`` t at 20 °C (at the origin)."""
    units = pd.DataFrame([{"id": "U", "equipment": "pressure_vessel", "operating_pressure_mpa": pressure_mpa,
                           "name": chemical, "containment": "single", "unit_type": "storage",
                           "operating_temperature_c": 20.0, "enterprise_id": "E"}]).set_index("id")
    inv = pd.DataFrame([{"unit_id": "U", "id": "I", "chemical": chemical, "cas": cas, "max_quantity_t": quantity_t,
                         "pressure_mpa": pressure_mpa, "table1_seq": None, "hazard_categories": None,
                         "state": "liquefied_pressurized", "temperature_c": 20.0}])
    built = build_scenarios(units, inv, {"U": (0.0, 0.0)})
    if built.problems or len(built.sources) != 1:
        raise RuntimeError(f"{chemical} {quantity_t:g} t did not build: {built.problems}")
    return list(built.sources[0].events), built.scenarios


def outcome_of(events: list[Event], loc: str, kind: str) -> Any:
    """The outcome object of the first event of LOC ``loc`` (e.g. "G.1") and kind (toxic, flash_fire)."""
    for e in events:
        if f" {loc} " in f" {e.name} " and e.kind == kind:
            return e.lethality.__self__  # type: ignore[attr-defined]  # the bound method's outcome
    raise RuntimeError(f"no {loc} {kind} event among {[e.name for e in events]}")


def axis_reach_m(outcome: Any, weather: Weather, level: float) -> float:
    """Farthest downwind distance (m) on the axis where the lethality is ≥ ``level`` (1 m steps)."""
    far = float(outcome.max_distance_m(weather))
    xs = np.arange(1.0, max(far, 10.0) + 2.0, 1.0)
    p = outcome.lethality(xs, np.zeros_like(xs), weather)
    hit = np.flatnonzero(p >= level)
    return float(xs[hit[-1]]) if hit.size else 0.0


def km(d_m: float, weather: Weather) -> str:
    """A reach in km, marked when the one-hour travel limit binds."""
    limit, _why = distance_limit_m(weather)
    mark = " (travel limit)" if d_m >= 0.99 * limit else ""
    return f"{d_m / 1000:.2f} km{mark}"


def concentration_kg_m3(outcome: ToxicCloud, weather: Weather, x_m: float) -> float:
    """The outcome's footprint concentration (kg/m³) on the downwind axis at ``x_m`` (as ToxicCloud builds it)."""
    rel = outcome.release
    t_s = rel.source_temperature_k if rel.source_temperature_k is not None else outcome.cloud_temperature_k
    molar = outcome._molar_mass()  # noqa: SLF001 - the default from geo_risk/chemicals, as the outcome uses
    if isinstance(rel, ContinuousRelease):
        spec = CloudSpec(False, rel.rate_kg_s, rel.duration_s, rel.height_m, molar, rel.source_density_kg_m3, t_s,
                         outcome.dispersion, outcome.terrain)
    else:
        spec = CloudSpec(True, rel.mass_kg, math.inf, rel.height_m, molar, rel.source_density_kg_m3, t_s,
                         outcome.dispersion, outcome.terrain)
    cloud = cloud_model(spec, weather)
    return float(cloud.concentration_kg_m3(np.array([x_m]), np.array([0.0]))[0])


def single_release_rows() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    progress("85 t Cl2: G.1 and G.2 (F1.5, D5)")
    cl2, _ = one_vessel("液氯", "7782-50-5", 85.0, 0.58)
    g1, g2 = outcome_of(cl2, "G.1", "toxic"), outcome_of(cl2, "G.2", "toxic")
    c = concentration_kg_m3(g1, F15, 1000.0)
    rows.append(("85 t Cl₂ instantaneous, F1.5: concentration at 1 km", f"{c:.3g} kg/m³"))
    rows.append(("same, 50 % lethality reach, F1.5 / D5",
                 f"{km(axis_reach_m(g1, F15, 0.5), F15)} / {km(axis_reach_m(g1, D5, 0.5), D5)}"))
    rows.append(("85 t Cl₂ continuous (G.2), 50 % reach, F1.5 / D5",
                 f"{km(axis_reach_m(g2, F15, 0.5), F15)} / {km(axis_reach_m(g2, D5, 0.5), D5)}"))
    progress("2,000 t propane: G.1 flash fire (F1.5, D5)")
    c3, _ = one_vessel("丙烷", "74-98-6", 2000.0, 0.75)
    ff = outcome_of(c3, "G.1", "flash_fire")
    rows.append(("2,000 t propane instantaneous, LFL reach F1.5 / D5",
                 f"{km(axis_reach_m(ff, F15, 0.5), F15)} / {km(axis_reach_m(ff, D5, 0.5), D5)}"))
    progress("100 t NH3: G.1 toxic (F1.5)")
    nh3, _ = one_vessel("氨", "7664-41-7", 100.0, 0.75)
    tox = outcome_of(nh3, "G.1", "toxic")
    rows.append(("100 t NH₃ instantaneous, 50 % / 1 % reach, F1.5",
                 f"{km(axis_reach_m(tox, F15, 0.5), F15)} / {km(axis_reach_m(tox, F15, 0.01), F15)}"))
    return rows


# -- IR contours ----------------------------------------------------------------------------------

def contour_reaches(sources: list[Source], levels: tuple[float, ...], x: float, y: float, half_m: float = 2000.0,
                    cell_m: float = 5.0, outline: Any = None) -> dict[float, tuple[float, float | None]]:
    """{level: (farthest contour vertex from (x, y), m; farthest beyond ``outline``, m or None)} on a
    ``cell_m`` grid of ±``half_m`` around (x, y), default rose (six PB classes, uniform 16 sectors),
    sectors smoothed as ``RiskSettings`` does. Raises when a contour touches the grid's edge."""
    import shapely

    settings = RiskSettings(cell_m=cell_m)
    n = int(2 * half_m / cell_m) + 1
    grid = Grid(math.floor((x - half_m) / cell_m) * cell_m, math.floor((y - half_m) / cell_m) * cell_m, cell_m, n, n)
    ir = risk_field(grid, sources, settings.rose(), smoothing=settings.smoothing()).ir
    out: dict[float, tuple[float, float | None]] = {}
    for level, geom in iso_risk_polygons(grid, ir, list(levels)):
        if geom is None or geom.is_empty:
            out[level] = (0.0, 0.0 if outline is not None else None)
            continue
        reach = reach_of_polygon(geom, x, y)
        if reach > half_m - 2 * cell_m:
            raise RuntimeError(f"the {level:g}/a contour reaches the grid's edge ({reach:.0f} m): widen half_m")
        beyond = None
        if outline is not None:
            pts = shapely.points(shapely.get_coordinates(geom.boundary))
            beyond = float(shapely.distance(pts, outline).max())
        out[level] = (reach, beyond)
    return out


def passive(events: list[Event]) -> list[Event]:
    """The same events with every toxic cloud forced to the passive Gaussian (the old model's dispersion)."""
    import dataclasses

    out = []
    for e in events:
        o = e.lethality.__self__  # type: ignore[attr-defined]
        if isinstance(o, ToxicCloud):
            e = as_event(dataclasses.replace(o, dispersion="passive"), e.frequency, e.name)
        out.append(e)
    return out


def chlorine_vessel_rows() -> list[tuple[str, str]]:
    progress("one 30 t Cl2 vessel: IR on a 5 m grid, passive and dense")
    events, _ = one_vessel("液氯", "7782-50-5", 30.0, 0.58)  # = benchmarks/risk.py templates()["chlorine"]
    old = contour_reaches([Source(0.0, 0.0, tuple(passive(events)), "Cl2 passive")], (3e-7,), 0.0, 0.0, 1500.0)
    new = contour_reaches([Source(0.0, 0.0, tuple(events), "Cl2")], (3e-7,), 0.0, 0.0, 1500.0)
    return [("one Cl₂ vessel, 3×10⁻⁷/a reach (old passive model)", f"{old[3e-7][0]:,.0f} m, smoothed"),
            ("(same vessel, the current dense-gas model)", f"{new[3e-7][0]:,.0f} m, smoothed")]


def store_unit_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    from geo_risk.risk.dispersion import terrain_by_land_use
    from geo_risk.risk.run import utm_crs_for

    rows: list[tuple[str, str]] = []
    for uid, label, levels in ((AMMONIA_UNIT, "ammonia 330 t store, 3×10⁻⁷/a reach", (3e-7,)),
                               (GASOLINE_UNIT, "gasoline 4,000 t (3 tanks), 3×10⁻⁷ / 1×10⁻⁵ reach", (3e-7, 1e-5))):
        progress(f"{uid} alone: IR on a 5 m grid")
        unit = data["units"].loc[[uid]]
        centre = unit.geometry.iloc[0].centroid
        crs = utm_crs_for(centre.x, centre.y)
        unit = unit.to_crs(crs)
        inv = data["inventory"][data["inventory"]["unit_id"] == uid]
        geom = unit.geometry.iloc[0]
        pos = {uid: (geom.centroid.x, geom.centroid.y)}
        terrain = terrain_by_land_use(pos, data["residential"].to_crs(crs), RiskSettings().terrain)[uid]
        frame = unit.drop(columns="geometry").assign(dispersion_terrain=[terrain.terrain],
                                                     dispersion_terrain_note=[terrain.note])
        built = build_scenarios(frame, inv, pos)
        if built.problems or not built.sources:
            raise RuntimeError(f"{uid} did not build: {built.problems}")
        outcomes = sorted(set(built.scenarios["outcome"]))
        got = contour_reaches(list(built.sources), levels, *pos[uid], outline=geom)
        parts = [f"{got[lv][0]:,.0f} m ({got[lv][1]:,.0f} m beyond the outline)" if got[lv][0] > 0 else "–"
                 for lv in levels]
        summary = ", ".join(f"{r.chemical} {r.max_quantity_t:g} t, {int(r.vessel_count)} × {r.vessel_capacity_t:g} t"
                            for r in inv.itertuples())
        rows.append((label, f"{' / '.join(parts)} [{uid} {data['units'].loc[uid, 'name']}: {summary}; "
                            f"{terrain.terrain}; outcomes {', '.join(outcomes)}]"))
    return rows


# -- the stored runs ------------------------------------------------------------------------------

def stored_runs(url: str) -> pd.DataFrame:
    from geo_risk.store.risk_results import list_runs

    runs = pd.DataFrame([r for r in list_runs(url) if r["scope"] == "enterprise"])
    if runs.empty:
        raise SystemExit("no enterprise risk runs in this store: run `geo-risk risk --all` first")
    runs["max_n"] = [max(fn["n"]) if fn and fn.get("n") else 0.0 for fn in runs["fn"]]
    return runs.set_index("scope_id")


def largest_n_outcome(data: dict[str, Any], enterprise: str, criteria: str) -> str:
    """The event and weather class behind an enterprise's largest N, recomputed per event."""
    from geo_risk.risk.run import scope_scenarios
    from geo_risk.risk_runs import _scope_inputs

    settings = RiskSettings()
    inputs = _scope_inputs(data, "enterprise", enterprise, [enterprise], criteria, settings.cell_m)
    built, _ = scope_scenarios(inputs, settings)
    px, py, presence = inputs.places[:3]  # type: ignore[index]
    model = settings.population_model()
    people = model.split(presence)
    rose, smoothing = settings.rose(), settings.smoothing()
    best: tuple[float, int, int] = (0.0, -1, -1)
    total = sum(len(s.events) for s in built.sources)
    k = 0
    for si, source in enumerate(built.sources):
        for ei, event in enumerate(source.events):
            k += 1
            _f, n = societal_events(px, py, people, [Source(source.x, source.y, (event,), source.name)], rose,
                                    smoothing=smoothing, population_model=model)
            top = float(n.max()) if n.size else 0.0
            progress(f"  {enterprise} event {k}/{total} {event.name}: largest N {top:,.1f}")
            if top > best[0]:
                best = (top, si, ei)
    n_max, si, ei = best
    source, event = built.sources[si], built.sources[si].events[ei]
    by_weather = []
    for w in rose.weathers:
        _f, n = societal_events(px, py, people, [Source(source.x, source.y, (event,), source.name)],
                                WindRose.uniform([w]), smoothing=smoothing, population_model=model)
        by_weather.append((float(n.max()) if n.size else 0.0, w))
    _n, weather = max(by_weather, key=lambda t: t[0])
    area = lethal_area_km2(event, weather)
    row = built.scenarios[(built.scenarios["source_index"] == si) & (built.scenarios["event_index"] == ei)].iloc[0]
    mass = (f"{row['release_mass_kg'] / 1000:g} t" if pd.notna(row["release_mass_kg"])
            else f"{row['release_rate_kg_s']:.1f} kg/s for {row['release_duration_s']:g} s")
    vessels = int(row["vessel_count"]) if pd.notna(row["vessel_count"]) else 1
    return (f"{source.name.split('/')[0]} {row['loc']} {row['outcome']}: {mass} of {row['chemical']} "
            f"(one vessel of {vessels}) in {weather.label}, lethal area {area:.2f} km² (Σ P·dA); "
            f"{settings.population_treatment} population; N recomputed per event {n_max:,.1f}")


def lethal_area_km2(event: Event, weather: Weather, cell_m: float = 5.0) -> float:
    """∑ P·dA (km²) of an event in ``weather`` over its footprint box (wind frame), on ``cell_m`` cells."""
    if event.footprint_m is not None:
        down_min, down_max, cross = event.footprint_m(weather)
    else:
        r = float(event.max_distance_m(weather))
        down_min, down_max, cross = -r, r, r
    xs = np.arange(math.floor(down_min), math.ceil(down_max) + cell_m, cell_m)
    ys = np.arange(-math.ceil(cross), math.ceil(cross) + cell_m, cell_m)
    total = 0.0
    for chunk in np.array_split(xs, max(1, len(xs) * len(ys) // 2_000_000 + 1)):
        gx, gy = np.meshgrid(chunk, ys)
        total += float(np.sum(event.lethality(gx.ravel(), gy.ravel(), weather)))
    return total * cell_m * cell_m / 1e6


def store_rows(url: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    runs = stored_runs(url)
    versions = {str(v).split(";")[0] for v in runs["model_version"]}
    stale = int((~runs["current"].astype(bool)).sum())
    if not all(v.startswith(MODEL_VERSION.split(" (")[0]) for v in versions) or stale:
        progress(f"WARNING: stored runs of another model or stale inputs ({versions}; {stale} stale): "
                 "re-run geo-risk risk --all")
    counts = runs["fn_region"].value_counts()
    regions = " / ".join(str(int(counts.get(r, 0))) for r in ("unacceptable", "alarp", "acceptable"))
    rows = [(f"F-N regions: unacceptable / ALARP / acceptable (of {len(runs)})", regions)]

    def n_of(e: str) -> str:
        return f"{runs.loc[e, 'max_n']:,.1f}" if e in runs.index else "no run"

    rows.append(("largest N of ENT-0001 / ENT-0030", f"{n_of('ENT-0001')} / {n_of('ENT-0030')}"))
    top = str(runs["max_n"].idxmax())
    progress(f"largest stored N: {top} {runs.loc[top, 'max_n']:,.1f}; finding its outcome (one event at a time)")
    what = largest_n_outcome(data, top, str(runs.loc[top, "criteria"]))
    rows.append(("largest N of any enterprise", f"{runs.loc[top, 'max_n']:,.0f} ({top}: {what})"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="SQLAlchemy URL of the store (default: the embedded store of GEO_RISK_DATA_DIR)")
    args = ap.parse_args()
    url = args.url
    if url is None:
        from geo_risk.settings import get_settings
        from geo_risk.store.db import resolve_url

        url = resolve_url(get_settings(), start=True)
    from geo_risk.risk_runs import _read

    t0 = time.perf_counter()
    progress("reading the store")
    data = _read(url)
    rows = store_rows(url, data)
    rows += single_release_rows()
    rows += chlorine_vessel_rows()
    rows += store_unit_rows(data)
    progress(f"done in {time.perf_counter() - t0:.0f} s")
    print(f"model: {MODEL_VERSION}\n")
    print("| | after (this model) |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
