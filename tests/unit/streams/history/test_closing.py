"""Stage 2's history: windows published when the clock closes them, again when amended."""

from prometheus_client import CollectorRegistry

from metrics.history import DAY_S, HOUR_S, SEGMENT_PREFIX
from metrics.windows import SegmentWindows
from streams.history.closing import History, chunk_of, decode, messages
from streams.serving.history import HistoryMetrics

D = 20_000 * DAY_S
SEG = "north|phone|q1|residential|usage|old|all"


def history() -> History:
    return History(grace_s=900, amend_s=8 * DAY_S, metrics=HistoryMetrics(CollectorRegistry()))


def test_hours_close_with_the_clock_and_are_republished_when_amended():
    h, windows = history(), SegmentWindows()
    windows.apply_partial("cx.calls:0", -1, 1, {D + 60: {"calls/offered": 1}})
    h.applied(0, "region|north", {D + 60: {}})
    assert h.closing(0, {"region|north": windows}, D + HOUR_S + 899)[0] == []
    out, _ = h.closing(0, {"region|north": windows}, D + HOUR_S + 900)
    assert [(w.key, w.start_s, w.size_s, dict(w.components)) for w in out] == [
        ("region|north", D, HOUR_S, {"calls/offered": 1})]
    assert h.closing(0, {"region|north": windows}, D + HOUR_S + 950)[0] == []
    windows.apply_partial("cx.calls:0", 1, 2, {D + 120: {"calls/offered": 1}})   # late
    h.applied(0, "region|north", {D + 120: {}})
    out, _ = h.closing(0, {"region|north": windows}, D + HOUR_S + 960)
    assert [dict(w.components) for w in out] == [{"calls/offered": 2}]


def test_segment_days_are_taken_out_of_the_partial_saved_and_closed():
    h = history()
    keys = {"region|north": {str(D + 60): {"calls/offered": 1}},
            SEGMENT_PREFIX + SEG: {str(D + 60): {"calls/offered": 1}}}
    assert h.take(0, "cx.calls:0", -1, 1, keys, D + 60) == {
        "region|north": {str(D + 60): {"calls/offered": 1}}}
    out, records = h.closing(0, {}, D + 600)
    assert out == [] and [name for name, _ in records] == [
        f"#segments/{chunk_of(SEGMENT_PREFIX + SEG)}"]
    restored = history()
    restored.load(0, records[0][0], records[0][1])
    restored.loaded(0, D + 600)
    out, _ = restored.closing(0, {}, D + DAY_S + 900)
    assert [(w.key, w.size_s, dict(w.components)) for w in out] == [
        ("segment|" + SEG, DAY_S, {"calls/offered": 1})]
    assert decode(messages(out)[0]) == out
