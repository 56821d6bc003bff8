"""EEMUA 191 / ISA-18.2 alarm-system figures from an alarm event log.

Notes: ``docs/standards/alarm-management.md`` §A3–A4; numbers from
:data:`geo_risk.monitoring.alarms.PARAMETERS`. The log is a table (a DataFrame, or a list of
:class:`~geo_risk.monitoring.alarms.AlarmEvent`) with one row per alarm transition:

``ts`` (timezone-aware UTC), ``key`` (``sensor_id:kind``), ``area`` (the operator's area), ``transition``
(``raise``: an annunciated activation, ``clear``: return to normal), optionally ``priority``.

Figures, per area and for all areas together (the window is cut into 10-minute periods aligned on
the clock, from the period holding its start to the period holding its end):

- alarms per 10 minutes: average (activations / periods) and peak (most in one period);
- flood: periods with more than ``flood_per_10min`` (10) activations, and their share of the periods;
- standing alarms: activations whose alarm stayed active longer than ``standing_after_s`` (24 h,
  CHOICE) — the duration runs to the alarm's next clear or to the end of the window;
- chattering alarms: alarms with ``chatter_count`` (3) or more activations whose first and last are at
  most ``chatter_window_s`` (60 s) apart;
- top bad actors: the ``top_n`` (10) alarms with most activations, each with its share, and their
  combined share of all activations;
- priority distribution, when priorities are given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from geo_risk.errors import InvalidInput
from geo_risk.monitoring.alarms import PARAMETERS, AlarmEvent, parameters

__all__ = ["AreaFigures", "EemuaFigures", "event_log", "eemua_figures"]


@dataclass(frozen=True)
class AreaFigures:
    """Alarm rates of one area (or ``*``: all areas) over the window."""

    area: str
    activations: int
    periods: int
    average_per_10min: float
    peak_per_10min: int
    flood_periods: int
    flood_pct: float
    periods_over_acceptable: int
    periods_over_manageable: int


@dataclass(frozen=True)
class EemuaFigures:
    """The figures of one log (see the module docstring); ``benchmarks``: the targets with their tags."""

    start: datetime
    end: datetime
    areas: list[AreaFigures]
    standing: list[dict]
    chattering: list[dict]
    top: list[dict]
    top_share: float
    priorities: dict[str, float]
    benchmarks: dict[str, dict]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        for s in d["standing"]:
            s["since"] = s["since"].isoformat()
        return d


def event_log(events: Iterable[AlarmEvent], priorities: Mapping[str, str] | None = None) -> pd.DataFrame:
    """An event log table from engine events (``priorities``: key or kind → priority, optional)."""
    rows = [(e.ts, e.key, e.area, e.transition, e.kind) for e in events]
    df = pd.DataFrame(rows, columns=["ts", "key", "area", "transition", "kind"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    if priorities is not None:
        df["priority"] = [priorities.get(k, priorities.get(kind))
                          for k, kind in zip(df["key"], df["kind"], strict=True)]
    return df


def _as_frame(log: pd.DataFrame | Iterable[AlarmEvent]) -> pd.DataFrame:
    df = log.copy() if isinstance(log, pd.DataFrame) else event_log(log)
    missing = {"ts", "key", "area", "transition"} - set(df.columns)
    if missing:
        raise InvalidInput(f"alarm log lacks column(s) {sorted(missing)}; it needs ts, key, area, transition")
    bad = set(df["transition"].unique()) - {"raise", "clear"}
    if bad:
        raise InvalidInput(f"alarm log: transition must be 'raise' or 'clear', found {sorted(bad)}")
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df.sort_values("ts", kind="stable").reset_index(drop=True)


def eemua_figures(log: pd.DataFrame | Iterable[AlarmEvent], start: datetime | None = None,
                  end: datetime | None = None, params: Mapping[str, float] | None = None) -> EemuaFigures:
    """The EEMUA 191 figures of ``log`` over [``start``, ``end``) (default: the log's own span)."""
    p = parameters() if params is None else params
    df = _as_frame(log)
    period = float(p["period_s"])
    if (start is None or end is None) and df.empty:
        raise InvalidInput("empty alarm log: give start and end to compute figures over a quiet window")
    t_start = pd.Timestamp(start if start is not None else df["ts"].min()).tz_convert("UTC")
    t_end = pd.Timestamp(end if end is not None else df["ts"].max()).tz_convert("UTC")
    if t_end < t_start:
        raise InvalidInput(f"window end {t_end.isoformat()} is before its start {t_start.isoformat()}")
    df = df[(df["ts"] >= t_start) & (df["ts"] <= t_end)]
    s0 = t_start.timestamp()
    p0 = np.floor(s0 / period) * period
    n_periods = int(np.floor(t_end.timestamp() / period) - p0 / period) + 1
    act = df[df["transition"] == "raise"]
    bins = ((act["ts"].map(pd.Timestamp.timestamp).to_numpy(float) - p0) // period).astype(np.int64) \
        if len(act) else np.zeros(0, np.int64)
    flood, acceptable, manageable = p["flood_per_10min"], p["acceptable_per_10min"], p["manageable_per_10min"]

    def area_figures(name: str, b: np.ndarray) -> AreaFigures:
        counts = np.bincount(b, minlength=n_periods)
        fl = int((counts > flood).sum())
        return AreaFigures(
            area=name, activations=int(b.size), periods=n_periods,
            average_per_10min=float(b.size / n_periods), peak_per_10min=int(counts.max()) if counts.size else 0,
            flood_periods=fl, flood_pct=100.0 * fl / n_periods,
            periods_over_acceptable=int((counts > acceptable).sum()),
            periods_over_manageable=int((counts > manageable).sum()))

    areas = [area_figures(str(a), bins[(act["area"] == a).to_numpy()]) for a in sorted(df["area"].unique())]
    areas.append(area_figures("*", bins))

    # standing: each activation's duration to its next clear (or the window's end)
    standing = []
    limit = p["standing_after_s"]
    for key, g in df.groupby("key", sort=True):
        active_since = None
        area = str(g["area"].iloc[0])
        for ts, tr in zip(g["ts"], g["transition"], strict=True):
            if tr == "raise" and active_since is None:
                active_since = ts
            elif tr == "clear" and active_since is not None:
                dur = (ts - active_since).total_seconds()
                if dur > limit:
                    standing.append({"key": key, "area": area, "since": active_since.to_pydatetime(),
                                     "hours": dur / 3600.0, "still_active": False})
                active_since = None
        if active_since is not None:
            dur = (t_end - active_since).total_seconds()
            if dur > limit:
                standing.append({"key": key, "area": area, "since": active_since.to_pydatetime(),
                                 "hours": dur / 3600.0, "still_active": True})

    # chattering: ≥ n activations with first and last ≤ window apart
    n_chat, w_chat = int(p["chatter_count"]), p["chatter_window_s"]
    chattering = []
    for key, g in act.groupby("key", sort=True):
        t = g["ts"].map(pd.Timestamp.timestamp).to_numpy(float)
        if t.size < n_chat:
            continue
        spans = t[n_chat - 1:] - t[: t.size - n_chat + 1]
        hits = spans <= w_chat
        if hits.any():
            chattering.append({"key": key, "area": str(g["area"].iloc[0]), "activations": int(t.size),
                               "bursts": int(hits.sum()), "first": float(spans.min())})

    total = len(act)
    counts = act.groupby("key").size().reset_index(name="n")
    counts = counts.sort_values(["n", "key"], ascending=[False, True]).head(int(p["top_n"]))
    top = [{"key": k, "activations": int(n), "share": n / total}
           for k, n in zip(counts["key"], counts["n"], strict=True)]
    top_share = float(sum(x["activations"] for x in top) / total) if total else 0.0

    priorities: dict[str, float] = {}
    if "priority" in act.columns and total:
        priorities = {str(k): v / total for k, v in act["priority"].value_counts().sort_index().items()}

    names = ("period_s", "acceptable_per_10min", "manageable_per_10min", "flood_per_10min", "chatter_count",
             "chatter_window_s", "standing_after_s", "top_n", "top10_share_max", "priority_share_low",
             "priority_share_medium", "priority_share_high")
    benchmarks = {n: {"value": p[n], "unit": PARAMETERS[n].unit, "tag": PARAMETERS[n].tag} for n in names}
    return EemuaFigures(start=t_start.to_pydatetime(), end=t_end.to_pydatetime(), areas=areas, standing=standing,
                        chattering=chattering, top=top, top_share=top_share, priorities=priorities,
                        benchmarks=benchmarks)
