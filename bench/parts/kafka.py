"""Part "kafka": a Kafka topic next to a Kinesis stream, on one target, in one run.

  relay   -- the same DMS records (the shop's) put into a 4-shard local Kinesis stream (moto's
             server) and produced to a 4-partition topic (librdkafka's mock cluster, the real Kafka
             protocol on loopback); each relayed into its stand-in by its relay, pulled until empty:
             records per second of the whole pull loop, and of the inserts alone;
  latency -- commit -> visible through `streamleap run`'s cycle: in each round 100 changes of
             public.cart (one transaction, its commit time now) go to the stream or the topic, and
             the runner cycles (relay, then apply) until the mirror shows the round's last change;
             the time from the put's return to the mirror showing it, and the cycles it took. The
             runner's wait between cycles (--every, default 1 s: on average half of it) comes on
             top of these figures in a running `streamleap run`.

Both stream kinds are measured by the same code in the same process, so their figures compare.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from harness import STREAM, now_s, shop_records, sql_exec
from streamleap.demo.stats import median

ROUNDS, QUICK_ROUNDS = 20, 5
CHANGES_PER_ROUND = 100


def _project(directory: Path, stream_schema: str, stream_kind: str) -> None:
    from streamleap.demo.workload import shop_tables
    from streamleap.project.invoke import run_dbt
    from streamleap.project.scaffold import generate_models, init_project

    init_project(directory)
    planned = [t for t in shop_tables().values() if t.source.name == "cart"]
    generate_models(directory, planned, STREAM, stream_schema, stream_kind)
    run_dbt(["deps", "--quiet"], directory)


def _mock_cluster() -> tuple[Any, str]:
    import confluent_kafka

    mock = confluent_kafka.Producer({"test.mock.num.brokers": 1, "log_level": 0})
    broker = next(iter(mock.list_topics(timeout=10).brokers.values()))
    return mock, f"{broker.host}:{broker.port}"


def _round(round_: int) -> list:
    """One round's changes: every cart of the round in one transaction, committed now."""
    from streamleap.records import ChangeRecord

    when = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return [ChangeRecord("public", "cart", "insert" if round_ == 0 else "update",
                         {"cart_id": j + 1, "customer_id": round_, "status": f"r{round_}", "item_count": j, "total": "1.00",
                          "created_at": "2030-01-01 00:00:00", "updated_at": "2030-01-01 00:00:00"},
                         commit_ts=when, transaction_id=1000 + round_, transaction_record_id=j + 1)
            for j in range(CHANGES_PER_ROUND)]


def part_kafka(work: Path, kind: str, quick: bool) -> dict:
    import confluent_kafka

    from streamleap.kinesis.local import LocalKinesis
    from streamleap.pipeline.kafka_relay import KafkaRelay
    from streamleap.pipeline.relay import Relay
    from streamleap.pipeline.runner import Runner
    from streamleap.pipeline.warehouse import open_warehouse
    from streamleap.project.invoke import DbtSession

    target = "local" if kind == "duckdb" else "postgres"
    out: dict[str, Any] = {"target": kind}
    mock, bootstrap = _mock_cluster()
    kinesis = LocalKinesis().start()
    try:
        # ---------------------------------------------------------------- relay throughput
        n = 8_000 if quick else 40_000
        raws, _ = shop_records(31, n, initial_carts=2_000)
        raws = raws[:n]
        relay_project = work / f"kafka-relay-{kind}"
        schema = "k_relay" if target == "postgres" else "kinesis"
        _project(relay_project, schema, "kinesis")
        session = DbtSession(relay_project, relay_project, target)
        warehouse = open_warehouse(relay_project, target)
        for name, stream_kind in (("relay_kinesis", "kinesis"), ("relay_kafka", "kafka")):
            session.invoke("run-operation", "streamleap.create_stream_source", "--args",
                           json.dumps({"stream_schema": schema, "stream_name": name, "stream_kind": stream_kind}))
        spent: dict[str, list[tuple[int, float]]] = {"kinesis": [], "kafka": []}

        def timed(cls: type, key: str) -> type:
            class Timed(cls):  # type: ignore[valid-type, misc]
                def _insert(self, cur, rows):  # noqa: ANN001 - overrides the relay's own
                    t0 = now_s()
                    super()._insert(cur, rows)
                    spent[key].append((len(rows), now_s() - t0))
            return Timed

        kinesis.create_stream("relay_kinesis", 4)
        client = kinesis.client()
        for start in range(0, n, 500):
            client.put_records(StreamName="relay_kinesis", Records=[
                {"Data": d, "PartitionKey": f"public.cart.{start + i}"} for i, d in enumerate(raws[start:start + 500])])
        producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "log_level": 0, "linger.ms": 5})
        producer.list_topics("relay_kafka", timeout=10)  # the mock makes it: 4 partitions
        for i, d in enumerate(raws):
            producer.produce("relay_kafka", key=f"public.cart.{i}".encode(), value=d)
            if i % 10_000 == 0:
                producer.poll(0)
        assert producer.flush(60) == 0
        relays = {"kinesis": timed(Relay, "kinesis")(client, "relay_kinesis", warehouse, schema),
                  "kafka": timed(KafkaRelay, "kafka")(bootstrap, "relay_kafka", warehouse, schema, "relay_kafka")}
        out["relay"] = {}
        for key, relay in relays.items():
            t0 = now_s()
            pulls = 0
            while relay.pull().records:
                pulls += 1
            total_s = now_s() - t0
            relay.close()
            rows = sql_exec(warehouse, f'select count(*) from "{schema}"."relay_{key}"')[0][0]
            count, ins_s = sum(c for c, _ in spent[key]), sum(s for _, s in spent[key])
            out["relay"][key] = {"records": count, "relayed_rows": rows, "pulls": pulls, "pull_total_s": total_s,
                                 "pull_per_s": count / total_s if total_s else None, "insert_s": ins_s,
                                 "insert_per_s": count / ins_s if ins_s else None, "exact": rows == n == count}

        # ---------------------------------------------------------------- commit -> visible
        rounds = QUICK_ROUNDS if quick else ROUNDS
        out["latency"] = {}
        for stream_kind in ("kinesis", "kafka"):
            project = work / f"kafka-latency-{kind}-{stream_kind}"
            stream_schema = ("k_lat_" + stream_kind) if target == "postgres" else "kinesis"
            _project(project, stream_schema, stream_kind)
            if target == "postgres":  # each project's models in a schema of their own
                os.environ["STREAMLEAP_PG_SCHEMA"] = f"bench_kafka_{kind}_{stream_kind}"
            cart_rel = f'"{os.environ["STREAMLEAP_PG_SCHEMA"]}"."cart"' if target == "postgres" else '"main"."cart"'
            if stream_kind == "kinesis":
                kinesis.create_stream(STREAM, 2)
                runner = Runner(project, target=target, kinesis=kinesis.client(), every=0.0)
            else:
                producer.list_topics(STREAM, timeout=10)  # the mock makes it
                runner = Runner(project, target=target, kafka_bootstrap=bootstrap, every=0.0)
            put_client = kinesis.client()
            seconds: list[float] = []
            cycles: list[int] = []
            try:
                first = runner.cycle()  # the first cycle builds the project (a dbt run)
                assert first.error is None, first.error

                wh = open_warehouse(project, target)
                for round_ in range(rounds + 1):
                    batch = _round(round_)
                    if stream_kind == "kinesis":
                        put_client.put_records(StreamName=STREAM, Records=[
                            {"Data": r.to_bytes(), "PartitionKey": f"public.cart.{r.data['cart_id']}"} for r in batch])
                    else:
                        for r in batch:
                            producer.produce(STREAM, key=f"public.cart.{r.data['cart_id']}".encode(), value=r.to_bytes())
                        assert producer.flush(10) == 0
                    t0 = now_s()
                    n_cycles = 0
                    while True:
                        report = runner.cycle()
                        assert report.error is None, report.error
                        n_cycles += 1
                        got = sql_exec(wh, f"select count(*) from {cart_rel} where customer_id = {round_}")[0][0]
                        if got == CHANGES_PER_ROUND or n_cycles >= 50:
                            break
                    if round_ > 0:  # the first round builds the mirror's rows
                        seconds.append(now_s() - t0)
                        cycles.append(n_cycles)
                exact = sql_exec(wh, f"select count(*) from {cart_rel} where status = 'r{rounds}'")[0][0] == CHANGES_PER_ROUND
            finally:
                runner.close()
            ordered = sorted(seconds)
            out["latency"][stream_kind] = {
                "rounds": rounds, "changes_per_round": CHANGES_PER_ROUND, "seconds": seconds,
                "p50_s": median(seconds), "p95_s": ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else None,
                "max_s": max(seconds, default=None), "cycles_median": median([float(c) for c in cycles]), "exact": exact}
    finally:
        kinesis.stop()
        mock.flush(5)
    return out
