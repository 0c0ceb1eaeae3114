"""DMS change records: the JSON AWS DMS writes to Kinesis for one row change.

    {"data": {...row...}, "metadata": {...}, ["before-image": {...}]}

Used by the local pipeline, the demo workload and the tests to produce exactly what DMS would.
Values are encoded the way DMS writes them: numbers for integers and floats, decimals as strings,
booleans as 0/1, 'YYYY-MM-DD HH:MM:SS[.ffffff]' timestamps, binary as hex, JSON columns as a
string holding the JSON text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from streamleap.types import TargetType

OPERATIONS = ("load", "insert", "update", "delete")
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


def _ts_text(value: dt.datetime) -> str:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; years below 1000 keep four digits."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return text + (f".{value.microsecond:06d}" if value.microsecond else "")


def _time_text(value: dt.time) -> str:
    """'HH:MM:SS[.ffffff]', with the UTC offset ('+05:30') for a time with a time zone."""
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    text += f".{value.microsecond:06d}" if value.microsecond else ""
    offset = value.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text


def encode_value(value: Any, target: TargetType) -> Any:
    """A Python value as DMS writes it into the record's JSON for a column of this type."""
    if value is None:
        return None
    family = target.family
    if family == "boolean":
        return 1 if value else 0
    if family == "integer":
        return int(value)
    if family == "decimal":
        # plain notation, never '1E-10'
        return format(value, "f") if isinstance(value, decimal.Decimal) else value
    if family == "float":
        return float(value)
    if family == "binary":
        return bytes(value).hex().upper()
    if family == "date":
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if isinstance(value, dt.date) else str(value)
    if family in ("time", "timetz"):
        return _time_text(value) if isinstance(value, dt.time) else str(value)
    if family in ("timestamp", "timestamptz"):
        return _ts_text(value) if isinstance(value, dt.datetime) else str(value)
    if family == "super":
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return value if isinstance(value, str) else str(value)


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
    transaction_id: int | None = None
    transaction_record_id: int | None = None
    timestamp: dt.datetime | None = None
    extra_metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        stamp = self.timestamp or self.commit_ts or dt.datetime.now(dt.timezone.utc)
        metadata: dict[str, Any] = {
            "timestamp": commit_timestamp_text(stamp),
            "record-type": "data",
            "operation": self.operation,
            "partition-key-type": "primary-key",
            "schema-name": self.schema or "",
            "table-name": self.table,
        }
        if self.operation != "load" and self.commit_ts is not None:
            metadata["transaction-id"] = self.transaction_id
            metadata["transaction-record-id"] = self.transaction_record_id
            metadata["commit-timestamp"] = commit_timestamp_text(self.commit_ts)
        metadata.update(self.extra_metadata)
        record: dict[str, Any] = {"data": self.data, "metadata": metadata}
        if self.before is not None:
            record["before-image"] = self.before
        return record

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def control_record(schema: str, table: str, operation: str = "create-table") -> bytes:
    return json.dumps(
        {"control": {}, "metadata": {"timestamp": commit_timestamp_text(dt.datetime.now(dt.timezone.utc)),
                                     "record-type": "control", "operation": operation,
                                     "partition-key-type": "task-id", "schema-name": schema, "table-name": table}}
    ).encode()
