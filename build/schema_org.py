"""A schema.org ``Dataset`` (JSON-LD) for the site's home page, for dataset search engines.

Built with rdflib from the same facts as the DCAT catalogue (:mod:`semicon.build.dcat`):
name, description, version, keywords, licence, creator and publisher, dates, and one
``DataDownload`` per downloadable file with its media type, size and SHA-256.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from semicon.build.dcat import SCHEMA, FileEntry
from semicon.build.release_docs import _license_title_url, primary_license
from semicon.build.release_time import created

CONTEXT = {"@vocab": str(SCHEMA)}


def _names(descriptor: Mapping[str, Any], role: str) -> list[str]:
    out = []
    for c in descriptor.get("contributors") or []:
        if role in (c.get("roles") or [c.get("role")]):
            name = c.get("title") or " ".join(
                str(c[k]) for k in ("givenName", "familyName") if c.get(k))
            if name:
                out.append(str(name))
    return out


def dataset_graph(descriptor: Mapping[str, Any], files: Sequence[FileEntry],
                  base: str = "") -> Graph:
    """The ``schema:Dataset`` graph; file links are ``base + path``."""
    g = Graph()
    g.bind("schema", SCHEMA)
    ident = str(descriptor.get("id") or "")
    ds = URIRef(ident if "://" in ident else base + "#dataset")
    g.add((ds, RDF.type, SCHEMA.Dataset))
    g.add((ds, SCHEMA.name, Literal(str(descriptor.get("title") or descriptor.get("name")))))
    description = descriptor.get("description") or descriptor.get("title") or ""
    g.add((ds, SCHEMA.description, Literal(" ".join(str(description).split()))))
    if descriptor.get("version"):
        g.add((ds, SCHEMA.version, Literal(str(descriptor["version"]))))
    for keyword in descriptor.get("keywords") or []:
        g.add((ds, SCHEMA.keywords, Literal(str(keyword))))
    if descriptor.get("homepage"):
        g.add((ds, SCHEMA.url, Literal(str(descriptor["homepage"]))))
    _title, license_url = _license_title_url(primary_license(descriptor))
    if license_url:
        g.add((ds, SCHEMA.license, Literal(license_url)))
    g.add((ds, SCHEMA.isAccessibleForFree, Literal(True)))
    when = created(descriptor)
    if when is not None:
        g.add((ds, SCHEMA.datePublished, Literal(when.date().isoformat())))
    for role, prop in (("creator", SCHEMA.creator), ("publisher", SCHEMA.publisher)):
        for i, name in enumerate(_names(descriptor, role)):
            org = URIRef(f"{base}#{role}-{i + 1}")
            g.add((org, RDF.type, SCHEMA.Organization))
            g.add((org, SCHEMA.name, Literal(name)))
            g.add((ds, prop, org))
    for f in files:
        dl = URIRef(base + "#download-" + f.path.replace("/", "-"))
        g.add((ds, SCHEMA.distribution, dl))
        g.add((dl, RDF.type, SCHEMA.DataDownload))
        g.add((dl, SCHEMA.name, Literal(f.title)))
        g.add((dl, SCHEMA.contentUrl, Literal(base + f.path)))
        g.add((dl, SCHEMA.encodingFormat, Literal(f.mediatype)))
        if f.size is not None:
            g.add((dl, SCHEMA.contentSize, Literal(f"{f.size} B")))
        if f.sha256:
            g.add((dl, SCHEMA.sha256, Literal(f.sha256)))
    return g


def dataset_jsonld(descriptor: Mapping[str, Any], files: Sequence[FileEntry],
                   base: str = "") -> dict[str, Any]:
    """The Dataset as compact JSON-LD with the schema.org vocabulary as default."""
    graph = dataset_graph(descriptor, files, base)
    data = json.loads(graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True))
    return {"@context": "https://schema.org/", **_embedded(data, str(SCHEMA.Dataset))}


def _embedded(data: dict[str, Any], root_type: str) -> dict[str, Any]:
    """The root node with the nodes it refers to written inside it (one tree, as search
    engines read it best), instead of rdflib's flat ``@graph``."""
    nodes = {n["@id"]: n for n in data.get("@graph", [data])}
    short = root_type.removeprefix(str(SCHEMA))
    root = next(n for n in nodes.values() if n.get("@type") in (short, root_type))

    def embed(value: Any, seen: frozenset[str]) -> Any:
        if isinstance(value, list):
            return sorted((embed(v, seen) for v in value),
                          key=lambda v: json.dumps(v, sort_keys=True))
        if isinstance(value, dict):
            ref = value.get("@id")
            if set(value) == {"@id"} and ref in nodes and ref not in seen:
                value = nodes[ref]
            inner = seen | ({value["@id"]} if "@id" in value else set())
            return {k: v if k == "@id" else embed(v, inner) for k, v in value.items()}
        return value

    return embed(root, frozenset())


def script_tag(data: Mapping[str, Any]) -> str:
    """``<script type="application/ld+json">`` with ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/ld+json">\n{text}\n</script>'
