"""Which checks every cell of a field gets: one table for both SQL engines.

:func:`cell_checks` reads a field of a Table Schema and lists its per-row checks (a
missing cell, the type, each constraint, a spreadsheet formula) with the finding's code
and note. How a kind of check is written is the dialect's part (:class:`CellSql`): DuckDB's
in :mod:`.sqlchecks`, Spark's in :mod:`.spark.sqlgen`. Both engines build their row checks
from this one table, so they check the same things and report them alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple, Protocol

from semicon.schemas.model import Field, as_field

#: types kept as text: lengths, patterns and formulas are checked on them
STRING_TYPES = frozenset({"string", "any"})
#: the comparisons of a typed value with a bound
BOUNDS = (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<="),
          ("exclusiveMaximum", ">="))
#: the comparisons of a length (of a text, of a list) with a bound
LENGTHS = (("minLength", "<"), ("maxLength", ">"))
#: beyond every length a text or list can have: a larger bound is compared as this one (the
#: same answer; DuckDB misjudges a comparison with a number beyond 128 bits)
LONGEST = 2**62
#: types whose bounds and enum the generated pandera schema checks (pandera_gen._checks)
PANDERA_BOUNDS = ("integer", "number", "year")
PANDERA_ENUM = ("string", "integer", "number", "year")


class CellCheck(NamedTuple):
    """One check of a field's cells: true on a failing cell.

    ``kind`` names the :class:`CellSql` method that writes it; ``arg`` is the
    constraint's value (a bound, the enum, the pattern) and ``op`` the comparison that
    fails; ``pandera`` the name of the generated pandera check it stands for.
    """

    kind: str
    code: str
    note: str = ""
    arg: Any = None
    op: str = ""
    pandera: str | None = None


class CellSql(Protocol):
    """How one dialect writes each kind of :class:`CellCheck` for one column."""

    def missing(self, check: CellCheck) -> str: ...
    def type(self, check: CellCheck) -> str: ...
    def required(self, check: CellCheck) -> str: ...
    def compare(self, check: CellCheck) -> str: ...
    def items(self, check: CellCheck) -> str: ...
    def length(self, check: CellCheck) -> str: ...
    def pattern(self, check: CellCheck) -> str: ...
    def enum(self, check: CellCheck) -> str: ...
    def formula(self, check: CellCheck) -> str: ...


def constraint_note(name: str, value: Any) -> str:
    """frictionless's note: ``constraint "minimum" is "0"`` (Python ``str`` of the value)."""
    return f'constraint "{name}" is "{value}"'


_MISSING = CellCheck("missing", "missing-cell", pandera="not_nullable")
_FORMULA = CellCheck("formula", "formula-injection")


def cell_checks(fld: Field | Mapping[str, Any], *, parsed: bool,
                formula_check: bool = True) -> list[CellCheck]:
    """The per-row checks of field ``fld``; ``parsed``: its cells are read into a typed
    value (else they stay text and have no type to fail)."""
    fld = as_field(fld)
    ftype = fld.type
    out = [_MISSING]
    if parsed:
        out.append(_type_check(ftype, fld.format))
    cons = fld.constraints
    if cons:
        out += _constraint_checks(ftype, cons)
    if formula_check and ftype in STRING_TYPES:
        out.append(_FORMULA)
    return out


@cache
def _type_check(ftype: str, fmt: str) -> CellCheck:
    return CellCheck("type", "type-error", f'type is "{ftype}/{fmt}"', pandera="not_nullable")


def _constraint_checks(ftype: str, cons: dict[str, Any]) -> list[CellCheck]:
    out = []
    if cons.get("required"):
        out.append(CellCheck("required", "constraint-error",
                             constraint_note("required", cons["required"]),
                             pandera="not_nullable"))
    if ftype not in STRING_TYPES:
        out += [CellCheck("compare", "constraint-error", constraint_note(name, cons[name]),
                          cons[name], op, name if ftype in PANDERA_BOUNDS else None)
                for name, op in BOUNDS if cons.get(name) is not None]
    if ftype == "list":  # the number of items
        out += [CellCheck("items", "constraint-error", constraint_note(name, cons[name]),
                          _length(cons[name]), op)
                for name, op in LENGTHS if cons.get(name) is not None]
    if ftype in STRING_TYPES:
        out += [CellCheck("length", "constraint-error", constraint_note(name, cons[name]),
                          _length(cons[name]), op, "length")
                for name, op in LENGTHS if cons.get(name) is not None]
        if cons.get("pattern") is not None:
            out.append(CellCheck("pattern", "constraint-error",
                                 constraint_note("pattern", cons["pattern"]),
                                 str(cons["pattern"]), pandera="pattern"))
    if cons.get("enum") is not None:
        out.append(CellCheck("enum", "constraint-error", constraint_note("enum", cons["enum"]),
                             list(cons["enum"]),
                             pandera="enum" if ftype in PANDERA_ENUM else None))
    return out


def _length(value: Any) -> int:
    """A ``minLength``/``maxLength`` (an integer, perhaps written ``5.0``: the descriptor
    checks refuse any other value) within ``-1`` and :data:`LONGEST`, where every length
    compares with it as with the value itself."""
    return max(-1, min(int(value), LONGEST))


def write(sql: CellSql, check: CellCheck) -> str:
    """The dialect's SQL for ``check`` (true on a failing cell)."""
    return getattr(sql, check.kind)(check)
