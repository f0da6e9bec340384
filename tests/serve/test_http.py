"""HTTP tests against a real Datasette process serving the built bundled package."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import urllib.error
from urllib.parse import urlsplit

import pytest
from semicon.schemas.formulas import is_formula

from tests.conftest import VERSION
from tests.serve.conftest import declared_queries

QUERIES = declared_queries()


def raw_get(site, path: str) -> http.client.HTTPResponse:
    """GET exactly ``path`` (no client-side normalisation), no redirects followed."""
    u = urlsplit(site.url)
    con = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    con.putrequest("GET", path, skip_accept_encoding=True)
    con.endheaders()
    resp = con.getresponse()
    resp.read()
    con.close()
    return resp


def test_home_page_documents_the_package(site):
    body = site.get("/").read().decode()
    assert "Voortgangsbrief halfgeleiderindustrie" in body
    assert "DGBI / 98481714" in body
    assert "Creative Commons Attribution 4.0" in body
    assert VERSION in body  # version
    assert "How to cite" in body
    for table in ("funding_allocations", "partnerships", "events", "board_members"):
        assert f"/{site.db_name}/{table}" in body
    for q in QUERIES:
        assert f"/{site.db_name}/{q}" in body
    assert f"/{site.db_name}/_data_dictionary" in body
    assert "/letter" in body


def test_download_links_resolve(site):
    body = site.get("/").read().decode()
    links = set(re.findall(r'href="(/downloads/[^"]+)"', body))
    assert any(link.endswith(".db") for link in links)
    for link in links:
        assert site.get(link).status == 200, link


def test_table_page_has_facets_sort_and_labels(site):
    body = site.get(f"/{site.db_name}/funding_allocations").read().decode()
    assert "Funding allocations" in body
    assert 'data-column="currency"' in body or "currency" in body
    assert "facet-info" in body or "facet-results" in body
    # amounts with thousands separators and their currency
    assert "2,510,000,000 EUR" in body
    # source quotes link into the letter
    assert "/letter?quote=" in body


def test_json_api(site):
    data = json.load(site.get(f"/{site.db_name}/funding_allocations.json?_shape=array"))
    assert len(data) >= 10
    assert {"allocation_id", "amount", "currency", "source_quote"} <= set(data[0])


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_canned_queries_answer(site, query):
    rows = json.load(site.get(f"/{site.db_name}/{query}.json?_shape=array"))
    assert rows, f"{query} returned no rows"
    html = site.get(f"/{site.db_name}/{query}").read().decode()
    assert QUERIES[query]["title"].split(":")[0] in html.replace("&#39;", "'")


def test_beethoven_breakdown(site):
    rows = json.load(site.get(f"/{site.db_name}/beethoven_by_payer.json?_shape=array"))
    assert rows[0]["allocation_id"] == "beethoven-total"
    assert {r["currency"] for r in rows} == {"EUR"}
    assert len(rows) >= 3


def test_international_comparison_keeps_currencies(site):
    rows = json.load(site.get(f"/{site.db_name}/international_comparison.json?_shape=array"))
    countries = {r["funder_country"] for r in rows}
    assert {"NL", "US", "JP", "CN"} <= countries
    assert {r["currency"] for r in rows} >= {"EUR", "USD"}


def test_search_finds_asml(site):
    body = site.get(f"/{site.db_name}/board_members?_search=ASML").read().decode()
    assert "ASML" in body
    assert site.get("/-/search?q=ASML").status == 200


def test_letter_page_highlights_a_quote(site):
    rows = json.load(site.get(f"/{site.db_name}/board_members.json?_shape=array&_size=1"))
    quote = rows[0]["source_quote"]
    from urllib.parse import quote as q

    body = site.get("/letter?quote=" + q(quote)).read().decode()
    assert "Semicon Board" in body or "halfgeleider" in body
    assert '<mark id="quote">' in body


def test_data_dictionary_csv(site):
    assert "_data_dictionary" in _tables(site)
    text = site.get(f"/{site.db_name}/_data_dictionary.csv?_size=max").read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"table", "column", "type", "required", "constraints", "unit", "description"} <= set(
        rows[0]
    )
    assert any(r["table"] == "funding_allocations" and r["column"] == "amount" for r in rows)


# Bare Datasette 0.65.5 answers ``/\example.com/`` with ``302 Location: /\example.com``.
@pytest.mark.parametrize("path", ["/\\example.com", "/\\example.com/", "//example.com",
                                  "//example.com/", "/%5Cexample.com/", "/\\\\example.com/",
                                  "//example.com/%2e%2e"])
def test_no_open_redirect(site, path):
    resp = raw_get(site, path)
    location = resp.getheader("location") or ""
    assert not (300 <= resp.status < 400 and not location.startswith("/")), (resp.status,
                                                                             location)
    assert not location.startswith("//") and "\\" not in location


def test_trailing_slash_redirect_stays_on_site(site):
    resp = raw_get(site, f"/{site.db_name}/funding_allocations/")
    if 300 <= resp.status < 400:
        loc = resp.getheader("location")
        assert loc.startswith("/") and not loc.startswith("//")


def _tables(site) -> list[str]:
    data = json.load(site.get(f"/{site.db_name}.json"))
    return [t["name"] for t in data["tables"]] + [v["name"] for v in data.get("views", [])]


def test_csv_exports_carry_no_formulas(site):
    tables = _tables(site)
    assert "funding_allocations" in tables
    for table in tables:
        for suffix in ("?_size=max", "?_stream=on&_dl=1"):
            resp = site.get(f"/{site.db_name}/{table}.csv{suffix}")
            text = resp.read().decode("utf-8")
            for row in csv.reader(io.StringIO(text, newline="")):
                for cell in row:
                    assert not is_formula(cell), (table, cell[:60])


def test_csv_escaping_of_sql_results(site):
    from urllib.parse import quote

    sql = "select '=HYPERLINK(\"http://x\")' as a, '-5' as b, '@SUM(1)' as c, '+1 2' as d"
    text = site.get(f"/{site.db_name}.csv?sql={quote(sql)}").read().decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "-5", "'@SUM(1)", "'+1 2"]


def test_errors_show_error_page_not_traceback(site):
    for path in (f"/{site.db_name}/no_such_table", f"/{site.db_name}.json?sql=select+nope(",
                 f"/{site.db_name}?sql=select+*+from+nowhere", "/letter?quote=%ff%fe"):
        try:
            resp = site.get(path)
            body = resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            assert exc.code in (400, 404), path
        assert "Traceback" not in body and 'File "' not in body, path


def test_read_only(site):
    import urllib.request

    req = urllib.request.Request(
        site.url + f"/{site.db_name}", data=b"sql=delete+from+events", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(req, timeout=10)
    rows = json.load(site.get(f"/{site.db_name}/events.json?_shape=array"))
    assert rows


def test_security_headers_and_immutability(site):
    resp = site.get("/")
    assert resp.getheader("x-content-type-options") == "nosniff"
    data = json.load(site.get("/-/databases.json"))
    assert all(not d["is_mutable"] for d in data)
    plugins = {p["name"] for p in json.load(site.get("/-/plugins.json"))}
    assert not any("upload" in p or "write" in p or "insert" in p for p in plugins)
    settings = json.load(site.get("/-/settings.json"))
    assert settings["suggest_facets"] is False
