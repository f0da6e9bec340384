"""The release works in other tools: frictionless, pandas, pyarrow, DuckDB and sqlite3.

Each check runs in a subprocess (isolated Python, clean environment, cwd = the unzipped
release folder) so that nothing from this project's code or working tree is used.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from semicon.build.release import make_release

from tests.package.helpers import unzip_release

BIN = Path(sys.executable).parent
FROM_SCHEMA = {  # Table Schema type -> (pandas dtype, arrow type, duckdb type)
    "string": ("string", "string", "VARCHAR"),
    "integer": ("Int64", "int64", "BIGINT"),
    "number": ("float64", "double", "DOUBLE"),
    "boolean": ("boolean", "bool", "BOOLEAN"),
    "date": ("datetime64[ns]", "date32[day]", "DATE"),
}


REPO = Path(__file__).resolve().parents[2]
REAL_PACKAGE = REPO / "datapackage" / "datapackage.json"



@pytest.fixture(scope="module", params=["demo", "real"])
def unzipped(request, tmp_path_factory) -> Path:
    """The unzipped release of the demo package (fake build) or of the real one."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "demo":
        from tests.package.helpers import CountingBuilder, write_package

        root = tmp / "pkg"
        write_package(root)
        result = make_release(root, tmp / "out", build_dir=tmp / "dist", builder=CountingBuilder())
    else:
        result = make_release(REAL_PACKAGE, tmp / "out", build_dir=tmp / "dist")
    return unzip_release(result.zip_path, tmp / "unzipped")


def _env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _python(script: str, cwd: Path, payload: object) -> str:
    return _run(
        [sys.executable, "-I", "-c", textwrap.dedent(script), json.dumps(payload)], cwd
    ).stdout


def _db_name(folder: Path) -> str:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["name"]


def _tables(folder: Path) -> dict[str, dict[str, str]]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {
        r["name"]: {f["name"]: f.get("type", "string") for f in r["schema"]["fields"]}
        for r in descriptor["resources"]
        if r.get("type") == "table"
    }


def test_frictionless_validate(unzipped: Path) -> None:
    frictionless = BIN / "frictionless"
    assert frictionless.exists()
    proc = _run([str(frictionless), "validate", "--json", "datapackage.json"], unzipped)
    report = json.loads(proc.stdout)
    assert report["valid"] is True, proc.stdout
    descriptor = json.loads((unzipped / "datapackage.json").read_text(encoding="utf-8"))
    # Every resource checked: tables by their schema, the other files by bytes and hash.
    assert len(report["tasks"]) == len(descriptor["resources"])
    types = {r["type"] for r in descriptor["resources"]}
    assert types == {"table", "file"}


def test_frictionless_detects_tampering(unzipped: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(unzipped, copy)
    parquet = sorted((copy / "parquet").iterdir())[0]
    parquet.write_bytes(b"PAR1 tampered")
    unzipped = copy
    proc = subprocess.run(
        [str(BIN / "frictionless"), "validate", "--json", "datapackage.json"],
        cwd=unzipped,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert json.loads(proc.stdout)["valid"] is False


def test_pandas_and_pyarrow_load_declared_types(unzipped: Path) -> None:
    tables = _tables(unzipped)
    payload = {t: {f: FROM_SCHEMA[ty] for f, ty in fields.items()} for t, fields in tables.items()}
    out = _python(
        """
        import json, sys
        import pandas as pd
        import pyarrow.parquet as pq
        spec = json.loads(sys.argv[1])
        for table, fields in spec.items():
            dtypes = {f: t[0] for f, t in fields.items() if t[0] != "datetime64[ns]"}
            dates = [f for f, t in fields.items() if t[0] == "datetime64[ns]"]
            df = pd.read_csv(f"data/{table}.csv", dtype=dtypes, parse_dates=dates)
            assert list(df.columns) == list(fields), (table, list(df.columns))
            for f, t in fields.items():
                assert str(df[f].dtype).startswith(t[0].split("[")[0]), (table, f, df[f].dtype)
            arrow = pq.read_table(f"parquet/{table}.parquet")
            assert arrow.column_names == list(fields), (table, arrow.column_names)
            for f, t in fields.items():
                assert str(arrow.schema.field(f).type) == t[1], (table, f, arrow.schema.field(f))
            assert arrow.num_rows == len(df)
            print(table, len(df))
        """,
        unzipped,
        payload,
    )
    assert len(out.splitlines()) == len(tables)


def test_duckdb_loads_declared_types(unzipped: Path) -> None:
    tables = _tables(unzipped)
    payload = {
        t: {f: FROM_SCHEMA[ty][2] for f, ty in fields.items()} for t, fields in tables.items()
    }
    out = _python(
        """
        import json, sys
        import duckdb
        name, spec = json.loads(sys.argv[1])
        con = duckdb.connect()
        con.execute(f"ATTACH '{name}.duckdb' AS rel (READ_ONLY)")
        for table, fields in spec.items():
            cols = ", ".join(f"'{f}': '{t}'" for f, t in fields.items())
            csv_rel = con.sql(f"SELECT * FROM read_csv('data/{table}.csv', header=true, "
                              f"columns={{{cols}}})")
            assert dict(zip(csv_rel.columns, map(str, csv_rel.types))) == fields
            for source in (f"rel.{table}", f"'parquet/{table}.parquet'"):
                got = con.sql(f"SELECT * FROM {source}")
                assert dict(zip(got.columns, map(str, got.types))) == fields, (source, got.types)
                diff = con.sql(f"SELECT count(*) FROM (SELECT * FROM {source} "
                               f"EXCEPT ALL SELECT * FROM csv_rel)").fetchall()[0][0]
                assert diff == 0, source
            print(table, len(csv_rel.fetchall()))
        """,
        unzipped,
        [_db_name(unzipped), payload],
    )
    assert len(out.splitlines()) == len(tables)


def test_sqlite_opens(unzipped: Path) -> None:
    out = _python(
        """
        import json, sqlite3, sys
        name, tables = json.loads(sys.argv[1])
        con = sqlite3.connect(f"file:{name}.db?mode=ro", uri=True)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for table, fields in tables.items():
            cur = con.execute(f'SELECT * FROM "{table}"')
            assert [d[0] for d in cur.description] == list(fields), table
            print(table, len(cur.fetchall()))
        """,
        unzipped,
        [_db_name(unzipped), _tables(unzipped)],
    )
    counts = dict(line.split() for line in out.splitlines())
    for table in _tables(unzipped):
        with (unzipped / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            assert int(counts[table]) == sum(1 for _ in csv.reader(fh)) - 1, table
