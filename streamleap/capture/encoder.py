"""Row changes as the Kinesis records AWS DMS writes: a ``streamleap.records.ChangeRecord`` with
each value encoded for its column's type (``map_type``, ``streamleap.records.encode_value``), DMS's
transaction details, and the partition key DMS uses with PartitionIncludeSchemaTable (schema,
table, primary key).

Choices where DMS's own output is not documented (README, "Develop without AWS"; the value
encodings are ``streamleap.records.values``):

* array columns are written as a string holding compact JSON arrays;
* ``stream-position`` is the source position of the change as text (Postgres: the LSN of the
  change; MySQL: ``binlog-file:position``), and ``transaction-id`` the source's transaction id;
* ``timestamp`` is the time capture wrote the record, like DMS's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamleap.capture.base import RowChange
from streamleap.records import ChangeRecord, encode_value, fallback_type, partition_key
from streamleap.records.dms import CONTROL_OPERATIONS
from streamleap.errors import StreamleapError
from streamleap.model.source_table import SourceTable
from streamleap.model.type_mapping import TargetType, map_type


@dataclass(frozen=True)
class EncodedRecord:
    """One Kinesis record: its bytes, its partition key, and what it is (for reports)."""

    data: bytes
    partition_key: str
    table: str  # schema.table
    key: str  # the primary key values, for reports

    @property
    def size(self) -> int:
        """What Kinesis counts against its limits: data plus partition key (UTF-8)."""
        return len(self.data) + len(self.partition_key.encode("utf-8"))


@dataclass
class _TableTypes:
    table: SourceTable
    types: dict[str, TargetType]
    key: tuple[str, ...]


class RecordEncoder:
    """Turns RowChanges into DMS records. ``refresh`` re-reads the tables' definitions; it is
    called when a change holds a column the encoder does not know (a column added at the source)."""

    def __init__(self, tables: list[SourceTable], refresh: Callable[[], list[SourceTable]] | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        self._refresh = refresh
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._tables: dict[tuple[str, str], _TableTypes] = {}
        self._set_tables(tables)
        self.prev_transaction: tuple[Any, int] | None = None  # (transaction-id, its last record id)

    def _set_tables(self, tables: list[SourceTable]) -> None:
        out = {}
        for t in tables:
            types = {c.name: map_type(c.source_type, t.dialect, table=t.qualified_name, column=c.name,
                                      enum_types=t.enum_types, fallback=True) for c in t.columns}
            out[(t.schema or "", t.name)] = _TableTypes(t, types, tuple(t.primary_key))
        self._tables = out

    def _types(self, change: RowChange) -> _TableTypes:
        key = (change.schema or "", change.table)
        info = self._tables.get(key)
        unknown = info is None or any(c not in info.types for c in change.data)
        if unknown and self._refresh is not None:
            self._set_tables(self._refresh())
            info = self._tables.get(key)
        if info is None:
            raise StreamleapError(f"capture: a change of {change.schema}.{change.table}, which is not among the captured tables")
        return info

    def encode(self, change: RowChange) -> EncodedRecord:
        info = self._types(change)

        def encode_row(row: dict[str, Any]) -> dict[str, Any]:
            out = {}
            for name, value in row.items():
                target = info.types.get(name)
                out[name] = encode_value(value, target if target is not None else fallback_type(value))
            return out

        data = encode_row(change.data)
        before = encode_row(change.before) if change.before is not None else None
        extra: dict[str, Any] = {}
        if change.operation != "load":
            if change.stream_position is not None:
                extra["stream-position"] = change.stream_position
            if self.prev_transaction is not None:
                extra["prev-transaction-id"] = self.prev_transaction[0]
                extra["prev-transaction-record-id"] = self.prev_transaction[1]
        record = ChangeRecord(
            schema=change.schema, table=change.table, operation=change.operation, data=data, before=before,
            commit_ts=change.commit_ts if change.operation != "load" or change.resync else None,
            transaction_id=change.transaction_id, transaction_record_id=change.transaction_record_id,
            timestamp=self._clock(), extra_metadata=extra, resync=change.resync)
        if change.commit_ts is None and change.operation != "load":
            # without a commit time DMS would not write the transaction fields; keep what is known
            record.extra_metadata.update({"transaction-id": change.transaction_id,
                                          "transaction-record-id": change.transaction_record_id})
        qualified = f"{change.schema}.{change.table}" if change.schema else change.table
        if change.operation in CONTROL_OPERATIONS:  # a whole table's: by schema and table, as DMS does
            return EncodedRecord(record.to_bytes(), partition_key(change.schema, change.table, []), qualified,
                                 change.operation.upper())
        key_values = [data.get(k) for k in info.key]
        key_text = ", ".join(f"{k}={v}" for k, v in zip(info.key, key_values, strict=True))
        # a resync's rows go by schema and table too (one shard, before the table's truncate record)
        return EncodedRecord(record.to_bytes(), partition_key(change.schema, change.table, [] if change.resync else key_values),
                             qualified, key_text)

    def encode_all(self, change: RowChange) -> list[EncodedRecord]:
        """The records of one change (DMS writes one)."""
        return [self.encode(change)]

    def end_transaction(self, transaction_id: Any, last_record_id: int | None, position: Any = None) -> None:
        """Remember the transaction just encoded: the next one names it as its previous one."""
        if transaction_id is not None and last_record_id is not None:
            self.prev_transaction = (transaction_id, last_record_id)

    def resume(self, position: Any) -> None:
        """Capture starts again after position (the checkpoint's): nothing to recall for DMS records."""


class DebeziumRecordEncoder:
    """Turns RowChanges into Debezium change events (``streamleap.records.debezium``), as Debezium
    Server's sinks write them: one record per event, its value's bytes (a tombstone's: none), its
    key's JSON as the partition key ("default" for a null key, Debezium Server's ``null.key``; a
    SHA-256 of it past Kinesis's 256 characters, DBZ-6909)."""

    def __init__(self, tables: list[SourceTable], refresh: Callable[[], list[SourceTable]] | None = None, *,
                 schemas: bool = True, topic_prefix: str = "streamleap", clock: Callable[[], dt.datetime] | None = None,
                 decimals: str = "precise"):
        from streamleap.records.debezium import DebeziumEncoder, DebeziumStyle

        dialect = tables[0].dialect if tables else "postgres"
        database = ""
        self._refresh = refresh
        self._encoder = DebeziumEncoder(tables, DebeziumStyle(connector="postgresql" if dialect == "postgres" else "mysql",
                                                              topic_prefix=topic_prefix, database=database, schemas=schemas,
                                                              decimal_handling=decimals),
                                        clock=clock)
        self.prev_transaction: tuple[Any, int] | None = None  # DMS's; never set here
        self._postgres = dialect == "postgres"

    def encode_all(self, change: RowChange) -> list[EncodedRecord]:
        import hashlib

        if not self._encoder.knows(change.schema, change.table, change.data) and self._refresh is not None:
            self._encoder.set_tables(self._refresh())
        try:
            events = self._encoder.encode(change)
        except KeyError:
            raise StreamleapError(f"capture: a change of {change.schema}.{change.table}, which is not among the captured tables") from None
        qualified = f"{change.schema}.{change.table}" if change.schema else change.table
        out = []
        for event in events:
            key = event.key_text()
            partition = "default" if key is None else key if len(key) <= 256 else hashlib.sha256(key.encode()).hexdigest()
            out.append(EncodedRecord(event.value_bytes(), partition, qualified, key or change.operation.upper()))
        return out

    def end_transaction(self, transaction_id: Any, last_record_id: int | None, position: Any = None) -> None:
        """A transaction ended at position: Postgres's source.sequence names it in the next one's events."""
        self._encoder.end_transaction(position if self._postgres and isinstance(position, str) else None)

    def resume(self, position: Any) -> None:
        """Capture starts again after position (the checkpoint's, a Postgres LSN): the next events name it
        as the last commit, as Debezium's offsets do after a restart."""
        self.end_transaction(None, None, position)


#: metadata.record-type of the record capture sends in place of a row's DMS record over the
#: stream's record limit; the package sets it aside with its own reason (_reason_case)
NOT_SENT_RECORD_TYPE = "not-sent"
#: a value of the row kept in that record: at most this many bytes of JSON (keys are far smaller)
NOT_SENT_VALUE_BYTES = 1024


def not_sent_stand_in(record: EncodedRecord, limit: int) -> EncodedRecord | None:
    """The small record sent in place of a record over ``limit`` bytes, which the mirrors' apply sets
    aside, so the row's missing change is in the set-aside model, not only in capture's log:
    * a DMS record: the same metadata, its record-type ``not-sent``, the row's values of at most
      NOT_SENT_VALUE_BYTES (its key among them) in data and before-image, and what was left out:
      ``not-sent-bytes`` (the record's size) and ``not-sent-columns``;
    * a Debezium event (its payload, with or without the converter's schema): the same, with op
      ``not-sent`` and ``not_sent_bytes`` / ``not_sent_columns`` beside it, values left out of
      before and after.
    Same partition key (the row's shard). None for anything else, or a stand-in that would not fit
    either."""
    import json

    try:
        doc = json.loads(record.data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    left_out: list[str] = []

    def small(values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        kept = {}
        for name, value in values.items():
            if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) <= NOT_SENT_VALUE_BYTES:
                kept[name] = value
            elif name not in left_out:
                left_out.append(name)
        return kept

    out: dict[str, Any]
    if isinstance(doc.get("metadata"), dict) and "data" in doc:  # DMS
        out = {"data": small(doc["data"])}
        if "before-image" in doc:
            out["before-image"] = small(doc["before-image"])
        out["metadata"] = {**doc["metadata"], "record-type": NOT_SENT_RECORD_TYPE,
                           "not-sent-bytes": record.size, "not-sent-columns": left_out}
    else:  # Debezium: the envelope is the payload of the JSON converter's {schema, payload}, or the event itself
        wrapped = isinstance(doc.get("payload"), dict) and "schema" in doc
        event = doc["payload"] if wrapped else doc
        if not isinstance(event.get("op"), str) or "source" not in event:
            return None
        event = {**event, "before": small(event.get("before")), "after": small(event.get("after")),
                 "op": NOT_SENT_RECORD_TYPE, "not_sent_bytes": record.size, "not_sent_columns": left_out}
        out = {"schema": doc["schema"], "payload": event} if wrapped else event
    data = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    stand_in = EncodedRecord(data, record.partition_key, record.table, record.key)
    return stand_in if stand_in.size <= limit else None
