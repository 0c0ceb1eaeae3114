"""Writing a workload's changes at a steady rate, for the demo and the benchmark (bench/).

``Producer`` is the loop, in a thread of its own: every ``tick`` seconds it asks its ``write``
for the changes due since the last tick. What a change is and where it goes is ``write``'s
business: the shop's transactions put into Kinesis (``ShopToKinesis``, the demo), appended
straight into the stream stand-in, or run on a real source database (the benchmark's parts).

``ShopToKinesis`` puts the shop's records with ``KinesisWriter`` (calls of at most 500 records
and 5 MiB, records Kinesis did not take sent again) and notes, for every record Kinesis took, its
shard and sequence number with the wall-clock time of the put (the record's commit time) in a
``Visibility``: the demo's latency, from that time to the runner cycle that made it visible.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from streamleap.capture.encoder import EncodedRecord
from streamleap.kinesis.writer import KinesisWriter
from streamleap.demo.stats import Visibility
from streamleap.demo.workload import ShopWorkload, record_partition_key
from streamleap.records import ChangeRecord

REDELIVERY_PARTITION_KEY = "redelivery"  # re-delivered records (bytes sent before) all go to one shard


class Producer:
    """Changes at ``rate`` per second for ``duration`` seconds, from ``start()``.

    Every ``tick`` seconds ``write(n)`` is called with the number of changes due since the start
    and not written yet (0 when none is due): it writes at least that many (a transaction is
    never cut in two) and returns how many it wrote. ``changes`` counts them; ``started_at`` is
    the wall-clock time the loop started. ``done`` is set when the time is up or ``write`` raised;
    ``error`` is then what it raised.
    """

    def __init__(self, write: Callable[[int], int], *, rate: float, duration: float, tick: float = 0.02,
                 name: str = "producer"):
        self.write = write
        self.rate = rate
        self.duration = duration
        self.tick = tick
        self.changes = 0
        self.started_at: float | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Producer:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.started_at = t0 = time.time()
            while time.time() - t0 < self.duration:
                due = int((time.time() - t0) * self.rate)
                self.changes += self.write(max(0, due - self.changes))
                time.sleep(self.tick)
        except BaseException as exc:  # noqa: BLE001 - the caller reads it from .error
            self.error = exc
        finally:
            self.done.set()


def shop_transactions(workload: ShopWorkload, n: int) -> list[ChangeRecord]:
    """The shop's next transactions, committed now (wall clock), until they hold at least ``n``
    changes (none for 0)."""
    records: list[ChangeRecord] = []
    while len(records) < n:
        records += workload.next_transaction(dt.datetime.now(dt.timezone.utc))
    return records


class ShopToKinesis:
    """The shop's records put on a Kinesis stream, each accepted one noted in ``visibility``."""

    def __init__(self, workload: ShopWorkload, client: Any, stream: str, visibility: Visibility):
        self.workload = workload
        self.visibility = visibility
        self.writer = KinesisWriter(client, stream, on_accepted=self._accepted)
        self._put_at = 0.0

    def initial_load(self, carts: int) -> None:
        """The full load of ``carts`` carts."""
        self.put(self.workload.initial_load(carts))

    def write(self, n: int) -> int:
        """A ``Producer``'s write: transactions holding at least ``n`` changes, and now and then a
        re-delivery of records sent before; returns the changes (re-deliveries not counted)."""
        records = shop_transactions(self.workload, n)
        self.put(records, self.workload.maybe_redeliver())
        return len(records)

    def put(self, records: list[ChangeRecord], redelivered: Iterable[bytes] = ()) -> None:
        batch = [EncodedRecord(r.to_bytes(), record_partition_key(r), f"{r.schema}.{r.table}", record_partition_key(r))
                 for r in records]
        batch += [EncodedRecord(raw, REDELIVERY_PARTITION_KEY, "(re-delivery)", "") for raw in redelivered]
        if batch:
            self._put_at = time.time()
            self.writer.put(batch)

    def _accepted(self, record: EncodedRecord, result: dict[str, Any]) -> None:
        self.visibility.put(result["ShardId"], int(result["SequenceNumber"]), self._put_at)
