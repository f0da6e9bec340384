"""Which text cells a spreadsheet would run as a formula: one definition for the whole project.

The validator flags these cells (``formula-injection``, in DuckDB SQL: :func:`formula_sql`) and
the site escapes them in every CSV export (``escape``, Python). A cell is a formula when it
starts with one of :data:`FORMULA_CHARS` and is not a plain decimal number
(:data:`NUMBER_PATTERN`: optional sign, digits with an optional ``.`` fraction, optional
exponent). ``-5`` and ``+1.5e3`` are numbers; ``+1,5``, ``-inf`` and ``- bullet`` are not.

This file depends on nothing but the standard library: ``semicon publish`` copies it next to
the site's plugins, which run where this package is not installed.
"""

from __future__ import annotations

import re

#: first characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")
#: a number a spreadsheet reads as a value; the same syntax in Python ``re`` and DuckDB's RE2
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"

_NUMBER = re.compile(NUMBER_PATTERN)
_STARTS = frozenset(FORMULA_CHARS)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run the cell ``text`` as a formula."""
    return text[:1] in _STARTS and _NUMBER.fullmatch(text) is None


def escape(text: str) -> str:
    """``text`` made inert for spreadsheets: a formula gets a leading ``'`` (OWASP)."""
    return "'" + text if is_formula(text) else text


def formula_sql(c: str) -> str:
    """DuckDB SQL: the text expression ``c`` is a formula (the same test as :func:`is_formula`).

    Cheap to run and to plan (a package's load binds it once a text column): one byte-wise
    comparison passes over every cell from 'A' on, since every formula character sorts
    before it, and two more over cells starting with a digit up to ``<``, which none is
    (:func:`_prefilter_holds`); only the rest meet the regular expressions, first
    character then number. Twelve range comparisons did the first-character test before:
    about twice the planning time, and slower on cells starting with a digit.
    """
    first = "".join(f"\\x{{{ord(ch):x}}}" for ch in FORMULA_CHARS)
    return (f"(CASE WHEN {c} < 'A' AND ({c} < '0' OR {c} >= '=') "
            f"THEN regexp_matches({c}, '^[{first}]') "
            f"AND NOT regexp_full_match({c}, {_sql_string(NUMBER_PATTERN)}) "
            "ELSE FALSE END)")


def _prefilter_holds() -> bool:
    """Whether every formula character passes :func:`formula_sql`'s comparisons."""
    return all(ch < "A" and (ch < "0" or ch >= "=") for ch in FORMULA_CHARS)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
