"""Grade the store: read units, inventories and people, run GB 18218, write the results.

The I/O edge around :func:`geo_risk.analysis.hazard_sources.assess_units`. Results replace the
previous ones in one transaction, stamped with the store's inputs version, so a reader can tell
whether they are current (:func:`results_are_current`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo_risk.analysis.exposure import exposed_people
from geo_risk.analysis.hazard_sources import METHOD, REGISTER_BY_STATUS, assess_units
from geo_risk.store import results
from geo_risk.store.read import read_layer, read_table

__all__ = ["GradingReport", "grade_store"]


@dataclass
class GradingReport:
    """Counts of a grading run: units assessed, major hazards per grade, planned ones apart."""

    units: int
    major: dict[int, int]  # grade → number of major hazard units in the register
    planned_major: int
    approximate: int
    inputs_version: int

    def summary(self) -> str:
        grades = ", ".join(f"{g}级 {self.major.get(g, 0)}" for g in (1, 2, 3, 4)).replace("1级", "一级") \
            .replace("2级", "二级").replace("3级", "三级").replace("4级", "四级")
        return (f"GB 18218: {self.units} units assessed; major hazard units in the register: "
                f"{sum(self.major.values())} ({grades}); planned: {self.planned_major}"
                + (f"; {self.approximate} approximate (enterprise without boundary)" if self.approximate else ""))


def grade_store(url: str) -> GradingReport:
    """Recompute every GB 18218 result of the store at ``url`` and replace the stored ones."""
    version = results.inputs_version(url)
    enterprises = read_layer(url, "enterprises", ("status",))
    graded = enterprises[enterprises["status"].isin(list(REGISTER_BY_STATUS))]
    units = read_table(url, "hazard_units", ("enterprise_id", "operating_temperature_c", "operating_pressure_mpa",
                                            "special_process"))
    inventory = read_table(url, "inventory", ("unit_id", "chemical", "cas", "table1_seq", "hazard_categories",
                                              "max_quantity_t", "temperature_c", "pressure_mpa"), index=False)
    residential = read_layer(url, "residential_areas", ("population",))
    targets = read_layer(url, "protection_targets", ("population",))
    exposure = exposed_people(graded, residential, targets)
    assessed = assess_units(units, inventory, exposure, enterprises[["status"]])
    results.replace_assessments(url, assessed, version, METHOD)
    major = assessed[assessed["is_major_hazard"].astype(bool)]  # an empty object column would select columns
    in_register = major[major["register"] == "register"]
    return GradingReport(
        units=len(assessed),
        major={int(g): int(n) for g, n in pd.Series(in_register["grade"]).value_counts().items()},
        planned_major=int((major["register"] == "planned").sum()),
        approximate=int(assessed["approximate"].sum()) if len(assessed) else 0,
        inputs_version=version,
    )
