"""The flat format (generate --format flat): a row's columns and an op of I/U/D, the order from the
partition key (the seed's shape) or a field, the table from a field or the stream's one table; an
unknown op, an order that is not a number and a record without the op field are set aside with a
reason naming the field, on DuckDB and Postgres."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.harness import STREAM, dbt, make_project, parse_once, reset

pytestmark = pytest.mark.dbt

DDL = "CREATE TABLE public.visit (id bigint PRIMARY KEY, page varchar(40), amount numeric(10,2));"
MORE = "CREATE TABLE public.click (id bigint PRIMARY KEY, x int);"


def put(target, records: list[tuple[str, dict | bytes]]) -> None:
    """(partition key, record) appended to the stand-in, one refresh_time."""
    when = dt.datetime(2030, 1, 1) + dt.timedelta(seconds=len(target.query(f'select 1 from "{target.stream_schema}"."{STREAM}"')))
    mark = "?" if target.name == "local" else "%s"
    con = target.connect()
    try:
        cur = con.cursor()
        for n, (key, rec) in enumerate(records):
            raw = rec if isinstance(rec, bytes) else json.dumps(rec).encode()
            if target.name == "postgres":
                import psycopg2

                raw = psycopg2.Binary(raw)
            cur.execute(f'insert into "{target.stream_schema}"."{STREAM}" values ({", ".join([mark] * 6)})',
                        [when, key, "shardId-000000000000", str(10**20 + n + 1000 * when.second), when, raw])
        if target.name == "local":
            con.commit()
    finally:
        con.close()


@pytest.fixture(scope="module", params=["local", "postgres"])
def seed_shape(request, tmp_path_factory):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return parse_once(make_project(tmp_path_factory.mktemp(request.param), DDL, "postgres", request.param, pg_url, record_format="flat"))


def test_the_seeds_shape_orders_by_the_partition_key(seed_shape):
    """op I/U/D, the sequence number in the partition key: the later change wins whatever the arrival;
    a delete removes the row; what cannot be applied is set aside."""
    t = seed_shape
    reset(t)
    put(t, [("3", {"op": "U", "id": 1, "page": "third", "amount": "3.00"}),
            ("1", {"op": "I", "id": 1, "page": "first", "amount": "1.00"}),
            ("2", {"op": "u", "id": 1, "page": "second", "amount": "2.00"}),
            ("4", {"op": "I", "id": 2, "page": "gone", "amount": "9.99"}),
            ("5", {"op": "D", "id": 2}),
            ("6", {"op": "X", "id": 3}),
            ("abc", {"op": "I", "id": 4}),
            ("7", {"id": 5, "page": "no op"})])
    dbt(t, "run", "--quiet")
    assert t.query(f"select id, page from {t.rel('visit')} order by id") == [(1, "third")]
    reasons = sorted(r[0] for r in t.query(f"select reason from {t.rel('shop_cdc_set_aside')}"))
    assert reasons == ["not a change record (no op field)", "the partition key is not a whole number of at most 39 digits",
                       "unknown op X (I, U or D)"]


def test_a_table_field_carries_many_tables_and_a_generate_without_it_refuses_two(tmp_path):
    from streamleap.errors import StreamleapError

    t = parse_once(make_project(tmp_path / "fields", DDL, "postgres", "local", more=[(MORE, "postgres")], record_format="flat",
                                flat={"op_field": "__op", "order_field": "__lsn", "table_field": "__table",
                                      "schema_field": "__schema", "time_field": "__ts"}))
    put(t, [("k", {"__op": "I", "__lsn": 10, "__table": "visit", "__schema": "public", "__ts": 1714564800123, "id": 1, "page": "a"}),
            ("k", {"__op": "I", "__lsn": 11, "__table": "click", "__schema": "public", "__ts": "2024-05-01 12:00:01", "id": 1, "x": 5}),
            ("k", {"__op": "U", "__lsn": 9, "__table": "visit", "__schema": "public", "__ts": 1714564800000, "id": 1, "page": "old"})])
    dbt(t, "run", "--quiet")
    assert t.query(f"select id, page, _streamleap_commit_ts from {t.rel('visit')}") == [(1, "a", dt.datetime(2024, 5, 1, 12, 0, 0, 123000))]
    assert t.query(f"select id, x from {t.rel('click')}") == [(1, 5)]
    # a table field without a schema field: the tables' one schema is the format's
    one = parse_once(make_project(tmp_path / "no_schema_field", DDL, "postgres", "local", more=[(MORE, "postgres")], record_format="flat",
                                  flat={"order_field": "seq", "table_field": "t"}))
    put(one, [("k", {"op": "I", "seq": 1, "t": "click", "id": 3, "x": 1})])
    dbt(one, "run", "--quiet")
    assert one.query(f"select id, x from {one.rel('click')}") == [(3, 1)]
    with pytest.raises(StreamleapError, match="carries one table, not 2"):
        make_project(tmp_path / "two", DDL, "postgres", "local", more=[(MORE, "postgres")], record_format="flat")
