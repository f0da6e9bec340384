"""The Datasette site over the built SQLite file: settings, arguments and site files.

The site is Datasette 0.65.5 run immutable (``-i``) with the generated ``metadata.json``, the
templates, plugins and static files shipped in ``semicon.build``, and settings chosen for a
public, read-only site (see ``SETTINGS``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from semicon.build.charts import ChartError, draw_charts_cached
from semicon.build.datasette_metadata import (
    LARGE_TABLE_ROWS,
    build_metadata,
    database_name,
    site_documents,
    table_resources,
)
from semicon.build.errors import BuildError
from semicon.build.site_declarations import parse_site
from semicon.schemas.model import Package, as_package

SITE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = SITE_DIR / "templates"
PLUGINS_DIR = SITE_DIR / "plugins"
STATIC_DIR = SITE_DIR / "static"

# Datasette settings for a public, read-only site. Each is a deliberate choice:
SETTINGS: dict[str, str] = {
    # A query (canned or typed by a visitor) may run at most 1 s: bounds the cost of any URL.
    "sql_time_limit_ms": "1000",
    # Datasette's default page cap; the JSON API pages through anything larger.
    "max_returned_rows": "1000",
    # Full-table CSV downloads stream (``_stream=on``) but stop at 50 MB per request.
    "allow_csv_stream": "on",
    "max_csv_mb": "50",
    # Facet suggestions run one GROUP BY per column on every table page: the main cost on
    # big tables (1.9 vs 48 req/s at 1M rows). Default facets come from metadata instead.
    "suggest_facets": "off",
    # Default facets are indexed GROUP BYs; 800 ms lets them finish on 1M rows.
    "facet_time_limit_ms": "800",
    # 50 rows a page renders in half the time of 100 and still fills a screen.
    "default_page_size": "50",
    # The data never changes while a process runs: let browsers and CDNs keep pages 5 min.
    "default_cache_ttl": "300",
    # No arbitrary-SQL page is hidden: it is read-only and time-limited like every query.
    "allow_download": "on",
}

# Distributions the published site needs (pinned to what is installed and tested here).
REQUIREMENTS = ("datasette", "datasette-search-all")


def datasette_settings_args() -> list[str]:
    args: list[str] = []
    for key, value in SETTINGS.items():
        args += ["--setting", key, value]
    return args


def datasette_args(
    db: Path,
    metadata: Path,
    *,
    templates: Path = TEMPLATES_DIR,
    plugins: Path = PLUGINS_DIR,
    static: Path = STATIC_DIR,
    inspect: Path | None = None,
    downloads: Path | None = None,
    documents: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8001,
) -> list[str]:
    """Arguments after ``datasette serve`` for the site."""
    args = [
        "-i",
        str(db),
        "--metadata",
        str(metadata),
        "--template-dir",
        str(templates),
        "--plugins-dir",
        str(plugins),
        "--static",
        f"site-static:{static}",
    ]
    if inspect is not None:
        # Row counts (and the file hash) computed once by ``datasette inspect``: no
        # ``count(*)`` for an unfiltered table page or the home page, at any size.
        args += ["--inspect-file", str(inspect)]
    if downloads is not None:
        args += ["--static", f"downloads:{downloads}"]
    if documents is not None:
        args += ["--static", f"{DOCUMENTS_DIR_NAME}:{documents}"]
    args += datasette_settings_args()
    args += ["--cors", "--host", host, "--port", str(port)]
    return args


def datasette_command(*args: str) -> list[str]:
    """``datasette serve ...`` run with this interpreter's Datasette."""
    return [sys.executable, "-m", "datasette", "serve", *args]


SITE_DIR_NAME = "site"
#: the source documents' texts, served at ``/documents/``
DOCUMENTS_DIR_NAME = "documents"
DOWNLOADS_DIR_NAME = "downloads"
#: the build outputs a visitor may download (the rest of the output folder is not served)
DOWNLOAD_PATTERNS = ("*.zip", "*.duckdb", "*.db", "build.json", "metadata.json", "parquet",
                     "catalog.ttl", "catalog.jsonld", "dataset.jsonld")


def served_database(out: Path, name: str) -> Path:
    """The SQLite file the site serves: the build's ``<name>.db`` plus its full-text index
    (``semicon.build.sqlite_db.write_search_copy``), in the site folder."""
    return out / SITE_DIR_NAME / f"{name}.db"


def _fresh_beside(target: Path) -> Path:
    """An empty folder beside ``target`` to assemble its next version in."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def _swap_in(tmp: Path, target: Path) -> Path:
    """Put the folder ``tmp`` in place of ``target`` whole (a site never sees half of it)."""
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    if old.exists():
        shutil.rmtree(old)
    return target


def write_downloads(out: Path, target: Path) -> Path:
    """Fill the folder ``target`` with the downloadable outputs of ``out``; return it.

    Files are hard links where the file system allows (no copy of a large database),
    copies elsewhere. ``target`` is assembled beside itself and swapped in whole, so a
    running site never serves a half-written folder.
    """
    tmp = _fresh_beside(target)
    for pattern in DOWNLOAD_PATTERNS:
        for src in sorted(out.glob(pattern)):
            if src.is_dir():
                shutil.copytree(src, tmp / src.name, copy_function=_link_or_copy)
            elif src.is_file():
                _link_or_copy(src, tmp / src.name)
    return _swap_in(tmp, target)


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_inspect_file(db: Path, target: Path) -> dict[str, Any]:
    """``datasette inspect`` of the immutable ``db`` into ``target`` (skipped when current).

    Datasette then takes table row counts from this file instead of running ``count(*)``
    (an unfiltered 1,000,000-row table page, the home page's table counts).
    """
    if target.is_file() and target.stat().st_mtime_ns >= db.stat().st_mtime_ns:
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            if all(v.get("size") == db.stat().st_size for v in data.values()):
                return data
        except (OSError, ValueError, AttributeError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    subprocess.run(
        [sys.executable, "-m", "datasette", "inspect", str(db), "--inspect-file", str(tmp)],
        check=True, capture_output=True,
    )
    os.replace(tmp, target)
    return json.loads(target.read_text(encoding="utf-8"))


def row_counts(inspect_data: dict[str, Any]) -> dict[str, int]:
    """table -> rows from ``datasette inspect`` data (one database)."""
    counts: dict[str, int] = {}
    for db in inspect_data.values():
        for table, info in (db.get("tables") or {}).items():
            if isinstance(info, dict) and isinstance(info.get("count"), int):
                counts[table] = info["count"]
    return counts


def _sqlite_reader(db: Path):
    """Read-only access to the built SQLite file: rows of a table, distinct counts."""
    return sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)


def _rows_of(db: Path):
    def rows_of(table: str) -> list[dict[str, Any]]:
        con = _sqlite_reader(db)
        try:
            cur = con.execute(f'SELECT * FROM "{table.replace(chr(34), chr(34) * 2)}"')
            names = [d[0] for d in cur.description]
            return [{k: ("" if v is None else str(v)) for k, v in zip(names, row, strict=True)}
                    for row in cur]
        except sqlite3.Error:
            return []
        finally:
            con.close()

    return rows_of


def distinct_counts(db: Path, package: Package, counts: dict[str, int]
                    ) -> dict[str, dict[str, int]]:
    """table -> column -> distinct values, for the tables small enough to get default facets
    (what lets a package that declares no facets get some on low-cardinality columns)."""
    out: dict[str, dict[str, int]] = {}
    con = _sqlite_reader(db)
    try:
        for resource in table_resources(package):
            table = resource.name
            if not 0 < counts.get(table, 0) <= LARGE_TABLE_ROWS:
                continue
            cols = resource.field_names
            q = [f'COUNT(DISTINCT "{c.replace(chr(34), chr(34) * 2)}")' for c in cols]
            t = table.replace(chr(34), chr(34) * 2)
            row = con.execute(f'SELECT {", ".join(q)} FROM "{t}"').fetchone()
            out[table] = dict(zip(cols, row, strict=True))
    except sqlite3.Error:
        return {}
    finally:
        con.close()
    return out


def site_metadata(source: Package | Path, counts: dict[str, int], db: Path | None = None) -> str:
    """The site's ``metadata.json`` text; with the built ``db``, document rows and column
    cardinalities are read from it."""
    package = as_package(source)
    extra: dict[str, Any] = {}
    if db is not None and db.is_file():
        extra = {"rows_of": _rows_of(db), "distinct": distinct_counts(db, package, counts)}
    try:
        meta = build_metadata(package, row_counts=counts, **extra)
    except ValueError as exc:
        raise BuildError(f"the site declaration cannot be used: {exc}") from None
    if db is not None and db.is_file():
        _add_drawn_charts(meta, package, db)
    if package.kind == "descriptor":  # the documents and quotes a descriptor declares
        _add_coverage(meta, package, database_name(package))
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def _add_coverage(meta: dict[str, Any], package: Package, database: str) -> None:
    """Give each reading page the sentences of its document and whether rows quote them
    (``semicon coverage``): ``[start, end, status, rows, first row's path]`` each."""
    from semicon.build.charts import site_urls
    from semicon.schemas.coverage import CoverageError, coverage

    config = (meta.get("plugins") or {}).get("semicon-site") or {}
    documents = config.get("documents") or []
    if not documents:
        return
    try:
        report = coverage(package)
    except CoverageError:
        return
    row_url, _ = site_urls(database)
    by_id = {d.id: d for d in report.documents}
    for doc in documents:
        measured = by_id.get(doc.get("id"))
        if measured is None:
            continue
        doc["coverage"] = {
            "percent": round(measured.percent, 1),
            "quoted": measured.count("quoted"), "excluded": measured.count("excluded"),
            "missing": measured.count("missing"),
            "sentences": [[s.sentence.start, s.sentence.end, s.status, len(s.rows),
                           row_url(s.rows[0].resource, s.rows[0].key)
                           if s.rows and s.rows[0].key else ""]
                          for s in measured.sentences],
        }


def _add_drawn_charts(meta: dict[str, Any], package: Package, db: Path) -> None:
    """Draw the declared charts (``semicon.site.charts``) from ``db`` into the metadata."""
    raw = parse_site(package.declarations).charts
    if not raw:
        return
    cache = db.with_name("charts.json")  # beside the served file
    try:
        drawn = draw_charts_cached(raw, db, database_name(package), cache)
    except ChartError as exc:
        raise BuildError(f"the site declaration cannot be used: {exc}") from None
    meta.setdefault("plugins", {}).setdefault("semicon-site", {})["drawn_charts"] = drawn


def write_document_texts(source: Package | Path, db: Path, target: Path) -> Path | None:
    """The folder ``target`` holding the text of every source document with a reading page
    (served at ``/documents/``); ``None`` when the package has none."""
    package = as_package(source)
    docs = site_documents(package, _rows_of(db))
    if not docs:
        if target.exists():
            shutil.rmtree(target)
        return None
    tmp = _fresh_beside(target)
    for doc in docs:
        _link_or_copy(doc.text, tmp / doc.file)
    return _swap_in(tmp, target)


def site_files(source: Package | Path, out: Path) -> tuple[Path, Path, Path]:
    """The SQLite file, the site's metadata and its ``datasette inspect`` file.

    All three are in ``<out>/site/`` (the served database is written by the build, the
    other two here when they changed), with the source documents' texts in
    ``<out>/site/documents/``. The metadata is generated with the served file's row
    counts, so tables over ``LARGE_TABLE_ROWS`` rows get no default facets (see
    ``semicon.build.datasette_metadata``).
    """
    package = as_package(source)
    db = served_database(out, package.name)
    if not db.is_file():
        raise BuildError(f"{db} is missing: run `semicon build` first")
    site = out / SITE_DIR_NAME
    inspect = site / "inspect-data.json"
    data = write_inspect_file(db, inspect)
    metadata = site / "metadata.json"
    _write_if_changed(metadata, site_metadata(package, row_counts(data), db))
    write_document_texts(package, db, site / DOCUMENTS_DIR_NAME)
    return db, metadata, inspect


def serve_args(source: Package | Path, out: Path, host: str, port: int) -> list[str]:
    package = as_package(source)
    db, metadata, inspect = site_files(package, out)
    documents = out / SITE_DIR_NAME / DOCUMENTS_DIR_NAME
    return datasette_args(
        db,
        metadata,
        inspect=inspect,
        downloads=write_downloads(out, out / DOWNLOADS_DIR_NAME),
        documents=documents if documents.is_dir() else None,
        host=host,
        port=port,
    )
