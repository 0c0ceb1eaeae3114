"""Test harness: a streamleap project on DuckDB or Postgres, a writer for the local stand-in
stream, dbt runs in-process, and a reference model of what the mirror must hold."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamleap.sources.ddl import parse_ddl
from streamleap.project.invoke import run_dbt
from streamleap.records import ChangeRecord
from streamleap.model.mirror_plan import plan_tables, with_modes
from streamleap.project.scaffold import generate_models, init_project

STREAM = "shop_cdc"


@dataclass
class Target:
    """Where the project runs: 'local' (a DuckDB file) or 'postgres' (a schema of its own)."""

    name: str
    project: Path
    pg_url: str | None = None
    schema: str = "main"
    stream_schema: str = "kinesis"
    env: dict[str, str] = field(default_factory=dict)
    # set by parse_once(): dbt() then runs on this manifest instead of parsing the project again
    manifest: Any = None

    def connect(self):
        if self.name == "local":
            import duckdb

            return duckdb.connect(str(self.project / "streamleap.duckdb"))
        import psycopg2

        con = psycopg2.connect(self.pg_url)
        con.autocommit = True
        return con

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = self.connect()
        try:
            cur = con.cursor()
            cur.execute(sql, params or [])
            return cur.fetchall()
        finally:
            con.close()

    def execute(self, sql: str, params: list | None = None) -> None:
        con = self.connect()
        try:
            con.cursor().execute(sql, params or [])
            if self.name == "local":
                con.commit()
        finally:
            con.close()

    def rel(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def relation_exists(self, name: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables where table_schema = %s and table_name = %s".replace(
                "%s", "?" if self.name == "local" else "%s"),
            [self.schema, name],
        )
        return rows[0][0] > 0


def make_project(tmp_path: Path, ddl: str, dialect: str, target_name: str, pg_url: str | None = None,
                 tables: list[str] | None = None, more: list[tuple[str, str]] = (), mode_for: str | None = None,
                 stream_kind: str = "kinesis", record_format: str = "dms", debezium_schemas: bool = True,
                 flat: dict[str, str] | None = None, debezium_decimals: str = "precise") -> Target:
    """A project mirroring the tables of ddl (and of each further (ddl, dialect) in more); stream_kind
    kafka: STREAM is a Kafka topic (its stand-in has Kafka's columns); record_format: the records'
    format (generate --format)."""
    project = tmp_path / "project"
    init_project(project)
    tag = uuid.uuid4().hex[:8]
    target = Target(target_name, project, pg_url)
    if target_name == "postgres":
        m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", pg_url or "")
        assert m, pg_url
        target.schema = f"t_{tag}"
        target.stream_schema = f"k_{tag}"
        target.env = {"STREAMLEAP_PG_USER": m[1], "STREAMLEAP_PG_HOST": m[2], "STREAMLEAP_PG_PORT": m[3],
                      "STREAMLEAP_PG_DATABASE": m[4], "STREAMLEAP_PG_SCHEMA": target.schema}
    parsed = parse_ddl(ddl, dialect)
    if tables:
        parsed = [t for t in parsed if t.name in tables]
    planned = plan_tables(parsed)
    for more_ddl, more_dialect in more:
        planned += plan_tables(parse_ddl(more_ddl, more_dialect))
    generate_models(project, with_modes(planned, mode_for=mode_for), STREAM, target.stream_schema, stream_kind,
                    record_format=record_format, debezium_schemas=debezium_schemas, flat=flat, debezium_decimals=debezium_decimals)
    run_dbt(["deps"], project)
    dbt(target, "run-operation", "streamleap.create_stream_source", "--args",
        json.dumps({"stream_schema": target.stream_schema, "stream_name": STREAM, "stream_kind": stream_kind}))
    return target


def dbt(target: Target, *args: str, expect_ok: bool = True):
    saved = {k: os.environ.get(k) for k in target.env}
    os.environ.update(target.env)
    try:
        # --no-write-json: no test reads target/manifest.json or run_results.json, and writing them
        # is a third of what a small project's invocation costs; no test reads logs/dbt.log either
        from streamleap.project.invoke import dbt_argv, dbt_runner

        argv = dbt_argv([*args, "--no-write-json", "--log-level-file", "none"], target.project, target=target.name)
        result = dbt_runner(target.manifest or _kept_manifest(target, args)).invoke(argv)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if expect_ok:
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"
    return result


# The manifests of the projects this test process used last, reused while none of their files
# changes, as `streamleap run` and `streamleap status` reuse theirs (streamleap.project.invoke's
# KeptParses): reading a project's saved parse back costs more than most of its runs. A project
# file changed, another profile or environment, --vars (read at parse time) or a command that
# parses by itself: dbt parses as it would. Only a parse that succeeds is kept, so a project that
# does not parse fails in the test's own command, with dbt's message.
_KEPT: Any = None
_PARSES_ITSELF = {"parse", "deps", "clean", "debug", "init", "docs"}


def _kept_manifest(target: Target, args: tuple[str, ...]) -> Any:
    global _KEPT
    from streamleap.project.invoke import KeptParses, _parse_key, dbt_argv

    if not args or args[0] in _PARSES_ITSELF or any(a == "--vars" or a.startswith("--vars=") for a in args):
        return None
    if _KEPT is None:
        _KEPT = KeptParses(at_most=4)
    key = _parse_key(target.project, target.project, target.name)  # with target.env applied
    manifest = _KEPT.take(key)
    if manifest is not None:
        return manifest
    parsed = _KEPT.parse(key, target.project, dbt_argv(["parse", "--quiet", "--no-write-json", "--log-level-file", "none"],
                                                       target.project, target=target.name))
    return parsed.result if parsed.success else None


def parse_once(target: Target) -> Target:
    """Parse the project now and keep the manifest: every later dbt(target, ...) runs on it, as
    `streamleap run` does, without parsing again. Only for a project whose files and parse-time
    variables do not change afterwards (dbt would not notice a change)."""
    target.manifest = None
    result = dbt(target, "parse", "--quiet")
    assert result.result is not None, result.exception
    target.manifest = result.result
    return target


class StreamWriter:
    """Appends records to the local stand-in, one refresh_time per append, like a REFRESH."""

    def __init__(self, target: Target):
        self.target = target
        self._seq = itertools.count(49_000_000_000_000_000_000_000_000_000_000_000_000_001)
        self._clock = dt.datetime(2030, 1, 1)
        self.sent: list[tuple[str, bytes]] = []

    def append(self, records: list[ChangeRecord | bytes], shard: str = "shardId-000000000000") -> None:
        self._clock += dt.timedelta(seconds=1)
        rows = []
        for r in records:
            raw = r.to_bytes() if isinstance(r, ChangeRecord) else r
            seq = str(next(self._seq))
            self.sent.append((seq, raw))
            rows.append([self._clock, "pk", shard, seq, self._clock, raw])
        if not rows:
            return
        mark = "?" if self.target.name == "local" else "%s"
        con = self.target.connect()
        try:
            cur = con.cursor()
            for row in rows:
                if self.target.name == "postgres":
                    import psycopg2

                    row = [*row[:5], psycopg2.Binary(row[5])]
                cur.execute(f'insert into "{self.target.stream_schema}"."{STREAM}" values ({", ".join([mark] * 6)})', row)
            if self.target.name == "local":
                con.commit()
        finally:
            con.close()

    def resend(self, seq: str) -> None:
        """Kinesis re-delivery: the same bytes again, with a new sequence number."""
        raw = dict(self.sent)[seq]
        self.append([raw])


# ---------------------------------------------------------------- reference model
def _digits(text: str | None) -> str:
    if not text:
        return "0" * 20
    text = re.sub(r"(Z|[+-]\d{2}(:?\d{2})?)$", "", text)
    return re.sub(r"[^0-9]", "", text)[:20].ljust(20, "0")


def order_key(record: dict, seq: str) -> str:
    m = record["metadata"]
    trid = re.sub(r"[^0-9]", "", str(m.get("transaction-record-id") or ""))
    phase = "0" if m.get("operation") == "load" and not m.get("commit-timestamp") else "1"  # a resync's load has one
    return (phase + _digits(m.get("commit-timestamp")) + trid.rjust(20, "0")
            + f"{len(seq):03d}" + seq)


def encoded_state(workload: Any) -> dict[str, dict[tuple, dict[str, Any]]]:
    """A ShopWorkload's source state with rows as DMS writes them (the form ``expected_rows`` gives)."""
    from streamleap.demo.workload import encode_row

    return {table: {key: encode_row(table, row) for key, row in rows.items()} for table, rows in workload.state().items()}


def _table_records(sent: list[tuple[str, bytes]], table: str, key: list[str], schema: str | None):
    """The records of one table the mirrors apply, in the order sent: (seq, record, key, old key)
    for a row change with its key (old key: a primary-key update's before-image key, else None),
    and (seq, record, None, None) for a truncate-table record with a commit time."""
    for seq, raw in sent:
        try:
            rec = json.loads(raw)
        except ValueError:
            continue
        m = rec.get("metadata") if isinstance(rec, dict) else None
        if not isinstance(m, dict) or m.get("table-name") != table or (schema and m.get("schema-name") != schema):
            continue
        if m.get("record-type") == "control" and m.get("operation") == "truncate-table" and m.get("commit-timestamp"):
            yield seq, rec, None, None
            continue
        data = rec.get("data")
        if m.get("record-type") != "data" or not isinstance(data, dict) or m.get("operation") not in ("load", "insert", "update", "delete"):
            continue
        if any(data.get(k) is None for k in key):
            continue
        k = tuple(data[c] for c in key)
        before = rec.get("before-image")
        old = None
        if m["operation"] == "update" and before and all(before.get(c) is not None for c in key):
            old = tuple(before[c] for c in key)
        yield seq, rec, k, (old if old != k else None)


def expected_rows(sent: list[tuple[str, bytes]], table: str, key: list[str], schema: str | None = None) -> dict[tuple, dict]:
    """What the mirror must hold: per key, the change latest in source commit order wins; a
    truncate-table record with a commit time deletes every key whose latest change is older."""
    winners: dict[tuple, tuple[str, str, dict]] = {}
    truncates: list[str] = []

    def offer(k: tuple, order: str, op: str, data: dict) -> None:
        if k not in winners or order > winners[k][0]:
            winners[k] = (order, op, data)

    for seq, rec, k, old in _table_records(sent, table, key, schema):
        if k is None:
            truncates.append(order_key(rec, seq))
            continue
        order = order_key(rec, seq)
        offer(k, order, "delete" if rec["metadata"]["operation"] == "delete" else "upsert", rec["data"])
        if old is not None:
            offer(old, order, "delete", {})
    newest_truncate = max(truncates, default="")
    return {k: data for k, (order, op, data) in winners.items() if op != "delete" and order > newest_truncate}


def _identity(record: dict, seq: str) -> str:
    """A change's identity in a history model: its order key without the sequence number (a
    full-load record's with its read time; a change without a commit time keeps the whole key)."""
    m = record["metadata"]
    order = order_key(record, seq)
    if m.get("operation") == "load" and not m.get("commit-timestamp"):
        return "0" + _digits(m.get("commit-timestamp") or m.get("timestamp")) + order[21:41]
    return order if order[1:21] == "0" * 20 else order[:41]


def _when(text: str | None) -> dt.datetime:
    return dt.datetime.strptime(_digits(text), "%Y%m%d%H%M%S%f")


def expected_history(sent: list[tuple[str, bytes]], table: str, key: list[str],
                     schema: str | None = None) -> dict[tuple, list[tuple]]:
    """What a history model must hold: per key, its versions in commit order as (values, valid-from,
    valid-to, is-deleted, is-current, version id). Every distinct change of a key (copies are one)
    is an event; an insert, update or full-load record opens a version, which the key's next event
    closes (deleted when it is a delete, a primary-key move's included) or the first truncate-table
    after it, whichever is first (a full-load record read after a truncate is not closed by it)."""
    events: dict[tuple, dict[str, tuple[bool, dict | None, dt.datetime, str]]] = {}
    truncates: dict[str, dt.datetime] = {}
    for seq, rec, k, old in _table_records(sent, table, key, schema):
        m = rec["metadata"]
        if k is None:
            truncates[order_key(rec, seq)[:41]] = _when(m["commit-timestamp"])
            continue
        ident = _identity(rec, seq)
        when = _when(m.get("commit-timestamp") or m.get("timestamp"))
        events.setdefault(k, {}).setdefault(ident, (m["operation"] != "delete", rec["data"], when, m["operation"]))
        if old is not None:
            events.setdefault(old, {}).setdefault(ident, (False, None, when, "delete"))
    out: dict[tuple, list[tuple]] = {}
    for k, evs in events.items():
        order = sorted(evs)
        versions = []
        for i, ident in enumerate(order):
            opens, data, when, op = evs[ident]
            if not opens:
                continue
            end = (order[i + 1], evs[order[i + 1]][2], not evs[order[i + 1]][0]) if i + 1 < len(order) else None
            cuts = [t for t in truncates if t > ident and not (op == "load" and when > truncates[t])]
            # a truncate does not end a version that a change of its own commit time ends (phase and
            # time: the first 21 characters): its transaction, or a resync, put the row back
            if cuts and (end is None or (min(cuts) < end[0] and (min(cuts)[:21] != end[0][:21] or end[2]))):
                end = (min(cuts), truncates[min(cuts)], True)
            key_text = "|".join(f"{len(str(v))}:{v}" for v in k)
            versions.append((data, when, end[1] if end else None, end[2] if end else False, end is None,
                             hashlib.md5(f"{key_text}|{ident}".encode()).hexdigest()))
        out[k] = versions
    return out


def reset(target: Target) -> None:
    """Forget everything: a new empty stream and no mirrors (for property tests)."""
    if target.name == "local":
        # dbt-duckdb keeps the database open in-process: drop objects, not the file
        objects = target.query("select table_name, table_type from information_schema.tables where table_schema = 'main'")
        for name, kind in objects:
            target.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists main."{name}" cascade')
        target.execute(f'drop schema if exists "{target.stream_schema}" cascade')
    else:
        target.execute(f'drop schema if exists "{target.schema}" cascade; drop schema if exists "{target.stream_schema}" cascade')
    dbt(target, "run-operation", "streamleap.create_stream_source", "--args",
        json.dumps({"stream_schema": target.stream_schema, "stream_name": STREAM}))


def built_once(cache: dict, key: object, make) -> object:
    """make() once per key for the whole test session; an exception it raised is raised again to
    every test that asks for the same key (one failure reported by each, not one build per test)."""
    if key not in cache:
        try:
            cache[key] = make()
        except Exception as exc:  # noqa: BLE001 - reported by every test that uses the key
            cache[key] = exc
    built = cache[key]
    if isinstance(built, Exception):
        raise built
    return built
