"""The ISA-18.2 alarm state machine, with shelving, suppression, out of service and an audit trail.

Notes: ``docs/standards/alarm-management.md`` §A2. One :class:`Alarm` per alarm (``sensor_id:kind``);
an :class:`AlarmBoard` holds them, applies the engine's process events (:class:`~geo_risk.monitoring.
alarms.AlarmEvent`) and the operators' actions, and unshelves automatically when a shelf expires
(:meth:`AlarmBoard.tick`). Every transition is an :class:`AuditRecord` (who, when, from, to, action,
reason); an action a state does not allow raises :class:`IllegalTransition` naming what is allowed.

States (ISA-18.2 Figure 5 / IEC 62682, letters as there):

- A ``normal`` — condition normal, nothing to acknowledge;
- B ``unack_active`` — in alarm, not acknowledged;
- C ``ack_active`` — in alarm, acknowledged;
- D ``rtn_unack`` — returned to normal before it was acknowledged;
- F ``shelved`` — set aside by an operator until a given time;
- G ``suppressed`` — suppressed by design (logic, e.g. the unit is shut down);
- H ``out_of_service`` — removed for maintenance.

(E, latched, is not used: no alarm here latches.) While F, G or H, the process condition is still
followed, and when the alarm comes back it goes to B if the condition is active, else to A.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import AlarmEvent, parameters

__all__ = ["STATES", "STATE_LABELS", "PRIORITIES", "PRIORITY_LABELS", "priority_of", "IllegalTransition",
           "AuditRecord", "Alarm", "AlarmBoard", "SYSTEM"]

STATES = ("normal", "unack_active", "ack_active", "rtn_unack", "shelved", "suppressed", "out_of_service")

#: State → (中文, English).
STATE_LABELS: dict[str, tuple[str, str]] = {
    "normal": ("正常", "normal"),
    "unack_active": ("报警未确认", "active, unacknowledged"),
    "ack_active": ("报警已确认", "active, acknowledged"),
    "rtn_unack": ("已恢复未确认", "returned to normal, unacknowledged"),
    "shelved": ("已搁置", "shelved"),
    "suppressed": ("设计抑制", "suppressed by design"),
    "out_of_service": ("停用", "out of service"),
}

#: Priority of each alarm kind (CHOICE: ISA-18.2 asks for priorities by consequence and the time to
#: respond, set in rationalisation; without that, the service orders them by kind). Ordered high → low.
PRIORITIES: dict[str, str] = {
    "HH": "critical", "LL": "critical", "OVERFILL": "critical",
    "H": "high", "L": "high",
    "ROC": "medium",
    "RANGE": "low", "STUCK": "low", "SILENT": "low",
}
PRIORITY_LABELS: dict[str, tuple[str, str]] = {
    "critical": ("紧急", "critical"), "high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low"),
}
#: Gas detectors are safety instruments: a fault of one is ``medium``, not ``low`` (CHOICE).
_GAS_FAULT = "medium"

SYSTEM = "system"

_ACTIVE = {"unack_active", "ack_active"}
_OUT = {"shelved", "suppressed", "out_of_service"}


def priority_of(kind: str, quantity: str | None = None) -> str:
    """The priority of an alarm of ``kind`` on a sensor of ``quantity`` (:data:`PRIORITIES`)."""
    if kind not in PRIORITIES:
        raise InvalidInput(f"unknown alarm kind {kind!r}; valid: {', '.join(PRIORITIES)}")
    p = PRIORITIES[kind]
    if p == "low" and quantity in ("flammable_gas", "toxic_gas"):
        return _GAS_FAULT
    return p


class IllegalTransition(InvalidInput):
    """An action the alarm's state does not allow (e.g. acknowledging a normal alarm)."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One transition of one alarm: who did what when, from which state to which, and why."""

    key: str
    ts: datetime
    who: str
    action: str
    from_state: str
    to_state: str
    reason: str = ""


#: Action → the states it may start from.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "activate": ("normal", "rtn_unack"),
    "clear": ("unack_active", "ack_active"),
    "acknowledge": ("unack_active", "rtn_unack"),
    "shelve": ("normal", "unack_active", "ack_active", "rtn_unack"),
    "unshelve": ("shelved",),
    "suppress": ("normal", "unack_active", "ack_active", "rtn_unack"),
    "unsuppress": ("suppressed",),
    "remove_from_service": ("normal", "unack_active", "ack_active", "rtn_unack", "shelved", "suppressed"),
    "return_to_service": ("out_of_service",),
}


def _allowed_from(state: str) -> list[str]:
    return [a for a, froms in _ALLOWED.items() if state in froms and a not in ("activate", "clear")]


@dataclass
class Alarm:
    """One alarm's lifecycle. ``condition``: the process condition (True: in alarm), followed in every state."""

    key: str
    priority: str = "low"
    state: str = "normal"
    condition: bool = False
    since: datetime | None = None
    shelved_until: datetime | None = None
    shelved_by: str | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    audit: list[AuditRecord] = field(default_factory=list)

    def _check(self, action: str, who: str) -> None:
        if not who or not str(who).strip():
            raise InvalidInput(f"{action} of alarm {self.key}: say who does it (an operator's name)")
        if self.state not in _ALLOWED[action]:
            zh, en = STATE_LABELS[self.state]
            ok = _allowed_from(self.state)
            raise IllegalTransition(
                f"cannot {action.replace('_', ' ')} alarm {self.key}: it is {zh} / {en}; "
                f"allowed now: {', '.join(ok) if ok else 'none'}")

    def _go(self, ts: datetime, who: str, action: str, to: str, reason: str = "") -> AuditRecord:
        rec = AuditRecord(self.key, ts, who, action, self.state, to, reason)
        self.state = to
        self.since = ts
        self.audit.append(rec)
        return rec

    def _back(self) -> str:
        """The state an alarm returns to from shelved / suppressed / out of service."""
        return "unack_active" if self.condition else "normal"

    # process side
    def activate(self, ts: datetime) -> AuditRecord | None:
        """The condition became active. While shelved / suppressed / out of service it is only noted."""
        if self.state in _OUT:
            self.condition = True
            return None
        self._check("activate", SYSTEM)
        self.condition = True
        self.acknowledged_by = self.acknowledged_at = None
        return self._go(ts, SYSTEM, "activate", "unack_active")

    def clear(self, ts: datetime) -> AuditRecord | None:
        """The condition returned to normal."""
        if self.state in _OUT:
            self.condition = False
            return None
        self._check("clear", SYSTEM)
        self.condition = False
        return self._go(ts, SYSTEM, "clear", "normal" if self.state == "ack_active" else "rtn_unack")

    # operator side
    def acknowledge(self, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        self._check("acknowledge", who)
        self.acknowledged_by, self.acknowledged_at = who, ts
        return self._go(ts, who, "acknowledge", "ack_active" if self.state == "unack_active" else "normal", reason)

    def shelve(self, who: str, ts: datetime, until: datetime, reason: str = "",
               max_shelve_s: float | None = None) -> AuditRecord:
        self._check("shelve", who)
        if until <= ts:
            raise InvalidInput(f"shelve alarm {self.key}: 'until' {until.isoformat()} must be after now "
                               f"({ts.isoformat()})")
        limit = parameters()["max_shelve_s"] if max_shelve_s is None else max_shelve_s
        if (until - ts).total_seconds() > limit:
            raise InvalidInput(f"shelve alarm {self.key}: at most {limit / 3600:g} h (until "
                               f"{(ts + timedelta(seconds=limit)).isoformat()}), asked until {until.isoformat()}")
        self.shelved_until, self.shelved_by = until, who
        return self._go(ts, who, "shelve", "shelved", reason or f"until {until.isoformat()}")

    def unshelve(self, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        self._check("unshelve", who)
        self.shelved_until = self.shelved_by = None
        return self._go(ts, who, "unshelve", self._back(), reason)

    def suppress(self, who: str, ts: datetime, reason: str) -> AuditRecord:
        self._check("suppress", who)
        if not reason:
            raise InvalidInput(f"suppress alarm {self.key}: give the design reason (e.g. 'unit shut down')")
        return self._go(ts, who, "suppress", "suppressed", reason)

    def unsuppress(self, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        self._check("unsuppress", who)
        return self._go(ts, who, "unsuppress", self._back(), reason)

    def remove_from_service(self, who: str, ts: datetime, reason: str) -> AuditRecord:
        self._check("remove_from_service", who)
        if not reason:
            raise InvalidInput(f"remove alarm {self.key} from service: give the reason (e.g. a work order)")
        self.shelved_until = self.shelved_by = None
        return self._go(ts, who, "remove_from_service", "out_of_service", reason)

    def return_to_service(self, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        self._check("return_to_service", who)
        return self._go(ts, who, "return_to_service", self._back(), reason)

    @property
    def annunciated(self) -> bool:
        """Shown to the operator: not shelved, suppressed or out of service, and active or awaiting an ack."""
        return self.state in ("unack_active", "ack_active", "rtn_unack")


class AlarmBoard:
    """Every alarm of a plant (or of the whole service): the engine's events in, the operators' actions in,
    the audit trail and the annunciated activations out.

    ``quantities``: sensor id → quantity (for :func:`priority_of`). ``params``: the alarm parameters
    (``max_shelve_s``). ``annunciations`` lists (ts, key, area, priority) of each activation the operator
    saw — the input of :mod:`~geo_risk.monitoring.metrics`; activations while shelved, suppressed or out
    of service are not annunciated.
    """

    def __init__(self, quantities: Mapping[str, str] | None = None,
                 params: Mapping[str, float] | None = None) -> None:
        self.quantities = dict(quantities or {})
        self.params = dict(parameters() if params is None else params)
        self.alarms: dict[str, Alarm] = {}
        self.audit: list[AuditRecord] = []
        self.annunciations: list[tuple[datetime, str, str, str]] = []
        self.areas: dict[str, str] = {}

    def get(self, key: str) -> Alarm:
        try:
            return self.alarms[key]
        except KeyError:
            raise InvalidInput(f"no alarm {key!r}; alarms are named sensor_id:kind, e.g. T-101-LT:HH") from None

    def _alarm(self, key: str, kind: str, sensor_id: str) -> Alarm:
        a = self.alarms.get(key)
        if a is None:
            a = self.alarms[key] = Alarm(key, priority_of(kind, self.quantities.get(sensor_id)))
        return a

    def apply(self, events: Iterable[AlarmEvent]) -> list[AuditRecord]:
        """Apply the engine's process events, in order."""
        out = []
        for e in events:
            a = self._alarm(e.key, e.kind, e.sensor_id)
            self.areas[e.key] = e.area
            rec = a.activate(e.ts) if e.transition == "raise" else a.clear(e.ts)
            if rec is not None:
                out.append(rec)
                if e.transition == "raise":
                    self.annunciations.append((e.ts, e.key, e.area, a.priority))
        self.audit += out
        return out

    def _do(self, key: str, action: str, *args, **kwargs) -> AuditRecord:
        a = self.get(key)
        rec = getattr(a, action)(*args, **kwargs)
        self._note(a, rec)
        return rec

    def _note(self, a: Alarm, rec: AuditRecord) -> None:
        """Audit ``rec``; an alarm back from shelved / suppressed / out of service while active annunciates again."""
        self.audit.append(rec)
        if rec.from_state in _OUT and rec.to_state == "unack_active":
            self.annunciations.append((rec.ts, a.key, self.areas.get(a.key, a.key.split(":")[0]), a.priority))

    def acknowledge(self, key: str, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        return self._do(key, "acknowledge", who, ts, reason)

    def shelve(self, key: str, who: str, ts: datetime, until: datetime, reason: str = "") -> AuditRecord:
        return self._do(key, "shelve", who, ts, until, reason, max_shelve_s=self.params["max_shelve_s"])

    def unshelve(self, key: str, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        return self._do(key, "unshelve", who, ts, reason)

    def suppress(self, key: str, who: str, ts: datetime, reason: str) -> AuditRecord:
        return self._do(key, "suppress", who, ts, reason)

    def unsuppress(self, key: str, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        return self._do(key, "unsuppress", who, ts, reason)

    def remove_from_service(self, key: str, who: str, ts: datetime, reason: str) -> AuditRecord:
        return self._do(key, "remove_from_service", who, ts, reason)

    def return_to_service(self, key: str, who: str, ts: datetime, reason: str = "") -> AuditRecord:
        return self._do(key, "return_to_service", who, ts, reason)

    def tick(self, now: datetime) -> list[AuditRecord]:
        """Unshelve every alarm whose shelf has expired (at its ``shelved_until``, by ``system``)."""
        out = []
        for a in self.alarms.values():
            if a.state == "shelved" and a.shelved_until is not None and a.shelved_until <= now:
                rec = a.unshelve(SYSTEM, a.shelved_until, "shelf expired")
                self._note(a, rec)
                out.append(rec)
        return out

    def annunciated(self) -> list[Alarm]:
        """The alarms an operator sees now, highest priority first, then oldest first."""
        order = list(PRIORITY_LABELS)
        return sorted((a for a in self.alarms.values() if a.annunciated),
                      key=lambda a: (order.index(a.priority), a.since))
