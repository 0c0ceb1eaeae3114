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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamleap.demo.stats import percentile
from streamleap.errors import StreamleapError

STREAM = "shop_cdc"
STREAM_SCHEMA = "kinesis"
# the table dbt_package's mirror materialization keeps a mirror's deleted keys in
# (macros/mirror/apply.sql; the demo's names are short enough never to be shortened)
TOMBSTONES_SUFFIX = "__streamleap_tombstones"


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
        return percentile(self.latencies_ms, p)

    def to_json(self) -> dict[str, Any]:
        values = {k: self.percentile(v) for k, v in (("p50", 50), ("p95", 95), ("p99", 99))}
        pct = {k: (None if v is None else round(v, 1)) for k, v in values.items()}
        return {"changes": self.changes, "rows": self.rows, "mirror_matches": self.mirror_matches,
                "latency_ms": pct, "changes_per_s": round(self.changes_per_s, 1)}


def _normalize(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def run_demo(directory: Path, *, target: str = "local", rate: float = 200.0, duration: float = 30.0,
             seed: int = 0, shards: int = 4, every: float = 0.5,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    from streamleap.project.invoke import run_dbt
    from streamleap.demo.producer import Producer, ShopToKinesis
    from streamleap.demo.stats import Visibility
    from streamleap.demo.workload import ShopWorkload, shop_tables
    from streamleap.kinesis.local import LocalKinesis
    from streamleap.project.scaffold import generate_models, init_project
    from streamleap.pipeline.runner import Runner

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
        tables = list(shop_tables().values())
        generate_models(directory, tables, STREAM, STREAM_SCHEMA)
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
        visibility = Visibility()
        shop = ShopToKinesis(workload, kinesis.client(), STREAM, visibility)
        shop.initial_load(50)
        producer = Producer(shop.write, rate=rate, duration=duration, name="shop-workload")
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
                visibility.applied_up_to({shard: int(seq) for shard, seq in positions.items()}, finished)
            if producer.done.is_set():
                deadline = deadline or finished + 60
                if visibility.all_visible() or finished > deadline:
                    break
            time.sleep(max(0.0, every - report.duration_ms / 1000))
        if producer.error is not None:
            raise StreamleapError(f"the shop workload failed: {producer.error}")
        result.changes = producer.changes
        result.cycles = runner.cycles
        elapsed = max(1e-9, time.time() - started)
        result.changes_per_s = result.changes / elapsed
        result.latencies_ms = visibility.latencies_ms()
        _verify(runner, workload, result)
        return result
    finally:
        kinesis.stop()
        if pg_server is not None:
            pg_server.stop()


def _reset(directory: Path, target: str) -> None:
    """A demo starts from an empty warehouse: drop what an earlier demo left."""
    from streamleap.pipeline.warehouse import open_warehouse

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

    from streamleap.project.contract import STATE_TABLE
    from streamleap.demo.workload import shop_tables
    from streamleap.project.scaffold import StreamModels

    stream = StreamModels(STREAM, STREAM_SCHEMA)
    mirrors = [t.model_name for t in shop_tables().values()]
    views = [stream.staging]
    tables = [*mirrors, *(m + TOMBSTONES_SUFFIX for m in mirrors), stream.set_aside, STATE_TABLE]
    try:
        cur = con.cursor()
        for schema in (warehouse.schema, STREAM_SCHEMA):
            if schema not in ("public", "main"):
                cur.execute(f"drop schema if exists {exp.to_identifier(schema, quoted=True).sql('postgres')} cascade")
        for kind, names in (("view", views), ("table", tables)):
            for name in names:
                cur.execute(f"drop {kind} if exists {exp.table_(name, db=warehouse.schema, quoted=True).sql('postgres')} cascade")
        con.commit()
    finally:
        con.close()


def _verify(runner: Any, workload: Any, result: DemoResult) -> None:
    """The mirror against the workload's source state, row for row; then the shop's questions."""
    from streamleap.demo.workload import ABANDONED_CARTS_SQL, HIGH_DEMAND_ITEMS_SQL, shop_tables

    planned = shop_tables()
    mirrors = runner.models.mirrors
    relations = {table: mirrors[t.model_name].relation for table, t in planned.items()}  # source table -> mirror
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
                key = tuple(record[k] for k in planned[table].primary_key)
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
        # the questions name the shop's source tables: {cart}, {cart_item}
        cur.execute(ABANDONED_CARTS_SQL.format(**relations))
        result.abandoned = [tuple(r) for r in cur.fetchall()]
        cur.execute(HIGH_DEMAND_ITEMS_SQL.format(**relations))
        result.high_demand = [tuple(r) for r in cur.fetchall()]
    finally:
        con.close()


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

