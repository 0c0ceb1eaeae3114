"""One `streamleap run` cycle, executed by the runner on its own connection (docs/decisions/0014).

The dbt package renders the cycle's SQL once per parsed project (`dbt run-operation
streamleap.cycle_plan`, dbt_package/macros/cycle/cycle.sql): every statement is parameter-free,
so this module holds no SQL text of its own. A cycle then costs what arrived and the tables it
concerns:
  - per stream, one probe (the newest record past the lowest watermark of the stream's models);
    a cycle whose probes find nothing is idle: no other statement, no transaction that writes;
  - otherwise ONE transaction for the whole cycle: the stream's new records are read and parsed
    once into a temporary table, the set of (schema-name, table-name) they hold picks the mirrors
    that apply anything, each applies its own records with a fixed number of statements, the
    set-aside model keeps what cannot be applied, and every model of the stream moves its
    watermark to the batch's end; one commit. A failure rolls all of it back: no watermark moves
    without its rows (a kill between two tables' applies leaves the cycle as it was before).
On Redshift the streaming view's REFRESH runs first, as its own transaction (the documented way:
REFRESH MATERIALIZED VIEW is a transaction of its own), then the same cycle.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from streamleap.sources.ddl_text import split_statements
from streamleap.errors import StreamleapError

PLAN_MARK = "streamleap-cycle-plan "
RAN_MARK = "streamleap-cycle-ran "  # run_stream_cycle's log line: the models its cycle applied in a `dbt run`


class MarkedLines:
    """A dbt callback: what follows mark in each log line that starts with it (the package's
    lines for the Python side: PLAN_MARK, RAN_MARK)."""

    def __init__(self, mark: str) -> None:
        self.mark = mark
        self.lines: list[str] = []

    def __call__(self, event: Any) -> None:
        msg = getattr(getattr(event, "info", None), "msg", None)
        if isinstance(msg, str) and msg.startswith(self.mark):
            self.lines.append(msg[len(self.mark):])


def models_applied(result: Any, cycle_ran: MarkedLines) -> set[str]:
    """The models that applied anything in a `dbt run` (its result): those of its streams' cycles
    (cycle_ran: MarkedLines(RAN_MARK) of the run), and those whose own run did more than find
    nothing new (a build, a backfill, an apply)."""
    applied = {str(name) for line in cycle_ran.lines for name in json.loads(line)}
    for r in getattr(getattr(result, "result", None), "results", None) or []:
        node = getattr(r, "node", None)
        if node is not None and str(r.status) == "success" and r.message != "nothing new":
            applied.add(node.name)
    return applied


def _statements(sql: str) -> tuple[str, ...]:
    return tuple(s.text for s in split_statements(sql or "", "postgres") if s.kind == "sql" and s.text.strip())


@dataclass(frozen=True)
class MirrorPlan:
    model: str
    unique_id: str
    tables: frozenset[tuple[str, str]]  # (schema-name, table-name) whose records it applies
    apply: tuple[str, ...]  # its records read and judged once, its changes applied
    cleanup: tuple[str, ...]  # after the set-aside models took its records' rows
    count: str = ""  # a SELECT of what it applied: the cycle counts every changed mirror in one statement
    drop: tuple[str, ...] = ()  # after that count
    id: int | None = None  # its id in the typed cycle's tables: what the stream's deleting query names
    tombstones: tuple[str, ...] = ()  # after its apply, when the stream's deleting query names it
    truncate: tuple[str, ...] = ()  # after those, when the changed query says a table of it was truncated


@dataclass(frozen=True)
class SetAsidePlan:
    model: str
    unique_id: str
    start: tuple[str, ...]  # the records of no mirrored table, judged
    mirrors: dict[str, tuple[str, ...]]  # per mirror model: its records, judged by its checks
    finish: tuple[str, ...]  # appended to the model, its count stored


@dataclass(frozen=True)
class EachTablePlan:
    """A typed stream's cycle by each changed table's own statements (cycle.sql's `each`)."""
    mirrors: tuple[MirrorPlan, ...]
    set_asides: tuple[SetAsidePlan, ...]
    finish: tuple[str, ...]


@dataclass(frozen=True)
class StreamPlan:
    staging_model: str
    stream: tuple[str, str]
    refresh: tuple[str, ...]
    probe: str
    begin: tuple[str, ...]
    batch: tuple[str, ...]
    changed: str
    count_into: str  # the INSERT that the changed mirrors' counts (UNION ALL) follow; '' when they count themselves
    deleting: str  # the ids of the mirrors whose changes hold a delete; '' when every apply keeps its tombstones
    mirrors: tuple[MirrorPlan, ...]
    set_asides: tuple[SetAsidePlan, ...]
    finish: tuple[str, ...]
    typed_batch: tuple[str, ...] = ()  # after changed: every value typed once (typed.sql)
    each: EachTablePlan | None = None  # the same cycle by each table's statements, for few changed tables


def _mirror_plan(m: dict[str, Any]) -> MirrorPlan:
    return MirrorPlan(m["model"], m["unique_id"], frozenset((str(a), str(b)) for a, b in m["tables"]),
                      _statements(m["apply"]), _statements(m["cleanup"]), m.get("count", ""),
                      _statements(m.get("drop", "")), m.get("id"), _statements(m.get("tombstones", "")),
                      _statements(m.get("truncate", "")))


def _set_aside_plan(a: dict[str, Any]) -> SetAsidePlan:
    return SetAsidePlan(a["model"], a["unique_id"], _statements(a["start"]),
                        {name: _statements(sql) for name, sql in a["mirrors"].items()}, _statements(a["finish"]))


@dataclass(frozen=True)
class CyclePlan:
    target: str
    setup: tuple[str, ...]  # once per connection, before its first cycle
    streams: tuple[StreamPlan, ...]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CyclePlan:
        streams = []
        for s in doc["streams"]:
            each = s.get("each")
            streams.append(StreamPlan(
                staging_model=s["staging_model"], stream=(str(s["stream"][0]), str(s["stream"][1])),
                refresh=_statements(s["refresh"]), probe=s["probe"], begin=tuple(s["begin"]),
                batch=_statements(s["batch"]), changed=s["changed"], count_into=s.get("count_into", ""),
                deleting=s.get("deleting", ""),
                mirrors=tuple(_mirror_plan(m) for m in s["mirrors"]),
                set_asides=tuple(_set_aside_plan(a) for a in s["set_aside"]),
                finish=tuple(_statements(";\n".join(s["finish"]))),
                typed_batch=_statements(s.get("typed_batch", "")),
                each=None if not each else EachTablePlan(
                    tuple(_mirror_plan(m) for m in each["mirrors"]), tuple(_set_aside_plan(a) for a in each["set_aside"]),
                    tuple(_statements(";\n".join(each["finish"]))))))
        return cls(doc["target"], tuple(_statements(";\n".join(doc["setup"]))), tuple(streams))


def load_plan(session: Any) -> CyclePlan:
    """Render the cycle's SQL with the package (one run-operation on the session's parsed manifest)."""
    marked = MarkedLines(PLAN_MARK)
    session.invoke("run-operation", "streamleap.cycle_plan", callbacks=[marked])
    lines = marked.lines
    if len(lines) != 1:
        raise StreamleapError("dbt run-operation streamleap.cycle_plan rendered no cycle plan; "
                              "run `dbt deps` so that the project uses this version of the streamleap package")
    return CyclePlan.from_json(json.loads(lines[0]))


@dataclass
class CycleResult:
    ran: list[str] = field(default_factory=list)  # the mirror and set-aside models that applied or kept anything
    statements: int = 0
    commits: int = 0


class _Session:
    """The runner's connection, the same calls on every driver: DuckDB's connection runs each
    statement in its own transaction unless begun; psycopg2 and redshift_connector begin one
    implicitly."""

    def __init__(self, con: Any, kind: str):
        self.con, self.kind = con, kind
        self.cur = con if kind == "duckdb" else con.cursor()
        self.statements = 0
        self.commits = 0

    def run(self, sql: str) -> None:
        self.statements += 1
        self.cur.execute(sql)

    def rows(self, sql: str) -> list[tuple]:
        self.run(sql)
        return list(self.cur.fetchall())

    def begin(self) -> None:
        if self.kind == "duckdb":
            self.con.begin()

    def commit(self) -> None:
        self.con.commit()
        self.commits += 1

    def rollback(self) -> None:
        try:
            self.con.rollback()
        except Exception:  # noqa: BLE001 - DuckDB refuses a rollback outside a transaction
            pass


def set_up(con: Any, kind: str, plan: CyclePlan) -> None:
    """The plan's setup on con, committed: once per connection and plan, before run_cycle."""
    db = _Session(con, kind)
    try:
        db.begin()
        for sql in plan.setup:
            db.run(sql)
        db.commit()
    except BaseException:  # any exit (KeyboardInterrupt too) rolls the setup back; re-raised
        db.rollback()
        raise


# Where a stream's values are typed once (DuckDB, Postgres), a cycle that changed fewer tables
# than this applies them by each table's own statements instead (docs/decisions/0025).
# STREAMLEAP_CYCLE_TYPED_FROM sets it (0: always typed once; a large number: never).
TYPED_FROM_TABLES = 4


def typed_from() -> int:
    value = os.environ.get("STREAMLEAP_CYCLE_TYPED_FROM", "").strip()
    return int(value) if value.isdigit() else TYPED_FROM_TABLES


def run_cycle(con: Any, kind: str, plan: CyclePlan) -> CycleResult:
    """One cycle on con (kept open by the runner). Raises what the warehouse raised, after rolling
    the cycle back."""
    db = _Session(con, kind)
    result = CycleResult()
    try:
        for stream in plan.streams:
            for sql in stream.refresh:  # Redshift: the streaming view's own transaction
                db.run(sql)
                db.commit()
        active = [s for s in plan.streams if db.rows(s.probe)[0][0] is not None]
        db.rollback()  # ends the probes' read (a kept connection is never idle in a transaction)
        if not active:
            return result
        db.begin()
        for stream in active:
            for sql in stream.begin:
                db.run(sql)
        for stream in active:
            for sql in stream.batch:
                db.run(sql)
            # (schema-name, table-name, whether a truncate-table record of it came)
            tables = [(str(row[0]), str(row[1]), row[2]) for row in db.rows(stream.changed)
                      if row[0] is not None and row[1] is not None]
            changed = {(a, b) for a, b, _ in tables}
            truncating = {(a, b) for a, b, truncated in tables if truncated}
            mirrors, set_asides, finish = stream.mirrors, stream.set_asides, stream.finish
            count_into, deleting_sql = stream.count_into, stream.deleting
            if stream.each is not None and sum(1 for m in stream.each.mirrors if m.tables & changed) < typed_from():
                # few tables changed: each one's own statements (docs/decisions/0025)
                mirrors, set_asides, finish = stream.each.mirrors, stream.each.set_asides, stream.each.finish
                count_into, deleting_sql = "", ""
            else:
                for sql in stream.typed_batch:
                    db.run(sql)
            ran = [m for m in mirrors if m.tables & changed]
            deleting = {row[0] for row in db.rows(deleting_sql)} if deleting_sql and ran else set()
            for set_aside in set_asides:
                for sql in set_aside.start:
                    db.run(sql)
            for mirror in ran:
                for sql in mirror.apply:
                    db.run(sql)
                if mirror.id in deleting or not deleting_sql:
                    for sql in mirror.tombstones:
                        db.run(sql)
                if mirror.tables & truncating:  # reads the whole mirror, as a TRUNCATE does
                    for sql in mirror.truncate:
                        db.run(sql)
                for set_aside in set_asides:  # its records' rows, as its apply judged them
                    for sql in set_aside.mirrors.get(mirror.model, ()):
                        db.run(sql)
                for sql in mirror.cleanup:
                    db.run(sql)
            for set_aside in set_asides:
                for sql in set_aside.finish:
                    db.run(sql)
            counts = [m.count for m in ran if m.count]
            if counts and count_into:  # the package's INSERT and its SELECTs, one statement
                db.run(count_into + "\n" + "\nunion all\n".join(counts))
            for mirror in ran:
                for sql in mirror.drop:
                    db.run(sql)
            result.ran += [m.model for m in ran] + [a.model for a in set_asides]
            for sql in finish:
                db.run(sql)
        db.commit()
        return result
    except BaseException:  # any exit (KeyboardInterrupt too) rolls the cycle back; re-raised
        db.rollback()
        raise
    finally:
        result.statements, result.commits = db.statements, db.commits
