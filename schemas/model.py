"""The package model: a Data Package descriptor parsed once into typed objects.

Every command (validate, build, site, release, diff, sync) reads a package through
:func:`load_package`. Parsing normalises the forms the Data Package v2 specification
requires consumers to accept from v1:

- a string ``primaryKey`` and string foreign-key ``fields`` become lists;
- a ``schema`` or ``dialect`` given by path (a safe relative path only) is read and inlined;
- ``profile`` (v1) and ``$schema`` (v2) both give :attr:`Package.profile`;
- a resource's ``type`` is worked out once (:attr:`Resource.tabular`): ``"table"``, or
  no ``type`` and a Table Schema, a ``tabular-data-resource`` profile, inline rows or a
  tabular format. A ``"type": "file"`` resource (a source document, say) is never read as
  a table.

Each object is also a read-only mapping over its normalised descriptor (``resource["path"]``,
``field.get("constraints")``), so code written against descriptor dicts reads it unchanged.
The raw descriptor, as parsed, stays available (:attr:`Package.descriptor`) for frictionless,
and the package's custom ``semicon`` property is exposed as is (:attr:`Package.declarations`).

Problems that concern one resource (an unsafe path, an unreadable schema file) do not stop
parsing: they are listed in :attr:`Package.problems` for the caller to report. A descriptor
that cannot be read at all raises :class:`DescriptorError`.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UnusableInput
from .validation.paths import remote_reason, unsafe_reason

#: descriptor file names looked for in a package folder, in order
DESCRIPTOR_NAMES = ("datapackage.json", "datapackage.yaml", "datapackage.yml")
#: the package's custom property holding its declarations (docs/declarations.md)
DECLARATIONS_KEY = "semicon"
#: formats read as tables when a resource declares neither ``type`` nor a schema
TABLE_FORMATS = frozenset({"csv", "tsv", "xlsx", "xlsm", "xls", "ods", "ndjson", "jsonl"})
#: suffixes of compressed files (the format is the suffix before them)
COMPRESSION_SUFFIXES = frozenset({"gz", "zip", "bz2", "xz"})
_TABULAR_PROFILES = frozenset({"tabular-data-resource"})
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class DescriptorError(UnusableInput):
    """The descriptor cannot be read as a data package; ``code`` is the finding's code."""

    def __init__(self, code: str, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = None if path is None else str(path)


@dataclass(frozen=True)
class Problem:
    """A descriptor problem found while parsing one resource (reported as a finding)."""

    code: str
    message: str
    resource: str | None = None
    path: str | None = None
    value: str | None = None
    severity: str = "error"


class _DescriptorView(Mapping[str, Any]):
    """Read-only mapping access to ``self.descriptor`` (the normalised descriptor)."""

    descriptor: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.descriptor[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.descriptor)

    def __len__(self) -> int:
        return len(self.descriptor)

    def text(self, key: str) -> str | None:
        """The property ``key`` when it is a non-empty string, else ``None``."""
        value = self.descriptor.get(key)
        return value if isinstance(value, str) and value else None

    # a mapping view compares by identity: two parses of one file are different objects
    __eq__ = object.__eq__  # type: ignore[assignment]
    __hash__ = object.__hash__  # type: ignore[assignment]


class _Described(_DescriptorView):
    """A descriptor with a human ``title`` and ``description`` (a package, resource or field):
    each a non-empty string, else ``None``."""

    @property
    def title(self) -> str | None:
        return self.text("title")

    @property
    def description(self) -> str | None:
        return self.text("description")


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a descriptor list (anything else left out)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def as_names(value: Any) -> list[str]:
    """A v1 single name or a v2 list of names, as a list (``None``: empty)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


# --------------------------------------------------------------------------- Table Schema


#: what a boolean field reads as true and as false when it declares no ``trueValues`` /
#: ``falseValues`` (Table Schema)
DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0")
#: a schema's missing values when it declares no ``missingValues``
DEFAULT_MISSING_VALUES = ("",)


def missing_values_of(value: Any) -> list[str]:
    """A declared ``missingValues`` as strings (v2 ``{"value": ...}`` objects flattened);
    ``[""]`` when it is not a list (or not declared: ``None``)."""
    if not isinstance(value, list):
        return list(DEFAULT_MISSING_VALUES)
    return [m if isinstance(m, str) else str((m or {}).get("value", "")) for m in value
            if isinstance(m, str | dict)]


@dataclass(eq=False)
class Field(_Described):
    """One field of a Table Schema.

    Its typed properties give every Table Schema default in one place (``type`` string,
    ``format`` default, ``bareNumber`` true, ...): code that generates SQL or checks from a
    field reads them, never the descriptor's keys.
    """

    name: str
    descriptor: dict[str, Any]
    #: the missing values of the field's schema (its own ``missingValues`` replace them)
    schema_missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES

    @property
    def type(self) -> str:
        """The declared type (``string`` when none is declared)."""
        return str(self.descriptor.get("type") or "string")

    @property
    def format(self) -> str:
        """The declared format (``default`` when none is declared)."""
        value = self.descriptor.get("format")
        return value if isinstance(value, str) else "default"

    @property
    def constraints(self) -> dict[str, Any]:
        """The ``constraints`` object (empty when none is declared)."""
        value = self.descriptor.get("constraints")
        return value if isinstance(value, dict) else {}

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def unique(self) -> bool:
        """Whether ``constraints.unique`` asks every value to occur once."""
        return bool(self.constraints.get("unique"))

    @property
    def enum(self) -> list[Any]:
        """The allowed values (``constraints.enum``); empty when any value is allowed."""
        value = self.constraints.get("enum")
        return list(value) if isinstance(value, list) else []

    @property
    def unit(self) -> str | None:
        """The field's unit (``unit``, or the ``x-unit`` extension), if it declares one."""
        value = self.descriptor.get("unit") or self.descriptor.get("x-unit")
        return str(value) if value else None

    @property
    def missing_values(self) -> list[str]:
        """The texts that stand for a missing value in this field: its own ``missingValues``
        (Table Schema v2), else its schema's (``[""]`` when neither declares any)."""
        if "missingValues" in self.descriptor:
            return missing_values_of(self.descriptor["missingValues"])
        return list(self.schema_missing_values)

    # -- how numbers, booleans and lists are written
    @property
    def bare_number(self) -> bool:
        """Whether a number is written bare (``bareNumber``, true by default); when false,
        text around it (a currency sign, a percent) is ignored."""
        return self.descriptor.get("bareNumber") is not False

    @property
    def group_char(self) -> str | None:
        """The thousands separator a ``number`` may contain (``groupChar``), if any."""
        value = self.descriptor.get("groupChar")
        return str(value) if value else None

    @property
    def decimal_char(self) -> str:
        """The decimal separator of a ``number`` (``decimalChar``, ``.`` by default)."""
        value = self.descriptor.get("decimalChar", ".")
        return value if isinstance(value, str) else "."

    @property
    def true_values(self) -> list[str]:
        """What a ``boolean`` reads as true (``trueValues``, else Table Schema's defaults)."""
        value = self.descriptor.get("trueValues")
        return list(value) if isinstance(value, list) else list(DEFAULT_TRUE_VALUES)

    @property
    def false_values(self) -> list[str]:
        """What a ``boolean`` reads as false (``falseValues``, else Table Schema's defaults)."""
        value = self.descriptor.get("falseValues")
        return list(value) if isinstance(value, list) else list(DEFAULT_FALSE_VALUES)

    @property
    def item_type(self) -> str:
        """The type of a ``list`` field's items (``itemType``, ``string`` by default)."""
        return str(self.descriptor.get("itemType") or "string")

    @property
    def item_field(self) -> Field:
        """A field standing for one item of a ``list`` field (its ``itemType`` only)."""
        return Field(self.name, {"type": self.item_type})

    @property
    def list_delimiter(self) -> str:
        """What separates a ``list`` field's items (``delimiter``, ``,`` by default)."""
        value = self.descriptor.get("delimiter", ",")
        return value if isinstance(value, str) else ","


def as_field(value: Field | Mapping[str, Any],
             schema: Schema | Mapping[str, Any] | None = None) -> Field:
    """``value`` itself when a :class:`Field`, else a field over a field descriptor (its
    missing values inherited from ``schema``, a :class:`Schema` or a Table Schema dict)."""
    if isinstance(value, Field):
        return value
    if schema is None:
        inherited: list[str] | tuple[str, ...] = DEFAULT_MISSING_VALUES
    elif isinstance(schema, Schema):
        inherited = schema.missing_values()
    else:
        inherited = missing_values_of(schema.get("missingValues"))
    return Field(str(value.get("name", "")), dict(value), tuple(inherited))


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key; ``resource`` is the referenced table (its own name: a self-reference)."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]
    #: ``reference.resource`` as declared (``""`` for the resource itself, as v1 writes it,
    #: or when v2 leaves it out): what frictionless names in its messages
    declared_resource: str = ""

    @property
    def columns(self) -> list[tuple[str, str]]:
        """``(field, referenced field)`` pairs."""
        return list(zip(self.fields, self.reference_fields, strict=False))


@dataclass(eq=False)
class Schema(_Described):
    """A Table Schema, normalised (list keys); ``descriptor`` is the normalised dict."""

    descriptor: dict[str, Any]
    fields: list[Field]
    primary_key: list[str]
    foreign_keys: list[ForeignKey]
    unique_keys: list[list[str]]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def missing_values(self) -> list[str]:
        """The schema's missing values as strings (v2 ``{"value": ...}`` objects flattened)."""
        return missing_values_of(self.descriptor.get("missingValues"))

    def extra_field(self, label: str) -> Field:
        """A field for a column the schema does not declare: any text, named by its label,
        with the default missing value ``""``, not the schema's (frictionless gives such a
        column a field of its own, outside the schema: a row blank but for ``NA`` under
        it is not blank, one with ``""`` there is)."""
        return Field(label, {"name": label, "type": "any"}, DEFAULT_MISSING_VALUES)


def as_schema(value: Schema | Mapping[str, Any] | None, resource_name: str = "") -> Schema:
    """``value`` itself when a :class:`Schema`, else the schema of a Table Schema dict
    (``None``: a schema without fields)."""
    if isinstance(value, Schema):
        return value
    if value is None:
        return Schema({"fields": []}, [], [], [], [])
    return parse_schema(value, resource_name)


def json_copy(value: Any) -> Any:
    """A copy of parsed JSON: every dict and list copied, other values (strings, numbers,
    booleans, None: immutable) shared. Four times faster than ``copy.deepcopy``, which
    also looks for shared references that JSON cannot hold."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def parse_schema(raw: Mapping[str, Any], resource_name: str) -> Schema:
    """A :class:`Schema` from a Table Schema dict; malformed parts are left out, not raised."""
    descriptor = json_copy(dict(raw))
    fields = []
    raw_fields = descriptor.get("fields")
    inherited = tuple(missing_values_of(descriptor.get("missingValues")))
    for f in raw_fields if isinstance(raw_fields, list) else []:
        if isinstance(f, dict) and isinstance(f.get("name"), str):
            fields.append(Field(f["name"], f, inherited))
    pk = descriptor.get("primaryKey")
    primary_key = as_names(pk)
    if isinstance(pk, str):
        descriptor["primaryKey"] = primary_key
    foreign_keys = []
    raw_fks = descriptor.get("foreignKeys")
    for fk in raw_fks if isinstance(raw_fks, list) else []:
        if not isinstance(fk, dict):
            continue
        if isinstance(fk.get("fields"), str):
            fk["fields"] = [fk["fields"]]
        ref = fk.get("reference")
        if not isinstance(ref, dict):
            continue
        if isinstance(ref.get("fields"), str):
            ref["fields"] = [ref["fields"]]
        target = ref.get("resource") or resource_name  # "" (v1) or absent (v2): itself
        foreign_keys.append(ForeignKey(tuple(as_names(fk.get("fields"))), str(target),
                                       tuple(as_names(ref.get("fields"))),
                                       str(ref.get("resource", ""))))
    unique_keys = []
    raw_uks = descriptor.get("uniqueKeys")
    for uk in raw_uks if isinstance(raw_uks, list) else []:
        unique_keys.append(as_names(uk))
    return Schema(descriptor, fields, primary_key, foreign_keys, unique_keys)


# --------------------------------------------------------------------------- CSV dialect


@dataclass(eq=False)
class Dialect(_DescriptorView):
    """A CSV dialect: every property of Data Package v2's (and ``format: tsv``).

    ``descriptor`` is the dialect as declared (frictionless's nested ``csv`` form flattened).
    """

    descriptor: dict[str, Any] = field(default_factory=dict)
    delimiter: str = ","
    quote: str = '"'
    double_quote: bool = True
    escape: str | None = None
    header: bool = True
    line_terminator: str = "\r\n"
    null_sequence: str | None = None
    skip_initial_space: bool = False
    header_rows: tuple[int, ...] = (1,)
    header_join: str = " "
    comment_rows: tuple[int, ...] = ()
    comment_char: str | None = None
    #: frictionless compares labels with field names case-sensitively unless told not to
    case_sensitive_header: bool = True

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> Dialect:
        """The dialect of a resource descriptor (its ``dialect`` and ``format``)."""
        return cls.parse(resource.get("dialect"), resource_format(resource))

    @classmethod
    def parse(cls, raw: Any, fmt: str | None = None) -> Dialect:
        """A dialect from its descriptor (``format: tsv`` makes the tab the default)."""
        d = dict(raw) if isinstance(raw, Mapping) else {}
        if isinstance(d.get("csv"), Mapping):  # frictionless 5 writes CSV options nested
            d = {**{k: v for k, v in d.items() if k != "csv"}, **d["csv"]}
        tsv = (fmt or "").lower() == "tsv"
        rows = d.get("headerRows", [1])
        rows = tuple(int(n) for n in rows if isinstance(n, int)) if isinstance(rows, list) \
            else (1,)
        comments = d.get("commentRows", [])
        comments = tuple(int(n) for n in comments if isinstance(n, int)) \
            if isinstance(comments, list) else ()
        null = d.get("nullSequence")
        comment = d.get("commentChar")
        escape = d.get("escapeChar")
        return cls(
            descriptor=d,
            # null: the default (as frictionless reads it)
            delimiter=str(_or(d.get("delimiter"), "\t" if tsv else ",")) or ",",
            quote=str(_or(d.get("quoteChar"), '"')) or '"',
            double_quote=bool(d.get("doubleQuote", True)),
            escape=escape if isinstance(escape, str) and escape else None,
            header=bool(d.get("header", True)) and bool(rows),
            line_terminator=str(d.get("lineTerminator", "\r\n")) or "\r\n",
            null_sequence=null if isinstance(null, str) else None,
            skip_initial_space=bool(d.get("skipInitialSpace", False)),
            header_rows=rows or (1,),
            header_join=str(d.get("headerJoin", " ")),
            comment_rows=comments,
            comment_char=comment if isinstance(comment, str) and comment else None,
            case_sensitive_header=bool(d.get("caseSensitiveHeader", True)),
        )

    @property
    def plain(self) -> bool:
        """Whether DuckDB's reader can parse the file (one header row, nothing skipped)."""
        return (self.header and self.header_rows == (1,) and not self.comment_rows
                and self.comment_char is None and not self.skip_initial_space
                and self.line_terminator in ("\r\n", "\n", "\r"))

    def reader(self, stream: Any) -> Iterator[list[str]]:
        """A :func:`csv.reader` over ``stream`` with this dialect."""
        kwargs: dict[str, Any] = {
            "delimiter": self.delimiter,
            "quotechar": self.quote,
            "doublequote": self.double_quote,
            "skipinitialspace": self.skip_initial_space,
        }
        if self.escape:
            kwargs["escapechar"] = self.escape
        return csv.reader(stream, **kwargs)

    def lines(self, fh: Any) -> Iterable[str]:
        """The file's lines for the csv module (split on a custom ``lineTerminator``)."""
        if self.line_terminator in ("\r\n", "\n", "\r"):
            return fh
        return split_lines(fh, self.line_terminator)


def _or(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is None (a JSON null)."""
    return default if value is None else value


def split_lines(fh: Any, terminator: str) -> Iterator[str]:
    """The text of ``fh`` split on ``terminator``, each line ending in a newline."""
    pending = ""
    while block := fh.read(1 << 20):
        pending += block
        *whole, pending = pending.split(terminator)
        for line in whole:
            yield line + "\n"
    if pending:
        yield pending


# --------------------------------------------------------------------------- resources


@dataclass(eq=False)
class Resource(_Described):
    """One resource of the package; ``descriptor`` is normalised (schema and dialect inlined)."""

    index: int
    name: str
    descriptor: dict[str, Any]
    base_dir: Path
    schema: Schema | None
    dialect: Dialect
    tabular: bool
    #: the resource as it stands in the descriptor (schema/dialect may be paths)
    raw: dict[str, Any] = field(default_factory=dict)
    #: the content of the schema/dialect files the descriptor names, as read
    resolved: dict[str, Any] = field(default_factory=dict)

    # -- where the data is
    @property
    def path(self) -> Any:
        """``path`` as declared: a string, a list (multipart) or ``None``."""
        return self.descriptor.get("path")

    @property
    def paths(self) -> list[str]:
        """The declared paths (one for most resources; several for a multipart one)."""
        return as_names(self.path)

    @property
    def files(self) -> list[Path]:
        """The local files of the resource (none for inline data or remote paths)."""
        return [self.base_dir / p for p in self.paths if not _URL_RE.match(p)]

    @property
    def remote(self) -> bool:
        return any(_URL_RE.match(p) for p in self.paths)

    @property
    def inline(self) -> bool:
        """True when the rows are in the descriptor (``data``) rather than a file."""
        return "data" in self.descriptor and self.path is None

    @property
    def data(self) -> Any:
        return self.descriptor.get("data")

    # -- what the data is
    @property
    def type(self) -> str:
        """``table`` for a tabular resource, else the declared type (``file`` by default)."""
        declared = self.descriptor.get("type")
        if self.tabular:
            return "table"
        return str(declared) if isinstance(declared, str) and declared else "file"

    @property
    def format(self) -> str:
        """The declared ``format``, else the file's extension (compression suffix removed)."""
        return resource_format(self.descriptor)

    @property
    def compression(self) -> str | None:
        value = self.descriptor.get("compression")
        if isinstance(value, str) and value:
            return value.lower()
        suffix = _suffixes(self.paths[0])[-1:] if self.paths else []
        return suffix[0] if suffix and suffix[0] in COMPRESSION_SUFFIXES else None

    @property
    def mediatype(self) -> str | None:
        return self.descriptor.get("mediatype")

    @property
    def encoding(self) -> str:
        return self.text("encoding") or "utf-8"

    @property
    def bytes(self) -> int | None:
        value = self.descriptor.get("bytes")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def hash(self) -> str | None:
        return self.text("hash")

    # -- the Table Schema's facts, for short
    @property
    def fields(self) -> list[Field]:
        return self.schema.fields if self.schema else []

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def primary_key(self) -> list[str]:
        return self.schema.primary_key if self.schema else []

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return self.schema.foreign_keys if self.schema else []

    @property
    def unique_keys(self) -> list[list[str]]:
        """The Table Schema's ``uniqueKeys`` (v2) naming fields of this table, each a list
        of field names."""
        names = set(self.field_names)
        return [uk for uk in (self.schema.unique_keys if self.schema else [])
                if uk and set(uk) <= names]

    def is_key(self, names: Sequence[str]) -> bool:
        """Whether ``names``, in this order, are the primary key, a unique field or a unique
        key: what an SQL foreign key may reference."""
        wanted = list(names)
        if wanted and wanted == self.primary_key:
            return True
        if len(wanted) == 1:
            fld = self.field(wanted[0])
            if fld is not None and fld.constraints.get("unique") is True:
                return True
        return wanted in self.unique_keys

    def field(self, name: str) -> Field | None:
        return self.schema.field(name) if self.schema else None

    def missing_values(self) -> list[str]:
        return self.schema.missing_values() if self.schema else [""]


def _suffixes(path: str) -> list[str]:
    name = re.split(r"[\\/]", path)[-1]
    return [s.lower() for s in name.split(".")[1:]]


def resource_format(descriptor: Mapping[str, Any]) -> str:
    """A resource's format: declared, else its file's extension (after any compression)."""
    declared = descriptor.get("format")
    if isinstance(declared, str) and declared:
        return declared.lower()
    paths = as_names(descriptor.get("path"))
    if not paths:
        return ""
    suffixes = _suffixes(paths[0].split("?")[0])
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def is_tabular(descriptor: Mapping[str, Any]) -> bool:
    """Whether a resource is a table: the one definition every command uses.

    A declared ``type`` decides (only ``table`` is). Without one: a Table Schema, a
    ``tabular-data-resource`` profile, inline rows, or a tabular format (CSV, TSV,
    spreadsheets, NDJSON) make a table; a ``data-resource`` profile and anything else (a
    text file, say) make a file.
    """
    declared = descriptor.get("type")
    if isinstance(declared, str) and declared:
        return declared == "table"
    profile = descriptor.get("profile") or descriptor.get("$schema")
    if isinstance(profile, str):
        kind = profile.rstrip("/").split("/")[-1].removesuffix(".json")
        if kind in _TABULAR_PROFILES:
            return True
        if kind == "data-resource":
            return False
    if descriptor.get("schema") is not None:
        return True
    if isinstance(descriptor.get("data"), list):
        return True
    return resource_format(descriptor) in TABLE_FORMATS


# --------------------------------------------------------------------------- the package


@dataclass(eq=False)
class Package(_Described):
    """A parsed data package: its descriptor, resources and where its files live."""

    #: the descriptor file (``datapackage.json``) or the file given
    path: Path
    #: the folder resource paths are relative to
    base_dir: Path
    #: the descriptor as parsed, untouched (schema/dialect references as given)
    descriptor: dict[str, Any]
    resources: list[Resource]
    problems: list[Problem] = field(default_factory=list)
    #: how the package was given: ``descriptor``, ``resource``, ``zip`` or ``csv``
    kind: str = "descriptor"
    #: what must live as long as the package (the folder a zip was extracted to)
    keep: Any = None

    @property
    def name(self) -> str:
        """The package's ``name``, else its folder's name as the profile allows a name
        (lower-case letters, digits, ``-._``; never empty)."""
        value = self.descriptor.get("name")
        if isinstance(value, str) and value.strip():
            return value
        folder = self.base_dir.resolve().name.lower()
        return re.sub(r"[^a-z0-9._-]+", "-", folder).strip("-.") or "datapackage"

    @property
    def version(self) -> str | None:
        v = self.descriptor.get("version")
        return None if v is None else str(v)

    @property
    def profile(self) -> str | None:
        """``$schema`` (v2) or ``profile`` (v1)."""
        value = self.descriptor.get("$schema") or self.descriptor.get("profile")
        return value if isinstance(value, str) else None

    @property
    def licenses(self) -> list[dict[str, Any]]:
        """The ``licenses`` entries (objects only), in declared order."""
        return _objects(self.descriptor.get("licenses"))

    @property
    def sources(self) -> list[dict[str, Any]]:
        """The ``sources`` entries (objects only), in declared order."""
        return _objects(self.descriptor.get("sources"))

    @property
    def contributors(self) -> list[dict[str, Any]]:
        """The ``contributors`` entries (objects only), in declared order."""
        return _objects(self.descriptor.get("contributors"))

    @property
    def keywords(self) -> list[str]:
        value = self.descriptor.get("keywords")
        return [str(k) for k in value] if isinstance(value, list) else []

    @property
    def homepage(self) -> str | None:
        return self.text("homepage")

    @property
    def created(self) -> str | None:
        return self.text("created")

    @property
    def declarations(self) -> dict[str, Any]:
        """The package's ``semicon`` property, raw (docs/declarations.md); ``{}`` if none."""
        value = self.descriptor.get(DECLARATIONS_KEY)
        return value if isinstance(value, dict) else {}

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the package unusable as it stands (not the warnings)."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def tables(self) -> list[Resource]:
        """The tabular resources, in descriptor order."""
        return [r for r in self.resources if r.tabular]

    @property
    def files(self) -> list[Resource]:
        """The resources that are not tables (source documents and other files)."""
        return [r for r in self.resources if not r.tabular]

    @property
    def load_order(self) -> list[Resource]:
        """The tables, referenced ones before those referencing them; else descriptor order."""
        return dependency_order(self.tables)

    def resource(self, name: str) -> Resource | None:
        for r in self.resources:
            if r.name == name:
                return r
        return None

    def inlined(self) -> dict[str, Any]:
        """The raw descriptor with schema/dialect references replaced by their content
        (inferred schemas included) and ``name`` filled in (:attr:`name`).

        What frictionless checks and what descriptor-reading code gets: nothing else is
        normalised.
        """
        out = json_copy(self.descriptor)
        out.setdefault("name", self.name)
        by_index = {r.index: r for r in self.resources}
        for i, raw in enumerate(out.get("resources") or []):
            r = by_index.get(i)
            if r is None or not isinstance(raw, dict):
                continue
            for key, value in r.resolved.items():
                raw[key] = json_copy(value)
        return out


def dependency_order(resources: list[Resource]) -> list[Resource]:
    """Referenced tables before referencing ones; otherwise the given order."""
    by_name = {r.name: r for r in resources}
    done: dict[str, Resource] = {}
    visiting: set[str] = set()

    def visit(r: Resource) -> None:
        if r.name in done or r.name in visiting:
            return
        visiting.add(r.name)
        for fk in r.foreign_keys:
            target = by_name.get(fk.resource)
            if target is not None and target.name != r.name:
                visit(target)
        visiting.discard(r.name)
        done[r.name] = r

    for r in resources:
        visit(r)
    return list(done.values())


# --------------------------------------------------------------------------- reading


class _YamlLoader:
    """``yaml.SafeLoader`` without timestamp parsing: dates stay text, as in JSON."""

    _cls: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls._cls is None:
            import yaml

            class Loader(yaml.SafeLoader):
                pass

            Loader.yaml_implicit_resolvers = {
                k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
            }
            cls._cls = Loader
        return cls._cls


def parse_text(text: str, path: Path) -> Any:
    """JSON, or YAML for a ``.yaml``/``.yml`` file; :class:`DescriptorError` when neither."""
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.load(text, Loader=_YamlLoader.get())
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DescriptorError("descriptor-error",
                                  f'Descriptor "{path}" is not valid YAML: {first}',
                                  path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DescriptorError("descriptor-error",
                              f'Descriptor "{path}" is not valid JSON: {exc}', path) from None


def find_descriptor(source: str | Path) -> Path:
    """The descriptor file of ``source`` (a folder stands for its ``datapackage.json``)."""
    path = Path(source)
    if path.is_dir():
        for name in DESCRIPTOR_NAMES:
            if (path / name).is_file():
                return path / name
        path = path / DESCRIPTOR_NAMES[0]
    if not path.is_file():
        raise DescriptorError("descriptor-error", f'Descriptor "{path}" does not exist', path)
    return path


def read_descriptor(path: Path) -> dict[str, Any]:
    """The descriptor at ``path`` as a dict (JSON or YAML); :class:`DescriptorError` if not."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DescriptorError("descriptor-error",
                              f'Descriptor "{path}" is not valid JSON: {exc}', path) from None
    except OSError as exc:
        raise DescriptorError("descriptor-error",
                              f'Descriptor "{path}" cannot be read: {exc.strerror or exc}',
                              path) from None
    data = parse_text(text, path)
    if not isinstance(data, dict):
        raise DescriptorError("descriptor-error",
                              f'Descriptor "{path}" must hold a JSON object', path)
    return data


def load_package(source: str | Path, *, allow_remote: bool = False) -> Package:
    """Parse the package at ``source``.

    ``source`` is a package folder, a descriptor (JSON or YAML), a single resource
    descriptor, a zip holding a package (at its root or in one folder) or a bare CSV file
    (its schema inferred). Raises :class:`DescriptorError` when no package can be read;
    problems with single resources are listed in :attr:`Package.problems`. Remote
    (``http(s)://``) resource paths are refused unless ``allow_remote`` (then https only).
    """
    from . import readers

    path = find_descriptor(source)
    keep = None
    kind = "descriptor"
    if readers.is_bare_table(path):
        try:
            data = readers.csv_descriptor(path)
        except ValueError as exc:
            raise DescriptorError("descriptor-error", str(exc), path) from None
        return parse_package(data, path, kind="csv", allow_remote=allow_remote)
    if zipfile.is_zipfile(path):
        path, keep = readers.extract_zip(path)
        kind = "zip"
    data = read_descriptor(path)
    if "resources" not in data and ("path" in data or "data" in data):
        kind = "resource"  # a single resource descriptor: a package of one resource
        data = {"resources": [data]}
    package = parse_package(data, path, kind=kind, allow_remote=allow_remote)
    package.keep = keep
    return package


def parse_package(data: dict[str, Any], path: Path, *, kind: str = "descriptor",
                  allow_remote: bool = False) -> Package:
    """A :class:`Package` from a descriptor dict read from ``path``."""
    resources = data.get("resources")
    if not isinstance(resources, list) or not resources:
        raise DescriptorError("package-error",
                              'The descriptor must have a non-empty "resources" list', path)
    base = path.parent.resolve()
    problems: list[Problem] = []
    parsed: list[Resource] = []
    for i, raw in enumerate(resources):
        if not isinstance(raw, dict):
            problems.append(Problem("resource-error", f"Resource {i + 1} is not a JSON object"))
            continue
        parsed.append(_parse_resource(i, raw, base, problems, allow_remote))
    return Package(path=path, base_dir=base, descriptor=data, resources=parsed,
                   problems=problems, kind=kind)


def _parse_resource(index: int, raw: dict[str, Any], base: Path,
                    problems: list[Problem], allow_remote: bool = False) -> Resource:
    name = _resource_name(index, raw)
    shown = raw["name"] if isinstance(raw.get("name"), str) else f"#{index + 1}"
    unsafe = _unsafe_refs(base, raw, shown, problems, allow_remote)
    descriptor = dict(raw)
    resolved: dict[str, Any] = {}
    for key in ("schema", "dialect"):
        ref = raw.get(key)
        if isinstance(ref, str) and ref not in unsafe:
            content = _read_ref(base, key, ref, raw.get("name"), problems)
            if content is not None:
                resolved[key] = content
                descriptor[key] = content
    if "schema" not in raw and is_tabular(raw) and not unsafe:
        inferred = _inferred_schema(descriptor, base, shown, problems)
        if inferred is not None:
            resolved["schema"] = inferred
            descriptor["schema"] = inferred
    schema = None
    if isinstance(descriptor.get("schema"), dict):
        schema = parse_schema(descriptor["schema"], name)
        descriptor["schema"] = schema.descriptor
    dialect = Dialect.from_resource(descriptor)
    return Resource(index=index, name=name, descriptor=descriptor, base_dir=base,
                    schema=schema, dialect=dialect, tabular=is_tabular(raw),
                    raw=raw, resolved=resolved)


#: formats whose Table Schema is inferred when a table declares none
INFERRED_FORMATS = frozenset({"csv", "tsv"})


def _inferred_schema(descriptor: dict[str, Any], base: Path, shown: str,
                     problems: list[Problem]) -> dict[str, Any] | None:
    """The schema frictionless infers for a local CSV table without one (a warning says so)."""
    paths = as_names(descriptor.get("path"))
    if (len(paths) != 1 or _URL_RE.match(paths[0]) or not (base / paths[0]).is_file()
            or resource_format(descriptor) not in INFERRED_FORMATS):
        return None
    from .readers import infer_schema

    try:
        schema = infer_schema(descriptor, base)
    except ValueError as exc:
        problems.append(Problem("schema-error", f"No Table Schema, and none can be inferred: "
                                f"{exc}", resource=shown, path=paths[0]))
        return None
    problems.append(Problem(
        "inferred-schema", f'Resource "{shown}" has no Table Schema: one was inferred from '
        "its first rows, as frictionless does (declare one to check the data fully)",
        resource=shown, path=paths[0], severity="warning"))
    return schema


def _resource_name(index: int, raw: dict[str, Any]) -> str:
    name = raw.get("name")
    if isinstance(name, str) and name:
        return name
    paths = as_names(raw.get("path"))
    if paths:
        stem = _suffixes_stem(paths[0])
        if stem:
            return stem
    return f"resource{index + 1}"


def _suffixes_stem(path: str) -> str:
    name = re.split(r"[\\/]", path)[-1]
    return re.sub(r"[^A-Za-z0-9_]+", "_", name.split(".")[0]).strip("_")


def _unsafe_refs(base: Path, raw: dict[str, Any], shown: str,
                 problems: list[Problem], allow_remote: bool = False) -> set[str]:
    """Record every unsafe path of a resource (data, schema, dialect); return them.

    A remote data path is refused unless ``allow_remote`` (then https only)."""
    refs: list[tuple[str, Any]] = []
    paths = raw.get("path")
    if isinstance(paths, list):
        refs += [("path", p) for p in paths]
    elif "path" in raw:
        refs.append(("path", paths))
    for key in ("schema", "dialect"):
        if isinstance(raw.get(key), str):
            refs.append((key, raw[key]))
    unsafe: set[str] = set()
    for key, p in refs:
        reason = unsafe_reason(base, p)
        if key == "path" and isinstance(p, str) and p.lower().startswith(
                ("http://", "https://")):
            reason = remote_reason(p, allow_remote)
        if reason:
            problems.append(Problem(
                "unsafe-path", f'Refused {key} "{p}" of resource "{shown}": {reason}',
                resource=shown, path=str(p), value=str(p)))
            if isinstance(p, str):
                unsafe.add(p)
    return unsafe


def _read_ref(base: Path, key: str, ref: str, resource: Any,
              problems: list[Problem]) -> dict[str, Any] | None:
    """The JSON (or YAML) file a ``schema``/``dialect`` reference names, or None (a problem)."""
    target = base / ref
    try:
        data = parse_text(target.read_bytes().decode("utf-8-sig"), target)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except DescriptorError as exc:
        detail = exc.message.split(": ", 1)[-1]
        problems.append(Problem("schema-error" if key == "schema" else "resource-error",
                                f'Cannot read {key} "{ref}": {detail}',
                                resource=resource if isinstance(resource, str) else None,
                                path=ref))
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem("schema-error" if key == "schema" else "resource-error",
                                f'Cannot read {key} "{ref}": {exc}',
                                resource=resource if isinstance(resource, str) else None,
                                path=ref))
        return None
    return data


def as_package(source: Package | str | Path, *, allow_remote: bool = False) -> Package:
    """``source`` itself when already parsed, else :func:`load_package` of it."""
    if isinstance(source, Package):
        return source
    return load_package(source, allow_remote=allow_remote)
