"""Write the typed DuckDB file: tables with constraints and comments, views and `_build`.

The file is attached with ``STORAGE_VERSION 'v1.0.0'`` so DuckDB 1.1 and later open it, and
16 KiB blocks instead of the default 256 KiB: every column of every table takes at least a
block, so the bundled package's file shrinks from 10.8 MB to about 1 MB (DuckDB 1.1.3 reads
it, a test checks).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
from semicon.build.column_groups import is_wide
from semicon.build.errors import BuildError
from semicon.build.package import Package, Resource
from semicon.schemas.model import Field
from semicon.schemas.sqltypes import duckdb_type, field_type, quote_ident, sql_string
from semicon.schemas.validation.rawscan import RecordReader
from semicon.schemas.validation.sources import Refused, open_table
from semicon.schemas.validation.sqlchecks import ZONE_RE, null_expr
from semicon.schemas.validation.sqlchecks import typed_expr as engine_typed
from semicon.schemas.validation.sqlchecks import typed_select_sql as engine_select

STORAGE_VERSION = "v1.0.0"
BLOCK_SIZE = 16_384
OUT = "out"  # the alias the DuckDB output file is attached under

_NUMERIC = {"integer", "number", "year", "date", "datetime", "time"}


def qualified(table: str, alias: str = OUT) -> str:
    """``alias.main."table"``: a table of the attached output file."""
    return f"{alias}.main.{quote_ident(table)}"


# ---------------------------------------------------------------- typed values from the cells
def read_csv_sql(resource: Resource, file: Path | None = None) -> str:
    """A ``read_csv`` call returning every declared column as text, in schema order."""
    dialect = resource.dialect
    files = [file] if file is not None else resource.files
    paths = "[" + ", ".join(sql_string(p.as_posix()) for p in files) + "]"
    columns = "{" + ", ".join(f"{sql_string(n)}: 'VARCHAR'" for n in resource.field_names) + "}"
    nulls = "[" + ", ".join(sql_string(v) for v in resource.missing_values()) + "]"
    options = [
        "header = true",
        "auto_detect = false",
        f"columns = {columns}",
        f"delim = {sql_string(dialect.delimiter)}",
        f"quote = {sql_string(dialect.quote)}",
        f"escape = {sql_string(dialect.escape or dialect.quote)}",
        f"nullstr = {nulls}",
        "strict_mode = true",
    ]
    return f"read_csv({paths}, {', '.join(options)})"


def _plain_csv(resource: Resource, table: Any) -> bool:
    """Whether DuckDB's CSV reader reads the file as validation did (else: Python's)."""
    encoding = resource.encoding.lower().replace("_", "-")
    return (table.file is not None and table.records is None
            and resource.dialect.plain
            and encoding in ("utf-8", "utf8", "utf-8-sig"))


def text_table(con: duckdb.DuckDBPyConnection, resource: Resource, ref: str,
               tmp: Path) -> str:
    """The resource's cells as text in table ``ref`` (one VARCHAR column a field), read as
    the validation read them: DuckDB for a plain UTF-8 CSV file, Python otherwise (other
    encodings and dialects, compressed and multipart files, inline data, JSON, XLSX)."""
    table = _open(resource, tmp)
    if _plain_csv(resource, table):
        con.execute(f"CREATE OR REPLACE TABLE {ref} AS SELECT * FROM "
                    f"{read_csv_sql(resource, table.file)}")
        return ref
    view = "__semicon_records"
    con.register(view, text_arrow(resource, tmp))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {ref} AS SELECT * FROM {quote_ident(view)}")
    finally:
        con.unregister(view)
    return ref


def _open(resource: Resource, tmp: Path) -> Any:
    """The resource's rows opened as the validation opens them (``sources.open_table``)."""
    try:
        return open_table(resource.base_dir, resource, tmp)
    except Refused as exc:
        raise BuildError(f"reading {resource.name} failed: {exc}") from None


def text_arrow(resource: Resource, tmp: Path) -> Any:
    """The resource's cells as an Arrow table of text columns, read in Python as the
    validation reads them (missing values NULL)."""
    table = _open(resource, tmp)
    records = table.records if table.records is not None else RecordReader(
        table.file, resource.dialect, resource.encoding)  # type: ignore[arg-type]
    return records_arrow(resource.field_names, records, set(resource.missing_values()))


def records_arrow(names: list[str], records: Iterable[tuple[int, list[str]]],
                  mv: set[str]) -> Any:
    """An Arrow table of text columns ``names`` from ``(line, cells)`` records (missing
    values and short rows' cells NULL)."""
    import pyarrow as pa

    cols: list[list[str | None]] = [[] for _ in names]
    for _line, cells in records:
        for i, col in enumerate(cols):
            cell = cells[i] if i < len(cells) else None
            col.append(None if cell in mv else cell)
    return pa.table([pa.array(c, pa.string()) for c in cols], names=list(names))


def storage_types(con: duckdb.DuckDBPyConnection, resource: Resource,
                  source: str) -> dict[str, str]:
    """The DuckDB type each field is stored as: its type, narrowed to what the data in
    ``source`` holds.

    Integers are BIGINT where every value fits, DECIMAL(38,0) up to 38 digits, else text;
    a datetime or time column with a time zone in any cell is TIMESTAMPTZ or TIMETZ (the
    instant kept), else TIMESTAMP or TIME; lists of integers are BIGINT[].
    """
    return _storage_types(con, resource, resource.fields, source)


def _storage_types(con: duckdb.DuckDBPyConnection, resource: Resource,
                   fields: list[Field], source: str) -> dict[str, str]:
    types: dict[str, str] = {}
    aggregates: list[str] = []
    asks: list[Field] = []
    for f in fields:
        mv = f.missing_values
        wanted = storage_aggregates(f, quote_ident(f.name), mv)
        if wanted:
            aggregates += wanted
            asks.append(f)
        else:
            types[f.name] = storage_type(f, [])
    if not asks:
        return types
    row = list(con.execute(f"SELECT {', '.join(aggregates)} FROM {source}").fetchall()[0])
    for f in asks:
        n = len(storage_aggregates(f, "x", []))
        types[f.name] = storage_type(f, row[:n])
        del row[:n]
    return types


def storage_aggregates(f: dict[str, Any], c: str, mv: list[str]) -> list[str]:
    """The aggregates over text column ``c`` that :func:`storage_type` needs (none when the
    field's type alone decides)."""
    ftype = field_type(f)
    if ftype == "integer":
        h = engine_typed(f, c, mv)
        present = f"NOT {null_expr(c, mv)}"
        return [f"min({h})", f"max({h})", f"bool_or({present} AND {h} IS NULL)"]
    if ftype in ("datetime", "time"):
        return [f"coalesce(bool_or(regexp_matches(trim({c}), "
                f"{sql_string(ZONE_RE + '$')})), FALSE)"]
    return []


def storage_type(f: dict[str, Any], values: list[Any]) -> str:
    """The DuckDB type of field ``f`` given the values of its :func:`storage_aggregates`."""
    ftype = field_type(f)
    if ftype == "integer":
        low, high, beyond = values
        if not beyond and (low is None or low >= -(1 << 63)) and (
                high is None or high < (1 << 63)):
            return "BIGINT"
        if not beyond and max(abs(low), abs(high)) < 10**38:
            return "DECIMAL(38,0)"
        return "VARCHAR"
    if ftype in ("datetime", "time"):
        return {"datetime": ("TIMESTAMP", "TIMESTAMPTZ"),
                "time": ("TIME", "TIMETZ")}[ftype][bool(values[0])]
    return duckdb_type(f).replace("HUGEINT", "BIGINT")


def typed_select_sql(resource: Resource, source: str | None = None,
                     types: dict[str, str] | None = None) -> str:
    """``SELECT`` of every field, typed, from ``source`` (default: the CSV files read as
    text) as ``types`` says (default: the validation's types).

    The validation engine's typing (``sqlchecks.typed_select_sql``): the build types values
    exactly as ``semicon validate`` checked them.
    """
    return engine_select(resource.schema, source or read_csv_sql(resource), types)


def stored_types(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table or subquery."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def stage_types(con: duckdb.DuckDBPyConnection, resource: Resource) -> dict[str, str]:
    """The types of a resource's staged (typed) rows: what every output stores."""
    return stored_types(con, stage_ref(resource))


# ---------------------------------------------------------------- canonical (export) values
def export_expr(f: dict[str, Any], column: str, stored: str | None = None) -> str:
    """A typed column as SQLite stores it: text, BIGINT or DOUBLE (also used for hashing).

    ``stored`` is the column's type in the relation read (default: from the field's type);
    a text column is taken as already exported.
    """
    t = stored or _default_stored(f)
    if t in ("BIGINT", "INTEGER", "BOOLEAN", "HUGEINT"):
        return f"CAST({column} AS BIGINT)"
    if t == "DOUBLE":
        return f"CAST({column} AS DOUBLE)"
    if t in ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"replace(CAST({column} AS VARCHAR), ' ', 'T')"
    if t in ("TIME WITH TIME ZONE", "TIMETZ"):
        return f"CAST(timezone('UTC', {column}) AS VARCHAR)"
    return f"CAST({column} AS VARCHAR)"


def _default_stored(f: dict[str, Any]) -> str:
    return {"integer": "BIGINT", "year": "INTEGER", "boolean": "BOOLEAN", "number": "DOUBLE",
            "datetime": "TIMESTAMP"}.get(field_type(f), "VARCHAR")


def sqlite_affinity(stored: str) -> str:
    """The SQLite column type of a stored DuckDB type."""
    if stored in ("BIGINT", "INTEGER", "BOOLEAN"):
        return "INTEGER"
    if stored == "DOUBLE":
        return "REAL"
    return "TEXT"


def export_columns(resource: Resource, types: dict[str, str] | None = None) -> list[str]:
    """The export expressions of every field of ``resource``, in schema order; ``types``
    are the stored types of the relation read."""
    return [export_expr(f, quote_ident(f.name), (types or {}).get(f.name))
            for f in resource.fields]


def export_select_sql(resource: Resource, source: str,
                      types: dict[str, str] | None = None) -> str:
    cols = ", ".join(
        f"{e} AS {quote_ident(f.name)}"
        for e, f in zip(export_columns(resource, types), resource.fields, strict=True)
    )
    return f"SELECT {cols} FROM {source}"


# ---------------------------------------------------------------- DDL
def check_constraints(f: Field, target: str | None = None) -> list[str]:
    """CHECK expressions for a field's constraints (enum, ranges, lengths, pattern);
    ``target`` is the column's stored type."""
    c = f.constraints
    col = quote_ident(f.name)
    t = field_type(f)
    target = target or duckdb_type(f)
    if target == "VARCHAR" and t not in ("string", "any"):
        return []  # integers beyond 38 digits kept as text: checked by the validation
    checks: list[str] = []

    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float) and t in ("integer", "number", "year"):
            return repr(v)
        return f"CAST({sql_string(v)} AS {target})"

    if c.get("enum"):
        checks.append(f"{col} IN ({', '.join(lit(v) for v in c['enum'])})")
    if t in _NUMERIC:
        for key, op in (
            ("minimum", ">="),
            ("maximum", "<="),
            ("exclusiveMinimum", ">"),
            ("exclusiveMaximum", "<"),
        ):
            if c.get(key) is not None:
                checks.append(f"{col} {op} {lit(c[key])}")
    if t == "string":
        if c.get("minLength") is not None:
            checks.append(f"length({col}) >= {int(c['minLength'])}")
        if c.get("maxLength") is not None:
            checks.append(f"length({col}) <= {int(c['maxLength'])}")
        if c.get("pattern"):
            checks.append(f"regexp_full_match({col}, {sql_string(c['pattern'])})")
    return checks


def create_table_sql(resource: Resource, table_ref: str, *,
                     self_references: bool = True, types: dict[str, str] | None = None,
                     package: Package | None = None) -> str:
    """``CREATE TABLE`` with types, NOT NULL, UNIQUE, CHECK, PRIMARY and FOREIGN KEY.

    ``self_references=False`` leaves out the foreign keys of a table to itself (see
    :func:`self_reference_breaks`); ``types`` are the stored types (default: the fields').
    A Table Schema foreign key may reference any fields; DuckDB's only a primary key or a
    unique constraint (``Resource.is_key``), so with ``package`` given, any other is left
    out of the table (validation has checked it).
    """
    pk = resource.primary_key
    lines = []
    for f in resource.fields:
        stored = (types or {}).get(f.name) or duckdb_type(f)
        parts = [quote_ident(f.name), stored]
        if f.required or f.name in pk:
            parts.append("NOT NULL")
        if f.unique and [f.name] != pk:
            parts.append("UNIQUE")
        parts += [f"CHECK ({chk})" for chk in check_constraints(f, stored)]
        lines.append(" ".join(parts))
    if pk:
        lines.append(f"PRIMARY KEY ({', '.join(quote_ident(n) for n in pk)})")
    single = {f.name for f in resource.fields if f.unique}
    for uk in resource.unique_keys:
        if uk != pk and not (len(uk) == 1 and uk[0] in single):
            lines.append(f"UNIQUE ({', '.join(quote_ident(n) for n in uk)})")
    for fk in resource.foreign_keys:
        if fk.resource == resource.name and not self_references:
            continue
        target = package.resource(fk.resource) if package is not None else None
        if package is not None and (target is None or not target.is_key(fk.reference_fields)):
            continue
        lines.append(
            f"FOREIGN KEY ({', '.join(quote_ident(n) for n in fk.fields)}) "
            f"REFERENCES {quote_ident(fk.resource)} "
            f"({', '.join(quote_ident(n) for n in fk.reference_fields)})"
        )
    body = ",\n  ".join(lines)
    return f"CREATE TABLE {table_ref} (\n  {body}\n)"


def comment_sql(resource: Resource, table_ref: str) -> list[str]:
    """``COMMENT ON`` statements from the resource's and fields' titles/descriptions."""
    stmts = []
    table_text = _describe(resource.title, resource.description)
    if table_text:
        stmts.append(f"COMMENT ON TABLE {table_ref} IS {sql_string(table_text)}")
    for f in resource.fields:
        text = _describe(f.title, f.description)
        if text:
            stmts.append(
                f"COMMENT ON COLUMN {table_ref}.{quote_ident(f.name)} IS {sql_string(text)}"
            )
    return stmts


def _describe(title: str | None, description: str | None) -> str:
    if title and description:
        return f"{title}: {description}"
    return title or description or ""


# ---------------------------------------------------------------- writing the file
def connect(temp_dir: Path | None = None, memory_limit: str = "500MB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with bounded memory (spilling into ``temp_dir``)."""
    con = duckdb.connect(config={"memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")  # as the validation reads datetimes without a zone
    if temp_dir is not None:
        con.execute(f"SET temp_directory = {sql_string(temp_dir.as_posix())}")
    con.execute("SET preserve_insertion_order = true")
    return con


def attach(con: duckdb.DuckDBPyConnection, path: Path, *, read_only: bool = False) -> None:
    opts = ("READ_ONLY" if read_only else
            f"STORAGE_VERSION {sql_string(STORAGE_VERSION)}, BLOCK_SIZE {BLOCK_SIZE}")
    con.execute(f"ATTACH {sql_string(path.as_posix())} AS {OUT} ({opts})")


STAGE = "stage"  # an attached scratch database (visible to every cursor, unlike TEMP)


def attach_stage(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """Attach the scratch database for the typed rows: a file (``path``, in the spill folder,
    so its blocks can leave memory at 10,000,000 rows) or in memory."""
    target = sql_string(path.as_posix()) if path is not None else "':memory:'"
    con.execute(f"ATTACH IF NOT EXISTS {target} AS {STAGE}")


def stage_ref(resource: Resource) -> str:
    """The in-memory table holding a resource's typed rows (CSV read once)."""
    return qualified(resource.name, STAGE)


def stage_table(
    con: duckdb.DuckDBPyConnection, resource: Resource, path: Path | None = None
) -> str:
    """Read and type a resource's CSV once into the scratch database.

    Every later step reads this table: the CSV digest, the constrained DuckDB table and the
    SQLite copy. Returns the table reference. A wide table is read in Python and typed a
    kind of field at a time (``wide_stage``).
    """
    from semicon.build.wide_stage import stage_wide

    attach_stage(con, path)
    ref = stage_ref(resource)
    text = qualified(f"{resource.name}__text", STAGE)
    with tempfile.TemporaryDirectory(prefix="semicon-stage-") as tmp:
        if is_wide(resource.fields):
            stage_wide(con, resource, text_arrow(resource, Path(tmp)), ref)
            return ref
        text_table(con, resource, text, Path(tmp))
    try:
        types = storage_types(con, resource, text)
        con.execute(f"CREATE OR REPLACE TABLE {ref} AS "
                    f"{typed_select_sql(resource, text, types)}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {text}")
    return ref


LOAD_CHUNK_ROWS = 1_000_000


def self_reference_breaks(con: duckdb.DuckDBPyConnection, resource: Resource,
                          source: str) -> list[int] | None:
    """Row positions where a new ``INSERT`` must start for the table's foreign keys to itself.

    DuckDB checks a foreign key against the rows present before the statement, so a row
    must come in a later statement than the row it references. Each reference from row
    ``r`` to an earlier row ``p`` needs a statement start in ``(p, r]``; the fewest such
    starts are found greedily, right ends first. ``None`` when a row references itself or
    a later row: no file order of statements can load it, and the key is left out.
    """
    pairs: list[tuple[int, int]] = []
    for fk in resource.foreign_keys:
        if fk.resource != resource.name:
            continue
        on = " AND ".join(f"s.{quote_ident(a)} = p.{quote_ident(b)}"
                          for a, b in zip(fk.fields, fk.reference_fields, strict=True))
        pairs += con.execute(
            f"SELECT s.rowid, min(p.rowid) FROM {source} s JOIN {source} p ON {on} "
            "GROUP BY s.rowid").fetchall()
    breaks: list[int] = []
    for row, parent in sorted(pairs, key=lambda rp: rp[0]):
        if parent >= row:
            return None
        if not breaks or breaks[-1] <= parent:
            breaks.append(row)
    return breaks


def load_table(
    con: duckdb.DuckDBPyConnection,
    resource: Resource,
    source: str,
    chunk_rows: int | None = None,
    package: Package | None = None,
) -> None:
    """Create the typed table with its constraints and comments and fill it from ``source``.

    Rows go in by ``rowid`` ranges of ``chunk_rows``, one transaction each, in the staged
    order: one 10,000,000-row transaction failed at commit under ``memory_limit = 600MB``
    ("failed to pin block"); 1,000,000-row chunks stayed at about 620 MB RSS. A table
    referencing itself is also split where :func:`self_reference_breaks` says, so that its
    foreign key can be declared; where it cannot (a row referencing a later one), the key
    is left out of the DuckDB table (validation has checked it).
    """
    ref = qualified(resource.name)
    breaks = self_reference_breaks(con, resource, source)
    con.execute(create_table_sql(resource, ref, self_references=breaks is not None,
                                 types=stored_types(con, source), package=package))
    for stmt in comment_sql(resource, ref):
        con.execute(stmt)
    cols = ", ".join(quote_ident(n) for n in resource.field_names)
    chunk_rows = chunk_rows or LOAD_CHUNK_ROWS
    total = _scalar(con, f"SELECT count(*) FROM {source}")
    starts = sorted({0, *range(0, total, chunk_rows), *(breaks or [])})
    if len(starts) == 1:
        con.execute(f"INSERT INTO {ref} ({cols}) SELECT {cols} FROM {source}")
        return
    for low, high in zip(starts, [*starts[1:], total], strict=True):
        con.execute(f"INSERT INTO {ref} ({cols}) SELECT {cols} FROM {source} "
                    f"WHERE rowid >= {low} AND rowid < {high}")


def write_dictionary(
    con: duckdb.DuckDBPyConnection,
    columns: list[str],
    types: dict[str, str],
    rows: list[dict[str, Any]],
    table: str = "_data_dictionary",
) -> None:
    """``_data_dictionary`` (one row per column of every table), as in the SQLite file."""
    ref = qualified(table)
    body = ", ".join(
        f"{quote_ident(c)} {'BIGINT' if types.get(c, 'TEXT').upper() == 'INTEGER' else 'VARCHAR'}"
        for c in columns
    )
    con.execute(f"CREATE TABLE {ref} ({body})")
    con.execute(f"COMMENT ON TABLE {ref} IS 'One row per column of every table'")
    if rows:  # as one Arrow table: executemany took 3 ms a row (33 s for 9,074 columns)
        from semicon.build.sqlite_db import dictionary_arrow

        view = "__semicon_dictionary"
        con.register(view, dictionary_arrow(columns, types, rows))
        try:
            con.execute(f"INSERT INTO {ref} SELECT * FROM {quote_ident(view)}")
        finally:
            con.unregister(view)


def create_views(con: duckdb.DuckDBPyConnection, statements: Iterable[tuple[str, str]]) -> None:
    """Create the generated views (name, SELECT) in the output file."""
    con.execute(f"USE {OUT}")
    try:
        for name, select in statements:
            con.execute(f"CREATE VIEW {quote_ident(name)} AS {select}")
    finally:
        con.execute("USE memory")


def write_build_table(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], built_at: str | None
) -> None:
    """The ``_build`` table: one row per table with package, tool and content facts."""
    ref = qualified("_build")
    con.execute(
        f"CREATE TABLE {ref} (table_name VARCHAR PRIMARY KEY, row_count BIGINT, "
        "primary_key_hash VARCHAR, content_hash VARCHAR, package_name VARCHAR, "
        "package_version VARCHAR, built_at TIMESTAMP, tool_versions VARCHAR)"
    )
    con.execute(f"COMMENT ON TABLE {ref} IS 'How and from what this file was built'")
    con.executemany(
        f"INSERT INTO {ref} VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), ?)",
        [
            [
                r["table_name"],
                r["row_count"],
                r["primary_key_hash"],
                r["content_hash"],
                r["package_name"],
                r["package_version"],
                built_at,
                json.dumps(r["tool_versions"], sort_keys=True),
            ]
            for r in rows
        ],
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchall()
    return row[0][0]
