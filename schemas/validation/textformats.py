"""The string formats ``uri``, ``email``, ``uuid`` and ``binary`` in SQL, as frictionless
reads them.

frictionless 5 reads them with Python libraries, and so does nothing else here:

* ``uri``: rfc3986 with a scheme required. A text is a URI when it starts with a scheme
  and a colon (``A: b c`` is one); rfc3986 encodes whatever follows, never refusing it.
* ``email``: ``validators.email``. One ``@``; before it at most 64 characters, a dot-atom
  of ASCII letters, digits, ``!#$%&'*+/=?^_`{|}~-`` and Latin letters from U+00A0 to
  U+024F, or a quoted string; after it at most 253 characters, labels of letters, digits
  and inner hyphens, the last ending in a letter. Python's ``$`` lets the part before the
  ``@`` end in a newline. A domain with non-ASCII letters is read after Python's IDNA
  codec: here its non-ASCII labels are taken as letters, marks and digits with hyphens
  (the codec's own refusals, rare, are not repeated: docs/validate.md, "Limits").
* ``binary``: ``base64.b64decode`` (see :data:`BINARY_RE`).
* ``uuid``: ``validators.uuid``, that is Python's ``uuid.UUID(text)``: ``urn:`` and
  ``uuid:`` dropped, then braces at either end, then every hyphen; 32 characters must be
  left that ``int(text, 16)`` reads (whitespace around, a ``+``, a ``0x``, single
  underscores between digits, any decimal digit). ``{...}``, ``urn:uuid:...`` and 32
  digits without hyphens are UUIDs; so is ``+0x`` and 30 digits.

The patterns are written once for both regular expression engines the checks run on, RE2
(DuckDB) and java.util.regex (Spark): ``\\x{..}``, ``\\p{..}`` and ``(?i:...)`` read the
same in both. :class:`Dialect` says how each engine writes the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from semicon.schemas.sqltypes import sql_string

from .patterns import WIDE_SPACE_MEMBERS

#: a scheme and its colon: what rfc3986 needs at the start of a ``uri``
URI_START_RE = r"[A-Za-z][A-Za-z0-9+.\-]*:"

#: Python's whitespace beyond ASCII and ASCII's own: what ``int()`` skips around digits
#: (U+001C to U+001F are whitespace for ``str.isspace`` only)
_SPACES = r"\x{09}-\x{0D}\x{20}" + WIDE_SPACE_MEMBERS
_PY_SPACE = f"[{_SPACES}]"
#: a digit ``int(text, 16)`` reads: hexadecimal, or any decimal digit (Unicode ``Nd``)
_HEX_DIGIT = r"[0-9a-fA-F\p{Nd}]"
#: the 32 characters of a ``uuid`` left after the drops, as ``int(text, 16)`` reads them
UUID_HEX_RE = (rf"{_PY_SPACE}*\+?(?:0[xX]_?)?{_HEX_DIGIT}(?:_?{_HEX_DIGIT})*"
               rf"{_PY_SPACE}*")

#: the Latin letters ``validators.email`` takes before the ``@``
_LATIN = r"\x{00A0}-\x{00FF}\x{0100}-\x{024F}"
_ATOM = rf"[{_LATIN}0-9a-z!#$%&'*+/=?^_`{{}}|~\-]"
_QUOTED = (rf"[{_LATIN}\x{{01}}-\x{{08}}\x{{0B}}\x{{0C}}\x{{0E}}-\x{{1F}}!#-\[\]-\x{{7F}}]"
           r"|\\[\x{09}.]")
#: before the ``@``: a dot-atom or a quoted string, then perhaps a newline (Python's ``$``)
_USER = rf"(?:{_ATOM}+(?:\.{_ATOM}+)*|\"(?:{_QUOTED})*\")\n?"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_LAST_LABEL = r"[a-z0-9][a-z0-9\-]{0,61}[a-z]"
#: a character the IDNA codec writes in ASCII letters and digits: not ASCII, no space
_WIDE = rf"[^\x{{00}}-\x{{7F}}{_SPACES}\x{{3002}}\x{{FF0E}}\x{{FF61}}]"
_A = r"[a-z0-9\-]"
#: ASCII letters, digits and hyphens not starting with ``xn--``, which the IDNA codec
#: refuses before a wide character
_NOT_ACE = (rf"(?:[a-wyz0-9\-]{_A}*|x|x[a-mo-z0-9\-]{_A}*|xn|xn[a-z0-9]{_A}*|xn-"
            rf"|xn-[a-z0-9]{_A}*)?")
#: a label the IDNA codec writes ``xn--...``: ASCII letters, digits, hyphens and one wide
_WIDE_LABEL = rf"{_NOT_ACE}{_WIDE}(?:{_A}|{_WIDE})*"
#: the dots the IDNA codec splits a non-ASCII domain at
_DOT = r"[.\x{3002}\x{FF0E}\x{FF61}]"
_DOMAIN = rf"(?:(?:{_LABEL}|{_WIDE_LABEL}){_DOT})+(?:{_LAST_LABEL}|{_WIDE_LABEL})"


#: ``binary``: ``base64.b64decode`` (not strict) reads ASCII text only; it skips every
#: character but the 64 of base64 and ``=``, and skips ``=`` until two or three of the 4
#: characters of a group are read. Two ``=`` after two of them, or one after three, end
#: the data (what follows is not read); else the data must end on a whole group.
_B64 = r"[A-Za-z0-9+/]"
#: ASCII but base64's 64 characters and ``=``
_OTHER = r"\x{00}-\x{2A}\x{2C}-\x{2E}\x{3A}-\x{3C}\x{3E}-\x{40}\x{5B}-\x{60}\x{7B}-\x{7F}"
#: skipped everywhere
_SKIP = f"[{_OTHER}]"
#: skipped before the second character of a group: the same and ``=``
_SKIP_PAD = f"[{_OTHER}=]"
#: a group's first two characters, and what is skipped after them
_TWO = rf"{_SKIP_PAD}*{_B64}{_SKIP_PAD}*{_B64}{_SKIP}*"
_GROUP = rf"{_TWO}(?:={_SKIP}*)?{_B64}{_SKIP}*{_B64}"
_PADDED_END = rf"{_TWO}(?:={_SKIP}*=|(?:={_SKIP}*)?{_B64}{_SKIP}*=)[\x{{00}}-\x{{7F}}]*"
BINARY_RE = rf"(?:{_GROUP})*(?:{_SKIP_PAD}*|{_PADDED_END})"


def email_re(caseless: str) -> str:
    """An ``email`` as ``validators.email`` takes it (one ``@`` is tested apart);
    ``caseless`` is the engine's flag letters for Unicode case-insensitive matching."""
    return f"(?{caseless}:{_USER}@{_DOMAIN})"


@dataclass(frozen=True)
class Dialect:
    """How an SQL engine writes what the format tests need."""

    #: SQL: text ``c`` matches ``pattern`` whole
    full_match: Callable[[str, str], str]
    #: SQL: text ``c`` starts with a match of ``pattern``
    starts: Callable[[str, str], str]
    #: SQL: text ``c`` without the characters ``chars`` at either end
    strip: Callable[[str, str], str]
    #: flag letters of Unicode case-insensitive matching
    caseless: str


def format_test(fmt: str, c: str, d: Dialect) -> str | None:
    """SQL: text ``c`` is a string of format ``fmt`` for frictionless; None when every
    text is (``default`` and the formats frictionless does not test)."""
    if fmt == "uri":
        return d.starts(c, URI_START_RE)
    if fmt == "email":
        return (f"(length({c}) - length(replace({c}, '@', '')) = 1 "
                f"AND length(split_part({c}, '@', 1)) <= 64 "
                f"AND length(split_part({c}, '@', 2)) <= 253 "
                f"AND {d.full_match(c, email_re(d.caseless))})")
    if fmt == "binary":
        return d.full_match(c, BINARY_RE)
    if fmt == "uuid":
        drops = f"replace(replace({c}, 'urn:', ''), 'uuid:', '')"
        digits = f"replace({d.strip(drops, '{}')}, '-', '')"
        return f"(length({digits}) = 32 AND {d.full_match(digits, UUID_HEX_RE)})"
    return None


#: DuckDB: RE2 through ``regexp_full_match`` and ``regexp_matches``
DUCKDB = Dialect(
    full_match=lambda c, pattern: f"regexp_full_match({c}, {sql_string(pattern)})",
    starts=lambda c, pattern: f"regexp_matches({c}, {sql_string('^(?:' + pattern + ')')})",
    strip=lambda c, chars: f"trim({c}, {sql_string(chars)})",
    caseless="i",
)
