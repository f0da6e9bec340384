"""DCAT metadata for data portals, generated from the release's ``datapackage.json``.

One graph, built with rdflib and written as Turtle and JSON-LD: a ``dcat:Catalog`` with a
``dcat:CatalogRecord`` and the ``dcat:Dataset``, one ``dcat:Distribution`` per file of the
release (media type, format, size, SHA-256 checksum, licence). It follows DCAT-AP 3
(data.europa.eu harvests it) and fills what DCAT-AP-DONL 2 (data.overheid.nl) adds as
mandatory where the package says it: the dataset's identifier, creator, publisher, contact
point and themes, and a licence and format on every distribution.

The Data Package gives title, description, version, ``created``, keywords, licence,
contributors (``publisher`` and ``creator`` roles) and homepage. What a portal needs beyond
that is declared under ``semicon.catalog`` (docs/declarations.md): the public ``url`` the
downloads are served under, ``themes``, ``contactPoint``, ``language``, ``accessRights``,
``publisher`` (an organisation's IRI and name) and ``spatial``. Without a ``url`` the
file links are relative to the catalogue file itself (``catalog.ttl`` sits beside them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from semicon.build.release_docs import _license_title_url, primary_license, spdx_id
from semicon.build.release_time import created, release_time

DCAT3 = Namespace(str(DCAT))  # rdflib's DCAT is closed at DCAT 2 (no dcat:version)
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")
DCATAP = URIRef("http://data.europa.eu/r5r/")  # DCAT-AP's IRI, for dct:conformsTo
IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
#: EU file-type authority codes for the formats a release holds (others: BIN)
FILE_TYPES = {"csv": "CSV", "parquet": "PARQUET", "txt": "TXT", "json": "JSON", "zip": "ZIP",
              "pdf": "PDF", "html": "HTML", "md": "MARKDOWN", "sqlite": "BIN", "duckdb": "BIN"}

TURTLE_NAME = "catalog.ttl"
JSONLD_NAME = "catalog.jsonld"
#: the schema.org Dataset the site's home page embeds
SCHEMA_ORG_NAME = "dataset.jsonld"
#: where the site serves its downloads (``semicon.build.site.DOWNLOADS_DIR_NAME``)
SITE_DOWNLOADS = "/downloads/"


@dataclass(frozen=True)
class FileEntry:
    """One downloadable file: where it is (relative to the catalogue, or a URL) and facts."""

    path: str
    title: str
    description: str
    mediatype: str
    format: str
    size: int | None = None
    sha256: str | None = None


def release_files(descriptor: Mapping[str, Any]) -> list[FileEntry]:
    """The files a release descriptor lists, with the size and hash it records."""
    out: list[FileEntry] = []
    for res in descriptor.get("resources") or []:
        path = res.get("path")
        if not isinstance(path, str):
            continue
        digest = str(res.get("hash") or "")
        fmt = str(res.get("format") or path.rsplit(".", 1)[-1]).lower()
        out.append(FileEntry(
            path=path,
            title=str(res.get("title") or res.get("name") or path),
            description=str(res.get("description") or res.get("title") or path),
            mediatype=str(res.get("mediatype") or "application/octet-stream"),
            format=fmt,
            size=res.get("bytes") if isinstance(res.get("bytes"), int) else None,
            sha256=digest.removeprefix("sha256:") if digest.startswith("sha256:") else None,
        ))
    return out


def declarations(descriptor: Mapping[str, Any]) -> dict[str, Any]:
    """The package's ``semicon.catalog`` declaration (empty when there is none)."""
    semicon = descriptor.get("semicon")
    catalog = semicon.get("catalog") if isinstance(semicon, Mapping) else None
    return dict(catalog) if isinstance(catalog, Mapping) else {}


def base_url(descriptor: Mapping[str, Any]) -> str:
    """The public folder the files are served from ('' for links relative to the file)."""
    url = str(declarations(descriptor).get("url") or "")
    return url if not url or url.endswith("/") else url + "/"


class _Builder:
    """Adds one package's triples to a graph."""

    def __init__(self, descriptor: Mapping[str, Any], files: Sequence[FileEntry],
                 base: str) -> None:
        self.d = descriptor
        self.decl = declarations(descriptor)
        self.base = base
        self.files = files
        self.g = Graph()
        for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                           ("spdx", SPDX), ("skos", SKOS), ("xsd", XSD)):
            self.g.bind(prefix, ns)
        lang = self.decl.get("metadataLanguage")
        self.lang = str(lang) if isinstance(lang, str) and lang else None

    def iri(self, ref: str) -> URIRef:
        return URIRef(ref if "://" in ref else self.base + ref)

    def text(self, value: Any) -> Literal:
        return Literal(" ".join(str(value).split()), lang=self.lang)

    def add(self, s: Any, p: URIRef, o: Any) -> None:
        self.g.add((s, p, o))

    # ---------------------------------------------------------------- agents
    def agent(self, spec: Mapping[str, Any] | None, contributors_role: str,
              fallback: str | None = None) -> Any:
        """A foaf:Agent: the declared one, else the first contributor with the role (or the
        ``fallback`` role, ``*`` for any contributor), else None."""
        if spec:
            node: Any = (URIRef(str(spec["uri"])) if spec.get("uri")
                         else self.iri(f"#{contributors_role}"))
            self.add(node, RDF.type, FOAF.Agent)
            self.add(node, FOAF.name, self.text(spec.get("name") or spec.get("uri")))
            return node
        contributors = [c for c in self.d.get("contributors") or [] if isinstance(c, Mapping)]
        people = []
        for role in (contributors_role, fallback):
            people = people or [c for c in contributors
                                if role == "*" or role in (c.get("roles") or [c.get("role")])]
        if not people:
            return None
        who = people[0]
        node = URIRef(str(who["path"])) if str(who.get("path") or "").startswith(
            ("http://", "https://")) else self.iri(f"#{contributors_role}")
        self.add(node, RDF.type, FOAF.Agent)
        name = who.get("title") or " ".join(
            str(who[k]) for k in ("givenName", "familyName") if who.get(k)) or "unknown"
        self.add(node, FOAF.name, self.text(name))
        return node

    def contact(self, dataset: URIRef) -> None:
        spec = self.decl.get("contactPoint")
        if not isinstance(spec, Mapping):
            return
        node = self.iri("#contact-point")
        self.add(dataset, DCAT.contactPoint, node)
        self.add(node, RDF.type, VCARD.Organization)
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, VCARD.fn, self.text(spec.get("name") or "contact"))
        if spec.get("email"):
            self.add(node, VCARD.hasEmail, URIRef("mailto:" + str(spec["email"])))
        if spec.get("url"):
            self.add(node, VCARD.hasURL, URIRef(str(spec["url"])))

    # ---------------------------------------------------------------- dataset
    def license(self) -> URIRef | None:
        lic = primary_license(self.d)
        _title, url = _license_title_url(lic)
        if not url:
            return None
        node = URIRef(url)
        self.add(node, RDF.type, DCTERMS.LicenseDocument)
        label = lic.get("title") or spdx_id(lic)
        if label:
            self.add(node, DCTERMS.title, Literal(str(label)))
        return node

    def concepts(self, subject: URIRef, predicate: URIRef, key: str) -> None:
        for item in self.decl.get(key) or []:
            spec = item if isinstance(item, Mapping) else {"uri": item}
            node = URIRef(str(spec["uri"]))
            self.add(subject, predicate, node)
            self.add(node, RDF.type, SKOS.Concept)
            self.add(node, SKOS.prefLabel, Literal(str(spec.get("label") or spec["uri"])))

    def dataset(self) -> URIRef:
        ident = str(self.d.get("id") or "")
        ds = URIRef(ident) if "://" in ident else self.iri("#dataset")
        add = self.add
        add(ds, RDF.type, DCAT.Dataset)
        add(ds, RDF.type, DCAT.Resource)  # stated, so a check without RDFS inference sees it
        add(ds, DCTERMS.title, self.text(self.d.get("title") or self.d.get("name")))
        add(ds, DCTERMS.description,
            self.text(self.d.get("description") or self.d.get("title") or self.d.get("name")))
        add(ds, DCTERMS.identifier, Literal(str(ds)))
        if self.d.get("version"):
            add(ds, DCAT3.version, Literal(str(self.d["version"])))
        for keyword in self.d.get("keywords") or []:
            add(ds, DCAT.keyword, self.text(keyword))
        issued = created(self.d)
        if issued is not None:
            add(ds, DCTERMS.issued, Literal(issued.date(), datatype=XSD.date))
        if self.d.get("homepage"):
            page = URIRef(str(self.d["homepage"]))
            add(ds, DCAT.landingPage, page)
            add(page, RDF.type, FOAF.Document)
        self.concepts(ds, DCAT.theme, "themes")
        for lang in self.decl.get("language") or []:
            node = URIRef(str(lang))
            add(ds, DCTERMS.language, node)
            add(node, RDF.type, DCTERMS.LinguisticSystem)
        if self.decl.get("accessRights"):
            node = URIRef(str(self.decl["accessRights"]))
            add(ds, DCTERMS.accessRights, node)
            add(node, RDF.type, DCTERMS.RightsStatement)
        for place in self.decl.get("spatial") or []:
            node = URIRef(str(place))
            add(ds, DCTERMS.spatial, node)
            add(node, RDF.type, DCTERMS.Location)
        license_ = self.license()
        if license_ is not None:
            add(ds, DCTERMS.license, license_)
        publisher = self.agent(self.decl.get("publisher"), "publisher", "*")
        if publisher is not None:
            add(ds, DCTERMS.publisher, publisher)
        creator = self.agent(self.decl.get("creator"), "creator", "author") or publisher
        if creator is not None:
            add(ds, DCTERMS.creator, creator)
        self.contact(ds)
        for entry in self.files:
            add(ds, DCAT.distribution, self.distribution(entry, license_))
        return ds

    def distribution(self, f: FileEntry, license_: URIRef | None) -> URIRef:
        add = self.add
        dist = self.iri("#distribution-" + f.path.replace("/", "-"))
        url = self.iri(f.path)
        add(dist, RDF.type, DCAT.Distribution)
        add(dist, DCTERMS.title, self.text(f.title))
        add(dist, DCTERMS.description, self.text(f.description))
        add(dist, DCAT.accessURL, url)
        add(dist, DCAT.downloadURL, url)
        media = URIRef(IANA + f.mediatype)
        add(dist, DCAT.mediaType, media)
        add(media, RDF.type, DCTERMS.MediaType)
        fmt = URIRef(FILE_TYPE + FILE_TYPES.get(f.format, "BIN"))
        add(dist, DCTERMS.format, fmt)
        add(fmt, RDF.type, DCTERMS.MediaTypeOrExtent)
        if license_ is not None:
            add(dist, DCTERMS.license, license_)
        if f.size is not None:
            add(dist, DCAT.byteSize, Literal(f.size, datatype=XSD.nonNegativeInteger))
        if f.sha256:
            checksum = self.iri("#checksum-" + f.path.replace("/", "-"))
            add(dist, SPDX.checksum, checksum)
            add(checksum, RDF.type, SPDX.Checksum)
            add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
            add(SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm)
            add(checksum, SPDX.checksumValue, Literal(f.sha256, datatype=XSD.hexBinary))
        return dist

    # ---------------------------------------------------------------- catalogue
    def catalog(self) -> Graph:
        ds = self.dataset()
        cat, record = self.iri("#catalog"), self.iri("#record")
        add = self.add
        add(cat, RDF.type, DCAT.Catalog)
        title = self.decl.get("catalogTitle") or f"{self.d.get('title') or self.d.get('name')}"
        add(cat, DCTERMS.title, self.text(title))
        add(cat, DCTERMS.description, self.text(
            f"The catalogue of {self.d.get('title') or self.d.get('name')}: one dataset, "
            "its files and their checksums."))
        for publisher in self.g.objects(ds, DCTERMS.publisher):
            add(cat, DCTERMS.publisher, publisher)
        add(cat, DCAT.dataset, ds)
        add(cat, DCAT.record, record)
        add(record, RDF.type, DCAT.CatalogRecord)
        add(record, FOAF.primaryTopic, ds)
        add(record, DCTERMS.conformsTo, DCATAP)
        add(DCATAP, RDF.type, DCTERMS.Standard)
        when = release_time(self.d)
        if when is not None:
            add(record, DCTERMS.modified, Literal(when.date(), datatype=XSD.date))
        return self.g


def catalog_graph(descriptor: Mapping[str, Any], files: Sequence[FileEntry],
                  base: str = "") -> Graph:
    """The DCAT-AP catalogue of one package and its downloadable files (links ``base +
    path``)."""
    return _Builder(descriptor, files, base).catalog()


def catalog_files(descriptor: Mapping[str, Any], files: Sequence[FileEntry],
                  base: str = "") -> dict[str, bytes]:
    """``catalog.ttl`` and ``catalog.jsonld`` (deterministic: sorted triples, no clock).

    File links are ``base + path``: relative to the catalogue file by default (in a
    release, it sits beside the files it lists)."""
    graph = catalog_graph(descriptor, files, base)
    turtle = graph.serialize(format="turtle")
    jsonld = json.loads(graph.serialize(format="json-ld", auto_compact=True))
    return {
        TURTLE_NAME: turtle.encode("utf-8"),
        JSONLD_NAME: (json.dumps(_sorted(jsonld), indent=2, ensure_ascii=False, sort_keys=True)
                      + "\n").encode("utf-8"),
    }


def _sorted(value: Any) -> Any:
    """JSON-LD with every list in a stable order (rdflib's order follows hash seeds)."""
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def site_files(out_dir: Path, descriptor: Mapping[str, Any], zip_path: Path) -> list[FileEntry]:
    """What the site's downloads folder offers: the release zip, and the Parquet, SQLite and
    DuckDB files beside it (with the sizes and hashes the release recorded)."""
    stat = zip_path.stat()
    entries = [FileEntry(
        path=zip_path.name,
        title=f"{descriptor.get('title') or descriptor.get('name')} (release zip)",
        description="Every file of the release in one zip: CSV, Parquet, SQLite, DuckDB, "
        "datapackage.json, README, LICENSE, CITATION.cff and SHA256SUMS.",
        mediatype="application/zip", format="zip", size=stat.st_size,
        sha256=_sha256(zip_path),
    )]
    for f in release_files(descriptor):
        top_level = "/" not in f.path and f.format in ("sqlite", "duckdb")
        if (top_level or f.path.startswith("parquet/")) and (out_dir / f.path).is_file():
            entries.append(f)
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_site_catalog(out_dir: Path, descriptor: Mapping[str, Any], zip_path: Path) -> None:
    """``catalog.ttl``, ``catalog.jsonld`` and ``dataset.jsonld`` beside the zip, for the site.

    The site serves them from its downloads folder; their links are relative to it (or
    under ``semicon.catalog.url`` when the package declares where it is published).
    """
    from semicon.build.atomic import write_text_atomic
    from semicon.build.schema_org import dataset_jsonld

    files = site_files(out_dir, descriptor, zip_path)
    for name, data in catalog_files(descriptor, files, base_url(descriptor)).items():
        write_text_atomic(out_dir / name, data.decode("utf-8"))
    schema = dataset_jsonld(descriptor, files, base_url(descriptor) or SITE_DOWNLOADS)
    write_text_atomic(out_dir / SCHEMA_ORG_NAME,
                      json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
