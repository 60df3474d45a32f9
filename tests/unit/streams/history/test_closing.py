"""Stage 2's history: windows published when the clock closes them, again when amended."""

import json

from prometheus_client import CollectorRegistry

from metrics.history import DAY_S, HOUR_S, SEGMENT_PREFIX
from metrics.windows import SegmentWindows
from streams.history.closing import History, decode, messages
from streams.serving.history import HistoryMetrics
from streams.state import encode_record

D = 20_000 * DAY_S
SEG = "north|phone|q1|residential|usage|old|all"


def history() -> History:
    return History(grace_s=900, amend_s=8 * DAY_S, metrics=HistoryMetrics(CollectorRegistry()))


def test_hours_close_with_the_clock_and_are_republished_when_amended():
    """Closed whole; amended with the components that changed, at their new values (the
    sink's upsert keeps the other rows)."""
    h, windows = history(), SegmentWindows()
    first = {D + 60: {"calls/offered": 1, "calls/answered": 1}}
    windows.apply_partial("cx.calls:0", -1, 1, first)
    h.applied(0, "region|north", first)
    assert h.closing(0, {"region|north": windows}, D + HOUR_S + 899)[0] == []
    out, _ = h.closing(0, {"region|north": windows}, D + HOUR_S + 900)
    assert [(w.key, w.start_s, w.size_s, dict(w.components)) for w in out] == [
        ("region|north", D, HOUR_S, {"calls/offered": 1, "calls/answered": 1})]
    assert h.closing(0, {"region|north": windows}, D + HOUR_S + 950)[0] == []
    late = {D + 120: {"calls/offered": 1, "tickets/repair/opened": 1}}   # backlog: no row
    windows.apply_partial("cx.calls:0", 1, 2, late)
    h.applied(0, "region|north", late)
    out, _ = h.closing(0, {"region|north": windows}, D + HOUR_S + 960)
    assert [(w.start_s, dict(w.components)) for w in out] == [(D, {"calls/offered": 2})]
    assert h.metrics.windows.labels("1h", "amended")._value.get() == 1


def test_segment_days_are_taken_out_of_the_partial_saved_and_closed():
    h = history()
    keys = {"region|north": {str(D + 60): {"calls/offered": 1}},
            SEGMENT_PREFIX + SEG: {str(D + 60): {"calls/offered": 1}}}
    assert h.take(0, "cx.calls:0", -1, 1, keys, D + 60) == {
        "region|north": {str(D + 60): {"calls/offered": 1}}}
    out, records = h.closing(0, {}, D + 600)
    assert out == [] and [name for name, _ in records] == [SEGMENT_PREFIX + SEG]
    restored = history()
    restored.load(0, records[0][0], records[0][1])
    restored.loaded(0, D + 600)
    out, _ = restored.closing(0, {}, D + DAY_S + 900)
    assert [(w.key, w.size_s, dict(w.components)) for w in out] == [
        ("segment|" + SEG, DAY_S, {"calls/offered": 1})]
    assert decode(messages(out)[0]) == out


def test_a_closed_segment_day_is_amended_with_what_changed_only():
    """An FCR failure counted back at its contact's minute, a day later: the day is
    published again with that component alone (not every component of the day)."""
    h = history()
    day = {str(D + 60): {"calls/offered": 3, "calls/answered": 2, "calls/abandoned": 1}}
    h.take(0, "cx.calls:0", -1, 1, {SEGMENT_PREFIX + SEG: day}, D + 60)
    h.closing(0, {}, D + 60)
    out, _ = h.closing(0, {}, D + DAY_S + 900)
    assert [dict(w.components) for w in out] == [
        {"calls/offered": 3, "calls/answered": 2, "calls/abandoned": 1}]
    failure = {str(D + 60): {"fcr/failed": 1}}
    h.take(0, "cx.tickets:0", -1, 4, {SEGMENT_PREFIX + SEG: failure}, D + DAY_S + 960)
    h.take(0, "cx.tickets:0", -1, 4, {SEGMENT_PREFIX + SEG: failure}, D + DAY_S + 960)  # replay
    out, _ = h.closing(0, {}, D + DAY_S + 960)
    assert [(w.key, w.start_s, dict(w.components)) for w in out] == [
        ("segment|" + SEG, D, {"fcr/failed": 1})]
    assert h.metrics.windows.labels("1d", "amended")._value.get() == 1
    assert h.closing(0, {}, D + DAY_S + 990)[0] == []   # nothing changed since


def test_a_flush_saves_only_the_segments_it_changed():
    h = history()
    other = SEG.replace("north", "south")
    h.take(0, "cx.calls:0", -1, 1, {SEGMENT_PREFIX + SEG: {str(D + 60): {"calls/offered": 1}},
                                    SEGMENT_PREFIX + other: {str(D + 60): {"calls/offered": 1}}},
           D + 60)
    assert [name for name, _ in h.closing(0, {}, D + 60)[1]] == [
        SEGMENT_PREFIX + SEG, SEGMENT_PREFIX + other]
    h.take(0, "cx.calls:0", 1, 2, {SEGMENT_PREFIX + other: {str(D + 120): {"calls/offered": 1}}},
           D + 120)
    assert [name for name, _ in h.closing(0, {}, D + 120)[1]] == [SEGMENT_PREFIX + other]
    assert h.closing(0, {}, D + 180)[1] == []


def test_segment_chunks_of_the_first_layout_become_records_of_their_own():
    """A worker upgraded in place reads the 16 JSON chunks once, writes each segment as its
    own record at the next flush and deletes the chunks; a segment's own record (written by
    a flush that crashed before deleting the chunk) wins over the chunk."""
    old = {"v": 1, "d": {str(D): {"calls/offered": 5}}, "a": {"cx.calls:0": 9}}
    newer = {"v": 1, "d": {str(D): {"calls/offered": 7}}, "a": {"cx.calls:0": 12}}
    other = SEG.replace("north", "south")
    chunk = json.dumps({"v": 1, "s": {SEGMENT_PREFIX + SEG: old,
                                      SEGMENT_PREFIX + other: old}}).encode()
    h = history()
    assert h.load(0, SEGMENT_PREFIX + other, encode_record(newer))
    assert h.load(0, "#segments/3", chunk)
    assert not h.load(0, "region|north", b"")
    h.loaded(0, D + 60)
    out, records = h.closing(0, {}, D + 60)
    assert out == []
    saved = {name: value for name, value in records}
    assert set(saved) == {SEGMENT_PREFIX + SEG, "#segments/3"} and saved["#segments/3"] is None
    restored = history()
    restored.load(0, SEGMENT_PREFIX + SEG, saved[SEGMENT_PREFIX + SEG])
    assert restored.part(0).segments[SEGMENT_PREFIX + SEG].days == {D: {"calls/offered": 5}}
    assert h.part(0).segments[SEGMENT_PREFIX + other].days == {D: {"calls/offered": 7}}
    assert h.closing(0, {}, D + 120)[1] == []   # the chunk is gone, nothing else changed
