"""Speed for the semicon-nl site's immutable database (Datasette plugin, ``--plugins-dir``).

See docs/serve.md, "What keeps it fast".

- ``asgi_wrapper``: an in-memory response cache: the database is immutable, so a page's bytes
  never change while the process runs. Runs outermost of the site's ASGI wrappers
  (``trylast``), around the security wrapper of ``semicon_security.py``: it stores responses
  as they leave the site, security headers and CSV escaping included.
- ``startup``: memoized permission and schema look-ups, one schema refresh, a facet-count memo,
  a calmer garbage collector; ``/`` itself is served by ``semicon_pages.py``.
"""

from __future__ import annotations

import copy
import gc
import os
import re
import weakref
from collections import OrderedDict

from datasette import hookimpl

#: default memory bound of the response cache (``cache_mb``, ``SEMICON_CACHE_MB``)
CACHE_MB = 16
#: megabytes of computed responses between two runs of the garbage collector (``gc_every_mb``)
GC_EVERY_MB = 8
#: Datasette -> its ``semicon-site`` plugin configuration, read once: the metadata is fixed
#: for the server's life, and each ``plugin_config`` call walks the whole configuration
#: (it holds the drawn charts) to resolve ``$env``/``$file`` secrets
_SITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _config(datasette) -> dict:
    """The site's plugin configuration (``semicon-site`` in ``metadata.json``)."""
    if datasette not in _SITE:
        _SITE[datasette] = datasette.plugin_config("semicon-site") or {}
    return _SITE[datasette]


#: bytes counted for an entry besides its key, headers and body (dicts, tuples, list)
ENTRY_OVERHEAD = 512
#: longest query string worth caching: real pages have short ones; a long one is most
#: likely a one-off (or an attempt to fill the cache), so it is answered but not kept
MAX_CACHED_QUERY = 2048


def entry_size(key: tuple, start: dict, body: bytes) -> int:
    """Bytes an entry holds: key (with its query string), response headers, body."""
    keys = sum(len(part) for part in key if isinstance(part, bytes | str))
    headers = sum(len(n) + len(v) for n, v in start.get("headers") or [])
    return keys + headers + len(body) + ENTRY_OVERHEAD


class ResponseCache:
    """A bounded LRU of complete responses keyed by method, scheme, host, path and query.

    ``max_bytes`` bounds everything an entry holds (:func:`entry_size`), GET and HEAD alike.
    """

    def __init__(self, max_bytes: int, max_item: int) -> None:
        self.max_bytes = max_bytes
        self.max_item = max_item
        self.items: OrderedDict = OrderedDict()
        self.size = 0

    def get(self, key):
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
            return item[:2]
        return None

    def put(self, key, start: dict, body: bytes) -> None:
        size = entry_size(key, start, body)
        if size > self.max_item or key in self.items:
            return
        self.items[key] = (start, body, size)
        self.size += size
        while self.size > self.max_bytes and self.items:
            _, (_, _, old) = self.items.popitem(last=False)
            self.size -= old


def _cacheable(scope) -> bool:
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    if len(scope.get("query_string") or b"") > MAX_CACHED_QUERY:
        return False
    private = (b"cookie", b"authorization")
    return all(name not in private for name, _ in scope.get("headers") or [])


def cache_key(scope) -> tuple:
    """What makes two requests the same page: the scheme (absolute URLs in ``Link``
    headers, ``<link rel=alternate>`` and JSON ``next_url`` carry it), host, path, query."""
    host = next((v for n, v in scope.get("headers") or [] if n == b"host"), b"")
    return (scope["method"], scope.get("scheme", "http"), host, scope["path"],
            scope.get("query_string", b""))


def wrap(app, cache: ResponseCache):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        path = scope["path"]
        if not _cacheable(scope) or path.endswith(".csv"):
            return await app(scope, receive, send)
        key = cache_key(scope)
        hit = cache.get(key)
        if hit is not None:
            start, body = hit
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        state = {"start": None, "chunks": [], "size": 0}

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if message["status"] == 200 and not any(
                    n.lower() == b"set-cookie" for n, _ in headers
                ):
                    state["start"] = message
            elif message["type"] == "http.response.body" and state["start"] is not None:
                more = message.get("more_body", False)
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


# Called last, so applied last: the outermost wrapper, around semicon_security's (tryfirst).
def collecting(app, every: int):
    """Run the garbage collector after each ``every`` bytes of responses the site computed.

    Datasette 0.65.5 leaves a reference cycle behind every request: its check of the
    ``ds_messages`` cookie raises and catches ``BadSignature``, and that traceback keeps the
    request's frame, response and rows included, until the collector runs. The collector
    counts allocations of objects, not bytes: a CSV export of a few rows of 1.5 MB cells
    allocates few objects, and with the calmer thresholds of :func:`calm_garbage_collector`
    sixty such exports grew the server to ~1 GB. Cache hits never reach Datasette: this
    wrapper sits inside the response cache.
    """
    state = {"sent": 0}

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def counted(message):
            if message["type"] == "http.response.body":
                state["sent"] += len(message.get("body", b""))
            await send(message)

        await app(scope, receive, counted)
        if state["sent"] >= every:
            state["sent"] = 0
            gc.collect()

    return wrapped


@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    cfg = _config(datasette)
    mb = float(os.environ.get("SEMICON_CACHE_MB", cfg.get("cache_mb", CACHE_MB)))
    every = int(float(cfg.get("gc_every_mb", GC_EVERY_MB)) * 1024 * 1024)
    if mb <= 0:
        return lambda app: collecting(app, every)
    cache = ResponseCache(int(mb * 1024 * 1024), 2 * 1024 * 1024)

    def wrapper(app):
        return wrap(collecting(app, every), cache)

    return wrapper


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
