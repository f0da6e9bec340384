"""DuckDB macros for the expressions the generated checks repeat, defined once a connection.

DuckDB's parser and binder cost about 1-3 µs per token of SQL text, and on a small table
a statement costs more to parse and plan than to run. The formula test
(:func:`semicon.schemas.formulas.formula_sql`, about 200 characters) is written once for
every text column of every table; as a macro each use is a call of about 20 characters.
DuckDB expands a macro when it binds the statement, so the expression evaluated is the
same one.
"""

from __future__ import annotations

from typing import Any

from semicon.schemas.formulas import formula_sql

#: macro name -> (parameter, body)
MACROS: dict[str, tuple[str, str]] = {
    "semicon_formula": ("c", formula_sql("c")),
}


def define_macros(con: Any) -> None:
    """Create :data:`MACROS` on ``con`` (one statement). The validation's connection
    (``engine._connect``) has them: the generated row checks call them."""
    con.execute("; ".join(f"CREATE MACRO {name}({param}) AS {body}"
                          for name, (param, body) in MACROS.items()))


def formula_call(c: str) -> str:
    """SQL: the text expression ``c`` is a spreadsheet formula (``formula_sql`` as a macro)."""
    return f"semicon_formula({c})"
