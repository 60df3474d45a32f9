"""A time-dive baseline: mean per hour of the day, and how much more its hours vary than iid.

Satisfaction follows the daily load, so a key's expected score depends on the hour of the day
(:func:`hour_of_day_mean`). Even then, an hour's mean varies by more than sigma / sqrt(n): the
day's load, queues that build over hours, and the error of the baseline's own estimate of that
hour. :func:`overdispersion` measures it as a variance inflation phi, leaving one baseline day
out at a time and judging its hours against the hour-of-day means of the other days: what the
detector meets on a new day. docs/dives.md, "Calibrating the threshold".
"""

from collections.abc import Mapping

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
    single scores. For each day d with responses, every hour h of d is judged against the
    hour-of-day mean of the other days, mu(-d); phi is the mean over those hours of
    (sum_h - n_h mu(-d))^2 / (n_h sigma^2). For iid scores around a steady daily profile that
    is 1 plus the error of the other days' mean (about 1 / (days - 1) on an hour whose mean
    takes full weight, near 0 on a thin hour that leans on the whole baseline). Fewer than ``min_days`` days with responses: 1 (too little to tell). Below 1 is
    sampling noise (or a sigma inflated by the daily profile): 1, so the iid threshold is the
    least a key gets.
    """
    if not sigma > 0:
        return 1.0
    days: dict[int, dict[int, HourSums]] = {}
    for start, (n, total) in hours.items():
        if n:
            days.setdefault(start // _DAY_S, {})[start % _DAY_S // _HOUR_S] = (n, total)
    if len(days) < max(2, min_days):
        return 1.0
    by_hour: dict[int, list[float]] = {}
    for day in days.values():
        for hour, (n, total) in day.items():
            sums = by_hour.setdefault(hour, [0, 0.0])
            sums[0] += n
            sums[1] += total
    n_all = sum(n for n, _ in by_hour.values())
    total_all = sum(total for _, total in by_hour.values())
    pearson, count = 0.0, 0
    for day in days.values():
        rest = {hour: (n - day.get(hour, (0, 0.0))[0], total - day.get(hour, (0, 0.0))[1])
                for hour, (n, total) in by_hour.items()}
        n_rest = n_all - sum(n for n, _ in day.values())
        mean_rest = (total_all - sum(total for _, total in day.values())) / n_rest
        for hour, (n, total) in day.items():
            expected = hour_of_day_mean(rest, hour, mean_rest, shrink_responses)
            pearson += (total - n * expected) ** 2 / n
            count += 1
    return min(cap, max(1.0, pearson / count / (sigma * sigma)))
