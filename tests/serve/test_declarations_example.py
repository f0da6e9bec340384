"""The worked example of docs/declarations.md, built and served as written there: a package
declaring its own source document, quotes, view, canned query and table display gets exactly
that site (Datasette in process)."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest
from semicon.build.pipeline import build_package
from semicon.build.site import served_database

from tests.serve.conftest import in_process
from tests.serve.site_checks import letter_words, same_site_links

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "declarations.md"
REPORT = ("The 2025 report.\n\nWe award the Photonics Lab two million euros for\nnew "
          "chips. A further grant of 500,000 dollars goes to Quantum Works.\n")
ROWS = [
    [1, "Photonics Lab", 2_000_000, "EUR", "report", "We award the Photonics Lab two million "
     "euros for new chips."],
    [2, "Quantum Works", 500_000, "USD", "report", "A further grant of 500,000 dollars goes "
     "to Quantum Works."],
]


def example() -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"### A worked example.*?```json\n(.*?)```", text, re.S)
    assert block, "docs/declarations.md has no worked example"
    return json.loads(block.group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("example")
    raw = example()
    (root / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    (root / "report.txt").write_text(REPORT, encoding="utf-8")
    with (root / "grants.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([f["name"] for f in raw["resources"][0]["schema"]["fields"]])
        w.writerows(ROWS)
    out = root / "dist"
    build_package(root / "datapackage.json", out)
    return root / "datapackage.json", raw, out


@pytest.fixture
def ds(built, monkeypatch):
    monkeypatch.setenv("SEMICON_GC_TUNING", "0")
    descriptor, _, out = built
    return in_process(descriptor, out)


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def test_view_and_search_are_built(built):
    _, _, out = built
    con = sqlite3.connect(out / "grants.db")
    assert con.execute("SELECT amount_readable FROM grants_readable ORDER BY grant_id"
                       ).fetchall() == [("EUR 2 million",), ("USD 500 thousand",)]
    assert con.execute("SELECT sql FROM sqlite_master WHERE name = 'grants_fts'"
                       ).fetchone() is None  # the index is in the served copy only
    con = sqlite3.connect(served_database(out, "grants"))
    fts = con.execute("SELECT sql FROM sqlite_master WHERE name = 'grants_fts'").fetchone()[0]
    assert '"title"' in fts and '"quote"' in fts and "currency" not in fts


def test_home_page_names_the_report_and_its_query(ds, built):
    _, raw, _ = built
    home = get(ds, "/").text
    assert raw["title"] in home and raw["description"] in home
    assert "<code>quote</code>" in home  # home.about, its `code` span
    assert "Questions the report answers" in home
    assert 'href="/grants/largest"' in home
    assert '<dt>Report</dt><dd><a href="/report">Grants report 2025</a></dd>' in home
    assert 'href="/documents/report.txt"' in home
    assert not letter_words(home, raw)
    for link in same_site_links(home):
        assert get(ds, link).status_code == 200, link


def test_table_page_declared_display(ds):
    body = get(ds, "/grants/grants").text
    assert "2,000,000 EUR" in body and "500,000 USD" in body
    assert 'href="/report?quote=We%20award' in body and "in the report" in body
    assert re.search(r'<q class="source-quote" lang="en">We award', body)
    meta = get(ds, "/-/metadata.json").json()["databases"]["grants"]["tables"]["grants"]
    assert meta["facets"] == ["currency"] and meta["sort_desc"] == "amount"
    assert meta["label_column"] == "title"
    hits = get(ds, "/grants/grants.json?_shape=array&_search=Quantum").json()
    assert [h["grant_id"] for h in hits] == [2]


def test_reading_page_highlights_the_quote(ds):
    page = get(ds, "/report?quote=" + "A%20further%20grant%20of%20500%2C000%20dollars")
    assert page.status_code == 200
    assert '<mark id="quote">A further grant of 500,000 dollars</mark>' in page.text
    assert '<pre class="document-text" lang="en">' in page.text
    assert get(ds, "/documents/report.txt").text == REPORT
    assert get(ds, "/-/documents/report").status_code == 404  # the slug replaces it
    assert get(ds, "/letter").status_code == 404
