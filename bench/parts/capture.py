"""Part "capture": end to end from a live source, COMMIT -> visible in the mirror, through
`streamleap capture` (a throw-away PostgreSQL with logical decoding, or MariaDB with the row binlog).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import ROOT, STREAM, sql_exec
from streamleap.demo.producer import Producer
from streamleap.demo.stats import median, percentile


CAPTURE_RATE = 100  # source transactions per second (each inserts a row; every other one also updates one)


def part_capture(work: Path, kind: str, quick: bool, rate: int = CAPTURE_RATE, every: float = 0.5) -> dict:
    """A real source (a throw-away PostgreSQL with wal_level=logical, or MariaDB with the row
    binlog) at a steady `rate` of transactions, `streamleap capture` as its own process writing to
    the local Kinesis endpoint, and the runner (relay + dbt, DuckDB) cycling every `every` s in
    this process. Latency of a row = the end of the runner cycle after which it is in the mirror
    minus the wall-clock time its COMMIT returned on the source."""
    sys.path.insert(0, str(ROOT))
    from sqlglot import exp

    from streamleap.project.invoke import run_dbt
    from streamleap.sources.introspect import read_source
    from streamleap.kinesis.local import LocalKinesis
    from streamleap.model.mirror_plan import plan_tables
    from streamleap.project.scaffold import generate_models, init_project
    from streamleap.pipeline.runner import Runner
    from streamleap.pipeline.warehouse import open_warehouse

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
            commits: dict[int, float] = {}  # transaction (its row's id) -> wall time its COMMIT returned
            lock = threading.Lock()
            source: list[Any] = []  # the producer's connection, made in its thread

            def write(n: int) -> int:
                """n source transactions: each inserts a row; every other one also updates an older row."""
                if not source:
                    source.append(connect())
                pcon = source[0]
                pcur = pcon.cursor()
                for _ in range(n):
                    i = len(commits) + 1
                    pcur.execute(f"insert into {table} (id, n, note, changed_at) values (%s, %s, %s, %s)",
                                 [i, 0, f"row {i}", dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
                    if i % 2 == 0 and i > 10:
                        pcur.execute(f"update {table} set n = n + 1 where id = %s", [i - 10])
                    pcon.commit()
                    with lock:
                        commits[i] = time.time()
                return n

            producer = Producer(write, rate=rate, duration=duration, tick=0.005, name="source-transactions")
            # warm up: the capture has made its slot / snapshot and one cycle has run
            for _ in range(3):
                runner.cycle()
            producer.start()
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
                if producer.done.is_set():
                    deadline = deadline or end + 60
                    with lock:
                        caught_up = len(visible) == len(commits)
                    if caught_up or end > deadline:
                        break
                if capture.poll() is not None:
                    raise RuntimeError(f"streamleap capture exited: {capture.stderr.read()[-2000:]}")
                time.sleep(max(0.0, every - (end - t0)))
            if producer.error is not None:
                raise producer.error
            for con in source:
                con.close()
            runner.close()
            source_rows = {r[0]: r[1] for r in _query(connect, f"select id, n from {table}")}
            mirror_rows = {r[0]: r[1] for r in sql_exec(warehouse, f"select id, n from {mirror}")}
            return {"source": kind, "rate_tx_per_s": rate, "duration_s": duration, "transactions": len(commits),
                    "changes": len(commits) + sum(1 for i in commits if i % 2 == 0 and i > 10),
                    "cycles": len(cycles), "cycle_median_s": median(cycles), "every_s": every,
                    "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
                    "p99_ms": percentile(latencies, 99), "max_ms": max(latencies, default=None),
                    "rows_measured": len(latencies), "mirror_matches": source_rows == mirror_rows}
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
