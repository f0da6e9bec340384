"""The validation's generators read Table Schemas through the typed model only.

``schemas/validation`` turns fields, schemas and keys into SQL, cell checks and pandera
schemas. The Table Schema defaults (type ``string``, format ``default``, missing values
``[""]``, ``bareNumber`` true, ``trueValues``/``falseValues``, ``decimalChar`` ...) are
decided once, by :class:`semicon.schemas.model.Field` and :class:`~semicon.schemas.model.Schema`;
a generator that reads a descriptor key itself (``fld.get("type", "string")``) would decide
them again, and could decide them differently. This test reads the code: a new raw read
fails it, unless it joins the short list below with the reason it needs the descriptor.
"""

from __future__ import annotations

import ast
from pathlib import Path

from semicon.schemas.model import as_field, parse_schema

VALIDATION = Path(__file__).resolve().parents[2] / "schemas" / "validation"

#: Table Schema keys whose meaning (and default) the typed model gives
SCHEMA_KEYS = frozenset({
    "type", "format", "constraints", "fields", "missingValues", "bareNumber", "groupChar",
    "decimalChar", "trueValues", "falseValues", "itemType", "primaryKey", "foreignKeys",
    "reference", "uniqueKeys",
})

#: (module, function) -> why it reads the descriptor as written
ALLOWED = {
    ("descriptor.py", "_listed_keys"):
        "rewrites v1 string keys in the copy frictionless's profile check reads",
    ("descriptor.py", "structure_findings"):
        "judges the descriptor as written: the model leaves malformed fields and keys out, "
        "so only the raw form shows them",
    ("fieldvalues.py", "schema_value_findings"):
        "judges the descriptor as written: the model reads a value of the wrong kind as the "
        "default, or leaves it out",
    ("fieldvalues.py", "field_value_findings"):
        "judges the descriptor as written: the model reads a value of the wrong kind as the "
        "default, or leaves it out",
    ("fieldvalues.py", "resource_value_findings"):
        "a dialect's characters as written (its nested ``csv`` form flattened), not a "
        "Table Schema",
    ("report.py", "to_dict"):
        "a report's ``descriptor`` is the path it validated, not a descriptor",
    ("formats.py", "_file_for"):
        "a report's ``descriptor`` is the path it validated, not a descriptor",
    ("sources.py", "table_format"):
        "a resource's format, not a field's: an inline table is \"inline\" here",
    ("spark/frames.py", "resource_format"):
        "a resource's format, not a field's: the Spark reader's own choice of reader",
}


def raw_reads(source: str) -> list[tuple[str, str]]:
    """``(function, code)`` of every raw read of a Table Schema key in ``source``:
    ``x.get("type", ...)``, ``x["fields"]`` and any ``.descriptor`` attribute."""
    tree = ast.parse(source)
    out: list[tuple[str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) \
                else func
            if _is_raw(child):
                out.append((func, ast.unparse(child)))
            visit(child, name)

    visit(tree, "<module>")
    return out


def _is_raw(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "descriptor":
        return True
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and node.args):
        key = node.args[0]
        return isinstance(key, ast.Constant) and key.value in SCHEMA_KEYS
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value in SCHEMA_KEYS
    return False


def _found() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(VALIDATION.rglob("*.py")):
        module = path.relative_to(VALIDATION).as_posix()
        for func, code in raw_reads(path.read_text(encoding="utf-8")):
            found.setdefault((module, func), []).append(code)
    return found


def test_the_scan_sees_each_kind_of_raw_read() -> None:
    source = '''
def gen(fld, schema, res):
    a = fld.get("type", "string")
    b = fld.get("constraints") or {}
    c = schema["fields"]
    d = res.schema.descriptor
    e = fld.type
    return fld.get("title")
'''
    assert raw_reads(source) == [
        ("gen", "fld.get('type', 'string')"),
        ("gen", "fld.get('constraints')"),
        ("gen", "schema['fields']"),
        ("gen", "res.schema.descriptor"),
    ]


def test_no_validation_generator_reads_table_schema_keys() -> None:
    found = _found()
    unexpected = {place: codes for place, codes in found.items() if place not in ALLOWED}
    assert unexpected == {}, ("read the typed model (Field, Schema, Resource in "
                              "schemas/model.py) instead, or add the place to ALLOWED with "
                              "the reason it needs the raw descriptor")


def test_every_allowed_place_still_needs_its_exception() -> None:
    found = _found()
    stale = sorted(place for place in ALLOWED if place not in found)
    assert stale == []


def test_the_model_gives_the_table_schema_defaults() -> None:
    """What a generator gets for a field that declares nothing but its name."""
    fld = as_field({"name": "x"})
    assert (fld.type, fld.format, fld.missing_values, fld.bare_number, fld.group_char,
            fld.decimal_char, fld.true_values, fld.false_values, fld.item_type,
            fld.list_delimiter, fld.constraints, fld.required, fld.unique) == (
        "string", "default", [""], True, None, ".", ["true", "True", "TRUE", "1"],
        ["false", "False", "FALSE", "0"], "string", ",", {}, False, False)


def test_the_model_gives_what_a_field_declares() -> None:
    schema = parse_schema({"missingValues": ["", "NA"], "fields": [
        {"name": "n", "type": "number", "format": "default", "bareNumber": False,
         "groupChar": " ", "decimalChar": ",", "constraints": {"required": True,
                                                               "unique": True}},
        {"name": "b", "type": "boolean", "trueValues": ["ja"], "falseValues": ["nee"],
         "missingValues": ["-"]},
        {"name": "l", "type": "list", "itemType": "integer", "delimiter": ";"},
    ]}, "t")
    n, b, lst = schema.fields
    assert (n.bare_number, n.group_char, n.decimal_char, n.required, n.unique,
            n.missing_values) == (False, " ", ",", True, True, ["", "NA"])
    assert (b.true_values, b.false_values, b.missing_values) == (["ja"], ["nee"], ["-"])
    assert (lst.item_type, lst.list_delimiter, lst.item_field.type) == ("integer", ";",
                                                                          "integer")
    extra = schema.extra_field("z")  # a column the schema does not declare
    # frictionless's own field for it: the default missing value, not the schema's
    assert (extra.name, extra.type, extra.missing_values) == ("z", "any", [""])
