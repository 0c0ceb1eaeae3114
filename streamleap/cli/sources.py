"""`streamleap check-source` (also `streamleap aws check-source`): is a live source ready for change
capture, by AWS DMS or by `streamleap capture`?"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.text import Text

from streamleap.cli.common import console, handle_errors, names_option
from streamleap.errors import StreamleapError


@click.command("check-source")
@click.option("--source-url", required=True, envvar="STREAMLEAP_SOURCE_URL",
              help="mysql://user:pass@host:port/db or postgresql://user:pass@host:port/db")
@click.option("--config", "config_path", default="streamleap.yml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Tables come from here unless --tables is given.")
@click.option("--tables", help="Comma-separated schema.table names (default: tables: of the config, else every table, as capture reads).")
@click.option("--key", "keys", multiple=True, help="TABLE=COL[,COL]: the key of a table without a primary key (repeatable).")
@click.option("--exclude-tables", help="Comma-separated globs on table or schema.table to leave out (audit_*, public.tmp_*).")
@click.option("--exclude-columns", help="Comma-separated TABLE.COLUMN (or SCHEMA.TABLE.COLUMN, globs allowed) to leave out.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def check_source(source_url, config_path, tables, keys, exclude_tables, exclude_columns, as_json):
    """Check the source's CDC prerequisites (for AWS DMS and `streamleap capture`), and every table with the rules of `streamleap plan`."""
    from streamleap.model.mirror_plan import parse_column_exclusions, parse_keys
    from streamleap.sources.checks import check_source as run_checks, failed

    key_map = parse_keys(keys)  # input mistakes first, before connecting
    exclusions = parse_column_exclusions(exclude_columns)
    names = names_option("--tables", tables)
    if names is None and config_path.exists():
        from streamleap.aws.config import load_config

        names = list(load_config(config_path).tables)
    if names is not None and not names:
        raise StreamleapError("--tables: name at least one table")
    checks = run_checks(source_url, names, key_map, exclude_tables, exclusions)
    bad = failed(checks)
    if as_json:
        console.print_json(json.dumps({"ready": not bad, "checks": [c.to_json() for c in checks]}))
    else:
        for c in checks:
            if not c.ok:
                style = "red" if c.severity == "error" else "yellow"
                console.print(Text(c.line(), style=style))
        passed = sum(1 for c in checks if c.ok)
        console.print(f"{passed} of {len(checks)} checks passed" + (
            "" if bad else ": the source is ready for change capture"))
    if bad:
        raise SystemExit(1)
