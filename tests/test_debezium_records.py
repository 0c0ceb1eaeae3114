"""Debezium change events as `streamleap.records.debezium` writes them, against what Debezium's own
documentation and code show (docs/research/issue-14-debezium-kafka-facts.md): the envelope, the
source block of each connector, tombstones, primary-key changes, truncates, transaction metadata,
and the value encodings whose documented examples give exact bytes."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest

from streamleap.capture.base import RowChange
from streamleap.model.source_table import SourceColumn, SourceTable
from streamleap.records.debezium import DebeziumEncoder, DebeziumStyle, encode_field, field_type

UTC = dt.timezone.utc
PG_TABLE = SourceTable("public", "customers", (
    SourceColumn("id", "integer", nullable=False), SourceColumn("email", "varchar(255)"),
    SourceColumn("salary", "numeric(19,4)"), SourceColumn("born", "date"),
    SourceColumn("seen", "timestamp without time zone"), SourceColumn("changed", "timestamp with time zone"),
    SourceColumn("ratio", "numeric"), SourceColumn("doc", "jsonb")), primary_key=("id",), dialect="postgres")
MY_TABLE = SourceTable("inventory", "customers", (
    SourceColumn("id", "int", nullable=False), SourceColumn("first_name", "varchar(255)"),
    SourceColumn("at", "datetime"), SourceColumn("stamp", "timestamp"), SourceColumn("flag", "tinyint(1)")),
    primary_key=("id",), dialect="mysql")
COMMIT = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
NOW = dt.datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC)


def pg(**style) -> DebeziumEncoder:
    return DebeziumEncoder([PG_TABLE], DebeziumStyle(connector="postgresql", topic_prefix="PostgreSQL_server",
                                                     database="postgres", **style), clock=lambda: NOW)


def my(**style) -> DebeziumEncoder:
    return DebeziumEncoder([MY_TABLE], DebeziumStyle(connector="mysql", topic_prefix="mysql-server-1", **style), clock=lambda: NOW)


def change(table: SourceTable, op: str, data: dict, before: dict | None = None, position: str | None = "0/16E3B48",
           tid: int | str | None = 555, rid: int = 1) -> RowChange:
    c = RowChange(table.schema or "", table.name, op, data, before)
    if op != "load":
        c.commit_ts, c.transaction_id, c.transaction_record_id, c.stream_position = COMMIT, tid, rid, position
    return c


def row(**values) -> dict:
    base = {"id": 1, "email": "annek@noanswer.org", "salary": Decimal("200000.0000"), "born": dt.date(1990, 1, 2),
            "seen": dt.datetime(2018, 6, 20, 15, 13, 16, 945104), "changed": dt.datetime(2018, 6, 20, 13, 37, 3, tzinfo=UTC),
            "ratio": Decimal("3.14159"), "doc": {"a": [1, 2]}}
    return {**base, **values}


# ----------------------------------------------------------------------------- values
def test_documented_value_encodings_are_exact():
    """The documented examples: a DECIMAL's base64 bytes ("dzWUAA==" is 200000.0000 at scale 4), a
    Postgres TIMESTAMP as microseconds read as UTC, MySQL DATETIME as milliseconds and TIMESTAMP as a
    UTC ZonedTimestamp, DATE as days since the epoch."""
    salary = field_type(SourceColumn("salary", "numeric(19,4)"), "postgres")
    assert salary.schema == {"type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
                             "parameters": {"scale": "4", "connect.decimal.precision": "19"}}
    assert encode_field(Decimal("200000.0000"), salary) == "dzWUAA=="
    assert encode_field(Decimal("-1.5"), field_type(SourceColumn("x", "numeric(5,1)"), "postgres")) \
        == base64.b64encode((-15).to_bytes(1, "big", signed=True)).decode()
    assert encode_field(dt.datetime(2018, 6, 20, 15, 13, 16, 945104), field_type(SourceColumn("t", "timestamp"), "postgres")) \
        == 1529507596945104
    assert encode_field(dt.datetime(2018, 6, 20, 6, 37, 3), field_type(SourceColumn("t", "datetime"), "mysql")) == 1529476623000
    assert encode_field(dt.datetime(2018, 6, 20, 13, 37, 3, tzinfo=UTC), field_type(SourceColumn("t", "timestamp"), "mysql")) \
        == "2018-06-20T13:37:03Z"
    assert encode_field(dt.date(2024, 1, 1), field_type(SourceColumn("d", "date"), "postgres")) == 19723
    # TIME: Postgres TIME(3) in milliseconds, TIME in microseconds; MySQL always microseconds
    assert encode_field(dt.time(1, 2, 3, 4000), field_type(SourceColumn("t", "time(3)"), "postgres")) == 3723004
    assert encode_field(dt.time(1, 2, 3, 4), field_type(SourceColumn("t", "time"), "postgres")) == 3723000004
    assert encode_field(dt.timedelta(hours=25), field_type(SourceColumn("t", "time"), "mysql")) == 90_000_000_000
    # TIMESTAMPTZ with the column's fraction digits, in UTC
    tz = dt.timezone(dt.timedelta(hours=2))
    assert encode_field(dt.datetime(2024, 1, 1, 2, 0, 0, 500000, tzinfo=tz),
                        field_type(SourceColumn("t", "timestamp(3) with time zone"), "postgres")) == "2024-01-01T00:00:00.500Z"


def test_variable_scale_decimal_and_other_types():
    ratio = field_type(SourceColumn("r", "numeric"), "postgres")
    assert ratio.schema["name"] == "io.debezium.data.VariableScaleDecimal"
    assert encode_field(Decimal("3.14159"), ratio) == {"scale": 5, "value": base64.b64encode((314159).to_bytes(3, "big")).decode()}
    assert field_type(SourceColumn("j", "jsonb"), "postgres").schema["name"] == "io.debezium.data.Json"
    assert encode_field({"a": 1}, field_type(SourceColumn("j", "jsonb"), "postgres")) == '{"a":1}'
    assert encode_field(b"\x00\xff", field_type(SourceColumn("b", "bytea"), "postgres")) == "AP8="
    assert field_type(SourceColumn("e", "enum('a','b')"), "mysql").schema == {
        "type": "string", "name": "io.debezium.data.Enum", "version": 1, "parameters": {"allowed": "a,b"}}
    assert field_type(SourceColumn("i", "int unsigned"), "mysql").schema == {"type": "int64"}
    assert field_type(SourceColumn("i", "tinyint"), "mysql").schema == {"type": "int8"}
    assert encode_field([1, 2], field_type(SourceColumn("a", "integer[]"), "postgres")) == [1, 2]
    assert encode_field(float("nan"), field_type(SourceColumn("f", "double precision"), "postgres")) == "NaN"


# ----------------------------------------------------------------------------- events
def test_a_postgres_create_without_schemas_is_the_documented_envelope():
    (event,) = pg(schemas=False).encode(change(PG_TABLE, "insert", row()))
    assert event.key == {"id": 1}
    v = event.value
    assert set(v) == {"before", "after", "source", "op", "ts_ms", "ts_us", "ts_ns", "transaction"}
    assert v["op"] == "c" and v["before"] is None and v["transaction"] is None
    assert v["after"]["salary"] == "dzWUAA==" and v["after"]["seen"] == 1529507596945104
    assert v["after"]["changed"] == "2018-06-20T13:37:03.000000Z" and v["after"]["doc"] == '{"a":[1,2]}'
    src = v["source"]
    assert src["connector"] == "postgresql" and src["name"] == "PostgreSQL_server" and src["db"] == "postgres"
    assert src["snapshot"] == "false"  # a string, not a boolean
    assert (src["schema"], src["table"], src["txId"]) == ("public", "customers", 555)
    assert src["lsn"] == 0x16E3B48 and src["xmin"] is None
    assert src["ts_ms"] == int(COMMIT.timestamp() * 1000) and src["ts_us"] == int(COMMIT.timestamp()) * 1_000_000 + 123456
    assert v["ts_ms"] == int(NOW.timestamp() * 1000)
    assert json.loads(src["sequence"]) == [None, str(0x16E3B48)]


def test_with_schemas_every_key_and_value_has_its_schema_and_payload():
    enc, bare = pg(), pg(schemas=False)
    (event,) = enc.encode(change(PG_TABLE, "insert", row()))
    (plain,) = bare.encode(change(PG_TABLE, "insert", row()))
    assert set(event.key) == {"schema", "payload"} and event.key["payload"] == plain.key
    assert event.key["schema"]["name"] == "PostgreSQL_server.public.customers.Key"
    assert event.value["payload"] == plain.value
    schema = event.value["schema"]
    assert schema["name"] == "PostgreSQL_server.public.customers.Envelope"
    fields = {f["field"]: f for f in schema["fields"]}
    assert fields["after"]["name"] == "PostgreSQL_server.public.customers.Value"
    columns = {f["field"]: f for f in fields["after"]["fields"]}
    assert columns["seen"]["name"] == "io.debezium.time.MicroTimestamp"
    assert columns["changed"]["name"] == "io.debezium.time.ZonedTimestamp"
    assert columns["id"]["optional"] is False and columns["email"]["optional"] is True
    assert fields["source"]["name"] == "io.debezium.connector.postgresql.Source"
    assert json.loads(event.value_bytes()) == event.value


def test_a_delete_then_its_tombstone_and_a_key_change_as_delete_tombstone_create():
    enc = pg(schemas=False)
    deleted = enc.encode(change(PG_TABLE, "delete", {"id": 1, "email": None}))
    assert [(e.key, e.value and e.value["op"]) for e in deleted] == [({"id": 1}, "d"), ({"id": 1}, None)]
    assert deleted[0].value["before"] == {"id": 1, "email": None} and deleted[0].value["after"] is None
    assert deleted[1].value_bytes() == b""  # Debezium Server's Kinesis sink sends a tombstone as 0 bytes

    moved = enc.encode(change(PG_TABLE, "update", row(id=2), before={"id": 1}))
    assert [(e.key, e.value and e.value["op"]) for e in moved] == [({"id": 1}, "d"), ({"id": 1}, None), ({"id": 2}, "c")]
    assert moved[0].value["before"]["id"] == 1 and moved[2].value["after"]["id"] == 2
    assert json.loads(moved[0].headers["__debezium.newkey"]) == {"id": 2}
    assert json.loads(moved[2].headers["__debezium.oldkey"]) == {"id": 1}

    (updated,) = enc.encode(change(PG_TABLE, "update", row(email="x@y"), before={"id": 1, "email": "annek@noanswer.org"}))
    assert updated.value["op"] == "u" and updated.value["before"]["email"] == "annek@noanswer.org"
    assert pg(schemas=False, tombstones=False).encode(change(PG_TABLE, "delete", {"id": 1}))[-1].value["op"] == "d"


def test_truncate_snapshot_reads_and_transaction_metadata():
    enc = pg(schemas=False, transaction_metadata=True)
    (truncated,) = enc.encode(change(PG_TABLE, "truncate-table", {}))
    assert truncated.key is None and truncated.value["op"] == "t"
    assert "before" not in truncated.value and "after" not in truncated.value
    (read,) = enc.encode(change(PG_TABLE, "load", row()))
    assert read.value["op"] == "r" and read.value["source"]["snapshot"] == "true" and read.value["transaction"] is None
    resynced = change(PG_TABLE, "load", row())
    resynced.resync, resynced.commit_ts = True, COMMIT
    assert enc.encode(resynced)[0].value["source"]["snapshot"] == "incremental"

    enc = pg(schemas=False, transaction_metadata=True)
    first = enc.encode(change(PG_TABLE, "insert", row(id=5), tid=600, rid=1, position="0/100"))
    second = enc.encode(change(PG_TABLE, "insert", row(id=6), tid=600, rid=2, position="0/108"))
    assert first[0].value["transaction"] == {"id": "600:256", "total_order": 1, "data_collection_order": 1}
    assert second[0].value["transaction"]["total_order"] == 2
    enc.end_transaction("0/108")
    third = enc.encode(change(PG_TABLE, "insert", row(id=7), tid=601, rid=1, position="0/200"))
    assert third[0].value["transaction"]["total_order"] == 1
    assert json.loads(third[0].value["source"]["sequence"]) == [str(0x108), str(0x200)]


def test_a_mysql_update_has_the_binlog_position_and_each_rows_index_in_its_event():
    enc = my(schemas=False)
    rows = [{"id": i, "first_name": f"n{i}", "at": dt.datetime(2018, 6, 20, 6, 37, 3),
             "stamp": dt.datetime(2018, 6, 20, 13, 37, 3, tzinfo=UTC), "flag": 1} for i in (1004, 1005)]
    events = [enc.encode(change(MY_TABLE, "update", r, before={**r, "first_name": "old"}, position="mysql-bin.000003:484",
                                tid="mysql-bin.000003:400", rid=n + 1))[0] for n, r in enumerate(rows)]
    src = [e.value["source"] for e in events]
    assert [(s["file"], s["pos"], s["row"]) for s in src] == [("mysql-bin.000003", 484, 0), ("mysql-bin.000003", 484, 1)]
    assert src[0]["connector"] == "mysql" and src[0]["db"] == "inventory" and src[0]["table"] == "customers"
    assert src[0]["server_id"] == 1 and src[0]["gtid"] is None and src[0]["snapshot"] == "false"
    assert events[0].value["after"]["at"] == 1529476623000 and events[0].value["after"]["stamp"] == "2018-06-20T13:37:03Z"
    assert events[0].value["before"]["first_name"] == "old"
    gtid = enc.encode(change(MY_TABLE, "insert", rows[0], position="mysql-bin.000003:900", tid="3e11fa47-71ca-11e1-9e33-c80aa9429562:23"))
    assert gtid[0].value["source"]["gtid"] == "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"


@pytest.mark.parametrize("source_type, dialect, name", [
    ("timestamp(3)", "postgres", "io.debezium.time.Timestamp"), ("datetime(6)", "mysql", "io.debezium.time.MicroTimestamp"),
    ("time(6)", "mysql", "io.debezium.time.MicroTime"), ("year", "mysql", "io.debezium.time.Year"),
    ("uuid", "postgres", "io.debezium.data.Uuid"), ("interval", "postgres", "io.debezium.time.MicroDuration"),
    ("time with time zone", "postgres", "io.debezium.time.ZonedTime"), ("set('a','b')", "mysql", "io.debezium.data.EnumSet"),
])
def test_semantic_type_names(source_type, dialect, name):
    assert field_type(SourceColumn("c", source_type), dialect).schema["name"] == name


def test_decimals_are_exact_at_any_precision_in_javas_fewest_bytes():
    """The unscaled integer is computed exactly (no 28-digit context rounding), rounded half even to the
    column's scale, and written in as few bytes as Java's BigInteger.toByteArray."""
    big = field_type(SourceColumn("b", "numeric(38,10)"), "postgres")
    value = Decimal("1234567890123456789012345678.9012345678")
    raw = base64.b64decode(encode_field(value, big))
    assert int.from_bytes(raw, "big", signed=True) == 12345678901234567890123456789012345678
    two = field_type(SourceColumn("x", "numeric(5,0)"), "postgres")
    assert base64.b64decode(encode_field(Decimal("-128"), two)) == b"\x80"
    assert base64.b64decode(encode_field(Decimal("128"), two)) == b"\x00\x80"
    assert base64.b64decode(encode_field(Decimal("0"), two)) == b"\x00"
    half = field_type(SourceColumn("x", "numeric(5,1)"), "postgres")
    assert int.from_bytes(base64.b64decode(encode_field(Decimal("0.25"), half)), "big", signed=True) == 2  # half even
    assert int.from_bytes(base64.b64decode(encode_field(Decimal("0.35"), half)), "big", signed=True) == 4
    assert encode_field(Decimal("NaN"), half) is None


def test_bit_one_is_a_boolean_and_enum_labels_keep_their_case():
    assert field_type(SourceColumn("b", "bit(1)"), "postgres").schema == {"type": "boolean"}
    assert encode_field(b"\x01", field_type(SourceColumn("b", "bit(1)"), "mysql")) is True
    assert field_type(SourceColumn("e", "enum('Open','CLOSED')"), "mysql").schema["parameters"] == {"allowed": "Open,CLOSED"}


def test_decimal_handling_modes_write_what_the_connector_writes_and_generate_reads_them():
    """decimal.handling.mode: precise (base64 of the unscaled integer, decoded by the package),
    string (the plain decimal text, any number of digits) and double (a JSON number); the last two
    are the value as DMS writes it, so generate gives their columns the encoding 'text'."""
    from streamleap.records.debezium import column_encoding

    column = SourceColumn("amount", "numeric(60,2)")
    assert column_encoding("amount", "numeric(60,2)", "postgres") == "decimal:2"
    assert column_encoding("amount", "numeric(60,2)", "postgres", "string") == "text"
    assert column_encoding("amount", "numeric", "postgres", "double") == "text"
    # arrays: their JSON, unless Debezium encodes the elements (then the package sets them aside)
    assert column_encoding("tags", "text[]", "postgres") == "text" and column_encoding("days", "date[]", "postgres") == "array:date"
    assert column_encoding("amounts", "numeric(9,2)[]", "postgres", "string") == "text"
    assert column_encoding("seen", "timestamptz[]", "postgres") == "text"
    wide = Decimal("-12345678901234567890123456789012345678901234567890.25")
    assert encode_field(wide, field_type(column, "postgres", "string")) == str(wide)
    assert encode_field(Decimal("7.50"), field_type(SourceColumn("m", "money"), "postgres", "string")) == "7.50"
    assert encode_field(Decimal("-1234.50"), field_type(column, "postgres", "double")) == -1234.5
    assert field_type(column, "postgres", "string").schema == {"type": "string"}
