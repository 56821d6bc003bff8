"""Bulk writes of analysis results: frames to COPY, and the indexes and foreign keys set aside meanwhile.

The analyses (conflicts, clusters, zoning) replace their whole result in one transaction. Row by row,
a province's result (≈ 250,000 conflict lines) costs more in the server's index and foreign-key
upkeep than in the analysis: every row checks its run's foreign key (one lookup per row) and enters
every index one by one. :func:`copy_frame` sends a frame as one ``COPY … FROM STDIN`` (CSV written
by Arrow, geometry as hex EWKB); :func:`indexes_set_aside` drops a table's secondary indexes and
foreign keys before a large COPY and re-creates them after it from their own definitions (a sorted
index build and one anti-join to validate the key: half the server time on a province). Both run in
the caller's transaction, so a failure leaves the previous result untouched; while it runs, readers
of the table wait (the DDL holds an exclusive lock until commit) instead of reading the old rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BULK_MIN_ROWS", "csv_buffer", "copy_frame", "indexes_set_aside"]

#: Below this many rows the indexes and keys stay in place (their rebuild would cost more than it saves).
BULK_MIN_ROWS = 20_000


def _arrow_column(col: pd.Series) -> Any:
    """One column as an Arrow array: integers and floats as numbers (NaN → null), everything else as text
    (None/NaN → null; lists, bools and other objects by ``str``)."""
    import pyarrow as pa

    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        values = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        return pa.array([None if v is None else str(bool(v)).lower() for v in values], pa.string())
    if pd.api.types.is_integer_dtype(dtype):
        if not col.isna().any():
            return pa.array(col.to_numpy(dtype=np.int64))
        return pa.array(col.astype(object).where(col.notna(), None).tolist(), pa.int64())
    if pd.api.types.is_numeric_dtype(dtype):
        return pa.array(col.to_numpy(dtype=float, na_value=np.nan), pa.float64(), from_pandas=True)
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_string_dtype(dtype):
        try:  # pandas' own string arrays (Arrow-backed or not) convert without a Python loop
            return pa.array(col.array, pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    values = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def csv_buffer(frame: pd.DataFrame, columns: Sequence[str], *, first: Mapping[str, Any] | None = None,
               geometry: Any = None, srid: int = 4326) -> io.BytesIO:
    """``frame``'s ``columns`` as headerless CSV for ``COPY … (FORMAT csv)``: the columns of ``first``
    (name → one value for every row, or a sequence of the frame's length) before them, and
    ``geometry`` (shapely geometries, the frame's length, or None for no geometry column) after them
    as hex EWKB with ``srid``. NaN and None are empty unquoted fields (NULL); texts are quoted when
    needed."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import shapely

    n = len(frame)
    data: dict[str, Any] = {}
    for name, value in (first or {}).items():
        if isinstance(value, pd.Series):
            data[name] = _arrow_column(value.reset_index(drop=True))
        elif isinstance(value, np.ndarray | list):
            data[name] = _arrow_column(pd.Series(value))
        else:
            data[name] = _arrow_column(pd.Series([value] * n, dtype=object if isinstance(value, str) else None))
    for c in columns:
        data[c] = _arrow_column(frame[c])
    if geometry is not None:
        geoms = shapely.set_srid(np.asarray(geometry, dtype=object), srid)
        data["geom"] = pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True), pa.string(), from_pandas=True)
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(data) if data else pa.table({"_": pa.nulls(n)}), buf,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    buf.seek(0)
    return buf


def copy_frame(cur: Any, table: str, frame: pd.DataFrame, columns: Sequence[str], *,
               first: Mapping[str, Any] | None = None, geometry: Any = None, srid: int = 4326) -> int:
    """``COPY table (first…, columns…, geom) FROM STDIN`` of ``frame`` on the psycopg2 cursor ``cur``
    (see :func:`csv_buffer`); return the rows sent."""
    if len(frame) == 0:
        return 0
    names = [*(first or {}), *columns, *(["geom"] if geometry is not None else [])]
    cur.copy_expert(f"COPY {table} ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
                    csv_buffer(frame, columns, first=first, geometry=geometry, srid=srid))
    return len(frame)


@contextmanager
def indexes_set_aside(cur: Any, tables: Sequence[str], rows: int) -> Iterator[None]:
    """For a write of ``rows`` rows (≥ :data:`BULK_MIN_ROWS`) into ``tables`` on cursor ``cur``: drop
    their foreign keys and secondary indexes (primary keys and unique constraints stay), let the
    caller write, then re-create each from its own definition (``pg_get_indexdef`` /
    ``pg_get_constraintdef`` read before the drop). In the caller's transaction; a no-op below the
    threshold."""
    if rows < BULK_MIN_ROWS:
        yield
        return
    restore: list[str] = []
    drop: list[str] = []
    for table in tables:
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f' ORDER BY conname", (table,))
        for name, definition in cur.fetchall():
            drop.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute("SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
                    "AND NOT i.indisprimary AND NOT i.indisunique "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                    "ORDER BY c.relname", (table,))
        for name, definition in cur.fetchall():
            drop.append(f'DROP INDEX "{name}"')
            restore.insert(0, definition)  # indexes first, then the keys (their check reads the tables)
    for sql in drop:
        cur.execute(sql)
    yield
    for sql in restore:
        cur.execute(sql)
