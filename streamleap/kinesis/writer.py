"""Putting records on a Kinesis stream with PutRecords, within Kinesis's limits.

* at most 500 records and 5 MiB (data and partition keys) per call, 1 MiB per record;
* records a call did not accept (FailedRecordCount: throttling, internal errors) are sent again,
  alone, with a growing backoff; so are whole calls that fail with a throttling or server error;
* a record over 1 MiB is never sent: it is reported (``on_oversized``) and counted, with its
  table and key, and a small record goes in its place (``encoder.not_sent_stand_in``: its key and
  small values, record-type or op ``not-sent``), which the mirrors' apply sets aside; the rest
  goes on.

``put`` returns only when every record it was given is on the stream (or oversized): what the
capture loop needs before it moves its checkpoint. ``on_accepted`` hears of each record Kinesis
took, with its shard and sequence number (the demo's latency measurement).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from streamleap.capture.encoder import EncodedRecord, not_sent_stand_in
from streamleap.errors import StreamleapError

log = logging.getLogger(__name__)

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024
RETRYABLE_CODES = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException", "InternalFailure",
                             "ServiceUnavailable", "ThrottlingException", "KMSThrottlingException"})


@dataclass
class WriterStats:
    records: int = 0
    calls: int = 0
    retried: int = 0  # records sent again after Kinesis did not accept them
    oversized: int = 0
    oversized_examples: list[str] = field(default_factory=list)
    oversized_tables: set[str] = field(default_factory=set)  # schema.table of every record not sent
    stand_ins: int = 0  # records sent in place of those (not_sent_stand_in)


class KinesisWriter:
    """PutRecords to one stream. ``client`` is a boto3 Kinesis client."""

    #: attempts per record (and per failing call) before giving up, and the first backoff (doubling, capped)
    max_attempts = 12
    first_backoff = 0.05
    max_backoff = 2.0

    def __init__(self, client: Any, stream: str, *, max_record_bytes: int = MAX_BYTES_PER_RECORD,
                 on_oversized: Callable[[EncodedRecord], None] | None = None,
                 on_accepted: Callable[[EncodedRecord, dict[str, Any]], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.stream = stream
        self.max_record_bytes = max_record_bytes
        self.on_oversized = on_oversized
        self.on_accepted = on_accepted  # (record, its PutRecords result: ShardId, SequenceNumber), once per record
        self.stats = WriterStats()
        self._sleep = sleep

    def put(self, records: Iterable[EncodedRecord]) -> None:
        """Put every record (oversized ones are reported instead); returns when all are accepted."""
        batch: list[EncodedRecord] = []
        size = 0
        for record in records:
            if record.size > self.max_record_bytes:
                self._oversized(record)
                stand_in = not_sent_stand_in(record, self.max_record_bytes)
                if stand_in is None:
                    continue
                self.stats.stand_ins += 1
                record = stand_in
            if batch and (len(batch) >= MAX_RECORDS_PER_CALL or size + record.size > MAX_BYTES_PER_CALL):
                self._put_batch(batch)
                batch, size = [], 0
            batch.append(record)
            size += record.size
        if batch:
            self._put_batch(batch)

    def _oversized(self, record: EncodedRecord) -> None:
        self.stats.oversized += 1
        self.stats.oversized_tables.add(record.table)
        if len(self.stats.oversized_examples) < 5:
            self.stats.oversized_examples.append(f"{record.table} ({record.key})")
        say = log.warning if self.on_oversized is None else log.debug  # the callback reports it itself
        say("capture: %s (%s): record of %d bytes is over Kinesis's %d-byte limit; not sent", record.table,
            record.key, record.size, self.max_record_bytes)
        if self.on_oversized is not None:
            self.on_oversized(record)

    def _put_batch(self, batch: list[EncodedRecord]) -> None:
        pending = batch
        attempt = 0
        while pending:
            attempt += 1
            try:
                response = self.client.put_records(
                    StreamName=self.stream,
                    Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in pending])
            except Exception as exc:  # noqa: BLE001 - botocore's errors, checked by code below
                code = _error_code(exc)
                retryable = code in RETRYABLE_CODES if code is not None else _is_connection_error(exc)
                if code == "ResourceNotFoundException":
                    raise StreamleapError(f"Kinesis stream {self.stream} does not exist (at this endpoint and region); "
                                          "create it first") from exc
                if not retryable or attempt >= self.max_attempts:
                    raise StreamleapError(f"Kinesis PutRecords to stream {self.stream} failed: {_first_line(exc)}") from exc
                self._backoff(attempt)
                continue
            self.stats.calls += 1
            results = response.get("Records") or []
            failed = [r for r, res in zip(pending, results, strict=False) if res.get("ErrorCode")]
            if len(results) != len(pending):  # pragma: no cover - not a Kinesis answer
                raise StreamleapError(f"Kinesis PutRecords to stream {self.stream}: {len(results)} results for "
                                      f"{len(pending)} records")
            self.stats.records += len(pending) - len(failed)
            if self.on_accepted is not None:
                for r, res in zip(pending, results, strict=True):
                    if not res.get("ErrorCode"):
                        self.on_accepted(r, res)
            if failed:
                codes = sorted({res.get("ErrorCode") for res in results if res.get("ErrorCode")})
                if attempt >= self.max_attempts:
                    raise StreamleapError(f"Kinesis did not accept {len(failed)} record(s) on stream {self.stream} after "
                                          f"{attempt} attempts ({', '.join(codes)})")
                log.info("capture: Kinesis did not accept %d of %d records (%s); sending them again", len(failed),
                         len(pending), ", ".join(codes))
                self.stats.retried += len(failed)
                self._backoff(attempt)
            pending = failed

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(self.max_backoff, self.first_backoff * 2 ** (attempt - 1)))


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return (response.get("Error") or {}).get("Code")
    return None


def _is_connection_error(exc: BaseException) -> bool:
    try:
        from botocore.exceptions import ConnectionError as BotoConnectionError, HTTPClientError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (BotoConnectionError, HTTPClientError))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
