"""Drivers of a dive: the survey dimension that fell most, and the operational measure that
moved with it (docs/dives.md, "Drivers").

Both compare a judged bucket (the dive's side) with a reference bucket (the baseline, or the
previous journey stage), from additive components only.
"""

from collections.abc import Mapping

from metrics.components import Number
from metrics.dives import NO_DRIVER, Measure

#: Minimum events on each side before an operational measure may be named.
MIN_OPERATIONAL = 10
#: First-response points at or below this are "slow" (3 h or more with the default bands).
SLOW_POINTS = 3


def _index(bucket: Mapping[str, Number], prefix: str, scale_max: int) -> tuple[int, float | None]:
    n = int(bucket.get(prefix + "responses", 0))
    if not n:
        return 0, None
    return n, bucket.get(prefix + "sum_scores", 0) / n / scale_max * 100


def dimension_driver(judged: Mapping[str, Number], reference: Mapping[str, Number],
                     measure: Measure, min_responses: int) -> tuple[str, float | None]:
    """(dimension, drop in points) of the driver dimension that fell most from ``reference``
    to ``judged``; ("none", None) when none has ``min_responses`` on both sides or none fell."""
    best, drop = NO_DRIVER, 0.0
    for dimension in measure.drivers:
        prefix = measure.prefix(dimension)
        n1, judged_index = _index(judged, prefix, measure.scale_max)
        n0, reference_index = _index(reference, prefix, measure.scale_max)
        if judged_index is None or reference_index is None:
            continue
        if min(n0, n1) < min_responses:
            continue
        fall = reference_index - judged_index
        if fall > drop:
            best, drop = dimension, fall
    return best, (drop if best != NO_DRIVER else None)


def _sum(bucket: Mapping[str, Number], prefix: str, suffix: str) -> float:
    return sum(v for k, v in bucket.items() if k.startswith(prefix) and k.endswith(suffix))


def operational_rates(bucket: Mapping[str, Number]) -> dict[str, tuple[float, float]]:
    """Operational measure -> (events, rate) for the measures the bucket can tell.

    - ``first_response_slow``: first responses scoring <= 3 points / first responses (all
      ticket kinds);
    - ``sla_miss``: 1 - service level (calls answered over target or abandoned, short
      abandons excluded);
    - ``repeat_repair``: repeat repairs / repairs created.
    """
    out: dict[str, tuple[float, float]] = {}
    first = _sum(bucket, "tickets/", "/first_responses")
    if first:
        slow = sum(v for k, v in bucket.items() if k.startswith("tickets/")
                   and "/first_response_points/" in k and int(k.rsplit("/", 1)[1]) <= SLOW_POINTS)
        out["first_response_slow"] = (first, slow / first)
    offered = bucket.get("calls/offered", 0) - bucket.get("calls/short_abandoned", 0)
    if offered > 0:
        out["sla_miss"] = (offered, 1 - bucket.get("calls/answered_within_target", 0) / offered)
    created = bucket.get("tickets/repair/created", 0)
    if created:
        out["repeat_repair"] = (created, bucket.get("tickets/repair/repeats", 0) / created)
    return out


def operational_driver(judged: Mapping[str, Number], reference: Mapping[str, Number]
                       ) -> tuple[str, float | None, float | None]:
    """(measure, reference rate, judged rate) of the operational measure that rose most
    (largest ratio judged / reference, ``MIN_OPERATIONAL`` events each side; a rate from 0
    counts as rising by the judged rate over 1 %); ("none", None, None) when none rose."""
    now, before = operational_rates(judged), operational_rates(reference)
    best, best_ratio, values = "none", 1.0, (None, None)
    for name, (n1, rate1) in now.items():
        n0, rate0 = before.get(name, (0, 0.0))
        if min(n0, n1) < MIN_OPERATIONAL or rate1 <= rate0:
            continue
        ratio = rate1 / max(rate0, 0.01)
        if ratio > best_ratio:
            best, best_ratio, values = name, ratio, (rate0, rate1)
    return best, values[0], values[1]
