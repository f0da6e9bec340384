"""Small data packages and a light build function, for the release and diff tests."""

from __future__ import annotations

import copy
import json
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

COMPANIES_FIELDS = [
    {"name": "id", "type": "integer", "constraints": {"required": True}},
    {"name": "name", "type": "string", "title": "Name", "constraints": {"required": True}},
    {"name": "founded", "type": "date"},
    {"name": "employees", "type": "integer", "constraints": {"minimum": 0}},
    {"name": "listed", "type": "boolean"},
    {"name": "revenue", "type": "number", "description": "Revenue in EUR million"},
]
COMPANIES_ROWS = [
    ["1", "ASML", "1984-04-01", "42000", "true", "28262.9"],
    ["2", "NXP", "2006-09-29", "34500", "true", "12600.0"],
    ["3", "Nexperia, B.V.", "2017-02-06", "12500", "false", ""],
]
SITES_FIELDS = [
    {"name": "site_id", "type": "string"},
    {"name": "company_id", "type": "integer"},
    {"name": "city", "type": "string"},
]
LETTER_PATH = "sources/letter.txt"
SITES_ROWS = [["v", "1", "Veldhoven"], ["e", "2", "Eindhoven"], ["n", "3", "Nijmegen"]]

DUCK = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
}
LITE = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
}


def csv_text(fields: list[dict[str, Any]], rows: list[list[str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([f["name"] for f in fields])
    writer.writerows(rows)
    return buf.getvalue()


def base_descriptor() -> dict[str, Any]:
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "demo-nl",
        "title": "Demo semiconductor data",
        "description": "A small package for tests.",
        "version": "1.0.0",
        "created": "2025-06-01T12:00:00Z",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "sources": [
            {"title": "Voortgangsbrief halfgeleiderindustrie", "path": "https://example.org/l"}
        ],
        "contributors": [
            {"title": "Demo Maintainer", "roles": ["author"], "email": "demo@example.org"},
            {"givenName": "Ada", "familyName": "Lovelace", "roles": ["author"]},
        ],
        "keywords": ["semiconductors", "Netherlands"],
        # the letter's text is a declared source document (released beside the data)
        "semicon": {"provenance": {"documents": [
            {"id": "letter", "title": "Voortgangsbrief halfgeleiderindustrie",
             "path": LETTER_PATH},
        ]}},
        "resources": [
            {
                "name": "companies",
                "type": "table",
                "path": "data/companies.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "title": "Companies",
                "schema": {"fields": COMPANIES_FIELDS, "primaryKey": ["id"]},
            },
            {
                "name": "sites",
                "type": "table",
                "path": "data/sites.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": SITES_FIELDS,
                    "primaryKey": ["site_id"],
                    "foreignKeys": [
                        {
                            "fields": ["company_id"],
                            "reference": {"resource": "companies", "fields": ["id"]},
                        }
                    ],
                },
            },
        ],
    }


def write_package(
    root: Path,
    descriptor: dict[str, Any] | None = None,
    tables: dict[str, list[list[str]]] | None = None,
    letter: str | None = "Geachte Voorzitter,\n\nDit is een testbrief.\n",
) -> Path:
    """Write a package folder; ``tables`` overrides rows per table. Returns the descriptor."""
    descriptor = copy.deepcopy(descriptor or base_descriptor())
    rows = {"companies": COMPANIES_ROWS, "sites": SITES_ROWS, **(tables or {})}
    (root / "data").mkdir(parents=True, exist_ok=True)
    for res in descriptor["resources"]:
        if "schema" in res:
            text = csv_text(res["schema"]["fields"], rows.get(res["name"], []))
            (root / res["path"]).write_text(text, encoding="utf-8")
    if letter is not None:
        (root / LETTER_PATH).parent.mkdir(exist_ok=True)
        (root / LETTER_PATH).write_text(letter, encoding="utf-8")
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")
    return path


def fake_build(
    descriptor_path: Path, out_dir: Path, *, force: bool = False, progress: bool = False
) -> None:
    """A light build_package for these tests: typed DuckDB, SQLite, Parquet."""
    descriptor_path = Path(getattr(descriptor_path, "path", descriptor_path))  # or parsed
    if descriptor_path.is_dir():
        descriptor_path = descriptor_path / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    base = descriptor_path.parent
    out = Path(out_dir)
    (out / "parquet").mkdir(parents=True, exist_ok=True)
    name = descriptor["name"]
    for suffix in (".duckdb", ".db"):
        (out / f"{name}{suffix}").unlink(missing_ok=True)
    con = duckdb.connect(str(out / f"{name}.duckdb"))
    lite = sqlite3.connect(out / f"{name}.db")
    for res in descriptor["resources"]:
        if "schema" not in res:
            continue
        fields = res["schema"]["fields"]
        cols = ", ".join(f"'{f['name']}': '{DUCK[f.get('type', 'string')]}'" for f in fields)
        table = res["name"]
        con.execute(
            f'CREATE TABLE "{table}" AS SELECT * FROM read_csv(?, header=true, columns={{{cols}}})',
            [str(base / res["path"])],
        )
        con.execute(
            f"COPY \"{table}\" TO '{out / 'parquet' / (table + '.parquet')}' (FORMAT parquet)"
        )
        coldefs = ", ".join(f'"{f["name"]}" {LITE[f.get("type", "string")]}' for f in fields)
        lite.execute(f'CREATE TABLE "{table}" ({coldefs})')
        rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
        marks = ", ".join("?" for _ in fields)
        lite.executemany(
            f'INSERT INTO "{table}" VALUES ({marks})',
            [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in r) for r in rows],
        )
    con.close()
    lite.commit()
    lite.close()


@dataclass
class FakeResult:
    skipped: bool


class CountingBuilder:
    """Like build_package: skips when the outputs are fresh; counts the builds it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, descriptor_path: Path, out_dir: Path, **kwargs: Any) -> FakeResult:
        from semicon.build.release import stale_reasons

        if not kwargs.get("force") and not stale_reasons(descriptor_path, Path(out_dir)):
            return FakeResult(skipped=True)
        self.calls += 1
        fake_build(descriptor_path, out_dir, **kwargs)
        return FakeResult(skipped=False)


def unzip_release(zip_path: Path, target: Path) -> Path:
    """Extract a release zip into ``target``; returns its one top-level folder."""
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(target)
        (top,) = {n.split("/", 1)[0] for n in zf.namelist()}
    return target / top
