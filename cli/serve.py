"""`semicon serve` and `semicon publish`: the Datasette site over the built SQLite file."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click
from semicon.build.manifest import MANIFEST_NAME
from semicon.build.publish import write_publish
from semicon.build.release import make_release, release_filename
from semicon.build.server import PortInUse, bind, server_command
from semicon.build.site import serve_args
from semicon.cli.build import run_build
from semicon.cli.options import debug_option, out_option, package_argument
from semicon.schemas.errors import SemiconError
from semicon.schemas.model import Package, load_package

force_option = click.option(
    "--force", is_flag=True, help="Rebuild even when the outputs are up to date."
)


def prepare(source: Path, out_dir: Path, force: bool) -> Package:
    """Build when stale and write the release zip the site links; return the package."""
    package = load_package(source)
    run_build(package, out_dir, force=force, progress=sys.stderr.isatty())
    zip_path = out_dir / release_filename(package)
    manifest = out_dir / MANIFEST_NAME
    if zip_path.is_file() and zip_path.stat().st_mtime_ns >= manifest.stat().st_mtime_ns:
        return package  # the zip already holds this build: don't compress it again
    make_release(package, out_dir, build_dir=out_dir)
    return package


@click.command()
@package_argument
@out_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, type=click.IntRange(0, 65535), show_default=True,
              help="Port to listen on.")
@click.option("--forwarded-allow-ips", metavar="IPS", envvar="FORWARDED_ALLOW_IPS",
              help="Trust X-Forwarded-Proto/-For only from these comma-separated proxy "
              "addresses ('*': any); by default they are ignored.")
@force_option
@debug_option
def serve(package: Path, out_dir: Path, host: str, port: int, forwarded_allow_ips: str | None,
          force: bool) -> None:
    """Build PACKAGE if needed, then serve the site with Datasette (immutable, read-only).

    The outputs in --out are rebuilt only when the package changed; the release zip is
    written beside them so the home page links every download. Stop with Ctrl+C.

    \b
    Examples:
      semicon serve                      # http://127.0.0.1:8001/
      semicon serve --host 0.0.0.0 --port 8080
      semicon serve --host 0.0.0.0 --forwarded-allow-ips 10.0.0.2   # behind a proxy

    \b
    Exit codes: 1 invalid package, 2 unusable input (the port is taken, the package
    cannot be read), 130 stopped with Ctrl+C (SIGINT); SIGTERM shuts the server down
    and ends it by that signal (a shell reports 143).
    """
    try:  # before building: a taken port is known at once
        bind(host, port).close()
    except PortInUse as exc:
        raise SemiconError(str(exc)) from None
    parsed = prepare(package, out_dir, force)
    cmd = server_command(*serve_args(parsed, out_dir, host, port))
    if forwarded_allow_ips:
        os.environ["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    else:
        os.environ.pop("FORWARDED_ALLOW_IPS", None)
    click.echo("$ " + shlex.join(cmd), err=True)
    sys.stderr.flush()
    # Become the server process: signals (Ctrl+C, a supervisor's SIGTERM) reach it directly.
    os.execv(cmd[0], cmd)


@click.command()
@package_argument
@out_option()
@force_option
@debug_option
def publish(package: Path, out_dir: Path, force: bool) -> None:
    """Write a self-contained deploy folder OUT/publish for PACKAGE's site.

    It holds the database, metadata, templates, plugins, static files, the downloads, a
    requirements.txt pinning Datasette and its plugins, start.sh and a README with the
    `datasette publish` commands for hosting services.

    \b
    Example:
      semicon publish && dist/publish/start.sh
    """
    parsed = prepare(package, out_dir, force)
    try:
        target = write_publish(parsed, out_dir)
    except OSError as exc:
        raise SemiconError(str(exc), exit_code=1) from exc
    click.echo(f"wrote {target}; start it with {target / 'start.sh'}")
