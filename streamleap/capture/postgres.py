"""PostgreSQL change capture: logical replication with the built-in ``pgoutput`` plugin.

Why pgoutput (and not wal2json): it ships with every PostgreSQL since 10 and with the managed
services (RDS, Aurora, Cloud SQL, Azure), so a source needs no extension; its protocol is
documented and versioned ("Logical Replication Message Formats"). The reader decodes protocol
version 1 itself; values arrive in their text form, the same text ``col::text`` gives, so the
initial snapshot (read with ``::text``) and the stream are converted by one function.

Setup on the source (all made by the reader when missing, named after the stream):

* a publication ``streamleap_<stream>`` FOR TABLE the captured tables (kept in step with
  ``--tables``), publishing insert, update, delete and truncate;
* a logical replication slot ``streamleap_<stream>`` (pgoutput). It is created with an exported
  snapshot, and the initial ``load`` records are read in that snapshot, so they are exactly the
  state the slot's first change applies to. A capture restarted before its snapshot finished
  reads the tables again in a new snapshot and the changes from the slot's start: a change
  always wins over a ``load`` record in the mirror, so the result is the same.

Sessions run with ``TimeZone=UTC``, ``DateStyle=ISO``, ``IntervalStyle=postgres``,
``extra_float_digits=3`` and ``bytea_output=hex`` (on the replication connection too: the
walsender renders the values). Before images: what the table's REPLICA IDENTITY gives (FULL:
the whole old row; DEFAULT: the old key, sent by Postgres only when the key changed; otherwise
the key of the new row). A value Postgres does not resend because it was not changed and is
stored out of line (TOAST) is taken from the old row when REPLICA IDENTITY FULL gives it, else
read from the table by key (like DMS's LOB lookup; a later change of that row carries its own).

``--once`` (``until_now``) writes a logical decoding message (``pg_logical_emit_message``,
PostgreSQL 14+) and reads until it comes back: every transaction committed before it has been
delivered by then.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import re
import select
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from streamleap.capture.base import RowChange, Transaction
from streamleap.capture.selection import CaptureSelection
from streamleap.errors import SourceConnectionError, StreamleapError
from streamleap.records import json_text
from streamleap.model.source_table import SourceTable
from streamleap.sources.checks import failed, not_ready_error, replica_identities, replica_identity_checks
from streamleap.sources.connection import connect_postgres, driver_message, parse_source_url

log = logging.getLogger(__name__)

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
SESSION_OPTIONS = ("-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 "
                   "-c bytea_output=hex")
SNAPSHOT_SLICE = 2000  # load records per Transaction of the snapshot
MESSAGE_PREFIX = "streamleap.capture"
SLOT_BUSY_WAIT_SECONDS = 30  # how long a start waits for another (dying) process to let go of the slot


def lsn_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def lsn_int(text: str | int | None) -> int:
    if text is None:
        return 0
    if isinstance(text, int):
        return text
    high, _, low = str(text).partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def object_name(stream: str) -> str:
    """A slot / publication name from the stream's: lower-case letters, digits and _, <= 63.

    >>> object_name("Shop-CDC")
    'streamleap_shop_cdc'
    """
    name = "streamleap_" + re.sub(r"[^a-z0-9_]", "_", stream.lower())
    return name[:63]


# ---------------------------------------------------------------- text values -> Python values
@dataclass(frozen=True)
class ColumnKind:
    """How a column's text converts: the family of its mapped type; arrays know their element's."""

    family: str  # a streamleap.model.type_mapping family, or 'array'
    element: ColumnKind | None = None
    json_text: bool = False  # json / jsonb: the text is JSON already


_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$")


def _parse_time(text: str, with_zone: bool) -> Any:
    m = _TIME.match(text)
    if not m or int(m[1]) > 23:
        return text  # 24:00:00 and friends: as text
    micro = int((m[4] or "0").ljust(6, "0"))
    tzinfo = None
    if with_zone and m[5]:
        offset = dt.timedelta(hours=int(m[6]), minutes=int(m[7] or 0), seconds=int(m[8] or 0))
        tzinfo = dt.timezone(-offset if m[5] == "-" else offset)
    return dt.time(int(m[1]), int(m[2]), int(m[3]), micro, tzinfo=tzinfo)


def _timestamp_text(text: str) -> Any:
    if not re.match(r"^\d{4}-", text) or text.endswith(" BC"):
        return text  # infinity, BC: as text
    return dt.datetime.fromisoformat(text)


def _array(text: str, kind: ColumnKind) -> str:
    return json_text(_array_json(parse_array(text), kind.element or ColumnKind("string")))


# A Postgres value's text, by its column's family (streamleap.model.type_mapping.FAMILIES, and 'array'), as the
# Python value streamleap.records.encode_value takes; a family not here keeps its text (string, super).
TEXT_PARSERS: dict[str, Callable[[str, ColumnKind], Any]] = {
    "boolean": lambda text, kind: text in ("t", "true"),  # the output function prints t/f, a cast to text true/false
    "integer": lambda text, kind: int(text),
    "decimal": lambda text, kind: decimal.Decimal(text),
    "float": lambda text, kind: float(text),
    "binary": lambda text, kind: bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode("utf-8"),
    "date": lambda text, kind: dt.date.fromisoformat(text) if len(text) == 10 else text,
    "time": lambda text, kind: _parse_time(text, False),
    "timetz": lambda text, kind: _parse_time(text, True),
    "timestamp": lambda text, kind: _timestamp_text(text),
    "timestamptz": lambda text, kind: _timestamp_text(text),
    "array": _array,
}
TEXT_AS_IS = frozenset({"string", "super"})  # their text is the value


def text_value(text: str | None, kind: ColumnKind) -> Any:
    """A Postgres value's text (its type's output) as the Python value ``encode_value`` takes.
    Values Python cannot hold (infinity, BC dates, 24:00) stay text; the apply sets them aside."""
    parse = TEXT_PARSERS.get(kind.family)
    if text is None or parse is None:
        return text
    try:
        return parse(text, kind)
    except (ValueError, ArithmeticError):
        return text


def _array_json(value: Any, element: ColumnKind) -> Any:
    if isinstance(value, list):
        return [_array_json(v, element) for v in value]
    if value is None:
        return None
    converted = text_value(value, element)
    if isinstance(converted, (bool, int, float, str, decimal.Decimal)):
        if element.json_text and isinstance(converted, str):
            return json.loads(converted)
        return converted
    if isinstance(converted, bytes):
        return converted.hex().upper()
    if isinstance(converted, (dt.date, dt.time, dt.datetime)):
        return value  # the source's own text
    return str(converted)


def parse_array(text: str) -> Any:
    """A Postgres array literal ('{1,2,NULL}', '{{a,"b c"},{d,e}}', '[0:1]={1,2}') as nested lists
    of element texts (None for NULL).

    >>> parse_array('{1,NULL,"a \\\\"q\\\\"",{x}}')
    ['1', None, 'a "q"', ['x']]
    """
    pos = text.find("=") + 1 if text.startswith("[") else 0
    value, _ = _parse_array_at(text, pos)
    return value


def _parse_array_at(text: str, pos: int) -> tuple[list, int]:
    if text[pos] != "{":
        raise ValueError(f"not an array literal: {text!r}")
    pos += 1
    out: list = []
    if text[pos] == "}":
        return out, pos + 1
    while True:
        ch = text[pos]
        if ch == "{":
            item, pos = _parse_array_at(text, pos)
            out.append(item)
        elif ch == '"':
            pos += 1
            buf = []
            while text[pos] != '"':
                if text[pos] == "\\":
                    pos += 1
                buf.append(text[pos])
                pos += 1
            pos += 1
            out.append("".join(buf))
        else:
            end = pos
            while text[end] not in ",}":
                end += 1
            raw = text[pos:end].strip()
            out.append(None if raw.upper() == "NULL" else raw)
            pos = end
        if text[pos] == ",":
            pos += 1
            continue
        if text[pos] == "}":
            return out, pos + 1
        raise ValueError(f"not an array literal: {text!r}")


# ---------------------------------------------------------------- pgoutput protocol (version 1)
class _Buffer:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def byte(self) -> str:
        b = self.data[self.pos:self.pos + 1].decode("ascii")
        self.pos += 1
        return b

    def int8(self) -> int:
        v = self.data[self.pos]
        self.pos += 1
        return v

    def int16(self) -> int:
        (v,) = struct.unpack_from(">h", self.data, self.pos)
        self.pos += 2
        return v

    def int32(self) -> int:
        (v,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return v

    def uint32(self) -> int:
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def int64(self) -> int:
        (v,) = struct.unpack_from(">q", self.data, self.pos)
        self.pos += 8
        return v

    def string(self) -> str:
        end = self.data.index(b"\x00", self.pos)
        v = self.data[self.pos:end].decode("utf-8")
        self.pos = end + 1
        return v

    def raw(self, n: int) -> bytes:
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def tuple_data(self) -> list[tuple[str, str | None]]:
        """[(kind, text)]: kind 'n' null, 'u' unchanged TOAST value (not sent), 't' text."""
        out: list[tuple[str, str | None]] = []
        for _ in range(self.int16()):
            kind = self.byte()
            if kind == "t":
                out.append(("t", self.raw(self.int32()).decode("utf-8")))
            elif kind == "b":  # binary: only when asked for, which this reader does not
                out.append(("t", self.raw(self.int32()).hex()))
            else:
                out.append((kind, None))
        return out


def _is_bpchar(source_type: str) -> bool:
    text = source_type.strip().lower()
    return text in ("character", "char", "bpchar") or text.startswith(("character(", "char(", "bpchar("))


def _timestamp(micros: int) -> dt.datetime:
    return PG_EPOCH + dt.timedelta(microseconds=micros)


@dataclass
class _Relation:
    oid: int
    schema: str
    name: str
    replica_identity: str
    columns: list[tuple[str, int, int, bool]]  # name, type oid, typmod, part of the key
    kinds: list[ColumnKind]


# ---------------------------------------------------------------- the reader
class PostgresReader:
    """Reads committed changes of ``tables`` from a PostgreSQL source URL (see the module doc)."""

    def __init__(self, url: str, tables: list[str] | None, *, name: str = "capture", slot: str | None = None,
                 publication: str | None = None, selection: CaptureSelection | None = None,
                 source_tables: list[SourceTable] | None = None, checked: bool = False):
        """``source_tables``: the tables as ``read_source(url, tables)`` gave them, when the caller
        has read them this start (capture's CLI reads the catalog once); otherwise the reader
        reads them. ``checked``: the caller refused to go on when ``check_source`` failed for these
        tables and ``selection.keys`` (capture's CLI does), so the reader does not read the replica
        identities again."""
        self.url = url
        self._parsed = parse_source_url(url)
        if self._parsed.dialect != "postgres":
            raise StreamleapError(f"{self._parsed.masked} is not a PostgreSQL URL")
        self.requested = list(tables) if tables else None
        self.slot = slot or object_name(name)
        self.publication = publication or object_name(name)
        self.selection = selection or CaptureSelection()
        self._tables: list[SourceTable] = []  # as sent: the key capture uses, only the columns it sends
        self._by_name: dict[tuple[str, str], SourceTable] = {}
        self._dropped: dict[tuple[str, str], frozenset[str]] = {}  # columns never sent, per table
        self._known: dict[tuple[str, str], frozenset[str]] = {}  # every column of each table, as read
        self._keyless: list[SourceTable] = []  # tables captured with a named key instead of a primary key, as read
        self._confirmed = 0
        self._closing = threading.Event()
        self._connections: list[Any] = []
        self._kind_cache: dict[tuple[int, int], ColumnKind] = {}
        self._set_tables(source_tables if source_tables is not None else self._read_tables())
        missing_keys = [t.qualified_name for t in self._tables if not t.primary_key]
        if missing_keys:
            raise StreamleapError(f"capture needs a primary key on every table; {', '.join(missing_keys)} has none: "
                                  "add one (ALTER TABLE ... ADD PRIMARY KEY), name one with --key TABLE=COLUMN, or "
                                  "leave the table out of --tables")
        if self._keyless and not checked:
            self._check_replica_identity()

    # ------------------------------------------------------------ connections
    def _connect(self, replication: bool = False) -> Any:
        import psycopg2.extras

        extra: dict[str, Any] = {}
        if replication:
            extra["connection_factory"] = psycopg2.extras.LogicalReplicationConnection
        con = connect_postgres(self._parsed, application_name="streamleap-capture", options=SESSION_OPTIONS, **extra)
        if not replication:
            con.autocommit = True
        return con

    # ------------------------------------------------------------ ChangeReader
    def tables(self) -> list[SourceTable]:
        """The tables as sent, as last read: at the start, and again when the stream shows a
        table with a column they do not have (``_stream``, before the change that carries it)."""
        return list(self._tables)

    def _read_tables(self) -> list[SourceTable]:
        from streamleap.sources.introspect import read_source

        return read_source(self.url, self.requested)[1]

    def _set_tables(self, found: list[SourceTable]) -> None:
        applied = self.selection.apply(found)
        self._keyless = [t for t in found if not t.primary_key]
        self._known = {(t.schema or "", t.name): frozenset(c.name for c in t.columns) for t in found}
        self._by_name = {(t.schema or "", t.name): t for t, _dropped in applied}
        self._dropped = {(t.schema or "", t.name): dropped for t, dropped in applied}
        self._tables = [t for t, _dropped in applied]  # replaced whole: the capture loop's thread reads it

    def _check_replica_identity(self) -> None:
        """A table captured with --key (no primary key) must log its updates and deletes: with
        REPLICA IDENTITY DEFAULT and no primary key, Postgres refuses UPDATE and DELETE on a
        published table, so adding it to the publication would break the source's writers (the
        readiness check's rule, ``sources.checks.replica_identity_checks``, for these tables)."""
        con = self._connect()
        try:
            identities = replica_identities(con)
        finally:
            con.close()
        bad = failed(replica_identity_checks(identities, self._keyless))
        if bad:
            raise not_ready_error(bad, self._parsed.masked)

    def _relation_list(self) -> str:
        from sqlglot import exp

        # ONLY: a table with inheritance children publishes its own rows, not theirs (they are
        # tables of their own); a partitioned table publishes all its partitions (never ONLY)
        return ", ".join(("" if t.partitioned else "only ") + exp.table_(t.name, db=t.schema, quoted=True).sql(
            dialect="postgres") for t in self._tables)

    def _ensure_publication(self, cur: Any) -> None:
        from sqlglot import exp

        cur.execute("show server_version_num")
        version = int(cur.fetchone()[0])
        partitioned = [t.qualified_name for t in self._tables if t.partitioned]
        if partitioned and version < 130000:
            raise StreamleapError(f"{', '.join(partitioned)}: capturing a partitioned table needs PostgreSQL 13 or "
                                  "later (publish_via_partition_root); upgrade the server or leave the table out")
        # changes of a partition arrive under its root's name (one relation, one mirror)
        # TRUNCATE is published from PostgreSQL 11 on
        options = ("publish = 'insert, update, delete" + (", truncate'" if version >= 110000 else "'")
                   + (", publish_via_partition_root = true" if version >= 130000 else ""))
        name = exp.to_identifier(self.publication, quoted=True).sql(dialect="postgres")
        cur.execute("select 1 from pg_publication where pubname = %s", [self.publication])
        if cur.fetchone() is None:
            cur.execute(f"create publication {name} for table {self._relation_list()} with ({options})")
        else:
            cur.execute(f"alter publication {name} set table {self._relation_list()}")
            cur.execute(f"alter publication {name} set ({options})")

    def _slot_position(self, cur: Any) -> str | None:
        cur.execute("select plugin, confirmed_flush_lsn::text, database from pg_replication_slots where slot_name = %s",
                    [self.slot])
        row = cur.fetchone()
        if row is None:
            return None
        plugin, confirmed, database = row
        if plugin != "pgoutput":
            raise StreamleapError(f"replication slot {self.slot} on {self._parsed.masked} uses plugin {plugin}, not "
                                  "pgoutput: drop it (select pg_drop_replication_slot(...)) or pass another --slot")
        return confirmed

    def source_time(self) -> dt.datetime:
        import psycopg2

        con = self._connect()
        try:
            with con.cursor() as cur:
                cur.execute("select clock_timestamp() at time zone 'UTC'")
                return cur.fetchone()[0].replace(tzinfo=dt.timezone.utc)
        except psycopg2.Error as exc:
            raise self._error("reading the source's clock", exc) from None
        finally:
            con.close()

    def position_lost(self, position: Any) -> bool:
        import psycopg2

        con = self._connect()
        try:
            with con.cursor() as cur:
                return self._slot_position(cur) is None
        except psycopg2.Error as exc:
            raise self._error("looking up the replication slot", exc) from None
        finally:
            con.close()

    def snapshot(self, only: list[tuple[str, str]] | None = None, replication: bool = True) -> tuple[Iterator[Transaction], Any]:
        import psycopg2

        if not replication:  # a consistent read only: no publication, no slot, no position
            con = self._connect()
            con.autocommit = False
            self._connections.append(con)
            try:
                with con.cursor() as cur:
                    cur.execute("set transaction isolation level repeatable read, read only")
                    cur.execute("select 1")  # takes this transaction's snapshot now
            except psycopg2.Error as exc:
                con.close()
                raise self._error("opening a snapshot", exc) from None
            return self._read_snapshot(con, only), None

        con = self._connect()
        try:
            with con.cursor() as cur:
                self._ensure_publication(cur)
                existing = self._slot_position(cur)
        except psycopg2.Error as exc:
            con.close()
            raise self._error("setting up the publication", exc) from None
        snapshot_con = self._connect()
        snapshot_con.autocommit = False
        self._connections.append(snapshot_con)
        repl = None
        try:
            cur = snapshot_con.cursor()
            cur.execute("set transaction isolation level repeatable read, read only")
            if existing is None:
                repl = self._connect(replication=True)
                rcur = repl.cursor()
                from sqlglot import exp

                slot = exp.to_identifier(self.slot, quoted=True).sql(dialect="postgres")
                rcur.execute(f"CREATE_REPLICATION_SLOT {slot} LOGICAL pgoutput EXPORT_SNAPSHOT")
                _slot, consistent_point, snapshot_name, _plugin = rcur.fetchone()
                cur.execute("set transaction snapshot %s", [snapshot_name])
                position = consistent_point
            else:
                cur.execute("select 1")  # takes this transaction's snapshot now
                position = existing
        except psycopg2.Error as exc:
            snapshot_con.close()
            raise self._error("creating the replication slot", exc) from None
        finally:
            if repl is not None:
                repl.close()  # the snapshot lives on in snapshot_con's transaction
            con.close()
        return self._read_snapshot(snapshot_con, only), position

    def _read_snapshot(self, con: Any, only: list[tuple[str, str]] | None = None) -> Iterator[Transaction]:
        from sqlglot import exp

        try:
            for t in self._tables:
                if only is not None and (t.schema or "", t.name) not in only:
                    continue
                names = [c.name for c in t.columns]
                kinds = [self._kind_for_source_type(c.source_type) for c in t.columns]
                # every value as its type's output text, like pgoutput sends it; char(n) as it is (a
                # cast to text would strip the padding the output keeps)
                # a partitioned table is read once through its root; any other table with ONLY (its
                # inheritance children are tables of their own, read by themselves)
                source = exp.table_(t.name, db=t.schema, quoted=True)
                if not t.partitioned:
                    source.set("only", True)
                select_sql = exp.select(*[exp.column(n, quoted=True) if _is_bpchar(c.source_type)
                                          else exp.cast(exp.column(n, quoted=True), "text")
                                          for n, c in zip(names, t.columns, strict=True)]).from_(source).sql(dialect="postgres")
                cur = con.cursor(name=f"streamleap_snapshot_{uuid.uuid4().hex[:8]}")
                cur.itersize = SNAPSHOT_SLICE
                cur.execute(select_sql.replace("%", "%%"))
                while True:
                    rows = cur.fetchmany(SNAPSHOT_SLICE)
                    if not rows:
                        break
                    changes = [RowChange(t.schema or "", t.name, "load",
                                         {n: text_value(v, k) for n, v, k in zip(names, row, kinds, strict=True)}) for row in rows]
                    yield Transaction(changes, None)
                cur.close()
            con.commit()
        finally:
            con.close()
            if con in self._connections:
                self._connections.remove(con)

    def _kind_for_source_type(self, source_type: str) -> ColumnKind:
        from streamleap.model.type_mapping import map_type

        text = source_type.strip().lower()
        if text.endswith("]"):
            element = self._kind_for_source_type(re.sub(r"(\[\d*\])+$", "", text))
            return ColumnKind("array", element)
        try:
            family = map_type(text, "postgres").family
        except Exception:  # noqa: BLE001 - enums, domains, extension types: their text
            family = "string"
        return ColumnKind(family, json_text=text in ("json", "jsonb"))

    def _kind_for_type(self, cur: Any, oid: int, typmod: int) -> ColumnKind:
        key = (oid, typmod)
        if key not in self._kind_cache:
            cur.execute("select format_type(%s, %s), t.typtype, t.typbasetype, t.typtypmod, t.typcategory, t.typelem "
                        "from pg_type t where t.oid = %s", [oid, typmod, oid])
            row = cur.fetchone()
            if row is None:
                kind = ColumnKind("string")
            else:
                type_text, typtype, basetype, basemod, category, element = row
                if typtype == "d":
                    kind = self._kind_for_type(cur, basetype, basemod)
                elif category == "A" and element:  # an array: its element's kind (a domain's base type)
                    kind = ColumnKind("array", self._kind_for_type(cur, element, typmod))
                elif typtype == "e":
                    kind = ColumnKind("string")
                else:
                    kind = self._kind_for_source_type(type_text)
            self._kind_cache[key] = kind
        return self._kind_cache[key]

    def read(self, position: Any, *, until_now: bool) -> Iterator[Transaction]:
        import psycopg2

        catalog = self._connect()
        self._connections.append(catalog)
        repl = self._connect(replication=True)
        self._connections.append(repl)
        try:
            ccur = catalog.cursor()
            ccur.execute("show server_version_num")
            version = int(ccur.fetchone()[0])
            token = None
            options = {"proto_version": "1", "publication_names": self.publication}
            if version >= 140000:
                options["messages"] = "true"
            start = lsn_int(position)
            # a capture that was just killed may still hold the slot until its walsender notices
            deadline = time.monotonic() + SLOT_BUSY_WAIT_SECONDS
            while True:
                rcur = repl.cursor()
                try:
                    rcur.start_replication(slot_name=self.slot, decode=False, start_lsn=start, options=options)
                    break
                except psycopg2.Error as exc:
                    if "is active for pid" not in str(exc).lower() or time.monotonic() > deadline:
                        raise
                    repl.close()
                    self._connections.remove(repl)
                    time.sleep(0.5)
                    repl = self._connect(replication=True)
                    self._connections.append(repl)
            self._confirmed = max(self._confirmed, start)
            if until_now:
                if version < 140000:
                    raise StreamleapError("capture --once needs PostgreSQL 14 or later (logical decoding messages)")
                token = uuid.uuid4().hex
                ccur.execute("select pg_logical_emit_message(false, %s, %s)", [MESSAGE_PREFIX, token])
            yield from self._stream(rcur, ccur, token)
        except psycopg2.Error as exc:
            if self._closing.is_set():
                return
            raise self._error("reading the replication slot", exc) from None
        finally:
            for con in (repl, catalog):
                try:
                    con.close()
                except Exception:  # noqa: BLE001 - closing on the way out: a broken connection is done with anyway
                    pass
                if con in self._connections:
                    self._connections.remove(con)

    def _stream(self, rcur: Any, ccur: Any, token: str | None) -> Iterator[Transaction]:
        relations: dict[int, _Relation] = {}
        changes: list[RowChange] = []
        xid = commit_ts = None
        sent = 0
        last_feedback = time.monotonic()
        last_yielded = 0
        marker_seen = 0.0
        while not self._closing.is_set():
            if self._confirmed > sent or time.monotonic() - last_feedback > 5:
                rcur.send_feedback(flush_lsn=self._confirmed, write_lsn=self._confirmed, apply_lsn=self._confirmed,
                                   force=True)
                sent, last_feedback = self._confirmed, time.monotonic()
            if marker_seen and (sent >= last_yielded or time.monotonic() - marker_seen > 60):
                # --once: everything up to the marker is sent, and the slot knows it (or the consumer
                # never confirmed: the slot then lags behind the checkpoint, which is harmless)
                return
            msg = rcur.read_message()
            if msg is None:
                select.select([rcur], [], [], 0.2)
                continue
            buf = _Buffer(msg.payload)
            kind = buf.byte()
            if kind == "B":
                buf.int64()  # final LSN
                commit_ts = _timestamp(buf.int64())
                xid = buf.uint32()
                changes = []
            elif kind == "C":
                buf.int8()
                buf.int64()  # commit LSN
                end_lsn = buf.int64()
                last_yielded = end_lsn
                yield Transaction(changes, lsn_text(end_lsn))
                changes = []
            elif kind == "R":
                oid = buf.uint32()
                schema, name = buf.string(), buf.string()
                identity = chr(buf.int8())
                columns = []
                for _ in range(buf.int16()):
                    flags = buf.int8()
                    cname = buf.string()
                    type_oid, typmod = buf.uint32(), buf.int32()
                    columns.append((cname, type_oid, typmod, bool(flags & 1)))
                kinds = [self._kind_for_type(ccur, c[1], c[2]) for c in columns]
                relations[oid] = _Relation(oid, schema or "", name, identity, columns, kinds)
                known = self._known.get((schema or "", name))
                if known is not None and any(c[0] not in known for c in columns):
                    # a column added since the tables were read: read them again before its first
                    # change, so that tables() has it and an --exclude-columns pattern drops it
                    self._set_tables(self._read_tables())
            elif kind in ("I", "U", "D"):
                rel = relations[buf.uint32()]
                change = self._row_change(kind, rel, buf, ccur)
                change.commit_ts, change.transaction_id = commit_ts, xid
                change.transaction_record_id = len(changes) + 1
                change.stream_position = lsn_text(msg.data_start)
                changes.append(change)
            elif kind == "T":
                # TRUNCATE: a truncate-table control record per captured relation, at its place in
                # the transaction (the mirror removes the rows changed before it)
                count = buf.int32()
                buf.int8()  # options: CASCADE, RESTART IDENTITY
                for oid in [buf.uint32() for _ in range(count)]:
                    truncated = relations.get(oid)
                    if truncated is None or (truncated.schema, truncated.name) not in self._by_name:
                        continue
                    change = RowChange(truncated.schema, truncated.name, "truncate-table", {})
                    change.commit_ts, change.transaction_id = commit_ts, xid
                    change.transaction_record_id = len(changes) + 1
                    change.stream_position = lsn_text(msg.data_start)
                    changes.append(change)
            elif kind == "M":
                flags = buf.int8()
                buf.int64()
                prefix = buf.string()
                content = buf.raw(buf.int32()).decode("utf-8", errors="replace")
                if token is not None and not flags & 1 and prefix == MESSAGE_PREFIX and content == token:
                    marker_seen = time.monotonic()  # wait (above) until the loop confirmed what was yielded
            # 'Y' (type) and 'O' (origin) carry nothing capture needs

    def _row_change(self, kind: str, rel: _Relation, buf: _Buffer, ccur: Any) -> RowChange:
        change = self._decode_row_change(kind, rel, buf, ccur)
        dropped = self._dropped.get((rel.schema, rel.name))
        if dropped:  # excluded columns (and any generated column a server sends) never leave
            change.data = {n: v for n, v in change.data.items() if n not in dropped}
            if change.before is not None:
                change.before = {n: v for n, v in change.before.items() if n not in dropped}
        return change

    def _decode_row_change(self, kind: str, rel: _Relation, buf: _Buffer, ccur: Any) -> RowChange:
        names = [c[0] for c in rel.columns]
        table = self._by_name.get((rel.schema, rel.name))
        key_names = [c[0] for c in rel.columns if c[3]]
        # the key capture uses (a --key, or the primary key) for before images Postgres leaves out
        own_key = [n for n in (table.primary_key if table is not None else ()) if n in names] or key_names

        def row(tuple_data: list[tuple[str, str | None]]) -> dict[str, Any]:
            return {n: text_value(v, k) for n, (_, v), k in zip(names, tuple_data, rel.kinds, strict=False)}

        old: list[tuple[str, str | None]] = []
        old_kind = None
        if kind in ("U", "D"):
            marker = buf.byte()
            if marker in ("K", "O"):
                old_kind, old = marker, buf.tuple_data()
                if kind == "U":
                    marker = buf.byte()
            if kind == "U" and marker != "N":
                raise StreamleapError(f"capture: unexpected pgoutput update message for {rel.schema}.{rel.name}")
        elif buf.byte() != "N":
            raise StreamleapError(f"capture: unexpected pgoutput insert message for {rel.schema}.{rel.name}")
        if kind == "D":
            data = row(old)
            if old_kind == "K":
                data = {n: (data.get(n) if n in key_names else None) for n in names}
            return RowChange(rel.schema, rel.name, "delete", data)
        new = buf.tuple_data()
        if kind == "I":
            return RowChange(rel.schema, rel.name, "insert", row(new))
        # update: fill values Postgres did not resend (unchanged TOAST)
        unchanged = [i for i, (k, _) in enumerate(new) if k == "u"]
        if unchanged and old_kind == "O":
            new = [old[i] if i in unchanged and old[i][0] != "u" else v for i, v in enumerate(new)]
            unchanged = [i for i, (k, _) in enumerate(new) if k == "u"]
        data = row(new)
        if old_kind == "O":
            before = row(old)
        elif old_kind == "K":
            before = {n: v for n, v in row(old).items() if n in key_names}
        else:
            before = {n: data[n] for n in own_key}
        if unchanged:
            key_texts = [v for (n, (_, v)) in zip(names, new, strict=False) if n in key_names]
            self._lookup(rel, [names[i] for i in unchanged], key_texts, data, ccur)
        return RowChange(rel.schema, rel.name, "update", data, before)

    def _lookup(self, rel: _Relation, columns: list[str], key_texts: list[str | None], data: dict[str, Any],
                ccur: Any) -> None:
        """Values of unchanged TOASTed columns, read from the table by the row's key."""
        from sqlglot import exp

        key_names = [c[0] for c in rel.columns if c[3]]
        kinds = {c[0]: k for c, k in zip(rel.columns, rel.kinds, strict=True)}
        # named placeholders, after escaping every other % (names may hold one)
        marks = [f"streamleap_key_{i}" for i in range(len(key_names))]
        condition = exp.and_(*[exp.EQ(this=exp.cast(exp.column(k, quoted=True), "text"), expression=exp.Placeholder(this=m))
                               for k, m in zip(key_names, marks, strict=True)])
        source = exp.table_(rel.name, db=rel.schema, quoted=True)
        table = self._by_name.get((rel.schema, rel.name))
        if table is None or not table.partitioned:
            source.set("only", True)
        sql = exp.select(*[exp.cast(exp.column(c, quoted=True), "text") for c in columns]).from_(
            source).where(condition).sql(dialect="postgres")
        sql = sql.replace("%", "%%")
        for m in marks:
            sql = sql.replace(f"%%({m})s", f"%({m})s")
        ccur.execute(sql, dict(zip(marks, key_texts, strict=True)))
        found = ccur.fetchone()
        for name, value in zip(columns, found or [None] * len(columns), strict=True):
            data[name] = text_value(value, kinds[name])

    def confirm(self, position: Any) -> None:
        self._confirmed = max(self._confirmed, lsn_int(position))

    def close(self) -> None:
        self._closing.set()
        for con in list(self._connections):
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing on stop: a broken connection is done with anyway
                pass
        self._connections.clear()

    def _error(self, doing: str, exc: BaseException) -> StreamleapError:
        message = driver_message(exc, self._parsed)
        hint = ""
        lowered = message.lower()
        if "wal_level" in lowered:
            hint = "; set wal_level = logical in postgresql.conf and restart the server"
        elif "replication slots" in lowered or "max_replication_slots" in lowered:
            hint = "; raise max_replication_slots (and max_wal_senders) and restart the server"
        elif "permission" in lowered or "must be superuser" in lowered or "replication" in lowered and "role" in lowered:
            hint = "; the user needs the REPLICATION attribute and ownership of the tables (or superuser)"
        return SourceConnectionError(f"capture from {self._parsed.masked}: {doing} failed: {message}{hint}")

