"""The capture loop: source reader -> DMS records -> Kinesis -> checkpoint.

1. Without a checkpoint (or with one whose snapshot did not finish): the reader's initial
   snapshot goes out as ``load`` records; then the position after it is checkpointed.
2. Then committed transactions, oldest first. The reader runs on a thread of its own and hands
   whole transactions over a bounded queue; the loop takes what is there (up to ~2,000 changes),
   puts it with PutRecords, and only when Kinesis accepted all of it writes the checkpoint and
   tells the reader (Postgres: the slot may advance). A crash anywhere resends from the last
   checkpoint: at-least-once, and the apply side ignores the copies.
3. ``once``: the reader stops at what is committed when the loop starts; the loop drains it,
   checkpoints and returns. Otherwise it runs until ``stop`` is set.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streamleap.capture.base import ChangeReader, Transaction
from streamleap.capture.checkpoint import Checkpoint, CheckpointStore
from streamleap.capture.encoder import DebeziumRecordEncoder, RecordEncoder
from streamleap.errors import StreamleapError

log = logging.getLogger(__name__)

FLUSH_CHANGES = 2000  # changes per flush at most (several PutRecords calls)
_END = object()


@dataclass
class CaptureStats:
    snapshot_rows: int = 0
    transactions: int = 0
    changes: int = 0
    records_put: int = 0
    oversized: int = 0
    oversized_examples: list[str] = field(default_factory=list)
    stand_ins: int = 0  # records sent in place of the oversized ones (the apply sets them aside)
    snapshotting: bool = False  # the initial snapshot is being sent (on_flush hears of each slice)
    flushes: int = 0
    position: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"snapshot_rows": self.snapshot_rows, "transactions": self.transactions, "changes": self.changes,
                "records_put": self.records_put, "oversized": self.oversized, "stand_ins": self.stand_ins,
                "position": self.position, **({"snapshot_in_progress": True} if self.snapshotting else {})}


class Capture:
    def __init__(self, reader: ChangeReader, writer: Any, store: CheckpointStore, *, source: str,
                 stream: str, tables: list[str], on_flush: Callable[[CaptureStats], None] | None = None,
                 record_format: str = "dms", debezium_schemas: bool = True, debezium_decimals: str = "precise",
                 destination: str = "kinesis"):
        self.reader = reader
        self.writer = writer
        self.store = store
        self.source, self.stream, self.tables = source, stream, list(tables)
        self.on_flush = on_flush
        self.stats = CaptureStats()
        # the records' format: AWS DMS JSON, or Debezium change events (capture --format)
        self.encoder: RecordEncoder | DebeziumRecordEncoder = (
            DebeziumRecordEncoder(reader.tables(), refresh=reader.tables, schemas=debezium_schemas, decimals=debezium_decimals)
            if record_format == "debezium" else RecordEncoder(reader.tables(), refresh=reader.tables))
        # what the checkpoint's place is in: the records' shape (Debezium's settings too) and where they went
        if record_format == "debezium":
            record_format += ("" if debezium_schemas else " without schemas") + (
                "" if debezium_decimals == "precise" else f" with {debezium_decimals} decimals")
        self.record_format, self.destination = record_format, destination
        self.stop_requested = threading.Event()

    # ------------------------------------------------------------------ checkpoint
    def _load(self) -> Checkpoint:
        cp = self.store.load()
        if cp is None:
            return Checkpoint(self.source, self.stream, self.tables, record_format=self.record_format, destination=self.destination)
        if sorted(cp.tables) != sorted(self.tables) or cp.stream != self.stream:
            raise StreamleapError(
                f"capture checkpoint {self.store.path} is for stream {cp.stream}, tables {','.join(cp.tables)}; this "
                f"capture is for stream {self.stream}, tables {','.join(self.tables)}: use another --state-dir, or "
                "delete the checkpoint to start over with a new snapshot")
        # a checkpoint's place is in what it wrote: resuming it into other records or another
        # destination would leave the snapshot and the changes before it out of what is read now
        was = (cp.record_format or self.record_format, cp.destination or self.destination)
        if was != (self.record_format, self.destination):
            raise StreamleapError(
                f"capture checkpoint {self.store.path} is for {was[0]} records to a {was[1]} stream; this capture writes "
                f"{self.record_format} records to a {self.destination} stream: use another --state-dir, or delete the "
                "checkpoint to start over with a new snapshot")
        cp.record_format, cp.destination = self.record_format, self.destination
        return cp

    def _save(self, cp: Checkpoint) -> None:
        cp.prev_transaction = list(self.encoder.prev_transaction) if self.encoder.prev_transaction else None
        self.store.save(cp)
        self.stats.position = cp.position

    # ------------------------------------------------------------------ run
    def run(self, once: bool = False) -> CaptureStats:
        cp = self._load()
        if cp.prev_transaction:
            self.encoder.prev_transaction = (cp.prev_transaction[0], cp.prev_transaction[1])
        if cp.snapshot_done:
            self.encoder.resume(cp.position)
        if not cp.snapshot_done:
            self._snapshot(cp)
        else:
            self.stats.position = cp.position
        if self.stop_requested.is_set():
            return self.stats
        self._stream(cp, once)
        return self.stats

    def _snapshot(self, cp: Checkpoint) -> None:
        transactions, position = self.reader.snapshot()
        self.stats.snapshotting = True
        for txn in transactions:
            records = [r for c in txn.changes for r in self.encoder.encode_all(c)]
            self.writer.put(records)
            self.stats.snapshot_rows += len(txn.changes)
            self._sync_writer_stats()
            if self.stop_requested.is_set():
                return  # not checkpointed: the next start snapshots again
            if self.on_flush is not None and records:  # progress: a large table's snapshot takes a while
                self.on_flush(self.stats)
        self.stats.snapshotting = False
        cp.snapshot_done, cp.position = True, position
        self._save(cp)
        # the first changes after the snapshot name its position as the last commit, as they do
        # when capture starts again from this checkpoint: a re-sent change is the same record
        self.encoder.resume(position)
        self.reader.confirm(position)
        log.info("capture: snapshot of %d rows on stream %s", self.stats.snapshot_rows, self.stream)

    def _stream(self, cp: Checkpoint, once: bool) -> None:
        handoff: queue.Queue = queue.Queue(maxsize=256)

        def read() -> None:
            try:
                for txn in self.reader.read(cp.position, until_now=once):
                    while not self.stop_requested.is_set():
                        try:
                            handoff.put(txn, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if self.stop_requested.is_set():
                        return
                handoff.put(_END)
            except BaseException as exc:  # noqa: BLE001 - handed to the loop, which raises it
                handoff.put(exc)

        thread = threading.Thread(target=read, name="streamleap-capture-reader", daemon=True)
        thread.start()
        finished = False
        while not finished and not self.stop_requested.is_set():
            try:
                item = handoff.get(timeout=0.2)
            except queue.Empty:
                continue
            batch: list[Transaction] = []
            changes = 0
            while True:
                if item is _END:
                    finished = True
                    break
                if isinstance(item, BaseException):
                    if batch:
                        self._flush(cp, batch)
                    if isinstance(item, StreamleapError):
                        raise item
                    raise StreamleapError(f"capture: reading the source failed: {type(item).__name__}: "
                                          f"{str(item).strip().splitlines()[0] if str(item).strip() else ''}") from item
                batch.append(item)
                changes += len(item.changes)
                if changes >= FLUSH_CHANGES:
                    break
                try:
                    item = handoff.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._flush(cp, batch)
        if not finished:
            self.stop_requested.set()
        thread.join(timeout=5)

    def _flush(self, cp: Checkpoint, batch: list[Transaction]) -> None:
        records = []
        for txn in batch:
            last_id = None
            txid = None
            for change in txn.changes:
                records.extend(self.encoder.encode_all(change))
                last_id, txid = change.transaction_record_id, change.transaction_id
            self.encoder.end_transaction(txid, last_id, txn.position)
            self.stats.changes += len(txn.changes)
            self.stats.transactions += 1 if txn.changes else 0
        self.writer.put(records)
        cp.position = batch[-1].position
        self._save(cp)
        self.reader.confirm(cp.position)
        self.stats.flushes += 1
        self._sync_writer_stats()
        if self.on_flush is not None and records:
            self.on_flush(self.stats)

    def _sync_writer_stats(self) -> None:
        ws = self.writer.stats
        self.stats.records_put = ws.records
        self.stats.oversized = ws.oversized
        self.stats.oversized_examples = list(ws.oversized_examples)
        self.stats.stand_ins = ws.stand_ins

    def stop(self) -> None:
        self.stop_requested.set()

