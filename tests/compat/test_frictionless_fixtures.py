"""A sample of frictionless-py's own fixtures (tests/compat/frictionless, MIT licence),
validated offline by semicon and by frictionless: the same verdict, and for an invalid
package the same finding codes (docs/compat.md has the whole folder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from semicon.schemas.validation import validate_package

from benchmarks.compat import CODE_REASONS, Verdict, explain

ROOT = Path(__file__).parent / "frictionless"
SAMPLE = [
    "data/country.package.json",
    "data/geopoint/datapackage.json",
    "data/compression/datapackage.json",
    "data/multipart.package.json",
    "data/issue-1004.package.json",
    "data/number/datapackage.json",
    "data/package-with-dereferencing.json",
    "data/package-dialect-no-header.json",
    "data/multiple-folders.package.json",
]


def _semicon(target: str) -> Verdict:
    report = validate_package(target)
    status = {0: "valid", 1: "invalid", 2: "unusable"}[report.exit_code]
    return Verdict(status, sorted({f.code for f in report.findings if f.severity == "error"}))


def _frictionless(target: str) -> Verdict:
    import frictionless

    report = frictionless.validate(target)
    codes = {e.type for e in report.errors}
    for task in report.tasks:
        codes |= {e.type for e in task.errors}
    return Verdict("valid" if report.valid else "invalid", sorted(codes))


@pytest.mark.parametrize("target", SAMPLE)
def test_same_verdict_as_frictionless(target, monkeypatch):
    monkeypatch.chdir(ROOT)  # as frictionless's own tests run, from the checkout's root
    ours, theirs = _semicon(target), _frictionless(target)
    assert ours.ok == theirs.ok
    if not theirs.ok and target not in CODE_REASONS:
        assert ours.codes == theirs.codes
    assert explain(target, ours, theirs) == (
        "" if ours.codes == theirs.codes
        else "same verdict; codes differ: " + CODE_REASONS[target])


def test_the_sample_is_vendored_with_its_licence():
    assert (ROOT / "LICENSE.md").read_text(encoding="utf-8").startswith("# The MIT License")
    assert all((ROOT / t).is_file() for t in SAMPLE)
    assert not any(p.is_symlink() for p in ROOT.rglob("*")), os.listdir(ROOT)
