"""``geo-risk load``: read, validate and store interchange layers, all or nothing.

Every layer found at the path is streamed chunk by chunk: columns are renamed (Shapefile aliases),
the CRS resolved, each row validated (:mod:`geo_risk.io.validate`), derived values added (the GB
36894 class of protection targets and housing), and the rows COPYed into staging tables of one
transaction. Then ids and references are checked across the whole load. If any row was rejected,
or on ``dry_run``, the transaction is rolled back and the store is untouched; otherwise every layer
is upserted and committed together.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo_risk.errors import CRSMismatch, InvalidInput, Problem, ValidationFailed
from geo_risk.io import readers
from geo_risk.io.crs import SourceCRS, resolve_crs
from geo_risk.io.schema import LAYERS, LOAD_ORDER
from geo_risk.io.validate import normalise_columns, validate_chunk
from geo_risk.standards import gb36894

if TYPE_CHECKING:
    from geo_risk.store.loader import LoadChanges

__all__ = ["LoadReport", "load_path", "ProgressFn"]

#: progress(layer, rows_done_in_layer, rows_total_in_layer)
ProgressFn = Callable[[str, int, int], None]


@dataclass
class LoadReport:
    """What a load did (or, on a dry run, would do)."""

    source: str
    layers: dict[str, int] = field(default_factory=dict)  # rows read per layer
    crs: dict[str, str] = field(default_factory=dict)  # CRS each layer was read in
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # inserted/updated/... per layer
    dry_run: bool = False
    # What a committed load changed, for grading only that (geo_risk.grading.grade_store); None on a dry run.
    changes: LoadChanges | None = None

    def summary(self) -> str:
        lines = [f"{'Dry run of' if self.dry_run else 'Loaded'} {self.source}:"]
        for layer, n in self.layers.items():
            c = self.counts.get(layer)
            detail = (
                f" — {c['inserted']} new, {c['updated']} updated, {c['unchanged']} unchanged"
                + (f", {c['deleted']} removed" if c.get("deleted") else "")
                if c
                else ""
            )
            lines.append(f"  {layer}: {n} rows ({self.crs.get(layer, 'no geometry')}){detail}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _derive(layer: str, rows: pd.DataFrame, spec_problems: list[Problem]) -> pd.DataFrame:
    """Add values the store derives: GB 36894 classes, inventory ids, administrative areas' ids (their codes)."""
    if layer == "protection_targets":
        given = rows["category"].notna()
        kind = rows["kind"].astype("string").str.strip().str.lower()
        known = kind.isin(list(gb36894.TARGET_KINDS)).fillna(False)
        for pos in np.flatnonzero(rows["kind"].notna().to_numpy() & ~known.to_numpy()):
            spec_problems.append(
                Problem(
                    layer,
                    int(rows["_row"].iat[pos]),
                    rows["id"].iat[pos],
                    f"kind {rows['kind'].iat[pos]!r} is not a protection-target kind; valid kinds: "
                    f"{', '.join(gb36894.TARGET_KINDS)}",
                )
            )
        rows["kind"] = kind.astype(object).where(kind.notna(), None)
        todo = ~given & known
        derived = pd.Series([None] * len(rows), index=rows.index, dtype=object)
        if todo.any():
            derived[todo] = gb36894.classify_targets(kind[todo], _counts(rows.loc[todo, "population"]))
        rows["category"] = rows["category"].where(given, derived)
        rows["category_derived"] = ~given
    elif layer == "inventory":
        # Every row must resolve against the GB 18218 catalogue (Table 1, or Table 2 categories).
        from geo_risk.chemicals import resolve
        from geo_risk.errors import GeoRiskError

        seen: dict[tuple, str | None] = {}
        for pos, rec in enumerate(rows[["chemical", "cas", "table1_seq", "hazard_categories"]].itertuples(index=False)):
            if rec.chemical is None:
                continue  # reported as a missing required field
            key = tuple(None if pd.isna(v) else v for v in rec)
            if key not in seen:
                try:
                    resolve(key[0], key[1], int(key[2]) if key[2] is not None else None, key[3])
                    seen[key] = None
                except GeoRiskError as exc:
                    seen[key] = str(exc)
            if seen[key]:
                spec_problems.append(Problem(layer, int(rows["_row"].iat[pos]), rows["id"].iat[pos], seen[key]))
    elif layer == "admin_areas":
        rows["id"] = rows["code"]  # an administrative area is known by its division code
    elif layer == "residential_areas":
        ok = rows["population"].notna()
        cat = pd.Series([None] * len(rows), index=rows.index, dtype=object)
        if ok.any():
            cat[ok] = gb36894.classify_targets(
                pd.Series("residential", index=rows.index[ok]),
                _counts(rows.loc[ok, "population"]),
                _counts(rows.loc[ok, "households"]),
            )
        rows["category"] = cat
    return rows


def _counts(values: pd.Series) -> pd.Series:
    """Headcounts for classification; values already rejected (negative, absurd) become unknown."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    return v.where((v >= 0) & np.isfinite(v))


def _inventory_ids(rows: pd.DataFrame, counters: dict[str, int]) -> None:
    """Give inventory rows without an id the id "<unit_id>/<n>" (n-th row of that unit in the file)."""
    missing = rows["id"].isna() & rows["unit_id"].notna()
    for pos in np.flatnonzero(missing.to_numpy()):
        unit = rows["unit_id"].iat[pos]
        counters[unit] = counters.get(unit, 0) + 1
        rows.iat[pos, rows.columns.get_loc("id")] = f"{unit}/{counters[unit]}"


class _Prefetched:
    """Iterate ``items`` produced on a background thread, at most ``depth`` ahead.

    Reading a chunk (GDAL, Arrow, WKB parsing: mostly outside the GIL) then overlaps with
    validating the previous one. An error of the producer is raised here, in the consumer; the
    producer (and the file it holds open) is closed by :meth:`close` or at the end.
    """

    _END = object()

    def __init__(self, items: Iterable, depth: int = 1) -> None:
        self._items = items
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="geo_risk-read", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((None, item)):
                    return
            self._put((None, self._END))
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer's thread
            self._put((exc, None))
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator:
        while True:
            error, item = self._queue.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
        self._thread.join()


def load_path(
    path: Path,
    raw_connection: object | None,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    dry_run: bool = False,
    chunk_rows: int = 25_000,
    progress: ProgressFn | None = None,
    max_problems: int = 10_000,
) -> LoadReport:
    """Load every interchange layer at ``path`` into the store, all or nothing.

    Parameters
    ----------
    raw_connection
        A psycopg2 connection (autocommit off) to the migrated store. The load is one transaction
        on it: committed on success, rolled back on any rejected row or when ``dry_run``.
    crs
        Overrides the files' CRS: an EPSG code, ``gcj02`` or ``bd09``.

    Raises
    ------
    ValidationFailed
        Listing every problem (layer, row, id, reason); nothing was written.
    """
    from geo_risk.store.loader import DirectPathFailed

    kwargs = dict(crs=crs, encoding=encoding, layer=layer, dry_run=dry_run, chunk_rows=chunk_rows,
                  progress=progress, max_problems=max_problems)
    try:
        return _load_once(Path(path), raw_connection, allow_direct=True, **kwargs)
    except DirectPathFailed:
        # A load straight into empty tables met duplicates or dangling references: it was rolled
        # back; load again through staging tables, which report every problem with its row.
        return _load_once(Path(path), raw_connection, allow_direct=False, **kwargs)


def _load_once(
    path: Path,
    raw_connection: object,
    *,
    allow_direct: bool,
    crs: str | None,
    encoding: str | None,
    layer: str | None,
    dry_run: bool,
    chunk_rows: int,
    progress: ProgressFn | None,
    max_problems: int,
) -> LoadReport:
    from geo_risk.grading import REACH_M
    from geo_risk.store.loader import StagedLoad

    sources = sorted(readers.discover(path, layer), key=lambda s: LOAD_ORDER.index(s.layer))
    report = LoadReport(source=str(path), dry_run=dry_run)
    problems: list[Problem] = []
    stage = StagedLoad(raw_connection, source=path.name, allow_direct=allow_direct, reach_m=REACH_M)
    chunks: _Prefetched | None = None
    try:
        for src in sources:
            spec = LAYERS[src.layer]
            total = readers.count_rows(src, encoding)
            source_crs: SourceCRS | None = None
            if spec.geometry is not None:
                try:
                    source_crs = resolve_crs(
                        crs,
                        readers.file_crs(src, encoding),
                        src.layer,
                        csv_lonlat=src.is_csv and readers.csv_has_lonlat(src, encoding),
                    )
                except CRSMismatch as exc:
                    problems.append(Problem(src.layer, None, None, str(exc)))
                    continue
                report.crs[src.layer] = source_crs.label
                if source_crs.assumed:
                    report.warnings.append(
                        Problem(
                            src.layer,
                            None,
                            None,
                            "no CRS given: lon/lat assumed to be WGS 84 (EPSG:4326); "
                            "pass --crs if they are CGCS2000, GCJ-02 or BD-09",
                            "warning",
                        )
                    )
            done = 0
            inventory_counters: dict[str, int] = {}
            stage.begin_layer(src.layer, total)
            chunks = _Prefetched(readers.read_chunks(src, chunk_rows, encoding))
            for chunk in chunks:
                chunk.attrs = chunk.attrs.rename(columns=normalise_columns(list(chunk.attrs.columns), spec))
                if chunk.attrs.columns.duplicated().any():
                    dup = sorted(set(chunk.attrs.columns[chunk.attrs.columns.duplicated()]))
                    raise InvalidInput(
                        f"{src.label}: columns {dup} appear twice after matching Shapefile "
                        f"aliases and case; rename one of them"
                    )
                checked = validate_chunk(spec, chunk.attrs, chunk.geoms, source_crs, chunk.first_row, chunk.wkb)
                errors = [p for p in checked.problems if p.severity == "error"]
                report.warnings.extend(p for p in checked.problems if p.severity != "error")
                rows = checked.rows
                if src.layer == "inventory":
                    _inventory_ids(rows, inventory_counters)
                extra: list[Problem] = []
                rows = _derive(src.layer, rows, extra)
                errors.extend(extra)
                problems.extend(errors)
                # Stage the good rows even after a problem, so that duplicate ids and references
                # are checked across the whole load and every problem is reported at once. A load
                # with problems is rolled back.
                bad = checked.bad.copy()
                if extra:
                    bad |= rows["_row"].isin([p.row for p in extra]).to_numpy()
                stage.copy_chunk(src.layer, rows[~bad] if bad.any() else rows, source=src.label)
                if len(problems) > max_problems:
                    break
                done += len(rows)
                if progress:
                    progress(src.layer, done, total)
            chunks.close()
            report.layers[src.layer] = done
        problems.extend(stage.check())
        if problems:
            stage.rollback()
            problems.sort(
                key=lambda p: (LOAD_ORDER.index(p.layer) if p.layer in LOAD_ORDER else 99, p.row or 0)
            )
            raise ValidationFailed(problems)
        report.counts = stage.write()
        if dry_run:
            stage.rollback()
        else:
            stage.commit()
            report.changes = stage.changes
    except BaseException:
        if chunks is not None:
            chunks.close()
        stage.rollback()
        raise
    return report
