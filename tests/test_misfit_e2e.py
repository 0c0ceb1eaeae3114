"""Values that do not fit, end to end from a real source: a row committed on PostgreSQL or MariaDB
with a 100 KB text, a 20-decimal numeric, zero dates or infinities goes through `streamleap
capture` (snapshot and replication log), the local Kinesis and the runner into a DuckDB mirror.
The mirror row is applied with each value made to fit as the misfit policy says (never older than
the source row), and every adjusted value has its set-aside row."""

from __future__ import annotations

import decimal
import json
import uuid

import pytest

from streamleap.sources.introspect import read_source
from streamleap.kinesis.local import LocalKinesis
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import StreamModels, generate_models
from tests.test_capture_e2e import catch_up, logical_pg_url, make_targets  # noqa: F401 - a fixture
from tests.test_capture_parts import cli

pytestmark = [pytest.mark.dbt]

BIG = "é" * 20_000 + "x" + "日本" * 20_000  # 160,001 bytes, multibyte around the 65,535-byte cut


def utf8_prefix(text: str, limit: int) -> str:
    """The longest prefix of text whose UTF-8 form fits limit bytes."""
    out = text.encode("utf-8")[:limit]
    return out.decode("utf-8", errors="ignore")


def capture_once(url: str, stream: str, kinesis: LocalKinesis, tmp_path, tables: str) -> None:
    result = cli("capture", "--source-url", url, "--stream", stream, "--tables", tables,
                 "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", tmp_path / "state", "--once", "--json")
    assert result.exit_code == 0, result.output + result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["done"]


def adjusted_rows(target, stream: str) -> list[tuple]:
    aside = StreamModels(stream, target.stream_schema).set_aside
    return sorted(target.query(f"select operation, column_name, reason from {target.rel(aside)} where adjusted"))


def not_applied(target, stream: str) -> list[tuple]:
    aside = StreamModels(stream, target.stream_schema).set_aside
    return target.query(f"select reason from {target.rel(aside)} where not adjusted")


@pytest.mark.postgres
def test_postgres_values_that_do_not_fit_are_adjusted_end_to_end(logical_pg_url, pg_url, tmp_path, monkeypatch):  # noqa: F811 - logical_pg_url: the fixture imported above
    import psycopg2

    url = logical_pg_url
    s = f"fit_{uuid.uuid4().hex[:6]}"
    con = psycopg2.connect(url)
    con.autocommit = True
    cur = con.cursor()
    cur.execute(f"create schema {s}; create table {s}.odd (id int primary key, body text, amount numeric, "
                f"at timestamptz, day date, note text)")
    amount = decimal.Decimal("12345.12345678901234567890")  # 20 decimals; the mirror holds 10
    cur.execute(f"insert into {s}.odd values (1, %s, %s, 'infinity', '-infinity', 'v1')", [BIG, amount])
    _, tables = read_source(url, [f"{s}.odd"])
    stream = f"fit_{uuid.uuid4().hex[:6]}"
    target = make_targets(tmp_path, pg_url)[0]  # the local DuckDB target
    generate_models(target.project, plan_tables(tables), stream, target.stream_schema)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        capture_once(url, stream, kinesis, tmp_path, f"{s}.odd")  # the snapshot (load records)
        # through the WAL: an update changing a later column and keeping the oversized ones; a new row
        cur.execute(f"update {s}.odd set note = 'v2', at = '2024-05-06 07:08:09+00' where id = 1")
        cur.execute(f"insert into {s}.odd values (2, 'short', 1e30, '-infinity', '2024-02-29', 'n2')")
        capture_once(url, stream, kinesis, tmp_path, f"{s}.odd")
        catch_up(target, kinesis, monkeypatch)

    rows = {r[0]: r[1:] for r in target.query(f"select id, body, amount, \"at\", \"day\", note from {target.rel('odd')}")}
    body, got_amount, at, day, note = rows[1]
    # never older than the source: the update's other columns are applied
    assert note == "v2" and at is not None and at.replace(tzinfo=None).isoformat() == "2024-05-06T07:08:09"
    assert body == utf8_prefix(BIG, 65535) and len(body.encode("utf-8")) > 65535 - 4
    assert got_amount == amount.quantize(decimal.Decimal("1e-10"), rounding=decimal.ROUND_HALF_UP)
    assert day is None  # -infinity: NULL
    assert rows[2][0] == "short" and rows[2][1] is None and rows[2][2] is None  # 1e30 has 31 integer digits: NULL
    assert rows[2][3].isoformat() == "2024-02-29" and rows[2][4] == "n2"

    adjusted = adjusted_rows(target, stream)
    columns = [(op, col) for op, col, _ in adjusted]
    # every adjusted value of every applied change, snapshot and WAL alike
    assert columns == sorted([("load", "body"), ("load", "amount"), ("load", "at"), ("load", "day"),
                              ("update", "body"), ("update", "amount"), ("update", "day"),
                              ("insert", "amount"), ("insert", "at")])
    reasons = {(op, col): reason for op, col, reason in adjusted}
    assert "cut to 65535 bytes" in reasons[("load", "body")] or "cut to" in reasons[("load", "body")]
    assert "rounded" in reasons[("load", "amount")] and "NULL" in reasons[("insert", "amount")]
    assert not_applied(target, stream) == []
    con.close()


@pytest.mark.mariadb
def test_mariadb_zero_dates_and_long_text_are_adjusted_end_to_end(mysql_url, pg_url, tmp_path, monkeypatch):
    import pymysql

    from streamleap.sources.connection import parse_source_url

    parts = parse_source_url(mysql_url)
    db = f"fit_{uuid.uuid4().hex[:6]}"

    def connect(database=None):
        return pymysql.connect(host=parts.host, port=parts.port, user=parts.user, password=parts.password or "",
                               database=database, autocommit=True, charset="utf8mb4")

    admin = connect()
    admin.cursor().execute(f"create database {db}")
    admin.close()
    con = connect(db)
    cur = con.cursor()
    cur.execute("set session sql_mode = ''")  # zero dates allowed, as in many old production databases
    cur.execute("create table odd (id int primary key, body longtext, at datetime, day date, note varchar(10)) "
                "character set utf8mb4")
    cur.execute("insert into odd values (1, %s, '0000-00-00 00:00:00', '2024-00-00', 'v1')", [BIG])
    source_url = f"{mysql_url.rsplit('/', 1)[0]}/{db}"
    _, tables = read_source(source_url, ["odd"])
    stream = f"fit_{uuid.uuid4().hex[:6]}"
    target = make_targets(tmp_path, pg_url)[0]
    generate_models(target.project, plan_tables(tables), stream, target.stream_schema)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        capture_once(source_url, stream, kinesis, tmp_path, "odd")
        cur.execute("update odd set note = 'v2' where id = 1")  # the binlog row still holds the zero dates
        cur.execute("insert into odd values (2, 'ok', '0000-00-00 00:00:00', '0000-00-00', 'n2')")
        capture_once(source_url, stream, kinesis, tmp_path, "odd")
        catch_up(target, kinesis, monkeypatch)
    con.close()

    rows = {r[0]: r[1:] for r in target.query(f"select id, body, \"at\", \"day\", note from {target.rel('odd')}")}
    assert rows[1] == (utf8_prefix(BIG, 65535), None, None, "v2")
    assert rows[2] == ("ok", None, None, "n2")
    columns = [(op, col) for op, col, _ in adjusted_rows(target, stream)]
    # one rule whatever the path: the snapshot's zero dates and the binlog's are adjusted alike
    assert columns == sorted([("load", "body"), ("load", "at"), ("load", "day"),
                              ("update", "body"), ("update", "at"), ("update", "day"),
                              ("insert", "at"), ("insert", "day")])
    assert not_applied(target, stream) == []
