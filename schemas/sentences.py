"""Split a source document's plain text into sentences, with their places in the text.

The texts are what a PDF or a web page gives as plain text: lines wrapped at a fixed width,
paragraphs separated by blank lines, headings on lines of their own, footnotes and page
furniture between paragraphs. A sentence ends at ``.``, ``!`` or ``?`` (a footnote number
may follow) before a capital letter, at ``:`` or ``;`` closing a line before a capital (list
items), at a blank line, and around a heading (a short line without final punctuation
between whole sentences). A sentence that a page break cuts in two is two sentences here.
Known abbreviations (``ca.``, ``bv.``, ``resp.``, ``e.g.``) and initials end no sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

#: lower-case abbreviations after which a full stop ends no sentence (Dutch and English)
ABBREVIATIONS = frozenset({
    "bv.", "bijv.", "ca.", "cf.", "dr.", "e.a.", "e.g.", "enz.", "etc.", "i.e.", "jl.", "jr.",
    "mr.", "mrs.", "ms.", "nl.", "no.", "nr.", "nrs.", "o.a.", "o.g.v.", "p.", "pp.", "prof.",
    "resp.", "st.", "vs.", "zgn.", "z.g.a.n.",
})

_WS = re.compile(r"\s+")
#: a full stop, question or exclamation mark, optional closing quote or bracket and
#: footnote digits, then whitespace and what starts a sentence
_END = re.compile(r"[.!?][’”\"')\]]*\d{0,3}(?=\s+[\"“‘'(\[]?[A-ZÀ-Ý])")
_LIST_END = re.compile(r"[:;]\s*$")
_FINAL_PUNCT = tuple(".!?:;,”’\"'-–")
#: a footnote: a line starting with its number, then text
_FOOTNOTE = re.compile(r"\d{1,3} \S")
HEADING_MAX = 70


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text (whitespace collapsed), its ``[start, end)`` character span in
    the document text, and the 1-based line it starts on."""

    text: str
    start: int
    end: int
    line: int


def normalise(text: str) -> str:
    """Collapse every run of whitespace to one space and strip (as quotes are compared)."""
    return _WS.sub(" ", text).strip()


def _lines(text: str) -> list[tuple[int, str]]:
    """``(offset, line)`` for every line of ``text``, without the line break."""
    out, pos = [], 0
    for raw in text.splitlines(keepends=True):
        out.append((pos, raw.rstrip("\r\n")))
        pos += len(raw)
    return out


def _is_heading(prev: str | None, line: str, nxt: str | None) -> bool:
    s = line.strip()
    return (
        0 < len(s) <= HEADING_MAX
        and not s.endswith(_FINAL_PUNCT)
        and (prev is None or not prev.strip() or prev.rstrip().endswith(_FINAL_PUNCT[:5]))
        and nxt is not None
        and nxt.strip()[:1].isupper()
    )


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` spans of paragraphs, headings and footnotes: the units no sentence
    crosses.

    A footnote starts with its number on a line after a blank line or another footnote;
    an indented line after a footnote resumes the body text the page break cut off.
    """
    lines = _lines(text)
    start: int | None = None
    last_end = 0
    in_note = False
    for i, (off, line) in enumerate(lines):
        prev = lines[i - 1][1] if i else None
        nxt = lines[i + 1][1] if i + 1 < len(lines) else None
        if not line.strip():
            if start is not None:
                yield start, last_end
                start = None
            in_note = False
            continue
        note = _FOOTNOTE.match(line) is not None and (in_note or not (prev or "").strip())
        resumed = in_note and not note and line[:1].isspace()
        heading = _is_heading(prev, line, nxt)
        if (note or resumed or heading) and start is not None:
            yield start, last_end
            start = None
        in_note = note or (in_note and not resumed)
        if start is None:
            start = off
        last_end = off + len(line)
        list_item = bool(_LIST_END.search(line)) and (nxt or "").strip()[:1].isupper()
        if heading or list_item:
            yield start, last_end
            start = None
    if start is not None:
        yield start, last_end


def _abbreviated(block: str, stop: int, abbreviations: frozenset[str]) -> bool:
    """Whether the full stop at ``stop`` closes an abbreviation or an initial."""
    word_start = max(block.rfind(" ", 0, stop), block.rfind("\n", 0, stop)) + 1
    word = block[word_start: stop + 1].lstrip("(‘“\"'")
    return word.lower() in abbreviations or (len(word) == 2 and word[0].isupper())


def split_sentences(text: str, abbreviations: Iterable[str] = ABBREVIATIONS) -> list[Sentence]:
    """The sentences of ``text`` in order (see the module docstring for the rules)."""
    abbr = frozenset(a.lower() for a in abbreviations)
    line_starts = [off for off, _ in _lines(text)]
    out: list[Sentence] = []

    def add(start: int, end: int) -> None:
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        body = normalise(chunk)
        if body:
            s = start + lead
            line = _line_of(line_starts, s)
            out.append(Sentence(body, s, start + len(chunk.rstrip()), line))

    for b_start, b_end in _blocks(text):
        block = text[b_start:b_end]
        cut = 0
        for m in _END.finditer(block):
            if block[m.start()] == "." and _abbreviated(block, m.start(), abbr):
                continue
            add(b_start + cut, b_start + m.end())
            cut = m.end()
        add(b_start + cut, b_end)
    return out


def _line_of(line_starts: list[int], offset: int) -> int:
    lo, hi = 0, len(line_starts)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if line_starts[mid] <= offset:
            lo = mid
        else:
            hi = mid
    return lo + 1
