"""The site under hostile requests, in-process (Datasette's own test client, the site's plugins).

Each test asks what an attacker would ask and checks the answer a visitor gets: sizes SQLite
refuses as it computes them, formula cells escaped by the project's one definition, refused
functions, 400 for bad parameters, one log line per error.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import logging
import re
import sqlite3
from pathlib import Path

import duckdb
import pytest
from datasette.app import Datasette
from semicon.schemas.formulas import formula_sql, is_formula

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "build" / "plugins"
MB = 1024 * 1024
BIG = "=" + "x" * MB  # a 1 MB cell that is also a formula
CELLS = ["=1+2", "+31 6", "-5", "-1.5e3", "+1,5", "-inf", "@SUM(A1)", "\tx", "\rx", "plain",
         "", "- bullet", "+", "-", ".5", "-.5e-3", " =x", "1e5", "+1.5E+3", "=", "nan"]


@pytest.fixture(autouse=True)
def _no_gc_tuning(monkeypatch):
    monkeypatch.setenv("SEMICON_GC_TUNING", "0")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "h.db"
    con = sqlite3.connect(path)
    con.execute("create table cells (id integer primary key, value text)")
    con.executemany("insert into cells values (?, ?)", list(enumerate(CELLS, 1)))
    con.execute("create table big (id integer primary key, body text)")
    con.execute("insert into big values (1, ?)", (BIG,))
    con.execute("create table nums (id integer primary key, n integer)")
    con.executemany("insert into nums values (?, ?)", [(i, i) for i in range(1, 201)])
    con.commit()
    con.close()
    return path


@pytest.fixture(scope="module")
def ds(db_path) -> Datasette:
    # the site's own settings (semicon.build.site.SETTINGS) that matter here
    return Datasette(immutables=[str(db_path)], plugins_dir=str(PLUGINS),
                     settings={"sql_time_limit_ms": 1000, "max_returned_rows": 1000,
                               "allow_csv_stream": True, "max_csv_mb": 50,
                               "suggest_facets": False})


def get(ds: Datasette, path: str):
    return asyncio.run(ds.client.get(path))


def csv_rows(text: str) -> list[list[str]]:
    csv.field_size_limit(16 * MB)  # the reader's default (131,072) is below the cell tested
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_megabyte_cell_comes_back_whole_in_csv_and_json(ds):
    r = get(ds, "/h/big.json?_shape=array")
    assert r.status_code == 200
    assert r.json()[0]["body"] == BIG
    r = get(ds, "/h/big.csv")
    assert r.status_code == 200
    rows = csv_rows(r.text)
    assert rows[1] == ["1", "'" + BIG]  # whole, and escaped: it starts with "="
    r = get(ds, "/h.csv?sql=select+body+from+big")
    assert csv_rows(r.text)[1] == ["'" + BIG]


def test_formula_cells_are_escaped_by_the_validators_definition(ds):
    """Every cell the validator flags (DuckDB SQL) is escaped in CSV, and no other."""
    con = duckdb.connect()
    flagged = {c: con.execute(f"select {formula_sql('c')} from (select $c as c)",
                              {"c": c}).fetchall()[0][0] for c in CELLS}
    assert flagged == {c: is_formula(c) for c in CELLS}
    assert flagged["+1,5"] and flagged["-inf"] and not flagged["-5"] and not flagged[" =x"]
    for path in ("/h/cells.csv", "/h.csv?sql=select+id,+value+from+cells",
                 "/h/cells.csv?_stream=on&_size=5"):
        rows = csv_rows(get(ds, path).text)[1:]
        assert [v for _, v in rows] == [("'" + c) if flagged[c] else c for c in CELLS], path


@pytest.mark.parametrize("sql", [
    "select fts3_tokenizer('simple')",
    "select fts3_tokenizer('x', x'0000000000000000')",
    "select * from (select FTS3_TOKENIZER('simple'))",
])
def test_fts3_tokenizer_is_refused(ds, sql):
    r = get(ds, "/h.json?sql=" + sql.replace(" ", "+"))
    assert r.status_code == 400
    assert "not authorized to use function: fts3_tokenizer" in r.json()["error"].lower()


@pytest.mark.parametrize(("sql", "error"), [
    ("select length(randomblob(999999999))", "string or blob too big"),
    ("select hex(zeroblob(499999999))", "string or blob too big"),
    ("select randomblob(200000000)", "string or blob too big"),
    ("select zeroblob(1500000) from nums", "the result is larger than"),
])
def test_sizes_are_refused_as_sqlite_computes_them(ds, sql, error):
    r = get(ds, "/h.json?sql=" + sql.replace(" ", "+"))
    assert r.status_code == 400
    assert error in r.json()["error"]


def test_printf_with_a_huge_width_is_null_and_ordinary_printf_works(ds):
    r = get(ds, "/h.json?_shape=array&sql=select+printf('%25.*c',999999999,'x')+as+a,"
                "+printf('%25.2f',2510000000.5)+as+b,+format('%25,d',12345678901)+as+c")
    assert r.status_code == 200
    assert r.json() == [{"a": None, "b": "2510000000.50", "c": "12,345,678,901"}]


@pytest.mark.parametrize("query", [
    "_sort=nosuchcol", "_sort_desc=x", "_timelimit=abc", "_timelimit=1.5",
    "_sort=id&_sort_desc=n", "_through=x", "_through=%7B%7D",
])
@pytest.mark.parametrize("fmt", ["", ".json", ".csv"])
def test_bad_parameters_answer_400(ds, query, fmt):
    r = get(ds, f"/h/nums{fmt}?{query}")
    assert r.status_code == 400, r.text[:300]
    assert "Traceback" not in r.text


def test_errors_are_logged_in_one_short_line(ds, caplog):
    long_sql = "select+" + "+".join(["nosuchcolumn"] * 1000)
    with caplog.at_level(logging.INFO, logger="semicon.site"):
        logger = logging.getLogger("semicon.site")
        logger.addHandler(caplog.handler)
        try:
            statuses = [get(ds, path).status_code for path in (
                "/h.json?sql=" + long_sql, "/h/nums?_sort=" + "x" * 5000, "/nosuchdb")]
        finally:
            logger.removeHandler(caplog.handler)
    assert statuses == [400, 400, 404]
    # Bad SQL is answered on the query page (no exception, no line: the access log has it).
    lines = [r.getMessage() for r in caplog.records if r.name == "semicon.site"]
    assert len(lines) == 2
    assert all("\n" not in line and len(line) < 1000 for line in lines)
    assert lines[0].startswith("400 GET /h/nums?_sort=xxx")


def test_the_default_error_handler_no_longer_runs(ds):
    from datasette.plugins import pm

    get(ds, "/nosuchdb")
    assert pm.get_plugin("datasette.handle_exception") is None
    names = {getattr(p, "__name__", "") for p in pm.get_plugins()}
    assert "semicon_errors.py" in names


def test_static_plugins_miss_gets_the_site_headers(ds):
    r = get(ds, "/-/static-plugins/nosuch/x")
    assert r.status_code == 404
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_long_urls_answer_414(ds):
    r = get(ds, "/h/nums?_ref=" + "x" * 20000)
    assert r.status_code == 414
    assert r.headers["referrer-policy"] == "no-referrer"


def test_json_error_pages_keep_datasettes_shape(ds):
    r = get(ds, "/h/nums.json?_sort=nosuch")
    assert json.loads(r.text) == {"ok": False, "error": "Cannot sort table by nosuch",
                                  "status": 400, "title": None}


def test_csv_rewrite_matches_the_definition_on_random_csv():
    """Random cells (quotes, commas, newlines, formula characters, numbers) written by the csv
    module, escaped by the plugin chunk by chunk, read back: each cell is escape(cell)."""
    import random

    from datasette.utils import module_from_path
    from semicon.schemas.formulas import escape

    plugin = module_from_path(str(PLUGINS / "semicon_security.py"), name="semicon_security.py")
    rng = random.Random(11)
    alphabet = ['"', ",", "\n", "\r", "=", "+", "-", "@", "\t", "1", "5", ".", "e", "a", " "]
    for _ in range(300):
        rows = [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
                 for _ in range(rng.randint(1, 4))] for _ in range(rng.randint(1, 6))]
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        data = out.getvalue().encode()
        escaper, got, i = plugin.CsvEscaper(), [], 0
        while i < len(data):
            step = rng.randint(1, 9)
            got.append(escaper.feed(data[i:i + step], final=i + step >= len(data)))
            i += step
        back = csv_rows(b"".join(got).decode())
        assert back == [[escape(c) for c in row] for row in rows], (rows, data)


def test_csv_rewrite_matches_the_definition_with_long_cells():
    """Long cells (few commas and newlines: visited one by one) mixed with runs of short ones
    (many: the regular expression takes over part-way), quoted or not, in any chunking."""
    import random

    from datasette.utils import module_from_path
    from semicon.schemas.formulas import escape

    plugin = module_from_path(str(PLUGINS / "semicon_security.py"), name="semicon_security.py")
    rng = random.Random(5)
    starts = ["=", "+", "-", "@", "\t", "\r", "-5", "+1.5e3", "x", '"', ",", "\n", ""]
    inner = ["x", "x", "x", "x", ",", "\n", '"', "=", "-", "1"]

    def cell() -> str:
        size = rng.choice([0, 3, 200, 5000])
        return rng.choice(starts) + "".join(rng.choice(inner) for _ in range(size))

    for _ in range(40):
        rows = [[cell() for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(1, 5))]
        rows += [[rng.choice(["-1", "=a", "b", '"q"']), "c"]] * rng.choice([0, 300])
        rows += [[cell(), cell()] for _ in range(rng.randint(0, 3))]
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        data = out.getvalue().encode()
        escaper, got, i = plugin.CsvEscaper(), [], 0
        while i < len(data):
            step = rng.choice([7, 999, 20000, len(data)])
            got.append(escaper.feed(data[i:i + step], final=i + step >= len(data)))
            i += step
        back = csv_rows(b"".join(got).decode())
        assert back == [[escape(c) for c in row] for row in rows]


def _security():
    from datasette.utils import module_from_path

    return module_from_path(str(PLUGINS / "semicon_security.py"), name="semicon_security.py")


def test_csv_writer_gives_the_standard_writers_bytes_with_formulas_escaped():
    """Rows written by the plugin's writer and by ``csv.writer`` (after the project's
    ``escape``): the same text, cell for cell (quotes, commas, CR/LF, None, numbers, booleans,
    non-ASCII, formulas), long cells or not."""
    import random

    from semicon.schemas.formulas import escape

    plugin = _security()
    rng = random.Random(3)
    alphabet = ["a", ",", '"', "\r", "\n", " ", "é", "€", "\t", "=", "😀", "'", "\x00", "-"]
    values = [None, 1, -2, 3.5, -1e300, float("nan"), float("-inf"), True, False, 0.1 + 0.2,
              10**30, "", "-5", "=1+2", "+1,5"]
    long_rows = 0
    for _ in range(600):
        row = [rng.choice(values) if rng.random() < 0.3 else
               "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 5000, 9000])))
               for _ in range(rng.randint(1, 4))]
        expected, got = io.StringIO(), io.StringIO()
        csv.writer(expected).writerow([None if v is None else escape(str(v)) for v in row])
        plugin.csv_writer(got).writerow(row)
        assert got.getvalue() == expected.getvalue(), row
        long_rows += any(isinstance(v, str) and len(v) > plugin.LONG_CELL for v in row)
    assert long_rows > 100  # the long-cell path was taken, not only the standard writer


def test_csv_exports_use_the_plugins_writer(ds, monkeypatch):
    """Datasette's CSV export writes through the plugin's writer: long cells whole, formulas
    escaped.

    Where Datasette falls short: 0.65 offers no hook for its CSV export's writer, and its
    ``csv.writer`` neither escapes formula cells nor keeps the event loop free on long
    cells (about 24 ms a 1.5 MB row). The plugin works around it by supplying the module
    ``datasette.views.base`` writes with, at ``startup``. A Datasette upgrade that stops
    using ``datasette.views.base.csv`` fails here; the exports would stay escaped (the ASGI
    wrapper escapes any CSV body the writer did not write), only slower."""
    from datasette.views import base

    asyncio.run(ds.invoke_startup())
    plugin_writer = base.csv.writer(io.StringIO())
    assert type(plugin_writer).__name__ == "CsvWriter"
    rows = []
    writerow = type(plugin_writer).writerow

    def counted(self, row):
        rows.append(len(row))
        return writerow(self, row)

    monkeypatch.setattr(type(plugin_writer), "writerow", counted)
    r = get(ds, "/h.csv?sql=" + "select+1+as+n,+'='+||+printf('%.*c',+5000,+'x')+as+long")
    assert r.status_code == 200
    assert csv_rows(r.text) == [["n", "long"], ["1", "'=" + "x" * 5000]]
    assert rows == [2, 2]


def test_page_policy_allows_the_marked_inline_scripts_only():
    plugin = _security()
    mark = plugin.SCRIPT_MARK
    body = (f'<script{mark}>var a = 1;</script><script{mark} src="/x.js"></script>'
            f'<script{mark} type="module">b()</script><script>injected()</script>').encode()
    page, csp = plugin.page_policy(body)
    assert page == (b'<script>var a = 1;</script><script src="/x.js"></script>'
                    b'<script type="module">b()</script><script>injected()</script>')
    script_src = next(d for d in csp.decode().split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self' " + " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
        for s in (b"var a = 1;", b"b()"))
    assert plugin.page_policy(b"<p>no script</p>") == (b"<p>no script</p>", plugin.CSP.encode())


def test_every_page_type_carries_the_hashes_of_its_own_inline_scripts(site, monkeypatch):
    """In process, cache on: the policy of each page type lists exactly the hashes of the
    inline scripts in its body (no more, no fewer), the marks never leave the server, and a
    cached page comes back with the same policy."""
    from tests.serve.conftest import in_process
    from tests.serve.test_accessibility import page_types

    monkeypatch.delenv("SEMICON_CACHE_MB", raising=False)
    ds = in_process(site.descriptor, site.out)
    scripts = re.compile(r"<script([^>]*)>(.*?)</script", re.S)

    async def pages():
        out = {}
        for kind, path in page_types(site.db_name).items():
            first, again = await ds.client.get(path), await ds.client.get(path)
            out[kind] = (first, again)
        return out

    for kind, (first, again) in asyncio.run(pages()).items():
        assert "data-semicon-script" not in first.text, kind
        inline = {s for attrs, s in scripts.findall(first.text)
                  if "src=" not in attrs and "ld+json" not in attrs and s}
        hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
                  + "'" for s in inline}
        policy = first.headers["content-security-policy"]
        script_src = next(d for d in policy.split("; ") if d.startswith("script-src")).split()
        assert set(script_src[2:]) == hashes and script_src[:2] == ["script-src", "'self'"], kind
        assert (again.headers["content-security-policy"], again.text) == (policy, first.text)


def test_the_csv_trace_view_streams_escaped_cells(ds):
    """``.csv?_trace=1`` is the export as HTML (no template, no script): escaped like the
    export, with the site's fixed policy."""
    r = get(ds, "/h/cells.csv?_trace=1")
    assert r.headers["content-type"].startswith("text/html")
    assert "1,&#39;=1+2\r\n" in r.text and "3,-5\r\n" in r.text
    assert r.headers["content-security-policy"] == _security().CSP
