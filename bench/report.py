"""The benchmark's output: the console table, ratios, the issue's aims, profiles, the JSON file."""

import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.model import Outcome

RESULTS = Path(__file__).resolve().parent / "results"

#: design.md, "Per-message Faust overhead": events/s measured on this kind of machine
REFERENCE = {
    "raw-single": 77_000, "raw-envelope": 238_000,
    "bare-single": 4_300, "bare-envelope": 147_000,
}
#: issue 3's aims for one worker: events/s with envelopes, and single events as a share of
#: the bare Faust agent's single-event rate
AIM_ENVELOPE_EVENTS_PER_S = 50_000
AIM_SINGLE_SHARE_OF_BARE = 0.8

console = Console(width=None if sys.stdout.isatty() else 260)


def fmt(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or "-" when there is none."""
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
    """The figures table: one row per scenario, the median run when repeated."""
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
            o.scenario, f"{o.events:,.0f}", f"{o.messages:,}", fmt(o.events_per_s, ",.0f"),
            *(spread if repeated else []), fmt(o.messages_per_s, ",.0f"),
            fmt(o.us_per_event, ".1f"), fmt(o.window_s, ".2f"),
            fmt(o.consumer_cpu_window_s, ".2f"), fmt(o.consumer_cpu_util, ".0%"),
            fmt(o.consumer_cpu_total_s, ".1f"), fmt(o.consumer_peak_rss_mib, ".0f"),
            fmt(o.broker_cpu_window_s, ".2f"),
            f"{fmt(o.foreign_load_consumer_core, '.0%')}/"
            f"{fmt(o.foreign_load_broker_core, '.0%')}",
            fmt(o.reference_events_per_s, ",") if o.reference_events_per_s else "-",
            o.status if not o.detail else f"{o.status}: {o.detail[:60]}",
        )
    return table


def _median_rates(outcomes: list[Outcome]) -> dict[str, float]:
    return {o.scenario: o.events_per_s for o, _ in medians(outcomes)
            if o.status == "ok" and o.events_per_s}


def ratios(outcomes: list[Outcome]) -> dict[str, float]:
    """Worker / bare and bare / raw throughput per format (medians)."""
    rate = _median_rates(outcomes)
    out = {}
    for fmt_ in ("single", "envelope"):
        raw, bare = rate.get(f"raw-{fmt_}"), rate.get(f"bare-{fmt_}")
        if bare and raw:
            out[f"bare/raw {fmt_}"] = bare / raw
        for name, worker in rate.items():
            if bare and name.startswith(f"worker-{fmt_}"):
                out[f"{name}/bare {fmt_}"] = worker / bare
    return out


def aims(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Each worker scenario against its aim: envelopes >= AIM_ENVELOPE_EVENTS_PER_S, single
    events >= AIM_SINGLE_SHARE_OF_BARE of the bare agent's single-event rate (medians)."""
    rate = _median_rates(outcomes)
    bare_single = rate.get("bare-single")
    out = []
    for name, value in rate.items():
        if name.startswith("worker-envelope"):
            target = float(AIM_ENVELOPE_EVENTS_PER_S)
            aim = f">= {AIM_ENVELOPE_EVENTS_PER_S:,} events/s"
        elif name.startswith("worker-single") and bare_single:
            target = AIM_SINGLE_SHARE_OF_BARE * bare_single
            aim = f">= {AIM_SINGLE_SHARE_OF_BARE:.0%} of bare-single ({target:,.0f} events/s)"
        else:
            continue
        out.append({"scenario": name, "events_per_s": value, "aim": aim,
                    "target_events_per_s": target, "share_of_target": value / target,
                    "reached": value >= target})
    return out


def print_summary(outcomes: list[Outcome]) -> None:
    """Table, ratios and aims of the measured (non-profile) runs."""
    console.print(render(outcomes))
    for name, value in ratios(outcomes).items():
        console.print(f"  {name}: {value:.3f}")
    for aim in aims(outcomes):
        verdict = "[green]reached[/green]" if aim["reached"] else "[red]not reached[/red]"
        console.print(f"  aim {aim['scenario']} {aim['aim']}: {aim['events_per_s']:,.0f} "
                      f"= {aim['share_of_target']:.1%} of the target, {verdict}")


def print_outcome(o: Outcome) -> None:
    """One line per finished run."""
    if o.status != "ok":
        return
    extra = "".join(f"; {name}: {value:,.0f}" for name, value in o.other_rates.items())
    if "stall_s" in o.counters:
        extra += (f"; {o.counters['stalls']:.0f} stalls >10 ms totalling "
                  f"{o.counters['stall_s']:.2f} s (max {o.counters['max_gap_s']:.3f})")
    console.print(f"  {o.events_per_s:,.0f} events/s{extra}; CPU util "
                  f"{o.consumer_cpu_util:.0%}, peak RSS {o.consumer_peak_rss_mib:.0f} MiB, "
                  f"startup {fmt(o.startup_s, '.1f')} s, other load on consumer/broker core "
                  f"{fmt(o.foreign_load_consumer_core, '.0%')}/"
                  f"{fmt(o.foreign_load_broker_core, '.0%')}")
    if o.consumer == "worker":
        outcomes = o.counters.get("outcomes", {})
        page = o.counters.get("metrics", {})
        read = (f"; /metrics afterwards {page['page_bytes'] / 1e6:.1f} MB in "
                f"{page['page_seconds']} s" if "page_bytes" in page else "")
        console.print(f"  outcomes {outcomes}; segments {o.counters['progress'].get('segments')}"
                      f"{read}")
        written = state_cost(o.counters.get("progress", {}), o.events_expected)
        if written:
            console.print("  state written per event: " + "; ".join(
                f"{stage} {cost['bytes_per_event']:,.0f} B in {cost['records_per_event']:.2f} "
                f"records, flush {cost['flush_ms_mean']:,.1f} ms mean over {cost['flushes']:,.0f}"
                for stage, cost in written.items()))


def state_cost(progress: dict[str, Any], events: int) -> dict[str, dict[str, float]]:
    """Changelog bytes and records per event and the mean flush of each stage, from the
    worker's final /progress (``state_written``: stage 1, ``window_state_written``: stage 2)."""
    out = {}
    for stage, name in (("stage 1", "state_written"), ("stage 2", "window_state_written")):
        sums = progress.get(name)
        if not sums or not events:
            continue
        flushes = sums.get("flush_seconds_count", 0)
        out[stage] = {
            "bytes_per_event": sums.get("bytes", 0) / events,
            "records_per_event": sums.get("records", 0) / events,
            "flushes": flushes,
            "flush_ms_mean": 1e3 * sums.get("flush_seconds_sum", 0) / flushes if flushes else 0,
        }
    return out


def print_profile(o: Outcome) -> None:
    """The phases and hottest functions of a ``+profile`` run."""
    if not o.profile:
        return
    prof = o.profile
    table = Table(title=f"py-spy {o.scenario} (separate run, {fmt(o.events_per_s, ',.0f')} "
                  f"events/s under the profiler): {prof['main_thread_samples']} main-thread "
                  f"samples; consumer thread busy {prof['consumer_thread_busy_share']:.0%}, "
                  f"thread pool (history sink) busy "
                  f"{prof.get('pool_thread_busy_share', 0.0):.0%} of that wall time")
    table.add_column("phase (share of main-thread wall time)")
    table.add_column("%", justify="right")
    table.add_column("top self time (share of busy samples)")
    table.add_column("%", justify="right")
    phases, hot = prof["phases"], prof["self_busy"]
    for i in range(max(len(phases), min(len(hot), 15))):
        p = phases[i] if i < len(phases) else None
        h = hot[i] if i < len(hot) else None
        table.add_row(p["phase"] if p else "", f"{p['share']:.1%}" if p else "",
                      escape(h["function"][:80]) if h else "",   # "[pool thread] ..."
                      f"{h['share_of_busy']:.1%}" if h else "")
    console.print(table)


def write(report: dict[str, Any], outcomes: list[Outcome], figures: list[Outcome],
          stamp: str) -> Path:
    """bench/results/ingest-<stamp>.json (and ingest-latest.json): ``report`` plus the
    reference figures, ratios, aims, per-scenario medians and every run."""
    report = {
        **report,
        "reference_events_per_s": REFERENCE,
        "ratios": ratios(figures),
        "aims": aims(figures),
        "summary": [{"scenario": o.scenario, "median_events_per_s": o.events_per_s,
                     "runs_events_per_s": rates, "status": o.status}
                    for o, rates in medians(figures)],
        "scenarios": [asdict(o) for o in outcomes],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ingest-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    shutil.copyfile(path, RESULTS / "ingest-latest.json")
    return path
