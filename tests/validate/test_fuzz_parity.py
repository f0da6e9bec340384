"""Differential test: ``validate_package`` against ``frictionless.validate`` on random packages.

Hypothesis builds a small package (one or two CSV resources, one to four fields of the
Table Schema types with random formats, constraints, missing values, number and boolean
options, and optional primary and foreign keys) and rows whose cells mix valid values,
near-misses (spaces, signs, leading zeros, ``1e3``, ``0x10``, non-ASCII digits, ``1.0`` for
an integer, ``24:00:00``, ``2021-02-30``, empty and quoted empty cells, missing and extra
cells, formula-looking text) and random text. Both validators must report the same
``(line, field, code)`` for every code frictionless has, except the differences documented
as deliberate in docs/validate.md, listed one by one in :data:`DELIBERATE`.

CI runs a fixed, derandomised set of examples (every divergence once found is pinned with
``@example``). Explore further locally with more examples, for instance::

    SEMICON_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/validate/test_fuzz_parity.py -q

(``SEMICON_FUZZ_SEED=<n>`` draws another set of examples than CI's.)
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import frictionless
from hypothesis import HealthCheck, example, given, reject, seed, settings
from hypothesis import strategies as st
from semicon.schemas.validation import validate_package

from .test_cell_parity import _far_zone
from .test_parity import FRICTIONLESS_CODES, ROW_LEVEL

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
EXAMPLES = int(os.environ.get("SEMICON_FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("SEMICON_FUZZ_SEED")

# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------

#: valid values per type (before formats: the strategy below rewrites them where a field
#: declares a format)
VALID: dict[str, list[str]] = {
    "string": ["abc", "Zoë", "hello world", "a-b", "x1", "EUR", "USD", "0", "ABC-123"],
    "integer": ["0", "1", "42", "-7", "2020", "100000", "12345678901234567890123"],
    "number": ["0", "1.5", "-2.25", "3", "1000000", "0.001", "NaN", "INF", "-inf", "1e3"],
    "boolean": ["true", "false", "True", "FALSE", "1", "0"],
    "date": ["2020-01-01", "1999-12-31", "2024-02-29", "0001-01-01"],
    "datetime": ["2020-01-01T10:00:00", "2020-01-01T10:00:00Z",
                 "2020-06-30T23:59:59+02:00", "2021-03-04T05:06:07.123"],
    "time": ["10:00:00", "23:59:59", "00:00:00", "12:30:00Z", "08:15:00+03:00"],
    "year": ["2020", "1999", "0", "-50"],
    "yearmonth": ["2020-01", "1999-12", "2024-02"],
    "duration": ["P1Y", "P1Y2M3DT4H5M6S", "PT1H", "P3D", "PT0.5S"],
    "geopoint": ["4.9,52.3", "-180,90", "0,0", "179.999,-89.5"],
    "list": ["a,b,c", "1,2", "x", ""],
    "object": ['{"a": 1}', "{}", '{"a": {"b": [1]}}', "[1]", '{"a": 1,}'],
    "array": ["[1, 2]", "[]", '["a", {"b": 1}]', "{}", "[1, 2"],
    "geojson": ['{"type": "Point", "coordinates": [1, 2]}', '{"type": "Topology"}',
                '{"type": "Foo"}', '{"type": "Point"}', "[]"],
    "any": ["x", "1", ""],
}

#: near-misses: texts every parser has an opinion about
NEAR_MISS = [
    " 1", "1 ", "+1", "-0", "007", "1.0", "1e3", "0x10", "1_000", "1,000", "١٢", "１２",
    "²", "1.", ".5", "1.5.2", "24:00:00", "23:59:60", "2021-02-30", "2020-1-5", "2020-01- 5",
    "20200101", "2020-01-01T25:00:00", "2020-01-01 10:00:00", "10:00", "1:2:3", "true ",
    "yes", "t", "TRUE", "nan", "Infinity", "-", "+", "$1", "1%", "P", "PT", "P1.5Y", "2020-13",
    "2020-00", "90,180", "[4.9, 52.3]", '{"lon": 4.9, "lat": 52.3}', "=SUM(A1)", "+31 6",
    "@home", "-x", "\tTab", "NA", "N/A", "null", "-", "9999999999999999999999999999999999999999",
    "1e400", "0.1e-400", "١٢٣٤-٠١-٠١", "2020-W01", "abc", "Ab", "ab", "x@y.z", "a b",
    "00000000-0000-0000-0000-000000000000", "http://x.y", "é", "ß", "İ",
    "+-1", "+-inf", "epoch", "-infinity", "A: ", "a b:c", "x@y.zz", "a@b", '"a b"@c.de',
    "{2bc1c94f-0deb-43e9-92a1-4775189ec9f8}", "2bc1c94f0deb43e992a14775189ec9f", "YQ=",
]

#: valid values of the string formats frictionless tests
FORMAT_VALID: dict[str, list[str]] = {
    "uri": ["http://x.y/z", "mailto:a@b.cd", "urn:isbn:1", "A: b"],
    "email": ["a@b.cd", "a.b+c@x-y.example", '"a.b"@c.de', "ÿ@c.de", "a@пример.рф"],
    "binary": ["YWJj", "YQ==", "YW Jj", "YQ==x", "+/8="],
    "uuid": ["2bc1c94f-0deb-43e9-92a1-4775189ec9f8", "{2bc1c94f-0deb-43e9-92a1-4775189ec9f8}",
             "urn:uuid:2bc1c94f-0deb-43e9-92a1-4775189ec9f8", "2BC1C94F0DEB43E992A14775189EC9F8"],
}

MOMENTS = [datetime(2020, 1, 2, 3, 4, 5), datetime(1999, 12, 31, 23, 59, 59),
           datetime(2024, 2, 29, 12, 0, 0), datetime(2000, 10, 10, 0, 0, 0)]

FORMULA = ["=1+1", "=HYPERLINK(\"x\")", "@SUM(1)", "+A1", "-A1"]


@st.composite
def cell_text(draw: st.DrawFn, field: dict[str, Any]) -> str:
    kind = draw(st.sampled_from(["valid", "valid", "near", "near", "missing", "formula",
                                 "random", "enum", "spaced"]))
    ftype = field["type"]
    fmt = field.get("format", "")
    if kind == "valid" and fmt.startswith("%"):
        moment = draw(st.sampled_from(MOMENTS))
        text = moment.strftime(fmt)
        # strptime reads numbers without their leading zeros too
        return draw(st.sampled_from([text, text.replace("/0", "/").lstrip("0") or "0"]))
    if kind == "valid":
        values = FORMAT_VALID.get(fmt) if ftype == "string" else None
        return draw(st.sampled_from(values or VALID.get(ftype, VALID["string"])))
    if kind == "near":
        return draw(st.sampled_from(NEAR_MISS))
    if kind == "missing":
        return draw(st.sampled_from(["", *field.get("missingValues", []), "NA", "-"]))
    if kind == "formula":
        return draw(st.sampled_from(FORMULA))
    if kind == "enum":
        enum = field.get("constraints", {}).get("enum")
        if enum:
            return str(draw(st.sampled_from(enum)))
        return draw(st.sampled_from(VALID.get(ftype, VALID["string"])))
    if kind == "spaced":
        base = draw(st.sampled_from(VALID.get(ftype, VALID["string"])))
        return draw(st.sampled_from([f" {base}", f"{base} ", f"+{base}", f"0{base}"]))
    return draw(st.text(st.sampled_from("0123456789-+.,:eETZ aAx/ "), max_size=8))


def quote(text: str, force: bool) -> str:
    if force or any(c in text for c in ',"\r\n') or text != text.strip(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_rows(draw: st.DrawFn, fields: list[dict[str, Any]],
             keys: dict[str, list[str]] | None = None) -> str:
    """The CSV text: header (now and then not the schema's), then 0-8 rows (some shorter
    or longer than the header)."""
    header = [f["name"] for f in fields]
    change = draw(st.sampled_from(["none"] * 12 + ["case", "rename", "blank", "missing",
                                                   "extra", "duplicate", "spaced"]))
    i = draw(st.integers(0, len(header) - 1))
    if change == "case":
        header[i] = header[i].upper()
    elif change == "rename":
        header[i] = "other"
    elif change == "blank" and len(header) > 1:  # (not an empty first line: left out)
        header[i] = ""
    elif change == "missing" and len(header) > 1:
        del header[i]
    elif change == "extra":
        # (not a repeated field name: frictionless then names the column `f02`, semicon `f0`)
        header.append(draw(st.sampled_from(["extra", ""])))
    elif change == "duplicate" and len(header) > 1:
        header[i] = header[i - 1]
    elif change == "spaced":
        header[i] = f" {header[i]}"
    lines = [",".join(quote(h, False) for h in header)]
    for _ in range(draw(st.integers(0, 8))):
        cells = []
        for f in fields:
            pool = (keys or {}).get(f["name"])
            if pool and draw(st.booleans()):
                cells.append(draw(st.sampled_from(pool)))
            else:
                cells.append(draw(cell_text(f)))
        shape = draw(st.sampled_from(["same"] * 8 + ["short", "long", "blank"]))
        if shape == "short" and cells:
            cells = cells[: draw(st.integers(0, len(cells) - 1))] or [""]
            if len(fields) == 1:
                cells = []
        elif shape == "long":
            cells += draw(st.lists(st.sampled_from(["", "x", "1"]), min_size=1, max_size=2))
        elif shape == "blank":
            cells = [""] * len(fields)
        # (never a lone quoted empty cell, `""`: frictionless 5.21 may then take a later
        # row for the header, reporting blank and missing labels; not compared here)
        line = ",".join(quote(c, draw(st.integers(0, 9)) == 0 and cells != [""])
                        for c in cells)
        lines.append(line)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Fields and packages
# --------------------------------------------------------------------------------------

FORMATS: dict[str, list[str]] = {
    "string": ["default", "email", "uri", "uuid", "binary"],
    "date": ["default", "any", "%d/%m/%Y", "%Y%m%d", "%d.%m.%y"],
    "datetime": ["default", "any", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S"],
    "time": ["default", "any", "%H:%M", "%I:%M %p"],
    "geopoint": ["default", "array", "object"],
    "geojson": ["default", "topojson"],
}

TYPES = ["string", "integer", "number", "boolean", "date", "datetime", "time", "year",
         "yearmonth", "duration", "geopoint", "list", "object", "array", "geojson", "any"]

#: frictionless's typed values of these are lists or dicts: as a key or unique, it raises
#: TypeError (unhashable), so the strategy gives them none
UNHASHABLE = frozenset({"list", "object", "array", "geojson"})

BOUNDS: dict[str, list[Any]] = {
    "integer": [-5, 0, 1, 10, 2020],
    "number": [-1.5, 0, 0.5, 100],
    "year": [1990, 2000, 2020],
    "date": ["2000-01-01", "2020-01-01"],
    "datetime": ["2020-01-01T00:00:00"],
    "time": ["09:00:00", "12:00:00"],
    "yearmonth": ["2000-01", "2020-06"],
}


@st.composite
def field_descriptor(draw: st.DrawFn, name: str) -> dict[str, Any]:
    ftype = draw(st.sampled_from(TYPES))
    field: dict[str, Any] = {"name": name, "type": ftype}
    fmt = draw(st.sampled_from(FORMATS.get(ftype, ["default"])))
    if fmt != "default":
        field["format"] = fmt
    if ftype in ("integer", "number") and draw(st.booleans()):
        field["bareNumber"] = False
    if ftype == "number" and draw(st.integers(0, 3)) == 0:
        field["decimalChar"], field["groupChar"] = ",", "."
    elif ftype in ("integer", "number") and draw(st.integers(0, 3)) == 0:
        field["groupChar"] = draw(st.sampled_from([",", " ", "'"]))
    if ftype == "boolean" and draw(st.booleans()):
        field["trueValues"] = draw(st.sampled_from([["yes", "Y"], ["1"], ["true", "yes"]]))
        field["falseValues"] = draw(st.sampled_from([["no", "N"], ["0"], ["false"]]))
    if ftype == "list":
        if draw(st.booleans()):
            field["delimiter"] = draw(st.sampled_from([";", "|"]))
        if draw(st.booleans()):
            field["itemType"] = draw(st.sampled_from(["integer", "number", "string",
                                                      "boolean", "date"]))
    if draw(st.integers(0, 4)) == 0:
        field["missingValues"] = draw(st.sampled_from([["NA"], ["", "-"], ["N/A", "null"]]))
    constraints: dict[str, Any] = {}
    if draw(st.integers(0, 2)) == 0:
        constraints["required"] = True
    if ftype not in UNHASHABLE and draw(st.integers(0, 4)) == 0:
        constraints["unique"] = True
    if ftype in BOUNDS and draw(st.integers(0, 2)) == 0:
        bound = draw(st.sampled_from(BOUNDS[ftype]))
        if fmt.startswith("%"):  # a bound is written in the field's format
            bound = draw(st.sampled_from(MOMENTS)).strftime(fmt)
        constraints[draw(st.sampled_from(["minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum"]))] = bound
    if ftype in ("string", "list") and draw(st.integers(0, 2)) == 0:
        constraints[draw(st.sampled_from(["minLength", "maxLength"]))] = draw(
            st.integers(0, 4))
    if ftype == "string" and "format" not in field and draw(st.integers(0, 3)) == 0:
        constraints["pattern"] = draw(st.sampled_from(
            ["[a-z]+", "[A-Z]{3}", "\\d+", "a.c", "x|y", "[0-9]{1,3}", ".*", "\\w+",
             "[\\w ]+", "\\S+"]))
    if ftype in ("string", "integer") and draw(st.integers(0, 4)) == 0:
        constraints["enum"] = (["abc", "EUR", "USD", "0"] if ftype == "string"
                               else [0, 1, 42])
    if constraints:
        field["constraints"] = constraints
    return field


@dataclass
class Case:
    descriptor: dict[str, Any]
    files: dict[str, str]

    def __repr__(self) -> str:  # shown by hypothesis on failure: paste into an @example
        return f"Case({self.descriptor!r}, {self.files!r})"


@st.composite
def packages(draw: st.DrawFn) -> Case:
    n_res = draw(st.integers(1, 2))
    resources, files = [], {}
    parent_keys: list[str] = []
    for r in range(n_res):
        name = f"r{r}"
        n_fields = draw(st.integers(1, 4))
        fields = [draw(field_descriptor(f"f{i}")) for i in range(n_fields)]
        schema: dict[str, Any] = {"fields": fields}
        if draw(st.integers(0, 4)) == 0:
            schema["missingValues"] = draw(st.sampled_from([["NA"], ["", "NA"], ["-"], [],
                                                            ["", "0"]]))
        hashable = [f["type"] not in UNHASHABLE for f in fields]
        if draw(st.integers(0, 2)) == 0 and hashable[0]:
            k = 2 if n_fields >= 2 and hashable[1] and draw(st.booleans()) else 1
            schema["primaryKey"] = [f["name"] for f in fields[:k]]
        pool: dict[str, list[str]] = {}
        if r == 1 and draw(st.booleans()) and \
                resources[0]["schema"]["fields"][0]["type"] not in UNHASHABLE:
            # a foreign key from this resource's first field to the first resource's f0
            target = resources[0]["schema"]["fields"][0]
            fields[0] = {**target, "name": "f0"}
            fields[0].pop("constraints", None)
            schema["foreignKeys"] = [{"fields": ["f0"],
                                      "reference": {"resource": "r0", "fields": ["f0"]}}]
            pool["f0"] = parent_keys
        elif draw(st.integers(0, 5)) == 0 and n_fields >= 2 and \
                fields[0]["type"] == fields[1]["type"] and hashable[0]:
            schema["foreignKeys"] = [{"fields": ["f1"], "reference": {"fields": ["f0"]}}]
        text = draw(csv_rows(fields, pool))
        if r == 0:
            parent_keys[:] = [line.split(",")[0] for line in text.splitlines()[1:]] or ["x"]
        files[f"{name}.csv"] = text
        # the encoding declared: without it frictionless guesses one from the bytes, and
        # reads ASCII text holding `+A1`-like sequences as UTF-7 (an encoding-error)
        # and the dialect: without it frictionless guesses the header row from the first
        # rows, and a row shorter than the header can make it take that row for the header
        resources.append({"name": name, "path": f"{name}.csv", "format": "csv",
                          "encoding": "utf-8",
                          "dialect": {"delimiter": ",", "headerRows": [1]},
                          "schema": schema})
    descriptor = {"$schema": PROFILE, "name": "fuzz", "resources": resources}
    return Case(descriptor, files)


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------

Key = tuple[str, int | None, str, str]  # resource, line, field, code


@dataclass(frozen=True)
class Row:
    """What a difference is about: the resource's fields, the row's cells as Python's csv
    reads them (None: no such line), the field the finding names (None: a row finding) and
    the header's number of cells (None: as many as fields)."""

    fields: list[dict[str, Any]]
    cells: list[str] | None
    field: dict[str, Any] | None

    def declared(self) -> list[str | None]:
        """The cells of the declared fields (None where the row is short)."""
        cells = self.cells or []
        return [cells[i] if i < len(cells) else None for i in range(len(self.fields))]

    def missing(self, i: int) -> bool:
        cell, fld = self.declared()[i], self.fields[i]
        return cell is None or cell in fld.get("missingValues", self.schema_mv)

    schema_mv: tuple[str, ...] = ("",)
    width: int | None = None
    #: every row of the file, as Python's csv reads them
    table: tuple[tuple[str, ...], ...] = ()

    def blank_up_to(self, width: int) -> bool:
        """Whether the row's first ``width`` cells are all missing: a declared field's by
        its missing values, a cell under a label no field declares by the default ``""``
        (frictionless gives it a field of its own)."""
        cells = self.cells or []
        return all(
            i >= len(cells) or cells[i] in (self.fields[i].get("missingValues", self.schema_mv)
                                            if i < len(self.fields) else ("",))
            for i in range(width))


def _format_any(row: Row) -> bool:
    """A cell of a ``format: any`` date, time or datetime: frictionless asks dateutil's
    free-form parser, semicon reads a list of common forms; the difference shows on the
    cell (type-error, a bound) and on the keys of its row (empty or repeated)."""
    if row.field is not None:
        return row.field.get("format") == "any"
    return any(f.get("format") == "any" and not row.missing(i)
               for i, f in enumerate(row.fields))


def _blank_but_extra(row: Row) -> bool:
    """Every cell under the header empty, but more cells than the header: frictionless
    calls it a blank row and says nothing else; semicon reports the extra cells (and a
    required field's empty cell), for the row is not blank. The header may be shorter or
    longer than the fields (a label missing, or one too many)."""
    width = len(row.fields) if row.width is None else row.width
    return row.cells is not None and len(row.cells) > width and row.blank_up_to(width)


def _unicode_digits(row: Row) -> bool:
    """A non-ASCII digit (``١٢``, ``１２``) where a number, date or time is read: Python's
    ``int()``, ``Decimal()`` and ``strptime`` read them, semicon's SQL does not."""
    cells = ([row.declared()[row.fields.index(row.field)]] if row.field is not None
             else row.declared())
    return any(ch.isdigit() and not ch.isascii() for cell in cells if cell for ch in cell)


def _far_time_zone(row: Row) -> bool:
    """A ``time`` 16 to 23 hours from UTC: isoparse reads it, DuckDB's ``TIMETZ`` holds
    offsets up to 15:59."""
    return any(f.get("type") == "time" and cell and _far_zone(cell)
               for f, cell in zip(row.fields, row.declared(), strict=True)
               if row.field is None or f is row.field)


def _unpadded_pattern(row: Row) -> bool:
    """A pattern of numbers without separators (``%Y%m%d``) and a cell of fewer digits
    than its padded form: Python's strptime takes one digit, DuckDB's two."""
    return any(str(f.get("format", "")).startswith("%") and "%%" not in f["format"]
               and re.search(r"%[a-zA-Z]%[a-zA-Z]", f["format"]) is not None and cell
               for f, cell in zip(row.fields, row.declared(), strict=True)
               if row.field is None or f is row.field)


def _beyond_double(row: Row) -> bool:
    """A number beyond a double's range (``1e400``, ``0.1e-400``): read as infinity or
    zero, so as a key it equals ``INF`` or ``0``, where ``Decimal`` keeps them apart."""
    from decimal import Decimal, InvalidOperation

    def beyond(cell: str) -> bool:
        try:
            value = abs(Decimal(cell.replace(",", ".")))
        except (InvalidOperation, ValueError):
            return False
        return value.is_finite() and (value > Decimal("1e308")
                                      or Decimal(0) < value < Decimal("1e-307"))

    return any(f.get("type") == "number" and cell and beyond(cell)
               for f, cell in zip(row.fields, row.declared(), strict=True))


def _beyond_128_bits(row: Row) -> bool:
    """An integer beyond 128 bits: valid, but with no typed value to compare with a bound,
    an enum or another key."""
    return any(f.get("type") == "integer" and cell and sum(ch.isdigit() for ch in cell) > 38
               for f, cell in zip(row.fields, row.declared(), strict=True)
               if row.field is None or f is row.field)


def _alternation(row: Row) -> bool:
    """A ``pattern`` with a top-level ``|``: frictionless anchors ``a|b`` as ``^a|b$`` (so
    ``a1`` matches), semicon matches the whole cell as the spec says (XML Schema)."""
    pattern = ((row.field or {}).get("constraints") or {}).get("pattern")
    return isinstance(pattern, str) and "|" in pattern


def _geojson(row: Row) -> bool:
    """A ``geojson`` cell: semicon checks its geometry type, frictionless the whole GeoJSON
    (or TopoJSON) schema."""
    return (row.field or {}).get("type") == "geojson"


_ZONED = re.compile(r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$")


def _naive_and_aware(row: Row) -> bool:
    """A ``datetime`` key written without a zone where another row of the file writes one:
    semicon reads it as UTC (the same instant as with ``Z``), frictionless never equates a
    naive and an aware value."""
    cells = row.declared()
    fields = [row.field] if row.field is not None else row.fields
    for f in fields:
        if f not in row.fields or f.get("type") != "datetime":
            continue
        i = row.fields.index(f)
        mine = bool(_ZONED.search((cells[i] or "").strip()))
        if any(len(other) > i and other[i].strip() and
               bool(_ZONED.search(other[i].strip())) != mine for other in row.table):
            return True
    return False


def _nan_key(row: Row) -> bool:
    """A ``number`` cell spelled NaN in a key: semicon finds NaN equal to NaN (a repeat, a
    reference found), as SQL databases do; frictionless never does."""
    cells = row.declared()
    fields = [row.field] if row.field is not None else row.fields
    return any(f in row.fields and f.get("type") == "number"
               and (cells[row.fields.index(f)] or "").strip().lstrip("+-").lower() == "nan"
               for f in fields)


@dataclass(frozen=True)
class Deliberate:
    """A documented difference: who reports it, for which codes, and where it is explained."""

    side: str  # "ours": semicon reports it, frictionless does not; "theirs": the reverse
    codes: frozenset[str]
    applies: Callable[[Row], bool]
    docs: str  # the docs/validate.md passage that explains it


KEYS = frozenset({"primary-key", "unique-error", "foreign-key"})
CELLS = frozenset({"type-error", "constraint-error"})

#: Every difference from frictionless this test accepts, each explained in docs/validate.md.
DELIBERATE: list[Deliberate] = [
    Deliberate("ours", CELLS | KEYS, _format_any,
               "Limits: `format: any` dates, times and datetimes (a list of common patterns)"),
    Deliberate("theirs", CELLS | KEYS, _format_any,
               "Limits: `format: any` dates, times and datetimes (a list of common patterns)"),
    Deliberate("ours", CELLS | KEYS, _unicode_digits, "Limits: non-ASCII digits"),
    Deliberate("theirs", CELLS | KEYS, _unicode_digits, "Limits: non-ASCII digits"),
    Deliberate("ours", CELLS | KEYS, _far_time_zone,
               "Limits: a `time` whose zone is 16 to 23 hours from UTC"),
    Deliberate("ours", CELLS | KEYS, _unpadded_pattern,
               "Limits: a `format` pattern of numbers without separators"),
    Deliberate("ours", KEYS, _beyond_double,
               "Limits: a number beyond a double's range"),
    Deliberate("ours", CELLS | KEYS, _beyond_128_bits,
               "Limits: an integer beyond 128 bits is valid but has no typed value"),
    Deliberate("theirs", CELLS | KEYS, _beyond_128_bits,
               "Limits: an integer beyond 128 bits is valid but has no typed value"),
    Deliberate("ours", CELLS, _geojson, "Limits: `geojson` (the geometry type is checked)"),
    Deliberate("theirs", CELLS, _geojson, "Limits: `geojson` (the geometry type is checked)"),
    Deliberate("ours", frozenset({"constraint-error"}), _alternation,
               "Limits: `pattern` with a top-level `|` (frictionless anchors it as `^a|b$`)"),
    Deliberate("theirs", frozenset({"constraint-error"}), _alternation,
               "Limits: `pattern` with a top-level `|` (frictionless anchors it as `^a|b$`)"),
    Deliberate("ours", KEYS, _nan_key, "Limits: `NaN` in a key equals `NaN`"),
    Deliberate("ours", KEYS, _naive_and_aware, "Limits: a datetime without a zone read as UTC"),
    Deliberate("theirs", KEYS, _naive_and_aware,
               "Limits: a datetime without a zone read as UTC"),
    Deliberate("theirs", KEYS, _nan_key, "Limits: `NaN` in a key equals `NaN`"),
    Deliberate("ours", frozenset({"extra-cell", "constraint-error"}), _blank_but_extra,
               "What is checked, 5: a row of empty cells with extra cells is not blank"),
    Deliberate("theirs", frozenset({"blank-row"}), _blank_but_extra,
               "What is checked, 5: a row of empty cells with extra cells is not blank"),
]


#: header findings: frictionless gives them no row number, semicon line 1
LABELS = frozenset({"blank-label", "duplicate-label", "incorrect-label", "missing-label",
                    "extra-label"})


#: semicon's code for what frictionless reports under another name
SAME_AS = {"empty-file": "source-error"}


def ours(path: Path) -> set[Key]:
    report = validate_package(path)
    return {
        (f.resource or "", None if f.code in LABELS or f.code in SAME_AS else f.line,
         "" if f.code in ROW_LEVEL | {"extra-label"} else (f.field or ""),
         SAME_AS.get(f.code, f.code))
        for f in report.findings
        if f.code in FRICTIONLESS_CODES or f.code in SAME_AS or f.line is None
    }


def theirs(path: Path) -> set[Key] | None:
    """frictionless's findings, or None where it raises (a bug of its own: comparing a
    naive and an aware datetime against a bound raises TypeError)."""
    try:
        report = frictionless.validate(str(path), limit_errors=10**9)
    except TypeError:
        return None
    found = set()
    for task in report.tasks:
        for error in task.errors:
            line = getattr(error, "row_number", None)
            field = getattr(error, "field_name", None) or ""
            found.add((task.name or "", line,
                       "" if error.type in ROW_LEVEL | {"extra-label"} else field, error.type))
    for error in report.errors:
        found.add(("", None, "", error.type))
    return found


def row_of(case: Case, key: Key) -> Row:
    resource, line, field, _code = key
    res = next((r for r in case.descriptor["resources"] if r["name"] == resource), None)
    if res is None:
        return Row([], None, None)
    schema = res["schema"]
    fields = schema["fields"]
    lines = case.files[res["path"]].split("\n")
    cells = None
    if line is not None and 0 < line <= len(lines) and (line < len(lines) or lines[-1]):
        cells = next(csv.reader([lines[line - 1]]), [])
    fld = next((f for f in fields if f["name"] == field), None)
    header = next(csv.reader([lines[0]]), [])  # the header row is line 1 (headerRows)
    table = tuple(tuple(r) for r in csv.reader(lines[1:]))
    return Row(fields, cells, fld, tuple(schema.get("missingValues", [""])), len(header),
               table)


def excused(case: Case, key: Key, side: str) -> bool:
    row = row_of(case, key)
    return any(d.side == side and key[3] in d.codes and d.applies(row) for d in DELIBERATE)


def compare(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rel, text in case.files.items():
            (folder / rel).write_text(text, encoding="utf-8")
        path = folder / "datapackage.json"
        path.write_text(json.dumps(case.descriptor), encoding="utf-8")
        mine, other = ours(path), theirs(path)
    if other is None:
        reject()
    only_ours = {k for k in mine - other if not excused(case, k, "ours")}
    only_theirs = {k for k in other - mine if not excused(case, k, "theirs")}
    assert (sorted(only_ours, key=str), sorted(only_theirs, key=str)) == ([], []), (
        [(k, row_of(case, k).cells) for k in sorted(only_ours | only_theirs, key=str)])


# --------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------


def _settings(test: Callable) -> Callable:
    test = settings(derandomize=SEED is None, max_examples=EXAMPLES, deadline=None,
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])(test)
    return seed(int(SEED))(test) if SEED is not None else test


def one_table(fields: list[dict[str, Any]], text: str, **schema: Any) -> Case:
    """A package of one resource ``r0`` (for the pinned examples)."""
    return Case({"$schema": PROFILE, "name": "fuzz", "resources": [
        {"name": "r0", "path": "r0.csv", "format": "csv",
         "schema": {"fields": fields, **schema}}]}, {"r0.csv": text})


REQUIRED = {"required": True}


@_settings
@given(packages())
# '' in a list of text where '' is not a missing value: one empty item, no type error
@example(one_table([{"name": "f0", "type": "list", "missingValues": ["NA"],
                     "constraints": REQUIRED},
                    {"name": "f1", "type": "list", "itemType": "integer"}],
                   'f0,f1\n"",""\n"a,,b",1\n', missingValues=["NA"]))
# durations told apart as frictionless does (isodate's hash): `+P1Y` repeats `P1Y`
@example(one_table([{"name": "f0", "type": "duration", "constraints": {"unique": True}}],
                   'f0\n"P1Y"\n"+P1Y"\nP12M\nPT24H\nP1D\n', primaryKey=["f0"]))
# a sign after a `+` is no number, nor a point's coordinate
@example(one_table([{"name": "f0", "type": "number"}, {"name": "f1", "type": "geopoint"}],
                   'f0,f1\n+-1,"+-180,90"\n1,"4.9,52.3"\n'))
# the string formats as rfc3986, validators.email and uuid.UUID read them: a URI may
# hold a space, a domain ends in two letters or more, a UUID may be braced
@example(one_table([{"name": "f0", "type": "string", "format": "uri"},
                    {"name": "f1", "type": "string", "format": "email"},
                    {"name": "f2", "type": "string", "format": "uuid"}],
                   'f0,f1,f2\n"A: ","x@y.z","{2bc1c94f-0deb-43e9-92a1-4775189ec9f8}"\n'
                   '"a b:c","x@y.zz","urn:uuid:2bc1c94f0deb43e992a14775189ec9f8"\n'))
# a label the schema does not declare: its cells are blank when "", whatever the schema's
# missing values
@example(one_table([{"name": "f0", "type": "string", "constraints": REQUIRED}],
                   'f0,extra\n"NA",""\n"NA","NA"\n', missingValues=["NA"]))
# infinity, -infinity and epoch are no dates of a format (DuckDB's strptime reads them)
@example(one_table([{"name": "f0", "type": "date", "format": "%d/%m/%Y"},
                    {"name": "f1", "type": "time", "format": "%H:%M"}],
                   'f0,f1\n"Infinity"," epoch"\n02/01/2020,10:30\n'))
# a header shorter than the fields: a row blank under it but with more cells
@example(one_table([{"name": "f0", "type": "object", "constraints": REQUIRED},
                    {"name": "f1", "type": "string", "constraints": REQUIRED}],
                   'f1\n"","abc"\n'))
# a missing cell of a required field also breaks `required`
@example(one_table([{"name": "f0", "type": "string"},
                    {"name": "f1", "type": "time", "format": "%H:%M", "constraints": REQUIRED},
                    {"name": "f2", "type": "string", "missingValues": ["NA"],
                     "constraints": REQUIRED}], "f0,f1,f2\nx\n,,\n"))
# a v2 self-reference names no resource
@example(one_table([{"name": "f0", "type": "yearmonth"}, {"name": "f1", "type": "yearmonth"}],
                   'f0,f1\n"2020-01",2020-01\n2021-01,2020-02\n',
                   primaryKey=["f0"],
                   foreignKeys=[{"fields": ["f1"], "reference": {"fields": ["f0"]}}]))
# no whitespace around a date or a datetime
@example(one_table([{"name": "f0", "type": "date"}, {"name": "f1", "type": "datetime"}],
                   'f0,f1\n"2020-1-5 ","2020-06-30T23:59:59+02:00 "\n'
                   '"2020-1-5\t"," 2020-1-01T10:00:00"\n'))
# a yearmonth and a geopoint compare by value (bounds, unique, foreign keys); cells that
# are not points are no key at all
@example(Case({"$schema": PROFILE, "name": "fuzz", "resources": [
    {"name": "r0", "path": "r0.csv", "format": "csv",
     "schema": {"fields": [{"name": "f0", "type": "geopoint"}]}},
    {"name": "r1", "path": "r1.csv", "format": "csv",
     "schema": {"fields": [
         {"name": "f0", "type": "geopoint"},
         {"name": "f1", "type": "yearmonth", "constraints": {"minimum": "2000-01",
                                                              "unique": True}},
         {"name": "f2", "type": "geopoint", "format": "array",
          "constraints": {"unique": True}}],
         "foreignKeys": [{"fields": ["f0"], "reference": {"resource": "r0", "fields": ["f0"]}}]}},
]}, {"r0.csv": 'f0\n"00,0"\n', "r1.csv": 'f0,f1,f2\n"+0,0", 2020-01,"4.9,52.3"\n'
                                           '"0.0, 0",2020-1,"4.9,52.3"\n'}))
# 24:00:00 is midnight
@example(one_table([{"name": "f0", "type": "time", "constraints": {"minimum": "09:00:00"}}],
                   "f0\n24:00:00\n24:00:01\n"))
# isodate reads `PT` and `P1DT`, not `P`
@example(one_table([{"name": "f0", "type": "duration"}], "f0\nPT\nP1DT\nP\n"))
# JSON as json.loads reads it (no trailing comma); NaN is beyond every bound; an empty
# list cell is missing
@example(one_table([{"name": "f0", "type": "object"}, {"name": "f1", "type": "array"},
                    {"name": "f2", "type": "number", "constraints": {"minimum": -1.5}},
                    {"name": "f3", "type": "list", "delimiter": ";",
                     "constraints": {"minLength": 2}}],
                   'f0,f1,f2,f3\n"{""a"": 1,}","[1,]",NaN,\n'
                   '"{""a"": "",}""}","["",]""]",1,a;b\n'))
def test_same_findings_as_frictionless(case: Case) -> None:
    compare(case)
