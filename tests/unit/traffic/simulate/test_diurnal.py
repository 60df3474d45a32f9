"""The diurnal curve and the arrival process that follows it."""

import random
from collections import Counter

import pytest

from tests.unit.traffic.simulate.helpers import START
from traffic.simulate import diurnal

HOUR_MS = diurnal.MS_PER_HOUR
CHINA_MS = 8 * HOUR_MS


def test_curve_averages_one_over_a_day():
    steps = 24 * 60
    mean = sum(diurnal.level_at_hour(24 * k / steps) for k in range(steps)) / steps
    assert mean == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(
    ("hour", "low", "high"),
    [
        (3.5, 0.05, 0.1),   # dead of night
        (7.0, 0.6, 0.75),   # morning ramp
        (11.0, 2.0, 2.2),   # late-morning peak
        (12.5, 1.5, 1.7),   # lunch dip
        (15.0, 1.95, 2.1),  # afternoon peak
        (21.0, 0.6, 0.8),   # evening tail
        (27.5, 0.05, 0.1),  # wraps around: 03:30 the next day
    ],
)
def test_curve_levels(hour, low, high):
    assert low <= diurnal.level_at_hour(hour) <= high


def test_curve_is_continuous_across_midnight():
    assert diurnal.level_at_hour(23.999999) == pytest.approx(diurnal.level_at_hour(0.0), abs=1e-5)


@pytest.mark.parametrize(
    ("epoch_ms", "offset_ms", "hour", "end_ms"),
    [
        (0, 0, 0, HOUR_MS),
        (HOUR_MS - 1, 0, 0, HOUR_MS),
        (HOUR_MS, 0, 1, 2 * HOUR_MS),
        (0, CHINA_MS, 8, HOUR_MS),
        (0, -HOUR_MS // 2, 23, HOUR_MS // 2),
    ],
)
def test_hour_segment(epoch_ms, offset_ms, hour, end_ms):
    assert diurnal.hour_segment(epoch_ms, offset_ms) == (hour, end_ms)


def test_arrivals_follow_the_curve_hour_by_hour():
    """Counts per local hour over five days match the integral of the curve within noise."""
    start_ms = int(START.timestamp() * 1000)
    arrivals = diurnal.Arrivals(mean_per_s=0.2, utc_offset_ms=CHINA_MS)
    rng = random.Random(5)
    counts: Counter[int] = Counter()
    t = start_ms
    while t < start_ms + 5 * 24 * HOUR_MS:
        t = arrivals.next_ms(t, rng)
        counts[diurnal.hour_segment(t, CHINA_MS)[0]] += 1
    assert sum(counts.values()) == pytest.approx(0.2 * 5 * 86_400, rel=0.03)
    for hour in range(24):
        expected = 0.2 * 3_600 * 5 * (diurnal.LEVELS[hour] + diurnal.LEVELS[(hour + 1) % 24]) / 2
        assert counts[hour] == pytest.approx(expected, rel=0.15, abs=20), hour


def test_generated_night_traffic_is_a_fraction_of_the_peak(day_stream):
    """Measured from the first day's calls: 02:00-05:00 against 10:00-12:00 and 14:00-16:00."""
    offered = Counter(i.occurred_at.hour for i in day_stream
                      if i.kind == "call" and i.occurred_at.date() == START.date())
    night = sum(offered[h] for h in (2, 3, 4)) / 3
    peak = sum(offered[h] for h in (10, 11, 14, 15)) / 4
    assert night > 0
    assert peak > 10 * night
