"""Chaos: a shop workload through a local Kinesis endpoint (`streamleap kinesis-local` in a process
of its own) into a DuckDB project and a Postgres project, with `streamleap run` in a process of its
own, while the test

- starts two runners at once (one must refuse, in one line),
- kills the runner with SIGKILL at random moments and starts it again,
- kills the Kinesis endpoint with SIGKILL and starts it again (its streams lived in memory: the
  stream is back, empty, numbered from 1), and deletes and re-creates the stream through the API:
  each time the runner must stop by itself with the documented one-line error, with nothing
  relayed past the point of loss; the test then puts every record again, from the start, and runs
  with --restart-stream,
- puts poison records of every kind the project knows (POISON, below).

At the end the mirrors equal the source (the workload's state) and every poison record is in the
set-aside model. The random seed is printed; STREAMLEAP_CHAOS_SEED=<n> replays a run's records
and its order of events (their timing against the runner's cycles is the machine's).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from streamleap.demo.local_postgres import free_port
from streamleap.demo.workload import ShopWorkload, decode_row, record_partition_key
from tests.harness import STREAM, Target, encoded_state
from tests.test_runner import CLI_ENV, KEYS, bare_project, mirror_rows, normalize, streamleap_command, wall_clock

pytestmark = pytest.mark.dbt

SEED = int(os.environ.get("STREAMLEAP_CHAOS_SEED", "20261130"))
RESTARTED = "was re-created"  # the documented error: "Kinesis stream <name> was re-created (...) ... --restart-stream"


def _record(table: str, op: str, data: dict, record_type: Any = "data", n: int = 1) -> dict:
    return {"data": data, "metadata": {"timestamp": "2020-01-01T00:00:00.000000Z", "record-type": record_type,
                                       "operation": op, "partition-key-type": "schema-table", "schema-name": "public",
                                       "table-name": table, "transaction-id": 900_000 + n,
                                       "commit-timestamp": "2020-01-01T00:00:00.000000Z"}}


def _cart(cart_id: Any, **over: Any) -> dict:
    return {"cart_id": cart_id, "customer_id": 1, "status": "open", "item_count": 0, "total": "0.00",
            "created_at": "2020-01-01 00:00:00", "updated_at": "2020-01-01 00:00:00", **over}


def _with_metadata(record: dict, **metadata: Any) -> dict:
    record["metadata"].update(metadata)
    return record


@dataclass(frozen=True)
class Poison:
    kind: str
    data: bytes
    set_aside: bool = True  # False: the package neither applies nor sets it aside


# Every kind of record the project cannot apply; extend the list as the package learns more kinds.
# Ids from 9_000_000 up never meet the workload's carts: a poison record that was applied by
# mistake would show as an extra mirror row.
POISON: list[Poison] = [
    Poison("not JSON", b"\x00\xffnot json {"),
    Poison("JSON, not an object (array)", b"[1, 2, 3]"),
    Poison("JSON, not an object (string)", b'"cart"'),
    Poison("JSON, not an object (number)", b"42"),
    Poison("no metadata", json.dumps({"data": _cart(9_000_001)}).encode()),
    Poison("unknown record-type 'dataz'", json.dumps(_record("cart", "insert", _cart(9_000_002), "dataz")).encode()),
    Poison("record-type 1 (a number)", json.dumps(_record("cart", "insert", _cart(9_000_003), 1)).encode()),
    Poison("data record without table-name", json.dumps(
        {"data": _cart(9_000_006), "metadata": {k: v for k, v in _record("cart", "insert", {})["metadata"].items()
                                                if k != "table-name"}}).encode()),
    Poison("unknown operation", json.dumps(_record("cart", "upsert", _cart(9_000_004))).encode()),
    Poison("key missing", json.dumps(_record("cart", "insert", _cart(None))).encode()),
    Poison("key of the wrong family", json.dumps(_record("cart", "insert", _cart("nine"))).encode()),
    Poison("item key missing", json.dumps(_record("cart_item", "insert", {"cart_id": 9_000_005, "line_no": None})).encode()),
    Poison("commit time not on the calendar", json.dumps(_with_metadata(
        _record("cart", "insert", _cart(9_000_007)), **{"commit-timestamp": "2024-02-30T00:00:00.000000Z"})).encode()),
    Poison("400-digit transaction-record-id", json.dumps(_with_metadata(
        _record("cart", "insert", _cart(9_000_008)), **{"transaction-record-id": int("9" * 400)})).encode()),
    Poison("NaN literal", json.dumps(_record("cart", "insert", _cart(9_000_009, total=float("nan")))).encode()),
    Poison("\\u0000 in a string", json.dumps(_record("cart", "insert", _cart(9_000_010, status="a\u0000b"))).encode()),
    Poison("nested past 1,000 levels", json.dumps(_record("cart", "insert", _cart(9_000_011))).encode()[:-1]
           + b', "deep": ' + b"[" * 1001 + b"]" * 1001 + b"}"),
]


# ---------------------------------------------------------------- processes
def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLEAP_")}
    env.update(CLI_ENV, PYTHONUNBUFFERED="1")
    return env


class Proc:
    """A streamleap command in a process of its own; its stdout lines on a queue, stderr kept."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.args = args
        self.proc = subprocess.Popen([*streamleap_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(x) for x in self.proc.stdout], daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.1)  # the readers drain the pipes
        return code

    def error_lines(self) -> list[str]:
        return [x.rstrip("\n") for x in self.stderr if x.strip()]


class KinesisEndpoint:
    """`streamleap kinesis-local --port P --stream shop_cdc` in a process: SIGKILL and start again."""

    def __init__(self, port: int, shards: int):
        self.port, self.shards = port, shards
        self.url = f"http://127.0.0.1:{port}"
        self.proc: Proc | None = None

    def start(self) -> None:
        self.proc = Proc(["kinesis-local", "--port", str(self.port), "--stream", STREAM, "--shards", str(self.shards)],
                         _env())
        try:
            line = self.proc.lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError(f"kinesis-local did not start: {self.proc.stderr}") from None
        assert line.startswith("Kinesis endpoint "), (line, self.proc.stderr)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()

    def client(self):
        import boto3

        return boto3.session.Session().client("kinesis", region_name="us-east-1", endpoint_url=self.url,
                                              aws_access_key_id="x", aws_secret_access_key="x")


# ---------------------------------------------------------------- the run
@dataclass
class Chaos:
    target: Target
    kinesis: KinesisEndpoint
    rng: random.Random
    log: list[str]
    workload: ShopWorkload = field(default_factory=lambda: ShopWorkload(seed=SEED, clock=wall_clock, redeliver_rate=0.1))
    history: list[tuple[bytes, str]] = field(default_factory=list)  # every record put, in order
    generation: list[tuple[str, str, bytes]] = field(default_factory=list)  # (shard, seq, data) put on this stream
    runner: Proc | None = None
    last_put_at: float = 0.0
    generation_started: dt.datetime = dt.datetime.min  # the stream's records have later refresh_times

    def __post_init__(self):
        self.client = self.kinesis.client()

    def note(self, text: str) -> None:
        self.log.append(f"{time.monotonic():.1f} {text}")

    def put(self, entries: list[tuple[bytes, str]], again: bool = False) -> None:
        for start in range(0, len(entries), 500):
            chunk = entries[start:start + 500]
            resp = self.client.put_records(StreamName=STREAM, Records=[{"Data": d, "PartitionKey": k} for d, k in chunk])
            assert resp.get("FailedRecordCount", 0) == 0
            self.generation += [(e["ShardId"], e["SequenceNumber"], d) for e, (d, _) in zip(resp["Records"], chunk, strict=True)]
        if not again:
            self.history += entries
        self.last_put_at = time.time()

    def transactions(self, n: int) -> list[tuple[bytes, str]]:
        out = [(r.to_bytes(), record_partition_key(r)) for _ in range(n) for r in self.workload.step()]
        return out + [(raw, "redelivery") for raw in self.workload.maybe_redeliver()]

    def poison(self, k: int) -> list[tuple[bytes, str]]:
        return [(p.data, f"poison.{p.kind}") for p in self.rng.sample(POISON, k)]

    def run_args(self, *more: str) -> list[str]:
        return ["run", "--project-dir", str(self.target.project), "--target", self.target.name, "--kinesis-endpoint",
                self.kinesis.url, "--region", "us-east-1", "--every", "0.2", "--json", *more]

    def start_runner(self, *more: str) -> Proc:
        self.runner = Proc(self.run_args(*more), self.env())
        self.note(f"runner {self.runner.pid} started {' '.join(more)}")
        return self.runner

    def env(self) -> dict[str, str]:
        return {**_env(), **self.target.env}

    def reports(self, until: Callable[[dict], bool], timeout: float = 60) -> dict:
        """The runner's cycle reports until one satisfies `until`; fails if the runner exits first."""
        assert self.runner is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.runner.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.runner.proc.poll() is None, (f"runner exited {self.runner.proc.returncode}",
                                                          self.runner.error_lines(), self.log)
                assert time.monotonic() < deadline, ("no such report in time", self.log)
                continue
            report = json.loads(line)
            if until(report):
                return report

    def caught_up(self, timeout: float = 60) -> None:
        """A cycle that started after the last put, and succeeded: everything put is applied."""
        after = self.last_put_at
        self.reports(lambda r: r["error"] is None and dt.datetime.fromisoformat(r["started_at"]).timestamp() > after,
                     timeout)

    def stand_in(self) -> list[tuple[str, str, bytes, dt.datetime]]:
        rows = self.target.query(f'select shard_id, sequence_number, kinesis_data, refresh_time from '
                                 f'"{self.target.stream_schema}"."{STREAM}"')
        return [(s, q, bytes(d), r) for s, q, d, r in rows]

    def lose_the_stream(self, how: str) -> None:
        """The stream is gone and back empty: the runner must stop by itself, in one line, having
        relayed nothing but records of the old stream, with no gap on any shard; then every record
        is put again and the runner reads the new stream with --restart-stream."""
        assert self.runner is not None
        old = self.generation
        if how == "kinesis-local killed":
            self.kinesis.kill()
            time.sleep(self.rng.uniform(0.0, 1.0))  # the runner's cycles fail meanwhile (and are retried)
            self.kinesis.start()
        else:
            self.client.delete_stream(StreamName=STREAM, EnforceConsumerDeletion=True)
            time.sleep(self.rng.uniform(0.0, 0.5))
            self.client.create_stream(StreamName=STREAM, ShardCount=self.kinesis.shards)
            while self.client.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
                time.sleep(0.05)
        self.note(f"stream lost: {how}")
        self.generation = []
        self.client = self.kinesis.client()
        code = self.runner.wait(timeout=60)
        lines = self.runner.error_lines()
        errors = [x for x in lines if not x.startswith(f"stream {STREAM} is not the one the checkpoints were for")]
        assert code == 1 and len(errors) == 1, (code, lines, self.log)  # the --restart-stream note, then one error line
        assert errors[0].startswith("Error: ") and RESTARTED in errors[0] and "--restart-stream" in errors[0], errors
        assert lines[-1] == errors[0]
        # nothing past the point of loss: what was relayed of the old stream is, per shard, the first
        # records put there, with no gap
        rows = self.stand_in()
        put_on: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        for s, q, d in old:
            put_on[s].append((q, d))
        relayed_on: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        for s, q, d, r in sorted(rows, key=lambda x: (x[3], len(x[1]), x[1])):
            if r > self.generation_started:
                relayed_on[s].append((q, d))
        for shard, got in relayed_on.items():
            assert got == put_on[shard][:len(got)], (shard, self.log)
        self.note(f"relayed of the old stream: {sum(map(len, relayed_on.values()))} of {len(old)}")
        self.generation_started = max((r for *_, r in rows), default=dt.datetime.min)
        self.put(self.history, again=True)  # the test puts from the start again
        self.start_runner("--restart-stream")


def _project(kind: str, tmp_path: Path, request) -> Target:
    if kind == "local":
        return Target("local", bare_project(tmp_path / "chaos"))
    import re

    m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", request.getfixturevalue("pg_url"))
    tag = uuid.uuid4().hex[:8]
    target = Target("postgres", Path(), m.group(0), schema=f"chaos_{tag}", stream_schema=f"kchaos_{tag}")
    target.env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                  "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": target.schema}
    target.project = bare_project(tmp_path / "chaos", stream_schema=target.stream_schema)
    return target


def _canonical(raw: bytes) -> Any:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))  # the record nested past 1,000 levels (Postgres keeps it as jsonb text)
    try:
        return json.dumps(json.loads(raw), sort_keys=True)
    except ValueError:
        return raw
    finally:
        sys.setrecursionlimit(limit)


def _mirror(target: Target, table: str) -> dict[tuple, dict]:
    return mirror_rows(target, table)


# The two ways to lose a stream, one per target; the seed decides which target gets which.
LOSSES = dict(zip(("local", "postgres"), random.Random(SEED).sample(["kinesis-local killed", "stream re-created"], 2), strict=True))


@pytest.mark.parametrize("kind", ["local", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_chaos(kind, tmp_path, request, capsys):
    with capsys.disabled():
        print(f"\nchaos seed {SEED} ({kind}); replay with STREAMLEAP_CHAOS_SEED={SEED}")
    log = _chaos(kind, _project(kind, tmp_path, request))
    with capsys.disabled():
        print("; ".join(log))


def _chaos(kind: str, target: Target) -> list[str]:
    rng = random.Random(f"{SEED}-{kind}")
    endpoint = KinesisEndpoint(free_port(), shards=2)
    endpoint.start()
    log: list[str] = [f"seed {SEED} {kind}"]
    c = Chaos(target, endpoint, rng, log)
    started = time.monotonic()
    try:
        c.put([(r.to_bytes(), record_partition_key(r)) for r in c.workload.initial_load(25)] + c.poison(3) + c.transactions(10))

        # two runners at once: one refuses in one line, the other runs
        pair = [Proc(c.run_args(), c.env()) for _ in range(2)]
        deadline = time.monotonic() + 60
        while all(p.proc.poll() is None for p in pair):
            assert time.monotonic() < deadline, ("neither runner refused", [p.error_lines() for p in pair])
            time.sleep(0.1)
        refused = next(p for p in pair if p.proc.poll() is not None)
        c.runner = next(p for p in pair if p is not refused)
        assert refused.wait(10) == 1, refused.error_lines()
        errors = refused.error_lines()
        assert errors == [f"Error: another streamleap run (PID {c.runner.pid}) is running on project {target.project}; "
                          "run one runner per project: stop that one (Ctrl-C) or let it do the work"], errors
        c.note(f"runner {c.runner.pid} runs, {refused.pid} refused")
        c.caught_up()

        # rounds of work, with the runner killed once and the stream lost once, in the seed's order
        events = ["kill runner", LOSSES[kind]]
        rng.shuffle(events)
        for event in events:
            for _ in range(rng.randint(1, 3)):
                c.put(c.transactions(rng.randint(3, 12)) + c.poison(rng.randint(0, 2)))
                time.sleep(rng.uniform(0.05, 0.4))
            if event == "kill runner":
                c.runner.kill()
                c.note(f"runner {c.runner.pid} killed")
                c.put(c.transactions(rng.randint(1, 5)))
                c.start_runner()
            else:
                c.lose_the_stream(event)
                c.caught_up()
        c.put(c.transactions(5) + c.poison(len(POISON)))  # every kind at least once, even on an unlucky seed
        c.caught_up()
        c.runner.proc.send_signal(signal.SIGINT)
        assert c.runner.wait(60) == 0, (c.runner.error_lines(), log)
    finally:
        if c.runner is not None:
            c.runner.kill()
        endpoint.kill()
    took = time.monotonic() - started
    c.note(f"took {took:.0f} s")

    # the mirrors equal the source
    state = encoded_state(c.workload)
    for table in KEYS:
        want = {k: {col: normalize(v) for col, v in decode_row(table, data).items()} for k, data in state[table].items()}
        actual = _mirror(target, table)
        assert actual.keys() == want.keys(), (table, sorted(set(actual) ^ set(want))[:10], log)
        assert actual == want, (table, log)
    # every poison record is in the set-aside model (and those the package ignores are nowhere)
    # (a JSON record is kept as the warehouse writes its JSON back: compared as JSON)
    set_aside = {_canonical(bytes(d)) for (d,) in target.query(f"select raw_data from {target.rel(STREAM + '_set_aside')}")}
    put = {d for d, _ in c.history}
    assert all(p.data in put for p in POISON)
    for p in POISON:
        assert (_canonical(p.data) in set_aside) == p.set_aside, (p.kind, log)
    return log
