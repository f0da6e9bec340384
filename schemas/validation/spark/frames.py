"""Reading a resource into Spark: its text cells (CSV) or its columns as text (Parquet).

Paths come from the descriptor (already checked to be safe and relative); they are read
from the package folder or, given ``data_root`` explicitly, from under that URI
(``s3a://``, ``abfss://``, ``hdfs://``, ``file:``...): whatever the Spark cluster can read.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semicon.schemas.model import Schema

from ..rawscan import Dialect
from .sqlgen import Cell

#: the column Spark fills with the raw line of a record with too few or too many cells
CORRUPT = "__corrupt"
#: the number of cells of a record (``NULL`` for well-formed records)
TOKENS = "__tokens"
EXTRA = "__extra"
PARQUET_FORMATS = ("parquet",)
CSV_FORMATS = ("csv", "tsv", "txt")


@dataclass
class SparkResource:
    """One resource as Spark sees it: where it is, its header and its text cells."""

    name: str
    schema: Schema
    path: str | None
    locations: list[str] = field(default_factory=list)
    fmt: str = "csv"
    header: list[str] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    frame: Any = None
    rows: int = 0

    @property
    def by_name(self) -> dict[str, Cell]:
        return {c.name: c for c in self.cells}


def resource_format(res: dict[str, Any], path: str) -> str:
    return str(res.get("format") or Path(path).suffix.lstrip(".")).lower()


def locate(base: Path, data_root: str | None, paths: list[str]) -> list[str]:
    """Where Spark reads ``paths``: under ``data_root`` when given, else the package folder."""
    if data_root:
        root = data_root.rstrip("/")
        return [f"{root}/{p.lstrip('/')}" for p in paths]
    return [str((base / p).resolve()) for p in paths]


def read_header(spark: Any, location: str, dialect: Dialect) -> list[str]:
    """The header labels: the first line of the first file, parsed with Python's csv."""
    rows = spark.read.text(location).limit(1).collect()
    if not rows:
        return []
    line = rows[0][0] or ""
    if line.startswith("\ufeff"):
        line = line[1:]
    try:
        return next(dialect.reader(io.StringIO(line, newline="")))
    except (StopIteration, csv.Error):
        return []


def uses_udf(dialect: Dialect) -> bool:
    """Whether counting the cells of a malformed record needs Python (an escape char)."""
    return bool(dialect.escape) and dialect.escape != dialect.quote


def count_cells(dialect: Dialect) -> Any:
    """The number of cells of a raw CSV record (run on malformed records only).

    With the usual quoting (a quote inside a quoted cell doubled), quoted cells are removed
    and the delimiters left are counted, in Spark SQL; with an escape character, Python's
    csv module counts them (a Python UDF).
    """
    from pyspark.sql import functions as F

    if not uses_udf(dialect):
        q = re.escape(dialect.quote)
        unquoted = F.regexp_replace(F.col(CORRUPT), f"{q}([^{q}]|{q}{q})*{q}", "")
        return F.size(F.split(unquoted, re.escape(dialect.delimiter), -1))
    return _count_cells_udf(dialect)(F.col(CORRUPT))


def _count_cells_udf(dialect: Dialect) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    # only standard-library names: the workers of a cluster need not have semicon
    options = {"delimiter": dialect.delimiter, "quotechar": dialect.quote,
               "doublequote": dialect.double_quote}
    if dialect.escape:
        options["escapechar"] = dialect.escape

    def tokens(line: str | None) -> int | None:
        import csv
        import io

        if line is None:
            return None
        try:
            return len(next(csv.reader(io.StringIO(line, newline=""), **options)))
        except (StopIteration, csv.Error):
            return 0

    return F.udf(tokens, T.IntegerType())


def with_typed(frame: Any, cells: list[Cell]) -> Any:
    """The text cells, ``__extra`` and each field's typed column (``t0``, ``t1``...)."""
    from pyspark.sql import functions as F

    return frame.select(*[F.col(c.col) for c in cells], F.col(EXTRA),
                        *[F.expr(c.typed_definition).alias(c.tcol) for c in cells])


def csv_cells(spark: Any, r: SparkResource, dialect: Dialect, encoding: str) -> Any:
    """The CSV as one text column per header label, ``NULL`` only for missing cells.

    Spark reads an unquoted empty cell as ``NULL`` like a missing one: well-formed records
    have every cell (``NULL`` -> ``''``); malformed ones (``__corrupt`` set) are re-counted
    (:func:`count_cells`), so cells past their last one are missing.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    n = len(r.header)
    names = [f"c{i}" for i in range(n)]
    schema = T.StructType([T.StructField(c, T.StringType()) for c in names]
                          + [T.StructField(CORRUPT, T.StringType())])
    raw = spark.read.csv(
        r.locations, schema=schema, header=dialect.header, sep=dialect.delimiter,
        quote=dialect.quote, escape=dialect.escape or dialect.quote, encoding=encoding,
        mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT, multiLine=False,
        ignoreLeadingWhiteSpace=False, ignoreTrailingWhiteSpace=False, enforceSchema=True,
    )
    cells = [F.coalesce(F.col(c), F.lit("")).alias(c) for c in names]
    if uses_udf(dialect):
        # the Python UDF runs on malformed records only: a branch of their own
        ok = raw.filter(F.col(CORRUPT).isNull()).select(*cells, F.lit(0).alias(EXTRA))
        bad = raw.filter(F.col(CORRUPT).isNotNull()).withColumn(TOKENS, count_cells(dialect))
        return ok.unionByName(_short_or_long(bad, names))
    # one pass over the file: well-formed records count as the header's number of cells
    counted = raw.withColumn(TOKENS, F.when(F.col(CORRUPT).isNull(), F.lit(n))
                             .otherwise(count_cells(dialect)))
    return _short_or_long(counted, names)


def _short_or_long(frame: Any, names: list[str]) -> Any:
    """Cells past a record's last one are missing (``NULL``); beyond the header, extra."""
    from pyspark.sql import functions as F

    n = len(names)
    return frame.select(
        *[F.when(F.col(TOKENS) > i, F.coalesce(F.col(c), F.lit(""))).alias(c)
          for i, c in enumerate(names)],
        F.greatest(F.col(TOKENS) - F.lit(n), F.lit(0)).alias(EXTRA))


def parquet_cells(spark: Any, r: SparkResource) -> Any:
    """A Parquet resource's columns as text, in the order of its file's columns."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(*r.locations)
    r.header = list(frame.columns)
    return frame.select(
        *[F.coalesce(F.col(f"`{c}`").cast("string"), F.lit("")).alias(f"c{i}")
          for i, c in enumerate(r.header)], F.lit(0).alias(EXTRA))
