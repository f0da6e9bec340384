"""The ``semicon.site`` declaration of a package, with defaults inferred from its Table Schemas.

Everything the site shows that is specific to a dataset -- home-page wording, per-table facets,
label, search columns, sort order, how amounts display, canned queries, the reading pages of
the source documents -- is declared in the package (docs/declarations.md#site). A package
that declares nothing gets defaults inferred from its schemas: its own title and description,
every free-text column searchable, small enumerations and foreign keys as facets, a label
column named like ``title``/``name``, a date column as the sort order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from semicon.schemas.model import Field, Schema

# At most this many default facets per table: each is a GROUP BY on every page view.
MAX_FACETS = 3
# Columns with more distinct values than this make poor facets.
MAX_FACET_VALUES = 25
_LABEL_NAMES = ("title", "name", "label")
_SORTABLE_TYPES = ("date", "datetime")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Top-level paths the site itself uses: a document page may not take one of them.
RESERVED_SLUGS = frozenset({"-", "static", "site-static", "downloads", "documents", "favicon.ico",
                            "robots.txt"})
DOCUMENTS_PREFIX = "/-/documents/"


def _is_text(f: Field) -> bool:
    return f.type in ("string", "any") and f.format in (None, "default")


@dataclass(frozen=True)
class Sort:
    """A table's default order: one column, ascending or descending."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class Currency:
    """The currency an amount is shown with: a column of the same row or a fixed code."""

    field: str | None = None
    code: str | None = None

    def as_config(self) -> dict[str, str]:
        return {"field": self.field} if self.field else {"code": self.code or ""}


@dataclass
class TableDisplay:
    """How one table shows on the site (declared under ``site.resources.<name>`` or inferred)."""

    name: str
    facets: list[str] = field(default_factory=list)
    label: str | None = None
    label_declared: bool = False
    search: list[str] = field(default_factory=list)
    sort: Sort | None = None
    amounts: dict[str, Currency] = field(default_factory=dict)
    #: column -> language of its text, where it is not the site's (English)
    lang: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """A canned query: its URL name, title, description and SQL."""

    name: str
    title: str
    description: str
    sql: str


@dataclass(frozen=True)
class Fact:
    """One labelled fact about a source document, read from its row of the document table."""

    label: str
    field: str


@dataclass(frozen=True)
class DocumentPage:
    """Where a source document's reading page lives and how the home page names it."""

    slug: str | None = None
    label: str | None = None


@dataclass
class DocumentDisplay:
    """``site.documents``: facts shown for each document, its original's URL field, citation."""

    facts: list[Fact] = field(default_factory=list)
    original: str | None = None
    cite: str | None = None
    pages: dict[str, DocumentPage] = field(default_factory=dict)


@dataclass
class Home:
    """The home page's wording (``site.home``)."""

    about: str = ""
    queries: str = "Queries"
    search: str = "Search every table"


@dataclass
class SiteDeclarations:
    """The parsed ``semicon.site`` property (charts are reserved and passed through)."""

    home: Home = field(default_factory=Home)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    queries: list[Query] = field(default_factory=list)
    documents: DocumentDisplay = field(default_factory=DocumentDisplay)
    charts: Any = None

    def table(self, name: str, schema: Schema, *, referenced: bool = False,
              exclude_facets: frozenset[str] = frozenset(),
              distinct: Mapping[str, int] | None = None,
              rows: int | None = None) -> TableDisplay:
        """The display of table ``name``: what is declared, the rest inferred from ``schema``.

        ``exclude_facets``: foreign-key targets that make no useful facet (the document
        table every row cites). ``distinct``/``rows``: measured column cardinalities, which
        let an undeclared package get facets on low-cardinality columns.
        """
        raw = self.resources.get(name) or {}
        _check_fields(name, raw, set(schema.field_names))
        out = TableDisplay(name)
        out.facets = (list(raw["facets"]) if "facets" in raw
                      else infer_facets(name, schema, exclude_facets, distinct, rows))
        if "label" in raw:
            out.label, out.label_declared = raw["label"], True
        elif referenced:
            out.label = infer_label(schema)
        out.search = list(raw["search"]) if "search" in raw else infer_search(schema)
        out.sort = _sort(raw["sort"]) if "sort" in raw else infer_sort(schema)
        for group in raw.get("amounts") or []:
            currency = _currency(group.get("currency"))
            for col in group.get("fields") or []:
                out.amounts[col] = currency
        out.lang = {str(col): str(lang) for col, lang in (raw.get("lang") or {}).items()}
        return out


def _check_fields(table: str, raw: Mapping[str, Any], names: set[str]) -> None:
    """Raise ``ValueError`` naming the first declared column ``table`` does not have."""
    sort = _sort(raw.get("sort"))
    wanted = [*(raw.get("facets") or []), *(raw.get("search") or []),
              *([raw["label"]] if raw.get("label") else []), *([sort.field] if sort else []),
              *(raw.get("lang") or {})]
    for group in raw.get("amounts") or []:
        wanted += list(group.get("fields") or [])
        currency = _currency(group.get("currency"))
        wanted += [currency.field] if currency.field else []
    for col in wanted:
        if col not in names:
            raise ValueError(f"site.resources.{table}: {table} has no field {col!r}")


def _sort(raw: Any) -> Sort | None:
    if isinstance(raw, str):
        return Sort(raw)
    if isinstance(raw, Mapping) and raw.get("field"):
        return Sort(str(raw["field"]), bool(raw.get("descending")))
    return None


def _currency(raw: Any) -> Currency:
    if isinstance(raw, Mapping) and raw.get("field"):
        return Currency(field=str(raw["field"]))
    if isinstance(raw, str) and raw:
        return Currency(code=raw)
    return Currency()


def _sql(raw: Any) -> str:
    if isinstance(raw, list):
        return "\n".join(str(line) for line in raw).strip()
    return str(raw or "").strip()


def parse_site(declarations: Mapping[str, Any] | None) -> SiteDeclarations:
    """The :class:`SiteDeclarations` of a package's ``semicon`` property (``None``: nothing)."""
    raw = (declarations or {}).get("site")
    if not isinstance(raw, Mapping):
        return SiteDeclarations()
    home_raw = raw.get("home") or {}
    home = Home(**{k: str(home_raw[k]) for k in ("about", "queries", "search") if k in home_raw})
    queries = [
        Query(name, str(q.get("title") or name), str(q.get("description") or ""), _sql(q["sql"]))
        for name, q in (raw.get("queries") or {}).items()
        if isinstance(q, Mapping) and q.get("sql")
    ]
    docs_raw = raw.get("documents") or {}
    documents = DocumentDisplay(
        facts=[Fact(str(f["label"]), str(f["field"])) for f in docs_raw.get("facts") or []],
        original=docs_raw.get("original"),
        cite=docs_raw.get("cite"),
        pages={
            str(doc_id): DocumentPage(p.get("slug"), p.get("label"))
            for doc_id, p in (docs_raw.get("pages") or {}).items()
            if isinstance(p, Mapping)
        },
    )
    return SiteDeclarations(home=home, resources=dict(raw.get("resources") or {}),
                            queries=queries, documents=documents, charts=raw.get("charts"))


def infer_label(schema: Schema | None) -> str | None:
    """The first text field named like title/name/label, else the first free-text field."""
    if schema is None:
        return None
    text = [f.name for f in schema.fields if _is_text(f)]
    for want in _LABEL_NAMES:
        for n in text:
            words = re.split(r"[\s_\-]+", n.lower())
            if want in words:
                return n
    pk = set(schema.primary_key)
    return next((f.name for f in schema.fields if _is_text(f) and f.name not in pk
                 and not f.enum), None)


def infer_search(schema: Schema) -> list[str]:
    """Free-text columns: text fields that are not keys, enumerations or patterned codes."""
    pk = set(schema.primary_key)
    fk = {c for k in schema.foreign_keys for c in k.fields}
    return [
        f.name for f in schema.fields
        if _is_text(f) and f.name not in pk and f.name not in fk
        and not f.enum and not f.constraints.get("pattern")
    ]


def infer_facets(table: str, schema: Schema, exclude: frozenset[str] = frozenset(),
                 distinct: Mapping[str, int] | None = None,
                 rows: int | None = None) -> list[str]:
    """Small enumerations and booleans, then foreign keys (not to ``exclude`` or to the table
    itself), then columns measured to hold few distinct values."""
    pk = set(schema.primary_key)
    facets: list[str] = []
    for f in schema.fields:
        n = len(f.enum)
        if f.name not in pk and (2 <= n <= MAX_FACET_VALUES or f.type == "boolean"):
            facets.append(f.name)
    for k in schema.foreign_keys:
        cols = k.fields
        if len(cols) != 1 or k.resource == table or k.resource in exclude or cols[0] in pk:
            continue
        if cols[0] not in facets:
            facets.append(cols[0])
    if distinct and rows:
        for f in schema.fields:
            n = distinct.get(f.name)
            if (f.name not in pk and f.name not in facets and n is not None
                    and 2 <= n <= MAX_FACET_VALUES and n * 2 <= rows
                    and f.type == "string"):
                facets.append(f.name)
    return facets[:MAX_FACETS]


def infer_sort(schema: Schema) -> Sort | None:
    """Chronological by the first date or datetime field, if there is one."""
    for f in schema.fields:
        if f.type in _SORTABLE_TYPES:
            return Sort(f.name)
    return None


def check_slug(slug: str, database: str) -> str | None:
    """Why ``slug`` cannot be a document page's path, or ``None`` when it can."""
    if not _SLUG_RE.match(slug):
        return f"document page slug {slug!r} must be lower-case letters, digits and hyphens"
    if slug in RESERVED_SLUGS or slug == database:
        return f"document page slug {slug!r} is taken by the site itself"
    return None


def site_problems(semicon: Mapping[str, Any], fields: Mapping[str, set[str]],
                  unread: set[str] = frozenset()) -> list[tuple[str, str]]:
    """``(JSON path, message)`` for each table or field the ``site`` and ``views``
    declarations name that the package does not have (``fields``: each tabular resource's
    field names; ``unread``: resources whose fields are not known here, left unchecked).
    The JSON Schema has already checked their shape."""
    out: list[tuple[str, str]] = []
    site = semicon.get("site") if isinstance(semicon.get("site"), Mapping) else {}
    for table, raw in (site.get("resources") or {}).items():
        path = f"$.semicon.site.resources.{table}"
        if table in unread and table not in fields:
            continue
        if table not in fields:
            out.append((path, f'no tabular resource "{table}"'))
        elif isinstance(raw, Mapping):
            try:
                _check_fields(table, raw, fields[table])
            except ValueError as exc:
                out.append((path, str(exc).split(": ", 1)[-1]))
    views = semicon.get("views") if isinstance(semicon.get("views"), Mapping) else {}
    for name, raw in views.items():
        path = f"$.semicon.views.{name}"
        if name in fields:
            out.append((path, "a table of the package has this name"))
        if not isinstance(raw, Mapping) or not raw.get("resource"):
            continue
        table = str(raw["resource"])
        if table in unread and table not in fields:
            continue
        if table not in fields:
            out.append((f"{path}.resource", f'no tabular resource "{table}"'))
            continue
        for col, spec in (raw.get("readable") or {}).items():
            if not isinstance(spec, Mapping):
                continue
            wanted = [spec.get("field")]
            currency = _currency(spec.get("currency"))
            wanted += [currency.field] if currency.field else []
            for f in wanted:
                if f not in fields[table]:
                    out.append((f"{path}.readable.{col}", f'{table} has no field "{f}"'))
            if col in fields[table]:
                out.append((f"{path}.readable.{col}", f'{table} already has a field "{col}"'))
    return out
