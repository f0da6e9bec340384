"""``validate_package``: descriptor, files, rows, keys and hand-written rules in one pass."""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.sqltypes import DUCKDB_TYPES, quote_ident, sql_string

from . import rawscan, sqlchecks
from .findings import ERROR, FATAL_CODES, SEVERITIES, Finding, make
from .paths import unsafe_reason
from .report import Report
from .sqlchecks import Column

#: findings kept per check query when no ``max_errors`` is given (bounds memory)
DEFAULT_CAP = 100_000
#: bytes between the sample lines that check DuckDB kept the file's row order
SAMPLE_EVERY = 1 << 20
#: at most this many re-parsed records are stored through a VALUES list (no pyarrow import)
SMALL_RECORDS = 2000
#: DuckDB's memory limit; beyond it, tables spill to a temporary folder
DEFAULT_MEMORY_LIMIT = "512MB"

_KNOWN_PROFILE_RE = re.compile(
    r"^(https://(datapackage\.org|specs\.frictionlessdata\.io)/[\w./-]+"
    r"|data-package|tabular-data-package|data-resource|tabular-data-resource)$"
)


@dataclass
class Resource:
    """One CSV resource loaded into DuckDB as text, ready for SQL checks."""

    index: int
    name: str
    descriptor: dict[str, Any]
    schema: dict[str, Any]
    path: str | None = None
    file: Path | None = None
    usable: bool = False
    view: str = ""
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


@dataclass
class Context:
    """What hand-written rules (schemas/rules.py) get: the loaded resources and DuckDB."""

    con: Any
    base: Path
    resources: dict[str, Resource]
    source_texts: dict[str, str] | None = None
    cap: int = DEFAULT_CAP

    def has_fields(self, resource: str, *names: str) -> bool:
        res = self.resources.get(resource)
        return bool(res and res.usable and all(n in res.by_name for n in names))

    def resources_with(self, *names: str) -> list[Resource]:
        return [r for r in self.resources.values()
                if r.usable and all(n in r.by_name for n in names)]

    def typed_sql(self, resource: str, names: Iterable[str], where: str | None = None) -> str:
        """``SELECT __k, <typed fields>`` of a resource (for rules; ``__k`` is a row key)."""
        res = self.resources[resource]
        cols = ", ".join(f"{res.by_name[n].typed} AS {quote_ident(n)}" for n in names)
        sql = f"SELECT __k, {cols} FROM {res.view}"
        if where:
            sql = f"SELECT * FROM ({sql}) WHERE {where}"
        return sql

    def count(self, resource: str, names: Iterable[str], where: str | None = None) -> int:
        """Number of rows :meth:`frame` would return (cheap: no polars import)."""
        sql = f"SELECT count(*) FROM ({self.typed_sql(resource, names, where)})"
        return self.con.execute(sql).fetchall()[0][0]

    def frame(self, resource: str, names: Iterable[str], where: str | None = None):
        """A polars DataFrame: ``__line`` (CSV line) and the typed fields, rows in file order.

        Cells that failed to type are null; ``where`` is SQL over the typed fields.
        """
        import polars as pl

        res = self.resources[resource]
        frame = pl.from_arrow(
            self.con.sql(self.typed_sql(resource, names, where)).to_arrow_table())
        lines = res.lines_of(frame["__k"].to_numpy())
        return frame.with_columns(pl.Series("__line", lines)).drop("__k").sort("__line")


class _Progress:
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


def validate_package(
    descriptor: str | Path,
    *,
    max_errors: int | None = None,
    severities: dict[str, str] | None = None,
    progress: bool = False,
    source_texts: dict[str, str] | None = None,
    pandera_schemas: bool = False,
) -> Report:
    """Validate a Data Package; never raises for bad input (it becomes findings).

    ``severities`` maps codes to ``error``/``warning``; ``source_texts`` maps a source's
    ``text_path`` to its text (instead of reading the file); ``pandera_schemas`` also runs
    the pandera schemas generated from the Table Schemas over the typed rows.
    """
    started = time.perf_counter()
    report = Report(descriptor=str(descriptor))
    cap = max_errors + 1 if max_errors is not None else DEFAULT_CAP
    findings: list[Finding] = []
    rows: dict[str, int] = {}
    capped: list[str] = []
    with contextlib.suppress(_Stop):
        _validate(Path(descriptor), findings, rows, cap=cap, progress=progress,
                  source_texts=source_texts, pandera_schemas=pandera_schemas, capped=capped)
    severities = severities or {}
    findings = [
        f if f.code not in severities else _with_severity(f, severities[f.code])
        for f in findings
    ]
    report.findings = findings
    report.sort()
    truncated = bool(capped) and max_errors is None
    if max_errors is not None:
        kept: list[Finding] = []
        n_err = 0
        for f in report.findings:
            if f.severity == ERROR:
                if n_err >= max_errors:
                    truncated = True
                    continue
                n_err += 1
            kept.append(f)
        report.findings = kept
    report.stats = {
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 3),
        "truncated": truncated,
    }
    return report


def _with_severity(f: Finding, severity: str) -> Finding:
    if severity not in SEVERITIES:
        return f
    return Finding(**{**f.to_dict(), "severity": severity})


class _Stop(Exception):
    """Nothing more can be checked (fatal descriptor problem)."""


def _load_descriptor(path: Path, findings: list[Finding]) -> dict[str, Any]:
    if path.is_dir():
        path = path / "datapackage.json"
    if not path.is_file():
        findings.append(make("descriptor-error", f'Descriptor "{path}" does not exist',
                             path=str(path)))
        raise _Stop
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        findings.append(make("descriptor-error", f'Descriptor "{path}" is not valid JSON: {exc}',
                             path=str(path)))
        raise _Stop from None
    if not isinstance(data, dict):
        findings.append(make("descriptor-error",
                             f'Descriptor "{path}" must hold a JSON object', path=str(path)))
        raise _Stop
    if not isinstance(data.get("resources"), list) or not data["resources"]:
        findings.append(make("package-error",
                             'The descriptor must have a non-empty "resources" list',
                             path=str(path)))
        raise _Stop
    return data


def _check_paths(base: Path, data: dict[str, Any], findings: list[Finding]) -> None:
    """Refuse unsafe paths (resource data, schema/dialect references) before any read."""
    for i, res in enumerate(data["resources"]):
        if not isinstance(res, dict):
            findings.append(make("resource-error", f"Resource {i + 1} is not a JSON object"))
            continue
        name = res.get("name") if isinstance(res.get("name"), str) else f"#{i + 1}"
        refs: list[tuple[str, Any]] = []
        paths = res.get("path")
        if isinstance(paths, list):
            refs += [("path", p) for p in paths]
        elif "path" in res:
            refs.append(("path", paths))
        for key in ("schema", "dialect"):
            if isinstance(res.get(key), str):
                refs.append((key, res[key]))
        for key, p in refs:
            reason = unsafe_reason(base, p)
            if reason:
                findings.append(make(
                    "unsafe-path", f'Refused {key} "{p}" of resource "{name}": {reason}',
                    resource=name, path=str(p), value=str(p)))


def _inline_refs(base: Path, data: dict[str, Any], findings: list[Finding]) -> None:
    """Replace ``schema``/``dialect`` given as (safe, already checked) paths by their JSON."""
    for res in data["resources"]:
        if not isinstance(res, dict):
            continue
        for key in ("schema", "dialect"):
            ref = res.get(key)
            if isinstance(ref, str):
                try:
                    res[key] = json.loads((base / ref).read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    findings.append(make(f"{key}-error" if key == "schema" else "resource-error",
                                         f'Cannot read {key} "{ref}": {exc}',
                                         resource=res.get("name"), path=ref))


def _metadata_findings(data: dict[str, Any]) -> list[Finding]:
    """Descriptor validity against the Data Package profile (frictionless), no data read."""
    out: list[Finding] = []
    for holder in [data, *[r for r in data["resources"] if isinstance(r, dict)]]:
        for key in ("$schema", "profile"):
            value = holder.get(key)
            if isinstance(value, str) and not _KNOWN_PROFILE_RE.match(value):
                out.append(make("package-error",
                                f'Profile "{value}" is not a known Data Package profile '
                                "(custom profiles are never fetched)", value=value))
    if out:
        return out
    try:
        from frictionless import FrictionlessException, Package

        try:
            errors = list(Package.metadata_validate(data))
        except FrictionlessException as exc:
            errors = [exc.error]
    except Exception as exc:  # frictionless itself failed on odd input
        return [make("package-error", f"The descriptor could not be checked: {exc}")]
    for err in errors:
        code = err.type if err.type in FATAL_CODES else "package-error"
        out.append(make(code, err.message))
    return out


def _structure_findings(data: dict[str, Any]) -> list[Finding]:
    """Checks the SQL relies on: names, fields, keys pointing at existing fields/resources."""
    out: list[Finding] = []
    names: dict[str, int] = {}
    schemas: dict[str, dict] = {}
    for i, res in enumerate(data["resources"]):
        if not isinstance(res, dict):
            continue
        name = res.get("name")
        if not isinstance(name, str) or not name:
            out.append(make("resource-error", f"Resource {i + 1} has no name"))
            continue
        if name in names:
            out.append(make("resource-error", f'Resource name "{name}" is used twice',
                            resource=name))
        names[name] = i
        schema = res.get("schema")
        if schema is None:
            continue
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            out.append(make("schema-error", f'Resource "{name}" has no valid schema "fields"',
                            resource=name))
            continue
        fnames = []
        for j, fld in enumerate(schema["fields"]):
            if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
                out.append(make("field-error", f'Field {j + 1} of "{name}" has no name',
                                resource=name))
                continue
            fnames.append(fld["name"])
            if fld.get("type", "string") not in DUCKDB_TYPES:
                out.append(make("field-error",
                                f'Field "{fld["name"]}" of "{name}" has unknown type '
                                f'"{fld.get("type")}"', resource=name, field=fld["name"]))
        schemas[name] = {"fields": set(fnames)}
        pk = schema.get("primaryKey", [])
        pk = [pk] if isinstance(pk, str) else pk
        for f in pk if isinstance(pk, list) else []:
            if f not in fnames:
                out.append(make("schema-error",
                                f'Primary key field "{f}" of "{name}" is not a field',
                                resource=name, field=str(f)))
    for res in data["resources"]:
        if not isinstance(res, dict) or not isinstance(res.get("schema"), dict):
            continue
        name = res.get("name")
        for fk in res["schema"].get("foreignKeys", []) or []:
            try:
                src = fk["fields"]
                src = [src] if isinstance(src, str) else list(src)
                ref = fk["reference"]
                target = ref.get("resource", "") or name
                rf = ref["fields"]
                rf = [rf] if isinstance(rf, str) else list(rf)
            except (KeyError, TypeError, AttributeError):
                out.append(make("schema-error", f'A foreign key of "{name}" is malformed',
                                resource=name))
                continue
            if len(src) != len(rf):
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" and its reference {rf} '
                                "differ in length", resource=name))
            if target not in names:
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" references unknown resource '
                                f'"{target}"', resource=name))
            elif target in schemas and not set(rf) <= schemas[target]["fields"]:
                out.append(make("schema-error",
                                f'Foreign key {src} of "{name}" references fields {rf} '
                                f'missing from "{target}"', resource=name))
            if name in schemas and not set(src) <= schemas[name]["fields"]:
                out.append(make("schema-error",
                                f'Foreign key fields {src} are not fields of "{name}"',
                                resource=name))
    return out


def _validate(
    descriptor: Path,
    findings: list[Finding],
    rows: dict[str, int],
    *,
    cap: int,
    progress: bool,
    source_texts: dict[str, str] | None,
    pandera_schemas: bool,
    capped: list[str],
) -> None:
    data = _load_descriptor(descriptor, findings)
    base = (descriptor if descriptor.is_dir() else descriptor.parent).resolve()
    _check_paths(base, data, findings)
    if any(f.code == "unsafe-path" for f in findings):
        raise _Stop
    from semicon.schemas import rules as rules_mod

    _inline_refs(base, data, findings)
    meta_box: list[Finding] = []
    meta = threading.Thread(target=lambda: meta_box.extend(_metadata_findings(data)),
                            daemon=True)
    meta.start()
    structure = _structure_findings(data)
    findings.extend(structure)
    if structure:
        meta.join()
        findings.extend(meta_box)
        raise _Stop

    import duckdb

    keep = _kept_fields(data, rules_mod.FIELDS_USED)
    tmp = tempfile.TemporaryDirectory(prefix="semicon-validate-")
    memory = os.environ.get("SEMICON_VALIDATE_MEMORY", DEFAULT_MEMORY_LIMIT)
    con = duckdb.connect(config={"temp_directory": tmp.name, "memory_limit": memory})
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")
        pattern_findings = _pattern_findings(con, data)
        if pattern_findings:
            findings.extend(pattern_findings)
            raise _Stop
        bar = _Progress(progress)
        resources: dict[str, Resource] = {}
        try:
            for i, res in enumerate(data["resources"]):
                r = _load_resource(con, base, i, res, findings, bar,
                                   keep=None if pandera_schemas else keep.get(res["name"], set()))
                resources[r.name] = r
                rows[r.name] = r.rows
            meta.join()
            findings.extend(meta_box)
            if any(f.code in FATAL_CODES for f in findings):
                raise _Stop
            for r in resources.values():
                if r.usable:
                    _row_checks(con, r, findings, cap)
                    _key_checks(con, r, resources, findings, cap)
                    if r.capped:
                        capped.append(r.name)
        except duckdb.Error:
            # odd descriptor values (missingValues, constraints) the profile check rejects
            meta.join()
            fatal = [f for f in meta_box if f.code in FATAL_CODES]
            if fatal:
                findings.extend(fatal)
                raise _Stop from None
            raise
        finally:
            bar.stop()
        ctx = Context(con=con, base=base, resources=resources, source_texts=source_texts,
                      cap=cap)
        findings.extend(rules_mod.run_rules(ctx))
        if pandera_schemas:
            from .pandera_gen import run_generated_schemas

            seen = {(f.resource, f.line, f.field) for f in findings}
            findings.extend(f for f in run_generated_schemas(ctx)
                            if (f.resource, f.line, f.field) not in seen)
    finally:
        con.close()
        tmp.cleanup()


def _pattern_findings(con: Any, data: dict[str, Any]) -> list[Finding]:
    """``pattern`` constraints DuckDB's regular expressions (RE2) cannot compile."""
    out: list[Finding] = []
    for res in data["resources"]:
        for fld in (res.get("schema") or {}).get("fields", []):
            pattern = (fld.get("constraints") or {}).get("pattern")
            if pattern is None:
                continue
            try:
                con.execute("SELECT regexp_full_match('', ?)", [str(pattern)]).fetchall()
            except Exception as exc:
                out.append(make("field-error",
                                f'Pattern "{pattern}" of field "{fld.get("name")}" cannot be '
                                f"used: {str(exc).splitlines()[0]}",
                                resource=res.get("name"), field=fld.get("name"),
                                value=str(pattern)))
    return out


def _kept_fields(data: dict[str, Any], rule_fields: Iterable[str]) -> dict[str, set[str]]:
    """Per resource, the text fields read after loading: keys, references, rule inputs."""
    out: dict[str, set[str]] = {}
    for res in data["resources"]:
        schema = res.get("schema") or {}
        names = out.setdefault(res["name"], set(rule_fields))
        names.update(_as_list(schema.get("primaryKey")))
        for fld in schema.get("fields", []):
            if (fld.get("constraints") or {}).get("unique"):
                names.add(fld["name"])
        for fk in schema.get("foreignKeys", []) or []:
            names.update(_as_list(fk.get("fields")))
            ref = fk.get("reference") or {}
            target = ref.get("resource") or res["name"]
            out.setdefault(target, set(rule_fields)).update(_as_list(ref.get("fields")))
    return out


def _load_resource(con: Any, base: Path, index: int, res: dict[str, Any],
                   findings: list[Finding], bar: _Progress, *,
                   keep: set[str] | None = None) -> Resource:
    name = res["name"]
    schema = res.get("schema") or {"fields": []}
    r = Resource(index=index, name=name, descriptor=res, schema=schema, keep=keep)
    path = res.get("path")
    if "data" in res and path is None:
        findings.append(r.finding("unsupported-resource",
                                  f'Resource "{name}" holds inline data: not checked',
                                  severity="warning"))
        return r
    if isinstance(path, list):
        findings.append(r.finding("unsupported-resource",
                                  f'Resource "{name}" has several files: not supported'))
        return r
    r.path = path
    fmt = (res.get("format") or Path(path).suffix.lstrip(".")).lower()
    if fmt not in ("csv", "tsv", "txt"):
        findings.append(r.finding("unsupported-resource",
                                  f'Resource "{name}" has format "{fmt}": only CSV is checked',
                                  severity="warning"))
        return r
    file = base / path
    r.file = file
    if not file.is_file():
        findings.append(r.finding("missing-file", f'File "{path}" of resource "{name}" '
                                  "does not exist"))
        return r
    encoding = str(res.get("encoding") or "utf-8").lower().replace("_", "-")
    algo, expected_hash = _parse_hash(res.get("hash"))
    with file.open("rb") as fh:
        first = fh.read(4096)
    if rawscan.looks_like_html(first):
        findings.append(r.finding("html-file", f'File "{path}" is an HTML page, not CSV',
                                  line=1))
        return r
    dialect = rawscan.Dialect.from_resource(res)
    header, one_line = rawscan.read_header(file, dialect, encoding)
    # the byte scan (size, hash, lines, NUL) runs while DuckDB parses the file;
    # the progress bar counts the bytes scanned, then the rows checked
    size = file.stat().st_size
    advance = bar.task(name, 2 * max(size, 1))
    box: list[rawscan.RawScan] = []
    scanner = threading.Thread(
        target=lambda: box.append(rawscan.scan_file(file, hashes=(algo,) if algo else (),
                                                    encoding=encoding, on_block=advance,
                                                    sample_every=SAMPLE_EVERY)),
        daemon=True)
    scanner.start()
    fast = (
        bool(header)
        and one_line
        and encoding in ("utf-8", "utf8")
        and dialect.header
        and dialect.double_quote
        and len(dialect.delimiter) == 1
    )
    if header:
        r.columns = _columns(schema, header)
        r.by_name = {c.name: c for c in r.columns}
    threads = _load_threads()
    rejected = _load_fast(con, r, dialect, threads=threads) if fast else None
    scanner.join()
    scan = box[0]
    if (rejected is not None and threads != 1 and _fast_usable(con, r, scan, rejected)
            and not _in_file_order(con, r, dialect, scan, rejected)):
        # never seen with DuckDB 2.0, but line numbers depend on it: redo on one thread
        _drop(con, r)
        rejected = _load_fast(con, r, dialect, threads=1, attempt=1)
    if algo and expected_hash:
        actual = scan.md5 if algo == "md5" else scan.sha256
        if actual != expected_hash:
            findings.append(r.finding(
                "hash-count",
                "The data source does not match the expected hash count: "
                f'expected is "{expected_hash}" and actual is "{actual}"',
                value=actual))
    declared = res.get("bytes")
    if isinstance(declared, int) and not isinstance(declared, bool) and declared != scan.size:
        findings.append(r.finding(
            "byte-count",
            "The data source does not match the expected byte count: "
            f'expected is "{declared}" and actual is "{scan.size}"',
            value=str(scan.size)))
    if scan.size == 0 or not header:
        findings.append(r.finding("empty-file", f'File "{path}" is empty: no header row',
                                  line=1))
        return r
    findings.extend(_label_findings(r, header))
    for line in scan.nul_lines:
        findings.append(r.finding("nul-byte", f"Line {line} contains a NUL byte", line=line))
    ok = rejected is not None and not scan.nul_lines and scan.decode_ok
    if not (ok and _finish_fast(con, r, dialect, scan, rejected)):  # type: ignore[arg-type]
        _drop(con, r)
        _load_slow(con, r, file, dialect, encoding, findings)
    r.rows = con.execute(f"SELECT count(*) FROM {r.view}").fetchall()[0][0]
    r.usable = True
    advance(max(size, 1))
    return r


def _parse_hash(value: Any) -> tuple[str | None, str | None]:
    if not isinstance(value, str) or not value:
        return None, None
    if ":" in value:
        algo, digest = value.split(":", 1)
    else:
        algo, digest = "md5", value
    algo = algo.lower()
    if algo not in ("md5", "sha256"):
        return None, None
    return algo, digest.lower()


def _label_findings(r: Resource, header: list[str]) -> list[Finding]:
    out: list[Finding] = []
    fields = r.schema.get("fields", [])
    seen: dict[str, int] = {}
    lowered: dict[str, str] = {}
    for pos, label in enumerate(header, start=1):
        fname = fields[pos - 1]["name"] if pos <= len(fields) else None
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
        elif label != fname:
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
        fname = fields[pos - 1]["name"]
        out.append(r.finding("missing-label",
                             f'There is a missing label in the header\'s field "{fname}" at '
                             f'position "{pos}"', line=1, field=fname))
    return out


def _columns(schema: dict[str, Any], header: list[str]) -> list[Column]:
    fields = schema.get("fields", [])
    cols = []
    for i, label in enumerate(header):
        fld = fields[i] if i < len(fields) else {"name": label, "type": "any"}
        mv = tuple(sqlchecks.missing_values(fld, schema))
        tcol = f"p{i}" if sqlchecks.has_parser(fld) else None
        cols.append(Column(position=i + 1, col=f"c{i}", fld=fld, mv=mv, tcol=tcol))
    return cols


def _load_threads() -> int:
    """DuckDB threads for the load (``SEMICON_VALIDATE_THREADS``, default 1).

    One thread keeps the file's row order by construction, and every line number depends
    on that order; a second thread saved no wall time on 2 cores (docs/validate.md).
    """
    value = os.environ.get("SEMICON_VALIDATE_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _load_fast(con: Any, r: Resource, dialect: rawscan.Dialect, *,
               threads: int | None = None, attempt: int = 0) -> list | None:
    """Parse with DuckDB's parallel reader; the rejected lines, or None if DuckDB failed.

    Row order is what gives every row its line number. DuckDB keeps the file's order
    (``preserve_insertion_order``: the CSV reader numbers its batches and ``CREATE TABLE
    AS`` stores them in that order) on any number of threads; :func:`_in_file_order`
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
            con.execute(f"SET threads = {int(threads)}")
        try:
            con.execute(f"CREATE TABLE {t} AS {_stored_select(r, src, extra='0')}")
        finally:
            if before is not None:
                con.execute(f"SET threads = {int(before)}")
        return con.execute(
            f"SELECT line, any_value(csv_line), bool_or(error_type = 'INVALID UNICODE') "
            f"FROM {rej}_errors GROUP BY line ORDER BY line"
        ).fetchall()
    except Exception:
        con.execute(f"DROP TABLE IF EXISTS {t}")
        return None


def _in_file_order(con: Any, r: Resource, dialect: rawscan.Dialect, scan: rawscan.RawScan,
                   rejected: list) -> bool:
    """Whether the sampled lines (one per MiB) are stored at the position their line gives.

    Each sample line is run through the same SELECT as the load and compared, column by
    column, with the table row at position ``line - 2 - rejected lines before it``.
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
    table = f"r{r.index}_sample"
    _insert_records(con, table, r, records)
    cols = [c.col for c in r.columns] + [c.tcol for c in r.columns if c.tcol] + ["__bad"]
    pos = [(line, line - 2 - bisect.bisect_left(rej_lines, line)) for line, _ in records]
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM t.{c}" for c in cols)
    wanted = ", ".join(str(p) for _, p in pos)
    values = ", ".join(f"({line}, {p})" for line, p in pos)
    try:
        bad = con.execute(
            f"SELECT count(*) FROM {table} s JOIN (VALUES {values}) v(line, pos) "
            f"ON -s.__k = v.line LEFT JOIN (SELECT rowid AS pos, {', '.join(cols)} "
            f"FROM r{r.index}_t WHERE rowid IN ({wanted})) t ON t.pos = v.pos "
            f"WHERE t.pos IS NULL OR NOT ({same})"
        ).fetchall()[0][0]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return bad == 0


def _drop(con: Any, r: Resource) -> None:
    for obj, kind in ((f"r{r.index}_v", "VIEW"), (f"r{r.index}_t", "TABLE"),
                      (f"r{r.index}_rj", "TABLE")):
        with contextlib.suppress(Exception):  # wrong kind of object
            con.execute(f"DROP {kind} IF EXISTS {obj}")
    r.extras.clear()
    r.bounds = []


def _finish_fast(con: Any, r: Resource, dialect: rawscan.Dialect, scan: rawscan.RawScan,
                 rejected: list) -> bool:
    """Build the view over DuckDB's table (+ re-parsed rejected lines); False -> slow path.

    DuckDB skips blank lines and a record may span lines: when the physical line count
    does not equal header + rows + rejected lines, row numbers cannot be derived from row
    order and the careful parser takes over. So do bad encoding and unterminated quotes.
    """
    t = f"r{r.index}_t"
    names = [c.col for c in r.columns]
    if not _fast_usable(con, r, scan, rejected):
        return False
    cols = ", ".join([*names, *[c.tcol for c in r.columns if c.tcol], "__bad"])
    r.view = f"r{r.index}_v"
    if not rejected:
        con.execute(f"CREATE VIEW {r.view} AS SELECT CAST(rowid AS BIGINT) AS __k, "
                    f"0 AS __extra, {cols} FROM {t}")
        return True
    records = []
    for line, raw, _ in rejected:
        cells = next(dialect.reader([raw]), [])
        records.append((int(line), cells))
    _insert_records(con, f"r{r.index}_rj", r, records)
    lines = [line for line, _ in records]
    r.bounds = [line - 2 - j for j, line in enumerate(lines)]  # table rows before reject j
    con.execute(
        f"CREATE VIEW {r.view} AS SELECT CAST(rowid AS BIGINT) AS __k, 0 AS __extra, {cols} "
        f"FROM {t} UNION ALL SELECT __k, __extra, {cols} FROM r{r.index}_rj"
    )
    return True


def _fast_usable(con: Any, r: Resource, scan: rawscan.RawScan, rejected: list) -> bool:
    """Whether row order gives line numbers: no record spans lines, none was skipped."""
    if any(bad_unicode for _, _, bad_unicode in rejected):
        return False
    if any("\n" in (raw or "") or "\r" in (raw or "") for _, raw, _ in rejected):
        return False
    n = con.execute(f"SELECT count(*) FROM r{r.index}_t").fetchall()[0][0]
    return scan.physical_lines == 1 + n + len(rejected)


def _stored_select(r: Resource, source: str, *, extra: str,
                   passthrough: tuple[str, ...] = ()) -> str:
    """One pass over ``source``: typed columns, the ``__bad`` flag and the text cells.

    Every row check is evaluated here, while DuckDB parses the file; text cells of fields
    nobody reads later are stored only on rows with a finding (for the messages).
    """
    typed = "".join(f", {c.typed_definition} AS {c.tcol}" for c in r.columns if c.tcol)
    flags = sqlchecks.row_flags(r.columns)
    bad = sqlchecks.bad_sql(r.columns, flags, extra=extra)
    out = list(passthrough)
    for c in r.columns:
        if r.keep is None or (c.tcol is None and c.name in r.keep):
            out.append(c.col)
        else:
            out.append(f"CASE WHEN __bad THEN {c.col} END AS {c.col}")
    out += [c.tcol for c in r.columns if c.tcol]
    out.append("__bad")
    return (f"SELECT {', '.join(out)} FROM (SELECT *, ({bad}) AS __bad FROM "
            f"(SELECT *{typed} FROM {source}))")


def _insert_records(con: Any, table: str, r: Resource,
                    records: Iterable[tuple[int, list[str]]], batch: int = 50_000) -> None:
    """Store (line, cells) records (re-parsed by Python) like DuckDB-loaded rows, in batches."""
    n = len(r.columns)
    if isinstance(records, list) and len(records) <= SMALL_RECORDS:
        _insert_few(con, table, r, records)
        return
    import pyarrow as pa

    schema = pa.schema([("__k", pa.int64()), ("__extra", pa.int64())]
                       + [(f"c{i}", pa.string()) for i in range(n)])
    select = _stored_select(r, f"{table}_arrow", extra="__extra", passthrough=("__k", "__extra"))
    created = False

    def flush(data: dict[str, list]) -> None:
        nonlocal created
        con.register(f"{table}_arrow", pa.table(data, schema=schema))
        if created:
            con.execute(f"INSERT INTO {table} {select}")
        else:
            con.execute(f"CREATE TABLE {table} AS {select}")
            created = True
        con.unregister(f"{table}_arrow")

    def empty() -> dict[str, list]:
        return {name: [] for name in schema.names}

    data = empty()
    for line, cells in records:
        data["__k"].append(-line)
        extra = max(0, len(cells) - n)
        data["__extra"].append(extra)
        if extra:
            r.extras[line] = cells[n:]
        for i in range(n):
            data[f"c{i}"].append(cells[i] if i < len(cells) else None)
        if len(data["__k"]) >= batch:
            flush(data)
            data = empty()
    if data["__k"] or not created:
        flush(data)


def _insert_few(con: Any, table: str, r: Resource,
                records: list[tuple[int, list[str]]]) -> None:
    """:func:`_insert_records` for a few records, through a VALUES list (no pyarrow)."""
    n = len(r.columns)
    names = ", ".join(["__k", "__extra", *[f"c{i}" for i in range(n)]])
    rows = []
    for line, cells in records:
        extra = max(0, len(cells) - n)
        if extra:
            r.extras[line] = cells[n:]
        values = [f"CAST({-int(line)} AS BIGINT)", f"CAST({extra} AS BIGINT)"]
        values += [f"CAST({sql_string(cells[i])} AS VARCHAR)" if i < len(cells)
                   else "CAST(NULL AS VARCHAR)" for i in range(n)]
        rows.append(f"({', '.join(values)})")
    if not rows:
        rows.append("(" + ", ".join(["CAST(NULL AS BIGINT)"] * 2
                                    + ["CAST(NULL AS VARCHAR)"] * n) + ")")
        source = f"(SELECT * FROM (VALUES {rows[0]}) v({names}) WHERE FALSE)"
    else:
        source = f"(SELECT * FROM (VALUES {', '.join(rows)}) v({names}))"
    select = _stored_select(r, source, extra="__extra", passthrough=("__k", "__extra"))
    con.execute(f"CREATE TABLE {table} AS {select}")


def _load_slow(con: Any, r: Resource, file: Path, dialect: rawscan.Dialect, encoding: str,
               findings: list[Finding]) -> None:
    """Python's csv over the whole file: exact records, lines and cells, any encoding."""
    try:
        "".encode(encoding)
    except LookupError:
        findings.append(r.finding("encoding-error", f'Unknown encoding "{encoding}"'))
        encoding = "utf-8"
    for line, reason in rawscan.undecodable_lines(file, encoding):
        findings.append(r.finding(
            "encoding-error", f'Line {line} cannot be decoded as "{encoding}": {reason}',
            line=line))
    reader = rawscan.RecordReader(file, dialect, encoding)
    _insert_records(con, f"r{r.index}_st", r, reader)
    if reader.unterminated_line is not None:
        findings.append(r.finding(
            "unterminated-quote",
            f"A quoted cell starting on line {reader.unterminated_line} is never closed: it "
            "swallows the rest of the file", line=reader.unterminated_line))
    r.view = f"r{r.index}_st"


# --------------------------------------------------------------------------------------
# findings from SQL


def _cell_message(code: str, line: int, col: Column, value: str | None, note: str) -> str:
    if code == "type-error":
        return (f'Type error in the cell "{value}" in line "{line}" and field "{col.name}" at '
                f'position "{col.position}": {note}')
    if code == "constraint-error":
        return (f'The cell "{value}" in line "{line}" and field "{col.name}" at position '
                f'"{col.position}" does not conform to a constraint: {note}')
    if code == "missing-cell":
        return (f'Row at line "{line}" has a missing cell in field "{col.name}" at position '
                f'"{col.position}"')
    if code == "formula-injection":
        return (f'The cell "{value}" in line "{line}" and field "{col.name}" starts with '
                f'"{_show(value[:1] if value else "")}": a spreadsheet would run it as a '
                "formula")
    return f'{code} in line "{line}" and field "{col.name}"'


def _show(ch: str) -> str:
    return {"\t": "\\t", "\r": "\\r"}.get(ch, ch)


def _row_checks(con: Any, r: Resource, findings: list[Finding], cap: int) -> None:
    cap += len(r.bounds)
    flags = sqlchecks.row_flags(r.columns)
    sql = sqlchecks.row_check_sql(r.view, r.columns, flags, limit=cap)
    cur = con.execute(sql)
    nflags = len(flags)
    fetched = 0
    while batch := cur.fetchmany(10000):
        fetched += len(batch)
        for row in batch:
            line, extra, blank = r.line_of(row[0]), row[1], row[2]
            cells = row[3 + nflags:]
            if blank:
                findings.append(r.finding("blank-row",
                                          f'Row at line "{line}" is completely blank',
                                          line=line))
                continue
            for i in range(nflags):
                if row[3 + i]:
                    f = flags[i]
                    col = f.column
                    assert col is not None
                    value = cells[col.position - 1]
                    findings.append(r.finding(
                        f.code, _cell_message(f.code, line, col, value, f.note),
                        line=line, field=col.name, value=value))
            if extra:
                values = r.extras.get(line, [])
                for j in range(extra):
                    pos = len(r.columns) + j + 1
                    findings.append(r.finding(
                        "extra-cell",
                        f'Row at line "{line}" has an extra value in field at position "{pos}"',
                        line=line, value=values[j] if j < len(values) else None))
    if fetched >= cap:
        r.capped = True


def _key_columns(r: Resource, names: list[str]) -> list[Column] | None:
    cols = [r.by_name.get(n) for n in names]
    if any(c is None for c in cols):
        return None
    return cols  # type: ignore[return-value]


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value or [])


def _previous_lines(rows: list[tuple]) -> dict[int, int]:
    """For rows (line, *key) of duplicate keys: line -> line of the previous occurrence."""
    last: dict[tuple, int] = {}
    out: dict[int, int] = {}
    for row in sorted(rows, key=lambda x: x[0]):
        key = tuple(row[1:])
        if key in last:
            out[row[0]] = last[key]
        last[key] = row[0]
    return out


def _key_checks(con: Any, r: Resource, resources: dict[str, Resource],
                findings: list[Finding], cap: int) -> None:
    cap += len(r.bounds)
    schema = r.schema
    # unique fields
    for col in r.columns:
        cons = col.fld.get("constraints") or {}
        if not cons.get("unique"):
            continue
        dups = con.execute(sqlchecks.duplicate_sql(r.view, [col], skip_all_null=True,
                                                   limit=cap)).fetchall()
        r.capped |= len(dups) >= cap
        dups = [(r.line_of(key), k, v) for key, k, v in dups]
        prev = _previous_lines([(line, k) for line, k, _v in dups])
        raw = {line: v for line, _k, v in dups}
        for line, before in prev.items():
            findings.append(r.finding(
                "unique-error",
                f'Row at line "{line}" has unique constraint violation in field "{col.name}" '
                f'at position "{col.position}": the same as in the row at line {before}',
                line=line, field=col.name, value=raw[line]))
    # primary key
    pk = _as_list(schema.get("primaryKey"))
    pk_cols = _key_columns(r, pk) if pk else None
    if pk_cols:
        dups = con.execute(sqlchecks.duplicate_sql(r.view, pk_cols, skip_all_null=True,
                                                   limit=cap)).fetchall()
        r.capped |= len(dups) >= cap
        n = len(pk_cols)
        dups = [(r.line_of(row[0]), *row[1:]) for row in dups]
        prev = _previous_lines([row[: 1 + n] for row in dups])
        raw = {row[0]: row[1 + n:] for row in dups}
        for line, before in prev.items():
            findings.append(r.finding(
                "primary-key",
                f'Row at line "{line}" violates the primary key: the same as in the row at '
                f"line {before}", line=line, field=", ".join(pk),
                value=", ".join("" if v is None else str(v) for v in raw[line])))
        for (key,) in con.execute(sqlchecks.all_null_key_sql(r.view, pk_cols,
                                                             limit=cap)).fetchall():
            line = r.line_of(key)
            findings.append(r.finding(
                "primary-key",
                f'Row at line "{line}" violates the primary key: cells composing the primary '
                'keys are all "None"', line=line, field=", ".join(pk)))
    # foreign keys
    for fk in schema.get("foreignKeys", []) or []:
        src = _as_list(fk["fields"])
        ref = fk["reference"]
        target_name = ref.get("resource", "") or r.name
        target = resources.get(target_name)
        cols = _key_columns(r, src)
        if not cols or target is None or not target.usable:
            continue
        ref_cols = _key_columns(target, _as_list(ref["fields"]))
        if not ref_cols:
            continue
        sql = sqlchecks.foreign_key_sql(r.view, cols, target.view, ref_cols, limit=cap)
        missing = con.execute(sql).fetchall()
        r.capped |= len(missing) >= cap
        for row in missing:
            line = r.line_of(row[0])
            values = ", ".join("" if v is None else str(v) for v in row[1:])
            findings.append(r.finding(
                "foreign-key",
                f'Row at line "{line}" violates the foreign key: for "{", ".join(src)}": '
                f'values "{values}" not found in the lookup table "{ref.get("resource", "")}" '
                f'as "{", ".join(_as_list(ref["fields"]))}"',
                line=line, field=", ".join(src), value=values))
