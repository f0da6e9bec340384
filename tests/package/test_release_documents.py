"""The release ships the source documents the package declares (``semicon.provenance``).

The documents are the ones the site gives a reading page (one definition); a package
declaring none releases without documents, whatever folders lie beside its data.
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

from semicon.build.release import make_release

from tests.package.helpers import LETTER_PATH, base_descriptor, write_package

FOLDER = "demo-nl-1.0.0"
REPO = Path(__file__).resolve().parents[2]


def _release(root: Path, out: Path, builder) -> tuple[list[str], dict]:
    zip_path = make_release(root, out, builder=builder).zip_path
    with zipfile.ZipFile(zip_path) as zf:
        names = [n.removeprefix(FOLDER + "/") for n in zf.namelist()]
        descriptor = json.loads(zf.read(f"{FOLDER}/datapackage.json"))
        readme = zf.read(f"{FOLDER}/README.md").decode()
    # the README's list of files names the documents released, and only those
    listed = {line.split("`")[1] for line in readme.splitlines()
              if line.endswith("| Text of a source document the data was taken from |")}
    documents = {p for p in names if p.startswith(("sources/", "texts/"))}
    assert listed == documents
    return names, descriptor


def _file_resources(descriptor: dict) -> dict[str, dict]:
    return {r["path"]: r for r in descriptor["resources"] if r.get("type") == "file"}


def test_a_declared_document_is_released_with_its_title(tmp_path: Path, builder) -> None:
    root = tmp_path / "pkg"
    write_package(root)
    names, descriptor = _release(root, tmp_path / "out", builder)
    assert LETTER_PATH in names
    letter = _file_resources(descriptor)[LETTER_PATH]
    assert letter["description"].startswith("The text of a source document")
    assert letter["title"] == "Voortgangsbrief halfgeleiderindustrie"
    assert letter["mediatype"] == "text/plain"
    assert letter["bytes"] == (root / LETTER_PATH).stat().st_size


def test_a_package_without_provenance_releases_no_document(tmp_path: Path, builder) -> None:
    desc = base_descriptor()
    del desc["semicon"]
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)  # sources/letter.txt is on disk all the same
    (root / "sources" / "notes.txt").write_text("not declared\n", encoding="utf-8")
    names, descriptor = _release(root, tmp_path / "out", builder)
    assert not [n for n in names if n.startswith("sources/")]
    assert not [p for p in _file_resources(descriptor) if p.startswith("sources/")]


def test_only_the_declared_documents_are_released(tmp_path: Path, builder) -> None:
    root = tmp_path / "pkg"
    write_package(root)
    (root / "sources" / "draft.txt").write_text("an undeclared draft\n", encoding="utf-8")
    names, _ = _release(root, tmp_path / "out", builder)
    assert LETTER_PATH in names
    assert "sources/draft.txt" not in names


def test_a_document_declared_elsewhere_is_released_at_its_path(tmp_path: Path,
                                                               builder) -> None:
    desc = base_descriptor()
    desc["semicon"]["provenance"]["documents"][0]["path"] = "texts/memo.md"
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)
    (root / "texts").mkdir()
    (root / "texts" / "memo.md").write_text("# Memo\n", encoding="utf-8")
    names, descriptor = _release(root, tmp_path / "out", builder)
    assert "texts/memo.md" in names and LETTER_PATH not in names
    assert _file_resources(descriptor)["texts/memo.md"]["mediatype"] == "text/markdown"


def test_a_document_given_as_a_file_resource_is_released_once(tmp_path: Path,
                                                              builder) -> None:
    desc = base_descriptor()
    desc["resources"].append({"name": "brief", "type": "file", "path": LETTER_PATH,
                              "title": "The letter", "format": "txt"})
    desc["semicon"]["provenance"]["documents"] = [{"id": "letter", "resource": "brief"}]
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)
    names, descriptor = _release(root, tmp_path / "out", builder)
    assert names.count(LETTER_PATH) == 1
    assert [r["name"] for r in descriptor["resources"] if r["path"] == LETTER_PATH] == ["brief"]


def test_a_document_outside_the_package_is_not_released(tmp_path: Path, builder) -> None:
    (tmp_path / "secret.txt").write_text("outside\n", encoding="utf-8")
    desc = base_descriptor()
    desc["semicon"]["provenance"]["documents"][0]["path"] = "../secret.txt"
    root = tmp_path / "pkg"
    write_package(root, descriptor=desc)
    names, _ = _release(root, tmp_path / "out", builder)
    assert not [n for n in names if "secret" in n]


def test_the_bundled_release_ships_the_documents_its_document_table_names(
        bundled_release) -> None:
    folder, _ = bundled_release
    raw = json.loads((REPO / "datapackage" / "datapackage.json").read_text("utf-8"))
    table = raw["semicon"]["provenance"]["documentTable"]
    res = next(r for r in raw["resources"] if r["name"] == table["resource"])
    with (REPO / "datapackage" / res["path"]).open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r[table["path"]]]
    assert rows
    released = _file_resources(json.loads((folder / "datapackage.json").read_text("utf-8")))
    for row in rows:
        path = row[table["path"]]
        assert (folder / path).read_bytes() == (REPO / "datapackage" / path).read_bytes()
        assert released[path]["title"] == row[table["title"]]
