"""A simulated file with invalid items and duplicates, replayed through the real broker into a
real worker: the worker's counts equal the simulator's ground truth, item for item."""

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest

from offline.report import build_report
from ops.scrape import scrape
from streams.settings import Settings
from tests.integration.helpers import counted, nonzero, wait_until
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulated import item_bytes

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("envelope", [1, 50])
def test_replayed_file_is_counted_as_the_simulator_says(broker, start_worker, tmp_path,
                                                         envelope):
    config = SimulatorConfig(seed=11, rate_per_s=50.0, invalid_share=0.03,
                             duplicate_share=0.03, late_share=0.01)
    items = list(generate(config, None, START, count=3_000))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(item_bytes(item) + b"\n" for item in items))
    # Late items (2 h after their event time) beyond the 15 min grace are counted as late,
    # not accepted; which ones depends on each partition's watermark: the report knows.
    report = build_report(path, Settings(), send_invalid=True)
    late = sum(counts["late"] for counts in report.counts.values())
    truth = {
        "accepted": sum(item.valid and not item.duplicate for item in items) - late,
        "rejected": sum(not item.valid for item in items),
        "duplicate": sum(item.valid and item.duplicate for item in items),
        "late": late,
    }
    # The file spans one minute of event time, so nothing is late here (test_parity covers it).
    assert min(truth[key] for key in ("accepted", "rejected", "duplicate")) > 0, truth
    worker = start_worker()

    result = subprocess.run(
        [sys.executable, "-m", "ops.cli", "replay", str(path), "--broker-url", broker.url,
         "--envelope", str(envelope), "--send-invalid"],
        capture_output=True, text=True, timeout=300, check=False)

    assert result.returncode == 0, result.stderr[-2000:]
    wait_until(lambda: counted(worker.metrics_url), lambda c: c == truth, timeout_s=120)
    samples = scrape(worker.metrics_url)
    by_reason = Counter()
    for labels, value in nonzero(samples, "cxpulse_events_rejected_total").items():
        by_reason[dict(labels)["reason"]] += value
    assert by_reason == Counter(item.defect for item in items if not item.valid)
