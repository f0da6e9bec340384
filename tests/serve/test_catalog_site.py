"""The site's machine-readable description: schema.org in the home page, DCAT downloads."""

from __future__ import annotations

import json
import re

from rdflib import Graph
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.serve.conftest import Site


def _json_ld_blocks(html: str) -> list[dict]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in found]


def test_home_page_embeds_a_schema_org_dataset(site: Site) -> None:
    html = site.get("/").read().decode()
    (dataset,) = [b for b in _json_ld_blocks(html) if b.get("@type") == "Dataset"]
    descriptor = json.loads(site.descriptor.read_text(encoding="utf-8"))
    assert dataset["@context"] == "https://schema.org/"
    assert dataset["name"] == descriptor["title"]
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["publisher"]["name"]
    formats = {d["encodingFormat"] for d in dataset["distribution"]}
    assert {"application/zip", "application/vnd.apache.parquet",
            "application/vnd.sqlite3"} <= formats
    for download in dataset["distribution"]:
        assert site.get(download["contentUrl"]).status == 200
    assert '<link rel="alternate" type="text/turtle" href="/downloads/catalog.ttl"' in html


def test_dcat_catalogue_is_served(site: Site) -> None:
    for name, fmt in (("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld")):
        body = site.get(f"/downloads/{name}").read()
        g = Graph().parse(data=body, format=fmt, publicID=site.url + "/downloads/")
        (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
        assert g.value(dataset, DCTERMS.title) is not None
        for dist in g.objects(dataset, DCAT.distribution):
            url = str(g.value(dist, DCAT.downloadURL))
            assert url.startswith(site.url + "/downloads/")
            assert site.get(url.removeprefix(site.url)).status == 200
