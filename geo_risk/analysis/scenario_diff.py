"""Before/after scenarios: planned changes applied to the city's inputs in memory, and the difference (pure).

A scenario is a list of :class:`Change` (issue 14, "before/after scenarios"), applied in order to
:class:`CityFrames` (the store's inputs as frames, EPSG:4326) by :func:`apply_changes`; the store is
never written. The kinds:

- ``add_project``: a planned hazardous project (the siting-check request shape: site, unit type,
  unit fields, inventory; or several units) becomes a planned enterprise with its units and items;
- ``remove_enterprise``: an enterprise relocated away or closed: it and its units leave the inputs;
- ``move_to_park``: an enterprise's units placed in a chemical park as the relocation plan places
  a firm (:mod:`geo_risk.analysis.relocation`: the site's centroid moved onto the park's point on
  surface, or a point given), every unit and the site polygon translated by the same vector in
  metres (the site's UTM zone), the enterprise's ``park_id`` set to the park;
- ``cut_inventory``: a unit's item (or all its items, or all the items of an enterprise) cut to a
  new design maximum (t) or to a share (0–1) of it. An item cut to 0 t leaves the inventory, and a
  unit left without items leaves the units (a unit holding no hazardous chemical is no hazard
  unit): cutting an enterprise's whole inventory to 0 is removing it;
- ``add_development``: a sensitive development (polygon or point, GB 36894 kind, population)
  joins the residential areas (``kind`` residential) or the protection targets.

The difference (:func:`difference_field`) is taken on ONE grid: the lattice every QRA grid of the
engine shares (cell centres on multiples of the cell size in the local UTM zone), over the union of
the extents of the grids the scenario touches. Cumulative IR before = the stored grids of every
enterprise there; after = the untouched enterprises' stored grids plus the touched enterprises'
recomputed grids (float32 as stored). The difference after − before is the recomputed minus the
stored grids of the touched enterprises (the others cancel exactly). :func:`crossings` traces the
after field's iso-risk contours at the GB 36894 levels and where the field crosses each level
("raised": at or above it after and below before; "lowered": the reverse). :func:`people_by_band`
counts people per IR band (service colours on the GB 36894 ladder) at each target's representative
point, before and after, as the relocation plan's benefit does. :func:`conflict_changes` keys the
conflicts of :func:`geo_risk.analysis.conflicts.find_conflicts` by rule × unit (or enterprise) ×
target and lists those added and removed. :func:`plot_fn_before_after` draws the F-N curves before
(dashed) and after (solid) on one plot with the GB 36894 lines.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_risk.analysis.colours import DEFAULT_RULES, ColourRules, ir_colours
from geo_risk.analysis.ir_field import IrGrid, sample_points
from geo_risk.errors import InvalidInput
from geo_risk.standards.gb36894 import TARGET_CLASSES, individual_risk_criterion_per_year

__all__ = ["CHANGE_TYPES", "IR_LEVELS", "Change", "CityFrames", "Applied", "DiffField", "apply_changes",
           "difference_field", "crossings", "people_by_band", "conflict_changes", "plot_fn_before_after",
           "field_at_points", "CONFLICT_KEY", "crs_name"]

#: change type → (中文, English)
CHANGE_TYPES: dict[str, tuple[str, str]] = {
    "add_project": ("新增危险化学品项目", "a planned hazardous project"),
    "remove_enterprise": ("企业搬离或关闭", "an enterprise relocated away or closed"),
    "move_to_park": ("企业迁入园区", "an enterprise moved into a park"),
    "cut_inventory": ("削减存量", "an inventory cut"),
    "add_development": ("新增敏感开发", "a planned sensitive development"),
}
#: The GB 36894 Table 1 criteria (per year), both columns: the levels of the difference contours.
IR_LEVELS: tuple[float, ...] = tuple(sorted({individual_risk_criterion_per_year(c, k) for c in TARGET_CLASSES
                                             for k in ("new", "existing")}))
#: What identifies a conflict across before and after: rule × unit (or enterprise, or "all") × target.
CONFLICT_KEY = "conflict_id"


@dataclass(frozen=True)
class Change:
    """One checked change: its position in the scenario, its type (:data:`CHANGE_TYPES`) and fields."""

    index: int
    type: str
    params: dict[str, Any]

    def where(self, field_name: str = "") -> str:
        """``changes[i].field`` for messages."""
        return f"changes[{self.index}]" + (f".{field_name}" if field_name else "")


@dataclass
class CityFrames:
    """The inputs a scenario changes (EPSG:4326, index the id).

    ``enterprises``: ``name``, ``status``, ``park_id``. ``units``: ``enterprise_id`` and the unit
    columns. ``inventory``: ``unit_id``, ``chemical``, ``max_quantity_t`` (t, RESTRICTED) and the
    catalogue fields. ``residential``: ``population``. ``targets``: ``population``, ``kind``.
    ``parks``: the chemical parks (``name``).
    """

    enterprises: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    inventory: pd.DataFrame
    residential: gpd.GeoDataFrame
    targets: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame

    def copy(self) -> CityFrames:
        return CityFrames(self.enterprises.copy(), self.units.copy(), self.inventory.copy(), self.residential.copy(),
                          self.targets.copy(), self.parks)


@dataclass
class Applied:
    """The inputs after the changes, and what changed.

    ``touched``: enterprise id → the change types that touch it (their QRA is recomputed, or dropped
    when the enterprise left). ``removed``: enterprises no longer in the inputs. ``developments``:
    the added developments (EPSG:4326; ``name``, ``kind``, ``population``, ``layer``, ``change``).
    ``moves``: enterprise id → (dx, dy) m and the park id. ``notes``: what was done, per change.
    """

    frames: CityFrames
    touched: dict[str, list[str]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    developments: gpd.GeoDataFrame | None = None
    moves: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _utm(lon: float, lat: float) -> str:
    zone = int(math.floor((lon + 180) / 6)) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _project(geoms: Any, src: Any, dst: Any) -> np.ndarray:
    import pyproj

    tr = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object),
                             lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _touch(applied: Applied, eid: str, what: str) -> None:
    applied.touched.setdefault(str(eid), [])
    if what not in applied.touched[str(eid)]:
        applied.touched[str(eid)].append(what)


def apply_changes(frames: CityFrames, changes: Sequence[Change]) -> Applied:
    """The inputs with ``changes`` applied in order (a copy; ``frames`` is not modified).

    Field formats (checked by the caller; here only what the frames decide): ``add_project``:
    ``enterprise_id``, ``name``, ``units`` (each ``unit_id``, ``geometry`` lon/lat, ``unit_type``,
    ``unit`` fields, ``inventory`` rows, ``declared`` class → m); ``remove_enterprise``:
    ``enterprise_id``; ``move_to_park``: ``enterprise_id``, ``park_id``, optional ``at`` (a lon/lat
    point); ``cut_inventory``: ``unit_id`` or ``enterprise_id``, optional ``chemical``, and
    ``max_quantity_t`` (t ≥ 0) or ``share`` (0–1); ``add_development``: ``geometry``, ``kind``,
    ``population``, ``layer``, ``name``. Raises InvalidInput naming the change for an id that is no
    longer there (an enterprise removed by an earlier change, a chemical the unit does not hold).
    """
    f = frames.copy()
    out = Applied(f)
    devs: list[dict[str, Any]] = []
    for ch in changes:
        p = ch.params
        if ch.type == "remove_enterprise":
            eid = str(p["enterprise_id"])
            if eid not in f.enterprises.index:
                raise InvalidInput(f"{ch.where('enterprise_id')}: no enterprise {eid!r} (left by an earlier change?)")
            gone = f.units.index[f.units["enterprise_id"] == eid]
            f.inventory = f.inventory[~f.inventory["unit_id"].isin(gone)]
            f.units = f.units.drop(index=gone)
            f.enterprises = f.enterprises.drop(index=eid)
            out.removed.add(eid)
            _touch(out, eid, ch.type)
            out.notes.append(f"{ch.where()}: {eid} removed with its {len(gone)} unit(s)")
        elif ch.type == "move_to_park":
            eid, pid = str(p["enterprise_id"]), str(p["park_id"])
            if eid not in f.enterprises.index:
                raise InvalidInput(f"{ch.where('enterprise_id')}: no enterprise {eid!r} (left by an earlier change?)")
            if pid not in f.parks.index:
                raise InvalidInput(f"{ch.where('park_id')}: no chemical park {pid!r}")
            mine = f.units["enterprise_id"] == eid
            site = f.enterprises.geometry[eid]
            if site is None or site.is_empty:
                site = shapely.union_all(f.units.geometry[mine].values)
            here = site.centroid
            there = p.get("at") or shapely.point_on_surface(f.parks.geometry[pid])
            crs = _utm(there.x, there.y)
            h, t = _project([here, there], 4326, crs)
            dx, dy = float(t.x - h.x), float(t.y - h.y)
            shift = np.array([dx, dy])
            moved = _project(np.asarray(f.units.geometry[mine].values, dtype=object), 4326, crs)
            moved = _project(shapely.transform(moved, lambda xy, s=shift: xy + s), crs, 4326)
            f.units.loc[mine, "geometry"] = gpd.GeoSeries(moved, index=f.units.index[mine], crs=4326)
            if f.enterprises.geometry[eid] is not None:
                g = _project([f.enterprises.geometry[eid]], 4326, crs)
                g = _project(shapely.transform(g, lambda xy, s=shift: xy + s), crs, 4326)[0]
                f.enterprises.loc[[eid], "geometry"] = gpd.GeoSeries([g], index=[eid], crs=4326)
            f.enterprises.loc[eid, "park_id"] = pid
            out.moves[eid] = {"park_id": pid, "dx_m": round(dx, 2), "dy_m": round(dy, 2),
                              "distance_m": round(math.hypot(dx, dy), 1)}
            _touch(out, eid, ch.type)
            onto = "the point given" if p.get("at") else "the park's point on surface (as the relocation plan)"
            out.notes.append(f"{ch.where()}: {eid} moved {math.hypot(dx, dy) / 1000:,.2f} km into park {pid} "
                             f"({int(mine.sum())} unit(s) translated; the site's centroid onto {onto})")
        elif ch.type == "cut_inventory":
            if p.get("unit_id") is not None:
                uid = str(p["unit_id"])
                if uid not in f.units.index:
                    raise InvalidInput(f"{ch.where('unit_id')}: no unit {uid!r} (left by an earlier change?)")
                rows = f.inventory["unit_id"] == uid
                eid = str(f.units.loc[uid, "enterprise_id"])
                what = f"unit {uid}"
            else:
                eid = str(p["enterprise_id"])
                if eid not in f.enterprises.index:
                    raise InvalidInput(f"{ch.where('enterprise_id')}: no enterprise {eid!r} (left by an earlier "
                                       "change?)")
                rows = f.inventory["unit_id"].isin(f.units.index[f.units["enterprise_id"] == eid])
                what = f"enterprise {eid}"
            if p.get("chemical") is not None:
                rows = rows & (f.inventory["chemical"] == p["chemical"])
                if not rows.any():
                    raise InvalidInput(f"{ch.where('chemical')}: {what} holds no {p['chemical']!r}")
            if not rows.any():
                raise InvalidInput(f"{ch.where()}: {what} holds no inventory to cut")
            q = pd.to_numeric(f.inventory.loc[rows, "max_quantity_t"], errors="coerce").astype(float)
            new = q * float(p["share"]) if p.get("share") is not None else pd.Series(float(p["max_quantity_t"]),
                                                                                    index=q.index)
            new = np.minimum(new, q)  # a cut never adds
            f.inventory = f.inventory.copy()
            f.inventory.loc[rows, "max_quantity_t"] = new
            emptied = f.inventory.index[rows.to_numpy()][new.to_numpy() <= 0]
            f.inventory = f.inventory.drop(index=emptied)
            left = set(f.inventory["unit_id"])
            cut_units = set(f.units.index[f.units["enterprise_id"] == eid]) - left
            if cut_units:
                f.units = f.units.drop(index=sorted(cut_units))
                out.notes.append(f"{ch.where()}: {len(cut_units)} unit(s) of {eid} hold no inventory after the cut "
                                 f"and leave the units ({', '.join(sorted(map(str, cut_units)))})")
            if not (f.units["enterprise_id"] == eid).any():
                f.enterprises = f.enterprises.drop(index=eid)
                out.removed.add(eid)
                out.notes.append(f"{ch.where()}: {eid} holds no inventory after the cut: it leaves as if removed")
            _touch(out, eid, ch.type)
            out.notes.append(f"{ch.where()}: {int(rows.sum())} item(s) of {what} cut"
                             + (f" ({p['chemical']})" if p.get("chemical") else ""))
        elif ch.type == "add_project":
            eid = str(p["enterprise_id"])
            if eid in f.enterprises.index:
                raise InvalidInput(f"{ch.where('enterprise_id')}: {eid!r} is already an enterprise")
            site = p["site"]
            f.enterprises = pd.concat([f.enterprises, gpd.GeoDataFrame(
                {"name": [p.get("name") or eid], "status": ["planned"], "park_id": [p.get("park_id")]},
                geometry=[site], crs=4326, index=pd.Index([eid]))])
            urows, irows = [], []
            for u in p["units"]:
                urows.append({"enterprise_id": eid, "name": u.get("name") or u["unit_id"], "unit_type": u["unit_type"],
                              **dict(u.get("unit") or {}),
                              **{f"safety_distance_{c}_m": (u.get("declared") or {}).get(c) for c in TARGET_CLASSES},
                              "geometry": u["geometry"]})
                irows += [{**r, "unit_id": u["unit_id"]} for r in u["inventory"]]
            new_units = gpd.GeoDataFrame(urows, geometry="geometry", crs=4326,
                                         index=pd.Index([u["unit_id"] for u in p["units"]]))
            f.units = pd.concat([f.units, new_units.reindex(columns=f.units.columns)])
            f.units = gpd.GeoDataFrame(f.units, geometry="geometry", crs=4326)
            f.inventory = pd.concat([f.inventory, pd.DataFrame(irows).reindex(columns=f.inventory.columns)],
                                    ignore_index=True)
            _touch(out, eid, ch.type)
            out.notes.append(f"{ch.where()}: planned project {eid} with {len(urows)} unit(s) and {len(irows)} "
                             "inventory item(s)")
        elif ch.type == "add_development":
            layer = p["layer"]
            did = str(p.get("id") or f"SCN-DEV-{ch.index}")
            row = {"population": float(p["population"]), "geometry": p["geometry"]}
            if layer == "residential_areas":
                f.residential = gpd.GeoDataFrame(pd.concat([f.residential, gpd.GeoDataFrame(
                    [row], geometry="geometry", crs=4326, index=pd.Index([did])).reindex(
                    columns=f.residential.columns)]), geometry="geometry", crs=4326)
            else:
                f.targets = gpd.GeoDataFrame(pd.concat([f.targets, gpd.GeoDataFrame(
                    [{**row, "kind": p["kind"]}], geometry="geometry", crs=4326, index=pd.Index([did])).reindex(
                    columns=f.targets.columns)]), geometry="geometry", crs=4326)
            devs.append({"id": did, "name": p.get("name") or did, "kind": p["kind"], "population": p["population"],
                         "households": p.get("households"), "layer": layer, "change": ch.index,
                         "geometry": p["geometry"]})
            out.notes.append(f"{ch.where()}: development {did} ({p['kind']}, {float(p['population']):,.0f} people) "
                             f"added to {layer}")
        else:
            raise InvalidInput(f"{ch.where('type')}: unknown change type {ch.type!r}; valid: "
                               f"{', '.join(CHANGE_TYPES)}")
    if devs:
        out.developments = gpd.GeoDataFrame(devs, geometry="geometry", crs=4326).set_index("id")
    return out


# =============================================================================================
# The difference on one grid
# =============================================================================================


@dataclass
class DiffField:
    """Cumulative IR before and after (per year) and their difference on one grid (rows from the north).

    ``transform``: affine (col, row) → the cell's top-left corner in ``crs`` (the local UTM zone,
    metres). ``touched``: the enterprises whose grids differ. ``notes``: grids left out (another CRS
    or cell size) and why.
    """

    crs: str
    transform: Any
    before: np.ndarray
    after: np.ndarray
    touched: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def diff(self) -> np.ndarray:
        return self.after - self.before

    @property
    def cell_m(self) -> float:
        return float(abs(self.transform.a))

    def grid(self):  # noqa: ANN201 - a geo_risk.risk.grid.Grid (cell centres, rows from the south)
        from geo_risk.risk.grid import Grid

        rows, cols = self.before.shape
        t = self.transform
        return Grid(t.c + t.a / 2, t.f + t.e * rows - t.e / 2, self.cell_m, cols, rows, self.crs)

    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.before.shape
        t = self.transform
        return t.c, t.f + t.e * rows, t.c + t.a * cols, t.f


@functools.lru_cache(maxsize=64)
def crs_name(crs: str) -> str:
    """``EPSG:<code>`` for a CRS given as WKT or text when it has one, else the text as given."""
    import pyproj

    code = pyproj.CRS.from_user_input(crs).to_epsg()
    return f"EPSG:{code}" if code else str(crs)


def _lattice_key(g: IrGrid) -> tuple:
    return (crs_name(g.crs), round(abs(g.transform.a), 9))


def _offsets(g: IrGrid, xmin: float, ymax: float, cell: float) -> tuple[int, int] | None:
    """(row, col) of the grid's top-left cell in a window with top-left corner (xmin, ymax); None off-lattice."""
    c = (g.transform.c - xmin) / cell
    r = (ymax - g.transform.f) / cell
    if abs(c - round(c)) > 1e-6 or abs(r - round(r)) > 1e-6:
        return None
    return int(round(r)), int(round(c))


def _paste(window: np.ndarray, g: IrGrid, r0: int, c0: int) -> None:
    """Add ``g`` into ``window`` where they overlap (``g``'s top-left cell at window (r0, c0))."""
    h, w = g.array.shape
    rs, cs = max(r0, 0), max(c0, 0)
    re, ce = min(r0 + h, window.shape[0]), min(c0 + w, window.shape[1])
    if rs >= re or cs >= ce:
        return
    window[rs:re, cs:ce] += g.array[rs - r0:re - r0, cs - c0:ce - c0]


def difference_field(before: Sequence[IrGrid], after: Sequence[IrGrid], context: Sequence[IrGrid] = (),
                     *, pad_cells: int = 2) -> DiffField | None:
    """Cumulative IR before and after on one grid (module docstring).

    ``before``: the stored grids of the touched enterprises; ``after``: their recomputed grids (none
    for an enterprise that left); ``context``: the stored grids of the untouched enterprises (added to
    both sides where they overlap the window). The window is the union of the ``before`` and
    ``after`` extents plus ``pad_cells``, in the CRS and cell size of the first of them; grids in
    another CRS or cell size, or off the lattice, are left out and a note says so. None when neither
    side has a grid.
    """
    touched_grids = [*before, *after]
    if not touched_grids:
        return None
    first = touched_grids[0]
    key = _lattice_key(first)
    cell = first.cell_m
    notes: list[str] = []

    def fits(g: IrGrid) -> bool:
        if _lattice_key(g) != key:
            notes.append(f"grid of {g.scope} {g.scope_id} left out: {crs_name(g.crs)} at {g.cell_m:g} m, the "
                         f"difference grid is {key[0]} at {cell:g} m")
            return False
        return True

    before = [g for g in before if fits(g)]
    after = [g for g in after if fits(g)]
    boxes = np.array([g.bounds for g in (*before, *after)])
    xmin, ymin = boxes[:, 0].min() - pad_cells * cell, boxes[:, 1].min() - pad_cells * cell
    xmax, ymax = boxes[:, 2].max() + pad_cells * cell, boxes[:, 3].max() + pad_cells * cell
    # the window's edges on the same lattice as the grids' edges
    ref = first.transform
    xmin = ref.c + math.floor((xmin - ref.c) / cell) * cell
    ymax = ref.f + math.ceil((ymax - ref.f) / cell) * cell
    cols = int(math.ceil((xmax - xmin) / cell - 1e-9))
    rows = int(math.ceil((ymax - ymin) / cell - 1e-9))
    b = np.zeros((rows, cols))
    a = np.zeros((rows, cols))
    ctx = np.zeros((rows, cols))
    for grids, target in ((before, b), (after, a), (context, ctx)):
        for g in grids:
            if grids is context and _lattice_key(g) != key:
                continue
            off = _offsets(g, xmin, ymax, cell)
            if off is None:
                notes.append(f"grid of {g.scope} {g.scope_id} left out: its cells are off the difference grid's "
                             "lattice")
                continue
            _paste(target, g, *off)
    transform = type(ref)(cell, 0.0, xmin, 0.0, -cell, ymax)
    ids = tuple(sorted({e for g in (*before, *after) for e in g.enterprise_ids}))
    return DiffField(key[0], transform, ctx + b, ctx + a, ids, notes)


def crossings(field_: DiffField, levels: Sequence[float] = IR_LEVELS) -> dict[str, list[tuple[float, Any]]]:
    """Polygons (the field's CRS, metres) per level: ``after`` (IR after ≥ level), ``before``, ``raised``
    (≥ level after, below it before) and ``lowered`` (≥ level before, below it after)."""
    from geo_risk.risk.contours import iso_risk_polygons

    grid = field_.grid()
    before = iso_risk_polygons(grid, np.flipud(field_.before), list(levels))
    after = iso_risk_polygons(grid, np.flipud(field_.after), list(levels))
    out: dict[str, list[tuple[float, Any]]] = {"after": after, "before": before, "raised": [], "lowered": []}
    for (level, gb), (_, ga) in zip(before, after, strict=True):
        out["raised"].append((level, shapely.difference(ga, gb) if not ga.is_empty else ga))
        out["lowered"].append((level, shapely.difference(gb, ga) if not gb.is_empty else gb))
    return out


def field_at_points(grids: Sequence[IrGrid], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Σ of the grids' IR (per year) at lon/lat points (the value of the cell holding each point)."""
    total = np.zeros(np.shape(x), dtype=float)
    for g in grids:
        total += sample_points(g, x, y)
    return total


def people_by_band(ir_before: np.ndarray, ir_after: np.ndarray, people_before: np.ndarray,
                   people_after: np.ndarray, rules: ColourRules = DEFAULT_RULES) -> dict[str, dict[str, float]]:
    """People per IR band before and after: band → {lower_per_year, before, after, change}.

    Bands by the service colours on the GB 36894 ladder (red ≥ 1×10⁻⁵, orange ≥ 3×10⁻⁶, yellow
    ≥ 3×10⁻⁷ per year; a boundary value takes the worse), and ``any_above_yellow`` (≥ 3×10⁻⁷). A
    place's people all count in the band of its IR. ``people_after`` may differ from
    ``people_before`` (a development added: 0 people before).
    """
    red, orange, yellow = rules.ir_bands_per_year
    cb, ca = ir_colours(ir_before, rules), ir_colours(ir_after, rules)
    out: dict[str, dict[str, float]] = {}
    for colour, lower in (("red", red), ("orange", orange), ("yellow", yellow)):
        b, a = float(people_before[cb == colour].sum()), float(people_after[ca == colour].sum())
        out[colour] = {"lower_per_year": lower, "before": round(b, 1), "after": round(a, 1), "change": round(a - b, 1)}
    b = float(people_before[np.asarray(ir_before) >= yellow].sum())
    a = float(people_after[np.asarray(ir_after) >= yellow].sum())
    out["any_above_yellow"] = {"lower_per_year": yellow, "before": round(b, 1), "after": round(a, 1),
                               "change": round(a - b, 1)}
    return out


def conflict_changes(before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(added, removed, kept): conflicts of ``after`` whose key is not in ``before``, those of ``before``
    not in ``after``, and how many keys are in both. Key: :data:`CONFLICT_KEY` (rule × unit or
    enterprise × target)."""
    kb = set(before[CONFLICT_KEY]) if len(before) else set()
    ka = set(after[CONFLICT_KEY]) if len(after) else set()
    added = after[after[CONFLICT_KEY].isin(ka - kb)] if len(after) else after
    removed = before[before[CONFLICT_KEY].isin(kb - ka)] if len(before) else before
    return added.reset_index(drop=True), removed.reset_index(drop=True), len(ka & kb)


def plot_fn_before_after(curves: Mapping[str, tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]],
                         path: Path, title: str, note: str = "") -> Path:
    """F-N curves before (dashed) and after (solid) per scope on one plot with the GB 36894 lines (PNG).

    ``curves``: label → ((N, F) before, (N, F) after), F per year; an empty curve (no death toll ≥ 1)
    is not drawn and the legend says so.
    """
    from geo_risk.risk.societal import footnote, pyplot_with_cjk_fonts
    from geo_risk.standards.gb36894 import SOCIETAL_RISK_CRITERION

    crit = SOCIETAL_RISK_CRITERION
    plt = pyplot_with_cjk_fonts()
    fig, ax = plt.subplots(figsize=(10.5, 6.4), dpi=120)
    n_line = np.logspace(0, np.log10(max(crit.n_max, 10)), 100)
    ax.fill_between(n_line, crit.boundary("upper", n_line), 1, color="#e60000", alpha=0.08)
    ax.fill_between(n_line, crit.boundary("lower", n_line), crit.boundary("upper", n_line), color="#ffd700",
                    alpha=0.12)
    ax.plot(n_line, crit.boundary("upper", n_line), color="#e60000", lw=1.5, label="不可接受线 Unacceptable boundary")
    ax.plot(n_line, crit.boundary("lower", n_line), color="#1e6fd9", lw=1.5, label="可接受线 Acceptable boundary")
    colours = ["#212121", "#7b1fa2", "#2e7d32", "#ef6c00", "#5d4037", "#00838f", "#c2185b", "#455a64"]
    n_top = 1.0
    same = [k for k, (b, a) in curves.items() if np.array_equal(np.asarray(b[0]), np.asarray(a[0]))
            and np.array_equal(np.asarray(b[1]), np.asarray(a[1]))]
    if same and len(same) < len(curves):  # draw what changed; name the rest below
        note = (f"F-N 未变，未绘出 / unchanged, not drawn: {', '.join(same[:12])}{' …' if len(same) > 12 else ''}. "
                + note)
        curves = {k: v for k, v in curves.items() if k not in same}
    for k, (label, sides) in enumerate(curves.items()):
        colour = colours[k % len(colours)]
        for (n, f), style, side in zip(sides, ("--", "-"), ("前 before", "后 after"), strict=True):
            n, f = np.asarray(n, dtype=float), np.asarray(f, dtype=float)
            if len(n) == 0:
                ax.plot([], [], ls=style, color=colour, label=f"{label} {side}: 无 N ≥ 1 / none with N ≥ 1")
                continue
            ax.step(np.concatenate([[1.0], n]), np.concatenate([[f[0]], f]), where="pre",
                    lw=2 if style == "-" else 1.5, ls=style, color=colour, label=f"{label} {side}")
            ax.vlines(n[-1], 1e-12, f[-1], color=colour, lw=1.5, ls=style)
            n_top = max(n_top, float(n[-1]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1, max(crit.n_max, 10, 10 ** math.ceil(math.log10(max(n_top, 1.0)))))
    ax.set_ylim(1e-9, 1e-2)
    ax.set_xlabel("死亡人数 N / Number of fatalities N")
    ax.set_ylabel("累积频率 F (次/年) / Cumulative frequency F (per year)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, borderaxespad=0)
    text = (f"虚线：情景前；实线：情景后 / dashed: before; solid: after. GB 36894 F-N lines: {crit.confidence} "
            "(advisory). ")
    fig.tight_layout(rect=(0, footnote(fig, (text + note).strip()), 1, 1))
    path = Path(path)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
