"""Cells of the types frictionless reads with Python are read as frictionless reads them.

frictionless reads a ``time`` and a ``datetime`` of the default format with dateutil's
isoparse behind a guard of its own (``HH:MM:SS``; a colon seventeenth), dates and
patterns with Python's strptime, a ``number`` with ``Decimal()`` and a ``yearmonth`` with ``int()``.
Every cell below, on the edges and seeded variations of them, gets the same verdict from
frictionless's own field reader and from the SQL typed expression in DuckDB; the Spark
engine gets the same cells (test_spark_types).
"""

from __future__ import annotations

import csv
import re

import duckdb
import frictionless
import pytest
from semicon.schemas.validation import validate_package
from semicon.schemas.validation.sidebyside import SESSION_SQL
from semicon.schemas.validation.sqlchecks import typed_expr

from .test_parity import _one_column_package, ours, theirs
from .test_text_formats import _variations

#: (field, cells on its edges): no line breaks, no non-ASCII digits, no time zone of a
#: ``time`` beyond 15:59 (DuckDB's ``TIMETZ`` holds none: docs/validate.md, "Limits"),
#: no pattern of unpadded numbers without separators (DuckDB's strptime wants two digits
#: where Python's takes one)
EDGES: list[tuple[dict, list[str]]] = [
    ({"type": "time"}, [
        "10:00:00", "23:59:59", "00:00:00", "24:00:00", "24:00:00.000", "24:00:01",
        "1:2:3", "10:00", "10:00:0", "10:0:00", "23:59:60", "10:00:00.5", "10:00:00,5",
        "10:00:00.1234567", "10:00:00Z", "10:00:00z", "10:00:00+02:00", "10:00:00+0200",
        "10:00:00+02", "10:00:00-15:59", "10:00:00+24:00", "10:00:00+01:60", "10:00:00+1",
        "10-00:00", "24+00:01", "10+01:00", "10+1:00", "25+01:00",
        "10:00:00+00:00", "10:00:00 ", " 10:00:00", "T10:00:00", "10:00:00Z+01",
        "10:00:00.Z", "10-00-00",
    ]),
    ({"type": "datetime"}, [
        "2020-01-01T10:00:00", "2020-01-01 10:00:00", "2020-01-01x10:00:00",
        "2020-01-01T10:00:00Z", "2020-01-01T10:00:00z", "2020-01-01T10:00:00,5+01:00",
        "2020-01-01T24:00:00", "2020-12-31T24:00:00Z", "2020-01-01T24:00:01",
        "2020-01-01T10:00:0Z", "2020-01-01T10:00", "2020-1-1T10:00:00", "0000-01-01T00:00:00",
        "0001-01-01T00:00:00", "2020-02-30T10:00:00", "2020-01-01T10:00:00+23:00",
        "2020-01-01T10:00:00+24:00", "2020-01-01T10:00:00 ", "2020-01-01T10:00:00.1234567",
        "20200101T10:00:00", "+2020-01-01T10:00:00",
    ]),
    ({"type": "date"}, [
        "2020-01-01", "2020-1-1", "2020-01-5", "2020-01- 5", "2020-1- 5", "2020-01-  5",
        "2020-01- 0", "2020- 1-05", "2020-01- 15", "0000-01-01", "0001-01-01", "2020-02-30",
        "2020-01-05 ", " 2020-01-05", "10000-01-01", "2020-01-05T00:00",
    ]),
    ({"type": "date", "format": "%d/%m/%Y"}, [
        "01/02/2020", "1/2/2020", " 1/2/2020", "1/2/220", "1/2/02020", "1/2/0000",
        "31/02/2020", "32/01/2020", "1/13/2020", "1/2/2020 ", "01/02/20", "infinity",
        "epoch",
    ]),
    ({"type": "date", "format": "%B %Y"}, [
        "January 2020", "january 2020", "JANUARY 2020", "January  2020", "Jan 2020",
        "Sept 2020", "2020", "January 220",
    ]),
    ({"type": "datetime", "format": "%d/%m/%Y %H:%M"}, [
        "01/02/2020 10:30", "1/2/2020 1:5", "01/02/2020 24:00", "01/02/2020 10:60",
        "01/02/2020  10:30", "01/02/2020\t10:30", "01/02/2020 10:30 ", "-infinity",
    ]),
    ({"type": "time", "format": "%H:%M"}, [
        "10:30", "1:05", "1:5", "24:00", "10:60", "10:30 ", "10:30:00", "epoch",
    ]),
    ({"type": "time", "format": "%I:%M %p"}, [
        "10:30 AM", "1:05 pm", "13:00 PM", "12:00 am", "10:30am", "10:30  pm",
    ]),
    ({"type": "date", "format": "%d %d"}, ["01 01", "1 2"]),
    ({"type": "number"}, [
        "1.5", "-2", "1e3", "_1", "1__0", "1_.5", "1e_3", ".5_", "+_1", "_", "in_f",
        "nan", "NaN_1", "nan12", "sNaN", "-snan3", "snan-1", "+_-1", "+-1", "1,5", "0x10",
    ]),
    ({"type": "yearmonth"}, [
        "2020-01", "2020-1", "2020-0_1", "2020-1_2", "2020-0_1_2", "2020-_1", "2020-1_",
        "2020-0__1", "2020-+1", "2020- +1", "2020-13", "2020-0", "2020-00_1", "20_20-1",
    ]),
]


def _far_zone(cell: str) -> bool:
    """A time zone 16 to 23 hours from UTC: isoparse reads it, DuckDB's ``TIMETZ`` holds
    none (docs/validate.md, "Limits")."""
    return re.search(r"[+-](1[6-9]|2[0-3])(:?[0-5][0-9])?$", cell) is not None


def _frictionless_accepts(field: dict, cell: str) -> bool:
    reader = frictionless.Field.from_descriptor({"name": "v", **field})
    reader.missing_values = []
    _, notes = reader.read_cell(cell)
    return not notes or "type" not in notes


def _sql_accepts(field: dict, cells: list[str]) -> list[bool]:
    con = duckdb.connect()
    con.execute(SESSION_SQL)
    expr = typed_expr({"name": "v", **field}, "c", [])
    sql = f"SELECT ({expr}) IS NOT NULL FROM (SELECT unnest($1::VARCHAR[]) AS c)"
    return [row[0] for row in con.execute(sql, [cells]).fetchall()]


@pytest.mark.parametrize(("field", "cells"), EDGES,
                         ids=["-".join(f.values()) for f, _ in EDGES])
def test_each_cell_is_read_as_frictionless_reads_it(field, cells):
    # a variation is a digit or a separator more, less or elsewhere: the limits above
    # stay out (an unpadded number without separators is kept by the listed patterns)
    cells = cells + [c for c in _variations(cells, 1500, seed=len(cells))
                     if c.isascii() and not (field == {"type": "time"} and _far_zone(c))]
    verdicts = dict(zip(cells, _sql_accepts(field, cells), strict=True))
    differ = {c: "SQL accepts" if ok else "SQL refuses" for c, ok in verdicts.items()
              if ok != _frictionless_accepts(field, c)}
    assert differ == {}
    if field.get("format") != "%d %d":  # a directive twice: Python reads no cell of it
        assert True in verdicts.values() and False in verdicts.values()


def test_a_package_of_times_and_datetimes_has_the_findings_frictionless_has(tmp_path):
    """A comma before the fraction, a lower-case z and any separator are isoparse's; a
    time of one-digit parts and a three-digit year are not."""
    cells = [("10:00:00,5", "2020-01-01x10:00:00z"), ("1:2:3", "2020-01-01T10:00:0Z"),
             ("10:00:00z", "0000-01-01T00:00:00")]
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([("t", "d"), *cells])
    (tmp_path / "datapackage.json").write_text(
        '{"resources": [{"name": "t", "path": "t.csv", "schema": {"fields": '
        '[{"name": "t", "type": "time"}, {"name": "d", "type": "datetime"}]}}]}')
    descriptor = tmp_path / "datapackage.json"
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    assert mine == {(3, "t", "type-error"), (3, "d", "type-error"), (4, "d", "type-error")}


def test_a_date_pattern_reads_what_strptime_reads(tmp_path):
    """A three-digit year, year 0 and whitespace after the date are no dates for
    strptime; DuckDB's strptime reads all three."""
    field = {"name": "v", "type": "date", "format": "%d/%m/%Y"}
    descriptor = _one_column_package(tmp_path, field,
                                     ["01/02/2020", "1/2/220", "1/2/0000", "1/2/2020 "])
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor) == {(i, "v", "type-error") for i in (3, 4, 5)}
