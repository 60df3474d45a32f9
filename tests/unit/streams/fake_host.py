"""A StreamHost (streams/faust_adapter.py) for unit tests: a consumer that records seeks, a
changelog that can hold its writes until the test confirms them, and Faust's rule that a
table record is written only while an event of its partition is current."""

import asyncio
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from streams.faust_adapter import TP


class FakeHost:
    """One worker's view of its consumer; every field may be set by the test."""

    def __init__(self, earliest: int | None = 0, generation: int = 4) -> None:
        self.earliest_offset = earliest
        self.current_generation = generation
        self.seeks: list[tuple[str, int, int]] = []
        self.positions: dict[tuple[str, int], int] = {}
        self.highwaters: dict[tuple[str, int], int] = {}
        self.active: set[TP] = set()
        self.restoring = False
        self.flowing = True
        self.stopped = False                        # the worker is stopping
        self.refuse: BaseException | None = None    # writes raise it (a closed producer)
        self.writes: list[tuple[int, bytes]] = []   # (changelog partition, key), in order
        self.hold = False                           # writes wait for confirm()
        self._held: list[asyncio.Future[None]] = []
        self._current: ContextVar[int | None] = ContextVar("current_partition", default=None)

    # -- current event and changelog -------------------------------------------------
    @contextmanager
    def _scope(self, event: Any) -> Iterator[None]:
        token = self._current.set(event.message.partition)
        try:
            yield
        finally:
            self._current.reset(token)

    def scoped(self, event: Any) -> AbstractContextManager[None]:
        return self._scope(event)

    async def write(self, table: MutableMapping[bytes, Any], partition: int,
                    records: Iterable[tuple[bytes, bytes | None]]) -> None:
        if self.refuse is not None:
            raise self.refuse
        current = self._current.get()
        if current != partition:
            raise AssertionError(f"partition {partition} written while the current event's "
                                 f"partition is {current}")
        for key, value in records:
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
            self.writes.append((partition, key))
        if self.hold:
            done = asyncio.get_running_loop().create_future()
            self._held.append(done)
            await done

    def confirm(self) -> None:
        """The broker acknowledges every write held so far."""
        for done in self._held:
            if not done.done():
                done.set_result(None)
        self._held = []

    # -- generation and assignment ---------------------------------------------------
    def is_stale(self, message: Any) -> bool:
        generation = getattr(message, "generation_id", None)
        return generation is not None and generation != self.current_generation

    def generation(self) -> int | None:
        return self.current_generation

    def assigned(self) -> set[TP]:
        return set(self.active)

    def settled(self) -> bool:
        return not self.restoring

    def stopping(self, error: BaseException) -> bool:
        """A ConnectionAbortedError stands for the producer closed while the worker stops."""
        return self.stopped and isinstance(error, ConnectionAbortedError)

    def fetching(self) -> bool:
        return self.flowing

    # -- positions -------------------------------------------------------------------
    async def earliest(self, tp: TP) -> int | None:
        return self.earliest_offset

    async def position(self, tp: TP) -> int | None:
        return self.positions.get((tp.topic, tp.partition))

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp.topic, tp.partition, offset))

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters.get((tp.topic, tp.partition))
