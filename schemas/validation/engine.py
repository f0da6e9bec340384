"""``validate_package``: descriptor, files, rows, keys and declared rules in one pass."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from semicon.schemas.model import DescriptorError, Package, as_package

from .descriptor import (
    Stop,
    kept_fields,
    pattern_findings,
    structure_findings,
)
from .findings import FATAL_CODES, Finding, make
from .keys import key_checks
from .loader import ProgressBar, load_resource
from .metacheck import MetadataCheck
from .report import Report, finish_report
from .resource import DEFAULT_CAP, Context, LoadedResource
from .rowchecks import row_checks

__all__ = ["DEFAULT_CAP", "Context", "LoadedResource", "validate_package"]


#: DuckDB's memory limit; beyond it, tables spill to a temporary folder
DEFAULT_MEMORY_LIMIT = "512MB"


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
) -> Report:
    """Validate a Data Package (a path, or a package already parsed); never raises for bad
    input (it becomes findings).

    ``severities`` maps codes to ``error``/``warning``; ``source_texts`` maps a source
    document's text path to its text (instead of reading the file); ``pandera_schemas``
    also runs the pandera schemas generated from the Table Schemas over the typed rows;
    ``allow_python`` runs the package's ``python`` rules (its own code); ``allow_remote``
    fetches ``https://`` resource paths (refused otherwise).
    """
    started = time.perf_counter()
    report = Report(descriptor=str(
        descriptor.path if isinstance(descriptor, Package) else descriptor))
    cap = max_errors + 1 if max_errors is not None else DEFAULT_CAP
    findings: list[Finding] = []
    rows: dict[str, int] = {}
    capped: list[str] = []
    with contextlib.suppress(Stop):
        _validate(descriptor if isinstance(descriptor, Package) else Path(descriptor),
                  findings, rows, cap=cap, progress=progress, source_texts=source_texts,
                  pandera_schemas=pandera_schemas, capped=capped, allow_python=allow_python,
                  allow_remote=allow_remote)
    return finish_report(report, findings, rows=rows, started=started,
                         severities=severities, max_errors=max_errors,
                         truncated=bool(capped) and max_errors is None)


def _validate(
    descriptor: Path | Package,
    findings: list[Finding],
    rows: dict[str, int],
    *,
    cap: int,
    progress: bool,
    source_texts: dict[str, str] | None,
    pandera_schemas: bool,
    capped: list[str],
    allow_python: bool,
    allow_remote: bool = False,
) -> None:
    package = _parse(descriptor, findings, allow_remote=allow_remote)
    if any(f.code == "unsafe-path" for f in findings):
        raise Stop
    from semicon.schemas import rules as rules_mod

    data = package.inlined()
    declarations = rules_mod.load_declarations(package)
    try:
        _validate_data(package, data, declarations, findings, rows, cap=cap, progress=progress,
                       source_texts=source_texts, pandera_schemas=pandera_schemas,
                       capped=capped, allow_python=allow_python, allow_remote=allow_remote)
    finally:  # a bad declaration is reported whatever else stops the run
        findings.extend(declarations.findings)


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


def _validate_data(
    package: Package,
    data: dict,
    declarations: Any,
    findings: list[Finding],
    rows: dict[str, int],
    *,
    cap: int,
    progress: bool,
    source_texts: dict[str, str] | None,
    pandera_schemas: bool,
    capped: list[str],
    allow_python: bool,
    allow_remote: bool = False,
) -> None:
    from semicon.schemas import rules as rules_mod

    base = package.base_dir
    meta = MetadataCheck(data)
    structure = structure_findings(data)
    findings.extend(structure)
    if structure:
        findings.extend(meta.result())
        raise Stop

    import duckdb

    rules_mod.preload(declarations, allow_python)
    keep = kept_fields(data, declarations.reads)
    tmp = tempfile.TemporaryDirectory(prefix="semicon-validate-")
    memory = os.environ.get("SEMICON_VALIDATE_MEMORY", DEFAULT_MEMORY_LIMIT)
    con = duckdb.connect(config={"temp_directory": tmp.name, "memory_limit": memory})
    files = Path(tmp.name) / "files"  # decompressed, joined and fetched resource files
    files.mkdir()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET TimeZone = 'UTC'")  # a datetime without a zone is read as UTC
        con.execute("SET enable_progress_bar = false")
        bad_patterns = pattern_findings(con, data)
        if bad_patterns:
            findings.extend(bad_patterns)
            raise Stop
        bar = ProgressBar(progress)
        resources: dict[str, LoadedResource] = {}
        try:
            for res in package.resources:
                r = load_resource(con, base, res, findings, bar,
                                  keep=None if pandera_schemas else keep.get(res.name, set()),
                                  tmp=files, allow_remote=allow_remote)
                if r is None:  # a file, not a table
                    continue
                resources[r.name] = r
                rows[r.name] = r.rows
            findings.extend(meta.result())
            if any(f.code in FATAL_CODES for f in findings):
                raise Stop
            for r in resources.values():
                if r.usable:
                    row_checks(con, r, findings, cap)
                    key_checks(con, r, resources, findings, cap)
                    if r.capped:
                        capped.append(r.name)
        except duckdb.Error:
            # odd descriptor values (missingValues, constraints) the profile check rejects
            fatal = [f for f in meta.result() if f.code in FATAL_CODES]
            if fatal:
                findings.extend(fatal)
                raise Stop from None
            raise
        finally:
            bar.stop()
        ctx = Context(con=con, base=base, resources=resources, source_texts=source_texts,
                      cap=cap)
        findings.extend(rules_mod.run_rules(ctx, declarations, allow_python=allow_python))
        if pandera_schemas:
            from .pandera_gen import run_generated_schemas

            seen = {(f.resource, f.line, f.field) for f in findings}
            findings.extend(f for f in run_generated_schemas(ctx)
                            if (f.resource, f.line, f.field) not in seen)
    finally:
        con.close()
        tmp.cleanup()
