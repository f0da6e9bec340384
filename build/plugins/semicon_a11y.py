"""Accessibility of Datasette's own pages (Datasette plugin, loaded with ``--plugins-dir``).

Datasette 0.65's templates leave a few WCAG 2.1 AA gaps: no ``lang`` on ``<html>``, form
controls without a name, no skip link, search results without the language of the
quotes they show. ``prepare_jinja2_environment`` wraps the template
loader so each gap is closed by one small, named edit of the template text as Datasette ships
it (``PATCHES``); a test checks that every edit still finds its place in the installed
templates. ``extra_css_urls`` adds the contrast and focus styles to every page.
"""

from __future__ import annotations

import weakref

from datasette import hookimpl
from jinja2 import BaseLoader, Environment

SKIP_LINK = '<a class="skip-link" href="#main-content">Skip to main content</a>\n'
SCROLLER = '<div class="table-wrapper">'
#: Datasette -> the cell languages of its ``semicon-site`` configuration, read once (the
#: metadata is fixed for the server's life; ``plugin_config`` walks all of it on each call)
_CELL_LANGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _named(tag: str, name: str) -> tuple[str, str]:
    """The edit giving form control ``tag`` (its opening tag as shipped) the name ``name``."""
    attribute = f' aria-label="{name}"'
    if tag.endswith(">"):
        return tag, tag[:-1] + attribute + ">"
    return tag, tag + attribute


CELL_LANG_JS = """var CELL_LANGS = {{ (semicon_cell_langs or {})|tojson }};
function cellLang(table, column) {
  var lang = (CELL_LANGS[table] || {})[column];
  return safe(lang ? ` lang="${htmlEscape(lang)}"` : "");
}"""

#: a results table scrolls sideways: keyboard users must be able to focus it to scroll
_SCROLLABLE = (SCROLLER, '<div class="table-wrapper" tabindex="0" role="region" aria-label="Rows">')
_SQL_EDITOR = _named('<textarea id="sql-editor" name="sql"', "SQL query")

#: template name -> (text as shipped, text served); applied to Datasette's and plugins' templates
PATCHES: dict[str, list[tuple[str, str]]] = {
    "base.html": [
        ("<html>", '<html lang="en">'),
        ('<div class="not-footer">', SKIP_LINK + '<div class="not-footer">'),
        ('<section class="content">',
         '<section class="content" id="main-content" tabindex="-1">'),
    ],
    "table.html": [
        _named('<select name="_filter_column_{{ loop.index }}">', "Filter {{ loop.index }} column"),
        _named('<select name="_filter_op_{{ loop.index }}">', "Filter {{ loop.index }} operator"),
        _named('class="filter-value" value="{{ value }}">', "Filter {{ loop.index }} value"),
        _named('<select name="_filter_column">', "New filter: column"),
        _named('<select name="_filter_op">', "New filter: operator"),
        _named('name="_filter_value" class="filter-value">', "New filter: value"),
        _named('<select name="_sort" id="sort_by">', "Sort by"),
    ],
    "_table.html": [_SCROLLABLE],
    "query.html": [_SQL_EDITOR, _SCROLLABLE],
    "database.html": [_SQL_EDITOR],
    "_codemirror_foot.html": [
        ('mode: "text/x-sql",', 'mode: "text/x-sql",\n          screenReaderLabel: "SQL query",'),
    ],
    "search_all.html": [
        _named('id="search-all-q">', "Search all tables"),
        # search results are drawn by script: quotes of a source document keep its language
        ("var NUM_RESULTS = 5;", "var NUM_RESULTS = 5;\n" + CELL_LANG_JS),
        ("autoescape`<td>${displayCell(row[column])}</td>`",
         "autoescape`<td${cellLang(table, column)}>${displayCell(row[column])}</td>`"),
    ],
}


def patch(name: str, source: str) -> str:
    """``source`` of template ``name`` with this module's edits applied where they match."""
    for old, new in PATCHES.get(name.removeprefix("default:"), []):
        source = source.replace(old, new)
    return source


class PatchingLoader(BaseLoader):
    """A Jinja loader serving another loader's templates with :data:`PATCHES` applied."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        return patch(template, source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    if not isinstance(env.loader, PatchingLoader):
        env.loader = PatchingLoader(env.loader)
        if env.cache is not None:
            env.cache.clear()


def cell_langs(config: dict) -> dict[str, dict[str, str]]:
    """Table -> column -> language of its text, where it is not the site's.

    ``config`` is the ``semicon-site`` plugin configuration the build writes: columns declared
    in another language (``langs``), and quoting columns where every document they may quote
    shares one language.
    """
    out = {table: dict(cols) for table, cols in (config.get("langs") or {}).items()}
    langs = {d.get("lang") for d in config.get("documents") or []}
    if len(langs) == 1 and None not in langs and "" not in langs:
        lang = langs.pop()
        for table, spec in (config.get("quotes") or {}).items():
            if spec.get("quote"):
                out.setdefault(table, {})[spec["quote"]] = lang
    return out


@hookimpl
def extra_template_vars(template, datasette) -> dict:
    if template != "search_all.html":
        return {}
    if datasette not in _CELL_LANGS:
        _CELL_LANGS[datasette] = cell_langs(datasette.plugin_config("semicon-site") or {})
    return {"semicon_cell_langs": _CELL_LANGS[datasette]}


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/site-static/a11y.css"]
