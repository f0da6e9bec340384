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
import importlib.util
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
LOG = logging.getLogger("semicon.site")


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


def _char_class(chars) -> bytes:
    return b"[" + b"".join(re.escape(c).encode() for c in chars) + b"]"


# The project's definition (semicon.schemas.formulas) applied to CSV as written (RFC 4180,
# as Python's csv module writes it): a cell follows a comma or a newline (the text searched
# gets a newline in front, for the first cell); a quoted cell starts with '"'; an unquoted cell
# never holds CR (the writer would have quoted it). Numbers are no candidates.
_CELL_END = rb"(?=,|\r?\n|$)"
_NUMBER = formulas.NUMBER_PATTERN.encode()
_CANDIDATE = re.compile(
    rb'[,\n](?:(")(?!' + _NUMBER + b'"' + _CELL_END + b")"
    + _char_class(formulas.FORMULA_CHARS) + b"|(?!" + _NUMBER + _CELL_END + b")"
    + _char_class([c for c in formulas.FORMULA_CHARS if c not in "\r\n"]) + b")")


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


#: bytes per comma or newline above which cells are long enough to visit one by one
_SPARSE = 64


def _candidates(text: bytes):
    """The matches of :data:`_CANDIDATE` in ``text``, in order.

    The regular expression looks at every byte; when cells are long (few commas and
    newlines), visiting each comma and newline found by ``bytes.find`` is far cheaper.
    """
    if (text.count(b",") + text.count(b"\n")) * _SPARSE >= len(text):
        yield from _CANDIDATE.finditer(text)
        return
    delimiters = []
    for d in (b",", b"\n"):
        i = text.find(d)
        while i >= 0:
            delimiters.append(i)
            i = text.find(d, i + 1)
    delimiters.sort()
    last_end = 0
    for i in delimiters:
        if i >= last_end:
            m = _CANDIDATE.match(text, i)
            if m is not None:
                last_end = m.end()
                yield m


def rewrite(records: bytes) -> bytes:
    """Complete CSV records with a ``'`` put before every formula cell's first character.

    Nothing is parsed or re-written: one regular expression finds the cells that start with
    a formula character and are not numbers, and a count of the quotes before each tells
    whether it really starts a cell (an even count) or lies inside a quoted one. C speed but
    for one step per formula cell, and a spreadsheet's data rarely holds one.
    """
    text = b"\n" + records
    parts: list[bytes] = []
    last = scanned = quotes = 0
    for m in _candidates(text):
        start = m.start() + 1  # the cell, after its comma or newline
        quotes += text.count(b'"', scanned, start)
        scanned = start
        if quotes % 2:
            continue  # inside a quoted cell
        at = start + (m.group(1) is not None)
        parts += [text[last:at], b"'"]
        last = at
    if not parts:
        return records
    parts.append(text[last:])
    return b"".join(parts)[1:]


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
                await send({**message, "body": rewrite(ready)})
                # Datasette writes a CSV export row by row without waiting for anything:
                # let other requests run between rows.
                await asyncio.sleep(0)
                return
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
