"""Prometheus families of additive components: the key -> family table, stage-1 counters and
stage-2 window gauges with their ratios, read from a fresh registry."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from metrics.component_metrics import StageOneCounters, WindowGauges, family_of
from metrics.components import call_totals
from metrics.contributions import (
    SEGMENT_FIELDS,
    AgentCap,
    CatalogueRules,
    Contributions,
    apply_event,
)
from metrics.events import CallEvent, SurveyEvent, TicketEvent
from metrics.surveys import SurveyTargets, dimension_index, overall_index
from metrics.windows import SegmentWindows
from tests import factories

SEG = "east|phone|q-general|residential|repair|unknown|all"
LABELS = dict(zip(SEGMENT_FIELDS, SEG.split("|")))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = CatalogueRules()
FORBIDDEN = {"customer_id", "ticket_id", "event_id", "call_id"}


@pytest.mark.parametrize(("key", "expected"), [
    ("calls/offered", ("calls_offered", "calls", {})),
    ("calls/answered_within_target", ("calls_answered_within_target", "calls", {})),
    ("calls/answer_wait_s_sum", ("calls_answer_wait_seconds_sum", "calls", {})),
    ("calls/abandon_wait_s_sum", ("calls_abandon_wait_seconds_sum", "calls", {})),
    ("calls/talk_s_sum", ("calls_talk_seconds_sum", "calls", {})),
    ("tickets/repair/closed", ("tickets_closed", "tickets", {"kind": "repair"})),
    ("tickets/complaint/first_response_points_sum",
     ("tickets_first_response_points_sum", "tickets", {"kind": "complaint"})),
    ("tickets/complaint/first_response_points/5",
     ("tickets_first_responses_by_points", "tickets", {"kind": "complaint", "points": "5"})),
    ("tickets/repair/resolved_band/first_contact",
     ("tickets_resolved_by_band", "tickets", {"kind": "repair", "band": "first_contact"})),
    ("clocks/response/judged", ("complaint_clock_judged", "complaint_clock",
                                {"clock": "response"})),
    ("clocks/solution/on_time", ("complaint_clock_on_time", "complaint_clock",
                                 {"clock": "solution"})),
    ("fcr/contacts", ("fcr_contacts", "fcr", {})),
    ("fcr/failed", ("fcr_failed", "fcr", {})),
    ("fcr/dropped", ("fcr_dropped", "fcr", {})),
    ("surveys/segue/genuine/responses",
     ("survey_responses", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/sum_scores",
     ("survey_score_sum", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/sum_squares",
     ("survey_score_squares_sum", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/score/4",
     ("survey_scores", "survey", {"questionnaire": "segue", "dimension": "genuine",
                                  "score": "4"})),
    ("tickets/repair/opened", None),
    ("tickets/complaint/opened_created_s", None),
    ("unknown/thing", None),
])
def test_family_of(key, expected):
    assert family_of(key) == expected


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def events() -> list[Any]:
    return [
        CallEvent.model_validate(factories.call(customer_id="c1", occurred_at=at(0))),
        CallEvent.model_validate(factories.call(customer_id="c2", occurred_at=at(5),
                                                wait_s=300.0)),
        CallEvent.model_validate(factories.call(customer_id="c3", occurred_at=at(10),
                                                outcome="abandoned", wait_s=40.0,
                                                talk_s=None)),
        TicketEvent.model_validate(factories.ticket(customer_id="c1", occurred_at=at(20),
                                                    kind="repair", ticket_id="t1")),
        SurveyEvent.model_validate(factories.survey(customer_id="c1", occurred_at=at(30))),
        SurveyEvent.model_validate(factories.survey(
            customer_id="c2", occurred_at=at(40),
            scores={"service_skill": 6, "attitude": 8, "timeliness": 10, "parts_supply": 5,
                    "overall": 7})),
    ]


def contributions() -> Contributions:
    out = Contributions()
    records: dict[str, dict[str, Any]] = {}
    for event in events():
        apply_event(RULES, event, records.setdefault(event.customer_id, {}), float("-inf"),
                    AgentCap(False, 200), out)
    return out


def windows_of(out: Contributions) -> SegmentWindows:
    windows = SegmentWindows()
    for (segment, minute), bucket in out.buckets.items():
        assert segment == SEG
        windows.add_bucket(minute, bucket)
    windows.advance(T0.timestamp() + 59)
    return windows


def registry_with(collector: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    return registry


def label_names(registry: CollectorRegistry) -> set[str]:
    return {name for metric in registry.collect() for sample in metric.samples
            for name in sample.labels}


# -- stage-1 counters -----------------------------------------------------------------------
def test_stage_one_counters_are_totals_with_segment_labels():
    counters = StageOneCounters()
    for (segment, _), bucket in contributions().buckets.items():
        counters.add(segment, bucket)
    counters.add(SEG, {"calls/offered": 2})
    registry = registry_with(counters)

    assert registry.get_sample_value("cxpulse_calls_offered_total", LABELS) == 5
    assert registry.get_sample_value("cxpulse_calls_abandoned_total", LABELS) == 1
    assert registry.get_sample_value("cxpulse_tickets_created_total",
                                     {**LABELS, "kind": "repair"}) == 1
    assert registry.get_sample_value(
        "cxpulse_survey_scores_total",
        {**LABELS, "questionnaire": "after_sales_10", "dimension": "attitude",
         "score": "10"}) == 1
    for metric in registry.collect():
        assert metric.type == "counter"
        for sample in metric.samples:
            assert set(SEGMENT_FIELDS) <= set(sample.labels)
            assert "window" not in sample.labels


def test_stage_one_counters_skip_backlog_keys():
    counters = StageOneCounters()
    counters.add(SEG, {"tickets/repair/opened": 1, "calls/offered": 1})

    names = {metric.name for metric in registry_with(counters).collect()}

    assert names == {"cxpulse_calls_offered"}


def test_stage_one_counters_never_label_by_id():
    counters = StageOneCounters()
    for (segment, _), bucket in contributions().buckets.items():
        counters.add(segment, bucket)

    assert not label_names(registry_with(counters)) & FORBIDDEN


# -- window gauges ----------------------------------------------------------------------------
def gauges(targets: SurveyTargets = SurveyTargets()) -> tuple[CollectorRegistry, SegmentWindows]:
    windows = windows_of(contributions())
    gauges = WindowGauges(lambda: [(SEG, windows)], factories.questionnaires(), targets)
    return registry_with(gauges), windows


@pytest.mark.parametrize("window", ["1h", "24h", "7d", "30d"])
def test_window_gauges_expose_calls_offered_per_window(window):
    registry, _ = gauges()

    assert registry.get_sample_value("cxpulse_window_calls_offered",
                                     {**LABELS, "window": window}) == 3
    assert registry.get_sample_value("cxpulse_window_calls_answer_wait_seconds_sum",
                                     {**LABELS, "window": window}) == 7.5 + 300.0 + 0


@pytest.mark.parametrize("window", ["1h", "30d"])
def test_service_level_ratio_equals_call_totals(window):
    registry, windows = gauges()
    expected = call_totals(windows.totals[window]).service_level()

    value = registry.get_sample_value("cxpulse_window_service_level_ratio",
                                      {**LABELS, "window": window})

    assert expected is not None
    assert value == expected


DIMENSIONS = {"service_skill": (9, 6), "attitude": (10, 8), "timeliness": (7, 10),
              "parts_supply": (8, 5), "overall": (9, 7)}


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_survey_index_and_gap_per_dimension(dimension):
    registry, _ = gauges()
    labels = {**LABELS, "window": "24h", "questionnaire": "after_sales_10",
              "dimension": dimension}
    scores = DIMENSIONS[dimension]

    index = registry.get_sample_value("cxpulse_window_survey_index", labels)

    assert index == dimension_index(sum(scores), len(scores), 10)
    assert registry.get_sample_value("cxpulse_window_survey_responses", labels) == 2
    assert registry.get_sample_value("cxpulse_window_survey_low_sample", labels) == 1.0
    gap = registry.get_sample_value("cxpulse_window_survey_gap_to_target", labels)
    # Each extra point adds 100 / (responses x scale max) = 5 index points.
    assert gap == max(0, -(-(80 - index) // 5))


def test_the_gap_is_to_the_dimension_s_own_target():
    # timeliness: (7 + 10) / 2 on 10 points = index 85; at 95 that is ceil(19 - 17) = 2 moves.
    targets = SurveyTargets(default=50, by_dimension={("after_sales_10", "timeliness"): 95})
    registry, _ = gauges(targets)
    labels = {**LABELS, "window": "24h", "questionnaire": "after_sales_10"}

    def gap(dimension: str) -> float | None:
        return registry.get_sample_value("cxpulse_window_survey_gap_to_target",
                                         {**labels, "dimension": dimension})

    assert (gap("timeliness"), gap("attitude")) == (2, 0)


def test_survey_overall_index_is_the_mean_of_dimension_indices():
    registry, _ = gauges()
    indices = [dimension_index(sum(s), len(s), 10) for s in DIMENSIONS.values()]

    overall = registry.get_sample_value(
        "cxpulse_window_survey_overall_index",
        {**LABELS, "window": "7d", "questionnaire": "after_sales_10"})

    assert overall == pytest.approx(float(overall_index(indices)))


def test_backlog_is_exported_outside_the_windows():
    registry, _ = gauges()

    assert registry.get_sample_value("cxpulse_tickets_open", {**LABELS, "kind": "repair"}) == 1
    assert registry.get_sample_value(
        "cxpulse_tickets_open_created_timestamp_seconds_sum",
        {**LABELS, "kind": "repair"}) == T0.timestamp() + 20
    assert registry.get_sample_value("cxpulse_window_tickets_opened",
                                     {**LABELS, "window": "1h", "kind": "repair"}) is None


def test_window_gauges_never_label_by_id():
    registry, _ = gauges()

    names = label_names(registry)

    assert "window" in names
    assert not names & FORBIDDEN


def test_window_gauges_of_no_segments_are_empty_families():
    registry = registry_with(WindowGauges(lambda: [], factories.questionnaires()))

    assert all(not metric.samples for metric in registry.collect())
