"""Bulk writes of a load: staging by COPY, cross-row checks, and the all-or-nothing upsert.

A load runs in one transaction on one connection:

1. every validated chunk is COPYed into a temporary staging table per layer (no indexes, no WAL) —
   or, when the layer's table is empty and ``allow_direct``, straight into that table, with its
   GiST index dropped and rebuilt after (allowed: the table holds no data). A direct load that
   meets any problem raises :class:`DirectPathFailed`; the caller rolls back and loads again
   through staging, which names the rows;
2. :meth:`StagedLoad.check` finds duplicate ids and references that resolve neither in the load
   nor in the store, naming the rows;
3. :meth:`StagedLoad.write` upserts each layer into its table (``INSERT … ON CONFLICT (id) DO
   UPDATE``, rows whose values did not change are left alone). Into an *empty* table the GiST
   index is dropped and rebuilt after the insert, which is faster; a table holding data keeps its
   indexes. Inventory rows of the units in the load that the load no longer lists are deleted, so
   a unit's inventory is what the latest file says;
4. given ``reach_m``, the same transaction notes which enterprises' GB 18218 results the load can
   have changed (:class:`LoadChanges`): enterprises it wrote, those of the units and inventory rows
   it wrote or deleted (before and after), and the enterprises within ``reach_m`` of a residential
   area or protection target it wrote, at its old and its new place. Only enterprise ids leave the
   database, so this costs no memory however large the load.

Nothing is committed until :meth:`StagedLoad.commit`; any error or a dry run rolls back, so the
store is unchanged.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg2 import sql

from geo_risk.errors import Problem
from geo_risk.io.schema import LAYERS, LOAD_ORDER
from geo_risk.store.models import ENTITY_TABLES

__all__ = ["StagedLoad", "DirectPathFailed", "LoadChanges", "table_columns"]

#: Layers at least this large have their GiST index dropped during a load into an empty table.
GIST_REBUILD_MIN_ROWS = 10_000

#: Bytes handed to the server per call during a COPY. psycopg2 reads its file object block by block
#: and takes the GIL back for each: at its default 8 kB a chunk of 50,000 rows is ~1,500 blocks,
#: each waiting for the validating thread to let go of the GIL; 1 MiB blocks make that ~12.
_COPY_BLOCK_BYTES = 1 << 20


class DirectPathFailed(Exception):
    """A load straight into an empty table met a problem; load again through staging tables."""

_TIMESTAMPS = {"created_at", "updated_at"}


#: Tables some foreign key references: never truncated by a load.
_REFERENCED = {
    fk.column.table.name for model in ENTITY_TABLES.values() for fk in model.__table__.foreign_keys
}


def table_columns(layer: str) -> list[str]:
    """Columns a load writes to the table of ``layer`` (all but the timestamps)."""
    table = ENTITY_TABLES[layer].__table__
    return [c.name for c in table.columns if c.name not in _TIMESTAMPS]


def _stage(layer: str) -> sql.Identifier:
    return sql.Identifier(f"_stage_{layer}")


@dataclass(frozen=True)
class LoadChanges:
    """Which GB 18218 results a committed load can have changed, and on which basis.

    ``enterprise_ids``: the enterprises whose results may differ after the load (every other
    enterprise's inputs — its boundary, status, units, inventory and the people within
    ``reach_m`` of it — are as before). Valid only if the stored results were current when the
    load began writing (``results_were_current``, at inputs version ``inputs_version_before``) and
    only this load wrote since: the store's inputs version is still ``inputs_version``.
    """

    enterprise_ids: frozenset[str]
    results_were_current: bool
    inputs_version_before: int
    inputs_version: int
    reach_m: float


#: Layers whose rows count for the enterprises within reach of them (people near plants).
_NEAR_LAYERS = ("residential_areas", "protection_targets")


class _Writer:
    """Runs the connection's statements on one background thread, in order.

    Serialising and validating the next chunk (Python, one core) overlaps with the server ingesting
    the previous COPY (the other core). Only this thread touches the connection between
    :meth:`submit` and :meth:`flush`; at most ``depth`` chunks wait, bounding memory.
    """

    def __init__(self, depth: int = 2) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="geo_risk-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            try:
                if task is None:
                    return
                if self._error is None:
                    task()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by flush()
                self._error = exc
            finally:
                self._queue.task_done()

    def submit(self, task: Callable[[], None]) -> None:
        if self._error is not None:
            self.flush()
        self._queue.put(task)

    def flush(self) -> None:
        """Wait for every submitted task; re-raise the first error."""
        self._queue.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV without header for COPY: nulls as unquoted empty fields, strings quoted."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


@dataclass
class StagedLoad:
    """One load's transaction. ``conn`` is a raw psycopg2 connection (autocommit off).

    COPYs run on a background writer thread; every other statement first waits for them.
    """

    conn: object
    source: str
    allow_direct: bool = True
    reach_m: float | None = None  # track the enterprises a load touches (LoadChanges) within this reach
    changes: LoadChanges | None = field(default=None, init=False)
    staged: dict[str, int] = field(default_factory=dict)  # layer → rows copied
    direct: set[str] = field(default_factory=set)  # layers copied straight into their empty table
    _dropped: dict[str, list[tuple[str, str]]] = field(default_factory=dict, repr=False)
    _writer: _Writer | None = field(default=None, init=False, repr=False)
    _before: tuple[int, bool] | None = field(default=None, init=False, repr=False)

    def _flush(self) -> None:
        if self._writer is None:
            return
        try:
            self._writer.flush()
        except Exception as exc:
            if self.direct and getattr(exc, "pgcode", None) == "23505":  # unique_violation
                raise DirectPathFailed(f"duplicate id while copying into an empty table: {exc}") from exc
            raise

    def _cur(self):  # noqa: ANN202
        self._flush()
        return self.conn.cursor()  # type: ignore[attr-defined]

    def begin_layer(self, layer: str, expected_rows: int = 0) -> None:
        """Prepare ``layer``: a staging table, or (empty table, direct allowed) the table itself."""
        if layer in self.staged:
            return
        if self.allow_direct and self._is_empty(layer):
            self._note_basis()
            self.direct.add(layer)
            if layer not in _REFERENCED:
                # TRUNCATE of an empty table changes nothing, but a COPY into a table truncated in
                # the same transaction writes no WAL on a server with wal_level = minimal. Never
                # with CASCADE, never on a table a foreign key references: rows elsewhere may
                # exist with a NULL reference (enterprises outside any park) and would be lost.
                with self._cur() as cur:
                    cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(layer)))
            if expected_rows >= GIST_REBUILD_MIN_ROWS:
                # Only for a table holding no data: building the index once after the copy is
                # several times cheaper than maintaining it row by row.
                self._dropped[layer] = self._gist_indexes(layer)
                with self._cur() as cur:
                    for name, _ in self._dropped[layer]:
                        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        else:
            with self._cur() as cur:
                cur.execute(
                    sql.SQL(
                        "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS, _row integer NOT NULL) ON COMMIT DROP"
                    ).format(_stage(layer), sql.Identifier(layer))
                )
        self.staged[layer] = 0

    def _target(self, layer: str) -> sql.Identifier:
        return sql.Identifier(layer) if layer in self.direct else _stage(layer)

    def copy_chunk(self, layer: str, rows: pd.DataFrame, source: str | None = None) -> None:
        """COPY validated rows (columns as :func:`table_columns` plus ``_row``) into the layer's target.

        ``source`` (default: the load's) is recorded in every row. The COPY itself runs on the
        writer thread; errors surface at the next statement.
        """
        self.begin_layer(layer)
        cols = [c for c in table_columns(layer) if c in rows.columns or c == "source"]
        if layer not in self.direct:
            cols.append("_row")
        frame = rows.assign(source=source or self.source)[cols]
        payload = _csv_bytes(frame)
        stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            self._target(layer), sql.SQL(", ").join(map(sql.Identifier, cols))
        ).as_string(self.conn)
        conn = self.conn

        def copy() -> None:
            with conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.copy_expert(stmt, io.BytesIO(payload), size=_COPY_BLOCK_BYTES)

        if self._writer is None:
            self._writer = _Writer()
        self._writer.submit(copy)
        self.staged[layer] += len(frame)

    # -- checks across rows -----------------------------------------------------------------
    def check(self, limit: int = 1000) -> list[Problem]:
        """Duplicate ids within each staged layer and dangling references, as problems.

        Raises :class:`DirectPathFailed` when a layer copied straight into its table has a
        dangling reference (that path keeps no row numbers; the staged reload names the rows).
        """
        problems: list[Problem] = []
        with self._cur() as cur:
            for layer in self.staged:
                if layer in self.direct:
                    continue  # the primary key refused duplicates during the copy
                cur.execute(
                    sql.SQL(
                        "SELECT id, array_agg(_row ORDER BY _row) FROM {} GROUP BY id HAVING count(*) > 1 "
                        "ORDER BY min(_row) LIMIT %s"
                    ).format(_stage(layer)),
                    (limit,),
                )
                for rid, rows in cur.fetchall():
                    for r in rows[1:]:
                        problems.append(
                            Problem(layer, r, rid, f"duplicate id {rid!r}: also on row {rows[0]} of {layer}")
                        )
            for layer, spec in LAYERS.items():
                if layer not in self.staged:
                    continue
                for fld, target in spec.references.items():
                    # A reference resolves in the load or in the store.
                    cond = sql.SQL("EXISTS (SELECT 1 FROM {t} x WHERE x.id = s.{f})").format(
                        t=sql.Identifier(target), f=sql.Identifier(fld)
                    )
                    if target in self.staged and target not in self.direct:
                        cond = sql.SQL("({} OR EXISTS (SELECT 1 FROM {} y WHERE y.id = s.{}))").format(
                            cond, _stage(target), sql.Identifier(fld)
                        )
                    row = sql.SQL("NULL::integer") if layer in self.direct else sql.SQL("s._row")
                    cur.execute(
                        sql.SQL(
                            "SELECT {r}, s.id, s.{f} FROM {s} s WHERE s.{f} IS NOT NULL AND NOT {c} "
                            "ORDER BY 1, 2 LIMIT %s"
                        ).format(r=row, f=sql.Identifier(fld), s=self._target(layer), c=cond),
                        (limit,),
                    )
                    found = cur.fetchall()
                    if found and layer in self.direct:
                        raise DirectPathFailed(f"{layer}: {len(found)} dangling reference(s) in {fld}")
                    for r, rid, ref in found:
                        problems.append(
                            Problem(layer, r, rid, f"{fld} {ref!r} refers to no row of {target}, "
                                                   f"neither in this load nor in the store")
                        )
        return problems

    # -- what the load changed --------------------------------------------------------------
    def _note_basis(self) -> None:
        """Before the load's first write to an entity table: lock the inputs version and note it.

        ``FOR UPDATE`` holds the version row until the load commits (its first write would take
        the same lock through the version trigger), so no other writer comes in between and a
        grader can tell whether the stored results were current just before this load.
        """
        if self.reach_m is None or self._before is not None:
            return
        with self._cur() as cur:
            cur.execute(
                "SELECT d.inputs_version, EXISTS (SELECT 1 FROM hazard_assessments) AND NOT EXISTS "
                "(SELECT 1 FROM hazard_assessments a WHERE a.inputs_version <> d.inputs_version) "
                "FROM data_version d FOR UPDATE"
            )
            version, current = cur.fetchone()
            cur.execute("CREATE TEMP TABLE _regrade (enterprise_id text) ON COMMIT DROP")
            cur.execute("CREATE TEMP TABLE _changed_ids (id text) ON COMMIT DROP")
        self._before = (int(version), bool(current))

    def _near(self, plant: str, geom: str) -> sql.Composable:
        from geo_risk.store.read import NEAR_PLANT_SQL

        return sql.SQL(NEAR_PLANT_SQL).format(
            plant=sql.SQL(plant), geom=sql.SQL(geom), reach=sql.Literal(float(self.reach_m))
        )

    def _track_written(self, cur, layer: str, changed_only: bool) -> None:  # noqa: ANN001
        """Enterprises the rows a layer wrote touch: all its rows after a direct copy into an empty table
        (``changed_only`` False: every row is this load's), else after the upsert the rows it changed
        (ids in ``_changed_ids``)."""
        written = " JOIN _changed_ids c ON c.id = t.id" if changed_only else ""
        if layer == "enterprises":
            cur.execute(f"INSERT INTO _regrade SELECT t.id FROM enterprises t{written}")
        elif layer == "hazard_units":
            cur.execute(f"INSERT INTO _regrade SELECT DISTINCT t.enterprise_id FROM hazard_units t{written}")
        elif layer == "inventory":
            cur.execute(f"INSERT INTO _regrade SELECT DISTINCT u.enterprise_id FROM inventory t{written} "
                        "JOIN hazard_units u ON u.id = t.unit_id")
        elif layer in _NEAR_LAYERS and changed_only:
            cur.execute(sql.SQL(
                "INSERT INTO _regrade SELECT DISTINCT e.id FROM enterprises e JOIN {t} t ON {near}" + written
            ).format(t=sql.Identifier(layer), near=self._near("e.geom", "t.geom")))
        elif layer in _NEAR_LAYERS:  # every row is new: a semi-join, each enterprise once
            cur.execute(sql.SQL(
                "INSERT INTO _regrade SELECT e.id FROM enterprises e WHERE EXISTS (SELECT 1 FROM {} t WHERE {})"
            ).format(sql.Identifier(layer), self._near("e.geom", "t.geom")))

    def _track_before(self, cur, layer: str, changed: sql.Composable) -> None:  # noqa: ANN001
        """Before the upsert: enterprises the old values of the rows about to change touch."""
        if layer == "inventory":  # a row moving to another unit changes the old unit's S too
            cur.execute(sql.SQL(
                "INSERT INTO _regrade SELECT u.enterprise_id FROM inventory t JOIN _stage_inventory s "
                "ON s.id = t.id JOIN hazard_units u ON u.id = t.unit_id WHERE {}"
            ).format(changed))
        elif layer in _NEAR_LAYERS:  # a block moved or emptied: the plants near where it was
            cur.execute(sql.SQL(
                "INSERT INTO _regrade SELECT DISTINCT e.id FROM enterprises e JOIN {t} t ON {near} "
                "JOIN {s} s ON s.id = t.id WHERE {changed}"
            ).format(t=sql.Identifier(layer), s=_stage(layer), near=self._near("e.geom", "t.geom"),
                     changed=changed))

    def _finish_changes(self, cur) -> None:  # noqa: ANN001
        if self._before is None:
            return
        cur.execute("SELECT DISTINCT enterprise_id FROM _regrade WHERE enterprise_id IS NOT NULL")
        ids = frozenset(r[0] for r in cur.fetchall())
        cur.execute("SELECT inputs_version FROM data_version")
        after = int(cur.fetchone()[0])
        self.changes = LoadChanges(enterprise_ids=ids, results_were_current=self._before[1],
                                   inputs_version_before=self._before[0], inputs_version=after,
                                   reach_m=float(self.reach_m))

    # -- writing ----------------------------------------------------------------------------
    def _is_empty(self, layer: str) -> bool:
        with self._cur() as cur:
            cur.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(layer)))
            return bool(cur.fetchone()[0])

    def _gist_indexes(self, layer: str) -> list[tuple[str, str]]:
        with self._cur() as cur:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE '%%USING gist%%'",
                (layer,),
            )
            return list(cur.fetchall())

    def write(self) -> dict[str, dict[str, int]]:
        """Upsert every staged layer into its table; return inserted/updated/unchanged/deleted counts.

        With ``reach_m``, also notes what the load changed in :attr:`changes`.
        """
        counts: dict[str, dict[str, int]] = {}
        self._note_basis()
        tracking = self._before is not None
        with self._cur() as cur:
            # Fire the deferred foreign-key checks of the rows copied so far (check() has verified
            # the references): PostgreSQL refuses to CREATE INDEX on a table with pending trigger
            # events, which a direct load rebuilding its GiST index would otherwise meet.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for layer in LOAD_ORDER:
                if layer not in self.staged:
                    continue
                if layer in self.direct:
                    for _, definition in self._dropped.get(layer, []):
                        cur.execute(definition)
                    n = self.staged[layer]
                    counts[layer] = {"inserted": n, "updated": 0, "unchanged": 0, "deleted": 0}
                    if tracking:
                        self._track_written(cur, layer, changed_only=False)
                    continue
                cols = table_columns(layer)
                col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
                compared = [c for c in cols if c not in ("id", "source")]

                def distinct(old: str, new: str, compared: list[str] = compared) -> sql.Composable:
                    return sql.SQL("({}) IS DISTINCT FROM ({})").format(
                        sql.SQL(", ").join(sql.SQL(old + ".{}").format(sql.Identifier(c)) for c in compared),
                        sql.SQL(", ").join(sql.SQL(new + ".{}").format(sql.Identifier(c)) for c in compared),
                    )

                if tracking:
                    self._track_before(cur, layer, distinct("t", "s"))
                    cur.execute("TRUNCATE _changed_ids")
                # The ids written are kept in _changed_ids (in the database, however many).
                upsert = sql.SQL(
                    "INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {s} ORDER BY _row "
                    "ON CONFLICT (id) DO UPDATE SET {sets}, updated_at = now() "
                    "WHERE {changed} RETURNING t.id, (xmax = 0) AS inserted"
                ).format(
                    t=sql.Identifier(layer),
                    cols=col_list,
                    s=_stage(layer),
                    sets=sql.SQL(", ").join(
                        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in cols if c != "id"
                    ),
                    changed=distinct("t", "EXCLUDED"),
                )
                keep = sql.SQL(", kept AS (INSERT INTO _changed_ids SELECT id FROM up)") if tracking else sql.SQL("")
                cur.execute(sql.SQL("WITH up AS ({}){} SELECT count(*) FILTER (WHERE inserted), count(*) FROM up")
                            .format(upsert, keep))
                inserted, written = (int(v) for v in cur.fetchone())
                updated = written - inserted
                if tracking:
                    self._track_written(cur, layer, changed_only=True)
                deleted = 0
                if layer == "inventory":
                    regrade = sql.SQL(
                        ", kept AS (INSERT INTO _regrade SELECT u.enterprise_id FROM gone "
                        "JOIN hazard_units u ON u.id = gone.unit_id)"
                    ) if tracking else sql.SQL("")
                    cur.execute(sql.SQL(
                        "WITH gone AS (DELETE FROM inventory i USING (SELECT DISTINCT unit_id FROM _stage_inventory) u "
                        "WHERE i.unit_id = u.unit_id AND NOT EXISTS "
                        "(SELECT 1 FROM _stage_inventory s WHERE s.id = i.id) RETURNING i.unit_id){} "
                        "SELECT count(*) FROM gone"
                    ).format(regrade))
                    deleted = int(cur.fetchone()[0])
                counts[layer] = {
                    "inserted": inserted,
                    "updated": updated,
                    "unchanged": self.staged[layer] - inserted - updated,
                    "deleted": deleted,
                }
            if tracking:
                self._finish_changes(cur)
        return counts

    def _close_writer(self) -> None:
        if self._writer is not None:
            try:
                self._writer.flush()
            finally:
                self._writer.close()
                self._writer = None

    def commit(self) -> None:
        self._close_writer()
        self.conn.commit()  # type: ignore[attr-defined]

    def rollback(self) -> None:
        # Rolling back anyway: a COPY error here belongs to a load the caller is already failing.
        with contextlib.suppress(Exception):
            self._close_writer()
        self.conn.rollback()  # type: ignore[attr-defined]
