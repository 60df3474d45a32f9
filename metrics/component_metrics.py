"""Prometheus families for additive components: stage-1 counters and stage-2 window gauges.

Both come from custom collectors that read the live sums at scrape time, so a scrape never sees
half an update and series for segments a worker no longer owns disappear with it. A component
key (metrics.components) maps to one family and a few labels:

    calls/offered                            cxpulse_window_calls_offered
    calls/answer_wait_s_sum                  cxpulse_window_calls_answer_wait_seconds_sum
    tickets/<kind>/closed                    cxpulse_window_tickets_closed{kind}
    tickets/<kind>/first_response_points/5   cxpulse_window_tickets_first_responses_by_points
                                                 {kind, points="5"}
    tickets/<kind>/resolved_band/<band>      cxpulse_window_tickets_resolved_by_band{kind, band}
    clocks/<clock>/<judged|on_time>          cxpulse_window_complaint_clock_<...>{clock}
    fcr/<contacts|failed|dropped>            cxpulse_window_fcr_<...>
    surveys/<q>/<dim>/responses              cxpulse_window_survey_responses{questionnaire, dimension}
    surveys/<q>/<dim>/sum_scores             cxpulse_window_survey_score_sum{...}
    surveys/<q>/<dim>/sum_squares            cxpulse_window_survey_score_squares_sum{...}
    surveys/<q>/<dim>/score/<n>              cxpulse_window_survey_scores{..., score}

Stage-1 counters use the same names with ``window`` replaced by nothing and ``_total`` added
(cxpulse_calls_offered_total); they count since the worker started and add up across workers.
Every series also carries the segment labels (SEGMENT_FIELDS) and, for gauges, ``window``.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from metrics.components import Number, call_totals, is_backlog_key, survey_totals
from metrics.contributions import SEGMENT_FIELDS, SEP
from metrics.questionnaires import Questionnaire
from metrics.surveys import SurveyTargets, overall_index

_CALL_NAMES = {"answer_wait_s_sum": "answer_wait_seconds_sum",
               "abandon_wait_s_sum": "abandon_wait_seconds_sum",
               "talk_s_sum": "talk_seconds_sum"}
_SURVEY_NAMES = {"responses": "responses", "sum_scores": "score_sum",
                 "sum_squares": "score_squares_sum"}

HELP = {
    "calls": "Calls of the segment {when}: {what} (domain.md, calls).",
    "tickets": "Tickets of the segment {when}: {what}, by ticket kind.",
    "complaint_clock": "Complaints {when} whose {what} (response or solution clock, business hours).",
    "fcr": "First-contact-resolution contacts {when}: {what}.",
    "survey": "Survey responses {when}: {what}, per questionnaire dimension.",
}


def family_of(key: str) -> tuple[str, str, dict[str, str]] | None:
    """(family suffix, help group, extra labels) for a component key; None for backlog keys."""
    if is_backlog_key(key):
        return None
    parts = key.split("/")
    head = parts[0]
    if head == "calls":
        return "calls_" + _CALL_NAMES.get(parts[1], parts[1]), "calls", {}
    if head == "tickets":
        kind = parts[1]
        if parts[2] == "first_response_points":
            return "tickets_first_responses_by_points", "tickets", {"kind": kind,
                                                                    "points": parts[3]}
        if parts[2] == "resolved_band":
            return "tickets_resolved_by_band", "tickets", {"kind": kind, "band": parts[3]}
        return "tickets_" + parts[2], "tickets", {"kind": kind}
    if head == "clocks":
        return "complaint_clock_" + parts[2], "complaint_clock", {"clock": parts[1]}
    if head == "fcr":
        return "fcr_" + parts[1], "fcr", {}
    if head == "surveys":
        labels = {"questionnaire": parts[1], "dimension": parts[2]}
        if parts[3] == "score":
            return "survey_scores", "survey", {**labels, "score": parts[4]}
        return "survey_" + _SURVEY_NAMES[parts[3]], "survey", labels
    return None


def segment_labels(segment: str) -> dict[str, str]:
    return dict(zip(SEGMENT_FIELDS, segment.split(SEP)))


class _Families:
    """Metric families built during one collect(), keyed by name and label names."""

    def __init__(self, prefix: str, suffix: str, kind: str, when: str) -> None:
        self.prefix, self.suffix, self.kind, self.when = prefix, suffix, kind, when
        self.families: dict[str, Any] = {}

    def add(self, key: str, labels: Mapping[str, str], value: Number) -> None:
        found = family_of(key)
        if found is None:
            return
        name, group, extra = found
        all_labels = {**labels, **extra}
        family = self.families.get(name)
        if family is None:
            help_text = HELP[group].format(when=self.when, what=name.split("_", 1)[-1])
            factory = CounterMetricFamily if self.kind == "counter" else GaugeMetricFamily
            family = factory(f"{self.prefix}{name}{self.suffix}", help_text,
                             labels=list(all_labels))
            family.cxpulse_labels = list(all_labels)  # type: ignore[attr-defined]
            self.families[name] = family
        family.add_metric([all_labels[label] for label in family.cxpulse_labels], value)


class StageOneCounters(Collector):
    """Counters of components stage 1 has flushed since start, per segment."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, Number]] = {}

    def add(self, segment: str, bucket: Mapping[str, Number]) -> None:
        target = self.sums.setdefault(segment, {})
        for key, value in bucket.items():
            target[key] = target.get(key, 0) + value

    def collect(self) -> Iterable[Metric]:
        families = _Families("cxpulse_", "", "counter", "since the worker started")
        for segment, bucket in self.sums.items():
            labels = segment_labels(segment)
            for key, value in bucket.items():
                families.add(key, labels, value)
        return list(families.families.values())


WindowSource = Callable[[], Iterable[tuple[str, Any]]]


class WindowGauges(Collector):
    """Window gauges of the segments this worker owns, read from ``source`` at scrape time.

    ``source`` yields (segment key, metrics.windows.SegmentWindows) for actively assigned
    partitions only (never standbys), so a segment is exported by exactly one worker.
    """

    def __init__(self, source: WindowSource, questionnaires: Mapping[str, Questionnaire],
                 targets: SurveyTargets = SurveyTargets()) -> None:
        self.source = source
        self.questionnaires = questionnaires
        self.targets = targets

    def collect(self) -> Iterable[Metric]:
        families = _Families("cxpulse_window_", "", "gauge", "in the window")
        open_tickets = GaugeMetricFamily(
            "cxpulse_tickets_open", "Open tickets of the segment now (backlog), by kind.",
            labels=[*SEGMENT_FIELDS, "kind"])
        open_created = GaugeMetricFamily(
            "cxpulse_tickets_open_created_timestamp_seconds_sum",
            "Sum of creation times of open tickets; mean age = time() - this / open.",
            labels=[*SEGMENT_FIELDS, "kind"])
        ratios = _RatioFamilies()
        for segment, windows in self.source():
            labels = segment_labels(segment)
            values = list(labels.values())
            for name, bucket in windows.totals.items():
                window_labels = {**labels, "window": name}
                for key, value in bucket.items():
                    families.add(key, window_labels, value)
                ratios.add(bucket, [*values, name], self)
            for key, value in windows.backlog.items():
                kind, field = key.split("/")[1], key.split("/")[2]
                target = open_tickets if field == "opened" else open_created
                target.add_metric([*values, kind], value)
        return [*families.families.values(), open_tickets, open_created, *ratios.all()]


class _RatioFamilies:
    """Ratio gauges, valid because one worker owns each segment (sum them never)."""

    def __init__(self) -> None:
        labels = [*SEGMENT_FIELDS, "window"]
        survey = [*labels, "questionnaire", "dimension"]
        self.service_level = GaugeMetricFamily(
            "cxpulse_window_service_level_ratio",
            "Answered within target rings / (offered - short abandons) in the window.", labels=labels)
        self.index = GaugeMetricFamily(
            "cxpulse_window_survey_index",
            "Dimension index on 100 points (mean / scale max x 100) in the window; read "
            "cxpulse_window_survey_responses beside it.", labels=survey)
        self.gap = GaugeMetricFamily(
            "cxpulse_window_survey_gap_to_target",
            "Responses that would each need one more point for the index to reach the target.",
            labels=survey)
        self.low_sample = GaugeMetricFamily(
            "cxpulse_window_survey_low_sample",
            "1 when the dimension has fewer responses than the minimum sample in the window.",
            labels=survey)
        self.overall = GaugeMetricFamily(
            "cxpulse_window_survey_overall_index",
            "Arithmetic mean of the questionnaire's dimension indices in the window.",
            labels=[*labels, "questionnaire"])

    def add(self, bucket: Mapping[str, Number], labels: list[str], owner: WindowGauges) -> None:
        calls = call_totals(bucket)
        level = calls.service_level()
        if level is not None:
            self.service_level.add_metric(labels, level)
        seen: dict[str, list[float]] = {}
        for key in bucket:
            if not key.startswith("surveys/") or not key.endswith("/responses"):
                continue
            _, questionnaire, dimension, _ = key.split("/")
            known = owner.questionnaires.get(questionnaire)
            if known is None:
                continue
            totals = survey_totals(bucket, questionnaire, dimension, known.scale_min,
                                   known.scale_max)
            index = totals.index()
            if index is None:
                continue
            series = [*labels, questionnaire, dimension]
            self.index.add_metric(series, index)
            gap = totals.gap_to_target(owner.targets.target(questionnaire, dimension))
            if gap is not None:
                self.gap.add_metric(series, gap)
            self.low_sample.add_metric(series, float(totals.low_sample(owner.targets.min_sample)))
            seen.setdefault(questionnaire, []).append(index)
        for questionnaire, indices in seen.items():
            overall = overall_index(indices)
            if overall is not None:
                self.overall.add_metric([*labels, questionnaire], float(overall))

    def all(self) -> list[Metric]:
        return [self.service_level, self.index, self.gap, self.low_sample, self.overall]
