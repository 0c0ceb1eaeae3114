"""The latency statistics the demo and the benchmark share: when each record written became
visible in the mirror (``Visibility``), and the percentile and median of a list of numbers."""

from __future__ import annotations

import statistics
import threading
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile by nearest rank: the value ``p`` % of the way through the sorted
    values (the position rounded); None when there are none.

    >>> percentile([30, 10, 20, 40], 50), percentile([30, 10, 20, 40], 99), percentile([], 50)
    (30, 40, None)
    """
    data = sorted(values)
    if not data:
        return None
    return data[min(len(data) - 1, max(0, int(round(p / 100 * (len(data) - 1)))))]


def median(values: Iterable[float]) -> float:
    """The median (``statistics.median``); NaN when there are no values."""
    data = list(values)
    return statistics.median(data) if data else float("nan")


class Visibility:
    """When each record written became visible in the mirror.

    A record is written to a lane (a Kinesis shard; or, for records appended straight into the
    stream stand-in, the stand-in) at a position (its sequence number; the refresh_time of its
    append), at a wall-clock time (``put``). After each runner cycle, ``applied_up_to`` notes per
    lane the position the mirror has reached and when. A record is visible at the first such mark
    at or past its position; its latency is that mark's time minus the time it was written.
    Positions of one lane must compare with each other (ints, datetimes); thread-safe.
    """

    def __init__(self) -> None:
        self.puts: list[tuple[str, Any, float, int]] = []  # (lane, position, written at, records)
        self.applied: dict[str, list[tuple[Any, float]]] = {}  # lane -> [(position reached, at)], positions increasing
        self.lock = threading.Lock()

    def put(self, lane: str, position: Any, written_at: float, count: int = 1) -> None:
        """``count`` records written to ``lane`` at ``position`` at wall-clock time ``written_at``."""
        with self.lock:
            self.puts.append((lane, position, written_at, count))

    def applied_up_to(self, positions: dict[str, Any], at: float) -> None:
        """The mirror holds every record up to ``positions`` (lane -> position) since ``at``."""
        with self.lock:
            for lane, position in positions.items():
                marks = self.applied.setdefault(lane, [])
                if not marks or position > marks[-1][0]:
                    marks.append((position, at))

    def latencies_ms(self) -> list[float]:
        """One latency (ms) per visible record."""
        out: list[float] = []
        with self.lock:
            reached = {lane: [m[0] for m in marks] for lane, marks in self.applied.items()}
            for lane, position, written_at, count in self.puts:
                marks = self.applied.get(lane, [])
                i = bisect_left(reached.get(lane, []), position)
                if i < len(marks):
                    out += [(marks[i][1] - written_at) * 1000] * count
        return out

    def all_visible(self) -> bool:
        """Every record written is visible."""
        with self.lock:
            return all(self.applied.get(lane) and self.applied[lane][-1][0] >= position
                       for lane, position, _, _ in self.puts)
