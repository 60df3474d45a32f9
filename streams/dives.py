"""Dive detection in stage 2: a small hook the stage-2 flush calls for its partition.

At a flush whose clock crossed a detector step, :meth:`DiveMonitor.evaluate` judges the time
dives of the keys of ``dives.time_views`` (metrics/time_dives.py) and the journey dives of every
business line with a journey (metrics/journeys.py; the journey view routes a line's stages to
one partition). It publishes an immutable snapshot for /metrics (streams/serving/dives.py) and
returns the dive-log records (start and end) to send to cx.dives; the partition's
:class:`~metrics.dives.DiveBook` is saved with its clock, so a restart repeats neither.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from metrics.dives import Dive, DiveBook, DiveRules, Measure
from metrics.journeys import Journey, journey_dives
from metrics.time_dives import time_dive
from metrics.views import View, view_name
from metrics.windows import SegmentWindows, floor_to

log = logging.getLogger(__name__)


class DiveMonitor:
    """Evaluates the dives of one worker's stage-2 partitions."""

    def __init__(self, views: Mapping[str, View], measure: Measure, rules: DiveRules,
                 time_views: Iterable[str], journey_view: str | None,
                 journeys: Iterable[Journey]) -> None:
        self.views = views
        self.measure = measure
        self.rules = rules
        self.time_views = frozenset(v for v in time_views if v in views)
        self.journey_view = journey_view if journey_view in views else None
        self.journeys = {line: j for j in journeys for line in j.business_lines}

    def due(self, last_step_s: int, clock_s: float) -> bool:
        """Whether the clock entered a new detector step since ``last_step_s``."""
        return floor_to(clock_s, self.rules.step_minutes * 60) > last_step_s

    def step_of(self, clock_s: float) -> int:
        return floor_to(clock_s, self.rules.step_minutes * 60)

    def evaluate(self, keys: Mapping[str, SegmentWindows],
                 changed: set[str] | None = None) -> dict[str, Dive]:
        """The dives of ``keys`` (view key -> windows), as ``key#kind`` -> Dive: of every key,
        or with ``changed`` only of those keys and of the business lines they belong to."""
        out: dict[str, Dive] = {}
        lines: dict[str, dict[str, Any]] = {}
        touched = None if changed is None else {
            key.split("|")[1] for key in changed if view_name(key) == self.journey_view}
        for key, windows in keys.items():
            name = view_name(key)
            if "other" in key.split("|")[1:] or not windows.end_s:
                continue   # a fold of several keys: not one segment's curve
            if name == self.journey_view and touched is not None:
                if key.split("|")[1] in touched:
                    lines.setdefault(key.split("|")[1], {})
            if changed is not None and key not in changed and name != self.journey_view:
                continue
            if name in self.time_views and (changed is None or key in changed):
                dive = time_dive(key, windows.minutes, windows.hours, windows.end_s,
                                 self.measure, self.rules)
                out[f"{key}#time"] = dive
            if name == self.journey_view:
                _, line, stage = key.split("|")
                if touched is None or line in touched:
                    lines.setdefault(line, {})[stage] = windows.totals[self.rules.journey_window]
        for line, buckets in sorted(lines.items()):
            journey = self.journeys.get(line)
            if journey is None:
                continue
            for dive in journey_dives(journey, line, buckets, self.measure, self.rules,
                                      lambda stage, line=line: f"{self.journey_view}|{line}|{stage}"):
                out[f"{dive.key}#{dive.kind}"] = dive
        return out

    @staticmethod
    def log_records(book: DiveBook, dives: dict[str, Dive], at_s: float) -> list[bytes]:
        """Start and end records for the dives that changed state (JSON, cx.dives values).
        A dive the book holds on is marked active in ``dives`` (its gauge says what the log
        says)."""
        records = []
        for ident in sorted(dives):
            record = book.observe(dives[ident], at_s)
            if record is not None:
                records.append(json.dumps(record, ensure_ascii=False).encode())
            if book.holds(dives[ident]) and not dives[ident].active:
                dives[ident] = replace(dives[ident], active=True)
        return records
