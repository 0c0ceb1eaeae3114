"""Part "tables" of `make bench` (bench/run.py --parts tables): what one `streamleap run` cycle
costs against the number of mirrored tables (issue 11).

For projects of 2, 50, 200 and 500 mirrored tables (--quick: 2, 20, 50), on DuckDB and on
Postgres, each (target, size) in a child process of its own (bench/run.py's orchestrator):

- first build: the runner's first cycle on a new project whose stream holds an initial load (3 rows
  per table): `Runner.setup()` and `Runner.cycle()` (a `dbt run` of the whole project)
  in a process of its own, its wall time and its peak RSS (ru_maxrss of that
  process, from wait4);
- then, in the measuring process, the real `streamleap.pipeline.runner.Runner` on the built project, with
  DMS records appended straight into the stream stand-in (bench/harness.py's append_records: no
  Kinesis endpoint, no relay, the way Redshift's streaming view hands records to a cycle; the
  runner's relays are set aside after setup; it renders the cycle plan as its first cycle would);
  after two idle warm-up cycles, rounds of: an idle cycle (nothing new), a cycle after 10 changes to one table, a cycle after
  1,000 changes spread over 20 tables (or all of them when fewer); every cycle checked to be a
  planned one (not a `dbt run` fallback) without error;
- statements and commits per cycle: the runner's own count (CycleReport.statements/commits, the
  planned cycle's statements on its connection) on both targets; on Postgres also counted by the
  server: this part starts its own throw-away server with pg_stat_statements (track = top,
  utility statements included: BEGIN/COMMIT count), reset before each measured cycle and summed
  after it over the bench database (the observer's own queries run in another database); write
  transactions are the transaction ids assigned meanwhile (pg_current_snapshot's xmax delta);
- at the end every mirror is read back and compared, row by row (id and values), with what was
  sent: a fast cycle that applies the wrong thing cannot pass.

Its section of results.md and its chart (tables.png) are bench/report.py's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import HERE, PG_CONF, STREAM, Sequence, append_records, now_s
from streamleap.demo.stats import median, percentile

SIZES = (2, 50, 200, 500)
QUICK_SIZES = (2, 20, 50)
KINDS = ("duckdb", "postgres")
TARGET_OF = {"duckdb": "local", "postgres": "postgres"}
SPREAD_TABLES, SPREAD_CHANGES, ONE_CHANGES = 20, 1_000, 10
# targets (issue 11): ratios within one run
IDLE_RATIO, ONE_RATIO = 1.5, 2.0
PG_STATS_CONF = {"shared_preload_libraries": "'pg_stat_statements'", "pg_stat_statements.track": "top",
                 "pg_stat_statements.track_utility": "on", "pg_stat_statements.max": "20000"}
DB = "bench"
STAND_IN = "stand-in"  # the lane of records appended straight into the stream stand-in (Visibility)


def jobs(quick: bool) -> list[tuple[str, str, str]]:
    """(result key, part, arg) for bench/run.py's orchestrator."""
    return [(f"tables_{kind}_{n}", "tables", f"{kind}:{n}") for kind in KINDS for n in (QUICK_SIZES if quick else SIZES)]


def _ddl(n: int) -> str:
    return "\n".join(f"create table public.t{i:03d} (id bigint primary key, v varchar(40), n integer, "
                     f"updated_at timestamp);" for i in range(n))


def new_project(project: Path, n: int) -> None:
    from streamleap.project.invoke import run_dbt
    from streamleap.sources.ddl import parse_ddl
    from streamleap.model.mirror_plan import plan_tables
    from streamleap.project.scaffold import generate_models, init_project

    init_project(project)
    generate_models(project, plan_tables(parse_ddl(_ddl(n), "postgres")), STREAM, "kinesis")
    run_dbt(["deps", "--quiet"], project)


def _runner(project: Path, target: str) -> Any:
    """The real runner, its relays set aside after setup (records go straight into the stand-in)."""
    from streamleap.pipeline.runner import Runner

    runner = Runner(project, target=target, kinesis=object(), every=0.0)
    runner.setup()  # parse, the project lock, the relays' leases, the stand-in
    runner.set_aside_relays, runner.relays = runner.relays, []
    return runner


def _close(runner: Any) -> None:
    runner.relays = runner.set_aside_relays
    runner.close()


# ------------------------------------------------------------------ the first build, in a process of its own
def first_build_main(project: str, target: str, n: int) -> dict:
    """The runner's first cycle on a new project whose stream holds an initial load (3 rows per
    table): setup, then a `dbt run` of every model (the runner renders the cycle plan in its next
    cycle; the measuring process times that render). Run by first_build in a child process
    (bench/run.py --child first_build)."""
    t0 = now_s()
    runner = _runner(Path(project), target)
    t1 = now_s()
    source = Source(int(n))
    append_records(runner.warehouse, "kinesis", STREAM, source.initial_load(), source.clock, Sequence())
    t2 = now_s()
    report = runner.cycle()
    t3 = now_s()
    _close(runner)
    return {"setup_s": t1 - t0, "cycle_s": t3 - t2, "total_s": (t1 - t0) + (t3 - t2), "error": report.error}


def first_build(project: Path, target: str, n: int, work: Path) -> dict:
    """The runner's first cycle in a child process: its times, and its peak RSS (wait4)."""
    out = work / f"{project.name}-first-build.json"
    log = work / f"{project.name}-first-build.log"
    with open(log, "w") as fh:
        t0 = now_s()
        proc = subprocess.Popen([sys.executable, str(HERE / "run.py"), "--child", "first_build",
                                 "--arg", json.dumps([str(project), target, n]), "--work", str(work), "--result", str(out)],
                                stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = now_s() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"first build failed ({proc.returncode}):\n{log.read_text()[-3000:]}")
    res = json.loads(out.read_text())
    if res["error"]:
        raise RuntimeError(f"first build: the runner's first cycle failed: {res['error']}")
    return {**res, "process_wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024}


# ------------------------------------------------------------------ what is sent, and what the mirrors must hold
class Source:
    """The rows each source table holds after the changes sent so far; DMS records for them."""

    def __init__(self, n: int):
        self.tables = [f"t{i:03d}" for i in range(n)]
        self.rows: dict[str, dict[int, tuple]] = {t: {} for t in self.tables}
        self.next_id = {t: 1 for t in self.tables}
        self.clock = dt.datetime(2030, 1, 1)
        self.tx = 0
        self.sent = 0

    def initial_load(self) -> list[bytes]:
        return self.changes({t: 3 for t in self.tables})

    def _values(self, table: str, key: int) -> tuple:
        return (f"{table}-{key}-{self.tx}", (key * 7 + self.tx) % 100_000, self.clock.replace(microsecond=0))

    def changes(self, per_table: dict[str, int]) -> list[bytes]:
        """One source transaction: per table, that many changes (updates, inserts and a delete
        every tenth), each key once."""
        from streamleap.records import ChangeRecord

        self.clock += dt.timedelta(seconds=1)
        self.tx += 1
        out: list[bytes] = []
        for table, count in per_table.items():
            rows = self.rows[table]
            existing = sorted(rows)
            for i in range(count):
                if i % 10 == 9 and existing:
                    key, op = existing.pop(), "delete"
                elif i % 2 == 0 and existing:
                    key, op = existing.pop(0), "update"
                else:
                    key, op = self.next_id[table], "insert"
                    self.next_id[table] += 1
                values = rows.pop(key) if op == "delete" else self._values(table, key)
                if op != "delete":
                    rows[key] = values
                data = {"id": key, "v": values[0], "n": values[1], "updated_at": values[2].isoformat(sep=" ")}
                out.append(ChangeRecord("public", table, op, data, commit_ts=self.clock, transaction_id=self.tx,
                                        transaction_record_id=len(out) + 1).to_bytes())
        self.sent += len(out)
        return out


def _spread(tables: list[str], k: int) -> list[str]:
    k = min(k, len(tables))
    return [tables[(i * len(tables)) // k] for i in range(k)]


# ------------------------------------------------------------------ server-side counts (Postgres)
class PgCounter:
    """Statements the server ran for the bench database (pg_stat_statements, track = top, BEGIN
    and COMMIT included), and the write transactions (transaction ids assigned), between begin()
    and end(); this observer's own statements run in database postgres and are not counted."""

    def __init__(self, port: int):
        import psycopg2

        self.con = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        self.con.autocommit = True
        self.cur = self.con.cursor()
        self.cur.execute("create extension if not exists pg_stat_statements")
        self.cur.execute(f"select oid from pg_database where datname = '{DB}'")
        self.dbid = self.cur.fetchone()[0]
        self.xmax = 0

    def _xmax(self) -> int:
        self.cur.execute("select pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        return int(self.cur.fetchone()[0])

    def begin(self) -> None:
        self.cur.execute("select pg_stat_statements_reset()")
        self.xmax = self._xmax()

    def end(self) -> dict:
        xids = self._xmax() - self.xmax
        self.cur.execute("select coalesce(sum(calls), 0), coalesce(sum(calls) filter (where query ~* '^\\s*commit'), 0), "
                         "coalesce(sum(total_exec_time), 0) from pg_stat_statements where dbid = %s", [self.dbid])
        calls, commits, exec_ms = self.cur.fetchone()
        self.cur.execute("select query, calls, total_exec_time from pg_stat_statements where dbid = %s "
                         "order by total_exec_time desc limit 4", [self.dbid])
        top = [{"statement": _label(q), "calls": int(c), "ms": round(float(t), 2)} for q, c, t in self.cur.fetchall()]
        return {"server_statements": int(calls), "server_commits": int(commits), "write_transactions": xids,
                "server_exec_ms": round(float(exec_ms), 2), "server_top": top}

    def close(self) -> None:
        self.con.close()


def _label(sql: str, width: int = 100) -> str:
    text = " ".join(re.sub(r"--[^\n]*", " ", sql).split())
    return text if len(text) <= width else text[: width - 3] + "..."


# ------------------------------------------------------------------ the part
def _server(kind: str) -> Any:
    """Postgres: this part's own throw-away server (pg_stat_statements loaded), the env pointing at it."""
    if kind != "postgres":
        return None
    import psycopg2

    from streamleap.demo.local_postgres import start_postgres

    server = start_postgres({**PG_CONF, **PG_STATS_CONF})
    con = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres")
    con.autocommit = True
    con.cursor().execute(f"create database {DB}")
    con.close()
    os.environ.update({"STREAMLEAP_PG_HOST": "127.0.0.1", "STREAMLEAP_PG_PORT": str(server.port),
                       "STREAMLEAP_PG_USER": "postgres", "STREAMLEAP_PG_DATABASE": DB, "STREAMLEAP_PG_SCHEMA": "bench"})
    return server


def part_tables(work: Path, arg: str, quick: bool) -> dict:
    kind, n = arg.split(":")
    server = _server(kind)
    try:
        return _measure(work, kind, int(n), quick, server)
    finally:
        if server is not None:
            server.stop()


# ------------------------------------------------------------------ many tables in the latency part
LATENCY_TABLES, LATENCY_RATE, LATENCY_EVERY = 200, 1_000, 0.5
LATENCY_P99_MS = 2_000.0


def latency_jobs(quick: bool) -> list[tuple[str, str, str]]:
    """(result key, part, arg) of the latency part's many-table workload."""
    n = 50 if quick else LATENCY_TABLES
    return [(f"latency_tables_{kind}", "latency_tables", f"{kind}:{n}") for kind in KINDS]


def part_latency(work: Path, arg: str, quick: bool) -> dict:
    kind, n = arg.split(":")
    server = _server(kind)
    try:
        return _latency(work, kind, int(n), 6.0 if quick else 18.0, server)
    finally:
        if server is not None:
            server.stop()


def _latency(work: Path, kind: str, n: int, duration: float, server: Any) -> dict:
    """LATENCY_RATE changes/s over LATENCY_TABLES tables, unevenly (table k gets a share
    proportional to 1/(k+1)), one source transaction appended to the stand-in every 20 ms with
    the append's own refresh_time; the real runner cycles every LATENCY_EVERY s. A change is
    visible when the lowest watermark of the mirrors has reached its refresh_time (the planned
    cycle moves every model's watermark to the batch's end): latency = the end of that cycle
    minus the wall time just before its append."""
    import random

    from streamleap.demo.producer import Producer
    from streamleap.demo.stats import Visibility
    from streamleap.project.manifest import read_state

    target = TARGET_OF[kind]
    project = work / f"latency_tables_{kind}"
    new_project(project, n)
    built = first_build(project, target, n, work)
    runner = _runner(project, target)
    import streamleap.pipeline.cycle as cycle

    runner._plan, runner._plan_manifest = cycle.load_plan(runner.dbt), runner.dbt.manifest
    runner._run_all = False
    warehouse = runner.warehouse
    source = Source(n)
    source.initial_load()  # what the first build applied
    base = source.clock + dt.timedelta(hours=1)  # refresh_time: past the first build's, moving with the wall clock
    seq = Sequence(10**9)
    weights = [1.0 / (k + 1) for k in range(n)]
    rng = random.Random(7)
    visibility = Visibility()  # one lane, the stand-in; a change's position: its append's refresh_time
    last = [base]  # the refresh_time of the last append
    mirror_refs = list(runner.models.mirrors.values())

    def write(due: int) -> int:
        """One source transaction of the changes due, appended to the stand-in."""
        if due <= 0:
            return 0
        per: dict[str, int] = {}
        for t in rng.choices(source.tables, weights, k=due):
            per[t] = per.get(t, 0) + 1
        wall = time.time()
        last[0] = max(base + dt.timedelta(seconds=wall - producer.started_at), last[0] + dt.timedelta(microseconds=1))
        source.clock = last[0] - dt.timedelta(seconds=1)
        raws = source.changes(per)  # moves source.clock 1 s on: to last[0], the append's refresh_time
        append_records(warehouse, "kinesis", STREAM, raws, last[0], seq)
        visibility.put(STAND_IN, last[0], wall, len(raws))
        return len(raws)

    producer = Producer(write, rate=LATENCY_RATE, duration=duration)
    cycles: list[float] = []
    changed_tables: list[int] = []
    started = time.time()
    producer.start()
    deadline = None
    try:
        while True:
            t0 = time.time()
            report = runner.cycle()
            end = time.time()
            if report.error:
                raise RuntimeError(f"cycle failed: {report.error}")
            cycles.append(end - t0)
            changed_tables.append(max(0, len(report.ran or []) - 1))
            marks = read_state(warehouse, mirror_refs, ("watermark",))
            watermark = None if len(marks) < len(mirror_refs) or None in marks.values() else min(m for m, in marks.values())
            if watermark is not None:
                visibility.applied_up_to({STAND_IN: watermark}, end)
            if producer.done.is_set():
                deadline = deadline or end + 120
                if visibility.all_visible() or end > deadline:
                    break
            time.sleep(max(0.0, LATENCY_EVERY - (end - t0)))
        if producer.error is not None:
            raise producer.error
        check = compare(warehouse, runner, source)
    finally:
        _close(runner)
    latencies = visibility.latencies_ms()
    return {"kind": kind, "tables": n, "rate": LATENCY_RATE, "duration_s": duration, "changes": producer.changes,
            "offered_per_s": producer.changes / duration, "wall_s": time.time() - started, "cycles": len(cycles),
            "cycle_median_s": median(cycles), "cycle_max_s": max(cycles), "changed_tables_median": median(changed_tables),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies, default=None), "records_measured": len(latencies),
            "caught_up": visibility.all_visible(), "first_build": built, **check}


def _measure(work: Path, kind: str, n: int, quick: bool, server: Any) -> dict:
    import streamleap.pipeline.cycle as cycle
    from streamleap.project.file_watch import ProjectWatch
    from streamleap.pipeline.runner import Runner

    target = TARGET_OF[kind]
    project = work / f"tables_{kind}_{n}"
    t0 = now_s()
    new_project(project, n)
    generate_s = now_s() - t0
    built = first_build(project, target, n, work)

    # per-statement client-side times of the planned cycle, and the state read after it
    stmt_times: list[tuple[str, float]] = []
    original_run = cycle._Session.run

    def timed_run(self: Any, sql: str) -> None:
        t = now_s()
        try:
            original_run(self, sql)
        finally:
            stmt_times.append((sql, now_s() - t))

    cycle._Session.run = timed_run
    state_s: list[float] = []
    stamp_s: list[float] = []
    original_read_state = Runner._read_state
    original_changed = ProjectWatch.changed

    def timed_changed(self: Any) -> bool:
        t = now_s()
        try:
            return original_changed(self)
        finally:
            stamp_s.append(now_s() - t)

    ProjectWatch.changed = timed_changed

    def timed_read_state(self: Any, report: Any, idle: bool = False, **kwargs: Any) -> None:
        t = now_s()
        try:
            original_read_state(self, report, idle=idle, **kwargs)
        finally:
            state_s.append(now_s() - t)

    Runner._read_state = timed_read_state

    runner = _runner(project, target)
    warehouse = runner.warehouse
    source = Source(n)
    source.initial_load()  # what the first build applied
    seq = Sequence(10**9)
    counter = PgCounter(server.port) if server is not None else None
    try:
        def send(raws: list[bytes]) -> None:
            append_records(warehouse, "kinesis", STREAM, raws, source.clock, seq)

        def cycle_once(what: str, planned: bool = True) -> dict:
            stmt_times.clear()
            state_s.clear()
            stamp_s.clear()
            if counter:
                counter.begin()
            t = now_s()
            report = runner.cycle()
            wall = now_s() - t
            counts = counter.end() if counter else {}
            if report.error:
                raise RuntimeError(f"{what} cycle failed: {report.error}")
            if planned and report.ran is None:
                raise RuntimeError(f"{what} cycle was a dbt run of every model, not a planned cycle")
            plan_s = sum(s for _, s in stmt_times)
            slow = sorted(stmt_times, key=lambda x: -x[1])[:3]
            return {"wall_s": wall, "statements": report.statements, "commits": report.commits,
                    "ran": None if report.ran is None else len(report.ran), "plan_statements_s": plan_s,
                    "read_state_s": sum(state_s), "project_stamp_s": sum(stamp_s),
                    "slowest": [{"statement": _label(s), "s": round(x, 4)} for s, x in slow],
                    **counts}

        # A runner's first cycle is a dbt run of every model, then it renders the cycle plan; the first
        # build did both on this project already, so this runner only renders the plan (and saves a
        # dbt run of every model: minutes at 500 tables).
        t = now_s()
        runner._plan, runner._plan_manifest = cycle.load_plan(runner.dbt), runner.dbt.manifest
        runner._run_all = False
        plan_render_s = now_s() - t
        for _ in range(2):  # warm-up
            cycle_once("warm-up idle")
        rounds = 3 if quick else 5
        idle_n = 5 if quick else 9
        one_table = source.tables[-1]
        spread = _spread(source.tables, SPREAD_TABLES)
        per = {t: SPREAD_CHANGES // len(spread) + (1 if i < SPREAD_CHANGES % len(spread) else 0)
               for i, t in enumerate(spread)}
        cycles: dict[str, list[dict]] = {"idle": [], "one": [], "spread": []}
        for r in range(max(rounds, idle_n)):
            if r < idle_n:
                cycles["idle"].append(cycle_once("idle"))
            if r < rounds:
                send(source.changes({one_table: ONE_CHANGES}))
                cycles["one"].append(cycle_once("10 changes"))
                send(source.changes(per))
                cycles["spread"].append(cycle_once("1,000 changes"))
        if any(c["ran"] for c in cycles["idle"]):
            raise RuntimeError("an idle cycle ran models")
        check = compare(warehouse, runner, source)
        plan = runner._plan
        plan_chars = {}
        if plan is not None and plan.streams:
            s = plan.streams[0]
            plan_chars = {"probe": len(s.probe), "batch": sum(map(len, s.batch)), "changed": len(s.changed),
                          "mirror_apply_avg": median([sum(map(len, m.apply)) for m in s.mirrors]),
                          "set_aside_start": sum(len(x) for a in s.set_asides for x in a.start),
                          "set_aside_per_mirror_avg": median([sum(map(len, v)) for a in s.set_asides
                                                               for v in a.mirrors.values()]),
                          "finish": sum(map(len, s.finish)),
                          "total": len(json.dumps([plan.setup, s.probe, s.batch, s.changed, [(m.apply, m.cleanup) for m in s.mirrors],
                                                   [(a.start, a.mirrors, a.finish) for a in s.set_asides], s.finish]))}
    finally:
        if counter:
            counter.close()
        _close(runner)

    def summary(rows: list[dict]) -> dict:
        out = {"wall_median_s": median([c["wall_s"] for c in rows]), "wall_s": [c["wall_s"] for c in rows],
               "plan_statements_median_s": median([c["plan_statements_s"] for c in rows]),
               "read_state_median_s": median([c["read_state_s"] for c in rows]),
               "project_stamp_median_s": median([c["project_stamp_s"] for c in rows]),
               "statements": sorted({c["statements"] for c in rows}), "commits": sorted({c["commits"] for c in rows}),
               "ran": sorted({c["ran"] for c in rows}), "slowest": rows[-1]["slowest"]}
        if "server_statements" in rows[0]:
            out.update({k: sorted({c[k] for c in rows}) for k in ("server_statements", "server_commits",
                                                                    "write_transactions")})
            out["server_exec_median_ms"] = median([c["server_exec_ms"] for c in rows])
            out["server_top"] = rows[-1]["server_top"]
        return out

    return {"kind": kind, "tables": n, "rounds": {k: len(v) for k, v in cycles.items()}, "generate_s": generate_s,
            "first_build": built, "plan_render_s": plan_render_s,
            "idle": summary(cycles["idle"]), "one": summary(cycles["one"]), "spread": summary(cycles["spread"]),
            "spread_tables": len(spread), "one_changes": ONE_CHANGES, "spread_changes": SPREAD_CHANGES,
            "records_sent": source.sent, "plan_chars": plan_chars, **check}


def compare(warehouse: Any, runner: Any, source: Source) -> dict:
    """Every mirror read back (id, v, n), against the rows the source holds."""
    mirrors = runner.models.mirrors
    con = warehouse.connect()
    wrong: list[str] = []
    rows_total = 0
    try:
        cur = con if warehouse.kind == "duckdb" else con.cursor()
        for name, ref in mirrors.items():
            cur.execute(f"select id, v, n from {ref.relation}")
            got = {int(i): (v, int(x)) for i, v, x in cur.fetchall()}
            want = {k: (vals[0], vals[1]) for k, vals in source.rows[name].items()}
            rows_total += len(got)
            if got != want:
                wrong.append(f"{name}: {len(got)} rows, expected {len(want)}")
        con.rollback() if warehouse.kind != "duckdb" else None
    finally:
        con.close()
    return {"mirrors_checked": len(mirrors), "mirror_rows": rows_total, "mirrors_wrong": wrong,
            "mirrors_match": not wrong and len(mirrors) == len(source.tables)}
