"""Issue 12's check on the 200,000-event worlds: does the report depend on topic interleaving?

For seeds 23, 24 and 25 (SimulatorConfig(seed, rate_per_s=1.0, invalid_share=0.02,
duplicate_share=0.02, late_share=0.01), start 2026-11-02T00:00:00+08:00) it builds the report
of the file in file order and of the same file re-interleaved in chunks of 200 lines per topic
(each topic's own order unchanged; topics take turns, so the smaller topics finish early and the
calls run up to about a day of event time behind), and prints the FCR components of both and
how many report rows differ: counts must be equal, float sums may differ by rounding (they are
added in bucket order). Figures are printed, never asserted.

With ``--stream`` it also replays each file (100-event envelopes, invalid lines sent) through a
fresh embedded broker into two real workers and compares every series they expose (window
gauges of every view, FCR included, and the view counters, summed over both workers) and the
event outcome counts with the report of the file.

    .venv/bin/python -m bench.fcr_parity [--seeds 23 24 25] [--workdir /tmp/cxpulse-fcr]
                                         [--stream]
"""

import argparse
import json
import math
import time
from datetime import datetime
from pathlib import Path

from offline.report import SEGMENT_VIEW, build_report, report_rows
from streams.settings import Settings
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

START = datetime.fromisoformat("2026-11-02T00:00:00+08:00")
EVENTS = 200_000
CHUNK = 200
FCR = ("fcr/contacts", "fcr/failed", "fcr/dropped")


def world(seed: int, workdir: Path) -> list[bytes]:
    """The seed's file, generated once into ``workdir``."""
    path = workdir / f"world-{seed}.jsonl"
    if not path.exists():
        config = SimulatorConfig(seed=seed, rate_per_s=1.0, invalid_share=0.02,
                                 duplicate_share=0.02, late_share=0.01)
        path.write_bytes(b"".join(item_bytes(item) + b"\n"
                                  for item in generate(config, None, START, count=EVENTS)))
    return path.read_bytes().splitlines()


def topic_of(line: bytes) -> str:
    """The event type (= source topic) of a line; unparsable lines form their own group,
    which the report never sends."""
    try:
        return str(json.loads(line)["type"])
    except (ValueError, KeyError, TypeError):
        return "unparsed"


def interleaved(lines: list[bytes], chunk: int = CHUNK) -> list[bytes]:
    """Topics take turns, ``chunk`` lines each, each topic's lines in file order."""
    topics: dict[str, list[bytes]] = {}
    for line in lines:
        topics.setdefault(topic_of(line), []).append(line)
    out: list[bytes] = []
    start = 0
    while any(start < len(queue) for queue in topics.values()):
        for queue in topics.values():
            out.extend(queue[start:start + chunk])
        start += chunk
    return out


def rows(lines: list[bytes], settings: Settings) -> dict[tuple, object]:
    report = build_report(lines, settings)
    return {(row.kind, row.metric, row.segment, row.window): row.value
            for row in report_rows(report, [SEGMENT_VIEW, *settings.active_views().values()])}


def compare(want: dict, got: dict) -> tuple[int, int]:
    """(rows whose counts differ or are missing, rows whose float sums differ by rounding)."""
    exact = rounding = 0
    for key in want.keys() | got.keys():
        a, b = want.get(key), got.get(key)
        if a == b:
            continue
        if isinstance(a, float) and isinstance(b, float) and math.isclose(
                a, b, rel_tol=1e-9, abs_tol=1e-3 if key[1].endswith("created_s") else 1e-6):
            rounding += 1
        else:
            exact += 1
    return exact, rounding


def stream(seed: int, path: Path, settings: Settings) -> None:
    """Replay ``path`` into two workers; print how many exposed series differ from the report."""
    import subprocess
    import sys

    from ops.broker import EmbeddedBroker
    from ops.processes import Child, free_port, wait_http
    from ops.scrape import read_progress, scrape
    from offline.budget import report_counters, report_key_totals
    from streams.serving.windows import WindowCollector
    from ops.topics import create_topics

    report = build_report(path, settings, send_invalid=True)
    views, data = settings.active_views(), settings.data_config()
    totals = report_key_totals(report, views.values(), settings.exported_windows())
    expected: dict = {}
    for families in (WindowCollector(lambda: totals, views, data.catalogue(),
                                     data.survey_targets.rules()).families(),
                     report_counters(report, views, data.catalogue()).families()):
        for family in families.metrics():
            for sample in family.samples:
                expected[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    began = time.perf_counter()
    with EmbeddedBroker(port=free_port(), log_path=path.with_suffix(".broker.log")) as broker:
        create_topics(Settings(broker_url=broker.url))
        children, ports = [], []
        for name in ("w1", "w2"):
            port = free_port()
            child = Child(name, [sys.executable, "-m", "ops.cli", "worker"],
                          path.with_suffix(f".{name}.log"), {
                              "CXPULSE_BROKER_URL": broker.url, "CXPULSE_WORKER_ID": name,
                              "CXPULSE_WEB_PORT": str(port),
                              "CXPULSE_DATA_DIR": str(path.with_suffix(".data"))})
            children.append(child.start())
            wait_http(f"http://127.0.0.1:{port}/progress", 60, child)
            ports.append(port)
        try:
            replay = subprocess.run(
                [sys.executable, "-m", "ops.cli", "replay", str(path), "--broker-url",
                 broker.url, "--envelope", "100", "--send-invalid"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            differ, exposed = -1, {}
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                states = [read_progress(f"http://127.0.0.1:{port}/progress", 30)
                          for port in ports]
                if all(not s["unflushed_messages"] and not s["unflushed_partials"]
                       for s in states):
                    exposed = {}
                    for port in ports:
                        for name, series in scrape(f"http://127.0.0.1:{port}/metrics",
                                                   60).items():
                            for labels, value in series.items():
                                key = (name, labels)
                                if key in expected or name.startswith(("cxpulse_window_",
                                                                       "cxpulse_tickets_open")):
                                    exposed[key] = exposed.get(key, 0.0) + value
                    differ = sum(1 for key in expected.keys() | exposed.keys()
                                 if key[0] != "cxpulse_window_clock_timestamp_seconds"
                                 and not math.isclose(expected.get(key, 0.0),
                                                      exposed.get(key, 0.0), rel_tol=1e-9,
                                                      abs_tol=1e-3))
                    if differ == 0:
                        break
                time.sleep(5)
            counted = {outcome: sum(v for s in states for k, v in s["events"].items()
                                    if k.endswith("/" + outcome))
                       for outcome in ("accepted", "duplicate", "late")}
            want = {outcome: sum(c[outcome] for c in report.counts.values())
                    for outcome in counted}
            fcr = {k[1]: v for k, v in expected.items()
                   if k[0] == "cxpulse_window_fcr_failed"}
            print(f"{seed:>4} stream: replay exit {replay.returncode}, {len(expected):,} "
                  f"series expected, {differ} differ; fcr/failed (all, 24h) "
                  f"{fcr.get((('view', 'all'), ('window', '24h')), 0):,.0f}; outcomes "
                  f"{counted} vs report {want}; {time.perf_counter() - began:.0f} s")
        finally:
            for child in children:
                child.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[23, 24, 25])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cxpulse-fcr"))
    parser.add_argument("--stream", action="store_true",
                        help="also replay each world into two real workers and compare")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    print(f"{'seed':>4} {'order':<12} {'contacts':>9} {'failed':>8} {'dropped':>8} "
          f"{'rows':>8} {'differ':>7} {'rounding':>9} {'s':>6}")
    for seed in args.seeds:
        lines = world(seed, args.workdir)
        results = {}
        for name, ordered in (("file", lines), ("chunks-200", interleaved(lines))):
            began = time.perf_counter()
            results[name] = rows(ordered, settings)
            elapsed = time.perf_counter() - began
            fcr = [results[name].get(("component", key, "all", "30d"), 0) for key in FCR]
            exact, rounding = compare(results["file"], results[name])
            print(f"{seed:>4} {name:<12} {fcr[0]:>9,} {fcr[1]:>8,} {fcr[2]:>8,} "
                  f"{len(results[name]):>8,} {exact:>7} {rounding:>9} {elapsed:>6.1f}")
        if args.stream:
            stream(seed, args.workdir / f"world-{seed}.jsonl", settings)


if __name__ == "__main__":
    main()
