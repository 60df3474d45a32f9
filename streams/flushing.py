"""What a flush of one partition's state needs from Faust, shared by stage 1 and stage 2.

Faust writes a table's changelog record to the partition of the *current event* (and rocksdb
picks its database the same way), so state of partition ``p`` may only be written while an
event of ``p`` is current. An agent flushing after its own event already has one; a timer does
not, so it borrows the partition's last event.
"""

import asyncio
import weakref
from collections.abc import Iterator
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


class Flushable(Protocol):
    flushing: bool


async def until_flushed(state: Flushable, timeout_s: float = 10.0, poll_s: float = 0.05) -> None:
    """Wait (at most ``timeout_s``) for a flush of ``state`` in progress to finish."""
    for _ in range(int(timeout_s / poll_s)):
        if not state.flushing:
            return
        await asyncio.sleep(poll_s)
