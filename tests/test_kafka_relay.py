"""The Kafka relay on DuckDB and on a real PostgreSQL, reading a real Kafka protocol endpoint
(librdkafka's mock cluster, on loopback): every record lands in the stand-in exactly once, in offset
order per partition, with Redshift's Kafka columns and one refresh_time per pull, across restarts
and failures; a checkpoint the topic no longer holds stops the relay instead of skipping."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

import confluent_kafka
import pytest

from streamleap.errors import StreamleapError
from streamleap.pipeline.kafka_relay import KafkaRelay, kafka_stand_in_ddl
from streamleap.pipeline.relay import Relay, RelayBusyError, StreamChangedError
from streamleap.pipeline.warehouse import open_warehouse
from tests.harness import Target, make_project

pytestmark = pytest.mark.dbt

DDL = "CREATE TABLE public.cart (id bigint PRIMARY KEY, status varchar(10) NOT NULL);"


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


def pull_all(relay: Relay, limit: int = 30) -> list:
    results = []
    for _ in range(limit):
        results.append(relay.pull())
        if results[-1].records == 0:
            return results
    raise AssertionError("the relay never caught up")


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
