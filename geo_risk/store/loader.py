"""Bulk writes of a load: staging by COPY, cross-row checks, and the all-or-nothing upsert.

A load runs in one transaction on one connection:

1. every validated chunk is COPYed into a temporary staging table per layer (no indexes, no WAL);
2. :meth:`StagedLoad.check` finds duplicate ids and references that resolve neither in the load
   nor in the store, naming the rows;
3. :meth:`StagedLoad.write` upserts each layer into its table (``INSERT … ON CONFLICT (id) DO
   UPDATE``, rows whose values did not change are left alone). Into an *empty* table the GiST
   index is dropped and rebuilt after the insert, which is faster; a table holding data keeps its
   indexes. Inventory rows of the units in the load that the load no longer lists are deleted, so
   a unit's inventory is what the latest file says.

Nothing is committed until :meth:`StagedLoad.commit`; any error or a dry run rolls back, so the
store is unchanged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd
from psycopg2 import sql

from geo_risk.errors import Problem
from geo_risk.io.schema import LAYERS, LOAD_ORDER
from geo_risk.store.models import ENTITY_TABLES

__all__ = ["StagedLoad", "table_columns"]

_TIMESTAMPS = {"created_at", "updated_at"}


def table_columns(layer: str) -> list[str]:
    """Columns a load writes to the table of ``layer`` (all but the timestamps)."""
    table = ENTITY_TABLES[layer].__table__
    return [c.name for c in table.columns if c.name not in _TIMESTAMPS]


def _stage(layer: str) -> sql.Identifier:
    return sql.Identifier(f"_stage_{layer}")


@dataclass
class StagedLoad:
    """One load's transaction. ``conn`` is a raw psycopg2 connection (autocommit off)."""

    conn: object
    source: str
    staged: dict[str, int] = field(default_factory=dict)  # layer → rows staged

    def _cur(self):  # noqa: ANN202
        return self.conn.cursor()  # type: ignore[attr-defined]

    def begin_layer(self, layer: str) -> None:
        """Create the staging table of ``layer`` (dropped at the end of the transaction)."""
        if layer in self.staged:
            return
        with self._cur() as cur:
            cur.execute(
                sql.SQL(
                    "CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS, _row integer NOT NULL) ON COMMIT DROP"
                ).format(_stage(layer), sql.Identifier(layer))
            )
        self.staged[layer] = 0

    def copy_chunk(self, layer: str, rows: pd.DataFrame) -> None:
        """COPY validated rows (columns as :func:`table_columns` plus ``_row``) into staging."""
        self.begin_layer(layer)
        cols = [c for c in table_columns(layer) if c in rows.columns or c == "source"]
        frame = rows.assign(source=self.source)[[*cols, "_row"]]
        buf = io.StringIO()
        frame.to_csv(buf, index=False, header=False, na_rep="")
        buf.seek(0)
        stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            _stage(layer), sql.SQL(", ").join(map(sql.Identifier, [*cols, "_row"]))
        )
        with self._cur() as cur:
            cur.copy_expert(stmt.as_string(self.conn), buf)
        self.staged[layer] += len(frame)

    # -- checks across rows -----------------------------------------------------------------
    def check(self, limit: int = 1000) -> list[Problem]:
        """Duplicate ids within each staged layer and dangling references, as problems."""
        problems: list[Problem] = []
        with self._cur() as cur:
            for layer in self.staged:
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
                    in_store = sql.SQL("EXISTS (SELECT 1 FROM {t} x WHERE x.id = s.{f})").format(
                        t=sql.Identifier(target), f=sql.Identifier(fld)
                    )
                    cond = in_store
                    if target in self.staged:
                        cond = sql.SQL("({} OR EXISTS (SELECT 1 FROM {} y WHERE y.id = s.{}))").format(
                            in_store, _stage(target), sql.Identifier(fld)
                        )
                    cur.execute(
                        sql.SQL(
                            "SELECT s._row, s.id, s.{f} FROM {s} s WHERE s.{f} IS NOT NULL AND NOT {c} "
                            "ORDER BY s._row LIMIT %s"
                        ).format(f=sql.Identifier(fld), s=_stage(layer), c=cond),
                        (limit,),
                    )
                    for row, rid, ref in cur.fetchall():
                        problems.append(
                            Problem(
                                layer,
                                row,
                                rid,
                                f"{fld} {ref!r} refers to no row of {target}, "
                                f"neither in this load nor in the store",
                            )
                        )
        return problems

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
        """Upsert every staged layer into its table; return inserted/updated/unchanged/deleted counts."""
        counts: dict[str, dict[str, int]] = {}
        with self._cur() as cur:
            for layer in LOAD_ORDER:
                if layer not in self.staged:
                    continue
                cols = table_columns(layer)
                empty = self._is_empty(layer)
                dropped: list[tuple[str, str]] = []
                if empty and self.staged[layer] >= 10_000:
                    # Only for a table holding no data: building the index once after the insert
                    # is several times cheaper than maintaining it row by row.
                    dropped = self._gist_indexes(layer)
                    for name, _ in dropped:
                        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
                compared = [c for c in cols if c not in ("id", "source")]
                stmt = sql.SQL(
                    "INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {s} ORDER BY _row "
                    "ON CONFLICT (id) DO UPDATE SET {sets}, updated_at = now() "
                    "WHERE ({old}) IS DISTINCT FROM ({new}) RETURNING (xmax = 0) AS inserted"
                ).format(
                    t=sql.Identifier(layer),
                    cols=col_list,
                    s=_stage(layer),
                    sets=sql.SQL(", ").join(
                        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in cols if c != "id"
                    ),
                    old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in compared),
                    new=sql.SQL(", ").join(
                        sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in compared
                    ),
                )
                if empty:
                    cur.execute(
                        sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM {s}").format(
                            t=sql.Identifier(layer), cols=col_list, s=_stage(layer)
                        )
                    )
                    inserted, updated = cur.rowcount, 0
                else:
                    cur.execute(stmt)
                    flags = [r[0] for r in cur.fetchall()]
                    inserted = sum(flags)
                    updated = len(flags) - inserted
                for _, definition in dropped:
                    cur.execute(definition)
                deleted = 0
                if layer == "inventory" and not empty:
                    cur.execute(
                        "DELETE FROM inventory i USING (SELECT DISTINCT unit_id FROM _stage_inventory) u "
                        "WHERE i.unit_id = u.unit_id AND NOT EXISTS "
                        "(SELECT 1 FROM _stage_inventory s WHERE s.id = i.id)"
                    )
                    deleted = cur.rowcount
                counts[layer] = {
                    "inserted": inserted,
                    "updated": updated,
                    "unchanged": self.staged[layer] - inserted - updated,
                    "deleted": deleted,
                }
        return counts

    def commit(self) -> None:
        self.conn.commit()  # type: ignore[attr-defined]

    def rollback(self) -> None:
        self.conn.rollback()  # type: ignore[attr-defined]
