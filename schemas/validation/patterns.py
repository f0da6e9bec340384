"""A ``pattern`` constraint's shorthand classes as Python (frictionless) and the spec read them.

frictionless matches a ``pattern`` with Python's ``re`` on text, where ``\\d`` is any decimal
digit, ``\\w`` any letter, digit or ``_`` and ``\\s`` any whitespace, in every script; the
Table Schema's XML Schema regular expressions read them as widely. RE2 (DuckDB) and
java.util.regex (Spark) read them as ASCII: ``^\\w+$`` would refuse ``Zoë``. So both engines
get the pattern with those classes written out in Unicode properties, which both read.
Python's ``\\Z`` (the end) is written ``\\z``, which both read and RE2 has no other name for.
"""

from __future__ import annotations

#: Python's whitespace beyond ASCII (``str.isspace``), as members of a bracket class
WIDE_SPACE_MEMBERS = (r"\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}"
                      r"\x{205F}\x{3000}")
#: Python's whitespace, ASCII's (with U+001C to U+001F) and beyond
SPACE_MEMBERS = r"\t\n\x{0B}\f\r\x{1C}-\x{20}" + WIDE_SPACE_MEMBERS
#: Python's word characters (letters and digits of every script, and ``_``)
WORD_MEMBERS = r"\p{L}\p{N}_"

#: shorthand -> (outside a bracket class, inside one); None: left as written (a negated
#: class inside a bracket class has no Unicode spelling both engines read)
_CLASSES: dict[str, tuple[str, str | None]] = {
    "d": (r"\p{Nd}", r"\p{Nd}"),
    "D": (r"\P{Nd}", r"\P{Nd}"),
    "w": (f"[{WORD_MEMBERS}]", WORD_MEMBERS),
    "W": (f"[^{WORD_MEMBERS}]", None),
    "s": (f"[{SPACE_MEMBERS}]", SPACE_MEMBERS),
    "S": (f"[^{SPACE_MEMBERS}]", None),
    "Z": (r"\z", None),
}


def unicode_pattern(pattern: str) -> str:
    """``pattern`` with ``\\d \\D \\w \\W \\s \\S \\Z`` written as Python reads them."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(pattern):
        piece = pattern[i:i + 2] if pattern[i] == "\\" else pattern[i]
        i += len(piece)
        if len(piece) == 2 and piece[1] in _CLASSES:
            outside, inside = _CLASSES[piece[1]]
            written = inside if in_class else outside
            out.append(piece if written is None else written)
            continue
        if piece == "[" and not in_class:
            in_class = True
            # a ']' first in a class (after an optional '^') is a member, not its end
            for lead in ("^]", "]", "^"):
                if pattern.startswith(lead, i):
                    out.append(piece + lead)
                    i += len(lead)
                    break
            else:
                out.append(piece)
            continue
        if piece == "]" and in_class:
            in_class = False
        out.append(piece)
    return "".join(out)

