"""Part "latency": end-to-end latency of `streamleap demo` (DuckDB) at a rate of changes, with the
time spent in Kinesis calls, relay pulls and dbt runs (``part_latency``); and the same shop at a
rate with its records written straight into the stream stand-in, no Kinesis endpoint and no
relay (``part_direct``).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import STREAM, Sequence, append_records, new_project, now_s, sql_exec
from streamleap.demo.stats import median, percentile

STAND_IN = "stand-in"  # the lane of records appended straight into the stream stand-in (Visibility)


def part_latency(work: Path, rate: int, duration: float) -> dict:
    import streamleap.kinesis.local as kl
    from streamleap.demo import run as demo
    from streamleap.pipeline.relay import Relay
    from streamleap.project.invoke import DbtSession
    from streamleap.pipeline.runner import Runner

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
        if not getattr(c, "_bench_timed", False):  # one client per endpoint start: timed once
            c.put_records = timed("put", c.put_records, lambda kw, r: len(kw.get("Records", [])))
            c.get_records = timed("get", c.get_records, lambda kw, r: len(r.get("Records", [])))
            c._bench_timed = True
        return c

    kl.LocalKinesis.client = client
    Relay.pull = timed("pull", Relay.pull, lambda kw, r: r.records)
    original_invoke = DbtSession.invoke

    def invoke(self, *args, **kwargs):
        if args[:1] != ("run",):  # the set-up's run-operation
            return original_invoke(self, *args, **kwargs)
        return timed("dbt", original_invoke)(self, *args, **kwargs)

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
    stand-in (no Kinesis endpoint, no relay): streamleap's own latency, without moto in the way.
    Each producer tick is one append with a refresh_time of its own; its records are visible
    after the dbt run whose watermark (the lowest of the mirrors') reaches that refresh_time."""
    from streamleap.project.invoke import DbtSession
    from streamleap.demo.producer import Producer, shop_transactions
    from streamleap.demo.stats import Visibility
    from streamleap.demo.workload import ShopWorkload
    from streamleap.project.manifest import project_models, read_state
    from streamleap.pipeline.warehouse import open_warehouse

    project = work / f"direct-{rate}"
    new_project(project, "kinesis")
    session = DbtSession(project, project, "local")
    session.invoke("run")
    warehouse = open_warehouse(project, "local")
    models = project_models(session.manifest)
    mirror_refs = list(models.mirrors.values())
    workload = ShopWorkload(0, clock=lambda: dt.datetime.now(dt.timezone.utc), abandon_after=dt.timedelta(seconds=10))
    visibility = Visibility()  # one lane, the stand-in; a record's position: its append's refresh_time
    seq = Sequence()
    last: list = [None]  # the refresh_time of the last append

    def utcnow() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    def append(raws: list[bytes]) -> None:
        wall = time.time()
        refresh = max(utcnow(), last[0] + dt.timedelta(microseconds=1)) if last[0] else utcnow()
        last[0] = refresh
        append_records(warehouse, "kinesis", STREAM, raws, refresh, seq)
        visibility.put(STAND_IN, refresh, wall, len(raws))

    def write(n: int) -> int:
        records = shop_transactions(workload, n)
        raws = [r.to_bytes() for r in records] + workload.maybe_redeliver()
        if raws:
            append(raws)
        return len(records)

    append([r.to_bytes() for r in workload.initial_load(50)])
    producer = Producer(write, rate=rate, duration=duration)
    cycles: list[float] = []
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
        if watermark is not None:
            visibility.applied_up_to({STAND_IN: watermark}, end)
        if producer.done.is_set():
            deadline = deadline or end + 60
            if visibility.all_visible() or end > deadline:
                break
        time.sleep(max(0.0, every - (end - t0)))
    if producer.error is not None:
        raise producer.error
    expected = {t: len(rows) for t, rows in workload.state().items()}
    rows = {m: sql_exec(warehouse, f'select count(*) from "main"."{m}"')[0][0] for m in models.mirrors}
    latencies = visibility.latencies_ms()
    return {"rate": rate, "duration_s": duration, "changes": producer.changes, "offered_per_s": producer.changes / duration,
            "wall_s": time.time() - started, "cycles": len(cycles), "cycle_median_s": median(cycles),
            "cycle_max_s": max(cycles), "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "max_ms": max(latencies, default=None), "records_measured": len(latencies),
            "mirror_rows_match": rows == expected, "rows": rows, "expected_rows": expected}
