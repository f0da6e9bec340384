"""Numbers in the bundled CSVs are written one way: a whole number without a decimal part.

`1000000000000.0` beside `62000` in one column reads as two kinds of value (frictionless
gives `Decimal('1000000000000.0')` and `Decimal('62000')`); every output types the column as
a double either way, so the text is the only place they can differ.
"""

from __future__ import annotations

import csv
import json
import re

from tests.conftest import BUNDLED

WHOLE_WITH_FRACTION = re.compile(r"^[+-]?\d+\.0+$")


def test_whole_numbers_have_no_decimal_part() -> None:
    descriptor = json.loads((BUNDLED / "datapackage.json").read_text(encoding="utf-8"))
    checked = 0
    for res in descriptor["resources"]:
        numbers = [f["name"] for f in (res.get("schema") or {}).get("fields", [])
                   if f.get("type") == "number"]
        if not numbers:
            continue
        with (BUNDLED / res["path"]).open(encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                for name in numbers:
                    assert not WHOLE_WITH_FRACTION.match(row[name]), (res["path"], line, name)
                    checked += 1
    assert checked
