"""End to end with Debezium records: `streamleap capture --format debezium` from a live Postgres
or MariaDB into a Kafka topic (librdkafka's mock cluster) or a Kinesis stream, `streamleap run`
relaying and applying them, both killed and restarted. The sources, workload and comparisons are
test_capture_e2e.py's; this file of its own lets `make test` run it beside that one."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from typing import Any

import pytest

from streamleap.kinesis.local import LocalKinesis
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models
from streamleap.sources.introspect import read_source
from tests.test_capture_e2e import (CLI, Process, Workload, assert_mirrors_equal, catch_up, make_targets, wait_until)
from tests.test_capture_e2e import logical_pg_url, source  # noqa: F401 - fixtures: the source's server, the source


def kafka_cluster() -> tuple[Any, str]:
    """librdkafka's mock cluster (the real Kafka protocol on a loopback port), alive while its handle is."""
    import confluent_kafka

    mock = confluent_kafka.Producer({"test.mock.num.brokers": 1, "log_level": 0})
    broker = next(iter(mock.list_topics(timeout=10).brokers.values()))
    return mock, f"{broker.host}:{broker.port}"


@pytest.mark.parametrize("source, kind", [pytest.param("postgres", "kafka", marks=pytest.mark.postgres),
                                          pytest.param("mariadb", "kafka", marks=pytest.mark.mariadb),
                                          pytest.param("postgres", "kinesis", marks=pytest.mark.postgres)],
                         indirect=["source"])
def test_debezium_capture_to_mirrors_survives_kills(source, kind, tmp_path, pg_url, monkeypatch):  # noqa: F811 - the fixture imported above
    """`streamleap capture --format debezium` from the live source into a Kafka topic (or a Kinesis
    stream, as Debezium Server writes one), `streamleap run` relaying and applying it into DuckDB and
    Postgres mirrors; both killed mid-stream and started again: every mirror equals its source."""
    stream = f"dbz_{source.kind}_{uuid.uuid4().hex[:6]}"
    workload = Workload(source, seed=23)
    workload.initial(20)
    targets = make_targets(tmp_path, pg_url)
    _, tables = read_source(source.url, ["shop.items", "shop.order_line"])
    for target in targets:
        generate_models(target.project, plan_tables(tables), stream, target.stream_schema, kind, record_format="debezium")
    mock, bootstrap = kafka_cluster() if kind == "kafka" else (None, "")
    kinesis = LocalKinesis() if kind == "kinesis" else None
    try:
        if kinesis is not None:
            kinesis.start()
            kinesis.create_stream(stream, shards=2)
        where = ["--kafka-bootstrap", bootstrap] if kind == "kafka" else ["--kinesis-endpoint", kinesis.endpoint_url]
        capture_args = ["capture", "--source-url", source.url, "--tables", "shop.items,shop.order_line", "--stream", stream,
                        "--format", "debezium", "--state-dir", str(tmp_path / "state"), *where]

        def start_all() -> tuple[Process, list[Process]]:
            runners = [Process(["run", "--project-dir", str(t.project), "--target", t.name, *where, "--every", "0.5", "--json"],
                               t.env) for t in targets]
            return Process([*capture_args, "--json"], {}), runners

        def applied(runners: list[Process]) -> bool:
            return all(any(r.get("ingested") for r in p.json_lines()) for p in runners)

        capture, runners = start_all()
        steps = [0]

        def produce(n: int) -> None:
            for _ in range(n):
                workload.step()
                steps[0] += 1
                time.sleep(0.01)

        produce(25)
        wait_until(lambda: applied(runners), "the first changes in both mirrors", proc=capture)
        produce(10)
        capture.kill()
        for p in runners:
            p.kill()
        capture, runners = start_all()
        produce(25)
        wait_until(lambda: applied(runners), "changes after the restart", proc=capture)
        assert capture.stop(signal.SIGTERM) == 0, capture.output()
        for p in runners:
            assert p.stop(signal.SIGINT) == 0, p.output()
        done = subprocess.run([*CLI, *capture_args, "--once", "--json"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        for target in targets:
            catch_up(target, kinesis, monkeypatch, bootstrap or None)
        assert workload.transactions > 30
        for target in targets:
            kept = target.query(f"select reason, count(*) from {target.rel(stream + '_set_aside')} group by reason")
            assert kept == [], (target.name, kept)
        assert_mirrors_equal(source, targets, source.items, "after kills and restarts (Debezium records)")
    finally:
        if kinesis is not None:
            kinesis.stop()
        if mock is not None:
            mock.flush(5)
