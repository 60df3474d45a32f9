"""Stage-1 component counters per view key: what a worker has flushed since it started.

For ``rate()`` and burn-rate alerts: counters add up across workers and survive nothing (a
restart starts them at 0, which ``rate()`` handles). Only views with ``counters: true`` get
them. Each worker keeps its own first-come key cap per view; folded keys count into the view's
``other`` key and into ``cxpulse_view_keys_folded``.
"""

from collections.abc import Iterable, Mapping

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from metrics.components import Bucket, Number, add_into, is_backlog_key
from metrics.questionnaires import Questionnaire
from metrics.views import KeyCap, Projector, View, key_labels
from streams.serving.text import Families, label_text
from streams.serving.windows import add_components


class ViewCounters(Collector):
    """Counters of the components stage 1 flushed, per view key of the counter views."""

    def __init__(self, views: Mapping[str, View],
                 questionnaires: Mapping[str, Questionnaire]) -> None:
        self.views = {name: view for name, view in views.items()
                      if view.counters and view.export}
        self.questionnaires = questionnaires
        self.projector = Projector(self.views.values())
        self.cap = KeyCap(self.views)
        # key -> totals; a key's dict is replaced, never changed, so a render in another
        # thread reads consistent numbers without a lock.
        self.sums: dict[str, Bucket] = {}

    def add(self, buckets: Iterable[tuple[str, Mapping[str, Number]]]) -> None:
        """Count one flush's (segment, bucket) pairs (backlog deltas are not counters).

        The buckets are summed per segment first (a segment has one bucket per minute of
        the flush, and projecting is linear), then projected once per segment; each touched
        key gets one new dict."""
        segments: dict[str, Bucket] = {}
        for segment, bucket in buckets:
            add_into(segments.setdefault(segment, {}), bucket)
        deltas: dict[str, Bucket] = {}
        for segment, bucket in segments.items():
            windowed = {key: value for key, value in bucket.items() if not is_backlog_key(key)}
            for key, part in self.projector.project(segment, windowed):
                add_into(deltas.setdefault(self.cap.admit(key), {}), part)
        for key, delta in deltas.items():
            merged = dict(self.sums.get(key, {}))
            add_into(merged, delta)
            self.sums[key] = merged

    def collect(self) -> Iterable[Metric]:
        return self.families().metrics()

    def families(self) -> Families:
        """Every counter series, as text lines (the /metrics render path)."""
        families = Families()
        for key, bucket in sorted(list(self.sums.items())):
            labels = key_labels(self.views, key)
            add_components(families, bucket, label_text(labels), self.views[labels["view"]],
                           self.questionnaires, "cxpulse_", "counter",
                           "since the worker started")
        return families
