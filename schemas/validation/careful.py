"""The careful fallback: Python's csv over the whole file, for what DuckDB cannot number."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import longform, rawscan
from .findings import Finding
from .resource import LoadedResource
from .tables import insert_records, view_select


def load_slow(con: Any, r: LoadedResource, file: Path, dialect: rawscan.Dialect, encoding: str,
              findings: list[Finding]) -> None:
    """Python's csv over the whole file: exact records, lines and cells, in any encoding
    Python knows (``sources.read_encoding``).

    A wide table (longform.py) is stored one cell a row."""
    for line, reason in rawscan.undecodable_lines(file, encoding):
        findings.append(r.finding(
            "encoding-error", f'Line {line} cannot be decoded as "{encoding}": {reason}',
            line=line))
    reader = rawscan.RecordReader(file, dialect, encoding)
    store_records(con, r, reader)
    if reader.unterminated_line is not None:
        findings.append(r.finding(
            "unterminated-quote",
            f"A quoted cell starting on line {reader.unterminated_line} is never closed: it "
            "swallows the rest of the file", line=reader.unterminated_line))


def store_records(con: Any, r: LoadedResource, records: Iterable[tuple[int, list[str]]]) -> None:
    """Store (line, cells) records and create the resource's view over them."""
    if longform.is_wide(r):
        longform.store_long(con, r, records)
        return
    insert_records(con, f"r{r.index}_st", r, records)
    r.view = f"r{r.index}_v"
    r.tables = [f"r{r.index}_st"]
    con.execute(f"CREATE VIEW {r.view} AS "
                f"{view_select(r, f'r{r.index}_st', keys='__k, __extra')}")
