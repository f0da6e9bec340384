"""Declared charts: declarations, links, specs and the SVG the site shows."""

from __future__ import annotations

import re

import pytest
from semicon.build import charts

BAR = {"name": "bars", "title": "Bars", "sql": "SELECT 1",
       "spec": {"mark": "bar", "encoding": {"y": {"field": "k", "type": "nominal"},
                                           "x": {"field": "v", "type": "quantitative"}}}}


@pytest.mark.parametrize(("raw", "message"), [
    ({"charts": 1}, "must be a list"),
    ([1], "chart 1 is not an object"),
    ([BAR | {"name": "Bad Name"}], "unique lowercase slug"),
    ([BAR, BAR], "unique lowercase slug"),
    ([BAR | {"kind": "pie"}], "'kind' must be one of"),
    ([BAR | {"sql": " "}], "'sql' is required"),
    ([BAR | {"spec": {}}], "a Vega-Lite 'spec' is required"),
    ([BAR | {"spec": {"mark": "bar", "data": {"url": "https://x"}}}], "not 'data'"),
    ([BAR | {"link": {"key": ["k"]}}], "needs a 'resource'"),
    ([BAR | {"link": {"resource": "t"}}], "either 'key' or 'filter'"),
    ([BAR | {"link": {"resource": "t", "key": ["k"], "filter": ["k"]}}],
     "either 'key' or 'filter'"),
])
def test_malformed_declarations_are_refused_with_the_chart_named(raw, message):
    with pytest.raises(charts.ChartError, match=message):
        charts.parse_charts(raw)


def test_rows_link_to_their_row_or_to_the_filtered_table():
    by_key, by_filter, mixed = charts.parse_charts([
        BAR | {"link": {"resource": "facts", "key": ["a", "b"]}},
        BAR | {"name": "f", "link": {"resource": "facts", "filter": ["kind"]}},
        BAR | {"name": "m", "link": {"resourceField": "res", "key": ["id"]}},
    ])
    rows = [{"a": "x", "b": 2, "kind": "k 1"}, {"a": None, "b": 1, "kind": None}]

    def row_url(table, values):
        return f"/db/{table}/{','.join(map(str, values))}"

    def table_url(table):
        return f"/db/{table}"

    charts.link_rows(by_key, rows, row_url, table_url)
    assert [r.get("href") for r in rows] == ["/db/facts/x,2", None]
    rows = [{"kind": "k 1"}, {"kind": None}, {"kind": "z", "href": "/mine"}]
    charts.link_rows(by_filter, rows, row_url, table_url)
    assert [r["href"] for r in rows] == ["/db/facts?kind=k+1", "/db/facts", "/mine"]
    rows = [{"res": "events", "id": "e1"}, {"res": None, "id": "e2"}]
    charts.link_rows(mixed, rows, row_url, table_url)
    assert [r.get("href") for r in rows] == ["/db/events/e1", None]


def test_the_spec_gets_the_rows_the_width_and_the_href_channel():
    (chart,) = charts.parse_charts([BAR | {"link": {"resource": "t", "key": ["k"]}}])
    rows = [{"k": "a", "v": 1, "href": "/db/t/a"}]
    spec = charts.full_spec(chart, rows, 300)
    assert spec["data"] == {"values": rows} and spec["width"] == 300
    assert spec["encoding"]["href"] == {"field": "href"}
    assert spec["config"]["axisY"]["labelLimit"] == 150
    assert "data" not in chart.spec and "width" not in chart.spec  # the declaration is kept
    facet = charts.parse_charts([BAR | {"spec": {"facet": {"row": {"field": "c"}},
                                                  "spec": {"mark": "bar"}}}])[0]
    assert charts.full_spec(facet, rows, 560)["spec"]["width"] == 560


def test_the_svg_is_drawn_offline_scales_and_links_each_mark_to_the_site():
    (chart,) = charts.parse_charts([BAR | {"link": {"resource": "t", "key": ["k"]}}])
    rows = [{"k": "a", "v": 1}, {"k": "b", "v": 3}]
    charts.link_rows(chart, rows, lambda t, v: f"/db/{t}/{v[0]}", lambda t: f"/db/{t}")
    drawn = charts.draw(chart, ["k", "v"], rows)
    assert drawn.error is None and drawn.columns == ["k", "v"]
    for svg, size in ((drawn.svg_wide, "wide"), (drawn.svg_narrow, "narrow")):
        head = svg[:svg.index(">")]
        assert 'role="img"' in head and 'aria-label="Bars"' in head
        assert ' width="' not in head and 'viewBox="-24 -12 ' in head
        assert re.findall(r'<a tabindex="-1" xlink:href="([^"]+)"', svg) == [
            "/db/t/a", "/db/t/b"]
        assert all(i.startswith(f"bars-{size}-") for i in re.findall(r'\bid="([^"]+)"', svg))
        assert "<script" not in svg and "style=" not in svg
        assert svg.count("role=") == 1 and svg.count("aria-label=") == 1  # one image


def test_a_spec_vega_lite_refuses_is_an_error_on_its_chart_not_a_crash():
    (chart,) = charts.parse_charts([BAR | {"spec": {"mark": "no-such-mark"}}])
    drawn = charts.draw(chart, ["k"], [{"k": 1}])
    assert drawn.error.startswith("chart bars could not be drawn: ")
    assert drawn.svg_wide == ""


def _db(tmp_path):
    import sqlite3

    db = tmp_path / "x.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE facts (k TEXT PRIMARY KEY, v INTEGER)")
    con.executemany("INSERT INTO facts VALUES (?, ?)", [("a/b", 1), ("c", 3)])
    con.commit()
    con.close()
    return db


def test_charts_are_drawn_from_the_database_with_the_sites_links(tmp_path):
    db = _db(tmp_path)
    raw = [BAR | {"sql": "SELECT k, v FROM facts ORDER BY k",
                  "link": {"resource": "facts", "key": ["k"]}},
           BAR | {"name": "broken", "sql": "SELECT nope FROM facts"}]
    bars, broken = charts.draw_charts(raw, db, "my db")
    assert [(r["k"], r["v"], r["href"]) for r in bars["rows"]] == [
        ("a/b", 1, "/my+db/facts/a~2Fb"), ("c", 3, "/my+db/facts/c")]
    assert bars["svg_wide"].startswith("<svg") and bars["error"] is None
    assert re.findall(r'xlink:href="([^"]+)"', bars["svg_narrow"]) == [
        "/my+db/facts/a~2Fb", "/my+db/facts/c"]
    assert broken["error"] == "chart broken: the query failed: no such column: nope"
    assert broken["svg_wide"] == "" and broken["rows"] == []


def test_drawings_are_kept_until_the_declaration_or_the_database_changes(tmp_path):
    import os

    db = _db(tmp_path)
    cache = tmp_path / "site" / "charts.json"
    raw = [BAR | {"sql": "SELECT k, v FROM facts"}]
    first = charts.draw_charts_cached(raw, db, "x", cache)
    kept = cache.read_text()
    cache.write_text(kept.replace('"rows"', '"rows_kept"', 1).replace(
        '"rows_kept"', '"rows"'))  # same content, new mtime
    assert charts.draw_charts_cached(raw, db, "x", cache) == first
    stamp = cache.stat().st_mtime_ns
    assert charts.draw_charts_cached(raw, db, "x", cache) and cache.stat().st_mtime_ns == stamp
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 10**9))
    charts.draw_charts_cached(raw, db, "x", cache)
    assert cache.stat().st_mtime_ns != stamp
    with pytest.raises(charts.ChartError):
        charts.draw_charts_cached([{"name": "x"}], db, "x", cache)
