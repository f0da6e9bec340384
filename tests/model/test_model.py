"""The package model: v1 forms normalised on parse, tables defined once, problems listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from semicon.schemas.model import (
    DescriptorError,
    ForeignKey,
    is_tabular,
    load_package,
)

from tests.conftest import BUNDLED


def write(folder: Path, descriptor: dict, name: str = "datapackage.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


V1 = {
    "name": "v1",
    "profile": "tabular-data-package",
    "resources": [
        {"name": "people", "path": "people.csv", "profile": "tabular-data-resource",
         "schema": {"fields": [{"name": "id", "type": "integer"},
                               {"name": "boss", "type": "integer"}],
                    "primaryKey": "id",
                    "foreignKeys": [{"fields": "boss",
                                     "reference": {"resource": "", "fields": "id"}}]}},
        {"name": "notes", "path": "notes.txt"},
    ],
}


def test_v1_keys_become_lists_and_a_self_reference_names_its_table(tmp_path: Path):
    package = load_package(write(tmp_path, V1))
    people = package.resource("people")
    assert people.primary_key == ["id"]
    assert people.schema["primaryKey"] == ["id"]
    assert people.foreign_keys == [ForeignKey(("boss",), "people", ("id",))]
    assert people.schema["foreignKeys"][0]["fields"] == ["boss"]
    assert package.profile == "tabular-data-package"
    # the raw descriptor is kept as written, for frictionless
    assert package.descriptor["resources"][0]["schema"]["primaryKey"] == "id"


def test_tables_and_files_are_told_apart_once(tmp_path: Path):
    package = load_package(write(tmp_path, V1))
    assert [r.name for r in package.tables] == ["people"]
    assert [r.name for r in package.files] == ["notes"]
    assert package.resource("notes").type == "file"
    assert is_tabular({"path": "a.csv"}) and is_tabular({"path": "a.csv.gz"})
    assert is_tabular({"path": "x.txt", "schema": {"fields": []}})
    assert not is_tabular({"path": "a.csv", "type": "file"})
    assert not is_tabular({"path": "letter.txt"})
    assert is_tabular({"data": [[1, 2]]})


def test_schema_and_dialect_given_by_path_are_inlined(tmp_path: Path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "t.json").write_text(
        json.dumps({"fields": [{"name": "a"}], "primaryKey": "a"}))
    (tmp_path / "dialect.json").write_text(json.dumps({"delimiter": ";"}))
    package = load_package(write(tmp_path, {"resources": [
        {"name": "t", "path": "t.csv", "schema": "schemas/t.json", "dialect": "dialect.json"}]}))
    t = package.resource("t")
    assert t.field_names == ["a"] and t.primary_key == ["a"]
    assert t.dialect.delimiter == ";"
    assert package.problems == []
    inlined = package.inlined()["resources"][0]
    assert inlined["schema"] == {"fields": [{"name": "a"}], "primaryKey": "a"}
    assert package.descriptor["resources"][0]["schema"] == "schemas/t.json"


def test_unsafe_references_are_problems_and_never_read(tmp_path: Path):
    (tmp_path / "secret.json").write_text(json.dumps({"fields": [{"name": "x"}]}))
    package = load_package(write(tmp_path / "pkg", {"resources": [
        {"name": "t", "path": "t.csv", "schema": "../secret.json"}]}))
    assert [(p.code, p.message) for p in package.problems] == [
        ("unsafe-path", 'Refused schema "../secret.json" of resource "t": path contains \'..\'')]
    assert package.resource("t").schema is None


def test_yaml_descriptor_and_a_single_resource_descriptor(tmp_path: Path):
    (tmp_path / "datapackage.yaml").write_text(
        "name: y\ncreated: 2024-01-02\nresources:\n  - name: t\n    path: t.csv\n")
    package = load_package(tmp_path)
    assert package.name == "y" and package.descriptor["created"] == "2024-01-02"
    resource = write(tmp_path / "one", {"name": "r", "path": "r.csv"}, "resource.json")
    single = load_package(resource)
    assert single.kind == "resource" and [r.name for r in single.tables] == ["r"]


def test_a_package_without_a_name_takes_its_folder_name(tmp_path: Path):
    package = load_package(write(tmp_path / "my data", {"resources": [{"path": "a.csv"}]}))
    assert package.name == "my-data"
    assert package.resources[0].name == "a"


@pytest.mark.parametrize(("folder", "name"), [
    ("MyData", "mydata"), ("Données 2025", "donn-es-2025"), ("ÉÉ", "datapackage")])
def test_a_folder_name_becomes_a_name_the_profile_allows(tmp_path: Path, folder, name):
    """The name filled in is checked against the profile (``^[-a-z0-9._/]+$``) with the
    descriptor, and written into a release's: a folder's capitals must not break either."""
    from semicon.schemas.validation import validate_package

    descriptor = write(tmp_path / folder, {"resources": [
        {"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "n", "type": "integer"}]}}]})
    (descriptor.parent / "a.csv").write_text("n\n1\n", encoding="utf-8")
    assert load_package(descriptor).name == name
    report = validate_package(descriptor)
    assert [f.code for f in report.findings] == [] and report.exit_code == 0


@pytest.mark.parametrize(("content", "message"), [
    (None, 'Descriptor "{p}" does not exist'),
    ("{", 'Descriptor "{p}" is not valid JSON: Expecting property name enclosed in double '
          "quotes: line 1 column 2 (char 1)"),
    ("[]", 'Descriptor "{p}" must hold a JSON object'),
    ('{"resources": []}', 'The descriptor must have a non-empty "resources" list'),
])
def test_unreadable_descriptors_raise_one_error(tmp_path: Path, content, message):
    path = tmp_path / "datapackage.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DescriptorError) as err:
        load_package(path)
    assert str(err.value) == message.format(p=path)
    assert err.value.exit_code == 2


def test_the_bundled_package_declarations_and_load_order():
    package = load_package(BUNDLED)
    assert package.name == "semicon-nl"
    assert isinstance(package.declarations, dict)
    order = [r.name for r in package.load_order]
    for table in package.tables:
        for fk in table.foreign_keys:
            assert order.index(fk.resource) <= order.index(table.name)


def test_title_and_description_read_alike_on_package_resource_and_field(tmp_path):
    package = load_package(write(tmp_path, {
        "name": "p", "title": "P", "description": "",
        "resources": [{"name": "t", "path": "t.csv", "title": 7, "description": "The t",
                       "schema": {"fields": [{"name": "a", "title": "A",
                                              "description": ["not", "text"]}]}}]}))
    resource = package.resources[0]
    field = resource.fields[0]
    assert (package.title, package.description) == ("P", None)
    assert (resource.title, resource.description) == (None, "The t")
    assert (field.title, field.description) == ("A", None)


def test_package_lists_and_field_facts_are_typed(tmp_path):
    package = load_package(write(tmp_path, {
        "name": "p", "homepage": "", "created": "2026-01-01", "keywords": ["a", 2],
        "licenses": [{"name": "CC-BY-4.0"}, "MIT"], "sources": "a source",
        "contributors": [{"title": "Someone"}],
        "resources": [{"name": "t", "path": "t.csv", "schema": {
            "description": "The table", "fields": [
                {"name": "a", "unit": "EUR", "constraints": {"enum": ["x", "y"]}},
                {"name": "b", "x-unit": "kg", "constraints": "not an object"}]}}]}))
    assert package.licenses == [{"name": "CC-BY-4.0"}]  # entries that are not objects left out
    assert package.sources == []
    assert package.contributors == [{"title": "Someone"}]
    assert (package.keywords, package.homepage, package.created) == (["a", "2"], None,
                                                                     "2026-01-01")
    table = package.resources[0]
    a, b = table.fields
    assert (a.enum, a.unit, a.required) == (["x", "y"], "EUR", False)
    assert (b.enum, b.unit, b.constraints) == ([], "kg", {})
    assert table.schema.description == "The table"


def test_inlined_descriptor_and_schemas_are_copies(tmp_path: Path):
    from semicon.schemas.model import json_copy

    nested = {"a": [1, {"b": [2.5, None, True, "x"]}], "c": {}}
    copied = json_copy(nested)
    assert copied == nested
    copied["a"][1]["b"].append(3)
    copied["c"]["d"] = 1
    assert nested == {"a": [1, {"b": [2.5, None, True, "x"]}], "c": {}}
    package = load_package(write(tmp_path, {"resources": [
        {"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "a"}],
                                                 "primaryKey": "a"}}]}))
    inlined = package.inlined()
    inlined["resources"][0]["schema"]["fields"].append({"name": "b"})
    inlined["resources"][0]["name"] = "u"
    assert package.descriptor["resources"][0]["name"] == "t"
    assert package.inlined()["resources"][0]["schema"]["fields"] == [{"name": "a"}]
    assert package.resource("t").schema.descriptor["primaryKey"] == ["a"]
    assert package.descriptor["resources"][0]["schema"]["primaryKey"] == "a"  # as written
