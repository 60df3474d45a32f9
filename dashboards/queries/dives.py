"""Dives (docs/dives.md): the dives on now with their figures and driver, the time detector's
ratio, and dive starts and ends for annotations.

The dive gauges come from the worker that owns a key (``max without (instance)`` keeps one
series when a partition moves). Every dive view has other dimensions, so each expression is one
term per view, joined with ``or``, and carries a ``key`` label (``region_stage|east|repair``)
made by ``label_join``. A key variable filters the views that have its dimension and leaves
the others alone (``region=~"$region|"`` also matches a key without a region).
"""

from collections.abc import Iterable

from metrics.views import View

from dashboards.queries.select import VARIABLE

ON_NOW = "== 1"
"""The filter of the dives on now; tests pass ``>= 0`` to run the same expression on every
judged key."""


def selector(view: View, **fixed: str) -> str:
    """``view="region",region=~"$region|"`` plus exact ``fixed`` matchers."""
    parts = [f'view="{view.name}"']
    parts += [f'{d}=~"${VARIABLE[d]}|"' for d in view.dimensions if d in VARIABLE]
    parts += [f'{label}="{value}"' for label, value in fixed.items()]
    return ",".join(parts)


def _one(family: str, view: View, drop: tuple[str, ...] = (), **fixed: str) -> str:
    return (f"max without ({', '.join(('instance', *drop))}) "
            f"({family}{{{selector(view, **fixed)}}})")


def _by(view: View) -> str:
    return ", ".join(("view", *view.dimensions, "kind"))


def _keyed(view: View, expr: str) -> str:
    labels = ", ".join(f'"{label}"' for label in ("view", *view.dimensions))
    return f'label_join({expr}, "key", "|", {labels})'


def active(view: View) -> str:
    """1 while a dive of the key and kind is on, else 0 (every judged key has the series)."""
    return _one("cxpulse_dive_active", view)


def on_now(views: Iterable[View], family: str, state: str = ON_NOW, **fixed: str) -> str:
    """``family`` (a dive gauge; ``fixed`` picks e.g. ``side="judged"``) of the dives on now,
    with the driver pair as labels ``dimension`` and ``measure`` and the view key as ``key``."""
    drop = tuple(fixed)
    terms = []
    for view in views:
        figure = (f"({_one(family, view, drop, **fixed)}\n"
                  f"  and on ({_by(view)}) {active(view)} {state})")
        driver = f"topk by ({_by(view)}) (1, {_one('cxpulse_dive_driver', view)})"
        joined = f"{figure}\n  * on ({_by(view)}) group_left (dimension, measure) {driver}"
        terms.append(_keyed(view, joined))
    return "\n or ".join(f"({term})" for term in terms)


def detector_ratio(views: Iterable[View]) -> str:
    """Time dives: the detector statistic over its threshold (0..1, 1 = in alarm) per key."""
    return "\n or ".join(
        f"({_keyed(view, _one('cxpulse_dive_detector_ratio', view, kind='time'))})"
        for view in views)


def starts(views: Iterable[View]) -> str:
    """1 at the step where a dive is on and was not a minute earlier (annotations, 1m step)."""
    return "\n or ".join(
        f"({_keyed(view, f'({active(view)} == 1) unless ({_shifted(view)} == 1)')})"
        for view in views)


def ends(views: Iterable[View]) -> str:
    """1 at the step where a dive is off and was on a minute earlier (annotations, 1m step)."""
    return "\n or ".join(
        f"({_keyed(view, f'({_shifted(view)} == 1) and ({active(view)} == 0)')})"
        for view in views)


def _shifted(view: View) -> str:
    return (f"max without (instance) "
            f"(cxpulse_dive_active{{{selector(view)}}} offset 1m)")
