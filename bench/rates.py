"""Rates and loads from the harness's polls (pure: lists of Sample in, numbers out)."""

from bench.model import Outcome, Sample

#: the fit uses the polls between these shares of the expected events: start-up and the wait
#: for the last flush stay out of the measured window
FIT_LO, FIT_HI = 0.05, 0.95


def interp(samples: list[Sample], attr: str, t: float) -> float | None:
    """Linear interpolation of a sampled series at time ``t`` (clamped to its ends)."""
    points = [(s.t, getattr(s, attr)) for s in samples if getattr(s, attr) is not None]
    if not points:
        return None
    if t <= points[0][0]:
        return points[0][1]
    for (t0, v0), (t1, v1) in zip(points, points[1:]):
        if t0 <= t <= t1:
            return v0 + (v1 - v0) * ((t - t0) / (t1 - t0) if t1 > t0 else 0.0)
    return points[-1][1]


def fitted_rate(samples: list[Sample], attr: str, expected: int, lo: float = FIT_LO,
                hi: float = FIT_HI) -> dict[str, float] | None:
    """Least-squares slope (events/s) of ``attr`` over the polls from the first at ``lo`` of
    ``expected`` to the first at ``hi``; with fewer than 3 such polls, from the first poll with
    progress to the first at completion ("endpoints", which under-estimates by up to one poll
    interval). Returns the rate, the window it applies to and the method.

    The series is read as its running maximum: a worker's processed count is only ever
    under-estimated (events of a flush in flight are neither unflushed nor counted), so the
    maximum so far is the better reading, and the dips of the final flushes, after the last
    event was read, stay out of the window. The fit averages out the steps of a count that
    moves per flush.
    """
    series: list[tuple[float, float]] = []
    for s in samples:
        value = getattr(s, attr)
        if value is not None:
            series.append((s.t, max(float(value), series[-1][1] if series else 0.0)))
    inside = []
    for t, v in series:
        if v >= lo * expected:
            inside.append((t, v))
        if v >= hi * expected:
            break
    if len(inside) >= 3:
        n = len(inside)
        mean_t = sum(t for t, _ in inside) / n
        mean_v = sum(v for _, v in inside) / n
        var = sum((t - mean_t) ** 2 for t, _ in inside)
        slope = sum((t - mean_t) * (v - mean_v) for t, v in inside) / var if var else 0.0
        if slope > 0:
            return {"rate": slope, "t_first": inside[0][0], "t_last": inside[-1][0],
                    "method": f"fit {lo:.0%}-{hi:.0%}", "polls": n}
    started = [(t, v) for t, v in series if v > 0]
    done = next(((t, v) for t, v in started if v >= expected), None)
    if not started or done is None or done[0] <= started[0][0]:
        return None
    return {"rate": (done[1] - started[0][1]) / (done[0] - started[0][0]),
            "t_first": started[0][0], "t_last": done[0], "method": "endpoints",
            "polls": len(started)}


def completion_rate(samples: list[Sample], expected: int) -> float | None:
    """Events / (first poll with any progress -> first poll with every event flushed).

    Includes the wait for the last flush (up to one flush interval) and half a poll of
    start-up: what a caller waiting for the counters sees, not the steady rate.
    """
    started = next((s.t for s in samples if s.seen), None)
    done = next((s.t for s in samples if s.count is not None and s.count >= expected), None)
    if started is None or done is None or done <= started:
        return None
    return expected / (done - started)


def foreign_load(out: Outcome, samples: list[Sample], t0: float, t1: float) -> None:
    """How much of the two cores other processes took during the measured window."""
    if t1 - t0 < 0.5:  # too short for 10 ms /proc/stat ticks; use the polls around it
        t0, t1 = t0 - 0.5, t1 + 0.5
    span = t1 - t0

    def delta(attr: str) -> float | None:
        a, b = interp(samples, attr, t0), interp(samples, attr, t1)
        return None if a is None or b is None else b - a

    core, own = delta("consumer_core_busy"), delta("consumer_cpu")
    if core is not None and own is not None:
        out.foreign_load_consumer_core = max(core - own, 0.0) / span
    core, own = delta("broker_core_busy"), delta("broker_cpu")
    if core is not None and own is not None:
        out.foreign_load_broker_core = max(core - own, 0.0) / span
    steal = delta("consumer_core_steal")
    if steal is not None:
        out.steal_consumer_core = steal / span
