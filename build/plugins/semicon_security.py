"""Security for the semicon-nl site (Datasette plugin, loaded with ``--plugins-dir``).

``asgi_wrapper``: no open redirects (paths a browser may read as another site answer 404, and so
does a response whose ``Location`` leaves the site), no formula injection in CSV exports, and a
few safe headers on every response.

Runs innermost of the site's ASGI wrappers (``tryfirst``), inside the response cache of
``semicon_cache.py``: the cache only ever stores and replays responses that passed through here.
"""

from __future__ import annotations

import csv
import io
import re

from datasette import hookimpl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


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


def wrap(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if unsafe_path(scope["path"]) or unsafe_path(raw_path.decode("latin-1")):
            return await _send_404(send)
        is_csv = scope["path"].endswith(".csv")
        state = {"escaper": None}

        async def wrapped_send(message):
            if message["type"] == "http.response.start":
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
                await send({**message, "headers": headers})
                return
            if state.get("blocked"):
                return
            if message["type"] == "http.response.body" and state["escaper"] is not None:
                more = message.get("more_body", False)
                body = state["escaper"].feed(message.get("body", b""), final=not more)
                message = {**message, "body": body}
            await send(message)

        await app(scope, receive, wrapped_send)

    return wrapped


# Called first, so applied first: the innermost wrapper, inside semicon_cache's (trylast).
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    return wrap
