"""The home page's "at a glance" section: the package's declared charts (Datasette plugin).

``semicon serve`` and ``semicon publish`` draw the charts of ``semicon.site.charts`` from
the served database into the ``semicon-site`` plugin configuration (``drawn_charts``; see
``semicon.build.charts``): here they are only handed to ``_semicon_glance.html``. Nothing
is drawn while the site runs and the page carries no script.
"""

from datasette import hookimpl


@hookimpl
def extra_template_vars(template, datasette):
    if template != "index.html":
        return None
    config = datasette.plugin_config("semicon-site") or {}
    return {"semicon_charts": config.get("drawn_charts") or []}
