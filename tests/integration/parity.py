"""Comparing what workers expose with what ``cxpulse report`` computes from the same file."""

import math
from collections import defaultdict
from pathlib import Path

from metrics.component_metrics import StageOneCounters, WindowGauges
from metrics.components import is_backlog_key
from streams.report import Report
from streams.scrape import scrape
from streams.simulate.config import SimulatorConfig
from streams.simulate.generator import generate
from streams.traffic import item_bytes

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def write_simulated(path: Path, count: int, seed: int, start) -> list:
    """A seeded simulated file with invalid, duplicate and late items; returns the items."""
    config = SimulatorConfig(seed=seed, rate_per_s=1.0, invalid_share=0.01,
                             duplicate_share=0.02, late_share=0.01)
    items = list(generate(config, None, start, count=count))
    path.write_bytes(b"".join(item_bytes(item) + b"\n" for item in items))
    return items


def _series(name: str, labels: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


def _collected(collector) -> Series:
    out: Series = {}
    for family in collector.collect():
        for sample in family.samples:
            out[_series(sample.name, sample.labels)] = sample.value
    return out


def expected_windows(report: Report) -> Series:
    """Every window gauge (components, ratios, indices) and backlog gauge, from the report."""
    return _collected(WindowGauges(lambda: report.segments.items(), report.questionnaires,
                                   report.targets))


def expected_counters(report: Report) -> Series:
    """Stage-1 component counters summed over workers: all-time totals per segment."""
    counters = StageOneCounters()
    for segment, windows in report.segments.items():
        counters.add(segment, {key: value for key, value in windows.totals["30d"].items()
                               if not is_backlog_key(key)})
    return _collected(counters)


def exposed(urls: list[str], prefixes: tuple[str, ...]) -> Series:
    """Samples whose name starts with one of ``prefixes``, summed over workers."""
    out: Series = defaultdict(float)
    for url in urls:
        for name, series in scrape(url, timeout_s=20).items():
            if name.startswith(prefixes):
                for labels, value in series.items():
                    out[(name, labels)] += value
    return dict(out)


def differences(expected: Series, actual: Series, limit: int = 15) -> list[str]:
    """Series that differ beyond float rounding (a missing series counts as 0)."""
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key, 0.0), actual.get(key, 0.0)
        # Sums of epoch timestamps (~1.7e9 s each) that cancel out to about zero keep a
        # rounding residue of a few ulp(1.7e9) = 2.4e-7 s per ticket, in either order.
        absolute = 1e-3 if key[0].endswith("_timestamp_seconds_sum") else 1e-6
        if not math.isclose(want, got, rel_tol=1e-9, abs_tol=absolute):
            problems.append(f"{key[0]}{dict(key[1])}: expected {want}, exposed {got}")
    families = sorted({line.split("{")[0] for line in problems})
    summary = [f"{len(problems)} series differ, in families: {', '.join(families)}"]
    return problems[:limit] + summary if problems else []


def window_series(urls: list[str]) -> Series:
    return {key: value for key, value in
            exposed(urls, ("cxpulse_window_", "cxpulse_tickets_open")).items()
            if key[0] != "cxpulse_window_clock_timestamp_seconds"}


def counter_series(urls: list[str], expected: Series) -> Series:
    names = {name for name, _ in expected}
    return {key: value for key, value in exposed(urls, ("cxpulse_",)).items()
            if key[0] in names}
