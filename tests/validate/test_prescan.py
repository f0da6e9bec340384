"""Byte scans started ahead (large files): the same findings as scans started by the loader."""

from __future__ import annotations

import hashlib
import threading

import pytest
from semicon.schemas.model import as_package
from semicon.schemas.validation import engine, validate_package
from semicon.schemas.validation.loader import _Scanner
from semicon.schemas.validation.prescan import Prescan, ScanJob

from .conftest import csv_resource, write_package

S = {"name": "id", "type": "string"}
N = {"name": "n", "type": "integer"}
ROWS = "".join(f"r{i},{i}\n" for i in range(3000))


def _package(tmp_path, content: bytes, **declared):
    res = csv_resource("t", [S, N])
    res.update(declared)
    other = csv_resource("u", [S, N])
    return write_package(tmp_path, [res, other], {"data/t.csv": content,
                                                  "data/u.csv": b"id,n\nb,x\n"})


def _findings(descriptor):
    report = validate_package(descriptor)
    return [(f.code, f.resource, f.line, f.field, f.value, f.message)
            for f in report.findings]


@pytest.mark.parametrize("content", [
    ("id,n\n" + ROWS + "z,1\n").encode(),
    ("id,n\n" + ROWS + "bad\x00,2\n" + ROWS).encode(),
    ("id,n\n" + ROWS).encode() + b"caf\xe9,3\n",
    ("id,n\n" + ROWS + "\nshort\n" + ROWS + "t,x\n").encode(),
], ids=["valid", "nul-byte", "encoding", "blank-and-short"])
def test_findings_are_those_of_a_scan_beside_the_load(tmp_path, monkeypatch, content):
    md5 = hashlib.md5(content).hexdigest()
    descriptor = _package(tmp_path, content, hash=f"md5:{'0' * 32}", bytes=len(content) + 1)
    beside = _findings(descriptor)
    monkeypatch.setattr("semicon.schemas.validation.prescan.AHEAD_BYTES", 0)
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)  # a small package has no such file
    ahead = Prescan.start(as_package(descriptor), 1 << 20)
    assert [j.file.name for j in ahead.jobs] == ["t.csv", "u.csv"]
    assert ahead.jobs[0].hashes == ("md5",) and ahead.jobs[1].hashes == ()
    monkeypatch.setattr(_Scanner, "_start",
                        lambda self: pytest.fail("the loader scanned a file scanned ahead"))
    assert _findings(descriptor) == beside
    assert [f[0] for f in beside[:2]] == ["byte-count", "hash-count"]
    assert md5 in beside[1][5]


def test_a_large_package_starts_its_scans_before_duckdb_opens(tmp_path, monkeypatch):
    """The hashing runs on the core left idle while DuckDB is imported and opened."""
    descriptor = _package(tmp_path, ("id,n\n" + ROWS).encode())
    expected = _findings(descriptor)
    assert [f[:2] for f in expected] == [("type-error", "u")]
    monkeypatch.setattr("semicon.schemas.validation.prescan.AHEAD_BYTES", 0)
    started: list[str] = []
    start, connect = Prescan.start.__func__, engine._connect

    def start_first(cls, *args):
        started.append("scans")
        return start(cls, *args)

    def connect_second(*args, **kwargs):
        started.append("duckdb")
        return connect(*args, **kwargs)

    monkeypatch.setattr(Prescan, "start", classmethod(start_first))
    monkeypatch.setattr(engine, "_connect", connect_second)
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
    assert _findings(descriptor) == expected
    assert started == ["scans", "duckdb"]
    started.clear()
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", 1 << 40)
    assert _findings(descriptor) == expected
    assert started == ["duckdb"]  # a small package's files are scanned by the loader


def test_small_files_start_no_thread(tmp_path):
    descriptor = _package(tmp_path, ("id,n\n" + ROWS).encode())
    before = threading.active_count()
    assert Prescan.start(as_package(descriptor), 1 << 20).jobs == []
    assert threading.active_count() == before


def test_a_cancelled_scan_is_scanned_again_by_the_loader(tmp_path):
    content = ("id,n\n" + ROWS).encode()
    file = tmp_path / "t.csv"
    file.write_bytes(content)
    job = ScanJob(file, ("md5",), "utf-8", 1 << 10)
    ahead = Prescan(jobs=[job])
    ahead._done = {job: threading.Event()}
    ahead.cancel()
    ahead._run()  # what the thread runs, here on this one
    assert ahead.take(job) is None
    advanced: list[int] = []
    scan = _Scanner(ahead, job, advanced.append).result()
    assert scan.md5 == hashlib.md5(content).hexdigest()
    assert scan.physical_lines == 3001 and scan.samples
    assert sum(advanced) == len(content)
