"""Projects as wide as real schemas: many tables of many columns.

The set-aside model checks the values of every mirrored table; read one column per value, a
project past about 1,600 values (35 tables of 50 columns) made a select list Postgres refuses
("target lists can have at most 1664 entries"), and its first build failed.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.harness import STREAM, dbt, make_project

TABLES, COLUMNS = 35, 50
DDL = "\n".join(
    f"create table public.w{t} (id bigint primary key, amt numeric(12,2), day date, "
    + ", ".join(f"c{c} varchar(20)" for c in range(COLUMNS - 3)) + ");"
    for t in range(TABLES))


def record(record_format: str, table: str, values: dict) -> bytes:
    """An insert of values into table, in the format; amt and day as the format writes them
    (Debezium: base64 of the unscaled decimal, days since 1970)."""
    if record_format == "dms":
        doc = {"data": values, "metadata": {"record-type": "data", "operation": "insert", "table-name": table,
                                            "schema-name": "public", "timestamp": "2026-01-01T00:00:00Z"}}
    elif record_format == "debezium":
        doc = {"schema": {}, "payload": {"op": "c", "before": None, "after": values, "ts_ms": 1767225600000,
                                         "source": {"schema": "public", "table": table, "ts_ms": 1767225600000, "lsn": 100,
                                                    "sequence": '[null, "100"]'}}}
    else:
        doc = {"op": "I", "tbl": table, **values}
    return json.dumps(doc).encode()


GOOD = {"dms": {"id": 1, "amt": "-1234.50", "day": "1969-07-20"}, "flat": {"id": 1, "amt": "-1234.50", "day": "1969-07-20"},
        "debezium": {"id": 1, "amt": "/h3G", "day": -165}}


@pytest.mark.parametrize("target_name", ["postgres"])
@pytest.mark.parametrize("record_format", ["dms", "debezium", "flat"])
def test_the_set_aside_model_of_a_wide_project_builds_and_judges_records(target_name, record_format, pg_url, tmp_path, monkeypatch):
    """Every record format: past a select list's worth of values, the set-aside model reads each
    value where it is checked."""
    target = make_project(tmp_path, DDL, "postgres", target_name, pg_url, record_format=record_format,
                          flat={"table_field": "tbl"} if record_format == "flat" else None)
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    stand_in = f'"{target.stream_schema}"."{STREAM}"'
    records = [record(record_format, "w7", {"id": "x1"}), record(record_format, "w0", GOOD[record_format]),
               record(record_format, "w1", {**GOOD[record_format], "amt": "@@" if record_format == "debezium" else "123456789012.5"})]
    for n, data in enumerate(records, 1):
        target.execute(f"insert into {stand_in} values (now(), '1{n}', 'shardId-0', '{n}', now(), %s)", [data])
    dbt(target, "run", "--select", f"stg_{STREAM}", f"{STREAM}_set_aside")
    rows = target.query(f"select table_name, reason from {target.rel(STREAM + '_set_aside')} order by table_name")
    amt = ("w1", "column amt: " + ("not a Debezium decimal:2 value that fits DECIMAL(12,2)" if record_format == "debezium"
                                   else "value does not fit DECIMAL(12,2); adjusted: set to NULL"))
    assert rows == [amt, ("w7", "column id: value does not fit BIGINT")]


WIDE = 830  # one table's columns: each value typed beside its text, a batch would select past 1,664 entries


@pytest.mark.parametrize("path", ["dbt run", "streamleap run"])
def test_a_table_too_wide_to_type_its_values_beside_their_texts_is_mirrored(path, pg_url, tmp_path, monkeypatch):
    """A table of 830 columns on Postgres. A batch holding each value typed beside its text would
    select past Postgres's 1,664 entries (a cycle's checked table: past 1,600 columns). Such a
    table's values are checked and converted where they are used (change_batch.sql,
    _fitting_aliases), by a scheduled `dbt run` and by `streamleap run`'s planned cycle alike."""
    from streamleap.kinesis.local import LocalKinesis
    from streamleap.pipeline.runner import Runner
    from streamleap.records import ChangeRecord

    ddl = "create table public.wide (id bigint primary key, " + ", ".join(f"c{c} varchar(10)" for c in range(WIDE - 1)) + ");"
    target = make_project(tmp_path, ddl, "postgres", "postgres", pg_url)
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)

    def change(n: int, op: str, values: dict) -> bytes:
        return ChangeRecord("public", "wide", op, values, commit_ts=dt.datetime(2026, 1, 1, 0, 0, n),
                            transaction_id=n, transaction_record_id=1).to_bytes()

    first, second = change(1, "insert", {"id": 1, "c0": "a", "c5": "x"}), change(2, "update", {"id": 1, "c0": "a", "c5": "b"})
    if path == "dbt run":
        stand_in = f'"{target.stream_schema}"."{STREAM}"'
        for n, data in enumerate((first, second), 1):
            target.execute(f"insert into {stand_in} values (now(), '1{n}', 'shardId-0', '{n}', now(), %s)", [data])
            dbt(target, "run", "--select", f"stg_{STREAM}", "wide")
    else:
        with LocalKinesis() as kinesis:
            kinesis.create_stream(STREAM, 1)
            client = kinesis.client()
            runner = Runner(target.project, target="postgres", kinesis=client)
            try:
                for data in (first, second):
                    client.put_record(StreamName=STREAM, Data=data, PartitionKey="public.wide.1")
                    report = runner.cycle()  # the first builds the project (a dbt run), the second is a planned cycle
                    assert report.error is None, report.error
                assert report.commits == 1 and "wide" in report.ran, report
            finally:
                runner.close()
    assert target.query(f"select id, c0, c5, c6 from {target.rel('wide')}") == [(1, "a", "b", None)]
