"""The source documents a package declares (``semicon.provenance``) as the site shows them.

The declaration is read by ``semicon.schemas.provenance`` (the same reading ``semicon
validate`` checks quotes with). Each document whose text is a file of the package gets a
reading page: at ``/<slug>`` when ``site.documents.pages`` gives it one, else at
``/-/documents/<id>``. The text is served as a plain-text download from the site's
``documents`` folder. Fields that quote a document link to its page, the quoted passage
highlighted. A package without provenance has no such page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

from semicon.build.site_declarations import DOCUMENTS_PREFIX, SiteDeclarations, check_slug
from semicon.schemas.model import Package, Resource
from semicon.schemas.provenance import Document, Provenance, parse_provenance

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


def provenance(declarations: Mapping[str, Any] | None,
               resources: Mapping[str, Resource]) -> Provenance | None:
    """The package's parsed provenance; ``ValueError`` for one that breaks its schema."""
    try:
        return parse_provenance((declarations or {}).get("provenance"), resources)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"semicon.provenance is malformed ({exc}): run semicon validate"
                         ) from None


def _table_rows(prov: Provenance, resources: Mapping[str, Resource],
                rows_of: RowsOf) -> list[dict[str, Any]]:
    if prov.table is not None and prov.table.resource in resources:
        return rows_of(prov.table.resource)
    return []


def _with_text(prov: Provenance, rows: list[dict[str, Any]], package_dir: Path
               ) -> list[tuple[Document, Path]]:
    """Each declared document whose text is a file inside ``package_dir``, with that file."""
    out = []
    for doc in prov.documents_from_rows(rows):
        text = _inside(package_dir, doc.path)
        if text is not None:
            out.append((doc, text))
    return out


def document_files(declarations: Mapping[str, Any] | None,
                   resources: Mapping[str, Resource], package_dir: Path,
                   rows_of: RowsOf) -> list[tuple[Document, Path]]:
    """Every declared source document whose text is a file of the package, with that file
    (resolved, inside ``package_dir``): the documents that get a reading page and that a
    release ships."""
    prov = provenance(declarations, resources)
    if prov is None:
        return []
    return _with_text(prov, _table_rows(prov, resources, rows_of), package_dir)


def table_rows(package: Package) -> RowsOf:
    """A table's rows read from its CSV file as the package declares it (encoding and
    dialect), text cells by field name; ``[]`` for a table without one local file."""

    def rows_of(name: str) -> list[dict[str, Any]]:
        resource = next((r for r in package.tables if r.name == name), None)
        if resource is None or len(resource.files) != 1 or not resource.files[0].is_file():
            return []
        dialect = resource.dialect
        with resource.files[0].open(encoding=resource.encoding, newline="",
                                    errors="replace") as fh:
            rows = dialect.reader(dialect.lines(fh))
            header = next(rows, [])
            return [dict(zip(header, row, strict=False)) for row in rows if row]

    return rows_of


def package_documents(package: Package, rows_of: RowsOf | None = None
                      ) -> list[tuple[Document, Path]]:
    """:func:`document_files` of a parsed package (rows from its CSV files by default)."""
    return document_files(package.declarations, {r.name: r for r in package.resources},
                          package.base_dir, rows_of or table_rows(package))


def document_sites(declarations: Mapping[str, Any] | None, site: SiteDeclarations,
                   resources: Mapping[str, Resource], package_dir: Path,
                   database: str, rows_of: RowsOf) -> list[DocumentSite]:
    """Every declared source document whose text is a file of the package, with its page.

    Raises ``ValueError`` for a declared page slug the site cannot use.
    """
    prov = provenance(declarations, resources)
    if prov is None:
        return []
    rows = _table_rows(prov, resources, rows_of)
    by_id = {str(r.get(prov.table.id)): r for r in rows} if prov.table else {}
    display = site.documents
    out: list[DocumentSite] = []
    names: set[str] = set()
    for doc, text in _with_text(prov, rows, package_dir):
        row = by_id.get(doc.id, {})
        page = display.pages.get(doc.id)
        if page and page.slug:
            problem = check_slug(page.slug, database)
            if problem:
                raise ValueError(problem)
            url = "/" + page.slug
        else:
            url = DOCUMENTS_PREFIX + urlquote(doc.id, safe="")
        file = text.name if text.name not in names else f"{len(out)}-{text.name}"
        names.add(file)
        original = str(row.get(display.original) or "") if display.original else ""
        out.append(DocumentSite(
            id=doc.id, title=doc.title, url=url, text=text, file=file,
            label=(page.label if page and page.label else "Source document"),
            lang=doc.lang,
            original=original if original.startswith(("https://", "http://")) else "",
            facts=[{"label": f.label, "value": str(row[f.field])}
                   for f in display.facts if row.get(f.field) not in (None, "")],
            cite=_cite(display.cite, row) if display.cite and row else "",
        ))
    return out


def quote_fields(declarations: Mapping[str, Any] | None,
                 resources: Mapping[str, Resource],
                 fields: Mapping[str, list[str]]) -> dict[str, dict[str, str]]:
    """Per table, the field quoting a document and the field naming it (``quotes``)."""
    prov = provenance(declarations, resources)
    if prov is None:
        return {}
    return {name: {"quote": q.quote, "source": q.source}
            for name, q in prov.quoting_fields(fields).items()}
