"""Which models a `streamleap run` cycle must run on a local target: a cycle costs what changed.

A mirror must run when the staging view holds a record of its source table (or of one of its
partitions) past its watermark; the set-aside model of a stream when the stream holds any record
past its watermark (records of tables nothing mirrors, and records that are not JSON, concern it
only). Per stream ONE query reads, of the records past the lowest of those watermarks, only the
schema-name and table-name (`refresh_time > ?` first: the stand-in's index on Postgres, DuckDB's
zone maps on an append-only table), grouped, with the newest refresh_time of each.

The runner also remembers, per stream, the newest refresh_time it has already examined in a
cycle that succeeded (`seen`): a mirror whose table rarely changes keeps an old watermark, and
without that floor every cycle would read again everything since. Below `seen` every record
was examined and each model it concerned ran (and moved its watermark past it), so no record
at or below it can concern a skipped model. The relay assigns refresh_time under a lock so that
it only grows (relay.py), the same assumption every mirror's `refresh_time > watermark` makes.
A watermark that moved back since the last selection (set back by hand, to apply again) voids
the floor for its stream.

A model that has no state row, whose relation is missing, or whose stream the runner cannot
tell, always runs (a state row without a watermark reads from the beginning, as the model does); so does the staging view when its relation is missing. Everything runs
(`models is None`) when there is no state table yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from streamleap.runner import ModelRef, ProjectModels, state_table
from streamleap.warehouse import Warehouse

# the record's metadata.schema-name and metadata.table-name as text, read the way the mirrors'
# source_table_filter reads them (json_access.sql's json_text over the staging view's payload)
NAME_TEXTS = {
    "duckdb": ("json_extract_string(payload, '/metadata/schema-name')", "json_extract_string(payload, '/metadata/table-name')"),
    "postgres": ("payload -> 'metadata' ->> 'schema-name'", "payload -> 'metadata' ->> 'table-name'"),
}


# a state row without a watermark: the model read nothing yet, and reads from the beginning
# (change_batch.sql's watermark_sql coalesces to the same time)
EPOCH = dt.datetime(1900, 1, 1)


@dataclass(frozen=True)
class CycleSelection:
    models: tuple[str, ...] | None  # model names to run; None: every model; (): none (the cycle is idle)
    seen: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)  # newest refresh_time examined, per stream
    marks: dict[str, dt.datetime | None] = field(default_factory=dict)  # the watermarks it read, by state key


def select_models(warehouse: Warehouse, models: ProjectModels, seen: dict[tuple[str, str], dt.datetime] | None = None,
                  con: Any = None, marks: dict[str, dt.datetime | None] | None = None) -> CycleSelection:
    """The models this cycle must run (see the module docstring), with one query per stream; on con
    when given (kept open: the runner keeps one for its life), else on a connection of its own.
    seen and marks are what the last selection returned, after a cycle that succeeded."""
    seen, marks = seen or {}, marks or {}
    refs = {**models.mirrors, **models.set_asides}
    own = con is None
    con = warehouse.connect() if own else con
    try:
        cur = con.cursor()
        existing = _existing_relations(cur, warehouse, {r.schema for r in [*refs.values(), *models.stagings.values()]})
        watermarks = _watermarks(cur, warehouse, list(refs.values()), existing)
        if watermarks is None:
            return CycleSelection(None)  # nothing ever ran here
        chosen: set[str] = set()
        staging_by_stream: dict[tuple[str, str], ModelRef] = {}
        for name, ref in models.stagings.items():
            if not _exists(existing, warehouse, ref):
                chosen.add(name)  # its first build (or a dropped view): the mirrors cannot read before it
            elif ref.stream is not None:
                staging_by_stream[ref.stream] = ref
        by_stream: dict[tuple[str, str], dict[str, ModelRef]] = {}
        for name, ref in refs.items():
            if ref.stream is None or ref.stream not in staging_by_stream or ref.key not in watermarks \
                    or not _exists(existing, warehouse, ref):
                chosen.add(name)
            else:
                by_stream.setdefault(ref.stream, {})[name] = ref
        new_seen: dict[tuple[str, str], dt.datetime] = {}
        for stream, members in sorted(by_stream.items()):
            lowest = min(watermarks[r.key] or EPOCH for r in members.values())
            # a watermark moved back (by hand, to apply again) voids what was examined above it
            moved_back = any((watermarks[r.key] or EPOCH) < (marks.get(r.key) or EPOCH) for r in members.values())
            floor = max(lowest, seen[stream]) if stream in seen and not moved_back else lowest
            newest = _new_records(cur, warehouse, staging_by_stream[stream].relation, floor)
            new_seen[stream] = max([floor, *newest.values()])
            for name, ref in members.items():
                mark = watermarks[ref.key] or EPOCH
                if name in models.set_asides:
                    concerned = newest.values()  # every record: unknown tables, not JSON, ...
                else:
                    names = {(ref.source_schema, ref.table), *ref.partitions}
                    concerned = [t for (schema, table), t in newest.items() if (schema, table) in names]
                if any(t > mark for t in concerned):
                    chosen.add(name)
        return CycleSelection(tuple(sorted(chosen)), new_seen, watermarks)
    finally:
        if own:
            con.close()
        elif warehouse.kind != "duckdb":
            con.rollback()  # ends the read's transaction: a kept connection is never idle in one


def new_records_sql(warehouse: Warehouse, staging: str) -> str:
    """The query of one stream's new records, grouped by (schema-name, table-name); its one
    parameter is the floor. staging is the streaming view's relation as dbt renders it."""
    schema_text, table_text = NAME_TEXTS[warehouse.kind]
    return (f"select {schema_text}, {table_text}, max(refresh_time) from {staging} "
            f"where refresh_time > {warehouse.placeholder} group by 1, 2")


def _new_records(cur: Any, warehouse: Warehouse, staging: str, floor: dt.datetime) -> dict[tuple[Any, Any], dt.datetime]:
    """(schema-name, table-name) -> newest refresh_time, of the records past floor (NULLs: not JSON)."""
    cur.execute(new_records_sql(warehouse, staging), [floor])
    return {(schema, table): newest for schema, table, newest in cur.fetchall()}


def _watermarks(cur: Any, warehouse: Warehouse, refs: list[ModelRef],
                existing: set[tuple[str, str]]) -> dict[str, dt.datetime | None] | None:
    """Each model's watermark by state key (absent: no row); None when no schema has a state table."""
    out: dict[str, dt.datetime | None] = {}
    found = False
    for schema in sorted({ref.schema for ref in refs}):
        if (_fold(warehouse, schema), _fold(warehouse, "streamleap_state")) not in existing:
            continue
        found = True
        keys = [ref.key for ref in refs if ref.schema == schema]
        marks = ", ".join([warehouse.placeholder] * len(keys))
        cur.execute(f"select relation_name, max(watermark) from {state_table(warehouse, schema)} "
                    f"where relation_name in ({marks}) group by relation_name", keys)
        out.update({key: mark for key, mark in cur.fetchall()})
    return out if found else None


def _existing_relations(cur: Any, warehouse: Warehouse, schemas: set[str]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for schema in sorted(schemas):
        cur.execute(f"select table_schema, table_name from information_schema.tables where table_schema = {warehouse.placeholder}",
                    [schema])
        out.update((_fold(warehouse, s), _fold(warehouse, t)) for s, t in cur.fetchall())
    return out


def _exists(existing: set[tuple[str, str]], warehouse: Warehouse, ref: ModelRef) -> bool:
    return (_fold(warehouse, ref.schema), _fold(warehouse, ref.identifier)) in existing


def _fold(warehouse: Warehouse, name: str) -> str:
    """DuckDB's identifiers are case-insensitive; Postgres keeps the case dbt quoted."""
    return name.lower() if warehouse.kind == "duckdb" else name
