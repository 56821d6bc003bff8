"""Dynamic risk (issue 15): the live four-colour class of an enterprise and the live GB 18218 indicators.

Pure functions on plain values and frames: nothing here reads the store (``geo_risk/store/live.py`` does).
Notes: ``docs/standards/alarm-management.md`` §A9.

(a) **Live colour.** An enterprise's stored four-colour class (红橙黄蓝, the zoning's or the one derived
from its worst GB 18218 grade, :mod:`geo_risk.analysis.colours`) is raised while it has an active alarm
of a priority that :data:`RAISE_STEPS` says raises it, by that many levels, capped at red. The raise
is shown beside the stored class, with its reason (中文 first); it never replaces the stored class.
The reference (risk-colours-and-joint-prevention.md §1–2) has no rule for a dynamic colour: the table
is the service's (CHOICE), built like its area rule Z2(d) ("raise one level, red stays red").

(b) **Live inventory, S and R.** For each inventory item of a unit with a level transmitter,
``live q (t) = level (%) / 100 × vessel_count × vessel_capacity_t`` — the vessel's capacity in tonnes
is capacity (m³) × density (t/m³) (:func:`geo_risk.monitoring.alarms.live_inventory_t`), which the
store holds as one figure per item (``inventory.vessel_capacity_t``). Live S and R are computed by the
SAME :func:`geo_risk.standards.gb18218.assess_unit` the grading uses, with the stored α (the residents
within 500 m of the stored result). They are an operational indicator shown beside the stored grade;
the grade is by the design maximum (设计最大量), as GB 18218 requires. A live quantity above the
design maximum (``max_quantity_t``) is 超量储存 (the alarm engine's OVERFILL kind).

RESTRICTED: live quantities, q/Q, S and R derive from inventories — analysts only. This module
returns them as numbers; the API drops them below the analyst tier and texts wrap them in
:func:`geo_risk.disclosure.restricted`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geo_risk.analysis.colours import COLOURS, RANK
from geo_risk.disclosure import restricted
from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import KIND_LABELS
from geo_risk.monitoring.lifecycle import PRIORITY_LABELS, STATE_LABELS
from geo_risk.standards.gb18218 import InventoryItem, OperatingConditions, TermCache, UnitAssessment, assess_unit

__all__ = [
    "RAISE_STEPS", "RAISE_STATES", "PRIORITY_ORDER", "AlarmRef", "LiveColour", "live_colour",
    "ItemLive", "UnitLive", "live_item_quantity_t", "live_unit",
]

#: Priority of an active alarm → (levels the enterprise's colour is raised, tag, why). CHOICE: the
#: reference has no dynamic-colour rule (risk-colours-and-joint-prevention.md §2.2 is silent).
#: critical (HH, LL, OVERFILL: a limit beyond which the design case no longer holds) raises two
#: levels; high (H, L: the operator must act) one; medium (rate of change, gas-detector faults) and
#: low (sensor faults) none — a bad instrument is not a worse plant.
RAISE_STEPS: dict[str, tuple[int, str, str]] = {
    "critical": (2, "CHOICE", "HH/LL/超量储存: the design case no longer holds"),
    "high": (1, "CHOICE", "H/L: the operator must act; as Z2(d), one level"),
    "medium": (0, "CHOICE", "rate of change, gas-detector faults: watched, not a worse plant"),
    "low": (0, "CHOICE", "sensor faults: a bad instrument, not a worse plant"),
}
#: Lifecycle states whose alarm raises the colour while its condition is active. Shelving hides the
#: annunciation, not the hazard (shelved alarms still raise); suppressed by design (unit shut down) and
#: out of service (instrument under maintenance) do not. CHOICE.
RAISE_STATES: frozenset[str] = frozenset({"unack_active", "ack_active", "shelved"})
#: Priorities, worst first.
PRIORITY_ORDER: tuple[str, ...] = tuple(PRIORITY_LABELS)
_BY_RANK = {r: c for c, r in RANK.items()}


@dataclass(frozen=True)
class AlarmRef:
    """An alarm as the live map sees it: ``key`` (sensor_id:kind), its priority, lifecycle state and
    whether its process condition is active now."""

    key: str
    kind: str
    priority: str
    state: str
    active: bool
    unit_id: str | None = None
    sensor_id: str | None = None

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> AlarmRef:
        """From an alarm row or an SSE payload (key, kind, priority, state, active, unit_id, sensor_id)."""
        key = str(m["key"])
        kind = str(m.get("kind") or key.rsplit(":", 1)[-1])
        return cls(key, kind, str(m["priority"]), str(m["state"]), bool(m.get("active", True)),
                   m.get("unit_id"), m.get("sensor_id") or key.rsplit(":", 1)[0])

    @property
    def raises(self) -> int:
        """Levels this alarm raises its enterprise's colour by now (0 when not active or not raising)."""
        if not self.active or self.state not in RAISE_STATES:
            return 0
        return RAISE_STEPS.get(self.priority, (0, "", ""))[0]


@dataclass(frozen=True)
class LiveColour:
    """An enterprise's live colour beside its stored one: ``steps`` levels raised (0: unchanged), the
    active alarms counted (``active``), the worst priority among them and the reason (中文 / English)."""

    stored: str
    colour: str
    steps: int
    active: int
    worst_priority: str | None
    reason: str
    raising: tuple[str, ...] = field(default_factory=tuple)  # keys of the alarms that raise it

    @property
    def raised(self) -> bool:
        return self.colour != self.stored


def _label(colour: str) -> tuple[str, str]:
    return COLOURS[colour][1], COLOURS[colour][2]


def live_colour(stored: str, alarms: Iterable[AlarmRef | Mapping[str, Any]]) -> LiveColour:
    """The live colour of an enterprise whose stored colour is ``stored`` and whose alarms are ``alarms``.

    The colour is raised by the largest :data:`RAISE_STEPS` of its raising alarms (an alarm raises while
    its condition is active and its state is in :data:`RAISE_STATES`), capped at red. Steps do not add up
    across alarms: two high alarms raise one level, as one does.

    >>> live_colour("yellow", [AlarmRef("T1-LT:H", "H", "high", "unack_active", True)]).colour
    'orange'
    >>> live_colour("orange", [AlarmRef("T1-LT:HH", "HH", "critical", "ack_active", True)]).colour
    'red'
    >>> live_colour("blue", [AlarmRef("T1-TT:STUCK", "STUCK", "low", "unack_active", True)]).colour
    'blue'
    """
    if stored not in RANK:
        raise InvalidInput(f"unknown stored colour {stored!r}; colours: {', '.join(COLOURS)}")
    refs = [a if isinstance(a, AlarmRef) else AlarmRef.from_mapping(a) for a in alarms]
    for a in refs:
        if a.priority not in RAISE_STEPS:
            raise InvalidInput(f"alarm {a.key}: unknown priority {a.priority!r}; valid: {', '.join(RAISE_STEPS)}")
    active = [a for a in refs if a.active and a.state in RAISE_STATES]
    worst = min((PRIORITY_ORDER.index(a.priority) for a in active), default=None)
    worst_p = PRIORITY_ORDER[worst] if worst is not None else None
    steps = max((a.raises for a in active), default=0)
    colour = _BY_RANK[max(1, RANK[stored] - steps)]
    raising = tuple(sorted(a.key for a in active if a.raises == steps and steps > 0))
    szh, sen = _label(stored)
    if colour != stored:
        czh, cen = _label(colour)
        pzh, pen = PRIORITY_LABELS[worst_p]  # type: ignore[index]
        names_zh = "、".join(f"{k}（{KIND_LABELS.get(k.rsplit(':', 1)[-1], (k, k))[0]}）" for k in raising[:3])
        more = f" 等 {len(raising)} 个" if len(raising) > 3 else ""
        reason = (f"动态升级：{szh} → {czh}，因有{pzh}优先级报警 {names_zh}{more}（服务规则：{pzh}级报警升 {steps} 级，"
                  f"最高至红）；原定级不变 / raised {sen} → {cen} while {len(raising)} {pen}-priority alarm(s) "
                  f"are active ({', '.join(raising[:3])}{'…' if len(raising) > 3 else ''}; service rule: "
                  f"{pen} raises {steps} level(s), capped at red); the stored class is unchanged")
    elif active and steps > 0:  # already red
        reason = (f"已为最高级（红），有 {len(active)} 个报警 / already red; {len(active)} active alarm(s)")
    elif active:
        pzh, pen = PRIORITY_LABELS[worst_p]  # type: ignore[index]
        reason = (f"有 {len(active)} 个报警，最高为{pzh}优先级，不升级（服务规则：仅紧急、高优先级升级） / "
                  f"{len(active)} active alarm(s), worst {pen}: no raise (service rule: only critical and "
                  "high raise)")
    else:
        reason = f"无活动报警，保持{szh} / no active alarm: {sen} as stored"
    return LiveColour(stored, colour, RANK[stored] - RANK[colour], len(active), worst_p, reason, raising)


# ---------------------------------------------------------------------------------------------
# (b) live inventory, S and R
# ---------------------------------------------------------------------------------------------


def live_item_quantity_t(level_pct: float, vessel_count: float | None, vessel_capacity_t: float | None
                         ) -> float | None:
    """Live quantity, t, of one inventory item: level (% of working height) / 100 × vessels × one vessel's
    capacity (t = m³ × t/m³). None when the capacity is not known. Levels outside 0–100 % are clipped
    (an out-of-range reading is a sensor fault, not an inventory)."""
    if vessel_capacity_t is None or _nan(vessel_capacity_t) or level_pct is None or _nan(level_pct):
        return None
    n = 1.0 if vessel_count is None or _nan(vessel_count) else float(vessel_count)
    if n <= 0 or vessel_capacity_t <= 0:
        raise InvalidInput(f"vessel_count ({vessel_count}) and vessel_capacity_t ({vessel_capacity_t}) must be > 0")
    return min(max(float(level_pct), 0.0), 100.0) / 100.0 * n * float(vessel_capacity_t)


def _nan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


@dataclass(frozen=True)
class ItemLive:
    """One inventory item live: design max (t), live quantity (t; None: no level or no capacity, the design
    max then stands in), and whether it is over the design max (超量储存)."""

    chemical: str
    design_max_t: float
    live_t: float | None
    overfill: bool


@dataclass(frozen=True)
class UnitLive:
    """A unit's live indicators (restricted): level used (%), items, live S and R, and the stored S, R, grade.

    ``live``: the GB 18218 result on live quantities (None when no item has a live quantity).
    ``complete``: every item had a live quantity (else the design max stood in for the others).
    """

    unit_id: str
    level_pct: float | None
    items: tuple[ItemLive, ...]
    live: UnitAssessment | None
    complete: bool
    overfill: bool
    note: str


def live_unit(unit_id: str, items: Sequence[Mapping[str, Any]], level_pct: float | None,
              exposed_population: float, conditions: OperatingConditions | None = None,
              cache: TermCache | None = None) -> UnitLive:
    """Live inventory, S and R of one unit (GB 18218 clauses 4.2 and 4.3 on live quantities).

    ``items``: the unit's inventory rows (chemical, cas, table1_seq, hazard_categories, max_quantity_t,
    vessel_count, vessel_capacity_t, temperature_c, pressure_mpa). ``level_pct``: the latest level of the
    unit's level transmitter (%), None without one. The level is the fill of every vessel of the unit
    (CHOICE: one level transmitter per unit, as in the sample city). ``exposed_population``: residents
    within 500 m (the stored result's), for α. Items without a live quantity count at their design max.
    ``cache``: a :class:`~geo_risk.standards.gb18218.TermCache` shared by the units of one snapshot.
    """
    out_items: list[ItemLive] = []
    gb_items: list[InventoryItem] = []
    n_live = 0
    for k, row in enumerate(items):
        design = float(row["max_quantity_t"])
        q = live_item_quantity_t(level_pct, row.get("vessel_count"), row.get("vessel_capacity_t")) \
            if level_pct is not None else None
        if q is not None:
            n_live += 1
        over = q is not None and q > design
        out_items.append(ItemLive(str(row.get("chemical") or ""), design, q, over))
        gb_items.append(InventoryItem(
            chemical=row.get("chemical"), quantity_t=q if q is not None else design, cas=row.get("cas"),
            table1_seq=None if row.get("table1_seq") is None or _nan(row.get("table1_seq"))
            else int(row["table1_seq"]),
            hazard_categories=row.get("hazard_categories"),
            temperature_c=None if _nan(row.get("temperature_c")) else row.get("temperature_c"),
            pressure_mpa=None if _nan(row.get("pressure_mpa")) else row.get("pressure_mpa"),
            row=f"{unit_id} inventory[{k}]"))
    live = assess_unit(gb_items, exposed_population, conditions, cache) if n_live else None
    overfill = any(i.overfill for i in out_items)
    if level_pct is None:
        note = "无液位计读数 / no level reading: no live inventory"
    elif not n_live:
        note = "无容器容量 / no vessel capacity in the inventory: no live inventory"
    elif n_live < len(out_items):
        note = (f"{len(out_items) - n_live} 项无容器容量，按设计最大量计 / {len(out_items) - n_live} item(s) "
                "without a vessel capacity counted at their design maximum")
    else:
        note = "液位 × 容器容量（t） / level × vessel capacity (t)"
    if overfill:
        names = ", ".join(f"{i.chemical} {restricted(f'{i.live_t:.1f} t > {i.design_max_t:g} t', '')}".strip()
                          for i in out_items if i.overfill)
        note += f"; 超量储存 storage above the design maximum: {names}"
    return UnitLive(unit_id, level_pct, tuple(out_items), live, n_live == len(out_items) and n_live > 0,
                    overfill, note)


def state_label(state: str) -> tuple[str, str]:
    """(中文, English) of a lifecycle state (unknown states as themselves)."""
    return STATE_LABELS.get(state, (state, state))
