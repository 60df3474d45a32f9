"""Optional Grafana annotations of dive starts and ends (off unless a URL and token are set).

The stream only puts records on a bounded queue (:meth:`Annotator.submit` never blocks and
never raises); a daemon thread posts them with grafana-client, retrying a failed post with
exponential backoff (1 s, 2 s, 4 s ... up to ``max_attempts``) and logging each failure. When
the queue is full a record is dropped and logged: annotations decorate a board, the dive log on
cx.dives is the record of truth.
"""

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from streams.settings import Settings

log = logging.getLogger(__name__)
#: Tags every dive annotation carries (the Satisfaction board's annotation query asks for them).
TAGS = ("cxpulse", "dive")


def annotation(record: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of grafana-client's add_annotation for one dive-log record."""
    depth = record.get("depth")
    text = (f"dive {record['event']}: {record['key']} {record['kind']}"
            + (f", {depth:.1f} points" if depth is not None else "")
            + (f", driver {record['driver']}" if record.get("driver", "none") != "none" else "")
            + (f", {record['measure']} {record['measure_from']:.0%} -> "
               f"{record['measure_to']:.0%}" if record.get("measure", "none") != "none" else ""))
    return {"time_from": int(record["at_s"] * 1000),
            "tags": [*TAGS, record["kind"], record["event"]], "text": text}


class Annotator:
    """Posts dive records to Grafana from a thread; a no-op when ``post`` is None."""

    def __init__(self, post: Callable[..., Any] | None, max_queue: int = 1000,
                 max_attempts: int = 5, backoff_s: float = 1.0) -> None:
        self.post = post
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(max_queue)
        self.posted = 0
        self.failed = 0
        self.thread: threading.Thread | None = None
        if post is not None:
            self.thread = threading.Thread(target=self._run, name="grafana-annotations",
                                           daemon=True)
            self.thread.start()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Annotator":
        """On with ``CXPULSE_GRAFANA_URL`` and ``CXPULSE_GRAFANA_TOKEN``; off otherwise."""
        if not settings.grafana_url or settings.grafana_token is None:
            return cls(None)
        from grafana_client import GrafanaApi   # only when configured

        api = GrafanaApi.from_url(settings.grafana_url,
                                  credential=settings.grafana_token.get_secret_value(),
                                  timeout=5.0)
        return cls(api.annotations.add_annotation)

    def submit(self, record: bytes) -> None:
        """Queue one cx.dives record; never blocks, never raises."""
        if self.post is None:
            return
        try:
            self.queue.put_nowait(json.loads(record))
        except queue.Full:
            log.warning("Grafana annotation queue full: dropped a dive annotation")
        except ValueError:
            log.exception("not a dive record")

    def _run(self) -> None:
        while True:
            record = self.queue.get()
            for attempt in range(1, self.max_attempts + 1):
                try:
                    self.post(**annotation(record))
                    self.posted += 1
                    break
                except Exception as error:  # any client or network fault: log and retry
                    log.warning("Grafana annotation failed (attempt %d of %d): %s", attempt,
                                self.max_attempts, error)
                    if attempt == self.max_attempts:
                        self.failed += 1
                    else:
                        time.sleep(self.backoff_s * 2 ** (attempt - 1))
            self.queue.task_done()
