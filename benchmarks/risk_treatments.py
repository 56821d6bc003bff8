"""The sample city's QRA enterprises under the old and the new treatment of wind sectors and people.

For every enterprise the GB/T 37243 method sends to the QRA (as ``geo-risk risk --all`` does), one
process runs ``assess_scope`` twice on the same inputs and the same consequence models (so the
reach boxes are computed once):

- **old**: ``sector_smoothing="rays"`` (all wind of a sector along its centre bearing) and
  ``population_treatment="outdoor_everyone"`` (everyone present at the busier period, outdoors,
  IR lethality);
- **new** (the defaults): sectors spread over their width, the Purple Book population treatment
  (day/night presence, indoors/outdoors, indoor lethality per effect);
- **new_ff0**: as new with the UNCONFIRMED flash-fire indoor factor at 0 instead of 1 (sensitivity).

It prints, per enterprise, the F-N region and the largest N, and keeps each iso-risk contour's
reach beyond the installations (m), with the counts of regions; and writes
``benchmarks/out/risk_treatments.json``. Restricted figures (quantities) are not printed.

    python benchmarks/risk_treatments.py --url postgresql+psycopg2://…   # a store with the sample city loaded
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="SQLAlchemy URL of a store with the sample city loaded")
    ap.add_argument("--cell-m", type=float, default=25.0)
    args = ap.parse_args()

    from geo_risk.analysis.methods import method_rows
    from geo_risk.risk.run import RiskSettings, _reach_beyond, assess_scope
    from geo_risk.risk_runs import _read, _scope_inputs

    data = _read(args.url)
    ents = data["enterprises"]
    table = method_rows(ents[["name", "status"]],
                        data["units"][["enterprise_id", "name", "unit_type", "equipment", "fire_class"]],
                        data["inventory"][["unit_id", "chemical", "cas", "max_quantity_t", "table1_seq",
                                           "hazard_categories", "state"]])
    ent_rows = table[table["level"] == "enterprise"].set_index("enterprise_id")
    unit_rows = table[table["level"] == "unit"].set_index("unit_id")
    qra_units = unit_rows[unit_rows["assessed"] & (unit_rows["method"] == "qra")]
    qra = [e for e, r in ent_rows.iterrows() if r["assessed"] and e in set(qra_units["enterprise_id"])]
    treatments = {
        "old": RiskSettings(cell_m=args.cell_m, sector_smoothing="rays", population_treatment="outdoor_everyone"),
        "new": RiskSettings(cell_m=args.cell_m),
        # sensitivity: the UNCONFIRMED flash-fire indoor factor at the other published value (0)
        "new_ff0": RiskSettings(cell_m=args.cell_m, flash_fire_indoor_factor=0.0),
    }
    rows = []
    seconds = dict.fromkeys(treatments, 0.0)
    t_all = time.perf_counter()
    for e in qra:
        inputs = _scope_inputs(data, "enterprise", e, [e], ent_rows.loc[e, "criteria"], args.cell_m)
        row = {"enterprise": e}
        installations = inputs.units.geometry.union_all()
        for name, settings in treatments.items():
            t0 = time.perf_counter()
            result = assess_scope(inputs, settings)
            seconds[name] += time.perf_counter() - t0
            row[name] = {
                "region": result.region["region"] if result.region else None,
                "max_n": round(float(result.fn_n.max()), 2) if len(result.fn_n) else 0.0,
                "reach_beyond_installations_m": {
                    f"{level:g}": round(_reach_beyond(geom, installations), 1)
                    for level, _label, _classes, geom in result.contours},
            }
        rows.append(row)
        print(f"{e}: old {row['old']['region']:>12} N≤{row['old']['max_n']:>9.1f} | new {row['new']['region']:>12} "
              f"N≤{row['new']['max_n']:>9.1f} | flash-fire indoor 0: {row['new_ff0']['region']:>12} "
              f"N≤{row['new_ff0']['max_n']:>9.1f}", flush=True)
    counts = {name: dict(Counter(r[name]["region"] for r in rows)) for name in treatments}
    print(f"\nF-N regions of {len(rows)} QRA enterprises: old {counts['old']}; new {counts['new']}; new with the "
          f"flash-fire indoor factor 0: {counts['new_ff0']}")
    print(f"assess_scope seconds (the first, old, also computes the reach boxes): {seconds}; "
          f"all {time.perf_counter() - t_all:.0f} s")
    out = REPO / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "risk_treatments.json").write_text(json.dumps({"rows": rows, "regions": counts, "seconds": seconds},
                                                         indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
