"""The hidden-danger register at the edges: reading a regulator's spreadsheet (xlsx or CSV) and
importing it all or nothing (issue 15; rules in :mod:`geo_risk.analysis.hidden_dangers`, SQL in
:mod:`geo_risk.store.hidden_dangers`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo_risk.errors import InvalidInput
from geo_risk.settings import PROJECT_ROOT

__all__ = ["SAMPLE_REGISTER", "SUFFIXES", "read_table", "import_file"]

#: The sample city's register (synthetic): twelve items, five major, loaded by ``geo-risk demo``.
SAMPLE_REGISTER = PROJECT_ROOT / "sample_geo" / "hidden_dangers.csv"
SUFFIXES = (".xlsx", ".csv")


def read_table(path: Path) -> list[dict[str, Any]]:
    """The rows of ``path`` (.xlsx: the first sheet; .csv: UTF-8, with or without BOM, or GB18030) as
    dicts keyed by the header row, every cell as text or a date; empty rows skipped."""
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"{path.name}: a register is read from {' or '.join(SUFFIXES)}, not {path.suffix!r}")
    if not path.is_file():
        raise InvalidInput(f"{path.name}: no such file")
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, sheet_name=0, dtype=object)
        else:
            try:
                frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
            except UnicodeDecodeError:
                frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    except (ValueError, OSError, KeyError) as exc:
        raise InvalidInput(f"{path.name} cannot be read as a table: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    rows = []
    for rec in frame.to_dict("records"):
        rec = {k: (None if v is None or (isinstance(v, float) and v != v) or v == "" else v) for k, v in rec.items()}
        if any(v is not None for v in rec.values()):
            rows.append(rec)
    return rows


def import_file(url: str, path: Path, *, actor: str, role: str | None = None, channel: str = "cli",
                update: bool = False) -> list[str]:
    """Import the register in ``path`` all or nothing; return the stored ids. ``update``: rows whose
    隐患编号 is stored update those items (their status as the file reports it, a history row if it moved).

    Raises
    ------
    ValidationFailed
        A bad row (named by its 1-based number after the header) or an id already stored: nothing
        was written.
    """
    from geo_risk.store.hidden_dangers import import_rows

    rows = read_table(path)
    if not rows:
        raise InvalidInput(f"{Path(path).name} holds no rows under its header")
    return import_rows(url, rows, actor=actor, role=role, channel=channel, source=Path(path).name, update=update)
