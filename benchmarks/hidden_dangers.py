"""Benchmark the hidden-danger register (issue 15) on the sample city with a generated register.

On a freshly migrated database of a private PostGIS cluster, the sample city is loaded and a
register of ``--items`` hidden dangers (default 50,000) over its 150 enterprises is generated as a
regulator's CSV with Chinese headers (企业名称, 隐患描述, 隐患级别, 判定依据, 发现日期, 整改期限, 责任人, 状态,
挂牌督办, 是否公示; 15 % major, half of those listed publicly). Then, in the same run:

- **import**: ``geo_risk.hidden_dangers.import_file`` (read the CSV, map the headers, check every row
  against the store's enterprises and the rules, insert items and their history rows in one
  transaction, audit) against the **bare COPY** of the same CSV into an unchecked text table — the
  floor any import pays for moving the bytes.
- **map colours**: the view ``hidden_dangers_map`` (per enterprise: open, overdue, worst colour on a
  fixed day) against the **Python alternative**: fetch the open items and colour each enterprise with
  :func:`geo_risk.analysis.hidden_dangers.enterprise_colour`; both must agree enterprise by enterprise.
- **overdue list**: ``list_items(overdue=True)`` on the fixed day.

    python benchmarks/hidden_dangers.py                 # 50,000 items
    python benchmarks/hidden_dangers.py --items 2000    # the smoke size
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _province import on_fresh_databases  # noqa: E402

REF = dt.date(2026, 12, 1)
HEADERS = ["企业名称", "隐患描述", "隐患级别", "判定依据", "发现日期", "整改期限", "责任人", "状态", "挂牌督办",
           "是否公示"]
STATUS_ZH = ["已上报", "已交办", "整改中", "已复查", "已销号"]


def make_register(path: Path, names: list[str], n: int, seed: int = 15) -> None:
    """A plausible register of ``n`` items over enterprises ``names`` (UTF-8 with BOM)."""
    rng = np.random.default_rng(seed)
    found0 = dt.date(2026, 1, 1)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for i in range(n):
            major = rng.random() < 0.15
            found = found0 + dt.timedelta(days=int(rng.integers(0, 330)))
            deadline = found + dt.timedelta(days=int(rng.integers(3, 120 if major else 30)))
            w.writerow([names[int(rng.integers(len(names)))], f"隐患 {i}: 检查发现的问题描述",
                        "重大" if major else "一般",
                        f"121-{int(rng.integers(1, 21)):02d}" if major else "", found.isoformat(),
                        deadline.isoformat(), f"责任人{i % 97}", STATUS_ZH[int(rng.integers(5))],
                        "是" if major else "否", "是" if major and rng.random() < 0.5 else "否"])


def bench_one(name: str, path: Path, url: str, is_province: bool, root: Path) -> dict:
    from geo_risk.analysis.hidden_dangers import enterprise_colour
    from geo_risk.hidden_dangers import import_file
    from geo_risk.io.load import load_path
    from geo_risk.store.db import get_engine
    from geo_risk.store.hidden_dangers import list_items

    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        load_path(path, raw.driver_connection)
    finally:
        raw.close()
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM enterprises ORDER BY id"))]
    register = root / "register.csv"
    make_register(register, names, ARGS.items)
    out: dict = {"items": ARGS.items}

    t = time.perf_counter()
    ids = import_file(url, register, actor="bench")
    out["import_s"] = time.perf_counter() - t
    assert len(ids) == ARGS.items
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("CREATE TABLE bare_copy (" + ", ".join(f"c{i} text" for i in range(len(HEADERS))) + ")")
        t = time.perf_counter()
        with open(register, encoding="utf-8-sig") as f:
            cur.copy_expert("COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", f)
        raw.commit()
        out["copy_s"] = time.perf_counter() - t
    finally:
        raw.close()

    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('geo_risk.today', :d, false)"), {"d": REF.isoformat()})
        conn.execute(text("ANALYZE hidden_dangers"))
        best_view = best_py = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            view = {r[0]: r[1] for r in conn.execute(text("SELECT id, colour FROM hidden_dangers_map"))}
            best_view = min(best_view, time.perf_counter() - t)
            t = time.perf_counter()
            items: dict[str, list] = {}
            for e, lvl, dl, st in conn.execute(text("SELECT enterprise_id, level, deadline, status FROM hidden_dangers "
                                                    "WHERE status <> 'closed'")):
                items.setdefault(e, []).append((lvl, dl, st))
            py = {e: enterprise_colour(v, REF) for e, v in items.items()}
            best_py = min(best_py, time.perf_counter() - t)
    assert view == py, "the view and the rules disagree"
    out.update(view_s=best_view, python_s=best_py, enterprises=len(view))
    t = time.perf_counter()
    overdue = list_items(url, on=REF, overdue=True, limit=10_000_000)
    out.update(overdue_list_s=time.perf_counter() - t, overdue=len(overdue))
    return out


def main() -> None:
    from geo_risk.settings import PROJECT_ROOT

    city = PROJECT_ROOT / "sample_geo" / "jilin_city.gpkg"
    (r,) = on_fresh_databases("geo_risk_bench_hd_", [("city", city, False)], bench_one)
    n = r["items"]
    print(f"hidden-danger register: {n:,} items over {r['enterprises']} enterprises with open items (day {REF})")
    print(f"  import (read, check every row, insert + history, audit): {r['import_s']:.2f} s "
          f"({n / r['import_s']:,.0f} rows/s); bare COPY of the same CSV: {r['copy_s']:.3f} s "
          f"→ ×{r['import_s'] / r['copy_s']:.1f} the floor")
    print(f"  map colours: view hidden_dangers_map {r['view_s'] * 1e3:.1f} ms; fetch + rules in Python "
          f"{r['python_s'] * 1e3:.1f} ms → view ×{r['python_s'] / r['view_s']:.1f} faster; colours agree")
    print(f"  overdue list on {REF}: {r['overdue']:,} items in {r['overdue_list_s'] * 1e3:.0f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=50_000)
    ARGS = ap.parse_args()
    main()
