"""Unit tests of the generated Datasette metadata, data dictionary and plugin helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasette.utils import module_from_path
from semicon.build.canned_queries import canned_queries
from semicon.build.data_dictionary import COLUMNS, data_dictionary_rows
from semicon.build.datasette_metadata import build_metadata
from semicon.build.site_declarations import parse_site
from semicon.schemas.model import load_package

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "datapackage"
PLUGINS = ROOT / "build" / "plugins"


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return json.loads((PKG / "datapackage.json").read_text())


@pytest.fixture(scope="module")
def meta(descriptor) -> dict:
    return build_metadata(load_package(PKG))


def load_plugin(name: str):
    """A plugin file loaded the way Datasette loads ``--plugins-dir`` files."""
    path = PLUGINS / f"{name}.py"
    return module_from_path(str(path), name=path.name)


@pytest.fixture(scope="module")
def plugin():
    return load_plugin("semicon_security")


@pytest.fixture(scope="module")
def pages():
    return load_plugin("semicon_pages")


def test_plugin_modules_register_their_own_hooks():
    hooks = {
        name: {n for n, v in vars(load_plugin(name)).items()
               if callable(v) and hasattr(v, "datasette_impl")}
        for name in ("semicon_security", "semicon_cache", "semicon_pages", "semicon_cells",
                     "semicon_charts", "semicon_columns", "semicon_errors", "semicon_sqlite")
    }
    assert hooks == {
        "semicon_security": {"asgi_wrapper", "startup", "prepare_jinja2_environment"},
        "semicon_errors": {"handle_exception", "startup"},
        "semicon_sqlite": {"prepare_connection"},
        "semicon_cache": {"asgi_wrapper", "startup"},
        "semicon_pages": {"register_routes", "extra_template_vars"},
        "semicon_cells": {"render_cell"},
        "semicon_charts": {"extra_template_vars"},
        "semicon_columns": {"extra_template_vars", "extra_css_urls"},
    }
    # Security runs innermost, the response cache outermost, whatever order the files load in.
    assert load_plugin("semicon_security").asgi_wrapper.datasette_impl["tryfirst"]
    assert load_plugin("semicon_cache").asgi_wrapper.datasette_impl["trylast"]


def test_metadata_top_level(meta, descriptor):
    assert meta["title"] == descriptor["title"]
    assert meta["license_url"].startswith("https://creativecommons.org/")
    assert meta["source_url"] == "/letter"
    assert json.loads(json.dumps(meta)) == meta  # plain JSON
    assert list(meta["databases"]) == [descriptor["name"]]


def test_tables_follow_the_schemas(meta, descriptor):
    tables = meta["databases"][descriptor["name"]]["tables"]
    for res in descriptor["resources"]:
        if "schema" not in res:
            continue
        t = tables[res["name"]]
        assert set(t["columns"]) == {f["name"] for f in res["schema"]["fields"]}
        for facet in t.get("facets", []):
            assert facet in t["columns"]
        assert t["fts_table"] == res["name"] + "_fts"
    assert tables["sources"]["label_column"] == "title"
    assert tables["funding_allocations"]["label_column"] == "title"
    assert tables["funding_allocations"]["sort_desc"] == "amount"
    assert tables["events"]["sort"] == "date"


def test_canned_queries_are_the_declared_ones(meta, descriptor):
    declared = descriptor["semicon"]["site"]["queries"]
    queries = meta["databases"][descriptor["name"]]["queries"]
    assert list(queries) == list(declared)
    for name, q in queries.items():
        assert q["title"] == declared[name]["title"] and q["description"]
        assert q["sql"] == "\n".join(declared[name]["sql"])
        assert q["sql"].lower().startswith(("select", "with"))
    # a query's SQL may also be one string; a package that declares none has none
    one = parse_site({"site": {"queries": {"n": {"title": "N", "sql": " select 1 "}}}})
    assert canned_queries(one) == {"n": {"title": "N", "description": "", "sql": "select 1"}}
    assert canned_queries(parse_site({})) == {}


def test_data_dictionary_rows(descriptor):
    rows = data_dictionary_rows(load_package(PKG))
    assert rows and set(rows[0]) == set(COLUMNS)
    amount = next(r for r in rows if r["table"] == "funding_allocations"
                  and r["column"] == "amount")
    assert amount["type"] == "integer" and amount["description"]
    currency = next(r for r in rows if r["table"] == "funding_allocations"
                    and r["column"] == "currency")
    assert "one of: " in currency["constraints"]
    pk = next(r for r in rows if r["column"] == "allocation_id")
    assert pk["required"] == 1 and "primary key" in pk["constraints"]


@pytest.mark.parametrize(("cell", "out"), [
    ("=1+2", "'=1+2"), ("+31 6", "'+31 6"), ("-5", "-5"), ("-1.5e3", "-1.5e3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain"), ("", ""),
    ("- bullet", "'- bullet"),
])
def test_escape_cell(plugin, cell, out):
    assert plugin.escape_cell(cell) == out


def test_csv_escaper_handles_records_split_across_chunks(plugin):
    e = plugin.CsvEscaper()
    data = b'a,b\r\n"=x\nmore",-3\r\n@y,"multi\r\nline"\r\n'
    out = b"".join(e.feed(data[i:i + 3], final=i + 3 >= len(data))
                   for i in range(0, len(data), 3))
    import csv
    import io

    rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert rows == [["a", "b"], ["'=x\nmore", "-3"], ["'@y", "multi\r\nline"]]


@pytest.mark.parametrize("path", ["//evil.com", "/\\evil.com", "/%5cevil.com", "/a\\b"])
def test_unsafe_paths(plugin, path):
    assert plugin.unsafe_path(path)


def test_safe_location(plugin):
    assert plugin.safe_location("/semicon-nl/events")
    assert not plugin.safe_location("//evil.com")
    assert not plugin.safe_location("/\\evil.com")
    assert not plugin.safe_location("https://evil.com/")


def test_highlight_is_whitespace_insensitive(pages):
    html, found = pages.highlight("Een  zin\nover <chips>.", "zin over <chips>")
    assert found and '<mark id="quote">zin\nover &lt;chips&gt;</mark>' in html
