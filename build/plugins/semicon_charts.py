"""The home page's "at a glance" section: the package's declared charts (Datasette plugin).

``semicon serve`` and ``semicon publish`` draw the charts of ``semicon.site.charts`` from
the served database into the ``semicon-site`` plugin configuration (``drawn_charts``; see
``semicon.build.charts``): here they are only handed to ``_semicon_glance.html``. Nothing
is drawn while the site runs and the page carries no script.
"""

import weakref

from datasette import hookimpl

#: Datasette -> the charts drawn into its ``semicon-site`` configuration, read once (the
#: metadata is fixed for the server's life; ``plugin_config`` walks all of it on each call)
_CHARTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@hookimpl
def extra_template_vars(template, datasette):
    if template != "index.html":
        return None
    if datasette not in _CHARTS:
        _CHARTS[datasette] = (datasette.plugin_config("semicon-site") or {}).get("drawn_charts")
    return {"semicon_charts": _CHARTS[datasette] or []}
