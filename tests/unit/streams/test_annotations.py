"""Grafana annotations: off without settings, retried on failure, never blocking the caller."""

import json
import time

from streams.annotations import Annotator, annotation
from streams.settings import Settings

RECORD = {"event": "start", "id": "k#time@0", "key": "region|east", "kind": "time",
          "at_s": 1_800_000_000.0, "started_s": 0.0, "depth": 14.9, "driver": "timeliness",
          "measure": "sla_miss", "measure_from": 0.1, "measure_to": 0.85}


def test_off_without_a_url_and_token():
    annotator = Annotator.from_settings(Settings())
    assert annotator.post is None and annotator.thread is None
    annotator.submit(json.dumps(RECORD).encode())   # a no-op


def test_a_failed_post_is_retried_and_the_caller_never_waits():
    calls = []

    def post(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise ConnectionError("grafana down")

    annotator = Annotator(post, backoff_s=0.01)
    started = time.monotonic()
    annotator.submit(json.dumps(RECORD).encode())
    assert time.monotonic() - started < 0.01
    annotator.queue.join()
    assert len(calls) == 3 and annotator.posted == 1 and annotator.failed == 0
    assert calls[-1] == annotation(RECORD)
    assert calls[-1]["tags"] == ["cxpulse", "dive", "time", "start"]
    assert "driver timeliness" in calls[-1]["text"] and "sla_miss 10% -> 85%" in calls[-1]["text"]


def test_a_full_queue_drops_instead_of_blocking():
    annotator = Annotator(lambda **_: time.sleep(1), max_queue=1)
    for _ in range(5):
        annotator.submit(json.dumps(RECORD).encode())
    assert annotator.queue.qsize() <= 1
