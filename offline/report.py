"""``cxpulse report``: the metric catalogue computed offline from a JSONL event file.

The report replays the file through the same stage-1 maths the stream runs
(:func:`metrics.contributions.apply_event`) and the same windows (metrics.windows), in the
order the stream would see it: each line goes where ``cxpulse replay`` would send it (source
topic of its type, partition from the customer key), and each source topic-partition is
processed in file order with its own watermark. That makes it the oracle of the parity test.

Rows are (metric, view key, window, window end, value) for every component and every figure
(metrics.figures) of every key of the chosen views (metrics/views.py): by default every view the
workers serve, so the rows are what Prometheus gets; the pseudo-view ``segment`` gives the full
cross product of segment dimensions instead. A dimension a view sums over is "*" in its rows.
"""

import csv
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from metrics.components import add_into, total
from metrics.contributions import (
    SEGMENT_FIELDS,
    SEP,
    AgentCap,
    Contributions,
    Outcome,
    apply_event,
)
from metrics.events import decode_message, reasons
from metrics.figures import Figure, backlog_figures, figures
from metrics.questionnaires import Questionnaire
from metrics.surveys import SurveyTargets
from metrics.views import View
from metrics.windows import MINUTE_WINDOWS, WINDOWS, SegmentWindows
from streams.partitioning import partition_for_key
from streams.settings import Settings
from traffic.replay import _route_invalid

BACKLOG = "backlog"
FORMATS = ("table", "csv", "json")
#: Contributions are fed to the windows every this many events (bounds their memory).
DRAIN_EVERY = 10_000
#: Windows are moved to the clock when it has gained this much since they last moved, so buckets
#: too old for any window are pruned while reading (memory). The totals do not depend on it: a
#: pruned bucket is outside every window at the final clock too, and :meth:`_Engine.finish`
#: recomputes the totals from the kept buckets.
ADVANCE_EVERY_S = 6 * 3600.0
COLUMNS = ("kind", "metric", "view", *SEGMENT_FIELDS, "window", "window_end", "window_end_s",
           "value")
#: The pseudo-view of full segments (every dimension): rows for analysts, never served live.
SEGMENT_VIEW = View("segment", SEGMENT_FIELDS, distribution=True)


@dataclass
class Report:
    """Windows per segment and what happened to every line.

    ``counts`` is topic -> outcome (accepted, duplicate, late) -> events; ``rejected`` counts
    sent invalid lines by the reason the worker would give, ``not_sent`` invalid lines that
    replay would not send (no --send-invalid), both by reason. ``clock_s`` is the newest
    accepted event time (epoch seconds), where every window ends.
    """

    segments: dict[str, SegmentWindows] = field(default_factory=dict)
    clock_s: float = 0.0
    lines: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    rejected: Counter[str] = field(default_factory=Counter)
    not_sent: Counter[str] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    agents_overflowed: int = 0
    questionnaires: Mapping[str, Questionnaire] = field(default_factory=dict)
    targets: SurveyTargets = SurveyTargets()


@dataclass(frozen=True, slots=True)
class Row:
    """One number of the report: a component ("component") or a figure ("figure")."""

    kind: str
    metric: str
    segment: str
    window: str
    window_end_s: float
    value: Figure


class _Engine:
    """Stage-1 state of the whole file: customer records, watermarks, the agent cut."""

    def __init__(self, settings: Settings, send_invalid: bool) -> None:
        self.settings = settings
        self.send_invalid = send_invalid
        self.rules = settings.catalogue_rules()
        self.limits = settings.input_limits()
        self.partitions = list(range(settings.topic_partitions))
        self.kinds = {topic: kind for kind, topic in settings.source_topics.items()}
        self.records: dict[str, dict[str, Any]] = {}
        self.watermarks: dict[tuple[str, int], float] = {}
        self.agents = AgentCap(settings.agent_cut, settings.agent_cap)
        self.out = Contributions()
        self.pending = 0
        self.advanced_s = 0.0
        data = settings.data_config()
        self.questionnaires = data.catalogue()
        self.report = Report(questionnaires=self.questionnaires,
                             targets=data.survey_targets.rules())

    def line(self, line: bytes) -> None:
        """Route one non-blank line as ``cxpulse replay`` would, then process its message."""
        self.report.lines += 1
        checked = decode_message(line, None, self.limits, questionnaires=self.questionnaires)
        if checked.rejected or checked.envelope:
            # The same verdict as EventProducer.send_bytes, which replay relies on.
            reason = checked.rejected[0].reason if checked.rejected else reasons.BAD_ENVELOPE
            if not self.send_invalid:
                self.report.not_sent[reason] += 1
                return
            topic, key = _route_invalid(line, self.settings, self.settings.calls_topic)
            # A message without a key lands on a partition the client picks at random; the
            # report can only pick one. Such a line holds events only if it is an envelope.
            partition = partition_for_key(key, self.partitions) if key is not None else 0
            self._message(topic, partition, line)
            return
        event = checked.events[0]
        partition = partition_for_key(event.customer_id.encode(), self.partitions)
        self._message(self.settings.source_topics[event.type], partition, line)

    def _message(self, topic: str, partition: int, line: bytes) -> None:
        """What a worker does with one message of ``topic``: decode, reject, apply."""
        decoded = decode_message(line, self.kinds[topic], self.limits,
                                 questionnaires=self.questionnaires)
        for rejection in decoded.rejected:
            self.report.rejected[rejection.reason] += 1
        for event in decoded.events:
            self._apply(topic, partition, event)

    def _apply(self, topic: str, partition: int, event: Any) -> None:
        record = self.records.get(event.customer_id)
        if record is None:
            record = self.records[event.customer_id] = {"p": partition}
        slot = (topic, partition)
        watermark_s = self.watermarks.get(slot, 0.0)
        applied = apply_event(self.rules, event, record, watermark_s, self.agents, self.out)
        self.report.counts[topic][applied.outcome.value] += 1
        if applied.anomaly:
            self.report.anomalies[applied.anomaly] += 1
        if applied.outcome is Outcome.ACCEPTED:
            at_s = event.occurred_at.timestamp()
            self.watermarks[slot] = max(watermark_s, at_s)
            self.report.clock_s = max(self.report.clock_s, at_s)
        self.pending += 1
        if self.pending >= DRAIN_EVERY:
            self.drain()

    def drain(self) -> None:
        """Feed the accumulated minute buckets into their segments' windows."""
        segments = self.report.segments
        for (segment, minute_s), bucket in self.out.buckets.items():
            windows = segments.get(segment)
            if windows is None:
                windows = segments[segment] = SegmentWindows()
            windows.add_bucket(minute_s, bucket)
        self.out.buckets.clear()
        self.pending = 0
        if self.report.clock_s - self.advanced_s >= ADVANCE_EVERY_S:
            self.advance()

    def advance(self) -> None:
        """End every segment's windows at the report clock."""
        for windows in self.report.segments.values():
            windows.advance(self.report.clock_s)
        self.advanced_s = self.report.clock_s

    def finish(self) -> Report:
        """Drain, end every window at the report clock and return the report.

        Window totals are rebuilt as plain sums of the buckets inside each window: moving
        windows adds and subtracts, which leaves zero-valued keys and float residue that would
        make the output depend on how often the windows moved while reading.
        """
        self.drain()
        self.advance()
        segments = self.report.segments
        for segment, moved in segments.items():
            segments[segment] = SegmentWindows(minutes=moved.minutes, hours=moved.hours,
                                               backlog=moved.backlog, end_s=moved.end_s)
        self.report.agents_overflowed = self.agents.overflowed
        return self.report


def _file_lines(path: Path, console: Console | None) -> Iterator[bytes]:
    """Lines of ``path`` as bytes, with a progress bar on ``console`` if given."""
    with path.open("rb") as handle:
        if console is None:
            yield from handle
            return
        columns = (*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"reading {path.name}", total=path.stat().st_size)
            for line in handle:
                progress.advance(task, len(line))
                yield line


def build_report(source: str | Path | Iterable[bytes | str], settings: Settings,
                 send_invalid: bool = False, console: Console | None = None) -> Report:
    """The report of a JSONL file (a path) or of its lines; blank lines are skipped.

    ``send_invalid`` mirrors ``cxpulse replay --send-invalid``. A progress bar is shown on
    ``console`` while a file is read. Raises OSError when the file cannot be read.
    """
    engine = _Engine(settings, send_invalid)
    if isinstance(source, (str, Path)):
        lines: Iterable[bytes | str] = _file_lines(Path(source), console)
    else:
        lines = source
    for raw in lines:
        line = raw.encode() if isinstance(raw, str) else raw
        line = line.rstrip(b"\r\n")
        if line.strip():
            engine.line(line)
    return engine.finish()


# -- rows ------------------------------------------------------------------------------------
def view_windows(report: Report, view: View) -> dict[str, SegmentWindows]:
    """Every key of ``view``: the window totals and backlog of its segments, summed, ending at
    the report clock (what stage 2 holds for the key once every partial has arrived)."""
    if view.name == SEGMENT_VIEW.name:
        return {SEP.join((view.name, segment)): windows
                for segment, windows in report.segments.items()}
    keys: dict[str, SegmentWindows] = {}
    for segment, windows in report.segments.items():
        key = view.key_of(segment)
        found = keys.get(key)
        if found is None:
            found = keys[key] = SegmentWindows()
            found.advance(report.clock_s)
            found.totals = {name: {} for name in WINDOWS}
        for name in WINDOWS:
            add_into(found.totals[name], {k: v for k, v in windows.totals[name].items()
                                          if view.serves(k)})
        add_into(found.backlog, {k: v for k, v in windows.backlog.items() if view.serves(k)})
    # A key whose segments had nothing this view serves is no key of the view.
    return {key: windows for key, windows in keys.items()
            if windows.backlog or any(windows.totals.values())}


def all_segments(report: Report) -> SegmentWindows:
    """The sum of every segment's window totals and backlog, ending at the report clock."""
    windows = SegmentWindows()
    windows.advance(report.clock_s)
    segments = report.segments.values()
    windows.totals = {name: total(s.totals[name] for s in segments) for name in WINDOWS}
    windows.backlog = total(s.backlog for s in segments)
    return windows


def window_end_s(windows: SegmentWindows, name: str) -> int:
    """Where window ``name`` ends: the minute end (1h, 24h) or the hour end (7d, 30d)."""
    return windows.end_s if name in MINUTE_WINDOWS else windows.hour_end_s


def key_rows(report: Report, key: str, windows: SegmentWindows) -> Iterator[Row]:
    """Components then figures of each window of one view key, then its backlog."""
    for name in WINDOWS:
        end_s = window_end_s(windows, name)
        bucket = windows.totals[name]
        for component in sorted(bucket):
            yield Row("component", component, key, name, end_s, bucket[component])
        derived = figures(bucket, report.questionnaires, report.targets)
        for metric, value in derived.items():
            yield Row("figure", metric, key, name, end_s, value)
    for component in sorted(windows.backlog):
        yield Row("component", component, key, BACKLOG, report.clock_s,
                  windows.backlog[component])
    for metric, value in backlog_figures(windows.backlog, report.clock_s).items():
        yield Row("figure", metric, key, BACKLOG, report.clock_s, value)


def report_rows(report: Report, views: Iterable[View]) -> Iterator[Row]:
    """Every row of ``views``, view by view, each in key order."""
    for view in views:
        keyed = view_windows(report, view)
        for key in sorted(keyed):
            yield from key_rows(report, key, keyed[key])


def row_record(row: Row, views: dict[str, View]) -> dict[str, Any]:
    """A row as a flat dict of COLUMNS: the view, one field per segment dimension ("*" where
    the view sums it away), window end in ISO 8601."""
    name, *values = row.segment.split(SEP)
    view = views[name]
    fields = dict.fromkeys(SEGMENT_FIELDS, "*")
    fields.update(zip(view.dimensions, values, strict=True))
    end = datetime.fromtimestamp(row.window_end_s, UTC).isoformat()
    return {"kind": row.kind, "metric": row.metric, "view": name, **fields,
            "window": row.window, "window_end": end, "window_end_s": row.window_end_s,
            "value": row.value}


def choose_views(available: dict[str, View], names: list[str] | None) -> list[View]:
    """The views named (``segment`` for full segments), or every available view when None.

    Raises ValueError naming the unknown views and the known ones.
    """
    known = {**available, SEGMENT_VIEW.name: SEGMENT_VIEW}
    if not names:
        return list(available.values())
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown view {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in dict.fromkeys(names)]


def summary(report: Report) -> dict[str, Any]:
    """The counts of a report as a JSON-ready dict."""
    return {
        "lines": report.lines,
        "clock_s": report.clock_s,
        "segments": len(report.segments),
        "counts": {topic: dict(outcomes) for topic, outcomes in sorted(report.counts.items())},
        "rejected": dict(sorted(report.rejected.items())),
        "not_sent": dict(sorted(report.not_sent.items())),
        "anomalies": dict(sorted(report.anomalies.items())),
        "agents_overflowed": report.agents_overflowed,
    }


# -- writers ---------------------------------------------------------------------------------
def write_csv(report: Report, views: list[View], handle: IO[str]) -> None:
    """One CSV line per row of ``views``, with a header of COLUMNS; None is an empty cell."""
    by_name = {view.name: view for view in views}
    writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report_rows(report, views):
        writer.writerow(row_record(row, by_name))


def write_json(report: Report, views: list[View], handle: IO[str]) -> None:
    """{"summary": ..., "rows": [...]} for ``views``, written row by row (None is null)."""
    by_name = {view.name: view for view in views}
    handle.write('{"summary": ' + json.dumps(summary(report)) + ', "rows": [')
    for index, row in enumerate(report_rows(report, views)):
        handle.write(("\n" if index == 0 else ",\n") + json.dumps(row_record(row, by_name)))
    handle.write("\n]}\n")


def _show(value: Figure) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"


def summary_tables(report: Report) -> list[Table]:
    """What happened to the lines, and the figures of all segments per window."""
    counts = Table(title="report: lines")
    counts.add_column("what")
    counts.add_column("count", justify="right")
    counts.add_row("lines", f"{report.lines:,}")
    for topic, outcomes in sorted(report.counts.items()):
        for outcome in Outcome:
            counts.add_row(f"{topic} {outcome.value}", f"{outcomes[outcome.value]:,}")
    for title, counter in (("rejected", report.rejected), ("not sent", report.not_sent),
                           ("anomaly", report.anomalies)):
        for reason, count in sorted(counter.items()):
            counts.add_row(f"{title}: {reason}", f"{count:,}")
    counts.add_row("segments", f"{len(report.segments):,}")
    if not report.segments:
        return [counts]
    windows = all_segments(report)
    clock = datetime.fromtimestamp(report.clock_s, UTC).isoformat()
    table = Table(title=f"all segments, windows ending at the clock {clock}")
    table.add_column("figure", overflow="fold")
    for name in WINDOWS:
        table.add_column(name, justify="right")
    by_window = {name: figures(windows.totals[name], report.questionnaires, report.targets)
                 for name in WINDOWS}
    names = sorted({metric for values in by_window.values() for metric in values})
    for metric in names:
        table.add_row(metric, *(_show(by_window[name].get(metric)) for name in WINDOWS))
    backlog = Table(title="backlog at the clock")
    backlog.add_column("figure", overflow="fold")
    backlog.add_column("value", justify="right")
    for metric, value in backlog_figures(windows.backlog, report.clock_s).items():
        backlog.add_row(metric, _show(value))
    return [counts, table, backlog]


def write_report(report: Report, fmt: str, out: Path | None, views: list[View]) -> None:
    """Write ``report`` as ``fmt`` (table, csv, json) to ``out``, or to stdout when None;
    csv and json hold the rows of ``views``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if out is None:
        _write(report, fmt, sys.stdout, Console(), views)
        sys.stdout.flush()
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        _write(report, fmt, handle, Console(file=handle, width=120, color_system=None), views)


def _write(report: Report, fmt: str, handle: IO[str], console: Console,
           views: list[View]) -> None:
    if fmt == "csv":
        write_csv(report, views, handle)
    elif fmt == "json":
        write_json(report, views, handle)
    else:
        for table in summary_tables(report):
            console.print(table)
