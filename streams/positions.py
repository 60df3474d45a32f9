"""Reading every consumed partition in order, whatever Faust's consumer does.

Faust can hand a partition over past messages it never delivered (docs/architecture.md,
"Consumer positions"): a fetch that returns while the partition is paused is dropped after
aiokafka moved its position on, and messages it skips across a rebalance are acked, which can
carry the committed offset past messages never processed. Both stages know the next offset
they need per partition (stage 1 from its ledger, stage 2 from the offset saved with its
windows), so they check every message against it:

- the needed offset, or (before the first message since the state was loaded) an earlier
  one: in order (earlier ones are replays, which both stages recognise). A partition the
  state holds nothing of needs its earliest offset;
- a later one: a gap. The consumer is sent back (``StreamHost.seek``) and messages fetched before
  the seek are dropped until the needed one arrives. Faust moves its read offset with the
  messages still in flight and then drops what the seek fetches again, so while messages past
  the gap keep coming it seeks again every ``reseek_s``. A gap still there ``patience_s``
  after the first seek is real (retention, transaction markers): reading goes on, logged,
  counted;
- an earlier one after the first: a copy fetched again after a seek, dropped.

A timer (:meth:`Positions.watch`) catches the partition whose messages were fetched and
never delivered at all: its consumer position stays ahead of the needed offset while neither
moves over three looks.
"""

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from streams.faust_adapter import TP, StreamHost

log = logging.getLogger(__name__)

#: How long a partition's messages past a gap are dropped, seeking back to fill it, before the
#: gap is taken as real.
SEEK_PATIENCE_S = 30.0
#: Messages past the gap this long after a seek mean it did not take: seek again.
RESEEK_S = 2.0


class Positions:
    """Seeks and their bookkeeping for the partitions of one worker."""

    #: Identical looks (one per timer tick, 5 s) before a partition counts as stalled: a busy
    #: agent may leave its queued messages untouched for one tick.
    stalled_looks = 3

    def __init__(self, host: StreamHost, seeks: Any, skipped: Any,
                 patience_s: float = SEEK_PATIENCE_S, reseek_s: float = RESEEK_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``seeks`` and ``skipped`` are Prometheus counters labelled by topic; ``clock``
        gives seconds (monotonic) for the patience and re-seek intervals."""
        self.host = host
        self.clock = clock
        self.seeks = seeks
        self.skipped = skipped
        self.patience_s = patience_s
        self.reseek_s = reseek_s
        # (topic, partition) -> (first seek, offset sought, last seek)
        self._sought: dict[tuple[str, int], tuple[float, int, float]] = {}
        self._watched: dict[tuple[str, int], tuple[Any, ...]] = {}   # -> (state, looks)
        self._earliest: dict[tuple[str, int], int | None] = {}

    def forget(self) -> None:
        """A new assignment: earliest offsets are asked again (retention moves them)."""
        self._earliest.clear()

    async def earliest(self, topic: str, partition: int) -> int | None:
        """The partition's earliest offset (cached until the next assignment)."""
        key = (topic, partition)
        if key not in self._earliest:
            self._earliest[key] = await self.host.earliest(TP(topic, partition))
        return self._earliest[key]

    async def in_order(self, topic: str, partition: int, offset: int,
                       expected: int | None, first: bool) -> bool:
        """May the message at ``offset`` be applied, when ``expected`` is needed next (None:
        the state holds nothing of the partition, so its earliest offset) and ``first`` says
        none was applied since the state was loaded? It may await: the caller checks again
        that the message is still current (``StreamHost.is_stale``) before applying it."""
        if expected is None and first:
            expected = await self.earliest(topic, partition)
        if expected is None or offset == expected:
            return True
        if offset < expected:
            return first   # a replay before the first message; afterwards a copy
        key = (topic, partition)
        sought = self._sought.get(key)
        now = self.clock()
        if sought is not None and sought[1] == expected:
            if now - sought[0] > self.patience_s:
                log.error("%s[%d]: offsets %d..%d never came after seeking for %.0f s; reading "
                          "on (%d messages skipped)", topic, partition, expected, offset - 1,
                          now - sought[0], offset - expected)
                self.skipped.labels(topic).inc(offset - expected)
                del self._sought[key]
                return True
            if now - sought[2] < self.reseek_s:
                return False   # fetched before the seek: dropped, it comes again
            # Still past the gap a while after the seek: Faust moved its read offset with the
            # messages in flight and dropped the ones fetched again. Seek once more.
        await self.seek(topic, partition, expected, f"message {offset} arrived")
        return False

    async def seek(self, topic: str, partition: int, offset: int, why: str) -> None:
        """Send the consumer of ``topic``[``partition``] back to ``offset`` (counted)."""
        log.warning("%s[%d]: %s but offset %d is needed next: seeking back", topic, partition,
                    why, offset)
        key = (topic, partition)
        previous = self._sought.get(key)
        now = self.clock()
        first = previous[0] if previous is not None and previous[1] == offset else now
        self._sought[key] = (first, offset, now)   # patience runs from the first seek
        self.seeks.labels(topic).inc()
        await self.host.seek(TP(topic, partition), offset)

    async def watch(self, partitions: Iterable[tuple[Any, int | None]]) -> None:
        """Timer: (tp, offset needed next) of every partition read. One whose consumer stands
        ahead of the needed offset, both unchanged over ``stalled_looks`` looks, had messages
        fetched and never delivered: seek back. An unknown needed offset (no state yet) is the
        partition's earliest offset."""
        seen: dict[tuple[str, int], tuple[Any, ...]] = {}
        for tp, expected in partitions:
            if expected is None:
                expected = await self.earliest(tp.topic, tp.partition)
            position = await self.host.position(tp)
            key = (tp.topic, tp.partition)
            state = (expected, position)
            last = self._watched.get(key)
            looks = last[1] + 1 if last is not None and last[0] == state else 1
            seen[key] = (state, looks)
            if (expected is not None and position is not None and position > expected
                    and looks >= self.stalled_looks):
                await self.seek(tp.topic, tp.partition, expected,
                                f"the consumer stands at {position} with nothing delivered")
                seen[key] = (state, 0)
        self._watched = seen
