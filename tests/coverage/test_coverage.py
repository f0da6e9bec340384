"""``semicon coverage`` on a package made here and on the bundled one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli

from tests.conftest import BUNDLED, ROOT

REPORT = """Annual report

The council met on 3 May. It granted EUR 5 million to the port.
The weather was fine.

1 Minutes of the council, nr. 12
"""


def make_package(tmp_path: Path, quotes: list[str], exclusions: list[tuple[str, str]] | None,
                 ) -> Path:
    """A package with one document (``report``) and a table quoting it."""
    pkg = tmp_path / "pkg"
    (pkg / "docs").mkdir(parents=True)
    (pkg / "docs" / "report.txt").write_text(REPORT, encoding="utf-8")
    with (pkg / "facts.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["fact_id", "doc", "quote"])
        for i, q in enumerate(quotes, start=1):
            w.writerow([f"f{i}", "report", q])
    descriptor = {
        "name": "demo", "resources": [{
            "name": "facts", "path": "facts.csv", "format": "csv",
            "schema": {"fields": [{"name": "fact_id", "type": "string"},
                                  {"name": "doc", "type": "string"},
                                  {"name": "quote", "type": "string"}],
                       "primaryKey": ["fact_id"]}}],
        "semicon": {"provenance": {
            "documents": [{"id": "report", "path": "docs/report.txt", "title": "The report"}],
            "quotes": [{"source": "doc", "quote": "quote"}]}},
    }
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    if exclusions is not None:
        with (pkg / "coverage-exclusions.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["document", "sentence", "reason"])
            w.writerows(("report", s, r) for s, r in exclusions)
    return pkg


def run(*args: str):
    return CliRunner().invoke(cli, ["coverage", *args])


def test_text_report_lists_the_sentences_no_row_quotes(tmp_path):
    pkg = make_package(tmp_path, ["It granted EUR 5 million\nto the port."],
                       [("Annual report", "Title."), ("The weather", "Context.")])
    result = run(str(pkg))
    assert result.exit_code == 0, result.output
    assert result.output == (
        "report (docs/report.txt)\n"
        "  5 sentences: 1 quoted, 2 left out by choice, 2 not quoted; coverage 33.3%\n"
        "  not quoted by any row:\n"
        "    line 3: The council met on 3 May.\n"
        "    line 6: 1 Minutes of the council, nr. 12\n"
        "coverage 33.3% over 1 document\n")


def test_fail_under_fails_below_and_passes_at_the_threshold(tmp_path):
    pkg = make_package(tmp_path, ["The council met on 3 May.", "It granted EUR 5 million",
                                  "1 Minutes of the council, nr. 12"],
                       [("Annual report", "Title."), ("The weather", "Context.")])
    assert run(str(pkg), "--fail-under", "100").exit_code == 0
    (pkg / "coverage-exclusions.csv").write_text("document,sentence,reason\n",
                                                 encoding="utf-8")
    result = run(str(pkg / "datapackage.json"), "--fail-under", "70")
    assert result.exit_code == 1
    assert result.output.endswith(
        "coverage 60.0% over 1 document\nsemicon coverage: 60.0% is under 70%\n")


def test_json_report_gives_each_sentence_its_status_rows_and_reason(tmp_path):
    pkg = make_package(tmp_path, ["The council met on 3 May."], [("The weather", "Context.")])
    data = json.loads(run(str(pkg), "--format", "json").output)
    doc = data["documents"][0]
    assert (data["package"], doc["id"], doc["title"]) == ("demo", "report", "The report")
    by_text = {s["text"]: s for s in doc["sentences"]}
    met = by_text["The council met on 3 May."]
    assert met["status"] == "quoted" and met["line"] == 3
    assert met["rows"] == [{"resource": "facts", "line": 2, "key": ["f1"]}]
    assert REPORT[met["start"]:met["end"]] == "The council met on 3 May."
    assert by_text["The weather was fine."] | {"rows": None} == by_text[
        "The weather was fine."] | {"status": "excluded", "reason": "Context.", "rows": None}
    assert by_text["Annual report"]["status"] == "missing"
    assert (doc["quoted"], doc["excluded"], doc["missing"]) == (1, 1, 3)
    assert data["percent"] == 25.0


def test_markdown_report_and_stale_exclusions(tmp_path):
    pkg = make_package(tmp_path, ["The council met on 3 May."],
                       [("The weather", "Context."), ("No such sentence", "Gone.")])
    md = run(str(pkg), "--format", "markdown").output
    assert md.startswith("# Coverage of the source documents of demo\n\n**25.0%**")
    assert "| The report (`report`) | 5 | 1 | 1 | 3 | 25.0% |" in md
    assert "| 4 | The weather was fine. | Context. |" in md
    assert "- No such sentence" in md
    assert "exclusion matches no sentence: No such sentence" in run(str(pkg)).output


def test_a_quote_of_part_of_a_long_sentence_counts_a_short_overlap_does_not(tmp_path):
    pkg = make_package(tmp_path, ["granted EUR 5 million to", "May. It"], [])
    doc = json.loads(run(str(pkg), "--format", "json").output)["documents"][0]
    status = {s["text"]: s["status"] for s in doc["sentences"]}
    assert status["It granted EUR 5 million to the port."] == "quoted"
    assert status["The council met on 3 May."] == "missing"  # 4 characters of it


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("semicon"), "declares no source documents"),
    (lambda d: d["semicon"]["provenance"]["documents"][0].update(path="../../etc/passwd"),
     "refused text path"),
    (lambda d: d["semicon"]["provenance"]["documents"][0].update(path="docs/none.txt"),
     "cannot be read"),
])
def test_unusable_input_is_one_line_and_exit_2(tmp_path, change, message):
    pkg = make_package(tmp_path, [], None)
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    change(descriptor)
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run(str(pkg))
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_a_missing_package_and_a_bad_exclusions_file_are_exit_2(tmp_path):
    assert run(str(tmp_path / "nope")).exit_code == 2
    pkg = make_package(tmp_path, [], None)
    (pkg / "coverage-exclusions.csv").write_text("sentence\nx\n", encoding="utf-8")
    result = run(str(pkg))
    assert result.exit_code == 2 and "missing column(s) document, reason" in result.output


def test_every_fact_stating_sentence_of_the_letter_is_quoted():
    result = run(str(BUNDLED), "--fail-under", "100")
    assert result.exit_code == 0, result.output
    assert "0 not quoted; coverage 100.0%" in result.output


def test_the_coverage_report_in_the_docs_is_current():
    result = run(str(BUNDLED), "--format", "markdown")
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == result.output


def test_a_table_schema_given_by_path_is_read_like_an_inline_one(tmp_path):
    """The package model reads the descriptor: a schema file the resource names counts."""
    pkg = make_package(tmp_path, ["It granted EUR 5 million\nto the port."],
                       [("Annual report", "Title."), ("The weather", "Context.")])
    inline = run(str(pkg))
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    res = descriptor["resources"][0]
    (pkg / "facts.schema.json").write_text(json.dumps(res["schema"]), encoding="utf-8")
    res["schema"] = "facts.schema.json"
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    by_path = run(str(pkg))
    assert by_path.exit_code == inline.exit_code == 0, by_path.output
    assert by_path.output == inline.output
    assert "1 quoted" in by_path.output
