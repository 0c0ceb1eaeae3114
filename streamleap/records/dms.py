"""A DMS change record: the JSON AWS DMS writes to Kinesis for one row change.

    {"data": {...row...}, "metadata": {...}, ["before-image": {...}]}

Used by capture, the demo workload and the tests to produce exactly what DMS would. The values in
``data`` and ``before-image`` are already encoded (``streamleap.records.values.encode_value``).
Control records (``record-type: control``: create-table, add-column, ...) are DMS's own and the
apply passes them by, but for two of a table: ``truncate-table`` (written by `streamleap capture`
in DMS's style, metadata only; DMS's Kinesis target documents none), which the apply applies at
its place in commit order, and ``drop-table``, which the set-aside model shows.

A ``load`` record with a ``commit-timestamp`` (``resync``) is a row of `streamleap resync`'s
snapshot: the apply orders it at that time (the snapshot's), among the changes, instead of before
every change as DMS's full-load records; its partition key is the table's (``schema-table``), so
that the truncate-table record ending the resync follows every row of it in one shard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


OPERATIONS = ("load", "insert", "update", "delete")
CONTROL_OPERATIONS = ("truncate-table",)  # what streamleap writes as a control record
PARTITION_KEY_MAX_CHARS = 256  # Kinesis's limit


def partition_key(schema: str | None, table: str, key_values: list[Any]) -> str:
    """The Kinesis partition key of a row's record: 'schema.table.<key values joined by .>' (DMS
    with PartitionIncludeSchemaTable; for a primary-key update, the new key). Longer than Kinesis's
    256 characters: its head and a digest of the whole (the same key, the same shard).

    >>> partition_key("public", "cart", [7, "a"])
    'public.cart.7.a'
    >>> key = partition_key("public", "t", ["x" * 300])
    >>> len(key), key[:14], key == partition_key("public", "t", ["x" * 300])
    (256, 'public.t.xxxxx', True)
    """
    text = ".".join(str(v) for v in [*([schema] if schema else []), table, *key_values])
    if len(text) <= PARTITION_KEY_MAX_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text[: PARTITION_KEY_MAX_CHARS - len(digest) - 1] + "#" + digest


def commit_timestamp_text(value: dt.datetime) -> str:
    """DMS's commit-timestamp: ISO-8601 UTC with microseconds, e.g. 2024-07-29T00:58:17.974340Z."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class ChangeRecord:
    """One DMS record. `data` and `before` are already DMS-encoded JSON values."""

    schema: str | None
    table: str
    operation: str
    data: dict[str, Any]
    before: dict[str, Any] | None = None
    commit_ts: dt.datetime | None = None
    transaction_id: int | str | None = None  # the source's transaction id (MySQL: a GTID or binlog position text)
    transaction_record_id: int | None = None
    timestamp: dt.datetime | None = None
    extra_metadata: dict[str, Any] = field(default_factory=dict)
    resync: bool = False  # a load of `streamleap resync`: ordered at commit_ts (the snapshot's time)

    def to_json(self) -> dict[str, Any]:
        stamp = self.timestamp or self.commit_ts or dt.datetime.now(dt.timezone.utc)
        control = self.operation in CONTROL_OPERATIONS
        metadata: dict[str, Any] = {
            "timestamp": commit_timestamp_text(stamp),
            "record-type": "control" if control else "data",
            "operation": self.operation,
            "partition-key-type": "schema-table" if control or self.resync else "primary-key",
            "schema-name": self.schema or "",
            "table-name": self.table,
        }
        if (self.operation != "load" or self.resync) and self.commit_ts is not None:
            metadata["transaction-id"] = self.transaction_id
            metadata["transaction-record-id"] = self.transaction_record_id
            metadata["commit-timestamp"] = commit_timestamp_text(self.commit_ts)
        metadata.update(self.extra_metadata)
        if control:
            return {"metadata": metadata}
        record: dict[str, Any] = {"data": self.data, "metadata": metadata}
        if self.before is not None:
            record["before-image"] = self.before
        return record

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
