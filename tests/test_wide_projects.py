"""Projects as wide as real schemas: many tables of many columns.

The set-aside model checks the values of every mirrored table; read one column per value, a
project past about 1,600 values (35 tables of 50 columns) made a select list Postgres refuses
("target lists can have at most 1664 entries"), and its first build failed.
"""

from __future__ import annotations

import pytest

from tests.harness import STREAM, dbt, make_project

TABLES, COLUMNS = 35, 50
DDL = "\n".join(
    f"create table public.w{t} (id bigint primary key, "
    + ", ".join(f"c{c} varchar(20)" for c in range(COLUMNS - 1)) + ");"
    for t in range(TABLES))


@pytest.mark.parametrize("target_name", ["postgres"])
def test_the_set_aside_model_of_a_wide_project_builds_and_judges_records(target_name, pg_url, tmp_path, monkeypatch):
    target = make_project(tmp_path, DDL, "postgres", target_name, pg_url)
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    stand_in = f'"{target.stream_schema}"."{STREAM}"'
    bad = b'{"data": {"id": "x1"}, "metadata": {"record-type": "data", "operation": "insert", "table-name": "w7", ' \
          b'"schema-name": "public", "timestamp": "2026-01-01T00:00:00Z"}}'
    target.execute(f"insert into {stand_in} values (now(), 'pk', 'shardId-0', '1', now(), %s)", [bad])
    dbt(target, "run", "--select", f"stg_{STREAM}", f"{STREAM}_set_aside")
    rows = target.query(f"select table_name, reason from {target.rel(STREAM + '_set_aside')}")
    assert rows == [("w7", "column id: value does not fit BIGINT")]
