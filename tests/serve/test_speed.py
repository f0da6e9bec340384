"""What keeps uncached pages fast: inspect file, row-count-aware facets, memoized lookups."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

import pytest
from semicon.build.datasette_metadata import LARGE_TABLE_ROWS, build_metadata
from semicon.build.publish import start_args
from semicon.build.site import row_counts, serve_args, site_files
from semicon.schemas.model import load_package

from tests.serve.conftest import BUNDLED

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "build" / "plugins"
TEMPLATES = ROOT / "build" / "templates"


@pytest.fixture(autouse=True)
def _no_gc_tuning(monkeypatch):
    """In-process Datasette here: keep the plugin's gc.freeze() out of the test process."""
    monkeypatch.setenv("SEMICON_GC_TUNING", "0")


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return json.loads(BUNDLED.read_text())


def test_serve_passes_an_inspect_file_with_exact_counts(site):
    db, metadata, inspect = site_files(site.descriptor, site.out)
    args = serve_args(site.descriptor, site.out, "127.0.0.1", 1)
    assert args[args.index("--inspect-file") + 1] == str(inspect)
    assert args[args.index("--metadata") + 1] == str(metadata)
    counts = row_counts(json.loads(inspect.read_text()))
    con = sqlite3.connect(db)
    try:
        for table in ("funding_allocations", "partnerships", "events"):
            assert counts[table] == con.execute(f"select count(*) from [{table}]").fetchone()[0]
    finally:
        con.close()
    # the publish folder's start command uses its own copy
    assert start_args(db.name)[start_args(db.name).index("--inspect-file") + 1] == \
        "inspect-data.json"


def test_inspect_file_is_reused_when_current(site):
    _, _, inspect = site_files(site.descriptor, site.out)
    before = inspect.stat().st_mtime_ns
    site_files(site.descriptor, site.out)
    assert inspect.stat().st_mtime_ns == before


def test_large_tables_get_facet_links_instead_of_default_facets(descriptor):
    package = load_package(BUNDLED)
    small = build_metadata(package, row_counts={"funding_allocations": 13})
    big = build_metadata(package,
                         row_counts={"funding_allocations": LARGE_TABLE_ROWS + 1})
    name = descriptor["name"]
    facets = small["databases"][name]["tables"]["funding_allocations"]["facets"]
    assert facets
    assert "facets" not in big["databases"][name]["tables"]["funding_allocations"]
    assert big["plugins"]["semicon-site"]["facet_links"]["funding_allocations"] == facets
    assert "facet_links" not in small["plugins"]["semicon-site"]
    # without counts (the build's own metadata.json) nothing changes
    assert build_metadata(package) == small


def test_home_page_is_ours_and_index_json_is_datasettes(site):
    body = site.get("/").read().decode()
    assert 'rel="alternate" type="application/json+datasette"' in body
    assert re.search(r"Datasette v\d", body)
    data = json.load(site.get("/.json"))
    assert site.db_name in data
    # row counts on the home page come from the inspect file
    assert "13 rows" in body or " rows" in body


def _datasette(tmp_path: Path, rows: int = 5000, site: dict | None = None):
    from datasette.app import Datasette

    db = tmp_path / "big.db"
    con = sqlite3.connect(db)
    con.execute("create table t (id integer primary key, kind text, n int)")
    con.executemany("insert into t (kind, n) values (?, ?)",
                    [("abc"[i % 3], i) for i in range(rows)])
    con.commit()
    con.close()
    meta = {"plugins": {"semicon-site": site or {"facet_links": {"t": ["kind"]}}}}
    return Datasette(files=[], immutables=[str(db)], metadata=meta,
                     plugins_dir=str(PLUGINS), template_dir=str(TEMPLATES),
                     settings={"suggest_facets": False})


def test_facet_counts_are_memoized_and_still_correct(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMICON_CACHE_MB", "0")
    ds = _datasette(tmp_path)

    async def run():
        await ds.invoke_startup()
        db = ds.get_database("big")
        assert getattr(db.execute, "_semicon_memo", False)
        first = await ds.client.get("/big/t.json?_facet=kind&_size=1")
        calls = []
        original = db.execute.__kwdefaults__["_original"]

        async def spy(sql, *args, **kwargs):
            calls.append(sql)
            return await original(sql, *args, **kwargs)

        db.execute.__kwdefaults__["_original"] = spy
        again = await ds.client.get("/big/t.json?_facet=kind&_size=2")
        calls_again = list(calls)
        filtered = await ds.client.get("/big/t.json?_facet=kind&kind=a")
        return first.json(), again.json(), filtered.json(), calls_again, calls

    first, again, filtered, calls_again, calls = asyncio.run(run())
    counts = {r["value"]: r["count"] for r in first["facet_results"]["kind"]["results"]}
    assert counts == {"a": 1667, "b": 1667, "c": 1666}
    assert {r["value"]: r["count"] for r in again["facet_results"]["kind"]["results"]} == counts
    # the second page reused the facet counts; the filtered page computed its own
    assert not any("as value, count(*) as count" in sql for sql in calls_again)
    assert any("as value, count(*) as count" in sql for sql in calls[len(calls_again):])
    assert {r["value"]: r["count"] for r in filtered["facet_results"]["kind"]["results"]} == \
        {"a": 1667}


def test_table_page_links_facets_of_large_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMICON_CACHE_MB", "0")
    ds = _datasette(tmp_path)

    async def run():
        await ds.invoke_startup()
        plain = await ds.client.get("/big/t")
        faceted = await ds.client.get("/big/t?_facet=kind")
        return plain.text, faceted.text

    plain, faceted = asyncio.run(run())
    assert 'class="facet-links"' in plain and "_facet=kind" in plain
    assert 'class="facet-links"' not in faceted


def test_schema_lookups_are_memoized_and_copied(tmp_path):
    ds = _datasette(tmp_path)

    async def run():
        await ds.invoke_startup()
        db = ds.get_database("big")
        first = await db.table_columns("t")
        first.append("mutated by a caller")
        return getattr(db.table_columns, "_semicon_memo", False), await db.table_columns("t")

    memo, again = asyncio.run(run())
    assert memo
    assert again == ["id", "kind", "n"]


def test_table_permission_lookup_is_memoized(tmp_path):
    ds = _datasette(tmp_path)

    async def run():
        await ds.invoke_startup()
        return ds._table_permission_allows("big", "t"), ds._table_permission_allows("big", "t")

    a, b = asyncio.run(run())
    assert getattr(ds._table_permission_allows, "_semicon_memo", False)
    assert a == b == []
    assert a is not b



def _counting_plugin_config(ds) -> list:
    """The calls ``ds.plugin_config`` gets from now on."""
    calls = []
    original = ds.plugin_config

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    ds.plugin_config = counted
    return calls


def test_plugin_configuration_is_read_once_per_datasette_not_per_cell(tmp_path, monkeypatch):
    """``plugin_config`` walks the whole configuration (drawn charts included) to resolve
    secrets: a table page must not call it for each of its cells."""
    monkeypatch.setenv("SEMICON_CACHE_MB", "0")

    async def pages(ds, calls):
        await ds.invoke_startup()
        first = await ds.client.get("/big/t?_size=100&_sort=id")
        await ds.client.get("/")
        before = len(calls)
        again = await ds.client.get("/big/t?_size=100&_sort=n")
        await ds.client.get("/")
        return first.text, again.status_code, before

    texts = []
    for code in ("EUR", "USD"):  # two servers in one process: each keeps its own
        folder = tmp_path / code
        folder.mkdir()
        site = {"amounts": {"t": {"n": {"code": code}}}, "documents": [],
                "drawn_charts": [{"svg": "x" * 100_000}]}
        ds = _datasette(folder, rows=200, site=site)
        calls = _counting_plugin_config(ds)
        first, status, before = asyncio.run(pages(ds, calls))
        texts.append(first)
        assert status == 200
        assert first.count(f" {code}</span>") == 100  # every amount cell went through the plugin
        assert before < 10, f"{before} plugin_config calls for a table page of 100 rows"
        assert len(calls) == before  # later pages of the same server: none at all
    assert ">99 EUR<" in texts[0] and ">99 USD<" in texts[1]


@pytest.mark.parametrize(("every_mb", "collected"), [(0.5, True), (1024, False)])
def test_the_collector_runs_after_megabytes_of_responses(tmp_path, monkeypatch, every_mb,
                                                         collected):
    """Each Datasette request leaves a reference cycle holding its response (a caught
    ``BadSignature`` traceback); with the collector's calmer thresholds, big CSV exports
    piled up. After ``gc_every_mb`` of responses the plugin runs the collector itself."""
    import gc

    monkeypatch.setenv("SEMICON_CACHE_MB", "0")
    ds = _datasette(tmp_path, rows=10, site={"gc_every_mb": every_mb})
    sql = "select printf('%.*c', 400000, 'x') as cell from t"

    async def exports() -> int:
        await ds.invoke_startup()
        await ds.client.get("/big.csv?sql=select+1")
        gc.collect()
        gc.disable()  # only the plugin may collect now
        try:
            for _ in range(3):
                r = await ds.client.get("/big.csv", params={"sql": sql})
                assert r.status_code == 200 and len(r.content) > 4_000_000
                del r
            return gc.collect()  # what the plugin left to collect
        finally:
            gc.enable()

    left = asyncio.run(exports())
    assert (left < 100) is collected, left
