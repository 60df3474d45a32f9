"""Stage-1 ingest throughput: raw aiokafka vs a bare Faust agent vs the real cxpulse worker.

``python -m bench.ingest [--quick] [--events N] [--single-events N] [--only NAME ...]
[--variant LABEL:KEY=VAL] [--repeat N] [--profile]``; see bench/README.md for the method and
how to read the results.

Every scenario gets a fresh embedded broker (Tansu, memory storage) on its own port; the
simulator's events (calls, ticket lifecycles, surveys) are pre-loaded into cx.calls /
cx.tickets / cx.surveys with the project's EventProducer before the consumer starts, then the
consumer is started pinned to one core and timed from the first event processed to the last.
Results go to a rich table and to bench/results/ingest-<UTC timestamp>.json (copied to
ingest-latest.json); that folder is ignored by git, and bench/README.md keeps the dated
summary of the runs that matter.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.markup import escape

from bench import report
from bench.data import simulate
from bench.host import (
    REPO,
    code_fingerprint,
    cores,
    git_state,
    idle_check,
    machine,
    snapshot,
)
from bench.model import POLL_S, Config, Outcome, Scenario
from bench.report import console
from bench.run import run_scenario


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
    p.add_argument("--customers", type=int, default=20_000,
                   help="the simulator's customer pool")
    p.add_argument("--span-hours", type=float, default=24.0,
                   help="event time the corpus spans (the simulator's rate is events / span); "
                        "per-minute and per-hour work (partials, window hours, closed "
                        "windows) grows as the span is packed into fewer seconds")
    p.add_argument("--partitions", type=int, default=4, help="partitions per source topic")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these scenarios, e.g. worker-envelope bare-single (with their "
                   "variants) or worker-envelope@flush5s (that variant alone)")
    p.add_argument("--profile", action="store_true",
                   help="afterwards, re-run the bare and worker scenarios with py-spy attached "
                   "(reported separately, never mixed into the figures)")
    p.add_argument("--variant", action="append", default=[], metavar="LABEL:KEY=VAL[,KEY=VAL]",
                   help="also run the worker scenarios with these CXPULSE_* settings, e.g. "
                   "flush5s:FLUSH_INTERVAL_S=5 or kafka-profile:BROKER_PROFILE=kafka "
                   "(named worker-envelope@LABEL)")
    p.add_argument("--bare-variant", action="append", default=[], metavar="LABEL:JSON",
                   help="also run the bare scenarios with these Faust options on top of "
                   "faust_options(), e.g. 'fetch1m:{\"consumer_max_fetch_size\": 1048576}'")
    p.add_argument("--repeat", type=int, default=1,
                   help="run every scenario N times (interleaved); the table shows the median")
    p.add_argument("--startup-timeout-s", type=float, default=120.0,
                   help="consumer start to first event (default 120)")
    p.add_argument("--run-timeout-s", type=float, default=600.0,
                   help="first event to last (default 600)")
    p.add_argument("--stall-timeout-s", type=float, default=60.0,
                   help="give up after this long without progress (default 60)")
    p.add_argument("--poll-s", type=float, default=POLL_S,
                   help="/progress, /metrics and /proc polling interval (default 0.2)")
    p.add_argument("--broker-core", type=int, help="core for the broker and the harness")
    p.add_argument("--consumer-core", type=int, help="core for the consumer under test")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    return p


def plan(args: argparse.Namespace, single_events: int,
         envelope_events: int) -> list[Scenario] | str:
    """The scenarios to run, in order; an error message for a bad flag."""
    scenarios = [
        Scenario(f"{consumer}-{fmt}", consumer, size, n)
        for consumer in ("raw", "bare", "worker")
        for fmt, size, n in (("single", 1, single_events),
                             ("envelope", args.envelope_size, envelope_events))
    ]
    for variant in args.bare_variant:
        label, _, options = variant.partition(":")
        try:
            faust_overrides = json.loads(options)
        except ValueError:
            faust_overrides = None
        if not label or not isinstance(faust_overrides, dict):
            return f"--bare-variant wants LABEL:JSON, got {variant!r}"
        scenarios += [Scenario(f"{s.name}@{label}", s.consumer, s.envelope_size, s.events,
                               faust=faust_overrides)
                      for s in list(scenarios) if s.consumer == "bare" and not s.faust]
    for variant in args.variant:
        label, _, assignments = variant.partition(":")
        env = dict(item.split("=", 1) for item in assignments.split(",") if "=" in item)
        if not label or not env:
            return f"--variant wants LABEL:KEY=VAL[,KEY=VAL], got {variant!r}"
        scenarios += [Scenario(f"{s.name}@{label}", s.consumer, s.envelope_size, s.events,
                               env=env)
                      for s in list(scenarios) if s.consumer == "worker" and not s.env]
    if args.only:  # a base name selects its variants too; a variant name only itself
        unknown = set(args.only) - {s.name for s in scenarios}
        if unknown:
            return f"unknown scenario(s) {sorted(unknown)}"
        scenarios = [s for s in scenarios
                     if s.name in args.only or s.name.split("@")[0] in args.only]
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
    return scenarios


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    dropped = sorted(k for k in os.environ if k.startswith("CXPULSE_"))
    for key in dropped:  # the bench is defined by its flags, not by the caller's environment
        del os.environ[key]
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    scale = 10 if args.quick else 1
    envelope_events = args.events or 200_000 // scale
    single_events = args.single_events or 40_000 // scale
    broker_core, consumer_core = cores(args.broker_core, args.consumer_core)
    if broker_core is None:
        console.print("[yellow]only one usable core: nothing is pinned[/yellow]")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = Path(tempfile.mkdtemp(prefix=f"cxpulse-bench-{stamp}-"))
    git_before, code_dir = git_state(), snapshot(run_dir)
    cfg = Config(single_events, envelope_events, args.envelope_size, args.customers, args.seed,
                 args.partitions, args.startup_timeout_s, args.run_timeout_s,
                 args.stall_timeout_s, broker_core, consumer_core, run_dir, code_dir,
                 args.poll_s)
    scenarios = plan(args, single_events, envelope_events)
    if isinstance(scenarios, str):
        console.print(f"[red]{escape(scenarios)}[/red]")
        return 2

    console.print(f"cxpulse ingest bench: {envelope_events:,} events in envelopes of "
                  f"{args.envelope_size}, {single_events:,} single events, simulator with "
                  f"{args.customers:,} customers; broker+harness on core {broker_core}, "
                  f"consumer on core {consumer_core}; logs in {cfg.run_dir}")
    if dropped:
        console.print(f"[yellow]ignoring {', '.join(dropped)} from the environment[/yellow]")
    busy = idle_check()
    if any(share > 0.1 for share in busy.values()):
        console.print(f"[yellow]the machine is not idle: core busy shares before start "
                      f"{ {c: round(b, 2) for c, b in busy.items()} }; other processes will "
                      f"perturb the figures (see 'other load' per scenario)[/yellow]")
    corpora = {n: simulate(n, args.customers, args.seed, args.span_hours * 3600.0)
               for n in sorted({s.events for s in scenarios})}
    for n, corpus in corpora.items():
        console.print(f"  corpus of {n:,}: {corpus.mix['kinds']}, ticket actions "
                      f"{corpus.mix['ticket_actions']}, event time {corpus.start} .. "
                      f"{corpus.end}")
    started = time.time()
    measured = code_fingerprint(code_dir)
    outcomes: list[Outcome] = []
    try:
        for sc in scenarios:
            run = f", run {sc.run} of {args.repeat}" if args.repeat > 1 else ""
            console.print(f"[bold]{escape(sc.name)}[/bold] ({sc.events:,} events{run})")
            outcomes.append(run_scenario(cfg, sc, corpora[sc.events].events))
            report.print_outcome(outcomes[-1])
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; reporting what finished[/yellow]")

    tree_now = code_fingerprint()
    if tree_now != measured:
        console.print("[yellow]streams/, metrics/ or bench/ changed during the run; every "
                      "consumer ran the snapshot taken at the start[/yellow]")
    figures = [o for o in outcomes if not o.scenario.endswith("+profile")]
    report.print_summary(figures)
    for o in outcomes:
        report.print_profile(o)
    if not args.no_save:
        head = {
            "benchmark": "stage-1 ingest",
            "started_at": datetime.fromtimestamp(started, UTC).isoformat(),
            "duration_s": round(time.time() - started, 1),
            "git": {**git_before, "at_end": git_state(),
                    "code_fingerprint": {"measured": measured, "tree_at_end": tree_now},
                    "snapshot": str(code_dir)},
            "machine": {**machine(), "core_busy_before_start": busy},
            "config": {
                "single_events": single_events, "envelope_events": envelope_events,
                "envelope_size": args.envelope_size, "customers": args.customers,
                "span_hours": args.span_hours,
                "partitions_per_topic": args.partitions, "seed": args.seed,
                "quick": args.quick, "repeat": args.repeat,
                "broker_core": broker_core, "consumer_core": consumer_core,
                "poll_s": args.poll_s,
                "timeouts_s": {"startup": args.startup_timeout_s, "run": args.run_timeout_s,
                               "stall": args.stall_timeout_s},
                "run_dir": str(cfg.run_dir), "argv": sys.argv[1:] if argv is None else argv,
                "corpora": {str(n): {"start": c.start, "end": c.end, **c.mix}
                            for n, c in corpora.items()},
            },
        }
        path = report.write(head, outcomes, figures, stamp)
        console.print(f"results: {path.relative_to(REPO)} (and ingest-latest.json)")
    return 0 if outcomes and all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
