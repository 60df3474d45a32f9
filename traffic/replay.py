"""``cxpulse replay``: send a recorded JSONL file (one event per line) to Kafka."""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from metrics.errors import RejectedEvent
from streams.settings import Settings
from traffic.producer import EventProducer


@dataclass
class ReplaySummary:
    """What a replay did: lines read, valid events sent, invalid lines by reason."""

    lines: int = 0
    sent_valid: int = 0
    sent_invalid: int = 0
    invalid: Counter[str] = field(default_factory=Counter)

    def ok(self, send_invalid: bool) -> bool:
        """True when every line was sent (invalid ones only count with --send-invalid)."""
        return send_invalid or not self.invalid

    def render(self) -> Table:
        """A table for the terminal."""
        table = Table(title="replay")
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("lines", f"{self.lines:,}")
        table.add_row("valid events sent", f"{self.sent_valid:,}")
        table.add_row("invalid lines sent as-is", f"{self.sent_invalid:,}")
        for reason, count in sorted(self.invalid.items()):
            table.add_row(f"invalid: {reason}", f"{count:,}")
        return table


def _route_invalid(line: bytes, settings: Settings, default_topic: str) -> tuple[str, bytes | None]:
    """Best-effort topic and key for a line that failed validation."""
    try:
        obj = json.loads(line)
    except ValueError:
        return default_topic, None
    if not isinstance(obj, dict):
        return default_topic, None
    topic = settings.source_topics.get(obj.get("type"), default_topic)
    key = obj.get("customer_id")
    return topic, key.encode() if isinstance(key, str) else None


def replay(path: Path, settings: Settings, envelope_size: int, send_invalid: bool,
           invalid_topic: str | None, console: Console) -> ReplaySummary:
    """Send every line of ``path``; invalid lines are counted, and sent only if asked."""
    summary = ReplaySummary()
    default_topic = invalid_topic or settings.calls_topic
    producer = EventProducer(settings, envelope_size)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    try:
        with path.open("rb") as handle, Progress(*columns, console=console) as progress:
            task = progress.add_task(f"replaying {path.name}", total=path.stat().st_size)
            for line in handle:
                progress.advance(task, len(line))
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue
                summary.lines += 1
                try:
                    producer.send_bytes(line)
                    summary.sent_valid += 1
                except RejectedEvent as rejected:
                    summary.invalid[rejected.reason] += 1
                    if send_invalid:
                        topic, key = _route_invalid(line, settings, default_topic)
                        producer.send_raw(topic, key, line)
                        summary.sent_invalid += 1
    finally:
        producer.close()
    return summary
