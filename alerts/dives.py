"""Dive alerts from the alert spec's ``dives`` and the data file's dive views (docs/dives.md).

One rule per view that has dives: ``CxpulseTimeDive`` per view of ``dives.time_views``,
``CxpulseJourneyDive`` on the journey view. The value is the depth in points; the rule keeps
only the view key's labels and ``kind``, so a dive stays one alert when its partition moves to
another worker (``max without (instance)``) or its driver changes (the driver is queried into
the description, not joined as a label).
"""

from collections.abc import Iterable, Mapping

from alerts.rules import DATA, Writer, key_template, query_template
from alerts.spec import DiveAlert
from metrics.errors import ConfigError
from metrics.views import View

#: Alert name, TEXTS entry and the kinds it covers, per spec entry.
DIVE_KINDS = {"time": ("CxpulseTimeDive", "time"),
              "journey": ("CxpulseJourneyDive", "stage_vs_previous|stage_vs_benchmark")}


def _on(family: str, selector: str) -> str:
    return f"max without (instance) ({family}{{{selector}}})"


def dive_rule(writer: Writer, name: str, alert: DiveAlert, view: View, window: str) -> dict:
    """The alert for one view: the depth while ``cxpulse_dive_active`` is 1, each gauge the
    max across workers (one worker owns a key), with the description's figures queried."""
    rule_name, kinds = DIVE_KINDS[name]
    kind = f'kind=~"{kinds}"' if "|" in kinds else f'kind="{kinds}"'
    selector = f'view="{view.name}",{kind}'
    labels = ("view", *view.dimensions, "kind")
    expr = (f"{_on('cxpulse_dive_depth_points', selector)}\n"
            f"and on ({', '.join(labels)})\n"
            f"  {_on('cxpulse_dive_active', selector)} == 1")

    def figure(family: str, fmt: str, **fixed: str) -> str:
        return query_template(family, labels, fmt, fixed=fixed)

    def driver(label: str) -> str:
        return query_template("cxpulse_dive_driver", labels, label=label)

    return writer.alert(
        rule_name, expr, alert.for_, alert.severity, DATA,
        key=key_template(view), for_=alert.for_, window=window,
        depth='{{ $value | printf "%.1f" }}',
        margin=figure("cxpulse_dive_depth_margin_points", "%.1f"),
        p=figure("cxpulse_dive_p_value", "%.2g"),
        judged=figure("cxpulse_dive_responses", "%.0f", side="judged"),
        reference=figure("cxpulse_dive_responses", "%.0f", side="reference"),
        dimension=driver("dimension"), measure=driver("measure"))


def dive_alerts(writer: Writer, views: Mapping[str, View], time_views: Iterable[str],
                journey_view: str | None, baseline_days: int, journey_window: str) -> list[dict]:
    """The group ``cxpulse-dive-alerts``: a time-dive rule per view of ``time_views``, a
    journey-dive rule on ``journey_view``; the spec's ``dives`` entries say for and severity
    (an entry left out: no such alert)."""
    where = {"time": [(v, f"{baseline_days}d") for v in time_views],
             "journey": [(journey_view, journey_window)] if journey_view else []}
    rules = []
    for name, alert in writer.spec.dives.items():
        for view_name, window in where[name]:
            view = views.get(view_name)
            if view is None:
                raise ConfigError(f"alert spec: dives.{name}: view {view_name!r} of the data "
                                  f"file's dives is not configured (known: {', '.join(views)})")
            rules.append(dive_rule(writer, name, alert, view, window))
    return rules
