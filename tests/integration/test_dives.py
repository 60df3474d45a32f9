"""Dive scenarios through the real broker and one real worker (docs/dives.md).

One simulated file (40 hours of event time, replayed far faster than real time) carries every
scenario of traffic/simulate/scenarios/dives.yaml; one broker and worker serve the module:

- (a) the east's repairs drop about 15 points at hour 28: a time dive within the documented
  delay, naming timeliness and slow first responses;
- (b) the north slides 5 points over 4 hours: caught by the sequential detector;
- (c) the east's awareness stage (a few surveys a day) falls 3 points: never dives;
- (d) the residential complaint stage sits 10 points under its benchmark on ample data:
  flagged; the tiny line's complaint stage, same benchmark, is not.
"""

import json
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from metrics.dives import OPERATIONAL
from metrics.stats import index_interval
from ops.broker import EmbeddedBroker
from ops.dive_log import fold, read_log
from ops.processes import Child, free_port, wait_http
from ops.scrape import scrape
from ops.topics import create_topics
from streams.dataconfig_load import DEFAULT_FILE
from streams.settings import Settings
from tests.integration.helpers import wait_until
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulate.scenario import load_scenario
from traffic.simulated import item_bytes

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
HOURS = 40
INJECTED_S = (START + timedelta(minutes=1680)).timestamp()
#: docs/dives.md: a 15-point fall at this key's ~60 responses per hour is caught within 2 h.
SUDDEN_DELAY_S = 2 * 3600
SLIDE_DELAY_S = 8 * 3600
SCENARIO = Path(__file__).resolve().parents[2] / "traffic/simulate/scenarios/dives.yaml"
CONFIG = SimulatorConfig(
    seed=101, rate_per_s=0.6, call_share=0.5, ticket_share=0.2, survey_share=0.3,
    regions=["north", "east"], business_lines=["residential", "equipment", "tiny"],
    business_line_weights={"residential": 1.0, "equipment": 1.0, "tiny": 0.01},
    stage_weights={"awareness": 0.03, "selection": 0.8, "purchase": 1.0, "handover": 0.8,
                   "usage": 2.0, "repair": 1.5, "complaint": 1.0, "repurchase": 0.4},
    questionnaire_weights={"after_sales_10": 1.0})


def _complaint_index(path: Path, line: str) -> tuple[int, float]:
    """Responses and overall index of ``line``'s complaint stage over the whole file."""

    n = total = squares = 0
    for raw in path.read_bytes().splitlines():
        event = json.loads(raw)
        if (event.get("type") == "survey" and event["business_line"] == line
                and event["journey_stage"] == "complaint"):
            score = event["scores"]["overall"]
            n, total, squares = n + 1, total + score, squares + score * score
    return n, index_interval(n, total, squares, 10).mean


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The file replayed into one worker; yields (metrics url, settings, facts)."""
    folder = tmp_path_factory.mktemp("dives")
    path = folder / "events.jsonl"
    items = generate(CONFIG, load_scenario(SCENARIO), START, duration_s=HOURS * 3600)
    path.write_bytes(b"".join(item_bytes(item) + b"\n" for item in items))
    ample_n, ample_index = _complaint_index(path, "residential")
    tiny_n, _ = _complaint_index(path, "tiny")
    data = yaml.safe_load(DEFAULT_FILE.read_text())
    benchmark = round(ample_index + 10, 1)
    data["journeys"]["real_estate"] = {
        "business_lines": ["residential", "tiny"],
        "stages": ["handover", "usage", "repair", "complaint"],
        "benchmarks": {"complaint": benchmark}}
    data["journeys"]["equipment_after_sales"]["business_lines"] = ["equipment"]
    config_file = folder / "data.yaml"
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    facts = {"ample_n": ample_n, "tiny_n": tiny_n, "benchmark": benchmark,
             "ample_index": ample_index}
    with EmbeddedBroker(port=free_port(), log_path=folder / "broker.log") as broker:
        settings = Settings(broker_url=broker.url, config_file=config_file)
        create_topics(settings)
        port = free_port()
        worker = Child("worker", [sys.executable, "-m", "ops.cli", "worker"],
                       folder / "worker.log", {
                           "CXPULSE_BROKER_URL": broker.url, "CXPULSE_WORKER_ID": "w1",
                           "CXPULSE_WEB_PORT": str(port), "CXPULSE_DATA_DIR": str(folder / "data"),
                           "CXPULSE_CONFIG_FILE": str(config_file)})
        worker.start()
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            wait_http(url, 60, worker)
            replay = subprocess.run(
                [sys.executable, "-m", "ops.cli", "replay", str(path), "--broker-url",
                 broker.url, "--envelope", "100"], capture_output=True, text=True, timeout=600,
                env={**__import__("os").environ, "CXPULSE_CONFIG_FILE": str(config_file)})
            assert replay.returncode == 0, replay.stderr[-2000:]
            end_s = (START + timedelta(hours=HOURS)).timestamp()
            # Every partition's windows reach the end, nothing waits for a flush, and one more
            # flush has judged the last data.
            wait_until(lambda: _clock(url), lambda clock: clock >= end_s - 600, timeout_s=300)
            wait_until(lambda: _quiet(url), bool, timeout_s=120)
            time.sleep(3 * settings.stage2_flush_interval_s)
            yield url, settings, facts
        finally:
            worker.stop()
            print(f"--- worker log tail ---\n{worker.tail(40)}")


def _clock(url: str) -> float:
    """The oldest stage-2 partition clock (each partition's windows end at its own)."""
    series = scrape(url, timeout_s=30).get("cxpulse_window_clock_timestamp_seconds", {})
    return min(series.values(), default=0.0) if len(series) == 4 else 0.0


def _quiet(url: str) -> bool:
    with urllib.request.urlopen(url.replace("/metrics", "/progress"), timeout=10) as answer:
        progress = json.loads(answer.read())
    return not progress["unflushed_messages"] and not progress["unflushed_partials"]


def _judged(url: str) -> dict:
    """(view key, kind) -> {family: value} of the dive gauges."""
    out: dict = {}
    for name, series in scrape(url, timeout_s=30).items():
        if not name.startswith("cxpulse_dive_"):
            continue
        for labels, value in series.items():
            found = dict(labels)
            key = "|".join([found["view"], *(found[d] for d in (
                "region", "business_line", "journey_stage") if d in found)])
            extra = found.get("side") or (f"{found['dimension']}/{found['measure']}"
                                          if name == "cxpulse_dive_driver" else "")
            out.setdefault((key, found["kind"]), {})[name + (f"/{extra}" if extra else "")] = value
    return out


def _log(settings) -> list[dict]:
    return read_log(settings)


def _starts(settings, key: str, kind: str) -> list[dict]:
    return [r for r in _log(settings) if r["key"] == key and r["kind"] == kind
            and r["event"] == "start"]


def test_a_sudden_drop_in_one_regions_repairs_is_caught_and_explained(run):
    url, settings, _ = run
    starts = _starts(settings, "region_stage|east|repair", "time")
    assert len(starts) == 1, _judged(url).get(("region_stage|east|repair", "time"))
    start = starts[0]
    assert INJECTED_S <= start["detected_s"] <= INJECTED_S + SUDDEN_DELAY_S, (
        (start["detected_s"] - INJECTED_S) / 3600)
    assert 10 <= start["depth"] and start["p_value"] < 0.001
    assert start["driver"] == "timeliness"
    # The start names the measure that rose most in the data at hand (the slow first responses
    # of tickets opened since the fall come hours later): one of the closed set that rose, or
    # none.
    assert start["measure"] in OPERATIONAL
    assert start["measure"] == "none" or start["measure_to"] > start["measure_from"]
    gauges = _judged(url)[("region_stage|east|repair", "time")]
    assert gauges["cxpulse_dive_active"] == 1
    # Once every topic has arrived, the gauges name the measure that rose most. region_stage
    # serves tickets and surveys, not calls: slow first responses (15 % to 40 % over the whole
    # file) lead repeat repairs (12 % to 21 %).
    assert [name for name, value in gauges.items()
            if name.startswith("cxpulse_dive_driver/") and value == 1] == [
                "cxpulse_dive_driver/timeliness/first_response_slow"]
    # The east's other busy stage, untouched, never dived (the north slides as a whole, so its
    # repairs may).
    assert not _starts(settings, "region_stage|east|usage", "time")


def test_a_slow_slide_is_caught_by_the_sequential_detector(run):
    url, settings, _ = run
    starts = _starts(settings, "region|north", "time")
    assert len(starts) == 1, starts
    assert INJECTED_S < starts[0]["detected_s"] <= INJECTED_S + SLIDE_DELAY_S
    assert 2 <= starts[0]["depth"] <= 8
    assert _judged(url)[("region|north", "time")]["cxpulse_dive_active"] == 1


def test_a_key_under_the_minimum_sample_never_dives(run):
    url, settings, _ = run
    assert not [r for r in _log(settings) if r["key"] == "region_stage|east|awareness"]
    gauges = _judged(url)[("region_stage|east|awareness", "time")]
    assert gauges["cxpulse_dive_active"] == 0
    assert gauges["cxpulse_dive_responses/judged"] < 30


def test_a_complaint_stage_under_its_benchmark_is_flagged_only_on_ample_data(run):
    url, settings, facts = run
    assert facts["ample_n"] >= 300 and facts["tiny_n"] < 100, facts
    judged = _judged(url)
    ample = judged[("journey|residential|complaint", "stage_vs_benchmark")]
    assert ample["cxpulse_dive_active"] == 1
    assert ample["cxpulse_dive_depth_points"] == pytest.approx(10, abs=1.5)
    assert ample["cxpulse_dive_p_value"] < 0.01
    tiny = judged[("journey|tiny|complaint", "stage_vs_benchmark")]
    assert tiny["cxpulse_dive_active"] == 0
    assert tiny["cxpulse_dive_responses/judged"] < 100
    assert _starts(settings, "journey|residential|complaint", "stage_vs_benchmark")
    assert not _starts(settings, "journey|tiny|complaint", "stage_vs_benchmark")


def test_cxpulse_dives_lists_the_current_dives(run):
    _, settings, _ = run
    current, _ = fold(_log(settings), 24 * 3600)
    keys = {(r["key"], r["kind"]) for r in current}
    assert ("region_stage|east|repair", "time") in keys
    listing = subprocess.run([sys.executable, "-m", "ops.cli", "dives", "--broker-url",
                              settings.broker_url], capture_output=True, text=True, timeout=60,
                             env={**__import__("os").environ,
                                  "CXPULSE_CONFIG_FILE": str(settings.config_file)})
    assert listing.returncode == 0, listing.stderr
    assert "region_stage|east|repair  time" in listing.stdout
    assert "driver timeliness" in listing.stdout
