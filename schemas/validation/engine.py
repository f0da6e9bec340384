"""``validate_package``: descriptor, files, rows, keys and declared rules in one pass."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.duckdb_core import duckdb_engine
from semicon.schemas.model import DescriptorError, Package, as_package

from .checks import run_checks
from .descriptor import (
    Stop,
    kept_fields,
    pattern_findings,
    structure_findings,
)
from .findings import FATAL_CODES, Finding, make
from .loader import SAMPLE_EVERY, ProgressBar, load_resource
from .macros import define_macros
from .metacheck import MetadataCheck
from .prescan import Prescan
from .report import Report, finish_report
from .reportcache import KeptReport
from .resource import DEFAULT_CAP, Context, LoadedResource
from .sidebyside import SESSION_SQL, side_by_side, workers

__all__ = ["DEFAULT_CAP", "Context", "LoadedResource", "Options", "validate_package"]


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
        _validate_package(package, options, out)
    except Stop:
        if kept:
            kept.keep(out.findings, out.rows, out.capped)
        raise
    if kept:
        kept.keep(out.findings, out.rows, out.capped)


def _validate_package(package: Package, options: Options, out: Outcome) -> None:
    """Descriptor checks, then every table loaded and checked, then the declared rules."""
    from semicon.schemas import rules as rules_mod
    from semicon.schemas.rules.sqlrule import parsing_with

    # the byte scans of large files start now, on the other core (prescan.py)
    prescan = Prescan.start(package, SAMPLE_EVERY)
    data = package.inlined()  # the profile and structure checks judge the descriptor as written
    meta = MetadataCheck(data)  # started first: it may run in a child process
    small = is_small(package)
    with tempfile.TemporaryDirectory(prefix="semicon-validate-") as tmp, \
            contextlib.closing(_connect(Path(tmp), small=small)) as con, \
            parsing_with(con):  # the rules' SQL is parsed by this connection
        declarations = rules_mod.load_declarations(package)
        try:
            _validate_data(package, data, declarations, meta, options, out, con,
                           files=_files_folder(Path(tmp)), prescan=prescan,
                           workers=workers(small=small), one_thread=small)
        finally:  # a bad declaration is reported whatever else stops the run
            out.findings.extend(declarations.findings)
            prescan.cancel()


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


def _validate_data(package: Package, data: dict, declarations: Any, meta: MetadataCheck,
                   options: Options, out: Outcome, con: Any, *, files: Path,
                   prescan: Prescan, workers: int, one_thread: bool) -> None:
    """Load every table into DuckDB, check rows and keys, then run the declared rules."""
    from semicon.schemas import rules as rules_mod

    findings = out.findings
    structure = structure_findings(data)
    findings.extend(structure)
    if structure:
        findings.extend(meta.result())
        raise Stop

    rules_mod.preload(declarations, options.allow_python)
    keep = kept_fields(package, declarations.reads)
    bad_patterns = pattern_findings(con, package)
    if bad_patterns:
        findings.extend(bad_patterns)
        raise Stop
    resources = _load_and_check(con, package, keep, meta, options, out, files=files,
                                prescan=prescan, workers=workers, one_thread=one_thread)
    ctx = Context(con=con, base=package.base_dir, resources=resources,
                  source_texts=options.source_texts, cap=options.cap, workers=workers)
    findings.extend(rules_mod.run_rules(ctx, declarations, allow_python=options.allow_python))
    if options.pandera_schemas:
        findings.extend(_pandera_findings(ctx, findings))


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
    con = duckdb.connect(config=config)
    if small:
        off = [name for (name,) in con.execute("SELECT name FROM duckdb_optimizers()")
               .fetchall() if name not in SMALL_OPTIMIZERS]
        con.execute(f"SET disabled_optimizers = '{','.join(off)}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute(SESSION_SQL)
    con.execute("SET enable_progress_bar = false")
    define_macros(con)
    return con


def _files_folder(tmp: Path) -> Path:
    """Where decompressed, joined and fetched resource files go."""
    files = tmp / "files"
    files.mkdir()
    return files


def _load_and_check(con: Any, package: Package, keep: dict[str, set[str]],
                    meta: MetadataCheck, options: Options, out: Outcome, *,
                    files: Path, prescan: Prescan, workers: int, one_thread: bool
                    ) -> dict[str, LoadedResource]:
    """Every table loaded, then its rows and keys checked; the loaded tables by name."""
    duckdb = duckdb_engine()

    findings = out.findings
    bar = ProgressBar(options.progress)
    resources: dict[str, LoadedResource] = {}

    def load(c: Any, res: Any) -> tuple[LoadedResource | None, list[Finding]]:
        found: list[Finding] = []
        kept = None if options.pandera_schemas else keep.get(res.name, set())
        r = load_resource(c, package.base_dir, res, found, bar, keep=kept, tmp=files,
                          allow_remote=options.allow_remote, prescan=prescan,
                          one_thread=one_thread)
        return r, found

    try:
        for r, found in side_by_side(con, package.resources, load, workers=workers):
            findings.extend(found)
            if r is None:  # a file, not a table
                continue
            resources[r.name] = r
            out.rows[r.name] = r.rows
        findings.extend(meta.result())
        if any(f.code in FATAL_CODES for f in findings):
            raise Stop
        run_checks(con, resources, findings, options.cap, workers=workers)
        out.capped += [r.name for r in resources.values() if r.usable and r.capped]
    except duckdb.Error:
        # odd descriptor values (missingValues, constraints) the profile check rejects
        fatal = [f for f in meta.result() if f.code in FATAL_CODES]
        if fatal:
            findings.extend(fatal)
            raise Stop from None
        raise
    finally:
        bar.stop()
    return resources


def _pandera_findings(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """The generated pandera schemas' failures on cells that have no finding yet."""
    from .pandera_gen import run_generated_schemas

    seen = {(f.resource, f.line, f.field) for f in findings}
    return [f for f in run_generated_schemas(ctx) if (f.resource, f.line, f.field) not in seen]
