"""Pending messages ordered by emission time: a calendar queue with one-second buckets.

A binary heap of every pending message costs a cache miss per level once it holds the hundreds
of thousands of open tickets a busy simulation carries. Bucketing by second keeps the hot end
small: a heap holds only second numbers (one per non-empty second), each bucket is an unsorted
list, and a bucket is sorted once, when its second is reached.
"""

import heapq
import math
from bisect import insort
from typing import Any


class Schedule:
    """Priority queue of (epoch ms, code, value); equal times come out in insertion order."""

    __slots__ = ("_buckets", "_seconds", "_current", "_position", "_second", "_sequence")

    def __init__(self) -> None:
        self._buckets: dict[int, list[tuple[int, int, int, Any]]] = {}
        self._seconds: list[int] = []
        self._current: list[tuple[int, int, int, Any]] = []
        self._position = 0
        self._second: int | None = None
        self._sequence = 0

    def push(self, t_ms: int, code: int, value: Any) -> None:
        """Add ``value`` due at ``t_ms`` (integer epoch ms); ``code`` tells the caller its type."""
        entry = (t_ms, self._sequence, code, value)
        self._sequence += 1
        second = t_ms // 1000
        if second == self._second:
            insort(self._current, entry, lo=self._position)
            return
        if self._second is not None and second < self._second:
            # Earlier than the second being served: return that second to its bucket.
            self._add(self._second, self._current[self._position:])
            self._current, self._position, self._second = [], 0, None
        bucket = self._buckets.get(second)
        if bucket is None:
            self._buckets[second] = [entry]
            heapq.heappush(self._seconds, second)
        else:
            bucket.append(entry)

    def _add(self, second: int, entries: list[tuple[int, int, int, Any]]) -> None:
        if entries:
            self._buckets[second] = entries
            heapq.heappush(self._seconds, second)

    def peek_ms(self) -> float:
        """Due time (epoch ms) of the earliest entry, or infinity when the queue is empty."""
        if self._position == len(self._current):
            if not self._seconds:
                return math.inf
            self._second = heapq.heappop(self._seconds)
            self._current = self._buckets.pop(self._second)
            self._current.sort()
            self._position = 0
        return self._current[self._position][0]

    def pop(self) -> tuple[int, int, Any]:
        """(due ms, code, value) of the earliest entry.

        Call :meth:`peek_ms` first (the generator always does, to interleave arrivals); popping
        without a finite peek raises IndexError.
        """
        t_ms, _, code, value = self._current[self._position]
        self._position += 1
        return t_ms, code, value
