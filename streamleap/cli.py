"""The streamleap command line: plan, init, generate (and demo)."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from streamleap import __version__
from streamleap.errors import StreamleapError
from streamleap.model.source_table import DIALECTS, SourceTable

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, secrets: set[str] | frozenset[str] = frozenset()) -> None:
    # Text, not markup: the message quotes user names and types, which may contain [brackets]
    from streamleap.masking import mask_text

    err_console.print(Text.assemble(("Error:", "bold red"), " ", mask_text(message, secrets)))
    sys.exit(1)


def _given_secrets(ctx: click.Context) -> set[str]:
    """The secret values in what the command was given (URLs, DSNs, from options or the
    environment), to be masked wherever a message or traceback quotes them."""
    from streamleap.masking import secrets_of

    found: set[str] = set()
    while ctx is not None:
        for value in ctx.params.values():
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, str):
                    found |= secrets_of(item)
        ctx = ctx.parent
    return found


def handle_errors(fn):
    """One line and exit 1 for anything a user can cause; the traceback only with --debug.
    Credentials of every URL or DSN are masked in both (``streamleap.masking``)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            secrets = _given_secrets(ctx)
            if debug:
                _print_traceback(exc, secrets)
            if isinstance(exc, StreamleapError):
                _fail(str(exc), secrets)
            _fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (run with --debug for the traceback)",
                  secrets)

    return wrapper


def _print_traceback(exc: BaseException, secrets: set[str]) -> None:
    """--debug: the traceback on stderr, masked like the error line."""
    import traceback

    from streamleap.masking import mask_text

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    sys.stderr.write(mask_text(text, secrets))
    sys.stderr.flush()


class OptionError(click.ClickException):
    """A bad option value found while the options are read (a click callback): one ``Error:``
    line naming the option and what to give, exit 1, like every other error."""

    def show(self, file=None) -> None:  # noqa: ARG002 - always the error console
        from streamleap.masking import mask_text

        err_console.print(Text.assemble(("Error:", "bold red"), " ", mask_text(self.message)))


def _kinesis_endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--kinesis-endpoint (or STREAMLEAP_KINESIS_ENDPOINT): an http(s) URL of a host, an
    optional port and path, and nothing else. Credentials never go in it (boto3 signs requests
    with the AWS credentials), so a URL with user info or parameters is refused, masked."""
    from urllib.parse import urlsplit

    from streamleap.masking import mask_url

    if value is None or value == "":
        return None
    shown = mask_url(value)
    expected = "give it as http://HOST:PORT or https://HOST[:PORT], e.g. http://127.0.0.1:4567 (what `streamleap kinesis-local` prints)"
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise OptionError(f"--kinesis-endpoint {shown!r}: not a URL (the port is not a number); {expected}") from None
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise OptionError(f"--kinesis-endpoint {shown!r}: credentials and parameters do not belong in the endpoint URL "
                          "(AWS credentials come from the environment or a profile); " + expected)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError(f"--kinesis-endpoint {shown!r}: not an http(s) URL of a host; {expected}")
    return value.strip()


def kinesis_endpoint_option(help: str):
    """The --kinesis-endpoint option of every command that has one: validated as it is read."""
    return click.option("--kinesis-endpoint", envvar="STREAMLEAP_KINESIS_ENDPOINT", callback=_kinesis_endpoint,
                        help=help + " Form: http://HOST:PORT or https://HOST[:PORT].")


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


def source_options(fn):
    options = [
        click.option("--ddl", "ddl", type=click.Path(dir_okay=False, path_type=Path),
                     help="A schema file: CREATE TABLE statements, or a whole pg_dump / mysqldump file."),
        click.option("--dialect", type=click.Choice(DIALECTS), help="The DDL's SQL dialect."),
        click.option("--source-url", help="A live database: mysql://user:pass@host:port/db or postgresql://user:pass@host:port/db[?schema=s]."),
        click.option("--source-schema", help="With --ddl: the schema (MySQL: the database) of the tables the file does not "
                     "place in one (no schema in the name, no USE / search_path before it). Default for Postgres: public; "
                     "MySQL files without USE need it."),
        click.option("--tables", help="Comma-separated table names, optionally schema-qualified (public.cart). Default: all."),
        click.option("--exclude-tables", help="Comma-separated globs on table or schema.table to leave out (audit_*,public.tmp_*)."),
        click.option("--exclude-columns",
                     help="Comma-separated table.column (globs allowed) to leave out of the mirrors, e.g. customer.email."),
        click.option("--key", "keys", multiple=True, help="TABLE=COL[,COL]: the key of a table without a primary key (repeatable)."),
        click.option("--verbose", "-v", is_flag=True, help="List every statement of the DDL file that was skipped."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@dataclass
class SourceSelection:
    """The tables a command works on, and what reading them said (for the summary line)."""

    tables: list[SourceTable]
    ddl: object = None  # streamleap.sources.ddl.DdlFile when read from a file
    problems: list = field(default_factory=list)  # tables of the file that cannot be read


def names_option(option: str, value: str | None) -> list[str] | None:
    """A comma-separated list option: None when not given; given but naming nothing (``,``, an
    empty string) is an error, never "everything"."""
    if value is None:
        return None
    names = [t.strip() for t in value.split(",") if t.strip()]
    if not names:
        raise StreamleapError(f"{option} {value!r} names nothing; give at least one name (or leave {option} out)")
    return names


def load_tables(ddl: Path | None, dialect: str | None, source_url: str | None, tables: str | None,
                exclude: str | None = None, source_schema: str | None = None) -> SourceSelection:
    from streamleap.model.mirror_plan import exclude_tables

    names = names_option("--tables", tables)
    names_option("--exclude-tables", exclude)
    if ddl and source_url:
        raise StreamleapError("give either --ddl FILE --dialect D or --source-url URL, not both")
    if source_url:
        if source_schema is not None:
            raise StreamleapError("--source-schema is for --ddl files; a --source-url names its schemas itself "
                                  "(Postgres: ?schema=NAME, MySQL: the URL's database)")
        from streamleap.sources.introspect import read_source

        _, found = read_source(source_url, names)
        return SourceSelection(exclude_tables(found, exclude))
    if not ddl:
        raise StreamleapError("no source schema: give --ddl FILE --dialect {mysql,postgres} or --source-url URL")
    if not dialect:
        raise StreamleapError(f"--ddl {ddl}: say which SQL it is with --dialect mysql or --dialect postgres")
    if source_schema is not None and not source_schema.strip():
        raise StreamleapError("--source-schema is empty; give the schema (MySQL: the database) the file's tables are in")
    if not ddl.is_file():
        raise StreamleapError(f"--ddl {ddl}: no such file")
    from streamleap.sources.ddl import read_ddl, select_tables

    try:
        text = ddl.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StreamleapError(f"--ddl {ddl}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
    except OSError as exc:
        raise StreamleapError(f"--ddl {ddl}: cannot read it ({exc.strerror or exc}); check the path and its permissions") from None
    result = read_ddl(text, dialect, str(ddl), source_schema.strip() if source_schema else None)
    problems = list(result.problems)
    if names is not None:
        wanted = [n for n in names if not any(n in (p.name, p.qualified_name) for p in problems)]
        problems = [p for p in problems if any(n in (p.name, p.qualified_name) for n in names)]
        chosen = select_tables(result.tables, wanted)
    else:
        chosen = result.tables
    if exclude:
        # the unreadable tables can be left out too: exclude over both, as one list
        unreadable = [SourceTable(p.schema, p.name, ()) for p in problems]
        kept = exclude_tables([*chosen, *unreadable], exclude)
        chosen = [t for t in chosen if any(k is t for k in kept)]
        problems = [p for p, u in zip(problems, unreadable, strict=True) if any(k is u for k in kept)]
    placeless = [t.name for t in [*chosen, *problems] if t.schema is None]
    if placeless:
        # DMS names a MySQL table's database in every record (schema-name); a mirror without it
        # would take the records of a same-named table of every database
        shown = ", ".join(placeless[:5]) + (f" and {len(placeless) - 5} more" if len(placeless) > 5 else "")
        raise StreamleapError(
            f"--ddl {ddl}: no database for table(s) {shown}: the file neither qualifies them (db.table) nor has a USE "
            f"statement before them; give --source-schema DATABASE (the MySQL database they are in, which DMS writes "
            f"as schema-name)")
    return SourceSelection(chosen, result, problems)


def _plan(ddl, dialect, source_url, tables, keys, exclude_tables=None, exclude_columns=None, source_schema=None):
    """(SourcePlan, SourceSelection): every selected table mirrored or refused."""
    from streamleap.model.mirror_plan import Refusal, parse_column_exclusions, parse_keys, plan_source

    names_option("--exclude-columns", exclude_columns)
    selection = load_tables(ddl, dialect, source_url, tables, exclude_tables, source_schema)
    planned = plan_source(selection.tables, parse_keys(keys), parse_column_exclusions(exclude_columns))
    planned.refused[:0] = [Refusal(p.schema, p.name, f"cannot be read from the file: {p.reason}") for p in selection.problems]
    return planned, selection


def _print_skipped(selection: SourceSelection, verbose: bool) -> None:
    """The one summary line of a DDL file (stderr, so that --json stays one document)."""
    if selection.ddl is None or not (selection.ddl.skipped or verbose):
        return
    err_console.print(Text(selection.ddl.summary() if not verbose else selection.ddl.summary().replace("; --verbose lists them", "")))
    if verbose:
        for line, kind in selection.ddl.skipped:
            err_console.print(Text(f"  line {line}: skipped {kind}"))


@main.command()
@source_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def plan(ddl, dialect, source_url, source_schema, tables, exclude_tables, exclude_columns, keys, verbose, as_json):
    """Show the mirror design for every table, creating nothing: mirrored, or refused with the reason and the fix."""
    planned, selection = _plan(ddl, dialect, source_url, tables, keys, exclude_tables, exclude_columns, source_schema)
    _print_skipped(selection, verbose)
    if as_json:
        click.echo(json.dumps(planned.to_json(), ensure_ascii=False, indent=2))
        return
    for t in planned.tables:
        # Text, not markup: names and types are shown exactly as the source has them ([x] included)
        title = f"{t.source.qualified_name} -> mirror model {t.model_name}  (key: {', '.join(t.primary_key)})"
        if t.source.partitions:
            title += f"  partitioned: {len(t.source.partitions)} partitions apply to this mirror"
        table = Table(title=Text(title), title_justify="left", show_lines=False)
        for col in ("column", "source type", "Redshift type", "nullable", "note"):
            table.add_column(col)
        for c in t.columns:
            table.add_row(*(Text(v) for v in (c.name, c.source_type, c.target.redshift, "yes" if c.nullable else "no", c.target.note)))
        for c in t.left_out:
            table.add_row(*(Text(v) for v in (c.name, "", "(left out)", "", c.reason)))
        console.print(table)
    if planned.refused:
        refused = Table(title=Text(f"{len(planned.refused)} table(s) refused: not mirrored"), title_justify="left")
        for col in ("table", "reason and fix"):
            refused.add_column(col)
        for r in planned.refused:
            refused.add_row(Text(r.qualified_name), Text(r.reason))
        console.print(refused)
    console.print(Text(f"{len(planned.tables)} table(s) mirrored, {len(planned.refused)} refused"))


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
@click.option("--project-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The dbt project (made by streamleap init).")
@click.option("--stream", help="The Kinesis stream DMS writes to (default: stream.name of --config).")
@click.option("--stream-schema", help="The external schema (local: the stand-in schema). "
              "Default: redshift.external_schema of --config, else kinesis.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="streamleap.yml: stream name, external schema, tables and exclude_columns come from it.")
@handle_errors
def generate(ddl, dialect, source_url, source_schema, tables, exclude_tables, exclude_columns, keys, verbose, project_dir,
             stream, stream_schema, config_path):
    """Add the stream's staging view and a mirror model (with docs and tests) per table."""
    from streamleap.project import generate_models

    if config_path:
        from streamleap.aws.config import load_config

        config = load_config(config_path)
        stream = stream or config.stream.name
        stream_schema = stream_schema or config.redshift.external_schema
        tables = tables or ",".join(config.tables) or None
        exclude_columns = exclude_columns or ",".join(config.exclude_columns) or None
    if not stream:
        raise StreamleapError("--stream is required (or --config streamleap.yml, whose stream.name is used)")
    stream_schema = stream_schema or "kinesis"
    result, selection = _plan(ddl, dialect, source_url, tables, keys, exclude_tables, exclude_columns, source_schema)
    result.raise_if_refused()
    planned = result.tables
    written = generate_models(project_dir, planned, stream, stream_schema)
    _print_skipped(selection, verbose)
    for path in written:
        console.print(f"wrote {path}")
    if not written:
        console.print("models already up to date")
    console.print(f"{len(planned)} mirror model(s) for stream {stream}: {', '.join(t.model_name for t in planned)}")


def _cycle_line(r) -> str:
    if r.error:
        return f"cycle {r.cycle}: FAILED after {r.duration_ms:.0f} ms: {r.error}" + ("" if r.stops_the_run else " (retrying)")
    applied = ", ".join(f"{k} {v}" for k, v in sorted(r.applied.items()))
    lag = "-" if r.lag_ms is None else f"{r.lag_ms / 1000:.2f} s"
    return (f"cycle {r.cycle}: {r.duration_ms:.0f} ms, ingested {r.ingested}, applied: {applied or 'none'}, "
            f"set aside {r.set_aside}, lag {lag}")


def _cycle_table(r) -> Table:
    table = Table(title=f"streamleap run — cycle {r.cycle} ({r.duration_ms:.0f} ms)", title_justify="left")
    for col in ("mirror", "applied this cycle"):
        table.add_column(Text(col))
    for name, n in sorted(r.applied.items()):
        table.add_row(Text(name), str(n))
    lag = "-" if r.lag_ms is None else f"{r.lag_ms / 1000:.2f} s"
    table.caption = Text(f"ingested {r.ingested}  set aside {r.set_aside}  lag {lag}" + (f"  ERROR: {r.error}" if r.error else ""))
    return table


@main.command()
@click.option("--project-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--profiles-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the project dir.")
@click.option("--target", help="dbt target (default: the profile's).")
@kinesis_endpoint_option("Kinesis endpoint URL (local targets); AWS's own when unset.")
@click.option("--region", envvar="AWS_DEFAULT_REGION", help="AWS region of the stream.")
@click.option("--every", default=1.0, show_default=True, type=click.FloatRange(min=0), help="Seconds between cycle starts.")
@click.option("--cycles", type=click.IntRange(min=1), help="Stop after N cycles (default: until Ctrl-C).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per cycle on stdout.")
@click.option("--restart-stream", is_flag=True,
              help="Local targets: when the Kinesis stream is not the one the relay's checkpoints are for (it was "
                   "re-created), read it from its beginning instead of stopping.")
@handle_errors
def run(project_dir, profiles_dir, target, kinesis_endpoint, region, every, cycles, as_json, restart_stream):
    """Keep the mirrors fresh: relay (local targets) or refresh (Redshift), then apply, every few seconds."""
    from streamleap.runner import Runner

    runner = Runner(project_dir, target=target, profiles_dir=profiles_dir, kinesis_endpoint=kinesis_endpoint,
                    region=region, every=every, restart_stream=restart_stream)
    runner.setup()
    last: list = []

    def remember(report):
        last[:] = [report]
        for name in report.restarted_streams:
            err_console.print(Text(f"stream {name} is not the one the checkpoints were for: read from its beginning "
                                   "(--restart-stream)"))
    if as_json:
        runner.run(cycles, on_report=lambda r: (remember(r), click.echo(json.dumps(r.to_json()), nl=True)))
    elif console.is_terminal:
        from rich.live import Live

        with Live(Text("starting..."), console=console, refresh_per_second=4) as live:
            runner.run(cycles, on_report=lambda r: (remember(r), live.update(_cycle_table(r))))
    else:
        runner.run(cycles, on_report=lambda r: (remember(r), console.print(Text(_cycle_line(r)))))
    runner.close()
    if last and last[0].stops_the_run:
        raise StreamleapError(last[0].error)  # what retrying cannot mend ends the run, whatever --cycles says
    if runner.stop_requested.is_set() and not as_json:
        console.print("stopped after the cycle in flight")
    if cycles is not None and last and last[0].error:
        # a bounded run (scripts, CI) says so when it ended on a failed cycle
        raise StreamleapError(f"the last cycle failed: {last[0].error}")


@main.command()
@click.option("--project-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--profiles-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the project dir.")
@click.option("--target", help="dbt target (default: the profile's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def status(project_dir, profiles_dir, target, as_json):
    """Per mirrored table: rows, last applied change, lag, pending, set-aside records and adjusted values."""
    from streamleap.status import collect_status

    info = collect_status(project_dir, target, profiles_dir)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    if info.get("locked_by"):
        r = info.get("last_cycle") or {}
        applied = ", ".join(f"{k} {v}" for k, v in sorted((r.get("applied") or {}).items())) or "none"
        lag = "-" if r.get("lag_ms") is None else f"{r['lag_ms'] / 1000:.2f} s"
        outcome = f"FAILED: {r['error']}" if r.get("error") else \
            f"ingested {r.get('ingested')}, applied: {applied}, set aside {r.get('set_aside')}, lag {lag}"
        console.print(Text(f"streamleap run (PID {info['locked_by']}) holds the DuckDB file, which DuckDB lets no other "
                           f"process read; its last report (cycle {r.get('cycle')}, {info.get('last_cycle_written_at')}): "
                           f"{outcome}"))
        return
    table = Table(title=f"streamleap status — target {info['target']} ({info['kind']})", title_justify="left")
    for col in ("mirror", "source", "rows", "last change (UTC)", "lag", "pending", "set aside"):
        table.add_column(Text(col))
    for t in info["tables"]:
        lag = "caught up" if t["caught_up"] else "-" if t["lag_s"] is None else f"{t['lag_s']:.1f} s"
        table.add_row(Text(t["model"]), Text(str(t["source"])), str(t["rows"] if t["rows"] is not None else "not built"),
                      Text(str(t["last_change_at"] or "-")), lag, "-" if t["pending"] is None else str(t["pending"]),
                      str(t["set_aside"]))
    console.print(table)
    adjusted = [f"{t['model']} {t['adjusted']}" for t in info["tables"] if t.get("adjusted")]
    if adjusted:
        console.print(Text("values adjusted to fit (applied; their records are in the set-aside model): " + ", ".join(adjusted)))
    if info["caught_up"]:
        console.print("caught up: every record in the staging view is applied")
    from streamleap.masking import mask_text

    for label in ("relay_positions", "stream_scan_states", "stream_scan_errors"):
        rows = info.get(label)
        if rows:
            # stream scan errors quote Redshift's messages, which can quote a URL
            console.print(Text(mask_text(f"{label.replace('_', ' ')}: "
                                         + "; ".join(", ".join(f"{k}={v}" for k, v in r.items()) for r in rows))))


def _capture_line(stats, final: bool = False) -> str:
    text = (f"{'captured' if final else 'capture:'} {stats.changes} change(s) in {stats.transactions} transaction(s)"
            f"{f' after a snapshot of {stats.snapshot_rows} row(s)' if stats.snapshot_rows else ''}, "
            f"{stats.records_put} record(s) put; checkpoint {stats.position}")
    if stats.oversized:
        text += (f"; {stats.oversized} row(s) too large for a Kinesis record NOT sent: "
                 + ", ".join(stats.oversized_examples) + (" ..." if stats.oversized > len(stats.oversized_examples) else ""))
    return text


@main.command()
@click.option("--source-url", required=True, envvar="STREAMLEAP_SOURCE_URL",
              help="postgresql://user:pass@host:port/db or mysql://user:pass@host:port/db.")
@click.option("--tables", help="Comma-separated table names, optionally schema-qualified (public.cart). "
              "Default: every table of the URL's database (or ?schema=).")
@click.option("--stream", required=True, help="The Kinesis stream to write to (it must exist).")
@click.option("--key", "keys", multiple=True, help="TABLE=COL[,COL]: the key of a table without a primary key (repeatable).")
@click.option("--exclude-tables", help="PATTERN[,PATTERN]: leave out tables matching a glob on table or schema.table.")
@click.option("--exclude-columns", help="TABLE.COLUMN[,...]: columns never sent (globs allowed), e.g. customer.email.")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path),
              help="A dbt project made by `streamleap generate`: capture exactly its mirrors' tables, keys and columns.")
@kinesis_endpoint_option("Kinesis endpoint URL; AWS's own when unset.")
@click.option("--region", envvar="AWS_DEFAULT_REGION", help="AWS region of the stream.")
@click.option("--state-dir", default=".streamleap", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the checkpoint file is kept.")
@click.option("--once", is_flag=True, help="Send what is committed now, then exit.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per flush (and at the end) on stdout.")
@handle_errors
def capture(source_url, tables, stream, keys, exclude_tables, exclude_columns, project_dir, kinesis_endpoint, region,
            state_dir, once, as_json):
    """Capture changes from a live MySQL/MariaDB or Postgres source into a Kinesis stream, as AWS DMS writes them."""
    import signal
    import threading
    import time

    from streamleap.capture import open_reader
    from streamleap.capture.checkpoint import CheckpointStore
    from streamleap.capture.loop import Capture
    from streamleap.kinesis.writer import KinesisWriter
    from streamleap.masking import mask_text, mask_url
    from streamleap.kinesis.client import kinesis_client
    from streamleap.sources.checks import check_source, failed, not_ready_error

    # the catalog is read once per start: for the selection, the checks and the reader
    names, found, selection = _capture_selection(source_url, tables, stream, keys, exclude_tables, exclude_columns,
                                                 project_dir)
    checks = check_source(source_url, names, selection.keys, source_tables=found)
    bad = failed(checks)
    if bad:
        raise not_ready_error(bad)
    for warning in (c for c in checks if not c.ok and c not in failed(checks)):
        err_console.print(Text(mask_text(f"warning: {warning.name}: {warning.detail}" + (f"; {warning.fix}" if warning.fix else ""),
                                         _given_secrets(click.get_current_context()))))
    client = kinesis_client(kinesis_endpoint, region)
    try:
        client.describe_stream_summary(StreamName=stream)
    except client.exceptions.ResourceNotFoundException:
        raise StreamleapError(f"--stream {stream}: no such Kinesis stream at "
                              f"{kinesis_endpoint or 'AWS'}; create it first") from None
    source = mask_url(source_url)
    checkpoint_path = _checkpoint_path(state_dir, stream, source_url)

    def oversized(record) -> None:
        err_console.print(Text(f"warning: {record.table} ({record.key}): a record of {record.size:,} bytes is over "
                               f"Kinesis's 1 MiB limit; NOT sent (counted in the summary)"))

    reader = open_reader(source_url, names, name=stream, selection=selection, source_tables=found, checked=True)
    last_line = [0.0]

    def on_flush(stats) -> None:
        if as_json:
            click.echo(json.dumps(stats.to_json(), default=str))
        elif time.monotonic() - last_line[0] >= 5:
            last_line[0] = time.monotonic()
            console.print(Text(_capture_line(stats)))

    try:
        loop = Capture(reader, KinesisWriter(client, stream, on_oversized=oversized),
                       CheckpointStore(checkpoint_path),
                       source=source, stream=stream, tables=names, on_flush=on_flush)
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, lambda *_: loop.stop())
        try:
            stats = loop.run(once=once)
        finally:
            for sig, previous in handlers.items():
                signal.signal(sig, previous)
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps({**stats.to_json(), "done": True}, default=str))
    else:
        console.print(Text(_capture_line(stats, final=True)))


def _checkpoint_path(state_dir: Path, stream: str, source_url: str) -> Path:
    """The checkpoint file of (stream, source). Its name hashes the masked source URL; a
    checkpoint named (and holding the URL masked) the way streamleap masked URLs before is
    moved to the current name, with the URL masked as now, so a restart resumes from it."""
    from streamleap.capture.checkpoint import CheckpointStore, default_path
    from streamleap.masking import mask_url, mask_url_v1

    import os

    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        writable = os.access(state_dir, os.W_OK | os.X_OK)
    except OSError as exc:
        raise StreamleapError(f"--state-dir {state_dir}: cannot create it ({exc.strerror or type(exc).__name__}); "
                              "give a directory capture may write its checkpoint to") from None
    if not writable:
        raise StreamleapError(f"--state-dir {state_dir}: not writable; give a directory capture may write its checkpoint to")
    source = mask_url(source_url)
    path = default_path(state_dir, stream, source)
    old = default_path(state_dir, stream, mask_url_v1(source_url))
    if old != path and old.exists() and not path.exists():
        checkpoint = CheckpointStore(old).load()
        if checkpoint is not None:
            checkpoint.source = source
            CheckpointStore(path).save(checkpoint)
            old.unlink()
    return path


def _capture_selection(source_url, tables, stream, keys, exclude_tables, exclude_columns, project_dir):
    """The tables capture reads (qualified names, as the checkpoint records them) and what it
    sends of them: by the options, or by the mirrors of --project-dir. The plan's rules decide
    (plan_source): a table no mirror could be built for is refused, all of them in one line."""
    from streamleap.capture.selection import CaptureSelection, project_tables, selection_from_project
    from streamleap.sources.introspect import read_source
    from streamleap.model.mirror_plan import exclude_tables as drop_tables
    from streamleap.model.mirror_plan import parse_column_exclusions, parse_keys, plan_source

    if project_dir is not None:
        given = [flag for flag, value in (("--tables", tables), ("--key", keys), ("--exclude-tables", exclude_tables),
                                          ("--exclude-columns", exclude_columns)) if value]
        if given:
            raise StreamleapError(f"--project-dir takes the tables, keys and columns from the project's mirrors; "
                                  f"leave out {', '.join(given)} (change them with `streamleap generate`)")
        mirrors = project_tables(project_dir, stream)
        _dialect, found = read_source(source_url, [m.qualified_name for m in mirrors])
        selection = selection_from_project(mirrors, found)
        planned = plan_source(found, selection.keys)
        if planned.refused:
            raise StreamleapError(
                f"--project-dir {project_dir}: the source no longer fits these mirrors: "
                + "; ".join(f"{r.qualified_name}: {r.reason}" for r in planned.refused)
                + "; fix the source or run `streamleap generate` again")
        return [t.qualified_name for t in found], found, selection
    else:
        requested = names_option("--tables", tables)
        names_option("--exclude-tables", exclude_tables)
        names_option("--exclude-columns", exclude_columns)
        _dialect, found = read_source(source_url, requested)
        found = drop_tables(found, exclude_tables)
        if not found:
            raise StreamleapError("no table left to capture: --exclude-tables left out every table")
        selection = CaptureSelection(parse_keys(keys), parse_column_exclusions(exclude_columns))
        planned = plan_source(found, selection.keys, selection.exclusions)
        unknown = [k for k in selection.keys if not any(k in (t.name, t.qualified_name) for t in found)]
        if unknown:
            raise StreamleapError(f"--key {unknown[0]}=...: no such table among the captured ones "
                                  f"({', '.join(t.qualified_name for t in found)})")
    planned.raise_if_refused()
    # the checkpoint records the tables as named (a --tables list as before; else every name)
    names = requested if requested and not exclude_tables else [t.qualified_name for t in found]
    return names, found, selection


@main.command("kinesis-local")
@click.option("--port", default=4567, show_default=True, type=click.IntRange(min=0, max=65535),
              help="Loopback port (0: any free port).")
@click.option("--stream", "streams", multiple=True, help="Create this stream (repeatable).")
@click.option("--shards", default=2, show_default=True, type=click.IntRange(min=1, max=64))
@handle_errors
def kinesis_local(port, streams, shards):
    """Run a Kinesis endpoint on this machine (moto's server, as the demo uses) until Ctrl-C."""
    import threading

    from streamleap.kinesis.local import LocalKinesis

    try:
        local = LocalKinesis(port=port).start()
    except OSError as exc:
        raise StreamleapError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
                              "pick another port") from None
    try:
        for name in streams:
            local.create_stream(name, shards)
        console.print(Text(f"Kinesis endpoint {local.endpoint_url} (streams: {', '.join(streams) or 'none yet'}); "
                           f"export STREAMLEAP_KINESIS_ENDPOINT={local.endpoint_url}; Ctrl-C stops it (streams live "
                           "in memory)"))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    finally:
        local.stop()


@main.command()
@click.option("--dir", "directory", default="streamleap-demo", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo's dbt project goes (kept afterwards; reset at the start of each demo).")
@click.option("--target", type=click.Choice(["local", "postgres"]), default="local", show_default=True)
@click.option("--rate", default=200.0, show_default=True, type=click.FloatRange(min=1), help="Source changes per second.")
@click.option("--duration", default=30.0, show_default=True, type=click.FloatRange(min=1), help="Seconds of workload.")
@click.option("--every", default=0.5, show_default=True, type=click.FloatRange(min=0), help="Seconds between runner cycles.")
@click.option("--shards", default=4, show_default=True, type=click.IntRange(min=1, max=64))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def demo(directory, target, rate, duration, every, shards, seed, as_json):
    """The whole pipeline on one machine: local Kinesis, a shop workload, the runner, a verified mirror."""
    from streamleap.demo.run import run_demo, summary_lines

    say = (lambda msg: None) if as_json else (lambda msg: console.print(Text(msg)))
    result = run_demo(directory, target=target, rate=rate, duration=duration, seed=seed, shards=shards, every=every,
                      progress=say)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        for line in summary_lines(result):
            console.print(Text(line))
    if not result.mirror_matches:
        sys.exit(1)


# `streamleap aws ...` lives in its own module (it imports this one for the shared helpers)
from streamleap.aws.cli import aws as _aws  # noqa: E402 - imported last: streamleap.aws.cli imports this module

main.add_command(_aws)
