"""Canned Datasette queries, as the package declares them under ``semicon.site.queries``.

Each query has a name (its URL), a title, a description and its SQL (one string, or a list of
lines). A package that declares none has none: the site still offers every table, its facets,
search and the SQL editor.
"""

from __future__ import annotations

from semicon.build.site_declarations import SiteDeclarations


def canned_queries(site: SiteDeclarations) -> dict[str, dict[str, str]]:
    """Datasette ``queries`` metadata of the declared canned queries, in declaration order."""
    return {
        q.name: {"title": q.title, "description": q.description, "sql": q.sql}
        for q in site.queries
    }
