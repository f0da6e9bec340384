"""DCAT-AP catalogue and schema.org Dataset: generated with rdflib, checked with pyshacl."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS
from semicon.build.release import make_release

from tests.package.helpers import base_descriptor, write_package

SHAPES = Path(__file__).resolve().parents[1] / "vendor" / "dcat-ap" / "dcat-ap-SHACL.ttl"
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
FOLDER = "demo-nl-1.0.0"
BASE = "https://example.org/release/"
DONL_DECLARATIONS = {
    "catalog": {
        "contactPoint": {"name": "Demo data desk", "email": "data@example.org"},
        "themes": [{"uri": "http://standaarden.overheid.nl/owms/terms/Economie",
                    "label": "Economie"}],
        "language": ["http://publications.europa.eu/resource/authority/language/ENG"],
        "accessRights": "http://publications.europa.eu/resource/authority/access-right/PUBLIC",
        "publisher": {"uri": "https://example.org/org/demo", "name": "Demo Organisation"},
    }
}


def _release(root: Path, out: Path, builder, declarations: dict | None = None) -> Path:
    descriptor = base_descriptor()
    if declarations:
        descriptor["semicon"] = declarations
    write_package(root, descriptor=descriptor)
    return make_release(root, out, builder=builder).zip_path


def _member(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(f"{FOLDER}/{name}")


def _graphs(zip_path: Path) -> tuple[Graph, Graph]:
    turtle = Graph().parse(data=_member(zip_path, "catalog.ttl"), format="turtle",
                           publicID=BASE)
    jsonld = Graph().parse(data=_member(zip_path, "catalog.jsonld"), format="json-ld",
                           publicID=BASE)
    return turtle, jsonld


@pytest.fixture
def release(tmp_path: Path, builder) -> Path:
    return _release(tmp_path / "pkg", tmp_path / "out", builder)


def test_turtle_and_json_ld_say_the_same(release: Path) -> None:
    turtle, jsonld = _graphs(release)
    assert len(turtle) > 50
    assert isomorphic(turtle, jsonld)


def test_catalogue_carries_what_portals_show(release: Path) -> None:
    g, _ = _graphs(release)
    (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
    assert str(g.value(dataset, DCTERMS.title)) == "Demo semiconductor data"
    assert g.value(dataset, DCTERMS.description)
    assert g.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    publisher = g.value(dataset, DCTERMS.publisher)
    assert str(g.value(publisher, FOAF.name)) == "Demo Maintainer"  # no publisher role
    assert {str(k) for k in g.objects(dataset, DCAT.keyword)} == {"semiconductors",
                                                                  "Netherlands"}
    (catalog,) = g.subjects(RDF.type, DCAT.Catalog)
    (record,) = g.objects(catalog, DCAT.record)
    assert g.value(record, FOAF.primaryTopic) == dataset
    assert str(g.value(record, DCTERMS.modified)) == "2025-06-01"


def test_every_file_is_a_distribution_with_media_type_and_checksum(release: Path) -> None:
    g, _ = _graphs(release)
    (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
    descriptor = json.loads(_member(release, "datapackage.json"))
    by_url = {str(g.value(d, DCAT.downloadURL)): d for d in g.objects(dataset, DCAT.distribution)}
    assert set(by_url) == {BASE + r["path"] for r in descriptor["resources"]}
    for res in descriptor["resources"]:
        dist = by_url[BASE + res["path"]]
        assert str(g.value(dist, DCAT.mediaType)).endswith("/" + res["mediatype"])
        assert g.value(dist, DCTERMS.format) is not None
        assert g.value(dist, DCTERMS.license) is not None
        checksum = g.value(dist, SPDX.checksum)
        if res["path"].endswith(".duckdb"):  # not byte-reproducible: no checksum
            assert checksum is None
            continue
        assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        want = hashlib.sha256(_member(release, res["path"])).hexdigest()
        assert str(g.value(checksum, SPDX.checksumValue)) == want
        assert int(g.value(dist, DCAT.byteSize)) == res["bytes"]


def test_conforms_to_the_dcat_ap_shapes(release: Path) -> None:
    g, _ = _graphs(release)
    conforms, _, text = pyshacl.validate(g, shacl_graph=Graph().parse(SHAPES))
    assert conforms, text


def test_shapes_catch_a_broken_catalogue(release: Path) -> None:
    """The check can fail: a catalogue without a title breaks DCAT-AP."""
    g, _ = _graphs(release)
    (catalog,) = g.subjects(RDF.type, DCAT.Catalog)
    g.remove((catalog, DCTERMS.title, None))
    conforms, results, _ = pyshacl.validate(g, shacl_graph=Graph().parse(SHAPES))
    sh = Namespace("http://www.w3.org/ns/shacl#")
    problems = {(results.value(r, sh.focusNode), results.value(r, sh.resultPath))
                for r in results.subjects(RDF.type, sh.ValidationResult)}
    assert not conforms
    assert problems == {(catalog, DCTERMS.title)}


def test_donl_fields_come_from_the_declarations(tmp_path: Path, builder) -> None:
    """DCAT-AP-DONL 2 adds mandatory identifier, creator, contact point and themes."""
    zip_path = _release(tmp_path / "pkg", tmp_path / "out", builder, DONL_DECLARATIONS)
    g, _ = _graphs(zip_path)
    (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
    assert g.value(dataset, DCTERMS.identifier) is not None
    assert g.value(dataset, DCTERMS.publisher) == URIRef("https://example.org/org/demo")
    assert g.value(dataset, DCTERMS.creator) is not None
    contact = g.value(dataset, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in g
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:data@example.org")
    theme = g.value(dataset, DCAT.theme)
    assert str(g.value(theme, SKOS.prefLabel)) == "Economie"
    assert g.value(dataset, DCTERMS.accessRights) is not None
    conforms, _, text = pyshacl.validate(g, shacl_graph=Graph().parse(SHAPES))
    assert conforms, text


def test_site_copy_lists_the_zip_and_a_schema_org_dataset(release: Path) -> None:
    out = release.parent
    g = Graph().parse(out / "catalog.ttl", publicID="https://example.org/downloads/")
    urls = {str(o) for o in g.objects(None, DCAT.downloadURL)}
    assert "https://example.org/downloads/demo-nl-1.0.0.zip" in urls
    schema = json.loads((out / "dataset.jsonld").read_text(encoding="utf-8"))
    assert schema["@context"] == "https://schema.org/"
    assert schema["@type"] == "Dataset"
    assert schema["name"] == "Demo semiconductor data"
    assert schema["license"] == "https://creativecommons.org/licenses/by/4.0/"
    downloads = {d["contentUrl"]: d for d in schema["distribution"]}
    zipped = downloads["/downloads/demo-nl-1.0.0.zip"]
    assert zipped["encodingFormat"] == "application/zip"
    assert zipped["sha256"] == hashlib.sha256(release.read_bytes()).hexdigest()


def test_catalog_declarations_are_checked_by_the_declarations_schema() -> None:
    from semicon.schemas.rules.declared import schema_findings

    assert schema_findings(DONL_DECLARATIONS) == []
    bad = {"catalog": {"url": "ftp:/nowhere", "themes": [{"label": "no uri"}], "colour": 1}}
    assert {f.field for f in schema_findings(bad)} == {
        "$.semicon.catalog", "$.semicon.catalog.themes[0]", "$.semicon.catalog.url"}


DONL_MANDATORY = {
    DCAT.Dataset: (DCTERMS.identifier, DCTERMS.title, DCTERMS.description, DCTERMS.license,
                   DCTERMS.creator, DCTERMS.publisher, DCAT.contactPoint, DCAT.theme),
    DCAT.Distribution: (DCAT.accessURL, DCTERMS.format, DCTERMS.title, DCTERMS.description,
                        DCTERMS.license),
    DCAT.CatalogRecord: (FOAF.primaryTopic, DCTERMS.modified),
}


def test_bundled_release_has_what_dcat_ap_donl_makes_mandatory(bundled_release) -> None:
    folder, _ = bundled_release
    g = Graph().parse(folder / "catalog.ttl", publicID=BASE)
    for cls, properties in DONL_MANDATORY.items():
        subjects = list(g.subjects(RDF.type, cls))
        assert subjects, cls
        for subject in subjects:
            for prop in properties:
                assert g.value(subject, prop) is not None, (subject, prop)
    conforms, _, text = pyshacl.validate(g, shacl_graph=Graph().parse(SHAPES))
    assert conforms, text
