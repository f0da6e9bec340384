"""The everyday path of ``semicon validate`` imports only what the package's checks need,
and an unchanged descriptor is not checked again by frictionless or jsonschema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from semicon.schemas.duckdb_core import duckdb_engine
from semicon.schemas.validation.descriptor import metadata_findings
from semicon.schemas.validation.metacheck import MetadataCheck
from semicon.schemas.validation.verdicts import Verdict, cache_dir

#: modules the plain validation of a package without python rules must never load
HEAVY = ("pandas", "polars", "pyarrow", "adbc_driver_manager", "adbc_driver_sqlite",
         "pandera", "semicon.build.release_check", "semicon.build.sqlite_db",
         # DuckDB's Python API (0.1 s of imports): validation uses its engine alone
         "duckdb")

_RUN = """
import json, sys
from semicon.cli.main import cli
try:
    cli(["validate", "--quiet", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code,
                  "modules": sorted(m for m in sys.argv[2:] if m in sys.modules)}))
"""


def _run(descriptor: Path, cache: Path, *watched: str) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run([sys.executable, "-c", _RUN, str(descriptor), *watched],
                         capture_output=True, text=True, check=True, env=env, timeout=300)
    return json.loads(out.stdout.splitlines()[-1])  # after the report, if any


def test_plain_validate_imports_no_dataframe_or_release_code(bundled_copy, tmp_path):
    cold = _run(bundled_copy, tmp_path / "cache", *HEAVY, "frictionless")
    assert cold == {"exit": 0, "modules": []}  # frictionless ran in the child


def test_the_engine_module_is_duckdbs_own(monkeypatch):
    import duckdb

    engine = duckdb_engine()
    assert engine.connect is duckdb.connect and engine.Error is duckdb.Error
    assert engine.StatementType is duckdb.StatementType
    monkeypatch.setitem(sys.modules, "_duckdb", None)  # a build without it: the package
    assert duckdb_engine() is duckdb


_RELATIONAL = """
from semicon.schemas.duckdb_core import duckdb_engine, with_relational_api
con = duckdb_engine().connect()
before = hasattr(con, "sql")
with_relational_api()
print(before, con.sql("SELECT 42 AS x").to_arrow_table().column("x").to_pylist())
"""


def test_the_engines_connections_get_the_relational_api_when_asked():
    out = subprocess.run([sys.executable, "-c", _RELATIONAL], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.split(None, 1) == ["False", "[42]\n"]


def test_unchanged_descriptor_is_not_checked_again(bundled_copy, tmp_path):
    cache = tmp_path / "cache"
    site = "semicon.build.site_declarations"  # checks the site declarations' names
    assert _run(bundled_copy, cache, "jsonschema", site)["modules"] == ["jsonschema", site]
    assert len(list((cache / "semicon-nl" / "checks").glob("*.json"))) == 3
    warm = _run(bundled_copy, cache, "jsonschema", "frictionless", "subprocess", site,
                "_strptime")
    assert warm["exit"] == 0
    # a default date needs no strptime pattern (3 ms of imports: _strptime, calendar)
    assert "_strptime" not in warm["modules"]
    assert "jsonschema" not in warm["modules"] and "frictionless" not in warm["modules"]
    assert "subprocess" not in warm["modules"]  # no child to start: 3 ms of imports spared
    assert site not in warm["modules"]
    # a changed descriptor is checked again
    data = json.loads(bundled_copy.read_text(encoding="utf-8"))
    data["semicon"]["rules"][0]["no-such-key"] = 1
    bundled_copy.write_text(json.dumps(data), encoding="utf-8")
    changed = _run(bundled_copy, cache, "jsonschema")
    assert changed["exit"] == 2 and changed["modules"] == ["jsonschema"]


DESCRIPTOR = {
    "name": "demo",
    "resources": [{"name": "t", "path": "data/t.csv", "schema": {"fields": [
        {"name": "id", "type": "no-such-type"}]}}],
}


def test_kept_findings_are_frictionless_findings(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    expected = [f.to_dict() for f in metadata_findings(DESCRIPTOR)]
    assert [f["code"] for f in expected] == ["field-error"]
    monkeypatch.delitem(sys.modules, "frictionless")  # as in a fresh process
    first = MetadataCheck(DESCRIPTOR)
    assert first.proc is not None  # not kept yet: checked in a child
    assert [f.to_dict() for f in first.result()] == expected
    again = MetadataCheck(DESCRIPTOR)
    assert again.proc is None  # kept: no child
    assert [f.to_dict() for f in again.result()] == expected
    other = MetadataCheck({**DESCRIPTOR, "name": "other"})
    assert other.proc is not None
    other.result()


def test_unwritable_cache_only_means_checking_again(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made
    verdict = Verdict("check", {"a": 1}, code=[Path(__file__)], libraries=["jsonschema"])
    assert str(verdict.path).startswith(str(cache_dir()))
    verdict.keep([])
    assert verdict.recall() is None


def test_verdict_key_covers_input_code_and_library(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    base = Verdict("check", {"a": 1}, code=[Path(__file__)], libraries=["jsonschema"])
    assert base.path == Verdict("check", {"a": 1}, code=[Path(__file__)],
                                libraries=["jsonschema"]).path
    assert base.path != Verdict("check", {"a": 2}, code=[Path(__file__)],
                                libraries=["jsonschema"]).path
    assert base.path != Verdict("check", {"a": 1}, code=[Path(__file__)],
                                libraries=["frictionless"]).path
    edited = tmp_path / "code.py"
    edited.write_text("x = 1\n", encoding="utf-8")
    assert base.path != Verdict("check", {"a": 1}, code=[edited],
                                libraries=["jsonschema"]).path
