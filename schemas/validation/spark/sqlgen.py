"""Spark SQL generated from Table Schemas: typed values and per-row checks over text cells.

The Spark counterpart of :mod:`semicon.schemas.validation.sqlchecks`: the same parsing
rules (frictionless's: Python ``int()``, ``Decimal()``, ``strptime('%Y-%m-%d')``,
``trueValues``/``falseValues``, ``missingValues``) and the same checks with the same codes,
written in Spark SQL so that they run where the data is. A cell is a ``STRING`` column;
``NULL`` means a missing cell (a short row), ``''`` an empty one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from semicon.schemas.formulas import FORMULA_CHARS, NUMBER_PATTERN
from semicon.schemas.model import Field, as_field

from ..cellchecks import STRING_TYPES, CellCheck, cell_checks, write
from ..patterns import unicode_pattern
from ..sqlchecks import (
    DECIMAL_NAN_RE,
    DEFAULT_DATE_TEXT_RE,
    DEFAULT_DATETIME_TEXT_RE,
    DEFAULT_TIME_TEXT_RE,
    DURATION_KEY_RE,
    DURATION_RE,
    DURATION_SECONDS,
    GEOJSON_TYPES,
    TIME_TEXT_RE,
    YEARMONTH_TEXT_RE,
    iso_datetime,
    iso_time,
    plain_number,
    strptime_re,
)
from ..textformats import Dialect, format_test
from .jsonprobe import FUNCTION as JSON_PROBE

#: Spark SQL types of the Table Schema types (others stay text). An integer of any size is
#: valid (Python's ``int()``); its typed value is exact up to 38 digits, as DuckDB's
#: ``HUGEINT`` is up to 128 bits, and missing beyond
SPARK_TYPES: dict[str, str] = {
    "integer": "DECIMAL(38,0)",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "year": "INT",
    "time": "BIGINT",
}

INT_RE = r"^\s*[+-]?[0-9]+(_[0-9]+)*\s*$"
#: what Python's ``Decimal()`` reads (Java's ``parseDouble`` also takes ``1d`` and hex)
_DIGITS = r"[0-9]+(_[0-9]+)*"
NUMBER_RE = (rf"^\s*[+-]?(({_DIGITS})?\.?{_DIGITS}\.?|{_DIGITS}\.)"
             r"([eE][+-]?[0-9]+)?\s*$")
#: whitespace around a text (DuckDB's casts skip the same), and a text starting or ending
#: with it
_OUTER_SPACE = r"^[ \t\n\x0B\f\r]+|[ \t\n\x0B\f\r]+$"
_EDGE_SPACE = r"^[ \t\n\x0B\f\r]|[ \t\n\x0B\f\r]$"
SPECIAL_NUMBERS = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
                   "nan", "+nan", "-nan")
#: strptime directives and their Java DateTimeFormatter patterns
_STRPTIME = {"%Y": "yyyy", "%m": "M", "%d": "d", "%H": "H", "%M": "m", "%S": "s",
             "%y": "yy", "%b": "MMM", "%B": "MMMM", "%%": "%"}
#: the end of a full match: the end of the text (Java's ``$`` is also before a final ``\n``)
END = r")\z"
#: the largest time zone offset DuckDB's ``TIMETZ`` takes (15:59), in seconds
MAX_OFFSET = 15 * 3600 + 59 * 60
#: a ``time`` cell's parts (checked first against ``TIME_TEXT_RE``): hours, minutes,
#: seconds, fraction, zone sign, zone hours, zone minutes
_TIME_PARTS = (r"^([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?"
               r"(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2})?)?\z")


def lit(value: Any) -> str:
    """A Spark SQL string literal (backslashes and quotes escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def ident(name: str) -> str:
    """A Spark SQL identifier."""
    return "`" + name.replace("`", "``") + "`"


def spark_type(fld: Field | Mapping[str, Any]) -> str:
    """The Spark SQL type of the field's typed value: a ``list`` is an array of its
    ``itemType``; a ``time`` its order in DuckDB's ``TIMETZ`` (see :func:`_time_key`)."""
    fld = as_field(fld)
    if fld.type == "list":
        return f"ARRAY<{spark_type(fld.item_field)}>"
    return SPARK_TYPES.get(fld.type, "STRING")


def full_match(c: str, regex: str) -> str:
    r"""SQL: all of text ``c`` matches ``regex``, written for DuckDB's RE2
    (``regexp_full_match``): ``\s`` outside a class is RE2's (no vertical tab), and the
    end is the end of the text (Java's ``$`` also matches before a final line break)."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(regex):
        piece = regex[i:i + 2] if regex[i] == "\\" else regex[i]
        i += len(piece)
        if piece == r"\s" and not in_class:
            piece = r"[\t\n\f\r ]"
        elif piece in "[]":
            in_class = piece == "["
        out.append(piece)
    return f"{c} RLIKE {lit('^(?:' + ''.join(out) + END)}"


#: Spark SQL: java.util.regex through ``RLIKE`` (a search: anchored here)
SPARK = Dialect(
    full_match=full_match,
    starts=lambda c, pattern: f"{c} RLIKE {lit('^(?:' + pattern + ')')}",
    strip=lambda c, chars: f"trim(BOTH {lit(chars)} FROM {c})",
    caseless="iu",
)


def _strptime_guarded(c: str, fmt: str, parsed: str) -> str:
    """SQL: ``parsed`` where text ``c`` is one Python's strptime reads in ``fmt``
    (:func:`..sqlchecks.strptime_re`, its named groups as Java writes them), else NULL."""
    pattern = strptime_re(fmt)
    if pattern is None:
        return "NULL"
    return f"CASE WHEN {full_match(c, pattern.replace('(?P<', '(?<'))} THEN {parsed} END"


def _java_pattern(fmt: str) -> str | None:
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            java = _STRPTIME.get(fmt[i:i + 2])
            if java is None:
                return None
            out.append(java)
            i += 2
        elif fmt[i].isalpha():
            out.append(f"'{fmt[i]}'")
            i += 1
        else:
            out.append(fmt[i])
            i += 1
    return "".join(out)


def _in(expr: str, values: Sequence[Any]) -> str:
    return f"{expr} IN ({', '.join(lit(v) for v in values)})" if values else "FALSE"


#: a field standing for a coordinate: any number
_NUMBER = Field("", {"type": "number"})


def number_ok(c: str) -> str:
    """SQL: text ``c`` is a number for Python's ``Decimal()``."""
    return f"({c} RLIKE {lit(NUMBER_RE)} OR {_in(f'lower(trim({c}))', SPECIAL_NUMBERS)})"


def parse_expr(fld: Field | Mapping[str, Any], c: str) -> str:
    """Spark SQL for the typed value of text ``c`` (present); NULL where it does not parse."""
    fld = as_field(fld)
    ftype = fld.type
    fmt = fld.format
    c = _number_text(fld, c)
    if ftype == "integer":
        return (f"CASE WHEN {c} RLIKE {lit(INT_RE)} THEN try_cast(regexp_replace({c}, "
                f"'[\\\\s_]', '') AS {SPARK_TYPES['integer']}) END")
    if ftype == "number":
        group = fld.group_char
        if group:
            c = f"replace({c}, {lit(group)}, '')"
        dec = fld.decimal_char
        if dec != ".":
            c = f"CASE WHEN NOT contains({c}, '.') THEN replace({c}, {lit(dec)}, '.') END"
        # Decimal() drops whitespace around, then every underscore, and reads NaN with
        # a payload (as NaN here)
        bare = f"replace(regexp_replace({c}, {lit(_OUTER_SPACE)}, ''), '_', '')"
        return (f"CASE WHEN {bare} RLIKE {lit(_EDGE_SPACE)} "
                f"THEN NULL WHEN {bare} RLIKE {lit('^(?:' + DECIMAL_NAN_RE + END)} "
                f"THEN CAST('NaN' AS DOUBLE) WHEN {number_ok(bare)} "
                f"THEN try_cast({bare} AS DOUBLE) END")
    if ftype == "boolean":
        return (f"CASE WHEN {_in(c, fld.true_values)} THEN TRUE "
                f"WHEN {_in(c, fld.false_values)} THEN FALSE END")
    if ftype == "date":
        if fmt == "default":
            # strptime reads a year from 0001 and a day padded with a space (`2020-01- 5`)
            return (f"CASE WHEN {full_match(c, DEFAULT_DATE_TEXT_RE)} "
                    f"THEN try_to_date(replace({c}, '- ', '-'), 'yyyy-M-d') END")
        if fmt == "any":
            return f"try_cast({c} AS DATE)"
        java = _java_pattern(fmt)
        return (_strptime_guarded(c, fmt, f"try_to_date({c}, {lit(java)})") if java
                else f"try_cast({c} AS DATE)")
    if ftype == "datetime":
        if fmt == "default":
            # hour 24 (of 24:00:00) is the next day's midnight, as in dateutil and DuckDB
            iso = iso_datetime(c)
            midnight = f"concat(substr({iso}, 1, 11), '00', substr({iso}, 14))"
            return (f"CASE WHEN {full_match(c, DEFAULT_DATETIME_TEXT_RE)} THEN "
                    f"CASE WHEN substr({c}, 12, 2) = '24' "
                    f"THEN try_cast({midnight} AS TIMESTAMP) + INTERVAL 1 DAY "
                    f"ELSE try_cast({iso} AS TIMESTAMP) END END")
        java = _java_pattern(fmt) if fmt != "any" else None
        return (_strptime_guarded(c, fmt, f"try_to_timestamp({c}, {lit(java)})") if java
                else f"try_cast({c} AS TIMESTAMP)")
    if ftype == "year":
        return (f"CASE WHEN length({c}) = 4 AND {c} RLIKE {lit(INT_RE)} "
                f"THEN try_cast(regexp_replace({c}, '[\\\\s_]', '') AS INT) END")
    if ftype == "time":
        return _time(c, fmt)
    if ftype == "yearmonth":
        return f"CASE WHEN {full_match(c, YEARMONTH_TEXT_RE)} THEN {c} END"
    if ftype == "duration":
        # isodate's pattern, a bare `P` excepted (`PT` and `P1DT` are durations for it)
        return (f"CASE WHEN {full_match(c, DURATION_RE)} AND NOT endswith({c}, 'P') "
                f"THEN {c} END")
    if ftype == "geopoint":
        return f"CASE WHEN {_geopoint_ok(c, fmt)} THEN {c} END"
    if ftype in ("object", "array", "geojson"):
        return f"CASE WHEN {_json_ok(ftype, fmt, c)} THEN {c} END"
    if ftype == "list":
        return _list(fld, c)
    if ftype == "string":
        test = format_test(fmt, c, SPARK)  # uri, email, uuid, binary
        if test:
            return f"CASE WHEN {test} THEN {c} END"
    return c


def _time(c: str, fmt: str) -> str:
    """SQL: a ``time`` cell's place in DuckDB's order of ``TIMETZ`` values (see
    :func:`_time_key`); NULL where DuckDB does not read it."""
    if fmt not in ("default", "any"):
        java = _java_pattern(fmt)
        if java:
            ts = f"try_to_timestamp({c}, {lit(java)})"
            micros = (f"((CAST(hour({ts}) AS BIGINT) * 3600 + minute({ts}) * 60) * 1000000 "
                      f"+ CAST(extract(SECOND FROM {ts}) * 1000000 AS BIGINT))")
            return _strptime_guarded(c, fmt, _time_key(micros, "0"))
    text = iso_time(c) if fmt == "default" else c
    part = [f"regexp_extract({text}, {lit(_TIME_PARTS)}, {i})" for i in range(1, 8)]
    h, m, sec = (f"CAST({p} AS BIGINT)" for p in part[:3])
    # 24:00:00 (the only time with hour 24 TIME_TEXT_RE reads) is midnight, as in dateutil
    micros = (f"(({h} % 24 * 3600 + {m} * 60 + {sec}) * 1000000 "
              f"+ CAST(rpad(substr({part[3]}, 1, 6), 6, '0') AS BIGINT))")
    offset = (f"(CASE WHEN {part[4]} = '-' THEN -1 ELSE 1 END * "
              f"(coalesce(try_cast({part[5]} AS BIGINT), 0) * 3600 "
              f"+ coalesce(try_cast({part[6]} AS BIGINT), 0) * 60))")
    grammar = DEFAULT_TIME_TEXT_RE if fmt == "default" else TIME_TEXT_RE
    return (f"CASE WHEN {full_match(c, grammar)} AND {sec} < 60 "
            f"AND abs({offset}) <= {MAX_OFFSET} THEN {_time_key(micros, offset)} END")


def _time_key(micros: str, offset: str) -> str:
    """SQL: DuckDB orders ``TIMETZ`` values by their instant in UTC, then the larger
    offset first, and calls two equal when both agree: one ``BIGINT`` ordered the same
    way (``micros`` since midnight, ``offset`` east of UTC in seconds)."""
    return (f"(({micros} - {offset} * 1000000) * {2 ** 17} "
            f"+ ({MAX_OFFSET} - {offset}))")


def _number_in(c: str, low: int, high: int) -> str:
    """SQL: text ``c`` is a number (as DuckDB casts text to ``DOUBLE``) in the range."""
    return f"coalesce({parse_expr(_NUMBER, c)} BETWEEN {low} AND {high}, FALSE)"


def _geopoint_ok(c: str, fmt: str) -> str:
    """SQL: ``c`` is a point (``lon, lat``; a JSON array; a JSON object) within range."""
    if fmt in ("array", "object"):
        probe = f"{JSON_PROBE}({c})"
        kind = fmt.upper()
        return (f"coalesce({probe}.kind = '{kind}' AND {probe}.size = 2 "
                f"AND {_number_in(probe + '.v0', -180, 180)} "
                f"AND {_number_in(probe + '.v1', -90, 90)}, FALSE)")
    lon, lat = (f"split_part({c}, ',', {i})" for i in (1, 2))
    return (f"size(split({c}, ',', -1)) = 2 AND {_number_in(lon, -180, 180)} "
            f"AND {_number_in(lat, -90, 90)}")


#: whitespace at either end of a text, as DuckDB's ``trim(c, _WS)`` removes it
_EDGE_SPACE = lit(r"^[ \t\n\r\x0b\x0c]+|[ \t\n\r\x0b\x0c]+$")


def key_expr(fld: Field, typed: str) -> str:
    """SQL for what a typed value is compared by (bounds, enum, keys), as the DuckDB
    engine's ``sqlchecks.key_expr``: the value itself, but a ``yearmonth`` by its year and
    month and a ``geopoint`` by its longitude and latitude (both are kept as text, and
    their text has several spellings: ``2020-1``, ``0,0`` and ``+0, 0.0``)."""
    if fld.type == "yearmonth":
        year, month = (
            f"try_cast(replace(regexp_replace(split_part({typed}, '-', {i}), {_EDGE_SPACE}, "
            "''), '_', '') AS DECIMAL(38, 0))" for i in (1, 2))
        return f"({year} * 12 + {month})"
    if fld.type == "geopoint":
        if fld.format in ("array", "object"):
            probe = f"{JSON_PROBE}({typed})"
            parts = [f"try_cast({probe}.v{i} AS DOUBLE)" for i in (0, 1)]
        else:
            parts = [f"try_cast(trim(split_part({typed}, ',', {i})) AS DOUBLE)" for i in (1, 2)]
        return f"CASE WHEN {typed} IS NOT NULL THEN array({', '.join(parts)}) END"
    if fld.type == "duration":
        return _duration_key(typed)
    return typed


def _duration_key(typed: str) -> str:
    """SQL: a duration by its years, months and seconds, each signed, as the DuckDB
    engine's ``sqlchecks.key_expr`` (``P1Y`` = ``+P1Y``, ``P1D`` = ``PT24H``)."""
    pattern = lit(DURATION_KEY_RE)

    def part(group: int) -> str:
        return (f"coalesce(try_cast(replace(regexp_extract({typed}, {pattern}, {group}), "
                "',', '.') AS DECIMAL(38, 9)), 0)")

    sign = f"CASE WHEN regexp_extract({typed}, {pattern}, 1) = '-' THEN -1 ELSE 1 END"
    seconds = " + ".join(f"{part(group)} * {n}" for group, n in
                         zip(range(4, 9), DURATION_SECONDS, strict=True))
    return (f"CASE WHEN {typed} IS NOT NULL THEN "
            f"array({sign} * {part(2)}, {sign} * {part(3)}, {sign} * ({seconds})) END")


def _json_ok(ftype: str, fmt: str, c: str) -> str:
    """SQL: ``c`` is JSON of the field's kind (``geojson``: an object with a GeoJSON or
    TopoJSON ``type``), as DuckDB's JSON reader sees it (:mod:`.jsonprobe`)."""
    probe = f"{JSON_PROBE}({c})"
    kind = "ARRAY" if ftype == "array" else "OBJECT"
    check = ""
    if ftype == "geojson" and fmt in ("default", "topojson"):
        kinds = ("Topology",) if fmt == "topojson" else GEOJSON_TYPES
        check = f" AND {probe}.type IN ({', '.join(lit(k) for k in kinds)})"
    return f"coalesce({probe}.kind = '{kind}'{check}, FALSE)"


def _list(fld: Field, c: str) -> str:
    """SQL: the items of a ``list`` cell (split at its ``delimiter``), typed by its
    ``itemType``; NULL where one of them is not of that type."""
    quoted = "".join(ch if ch.isalnum() else "\\" + ch for ch in fld.list_delimiter)
    items = f"split({c}, {lit(quoted)}, -1)"
    parsed = parse_expr(fld.item_field, "__item")
    if parsed == "__item":  # '' is one empty item where it is not a missing value
        return items
    return (f"CASE WHEN forall({items}, __item -> ({parsed}) IS NOT NULL) "
            f"THEN transform({items}, __item -> {parsed}) END")


def _number_text(fld: Field, c: str) -> str:
    """SQL: the text of a number cell without the characters ``bareNumber: false`` allows."""
    if fld.type in ("integer", "number") and not fld.bare_number:
        return f"regexp_replace({c}, '^[^-0-9]*|[^0-9]*$', '')"
    return c


def parse_failed(cell: Cell) -> str:
    """SQL: the present cell is not of its type. An integer is read by its text (any size
    is valid); other types by their typed value."""
    if cell.fld.type == "integer":
        return f"NOT {_number_text(cell.fld, cell.col)} RLIKE {lit(INT_RE)}"
    return f"{cell.typed} IS NULL"


def has_parser(fld: Field | Mapping[str, Any]) -> bool:
    return parse_expr(fld, "x") != "x"


@dataclass(frozen=True)
class Cell:
    """A CSV column checked against a field: ``col`` is its text column (1-based position)."""

    position: int
    col: str
    fld: Field
    mv: tuple[str, ...]

    def __post_init__(self) -> None:  # a field descriptor given as a dict
        object.__setattr__(self, "fld", as_field(self.fld))

    @property
    def name(self) -> str:
        return self.fld.name

    @property
    def present(self) -> str:
        """SQL: the cell exists and is not a missing value."""
        if list(self.mv) == [""]:
            return f"({self.col} IS NOT NULL AND {self.col} <> '')"
        if not self.mv:
            return f"({self.col} IS NOT NULL)"
        return f"({self.col} IS NOT NULL AND NOT {_in(self.col, self.mv)})"

    @property
    def tcol(self) -> str:
        """The typed column stored beside the text one (see :attr:`typed_definition`)."""
        return f"t{self.position - 1}"

    @property
    def typed(self) -> str:
        return self.tcol

    @property
    def typed_definition(self) -> str:
        """SQL: the typed value; NULL when missing, a missing value or not parseable."""
        parsed = parse_expr(self.fld, self.col)
        return (f"CASE WHEN {self.present} THEN CAST({parsed} AS {spark_type(self.fld)}) "
                "END")

    def literal(self, value: Any) -> str:
        """A constraint value as a typed literal (parsed by the field's own rules)."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        if self.fld.type in STRING_TYPES or spark_type(self.fld) == "STRING":
            return lit(value)
        plain = plain_number(self.fld.type, value)
        if plain is not None:
            return f"CAST({plain} AS {spark_type(self.fld)})"
        return f"CAST({parse_expr(self.fld, lit(value))} AS {spark_type(self.fld)})"


@dataclass(frozen=True)
class Check:
    """One per-row check: ``sql`` is true on a failing row; ``sample`` the value shown."""

    code: str
    cell: Cell
    sql: str
    note: str
    sample: str
    #: the name of the generated pandera check it counts (pandera_gen._checks)
    pandera: str | None = None


class SparkCellSql:
    """How Spark writes each kind of cell check (:mod:`..cellchecks`) for one cell."""

    def __init__(self, cell: Cell, parsed: bool) -> None:
        self.cell = cell
        self.c = cell.col
        # for text fields the typed value is the cell itself wherever it is present
        self.value = cell.typed if parsed else cell.col
        self.guard = "" if parsed else f"{cell.present} AND "

    def missing(self, check: CellCheck) -> str:
        return f"{self.c} IS NULL"

    def type(self, check: CellCheck) -> str:
        return f"{self.cell.present} AND {parse_failed(self.cell)}"

    def required(self, check: CellCheck) -> str:
        # a missing cell breaks `required` too (frictionless reports both findings)
        return f"NOT {self.cell.present}"

    def compare(self, check: CellCheck) -> str:
        fld = self.cell.fld
        out = (f"{key_expr(fld, self.value)} {check.op} "
               f"{key_expr(fld, self.cell.literal(check.arg))}")
        if fld.type == "number":  # NaN is beyond every bound (Decimal's comparison)
            return f"({out} OR isnan({self.value}))"
        return out

    def items(self, check: CellCheck) -> str:
        return f"array_size({self.cell.typed}) {check.op} {check.arg}"

    def length(self, check: CellCheck) -> str:
        return f"{self.guard}length({self.c}) {check.op} {check.arg}"

    def pattern(self, check: CellCheck) -> str:
        return f"{self.guard}NOT {full_match(self.c, unicode_pattern(check.arg))}"

    def enum(self, check: CellCheck) -> str:
        fld = self.cell.fld
        items = ", ".join(key_expr(fld, self.cell.literal(v)) for v in check.arg)
        return f"{self.guard}NOT " + (f"{key_expr(fld, self.value)} IN ({items})"
                                      if items else "FALSE")

    def formula(self, check: CellCheck) -> str:
        starts = " OR ".join(f"startswith({self.c}, {lit(ch)})" for ch in FORMULA_CHARS)
        return f"({starts}) AND NOT {full_match(self.c, NUMBER_PATTERN)}"


def row_checks(cells: Sequence[Cell]) -> list[Check]:
    """Every per-row check of the cells (:func:`..cellchecks.cell_checks`, the table the
    DuckDB engine's checks come from), in Spark SQL. Constraints on typed values are
    checked only where the cell parsed."""
    out: list[Check] = []
    for cell in cells:
        parsed = has_parser(cell.fld)
        sql = SparkCellSql(cell, parsed)
        out += [Check(check.code, cell, write(sql, check), check.note, cell.col, check.pandera)
                for check in cell_checks(cell.fld, parsed=parsed)]
    return out


def blank_sql(cells: Sequence[Cell], extra: str) -> str:
    """SQL: every cell missing or a missing value, and no extra cell."""
    parts = [f"NOT {cell.present}" for cell in cells] or ["TRUE"]
    return f"({extra} = 0 AND {' AND '.join(parts)})"
