"""The `streamleap` command: its group, and every command added to it from its own module."""

from __future__ import annotations

import click

from streamleap import __version__
from streamleap.cli.aws import aws
from streamleap.cli.capture import capture, kinesis_local, resync
from streamleap.cli.common import console, err_console
from streamleap.cli.demo import demo
from streamleap.cli.pipeline import prune, run, status
from streamleap.cli.project import generate, init, plan
from streamleap.cli.sources import check_source


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="streamleap")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Mirror MySQL and Postgres tables into Amazon Redshift within seconds."""
    _size_consoles()


def _size_consoles() -> None:
    """COLUMNS / LINES as they are when the command starts (rich reads them when the console is
    made, at import, and a dumb terminal would otherwise be 80 columns wide)."""
    import os

    columns, lines = os.environ.get("COLUMNS", ""), os.environ.get("LINES", "")
    if columns.isdigit() and lines.isdigit():
        for c in (console, err_console):
            c.size = (int(columns), int(lines))


for command in (plan, init, generate, check_source, run, status, prune, capture, resync, kinesis_local, demo, aws):
    main.add_command(command)
