"""`semicon publish`'s deploy folder: the site, runnable with only its requirements."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from importlib.metadata import version
from pathlib import Path

from semicon.build.site import (
    DOCUMENTS_DIR_NAME,
    DOWNLOADS_DIR_NAME,
    PLUGINS_DIR,
    REQUIREMENTS,
    SITE_DIR_NAME,
    STATIC_DIR,
    TEMPLATES_DIR,
    datasette_args,
    datasette_settings_args,
    row_counts,
    site_files,
    site_metadata,
    write_downloads,
)
from semicon.schemas.model import Package, as_package


def requirements_txt() -> str:
    lines = [f"{name}=={version(name)}" for name in REQUIREMENTS]
    return "\n".join(lines) + "\n"


def start_args(db_name: str, documents: bool = True) -> list[str]:
    """``datasette serve`` arguments of the publish folder, relative to it (``documents``:
    whether it has a folder of source documents)."""
    args = datasette_args(
        Path(db_name),
        Path("metadata.json"),
        templates=Path("templates"),
        plugins=Path("plugins"),
        static=Path("static"),
        inspect=Path("inspect-data.json"),
        downloads=Path(DOWNLOADS_DIR_NAME),
        documents=Path(DOCUMENTS_DIR_NAME) if documents else None,
        host="HOST",
        port=0,
    )
    return args


def _start_sh(db_name: str, documents: bool) -> str:
    args = start_args(db_name, documents)
    i = args.index("--host")
    fixed = shlex.join(args[:i])
    return (
        "#!/bin/sh\n"
        "# Start the semicon-nl site: needs only `pip install -r requirements.txt`.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        f'exec datasette serve {fixed} --host "${{HOST:-127.0.0.1}}" --port "${{PORT:-8001}}"\n'
    )


def _publish_readme(db_name: str, name: str, documents: bool) -> str:
    args = start_args(db_name, documents)
    i = args.index("--host")
    static = []
    for j, a in enumerate(args):
        if a == "--static":
            static += ["--static", args[j + 1]]
    settings = " ".join(shlex.quote(a) for a in datasette_settings_args())
    publish = shlex.join(
        ["datasette", "publish", "cloudrun", db_name, "--service", name,
         "--metadata", "metadata.json", "--template-dir", "templates",
         "--plugins-dir", "plugins", *static,
         "--install", f"datasette-search-all=={version('datasette-search-all')}",
         "--version-note", name]
    )
    fly = shlex.join(
        ["datasette", "publish", "fly", db_name, "--app", name,
         "--metadata", "metadata.json", "--template-dir", "templates",
         "--plugins-dir", "plugins", *static,
         "--install", f"datasette-search-all=={version('datasette-search-all')}"]
    )
    return f"""# {name}: deployable Datasette site

Everything the site needs is in this folder. Run it anywhere with Python 3.11+:

```sh
python -m venv venv && . venv/bin/activate
pip install -r requirements.txt
./start.sh                      # HOST=0.0.0.0 PORT=8080 ./start.sh to expose it
```

`start.sh` runs exactly:

```sh
datasette serve {shlex.join(args[:i])} --host 127.0.0.1 --port 8001
```

## Deploy with `datasette publish`

Google Cloud Run (`datasette publish` serves the database immutable):

```sh
{publish} \\
  --extra-options {shlex.quote(settings + " --cors")}
```

Fly.io (`pip install datasette-publish-fly`):

```sh
{fly} \\
  --extra-options {shlex.quote(settings + " --cors")}
```
"""


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copy2(src, dst)


def write_publish(source: Package | Path, out: Path) -> Path:
    """Write ``<out>/publish/``: a folder that runs the site with only its requirements."""
    package = as_package(source)
    name = package.name
    db, _, inspect = site_files(package, out)
    target = out / "publish"
    tmp = out / ".publish.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    _copy(db, tmp / db.name)
    counts = row_counts(json.loads(inspect.read_text(encoding="utf-8")))
    (tmp / "metadata.json").write_text(site_metadata(package, counts, db), "utf-8")
    _copy(inspect, tmp / "inspect-data.json")
    _copy(TEMPLATES_DIR, tmp / "templates")
    _copy(PLUGINS_DIR, tmp / "plugins")
    _copy(STATIC_DIR, tmp / "static")
    documents = out / SITE_DIR_NAME / DOCUMENTS_DIR_NAME
    if documents.is_dir():
        _copy(documents, tmp / DOCUMENTS_DIR_NAME)
    write_downloads(out, tmp / DOWNLOADS_DIR_NAME)
    if (out / "build.json").is_file():
        _copy(out / "build.json", tmp / "build.json")
    (tmp / "requirements.txt").write_text(requirements_txt(), "utf-8")
    start = tmp / "start.sh"
    start.write_text(_start_sh(db.name, documents.is_dir()), "utf-8")
    start.chmod(0o755)
    (tmp / "README.md").write_text(_publish_readme(db.name, name, documents.is_dir()), "utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return target
