"""Calls: service level within N rings, offered, abandoned, short abandons, speed of answer."""

from metrics.views import View

from dashboards.queries.select import (by, constant_per_key, level, matchers, or_zero, rule,
                                       summed)


def service_level(view: View, **labels: str) -> str:
    """Answered within the ring target / (offered - short abandons), per key, 0..1."""
    return rule(view, "cxpulse_calls_service_level:ratio", **labels)


def eligible_calls(view: View, **labels: str) -> str:
    """The service level's sample: offered - short abandons, per key and window."""
    offered = summed(view, "cxpulse_window_calls_offered", **labels)
    short = summed(view, "cxpulse_window_calls_short_abandoned", **labels)
    return f"{offered} - {or_zero(short, offered)}"


def component(view: View, name: str, **labels: str) -> str:
    """One call component in the window (offered, answered, abandoned, short_abandoned ...)."""
    return summed(view, f"cxpulse_window_calls_{name}", **labels)


def abandonment(view: View) -> str:
    """(abandoned - short abandons) / (offered - short abandons), per key, 0..1."""
    return rule(view, "cxpulse_calls_abandonment:ratio")


def speed_of_answer(view: View) -> str:
    """Mean wait of answered calls, seconds; its sample is ``component(view, "answered")``."""
    return rule(view, "cxpulse_calls_answer_wait_seconds:mean")


def objective(view: View, selections: list[tuple[float, str]]) -> str:
    """The service-level objective of each key (alert spec: default and per-key values)."""
    like = f"{level(view)}:cxpulse_calls_keys:zero{{{matchers(view)}}}"
    return constant_per_key(like, selections)


def ring_target(view: View, default: int, queues: dict[str, int]) -> str:
    """Rings within which a call counts as answered on time, per queue (the data file)."""
    like = f"{level(view)}:cxpulse_calls_keys:zero{{{matchers(view)}}}"
    selections = [(float(n), f'queue="{q}"') for q, n in sorted(queues.items())]
    rest = "|".join(sorted(queues))
    selections.append((float(default), f'queue!~"{rest}"' if queues else ""))
    return constant_per_key(like, selections)


def service_level_vs_objective(view: View, selections: list[tuple[float, str]]) -> str:
    """Service level minus its objective, in points of ratio; below 0 misses the target."""
    return f"{service_level(view)} - {objective(view, selections)}"


def per_minute(view: View, counter: str) -> str:
    """A stage-1 call counter (``offered``, ``abandoned`` ...) as calls per minute, per key,
    summed across workers (real time, not event time)."""
    return (f"60 * sum by ({by(view, windowed=False)}) "
            f"(rate(cxpulse_calls_{counter}_total{{{matchers(view, windowed=False)}}}"
            f"[$__rate_interval]))")


def change_vs_day(view: View) -> str:
    """Service level of the last hour minus that of the last 24 h (event-time windows):
    what the last hour did differently from the day."""
    hour = service_level(view, window="1h")
    day = service_level(view, window="24h")
    return f"{hour} - on ({by(view, windowed=False)}) group_left {day}"


def change_vs_hour_ago(view: View) -> str:
    """Service level of the 1 h window now minus the same an hour ago (Prometheus time)."""
    now = service_level(view, window="1h")
    return f"{now} - {now} offset 1h"


def offered_change_vs_hour_ago(view: View) -> str:
    """Calls offered in the 1 h window now minus an hour ago."""
    selector = f'cxpulse_window_calls_offered{{{matchers(view, window="1h")}}}'
    return (f"sum by ({by(view)}) ({selector}) - sum by ({by(view)}) ({selector} offset 1h)")
