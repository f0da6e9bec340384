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
    row_counts,
    site_files,
    site_metadata,
    write_downloads,
)
from semicon.schemas import formulas
from semicon.schemas.model import Package, as_package

SERVER_MODULE = Path(__file__).with_name("server.py")
FORMULAS_MODULE = Path(formulas.__file__)


def requirements_txt() -> str:
    lines = [f"{name}=={version(name)}" for name in REQUIREMENTS]
    return "\n".join(lines) + "\n"


#: the server launcher and the formula-cell definition the plugins load, in the folder
SERVER_FILE = "server.py"
FORMULAS_PLUGIN = "semicon_formulas.py"


def start_args(db_name: str, documents: bool = True) -> list[str]:
    """``datasette serve`` arguments of the publish folder, relative to it (``documents``:
    whether it has a folder of source documents), without ``--host``/``--port``
    (``start.sh`` adds them from ``HOST`` and ``PORT``)."""
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
    return args[: args.index("--host")]


def _start_sh(db_name: str, documents: bool) -> str:
    fixed = shlex.join(start_args(db_name, documents))
    return (
        "#!/bin/sh\n"
        "# Start the semicon-nl site: needs only `pip install -r requirements.txt`.\n"
        "# FORWARDED_ALLOW_IPS=<proxy address> trusts that proxy's X-Forwarded-* headers.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        f'exec "${{PYTHON:-python3}}" {SERVER_FILE} {fixed} '
        '--host "${HOST:-127.0.0.1}" --port "${PORT:-8001}"\n'
    )


#: the container image of the folder (any host that builds a Dockerfile)
DOCKERFILE = """\
FROM python:3.11-slim
WORKDIR /site
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["./start.sh"]
"""


def _publish_readme(db_name: str, name: str, documents: bool) -> str:
    args = start_args(db_name, documents)
    return f"""# {name}: deployable Datasette site

Everything the site needs is in this folder. Run it anywhere with Python 3.11+:

```sh
python -m venv venv && . venv/bin/activate
pip install -r requirements.txt
./start.sh                      # HOST=0.0.0.0 PORT=8080 ./start.sh to expose it
```

`start.sh` runs exactly (`server.py` is `datasette serve` under uvicorn settings for a public
site: header deadline, connection limit, proxy headers ignored unless trusted):

```sh
python3 {SERVER_FILE} {shlex.join(args)} --host 127.0.0.1 --port 8001
```

## Behind a proxy

A proxy that terminates HTTPS tells the site the original scheme and client in
`X-Forwarded-Proto`/`X-Forwarded-For`. The site believes them only from the addresses in
`FORWARDED_ALLOW_IPS` (comma-separated; `*` for any, only when nothing but the proxy can reach
the site); unset, they are ignored and absolute URLs say `http://`.

```sh
FORWARDED_ALLOW_IPS=10.0.0.2 HOST=0.0.0.0 ./start.sh
```

## Deploy

The `Dockerfile` runs `start.sh` on port 8080 (or the platform's `PORT`). Google Cloud Run and
Fly.io reach the container only through their HTTPS proxy, so both trust it:

```sh
gcloud run deploy {name} --source . --allow-unauthenticated \\
  --set-env-vars FORWARDED_ALLOW_IPS='*'
fly launch --name {name} --internal-port 8080 --no-deploy
fly deploy --env FORWARDED_ALLOW_IPS='*'
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
    _copy(SERVER_MODULE, tmp / SERVER_FILE)
    _copy(FORMULAS_MODULE, tmp / "plugins" / FORMULAS_PLUGIN)
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
    (tmp / "Dockerfile").write_text(DOCKERFILE, "utf-8")
    (tmp / "README.md").write_text(_publish_readme(db.name, name, documents.is_dir()), "utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return target
