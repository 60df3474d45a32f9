"""What a flush of one partition's state needs from Faust, shared by stage 1 and stage 2.

Faust writes a table's changelog record to the partition of the *current event* (and rocksdb
picks its database the same way), so state of partition ``p`` may only be written while an
event of ``p`` is current. An agent flushing after its own event already has one; a timer does
not, so it borrows the partition's last event.

A flush must know its records are written before it goes on (stage 1 sends partials only after
its chunks are durable). ``table[key] = value`` drops the changelog send's future, and Faust's
``Producer.flush`` gives up on its buffer after 0.1 s without progress, so it can return with
records still buffered. :func:`write` keeps the future; awaiting it means the broker has it.
"""

import asyncio
import weakref
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from faust.streams import _current_event


@contextmanager
def current_event_of(event: Any) -> Iterator[None]:
    """Make ``event`` Faust's current event unless one of its partition already is."""
    reference = _current_event.get(None)
    current = reference() if reference is not None else None
    if current is not None and current.message.partition == event.message.partition:
        yield
        return
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def write(table: Any, partition: int, key: bytes, value: bytes) -> Awaitable[Any]:
    """Set ``key`` in ``table`` (its store and its changelog partition ``partition``), as
    ``table[key] = value`` does, and return the changelog send's future: done once written."""
    table.data[key] = value
    return table.send_changelog(partition, key, value)


async def written(futures: list[Awaitable[Any]]) -> None:
    """Wait until every changelog record or message of ``futures`` is written. A cancelled
    wait (the worker stopping) leaves the sends alone: cancelling Faust's futures makes its
    delivery callback fail on them."""
    if futures:
        await asyncio.gather(*(asyncio.shield(future) for future in futures))


class Flushable(Protocol):
    flushing: bool
    detached: bool


async def until_flushed(state: Flushable, timeout_s: float = 10.0, poll_s: float = 0.05) -> None:
    """Wait (at most ``timeout_s``) for a flush of ``state`` in progress to finish."""
    for _ in range(int(timeout_s / poll_s)):
        if not state.flushing:
            return
        await asyncio.sleep(poll_s)


async def drop_revoked(states: dict[int, Any], partitions: set[int]) -> list[int]:
    """Detach the state of each revoked partition (a flush not yet started never starts),
    wait for a flush in progress, then forget it; returns the partitions dropped."""
    dropped = []
    for partition in partitions:
        state = states.get(partition)
        if state is None:
            continue
        state.detached = True
        await until_flushed(state)
        states.pop(partition, None)
        dropped.append(partition)
    return dropped
