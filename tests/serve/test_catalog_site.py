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


def test_full_text_helpers_are_hidden_and_build_record_described(site: Site) -> None:
    """The served SQLite file holds FTS5's shadow tables (SQLite cannot hide a table from
    `sqlite3 .tables`); Datasette hides them, as its and sqlite-utils' conventions agree.
    The file offered for download has none of them."""
    import sqlite3

    import sqlite_utils

    data = json.loads(site.get(f"/{site.db_name}.json").read())
    visible = {t["name"] for t in data["tables"] if not t["hidden"]}
    hidden = {t["name"] for t in data["tables"] if t["hidden"]}
    descriptor = json.loads(site.descriptor.read_text(encoding="utf-8"))
    tables = {r["name"] for r in descriptor["resources"] if "schema" in r}
    assert visible == tables | {"_build", "_data_dictionary"}
    from semicon.build.site import served_database

    db = served_database(site.out, site.db_name)
    con = sqlite3.connect(db)
    kinds = dict(con.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
                 .fetchall())
    helpers = {n for n, t in kinds.items() if t in ("shadow", "virtual")}
    assert helpers and helpers <= hidden  # every FTS table and shadow table
    fts = sqlite_utils.Database(db)
    for table in tables:
        found = fts[table].detect_fts()
        assert found is None or found == f"{table}_fts"
    downloaded = site.get(f"/downloads/{site.db_name}.db").read()
    (site.out / "downloaded.db").write_bytes(downloaded)
    con = sqlite3.connect(site.out / "downloaded.db")
    listed = {n for (n,) in con.execute("SELECT name FROM pragma_table_list "
                                        "WHERE schema = 'main' AND type != 'view' "
                                        "AND name NOT LIKE 'sqlite_%'")}
    assert listed == tables | {"_build", "_data_dictionary"}
    page = site.get(f"/{site.db_name}/_build").read().decode()
    assert "Build record" in page and "the hashes of its primary keys" in page
