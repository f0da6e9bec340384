"""The string formats ``uri``, ``email``, ``uuid`` and ``binary`` are read as frictionless
reads them.

frictionless reads them with rfc3986, ``validators.email``, ``uuid.UUID`` and
``base64.b64decode``; the checks
with SQL (``textformats``). Every cell below, written ones on the edges of each format and
seeded variations of them, gets the same verdict from both, cell by cell (frictionless's
own field reader against the SQL test in DuckDB), and in whole packages.
"""

from __future__ import annotations

import random

import duckdb
import frictionless
import pytest
from semicon.schemas.validation import validate_package
from semicon.schemas.validation.textformats import DUCKDB, format_test

from .test_parity import _one_column_package, ours, theirs

UUID = "2bc1c94f-0deb-43e9-92a1-4775189ec9f8"
HEX = UUID.replace("-", "")

#: format -> cells on the edges of what frictionless accepts (no line breaks: the package
#: tests below give each cell a line of its own)
EDGES: dict[str, list[str]] = {
    "uri": [
        "http://x.y", "A: ", "A:", "a:b c", "A: b", "mailto:x@y", "urn:isbn:1", "a+b.c-d:/",
        "http://x y", "x", "a b:x", "1a:b", ":x", " a:b", "a_b:c", "é:x", "ÿ:c", "a\t:b",
        "a:\u00a0", "http:", "http//x",
    ],
    "binary": [
        "YWJj", "YWI=", "YQ==", "YQ=", "YQ", "Y", "abc", "YW JjZA ==", "YQ==trailing",
        "YQ===", "=YQ==", "YW=I=", "YWJ=", "YWJj=", "YWJjZA=z", "Y=Q==", "YW-J_j", "a.b.c.d",
        "YWJjZA", "+/+/", "é", "YWI=é", "====", "Y W J j",
    ],
    "uuid": [
        UUID, "{" + UUID + "}", "{{" + UUID + "}}", "urn:uuid:" + UUID, "uuid:" + UUID,
        "urn:" + HEX, HEX, HEX.upper(), "{-" + HEX + "-}", "-{" + HEX + "}-",
        "2-b-c" + HEX[3:], " " + HEX[1:], "\t" + HEX[1:], HEX[:-1] + " ", "+" + HEX[1:],
        "0x" + HEX[2:], "0X" + HEX[2:], "0x_" + HEX[3:], HEX[:4] + "_" + HEX[5:],
        "_" + HEX[1:], HEX[:-1] + "_", HEX[:4] + "__" + HEX[6:], "٢" + HEX[1:],
        "２" + HEX[1:], "\u3000" + HEX[1:], "\u00a0" + HEX[1:], "\x1c" + HEX[1:],
        HEX[:-1] + "g", HEX[:-1], HEX + "0", "+-" + HEX[2:], HEX[:16] + " " + HEX[17:],
        "00000000-0000-0000-0000-000000000000", "x",
    ],
    "email": [
        "someone@example.com", "a@b.co", "A@B.COM", "a.b@c.de", "a+tag@c.de",
        "a!#$%&'*+/=?^_`{}|~-@c.de", "a@b.c", "a@b", "a@@b.com", "a b@c.de", ".a@c.de",
        "a.@c.de", "a..b@c.de", "@c.de", "a@", "@", "a@c.de.", "a@c..de", "a@c.d",
        "a@c.d-e", "a@c.de-", "a@c.-de", "a@-c.de", "a@c-.de", "a@c.c0m", "a@c.c0",
        "a@1.2.3.4", "a@[1.2.3.4]", "a@123.456.com", "a@x_y.com", "a@x__y.com",
        "a\t@c.de", "a@ c.de", "a@c.de ", " a@c.de", '"a b"@c.de', '"a@b"@c.de',
        '"a\\"b"@c.de', '"a\\.b"@c.de', '""@c.de', "a" * 64 + "@c.de", "a" * 65 + "@c.de",
        "a@" + "b" * 63 + ".de", "a@" + "b" * 64 + ".de",
        "a@" + ".".join(["b" * 60] * 4) + ".de", "a@" + ".".join(["b" * 61] * 4) + ".de",
        "üser@x.com", "ÿ@c.de", "Ā@c.de", "ɏ@c.de", "Ω@c.de", "a@bücher.de",
        "a@xn--bcher-kva.de", "a@пример.рф", "a@c.рф", "a@中国.cn", "a@c.中国", "a@例え.テスト",
        "a@c。de", "a@c．de", "a@c\u3000d.de",
    ],
}


def _variations(cells: list[str], count: int, seed: int) -> list[str]:
    """Cells one or two characters from the edges: replaced, inserted or removed."""
    pool = "ab0Z9-._@:{}+xX \"\\\tü٣é中"
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        text = list(rnd.choice(cells) or "x")
        for _ in range(rnd.randint(1, 2)):
            i = rnd.randrange(len(text) + 1)
            step = rnd.random()
            if step < 0.4 and i < len(text):
                text[i] = rnd.choice(pool)
            elif step < 0.8:
                text.insert(i, rnd.choice(pool))
            elif i < len(text):
                del text[i]
        out.append("".join(text))
    return out


def _encoded_too_long(cell: str) -> bool:
    """Whether the IDNA codec writes a non-ASCII domain's label in more than 63
    characters (or the whole in more than 253): the SQL cannot know how long the
    encoding is (docs/validate.md, "Limits")."""
    from encodings.idna import ToASCII

    domain = cell.rpartition("@")[2]
    if domain.isascii():
        return False
    lengths = []
    for label in domain.replace("\u3002", ".").replace("\uff0e", ".").split("."):
        try:
            lengths.append(len(ToASCII(label)))
        except UnicodeError as exc:  # "label empty or too long"; other refusals count
            lengths.append(64 if label and "too long" in str(exc) else len(label))
    return max(lengths) > 63 or sum(lengths) + len(lengths) - 1 > 253


def _frictionless_accepts(fmt: str, cell: str) -> bool:
    field = frictionless.fields.StringField(name="v", format=fmt, missing_values=[])
    _, notes = field.read_cell(cell)
    return not notes or "type" not in notes


def _sql_accepts(fmt: str, cells: list[str]) -> list[bool]:
    test = format_test(fmt, "c", DUCKDB)
    sql = f"SELECT coalesce({test}, FALSE) FROM (SELECT unnest($1::VARCHAR[]) AS c)"
    return [row[0] for row in duckdb.connect().execute(sql, [cells]).fetchall()]


@pytest.mark.parametrize("fmt", sorted(EDGES))
def test_each_cell_is_read_as_frictionless_reads_it(fmt):
    cells = EDGES[fmt] + _variations(EDGES[fmt], 3000, seed=len(fmt))
    verdicts = dict(zip(cells, _sql_accepts(fmt, cells), strict=True))
    differ = {c: "SQL accepts" if ok else "SQL refuses" for c, ok in verdicts.items()
              if ok != _frictionless_accepts(fmt, c) and not _encoded_too_long(c)}
    assert differ == {}
    accepted = sum(verdicts[c] for c in EDGES[fmt])
    assert 5 < accepted < len(EDGES[fmt]) - 5  # the edges fall on both sides


@pytest.mark.parametrize(("fmt", "good", "bad"), [
    ("uri", ["A: ", "a:b c", "http://x y"], ["a b:x", "1a:b"]),
    ("uuid", ["{" + UUID + "}", "urn:uuid:" + UUID, HEX, "0x" + HEX[2:]],
     [HEX[:-1], "_" + HEX[1:]]),
    ("email", ['"a!b"@c.de', "ÿ@c.de", "a@пример.рф"], ['"a b"@c.de', "a@c.c0"]),
    ("binary", ["YWJj", "YQ==", "YW Jj", "YQ==!"], ["abc", "YQ=", "é"]),
])
def test_a_package_of_each_format_has_the_findings_frictionless_has(tmp_path, fmt, good, bad):
    """Braced and URN UUIDs, a URI with a space, a quoted e-mail name, base64 with spaces
    or text after its padding: no type error."""
    descriptor = _one_column_package(tmp_path, {"name": "v", "type": "string", "format": fmt},
                                     good + bad)
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    assert mine == {(len(good) + 2 + i, "v", "type-error") for i in range(len(bad))}


@pytest.mark.parametrize("missing", [[""], ["NA"]])
def test_an_empty_binary_cell_is_missing_or_no_bytes_as_in_frictionless(tmp_path, missing):
    """base64 of no bytes is '': a value where '' is not a missing value."""
    field = {"name": "v", "type": "string", "format": "binary",
             "constraints": {"required": True}}
    descriptor = _one_column_package(tmp_path, field, ["YQ==", "", "NA", "abc"],
                                     missingValues=missing)
    mine = ours(validate_package(descriptor))
    assert mine == theirs(descriptor)
    if missing == [""]:  # a row of one missing cell is blank; NA is no base64
        assert mine == {(3, "", "blank-row"), (4, "v", "type-error"), (5, "v", "type-error")}
    else:  # '' is a value: no bytes
        assert mine == {(4, "", "blank-row"), (5, "v", "type-error")}
