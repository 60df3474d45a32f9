"""Stage 2's own instruments: what it did with partials, its clock, its writes."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Stage2Metrics:
    """Counters of what stage 2 did with partials."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.partials = Counter(
            "cxpulse_partials",
            "Partials read by stage 2, by result: applied, replayed (offsets already applied, "
            "ignored), overlap (applied, but its range overlapped one already applied) or "
            "unknown_view (for a view this worker's configuration lacks: dropped).",
            ["result"], registry=registry)
        self.expired = Counter(
            "cxpulse_partial_buckets_expired",
            "Minute buckets older than the 30 d window when they reached stage 2 (dropped).",
            registry=registry)
        self.clock = Gauge(
            "cxpulse_window_clock_timestamp_seconds",
            "Event-time clock the windows of this stage-2 partition end at (newest event time "
            "stage 1 reported).", ["partition"], registry=registry)
        self.folded = Counter(
            "cxpulse_view_partials_folded",
            "Partials of view keys past their view's max_keys in a stage-2 partition, merged "
            "into the view's other key instead. Any increase: raise max_keys or drop the view.",
            ["view"], registry=registry)
        self.revoke_waits_abandoned = Counter(
            "cxpulse_window_flush_waits_abandoned",
            "Revoked cx.partials partitions whose stage-2 flush still ran after 10 s: their "
            "windows were dropped without waiting longer (that flush acks nothing; its records "
            "may reach the changelog after the new owner restored it).", registry=registry)
        self.state_written = Counter(
            "cxpulse_stage2_state_written",
            "Stage-2 changelog records written (window, history and clock records), by unit: "
            "records or bytes.", ["unit"], registry=registry)
        self.flush_seconds = Histogram(
            "cxpulse_stage2_flush_seconds",
            "Wall time of one stage-2 flush (advance, publish, judge dives, write records).",
            buckets=(0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, float("inf")),
            registry=registry)
        self.state_records = self.state_written.labels("records")
        self.state_bytes = self.state_written.labels("bytes")
        self.applied = self.partials.labels("applied")
        self.replayed = self.partials.labels("replayed")
        self.overlap = self.partials.labels("overlap")
        self.unknown_view = self.partials.labels("unknown_view")
