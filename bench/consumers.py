"""The three consumers under test as child processes, and how the harness reads their progress.

Each runs ``python -P -m ...`` with PYTHONPATH set to the run's snapshot of the code
(bench.host.snapshot), never the working tree.

- raw (bench/raw_consumer.py) reports nothing until it is done: it writes a result file;
- bare (bench/bare_agent.py) counts on a one-counter /metrics page and writes a result file;
- worker (``python -m ops.cli worker``) is read from its cheap ``/progress`` JSON: events
  per topic and outcome, counted when the flush that covers them completes, and the messages
  still waiting for a flush. Its /metrics page renders every window series (megabytes with
  many segments) and is read once, after the measurement, for the flush and stage-2 counters.
"""

import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bench.model import Config, Scenario
from bench.procs import Proc, clean_env
from ops.broker import EmbeddedBroker
from ops.processes import free_port
from ops.scrape import scrape, total
from streams.settings import Settings

#: series of the worker's /metrics kept by the one read after the run
WORKER_SERIES = ("cxpulse_flushes_total", "cxpulse_flush_seconds_sum",
                 "cxpulse_flush_seconds_count", "cxpulse_partials_total",
                 "cxpulse_ticket_anomalies_total", "cxpulse_events_rejected_total",
                 "cxpulse_messages_total", "cxpulse_customers_evicted_total",
                 "cxpulse_deadletter_errors_total", "cxpulse_partial_buckets_expired_total",
                 "cxpulse_dedupe_ids_forgotten_total", "cxpulse_agent_overflow_events")


def consumer_proc(cfg: Config, sc: Scenario, broker: EmbeddedBroker, settings: Settings,
                  work: Path) -> tuple[Proc, str | None, Path]:
    """The consumer child for ``sc``, its base URL (None for raw) and its result file."""
    result = work / "result.json"
    cores = {cfg.consumer_core} if cfg.consumer_core is not None else None
    if sc.consumer == "raw":
        argv = [sys.executable, "-P", "-m", "bench.raw_consumer", "--bootstrap",
                settings.bootstrap_servers[0],
                "--topics", ",".join(settings.source_topics.values()),
                "--expected", str(sc.events), "--timeout-s",
                str(cfg.startup_timeout_s + cfg.run_timeout_s), "--result", str(result)]
        env = clean_env({"PYTHONPATH": str(cfg.code_dir)})
        return Proc(f"{sc.name} consumer", argv, work / "consumer.log", env, cores), None, result
    port = free_port()
    env = clean_env({
        "PYTHONPATH": str(cfg.code_dir),
        "CXPULSE_BROKER_URL": broker.url,
        "CXPULSE_WORKER_ID": "bench",
        "CXPULSE_WEB_PORT": str(port),
        "CXPULSE_DATA_DIR": str(work / "data"),
        # The history store of this scenario only (the default, run/history.sqlite under the
        # current directory, would carry rows and sink offsets from run to run).
        "CXPULSE_HISTORY_URLS": json.dumps([f"sqlite:///{work / 'history.sqlite'}"]),
        "CXPULSE_TOPIC_PARTITIONS": str(cfg.partitions),
        **{f"CXPULSE_{k.upper()}": v for k, v in sc.env.items()},
    })
    if sc.consumer == "bare":
        env["CXPULSE_APP_ID"] = "benchbare"
        argv = [sys.executable, "-P", "-m", "bench.bare_agent", "--expected", str(sc.events),
                "--result", str(result), "--faust-options", json.dumps(sc.faust)]
    else:
        argv = [sys.executable, "-P", "-m", "ops.cli", "worker"]
    url = f"http://127.0.0.1:{port}"
    return Proc(f"{sc.name} consumer", argv, work / "consumer.log", env, cores), url, result


def _get_json(url: str, timeout_s: float = 2.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def processed(progress: dict[str, Any]) -> float:
    """Events the worker has counted: every outcome except ``replayed`` (already counted)."""
    return float(sum(n for key, n in progress.get("events", {}).items()
                     if not key.endswith("/replayed")))


def poll(sc: Scenario, url: str | None,
         events_per_message: float) -> tuple[float | None, float | None, dict[str, Any]]:
    """(counted, seen, raw reading) of a running consumer; Nones while it does not answer.

    For the worker, ``seen`` adds the events of the messages waiting for a flush (their
    count is estimated from the mean events per message of the pre-load; exact for single
    events); it dips while a flush is in flight (taken out, not yet counted).
    """
    if url is None:
        return None, None, {}
    try:
        if sc.consumer == "worker":
            progress = _get_json(f"{url}/progress")
            counted = processed(progress)
            return counted, counted + progress["unflushed_messages"] * events_per_message, \
                progress
        count = total(scrape(f"{url}/metrics", timeout_s=2.0), "bench_events_total")
        return count, count, {}
    except (OSError, ValueError, KeyError):
        return None, None, {}


def worker_metrics(url: str, timeout_s: float = 120.0) -> dict[str, Any]:
    """The non-zero WORKER_SERIES of the worker's /metrics, with the page's size and render
    time (read once, after the measurement)."""
    started = time.monotonic()
    with urllib.request.urlopen(f"{url}/metrics", timeout=timeout_s) as response:
        text = response.read().decode()
    seconds = time.monotonic() - started
    kept = "\n".join(line for line in text.splitlines()
                     if line.startswith(WORKER_SERIES)) + "\n"
    series: dict[str, float] = {}
    for family in text_string_to_metric_families(kept):
        for sample in family.samples:
            if not sample.value:
                continue
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            series[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return {"page_bytes": len(text), "page_seconds": round(seconds, 2),
            "page_lines": text.count("\n"), "series": series}
