"""`streamleap demo`: the main job end to end on one machine, no AWS account, no server to install.

A local Kinesis endpoint (moto's server), a dbt project for the shop's `cart` and `cart_item`
tables in a folder you can open afterwards, a synthetic shop writing DMS change records at a
steady rate, the runner applying them, then: the mirror compared with the workload's final
source state row for row, latency from source commit to visible in the mirror, throughput, and
the shop's questions (abandoned carts, high-demand items) answered from the mirror.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import threading
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamleap.errors import StreamleapError

STREAM = "shop_cdc"


@dataclass
class DemoResult:
    changes: int = 0
    rows: int = 0
    mirror_matches: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    changes_per_s: float = 0.0
    cycles: int = 0
    failed_cycles: int = 0
    mismatches: list[str] = field(default_factory=list)
    abandoned: list[tuple] = field(default_factory=list)
    high_demand: list[tuple] = field(default_factory=list)
    project_dir: str = ""
    target: str = "local"

    def percentile(self, p: float) -> float | None:
        if not self.latencies_ms:
            return None
        data = sorted(self.latencies_ms)
        k = min(len(data) - 1, max(0, int(round(p / 100 * (len(data) - 1)))))
        return data[k]

    def to_json(self) -> dict[str, Any]:
        pct = {k: (None if self.percentile(v) is None else round(self.percentile(v), 1)) for k, v in
               (("p50", 50), ("p95", 95), ("p99", 99))}
        return {"changes": self.changes, "rows": self.rows, "mirror_matches": self.mirror_matches,
                "latency_ms": pct, "changes_per_s": round(self.changes_per_s, 1)}


class _Visibility:
    """When each put record became visible: per shard, the relay position applied at a time."""

    def __init__(self):
        self.puts: list[tuple[str, int, float]] = []  # (shard, sequence number, commit wall time)
        self.applied: dict[str, list[tuple[int, float]]] = {}  # shard -> [(position, visible at)]
        self.lock = threading.Lock()

    def put(self, shard: str, seq: str, commit_wall: float) -> None:
        with self.lock:
            self.puts.append((shard, int(seq), commit_wall))

    def applied_up_to(self, positions: dict[str, str], at: float) -> None:
        with self.lock:
            for shard, seq in positions.items():
                marks = self.applied.setdefault(shard, [])
                if not marks or int(seq) > marks[-1][0]:
                    marks.append((int(seq), at))

    def latencies_ms(self) -> list[float]:
        out = []
        with self.lock:
            for shard, seq, committed in self.puts:
                marks = self.applied.get(shard, [])
                i = bisect_right([m[0] for m in marks], seq - 1)
                if i < len(marks):
                    out.append((marks[i][1] - committed) * 1000)
        return out

    def all_visible(self) -> bool:
        with self.lock:
            return all(self.applied.get(shard) and self.applied[shard][-1][0] >= seq for shard, seq, _ in self.puts)


def _normalize(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def run_demo(directory: Path, *, target: str = "local", rate: float = 200.0, duration: float = 30.0,
             seed: int = 0, shards: int = 4, every: float = 0.5,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    from streamleap.dbt import run_dbt
    from streamleap.ddl import parse_ddl
    from streamleap.kinesis_local import LocalKinesis
    from streamleap.plan import plan_tables
    from streamleap.project import generate_models, init_project
    from streamleap.runner import Runner
    from streamleap.demo.workload import ABANDONED_CARTS_SQL, HIGH_DEMAND_ITEMS_SQL, SHOP_DDL, ShopWorkload, record_partition_key

    say = progress or (lambda _msg: None)
    directory = Path(directory).resolve()
    result = DemoResult(project_dir=str(directory), target=target)
    pg_server = None
    kinesis = LocalKinesis().start()
    try:
        # the embedded endpoint's streams live as long as the process: a demo run before in this
        # process left its records in the stream, which the reset warehouse would read again
        admin = kinesis.client()
        try:
            admin.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
        except admin.exceptions.ResourceNotFoundException:
            pass
        kinesis.create_stream(STREAM, shards)
        say(f"local Kinesis at {kinesis.endpoint_url}, stream {STREAM} with {shards} shards")
        init_project(directory)
        tables = plan_tables(parse_ddl(SHOP_DDL, "postgres"))
        generate_models(directory, tables, STREAM, "kinesis")
        run_dbt(["deps", "--quiet"], directory)
        if target == "postgres" and not os.environ.get("STREAMLEAP_PG_HOST"):
            from streamleap.demo.local_postgres import start_postgres

            pg_server = start_postgres()
            os.environ.update({"STREAMLEAP_PG_HOST": "127.0.0.1", "STREAMLEAP_PG_PORT": str(pg_server.port),
                               "STREAMLEAP_PG_USER": "postgres", "STREAMLEAP_PG_DATABASE": "postgres"})
            say(f"throw-away PostgreSQL on port {pg_server.port}")
        _reset(directory, target)
        say(f"dbt project in {directory} (target {target}); tables: {', '.join(t.model_name for t in tables)}")
        runner = Runner(directory, target=target, kinesis=kinesis.client(), every=every)
        runner.setup()
        # wall-clock commit times; a cart idle for 10 s counts as abandoned in a demo of a minute
        workload = ShopWorkload(seed, clock=lambda: dt.datetime.now(dt.timezone.utc), abandon_after=dt.timedelta(seconds=10))
        visibility = _Visibility()
        client = kinesis.client()

        def put(records: list, commit_wall: float) -> None:
            for start in range(0, len(records), 500):
                chunk = records[start:start + 500]
                entries = [{"Data": raw, "PartitionKey": pk} for raw, pk in chunk]
                response = client.put_records(StreamName=STREAM, Records=entries)
                for entry in response["Records"]:
                    if "SequenceNumber" not in entry:
                        raise StreamleapError(f"local Kinesis refused a record: {entry.get('ErrorMessage')}")
                    visibility.put(entry["ShardId"], entry["SequenceNumber"], commit_wall)

        put([(r.to_bytes(), record_partition_key(r)) for r in workload.initial_load(50)], time.time())
        done = threading.Event()
        errors: list[BaseException] = []

        def produce() -> None:
            try:
                t0 = time.time()
                while time.time() - t0 < duration:
                    due = int((time.time() - t0) * rate)
                    batch = []
                    while result.changes < due:
                        records = workload.next_transaction(dt.datetime.now(dt.timezone.utc))
                        result.changes += len(records)
                        batch += [(r.to_bytes(), record_partition_key(r)) for r in records]
                    batch += [(raw, "redelivery") for raw in workload.maybe_redeliver()]
                    if batch:
                        put(batch, time.time())
                    time.sleep(0.02)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
            finally:
                done.set()

        producer = threading.Thread(target=produce, name="shop-workload", daemon=True)
        say(f"shop workload: {rate:g} changes/s for {duration:g} s; runner every {every:g} s")
        started = time.time()
        producer.start()
        deadline = None
        while True:
            report = runner.cycle()
            finished = time.time()
            if report.error:
                result.failed_cycles += 1
                say(f"cycle {report.cycle} failed (retrying): {report.error}")
            else:
                positions = {}
                for relay in runner.relays:
                    positions.update(relay.positions())
                visibility.applied_up_to(positions, finished)
            if done.is_set():
                deadline = deadline or finished + 60
                if visibility.all_visible() or finished > deadline:
                    break
            time.sleep(max(0.0, every - report.duration_ms / 1000))
        if errors:
            raise StreamleapError(f"the shop workload failed: {errors[0]}")
        result.cycles = runner.cycles
        elapsed = max(1e-9, time.time() - started)
        result.changes_per_s = result.changes / elapsed
        result.latencies_ms = visibility.latencies_ms()
        _verify(runner, workload, result, ABANDONED_CARTS_SQL, HIGH_DEMAND_ITEMS_SQL)
        return result
    finally:
        kinesis.stop()
        if pg_server is not None:
            pg_server.stop()


def _reset(directory: Path, target: str) -> None:
    """A demo starts from an empty warehouse: drop what an earlier demo left."""
    from streamleap.warehouse import open_warehouse

    warehouse = open_warehouse(directory, target)
    if warehouse.kind == "duckdb":
        # drop the objects rather than the file: in this process DuckDB may still hold the database
        # open (dbt-duckdb keeps it), and would go on serving it from the removed file
        try:
            con = warehouse.connect()
        except Exception:  # noqa: BLE001 - not a database this DuckDB reads: start a new file
            path = Path(str(warehouse.credentials.path))
            for p in (path, Path(str(path) + ".wal")):
                if p.exists():
                    p.unlink()
            return
    else:
        con = warehouse.connect()
    from sqlglot import exp

    from streamleap.contract import STATE_TABLE

    try:
        cur = con.cursor()
        for schema in (warehouse.schema, "kinesis"):
            if schema not in ("public", "main"):
                cur.execute(f"drop schema if exists {exp.to_identifier(schema, quoted=True).sql('postgres')} cascade")
        for name in ("cart", "cart_item", "cart__streamleap_tombstones", "cart_item__streamleap_tombstones",
                     "stg_shop_cdc", "shop_cdc_set_aside", STATE_TABLE):
            cur.execute(f"drop view if exists {exp.table_(name, db=warehouse.schema, quoted=True).sql('postgres')} cascade"
                        if name == "stg_shop_cdc" else
                        f"drop table if exists {exp.table_(name, db=warehouse.schema, quoted=True).sql('postgres')} cascade")
        con.commit()
    finally:
        con.close()


def _verify(runner: Any, workload: Any, result: DemoResult, abandoned_sql: str, demand_sql: str) -> None:
    models = runner.models
    relations = {name: ref.relation for name, ref in models.mirrors.items()}
    con = runner.warehouse.connect()
    try:
        cur = con.cursor()
        expected = workload.state()
        matches = True
        for table, rows in expected.items():
            cur.execute(f"select * from {relations[table]}")
            names = [d[0] for d in cur.description]
            actual = {}
            for row in cur.fetchall():
                record = {n: _normalize(v) for n, v in zip(names, row, strict=True) if not n.startswith("_streamleap_")}
                key = tuple(record[k] for k in _key_of(table))
                actual[key] = record
            result.rows += len(actual)
            want = {k: {c: _normalize(v) for c, v in row.items()} for k, row in rows.items()}
            if actual != want:
                matches = False
                missing = set(want) - set(actual)
                extra = set(actual) - set(want)
                differ = [k for k in set(want) & set(actual) if want[k] != actual[k]]
                result.mismatches.append(f"{table}: {len(missing)} missing, {len(extra)} extra, {len(differ)} different rows")
        result.mirror_matches = matches
        cur.execute(abandoned_sql.format(cart=relations["cart"], cart_item=relations["cart_item"]))
        result.abandoned = [tuple(r) for r in cur.fetchall()]
        cur.execute(demand_sql.format(cart=relations["cart"], cart_item=relations["cart_item"]))
        result.high_demand = [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


def _key_of(table: str) -> tuple[str, ...]:
    return ("cart_id",) if table == "cart" else ("cart_id", "line_no")


def _abandoned_line(rows: list[tuple]) -> str:
    if not rows:
        return "abandoned carts: none"
    count, value, idle = rows[0][:3]
    return f"abandoned carts: {count} worth {value or 0}; open carts idle past the threshold: {idle}"


def summary_lines(r: DemoResult) -> list[str]:
    j = r.to_json()
    lat = j["latency_ms"]
    lines = [
        f"mirror matches the source: {'yes' if r.mirror_matches else 'NO'}" + ("" if r.mirror_matches else f" ({'; '.join(r.mismatches)})"),
        f"changes: {r.changes}, rows in the mirror: {r.rows}, cycles: {r.cycles} ({r.failed_cycles} failed)",
        f"latency commit -> visible: p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms",
        f"throughput: {j['changes_per_s']} changes/s",
        _abandoned_line(r.abandoned),
        "high-demand items: " + ", ".join(f"{row[0]} ({row[1]})" for row in r.high_demand[:10]),
        f"the project is in {r.project_dir}: cd there and run `dbt run --profiles-dir .` or `streamleap status`",
    ]
    return lines

