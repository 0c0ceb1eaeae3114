"""A cycle costs what changed (issue 11, docs/decisions/0014): the planned `streamleap run` cycle
(cycle.py, dbt_package/macros/cycle/cycle.sql) and the same cycle inside a plain `dbt run`.
Shares the runner tests' fixtures (tests/test_runner.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from streamleap.project.invoke import dbt_argv, run_dbt
from streamleap.sources.ddl import parse_ddl
from streamleap.records import ChangeRecord
from streamleap.errors import StreamleapError
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models, init_project
from streamleap.pipeline.runner import Runner
from tests.harness import STREAM, Target, make_project
from tests.test_runner import TARGETS, Shop, empty_warehouse, fresh_stream, kinesis, wall_clock  # noqa: F401 - kinesis: a fixture
from streamleap.demo.workload import ShopWorkload

# ---------------------------------------------------------------- a cycle costs what changed
TABLES_DDL = """
create table public.alpha (id bigint primary key, v varchar(20));
create table public.beta (id bigint primary key, v varchar(20));
create table public.gamma (id bigint primary key, v varchar(20));
create table public.ev (id bigint not null, day date not null, v varchar(20), primary key (id, day)) partition by range (day);
create table public.ev_2024 partition of public.ev for values from ('2024-01-01') to ('2025-01-01');
create table public.ev_2025 partition of public.ev for values from ('2025-01-01') to ('2026-01-01');
"""
MIRRORS = ("alpha", "beta", "gamma", "ev")
SET_ASIDE = f"{STREAM}_set_aside"


@pytest.fixture(scope="module", params=TARGETS)
def tables_project(request, tmp_path_factory) -> Target:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(f"tables-{request.param}"), TABLES_DDL, "postgres", request.param, pg_url)


class Tables(Shop):
    """Several tables (one partitioned), changed one at a time; the runner's dbt runs are counted."""

    def change(self, table: str, *ids: int, op: str = "insert", v: str = "x", day: str = "2024-05-01",
               schema: str = "public") -> None:
        now = wall_clock()
        records = []
        for n, i in enumerate(ids):
            data = {"id": i, "v": v, **({"day": day} if table.startswith("ev") else {})}
            record = ChangeRecord(schema, table, op, data, commit_ts=now, transaction_id=1, transaction_record_id=n + 1)
            records.append((record.to_bytes(), f"{schema}.{table}.{i}"))
        self.put(records)

    def counted_runner(self) -> tuple[Runner, list[tuple[str, ...]]]:
        runner = self.runner(every=0.05)
        calls: list[tuple[str, ...]] = []
        invoke = runner.dbt.invoke

        def counting(*args: str, **kwargs):
            calls.append(args)
            return invoke(*args, **kwargs)

        runner.dbt.invoke = counting
        return runner, calls

    def state(self) -> dict[str, tuple]:
        """Each model's state row: (watermark, updated_at), by model name."""
        rows = self.target.query(f'select relation_name, watermark, updated_at from "{self.target.schema}".streamleap_state')
        return {key.rsplit(".", 1)[-1]: (mark, at) for key, mark, at in rows}

    def rows(self, model: str) -> dict[int, str]:
        return {i: v for i, v in self.target.query(f"select id, v from {self.target.rel(model)}")}

    def set_aside_rows(self) -> list[tuple]:
        return self.target.query(f"select schema_name, table_name from {self.target.rel(SET_ASIDE)} order by 1, 2")


@pytest.fixture
def tables(tables_project, kinesis, monkeypatch) -> Tables:  # noqa: F811 - kinesis: the fixture imported above
    for k, v in tables_project.env.items():
        monkeypatch.setenv(k, v)
    empty_warehouse(tables_project)
    fresh_stream(kinesis)
    made = Tables(tables_project, kinesis, ShopWorkload(seed=7, clock=wall_clock))
    yield made
    for runner in made.runners:
        runner.close()


def dbt_runs(calls: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [c for c in calls if c[0] == "run"]


def planned(calls: list[tuple[str, ...]], report) -> set[str]:
    """The models a planned cycle (cycle.py) applied: dbt was not invoked, one transaction committed."""
    assert report.error is None, report.error
    assert dbt_runs(calls) == [], calls
    assert report.commits == 1, report
    return set(report.ran)


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_an_idle_cycle_invokes_no_dbt_and_touches_no_state(tables):
    for table in MIRRORS:
        tables.change(table, 1, 2)
    runner, calls = tables.counted_runner()
    first = runner.cycle()
    assert first.error is None and first.ingested == 8
    assert dbt_runs(calls) == [("run",)]  # a runner's first cycle runs every model
    before = tables.state()
    assert set(MIRRORS) | {SET_ASIDE} <= set(before)
    calls.clear()
    for _ in range(3):
        report = runner.cycle()
        assert report.error is None and report.ingested == 0
        assert report.applied == {name: 0 for name in MIRRORS} and report.set_aside == 0
        # one query for the one stream, and no transaction that writes
        assert (report.ran, report.statements, report.commits) == ([], 1, 0)
    assert dbt_runs(calls) == []  # nothing arrived: dbt is not invoked at all
    assert tables.state() == before  # no watermark moved, no state row was written


@pytest.mark.parametrize("tables_project", ["local"], indirect=True)
def test_an_idle_cycle_writes_its_report_at_most_once_a_second(tables, monkeypatch):
    """The last report (what `streamleap status` shows while the runner holds the DuckDB file) is
    written after every cycle that did something, and after an idle one only when the last write
    is IDLE_REPORT_EVERY_S old."""
    import streamleap.pipeline.runner as runner_module
    from streamleap.pipeline.runner import last_report

    monkeypatch.setattr(runner_module, "IDLE_REPORT_EVERY_S", 3600.0)
    runner, _ = tables.counted_runner()

    def written() -> int:
        doc = last_report(runner.project_dir)
        assert doc is not None
        return doc["report"]["cycle"]

    assert runner.cycle().error is None and written() == 1  # a dbt run: written
    idle = runner.cycle()
    assert idle.error is None and idle.ran == [] and written() == 1  # idle: not yet
    tables.change("gamma", 7)
    applied = runner.cycle()
    assert applied.ran and written() == applied.cycle  # it applied: written at once
    monkeypatch.setattr(runner_module, "IDLE_REPORT_EVERY_S", 0.0)
    idle = runner.cycle()
    assert idle.ran == [] and written() == idle.cycle  # idle, and the last write old enough


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_stream_still_empty_is_idle_after_the_first_cycle_and_its_first_records_apply(tables):
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None and dbt_runs(calls) == [("run",)]
    assert all(mark is None for mark, _ in tables.state().values())  # read nothing yet
    calls.clear()
    assert runner.cycle().error is None and dbt_runs(calls) == []
    tables.change("gamma", 5)
    report = runner.cycle()
    assert planned(calls, report) == {"gamma", SET_ASIDE}
    assert tables.rows("gamma") == {5: "x"}
    if tables.target.name == "postgres":  # the plan's setup gave the runner's connection a model run's settings
        cur = runner._con.cursor()
        cur.execute("show jit")
        assert cur.fetchone()[0] == "off"
        runner._con.rollback()


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_change_to_one_table_runs_only_its_mirror_and_the_set_aside_model(tables):
    for table in MIRRORS:
        tables.change(table, 1, 2)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None
    before = tables.state()
    calls.clear()

    tables.change("beta", 2, 3, op="insert", v="new")
    report = runner.cycle()
    assert report.error is None and report.ingested == 2
    assert planned(calls, report) == {"beta", SET_ASIDE}
    assert report.applied == {"alpha": 0, "beta": 2, "gamma": 0, "ev": 0}
    after = tables.state()
    for name in (*MIRRORS, SET_ASIDE):
        # every model of the stream moved past the new records, in the cycle's one commit (those with
        # none of them had nothing to apply): the next cycle reads from there
        assert after[name][0] > before[name][0], name
    assert len({after[name][0] for name in (*MIRRORS, SET_ASIDE)}) == 1
    assert tables.rows("beta") == {1: "x", 2: "new", 3: "new"}
    for name in ("alpha", "gamma"):
        assert tables.rows(name) == {1: "x", 2: "x"}

    # the mirrors skipped meanwhile still apply what comes for them later, and nothing is lost
    calls.clear()
    tables.change("alpha", 1, op="update", v="later")
    tables.change("gamma", 2, op="delete")
    report = runner.cycle()
    assert planned(calls, report) == {"alpha", "gamma", SET_ASIDE}
    assert tables.rows("alpha") == {1: "later", 2: "x"}
    assert tables.rows("gamma") == {1: "x"}
    assert tables.rows("beta") == {1: "x", 2: "new", 3: "new"}
    assert tables.set_aside_rows() == []


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_records_of_an_unknown_table_or_not_json_run_the_set_aside_model_only(tables):
    """The set-aside model sees every record; a mirror only its own table's, matched exactly."""
    tables.change("alpha", 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None
    calls.clear()

    tables.change("delta", 7)  # a table nothing mirrors
    tables.change("alpha", 8, schema="other")  # a mirrored table's name in another schema
    tables.change("Alpha", 9)  # names match case-sensitively
    tables.put([(b"\xff not json", "junk")])
    report = runner.cycle()
    assert report.error is None and report.ingested == 4
    assert planned(calls, report) == {SET_ASIDE}
    assert report.applied == {name: 0 for name in MIRRORS}
    # records of tables nothing mirrors are neither applied nor set aside (set_aside.sql); the one
    # that is not JSON is set aside
    assert report.set_aside == 1
    assert tables.set_aside_rows() == [(None, None)]
    calls.clear()
    assert runner.cycle().error is None and dbt_runs(calls) == []  # looked at once, then idle
    assert tables.rows("alpha") == {1: "x"}


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_records_under_a_partitions_name_run_the_parents_mirror(tables):
    tables.change("ev", 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None
    calls.clear()

    tables.change("ev_2025", 2, day="2025-03-01")
    tables.change("ev_2024", 3, day="2024-03-01")
    report = runner.cycle()
    assert report.error is None
    assert planned(calls, report) == {"ev", SET_ASIDE}
    assert report.applied["ev"] == 2
    assert tables.rows("ev") == {1: "x", 2: "x", 3: "x"}
    assert tables.set_aside_rows() == []


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_the_cycles_probe_and_batch_read_the_stand_in_by_refresh_time(tables):
    """Their cost is the new records': the refresh_time filter reaches the stand-in's scan (an index
    scan on Postgres, a filter in DuckDB's scan, which its zone maps prune), through the view."""
    tables.change("alpha", 1)
    runner = tables.runner()
    assert runner.cycle().error is None and runner.cycle().error is None  # a dbt run, then a planned cycle
    stream = runner._plan.streams[0]
    stand_in = f'"{tables.target.stream_schema}"."{STREAM}"'
    old = dt.datetime(2020, 1, 1)
    mark = "?" if tables.target.name == "local" else "%s"
    con = tables.target.connect()
    try:
        cur = con.cursor()
        cur.execute(f"insert into {stand_in} select {mark}, 'pk', 'shardId-000000000000', cast(n as varchar), "
                    f"{mark} + n * interval '1 second', cast('{{}}' as {'blob' if mark == '?' else 'bytea'}) "
                    f"from generate_series(1, 50000) as t(n)", [old, old])
        if tables.target.name == "local":
            con.commit()
        else:
            cur.execute(f"analyze {stand_in}")
        for sql in runner._plan.setup:  # the table of the streams' models, once per connection
            cur.execute(sql)
        plans = []
        for sql in (stream.probe, stream.batch[0]):
            cur.execute("explain " + sql)
            plans.append("\n".join(str(r[-1]) for r in cur.fetchall()))
    finally:
        con.close()
    for plan in plans:
        if tables.target.name == "local":
            assert "refresh_time>" in plan.replace(" ", "") and "Filters" in plan, plan
        else:
            assert "Index" in plan and "refresh_time" in plan and "Seq Scan on " + STREAM not in plan, plan


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_what_may_be_stale_runs_dbt_a_failed_cycle_a_project_change_a_dropped_mirror(tables, monkeypatch):
    tables.change("alpha", 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None

    # a cycle that failed: the next one is a dbt run of every model
    calls.clear()
    tables.change("beta", 1)
    import streamleap.pipeline.cycle as cycle

    run_cycle = cycle.run_cycle
    monkeypatch.setattr(cycle, "run_cycle", lambda *a: (_ for _ in ()).throw(StreamleapError("boom")))
    assert runner.cycle().error == "boom"
    monkeypatch.setattr(cycle, "run_cycle", run_cycle)
    assert runner.cycle().error is None
    assert dbt_runs(calls) == [("run",)]
    assert tables.rows("beta") == {1: "x"}

    # a mirror dropped by hand: the cycle that has records for it fails, naming it; the next one
    # (a dbt run) builds it again from everything the stream retains
    calls.clear()
    tables.target.execute(f"drop table {tables.target.rel('gamma')}")
    assert runner.cycle().error is None and dbt_runs(calls) == []  # nothing for it: idle
    tables.change("gamma", 2)
    failed = runner.cycle()
    assert failed.error and "gamma" in failed.error, failed.error
    assert runner.cycle().error is None
    assert dbt_runs(calls) == [("run",)]
    assert tables.rows("gamma") == {2: "x"} and tables.rows("alpha") == {1: "x"}

    # a project file changed: parsed again, and every model runs, a new one among them
    calls.clear()
    model = tables.target.project / "models" / "extra_over_alpha.sql"
    model.write_text("{{ config(materialized='table') }}\nselect id from {{ ref('alpha') }}\n")
    try:
        report = runner.cycle()
        assert report.error is None and report.reparsed
        assert dbt_runs(calls) == [("run",)]
        assert tables.target.relation_exists("extra_over_alpha")
        calls.clear()
        assert runner.cycle().error is None and dbt_runs(calls) == []  # and then idle again
        # the user's table over a mirror is built again after the mirror changed
        tables.change("alpha", 2)
        report = runner.cycle()
        assert report.error is None and set(report.ran) == {"alpha", SET_ASIDE}
        assert [c[2:] for c in dbt_runs(calls)] == [("extra_over_alpha",)]
        assert sorted(tables.target.query(f"select id from {tables.target.rel('extra_over_alpha')}")) == [(1,), (2,)]
    finally:
        model.unlink()


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_cycle_reads_from_the_lowest_watermark_and_a_watermark_set_back_applies_again(tables):
    for table in MIRRORS:
        tables.change(table, 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None
    first = tables.state()["alpha"][0]
    calls.clear()
    tables.change("beta", 2)
    report = runner.cycle()
    assert planned(calls, report) == {"beta", SET_ASIDE}
    assert tables.state()["alpha"][0] > first  # moved with the others: the next batch starts there

    # a watermark set back by hand (to apply again) is read from again, at once
    tables.target.execute(f'delete from {tables.target.rel("alpha")}')
    mark = "?" if tables.target.name == "local" else "%s"
    tables.target.execute(f'update "{tables.target.schema}".streamleap_state set watermark = {mark} where relation_name like {mark}',
                          [first - dt.timedelta(seconds=1), "%.alpha"])
    report = runner.cycle()
    assert planned(calls, report) == {*MIRRORS, SET_ASIDE}  # the batch from there holds every table's
    assert report.applied["alpha"] == 1
    assert tables.rows("alpha") == {1: "x"} and tables.rows("beta") == {1: "x", 2: "x"}
    assert tables.set_aside_rows() == []



@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_the_probe_finds_a_model_of_its_stream_behind_the_newest_record_and_no_other(tables):
    """An idle cycle is its probe alone whatever else the state table holds (models of another
    stream, behind or never run); a model of the stream whose watermark is below the newest
    record, or not set, makes the next cycle read from there."""
    tables.change("alpha", 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None and runner.cycle().error is None  # a dbt run, then the plan
    state = f'"{tables.target.schema}".streamleap_state'
    mark = "?" if tables.target.name == "local" else "%s"
    tables.target.execute(f"insert into {state} (relation_name, watermark) values ('elsewhere.other.behind', {mark}), "
                          "('elsewhere.other.never_run', null)", [dt.datetime(2000, 1, 1)])
    calls.clear()
    idle = runner.cycle()
    assert (idle.error, idle.ran, idle.statements, idle.commits) == (None, [], 1, 0)
    newest = tables.state()["alpha"][0]
    for behind in (newest - dt.timedelta(microseconds=1), None):
        # gamma has no record: the batch from its watermark holds alpha's, applied before
        tables.target.execute(f"update {state} set watermark = {mark} where relation_name like {mark}", [behind, "%.gamma"])
        report = runner.cycle()
        assert planned(calls, report) == {"alpha", SET_ASIDE} and report.applied["alpha"] == 0
        assert tables.state()["gamma"][0] == newest  # moved to the batch's end with the others
        idle = runner.cycle()
        assert (idle.error, idle.ran, idle.statements, idle.commits) == (None, [], 1, 0)
    assert tables.rows("alpha") == {1: "x"} and tables.set_aside_rows() == []

KILLED_MID_CYCLE = """
import json, os, signal, sys
from pathlib import Path
import boto3
import streamleap.pipeline.cycle as cycle
from streamleap.pipeline.runner import Runner

project, target, endpoint, stream, later = sys.argv[1:6]
runner = Runner(Path(project), target=target, kinesis_endpoint=endpoint, region="us-east-1")
assert runner.cycle().error is None  # the first cycle: a dbt run of every model
assert runner.cycle().error is None  # the second: the plan is rendered, nothing new
order = [m.model for m in runner._plan.streams[0].mirrors if m.model in ("alpha", "beta")]
print("order", *order, flush=True)
client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
client.put_records(StreamName=stream, Records=[{"Data": bytes.fromhex(d), "PartitionKey": k} for d, k in json.load(open(later))])
run = cycle._Session.run
stream_plan = runner._plan.streams[0]
# two tables change: each table's own statements unless told to type values once (typed_from)
pieces = stream_plan.each.mirrors if stream_plan.each is not None and cycle.typed_from() > 2 else stream_plan.mirrors
second = next(m for m in pieces if m.model == order[1]).apply[0]

def run_then_die(self, sql):
    # the second mirror's apply is about to start: the cycle batch and the first mirror's
    # apply are done, in the open transaction
    if sql == second:
        os.kill(os.getpid(), signal.SIGKILL)
    return run(self, sql)

cycle._Session.run = run_then_die
print("applying", flush=True)
runner.cycle()
print("not killed", flush=True)
"""


@pytest.mark.parametrize("path", ["typed", "each"])
@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_kill_between_the_batch_and_the_second_tables_apply_loses_nothing(tables, tmp_path, path):
    """SIGKILL in the middle of a planned cycle's transaction: after the cycle batch and the first
    mirror's apply, before the second's. Nothing of it stays (no mirror row, watermark or set-aside
    row), and the next runner applies it all. Both ways a cycle applies on DuckDB and Postgres: every
    value typed once, and each table's own statements (docs/decisions/0025)."""
    tables.change("alpha", 1)
    tables.change("beta", 1)
    now = wall_clock()
    later = [(ChangeRecord("public", t, "insert", {"id": 2, "v": "new"}, commit_ts=now, transaction_id=2,
                           transaction_record_id=n + 1).to_bytes().hex(), f"public.{t}.2") for n, t in enumerate(("alpha", "beta"))]
    later.append((b"\xff not json".hex(), "junk"))
    (tmp_path / "later.json").write_text(json.dumps(later))
    script = tmp_path / "killed.py"
    script.write_text(KILLED_MID_CYCLE)
    if tables.target.name == "local":
        import gc

        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()  # the fixture's dbt (in this process) lets go of the file
        gc.collect()
    done = subprocess.run([sys.executable, str(script), str(tables.target.project), tables.target.name,
                           tables.kinesis.endpoint_url, STREAM, str(tmp_path / "later.json")],
                          env={**os.environ, **tables.target.env, "STREAMLEAP_CYCLE_TYPED_FROM": "0" if path == "typed" else "1000"},
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == -signal.SIGKILL, (done.stdout, done.stderr)
    assert "applying" in done.stdout and "not killed" not in done.stdout
    # the killed cycle relayed the records (the relay commits on its own) and applied none of them
    assert tables.rows("alpha") == {1: "x"} and tables.rows("beta") == {1: "x"}
    marks = {name: mark for name, (mark, _) in tables.state().items() if name in (*MIRRORS, SET_ASIDE)}
    assert len(set(marks.values())) == 1, marks  # all still where the first cycle left them
    assert tables.set_aside_rows() == []
    assert len(tables.relayed()) == 5

    again = tables.runner()
    assert again.cycle().error is None  # a dbt run: a new runner's first cycle
    assert tables.rows("alpha") == {1: "x", 2: "new"} and tables.rows("beta") == {1: "x", 2: "new"}
    assert tables.set_aside_rows() == [(None, None)]


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_planned_cycle_judges_records_as_a_dbt_run_does(tables):
    """The cycle keeps the new records in a temporary table before any mirror reads them; rules
    that looked at the staging view's fresh values (the size of a Postgres jsonb, which a stored
    datum may hold compressed) must still hold there: a record nested past 1,000 levels is set
    aside, not applied."""
    tables.change("alpha", 1)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None
    calls.clear()
    deep = ChangeRecord("public", "alpha", "insert", {"id": 2, "v": "deep"}, commit_ts=wall_clock(), transaction_id=3,
                        transaction_record_id=1).to_bytes()
    deep = deep[:-1] + b', "deep": ' + b"[" * 1001 + b"]" * 1001 + b"}"
    tables.put([(deep, "public.alpha.2")])
    tables.change("alpha", 3)
    report = runner.cycle()
    assert planned(calls, report) == {"alpha", SET_ASIDE}
    assert tables.rows("alpha") == {1: "x", 3: "x"}
    # DuckDB's staging view refuses it as Redshift's JSON_PARSE does (no payload, so no table name);
    # Postgres's jsonb takes it, and the cycle's rule sets it aside with its metadata read
    assert tables.set_aside_rows() == ([(None, None)] if tables.target.name == "local" else [("public", "alpha")])


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_only_a_mirror_whose_changes_hold_a_delete_writes_its_tombstones(tables, monkeypatch):
    """A planned cycle runs a mirror's tombstone statements only when its winning changes hold a
    delete; a tombstone older than its key's row then stays, and no older change gets past
    either: not a re-delivered delete, not an update from before it. (A cycle with every value
    typed once: each table's own statements always keep their tombstones.)"""
    import streamleap.pipeline.cycle as cycle

    monkeypatch.setenv("STREAMLEAP_CYCLE_TYPED_FROM", "0")
    tables.change("alpha", 1, 2)
    tables.change("beta", 1, 2)
    runner, calls = tables.counted_runner()
    assert runner.cycle().error is None  # a dbt run of every model
    assert runner.cycle().error is None  # the plan is rendered
    calls.clear()
    mirrors = {m.model: m for m in runner._plan.streams[0].mirrors}
    assert mirrors["alpha"].tombstones and mirrors["beta"].tombstones
    sent: list[str] = []
    run = cycle._Session.run

    def recording(self, sql):
        sent.append(sql)
        return run(self, sql)

    monkeypatch.setattr(cycle._Session, "run", recording)

    def tombstones(model: str) -> list[tuple]:
        return sorted(tables.target.query(f"select id from {tables.target.rel(model + '__streamleap_tombstones')}"))

    deleted_at = wall_clock()
    delete = ChangeRecord("public", "beta", "delete", {"id": 2, "v": "x"}, commit_ts=deleted_at, transaction_id=5,
                          transaction_record_id=1)
    before = ChangeRecord("public", "beta", "update", {"id": 2, "v": "older"}, commit_ts=deleted_at - dt.timedelta(seconds=1),
                          transaction_id=4, transaction_record_id=1)
    tables.change("alpha", 3)
    tables.change("alpha", 1, op="update", v="u")
    tables.put([(delete.to_bytes(), "public.beta.2")])
    report = runner.cycle()
    assert planned(calls, report) == {"alpha", "beta", SET_ASIDE}
    assert not set(mirrors["alpha"].tombstones) & set(sent)  # inserts and updates only
    assert set(mirrors["beta"].tombstones) <= set(sent)
    assert tables.rows("alpha") == {1: "u", 2: "x", 3: "x"} and tables.rows("beta") == {1: "x"}
    assert tombstones("beta") == [(2,)]

    # key 2 comes back (its tombstone stays: the cycle holds no delete), then the delete is
    # delivered again and an update from before it arrives late: neither wins over the row
    sent.clear()
    tables.change("beta", 2, v="back")
    assert planned(calls, runner.cycle()) == {"beta", SET_ASIDE}
    assert not set(mirrors["beta"].tombstones) & set(sent)
    assert tables.rows("beta") == {1: "x", 2: "back"} and tombstones("beta") == [(2,)]
    tables.put([(delete.to_bytes(), "public.beta.2"), (before.to_bytes(), "public.beta.2")])
    assert planned(calls, runner.cycle()) == {"beta", SET_ASIDE}
    assert tables.rows("beta") == {1: "x", 2: "back"}

    # a newer delete takes the row, and its tombstone replaces the old one
    tables.change("beta", 2, op="delete")
    assert planned(calls, runner.cycle()) == {"beta", SET_ASIDE}
    assert tables.rows("beta") == {1: "x"}
    assert tables.target.query(f"select count(*) from {tables.target.rel('beta__streamleap_tombstones')}") == [(1,)]
    stored = tables.target.query(f"select _streamleap_commit_ts from {tables.target.rel('beta__streamleap_tombstones')}")[0][0]
    assert stored > deleted_at.replace(tzinfo=None)
    assert tables.set_aside_rows() == []


def dbt_run_queries(target: Target, *args: str) -> tuple[Any, dict[str, list[str]]]:
    """A plain `dbt run` (a fresh dbtRunner, as cron or Airflow run it), with the SQL each node sent."""
    from dbt.cli.main import dbtRunner

    sent: dict[str, list[str]] = {}

    def catch(event: Any) -> None:
        if event.info.name == "SQLQuery":
            node = event.data.node_info.node_name if event.data.node_info else ""
            sent.setdefault(node, []).append(event.data.sql)

    result = dbtRunner(callbacks=[catch]).invoke(dbt_argv(["run", "--quiet", *args], target.project, target=target.name))
    assert result.success, result.exception
    return result, sent


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_a_plain_dbt_run_parses_the_stream_once_and_an_unchanged_mirror_costs_one_query(tables):
    """The scheduled `dbt run` path: the streaming view model applies the run's new records to the
    stream's mirrors in one transaction (cycle.sql run_stream_cycle); then each mirror and the
    set-aside model find nothing past their watermark and send one query, no temporary table, no
    introspection, no DDL."""
    for table in MIRRORS:
        tables.change(table, 1)
    relay = tables.runner()
    relay.setup()
    assert relay.relays[0].pull().records == 4
    dbt_run_queries(tables.target)  # the first build
    tables.change("beta", 2, v="new")
    tables.change("delta", 3)  # nothing mirrors it
    tables.put([(b"\xff not json", "junk")])
    assert relay.relays[0].pull().records == 3

    _, sent = dbt_run_queries(tables.target)
    assert tables.rows("beta") == {1: "x", 2: "new"} and tables.rows("alpha") == {1: "x"}
    assert tables.set_aside_rows() == [(None, None)]
    staging = f"stg_{STREAM}"
    for name in (*MIRRORS, SET_ASIDE):
        assert len(sent[name]) == 1, (name, sent[name])  # beta's change was applied by the staging model
        assert "create" not in sent[name][0].lower() and "information_schema" not in sent[name][0].lower()
    batches = [q for node, qs in sent.items() for q in qs if 'create temporary table "streamleap_cycle_batch"' in q]
    assert len(batches) == 1 and batches[0] in sent[staging]  # the stream read and parsed once, for every mirror
    marks = {name: mark for name, (mark, _) in tables.state().items() if name in (*MIRRORS, SET_ASIDE)}
    assert len(set(marks.values())) == 1 and None not in marks.values()

    # nothing new: the staging model's probe, one query per mirror
    _, sent = dbt_run_queries(tables.target)
    assert all(len(sent[name]) == 1 for name in (*MIRRORS, SET_ASIDE))
    assert not [q for qs in sent.values() for q in qs if "create temporary" in q]

    # the staging model left out (or selected alone with a mirror): the mirror applies its own records
    tables.change("gamma", 4)
    no_key = ChangeRecord("public", "gamma", "insert", {"v": "no key"}, commit_ts=wall_clock(), transaction_id=9,
                          transaction_record_id=1).to_bytes()
    tables.put([(no_key, "public.gamma")])
    assert relay.relays[0].pull().records == 2
    _, sent = dbt_run_queries(tables.target, "--select", "gamma")
    assert tables.rows("gamma") == {1: "x", 4: "x"}
    assert len(sent["gamma"]) > 1
    _, sent = dbt_run_queries(tables.target)  # and the others catch up in the next run, once
    assert len([q for qs in sent.values() for q in qs if 'create temporary table "streamleap_cycle_batch"' in q]) == 1
    assert tables.rows("alpha") == {1: "x"}
    # gamma's record it could not apply, before gamma's watermark but past the set-aside model's:
    # the cycle judged gamma's records for the set-aside model past the set-aside model's own watermark
    assert tables.set_aside_rows() == [("public", "gamma"), (None, None)]
    marks = {name: mark for name, (mark, _) in tables.state().items() if name in (*MIRRORS, SET_ASIDE)}
    assert len(set(marks.values())) == 1


def test_two_streams_in_one_project_apply_in_one_cycle(kinesis, tmp_path):  # noqa: F811 - kinesis: the fixture imported above
    """Each stream has its own staging view, mirrors and set-aside model; a cycle probes each, and
    applies what arrived on both in one transaction."""
    project = tmp_path / "two"
    init_project(project)
    for stream, table in (("s_one", "a"), ("s_two", "b")):
        generate_models(project, plan_tables(parse_ddl(f"create table public.{table} (id bigint primary key, v varchar(20));",
                                                       "postgres")), stream, "kinesis")
    run_dbt(["deps", "--quiet"], project)
    client = kinesis.client()
    for stream in ("s_one", "s_two"):
        try:
            client.delete_stream(StreamName=stream, EnforceConsumerDeletion=True)
        except client.exceptions.ResourceNotFoundException:
            pass
        client.create_stream(StreamName=stream, ShardCount=1)

    def put(stream: str, table: str, i: int) -> None:
        data = ChangeRecord("public", table, "insert", {"id": i, "v": stream}, commit_ts=wall_clock(), transaction_id=i,
                            transaction_record_id=1).to_bytes()
        client.put_record(StreamName=stream, Data=data, PartitionKey=f"{table}.{i}")

    put("s_one", "a", 1)
    put("s_two", "b", 1)
    runner = Runner(project, kinesis=client)
    try:
        assert runner.cycle().error is None  # a dbt run: builds both streams' models
        idle = runner.cycle()
        assert {s.staging_model for s in runner._plan.streams} == {"stg_s_one", "stg_s_two"}
        assert idle.error is None and (idle.ran, idle.statements, idle.commits) == ([], 2, 0)  # one probe per stream
        put("s_one", "a", 2)
        put("s_two", "b", 2)
        report = runner.cycle()
        assert report.error is None and report.ingested == 2 and report.commits == 1
        assert set(report.ran) == {"a", "b", "s_one_set_aside", "s_two_set_aside"}
        put("s_two", "b", 3)
        report = runner.cycle()
        assert report.error is None and set(report.ran) == {"b", "s_two_set_aside"}
    finally:
        runner.close()
    target = Target("local", project)
    assert sorted(target.query("select id, v from main.a")) == [(1, "s_one"), (2, "s_one")]
    assert sorted(target.query("select id, v from main.b")) == [(1, "s_two"), (2, "s_two"), (3, "s_two")]


@pytest.mark.parametrize("tables_project", TARGETS, indirect=True)
def test_the_contract_module_describes_the_tables_the_package_creates(tables):
    """streamleap/project/contract.py is the Python side's only description of the tables it shares with the
    dbt package: it must name the columns the package's DDL creates, in order, and the keys the
    package writes into the state table, for every model, on each target."""
    from streamleap.project import contract
    from streamleap.project.manifest import project_models, read_state

    tables.change("alpha", 1)
    runner = tables.runner()
    assert runner.cycle().error is None  # a dbt run: the package makes the stand-in, the state table, its rows
    mark = "?" if tables.target.name == "local" else "%s"

    def columns(schema: str, table: str) -> list[str]:
        return [r[0] for r in tables.target.query(
            f"select column_name from information_schema.columns where table_schema = {mark} and table_name = {mark} "
            "order by ordinal_position", [schema, table])]

    assert columns(tables.target.schema, contract.STATE_TABLE) == list(contract.STATE_COLUMNS)
    assert columns(tables.target.stream_schema, STREAM) == list(contract.STAND_IN_COLUMNS)
    models = project_models(runner.dbt.manifest)
    refs = [*models.mirrors.values(), *models.set_asides.values(), *models.stagings.values()]
    written = {r[0] for r in tables.target.query(f"select relation_name from {tables.target.rel(contract.STATE_TABLE)}")}
    assert {ref.key for ref in refs} == written
    state = read_state(runner.warehouse, refs, ("watermark", "fingerprint"))
    assert set(state) == written
    assert state[models.mirrors["alpha"].key][0] is not None and state[models.stagings[f"stg_{STREAM}"].key][1]


def test_two_mirrors_of_one_table_set_a_record_aside_once_in_a_cycle(tmp_path):
    """Where two mirrors claim one source table, the set-aside model keeps a record neither can
    apply once, judged by the first of them, as its own model does: in a cycle (the staging
    model's, in a plain dbt run) as in the models' own runs."""
    from tests.harness import StreamWriter, dbt

    target = make_project(tmp_path, "create table public.a (id bigint primary key, v varchar(20));", "postgres", "local")
    model = next((target.project / "models").rglob("a.sql"))
    (model.parent / "a_again.sql").write_text(model.read_text())  # a second mirror of public.a
    (model.parent / "a_again.yml").write_text(model.with_suffix(".yml").read_text().replace("- name: a\n", "- name: a_again\n", 1))
    writer = StreamWriter(target)

    def record(n: int, data: dict) -> ChangeRecord:
        return ChangeRecord("public", "a", "insert", data, commit_ts=dt.datetime(2030, 1, 1, 0, 0, n), transaction_id=n,
                            transaction_record_id=1)

    def kept() -> list[str]:
        return sorted(r[0] for r in target.query(f"select reason from {target.rel(STREAM + '_set_aside')} where reason is not null"))

    writer.append([record(1, {"id": 1, "v": "x"}), record(2, {"v": "no key"})])
    dbt(target, "run")  # the first build: each model applies its own records
    assert kept() == ["key column id is missing"]
    writer.append([record(3, {"id": 3, "v": "x"}), record(4, {"v": "no key either"})])
    result = dbt(target, "run")
    by_models = [r.node.name for r in result.result.results
                 if r.node.name in ("a", "a_again") and r.message != "nothing new"]
    assert by_models == []  # the staging model's cycle applied both mirrors
    assert kept() == ["key column id is missing"] * 2  # one row per record, not one per mirror
    assert {i for i, in target.query(f"select id from {target.rel('a')}")} == {1, 3}
    assert {i for i, in target.query(f"select id from {target.rel('a_again')}")} == {1, 3}
