"""`streamleap run` and `streamleap status` on DuckDB and on a real PostgreSQL, reading a real
Kinesis endpoint (moto's server, in this process): the mirrors stay exact across a restart of the
runner in the middle of the stream; a failing cycle is reported in one line, retried with a
growing backoff and loses nothing; Ctrl-C (and stop()) ends the loop after the cycle in flight;
a project change is re-parsed once; and status reports what the mirrors and the relay hold."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.project.invoke import run_dbt
from streamleap.sources.ddl import parse_ddl
from streamleap.records import ChangeRecord
from streamleap.errors import StreamleapError
from streamleap.kinesis.local import LocalKinesis
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models, init_project
from streamleap.pipeline.relay import Relay
from streamleap.pipeline.runner import CycleReport, Runner
from streamleap.pipeline.status import collect_status
from streamleap.demo.workload import SHOP_DDL, ShopWorkload, decode_row, record_partition_key
from tests.harness import STREAM, Target, encoded_state, expected_rows, make_project

pytestmark = pytest.mark.dbt

TARGETS = ["local", pytest.param("postgres", marks=pytest.mark.postgres)]
KEYS = {"cart": ("cart_id",), "cart_item": ("cart_id", "line_no")}
CLI_ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
REPORT_KEYS = {"cycle", "started_at", "duration_ms", "ingested", "applied", "set_aside", "lag_ms", "error"}


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def normalize(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return naive_utc(value)
    return value


def cli(*args: Any, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env={**CLI_ENV, **(env or {})})


def assert_one_error_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def kinesis():
    with LocalKinesis() as local:
        yield local


@pytest.fixture(scope="module", params=TARGETS)
def project(request, tmp_path_factory) -> Target:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(request.param), SHOP_DDL, "postgres", request.param, pg_url)


def fresh_stream(kinesis: LocalKinesis, shards: int = 2) -> None:
    """moto keeps streams for the life of the process: start each test from an empty one."""
    client = kinesis.client()
    try:
        client.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
    except client.exceptions.ResourceNotFoundException:
        pass
    kinesis.create_stream(STREAM, shards)


def mirror_rows(target: Target, table: str) -> dict[tuple, dict]:
    """The mirror's rows by key, without streamleap's columns, values normalized for comparing."""
    con = target.connect()
    try:
        cur = con.cursor()
        cur.execute(f"select * from {target.rel(table)}")
        names = [d[0] for d in cur.description]
        out = {}
        for row in cur.fetchall():
            record = {n: normalize(v) for n, v in zip(names, row, strict=True) if not n.startswith("_streamleap_")}
            out[tuple(record[k] for k in KEYS[table])] = record
        return out
    finally:
        con.close()


@dataclass
class Shop:
    """One test's pipeline: the project (its warehouse emptied), an empty stream, a shop workload
    with wall-clock commit times, and every record put, as Kinesis acknowledged it."""

    target: Target
    kinesis: LocalKinesis
    workload: ShopWorkload
    puts: list[tuple[str, str, bytes]] = field(default_factory=list)
    runners: list[Runner] = field(default_factory=list)

    def __post_init__(self):
        self.client = self.kinesis.client()

    def put(self, records: list) -> list[tuple[str, str, bytes]]:
        """ChangeRecords (partition key as DMS sets it) or (bytes, partition key) pairs."""
        entries = [(r.to_bytes(), record_partition_key(r)) if isinstance(r, ChangeRecord) else r for r in records]
        out = []
        for start in range(0, len(entries), 500):
            chunk = entries[start:start + 500]
            resp = self.client.put_records(StreamName=STREAM, Records=[{"Data": d, "PartitionKey": k} for d, k in chunk])
            assert resp.get("FailedRecordCount", 0) == 0
            out += [(e["ShardId"], e["SequenceNumber"], d) for e, (d, _) in zip(resp["Records"], chunk, strict=True)]
        self.puts += out
        return out

    def transactions(self, n: int) -> list[ChangeRecord]:
        return [r for _ in range(n) for r in self.workload.step()]

    def runner(self, **kwargs: Any) -> Runner:
        made = Runner(self.target.project, target=self.target.name, kinesis=self.kinesis.client(), **kwargs)
        self.runners.append(made)
        return made

    def relayed(self) -> list[tuple[str, str, bytes]]:
        """The stand-in stream, in its order: refresh_time, then sequence number."""
        rows = self.target.query(
            f'select shard_id, sequence_number, kinesis_data from "{self.target.stream_schema}"."{STREAM}" '
            "order by refresh_time, length(sequence_number), sequence_number")
        return [(s, q, bytes(d)) for s, q, d in rows]

    def assert_exactly_once(self) -> list[tuple[str, str, bytes]]:
        relayed = self.relayed()
        # the multiset of (shard, sequence number): every record put, each exactly once
        assert Counter((s, q) for s, q, _ in relayed) == Counter((s, q) for s, q, _ in self.puts)
        assert {(s, q): d for s, q, d in relayed} == {(s, q): d for s, q, d in self.puts}
        return relayed

    def mirror(self, table: str) -> dict[tuple, dict]:
        return mirror_rows(self.target, table)

    def assert_mirrors_exact(self) -> None:
        """Every record relayed once, and each mirror equal to the reference model over the stand-in,
        which is the workload's source state."""
        sent = [(q, d) for _, q, d in self.assert_exactly_once()]
        state = encoded_state(self.workload)
        for table, key in KEYS.items():
            reference = expected_rows(sent, table, list(key), "public")
            assert reference == state[table]
            want = {k: {c: normalize(v) for c, v in decode_row(table, data).items()} for k, data in reference.items()}
            actual = self.mirror(table)
            assert actual.keys() == want.keys(), (sorted(set(actual) ^ set(want))[:10])
            assert actual == want

    def count(self, table: str) -> int:
        return self.target.query(f"select count(*) from {self.target.rel(table)}")[0][0]


def empty_warehouse(target: Target) -> None:
    """Drop what earlier tests built; the runner's setup makes the stand-in again."""
    if target.name == "local":
        for schema, name, kind in target.query("select table_schema, table_name, table_type from information_schema.tables "
                                               "where table_schema in ('main', ?)", [target.stream_schema]):
            target.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists "{schema}"."{name}" cascade')
        target.execute(f'drop schema if exists "{target.stream_schema}" cascade')
    else:
        target.execute(f'drop schema if exists "{target.schema}" cascade; drop schema if exists "{target.stream_schema}" cascade')


@pytest.fixture
def shop(project, kinesis, monkeypatch) -> Shop:
    for k, v in project.env.items():
        monkeypatch.setenv(k, v)
    empty_warehouse(project)
    fresh_stream(kinesis)
    made = Shop(project, kinesis, ShopWorkload(seed=7, clock=wall_clock, redeliver_rate=0.2))
    yield made
    for runner in made.runners:  # one runner per project: the next test's may start
        runner.close()


class RecordingEvent(threading.Event):
    """The runner's stop event, noting every wait the loop asks for."""

    def __init__(self):
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return super().wait(timeout)


def close(runner: Runner) -> None:
    """What a process exit does: the runner's warehouse connections, leases and project lock go."""
    runner.close()


# ---------------------------------------------------------------- restarts
@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_restart_mid_stream_keeps_the_mirrors_exact(shop):
    shop.put(shop.workload.initial_load(30))
    done, a_stopped = threading.Event(), threading.Event()
    done_at: list[dt.datetime] = []
    failed: list[BaseException] = []

    def produce() -> None:  # until runner A has stopped, and then some more while B starts
        try:
            after = 0
            while after < 20:
                after += a_stopped.is_set()
                records = [(r.to_bytes(), record_partition_key(r)) for r in shop.transactions(3)]
                records += [(raw, "redelivery") for raw in shop.workload.maybe_redeliver()]
                shop.put(records)
                time.sleep(0.03)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)
        finally:
            done_at.append(wall_clock())
            done.set()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()

    # runner A: a few cycles, then one that relays records and dies before dbt applies them
    a = shop.runner(every=0.1)
    reports_a: list[CycleReport] = []
    original_invoke = a.dbt.invoke

    def dies_applying(*args: str, **kwargs):
        if args[0] == "run":
            raise RuntimeError("killed")
        return original_invoke(*args, **kwargs)

    def dies_in_the_plan():
        raise RuntimeError("killed")

    def on_a(report: CycleReport) -> None:
        reports_a.append(report)
        if report.error:
            a.stop()
        elif sum(1 for r in reports_a if r.ingested) >= 2:
            seen = len(shop.puts)
            deadline = time.monotonic() + 5
            while len(shop.puts) == seen and time.monotonic() < deadline:
                time.sleep(0.01)  # the next pull has something to relay
            a.dbt.invoke, a._run_plan = dies_applying, dies_in_the_plan  # a dbt run or a planned cycle

    assert a.run(on_report=on_a, handle_signals=False, cycles=50) == 1
    a_stopped.set()
    assert not done.is_set()
    last = reports_a[-1]
    assert last.error == "RuntimeError: killed" and last.ingested > 0  # relayed, never applied
    relayed_by_a = len(shop.relayed())
    assert relayed_by_a == sum(r.ingested for r in reports_a)
    close(a)

    # runner B: a new instance with new connections, until everything put is relayed and applied
    b = shop.runner(every=0.1)
    reports_b: list[CycleReport] = []

    def on_b(report: CycleReport) -> None:
        reports_b.append(report)
        assert report.error is None, report.error
        if done.is_set() and report.started_at > done_at[0] and report.ingested == 0:
            b.stop()

    assert b.run(on_report=on_b, handle_signals=False, cycles=200) == 0
    assert b.stop_requested.is_set(), "runner B never caught up"
    producer.join()
    assert not failed, failed
    close(b)
    assert 0 < relayed_by_a < relayed_by_a + sum(r.ingested for r in reports_b) == len(shop.puts)
    assert shop.workload.redelivered > 0  # re-deliveries went through the restart too
    shop.assert_mirrors_exact()  # B applied what A relayed and never applied, and all since


# ---------------------------------------------------------------- errors and backoff
@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_failing_cycles_are_one_line_retried_with_growing_backoff_and_lose_nothing(shop, monkeypatch):
    loaded = shop.workload.initial_load(20)
    shop.put(loaded)
    r = shop.runner(every=0.05)
    r.stop_requested = RecordingEvent()
    r.setup()
    insert, pull, invoke = Relay._insert, r.relays[0].pull, r.dbt.invoke

    def insert_then_fail(self, cur, rows):  # cycle 1: the rows are in the transaction, which never commits
        insert(self, cur, rows)
        if r.cycles == 1:
            raise RuntimeError("disk full\nsecond line of detail")

    def run_fails(*args: str, **kwargs):  # cycle 2: relayed, then dbt fails (the first cycle is a dbt run)
        if args[0] == "run" and r.cycles == 2:
            raise StreamleapError("dbt run failed: cart: out of memory")
        return invoke(*args, **kwargs)

    def pull_fails():  # cycle 3: Kinesis goes away
        if r.cycles == 3:
            raise ConnectionError("connection reset by peer\n(more)")
        return pull()

    monkeypatch.setattr(Relay, "_insert", insert_then_fail)
    monkeypatch.setattr(r.dbt, "invoke", run_fails)
    monkeypatch.setattr(r.relays[0], "pull", pull_fails)
    reports: list[CycleReport] = []
    reported_at: list[float] = []

    def on_report(report: CycleReport) -> None:
        reports.append(report)
        reported_at.append(time.time())
        if report.cycle == 2:
            shop.put(shop.transactions(5))  # more arrive while the loop is failing

    failures = r.run(cycles=5, on_report=on_report, max_backoff=0.25, handle_signals=False)
    assert failures == 3
    errors = [rep.error for rep in reports]
    assert errors[:3] == ["RuntimeError: disk full", "dbt run failed: cart: out of memory",
                          "ConnectionError: connection reset by peer"]
    assert errors[3:] == [None, None]
    assert all("\n" not in e for e in errors[:3])
    # 1: nothing committed; 2: relayed the load; 3: nothing; 4: relayed what came since and applied all
    assert [rep.ingested for rep in reports] == [0, len(loaded), 0, len(shop.puts) - len(loaded), 0]
    # the wait doubles with each failure in a row, up to max_backoff; after a success it is the period's rest
    waits = r.stop_requested.waits
    assert waits[:3] == [pytest.approx(0.1), pytest.approx(0.2), pytest.approx(0.25)]
    assert len(waits) == 4 and 0 <= waits[3] <= 0.05  # no wait after the last of --cycles
    gaps = [reports[i + 1].started_at.timestamp() - reported_at[i] for i in range(3)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[1] > gaps[0] and gaps[2] >= 0.24
    assert reports[3].applied["cart"] > 0 and reports[3].applied["cart_item"] > 0
    shop.assert_mirrors_exact()


@pytest.mark.parametrize("project", ["local"], indirect=True)
def test_a_broken_model_fails_cycles_until_it_is_fixed(shop):
    broken = shop.target.project / "models" / "broken.sql"
    shop.put(shop.workload.initial_load(10))
    r = shop.runner(every=0.01)
    reports: list[CycleReport] = []

    def on_report(report: CycleReport) -> None:
        reports.append(report)
        shop.put(shop.transactions(3))
        if report.cycle == 1:
            broken.write_text("{{ config(materialized='table' }}\nselect 1 as x\n")  # Jinja: parse fails
        elif report.cycle == 2:
            broken.write_text("select from from nowhere\n")  # parses, fails in the warehouse
        elif report.cycle == 3:
            broken.unlink()

    try:
        failures = r.run(cycles=5, on_report=on_report, max_backoff=0.02, handle_signals=False)
    finally:
        broken.unlink(missing_ok=True)
    assert failures == 2
    assert reports[0].error is None
    # one line each, with dbt's reason (not only its "Compilation Error in model ..." header)
    assert reports[1].error.startswith("dbt parse failed in ") and "\n" not in reports[1].error
    assert "broken.sql" in reports[1].error and "expected ')'" in reports[1].error
    assert reports[2].error.startswith("dbt run failed: broken: ") and "\n" not in reports[2].error
    assert "syntax error" in reports[2].error
    assert reports[1].ingested == 0  # the parse failed before the relay ran
    assert reports[2].reparsed and reports[2].ingested > 0
    assert reports[3].error is None and reports[3].reparsed
    assert reports[4].error is None and not reports[4].reparsed
    r.cycle()  # what the last on_report put
    shop.assert_mirrors_exact()


# ---------------------------------------------------------------- shutdown
@pytest.mark.parametrize("project", ["local"], indirect=True)
def test_stop_finishes_the_cycle_in_flight_and_returns_promptly(shop):
    loaded = shop.workload.initial_load(12)
    shop.put(loaded)
    r = shop.runner(every=0.05)
    r.setup()
    in_flight = threading.Event()
    invoke = r.dbt.invoke

    def slow_run(*args: str, **kwargs):
        if args[0] == "run":
            in_flight.set()
            time.sleep(0.4)  # stop() arrives while dbt applies
        return invoke(*args, **kwargs)

    r.dbt.invoke = slow_run
    reports: list[CycleReport] = []
    thread = threading.Thread(target=lambda: r.run(on_report=reports.append, handle_signals=False), daemon=True)
    thread.start()
    assert in_flight.wait(30)
    r.stop()
    stopped = time.monotonic()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - stopped < 5
    assert len(reports) == r.cycles == 1  # the cycle in flight finished; no other began
    assert reports[0].error is None and reports[0].ingested == len(loaded)
    assert reports[0].applied == {"cart": 12, "cart_item": sum(1 for x in loaded if x.table == "cart_item")}
    shop.assert_mirrors_exact()

    # stop() during a long backoff wait ends it at once
    r.close()
    r2 = shop.runner(every=10)
    r2.setup()
    r2.relays[0].pull = lambda: (_ for _ in ()).throw(ConnectionError("no route to host"))
    first = threading.Event()
    thread = threading.Thread(target=lambda: r2.run(on_report=lambda rep: first.set(), handle_signals=False,
                                                    max_backoff=60), daemon=True)
    thread.start()
    assert first.wait(30)
    time.sleep(0.1)
    r2.stop()
    stopped = time.monotonic()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - stopped < 1 and r2.cycles == 1


def bare_project(directory: Path, stream_schema: str = "kinesis") -> Path:
    """A project as `streamleap init` + `generate` leave it: never run, nothing in the warehouse."""
    init_project(directory)
    generate_models(directory, plan_tables(parse_ddl(SHOP_DDL, "postgres")), STREAM, stream_schema)
    run_dbt(["deps", "--quiet"], directory)
    return directory


def streamleap_command() -> list[str]:
    script = Path(sys.executable).parent / "streamleap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "streamleap"]


def test_a_moved_project_runs_on_the_duckdb_file_inside_it(kinesis, tmp_path, monkeypatch):
    """The generated profiles.yml names no absolute path: a project moved to another directory
    works on the DuckDB file inside it, with plain dbt inside the project (`--profiles-dir .`) or
    from elsewhere (`--project-dir DIR --profiles-dir DIR`), and with `streamleap run --project-dir
    DIR` from anywhere."""
    for name in ("STREAMLEAP_DUCKDB_PATH", "STREAMLEAP_TARGET"):
        monkeypatch.delenv(name, raising=False)
    first = bare_project(tmp_path / "first")
    moved = tmp_path / "shared" / "shop_mirror"
    moved.parent.mkdir()
    first.rename(moved)

    # dbt in its own process (this one would keep the DuckDB file open, and locked, after a run)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    dbt_cli = str(Path(sys.executable).parent / "dbt")
    stand_in = json.dumps({"stream_schema": "kinesis", "stream_name": STREAM})
    # the stand-in made from inside the project, the mirrors built from its parent: each command
    # finds the one file in moved/ (a command that looked elsewhere would make a second file, or
    # the run would find no stand-in)
    for cwd, where, command in ((moved, [".", "."], ["run-operation", "streamleap.create_stream_source", "--args", stand_in]),
                                (moved.parent, [moved.name, moved.name], ["run"])):
        done = subprocess.run([dbt_cli, *command, "--project-dir", where[0], "--profiles-dir", where[1]],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (cwd, command, done.stdout[-3000:])
    assert [p.name for p in tmp_path.rglob("*.duckdb")] == ["streamleap.duckdb"]
    assert Target("local", moved).relation_exists("cart")  # built by dbt in moved/streamleap.duckdb

    fresh_stream(kinesis)
    shop = Shop(Target("local", moved), kinesis, ShopWorkload(seed=5, clock=wall_clock))
    shop.put(shop.workload.initial_load(12) + shop.transactions(6))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = cli("run", "--project-dir", moved, "--kinesis-endpoint", kinesis.endpoint_url, "--region", "us-east-1",
                 "--every", "0", "--cycles", "1", "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert json.loads(result.stdout)["ingested"] == len(shop.puts)
    shop.assert_mirrors_exact()  # relayed into and applied in moved/streamleap.duckdb
    assert [p.name for p in tmp_path.rglob("*.duckdb")] == ["streamleap.duckdb"]


def test_ctrl_c_stops_the_process_after_the_cycle_in_flight(kinesis, tmp_path):
    # the warehouse file is opened by the child only: DuckDB allows one writing process
    project = bare_project(tmp_path / "sigint")
    fresh_stream(kinesis)
    shop = Shop(Target("local", project), kinesis, ShopWorkload(seed=3, clock=wall_clock))
    shop.put(shop.workload.initial_load(15) + shop.transactions(10))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    env.update(CLI_ENV, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*streamleap_command(), "run", "--project-dir", str(project), "--kinesis-endpoint", kinesis.endpoint_url,
         "--region", "us-east-1", "--every", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    stderr: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    out: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while sum(line.startswith("cycle ") for line in out) < 2:
            assert proc.poll() is None, (out, stderr)
            try:
                out.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no cycle lines within 90 s: {out} {stderr}") from None
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.2)  # the readers drain the pipes
    while not lines.empty():
        out.append(lines.get())
    text = "".join(out) + "".join(stderr)
    assert code == 0, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert out[-1].strip() == "stopped after the cycle in flight"
    cycles = [line for line in out if line.startswith("cycle ")]
    assert all("FAILED" not in line for line in cycles), cycles
    assert f"ingested {len(shop.puts)}," in cycles[0]
    shop.assert_mirrors_exact()


# ---------------------------------------------------------------- --json
@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_run_json_prints_one_object_per_cycle_with_the_right_numbers(shop, kinesis):
    loaded = shop.workload.initial_load(25)
    shop.put(loaded)
    args = ["run", "--project-dir", shop.target.project, "--target", shop.target.name, "--kinesis-endpoint",
            kinesis.endpoint_url, "--region", "us-east-1", "--every", "0.05", "--cycles", "2", "--json"]
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "stopped after" not in result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    first, second = (json.loads(line) for line in lines)
    assert set(first) == set(second) == REPORT_KEYS
    n_items = sum(1 for r in loaded if r.table == "cart_item")
    assert (first["cycle"], first["ingested"], first["applied"], first["set_aside"], first["error"]) == (
        1, len(loaded), {"cart": 25, "cart_item": n_items}, 0, None)
    assert (second["cycle"], second["ingested"], second["applied"], second["error"]) == (
        2, 0, {"cart": 0, "cart_item": 0}, None)
    assert 0 < first["lag_ms"] < 60_000 and first["duration_ms"] > 0
    assert second["lag_ms"] == 0  # nothing new: caught up (as status says), not the time since the last change
    assert dt.datetime.fromisoformat(first["started_at"]) < dt.datetime.fromisoformat(second["started_at"])
    shop.assert_mirrors_exact()

    # changes after the load: applied counts what changed, per table
    shop.put(shop.transactions(12))
    result = cli(*args[:-3], "--cycles", "1", "--json")
    report = json.loads(result.stdout)
    assert report["ingested"] == len(shop.puts) - len(loaded)
    assert report["applied"]["cart"] > 0 and report["applied"]["cart_item"] > 0 and report["lag_ms"] > 0
    shop.assert_mirrors_exact()



@pytest.mark.parametrize("project", ["local"], indirect=True)  # the runner's count; the package's log line is every target's
def test_a_dbt_run_cycle_reports_what_it_applied_and_0_for_the_rest(shop):
    """A runner's first cycle is a `dbt run` of every model: a mirror with nothing new reports 0, not
    what an earlier cycle applied (its state row's applied_rows)."""
    shop.put(shop.workload.initial_load(10))
    first_runner = shop.runner(every=0)
    first = first_runner.cycle()
    assert first.error is None and first.ran is None and first.applied["cart"] == 10 and first.applied["cart_item"] > 0
    first_runner.close()
    carts = [r for r in shop.transactions(20) if r.table == "cart"]
    shop.put(carts)
    report = shop.runner(every=0).cycle()
    assert report.error is None and report.ran is None  # a dbt run again
    assert report.applied["cart_item"] == 0 and 0 < report.applied["cart"] <= len(carts), report.applied

@pytest.mark.parametrize("project", ["local"], indirect=True)
def test_a_bounded_run_that_ends_on_a_failed_cycle_exits_1(shop, kinesis):
    shop.client.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)  # the stream is gone
    result = cli("run", "--project-dir", shop.target.project, "--target", shop.target.name, "--kinesis-endpoint",
                 kinesis.endpoint_url, "--region", "us-east-1", "--every", "0", "--cycles", "1", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout.splitlines()[0])
    assert report["error"] and "\n" not in report["error"]
    assert_one_error_line(result, "the last cycle failed")



@pytest.mark.parametrize("project", ["local"], indirect=True)
def test_run_json_keeps_stdout_for_its_reports_when_dbt_fails(shop, kinesis):
    """dbt's own lines about a failed model go to stderr: every line on stdout is a report."""
    broken = shop.target.project / "models" / "broken_report.sql"
    broken.write_text("select * from a_table_that_is_not_there\n")
    try:
        shop.put(shop.workload.initial_load(5))
        result = cli("run", "--project-dir", shop.target.project, "--target", shop.target.name, "--kinesis-endpoint",
                     kinesis.endpoint_url, "--region", "us-east-1", "--every", "0", "--cycles", "1", "--json")
    finally:
        broken.unlink()
    assert result.exit_code == 1, (result.stdout, result.stderr)
    reports = [json.loads(line) for line in result.stdout.splitlines()]  # nothing else on stdout
    assert len(reports) == 1 and "broken_report" in reports[0]["error"], reports
    assert "a_table_that_is_not_there" in result.stderr  # dbt's message, for whoever reads the log

# ---------------------------------------------------------------- re-parse
@pytest.mark.parametrize("project", ["local"], indirect=True)
def test_a_project_change_is_parsed_again_once(shop):
    extra = shop.target.project / "models" / "cart_count.sql"
    shop.put(shop.workload.initial_load(10))
    r = shop.runner(every=0)
    try:
        first, unchanged = r.cycle(), r.cycle()
        assert not first.reparsed and not unchanged.reparsed and first.error is None
        extra.write_text("{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('cart') }}\n")
        added = r.cycle()
        assert added.error is None and added.reparsed
        assert shop.target.query(f"select n from {shop.target.rel('cart_count')}")[0][0] == shop.count("cart")
        assert not r.cycle().reparsed
        extra.write_text("{{ config(materialized='table') }}\nselect 1000 + count(*) as n from {{ ref('cart') }}\n")
        shop.put(shop.transactions(8))
        edited = r.cycle()
        assert edited.error is None and edited.reparsed and edited.ingested > 0
        assert shop.target.query(f"select n from {shop.target.rel('cart_count')}")[0][0] == 1000 + shop.count("cart")
        assert not r.cycle().reparsed
    finally:
        extra.unlink(missing_ok=True)
    assert r.cycle().reparsed  # removing a file is a change too
    shop.assert_mirrors_exact()


# ---------------------------------------------------------------- status
@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_status_reports_rows_last_change_lag_set_aside_and_relay_positions(shop):
    good = shop.workload.initial_load(15) + shop.transactions(20)
    old = dt.datetime(2020, 1, 1)
    no_key = {"cart_id": None, "customer_id": 1, "status": "open", "item_count": 0, "total": "0.00",
              "created_at": "2020-01-01 00:00:00", "updated_at": "2020-01-01 00:00:00"}
    malformed = [
        ChangeRecord("public", "cart", "insert", no_key, commit_ts=old, transaction_id=1, transaction_record_id=1),
        ChangeRecord("public", "cart", "upsert", {**no_key, "cart_id": 5}, commit_ts=old, transaction_id=2,
                     transaction_record_id=1),
        ChangeRecord("public", "cart_item", "insert", {"cart_id": 1, "line_no": None}, commit_ts=old,
                     transaction_id=3, transaction_record_id=1),
    ]
    shop.put(good + [(r.to_bytes(), "bad") for r in malformed] + [(b"\x00not json", "junk")])
    r = shop.runner(every=0)
    while r.cycle().ingested:
        pass
    close(r)
    status = collect_status(shop.target.project, shop.target.name)
    assert (status["target"], status["kind"]) == (shop.target.name, "duckdb" if shop.target.name == "local" else "postgres")
    tables = {t["model"]: t for t in status["tables"]}
    assert set(tables) == {"cart", "cart_item"}
    for name, t in tables.items():
        assert t["source"] == f"public.{name}"
        assert t["rows"] == shop.count(name) == len(shop.workload.state()[name]) > 0
        newest = max(naive_utc(x.commit_ts or x.timestamp) for x in good if x.table == name)
        assert dt.datetime.fromisoformat(t["last_change_at"]) == newest
        # every record relayed is applied: caught up, lag 0 (not the age of the newest change)
        assert (t["pending"], t["caught_up"], t["lag_s"]) == (0, True, 0.0)
    assert status["caught_up"] is True
    assert (tables["cart"]["set_aside"], tables["cart_item"]["set_aside"]) == (2, 1)
    assert status["set_aside_total"] == 4  # and the record that is not JSON, which belongs to no table
    positions = {p["shard_id"]: p for p in status["relay_positions"]}
    last_put: dict[str, int] = {}
    for s, q, _ in shop.puts:
        last_put[s] = max(last_put.get(s, 0), int(q))
    assert {s: int(p["sequence_number"]) for s, p in positions.items()} == last_put
    relay_view = Relay(shop.client, STREAM, r.warehouse, shop.target.stream_schema)
    assert {s: p["sequence_number"] for s, p in positions.items()} == relay_view.positions()
    relay_view.close()
    assert all(p["stream"] == STREAM and p["closed"] is False and p["updated_at"] for p in positions.values())
    shop.assert_mirrors_exact()

    # the command line says the same
    target_args = ["--project-dir", shop.target.project, "--target", shop.target.name]
    result = cli("status", *target_args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    for t in (*doc["tables"], *status["tables"]):
        t.pop("lag_s")
    assert doc == status
    result = cli("status", *target_args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    for name, t in tables.items():
        cells = next(cells for line in result.stdout.splitlines()
                     if len(cells := [c.strip() for c in line.split("│")]) > 2 and cells[1] == name)
        assert cells[2:8] == [f"public.{name}", str(t["rows"]), t["last_change_at"], "caught up", "0", str(t["set_aside"])]
    assert "caught up: every record in the staging view is applied" in result.stdout
    assert "relay positions: stream=shop_cdc, shard_id=shardId-000000000000" in result.stdout

    # records relayed but not applied yet: pending, not caught up, the lag grows again
    more = shop.transactions(5)
    shop.put(more)
    relay = Relay(shop.client, STREAM, r.warehouse, shop.target.stream_schema)
    assert relay.pull().records == len(more)
    relay.close()
    behind = collect_status(shop.target.project, shop.target.name)
    assert behind["caught_up"] is False
    for t in behind["tables"]:
        assert (t["pending"], t["caught_up"]) == (len(more), False)  # the next run reads every new record
        assert 0 < t["lag_s"] < 120
    result = cli("status", *target_args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "caught up" not in result.stdout
    for name in tables:
        cells = next(cells for line in result.stdout.splitlines()
                     if len(cells := [c.strip() for c in line.split("│")]) > 2 and cells[1] == name)
        assert cells[5].endswith(" s") and cells[6] == str(len(more))
    r = shop.runner(every=0)
    r.cycle()
    close(r)
    assert collect_status(shop.target.project, shop.target.name)["caught_up"] is True


@pytest.mark.parametrize("target_name", TARGETS)
def test_status_of_a_project_that_never_ran(target_name, tmp_path, monkeypatch, request):
    env = {}
    if target_name == "postgres":
        import re

        m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", request.getfixturevalue("pg_url"))
        env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
               "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": f"never_{uuid.uuid4().hex[:8]}"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    project = bare_project(tmp_path / "never", stream_schema=f"k_never_{uuid.uuid4().hex[:8]}")
    status = collect_status(project, target_name)
    assert [(t["model"], t["rows"], t["last_change_at"], t["lag_s"], t["set_aside"]) for t in status["tables"]] == [
        ("cart", None, None, None, 0), ("cart_item", None, None, None, 0)]
    assert [(t["pending"], t["caught_up"]) for t in status["tables"]] == [(None, False), (None, False)]
    assert status["set_aside_total"] == 0 and status["relay_positions"] == [] and status["caught_up"] is False
    result = cli("status", "--project-dir", project, "--target", target_name, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert [t["rows"] for t in json.loads(result.stdout)["tables"]] == [None, None]
    result = cli("status", "--project-dir", project, "--target", target_name)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stdout.count("not built") == 2


# ---------------------------------------------------------------- errors
def test_run_and_status_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for command in ("run", "status"):
        assert_one_error_line(cli(command, "--project-dir", empty), str(empty), "streamleap init")
        assert_one_error_line(cli(command, "--project-dir", tmp_path / "nowhere"), "nowhere", "streamleap init")
    no_streams = tmp_path / "no_streams"
    init_project(no_streams)
    run_dbt(["deps", "--quiet"], no_streams)
    assert_one_error_line(cli("run", "--project-dir", no_streams, "--kinesis-endpoint", "http://127.0.0.1:9"),
                          "no streaming_mv model", "streamleap generate")
    assert_one_error_line(cli("run", "--project-dir", no_streams, "--target", "nope"), "--target nope", "local")


# ---------------------------------------------------------------- issue 10: re-created streams, second runners, taken ports
def run_args(shop: Shop, kinesis: LocalKinesis, *more: Any) -> list[Any]:
    return ["run", "--project-dir", shop.target.project, "--target", shop.target.name, "--kinesis-endpoint",
            kinesis.endpoint_url, "--region", "us-east-1", "--every", "0", *more]


@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_a_recreated_stream_stops_the_run_in_one_line_and_restart_stream_reads_it_from_its_beginning(shop, kinesis):
    shop.put(shop.workload.initial_load(20) + shop.transactions(30))
    result = cli(*run_args(shop, kinesis, "--cycles", "1", "--json"))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    shop.assert_mirrors_exact()
    relayed = len(shop.relayed())
    fresh_stream(kinesis)  # kinesis-local restarted: the stream is there again, empty, numbered from 1
    shop.put(shop.transactions(10))
    result = cli(*run_args(shop, kinesis, "--cycles", "5", "--json"))
    line = assert_one_error_line(result, f"Kinesis stream {STREAM} was re-created", "--restart-stream")
    assert "StreamChangedError" not in line
    reports = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(reports) == 1 and reports[0]["ingested"] == 0  # it stopped at once, whatever --cycles said
    assert len(shop.relayed()) == relayed  # nothing past the point of loss
    result = cli(*run_args(shop, kinesis, "--cycles", "2", "--json", "--restart-stream"))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "read from its beginning" in result.stderr
    assert [json.loads(x)["ingested"] for x in result.stdout.splitlines()] == [len(shop.puts) - relayed, 0]
    shop.assert_mirrors_exact()


@pytest.mark.parametrize("project", TARGETS, indirect=True)
def test_a_second_runner_on_a_project_or_stream_refuses_in_one_line(shop, kinesis, tmp_path):
    shop.put(shop.workload.initial_load(10))
    first = shop.runner(every=0)
    assert first.cycle().error is None
    result = cli(*run_args(shop, kinesis, "--cycles", "1"))
    assert_one_error_line(result, f"another streamleap run (PID {os.getpid()}) is running on project "
                                  f"{shop.target.project}", "one runner per project")
    if shop.target.name == "postgres":
        # the same warehouse and stream from a copy of the project: the stream's lease refuses it
        import shutil

        copy = tmp_path / "copy"
        shutil.copytree(shop.target.project, copy, ignore=shutil.ignore_patterns("target", "logs"))
        result = cli("run", "--project-dir", copy, "--target", "postgres", "--kinesis-endpoint", kinesis.endpoint_url,
                     "--region", "us-east-1", "--every", "0", "--cycles", "1")
        line = assert_one_error_line(result, f"stream {STREAM} is already relayed into", "streamleap relay, PID "
                                     f"{os.getpid()}", "Postgres backend", "one runner (or relay) per stream")
        for raw in ("psycopg2", "UniqueViolation", "already exists"):
            assert raw not in line
    shop.put(shop.transactions(10))
    assert first.cycle().error is None
    first.close()
    result = cli(*run_args(shop, kinesis, "--cycles", "1"))  # the first one gone, the next one runs
    assert result.exit_code == 0, (result.stdout, result.stderr)
    shop.assert_mirrors_exact()


def _streamleap_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    env.update(CLI_ENV, PYTHONUNBUFFERED="1")
    return env


def test_a_held_duckdb_file_is_named_by_pid_and_status_shows_the_runners_last_report(kinesis, tmp_path):
    project = bare_project(tmp_path / "held")
    fresh_stream(kinesis)
    shop = Shop(Target("local", project), kinesis, ShopWorkload(seed=11, clock=wall_clock))
    shop.put(shop.workload.initial_load(10))
    args = ["--project-dir", str(project), "--kinesis-endpoint", kinesis.endpoint_url, "--region", "us-east-1"]
    env = _streamleap_env()
    # some other process (a DuckDB shell, a notebook) holds the file
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(project / 'streamleap.duckdb')!r})\nprint('ready', flush=True)\n"
                               "time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for command in (["run", "--cycles", "1", "--every", "0"], ["status"]):
            done = subprocess.run([*streamleap_command(), command[0], *args[:2], *(args[2:] if command[0] == "run" else []),
                                   *command[1:]], env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 1, (command, done.stdout, done.stderr)
            lines = done.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
            assert f"is locked by PID {holder.pid}" in lines[0] and "stop that process" in lines[0]
            assert "AttributeError" not in lines[0] and "Traceback" not in done.stderr
    finally:
        holder.kill()
        holder.wait()

    # a runner holds it: a second runner names it; status shows the runner's last report
    runner = subprocess.Popen([*streamleap_command(), "run", *args, "--every", "0.2", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(runner.stdout.readline())
        assert first["error"] is None and first["ingested"] == len(shop.puts), first
        second = subprocess.run([*streamleap_command(), "run", *args, "--cycles", "1"], env=env, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 1 and len(second.stderr.splitlines()) == 1, second.stderr
        assert f"another streamleap run (PID {runner.pid}) is running on project {project}" in second.stderr
        status = subprocess.run([*streamleap_command(), "status", *args[:2]], env=env, capture_output=True, text=True,
                                timeout=120)
        assert status.returncode == 0, (status.stdout, status.stderr)
        out = status.stdout.strip()
        assert len(out.splitlines()) == 1 and out.startswith(f"streamleap run (PID {runner.pid}) holds the DuckDB file")
        assert "last report (cycle " in out and "): ingested " in out
        doc = json.loads(subprocess.run([*streamleap_command(), "status", *args[:2], "--json"], env=env,
                                        capture_output=True, text=True, timeout=120).stdout)
        assert doc["locked_by"] == runner.pid and doc["last_cycle"]["cycle"] >= 1 and doc["tables"] == []
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=60)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()
    shop.assert_mirrors_exact()
    assert collect_status(project, "local")["caught_up"] is True  # and once it stopped, status reads the file


def test_kinesis_local_on_a_taken_port_says_so_in_one_line(tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        failed: list[BaseException] = []

        def start() -> None:
            try:
                LocalKinesis(port=port).start().stop()
            except BaseException as exc:  # noqa: BLE001 - what start() raised is the point
                failed.append(exc)

        thread = threading.Thread(target=start, daemon=True)  # a start() that hangs fails the test, not the run
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), "LocalKinesis.start() hangs on a taken port"
        assert len(failed) == 1 and isinstance(failed[0], OSError), failed
        done = subprocess.run([*streamleap_command(), "kinesis-local", "--port", str(port), "--stream", "s"],
                              env=_streamleap_env(), capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.splitlines() == [f"Error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in "
                                        "use); pick another port"]
