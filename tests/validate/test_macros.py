"""The macros of the validation's connection are the expressions they stand for."""

from __future__ import annotations

import contextlib

from semicon.schemas.formulas import FORMULA_CHARS, _prefilter_holds, formula_sql, is_formula
from semicon.schemas.validation.engine import _connect
from semicon.schemas.validation.macros import MACROS, formula_call

CELLS = ["", "=1+2", "+1", "-5", "+1.5e3", "+1,5", "-inf", "- bullet", "@SUM(A1)", "\tx",
         "\rx", "=", "a=b", "Abc", "1", "€", "\x00", "-.5", "+.", "=\u00e9", "0x10"]


def test_the_formula_macro_is_the_formula_test(tmp_path):
    with contextlib.closing(_connect(tmp_path, small=True)) as con:
        rows = con.execute(
            f"SELECT c, {formula_call('c')}, {formula_sql('c')} FROM unnest(?::VARCHAR[]) t(c)",
            [CELLS]).fetchall()
    assert {c: (macro, inline) for c, macro, inline in rows} == {
        c: (is_formula(c), is_formula(c)) for c in CELLS}
    assert sum(is_formula(c) for c in CELLS) >= 8


def test_the_sql_formula_test_agrees_with_python_on_every_first_character(tmp_path):
    """Each of the 256 first bytes (and a few code points beyond) with tails that make a
    number, a formula or neither: the SQL test's comparisons skip no formula character."""
    tails = ["", "1", "5.5e3", "x", " ", ",5", "=1", "\n2"]
    firsts = [chr(i) for i in range(1, 256)] + ["\u00e9", "\u20ac", "\U0001f600"]
    cells = [f + t for f in firsts for t in tails] + [None]
    with contextlib.closing(_connect(tmp_path, small=True)) as con:
        rows = con.execute(f"SELECT c, {formula_sql('c')} FROM unnest(?::VARCHAR[]) t(c)",
                           [cells]).fetchall()
    assert dict(rows) == {c: c is not None and is_formula(c) for c in cells}
    assert _prefilter_holds() and len(FORMULA_CHARS) == 6


def test_every_macro_is_defined_on_the_connection(tmp_path):
    with contextlib.closing(_connect(tmp_path)) as con:
        names = {n for (n,) in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type = 'macro'"
        ).fetchall()}
    assert set(MACROS) <= names
