"""Prometheus instruments of stage 1 (ingest), registered on a registry that is passed in.

Counters are additive across workers: sum them in PromQL. Label values that are known up front
are initialised so a series exists at zero before its first increment.
"""

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from metrics.events import reasons

EVENT_AGE_BUCKETS_S = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, float("inf"))


class IngestMetrics:
    """Counts of what stage 1 accepted, rejected and dropped as duplicate, per source topic."""

    def __init__(self, registry: CollectorRegistry, topics: Iterable[str]) -> None:
        self.messages = Counter(
            "cxpulse_messages",
            "Kafka messages read by stage 1, by source topic and format (single or envelope). "
            "Use for message rates; events per message = events / messages.",
            ["topic", "format"],
            registry=registry,
        )
        self.accepted = Counter(
            "cxpulse_events_accepted",
            "Valid, first-seen events accepted by stage 1, by source topic. "
            "Use as the denominator of rejection and duplicate ratios.",
            ["topic"],
            registry=registry,
        )
        self.rejected = Counter(
            "cxpulse_events_rejected",
            "Events (or whole messages that could not be split into events) rejected to the "
            "dead-letter topic, by source topic and reason. Alert on a rising ratio.",
            ["topic", "reason"],
            registry=registry,
        )
        self.duplicates = Counter(
            "cxpulse_events_duplicate",
            "Events dropped because their event_id was already accepted (redelivery or "
            "producer retry), by source topic.",
            ["topic"],
            registry=registry,
        )
        self.deadletter_errors = Counter(
            "cxpulse_deadletter_errors",
            "Rejections that could not be written to the dead-letter topic after retries. "
            "Any increase means rejected input was lost: page.",
            ["topic"],
            registry=registry,
        )
        self.dedupe_forgotten = Counter(
            "cxpulse_dedupe_ids_forgotten",
            "event_ids dropped from the duplicate memory by age or the per-customer cap; a "
            "redelivery after that is counted as a new event.",
            registry=registry,
        )
        self.stale_messages = Counter(
            "cxpulse_messages_stale",
            "Source messages fetched before a rebalance that reached stage 1 after it (their "
            "processing awaited across it). Not applied: the partition's owner reads them again "
            "from the committed offset, in order.",
            ["topic"],
            registry=registry,
        )
        self.source_seeks = Counter(
            "cxpulse_source_seeks",
            "Times a source partition's consumer started past the last flushed cut and was "
            "sent back to it (see docs/architecture.md, consumer positions).",
            ["topic"],
            registry=registry,
        )
        self.source_skipped = Counter(
            "cxpulse_source_messages_skipped",
            "Source messages never read because the restart offset could not be reached "
            "(deleted by retention while no worker read the partition). Any increase is loss.",
            ["topic"],
            registry=registry,
        )
        self.customers_evicted = Counter(
            "cxpulse_customers_evicted",
            "Idle customer records evicted from the customer table (cause ttl: idle longer than "
            "CXPULSE_CUSTOMER_TTL_S).",
            ["cause"],
            registry=registry,
        )
        self.event_age = Histogram(
            "cxpulse_event_age_seconds",
            "Processing time minus event time for accepted events, by source topic. "
            "Use for end-to-end freshness; negative ages (clock skew) land in the first bucket.",
            ["topic"],
            buckets=EVENT_AGE_BUCKETS_S,
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "cxpulse_consumer_lag_messages",
            "Messages between the last one this worker processed and the partition high-water "
            "mark, for actively assigned partitions that delivered a message since assignment.",
            ["topic", "partition"],
            registry=registry,
        )
        self.late = Counter(
            "cxpulse_events_late",
            "Valid events older than their partition's newest event time minus the grace "
            "period: counted here, remembered for dedupe, left out of every metric.",
            ["topic"],
            registry=registry,
        )
        self.replayed = Counter(
            "cxpulse_events_replayed",
            "Redelivered events (after a crash or rebalance) whose effects were already in "
            "the saved customer state, so they were skipped.",
            ["topic"],
            registry=registry,
        )
        self.ticket_anomalies = Counter(
            "cxpulse_ticket_anomalies",
            "Ticket events that did not fit the ticket's lifecycle (orphan, created twice, "
            "closed twice, before creation ...): accepted and counted, no metric changed.",
            ["anomaly"],
            registry=registry,
        )
        self.flushes = Counter(
            "cxpulse_flushes",
            "Stage-1 flushes: state, partials and acks of one partition written together.",
            registry=registry,
        )
        self.flush_seconds = Histogram(
            "cxpulse_flush_seconds",
            "Wall time of one stage-1 flush (meta, partials, customer records, meta).",
            buckets=(0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, float("inf")),
            registry=registry,
        )
        self.state_written = Counter(
            "cxpulse_state_written",
            "Stage-1 changelog records written (customer records, deletions and meta records), "
            "by unit: records or bytes (values; a deletion counts 0 bytes).",
            ["unit"], registry=registry,
        )
        self.state_records = self.state_written.labels("records")
        self.state_bytes = self.state_written.labels("bytes")
        self.revoke_waits_abandoned = Counter(
            "cxpulse_flush_waits_abandoned",
            "Revoked source partitions whose stage-1 flush still ran after 10 s: their state "
            "was dropped without waiting longer (that flush acks nothing; its records may reach "
            "the changelog after the new owner restored it). Any increase: see flush_seconds.",
            registry=registry,
        )
        self.agent_overflow = Gauge(
            "cxpulse_agent_overflow_events",
            "Events whose agent was folded into agent=\"other\" because the agent cut "
            "reached its cap, since the worker started.",
            registry=registry,
        )
        self._outcomes = {"accepted": self.accepted, "duplicate": self.duplicates,
                          "late": self.late, "replayed": self.replayed}
        for topic in topics:
            self.late.labels(topic)
            self.replayed.labels(topic)
            self.accepted.labels(topic)
            self.duplicates.labels(topic)
            self.deadletter_errors.labels(topic)
            self.event_age.labels(topic)
            self.stale_messages.labels(topic)
            self.source_seeks.labels(topic)
            self.source_skipped.labels(topic)
            for fmt in ("single", "envelope"):
                self.messages.labels(topic, fmt)
            for reason in reasons.ALL:
                self.rejected.labels(topic, reason)
        for anomaly in ("orphan", "created_twice", "closed_twice", "before_creation",
                        "second_first_response", "paused_twice", "resumed_unpaused"):
            self.ticket_anomalies.labels(anomaly)
        self.customers_evicted.labels("ttl")

    def outcome(self, topic: str, outcome: str) -> Counter:
        """The counter child for one metrics.contributions.Outcome (or "replayed")."""
        return self._outcomes[outcome].labels(topic)
