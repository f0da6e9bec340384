"""A small package runs on one DuckDB thread with only the optimisers that plan joins: the
findings are exactly those of the full set-up, on every kind of package and error; and
those of a large package's paths (every file sampled, loaded on every core and checked as
a large table is), forced on the same packages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from semicon.schemas.model import load_package
from semicon.schemas.validation import checks, engine, loader, prescan, validate_package

from benchmarks.synthetic import write_package

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "tests" / "compat" / "frictionless" / "data"
REAL = ROOT / "tests" / "real_packages"


def _findings(descriptor: Path, monkeypatch, *, small: bool, large_paths: bool = False
              ) -> list[dict]:
    with monkeypatch.context() as m:
        m.setattr(engine, "SMALL_PACKAGE_BYTES", 1 << 40 if small else -1)
        if large_paths:
            # every file is "large": sampled every 64 bytes, its line order checked, its
            # view of kept fields made; every table's keys checked as a large table's
            for module in (loader, prescan):
                m.setattr(module, "SAMPLE_EVERY", 64)
            m.setattr(checks, "DIRECT_ROWS", 0)
        report = validate_package(descriptor)
    return sorted((f.to_dict() for f in report.findings),
                  key=lambda d: tuple(str(v) for v in d.values()))


def _spoil_bundled(descriptor: Path) -> None:
    """Amounts that no longer add up, a range out of order, a quote not in the letter and a
    repeated key: findings of the declared rules as well as of the Table Schemas."""
    path = descriptor.parent / "data" / "funding_allocations.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[0]["amount"] = str(int(rows[0]["amount"]) + 10**9)
    rows[1]["amount_low"], rows[1]["amount_high"] = "9", "1"
    rows[2]["source_quote"] = "Deze zin staat niet in de brief."
    rows[3]["allocation_id"] = rows[4]["allocation_id"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _seeded(folder: Path) -> Path:
    return write_package(folder, 480, bad_every=12, with_hash=False)


def _cases() -> list:
    compat = sorted(p for p in COMPAT.glob("*.json") if "package" in p.name)
    compat += sorted(COMPAT.glob("*/datapackage.json"))
    real = sorted(REAL.glob("*/datapackage.json"))
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in [*compat, *real]]


def test_the_bundled_package_is_small_and_a_large_one_is_not(bundled_copy, tmp_path):
    assert engine.is_small(load_package(bundled_copy))
    big = write_package(tmp_path / "big", 20_000, with_hash=False)
    assert not engine.is_small(load_package(big))


def test_spoilt_bundled_package_same_findings(bundled_copy, monkeypatch):
    _spoil_bundled(bundled_copy)
    small = _findings(bundled_copy, monkeypatch, small=True)
    codes = {f["code"] for f in small}
    wanted = {"primary-key", "parts-exceed-parent", "quote-not-in-source", "foreign-key"}
    assert wanted <= codes, codes
    assert small == _findings(bundled_copy, monkeypatch, small=False)


def test_seeded_package_same_findings(tmp_path, monkeypatch):
    descriptor = _seeded(tmp_path / "seeded")
    small = _findings(descriptor, monkeypatch, small=True)
    assert len({f["code"] for f in small}) >= 5
    assert small == _findings(descriptor, monkeypatch, small=False)


@pytest.mark.parametrize("descriptor", _cases())
def test_third_party_packages_same_findings(descriptor, monkeypatch):
    assert _findings(descriptor, monkeypatch, small=True) == _findings(
        descriptor, monkeypatch, small=False)


@pytest.mark.parametrize("descriptor", _cases())
def test_third_party_packages_same_findings_on_the_large_paths(descriptor, monkeypatch):
    assert _findings(descriptor, monkeypatch, small=True) == _findings(
        descriptor, monkeypatch, small=False, large_paths=True)


def test_spoilt_bundled_and_seeded_packages_same_findings_on_the_large_paths(
        bundled_copy, tmp_path, monkeypatch):
    _spoil_bundled(bundled_copy)
    for descriptor in (bundled_copy, _seeded(tmp_path / "seeded")):
        small = _findings(descriptor, monkeypatch, small=True)
        assert small == _findings(descriptor, monkeypatch, small=False, large_paths=True)
