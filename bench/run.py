"""One scenario: fresh broker, pre-loaded topics, the consumer pinned to its core, polled to the
end, then its rate, CPU, memory and counters (see bench/README.md, "Method")."""

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.markup import escape

from bench.consumers import consumer_proc, poll, worker_metrics
from bench.data import Preload, preload
from bench.host import pinned_self
from bench.model import Config, Outcome, Sample, Scenario
from bench.procs import (
    Proc,
    clean_env,
    core_busy_seconds,
    cpu_seconds,
    status_kib,
)
from bench.profile import summarise
from bench.rates import completion_rate, fitted_rate, foreign_load, interp
from bench.report import REFERENCE, console
from ops.broker import EmbeddedBroker
from ops.processes import free_port
from ops.topics import create_topics
from streams.settings import Settings


class Watch:
    """Polls one running consumer until it is done, times out or stalls."""

    def __init__(self, cfg: Config, sc: Scenario, consumer: Proc, broker_pid: int,
                 url: str | None, result_path: Path, events_per_message: float,
                 work: Path) -> None:
        self.cfg, self.sc, self.consumer, self.broker_pid = cfg, sc, consumer, broker_pid
        self.url, self.result_path, self.epm, self.work = url, result_path, events_per_message, work
        self.samples: list[Sample] = []
        self.last: dict[str, Any] = {}  # the worker's last /progress answer
        self.spy: Proc | None = None

    def sample(self) -> Sample:
        count, seen, raw = poll(self.sc, self.url, self.epm)
        self.last = raw or self.last
        cores = core_busy_seconds()
        c_core = cores.get(self.cfg.consumer_core) if self.cfg.consumer_core is not None else None
        b_core = cores.get(self.cfg.broker_core) if self.cfg.broker_core is not None else None
        sample = Sample(time.time(), cpu_seconds(self.consumer.pid),
                        cpu_seconds(self.broker_pid), count, seen,
                        c_core[0] if c_core else None, b_core[0] if b_core else None,
                        c_core[1] if c_core else None)
        self.samples.append(sample)
        return sample

    def done(self, s: Sample) -> bool:
        counted = s.count is not None and s.count >= self.sc.events
        if self.sc.consumer == "worker":
            return counted
        return self.result_path.exists() and (self.url is None or counted)

    def run(self) -> None:
        cfg = self.cfg
        started: float | None = None
        last_change_t, last_seen = time.time(), None
        deadline = time.time() + cfg.startup_timeout_s
        if self.url is None:  # raw reports nothing until done: one deadline for everything
            deadline += cfg.run_timeout_s
        while True:
            time.sleep(cfg.poll_s)
            s = self.sample()
            if not self.consumer.alive:
                raise RuntimeError(f"consumer exited early:\n{self.consumer.tail()}")
            if s.seen is not None and s.seen != last_seen:
                last_change_t, last_seen = s.t, s.seen
            if started is None and s.seen:
                started = s.t
                deadline = s.t + cfg.run_timeout_s
                if self.sc.profiled:
                    self.spy = start_spy(cfg, self.consumer.pid, self.work)
            if self.done(s):
                return
            if s.t > deadline:
                phase = "startup" if started is None else "run"
                raise TimeoutError(f"{phase} timeout; counted={s.count} seen={s.seen}")
            if started is not None and s.t - last_change_t > cfg.stall_timeout_s:
                raise TimeoutError(f"no progress for {cfg.stall_timeout_s} s; "
                                   f"counted={s.count} seen={s.seen}")

    def stop_spy(self) -> Path | None:
        """Stop py-spy (SIGINT makes it write its output); the collapsed stacks, if any."""
        if self.spy is None:
            return None
        self.spy.process.send_signal(signal.SIGINT)  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.spy.process.wait(30)  # type: ignore[union-attr]
        collapsed = self.work / "py-spy.txt"
        return collapsed if collapsed.exists() else None


def start_spy(cfg: Config, pid: int, work: Path) -> Proc | None:
    """py-spy on ``pid`` from now on (250 Hz, idle included, by function), on the broker core."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        console.print("[yellow]py-spy not found: pip install py-spy[/yellow]")
        return None
    argv = [spy, "record", "--pid", str(pid), "--rate", "250", "--function", "--idle",
            "--format", "raw", "--output", str(work / "py-spy.txt")]
    cores = {cfg.broker_core} if cfg.broker_core is not None else None
    return Proc("py-spy", argv, work / "py-spy.log", clean_env({}), cores).start()


def _worker_figures(out: Outcome, cfg: Config, sc: Scenario, w: Watch) -> float:
    """Rate of the worker from its polled progress; returns the first event's time."""
    fit = fitted_rate(w.samples, "seen", sc.events)
    if fit is None:
        raise RuntimeError("too few polls to compute a rate")
    t0, t1 = fit["t_first"], fit["t_last"]
    out.events_per_s = fit["rate"]
    out.rate_method = (f"/progress every {cfg.poll_s} s, processed incl. unflushed, "
                       f"{fit['method']} ({fit['polls']:.0f} polls)")
    flushed = fitted_rate(w.samples, "count", sc.events)
    if flushed:
        out.other_rates[f"flushed count, {flushed['method']}"] = flushed["rate"]
    for lo, hi in ((0.05, 0.5), (0.5, 0.95)):  # does the rate fall as the state grows?
        part = fitted_rate(w.samples, "seen", sc.events, lo, hi)
        if part and part["method"].startswith("fit"):
            out.other_rates[part["method"]] = part["rate"]
    to_end = completion_rate(w.samples, sc.events)
    if to_end:
        out.other_rates["first event to last flush"] = to_end
    cpu0, cpu1 = interp(w.samples, "consumer_cpu", t0), interp(w.samples, "consumer_cpu", t1)
    out.consumer_cpu_util = (cpu1 - cpu0) / (t1 - t0)  # type: ignore[operator]
    # the fitted interval covers most of the run: scale to the whole N-event window
    out.window_s = sc.events / out.events_per_s
    out.consumer_cpu_window_s = out.consumer_cpu_util * out.window_s
    first_seen = next(s.t for s in w.samples if s.seen)
    return first_seen - cfg.poll_s / 2


def _in_process_figures(out: Outcome, sc: Scenario, w: Watch) -> float:
    """Rate of raw and bare from their own timestamps; returns the first event's time."""
    result = json.loads(w.result_path.read_text())
    if not result.get("complete"):
        raise TimeoutError(f"consumer gave up: {result}")
    t0, t1 = result["t_first"], result["t_last"]
    out.events = result["events"]
    out.window_s = t1 - t0
    out.events_per_s = result["events"] / out.window_s
    out.rate_method = "in-process timestamps"
    out.consumer_cpu_window_s = result["cpu_window_s"]
    out.consumer_cpu_util = result["cpu_window_s"] / out.window_s
    out.counters = {k: result[k] for k in ("rejected", "stalls", "stall_s", "max_gap_s")
                    if k in result}
    polled = fitted_rate(w.samples, "count", sc.events) if w.url else None
    if polled:  # calibration of the polling method against the in-process figure
        out.other_rates[f"polled /metrics, {polled['method']}"] = polled["rate"]
    return t0


def _worker_counters(out: Outcome, w: Watch, read_metrics: bool) -> None:
    """Final /progress (per outcome) and, with ``read_metrics``, the flush and stage-2 series
    of /metrics (a page of megabytes that takes seconds: first run of a scenario only)."""
    events = w.last.get("events", {})
    by_outcome: dict[str, float] = {}
    for key, n in events.items():
        outcome = key.rsplit("/", 1)[1]
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    out.events = sum(n for o, n in by_outcome.items() if o != "replayed")
    out.counters = {"outcomes": by_outcome, "progress": w.last}
    if not read_metrics:
        return
    try:
        out.counters["metrics"] = worker_metrics(w.url or "")
    except (OSError, ValueError) as error:
        out.counters["metrics"] = {"error": f"{type(error).__name__}: {error}"}


def run_scenario(cfg: Config, sc: Scenario, events: list[bytes]) -> Outcome:
    """Run ``sc`` on a broker of its own; a failure is reported in the Outcome, not raised."""
    work = cfg.run_dir / (sc.name if sc.run == 1 else f"{sc.name}.{sc.run}")
    work.mkdir(parents=True, exist_ok=True)
    out = Outcome(sc.name, sc.consumer, sc.format, sc.run, events_expected=sc.events,
                  log_dir=str(work),
                  reference_events_per_s=REFERENCE.get(sc.name.removesuffix("+profile")),
                  settings={**sc.env, **sc.faust})
    broker = EmbeddedBroker(port=free_port(), log_path=work / "broker.log")
    consumer: Proc | None = None
    watch: Watch | None = None
    try:
        with pinned_self(cfg.broker_core):  # Tansu sizes its runtime to one core
            broker.start()
        broker_pid = broker._process.pid  # noqa: SLF001 (the bench reads its /proc)
        settings = Settings(broker_url=broker.url, topic_partitions=cfg.partitions)
        create_topics(settings)
        # no consumer runs yet: the pre-load may use both cores
        loaded: Preload = preload(settings, events, sc.envelope_size)
        out.messages, out.preload_s = loaded.messages, loaded.seconds
        out.event_bytes_mean = loaded.event_bytes_mean
        out.message_bytes_mean = loaded.message_bytes_mean
        console.print(f"  {sc.name}: pre-loaded {loaded.events:,} events in "
                      f"{loaded.messages:,} messages ({loaded.seconds:.1f} s); starting consumer")

        consumer, url, result_path = consumer_proc(cfg, sc, broker, settings, work)
        consumer.start()
        watch = Watch(cfg, sc, consumer, broker_pid, url, result_path,
                      loaded.events / max(loaded.messages, 1), work)
        watch.run()

        # read peak memory and CPU while the processes still exist
        out.consumer_peak_rss_mib = (status_kib(consumer.pid, "VmHWM") or 0) / 1024
        out.broker_peak_rss_mib = (status_kib(broker_pid, "VmHWM") or 0) / 1024
        out.consumer_cpu_total_s = cpu_seconds(consumer.pid)
        collapsed = watch.stop_spy()
        if collapsed is not None:
            out.profile = {**summarise(collapsed), "file": str(collapsed)}
        if sc.consumer == "worker":
            first_event_t = _worker_figures(out, cfg, sc, watch)
            _worker_counters(out, watch, read_metrics=sc.run == 1)
        else:
            first_event_t = _in_process_figures(out, sc, watch)
        out.messages_per_s = out.events_per_s * out.messages / max(out.events, 1)
        out.us_per_event = 1e6 / out.events_per_s  # type: ignore[operator]
        out.startup_s = first_event_t - consumer.started_at
        t0 = first_event_t
        t1 = t0 + (out.window_s or 0.0)
        b0, b1 = interp(watch.samples, "broker_cpu", t0), interp(watch.samples, "broker_cpu", t1)
        if b0 is not None and b1 is not None:
            out.broker_cpu_window_s = b1 - b0
        foreign_load(out, watch.samples, t0, t1)
        if out.events != sc.events:
            out.status, out.detail = "mismatch", f"counted {out.events} of {sc.events} events"
    except Exception as error:  # noqa: BLE001 - a failed scenario is reported, not fatal
        out.status, out.detail = "failed", f"{type(error).__name__}: {error}"
        console.print(f"  [red]{escape(sc.name)} failed:[/red] {escape(out.detail)} "
                      f"(logs in {work})")
    finally:
        if watch is not None and consumer is not None:  # kept for failed runs too
            out.trace = [[round(s.t - consumer.started_at, 3), s.count, s.seen,
                          s.consumer_cpu] for s in watch.samples]
        if watch is not None and watch.spy is not None:
            watch.spy.stop(5)
        if consumer is not None:
            consumer.stop()
        broker.stop()
    return out

