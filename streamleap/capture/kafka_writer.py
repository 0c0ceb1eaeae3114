"""Writing capture's records to a Kafka topic (`streamleap capture --kafka-bootstrap`), the way
Debezium's Kafka Connect connectors and DMS's Kafka target do: one message per record, its key the
record's partition key (so a row's changes keep their order in one partition), its value the
record's bytes, a tombstone (no bytes) a null value.

``put`` returns only when the brokers acknowledged every message it was given (acks=all, an
idempotent producer: a retry never writes a message twice or out of order), so capture's
checkpoint, saved after ``put``, never gets ahead of the topic. A message over the limit is
reported and counted, as Kinesis's writer does with a record over 1 MiB: one over
``max_record_bytes`` (key and value, less room for the message's own framing) is never sent, and
one the producer refuses as too large (MSG_SIZE_TOO_LARGE), or the brokers refuse even when sent
alone (a topic's smaller max.message.bytes applies to a whole batch: a refused batch's messages
are sent again one by one), is reported the same way rather than stopping capture at it for good.
In its place goes a small record with its key (``encoder.not_sent_stand_in``), which the mirrors'
apply sets aside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from streamleap.capture.encoder import EncodedRecord, not_sent_stand_in
from streamleap.errors import StreamleapError
from streamleap.kinesis.writer import WriterStats

log = logging.getLogger(__name__)

#: Kafka's default largest message (the producer's message.max.bytes, 1,000,000 bytes), less room
#: for what librdkafka counts beside the key and value (the record's framing and headers)
MAX_BYTES_PER_MESSAGE = 1_000_000 - 1_024
FLUSH_SECONDS = 60.0


class KafkaWriter:
    """Produces to one topic. ``producer``: a confluent_kafka.Producer (made from bootstrap when not given)."""

    def __init__(self, bootstrap: str, topic: str, *, max_record_bytes: int = MAX_BYTES_PER_MESSAGE,
                 on_oversized: Callable[[EncodedRecord], None] | None = None, producer: Any = None):
        self.topic = topic
        self.max_record_bytes = max_record_bytes
        self.on_oversized = on_oversized
        self.stats = WriterStats()
        if producer is None:
            from confluent_kafka import Producer

            producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                                 "linger.ms": 5, "log_level": 0})
        self.producer = producer

    def check_topic(self, timeout: float = 10.0) -> None:
        """The topic exists on the brokers (one line naming it otherwise)."""
        try:
            meta = self.producer.list_topics(self.topic, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - librdkafka's KafkaException
            raise StreamleapError(f"--kafka-bootstrap: the brokers did not answer ({exc}); check the address") from None
        topic = meta.topics.get(self.topic)
        if topic is None or topic.error is not None:
            raise StreamleapError(f"--stream {self.topic}: no such Kafka topic on the brokers; create it first")

    def put(self, records: Iterable[EncodedRecord]) -> None:
        from confluent_kafka import KafkaError, KafkaException

        failed: list[str] = []
        too_large: list[EncodedRecord] = []
        too_large_stand_ins: list[EncodedRecord] = []  # refused by the producer: their stand-ins go after the flush

        def on_delivery(record: EncodedRecord) -> Callable[[Any, Any], None]:
            def delivered(err: Any, msg: Any) -> None:
                if err is None:
                    return
                if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                    too_large.append(record)
                else:
                    failed.append(str(err))
            return delivered

        sent = 0
        for record in records:
            if record.size > self.max_record_bytes:
                self._oversized(record)
                stand_in = not_sent_stand_in(record, self.max_record_bytes)
                if stand_in is None:
                    continue
                self.stats.stand_ins += 1
                record = stand_in
            while True:
                try:
                    self.producer.produce(self.topic, value=record.data or None, key=record.partition_key.encode("utf-8"),
                                          on_delivery=on_delivery(record))
                    sent += 1
                    break
                except BufferError:  # the producer's queue is full: let it send
                    self.producer.poll(0.1)
                except KafkaException as exc:
                    if exc.args and exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE:
                        self._oversized(record, refused=True)
                        too_large_stand_ins.append(record)
                        break
                    raise StreamleapError(f"Kafka topic {self.topic}: the producer refused a message ({exc}); capture stops "
                                          "without moving its checkpoint") from None
            self.producer.poll(0)
        if sent:
            left = self.producer.flush(FLUSH_SECONDS)
            if left or failed:
                raise StreamleapError(f"Kafka topic {self.topic}: {left or len(failed)} message(s) not acknowledged by the brokers"
                                      + (f" ({failed[0]})" if failed else "") + "; capture stops without moving its checkpoint")
            # the brokers refuse a batch over a topic's max.message.bytes as a whole: each of its
            # messages goes again alone, and only one refused alone is too large
            alone = 0
            for record in too_large:
                if self._send_alone(record):
                    alone += 1
                else:
                    self._oversized(record, refused=True)
                    too_large_stand_ins.append(record)
            self.stats.records += sent - len(too_large) + alone
            self.stats.calls += 1
        self._send_stand_ins(too_large_stand_ins)

    def _send_stand_ins(self, refused: list[EncodedRecord]) -> None:
        """The stand-ins (not_sent_stand_in) of messages refused as too large, one at a time; one
        refused too is only counted."""
        for record in refused:
            stand_in = not_sent_stand_in(record, self.max_record_bytes)
            if stand_in is not None and self._send_alone(stand_in):
                self.stats.stand_ins += 1
                self.stats.records += 1

    def _send_alone(self, record: EncodedRecord) -> bool:
        """Produce one message and wait for it: True when the brokers have it, False when they
        refuse it as too large; any other failure stops capture."""
        from confluent_kafka import KafkaError

        result: list[Any] = []
        self.producer.produce(self.topic, value=record.data or None, key=record.partition_key.encode("utf-8"),
                              on_delivery=lambda err, msg: result.append(err))
        left = self.producer.flush(FLUSH_SECONDS)
        err = result[0] if result else None
        if left or (err is not None and err.code() != KafkaError.MSG_SIZE_TOO_LARGE):
            raise StreamleapError(f"Kafka topic {self.topic}: a message was not acknowledged by the brokers"
                                  + (f" ({err})" if err is not None else "") + "; capture stops without moving its checkpoint")
        return err is None

    def _oversized(self, record: EncodedRecord, refused: bool = False) -> None:
        self.stats.oversized += 1
        self.stats.oversized_tables.add(record.table)
        if len(self.stats.oversized_examples) < 5:
            self.stats.oversized_examples.append(f"{record.table} ({record.key})")
        say = log.warning if self.on_oversized is None else log.debug  # the callback reports it itself
        if refused:
            say("capture: %s (%s): a message of %d bytes refused as too large (the topic's or producer's message.max.bytes);"
                " not sent", record.table, record.key, record.size)
        else:
            say("capture: %s (%s): a message of %d bytes is over the %d-byte limit; not sent", record.table, record.key,
                record.size, self.max_record_bytes)
        if self.on_oversized is not None:
            self.on_oversized(record)
