"""streamleap benchmark: `make bench` (or `.venv/bin/python bench/run.py`).

Measures, in one run on this machine, and writes bench/results.md, bench/results.json and
bench/results.png:

1. cycle overhead: the runner's apply cycle (DbtSession.invoke("run"), manifest cached) against
   a `dbt run` command on the same project with nothing new;
2. end-to-end latency p50/p95/p99 of `streamleap demo` (DuckDB) at 200, 1000 and 5000 changes/s,
   and the put / get rates of the local Kinesis endpoint (moto) that feeds it;
3. apply cost of one batch of 10,000 changes into a 100,000-row and a 5,000,000-row mirror, on
   DuckDB and on Postgres, next to a whole-table deduplicating rebuild (the usual CDC loader);
4. sustained apply throughput (100,000 DMS records, JSON parsing included) on DuckDB and
   Postgres, and the relay's insert rate into the stream stand-in;
5. peers (bench/peers.py): one batch through streamleap, a plain dbt incremental model, a
   whole-table rebuild and a bare DELETE+INSERT, each result checked.

Each measurement runs in a child process of its own (dbt, DuckDB and moto keep process-wide
state); one throw-away PostgreSQL server serves the Postgres measurements. Options: --quick
(small sizes, short runs: a smoke test, not results), --parts (a comma list of
cycle,latency,moto,apply,throughput,peers), --keep (keep the work directory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import tables  # bench/tables.py: part "tables"

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
STREAM = "shop_cdc"
PARTS = ("cycle", "tables", "moto", "latency", "capture", "apply", "throughput", "peers")

# targets
TARGETS = {
    "cycle_ratio": 10.0,  # the runner's cycle at least 10x cheaper than `dbt run`
    "p99_ms_at_1000": 2000.0,  # end-to-end p99 under 2 s at 1000 changes/s
    "apply_growth": 5.0,  # 5M-row apply at most 5x the 100k-row apply
    "baseline_speedup": 20.0,  # at least 20x faster than the whole-table rebuild at 5M rows
    "throughput_duckdb": 50_000.0,  # changes/s
}

# Postgres settings of the throw-away server (reported with the results)
PG_CONF = {"shared_buffers": "1GB", "work_mem": "64MB", "maintenance_work_mem": "512MB", "max_wal_size": "4GB",
           "autovacuum": "off"}


# =====================================================================================
# helpers shared by the parts
# =====================================================================================
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def now_s() -> float:
    return time.perf_counter()


class QueryLog:
    """Every SQL string dbt sends (SQLConnectionManager.add_query), with its duration."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, float]] = []
        self.enabled = True

    def install(self) -> None:
        from dbt.adapters.sql.connections import SQLConnectionManager

        original = SQLConnectionManager.add_query
        log = self

        def add_query(self, sql, *args, **kwargs):  # noqa: ANN001 - dbt's signature
            t0 = now_s()
            try:
                return original(self, sql, *args, **kwargs)
            finally:
                if log.enabled:
                    log.entries.append((sql, now_s() - t0))

        SQLConnectionManager.add_query = add_query

    def take(self) -> list[tuple[str, float]]:
        out, self.entries = self.entries, []
        return out


QUERIES = QueryLog()


def split_statements(sql: str) -> list[str]:
    """Split a SQL script on top-level semicolons (quotes, dollar quotes and comments respected)."""
    out, start, i, n = [], 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "$":
            m = re.match(r"\$[A-Za-z_0-9]*\$", sql[i:])
            if m:
                j = sql.find(m.group(0), i + len(m.group(0)))
                i = n if j < 0 else j + len(m.group(0))
            else:
                i += 1
        elif c == ";":
            out.append(sql[start:i])
            start = i = i + 1
        else:
            i += 1
    out.append(sql[start:])
    return [s.strip() for s in out if _strip_comments(s).strip()]


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    return re.sub(r"--[^\n]*", " ", sql)


def label(sql: str, width: int = 110) -> str:
    """One line naming a statement: comments dropped, whitespace squeezed, the temp suffix kept short."""
    text = " ".join(_strip_comments(sql).split())
    text = re.sub(r"__dbt_tmp\w*", "__dbt_tmp", text)
    return text if len(text) <= width else text[: width - 3] + "..."


def new_project(directory: Path, stream_schema: str, tables: list[str] | None = None) -> None:
    """A streamleap project for the shop's tables (SHOP_DDL), its dbt package installed."""
    from streamleap.dbt import run_dbt
    from streamleap.ddl import parse_ddl
    from streamleap.plan import plan_tables
    from streamleap.project import generate_models, init_project
    from streamleap.demo.workload import SHOP_DDL

    init_project(directory)
    planned = plan_tables(parse_ddl(SHOP_DDL, "postgres"))
    if tables:
        planned = [t for t in planned if t.source.name in tables]
    generate_models(directory, planned, STREAM, stream_schema)
    run_dbt(["deps", "--quiet"], directory)


class Sequence:
    """Kinesis-like sequence numbers: 56 digits, increasing."""

    def __init__(self, start: int = 1) -> None:
        self.n = start

    def __call__(self) -> str:
        self.n += 1
        return "49" + str(self.n).rjust(54, "0")


def append_records(warehouse: Any, stream_schema: str, stream: str, raws: list[bytes], refresh_time: dt.datetime,
                   seq: Sequence, shard: str = "shardId-000000000000") -> None:
    """Append DMS records to the local stand-in, all with one refresh_time (one relay pull)."""
    con = warehouse.connect()
    try:
        rel = f'"{stream_schema}"."{stream}"'
        cols = "approximate_arrival_timestamp, partition_key, shard_id, sequence_number, refresh_time, kinesis_data"
        rows = [(refresh_time, "pk", shard, seq(), refresh_time, raw) for raw in raws]
        if warehouse.kind == "duckdb":
            types = ("timestamp", "varchar", "varchar", "varchar", "timestamp", "blob")
            sql = f"insert into {rel} ({cols}) select " + ", ".join(f"unnest(?::{t}[])" for t in types)
            for start in range(0, len(rows), 50_000):
                con.execute(sql, [list(c) for c in zip(*rows[start:start + 50_000], strict=True)])
        else:
            import psycopg2
            from psycopg2.extras import execute_values

            cur = con.cursor()
            execute_values(cur, f"insert into {rel} ({cols}) values %s",
                           [(*r[:5], psycopg2.Binary(r[5])) for r in rows], page_size=2000)
        con.commit()
    finally:
        con.close()


def sql_exec(warehouse: Any, *statements: str, autocommit: bool = True) -> list[Any]:
    """Run statements on a new connection; the last one's rows (if any)."""
    con = warehouse.connect()
    try:
        if warehouse.kind == "postgres":
            con.autocommit = autocommit
        cur = con if warehouse.kind == "duckdb" else con.cursor()
        rows: list[Any] = []
        for s in statements:
            cur.execute(s)
            try:
                rows = cur.fetchall()
            except Exception:  # noqa: BLE001 - a statement without rows
                rows = []
        if warehouse.kind == "duckdb" or not autocommit:
            con.commit()
        return rows
    finally:
        con.close()


def replay_profile(warehouse: Any, queries: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Run dbt's statements of one model again, one statement at a time, in a transaction that is
    rolled back: the time of each statement of the multi-statement apply."""
    con = warehouse.connect()
    out = []
    try:
        cur = con if warehouse.kind == "duckdb" else con.cursor()
        if warehouse.kind == "duckdb":
            cur.execute("begin transaction")
        for sql, _ in queries:
            for stmt in split_statements(sql):
                if _strip_comments(stmt).strip().lower() in ("begin", "commit", "rollback", "begin transaction"):
                    continue
                t0 = now_s()
                cur.execute(stmt)
                out.append((label(stmt), now_s() - t0))
        con.rollback()
    finally:
        con.close()
    return out


def top(profile: list[tuple[str, float]], n: int = 4) -> list[dict]:
    total = sum(s for _, s in profile) or 1e-9
    return [{"statement": lab, "seconds": round(s, 4), "share": round(s / total, 3)}
            for lab, s in sorted(profile, key=lambda x: -x[1])[:n]]


def dbt_cli(project: Path, *args: str, env: dict | None = None) -> float:
    """`dbt <args>` as a command; its wall time."""
    from streamleap.dbt import dbt_argv

    cmd = [str(BIN / "dbt"), *dbt_argv(list(args), project)]
    t0 = now_s()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    spent = now_s() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return spent


def shop_records(seed: int, total: int, initial_carts: int = 1000) -> tuple[list[bytes], Any]:
    """DMS records of the synthetic shop: a full load, then transactions (with re-deliveries)."""
    from streamleap.demo.workload import ShopWorkload

    workload = ShopWorkload(seed)
    out = [r.to_bytes() for r in workload.initial_load(initial_carts)]
    while len(out) < total:
        out += [r.to_bytes() for r in workload.step()]
        out += workload.maybe_redeliver()
    del out[total:]
    return out, workload


# =====================================================================================
# 1. cycle overhead
# =====================================================================================
def part_cycle(work: Path, quick: bool) -> dict:
    from streamleap.dbt import DbtSession
    from streamleap.warehouse import open_warehouse

    project = work / "cycle"
    new_project(project, "kinesis")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    dbt_cli(project, "run", env=env)  # builds the stand-in, the views and the empty mirrors
    raws, _ = shop_records(3, 5_000 if not quick else 1_000, initial_carts=300)
    append_records(open_warehouse(project, "local"), "kinesis", STREAM, raws, dt.datetime(2030, 1, 1), Sequence())
    dbt_cli(project, "run", env=env)  # applies them: from here on, nothing new
    n_cli, n_inproc = (5, 15) if not quick else (2, 4)
    cli = [dbt_cli(project, "run", env=env) for _ in range(n_cli)]
    # in-process: DuckDB's file lock is held by this process from now on
    session = DbtSession(project, project, "local")
    t0 = now_s()
    session.ensure_parsed()
    parse_s = now_s() - t0
    for _ in range(2):  # warm-up: adapter, connection, relation cache
        session.invoke("run")
    QUERIES.install()
    inproc, sql_s, n_sql, models = [], [], [], {}
    for _ in range(n_inproc):
        QUERIES.take()
        t0 = now_s()
        result = session.invoke("run")
        inproc.append(now_s() - t0)
        q = QUERIES.take()
        sql_s.append(sum(s for _, s in q))
        n_sql.append(len(q))
        for r in result.result.results:
            models.setdefault(r.node.name, []).append(r.execution_time)
    return {
        "cli_s": cli, "inproc_s": inproc, "parse_s": parse_s,
        "cli_median_s": median(cli), "inproc_median_s": median(inproc),
        "ratio": median(cli) / median(inproc),
        "inproc_sql_median_s": median(sql_s), "inproc_queries": int(median(n_sql)),
        "models_median_s": {k: median(v) for k, v in models.items()},
    }


# =====================================================================================
# 2a. the local Kinesis endpoint (moto)
# =====================================================================================
def part_moto(work: Path, quick: bool) -> dict:
    from streamleap.kinesis_local import LocalKinesis

    total = 100_000 if not quick else 20_000
    raws, _ = shop_records(5, total)
    kinesis = LocalKinesis().start()
    try:
        kinesis.create_stream("bench", 4)
        client = kinesis.client()
        shard0 = "shardId-000000000000"
        put_curve, tail_curve = [], []
        last_seq: dict[str, list[str]] = {}
        done, window_t, window_n = 0, 0.0, 0
        for start in range(0, total, 500):
            chunk = raws[start:start + 500]
            entries = [{"Data": raw, "PartitionKey": f"k{start + i}"} for i, raw in enumerate(chunk)]
            t0 = now_s()
            resp = client.put_records(StreamName="bench", Records=entries)
            window_t += now_s() - t0
            window_n += len(chunk)
            for e in resp["Records"]:
                last_seq.setdefault(e["ShardId"], []).append(e["SequenceNumber"])
            done += len(chunk)
            if done % (total // 10) == 0:
                put_curve.append({"stream_records": done, "put_records_per_s": window_n / window_t})
                window_t, window_n = 0.0, 0
                # what a relay pull does each cycle: read the newest ~500 records of a shard
                seqs = last_seq[shard0]
                after = seqs[max(0, len(seqs) - 501)]
                times = []
                for _ in range(3):
                    it = client.get_shard_iterator(StreamName="bench", ShardId=shard0,
                                                   ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                   StartingSequenceNumber=after)["ShardIterator"]
                    t0 = now_s()
                    got = client.get_records(ShardIterator=it, Limit=10_000)["Records"]
                    times.append(now_s() - t0)
                tail_curve.append({"stream_records": done, "shard_records": len(seqs), "records": len(got),
                                   "get_records_s": median(times)})
        # a full read of every shard from the beginning, pages of 10,000
        t0 = now_s()
        read = 0
        for shard in sorted(last_seq):
            it = client.get_shard_iterator(StreamName="bench", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while it:
                page = client.get_records(ShardIterator=it, Limit=10_000)
                read += len(page["Records"])
                it = page.get("NextShardIterator")
                if not page["Records"]:
                    break
        full_read = read / (now_s() - t0)
    finally:
        kinesis.stop()
    return {
        "records": total, "record_bytes_avg": sum(map(len, raws)) / len(raws), "shards": 4,
        "put_curve": put_curve, "tail_get_curve": tail_curve, "full_read_records_per_s": full_read,
    }


# =====================================================================================
# 2b. end-to-end latency: streamleap demo at a rate
# =====================================================================================
def part_latency(work: Path, rate: int, duration: float) -> dict:
    import streamleap.kinesis_local as kl
    from streamleap.demo import run as demo
    from streamleap.relay import Relay
    from streamleap.dbt import DbtSession
    from streamleap.runner import Runner

    stats: dict[str, list] = {"put": [], "get": [], "cycle": [], "pull": [], "dbt": []}
    lock = threading.Lock()

    def timed(kind: str, fn: Callable, count: Callable[[Any, Any], int] = lambda a, r: 0) -> Callable:
        def call(*args, **kwargs):
            t0 = now_s()
            out = fn(*args, **kwargs)
            with lock:
                stats[kind].append((now_s() - t0, count(kwargs, out)))
            return out
        return call

    original_client = kl.LocalKinesis.client

    def client(self):
        c = original_client(self)
        c.put_records = timed("put", c.put_records, lambda kw, r: len(kw.get("Records", [])))
        c.get_records = timed("get", c.get_records, lambda kw, r: len(r.get("Records", [])))
        return c

    kl.LocalKinesis.client = client
    Relay.pull = timed("pull", Relay.pull, lambda kw, r: r.records)
    original_invoke = DbtSession.invoke

    def invoke(self, *args):
        if args[:1] != ("run",):  # the set-up's run-operation
            return original_invoke(self, *args)
        return timed("dbt", original_invoke)(self, *args)

    DbtSession.invoke = invoke
    original_cycle = Runner.cycle

    def cycle(self):
        report = original_cycle(self)
        with lock:
            stats["cycle"].append((report.duration_ms / 1000, report.ingested))
        return report

    Runner.cycle = cycle
    t0 = now_s()
    result = demo.run_demo(work / f"demo-{rate}", rate=rate, duration=duration, every=0.5)
    wall = now_s() - t0

    def summary(kind: str) -> dict:
        rows = stats[kind]
        secs = [s for s, _ in rows]
        n = sum(c for _, c in rows)
        return {"calls": len(rows), "seconds": sum(secs), "median_s": median(secs),
                "max_s": max(secs, default=0.0), "items": n,
                "items_per_busy_s": (n / sum(secs)) if sum(secs) else None}

    return {
        "rate": rate, "duration_s": duration, "wall_s": wall,
        "changes": result.changes, "offered_per_s": result.changes / duration,
        "changes_per_s": result.changes_per_s, "mirror_matches": result.mirror_matches,
        "cycles": result.cycles, "failed_cycles": result.failed_cycles,
        "p50_ms": result.percentile(50), "p95_ms": result.percentile(95), "p99_ms": result.percentile(99),
        "max_ms": max(result.latencies_ms, default=None), "records_measured": len(result.latencies_ms),
        "put": summary("put"), "get": summary("get"), "cycle": summary("cycle"),
        "pull": summary("pull"), "dbt": summary("dbt"),
    }


def part_direct(work: Path, rate: int, duration: float, every: float = 0.5) -> dict:
    """The same shop at `rate` with the same runner cadence, its records written straight into the
    stand-in (no Kinesis endpoint, no relay): streamleap's own latency, without moto in the way."""
    from streamleap.dbt import DbtSession
    from streamleap.project_models import project_models, read_state
    from streamleap.warehouse import open_warehouse
    from streamleap.demo.workload import ShopWorkload

    project = work / f"direct-{rate}"
    new_project(project, "kinesis")
    session = DbtSession(project, project, "local")
    session.invoke("run")
    warehouse = open_warehouse(project, "local")
    models = project_models(session.manifest)
    mirror_refs = list(models.mirrors.values())
    workload = ShopWorkload(0, clock=lambda: dt.datetime.now(dt.timezone.utc), abandon_after=dt.timedelta(seconds=10))
    appends: list[tuple[dt.datetime, float, int]] = []  # refresh_time, wall time before the append, records
    lock, done, errors = threading.Lock(), threading.Event(), []
    seq = Sequence()
    produced = [0]

    def utcnow() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    def append(raws: list[bytes], last: list) -> None:
        wall = time.time()
        refresh = max(utcnow(), last[0] + dt.timedelta(microseconds=1)) if last[0] else utcnow()
        last[0] = refresh
        append_records(warehouse, "kinesis", STREAM, raws, refresh, seq)
        with lock:
            appends.append((refresh, wall, len(raws)))

    def produce() -> None:
        last: list = [None]
        try:
            append([r.to_bytes() for r in workload.initial_load(50)], last)
            t0 = time.time()
            while time.time() - t0 < duration:
                due = int((time.time() - t0) * rate)
                batch: list[bytes] = []
                while produced[0] < due:
                    records = workload.next_transaction(dt.datetime.now(dt.timezone.utc))
                    produced[0] += len(records)
                    batch += [r.to_bytes() for r in records]
                batch += workload.maybe_redeliver()
                if batch:
                    append(batch, last)
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    producer = threading.Thread(target=produce, daemon=True)
    latencies: list[float] = []
    cycles: list[float] = []
    marked = 0
    started = time.time()
    producer.start()
    deadline = None
    while True:
        t0 = time.time()
        session.invoke("run")
        end = time.time()
        cycles.append(end - t0)
        marks = read_state(warehouse, mirror_refs, ("watermark",))
        watermark = None if len(marks) < len(mirror_refs) or None in marks.values() else min(m for m, in marks.values())
        with lock:
            while watermark is not None and marked < len(appends) and appends[marked][0] <= watermark:
                latencies += [(end - appends[marked][1]) * 1000] * appends[marked][2]
                marked += 1
            caught_up = marked == len(appends)
        if done.is_set():
            deadline = deadline or end + 60
            if caught_up or end > deadline:
                break
        time.sleep(max(0.0, every - (end - t0)))
    if errors:
        raise errors[0]
    expected = {t: len(rows) for t, rows in workload.state().items()}
    rows = {m: sql_exec(warehouse, f'select count(*) from "main"."{m}"')[0][0] for m in models.mirrors}
    data = sorted(latencies)

    def pct(p: float) -> float | None:
        return data[min(len(data) - 1, max(0, int(round(p / 100 * (len(data) - 1)))))] if data else None

    return {"rate": rate, "duration_s": duration, "changes": produced[0], "offered_per_s": produced[0] / duration,
            "wall_s": time.time() - started, "cycles": len(cycles), "cycle_median_s": median(cycles),
            "cycle_max_s": max(cycles), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "max_ms": data[-1] if data else None, "records_measured": len(data),
            "mirror_rows_match": rows == expected, "rows": rows, "expected_rows": expected}


# =====================================================================================
# 2c. end-to-end from a live source: COMMIT -> visible, through `streamleap capture`
# =====================================================================================
CAPTURE_RATE = 100  # source transactions per second (each inserts a row; every other one also updates one)


def part_capture(work: Path, kind: str, quick: bool, rate: int = CAPTURE_RATE, every: float = 0.5) -> dict:
    """A real source (a throw-away PostgreSQL with wal_level=logical, or MariaDB with the row
    binlog) at a steady `rate` of transactions, `streamleap capture` as its own process writing to
    the local Kinesis endpoint, and the runner (relay + dbt, DuckDB) cycling every `every` s in
    this process. Latency of a row = the end of the runner cycle after which it is in the mirror
    minus the wall-clock time its COMMIT returned on the source."""
    sys.path.insert(0, str(ROOT))
    from sqlglot import exp

    from streamleap.dbt import run_dbt
    from streamleap.introspect import read_source
    from streamleap.kinesis_local import LocalKinesis
    from streamleap.plan import plan_tables
    from streamleap.project import generate_models, init_project
    from streamleap.runner import Runner
    from streamleap.warehouse import open_warehouse

    duration = 6.0 if quick else 20.0
    dialect = "postgres" if kind == "postgres" else "mysql"
    if kind == "postgres":
        from streamleap.demo.local_postgres import start_postgres

        server = start_postgres({"wal_level": "logical", "max_replication_slots": "10", "max_wal_senders": "10"})
        url = server.url
        import psycopg2

        def connect():
            con = psycopg2.connect(url)
            con.autocommit = False
            return con
        setup = ["create schema bench"]
    else:
        from tests.servers import start_mariadb

        server = start_mariadb()
        base = server.url.rstrip("/")
        url = base + "/bench"
        import pymysql

        def connect():
            return pymysql.connect(host="127.0.0.1", port=server.port, user="root", database="bench", autocommit=False)
        boot = pymysql.connect(host="127.0.0.1", port=server.port, user="root", autocommit=True)
        boot.cursor().execute("create database bench")
        boot.close()
        setup = []
    table = exp.table_("ticks", db="bench", quoted=True).sql(dialect=dialect)
    capture = None
    try:
        con = connect()
        cur = con.cursor()
        for statement in setup + [f"create table {table} (id bigint primary key, n integer not null, "
                                  "note varchar(40), changed_at timestamp(6) null)"]:
            cur.execute(statement)
        con.commit()
        project = work / f"capture-{kind}"
        init_project(project)
        _, tables = read_source(url, ["bench.ticks"])
        generate_models(project, plan_tables(tables), STREAM, "kinesis")
        run_dbt(["deps", "--quiet"], project)
        with LocalKinesis() as kinesis:
            kinesis.create_stream(STREAM, 4)
            capture = subprocess.Popen(
                [sys.executable, "-m", "streamleap", "capture", "--source-url", url, "--tables", "bench.ticks",
                 "--stream", STREAM, "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", str(project / "state")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            runner = Runner(project, target="local", kinesis=kinesis.client(), every=every)
            runner.setup()
            warehouse = open_warehouse(project, "local")
            commits: dict[int, float] = {}
            lock, done, errors = threading.Lock(), threading.Event(), []
            started = threading.Event()

            def produce() -> None:
                try:
                    pcon = connect()
                    pcur = pcon.cursor()
                    started.wait()
                    t0 = time.time()
                    i = 0
                    while time.time() - t0 < duration:
                        due = int((time.time() - t0) * rate)
                        while i < due:
                            i += 1
                            pcur.execute(f"insert into {table} (id, n, note, changed_at) values (%s, %s, %s, %s)",
                                         [i, 0, f"row {i}", dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
                            if i % 2 == 0 and i > 10:
                                pcur.execute(f"update {table} set n = n + 1 where id = %s", [i - 10])
                            pcon.commit()
                            with lock:
                                commits[i] = time.time()
                        time.sleep(0.005)
                    pcon.close()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                finally:
                    done.set()

            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            # warm up: the capture has made its slot / snapshot and one cycle has run
            for _ in range(3):
                runner.cycle()
            started.set()
            latencies: list[float] = []
            visible: set[int] = set()
            cycles: list[float] = []
            deadline = None
            mirror = exp.table_("ticks", db="main", quoted=True).sql(dialect="duckdb")
            while True:
                t0 = time.time()
                report = runner.cycle()
                end = time.time()
                cycles.append(end - t0)
                if report.error:
                    raise RuntimeError(report.error)
                with lock:
                    pending = [i for i in commits if i not in visible]
                if pending:
                    rows = sql_exec(warehouse, f"select id from {mirror} where id >= {min(pending)}")
                    for (i,) in rows:
                        if i in commits and i not in visible:
                            visible.add(i)
                            latencies.append((end - commits[i]) * 1000)
                if done.is_set():
                    deadline = deadline or end + 60
                    with lock:
                        caught_up = len(visible) == len(commits)
                    if caught_up or end > deadline:
                        break
                if capture.poll() is not None:
                    raise RuntimeError(f"streamleap capture exited: {capture.stderr.read()[-2000:]}")
                time.sleep(max(0.0, every - (end - t0)))
            if errors:
                raise errors[0]
            runner.close()
            data = sorted(latencies)

            def pct(p: float) -> float | None:
                return data[min(len(data) - 1, max(0, int(round(p / 100 * (len(data) - 1)))))] if data else None

            source_rows = {r[0]: r[1] for r in _query(connect, f"select id, n from {table}")}
            mirror_rows = {r[0]: r[1] for r in sql_exec(warehouse, f"select id, n from {mirror}")}
            return {"source": kind, "rate_tx_per_s": rate, "duration_s": duration, "transactions": len(commits),
                    "changes": len(commits) + sum(1 for i in commits if i % 2 == 0 and i > 10),
                    "cycles": len(cycles), "cycle_median_s": median(cycles), "every_s": every,
                    "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": data[-1] if data else None,
                    "rows_measured": len(data), "mirror_matches": source_rows == mirror_rows}
    finally:
        if capture is not None and capture.poll() is None:
            capture.terminate()
            try:
                capture.wait(30)
            except subprocess.TimeoutExpired:
                capture.kill()
        server.stop()


def _query(connect: Callable[[], Any], sql: str) -> list[tuple]:
    con = connect()
    try:
        cur = con.cursor()
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        con.close()


# =====================================================================================
# 3. apply cost against mirror size, and the whole-table baseline
# =====================================================================================
BASE_ORDER_DIGITS = "20290601000000000000"  # mirror rows: last changed 2029-06-01
CHANGE_T0 = dt.datetime(2030, 1, 1)  # the batch: from 2030-01-01
WATERMARK = dt.datetime(2030, 1, 1)
REFRESH = dt.datetime(2030, 1, 1, 0, 0, 1)


def change_batch(n_base: int, n: int = 10_000, seed: int = 11,
                 tombstoned: tuple[int, ...] = ()) -> tuple[list[bytes], set[int], int, dict]:
    """n DMS records of public.cart for a mirror of keys 1..n_base: updates of existing keys (some
    keys several times), inserts, deletes, primary-key moves, stale changes older than the mirror
    rows, and re-deliveries of records of the batch. With `tombstoned` (keys deleted before the
    batch), a quarter of the stale changes are old updates of those keys (a late re-delivery that
    must not revive them). Returns the records, every key they touch, the row count the mirror
    must have afterwards, and the mix."""
    from streamleap.records import ChangeRecord
    from streamleap.demo.workload import encode_row

    rng = random.Random(seed)
    alive: dict[int, bool] = {}
    hot: list[int] = []
    next_new = n_base + 1
    out: list[bytes] = []
    touched: set[int] = set()
    mix = {"update": 0, "insert": 0, "delete": 0, "key_move": 0, "stale": 0, "redelivery": 0}
    xid = 9_000_000

    def is_alive(k: int) -> bool:
        return alive.get(k, k <= n_base)

    def pick() -> int:
        if hot and rng.random() < 0.25:
            k = rng.choice(hot)
            if is_alive(k):
                return k
        while True:
            k = rng.randint(1, n_base)
            if is_alive(k):
                return k

    def row(k: int, ts: dt.datetime) -> dict:
        return encode_row("cart", {
            "cart_id": k, "customer_id": rng.randint(1, 50_000),
            "status": rng.choice(("open", "open", "open", "checked_out", "abandoned")),
            "item_count": rng.randint(0, 12), "total": Decimal(rng.randint(0, 999_999)) / 100,
            "created_at": dt.datetime(2029, 5, 1) + dt.timedelta(seconds=k), "updated_at": ts})

    def record(op: str, data: dict, ts: dt.datetime, before: dict | None = None) -> bytes:
        nonlocal xid
        xid += 1
        return ChangeRecord("public", "cart", op, data, before=before, commit_ts=ts, transaction_id=xid,
                            transaction_record_id=1).to_bytes()

    i = 0
    while len(out) < n:
        i += 1
        ts = CHANGE_T0 + dt.timedelta(milliseconds=i)
        roll = rng.random()
        if roll < 0.05 and out:  # a re-delivery: the same bytes again, later
            out.append(out[rng.randrange(len(out))])
            mix["redelivery"] += 1
        elif roll < 0.07:  # a change older than what the mirror holds (an old re-delivery)
            k = rng.choice(tombstoned) if tombstoned and rng.random() < 0.25 else pick()
            out.append(record("update", row(k, dt.datetime(2029, 1, 1)), dt.datetime(2029, 1, 1) + dt.timedelta(microseconds=i)))
            touched.add(k)
            mix["stale"] += 1
        elif roll < 0.10:  # primary-key update: the row moves to a new key
            k, new = pick(), next_new
            next_new += 1
            out.append(record("update", row(new, ts), ts, before={"cart_id": k}))
            alive[k], alive[new] = False, True
            touched |= {k, new}
            hot.append(new)
            mix["key_move"] += 1
        elif roll < 0.20:
            k = pick()
            data = {c: None for c in row(k, ts)}
            data["cart_id"] = k
            out.append(record("delete", data, ts))
            alive[k] = False
            touched.add(k)
            mix["delete"] += 1
        elif roll < 0.35:
            k = next_new
            next_new += 1
            out.append(record("insert", row(k, ts), ts))
            alive[k] = True
            touched.add(k)
            hot.append(k)
            mix["insert"] += 1
        else:
            k = pick()
            out.append(record("update", row(k, ts), ts))
            touched.add(k)
            if rng.random() < 0.3:
                hot.append(k)
            mix["update"] += 1
    expected = n_base + sum(int(is_alive(k)) - int(k <= n_base) for k in touched)
    return out, touched, expected, mix


def _build_sql(kind: str, mirror: str, tomb: str, n: int) -> list[str]:
    def rows(count: int) -> str:
        return f"range(1, {count + 1}) g(i)" if kind == "duckdb" else f"generate_series(cast(1 as bigint), {count}) g(i)"

    secs = "to_seconds(i)" if kind == "duckdb" else "make_interval(secs => i)"
    txt = "cast(i as varchar)"
    order = f"'1' || '{BASE_ORDER_DIGITS}' || lpad({txt}, 20, '0') || '056' || lpad({txt}, 56, '4')"
    gen, tomb_gen = rows(n), rows(max(1, n // 100))
    return [
        f"delete from {mirror}",
        f"delete from {tomb}",
        f"insert into {mirror} (cart_id, customer_id, status, item_count, total, created_at, updated_at, "
        "_streamleap_op, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at) "
        f"select i, cast((i * 7919) % 50000 + 1 as integer), "
        "case i % 10 when 0 then 'checked_out' when 1 then 'abandoned' else 'open' end, "
        "cast(i % 12 as integer), cast((i % 100000) / 100.0 as decimal(12,2)), "
        f"timestamp '2029-05-01 00:00:00' + {secs}, timestamp '2029-06-01 00:00:00', "
        f"'update', {order}, timestamp '2029-06-01 00:00:00', timestamp '2029-06-01 00:00:00' from {gen}",
        # keys deleted long ago (none of them in the mirror)
        f"insert into {tomb} (cart_id, _streamleap_order, _streamleap_commit_ts, _streamleap_synced_at) "
        f"select {10 * n} + i, {order}, timestamp '2029-06-01 00:00:00', timestamp '2029-06-01 00:00:00' from {tomb_gen}",
    ]


def part_apply(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.dbt import DbtSession
    from streamleap.project_models import project_models
    from streamleap.warehouse import open_warehouse

    target = "local" if kind == "duckdb" else "postgres"
    stream_schema = "kinesis" if kind == "duckdb" else "k_apply"
    project = work / f"apply-{kind}"
    new_project(project, stream_schema, tables=["cart"])
    session = DbtSession(project, project, target)
    session.invoke("run")  # the stand-in, the staging view, the empty mirror, its tombstones, the state table
    QUERIES.install()
    warehouse = open_warehouse(project, target)
    ref = project_models(session.manifest).mirrors["cart"]
    schema = ref.schema
    mirror, tomb = f'"{schema}"."cart"', f'"{schema}"."cart__streamleap_tombstones"'
    copy, tomb_copy = f'"{schema}"."cart__bench_copy"', f'"{schema}"."cart__bench_tomb_copy"'
    touched_rel = f'"{schema}"."bench_touched"'
    state = f'"{schema}"."streamleap_state"'
    stand_in = f'"{stream_schema}"."{STREAM}"'
    key = ref.key.replace("'", "''")
    pg = kind == "postgres"
    runs, baseline_runs = 5, 3
    sizes = (100_000, 5_000_000) if not quick else (20_000, 500_000)
    out: dict[str, Any] = {"target": kind, "sizes": {}}

    def vacuum(*rels: str) -> None:
        if pg:
            sql_exec(warehouse, *[f"vacuum analyze {r}" for r in rels])

    def reset_watermark() -> None:
        sql_exec(warehouse, f"update {state} set watermark = timestamp '{WATERMARK:%Y-%m-%d %H:%M:%S}' "
                            f"where relation_name = '{key}'")

    def restore() -> None:
        sql_exec(warehouse,
                 f"delete from {mirror} where cart_id in (select k from {touched_rel})",
                 f"insert into {mirror} select * from {copy} where cart_id in (select k from {touched_rel})",
                 f"delete from {tomb} where cart_id in (select k from {touched_rel})",
                 f"insert into {tomb} select * from {tomb_copy} where cart_id in (select k from {touched_rel})")
        vacuum(mirror, tomb)
        reset_watermark()

    for n in sizes:
        t0 = now_s()
        sql_exec(warehouse, *_build_sql(kind, mirror, tomb, n),
                 f"drop table if exists {copy}", f"create table {copy} as select * from {mirror}",
                 f"drop table if exists {tomb_copy}", f"create table {tomb_copy} as select * from {tomb}")
        vacuum(mirror, tomb, copy, tomb_copy)
        raws, touched, expected, mix = change_batch(n)
        sql_exec(warehouse, f"delete from {stand_in}", f"drop table if exists {touched_rel}",
                 f"create table {touched_rel} (k bigint)",
                 f"insert into {touched_rel} values " + ", ".join(f"({k})" for k in sorted(touched)))
        append_records(warehouse, stream_schema, STREAM, raws, REFRESH, Sequence())
        reset_watermark()
        build_s = now_s() - t0

        apply_s, counts, queries = [], [], []
        compiled = None
        session.invoke("run", "-s", "cart")  # warm-up (not timed): the first incremental run in this process
        for _i in range(runs):
            restore()
            QUERIES.take()
            t0 = now_s()
            result = session.invoke("run", "-s", "cart")
            apply_s.append(now_s() - t0)
            queries = QUERIES.take()
            compiled = result.result.results[0].node.compiled_code
            counts.append(sql_exec(warehouse, f"select count(*) from {mirror}")[0][0])
        # per statement: the dbt queries of the last run again, one statement at a time (rolled back)
        restore()
        profile = replay_profile(warehouse, queries)
        dbt_queries = [(label(q, 80), s) for q, s in queries]

        # baseline: the whole mirror and the same records, parsed and typed by the model's own SELECT
        # (one row per key), deduplicated into a new table
        cols = "cart_id, customer_id, status, item_count, total, created_at, updated_at, _streamleap_op, " \
               "_streamleap_order, _streamleap_commit_ts, _streamleap_synced_at"
        rebuilt = f'"{schema}"."cart__bench_rebuilt"'
        baseline_sql = (
            f"create table {rebuilt} as\n"
            f"select {cols} from (\n"
            f"  select {cols}, row_number() over (partition by cart_id order by _streamleap_order desc) as rn\n"
            f"  from (\n"
            f"    select {cols} from {mirror}\n"
            f"    union all\n"
            f"    select {cols} from (<the model's SELECT of the batch>) changes where _streamleap_op <> 'watermark'\n"
            f"  ) all_rows\n"
            f") ranked\n"
            f"where rn = 1 and _streamleap_op <> 'delete'")
        run_sql = baseline_sql.replace("<the model's SELECT of the batch>", compiled)
        base_s, base_counts = [], []
        for _ in range(baseline_runs):
            sql_exec(warehouse, f"drop table if exists {rebuilt}")
            t0 = now_s()
            sql_exec(warehouse, run_sql)
            base_s.append(now_s() - t0)
            base_counts.append(sql_exec(warehouse, f"select count(*) from {rebuilt}")[0][0])
        sql_exec(warehouse, f"drop table if exists {rebuilt}")
        out["sizes"][str(n)] = {
            "rows": n, "changes": len(raws), "mix": mix, "build_s": build_s,
            "apply_s": apply_s, "apply_median_s": median(apply_s),
            "baseline_s": base_s, "baseline_median_s": median(base_s),
            "speedup": median(base_s) / median(apply_s),
            "rows_after": counts, "rows_expected": expected,
            "correct": all(c == expected for c in counts), "baseline_rows": base_counts,
            "dbt_queries": sorted(dbt_queries, key=lambda x: -x[1])[:4],
            "statements": top(profile, 5), "statements_total_s": sum(s for _, s in profile),
            "batch_select_s": next((t for lab, t in profile if lab.lower().startswith("create temp")), None),
        }
        out["baseline_sql"] = baseline_sql.replace(f'"{schema}".', "")
    small, big = (out["sizes"][str(s)] for s in sizes)
    out["growth"] = big["apply_median_s"] / small["apply_median_s"]
    return out


# =====================================================================================
# 4. sustained throughput and the relay's insert rate
# =====================================================================================
def part_throughput(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.kinesis_local import LocalKinesis
    from streamleap.relay import Relay
    from streamleap.dbt import DbtSession
    from streamleap.project_models import project_models
    from streamleap.warehouse import open_warehouse

    target = "local" if kind == "duckdb" else "postgres"
    stream_schema = "kinesis" if kind == "duckdb" else "k_tp"
    project = work / f"throughput-{kind}"
    new_project(project, stream_schema)
    session = DbtSession(project, project, target)
    session.invoke("run")
    QUERIES.install()
    warehouse = open_warehouse(project, target)
    models = project_models(session.manifest)
    schema = next(iter(models.mirrors.values())).schema
    total = 100_000 if not quick else 20_000
    raws, workload = shop_records(21, total, initial_carts=2_000)
    sql_exec(warehouse, f'delete from "{stream_schema}"."{STREAM}"')
    append_records(warehouse, stream_schema, STREAM, raws, dt.datetime(2030, 1, 1), Sequence())
    keys = [r.key.replace("'", "''") for r in [*models.mirrors.values(), *models.set_asides.values()]]
    truncate = [f'delete from "{schema}"."{m}"' for m in models.mirrors] \
        + [f'delete from "{schema}"."{m}__streamleap_tombstones"' for m in models.mirrors] \
        + [f'delete from "{schema}"."{m}"' for m in models.set_asides]

    def reset() -> None:
        sql_exec(warehouse, *truncate, f'update "{schema}"."streamleap_state" set watermark = null '
                                       f"where relation_name in ({', '.join(repr(k) for k in keys)})")
        if kind == "postgres":
            sql_exec(warehouse, *[f'vacuum analyze "{schema}"."{m}"' for m in [*models.mirrors, *models.set_asides]])

    expected = {t: len(rows) for t, rows in workload.state().items()}
    select = " ".join(sorted(models.mirrors))
    runs = 3
    out: dict[str, Any] = {"target": kind, "records": total, "record_bytes_avg": sum(map(len, raws)) / total}
    for label_, args in (("mirrors", ("run", "-s", select)), ("project", ("run",))):
        times, queries, rows = [], [], []
        for _ in range(runs):
            reset()
            QUERIES.take()
            t0 = now_s()
            session.invoke(*args)
            times.append(now_s() - t0)
            queries = QUERIES.take()
            rows.append({m: sql_exec(warehouse, f'select count(*) from "{schema}"."{m}"')[0][0] for m in models.mirrors})
        out[label_] = {
            "select": " ".join(args[1:]) or "(all models)", "seconds": times, "median_s": median(times),
            "per_s": total / median(times), "rows": rows[-1],
            "correct": all(r == expected for r in rows),
            "top_queries": [{"statement": label(q), "seconds": round(s, 3)} for q, s in sorted(queries, key=lambda x: -x[1])[:3]],
        }
    out["expected_rows"] = expected

    # the relay: 40,000 DMS records put into a 4-shard local stream, relayed into a stand-in
    relay_stream = "relay_bench"
    session.invoke("run-operation", "streamleap.create_stream_source", "--args",
                   json.dumps({"stream_schema": stream_schema, "stream_name": relay_stream}))
    n_relay = 40_000 if not quick else 8_000
    spent: list[tuple[int, float]] = []

    class TimedRelay(Relay):
        def _insert(self, cur, rows):  # noqa: ANN001 - overrides Relay._insert, typed there
            t0 = now_s()
            super()._insert(cur, rows)
            spent.append((len(rows), now_s() - t0))

    kinesis = LocalKinesis().start()
    try:
        kinesis.create_stream(relay_stream, 4)
        client = kinesis.client()
        batch = raws[:n_relay]
        for start in range(0, n_relay, 500):
            client.put_records(StreamName=relay_stream, Records=[
                {"Data": d, "PartitionKey": f"public.cart.{start + i}"} for i, d in enumerate(batch[start:start + 500])])
        relay = TimedRelay(client, relay_stream, warehouse, stream_schema)
        t0 = now_s()
        pulls = 0
        while relay.pull().records:
            pulls += 1
        total_s = now_s() - t0
        relay.close()
    finally:
        kinesis.stop()
    n_ins, ins_s = sum(c for c, _ in spent), sum(s for _, s in spent)
    relayed = sql_exec(warehouse, f'select count(*) from "{stream_schema}"."{relay_stream}"')[0][0]
    out["relay"] = {"records": n_ins, "relayed_rows": relayed, "pulls": pulls, "insert_s": ins_s,
                    "insert_per_s": n_ins / ins_s if ins_s else None, "pull_total_s": total_s,
                    "pull_per_s": n_ins / total_s if total_s else None}
    return out


# =====================================================================================
# the orchestrator: children, report, chart
# =====================================================================================
def child(part: str, arg: str, work: Path, quick: bool, result_path: Path) -> None:
    if part == "cycle":
        res = part_cycle(work, quick)
    elif part == "tables":
        res = tables.part_tables(work, arg, quick)
    elif part == "latency_tables":
        res = tables.part_latency(work, arg, quick)
    elif part == "moto":
        res = part_moto(work, quick)
    elif part == "latency":
        res = part_latency(work, int(arg), 6.0 if quick else 18.0)
    elif part == "direct":
        res = part_direct(work, int(arg), 6.0 if quick else 18.0)
    elif part == "capture":
        res = part_capture(work, arg, quick)
    elif part == "apply":
        res = part_apply(work, arg, quick)
    elif part == "throughput":
        res = part_throughput(work, arg, quick)
    elif part == "peers":
        from peers import part_peers  # bench/peers.py
        res = part_peers(work, arg, quick)
    else:
        raise SystemExit(f"unknown part {part}")
    result_path.write_text(json.dumps(res, default=str, indent=1))


def machine() -> dict:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:  # noqa: BLE001 - a fact of the machine that cannot be read is reported as ?
            return "?"

    import duckdb
    from dbt.version import __version__ as dbt_version

    from streamleap.demo.local_postgres import _pg_bindir

    pg_bin = _pg_bindir()
    return {
        "nproc": sh("nproc"),
        "free_h": sh("free -h"),
        "cpu": sh("lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1") or platform.processor(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt_version,
        "postgres": sh(f"{pg_bin / 'postgres'} --version") if pg_bin else "not installed",
    }


class ForeignCPU:
    """CPU time used by processes that are not this benchmark's (other work on the machine while
    a part ran): /proc sampled at the start and the end of each part. Ours are this process's
    descendants and the throw-away PostgreSQL server's; processes that start and end between two
    samples are missed, so this is a lower bound."""

    def __init__(self, pg_pid: int | None = None) -> None:
        self.pg_pid = pg_pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.before: dict[int, float] = {}

    def _sample(self) -> dict[int, tuple[int, float]]:
        out = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                out[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick)
            except (OSError, IndexError, ValueError):
                continue
        return out

    def _foreign(self, sample: dict[int, tuple[int, float]]) -> dict[int, float]:
        roots = {os.getpid()} | ({self.pg_pid} if self.pg_pid else set())
        ours = set(roots)
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in sample.items():
            children.setdefault(ppid, []).append(pid)
        stack = list(roots)
        while stack:
            for c in children.get(stack.pop(), []):
                if c not in ours:
                    ours.add(c)
                    stack.append(c)
        return {pid: cpu for pid, (_, cpu) in sample.items() if pid not in ours and pid > 2}

    def start(self) -> None:
        self.before = self._foreign(self._sample())

    def seconds(self) -> float:
        after = self._foreign(self._sample())
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in after.items() if cpu >= self.before.get(pid, 0.0))


def code_fingerprint() -> str:
    """A hash of the code the benchmark measures (streamleap/ and dbt_package/), to notice edits made
    while it runs."""
    import hashlib

    h = hashlib.sha256()
    for base in ("streamleap", "dbt_package"):
        for path in sorted((ROOT / base).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:12]


def git_state() -> str:
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.rstrip()
        except Exception:  # noqa: BLE001 - no git or no repository: the report names no commit
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "streamleap", "dbt_package").splitlines()]
    return f"commit {head}" + (f" plus uncommitted changes to {', '.join(dirty)}" if dirty else "")


def orchestrate(args: argparse.Namespace) -> int:
    out_dir = Path(args.out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"--parts: unknown {sorted(unknown)}; known: {', '.join(PARTS)}")
    work = Path(tempfile.mkdtemp(prefix="streamleap-bench-"))
    started = dt.datetime.now(dt.timezone.utc)
    code_start, git_start = code_fingerprint(), git_state()
    load_start = os.getloadavg()
    t_start = now_s()
    jobs: list[tuple[str, str, str]] = []  # (result key, part, arg)
    for p in parts:
        if p == "cycle":
            jobs.append(("cycle", "cycle", ""))
        elif p == "tables":
            jobs += tables.jobs(args.quick)
        elif p == "moto":
            jobs.append(("moto", "moto", ""))
        elif p == "latency":
            jobs += [(f"latency_{r}", "latency", str(r)) for r in (200, 1000, 5000)]
            jobs.append(("direct_5000", "direct", "5000"))
            jobs += tables.latency_jobs(args.quick)
        elif p == "capture":
            jobs += [(f"capture_{k}", "capture", k) for k in ("postgres", "mariadb")]
        elif p == "apply":
            jobs += [(f"apply_{k}", "apply", k) for k in ("duckdb", "postgres")]
        elif p == "throughput":
            jobs += [(f"throughput_{k}", "throughput", k) for k in ("duckdb", "postgres")]
        elif p == "peers":
            jobs += [(f"peers_{k}", "peers", k) for k in ("duckdb", "postgres")]
    env = dict(os.environ)
    pg = None
    if any(arg == "postgres" for _, _, arg in jobs):
        from streamleap.demo.local_postgres import start_postgres

        try:
            pg = start_postgres({**PG_CONF})
            env.update({"STREAMLEAP_PG_HOST": "127.0.0.1", "STREAMLEAP_PG_PORT": str(pg.port),
                        "STREAMLEAP_PG_USER": "postgres", "STREAMLEAP_PG_DATABASE": "postgres"})
            print(f"throw-away PostgreSQL on port {pg.port}", flush=True)
        except RuntimeError as exc:
            print(f"PostgreSQL not available ({exc}): the Postgres measurements are skipped", flush=True)
            jobs = [j for j in jobs if j[2] != "postgres"]
    results: dict[str, Any] = {}
    runlog: list[dict] = []
    pg_pid = None
    if pg is not None:
        try:
            pg_pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    foreign = ForeignCPU(pg_pid)
    try:
        for key, part, arg in jobs:
            print(f"[{now_s() - t_start:6.0f} s] {key} ...", flush=True)
            foreign.start()
            result_path = work / f"{key}.json"
            child_env = dict(env, STREAMLEAP_PG_SCHEMA=f"bench_{key}")
            t0 = now_s()
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", part, "--arg", arg,
                                   "--work", str(work), "--result", str(result_path)] + (["--quick"] if args.quick else []),
                                  env=child_env, cwd=str(ROOT), capture_output=True, text=True)
            if done.returncode != 0 or not result_path.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
                print("  FAILED:\n    " + "\n    ".join(tail), flush=True)
                results[key] = {"error": "\n".join(tail)}
            else:
                results[key] = json.loads(result_path.read_text())
                print(f"  done in {now_s() - t0:.0f} s", flush=True)
            runlog.append({"part": key, "wall_s": now_s() - t0, "foreign_cpu_s": foreign.seconds(),
                           "load_1min": os.getloadavg()[0]})
    finally:
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    load_end = os.getloadavg()
    meta = {"load_start": load_start, "load_end": load_end, "started": started.isoformat(timespec="seconds"),
            "total_s": now_s() - t_start, "quick": args.quick,
            "command": args.command, "machine": machine(), "git": git_start, "runlog": runlog,
            "code_start": code_start, "code_end": code_fingerprint(), "pg_conf": PG_CONF, "targets": TARGETS}
    (out_dir / "results.json").write_text(json.dumps({"meta": meta, "results": results}, default=str, indent=1))
    verdicts = write_report(out_dir / "results.md", meta, results)
    write_chart(out_dir / "results.png", results)
    tables.write_chart(out_dir / "tables.png", results)
    print((out_dir / "results.md").read_text())
    print(f"wrote {out_dir / 'results.md'}, {out_dir / 'results.png'}, {out_dir / 'results.json'} "
          f"in {now_s() - t_start:.0f} s")
    del verdicts
    return 1 if any("error" in r for r in results.values()) else 0


# ------------------------------------------------------------------ report
def _f(x: Any, digits: int = 0, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "n/a"
    return f"{x:,.{digits}f}{unit}"


def _ms(seconds: Any) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f} ms"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def write_report(path: Path, meta: dict, results: dict) -> list[str]:
    m = meta["machine"]
    cores = m["nproc"]
    mem = next((line.split()[1] for line in m["free_h"].splitlines() if line.startswith("Mem:")), "?")
    L: list[str] = []
    add = L.append
    add("# streamleap benchmark results")
    add("")
    add(f"- date: {meta['started']} (UTC); whole run {meta['total_s'] / 60:.1f} min"
        + (" — **--quick: smoke-test sizes, not results**" if meta["quick"] else ""))
    add(f"- command: `{meta['command']}`")
    add(f"- code: {meta.get('git', '?')}")
    if meta.get("code_start") != meta.get("code_end"):
        add("- **WARNING: streamleap/ or dbt_package/ changed while the benchmark ran; the parts measured different "
            "code. Run it again.**")
    for earlier in meta.get("earlier_parts", []):  # results of earlier runs, merged into results.json by hand
        add(f"- **{', '.join(earlier['keys'])}: from an earlier run** (`{earlier['command']}`, {earlier['git']}, "
            f"{earlier['started']}), merged into `results.json` and this report with `--report-only`")
    add(f"- machine: {cores} cores (`nproc`), {mem} memory (`free -h`), CPU {m['cpu']}, Linux {m['kernel']}")
    add(f"- software: Python {m['python']}, DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}, {m['postgres']} "
        f"(throw-away server: {', '.join(f'{k}={v}' for k, v in meta['pg_conf'].items())}, fsync off)")
    noisy = [r["part"] for r in meta.get("runlog", []) if disturbed(r)]
    if noisy:
        add(f"- **WARNING: other processes used the CPU during {', '.join(noisy)} (see the run log at the end); "
            "those figures are pessimistic.**")
    add(f"- load average (1 min) before the run {meta['load_start'][0]:.2f}, after {meta['load_end'][0]:.2f}")
    add("- every number is a median over several runs unless it says otherwise; each measurement runs in a fresh "
        "child process, one after another (nothing runs concurrently).")
    add("")
    rows: list[tuple[str, str, str, str]] = []  # target, measured, verdict

    # -------- summary table is filled at the end; sections first into S
    S: list[str] = []
    sadd = S.append

    c = results.get("cycle")
    sadd("## 1. Cycle overhead (project with nothing new, DuckDB)")
    sadd("")
    if c and "error" not in c:
        sadd("| | median | runs |")
        sadd("|---|---:|---:|")
        sadd(f"| `dbt run` command (`.venv/bin/dbt run --project-dir P --profiles-dir P`) | {_ms(c['cli_median_s'])} | {len(c['cli_s'])} |")
        sadd(f"| runner cycle: `DbtSession.invoke(\"run\")`, manifest cached | {_ms(c['inproc_median_s'])} | {len(c['inproc_s'])} |")
        sadd(f"| **ratio** | **{c['ratio']:.1f}x** | |")
        sadd("")
        models = ", ".join(f"{k} {_ms(v)}" for k, v in c["models_median_s"].items())
        sadd(f"The project: the shop's `cart` and `cart_item` mirrors, the staging view and the set-aside model "
             f"(4 models). Inside the runner's cycle, {c['inproc_queries']} SQL statements take "
             f"{_ms(c['inproc_sql_median_s'])} of the {_ms(c['inproc_median_s'])}; the rest is dbt's own work "
             f"(per model: {models}). The one-off parse that the runner caches took {_ms(c['parse_s'])}.")
        ok = c["ratio"] >= TARGETS["cycle_ratio"]
        rows.append(("cycle overhead: runner >= 10x cheaper than `dbt run`",
                     f"{c['ratio']:.1f}x ({_ms(c['inproc_median_s'])} vs {_ms(c['cli_median_s'])})", verdict(ok), "1"))
    else:
        sadd(f"not measured: {c.get('error') if c else 'skipped'}")
    sadd("")

    S += tables.section(results, rows)

    # -------- latency
    sadd("## 2. End-to-end latency (`streamleap demo`, DuckDB, 4 shards, runner every 0.5 s)")
    sadd("")
    lat = [results.get(f"latency_{r}") for r in (200, 1000, 5000)]
    if any(x and "error" not in x for x in lat):
        sadd("Latency: from the put of a record to the local Kinesis endpoint to the end of the runner cycle "
             "that made it visible in the mirror, for every record of the run.")
        sadd("")
        sadd("| rate asked | changes produced (per s) | p50 | p95 | p99 | max | mirror matches | cycles | median cycle | "
             "relay pull (median) | dbt run (median) | put_records: calls, time in them | get_records: calls, time in them |")
        sadd("|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|---:|")
        for r, x in zip((200, 1000, 5000), lat, strict=True):
            if not x or "error" in x:
                sadd(f"| {r}/s | error: {(x or {}).get('error', 'skipped')[:80]} |" + " |" * 11)
                continue
            sadd(f"| {r}/s | {x['changes']:,} ({x['offered_per_s']:,.0f}/s) | {_f(x['p50_ms'], 0, ' ms')} | "
                 f"{_f(x['p95_ms'], 0, ' ms')} | {_f(x['p99_ms'], 0, ' ms')} | {_f(x['max_ms'], 0, ' ms')} | "
                 f"{'yes' if x['mirror_matches'] else 'NO'} | {x['cycles']} | {_ms(x['cycle']['median_s'])} | "
                 f"{_ms(x['pull']['median_s'])} | {_ms(x['dbt']['median_s'])} | "
                 f"{x['put']['calls']}, {x['put']['seconds']:.1f} s | {x['get']['calls']}, {x['get']['seconds']:.1f} s |")
        sadd("")
        d = results.get("direct_5000")
        if d and "error" not in d:
            sadd(f"The same shop and runner cadence at {d['rate']}/s with the records written straight into the stand-in "
                 "(one append per producer tick, each with its own refresh_time, the way a relay pull lands): no Kinesis "
                 "endpoint and no relay, so streamleap's own latency. From the append to the end of the dbt run whose "
                 "watermark covers it.")
            sadd("")
            sadd("| rate asked | changes produced (per s) | p50 | p95 | p99 | max | mirrors = source (row counts) | cycles | "
                 "median cycle (dbt run) | longest cycle |")
            sadd("|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|")
            sadd(f"| {d['rate']}/s, straight into the stand-in | {d['changes']:,} ({d['offered_per_s']:,.0f}/s) | "
                 f"{_f(d['p50_ms'], 0, ' ms')} | {_f(d['p95_ms'], 0, ' ms')} | {_f(d['p99_ms'], 0, ' ms')} | "
                 f"{_f(d['max_ms'], 0, ' ms')} | {'yes' if d['mirror_rows_match'] else 'NO'} | {d['cycles']} | "
                 f"{_ms(d['cycle_median_s'])} | {_ms(d['cycle_max_s'])} |")
            sadd("")
        elif d:
            sadd(f"Straight into the stand-in at 5000/s: error: {d['error'][:200]}")
            sadd("")
        x = results.get("latency_1000")
        if x and "error" not in x:
            ok = x["p99_ms"] is not None and x["p99_ms"] < TARGETS["p99_ms_at_1000"]
            rows.append(("latency at 1000 changes/s: p99 < 2 s",
                         f"p99 {_f(x['p99_ms'], 0, ' ms')} (p50 {_f(x['p50_ms'], 0, ' ms')})", verdict(ok), "2"))
        x = results.get("latency_5000")
        if x and "error" not in x:
            rows.append(("latency at 5000 changes/s through moto (no target; the stand-in limits it)",
                         f"p50 {_f(x['p50_ms'], 0, ' ms')}, p99 {_f(x['p99_ms'], 0, ' ms')} "
                         f"({x['offered_per_s']:,.0f}/s produced)", "info", "2"))
        d = results.get("direct_5000")
        if d and "error" not in d:
            rows.append(("latency at 5000 changes/s, records straight into the stand-in (no target)",
                         f"p50 {_f(d['p50_ms'], 0, ' ms')}, p99 {_f(d['p99_ms'], 0, ' ms')} "
                         f"({d['offered_per_s']:,.0f}/s produced)", "info", "2"))
    else:
        sadd("not measured")
    sadd("")
    mo = results.get("moto")
    sadd("### The local Kinesis endpoint (moto, in-process server) on its own")
    sadd("")
    if mo and "error" not in mo:
        sadd(f"{mo['records']:,} shop DMS records (average {mo['record_bytes_avg']:.0f} bytes) put with `put_records` "
             f"in batches of 500 into a {mo['shards']}-shard stream; after every tenth, `get_records` of the newest "
             "~500 records of one shard (what a relay pull reads each cycle).")
        sadd("")
        sadd("| records in the stream | put_records rate (that tenth) | get_records of ~500 newest records (one shard) | "
             "records in that shard |")
        sadd("|---:|---:|---:|---:|")
        for p, g in zip(mo["put_curve"], mo["tail_get_curve"], strict=False):
            sadd(f"| {p['stream_records']:,} | {p['put_records_per_s']:,.0f} records/s | {_ms(g['get_records_s'])} "
                 f"({g['records'] / g['get_records_s']:,.0f} records/s) | {g['shard_records']:,} |")
        sadd("")
        sadd(f"A full read of all shards from TRIM_HORIZON in pages of 10,000: {mo['full_read_records_per_s']:,.0f} records/s.")
    else:
        sadd(f"not measured: {(mo or {}).get('error', 'skipped')}")
    sadd("")
    sadd("LATENCY_NOTES")
    sadd("")

    # -------- from a live source
    caps = [results.get(f"capture_{k}") for k in ("postgres", "mariadb")]
    sadd("### From a live source: `streamleap capture` (COMMIT -> visible in the mirror, DuckDB, runner every 0.5 s)")
    sadd("")
    if any(x for x in caps):
        sadd(f"A steady {CAPTURE_RATE} transactions/s on a real source (each inserts a row; every other one also "
             "updates an older row), `streamleap capture` in its own process writing to the local Kinesis endpoint "
             "(4 shards), the runner (relay + dbt) in the benchmark's process. Latency of a row: from the moment its "
             "COMMIT returned on the source to the end of the runner cycle after which the row is in the mirror.")
        sadd("")
        sadd("| source | transactions (changes) | p50 | p95 | p99 | max | mirror = source (id, n) | cycles | median cycle |")
        sadd("|---|---:|---:|---:|---:|---:|:---:|---:|---:|")
        for kind, x in zip(("PostgreSQL (pgoutput)", "MariaDB (row binlog)"), caps, strict=True):
            if not x or "error" in x:
                sadd(f"| {kind} | error: {(x or {}).get('error', 'skipped')[:120]} |" + " |" * 7)
                continue
            sadd(f"| {kind} | {x['transactions']:,} ({x['changes']:,}) | {_f(x['p50_ms'], 0, ' ms')} | "
                 f"{_f(x['p95_ms'], 0, ' ms')} | {_f(x['p99_ms'], 0, ' ms')} | {_f(x['max_ms'], 0, ' ms')} | "
                 f"{'yes' if x['mirror_matches'] else 'NO'} | {x['cycles']} | {_ms(x['cycle_median_s'])} |")
            rows.append((f"{kind}: COMMIT -> visible at {CAPTURE_RATE} tx/s (seed: under 10 s)",
                         f"p50 {_f(x['p50_ms'], 0, ' ms')}, p99 {_f(x['p99_ms'], 0, ' ms')}",
                         verdict(x["p99_ms"] is not None and x["p99_ms"] < 10_000), "2"))
    else:
        sadd("not measured")
    sadd("")

    # -------- apply
    sadd("## 3. Apply cost against mirror size (one batch of 10,000 changes)")
    sadd("")
    any_apply = False
    for kind in ("duckdb", "postgres"):
        a = results.get(f"apply_{kind}")
        if not a or "error" in a:
            sadd(f"**{kind}**: not measured: {(a or {}).get('error', 'skipped')}")
            sadd("")
            continue
        any_apply = True
        sizes = list(a["sizes"].values())
        sadd(f"**{kind}**")
        sadd("")
        sadd("| mirror rows | `dbt run -s cart` (in-process, manifest cached) | runs | whole-table rebuild (baseline) | runs | "
             "speedup | rows after apply = expected |")
        sadd("|---:|---:|---|---:|---|---:|:---:|")
        for s in sizes:
            sadd(f"| {s['rows']:,} | **{_ms(s['apply_median_s'])}** | {', '.join(f'{t * 1000:.0f}' for t in s['apply_s'])} ms | "
                 f"**{_ms(s['baseline_median_s'])}** | {', '.join(f'{t * 1000:.0f}' for t in s['baseline_s'])} ms | "
                 f"{s['speedup']:.1f}x | {'yes' if s['correct'] else 'NO'} ({s['rows_after'][-1]:,} / {s['rows_expected']:,}) |")
        sadd("")
        sadd(f"5M-row apply / 100k-row apply: **{a['growth']:.1f}x**.")
        sadd("")
        sadd("dbt's own time in the apply (the median run minus its SQL statements replayed alone): "
             + ", ".join(f"{s['rows']:,} rows {_ms(s['apply_median_s'] - s['statements_total_s'])}" for s in sizes)
             + "; the batch SELECT (JSON parsing and typing of the 10,000 records, the `create temporary table` "
             "statement): " + ", ".join(f"{s['rows']:,} rows {_ms(s['batch_select_s'])}" for s in sizes) + ".")
        sadd("")
        big = sizes[-1]
        sadd(f"Where the {big['rows']:,}-row apply's time goes (each statement of dbt's run of the model re-run alone, "
             f"in a transaction rolled back; {big['statements_total_s'] * 1000:,.0f} ms in all):")
        sadd("")
        sadd("| statement | time | share |")
        sadd("|---|---:|---:|")
        for st in big["statements"]:
            sadd(f"| `{st['statement'].replace('|', '/')}` | {_ms(st['seconds'])} | {st['share'] * 100:.0f}% |")
        sadd("")
        small = sizes[0]
        sadd(f"The same at {small['rows']:,} rows ({small['statements_total_s'] * 1000:,.0f} ms in all): "
             + "; ".join(f"`{st['statement'][:70]}` {_ms(st['seconds'])}" for st in small["statements"][:3]) + ".")
        sadd("")
        ok_g = a["growth"] <= TARGETS["apply_growth"]
        ok_b = big["speedup"] >= TARGETS["baseline_speedup"]
        rows.append((f"apply cost {kind}: 5M-row <= 5x the 100k-row",
                     f"{a['growth']:.1f}x ({_ms(big['apply_median_s'])} vs {_ms(small['apply_median_s'])})", verdict(ok_g), "3"))
        rows.append((f"apply {kind} at 5M rows >= 20x faster than the whole-table rebuild",
                     f"{big['speedup']:.1f}x ({_ms(big['apply_median_s'])} vs {_ms(big['baseline_median_s'])})", verdict(ok_b), "3"))
    if any_apply:
        a = results.get("apply_duckdb") or results.get("apply_postgres")
        s0 = next(iter(a["sizes"].values()))
        names = {"update": "updates", "insert": "inserts", "delete": "deletes", "key_move": "key moves",
                 "stale": "stale changes", "redelivery": "re-deliveries"}
        mix = ", ".join(f"{v:,} {names.get(k, k)}" for k, v in s0["mix"].items())
        sadd(f"The batch: {s0['changes']:,} DMS records of `public.cart` ({mix}; updates hit some keys several times). "
             "Stale changes carry a commit time older than the mirror rows; re-deliveries are the same bytes again "
             "with a later sequence number. The mirror is built with SQL (keys 1..N, valid `_streamleap_order`, "
             "N/100 tombstones of other keys) after a first `dbt run` created it; the state row's watermark is set "
             "and the records go into the stand-in with a later refresh_time. Between runs the touched keys are "
             "restored from a copy of the mirror and of the tombstones, the watermark is reset"
             " (Postgres: and VACUUM ANALYZE, as autovacuum would)." )
        sadd("")
        sadd("The baseline, plain SQL over the same data: every mirror row and the batch's records, parsed and typed "
             "by the same SELECT the model runs (so both sides pay the same JSON parsing, shown as \"batch SELECT\" "
             "above), deduplicated by key into a new table, deletes dropped — the whole-table rebuild many CDC "
             "loaders do. (Swapping the new table in is not timed.)")
        sadd("")
        sadd("```sql")
        sadd(a["baseline_sql"])
        sadd("```")
        sadd("")

    # -------- throughput
    tp = [results.get(f"throughput_{k}") for k in ("duckdb", "postgres")]
    n_tp = next((x["records"] for x in tp if x and "error" not in x), 100_000)
    sadd(f"## 4. Sustained apply throughput ({n_tp:,} DMS records in the stand-in, one dbt run)")
    sadd("")
    if any(x and "error" not in x for x in tp):
        sadd("The shop workload's records (full load of 2,000 carts, then transactions with re-deliveries; "
             "`cart` and `cart_item`) in the stand-in with one refresh_time; mirrors emptied and watermarks reset "
             "between runs. Rate = records / wall time of the dbt invocation (in-process, manifest cached), "
             "JSON parsing and typing included.")
        sadd("")
        sadd("| target | records | `dbt run -s cart cart_item` | changes/s | whole project `dbt run` (+ staging view, set-aside model) | "
             "changes/s | mirror = source | slowest statement (mirrors run) |")
        sadd("|---|---:|---:|---:|---:|---:|:---:|---|")
        for kind, x in zip(("duckdb", "postgres"), tp, strict=True):
            if not x or "error" in x:
                sadd(f"| {kind} | error: {(x or {}).get('error', 'skipped')[:80]} |" + " |" * 6)
                continue
            mq, pq = x["mirrors"], x["project"]
            tq = mq["top_queries"][0]
            sadd(f"| {kind} | {x['records']:,} | {_ms(mq['median_s'])} | **{mq['per_s']:,.0f}** | {_ms(pq['median_s'])} | "
                 f"{pq['per_s']:,.0f} | {'yes' if mq['correct'] and pq['correct'] else 'NO'} | "
                 f"`{tq['statement'][:90]}` {_ms(tq['seconds'])} |")
        for kind, x in zip(("duckdb", "postgres"), tp, strict=True):
            if x and "error" not in x:
                sadd(f"Slowest statements of the whole-project run on {kind}: " + "; ".join(
                    f"`{q['statement'][:80]}` {_ms(q['seconds'])}" for q in x["project"]["top_queries"]) + ".")
                sadd("")
        n_relay = next(x["relay"]["records"] for x in tp if x and "error" not in x)
        sadd(f"Relay insert rate (moved here from tests/test_relay.py's opt-in measurement): {n_relay:,} shop DMS records "
             "put into a 4-shard local stream, relayed into a stand-in by `Relay.pull()` until caught up.")
        sadd("")
        sadd("| target | records | insert into the stand-in | pull end to end (moto reads + insert + checkpoints) | pulls |")
        sadd("|---|---:|---:|---:|---:|")
        for kind, x in zip(("duckdb", "postgres"), tp, strict=True):
            if not x or "error" in x:
                continue
            r = x["relay"]
            sadd(f"| {kind} | {r['records']:,} | {_f(r['insert_per_s'])} records/s | {_f(r['pull_per_s'])} records/s | {r['pulls']} |")
        sadd("")
        for kind, x in zip(("duckdb", "postgres"), tp, strict=True):
            if x and "error" not in x:
                if kind == "duckdb":
                    ok = x["mirrors"]["per_s"] >= TARGETS["throughput_duckdb"]
                    rows.append(("throughput on DuckDB >= 50,000 changes/s", f"{x['mirrors']['per_s']:,.0f}/s", verdict(ok), "4"))
                else:
                    rows.append(("throughput on Postgres (no target)", f"{x['mirrors']['per_s']:,.0f}/s", "info", "4"))
    else:
        sadd("not measured")
    sadd("")
    if any(k.startswith("peers_") for k in results):
        from peers import report as peers_report  # bench/peers.py

        S.extend(peers_report(results, rows))

    add("## Targets")
    add("")
    add("| # | target | measured | verdict |")
    add("|---|---|---|:---:|")
    for name, measured, v, n in rows:
        add(f"| {n} | {name} | {measured} | **{v}** |")
    add("")
    add("![results](results.png)")
    add("")
    S.append("## Run log")
    S.append("")
    S.append("Wall time of each part, and CPU time other processes on the machine used meanwhile (processes that are "
             "not this benchmark's; a lower bound): a large number there means that part's figures were disturbed.")
    S.append("")
    S.append("| part | wall | CPU used by other processes meanwhile | |")
    S.append("|---|---:|---:|---|")
    for r in meta.get("runlog", []):
        S.append(f"| {r['part']} | {r['wall_s']:.0f} s | {r['foreign_cpu_s']:.1f} s | "
                 f"{'**disturbed**' if disturbed(r) else ''} |")
    S.append("")
    text = "\n".join(L + S) + "\n"
    text = text.replace("LATENCY_NOTES", latency_notes(results))
    path.write_text(text)
    return [v for _, _, v, _ in rows]


def disturbed(r: dict) -> bool:
    """Other processes took more than 5% of one core during the part."""
    return r["foreign_cpu_s"] > 0.05 * r["wall_s"]


def latency_notes(results: dict) -> str:
    """Where the stand-in, not streamleap, limits the highest rate."""
    x5, mo = results.get("latency_5000"), results.get("moto")
    if not x5 or "error" in x5:
        return ""
    parts = []
    if mo and "error" not in mo:
        first, last = mo["put_curve"][0], mo["put_curve"][-1]
        g0, g1 = mo["tail_get_curve"][0], mo["tail_get_curve"][-1]
        parts.append(
            f"moto's put rate falls as the stream grows (from {first['put_records_per_s']:,.0f} records/s with "
            f"{first['stream_records']:,} records in the stream to {last['put_records_per_s']:,.0f}/s at "
            f"{last['stream_records']:,}: each record put copies the shard's list of sequence numbers), and a "
            f"`get_records` of the newest records scans the shard from its start ({_ms(g0['get_records_s'])} at "
            f"{g0['shard_records']:,} records in the shard, {_ms(g1['get_records_s'])} at {g1['shard_records']:,}).")
    busy = x5["put"]["seconds"] + x5["get"]["seconds"]
    parts.append(
        f"In the 5000/s run ({x5['changes']:,} changes over {x5['duration_s']:.0f} s, {x5['wall_s']:.0f} s wall), "
        f"the producer spent {x5['put']['seconds']:.1f} s in {x5['put']['calls']} put_records calls and the relay "
        f"{x5['get']['seconds']:.1f} s in {x5['get']['calls']} get_records calls — {busy:.1f} s of Kinesis calls, "
        f"served by moto inside the same Python process (one GIL, {os.cpu_count()} cores) as the producer, the relay and dbt; "
        f"the dbt runs took {x5['dbt']['seconds']:.1f} s over {x5['dbt']['calls']} cycles (median {_ms(x5['dbt']['median_s'])}).")
    d = results.get("direct_5000")
    if d and "error" not in d:
        parts.append(f"Without moto (records straight into the stand-in) the same 5000/s gives p50 "
                     f"{_f(d['p50_ms'], 0, ' ms')} and p99 {_f(d['p99_ms'], 0, ' ms')} with a median cycle of "
                     f"{_ms(d['cycle_median_s'])}: at this rate the local Kinesis endpoint, not the apply, sets the latency.")
    for r in (200, 1000):
        x = results.get(f"latency_{r}")
        if x and "error" not in x:
            parts.append(f"At {r}/s: put {x['put']['seconds']:.1f} s, get {x['get']['seconds']:.1f} s, dbt "
                         f"{x['dbt']['seconds']:.1f} s (median cycle {_ms(x['cycle']['median_s'])}).")
    return "**Where the stand-in is the bottleneck.** " + " ".join(parts)


# ------------------------------------------------------------------ chart
def write_chart(path: Path, results: dict) -> None:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no chart")
        return

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax = axes[0][0]
    c = results.get("cycle")
    if c and "error" not in c:
        vals = [c["cli_median_s"] * 1000, c["inproc_median_s"] * 1000]
        bars = ax.bar(["dbt run (command)", "runner cycle\n(in-process, cached manifest)"], vals, color=["#999999", "#1f77b4"])
        ax.bar_label(bars, labels=[f"{v:,.0f} ms" for v in vals])
        ax.set_title(f"1. Cycle overhead, nothing new (DuckDB): {c['ratio']:.1f}x")
        ax.set_ylabel("ms (median)")
    ax = axes[0][1]
    lat = [(r, results.get(f"latency_{r}")) for r in (200, 1000, 5000)]
    lat = [(f"{r}/s asked\n({x['offered_per_s']:,.0f}/s produced)", x) for r, x in lat if x and "error" not in x]
    d = results.get("direct_5000")
    if d and "error" not in d:
        lat.append((f"5000/s straight into\nthe stand-in, no moto\n({d['offered_per_s']:,.0f}/s produced)", d))
    if lat:
        import numpy as np

        xs = np.arange(len(lat))
        for i, (p, colour) in enumerate((("p50_ms", "#2ca02c"), ("p95_ms", "#ff7f0e"), ("p99_ms", "#d62728"))):
            vals = [x[p] or 0 for _, x in lat]
            bars = ax.bar(xs + (i - 1) * 0.27, vals, 0.27, label=p.split("_")[0], color=colour)
            ax.bar_label(bars, labels=[f"{v:,.0f}" for v in vals], fontsize=7)
        ax.axhline(2000, ls="--", color="black", lw=1, label="target p99 at 1000/s")
        ax.set_xticks(xs, [name for name, _ in lat], fontsize=8)
        ax.set_ylabel("ms, commit to visible")
        ax.set_yscale("log")
        ax.set_title("2. End-to-end latency (demo, DuckDB, moto Kinesis)")
        ax.legend(fontsize=8)
    ax = axes[1][0]
    labels, ours, base = [], [], []
    for kind in ("duckdb", "postgres"):
        a = results.get(f"apply_{kind}")
        if a and "error" not in a:
            for s in a["sizes"].values():
                labels.append(f"{kind}\n{s['rows'] / 1e6:g}M rows")
                ours.append(s["apply_median_s"] * 1000)
                base.append(s["baseline_median_s"] * 1000)
    if labels:
        import numpy as np

        xs = np.arange(len(labels))
        b1 = ax.bar(xs - 0.2, ours, 0.4, label="streamleap apply (dbt run -s cart)", color="#1f77b4")
        b2 = ax.bar(xs + 0.2, base, 0.4, label="whole-table rebuild (baseline SQL)", color="#999999")
        ax.bar_label(b1, labels=[f"{v:,.0f}" for v in ours], fontsize=7)
        ax.bar_label(b2, labels=[f"{v:,.0f}" for v in base], fontsize=7)
        ax.set_xticks(xs, labels, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("ms (median)")
        ax.set_title("3. One batch of 10,000 changes against mirror size")
        ax.legend(fontsize=8)
    ax = axes[1][1]
    names, vals, colours = [], [], []
    for kind in ("duckdb", "postgres"):
        x = results.get(f"throughput_{kind}")
        if x and "error" not in x:
            names += [f"{kind}\napply (mirrors)", f"{kind}\nrelay insert"]
            vals += [x["mirrors"]["per_s"], x["relay"]["insert_per_s"] or 0]
            colours += ["#1f77b4", "#9467bd"]
    if names:
        bars = ax.bar(names, vals, color=colours)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in vals], fontsize=8)
        ax.axhline(TARGETS["throughput_duckdb"], ls="--", color="black", lw=1, label="target on DuckDB")
        ax.set_ylabel("records/s")
        n_tp = next(results[f"throughput_{k}"]["records"] for k in ("duckdb", "postgres")
                    if results.get(f"throughput_{k}") and "error" not in results[f"throughput_{k}"])
        ax.set_title(f"4. Sustained throughput ({n_tp:,} DMS records, one dbt run)")
        ax.tick_params(axis="x", labelsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (a smoke test)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    parser.add_argument("--out-dir", default=str(HERE), help="where results.md/.json/.png go (default: bench/)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (projects, databases)")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: write results.md and results.png again from results.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--arg", default="", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args.child, args.arg, Path(args.work), args.quick, Path(args.result))
        return 0
    if args.report_only:
        out_dir = Path(args.out_dir).resolve()
        data = json.loads((out_dir / "results.json").read_text())
        write_report(out_dir / "results.md", data["meta"], data["results"])
        write_chart(out_dir / "results.png", data["results"])
        tables.write_chart(out_dir / "tables.png", data["results"])
        print(f"wrote {out_dir / 'results.md'} and {out_dir / 'results.png'} from {out_dir / 'results.json'}")
        return 0
    args.command = " ".join([Path(sys.executable).relative_to(ROOT).as_posix() if str(sys.executable).startswith(str(ROOT))
                             else sys.executable, "bench/run.py", *sys.argv[1:]])
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
