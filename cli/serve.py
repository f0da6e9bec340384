"""`semicon serve` and `semicon publish`: the Datasette site over the built SQLite file.

The site is Datasette 0.65.5 run immutable (``-i``) with the generated ``metadata.json``, the
templates, plugins and static files shipped in ``semicon.build``, and settings chosen for a
public, read-only site (see ``SETTINGS``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import semicon.build as _build_pkg
from semicon.build.datasette_metadata import build_metadata

SITE_DIR = Path(_build_pkg.__file__).resolve().parent
TEMPLATES_DIR = SITE_DIR / "templates"
PLUGINS_DIR = SITE_DIR / "plugins"
STATIC_DIR = SITE_DIR / "static"
DEFAULT_DESCRIPTOR = Path("datapackage") / "datapackage.json"

# Datasette settings for a public, read-only site. Each is a deliberate choice:
SETTINGS: dict[str, str] = {
    # A query (canned or typed by a visitor) may run at most 1 s: bounds the cost of any URL.
    "sql_time_limit_ms": "1000",
    # Datasette's default page cap; the JSON API pages through anything larger.
    "max_returned_rows": "1000",
    # Full-table CSV downloads stream (``_stream=on``) but stop at 50 MB per request.
    "allow_csv_stream": "on",
    "max_csv_mb": "50",
    # Facet suggestions run one GROUP BY per column on every table page: the main cost on
    # big tables (1.9 vs 48 req/s at 1M rows). Default facets come from metadata instead.
    "suggest_facets": "off",
    # Default facets are indexed GROUP BYs; 800 ms lets them finish on 1M rows.
    "facet_time_limit_ms": "800",
    # 50 rows a page renders in half the time of 100 and still fills a screen.
    "default_page_size": "50",
    # The data never changes while a process runs: let browsers and CDNs keep pages 5 min.
    "default_cache_ttl": "300",
    # No arbitrary-SQL page is hidden: it is read-only and time-limited like every query.
    "allow_download": "on",
}

# Distributions the published site needs (pinned to what is installed and tested here).
REQUIREMENTS = ("datasette", "datasette-search-all")


def datasette_settings_args() -> list[str]:
    args: list[str] = []
    for key, value in SETTINGS.items():
        args += ["--setting", key, value]
    return args


def datasette_args(
    db: Path,
    metadata: Path,
    *,
    templates: Path = TEMPLATES_DIR,
    plugins: Path = PLUGINS_DIR,
    static: Path = STATIC_DIR,
    inspect: Path | None = None,
    downloads: Path | None = None,
    sources: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8001,
) -> list[str]:
    """Arguments after ``datasette serve`` for the site."""
    args = [
        "-i",
        str(db),
        "--metadata",
        str(metadata),
        "--template-dir",
        str(templates),
        "--plugins-dir",
        str(plugins),
        "--static",
        f"site-static:{static}",
    ]
    if inspect is not None:
        # Row counts (and the file hash) computed once by ``datasette inspect``: no
        # ``count(*)`` for an unfiltered table page or the home page, at any size.
        args += ["--inspect-file", str(inspect)]
    if downloads is not None:
        args += ["--static", f"downloads:{downloads}"]
    if sources is not None and Path(sources).is_dir():
        args += ["--static", f"sources:{sources}"]
    args += datasette_settings_args()
    args += ["--cors", "--host", host, "--port", str(port)]
    return args


def datasette_command(*args: str) -> list[str]:
    """``datasette serve ...`` run with this interpreter's Datasette."""
    return [sys.executable, "-m", "datasette", "serve", *args]


def load_descriptor(descriptor_path: Path) -> dict[str, Any]:
    return json.loads(Path(descriptor_path).read_text(encoding="utf-8"))


def ensure_built(descriptor_path: Path, out: Path, *, force: bool = False) -> None:
    """Build the outputs unless they are up to date (``build_package`` decides)."""
    try:
        from semicon.build.pipeline import build_package
    except ImportError as exc:
        db = out / f"{load_descriptor(descriptor_path)['name']}.db"
        if db.is_file() and not force:
            return
        msg = f"cannot build: semicon.build.pipeline unavailable ({exc})"
        raise click.ClickException(msg) from exc
    build_package(descriptor_path, out, force=force, progress=False)


SITE_DIR_NAME = "site"


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_inspect_file(db: Path, target: Path) -> dict[str, Any]:
    """``datasette inspect`` of the immutable ``db`` into ``target`` (skipped when current).

    Datasette then takes table row counts from this file instead of running ``count(*)``
    (an unfiltered 1,000,000-row table page, the home page's table counts).
    """
    if target.is_file() and target.stat().st_mtime_ns >= db.stat().st_mtime_ns:
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            if all(v.get("size") == db.stat().st_size for v in data.values()):
                return data
        except (OSError, ValueError, AttributeError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    subprocess.run(
        [sys.executable, "-m", "datasette", "inspect", str(db), "--inspect-file", str(tmp)],
        check=True, capture_output=True,
    )
    os.replace(tmp, target)
    return json.loads(target.read_text(encoding="utf-8"))


def row_counts(inspect_data: dict[str, Any]) -> dict[str, int]:
    """table -> rows from ``datasette inspect`` data (one database)."""
    counts: dict[str, int] = {}
    for db in inspect_data.values():
        for table, info in (db.get("tables") or {}).items():
            if isinstance(info, dict) and isinstance(info.get("count"), int):
                counts[table] = info["count"]
    return counts


def site_metadata(descriptor_path: Path, counts: dict[str, int]) -> str:
    descriptor = load_descriptor(descriptor_path)
    meta = build_metadata(descriptor, descriptor_path.parent, row_counts=counts)
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def site_files(descriptor_path: Path, out: Path) -> tuple[Path, Path, Path]:
    """The SQLite file, the site's metadata and its ``datasette inspect`` file.

    Both are written to ``<out>/site/`` (only when they changed). The metadata is generated
    with the served file's row counts, so tables over ``LARGE_TABLE_ROWS`` rows get no
    default facets (see ``semicon.build.datasette_metadata``).
    """
    descriptor = load_descriptor(descriptor_path)
    db = out / f"{descriptor['name']}.db"
    if not db.is_file():
        raise click.ClickException(f"{db} is missing: run `semicon build` first")
    site = out / SITE_DIR_NAME
    inspect = site / "inspect-data.json"
    data = write_inspect_file(db, inspect)
    metadata = site / "metadata.json"
    _write_if_changed(metadata, site_metadata(descriptor_path, row_counts(data)))
    return db, metadata, inspect


def serve_args(descriptor_path: Path, out: Path, host: str, port: int) -> list[str]:
    db, metadata, inspect = site_files(descriptor_path, out)
    return datasette_args(
        db,
        metadata,
        inspect=inspect,
        downloads=out,
        sources=descriptor_path.parent / "sources",
        host=host,
        port=port,
    )


@click.command()
@click.option("--descriptor", type=click.Path(path_type=Path), default=DEFAULT_DESCRIPTOR,
              show_default=True, help="The data package descriptor.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Build output folder.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, type=int, show_default=True)
@click.option("--force-build", is_flag=True, help="Rebuild even if the outputs are up to date.")
def serve(descriptor: Path, out: Path, host: str, port: int, force_build: bool) -> None:
    """Build if needed, then serve the site with Datasette (immutable, read-only)."""
    ensure_built(descriptor, out, force=force_build)
    cmd = datasette_command(*serve_args(descriptor, out, host, port))
    click.echo("$ " + shlex.join(cmd), err=True)
    try:
        raise SystemExit(subprocess.call(cmd))
    except KeyboardInterrupt:
        raise SystemExit(130) from None


# --------------------------------------------------------------------------- publish

def requirements_txt() -> str:
    lines = [f"{name}=={version(name)}" for name in REQUIREMENTS]
    return "\n".join(lines) + "\n"


def start_args(db_name: str) -> list[str]:
    """``datasette serve`` arguments of the publish folder, relative to it."""
    args = datasette_args(
        Path(db_name),
        Path("metadata.json"),
        templates=Path("templates"),
        plugins=Path("plugins"),
        static=Path("static"),
        inspect=Path("inspect-data.json"),
        downloads=Path("downloads"),
        host="HOST",
        port=0,
    )
    args += ["--static", "sources:sources"]
    return args


def _start_sh(db_name: str) -> str:
    args = start_args(db_name)
    i = args.index("--host")
    fixed = shlex.join(args[:i])
    return (
        "#!/bin/sh\n"
        "# Start the semicon-nl site: needs only `pip install -r requirements.txt`.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        f'exec datasette serve {fixed} --host "${{HOST:-127.0.0.1}}" --port "${{PORT:-8001}}"\n'
    )


def _publish_readme(db_name: str, name: str) -> str:
    args = start_args(db_name)
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


def write_publish(descriptor_path: Path, out: Path) -> Path:
    """Write ``<out>/publish/``: a folder that runs the site with only its requirements."""
    descriptor = load_descriptor(descriptor_path)
    name = descriptor["name"]
    db, _, inspect = site_files(descriptor_path, out)
    target = out / "publish"
    tmp = out / ".publish.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    _copy(db, tmp / db.name)
    counts = row_counts(json.loads(inspect.read_text(encoding="utf-8")))
    (tmp / "metadata.json").write_text(site_metadata(descriptor_path, counts), "utf-8")
    _copy(inspect, tmp / "inspect-data.json")
    _copy(TEMPLATES_DIR, tmp / "templates")
    _copy(PLUGINS_DIR, tmp / "plugins")
    _copy(STATIC_DIR, tmp / "static")
    sources = descriptor_path.parent / "sources"
    if sources.is_dir():
        _copy(sources, tmp / "sources")
    downloads = tmp / "downloads"
    downloads.mkdir()
    for pattern in ("*.zip", "*.duckdb", "build.json", "metadata.json"):
        for p in out.glob(pattern):
            _copy(p, downloads / p.name)
    if (out / "parquet").is_dir():
        _copy(out / "parquet", downloads / "parquet")
    if (out / "build.json").is_file():
        _copy(out / "build.json", tmp / "build.json")
    try:
        os.link(tmp / db.name, downloads / db.name)
    except OSError:
        _copy(db, downloads / db.name)
    (tmp / "requirements.txt").write_text(requirements_txt(), "utf-8")
    start = tmp / "start.sh"
    start.write_text(_start_sh(db.name), "utf-8")
    start.chmod(0o755)
    (tmp / "README.md").write_text(_publish_readme(db.name, name), "utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return target


@click.command()
@click.option("--descriptor", type=click.Path(path_type=Path), default=DEFAULT_DESCRIPTOR,
              show_default=True, help="The data package descriptor.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Build output folder; the deploy folder is <out>/publish.")
@click.option("--force-build", is_flag=True, help="Rebuild even if the outputs are up to date.")
def publish(descriptor: Path, out: Path, force_build: bool) -> None:
    """Write a self-contained deploy folder <out>/publish (database, site, start.sh)."""
    ensure_built(descriptor, out, force=force_build)
    target = write_publish(descriptor, out)
    click.echo(f"wrote {target}; start it with {target / 'start.sh'}")
