"""Datasette 0.65.5 metadata generated from the data package descriptor and its Table Schemas.

Nothing here is templated: every title, description, column description, facet, sort order,
label column and full-text search setting is derived from the descriptor, so the site can never
drift from the package. ``build_metadata`` is called by the build (``metadata.json``) and by
``semicon serve``/``semicon publish``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from semicon.build.canned_queries import canned_queries

# A table's FTS index is named the way sqlite-utils' ``enable_fts`` names it.
FTS_SUFFIX = "_fts"
# At most this many default facets per table: each is a GROUP BY on every page view.
MAX_FACETS = 3
# Tables with more rows than this get no *default* facets: every view of the table page would
# run one GROUP BY over the whole table per facet (~50 ms each at 1,000,000 rows, indexed).
# Their facets stay one click away (``?_facet=<column>``, linked from the home and table
# pages) and cost one indexed GROUP BY only when asked for.
LARGE_TABLE_ROWS = 100_000
# Enum fields with more values than this make poor facets.
MAX_FACET_VALUES = 25
LABEL_CANDIDATES = ("title", "name", "label", "country_name")


def _schema(resource: dict[str, Any], package_dir: Path) -> dict[str, Any]:
    schema = resource.get("schema") or {}
    if isinstance(schema, str):
        schema = json.loads((Path(package_dir) / schema).read_text(encoding="utf-8"))
    return schema


def table_resources(descriptor: dict[str, Any], package_dir: Path | None = None) -> list[
    tuple[str, dict[str, Any], dict[str, Any]]
]:
    """``(table, resource, schema)`` for every tabular resource, in descriptor order."""
    out = []
    for res in descriptor.get("resources", []):
        schema = _schema(res, Path(package_dir or "."))
        if not schema.get("fields"):
            continue
        out.append((res["name"], res, schema))
    return out


def primary_key(schema: dict[str, Any]) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def foreign_keys(schema: dict[str, Any], table: str) -> list[tuple[str, str, str]]:
    """``(column, other_table, other_column)`` for single-column foreign keys."""
    out = []
    for fk in schema.get("foreignKeys") or []:
        fields = fk.get("fields")
        ref = fk.get("reference") or {}
        ref_fields = ref.get("fields")
        fields = [fields] if isinstance(fields, str) else list(fields or [])
        ref_fields = [ref_fields] if isinstance(ref_fields, str) else list(ref_fields or [])
        if len(fields) != 1 or len(ref_fields) != 1:
            continue
        # Table Schema v1 uses "" for a self reference; v2 omits ``resource``.
        other = ref.get("resource") or table
        out.append((fields[0], other, ref_fields[0]))
    return out


def label_column(schema: dict[str, Any]) -> str | None:
    """The human-readable column of a table (``title``/``name``…), if any."""
    names = [f["name"] for f in schema["fields"]]
    for cand in LABEL_CANDIDATES:
        if cand in names:
            return cand
    pk = set(primary_key(schema))
    for f in schema["fields"]:
        if f.get("type", "string") == "string" and f["name"] not in pk and not f.get(
            "constraints", {}
        ).get("enum"):
            return f["name"]
    return None


# Same rule as ``semicon.build.sqlite_db.fts_columns`` (used when that module imports).
_FTS_WORDS = ("name", "title", "purpose", "description", "focus", "partner", "funder",
              "recipient", "source_quote")


def fts_columns(table: str, schema: dict[str, Any]) -> list[str]:
    """The columns the build indexes in ``<table>_fts`` (``semicon.build.sqlite_db``)."""
    try:
        from semicon.build.package import Resource
        from semicon.build.sqlite_db import fts_columns as build_fts_columns
    except ImportError:
        pk = set(primary_key(schema))
        return [
            f["name"] for f in schema["fields"]
            if f.get("type", "string") == "string" and f["name"] not in pk
            and not (f.get("constraints") or {}).get("enum")
            and not (f.get("constraints") or {}).get("pattern")
            and any(w in f["name"] for w in _FTS_WORDS)
        ]
    return build_fts_columns(Resource(name=table, paths=[], schema=schema))


def _enum(field: dict[str, Any]) -> list[Any]:
    return list((field.get("constraints") or {}).get("enum") or [])


# Facets a reader of the letter asks for first, where the table has these columns.
FACET_HINTS: dict[str, list[str]] = {
    "funding_allocations": ["funder_country", "currency", "status"],
    "partnerships": ["partner_country", "kind"],
    "events": ["status", "date_precision"],
    "coalition_members": ["coalition_id", "role"],
}


def default_facets(table: str, schema: dict[str, Any]) -> list[str]:
    """Useful default facets: small enums first, then foreign keys other than the source."""
    names = {f["name"] for f in schema["fields"]}
    hinted = [c for c in FACET_HINTS.get(table, []) if c in names]
    if hinted:
        return hinted[:MAX_FACETS]
    facets: list[str] = []
    pk = set(primary_key(schema))
    for f in schema["fields"]:
        n = len(_enum(f))
        if 2 <= n <= MAX_FACET_VALUES and f["name"] not in pk:
            facets.append(f["name"])
    for col, other, _ in foreign_keys(schema, table):
        # Every row cites the letter: a source_id facet would show one value; a self
        # reference (parent_id) has as many values as parents.
        if other in ("sources",) or other == table or col in pk or col in facets:
            continue
        facets.append(col)
    # Country-like and currency columns are good facets even without an enum.
    for f in schema["fields"]:
        name = f["name"]
        if name in facets or name in pk:
            continue
        if name in ("currency", "funder_country", "partner_country", "country_code", "funder"):
            facets.append(name)
    return facets[:MAX_FACETS]


def default_sort(schema: dict[str, Any]) -> tuple[str, str] | None:
    """``("sort"|"sort_desc", column)``: amounts largest first, otherwise chronological."""
    names = {f["name"]: f for f in schema["fields"]}
    if "amount" in names:
        return ("sort_desc", "amount")
    for cand in ("date", "announced_on", "period_start_year"):
        if cand in names:
            return ("sort", cand)
    for f in schema["fields"]:
        if f.get("type") in ("date", "datetime"):
            return ("sort", f["name"])
    return None


def column_description(field: dict[str, Any]) -> str:
    """A field's description, with its unit and allowed values appended."""
    parts = [(field.get("description") or field.get("title") or "").strip()]
    unit = field.get("unit") or field.get("x-unit")
    if unit:
        parts.append(f"Unit: {unit}.")
    enum = _enum(field)
    if enum:
        parts.append("One of: " + ", ".join(str(v) for v in enum) + ".")
    if field.get("type") and field.get("type") != "string":
        parts.append(f"Type: {field['type']}.")
    return " ".join(p for p in parts if p)


def table_metadata(
    table: str,
    resource: dict[str, Any],
    schema: dict[str, Any],
    referenced: set[str],
    rows: int | None = None,
) -> dict[str, Any]:
    """One table's metadata; ``rows`` (if known) decides whether facets are on by default."""
    meta: dict[str, Any] = {
        "title": resource.get("title") or table.replace("_", " ").capitalize(),
        "description": resource.get("description") or schema.get("description") or "",
        "columns": {f["name"]: column_description(f) for f in schema["fields"]},
    }
    if table in referenced:
        label = label_column(schema)
        if label:
            meta["label_column"] = label
    facets = default_facets(table, schema)
    if facets and (rows is None or rows <= LARGE_TABLE_ROWS):
        meta["facets"] = facets
    sort = default_sort(schema)
    if sort:
        meta[sort[0]] = sort[1]
    if fts_columns(table, schema):
        meta["fts_table"] = table + FTS_SUFFIX
        meta["fts_pk"] = "rowid"
        meta["searchmode"] = "escaped"
    pk = primary_key(schema)
    if pk:
        meta["sortable_columns"] = [f["name"] for f in schema["fields"]]
    return meta


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return (items or [{}])[0]


def letter_source(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The descriptor's source entry for the letter (the first source with a path)."""
    for s in descriptor.get("sources") or []:
        if s.get("path"):
            return s
    return _first(descriptor.get("sources"))


def letter_row(descriptor: dict[str, Any], package_dir: Path) -> dict[str, str]:
    """The ``sources`` table row of the letter (the first row with a ``text_path``), if any."""
    for res in descriptor.get("resources", []):
        if res.get("name") != "sources" or not isinstance(res.get("path"), str):
            continue
        path = Path(package_dir) / res["path"]
        if not path.is_file():
            return {}
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row in rows:
            if row.get("text_path"):
                return row
        return rows[0] if rows else {}
    return {}


def site_plugin_config(descriptor: dict[str, Any], package_dir: Path) -> dict[str, Any]:
    """Configuration of the ``semicon-site`` plugin: letter and package facts for the pages."""
    row = letter_row(descriptor, package_dir)
    src = letter_source(descriptor)
    letter = {
        "source_id": row.get("source_id", ""),
        "title": row.get("title") or src.get("title", ""),
        "kind": row.get("kind", ""),
        "kenmerk": row.get("identifier", ""),
        "publisher": row.get("publisher", ""),
        "date": row.get("date") or row.get("published_year", ""),
        "url": next(
            (u for u in (row.get("url"), src.get("path")) if str(u or "").startswith("http")), ""
        ),
    }
    text_path = row.get("text_path") or ""
    if not text_path:
        found = sorted((Path(package_dir) / "sources").glob("*.txt"))
        text_path = f"sources/{found[0].name}" if found else ""
    package = {
        k: descriptor.get(k)
        for k in ("name", "title", "version", "created", "homepage", "keywords")
        if descriptor.get(k)
    }
    package["licenses"] = descriptor.get("licenses") or []
    package["contributors"] = descriptor.get("contributors") or []
    return {"letter_file": text_path, "letter": letter, "package": package}


def database_name(descriptor: dict[str, Any]) -> str:
    """Datasette's name for the database: the SQLite file stem, ``<package name>``."""
    return descriptor["name"]


def build_metadata(
    descriptor: dict[str, Any],
    package_dir: Path,
    row_counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Datasette 0.65.5 ``metadata.json`` content for the package at ``package_dir``.

    ``row_counts`` (table -> rows, e.g. ``build.json``'s ``rows``): tables larger than
    ``LARGE_TABLE_ROWS`` get no default facets; their facets are offered as one-click links
    (plugin configuration ``facet_links``) instead.
    """
    package_dir = Path(package_dir)
    row_counts = row_counts or {}
    resources = table_resources(descriptor, package_dir)
    referenced: set[str] = set()
    for table, _, schema in resources:
        for _, other, _ in foreign_keys(schema, table):
            referenced.add(other)
    lic = _first(descriptor.get("licenses"))
    src = letter_source(descriptor)
    version = descriptor.get("version", "")
    title = descriptor.get("title") or descriptor["name"]
    tables = {
        table: table_metadata(table, res, schema, referenced, row_counts.get(table))
        for table, res, schema in resources
    }
    facet_links = {
        table: default_facets(table, schema)
        for table, _, schema in resources
        if default_facets(table, schema) and "facets" not in tables[table]
    }
    tables["_data_dictionary"] = {
        "title": "Data dictionary",
        "description": "Every column of every table: type, whether required, constraints, "
        "unit and description, taken from the package's Table Schemas.",
        "sort": "table",
        "facets": ["table"],
    }
    db: dict[str, Any] = {
        "title": title,
        "description": descriptor.get("description", ""),
        "tables": tables,
        "queries": canned_queries({t for t, _, _ in resources}),
    }
    meta: dict[str, Any] = {
        "title": title,
        "description": descriptor.get("description", ""),
        "license": lic.get("title") or lic.get("name") or "",
        "license_url": lic.get("path") or "",
        "source": src.get("title") or "",
        # The letter is readable on the site itself; an http(s) original is linked there.
        "source_url": src["path"] if str(src.get("path", "")).startswith("http") else "/letter",
        "about": f"{descriptor['name']} {version}".strip(),
        "about_url": descriptor.get("homepage") or "/letter",
        "databases": {database_name(descriptor): db},
        "plugins": {
            "semicon-site": {
                **site_plugin_config(descriptor, package_dir),
                **({"facet_links": facet_links} if facet_links else {}),
            }
        },
    }
    return {k: v for k, v in meta.items() if v != "" or k in ("title",)}


def sort_index_columns(
    descriptor: dict[str, Any], package_dir: Path | None = None
) -> dict[str, list[str]]:
    """Columns the build should index because the metadata sorts tables by them by default.

    Without such an index every page and JSON request on a 1,000,000-row table sorts the
    whole table (measured: JSON API 0.6 req/s without, 241 req/s with).
    """
    out: dict[str, list[str]] = {}
    for table, _, schema in table_resources(descriptor, package_dir):
        sort = default_sort(schema)
        if sort and sort[1] not in primary_key(schema)[:1]:
            out[table] = [sort[1]]
    return out
