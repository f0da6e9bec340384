"""The home page's machine-readable description (Datasette plugin, ``--plugins-dir``).

``semicon package`` writes ``dataset.jsonld`` (a schema.org ``Dataset``) and the DCAT
catalogue (``catalog.ttl``, ``catalog.jsonld``) beside the release zip; the site serves
them under ``/downloads/``. This plugin puts the ``Dataset`` into the home page as a
``<script type="application/ld+json">`` block for dataset search engines, and gives the
catalogue's links for ``<link rel="alternate">``. It reads files only: the deploy folder
runs it with nothing but Datasette installed.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from datasette import hookimpl
from markupsafe import Markup

SCHEMA_ORG = "dataset.jsonld"
CATALOG = (("catalog.ttl", "text/turtle"), ("catalog.jsonld", "application/ld+json"))


def _downloads(datasette) -> Path | None:
    return next((Path(d) for m, d in datasette.static_mounts if m == "downloads"), None)


def script_tag(text: str) -> Markup:
    """The JSON-LD re-serialised inside a script element, ``<``, ``>`` and ``&`` escaped."""
    data = json.loads(text)
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{body}\n</script>')


def catalog_head(datasette) -> dict:
    """``semicon_dataset_jsonld`` and ``semicon_catalog_links`` (read once per process)."""
    cached = getattr(datasette, "_semicon_catalog", None)
    if cached is not None:
        return cached
    root = _downloads(datasette)
    found: dict = {"semicon_dataset_jsonld": "", "semicon_catalog_links": []}
    if root is not None:
        with contextlib.suppress(OSError, ValueError):  # no release written yet
            found["semicon_dataset_jsonld"] = script_tag(
                (root / SCHEMA_ORG).read_text(encoding="utf-8"))
        found["semicon_catalog_links"] = [
            {"href": f"/downloads/{name}", "type": kind}
            for name, kind in CATALOG if (root / name).is_file()
        ]
    datasette._semicon_catalog = found
    return found


@hookimpl
def extra_template_vars(template, datasette):
    if template != "index.html":
        return None
    return catalog_head(datasette)
