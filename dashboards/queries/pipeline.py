"""Pipeline health: events in, rejections, late events, lag, seeks, skipped messages, worker
status, scrape duration, event-loop lag and garbage-collection pauses."""

JOB = 'job="cxpulse"'


def events_in() -> str:
    """Accepted events per second by source topic, summed across workers."""
    return "sum by (topic) (rate(cxpulse_events_accepted_total[$__rate_interval]))"


def rejections_by_reason() -> str:
    """Rejected events per second by topic and reason (dead-lettered)."""
    return ("sum by (topic, reason) (rate(cxpulse_events_rejected_total[$__rate_interval])) "
            "> 0")


def rejected_ratio() -> str:
    """Rejected / (rejected + accepted) per topic over 10 minutes (the alert's ratio)."""
    return ("sum by (topic) (increase(cxpulse_events_rejected_total[10m])) "
            "/ (topic:cxpulse_events_received:increase10m > 0)")


def received_10m() -> str:
    """The rejected ratio's sample: events received per topic in 10 minutes (recording rule)."""
    return "topic:cxpulse_events_received:increase10m"


def late_ratio() -> str:
    """Late / (late + accepted) per topic over 10 minutes (the alert's ratio)."""
    return ("sum by (topic) (increase(cxpulse_events_late_total[10m])) "
            "/ (topic:cxpulse_events_valid:increase10m > 0)")


def valid_10m() -> str:
    """The late ratio's sample: valid events per topic in 10 minutes (recording rule)."""
    return "topic:cxpulse_events_valid:increase10m"


def late_per_s() -> str:
    """Late events per second by topic (counted, left out of every metric)."""
    return "sum by (topic) (rate(cxpulse_events_late_total[$__rate_interval]))"


def duplicates_per_s() -> str:
    """Duplicate events per second by topic."""
    return "sum by (topic) (rate(cxpulse_events_duplicate_total[$__rate_interval]))"


def consumer_lag() -> str:
    """Messages behind the high-water mark per topic, summed over partitions and workers."""
    return "sum by (topic) (cxpulse_consumer_lag_messages)"


def seeks(window: str = "$__range") -> str:
    """Times a partition was sent back to the offset its state needs, per topic."""
    return f"sum by (topic) (increase(cxpulse_source_seeks_total[{window}]))"


def skipped(window: str = "$__range") -> str:
    """Messages never read (retention): loss, pages. Per topic."""
    return f"sum by (topic) (increase(cxpulse_source_messages_skipped_total[{window}]))"


def stale_messages(window: str = "$__range") -> str:
    """Messages left for redelivery across a rebalance, per topic."""
    return f"sum by (topic) (increase(cxpulse_messages_stale_total[{window}]))"


def partials(window: str = "$__range") -> str:
    """Stage-2 partials by result (applied, replayed, overlap, unknown_view)."""
    return f"sum by (result) (increase(cxpulse_partials_total[{window}]))"


def folded(window: str = "$__range") -> str:
    """Partials folded into a view's ``other`` key, per view (key cap reached)."""
    return f"sum by (view) (increase(cxpulse_view_partials_folded_total[{window}]))"


def workers_up() -> str:
    """1 per worker Prometheus scrapes successfully, 0 per worker it cannot reach."""
    return f"up{{{JOB}}}"


def scrape_duration_s() -> str:
    """Seconds one scrape of each worker's /metrics took."""
    return f"scrape_duration_seconds{{{JOB}}}"


def scrape_samples() -> str:
    """Series each worker exposes (the series budget, docs/metrics.md)."""
    return f"scrape_samples_scraped{{{JOB}}}"


def loop_lag_p99_s() -> str:
    """99th percentile of the event-loop lag per worker over 5 minutes (the alert's figure)."""
    return ("histogram_quantile(0.99, sum by (instance, le) "
            "(rate(cxpulse_event_loop_lag_seconds_bucket[5m])))")


def gc_pause_p99_s() -> str:
    """99th percentile of garbage-collection pauses per worker and generation over 5 minutes."""
    return ("histogram_quantile(0.99, sum by (instance, generation, le) "
            "(rate(cxpulse_gc_pause_seconds_bucket[5m])))")


def gc_pauses_per_s() -> str:
    """Garbage collections per second per worker and generation."""
    return "sum by (instance, generation) (rate(cxpulse_gc_pause_seconds_count[$__rate_interval]))"


def flush_p99_s() -> str:
    """99th percentile of stage-1 flush time per worker over 5 minutes."""
    return ("histogram_quantile(0.99, sum by (instance, le) "
            "(rate(cxpulse_flush_seconds_bucket[5m])))")


def event_age_p90_s() -> str:
    """90th percentile of processing time minus event time per topic over 5 minutes."""
    return ("histogram_quantile(0.9, sum by (topic, le) "
            "(rate(cxpulse_event_age_seconds_bucket[5m])))")
