"""Registry-wide checks over every Table Schema: the single source of truth for columns."""

from __future__ import annotations

import pytest
from semicon.schemas.registry import load_table_schema, table_names
from semicon.schemas.sqltypes import DUCKDB_TYPES

TABLES = table_names()
FIELDS = [(t, f["name"]) for t in TABLES for f in load_table_schema(t)["fields"]]
TRACED = [t for t in TABLES if t != "sources"]


def field(table: str, name: str) -> dict:
    return next(f for f in load_table_schema(table)["fields"] if f["name"] == name)


def test_the_product_tables_exist():
    assert {
        "sources",
        "funding_allocations",
        "partnerships",
        "coalitions",
        "coalition_members",
        "board_members",
    } <= set(TABLES)


@pytest.mark.parametrize(("table", "name"), FIELDS)
def test_every_field_has_a_description_and_a_known_type(table, name):
    spec = field(table, name)
    assert spec.get("description", "").strip(), f"{table}.{name} has no description"
    assert spec.get("type") in DUCKDB_TYPES, f"{table}.{name} has no known type"


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_a_title_description_and_primary_key(table):
    schema = load_table_schema(table)
    assert schema["title"] and schema["description"]
    names = [f["name"] for f in schema["fields"]]
    assert schema["primaryKey"], table
    for key in schema["primaryKey"]:
        assert key in names
        assert field(table, key)["constraints"]["required"] is True


@pytest.mark.parametrize("table", TABLES)
def test_every_foreign_key_resolves_to_a_unique_key(table):
    schema = load_table_schema(table)
    names = {f["name"] for f in schema["fields"]}
    for fk in schema.get("foreignKeys", []):
        assert set(fk["fields"]) <= names
        target = fk["reference"].get("resource") or table
        assert target in TABLES, f"{table} refers to unknown table {target}"
        target_schema = load_table_schema(target)
        assert fk["reference"]["fields"] == target_schema["primaryKey"]


@pytest.mark.parametrize("table", TRACED)
def test_every_fact_table_is_traceable(table):
    schema = load_table_schema(table)
    names = [f["name"] for f in schema["fields"]]
    assert names[-2:] == ["source_id", "source_quote"]
    assert field(table, "source_id")["constraints"]["required"] is True
    assert field(table, "source_quote")["constraints"]["required"] is True
    refs = {tuple(fk["fields"]): fk["reference"].get("resource") for fk in schema["foreignKeys"]}
    assert refs[("source_id",)] == "sources"


@pytest.mark.parametrize(("table", "name"), FIELDS)
def test_names_are_snake_case(table, name):
    assert name.isidentifier() and name == name.lower()
