"""The toolkit's code names none of the bundled package's tables, nor its source letter.

(Nor the views and canned queries the bundled package declares.)

Everything specific to the bundled data lives in ``datapackage/`` (its ``semicon``
declarations) and ``schemas/*.json``; the Python code, templates and static files under
``build/``, ``cli/`` and ``schemas/`` serve any package. The table names are read from the
bundled descriptor, so a table added there is covered too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTOR = json.loads((ROOT / "datapackage" / "datapackage.json").read_text("utf-8"))
DECLARED = DESCRIPTOR.get("semicon") or {}
# the bundled tables, and the views and canned queries the bundled package declares
TABLES = sorted({r["name"] for r in DESCRIPTOR["resources"]}
                | set(DECLARED.get("views") or {})
                | set((DECLARED.get("site") or {}).get("queries") or {}))
FOLDERS = ("build", "cli", "schemas")
SUFFIXES = (".py", ".html", ".css", ".js")
# Properties of a Data Package descriptor itself: reading one (``descriptor.get("sources")``,
# ``descriptor["sources"]``) is not naming a table of the same name.
DESCRIPTOR_PROPERTIES = {"sources", "licenses", "contributors", "keywords", "resources"}
LETTER = re.compile(
    r"\b(kenmerk|ministry|ministerie|voortgangsbrief|beethoven|halfgeleider\w*)\b"
    r"|\b(the|source|this|one|government|dutch)\s+letter\b"
    r"|/letter\b|\bletter[-_.]\w|[\"']letter[\"']",
    re.I,
)


def code_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*")
                  if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts)


def table_name_pattern(table: str) -> re.Pattern[str]:
    """``table`` as a name in code: a whole word when it is a compound name
    (``board_members``), a quoted literal when it is an ordinary word (``"events"``)."""
    word = re.escape(table)
    if re.search(r"[_\-]", table):
        return re.compile(rf"(?<![\w-]){word}(?![\w-])")
    literal = rf"([\"']){word}\1"
    if table in DESCRIPTOR_PROPERTIES:  # except as a descriptor key being read
        return re.compile(rf"(?<!\.get\()(?<!\[){literal}")
    return re.compile(literal)


def findings(text: str) -> list[str]:
    out = [m.group(0) for t in TABLES for m in table_name_pattern(t).finditer(text)]
    return out + [m.group(0) for m in LETTER.finditer(text)]


def test_the_code_is_scanned():
    files = code_files()
    assert len(files) > 30
    assert {f.parent.name for f in files} >= {"build", "cli", "schemas", "templates", "static"}
    assert len(TABLES) >= 5


@pytest.mark.parametrize("path", code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_bundled_table_or_letter_named(path: Path):
    hits = [f"{path.relative_to(ROOT)}:{i}: {hit!r}"
            for i, line in enumerate(path.read_text("utf-8").splitlines(), 1)
            for hit in findings(line)]
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize(("text", "found"), [
    ('other in ("sources",)', True),
    ('descriptor.get("sources") or []', False),
    ('descriptor["sources"][0]', False),
    ("SELECT * FROM board_members", True),
    ("board_members_named", True),  # a declared view
    ("board_members_x", False),  # some other name
    ('if t == "events":', True),
    ("events happen", False),
    ('href="/letter"', True),
    ("the letter's text", True),
    ("differ only in letter case", False),
    ("a drive letter", False),
    ("kenmerk DGBI", True),
])
def test_the_check_finds_what_it_should(text: str, found: bool):
    assert bool(findings(text)) is found
