"""A minimal stand-in for ``semicon.build.pipeline.build_package`` used only when the real
pipeline cannot run: SQLite (same DDL, FTS and views as the build), metadata.json, build.json.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from semicon.build.data_dictionary import COLUMNS, TABLE_NAME, data_dictionary_rows
from semicon.build.datasette_metadata import build_metadata
from semicon.build.package import load_package
from semicon.build.sqlite_db import create_table_sql, facet_columns, fts_columns
from semicon.build.views import view_statements
from semicon.schemas.sqltypes import field_type, quote_ident

q = quote_ident


def _convert(value: str, ftype: str):
    if value == "":
        return None
    if ftype in ("integer", "year"):
        return int(float(value))
    if ftype == "number":
        return float(value)
    if ftype == "boolean":
        return int(value.lower() in ("true", "1", "yes"))
    return value


def mini_build(descriptor_path: Path, out: Path) -> Path:
    package = load_package(descriptor_path)
    out.mkdir(parents=True, exist_ok=True)
    db = out / f"{package.name}.db"
    if db.exists():
        db.unlink()
    con = sqlite3.connect(db)
    with con:
        for r in package.resources:
            con.execute(create_table_sql(r))
            types = [field_type(f) for f in r.fields]
            with r.paths[0].open(encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                rows = ([_convert(v, t) for v, t in zip(row, types, strict=True)]
                        for row in reader)
                con.executemany(
                    f"INSERT INTO {q(r.name)} VALUES ({', '.join('?' * len(types))})", rows
                )
            for group in facet_columns(r):
                con.execute(f"CREATE INDEX {q('idx_' + r.name + '_' + '_'.join(group))} ON "
                            f"{q(r.name)} ({', '.join(q(c) for c in group)})")
            cols = fts_columns(r)
            if cols:
                fts = f"{r.name}_fts"
                con.execute(f"CREATE VIRTUAL TABLE {q(fts)} USING FTS5 "
                            f"({', '.join(q(c) for c in cols)}, content={q(r.name)})")
                con.execute(f"INSERT INTO {q(fts)} ({q(fts)}) VALUES ('rebuild')")
        for name, sql in view_statements(package):
            con.execute(f"CREATE VIEW {q(name)} AS {sql}")
        con.execute(f"CREATE TABLE {TABLE_NAME} ("
                    + ", ".join(f"{q(c)} {'INTEGER' if c == 'required' else 'TEXT'}"
                                for c in COLUMNS) + ")")
        con.executemany(
            f"INSERT INTO {TABLE_NAME} VALUES ({', '.join('?' * len(COLUMNS))})",
            [[row[c] for c in COLUMNS]
             for row in data_dictionary_rows(package.descriptor, package.base_dir)],
        )
    con.close()
    meta = build_metadata(package.descriptor, package.base_dir)
    (out / "metadata.json").write_text(json.dumps(meta, indent=2), "utf-8")
    (out / "build.json").write_text(json.dumps({"built_at": "mini-build"}), "utf-8")
    return db
