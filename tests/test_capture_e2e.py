"""The whole local pipeline from a live source, on PostgreSQL and on MariaDB:

    source (real server) -> `streamleap capture` (a process) -> Kinesis (moto's server, here)
      -> `streamleap run` (a process per target) -> DuckDB and Postgres mirrors

A seeded workload runs on the source: inserts, updates, deletes, primary-key changes, multi-row
transactions, rolled-back transactions, every common column type, a table with a composite key.
Mid-stream the capture and both runners are killed (SIGKILL) and started again, and a column is
added on the source. When the source is quiet, the capture drains (`--once`), the runners catch
up, and every mirror must equal its source table, compared by querying both, value by value.
Then `generate` is run again: the new column is added to the mirrors and filled from the
payloads the stream retains, without reloading the tables.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streamleap.capture.resync import MARGIN
from streamleap.project.invoke import run_dbt
from streamleap.sources.introspect import read_source
from streamleap.kinesis.local import LocalKinesis
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models, init_project
from streamleap.pipeline.runner import Runner
from streamleap.model.type_mapping import map_type
from tests.harness import Target

pytestmark = [pytest.mark.dbt]

SOURCES = [pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mariadb", marks=pytest.mark.mariadb)]
ROLLED_BACK_IDS = 900_000  # keys only rolled-back transactions use: they must never reach a mirror

PG_ITEMS = {
    "id": "bigint", "c_smallint": "smallint", "c_int": "integer", "c_numeric": "numeric(12,2)", "c_real": "real",
    "c_double": "double precision", "c_bool": "boolean", "c_varchar": "varchar(40)", "c_char": "char(5)",
    "c_text": "text", "c_bytea": "bytea", "c_date": "date", "c_time": "time", "c_ts": "timestamp",
    "c_tstz": "timestamp with time zone", "c_jsonb": "jsonb", "c_uuid": "uuid", "c_arr": "integer[]",
    "MixedCase": "varchar(10)",
}
MY_ITEMS = {
    "id": "bigint", "c_tinyint": "tinyint", "c_bool": "tinyint(1)", "c_int": "int", "c_ubig": "bigint unsigned",
    "c_dec": "decimal(12,2)", "c_float": "float", "c_double": "double", "c_varchar": "varchar(40)",
    "c_char": "char(5)", "c_text": "text", "c_blob": "blob", "c_date": "date", "c_time": "time",
    "c_datetime": "datetime(6)", "c_ts": "timestamp(6)", "c_year": "year", "c_enum": "enum('a','b','c')",
    "c_set": "set('x','y')", "c_json": "json", "MixedCase": "varchar(10)",
}
LINES = {"order_id": "integer", "line_no": "integer", "qty": "integer", "note": "varchar(100)"}
ADDED = ("extra", "varchar(20)")
STRINGS = ["plain", "it's", 'say "hi"', "Grüße", "日本語", "back\\slash", "new\nline", "", "🙂 emoji"]


# ---------------------------------------------------------------- the source
@dataclass
class Source:
    kind: str  # postgres | mariadb
    url: str  # the capture's source URL
    connect: Callable[[], Any]
    schema: str = "shop"
    items: dict[str, str] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return "postgres" if self.kind == "postgres" else "mysql"

    def q(self, name: str) -> str:
        from sqlglot import exp

        return exp.to_identifier(name, quoted=True).sql(dialect=self.dialect)

    def rel(self, table: str) -> str:
        from sqlglot import exp

        return exp.table_(table, db=self.schema, quoted=True).sql(dialect=self.dialect)

    @property
    def mark(self) -> str:
        return "%s"

    def execute(self, statements: list[tuple[str, list]], commit: bool = True) -> None:
        con = self.connect()
        try:
            cur = con.cursor()
            for sql, params in statements:
                cur.execute(sql, params)
            if commit:
                con.commit()
            else:
                con.rollback()
        finally:
            con.close()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        con = self.connect()
        try:
            cur = con.cursor()
            if self.kind == "mariadb":
                cur.execute("SET time_zone = '+00:00'")
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
        finally:
            con.close()


def _pg_source(url: str) -> Source:
    import psycopg2

    def connect():
        return psycopg2.connect(url)

    source = Source("postgres", url, connect, items=dict(PG_ITEMS))
    source.execute([("drop schema if exists shop cascade", []), ("create schema shop", []),  # one server, every test
                    (f"create table {source.rel('items')} ("
                     + ", ".join(f"{source.q(c)} {t}{' primary key' if c == 'id' else ''}" for c, t in PG_ITEMS.items())
                     + ")", []),
                    (f"create table {source.rel('order_line')} ("
                     + ", ".join(f"{source.q(c)} {t}" for c, t in LINES.items()) + ", primary key (order_id, line_no))", [])])
    return source


def _my_source(url: str) -> Source:
    import pymysql

    from streamleap.sources.connection import parse_source_url

    parts = parse_source_url(url)

    def connect():
        # a connection per workload statement: without ssl_disabled pymysql makes a TLS context for
        # each (loading the system's CA certificates), over a minute of the suite's CPU
        return pymysql.connect(host=parts.host, port=parts.port, user=parts.user, password=parts.password or "",
                               database="shop", charset="utf8mb4", autocommit=False, ssl_disabled=True)

    boot = pymysql.connect(host=parts.host, port=parts.port, user=parts.user, password=parts.password or "")
    with boot.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS shop")
        cur.execute("CREATE DATABASE shop CHARACTER SET utf8mb4")
    boot.close()
    source = Source("mariadb", url.rstrip("/") + "/shop", connect, items=dict(MY_ITEMS))
    source.execute([(f"create table {source.rel('items')} ("
                     + ", ".join(f"{source.q(c)} {t}{' not null primary key' if c == 'id' else ' null'}"
                                 for c, t in MY_ITEMS.items()) + ") ENGINE=InnoDB", []),
                    (f"create table {source.rel('order_line')} ("
                     + ", ".join(f"{source.q(c)} {'int' if t == 'integer' else t}" for c, t in LINES.items())
                     + ", primary key (order_id, line_no)) ENGINE=InnoDB", [])])
    return source


@pytest.fixture(scope="module")
def logical_pg_url():
    from tests.servers import start_postgres

    try:
        server = start_postgres(extra_conf={"wal_level": "logical", "max_replication_slots": "10",
                                            "max_wal_senders": "10"})
    except RuntimeError as exc:  # pragma: no cover - only without the Debian package
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def source(request) -> Source:
    if request.param == "postgres":
        return _pg_source(request.getfixturevalue("logical_pg_url"))
    return _my_source(request.getfixturevalue("mysql_url"))


# ---------------------------------------------------------------- the workload
def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


class Workload:
    """Seeded transactions on the source; keys it believes exist (the source is the truth)."""

    def __init__(self, source: Source, seed: int = 1):
        self.source = source
        self.rng = random.Random(seed)
        self.next_id = 1
        self.items: set[int] = set()
        self.lines: set[tuple[int, int]] = set()
        self.extra_column = False
        self.transactions = 0

    def value(self, column: str, typ: str) -> Any:
        r = self.rng
        if r.random() < 0.08 and column != "id":
            return None
        pg = self.source.kind == "postgres"
        if typ in ("smallint", "tinyint"):
            return r.randint(-128, 127) if typ == "tinyint" else r.randint(-32768, 32767)
        if typ in ("integer", "int"):
            return r.randint(-2**31, 2**31 - 1)
        if typ == "bigint unsigned":
            return r.choice([0, 2**64 - 1, r.randint(0, 2**64 - 1)])
        if typ in ("numeric(12,2)", "decimal(12,2)"):
            return decimal.Decimal(r.randint(-10**11, 10**11)) / 100
        if typ == "real":
            return _f32(r.uniform(-1e6, 1e6))
        if typ == "float":
            return r.randint(-4000, 4000) / 4
        if typ in ("double precision", "double"):
            return r.uniform(-1e9, 1e9) if pg else r.randint(-10**9, 10**9) / 8
        if typ in ("boolean", "tinyint(1)"):
            return r.random() < 0.5 if pg else r.randint(0, 1)
        if typ.startswith("varchar") or typ == "char(5)":
            limit = 5 if typ == "char(5)" else 10 if "(10)" in typ else 20 if "(20)" in typ else 40
            return (r.choice(STRINGS) + str(r.randint(0, 999)))[:limit]
        if typ == "text":
            if r.random() < 0.15:  # large: stored out of line (TOAST) on Postgres
                return "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6000))
            return r.choice(STRINGS) * r.randint(1, 5)
        if typ in ("bytea", "blob"):
            return r.randbytes(r.randint(0, 40))
        if typ == "date":
            return dt.date(1990, 1, 1) + dt.timedelta(days=r.randint(0, 20000))
        if typ == "time":
            return dt.time(r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.choice([0, r.randint(0, 999999)])) \
                if pg else dt.timedelta(seconds=r.randint(0, 86399))
        if typ in ("timestamp", "datetime(6)", "timestamp(6)"):
            lo = 0 if typ != "timestamp(6)" else 10**8
            return dt.datetime(1980 if lo == 0 else 1975, 1, 1) + dt.timedelta(seconds=r.randint(lo, 10**9),
                                                                                microseconds=r.randint(0, 999999))
        if typ == "timestamp with time zone":
            zone = dt.timezone(dt.timedelta(minutes=r.choice([-480, 0, 60, 330])))
            return dt.datetime(2001, 1, 1, tzinfo=zone) + dt.timedelta(seconds=r.randint(0, 10**9), microseconds=r.randint(0, 999999))
        if typ in ("jsonb", "json"):
            doc = {"n": r.randint(-100, 100), "s": r.choice(STRINGS), "l": [1, 2.5, None, True], "o": {"k": "ü"}}
            if pg:
                import psycopg2.extras

                return psycopg2.extras.Json(doc)
            return json.dumps(doc, ensure_ascii=False)
        if typ == "uuid":
            return str(uuid.UUID(int=r.getrandbits(128)))
        if typ == "integer[]":
            return [r.choice([None, r.randint(-1000, 1000)]) for _ in range(r.randint(0, 4))]
        if typ == "year":
            return r.randint(1901, 2155)
        if typ.startswith("enum"):
            return r.choice(["a", "b", "c"])
        if typ.startswith("set"):
            return r.choice(["", "x", "y", "x,y"])
        raise AssertionError(typ)

    def _row(self, key: int) -> dict[str, Any]:
        row = {c: self.value(c, t) for c, t in self.source.items.items() if c != "id"}
        row["id"] = key
        return row

    def _insert_item(self, key: int) -> tuple[str, list]:
        row = self._row(key)
        cols = list(row)
        return (f"insert into {self.source.rel('items')} ({', '.join(self.source.q(c) for c in cols)}) "
                f"values ({', '.join(['%s'] * len(cols))})", [row[c] for c in cols])

    def _update_item(self, key: int, new_key: int | None = None) -> tuple[str, list]:
        cols = self.rng.sample([c for c in self.source.items if c != "id" and c != "c_text"], k=3)
        row = {c: self.value(c, self.source.items[c]) for c in cols}
        if new_key is not None:
            row["id"] = new_key
        sets = ", ".join(f"{self.source.q(c)} = %s" for c in row)
        return (f"update {self.source.rel('items')} set {sets} where {self.source.q('id')} = %s", [*row.values(), key])

    def add_column(self) -> None:
        name, typ = ADDED
        self.source.execute([(f"alter table {self.source.rel('items')} add column {self.source.q(name)} {typ}", [])])
        self.source.items[name] = typ

    def initial(self, n: int) -> None:
        statements = []
        for _ in range(n):
            statements.append(self._insert_item(self.next_id))
            self.items.add(self.next_id)
            self.next_id += 1
        for order in range(1, 6):
            for line in range(1, 4):
                statements.append((f"insert into {self.source.rel('order_line')} values (%s, %s, %s, %s)",
                                   [order, line, self.rng.randint(1, 9), self.rng.choice(STRINGS)]))
                self.lines.add((order, line))
        self.source.execute(statements)

    def step(self) -> None:
        """One transaction of 1-4 operations; now and then one that is rolled back."""
        r = self.rng
        if r.random() < 0.1:
            key = ROLLED_BACK_IDS + r.randint(0, 10**5)
            statements = [self._insert_item(key)]
            if self.items:
                statements.append(self._update_item(r.choice(sorted(self.items))))
            self.source.execute(statements, commit=False)
            return
        statements = []
        items, lines = set(self.items), set(self.lines)
        for _ in range(r.randint(1, 4)):
            op = r.random()
            if op < 0.3 or not items:
                statements.append(self._insert_item(self.next_id))
                items.add(self.next_id)
                self.next_id += 1
            elif op < 0.6:
                statements.append(self._update_item(r.choice(sorted(items))))
            elif op < 0.7:
                key = r.choice(sorted(items))
                statements.append((f"delete from {self.source.rel('items')} where {self.source.q('id')} = %s", [key]))
                items.discard(key)
            elif op < 0.78:  # primary-key change
                key = r.choice(sorted(items))
                statements.append(self._update_item(key, self.next_id))
                items.discard(key)
                items.add(self.next_id)
                self.next_id += 1
            elif op < 0.88 or not lines:
                order, line = r.randint(1, 30), r.randint(1, 5)
                if (order, line) not in lines:
                    statements.append((f"insert into {self.source.rel('order_line')} values (%s, %s, %s, %s)",
                                       [order, line, r.randint(1, 9), r.choice(STRINGS)]))
                    lines.add((order, line))
            elif op < 0.94:
                order, line = r.choice(sorted(lines))
                new = (order, line + 100)
                if new not in lines:  # composite primary-key change
                    statements.append((f"update {self.source.rel('order_line')} set line_no = %s, qty = qty + 1 "
                                       "where order_id = %s and line_no = %s", [new[1], order, line]))
                    lines.discard((order, line))
                    lines.add(new)
            else:
                order, line = r.choice(sorted(lines))
                statements.append((f"delete from {self.source.rel('order_line')} where order_id = %s and line_no = %s",
                                   [order, line]))
                lines.discard((order, line))
        self.source.execute(statements)
        self.items, self.lines = items, lines
        self.transactions += 1


# ---------------------------------------------------------------- processes
CLI = [sys.executable, "-m", "streamleap"]


class Process:
    """A streamleap command running in the background; its output is collected."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.args = args
        self.lines: list[str] = []
        self.proc = subprocess.Popen([*CLI, *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
        self._reader.join(5)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{self.args[0]} did not stop: {self.output()}") from None
        self._reader.join(5)
        return code

    def output(self) -> str:
        return "\n".join(self.lines[-30:])

    def json_lines(self) -> list[dict]:
        out = []
        for line in list(self.lines):
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 120, proc: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.proc.poll() is not None:
            raise AssertionError(f"{what}: {proc.args[0]} exited with {proc.proc.returncode}: {proc.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}" + (f": {proc.output()}" if proc else ""))
        time.sleep(0.1)


# ---------------------------------------------------------------- comparing
def _family(typ: str, dialect: str) -> str:
    return map_type(typ, dialect).family


def normalize(value: Any, typ: str, dialect: str) -> Any:
    if value is None:
        return None
    family = _family(typ, dialect)
    if family == "boolean":
        return bool(int(value)) if not isinstance(value, bool) else value
    if family == "integer":
        return int(value)
    if family == "decimal":
        return decimal.Decimal(str(value)).normalize()
    if family == "float":
        return _f32(float(value)) if typ in ("real", "float") else float(value)
    if family == "binary":
        return bytes(value)
    if family == "timestamptz":
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if family == "timestamp":
        return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value
    if family == "super":
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, dt.timedelta):  # MySQL TIME, kept as text
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return value


def source_rows(source: Source, table: str, columns: dict[str, str], key: list[str]) -> dict[tuple, dict]:
    names, rows = source.query(f"select {', '.join(source.q(c) for c in columns)} from {source.rel(table)}")
    out = {}
    for row in rows:
        rec = {n: normalize(v, columns[n], source.dialect) for n, v in zip(names, row, strict=True)}
        out[tuple(rec[k] for k in key)] = rec
    return out


def mirror_rows(target: Target, table: str, columns: dict[str, str], key: list[str], dialect: str) -> dict[tuple, dict]:
    from sqlglot import exp

    sql = exp.select(*[exp.column(c, quoted=True) for c in columns]).from_(
        exp.table_(table, db=target.schema, quoted=True)).sql(dialect="duckdb" if target.name == "local" else "postgres")
    con = target.connect()
    try:
        cur = con.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
    finally:
        con.close()
    out = {}
    for row in rows:
        rec = {n: normalize(v, columns[n], dialect) for n, v in zip(columns, row, strict=True)}
        out[tuple(rec[k] for k in key)] = rec
    return out


def assert_mirrors_equal(source: Source, targets: list[Target], items_columns: dict[str, str], when: str) -> None:
    for table, columns, key in (("items", items_columns, ["id"]), ("order_line", LINES, ["order_id", "line_no"])):
        want = source_rows(source, table, columns, key)
        assert want, f"{table}: the source is empty"
        for target in targets:
            got = mirror_rows(target, table, columns, key, source.dialect)
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            assert not missing and not extra, (f"{when}: {target.name} mirror of {table}: keys missing {missing[:5]}, "
                                               f"not in the source {extra[:5]}")
            wrong = [(k, {c: (want[k][c], got[k][c]) for c in columns if want[k][c] != got[k][c]})
                     for k in sorted(want) if want[k] != got[k]]
            assert not wrong, f"{when}: {target.name} mirror of {table}: {len(wrong)} row(s) differ, e.g. {wrong[:3]}"
            assert not any(k[0] >= ROLLED_BACK_IDS for k in got), "a rolled-back row reached the mirror"


# ---------------------------------------------------------------- the pipeline
def make_targets(tmp_path: Path, pg_url: str) -> list[Target]:
    import re

    targets = []
    for name in ("local", "postgres"):
        project = tmp_path / f"project_{name}"
        init_project(project)
        run_dbt(["deps"], project)
        target = Target(name, project, pg_url if name == "postgres" else None)
        if name == "postgres":
            tag = uuid.uuid4().hex[:8]
            m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", pg_url)
            target.schema, target.stream_schema = f"e2e_{tag}", f"k_{tag}"
            target.env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                          "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": target.schema}
        targets.append(target)
    return targets


def generate(source: Source, targets: list[Target], stream: str) -> None:
    _, tables = read_source(source.url, ["shop.items", "shop.order_line"])
    planned = plan_tables(tables)
    for target in targets:
        generate_models(target.project, planned, stream, target.stream_schema)


def runner_process(target: Target, endpoint: str) -> Process:
    return Process(["run", "--project-dir", str(target.project), "--target", target.name, "--kinesis-endpoint", endpoint,
                    "--every", "0.5", "--json"], target.env)


def catch_up(target: Target, kinesis: LocalKinesis | None, monkeypatch, kafka_bootstrap: str | None = None) -> None:
    """Runner cycles in this process until one finds nothing new on the stream (or the Kafka topic)."""
    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    if kafka_bootstrap:
        runner = Runner(target.project, target=target.name, kafka_bootstrap=kafka_bootstrap, every=0.0)
    else:
        assert kinesis is not None
        runner = Runner(target.project, target=target.name, kinesis=kinesis.client())
    try:
        for _ in range(20):
            report = runner.cycle()
            assert report.error is None, report.error
            if report.ingested == 0:
                return
        raise AssertionError("the runner kept finding new records")
    finally:
        runner.close()


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_capture_to_mirrors_survives_kills_and_a_new_column(source, tmp_path, pg_url, monkeypatch):
    stream = f"e2e_{source.kind}_{uuid.uuid4().hex[:6]}"
    state_dir = tmp_path / "state"
    workload = Workload(source, seed=11)
    workload.initial(40)
    targets = make_targets(tmp_path, pg_url)
    generate(source, targets, stream)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        endpoint = kinesis.endpoint_url
        capture_args = ["capture", "--source-url", source.url, "--tables", "shop.items,shop.order_line",
                        "--stream", stream, "--kinesis-endpoint", endpoint, "--state-dir", str(state_dir)]

        def start_all() -> tuple[Process, list[Process]]:
            return Process([*capture_args, "--json"], {}), [runner_process(t, endpoint) for t in targets]

        def applied(runners: list[Process]) -> bool:
            return all(any(r.get("ingested") for r in p.json_lines()) for p in runners)

        capture, runners = start_all()
        stop = threading.Event()
        phase_steps = [0]
        failure: list[BaseException] = []

        def produce() -> None:
            try:
                while not stop.is_set():
                    workload.step()
                    phase_steps[0] += 1
                    time.sleep(0.02)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                failure.append(exc)

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        try:
            # mid-stream: the runners have applied some of it; kill everything, start again
            wait_until(lambda: phase_steps[0] >= 60 and applied(runners), "the first changes in both mirrors",
                       proc=capture)
            capture.kill()
            for p in runners:
                p.kill()
            assert any(r.get("records_put") for r in capture.json_lines()), capture.output()
            capture, runners = start_all()
            phase_steps[0] = 0
            wait_until(lambda: phase_steps[0] >= 40 and applied(runners), "changes after the restart", proc=capture)

            # a column added on the source mid-stream: the pipeline keeps running
            stop.set()
            producer.join(30)
            workload.add_column()
            stop.clear()
            phase_steps[0] = 0
            producer = threading.Thread(target=produce, daemon=True)
            producer.start()
            wait_until(lambda: phase_steps[0] >= 60, "changes after the new column", proc=capture)
        finally:
            stop.set()
            producer.join(30)
        assert not failure, failure
        assert workload.transactions > 100

        # the source is quiet: drain the capture, stop the runners, catch up
        assert capture.stop(signal.SIGTERM) == 0, capture.output()
        for p in runners:
            assert p.proc.poll() is None, p.output()  # the runners kept running through the new column
            assert p.stop(signal.SIGINT) == 0, p.output()
        done = subprocess.run([*CLI, *capture_args, "--once", "--json"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        for target in targets:
            catch_up(target, kinesis, monkeypatch)
        original = {c: t for c, t in source.items.items() if c != ADDED[0]}
        assert_mirrors_equal(source, targets, original, "after kills and restarts")

        # generate again: the mirrors gain the column, filled from the retained payloads
        generate(source, targets, stream)
        for target in targets:
            catch_up(target, kinesis, monkeypatch)
        assert_mirrors_equal(source, targets, source.items, "after generate picked up the new column")
        filled = source_rows(source, "items", {"id": "bigint", ADDED[0]: ADDED[1]}, ["id"])
        assert any(r[ADDED[0]] is not None for r in filled.values()), "the workload never wrote the new column"


def run_cli_and_catch_up(args: list[str], targets: list[Target], kinesis: LocalKinesis, monkeypatch) -> None:
    """One `streamleap` command (a capture or a resync, --once) in a process of its own, then every
    target's runner applies what it put on the stream."""
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for target in targets:
        catch_up(target, kinesis, monkeypatch)


def every_mode_setup(source: Source, stream: str, seed: int, tmp_path: Path, pg_url: str) -> tuple[Workload, list[Target]]:
    """A seeded workload's first rows, and both targets with the mirrors of items in every mode
    (items, items_soft_delete, items_history) and of order_line for the stream."""
    from streamleap.model.mirror_plan import with_modes

    workload = Workload(source, seed=seed)
    workload.initial(12)
    targets = make_targets(tmp_path, pg_url)
    _, tables = read_source(source.url, ["shop.items", "shop.order_line"])
    for target in targets:
        generate_models(target.project, with_modes(plan_tables(tables), mode_for="items=mirror+soft_delete+history"), stream,
                        target.stream_schema)
    return workload, targets


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_truncate_through_capture_in_every_mode(source, tmp_path, pg_url, monkeypatch):
    """A TRUNCATE on the source between changes, through `streamleap capture` and the runner: the
    Type-1 mirror equals the source; the soft_delete mirror of the same table holds the source's
    rows unflagged and every truncated row flagged at the truncate's commit time; the history of it
    has the mirror's rows as its current versions and every truncated row's version closed, deleted,
    at that time."""
    stream = f"tr_{source.kind}_{uuid.uuid4().hex[:6]}"
    workload, targets = every_mode_setup(source, stream, 5, tmp_path, pg_url)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        capture_args = ["capture", "--source-url", source.url, "--tables", "shop.items,shop.order_line", "--stream", stream,
                        "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", str(tmp_path / "state"), "--once", "--json"]

        def capture_and_apply() -> None:
            run_cli_and_catch_up(capture_args, targets, kinesis, monkeypatch)

        for _ in range(10):
            workload.step()
        capture_and_apply()
        before = set(source_rows(source, "items", {"id": "bigint"}, ["id"]))
        source.execute([(f"truncate table {source.rel('items')}", [])])
        truncated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        workload.items.clear()
        for _ in range(8):
            workload.step()
        capture_and_apply()
    assert_mirrors_equal(source, targets, source.items, "after a TRUNCATE")
    after = set(source_rows(source, "items", {"id": "bigint"}, ["id"]))
    for target in targets:
        soft = {r[0]: (r[1], r[2]) for r in target.query(
            f'select id, _streamleap_deleted, _streamleap_deleted_at from {target.rel("items_soft_delete")}')}
        assert {(k,) for k, (deleted, _) in soft.items() if not deleted} == after, target.name
        flagged = {(k,): at for k, (deleted, at) in soft.items() if deleted}
        assert before - after <= set(flagged), target.name
        # the rows the truncate took are flagged at its commit time (within the clocks' skew)
        at_truncate = [flagged[k] for k in before - after]
        assert at_truncate and len(set(at_truncate)) == 1, at_truncate
        assert abs((at_truncate[0] - truncated_at).total_seconds()) < 5, (at_truncate[0], truncated_at)
        versions = target.query(f'select id, dbt_valid_from, dbt_valid_to, dbt_is_deleted, _streamleap_is_current '
                                f'from {target.rel("items_history")} order by id, dbt_valid_from')
        current = {(r[0], r[1]) for r in versions if r[4]}
        assert current == set(target.query(f'select id, _streamleap_commit_ts from {target.rel("items")}')), target.name
        newest = {r[0]: r for r in versions}  # each key's newest version
        assert all(newest[k][3] and newest[k][2] == at_truncate[0] for (k,) in before - after), target.name
        assert all((r[2] is None) == r[4] for r in versions), target.name


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_resync_after_the_capture_lost_its_position_in_every_mode(source, tmp_path, pg_url, monkeypatch):
    """The capture is stopped; rows are updated, deleted and inserted at the source; its position
    is dropped (the replication slot, or every binlog it had). `streamleap resync` of one table
    alone is refused (every table lost its changes); of every table it takes a new snapshot while
    the source keeps changing, and the capture goes on from the snapshot's position. Then every
    Type-1 mirror equals the source, the soft_delete mirror holds the source's rows unflagged and
    every row deleted meanwhile flagged, and the history's current versions are the mirror's rows."""
    from streamleap.capture.postgres import object_name

    stream = f"rs_{source.kind}_{uuid.uuid4().hex[:6]}"
    workload, targets = every_mode_setup(source, stream, 9, tmp_path, pg_url)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        common = ["--source-url", source.url, "--tables", "shop.items,shop.order_line", "--stream", stream,
                  "--kinesis-endpoint", kinesis.endpoint_url, "--state-dir", str(tmp_path / "state")]

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)

        def capture_and_apply() -> None:
            run_cli_and_catch_up(["capture", *common, "--once", "--json"], targets, kinesis, monkeypatch)

        for _ in range(6):
            workload.step()
        capture_and_apply()
        before = set(source_rows(source, "items", {"id": "bigint"}, ["id"]))
        # the capture is down: changes happen, and its position at the source is dropped
        for _ in range(10):
            workload.step()
        if source.kind == "postgres":
            source.execute([("select pg_drop_replication_slot(%s)", [object_name(stream)])])
        else:
            # the stopped capture's binlog dump thread may linger; a log it holds is not purged
            for row in source.query("show processlist")[1]:
                if str(row[4]).lower().startswith("binlog dump"):
                    source.execute([(f"kill {int(row[0])}", [])])
            source.execute([("flush binary logs", [])])
            current = source.query("show master status")[1][0][0]
            for _ in range(100):  # MariaDB keeps a log until its binlog checkpoint moved past it
                source.execute([(f"purge binary logs to '{current}'", [])])
                if [r[0] for r in source.query("show binary logs")[1]] == [current]:
                    break
                time.sleep(0.1)
            assert [r[0] for r in source.query("show binary logs")[1]] == [current]
        one = cli("resync", "shop.items", *common)
        assert one.returncode == 1 and "resync all of them" in one.stdout + one.stderr and "Traceback" not in one.stderr, \
            one.stdout + one.stderr
        done = cli("resync", "shop.items", "shop.order_line", *common, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["position_reset"] is not None and report["rows"], report
        # each table's snapshot rows and the truncate ending them: one shard, the truncate last
        client = kinesis.client()
        placed: dict[str, list[tuple[str, int, str]]] = {}
        for shard in client.list_shards(StreamName=stream)["Shards"]:
            it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
            got = client.get_records(ShardIterator=it["ShardIterator"], Limit=10000)["Records"]
            for r in got:
                m = json.loads(r["Data"])["metadata"]
                if m.get("operation") in ("load", "truncate-table") and m.get("commit-timestamp"):
                    placed.setdefault(m["table-name"], []).append((shard["ShardId"], int(r["SequenceNumber"]), m["operation"]))
        assert set(placed) == {"items", "order_line"}, placed.keys()
        for table, records in placed.items():
            assert len({shard for shard, _, _ in records}) == 1, table
            assert max(records, key=lambda x: x[1])[2] == "truncate-table", table
            assert sum(op == "load" for _, _, op in records) == report["rows"][f"shop.{table}"], table
        for _ in range(6):  # the source goes on; the capture resumes from the snapshot's position
            workload.step()
        capture_and_apply()
    assert_mirrors_equal(source, targets, source.items, "after a resync")
    after = set(source_rows(source, "items", {"id": "bigint"}, ["id"]))
    assert before - after, "the workload deleted nothing while the capture was down"
    for target in targets:
        soft = {r[0]: r[1] for r in target.query(f'select id, _streamleap_deleted from {target.rel("items_soft_delete")}')}
        assert {(k,) for k, deleted in soft.items() if not deleted} == after, target.name
        assert before - after <= {(k,) for k, deleted in soft.items() if deleted}, target.name
        versions = target.query(f'select id, dbt_valid_from, dbt_valid_to, _streamleap_is_current from {target.rel("items_history")}')
        current = {r[0] for r in versions if r[3]}
        assert {(k,) for k in current} == after, target.name
        assert all((r[2] is None) == r[3] for r in versions), target.name
        # the versions the capture saw before it stopped are still there, closed
        assert {(r[0],) for r in versions if not r[3]} >= before - after, target.name


@pytest.mark.parametrize("source", [SOURCES[0]], indirect=True)
def test_resync_checks_its_tables_and_never_ends_a_table_it_could_not_send_whole(source, tmp_path):
    """resync with other tables than the capture's is one line; a row over Kinesis's record limit
    is not sent, so its table's end is not written (the mirrors would lose that row): exit 1, one
    line, and the other table's resync is whole."""
    stream = f"rz_{uuid.uuid4().hex[:6]}"
    workload = Workload(source, seed=3)
    workload.initial(4)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=1)
        common = ["--source-url", source.url, "--stream", stream, "--kinesis-endpoint", kinesis.endpoint_url,
                  "--state-dir", str(tmp_path / "state")]
        both = ["--tables", "shop.items,shop.order_line"]
        done = subprocess.run([*CLI, "capture", *common, *both, "--once"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        other = subprocess.run([*CLI, "resync", "shop.items", *common, "--tables", "shop.items"],
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 1 and "give resync the capture's own --tables" in other.stdout + other.stderr, other
        source.execute([(f"update {source.rel('items')} set c_text = %s where id = 1", ["x" * 1_100_000])])
        big = subprocess.run([*CLI, "resync", "shop.items", "shop.order_line", *common, *both],
                             capture_output=True, text=True, timeout=120)
        out = big.stdout + big.stderr
        assert big.returncode == 1 and "resync of shop.items not finished" in out and "Traceback" not in out, out
        assert "(id=1)" in out, out  # the row is named by its key
        client = kinesis.client()
        shard = client.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        ends = [json.loads(r["Data"])["metadata"]["table-name"] for r in client.get_records(ShardIterator=it, Limit=10000)["Records"]
                if json.loads(r["Data"])["metadata"].get("operation") == "truncate-table"]
        assert ends == ["order_line"], ends


@pytest.mark.parametrize("source", SOURCES, indirect=True)
def test_resync_into_a_dms_stream_puts_a_stale_mirror_right(source, tmp_path, pg_url, monkeypatch):
    """`streamleap resync --producer dms` into a stream another producer writes (capture stands in
    for DMS here): a consistent read alone (no replication slot made), and a mirror gone wrong (a
    row changed by hand, one removed, one the source never had) equals the source again, while the
    producer goes on."""
    stream = f"rd_{source.kind}_{uuid.uuid4().hex[:6]}"
    workload, targets = every_mode_setup(source, stream, 11, tmp_path, pg_url)
    with LocalKinesis() as kinesis:
        kinesis.create_stream(stream, shards=2)
        common = ["--source-url", source.url, "--tables", "shop.items,shop.order_line", "--stream", stream,
                  "--kinesis-endpoint", kinesis.endpoint_url]

        def produce_and_apply() -> None:
            run_cli_and_catch_up(["capture", *common, "--state-dir", str(tmp_path / "dms"), "--once"], targets, kinesis,
                                 monkeypatch)

        for _ in range(4):
            workload.step()
        produce_and_apply()
        for target in targets:
            items = target.rel("items")
            low, high = target.query(f"select min(id), max(id) from {items}")[0]
            target.execute(f"update {items} set c_int = -12345 where id = {low}")
            target.execute(f"delete from {items} where id = {high}")
            # a row of the source under a key the source does not have
            target.execute(f"update {items} set id = 888888 where id = (select min(id) from {items} where id > {low})")
        slots = (lambda: source.query("select count(*) from pg_replication_slots")[1][0][0]) if source.kind == "postgres" else (lambda: 0)
        before = slots()
        # The resync places its snapshot at S, the source's clock in whole seconds less MARGIN (decision
        # 0024): a mirror row whose change is newer than S is newer than the resync and stays, by design.
        # The rows made wrong by hand above must be stale ones, older than S: their changes were made
        # before the capture ran, so the resync starts a margin and a second after those.
        time.sleep(MARGIN.total_seconds() + 1.5)
        done = subprocess.run([*CLI, "resync", "shop.items", *common, "--producer", "dms", "--json"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert slots() == before
        for _ in range(4):
            workload.step()
        produce_and_apply()
    assert_mirrors_equal(source, targets, source.items, "after a resync into a DMS stream")
