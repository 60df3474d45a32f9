"""Positions on a fake host with an injected clock: which offsets are in order, a gap and its
seek, a re-seek when the seek did not take, a real gap that gives up after its patience, and
the timer that finds a partition fetched and never delivered."""

import asyncio
import logging

import pytest
from prometheus_client import CollectorRegistry, Counter

from streams.faust_adapter import TP
from streams.positions import Positions
from tests.unit.streams.fake_host import FakeHost

TOPIC = "cx.calls"


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self, now_s: float = 1000.0) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def positions(earliest: int | None = 5, patience_s: float = 30.0, reseek_s: float = 2.0
              ) -> tuple[Positions, FakeHost, Clock, CollectorRegistry]:
    registry = CollectorRegistry()
    seeks = Counter("cxpulse_source_seeks", "seeks", ["topic"], registry=registry)
    skipped = Counter("cxpulse_source_messages_skipped", "skipped", ["topic"],
                      registry=registry)
    seeks.labels(TOPIC), skipped.labels(TOPIC)    # known series start at zero
    host, clock = FakeHost(earliest), Clock()
    return (Positions(host, seeks, skipped, patience_s, reseek_s, clock), host, clock,
            registry)


def in_order(checker: Positions, offset: int, expected: int | None, first: bool = False
             ) -> bool:
    return asyncio.run(checker.in_order(TOPIC, 1, offset, expected, first))


def counted(registry: CollectorRegistry, name: str) -> float | None:
    return registry.get_sample_value(f"{name}_total", {"topic": TOPIC})


@pytest.mark.parametrize(("offset", "expected", "first", "ok", "sought"), [
    (10, 10, False, True, None),    # the needed offset
    (10, 10, True, True, None),
    (7, 10, True, True, None),      # before the first message: a replay
    (7, 10, False, False, None),    # after it: a copy fetched again, dropped
    (12, 10, False, False, 10),     # a gap: sent back
    (12, 10, True, False, 10),
    (5, None, True, True, None),    # no state: the earliest offset (5) is needed
    (9, None, True, False, 5),
    (9, None, False, True, None),   # no state and no earliest needed once reading started
])
def test_which_offsets_are_in_order(offset, expected, first, ok, sought):
    checker, host, _, _ = positions()
    assert in_order(checker, offset, expected, first) is ok
    assert host.seeks == ([] if sought is None else [(TOPIC, 1, sought)])


def test_a_gap_seeks_once_and_drops_what_was_fetched_before_the_seek():
    checker, host, clock, registry = positions()
    assert in_order(checker, 12, 10) is False
    clock.now_s += 1.0
    assert in_order(checker, 13, 10) is False     # in flight before the seek: no second seek
    assert in_order(checker, 10, 10) is True      # the seek took
    assert host.seeks == [(TOPIC, 1, 10)]
    assert counted(registry, "cxpulse_source_seeks") == 1
    assert counted(registry, "cxpulse_source_messages_skipped") == 0


def test_a_gap_still_there_after_the_reseek_interval_is_sought_again():
    """Faust moves its read offset with the messages in flight and drops what the seek
    fetched again: more messages past the gap mean the seek did not take."""
    checker, host, clock, registry = positions()
    assert in_order(checker, 12, 10) is False
    clock.now_s += 1.9
    assert in_order(checker, 13, 10) is False
    clock.now_s += 0.2                            # 2.1 s after the seek
    assert in_order(checker, 14, 10) is False
    assert host.seeks == [(TOPIC, 1, 10), (TOPIC, 1, 10)]
    clock.now_s += 1.0                            # 1 s after the second seek: in flight
    assert in_order(checker, 15, 10) is False
    assert len(host.seeks) == 2
    assert counted(registry, "cxpulse_source_seeks") == 2


def test_a_real_gap_gives_up_after_its_patience_counted_from_the_first_seek(caplog):
    checker, host, clock, registry = positions()
    assert in_order(checker, 40, 10) is False
    for _ in range(14):                           # re-seeks do not restart the patience
        clock.now_s += 2.1
        assert in_order(checker, 40, 10) is False
    assert clock.now_s - 1000.0 < 30.0
    assert counted(registry, "cxpulse_source_messages_skipped") == 0
    clock.now_s = 1000.0 + 30.5
    with caplog.at_level(logging.ERROR, logger="streams.positions"):
        assert in_order(checker, 40, 10) is True  # read on past offsets 10..39
    assert counted(registry, "cxpulse_source_messages_skipped") == 30
    assert "10..39 never came" in caplog.text
    assert len(host.seeks) == 15


def test_after_giving_up_a_new_gap_gets_its_own_patience():
    checker, host, clock, registry = positions()
    in_order(checker, 40, 10)
    clock.now_s += 31.0
    assert in_order(checker, 40, 10) is True
    clock.now_s += 100.0
    assert in_order(checker, 50, 41) is False     # a fresh gap: sought, not given up
    assert host.seeks[-1] == (TOPIC, 1, 41)
    assert counted(registry, "cxpulse_source_messages_skipped") == 30


def test_a_gap_that_moves_restarts_the_patience():
    """A seek to another offset (the needed one moved on) is a new gap."""
    checker, host, clock, registry = positions()
    in_order(checker, 40, 10)
    clock.now_s += 29.0
    assert in_order(checker, 40, 20) is False
    clock.now_s += 2.0                            # 31 s after the first seek, 2 s after this one
    assert in_order(checker, 40, 20) is False
    assert counted(registry, "cxpulse_source_messages_skipped") == 0


def test_the_earliest_offset_is_asked_again_after_a_new_assignment():
    checker, host, _, _ = positions(earliest=5)
    assert in_order(checker, 5, None, first=True) is True
    host.earliest_offset = 8                      # retention moved the log start
    assert in_order(checker, 8, None, first=True) is False   # cached: 5 still needed
    checker.forget()
    assert in_order(checker, 8, None, first=True) is True


def watch(checker: Positions, needed: int | None, looks: int = 1) -> None:
    for _ in range(looks):
        asyncio.run(checker.watch([(TP(TOPIC, 1), needed)]))


def test_the_watch_seeks_a_partition_fetched_past_what_was_delivered():
    checker, host, _, _ = positions()
    host.positions[(TOPIC, 1)] = 120
    watch(checker, 43, looks=Positions.stalled_looks - 1)
    assert host.seeks == []                       # a busy agent may skip a tick
    watch(checker, 43)
    assert host.seeks == [(TOPIC, 1, 43)]
    watch(checker, 43, looks=Positions.stalled_looks - 1)
    assert len(host.seeks) == 1                   # the looks start again after a seek


@pytest.mark.parametrize(("position", "needed"), [
    (43, 43),       # caught up, idle
    (30, 43),       # behind: messages still to fetch
    (None, 43),     # no position known
])
def test_the_watch_leaves_a_partition_that_is_not_ahead(position, needed):
    checker, host, _, _ = positions()
    if position is not None:
        host.positions[(TOPIC, 1)] = position
    watch(checker, needed, looks=2 * Positions.stalled_looks)
    assert host.seeks == []


def test_the_watch_leaves_a_partition_that_moves():
    checker, host, _, _ = positions()
    host.positions[(TOPIC, 1)] = 120
    for needed in range(40, 40 + 2 * Positions.stalled_looks):
        watch(checker, needed)
    assert host.seeks == []


def test_the_watch_needs_the_earliest_offset_of_a_partition_without_state():
    checker, host, _, _ = positions(earliest=5)
    host.positions[(TOPIC, 1)] = 9
    watch(checker, None, looks=Positions.stalled_looks)
    assert host.seeks == [(TOPIC, 1, 5)]
