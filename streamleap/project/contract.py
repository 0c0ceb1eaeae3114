"""The tables this library and the dbt package (dbt_package/) share in the warehouse, named once.

The package creates them; this module is the only place the Python side names them, their
columns and their keys, and tests/test_contract.py checks it against what the package's DDL
creates on DuckDB and Postgres:

- the state table (dbt_package/macros/staging/state_table.sql), one per schema: a row per mirror,
  set-aside model and streaming view, keyed by the relation's key; the watermark (refresh_time of
  the last record read), the fingerprint, and what the last run applied;
- the stream stand-in (dbt_package/macros/stream/stream_source.sql) of a local target: the columns
  of Redshift's streaming view, which the relay appends to.

Statements are sqlglot trees rendered in the target's dialect, values DB-API parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlglot import exp

STATE_TABLE = "streamleap_state"
STATE_COLUMNS = ("relation_name", "watermark", "fingerprint", "updated_at", "applied_rows", "newest_commit_ts")
STAND_IN_COLUMNS = ("approximate_arrival_timestamp", "partition_key", "shard_id", "sequence_number", "refresh_time",
                    "kinesis_data")


def relation_key(database: str | None, schema: str | None, identifier: str) -> str:
    """A relation's key in the state table: the package's `_relation_key`, the relation as dbt
    renders it without its quotes (database.schema.identifier)."""
    return ".".join(str(p).replace('"', "") for p in (database, schema, identifier) if p)


def state_table(schema: str) -> exp.Table:
    return exp.table_(STATE_TABLE, db=schema, quoted=True)


_MARK = "\x00"  # no identifier holds it: Postgres refuses NUL in names


def _param() -> exp.Expression:
    return exp.var(_MARK)


def _render(query: exp.Expression, kind: str) -> str:
    """The query in the target's dialect, its parameters in the driver's style: DuckDB's `?`;
    psycopg2's and redshift_connector's `%s`, with any other `%` doubled."""
    sql = query.sql(dialect=kind)
    return sql.replace(_MARK, "?") if kind == "duckdb" else sql.replace("%", "%%").replace(_MARK, "%s")


def state_rows_sql(kind: str, schema: str, columns: Iterable[str], keys: int) -> str:
    """SELECT relation_name and columns of the schema's state rows whose key is one of `keys`
    parameters, the newest last (the table has no unique key: read_state keeps a key's newest row)."""
    for c in columns:
        if c not in STATE_COLUMNS:
            raise ValueError(f"{c} is not a column of {STATE_TABLE}")
    query = (exp.select(exp.column("relation_name"), *(exp.column(c) for c in columns))
             .from_(state_table(schema))
             .where(exp.column("relation_name").isin(*(_param() for _ in range(keys))))
             .order_by(exp.Ordered(this=exp.column("updated_at"), nulls_first=True)))
    return _render(query, kind)


def state_exists_sql(kind: str) -> str:
    """Whether a schema (one parameter) has a state table: a project that never ran has none."""
    query = (exp.select(exp.func("count", exp.Star()))
             .from_(exp.table_("tables", db="information_schema"))
             .where(exp.and_(exp.column("table_schema").eq(_param()),
                             exp.column("table_name").eq(exp.Literal.string(STATE_TABLE)))))
    return _render(query, kind)


def read_state(cur: Any, kind: str, keys_by_schema: dict[str, list[str]], columns: Iterable[str]) -> dict[str, tuple]:
    """The state rows of the keys, per schema, on cursor cur: key -> the columns' values (keys
    without a row, and schemas without a state table, are left out)."""
    columns = tuple(columns)
    out: dict[str, tuple] = {}
    for schema, keys in keys_by_schema.items():
        if not keys:
            continue
        cur.execute(state_exists_sql(kind), [schema])
        if not cur.fetchone()[0]:
            continue
        cur.execute(state_rows_sql(kind, schema, columns, len(keys)), list(keys))
        out.update({row[0]: tuple(row[1:]) for row in cur.fetchall()})
    return out
