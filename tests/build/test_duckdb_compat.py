"""The DuckDB file opens in DuckDB 1.1 (storage version v1.0.0), read by a real 1.1.3 wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from semicon.build.pipeline import build_package

from tests.build.conftest import SAMPLE_ROWS

OLD_DUCKDB = "1.1.3"

READER = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
          for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
view = con.execute("SELECT amount_readable FROM funding_allocations_readable "
                   "ORDER BY allocation_id LIMIT 1").fetchall()[0][0]
comment = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'sources'"
                      ).fetchall()[0][0]
print(json.dumps({"version": duckdb.__version__, "tables": tables, "view": view,
                  "comment": comment}))
"""


@pytest.fixture(scope="session")
def old_duckdb_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway venv with duckdb 1.1.3 from PyPI (skipped when the wheel cannot be had)."""
    env = tmp_path_factory.mktemp("duckdb-old") / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         f"duckdb=={OLD_DUCKDB}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot install duckdb=={OLD_DUCKDB} from PyPI: {proc.stderr[-500:]}")
    return python


def test_duckdb_file_opens_in_duckdb_1_1(
    sample_package: Path, tmp_path: Path, old_duckdb_python: Path
) -> None:
    result = build_package(sample_package, tmp_path / "out")
    proc = subprocess.run(
        [str(old_duckdb_python), "-c", READER, str(result.outputs["duckdb"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["version"] == OLD_DUCKDB
    want = {t: len(r) for t, r in SAMPLE_ROWS.items()}
    assert {t: seen["tables"][t] for t in SAMPLE_ROWS} == want
    assert seen["view"] == "EUR 2.51 billion"
    assert seen["comment"].startswith("Sources")
    assert sys.version_info >= (3, 11)
