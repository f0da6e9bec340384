"""Provenance: which documents a package's facts come from, and which fields quote them.

Declared under ``semicon.provenance`` (docs/declarations.md)::

    {"lang": "en",
     "documents": [{"id": "memo", "resource": "memo-text", "title": "...", "lang": "fr"}],
     "documentTable": {"resource": "documents", "id": "doc_id", "path": "text_file",
                       "title": "title"},
     "quotes": [{"source": "doc_id", "quote": "passage"}]}

A document's text is a ``type: file`` resource of the package (``resource``), a file path
inside the package (``path``), or a row of the document table whose ``path`` field names
the file. A quoting entry without ``resource`` applies to every tabular resource having
both fields. :func:`parse_provenance` turns the property into a :class:`Provenance`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semicon.schemas.model import Resource


@dataclass(frozen=True)
class Document:
    """One source document: its id (what the quoting rows' source field holds), its title,
    the package-relative path of its text (``None``: no text), and its language."""

    id: str
    title: str
    path: str | None
    lang: str | None = None
    #: the ``type: file`` resource holding the text, when declared that way
    resource: str | None = None
    #: the 1-based CSV line of the document table row that lists it
    line: int | None = None


@dataclass(frozen=True)
class DocumentTable:
    """A table whose rows name documents: id field, text path field, optional title/lang."""

    resource: str
    id: str
    path: str
    title: str | None = None
    lang: str | None = None  # a field holding each document's language

    @property
    def fields(self) -> set[str]:
        return {f for f in (self.id, self.path, self.title, self.lang) if f}


@dataclass(frozen=True)
class Quoting:
    """Fields that quote a document: ``source`` holds a document id, ``quote`` the passage.

    ``resource`` ``None`` means every tabular resource that has both fields.
    """

    source: str
    quote: str
    resource: str | None = None


@dataclass
class Provenance:
    """The parsed ``semicon.provenance`` property."""

    documents: list[Document] = field(default_factory=list)
    table: DocumentTable | None = None
    quoting: list[Quoting] = field(default_factory=list)
    lang: str | None = None

    def quoting_fields(self, fields: Mapping[str, Iterable[str]]) -> dict[str, Quoting]:
        """Per resource name (given each resource's field names), how it quotes documents."""
        out: dict[str, Quoting] = {}
        for q in self.quoting:  # a per-resource entry wins over an all-resources one
            for name, names in fields.items():
                have = set(names)
                if q.resource not in (None, name) or not {q.source, q.quote} <= have:
                    continue
                if q.resource is not None or name not in out:
                    out[name] = q
        return out

    def documents_from_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[Document]:
        """Every document: the declared ones, then the document table's ``rows`` (dicts by
        field name, optionally with ``__line``) not already declared by id."""
        out = list(self.documents)
        seen = {d.id for d in out}
        table = self.table
        if table is None:
            return out
        for row in rows:
            doc_id = row.get(table.id)
            if doc_id is None or str(doc_id) in seen:
                continue
            seen.add(str(doc_id))
            title = row.get(table.title) if table.title else None
            lang = row.get(table.lang) if table.lang else None
            path = row.get(table.path)
            out.append(Document(
                id=str(doc_id), title=str(title) if title else str(doc_id),
                path=str(path) if path else None, lang=str(lang) if lang else self.lang,
                line=row.get("__line")))
        return out


def document_text(base: Path, doc: Document) -> str | None:
    """The text of ``doc`` (UTF-8) from the package folder ``base``; ``None`` without one.

    Raises ``ValueError`` for a path that is absolute, has ``..`` or a URL scheme, or is a
    symlink leaving the folder, and ``OSError``/``UnicodeDecodeError`` when unreadable.
    """
    from semicon.schemas.validation.paths import unsafe_reason

    if doc.path is None:
        return None
    reason = unsafe_reason(base, doc.path)
    if reason:
        raise ValueError(f'refused text path "{doc.path}": {reason}')
    return (base / doc.path).read_text(encoding="utf-8")


def parse_provenance(raw: Any, resources: Mapping[str, Resource] | None = None
                     ) -> Provenance | None:
    """The :class:`Provenance` of a ``semicon.provenance`` value (already checked against
    ``schemas/declarations.schema.json``); ``None`` when absent.

    ``resources`` maps resource names to the package model's resources: a document given
    by ``resource`` takes that resource's ``path`` and, unless declared, its ``title``.
    """
    if not isinstance(raw, Mapping):
        return None
    resources = resources or {}
    lang = raw.get("lang")
    docs: list[Document] = []
    for d in raw.get("documents") or []:
        res = resources.get(d.get("resource") or "")
        path = d.get("path", res.path if res is not None else None)
        title = res.title if res is not None else None
        docs.append(Document(
            id=str(d["id"]), title=str(d.get("title") or title or d["id"]),
            path=path if isinstance(path, str) else None,
            lang=d.get("lang") or lang, resource=d.get("resource")))
    table = None
    if isinstance(raw.get("documentTable"), Mapping):
        t = raw["documentTable"]
        table = DocumentTable(resource=t["resource"], id=t["id"], path=t["path"],
                              title=t.get("title"), lang=t.get("lang"))
    quoting = [Quoting(source=q["source"], quote=q["quote"], resource=q.get("resource"))
               for q in raw.get("quotes") or []]
    return Provenance(documents=docs, table=table, quoting=quoting, lang=lang)
