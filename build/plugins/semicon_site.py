"""Datasette plugin for the semicon-nl site (loaded with ``--plugins-dir``).

- ``asgi_wrapper``: security (no open redirects, no formula injection in CSV exports, a few
  safe headers) and an in-memory response cache: the database is immutable, so a page's bytes
  never change while the process runs.
- ``register_routes``: ``/letter``, the source letter as readable text, with the quote being
  cited highlighted (``/letter?quote=...``).
- ``render_cell``: every ``source_quote`` links to that passage of the letter; amounts are shown
  with thousands separators and their currency (never converted).
- ``extra_template_vars``: package, letter, build and download facts for the home page;
  one-click facet links for tables too large for default facets.
- ``startup``: speed for an immutable database (see docs/serve.md, "What keeps it fast"):
  memoized permission and schema look-ups, one schema refresh, a facet-count memo, a calmer
  garbage collector; ``/`` is served without Datasette's ``IndexView`` bookkeeping.

Configured through ``metadata.json`` → ``plugins`` → ``semicon-site`` (written by
``semicon.build.datasette_metadata.build_metadata``).
"""

from __future__ import annotations

import copy
import csv
import gc
import html
import io
import json
import os
import re
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote as urlquote

from datasette import hookimpl
from datasette.utils import path_with_added_args
from datasette.utils.asgi import Response
from datasette.version import __version__ as datasette_version
from markupsafe import Markup

PLUGIN = "semicon-site"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
AMOUNT_COLUMNS = {"amount", "amount_low", "amount_high"}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


# --------------------------------------------------------------------------- security


def unsafe_path(path: str) -> bool:
    """Paths browsers may turn into an off-site URL when echoed in a ``Location`` header."""
    return path.startswith("//") or "\\" in path or path.startswith("/%5c") or (
        path.lower().startswith(("/%2f", "/%5c"))
    )


def safe_location(location: str) -> bool:
    """Only same-site redirects: a path starting with a single ``/`` and no backslash."""
    return (
        location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not location.lower().startswith(("/%2f", "/%5c"))
    )


def escape_cell(value: str) -> str:
    """Neutralise a CSV cell a spreadsheet would run as a formula (OWASP: prefix ``'``)."""
    if value and value.startswith(FORMULA_START) and not _NUMERIC.match(value):
        return "'" + value
    return value


class CsvEscaper:
    """Rewrite a CSV byte stream chunk by chunk, escaping formula cells; records may span chunks."""

    def __init__(self) -> None:
        self.pending = ""
        self.in_quotes = False

    def feed(self, data: bytes, final: bool = False) -> bytes:
        text = self.pending + data.decode("utf-8", errors="surrogateescape")
        # Find the last record boundary: a newline outside quotes.
        cut = -1
        in_quotes = False
        for i, ch in enumerate(text):
            if ch == '"':
                in_quotes = not in_quotes
            elif ch == "\n" and not in_quotes:
                cut = i
        if final:
            cut = len(text) - 1
        if cut < 0:
            self.pending = text
            return b""
        ready, self.pending = text[: cut + 1], text[cut + 1 :]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(io.StringIO(ready, newline="")):
            writer.writerow([escape_cell(c) for c in row])
        return out.getvalue().encode("utf-8", errors="surrogateescape")


async def _send_404(send) -> None:
    body = b"<!DOCTYPE html><title>Not found</title><h1>404: Not found</h1>"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ResponseCache:
    """A bounded LRU of complete responses keyed by method, host, path and query string."""

    def __init__(self, max_bytes: int, max_item: int) -> None:
        self.max_bytes = max_bytes
        self.max_item = max_item
        self.items: OrderedDict = OrderedDict()
        self.size = 0

    def get(self, key):
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key, start: dict, body: bytes) -> None:
        if len(body) > self.max_item or key in self.items:
            return
        self.items[key] = (start, body)
        self.size += len(body)
        while self.size > self.max_bytes and self.items:
            _, (_, old) = self.items.popitem(last=False)
            self.size -= len(old)


def _cacheable(scope) -> bool:
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    private = (b"cookie", b"authorization")
    return all(name not in private for name, _ in scope.get("headers") or [])


def wrap(app, cache: ResponseCache | None):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if unsafe_path(scope["path"]) or unsafe_path(raw_path.decode("latin-1")):
            return await _send_404(send)
        path = scope["path"]
        is_csv = path.endswith(".csv")
        key = None
        if cache is not None and _cacheable(scope) and not is_csv:
            host = dict(scope.get("headers") or []).get(b"host", b"")
            key = (scope["method"], host, path, scope.get("query_string", b""))
            hit = cache.get(key)
            if hit is not None:
                start, body = hit
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        state = {"start": None, "chunks": [], "size": 0, "escaper": None}

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                for name, value in headers:
                    if name.lower() == b"location" and not safe_location(value.decode("latin-1")):
                        await _send_404(send)
                        state["blocked"] = True
                        return
                ctype = b""
                for name, value in headers:
                    if name.lower() == b"content-type":
                        ctype = value
                if is_csv or ctype.startswith(b"text/csv"):
                    state["escaper"] = CsvEscaper()
                    headers = [h for h in headers if h[0].lower() != b"content-length"]
                headers += [h for h in SECURITY_HEADERS if h[0] not in {k for k, _ in headers}]
                message = {**message, "headers": headers}
                if key is not None and status == 200 and not any(
                    n.lower() == b"set-cookie" for n, _ in headers
                ):
                    state["start"] = message
                await send(message)
                return
            if state.get("blocked"):
                return
            if message["type"] == "http.response.body":
                more = message.get("more_body", False)
                if state["escaper"] is not None:
                    body = state["escaper"].feed(message.get("body", b""), final=not more)
                    message = {**message, "body": body}
                if state["start"] is not None:
                    state["chunks"].append(message.get("body", b""))
                    state["size"] += len(message.get("body", b""))
                    if state["size"] > cache.max_item:
                        state["start"] = None
                        state["chunks"] = []
                    elif not more:
                        cache.put(key, state["start"], b"".join(state["chunks"]))
            await send(message)

        await app(scope, receive, wrapped_send)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    cfg = _config(datasette)
    mb = float(os.environ.get("SEMICON_CACHE_MB", cfg.get("cache_mb", 64)))
    cache = ResponseCache(int(mb * 1024 * 1024), 2 * 1024 * 1024) if mb > 0 else None

    def wrapper(app):
        return wrap(app, cache)

    return wrapper


# --------------------------------------------------------------------------- speed


def memoize_table_permissions(datasette) -> bool:
    """Cache Datasette 0.65.5's per-table permission lookup for the life of the process.

    ``Datasette._table_permission_allows(database, table)`` deep-copies the whole metadata on
    every call, and the index page calls it for every table, view and query: ~60 ms of the home
    page with our metadata (column descriptions make it ~30 KB). Its answer depends only on the
    metadata, which is fixed for the life of the process unless a plugin supplies metadata
    dynamically through the ``get_metadata`` hook -- then nothing is cached.
    """
    from datasette.plugins import pm

    original = getattr(datasette, "_table_permission_allows", None)
    if original is None or getattr(original, "_semicon_memo", False):
        return False
    if pm.hook.get_metadata.get_hookimpls():
        return False
    memo: dict = {}

    def cached(database, table):
        key = (database, table)
        if key not in memo:
            memo[key] = original(database, table)
        # Callers get their own list: the cached one can never be mutated by them.
        return list(memo[key])

    cached._semicon_memo = True  # type: ignore[attr-defined]
    datasette._table_permission_allows = cached
    return True


def skip_repeated_schema_refresh(datasette) -> bool:
    """Refresh Datasette's schema tables once, not on every request, when nothing can change.

    Datasette 0.65.5 re-reads ``PRAGMA schema_version`` of every database and its internal
    catalogue before every request (three thread round-trips). With every database opened
    immutable the schema cannot change; the refresh runs again only if the set of
    databases changes or one of them is mutable.
    """
    original = getattr(datasette, "refresh_schemas", None)
    if original is None or getattr(original, "_semicon_memo", False):
        return False
    state = {"done": None}

    async def refresh_schemas():
        dbs = [(n, db) for n, db in datasette.databases.items() if n != "_internal"]
        key = tuple(n for n, _ in dbs)
        if state["done"] == key and not any(db.is_mutable or db.is_memory for _, db in dbs):
            return
        await original()
        state["done"] = key

    refresh_schemas._semicon_memo = True  # type: ignore[attr-defined]
    datasette.refresh_schemas = refresh_schemas
    return True


# Database methods that only read the schema: for an immutable file their answers are fixed.
SCHEMA_METHODS = (
    "table_names", "view_names", "hidden_table_names", "fts_table", "table_columns",
    "table_column_details", "primary_keys", "foreign_keys_for_table", "get_all_foreign_keys",
    "get_table_definition", "get_view_definition", "table_exists",
)


def memoize_schema_lookups(datasette) -> int:
    """Answer schema questions about immutable databases from memory after the first time.

    Every page asks them again -- the search plugin's menu link alone walks every table's
    FTS detection on every page (~40 thread round-trips on the home page). The schema of a
    file opened ``immutable=1`` cannot change while the process runs. Callers get a copy,
    so nothing they do to a result can change the next answer. Returns methods wrapped.
    """
    wrapped = 0
    for db in datasette.databases.values():
        if db.is_mutable or db.is_memory:
            continue
        for name in SCHEMA_METHODS:
            original = getattr(db, name, None)
            if original is None or getattr(original, "_semicon_memo", False):
                continue

            async def method(*args, _original=original, _memo={}, **kwargs):  # noqa: B006
                key = (args, tuple(sorted(kwargs.items())))
                if key not in _memo:
                    _memo[key] = await _original(*args, **kwargs)
                value = _memo[key]
                return value if isinstance(value, str | bool | int | type(None)) \
                    else copy.deepcopy(value)

            method._semicon_memo = True  # type: ignore[attr-defined]
            setattr(db, name, method)
            wrapped += 1
    return wrapped


# The SQL of Datasette's column/date/array facets and of a table page's row count.
FACET_SQL = (
    r"^\s*(select \S+ as value, count\(\*\) as count from \(|select count\(\*\) from )"
)
# Datasette's reads of the schema catalogue (e.g. the table-name check in every view-table
# permission check: ~11 per home page through the search plugin).
SCHEMA_SQL = r"^\s*select [^;]*\bfrom sqlite_master\b"


def memoize_queries(datasette, pattern: str, max_entries: int) -> int:
    """Remember results of SQL matching ``pattern`` on immutable databases (LRU per database).

    The database is opened ``immutable=1``: the same SQL with the same parameters cannot
    give another answer while the process runs. Used for schema reads (always) and for
    facet counts and row counts (the facet-count memo):

    A facet is a ``GROUP BY`` over every row that matches the page's filters: ~56 ms per
    facet on a 1,000,000-row table even on an index, and the same for every page of that
    table with those filters (other sorts, other page sizes), which the response cache cannot
    share. Only successful results are kept (a query over the time limit raises, and is
    retried next time); at most ``max_entries`` results per database (a facet result is at
    most ``facet_size + 1`` rows). Returns the number of databases wrapped.
    """
    regex = re.compile(pattern, re.IGNORECASE)
    wrapped = 0
    for db in datasette.databases.values():
        if db.is_mutable or db.is_memory or getattr(db.execute, "_semicon_memo", False):
            continue
        original = db.execute
        memo: OrderedDict = OrderedDict()

        async def execute(sql, params=None, *args, _original=original, _memo=memo, **kwargs):
            if not isinstance(sql, str) or not regex.match(sql):
                return await _original(sql, params, *args, **kwargs)
            if isinstance(params, dict):
                frozen = tuple(sorted((k, repr(v)) for k, v in params.items()))
            else:
                frozen = tuple(repr(v) for v in params or ())
            extra = tuple(sorted((k, repr(v)) for k, v in kwargs.items()
                                 if k not in ("custom_time_limit", "log_sql_errors")))
            key = (sql, frozen, extra, args[:1])
            hit = _memo.get(key)
            if hit is not None:
                _memo.move_to_end(key)
                return hit
            result = await _original(sql, params, *args, **kwargs)
            _memo[key] = result
            while len(_memo) > max_entries:
                _memo.popitem(last=False)
            return result

        execute._semicon_memo = True  # type: ignore[attr-defined]
        db.execute = execute
        wrapped += 1
    return wrapped


def calm_garbage_collector() -> None:
    """Fewer, shorter garbage-collector pauses (the p99 of small pages).

    After start-up, ``gc.freeze()`` moves every object alive (Datasette, Jinja, the plugins,
    templates compiled so far) out of the collector's reach: a full collection no longer
    walks hundreds of thousands of long-lived objects. A larger first-generation threshold
    makes collections rarer; they still run, so cyclic garbage is still freed.
    ``SEMICON_GC_TUNING=0`` leaves the collector alone.
    """
    if os.environ.get("SEMICON_GC_TUNING", "1") == "0":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@hookimpl
def startup(datasette):
    memoize_table_permissions(datasette)
    skip_repeated_schema_refresh(datasette)
    memoize_schema_lookups(datasette)
    calm_garbage_collector()
    entries = int(os.environ.get("SEMICON_FACET_MEMO",
                                 _config(datasette).get("facet_memo_entries", 1024)))
    pattern = f"(?:{SCHEMA_SQL})" + (f"|(?:{FACET_SQL})" if entries > 0 else "")
    memoize_queries(datasette, pattern, max(entries, 1024))


# --------------------------------------------------------------------------- the letter


def _db_dirs(datasette) -> list[Path]:
    dirs = []
    for db in datasette.databases.values():
        if getattr(db, "path", None):
            dirs.append(Path(db.path).resolve().parent)
    return dirs


def find_letter(datasette) -> Path | None:
    """The letter text: absolute ``letter_path``, else ``letter_file`` next to the database,
    in a ``sources/`` folder there, or in any ``--static`` mount."""
    cfg = _config(datasette)
    candidates = []
    if cfg.get("letter_path"):
        candidates.append(Path(cfg["letter_path"]))
    name = cfg.get("letter_file") or ""
    if name:
        base = Path(name).name
        roots = _db_dirs(datasette) + [Path(d) for _, d in datasette.static_mounts]
        for root in roots:
            candidates += [root / name, root / base, root / "sources" / base]
    for c in candidates:
        if c.is_file():
            return c
    return None


def highlight(text: str, quote: str) -> tuple[str, bool]:
    """HTML of ``text`` with the first whitespace-insensitive match of ``quote`` marked."""
    words = quote.split()
    if not words:
        return html.escape(text), False
    pattern = r"\s+".join(re.escape(w) for w in words[:80])
    m = re.search(pattern, text)
    if not m:
        # Quotes may drop the letter's hyphenation at line ends: try with the first words only.
        return html.escape(text), False
    return (
        html.escape(text[: m.start()])
        + '<mark id="quote">'
        + html.escape(m.group(0))
        + "</mark>"
        + html.escape(text[m.end() :]),
        True,
    )


async def letter_page(datasette, request):
    cfg = _config(datasette)
    path = find_letter(datasette)
    if path is None:
        return Response.html(
            await datasette.render_template(
                "error.html",
                {"ok": False, "error": "The letter text is not available.", "status": 404,
                 "title": "Not found"},
                request=request,
            ),
            status=404,
        )
    text = path.read_text(encoding="utf-8")
    quote = (request.args.get("quote") or "")[:4000]
    body, found = highlight(text, quote)
    return Response.html(
        await datasette.render_template(
            "letter.html",
            {
                "letter": cfg.get("letter") or {},
                "letter_html": Markup(body),
                "quote": quote,
                "quote_found": found,
                "letter_download": "/sources/" + path.name,
            },
            request=request,
        )
    )


async def home_page(datasette, request):
    """``/``: our ``index.html`` without Datasette's ``IndexView`` bookkeeping.

    ``IndexView`` looks up the columns, primary keys and FTS table of every table -- ~80 with
    the FTS shadow tables, three thread round-trips each -- to build a list our home page
    does not show (it lists tables from the plugin's cached ``site_tables``). Same template,
    same permission checks; ``/.json`` is still Datasette's.
    """
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    databases = []
    for name in datasette.databases:
        if name.startswith("_"):
            continue
        visible, private = await datasette.check_visibility(
            request.actor, "view-database", name
        )
        if visible:
            databases.append({"name": name, "path": datasette.urls.database(name),
                              "private": private})
    return Response.html(
        await datasette.render_template(
            "index.html",
            {"databases": databases, "metadata": datasette.metadata(),
             "datasette_version": datasette_version,
             "alternate_url_json": datasette.absolute_url(request, "/.json"),
             "select_templates": ["*index.html"]},
            request=request,
            view_name="index",
        )
    )


@hookimpl
def register_routes():
    return [(r"^/$", home_page), (r"^/letter$", letter_page)]


# --------------------------------------------------------------------------- cells


def format_amount(value, currency) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{number} {currency}".strip() if currency else number
    return str(value)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if column == "source_quote" and isinstance(value, str) and value:
        href = "/letter?quote=" + urlquote(value[:600]) + "#quote"
        return Markup(
            '<q class="source-quote">{}</q> <a class="source-link" href="{}">'
            "in the letter&nbsp;&rarr;</a>"
        ).format(value, href)
    if column in AMOUNT_COLUMNS:
        try:
            currency = row["currency"]
        except (KeyError, IndexError):
            currency = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Markup('<span class="amount" data-value="{}">{}</span>').format(
                value, format_amount(value, currency)
            )
    return None


# --------------------------------------------------------------------------- home page


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


def downloads(datasette) -> list[dict]:
    """Files under the ``downloads`` static mount: package zip, DuckDB, SQLite, Parquet, JSON."""
    root = next((Path(d) for m, d in datasette.static_mounts if m == "downloads"), None)
    if root is None or not root.is_dir():
        return []
    kinds = [
        ("*.zip", "Data package (CSV + datapackage.json + letter)"),
        ("*.duckdb", "DuckDB database"),
        ("*.db", "SQLite database"),
        ("parquet/*.parquet", "Parquet"),
        ("metadata.json", "Datasette metadata"),
        ("build.json", "Build record (hashes, versions)"),
    ]
    out = []
    for pattern, kind in kinds:
        for p in sorted(root.glob(pattern)):
            rel = p.relative_to(root).as_posix()
            out.append(
                {"name": rel, "kind": kind, "url": "/downloads/" + rel,
                 "size": _human_size(p.stat().st_size)}
            )
    return out


def build_info(datasette) -> dict:
    for d in _db_dirs(datasette):
        p = d / "build.json"
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
    return {}


def facet_links(datasette, database: str | None, table: str | None, request) -> list[dict]:
    """One-click ``?_facet=`` links for a table whose default facets were left out for size.

    ``build_metadata`` lists them in the plugin configuration as ``facet_links``.
    """
    cols = (_config(datasette).get("facet_links") or {}).get(table or "")
    if not cols or request is None:
        return []
    active = set(request.args.getlist("_facet"))
    return [
        {"column": c, "href": path_with_added_args(request, {"_facet": c})}
        for c in cols
        if c not in active
    ]


@hookimpl
def extra_template_vars(template, database, table, datasette, request):
    if template == "table.html":
        return {"semicon_facet_links": facet_links(datasette, database, table, request)}
    if template not in ("index.html", "letter.html"):
        return None

    async def inner():
        cfg = _config(datasette)
        cache = datasette._semicon_home = getattr(datasette, "_semicon_home", None) or {}
        if "tables" not in cache:
            tables = []
            for name, db in datasette.databases.items():
                if name.startswith("_"):
                    continue
                counts = await db.table_counts(limit=1000)
                meta = (datasette.metadata("tables", database=name) or {})
                for t in await db.table_names():
                    if t.endswith(("_fts", "_fts_data", "_fts_idx", "_fts_docsize",
                                   "_fts_config", "_fts_content")):
                        continue
                    tm = meta.get(t, {})
                    tables.append({
                        "database": name, "name": t, "count": counts.get(t),
                        "title": tm.get("title") or t, "description": tm.get("description", ""),
                        "columns": tm.get("columns", {}), "facets": tm.get("facets", []),
                        "sort": tm.get("sort"), "sort_desc": tm.get("sort_desc"),
                        "facet_links": (cfg.get("facet_links") or {}).get(t, []),
                        "label_column": tm.get("label_column"),
                        "fts": bool(tm.get("fts_table")),
                    })
                for v in await db.view_names():
                    tables.append({"database": name, "name": v, "count": None, "view": True,
                                   "title": (meta.get(v) or {}).get("title") or v,
                                   "description": (meta.get(v) or {}).get("description", ""),
                                   "columns": {}, "facets": []})
            cache["tables"] = tables
            cache["downloads"] = downloads(datasette)
            cache["build"] = build_info(datasette)
            # Static for the life of the process: render the long table documentation once.
            fragment = datasette.jinja_env.get_template("_semicon_tables.html")
            cache["tables_html"] = Markup(
                await fragment.render_async({"site_tables": tables, "urls": datasette.urls})
            )
        return {
            "semicon": cfg,
            "package": cfg.get("package") or {},
            "letter": cfg.get("letter") or {},
            "site_tables": cache["tables"],
            "site_tables_html": cache["tables_html"],
            "downloads": cache["downloads"],
            "build": cache["build"],
        }

    return inner
