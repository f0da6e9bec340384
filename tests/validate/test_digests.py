"""A large file's declared hash, computed at the lowest priority and compared last
(schemas/validation/digests.py)."""

from __future__ import annotations

import hashlib
import os
import sys
import threading

import pytest
from semicon.schemas.model import as_package
from semicon.schemas.validation import digests, engine, validate_package
from semicon.schemas.validation.digests import IdleDigest
from semicon.schemas.validation.prescan import Prescan

from .conftest import csv_resource, write_package

SIZES = [0, 1, 4095, 4096, 3 * 4096 + 5]


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(digests, "BLOCK", 4096)


@pytest.mark.parametrize("size", SIZES)
def test_the_digests_are_hashlibs_whether_the_thread_finished_or_not(tmp_path, small_blocks,
                                                                      size):
    content = os.urandom(size)
    file = tmp_path / "f.bin"
    file.write_bytes(content)
    expected = {"md5": hashlib.md5(content).hexdigest(),
                "sha256": hashlib.sha256(content).hexdigest()}
    finished = IdleDigest(file, ("md5", "sha256"))
    finished._thread.join()  # the thread hashed the whole file
    assert finished.result() == expected
    stopped = IdleDigest(file, ("md5", "sha256"))
    stopped.cancel()  # the thread stops after its current block, wherever it is ...
    assert not stopped._thread.is_alive()
    assert stopped.result() == expected  # ... and the rest is hashed by the caller
    hurried = IdleDigest(file, ("md5", "sha256"))
    hurried.hurry()  # the rest in a thread of normal priority
    assert hurried.result() == expected


def test_hurrying_goes_on_at_normal_priority(tmp_path, small_blocks, monkeypatch):
    """The thread that lowered its priority stops; a new one, not lowered, hashes the rest."""
    file = tmp_path / "f.bin"
    file.write_bytes(os.urandom(64 * 4096))
    lowered: list[int] = []
    gate = threading.Event()

    def lower() -> None:  # the first thread waits here until hurry() has asked it to stop
        lowered.append(threading.get_native_id())
        gate.wait()

    monkeypatch.setattr(digests, "_lower_priority", lower)
    digest = IdleDigest(file, ("md5",))
    first, asked = digest._thread, digest._stop
    hurrying = threading.Thread(target=digest.hurry)
    hurrying.start()
    asked.wait()  # hurry() asked the first thread to stop ...
    gate.set()  # ... which now stops before hashing anything
    hurrying.join()
    assert digest._thread is not first
    assert digest.result()["md5"] == hashlib.md5(file.read_bytes()).hexdigest()
    assert lowered == [first.native_id]  # the thread that hashed the file never lowered


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's nice is Linux's")
def test_the_hashing_thread_has_the_lowest_priority():
    seen: list[int] = []

    def lowered() -> None:
        digests._lower_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=lowered)
    thread.start()
    thread.join()
    assert seen == [digests.LOWEST]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) != digests.LOWEST


ROWS = "".join(f"r{i},{i}\n" for i in range(3000))


def _large(tmp_path, monkeypatch, declared: str) -> str:
    """A package whose table is scanned ahead, its hash computed apart."""
    monkeypatch.setattr("semicon.schemas.validation.prescan.AHEAD_BYTES", 0)
    monkeypatch.setattr(engine, "SMALL_PACKAGE_BYTES", -1)
    res = csv_resource("t", [{"name": "id", "type": "string"},
                             {"name": "n", "type": "integer"}])
    res["hash"] = declared
    return write_package(tmp_path, [res], {"data/t.csv": ("id,n\n" + ROWS).encode()})


@pytest.mark.parametrize("algo", ["md5", "sha256"])
def test_a_wrong_hash_computed_apart_is_reported_with_the_files(tmp_path, monkeypatch, algo):
    content = ("id,n\n" + ROWS).encode()
    actual = hashlib.new(algo, content).hexdigest()
    apart: list[IdleDigest] = []
    start = IdleDigest.__init__

    def recorded(self, *args):
        start(self, *args)
        apart.append(self)

    monkeypatch.setattr(IdleDigest, "__init__", recorded)
    wrong = validate_package(_large(tmp_path, monkeypatch, f"{algo}:{'0' * 8}"))
    assert len(apart) == 1  # the file was hashed apart, not by its scan
    assert [(f.code, f.resource, f.value) for f in wrong.findings] == \
        [("hash-count", "t", actual)]
    assert f'actual is "{actual}"' in wrong.findings[0].message
    right = validate_package(_large(tmp_path / "ok", monkeypatch, f"{algo}:{actual}"))
    assert right.findings == []


def test_a_cancelled_prescan_stops_its_hashing(tmp_path, monkeypatch, small_blocks):
    descriptor = _large(tmp_path, monkeypatch, "md5:" + "0" * 32)
    ahead = Prescan.start(as_package(descriptor), 1 << 20)
    [apart] = ahead._digests.values()
    ahead.cancel()
    assert not apart._thread.is_alive()
