"""A partitioned Postgres table is one mirror: DMS reads its partitions as tables of their own and
writes their changes under the partitions' names; the mirror applies them as its own (DuckDB and
Postgres), and the set-aside model counts them as records of a mirrored table."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest

from streamleap.project.invoke import run_dbt
from streamleap.records import ChangeRecord
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models, init_project
from streamleap.model.source_table import SourceColumn, SourceTable
from tests.harness import STREAM, StreamWriter, Target, dbt

pytestmark = pytest.mark.dbt

EVENTS = SourceTable(
    "public", "events",
    (SourceColumn("id", "bigint", False), SourceColumn("day", "date", False), SourceColumn("note", "character varying(20)")),
    ("id",), "postgres", partitioned=True,
    partitions=(("public", "events_2024"), ("public", "events_2025"), ("archive", "events_old")),
)
OTHER = SourceTable("public", "events_2026", (SourceColumn("id", "bigint", False),), ("id",), "postgres")


def make_partition_project(tmp_path, target_name: str, pg_url: str | None) -> Target:
    project = tmp_path / "project"
    init_project(project)
    target = Target(target_name, project, pg_url)
    if target_name == "postgres":
        tag = uuid.uuid4().hex[:8]
        m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", pg_url or "")
        assert m, pg_url
        target.schema, target.stream_schema = f"t_{tag}", f"k_{tag}"
        target.env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                      "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": target.schema}
    # a table named like a partition would be, but not one of them: its records stay its own
    generate_models(project, plan_tables([EVENTS, OTHER]), STREAM, target.stream_schema)
    run_dbt(["deps"], project)
    dbt(target, "run-operation", "streamleap.create_stream_source", "--args",
        json.dumps({"stream_schema": target.stream_schema, "stream_name": STREAM}))
    return target


@pytest.fixture(params=["local", "postgres"])
def target(request, tmp_path):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_partition_project(tmp_path, request.param, pg_url)


class Txn:
    def __init__(self):
        self.now = dt.datetime(2024, 6, 1, 12, 0, 0)
        self.id = 500

    def next(self) -> tuple[dt.datetime, int]:
        self.now += dt.timedelta(milliseconds=5)
        self.id += 1
        return self.now, self.id


def rec(schema: str, table: str, op: str, at: tuple, trid: int, id: int, day: str | None, note: str | None,
        before: dict | None = None) -> ChangeRecord:
    ts, txn = at
    return ChangeRecord(schema, table, op, {"id": id, "day": day, "note": note}, before=before,
                        commit_ts=None if op == "load" else ts, transaction_id=txn, transaction_record_id=trid)


def rows(target: Target, table: str = "events") -> dict[int, tuple]:
    return {r[0]: (str(r[1]) if r[1] is not None else None, r[2])
            for r in target.query(f'select id, day, note from {target.rel(table)}')}


def test_changes_under_partition_names_apply_to_the_parent_mirror(target):
    t, w = Txn(), StreamWriter(target)
    load = t.next()
    w.append([
        rec("public", "events_2024", "load", load, 1, 1, "2024-03-01", "a"),
        rec("public", "events_2024", "load", load, 1, 2, "2024-04-01", "b"),
        rec("archive", "events_old", "load", load, 1, 3, "2019-01-01", "old"),
        rec("public", "events_2025", "load", load, 1, 4, "2025-01-05", "d"),
    ])
    dbt(target, "run")
    assert rows(target) == {1: ("2024-03-01", "a"), 2: ("2024-04-01", "b"), 3: ("2019-01-01", "old"),
                            4: ("2025-01-05", "d")}

    # row 1 moves from events_2024 to events_2025 as DMS writes it: a delete under the old
    # partition and an insert under the new one, in one transaction (one batch)
    move = t.next()
    w.append([
        rec("public", "events_2024", "delete", move, 1, 1, "2024-03-01", None),
        rec("public", "events_2025", "insert", move, 2, 1, "2025-03-01", "a moved"),
    ])
    # row 2 moves in the next transaction, but its two records arrive in separate batches, the
    # insert under the new partition first (another shard), then the older delete
    second = t.next()
    w.append([rec("public", "events_2025", "insert", second, 2, 2, "2025-04-01", "b moved")])
    dbt(target, "run")
    w.append([rec("public", "events_2024", "delete", second, 1, 2, "2024-04-01", None)])
    # row 4 moves back as one update under its new partition (with a before image)
    w.append([rec("public", "events_2024", "update", t.next(), 1, 4, "2024-12-31", "d back",
                  before={"id": 4, "day": "2025-01-05", "note": "d"})])
    # the root's own name works too (streamleap capture publishes via the root), and a delete
    # under a partition name removes the row
    w.append([rec("public", "events", "insert", t.next(), 1, 5, "2024-07-07", "root")])
    w.append([rec("archive", "events_old", "delete", t.next(), 1, 3, "2019-01-01", None)])
    # the same name in another schema, and a table that merely looks like a partition, are not events'
    w.append([rec("other", "events_2024", "insert", t.next(), 1, 99, "2024-01-01", "foreign"),
              ChangeRecord("public", "events_2026", "insert", {"id": 98}, commit_ts=t.now, transaction_id=t.id,
                           transaction_record_id=2)])
    dbt(target, "run")
    assert rows(target) == {1: ("2025-03-01", "a moved"), 2: ("2025-04-01", "b moved"),
                            4: ("2024-12-31", "d back"), 5: ("2024-07-07", "root")}
    assert [r[0] for r in target.query(f"select id from {target.rel('events_2026')}")] == [98]


def test_bad_records_under_a_partition_name_are_set_aside_as_the_mirrors(target):
    t, w = Txn(), StreamWriter(target)
    w.append([
        rec("public", "events_2025", "insert", t.next(), 1, 10, "2025-01-01", "ok"),
        rec("public", "events_2025", "insert", t.next(), 1, 11, "not a date", "bad"),
        ChangeRecord("public", "events_2024", "upsert", {"id": 12, "day": "2024-01-01"}, commit_ts=t.now,
                     transaction_id=t.id, transaction_record_id=2),
        rec("other", "events_2024", "insert", t.next(), 1, 13, "also not a date", "not ours"),
    ])
    dbt(target, "run")
    # the malformed date is a misfit: the change is applied with NULL (streamleap_on_misfit: adjust)
    assert rows(target) == {10: ("2025-01-01", "ok"), 11: (None, "bad")}
    set_aside = sorted(target.query(
        f"select schema_name, table_name, adjusted, reason from {target.rel('shop_cdc_set_aside')}"))
    assert [(s, t_, a) for s, t_, a, _ in set_aside] == [("public", "events_2024", False), ("public", "events_2025", True)]
    assert set_aside[0][3] == "unknown operation upsert"
    assert "column day" in set_aside[1][3] and "set to NULL" in set_aside[1][3]
