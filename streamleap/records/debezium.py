"""Row changes as Debezium change events (Kafka Connect's JSON converter), for Postgres and
MySQL/MariaDB sources: what `streamleap capture --format debezium` and the tests write, shaped as
Debezium's documentation and code show them (docs/research/issue-14-debezium-kafka-facts.md,
sections 1 and 2; the keys in brackets below are that file's sources).

An event is a key and a value, each ``{"schema": ..., "payload": ...}`` with the converter's
``schemas.enable`` (its default), the payload alone without [KJC]. The value's payload is the
envelope ``before``, ``after``, ``source``, ``op``, ``ts_ms``/``ts_us``/``ts_ns`` (when the
connector processed it) and ``transaction`` (null unless transaction metadata is on) [SF] [ENV]:

* ``op``: ``r`` a snapshot read (a capture ``load``; ``source.snapshot`` "true", or "incremental"
  for a row of `streamleap resync`), ``c`` insert, ``u`` update, ``d`` delete, ``t`` truncate;
* a delete is followed by a tombstone, the same key with a null value (``tombstones.on.delete``,
  default on) [PG];
* an update that changes the primary key is a ``d`` of the old key, its tombstone and a ``c`` of
  the new key, the delete carrying header ``__debezium.newkey`` and the create ``__debezium.oldkey``
  [RCRE];
* a truncate has a null key and no ``before``/``after`` [PG] (Debezium skips truncates unless
  ``skipped.operations=none``; capture writes them, as that setting does);
* ``source``: ``snapshot`` is a string [SNAP]; Postgres adds ``schema``, ``table``, ``txId``,
  ``lsn`` (the change's LSN as a number), ``xmin`` and ``sequence`` (``["<last LSN of the previous
  transaction>", "<this LSN>"]``) [PGSI]; MySQL/MariaDB add ``table``, ``server_id``, ``gtid``,
  ``file``, ``pos`` (the binlog event's position) and ``row`` (the row's index in that event)
  [BLSI].

Values by column type, the connector defaults (``decimal.handling.mode=precise``,
``time.precision.mode`` ``adaptive`` on Postgres and ``adaptive_time_microseconds`` on MySQL,
``binary.handling.mode=bytes``) [PG] [MY] [KIP481]: DECIMAL(p,s) as base64 of the big-endian two's
complement unscaled integer (``org.apache.kafka.connect.data.Decimal``), Postgres NUMERIC without
a scale as ``io.debezium.data.VariableScaleDecimal`` ``{"scale", "value"}``; DATE as days since
1970-01-01; TIMESTAMP/DATETIME as milliseconds (fractional precision 0-3) or microseconds (4-6, and
Postgres's bare TIMESTAMP) since the epoch, read as UTC; TIMESTAMPTZ and MySQL TIMESTAMP as an
ISO-8601 UTC string (``ZonedTimestamp``) with the column's fraction digits; TIME as milliseconds
(Postgres TIME(0-3)) or microseconds past midnight; JSON as its text; binary as base64; booleans,
integers and floats as JSON booleans and numbers. Choices where Debezium's output depends on more
than the column (documented here as capture's): INTERVAL as microseconds with months of 30 days;
a float NaN or infinity as the strings "NaN", "Infinity", "-Infinity".
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from streamleap.model.source_table import SourceColumn, SourceTable

DEBEZIUM_VERSION = "3.0.0.Final"  # what the events' source.version says
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DATE = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class DebeziumStyle:
    """How the events are written: the connector's and the converter's settings."""

    connector: str = "postgresql"  # or "mysql" (MySQL and MariaDB)
    topic_prefix: str = "streamleap"  # topic.prefix: source.name and the schema names
    database: str = ""  # Postgres: source.db (MySQL's db is the change's schema)
    schemas: bool = True  # the JSON converter's schemas.enable
    tombstones: bool = True  # tombstones.on.delete
    transaction_metadata: bool = False  # provide.transaction.metadata
    server_id: int = 1  # MySQL: source.server_id
    decimal_handling: str = "precise"  # decimal.handling.mode: precise (base64 of the unscaled integer), string or double


@dataclass(frozen=True)
class DebeziumEvent:
    """One record of a topic: key and value as the JSON converter writes them (None: a null key
    or value), and the record's headers."""

    key: Any
    value: Any
    headers: dict[str, str] = field(default_factory=dict)

    def value_bytes(self) -> bytes:
        """The value's bytes; a tombstone's are empty (Debezium Server's Kinesis sink) [KIN]."""
        return b"" if self.value is None else _dumps(self.value).encode("utf-8")

    def key_text(self) -> str | None:
        return None if self.key is None else _dumps(self.key)


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# ----------------------------------------------------------------------------- values by type
@dataclass(frozen=True)
class FieldType:
    """A column's Kafka Connect schema (without its field name) and how a value is written."""

    schema: dict[str, Any]
    kind: str  # what encode does with a Python value
    scale: int | None = None
    digits: int = 6  # fraction digits of a ZonedTimestamp/ZonedTime
    element: FieldType | None = None  # an array's


_PRECISION = re.compile(r"\((\d+)\)")
_NUMERIC = re.compile(r"^(?:numeric|decimal|dec|fixed)\s*(?:\((\d+)\s*(?:,\s*(-?\d+))?\))?")


def _precision(source_type: str) -> int | None:
    found = _PRECISION.search(source_type)
    return int(found.group(1)) if found else None


def _named(type_: str, name: str, **parameters: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": type_, "name": name, "version": 1}
    if parameters:
        schema["parameters"] = parameters
    return schema


def field_type(column: SourceColumn, dialect: str, decimal_handling: str = "precise") -> FieldType:
    """The Debezium field type of a source column (connector defaults; module docstring).
    decimal_handling 'string' (decimal.handling.mode=string): DECIMAL, NUMERIC and MONEY as their
    plain decimal text, which holds any number of digits; 'double': as JSON numbers (a double's
    digits: what the connector sends, not always the source's value)."""
    written = column.source_type.strip()
    t = written.lower()
    mysql = dialect != "postgres"
    if t.endswith("[]"):
        element = field_type(SourceColumn(column.name, t[:-2]), dialect, decimal_handling)
        return FieldType({"type": "array", "items": {**element.schema, "optional": True}}, "array", element=element)
    unsigned = " unsigned" in t
    base = t.replace(" unsigned", "").replace(" zerofill", "").strip()
    word = re.split(r"[\s(]", base, maxsplit=1)[0]
    if word in ("boolean", "bool") or base in ("bit(1)", "bit"):
        return FieldType({"type": "boolean"}, "boolean")
    if word == "tinyint":
        return FieldType({"type": "int16" if unsigned else "int8"}, "integer")
    if word in ("smallint", "int2", "smallserial"):
        return FieldType({"type": "int32" if unsigned else "int16"}, "integer")
    if word in ("mediumint",):
        return FieldType({"type": "int32"}, "integer")
    if word in ("integer", "int", "int4", "serial"):
        return FieldType({"type": "int64" if unsigned else "int32"}, "integer")
    if word in ("bigint", "int8", "bigserial"):
        if unsigned:  # bigint.unsigned.handling.mode=precise (long would turn large values negative)
            return FieldType(_named("bytes", "org.apache.kafka.connect.data.Decimal", scale="0",
                                    **{"connect.decimal.precision": "20"}), "decimal", scale=0)
        return FieldType({"type": "int64"}, "integer")
    if word in ("real", "float4") or (mysql and word == "float" and (_precision(base) or 0) <= 23):
        return FieldType({"type": "float"}, "float")
    if word in ("double", "float8", "float"):
        return FieldType({"type": "double"}, "float")
    if decimal_handling == "string" and (word == "money" or _NUMERIC.match(base)):
        return FieldType({"type": "string"}, "decimal_string")
    if decimal_handling == "double" and (word == "money" or _NUMERIC.match(base)):
        return FieldType({"type": "double"}, "float")
    if word == "money":
        return FieldType(_named("bytes", "org.apache.kafka.connect.data.Decimal", scale="2"), "decimal", scale=2)
    numeric = _NUMERIC.match(base)
    if numeric:
        precision, scale = numeric.group(1), numeric.group(2)
        if precision is None and not mysql:  # Postgres NUMERIC without precision or scale
            return FieldType({"type": "struct", "name": "io.debezium.data.VariableScaleDecimal", "version": 1,
                              "doc": "Variable scaled decimal",
                              "fields": [{"type": "int32", "optional": False, "field": "scale"},
                                         {"type": "bytes", "optional": False, "field": "value"}]}, "variable_decimal")
        digits = int(precision) if precision is not None else 10  # MySQL DECIMAL = DECIMAL(10,0)
        places = int(scale) if scale is not None else 0
        return FieldType(_named("bytes", "org.apache.kafka.connect.data.Decimal", scale=str(places),
                                **{"connect.decimal.precision": str(digits)}), "decimal", scale=places)
    fraction = _precision(base)
    if word == "date":
        return FieldType(_named("int32", "io.debezium.time.Date"), "date")
    if word == "year":
        return FieldType(_named("int32", "io.debezium.time.Year"), "year")
    if word == "timestamptz" or re.match(r"timestamp\s*(\(\d+\))?\s*with time zone", base) or (mysql and word == "timestamp"):
        return FieldType(_named("string", "io.debezium.time.ZonedTimestamp"), "zoned_timestamp",
                         digits=fraction if fraction is not None else (0 if mysql else 6))
    if word in ("timestamp", "datetime"):
        if (fraction if fraction is not None else (0 if mysql else 6)) <= 3:
            return FieldType(_named("int64", "io.debezium.time.Timestamp"), "timestamp_ms")
        return FieldType(_named("int64", "io.debezium.time.MicroTimestamp"), "timestamp_us")
    if word == "timetz" or re.match(r"time\s*(\(\d+\))?\s*with time zone", base):
        return FieldType(_named("string", "io.debezium.time.ZonedTime"), "zoned_time", digits=fraction if fraction is not None else 6)
    if word == "time":
        if not mysql and fraction is not None and fraction <= 3:  # Postgres adaptive: TIME(0-3) in milliseconds
            return FieldType(_named("int32", "io.debezium.time.Time"), "time_ms")
        return FieldType(_named("int64", "io.debezium.time.MicroTime"), "time_us")
    if word == "interval":
        return FieldType(_named("int64", "io.debezium.time.MicroDuration"), "interval")
    if word in ("json", "jsonb"):
        return FieldType(_named("string", "io.debezium.data.Json"), "json")
    if word == "uuid":
        return FieldType(_named("string", "io.debezium.data.Uuid"), "string")
    if word in ("bytea", "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary", "bit"):
        return FieldType({"type": "bytes"}, "bytes")
    if word == "enum":
        allowed = ",".join(re.findall(r"'((?:[^']|'')*)'", written))  # the labels as written
        return FieldType(_named("string", "io.debezium.data.Enum", allowed=allowed), "string")
    if word == "set":
        allowed = ",".join(re.findall(r"'((?:[^']|'')*)'", written))
        return FieldType(_named("string", "io.debezium.data.EnumSet", allowed=allowed), "string")
    return FieldType({"type": "string"}, "string")


def column_encoding(name: str, source_type: str, dialect: str, decimal_handling: str = "precise") -> str:
    """How the dbt package decodes a column's Debezium values (record_format.sql debezium_text):
    the field type's kind, with its scale for a Decimal ('decimal:2'); 'text' for a value whose JSON
    text is the value as DMS writes it."""
    ft = field_type(SourceColumn(name, source_type), dialect, decimal_handling)
    if ft.kind == "array":  # a JSON array; its elements encoded as a column of their type would be
        assert ft.element is not None
        element = column_encoding(name, source_type.strip()[:-2], dialect, decimal_handling)
        # ZonedTimestamps are ISO text already: an array of them is JSON of the values
        return "text" if element in ("text", "zoned_timestamp") else f"array:{element}"
    if ft.kind == "decimal":
        return f"decimal:{ft.scale or 0}"
    if ft.kind in ("variable_decimal", "date", "timestamp_ms", "timestamp_us", "time_ms", "time_us", "bytes", "zoned_timestamp",
                   "interval"):
        return ft.kind
    return "text"


def encoded_array_columns(tables: list[SourceTable], decimal_handling: str = "precise") -> list[str]:
    """table.column of the array columns whose elements Debezium encodes (dates, decimals, times,
    bytes: not their text), which the dbt package does not decode element by element."""
    return [f"{t.name}.{c.name}" for t in tables for c in t.columns
            if column_encoding(c.name, c.source_type, t.dialect, decimal_handling).startswith("array:")]


def wide_decimal_columns(tables: list[SourceTable]) -> list[str]:
    """table.column of the columns whose precise Debezium decimals pass 38 digits (DECIMAL(p) with
    p > 38): the dbt package decodes at most 38. (A Postgres NUMERIC without precision can too, but
    seldom does: such a value's record is set aside with its reason.)"""
    found = []
    for t in tables:
        for c in t.columns:
            ft = field_type(c, t.dialect)
            digits = (ft.schema.get("parameters") or {}).get("connect.decimal.precision")
            if ft.kind == "decimal" and digits and int(digits) > 38:
                found.append(f"{t.name}.{c.name}")
    return found


def _unscaled_bytes(value: decimal.Decimal, scale: int) -> str:
    """base64 of the big-endian two's complement of value x 10^scale (rounded half even), in as few
    bytes as Java's BigInteger.toByteArray writes. Exact at any precision (no context rounding)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0")
    shift = exponent + scale
    if shift >= 0:
        unscaled *= 10 ** shift
    else:
        unscaled, rest = divmod(unscaled, 10 ** -shift)
        half = 10 ** -shift
        if rest * 2 > half or (rest * 2 == half and unscaled % 2):
            unscaled += 1
    unscaled = -unscaled if sign else unscaled
    length = ((~unscaled if unscaled < 0 else unscaled).bit_length() + 8) // 8  # the sign bit included
    return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode("ascii")


def _as_utc_naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


def _since_epoch_us(value: dt.datetime) -> int:
    delta = _as_utc_naive(value) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _iso_utc(value: dt.datetime, digits: int) -> str:
    v = _as_utc_naive(value)
    text = v.strftime("%Y-%m-%dT%H:%M:%S")
    if digits > 0:
        text += "." + f"{v.microsecond:06d}"[:min(digits, 6)].ljust(digits, "0")
    return text + "Z"


def _time_us(value: Any) -> int:
    if isinstance(value, dt.timedelta):  # MySQL TIME comes as a timedelta
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _parsed(value: Any, parse: Any) -> Any:
    return parse(value) if isinstance(value, str) else value


def encode_field(value: Any, ft: FieldType) -> Any:
    """A Python value (as a capture reader gives it) as the event's JSON value."""
    if value is None:
        return None
    kind = ft.kind
    if kind == "boolean":
        if isinstance(value, (bytes, bytearray)):  # MySQL BIT(1)
            return int.from_bytes(value, "big") != 0
        return value if isinstance(value, bool) else bool(int(value))
    if kind in ("integer", "year"):
        return int(value)
    if kind == "float":
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    if kind == "decimal":
        d = decimal.Decimal(str(value))
        return _unscaled_bytes(d, ft.scale or 0) if d.is_finite() else None  # NaN: precise mode cannot write it
    if kind == "decimal_string":  # BigDecimal.toPlainString
        d = decimal.Decimal(str(value))
        return format(d, "f") if d.is_finite() else ("NaN" if d.is_nan() else ("Infinity" if d > 0 else "-Infinity"))
    if kind == "variable_decimal":
        d = decimal.Decimal(str(value))
        if not d.is_finite():  # NaN: Debezium's precise mode cannot write it either
            return None
        scale = max(0, -d.as_tuple().exponent)  # type: ignore[operator]
        return {"scale": scale, "value": _unscaled_bytes(d, scale)}
    if kind == "date":
        day = _parsed(value, dt.date.fromisoformat)
        day = day.date() if isinstance(day, dt.datetime) else day
        return (day - EPOCH_DATE).days
    if kind == "timestamp_ms":
        return _since_epoch_us(_parsed(value, dt.datetime.fromisoformat)) // 1000
    if kind == "timestamp_us":
        return _since_epoch_us(_parsed(value, dt.datetime.fromisoformat))
    if kind == "zoned_timestamp":
        return _iso_utc(_parsed(value, dt.datetime.fromisoformat), ft.digits)
    if kind == "time_ms":
        return _time_us(_parsed(value, dt.time.fromisoformat)) // 1000
    if kind == "time_us":
        return _time_us(_parsed(value, dt.time.fromisoformat))
    if kind == "zoned_time":
        t = _parsed(value, dt.time.fromisoformat)
        if t.tzinfo is not None:
            moment = dt.datetime.combine(EPOCH_DATE, t).astimezone(dt.timezone.utc)
            t = moment.time()
        text = t.strftime("%H:%M:%S")
        if ft.digits > 0:
            text += "." + f"{t.microsecond:06d}"[:min(ft.digits, 6)].ljust(ft.digits, "0")
        return text + "Z"
    if kind == "interval":
        if isinstance(value, dt.timedelta):
            return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return int(value)
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if kind == "bytes":
        if isinstance(value, str):
            value = value.encode("utf-8")
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "array":
        items = json.loads(value) if isinstance(value, str) else value
        assert ft.element is not None
        return [encode_field(v, ft.element) for v in items]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


# ----------------------------------------------------------------------------- events
def _lsn_number(text: str | None) -> int | None:
    """An LSN 'X/Y' as the number Debezium writes."""
    if not text or "/" not in text:
        return None
    high, low = text.split("/", 1)
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class _Table:
    table: SourceTable
    fields: dict[str, FieldType]


class DebeziumEncoder:
    """Turns capture's row changes (streamleap.capture.base.RowChange) into Debezium events."""

    def __init__(self, tables: list[SourceTable], style: DebeziumStyle, clock: Any = None):
        self.style = style
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._tables: dict[tuple[str, str], _Table] = {}
        self.set_tables(tables)
        self._last_lsn: str | None = None  # Postgres: the previous transaction's last LSN (source.sequence)
        self._rows_at: tuple[str | None, int] = (None, 0)  # MySQL: the binlog event's position, rows seen in it
        self._transaction: tuple[Any, int, dict[str, int]] | None = None  # id, events so far, per table

    def set_tables(self, tables: list[SourceTable]) -> None:
        self._tables = {(t.schema or "", t.name): _Table(t, {c.name: field_type(c, t.dialect, self.style.decimal_handling)
                                                                  for c in t.columns})
                        for t in tables}

    def knows(self, schema: str, table: str, columns: Any) -> bool:
        info = self._tables.get((schema or "", table))
        return info is not None and all(c in info.fields for c in columns)

    # ---------------------------------------------------------------- schemas
    def _prefix(self, t: SourceTable) -> str:
        return ".".join([self.style.topic_prefix, *([t.schema] if t.schema else []), t.name])

    def _row_schema(self, info: _Table, name: str, columns: list[str], optional: bool) -> dict[str, Any]:
        nullable = {c.name: c.nullable for c in info.table.columns}
        fields = [{**info.fields[c].schema, "optional": bool(nullable.get(c, True)) and c not in info.table.primary_key,
                   "field": c} for c in columns]
        return {"type": "struct", "fields": fields, "optional": optional, "name": name}

    def _source_schema(self) -> dict[str, Any]:
        def f(type_: str, field_name: str, optional: bool = True, **extra: Any) -> dict[str, Any]:
            return {"type": type_, "optional": optional, "field": field_name, **extra}

        common = [f("string", "version", False), f("string", "connector", False), f("string", "name", False),
                  f("int64", "ts_ms", False),
                  f("string", "snapshot", name="io.debezium.data.Enum", version=1, default="false",
                    parameters={"allowed": "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"}),
                  f("string", "db", False), f("string", "sequence"), f("int64", "ts_us"), f("int64", "ts_ns")]
        if self.style.connector == "postgresql":
            own = [f("string", "schema", False), f("string", "table", False), f("int64", "txId"), f("int64", "lsn"),
                   f("int64", "xmin")]
            name = "io.debezium.connector.postgresql.Source"
        else:
            own = [f("string", "table"), f("int64", "server_id", False), f("string", "gtid"), f("string", "file", False),
                   f("int64", "pos", False), f("int32", "row", False), f("int64", "thread"), f("string", "query")]
            name = "io.debezium.connector.mysql.Source"
        return {"type": "struct", "fields": common + own, "optional": False, "name": name, "field": "source"}

    def _envelope_schema(self, info: _Table) -> dict[str, Any]:
        prefix = self._prefix(info.table)
        columns = [c.name for c in info.table.columns]
        row = self._row_schema(info, f"{prefix}.Value", columns, True)
        transaction = {"type": "struct", "optional": True, "name": "event.block", "version": 1, "field": "transaction",
                       "fields": [{"type": "string", "optional": False, "field": "id"},
                                  {"type": "int64", "optional": False, "field": "total_order"},
                                  {"type": "int64", "optional": False, "field": "data_collection_order"}]}
        return {"type": "struct", "optional": False, "name": f"{prefix}.Envelope", "version": 2, "fields": [
            {**row, "field": "before"}, {**row, "field": "after"}, self._source_schema(),
            {"type": "string", "optional": False, "field": "op"}, {"type": "int64", "optional": True, "field": "ts_ms"},
            {"type": "int64", "optional": True, "field": "ts_us"}, {"type": "int64", "optional": True, "field": "ts_ns"},
            transaction]}

    def _wrap(self, schema: Any, payload: Any) -> Any:
        """schema: a callable making the schema, called only when the converter writes schemas."""
        return {"schema": schema(), "payload": payload} if self.style.schemas else payload

    # ---------------------------------------------------------------- one change
    def _source(self, change: Any, info: _Table, snapshot: str) -> dict[str, Any]:
        commit = change.commit_ts or self._clock()
        us = _since_epoch_us(commit)
        source: dict[str, Any] = {"version": DEBEZIUM_VERSION, "connector": self.style.connector,
                                  "name": self.style.topic_prefix, "ts_ms": us // 1000, "snapshot": snapshot}
        if self.style.connector == "postgresql":
            lsn = _lsn_number(change.stream_position)
            source.update({"db": self.style.database, "sequence": _dumps([
                None if self._last_lsn is None else str(_lsn_number(self._last_lsn)), None if lsn is None else str(lsn)]),
                "ts_us": us, "ts_ns": us * 1000, "schema": info.table.schema or "", "table": info.table.name,
                "txId": change.transaction_id if isinstance(change.transaction_id, int) else None, "lsn": lsn, "xmin": None})
        else:
            file, pos = None, 0
            if change.stream_position and ":" in str(change.stream_position):
                file, _, pos_text = str(change.stream_position).rpartition(":")
                pos = int(pos_text) if pos_text.isdigit() else 0
            at, seen = self._rows_at
            row = seen if at == change.stream_position and at is not None else 0
            self._rows_at = (change.stream_position, row + 1)
            gtid = change.transaction_id if isinstance(change.transaction_id, str) and not str(change.transaction_id).startswith(
                str(file or "\0")) else None
            source.update({"db": info.table.schema or "", "sequence": None, "ts_us": us, "ts_ns": us * 1000,
                           "table": info.table.name, "server_id": self.style.server_id, "gtid": gtid,
                           "file": file or "", "pos": pos, "row": row, "thread": None, "query": None})
        return source

    def _transaction_block(self, change: Any, info: _Table) -> dict[str, Any] | None:
        if not self.style.transaction_metadata or change.operation == "load" or change.transaction_id is None:
            return None
        if self._transaction is None or self._transaction[0] != change.transaction_id:
            self._transaction = (change.transaction_id, 0, {})
        tid, total, per_table = self._transaction
        name = self._prefix(info.table)
        per_table[name] = per_table.get(name, 0) + 1
        self._transaction = (tid, total + 1, per_table)
        ident = f"{tid}:{_lsn_number(change.stream_position)}" if self.style.connector == "postgresql" else str(tid)
        return {"id": ident, "total_order": total + 1, "data_collection_order": per_table[name]}

    def _key(self, info: _Table, row: dict[str, Any] | None) -> Any:
        pk = list(info.table.primary_key)
        if not pk or row is None:
            return None
        return self._wrap(lambda: self._row_schema(info, f"{self._prefix(info.table)}.Key", pk, False),
                          {c: encode_field(row.get(c), info.fields[c]) for c in pk})

    def _row(self, info: _Table, row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {c.name: encode_field(row.get(c.name), info.fields[c.name]) for c in info.table.columns if c.name in row}

    def encode(self, change: Any) -> list[DebeziumEvent]:
        """The events of one row change: one, or for a delete its tombstone too, or for a primary-key
        update a delete, its tombstone and a create."""
        info = self._tables.get((change.schema or "", change.table))
        if info is None:
            raise KeyError(f"{change.schema}.{change.table}")
        now_us = _since_epoch_us(self._clock())
        snapshot = "false"
        op = {"load": "r", "insert": "c", "update": "u", "delete": "d", "truncate-table": "t"}[change.operation]
        if op == "r":
            snapshot = "incremental" if change.resync else "true"
        source = self._source(change, info, snapshot)
        transaction = self._transaction_block(change, info)
        envelope_schema = (lambda: self._envelope_schema(info)) if self.style.schemas else None

        def value(op_: str, before: Any, after: Any, trans: Any = transaction) -> Any:
            payload: dict[str, Any] = {"before": before, "after": after, "source": source, "op": op_, "ts_ms": now_us // 1000,
                                       "ts_us": now_us, "ts_ns": now_us * 1000, "transaction": trans}
            if op_ == "t":
                payload.pop("before")
                payload.pop("after")
            return self._wrap(envelope_schema, payload)

        if op == "t":
            return [DebeziumEvent(None, value("t", None, None))]
        after_row = self._row(info, change.data)
        if op == "d":
            before_row = self._row(info, change.before if change.before is not None else change.data)
            key = self._key(info, change.before if change.before is not None else change.data)
            out = [DebeziumEvent(key, value("d", before_row, None))]
            if self.style.tombstones:
                out.append(DebeziumEvent(key, None))
            return out
        before_row = self._row(info, change.before) if op == "u" else None
        key = self._key(info, change.data)
        if op == "u" and change.before is not None:
            old_key = self._key(info, {**change.data, **change.before})
            if old_key is not None and old_key != key:
                # a primary-key change: delete of the old key, its tombstone, create of the new [RCRE]
                full_before = self._row(info, {**change.data, **change.before})
                out = [DebeziumEvent(old_key, value("d", full_before, None), {"__debezium.newkey": _dumps(key)})]
                if self.style.tombstones:
                    out.append(DebeziumEvent(old_key, None))
                second = self._transaction_block(change, info)
                out.append(DebeziumEvent(key, value("c", None, after_row, second), {"__debezium.oldkey": _dumps(old_key)}))
                return out
        return [DebeziumEvent(key, value(op, before_row, after_row))]

    def end_transaction(self, last_stream_position: str | None) -> None:
        """A transaction ended: Postgres's source.sequence names its last LSN in the next one's events."""
        if last_stream_position is not None:
            self._last_lsn = last_stream_position
        self._transaction = None
