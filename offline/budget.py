"""Series budget: what /metrics would hold for a world (an event file) and a view set.

``cxpulse views FILE`` runs the offline report over the file, hands its view keys to the same
collectors the workers register, and counts the series per view and family, so a deployment can
check a view set against the budget (docs/metrics.md, "Series budget") before it serves it.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from metrics.contributions import SEP
from metrics.questionnaires import Questionnaire
from metrics.surveys import SurveyTargets
from metrics.views import View
from offline.report import Report, view_windows
from streams.serving.counters import ViewCounters
from streams.serving.windows import KeyTotals, WindowCollector


def report_key_totals(report: Report, views: Iterable[View],
                      windows: tuple[str, ...]) -> list[KeyTotals]:
    """What stage 2 would publish for every key of ``views`` once the whole file is in."""
    out = []
    for view in views:
        for key, found in view_windows(report, view).items():
            out.append(KeyTotals(key, {name: found.totals[name] for name in windows},
                                 found.backlog))
    return out


def report_counters(report: Report, views: Mapping[str, View],
                    questionnaires: Mapping[str, Questionnaire]) -> ViewCounters:
    """The stage-1 counters of the counter views, summed over workers, for the whole file
    (each segment's 30 d totals: the file must span less than 30 days)."""
    counters = ViewCounters(views, questionnaires)
    counters.add((segment, windows.totals["30d"]) for segment, windows
                 in report.segments.items())
    return counters


@dataclass
class Budget:
    """Series counts of one rendering: per view, per family, in total; and its size."""

    by_view: Counter[str]
    by_family: Counter[str]
    keys: Counter[str]
    series: int
    bytes: int


def budget(report: Report, views: Mapping[str, View], windows: tuple[str, ...],
           questionnaires: Mapping[str, Questionnaire], targets: SurveyTargets) -> Budget:
    """Render every view series of ``report`` once (all workers together) and count it."""
    totals = report_key_totals(report, views.values(), windows)
    rendered = [WindowCollector(lambda: totals, views, questionnaires, targets).families(),
                report_counters(report, views, questionnaires).families()]
    by_view: Counter[str] = Counter()
    by_family: Counter[str] = Counter()
    for families in rendered:
        for family in families.metrics():
            for sample in family.samples:
                by_view[sample.labels.get("view", "")] += 1
                by_family[family.name] += 1
    keys = Counter(item.key.split(SEP, 1)[0] for item in totals)
    return Budget(by_view, by_family, keys, sum(by_view.values()),
                  sum(len(families.text().encode()) for families in rendered))
