"""`streamleap capture` with partitioned tables, inheritance, generated columns, named keys and
excluded columns, end to end: a real source -> capture (--once, in-process) -> the local Kinesis
-> the runner -> DuckDB and Postgres mirrors, compared with the source row for row."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.sources.introspect import read_source
from streamleap.kinesis.local import LocalKinesis
from streamleap.model.mirror_plan import parse_column_exclusions, plan_source
from streamleap.project.scaffold import generate_models
from tests.test_capture_e2e import catch_up, logical_pg_url, make_targets  # noqa: F401 - a fixture

pytestmark = [pytest.mark.dbt]

CLI_ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], env=CLI_ENV)


def one_error_line(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def read_stream(client, stream: str) -> list[dict]:
    out = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = client.get_records(ShardIterator=it, Limit=10_000)
            out += [json.loads(r["Data"]) for r in page["Records"]]
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return out


@pytest.fixture(scope="module")
def kinesis():
    with LocalKinesis() as local:
        yield local


def _norm(value):
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def table_rows(connect, sql: str) -> set[tuple]:
    con = connect()
    try:
        cur = con.cursor()
        cur.execute(sql)
        return {tuple(_norm(v) for v in row) for row in cur.fetchall()}
    finally:
        con.close()


def mirror_columns(target, table: str) -> list[str]:
    mark = "?" if target.name == "local" else "%s"
    return [r[0] for r in target.query(
        f"select column_name from information_schema.columns where table_schema = {mark} and table_name = {mark} "
        "order by ordinal_position", [target.schema, table])]


# ---------------------------------------------------------------- PostgreSQL
PG_SCHEMA = """
create schema {s};
-- range partitions, one of them sub-partitioned by list, and a default
create table {s}.ev (id int, day date, note text, primary key (id, day)) partition by range (day);
create table {s}.ev_2024 partition of {s}.ev for values from ('2024-01-01') to ('2025-01-01') partition by list (id);
create table {s}.ev_2024_low partition of {s}.ev_2024 for values in (1, 2, 3, 4, 5);
create table {s}.ev_2024_rest partition of {s}.ev_2024 default;
create table {s}.ev_2025 partition of {s}.ev for values from ('2025-01-01') to ('2026-01-01');
create table {s}.ev_other partition of {s}.ev default;
-- list partitions
create table {s}.sales (id int, region text, amount numeric(10,2), primary key (id, region)) partition by list (region);
create table {s}.sales_eu partition of {s}.sales for values in ('eu');
create table {s}.sales_us partition of {s}.sales for values in ('us', 'ca');
-- inheritance: the child's rows are its own
create table {s}.animal (id int primary key, name text);
create table {s}.dog (breed text) inherits ({s}.animal);
alter table {s}.dog add primary key (id);
-- a generated column, left out of the mirror; a PII column excluded; a table keyed by --key
create table {s}.line (id int primary key, qty int, price numeric(8,2),
                       total numeric(12,2) generated always as (qty * price) stored,
                       email text);
create table {s}.nokey (code text not null, n int);
alter table {s}.nokey replica identity full;
"""

PG_TABLES = ["ev", "sales", "animal", "dog", "line", "nokey"]


def pg(url: str, *statements: str) -> None:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            for s in statements:
                cur.execute(s)
        con.commit()
    finally:
        con.close()


@pytest.mark.postgres
def test_postgres_partitions_inheritance_generated_and_keys_end_to_end(logical_pg_url, pg_url, tmp_path, monkeypatch):  # noqa: F811 - logical_pg_url: the fixture imported above
    import psycopg2

    url = logical_pg_url
    s = f"parts_{uuid.uuid4().hex[:6]}"
    pg(url, PG_SCHEMA.format(s=s),
       f"insert into {s}.ev values (1, '2024-02-01', 'a'), (2, '2024-03-01', 'b'), (9, '2024-04-01', 'c'), "
       f"(4, '2025-05-01', 'd'), (5, '2019-01-01', 'old')",
       f"insert into {s}.sales values (1, 'eu', 10.50), (2, 'us', 20), (3, 'ca', 30)",
       f"insert into {s}.animal values (1, 'generic')",
       f"insert into {s}.dog values (1, 'rex', 'lab'), (2, 'fido', 'pug')",
       f"insert into {s}.line (id, qty, price, email) values (1, 2, 3.50, 'a@example.com'), (2, 1, 9.99, 'b@example.com')",
       f"insert into {s}.nokey values ('x', 1), ('y', 2)")
    names = [f"{s}.{t}" for t in PG_TABLES]
    _, tables = read_source(url, names)
    ev = next(t for t in tables if t.name == "ev")
    assert ev.partitioned and [n for _, n in ev.partitions] == ["ev_2024", "ev_2024_low", "ev_2024_rest", "ev_2025",
                                                                 "ev_other"]
    plan = plan_source(tables, {"nokey": ("code",)}, parse_column_exclusions("line.email"))
    assert not plan.refused
    stream = f"parts_{uuid.uuid4().hex[:6]}"
    targets = make_targets(tmp_path, pg_url)
    for target in targets:
        generate_models(target.project, plan.tables, stream, target.stream_schema)

    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        # the capture takes tables, keys and columns from the generated project
        args = ["capture", "--source-url", url, "--stream", stream, "--project-dir", targets[0].project,
                "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", tmp_path / "state", "--once", "--json"]
        first = cli(*args)
        assert first.exit_code == 0, first.output + first.stderr
        assert json.loads(first.stdout.splitlines()[-1])["snapshot_rows"] == 5 + 3 + 1 + 2 + 2 + 2  # parent ONLY

        pg(url,
           f"update {s}.ev set day = '2025-06-01', note = 'a moved' where id = 1",  # ev_2024_low -> ev_2025
           f"update {s}.ev set id = 3 where id = 9",  # ev_2024_rest -> ev_2024_low (sub-partition key)
           f"update {s}.ev set note = 'd2' where id = 4",
           f"update {s}.ev set day = '2030-01-01' where id = 5",  # ev_other stays, key changes
           f"insert into {s}.ev values (6, '2024-12-31', 'new')",
           f"delete from {s}.ev where id = 2",
           f"update {s}.sales set region = 'eu' where id = 2",  # sales_us -> sales_eu
           f"update {s}.sales set amount = 31 where id = 3",
           f"delete from {s}.sales where id = 1",
           f"update {s}.animal set name = 'any' where id = 1",
           f"update {s}.dog set name = 'rex2' where id = 1",
           f"insert into {s}.dog values (3, 'bo', 'mutt')",
           f"update {s}.line set qty = 5 where id = 1",
           f"update {s}.nokey set n = 10 where code = 'x'",
           f"delete from {s}.nokey where code = 'y'",
           f"insert into {s}.nokey values ('z', 3)")
        second = cli(*args)
        assert second.exit_code == 0, second.output + second.stderr

        records = read_stream(kinesis.client(), stream)
        # every record is under a captured table's own name (partitions publish via their root)
        assert {r["metadata"]["table-name"] for r in records} == set(PG_TABLES)
        # the generated column and the excluded column never left the source
        for r in records:
            for part in ("data", "before-image"):
                assert not {"total", "email"} & set(r.get(part) or {}), r
        # the partition-key update: a delete and an insert under the root, in one transaction
        # (the two records have different partition keys, so they may sit on different shards)
        moved = sorted((r["metadata"]["transaction-record-id"], r["metadata"]["transaction-id"],
                        r["metadata"]["operation"], r["data"]["day"]) for r in records
                       if r["metadata"]["table-name"] == "ev" and r["data"]["id"] == 1
                       and r["metadata"]["operation"] != "load")
        assert [(op, day) for _, _, op, day in moved] == [("delete", "2024-02-01"), ("insert", "2025-06-01")]
        assert moved[0][1] == moved[1][1] and moved[1][0] == moved[0][0] + 1  # one transaction, in this order

        for target in targets:
            catch_up(target, kinesis, monkeypatch)
            for table, columns in (("ev", "id, day, note"), ("sales", "id, region, amount"), ("animal", "id, name"),
                                   ("dog", "id, name, breed"), ("line", "id, qty, price"), ("nokey", "code, n")):
                # ONLY: the parent's own rows (FROM ONLY a partitioned table reads nothing)
                source_sql = f"select {columns} from {'' if table in ('ev', 'sales') else 'only '}{s}.{table}"
                want = table_rows(lambda: psycopg2.connect(url), source_sql)
                got = {tuple(_norm(v) for v in row) for row in target.query(
                    f"select {columns} from {target.rel(table)}")}
                assert got == want, f"{target.name} mirror of {table}"
            assert "total" not in mirror_columns(target, "line") and "email" not in mirror_columns(target, "line")
        assert len(table_rows(lambda: psycopg2.connect(url), f"select * from only {s}.animal")) == 1


@pytest.mark.postgres
def test_postgres_capture_options_and_their_errors(logical_pg_url, kinesis, tmp_path):  # noqa: F811 - logical_pg_url: the fixture imported above
    url = logical_pg_url
    s = f"opts_{uuid.uuid4().hex[:6]}"
    pg(url, PG_SCHEMA.format(s=s), f"insert into {s}.line (id, qty, price, email) values (1, 2, 3.50, 'a@example.com')",
       f"insert into {s}.nokey values ('x', 1)", f"insert into {s}.sales values (1, 'eu', 1)",
       f"create table {s}.audit_log (id int primary key)", f"create table {s}.bare (a int)")
    stream = f"opts_{uuid.uuid4().hex[:6]}"
    kinesis.create_stream(stream, 1)
    base = ["--source-url", f"{url}?schema={s}", "--stream", stream, "--kinesis-endpoint", kinesis.endpoint_url,
            "--state-dir", tmp_path, "--once"]

    # a partition is not a table: name the root
    line = one_error_line(cli("capture", *base, "--tables", f"{s}.ev_2025"))
    assert f"is a partition of {s}.ev" in line and f"name the partitioned table {s}.ev" in line
    # every table without a key, in one line, with the fix
    line = one_error_line(cli("capture", *base, "--exclude-tables", "audit_*"))
    assert "cannot be mirrored" in line and f"{s}.nokey" in line and f"{s}.bare" in line and "--key" in line
    # a named key on a table whose updates Postgres would not log
    pg(url, f"alter table {s}.nokey replica identity default")
    line = one_error_line(cli("capture", *base, "--tables", f"{s}.nokey", "--key", "nokey=code"))
    assert "REPLICA IDENTITY FULL" in line and f'"{s}"."nokey"' in line
    pg(url, f"alter table {s}.nokey replica identity full")
    # --project-dir decides on its own
    line = one_error_line(cli("capture", *base, "--project-dir", tmp_path, "--tables", "line"))
    assert "--project-dir" in line and "--tables" in line

    ok = cli("capture", *base, "--tables", f"{s}.line,{s}.nokey,{s}.sales", "--key", "nokey=code",
             "--exclude-columns", "line.email,line.price", "--json")
    assert ok.exit_code == 0, ok.output + ok.stderr
    records = read_stream(kinesis.client(), stream)
    by_table = {r["metadata"]["table-name"]: r for r in records}
    assert by_table["line"]["data"] == {"id": 1, "qty": 2}  # generated, excluded columns: never sent
    assert by_table["nokey"]["data"] == {"code": "x", "n": 1}
    assert by_table["sales"]["data"] == {"id": 1, "region": "eu", "amount": "1.00"}


# ---------------------------------------------------------------- MariaDB
@pytest.mark.mariadb
def test_mariadb_partitioned_table_and_generated_columns_end_to_end(mysql_url, pg_url, tmp_path, monkeypatch):
    import pymysql

    from streamleap.sources.connection import parse_source_url

    parts = parse_source_url(mysql_url)
    db = f"parts_{uuid.uuid4().hex[:6]}"

    def connect():
        return pymysql.connect(host=parts.host, port=parts.port, user=parts.user, password=parts.password or "",
                               database=db, autocommit=True)

    boot = pymysql.connect(host=parts.host, port=parts.port, user=parts.user, password=parts.password or "",
                           autocommit=True)
    with boot.cursor() as cur:
        cur.execute(f"create database {db}")
    boot.close()
    con = connect()
    with con.cursor() as cur:
        cur.execute("create table ev (id int, day date, note varchar(20), primary key (id, day)) "
                    "partition by range (year(day)) (partition p2024 values less than (2025), "
                    "partition p2025 values less than (2026), partition pmax values less than maxvalue)")
        cur.execute("create table line (id int primary key, qty int, price decimal(8,2), "
                    "total decimal(12,2) as (qty * price) stored, twice int as (qty * 2) virtual)")
        cur.execute("insert into ev values (1, '2024-02-01', 'a'), (2, '2024-03-01', 'b'), (3, '2025-01-01', 'c')")
        cur.execute("insert into line (id, qty, price) values (1, 2, 3.50), (2, 1, 9.99)")
    con.close()
    url = mysql_url.rstrip("/") + "/" + db
    _, tables = read_source(url, ["ev", "line"])
    assert not tables[0].partitioned and not tables[0].partitions  # a MySQL partitioned table is one table already
    assert [(c.name, c.generated) for c in tables[1].columns] == [
        ("id", None), ("qty", None), ("price", None), ("total", "stored"), ("twice", "virtual")]
    plan = plan_source(tables)
    stream = f"myparts_{uuid.uuid4().hex[:6]}"
    targets = make_targets(tmp_path, pg_url)[:1]  # DuckDB
    generate_models(targets[0].project, plan.tables, stream, targets[0].stream_schema)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        args = ["capture", "--source-url", url, "--stream", stream, "--project-dir", targets[0].project,
                "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", tmp_path / "state", "--once"]
        assert (first := cli(*args)).exit_code == 0, first.output + first.stderr
        con = connect()
        with con.cursor() as cur:
            cur.execute("update ev set day = '2025-06-01', note = 'moved' where id = 1")  # p2024 -> p2025
            cur.execute("update ev set note = 'c2' where id = 3")
            cur.execute("delete from ev where id = 2")
            cur.execute("insert into ev values (4, '2031-01-01', 'far')")
            cur.execute("update line set qty = 7 where id = 1")
            cur.execute("insert into line (id, qty, price) values (3, 4, 0.25)")
        con.close()
        assert (second := cli(*args)).exit_code == 0, second.output + second.stderr
        records = read_stream(kinesis.client(), stream)
        line_records = [r for r in records if r["metadata"]["table-name"] == "line"]
        # the stored generated column is carried (the binlog's full row image has it); the virtual one is not sent
        assert all("total" in r["data"] and "twice" not in r["data"] for r in line_records)
        assert {r["data"]["id"]: r["data"]["total"] for r in line_records if r["metadata"]["operation"] != "load"} == {
            1: "24.50", 3: "1.00"}
        catch_up(targets[0], kinesis, monkeypatch)
        for table, columns in (("ev", "id, day, note"), ("line", "id, qty, price, total")):
            want = table_rows(connect, f"select {columns} from {table}")
            got = {tuple(_norm(v) for v in row) for row in targets[0].query(f"select {columns} from {targets[0].rel(table)}")}
            assert got == want, table
        assert "twice" not in mirror_columns(targets[0], "line")
    boot = connect()
    with boot.cursor() as cur:
        cur.execute(f"drop database {db}")
    boot.close()
