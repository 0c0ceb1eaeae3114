"""`streamleap run` and `streamleap status`: the loop that keeps mirrors fresh, and what it did."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from streamleap.cli.common import console, err_console, handle_errors, kinesis_endpoint_option, print_table
from streamleap.errors import StreamleapError



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


@click.command()
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
@click.option("--kafka-bootstrap", envvar="STREAMLEAP_KAFKA_BOOTSTRAP", metavar="HOST:PORT[,...]",
              help="Local targets: the Kafka brokers of the project's Kafka topics (streams generated with --stream-kind kafka).")
@handle_errors
def run(project_dir, profiles_dir, target, kinesis_endpoint, region, every, cycles, as_json, restart_stream, kafka_bootstrap):
    """Keep the mirrors fresh: relay (local targets) or refresh (Redshift), then apply, every few seconds."""
    from streamleap.pipeline.runner import Runner

    runner = Runner(project_dir, target=target, profiles_dir=profiles_dir, kinesis_endpoint=kinesis_endpoint,
                    region=region, every=every, restart_stream=restart_stream, kafka_bootstrap=kafka_bootstrap)
    if as_json:
        runner.dbt.output = sys.stderr  # stdout holds the reports only
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


@click.command()
@click.option("--project-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--profiles-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the project dir.")
@click.option("--target", help="dbt target (default: the profile's).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def status(project_dir, profiles_dir, target, as_json):
    """Per mirrored table: rows, last applied change, lag, pending, set-aside records and adjusted values."""
    from streamleap.pipeline.status import collect_status

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
    print_table(table)
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


PRUNE_MARK = "streamleap-prune "


@click.command()
@click.option("--project-dir", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--profiles-dir", type=click.Path(file_okay=False, path_type=Path), help="Default: the project dir.")
@click.option("--target", help="dbt target (default: the profile's).")
@click.option("--older-than", "older_than", default=24.0, show_default=True, type=click.FloatRange(min=0),
              help="Hours: at least the stream's retention (Kinesis keeps 24 hours unless told otherwise).")
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@handle_errors
def prune(project_dir, profiles_dir, target, older_than, dry_run, as_json):
    """Remove tombstones, truncate marks and applied stream records older than the stream's retention."""
    import datetime as dt

    from streamleap.project.invoke import DbtSession

    before = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=older_than)).replace(tzinfo=None)
    lines: list[dict] = []

    def catch(event) -> None:
        msg = getattr(getattr(event, "info", None), "msg", None)
        if isinstance(msg, str) and msg.startswith(PRUNE_MARK):
            lines.append(json.loads(msg[len(PRUNE_MARK):]))

    session = DbtSession(Path(project_dir), Path(profiles_dir or project_dir), target)
    try:
        session.invoke("run-operation", "streamleap.prune", "--args",
                       json.dumps({"before": before.isoformat(sep=" ", timespec="seconds"), "dry_run": dry_run}),
                       callbacks=[catch])
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps({"before": before.isoformat(sep=" ", timespec="seconds"), "dry_run": dry_run,
                               "relations": lines}))
        return
    verb = "would remove" if dry_run else "removed"
    for line in lines:
        console.print(Text(f"{line['relation']}: {verb} {line['rows']} row(s)"))
    console.print(f"{verb} {sum(line['rows'] for line in lines)} row(s) older than {before:%Y-%m-%d %H:%M:%S} UTC")
