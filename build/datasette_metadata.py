"""Datasette 0.65.5 metadata generated from the data package descriptor and its declarations.

Nothing here is templated and nothing names a dataset: every title, description and column
description comes from the descriptor and its Table Schemas; facets, sort order, label and
search columns, amounts, canned queries, home-page wording and source documents from the
package's ``semicon.site`` declaration, or defaults inferred from the schemas
(``semicon.build.site_declarations``). ``build_metadata`` is called by the build
(``metadata.json``) and by ``semicon serve``/``semicon publish``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from semicon.build.canned_queries import canned_queries
from semicon.build.site_declarations import SiteDeclarations, TableDisplay, parse_site
from semicon.build.site_documents import (
    DocumentSite,
    document_sites,
    quote_fields,
    table_rows,
)
from semicon.build.sqlite_long import LongTable, long_table
from semicon.build.sqlite_long import column_descriptions as long_columns
from semicon.schemas.model import Field, Package, Resource

# A table's FTS index is named the way sqlite-utils' ``enable_fts`` names it.
FTS_SUFFIX = "_fts"
# Tables with more rows than this get no *default* facets: every view of the table page would
# run one GROUP BY over the whole table per facet (~50 ms each at 1,000,000 rows, indexed).
# Their facets stay one click away (``?_facet=<column>``, linked from the home and table
# pages) and cost one indexed GROUP BY only when asked for.
LARGE_TABLE_ROWS = 100_000
PLUGIN = "semicon-site"

RowsOf = Callable[[str], list[dict[str, Any]]]


def table_resources(package: Package) -> list[Resource]:
    """The tables that have fields (each becomes a table of the site), in descriptor order."""
    return [r for r in package.tables if r.fields]


def foreign_keys(resource: Resource) -> list[tuple[str, str, str]]:
    """``(column, other_table, other_column)`` for single-column foreign keys."""
    return [(fk.fields[0], fk.resource, fk.reference_fields[0])
            for fk in resource.foreign_keys
            if len(fk.fields) == 1 and len(fk.reference_fields) == 1]


def column_description(field: Field) -> str:
    """A field's description, with its unit and allowed values appended."""
    parts = [(field.description or field.title or "").strip()]
    if field.unit:
        parts.append(f"Unit: {field.unit}.")
    if field.enum:
        parts.append("One of: " + ", ".join(str(v) for v in field.enum) + ".")
    if field.type != "string":
        parts.append(f"Type: {field.type}.")
    return " ".join(p for p in parts if p)


def document_table(package: Package) -> str | None:
    """The table whose rows name the source documents, if the package declares one."""
    table = (package.declarations.get("provenance") or {}).get("documentTable")
    return str(table["resource"]) if isinstance(table, Mapping) and table.get("resource") else None


def table_displays(
    package: Package,
    distinct: Mapping[str, Mapping[str, int]] | None = None,
    row_counts: Mapping[str, int] | None = None,
) -> dict[str, TableDisplay]:
    """Every table's display (declared, else inferred), in descriptor order."""
    site = parse_site(package.declarations)
    resources = table_resources(package)
    referenced = {other for r in resources for _, other, _ in foreign_keys(r)}
    doc_table = document_table(package)
    exclude = frozenset({doc_table} if doc_table else ())
    distinct = distinct or {}
    row_counts = row_counts or {}
    return {
        r.name: long_display(r.name, form, site.table(r.name, r.schema).search)
        if (form := long_form(r)) else
        site.table(r.name, r.schema, referenced=r.name in referenced,
                   exclude_facets=exclude, distinct=distinct.get(r.name),
                   rows=row_counts.get(r.name))
        for r in resources
    }


def long_form(resource: Resource) -> LongTable | None:
    """How the SQLite file holds a table too wide for it (``sqlite_long``), else None."""
    return long_table(resource.field_names, resource.primary_key)


def long_display(table: str, form: LongTable, search: list[str]) -> TableDisplay:
    """A long table shows its cells faceted by column name: its own columns are not the
    Table Schema's, so no facet, label or sort declared for the wide table applies. Its
    ``search`` stays the wide table's search fields (declared or inferred): the full-text
    index holds the name and value of those fields' cells (``sqlite_db.write_search_copy``)."""
    return TableDisplay(table, facets=[form.field], search=list(search))


def table_metadata(
    resource: Resource,
    display: TableDisplay,
    rows: int | None = None,
) -> dict[str, Any]:
    """One table's metadata; ``rows`` (if known) decides whether facets are on by default."""
    table, fields = resource.name, resource.fields
    schema_description = resource.schema.description if resource.schema else None
    meta: dict[str, Any] = {
        "title": resource.title or table.replace("_", " ").capitalize(),
        "description": resource.description or schema_description or "",
        "columns": {f.name: column_description(f) for f in fields},
    }
    if display.label:
        meta["label_column"] = display.label
    if display.facets and (rows is None or rows <= LARGE_TABLE_ROWS):
        meta["facets"] = display.facets
    if display.sort:
        meta["sort_desc" if display.sort.descending else "sort"] = display.sort.field
    if display.search:
        meta["fts_table"] = table + FTS_SUFFIX
        meta["fts_pk"] = "rowid"
        meta["searchmode"] = "escaped"
    if resource.primary_key:
        meta["sortable_columns"] = [f.name for f in fields]
    form = long_form(resource)
    if form is not None:
        keys = {f.name: column_description(f) for f in fields if f.name in form.keys}
        meta["columns"] = long_columns(form, keys)
        meta["sortable_columns"] = form.columns
        meta["description"] = " ".join(filter(None, [meta["description"], (
            f"This table has {len(fields):,} columns, more than SQLite holds in "
            f"one table, so here it has one row per cell: the record ({form.row}), the "
            f"column ({form.position}, {form.field}) and the value ({form.value}). "
            "The DuckDB and Parquet downloads hold it as one wide table.")]))
    return meta


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return (items or [{}])[0]


def _resource_map(package: Package) -> dict[str, Resource]:
    return {r.name: r for r in package.resources}


def site_documents(package: Package, rows_of: RowsOf | None = None) -> list[DocumentSite]:
    """The source documents with a reading page (``semicon.build.site_documents``); the
    document table's rows come from ``rows_of`` (default: its CSV file)."""
    return document_sites(
        package.declarations, parse_site(package.declarations), _resource_map(package),
        package.base_dir, database_name(package), rows_of or table_rows(package),
    )


def site_plugin_config(package: Package, site: SiteDeclarations,
                       displays: Mapping[str, TableDisplay],
                       documents: list[DocumentSite], quotes: dict[str, dict[str, str]],
                       ) -> dict[str, Any]:
    """Configuration of the ``semicon-site`` plugin: wording, documents, quotes, amounts."""
    about = {
        k: v for k, v in (("name", package.name), ("title", package.title),
                          ("version", package.version), ("created", package.created),
                          ("homepage", package.homepage), ("keywords", package.keywords))
        if v
    }
    about["licenses"] = package.licenses
    about["contributors"] = package.contributors
    about["sources"] = [
        {"title": str(s.get("title") or s.get("name") or ""),
         "path": str(s.get("path") or "")}
        for s in package.sources
    ]
    amounts = {
        table: {col: cur.as_config() for col, cur in d.amounts.items()}
        for table, d in displays.items() if d.amounts
    }
    config: dict[str, Any] = {
        "home": {"about": site.home.about, "queries": site.home.queries,
                 "search": site.home.search},
        "package": about,
        "documents": [d.as_config() for d in documents],
    }
    if quotes and documents:
        config["quotes"] = quotes
    if amounts:
        config["amounts"] = amounts
    langs = {table: dict(d.lang) for table, d in displays.items() if d.lang}
    if langs:
        config["langs"] = langs
    if site.charts is not None:
        config["charts"] = site.charts
    return config


def database_name(package: Package) -> str:
    """Datasette's name for the database: the SQLite file stem, ``<package name>``."""
    return package.name


def _source_url(src: Mapping[str, Any], documents: list[DocumentSite]) -> str:
    """The footer's source link: an http(s) original, else the source's reading page."""
    path = str(src.get("path") or "")
    if path.startswith(("http://", "https://")):
        return path
    for doc in documents:
        if path and Path(path).name == doc.text.name:
            return doc.url
    return documents[0].url if documents else ""


def build_metadata(
    package: Package,
    row_counts: dict[str, int] | None = None,
    *,
    rows_of: RowsOf | None = None,
    distinct: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, Any]:
    """Datasette 0.65.5 ``metadata.json`` content for ``package``.

    ``row_counts`` (table -> rows, e.g. ``build.json``'s ``rows``): tables larger than
    ``LARGE_TABLE_ROWS`` get no default facets; their facets are offered as one-click links
    (plugin configuration ``facet_links``) instead. ``rows_of`` reads a table's rows (the
    source documents' table; default: its CSV file); ``distinct`` (table -> column ->
    distinct values) lets undeclared packages get facets on low-cardinality columns.
    Raises ``ValueError`` for a declaration the site cannot use.
    """
    row_counts = row_counts or {}
    site = parse_site(package.declarations)
    resources = table_resources(package)
    displays = table_displays(package, distinct, row_counts)
    documents = site_documents(package, rows_of)
    quotes = quote_fields(package.declarations, _resource_map(package),
                          {r.name: r.field_names for r in resources})
    lic = _first(package.licenses)
    src = _first(package.sources)
    title = package.title or package.name
    description = package.description or ""
    tables = {
        r.name: table_metadata(r, displays[r.name], row_counts.get(r.name))
        for r in resources
    }
    facet_links = {
        r.name: displays[r.name].facets
        for r in resources
        if displays[r.name].facets and "facets" not in tables[r.name]
    }
    tables["_data_dictionary"] = {
        "title": "Data dictionary",
        "description": "Every column of every table: type, whether required, constraints, "
        "unit and description, taken from the package's Table Schemas.",
        "sort": "table",
        "facets": ["table"],
    }
    tables["_build"] = {
        "title": "Build record",
        "description": "How this database was built: one row per table with its row count and "
        "the hashes of its primary keys and of its whole rows (the same in the CSV, DuckDB, "
        "SQLite and Parquet copies, checked by the build), the package's name and version and "
        "the versions of the tools that wrote it.",
        "columns": {
            "table_name": "The table this row describes",
            "row_count": "Rows in the table",
            "primary_key_hash": "Order-independent hash of the table's primary keys",
            "content_hash": "Order-independent hash of the table's whole rows",
            "package_name": "Name of the data package",
            "package_version": "Version of the data package",
            "tool_versions": "Versions of semicon-nl, DuckDB, SQLite, pyarrow and Python "
            "(JSON)",
        },
    }
    db: dict[str, Any] = {
        "title": title,
        "description": description,
        "tables": tables,
        "queries": canned_queries(site),
    }
    meta: dict[str, Any] = {
        "title": title,
        "description": description,
        "license": lic.get("title") or lic.get("name") or "",
        "license_url": lic.get("path") or "",
        "source": src.get("title") or src.get("name") or "",
        "source_url": _source_url(src, documents),
        "about": f"{package.name} {package.version or ''}".strip(),
        "about_url": package.homepage or (documents[0].url if documents else ""),
        "databases": {database_name(package): db},
        "plugins": {
            PLUGIN: {
                **site_plugin_config(package, site, displays, documents, quotes),
                **({"facet_links": facet_links} if facet_links else {}),
            }
        },
    }
    return {k: v for k, v in meta.items() if v != "" or k in ("title",)}


def sort_index_columns(package: Package) -> dict[str, list[str]]:
    """Columns the build should index because the metadata sorts tables by them by default.

    Without such an index every page and JSON request on a 1,000,000-row table sorts the
    whole table (measured: JSON API 0.6 req/s without, 241 req/s with).
    """
    out: dict[str, list[str]] = {}
    for table, display in table_displays(package).items():
        resource = package.resource(table)
        pk = resource.primary_key if resource is not None else []
        if display.sort and display.sort.field not in pk[:1]:
            out[table] = [display.sort.field]
    return out


def search_columns(package: Package) -> dict[str, list[str]]:
    """table -> the columns the build indexes for full-text search (declared or inferred)."""
    return {t: d.search for t, d in table_displays(package).items()}
