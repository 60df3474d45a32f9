"""The ``cxpulse`` command line: broker, topics, worker, simulate, replay, up, dives, schema,
report, history, views, alerts (rules), dashboards, notify-bridge, config."""

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

from metrics.errors import ConfigError, CxpulseError

console = Console(stderr=True)


def _settings(args: argparse.Namespace, **overrides: object):
    from streams.settings import Settings

    if getattr(args, "broker_url", None):
        overrides["broker_url"] = args.broker_url
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def cmd_broker(args: argparse.Namespace) -> int:
    """Run Tansu in the foreground until Ctrl-C or SIGTERM, then stop it."""
    from ops.broker import EmbeddedBroker
    from ops.processes import interrupt_on_sigterm
    from ops.topics import create_topics

    interrupt_on_sigterm()
    broker = EmbeddedBroker(args.host, args.port, Path(args.log) if args.log else None)
    broker.start()
    try:
        if args.create_topics:
            create_topics(_settings(args, broker_url=broker.url))
        console.print(f"embedded broker ready at {broker.url} (Ctrl-C stops it)")
        return broker.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        broker.stop()


def cmd_topics(args: argparse.Namespace) -> int:
    """Create the cxpulse topics (idempotent) and list them."""
    from ops.topics import create_topics

    for name, partitions in create_topics(_settings(args)).items():
        print(f"{name}\t{partitions} partitions")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run one Faust worker."""
    from streams.worker import run_worker

    run_worker(_settings(args, web_port=args.web_port, worker_id=args.worker_id))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Export the JSON Schema of the event contract and of the data file."""
    from metrics.schema import export_schemas
    from streams.dataconfig_load import SCHEMA_FILE_NAME, render_schema

    for path in export_schemas(Path(args.folder)):
        print(path)
    path = Path(args.folder) / SCHEMA_FILE_NAME
    path.write_text(render_schema(), encoding="utf-8")
    print(path)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Validate a data file: a summary and exit 0, or every problem with its path and exit 2."""
    from datetime import date

    from streams.dataconfig_load import load_config, summary

    path = Path(args.file)
    config = load_config(path)   # DataConfigError: main prints it and exits 2
    print("\n".join(summary(config, path, date.today())))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Generate simulated traffic into Kafka or a JSONL file."""
    from traffic.simulated import simulate

    return simulate(args, _settings(args), console)


def cmd_replay(args: argparse.Namespace) -> int:
    """Send a recorded JSONL event file to Kafka."""
    from traffic.replay import replay

    summary = replay(Path(args.file), _settings(args), args.envelope, args.send_invalid,
                     args.invalid_topic, console)
    console.print(summary.render())
    return 0 if summary.ok(args.send_invalid) else 1


def _file_report(path: Path, settings: Any, send_invalid: bool) -> Any:
    """The offline report of an event file, or None after printing why it cannot be read."""
    from offline.report import build_report

    if not path.is_file():
        console.print(f"error: {path} is not a file", style="red", markup=False)
        return None
    try:
        return build_report(path, settings, send_invalid, console)
    except OSError as error:
        console.print(f"error: {error}", style="red", markup=False)
        return None


def cmd_report(args: argparse.Namespace) -> int:
    """Compute the metric catalogue offline from a JSONL event file."""
    from offline.report import choose_views, summary_tables, write_report

    settings = _settings(args)
    try:
        views = choose_views(settings.active_views(), args.view)
    except ValueError as error:
        console.print(f"error: {error}", style="red", markup=False)
        return 2
    report = _file_report(Path(args.file), settings, args.send_invalid)
    if report is None:
        return 2
    try:
        write_report(report, args.format, Path(args.out) if args.out else None, views)
    except OSError as error:
        console.print(f"error: {error}", style="red", markup=False)
        return 2
    if args.out or args.format != "table":
        console.print(summary_tables(report)[0])
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Query the history store: a metric by period and segment dimensions."""
    from streams.history.output import write_rows
    from streams.history.query import Query, parse_time, parse_where, run_query

    settings = _settings(args)
    if args.store:
        settings = settings.model_copy(update={"history_urls": [args.store]})
    query = Query(args.metric, tuple(d for text in args.by or [] for d in text.split(",") if d),
                  parse_where(args.where or []),
                  parse_time(args.since) if args.since else None,
                  parse_time(args.until) if args.until else None, args.granularity)
    write_rows(run_query(settings, query), query, args.format, Console())
    return 0


def cmd_views(args: argparse.Namespace) -> int:
    """Print the series /metrics would hold for an event file and the configured views."""
    from rich.table import Table

    from offline.budget import budget

    path = Path(args.file)
    settings = _settings(args)
    views, windows = settings.active_views(), settings.exported_windows()
    report = _file_report(path, settings, True)
    if report is None:
        return 2
    data = settings.data_config()
    found = budget(report, views, windows, data.catalogue(), data.survey_targets.rules())
    out = Console()
    table = Table(title=f"series for {path.name}: {len(report.segments):,} full segments, "
                  f"windows {', '.join(windows)}")
    for column in ("view", "dimensions", "keys", "max keys", "series"):
        table.add_column(column, justify="left" if column in ("view", "dimensions") else "right")
    for name, view in views.items():
        table.add_row(name, ", ".join(view.dimensions) or "-", f"{found.keys[name]:,}",
                      f"{view.max_keys:,}", f"{found.by_view[name]:,}")
    table.add_row("total", "", f"{sum(found.keys.values()):,}", "", f"{found.series:,}")
    out.print(table)
    out.print(f"exposition: {found.series:,} view series, {found.bytes / 1e6:.2f} MB over all "
              f"workers (each worker serves its keys' windows and its own counters)")
    if args.families:
        families = Table(title="series per family")
        families.add_column("family")
        families.add_column("series", justify="right")
        for name, count in found.by_family.most_common():
            families.add_row(name, f"{count:,}")
        out.print(families)
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    """Build (or check) every generated alerting file, or render the deployable
    Alertmanager config with its secrets."""
    from alerts.build import build, render_all
    from alerts.spec import load_spec

    settings = _settings(args)
    spec = Path(args.spec) if getattr(args, "spec", None) else None
    if args.action == "alertmanager":
        from alerts.alertmanager import with_secrets

        secret = settings.alert_wecom_api_secret
        text = render_all(settings, load_spec(spec or settings.alert_spec_file))
        out = Path(args.out or "alertmanager.yml")
        out.write_text(with_secrets(text["alertmanager.yml"],
                                    secret.get_secret_value() if secret else None))
        console.print(f"wrote {out}")
        return 0
    lines = build(settings, spec, Path(args.out) if args.out else None, args.check)
    return _generated(lines, args.check, "the data file, the alert spec and the settings",
                      "cxpulse alerts build", "generated alerting files are up to date")


def cmd_dashboards(args: argparse.Namespace) -> int:
    """Build (or check) the Grafana boards' JSON, or render them to PNG from a Prometheus."""
    from dashboards.build import BUILD_DIR, build
    from dashboards.context import Context

    if args.action == "render":
        from dashboards.render import render_boards

        if not args.prometheus and not args.history_url:
            console.print("render needs --prometheus URL and/or --history-url URL", style="red")
            return 2
        password = _settings(args).history_password if args.history_url else None
        paths = render_boards(Path(args.build_dir or BUILD_DIR), args.prometheus,
                              Path(args.out or "docs/boards"),
                              int(args.range_minutes * 60) if args.range_minutes else None,
                              args.history_url,
                              password.get_secret_value() if password is not None else None)
        console.print("wrote\n  " + "\n  ".join(map(str, paths)), markup=False,
                      soft_wrap=True)
        return 0
    ctx = Context.from_settings(_settings(args), args.language)
    lines = build(ctx, Path(args.out) if args.out else None, args.check)
    return _generated(lines, args.check, "what the boards build", "cxpulse dashboards build",
                      "built dashboards are up to date")


def _generated(lines: list[str], check: bool, source: str, command: str, ok: str) -> int:
    """Report a build of generated files: with ``check``, the files that differ from
    ``source`` (exit 1) or ``ok``; otherwise the files written."""
    if not check:
        console.print("wrote\n  " + "\n  ".join(lines), markup=False, soft_wrap=True)
        return 0
    if lines:
        console.print(f"differ from {source}: run `{command}` and commit them:\n  "
                      + "\n  ".join(lines), style="red", markup=False, soft_wrap=True)
        return 1
    console.print(ok)
    return 0


def cmd_notify_bridge(args: argparse.Namespace) -> int:
    """Serve Alertmanager webhooks and post them to DingTalk and Feishu until Ctrl-C."""
    from notify.bridge import run_bridge

    settings = _settings(args)
    run_bridge(settings, args.host or settings.notify_bridge_host,
               args.port or settings.notify_bridge_port)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Run the whole embedded stack until Ctrl-C, SIGTERM or --duration-s, then stop it."""
    from ops.processes import interrupt_on_sigterm
    from ops.up import UpOptions, run_up

    interrupt_on_sigterm()
    options = UpOptions(
        run_dir=Path(args.run_dir), broker_port=args.broker_port, workers=args.workers,
        first_web_port=args.web_port, prometheus_port=args.prometheus_port,
        alertmanager_port=args.alertmanager_port, rate_per_s=args.rate,
        envelope_size=args.envelope, seed=args.seed,
        scenario=Path(args.scenario) if args.scenario else None,
        duration_s=args.duration_s, monitoring=not args.no_monitoring,
    )
    return run_up(options, Console())


def cmd_dives(args: argparse.Namespace) -> int:
    """List the dives on now and those ended recently, from the cx.dives log."""
    from ops.dive_log import describe, fold, read_log

    current, recent = fold(read_log(_settings(args)), args.recent_hours * 3600)
    print(f"{len(current)} dive(s) on")
    for record in current:
        print("  " + describe(record))
    print(f"{len(recent)} ended in the last {args.recent_hours:g} h of event time")
    for record in recent:
        print("  " + describe(record))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every command documents its options in --help."""
    parser = argparse.ArgumentParser(
        prog="cxpulse",
        description="Live customer-service quality metrics. Settings come from CXPULSE_* "
        "environment variables (docs/configuration.md); options below override them.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = command("up", cmd_up, "Start broker, workers, Prometheus, Alertmanager and the "
                "simulator on 127.0.0.1 and show a live summary until Ctrl-C or SIGTERM, "
                "then stop them all.")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--rate", type=float, default=200.0, help="simulated events/s (default 200)")
    p.add_argument("--envelope", type=int, default=1,
                   help="events per envelope; 1 sends single events (default 1)")
    p.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    p.add_argument("--scenario", help="scenario YAML for the simulator")
    p.add_argument("--run-dir", default="run", help="configs, data and logs (default ./run)")
    p.add_argument("--broker-port", type=int, default=9092, help="embedded broker port")
    p.add_argument("--web-port", type=int, default=6066, help="first worker's /metrics port")
    p.add_argument("--prometheus-port", type=int, default=9090, help="Prometheus port")
    p.add_argument("--alertmanager-port", type=int, default=9093, help="Alertmanager port")
    p.add_argument("--duration-s", type=float, help="stop after this many seconds")
    p.add_argument("--no-monitoring", action="store_true",
                   help="do not start Prometheus and Alertmanager")

    p = command("broker", cmd_broker, "Run the embedded Kafka-protocol broker (Tansu, memory "
                "storage) in the foreground until Ctrl-C or SIGTERM.")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9092, help="listen port (default 9092)")
    p.add_argument("--log", help="write the broker's output to this file")
    p.add_argument("--create-topics", action="store_true", help="create the cxpulse topics")

    p = command("topics", cmd_topics, "Create the cxpulse topics if missing (idempotent).")
    p.add_argument("action", choices=["create"])
    p.add_argument("--broker-url", help="kafka://host:port (default CXPULSE_BROKER_URL)")

    p = command("worker", cmd_worker, "Run one Faust worker (stage 1) with /metrics.")
    p.add_argument("--broker-url", help="kafka://host:port (default CXPULSE_BROKER_URL)")
    p.add_argument("--web-port", type=int, help="HTTP port of /metrics (CXPULSE_WEB_PORT)")
    p.add_argument("--worker-id", help="worker id (CXPULSE_WORKER_ID)")

    p = command("simulate", cmd_simulate, "Produce seeded, realistic traffic to Kafka, or "
                "write it to a JSONL file with --out.")
    p.add_argument("--broker-url", help="kafka://host:port (default CXPULSE_BROKER_URL)")
    p.add_argument("--rate", type=float, default=200.0, help="mean events/s (default 200)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--count", type=int, help="stop after this many items")
    p.add_argument("--duration-s", type=float, help="stop after this much event time")
    p.add_argument("--envelope", type=int, default=1, help="events per envelope (default 1)")
    p.add_argument("--scenario", help="scenario YAML (docs/simulator.md)")
    p.add_argument("--speedup", type=float, default=None,
                   help="event time per real second; 0 = as fast as possible "
                   "(default 1 to Kafka, 0 with --out)")
    p.add_argument("--start", help="event time of the first item, ISO 8601 with offset")
    p.add_argument("--out", help="write JSONL here instead of sending to Kafka")
    p.add_argument("--invalid-share", type=float, default=0.0,
                   help="share of deliberately invalid items (default 0)")
    p.add_argument("--duplicate-share", type=float, default=0.0,
                   help="share of exact duplicates of earlier events (default 0)")
    p.add_argument("--late-share", type=float, default=0.0,
                   help="share of events delivered hours late (default 0)")

    p = command("replay", cmd_replay, "Send a JSONL event file (one event per line) to Kafka, "
                "with progress.")
    p.add_argument("file", help="JSONL file, one event per line")
    p.add_argument("--broker-url", help="kafka://host:port (default CXPULSE_BROKER_URL)")
    p.add_argument("--envelope", type=int, default=1, help="events per envelope (default 1)")
    p.add_argument("--send-invalid", action="store_true",
                   help="send lines that fail validation as they are (to test rejection)")
    p.add_argument("--invalid-topic", default=None,
                   help="topic for invalid lines with no usable type (default: calls topic)")

    p = command("dives", cmd_dives, "List the dives on now and those that ended recently, "
                "from the dive log topic (docs/dives.md).")
    p.add_argument("--broker-url", help="kafka://host:port (default CXPULSE_BROKER_URL)")
    p.add_argument("--recent-hours", type=float, default=24.0,
                   help="show dives that ended within this much event time (default 24)")

    p = command("schema", cmd_schema, "Export the JSON Schema of the event contract and of "
                "the data file (dataconfig.schema.json).")
    p.add_argument("folder", nargs="?", default="schemas", help="target folder (default schemas)")

    p = command("config", cmd_config, "Check a data file (questionnaires, targets, calendar, "
                "windows, views): print a summary, or each problem with its path (exit 2).")
    p.add_argument("action", choices=["check"])
    p.add_argument("file", help="the YAML data file (CXPULSE_CONFIG_FILE names the one used)")

    p = command("report", cmd_report, "Compute every metric offline from a JSONL event file, "
                "routed and ordered as replay and the workers would: the stream's oracle.")
    p.add_argument("file", help="JSONL file, one event per line (as simulate --out writes)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table: summary on the terminal (default); csv, json: one row per "
                   "metric, view key and window")
    p.add_argument("--view", action="append", metavar="NAME",
                   help="rows of this view only (repeatable); 'segment' gives the full cross "
                   "product of segment dimensions (default: every view the workers serve)")
    p.add_argument("--out", help="write here instead of stdout")
    p.add_argument("--send-invalid", action="store_true",
                   help="as replay --send-invalid: invalid lines reach the workers and count "
                   "as rejected (default: counted as not sent)")

    p = command("history", cmd_history, "Query the history store (closed windows): a metric "
                "by period, grouped and filtered by any segment dimensions, re-aggregated from "
                "sums and counts (docs/history.md).")
    p.add_argument("metric", help="a component (calls/offered) or a figure "
                   "(calls.service_level, surveys.after_sales_10.attitude.index)")
    p.add_argument("--by", action="append", metavar="DIM[,DIM]",
                   help="group by these segment dimensions (repeatable)")
    p.add_argument("--where", action="append", metavar="DIM=VALUE[,VALUE]",
                   help="keep these values of a dimension (repeatable)")
    p.add_argument("--since", help="first window start, ISO 8601 (UTC without an offset)")
    p.add_argument("--until", help="windows starting before this, ISO 8601")
    p.add_argument("--granularity", choices=["hour", "day", "week", "month"], default="day",
                   help="period of each row (default day; hour reads a view's hours)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="output format (default table)")
    p.add_argument("--store", help="store URL (default: the first of CXPULSE_HISTORY_URLS)")

    p = command("views", cmd_views, "Print the Prometheus series the configured views give "
                "for an event file (the series budget), per view and in total.")
    p.add_argument("file", help="JSONL file, one event per line (as simulate --out writes)")
    p.add_argument("--families", action="store_true", help="also count series per family")

    for name in ("alerts", "rules"):
        p = command(name, cmd_alerts, "Generate the recording rules, alert rules and "
                    "Alertmanager config from the data file and alerts/spec.yaml (`rules` is "
                    "the same command); `alertmanager` renders the deployable Alertmanager "
                    "config with secrets from the settings.")
        p.add_argument("action", choices=["build", "alertmanager"])
        p.add_argument("--check", action="store_true",
                       help="fail (exit 1) when a committed file differs from what would be "
                       "generated")
        p.add_argument("--spec", help="alert spec file (default CXPULSE_ALERT_SPEC_FILE, else "
                       "alerts/spec.yaml)")
        p.add_argument("--out", help="build: write rules/*.yml and alertmanager.yml under this "
                       "folder instead of the repository; alertmanager: the file to write")

    p = command("dashboards", cmd_dashboards, "Build the Grafana boards of dashboards/ into "
                "dashboards/build/ (one JSON per board, fixed uids; --check fails on drift), "
                "or render each built board to a PNG from a real Prometheus.")
    p.add_argument("action", choices=["build", "render"])
    p.add_argument("--check", action="store_true",
                   help="build: fail (exit 1) when a committed JSON differs from the build")
    p.add_argument("--out", help="build: folder for the JSON (default dashboards/build/); "
                   "render: folder for the PNGs (default docs/boards/)")
    p.add_argument("--language", choices=["en", "zh"],
                   help="build: titles in this language (default CXPULSE_DASHBOARD_LANGUAGE)")
    p.add_argument("--prometheus", help="render: Prometheus base URL, e.g. http://127.0.0.1:9090")
    p.add_argument("--history-url", help="render: the History board from this PostgreSQL history "
                   "store (postgresql://USER@HOST/DB, password CXPULSE_HISTORY_PASSWORD)")
    p.add_argument("--build-dir", help="render: the built JSON to draw (default dashboards/build/)")
    p.add_argument("--range-minutes", type=float,
                   help="render: time range of the graphs (default each board's own)")

    p = command("notify-bridge", cmd_notify_bridge, "Receive Alertmanager webhooks on "
                "/dingtalk and /feishu and post them as DingTalk and Feishu robot messages.")
    p.add_argument("--host", help="bind address (default CXPULSE_NOTIFY_BRIDGE_HOST)")
    p.add_argument("--port", type=int, help="port (default CXPULSE_NOTIFY_BRIDGE_PORT)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cxpulse`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    from streams.settings import MOVED_TO_DATA_FILE, describe_error, unknown_variables

    unknown = unknown_variables(os.environ)
    if unknown:
        moved = [f"{name} is now {MOVED_TO_DATA_FILE[name]} in the data file "
                 f"(docs/configuration.md)" for name in unknown if name in MOVED_TO_DATA_FILE]
        console.print("\n".join(["invalid configuration: unknown variables "
                                  + ", ".join(unknown), *moved]),
                      style="red", markup=False)
        return 2
    try:
        return args.func(args)
    except ValidationError as error:
        console.print("invalid configuration:\n" + describe_error(error), style="red",
                      markup=False)
        return 2
    except ConfigError as error:
        # soft_wrap: one problem per line, whatever the terminal width (grep, CI logs)
        console.print(f"invalid configuration: {error}", style="red", markup=False,
                      soft_wrap=True)
        return 2
    except CxpulseError as error:
        console.print(f"error: {error}", style="red", markup=False)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
