"""The diurnal arrival curve: how busy the contact centre is at each local hour.

The curve is piecewise linear between hourly anchor levels (local time, same every day) and is
normalised so that its 24-hour mean is exactly 1: multiplying it by a mean rate gives the rate at
that moment without changing the daily volume. It is quiet at night (03:00-04:00 runs at ~4 % of
the late-morning peak), peaks late morning (11:00) and again mid-afternoon (15:00), dips at lunch
and tails off through the evening. docs/simulator.md shows the table.
"""

import math
import random

MS_PER_HOUR = 3_600_000

# Relative contact volume at each local hour h:00 (index h). Shaped after typical Chinese
# after-sales hotlines: a morning ramp from 07:00, a lunch dip, a second peak before the end of
# the working day, a long evening tail from consumers calling after work.
_ANCHORS = (
    0.15, 0.10, 0.08, 0.07, 0.07, 0.10, 0.25, 0.55,
    1.00, 1.45, 1.70, 1.75, 1.30, 1.35, 1.60, 1.70,
    1.60, 1.30, 1.00, 0.85, 0.75, 0.60, 0.40, 0.25,
)
# The mean of a periodic piecewise-linear curve equals the mean of its anchors.
_MEAN = sum(_ANCHORS) / len(_ANCHORS)
LEVELS = tuple(level / _MEAN for level in _ANCHORS)
PEAK = max(LEVELS)
# Upper bound of the curve inside hour h (a straight segment peaks at one of its ends); the
# arrival process thins against it, so acceptance stays high even at night.
SEGMENT_MAX = tuple(max(LEVELS[h], LEVELS[(h + 1) % 24]) for h in range(24))


def level_at_hour(local_hour: float) -> float:
    """Relative arrival rate at ``local_hour`` (0 <= h < 24; other values wrap around a day).

    Returns a factor with a 24-hour mean of 1 (about 0.08 at 03:00, 2.1 at 11:00).
    """
    local_hour %= 24.0
    h = int(local_hour)
    frac = local_hour - h
    return LEVELS[h] + (LEVELS[(h + 1) % 24] - LEVELS[h]) * frac


def level_at_ms(epoch_ms: float, utc_offset_ms: int) -> float:
    """Relative arrival rate at ``epoch_ms`` (milliseconds since the Unix epoch, UTC).

    ``utc_offset_ms`` turns UTC into the operation's local time (8 h for China).
    """
    return level_at_hour((epoch_ms + utc_offset_ms) / MS_PER_HOUR)


def hour_segment(epoch_ms: float, utc_offset_ms: int) -> tuple[int, float]:
    """(local hour index 0..23, epoch ms at which that local hour ends) for ``epoch_ms``."""
    local_hours = (epoch_ms + utc_offset_ms) // MS_PER_HOUR
    end_ms = (local_hours + 1) * MS_PER_HOUR - utc_offset_ms
    return int(local_hours % 24), end_ms


class Arrivals:
    """Arrival times of a Poisson process whose rate follows the curve (local time).

    Exponential gaps are drawn at the current hour's maximum rate and thinned to the curve:
    exact for a time-varying rate, unlike stepping at the rate of the moment, and cheap because
    each hour is bounded by its own maximum (acceptance stays above ~70 % even at night).
    """

    __slots__ = ("_per_ms", "_utc_offset_ms", "_start_ms", "_end_ms", "_level", "_slope",
                 "_bound", "_gap_ms")

    def __init__(self, mean_per_s: float, utc_offset_ms: int) -> None:
        """``mean_per_s``: arrivals per second averaged over a day (> 0)."""
        self._per_ms = mean_per_s / 1000.0
        self._utc_offset_ms = utc_offset_ms
        self._start_ms = self._end_ms = -math.inf

    def _enter_hour(self, epoch_ms: float) -> None:
        hour, self._end_ms = hour_segment(epoch_ms, self._utc_offset_ms)
        self._start_ms = self._end_ms - MS_PER_HOUR
        self._level = LEVELS[hour]
        self._slope = (LEVELS[(hour + 1) % 24] - LEVELS[hour]) / MS_PER_HOUR
        self._bound = SEGMENT_MAX[hour]
        self._gap_ms = 1.0 / (self._per_ms * self._bound)

    def next_ms(self, after_ms: float, rng: random.Random) -> float:
        """Epoch ms (fractional) of the first arrival after ``after_ms``."""
        t = after_ms
        while True:
            if not self._start_ms <= t < self._end_ms:
                self._enter_hour(t)
            candidate = t - math.log(1.0 - rng.random()) * self._gap_ms
            if candidate >= self._end_ms:
                t = self._end_ms
            elif (rng.random() * self._bound
                  <= self._level + self._slope * (candidate - self._start_ms)):
                return candidate
            else:
                t = candidate
