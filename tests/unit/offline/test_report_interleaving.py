"""``cxpulse report`` ignores how source partitions interleave (issue 12), as a seeded property.

A consumer reads each (topic, partition) in order but interleaves them as it likes, and a replay
after a crash may interleave them differently. Over a few hundred generated cases (small
simulated worlds with crowded customers, duplicates, late and invalid lines, and tight dedupe
bounds), every merge of the file that keeps each (topic, partition) in its own order must give
the same report: every row, counts exactly, float sums to rounding. Each world spans less than
the FCR window, the margin within which docs/metrics.md promises order independence.
"""

import json
import math
import random
from datetime import datetime, timedelta, timezone

import pytest

from offline.report import SEGMENT_VIEW, build_report, report_rows, summary
from streams.partitioning import partition_for_key
from streams.settings import Settings
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

START = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=8)))
WORLDS = 30
MERGES_PER_WORLD = 10
EVENTS = 300
#: Tight bounds so dedupe forgetting and the FCR caps are exercised, not just present.
SETTINGS = Settings(dedupe_window_s=3600.0, dedupe_max_ids=8)
#: Every full segment and every served view.
VIEWS = [SEGMENT_VIEW, *SETTINGS.active_views().values()]


def _world(seed: int) -> list[bytes]:
    """A seeded file of EVENTS lines over a few crowded customers and about a day and a half."""
    rng = random.Random(seed)
    config = SimulatorConfig(seed=seed, rate_per_s=0.0025, customers=rng.choice([2, 5, 12, 40]),
                             invalid_share=0.02, duplicate_share=0.05, late_share=0.02)
    return [item_bytes(item) for item in generate(config, None, START, count=EVENTS)]


def _source(line: bytes, partitions: list[int]) -> tuple[str, int]:
    """The (event type, partition) a line is read from; lines that fail to parse share one."""
    try:
        event = json.loads(line)
        return event["type"], partition_for_key(event["customer_id"].encode(), partitions)
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unparsed", 0


def _merge(lines: list[bytes], rng: random.Random) -> list[bytes]:
    """A random merge of the file that keeps each source's lines in file order: sources take
    turns in runs of random length (1 line to the whole source)."""
    partitions = list(range(SETTINGS.topic_partitions))
    sources: dict[tuple[str, int], list[bytes]] = {}
    for line in lines:
        sources.setdefault(_source(line, partitions), []).append(line)
    queues = [list(reversed(queue)) for queue in sources.values()]
    longest = rng.choice([1, 5, 50, len(lines)])
    merged: list[bytes] = []
    while queues:
        queue = rng.choice(queues)
        for _ in range(rng.randint(1, longest)):
            if not queue:
                break
            merged.append(queue.pop())
        queues = [queue for queue in queues if queue]
    return merged


def _rows(lines: list[bytes]) -> tuple[dict, dict]:
    report = build_report(lines, SETTINGS)
    rows = {(row.kind, row.metric, row.segment, row.window, row.window_end_s): row.value
            for row in report_rows(report, VIEWS)}
    return rows, summary(report)


def _same(want: object, got: object, metric: str) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        if want is None or got is None:
            return want is got
        # Float sums are added in bucket order, which follows the interleaving; sums of epoch
        # seconds keep a residue of a few ulp(1.7e9) per ticket.
        absolute = 1e-3 if metric.endswith("created_s") else 1e-6
        return math.isclose(want, got, rel_tol=1e-9, abs_tol=absolute)
    return want == got


@pytest.mark.parametrize("seed", range(WORLDS))
def test_any_source_preserving_interleaving_gives_the_same_report(seed):
    lines = _world(seed)
    expected_rows, expected_summary = _rows(lines)
    assert any(key[1] == "fcr/failed" for key in expected_rows)
    rng = random.Random(seed)
    for _ in range(MERGES_PER_WORLD):
        merged = _merge(lines, rng)
        assert sorted(merged) == sorted(lines)
        rows, counts = _rows(merged)
        assert counts == expected_summary
        assert rows.keys() == expected_rows.keys()
        differ = [key for key, value in rows.items()
                  if not _same(expected_rows[key], value, key[1])]
        assert not differ, differ[:5]
