"""The README says what the code does: its table list and counts match the data package."""

from __future__ import annotations

import csv
import re

from semicon.schemas.registry import table_names

from tests.conftest import BUNDLED, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_table_with_its_row_count():
    listed = {m[1]: int(m[2]) for m in re.finditer(r"^\| `(\w+)` \| (\d+) \|", README, re.M)}
    actual = {}
    for table in table_names():
        with (BUNDLED / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            actual[table] = sum(1 for _ in csv.DictReader(fh))
    assert listed == actual


def test_ci_runs_the_readme_test_command():
    block = README.split("<!-- test-command -->", 1)[1].lstrip().splitlines()
    assert block[0] == "```sh" and "pytest" in block[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == block[1], ".ci/run must end with the README's test command"
