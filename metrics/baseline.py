"""A time-dive baseline: mean per hour of the day, and how much more its hours vary than iid.

Satisfaction follows the daily load, so a key's expected score depends on the hour of the day
(:func:`hour_of_day_mean`). Even then, an hour's mean varies by more than sigma / sqrt(n): the
day's load, queues that build over hours, and the error of the baseline's own estimate of that
hour. :func:`overdispersion` measures it as a variance inflation phi, leaving one baseline day
out at a time and judging its hours against the other days' hours: what the detector meets on
a new day. Medians, not means, so a dive in the baseline does not slow the next one's
detection. docs/dives.md, "Calibrating the threshold".
"""

from collections.abc import Mapping
from statistics import median

#: An hour of the day's responses and sum of scores.
HourSums = tuple[int, float]
_DAY_S = 86_400
_HOUR_S = 3_600


def hour_of_day_mean(by_hour: Mapping[int, HourSums], hour: int, mean: float,
                     shrink_responses: float) -> float:
    """The baseline mean for one hour of the day: that hour's baseline mean, shrunk towards
    the whole baseline's by w = n / (n + shrink_responses) (n: the hour's responses), so a
    thin hour leans on the whole baseline."""
    n, total = by_hour.get(hour, (0, 0.0))
    if not n:
        return mean
    weight = n / (n + shrink_responses)
    return weight * total / n + (1 - weight) * mean


def overdispersion(hours: Mapping[int, HourSums], sigma: float, shrink_responses: float,
                   min_days: int, cap: float) -> float:
    """The variance inflation phi of a baseline's hour means, between 1 and ``cap``.

    ``hours``: hour start (epoch s, UTC) -> (responses, sum of scores); ``sigma``: the sd of
    single scores. Each day d with responses is judged against the other days: hour h of d
    against mu(-d), the median over the other days of that hour's mean, shrunk towards the
    median of their day means by w = n / (n + ``shrink_responses``) (n: the hour's responses
    on the other days). Day d's ratio is the mean over its hours of
    (sum_h - n_h mu(-d))^2 / (n_h sigma^2); phi is the median of the days' ratios.

    Medians, because a dive in the baseline (the tail of the last one, a bad day) must not
    make the next dive slow to detect: one disturbed day neither counts as a ratio nor moves
    the other days' reference. Over-dispersion that most days show still counts in full.
    For iid scores around a steady daily profile phi is about 1 plus the error of the other
    days' median (about 1.2 / (days - 1) on an hour whose mean takes full weight, near 0 on a
    thin hour that leans on the whole baseline); a median of day ratios reads a few per cent
    low, which the floor at 1 mostly hides. Fewer than ``min_days`` days with responses:
    1, too little to tell. Below 1 is sampling noise (or a sigma inflated by the daily
    profile): 1, so the iid threshold is the least a key gets.
    """
    if not sigma > 0:
        return 1.0
    days: dict[int, dict[int, HourSums]] = {}
    for start, (n, total) in hours.items():
        if n:
            days.setdefault(start // _DAY_S, {})[start % _DAY_S // _HOUR_S] = (n, total)
    if len(days) < max(2, min_days):
        return 1.0
    day_means = {day: sum(total for _, total in found.values())
                 / sum(n for n, _ in found.values()) for day, found in days.items()}
    ratios = []
    for day, found in days.items():
        others = [days[other] for other in days if other != day]
        whole = median(day_means[other] for other in days if other != day)
        pearson = 0.0
        for hour, (n, total) in found.items():
            seen = [other[hour] for other in others if hour in other]
            n_rest = sum(m for m, _ in seen)
            weight = n_rest / (n_rest + shrink_responses) if seen else 0.0
            expected = whole
            if weight:
                expected += weight * (median(t / m for m, t in seen) - whole)
            pearson += (total - n * expected) ** 2 / n
        ratios.append(pearson / len(found))
    return min(cap, max(1.0, median(ratios) / (sigma * sigma)))
