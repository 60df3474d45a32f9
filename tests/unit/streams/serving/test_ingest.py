"""IngestMetrics on a fresh registry: series exist at zero, names and help, exposition text."""

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from metrics.events import reasons
from streams.serving.ingest import IngestMetrics

TOPICS = ("cx.calls", "cx.tickets", "cx.surveys")


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> IngestMetrics:
    return IngestMetrics(registry, TOPICS)


def _zero_series() -> list[tuple[str, dict[str, str]]]:
    series: list[tuple[str, dict[str, str]]] = []
    for topic in TOPICS:
        series += [("cxpulse_messages_total", {"topic": topic, "format": fmt})
                   for fmt in ("single", "envelope")]
        series += [(name, {"topic": topic}) for name in (
            "cxpulse_events_accepted_total", "cxpulse_events_duplicate_total",
            "cxpulse_deadletter_errors_total", "cxpulse_event_age_seconds_count",
            "cxpulse_event_age_seconds_sum", "cxpulse_messages_stale_total",
            "cxpulse_source_seeks_total", "cxpulse_source_messages_skipped_total",
        )]
        series += [("cxpulse_events_rejected_total", {"topic": topic, "reason": reason})
                   for reason in reasons.ALL]
    series += [("cxpulse_customers_evicted_total", {"cause": cause}) for cause in ("ttl",)]
    series += [("cxpulse_dedupe_ids_forgotten_total", {}),
               ("cxpulse_flush_waits_abandoned_total", {})]
    return series


@pytest.mark.parametrize(("name", "labels"), _zero_series())
def test_known_series_start_at_zero(registry, metrics, name, labels):
    assert registry.get_sample_value(name, labels) == 0.0


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("cxpulse_events_rejected_total", {"topic": "cx.other", "reason": reasons.BAD_JSON}),
        ("cxpulse_events_rejected_total", {"topic": "cx.calls", "reason": "not_a_reason"}),
        ("cxpulse_customers_evicted_total", {"cause": "other"}),
    ],
)
def test_unknown_series_do_not_exist(registry, metrics, name, labels):
    assert registry.get_sample_value(name, labels) is None


def test_increments_land_on_their_series(registry, metrics):
    metrics.rejected.labels("cx.calls", reasons.WRONG_TYPE).inc()
    metrics.rejected.labels("cx.calls", reasons.WRONG_TYPE).inc()
    metrics.accepted.labels("cx.surveys").inc(5)

    assert registry.get_sample_value(
        "cxpulse_events_rejected_total", {"topic": "cx.calls", "reason": reasons.WRONG_TYPE}
    ) == 2.0
    assert registry.get_sample_value(
        "cxpulse_events_rejected_total", {"topic": "cx.tickets", "reason": reasons.WRONG_TYPE}
    ) == 0.0
    assert registry.get_sample_value(
        "cxpulse_events_accepted_total", {"topic": "cx.surveys"}) == 5.0


def test_counter_names_end_in_total_and_every_family_has_help(registry, metrics):
    families = list(registry.collect())

    assert {f.name for f in families} == {
        "cxpulse_messages", "cxpulse_events_accepted", "cxpulse_events_rejected",
        "cxpulse_events_duplicate", "cxpulse_deadletter_errors", "cxpulse_dedupe_ids_forgotten",
        "cxpulse_customers_evicted", "cxpulse_event_age_seconds", "cxpulse_consumer_lag_messages",
        "cxpulse_events_late", "cxpulse_events_replayed", "cxpulse_ticket_anomalies",
        "cxpulse_flushes", "cxpulse_flush_seconds", "cxpulse_state_written",
        "cxpulse_agent_overflow_events",
        "cxpulse_messages_stale", "cxpulse_source_seeks", "cxpulse_source_messages_skipped",
        "cxpulse_flush_waits_abandoned",
    }
    for family in families:
        assert len(family.documentation) > 20, family.name
        if family.type == "counter":
            assert {s.name for s in family.samples} <= {
                f"{family.name}_total", f"{family.name}_created"}, family.name
            assert any(s.name == f"{family.name}_total" for s in family.samples), family.name


def test_metrics_are_not_labelled_by_customer_or_event(registry, metrics):
    labels = {label for family in registry.collect() for s in family.samples for label in s.labels}

    assert labels <= {"topic", "format", "reason", "cause", "partition", "le", "anomaly", "unit"}


def test_counter_exposition_text(registry, metrics):
    metrics.customers_evicted.labels("ttl").inc(2)

    # restricted to the _total samples: the _created timestamps differ per run
    text = generate_latest(registry.restricted_registry(["cxpulse_customers_evicted_total"]))

    assert text.decode() == (
        "# HELP cxpulse_customers_evicted_total Idle customer records evicted from the customer "
        "table (cause ttl: idle longer than CXPULSE_CUSTOMER_TTL_S).\n"
        "# TYPE cxpulse_customers_evicted_total counter\n"
        'cxpulse_customers_evicted_total{cause="ttl"} 2.0\n'
    )


def test_event_age_histogram_exposition_text(registry):
    metrics = IngestMetrics(registry, ["cx.calls"])
    age = metrics.event_age.labels("cx.calls")
    for age_s in (-3.0, 1.0, 4.0, 100_000.0):  # a negative age (clock skew) is <= 1 s
        age.observe(age_s)

    text = generate_latest(registry.restricted_registry([
        "cxpulse_event_age_seconds_bucket", "cxpulse_event_age_seconds_count",
        "cxpulse_event_age_seconds_sum",
    ]))

    buckets = [("1.0", 2), ("5.0", 3), ("15.0", 3), ("60.0", 3), ("300.0", 3), ("900.0", 3),
               ("3600.0", 3), ("14400.0", 3), ("86400.0", 3), ("+Inf", 4)]
    assert text.decode() == (
        "# HELP cxpulse_event_age_seconds Processing time minus event time for accepted events, "
        "by source topic. Use for end-to-end freshness; negative ages (clock skew) land in the "
        "first bucket.\n"
        "# TYPE cxpulse_event_age_seconds histogram\n"
        + "".join(f'cxpulse_event_age_seconds_bucket{{le="{le}",topic="cx.calls"}} {n}.0\n'
                  for le, n in buckets)
        + 'cxpulse_event_age_seconds_count{topic="cx.calls"} 4.0\n'
        'cxpulse_event_age_seconds_sum{topic="cx.calls"} 100002.0\n'
    )


def test_two_instances_need_two_registries():
    registry = CollectorRegistry()
    IngestMetrics(registry, TOPICS)

    with pytest.raises(ValueError, match="Duplicated timeseries"):
        IngestMetrics(registry, TOPICS)
