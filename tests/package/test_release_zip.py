"""`semicon package`: zip contents, checksums, generated files and reproducibility."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from semicon.build.release import (
    ReleaseError,
    make_release,
    release_filename,
    stale_reasons,
)
from semicon.build.release_docs import render_citation, render_license, spdx_id
from semicon.cli.main import cli

FOLDER = "demo-nl-1.0.0"
EXPECTED = {
    "CITATION.cff",
    "catalog.jsonld",
    "catalog.ttl",
    "LICENSE",
    "README.md",
    "SHA256SUMS",
    "data/companies.csv",
    "data/sites.csv",
    "datapackage.json",
    "demo-nl.db",
    "demo-nl.duckdb",
    "parquet/companies.parquet",
    "parquet/sites.parquet",
    "sources/letter.txt",
}


def _release(package_dir: Path, tmp_path: Path, builder, out: str = "out") -> Path:
    result = make_release(package_dir, tmp_path / out, build_dir=tmp_path / "dist", builder=builder)
    return result.zip_path


def _members(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        return {n.removeprefix(FOLDER + "/"): zf.read(n) for n in zf.namelist()}


def test_release_filename(package_dir: Path) -> None:
    assert release_filename(package_dir) == "demo-nl-1.0.0.zip"
    assert release_filename(package_dir / "datapackage.json") == "demo-nl-1.0.0.zip"
    assert release_filename({"name": "x", "version": "2.1.0"}) == "x-2.1.0.zip"
    assert release_filename({"name": "x"}) == "x.zip"
    assert release_filename({"name": "../evil", "version": "1/2"}) == "evil-1-2.zip"


def test_zip_contents(package_dir: Path, tmp_path: Path, builder) -> None:
    zip_path = _release(package_dir, tmp_path, builder)
    assert zip_path.name == "demo-nl-1.0.0.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert all(n.startswith(FOLDER + "/") for n in names)
        assert {n.removeprefix(FOLDER + "/") for n in names} == EXPECTED
        for info in zf.infolist():
            assert info.date_time == (2025, 6, 1, 12, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED
    members = _members(zip_path)
    assert members["data/companies.csv"] == (package_dir / "data/companies.csv").read_bytes()
    assert members["sources/letter.txt"] == (package_dir / "sources/letter.txt").read_bytes()


def test_zip_mode_follows_the_umask_like_every_other_output(
    package_dir: Path, tmp_path: Path, builder
) -> None:
    umask = os.umask(0o022)
    try:
        zip_path = _release(package_dir, tmp_path, builder, out="elsewhere")
    finally:
        os.umask(umask)
    written = sorted(p.name for p in zip_path.parent.iterdir())  # no temp file left
    assert written == sorted([zip_path.name, "catalog.jsonld", "catalog.ttl", "dataset.jsonld"])
    for name in written:
        assert stat.S_IMODE((zip_path.parent / name).stat().st_mode) == 0o644, name


def test_checksums_match(package_dir: Path, tmp_path: Path, builder) -> None:
    members = _members(_release(package_dir, tmp_path, builder))
    sums = {}
    for line in members["SHA256SUMS"].decode().splitlines():
        digest, path = line.split("  ", 1)
        sums[path] = digest
    # the DuckDB file differs between builds of the same data: checked by content instead
    assert set(sums) == EXPECTED - {"SHA256SUMS", "demo-nl.duckdb"}
    for path, digest in sums.items():
        assert hashlib.sha256(members[path]).hexdigest() == digest, path

    descriptor = json.loads(members["datapackage.json"])
    listed = {r["path"]: r for r in descriptor["resources"]}
    assert set(listed) == EXPECTED - {
        "catalog.jsonld",
        "catalog.ttl",
        "SHA256SUMS",
        "datapackage.json",
        "README.md",
        "LICENSE",
        "CITATION.cff",
    }
    duckdb_resource = listed["demo-nl.duckdb"]
    assert "hash" not in duckdb_resource and "bytes" not in duckdb_resource
    assert "random identifiers" in duckdb_resource["description"]
    for path, res in listed.items():
        if path == "demo-nl.duckdb":
            continue
        assert res["bytes"] == len(members[path]), path
        assert res["hash"] == "sha256:" + hashlib.sha256(members[path]).hexdigest(), path
    assert listed["data/companies.csv"]["type"] == "table"
    for path in ("parquet/sites.parquet", "demo-nl.duckdb", "demo-nl.db", "sources/letter.txt"):
        assert listed[path]["type"] == "file"
        assert listed[path]["mediatype"]
    assert len({r["name"] for r in descriptor["resources"]}) == len(descriptor["resources"])


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256sum_c(package_dir: Path, tmp_path: Path, builder) -> None:
    zip_path = _release(package_dir, tmp_path, builder)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "x")
    proc = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"],
        cwd=tmp_path / "x" / FOLDER,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_reproducible(package_dir: Path, tmp_path: Path, builder) -> None:
    first = _release(package_dir, tmp_path, builder, out="a")
    time.sleep(0.05)
    second = _release(package_dir, tmp_path, builder, out="b")
    assert builder.calls == 1  # the second run reuses the fresh build
    assert first.read_bytes() == second.read_bytes()
    # Same inputs copied elsewhere (new mtimes, new absolute paths): same bytes.
    copy = tmp_path / "copy"
    shutil.copytree(package_dir, copy)
    shutil.copytree(tmp_path / "dist", tmp_path / "dist2")
    os.utime(tmp_path / "dist2" / "demo-nl.db")
    third = make_release(
        copy, tmp_path / "c", build_dir=tmp_path / "dist2", builder=builder
    ).zip_path
    assert third.read_bytes() == first.read_bytes()


def test_rebuilds_when_stale(package_dir: Path, tmp_path: Path, builder) -> None:
    dist = tmp_path / "dist"
    assert stale_reasons(package_dir / "datapackage.json", dist)
    _release(package_dir, tmp_path, builder)
    assert builder.calls == 1
    assert stale_reasons(package_dir / "datapackage.json", dist) == []
    future = time.time() + 10
    os.utime(package_dir / "data" / "sites.csv", (future, future))
    assert stale_reasons(package_dir / "datapackage.json", dist)
    _release(package_dir, tmp_path, builder)
    assert builder.calls == 2
    (dist / "parquet" / "sites.parquet").unlink()
    _release(package_dir, tmp_path, builder)
    assert builder.calls == 3


def test_build_that_writes_nothing_is_an_error(package_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="did not write"):
        make_release(package_dir, tmp_path / "o", builder=lambda *a, **k: None)


def test_missing_resource_file(package_dir: Path, tmp_path: Path, builder) -> None:
    _release(package_dir, tmp_path, builder)
    (package_dir / "data" / "sites.csv").unlink()
    with pytest.raises(ReleaseError, match="does not exist"):
        make_release(
            package_dir, tmp_path / "o", build_dir=tmp_path / "dist", builder=lambda *a, **k: None
        )


def test_citation_cff(package_dir: Path) -> None:
    descriptor = json.loads((package_dir / "datapackage.json").read_text())
    cff = yaml.safe_load(render_citation(descriptor))
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "dataset"
    assert cff["title"] == "Demo semiconductor data"
    assert cff["version"] == "1.0.0"
    assert cff["date-released"] == "2025-06-01"
    assert cff["license"] == "CC-BY-4.0"
    assert cff["authors"] == [
        {"name": "Demo Maintainer", "email": "demo@example.org"},
        {"given-names": "Ada", "family-names": "Lovelace"},
    ]
    assert cff["keywords"] == ["semiconductors", "Netherlands"]
    assert "repository-code" not in cff
    descriptor["homepage"] = "https://github.com/example/example-data"
    cff = yaml.safe_load(render_citation(descriptor))
    assert cff["url"] == cff["repository-code"] == "https://github.com/example/example-data"


def test_license_text(package_dir: Path) -> None:
    descriptor = json.loads((package_dir / "datapackage.json").read_text())
    text = render_license(descriptor)
    assert "Creative Commons Attribution 4.0" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in text
    assert "Demo Maintainer, Ada Lovelace" in text
    descriptor["licenses"] = [{"name": "CC0-1.0"}]
    text = render_license(descriptor)
    assert "https://creativecommons.org/publicdomain/zero/1.0/" in text
    assert "waived" in text
    assert spdx_id({"path": "https://creativecommons.org/licenses/by/4.0"}) == "CC-BY-4.0"
    assert spdx_id({"name": "cc-by"}) == "CC-BY-4.0"


def test_readme(package_dir: Path, tmp_path: Path, builder) -> None:
    readme = _members(_release(package_dir, tmp_path, builder))["README.md"].decode()
    assert readme.startswith("# Demo semiconductor data\n")
    assert "| [`companies`](#companies) | 3 |" in readme
    assert "| `revenue` | number |  | Revenue in EUR million |" in readme
    assert "| `id` | integer | primary key; required |" in readme
    for snippet in (
        "pd.read_csv",
        "frictionless",
        "read_package",
        "ATTACH 'demo-nl.duckdb'",
        "sqlite3 demo-nl.db",
        "Spreadsheet",
        "CC-BY-4.0",
    ):
        assert snippet in readme, snippet


def test_cli_package(package_dir: Path, tmp_path: Path, monkeypatch, builder) -> None:
    import semicon.build.release as release

    monkeypatch.setattr(release, "_default_builder", lambda: builder)
    runner = CliRunner()
    result = runner.invoke(cli, ["package", str(package_dir), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / "o" / "demo-nl-1.0.0.zip")


def test_cli_package_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["package", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert f"Error: Descriptor \"{tmp_path / 'nope'}\" does not exist" in result.output
    assert "Traceback" not in result.output


def test_zip_timestamp_fallbacks() -> None:
    from semicon.build.release import _date_time

    assert _date_time({}) == (1980, 1, 1, 0, 0, 0)
    assert _date_time({"created": "1970-01-01T00:00:00Z"}) == (1980, 1, 1, 0, 0, 0)
    assert _date_time({"created": "2025-13-40"}) == (1980, 1, 1, 0, 0, 0)
    assert _date_time({"created": "2025-06-01T12:00:59+02:00"}) == (2025, 6, 1, 12, 0, 58)
    assert _date_time({"created": "2025-06-01"}) == (2025, 6, 1, 0, 0, 0)


def test_listed_letter_is_not_duplicated(tmp_path: Path, builder) -> None:
    from tests.package.helpers import base_descriptor, write_package

    desc = base_descriptor()
    desc["resources"].append(
        {"name": "brief", "type": "file", "path": "sources/letter.txt", "format": "txt"}
    )
    del desc["created"]
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)
    zip_path = make_release(root, tmp_path / "o", builder=builder).zip_path
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        descriptor = json.loads(zf.read(f"{FOLDER}/datapackage.json"))
    assert names.count(f"{FOLDER}/sources/letter.txt") == 1
    letters = [r for r in descriptor["resources"] if r["path"] == "sources/letter.txt"]
    assert [r["name"] for r in letters] == ["brief"]
    assert letters[0]["hash"].startswith("sha256:")
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)


def test_unsafe_resource_path(tmp_path: Path, builder) -> None:
    from tests.package.helpers import base_descriptor, write_package

    desc = base_descriptor()
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)
    desc["resources"][1]["path"] = "../outside.csv"
    (root / "datapackage.json").write_text(json.dumps(desc))
    with pytest.raises(ReleaseError, match=r"Refused path .*contains"):
        make_release(root, tmp_path / "o", builder=builder)


def test_tables_in_any_format_are_released_with_their_row_counts(tmp_path: Path) -> None:
    """JSON, a spreadsheet, inline data and a CSV with comment lines: the README's row
    counts are the built tables' (read from the Parquet files), and the release validates."""
    import io

    import openpyxl
    from semicon.build.release import plan_release

    from tests.validate.conftest import write_package as write_spec_package

    book = openpyxl.Workbook()
    for row in (["id", "n"], ["a", 1], ["b", 2], ["c", 3]):
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    fields = [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}]
    resources = [
        {"name": "inline", "data": [["id", "n"], ["a", 1]], "schema": {"fields": fields}},
        {"name": "js", "path": "data/t.json", "format": "json", "schema": {"fields": fields}},
        {"name": "sheet", "path": "data/t.xlsx", "schema": {"fields": fields}},
        {"name": "notes", "path": "data/n.csv", "dialect": {"commentChar": "#"},
         "schema": {"fields": fields}},
    ]
    pkg = write_spec_package(tmp_path / "pkg", resources, {
        "data/t.json": json.dumps([{"id": "a", "n": 1}, {"id": "b", "n": 2}]),
        "data/t.xlsx": buf.getvalue(),
        "data/n.csv": "id,n\n# a comment\na,1\n# another\nb,2\nc,3\nd,4\n",
    }, name="formats")
    result = make_release(pkg, tmp_path / "out")
    plan = plan_release(pkg, tmp_path / "out")
    assert plan.row_counts == {"inline": 1, "js": 2, "sheet": 3, "notes": 4}
    with zipfile.ZipFile(result.zip_path) as zf:
        readme = zf.read(f"{result.folder}/README.md").decode()
        zf.extractall(tmp_path / "unzipped")
    assert "| [`sheet`](#sheet) | 3 |" in readme and "| [`notes`](#notes) | 4 |" in readme
    proc = subprocess.run([str(Path(sys.executable).parent / "semicon"), "validate", "-q",
                           str(tmp_path / "unzipped" / result.folder)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
