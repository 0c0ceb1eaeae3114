"""``streamleap aws``: init-config, plan, apply, status, destroy (and check-source, which is
``streamleap check-source``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from streamleap.cli.common import console, err_console, handle_errors, print_table
from streamleap.cli.sources import check_source
from streamleap.errors import StreamleapError


@click.group()
def aws() -> None:
    """Wire DMS, Kinesis, IAM and Redshift from streamleap.yml."""


def aws_options(fn):
    options = [
        click.option("--config", "config_path", default="streamleap.yml", show_default=True,
                     type=click.Path(dir_okay=False, path_type=Path), help="The streamleap config file."),
        click.option("--region", help="AWS region (default: region: in the config, then AWS_REGION / your profile)."),
        click.option("--profile", help="AWS named profile."),
        click.option("--endpoint-url", envvar="STREAMLEAP_AWS_ENDPOINT_URL",
                     help="Send every AWS call to this endpoint (a local AWS emulator such as moto's server)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON document."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _stack(config_path: Path, region: str | None, profile: str | None, endpoint_url: str | None, quiet: bool):
    from streamleap.aws.config import load_config
    from streamleap.aws.context import connect
    from streamleap.aws.stack import Stack

    config = load_config(config_path)
    say = (lambda _text: None) if quiet else (lambda text: err_console.print(Text(text, style="dim")))
    return Stack(connect(config, region, profile, endpoint_url, say))


_STYLE = {"create": "green", "update": "yellow", "start": "cyan", "associate": "cyan", "delete": "red",
          "disassociate": "red", "skip": "magenta", "none": "dim"}


def _print_changes(changes, title: str) -> None:
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in ("action", "resource", "name", "detail"):
        table.add_column(column)
    for c in changes:
        table.add_row(Text(c.action, style=_STYLE.get(c.action, "")), c.kind, c.name, c.detail)
    print_table(table)


@aws.command("init-config")
@click.option("--config", "config_path", default="streamleap.yml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["mysql", "mariadb", "aurora-mysql", "postgres", "aurora-postgresql"]),
              default="mysql", show_default=True)
@click.option("--tables", help="Comma-separated schema.table names to put in the file.")
@click.option("--stream", "stream_name", default="shop_cdc", show_default=True, help="The Kinesis stream name.")
@click.option("--source-url", help="Read the tables from the live database: partitioned Postgres tables get their "
              "partitions listed (DMS selects them by name).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@handle_errors
def init_config(config_path, engine, tables, stream_name, source_url, force):
    """Write a commented streamleap.yml to edit."""
    from streamleap.aws.config import parse_config, template

    if config_path.exists() and not force:
        raise StreamleapError(f"{config_path} exists; edit it, or pass --force to overwrite it")
    from streamleap.cli.common import names_option

    names = names_option("--tables", tables)
    partitions: dict[str, list[str]] = {}
    if source_url:
        from streamleap.sources.introspect import read_source

        _dialect, found = read_source(source_url, names)
        names = [t.qualified_name for t in found]
        partitions = {t.qualified_name: [f"{s}.{n}" for s, n in t.partitions] for t in found if t.partitions}
    text = template(engine, names, stream_name, partitions)
    import yaml

    parse_config(yaml.safe_load(text), str(config_path))  # the template itself must be valid
    config_path.write_text(text, encoding="utf-8")
    console.print(f"wrote {config_path}: edit source, tables, dms and redshift, then run `streamleap aws plan`")


@aws.command()
@aws_options
@handle_errors
def plan(config_path, region, profile, endpoint_url, as_json):
    """What apply would do, changing nothing."""
    stack = _stack(config_path, region, profile, endpoint_url, quiet=True)
    planned = stack.plan()
    if as_json:
        console.print_json(json.dumps(planned.to_json()))
        return
    _print_changes(planned.changes, f"plan for stream {stack.ctx.config.stream.name} in {stack.ctx.region} "
                                    f"(account {stack.ctx.account})")
    n = len(planned.pending)
    console.print(f"{n} change{'s' if n != 1 else ''}" + (": run `streamleap aws apply`" if n else ": nothing to do"))


@aws.command()
@aws_options
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path),
              help="A dbt project (streamleap init) whose vars.streamleap_iam_role gets the Redshift role ARN.")
@handle_errors
def apply(config_path, region, profile, endpoint_url, as_json, project_dir):
    """Create or update the stream, roles, endpoints, instance and task, and start replication."""
    stack = _stack(config_path, region, profile, endpoint_url, quiet=as_json)
    if project_dir is not None and not (project_dir / "dbt_project.yml").is_file():
        raise StreamleapError(f"--project-dir {project_dir}: no dbt_project.yml there; run `streamleap init {project_dir}`")
    planned = stack.plan()
    planned.apply(stack.ctx)
    changes = planned.pending
    role = stack.redshift_role.arn
    project_changed = False
    if project_dir is not None:
        from streamleap.project.scaffold import set_project_var

        project_changed = set_project_var(project_dir, "streamleap_iam_role", role)
    if as_json:
        console.print_json(json.dumps({**planned.to_json(), "redshift_iam_role": role,
                                       "external_schema": stack.ctx.config.redshift.external_schema}))
        return
    if not changes:
        console.print("no changes: everything matches streamleap.yml")
    else:
        _print_changes(changes, "applied")
        console.print(f"{len(changes)} change{'s' if len(changes) != 1 else ''} applied; "
                      "`streamleap aws status` shows replication")
    if project_changed:
        console.print(f"set vars.streamleap_iam_role in {project_dir / 'dbt_project.yml'} to {role}")
    elif project_dir is None:
        console.print(f"Redshift reads the stream as {role}: `streamleap aws apply --project-dir DIR` "
                      "puts it in your dbt project")


@aws.command()
@aws_options
@handle_errors
def status(config_path, region, profile, endpoint_url, as_json):
    """Stream, replication state, per-table statistics and the last error."""
    stack = _stack(config_path, region, profile, endpoint_url, quiet=True)
    report = stack.status()
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    _print_status(report)


def _print_status(report: dict[str, Any]) -> None:
    s = report["stream"]
    console.print(f"stream {s['name']}: {s['status']}" + (
        f", {s.get('mode')}, {s.get('open_shards')} open shards, {s.get('retention_hours')} h retention"
        if s["status"] != "missing" else ""))
    if report.get("replication_instance"):
        i = report["replication_instance"]
        console.print(f"replication instance {i['name']}: {i['status']}")
    r = report["replication"]
    line = f"replication {r['name']}: {r['status']}"
    if r.get("full_load_percent") is not None:
        line += f", full load {r['full_load_percent']}%"
    console.print(line)
    if r.get("last_error") or r.get("stop_reason"):
        console.print(Text(f"last error: {r.get('last_error') or r.get('stop_reason')}", style="red"))
    if report["tables"]:
        table = Table(show_edge=False)
        for column in ("table", "state", "full load rows", "inserts", "updates", "deletes", "last update"):
            table.add_column(column)
        for t in report["tables"]:
            table.add_row(*(str(t.get(k, "")) if t.get(k) is not None else "" for k in
                            ("table", "state", "full_load_rows", "inserts", "updates", "deletes", "last_update")))
        print_table(table)
    rs = report["redshift"]
    console.print(f"redshift: external schema {rs['external_schema']}, role {rs['iam_role']} "
                  + ("associated" if rs.get("associated") else f"NOT associated {rs.get('problem', '')}".rstrip()))


@aws.command()
@aws_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@handle_errors
def destroy(config_path, region, profile, endpoint_url, as_json, yes):
    """Stop and remove, in reverse order, only what streamleap created."""
    stack = _stack(config_path, region, profile, endpoint_url, quiet=as_json)
    planned = stack.destroy_plan()
    if not planned.pending:
        if as_json:
            console.print_json(json.dumps(planned.to_json()))
        else:
            console.print("nothing to destroy: no streamleap resources for this config")
        return
    if not yes:
        if not as_json:
            _print_changes(planned.changes, "destroy")
        err_console.print(Text("Deleting the stream loses every change record not yet in Redshift, and the "
                               "streaming view that reads it stops working.", style="yellow"))
        if not click.confirm("Delete these resources?", default=False, err=True):
            raise StreamleapError("destroy cancelled; nothing was deleted")
    planned.apply(stack.ctx)  # the plan printed (and confirmed) above, as it is
    if as_json:
        console.print_json(json.dumps(planned.to_json()))
        return
    _print_changes(planned.changes, "destroyed")


# the source's readiness serves DMS and `streamleap capture` alike: `streamleap check-source`, here too
aws.add_command(check_source)
