"""Pages of the site (Datasette plugin, loaded with ``--plugins-dir``).

- ``register_routes``: ``/``, the home page without Datasette's ``IndexView`` bookkeeping,
  and one reading page per source document the package declares (``documents`` in the
  ``semicon-site`` configuration): the document's text, the passage being cited highlighted
  (``<page>?quote=...``). A package without source documents has no such page.
- ``extra_template_vars``: package, document, build and download facts for the home page;
  one-click facet links for tables too large for default facets.
"""

from __future__ import annotations

import html
import json
import re
import weakref
from pathlib import Path

from datasette import hookimpl
from datasette.utils import path_with_added_args
from datasette.utils.asgi import Response
from datasette.version import __version__ as datasette_version
from markupsafe import Markup

#: the static mount holding the source documents' texts (``semicon.build.site``)
DOCUMENTS_MOUNT = "documents"
#: Datasette -> its ``semicon-site`` plugin configuration, read once: the metadata is fixed
#: for the server's life, and each ``plugin_config`` call walks the whole configuration
#: (it holds the drawn charts) to resolve ``$env``/``$file`` secrets
_SITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _config(datasette) -> dict:
    """The site's plugin configuration (``semicon-site`` in ``metadata.json``)."""
    if datasette not in _SITE:
        _SITE[datasette] = datasette.plugin_config("semicon-site") or {}
    return _SITE[datasette]


def _db_dirs(datasette) -> list[Path]:
    """Folders of the served database files."""
    return [Path(db.path).resolve().parent for db in datasette.databases.values()
            if getattr(db, "path", None)]


def document_text(datasette, doc: dict) -> Path | None:
    """The text file of ``doc``: its ``file`` in the ``documents`` static mount."""
    name = Path(str(doc.get("file") or "")).name
    if not name:
        return None
    for mount, folder in datasette.static_mounts:
        if mount == DOCUMENTS_MOUNT and (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def document(datasette, url: str) -> dict | None:
    """The configured document whose reading page is at ``url``."""
    return next((d for d in _config(datasette).get("documents") or [] if d.get("url") == url),
                None)


def highlight(text: str, quote: str) -> tuple[str, bool]:
    """HTML of ``text`` with the first whitespace-insensitive match of ``quote`` marked."""
    words = quote.split()
    if not words:
        return html.escape(text), False
    pattern = r"\s+".join(re.escape(w) for w in words[:80])
    m = re.search(pattern, text)
    if not m:
        # Quotes may drop the text's hyphenation at line ends: try with the first words only.
        return html.escape(text), False
    return (
        html.escape(text[: m.start()])
        + '<mark id="quote">'
        + html.escape(m.group(0))
        + "</mark>"
        + html.escape(text[m.end() :]),
        True,
    )


#: how each status of ``semicon coverage`` reads on the reading page
COVERAGE_TITLES = {"quoted": "Quoted by {n} row(s)", "excluded": "Left out on purpose",
                   "missing": "No row quotes this sentence"}


def coverage_html(text: str, sentences: list, match: tuple[int, int] | None) -> str:
    """HTML of ``text`` with each sentence marked by its coverage status, and the ``match``
    span (the cited passage) marked ``#quote``, cut at sentence edges."""
    out: list[str] = []
    first_mark = [True]

    def piece(a: int, b: int) -> str:
        if a >= b:
            return ""
        if match is None or b <= match[0] or a >= match[1]:
            return html.escape(text[a:b])
        lo, hi = max(a, match[0]), min(b, match[1])
        ident = ' id="quote"' if first_mark[0] else ""
        first_mark[0] = False
        return (html.escape(text[a:lo]) + f"<mark{ident}>" + html.escape(text[lo:hi])
                + "</mark>" + html.escape(text[hi:b]))

    pos = 0
    for start, end, status, rows, href in sorted(sentences):
        if start < pos or end > len(text):
            continue
        out.append(piece(pos, start))
        title = COVERAGE_TITLES.get(status, status).format(n=rows)
        body = piece(start, end)
        if href:
            body = f'<a class="row-link" href="{html.escape(href)}">{body}</a>'
        out.append(f'<span class="sentence s-{html.escape(status)}" title="{title}">'
                   f"{body}</span>")
        pos = end
    out.append(piece(pos, len(text)))
    return "".join(out)


def quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where the first whitespace-insensitive match of ``quote`` lies in ``text``."""
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words[:80]), text)
    return (m.start(), m.end()) if m else None


async def _not_found(datasette, request, message: str):
    return Response.html(
        await datasette.render_template(
            "error.html",
            {"ok": False, "error": message, "status": 404, "title": "Not found"},
            request=request,
        ),
        status=404,
    )


async def document_page(datasette, request):
    """A source document's reading page, the ``?quote=`` passage marked ``#quote``."""
    doc = document(datasette, request.path)
    path = document_text(datasette, doc) if doc else None
    if path is None:
        return await _not_found(datasette, request, "This document is not available.")
    text = path.read_text(encoding="utf-8", errors="replace")
    quote = (request.args.get("quote") or "")[:4000]
    body, found = highlight(text, quote)
    cover = doc.get("coverage")
    if cover and cover.get("sentences"):
        span = quote_span(text, quote)
        body, found = coverage_html(text, cover["sentences"], span), span is not None
    return Response.html(
        await datasette.render_template(
            "document.html",
            {
                "document": doc,
                "document_html": Markup(body),
                "coverage": cover,
                "quote": quote,
                "quote_found": found,
                "document_download": f"/{DOCUMENTS_MOUNT}/{path.name}",
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
def register_routes(datasette):
    routes = [(r"^/$", home_page)]
    for doc in _config(datasette).get("documents") or []:
        routes.append((f"^{re.escape(doc['url'])}$", document_page))
    return routes


def inline_code(text: str) -> Markup:
    """Plain text as HTML, each `backquoted` span set as code."""
    parts = html.escape(text).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


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
        ("*.zip", "Data package (zip)"),
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
    if template not in ("index.html", "document.html"):
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
            "documents": cfg.get("documents") or [],
            "home": cfg.get("home") or {},
            "home_about": inline_code((cfg.get("home") or {}).get("about") or ""),
            "site_tables": cache["tables"],
            "site_tables_html": cache["tables_html"],
            "downloads": cache["downloads"],
            "build": cache["build"],
        }

    return inner
