"""``semicon validate`` keeps the findings of a run by the digest of everything they depend
on, and reuses them only while nothing of it has changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli
from semicon.schemas.validation import reportcache

KEPT = "; unchanged since an earlier validation (--no-cache validates again)"


@pytest.fixture
def caching(monkeypatch, tmp_path):
    """Reports kept, in a cache folder of the test's own."""
    monkeypatch.delenv("SEMICON_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "semicon-nl" / "reports"


def _run(descriptor: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["validate", str(descriptor), "--format", "json",
                                      "--quiet", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.output
    return result.exit_code, json.loads(result.output)


def _summary(descriptor: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(descriptor), "--quiet", *args])
    return result.exit_code, result.output.strip().splitlines()[-1] if result.output else ""


def _spoil_cell(descriptor: Path, table: str, old: str, new: str) -> None:
    path = descriptor.parent / "data" / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unchanged_package_reuses_its_findings(bundled_copy, caching):
    first_code, first = _run(bundled_copy)
    assert first_code == 0 and first["stats"]["kept"] is False
    assert len(list(caching.glob("*.json"))) == 1
    again_code, again = _run(bundled_copy)
    assert again_code == 0 and again["stats"]["kept"] is True
    assert again["findings"] == first["findings"]
    assert again["stats"]["rows"] == first["stats"]["rows"]
    # --no-cache validates again
    code, fresh = _run(bundled_copy, "--no-cache")
    assert code == 0 and fresh["stats"]["kept"] is False


def test_the_text_summary_says_the_findings_were_kept(bundled_copy, caching):
    _spoil_cell(bundled_copy, "sources", "voortgangsbrief-2025", "Voortgangsbrief 2025")
    code, line = _summary(bundled_copy)
    assert code == 1 and not line.endswith(KEPT)
    code, line = _summary(bundled_copy)
    assert code == 1 and line.endswith(KEPT)


def test_an_invalid_verdict_is_kept_exactly(bundled_copy, caching):
    _spoil_cell(bundled_copy, "funding_allocations", ",EUR,", ",EURO,")
    code, first = _run(bundled_copy)
    assert code == 1 and first["findings"]
    code, again = _run(bundled_copy)
    assert code == 1 and again["stats"]["kept"] is True
    assert again["findings"] == first["findings"]


@pytest.mark.parametrize("change", ["data", "same size", "descriptor", "source text",
                                    "new file", "option"])
def test_any_change_validates_again(bundled_copy, caching, change):
    code, _ = _run(bundled_copy)
    assert code == 0
    args: tuple[str, ...] = ()
    if change == "data":
        _spoil_cell(bundled_copy, "funding_allocations", ",EUR,", ",EURO,")
    elif change == "same size":  # same size, written straight after the validation
        _spoil_cell(bundled_copy, "funding_allocations", ",EUR,", ",EUX,")
    elif change == "descriptor":
        data = json.loads(bundled_copy.read_text(encoding="utf-8"))
        data["resources"][0]["schema"]["fields"][0]["constraints"] = {"maxLength": 1}
        bundled_copy.write_text(json.dumps(data), encoding="utf-8")
    elif change == "source text":
        letter = next((bundled_copy.parent / "sources").glob("*.txt"))
        letter.write_text("Een andere brief.\n", encoding="utf-8")
    elif change == "new file":  # a file nobody names changes nothing, but is hashed
        (bundled_copy.parent / "notes.txt").write_text("x", encoding="utf-8")
    else:
        args = ("--pandera",)
    code, report = _run(bundled_copy, *args)
    assert report["stats"]["kept"] is False
    assert code == (0 if change in ("new file", "option") else 1)


def test_code_and_libraries_are_part_of_the_key():
    names = {p.name for p in reportcache._code_files()}
    assert {"engine.py", "reportcache.py", "rowchecks.py", "declarations.schema.json",
            "validate.py"} <= names
    assert reportcache.installed("duckdb").startswith("duckdb: ['duckdb-")


def test_never_kept_for_python_rules_or_large_folders(bundled_copy, caching, monkeypatch):
    _run(bundled_copy, "--allow-python")
    assert not caching.exists() or not list(caching.glob("*.json"))
    monkeypatch.setattr(reportcache, "MAX_FILES", 3)
    _run(bundled_copy)
    _, again = _run(bundled_copy)
    assert again["stats"]["kept"] is False


def test_only_the_newest_reports_are_kept(bundled_copy, caching, monkeypatch):
    monkeypatch.setattr(reportcache, "MAX_KEPT", 2)
    for n in range(4):
        bundled_copy.with_name(f"extra-{n}.txt").write_text("x", encoding="utf-8")
        _run(bundled_copy)
    assert len(list(caching.glob("*.json"))) == 2


_WARM = """
import sys
from semicon.cli.main import cli
try:
    cli(["validate", "--quiet", sys.argv[1]])
except SystemExit as exc:
    print(exc.code, sorted(m for m in ("_duckdb", "frictionless", "jsonschema")
                          if m in sys.modules))
"""


def test_a_kept_report_needs_no_duckdb(bundled_copy, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SEMICON_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    runs = [subprocess.run([sys.executable, "-c", _WARM, str(bundled_copy)], env=env,
                           capture_output=True, text=True, check=True, timeout=300)
            .stdout.split(None, 1) for _ in range(2)]
    assert runs[0][0] == "0" and "'_duckdb'" in runs[0][1]  # validated (DuckDB's engine)
    assert runs[1] == ["0", "[]\n"]  # kept: neither DuckDB nor the descriptor checks


def test_max_errors_is_applied_to_kept_findings(bundled_copy, caching):
    for old, new in ((",EUR,", ",EURO,"), (",NL,", ",NLD,")):
        _spoil_cell(bundled_copy, "funding_allocations", old, new)
    _, full = _run(bundled_copy)
    assert full["summary"]["errors"] >= 2
    for _ in range(2):  # validated, then kept
        code, cut = _run(bundled_copy, "--max-errors", "1")
        assert code == 1 and cut["stats"]["truncated"] is True
        assert [f for f in cut["findings"] if f["severity"] == "error"] == [
            f for f in full["findings"] if f["severity"] == "error"][:1]
    assert cut["stats"]["kept"] is True


def test_a_cache_folder_inside_the_package_is_not_part_of_it(bundled_copy, monkeypatch):
    """Reports written into the package's own folder must not make the next run a miss."""
    monkeypatch.delenv("SEMICON_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(bundled_copy.parent / ".cache"))
    assert _run(bundled_copy)[1]["stats"]["kept"] is False
    assert _run(bundled_copy)[1]["stats"]["kept"] is True
