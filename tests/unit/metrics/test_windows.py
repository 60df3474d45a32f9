"""Stage-2 windows: minute and hour buckets, rolling 1h/24h/7d/30d totals kept incrementally,
backlog running totals, expiry and replay-safe partials."""

import json
import random

import pytest

from metrics.components import add_into, is_backlog_key
from metrics.windows import WINDOWS, ApplyResult, SegmentWindows

M = 60
H = 3600
D = 86_400
T0 = 1_790_002_800  # a whole hour (2026-09-21 15:00 UTC)
CLOCK = T0 + 15 * M + 30  # 15:15:30: the minute windows end at 15:16, the hour ones at 16:00
END = T0 + 16 * M
HOUR_END = T0 + H


def nonzero(bucket: dict) -> dict:
    return {key: value for key, value in bucket.items() if value}


def totals(windows: SegmentWindows) -> dict[str, dict]:
    return {name: nonzero(bucket) for name, bucket in windows.totals.items()}


def windows_at(clock_s: float, *buckets: tuple[int, dict]) -> SegmentWindows:
    windows = SegmentWindows()
    windows.advance(clock_s)
    for minute, bucket in buckets:
        windows.add_bucket(minute, bucket)
    return windows


def test_new_windows_are_empty():
    windows = SegmentWindows()
    assert windows.end_s == 0
    assert totals(windows) == {name: {} for name in WINDOWS}


@pytest.mark.parametrize(
    ("minute", "inside"),
    [
        pytest.param(END - M, {"1h", "24h", "7d", "30d"}, id="current-minute"),
        pytest.param(END - H, {"1h", "24h", "7d", "30d"}, id="exactly-end-minus-1h-in-1h"),
        pytest.param(END - H - M, {"24h", "7d", "30d"}, id="one-minute-earlier-not-in-1h"),
        pytest.param(END - D, {"24h", "7d", "30d"}, id="exactly-end-minus-24h-in-24h"),
        pytest.param(END - D - M, {"7d", "30d"}, id="one-minute-earlier-not-in-24h"),
        pytest.param(END, {"7d", "30d"}, id="ahead-of-clock-in-current-hour-hour-windows-only"),
        pytest.param(HOUR_END - M, {"7d", "30d"}, id="last-minute-of-current-hour"),
        pytest.param(HOUR_END, set(), id="next-hour-in-no-window"),
        # 7d: hours h with HOUR_END - 7 d <= h < HOUR_END, so whole hours, not minutes.
        pytest.param(HOUR_END - 7 * D, {"7d", "30d"}, id="first-minute-of-the-7d-hour"),
        pytest.param(HOUR_END - 7 * D + 59 * M, {"7d", "30d"}, id="last-minute-of-the-7d-hour"),
        pytest.param(HOUR_END - 7 * D - M, {"30d"}, id="one-minute-before-the-7d-hour"),
        pytest.param(T0 + 30 * M - 7 * D, {"30d"},
                     id="less-than-7d-before-clock-but-its-hour-has-left"),
        pytest.param(HOUR_END - 30 * D, {"30d"}, id="first-minute-of-the-30d-hour"),
    ],
)
def test_window_membership(minute, inside):
    bucket = {"calls/offered": 1}
    for windows in (windows_at(CLOCK, (minute, bucket)),  # added after the clock moved
                    _added_then_advanced(minute, bucket)):  # added before it moved
        assert {name for name, total in totals(windows).items() if total} == inside


def _added_then_advanced(minute: int, bucket: dict) -> SegmentWindows:
    windows = SegmentWindows()
    windows.advance(minute - 40 * D)
    windows.add_bucket(minute, bucket)
    windows.advance(CLOCK)
    return windows


def test_window_ends_are_minute_and_hour_aligned():
    windows = windows_at(CLOCK)
    assert windows.end_s == END
    assert windows.hour_end_s == HOUR_END
    windows.advance(T0 + H - 0.001)  # 15:59:59.999: still the 15:00 hour
    assert (windows.end_s, windows.hour_end_s) == (T0 + H, T0 + H)
    windows.advance(T0 + H)  # 16:00:00 opens the 16:00 minute and hour
    assert (windows.end_s, windows.hour_end_s) == (T0 + H + M, T0 + 2 * H)


def test_advance_moves_buckets_out_of_the_windows():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 2}),
                         (END - 2 * H, {"calls/offered": 5}))
    assert windows.totals["1h"]["calls/offered"] == 2
    assert windows.totals["24h"]["calls/offered"] == 7
    windows.advance(CLOCK + H - 60)  # the 15:15 minute is now exactly end - 1 h
    assert windows.totals["1h"]["calls/offered"] == 2
    windows.advance(CLOCK + H)
    assert windows.totals["1h"]["calls/offered"] == 0
    assert windows.totals["24h"]["calls/offered"] == 7
    windows.advance(CLOCK + 31 * D)
    assert totals(windows) == {name: {} for name in WINDOWS}


def test_advance_never_goes_backwards():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1}))
    windows.advance(CLOCK - 2 * H)
    assert windows.end_s == END
    assert windows.totals["1h"] == {"calls/offered": 1}


def test_add_bucket_accumulates_into_the_same_minute():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1, "calls/talk_s_sum": 1.5}),
                         (END - M, {"calls/offered": 2}))
    assert windows.minutes[END - M] == {"calls/offered": 3, "calls/talk_s_sum": 1.5}
    assert windows.hours[T0] == {"calls/offered": 3, "calls/talk_s_sum": 1.5}


def test_backlog_keys_never_enter_windows():
    windows = windows_at(CLOCK, (END - M, {"tickets/repair/opened": 1,
                                           "tickets/repair/opened_created_s": 1000.0,
                                           "tickets/repair/created": 1}),
                         (END - 2 * M, {"tickets/repair/opened": -1,
                                        "tickets/repair/opened_created_s": -1000.0}))
    for name in WINDOWS:
        assert windows.totals[name] == {"tickets/repair/created": 1}
    assert windows.backlog == {"tickets/repair/opened": 0, "tickets/repair/opened_created_s": 0.0}
    assert END - 2 * M not in windows.minutes, "a backlog-only minute stores no bucket"
    assert windows.minutes[END - M] == {"tickets/repair/created": 1}


@pytest.mark.parametrize(
    ("minute", "kept"),
    [
        pytest.param(HOUR_END - 30 * D, True, id="first-minute-of-the-oldest-30d-hour"),
        pytest.param(HOUR_END - 30 * D - M, False, id="one-minute-older-is-expired"),
        pytest.param(HOUR_END - 40 * D, False, id="40-days-old"),
    ],
)
def test_buckets_older_than_30d_are_expired(minute, kept):
    windows = windows_at(CLOCK)
    assert windows.add_bucket(minute, {"calls/offered": 1, "tickets/repair/opened": -1}) is kept
    assert windows.totals["30d"].get("calls/offered", 0) == int(kept)
    assert windows.backlog == {"tickets/repair/opened": -1}, "backlog deltas are never dropped"
    result = windows.apply_partial("calls-0", -1, 3, {minute: {"calls/offered": 1}})
    assert result == ApplyResult(applied=True, overlap=False, expired_buckets=int(not kept))


def test_before_any_clock_nothing_is_expired():
    windows = SegmentWindows()
    assert windows.add_bucket(T0 - 400 * D, {"calls/offered": 1})
    windows.advance(CLOCK)
    assert totals(windows)["30d"] == {}
    assert T0 - 400 * D not in windows.hours, "pruned on advance"


def test_prune_keeps_24h_of_minutes_and_30d_of_hours():
    windows = SegmentWindows()
    windows.advance(T0 - 40 * D)
    for minute in range(T0 - 40 * D, CLOCK, 6 * H):
        windows.add_bucket(minute, {"calls/offered": 1})
    windows.add_bucket(END - M, {"calls/offered": 1})
    windows.advance(CLOCK)
    assert min(windows.minutes) >= END - D
    assert min(windows.hours) >= HOUR_END - 30 * D
    assert min(windows.hours) == HOUR_END - 30 * D + 5 * H  # the first 6-hourly point kept


# -- partials and replay -------------------------------------------------------------------------

def test_apply_partial_ignores_replays_and_flags_overlaps():
    windows = windows_at(CLOCK)
    part = {END - M: {"calls/offered": 1}}
    assert windows.apply_partial("calls-0", -1, 10, part) == ApplyResult(True, False, 0)
    assert windows.apply_partial("calls-0", -1, 10, part) == ApplyResult(False)
    assert windows.apply_partial("calls-0", 4, 10, part) == ApplyResult(False)
    assert windows.apply_partial("calls-0", 2, 8, part) == ApplyResult(False)
    assert windows.totals["1h"]["calls/offered"] == 1
    assert windows.apply_partial("calls-0", 10, 15, part) == ApplyResult(True, False, 0)
    assert windows.apply_partial("calls-0", 12, 20, part) == ApplyResult(True, True, 0)
    assert windows.applied == {"calls-0": 20}
    assert windows.totals["1h"]["calls/offered"] == 3


def test_applied_offsets_are_per_source():
    windows = windows_at(CLOCK)
    part = {END - M: {"calls/offered": 1}}
    assert windows.apply_partial("calls-0", -1, 10, part).applied
    assert windows.apply_partial("calls-1", -1, 10, part).applied
    assert windows.apply_partial("tickets-0", -1, 3, part).applied
    assert not windows.apply_partial("calls-1", 5, 10, part).applied
    assert windows.applied == {"calls-0": 10, "calls-1": 10, "tickets-0": 3}
    assert windows.totals["1h"]["calls/offered"] == 3


def test_first_partial_from_offset_zero_is_applied():
    windows = windows_at(CLOCK)
    assert windows.apply_partial("calls-0", -1, 0, {END - M: {"calls/offered": 1}}).applied


def test_apply_partial_reads_minute_keys_from_json():
    windows = windows_at(CLOCK)
    payload = json.loads(json.dumps({END - M: {"calls/offered": 4}}))
    windows.apply_partial("calls-0", -1, 1, payload)
    assert windows.totals["1h"] == {"calls/offered": 4}


# -- persistence ---------------------------------------------------------------------------------

def test_to_json_round_trip_preserves_state_and_totals():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1, "calls/answer_wait_s_sum": 7.5}),
                         (END - 3 * H, {"calls/offered": 2}),
                         (END - 3 * D, {"fcr/contacts": 1, "tickets/repair/opened": 1}))
    windows.apply_partial("calls-0", -1, 9, {END - 2 * M: {"calls/offered": 1}})
    restored = SegmentWindows.from_json(json.loads(json.dumps(windows.to_json())))
    assert restored.totals == windows.totals
    assert restored.backlog == windows.backlog
    assert restored.applied == windows.applied
    assert (restored.end_s, restored.minutes, restored.hours) == (
        windows.end_s, windows.minutes, windows.hours)
    for each in (windows, restored):
        each.advance(CLOCK + 2 * H)
        each.add_bucket(END + H, {"calls/offered": 1})
    assert restored.totals == windows.totals
    assert not restored.apply_partial("calls-0", 3, 9, {END: {"calls/offered": 1}}).applied


def saved(windows: SegmentWindows, table: dict, only: set | None = None) -> None:
    """Save the key's changed bucket records and its head into ``table`` (a record whose id
    is not in ``only`` is lost, as in a crash mid-write)."""
    records = [*windows.bucket_records(), ("head", windows.head_record())]
    for rid, record in records:
        if only is not None and rid not in only:
            continue
        if record is None:
            table.pop(rid, None)
        else:
            table[rid] = json.loads(json.dumps(record))


def restored(table: dict) -> SegmentWindows:
    return SegmentWindows.from_records(
        table.get("head"), {rid: record for rid, record in table.items() if rid != "head"})


def test_bucket_records_round_trip_preserves_state_and_totals():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1, "calls/answer_wait_s_sum": 7.5}),
                         (END - 3 * H, {"calls/offered": 2}),
                         (END - 3 * D, {"fcr/contacts": 1, "tickets/repair/opened": 1}))
    windows.apply_partial("calls-0", -1, 9, {END - 2 * M: {"calls/offered": 1}})
    table: dict = {}
    saved(windows, table)

    back = restored(table)

    assert sorted(rid for rid in table if rid != "head") == sorted(
        [*(("h", h) for h in windows.hours), *(("m", m) for m in windows.minutes)])
    assert back.totals == windows.totals
    assert (back.backlog, back.applied, back.floors) == (windows.backlog, windows.applied, {})
    assert (back.end_s, back.minutes, back.hours) == (windows.end_s, windows.minutes,
                                                      windows.hours)


def test_a_save_writes_only_the_buckets_that_changed():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1}), (END - 3 * H, {"calls/offered": 2}))
    windows.bucket_records()
    windows.apply_partial("calls-0", 10, 11, {END - 2 * M: {"calls/offered": 1}})

    assert [rid for rid, _ in windows.bucket_records()] == [("h", T0), ("m", END - 2 * M)]
    assert windows.bucket_records() == []


def test_buckets_leaving_their_windows_are_deleted():
    windows = windows_at(CLOCK, (END - M, {"calls/offered": 1}), (END - 3 * H, {"calls/offered": 2}))
    windows.bucket_records()

    windows.advance(CLOCK + D + H)      # both minutes left 24 h
    minutes = dict(windows.bucket_records())
    windows.advance(CLOCK + 31 * D)     # and both hours 30 d
    hours = dict(windows.bucket_records())

    assert minutes == {("m", END - M): None, ("m", END - 3 * H): None}
    assert hours == {("h", T0): None, ("h", T0 - 3 * H): None}


@pytest.mark.parametrize("seed", range(40))
def test_a_crash_between_record_writes_then_a_replay_gives_the_uncrashed_windows(seed):
    """Partials of two sources over a few hours, saved every few partials. The last save is
    cut off (any subset of its records written); the replay from the previous complete save
    gives exactly the windows of a run without the crash."""
    rng = random.Random(seed)
    hi = {"calls-0": 0, "tickets-1": 0}
    partials = []
    for _ in range(rng.randint(6, 14)):
        source = rng.choice(sorted(hi))
        lo, hi[source] = hi[source], hi[source] + rng.randint(1, 5)
        buckets = {}
        for _ in range(rng.randint(1, 3)):
            minute = T0 + rng.randint(0, 4 * 60 - 1) * M
            bucket = buckets.setdefault(minute, {})
            bucket["calls/offered"] = bucket.get("calls/offered", 0) + rng.randint(1, 3)
            if rng.random() < 0.3:
                bucket["tickets/repair/opened"] = 1
        partials.append((source, lo, hi[source], buckets))
    cut = rng.randint(1, len(partials) - 1)   # the last complete save is after partial cut

    whole = SegmentWindows()
    for partial in partials:
        whole.apply_partial(*partial)

    crashed, table = SegmentWindows(), {}
    for partial in partials[:cut]:
        crashed.apply_partial(*partial)
    saved(crashed, table)
    for partial in partials[cut:]:
        crashed.apply_partial(*partial)
    ids = [*sorted(crashed.changed), "head"]
    saved(crashed, table, {rid for rid in ids if rng.random() < 0.5})

    back = restored(table)
    for partial in partials[cut:]:          # redelivered from the last complete save
        back.apply_partial(*partial)

    assert (back.minutes, back.hours, nonzero(back.backlog)) == (
        whole.minutes, whole.hours, nonzero(whole.backlog))
    assert back.applied == whole.applied
    assert all(floor > back.applied[source]
               for stamp in back.floors.values() for source, floor in stamp.items())
    assert totals(back) == totals(whole)


# -- incremental totals against a brute-force recomputation --------------------------------------

def brute_force(added: list[tuple[int, dict]], clock_s: float) -> dict[str, dict]:
    """Window totals straight from the definitions in metrics/windows.py."""
    end = int(clock_s // M) * M + M
    hour_end = int(clock_s // H) * H + H
    out: dict[str, dict] = {name: {} for name in WINDOWS}
    for minute, bucket in added:
        hour = minute // H * H
        for name, length in WINDOWS.items():
            start, stop, at = ((end - length, end, minute) if name in ("1h", "24h")
                               else (hour_end - length, hour_end, hour))
            if start <= at < stop:
                add_into(out[name], bucket)
    return {name: nonzero(bucket) for name, bucket in out.items()}


@pytest.mark.parametrize("seed", range(25))
def test_incremental_totals_equal_brute_force(seed):
    """Property: after any seeded sequence of add_bucket and advance (buckets before the first
    clock, late, early, ahead of the clock, expired; clock steps across minute, hour and day
    edges, and backwards), the incremental totals equal a recomputation from the definitions."""
    rng = random.Random(seed)
    windows = SegmentWindows()
    clock: float | None = None  # the newest clock given to advance
    added: list[tuple[int, dict]] = []
    backlog: dict = {}
    for _ in range(300):
        if rng.random() < 0.55:
            base = T0 if clock is None else int(clock)
            offset = rng.choice([rng.randrange(-2 * H, 2 * H), rng.randrange(-2 * D, H),
                                 rng.randrange(-32 * D, H), 0])
            minute = (base + offset) // M * M
            bucket = {"calls/offered": rng.randint(1, 3), "calls/talk_s_sum": rng.randint(0, 9)}
            if rng.random() < 0.3:
                bucket["tickets/repair/opened"] = rng.choice([1, -1])
            accepted = windows.add_bucket(minute, bucket)
            if clock is not None:
                oldest_hour = int(clock // H) * H + H - WINDOWS["30d"]
                assert accepted is (minute // H * H >= oldest_hour)
            if accepted:
                added.append((minute, {key: value for key, value in bucket.items()
                                       if not is_backlog_key(key)}))
            add_into(backlog, {key: value for key, value in bucket.items()
                               if is_backlog_key(key)})
        else:
            step = rng.choice([0, 0.5, 1, 30, 59, 59.999, 60, 61, 599, H - 1, H, 5 * H, D, 3 * D,
                               -H])
            candidate = T0 + 0.25 if clock is None else clock + step
            windows.advance(candidate)
            clock = candidate if clock is None else max(clock, candidate)
        if clock is None:
            assert totals(windows) == {name: {} for name in WINDOWS}
        else:
            assert totals(windows) == brute_force(added, clock)
    assert nonzero(windows.backlog) == nonzero(backlog)


@pytest.mark.parametrize("seed", range(5))
def test_incremental_float_sums_stay_within_rounding_of_brute_force(seed):
    """Seconds sums are floats: adding and later subtracting a bucket may leave the last bits
    (a residue near 1e-12 instead of 0.0), never more."""
    rng = random.Random(seed)
    windows = SegmentWindows()
    clock = float(T0)
    windows.advance(clock)
    added: list[tuple[int, dict]] = []
    for _ in range(400):
        if rng.random() < 0.6:
            minute = (int(clock) + rng.randrange(-2 * D, M)) // M * M
            bucket = {"calls/talk_s_sum": rng.uniform(0, 900), "calls/talked": 1}
            assert windows.add_bucket(minute, bucket)
            added.append((minute, bucket))
        else:
            clock += rng.choice([1.5, 61, 1799, H, 7 * H])
            windows.advance(clock)
        expected = brute_force(added, clock)
        for name in WINDOWS:
            got = windows.totals[name]
            assert got.get("calls/talked", 0) == expected[name].get("calls/talked", 0)
            assert got.get("calls/talk_s_sum", 0.0) == pytest.approx(
                expected[name].get("calls/talk_s_sum", 0.0), rel=1e-12, abs=1e-9)
