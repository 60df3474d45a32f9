"""Comparing what workers expose with what ``cxpulse report`` computes from the same file."""

import json
import math
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

from alerts.recording import RATIOS, Ratio, level, view_rules
from metrics.figures import figures
from metrics.views import View, key_labels
from offline.budget import report_counters, report_key_totals
from offline.report import Report, view_windows
from ops.scrape import scrape
from streams.serving.windows import WindowCollector
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulated import item_bytes

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


def expected_windows(report: Report, views: dict[str, View],
                     windows: tuple[str, ...]) -> Series:
    """Every window gauge (components, ratios, indices) and backlog gauge of every view key,
    from the report."""
    totals = report_key_totals(report, views.values(), windows)
    return _collected(WindowCollector(lambda: totals, views, report.questionnaires,
                                      report.targets))


def expected_counters(report: Report, views: dict[str, View]) -> Series:
    """Stage-1 component counters of the counter views, summed over workers."""
    return _collected(report_counters(report, views, report.questionnaires))


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


def promql(base: str, expr: str) -> Series:
    """An instant query's samples as Series (``__name__`` dropped)."""
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{base}/api/v1/query?{query}", timeout=20) as answer:
        data = json.loads(answer.read())
    assert data["status"] == "success", data
    out: Series = {}
    for item in data["data"]["result"]:
        labels = {k: v for k, v in item["metric"].items() if k != "__name__"}
        out[_series(item["metric"].get("__name__", expr), labels)] = float(item["value"][1])
    return out


def view_sums(base: str, view: str) -> Series:
    """Every window and backlog series of ``view``, summed across workers by PromQL."""
    found = promql(base, f'sum by (__name__, view, region, channel, queue, business_line, '
                         f'journey_stage, customer_type, agent, window, kind, points, band, '
                         f'clock, questionnaire, dimension, score) '
                         f'({{__name__=~"cxpulse_window_.+|cxpulse_tickets_open.*",'
                         f'view="{view}"}})')
    return {key: value for key, value in found.items()
            if key[0] != "cxpulse_window_clock_timestamp_seconds"}


def expected_rules(report: Report, view: View, windows: tuple[str, ...]) -> Series:
    """What each recording rule of ``view`` must give, from the report's figures."""
    rules = view_rules(view, report.questionnaires, report.targets.target)["rules"]
    ratios = {f"{level(view, r.extra)}:{r.metric}:{r.operation}": r for r in RATIOS}
    out: Series = {}
    for key, found in view_windows(report, view).items():
        labels = key_labels({view.name: view}, key)
        for window in windows:
            values = figures(found.totals[window], report.questionnaires, report.targets)
            for rule in rules:
                name = rule["record"]
                if name.endswith(":zero"):
                    continue
                for figure, value in values.items():
                    extra = _rule_labels(name, ratios.get(name), figure, rule)
                    if extra is not None and value is not None:
                        out[_series(name, {**labels, "window": window, **extra})] = value
    return out


def _rule_labels(name: str, ratio: Ratio | None, figure: str,
                 rule: dict) -> dict[str, str] | None:
    """The labels of rule ``name`` whose sample equals report figure ``figure``, or None when
    the figure is not this rule's."""
    parts = figure.split(".")
    if ratio is not None:
        template = ratio.figure.split(".")
        if len(template) != len(parts):
            return None
        extra: dict[str, str] = {}
        for want, got in zip(template, parts):
            if want.startswith("{"):
                extra[want.strip("{}")] = got
            elif want != got:
                return None
        return extra
    if parts[0] != "surveys":
        return None
    static = rule.get("labels", {})
    if static.get("questionnaire") not in (None, parts[1]):
        return None
    if name.endswith(":cxpulse_survey_index:ratio") and parts[-1] == "index":
        return {"questionnaire": parts[1], "dimension": parts[2]}
    if name.endswith(":cxpulse_survey_gap_to_target:responses") and parts[-1] == "gap_to_target":
        dims = rule["expr"].split('dimension=~"', 1)[1].split('"', 1)[0].split("|")
        if parts[2] not in dims:
            return None
        return {"questionnaire": parts[1], "dimension": parts[2], "target": static["target"]}
    if name.endswith(":cxpulse_survey_overall_index:mean") and parts[-1] == "overall_index":
        return {"questionnaire": parts[1]}
    return None
