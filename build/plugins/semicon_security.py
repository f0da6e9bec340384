"""Security for the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

``asgi_wrapper``, on every request:

- no open redirects: paths a browser may read as another site answer 404, and so does a
  response whose ``Location`` leaves the site;
- URLs longer than :data:`MAX_URL` bytes answer 414 (they are not computed, cached or logged);
- no formula injection in CSV exports: every cell a spreadsheet would run as a formula (the
  project's one definition, ``semicon.schemas.formulas``, which the validator uses too) gets a
  leading ``'``: Datasette's exports are written by :class:`CsvWriter`, which escapes each
  cell as it writes it; any other CSV body is rewritten by :class:`CsvEscaper`;
- one Content-Security-Policy, one Referrer-Policy and the other :data:`SECURITY_HEADERS` on
  every response (replacing any the application set, whatever its case); an HTML page's
  policy allows its own inline scripts by hash and no other (``prepare_jinja2_environment``
  marks the templates' scripts, :func:`page_policy` hashes them and removes the marks);
- an exception that escapes Datasette becomes an error page with those headers and one log line.

Runs innermost of the site's ASGI wrappers (``tryfirst``), inside the response cache of
``semicon_cache.py``: the cache only ever stores and replays responses that passed through here.
``startup`` hands Datasette's CSV export :class:`CsvWriter` in place of ``csv.writer``.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import csv
import hashlib
import importlib.util
import logging
import re
import secrets
import types
from pathlib import Path

from datasette import hookimpl
from jinja2 import BaseLoader, Environment


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
#: what the site's pages need: their own scripts, and of inline scripts exactly those of the
#: templates that page carries (``'sha256-…'`` of each, :func:`page_policy`); styles (Datasette
#: sets some inline), images including data: URIs, nothing from other sites, no plugins, no
#: <base> hijack, forms only to the site, framing only by the site.
CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)
CSP = CSP_TEMPLATE.format(hashes="")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    # Datasette sets no-referrer on its data pages; one policy for every page.
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
]
_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)
LOG = logging.getLogger("semicon.site")

#: given to every ``<script`` tag of every template (Datasette's, its plugins', the site's)
#: as the templates are loaded, and removed from every page served: a secret of this process,
#: so a script injected into a page's data can never carry it. Only marked inline scripts get
#: their hash into the page's policy.
SCRIPT_MARK = f' data-semicon-script="{secrets.token_hex(16)}"'
_SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)
_MARKED_SCRIPT = re.compile(
    rb"<script" + re.escape(SCRIPT_MARK.encode()) + rb"([^>]*)>(.*?)</script", re.S | re.I)
_SRC = re.compile(rb"\ssrc\s*=", re.I)


def with_security_headers(headers: list, csp: bytes = SECURITY_HEADERS[0][1]) -> list:
    """``headers`` with exactly one of each security header (names compared lower-case)."""
    return [h for h in headers if h[0].lower() not in _SECURITY_NAMES] + [
        (b"content-security-policy", csp), *SECURITY_HEADERS[1:]]


def page_policy(body: bytes) -> tuple[bytes, bytes]:
    """An HTML page without its script marks, and the CSP allowing its marked inline scripts.

    Each hash is the SHA-256 of a script's text as the browser reads it (the bytes between
    ``<script …>`` and ``</script``, UTF-8), so the policy is right for exactly these bytes:
    the response cache keeps and replays both together.
    """
    mark = SCRIPT_MARK.encode()
    if mark not in body:
        return body, CSP.encode()
    hashes: dict[str, None] = {}
    for m in _MARKED_SCRIPT.finditer(body):
        text = m.group(2).replace(mark, b"")
        if text and not _SRC.search(m.group(1)):
            digest = base64.b64encode(hashlib.sha256(text).digest()).decode()
            hashes[f" 'sha256-{digest}'"] = None
    return body.replace(mark, b""), CSP_TEMPLATE.format(hashes="".join(hashes)).encode()


class ScriptMarkingLoader(BaseLoader):
    """A Jinja loader serving another loader's templates with :data:`SCRIPT_MARK` in every
    ``<script`` tag."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        return _SCRIPT_TAG.sub("<script" + SCRIPT_MARK, source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


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
# as Python's csv module writes it): a cell starts the text or follows a comma or a newline
# (group 1); a quoted cell starts with '"' (group 2); an unquoted cell never holds CR (the
# writer would have quoted it). Numbers are no candidates.
_CELL_END = rb"(?=,|\r?\n|$)"
_NUMBER = formulas.NUMBER_PATTERN.encode()
_CANDIDATE = re.compile(
    rb'(?:^|([,\n]))(?:(")(?!' + _NUMBER + b'"' + _CELL_END + b")"
    + _char_class(formulas.FORMULA_CHARS) + b"|(?!" + _NUMBER + _CELL_END + b")"
    + _char_class([c for c in formulas.FORMULA_CHARS if c not in "\r\n"]) + b")")


def record_end(buf: bytes) -> int:
    """Index just past the last newline outside quotes in ``buf`` (which starts a record).

    In CSV a quote only appears in quoted cells, doubled inside them, so a newline is a record
    boundary exactly when an even number of quotes precede it. Bytes methods only: linear
    and in C, however long the cells.
    """
    i = buf.rfind(b"\n")
    if i < 0 or buf.find(b'"', 0, i) < 0:  # no quote before it (memchr): a boundary
        return i + 1
    quotes = buf.count(b'"', 0, i)
    while quotes % 2:
        j = buf.rfind(b"\n", 0, i)
        if j < 0:
            return 0
        quotes -= buf.count(b'"', j, i)
        i = j
    return i + 1


#: bytes per comma or newline under which cells are short enough for the regular expression
_SPARSE = 64
#: commas and newlines visited one by one before their spacing decides
_VISITS = 256


def _delimiters(text: bytes):
    """The positions of the commas and newlines in ``text``, in order (``bytes.find``)."""
    comma, newline = text.find(b","), text.find(b"\n")
    while comma >= 0 or newline >= 0:
        if newline < 0 or 0 <= comma < newline:
            yield comma
            comma = text.find(b",", comma + 1)
        else:
            yield newline
            newline = text.find(b"\n", newline + 1)


def _candidates(text: bytes):
    """The matches of :data:`_CANDIDATE` in ``text``, in order (as ``finditer`` gives them).

    Every match but one at the very start starts at a comma or a newline. When cells are
    long (a 1.5 MB cell), visiting each comma and newline found by ``bytes.find`` (at
    ``memchr`` speed) is far cheaper than the regular expression, which steps through every
    byte (~5 ns a byte, ~40 ns a delimiter); once they turn out dense (short cells), the
    expression takes the rest.
    """
    m = _CANDIDATE.match(text)
    last_end = 0 if m is None else m.end()
    if m is not None:
        yield m
    for visited, i in enumerate(_delimiters(text), 1):
        if visited >= _VISITS and visited * _SPARSE >= i:
            yield from _CANDIDATE.finditer(text, max(i, last_end))
            return
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
    for one step per formula cell, and a spreadsheet's data rarely holds one. The records
    are copied once if a cell is escaped, not at all otherwise (cells may be megabytes).
    """
    view = memoryview(records)
    parts: list = []
    last = scanned = quotes = 0
    for m in _candidates(records):
        start = m.start() + (m.group(1) is not None)  # the cell, after its comma or newline
        quotes += records.count(b'"', scanned, start)
        scanned = start
        if quotes % 2:
            continue  # inside a quoted cell
        at = start + (m.group(2) is not None)
        parts += [view[last:at], b"'"]
        last = at
    if not parts:
        return records
    parts.append(view[last:])
    return b"".join(parts)


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


# Datasette 0.65 writes every CSV export row by row with ``csv.writer`` on the event loop.
# Its C writer inspects each character of a cell twice, looking each one up in the line
# terminator (~16 ns a character here): a row with a 1.5 MB cell held the loop, and the GIL,
# for ~24 ms; and the byte-level escaper after it could be made to walk a cell full of commas
# at ~85 ns each. CsvWriter gives the same bytes as ``csv.writer`` (Excel dialect, minimal
# quoting) with every cell escaped as it is written, and tells the wrapper which body messages
# it wrote: those pass through unscanned.

#: a text cell longer than this sends its row past ``csv.writer`` (``str`` methods instead)
LONG_CELL = 4096
#: characters that make the Excel dialect quote a cell (delimiter, quote, line terminator)
_QUOTED_IF = (",", '"', "\r", "\n")
#: the CSV state of the request being answered (set by the wrapper, read by the writer)
_CSV_STATE: contextvars.ContextVar = contextvars.ContextVar("semicon_csv_state", default=None)


def _text(value) -> str | None:
    """A cell as the CSV will hold it, formula-escaped (``None`` stays empty)."""
    if value is None:
        return None
    return escape_cell(value if isinstance(value, str) else str(value))


def _long_row(row) -> str:
    """A record as ``csv.writer(dialect="excel")`` writes the escaped cells of ``row``.

    One copy of each cell, into the joined record: the ``'`` and the quotes around a cell
    are pieces of their own, and ``str.replace`` returns the cell itself when it holds no
    quote.
    """
    pieces: list[str] = []
    for value in row:
        text = "" if value is None else value if isinstance(value, str) else str(value)
        mark = "'" if formulas.is_formula(text) else ""
        if any(ch in text for ch in _QUOTED_IF):  # each a fast search, however long the cell
            pieces += ['"', mark, text.replace('"', '""'), '"', ","]
        else:
            pieces += [mark, text, ","]
    pieces[-1] = "\r\n"
    return "".join(pieces)


class CsvWriter:
    """``csv.writer(file)`` with formula cells escaped, cheap for rows with long cells."""

    def __init__(self, file) -> None:
        self.file = file
        self.short = csv.writer(file)

    def writerow(self, row):
        """Write ``row``; returns what ``file.write`` returns (Datasette awaits it)."""
        row = list(row)
        if not any(isinstance(v, str) and len(v) > LONG_CELL for v in row):
            result = self.short.writerow([_text(v) for v in row])
        else:  # a long cell is never empty: the "single empty field" rule cannot apply
            result = self.file.write(_long_row(row))
        state = _CSV_STATE.get()
        return result if state is None else _escaped(result, state)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


async def _escaped(write, state: dict):
    """Await Datasette's write of escaped rows, telling the wrapper the body is escaped."""
    state["escaped"] = True
    try:
        return await write
    finally:
        state["escaped"] = False


def csv_writer(file, *args, **kwargs):
    """``csv.writer``: :class:`CsvWriter` for the default dialect, the standard one otherwise."""
    if args or kwargs:
        return csv.writer(file, *args, **kwargs)
    return CsvWriter(file)


#: what Datasette's CSV export sees as the ``csv`` module
CSV_MODULE = types.SimpleNamespace(**{**{name: getattr(csv, name) for name in csv.__all__},
                                      "writer": csv_writer})


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
        state = {"escaper": None, "started": False, "blocked": False, "escaped": False,
                 "page": None}

        async def send_page(message) -> None:
            """Hold an HTML page until its body is complete; send it with its own policy."""
            start, chunks = state["page"]
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body, csp = page_policy(b"".join(chunks))
            headers = [h for h in start["headers"] if h[0].lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            state["started"] = True
            await send({**start, "headers": with_security_headers(headers, csp)})
            await send({"type": "http.response.body", "body": body})

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                for name, value in headers:
                    if name.lower() == b"location" and not safe_location(value.decode("latin-1")):
                        await _send_error(send, 404, "Not found")
                        state["blocked"] = state["started"] = True
                        return
                ctype = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                # (a CSV export's ``_trace`` view is HTML but no template's: it streams)
                if ctype.startswith(b"text/html") and not is_csv:
                    state["page"] = ({**message, "headers": headers}, [])
                    return
                if is_csv or ctype.startswith(b"text/csv"):
                    state["escaper"] = CsvEscaper()
                    headers = [h for h in headers if h[0].lower() != b"content-length"]
                state["started"] = True
                await send({**message, "headers": with_security_headers(headers)})
                return
            if state["blocked"]:
                return
            if state["page"] is not None and message["type"] == "http.response.body":
                return await send_page(message)
            escaper = state["escaper"]
            if message["type"] == "http.response.body" and escaper is not None:
                if state["escaped"] and not escaper.pending:  # whole rows from CsvWriter
                    await send(message)
                else:
                    ready = escaper.take(message.get("body", b""),
                                         final=not message.get("more_body", False))
                    await send({**message, "body": rewrite(ready)})
                # Datasette writes a CSV export row by row without waiting for anything:
                # let other requests run between rows.
                await asyncio.sleep(0)
                return
            await send(message)

        token = _CSV_STATE.set(state)
        try:
            await app(scope, receive, wrapped_send)
        except Exception as exc:
            LOG.error("500 %s %s: %s: %s", scope.get("method"), scope["path"][:300],
                      type(exc).__name__, " ".join(str(exc).split())[:300])
            if not state["started"]:
                await _send_error(send, 500, "Server error")
        finally:
            _CSV_STATE.reset(token)

    return wrapped


# Called first, so applied first: the innermost wrapper, inside semicon_cache's (trylast).
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return wrap


# Called last, so applied last: outside any other plugin's loader (their edits see the
# templates as shipped), the marks go into the text every template is compiled from.
@hookimpl(trylast=True)
def prepare_jinja2_environment(env: Environment) -> None:
    if not isinstance(env.loader, ScriptMarkingLoader):
        env.loader = ScriptMarkingLoader(env.loader)


@hookimpl
def startup(datasette):
    from datasette.views import base

    base.csv = CSV_MODULE
