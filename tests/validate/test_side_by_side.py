"""A small package's statements run side by side, one connection a worker: the same report,
in the same order, whatever the number of workers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from semicon.schemas.interrupts import is_interrupt
from semicon.schemas.model import load_package
from semicon.schemas.validation import engine, run, sidebyside, sources, validate_package
from semicon.schemas.validation.sidebyside import InThread, side_by_side

from benchmarks.synthetic import write_package

from .test_small_packages import _cases, _spoil_bundled


@pytest.fixture
def con(tmp_path):
    con = engine._connect(tmp_path, small=True)
    yield con
    con.close()


def _meeting(count: int):
    """A run function whose first ``count`` items each wait for all of them: it returns
    only if that many workers run at once (a broken barrier raises instead)."""
    barrier = threading.Barrier(count, timeout=30)

    def run(c, item):
        if item < count:
            barrier.wait()
        return item, c.execute("SELECT ?::INTEGER * 2", [item]).fetchall()[0][0], id(c)

    return run


def test_results_come_in_item_order_from_workers_running_at_once(con):
    out = side_by_side(con, list(range(9)), _meeting(3), workers=3)
    assert [(i, doubled) for i, doubled, _ in out] == [(i, 2 * i) for i in range(9)]
    assert len({c for *_, c in out[:3]}) == 3  # three connections: con and two cursors


def test_one_worker_runs_everything_on_the_connection_itself(con):
    out = side_by_side(con, [1, 2, 3], lambda c, i: c is con, workers=1)
    assert out == [True, True, True]


def test_the_first_failing_item_raises_and_every_worker_has_stopped(con):
    before = threading.active_count()

    def run(c, item):
        if item in (4, 2):
            raise ValueError(f"item {item}")
        return c.execute("SELECT 1").fetchall()

    with pytest.raises(ValueError, match="item 2"):
        side_by_side(con, list(range(12)), run, workers=3)
    assert threading.active_count() == before


def test_ctrl_c_in_any_worker_wins_over_an_earlier_failure(con):
    meet = _meeting(2)

    def run(c, item):
        meet(c, item)  # both items are running before either raises
        if item == 0:
            raise ValueError("an ordinary failure first")
        if item == 1:
            raise KeyboardInterrupt
        return item

    with pytest.raises(BaseException) as caught:
        side_by_side(con, [0, 1], run, workers=2)
    assert is_interrupt(caught.value)


def test_a_workers_connection_reads_times_in_utc_like_the_first(con):
    con.execute("SET GLOBAL TimeZone = 'Asia/Tokyo'")  # what a new connection would get
    run = _meeting(2)
    zones = side_by_side(
        con, [0, 1],
        lambda c, i: (run(c, i), c.execute("SELECT current_setting('TimeZone')").fetchall()),
        workers=2)
    assert [z for _, ((z,),) in zones] == ["UTC", "UTC"]


def test_a_call_in_a_thread_gives_its_value_from_another_thread():
    release = threading.Event()
    call = InThread(lambda: (release.wait(10), threading.current_thread().name)[1],
                    name="semicon-test")
    assert call.running()
    release.set()
    assert call.result() == "semicon-test"
    assert not call.running()
    assert call.join() == ["semicon-test"]


def test_a_call_in_a_thread_raises_its_error_in_the_callers_thread():
    def fail():
        raise ValueError("no connection")

    call = InThread(fail, name="semicon-test")
    assert call.join() == []  # waited for, nothing to close
    with pytest.raises(ValueError, match="no connection"):
        call.result()


def test_workers_are_the_cores_for_a_small_package_and_one_for_a_large(monkeypatch):
    monkeypatch.setattr(sidebyside.os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3, 4, 5})
    assert sidebyside.workers(small=True) == sidebyside.MAX_WORKERS
    assert sidebyside.workers(small=False) == 1
    monkeypatch.setenv("SEMICON_VALIDATE_THREADS", "2")
    assert sidebyside.workers(small=True) == 2
    monkeypatch.setenv("SEMICON_VALIDATE_THREADS", "1")
    assert sidebyside.workers(small=True) == 1


def _report(descriptor: Path, monkeypatch, workers: int) -> dict:
    with monkeypatch.context() as m:
        m.setattr(run, "workers", lambda small: workers)
        m.setattr(run, "cores", lambda: workers)  # the checks'
        data = validate_package(descriptor).to_dict()
    del data["stats"]["seconds"]
    return data


def test_spoilt_bundled_package_same_report_on_one_worker_and_three(bundled_copy,
                                                                    monkeypatch):
    _spoil_bundled(bundled_copy)
    three = _report(bundled_copy, monkeypatch, 3)
    codes = {f["code"] for f in three["findings"]}
    assert {"primary-key", "parts-exceed-parent", "quote-not-in-source"} <= codes, codes
    assert three == _report(bundled_copy, monkeypatch, 1)


def test_seeded_package_same_report_on_one_worker_and_three(tmp_path, monkeypatch):
    descriptor = write_package(tmp_path / "seeded", 480, bad_every=12, with_hash=False)
    three = _report(descriptor, monkeypatch, 3)
    assert len(three["findings"]) > 20
    assert three == _report(descriptor, monkeypatch, 1)


@pytest.mark.parametrize("descriptor", _cases())
def test_third_party_packages_same_report_on_one_worker_and_three(descriptor, monkeypatch):
    assert _report(descriptor, monkeypatch, 3) == _report(descriptor, monkeypatch, 1)


def test_resources_whose_names_clash_once_made_safe_get_files_of_their_own(tmp_path):
    """``a.b`` and ``a_b``, both in two parts: each joined file holds its own rows."""
    for name in ("a.b", "a_b"):
        for part in (1, 2):
            (tmp_path / f"{name}-{part}.csv").write_text(f"id\n{name}-{part}\n")
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"resources": [
        {"name": name, "path": [f"{name}-1.csv", f"{name}-2.csv"],
         "schema": {"fields": [{"name": "id", "type": "string"}]}}
        for name in ("a.b", "a_b")]}))
    package = load_package(descriptor)
    work = tmp_path / "work"
    work.mkdir()
    files = [sources.open_table(tmp_path, res, work).file for res in package.resources]
    assert files[0] != files[1]
    assert [f.read_text() for f in files] == ["id\na.b-1\na.b-2\n", "id\na_b-1\na_b-2\n"]
