"""The relay on DuckDB and on a real PostgreSQL, reading a real Kinesis endpoint (moto's server,
in-process): every record lands in the stand-in exactly once, in order per partition key, with one
refresh_time per pull, across restarts, failures and resharding; and `dbt run` mirrors what it
relayed."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import os
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from streamleap.records import ChangeRecord
from streamleap.errors import StreamleapError
from streamleap.kinesis.client import kinesis_client
from streamleap.kinesis.local import LocalKinesis
from streamleap.pipeline.relay import Relay
from streamleap.pipeline.warehouse import open_warehouse
from tests.harness import STREAM, Target, dbt, expected_rows, make_project

pytestmark = pytest.mark.dbt

DDL = """
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  status varchar(10) NOT NULL,
  total numeric(12,2),
  updated_at timestamp
);
"""


@pytest.fixture(scope="module")
def kinesis():
    with LocalKinesis() as local:
        yield local


@pytest.fixture(scope="module", params=["local", "postgres"])
def project(request, tmp_path_factory) -> Target:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(request.param), DDL, "postgres", request.param, pg_url)


@dataclass
class Put:
    shard: str
    seq: str
    key: str
    data: bytes


@dataclass
class Env:
    """One test's stream: a Kinesis stream and its stand-in, both named `stream`."""

    target: Target
    kinesis: LocalKinesis
    stream: str
    monkeypatch: pytest.MonkeyPatch
    puts: list[Put] = field(default_factory=list)
    _n: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self):
        self.client = self.kinesis.client()  # boto3 clients are slow to make, and thread-safe

    def warehouse(self):
        for k, v in self.target.env.items():
            self.monkeypatch.setenv(k, v)
        return open_warehouse(self.target.project, self.target.name)

    def relay(self, client=None, **kwargs) -> Relay:
        return Relay(client or self.client, self.stream, self.warehouse(), self.target.stream_schema, **kwargs)

    def put(self, n: int, keys: int = 40, pad: int = 0) -> list[Put]:
        """n records round-robin over `keys` partition keys; data = key, a counter and raw bytes
        (and `pad` more bytes)."""
        client, out = self.client, []
        batch = []
        for _ in range(n):
            i = next(self._n)
            key = f"k{i % keys}"
            batch.append((key, f"{key}:{i}:".encode() + b"\x00\xff\xfe" + bytes([i % 256]) + b"x" * pad))
        for start in range(0, len(batch), 500):
            chunk = batch[start:start + 500]
            resp = client.put_records(StreamName=self.stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk])
            assert resp.get("FailedRecordCount", 0) == 0
            out += [Put(r["ShardId"], r["SequenceNumber"], k, d) for r, (k, d) in zip(resp["Records"], chunk, strict=True)]
        self.puts += out
        return out

    def rows(self) -> list[tuple]:
        """(shard_id, sequence_number, partition_key, kinesis_data, refresh_time, arrival) as relayed."""
        rows = self.target.query(
            "select shard_id, sequence_number, partition_key, kinesis_data, refresh_time, approximate_arrival_timestamp "
            f'from "{self.target.stream_schema}"."{self.stream}"')
        return [(s, q, k, bytes(d), r, a) for s, q, k, d, r, a in rows]

    def checkpoints(self) -> dict[str, tuple]:
        rows = self.target.query(
            f'select shard_id, sequence_number, shard_closed from "{self.target.stream_schema}".streamleap_relay_checkpoints '
            + ("where stream_name = ?" if self.target.name == "local" else "where stream_name = %s"), [self.stream])
        return {s: (q, bool(c)) for s, q, c in rows}

    def assert_exactly_once(self) -> list[tuple]:
        rows = self.rows()
        relayed = Counter((s, q) for s, q, *_ in rows)
        assert max(relayed.values(), default=1) == 1, "a record was relayed twice"
        assert set(relayed) == {(p.shard, p.seq) for p in self.puts}
        sent = {(p.shard, p.seq): (p.key, p.data) for p in self.puts}
        assert {(s, q): (k, d) for s, q, k, d, *_ in rows} == sent  # partition keys and raw bytes untouched
        return rows

    def assert_put_order_per_key(self, rows: list[tuple]) -> None:
        """Per partition key (and per shard), ordered by (refresh_time, sequence number), the records come in put order."""
        arrived = defaultdict(list)
        for _s, _q, k, d, _r, _ in sorted(rows, key=lambda row: (row[4], int(row[1]))):
            arrived[k].append(d)
        put = defaultdict(list)
        for p in self.puts:
            put[p.key].append(p.data)
        assert arrived == put
        # and per shard, in the order they were put there
        by_shard, put_on = defaultdict(list), defaultdict(list)
        for s, _q, _k, d, _r, _ in sorted(rows, key=lambda row: (row[4], int(row[1]))):
            by_shard[s].append(d)
        for p in self.puts:
            put_on[p.shard].append(p.data)
        assert by_shard == put_on


@pytest.fixture
def env(project, kinesis, monkeypatch) -> Env:
    def make(shards: int = 4) -> Env:
        name = f"rs_{uuid.uuid4().hex[:10]}"
        schema = project.stream_schema
        # the stand-in for this stream: the exact columns of the one dbt created
        project.execute(f'create table "{schema}"."{name}" as select * from "{schema}"."{STREAM}" where 1 = 0')
        kinesis.create_stream(name, shards)
        return Env(project, kinesis, name, monkeypatch)

    return make


def pull_all(relay: Relay, limit: int = 60) -> list:
    results = []
    for _ in range(limit):
        results.append(relay.pull())
        if results[-1].records == 0:
            return results
    raise AssertionError("the relay never caught up")


# ---------------------------------------------------------------- tests
def test_shards_exactly_once_in_order_one_refresh_time_per_pull(env):
    e = env(shards=4)
    relay = e.relay()
    first = e.put(400)
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    r1 = relay.pull()
    assert r1.records == 400 and sum(r1.per_shard.values()) == 400 and len(r1.per_shard) == 4
    second = e.put(300)
    r2 = relay.pull()
    assert r2.records == 300
    r3 = relay.pull()
    assert (r3.records, r3.per_shard, r3.refresh_time) == (0, {}, None)
    assert r1.refresh_time < r2.refresh_time
    rows = e.assert_exactly_once()
    refresh = {(s, q): r for s, q, _, _, r, _ in rows}
    assert {refresh[(p.shard, p.seq)] for p in first} == {r1.refresh_time}
    assert {refresh[(p.shard, p.seq)] for p in second} == {r2.refresh_time}
    e.assert_put_order_per_key(rows)
    # arrival times are the records' own, in UTC
    arrivals = [a for *_, a in rows]
    assert all(abs((a - started).total_seconds()) < 300 for a in arrivals)
    last = {}
    for p in e.puts:
        last[p.shard] = max(last.get(p.shard, 0), int(p.seq))
    assert {s: int(q) for s, q in r2.positions.items()} == last
    assert relay.positions() == r2.positions == r3.positions
    assert e.checkpoints() == {s: (q, False) for s, q in r2.positions.items()}
    # a new pull is later than the last refresh_time even when the clock is behind it
    e.target.execute(f'update "{e.target.stream_schema}"."{e.stream}" set refresh_time = refresh_time + interval \'1 day\' '
                     "where sequence_number = '1'")
    newest = max(r for *_, r, _ in e.rows())
    e.put(5)
    r4 = relay.pull()
    assert r4.refresh_time == newest + dt.timedelta(microseconds=1)


def test_paging_several_pages_and_pulls(env):
    e = env(shards=2)
    e.put(1000, keys=50)
    spy = Spy(e.kinesis.client())
    relay = e.relay(spy, max_records_per_shard=150)
    relay.get_records_limit = 40  # several GetRecords pages per pull
    results = pull_all(relay)
    assert sum(r.records for r in results) == 1000
    assert all(n <= 150 for r in results for n in r.per_shard.values())
    per_shard = Counter(p.shard for p in e.puts)
    assert len(results) - 1 == -(-max(per_shard.values()) // 150)
    times = [r.refresh_time for r in results if r.records]
    assert times == sorted(set(times))
    # the next iterators are kept between pulls: one GetShardIterator per shard in all
    assert spy.calls["get_shard_iterator"] == 2
    assert spy.calls["get_records"] >= 1000 // 40
    e.assert_put_order_per_key(e.assert_exactly_once())


def test_restart_continues_from_the_checkpoints(env):
    e = env(shards=4)
    e.put(250)
    first = e.relay()
    assert first.pull().records == 250
    before = first.positions()
    first.close()
    e.put(150)
    restarted = e.relay()  # a new warehouse connection and no cached iterators
    assert restarted.positions() == before
    r = restarted.pull()
    assert r.records == 150
    rows = e.assert_exactly_once()
    by_shard = defaultdict(list)
    for s, q, *_ in rows:
        by_shard[s].append(int(q))
    for shard, seqs in by_shard.items():  # no gaps: every sequence number put on the shard, once
        assert sorted(seqs) == sorted(int(p.seq) for p in e.puts if p.shard == shard)
    assert restarted.pull().records == 0
    e.assert_put_order_per_key(rows)


def test_failed_pull_commits_nothing_and_the_next_one_delivers(env, monkeypatch):
    e = env(shards=4)
    e.put(100)
    relay = e.relay()
    assert relay.pull().records == 100
    committed, count = relay.positions(), len(e.rows())
    e.put(200)
    original = Relay._insert

    def insert_then_fail(self, cur, rows):
        original(self, cur, rows)  # the rows are in the transaction...
        raise RuntimeError("disk full")  # ...which never commits

    monkeypatch.setattr(Relay, "_insert", insert_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        relay.pull()
    assert relay.positions() == committed and e.relay().positions() == committed
    assert len(e.rows()) == count
    assert e.checkpoints() == {s: (q, False) for s, q in committed.items()}
    monkeypatch.setattr(Relay, "_insert", original)
    assert relay.pull().records == 200
    # the warehouse connection breaks between pulls: the pull fails, the next one reconnects
    e.put(50)
    relay._con.close()
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error: duckdb and psycopg2 share no narrower base
        relay.pull()
    assert relay.pull().records == 50
    # Kinesis fails in the middle of a pull: nothing is committed, nothing lost
    e.put(80)
    committed = relay.positions()
    relay.close()  # one relay per stream
    flaky = Spy(e.kinesis.client(), fail_get_records_after=2)
    reader = e.relay(flaky, max_records_per_shard=10)
    with pytest.raises(ClientError, match="InternalFailure"):
        reader.pull()
    assert reader.positions() == committed
    flaky.fail_get_records_after = None
    pull_all(reader)
    e.assert_put_order_per_key(e.assert_exactly_once())


def test_records_put_while_pulling(env):
    e = env(shards=4)
    relay = e.relay()
    producer = threading.Thread(target=lambda: [e.put(100, keys=30) for _ in range(30)])
    producer.start()
    while producer.is_alive():
        relay.pull()
    producer.join()
    pull_all(relay)
    e.assert_put_order_per_key(e.assert_exactly_once())


def test_throttling_is_retried_and_expired_iterators_restart_from_the_checkpoint(env):
    e = env(shards=2)
    e.put(120)
    spy = Spy(e.kinesis.client())
    relay = e.relay(spy)
    assert relay.pull().records == 120
    e.put(60)
    spy.expire_issued()  # every iterator handed out so far has expired (Kinesis: after 5 minutes)
    spy.throttle = 3  # and the next three calls are throttled
    before = spy.calls["get_shard_iterator"]
    assert relay.pull().records == 60
    assert spy.throttle == 0 and spy.calls["get_shard_iterator"] == before + 2
    e.assert_put_order_per_key(e.assert_exactly_once())


def test_resharding_parents_before_children(env):
    e = env(shards=2)
    client = e.kinesis.client()
    relay = e.relay(max_records_per_shard=50)
    e.put(240, keys=30)
    assert relay.pull().records == 100  # the parents are partly read when they split
    shards = {s["ShardId"]: s for s in client.list_shards(StreamName=e.stream)["Shards"]}
    parent = "shardId-000000000000"
    lo, hi = (int(shards[parent]["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    client.split_shard(StreamName=e.stream, ShardToSplit=parent, NewStartingHashKey=str((lo + hi) // 2))
    e.put(240, keys=30)
    children = sorted(s["ShardId"] for s in client.list_shards(StreamName=e.stream)["Shards"]
                      if s.get("ParentShardId") == parent)
    assert len(children) == 2
    client.merge_shards(StreamName=e.stream, ShardToMerge=children[0], AdjacentShardToMerge=children[1])
    e.put(120, keys=30)
    grandchild = [s for s in client.list_shards(StreamName=e.stream)["Shards"] if s.get("AdjacentParentShardId")][0]
    pull_all(relay)
    rows = e.assert_exactly_once()
    on = Counter(s for s, *_ in rows)
    assert all(on[c] > 0 for c in children) and on[grandchild["ShardId"]] > 0  # the new shards took records
    e.assert_put_order_per_key(rows)
    times = defaultdict(list)
    for s, _, _, _, r, _ in rows:
        times[s].append(r)
    for child in children:
        assert min(times[child]) > max(times[parent])
        assert min(times[grandchild["ShardId"]]) > max(times[child])
    closed = {s for s, (_, c) in e.checkpoints().items() if c}
    assert closed == {parent, *children}


def test_missing_stand_in_and_client_endpoint(project, kinesis, monkeypatch):
    for k, v in project.env.items():
        monkeypatch.setenv(k, v)
    warehouse = open_warehouse(project.project, project.name)
    kinesis.create_stream("not_in_the_warehouse", 1)
    with pytest.raises(StreamleapError, match=r"does not exist.*run `dbt run`"):
        Relay(kinesis.client(), "not_in_the_warehouse", warehouse, project.stream_schema).pull()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("STREAMLEAP_KINESIS_ENDPOINT", kinesis.endpoint_url)
    client = kinesis_client(None, "us-east-1")
    assert client.meta.endpoint_url == kinesis.endpoint_url
    # (moto's backend is shared by the whole test process: other tests' streams are there too)
    summary = client.describe_stream_summary(StreamName="not_in_the_warehouse")["StreamDescriptionSummary"]
    assert summary["StreamName"] == "not_in_the_warehouse"

    # a library caller's client with credentials in its endpoint: the not-found line never shows them
    import boto3

    host = kinesis.endpoint_url.split("://", 1)[1]
    secret_client = boto3.client("kinesis", region_name="us-east-1", endpoint_url=f"http://u:s3cr3t-pw@{host}",
                                 aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(StreamleapError, match="not found at") as caught:
        Relay(secret_client, "no_such_stream_anywhere", warehouse, project.stream_schema)._read_shards({})
    assert "s3cr3t-pw" not in str(caught.value)


# ---------------------------------------------------------------- end to end
T0 = dt.datetime(2024, 5, 1, 12, 0, 0)


def test_dbt_mirrors_what_the_relay_delivered(project, kinesis, monkeypatch):
    client = _fresh_project_stream(project, kinesis, monkeypatch)
    relay = Relay(client, STREAM, open_warehouse(project.project, project.name), project.stream_schema)
    ticks = itertools.count(1)

    def cart(op: str, id: int, status: str | None = None, total: str | None = None, before: dict | None = None):
        n = next(ticks)
        ts = T0 + dt.timedelta(milliseconds=7 * n)
        data = {"id": id, "status": status, "total": total,
                "updated_at": ts.strftime("%Y-%m-%d %H:%M:%S.%f") if status else None}
        return ChangeRecord("public", "cart", op, data, before=before, commit_ts=None if op == "load" else ts,
                            transaction_id=100 + n, transaction_record_id=1)

    def send(records: list[ChangeRecord]) -> None:
        for r in records:  # one at a time: DMS keeps a key's changes in commit order
            client.put_record(StreamName=STREAM, Data=r.to_bytes(), PartitionKey=f"public.cart.{r.data['id']}")

    def check() -> None:
        relayed = project.query(f'select sequence_number, kinesis_data from "{project.stream_schema}"."{STREAM}"')
        expected = {k: {"status": v["status"], "total": None if v["total"] is None else decimal.Decimal(v["total"])}
                    for k, v in expected_rows([(q, bytes(d)) for q, d in relayed], "cart", ["id"], "public").items()}
        actual = {(i,): {"status": s, "total": t} for i, s, t in project.query(f"select id, status, total from {project.rel('cart')}")}
        assert actual == expected

    send([cart("load", i, "open", f"{i}.50") for i in range(1, 9)]
         + [cart("insert", 20, "open", "1"), cart("update", 3, "paid", "3.75"), cart("delete", 5),
            cart("update", 21, "moved", "2", before={"id": 20})])
    assert relay.pull().records == 12
    dbt(project, "run")
    check()
    send([cart("update", 1, "shipped", "1.50"), cart("delete", 21), cart("insert", 5, "reborn", "9"),
          cart("update", 2, "paid", "2.50"), cart("update", 2, "shipped", "2.50")])
    assert relay.pull().records == 5
    dbt(project, "run")
    check()
    statuses = dict(project.query(f"select id, status from {project.rel('cart')}"))
    assert statuses[1] == "shipped" and statuses[2] == "shipped" and statuses[5] == "reborn" and 21 not in statuses


# ---------------------------------------------------------------- a Kinesis client that misbehaves on cue
class Spy:
    """Wraps a boto3 Kinesis client: counts calls; can throttle, expire iterators, or fail."""

    def __init__(self, client, fail_get_records_after: int | None = None):
        self._client = client
        self.calls: Counter = Counter()
        self.throttle = 0
        self.fail_get_records_after = fail_get_records_after
        self._generation = 0  # iterators handed out are tagged with it (moto's repeat for one position)
        self._valid_from = 0

    def __getattr__(self, name):
        return getattr(self._client, name)

    def expire_issued(self) -> None:
        self._generation += 1
        self._valid_from = self._generation

    def _tag(self, iterator: str | None) -> str | None:
        return None if iterator is None else f"{self._generation}|{iterator}"

    def _error(self, code: str, op: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": code}}, op)

    def _maybe_throttle(self, op: str) -> None:
        if self.throttle:
            self.throttle -= 1
            raise self._error("ProvisionedThroughputExceededException", op)

    def get_shard_iterator(self, **kwargs):
        self.calls["get_shard_iterator"] += 1
        self._maybe_throttle("GetShardIterator")
        resp = self._client.get_shard_iterator(**kwargs)
        return {**resp, "ShardIterator": self._tag(resp["ShardIterator"])}

    def get_records(self, **kwargs):
        self.calls["get_records"] += 1
        self._maybe_throttle("GetRecords")
        if self.fail_get_records_after is not None and self.calls["get_records"] > self.fail_get_records_after:
            raise self._error("InternalFailure", "GetRecords")
        generation, iterator = kwargs["ShardIterator"].split("|", 1)
        if int(generation) < self._valid_from:
            raise self._error("ExpiredIteratorException", "GetRecords")
        resp = self._client.get_records(**{**kwargs, "ShardIterator": iterator})
        return {**resp, "NextShardIterator": self._tag(resp.get("NextShardIterator"))}


# ---------------------------------------------------------------- a re-created stream (issue 10, item 1)
def recreate(e: Env, shards: int = 4) -> None:
    """What a restarted kinesis-local (or a stream deleted and created again on AWS) leaves: the
    same name, new shards whose sequence numbers start again."""
    e.client.delete_stream(StreamName=e.stream, EnforceConsumerDeletion=True)
    e.kinesis.create_stream(e.stream, shards)


def identity(e: Env) -> tuple[str, dt.datetime]:
    """The stream's ARN and creation time (naive UTC), as DescribeStreamSummary gives them."""
    s = e.client.describe_stream_summary(StreamName=e.stream)["StreamDescriptionSummary"]
    return s["StreamARN"], s["StreamCreationTimestamp"].astimezone(dt.timezone.utc).replace(tzinfo=None)


def stand_in(e: Env) -> Counter:
    return Counter((s, q, d) for s, q, _, d, _, _ in e.rows())


def test_a_recreated_stream_stops_the_relay_and_restart_stream_reads_it_from_its_beginning(env):
    e = env(shards=4)
    e.put(600)
    relay = e.relay()
    assert relay.pull().records == 600
    old_identity = identity(e)
    before, old_rows = e.checkpoints(), stand_in(e)
    old_max = max(r for *_, r, _ in e.rows())
    recreate(e)
    new = e.put(40)  # fewer records than the checkpoints are past: moto would give empty reads
    for r in (relay, e.relay()):  # the running relay (with its cached iterators) and a restarted one
        with pytest.raises(StreamleapError, match="re-created") as info:
            r.pull()
        message = str(info.value)
        assert "\n" not in message and "--restart-stream" in message and e.stream in message
        assert type(info.value).__name__ == "StreamChangedError"
        assert e.checkpoints() == before and stand_in(e) == old_rows  # nothing skipped, nothing applied
        r.close()
    new += e.put(900)  # more records than the checkpoints: positions alone would not tell
    with pytest.raises(StreamleapError, match="re-created"):
        e.relay().pull()
    assert e.checkpoints() == before and stand_in(e) == old_rows

    restarted = e.relay(restart_stream=True)
    results = pull_all(restarted)
    assert sum(r.records for r in results) == len(new) == 940
    new_identity = identity(e)
    assert new_identity != old_identity and (restarted.restarted_on.arn, restarted.restarted_on.created_at) == new_identity
    assert stand_in(e) == old_rows + Counter((p.shard, p.seq, p.data) for p in new)  # every new record, once
    rows = e.rows()
    assert min(r for s, q, _, d, r, _ in rows if (s, q, d) not in old_rows) > old_max  # refresh_time never goes back
    ids = e.target.query(f'select distinct stream_arn, stream_created_at from "{e.target.stream_schema}".'
                         "streamleap_relay_checkpoints where stream_name = " + ("?" if e.target.name == "local" else "%s"),
                         [e.stream])
    assert ids == [new_identity]
    restarted.close()
    # the flag on a stream that is the checkpoints' own changes nothing
    again = e.relay(restart_stream=True)
    more = e.put(30)
    assert again.pull().records == 30 and again.restarted_on is None
    assert stand_in(e) == old_rows + Counter((p.shard, p.seq, p.data) for p in new + more)
    again.close()


def test_checkpoints_without_an_identity_are_upgraded_and_adopt_the_stream_once(env):
    e = env(shards=2)
    e.put(200)
    relay = e.relay()
    assert relay.pull().records == 200
    relay.close()
    table = f'"{e.target.stream_schema}".streamleap_relay_checkpoints'
    # the table as relays before stream identities made it (rows of other tests' streams stay as they are)
    e.target.execute(f"create table {e.target.stream_schema}.cp_saved as select * from {table}")
    e.target.execute(f"drop table {table}")
    e.target.execute(f"create table {table} (stream_name varchar(256) not null, shard_id varchar(128) not null, "
                     "sequence_number varchar(129), shard_closed boolean not null default false, updated_at timestamp, "
                     "primary key (stream_name, shard_id))")
    e.target.execute(f"insert into {table} select stream_name, shard_id, sequence_number, shard_closed, updated_at "
                     f"from {e.target.stream_schema}.cp_saved")
    e.target.execute(f"drop table {e.target.stream_schema}.cp_saved")
    e.put(50)
    upgraded = e.relay()
    assert upgraded.pull().records == 50  # continues exactly where it was
    mark = "?" if e.target.name == "local" else "%s"
    assert e.target.query(f"select distinct stream_arn, stream_created_at from {table} where stream_name = {mark}",
                          [e.stream]) == [identity(e)]
    e.assert_put_order_per_key(e.assert_exactly_once())
    upgraded.close()
    # an old checkpoint that is not a position in the stream (re-created before the upgrade): stopped, not skipped
    e.target.execute(f"update {table} set stream_arn = null, stream_created_at = null where stream_name = {mark}", [e.stream])
    before = e.checkpoints()
    recreate(e, shards=2)
    e.put(20)
    with pytest.raises(StreamleapError, match=r"checkpoint \d+ is refused by GetShardIterator.*--restart-stream"):
        e.relay().pull()
    assert e.checkpoints() == before


# ---------------------------------------------------------------- two relays on one stream (issue 10, item 3)
def _cart_record(n: int, id: int, status: str) -> ChangeRecord:
    ts = _base[0] + dt.timedelta(milliseconds=7 * n)
    return ChangeRecord("public", "cart", "insert" if status == "open" else "update",
                        {"id": id, "status": status, "total": "1.00", "updated_at": ts.strftime("%Y-%m-%d %H:%M:%S.%f")},
                        commit_ts=ts, transaction_id=100 + n, transaction_record_id=1)


def _mirror_matches_the_stand_in(project) -> None:
    relayed = project.query(f'select sequence_number, kinesis_data from "{project.stream_schema}"."{STREAM}"')
    expected = {k: v["status"] for k, v in expected_rows([(q, bytes(d)) for q, d in relayed], "cart", ["id"], "public").items()}
    actual = {(i,): s for i, s in project.query(f"select id, status from {project.rel('cart')}")}
    assert actual == expected


_base = [T0]


def _fresh_project_stream(project, kinesis, monkeypatch):
    """An empty stream for the project, its checkpoints forgotten (a relay never run on it), and
    commit times after every earlier test's: the stand-in keeps what earlier tests relayed."""
    _base[0] = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    mark = "?" if project.name == "local" else "%s"
    if project.query(f"select count(*) from information_schema.tables where table_schema = {mark} and table_name = "
                     "'streamleap_relay_checkpoints'", [project.stream_schema])[0][0]:
        project.execute(f'delete from "{project.stream_schema}".streamleap_relay_checkpoints where stream_name = {mark}',
                        [STREAM])
    client = kinesis.client()
    try:
        client.delete_stream(StreamName=STREAM)
    except client.exceptions.ResourceNotFoundException:
        pass
    kinesis.create_stream(STREAM, 2)
    for k, v in project.env.items():
        monkeypatch.setenv(k, v)
    return client


def test_a_second_relay_on_a_stream_is_refused_and_a_dbt_run_between_loses_nothing(project, kinesis, monkeypatch):
    client = _fresh_project_stream(project, kinesis, monkeypatch)
    warehouse = open_warehouse(project.project, project.name)
    a = Relay(client, STREAM, warehouse, project.stream_schema)
    b = Relay(client, STREAM, warehouse, project.stream_schema)
    ticks = itertools.count(1)

    def send(records: list[ChangeRecord]) -> None:
        for r in records:
            client.put_record(StreamName=STREAM, Data=r.to_bytes(), PartitionKey=f"public.cart.{r.data['id']}")

    send([_cart_record(next(ticks), i, "open") for i in range(1, 21)])
    a.pull()
    send([_cart_record(next(ticks), i, "paid") for i in range(1, 21)])
    # the interleaving needs B to compute a refresh_time while A relays: B never gets that far
    with pytest.raises(StreamleapError) as info:
        b.pull()
    message = str(info.value)
    assert type(info.value).__name__ == "RelayBusyError" and "\n" not in message
    assert f"stream {STREAM} is already relayed" in message and "one runner (or relay) per stream" in message
    if project.name == "postgres":
        assert f"streamleap relay, PID {os.getpid()}" in message and "Postgres backend" in message  # the holder
    else:
        assert f"PID {os.getpid()}" in message
    assert a.pull().records == 20
    dbt(project, "run")
    _mirror_matches_the_stand_in(project)
    a.close()  # the lease goes with the relay: B may take over
    send([_cart_record(next(ticks), i, "shipped") for i in range(1, 21)])
    assert b.pull().records == 20
    dbt(project, "run")
    _mirror_matches_the_stand_in(project)
    assert {s for _, s in project.query(f"select id, status from {project.rel('cart')}")} == {"shipped"}
    b.close()


@pytest.mark.parametrize("project", ["postgres"], indirect=True)
def test_refresh_time_is_assigned_in_commit_order_even_past_the_lease(project, kinesis, monkeypatch):
    """Two relays that skip the lease (a relay of an older version, say) on different shards, in the
    issue's order: B reads max(refresh_time), A commits, dbt runs, B commits. The lock B holds makes
    A wait, so A's refresh_time is later than B's and the dbt run cannot pass B's rows."""
    client = _fresh_project_stream(project, kinesis, monkeypatch)
    monkeypatch.setattr(Relay, "_take_lease", lambda self, con: None, raising=False)
    warehouse = open_warehouse(project.project, project.name)
    shards = sorted(s["ShardId"] for s in client.list_shards(StreamName=STREAM)["Shards"])

    class OneShard(Relay):
        def __init__(self, shard: str):
            super().__init__(client, STREAM, warehouse, project.stream_schema)
            self.shard = shard

        def _list_shards(self):
            return [s for s in super()._list_shards() if s["ShardId"] == self.shard]

    a, b = OneShard(shards[0]), OneShard(shards[1])
    hashes = {s["ShardId"]: int(s["HashKeyRange"]["StartingHashKey"]) for s in client.list_shards(StreamName=STREAM)["Shards"]}
    ticks = itertools.count(1)

    def send(shard: str, ids: range, status: str) -> None:
        for i in ids:
            client.put_record(StreamName=STREAM, Data=_cart_record(next(ticks), i, status).to_bytes(),
                              PartitionKey=f"k{i}", ExplicitHashKey=str(hashes[shard]))

    send(shards[1], range(1, 11), "open")
    send(shards[0], range(11, 21), "open")
    computed, go_on = threading.Event(), threading.Event()
    insert = Relay._insert

    def paused_insert(self, cur, rows):
        if self is b:
            computed.set()  # B has read max(refresh_time) and holds its refresh_time
            assert go_on.wait(30)
        insert(self, cur, rows)

    monkeypatch.setattr(Relay, "_insert", paused_insert)
    b_thread = threading.Thread(target=b.pull)
    b_thread.start()
    assert computed.wait(30)
    a_result: list = []
    a_thread = threading.Thread(target=lambda: a_result.append(a.pull()))
    a_thread.start()
    a_thread.join(1.0)
    assert a_thread.is_alive(), "A committed while B held its refresh_time"
    dbt(project, "run")  # between: sees neither
    go_on.set()
    b_thread.join(30)
    a_thread.join(30)
    times = dict(project.query(f'select shard_id, max(refresh_time) from "{project.stream_schema}"."{STREAM}" group by 1'))
    assert times[shards[0]] > times[shards[1]]  # A committed after B, with a later refresh_time
    dbt(project, "run")
    _mirror_matches_the_stand_in(project)
    assert len(project.query(f"select id from {project.rel('cart')}")) == 20
    a.close()
    b.close()


def test_a_checkpoint_outside_its_shards_range_stops_the_relay(env):
    e = env(shards=2)
    e.put(100)
    relay = e.relay()
    assert relay.pull().records == 100
    relay.close()
    table = f'"{e.target.stream_schema}".streamleap_relay_checkpoints'
    mark = "?" if e.target.name == "local" else "%s"
    first, second = sorted(e.checkpoints())
    # a parent closed by a split, read to its end: its checkpoint is its last sequence number
    shards = {s["ShardId"]: s for s in e.client.list_shards(StreamName=e.stream)["Shards"]}
    lo, hi = (int(shards[first]["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    e.client.split_shard(StreamName=e.stream, ShardToSplit=first, NewStartingHashKey=str((lo + hi) // 2))
    end = [s for s in e.client.list_shards(StreamName=e.stream)["Shards"] if s["ShardId"] == first][0]
    last = end["SequenceNumberRange"]["EndingSequenceNumber"]  # a closed shard's range has an end
    e.target.execute(f"update {table} set sequence_number = {mark} where stream_name = {mark} and shard_id = {mark}",
                     [str(int(last) + 5), e.stream, first])
    with pytest.raises(StreamleapError, match=rf"shard {first}: the relay's checkpoint {int(last) + 5} is past the "
                                              rf"shard's last sequence number {last}.*--restart-stream"):
        e.relay().pull()
    e.target.execute(f"update {table} set sequence_number = {mark} where stream_name = {mark} and shard_id = {mark}",
                     [last, e.stream, first])
    e.target.execute(f"update {table} set sequence_number = {mark} where stream_name = {mark} and shard_id = {mark}",
                     ["0", e.stream, second])
    with pytest.raises(StreamleapError, match=rf"shard {second}: the relay's checkpoint 0 is before the shard's first "
                                              r"sequence number \d+.*--restart-stream"):
        e.relay().pull()
