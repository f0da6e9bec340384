"""A table loaded for checking: :class:`LoadedResource` (one CSV in DuckDB), the rules' Context.

The resource itself (name, schema, dialect) is :class:`semicon.schemas.model.Resource`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.duckdb_core import with_relational_api
from semicon.schemas.model import Schema, as_schema
from semicon.schemas.sqltypes import quote_ident

from .findings import DEFAULT_CAP, Finding, make
from .sqlchecks import Column

#: typed values as frames hold them: 64-bit integers (larger ones null), times in UTC
_FRAME_TYPES = {
    "integer": "TRY_CAST({} AS BIGINT)",
    "datetime": "CAST({} AS TIMESTAMP)",
    "time": "CAST(timezone('UTC', {}) AS TIME)",
}


@dataclass
class LoadedResource:
    """One CSV resource loaded into DuckDB as text, ready for SQL checks.

    ``schema`` is the resource's Table Schema (:class:`~semicon.schemas.model.Schema`; a
    dict given is parsed, ``None`` stands for a schema without fields).
    """

    index: int
    name: str
    schema: Schema
    path: str | None = None
    file: Path | None = None
    usable: bool = False
    view: str = ""
    #: a view of what is stored for every row (kept fields' cells and typed values,
    #: ``__bad``), cheaper to bind than ``view``, which derives every typed value; empty
    #: where that is ``view`` itself (see :meth:`kept_source`)
    kept_view: str = ""
    #: the tables the view reads, each with the ``__bad`` flag of its rows
    tables: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    by_name: dict[str, Column] = field(default_factory=dict)
    rows: int = 0
    #: a check query returned as many rows as it may: later findings were left out
    capped: bool = False
    extras: dict[int, list[str]] = field(default_factory=dict)
    #: for DuckDB-loaded rows: number of table rows before each rejected line
    bounds: list[int] = field(default_factory=list)
    #: text fields whose cells are kept for every row (keys, rules); other cells are kept
    #: only on rows with a finding. ``None``: keep everything.
    keep: set[str] | None = None
    #: a wide table stored one cell a row: its columns grouped by how they are checked
    #: (see longform.py); empty for tables stored one column a field
    long_groups: list[list[Column]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.schema = as_schema(self.schema, self.name)

    def line_of(self, key: int) -> int:
        """CSV line of a row key ``__k``: row order for DuckDB rows, -line for the others."""
        if key < 0:
            return -key
        return key + 2 + bisect.bisect_right(self.bounds, key)

    def lines_of(self, keys: Any) -> Any:
        """Vectorised :meth:`line_of` over a numpy array of keys."""
        import numpy as np

        keys = np.asarray(keys, dtype=np.int64)
        shift = np.searchsorted(np.asarray(self.bounds, dtype=np.int64), keys, side="right")
        return np.where(keys < 0, -keys, keys + 2 + shift)

    def finding(self, code: str, message: str, **kw: Any) -> Finding:
        return make(code, message, resource=self.name, path=self.path, **kw)

    def kept_source(self) -> str:
        """What queries of kept fields only (keys, references, rules) read."""
        return self.kept_view or self.view

    def key_columns(self, names: Iterable[str]) -> list[Column] | None:
        """The columns of the fields ``names``; None if any is not a column of the table."""
        cols = [self.by_name.get(n) for n in names]
        if not cols or any(c is None for c in cols):
            return None
        return cols  # type: ignore[return-value]


@dataclass
class Context:
    """What hand-written rules (schemas/rules.py) get: the loaded resources and DuckDB."""

    con: Any
    base: Path
    resources: dict[str, LoadedResource]
    source_texts: dict[str, str] | None = None
    cap: int = DEFAULT_CAP
    #: threads that may run statements side by side (:mod:`.sidebyside`)
    workers: int = 1

    def has_fields(self, resource: str, *names: str) -> bool:
        res = self.resources.get(resource)
        return bool(res and res.usable and all(n in res.by_name for n in names))

    def resources_with(self, *names: str) -> list[LoadedResource]:
        return [r for r in self.resources.values()
                if r.usable and all(n in r.by_name for n in names)]

    def typed_sql(self, resource: str, names: Iterable[str], where: str | None = None) -> str:
        """``SELECT __k, <typed fields>`` of a resource (for rules; ``__k`` is a row key)."""
        res = self.resources[resource]
        names = list(names)
        unread = [n for n in names if res.keep is not None and n not in res.keep]
        if unread:  # their cells were kept only on rows with a finding
            raise ValueError(f"{resource}: fields {unread} are not among the fields the "
                             "rules declare (schemas/rules.py fields_read)")
        cols = ", ".join(f"{res.by_name[n].typed} AS {quote_ident(n)}" for n in names)
        sql = f"SELECT __k, {cols} FROM {res.kept_source()}"
        if where:
            sql = f"SELECT * FROM ({sql}) WHERE {where}"
        return sql

    def frame(self, resource: str, names: Iterable[str], where: str | None = None):
        """A polars DataFrame: ``__line`` (CSV line) and the typed fields, rows in file order.

        Cells that failed to type are null; ``where`` is SQL over the typed fields.
        """
        import polars as pl

        with_relational_api()
        res = self.resources[resource]
        names = list(names)
        cols = ", ".join(
            _FRAME_TYPES.get(res.by_name[n].fld.type, "{}").format(
                quote_ident(n)) + f" AS {quote_ident(n)}" for n in names)
        frame = pl.from_arrow(self.con.sql(
            f"SELECT __k, {cols} FROM ({self.typed_sql(resource, names, where)})"
        ).to_arrow_table())
        lines = res.lines_of(frame["__k"].to_numpy())
        return frame.with_columns(pl.Series("__line", lines)).drop("__k").sort("__line")
