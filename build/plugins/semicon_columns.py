"""Table pages show the data first: the column descriptions fold away (Datasette plugin).

Datasette 0.65 lists every column's description between a table's title and its rows. Here
the page gets the table's metadata without ``columns`` (so that list is not drawn) and the
descriptions as ``semicon_columns``, which ``table.html`` shows in a closed ``<details>``.
"""

from datasette import hookimpl


def table_metadata(datasette, database: str, table: str) -> dict:
    """The metadata Datasette gives a table page (inherited licence and source included)."""
    meta = dict(((datasette.metadata("databases") or {}).get(database) or {})
                .get("tables", {}).get(table) or {})
    datasette.update_with_inherited_metadata(meta)
    return meta


@hookimpl
def extra_template_vars(template, database, table, datasette):
    if template != "table.html" or not database or not table:
        return None
    meta = table_metadata(datasette, database, table)
    columns = meta.pop("columns", None)
    if not columns:
        return None
    return {"metadata": meta, "semicon_columns": columns}


@hookimpl
def extra_css_urls(template):
    if template == "table.html":
        return ["/site-static/tables.css"]
    return None
