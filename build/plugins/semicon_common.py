"""Helpers shared by the semicon-nl site plugins (``semicon_*.py`` in ``--plugins-dir``).

No hooks here. The plugin modules load this file with their ``_load_common()`` (Datasette does
not put the plugins folder on ``sys.path``); it holds no state, only configuration look-ups.

Configured through ``metadata.json`` → ``plugins`` → ``semicon-site`` (written by
``semicon.build.datasette_metadata.build_metadata``).
"""

from __future__ import annotations

from pathlib import Path

PLUGIN = "semicon-site"


def config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def db_dirs(datasette) -> list[Path]:
    dirs = []
    for db in datasette.databases.values():
        if getattr(db, "path", None):
            dirs.append(Path(db.path).resolve().parent)
    return dirs
