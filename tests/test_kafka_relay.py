"""The Kafka relay on DuckDB and on a real PostgreSQL, reading a real Kafka protocol endpoint
(librdkafka's mock cluster, on loopback): every record lands in the stand-in exactly once, in offset
order per partition, with Redshift's Kafka columns and one refresh_time per pull, across restarts
and failures; a checkpoint the topic no longer holds stops the relay instead of skipping."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import time
import uuid
from collections import defaultdict

import confluent_kafka
import pytest

from streamleap.errors import StreamleapError
from streamleap.records import ChangeRecord
from streamleap.pipeline.kafka_relay import KafkaRelay, kafka_stand_in_ddl
from streamleap.pipeline.relay import RelayBusyError, StreamChangedError
from streamleap.pipeline.warehouse import open_warehouse
from tests.harness import STREAM, Target, dbt, expected_rows, make_project
from tests.test_relay import pull_all

pytestmark = pytest.mark.dbt

DDL = "CREATE TABLE public.cart (id bigint PRIMARY KEY, status varchar(10) NOT NULL, total numeric(12,2));"


@pytest.fixture(scope="module")
def kafka():
    """A mock Kafka cluster (librdkafka's, the real protocol) on a loopback port: its bootstrap address."""
    mock = confluent_kafka.Producer({"test.mock.num.brokers": 1, "log_level": 0})
    broker = next(iter(mock.list_topics(timeout=10).brokers.values()))
    yield f"{broker.host}:{broker.port}"
    mock.flush(5)


@pytest.fixture(scope="module", params=["local", "postgres"])
def project(request, tmp_path_factory) -> Target:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(request.param), DDL, "postgres", request.param, pg_url)


class Topic:
    """One test's topic and its stand-in."""

    def __init__(self, project: Target, bootstrap: str, monkeypatch):
        self.project, self.bootstrap = project, bootstrap
        self.name = f"t_{uuid.uuid4().hex[:10]}"
        for k, v in project.env.items():
            monkeypatch.setenv(k, v)
        self.warehouse = open_warehouse(project.project, project.name)
        project.execute(kafka_stand_in_ddl(f'"{project.stream_schema}"."{self.name}"', self.warehouse.kind))
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "log_level": 0})
        self.sent: dict[int, list[tuple]] = defaultdict(list)  # what was sent, per key

    def send(self, n: int, keys: int = 7, tombstone_every: int = 0) -> None:
        for i in range(n):
            key = f"k{i % keys}".encode()
            value = None if tombstone_every and i % tombstone_every == 0 else json.dumps({"i": i}).encode()
            self.producer.produce(self.name, key=key, value=value, headers=[("h", b"x")] if i % 2 else None)
            self.sent[i % keys].append(value)
        assert self.producer.flush(10) == 0

    def relay(self, **kwargs) -> KafkaRelay:
        return KafkaRelay(self.bootstrap, self.name, self.warehouse, self.project.stream_schema, self.name, **kwargs)

    def rows(self) -> list[tuple]:
        return self.project.query(
            f'select kafka_partition, kafka_offset, kafka_timestamp_type, kafka_timestamp, kafka_key, kafka_value, '
            f'kafka_headers, refresh_time from "{self.project.stream_schema}"."{self.name}" order by kafka_partition, kafka_offset')

    def assert_exactly_once(self) -> list[tuple]:
        rows = self.rows()
        assert len({(r[0], r[1]) for r in rows}) == len(rows)  # no offset twice
        by_partition = defaultdict(list)
        for r in rows:
            by_partition[r[0]].append(r[1])
        for offsets in by_partition.values():
            assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))  # no gap
        per_key = defaultdict(list)
        for r in sorted(rows, key=lambda r: (r[0], r[1])):
            per_key[int(bytes(r[4]).decode()[1:])].append(None if r[5] is None else bytes(r[5]))
        assert dict(per_key) == dict(self.sent)  # every record, in the order sent per key
        return rows


@pytest.fixture
def topic(project, kafka, monkeypatch) -> Topic:
    return Topic(project, kafka, monkeypatch)


def test_every_record_once_with_kafkas_columns_and_one_refresh_time_per_pull(topic):
    topic.send(120, tombstone_every=10)
    relay = topic.relay(max_records_per_partition=25)
    results = pull_all(relay)
    assert sum(r.records for r in results) == 120 and len(results) > 2  # paged: at most 25 per partition a pull
    rows = topic.assert_exactly_once()
    assert {r[2] for r in rows} == {"C"} and all(r[3] is not None for r in rows)  # CreateTime
    assert sum(1 for r in rows if r[5] is None) == 12  # tombstones: rows with a NULL kafka_value
    with_headers = [json.loads(r[6]) for r in rows if r[6] is not None]
    assert with_headers and all(h == [{"key": "h", "value": "x"}] for h in with_headers)
    # one refresh_time per pull, growing
    times = sorted({r[7] for r in rows})
    assert len(times) == sum(1 for r in results if r.records)
    relay.close()
    topic.send(5)
    again = topic.relay()
    pulled = again.pull()
    assert pulled.records == 5 and pulled.refresh_time > times[-1]
    assert sum(1 for r in topic.rows() if r[7] == pulled.refresh_time) == 5
    assert again.positions() == {str(p): str(max(r[1] for r in topic.rows() if r[0] == p)) for p in {r[0] for r in topic.rows()}}
    topic.assert_exactly_once()
    again.close()


def test_a_failed_pull_commits_nothing_and_a_second_relay_is_refused(topic, monkeypatch):
    topic.send(40)
    relay = topic.relay()
    assert relay.pull().records == 40
    second = topic.relay()
    with pytest.raises(RelayBusyError):  # one relay per topic
        second.pull()
    second.close()
    committed = relay.positions()
    topic.send(30)
    original = KafkaRelay._insert

    def insert_then_fail(self, cur, rows):
        original(self, cur, rows)
        raise RuntimeError("disk full")

    monkeypatch.setattr(KafkaRelay, "_insert", insert_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        relay.pull()
    assert relay.positions() == committed and len(topic.rows()) == 40
    monkeypatch.setattr(KafkaRelay, "_insert", original)
    assert relay.pull().records == 30
    topic.assert_exactly_once()
    relay.close()


def test_a_checkpoint_the_topic_does_not_hold_stops_the_relay(topic):
    topic.send(10)
    relay = topic.relay()
    relay.pull()
    relay.close()
    # the checkpoints moved past the partitions' ends: as after the topic was deleted and created again
    schema = topic.project.stream_schema
    topic.project.execute(f'update "{schema}".streamleap_relay_checkpoints set sequence_number = \'1000\' '
                          f"where stream_name = '{topic.name}'")
    stopped = topic.relay()
    with pytest.raises(StreamChangedError, match="past the partition's end"):
        stopped.pull()
    stopped.close()
    restarted = topic.relay(restart_stream=True)
    assert restarted.pull().records == 10  # from the beginning, on request
    restarted.close()


def test_a_missing_topic_is_one_line(topic):
    relay = KafkaRelay(topic.bootstrap, "no_such_topic", topic.warehouse, topic.project.stream_schema, topic.name)
    with pytest.raises(StreamleapError, match="Kafka topic no_such_topic does not exist"):
        relay.pull()
    relay.close()


# ----------------------------------------------------------------------------- DMS records through a Kafka topic
T0 = dt.datetime(2024, 6, 1, 12, 0, 0)


class Cart:
    """DMS records of public.cart, with commit times in order; sent to a topic keyed by DMS's partition key."""

    def __init__(self, bootstrap: str):
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "log_level": 0})
        self.ticks = itertools.count(1)

    def record(self, op: str, id: int, status: str | None = None, total: str | None = None, before: dict | None = None):
        n = next(self.ticks)
        ts = T0 + dt.timedelta(milliseconds=7 * n)
        return ChangeRecord("public", "cart", op, {"id": id, "status": status, "total": total}, before=before,
                            commit_ts=None if op == "load" else ts, transaction_id=100 + n, transaction_record_id=1)

    def send(self, records: list[ChangeRecord], topic: str = STREAM) -> None:
        for r in records:  # keyed: a key's changes stay in one partition, in commit order
            self.producer.produce(topic, key=f"public.cart.{r.data['id']}".encode(), value=r.to_bytes())
        assert self.producer.flush(10) == 0


def mirror_check(target: Target) -> None:
    relayed = target.query(f'select kafka_offset, kafka_value from "{target.stream_schema}"."{STREAM}"')
    expected = {k: {"status": v["status"], "total": None if v["total"] is None else decimal.Decimal(v["total"])}
                for k, v in expected_rows([(str(o), bytes(d)) for o, d in relayed], "cart", ["id"], "public").items()}
    actual = {(i,): {"status": s, "total": t} for i, s, t in target.query(f"select id, status, total from {target.rel('cart')}")}
    assert actual == expected and actual


@pytest.fixture
def fresh_kafka():
    """A mock cluster of this test's own (the topic is the project's stream name)."""
    mock = confluent_kafka.Producer({"test.mock.num.brokers": 1, "log_level": 0})
    broker = next(iter(mock.list_topics(timeout=10).brokers.values()))
    yield f"{broker.host}:{broker.port}"
    mock.flush(5)


@pytest.mark.parametrize("engine", ["local", "postgres"])
def test_dms_records_through_a_kafka_topic_mirror_exactly(engine, fresh_kafka, tmp_path, request, monkeypatch):
    """A project generated with --stream-kind kafka: the staging view reads the topic's stand-in (Kafka's
    columns), and `dbt run` and `streamleap run` mirror DMS records relayed from the topic exactly,
    loads, inserts, updates, deletes and a primary-key move, across a restart of the runner."""
    from streamleap.pipeline.runner import Runner

    pg_url = request.getfixturevalue("pg_url") if engine == "postgres" else None
    target = make_project(tmp_path, DDL, "postgres", engine, pg_url, stream_kind="kafka")
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    cart = Cart(fresh_kafka)
    cart.send([cart.record("load", i, "open", f"{i}.50") for i in range(1, 9)]
              + [cart.record("insert", 20, "open", "1"), cart.record("update", 3, "paid", "3.75"), cart.record("delete", 5),
                 cart.record("update", 21, "moved", "2", before={"id": 20})])
    relay = KafkaRelay(fresh_kafka, STREAM, open_warehouse(target.project, target.name), target.stream_schema, STREAM)
    assert relay.pull().records == 12
    relay.close()
    dbt(target, "run")
    mirror_check(target)

    runner = Runner(target.project, target=target.name, kafka_bootstrap=fresh_kafka, every=0.0)
    try:
        assert runner.cycle().error is None  # its first cycle: a dbt run
        cart.send([cart.record("update", 1, "shipped", "1.50"), cart.record("delete", 21), cart.record("insert", 5, "reborn", "9"),
                   cart.record("update", 2, "paid", "2.50"), cart.record("update", 2, "shipped", "2.50")])
        for _ in range(3):
            report = runner.cycle()
            assert report.error is None, report.error
        mirror_check(target)
    finally:
        runner.close()
    again = Runner(target.project, target=target.name, kafka_bootstrap=fresh_kafka, every=0.0)
    try:
        cart.send([cart.record("update", 2, "returned", "0"), cart.record("delete", 1)])
        for _ in range(3):
            assert again.cycle().error is None
        mirror_check(target)
        statuses = dict(target.query(f"select id, status from {target.rel('cart')}"))
        assert statuses[2] == "returned" and 1 not in statuses and statuses[5] == "reborn" and 21 not in statuses
        assert len(target.query(f'select kafka_offset from "{target.stream_schema}"."{STREAM}"')) == 19  # each once
    finally:
        again.close()


def test_a_kafka_project_needs_its_brokers(tmp_path, monkeypatch):
    from streamleap.pipeline.runner import Runner

    target = make_project(tmp_path, DDL, "postgres", "local", stream_kind="kafka")
    monkeypatch.delenv("STREAMLEAP_KAFKA_BOOTSTRAP", raising=False)
    runner = Runner(target.project, target=target.name, every=0.0)
    with pytest.raises(StreamleapError, match="--kafka-bootstrap"):
        runner.setup()


def test_a_message_the_producer_or_topic_refuses_as_too_large_is_reported_not_a_stop(kafka):
    """capture's Kafka writer: a message over its limit is never produced, and one the producer
    refuses as too large (a smaller message.max.bytes, as a topic's max.message.bytes refuses it
    at the broker) is reported and counted like it; the others are acknowledged and the put
    returns, so the checkpoint moves past it instead of stopping there for good."""
    from streamleap.capture.encoder import EncodedRecord
    from streamleap.capture.kafka_writer import KafkaWriter

    topic = f"t_{uuid.uuid4().hex[:10]}"
    reported = []
    small = confluent_kafka.Producer({"bootstrap.servers": kafka, "log_level": 0, "message.max.bytes": 4096, "batch.size": 4096,
                                      "enable.idempotence": True, "acks": "all"})
    writer = KafkaWriter(kafka, topic, producer=small, on_oversized=reported.append)
    records = [EncodedRecord(b'{"i": 1}', "k1", "public.t", "id=1"), EncodedRecord(b"x" * 10_000, "k2", "public.t", "id=2"),
               EncodedRecord(b'{"i": 3}', "k3", "public.t", "id=3")]
    writer.put(records)
    assert [r.key for r in reported] == ["id=2"] and writer.stats.oversized == 1 and writer.stats.records == 2
    capped = KafkaWriter(kafka, topic, producer=small, max_record_bytes=100, on_oversized=reported.append)
    capped.put([EncodedRecord(b"y" * 200, "k4", "public.t", "id=4")])
    assert [r.key for r in reported] == ["id=2", "id=4"] and capped.stats.records == 0
    consumer = confluent_kafka.Consumer({"bootstrap.servers": kafka, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest",
                                         "log_level": 0})
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 20
    while len(got) < 2 and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            got.append(msg.value())
    consumer.close()
    assert sorted(got) == [b'{"i": 1}', b'{"i": 3}']


class _TopicLimit:
    """A producer whose brokers hold a topic's max.message.bytes against each batch (librdkafka's mock
    cluster holds no such limit): a flush of messages over `limit` bytes in all is refused as a
    whole with MSG_SIZE_TOO_LARGE, each message in it; a message alone is refused only when it is
    over the limit itself."""

    def __init__(self, limit: int):
        self.limit, self.pending, self.topic = limit, [], []

    def produce(self, topic, value=None, key=None, on_delivery=None):
        self.pending.append((value, on_delivery))

    def poll(self, timeout=0):
        return 0

    def flush(self, timeout=None):
        batch, self.pending = self.pending, []
        total = sum(len(v or b"") for v, _ in batch)
        for value, callback in batch:
            refused = total > self.limit
            callback(confluent_kafka.KafkaError(confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE) if refused else None, None)
            if not refused:
                self.topic.append(value)
        return 0


def test_a_batch_the_brokers_refuse_as_too_large_is_sent_again_message_by_message():
    """A topic's max.message.bytes refuses a whole batch of small messages: each is sent again alone
    and lands; only a message over the limit on its own is reported, so nothing that fits is
    counted as not sent while the checkpoint moves past it."""
    from streamleap.capture.encoder import EncodedRecord
    from streamleap.capture.kafka_writer import KafkaWriter

    producer = _TopicLimit(limit=1_000)
    reported = []
    writer = KafkaWriter("unused:9092", "t", producer=producer, on_oversized=reported.append)
    small = [EncodedRecord(b"s" * 300, f"k{i}", "public.t", f"id={i}") for i in range(5)]  # 1,500 bytes in one batch
    big = EncodedRecord(b"b" * 2_000, "kb", "public.t", "id=big")
    writer.put([*small[:3], big, *small[3:]])
    assert [r.key for r in reported] == ["id=big"]
    assert sorted(producer.topic) == [b"s" * 300] * 5 and writer.stats.records == 5 and writer.stats.oversized == 1
    # a DMS record the topic refuses: its stand-in (its key, record-type not-sent) is sent alone in its place
    dms = {"data": {"id": 9, "doc": "d" * 1_500}, "metadata": {"record-type": "data", "operation": "insert", "table-name": "t"}}
    writer.put([EncodedRecord(json.dumps(dms).encode(), "k9", "public.t", "id=9")])
    stand_in = json.loads(producer.topic[-1])
    assert stand_in["data"] == {"id": 9} and stand_in["metadata"]["record-type"] == "not-sent"
    assert stand_in["metadata"]["not-sent-columns"] == ["doc"] and writer.stats.stand_ins == 1 and writer.stats.oversized == 2
