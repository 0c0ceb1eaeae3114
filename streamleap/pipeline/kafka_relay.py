"""The Kafka relay: on DuckDB and Postgres targets it plays Redshift's part of reading a Kafka topic
(Amazon MSK, Confluent, Apache Kafka), as `streamleap.pipeline.relay.Relay` does for a Kinesis
stream, with everything that class guarantees: each pull appends what is new on every partition to
the local stand-in with one refresh_time, and moves the checkpoints (the last offset relayed per
partition, in "<stream_schema>"."streamleap_relay_checkpoints") in the same transaction; one relay
per topic (the same lease); nothing read twice, nothing skipped.

The stand-in has the columns of a Redshift streaming view over a Kafka topic (REFERENCE.md; AWS's
MSK getting-started page): kafka_partition, kafka_offset, kafka_timestamp_type, kafka_timestamp,
kafka_key, kafka_value, kafka_headers, refresh_time (KAFKA_STAND_IN_COLUMNS). kafka_timestamp_type
is 'C' for a producer's CreateTime, 'L' for a broker's LogAppendTime and 'U' when the record has
none (the letters as Redshift's SYS_STREAM_SCAN_ERRORS.stream_timestamp_type char(1) holds them;
their meanings are not confirmed from AWS's text, docs/research/issue-14-debezium-kafka-facts.md).
kafka_headers is a JSON array of {"key", "value"} (the value as UTF-8 text, NULL for a null value)
where Redshift has SUPER. A tombstone (a null value) is a row with a NULL kafka_value.

A topic is read from its earliest offset the first time, like Redshift's first refresh (offset 0).
Offsets only grow within a partition, so a checkpoint the partition no longer holds stops the relay
(StreamChangedError) instead of skipping: past the partition's end (the topic was deleted and
created again) or before its start (the records after the checkpoint were deleted by retention
before they were relayed). With restart_stream=True the relay forgets the checkpoints and reads the
topic from its beginning.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from streamleap.errors import StreamleapError
from streamleap.pipeline.relay import Relay, StreamChangedError, StreamIdentity, _Checkpoint, _ShardRead
from streamleap.pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)

KAFKA_STAND_IN_COLUMNS = ("kafka_partition", "kafka_offset", "kafka_timestamp_type", "kafka_timestamp", "kafka_key",
                          "kafka_value", "kafka_headers", "refresh_time")
TIMESTAMP_TYPES = {0: "U", 1: "C", 2: "L"}  # librdkafka's TIMESTAMP_NOT_AVAILABLE, CREATE_TIME, LOG_APPEND_TIME
IDENTITY_EPOCH = dt.datetime(1970, 1, 1)


def kafka_stand_in_ddl(relation: str, kind: str) -> str:
    """CREATE TABLE of a Kafka stand-in (relation: quoted schema.name) on duckdb or postgres."""
    binary, headers = ("blob", "varchar") if kind == "duckdb" else ("bytea", "text")
    return (f"create table if not exists {relation} (kafka_partition bigint, kafka_offset bigint, "
            f"kafka_timestamp_type char(1), kafka_timestamp timestamp, kafka_key {binary}, kafka_value {binary}, "
            f"kafka_headers {headers}, refresh_time timestamp)")


@dataclass(frozen=True)
class KafkaMessage:
    partition: int
    offset: int
    timestamp_type: str
    timestamp: dt.datetime | None
    key: bytes | None
    value: bytes | None
    headers: str | None


class KafkaRelay(Relay):
    """Relays one Kafka topic into its stand-in (stream_name: the stand-in's name) on a local target."""

    #: how long one pull waits, without a record arriving, for the records it knows are there
    read_timeout_s = 10.0
    stream_kind = "kafka"

    def __init__(self, bootstrap_servers: str, topic: str, warehouse: Warehouse, stream_schema: str, stream_name: str, *,
                 max_records_per_partition: int = 10_000, restart_stream: bool = False,
                 consumer_config: dict[str, Any] | None = None):
        super().__init__(None, stream_name, warehouse, stream_schema, max_records_per_shard=max_records_per_partition,
                         restart_stream=restart_stream)
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self._consumer_config = {"bootstrap.servers": bootstrap_servers, "group.id": f"streamleap-relay-{stream_name}",
                                 "enable.auto.commit": False, "enable.partition.eof": True, "auto.offset.reset": "error",
                                 # a pull knows where each partition ends: a fetch that finds nothing new answers
                                 # at once, not after librdkafka's default 500 ms wait for more
                                 "fetch.wait.max.ms": 10,
                                 "logger": log,
                                 **(consumer_config or {})}
        self._consumer: Any = None
        p = warehouse.placeholder
        cols = ", ".join(KAFKA_STAND_IN_COLUMNS)
        if self._duckdb:
            types = ("bigint", "bigint", "varchar", "timestamp", "blob", "blob", "varchar", "timestamp")
            self._insert_sql = f"insert into {self._stream_rel} ({cols}) select " + ", ".join(f"unnest({p}::{t}[])" for t in types)
        else:
            self._insert_sql = f"insert into {self._stream_rel} ({cols}) values %s"

    # ------------------------------------------------------------------ the topic
    def stream_identity(self) -> StreamIdentity:
        """A topic's identity is its name: a re-created topic shows as offsets the checkpoints are past."""
        return StreamIdentity(f"kafka topic {self.topic}", IDENTITY_EPOCH)

    def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                consumer.close()
            except Exception:  # noqa: BLE001 - closing a broken client
                pass
        super().close()

    def _client(self) -> Any:
        if self._consumer is None:
            from confluent_kafka import Consumer

            self._consumer = Consumer(self._consumer_config)
        return self._consumer

    def _partitions(self) -> list[int]:
        consumer = self._client()
        try:
            metadata = consumer.list_topics(self.topic, timeout=self.read_timeout_s)
        except Exception as exc:  # KafkaException: no broker answered; re-raised as one line
            raise StreamleapError(f"Kafka at {self.bootstrap_servers}: {exc}; is the bootstrap address right and the "
                                  "cluster up?") from exc
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise StreamleapError(f"Kafka topic {self.topic} does not exist at {self.bootstrap_servers} "
                                  f"({topic.error if topic is not None and topic.error else 'no partitions'}); "
                                  "create it, or check the topic name (names are case sensitive)")
        return sorted(topic.partitions)

    def _position_lost(self, shard_id: str, sequence_number: str, why: str) -> StreamChangedError:
        return StreamChangedError(
            f"Kafka topic {self.topic}, partition {shard_id}: the relay's checkpoint (offset {sequence_number}) {why}; "
            "the relay stopped rather than skip records; to read the topic from its beginning run "
            "`streamleap run --restart-stream`")

    def _read_shards(self, committed: dict[str, _Checkpoint]) -> list[_ShardRead]:
        """Every partition's records after its checkpoint, up to where the partition ended when the
        pull began (at most max_records_per_shard each)."""
        from confluent_kafka import TopicPartition

        consumer = self._client()
        todo: dict[int, tuple[int, int, str | None]] = {}  # partition -> (first offset, offset to stop before, checkpoint)
        for partition in self._partitions():
            low, high = consumer.get_watermark_offsets(TopicPartition(self.topic, partition), timeout=self.read_timeout_s)
            checkpoint = committed.get(str(partition))
            last = checkpoint.sequence_number if checkpoint is not None else None
            first = low if last is None else int(last) + 1
            if last is not None and first > high:
                raise self._position_lost(str(partition), last, f"is past the partition's end (offset {high}): the topic "
                                          "was deleted and created again")
            if last is not None and first < low:
                raise self._position_lost(str(partition), last, f"is before the partition's first offset {low}: records "
                                          "after it were deleted (retention) before the relay read them")
            if first < high:
                todo[partition] = (first, min(high, first + self.max_records_per_shard), last)
        if not todo:
            return []
        from confluent_kafka import KafkaError

        consumer.assign([TopicPartition(self.topic, partition, first) for partition, (first, _, _) in todo.items()])
        got: dict[int, list[KafkaMessage]] = {partition: [] for partition in todo}
        waiting = set(todo)
        # offsets have gaps (a transaction's commit marker, aborted records, compaction) and a
        # read_committed consumer stops at the last stable offset: a partition is done at its end
        # (partition EOF), or once an offset at or past where it ended when the pull began came
        deadline = time.monotonic() + self.read_timeout_s
        try:
            while waiting:
                if time.monotonic() > deadline:
                    raise StreamleapError(f"Kafka topic {self.topic}: partitions {sorted(waiting)} delivered nothing for "
                                          f"{self.read_timeout_s:.0f} s before their end; nothing was committed")
                for message in consumer.consume(1000, 0.02):  # returns at 1,000 messages or after 20 ms
                    error = message.error()
                    if error is not None:
                        if error.code() == KafkaError._PARTITION_EOF:
                            waiting.discard(message.partition())
                            continue
                        raise StreamleapError(f"Kafka topic {self.topic}: {error}")
                    deadline = time.monotonic() + self.read_timeout_s  # it makes progress
                    partition, offset = message.partition(), message.offset()
                    if partition not in waiting:
                        continue
                    if offset < todo[partition][1]:
                        got[partition].append(_message(message))
                    if offset + 1 >= todo[partition][1]:
                        waiting.discard(partition)
        finally:
            consumer.unassign()
        reads = []
        for partition, messages in got.items():
            if messages:
                reads.append(_ShardRead(str(partition), todo[partition][2], [m.__dict__ for m in messages],
                                        str(messages[-1].offset), False, None))
        return reads

    def _row(self, read: _ShardRead, rec: dict[str, Any], refresh_time: dt.datetime) -> tuple:
        return (rec["partition"], rec["offset"], rec["timestamp_type"], rec["timestamp"], rec["key"], rec["value"],
                rec["headers"], refresh_time)


def _message(message: Any) -> KafkaMessage:
    kind, millis = message.timestamp()
    stamp = None if kind == 0 or millis is None or millis < 0 else \
        dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)
    headers = message.headers()
    header_text = None if not headers else json.dumps(
        [{"key": k, "value": None if v is None else bytes(v).decode("utf-8", errors="replace")} for k, v in headers],
        ensure_ascii=False, separators=(",", ":"))
    return KafkaMessage(message.partition(), message.offset(), TIMESTAMP_TYPES.get(kind, "U"), stamp,
                        message.key(), message.value(), header_text)
