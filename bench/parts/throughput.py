"""Part "throughput": sustained apply throughput (100,000 DMS records of the shop in the stand-in,
one dbt run, JSON parsing included) on DuckDB and Postgres, and the relay's insert rate into the
stream stand-in.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from harness import QUERIES, STREAM, Sequence, append_records, label, new_project, now_s, shop_records, sql_exec
from streamleap.demo.stats import median


def part_throughput(work: Path, kind: str, quick: bool) -> dict:
    from streamleap.kinesis.local import LocalKinesis
    from streamleap.pipeline.relay import Relay
    from streamleap.project.invoke import DbtSession
    from streamleap.project.manifest import project_models
    from streamleap.pipeline.warehouse import open_warehouse

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
