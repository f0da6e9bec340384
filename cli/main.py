"""The `semicon` command group: each command lives in a module of its own."""

from importlib.metadata import version

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("semicon-nl"), "--version", prog_name="semicon")
def cli() -> None:
    """Validate, build and publish the semicon-nl data package.

    The bundled package lives in datapackage/; outputs go to dist/.
    """


from semicon.cli.sync import sync  # noqa: E402

cli.add_command(sync)

from semicon.cli.package import package  # noqa: E402

cli.add_command(package)

from semicon.cli.diff import diff  # noqa: E402

cli.add_command(diff)

from semicon.cli.build import build  # noqa: E402

cli.add_command(build)

from semicon.cli.validate import validate  # noqa: E402

cli.add_command(validate)
