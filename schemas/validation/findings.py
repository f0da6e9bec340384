"""A single validation finding and the catalogue of finding codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)
#: findings kept per check query when no ``max_errors`` is given (bounds memory)
DEFAULT_CAP = 100_000


@dataclass(frozen=True)
class Finding:
    """One problem found in a data package.

    ``line`` is the 1-based physical line in the CSV file (header = line 1); ``None`` for
    findings about the descriptor or a whole file.
    """

    code: str
    severity: str
    resource: str | None
    path: str | None
    line: int | None
    field: str | None
    value: str | None
    message: str
    #: how many cells or rows the finding stands for (1 unless an engine aggregates)
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in their order (every value is a str, int or None:
        ``dataclasses.asdict``'s deep copy would cost 7 µs a finding, 0.7 s a full report)."""
        return dict(vars(self))

    def sort_key(self) -> tuple:
        return (
            self.resource or "",
            self.line if self.line is not None else -1,
            self.field or "",
            self.code,
            self.message,
        )


#: Codes that mean the input cannot be used at all (exit code 2 when reported as errors).
FATAL_CODES = frozenset(
    {
        "descriptor-error",
        "package-error",
        "resource-error",
        "schema-error",
        "field-error",
        "unsafe-path",
        "missing-file",
        "scheme-error",
        "declaration-error",
    }
)

#: Every code this validator can report, with a one-line explanation (used by docs and tests).
CODES: dict[str, str] = {
    # descriptor and files
    "descriptor-error": "datapackage.json is missing, unreadable or not a JSON object",
    "package-error": "the descriptor does not conform to the Data Package profile",
    "resource-error": "a resource descriptor is not valid",
    "schema-error": "a Table Schema is not valid",
    "field-error": "a field descriptor is not valid",
    "unsafe-path": "a resource path is absolute, contains '..', has a URL scheme or is a "
    "symlink leaving the package folder; nothing is read",
    "missing-file": "a resource file does not exist",
    "unsupported-resource": "a table in a format that is not read (ODS, XLS, ...)",
    "inferred-schema": "a table declares no Table Schema: one was inferred from its first "
    "rows, as frictionless does (a warning)",
    "hash-count": "the file does not match the declared hash",
    "byte-count": "the file size does not match the declared bytes",
    "encoding-error": "bytes that are not valid in the declared encoding",
    "html-file": "the file is an HTML page, not CSV",
    "nul-byte": "the file contains NUL bytes",
    "unterminated-quote": "a quoted cell is never closed and swallows the rest of the file",
    "empty-file": "the file has no header row",
    # header
    "blank-label": "a header label is empty",
    "duplicate-label": "a header label occurs twice",
    "case-duplicate-label": "two header labels differ only in letter case",
    "incorrect-label": "a header label differs from the schema's field name",
    "missing-label": "the header has fewer labels than the schema has fields",
    "extra-label": "the header has more labels than the schema has fields",
    # rows and cells
    "blank-row": "a row where every cell is empty",
    "missing-cell": "a row with fewer cells than the header",
    "extra-cell": "a row with more cells than the header",
    "type-error": "a cell that cannot be read as the field's type",
    "constraint-error": "a cell that breaks a field constraint (required, enum, minimum, ...)",
    "unique-error": "a value repeated in a field marked unique",
    "primary-key": "a repeated or empty primary key",
    "foreign-key": "a value not found in the referenced resource",
    "formula-injection": "a text cell starting with = + - @ tab or CR (spreadsheet formula)",
    # declared rules (semicon.rules, docs/declarations.md); a rule may declare its own code
    "declaration-error": "the package's 'semicon' property breaks its JSON Schema or names "
    "a resource or field the package lacks",
    "range-order": "the low end of a range is not below (or at) its high end",
    "parts-exceed-parent": "parts do not add up to their parent within the rounding",
    "count-mismatch": "a count differs from the number of rows naming the row",
    "quote-not-in-source": "a quote that does not occur verbatim in its source text",
    "claim-not-in-quote": "a value its row's own quote does not back",
    "sql-check": "a row fails a declared SQL condition",
    "python-check": "a row fails a pandera check of a python rule",
    "python-rule-skipped": "a python rule was not run (--allow-python not given)",
    "rule-error": "a declared rule could not run",
    "pandera-check": "a generated pandera check failed where SQL found nothing (--pandera)",
    # a release (an unzipped `semicon package` zip, or the zip itself)
    "checksum-mismatch": "a file does not match its SHA256SUMS digest",
    "checksum-error": "SHA256SUMS cannot be read or has a line that is not `<sha256>  <path>`",
    "parity-error": "a DuckDB, SQLite or Parquet file does not hold the CSV's rows",
}


def make(
    code: str,
    message: str,
    *,
    resource: str | None = None,
    path: str | None = None,
    line: int | None = None,
    field: str | None = None,
    value: Any = None,
    severity: str = ERROR,
    count: int = 1,
) -> Finding:
    """Build a finding (``value`` is turned into text, ``None`` stays ``None``)."""
    return Finding(
        code=code,
        severity=severity,
        resource=resource,
        path=path,
        line=line,
        field=field,
        value=None if value is None else str(value),
        message=message,
        count=count,
    )
