"""What the benchmark's parts share (bench/parts/*.py) and what the orchestrator (bench/run.py)
records of the machine: paths and settings, dbt's SQL log, projects for the shop, records into the
stream stand-in, SQL and dbt commands, the apply parts' mirror and batch, machine facts, the CPU
other processes used, the code measured.

The statistics (percentile, median, when records became visible) and the steady-rate producer
are the demo's, shared with `streamleap demo`: streamleap.demo.stats and streamleap.demo.producer.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent  # bench/
ROOT = HERE.parent
BIN = Path(sys.executable).parent
STREAM = "shop_cdc"

# Postgres settings of the throw-away server (reported with the results)
PG_CONF = {"shared_buffers": "1GB", "work_mem": "64MB", "maintenance_work_mem": "512MB", "max_wal_size": "4GB",
           "autovacuum": "off"}


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
    from streamleap.project.invoke import run_dbt
    from streamleap.demo.workload import shop_tables
    from streamleap.project.scaffold import generate_models, init_project

    init_project(directory)
    planned = list(shop_tables().values())
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
    from streamleap.project.invoke import dbt_argv

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


# ------------------------------------------------------------------ the apply parts' mirror and batch (apply, peers)
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


def build_mirror_sql(kind: str, mirror: str, tomb: str, n: int) -> list[str]:
    """SQL filling a `cart` mirror with keys 1..n (valid `_streamleap_order`, last changed 2029-06-01)
    and its tombstones with n/100 other keys."""
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


# ------------------------------------------------------------------ the machine and the code measured
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
