"""Every code sample of the release's README.md, run in the unzipped release.

The samples are read from the README the release ships, so a sample that stops working
fails here. `sqlite3` (the shell) and `Rscript` come from Debian (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

BIN = Path(sys.executable).parent


def samples(readme: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced code block."""
    return re.findall(r"^```(\w+)\n(.*?)^```$", readme, re.S | re.M)


@pytest.fixture(scope="module")
def release(bundled_release) -> Path:
    return bundled_release[0]


@pytest.fixture(scope="module")
def readme(release: Path) -> str:
    return (release / "README.md").read_text(encoding="utf-8")


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_samples_are_the_ones_run_here(readme: str) -> None:
    assert [lang for lang, _ in samples(readme)] == ["sh", "python", "python", "r", "sql", "sh"]


def test_python_samples_run(release: Path, readme: str) -> None:
    for lang, code in samples(readme):
        if lang == "python":
            proc = _run([sys.executable, "-c", code], release)
            assert proc.returncode == 0, code + proc.stderr


def test_the_pandas_sample_is_typed_as_it_says(release: Path, readme: str,
                                               monkeypatch) -> None:
    """`pd.read_parquet(...)  # typed`: integers int64 (Int64 with nulls), dates as dates."""
    code = next(c for lang, c in samples(readme) if "read_parquet" in c)
    scope: dict = {}
    monkeypatch.chdir(release)  # the sample's paths are relative to the release folder
    exec(code.split("\ndf = pd.read_csv")[0], scope)  # the Parquet line only
    assert isinstance(scope["df"], pd.DataFrame) and len(scope["df"])
    descriptor = pd.read_json(release / "datapackage.json", typ="series")
    for res in descriptor["resources"]:
        if res.get("type") != "table":
            continue
        df = pd.read_parquet(release / "parquet" / f"{res['name']}.parquet")
        for field in res["schema"]["fields"]:
            dtype, column = df[field["name"]].dtype, field["name"]
            if field.get("type") in ("integer", "year"):
                want = "Int64" if df[column].isna().any() else "int64"
                assert str(dtype) == want, (res["name"], column, dtype)
            elif field.get("type") == "date":
                assert dtype == pd.ArrowDtype(pa.date32()), (res["name"], column, dtype)
            elif field.get("type") == "number":
                assert str(dtype) == "float64", (res["name"], column, dtype)


def test_sql_sample_runs_in_duckdb(release: Path, readme: str, monkeypatch) -> None:
    (code,) = [c for lang, c in samples(readme) if lang == "sql"]
    con = duckdb.connect()
    monkeypatch.chdir(release)
    statements = [re.sub(r"^--[^:]*:\s*", "", s.strip())  # the commented alternative too
                  for s in code.split(";") if s.strip()]
    assert len(statements) == 3
    for sql in statements:
        rows = con.execute(sql).fetchall()
        assert rows or sql.startswith("ATTACH"), sql


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_shell_samples_run(release: Path, readme: str) -> None:
    """`sha256sum -c`, `semicon validate .` and the sqlite3 query."""
    for lang, code in samples(readme):
        if lang == "sh":
            proc = _run(["bash", "-euo", "pipefail", "-c", code], release)
            assert proc.returncode == 0, code + proc.stdout + proc.stderr


def test_frictionless_validate_as_the_readme_says(release: Path, readme: str) -> None:
    assert "`frictionless validate datapackage.json`" in readme
    proc = _run(["frictionless", "validate", "datapackage.json"], release)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R (Debian's r-base-core)")
def test_r_sample_runs(release: Path, readme: str) -> None:
    (code,) = [c for lang, c in samples(readme) if lang == "r"]
    proc = _run(["Rscript", "-e", code + "\nstopifnot(nrow(df) > 0)"], release)
    assert proc.returncode == 0, code + proc.stderr
