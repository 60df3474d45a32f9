"""The history sink: closed windows from the history topic, upserted into every store.

Each message (a list of closed windows of one stage-2 partition) is written to every store in
``CXPULSE_HISTORY_URLS`` in one transaction per store, together with the offset after it
(``history_offsets``), and acked only then. A crash before the ack redelivers the message and
the upsert on the natural key replaces the same rows with the same values. Windows of one key
always travel on one partition, in order, so the newest version of a window is the one that
stays. The lowest offset the stores saved is where reading must resume (streams/positions.py
sends the consumer back when Faust's consumer skips ahead); a store that is ahead gets the same
rows again.

Database calls are blocking, so they run in one thread of their own; the event loop only waits.
"""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from metrics.history import DAY_S, HOUR_S
from streams.history.closing import decode
from streams.history.store import Store, open_store
from streams.faust_adapter import StreamHost
from streams.positions import Positions
from streams.serving.history import SinkMetrics
from streams.settings import Settings

log = logging.getLogger(__name__)

#: Retention runs at most this often (seconds of wall clock).
RETENTION_EVERY_S = 600.0


class Sink:
    """Writes history-topic messages into the configured stores."""

    def __init__(self, host: StreamHost, settings: Settings, dimensions: dict[str, tuple[str, ...]],
                 positions: Positions, metrics: SinkMetrics) -> None:
        self.host = host
        self.settings = settings
        self.dimensions = dimensions
        self.positions = positions
        self.metrics = metrics
        self.topic = settings.history_topic
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="history-sink")
        self.stores: list[Store] = []
        self.next: dict[int, int] = {}     # partition -> offset needed next, once read
        self.active: set[int] = set()
        self.retained_at = 0.0

    def _open(self) -> list[Store]:
        if not self.stores:
            password = self.settings.history_password
            secret = password.get_secret_value() if password is not None else None
            self.stores = [open_store(url, self.dimensions, secret)
                           for url in self.settings.history_urls]
        return self.stores

    async def _call(self, func: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.thread, func, *args)

    def assign(self, partitions: set[int]) -> None:
        self.active = set(partitions)
        self.next = {p: offset for p, offset in self.next.items() if p in partitions}

    def _saved(self, partition: int) -> int | None:
        """Where reading resumes: the lowest offset any store still needs. A crash between two
        stores' transactions leaves the first ahead of the second; resuming at the first's
        would lose that message in the second. A store with nothing saved (added later) does
        not hold the others back: it gets what arrives from now on (backfill: docs/history.md)."""
        saved = [offset for store in self._open()
                 if (offset := store.next_offset(self.topic, partition)) is not None]
        return min(saved, default=None)

    async def expected(self, partition: int) -> tuple[int | None, bool]:
        """(offset needed next, whether none was read since the assignment)."""
        if partition in self.next:
            return self.next[partition], False
        return await self._call(self._saved, partition), True

    async def in_order(self, event: Any) -> bool:
        message = event.message
        expected, first = await self.expected(message.partition)
        ok = await self.positions.in_order(self.topic, message.partition, message.offset,
                                           expected, first)
        return ok and message.partition in self.active and not self.host.is_stale(message)

    async def needed(self, partitions: list[Any]) -> list[tuple[Any, int | None]]:
        return [(tp, (await self.expected(tp.partition))[0]) for tp in partitions]

    def _write(self, value: bytes, partition: int, offset: int) -> None:
        windows = decode(value)
        for store in self._open():
            started = time.perf_counter()
            rows = store.upsert(windows, (self.topic, partition, offset))
            name = store.dialect
            self.metrics.seconds.labels(name).observe(time.perf_counter() - started)
            self.metrics.rows.labels(name).inc(rows)

    async def handle(self, event: Any) -> None:
        """Upsert one message into every store, then ack it."""
        message = event.message
        await self._call(self._write, event.value, message.partition, message.offset)
        self.next[message.partition] = message.offset + 1
        event.ack()

    def _retain(self) -> None:
        keep = ((HOUR_S, self.settings.history_hour_retention_days),
                (DAY_S, self.settings.history_day_retention_days))
        for store in self._open():
            for size_s, days in keep:
                self.metrics.deleted.labels(store.dialect).inc(store.retain(size_s, days * DAY_S))

    async def retain(self) -> None:
        """Timer: apply the retention settings (event time: behind the newest window)."""
        now = time.monotonic()
        if now - self.retained_at < RETENTION_EVERY_S or not self.active:
            return
        self.retained_at = now
        try:
            await self._call(self._retain)
        except Exception:   # retried at the next tick
            log.exception("history retention failed")
