"""Descriptor values of the wrong type or shape, found before any data is read.

The checks turn a field's constraints, missing values, boolean words and number characters,
a schema's keys, a resource's encoding and its dialect's characters into SQL and Python
values (:mod:`.cellchecks`, :mod:`.sqlchecks`, codecs, the csv module): a ``maxLength`` of
``"x"`` or an ``enum`` that is not a list cannot become one. Each such value is a fatal
finding naming the resource, the field and the property, with the code frictionless gives
it (``field-error``, ``schema-error``, ``resource-error``), whose profile check reports the
same later. A bound (``minimum``, ...) must read as a value of its field's type, which DuckDB
tells as the checks would read it (:func:`bound_findings`); frictionless stops with an
exception on such a bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from semicon.schemas.model import Dialect, resource_format

from .findings import Finding, make

if TYPE_CHECKING:  # pragma: no cover
    from semicon.schemas.model import Field, Package


class Kind(NamedTuple):
    """What a property's value must be, in words, and its test."""

    words: str
    test: Callable[[Any], bool]


def _is_integer(value: Any) -> bool:
    """A JSON integer as the profile's JSON Schema reads it (``5`` or ``5.0``, not ``true``)."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_missing_values(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(m, str) or (isinstance(m, dict) and isinstance(m.get("value"), str))
        for m in value)


BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool))
INTEGER = Kind("an integer", _is_integer)
STRING = Kind("a string", lambda v: isinstance(v, str))
LIST = Kind("a list", lambda v: isinstance(v, list))
OBJECT = Kind("an object", lambda v: isinstance(v, dict))
STRINGS = Kind("a list of strings",
               lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v))
MISSING_VALUES = Kind('a list of strings or of {"value": "..."} objects', _is_missing_values)
NAMES = Kind("a field name or a list of them", lambda v: isinstance(v, str | list))
LISTS = Kind("a list of lists of field names",
             lambda v: isinstance(v, list) and all(isinstance(k, list) for k in v))
CHARACTER = Kind("one character", lambda v: isinstance(v, str) and len(v) == 1)

#: the constraints whose values the checks use as they are (bounds: :func:`bound_findings`)
CONSTRAINTS: dict[str, Kind] = {
    "required": BOOLEAN, "unique": BOOLEAN, "minLength": INTEGER, "maxLength": INTEGER,
    "pattern": STRING, "enum": LIST,
}
#: field properties -> (the types that read them, None: every type; their kind), as the
#: profile of each type (frictionless's) has them
FIELD_PROPERTIES: dict[str, tuple[frozenset[str] | None, Kind]] = {
    "format": (None, STRING),
    "missingValues": (None, MISSING_VALUES),
    "constraints": (None, OBJECT),
    "trueValues": (frozenset({"boolean"}), STRINGS),
    "falseValues": (frozenset({"boolean"}), STRINGS),
    "bareNumber": (frozenset({"integer", "number"}), BOOLEAN),
    "groupChar": (frozenset({"number"}), STRING),
    "decimalChar": (frozenset({"number"}), STRING),
    "itemType": (frozenset({"list"}), STRING),
    "delimiter": (frozenset({"list"}), STRING),
}
#: schema properties (``fields`` and ``foreignKeys``: descriptor.structure_findings)
SCHEMA_PROPERTIES: dict[str, Kind] = {
    "missingValues": MISSING_VALUES, "primaryKey": NAMES, "uniqueKeys": LISTS,
}
#: the dialect's characters Python's csv module reads (null: the default)
DIALECT_CHARACTERS = ("delimiter", "quoteChar", "escapeChar")


def shown(value: Any) -> str:
    """A descriptor value as JSON writes it (``"x"``, ``1.5``, ``[1]``, ``null``)."""
    return json.dumps(value, ensure_ascii=False)


def schema_value_findings(resource: str, schema: dict[str, Any]) -> list[Finding]:
    """The schema's properties, and each named field's, whose values are of the wrong kind."""
    out = [make("schema-error", f'"{key}" of "{resource}" must be {kind.words}, '
                f"not {shown(schema[key])}", resource=resource, value=shown(schema[key]))
           for key, kind in SCHEMA_PROPERTIES.items()
           if key in schema and not kind.test(schema[key])]
    for fld in schema["fields"]:
        if isinstance(fld, dict) and isinstance(fld.get("name"), str):
            out += field_value_findings(resource, fld)
    return out


def field_value_findings(resource: str, fld: dict[str, Any]) -> list[Finding]:
    """The field's properties and constraints whose values are of the wrong kind."""
    name, ftype = fld["name"], fld.get("type", "string")
    where = f'of field "{name}" of "{resource}"'
    out = [make("field-error", f'"{key}" {where} must be {kind.words}, not {shown(fld[key])}',
                resource=resource, field=name, value=shown(fld[key]))
           for key, (types, kind) in FIELD_PROPERTIES.items()
           if key in fld and (types is None or (isinstance(ftype, str) and ftype in types))
           and not kind.test(fld[key])]
    cons = fld.get("constraints")
    for key, kind in CONSTRAINTS.items():
        if isinstance(cons, dict) and key in cons and not kind.test(cons[key]):
            out.append(make("field-error", f'Constraint "{key}" {where} must be {kind.words}, '
                            f"not {shown(cons[key])}", resource=resource, field=name,
                            value=shown(cons[key])))
    return out


def resource_value_findings(resource: str, res: dict[str, Any]) -> list[Finding]:
    """The resource's ``encoding`` when not a string, and its dialect characters that are
    not one character (null: the default)."""
    dialect = Dialect.parse(res.get("dialect"), resource_format(res)).descriptor
    values = [('"encoding"', res.get("encoding"), STRING)]
    values += [(f'Dialect "{key}"', dialect.get(key), CHARACTER) for key in DIALECT_CHARACTERS]
    return [make("resource-error", f'{what} of "{resource}" must be {kind.words}, not '
                 f"{shown(value)}", resource=resource, value=shown(value))
            for what, value, kind in values if value is not None and not kind.test(value)]


def bound_findings(con: Any, package: Package) -> list[Finding]:
    """Bounds (``minimum``, ``exclusiveMaximum``, ...) that do not read as a value of their
    field's type (in its format, with its decimal character, ...): the checks would compare
    every cell with NULL, and pass it. All are read in one statement, but for the JSON
    numbers of integer, number and year fields that always read (``plain_number``)."""
    from semicon.schemas.sqltypes import duckdb_type

    from .cellchecks import BOUNDS, cell_checks
    from .sqlchecks import has_parser, key_expr, literal, parse_expr, plain_number

    def unread(fld: Field, value: Any) -> str:
        typed = literal(fld, value)
        if duckdb_type(fld) == "VARCHAR":  # a type kept as text: its literal is the text
            typed = parse_expr(fld, typed)
        return f"({key_expr(fld, typed)}) IS NULL"

    names = {op: name for name, op in BOUNDS}
    bounds = [(res.name, fld, names[check.op], check.arg)
              for res in package.resources for fld in res.fields
              if any(fld.constraints.get(name) is not None for name in names.values())
              for check in cell_checks(fld, parsed=has_parser(fld), formula_check=False)
              if check.kind == "compare" and plain_number(fld.type, check.arg) is None]
    if not bounds:
        return []
    sql = "SELECT [" + ", ".join(unread(fld, value) for _, fld, _, value in bounds) + "]"
    return [make("field-error", f'Constraint "{name}" of field "{fld.name}" of "{resource}" '
                 f"must be a value of its type {_type_words(fld)}, not {shown(value)}",
                 resource=resource, field=fld.name, value=shown(value))
            for (resource, fld, name, value), bad
            in zip(bounds, con.execute(sql).fetchone()[0], strict=True) if bad]


def _type_words(fld: Field) -> str:
    if fld.format == "default":
        return f'"{fld.type}"'
    return f'"{fld.type}" in format "{fld.format}"'
