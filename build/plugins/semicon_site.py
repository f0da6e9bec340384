"""Datasette plugin for the semicon-nl site (loaded with ``--plugins-dir``).

- ``asgi_wrapper``: security (no open redirects, no formula injection in CSV exports, a few
  safe headers) and an in-memory response cache: the database is immutable, so a page's bytes
  never change while the process runs.
- ``register_routes``: ``/letter``, the source letter as readable text, with the quote being
  cited highlighted (``/letter?quote=...``).
- ``render_cell``: every ``source_quote`` links to that passage of the letter; amounts are shown
  with thousands separators and their currency (never converted).
- ``extra_template_vars``: package, letter, build and download facts for the home page.

Configured through ``metadata.json`` → ``plugins`` → ``semicon-site`` (written by
``semicon.build.datasette_metadata.build_metadata``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote as urlquote

from datasette import hookimpl
from datasette.utils.asgi import Response
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


@hookimpl
def register_routes():
    return [(r"^/letter$", letter_page)]


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


@hookimpl
def extra_template_vars(template, database, table, datasette):
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
        return {
            "semicon": cfg,
            "package": cfg.get("package") or {},
            "letter": cfg.get("letter") or {},
            "site_tables": cache["tables"],
            "downloads": cache["downloads"],
            "build": cache["build"],
        }

    return inner
