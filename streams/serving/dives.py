"""Dive gauges per view key and kind, rendered from the dives stage 2 last judged.

Per (view key, kind) with kind in stage_vs_previous, stage_vs_benchmark, time:

    cxpulse_dive_active                    1 while the dive is on, else 0
    cxpulse_dive_depth_points              reference index - judged index (points)
    cxpulse_dive_depth_margin_points       95 % half-width of the depth
    cxpulse_dive_p_value                   one-sided p of the fall
    cxpulse_dive_responses{side}           judged / reference responses
    cxpulse_dive_detector_ratio            time dives: CUSUM statistic / threshold (0..1)
    cxpulse_dive_driver{dimension,measure} 1: the driver dimension and operational measure
                                           (closed sets: the measure questionnaire's dimensions,
                                           the operational measures, and "none")

At most 8 series per (key, kind); docs/dives.md counts them for the default views.
"""

from collections.abc import Callable, Iterable, Mapping

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from metrics.dives import Dive
from metrics.views import View, key_labels
from streams.serving.text import Families, label_text

HELP = {
    "cxpulse_dive_active": "1 while a dive of this kind is on for the key (docs/dives.md).",
    "cxpulse_dive_depth_points": "Reference index minus judged index, points (previous stage, "
                                 "benchmark or own baseline).",
    "cxpulse_dive_depth_margin_points": "95 % half-width of the dive depth, points.",
    "cxpulse_dive_p_value": "One-sided p-value that the judged index is not below the reference.",
    "cxpulse_dive_responses": "Responses behind the comparison, side=judged or reference.",
    "cxpulse_dive_detector_ratio": "Time dives: sequential detector statistic over its "
                                   "threshold; 1 means in alarm.",
    "cxpulse_dive_driver": "1 on the series naming the dive's driver dimension and operational "
                           "measure (none while no dive is on).",
}


class DiveCollector(Collector):
    """Dive gauges of the dives ``source`` returns (read-only snapshots)."""

    def __init__(self, source: Callable[[], Iterable[Dive]], views: Mapping[str, View]) -> None:
        self.source = source
        self.views = views

    def collect(self) -> Iterable[Metric]:
        families = Families()
        for dive in sorted(self.source(), key=lambda d: (d.key, d.kind)):
            if dive.key.split("|", 1)[0] not in self.views:
                continue
            labels = {**key_labels(self.views, dive.key), "kind": dive.kind}

            def add(name: str, value: float | None, **extra: str) -> None:
                if value is not None:
                    families.add(name, HELP[name], "gauge", label_text({**labels, **extra}),
                                 value)

            add("cxpulse_dive_active", float(dive.active))
            add("cxpulse_dive_depth_points", dive.depth)
            add("cxpulse_dive_depth_margin_points", dive.margin)
            add("cxpulse_dive_p_value", dive.p_value)
            add("cxpulse_dive_responses", dive.recent, side="judged")
            add("cxpulse_dive_responses", dive.baseline, side="reference")
            add("cxpulse_dive_detector_ratio", dive.statistic)
            add("cxpulse_dive_driver", 1.0, dimension=dive.driver, measure=dive.measure)
        return families.metrics()
