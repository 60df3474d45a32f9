"""History instruments: closed windows stage 2 publishes, and the sink's writes to the stores.

Stage 2's closing (streams/history/closing.py) and the sink (streams/history/sink.py) count into
these; like the other instruments of the worker they live in this package.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram


class HistoryMetrics:
    """Counters of closed windows published and of data too late for history."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.windows = Counter(
            "cxpulse_history_windows",
            "Closed windows stage 2 published to the history topic, by cause: closed (the "
            "clock passed end + grace) or amended (a closed window changed and was published "
            "whole again).", ["size", "cause"], registry=registry)
        self.too_late = Counter(
            "cxpulse_history_late_buckets",
            "Minute buckets of full segments whose day was older than the amendment horizon "
            "(CXPULSE_HISTORY_AMEND_DAYS) when they reached stage 2: not in history. Any "
            "increase: history is short of them; raise the horizon or backfill that period.",
            registry=registry)


class SinkMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.rows = Counter("cxpulse_history_rows_written",
                            "Rows upserted into the history store (a replaced row counts again).",
                            ["store"], registry=registry)
        self.seconds = Histogram("cxpulse_history_write_seconds",
                                 "Time to upsert one history-topic message into one store.",
                                 ["store"], registry=registry)
        self.deleted = Counter("cxpulse_history_rows_deleted",
                               "Rows deleted by the retention settings.", ["store"],
                               registry=registry)
