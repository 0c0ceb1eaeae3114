"""The capture loop's parts: DMS records from row changes, PutRecords within Kinesis's limits
(against the local Kinesis endpoint; partial failures, which it never produces, with botocore's
Stubber), the checkpoint that moves only after Kinesis accepted, the Postgres reader against a
real server with logical replication, and `streamleap capture`'s one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from click.testing import CliRunner

from streamleap.capture.base import RowChange
from streamleap.capture.checkpoint import CheckpointStore
from streamleap.capture.loop import Capture
from streamleap.capture.encoder import EncodedRecord, RecordEncoder
from streamleap.records import partition_key
from streamleap.kinesis.writer import MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL, KinesisWriter
from streamleap.kinesis.client import kinesis_client
from streamleap.cli import main
from streamleap.errors import StreamleapError
from streamleap.kinesis.local import LocalKinesis
from streamleap.model.source_table import SourceColumn, SourceTable

CLI_ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture(scope="module")
def kinesis():
    with LocalKinesis() as local:
        yield local


def new_stream(kinesis: LocalKinesis, shards: int = 2) -> str:
    name = f"cap_{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(name, shards)
    return name


def read_stream(client, stream: str) -> list[tuple[str, bytes]]:
    """Every record on the stream: (partition key, data), shard by shard."""
    out = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = client.get_records(ShardIterator=it, Limit=10_000)
            out += [(r["PartitionKey"], bytes(r["Data"])) for r in page["Records"]]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


def record(i: int, size: int = 100) -> EncodedRecord:
    return EncodedRecord(json.dumps({"i": i, "pad": "x" * size}).encode(), f"public.t.{i}", "public.t", f"id={i}")


# ---------------------------------------------------------------- DMS records
TABLE = SourceTable("public", "t", (SourceColumn("id", "bigint", False), SourceColumn("f", "double precision"),
                                    SourceColumn("d", "numeric(12,2)"), SourceColumn("ts", "timestamp with time zone"),
                                    SourceColumn("b", "bytea"), SourceColumn("ok", "boolean"), SourceColumn("j", "jsonb")),
                    ("id",), "postgres")


def test_change_records_carry_dms_fields_and_encodings():
    encoder = RecordEncoder([TABLE], clock=lambda: dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    commit = dt.datetime(2024, 7, 29, 0, 58, 17, 974340, tzinfo=dt.timezone.utc)
    change = RowChange("public", "t", "update",
                       {"id": 8, "f": math.nan, "d": Decimal("1E-2"),
                        "ts": dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                        "b": b"\x00\xff", "ok": True, "j": {"a": [1, Decimal("2.50")]}},
                       before={"id": 7}, commit_ts=commit, transaction_id=731, transaction_record_id=2,
                       stream_position="0/16B3748")
    encoder.end_transaction(730, 4)
    out = encoder.encode(change)
    rec = json.loads(out.data)
    assert out.partition_key == "public.t.8"
    assert rec["data"] == {"id": 8, "f": "NaN", "d": "0.01", "ts": "2024-05-01 12:00:00", "b": "00FF", "ok": 1,
                           "j": '{"a":[1,2.50]}'}
    assert rec["before-image"] == {"id": 7}
    m = rec["metadata"]
    assert (m["record-type"], m["operation"], m["schema-name"], m["table-name"]) == ("data", "update", "public", "t")
    assert m["commit-timestamp"] == "2024-07-29T00:58:17.974340Z"
    assert (m["transaction-id"], m["transaction-record-id"]) == (731, 2)
    assert (m["prev-transaction-id"], m["prev-transaction-record-id"]) == (730, 4)
    assert m["stream-position"] == "0/16B3748"
    load = json.loads(encoder.encode(RowChange("public", "t", "load", {"id": 1})).data)["metadata"]
    assert "transaction-id" not in load and "commit-timestamp" not in load and load["operation"] == "load"


def test_a_column_the_encoder_does_not_know_refreshes_the_definitions():
    grown = SourceTable("public", "t", (*TABLE.columns, SourceColumn("added", "date")), ("id",), "postgres")
    calls = []
    encoder = RecordEncoder([TABLE], refresh=lambda: calls.append(1) or [grown])
    rec = json.loads(encoder.encode(RowChange("public", "t", "insert", {"id": 1, "added": dt.date(2024, 2, 29)},
                                              commit_ts=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))).data)
    assert rec["data"]["added"] == "2024-02-29" and calls == [1]


def test_partition_keys_stay_within_kinesis_limit():
    long = partition_key("s", "t", ["x" * 300])
    assert len(long) == 256 and long == partition_key("s", "t", ["x" * 300]) != partition_key("s", "t", ["x" * 301])
    assert partition_key("shop", "order_line", [3, 101]) == "shop.order_line.3.101"


# ---------------------------------------------------------------- PutRecords
def test_batches_respect_kinesis_limits_and_everything_arrives(kinesis):
    client = kinesis_client(kinesis.endpoint_url)  # its own: the handler below stays with the client
    stream = new_stream(kinesis)
    calls = []
    client.meta.events.register("before-parameter-build.kinesis.PutRecords",
                                lambda params, **_: calls.append(list(params["Records"])))
    writer = KinesisWriter(client, stream)
    small = [record(i) for i in range(1234)]
    big = [record(10_000 + i, size=900_000) for i in range(12)]  # 12 x ~0.9 MB: three calls at least
    writer.put(small + big)
    assert all(len(c) <= MAX_RECORDS_PER_CALL for c in calls)
    assert all(sum(len(r["Data"]) + len(r["PartitionKey"]) for r in c) <= MAX_BYTES_PER_CALL for c in calls)
    assert len(calls) >= 3 + 1
    got = read_stream(client, stream)
    assert Counter(got) == Counter((r.partition_key, r.data) for r in small + big)
    assert writer.stats.records == len(small) + len(big) and writer.stats.oversized == 0


def test_a_record_over_one_mib_is_reported_and_counted_not_sent(kinesis):
    client = kinesis.client()
    stream = new_stream(kinesis)
    reported = []
    writer = KinesisWriter(client, stream, on_oversized=reported.append)
    huge = record(2, size=1024 * 1024)  # not DMS JSON: nothing goes in its place
    writer.put([record(1), huge, record(3)])
    assert [r.key for r in reported] == ["id=2"]
    assert writer.stats.oversized == 1 and writer.stats.oversized_examples == ["public.t (id=2)"]
    assert writer.stats.stand_ins == 0
    assert sorted(k for k, _ in read_stream(client, stream)) == ["public.t.1", "public.t.3"]


def test_a_dms_record_over_one_mib_goes_as_a_stand_in_with_its_key_that_the_apply_sets_aside(kinesis):
    """A row's change too large for Kinesis is not lost from sight: a small record with the same
    metadata and partition key, record-type not-sent, its key and small values, the size and the
    columns left out, goes in its place (tests/test_value_edges.py: every target sets it aside
    with its own reason)."""
    client = kinesis.client()
    stream = new_stream(kinesis)
    encoder = RecordEncoder([TABLE], clock=lambda: dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    ts = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
    big = encoder.encode(RowChange("public", "t", "update", {"id": 7, "b": b"\x01" * 900_000, "ok": True, "f": 1.5},
                                   before={"id": 7, "b": b"\x02" * 10, "ok": False}, commit_ts=ts,
                                   transaction_id=41, transaction_record_id=3))
    small = encoder.encode(RowChange("public", "t", "insert", {"id": 8, "ok": True}, commit_ts=ts, transaction_id=41,
                                     transaction_record_id=4))
    assert big.size > 1024 * 1024
    writer = KinesisWriter(client, stream, on_oversized=lambda r: None)
    writer.put([big, small])
    assert writer.stats.oversized == 1 and writer.stats.stand_ins == 1 and writer.stats.records == 2
    got = dict(read_stream(client, stream))
    assert set(got) == {big.partition_key, small.partition_key} and got[small.partition_key] == small.data
    stand_in, original = json.loads(got[big.partition_key]), json.loads(big.data)
    assert stand_in["data"] == {"id": 7, "ok": True, "f": 1.5}
    assert stand_in["before-image"] == original["before-image"]  # small values are kept whole
    assert stand_in["metadata"] == {**original["metadata"], "record-type": "not-sent", "not-sent-bytes": big.size,
                                    "not-sent-columns": ["b"]}


def test_records_kinesis_did_not_accept_are_sent_again():
    import boto3
    from botocore.stub import Stubber

    client = boto3.session.Session().client("kinesis", region_name="us-east-1", aws_access_key_id="x",
                                            aws_secret_access_key="x")
    records = [record(i) for i in range(4)]
    entries = [{"Data": r.data, "PartitionKey": r.partition_key} for r in records]
    ok = {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}
    throttled = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
    with Stubber(client) as stub:
        stub.add_response("put_records", {"FailedRecordCount": 2, "Records": [ok, throttled, ok, throttled]},
                          {"StreamName": "s", "Records": entries})
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [ok, throttled]},
                          {"StreamName": "s", "Records": [entries[1], entries[3]]})
        stub.add_response("put_records", {"Records": [ok]},
                          {"StreamName": "s", "Records": [entries[3]]})
        writer = KinesisWriter(client, "s", sleep=lambda s: None)
        writer.put(records)
        stub.assert_no_pending_responses()
    assert writer.stats.records == 4 and writer.stats.retried == 3


def test_gives_up_with_one_clear_error_when_kinesis_keeps_refusing():
    import boto3
    from botocore.stub import Stubber

    client = boto3.session.Session().client("kinesis", region_name="us-east-1", aws_access_key_id="x",
                                            aws_secret_access_key="x")
    writer = KinesisWriter(client, "s", sleep=lambda s: None)
    writer.max_attempts = 2
    failed = {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
    with Stubber(client) as stub:
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [failed]})
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [failed]})
        with pytest.raises(StreamleapError, match="did not accept 1 record.*after 2 attempts.*InternalFailure"):
            writer.put([record(1)])


# ---------------------------------------------------------------- Postgres reader + loop
@pytest.fixture(scope="module")
def logical_pg():
    from tests.servers import start_postgres

    try:
        server = start_postgres(extra_conf={"wal_level": "logical", "max_replication_slots": "10",
                                            "max_wal_senders": "10"})
    except RuntimeError as exc:  # pragma: no cover - only without the Debian package
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


def pg_execute(url: str, *statements: str) -> None:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            for s in statements:
                cur.execute(s)
        con.commit()
    finally:
        con.close()


def run_capture(url: str, tables: list[str], stream: str, client, state, once: bool = True) -> Capture:
    from streamleap.capture import open_reader

    reader = open_reader(url, tables, name=stream)
    try:
        loop = Capture(reader, KinesisWriter(client, stream), CheckpointStore(state), source="src", stream=stream,
                       tables=tables)
        loop.run(once=once)
        return loop
    finally:
        reader.close()


@pytest.mark.postgres
def test_checkpoint_moves_only_after_kinesis_accepted_and_a_restart_resends(logical_pg, kinesis, tmp_path):
    url = logical_pg.url
    schema = f"s_{uuid.uuid4().hex[:6]}"
    pg_execute(url, f'create schema {schema}', f'create table {schema}."T" (id int primary key, "Select" text)',
               f"insert into {schema}.\"T\" values (1, 'a'), (2, 'b')")
    client = kinesis.client()
    stream = f"cap_{uuid.uuid4().hex[:8]}"  # not created yet: every put fails
    state = tmp_path / "state.json"
    tables = [f"{schema}.T"]
    with pytest.raises(StreamleapError, match="does not exist"):
        run_capture(url, tables, stream, client, state)
    assert not state.exists()  # nothing was accepted: no checkpoint

    kinesis.create_stream(stream, 1)
    pg_execute(url, f"update {schema}.\"T\" set \"Select\" = 'c' where id = 2")
    first = run_capture(url, tables, stream, client, state)
    saved = json.loads(state.read_text())
    assert saved["snapshot_done"] and saved["position"] == first.stats.position
    records = [json.loads(d) for _, d in read_stream(client, stream)]
    # the failed try made the slot; this one snapshots again (seeing the update) and sends the changes
    # since the slot was made as well (a change always wins over a load in the mirror)
    assert sorted((r["metadata"]["operation"], r["data"]["id"], r["data"]["Select"]) for r in records) == [
        ("load", 1, "a"), ("load", 2, "c"), ("update", 2, "c")]

    # Kinesis goes away mid-stream: the new change is not checkpointed, and is sent after a restart
    pg_execute(url, f"begin; insert into {schema}.\"T\" values (3, 'x'); delete from {schema}.\"T\" where id = 1; commit",
               f"begin; insert into {schema}.\"T\" values (4, 'never'); rollback")
    client.delete_stream(StreamName=stream)
    with pytest.raises(StreamleapError):
        run_capture(url, tables, stream, client, state)
    assert json.loads(state.read_text())["position"] == saved["position"]
    kinesis.create_stream(stream, 1)
    run_capture(url, tables, stream, client, state)
    changes = [json.loads(d) for _, d in read_stream(client, stream)]  # the new stream: only what was resent
    assert [(r["metadata"]["operation"], r["data"]["id"], r["metadata"]["transaction-record-id"]) for r in changes] == [
        ("insert", 3, 1), ("delete", 1, 2)]
    assert changes[0]["metadata"]["transaction-id"] == changes[1]["metadata"]["transaction-id"]
    assert changes[1]["data"] == {"id": 1, "Select": None}  # a Postgres delete: the key, NULL elsewhere
    assert lsn(json.loads(state.read_text())["position"]) > lsn(saved["position"])
    # and the slot was told: it holds nothing before the checkpoint
    import psycopg2

    con = psycopg2.connect(url)
    with con.cursor() as cur:
        cur.execute("select confirmed_flush_lsn::text from pg_replication_slots where slot_name = %s",
                    ["streamleap_" + stream])
        assert lsn(cur.fetchone()[0]) == lsn(json.loads(state.read_text())["position"])
    con.close()


def lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


@pytest.mark.postgres
def test_postgres_values_reach_the_record_as_dms_writes_them(logical_pg, kinesis, tmp_path):
    url = logical_pg.url
    schema = f"v_{uuid.uuid4().hex[:6]}"
    pg_execute(url, f"create schema {schema}",
               f"create table {schema}.v (id int primary key, b boolean, c char(4), n numeric, r real, "
               "t timestamptz, a text[], big text, other text)",
               f"alter table {schema}.v replica identity full",
               f"insert into {schema}.v values (1, true, 'ab', 1.50, 'Infinity', '2024-01-01 10:00+02', "
               "'{\"x y\",NULL}', repeat('z', 200000), 'o')")
    client = kinesis.client()
    stream = new_stream(kinesis, 1)
    run_capture(url, [f"{schema}.v"], stream, client, tmp_path / "s.json")
    pg_execute(url, f"update {schema}.v set other = 'p', id = 2 where id = 1")  # big is not resent by Postgres
    run_capture(url, [f"{schema}.v"], stream, client, tmp_path / "s.json")
    load, update = [json.loads(d) for _, d in read_stream(client, stream)]
    for rec in (load, update):
        data = rec["data"]
        assert (data["b"], data["c"], data["n"], data["r"], data["t"]) == (1, "ab  ", "1.50", "Infinity", "2024-01-01 08:00:00")
        assert json.loads(data["a"]) == ["x y", None] and len(data["big"]) == 200000
    assert update["metadata"]["operation"] == "update" and update["data"]["id"] == 2
    assert update["before-image"]["id"] == 1 and update["before-image"]["other"] == "o"  # REPLICA IDENTITY FULL


# ---------------------------------------------------------------- the command
def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env=CLI_ENV)


def one_error_line(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()  # warnings about the source's set-up may come first
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and "Traceback" not in result.stderr, result.stderr
    assert all(line.startswith(("Error: ", "warning: ")) for line in lines), result.stderr
    return errors[0]


@pytest.mark.postgres
def test_capture_from_a_source_not_set_up_for_cdc_is_one_clear_error(pg_url, kinesis):
    pg_execute(pg_url, "create table if not exists public.not_logical (id int primary key)")
    line = one_error_line(cli("capture", "--source-url", pg_url, "--tables", "public.not_logical", "--stream", "x",
                              "--kinesis-endpoint", kinesis.endpoint_url, "--once"))
    assert "wal_level" in line and "logical" in line


@pytest.mark.postgres
def test_capture_to_a_missing_stream_is_one_clear_error(logical_pg, kinesis, tmp_path):
    pg_execute(logical_pg.url, "create table if not exists public.cap_missing (id int primary key)")
    line = one_error_line(cli("capture", "--source-url", logical_pg.url, "--tables", "public.cap_missing",
                              "--stream", "no_such_stream", "--kinesis-endpoint", kinesis.endpoint_url,
                              "--state-dir", tmp_path, "--once"))
    assert "no_such_stream" in line and "create it" in line


@pytest.mark.postgres
def test_capture_once_command_reports_what_it_sent(logical_pg, kinesis, tmp_path):
    pg_execute(logical_pg.url, "create table if not exists public.cap_cmd (id int primary key, v text)",
               "insert into public.cap_cmd values (1, 'a') on conflict do nothing")
    stream = new_stream(kinesis, 1)
    args = ["capture", "--source-url", logical_pg.url, "--tables", "public.cap_cmd", "--stream", stream,
            "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", tmp_path, "--once"]
    first = cli(*args)
    assert first.exit_code == 0, first.stderr
    assert "snapshot of 1 row(s)" in first.stdout and "1 record(s) put" in first.stdout
    # the snapshot reports its progress while it runs (a large table's takes a while)
    assert "capture: snapshot in progress, 1 row(s) read, 1 record(s) put" in first.stdout
    again = cli(*args[:-3], "--state-dir", tmp_path / "again", "--once", "--json")
    lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert lines[0]["snapshot_in_progress"] and lines[0]["snapshot_rows"] == 1 and lines[0]["records_put"] == 1
    assert lines[-1]["done"] and "snapshot_in_progress" not in lines[-1]
    pg_execute(logical_pg.url, "update public.cap_cmd set v = 'b' where id = 1")
    second = cli(*args, "--json")
    assert second.exit_code == 0, second.stderr
    summary = json.loads(second.stdout.splitlines()[-1])
    assert summary["done"] and summary["changes"] == 1 and summary["records_put"] == 1 and summary["snapshot_rows"] == 0


def test_kinesis_local_serves_until_stopped():
    import signal
    import subprocess
    import sys

    from streamleap.kinesis.client import kinesis_client

    # Ctrl-C as a terminal delivers it: SIGINT at its default, whatever this process (a test worker)
    # set it to (a child started with SIGINT ignored keeps it ignored, and Python then never raises
    # KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-m", "streamleap", "kinesis-local", "--port", "0", "--stream", "a",
                             "--stream", "b", "--shards", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = proc.stdout.readline()
        assert line.startswith("Kinesis endpoint http://127.0.0.1:"), line
        endpoint = line.split()[2]
        assert sorted(kinesis_client(endpoint).list_streams()["StreamNames"]) == ["a", "b"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0



@pytest.mark.postgres
def test_a_capture_start_reads_the_catalog_once(logical_pg, kinesis, tmp_path, monkeypatch):
    """The selection, the readiness checks, the reader and the loop share one read of the tables,
    and the checks and the reader one read of the replica identities (a --key table needs it)."""
    import streamleap.capture.postgres
    import streamleap.sources.checks
    import streamleap.sources.introspect

    reads: Counter = Counter()

    def counted(name, function):
        def wrapper(*args, **kwargs):
            reads[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(streamleap.sources.introspect, "_pg_tables",
                        counted("tables", streamleap.sources.introspect._pg_tables))
    for module in (streamleap.sources.checks, streamleap.capture.postgres):
        monkeypatch.setattr(module, "replica_identities", counted("identities", module.replica_identities))
    pg_execute(logical_pg.url, "create table if not exists public.cap_once (id int primary key)",
               "create table if not exists public.cap_once_nokey (a int)",
               "alter table public.cap_once_nokey replica identity full")
    stream = new_stream(kinesis, 1)
    result = cli("capture", "--source-url", logical_pg.url, "--tables", "public.cap_once,public.cap_once_nokey",
                 "--key", "cap_once_nokey=a", "--stream", stream, "--kinesis-endpoint", kinesis.endpoint_url,
                 "--state-dir", tmp_path, "--once")
    assert result.exit_code == 0, result.stderr
    assert reads == {"tables": 1, "identities": 1}


@pytest.mark.postgres
def test_a_column_added_mid_stream_is_sent_unless_excluded(logical_pg, kinesis, tmp_path):
    """The reader reads the tables again when the stream shows a new column, before its first
    change: an --exclude-columns pattern that names the new column drops it from that change on."""
    from streamleap.capture import open_reader
    from streamleap.capture.selection import CaptureSelection

    schema = f"add_{uuid.uuid4().hex[:6]}"
    pg_execute(logical_pg.url, f"create schema {schema}",
               f"create table {schema}.t (id int primary key, v text, secret_old text)",
               f"insert into {schema}.t values (1, 'a', 'x')")
    client = kinesis.client()
    stream = new_stream(kinesis, 1)
    tables = [f"{schema}.t"]
    for step in ("snapshot", "stream"):
        reader = open_reader(logical_pg.url, tables, name=stream, selection=CaptureSelection(exclusions=[("t", "secret_*")]))
        try:
            loop = Capture(reader, KinesisWriter(client, stream), CheckpointStore(tmp_path / "s.json"), source="src",
                           stream=stream, tables=tables)
            if step == "stream":  # after the reader and the loop have the tables
                pg_execute(logical_pg.url, f"alter table {schema}.t add column secret_pin text, add column note text",
                           f"insert into {schema}.t values (2, 'b', 'y', '1234', 'n')",
                           f"update {schema}.t set v = 'c' where id = 1")
            loop.run(once=True)
        finally:
            reader.close()
    records = [json.loads(d) for _, d in read_stream(client, stream)]
    assert [(r["metadata"]["operation"], r["data"]) for r in records] == [
        ("load", {"id": 1, "v": "a"}), ("insert", {"id": 2, "v": "b", "note": "n"}),
        ("update", {"id": 1, "v": "c", "note": None})]


@pytest.mark.postgres
def test_a_row_too_large_for_kinesis_is_reported_by_the_command(logical_pg, kinesis, tmp_path):
    pg_execute(logical_pg.url, "create table public.cap_big (id int primary key, v text)",
               "alter table public.cap_big alter column v set storage external",  # no compression: 2 MB stays 2 MB
               "insert into public.cap_big values (1, 'small'), (2, repeat('x', 2000000)), (3, 'small')")
    stream = new_stream(kinesis, 1)
    result = cli("capture", "--source-url", logical_pg.url, "--tables", "public.cap_big", "--stream", stream,
                 "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", tmp_path, "--once")
    assert result.exit_code == 0, result.stderr
    assert "public.cap_big (id=2): a record of" in result.stderr and "NOT sent" in result.stderr
    assert ("1 row(s) too large for a Kinesis record NOT sent: public.cap_big (id=2) (1 stand-in record(s) with the key "
            "sent instead: the apply sets them aside)") in result.stdout
    records = [json.loads(d) for _, d in read_stream(kinesis.client(), stream)]
    assert [(r["data"], r["metadata"]["record-type"]) for r in records] == [
        ({"id": 1, "v": "small"}, "data"), ({"id": 2}, "not-sent"), ({"id": 3, "v": "small"}, "data")]
    assert records[1]["metadata"]["not-sent-columns"] == ["v"] and records[1]["metadata"]["operation"] == "load"


def test_docstring_examples():
    import doctest

    import streamleap.capture.postgres
    import streamleap.capture.encoder
    import streamleap.records.dms
    import streamleap.records.values

    for module in (streamleap.capture.postgres, streamleap.records.dms, streamleap.records.values):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


@pytest.mark.postgres
def test_truncate_reaches_the_stream_as_a_control_record(logical_pg, kinesis, tmp_path):
    """pgoutput's TRUNCATE of a captured table: a DMS-style truncate-table control record (metadata
    only, partitioned by schema and table) at its place in the transaction's commit order."""
    url = logical_pg.url
    schema = f"tr_{uuid.uuid4().hex[:6]}"
    pg_execute(url, f"create schema {schema}", f"create table {schema}.t (id int primary key)",
               f"create table {schema}.other (id int primary key)", f"insert into {schema}.t values (1)")
    client = kinesis.client()
    stream = new_stream(kinesis, 1)
    state = tmp_path / "s.json"
    run_capture(url, [f"{schema}.t"], stream, client, state)
    pg_execute(url, f"begin; insert into {schema}.t values (2); truncate {schema}.t, {schema}.other; "
               f"insert into {schema}.t values (3); commit")
    run_capture(url, [f"{schema}.t"], stream, client, state)
    records = [(k, json.loads(d)) for k, d in read_stream(client, stream)]
    meta = [(r["metadata"]["record-type"], r["metadata"]["operation"], r["metadata"].get("transaction-record-id"))
            for _, r in records]
    assert meta == [("data", "load", None), ("data", "insert", 1), ("control", "truncate-table", 2), ("data", "insert", 3)]
    key, truncate = records[2]
    assert "data" not in truncate and key == f"{schema}.t"
    assert truncate["metadata"]["table-name"] == "t" and truncate["metadata"]["schema-name"] == schema
    assert truncate["metadata"]["commit-timestamp"] == records[1][1]["metadata"]["commit-timestamp"]


class _KilledAfterPut(KinesisWriter):
    """Puts its records, then fails the first put of changes (not snapshot reads): capture is
    killed after the stream has them and before its checkpoint does. The snapshot's put runs
    `then` (a change after the snapshot)."""

    killed = False
    then = None

    def put(self, records):
        records = list(records)
        super().put(records)
        if self.then is not None:
            self.then()
            self.then = None
        if not self.killed and any(json.loads(r.data)["payload"]["op"] != "r" for r in records if r.data):
            self.killed = True
            raise StreamleapError("killed")


@pytest.mark.postgres
def test_debezium_capture_killed_after_its_snapshot_resends_the_same_events(logical_pg, kinesis, tmp_path):
    """The first transaction after the snapshot, sent and then sent again after a restart (its
    checkpoint was not saved), is the same event both times: the same source.sequence, so the same
    place in the mirror's order. The checkpoint names its records' format and destination, and a
    capture writing another format from it is one clear error."""
    from streamleap.capture import open_reader

    url = logical_pg.url
    schema = f"s_{uuid.uuid4().hex[:6]}"
    pg_execute(url, f"create schema {schema}", f"create table {schema}.t (id int primary key, v text)",
               f"insert into {schema}.t values (1, 'a')")
    client = kinesis.client()
    stream = new_stream(kinesis, 1)
    state = tmp_path / "state.json"
    tables = [f"{schema}.t"]

    def run(writer, record_format="debezium"):
        reader = open_reader(url, tables, name=stream)
        try:
            Capture(reader, writer, CheckpointStore(state), source="src", stream=stream, tables=tables,
                    record_format=record_format).run(once=True)
        finally:
            reader.close()

    killed = _KilledAfterPut(client, stream)
    killed.then = lambda: pg_execute(url, f"update {schema}.t set v = 'b' where id = 1")
    with pytest.raises(StreamleapError, match="killed"):
        run(killed)
    saved = json.loads(state.read_text())
    assert saved["snapshot_done"] and (saved["record_format"], saved["destination"]) == ("debezium", "kinesis")
    run(KinesisWriter(client, stream))
    events = [json.loads(d)["payload"] for _, d in read_stream(client, stream)]
    updates = [e for e in events if e["op"] == "u"]
    assert len(updates) == 2 and updates[0]["after"] == updates[1]["after"] == {"id": 1, "v": "b"}
    assert updates[0]["source"]["sequence"] == updates[1]["source"]["sequence"]
    assert json.loads(updates[0]["source"]["sequence"])[0] is not None  # the snapshot's position: the last commit before it

    with pytest.raises(StreamleapError, match="is for debezium records to a kinesis stream; this capture writes dms records"):
        run(KinesisWriter(client, stream), record_format="dms")


def test_debezium_settings_without_the_debezium_format_are_one_clear_error():
    result = cli("capture", "--source-url", "postgresql://u@127.0.0.1:1/db", "--stream", "s", "--debezium-decimal-handling", "string")
    assert "--debezium-decimal-handling and --no-debezium-schemas are for --format debezium" in one_error_line(result)


def test_a_progress_line_held_back_is_printed_when_its_time_comes():
    """capture prints its progress at most every few seconds: a flush that came sooner is printed
    once the time is up, not only at the next flush (the last burst before a quiet spell would
    otherwise stay unreported)."""
    import time

    from streamleap.cli.capture import _Progress

    shown: list[str] = []
    progress = _Progress(shown.append)
    progress.EVERY = 0.3
    try:
        progress.flushed("first")
        progress.flushed("held back")
        progress.flushed("newest")
        assert shown == ["first"]
        deadline = time.monotonic() + 5
        while len(shown) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shown == ["first", "newest"]  # the newest stats, once
        time.sleep(0.8)
        assert shown == ["first", "newest"]
    finally:
        progress.stop()


def test_a_binlog_checkpoint_reads_as_file_and_position():
    from streamleap.cli.capture import _position_text

    assert _position_text({"file": "binlog.000001", "pos": 4711, "commit_us": 17}) == "binlog.000001:4711"
    assert _position_text("0/16B3748") == "0/16B3748"
