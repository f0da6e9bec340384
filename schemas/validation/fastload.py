"""DuckDB's fast CSV load, and the checks that its row order gives every row's line number."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Callable
from typing import Any

from semicon.schemas.interrupts import reraise_interrupt

from . import rawscan, sqlchecks
from .resource import LoadedResource
from .sidebyside import SESSION_SQL, InThread
from .sqlchecks import Column
from .tables import insert_records, stored_columns, stored_select, unnested, view_select


def load_fast(con: Any, r: LoadedResource, dialect: rawscan.Dialect, *,
              threads: int | None = None, attempt: int = 0,
              lines: Callable[[], int] | None = None) -> list | None:
    """Parse with DuckDB's parallel reader; the rejected lines, or None if DuckDB failed.

    ``lines`` gives the file's physical line count (the byte scan's, asked for once the
    rows are stored): a row stored for every line after the header leaves no line to
    reject, and DuckDB's list of rejected lines is not read (a statement saved a file).

    Row order is what gives every row its line number. DuckDB keeps the file's order
    (``preserve_insertion_order``: the CSV reader numbers its batches and ``CREATE TABLE
    AS`` stores them in that order) on any number of threads; :func:`in_file_order`
    checks it on sample lines all the same and the load is redone on one thread if not.
    """
    t = f"r{r.index}_t"
    names = [c.col for c in r.columns]
    rej = f"r{r.index}_rej{attempt or ''}"
    src = sqlchecks.read_csv_sql(r.file, names, delimiter=dialect.delimiter,  # type: ignore
                                 quote=dialect.quote, escape=dialect.escape, rejects=rej)
    try:
        before = None
        if threads is not None:
            before = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
            if int(before) == int(threads):  # a small package's connection has one
                before = None
            else:
                con.execute(f"SET threads = {int(threads)}")
        try:
            # the rows DuckDB stored (fast_usable compares them with the line count)
            r.rows = con.execute(f"CREATE TABLE {t} AS "
                                 f"{stored_select(r, src, extra='0', never_null=True)}"
                                 ).fetchall()[0][0]
        finally:
            if before is not None:
                con.execute(f"SET threads = {int(before)}")
        if lines is not None and lines() == 1 + r.rows:  # each rejected line is a row less
            return []
        return con.execute(
            f"SELECT line, any_value(csv_line), bool_or(error_type = 'INVALID UNICODE') "
            f"FROM {rej}_errors GROUP BY line ORDER BY line"
        ).fetchall()
    except Exception as exc:
        reraise_interrupt(exc)
        con.execute(f"DROP TABLE IF EXISTS {t}")
        return None


def in_file_order(con: Any, r: LoadedResource, dialect: rawscan.Dialect, scan: rawscan.RawScan,
                  rejected: list) -> bool:
    """Whether the sampled lines (one per MiB) are stored at the position their line gives.

    Each sample line is compared with the table row at position ``line - 2 - rejected
    lines before it``: on the cells stored for every row (kept fields), or when there are
    none, run through the load's SELECT and compared column by column.
    """
    rej_lines = sorted(int(line) for line, _, _ in rejected)
    skip = set(rej_lines)
    records = []
    for line, raw in scan.samples:
        if line < 2 or line in skip:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        cells = next(dialect.reader([text.rstrip("\r")]), [])
        if len(cells) == len(r.columns):
            records.append((line, cells))
    if not records:
        return True
    pos = [(line - 2 - bisect.bisect_left(rej_lines, line), cells) for line, cells in records]
    kept = [c for c in r.columns if r.keep is None or c.name in r.keep]
    if kept:
        return _kept_cells_match(con, r, kept, pos)
    return _rows_match(con, r, records, pos)


class OrderCheck:
    """:func:`in_file_order` in a thread, on a cursor of its own: the sample check runs
    while the caller stores the rejected lines and builds the views, statements that
    follow one another on one core. :meth:`passed` waits for it."""

    def __init__(self, con: Any, r: LoadedResource, dialect: rawscan.Dialect,
                 scan: rawscan.RawScan, rejected: list) -> None:
        self._cursor = con.cursor()
        self._check = InThread(lambda: self._run(r, dialect, scan, rejected),
                               name="semicon-order")

    def _run(self, r: LoadedResource, dialect: rawscan.Dialect, scan: rawscan.RawScan,
             rejected: list) -> bool:
        self._cursor.execute(SESSION_SQL)
        return in_file_order(self._cursor, r, dialect, scan, rejected)

    def passed(self) -> bool:
        """Whether the sample lines are in place (its error, if the check failed)."""
        self.stop(interrupt=False)
        return self._check.result()

    def stop(self, *, interrupt: bool = True) -> None:
        """Wait for the check (interrupting its statement first) and close its cursor."""
        if interrupt and self._check.running():
            with contextlib.suppress(Exception):
                self._cursor.interrupt()
        self._check.join()
        with contextlib.suppress(Exception):
            self._cursor.close()


def _kept_cells_match(con: Any, r: LoadedResource, kept: list[Column],
                      pos: list[tuple[int, list[str]]]) -> bool:
    """Compare the cells stored for every row (kept fields: text, or typed when parsed).

    The sample goes to DuckDB as one list a column, bound as parameters and unnested (a
    ``VALUES`` list, and an ``IN`` list of positions, cost it 0.01 s to parse and test)."""
    lists = [[p for p, _ in pos], *([cells[c.position - 1] for _, cells in pos] for c in kept)]
    source = unnested([("pos", "BIGINT")], [c.col for c in kept])
    exprs = ", ".join(f"{c.typed_definition} AS {c.tcol}" if c.tcol else c.col for c in kept)
    stored = [c.tcol or c.col for c in kept]
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in stored)
    bad = con.execute(
        f"SELECT count(*) FROM (SELECT pos, {exprs} FROM ({source})) s "
        f"LEFT JOIN (SELECT rowid AS pos, {', '.join(stored)} FROM r{r.index}_t "
        f"WHERE rowid IN (SELECT unnest($1::BIGINT[]))) t "
        f"ON t.pos = s.pos WHERE t.pos IS NULL OR NOT ({same})", lists
    ).fetchall()[0][0]
    return bad == 0


def _rows_match(con: Any, r: LoadedResource, records: list[tuple[int, list[str]]],
                pos: list[tuple[int, list[str]]]) -> bool:
    """Run the sample lines through the load's SELECT and compare every stored column."""
    table = f"r{r.index}_sample"
    insert_records(con, table, r, records)
    cols = stored_columns(r)
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
    lines = [line for line, _ in records]
    places = [p for p, _ in pos]
    try:
        bad = con.execute(
            f"SELECT count(*) FROM {table} s "
            f"JOIN ({unnested([('line', 'BIGINT'), ('pos', 'BIGINT')])}) v "
            f"ON -s.__k = v.line LEFT JOIN (SELECT rowid AS pos, {', '.join(cols)} "
            f"FROM r{r.index}_t WHERE rowid IN (SELECT unnest($2::BIGINT[]))) t "
            f"ON t.pos = v.pos WHERE t.pos IS NULL OR NOT ({same})",
            [lines, places],
        ).fetchall()[0][0]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return bad == 0


def drop_loaded(con: Any, r: LoadedResource) -> None:
    for obj, kind in ((f"r{r.index}_v", "VIEW"), (f"r{r.index}_kv", "VIEW"),
                      (f"r{r.index}_t", "TABLE"), (f"r{r.index}_rj", "TABLE")):
        with contextlib.suppress(Exception):  # wrong kind of object
            con.execute(f"DROP {kind} IF EXISTS {obj}")
    r.extras.clear()
    r.bounds = []
    r.tables = []
    r.kept_view = ""


def finish_fast(con: Any, r: LoadedResource, dialect: rawscan.Dialect, scan: rawscan.RawScan,
                rejected: list, *, small: bool = False) -> bool:
    """Build the view over DuckDB's table (+ re-parsed rejected lines); False -> slow path.

    DuckDB skips blank lines and a record may span lines: when the physical line count
    does not equal header + rows + rejected lines, row numbers cannot be derived from row
    order and the careful parser takes over. So do bad encoding and unterminated quotes.
    A ``small`` table without rejected lines is stored at once as the table the view would
    become (:func:`.loader.settle`): one statement instead of two.
    """
    t = f"r{r.index}_t"
    if not fast_usable(con, r, scan, rejected):
        return False
    r.view = f"r{r.index}_v"
    r.tables = [t]
    if not rejected and small:
        r.view = stored_name(r)
        r.rows = con.execute(f"CREATE TABLE {r.view} AS {view_select(r, t)}").fetchall()[0][0]
        return True
    if rejected:
        records = []
        for line, raw, _ in rejected:
            cells = next(dialect.reader([raw]), [])
            records.append((int(line), cells))
        insert_records(con, f"r{r.index}_rj", r, records)
        r.tables.append(f"r{r.index}_rj")
        lines = [line for line, _ in records]
        r.bounds = [line - 2 - j for j, line in enumerate(lines)]  # table rows before j
    r.kept_view = f"r{r.index}_kv"
    for view, derived in ((r.view, True), (r.kept_view, False)):
        parts = [view_select(r, t, derived=derived)]
        if rejected:
            parts.append(view_select(r, f"r{r.index}_rj", keys="__k, __extra",
                                     derived=derived))
        con.execute(f"CREATE VIEW {view} AS {' UNION ALL '.join(parts)}")
    return True


def stored_name(r: LoadedResource) -> str:
    """The table a small resource's rows are stored in once loaded (:func:`.loader.settle`)."""
    return f"r{r.index}_m"


def fast_usable(con: Any, r: LoadedResource, scan: rawscan.RawScan, rejected: list) -> bool:
    """Whether row order gives line numbers: no record spans lines, none was skipped
    (``r.rows``: the rows :func:`load_fast` stored)."""
    if any(bad_unicode for _, _, bad_unicode in rejected):
        return False
    if any("\n" in (raw or "") or "\r" in (raw or "") for _, raw, _ in rejected):
        return False
    return scan.physical_lines == 1 + r.rows + len(rejected)  # rows: as load_fast stored
