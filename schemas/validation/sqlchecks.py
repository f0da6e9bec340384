"""SQL generated from Table Schemas: typing text columns and checking every row in DuckDB.

Every cell is loaded as text (``read_csv(all_varchar)``); the SQL here parses it with the
same rules as frictionless 5 (Python ``int()``/``Decimal()``, ``strptime('%Y-%m-%d')``, ...),
so findings match ``frictionless validate``. Nothing here is written per table: every
statement is derived from the Table Schema.

Public helpers used by the build:

* :func:`typed_select_sql` -- ``SELECT CAST(...) AS col, ...`` turning a text table whose
  columns are named like the fields into a typed one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from semicon.schemas.formulas import FORMULA_CHARS
from semicon.schemas.model import Field, Schema, as_field, as_schema
from semicon.schemas.sqltypes import duckdb_type, quote_ident, sql_string

from .cellchecks import CellCheck, cell_checks
from .globs import glob_match_sql
from .macros import formula_call
from .textformats import DUCKDB, format_test

#: DuckDB's null string: an unquoted cell never holds a line break and quoted cells are never
#: null (``allow_quoted_nulls = false``), so DuckDB never returns NULL: empty cells stay ''
#: and NULL means "missing cell" (a re-parsed row shorter than the header).
NULL_STRING = "\n"

#: the whitespace DuckDB's casts skip around a value (and ``trim(c, _WS)`` removes)
_CAST_SPACE = " \t\n\r\x0b\x0c"
_WS = f"'{_CAST_SPACE}'"
INT_RE = r"\s*[+-]?[0-9]+(_[0-9]+)*\s*"
TIME_RE = r"([01][0-9]|2[0-3]|[0-9]):([0-5][0-9]|[0-9]):([0-5][0-9]|[0-9]|6[01])"
YEARMONTH_RE = r"[0-9]{4}-(0[1-9]|1[0-2])"



def _in_list(expr: str, values: Sequence[Any]) -> str:
    return f"{expr} IN ({', '.join(sql_string(v) for v in values)})"


def _strptime_format(fmt: str) -> str:
    """A ``format`` pattern for DuckDB's strptime (Table Schema v1's ``fmt:`` prefix removed)."""
    return fmt[4:] if fmt.startswith("fmt:") else fmt


def _strptime(c: str, fmt: str) -> str:
    """``try_strptime`` of text ``c`` in the field's ``format``, where the text is one
    Python's strptime (frictionless's) reads: it matches the regular expression Python
    makes of the format (:func:`strptime_re`). DuckDB's strptime alone also reads years
    of fewer than four digits, whitespace at the end and, whatever the format,
    ``infinity``, ``-infinity`` and ``epoch``."""
    pattern = strptime_re(fmt)
    if pattern is None:  # Python cannot read the format: no cell is of it
        return "NULL"
    python_fmt = _strptime_format(fmt)
    if not python_fmt:
        # an empty format: Python reads '' alone with it (as 1900-01-01 00:00); DuckDB
        # refuses it
        return f"CASE WHEN {c} = '' THEN TIMESTAMP '1900-01-01' END"
    parsed = f"try_strptime({c}, {sql_string(python_fmt)})"
    return f"CASE WHEN regexp_full_match({c}, {sql_string(pattern)}) THEN {parsed} END"


@cache
def strptime_re(fmt: str) -> str | None:
    """The regular expression Python's strptime matches a text against for a field's
    ``format`` (case-insensitive, as Python matches it; its named groups RE2 reads too);
    None where Python refuses the format (a directive twice, an unknown one, a stray
    ``%``)."""
    import _strptime

    try:
        pattern = _strptime._TimeRE_cache.pattern(_strptime_format(fmt))
        re.compile(pattern, re.IGNORECASE)
    except (KeyError, IndexError, ValueError, re.error):
        return None
    # a year from 0001: datetime has no year 0 (DuckDB reads it as 1 BC)
    pattern = pattern.replace(r"(?P<Y>\d\d\d\d)", f"(?P<Y>{YEAR_RE})")
    return f"(?i:{pattern})"


#: what ``format: any`` reads besides ISO forms, in dateutil's order (month before day)
ANY_DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y", "%d %B %Y", "%B %d, %Y",
                    "%d %b %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y%m%d")
ZONE_RE = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
#: dateutil's isoparse reads the end of a day, ``24:00:00``, as midnight
TIME_TEXT_RE = "(" + TIME_RE + r"(\.[0-9]+)?|24:00:00(\.0+)?)" + ZONE_RE + "?"
#: a ``time`` of the default format as frictionless reads it: ``HH:MM:SS`` (it asks for a
#: colon sixth and eight characters at least), then dateutil's isoparse: two digits each,
#: a fraction after ``.`` or ``,``, a zone ``Z``/``z`` or a sign and hours to 23, then
#: perhaps minutes to 59
_ISO_ZONE_RE = r"([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)"
DEFAULT_TIME_TEXT_RE = (r"((([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.,][0-9]+)?"
                        r"|24:00:00([.,]0+)?)" + _ISO_ZONE_RE + "?"
                        # an hour and a zone with minutes: its colon is the sixth character
                        r"|([01][0-9]|2[0-4])[+-]([01][0-9]|2[0-3]):[0-5][0-9])")
#: a year from 0001 (strptime's and isoparse's first; DuckDB reads 0000 as 1 BC)
YEAR_RE = r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
#: a ``date`` of the default format as strptime's ``%Y-%m-%d`` reads it: a year from 0001,
#: a day perhaps padded with a space (the month's and day's values are the cast's to check)
DEFAULT_DATE_TEXT_RE = YEAR_RE + r"-[0-9]{1,2}-( [1-9]|[0-9]{1,2})"
#: a ``datetime`` of the default format as frictionless reads it: its guard (a colon
#: seventeenth, nineteen characters at least), then isoparse: a date, any one ASCII
#: character, a time as :data:`DEFAULT_TIME_TEXT_RE` (ISO week dates are left out)
DEFAULT_DATETIME_TEXT_RE = (YEAR_RE + r"-[0-9]{2}-[0-9]{2}[\x{00}-\x{7F}]"
                            + DEFAULT_TIME_TEXT_RE)


def iso_time(c: str) -> str:
    """SQL: a text of :data:`DEFAULT_TIME_TEXT_RE` as DuckDB's and Spark's casts read it:
    ``HH:MM:SS``, a fraction after ``.``, a zone ``Z``."""
    return (f"CASE WHEN length({c}) = 8 AND substr({c}, 3, 1) IN ('+', '-') "
            f"THEN concat(substr({c}, 1, 2), ':00:00', substr({c}, 3)) "
            f"ELSE replace(replace({c}, ',', '.'), 'z', 'Z') END")


def iso_datetime(c: str) -> str:
    """SQL: a text of :data:`DEFAULT_DATETIME_TEXT_RE` as DuckDB's and Spark's casts read
    it: ``T`` between date and time, the time as :func:`iso_time` writes it."""
    return f"concat(substr({c}, 1, 10), 'T', {iso_time(f'substr({c}, 12)')})"


DURATION_NUM = r"[0-9]+([.,][0-9]+)?"
DURATION_NUM_GROUPLESS = r"[0-9]+(?:[.,][0-9]+)?"
DURATION_RE = (rf"[+-]?P({DURATION_NUM}Y)?({DURATION_NUM}M)?({DURATION_NUM}W)?({DURATION_NUM}D)?"
               rf"(T({DURATION_NUM}H)?({DURATION_NUM}M)?({DURATION_NUM}S)?)?")
#: a ``yearmonth`` as frictionless reads it: ``int()`` of the year, and of a month from 1 to
#: 12 (leading zeros, single underscores between digits)
YEARMONTH_TEXT_RE = (r"\s*[+]?[0-9]+(_[0-9]+)*\s*-\s*[+]?(0(_?0)*_?)?([1-9]|1_?[0-2])\s*")
GEOJSON_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                 "MultiPolygon", "GeometryCollection", "Feature", "FeatureCollection")


def _formats(formats: Sequence[str]) -> str:
    return "[" + ", ".join(sql_string(f) for f in formats) + "]"


def _in_range(expr: str, low: int, high: int) -> str:
    return f"coalesce({_double(expr)} BETWEEN {low} AND {high}, FALSE)"


#: a NaN as Python's ``Decimal()`` reads it: quiet or signalling, with a payload
DECIMAL_NAN_RE = r"(?i)[+-]?s?nan[0-9]*"


def _double(expr: str) -> str:
    """SQL: text ``expr`` as a number as Python's ``Decimal()`` reads it: DuckDB's DOUBLE
    cast, but for a sign after a ``+`` (``+-1``, whitespace before), which only DuckDB
    reads. A text from ``0`` on (a digit first, or a letter) has none: one comparison
    spares the search on nearly every cell.

    Where the cast reads nothing, ``Decimal()`` may still: it drops every underscore
    (``_1``, ``1e_3``, ``in_f``) and reads a NaN with a payload or a signalling one
    (``nan12``, ``sNaN``, as NaN here), whitespace around first (``1 _`` is none). Only
    such cells pay for the second look."""
    bare = f"replace(trim({expr}, {_WS}), '_', '')"
    return (f"coalesce(CASE WHEN {expr} >= '0' OR NOT contains({expr}, '+-') "
            f"THEN TRY_CAST({expr} AS DOUBLE) END, "
            f"CASE WHEN contains({expr}, '_') OR contains(lower({expr}), 'nan') THEN "
            f"CASE WHEN {bare} <> trim({bare}, {_WS}) THEN NULL "
            f"WHEN regexp_full_match({bare}, {sql_string(DECIMAL_NAN_RE)}) "
            f"THEN CAST('NaN' AS DOUBLE) WHEN NOT contains({bare}, '+-') "
            f"THEN TRY_CAST({bare} AS DOUBLE) END END)")


def _padded_day(c: str) -> str:
    """SQL: a date whose day strptime reads padded with a space (``2020-01- 5``; DuckDB's
    cast reads no space there), else NULL."""
    return (f"CASE WHEN contains({c}, '- ') AND "
            f"regexp_full_match({c}, {sql_string(DEFAULT_DATE_TEXT_RE)}) "
            f"THEN TRY_CAST(replace({c}, '- ', '-') AS DATE) END")


def _zoned(c: str) -> str:
    """Text with a trailing ``Z`` written ``+00``, as DuckDB's zoned types read it."""
    return f"CASE WHEN suffix({c}, 'Z') THEN {c}[:-2] || '+00' ELSE {c} END"


#: a JSON string literal, and a comma closing an object or array once strings are removed
_JSON_STRING_RE = r'"(\\.|[^"\\])*"'
_TRAILING_COMMA_RE = r",[ \t\n\r]*[\]}]"


def _json_valid(c: str) -> str:
    """SQL: ``c`` is JSON for Python's ``json.loads``: DuckDB's parser also reads a
    trailing comma (``{"a": 1,}``), which is looked for outside strings."""
    # each string becomes "" (not nothing: ``["a","b"]`` would read ``[,]``)
    return (f"(json_valid({c}) AND NOT regexp_matches(regexp_replace({c}, "
            f"{sql_string(_JSON_STRING_RE)}, '\"\"', 'g'), {sql_string(_TRAILING_COMMA_RE)}))")


def _midnight(c: str) -> str:
    """``24:00:00`` (the end of a day) written ``00:00:00``, as dateutil reads it (DuckDB's
    ``TIMETZ`` keeps 24:00:00, a value after 23:59:59)."""
    return f"CASE WHEN prefix({c}, '24') THEN '00' || {c}[3:] ELSE {c} END"


def parse_expr(fld: Field | Mapping[str, Any], c: str) -> str:
    """SQL for the typed value of text ``c`` (not NULL, not a missing value); NULL if invalid."""
    fld = as_field(fld)
    ftype = fld.type
    fmt = fld.format
    if ftype == "integer":
        s = c
        if not fld.bare_number:
            s = f"regexp_replace({c}, '^[^-0-9]*|[^0-9]*$', '', 'g')"
        # Python int(): optional whitespace and sign, digits with single underscores, any
        # size. A cell that is its own canonical form (``CAST(TRY_CAST(s) AS VARCHAR) =
        # s``: digits, no sign but '-', no leading zero) is an integer for both; only the
        # others pay for the regular expression (about 3x cheaper on typical data).
        return (
            f"CASE WHEN CAST(TRY_CAST({s} AS BIGINT) AS VARCHAR) = {s} "
            f"THEN TRY_CAST({s} AS BIGINT) "
            f"WHEN regexp_full_match({s}, {sql_string(INT_RE)}) "
            f"THEN TRY_CAST({s} AS HUGEINT) END"
        )
    if ftype == "number":
        s = c
        if not fld.bare_number:
            s = f"regexp_replace({s}, '^[^-0-9]*|[^0-9]*$', '', 'g')"
        group = fld.group_char
        if group:
            s = f"replace({s}, {sql_string(group)}, '')"
        dec = fld.decimal_char
        # DuckDB's DOUBLE cast accepts what Python's Decimal() does (whitespace, sign,
        # exponent, underscores, inf/nan); _double refuses the `+-1` it alone reads
        if dec != ".":
            point = f"replace({s}, {sql_string(dec)}, '.')"
            return f"CASE WHEN NOT contains({s}, '.') THEN {_double(point)} END"
        return _double(s)
    if ftype == "boolean":
        true_values = fld.true_values
        false_values = fld.false_values
        return (
            f"CASE WHEN {_in_list(c, true_values)} THEN TRUE "
            f"WHEN {_in_list(c, false_values)} THEN FALSE END"
        )
    if ftype == "date":
        if fmt == "default":
            # A cell written as DuckDB writes the date it reads, in ten bytes, is a date
            # for strptime('%Y-%m-%d') (YYYY-MM-DD, year 0001 to 9999: year 0 is written
            # `0001-01-01 (BC)`, year 10000 in eleven bytes): one cast and a comparison,
            # where the guard below costs nine tests (6 % of a 1M-row load).
            # Other cells: strptime wants a four-digit year from 0001, then '-'; DuckDB
            # checks the rest. strlen (bytes), byte-range tests of the first characters
            # and LIKE are far cheaper than length()/substr() (which count UTF-8
            # characters); a non-ASCII cell fails the DATE cast either way.
            # No trailing whitespace: DuckDB's cast reads `2020-1-1 ` (and `\t`, `\n`,
            # `\v`, `\f`, `\r`; no other last character but a digit), strptime does
            # not. A suffix test is byte-wise; right() counted characters.
            trailing = " OR ".join(f"suffix({c}, chr({ord(ch)}))" for ch in _CAST_SPACE)
            return (
                f"CASE WHEN CAST(TRY_CAST({c} AS DATE) AS VARCHAR) = {c} AND strlen({c}) = 10 "
                f"THEN TRY_CAST({c} AS DATE) "
                f"WHEN strlen({c}) BETWEEN 8 AND 10 AND {c} >= '0001' AND {c} < ':' "
                f"AND {c} LIKE '____-%' AND NOT ({trailing}) "
                f"THEN coalesce(TRY_CAST({c} AS DATE), {_padded_day(c)}) END"
            )
        if fmt == "any":
            return (f"coalesce(TRY_CAST({c} AS DATE), "
                    f"CAST(TRY_CAST({c} AS TIMESTAMP) AS DATE), "
                    f"CAST(try_strptime(trim({c}), {_formats(ANY_DATE_FORMATS)}) AS DATE))")
        return f"CAST({_strptime(c, fmt)} AS DATE)"
    if ftype == "datetime":
        if fmt == "default":
            return (f"CASE WHEN regexp_full_match({c}, {sql_string(DEFAULT_DATETIME_TEXT_RE)}) "
                    f"THEN TRY_CAST({iso_datetime(c)} AS TIMESTAMPTZ) END")
        if fmt == "any":
            return (f"coalesce(TRY_CAST({c} AS TIMESTAMPTZ), CAST(try_strptime(trim({c}), "
                    f"{_formats(ANY_DATE_FORMATS)}) AS TIMESTAMPTZ))")
        return f"CAST({_strptime(c, fmt)} AS TIMESTAMPTZ)"
    if ftype == "time":
        if fmt == "default":
            return (
                f"CASE WHEN regexp_full_match({c}, {sql_string(DEFAULT_TIME_TEXT_RE)}) "
                f"THEN TRY_CAST({_zoned(_midnight(iso_time(c)))} AS TIMETZ) END"
            )
        if fmt == "any":
            return (
                f"CASE WHEN regexp_full_match({c}, {sql_string(TIME_TEXT_RE)}) "
                f"THEN TRY_CAST({_zoned(_midnight(c))} AS TIMETZ) END"
            )
        return f"CAST(CAST({_strptime(c, fmt)} AS TIME) AS TIMETZ)"
    if ftype == "year":
        return (
            f"CASE WHEN length({c}) = 4 AND regexp_full_match({c}, {sql_string(INT_RE)}) "
            f"THEN CASE WHEN TRY_CAST(replace(trim({c}, {_WS}), '_', '') AS INTEGER) "
            f"BETWEEN 0 AND 9999 THEN TRY_CAST(replace(trim({c}, {_WS}), '_', '') AS INTEGER) "
            f"END END"
        )
    if ftype == "yearmonth":
        return (f"CASE WHEN regexp_full_match({c}, {sql_string(YEARMONTH_TEXT_RE)}) "
                f"THEN {c} END")
    if ftype == "duration":
        # isodate's pattern, a bare `P` excepted (`PT` and `P1DT` are durations for it)
        return (f"CASE WHEN regexp_full_match({c}, {sql_string(DURATION_RE)}) "
                f"AND NOT suffix({c}, 'P') THEN {c} END")
    if ftype == "geopoint":
        return f"CASE WHEN {_geopoint_ok(c, fmt)} THEN {c} END"
    if ftype == "geojson":
        kinds = ("Topology",) if fmt == "topojson" else GEOJSON_TYPES
        check = (f" AND json_extract_string(TRY_CAST({c} AS JSON), '$.type') IN "
                 f"({', '.join(sql_string(k) for k in kinds)})"
                 if fmt in ("default", "topojson") else "")
        return (f"CASE WHEN {_json_valid(c)} AND json_type(TRY_CAST({c} AS JSON)) = 'OBJECT'"
                f"{check} THEN {c} END")
    if ftype == "list":
        items = f"string_split({c}, {sql_string(fld.list_delimiter)})"
        parsed = parse_expr(fld.item_field, "__item")
        if parsed == "__item":  # '' is one empty item where it is not a missing value,
            return items        # as frictionless reads it (typed_expr guards it otherwise)
        valid = f"({parsed}) IS NOT NULL"
        if fld.item_field.type == "integer":  # of any size: one beyond 128 bits is valid,
            # with no typed value (as a single integer's)
            valid += f" OR regexp_full_match(__item, {sql_string(INT_RE)})"
        return (f"CASE WHEN list_bool_and(list_transform({items}, lambda __item: {valid})) "
                f"THEN list_transform({items}, lambda __item: {parsed}) END")
    if ftype in ("object", "array"):
        kind = "OBJECT" if ftype == "object" else "ARRAY"
        return (
            f"CASE WHEN {_json_valid(c)} AND json_type(TRY_CAST({c} AS JSON)) = '{kind}' "
            f"THEN {c} END"
        )
    if ftype == "string":
        test = format_test(fmt, c, DUCKDB)  # uri, email, uuid, binary
        if test:
            return f"CASE WHEN {test} THEN {c} END"
    # string and any: kept as text
    return c


def _geopoint_ok(c: str, fmt: str) -> str:
    """SQL: ``c`` is a point (``lon, lat``; a JSON array; a JSON object) within range."""
    if fmt in ("array", "object"):
        kind, keys = ("ARRAY", ("$[0]", "$[1]")) if fmt == "array" else ("OBJECT",
                                                                        ("$.lon", "$.lat"))
        size = (f"json_array_length(TRY_CAST({c} AS JSON))" if fmt == "array"
                else f"len(json_keys(TRY_CAST({c} AS JSON)))")
        lon, lat = (f"json_extract_string(TRY_CAST({c} AS JSON), {sql_string(k)})"
                    for k in keys)
        return (f"{_json_valid(c)} AND json_type(TRY_CAST({c} AS JSON)) = '{kind}' "
                f"AND {size} = 2 AND {_in_range(lon, -180, 180)} AND {_in_range(lat, -90, 90)}")
    lon, lat = (f"trim(split_part({c}, ',', {i}))" for i in (1, 2))
    return (f"len(string_split({c}, ',')) = 2 AND {_in_range(lon, -180, 180)} "
            f"AND {_in_range(lat, -90, 90)}")


def key_expr(fld: Field | Mapping[str, Any], typed: str) -> str:
    """SQL for what frictionless compares a typed value by (bounds, enum, keys): the typed
    value itself, except for the types kept as text whose text has several spellings: a
    ``yearmonth`` (``2020-1``, `` 2020-01``) by its year and month, a ``geopoint``
    (``0,0``, ``+0, 0.0``) by its longitude and latitude."""
    fld = as_field(fld)
    ftype = fld.type
    if ftype == "yearmonth":
        year, month = (f"TRY_CAST(replace(trim(split_part({typed}, '-', {i}), {_WS}), '_', '') "
                       "AS HUGEINT)" for i in (1, 2))
        return f"({year} * 12 + {month})"
    if ftype == "geopoint":
        parts = ", ".join(_geopoint_parts(typed, fld.format))
        return f"CASE WHEN {typed} IS NOT NULL THEN [{parts}] END"
    if ftype == "duration":
        return _duration_key(typed)
    return typed


#: a duration's parts, in the order of :data:`DURATION_KEY_RE`'s groups after the sign
_DURATION_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
#: :data:`DURATION_RE` with a group for the sign and one for each part's number
DURATION_KEY_RE = (
    r"([+-]?)P" + "".join(rf"(?:({DURATION_NUM_GROUPLESS}){unit})?" for unit in "YMWD")
    + "(?:T" + "".join(rf"(?:({DURATION_NUM_GROUPLESS}){unit})?" for unit in "HMS") + ")?")
#: seconds in a week, a day, an hour, a minute, a second
DURATION_SECONDS = (604800, 86400, 3600, 60, 1)


def _duration_key(typed: str) -> str:
    """SQL: a duration as frictionless tells keys apart (by isodate's hash): its years, its
    months and its seconds, each signed (``P1Y`` = ``+P1Y`` = ``P1Y0M``, ``P1D`` = ``PT24H``
    = ``P0W1D``; ``P1Y`` and ``P12M`` differ)."""
    parts = f"regexp_extract({typed}, {sql_string(DURATION_KEY_RE)}, " \
            f"{['sign', *_DURATION_PARTS]})"
    num = {p: f"coalesce(TRY_CAST(replace({parts}.{p}, ',', '.') AS DECIMAL(38, 9)), 0)"
           for p in _DURATION_PARTS}
    sign = f"CASE WHEN {parts}.sign = '-' THEN -1 ELSE 1 END"
    seconds = " + ".join(f"{num[p]} * {n}" for p, n in zip(_DURATION_PARTS[2:], DURATION_SECONDS,
                                                            strict=True))
    return (f"CASE WHEN {typed} IS NOT NULL THEN [{sign} * {num['years']}, "
            f"{sign} * {num['months']}, {sign} * ({seconds})] END")


def _geopoint_parts(c: str, fmt: str) -> tuple[str, str]:
    """SQL for a point's longitude and latitude as DOUBLE (NULL where not a point)."""
    if fmt in ("array", "object"):
        keys = ("$[0]", "$[1]") if fmt == "array" else ("$.lon", "$.lat")
        return tuple(_double(f"json_extract_string(TRY_CAST({c} AS JSON), {sql_string(k)})")
                     for k in keys)
    return tuple(_double(f"trim(split_part({c}, ',', {i}))") for i in (1, 2))


def missing_values(fld: Field | Mapping[str, Any],
                   schema: Schema | Mapping[str, Any] | None = None) -> list[str]:
    """The field's missing values (:attr:`~semicon.schemas.model.Field.missing_values`); a
    field given as a dict inherits those of the schema ``schema``."""
    return as_field(fld, schema).missing_values


def null_expr(c: str, mv: Sequence[str]) -> str:
    """True when text ``c`` is a missing cell or a missing value."""
    if not mv:
        return f"({c} IS NULL)"
    if list(mv) == [""]:
        return f"({c} IS NULL OR {c} = '')"
    return f"({c} IS NULL OR {_in_list(c, mv)})"


def typed_expr(fld: Field | Mapping[str, Any], c: str, mv: Sequence[str],
               cast: str | None = None) -> str:
    """Typed value of text column ``c``: NULL for missing cells, missing values, bad cells.

    ``cast``: the SQL type to give it (default: :func:`duckdb_type`)."""
    parsed = parse_expr(fld, c)
    cast = cast or duckdb_type(fld)
    if parsed == c:
        if cast == "VARCHAR" and list(mv) == [""]:
            return f"nullif({c}, '')"  # the CASE below, in fewer tokens to parse and bind
        if cast == "VARCHAR":
            return f"CASE WHEN {null_expr(c, mv)} THEN NULL ELSE {c} END"
    elif list(mv) == [""] and not reads_empty(fld):
        # every other parser gives NULL for '' and for NULL (a test checks): no guard
        # needed, which spares a CASE per cell
        return f"CAST({parsed} AS {cast})"
    return f"CASE WHEN {null_expr(c, mv)} THEN NULL ELSE CAST({parsed} AS {cast}) END"


def reads_empty(fld: Field | Mapping[str, Any]) -> bool:
    """Whether the field's parser reads '' as a value: a list of text items (one empty
    item, as frictionless reads it where '' is not a missing value) and base64 text (no
    bytes)."""
    fld = as_field(fld)
    if fld.type == "string":
        return fld.format == "binary"
    return fld.type == "list" and parse_expr(fld.item_field, "__item") == "__item"


def literal(fld: Field | Mapping[str, Any], value: Any) -> str:
    """A constraint value (minimum, enum item, ...) as a typed SQL literal."""
    fld = as_field(fld)
    if isinstance(value, bool):
        value = "true" if value else "false"
    ftype = fld.type
    if ftype == "yearmonth" and isinstance(value, list) and len(value) == 2:
        value = "-".join(map(str, value))  # frictionless reads [year, month] too
    if ftype in ("string", "any") or duckdb_type(fld) == "VARCHAR":
        return sql_string(value)
    plain = plain_number(ftype, value)
    if plain is not None:
        return f"CAST({plain} AS {duckdb_type(fld)})"
    parsed = parse_expr(fld, sql_string(value))
    return f"CAST({parsed} AS {duckdb_type(fld)})"


def plain_number(ftype: str, value: Any) -> str | None:
    """A JSON number bound of an integer, number or year field as an SQL number, or None
    (then it is parsed as text by the field's rules). A number is a number whatever the
    field's decimal or group character, as frictionless reads it (an integer written
    ``5.0`` too; a year from 0 to 9999, in any number of digits); and the SQL is shorter
    (DuckDB parses and binds about a microsecond per character)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if (ftype == "integer" and (isinstance(value, int) or value.is_integer())
            and abs(value) < 2**63):
        return str(int(value))
    if ftype == "year" and isinstance(value, int) and 0 <= value <= 9999:
        return str(value)
    if ftype == "number" and math.isfinite(value) and abs(value) < 2**53:
        return repr(float(value))
    return None


def typed_select_sql(resource_schema: Schema | Mapping[str, Any], text_table: str,
                     types: dict[str, str] | None = None) -> str:
    """``SELECT`` turning ``text_table`` (VARCHAR columns named like the fields) into types.

    Missing values and cells that do not parse become NULL: validate first. ``types`` maps
    field names to the SQL type to give them (default: :func:`duckdb_type`); a type of
    ``VARCHAR`` for a typed field keeps its text, trimmed.
    """
    cols = []
    for fld in as_schema(resource_schema).fields:
        ident = quote_ident(fld.name)
        expr = typed_column_expr(fld, ident, fld.missing_values, (types or {}).get(fld.name))
        cols.append(f"{expr} AS {ident}")
    return f"SELECT {', '.join(cols)} FROM {text_table}"


def typed_column_expr(fld: Field | Mapping[str, Any], c: str, mv: Sequence[str],
                      cast: str | None = None) -> str:
    """The typed value of text ``c`` as :func:`typed_select_sql` gives it: a type of
    ``VARCHAR`` for a typed field keeps its text, trimmed."""
    if cast == "VARCHAR" and has_parser(fld):  # beyond what the type can hold
        return f"CASE WHEN {null_expr(c, mv)} THEN NULL ELSE trim({c}) END"
    return typed_expr(fld, c, mv, cast)


#: the bytes DuckDB's CSV reader reads at a time (its ``buffer_size``); each thread parses a
#: quarter of a buffer at a time. DuckDB's default, 32 MiB, gives 8 MiB per thread; half of
#: it costs 5 % less CPU on a 100 MB file over two threads and 8 % on a 1 GB file, with no
#: difference on a small one (docs/validate.md, "Performance"). It stays above DuckDB's
#: longest line (``max_line_size``, 2 MiB), which a thread's part must hold. (The build's
#: load, beside its SQLite writers, was slower with it and keeps DuckDB's default.)
CSV_BUFFER_BYTES = 16 << 20


def read_csv_sql(
    csv_path: str | Path,
    columns: Sequence[str],
    *,
    delimiter: str = ",",
    quote: str = '"',
    escape: str | None = None,
    header: bool = True,
    rejects: str | None = None,
) -> str:
    """``read_csv(...)`` reading every cell as text, empty cells as '' (never NULL)."""
    cols = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in columns) + "}"
    opts = [
        sql_string(str(csv_path)),
        f"columns = {cols}",
        f"header = {'true' if header else 'false'}",
        "auto_detect = false",
        f"delim = {sql_string(delimiter)}",
        f"quote = {sql_string(quote)}",
        f"escape = {sql_string(escape if escape is not None else quote)}",
        f"nullstr = [{sql_string(NULL_STRING)}]",
        "allow_quoted_nulls = false",
        "encoding = 'utf-8'",
        f"buffer_size = {CSV_BUFFER_BYTES}",
    ]
    if rejects:
        opts += [
            "store_rejects = true",
            f"rejects_table = {sql_string(rejects + '_errors')}",
            f"rejects_scan = {sql_string(rejects + '_scans')}",
        ]
    return f"read_csv({', '.join(opts)})"


# --------------------------------------------------------------------------------------
# row checks


def has_parser(fld: Field | Mapping[str, Any]) -> bool:
    """Whether the field's typed value differs from its text (needs a typed column)."""
    return parse_expr(fld, "x") != "x" or duckdb_type(fld) != "VARCHAR"


@dataclass(frozen=True)
class Column:
    """A CSV column checked against a field.

    ``col`` is the text column in the view; ``tcol`` the typed column stored next to it
    (None for text fields, whose typed value is computed on the fly).
    """

    position: int  # 1-based
    col: str  # SQL identifier of the text column
    fld: Field
    mv: tuple[str, ...]
    tcol: str | None = None

    def __post_init__(self) -> None:  # a field descriptor given as a dict
        object.__setattr__(self, "fld", as_field(self.fld))

    @property
    def name(self) -> str:
        return self.fld.name

    @property
    def typed(self) -> str:
        """SQL for the typed value (NULL when missing or not parseable)."""
        return self.tcol or typed_expr(self.fld, self.col, self.mv)

    @property
    def key(self) -> str:
        """SQL for what keys and bounds compare (:func:`key_expr` of the typed value)."""
        return key_expr(self.fld, self.typed)

    @property
    def typed_definition(self) -> str:
        return typed_expr(self.fld, self.col, self.mv)

    @property
    def present(self) -> str:
        """SQL: the cell exists and is not a missing value."""
        if not self.mv:
            return f"({self.col} IS NOT NULL)"
        if list(self.mv) == [""]:
            return f"({self.col} <> '')"
        return f"({self.col} IS NOT NULL AND NOT {_in_list(self.col, self.mv)})"

    @property
    def type_label(self) -> str:
        return f"{self.fld.type}/{self.fld.format}"


@dataclass(frozen=True)
class Flag:
    """A boolean SQL expression over one row and what a true value means."""

    sql: str
    code: str
    column: Column | None = None
    note: str = ""


def _any_of(expr: str, values: Sequence[str]) -> str:
    if len(values) <= 8:
        return "(" + " OR ".join(f"{expr} = {v}" for v in values) + ")" if values else "FALSE"
    return f"{expr} IN ({', '.join(values)})"


class DuckDBCellSql:
    """How DuckDB writes each kind of cell check (:mod:`.cellchecks`) for one column."""

    def __init__(self, col: Column, parsed: bool) -> None:
        self.col = col
        self.c = col.col
        self.present = col.present
        self.typed = col.typed
        # for text fields the typed value is the cell itself wherever it is present
        self.value = self.typed if parsed else self.c
        self.guard = "" if parsed else f"{self.present} AND "

    def missing(self, check: CellCheck) -> str:
        return f"({self.c} IS NULL)"

    def type(self, check: CellCheck) -> str:
        if self.col.fld.type == "integer":
            # beyond 128 bits: not typed, an integer all the same. A projection evaluates
            # every operand of AND on every row; CASE asks the regular expression only of
            # the cells that did not parse (0.13 s of CPU on three million valid cells)
            return (f"(CASE WHEN {self.present} AND {self.typed} IS NULL "
                    f"THEN NOT {_any_size_integer(self.col)} ELSE FALSE END)")
        return f"({self.present} AND {self.typed} IS NULL)"

    def required(self, check: CellCheck) -> str:
        # a missing cell breaks `required` too (frictionless reports both findings)
        if list(self.col.mv) == [""]:
            return f"({self.c} IS NULL OR {self.c} = '')"
        return f"({self.c} IS NULL OR NOT {self.present})"

    def compare(self, check: CellCheck) -> str:
        fld = self.col.fld
        out = f"{key_expr(fld, self.value)} {check.op} {key_expr(fld, literal(fld, check.arg))}"
        if fld.type == "number":  # NaN is beyond every bound (Decimal's comparison)
            return f"({out} OR isnan({self.value}))"
        return f"({out})"

    def items(self, check: CellCheck) -> str:
        return f"(len({self.typed}) {check.op} {check.arg})"

    def length(self, check: CellCheck) -> str:
        count = f"length({self.value}) {check.op} {check.arg}"
        if check.op == ">":  # no more characters than bytes: most cells need no count
            count = f"strlen({self.value}) > {check.arg} AND {count}"
        return f"({self.guard}{count})"

    def pattern(self, check: CellCheck) -> str:
        return f"({self.guard}NOT {glob_match_sql(self.value, check.arg)})"

    def enum(self, check: CellCheck) -> str:
        fld = self.col.fld
        items = [key_expr(fld, literal(fld, v)) for v in check.arg]
        return f"({self.guard}NOT {_any_of(key_expr(fld, self.value), items)})"

    def formula(self, check: CellCheck) -> str:
        return formula_call(self.c)


def row_flags(columns: Sequence[Column], *, formula_check: bool = True) -> list[Flag]:
    """Every per-row check for these columns as boolean SQL (blank rows are handled apart):
    the checks of :func:`.cellchecks.cell_checks`, written for DuckDB."""
    flags: list[Flag] = []
    for col in columns:
        parsed = has_parser(col.fld)
        sql = DuckDBCellSql(col, parsed)
        flags += [Flag(getattr(sql, check.kind)(check), check.code, col, check.note)
                  for check in cell_checks(col.fld, parsed=parsed, formula_check=formula_check)]
    return flags


def _any_size_integer(col: Column) -> str:
    """SQL: the cell is an integer for Python's ``int()``, whatever its size."""
    s = col.col
    if not col.fld.bare_number:
        s = f"regexp_replace({s}, '^[^-0-9]*|[^0-9]*$', '', 'g')"
    return f"regexp_full_match({s}, {sql_string(INT_RE)})"


#: a pattern starting with a literal letter, digit or '_' that no quantifier makes optional
_LITERAL_START_RE = re.compile(r"\^?[A-Za-z0-9_](?![?*{])")


def _formula_implied(col: Column | None) -> bool:
    """Whether any text starting with a formula character fails another check of ``col``:
    an enum without such a value, or a pattern that must start with a letter or digit."""
    if col is None:
        return False
    cons = col.fld.constraints
    enum = cons.get("enum")
    if isinstance(enum, list) and not any(str(v).startswith(FORMULA_CHARS) for v in enum):
        return True
    pattern = cons.get("pattern")
    return (isinstance(pattern, str) and "|" not in pattern
            and _LITERAL_START_RE.match(pattern) is not None)


def blank_sql(columns: Sequence[Column], extra: str = "__extra") -> str:
    """SQL: the row is completely blank (every cell missing or a missing value)."""
    parts = [null_expr(col.col, col.mv) for col in columns] or ["TRUE"]
    return f"({extra} = 0 AND {' AND '.join(parts)})"


def bad_terms(columns: Sequence[Column], flags: Sequence[Flag], extra: str = "__extra",
              *, never_null: bool = False,
              primary_key: Sequence[Column] | None = None) -> list[str]:
    """SQL terms, one of which is true when the row has a finding (a flag, blank, extra
    cells, a ``primary_key`` whose cells are all missing). Computed while loading.

    Every term costs a pass over the rows, so terms implied by others are left out: with
    ``never_null`` (rows parsed by DuckDB, see :data:`NULL_STRING`) no cell is missing,
    a blank row is already flagged by a required field (its missing-cell or required
    flag), and a formula in a field with an enum or a pattern fails them (see
    :func:`_formula_implied`). ``extra`` may be the literal ``0``.
    """
    terms = [f.sql for f in flags
             if not (never_null and f.code == "missing-cell")
             and not (f.code == "formula-injection" and _formula_implied(f.column))]
    if not any(col.fld.required for col in columns):
        terms.append(blank_sql(columns, extra))
    if extra != "0":
        terms.append(f"{extra} > 0")
    # so that all_null_key_sql reads only flagged rows; a required text key's missing
    # cells fail `required` already
    if primary_key and not all(k.fld.required and not has_parser(k.fld) for k in primary_key):
        terms.append(f"({_all_null(primary_key)})")
    return terms


def line_order(prefix: str = "") -> str:
    """SQL ordering rows by CSV line, give or take the rejected lines before them.

    ``__k`` is the row's position for rows DuckDB loaded (line = position + 2 + rejected
    lines before it) and minus the line for re-parsed rows; callers fetching the first N
    rows add the number of rejected lines to N, then sort by the exact line.
    """
    k = f"{prefix}__k"
    return f"CASE WHEN {k} < 0 THEN -{k} ELSE {k} + 2 END"


def row_check_sql(view: str, columns: Sequence[Column], flags: Sequence[Flag],
                  *, limit: int | None = None) -> str:
    """Rows marked ``__bad`` at load time, with ``__blank`` and every flag as a column.

    The flagged rows are sorted (and cut to ``limit``) before the flags are evaluated:
    a large table's few flagged rows come in one batch instead of a few in each of
    its thousands, and every batch costs each flag's setup (a third of the query's time
    on 669 flagged rows of a million).
    """
    flag_cols = ", ".join(f"coalesce({f.sql}, FALSE) AS f{i}" for i, f in enumerate(flags))
    raw = ", ".join(col.col for col in columns)
    sql = f"SELECT __k, __extra, {blank_sql(columns)} AS __blank"
    if flags:
        sql += f", {flag_cols}"
    if raw:
        sql += f", {raw}"
    flagged = f"SELECT * FROM {view} WHERE __bad ORDER BY {line_order()}"
    if limit is not None:
        flagged += f" LIMIT {int(limit)}"
    return f"{sql} FROM ({flagged}) ORDER BY {line_order()}"


def raw_cell(col: Column) -> str:
    """SQL: the cell's text; where only its typed value is stored for every row (the text
    is kept on rows with a finding), that value as text, as frictionless prints it."""
    if col.tcol is None:
        return col.col
    return f"coalesce({col.col}, CAST({col.tcol} AS VARCHAR))"


def _typed_keys(view: str, keys: Sequence[Column], *, raw: bool,
                exprs: Sequence[str] | None = None) -> str:
    """``SELECT __k, k0, k1, ...`` (what each key column compares: :attr:`Column.key`, or
    ``exprs``) and with ``raw`` their cells ``r0, r1, ...`` from ``view``."""
    cols = [f"{e} AS k{i}" for i, e in enumerate(exprs or [k.key for k in keys])]
    if raw:
        cols += [f"{raw_cell(k)} AS r{i}" for i, k in enumerate(keys)]
    return f"SELECT __k, {', '.join(cols)} FROM {view}"


def _all_null(keys: Sequence[Column]) -> str:
    """SQL: every one of the key's typed values is missing. A text field's is its
    missing-value test: comparisons DuckDB filters the stored column with, after the
    row flag (``nullif(c, '') IS NULL`` was evaluated on every row before the flag)."""
    return " AND ".join(null_expr(k.col, k.mv) if not has_parser(k.fld)
                        else f"({k.typed}) IS NULL" for k in keys)


def _not_all_null(keys: Sequence[Column], prefix: str = "") -> str:
    return " OR ".join(f"{prefix}k{i} IS NOT NULL" for i in range(len(keys)))


def _duplicated_keys(keys: Sequence[Column], *, skip_any_null: bool) -> str:
    """The typed keys of ``s`` that occur more than once: not all NULL, nor with
    ``skip_any_null`` any NULL."""
    names = ", ".join(f"k{i}" for i in range(len(keys)))
    where = (" AND ".join(f"k{i} IS NOT NULL" for i in range(len(keys))) if skip_any_null
             else _not_all_null(keys))
    return f"SELECT {names} FROM s WHERE {where} GROUP BY ALL HAVING count(*) > 1"


def duplicate_sql(view: str, keys: Sequence[Column], *, skip_any_null: bool = False,
                  limit: int | None = None) -> str:
    """Rows whose typed key (one or more columns) occurs more than once; keys whose cells
    are all null are never duplicates, nor with ``skip_any_null`` (SQL's UNIQUE, the
    Table Schema's ``uniqueKeys``) those with any null cell."""
    join = " AND ".join(f"s.k{i} IS NOT DISTINCT FROM d.k{i}" for i in range(len(keys)))
    # the group's key, the same for every row of it (-0.0 and 0.0 are one key, two texts)
    out = ", ".join([f"CAST(d.k{i} AS VARCHAR)" for i in range(len(keys))]
                    + [f"s.r{i}" for i in range(len(keys))])
    sql = (
        f"WITH s AS ({_typed_keys(view, keys, raw=True)}), "
        f"d AS ({_duplicated_keys(keys, skip_any_null=skip_any_null)}) "
        f"SELECT s.__k, {out} FROM s JOIN d ON {join} ORDER BY {line_order('s.')}"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


def duplicate_probe_sql(view: str, keys: Sequence[Column], *,
                        skip_any_null: bool = False) -> str:
    """A row when :func:`duplicate_sql` returns rows (a key occurring twice), shorter."""
    return (f"WITH s AS ({_typed_keys(view, keys, raw=False)}) "
            f"{_duplicated_keys(keys, skip_any_null=skip_any_null)}")


def all_null_key_sql(view: str, keys: Sequence[Column], *, limit: int | None = None,
                     probe: bool = False) -> str:
    """Rows whose primary key cells are all missing; with ``probe``, without order and
    limit. Such a row is flagged at load time (:func:`bad_terms`): only those are read."""
    cond = f"__bad AND {_all_null(keys)}"
    if probe:
        return f"SELECT 1 FROM {view} WHERE {cond}"
    sql = f"SELECT __k FROM {view} WHERE {cond} ORDER BY {line_order()}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


def _missing_references(view: str, keys: Sequence[Column], ref_view: str,
                        ref_keys: Sequence[Column], *, select: str, raw: bool) -> str:
    """``select`` from the rows whose key (not all NULL) is not among the referenced keys
    (fields of one type compared by :attr:`Column.key`, of different types by the typed
    value)."""
    same = [k.fld.type == r.fld.type for k, r in zip(keys, ref_keys, strict=True)]
    exprs = [k.key if same[i] else k.typed for i, k in enumerate(keys)]
    ref_typed = []
    for i, (k, r) in enumerate(zip(keys, ref_keys, strict=True)):
        expr = r.key if same[i] else r.typed
        if duckdb_type(k.fld) != duckdb_type(r.fld):
            expr = f"CAST({expr} AS {duckdb_type(k.fld)})"
        ref_typed.append(f"{expr} AS k{i}")
    join = " AND ".join(f"s.k{i} IS NOT DISTINCT FROM r.k{i}" for i in range(len(keys)))
    return (
        f"WITH s AS ({_typed_keys(view, keys, raw=raw, exprs=exprs)}), "
        f"r AS (SELECT DISTINCT {', '.join(ref_typed)} FROM {ref_view}) "
        f"SELECT {select} FROM s WHERE ({_not_all_null(keys, 's.')}) "
        f"AND NOT EXISTS (SELECT 1 FROM r WHERE {join})"
    )


def foreign_key_sql(view: str, keys: Sequence[Column], ref_view: str,
                    ref_keys: Sequence[Column], *, limit: int | None = None) -> str:
    """Rows whose (typed) foreign key is not found among the referenced rows' keys (fields
    of one type compared by :attr:`Column.key`, of different types by the typed value)."""
    raw = ", ".join(f"s.r{i}" for i in range(len(keys)))
    sql = _missing_references(view, keys, ref_view, ref_keys, select=f"s.__k, {raw}", raw=True)
    sql += f" ORDER BY {line_order('s.')}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


def foreign_key_probe_sql(view: str, keys: Sequence[Column], ref_view: str,
                          ref_keys: Sequence[Column]) -> str:
    """A row when :func:`foreign_key_sql` returns rows (a key not found), shorter."""
    return _missing_references(view, keys, ref_view, ref_keys, select="1", raw=False)
