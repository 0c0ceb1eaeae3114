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

One relay per stream: a relay holds the stream's lease from its first pull until close() (on
Postgres a session advisory lock on its connection, named after the stand-in; on DuckDB, whose file
one process at a time can write, a lease in the process), and a second relay on the stream fails
with RelayBusyError naming the holder. Should one get past that, the checkpoints' compare-and-set
still makes it fail its commit rather than duplicate records, and on Postgres refresh_time is
assigned under an exclusive lock on the stand-in, so it only grows in commit order.

Stream identity: the checkpoints record the stream they are positions in (ARN and creation time,
from DescribeStreamSummary). A stream deleted and created again under the same name (or a local
endpoint restarted) starts its sequence numbers again, so a checkpoint from the old stream would
silently skip records of the new one. The relay checks the identity on every pull (and again after
reading), and a checkpoint the shard cannot hold (past a closed shard's end, before its start, or
refused by GetShardIterator) too: it stops with StreamChangedError and never skips. With
restart_stream=True it forgets the old checkpoints instead and reads the new stream from
TRIM_HORIZON, recording its identity; that holds for the stream as the first successful pull
finds it, so a stream re-created again later stops the relay as usual. Checkpoints written before identities were recorded adopt the
current stream's once. refresh_time keeps growing across a re-created stream: it continues from the
newest in the stand-in, so no mirror's watermark goes back. See docs/decisions/0010.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
import os
import random
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from streamleap.project.contract import STAND_IN_COLUMNS
from streamleap.errors import StreamleapError
from streamleap.pipeline.warehouse import LOCAL_KINDS, Warehouse

log = logging.getLogger(__name__)

CHECKPOINTS_TABLE = "streamleap_relay_checkpoints"
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException"})
ONE_MICROSECOND = dt.timedelta(microseconds=1)
IDENTITY_COLUMNS = (("stream_arn", "varchar(2048)"), ("stream_created_at", "timestamp"))
RESTART_HINT = "streamleap run --restart-stream"


class StreamChangedError(StreamleapError):
    """The stream is not the one the checkpoints are positions in: the relay stops rather than skip."""

    stops_the_run = True


class RelayBusyError(StreamleapError):
    """Another relay holds the stream's lease."""

    stops_the_run = True


@dataclass(frozen=True)
class StreamIdentity:
    arn: str
    created_at: dt.datetime  # naive UTC

    def __str__(self) -> str:
        return f"created {self.created_at.isoformat(timespec='milliseconds')}Z"


def duckdb_lock_pid(exc: BaseException | str) -> int | None:
    """The PID DuckDB's "Could not set lock on file" error names (0 when it names none), else None."""
    import re

    text = str(exc)
    if "Could not set lock on file" not in text:
        return None
    m = re.search(r"\(PID (\d+)\)", text)
    return int(m[1]) if m else 0


def duckdb_lock_error(exc: BaseException | str, path: Any) -> StreamleapError | None:
    """DuckDB's "Could not set lock on file" as one line naming the holder's PID, else None."""
    pid = duckdb_lock_pid(exc)
    if pid is None:
        return None
    holder = f"PID {pid}" if pid else "another process"
    return StreamleapError(f"the DuckDB file {path} is locked by {holder} (DuckDB lets one process open it for "
                           "writing); stop that process (another streamleap run, dbt or DuckDB session) and try again")


# leases of relays in this process on DuckDB files: (file, schema, stream) -> the holder
_local_leases: dict[tuple[str, str, str], weakref.ref[Relay]] = {}
_local_leases_lock = threading.Lock()


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
    identity: StreamIdentity | None = None


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
    return None if value is None else _utc_time(value)


def _utc_time(value: Any) -> dt.datetime:
    """A time (datetime, or seconds since the epoch) as naive UTC."""
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
    #: what the stand-in holds: a Kinesis stream's records (KafkaRelay: a Kafka topic's)
    stream_kind = "kinesis"
    #: attempts for a throttled Kinesis call, and the first backoff in seconds (doubling, capped at 1 s)
    throttle_attempts = 8
    throttle_backoff = 0.05

    def __init__(self, kinesis: Any, stream_name: str, warehouse: Warehouse, stream_schema: str, *,
                 max_records_per_shard: int = 10_000, restart_stream: bool = False):
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
        #: when the stream is not the one the checkpoints are for: read it from its beginning (True) or stop;
        #: it holds until the first pull that succeeds: a stream re-created later stops the relay again
        self.restart_stream = restart_stream
        #: the identity of the stream this relay restarted on, if it did
        self.restarted_on: StreamIdentity | None = None
        self._duckdb = warehouse.kind == "duckdb"
        p = warehouse.placeholder

        def table(name: str) -> str:
            sql = exp.table_(name, db=stream_schema, quoted=True).sql(dialect=warehouse.kind)
            return sql if self._duckdb else sql.replace("%", "%%")  # psycopg2 formats every statement given params

        self._stream_display = exp.table_(stream_name, db=stream_schema, quoted=True).sql(dialect=warehouse.kind)
        self._stream_rel = table(stream_name)
        self._checkpoints_rel = table(CHECKPOINTS_TABLE)
        cols = ", ".join(STAND_IN_COLUMNS)
        if self._duckdb:
            # one statement per batch: six lists, zipped back into rows by unnest
            types = ("timestamp", "varchar", "varchar", "varchar", "timestamp", "blob")
            self._insert_sql = (f"insert into {self._stream_rel} ({cols}) select "
                                + ", ".join(f"unnest({p}::{t}[])" for t in types))
        else:
            self._insert_sql = f"insert into {self._stream_rel} ({cols}) values %s"
        self._select_checkpoints_sql = (f"select shard_id, sequence_number, shard_closed, stream_arn, stream_created_at "
                                        f"from {self._checkpoints_rel} where stream_name = {p}")
        self._insert_checkpoint_sql = (f"insert into {self._checkpoints_rel} "
                                       f"(stream_name, shard_id, sequence_number, shard_closed, updated_at, stream_arn, "
                                       f"stream_created_at) values ({p}, {p}, {p}, {p}, {p}, {p}, {p})")
        self._adopt_identity_sql = (f"update {self._checkpoints_rel} set stream_arn = {p}, stream_created_at = {p} "
                                    f"where stream_name = {p} and stream_arn is null")
        self._forget_checkpoints_sql = f"delete from {self._checkpoints_rel} where stream_name = {p}"
        self._update_checkpoint_sql = (f"update {self._checkpoints_rel} set sequence_number = {p}, shard_closed = {p}, "
                                       f"updated_at = {p} where stream_name = {p} and shard_id = {p} "
                                       f"and sequence_number is not distinct from {p} and shard_closed = {p}")
        self._con: Any = None
        self._ready = False
        self._leased = False
        digest = hashlib.sha1(f"streamleap relay\0{stream_schema}\0{stream_name}".encode()).digest()
        self._lease_key = int.from_bytes(digest[:8], "big") >> 1  # a positive bigint: the advisory lock's key
        # shard id -> (the committed checkpoint it continues after, NextShardIterator)
        self._iterators: dict[str, tuple[str | None, str]] = {}

    # ------------------------------------------------------------------ public
    def pull(self) -> PullResult:
        """Read what is new on every shard and append it to the stand-in, with the checkpoints,
        in one transaction. On any failure nothing is committed and the exception propagates."""
        try:
            con = self._connection()
            identity = self.stream_identity()
            for attempt in range(2):
                committed = self._read_checkpoints(con)
                try:
                    committed = self._check_identity(con, committed, identity)
                    reads = self._read_shards(committed)
                except StreamChangedError:
                    if not self.restart_stream or attempt:
                        raise
                    self._restart(con, identity)
                    continue
                break
            changed = [r for r in reads if r.changed]
            if any(r.records for r in changed) and self.stream_identity() != identity:
                raise StreamleapError(f"Kinesis stream {self.stream_name} changed (deleted and created again) while the "
                                      "relay read it; nothing was committed, the next pull checks it against the checkpoints")
            refresh_time = self._write(con, changed, committed, identity) if changed else None
            self.restart_stream = False  # it accepts the stream found at the first pull; a later re-creation stops it
        except BaseException:  # any exit (KeyboardInterrupt too) drops iterators and connection; re-raised
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

    def acquire(self) -> None:
        """Take the stream's lease now (pull() takes it too): RelayBusyError when another relay holds it."""
        try:
            self._connection(prepare=False)
        except BaseException:  # any exit drops the half-made connection; re-raised
            self._discard_connection()
            raise

    def stream_identity(self) -> StreamIdentity:
        """The stream's ARN and creation time, as Kinesis describes it now."""
        try:
            summary = self._call(self.kinesis.describe_stream_summary, StreamName=self.stream_name)
        except Exception as exc:  # boto3's errors differ by client: the error code decides; re-raised
            if _error_code(exc) == "ResourceNotFoundException":
                raise self._not_found() from exc
            raise
        s = summary["StreamDescriptionSummary"]
        return StreamIdentity(s["StreamARN"], _utc_time(s["StreamCreationTimestamp"]))

    def positions(self) -> dict[str, str]:
        """The committed checkpoints: shard id -> last sequence number relayed."""
        try:
            con = self._connection(lease=False)
            committed = self._read_checkpoints(con)
        except BaseException:  # any exit drops the connection; re-raised
            self._discard_connection()
            raise
        return {sid: cp.sequence_number for sid, cp in committed.items() if cp.sequence_number is not None}

    def close(self) -> None:
        self._iterators.clear()
        self._discard_connection()
        self._release_local_lease()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ warehouse
    def _connection(self, lease: bool = True, prepare: bool = True) -> Any:
        if self._con is None:
            try:
                self._con = self.warehouse.connect()
            except Exception as exc:  # whatever the driver raises: a DuckDB lock error becomes one line; re-raised
                locked = duckdb_lock_error(exc, getattr(self.warehouse.credentials, "path", "?")) if self._duckdb else None
                if locked is not None:
                    raise locked from exc
                raise
            self._ready = False
        if lease and not self._leased:
            self._take_lease(self._con)
        if prepare and not self._ready:
            self._prepare(self._con)
            self._ready = True
        return self._con

    # ------------------------------------------------------------------ the lease: one relay per stream
    def _holder_name(self) -> str:
        return f"streamleap relay, PID {os.getpid()} on {socket.gethostname()}"[:63]

    def _busy(self, holder: str) -> RelayBusyError:
        return RelayBusyError(f"stream {self.stream_name} is already relayed into {self._stream_display} on target "
                              f"{self.warehouse.target_name} by {holder}; run one runner (or relay) per stream: stop "
                              "that one, or let it do the work")

    def _take_lease(self, con: Any) -> None:
        if self._duckdb:
            path = os.path.realpath(str(getattr(self.warehouse.credentials, "path", "")))
            key = (path, self.stream_schema, self.stream_name)
            for collect in (False, True):
                if collect:
                    gc.collect()  # a relay dropped without close() gives its lease back
                with _local_leases_lock:
                    held = _local_leases.get(key)
                    owner = held() if held is not None else None
                    if owner is None or owner is self:
                        _local_leases[key] = weakref.ref(self)
                        self._local_lease_key: tuple[str, str, str] | None = key
                        self._leased = True
                        return
            raise self._busy(f"another relay in this process (PID {os.getpid()})")
        cur = con.cursor()
        cur.execute("set application_name = %s", [self._holder_name()])
        cur.execute("select pg_try_advisory_lock(%s)", [self._lease_key])
        got = cur.fetchone()[0]
        if not got:
            gc.collect()  # a relay of this process dropped without close(): its connection closes, its lock goes
            cur.execute("select pg_try_advisory_lock(%s)", [self._lease_key])
            got = cur.fetchone()[0]
        if not got:
            cur.execute("select a.application_name, a.pid, a.backend_start from pg_locks l join pg_stat_activity a "
                        "on a.pid = l.pid where l.locktype = 'advisory' and l.granted and l.objsubid = 1 "
                        "and l.classid = %s and l.objid = %s and l.database = "
                        "(select oid from pg_database where datname = current_database())",
                        [self._lease_key >> 32, self._lease_key & 0xFFFFFFFF])
            row = cur.fetchone()
            con.rollback()
            holder = "another session" if row is None else \
                f"{row[0] or 'a session'} (Postgres backend {row[1]}, since {_utc_time(row[2]):%Y-%m-%d %H:%M:%S} UTC)"
            raise self._busy(holder)
        con.commit()
        self._leased = True  # for as long as this connection lives

    def _release_local_lease(self) -> None:
        key = getattr(self, "_local_lease_key", None)
        if key is None:
            return
        with _local_leases_lock:
            held = _local_leases.get(key)
            if held is not None and held() is self:
                del _local_leases[key]
        self._local_lease_key = None
        self._leased = False

    def __del__(self) -> None:
        try:
            self._release_local_lease()
        except Exception:  # noqa: BLE001 - interpreter shutting down
            pass

    def _cursor(self, con: Any) -> Any:
        # a DuckDB cursor is a connection of its own (its own transaction): use the connection
        return con if self._duckdb else con.cursor()

    def _discard_connection(self) -> None:
        con, self._con, self._ready = self._con, None, False
        if not self._duckdb:
            self._leased = False  # the advisory lock goes with the connection
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
            kind = "" if self.stream_kind == "kinesis" else f", stream_kind: {self.stream_kind}"
            raise StreamleapError(
                f"the stream stand-in {self._stream_display} does not exist on target {self.warehouse.target_name}; "
                f"run `dbt run` (or `dbt run-operation streamleap.create_stream_source --args "
                f"'{{stream_schema: {self.stream_schema}, stream_name: {self.stream_name}{kind}}}'`) first")
        cur.execute(f"create table if not exists {self._checkpoints_rel} ("
                    "stream_name varchar(256) not null, shard_id varchar(128) not null, sequence_number varchar(129), "
                    "shard_closed boolean not null default false, updated_at timestamp, "
                    "stream_arn varchar(2048), stream_created_at timestamp, "
                    "primary key (stream_name, shard_id))", [])
        # a checkpoints table from before stream identities: upgraded in place
        cur.execute(f"select column_name from information_schema.columns where table_schema = {p} and table_name = {p}",
                    [self.stream_schema, CHECKPOINTS_TABLE])
        have = {r[0] for r in cur.fetchall()}
        from sqlglot import exp

        for name, type_ in IDENTITY_COLUMNS:
            if name not in have:
                column = exp.to_identifier(name, quoted=True).sql(dialect=self.warehouse.kind)
                cur.execute(f"alter table {self._checkpoints_rel} add column {column} {type_}", [])
        con.commit()

    def _read_checkpoints(self, con: Any) -> dict[str, _Checkpoint]:
        cur = self._cursor(con)
        cur.execute(self._select_checkpoints_sql, [self.stream_name])
        rows = cur.fetchall()
        self._end_read(con)
        return {sid: _Checkpoint(seq, bool(closed), None if arn is None else StreamIdentity(arn, _utc_time(created)))
                for sid, seq, closed, arn, created in rows}

    def _check_identity(self, con: Any, committed: dict[str, _Checkpoint],
                        identity: StreamIdentity) -> dict[str, _Checkpoint]:
        """The checkpoints, when they are positions in this stream; StreamChangedError when not."""
        other = {cp.identity for cp in committed.values() if cp.identity is not None and cp.identity != identity}
        if other:
            raise StreamChangedError(
                f"Kinesis stream {self.stream_name} was re-created ({identity}; the relay's checkpoints in "
                f"{self._checkpoints_display()} are for the one {min(other, key=lambda i: i.created_at)}): its sequence "
                f"numbers start again, so the relay stopped rather than skip records; to read the new stream from its "
                f"beginning run `{RESTART_HINT}` (changes the old stream held that were not relayed yet are not in "
                "the new one: put them again)")
        if any(cp.identity is None for cp in committed.values()):
            # checkpoints from before identities were recorded: they adopt the stream's, once
            cur = self._cursor(con)
            if self._duckdb:
                cur.execute("begin transaction")
            cur.execute(self._adopt_identity_sql, [identity.arn, identity.created_at, self.stream_name])
            con.commit()
            committed = {sid: _Checkpoint(cp.sequence_number, cp.closed, identity) for sid, cp in committed.items()}
        return committed

    def _checkpoints_display(self) -> str:
        return self._checkpoints_rel.replace("%%", "%")

    def _position_lost(self, shard_id: str, sequence_number: str, why: str) -> StreamChangedError:
        return StreamChangedError(
            f"Kinesis stream {self.stream_name}, shard {shard_id}: the relay's checkpoint {sequence_number} {why}, so "
            f"the stream is not the one the checkpoints are for (re-created?); the relay stopped rather than skip "
            f"records; to read the stream from its beginning run `{RESTART_HINT}`")

    def _restart(self, con: Any, identity: StreamIdentity) -> None:
        """Forget the checkpoints of the old stream: the next read starts at the new one's TRIM_HORIZON."""
        log.info("relay %s: the stream is not the one the checkpoints are for; reading it from its beginning (%s)",
                    self.stream_name, identity)
        cur = self._cursor(con)
        if self._duckdb:
            cur.execute("begin transaction")
        cur.execute(self._forget_checkpoints_sql, [self.stream_name])
        con.commit()
        self._iterators.clear()
        self.restarted_on = identity

    def _write(self, con: Any, reads: list[_ShardRead], committed: dict[str, _Checkpoint],
               identity: StreamIdentity) -> dt.datetime | None:
        """Append the records and move the checkpoints, in one transaction; the refresh_time."""
        cur = self._cursor(con)
        if self._duckdb:
            cur.execute("begin transaction")
        now = _utcnow()
        refresh_time = None
        if any(r.records for r in reads):
            if not self._duckdb:
                # refresh_time is read and assigned under this lock, so it only grows in commit order: a mirror's
                # watermark can never pass a refresh_time committed later (readers are not blocked)
                cur.execute(f"lock table {self._stream_rel} in exclusive mode", [])
                now = _utcnow()
            cur.execute(f"select max(refresh_time) from {self._stream_rel}", [])  # [] so psycopg2 reads %% as %
            last = cur.fetchone()[0]
            refresh_time = now if last is None else max(now, _utc_time(last) + ONE_MICROSECOND)
            self._insert(cur, [self._row(r, rec, refresh_time) for r in reads for rec in r.records])
        for r in reads:
            before = committed.get(r.shard_id)
            if before is None:
                cur.execute(self._insert_checkpoint_sql, [self.stream_name, r.shard_id, r.last_sequence, r.closed, now,
                                                          identity.arn, identity.created_at])
                continue
            cur.execute(self._update_checkpoint_sql, [r.last_sequence, r.closed, now, self.stream_name, r.shard_id,
                                                      before.sequence_number, before.closed])
            moved = cur.fetchone()[0] if self._duckdb else cur.rowcount
            if moved != 1:
                raise StreamleapError(f"stream {self.stream_name}, shard {r.shard_id}: the checkpoint moved during the pull; "
                                      "is another relay reading this stream? run one per stream")
        con.commit()
        return refresh_time

    def _row(self, read: _ShardRead, rec: dict[str, Any], refresh_time: dt.datetime) -> tuple:
        """A record's row of the stand-in (STAND_IN_COLUMNS)."""
        return (_utc_naive(rec.get("ApproximateArrivalTimestamp")), rec.get("PartitionKey"), read.shard_id,
                rec["SequenceNumber"], refresh_time, bytes(rec["Data"]))

    def _insert(self, cur: Any, rows: list[tuple]) -> None:
        if not rows:
            return
        if self._duckdb:
            for start in range(0, len(rows), 50_000):
                cur.execute(self._insert_sql, [list(col) for col in zip(*rows[start:start + 50_000], strict=True)])
        else:
            from psycopg2.extras import execute_values

            execute_values(cur, self._insert_sql, rows, page_size=1000)

    # ------------------------------------------------------------------ Kinesis
    def _call(self, method: Any, **kwargs: Any) -> dict[str, Any]:
        """A Kinesis call, retried with a short backoff while throttled."""
        for attempt in range(self.throttle_attempts):
            try:
                return method(**kwargs)
            except Exception as exc:  # boto3's errors differ by client: the error code decides; re-raised
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
            except Exception as exc:  # boto3's errors differ by client: the error code decides; re-raised
                if _error_code(exc) == "ResourceNotFoundException" and "StreamName" in kwargs:
                    raise self._not_found() from exc
                raise
            shards += page.get("Shards") or []
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _not_found(self) -> StreamleapError:
        from streamleap.masking import mask_url

        endpoint = mask_url(str(getattr(getattr(self.kinesis, "meta", None), "endpoint_url", "?")))
        return StreamleapError(f"Kinesis stream {self.stream_name} not found at {endpoint}; "
                               "check the stream name, --region and --kinesis-endpoint")

    def _read_shards(self, committed: dict[str, _Checkpoint]) -> list[_ShardRead]:
        listed = {s["ShardId"]: s for s in self._list_shards()}
        for sid, cp in committed.items():
            # a checkpoint outside its shard's range is a position in another stream
            s = listed.get(sid)
            if s is None or cp.sequence_number is None:
                continue
            span = s.get("SequenceNumberRange") or {}
            first, last = span.get("StartingSequenceNumber"), span.get("EndingSequenceNumber")
            if first is not None and int(cp.sequence_number) < int(first):
                raise self._position_lost(sid, cp.sequence_number, f"is before the shard's first sequence number {first}")
            if last is not None and int(cp.sequence_number) > int(last):
                raise self._position_lost(sid, cp.sequence_number, f"is past the shard's last sequence number {last}")

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
            checkpoint = committed.get(sid)
            read = self._read_shard(sid, checkpoint.sequence_number if checkpoint else None)
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
        except Exception as exc:  # boto3's errors differ by client: the error code decides; re-raised
            if _error_code(exc) == "ResourceNotFoundException":
                return None  # the shard expired since ListShards
            if _error_code(exc) == "InvalidArgumentException" and after is not None:
                raise self._position_lost(shard_id, after, "is refused by GetShardIterator "
                                          f"({str(exc).splitlines()[0] if str(exc) else 'InvalidArgumentException'})") from exc
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
            except Exception as exc:  # boto3's errors differ by client: the error code decides; re-raised
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
