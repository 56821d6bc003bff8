"""Run every spatial-analysis benchmark: each ``benchmarks/analyses_*.py`` module's ``run(size)``.

Each module compares one analysis of :mod:`geo_risk.analyse` (conflicts, clusters, zoning …) with the
same analysis written as PostGIS SQL, on the sample city and a generated province, and prints its own
table. A new analysis adds its module; nothing here changes.

    python benchmarks/analyses.py                      # size "small": the city + a 2,000-unit province
    python benchmarks/analyses.py --size full          # the city + a 20,000-unit, 1,000,000-home province
    python benchmarks/analyses.py --only conflicts     # one module (analyses_conflicts.py)

Sizes are the modules' own (``SIZES`` in each; "small" and "full" in all of them). Results go to
``benchmarks/out/analyses_<size>.json`` beside the printed tables.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def modules(only: list[str] | None = None) -> list[str]:
    """The benchmark modules' names (``analyses_<name>``), sorted; only those named when given."""
    names = sorted(p.stem for p in HERE.glob("analyses_*.py"))
    if only:
        wanted = {f"analyses_{n}" if not n.startswith("analyses_") else n for n in only}
        unknown = sorted(wanted - set(names))
        if unknown:
            raise SystemExit(f"no benchmark module {', '.join(unknown)}; modules: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="small", help="small or full (see each module's SIZES)")
    ap.add_argument("--only", action="append", help="one analysis (repeatable): conflicts, clusters, zoning …")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    results: dict[str, object] = {}
    for name in modules(args.only):
        print(f"\n=== {name} ({args.size}) ===", flush=True)
        t = time.perf_counter()
        try:
            results[name] = {"runs": importlib.import_module(name).run(args.size),
                             "wall_s": time.perf_counter() - t}
        except Exception as exc:  # noqa: BLE001 - one failing benchmark does not stop the others
            print(f"{name} failed: {exc}", flush=True)
            results[name] = {"error": str(exc)[-2000:], "wall_s": time.perf_counter() - t}
    out = HERE / "out" / f"analyses_{args.size}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
