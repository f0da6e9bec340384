"""Security for the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

``asgi_wrapper``, on every request:

- no open redirects: paths a browser may read as another site answer 404, and so does a
  response whose ``Location`` leaves the site;
- URLs longer than :data:`MAX_URL` bytes answer 414 (they are not computed, cached or logged);
- no formula injection in CSV exports: every cell a spreadsheet would run as a formula (the
  project's one definition, ``semicon.schemas.formulas``, which the validator uses too) gets a
  leading ``'``;
- one Content-Security-Policy, one Referrer-Policy and the other :data:`SECURITY_HEADERS` on
  every response (replacing any the application set, whatever its case);
- an exception that escapes Datasette becomes an error page with those headers and one log line.

Runs innermost of the site's ASGI wrappers (``tryfirst``), inside the response cache of
``semicon_cache.py``: the cache only ever stores and replays responses that passed through here.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import logging
import re
from pathlib import Path

from datasette import hookimpl


def _load_formulas():
    """The project's formula-cell definition: from the installed package, or, in the folder
    ``semicon publish`` writes, the copy of it beside this plugin."""
    try:
        from semicon.schemas import formulas
    except ImportError:
        path = Path(__file__).with_name("semicon_formulas.py")
        spec = importlib.util.spec_from_file_location("semicon_formulas", path)
        formulas = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(formulas)
    return formulas


formulas = _load_formulas()
escape_cell = formulas.escape

#: longest path plus query string served (longer: 414, never computed, cached or logged)
MAX_URL = 16 * 1024
#: what the site's pages need: their own scripts and styles (Datasette's pages carry inline
#: ones, some with per-page data), images including data: URIs, nothing from other sites,
#: no plugins, no <base> hijack, forms only to the site, framing only by the site.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    # Datasette sets no-referrer on its data pages; one policy for every page.
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
]
_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
#: CSV rewrites above this size run in a worker thread, off the event loop
THREAD_MIN = 256 * 1024
LOG = logging.getLogger("semicon.site")

# Cells may be as long as SQLite allows (semicon_sqlite.py); the csv module's default field
# limit (131,072 characters) would turn a longer cell into an error message.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def with_security_headers(headers: list) -> list:
    """``headers`` with exactly one of each security header (names compared lower-case)."""
    return [h for h in headers if h[0].lower() not in _SECURITY_NAMES] + SECURITY_HEADERS


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


#: a cell that may start a formula: first byte of an unquoted or quoted cell (false hits in
#: quoted text only cost a parse)
_CANDIDATE = re.compile(rb'(?:^|[,\n])(?:"[=+\-@\t\r]|[=+\-@\t])')


def record_end(buf: bytes) -> int:
    """Index just past the last newline outside quotes in ``buf`` (which starts a record).

    In CSV a quote only appears in quoted cells, doubled inside them, so a newline is a record
    boundary exactly when an even number of quotes precede it. Bytes methods only: linear
    and in C, however long the cells.
    """
    i = buf.rfind(b"\n")
    if i < 0:
        return 0
    quotes = buf.count(b'"', 0, i)
    while quotes % 2:
        j = buf.rfind(b"\n", 0, i)
        if j < 0:
            return 0
        quotes -= buf.count(b'"', j, i)
        i = j
    return i + 1


def rewrite(records: bytes) -> bytes:
    """Complete CSV records with every formula cell escaped (unchanged without candidates)."""
    if not _CANDIDATE.search(records):
        return records
    text = records.decode("utf-8", errors="surrogateescape")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([escape_cell(c) for c in row]
                     for row in csv.reader(io.StringIO(text, newline="")))
    return out.getvalue().encode("utf-8", errors="surrogateescape")


class CsvEscaper:
    """Rewrite a CSV byte stream chunk by chunk; records may span chunks."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []

    def take(self, data: bytes, final: bool = False) -> bytes:
        """The complete records now available (the rest waits for the next chunk)."""
        if not final and b"\n" not in data:
            self.pending.append(data)
            return b""
        buf = b"".join([*self.pending, data])
        cut = len(buf) if final else record_end(buf)
        self.pending = [buf[cut:]] if cut < len(buf) else []
        return buf[:cut]

    def feed(self, data: bytes, final: bool = False) -> bytes:
        return rewrite(self.take(data, final))


async def _send_error(send, status: int, title: str) -> None:
    body = f"<!DOCTYPE html><title>{title}</title><h1>{status}: {title}</h1>".encode()
    await send({"type": "http.response.start", "status": status,
                "headers": with_security_headers(
                    [(b"content-type", b"text/html; charset=utf-8")])})
    await send({"type": "http.response.body", "body": body})


def wrap(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if unsafe_path(scope["path"]) or unsafe_path(raw_path.decode("latin-1")):
            return await _send_error(send, 404, "Not found")
        if len(raw_path) + len(scope.get("query_string") or b"") > MAX_URL:
            return await _send_error(send, 414, "URI too long")
        is_csv = scope["path"].endswith(".csv")
        state = {"escaper": None, "started": False, "blocked": False}

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = list(message.get("headers") or [])
                for name, value in headers:
                    if name.lower() == b"location" and not safe_location(value.decode("latin-1")):
                        await _send_error(send, 404, "Not found")
                        state["blocked"] = True
                        return
                ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if is_csv or ctype.startswith(b"text/csv"):
                    state["escaper"] = CsvEscaper()
                    headers = [h for h in headers if h[0].lower() != b"content-length"]
                await send({**message, "headers": with_security_headers(headers)})
                return
            if state["blocked"]:
                return
            escaper = state["escaper"]
            if message["type"] == "http.response.body" and escaper is not None:
                ready = escaper.take(message.get("body", b""),
                                     final=not message.get("more_body", False))
                if len(ready) > THREAD_MIN:
                    ready = await asyncio.to_thread(rewrite, ready)
                else:
                    ready = rewrite(ready)
                message = {**message, "body": ready}
            await send(message)

        try:
            await app(scope, receive, wrapped_send)
        except Exception as exc:
            LOG.error("500 %s %s: %s: %s", scope.get("method"), scope["path"][:300],
                      type(exc).__name__, " ".join(str(exc).split())[:300])
            if not state["started"]:
                await _send_error(send, 500, "Server error")

    return wrapped


# Called first, so applied first: the innermost wrapper, inside semicon_cache's (trylast).
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return wrap
