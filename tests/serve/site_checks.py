"""What every site must pass whatever its package: helpers shared by the HTTP and browser tests."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

# Words of the bundled package's source document that no other package's site may show.
LETTER_WORDS = re.compile(
    r"\b(letters?|kenmerk|ministry|ministerie|voortgangsbrief|halfgeleider\w*|"
    r"dutch government)\b", re.I)
HREF = re.compile(r"""href=["']([^"']+)["']""")


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value (a descriptor's own titles, descriptions, names...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def letter_words(text: str, descriptor: dict) -> list[str]:
    """Letter words in ``text`` that the package's own descriptor does not account for.

    A package may well say "two-letter code" of itself; the site may add no such word.
    """
    text = html.unescape(text)
    for s in sorted(set(strings(descriptor)), key=len, reverse=True):
        if len(s) > 3:
            text = text.replace(s, " ")
    return LETTER_WORDS.findall(text)


def same_site_links(body: str) -> list[str]:
    """The same-site paths a page links to (``/...``, fragment dropped), in page order."""
    out = []
    for href in HREF.findall(body):
        href = urldefrag(html.unescape(href))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/") or href.startswith("//"):
            continue
        if href not in out:
            out.append(href)
    return out
