"""``validate_package``: descriptor, files, rows, keys and declared rules in one pass.

This module parses the package and answers from a kept report when it may
(:mod:`.reportcache`), importing nothing else; a package read afresh is run by
:mod:`.run`, imported while DuckDB opens in a thread (:func:`_opening`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semicon.schemas.duckdb_core import duckdb_engine
from semicon.schemas.errors import UnusableInput
from semicon.schemas.model import DescriptorError, Package, as_package

from .descriptor import Stop
from .findings import DEFAULT_CAP, Finding, make
from .macros import define_macros
from .report import Report, finish_report
from .reportcache import KeptReport
from .sidebyside import SESSION_SQL, InThread

if TYPE_CHECKING:  # pragma: no cover
    from .prescan import Prescan

__all__ = ["DEFAULT_CAP", "Options", "validate_package"]


#: DuckDB's memory limit; beyond it, tables spill to a temporary folder
DEFAULT_MEMORY_LIMIT = "512MB"
#: a package whose table files together are at most this many bytes is small: DuckDB runs
#: it on one thread and with only the optimisers in :data:`SMALL_OPTIMIZERS`; the others
#: cost more than they save on a few thousand rows (docs/validate.md, "The everyday package")
SMALL_PACKAGE_BYTES = 1 << 20
#: the optimisers a small package keeps: those that turn filters over joins into hash joins
#: in a good order (a declared rule's SQL may join tables any way), at no measurable cost,
#: and CTE inlining (without it the checks' CTEs are materialised: 30 MB more at peak)
SMALL_OPTIMIZERS = frozenset({"filter_pushdown", "join_order", "deliminator", "cte_inlining",
                              "build_side_probe_side", "unused_columns"})


@dataclass(frozen=True)
class Options:
    """How one validation runs (the options of :func:`validate_package`)."""

    #: rows kept per check (``--max-errors`` + 1, else :data:`DEFAULT_CAP`)
    cap: int = DEFAULT_CAP
    #: a progress bar per resource on standard error
    progress: bool = False
    #: a source document's text path -> its text (instead of reading the file)
    source_texts: dict[str, str] | None = None
    #: also run the pandera schemas generated from the Table Schemas
    pandera_schemas: bool = False
    #: run the package's ``python`` rules (its own code)
    allow_python: bool = False
    #: fetch ``https://`` resource paths (refused otherwise)
    allow_remote: bool = False
    #: reuse the findings of an identical earlier validation (:mod:`.reportcache`)
    cache: bool = False

    def kept_report(self, package: Package) -> KeptReport | None:
        """Where this run's findings are kept, or None when they may not be."""
        if not self.cache or self.allow_python or self.source_texts is not None:
            return None
        kept = KeptReport(package, {"cap": self.cap, "pandera": self.pandera_schemas,
                                    "remote": self.allow_remote})
        return kept if kept.path is not None else None


@dataclass
class Outcome:
    """What a validation finds: findings, rows read per resource, resources capped."""

    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    capped: list[str] = field(default_factory=list)
    #: the findings are those kept from an identical earlier validation
    kept: bool = False


def validate_package(
    descriptor: str | Path | Package,
    *,
    max_errors: int | None = None,
    severities: dict[str, str] | None = None,
    progress: bool = False,
    source_texts: dict[str, str] | None = None,
    pandera_schemas: bool = False,
    allow_python: bool = False,
    allow_remote: bool = False,
    cache: bool = False,
) -> Report:
    """Validate a Data Package (a path, or a package already parsed); never raises for bad
    input (it becomes findings).

    ``severities`` maps codes to ``error``/``warning``; ``source_texts`` maps a source
    document's text path to its text (instead of reading the file); ``pandera_schemas``
    also runs the pandera schemas generated from the Table Schemas over the typed rows;
    ``allow_python`` runs the package's ``python`` rules (its own code); ``allow_remote``
    fetches ``https://`` resource paths (refused otherwise); ``cache`` reuses the findings of
    an earlier validation of the same package, files, options and code (:mod:`.reportcache`).
    """
    started = time.perf_counter()
    report = Report(descriptor=str(
        descriptor.path if isinstance(descriptor, Package) else descriptor))
    options = Options(cap=max_errors + 1 if max_errors is not None else DEFAULT_CAP,
                      progress=progress, source_texts=source_texts,
                      pandera_schemas=pandera_schemas, allow_python=allow_python,
                      allow_remote=allow_remote, cache=cache)
    out = Outcome()
    with contextlib.suppress(Stop):
        _validate(descriptor if isinstance(descriptor, Package) else Path(descriptor),
                  options, out)
    return finish_report(report, out.findings, rows=out.rows, started=started,
                         severities=severities, max_errors=max_errors,
                         truncated=bool(out.capped) and max_errors is None, reused=out.kept)


def _validate(descriptor: Path | Package, options: Options, out: Outcome) -> None:
    package = _parse(descriptor, out.findings, allow_remote=options.allow_remote)
    if any(f.code == "unsafe-path" for f in out.findings):
        raise Stop
    kept = options.kept_report(package)
    recalled = kept.recall() if kept else None
    if recalled is not None:
        out.findings[:], out.rows, out.capped = recalled
        out.kept = True
        return
    try:
        _validate_afresh(package, options, out)
    except Stop:
        if kept:
            kept.keep(out.findings, out.rows, out.capped)
        raise
    if kept:
        kept.keep(out.findings, out.rows, out.capped)


def _validate_afresh(package: Package, options: Options, out: Outcome) -> None:
    """Start a large package's byte scans, open DuckDB in a thread, meanwhile import the
    run's modules, then run (:func:`.run.validate_opened`)."""
    small = is_small(package)
    with _scans_ahead(package, small=small) as prescan:
        try:
            with tempfile.TemporaryDirectory(prefix="semicon-validate-") as tmp, \
                    _opening(Path(tmp), small=small) as opening:
                from .run import validate_opened

                validate_opened(package, options, out, opening.result, tmp=Path(tmp),
                                small=small, prescan=prescan)
        except Stop:
            _compare_last(prescan, out)
            raise
        _compare_last(prescan, out)


def _compare_last(prescan: Prescan | None, out: Outcome) -> None:
    """The declared hashes of large files, computed apart (:mod:`.digests`), compared
    last: once DuckDB is closed, its memory freed while the hashing goes on."""
    if prescan is not None:
        out.findings.extend(prescan.late_findings())


def _scans_ahead(package: Package, *, small: bool) -> contextlib.AbstractContextManager:
    """The byte scans of a large package's large files (:mod:`.prescan`), started before
    anything else: hashing, they use the core left idle while DuckDB is imported and
    opened and the run's modules are imported. A small package has no file that large."""
    if small:
        return contextlib.nullcontext()
    from .prescan import SAMPLE_EVERY, Prescan

    return Prescan.start(package, SAMPLE_EVERY)


@contextlib.contextmanager
def _opening(tmp: Path, *, small: bool) -> Iterator[InThread[Any]]:
    """:func:`_connect` in a thread from entering the block: DuckDB loads its extensions
    without the GIL (about 0.02 s) while the interpreter imports the run's modules. Its
    ``result()`` waits for the connection; leaving the block closes it."""
    opening = InThread(lambda: _connect(tmp, small=small), name="semicon-duckdb-open")
    try:
        yield opening
    finally:
        for con in opening.join():
            con.close()


def _parse(descriptor: Path | Package, findings: list[Finding], *,
           allow_remote: bool) -> Package:
    """The package model; descriptor problems become findings (fatal ones stop here)."""
    try:
        package = as_package(descriptor, allow_remote=allow_remote)
    except DescriptorError as exc:
        findings.append(make(exc.code, exc.message, path=exc.path))
        raise Stop from None
    for p in package.problems:
        findings.append(make(p.code, p.message, resource=p.resource, path=p.path,
                             value=p.value, severity=p.severity))
    return package


def is_small(package: Package) -> bool:
    """Whether the package's tables are local files (or inline) of :data:`SMALL_PACKAGE_BYTES`
    at most, together; compressed and remote files never count as small."""
    total = 0
    for res in package.tables:
        if res.remote or res.compression:
            return False
        for file in res.files:
            try:
                total += file.stat().st_size
            except OSError:  # reported when the file is loaded
                continue
    return total <= SMALL_PACKAGE_BYTES


def _connect(tmp: Path, *, small: bool = False) -> Any:
    """DuckDB in memory, spilling to ``tmp`` beyond its memory limit; a small package's
    connection has one thread and only the optimisers of :data:`SMALL_OPTIMIZERS`."""
    duckdb = duckdb_engine()

    memory = os.environ.get("SEMICON_VALIDATE_MEMORY", DEFAULT_MEMORY_LIMIT)
    config = {"temp_directory": str(tmp), "memory_limit": memory}
    if small:
        config["threads"] = "1"
    try:
        con = duckdb.connect(config=config)
    except duckdb.Error as exc:
        if "SEMICON_VALIDATE_MEMORY" not in os.environ:
            raise
        reason = str(exc).strip().splitlines()[0]
        raise UnusableInput(f'SEMICON_VALIDATE_MEMORY="{memory}" is not a memory limit '
                            f"DuckDB accepts, such as 2GB ({reason})") from None
    if small:
        off = [name for (name,) in con.execute("SELECT name FROM duckdb_optimizers()")
               .fetchall() if name not in SMALL_OPTIMIZERS]
        con.execute(f"SET disabled_optimizers = '{','.join(off)}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute(SESSION_SQL)
    con.execute("SET enable_progress_bar = false")
    define_macros(con)
    return con


