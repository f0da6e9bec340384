"""Two fresh builds of the bundled package: the same bytes, except the DuckDB file.

DuckDB writes random identifiers into every database file, so that one file is compared
by content (the release check's parity) instead of by bytes.
"""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb
import pytest
from semicon.build.release import make_release
from semicon.build.release_check import release_findings

from tests.package.helpers import unzip_release

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "datapackage"



@pytest.fixture(scope="module")
def two_builds(bundled_release, tmp_path_factory) -> tuple[Path, Path, Path]:
    """Two releases, each from its own fresh build; returns both folders and the second
    zip (the first is shared with other tests, which must not see it rewritten)."""
    root = tmp_path_factory.mktemp("reproducible")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        second = make_release(BUNDLED, root / "b").zip_path
    return bundled_release[0], unzip_release(second, root / "xb"), second


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_fresh_builds_give_the_same_bytes_but_the_duckdb_file(two_builds) -> None:
    a, b, _ = two_builds
    files_a, files_b = _files(a), _files(b)
    assert files_a.keys() == files_b.keys()
    duckdb_file = "semicon-nl.duckdb"
    assert duckdb_file in files_a
    differ = sorted(p for p in files_a if files_a[p] != files_b[p])
    assert set(differ) <= {duckdb_file}, differ
    for name in ("datapackage.json", "SHA256SUMS", "semicon-nl.db",
                 "parquet/funding_allocations.parquet", "README.md"):
        assert files_a[name] == files_b[name], name


def test_the_site_database_is_byte_identical_too(bundled_release, two_builds) -> None:
    """The SQLite file the site serves (the released one plus its full-text index)."""
    from semicon.build.site import served_database

    first = served_database(bundled_release[1].parent, "semicon-nl")
    second = served_database(two_builds[2].parent, "semicon-nl")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != (bundled_release[0] / "semicon-nl.db").read_bytes()


def test_the_duckdb_file_passes_its_content_check(two_builds) -> None:
    a, b, _ = two_builds
    assert release_findings(a) == []
    assert release_findings(b) == []
    con = duckdb.connect(str(a / "semicon-nl.duckdb"), read_only=True)
    built_at = {r[0] for r in con.execute("SELECT CAST(built_at AS VARCHAR) FROM _build")
                .fetchall()}
    assert built_at == {"2026-11-27 00:00:00"}  # the package's `created`, never the clock


def test_the_zip_serve_writes_is_the_zip_package_writes(two_builds, tmp_path: Path) -> None:
    from semicon.cli.serve import prepare

    _, _, zip_path = two_builds
    out = zip_path.parent
    packaged = zip_path.read_bytes()
    zip_path.unlink()
    prepare(BUNDLED, out, False)  # the build is current: only the zip is written again
    assert zip_path.read_bytes() == packaged


def test_altered_files_are_found(two_builds, tmp_path: Path) -> None:
    a, _, _ = two_builds
    copy = tmp_path / "release"
    shutil.copytree(a, copy)
    con = sqlite3.connect(copy / "semicon-nl.db")
    con.execute("UPDATE key_figures SET value = value + 1 WHERE rowid = 1")
    con.commit()
    con.close()
    con = duckdb.connect(str(copy / "semicon-nl.duckdb"))
    con.execute("DELETE FROM events WHERE rowid = (SELECT max(rowid) FROM events)")
    con.close()
    found = {(f.code, f.path, f.message) for f in release_findings(copy)}
    assert ("checksum-mismatch", "semicon-nl.db",
            "semicon-nl.db does not match its SHA256SUMS digest: the file was altered or "
            "damaged after the release") in found
    assert ("parity-error", "semicon-nl.db",
            "semicon-nl.db: key_figures content differs from the CSV") in found
    events = [m for c, p, m in found if p == "semicon-nl.duckdb"]
    assert len(events) == 1 and events[0].startswith("semicon-nl.duckdb: events has ")
    assert {c for c, _, _ in found} == {"checksum-mismatch", "parity-error"}


def test_semicon_validate_checks_a_downloaded_release(two_builds, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from semicon.cli.main import cli

    a, _, _ = two_builds
    result = CliRunner().invoke(cli, ["validate", str(a), "-q"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "release"
    shutil.copytree(a, copy)
    con = sqlite3.connect(copy / "semicon-nl.db")
    con.execute("DELETE FROM regions WHERE rowid = 1")
    con.commit()
    con.close()
    result = CliRunner().invoke(cli, ["validate", str(copy), "-q"])
    assert result.exit_code == 1, result.output
    assert "checksum-mismatch: semicon-nl.db does not match its SHA256SUMS digest" in result.output
    assert "parity-error: semicon-nl.db: regions has " in result.output


def test_semicon_validate_checks_a_release_zip(two_builds, tmp_path: Path) -> None:
    from click.testing import CliRunner
    from semicon.cli.main import cli

    a, _, zip_path = two_builds
    result = CliRunner().invoke(cli, ["validate", str(zip_path), "-q"])
    assert result.exit_code == 0, result.output
    # the same release with its SQLite file altered, zipped again
    copy = tmp_path / a.name
    shutil.copytree(a, copy)
    con = sqlite3.connect(copy / "semicon-nl.db")
    con.execute("UPDATE regions SET name = 'x' WHERE rowid = 1")
    con.commit()
    con.close()
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(altered, "w") as zf:
        for p in sorted(copy.rglob("*")):
            if p.is_file():
                zf.write(p, f"{a.name}/{p.relative_to(copy).as_posix()}")
    result = CliRunner().invoke(cli, ["validate", str(altered), "-q"])
    assert result.exit_code == 1, result.output
    assert "checksum-mismatch: semicon-nl.db does not match its SHA256SUMS digest" in result.output
    assert "parity-error: semicon-nl.db: regions content differs from the CSV" in result.output
