"""`semicon serve` and `semicon publish` as a user runs them: real processes, real HTTP."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from semicon.cli.main import cli

from tests.conftest import VERSION
from tests.serve.conftest import BUNDLED, free_port, wait_until_up

SEMICON = [sys.executable, "-c", "from semicon.cli.main import cli; cli()"]


def test_serve_builds_then_serves_the_site_with_every_download(tmp_path: Path):
    out = tmp_path / "dist"
    port = free_port()
    proc = subprocess.Popen(
        [*SEMICON, "serve", str(BUNDLED), "--out", str(out), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc, timeout=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            home = r.read().decode()
        for download in (f"semicon-nl-{VERSION}.zip", "semicon-nl.duckdb", "semicon-nl.db",
                         "parquet/funding_allocations.parquet"):
            assert f"/downloads/{download}" in home
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/downloads/semicon-nl-{VERSION}.zip", timeout=30) as r:
            assert r.read(4) == b"PK\x03\x04"
        # the served zip has the mode of every other output: readable by any user
        served = out / "downloads" / f"semicon-nl-{VERSION}.zip"
        mode = stat.S_IMODE(served.stat().st_mode)
        assert mode == stat.S_IMODE((out / "semicon-nl.db").stat().st_mode)
        assert mode & 0o044 == 0o044
        # only the downloads are served, not the rest of the output folder
        assert (out / "site" / "inspect-data.json").is_file()
        for other in ("site/inspect-data.json", "site/metadata.json", ".semicon-build.lock"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/downloads/{other}", timeout=30)
            assert err.value.code == 404
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_refuses_an_invalid_package_without_a_traceback(bundled_copy: Path, tmp_path):
    data = bundled_copy.parent / "data" / "regions.csv"
    data.write_text(data.read_text(encoding="utf-8") + "broken-row\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", str(bundled_copy), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert not (tmp_path / "o" / "semicon-nl.db").exists()


def test_publish_writes_the_deploy_folder(tmp_path: Path):
    out = tmp_path / "dist"
    umask = os.umask(0o022)
    try:
        result = CliRunner().invoke(cli, ["publish", str(BUNDLED), "--out", str(out)])
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    folder = out / "publish"
    assert result.output.endswith(f"wrote {folder}; start it with {folder / 'start.sh'}\n")
    for name in ("semicon-nl.db", "metadata.json", "requirements.txt", "start.sh",
                 f"downloads/semicon-nl-{VERSION}.zip", "plugins", "templates"):
        assert (folder / name).exists(), name
    # the zip is readable by a web server running as another user, like every other output
    for path in (out / "semicon-nl.db", out / f"semicon-nl-{VERSION}.zip",
                 folder / "downloads" / f"semicon-nl-{VERSION}.zip"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_publish_again_reuses_the_release_zip_of_an_unchanged_build(tmp_path: Path):
    out = tmp_path / "dist"
    runner = CliRunner()
    assert runner.invoke(cli, ["publish", str(BUNDLED), "--out", str(out)]).exit_code == 0
    zip_path = out / f"semicon-nl-{VERSION}.zip"
    first = zip_path.stat().st_mtime_ns
    assert runner.invoke(cli, ["publish", str(BUNDLED), "--out", str(out)]).exit_code == 0
    assert zip_path.stat().st_mtime_ns == first
    assert runner.invoke(cli, ["publish", str(BUNDLED), "--out", str(out),
                               "--force"]).exit_code == 0
    assert zip_path.stat().st_mtime_ns > first


def test_downloads_folder_links_only_the_downloadable_outputs(tmp_path: Path):
    from semicon.build.site import write_downloads

    out = tmp_path / "dist"
    (out / "parquet").mkdir(parents=True)
    (out / "parquet" / "t.parquet").write_bytes(b"PAR1")
    for name in ("x.db", "x.duckdb", "x-1.0.0.zip", "build.json", "metadata.json"):
        (out / name).write_text(name)
    (out / "site").mkdir()
    (out / "site" / "inspect-data.json").write_text("{}")
    (out / ".build.lock").write_text("")
    target = write_downloads(out, out / "downloads")
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == ["build.json", "metadata.json", "parquet/t.parquet", "x-1.0.0.zip", "x.db",
                     "x.duckdb"]
    assert (target / "x.db").stat().st_ino == (out / "x.db").stat().st_ino  # a link
    (out / "x.db").unlink()
    write_downloads(out, out / "downloads")  # again: swapped in whole
    assert not (target / "x.db").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".downloads")] == []
