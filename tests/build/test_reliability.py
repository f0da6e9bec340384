"""Reproducible, no-op, atomic, locked builds; bad input and unwritable folders write nothing."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from semicon.build import atomic, parity, sqlite_db
from semicon.build.atomic import BuildLock
from semicon.build.errors import BuildError, ParityError
from semicon.build.pipeline import build_package
from semicon.cli.main import cli

from tests.build.conftest import SAMPLE_ROWS

ROOT = Path(__file__).resolve().parents[2]


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".semicon-build.lock"
    }


def duckdb_content(path: Path) -> list:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [
            (t, sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr))
            for t in sorted(SAMPLE_ROWS)
        ]
    finally:
        con.close()


def test_reproducible(sample_package: Path, tmp_path: Path) -> None:
    a = build_package(sample_package, tmp_path / "a")
    b = build_package(sample_package, tmp_path / "b")
    assert a.outputs["sqlite"].read_bytes() == b.outputs["sqlite"].read_bytes()
    for table in SAMPLE_ROWS:
        key = f"parquet:{table}"
        assert a.outputs[key].read_bytes() == b.outputs[key].read_bytes(), table
    assert a.hashes == b.hashes
    assert duckdb_content(a.outputs["duckdb"]) == duckdb_content(b.outputs["duckdb"])


def test_noop_and_force(sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(cli, ["build", str(sample_package), "--out", str(out), "--quiet"])
    assert first.exit_code == 0, first.output
    before = file_hashes(out)
    again = runner.invoke(cli, ["build", str(sample_package), "--out", str(out)])
    assert again.exit_code == 0 and "Up to date" in again.output
    assert file_hashes(out) == before
    forced = runner.invoke(cli, ["build", str(sample_package), "--out", str(out), "--json",
                                 "--force"])
    assert forced.exit_code == 0, forced.output
    summary = json.loads(forced.output)
    assert summary["skipped"] is False and summary["rows"]["sources"] == 3
    # a changed input file triggers a rebuild
    data = sample_package.parent / "data" / "countries.csv"
    data.write_text(data.read_text() + "FR,France\n")
    rebuilt = build_package(sample_package, out)
    assert not rebuilt.skipped and rebuilt.rows["countries"] == 4
    # a deleted output triggers a rebuild
    rebuilt.outputs["parquet:sources"].unlink()
    assert not build_package(sample_package, out).skipped


@pytest.mark.parametrize(
    "rows",
    [
        {**SAMPLE_ROWS, "sources": [*SAMPLE_ROWS["sources"], ["S1", "dup", "", ""]]},
        {**SAMPLE_ROWS, "countries": [["NL", "Netherlands"]]},  # dangling foreign keys
        {**SAMPLE_ROWS, "sources": [["S1", "t", "not-a-date", "letter"]]},
    ],
    ids=["duplicate-key", "foreign-key", "bad-date"],
)
def test_bad_input_writes_nothing(make_package, tmp_path: Path, rows) -> None:
    pkg = make_package(rows=rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(pkg), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_invalid_input_keeps_previous_outputs(make_package, tmp_path: Path) -> None:
    pkg = make_package()
    out = tmp_path / "out"
    build_package(pkg, out)
    before = file_hashes(out)
    make_package(rows={**SAMPLE_ROWS, "countries": [["NL", "Netherlands"]]})
    result = CliRunner().invoke(cli, ["build", str(pkg), "--out", str(out)])
    assert result.exit_code == 1
    assert file_hashes(out) == before


def test_out_dir_under_a_file(sample_package: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(
        cli, ["build", str(sample_package), "--out", str(blocker / "dist")]
    )
    assert result.exit_code == 1
    assert "a file is in the way" in result.output
    assert "Traceback" not in result.output


def test_disk_full_cleans_up_and_keeps_outputs(
    sample_package: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out"
    build_package(sample_package, out)
    before = file_hashes(out)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", no_space)  # lowest layer: flushing a temp file
    with pytest.raises(BuildError, match="no space left on device"):
        build_package(sample_package, out, force=True)
    monkeypatch.undo()
    assert file_hashes(out) == before
    assert not [p for p in out.rglob("*") if atomic.TEMP_MARK in p.name]


def test_parity_mismatch_fails_and_keeps_outputs(
    sample_package: Path, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out"
    build_package(sample_package, out)
    before = file_hashes(out)
    real_copy = sqlite_db.copy_table

    def lossy_copy(ddb, sq, resource, on_rows=None, source=None):  # drops one table's last row
        n = real_copy(ddb, sq, resource, on_rows, source)
        if resource.name == "countries":
            sq.execute('DELETE FROM countries WHERE rowid = (SELECT max(rowid) FROM countries)')
        return n

    monkeypatch.setattr(sqlite_db, "copy_table", lossy_copy)
    with pytest.raises(ParityError, match="sqlite: countries has 2 rows"):
        build_package(sample_package, out, force=True)
    assert file_hashes(out) == before
    assert not [p for p in out.rglob("*") if atomic.TEMP_MARK in p.name]


def test_parity_detects_changed_value(sample_package: Path, tmp_path: Path) -> None:
    result = build_package(sample_package, tmp_path / "out")
    sq = sqlite3.connect(result.outputs["sqlite"])
    sq.execute("UPDATE sources SET title = 'changed' WHERE source_id = 'S2'")
    sq.commit()
    sq.close()
    from semicon.build.package import load_package

    pkg = load_package(sample_package)
    con = duckdb.connect()
    res = pkg.resource("sources")
    d = parity.sqlite_digest(con, res, result.outputs["sqlite"])
    assert d.rows == 3 and d.content_hash != result.hashes["sources"]


def test_concurrent_build_is_refused(sample_package: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with BuildLock(out):
        result = CliRunner().invoke(cli, ["build", str(sample_package), "--out", str(out)])
    assert result.exit_code == 2
    assert "another build is writing to" in result.output
    assert not (out / "build.json").exists()
    ok = CliRunner().invoke(cli, ["build", str(sample_package), "--out", str(out), "-q"])
    assert ok.exit_code == 0, ok.output


def _write_synthetic(folder: Path, rows: int) -> Path:
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.synthetic import write_package
    finally:
        sys.path.remove(str(ROOT))
    return write_package(folder, rows)


@pytest.mark.slow
@pytest.mark.parametrize("kill_when", [".synthetic-allocations.duckdb.tmp-",
                                       ".synthetic-allocations.db.tmp-"])
def test_kill_9_keeps_previous_outputs(tmp_path: Path, kill_when: str) -> None:
    pkg_dir = tmp_path / "pkg"
    descriptor = _write_synthetic(pkg_dir, 2_000)
    out = tmp_path / "out"
    first = build_package(descriptor, out)
    before = file_hashes(out)
    _write_synthetic(pkg_dir, 200_000)  # same package, now large

    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "semicon"), "build", str(descriptor),
         "--out", str(out), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if any(p.name.startswith(kill_when) for p in out.iterdir()):
                break
            if proc.poll() is not None:
                pytest.fail(f"build ended before it could be killed: {proc.stderr.read()}")
            time.sleep(0.01)
        else:
            pytest.fail("the build never wrote its temp file")
        time.sleep(0.05)
        assert proc.poll() is None, "build finished before the kill"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    after = file_hashes(out)
    assert {k: v for k, v in after.items() if atomic.TEMP_MARK not in k} == before
    # and the outputs still open
    con = duckdb.connect(str(first.outputs["duckdb"]), read_only=True)
    assert con.execute("SELECT count(*) FROM allocations").fetchall() == [(2_000,)]
    con.close()
    sq = sqlite3.connect(first.outputs["sqlite"])
    assert sq.execute("SELECT count(*) FROM allocations").fetchall() == [(2_000,)]
    assert sq.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # the next build cleans up the temp files and succeeds
    rebuilt = build_package(descriptor, out)
    assert rebuilt.rows["allocations"] == 200_000
    assert not [p for p in out.rglob("*") if atomic.TEMP_MARK in p.name]


@pytest.mark.slow
def test_ctrl_c_during_a_build_leaves_the_previous_outputs(tmp_path: Path):
    from benchmarks.synthetic import write_package
    from tests.conftest import run_cli_interrupted

    descriptor = write_package(tmp_path / "pkg", 300_000)
    out = tmp_path / "out"
    assert run_cli_interrupted(None, "build", str(descriptor), "--out", str(out)).returncode == 0

    def outputs() -> dict[str, tuple[int, int]]:
        return {p.relative_to(out).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
                for p in out.rglob("*") if p.is_file() and p.name != ".semicon-build.lock"}

    before = outputs()
    for stage in ("semicon.build.pipeline:write_parquet",   # DuckDB writing Parquet
                  "semicon.build.sqlite_db:write_sqlite"):  # rows copied into SQLite
        proc = run_cli_interrupted(stage, "build", str(descriptor), "--out", str(out),
                                   "--force")
        assert proc.returncode == 130, proc.stderr
        assert proc.stderr.strip().endswith("semicon: interrupted; nothing was changed")
        assert "Traceback" not in proc.stderr
        assert outputs() == before
