"""View series read from a fresh registry: stage-1 counters per counter view, window gauges
with their ratios from published snapshots, the fold key, and what is never a label."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from metrics.components import call_totals
from metrics.contributions import AgentCap, CatalogueRules, Contributions, apply_event
from metrics.events import CallEvent, SurveyEvent, TicketEvent
from metrics.surveys import SurveyTargets, dimension_index, overall_index
from metrics.views import View
from metrics.windows import SegmentWindows
from streams.serving.counters import ViewCounters
from streams.serving.windows import KeyTotals, WindowCollector
from tests import factories

from tests.factories import questionnaires

CATALOGUE = questionnaires()

SEG = "east|phone|q-general|residential|repair|unknown|all"
VIEWS = {"all": View("all", counters=True, distribution=True),
         "region": View("region", ("region",), counters=True),
         "journey": View("journey", ("business_line", "journey_stage"),
                         frozenset({"tickets", "surveys"}))}
LABELS = {"view": "region", "region": "east"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = CatalogueRules()
FORBIDDEN = {"customer_id", "ticket_id", "event_id", "call_id", "queue", "channel", "agent"}


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
def counters_of(*extra: tuple[str, dict[str, float]]) -> ViewCounters:
    counters = ViewCounters(VIEWS, CATALOGUE)
    counters.add([(segment, bucket) for (segment, _), bucket in contributions().buckets.items()])
    counters.add(list(extra))
    return counters


def test_stage_one_counters_are_totals_per_counter_view_key():
    registry = registry_with(counters_of((SEG, {"calls/offered": 2})))

    assert registry.get_sample_value("cxpulse_calls_offered_total", LABELS) == 5
    assert registry.get_sample_value("cxpulse_calls_offered_total", {"view": "all"}) == 5
    assert registry.get_sample_value("cxpulse_calls_abandoned_total", LABELS) == 1
    assert registry.get_sample_value("cxpulse_tickets_created_total",
                                     {**LABELS, "kind": "repair"}) == 1
    # Per-score counts only in distribution views; box counts everywhere.
    score = {"questionnaire": "after_sales_10", "dimension": "attitude", "score": "10"}
    assert registry.get_sample_value("cxpulse_survey_scores_total",
                                     {"view": "all", **score}) == 1
    assert registry.get_sample_value("cxpulse_survey_scores_total", {**LABELS, **score}) is None
    assert registry.get_sample_value(
        "cxpulse_survey_top_box_responses_total",
        {**LABELS, "questionnaire": "after_sales_10", "dimension": "attitude"}) == 1
    views = set()
    for metric in registry.collect():
        assert metric.type == "counter"
        for sample in metric.samples:
            views.add(sample.labels["view"])
            assert "window" not in sample.labels
    assert views == {"all", "region"}   # journey has no counters


def test_stage_one_counters_skip_backlog_keys():
    counters = ViewCounters(VIEWS, CATALOGUE)
    counters.add([(SEG, {"tickets/repair/opened": 1, "calls/offered": 1})])

    names = {metric.name for metric in registry_with(counters).collect()}

    assert names == {"cxpulse_calls_offered"}


def test_stage_one_counters_fold_keys_past_the_cap():
    views = {"region": View("region", ("region",), counters=True, max_keys=1)}
    counters = ViewCounters(views, CATALOGUE)
    counters.add([(SEG, {"calls/offered": 1}),
                  (SEG.replace("east", "west"), {"calls/offered": 2}),
                  (SEG.replace("east", "north"), {"calls/offered": 4})])
    registry = registry_with(counters)

    assert registry.get_sample_value("cxpulse_calls_offered_total", LABELS) == 1
    assert registry.get_sample_value("cxpulse_calls_offered_total",
                                     {"view": "region", "region": "other"}) == 6
    assert counters.cap.folded_keys("region") == 2


def test_stage_one_counters_replace_a_key_s_dict_instead_of_changing_it():
    counters = ViewCounters(VIEWS, CATALOGUE)
    counters.add([(SEG, {"calls/offered": 1})])
    before = counters.sums["region|east"]

    counters.add([(SEG, {"calls/offered": 1})])

    assert before == {"calls/offered": 1}
    assert counters.sums["region|east"] == {"calls/offered": 2}


def test_stage_one_counters_never_label_by_id():
    assert not label_names(registry_with(counters_of())) & FORBIDDEN


# -- window gauges ----------------------------------------------------------------------------
def published(windows: SegmentWindows, key: str = "region|east",
              view: View = VIEWS["region"]) -> KeyTotals:
    return KeyTotals(key, {name: {k: v for k, v in windows.totals[name].items()
                                  if view.serves(k)} for name in ("1h", "24h")},
                     {k: v for k, v in windows.backlog.items() if view.serves(k)})


def gauges(*extra: KeyTotals) -> tuple[CollectorRegistry, SegmentWindows]:
    windows = windows_of(contributions())
    snapshots = [published(windows), *extra]
    collector = WindowCollector(lambda: snapshots, VIEWS, CATALOGUE, SurveyTargets())
    return registry_with(collector), windows


@pytest.mark.parametrize("window", ["1h", "24h"])
def test_window_gauges_expose_calls_offered_per_window(window):
    registry, _ = gauges()

    assert registry.get_sample_value("cxpulse_window_calls_offered",
                                     {**LABELS, "window": window}) == 3
    assert registry.get_sample_value("cxpulse_window_calls_answer_wait_seconds_sum",
                                     {**LABELS, "window": window}) == 7.5 + 300.0 + 0


def test_only_published_windows_are_exported():
    registry, _ = gauges()

    assert registry.get_sample_value("cxpulse_window_calls_offered",
                                     {**LABELS, "window": "30d"}) is None


@pytest.mark.parametrize("window", ["1h", "24h"])
def test_call_ratios_equal_call_totals(window):
    registry, windows = gauges()
    totals = call_totals(windows.totals[window])
    labels = {**LABELS, "window": window}

    assert totals.service_level() is not None
    assert registry.get_sample_value("cxpulse_window_service_level_ratio",
                                     labels) == totals.service_level()
    assert registry.get_sample_value("cxpulse_window_calls_abandonment_ratio",
                                     labels) == totals.abandonment_rate()
    assert registry.get_sample_value("cxpulse_window_calls_speed_of_answer_seconds",
                                     labels) == totals.average_speed_of_answer_s()


DIMENSIONS = {"service_skill": (9, 6), "attitude": (10, 8), "timeliness": (7, 10),
              "parts_supply": (8, 5), "overall": (9, 7)}


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_survey_index_gap_and_boxes_per_dimension(dimension):
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
    # The 10-point scale's boxes are two scores wide: 9-10 and 1-2.
    assert registry.get_sample_value("cxpulse_window_survey_top_box_responses",
                                     labels) == sum(s >= 9 for s in scores)
    assert registry.get_sample_value("cxpulse_window_survey_bottom_box_responses",
                                     labels) == 0


def test_survey_overall_index_is_the_mean_of_dimension_indices():
    registry, _ = gauges()
    indices = [dimension_index(sum(s), len(s), 10) for s in DIMENSIONS.values()]

    overall = registry.get_sample_value(
        "cxpulse_window_survey_overall_index",
        {**LABELS, "window": "24h", "questionnaire": "after_sales_10"})

    assert overall == pytest.approx(float(overall_index(indices)))


def test_backlog_is_exported_outside_the_windows():
    registry, _ = gauges()

    assert registry.get_sample_value("cxpulse_tickets_open", {**LABELS, "kind": "repair"}) == 1
    assert registry.get_sample_value(
        "cxpulse_tickets_open_created_timestamp_seconds_sum",
        {**LABELS, "kind": "repair"}) == T0.timestamp() + 20
    assert registry.get_sample_value("cxpulse_window_tickets_opened",
                                     {**LABELS, "window": "1h", "kind": "repair"}) is None


def test_a_view_serves_only_its_groups_with_its_own_labels():
    windows = windows_of(contributions())
    registry, _ = gauges(published(windows, "journey|residential|repair", VIEWS["journey"]))
    labels = {"view": "journey", "business_line": "residential", "journey_stage": "repair",
              "window": "24h"}

    assert registry.get_sample_value("cxpulse_window_calls_offered", labels) is None
    assert registry.get_sample_value("cxpulse_window_tickets_created",
                                     {**labels, "kind": "repair"}) == 1
    assert registry.get_sample_value(
        "cxpulse_window_survey_responses",
        {**labels, "questionnaire": "after_sales_10", "dimension": "attitude"}) == 2


def test_the_other_key_of_two_partitions_is_summed_and_has_no_ratios():
    windows = windows_of(contributions())
    other = published(windows, "region|other")
    registry, _ = gauges(other, other)
    labels = {"view": "region", "region": "other", "window": "24h"}

    assert registry.get_sample_value("cxpulse_window_calls_offered", labels) == 6
    assert registry.get_sample_value("cxpulse_window_service_level_ratio", labels) is None


def test_a_key_of_a_view_no_longer_configured_is_not_served():
    windows = windows_of(contributions())
    registry, _ = gauges(published(windows, "queue|q-general"))

    assert {sample.labels["view"] for metric in registry.collect()
            for sample in metric.samples} == {"region"}


def test_window_gauges_never_label_by_id():
    registry, _ = gauges()

    names = label_names(registry)

    assert "window" in names and "view" in names
    assert not names & FORBIDDEN


def test_window_gauges_of_no_keys_are_no_families():
    collector = WindowCollector(lambda: [], VIEWS, CATALOGUE)

    assert list(registry_with(collector).collect()) == []


def test_a_view_not_exported_is_kept_out_of_metrics():
    windows = windows_of(contributions())
    views = {**VIEWS, "region": View("region", ("region",), export=False)}
    collector = WindowCollector(lambda: [published(windows)], views, CATALOGUE)
    counters = ViewCounters(views, CATALOGUE)
    counters.add([(SEG, {"calls/offered": 1})])

    assert collector.families().series() == 0
    assert "view=\"region\"" not in counters.families().text()
