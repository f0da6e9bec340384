"""Every consumer reads the one parsed package model: nothing re-reads or re-parses the
descriptor, and what a consumer shows is what the model holds."""

from __future__ import annotations

import json

import pytest
from semicon.build import duckdb_db, parquet_files, site, sqlite_db
from semicon.build.data_dictionary import data_dictionary_rows
from semicon.build.datasette_metadata import build_metadata, site_documents
from semicon.schemas import model
from semicon.schemas.model import Package, load_package
from semicon.schemas.rules import load_declarations
from semicon.schemas.validation.descriptor import kept_fields

from tests.conftest import BUNDLED


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> tuple[Package, list[str]]:
    """The bundled package parsed once; afterwards every parse or re-inlining is counted."""
    package = load_package(BUNDLED)
    calls: list[str] = []

    def counted(name: str, original):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)
        return wrapper

    for name in ("load_package", "parse_package", "read_descriptor", "parse_schema",
                 "parse_text"):
        monkeypatch.setattr(model, name, counted(name, getattr(model, name)))
    monkeypatch.setattr(Package, "inlined", counted("inlined", Package.inlined))
    return package, calls


def _consumers(package: Package) -> dict[str, object]:
    return {
        "site metadata": build_metadata(package),
        "reading pages' coverage": [d.get("coverage") for d in json.loads(
            site.site_metadata(package, {}))["plugins"]["semicon-site"]["documents"]],
        "data dictionary": data_dictionary_rows(package),
        "SQLite DDL": {r.name: sqlite_db.create_table_sql(r) for r in package.tables},
        "DuckDB comments": {r.name: duckdb_db.comment_sql(r, r.name) for r in package.tables},
        "search index": sqlite_db.search_columns(package),
        "sort indexes": sqlite_db.sort_columns(package),
        "parquet metadata": {r.name: parquet_files.parquet_metadata(r, package)
                             for r in package.tables},
        "documents": [d.id for d in site_documents(package)],
        "rules": load_declarations(package).rules,
        "kept fields": kept_fields(package, load_declarations(package).reads),
    }


def test_consumers_never_reparse_the_descriptor(parsed):
    package, calls = parsed
    out = _consumers(package)
    assert all(out.values())
    assert calls == []


def test_consumers_show_what_the_model_holds(parsed):
    """A change made to the parsed model (not to the file) reaches every consumer: they read
    the model's fields, not a fresh copy of the descriptor."""
    package, _ = parsed
    table = package.tables[-1]
    field = table.fields[-1]
    field.descriptor["description"] = "Changed in the model only"
    table.descriptor["title"] = "A title from the model"
    out = _consumers(package)
    meta_table = out["site metadata"]["databases"][package.name]["tables"][table.name]
    assert meta_table["columns"][field.name].startswith("Changed in the model only")
    assert meta_table["title"] == "A title from the model"
    row = next(r for r in out["data dictionary"]
               if (r["table"], r["column"]) == (table.name, field.name))
    assert row["description"] == "Changed in the model only"
    assert out["parquet metadata"][table.name]["title"] == "A title from the model"
    assert any("Changed in the model only" in c for c in out["DuckDB comments"][table.name])


def _column_sql(ddl: str, name: str) -> str:
    return next(line.strip().rstrip(",") for line in ddl.splitlines()
                if line.strip().startswith(f'"{name}" '))


def test_the_ddl_follows_the_model(parsed):
    package, calls = parsed
    table, field = next((t, f) for t in package.tables for f in t.fields
                        if not f.required and f.name not in t.primary_key)
    assert not _column_sql(sqlite_db.create_table_sql(table), field.name).endswith("NOT NULL")
    field.descriptor.setdefault("constraints", {})["required"] = True
    assert _column_sql(sqlite_db.create_table_sql(table), field.name).endswith("NOT NULL")
    assert calls == []
