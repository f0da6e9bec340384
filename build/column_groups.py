"""Wide tables: when a table counts as wide, and its columns in groups of bounded size.

DuckDB binds and optimises a statement in time that grows faster than its number of
columns: typing 2,000 text columns with ``CASE`` expressions in one ``SELECT`` took 3.5 s
here, 4,000 took 19 s, and ``read_csv`` of 9,074 columns ran out of memory under the
build's 500 MB limit (every column of a chunk of 2,048 rows is allocated at once). A table
with more than :data:`WIDE_COLUMNS` columns is therefore read in Python and typed a kind
of field at a time (``wide_stage``), each statement over at most :data:`GROUP_COLUMNS`
columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

#: a table with more columns than this takes the wide path
WIDE_COLUMNS = 200
#: at most this many columns in one statement over a wide table
GROUP_COLUMNS = 1000


def is_wide(columns: Sequence[object]) -> bool:
    """Whether a table of these columns takes the wide path."""
    return len(columns) > WIDE_COLUMNS


def column_groups(items: Sequence[T], size: int | None = None) -> list[list[T]]:
    """``items`` in consecutive groups of at most ``size`` (default :data:`GROUP_COLUMNS`)."""
    size = size or GROUP_COLUMNS
    return [list(items[i:i + size]) for i in range(0, len(items), size)] or [[]]
