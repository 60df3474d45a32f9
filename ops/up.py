"""``cxpulse up``: the whole embedded stack in one command, with a live terminal summary."""

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ops.broker import EmbeddedBroker
from ops.monitoring import (
    ALERTMANAGER_CANDIDATES,
    PROMETHEUS_CANDIDATES,
    alertmanager_config,
    find_binary,
    prometheus_config,
    write_yaml,
)
from ops.processes import Child, wait_http
from ops.scrape import read_progress
from ops.topics import create_topics
from streams.settings import Settings


@dataclass
class UpOptions:
    """What ``cxpulse up`` starts; ports are on 127.0.0.1."""

    run_dir: Path = Path("run")
    broker_port: int = 9092
    workers: int = 2
    first_web_port: int = 6066
    prometheus_port: int = 9090
    alertmanager_port: int = 9093
    rate_per_s: float = 200.0
    envelope_size: int = 1
    seed: int = 7
    scenario: Path | None = None
    duration_s: float | None = None
    monitoring: bool = True
    children: list[Child] = field(default_factory=list)


def _worker_env(settings: Settings, index: int, options: UpOptions) -> dict[str, str]:
    return {
        "CXPULSE_BROKER_URL": settings.broker_url,
        "CXPULSE_WORKER_ID": f"w{index}",
        "CXPULSE_WEB_PORT": str(options.first_web_port + index - 1),
        "CXPULSE_DATA_DIR": str(options.run_dir / "data"),
        # The embedded history store lives with the run, unless a store was configured.
        "CXPULSE_HISTORY_URLS": os.environ.get(
            "CXPULSE_HISTORY_URLS",
            json.dumps([f"sqlite:///{(options.run_dir / 'history.sqlite').resolve()}"])),
    }


def _summary(options: UpOptions, urls: dict[str, str], rates: dict[str, float]) -> Table:
    table = Table(title="cxpulse: embedded stack (Ctrl-C stops everything)")
    for column in ("worker", "accepted", "rejected", "duplicates", "lag (msgs)", "events/s"):
        table.add_column(column, justify="right" if column != "worker" else "left")
    for index in range(1, options.workers + 1):
        port = options.first_web_port + index - 1
        try:
            progress = read_progress(f"http://127.0.0.1:{port}/progress")
        except (OSError, ValueError):
            table.add_row(f"w{index}", "-", "-", "-", "-", "down")
            continue
        counts = progress["events"]

        def outcome(name: str) -> float:
            return sum(n for key, n in counts.items() if key.endswith(f"/{name}"))

        accepted = outcome("accepted")
        previous = rates.get(f"w{index}")
        now = time.monotonic()
        rate = ""
        if previous is not None:
            rate = f"{(accepted - previous) / max(now - rates['t'], 1e-6):,.0f}"
        rates[f"w{index}"] = accepted
        table.add_row(
            f"w{index} :{port}",
            f"{accepted:,.0f}",
            f"{outcome('rejected'):,.0f}",
            f"{outcome('duplicate'):,.0f}",
            f"{progress['lag_messages']:,.0f}",
            rate,
        )
    rates["t"] = time.monotonic()
    table.caption = "  ".join(f"{name}: {url}" for name, url in urls.items())
    return table


def run_up(options: UpOptions, console: Console | None = None) -> int:
    """Start broker, workers, monitoring and simulator; supervise until Ctrl-C or duration.

    Every exit path, KeyboardInterrupt included (which ``cxpulse up`` also raises on SIGTERM),
    stops the children, last started first.
    """
    console = console or Console()
    Settings().data_config()   # a bad data file stops here, not once per worker log
    options.run_dir.mkdir(parents=True, exist_ok=True)
    logs = options.run_dir / "logs"
    broker = EmbeddedBroker(port=options.broker_port, log_path=logs / "broker.log")
    cli = [sys.executable, "-m", "ops.cli"]
    urls: dict[str, str] = {}
    try:
        with console.status("starting the embedded broker"):
            broker.start()
            settings = Settings(broker_url=broker.url)
            create_topics(settings)
        urls["broker"] = broker.url
        for index in range(1, options.workers + 1):
            child = Child(f"worker w{index}", [*cli, "worker"], logs / f"worker-{index}.log",
                          _worker_env(settings, index, options)).start()
            options.children.append(child)
        with console.status(f"waiting for {options.workers} workers"):
            for index, child in enumerate(options.children, start=1):
                url = f"http://127.0.0.1:{options.first_web_port + index - 1}/metrics"
                wait_http(url, 60, child)
                urls[f"w{index}"] = url
        _start_monitoring(options, urls, console)
        sim = [*cli, "simulate", "--rate", str(options.rate_per_s), "--seed", str(options.seed),
               "--envelope", str(options.envelope_size), "--broker-url", broker.url]
        if options.scenario:
            sim += ["--scenario", str(options.scenario)]
        options.children.append(Child("simulator", sim, logs / "simulator.log").start())
        return _supervise(options, urls, console)
    except KeyboardInterrupt:
        return 0
    finally:
        with console.status("stopping"):
            for child in reversed(options.children):
                child.stop()
            broker.stop()
        console.print(f"stopped; logs in {logs}")


def _start_monitoring(options: UpOptions, urls: dict[str, str], console: Console) -> None:
    if not options.monitoring:
        return
    ports = [options.first_web_port + i for i in range(options.workers)]
    alertmanager = find_binary(ALERTMANAGER_CANDIDATES)
    am_dir, prom_dir = options.run_dir / "alertmanager", options.run_dir / "prometheus"
    if alertmanager:
        config = write_yaml(am_dir / "alertmanager.yml", alertmanager_config())
        child = Child("alertmanager", [
            alertmanager, f"--config.file={config}", f"--storage.path={am_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{options.alertmanager_port}",
            "--cluster.listen-address=",
        ], options.run_dir / "logs" / "alertmanager.log").start()
        options.children.append(child)
        urls["alertmanager"] = f"http://127.0.0.1:{options.alertmanager_port}"
        wait_http(urls["alertmanager"] + "/-/ready", 30, child)
    else:
        console.print("[yellow]Alertmanager not installed: alerts are evaluated, not routed")
    prometheus = find_binary(PROMETHEUS_CANDIDATES)
    if not prometheus:
        console.print("[yellow]Prometheus not installed: scrape the workers' /metrics directly")
        return
    am_port = options.alertmanager_port if alertmanager else None
    config = write_yaml(prom_dir / "prometheus.yml", prometheus_config(ports, am_port))
    child = Child("prometheus", [
        prometheus, f"--config.file={config}", f"--storage.tsdb.path={prom_dir / 'data'}",
        f"--web.listen-address=127.0.0.1:{options.prometheus_port}",
    ], options.run_dir / "logs" / "prometheus.log").start()
    options.children.append(child)
    urls["prometheus"] = f"http://127.0.0.1:{options.prometheus_port}"
    wait_http(urls["prometheus"] + "/-/ready", 30, child)


def _supervise(options: UpOptions, urls: dict[str, str], console: Console) -> int:
    deadline = None if options.duration_s is None else time.monotonic() + options.duration_s
    rates: dict[str, float] = {}
    with Live(_summary(options, urls, rates), console=console, refresh_per_second=1) as live:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(2)
            dead = [child for child in options.children if not child.alive]
            if dead:
                console.print(f"[red]{dead[0].name} exited; log tail:\n{dead[0].tail()}")
                return 1
            live.update(_summary(options, urls, rates))
    return 0
