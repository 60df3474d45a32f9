"""Time dives: a view key's recent index against its own baseline, by a sequential detector.

From the key's stage-2 windows (metrics/windows.py: minute buckets for the last 24 h, hour
buckets for 30 days), at window end E (exclusive, a whole minute):

    steps     complete step_minutes steps in [T0, T1), T1 = floor(E, step), T0 = T1 - span
    baseline  hour buckets in [B0 - baseline_days, B0), B0 = floor_hour(T0)

The baseline gives sigma of the measure's scores, the response rate r per hour and mu0 per
hour of the day (the same hours over the baseline days, shrunk towards the whole baseline's
mean: satisfaction follows the daily load, and a flat mu0 reads every busy afternoon as a dip)
and the over-dispersion phi of its hours (metrics/baseline.py), which inflates sigma to
sigma sqrt(phi); the threshold h is set so the in-control run length is ``target_run_days`` x
24 x r responses (Siegmund, metrics/sequential.py), and a normal CUSUM with reference
k = delta / (2 sigma sqrt(phi)) (delta = ``design_points`` on the score scale) runs over the
steps from 0. The dive is on when the CUSUM is in alarm at T1, the baseline has
``min_baseline`` responses, and at some step of the current alarm both the responses since the
change point and those of the ``recent_hours`` before that step numbered at least
``min_responses`` (that step is ``detected_s``). Its depth compares the
baseline with the responses since the change point (the last step at which the CUSUM stood at
0), or with the last ``recent_hours`` when no alarm. The whole evaluation is a pure function of
the windows, so a restart or a replay gives the same answer. docs/dives.md, "Time dives".
"""

import math
from collections.abc import Mapping

from metrics.baseline import hour_of_day_mean, overdispersion
from metrics.components import Bucket, add_into
from metrics.dives import Dive, DiveRules, Measure, Side, compare
from metrics.drivers import dimension_driver, operational_driver
from metrics.sequential import NormalCusum, normal_cusum_threshold
from metrics.windows import HOUR_S, floor_to


def _sums(bucket: Mapping[str, float], prefix: str) -> tuple[int, int, int]:
    return (int(bucket.get(prefix + "responses", 0)), int(bucket.get(prefix + "sum_scores", 0)),
            int(bucket.get(prefix + "sum_squares", 0)))


def time_dive(key: str, minutes: Mapping[int, Bucket], hours: Mapping[int, Bucket], end_s: int,
              measure: Measure, rules: DiveRules) -> Dive:
    """The time dive of one view key at window end ``end_s`` (epoch seconds)."""
    step_s = rules.step_minutes * 60
    t1 = floor_to(end_s, step_s)
    t0 = t1 - rules.span_hours * HOUR_S
    b0 = floor_to(t0, HOUR_S)
    b_start = b0 - rules.baseline_days * 86_400
    prefix = measure.prefix()
    baseline: Bucket = {}
    first_hour = None
    by_hour_of_day: dict[int, list[int]] = {}
    hour_sums: dict[int, tuple[int, int]] = {}
    for hour, bucket in hours.items():
        if b_start <= hour < b0 and bucket.get(prefix + "responses"):
            add_into(baseline, bucket)
            first_hour = hour if first_hour is None else min(first_hour, hour)
            n, total, _ = _sums(bucket, prefix)
            hour_sums[hour] = (n, total)
            sums = by_hour_of_day.setdefault(hour % 86_400 // HOUR_S, [0, 0])
            sums[0] += n
            sums[1] += total
    n0, s0, q0 = _sums(baseline, prefix)
    base = Side.of(n0, s0, q0, measure.scale_max)
    if n0 < rules.min_baseline or base.se is None or not base.se > 0:
        return Dive(key, "time", False, baseline=n0, reference=base.index,
                    note="baseline below the minimum sample")
    mu0 = s0 / n0
    sigma = math.sqrt(max((q0 - s0 * s0 / n0) / (n0 - 1), 1e-9))
    rate_per_h = n0 / ((b0 - first_hour) / HOUR_S)
    # Hours vary more than iid scores would (docs/dives.md, "Calibrating the threshold"):
    # the detector standardises with the inflated sigma, which lowers k and raises h.
    phi = overdispersion(hour_sums, sigma, rules.shrink_responses, rules.dispersion_min_days,
                         rules.dispersion_cap)
    sigma *= math.sqrt(phi)
    k = rules.design_points * measure.scale_max / 100 / (2 * sigma)
    h = normal_cusum_threshold(k, rules.target_run_days * 24 * rate_per_h)
    steps: list[Bucket] = [{} for _ in range((t1 - t0) // step_s)]
    for minute, bucket in minutes.items():
        if t0 <= minute < t1:
            add_into(steps[(minute - t0) // step_s], bucket)
    cusum = NormalCusum(mu0, sigma, k, h)
    recent_steps = rules.recent_hours * 3600 // step_s
    counts: list[int] = []
    since = 0
    # The step at which the current alarm became a dive: the first step of the alarm at which
    # both the responses since the change point and those of the recent_hours before it number
    # at least min_responses, so a key that rarely gets surveys never dives on a long, thin
    # excursion. Judged step by step, the answer does not depend on how often the key is
    # evaluated: a replay judged once at its end finds the dive a live worker found.
    became = None
    for index, step in enumerate(steps):
        n, total, _ = _sums(step, prefix)
        counts.append(n)
        cusum.mu0 = hour_of_day_mean(by_hour_of_day, (t0 + index * step_s) % 86_400 // HOUR_S,
                                     mu0, rules.shrink_responses)
        if cusum.s <= 0.0 and not cusum.alarm:
            since = index
        if not cusum.update(n, total):
            became = None
        elif became is None and min(sum(counts[since:]),
                                    sum(counts[-recent_steps:])) >= rules.min_responses:
            became = index
    active = cusum.alarm and became is not None
    recent_from = since if cusum.alarm else len(steps) - recent_steps
    judged: Bucket = {}
    for step in steps[recent_from:]:
        add_into(judged, step)
    recent = Side.of(*_sums(judged, prefix), measure.scale_max)
    found = compare(base, recent)
    depth, margin, p = found if found is not None else (None, None, None)
    dive = Dive(key, "time", active, cusum.alarm, depth, margin, p, recent.n, n0, recent.index,
                base.index,
                statistic=cusum.s / h, since_s=float(t0 + recent_from * step_s) if active else None,
                detected_s=float(t0 + (became + 1) * step_s) if active else None,
                note="" if active or not cusum.alarm else "recent side below the minimum sample")
    if not active:
        return dive
    driver, drop = dimension_driver(judged, baseline, measure, rules.min_responses)
    name, before, after = operational_driver(judged, baseline)
    return Dive(**{**dive.as_dict(), "driver": driver, "driver_drop": drop, "measure": name,
                   "measure_from": before, "measure_to": after})
