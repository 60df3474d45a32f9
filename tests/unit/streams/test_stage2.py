"""Stage 2: partials merged into view-key windows, replay-safe by offset range; clock ticks;
detached parts across a revocation; the flush writes window and clock records, publishes
immutable snapshots, then acks; keys past a view's cap fold into its other key."""

import asyncio
import itertools
import json
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter

from metrics.contributions import SEGMENT_FIELDS
from metrics.views import View
from streams.settings import Settings
from streams.positions import Positions
from streams.serving.stage2 import Stage2Metrics
from streams.stage2 import CLOCK, Stage2
from streams.state import decode_record
from tests.unit.streams.fake_host import FakeHost

SEG = "seg|east|phone|q-general|residential|repair|unknown|all"
WEB = "seg|east|web|q-desk|residential|repair|unknown|all"
VIEWS = {"seg": View("seg", SEGMENT_FIELDS),
         "channel": View("channel", ("channel",), max_keys=2)}
M0 = 1_772_442_000  # a whole hour (2026-03-02 09:00 UTC)
SOURCE = "cx.calls:3"


class Message:
    def __init__(self, partition: int, offset: int, key: bytes | None = None) -> None:
        self.topic = "cx.partials"
        self.partition = partition
        self.offset = offset
        self.key = key


OFFSETS: dict[int, itertools.count] = {}


class Event:
    """What Stage2.handle reads of a Faust event (weak-referenceable, like Faust's)."""

    def __init__(self, partition: int, value: dict[str, Any], offset: int | None = None) -> None:
        if offset is None:   # the next offset of the partition
            offset = next(OFFSETS.setdefault(partition, itertools.count()))
        self.message = Message(partition, offset)
        self.value = json.dumps(value).encode()
        self.acked = 0

    def ack(self) -> None:
        self.acked += 1


def partial(lo: int, hi: int, segs: dict[str, dict[int, dict[str, float]]],
            source: str = SOURCE) -> dict[str, Any]:
    return {"s": source, "lo": lo, "hi": hi,
            "keys": {seg: {str(m): b for m, b in buckets.items()} for seg, buckets in segs.items()}}


def message(tick: float, *parts: dict[str, Any], partition: int = 0,
            offset: int | None = None) -> Event:
    return Event(partition, {"tick": tick, "parts": list(parts)}, offset)


BUCKETS = {SEG: {M0: {"calls/offered": 2, "calls/answered": 2},
                 M0 + 60: {"calls/offered": 1, "calls/abandoned": 1}}}


def stage2(table: dict[bytes, bytes] | None = None) -> tuple[Stage2, CollectorRegistry]:
    registry = CollectorRegistry()
    OFFSETS.clear()
    host = FakeHost()
    seeks = Counter("seeks", "", ["topic"], registry=registry)
    skipped = Counter("skipped", "", ["topic"], registry=registry)
    store = table if table is not None else {}
    stage = Stage2(host, Settings(), store, Stage2Metrics(registry),
                   Positions(host, seeks, skipped), VIEWS, ("1h", "24h"))
    stage.assign({0})
    return stage, registry


def counted(registry: CollectorRegistry, result: str) -> float:
    return registry.get_sample_value("cxpulse_partials_total", {"result": result})


def test_partial_is_applied_to_its_segment_windows():
    stage, registry = stage2()

    stage.handle(message(M0 + 90, partial(9, 13, BUCKETS)))

    windows = stage.parts[0].keys[SEG]
    assert windows.applied == {SOURCE: 13}
    assert windows.hours == {M0: {"calls/offered": 3, "calls/answered": 2, "calls/abandoned": 1}}
    assert counted(registry, "applied") == 1
    assert counted(registry, "replayed") == 0


def test_same_partial_again_is_replayed_and_changes_nothing():
    stage, registry = stage2()
    stage.handle(message(M0 + 90, partial(9, 13, BUCKETS)))
    before = stage.parts[0].keys[SEG].to_json()

    stage.handle(message(M0 + 90, partial(9, 13, BUCKETS)))

    assert stage.parts[0].keys[SEG].to_json() == before
    assert counted(registry, "replayed") == 1
    assert counted(registry, "applied") == 1


def test_overlapping_partial_is_applied_and_counted_as_overlap():
    stage, registry = stage2()
    stage.handle(message(M0 + 90, partial(9, 13, BUCKETS)))

    stage.handle(message(M0 + 90, partial(11, 15, {SEG: {M0: {"calls/offered": 1}}})))

    assert counted(registry, "overlap") == 1
    assert stage.parts[0].keys[SEG].applied == {SOURCE: 15}


def test_sources_are_tracked_apart():
    stage, registry = stage2()
    stage.handle(message(M0, partial(9, 13, BUCKETS)))

    stage.handle(message(M0, partial(9, 13, BUCKETS, source="cx.calls:4")))

    assert counted(registry, "applied") == 2
    assert stage.parts[0].keys[SEG].applied == {SOURCE: 13, "cx.calls:4": 13}


@pytest.mark.parametrize(("ticks", "clock"), [
    ([M0 + 10], M0 + 10),
    ([M0 + 10, M0 + 70], M0 + 70),
    ([M0 + 70, M0 + 10], M0 + 70),   # never backwards
])
def test_tick_moves_the_clock_forward_only(ticks, clock):
    stage, _ = stage2()

    for tick in ticks:
        stage.handle(message(tick))

    assert stage.parts[0].clock == clock


def test_flush_publishes_windows_advanced_to_the_clock():
    stage, registry = stage2()
    both = {**BUCKETS, WEB: {M0: {"calls/offered": 5}}}
    stage.handle(message(M0 + 90, partial(9, 13, both)))
    assert list(stage.published({0})) == []   # nothing before the first flush

    asyncio.run(stage.flush(stage.parts[0]))

    published = {item.key: item for item in stage.published({0})}
    assert set(published) == {SEG, WEB}
    assert set(published[SEG].windows) == {"1h", "24h"}
    assert {k: v for k, v in published[SEG].windows["1h"].items() if v} == {
        "calls/offered": 3, "calls/answered": 2, "calls/abandoned": 1}
    assert published[WEB].windows["24h"] == {"calls/offered": 5}
    assert registry.get_sample_value("cxpulse_window_clock_timestamp_seconds",
                                     {"partition": "0"}) == M0 + 90


def test_a_published_snapshot_never_changes_afterwards():
    stage, _ = stage2()
    stage.handle(message(M0 + 30, partial(9, 13, BUCKETS)))
    asyncio.run(stage.flush(stage.parts[0]))
    before = {item.key: item for item in stage.published({0})}
    copied = {key: dict(item.windows["24h"]) for key, item in before.items()}

    stage.handle(message(M0 + 30, partial(13, 14, {SEG: {M0: {"calls/offered": 7}}})))
    asyncio.run(stage.flush(stage.parts[0]))

    assert {key: dict(item.windows["24h"]) for key, item in before.items()} == copied
    after = {item.key: item for item in stage.published({0})}
    assert after[SEG].windows["24h"]["calls/offered"] == 2 + 7   # M0 + 60 is after the clock


def test_a_moving_clock_republishes_keys_without_new_partials():
    stage, _ = stage2()
    stage.handle(message(M0 + 30, partial(9, 13, BUCKETS)))
    asyncio.run(stage.flush(stage.parts[0]))

    # Only a tick, two hours later: the hour window of SEG is empty now.
    stage.handle(message(M0 + 7230))
    asyncio.run(stage.flush(stage.parts[0]))

    [item] = stage.published({0})
    assert not any(item.windows["1h"].values())
    assert item.windows["24h"]["calls/offered"] == 3


def test_load_assigned_loads_no_part_until_the_consumer_is_settled():
    """While tables are restored, or a rebalance is under way before recovery starts, a part
    loaded would come from a table not restored yet (which Faust states count as unsettled:
    test_faust_adapter.py)."""
    stage, _ = stage2()
    stage.host.restoring = True

    stage.load_assigned()

    assert stage.parts == {}


def test_keys_past_the_cap_fold_into_the_other_key_once_per_partial():
    stage, registry = stage2()
    keys = {f"channel|{name}": {M0: {"calls/offered": n}}
            for n, name in enumerate(("phone", "web", "app", "email"), start=1)}

    stage.handle(message(M0 + 30, partial(9, 13, keys)))

    part = stage.parts[0]
    assert set(part.keys) == {"channel|phone", "channel|web", "channel|other"}
    assert part.keys["channel|other"].hours == {M0: {"calls/offered": 3 + 4}}
    assert registry.get_sample_value("cxpulse_view_partials_folded_total",
                                     {"view": "channel"}) == 2
    # A replay of the same partial changes nothing, folded part included.
    stage.handle(message(M0 + 30, partial(9, 13, keys)))
    assert part.keys["channel|other"].hours == {M0: {"calls/offered": 7}}


def test_a_key_of_an_unknown_view_is_dropped_and_counted():
    stage, registry = stage2()

    stage.handle(message(M0 + 30, partial(9, 13, {"queue|vip": {M0: {"calls/offered": 1}}})))

    assert stage.parts[0].keys == {}
    assert counted(registry, "unknown_view") == 1


def test_part_of_an_unassigned_partition_is_detached_and_never_flushed():
    stage, _ = stage2()
    event = message(M0 + 90, partial(9, 13, BUCKETS), partition=5)

    stage.handle(event)
    detached = stage.part(5)
    asyncio.run(stage.flush(detached))

    assert detached.detached
    assert 5 not in stage.parts
    assert stage.table == {}
    assert stage.host.writes == []
    assert event.acked == 0


def test_flush_writes_window_and_clock_records_then_acks():
    stage, _ = stage2()
    events = [message(M0 + 30, partial(9, 13, BUCKETS)),
              message(M0 + 90, partial(13, 20, {WEB: {M0: {"calls/offered": 5}}}))]
    for event in events:
        stage.handle(event)
    part = stage.parts[0]

    asyncio.run(stage.flush(part))

    # Per key: a head record and one record per hour and per minute bucket.
    assert set(stage.table) == {f"0|{SEG}".encode(), f"0|{WEB}".encode(), f"0|{CLOCK}".encode(),
                                f"0@h{M0}|{SEG}".encode(), f"0@m{M0}|{SEG}".encode(),
                                f"0@m{M0 + 60}|{SEG}".encode(),
                                f"0@h{M0}|{WEB}".encode(), f"0@m{M0}|{WEB}".encode()}
    # The clock, and the partials offset the records cover: where a restart reads from.
    assert decode_record(stage.table[f"0|{CLOCK}".encode()]) == {"t": M0 + 90, "o": 2, "d": {}}
    windows = part.keys[SEG]
    assert decode_record(stage.table[f"0|{SEG}".encode()]) == {
        "b": windows.backlog, "a": windows.applied, "e": windows.end_s}
    assert decode_record(stage.table[f"0@h{M0}|{SEG}".encode()]) == {
        "b": windows.hours[M0], "a": windows.applied}
    assert decode_record(stage.table[f"0@m{M0 + 60}|{SEG}".encode()]) == {
        "b": windows.minutes[M0 + 60], "a": windows.applied}
    assert [event.acked for event in events] == [1, 1]
    assert sorted(stage.host.writes) == sorted((0, key) for key in stage.table)
    assert (part.events, part.dirty) == ([], set())


def test_flush_writes_only_dirty_segments():
    stage, _ = stage2()
    stage.handle(message(M0 + 30, partial(9, 13, BUCKETS)))
    asyncio.run(stage.flush(stage.parts[0]))
    stage.table.clear()
    stage.handle(message(M0 + 30, partial(13, 14, {WEB: {M0: {"calls/offered": 1}}})))

    asyncio.run(stage.flush(stage.parts[0]))

    # Only the dirty key (its head, its changed hour and minute), and the clock record with
    # the offset the flush covers.
    assert set(stage.table) == {f"0|{WEB}".encode(), f"0@h{M0}|{WEB}".encode(),
                                f"0@m{M0}|{WEB}".encode(), f"0|{CLOCK}".encode()}
    assert decode_record(stage.table[f"0|{CLOCK}".encode()])["o"] == 2


def test_a_restart_reads_the_first_layouts_whole_key_records_and_rewrites_them_per_bucket():
    stage, _ = stage2()
    stage.handle(message(M0 + 30, partial(9, 13, BUCKETS)))
    windows = stage.parts[0].keys[SEG]
    old = {f"0|{SEG}".encode(): json.dumps(windows.to_json()).encode(),
           f"0|{CLOCK}".encode(): json.dumps({"t": M0 + 30, "o": 1}).encode()}

    restarted, _ = stage2(old)
    part = restarted.part(0)
    assert (part.keys[SEG].minutes, part.keys[SEG].hours) == (windows.minutes, windows.hours)
    restarted.handle(message(M0 + 30, partial(13, 14, {WEB: {M0: {"calls/offered": 1}}}),
                             offset=1))
    asyncio.run(restarted.flush(part))

    assert {f"0@h{M0}|{SEG}".encode(), f"0@m{M0 + 60}|{SEG}".encode()} <= set(restarted.table)
    assert "m" not in decode_record(restarted.table[f"0|{SEG}".encode()])
    again, _ = stage2(dict(restarted.table))
    assert (again.part(0).keys[SEG].minutes, again.part(0).keys[SEG].hours) == (
        windows.minutes, windows.hours)


def test_a_restarted_part_needs_the_offset_after_its_last_flush():
    stage, _ = stage2()
    for offset in (0, 1, 2):
        stage.handle(message(M0 + 30, partial(9 + offset, 10 + offset, BUCKETS), offset=offset))
    asyncio.run(stage.flush(stage.parts[0]))
    restarted, _ = stage2(dict(stage.table))

    # Faust handed over the partition at 7: 3..6 were never delivered. Seek back to 3.
    assert asyncio.run(restarted.in_order(message(M0 + 30, offset=7))) is False
    assert restarted.host.seeks == [("cx.partials", 0, 3)]
    # An earlier offset before the first handled one is a replay (ignored by range later).
    assert asyncio.run(restarted.in_order(message(M0 + 30, offset=1))) is True
    assert asyncio.run(restarted.in_order(message(M0 + 30, offset=3))) is True


def test_flush_due_flushes_after_the_interval():
    stage, _ = stage2()
    event = message(M0 + 30, partial(9, 13, BUCKETS))
    stage.handle(event)
    stage.parts[0].flushed_at -= stage.settings.stage2_flush_interval_s

    asyncio.run(stage.flush_due())

    assert event.acked == 1
    assert f"0|{SEG}".encode() in stage.table


def test_flush_due_waits_for_the_interval():
    stage, _ = stage2()
    event = message(M0 + 30, partial(9, 13, BUCKETS))
    stage.handle(event)
    stage.parts[0].flushed_at += 3600

    asyncio.run(stage.flush_due())

    assert event.acked == 0
    assert stage.table == {}


def test_recovered_table_makes_a_replayed_partial_harmless():
    table: dict[bytes, bytes] = {}
    first, _ = stage2(table)
    first.handle(message(M0 + 90, partial(9, 13, BUCKETS)))
    asyncio.run(first.flush(first.parts[0]))
    stage, registry = stage2(table)

    stage.handle(message(M0 + 90, partial(9, 13, BUCKETS)))

    part = stage.parts[0]
    assert part.clock == M0 + 90
    assert part.keys[SEG].to_json() == first.parts[0].keys[SEG].to_json()
    assert counted(registry, "replayed") == 1
    assert counted(registry, "applied") == 0


def test_recovered_windows_are_published_on_load_and_equal_the_flushed_ones():
    table: dict[bytes, bytes] = {}
    first, _ = stage2(table)
    first.handle(message(M0 + 90, partial(9, 13, BUCKETS)))
    asyncio.run(first.flush(first.parts[0]))
    flushed = {item.key: item.windows for item in first.published({0})}

    stage, _ = stage2(table)
    stage.load_assigned()

    assert {item.key: item.windows for item in stage.published({0})} == flushed


def test_revoked_part_is_dropped_and_its_events_not_acked():
    stage, registry = stage2()
    stage.handle(message(M0 + 30, partial(5, 9, BUCKETS)))
    asyncio.run(stage.flush(stage.parts[0]))   # sets the clock gauge
    stage.table.clear()
    event = message(M0 + 90, partial(9, 13, BUCKETS))
    stage.handle(event)
    part = stage.parts[0]

    asyncio.run(stage.revoke({0}))
    asyncio.run(stage.flush(part))

    assert part.detached
    assert 0 not in stage.parts
    assert event.acked == 0
    assert stage.table == {}
    assert registry.get_sample_value("cxpulse_window_clock_timestamp_seconds",
                                     {"partition": "0"}) is None
