"""What every `streamleap` command shares: the consoles, one-line errors, the source and Kinesis options."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from streamleap.errors import StreamleapError
from streamleap.model.source_table import DIALECTS, SourceTable

if TYPE_CHECKING:
    from streamleap.sources.ddl import DdlFile, Problem

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_table(table: Any) -> None:
    """A rich Table on stdout: in a terminal as wide as the terminal; piped or redirected (where rich
    assumes 80 columns and would cut the cells) as wide as its widest row, so no value is cut."""
    if console.is_terminal:
        console.print(table)
    else:
        from rich.measure import Measurement

        widest = Measurement.get(console, console.options.update_width(100_000), table).maximum
        width = console.width
        console.width = max(width, widest)  # print's own width= is capped at the console's
        try:
            console.print(table, crop=False)
        finally:
            console.width = width


def _fail(message: str, secrets: set[str] | frozenset[str] = frozenset()) -> None:
    # Text, not markup: the message quotes user names and types, which may contain [brackets]
    from streamleap.masking import mask_text

    err_console.print(Text.assemble(("Error:", "bold red"), " ", mask_text(message, secrets)))
    sys.exit(1)


def given_secrets(ctx: click.Context | None) -> set[str]:
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
            secrets = given_secrets(ctx)
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
    ddl: DdlFile | None = None  # when read from a file
    problems: list[Problem] = field(default_factory=list)  # tables of the file that cannot be read


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
    placeless = [t.name for t in chosen if t.schema is None] + [p.name for p in problems if p.schema is None]
    if placeless:
        # DMS names a MySQL table's database in every record (schema-name); a mirror without it
        # would take the records of a same-named table of every database
        shown = ", ".join(placeless[:5]) + (f" and {len(placeless) - 5} more" if len(placeless) > 5 else "")
        raise StreamleapError(
            f"--ddl {ddl}: no database for table(s) {shown}: the file neither qualifies them (db.table) nor has a USE "
            f"statement before them; give --source-schema DATABASE (the MySQL database they are in, which DMS writes "
            f"as schema-name)")
    return SourceSelection(chosen, result, problems)


def plan_selection(ddl, dialect, source_url, tables, keys, exclude_tables=None, exclude_columns=None, source_schema=None):
    """(SourcePlan, SourceSelection): every selected table mirrored or refused."""
    from streamleap.model.mirror_plan import Refusal, parse_column_exclusions, parse_keys, plan_source

    names_option("--exclude-columns", exclude_columns)
    selection = load_tables(ddl, dialect, source_url, tables, exclude_tables, source_schema)
    planned = plan_source(selection.tables, parse_keys(keys), parse_column_exclusions(exclude_columns))
    planned.refused[:0] = [Refusal(p.schema, p.name, f"cannot be read from the file: {p.reason}") for p in selection.problems]
    return planned, selection


def print_skipped(selection: SourceSelection, verbose: bool) -> None:
    """The one summary line of a DDL file (stderr, so that --json stays one document)."""
    if selection.ddl is None or not (selection.ddl.skipped or verbose):
        return
    err_console.print(Text(selection.ddl.summary() if not verbose else selection.ddl.summary().replace("; --verbose lists them", "")))
    if verbose:
        for line, kind in selection.ddl.skipped:
            err_console.print(Text(f"  line {line}: skipped {kind}"))
