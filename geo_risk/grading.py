"""Grade the store: read units, inventories and people, run GB 18218, write the results.

The I/O edge around :func:`geo_risk.analysis.hazard_sources.assess_units`. Results are stamped with
the store's inputs version, so a reader can tell whether they are current
(:func:`geo_risk.store.results.assessments_are_current`).

Only what the results need is read: the graded enterprises, their units and inventory, and the
residential areas and protection targets in a box around each of them that holds everything within
:data:`REACH_M`, chosen in the database by the layers' GiST indexes — never a whole residential
layer. After a load, :func:`grade_store` given the load's :class:`~geo_risk.store.loader.LoadChanges`
grades only the enterprises the load can have changed (the plants whose 500 m ring meets a
residential area or protection target it wrote, where it was or where it is now; those whose
boundary, status, units or inventory it wrote) and keeps every other result, as a full grade would
compute it again. When that cannot be vouched for (results stale before the load, another write
since), the whole store is graded.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from geo_risk.analysis.exposure import RING_M, exposed_people
from geo_risk.analysis.hazard_sources import METHOD, REGISTER_BY_STATUS, assess_units
from geo_risk.store import results
from geo_risk.store.read import read_layer, read_near_plants, read_table

if TYPE_CHECKING:
    from geo_risk.store.loader import LoadChanges

__all__ = ["REACH_M", "GradingReport", "grade_store"]

#: Distance, metres (geodesic), within which a residential area or protection target can enter a
#: plant's GB 18218 result: the 500 m ring (:data:`~geo_risk.analysis.exposure.RING_M`) plus a
#: margin for the ring being drawn in the plant's UTM zone (scale error ≤ 0.1 %, 0.5 m) and
#: polygonised. Selecting a little more than the ring meets changes nothing: ``exposed_people``
#: apportions exactly what its ring meets.
REACH_M = RING_M + 10.0

_UNIT_COLUMNS = ("enterprise_id", "operating_temperature_c", "operating_pressure_mpa", "special_process")
_INVENTORY_COLUMNS = ("unit_id", "chemical", "cas", "table1_seq", "hazard_categories", "max_quantity_t",
                      "temperature_c", "pressure_mpa")


@dataclass
class GradingReport:
    """Counts of a grading run: units assessed, major hazards per grade, planned ones apart.

    ``units`` and the counts are those of the units graded in this run; ``incremental`` tells
    whether only the enterprises a load changed were graded (``enterprise_ids``) or the whole store.
    """

    units: int
    major: dict[int, int]  # grade → number of major hazard units in the register
    planned_major: int
    approximate: int
    inputs_version: int
    incremental: bool = False
    enterprise_ids: list[str] = field(default_factory=list)  # enterprises graded in this run
    seconds: float = 0.0

    def summary(self) -> str:
        grades = ", ".join(f"{g}级 {self.major.get(g, 0)}" for g in (1, 2, 3, 4)).replace("1级", "一级") \
            .replace("2级", "二级").replace("3级", "三级").replace("4级", "四级")
        scope = (f"re-graded the {len(self.enterprise_ids)} enterprise(s) the load changed, other results kept"
                 if self.incremental else f"whole store, {len(self.enterprise_ids)} enterprise(s)")
        return (f"GB 18218: {self.units} units assessed; major hazard units in the register: "
                f"{sum(self.major.values())} ({grades}); planned: {self.planned_major}"
                + (f"; {self.approximate} approximate (enterprise without boundary)" if self.approximate else "")
                + f" [{scope}; {self.seconds:.2f} s]")


def grade_store(url: str, changes: LoadChanges | None = None) -> GradingReport:
    """Compute the GB 18218 results of the store at ``url`` and store them.

    Without ``changes``, every result is recomputed and the stored ones replaced. With the
    :class:`~geo_risk.store.loader.LoadChanges` of a load just committed, only the enterprises it
    can have changed are graded and the other results are kept (stamped current) — provided the
    results were current before the load and nothing else was written since; otherwise the whole
    store is graded.
    """
    t0 = time.perf_counter()
    if (changes is not None and changes.results_were_current and changes.reach_m >= REACH_M
            and results.inputs_version(url) == changes.inputs_version):
        ids = sorted(changes.enterprise_ids)
        assessed, graded = _assess(url, ids)
        if results.replace_assessments_of(url, assessed, frozenset(ids), changes.inputs_version, METHOD,
                                          basis_version=changes.inputs_version_before):
            return _report(assessed, changes.inputs_version, True, graded, time.perf_counter() - t0)
    version = results.inputs_version(url)
    assessed, graded = _assess(url, None)
    results.replace_assessments(url, assessed, version, METHOD)
    return _report(assessed, version, False, graded, time.perf_counter() - t0)


def _assess(url: str, enterprise_ids: Collection[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """Assess the units of ``enterprise_ids`` (None: every enterprise); return them and the enterprises graded."""
    enterprises = read_layer(url, "enterprises", ("status",), ids=enterprise_ids)
    graded = enterprises[enterprises["status"].isin(list(REGISTER_BY_STATUS))]
    ids = [str(i) for i in graded.index]
    if enterprise_ids is None:  # the whole store: every unit (those of ungraded enterprises are left out below)
        units = read_table(url, "hazard_units", _UNIT_COLUMNS)
        inventory = read_table(url, "inventory", _INVENTORY_COLUMNS, index=False)
    else:
        units = read_table(url, "hazard_units", _UNIT_COLUMNS, where_in=("enterprise_id", ids))
        inventory = read_table(url, "inventory", _INVENTORY_COLUMNS, index=False,
                               where_in=("unit_id", [str(u) for u in units.index]))
    # The boxes only (exact=False): exposed_people measures the ring itself, and the geodesic test would
    # cost the database 6× the box test.
    residential = read_near_plants(url, "residential_areas", ("population",), ids, REACH_M, exact=False)
    targets = read_near_plants(url, "protection_targets", ("population",), ids, REACH_M, exact=False)
    exposure = exposed_people(graded, residential, targets)
    return assess_units(units, inventory, exposure, enterprises[["status"]]), ids


def _report(assessed: pd.DataFrame, version: int, incremental: bool, graded: list[str],
            seconds: float) -> GradingReport:
    major = assessed[assessed["is_major_hazard"].astype(bool)]  # an empty object column would select columns
    in_register = major[major["register"] == "register"]
    return GradingReport(
        units=len(assessed),
        major={int(g): int(n) for g, n in pd.Series(in_register["grade"]).value_counts().items()},
        planned_major=int((major["register"] == "planned").sum()),
        approximate=int(assessed["approximate"].sum()) if len(assessed) else 0,
        inputs_version=version,
        incremental=incremental,
        enterprise_ids=graded,
        seconds=seconds,
    )
