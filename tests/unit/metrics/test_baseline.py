"""The time-dive baseline: hour-of-day means and the over-dispersion phi of its hours."""

import math
import random
import statistics
from dataclasses import replace

import pytest

from metrics.baseline import hour_of_day_mean, overdispersion
from metrics.dives import DiveRules, Measure
from metrics.sequential import normal_cusum_threshold
from metrics.time_dives import time_dive

HOUR = 3600
DAY = 24 * HOUR
SIGMA = 1.4


def hours(days: int = 7, per_hour: int = 100, tau: float = 0.0, profile: float = 0.0,
          seed: int = 5) -> dict[int, tuple[int, float]]:
    """Hour start -> (responses, sum of scores): iid normal scores around 7.5, plus a daily
    profile (``profile`` x sin of the hour) and a random shift of sd ``tau`` per hour."""
    rng = random.Random(seed)
    out = {}
    for start in range(0, days * DAY, HOUR):
        mean = 7.5 + profile * math.sin(start % DAY / DAY * 2 * math.pi) + rng.gauss(0, tau)
        out[start] = (per_hour, sum(rng.gauss(mean, SIGMA) for _ in range(per_hour)))
    return out


def phi(found: dict[int, tuple[int, float]], shrink: float = 200, min_days: int = 3,
        cap: float = 4.0) -> float:
    return overdispersion(found, SIGMA, shrink, min_days, cap)


def test_iid_hours_carry_only_the_error_of_the_other_days_median():
    # Judged against the median of the 6 other days, an iid hour's sum has variance about
    # n sigma^2 (1 + 1.2/6): the reference's own error, which the detector meets in kind.
    # One baseline's phi is a median of 7 day ratios, so noisy: judge the mean of 10.
    seeds = range(1, 11)
    busy = statistics.fmean(phi(hours(seed=seed), shrink=0) for seed in seeds)
    assert busy == pytest.approx(1.2, abs=0.1)
    # A thin key's hours lean on the whole baseline's level, which is known far better.
    thin = statistics.fmean(phi(hours(per_hour=10, seed=seed)) for seed in seeds)
    assert thin < 1.15 and thin < busy


@pytest.mark.parametrize(("per_hour", "tau", "excess"), [
    (100, SIGMA / 10, 1.0),     # an hour's excess variance n tau^2 = sigma^2
    (100, SIGMA / 5, 4.0),
    (25, SIGMA / 5, 1.0),       # the same shift on a thin key matters less: 25 tau^2 = sigma^2
])
def test_hours_that_shift_are_overdispersed_by_n_tau_squared(per_hour, tau, excess):
    found = phi(hours(per_hour=per_hour, tau=tau), shrink=0, cap=100)
    assert found == pytest.approx((1 + excess) * 1.2, rel=0.2)


def test_a_daily_profile_the_hour_means_follow_is_not_overdispersion():
    assert phi(hours(profile=1.0), shrink=0) == pytest.approx(phi(hours(), shrink=0), abs=0.05)
    # Shrunk hour means follow only part of the profile: the rest is over-dispersion.
    assert phi(hours(profile=1.0), shrink=200) > 1.5


def _dive(found: dict[int, tuple[int, float]], start: int, hours_long: int, points: float):
    """``found`` with every score ``points`` lower for ``hours_long`` hours from ``start``."""
    end = start + hours_long * HOUR
    return {hour: (n, total - points * n if start <= hour < end else total)
            for hour, (n, total) in found.items()}


@pytest.mark.parametrize("tau", [0.0, SIGMA / 10])
@pytest.mark.parametrize(("start", "hours_long", "most"), [
    (3 * DAY, 10, 1.25),                # the last dive's tail, as the next one's baseline holds it
    (6 * DAY + 14 * HOUR, 10, 1.25),    # the newest day's evening
    (3 * DAY + 14 * HOUR, 20, 1.5),     # across midnight: two of the 7 days disturbed
])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_dive_in_the_baseline_barely_moves_phi(tau, start, hours_long, most, seed):
    # A 1-point fall at 100 responses an hour puts (100 x 1)^2 / (100 x 1.96) = 51 into each
    # of its hours' ratios: a mean over the baseline's 168 hours would triple phi or more
    # and slow the next dive for 7 days. The medians leave the disturbed day out.
    clean = hours(tau=tau, seed=seed)
    disturbed = _dive(clean, start, hours_long, points=1.0)
    assert phi(disturbed, cap=100) <= most * phi(clean, cap=100)


def test_over_dispersion_most_days_show_still_counts():
    # The same 1-point falls for 10 hours on 5 of the 7 days are the key's normal, not a
    # stretch to leave out.
    clean = hours()
    disturbed = clean
    for day in range(5):
        disturbed = _dive(disturbed, day * DAY + (day * 5) % 14 * HOUR, 10, points=1.0)
    assert phi(disturbed, cap=100) > 3 * phi(clean, cap=100)


@pytest.mark.parametrize(("days", "min_days", "cap", "tau", "expected"), [
    (2, 3, 4.0, SIGMA / 5, 1.0),     # too few days to tell
    (7, 3, 1.5, SIGMA / 5, 1.5),     # capped
    (7, 3, 4.0, 0.0, None),          # never below 1
])
def test_phi_is_between_one_and_the_cap(days, min_days, cap, tau, expected):
    found = phi(hours(days=days, tau=tau, seed=9), min_days=min_days, cap=cap)
    assert found == expected if expected is not None else found >= 1.0


def test_a_thin_hour_leans_on_the_whole_mean():
    by_hour = {3: (10, 50.0), 4: (1000, 6000.0)}
    assert hour_of_day_mean(by_hour, 3, 7.0, 90) == pytest.approx(0.1 * 5 + 0.9 * 7)
    assert hour_of_day_mean(by_hour, 5, 7.0, 90) == 7.0


@pytest.mark.parametrize("rate_per_h", [20, 110])
def test_the_calibrated_threshold_rises_with_phi(rate_per_h):
    delta, arl0 = 0.5, 365 * 24 * rate_per_h
    thresholds = []
    for inflation in (1.0, 1.3, 2.0, 4.0):
        k = delta / (2 * SIGMA * math.sqrt(inflation))
        thresholds.append(normal_cusum_threshold(k, arl0))
    assert thresholds == sorted(thresholds) and thresholds[0] < thresholds[-1]


def _windows(tau: float, end: int, fall: float):
    """One key's minute buckets (the last 24 h) and hour buckets (8 days) at 60 responses an
    hour, hours shifted by sd ``tau``, the last 6 hours ``fall`` points lower."""
    measure_prefix = "surveys/q/overall/"
    rng = random.Random(17)
    minutes, by_hour = {}, {}
    for start in range(end - 8 * DAY, end, HOUR):
        mean = 7.5 + rng.gauss(0, tau)
        for t in range(start, start + HOUR, 600):
            low = fall if t >= end - 6 * HOUR else 0.0
            scores = [min(10, max(1, round(rng.gauss(mean - low, SIGMA)))) for _ in range(10)]
            part = {measure_prefix + "responses": 10,
                    measure_prefix + "sum_scores": sum(scores),
                    measure_prefix + "sum_squares": sum(s * s for s in scores)}
            if t >= end - DAY:
                minutes[t] = part
            hour = by_hour.setdefault(start, {})
            for key, value in part.items():
                hour[key] = hour.get(key, 0) + value
    return minutes, by_hour


def test_an_overdispersed_baseline_asks_for_more_evidence():
    end, measure = 100 * DAY, Measure("q", "overall", 1, 10)
    calibrated, iid = DiveRules(), replace(DiveRules(), dispersion_cap=1.0)
    minutes, by_hour = _windows(tau=0.3, end=end, fall=0.4)
    loose = time_dive("k", minutes, by_hour, end, measure, iid)
    strict = time_dive("k", minutes, by_hour, end, measure, calibrated)
    assert strict.statistic < 0.8 * loose.statistic
    minutes, by_hour = _windows(tau=0.0, end=end, fall=0.4)
    loose = time_dive("k", minutes, by_hour, end, measure, iid)
    strict = time_dive("k", minutes, by_hour, end, measure, calibrated)
    assert strict.statistic == pytest.approx(loose.statistic, rel=0.1)
