"""Generate a synthetic Data Package shaped like ``funding_allocations``.

Used by ``benchmarks/validate_bench.py`` and by the tests in ``tests/validate``.
``write_package(folder, rows, bad_every=...)`` writes ``datapackage.json``,
``data/sources.csv`` and ``data/allocations.csv``; with ``bad_every`` set, one row in
``bad_every`` carries one error, cycling through :data:`BAD_KINDS`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"

N_SOURCES = 50

SOURCES_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "source_id", "type": "string", "constraints": {"required": True,
                                                                "pattern": "S[0-9]{3}"}},
        {"name": "title", "type": "string", "constraints": {"required": True}},
        {"name": "published_on", "type": "date"},
    ],
    "primaryKey": ["source_id"],
}

ALLOCATIONS_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "allocation_id", "type": "string",
         "constraints": {"required": True, "pattern": "FA-[0-9]{7}"}},
        {"name": "source_id", "type": "string", "constraints": {"required": True}},
        {"name": "amount", "type": "integer", "constraints": {"required": True, "minimum": 0}},
        {"name": "currency", "type": "string", "constraints": {"enum": ["EUR", "USD"]}},
        {"name": "status", "type": "string",
         "constraints": {"enum": ["announced", "committed", "disbursed"]}},
        {"name": "title", "type": "string", "constraints": {"required": True, "maxLength": 60}},
        {"name": "announced_on", "type": "date"},
        {"name": "period_start_year", "type": "integer",
         "constraints": {"minimum": 2000, "maximum": 2100}},
        {"name": "period_end_year", "type": "integer",
         "constraints": {"minimum": 2000, "maximum": 2100}},
        {"name": "share", "type": "number", "constraints": {"minimum": 0, "maximum": 1}},
    ],
    "primaryKey": ["allocation_id"],
    "foreignKeys": [
        {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["source_id"]}},
    ],
}

HEADER = [f["name"] for f in ALLOCATIONS_SCHEMA["fields"]]

#: the package's declared rules (docs/declarations.md): a period does not end before it starts
DECLARATIONS: dict[str, Any] = {"rules": [
    {"rule": "range", "resource": "allocations", "low": "period_start_year",
     "high": "period_end_year", "strict": False},
]}

#: error kinds injected by ``bad_every``: (kind, frictionless code or None, field)
BAD_KINDS: list[tuple[str, str | None, str | None]] = [
    ("amount-type", "type-error", "amount"),
    ("amount-minimum", "constraint-error", "amount"),
    ("currency-enum", "constraint-error", "currency"),
    ("id-pattern", "constraint-error", "allocation_id"),
    ("title-required", "constraint-error", "title"),
    ("title-maxlength", "constraint-error", "title"),
    ("date-type", "type-error", "announced_on"),
    ("year-maximum", "constraint-error", "period_end_year"),
    ("share-type", "type-error", "share"),
    ("duplicate-id", "primary-key", None),
    ("missing-source", "foreign-key", None),
    ("missing-cell", "missing-cell", "share"),
    ("extra-cell", "extra-cell", ""),
    ("range-order", None, "period_end_year"),
    ("formula", None, "title"),
]

STATUSES = ("announced", "committed", "disbursed")


def _row(i: int) -> list[str]:
    start = 2020 + i % 10
    return [
        f"FA-{i:07d}",
        f"S{i % N_SOURCES:03d}",
        str((i * 7919) % 5_000_000_000),
        "EUR" if i % 5 else "USD",
        STATUSES[i % 3],
        f"Allocation number {i} for chips",
        f"20{20 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        str(start),
        str(start + i % 4),
        f"0.{i % 1000:03d}",
    ]


def _spoil(row: list[str], kind: str, i: int) -> list[str]:
    if kind == "amount-type":
        row[2] = "12x"
    elif kind == "amount-minimum":
        row[2] = "-5"
    elif kind == "currency-enum":
        row[3] = "GBP"
    elif kind == "id-pattern":
        row[0] = f"fa-{i:07d}"
    elif kind == "title-required":
        row[5] = ""
    elif kind == "title-maxlength":
        row[5] = "x" * 61
    elif kind == "date-type":
        row[6] = "2021-02-30"
    elif kind == "year-maximum":
        row[8] = "2101"
    elif kind == "share-type":
        row[9] = "half"
    elif kind == "duplicate-id":
        row[0] = f"FA-{i - 1:07d}"
    elif kind == "missing-source":
        row[1] = "S999"
    elif kind == "missing-cell":
        row = row[:-1]
    elif kind == "extra-cell":
        row = [*row, "surplus"]
    elif kind == "range-order":
        row[7], row[8] = "2030", "2025"
    elif kind == "formula":
        row[5] = "=HYPERLINK(\"http://x\")"
    return row


def _csv_line(cells: list[str]) -> str:
    out = []
    for c in cells:
        if any(ch in c for ch in ',"\n\r'):
            c = '"' + c.replace('"', '""') + '"'
        out.append(c)
    return ",".join(out) + "\n"


def write_package(
    folder: str | Path,
    rows: int = 1000,
    *,
    bad_every: int | None = None,
    with_hash: bool = True,
) -> Path:
    """Write the synthetic package into ``folder``; return the descriptor path.

    ``bad_every=1000`` spoils about 0.1% of the rows (one error each, kinds cycling).
    """
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    src = folder / "data" / "sources.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        fh.write("source_id,title,published_on\n")
        for s in range(N_SOURCES):
            fh.write(f"S{s:03d},Kamerbrief {s},2024-{1 + s % 12:02d}-15\n")
    alloc = folder / "data" / "allocations.csv"
    kind_index = 0
    buf: list[str] = []
    with alloc.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        for i in range(rows):
            row = _row(i)
            if bad_every and i % bad_every == bad_every - 1:
                kind = BAD_KINDS[kind_index % len(BAD_KINDS)][0]
                kind_index += 1
                row = _spoil(row, kind, i)
            buf.append(_csv_line(row))
            if len(buf) >= 10000:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))
    resources = []
    for name, path, schema in (
        ("sources", src, SOURCES_SCHEMA),
        ("allocations", alloc, ALLOCATIONS_SCHEMA),
    ):
        res: dict[str, Any] = {
            "name": name,
            "path": f"data/{path.name}",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }
        if with_hash:
            res["bytes"] = path.stat().st_size
            res["hash"] = "md5:" + _md5(path)
        resources.append(res)
    descriptor = {"$schema": PROFILE, "name": "synthetic-allocations", "resources": resources,
                  "semicon": DECLARATIONS}
    out = folder / "datapackage.json"
    out.write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    return out


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
