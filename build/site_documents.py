"""The source documents a package declares (``semicon.provenance``) as the site shows them.

Each document whose text is a file of the package gets a reading page: at ``/<slug>`` when
``site.documents.pages`` gives it one, else at ``/-/documents/<id>``. The text is served as a
plain-text download from the site's ``documents`` folder. Fields that quote a document link to
its page, the quoted passage highlighted. A package without provenance has no such page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

from semicon.build.site_declarations import DOCUMENTS_PREFIX, SiteDeclarations, check_slug

RowsOf = Callable[[str], list[dict[str, Any]]]
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass
class DocumentSite:
    """One source document with a reading page."""

    id: str
    title: str
    url: str
    text: Path
    file: str = ""
    label: str = "Source document"
    lang: str | None = None
    original: str = ""
    facts: list[dict[str, str]] = field(default_factory=list)
    cite: str = ""

    def as_config(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "url": self.url, "file": self.file,
            "label": self.label, "lang": self.lang or "", "original": self.original,
            "facts": self.facts, "cite": self.cite,
        }


def _inside(base: Path, rel: Any) -> Path | None:
    """``base/rel`` when it is a file inside ``base`` (no ``..``, absolute path or link out)."""
    if not isinstance(rel, str) or not rel or "://" in rel:
        return None
    root = base.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _cite(template: str, row: Mapping[str, Any]) -> str:
    """``template`` with each ``{field}`` replaced by the row's value (nothing else is run)."""
    return _PLACEHOLDER.sub(lambda m: str(row.get(m.group(1).strip()) or ""), template)


def _raw_documents(provenance: Mapping[str, Any], resources: Mapping[str, Mapping[str, Any]],
                   rows_of: RowsOf) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(document, row)`` pairs: declared documents, then the document table's rows."""
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    seen: set[str] = set()
    default_lang = provenance.get("lang")
    for d in provenance.get("documents") or []:
        if not isinstance(d, Mapping) or not d.get("id"):
            continue
        res = resources.get(str(d.get("resource") or "")) or {}
        path = d.get("path", res.get("path"))
        out.append(({"id": str(d["id"]), "title": d.get("title") or res.get("title") or d["id"],
                     "path": path, "lang": d.get("lang") or default_lang}, {}))
        seen.add(str(d["id"]))
    table = provenance.get("documentTable")
    if isinstance(table, Mapping) and table.get("resource") in resources:
        for row in rows_of(str(table["resource"])):
            doc_id = row.get(table.get("id", ""))
            if doc_id is None or str(doc_id) in seen:
                continue
            seen.add(str(doc_id))
            title = row.get(table["title"]) if table.get("title") else None
            lang = row.get(table["lang"]) if table.get("lang") else None
            out.append(({"id": str(doc_id), "title": title or str(doc_id),
                         "path": row.get(table.get("path", "")),
                         "lang": lang or default_lang}, row))
    return out


def document_sites(declarations: Mapping[str, Any] | None, site: SiteDeclarations,
                   resources: Mapping[str, Mapping[str, Any]], package_dir: Path,
                   database: str, rows_of: RowsOf) -> list[DocumentSite]:
    """Every declared source document whose text is a file of the package, with its page.

    Raises ``ValueError`` for a declared page slug the site cannot use.
    """
    provenance = (declarations or {}).get("provenance")
    if not isinstance(provenance, Mapping):
        return []
    display = site.documents
    out: list[DocumentSite] = []
    names: set[str] = set()
    for doc, row in _raw_documents(provenance, resources, rows_of):
        text = _inside(package_dir, doc["path"])
        if text is None:
            continue
        page = display.pages.get(doc["id"])
        if page and page.slug:
            problem = check_slug(page.slug, database)
            if problem:
                raise ValueError(problem)
            url = "/" + page.slug
        else:
            url = DOCUMENTS_PREFIX + urlquote(doc["id"], safe="")
        file = text.name if text.name not in names else f"{len(out)}-{text.name}"
        names.add(file)
        original = str(row.get(display.original) or "") if display.original else ""
        out.append(DocumentSite(
            id=doc["id"], title=str(doc["title"]), url=url, text=text, file=file,
            label=(page.label if page and page.label else "Source document"),
            lang=doc.get("lang"),
            original=original if original.startswith(("https://", "http://")) else "",
            facts=[{"label": f.label, "value": str(row[f.field])}
                   for f in display.facts if row.get(f.field) not in (None, "")],
            cite=_cite(display.cite, row) if display.cite and row else "",
        ))
    return out


def quote_fields(declarations: Mapping[str, Any] | None,
                 fields: Mapping[str, list[str]]) -> dict[str, dict[str, str]]:
    """Per table, the field quoting a document and the field naming it (``quotes``)."""
    provenance = (declarations or {}).get("provenance")
    if not isinstance(provenance, Mapping):
        return {}
    out: dict[str, dict[str, str]] = {}
    for q in provenance.get("quotes") or []:
        if not isinstance(q, Mapping) or not q.get("quote") or not q.get("source"):
            continue
        for name, names in fields.items():
            if q.get("resource") not in (None, name) or not {q["quote"], q["source"]} <= set(
                    names):
                continue
            if q.get("resource") is not None or name not in out:
                out[name] = {"quote": q["quote"], "source": q["source"]}
    return out
