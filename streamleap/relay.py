"""The relay: on DuckDB and Postgres targets it plays Redshift's part of reading the Kinesis
stream. Each pull reads the records that are new since the last one from every shard and appends
them to the local stand-in "<stream_schema>"."<stream_name>" (the relation Redshift's streaming
ingestion would expose), all with one refresh_time, like one REFRESH of the streaming view.

Progress is kept per shard in the warehouse, in "<stream_schema>"."streamleap_relay_checkpoints",
and moves in the same transaction that appends the records: a pull either lands completely, with
its checkpoints, or not at all, and the next pull (of this relay or a new one after a restart)
reads again from the committed checkpoints. Nothing is read twice, nothing is skipped.

Resharding: a child shard is read only once its parents are closed and read to their end (or
expired), and never in the same pull as records of its parents, so for every partition key the
records arrive in the order they were put, with a refresh_time that never goes back.

One relay per stream: a second one moving the same checkpoints makes one of them fail its commit
(and retry from the checkpoints) instead of duplicating records.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from streamleap.errors import StreamleapError
from streamleap.warehouse import LOCAL_KINDS, Warehouse

log = logging.getLogger(__name__)

CHECKPOINTS_TABLE = "streamleap_relay_checkpoints"
STREAM_COLUMNS = ("approximate_arrival_timestamp", "partition_key", "shard_id", "sequence_number", "refresh_time",
                  "kinesis_data")
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException"})
ONE_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass
class PullResult:
    records: int
    per_shard: dict[str, int] = field(default_factory=dict)
    refresh_time: dt.datetime | None = None  # the one refresh_time of this pull; None when nothing new
    positions: dict[str, str] = field(default_factory=dict)  # shard id -> last sequence number now committed


@dataclass(frozen=True)
class _Checkpoint:
    sequence_number: str | None
    closed: bool


@dataclass
class _ShardRead:
    shard_id: str
    start: str | None  # the committed checkpoint the read started after
    records: list[dict[str, Any]]
    last_sequence: str | None
    closed: bool  # closed and read to its end: GetRecords gave no NextShardIterator
    next_iterator: str | None

    @property
    def changed(self) -> bool:
        return bool(self.records) or self.closed


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _utc_naive(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)
    if value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return (response.get("Error") or {}).get("Code")
    return None


class Relay:
    """Relays one Kinesis stream into its stand-in on a local (DuckDB / Postgres) target."""

    #: GetRecords page size (Kinesis allows up to 10,000)
    get_records_limit = 10_000
    #: attempts for a throttled Kinesis call, and the first backoff in seconds (doubling, capped at 1 s)
    throttle_attempts = 8
    throttle_backoff = 0.05

    def __init__(self, kinesis: Any, stream_name: str, warehouse: Warehouse, stream_schema: str, *,
                 max_records_per_shard: int = 10_000):
        if warehouse.kind not in LOCAL_KINDS:
            raise StreamleapError(f"target {warehouse.target_name} is {warehouse.kind}: the relay serves duckdb and postgres "
                                  "targets; on Redshift, streaming ingestion reads the stream itself")
        if max_records_per_shard < 1:
            raise ValueError("max_records_per_shard must be at least 1")
        from sqlglot import exp

        self.kinesis = kinesis
        self.stream_name = stream_name
        self.warehouse = warehouse
        self.stream_schema = stream_schema
        self.max_records_per_shard = max_records_per_shard
        self._duckdb = warehouse.kind == "duckdb"
        p = warehouse.placeholder

        def table(name: str) -> str:
            sql = exp.table_(name, db=stream_schema, quoted=True).sql(dialect=warehouse.kind)
            return sql if self._duckdb else sql.replace("%", "%%")  # psycopg2 formats every statement given params

        self._stream_display = exp.table_(stream_name, db=stream_schema, quoted=True).sql(dialect=warehouse.kind)
        self._stream_rel = table(stream_name)
        self._checkpoints_rel = table(CHECKPOINTS_TABLE)
        cols = ", ".join(STREAM_COLUMNS)
        if self._duckdb:
            # one statement per batch: six lists, zipped back into rows by unnest
            types = ("timestamp", "varchar", "varchar", "varchar", "timestamp", "blob")
            self._insert_sql = (f"insert into {self._stream_rel} ({cols}) select "
                                + ", ".join(f"unnest({p}::{t}[])" for t in types))
        else:
            self._insert_sql = f"insert into {self._stream_rel} ({cols}) values %s"
        self._select_checkpoints_sql = (f"select shard_id, sequence_number, shard_closed from {self._checkpoints_rel} "
                                        f"where stream_name = {p}")
        self._insert_checkpoint_sql = (f"insert into {self._checkpoints_rel} "
                                       f"(stream_name, shard_id, sequence_number, shard_closed, updated_at) "
                                       f"values ({p}, {p}, {p}, {p}, {p})")
        self._update_checkpoint_sql = (f"update {self._checkpoints_rel} set sequence_number = {p}, shard_closed = {p}, "
                                       f"updated_at = {p} where stream_name = {p} and shard_id = {p} "
                                       f"and sequence_number is not distinct from {p} and shard_closed = {p}")
        self._con: Any = None
        self._ready = False
        # shard id -> (the committed checkpoint it continues after, NextShardIterator)
        self._iterators: dict[str, tuple[str | None, str]] = {}

    # ------------------------------------------------------------------ public
    def pull(self) -> PullResult:
        """Read what is new on every shard and append it to the stand-in, with the checkpoints,
        in one transaction. On any failure nothing is committed and the exception propagates."""
        try:
            con = self._connection()
            committed = self._read_checkpoints(con)
            reads = self._read_shards(committed)
            changed = [r for r in reads if r.changed]
            refresh_time = self._write(con, changed, committed) if changed else None
        except BaseException:
            self._iterators.clear()
            self._discard_connection()
            raise
        for r in reads:
            if r.next_iterator is None:
                self._iterators.pop(r.shard_id, None)
            else:
                self._iterators[r.shard_id] = (r.last_sequence, r.next_iterator)
        positions = {sid: cp.sequence_number for sid, cp in committed.items() if cp.sequence_number is not None}
        positions.update({r.shard_id: r.last_sequence for r in changed if r.last_sequence is not None})
        per_shard = {r.shard_id: len(r.records) for r in changed if r.records}
        result = PullResult(sum(per_shard.values()), per_shard, refresh_time if per_shard else None, positions)
        if result.records:
            log.debug("relay %s: %d records from %d shards, refresh_time %s", self.stream_name, result.records,
                      len(per_shard), refresh_time)
        return result

    def positions(self) -> dict[str, str]:
        """The committed checkpoints: shard id -> last sequence number relayed."""
        try:
            con = self._connection()
            committed = self._read_checkpoints(con)
        except BaseException:
            self._discard_connection()
            raise
        return {sid: cp.sequence_number for sid, cp in committed.items() if cp.sequence_number is not None}

    def close(self) -> None:
        self._iterators.clear()
        self._discard_connection()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ warehouse
    def _connection(self) -> Any:
        if self._con is None:
            self._con = self.warehouse.connect()
            self._ready = False
        if not self._ready:
            self._prepare(self._con)
            self._ready = True
        return self._con

    def _cursor(self, con: Any) -> Any:
        # a DuckDB cursor is a connection of its own (its own transaction): use the connection
        return con if self._duckdb else con.cursor()

    def _discard_connection(self) -> None:
        con, self._con, self._ready = self._con, None, False
        if con is None:
            return
        for step in (con.rollback, con.close):
            try:
                step()
            except Exception:  # noqa: BLE001 - already broken; a new connection comes next time
                pass

    def _end_read(self, con: Any) -> None:
        if not self._duckdb:
            con.rollback()  # psycopg2 opened a transaction for the reads; don't hold it while reading Kinesis

    def _prepare(self, con: Any) -> None:
        p = self.warehouse.placeholder
        cur = self._cursor(con)
        cur.execute(f"select count(*) from information_schema.tables where table_schema = {p} and table_name = {p}",
                    [self.stream_schema, self.stream_name])
        if not cur.fetchone()[0]:
            self._end_read(con)
            raise StreamleapError(
                f"the stream stand-in {self._stream_display} does not exist on target {self.warehouse.target_name}; "
                f"run `dbt run` (or `dbt run-operation streamleap.create_stream_source --args "
                f"'{{stream_schema: {self.stream_schema}, stream_name: {self.stream_name}}}'`) first")
        cur.execute(f"create table if not exists {self._checkpoints_rel} ("
                    "stream_name varchar(256) not null, shard_id varchar(128) not null, sequence_number varchar(129), "
                    "shard_closed boolean not null default false, updated_at timestamp, "
                    "primary key (stream_name, shard_id))", [])
        con.commit()

    def _read_checkpoints(self, con: Any) -> dict[str, _Checkpoint]:
        cur = self._cursor(con)
        cur.execute(self._select_checkpoints_sql, [self.stream_name])
        rows = cur.fetchall()
        self._end_read(con)
        return {sid: _Checkpoint(seq, bool(closed)) for sid, seq, closed in rows}

    def _write(self, con: Any, reads: list[_ShardRead], committed: dict[str, _Checkpoint]) -> dt.datetime | None:
        """Append the records and move the checkpoints, in one transaction; the refresh_time."""
        cur = self._cursor(con)
        if self._duckdb:
            cur.execute("begin transaction")
        now = _utcnow()
        refresh_time = None
        if any(r.records for r in reads):
            cur.execute(f"select max(refresh_time) from {self._stream_rel}", [])  # [] so psycopg2 reads %% as %
            last = cur.fetchone()[0]
            refresh_time = now if last is None else max(now, _utc_naive(last) + ONE_MICROSECOND)
            self._insert(cur, [
                (_utc_naive(rec.get("ApproximateArrivalTimestamp")), rec.get("PartitionKey"), r.shard_id,
                 rec["SequenceNumber"], refresh_time, bytes(rec["Data"]))
                for r in reads for rec in r.records])
        for r in reads:
            before = committed.get(r.shard_id)
            if before is None:
                cur.execute(self._insert_checkpoint_sql, [self.stream_name, r.shard_id, r.last_sequence, r.closed, now])
                continue
            cur.execute(self._update_checkpoint_sql, [r.last_sequence, r.closed, now, self.stream_name, r.shard_id,
                                                      before.sequence_number, before.closed])
            moved = cur.fetchone()[0] if self._duckdb else cur.rowcount
            if moved != 1:
                raise StreamleapError(f"stream {self.stream_name}, shard {r.shard_id}: the checkpoint moved during the pull; "
                                      "is another relay reading this stream? run one per stream")
        con.commit()
        return refresh_time

    def _insert(self, cur: Any, rows: list[tuple]) -> None:
        if not rows:
            return
        if self._duckdb:
            for start in range(0, len(rows), 50_000):
                cur.execute(self._insert_sql, [list(col) for col in zip(*rows[start:start + 50_000])])
        else:
            from psycopg2.extras import execute_values

            execute_values(cur, self._insert_sql, rows, page_size=1000)

    # ------------------------------------------------------------------ Kinesis
    def _call(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        """A Kinesis call, retried with a short backoff while throttled."""
        for attempt in range(self.throttle_attempts):
            try:
                return method(**kwargs)
            except Exception as exc:
                if _error_code(exc) not in THROTTLING_CODES or attempt == self.throttle_attempts - 1:
                    raise
                delay = min(1.0, self.throttle_backoff * 2 ** attempt)
                time.sleep(delay * (0.5 + random.random() / 2))
        raise AssertionError("unreachable")  # pragma: no cover

    def _list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.stream_name}
        while True:
            try:
                page = self._call(self.kinesis.list_shards, **kwargs)
            except Exception as exc:
                if _error_code(exc) == "ResourceNotFoundException" and "StreamName" in kwargs:
                    endpoint = getattr(getattr(self.kinesis, "meta", None), "endpoint_url", "?")
                    raise StreamleapError(f"Kinesis stream {self.stream_name} not found at {endpoint}; "
                                          "check the stream name, --region and --kinesis-endpoint") from exc
                raise
            shards += page.get("Shards") or []
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _read_shards(self, committed: dict[str, _Checkpoint]) -> list[_ShardRead]:
        listed = {s["ShardId"]: s for s in self._list_shards()}

        def parents(sid: str) -> list[str]:
            s = listed[sid]
            # a parent no longer listed has expired: nothing is left to read there
            return [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p and p in listed]

        depth: dict[str, int] = {}

        def depth_of(sid: str) -> int:
            if sid not in depth:
                depth[sid] = 0  # guards against a malformed cycle
                depth[sid] = 1 + max((depth_of(p) for p in parents(sid)), default=-1)
            return depth[sid]

        drained = {sid for sid, cp in committed.items() if cp.closed}
        with_records: set[str] = set()
        reads = []
        for sid in sorted(listed, key=lambda s: (depth_of(s), s)):
            if sid in drained:
                continue
            # children wait until every parent is read to its end, and for a later pull than the
            # parents' last records, so a partition key's records never arrive out of order
            if any(p not in drained or p in with_records for p in parents(sid)):
                continue
            cp = committed.get(sid)
            read = self._read_shard(sid, cp.sequence_number if cp else None)
            if read is None:
                continue
            reads.append(read)
            if read.records:
                with_records.add(sid)
            if read.closed:
                drained.add(sid)
        return reads

    def _shard_iterator(self, shard_id: str, after: str | None) -> str | None:
        kwargs: dict[str, Any] = {"StreamName": self.stream_name, "ShardId": shard_id}
        if after is None:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        try:
            return self._call(self.kinesis.get_shard_iterator, **kwargs)["ShardIterator"]
        except Exception as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None  # the shard expired since ListShards
            raise

    def _read_shard(self, shard_id: str, start: str | None) -> _ShardRead | None:
        cached = self._iterators.get(shard_id)
        iterator = cached[1] if cached and cached[0] == start else None
        records: list[dict[str, Any]] = []
        last = start
        expired = 0
        while len(records) < self.max_records_per_shard:
            if iterator is None:
                iterator = self._shard_iterator(shard_id, last)
                if iterator is None:
                    return _ShardRead(shard_id, start, records, last, False, None) if records else None
            limit = min(self.get_records_limit, self.max_records_per_shard - len(records))
            try:
                page = self._call(self.kinesis.get_records, ShardIterator=iterator, Limit=limit)
            except Exception as exc:
                if _error_code(exc) == "ExpiredIteratorException" and expired < 3:
                    expired += 1
                    iterator = None  # again from what is read (or the checkpoint)
                    continue
                raise
            got = page.get("Records") or []
            if got:
                records += got
                last = got[-1]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
            if iterator is None:
                return _ShardRead(shard_id, start, records, last, True, None)
            if not got or (page.get("MillisBehindLatest") == 0 and len(got) < limit):
                break
        return _ShardRead(shard_id, start, records, last, False, iterator)
