"""Loading one CSV resource: file and header checks, byte scan, DuckDB fast load or fallback."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semicon.schemas.model import Schema, as_schema

from . import rawscan, sources, sqlchecks
from .careful import load_slow, store_records
from .digests import IdleDigest
from .fastload import (
    OrderCheck,
    drop_loaded,
    fast_usable,
    finish_fast,
    load_fast,
    stored_name,
)
from .findings import Finding, make
from .longform import WIDE_COLUMNS
from .prescan import SAMPLE_EVERY, Prescan, ScanJob, parse_hash, scan_options
from .resource import LoadedResource
from .sqlchecks import Column

if TYPE_CHECKING:
    from semicon.schemas.model import Resource

#: what a byte-count or hash-count finding adds: the fix when the change was meant
SYNC_HINT = " (if the file was changed on purpose, run `semicon sync` to update the descriptor)"
#: rows of inline data, JSON or a spreadsheet up to which the table is stored (see settle)
SMALL_ROWS = 10_000


class ProgressBar:
    """A rich progress bar on stderr (a no-op when disabled or not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()

    def task(self, name: str, total: int) -> Callable[[int], None]:
        if not self.bar:
            return lambda _n: None
        tid = self.bar.add_task(f"validate {name}", total=total)
        return lambda n: self.bar.advance(tid, n)  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def load_resource(con: Any, base: Path, res: Resource, findings: list[Finding],
                  bar: ProgressBar, *, keep: set[str] | None = None, tmp: Path | None = None,
                  allow_remote: bool = False, prescan: Prescan | None = None,
                  one_thread: bool = False) -> LoadedResource | None:
    """Check and load one table; ``usable`` is set when its rows can be checked.

    ``res`` is the package model's resource (a mapping over its normalised descriptor);
    ``tmp`` holds decompressed, joined and downloaded files (sources.py). A resource that
    is not a table (``"type": "file"``, a document) is never read as one: only its file,
    byte count and hash are checked, and None is returned. ``prescan`` holds byte scans
    started ahead (prescan.py); ``one_thread`` says that ``con`` runs every statement on
    one thread (a small package's, engine.py), which keeps the file's row order.
    """
    if not res.tabular:
        findings.extend(file_findings(res))
        return None
    name = res.name
    r = LoadedResource(index=res.index, name=name, schema=as_schema(res.schema), keep=keep)
    path = res.path
    r.path = path if isinstance(path, str) else ", ".join(map(str, path)) \
        if isinstance(path, list) else None
    _, unknown = sources.read_encoding(res)
    if unknown is not None and not res.inline:
        findings.append(r.finding("encoding-error", f'Unknown encoding "{unknown}": the file '
                                  "is read as UTF-8"))
    try:
        table = sources.open_table(base, res, tmp or base, allow_remote=allow_remote)
        if table.records is not None:
            return _load_records(con, r, res, table, findings)
    except sources.Refused as exc:
        findings.append(r.finding(exc.code, str(exc)))
        return r
    assert table.file is not None
    return _load_csv(con, r, res, table, findings, bar, prescan or Prescan(),
                     one_thread=one_thread)


def file_findings(res: Resource) -> list[Finding]:
    """A file resource (not a table): its file exists, its byte count and hash match."""
    out: list[Finding] = []
    if res.inline or res.remote or not res.paths:
        return out
    for rel, file in zip(res.paths, res.files, strict=True):
        if not file.is_file():
            out.append(make("missing-file", f'File "{rel}" of resource "{res.name}" '
                            "does not exist", resource=res.name, path=rel))
    if out or len(res.files) != 1:
        return out
    algo, expected = parse_hash(res.hash)
    declared = res.bytes
    if not algo and declared is None:
        return out
    scan = rawscan.scan_file(res.files[0], hashes=(algo,) if algo else ())
    where = {"resource": res.name, "path": res.paths[0]}
    if algo and expected:
        out += _hash_findings(expected, _scanned_hash(scan, algo), **where)
    return out + _byte_findings(declared, scan.size, **where)


def _load_records(con: Any, r: LoadedResource, res: Resource, table: sources.Table,
                  findings: list[Finding]) -> LoadedResource:
    """Inline data, JSON, NDJSON, spreadsheets: records stored like re-parsed CSV rows."""
    records = table.records
    header = list(getattr(records, "header", []))
    dialect = res.dialect
    r.columns = _columns(r.schema, header, dialect)
    r.by_name = {c.name: c for c in r.columns}
    findings.extend(_label_findings(r, header, dialect))
    store_records(con, r, records)  # type: ignore[arg-type]
    rows = con.execute(f"SELECT count(*) FROM {r.view}").fetchall()[0][0]
    r.rows = settle(con, r, small=True) if rows <= SMALL_ROWS else rows
    r.usable = True
    return r


def _load_csv(con: Any, r: LoadedResource, res: Resource, table: sources.Table,
              findings: list[Finding], bar: ProgressBar, prescan: Prescan, *,
              one_thread: bool) -> LoadedResource:
    """A CSV file: byte scan beside DuckDB's parse, the careful parser where needed."""
    name, path = r.name, r.path
    file = table.file
    assert file is not None
    r.file = file
    hashes, encoding = scan_options(res)
    with file.open("rb") as fh:
        first = fh.read(4096)
    if rawscan.looks_like_html(first):
        findings.append(r.finding("html-file", f'File "{path}" is an HTML page, not CSV',
                                  line=1))
        return r
    dialect = res.dialect
    header, one_line = rawscan.read_header(file, dialect, encoding)
    labels: list[str] | None = header
    if not dialect.header:  # no header row: the schema names the columns
        header, labels = r.schema.field_names, None
    # the byte scan (size, hash, lines, NUL) runs while DuckDB parses the file;
    # the progress bar counts the bytes scanned, then the rows checked
    size = file.stat().st_size
    advance = bar.task(name, 2 * max(size, 1))
    scanner = _Scanner(prescan, ScanJob(file, hashes, encoding, SAMPLE_EVERY), advance)
    fast = (
        bool(header)
        and len(header) <= WIDE_COLUMNS
        and one_line
        and encoding in ("utf-8", "utf8")
        and dialect.plain
        and dialect.double_quote
        and len(dialect.delimiter) == 1
    )
    if header:
        r.columns = _columns(r.schema, header, dialect)
        r.by_name = {c.name: c for c in r.columns}
    # a file smaller than a sample interval is read on one thread: row order is then
    # given, and the order check (a second statement as wide as the table) is not needed
    # (a small package's connection runs every statement on one thread: nothing to set)
    threads = None if one_thread else 1 if size <= SAMPLE_EVERY else _load_threads()
    rejected = load_fast(con, r, dialect, threads=threads,
                         lines=lambda: scanner.result().physical_lines) if fast else None
    scan = scanner.result()
    order = None
    if (rejected is not None and not one_thread and threads != 1
            and fast_usable(con, r, scan, rejected)):
        order = OrderCheck(con, r, dialect, scan, rejected)
    try:
        return _finish_csv(con, r, res, table, findings, prescan, scanner, rejected, order,
                           encoding=encoding, header=header, labels=labels, size=size,
                           advance=advance)
    finally:
        if order is not None:
            order.stop()


def _finish_csv(con: Any, r: LoadedResource, res: Resource, table: sources.Table,
                findings: list[Finding], prescan: Prescan, scanner: _Scanner,
                rejected: list | None, order: OrderCheck | None, *, encoding: str,
                header: list[str], labels: list[str] | None, size: int,
                advance: Callable[[int], None]) -> LoadedResource:
    """A loaded CSV's file findings (hash, bytes, labels, NUL bytes), then its view: over
    DuckDB's table where its row order holds (``order``, checked meanwhile), else over
    the careful parser's."""
    path = r.path
    file = table.file
    dialect = res.dialect
    scan = scanner.result()
    algo, expected_hash = parse_hash(res.get("hash"))
    declared_scan = scan
    if table.original is None:
        algo = None  # several files: no one file the hash is of
    elif table.original != file:  # compressed or downloaded: the hash is of those bytes
        declared_scan = rawscan.scan_file(table.original, hashes=(algo,) if algo else ())
    where = {"resource": r.name, "path": r.path}
    late_digest = scanner.late_digest() if declared_scan is scan else None
    if algo and expected_hash and late_digest is not None:  # computed apart: compared last
        prescan.compare_later(lambda: _hash_findings(expected_hash,
                                                     _digest(late_digest, algo), **where))
    elif algo and expected_hash:
        findings += _hash_findings(expected_hash, _scanned_hash(declared_scan, algo), **where)
    if table.original is not None:
        findings += _byte_findings(res.bytes, declared_scan.size, **where)
    if scan.size == 0 or not header:
        findings.append(r.finding("empty-file", f'File "{path}" is empty: no header row',
                                  line=1))
        return r
    if labels is not None:
        findings.extend(_label_findings(r, labels, dialect))
    for line in scan.nul_lines:
        findings.append(r.finding("nul-byte", f"Line {line} contains a NUL byte", line=line))
    small = size <= SAMPLE_EVERY
    usable = _finish_fast(con, r, dialect, scan, rejected, small=small)
    if usable and order is not None and not order.passed():
        # never seen with DuckDB 2.0, but line numbers depend on it: redo on one thread
        drop_loaded(con, r)
        rejected = load_fast(con, r, dialect, threads=1, attempt=1)
        usable = _finish_fast(con, r, dialect, scan, rejected, small=small)
    if not usable:
        if order is not None:
            order.stop()  # it reads the table dropped here
        drop_loaded(con, r)
        load_slow(con, r, file, dialect, encoding, findings)
    r.rows = settle(con, r, small=small)
    r.usable = True
    advance(max(size, 1))
    if late_digest is not None:
        late_digest.hurry()
    return r


def _finish_fast(con: Any, r: LoadedResource, dialect: Any, scan: rawscan.RawScan,
                 rejected: list | None, *, small: bool) -> bool:
    """:func:`.fastload.finish_fast` where DuckDB's load can be used (no NUL byte, no bad
    encoding); False when the careful parser must read the file."""
    ok = rejected is not None and not scan.nul_lines and scan.decode_ok
    return ok and finish_fast(con, r, dialect, scan, rejected, small=small)  # type: ignore[arg-type]


def _digest(digest: IdleDigest, algo: str) -> str | None:
    """The file's hash by ``algo``; None if it can no longer be read."""
    try:
        return digest.result()[algo]
    except OSError:
        return None


def _scanned_hash(scan: rawscan.RawScan, algo: str) -> str | None:
    """The hash by ``algo`` (``md5`` or ``sha256``) a byte scan computed."""
    return scan.md5 if algo == "md5" else scan.sha256


def _hash_findings(expected: str, actual: str | None, **where: Any) -> list[Finding]:
    """A hash-count finding (at ``where``: resource, path) unless the file's hash is the
    one declared."""
    if actual == expected:
        return []
    return [make("hash-count", "The data source does not match the expected hash count: "
                 f'expected is "{expected}" and actual is "{actual}"' + SYNC_HINT,
                 value=actual, **where)]


def _byte_findings(declared: int | None, actual: int, **where: Any) -> list[Finding]:
    """A byte-count finding (at ``where``) when bytes are declared and the file has more
    or fewer."""
    if declared is None or declared == actual:
        return []
    return [make("byte-count", "The data source does not match the expected byte count: "
                 f'expected is "{declared}" and actual is "{actual}"' + SYNC_HINT,
                 value=str(actual), **where)]


def settle(con: Any, r: LoadedResource, *, small: bool) -> int:
    """The number of rows; a small table's view is stored as a table on the way.

    Every check and rule query binds the view's typed expressions again (about 2 ms a
    query on a table of any size); a small table stored once is bound as a plain table.
    """
    table = stored_name(r)
    if r.view == table:  # stored at load (fastload.finish_fast)
        return r.rows
    if not small or r.long_groups:
        return con.execute(f"SELECT count(*) FROM {r.kept_source()}").fetchall()[0][0]
    rows = con.execute(f"CREATE TABLE {table} AS SELECT * FROM {r.view}").fetchall()[0][0]
    r.view = table
    return rows


class _Scanner:
    """The byte scan of a file: the one started ahead, else one in a thread beside DuckDB."""

    def __init__(self, prescan: Prescan, job: ScanJob, advance: Callable[[int], None]) -> None:
        self.prescan, self.job, self.advance = prescan, job, advance
        self.box: list[rawscan.RawScan] = []
        self.thread: threading.Thread | None = None
        self.scan: rawscan.RawScan | None = None
        if job not in prescan.jobs:
            self._start()

    def _start(self) -> None:
        job = self.job
        self.thread = threading.Thread(
            target=lambda: self.box.append(rawscan.scan_file(
                job.file, hashes=job.hashes, encoding=job.encoding, on_block=self.advance,
                sample_every=job.sample_every)),
            daemon=True)
        self.thread.start()

    def result(self) -> rawscan.RawScan:
        """The scan, once finished (the same object on every call)."""
        if self.scan is None:
            self.scan = self._wait()
        return self.scan

    def late_digest(self) -> IdleDigest | None:
        """The hashes the scan ahead left to be computed apart, if it was one."""
        self.result()
        return self.prescan.digest(self.job) if self.thread is None else None

    def _wait(self) -> rawscan.RawScan:
        if self.thread is None:
            ahead = self.prescan.take(self.job)
            if ahead is not None:
                self.advance(ahead.size)
                return ahead
            self._start()  # the scan ahead failed: scanned now, as it would have been
            if (apart := self.prescan.digest(self.job)) is not None:
                apart.cancel()  # the scan now hashes the file too
        assert self.thread is not None
        self.thread.join()
        return self.box[0]


def _label_findings(r: LoadedResource, header: list[str],
                    dialect: rawscan.Dialect | None = None) -> list[Finding]:
    out: list[Finding] = []
    same_case = dialect is None or dialect.case_sensitive_header
    fields = r.schema.fields
    seen: dict[str, int] = {}
    lowered: dict[str, str] = {}
    for pos, label in enumerate(header, start=1):
        fname = fields[pos - 1].name if pos <= len(fields) else None
        if pos > len(fields):
            out.append(r.finding("extra-label",
                                 f'There is an extra label "{label}" in header at position '
                                 f'"{pos}"', line=1, field=label, value=label))
        elif label == "":
            out.append(r.finding("blank-label",
                                 f'Label in the header in field at position "{pos}" is blank',
                                 line=1, field=fname, value=label))
        elif label in seen:
            out.append(r.finding("duplicate-label",
                                 f'Label "{label}" in the header at position "{pos}" is '
                                 f'duplicated to a label: at position "{seen[label]}"',
                                 line=1, field=fname, value=label))
        elif label.strip() != fname and (same_case or label.strip().casefold()
                                         != str(fname).casefold()):
            out.append(r.finding("incorrect-label",
                                 f'Label "{label}" in field {fname} at position "{pos}" does '
                                 "not match the field name in the schema",
                                 line=1, field=fname, value=label))
        key = label.casefold()
        if label and key in lowered and lowered[key] != label:
            out.append(r.finding("case-duplicate-label",
                                 f'Label "{label}" at position "{pos}" differs only in case '
                                 f'from label "{lowered[key]}"',
                                 line=1, field=fname or label, value=label))
        seen.setdefault(label, pos)
        lowered.setdefault(key, label)
    for pos in range(len(header) + 1, len(fields) + 1):
        fname = fields[pos - 1].name
        out.append(r.finding("missing-label",
                             f'There is a missing label in the header\'s field "{fname}" at '
                             f'position "{pos}"', line=1, field=fname))
    return out


def _columns(schema: Schema, header: list[str],
             dialect: rawscan.Dialect | None = None) -> list[Column]:
    fields = schema.fields
    null = dialect.null_sequence if dialect is not None else None
    cols = []
    for i, label in enumerate(header):
        fld = fields[i] if i < len(fields) else schema.extra_field(label)
        mv = tuple(fld.missing_values)
        if null is not None and null not in mv:
            mv += (null,)
        tcol = f"p{i}" if sqlchecks.has_parser(fld) else None
        cols.append(Column(position=i + 1, col=f"c{i}", fld=fld, mv=mv, tcol=tcol))
    return cols


def _load_threads() -> int | None:
    """DuckDB threads for the load: ``SEMICON_VALIDATE_THREADS``, else DuckDB's (all cores).

    Every line number depends on row order. DuckDB documents that ``CREATE TABLE AS``
    over one ``read_csv`` keeps the file's order on any number of threads
    (``preserve_insertion_order``); :func:`in_file_order` checks sample lines all the
    same, and the load is redone on one thread if they are out of place.
    """
    value = os.environ.get("SEMICON_VALIDATE_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None
