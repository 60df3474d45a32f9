"""Window gauges of view keys, rendered from immutable snapshots (never from live state).

Stage 2 publishes a :class:`KeyTotals` per view key at each flush: copies of the exported
windows' totals and the backlog. :class:`WindowCollector` turns the latest published set into
metric families, in whatever thread renders /metrics, so a scrape neither walks nor waits for
the stream's state. Components are additive (sum them across workers); ratio gauges are exported
only for keys one owner holds whole (never for a view's ``other`` key, which several stage-2
partitions may fold into).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from metrics.components import (
    Bucket,
    Number,
    add_into,
    call_totals,
    survey_dimensions,
    survey_totals,
    ticket_kinds,
    ticket_totals,
)
from metrics.figures import clock_figures, fcr_figures
from metrics.questionnaires import Questionnaire
from metrics.surveys import SurveyTargets, box_scores, overall_index
from metrics.views import OTHER, View, key_labels
from streams.serving.families import HELP, family_of, is_score_count
from streams.serving.text import Families, join, label_text

#: Ratio gauges: one owner's figures, never summed across workers (PromQL recording rules
#: compute the same from the components).
RATIO_FAMILIES = frozenset({
    "cxpulse_window_service_level_ratio", "cxpulse_window_calls_abandonment_ratio",
    "cxpulse_window_calls_speed_of_answer_seconds",
    "cxpulse_window_tickets_first_response_points_mean",
    "cxpulse_window_complaint_clock_on_time_ratio", "cxpulse_window_fcr_ratio",
    "cxpulse_window_survey_index", "cxpulse_window_survey_gap_to_target",
    "cxpulse_window_survey_low_sample", "cxpulse_window_survey_overall_index"})


@dataclass(frozen=True)
class KeyTotals:
    """What one view key exports: window name -> totals, and the backlog running totals.

    Built from copies; never changed after it is published.
    """

    key: str
    windows: Mapping[str, Bucket]
    backlog: Bucket

    def merged(self, other: "KeyTotals") -> "KeyTotals":
        """The sum of two snapshots of the same key (the ``other`` key of two partitions)."""
        windows = {name: dict(bucket) for name, bucket in self.windows.items()}
        for name, bucket in other.windows.items():
            add_into(windows.setdefault(name, {}), bucket)
        backlog = dict(self.backlog)
        add_into(backlog, other.backlog)
        return KeyTotals(self.key, windows, backlog)


#: (component key, prefix, when) -> (family name, help, extra label text), or None.
_COMPONENTS: dict[tuple[str, str, str], tuple[str, str, str] | None] = {}


def _component(key: str, prefix: str, when: str) -> tuple[str, str, str] | None:
    """The family of a component key, memoised: the same few hundred keys recur per scrape."""
    memo = (key, prefix, when)
    if memo not in _COMPONENTS:
        found = family_of(key)
        if found is None:
            _COMPONENTS[memo] = None
        else:
            name, group, extra = found
            _COMPONENTS[memo] = (prefix + name,
                                 HELP[group].format(when=when, what=name.split("_", 1)[-1]),
                                 label_text(extra))
    return _COMPONENTS[memo]


def add_components(families: Families, bucket: Mapping[str, Number], labels: str,
                   view: View, questionnaires: Mapping[str, Questionnaire], prefix: str,
                   kind: str, when: str) -> None:
    """One sample per component of ``bucket`` (score counts only for distribution views),
    plus the top- and bottom-box counts of every known survey dimension; ``labels`` is the
    label text of the key (and window)."""
    suffix = "_total" if kind == "counter" else ""
    for key, value in bucket.items():
        if not view.distribution and is_score_count(key):
            continue
        found = _component(key, prefix, when)
        if found is not None:
            name, help_text, extra = found
            families.add(name, help_text, kind, join(labels, extra), value, suffix)
    for questionnaire, dimension in survey_dimensions(bucket):
        known = questionnaires.get(questionnaire)
        if known is None:
            continue
        base = f"surveys/{questionnaire}/{dimension}/score/"
        dim_labels = join(labels, label_text({"questionnaire": questionnaire,
                                              "dimension": dimension}))
        for box, top in (("top", True), ("bottom", False)):
            scores = box_scores(known.scale_min, known.scale_max, None, top)
            count = sum(bucket.get(f"{base}{score}", 0) for score in scores)
            families.add(f"{prefix}survey_{box}_box_responses",
                         f"Survey responses {when} in the {box} box of their scale (1 score "
                         f"on scales up to 7 points, 2 above). Sum across workers.",
                         kind, dim_labels, count, suffix)


class WindowCollector(Collector):
    """Window gauges of the keys in the snapshots that ``source`` returns.

    ``source`` gives the published KeyTotals of the partitions this worker actively owns; it
    must only read references the stream replaces whole (never dicts it mutates).
    """

    def __init__(self, source: Callable[[], Iterable[KeyTotals]], views: Mapping[str, View],
                 questionnaires: Mapping[str, Questionnaire],
                 targets: SurveyTargets = SurveyTargets()) -> None:
        self.source = source
        self.views = views
        self.questionnaires = questionnaires
        self.targets = targets

    def collect(self) -> Iterable[Metric]:
        return self.families().metrics()

    def families(self) -> Families:
        """Every series of the published keys, as text lines (the /metrics render path)."""
        keys: dict[str, KeyTotals] = {}
        for totals in self.source():
            view = self.views.get(totals.key.split("|", 1)[0])
            if view is None or not view.export:
                continue   # a view removed from the configuration, or kept for stage 2 only
            seen = keys.get(totals.key)
            keys[totals.key] = totals if seen is None else seen.merged(totals)
        families = Families()
        for key in sorted(keys):
            self._key(families, keys[key])
        return families

    def _key(self, families: Families, totals: KeyTotals) -> None:
        labels = key_labels(self.views, totals.key)
        view = self.views[labels["view"]]
        owned = OTHER not in list(labels.values())[1:]
        text = label_text(labels)
        for window, bucket in totals.windows.items():
            window_labels = join(text, label_text({"window": window}))
            add_components(families, bucket, window_labels, view, self.questionnaires,
                           "cxpulse_window_", "gauge", "in the window")
            if owned:
                self._ratios(families, bucket, window_labels)
        for key, value in sorted(totals.backlog.items()):
            _, kind, field = key.split("/")
            kind_labels = join(text, label_text({"kind": kind}))
            if field == "opened":
                families.add("cxpulse_tickets_open",
                             "Open tickets now (backlog), by kind. Sum across workers.",
                             "gauge", kind_labels, value)
            else:
                families.add("cxpulse_tickets_open_created_timestamp_seconds_sum",
                             "Sum of creation times of open tickets; mean age = time() - "
                             "this / cxpulse_tickets_open. Sum across workers.",
                             "gauge", kind_labels, value)

    def _ratios(self, families: Families, bucket: Mapping[str, Number], labels: str) -> None:
        """Headline ratios of a key one worker owns whole; the components beside them hold
        the sample (offered calls, first responses, judged complaints, contacts, responses)."""
        def ratio(name: str, help_text: str, value: float | None, **extra: str) -> None:
            assert name in RATIO_FAMILIES
            if value is not None:
                families.add(name, help_text + " Never sum or average across keys.", "gauge",
                             join(labels, label_text(extra)), value)

        if any(key.startswith("calls/") for key in bucket):
            calls = call_totals(bucket)
            ratio("cxpulse_window_service_level_ratio",
                  "Answered within target rings / (offered - short abandons) in the window.",
                  calls.service_level())
            ratio("cxpulse_window_calls_abandonment_ratio",
                  "Abandoned (not short) / (offered - short abandons) in the window.",
                  calls.abandonment_rate())
            ratio("cxpulse_window_calls_speed_of_answer_seconds",
                  "Average wait of answered calls in the window (seconds).",
                  calls.average_speed_of_answer_s())
        for kind in ticket_kinds(bucket):
            ratio("cxpulse_window_tickets_first_response_points_mean",
                  "Mean first-response score (5/4/3/1 points) in the window.",
                  ticket_totals(bucket, kind).mean_first_response_points(), kind=kind)
        for name, value in clock_figures(bucket).items() if any(
                key.startswith("clocks/") for key in bucket) else ():
            ratio("cxpulse_window_complaint_clock_on_time_ratio",
                  "Complaints within the clock's limit / complaints judged in the window.",
                  value, clock=name.split(".")[1])
        if "fcr/contacts" in bucket:
            ratio("cxpulse_window_fcr_ratio",
                  "First-contact resolution: (contacts - failed) / contacts in the window.",
                  fcr_figures(bucket)["fcr.rate"])
        self._survey_ratios(families, bucket, labels, ratio)

    def _survey_ratios(self, families: Families, bucket: Mapping[str, Number], labels: str,
                       ratio: Callable[..., None]) -> None:
        indices: dict[str, list[float]] = {}
        for questionnaire, dimension in survey_dimensions(bucket):
            known = self.questionnaires.get(questionnaire)
            if known is None:
                continue
            totals = survey_totals(bucket, questionnaire, dimension, known.scale_min,
                                   known.scale_max)
            index = totals.index()
            if index is None:
                continue
            extra = {"questionnaire": questionnaire, "dimension": dimension}
            ratio("cxpulse_window_survey_index",
                  "Dimension index on 100 points (mean / scale max x 100) in the window; read "
                  "cxpulse_window_survey_responses beside it.", index, **extra)
            ratio("cxpulse_window_survey_gap_to_target",
                  "Responses that would each need one more point for the index to reach the "
                  "dimension's target.",
                  totals.gap_to_target(self.targets.target(questionnaire, dimension)), **extra)
            ratio("cxpulse_window_survey_low_sample",
                  "1 when the dimension has fewer responses than the minimum sample.",
                  float(totals.low_sample(self.targets.min_sample)), **extra)
            indices.setdefault(questionnaire, []).append(index)
        for questionnaire, values in indices.items():
            overall = overall_index(values)
            ratio("cxpulse_window_survey_overall_index",
                  "Arithmetic mean of the questionnaire's dimension indices in the window.",
                  None if overall is None else float(overall), questionnaire=questionnaire)
