"""Label selectors and small PromQL combinators shared by the query modules."""

from metrics.views import View

VARIABLE = {"region": "region", "queue": "queue", "channel": "channel",
            "business_line": "business_line", "journey_stage": "journey_stage"}
"""View dimension -> the template variable that filters it (dashboards/variables.py)."""


def matchers(view: View, windowed: bool = True, **extra: str) -> str:
    """``view="queue",queue=~"$queue",window="$window"`` plus ``extra`` exact matchers
    (a value starting with ``~`` or ``!`` becomes ``=~`` or ``!~``)."""
    parts = [f'view="{view.name}"']
    parts += [f'{d}=~"${VARIABLE[d]}"' for d in view.dimensions if d in VARIABLE]
    if windowed and "window" not in extra:
        parts.append('window="$window"')
    for label, value in extra.items():
        if value.startswith("~"):
            parts.append(f'{label}=~"{value[1:]}"')
        elif value.startswith("!"):
            parts.append(f'{label}!~"{value[1:]}"')
        else:
            parts.append(f'{label}="{value}"')
    return ",".join(parts)


def by(view: View, *extra: str, windowed: bool = True) -> str:
    """``view, queue, window`` (+ extra): the labels of one view key's series."""
    return ", ".join(("view", *view.dimensions, *(("window",) if windowed else ()), *extra))


def level(view: View, *extra: str, windowed: bool = True) -> str:
    """The level of a recording rule name: ``view_queue_window_kind``."""
    return "_".join(("view", *view.dimensions, *(("window",) if windowed else ()), *extra))


def rule(view: View, metric: str, *extra: str, **labels: str) -> str:
    """A recording rule of alerts/rules/cxpulse-views.rules.yml, filtered (``window="1h"``
    fixes the window instead of ``$window``)."""
    return f"{level(view, *extra)}:{metric}{{{matchers(view, **labels)}}}"


def summed(view: View, family: str, *extra: str, windowed: bool = True, **labels: str) -> str:
    """A family summed across workers per view key (``windowed=False``: no window label,
    as the backlog gauges)."""
    return (f"sum by ({by(view, *extra, windowed=windowed)}) "
            f"({family}{{{matchers(view, windowed=windowed, **labels)}}})")


def or_zero(expr: str, like: str) -> str:
    """``expr`` with 0 where ``like`` has a series and ``expr`` has none (sparse components)."""
    return f"({expr} or 0 * {like})"


def low_sample(sample: str, minimum: int) -> str:
    """1 where the sample is under ``minimum``, else 0: a flag column, never a filter."""
    return f"({sample}) < bool {minimum}"


def constant_per_key(like: str, selections: list[tuple[float, str]]) -> str:
    """A constant per view key (an objective, a ring target) as a series shaped like ``like``
    (a selector ending in ``}``): one ``like{matcher} * 0 + value`` term per selection."""
    terms = []
    for value, matcher in selections:
        selector = like[:-1] + ("," + matcher if matcher else "") + "}"
        terms.append(f"(0 * {selector} + {value:g})")
    return "(" + " or ".join(terms) + ")"
