"""A validation run on a package read afresh: descriptor checks, every table loaded and
checked, then the declared rules.

:mod:`.engine` imports this module (and with it the loader, the checks and the rules) only
when a package is not answered from a kept report, and only once DuckDB has started
opening in a thread: these imports then run while DuckDB loads its extensions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semicon.schemas.duckdb_core import duckdb_engine
from semicon.schemas.model import Package

from .checks import run_checks
from .descriptor import Stop, constraint_value_findings, kept_fields, structure_findings
from .findings import FATAL_CODES, Finding
from .loader import ProgressBar, load_resource
from .metacheck import MetadataCheck
from .prescan import Prescan
from .resource import Context, LoadedResource
from .sidebyside import cores, side_by_side, workers

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Options, Outcome


def validate_opened(package: Package, options: Options, out: Outcome,
                    connection: Callable[[], Any], *, tmp: Path, small: bool,
                    prescan: Prescan | None = None) -> None:
    """Descriptor checks, then every table loaded and checked, then the declared rules;
    ``connection()`` gives the DuckDB connection (waiting for it to open), ``tmp`` is the
    run's folder, ``small`` says whether the package is small (engine.is_small) and
    ``prescan`` holds the byte scans of large files started ahead."""
    from semicon.schemas import rules as rules_mod
    from semicon.schemas.rules.sqlrule import parsing_with

    data = package.inlined()  # the profile and structure checks judge the descriptor as written
    meta = MetadataCheck(data)  # started first: it may run in a child process
    con = connection()
    with parsing_with(con):  # the rules' SQL is parsed by this connection
        declarations = rules_mod.load_declarations(package)
        try:
            _validate_data(package, data, declarations, meta, options, out, con,
                           files=_files_folder(tmp), prescan=prescan,
                           workers=workers(small=small), one_thread=small)
        finally:  # a bad declaration is reported whatever else stops the run
            out.findings.extend(declarations.findings)


def _validate_data(package: Package, data: dict, declarations: Any, meta: MetadataCheck,
                   options: Options, out: Outcome, con: Any, *, files: Path,
                   prescan: Prescan | None, workers: int, one_thread: bool) -> None:
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
    bad_values = constraint_value_findings(con, package)
    if bad_values:
        findings.extend(bad_values)
        raise Stop
    resources = _load_and_check(con, package, keep, meta, options, out, files=files,
                                prescan=prescan, workers=workers, one_thread=one_thread)
    ctx = Context(con=con, base=package.base_dir, resources=resources,
                  source_texts=options.source_texts, cap=options.cap, workers=workers)
    findings.extend(rules_mod.run_rules(ctx, declarations, allow_python=options.allow_python))
    if options.pandera_schemas:
        findings.extend(_pandera_findings(ctx, findings))


def _files_folder(tmp: Path) -> Path:
    """Where decompressed, joined and fetched resource files go."""
    files = tmp / "files"
    files.mkdir()
    return files


def _load_and_check(con: Any, package: Package, keep: dict[str, set[str]],
                    meta: MetadataCheck, options: Options, out: Outcome, *,
                    files: Path, prescan: Prescan | None, workers: int,
                    one_thread: bool
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
        # a large table's checks too run side by side: each is one statement
        run_checks(con, resources, findings, options.cap, workers=cores())
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
