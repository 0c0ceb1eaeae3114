"""The contract between a source reader (Postgres logical decoding, MySQL/MariaDB binlog) and the
capture loop that turns row changes into DMS records and puts them on Kinesis.

A reader yields whole committed transactions, oldest first, each with the source position to
resume *after* it. The capture loop checkpoints a position only after Kinesis accepted every
record of the transactions before it, so a restart resends from the checkpoint (at-least-once;
the apply side tolerates the duplicates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from streamleap.model.source_table import SourceTable


@dataclass
class RowChange:
    """One row change. ``data`` / ``before`` hold Python values as the source driver returns them
    (int, Decimal, float, str, bytes, bool, date, time, datetime, dict/list or JSON text, ...)
    keyed by source column name; the writer encodes them the way DMS does (streamleap.records)."""

    schema: str
    table: str
    operation: str  # 'load' | 'insert' | 'update' | 'delete'
    data: dict[str, Any]
    before: dict[str, Any] | None = None  # updates (and deletes where the source gives the old row)
    commit_ts: dt.datetime | None = None  # tz-aware UTC; None for 'load'
    transaction_id: int | str | None = None
    transaction_record_id: int | None = None  # 1-based position of the change in its transaction
    stream_position: str | None = None  # source position text (Postgres LSN, binlog file:pos)
    resync: bool = False  # a 'load' of `streamleap resync`: commit_ts is the snapshot's time


@dataclass
class Transaction:
    """A committed transaction (or a slice of the initial snapshot) and the position after it."""

    changes: list[RowChange]
    position: Any  # opaque; JSON-serialisable; what ``ChangeReader.read`` resumes after


class ChangeReader(Protocol):
    """What a source-specific reader provides."""

    def tables(self) -> list[SourceTable]:
        """The configured tables as the source declared them when last read (columns, types,
        primary key): at the start, and again by the reader when its log shows a table with a
        column they do not have, before the change that carries it."""

    def snapshot(self, only: list[tuple[str, str]] | None = None, replication: bool = True) -> tuple[Iterator[Transaction], Any]:
        """The initial consistent snapshot as 'load' changes, and the position that follows it
        (changes committed after the snapshot are read from there). only: (schema, table) of the
        tables to read (a resync); every configured table when None. replication False: a
        consistent read alone, no slot, publication or log position made or read (position None),
        for a stream another producer (DMS) writes."""

    def source_time(self) -> dt.datetime:
        """The source's clock (UTC), the clock its changes' commit times come from."""

    def position_lost(self, position: Any) -> bool:
        """The source can no longer send the changes after ``position`` (Postgres: the slot is
        gone; MySQL/MariaDB: its binlog file was purged)."""

    def read(self, position: Any, *, until_now: bool) -> Iterator[Transaction]:
        """Committed transactions after ``position``. With ``until_now`` stop at what is committed
        at the time of the call; otherwise wait for more until ``close``."""

    def confirm(self, position: Any) -> None:
        """Everything up to ``position`` is on Kinesis (Postgres: advance the slot)."""

    def close(self) -> None: ...
