"""`streamleap resync`: a fresh snapshot of some captured tables, while changes keep flowing.

The mirror must take the new snapshot's values over everything older (changes the stream never
delivered while the capture was down included), keep every change committed after it, and lose
the rows the snapshot did not hold, once all of it has arrived and not before. So:

1. ``S`` is the source's clock read before the snapshot, cut to the second (MySQL's binlog keeps
   whole seconds) and set back by a margin (``MARGIN``), and every snapshot row goes out as a
   ``load`` record with ``commit-timestamp`` S (``resync``): the apply orders it at S among the
   changes. A change committed before S is in the snapshot and loses to it; one committed after
   wins, whether or not the snapshot saw it, which is right as long as the stream gets every change
   after S: with the capture's position intact it does (margin: a statement or a synchronous
   commit that took longer than the clock read suggests), after a lost position it gets none
   before the snapshot and only the margin's second is at stake.
2. Every record of a table's resync is partitioned by the table (one shard), and after the last of
   them Kinesis accepted, a ``truncate-table`` control record at S (transaction record id 0: before
   the snapshot's rows, after every older change) goes on the same shard: each mirror then drops
   (flags, closes) exactly the rows whose last change is older than S that the snapshot did not
   hold. A reader of the stream meets it only after every row of the snapshot.
3. When the capture's position is gone (the Postgres slot was dropped, the binlog purged), the
   changes of every captured table were lost: resync refuses anything but all of them, and the
   position the snapshot read from becomes the checkpoint's. Otherwise the checkpoint is left to
   the capture, which may be running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from streamleap.capture.base import ChangeReader, RowChange
from streamleap.capture.checkpoint import CheckpointStore
from streamleap.capture.encoder import RecordEncoder
from streamleap.errors import StreamleapError
from streamleap.kinesis.writer import KinesisWriter


@dataclass
class ResyncStats:
    tables: list[str]
    snapshot_time: dt.datetime | None = None
    rows: dict[str, int] = field(default_factory=dict)
    records_put: int = 0
    position_reset: Any = None  # the new checkpoint position, when the old one was lost
    unfinished: list[str] = field(default_factory=list)  # tables with a row too large to send: no end sent

    def to_json(self) -> dict[str, Any]:
        return {"tables": self.tables, "snapshot_time": self.snapshot_time.isoformat() if self.snapshot_time else None,
                "rows": self.rows, "records_put": self.records_put, "position_reset": self.position_reset,
                "unfinished": self.unfinished}


def _split(name: str, tables: list[tuple[str, str]]) -> tuple[str, str]:
    schema, dot, table = name.rpartition(".")
    for s, t in tables:
        if (dot and (s, t) == (schema, table)) or (not dot and t == table):
            return s, t
    raise StreamleapError(f"resync {name}: not a table this capture captures ({', '.join(f'{s}.{t}' for s, t in tables)})")


# how far before the clock read the snapshot is placed: with the capture's position intact, and lost
MARGIN = dt.timedelta(seconds=5)
MARGIN_LOST = dt.timedelta(seconds=1)


def resync(reader: ChangeReader, writer: KinesisWriter, store: CheckpointStore | None, names: list[str],
           captured_names: list[str] | None = None, transaction_id: str | None = None) -> ResyncStats:
    """Resync the tables ``names`` (as the capture names them, schema-qualified or not).
    captured_names: the capture's tables as its checkpoint records them (they must be the same).
    store None: another producer (DMS) writes the stream and keeps its own position: the snapshot
    is a consistent read alone (no slot, publication or binlog position is made or read)."""
    captured = [(t.schema or "", t.name) for t in reader.tables()]
    wanted = list(dict.fromkeys(_split(n, captured) for n in names))
    if store is None:
        return _resync(reader, writer, wanted, transaction_id, lost=False, replication=False)[0]
    cp = store.load()
    if cp is None:
        raise StreamleapError(f"resync: no capture checkpoint at {store.path}: the capture's first run takes a snapshot "
                              "of every table; run `streamleap capture` (with the same --state-dir) first")
    if captured_names is not None and sorted(cp.tables) != sorted(captured_names):
        raise StreamleapError(f"resync: the capture checkpoint {store.path} is for tables {','.join(cp.tables)}; give resync "
                              f"the capture's own --tables (or --project-dir), not {','.join(captured_names)}")
    lost = reader.position_lost(cp.position)
    if lost and set(wanted) != set(captured):
        raise StreamleapError(
            "resync: the capture's position is gone at the source (the replication slot was dropped or the binlog "
            "purged), so the changes of every captured table were lost: resync all of them: "
            + " ".join(f"{s}.{t}" if s else t for s, t in captured))
    stats, position = _resync(reader, writer, wanted, transaction_id, lost=lost, replication=True)
    if lost:
        cp.position = position
        store.save(cp)
        reader.confirm(position)
        stats.position_reset = position
    return stats


def _resync(reader: ChangeReader, writer: KinesisWriter, wanted: list[tuple[str, str]], transaction_id: str | None, *,
            lost: bool, replication: bool) -> tuple[ResyncStats, Any]:
    stats = ResyncStats([f"{s}.{t}" if s else t for s, t in wanted])
    at = reader.source_time().replace(microsecond=0) - (MARGIN_LOST if lost else MARGIN)
    stats.snapshot_time = at
    txid = transaction_id or f"resync-{at:%Y%m%dT%H%M%S%f}"
    encoder = RecordEncoder(reader.tables())
    transactions, position = reader.snapshot(only=wanted, replication=replication)
    record_id = 0
    for txn in transactions:
        records = []
        for change in txn.changes:
            record_id += 1
            records.append(encoder.encode(RowChange(change.schema, change.table, "load", change.data, commit_ts=at,
                                                    transaction_id=txid, transaction_record_id=record_id, resync=True)))
            key = f"{change.schema}.{change.table}" if change.schema else change.table
            stats.rows[key] = stats.rows.get(key, 0) + 1
        writer.put(records)
    # a row too large for Kinesis was not sent: its table's end would remove it from the mirrors
    unsent = sorted(writer.stats.oversized_tables)
    stats.unfinished = unsent
    # after Kinesis took every row: the end of each table's snapshot, on its shard
    writer.put([encoder.encode(RowChange(s, t, "truncate-table", {}, commit_ts=at, transaction_id=txid, transaction_record_id=0))
                for s, t in wanted if (f"{s}.{t}" if s else t) not in unsent])
    stats.records_put = writer.stats.records
    return stats, position
