"""Every release passes `semicon validate` and frictionless, as a zip and unzipped.

Run with the real tools, each in its own process: the ``semicon`` command of this
environment (which checks a release's SHA256SUMS and every database against the CSVs
besides the package) and frictionless (its ``frictionless validate`` command on the folder;
its Python API on the zip, since the command cannot be told where the descriptor lies inside
an archive). The releases are of the bundled package, of real packages vendored under
``tests/real_packages``, of one whose Table Schemas and dialect are given by path and of a
v1 tabular-data-package with a multipart table.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from semicon.build.release import make_release

from tests.package.helpers import unzip_release

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REAL = REPO / "tests" / "real_packages"



def _by_path(source: Path, target: Path) -> Path:
    """A copy of the package at ``source`` whose schemas and dialects are files it names."""
    shutil.copytree(source, target)
    descriptor = json.loads((target / "datapackage.json").read_text("utf-8"))
    (target / "schemas").mkdir()
    for res in descriptor["resources"]:
        name = res["name"]
        (target / "schemas" / f"{name}.json").write_text(json.dumps(res["schema"], indent=2))
        res["schema"] = f"schemas/{name}.json"
        (target / "schemas" / f"{name}.dialect.json").write_text('{"delimiter": ","}')
        res["dialect"] = f"schemas/{name}.dialect.json"
    (target / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    return target


def _multipart(target: Path) -> Path:
    """A v1 ``tabular-data-package`` whose one table is split over two files (multipart:
    each part starts with the header, as frictionless reads them)."""
    (target / "data").mkdir(parents=True)
    (target / "data" / "part1.csv").write_text("id,name\n1,english\n2,nederlands\n")
    (target / "data" / "part2.csv").write_text("id,name\n3,deutsch\n")
    (target / "datapackage.json").write_text(json.dumps({
        "name": "languages", "version": "1.0.0", "profile": "tabular-data-package",
        "licenses": [{"name": "CC0-1.0"}],
        "resources": [{
            "name": "languages", "profile": "tabular-data-resource", "format": "csv",
            "path": ["data/part1.csv", "data/part2.csv"],
            "schema": {"fields": [{"name": "id", "type": "integer"},
                                  {"name": "name", "type": "string"}],
                       "primaryKey": ["id"]}}]}, indent=2))
    return target


PACKAGES = ["bundled", "gdp", "schema-by-path", "multipart-tabular"]


@pytest.fixture(scope="module", params=PACKAGES)
def release(request, bundled_release, tmp_path_factory) -> tuple[str, Path, Path, Path]:
    """(label, package folder, unzipped release folder, release zip), real builds."""
    if request.param == "bundled":
        return request.param, REPO / "datapackage", *bundled_release
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "schema-by-path":
        package = _by_path(REAL / "population", tmp / "pkg")
    elif request.param == "multipart-tabular":
        package = _multipart(tmp / "pkg")
    else:
        package = REAL / request.param
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        zip_path = make_release(package, tmp / "out", build_dir=tmp / "dist").zip_path
    return request.param, package, unzip_release(zip_path, tmp / "unzipped"), zip_path


def _semicon(target: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "semicon"), "validate", "--format", "json", str(target)],
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_semicon_validates_the_unzipped_release(release, tmp_path: Path) -> None:
    _, _, folder, _ = release
    proc = _semicon(folder, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["valid"] is True


def test_semicon_validates_the_release_zip(release, tmp_path: Path) -> None:
    _, _, _, zip_path = release
    proc = _semicon(zip_path, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["valid"] is True


def test_the_release_checks_are_part_of_it(release, tmp_path: Path) -> None:
    """The same folder and zip with one SQLite row gone and the file's checksums updated to
    match: only the databases' parity check can see it, and it does."""
    _, _, folder, _ = release
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    descriptor = json.loads((copy / "datapackage.json").read_text("utf-8"))
    (db,) = copy.glob("*.db")
    table = next(r["name"] for r in descriptor["resources"] if "schema" in r)
    con = sqlite3.connect(db)
    con.execute(f'DELETE FROM "{table}" WHERE rowid = (SELECT min(rowid) FROM "{table}")')
    con.commit()
    con.close()
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    for res in descriptor["resources"]:
        if res["path"] == db.name:
            res.update(bytes=db.stat().st_size, hash=f"sha256:{digest}")
    (copy / "datapackage.json").write_text(json.dumps(descriptor, indent=2), "utf-8")
    sums = {line.split("  ", 1)[1]: line.split("  ", 1)[0]
            for line in (copy / "SHA256SUMS").read_text("utf-8").splitlines()}
    sums[db.name] = digest
    sums["datapackage.json"] = hashlib.sha256((copy / "datapackage.json").read_bytes()
                                              ).hexdigest()
    (copy / "SHA256SUMS").write_text("".join(f"{d}  {p}\n" for p, d in sorted(sums.items())))
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(altered, "w") as zf:
        for p in sorted(copy.rglob("*")):
            if p.is_file():
                zf.write(p, f"{copy.name}/{p.relative_to(copy).as_posix()}")
    for target in (copy, altered):
        proc = _semicon(target, tmp_path)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
        assert codes == {"parity-error"}, proc.stdout


def test_frictionless_validates_the_unzipped_release(release) -> None:
    _, _, folder, _ = release
    proc = subprocess.run([str(BIN / "frictionless"), "validate", "--json", "datapackage.json"],
                          cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert report["valid"] is True
    assert len(report["tasks"]) == len(descriptor["resources"])  # every file checked


ZIP_SCRIPT = """
    import json, sys
    from frictionless import Package, formats
    zip_path, inner = sys.argv[1:]
    package = Package(zip_path, control=formats.zip.ZipControl(innerpath=inner))
    report = package.validate()
    print(json.dumps({"valid": report.valid, "tasks": len(report.tasks),
                      "resources": len(package.resources),
                      "errors": report.flatten(["type", "note"])}))
"""


def test_frictionless_validates_the_release_zip(release, tmp_path: Path) -> None:
    _, _, folder, zip_path = release
    proc = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(ZIP_SCRIPT), str(zip_path),
         f"{folder.name}/datapackage.json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == [] and report["valid"] is True
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    assert report["tasks"] == report["resources"] == len(descriptor["resources"])


def test_every_table_is_released_with_its_schema_and_parquet(release) -> None:
    _, package, folder, _ = release
    source = json.loads((package / "datapackage.json").read_text("utf-8"))
    released = json.loads((folder / "datapackage.json").read_text("utf-8"))
    files = {r["path"] for r in released["resources"] if r.get("type") == "file"}
    tables = {r["name"]: r for r in released["resources"] if "schema" in r}
    assert set(tables) == {r["name"] for r in source["resources"] if "schema" in r}
    for res in source["resources"]:
        if "schema" not in res:
            continue
        schema = res["schema"]
        if isinstance(schema, str):  # given by path: released inline, the same schema
            schema = json.loads((package / schema).read_text("utf-8"))
        assert tables[res["name"]]["schema"] == schema
        released_paths, source_paths = tables[res["name"]]["path"], res["path"]
        if isinstance(source_paths, str):
            released_paths, source_paths = [released_paths], [source_paths]
        assert [(folder / p).read_bytes() for p in released_paths] == [
            (package / p).read_bytes() for p in source_paths]
        assert f"parquet/{res['name']}.parquet" in files
        assert (folder / "parquet" / f"{res['name']}.parquet").is_file()



def test_the_released_sqlite_file_holds_the_package_tables_only(release) -> None:
    """``sqlite3 <name>.db .tables`` of a release: the package's tables and views, and the
    documented ``_build`` and ``_data_dictionary``; no full-text index tables."""
    _, package, folder, _ = release
    source = json.loads((package / "datapackage.json").read_text("utf-8"))
    (db,) = folder.glob("*.db")
    con = sqlite3.connect(db)
    kinds = dict(con.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main' "
                             "AND name NOT LIKE 'sqlite_%'").fetchall())
    con.close()
    tables = {r["name"] for r in source["resources"] if "schema" in r}
    views = set((source.get("semicon") or {}).get("views") or {})
    assert {n for n, t in kinds.items() if t != "view"} == tables | {"_build",
                                                                     "_data_dictionary"}
    assert {n for n, t in kinds.items() if t == "view"} == views
