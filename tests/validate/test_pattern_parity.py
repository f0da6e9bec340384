"""A ``pattern``'s shorthand classes read as Python reads them, in every script.

frictionless matches patterns with Python's ``re``: ``\\d``, ``\\w`` and ``\\s`` take digits,
letters and spaces of every script. RE2 and Java read them as ASCII unless rewritten
(``patterns.unicode_pattern``). Each cell gets the same verdict from frictionless's field
reader, from the DuckDB check (GLOB where exact) and from the Spark check.
"""

from __future__ import annotations

import duckdb
import frictionless
import pytest
from semicon.schemas.validation import validate_package
from semicon.schemas.validation.globs import glob_match_sql
from semicon.schemas.validation.patterns import unicode_pattern

from .test_parity import _one_column_package, ours, theirs

CELLS = ["Zoë", "Curaçao", "abc", "a_b", "a-b", "123", "١٢٣", "１２", "x y", "x\u00a0y",
         "x\u3000y", "x\ty", "FA-123", "FA-١٢٣", "FA-12a", "", "é1", "ǅ", "a]", "]]", "^a",
         "Ω", "a\x1cb", "ab", "a"]
PATTERNS = [r"\w+", r"\d+", r"\D+", r"[\w-]+", r"[^\d]+", r"\s*\w+\s+\w+", r"\S+",
            r"FA-\d{3}", r"[\]a]+", r"[^]a]+", r"\W", r"a\Z", r"[\d\s]+", r"[a-z]+",
            r"\w\w"]


def _frictionless_accepts(pattern: str, cell: str) -> bool:
    field = frictionless.Field.from_descriptor(
        {"name": "v", "type": "string", "constraints": {"pattern": pattern}})
    field.missing_values = []
    _, notes = field.read_cell(cell)
    return not notes


@pytest.mark.parametrize("pattern", PATTERNS)
def test_duckdb_matches_a_pattern_as_python_does(pattern):
    sql = f"SELECT {glob_match_sql('c', pattern)} FROM (SELECT unnest($1::VARCHAR[]) AS c)"
    verdicts = [row[0] for row in duckdb.connect().execute(sql, [CELLS]).fetchall()]
    differ = {c: ok for c, ok in zip(CELLS, verdicts, strict=True)
              if ok != _frictionless_accepts(pattern, c)}
    assert differ == {}


def test_spark_matches_a_pattern_as_python_does(spark):
    from semicon.schemas.validation.spark.sqlgen import full_match

    frame = spark.createDataFrame([(i, c) for i, c in enumerate(CELLS)], "i INT, c STRING")
    tests = [f"{full_match('c', unicode_pattern(p))} AS p{n}" for n, p in enumerate(PATTERNS)]
    rows = {r["i"]: r for r in frame.selectExpr("i", *tests).collect()}
    differ = {(p, c): rows[i][f"p{n}"] for n, p in enumerate(PATTERNS)
              for i, c in enumerate(CELLS) if rows[i][f"p{n}"] != _frictionless_accepts(p, c)}
    assert differ == {}


def test_a_name_with_a_diaeresis_is_a_word_as_in_frictionless(tmp_path):
    """`^\\w+$` takes `Zoë` and `Curaçao` (frictionless, and the spec's \\w); `x y` is none."""
    field = {"name": "v", "type": "string", "constraints": {"pattern": r"^\w+$"}}
    descriptor = _one_column_package(tmp_path, field, ["Zoë", "Curaçao", "x y", "١٢"])
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor) == {(4, "v", "constraint-error")}


def test_a_pattern_only_python_spells_is_read():
    """`\\Z` (Python's end of text) is written `\\z` for RE2 and Java."""
    assert unicode_pattern(r"a\Z") == r"a\z"
    assert unicode_pattern(r"[\w.]+") == r"[\p{L}\p{N}_.]+"
    assert unicode_pattern(r"[^\W]") == r"[^\W]"  # a negated class in a class stays
