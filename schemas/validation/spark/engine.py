"""``validate_package_spark``: the package's checks on Apache Spark (``--engine spark``).

The descriptor is checked as by the DuckDB engine (JSON, unsafe paths, profile,
structure); each resource is then read by Spark, its header compared with its Table
Schema, its rows checked by the generated pandera schema (pandera's ``pyspark.sql``
backend) and counted by one Spark SQL aggregate, its keys by joins and aggregates.
Findings carry a count and sample values instead of a line.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from ...model import Resource, as_schema
from ..descriptor import Stop, structure_findings
from ..engine import _parse
from ..findings import FATAL_CODES, Finding, make
from ..loader import _label_findings
from ..metacheck import MetadataCheck
from ..report import Report, finish_report
from ..resource import LoadedResource
from . import checks
from .crosscheck import pandera_findings
from .frames import (
    CSV_FORMATS,
    PARQUET_FORMATS,
    SparkResource,
    csv_cells,
    locate,
    parquet_cells,
    read_header,
    resource_format,
    with_typed,
)
from .rules import rule_findings
from .sqlgen import Cell


def validate_package_spark(
    descriptor: str | Path,
    *,
    master: str | None = None,
    data_root: str | None = None,
    max_errors: int | None = None,
    severities: dict[str, str] | None = None,
    spark: Any = None,
    source_texts: dict[str, str] | None = None,
) -> Report:
    """Validate a Data Package on Spark; never raises for bad input (it becomes findings).

    ``spark`` is an existing session; otherwise one is made from ``SPARK_REMOTE``,
    ``master`` or ``local[*]``. ``data_root`` is a URI the resource paths are read under
    instead of the descriptor's folder.
    """
    started = time.perf_counter()
    report = Report(descriptor=str(descriptor))
    findings: list[Finding] = []
    rows: dict[str, int] = {}
    timings: dict[str, float] = {}
    with contextlib.suppress(Stop):
        _validate(Path(descriptor), findings, rows, master=master, data_root=data_root,
                  spark=spark, source_texts=source_texts, timings=timings)
    report = finish_report(report, findings, rows=rows, started=started,
                           severities=severities, max_errors=max_errors)
    if timings:
        report.stats["spark_session_seconds"] = round(timings["session"], 3)
    return report


def _validate(descriptor: Path, findings: list[Finding], rows: dict[str, int], *,
              master: str | None, data_root: str | None, spark: Any,
              source_texts: dict[str, str] | None, timings: dict[str, float]) -> None:
    package = _parse(descriptor, findings, allow_remote=False)
    if any(f.code == "unsafe-path" for f in findings):
        raise Stop
    data = package.inlined()  # the profile and structure checks judge the descriptor as written
    base = package.base_dir.resolve()
    meta = MetadataCheck(data)
    structure = structure_findings(data)
    findings.extend(structure)
    if structure:
        findings.extend(meta.result())
        raise Stop
    from .session import get_session, prepare

    started = time.perf_counter()
    if spark is None:
        spark = get_session(master)
    prepare(spark)
    timings["session"] = time.perf_counter() - started
    resources: dict[str, SparkResource] = {}
    try:
        for res in package.resources:
            r = _open_resource(spark, base, data_root, res, findings)
            if r is not None:
                resources[r.name] = r
        findings.extend(meta.result())
        if any(f.code in FATAL_CODES for f in findings):
            raise Stop
        for r in resources.values():
            if r.frame is None:
                continue
            found, counts = checks.row_findings(r)
            findings.extend(found)
            rows[r.name] = r.rows
            findings.extend(pandera_findings(r, counts))
            findings.extend(checks.key_findings(r, resources))
        findings.extend(rule_findings(spark, package, base, resources, source_texts))
    finally:
        for r in resources.values():
            if r.frame is not None:
                r.frame.unpersist()


def _open_resource(spark: Any, base: Path, data_root: str | None, res: Resource,
                   findings: list[Finding]) -> SparkResource | None:
    """Locate and read one resource; ``None`` (with a finding) when it cannot be read."""
    name = res.name
    schema = as_schema(res.schema)
    paths = res.paths
    first = paths[0] if paths else None
    r = SparkResource(name=name, schema=schema, path=first)
    if not paths:
        findings.append(make("unsupported-resource",
                             f'Resource "{name}" holds inline data: not checked',
                             resource=name, severity="warning"))
        return None
    r.fmt = resource_format(res, first or "")
    if r.fmt not in CSV_FORMATS + PARQUET_FORMATS:
        findings.append(make("unsupported-resource",
                             f'Resource "{name}" has format "{r.fmt}": only CSV and Parquet '
                             "are checked", resource=name, path=first, severity="warning"))
        return None
    r.locations = locate(base, data_root, [str(p) for p in paths])
    if data_root is None:
        missing = [p for p, loc in zip(paths, r.locations, strict=True)
                   if not Path(loc).exists()]
        if missing:
            findings.append(make("missing-file", f'File "{missing[0]}" of resource "{name}" '
                                 "does not exist", resource=name, path=first))
            return None
    dialect = res.dialect
    encoding = res.encoding
    try:
        if r.fmt in PARQUET_FORMATS:
            frame = parquet_cells(spark, r)
        else:
            r.header = read_header(spark, r.locations[0], dialect)
            if not r.header:
                findings.append(make("empty-file", f'File "{first}" is empty: no header row',
                                     resource=name, path=first, line=1))
                return None
            frame = csv_cells(spark, r, dialect, encoding)
    except Exception as exc:  # Spark's own error: the file cannot be read there
        if type(exc).__name__ in ("KeyboardInterrupt", "SystemExit"):
            raise
        findings.append(make("missing-file", f'Resource "{name}" cannot be read from '
                             f'"{r.locations[0]}": {str(exc).splitlines()[0]}',
                             resource=name, path=first))
        return None
    holder = LoadedResource(index=0, name=name, schema=schema, path=first)
    findings.extend(_label_findings(holder, r.header, dialect))
    fields = schema.fields
    r.cells = [
        Cell(i + 1, f"c{i}", fld, tuple(fld.missing_values))
        for i, fld in enumerate(fields[i] if i < len(fields) else schema.extra_field(label)
                                for i, label in enumerate(r.header))
    ]
    from pyspark import StorageLevel

    r.frame = with_typed(frame, r.cells).persist(StorageLevel.MEMORY_AND_DISK)
    return r
