"""Compare two releases of a data package (`semicon diff OLD NEW`).

Each side is a package folder, a ``datapackage.json`` or a release zip. The diff covers:

- tables added or removed (tabular resources, by name);
- rows added, removed and changed, matched by primary key (CSV read as text, so a
  correction from ``1.0`` to ``1`` counts as a change), with old and new values per field;
- schema changes: fields added/removed/reordered, type, format or constraint changes,
  primary, foreign and unique key changes; field titles and descriptions count as metadata;
- metadata changes: package- and resource-level properties, excluding ``bytes`` and
  ``hash``; ``version`` and ``created`` are reported as release facts, not as changes.

Non-tabular (``"type": "file"``) resources, which release zips add for the Parquet files,
databases and source documents, are compared only when both sides list them (by hash).

Version bump rule: a schema change or a removed table needs a major bump; new rows or new
tables a minor one; corrections, removed rows and metadata changes a patch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.errors import UnusableInput
from semicon.schemas.model import DescriptorError, Package, Resource, Schema, load_package

DESCRIPTOR_NAME = "datapackage.json"
BUMPS = ("none", "patch", "minor", "major")
EXCLUDED_PROPERTIES = {"bytes", "hash"}
RELEASE_PROPERTIES = ("version", "created")
# Field properties that change how a value is typed or checked: a schema change.
STRUCTURAL_FIELD_PROPERTIES = (
    "type",
    "format",
    "constraints",
    "missingValues",
    "trueValues",
    "falseValues",
    "decimalChar",
    "groupChar",
    "bareNumber",
    "categories",
)
# Non-tabular resources derived from the tables (release zips list them): never compared,
# since they are rebuilt from the CSVs (and a DuckDB file is not byte-identical across builds).
DERIVED_FORMATS = {"parquet", "duckdb", "sqlite"}
STRUCTURAL_SCHEMA_PROPERTIES = (
    "primaryKey",
    "foreignKeys",
    "uniqueKeys",
    "missingValues",
    "fieldsMatch",
)

csv.field_size_limit(1 << 28)


class DiffInputError(UnusableInput):
    """An input that cannot be compared (missing, not a package, unreadable table)."""


# --------------------------------------------------------------------------- inputs


@dataclass
class PackageInput:
    """A package to compare: its parsed model and a reader for the files it lists."""

    label: str
    package: Package
    read: Callable[[str], bytes]
    kind: str  # "folder" or "zip"


def _safe_rel(rel: str) -> str:
    path = Path(rel)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[a-z][a-z0-9+.-]*://", rel):
        raise DiffInputError(f"resource path {rel!r} is not a local path inside the package")
    return path.as_posix()


def open_package(spec: str | Path) -> PackageInput:
    """Open a package folder, a ``datapackage.json`` or a release zip (read extracted, as
    every command reads a zipped package)."""
    path = Path(spec)
    label = str(spec)
    kind = "zip" if path.is_file() and zipfile.is_zipfile(path) else "folder"
    try:
        package = load_package(path)
    except DescriptorError as exc:
        raise DiffInputError(f"{label}: {exc}" if kind == "zip" else str(exc)) from exc
    if package.errors:
        raise DiffInputError(package.errors[0].message)
    for res in package.resources:  # a missing file: the words every command uses
        for rel, file in zip(res.paths, res.files, strict=False):
            if not file.is_file():
                raise DiffInputError(f'File "{rel}" of resource "{res.name}" does not exist')
    base = package.base_dir

    def read(rel: str) -> bytes:
        target = base / _safe_rel(rel)
        try:
            return target.read_bytes()
        except OSError as exc:
            raise DiffInputError(f"{label}: cannot read {rel}: {exc.strerror or exc}") from exc

    return PackageInput(label, package, read, kind)


# --------------------------------------------------------------------------- results


@dataclass
class Change:
    """A property whose value differs: ``path`` names it, values are JSON values."""

    path: str
    old: Any
    new: Any


@dataclass
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class RowChange:
    key: dict[str, str]
    changes: list[FieldChange]


@dataclass
class SchemaChange:
    kind: str  # field-added, field-removed, field-changed, fields-reordered, key-changed ...
    field: str | None
    detail: str
    old: Any = None
    new: Any = None


@dataclass
class TableDiff:
    name: str
    key: list[str]  # fields rows were matched on ([] = whole row)
    rows_old: int
    rows_new: int
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    schema: list[SchemaChange] = field(default_factory=list)
    metadata: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.schema or self.metadata)


@dataclass
class TableSummary:
    name: str
    rows: int
    fields: list[str]


@dataclass
class PackageDiff:
    old_label: str
    new_label: str
    old_name: str | None
    new_name: str | None
    old_version: str | None
    new_version: str | None
    release: list[Change] = field(default_factory=list)  # version, created
    tables_added: list[TableSummary] = field(default_factory=list)
    tables_removed: list[TableSummary] = field(default_factory=list)
    tables: list[TableDiff] = field(default_factory=list)  # tables in both, in NEW's order
    metadata: list[Change] = field(default_factory=list)  # package-level
    files: list[Change] = field(default_factory=list)  # non-tabular resources in both
    notes: list[str] = field(default_factory=list)
    bump: str = "none"
    bump_reasons: list[str] = field(default_factory=list)
    version_bump: str | None = None  # none/patch/minor/major/downgrade; None: not semver
    version_ok: bool | None = None
    suggested_version: str | None = None

    @property
    def changed(self) -> bool:
        return self.bump != "none"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (the ``--format json`` output)."""

        def change(c: Change) -> dict[str, Any]:
            return {"path": c.path, "old": c.old, "new": c.new}

        return {
            "old": {"source": self.old_label, "name": self.old_name, "version": self.old_version},
            "new": {"source": self.new_label, "name": self.new_name, "version": self.new_version},
            "changed": self.changed,
            "bump": {
                "required": self.bump,
                "reasons": self.bump_reasons,
                "actual": self.version_bump,
                "version_ok": self.version_ok,
                "suggested_version": self.suggested_version,
            },
            "release": [change(c) for c in self.release],
            "tables_added": [vars(t) for t in self.tables_added],
            "tables_removed": [vars(t) for t in self.tables_removed],
            "tables": [
                {
                    "name": t.name,
                    "key": t.key,
                    "rows_old": t.rows_old,
                    "rows_new": t.rows_new,
                    "rows_added": t.added,
                    "rows_removed": t.removed,
                    "rows_changed": [
                        {"key": r.key, "changes": [vars(c) for c in r.changes]} for r in t.changed
                    ],
                    "schema_changes": [vars(s) for s in t.schema],
                    "metadata_changes": [change(c) for c in t.metadata],
                    "warnings": t.warnings,
                }
                for t in self.tables
            ],
            "metadata_changes": [change(c) for c in self.metadata],
            "file_changes": [change(c) for c in self.files],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- helpers


def _tabular(package: Package) -> dict[str, Resource]:
    return {r.name: r for r in package.tables if r.schema is not None}


def _files(package: Package) -> dict[str, Resource]:
    tab = _tabular(package)
    return {r.name: r for r in package.resources
            if r.name not in tab and r.format not in DERIVED_FORMATS}


def _properties(package: Package) -> dict[str, Any]:
    """Every package-level property as written (the diff compares them all), ``name`` as
    the model gives it."""
    return {**package.descriptor, "name": package.name}


def _compare_props(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: str, skip: Iterable[str]
) -> list[Change]:
    skipped = set(skip)
    out = []
    for key in list(old) + [k for k in new if k not in old]:
        if key in skipped:
            continue
        if old.get(key) != new.get(key):
            out.append(Change(prefix + key, old.get(key), new.get(key)))
    return out


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]


def _read_table(pkg: PackageInput, res: Resource) -> _Table:
    if not res.paths:
        raise DiffInputError(
            f"{pkg.label}: table {res.name!r} has no path (inline data unsupported)")
    dialect = res.dialect
    encoding = res.encoding
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"
    header: list[str] | None = None
    rows: list[list[str]] = []
    for i, rel in enumerate(res.paths):
        try:
            text = pkg.read(rel).decode(encoding)
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=dialect.delimiter,
                                quotechar=dialect.quote)
            part = list(reader)
        except (UnicodeDecodeError, LookupError, csv.Error) as exc:
            raise DiffInputError(f"{pkg.label}: cannot read {rel} as CSV: {exc}") from exc
        if not dialect.header:
            part_header = res.field_names
        else:
            if not part:
                raise DiffInputError(f"{pkg.label}: {rel} is empty (no header row)")
            part_header, part = part[0], part[1:]
        if i == 0:
            header = part_header
        rows.extend(r for r in part if r)  # skip blank lines
    assert header is not None
    return _Table(header, rows)


def _diff_header(td: TableDiff, old: _Table, new: _Table, schema: Schema) -> None:
    """A new CSV header that differs from the new Table Schema's field names (a changed
    header with unchanged schemas is otherwise invisible: rows are matched by name)."""
    names = schema.field_names
    if names and new.header != names:
        td.schema.append(SchemaChange("header-differs-from-schema", None,
                                      "CSV header differs from the Table Schema", names,
                                      new.header))


def _record(header: list[str], row: list[str], fields: Iterable[str]) -> dict[str, str]:
    index = {h: i for i, h in enumerate(header)}
    return {f: (row[index[f]] if index[f] < len(row) else "") for f in fields if f in index}


def _diff_rows(
    td: TableDiff,
    old: _Table,
    new: _Table,
    old_pk: list[str],
    new_pk: list[str],
) -> None:
    common = [h for h in new.header if h in set(old.header)]
    key: list[str] = []
    for candidate in (new_pk, old_pk):
        if candidate and all(k in old.header and k in new.header for k in candidate):
            key = candidate
            break
    if (new_pk or old_pk) and not key:
        td.warnings.append("primary key fields are not in both tables: rows matched as a whole")
    td.key = key
    old_index = {h: i for i, h in enumerate(old.header)}
    new_index = {h: i for i, h in enumerate(new.header)}

    def values(row: list[str], index: dict[str, int], fields: list[str]) -> tuple[str, ...]:
        return tuple(row[index[f]] if index[f] < len(row) else "" for f in fields)

    if not key:
        old_counts = Counter(values(r, old_index, common) for r in old.rows)
        new_counts = Counter(values(r, new_index, common) for r in new.rows)
        seen_new: Counter[tuple[str, ...]] = Counter()
        for r in new.rows:
            v = values(r, new_index, common)
            seen_new[v] += 1
            if seen_new[v] > old_counts.get(v, 0):
                td.added.append(_record(new.header, r, new.header))
        seen_old: Counter[tuple[str, ...]] = Counter()
        for r in old.rows:
            v = values(r, old_index, common)
            seen_old[v] += 1
            if seen_old[v] > new_counts.get(v, 0):
                td.removed.append(_record(old.header, r, old.header))
        return

    old_rows: dict[tuple[str, ...], list[str]] = {}
    duplicates = 0
    for r in old.rows:
        k = values(r, old_index, key)
        duplicates += k in old_rows
        old_rows[k] = r
    new_keys: set[tuple[str, ...]] = set()
    compare = [f for f in common if f not in key]
    for r in new.rows:
        k = values(r, new_index, key)
        if k in new_keys:
            duplicates += 1
            continue
        new_keys.add(k)
        before = old_rows.get(k)
        if before is None:
            td.added.append(_record(new.header, r, new.header))
            continue
        changes = [
            FieldChange(f, a, b)
            for f, a, b in zip(
                compare,
                values(before, old_index, compare),
                values(r, new_index, compare),
                strict=True,
            )
            if a != b
        ]
        if changes:
            td.changed.append(RowChange(dict(zip(key, k, strict=True)), changes))
    for k, r in old_rows.items():
        if k not in new_keys:
            td.removed.append(_record(old.header, r, old.header))
    if duplicates:
        td.warnings.append(f"{duplicates} duplicate primary key(s): the last row of each was used")


def _fields(schema: Schema) -> dict[str, dict[str, Any]]:
    """Each field's properties as written (the diff compares them all), by name."""
    return {f.name: f.descriptor for f in schema.fields}


def _diff_schema(td: TableDiff, old: Schema, new: Schema) -> None:
    old_f, new_f = _fields(old), _fields(new)
    for name, f in new_f.items():
        if name not in old_f:
            td.schema.append(
                SchemaChange("field-added", name, f"type {f.get('type', 'string')}", None, f)
            )
    for name, f in old_f.items():
        if name not in new_f:
            td.schema.append(
                SchemaChange("field-removed", name, f"type {f.get('type', 'string')}", f, None)
            )
    for name in (n for n in new_f if n in old_f):
        a, b = old_f[name], new_f[name]
        for prop in STRUCTURAL_FIELD_PROPERTIES:
            va = a.get(prop, "string" if prop == "type" else None)
            vb = b.get(prop, "string" if prop == "type" else None)
            if prop == "constraints":
                ca, cb = va or {}, vb or {}
                for c in list(ca) + [c for c in cb if c not in ca]:
                    if ca.get(c) != cb.get(c):
                        td.schema.append(
                            SchemaChange("constraint-changed", name, c, ca.get(c), cb.get(c))
                        )
            elif va != vb:
                td.schema.append(SchemaChange(f"{prop}-changed", name, prop, va, vb))
        skip = {"name", *STRUCTURAL_FIELD_PROPERTIES}
        td.metadata.extend(_compare_props(a, b, f"fields.{name}.", skip))
    common_old = [n for n in old_f if n in new_f]
    common_new = [n for n in new_f if n in old_f]
    if common_old != common_new:
        td.schema.append(
            SchemaChange("fields-reordered", None, "field order", common_old, common_new)
        )
    for prop in STRUCTURAL_SCHEMA_PROPERTIES:
        va, vb = old.get(prop), new.get(prop)
        if prop == "primaryKey":
            va, vb = old.primary_key, new.primary_key
        if va != vb:
            td.schema.append(SchemaChange(f"{prop}-changed", None, prop, va, vb))
    skip = {"fields", *STRUCTURAL_SCHEMA_PROPERTIES}
    td.metadata.extend(_compare_props(old.descriptor, new.descriptor, "schema.", skip))


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


def _semver(version: Any) -> tuple[int, int, int] | None:
    match = _SEMVER.match(str(version or ""))
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def version_bump(old: Any, new: Any) -> str | None:
    """The bump from version ``old`` to ``new`` (None when either is not semantic)."""
    a, b = _semver(old), _semver(new)
    if a is None or b is None:
        return None
    if b < a:
        return "downgrade"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    if b[2] > a[2]:
        return "patch"
    return "none"


def next_version(old: Any, bump: str) -> str | None:
    """``old`` bumped by ``bump`` (None when ``old`` is not semantic)."""
    v = _semver(old)
    if v is None:
        return None
    if bump == "major":
        return f"{v[0] + 1}.0.0"
    if bump == "minor":
        return f"{v[0]}.{v[1] + 1}.0"
    if bump == "patch":
        return f"{v[0]}.{v[1]}.{v[2] + 1}"
    return f"{v[0]}.{v[1]}.{v[2]}"


def _classify(diff: PackageDiff) -> None:
    reasons: dict[str, list[str]] = {b: [] for b in BUMPS}
    for t in diff.tables_removed:
        reasons["major"].append(f"table {t.name} removed")
    for td in diff.tables:
        if td.schema:
            reasons["major"].append(f"schema of {td.name} changed")
        if td.added:
            reasons["minor"].append(f"rows added to {td.name}")
        if td.changed:
            reasons["patch"].append(f"rows changed in {td.name}")
        if td.removed:
            reasons["patch"].append(f"rows removed from {td.name}")
        if td.metadata:
            reasons["patch"].append(f"metadata of {td.name} changed")
    for t in diff.tables_added:
        reasons["minor"].append(f"table {t.name} added")
    if diff.metadata:
        reasons["patch"].append("package metadata changed")
    if diff.files:
        reasons["patch"].append("files changed")
    diff.bump = next((b for b in reversed(BUMPS) if reasons[b]), "none")
    diff.bump_reasons = [r for b in reversed(BUMPS) for r in reasons[b]]
    diff.version_bump = version_bump(diff.old_version, diff.new_version)
    if diff.version_bump is None:
        diff.version_ok = None
    elif diff.version_bump == "downgrade":
        diff.version_ok = False
    else:
        diff.version_ok = BUMPS.index(diff.version_bump) >= BUMPS.index(diff.bump)
    diff.suggested_version = next_version(diff.old_version, diff.bump)


def _content_hash(pkg: PackageInput, res: Resource) -> str | None:
    """``sha256:<hex>`` of a file resource's content (None for remote or multipart paths)."""
    path = res.path
    if not isinstance(path, str) or re.match(r"^[a-z][a-z0-9+.-]*://", path):
        return None
    return "sha256:" + hashlib.sha256(pkg.read(path)).hexdigest()


def _same_file(
    pkg: PackageInput, res: Resource, other: PackageInput, diff: PackageDiff
) -> bool:
    """Whether a file resource listed by one side only is at the same path on the other side.

    (A release zip lists the source document as a resource; the package folder has the file
    without listing it.) A differing file there is recorded as a file change.
    """
    path = res.path
    if not isinstance(path, str) or re.match(r"^[a-z][a-z0-9+.-]*://", path):
        return False
    try:
        theirs = "sha256:" + hashlib.sha256(other.read(path)).hexdigest()
    except DiffInputError:
        return False
    ours = _content_hash(pkg, res)
    if ours != theirs:
        old, new = (theirs, ours) if pkg.label == diff.new_label else (ours, theirs)
        diff.files.append(Change(f"{res.name}.content", old, new))
    return True


def _summary(pkg: PackageInput, res: Resource) -> TableSummary:
    table = _read_table(pkg, res)
    return TableSummary(res.name, len(table.rows), list(table.header))


def diff_packages(old: PackageInput | str | Path, new: PackageInput | str | Path) -> PackageDiff:
    """Compare two packages (opened with `open_package`, or given as paths)."""
    a = old if isinstance(old, PackageInput) else open_package(old)
    b = new if isinstance(new, PackageInput) else open_package(new)
    da, db = _properties(a.package), _properties(b.package)
    diff = PackageDiff(
        old_label=a.label,
        new_label=b.label,
        old_name=a.package.name,
        new_name=b.package.name,
        old_version=a.package.version,
        new_version=b.package.version,
    )
    diff.release = [
        Change(k, da.get(k), db.get(k)) for k in RELEASE_PROPERTIES if da.get(k) != db.get(k)
    ]
    diff.metadata = _compare_props(
        da, db, "", {"resources", *RELEASE_PROPERTIES, *EXCLUDED_PROPERTIES}
    )
    ta, tb = _tabular(a.package), _tabular(b.package)
    for name, res in tb.items():
        if name not in ta:
            diff.tables_added.append(_summary(b, res))
    for name, res in ta.items():
        if name not in tb:
            diff.tables_removed.append(_summary(a, res))
    for name, rb in tb.items():
        if name not in ta:
            continue
        ra = ta[name]
        old_t, new_t = _read_table(a, ra), _read_table(b, rb)
        td = TableDiff(name, [], len(old_t.rows), len(new_t.rows))
        assert ra.schema is not None and rb.schema is not None  # tables with a schema
        _diff_schema(td, ra.schema, rb.schema)
        _diff_header(td, old_t, new_t, rb.schema)
        _diff_rows(td, old_t, new_t, ra.primary_key, rb.primary_key)
        td.metadata[:0] = _compare_props(ra.descriptor, rb.descriptor, "",
                                         {"schema", "name", *EXCLUDED_PROPERTIES})
        diff.tables.append(td)
    fa, fb = _files(a.package), _files(b.package)
    for name in fb:
        if name in fa:
            diff.files.extend(_compare_props(fa[name].descriptor, fb[name].descriptor,
                                             f"{name}.", EXCLUDED_PROPERTIES))
            ha, hb = _content_hash(a, fa[name]), _content_hash(b, fb[name])
            if ha != hb:
                diff.files.append(Change(f"{name}.content", ha, hb))
    only_new = [n for n in fb if n not in fa and not _same_file(b, fb[n], a, diff)]
    only_old = [n for n in fa if n not in fb and not _same_file(a, fa[n], b, diff)]
    if only_new:
        diff.notes.append("files listed only in NEW (not compared): " + ", ".join(only_new))
    if only_old:
        diff.notes.append("files listed only in OLD (not compared): " + ", ".join(only_old))
    _classify(diff)
    return diff
