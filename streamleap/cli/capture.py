"""`streamleap capture` (a live source's log into Kinesis, as DMS writes it) and `streamleap kinesis-local`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from streamleap.cli.common import console, err_console, given_secrets, handle_errors, kinesis_endpoint_option, names_option
from streamleap.errors import StreamleapError



class _Progress:
    """capture's progress line: at most one every EVERY seconds, and a flush that came sooner is
    printed once the time is up (a ticker thread), so the last line of a burst is never stale while
    capture waits for the next change."""

    EVERY = 5.0

    def __init__(self, show: Callable[[Any], None]):
        self._show = show
        self._lock = threading.Lock()
        self._last = 0.0
        self._pending: Any = None
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None

    def flushed(self, stats: Any) -> None:
        with self._lock:
            if time.monotonic() - self._last >= self.EVERY:
                self._print(stats)
            else:
                self._pending = stats
                if self._ticker is None:
                    self._ticker = threading.Thread(target=self._tick, name="capture-progress", daemon=True)
                    self._ticker.start()

    def _print(self, stats: Any) -> None:
        self._last, self._pending = time.monotonic(), None
        self._show(stats)

    def _tick(self) -> None:
        while not self._stopped.wait(0.5):
            with self._lock:
                if self._pending is not None and time.monotonic() - self._last >= self.EVERY:
                    self._print(self._pending)

    def stop(self) -> None:
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()


def _position_text(position: Any) -> str:
    """A checkpoint's position as a user reads it: a Postgres LSN as it is, a binlog position as
    file:pos."""
    if isinstance(position, dict) and "file" in position and "pos" in position:
        return f"{position['file']}:{position['pos']}"
    return str(position)


def _capture_line(stats, final: bool = False, unit: str = "Kinesis record") -> str:
    if stats.snapshotting:
        text = f"capture: snapshot in progress, {stats.snapshot_rows} row(s) read, {stats.records_put} record(s) put"
    else:
        text = (f"{'captured' if final else 'capture:'} {stats.changes} change(s) in {stats.transactions} transaction(s)"
                f"{f' after a snapshot of {stats.snapshot_rows} row(s)' if stats.snapshot_rows else ''}, "
                f"{stats.records_put} record(s) put; checkpoint {_position_text(stats.position)}")
    if stats.oversized:
        text += (f"; {stats.oversized} row(s) too large for a {unit} NOT sent: "
                 + ", ".join(stats.oversized_examples) + (" ..." if stats.oversized > len(stats.oversized_examples) else ""))
        if stats.stand_ins:
            text += f" ({stats.stand_ins} stand-in record(s) with the key sent instead: the apply sets them aside)"
    return text


@click.command()
@click.option("--source-url", required=True, envvar="STREAMLEAP_SOURCE_URL",
              help="postgresql://user:pass@host:port/db or mysql://user:pass@host:port/db.")
@click.option("--tables", help="Comma-separated table names, optionally schema-qualified (public.cart). "
              "Default: every table of the URL's database (or ?schema=).")
@click.option("--stream", required=True, help="The Kinesis stream (or with --kafka-bootstrap the Kafka topic) to write to; it must exist.")
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
@click.option("--format", "record_format", type=click.Choice(["dms", "debezium"]), default="dms", show_default=True,
              help="The records' format: AWS DMS JSON, or Debezium change events (Kafka Connect's JSON converter).")
@click.option("--debezium-schemas/--no-debezium-schemas", default=True, show_default=True,
              help="Debezium: the JSON converter's schemas.enable (each event wrapped as {schema, payload}).")
@click.option("--debezium-decimal-handling", "debezium_decimals", type=click.Choice(["precise", "string", "double"]), default="precise",
              show_default=True, help="Debezium: decimal.handling.mode, as `generate --debezium-decimal-handling` reads it.")
@click.option("--kafka-bootstrap", envvar="STREAMLEAP_KAFKA_BOOTSTRAP",
              help="host:port of Kafka brokers: write to the Kafka topic --stream instead of a Kinesis stream.")
@handle_errors
def capture(source_url, tables, stream, keys, exclude_tables, exclude_columns, project_dir, kinesis_endpoint, region,
            state_dir, once, as_json, record_format, debezium_schemas, debezium_decimals, kafka_bootstrap):
    """Capture changes from a live MySQL/MariaDB or Postgres source into a Kinesis stream or a Kafka topic, as AWS DMS
    (or Debezium) writes them."""
    if record_format != "debezium" and (debezium_decimals != "precise" or not debezium_schemas):
        raise StreamleapError("--debezium-decimal-handling and --no-debezium-schemas are for --format debezium")
    import signal

    from streamleap.capture import open_reader
    from streamleap.capture.checkpoint import CheckpointStore, checkpoint_path
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
                                         given_secrets(click.get_current_context()))))
    unit = "Kafka message" if kafka_bootstrap else "Kinesis record"

    def oversized(record) -> None:
        err_console.print(Text(f"warning: {record.table} ({record.key}): a record of {record.size:,} bytes is over "
                               f"the {unit} limit; NOT sent (counted in the summary); a stand-in with its key is sent "
                               "instead, which the mirrors set aside"))

    writer: Any
    if kafka_bootstrap:
        from streamleap.capture.kafka_writer import KafkaWriter

        writer = KafkaWriter(kafka_bootstrap, stream, on_oversized=oversized)
        writer.check_topic()
    else:
        client = kinesis_client(kinesis_endpoint, region)
        try:
            client.describe_stream_summary(StreamName=stream)
        except client.exceptions.ResourceNotFoundException:
            raise StreamleapError(f"--stream {stream}: no such Kinesis stream at "
                                  f"{kinesis_endpoint or 'AWS'}; create it first") from None
        writer = KinesisWriter(client, stream, on_oversized=oversized)
    source = mask_url(source_url)
    checkpoint_file = checkpoint_path(state_dir, stream, source_url)

    reader = open_reader(source_url, names, name=stream, selection=selection, source_tables=found, checked=True)
    progress = _Progress(lambda stats: console.print(Text(_capture_line(stats, unit=unit))))

    def on_flush(stats) -> None:
        if as_json:
            click.echo(json.dumps(stats.to_json(), default=str))
        else:
            progress.flushed(stats)

    try:
        loop = Capture(reader, writer, CheckpointStore(checkpoint_file),
                       source=source, stream=stream, tables=names, on_flush=on_flush,
                       record_format=record_format, debezium_schemas=debezium_schemas, debezium_decimals=debezium_decimals,
                       destination="kafka" if kafka_bootstrap else "kinesis")
        handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                handlers[sig] = signal.signal(sig, lambda *_: loop.stop())
        try:
            stats = loop.run(once=once)
        finally:
            progress.stop()
            for sig, previous in handlers.items():
                signal.signal(sig, previous)
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps({**stats.to_json(), "done": True}, default=str))
    else:
        console.print(Text(_capture_line(stats, final=True, unit=unit)))


@click.command()
@click.argument("resync_tables", metavar="TABLE...", nargs=-1, required=True)
@click.option("--source-url", required=True, envvar="STREAMLEAP_SOURCE_URL",
              help="The captured source (postgresql://... or mysql://...), as given to `streamleap capture`.")
@click.option("--tables", help="The capture's --tables, as given to `streamleap capture`.")
@click.option("--stream", required=True, help="The capture's Kinesis stream.")
@click.option("--key", "keys", multiple=True, help="The capture's --key options.")
@click.option("--exclude-tables", help="The capture's --exclude-tables.")
@click.option("--exclude-columns", help="The capture's --exclude-columns.")
@click.option("--project-dir", type=click.Path(file_okay=False, path_type=Path), help="The capture's --project-dir.")
@kinesis_endpoint_option("Kinesis endpoint URL; AWS's own when unset.")
@click.option("--region", envvar="AWS_DEFAULT_REGION", help="AWS region of the stream.")
@click.option("--state-dir", default=".streamleap", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="The capture's checkpoint directory.")
@click.option("--producer", type=click.Choice(["capture", "dms"]), default="capture", show_default=True,
              help="Who writes the stream: `streamleap capture` (its checkpoint in --state-dir is checked and, after a lost "
              "position, reset) or AWS DMS (a consistent read alone: no slot, publication or checkpoint).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@handle_errors
def resync(resync_tables, source_url, tables, stream, keys, exclude_tables, exclude_columns, project_dir, kinesis_endpoint,
           region, state_dir, producer, as_json):
    """Take a fresh snapshot of TABLE... into the stream while changes keep flowing: the mirrors
    take its values over everything older and lose the rows it does not hold once all of it
    arrived. After the capture's replication slot or binlog position was lost, resync every table.
    With --producer dms, into a DMS task's stream (the source must be reachable from here)."""
    from streamleap.capture import open_reader
    from streamleap.capture.checkpoint import CheckpointStore, checkpoint_path
    from streamleap.capture.resync import resync as run_resync
    from streamleap.kinesis.client import kinesis_client
    from streamleap.kinesis.writer import KinesisWriter

    names, found, selection = _capture_selection(source_url, tables, stream, keys, exclude_tables, exclude_columns,
                                                 project_dir)
    client = kinesis_client(kinesis_endpoint, region)
    try:
        client.describe_stream_summary(StreamName=stream)
    except client.exceptions.ResourceNotFoundException:
        raise StreamleapError(f"--stream {stream}: no such Kinesis stream at {kinesis_endpoint or 'AWS'}") from None
    writer = KinesisWriter(client, stream)
    reader = open_reader(source_url, names, name=stream, selection=selection, source_tables=found, checked=True)
    try:
        store = CheckpointStore(checkpoint_path(state_dir, stream, source_url)) if producer == "capture" else None
        stats = run_resync(reader, writer, store, list(resync_tables), captured_names=names)
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps({**stats.to_json(), "oversized": writer.stats.oversized, "stand_ins": writer.stats.stand_ins},
                              default=str))
    if stats.unfinished:
        raise StreamleapError(
            f"resync of {', '.join(stats.unfinished)} not finished: {writer.stats.oversized} row(s) over Kinesis's 1 MiB record "
            f"limit were not sent ({', '.join(writer.stats.oversized_examples)}), so no end was written for those tables and the "
            "mirrors keep their rows; their other rows were sent and apply")
    if not as_json:
        console.print(Text(f"resync of {', '.join(stats.tables)} at {stats.snapshot_time:%Y-%m-%d %H:%M:%S.%f} UTC: "
                           + ", ".join(f"{t} {n} row(s)" for t, n in stats.rows.items()) + f"; {stats.records_put} record(s) put"
                           + (f"; the capture's position was lost: its checkpoint now starts at {_position_text(stats.position_reset)}"
                              if stats.position_reset is not None else "")))


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


@click.command("kinesis-local")
@click.option("--port", default=4567, show_default=True, type=click.IntRange(min=0, max=65535),
              help="Loopback port (0: any free port).")
@click.option("--stream", "streams", multiple=True, help="Create this stream (repeatable).")
@click.option("--shards", default=2, show_default=True, type=click.IntRange(min=1, max=64))
@handle_errors
def kinesis_local(port, streams, shards):
    """Run a Kinesis endpoint on this machine (moto's server, as the demo uses) until Ctrl-C."""
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
