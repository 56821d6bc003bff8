"""A small run of every benchmark, printing their ratios: run it (``make bench-smoke``) before stopping.

Each benchmark under ``benchmarks/`` at a small size — loading, tiles and exports on 100,000
residential polygons, grading on the sample city and a 2,500-unit province, the risk engine's
series on one and four sources at 50 m — each in its own process, one after the other. Prints, for each, the lines
that carry its ratios (``×``) and its time, and the whole output goes to
``benchmarks/out/smoke_<name>.log``. Exits non-zero if any benchmark failed. Takes a few minutes
(the first run also builds tipg's venv from PyPI for the tile benchmark and caches the generated
files under ``benchmarks/out/``).

A small run is noisier than a full one (fixed start-up costs weigh more, and the machine is
shared): it is there to make a regression visible (a ratio that halves), not to replace the full
runs whose figures the README quotes.

    python benchmarks/smoke.py
    python benchmarks/smoke.py --only load,grading
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

#: name → arguments of benchmarks/<name>.py for a small run.
SMOKE: dict[str, list[str]] = {
    "load": ["--rows", "100000"],
    "grading": ["--units", "2500"],
    "risk": ["--skip-city", "--sources", "1,4", "--cells", "50", "--ref-cells", "5"],
    "tiles": ["--quick", "--clients", "1,8", "--bboxes", "20"],
    "export": ["--rows", "100000"],
    "analyses_clusters": ["--skip-city", "--units", "500", "--residential", "20000"],
    "analyses_conflicts": ["--units", "2000", "--residential", "100000"],
    "analyses_zoning": ["--skip-city", "--units", "500", "--residential", "20000"],
    "alarms": ["--sensors", "700", "--seconds", "30"],
    "relocation": ["--units", "2500", "--residential", "10000", "--site-check-firms", "2"],
    "monitoring": ["--seconds", "5"],
    "hidden_dangers": ["--items", "2000"],
    "live": ["--alarms", "50"],
}


def ratio_lines(output: str) -> list[str]:
    """The lines of a benchmark's output that carry a ratio (×), with the table header above each block."""
    lines = output.splitlines()
    keep: list[str] = []
    for i, line in enumerate(lines):
        if "×" not in line:
            continue
        if i > 0 and "×" not in lines[i - 1] and lines[i - 1].strip() and (not keep or keep[-1] != lines[i - 1]):
            keep.append(lines[i - 1])
        keep.append(line)
    return keep


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(SMOKE), help=f"benchmarks to run, comma-separated ({','.join(SMOKE)})")
    args = ap.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SMOKE]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(SMOKE)}")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    failed = []
    for name in names:
        cmd = [sys.executable, str(HERE / f"{name}.py"), *SMOKE[name]]
        print(f"== {name}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(cmd))}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        log = OUT / f"smoke_{name}.log"
        log.write_text(proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr else ""), encoding="utf-8")
        if proc.returncode != 0:
            failed.append(name)
            print(f"   FAILED ({proc.returncode}) after {seconds:.0f} s; the end of its output ({log}):")
            for line in (proc.stdout + proc.stderr).splitlines()[-15:]:
                print(f"   {line}")
            continue
        for line in ratio_lines(proc.stdout + proc.stderr):
            print(f"   {line}")
        print(f"   ({seconds:.0f} s; whole output in {log})", flush=True)
    print(f"\nbench-smoke: {len(names) - len(failed)}/{len(names)} benchmarks ran in "
          f"{(time.perf_counter() - started) / 60:.1f} min" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
