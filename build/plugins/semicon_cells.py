"""Table cells of the site (Datasette plugin, loaded with ``--plugins-dir``).

``render_cell``, driven by the ``semicon-site`` plugin configuration the build writes from the
package's declarations:

- a field that quotes a source document (``quotes``) links to that passage on the document's
  reading page (``semicon_pages.py``);
- a column whose text is in another language than the site's (``langs``) says so
  (``lang``), for screen readers;
- a declared amount (``amounts``) is shown with thousands separators and its currency, taken
  from a column of the same row or a fixed code (never converted).

Views and query results have no table of their own: there a column is treated the way the
tables that have it declare it.
"""

from __future__ import annotations

import weakref
from urllib.parse import quote as urlquote

from datasette import hookimpl
from markupsafe import Markup

QUOTE_CHARS = 600  # of a quote put in a link (the page matches its words, not all of it)
#: Datasette -> its ``semicon-site`` plugin configuration, read once: the metadata is fixed
#: for the server's life, and each ``plugin_config`` call walks the whole configuration
#: (it holds the drawn charts) to resolve ``$env``/``$file`` secrets
_SITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _config(datasette) -> dict:
    """The site's plugin configuration (``semicon-site`` in ``metadata.json``)."""
    if datasette not in _SITE:
        _SITE[datasette] = datasette.plugin_config("semicon-site") or {}
    return _SITE[datasette]


def format_amount(value, currency) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        return f"{number} {currency}".strip() if currency else number
    return str(value)


def _per_column(by_table: dict, table: str | None, column: str):
    """The declaration of ``column`` in ``table``, else in any table that declares it."""
    if table in by_table:
        return by_table[table].get(column)
    for columns in by_table.values():
        if column in columns:
            return columns[column]
    return None


def _cell(row, name):
    """A cell's value; a foreign key Datasette expanded to its label gives its value."""
    try:
        value = row[name]
    except (KeyError, IndexError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def quote_link(cfg: dict, row, table: str | None, column: str) -> dict | None:
    """The document a quoting cell quotes, if it has a reading page (``None`` otherwise)."""
    quotes = cfg.get("quotes") or {}
    spec = quotes.get(table) if table in quotes else next(
        (q for q in quotes.values() if q.get("quote") == column), None)
    if not spec or spec.get("quote") != column:
        return None
    documents = cfg.get("documents") or []
    source = _cell(row, spec.get("source", ""))
    if source is not None:
        return next((d for d in documents if d.get("id") == str(source)), None)
    # a query result without the source column: the one document, if there is only one
    return documents[0] if len(documents) == 1 else None


def quoted(cfg: dict, row, table: str | None, column: str, value: str) -> Markup | None:
    """A quote linked to its passage on its document's reading page, in its language."""
    doc = quote_link(cfg, row, table, column)
    if doc is None:
        return None
    href = doc["url"] + "?quote=" + urlquote(value[:QUOTE_CHARS]) + "#quote"
    return Markup(
        '<q class="source-quote"{}>{}</q> <a class="source-link" href="{}">'
        "in the {}&nbsp;&rarr;</a>"
    ).format(Markup(' lang="{}"').format(doc["lang"]) if doc.get("lang") else "", value,
             href, (doc.get("label") or "source document").lower())


def in_language(cfg: dict, table: str | None, column: str, value: str) -> Markup | None:
    """Text of a column declared to be in another language, marked with that language."""
    lang = _per_column(cfg.get("langs") or {}, table, column)
    return Markup('<span lang="{}">{}</span>').format(lang, value) if lang else None


def amount(cfg: dict, row, table: str | None, column: str, value) -> Markup | None:
    """A declared amount with thousands separators and its currency."""
    currency = _per_column(cfg.get("amounts") or {}, table, column)
    if currency is None or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    code = _cell(row, currency["field"]) if currency.get("field") else currency.get("code")
    return Markup('<span class="amount" data-value="{}">{}</span>').format(
        value, format_amount(value, code)
    )


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    cfg = _config(datasette)
    if isinstance(value, str):
        if not value:
            return None
        return quoted(cfg, row, table, column, value) or in_language(cfg, table, column, value)
    return amount(cfg, row, table, column, value)
