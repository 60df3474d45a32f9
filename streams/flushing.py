"""A flush in progress, and revocation waiting for it; shared by stage 1 and stage 2.

A revoked partition's state is dropped only after its flush in progress has finished, so the
flush never writes half of its records for a state that is gone. The flush then sees its state
was replaced and acks nothing: the partition's new owner reads those messages again. How a
flush writes (current event, awaited changelog records) is streams/faust_adapter.py.
"""

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from streams.faust_adapter import StreamHost

log = logging.getLogger(__name__)

#: How long a revocation waits for the revoked partition's flush in progress.
REVOKE_WAIT_S = 10.0


class Flushing:
    """Whether a flush of one partition's state is in progress; :meth:`finished` awaits its
    end."""

    def __init__(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def active(self) -> bool:
        """True while a flush runs."""
        return not self._idle.is_set()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Mark a flush in progress for the duration of the block (ended by an error too)."""
        self._idle.clear()
        try:
            yield
        finally:
            self._idle.set()

    async def finished(self, timeout_s: float) -> bool:
        """Wait for the flush in progress, if any, to end; False when it still runs after
        ``timeout_s`` seconds."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True


class Flushable(Protocol):
    flushing: Flushing
    detached: bool


class Counted(Protocol):
    def inc(self, amount: float = 1) -> None: ...


async def drop_revoked(states: dict[int, Any], partitions: set[int], abandoned: Counted,
                       timeout_s: float = REVOKE_WAIT_S) -> list[int]:
    """Detach the state of each revoked partition (a flush not yet started never starts),
    wait for its flush in progress, then forget it; returns the partitions dropped.

    A flush still running after ``timeout_s`` does not hold the rebalance up: the state is
    dropped anyway (that flush then acks nothing), logged and counted in ``abandoned``. Its
    records may still reach the changelog after the new owner restored it."""
    dropped = []
    for partition in partitions:
        state: Flushable | None = states.get(partition)
        if state is None:
            continue
        state.detached = True
        if not await state.flushing.finished(timeout_s):
            log.error("partition %d revoked while its flush still ran after %.1f s: its state "
                      "is dropped without waiting longer", partition, timeout_s)
            abandoned.inc()
        states.pop(partition, None)
        dropped.append(partition)
    return dropped


async def unless_stopping(host: StreamHost, flush: Awaitable[None]) -> bool:
    """Await ``flush``; False when it failed because the worker is stopping
    (``StreamHost.stopping``): its messages are not acked and are read again at the next
    start, so the stop is not a crash. Any other failure propagates."""
    try:
        await flush
    except Exception as error:
        if not host.stopping(error):
            raise
        log.info("a flush was cut short by the worker stopping (%r); its messages are read "
                 "again at the next start", error)
        return False
    return True
