"""Journey dives, time dives, drivers and the start/end book, from component buckets."""

import random

import pytest

from metrics.dives import Dive, DiveBook, DiveRules, Measure
from metrics.journeys import Journey, journey_dives
from metrics.time_dives import time_dive

MEASURE = Measure("q", "overall", 1, 10, ("timeliness", "attitude"))
RULES = DiveRules()


def bucket(n: int, mean: float, sd: float = 1.5, seed: int = 1, timeliness: float | None = None,
           **extra: float) -> dict:
    """Components of n responses whose overall scores have about this mean and sd."""
    rng = random.Random(seed)
    out: dict = dict(extra)
    for dim, centre in (("overall", mean), ("timeliness", timeliness or mean),
                        ("attitude", mean)):
        scores = [min(10, max(1, round(rng.gauss(centre, sd)))) for _ in range(n)]
        out[f"surveys/q/{dim}/responses"] = n
        out[f"surveys/q/{dim}/sum_scores"] = sum(scores)
        out[f"surveys/q/{dim}/sum_squares"] = sum(s * s for s in scores)
    return out


JOURNEY = Journey("j", ("line",), ("repair", "complaint"), {"complaint": 75.0})


def _dives(buckets):
    found = journey_dives(JOURNEY, "line", buckets, MEASURE, RULES, lambda s: f"journey|line|{s}")
    return {(d.key.rsplit("|", 1)[1], d.kind): d for d in found}


@pytest.mark.parametrize(("n", "complaint_mean", "flagged"), [
    (2000, 6.5, True),     # 10 points under the benchmark on ample data
    (40, 6.5, False),      # the same on tiny data: below the minimum sample
    (2000, 7.3, False),    # 2 points under: not more than journey_min_points
])
def test_complaint_stage_against_its_benchmark(n, complaint_mean, flagged):
    dives = _dives({"repair": bucket(n, 7.0), "complaint": bucket(n, complaint_mean, seed=2)})
    dive = dives[("complaint", "stage_vs_benchmark")]
    assert dive.active is flagged
    assert dive.recent == n and dive.baseline == 0


def test_stage_below_previous_names_its_driver():
    dives = _dives({"repair": bucket(500, 8.0),
                    "complaint": bucket(500, 6.5, seed=3, timeliness=5.0)})
    dive = dives[("complaint", "stage_vs_previous")]
    assert dive.active and dive.depth == pytest.approx(15, abs=2)
    assert dive.driver == "timeliness"
    assert dive.p_value < 1e-6


def test_a_stage_without_its_previous_stage_is_not_compared():
    dives = _dives({"complaint": bucket(500, 6.0)})
    assert ("complaint", "stage_vs_previous") not in dives


HOUR = 3600
END = 100 * 24 * HOUR


def windows(rate_per_h: int, drop_from_s: int | None, mean: float = 7.5, fall: float = 1.5,
            slow_from_s: int | None = None):
    """Minute buckets (24 h) and hour buckets (8 days) of one key, one bucket per 10 minutes."""
    minutes, hours = {}, {}
    for i, t in enumerate(range(END - 8 * 24 * HOUR, END, 600)):
        low = drop_from_s is not None and t >= drop_from_s
        extra = {}
        if slow_from_s is not None:
            slow = t >= slow_from_s
            extra = {"tickets/repair/first_responses": 6,
                     "tickets/repair/first_response_points/3": 4 if slow else 1}
        part = bucket(max(1, rate_per_h // 6), mean - (fall if low else 0), seed=i,
                      timeliness=(mean - 3 * fall) if low else mean, **extra)
        if t >= END - 24 * HOUR:
            minutes[t] = part
        hour = hours.setdefault(t - t % HOUR, {})
        for key, value in part.items():
            hour[key] = hour.get(key, 0) + value
    return minutes, hours


def test_a_steady_key_does_not_dive():
    minutes, hours = windows(60, None)
    dive = time_dive("region|east", minutes, hours, END, MEASURE, RULES)
    assert not dive.active and dive.statistic < 1


def test_a_sudden_fall_dives_with_its_drivers():
    minutes, hours = windows(60, END - 3 * HOUR, slow_from_s=END - 4 * HOUR)
    dive = time_dive("region|east", minutes, hours, END, MEASURE, RULES)
    assert dive.active and 0 < dive.statistic <= 1
    assert 10 < dive.depth < 20 and dive.p_value < 1e-6
    assert dive.driver == "timeliness" and dive.measure == "first_response_slow"
    assert END - 4 * HOUR <= dive.since_s <= END - 2 * HOUR


def test_a_key_below_the_minimum_sample_never_dives():
    # One response per 10 minutes, 3 points lower for 2 hours: 12 responses, under 30.
    minutes, hours = windows(6, END - 2 * HOUR, fall=3)
    dive = time_dive("region|east", minutes, hours, END, MEASURE, RULES)
    assert not dive.active
    assert dive.note == "recent side below the minimum sample"


def test_a_dive_judged_once_after_a_thin_night_is_the_one_a_live_judge_found():
    # 60 responses an hour, 1.5 points lower from 6 h before the end; the last 3 hours thin to
    # one low response per 10 minutes (18, under 30). Judged at every step, the dive started
    # during the busy hours; judged once at the end (a replay), it must be the same dive.
    minutes, hours = windows(60, END - 6 * HOUR)
    for t in range(END - 3 * HOUR, END, 600):
        minutes[t] = bucket(1, 6.0, seed=t)
    live = time_dive("k", minutes, hours, END - 3 * HOUR, MEASURE, RULES)
    once = time_dive("k", minutes, hours, END, MEASURE, RULES)
    assert live.active and once.active
    assert once.detected_s == live.detected_s < END - 3 * HOUR
    # The same thin tail with no busy dive before it never dives (test above: under 30).
    quiet, quiet_hours = windows(60, None)
    for t in range(END - 3 * HOUR, END, 600):
        quiet[t] = bucket(1, 6.0, seed=t)
    assert not time_dive("k", quiet, quiet_hours, END, MEASURE, RULES).active


def test_the_book_writes_one_start_and_one_end():
    book = DiveBook()
    minutes, hours = windows(60, END - 3 * HOUR)
    on = time_dive("k", minutes, hours, END, MEASURE, RULES)
    assert book.observe(on, END)["event"] == "start"
    assert book.observe(on, END + 600) is None
    restored = DiveBook.from_json(book.to_json())
    off = time_dive("k", *windows(60, None), END, MEASURE, RULES)
    ended = restored.observe(off, END + 1200)
    assert ended["event"] == "end" and ended["id"] == f"k#time@{int(on.since_s)}"


def test_a_thin_moment_does_not_end_a_time_dive_while_its_detector_holds():
    book = DiveBook()
    on = time_dive("k", *windows(60, END - 3 * HOUR), END, MEASURE, RULES)
    book.observe(on, END)
    thin = Dive(**{**on.as_dict(), "active": False, "recent": 5})
    assert book.observe(thin, END + 600) is None and book.holds(thin)
    cleared = Dive(**{**thin.as_dict(), "alarm": False})
    assert book.observe(cleared, END + 1200)["event"] == "end"
