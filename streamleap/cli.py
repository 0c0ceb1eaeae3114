"""The streamleap command line: plan, init, generate (and demo)."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from streamleap import __version__
from streamleap.errors import StreamleapError
from streamleap.schema import DIALECTS, SourceTable

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    # Text, not markup: the message quotes user names and types, which may contain [brackets]
    err_console.print(Text.assemble(("Error:", "bold red"), " ", message))
    sys.exit(1)


def handle_errors(fn):
    """One line and exit 1 for anything a user can cause; the traceback only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return fn(*args, **kwargs)
        except StreamleapError as exc:
            if debug:
                raise
            _fail(str(exc))
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if debug:
                raise
            _fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (run with --debug for the traceback)")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="streamleap")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Mirror MySQL and Postgres tables into Amazon Redshift within seconds."""


def source_options(fn):
    options = [
        click.option("--ddl", "ddl", type=click.Path(dir_okay=False, path_type=Path), help="A file of CREATE TABLE statements."),
        click.option("--dialect", type=click.Choice(DIALECTS), help="The DDL's SQL dialect."),
        click.option("--source-url", help="A live database: mysql://user:pass@host:port/db or postgresql://user:pass@host:port/db[?schema=s]."),
        click.option("--tables", help="Comma-separated table names, optionally schema-qualified (public.cart). Default: all."),
        click.option("--key", "keys", multiple=True, help="TABLE=COL[,COL]: the key of a table without a primary key (repeatable)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def load_tables(ddl: Path | None, dialect: str | None, source_url: str | None, tables: str | None) -> list[SourceTable]:
    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    if ddl and source_url:
        raise StreamleapError("give either --ddl FILE --dialect D or --source-url URL, not both")
    if source_url:
        from streamleap.introspect import read_source

        _, found = read_source(source_url, names)
        return found
    if not ddl:
        raise StreamleapError("no source schema: give --ddl FILE --dialect {mysql,postgres} or --source-url URL")
    if not dialect:
        raise StreamleapError(f"--ddl {ddl}: say which SQL it is with --dialect mysql or --dialect postgres")
    if not ddl.is_file():
        raise StreamleapError(f"--ddl {ddl}: no such file")
    from streamleap.ddl import parse_ddl, select_tables

    try:
        text = ddl.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StreamleapError(f"--ddl {ddl}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    return select_tables(parse_ddl(text, dialect, str(ddl)), names)


def _plan(ddl, dialect, source_url, tables, keys):
    from streamleap.plan import parse_keys, plan_tables

    return plan_tables(load_tables(ddl, dialect, source_url, tables), parse_keys(keys))


@main.command()
@source_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def plan(ddl, dialect, source_url, tables, keys, as_json):
    """Show the mirror design for each table, creating nothing."""
    planned = _plan(ddl, dialect, source_url, tables, keys)
    if as_json:
        click.echo(json.dumps({"tables": [t.to_json() for t in planned]}, ensure_ascii=False, indent=2))
        return
    for t in planned:
        # Text, not markup: names and types are shown exactly as the source has them ([x] included)
        table = Table(title=Text(f"{t.source.qualified_name} -> mirror model {t.model_name}  (key: {', '.join(t.primary_key)})"),
                      title_justify="left", show_lines=False)
        for col in ("column", "source type", "Redshift type", "nullable", "note"):
            table.add_column(col)
        for c in t.columns:
            table.add_row(*(Text(v) for v in (c.name, c.source_type, c.target.redshift, "yes" if c.nullable else "no", c.target.note)))
        console.print(table)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-deps", is_flag=True, help="Do not run `dbt deps` after scaffolding.")
@handle_errors
def init(directory: Path, no_deps: bool):
    """Scaffold a dbt project wired to the streamleap dbt package."""
    from streamleap.project import init_project

    written = init_project(directory)
    for path in written:
        console.print(f"created {path}")
    if not no_deps:
        from streamleap.dbt import run_dbt

        run_dbt(["deps"], directory)
    console.print(f"dbt project ready in {directory} (targets: local DuckDB, postgres, redshift). "
                  f"Next: streamleap generate --project-dir {directory} --stream NAME --ddl FILE --dialect D")


@main.command()
@source_options
@click.option("--project-dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="The dbt project (made by streamleap init).")
@click.option("--stream", required=True, help="The Kinesis stream DMS writes to.")
@click.option("--stream-schema", default="kinesis", show_default=True, help="The external schema (local: the stand-in schema).")
@handle_errors
def generate(ddl, dialect, source_url, tables, keys, project_dir, stream, stream_schema):
    """Add the stream's staging view and a mirror model (with docs and tests) per table."""
    from streamleap.project import generate_models

    planned = _plan(ddl, dialect, source_url, tables, keys)
    written = generate_models(project_dir, planned, stream, stream_schema)
    for path in written:
        console.print(f"wrote {path}")
    if not written:
        console.print("models already up to date")
    console.print(f"{len(planned)} mirror model(s) for stream {stream}: {', '.join(t.model_name for t in planned)}")


@main.command()
@handle_errors
def demo():
    """The whole pipeline on the embedded default (not yet: arrives with the local pipeline)."""
    console.print("streamleap demo: not yet. The local pipeline (Kinesis stand-in, runner, shop workload) is the next "
                  "issue. Today: `make test` exercises the mirror on DuckDB and Postgres; see README.")
