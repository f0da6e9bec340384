"""Pattern constraints decided by GLOB: the same verdict as RE2's full match on every text."""

from __future__ import annotations

import random
import re

import duckdb
import pytest
from semicon.schemas.validation.globs import glob_match_sql, glob_of

WRITTEN = {
    "FA-[0-9]{7}": "FA-[0-9][0-9][0-9][0-9][0-9][0-9][0-9]",
    "S[0-9]{3}": "S[0-9][0-9][0-9]",
    "[A-Z]{2}": "[A-Z][A-Z]",
    r"\d{4}-\d{2}": "[0-9][0-9][0-9][0-9]-[0-9][0-9]",
    "[-a-c_]x": "[a-c_-]x",
    r"a\*b\?c\[": "a[*]b[?]c[[]",
    r"v\.1 it's 100%": "v.1 it's 100%",
    "[.]x": "[.]x",
}
KEPT_AS_REGEX = ["[A-Z][a-z]+", "a.b", "x[^a]", "(ab)", "a|b", "^a$", "a$", "a{2,3}",
                 "[0-9]{0}", "[!a]", r"\w", "[_-a]", "é", "a?", "[a-z]*", r"a\\b", "[", "",
                 "[]a]", "[a-]]", "[0-9]{65}"]


@pytest.mark.parametrize("pattern", sorted(WRITTEN))
def test_simple_patterns_are_written_as_globs(pattern):
    assert glob_of(pattern) == WRITTEN[pattern]


@pytest.mark.parametrize("pattern", KEPT_AS_REGEX)
def test_other_patterns_stay_regular_expressions(pattern):
    assert glob_of(pattern) is None
    assert glob_match_sql("c", pattern).startswith("regexp_full_match(c, ")


def _texts(pattern: str, rng: random.Random) -> list[str]:
    """Texts near the pattern: matches, and matches with one character changed, added or
    left out, including multi-byte characters, line breaks and GLOB's own characters."""

    glob = glob_of(pattern)
    assert glob is not None
    options: list[str] = []
    for part in re.findall(r"\[[^]]*\]|.", glob):
        if part.startswith("[") and len(part) > 2:
            body = part[1:-1]
            chars = [c for c in body if c != "-"] + ["-"] * ("-" in body[-1:])
            for a, b in re.findall(r"(\w)-(\w)", body):
                chars += [a, b, chr((ord(a) + ord(b)) // 2)]
            options.append("".join(chars))
        else:
            options.append(part[1] if part.startswith("[") else part)
    noise = "aZ09-_.*?[]\n é٣%'"
    out = []
    for _ in range(400):
        text = [rng.choice(o) for o in options]
        kind = rng.randrange(4)
        pos = rng.randrange(len(text) + 1)
        if kind == 1 and text:
            text[min(pos, len(text) - 1)] = rng.choice(noise)
        elif kind == 2:
            text.insert(pos, rng.choice(noise))
        elif kind == 3 and text:
            del text[min(pos, len(text) - 1)]
        out.append("".join(text))
    return out


@pytest.mark.parametrize("pattern", sorted(WRITTEN))
def test_glob_and_regex_agree_on_near_misses(pattern):
    """The GLOB (and, for non-ASCII text under a ``\\d``, RE2) agrees with Python's
    ``re``, which frictionless matches patterns with (``\\d`` is any decimal digit)."""
    texts = _texts(pattern, random.Random(pattern))
    con = duckdb.connect()
    rows = [(s, ok, re.fullmatch(pattern, s) is not None) for s, ok in con.execute(
        f"SELECT s, {glob_match_sql('s', pattern)} FROM unnest(?) t(s)", [texts]).fetchall()]
    assert [r for r in rows if r[1] != r[2]] == []
    matched = sum(r[2] for r in rows)
    assert 0 < matched < len(rows)  # both verdicts occur
