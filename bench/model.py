"""The ingest benchmark's records: what a scenario is, what a poll saw, what a run measured."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POLL_S = 0.2  # default; --poll-s


@dataclass
class Scenario:
    name: str
    consumer: str  # raw | bare | worker
    envelope_size: int
    events: int
    profiled: bool = False
    env: dict[str, str] = field(default_factory=dict)  # extra CXPULSE_* (worker variant)
    faust: dict[str, Any] = field(default_factory=dict)  # Faust option overrides (bare variant)
    run: int = 1

    @property
    def format(self) -> str:
        return "envelope" if self.envelope_size > 1 else "single"


@dataclass
class Config:
    single_events: int
    envelope_events: int
    envelope_size: int
    customers: int
    seed: int
    partitions: int
    startup_timeout_s: float
    run_timeout_s: float
    stall_timeout_s: float
    broker_core: int | None
    consumer_core: int | None
    run_dir: Path
    code_dir: Path  # the snapshot of the measured packages the consumers import
    poll_s: float = POLL_S


@dataclass
class Sample:
    """One poll: clocks, CPU counters and the consumer's progress."""

    t: float
    consumer_cpu: float | None
    broker_cpu: float | None
    #: events the consumer reports as done (worker: counted at flush, bare: counted)
    count: float | None = None
    #: events the consumer has processed, flushed or not (worker: counted + events of the
    #: messages waiting for a flush; others: = count)
    seen: float | None = None
    consumer_core_busy: float | None = None  # whole core, every process (from /proc/stat)
    broker_core_busy: float | None = None
    consumer_core_steal: float | None = None


@dataclass
class Outcome:
    scenario: str
    consumer: str
    format: str
    run: int = 1
    status: str = "ok"
    detail: str = ""
    events_expected: int = 0
    events: float = 0
    messages: int = 0
    event_bytes_mean: float = 0.0
    message_bytes_mean: float = 0.0
    preload_s: float = 0.0
    startup_s: float | None = None
    window_s: float | None = None
    events_per_s: float | None = None
    messages_per_s: float | None = None
    us_per_event: float | None = None
    rate_method: str = ""
    #: other estimates of the same run (worker: fit of the flushed count, first event to
    #: the last flush; bare: polled /metrics), for judging the main figure
    other_rates: dict[str, float] = field(default_factory=dict)
    consumer_cpu_window_s: float | None = None
    consumer_cpu_util: float | None = None
    consumer_cpu_total_s: float | None = None
    consumer_peak_rss_mib: float | None = None
    broker_cpu_window_s: float | None = None
    #: CPU used on the consumer's core by other processes during the window, as a share of
    #: the window (0 = the consumer had its core to itself); the same for the broker's core
    #: minus the broker; and hypervisor steal on the consumer's core
    foreign_load_consumer_core: float | None = None
    foreign_load_broker_core: float | None = None
    steal_consumer_core: float | None = None
    broker_peak_rss_mib: float | None = None
    reference_events_per_s: int | None = None
    counters: dict[str, Any] = field(default_factory=dict)
    #: the polls: [seconds since the consumer started, counted, seen, consumer CPU s]
    trace: list[list[float | None]] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    log_dir: str = ""
