"""``semicon validate`` checks a package's ``site`` and ``views`` declarations: their shape
against schemas/declarations.schema.json, and that the tables and fields they name exist
(``declaration-error`` findings with the JSON path of the problem)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from semicon.schemas.validation import validate_package

from .conftest import csv_resource, write_package

ROOT = Path(__file__).resolve().parents[2]
FIELDS = [{"name": "id", "type": "integer"}, {"name": "title", "type": "string"},
          {"name": "amount", "type": "integer"}, {"name": "currency", "type": "string"}]
CSV = "id,title,amount,currency\n1,One,10,EUR\n2,Two,20,USD\n"


def errors(tmp_path: Path, semicon: dict) -> list[tuple[str, str]]:
    pkg = write_package(tmp_path, [csv_resource("t", FIELDS)], {"data/t.csv": CSV},
                        semicon=semicon)
    report = validate_package(pkg)
    out = []
    for f in report.findings:
        if f.code == "declaration-error":
            out.append((f.field, f.message))
    return out


def test_the_bundled_site_and_views_are_valid(tmp_path):
    descriptor = json.loads((ROOT / "datapackage" / "datapackage.json").read_text())
    semicon = descriptor["semicon"]
    assert semicon["site"] and semicon["views"]
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "declarations.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(semicon)


def test_a_full_declaration_is_valid(tmp_path):
    assert errors(tmp_path, {
        "views": {"t_readable": {"resource": "t", "readable": {
            "amount_readable": {"field": "amount", "currency": {"field": "currency"}}}},
                  "t_sql": {"sql": ["select id", "from t"]}},
        "site": {"home": {"about": "x", "queries": "Q", "search": "S"},
                 "resources": {"t": {"facets": ["currency"], "label": "title",
                                     "search": ["title"], "sort": "amount",
                                     "lang": {"title": "nl"},
                                     "amounts": [{"fields": ["amount"], "currency": "EUR"}]}},
                 "queries": {"q1": {"title": "Q", "sql": "select 1"}},
                 "documents": {"pages": {"doc": {"slug": "doc", "label": "Doc"}}},
                 "charts": {"anything": ["goes", "here"]}},
    }) == []


@pytest.mark.parametrize(("semicon", "expected"), [
    ({"site": {"resources": {"t": {"facets": ["nope"]}}}},
     [("$.semicon.site.resources.t", "t has no field 'nope'")]),
    ({"site": {"resources": {"missing": {"label": "title"}}}},
     [("$.semicon.site.resources.missing", 'no tabular resource "missing"')]),
    ({"site": {"resources": {"t": {"sort": {"field": "when", "descending": True}}}}},
     [("$.semicon.site.resources.t", "t has no field 'when'")]),
    ({"views": {"v": {"resource": "missing"}}},
     [("$.semicon.views.v.resource", 'no tabular resource "missing"')]),
    ({"views": {"v": {"resource": "t", "readable": {"r": {"field": "amount",
                                                          "currency": {"field": "cur"}}}}}},
     [("$.semicon.views.v.readable.r", 't has no field "cur"')]),
    ({"views": {"v": {"resource": "t", "readable": {"title": {"field": "amount"}}}}},
     [("$.semicon.views.v.readable.title", 't already has a field "title"')]),
    ({"views": {"t": {"sql": "select 1"}}},
     [("$.semicon.views.t", "a table of the package has this name")]),
])
def test_names_the_package_lacks(tmp_path, semicon, expected):
    assert errors(tmp_path, semicon) == expected


@pytest.mark.parametrize(("semicon", "path"), [
    ({"site": {"home": {"colour": "red"}}}, "$.semicon.site.home"),
    ({"site": {"queries": {"q": {"title": "no sql"}}}}, "$.semicon.site.queries.q"),
    ({"site": {"queries": {"bad name!": {"sql": "select 1"}}}}, "$.semicon.site.queries"),
    ({"site": {"documents": {"pages": {"d": {"slug": "Not/A/Slug"}}}}},
     "$.semicon.site.documents.pages.d.slug"),
    ({"site": {"resources": {"t": {"facets": "currency"}}}},
     "$.semicon.site.resources.t.facets"),
    ({"views": {"v": {"labels": True}}}, "$.semicon.views.v"),
    ({"site": {"resources": {"t": {"lang": {"title": "not a tag!"}}}}},
     "$.semicon.site.resources.t.lang.title"),
    ({"views": ["select 1"]}, "$.semicon.views"),
])
def test_shape_errors_name_their_path(tmp_path, semicon, path):
    found = errors(tmp_path, semicon)
    assert [p for p, _ in found] == [path]


def test_kept_site_checks_are_those_found_and_change_with_the_fields(tmp_path, monkeypatch):
    # the findings are kept by digest (the build's site module is not loaded again); a
    # package whose fields change is checked again
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    semicon = {"site": {"resources": {"t": {"facets": ["currency"]}}}}
    first = errors(tmp_path / "a", semicon)
    assert first == [] and errors(tmp_path / "b", semicon) == []
    assert len(list((tmp_path / "cache").rglob("*.json"))) >= 2  # kept: schema and site
    pkg = write_package(tmp_path / "c", [csv_resource("t", FIELDS[:3])],
                        {"data/t.csv": "id,title,amount\n1,One,10\n"}, semicon=semicon)
    found = [(f.field, f.message) for f in validate_package(pkg).findings]
    assert found == [("$.semicon.site.resources.t", "t has no field 'currency'")]
