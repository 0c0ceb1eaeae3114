"""Debezium change events applied (generate --format debezium; dbt_package/macros/formats/
record_format.sql): every value encoding of the Postgres and MySQL connectors arrives exact, the
order is the source position (not the arrival), tombstones and transaction markers are no
changes, events that cannot be applied are set aside with a reason naming Debezium's field, and
`streamleap run`'s cycle applies them as `dbt run` does; on DuckDB and Postgres. The events are
streamleap.records.debezium's, checked against Debezium's documentation in
test_debezium_records.py."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from streamleap.capture.base import RowChange
from streamleap.records.debezium import DebeziumEncoder, DebeziumStyle
from streamleap.sources.ddl import parse_ddl
from streamleap.capture.encoder import EncodedRecord, not_sent_stand_in
from tests.harness import StreamWriter, dbt, make_project, parse_once, reset

pytestmark = pytest.mark.dbt

UTC = dt.timezone.utc
PG_DDL = """create table public.payment (id bigint primary key, amount numeric(12,2), big numeric(38,6), ratio numeric,
  paid_on date, at_ms timestamp(3), at_us timestamp, at_tz timestamptz, t_ms time(3), t_us time, raw bytea, note text,
  doc jsonb, flag boolean, score double precision);"""
MY_DDL = """create table inventory.customers (id int primary key, name varchar(40), born date, seen datetime, seen_us datetime(6),
  stamp timestamp, price decimal(10,3), y year, big bigint unsigned, span time);"""
EDGE_DDL = """create table public.edge (id bigint primary key, wide numeric(60,2), whole numeric(38,0), ratio numeric, span interval,
  body text, blob bytea, doc jsonb, days date[], tags text[], hundreds numeric(5,-2));"""
T1 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
WIDE = Decimal("12345678901234567890123456789012345678901234567890.25")  # 52 digits


@pytest.fixture(scope="module", params=["local", "postgres"])
def target(request, tmp_path_factory):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return parse_once(make_project(tmp_path_factory.mktemp(request.param), PG_DDL, "postgres", request.param, pg_url,
                                   more=[(MY_DDL, "mysql"), (EDGE_DDL, "postgres")], record_format="debezium"))


def pg_encoder(**style) -> DebeziumEncoder:
    return DebeziumEncoder(parse_ddl(PG_DDL + EDGE_DDL, "postgres"), DebeziumStyle(connector="postgresql", database="shop", **style))


def my_encoder() -> DebeziumEncoder:
    return DebeziumEncoder(parse_ddl(MY_DDL, "mysql"), DebeziumStyle(connector="mysql"))


def change(schema: str, table: str, op: str, data: dict, position: str, before: dict | None = None, when: dt.datetime = T1,
           tid: int | str = 7) -> RowChange:
    c = RowChange(schema, table, op, data, before)
    c.commit_ts, c.transaction_id, c.transaction_record_id, c.stream_position = when, tid, 1, position
    return c


def values(enc: DebeziumEncoder, *changes: RowChange) -> list[bytes]:
    return [e.value_bytes() for c in changes for e in enc.encode(c)]


def set_aside(target) -> list[tuple]:
    return target.query(f"select reason, operation, table_name from {target.rel('shop_cdc_set_aside')} order by reason")


PG_ROW = {"id": 1, "amount": Decimal("-1234.50"), "big": Decimal("-12345678901234567890123456789012.123456"),
          "ratio": Decimal("0.000314159"), "paid_on": dt.date(1969, 7, 20), "at_ms": dt.datetime(2018, 6, 20, 15, 13, 16, 945000),
          "at_us": dt.datetime(1900, 1, 1, 0, 0, 0, 1), "at_tz": dt.datetime(2018, 6, 20, 13, 37, 3, 500000, tzinfo=UTC),
          "t_ms": dt.time(23, 59, 59, 999000), "t_us": dt.time(0, 0, 0, 1), "raw": b"\x00\xff\x10ab", "note": "naïve \"quoted\"",
          "doc": {"a": [1, 2.5, None]}, "flag": True, "score": 0.1}


def test_every_postgres_encoding_arrives_exact(target):
    """Decimals as base64 (negative, 38 digits), a NUMERIC without scale (VariableScaleDecimal),
    dates before 1970, timestamps in ms and us, a ZonedTimestamp, times in ms and us, bytes, JSON,
    booleans and doubles: the mirror holds the source's values."""
    reset(target)
    enc = pg_encoder()
    w = StreamWriter(target)
    w.append(values(enc, change("public", "payment", "insert", PG_ROW, "0/16E3B48"),
                    change("public", "payment", "insert", {**PG_ROW, "id": 2, "amount": Decimal("0.01"), "big": Decimal("0"),
                                                           "ratio": Decimal("-5"), "raw": b"", "flag": False}, "0/16E3C00")))
    dbt(target, "run", "--quiet")
    columns = "id, amount, big, ratio, paid_on, at_ms, at_us, at_tz, t_ms, t_us, raw, note, doc, flag, score"
    rows = {r[0]: r[1:] for r in target.query(f"select {columns} from {target.rel('payment')}")}
    one = rows[1]
    assert one[0] == Decimal("-1234.50") and one[1] == Decimal("-12345678901234567890123456789012.123456")
    assert Decimal(one[2]) == Decimal("0.000314159")
    assert one[3] == dt.date(1969, 7, 20)
    assert one[4] == dt.datetime(2018, 6, 20, 15, 13, 16, 945000) and one[5] == dt.datetime(1900, 1, 1, 0, 0, 0, 1)
    assert one[6].astimezone(UTC) == dt.datetime(2018, 6, 20, 13, 37, 3, 500000, tzinfo=UTC)
    assert one[7] == dt.time(23, 59, 59, 999000) and one[8] == dt.time(0, 0, 0, 1)
    assert bytes(one[9]) == b"\x00\xff\x10ab" and one[10] == "naïve \"quoted\""
    assert json.loads(one[11]) if isinstance(one[11], str) else one[11] == {"a": [1, 2.5, None]}
    assert one[12] is True and one[13] == 0.1
    two = rows[2]
    assert two[0] == Decimal("0.01") and two[1] == 0 and Decimal(two[2]) == -5 and bytes(two[9]) == b"" and two[12] is False
    assert set_aside(target) == []


def test_every_mysql_encoding_arrives_exact(target):
    """DATETIME in ms (fraction 0-3) and us (4-6), TIMESTAMP as a UTC ZonedTimestamp, DECIMAL,
    YEAR, BIGINT UNSIGNED past 2^63 (precise mode: Decimal(20,0))."""
    reset(target)
    enc = my_encoder()
    row = {"id": 7, "name": "Anne", "born": dt.date(2000, 2, 29), "seen": dt.datetime(2018, 6, 20, 6, 37, 3),
           "seen_us": dt.datetime(2018, 6, 20, 6, 37, 3, 654321), "stamp": dt.datetime(2018, 6, 20, 13, 37, 3, tzinfo=UTC),
           "price": Decimal("-0.125"), "y": 2024, "big": 18446744073709551615, "span": dt.timedelta(hours=838, minutes=59, seconds=59)}
    StreamWriter(target).append(values(enc, change("inventory", "customers", "insert", row, "mysql-bin.000003:484")))
    dbt(target, "run", "--quiet")
    got = target.query(f"select id, name, born, seen, seen_us, stamp, price, y, big, span from {target.rel('customers')}")
    assert len(got) == 1
    r = got[0]
    assert r[:5] == (7, "Anne", dt.date(2000, 2, 29), dt.datetime(2018, 6, 20, 6, 37, 3), dt.datetime(2018, 6, 20, 6, 37, 3, 654321))
    assert r[5].astimezone(UTC) == dt.datetime(2018, 6, 20, 13, 37, 3, tzinfo=UTC)
    assert r[6] == Decimal("-0.125") and int(r[7]) == 2024 and int(r[8]) == 18446744073709551615
    assert r[9] == "838:59:59"  # MySQL TIME past 24 hours, as DMS writes it
    assert set_aside(target) == []


def test_the_order_is_the_source_position_not_the_arrival(target):
    """Postgres: a later transaction (a larger previous-commit LSN in source.sequence) wins though
    its change has the smaller LSN and arrives first; MySQL: binlog file, then pos, then row. A
    re-delivery of an older event changes nothing; a delete's tombstone is no change."""
    reset(target)
    pg = pg_encoder()
    w = StreamWriter(target)
    first = values(pg, change("public", "payment", "insert", {**PG_ROW, "note": "first"}, "0/3000", tid=10))
    pg.end_transaction("0/3100")  # transaction 10 committed at 0/3100
    # transaction 11 began before 10 committed: its change's LSN is smaller, its commit later
    second = values(pg, change("public", "payment", "update", {**PG_ROW, "note": "second"}, "0/2F00", tid=11))
    w.append(second)
    w.append(first)
    my = my_encoder()
    base = {"id": 7, "name": "?", "born": None, "seen": None, "seen_us": None, "stamp": None, "price": None, "y": None, "big": None,
            "span": None}
    late = values(my, change("inventory", "customers", "update", {**base, "name": "file 4"}, "mysql-bin.000004:120"))
    early = values(my, change("inventory", "customers", "insert", {**base, "name": "file 3, pos 900"}, "mysql-bin.000003:900"))
    w.append(late + early)
    dbt(target, "run", "--quiet")
    w.append(first + early)  # re-delivered
    dbt(target, "run", "--quiet")
    assert target.query(f"select note from {target.rel('payment')}") == [("second",)]
    assert target.query(f"select name from {target.rel('customers')}") == [("file 4",)]
    # a delete and its tombstone (an empty record, as Debezium Server writes it to Kinesis)
    deleted = values(pg, change("public", "payment", "delete", {"id": 1}, "0/3200", before={**PG_ROW, "note": "second"}, tid=12))
    assert deleted[-1] == b""
    w.append(deleted)
    dbt(target, "run", "--quiet")
    assert target.query(f"select count(*) from {target.rel('payment')}") == [(0,)]
    assert set_aside(target) == []


def test_what_cannot_be_applied_is_set_aside_and_markers_are_no_changes(target):
    """Tombstones and transaction BEGIN/END records are no changes; an event without op, a value
    that does not decode, a time that is not a number and a change without a position are set
    aside, each with a reason that names Debezium's field; the rest of the batch applies."""
    reset(target)
    enc = pg_encoder(schemas=False)  # the project's stream has schemas: a record without them has no op there
    wrapped = pg_encoder()
    good = values(wrapped, change("public", "payment", "insert", PG_ROW, "0/5000"))

    def edited(edit) -> bytes:
        doc = json.loads(good[0])
        edit(doc["payload"])
        return json.dumps(doc).encode()

    bad_decimal = edited(lambda p: p["after"].update({"id": 2, "amount": "@@not base64@@"}))
    bad_time = edited(lambda p: (p["after"].update({"id": 3}), p["source"].update({"ts_ms": "yesterday", "ts_us": None})))
    no_position = edited(lambda p: (p["after"].update({"id": 4}), p["source"].update({"lsn": None})))
    end = {"status": "END", "id": "571:53195829", "ts_ms": 1486500577691, "event_count": 1,
           "data_collections": [{"data_collection": "public.payment", "event_count": 1}]}
    markers = [json.dumps({"schema": {}, "payload": {"status": "BEGIN", "id": "571:53195829", "ts_ms": 1486500577125}}).encode(),
               json.dumps({"schema": {}, "payload": end}).encode()]
    unwrapped = values(enc, change("public", "payment", "insert", {**PG_ROW, "id": 5}, "0/5100"))
    # capture's stand-in for an event over the stream's record limit: op not-sent, its key, its own reason
    huge = values(wrapped, change("public", "payment", "insert", {**PG_ROW, "id": 6, "note": "n" * 1_100_000}, "0/5200"))[0]
    stand_in = not_sent_stand_in(EncodedRecord(huge, "k6", "public.payment", "id=6"), 1024 * 1024)
    assert stand_in is not None and json.loads(stand_in.data)["payload"]["after"]["id"] == 6
    assert json.loads(stand_in.data)["payload"]["not_sent_columns"] == ["note"]
    StreamWriter(target).append([markers[0], *good, b"", bad_decimal, bad_time, no_position, *unwrapped, stand_in.data, markers[1]])
    dbt(target, "run", "--quiet")
    # a value that does not decode is no value to adjust (streamleap_on_misfit: adjust): its record is set aside
    assert sorted(target.query(f"select id, amount from {target.rel('payment')}")) == [(1, Decimal("-1234.50"))]
    assert set_aside(target) == [
        ("column amount: not a Debezium decimal:2 value that fits DECIMAL(12,2)", "insert", "payment"),
        ("not a Debezium change event (no op)", None, None),
        ("not sent: the row's change was over the stream's record size limit, so capture sent this stand-in (its key, its small "
         "values, the size and the columns left out); the mirror row stays as it was (missing, after an insert) until the row's "
         "next change", "not-sent", "payment"),
        ("source.ts_ms is not a number of milliseconds since 1970 (years 1-9999)", "insert", "payment"),
        ("the source position is missing (source.lsn, or source.file and source.pos)", "insert", "payment"),
    ]


def test_values_that_do_not_decode_or_were_not_sent_are_set_aside_whatever_the_column(target):
    """A value Debezium's precise mode writes past 38 digits (into a VARCHAR column, or -10^38 into
    DECIMAL(38,0)), its placeholder for an unchanged TOASTed value (text, bytea, jsonb) and a
    NUMERIC's value that is not JSON set the record aside with a reason naming the column: never
    its raw text in the mirror, never a failed batch. The largest negative DECIMAL(38,0) and
    intervals (microseconds, as hours) apply."""
    reset(target)
    enc = pg_encoder()
    base = {"id": 0, "wide": None, "whole": None, "ratio": None, "span": None, "body": "b", "blob": b"x", "doc": {"k": 1},
            "days": [], "tags": ["a", "b"], "hundreds": None}
    unavailable = "__debezium_unavailable_value"

    def row(**kw):
        return {**base, **kw}

    good = [change("public", "edge", "insert", row(id=1, whole=-(10 ** 38 - 1), span=dt.timedelta(days=1, hours=2, microseconds=5),
                                                   hundreds=Decimal("-12300")), "0/100"),
            change("public", "edge", "insert", row(id=2, span=-dt.timedelta(hours=1), wide=Decimal("-1.50")), "0/110")]
    bad = [change("public", "edge", "insert", row(id=3, wide=WIDE), "0/120"),
           change("public", "edge", "insert", row(id=4, whole=-(10 ** 38)), "0/130"),
           change("public", "edge", "update", row(id=5, body=unavailable), "0/140"),
           change("public", "edge", "update", row(id=6, blob=unavailable.encode()), "0/150"),
           change("public", "edge", "update", row(id=7, doc=unavailable), "0/160"),
           change("public", "edge", "insert", row(id=9, days=[dt.date(2024, 1, 2)]), "0/180")]
    not_json = json.loads(values(enc, change("public", "edge", "insert", row(id=8, ratio=Decimal("1.5")), "0/170"))[0])
    not_json["payload"]["after"]["ratio"] = "{scale: 1, value: AQ==}"
    StreamWriter(target).append(values(enc, *good, *bad) + [json.dumps(not_json).encode()])
    dbt(target, "run", "--quiet")
    got = sorted(target.query(f"select id, wide, whole, span from {target.rel('edge')}"))
    assert [r[0] for r in got] == [1, 2]
    assert int(got[0][2]) == -(10 ** 38 - 1) and got[0][3] == "26:00:00.000005"
    assert target.query(f"select hundreds from {target.rel('edge')} where id = 1") == [(-12300,)]  # NUMERIC(5,-2): 123 hundreds
    assert Decimal(got[1][1]) == Decimal("-1.50") and got[1][3] == "-01:00:00"
    toast = ": Debezium did not send its value (an unchanged TOASTed value: REPLICA IDENTITY FULL on the source table sends it)"
    assert set_aside(target) == sorted([
        ("column wide: not a Debezium decimal:2 value that fits VARCHAR(62)", "insert", "edge"),
        ("column whole: not a Debezium decimal:0 value that fits DECIMAL(38,0)", "insert", "edge"),
        ("column body" + toast, "update", "edge"),
        ("column blob" + toast, "update", "edge"),
        ("column doc" + toast, "update", "edge"),
        ("column ratio: not a Debezium variable_decimal value that fits DECIMAL(38,10)", "insert", "edge"),
        ("column days: an array of values Debezium encodes (array:date), which streamleap does not decode", "insert", "edge"),
    ])
    tags = target.query(f"select tags from {target.rel('edge')} where id = 1")[0][0]
    assert (json.loads(tags) if isinstance(tags, str) else tags) == ["a", "b"]  # an array of text: its JSON


def test_a_planned_cycle_applies_debezium_events_as_dbt_run_does(target, monkeypatch):
    """`streamleap run`'s cycle (cycle.sql; each table's own statements: values are typed once for
    DMS records only) gives the mirror and the set-aside model what a dbt run gives."""
    from streamleap.pipeline.cycle import load_plan, run_cycle, set_up
    from streamleap.pipeline.warehouse import open_warehouse
    from streamleap.project.invoke import DbtSession

    reset(target)
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    dbt(target, "run", "--quiet")
    session = DbtSession(target.project, target.project, "postgres" if target.name == "postgres" else "local")
    plan = load_plan(session)
    assert all(not s.typed_batch for s in plan.streams)
    warehouse = open_warehouse(target.project, "postgres" if target.name == "postgres" else "local")
    con = warehouse.connect()
    try:
        set_up(con, warehouse.kind, plan)
        enc = pg_encoder()
        w = StreamWriter(target)
        w.append(values(enc, change("public", "payment", "insert", PG_ROW, "0/7000"),
                        change("public", "payment", "insert", {**PG_ROW, "id": 2}, "0/7100")) + [b"{oops"])
        enc.end_transaction("0/7200")
        w.append(values(enc, change("public", "payment", "update", {**PG_ROW, "note": "updated"}, "0/7300", tid=8),
                        change("public", "payment", "delete", {"id": 2}, "0/7400", before={**PG_ROW, "id": 2}, tid=8)))
        result = run_cycle(con, warehouse.kind, plan)
        assert "payment" in result.ran and result.commits == 1
    finally:
        con.close()
    assert target.query(f"select id, note, amount from {target.rel('payment')}") == [(1, "updated", Decimal("-1234.50"))]
    assert set_aside(target) == [("not valid JSON", None, None)]


def test_decimal_handling_string_carries_any_number_of_digits(tmp_path):
    """generate --debezium-decimal-handling string (the connector's decimal.handling.mode=string):
    decimals are their text, so the 52 digits precise mode cannot carry arrive exact; generate in
    precise mode names the columns that can pass 38 digits and the setting that carries them."""
    from click.testing import CliRunner

    from streamleap.cli import main
    from streamleap.project.scaffold import init_project

    init_project(tmp_path / "p")
    (tmp_path / "edge.sql").write_text(EDGE_DDL)
    args = ["generate", "--ddl", str(tmp_path / "edge.sql"), "--dialect", "postgres", "--project-dir", str(tmp_path / "p"),
            "--stream", "s", "--format", "debezium"]
    precise = CliRunner().invoke(main, args)
    assert precise.exit_code == 0, precise.output
    assert "1 column(s) can hold more than 38 digits (edge.wide)" in precise.output
    assert "--debezium-decimal-handling string" in precise.output
    assert "1 array column(s) hold values Debezium encodes element by element (edge.days)" in precise.output
    string = CliRunner().invoke(main, [*args, "--debezium-decimal-handling", "string"])
    assert string.exit_code == 0 and "38 digits" not in string.output, string.output
    assert "decimal_handling" in (tmp_path / "p" / "models" / "s" / "s_set_aside.sql").read_text()

    target = parse_once(make_project(tmp_path / "t", EDGE_DDL, "postgres", "local", record_format="debezium",
                                     debezium_decimals="string"))
    enc = DebeziumEncoder(parse_ddl(EDGE_DDL, "postgres"),
                          DebeziumStyle(connector="postgresql", database="shop", decimal_handling="string"))
    row = {"id": 1, "wide": WIDE, "whole": -(10 ** 38 - 1), "ratio": Decimal("0.000314159"), "span": None, "body": None, "blob": None,
           "doc": None, "days": None, "tags": None, "hundreds": None}
    event = values(enc, change("public", "edge", "insert", row, "0/100"))
    assert json.loads(event[0])["payload"]["after"]["wide"] == str(WIDE)
    StreamWriter(target).append(event)
    dbt(target, "run", "--quiet")
    assert set_aside(target) == []
    (wide, whole, ratio), = target.query(f"select wide, whole, ratio from {target.rel('edge')}")
    assert Decimal(wide) == WIDE and int(whole) == -(10 ** 38 - 1) and Decimal(ratio) == Decimal("0.000314159")
