"""MySQL / MariaDB change reader: the row-based binlog, read with python-mysql-replication.

``MySQLReader(url, tables)`` implements ``streamleap.capture.base.ChangeReader``.

Source set-up (checked when the reader starts, by ``sources.checks.mysql_capture_checks``; one
StreamleapError names every setting that is not right, and its fix): ``log_bin`` on, ``binlog_format=ROW``, ``binlog_row_image=FULL``,
``binlog_row_metadata=FULL`` (MariaDB >= 10.5, MySQL >= 8.0.14: the binlog then carries each
table's column names, signedness and enum/set labels as of the change, so a column added on the
source mid-stream shows up in the next change without any look-up), ``server_id`` >= 1. The user
needs REPLICATION SLAVE (MariaDB: BINLOG MONITOR / REPLICATION SLAVE ADMIN for SHOW MASTER
STATUS), REPLICATION CLIENT, and SELECT on the tables for the snapshot (MySQL: also RELOAD for
the snapshot's brief FLUSH TABLES WITH READ LOCK). Binlog compression (MariaDB log_bin_compress,
MySQL binlog_transaction_compression) and MySQL's partial JSON updates are refused: the driver
cannot read those events.

Positions are JSON objects ``{"file": "binlog.000003", "pos": 1234, "gtid": "0-1-57" | null,
"commit_us": 1722214697000001}``: ``file``/``pos`` is where the next transaction starts (the
end of a commit event); ``read`` resumes there. ``gtid`` is the MariaDB (``domain-server-seq``)
or MySQL (``uuid:n``) GTID of the transaction that ends there, for information only.
``commit_us`` is the commit time given to that transaction (see below), carried so that a resume
computes the same commit times as an uninterrupted read.

Transaction details of every change:

* ``commit_ts``: the commit event's timestamp (XID event, or COMMIT for non-transactional
  tables). The binlog keeps whole seconds only, so the reader makes commit times strictly
  increasing in binlog (= commit) order: a transaction gets ``max(its second, previous commit
  time + 1 microsecond)``. The apply orders changes by commit time, then by
  transaction-record-id, so two transactions in the same second must not share a commit time.
  The microseconds are therefore a sequence number within the second, not a measurement.
* ``transaction_id``: an integer from the binlog position where the transaction starts,
  ``(binlog file number << 32) | start offset`` - unique, increasing in commit order, the same on
  every re-read. (The GTID text is in the position.)
* ``transaction_record_id``: 1, 2, ... in the order of the rows in the transaction.
* ``stream_position``: ``"binlog.000003:1234"``, the position after the transaction (what a
  resume starts from), the same for every change of a transaction.

Values (snapshot and binlog give the same Python values for the same stored value):
integers as int (UNSIGNED included, BIGINT UNSIGNED up to 18446744073709551615), DECIMAL as
Decimal, DOUBLE as float, FLOAT as the shortest float that reads back as the stored 4-byte float
(1.1, not 1.100000023841858), BIT as an unsigned int, CHAR/VARCHAR/TEXT/ENUM as str, SET as the
chosen labels joined by commas in definition order ('' for the empty set), BINARY/VARBINARY/BLOB
as bytes, DATE as date, DATETIME as naive datetime, TIMESTAMP as a naive datetime in UTC (MySQL
stores TIMESTAMP in UTC; the session time zone never shifts it), TIME as text '[-]HH:MM:SS[.ffffff]'
(hours up to 838; Python's time cannot hold them), YEAR as int, JSON as its text (MariaDB's json
is longtext; MySQL's binary JSON is turned back into compact JSON text), NULL as None.
Dates Python cannot hold - MySQL's zero dates ('0000-00-00', '0000-00-00 00:00:00[.000]', a zero
TIMESTAMP), a zero month or day ('2024-00-10'), year 0 - come out as the text the server shows
for them, from the snapshot (the driver returns that text) and from the binlog alike; the mirror
then applies one rule to them, whichever path they came by.

Only committed transactions are in the binlog. Savepoints are followed: ROLLBACK TO SAVEPOINT,
which the binlog records when a non-transactional table took part, drops the changes since the
savepoint; a transaction that ends in ROLLBACK in the binlog (likewise) is dropped whole.

Limits: InnoDB (transactional) tables; rows a non-transactional (MyISAM) table kept despite a
rollback are not followed. Two-phase XA transactions (XA PREPARE, later XA COMMIT) that change a
captured table are refused with an error naming the position (XA COMMIT ... ONE PHASE is fine).
TRUNCATE and other DDL produce no row changes. Tables are matched by database and name exactly.
``tables()`` shows the definitions as they are now (read again after every DDL event and when a
change carries a column it does not know); while catching up on old binlog a change can carry a
column that has been dropped since, which ``tables()`` no longer lists.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import struct
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streamleap.capture.base import RowChange, Transaction
from streamleap.capture.selection import CaptureSelection
from streamleap.errors import StreamleapError
from streamleap.sources.connection import connect_mysql, mysql_options, parse_source_url
from streamleap.sources.checks import failed, mysql_capture_checks, mysql_variables, not_ready_error
from streamleap.sources.introspect import read_source
from streamleap.model.source_table import SourceTable

__all__ = ["MySQLReader"]

SNAPSHOT_CHUNK_ROWS = 1000
HEARTBEAT_SECONDS = 1.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

# field type codes (MySQL protocol; the binlog and the result set share them)
_T_BIT = 16
_T_TIME = 11
_T_TIME2 = 19
_T_YEAR = 13
_T_TIMESTAMP = 7
_T_TIMESTAMP2 = 17
_ZERO_TIMESTAMP = dt.datetime(1970, 1, 1)
_T_FLOAT = 4
_T_ENUM = 247
_T_SET = 248
_T_JSON = 245


# --- positions --------------------------------------------------------------------------------


def _file_number(name: str) -> int:
    """The sequence number of a binlog file name (``binlog.000042`` -> 42)."""
    try:
        return int(name.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        raise StreamleapError(f"unexpected binlog file name {name!r}: expected BASENAME.NNNNNN") from None


@dataclass(frozen=True)
class _Pos:
    file: str
    pos: int
    gtid: str | None = None
    commit_us: int = 0

    def key(self) -> tuple[int, int]:
        return (_file_number(self.file), self.pos)

    def text(self) -> str:
        return f"{self.file}:{self.pos}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "pos": self.pos, "gtid": self.gtid, "commit_us": self.commit_us}

    @classmethod
    def from_json(cls, value: Any) -> _Pos:
        if isinstance(value, str):  # "file:pos" is accepted too
            value = dict(zip(("file", "pos"), value.rsplit(":", 1), strict=False))
        try:
            return cls(str(value["file"]), int(value["pos"]), value.get("gtid"), int(value.get("commit_us") or 0))
        except (TypeError, KeyError, ValueError):
            raise StreamleapError(
                f"not a MySQL binlog position: {value!r}; expected {{\"file\": ..., \"pos\": ...}} as a reader returned it"
            ) from None


# --- values -----------------------------------------------------------------------------------


def _time_text(value: dt.timedelta) -> str:
    """A MySQL TIME (as a timedelta) as '[-]HH:MM:SS[.ffffff]'."""
    total = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    seconds, micros = divmod(total, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}" + (f".{micros:06d}" if micros else "")


def _float32(value: float) -> float:
    """The shortest decimal that reads back as the same 4-byte float."""
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits}g}")
        try:
            if struct.pack("<f", candidate) == packed:
                return candidate
        except OverflowError:  # rounded past the float range (near +-3.4e38): more digits
            continue
    return value


def _json_text(value: Any) -> str:
    """MySQL binary JSON as the driver decodes it (bytes for strings and keys) -> JSON text."""

    def plain(v: Any) -> Any:
        if isinstance(v, bytes):
            return v.decode("utf-8", errors="replace")
        if isinstance(v, dict):
            return {plain(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))


def _time2_from_bytes(raw: bytes, fsp: int) -> dt.timedelta:
    """A binlog TIME(fsp) value (MySQL 5.6+ TIME2 format) as a timedelta.

    The value is a big-endian number, offset so that it sorts unsigned: 3 bytes for the
    integer part (sign, 1 unused bit, 10 bits hour, 6 minute, 6 second) and 0-3 bytes of
    fraction. For a negative time with a fraction, the integer part was borrowed from: the
    stored integer part is one less and the fraction is stored as ``fraction + 1`` in its width.
    """
    frac_bytes = (fsp + 1) // 2
    whole = int.from_bytes(raw[:3], "big") - 0x800000
    frac = int.from_bytes(raw[3:3 + frac_bytes], "big") if frac_bytes else 0
    if frac_bytes and whole < 0 and frac:
        whole += 1
        frac -= 1 << (8 * frac_bytes)
    micros = frac * 10 ** (6 - 2 * frac_bytes)  # 1 byte: 1/100 s, 2 bytes: 1/10000 s, 3 bytes: 1 us
    packed = (whole << 24) + micros
    sign = -1 if packed < 0 else 1
    packed = abs(packed)
    hms, micros = packed >> 24, packed & 0xFFFFFF
    value = dt.timedelta(hours=(hms >> 12) & 0x3FF, minutes=(hms >> 6) & 0x3F, seconds=hms & 0x3F,
                         microseconds=micros)
    return value if sign > 0 else -value


def _patch_time2_decoding() -> None:
    """python-mysql-replication 1.0 decodes a negative TIME with a fraction wrongly (it negates
    the integer part and the fraction separately): decode TIME2 values with ``_time2_from_bytes``."""
    from pymysqlreplication.row_event import RowsEvent

    if getattr(RowsEvent, "_streamleap_time2", False) or not hasattr(RowsEvent, "_RowsEvent__read_time2"):
        return  # patched already, or a release that reads TIME2 some other way

    def read_time2(self: Any, column: Any) -> dt.timedelta:
        fsp = column.fsp or 0
        return _time2_from_bytes(self.packet.read(3 + (fsp + 1) // 2), fsp)

    RowsEvent._RowsEvent__read_time2 = read_time2
    RowsEvent._streamleap_time2 = True


def _date_text(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


def _datetime_text(year: int, month: int, day: int, hour: int, minute: int, second: int, micros: int, fsp: int) -> str:
    """A DATETIME as the server writes it: 'YYYY-MM-DD HH:MM:SS' and fsp digits of fraction."""
    text = f"{_date_text(year, month, day)} {hour:02d}:{minute:02d}:{second:02d}"
    return text + ("." + f"{micros:06d}"[:fsp] if fsp else "")


def _date_value(year: int, month: int, day: int) -> dt.date | str:
    try:
        return dt.date(year, month, day)
    except ValueError:  # a zero date, a zero month or day, year 0, a day past the month's end
        return _date_text(year, month, day)


def _datetime_value(year: int, month: int, day: int, hour: int, minute: int, second: int, micros: int,
                    fsp: int) -> dt.datetime | str:
    try:
        return dt.datetime(year, month, day, hour, minute, second, micros)
    except ValueError:
        return _datetime_text(year, month, day, hour, minute, second, micros, fsp)


def _patch_date_decoding() -> None:
    """python-mysql-replication reads a DATE or DATETIME Python cannot hold ('0000-00-00', a zero
    month or day) as None, which a mirror cannot tell from NULL, while the snapshot's SELECT
    returns the server's text: read them as that text (see the module docstring)."""
    from pymysqlreplication.row_event import RowsEvent

    if getattr(RowsEvent, "_streamleap_dates", False) or not all(
            hasattr(RowsEvent, f"_RowsEvent__read_{name}") for name in ("date", "datetime", "datetime2", "fsp")):
        return  # patched already, or a release that reads dates some other way

    def read_date(self: Any) -> dt.date | str:
        value = self.packet.read_uint24()
        return _date_value(value >> 9, (value >> 5) & 0x0F, value & 0x1F)

    def read_datetime(self: Any) -> dt.datetime | str:  # DATETIME before MySQL 5.6: YYYYMMDDhhmmss
        value = self.packet.read_uint64()
        date, time = divmod(value, 1_000_000)
        return _datetime_value(date // 10_000, date // 100 % 100, date % 100, time // 10_000, time // 100 % 100,
                               time % 100, 0, 0)

    def read_datetime2(self: Any, column: Any) -> dt.datetime | str:
        # 5 bytes big-endian: sign, 17 bits year*13+month, 5 day, 5 hour, 6 minute, 6 second
        data = self.packet.read_int_be_by_size(5)
        year_month = (data >> 22) & 0x1FFFF
        micros = self._RowsEvent__read_fsp(column)
        return _datetime_value(year_month // 13, year_month % 13, (data >> 17) & 0x1F, (data >> 12) & 0x1F,
                               (data >> 6) & 0x3F, data & 0x3F, micros, column.fsp or 0)

    RowsEvent._RowsEvent__read_date = read_date
    RowsEvent._RowsEvent__read_datetime = read_datetime
    RowsEvent._RowsEvent__read_datetime2 = read_datetime2
    RowsEvent._streamleap_dates = True


_BINARY_STRING_TYPES = (15, 252, 253, 254)  # VARCHAR, BLOB, VAR_STRING, STRING
_T_STRING = 254


def _binlog_converters(columns: list[Any]) -> dict[str, Any]:
    """Per column name of a rows event, a function (value, none_source) -> value, where needed."""
    out: dict[str, Any] = {}
    for col in columns:
        kind = col.type
        if kind == _T_BIT:
            out[col.name] = lambda v, src: int(v, 2) if v is not None else None
        elif kind in (_T_TIME, _T_TIME2):
            out[col.name] = lambda v, src: _time_text(v) if v is not None else None
        elif kind == _T_FLOAT:
            out[col.name] = lambda v, src: _float32(v) if v is not None else None
        elif kind in (_T_TIMESTAMP, _T_TIMESTAMP2):
            # the zero TIMESTAMP is stored as 0 seconds, which the driver reads as the epoch (the
            # epoch itself is not a TIMESTAMP: the range starts at 1970-01-01 00:00:01 UTC)
            fsp = getattr(col, "fsp", 0) or 0
            out[col.name] = (lambda digits: lambda v, src: _datetime_text(0, 0, 0, 0, 0, 0, 0, digits)
                             if v == _ZERO_TIMESTAMP else v)(fsp)
        elif kind == _T_YEAR:  # YEAR 0000 is stored as 0, which the driver reads as 1900
            out[col.name] = lambda v, src: 0 if v == 1900 else v
        elif kind == _T_SET:
            labels = list(col.set_values or [])
            out[col.name] = (lambda allowed: lambda v, src: (
                ",".join(label for label in allowed if label in v) if v is not None
                else ("" if src == "empty set" else None)))(labels)
        elif kind == _T_JSON:
            out[col.name] = lambda v, src: v if v is None or isinstance(v, str) else _json_text(v)
        elif kind in _BINARY_STRING_TYPES and getattr(col, "character_set_name", None) == "binary":
            # the driver gives str for an empty binary value; BINARY(n) loses its trailing zero bytes
            width = getattr(col, "max_length", 0) if kind == _T_STRING else 0
            out[col.name] = (lambda size: lambda v, src: None if v is None else (
                (v.encode("latin-1") if isinstance(v, str) else bytes(v)).ljust(size, b"\x00")))(width)
    return out


def _snapshot_converters(description: Any) -> list[Any]:
    """Per result column, a function value -> value (None where the driver's value is kept)."""
    out: list[Any] = []
    for _name, type_code, *_rest in description:
        if type_code == _T_BIT:
            out.append(lambda v: int.from_bytes(v, "big") if isinstance(v, (bytes, bytearray)) else v)
        elif type_code in (_T_TIME, _T_TIME2):
            out.append(lambda v: _time_text(v) if isinstance(v, dt.timedelta) else v)
        elif type_code == _T_JSON:
            out.append(lambda v: v.decode("utf-8") if isinstance(v, (bytes, bytearray)) else v)
        else:
            out.append(None)
    return out


def _events(stream: Any, start: _Pos, where: str) -> Iterator[Any]:
    """The stream's events; the server's refusal to serve a position as a one-line error."""
    import pymysql

    try:
        yield from stream
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else None
        if code == 1236:  # ER_MASTER_FATAL_ERROR_READING_BINLOG
            detail = exc.args[1] if len(exc.args) > 1 else ""
            raise StreamleapError(
                f"{where}: cannot read the binlog from {start.text()}: {detail}; the binlog there was purged "
                "or the position is wrong: take a new snapshot (drop the checkpoint) and keep binlogs longer "
                "(binlog_expire_logs_seconds / expire_logs_days)"
            ) from None
        raise


_NAME = r"(?:`(?:[^`]|``)+`|[^\s.`;]+)"


def _truncated_table(statement: str, default_schema: Any) -> tuple[str, str] | None:
    """(schema, table) of ``TRUNCATE [TABLE] [db.]name`` as the binlog logs it; the statement's
    default database when it names none.

    >>> _truncated_table("TRUNCATE TABLE `shop`.`order items`", b"x"), _truncated_table("truncate t", b"shop")
    (('shop', 'order items'), ('shop', 't'))
    """
    m = re.fullmatch(rf"TRUNCATE\s+(?:TABLE\s+)?({_NAME})(?:\s*\.\s*({_NAME}))?\s*", statement, re.IGNORECASE)
    if m is None:
        return None

    def plain(name: str) -> str:
        return name[1:-1].replace("``", "`") if name.startswith("`") else name

    if m.group(2) is not None:
        return plain(m.group(1)), plain(m.group(2))
    schema = default_schema.decode("utf-8") if isinstance(default_schema, bytes) else default_schema
    return (schema or "", plain(m.group(1)))


def _savepoint_name(text: str) -> str:
    """The savepoint name of ``SAVEPOINT name`` / ``ROLLBACK TO name`` (quoted or not)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == "`" and text[-1] == "`":
        text = text[1:-1].replace("``", "`")
    return text.lower()  # savepoint names are not case-sensitive


def _ident(name: str) -> str:
    import sqlglot

    return sqlglot.exp.to_identifier(name, quoted=True).sql(dialect="mysql")


# --- the reader -------------------------------------------------------------------------------


class MySQLReader:
    """Snapshot and binlog stream of ``tables`` of the MySQL/MariaDB source at ``url``."""

    def __init__(self, url: str, tables: list[str], server_id: int | None = None,
                 selection: CaptureSelection | None = None, source_tables: list[SourceTable] | None = None):
        """``source_tables``: the tables as ``read_source(url, tables)`` gave them, when the caller
        has read them this start (capture's CLI reads the catalog once); otherwise the reader
        reads them."""
        self._url = parse_source_url(url)
        if self._url.dialect != "mysql":
            raise StreamleapError(f"{self._url.masked} is not a MySQL/MariaDB URL; use mysql:// or mariadb://")
        self._source_url = url
        self._names = list(tables)
        self._selection = selection or CaptureSelection()
        self._tables: dict[tuple[str, str], SourceTable] = {}  # as sent: capture's key, the columns sent
        self._known: dict[tuple[str, str], frozenset[str]] = {}  # every column the source has
        self._dropped: dict[tuple[str, str], frozenset[str]] = {}  # columns never sent (VIRTUAL, excluded)
        self._order: list[tuple[str, str]] = []
        self._set_tables(source_tables if source_tables is not None else self._read_tables())
        self._closed = threading.Event()
        self._refreshed_for: set[tuple[str, ...]] = set()
        self._generators: weakref.WeakSet[Any] = weakref.WeakSet()
        source_id = self._check_setup()
        if server_id is None:
            server_id = random.SystemRandom().randint(1 << 20, (1 << 31) - 1)
            while server_id == source_id:
                server_id += 1
        elif server_id == source_id:
            raise StreamleapError(
                f"server id {server_id} is the source's own server_id; choose another replica server id"
            )
        self._server_id = server_id

    # -- connections

    def _settings(self) -> dict[str, Any]:
        return mysql_options(self._url, database=False)

    def _connect(self, **extra: Any) -> Any:
        return connect_mysql(self._url, database=False, autocommit=True, **extra)

    def _query(self, sql: str, args: Any = None) -> list[tuple]:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall())
        finally:
            conn.close()

    def _check_setup(self) -> int:
        """Refuse a server whose settings capture cannot read (``sources.checks.mysql_capture_checks``,
        all the failed ones in one line); the source's server_id."""
        conn = self._connect()
        try:
            variables = mysql_variables(conn)
        finally:
            conn.close()
        bad = failed(mysql_capture_checks(variables))
        if bad:
            raise not_ready_error(bad, self._url.masked)
        return int(variables.get("server_id") or 0)

    def _read_tables(self) -> list[SourceTable]:
        return read_source(self._source_url, self._names)[1]

    def _refresh_tables(self) -> None:
        self._set_tables(self._read_tables())

    def _set_tables(self, found: list[SourceTable]) -> None:
        applied = self._selection.apply(found)
        self._known = {(t.schema or "", t.name): frozenset(c.name for c in t.columns) for t in found}
        self._dropped = {(t.schema or "", t.name): dropped for t, dropped in applied}
        self._tables = {(t.schema or "", t.name): t for t, _dropped in applied}
        self._order = [(t.schema or "", t.name) for t, _dropped in applied]

    def _binlog_end(self) -> _Pos:
        import pymysql

        try:
            rows = self._query("SHOW MASTER STATUS")
        except pymysql.err.ProgrammingError:  # MySQL 8.4 knows only the new name
            rows = self._query("SHOW BINARY LOG STATUS")
        if not rows:
            raise StreamleapError(f"{self._url.masked}: SHOW MASTER STATUS is empty: the binary log is off")
        return _Pos(str(rows[0][0]), int(rows[0][1]))

    # -- the contract

    def tables(self) -> list[SourceTable]:
        tables = self._tables  # replaced whole by a refresh in the reading thread
        return [tables[key] for key in self._order if key in tables]

    def source_time(self) -> dt.datetime:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT UTC_TIMESTAMP()")
                now = cur.fetchone()[0]
        finally:
            conn.close()
        return now.replace(tzinfo=dt.timezone.utc)

    def position_lost(self, position: Any) -> bool:
        wanted = _Pos.from_json(position).file if position else None
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW BINARY LOGS")
                files = {str(row[0]) for row in cur.fetchall()}
        finally:
            conn.close()
        return wanted is None or wanted not in files

    def snapshot(self, only: list[tuple[str, str]] | None = None, replication: bool = True) -> tuple[Iterator[Transaction], Any]:
        """A consistent read of every table as 'load' changes, and the binlog position it matches.

        MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT reports the matching binlog position
        (binlog_snapshot_file / binlog_snapshot_position) without locking. MySQL: the position is
        read under FLUSH TABLES WITH READ LOCK, released as soon as the snapshot is open.
        Each yielded Transaction is a chunk of up to SNAPSHOT_CHUNK_ROWS rows; only the last one
        carries the position (the others carry None, as there is no position to resume from in
        the middle of a snapshot): checkpoint the returned position once the iterator is drained.
        The snapshot's connection (and its read view) stays open until then.
        """
        import pymysql

        conn = self._connect(cursorclass=pymysql.cursors.SSCursor)
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION time_zone = '+00:00'")
                cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
                has_snapshot_status = len(cur.fetchall()) >= 2
                if not replication:  # a consistent read only: no binlog position, no lock
                    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                    return self._snapshot_rows(conn, None, only), None
                if has_snapshot_status:
                    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                    cur.execute("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")
                    status = {str(k).lower(): str(v) for k, v in cur.fetchall()}
                    position = _Pos(status["binlog_snapshot_file"], int(status["binlog_snapshot_position"]))
                else:  # MySQL
                    cur.execute("FLUSH TABLES WITH READ LOCK")
                    try:
                        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                        try:
                            cur.execute("SHOW BINARY LOG STATUS")
                        except pymysql.err.ProgrammingError:
                            cur.execute("SHOW MASTER STATUS")
                        row = cur.fetchone()
                        cur.fetchall()
                    finally:
                        cur.execute("UNLOCK TABLES")
                    if not row:
                        raise StreamleapError(f"{self._url.masked}: SHOW MASTER STATUS is empty: the binary log is off")
                    position = _Pos(str(row[0]), int(row[1]))
        except BaseException:  # any exit (KeyboardInterrupt too) closes the connection; re-raised
            conn.close()
            raise
        return self._snapshot_rows(conn, position, only), position.to_json()

    def _snapshot_rows(self, conn: Any, position: _Pos | None, only: list[tuple[str, str]] | None = None) -> Iterator[Transaction]:
        try:
            ready: list[RowChange] | None = None  # a full chunk, yielded once the next one starts
            pending: list[RowChange] = []
            for schema, name in list(self._order):
                if only is not None and (schema, name) not in only:
                    continue
                with conn.cursor() as cur:
                    # the columns sent (not VIRTUAL generated or excluded ones); backticks quoted
                    columns = ", ".join(_ident(c.name) for c in self._tables[(schema, name)].columns)
                    cur.execute(f"SELECT {columns} FROM {_ident(schema)}.{_ident(name)}")
                    names = [d[0] for d in cur.description]
                    converters = _snapshot_converters(cur.description)
                    while True:
                        rows = cur.fetchmany(SNAPSHOT_CHUNK_ROWS)
                        if not rows:
                            break
                        for row in rows:
                            data = {n: (f(v) if f is not None and v is not None else v)
                                    for n, f, v in zip(names, converters, row, strict=True)}
                            pending.append(RowChange(schema, name, "load", data))
                            if len(pending) >= SNAPSHOT_CHUNK_ROWS:
                                if ready is not None:
                                    yield Transaction(ready, None)
                                ready, pending = pending, []
            conn.commit()
            if ready is not None and pending:
                yield Transaction(ready, None)
                ready = None
            last = ready if ready is not None else pending
            if last:
                yield Transaction(last, position.to_json() if position is not None else None)
        finally:
            conn.close()

    def read(self, position: Any, *, until_now: bool) -> Iterator[Transaction]:
        start = _Pos.from_json(position)
        end = self._binlog_end() if until_now else None
        gen = self._read(start, end)
        self._generators.add(gen)
        return gen

    def confirm(self, position: Any) -> None:
        """Nothing to do: the binlog is not consumed; the capture loop keeps the checkpoint."""

    def close(self) -> None:
        self._closed.set()
        for gen in list(self._generators):
            if not gen.gi_running:  # a read running in another thread stops at its next heartbeat
                gen.close()

    # -- the binlog

    def _stream(self, start: _Pos, blocking: bool) -> Any:
        from pymysqlreplication import BinLogStreamReader

        settings = self._settings()
        if blocking:
            settings["read_timeout"] = 30  # heartbeats come every second; a silent link is dead
        schemas = sorted({s for s, _n in self._order})
        names = sorted({n for _s, n in self._order})
        return BinLogStreamReader(
            connection_settings=settings,
            server_id=self._server_id,
            log_file=start.file,
            log_pos=start.pos,
            resume_stream=True,
            blocking=blocking,
            slave_heartbeat=HEARTBEAT_SECONDS if blocking else None,
            only_schemas=schemas,
            only_tables=names,
            enable_logging=False,
        )

    def _read(self, start: _Pos, end: _Pos | None) -> Iterator[Transaction]:
        from pymysqlreplication.event import (
            GtidEvent, HeartbeatLogEvent, MariadbGtidEvent, QueryEvent, RotateEvent, XAPrepareEvent, XidEvent,
        )
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        if end is not None and start.key() > end.key():
            raise StreamleapError(
                f"{self._url.masked}: the position {start.text()} is past the end of the binlog ({end.text()}): "
                "the binlog was reset (RESET MASTER) or the position belongs to another server; take a new "
                "snapshot (drop the checkpoint)"
            )
        if end is not None and start.key() == end.key():
            return
        _patch_time2_decoding()
        _patch_date_decoding()
        stream = self._stream(start, blocking=end is None)
        current_file = start.file
        cursor = start.pos  # end of the last event seen
        last = start  # the latest committed position (yielded or not)
        yielded = start  # the latest position handed out
        commit_us = start.commit_us
        changes: list[RowChange] = []
        savepoints: dict[str, int] = {}  # savepoint name -> number of changes before it
        group_start: int | None = None
        gtid: str | None = None

        def finish(event: Any, keep: bool) -> Transaction | None:
            nonlocal last, commit_us, changes, group_start, gtid
            savepoints.clear()
            pos_after = event.packet.log_pos
            if keep and changes:
                commit_us = max(int(event.timestamp) * 1_000_000, commit_us + 1)
                ts = _EPOCH + dt.timedelta(microseconds=commit_us)
                txid = (_file_number(current_file) << 32) | (group_start if group_start is not None else cursor)
                last = _Pos(current_file, pos_after, gtid, commit_us)
                for n, change in enumerate(changes, 1):
                    change.commit_ts, change.transaction_id = ts, txid
                    change.transaction_record_id, change.stream_position = n, last.text()
                done = Transaction(changes, last.to_json())
            else:
                last = _Pos(current_file, pos_after, gtid, commit_us)
                done = None
            changes, group_start, gtid = [], None, None
            return done

        try:
            for event in _events(stream, start, self._url.masked):
                if self._closed.is_set():
                    return
                if isinstance(event, RotateEvent):
                    current_file, cursor = event.next_binlog, event.position
                    continue
                if isinstance(event, HeartbeatLogEvent):
                    if last != yielded:  # move the checkpoint past transactions of other tables
                        yielded = last
                        yield Transaction([], last.to_json())
                    continue
                log_pos = event.packet.log_pos
                if not log_pos:  # artificial events (format description at the stream start)
                    continue
                done: Transaction | None = None
                ended = False
                if isinstance(event, (MariadbGtidEvent, GtidEvent)):
                    changes, group_start, gtid = [], cursor, event.gtid
                elif isinstance(event, QueryEvent):
                    statement = event.query.strip().rstrip(";").strip()
                    word = statement.split(None, 1)[0].upper() if statement else ""
                    if word == "BEGIN":
                        if group_start is None:
                            group_start = cursor
                    elif word == "COMMIT":
                        done, ended = finish(event, True), True
                    elif word == "SAVEPOINT":
                        savepoints[_savepoint_name(statement[len(word):])] = len(changes)
                    elif word == "ROLLBACK" and re.match(r"ROLLBACK\s+(WORK\s+)?TO\b", statement, re.IGNORECASE):
                        # ROLLBACK [WORK] TO [SAVEPOINT] name: the changes since the savepoint are undone
                        name = _savepoint_name(re.sub(r"^ROLLBACK\s+(WORK\s+)?TO\s+(SAVEPOINT\s+)?", "",
                                                      statement, flags=re.IGNORECASE))
                        if name in savepoints:
                            del changes[savepoints[name]:]
                    elif word == "ROLLBACK":  # non-transactional changes written, then rolled back
                        done, ended = finish(event, False), True
                    elif word == "RELEASE":
                        pass
                    elif word == "XA":
                        rest = statement[2:].strip().upper()
                        if rest.startswith(("START", "BEGIN", "END")):
                            pass
                        else:  # XA COMMIT / XA ROLLBACK of a transaction prepared earlier
                            done, ended = finish(event, False), True
                    elif word == "TRUNCATE" and not changes:
                        # logged as a statement: a truncate-table control record of a captured table,
                        # a transaction of its own
                        table = _truncated_table(statement, event.schema)
                        if table in self._tables:
                            changes = [RowChange(table[0], table[1], "truncate-table", {})]
                        done, ended = finish(event, True), True
                    elif not changes:  # DDL and other statements: a group of their own
                        self._after_ddl(statement)
                        done, ended = finish(event, False), True
                    # any other statement inside a transaction with changes does not end it
                elif isinstance(event, XidEvent):
                    done, ended = finish(event, True), True
                elif isinstance(event, XAPrepareEvent):
                    if event.one_phase:
                        done, ended = finish(event, True), True
                    elif changes:
                        raise StreamleapError(
                            f"{self._url.masked}: a two-phase XA transaction changed "
                            f"{changes[0].schema}.{changes[0].table} at {current_file}:{log_pos}; "
                            "streamleap capture does not follow XA PREPARE/COMMIT: commit without XA "
                            "or use XA COMMIT ... ONE PHASE"
                        )
                    else:
                        done, ended = finish(event, False), True
                elif isinstance(event, (WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent)):
                    key = (event.schema, event.table)
                    if key in self._tables:
                        if group_start is None:
                            group_start = cursor
                        changes.extend(self._row_changes(event, key))
                cursor = log_pos
                if done is not None:
                    yielded = last
                    yield done
                if ended and end is not None and last.key() >= end.key():
                    break
            if end is not None and last != yielded:
                yield Transaction([], last.to_json())
        finally:
            stream.close()

    def _row_changes(self, event: Any, key: tuple[str, str]) -> list[RowChange]:
        from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

        columns = event.columns
        names = [c.name for c in columns]
        if any(not n for n in names):
            raise StreamleapError(
                f"{self._url.masked}: the binlog has no column names for {key[0]}.{key[1]}; "
                "set binlog_row_metadata=FULL on the server"
            )
        known = self._known.get(key, frozenset())
        if set(names) - known and tuple(names) not in self._refreshed_for:
            # a column added since the tables were read: tables() shows it before its values arrive
            self._refreshed_for.add(tuple(names))
            self._refresh_tables()
        convert = _binlog_converters(columns)
        schema, table = key
        dropped = self._dropped.get(key, frozenset())
        names = [n for n in names if n not in dropped]  # VIRTUAL generated and excluded columns are not sent

        def values(row: dict[str, Any], sources: dict[str, Any]) -> dict[str, Any]:
            out = {}
            for name in names:
                v = row.get(name)
                f = convert.get(name)
                out[name] = f(v, sources.get(name)) if f is not None else v
            return out

        out: list[RowChange] = []
        for row in event.rows:
            if isinstance(event, UpdateRowsEvent):
                out.append(RowChange(schema, table, "update",
                                     values(row["after_values"], row.get("after_none_sources", {})),
                                     before=values(row["before_values"], row.get("before_none_sources", {}))))
            elif isinstance(event, WriteRowsEvent):
                out.append(RowChange(schema, table, "insert", values(row["values"], row.get("none_sources", {}))))
            elif isinstance(event, DeleteRowsEvent):
                out.append(RowChange(schema, table, "delete", values(row["values"], row.get("none_sources", {}))))
        return out

    _DDL = re.compile(r"^\s*(ALTER|CREATE|DROP|RENAME|TRUNCATE)\b", re.IGNORECASE)

    def _after_ddl(self, statement: str) -> None:
        """After a DDL statement: read the table definitions again (tables() then shows the change)."""
        if not self._DDL.match(statement):
            return
        try:  # names may be quoted, qualified or not: read them all again
            self._refresh_tables()
        except StreamleapError:
            pass  # a table may be gone; a later change refreshes again
