"""Issue 12's check on the 200,000-event worlds: does the report depend on topic interleaving?

For seeds 23, 24 and 25 (SimulatorConfig(seed, rate_per_s=1.0, invalid_share=0.02,
duplicate_share=0.02, late_share=0.01), start 2026-11-02T00:00:00+08:00) it builds the report
of the file in file order and of the same file re-interleaved in chunks of 200 lines per topic
(each topic's own order unchanged; topics take turns, so the smaller topics finish early and the
calls run up to about a day of event time behind), and prints the FCR components of both and
how many report rows differ: counts must be equal, float sums may differ by rounding (they are
added in bucket order). Figures are printed, never asserted.

    .venv/bin/python -m bench.fcr_parity [--seeds 23 24 25] [--workdir /tmp/cxpulse-fcr]
"""

import argparse
import json
import math
import time
from datetime import datetime
from pathlib import Path

from streams.report import SEGMENT_VIEW, build_report, report_rows
from streams.settings import Settings
from streams.simulate import SimulatorConfig, generate
from streams.traffic import item_bytes

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[23, 24, 25])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cxpulse-fcr"))
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


if __name__ == "__main__":
    main()
