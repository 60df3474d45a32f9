"""History: a simulated file of ~2.3 days replayed through the real broker into two workers
writes, into the real PostgreSQL and the embedded SQLite store at once, exactly the closed
windows ``cxpulse report``'s engine computes from the same file (every view key's hours, every
full segment's days), also when a worker is SIGKILLed mid-replay and restarted; the monthly
re-aggregation equals the offline figure; a second replay of the file changes no row.

One broker, one worker pair and one file for the whole module (the tests run in order)."""

import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

import psycopg
import pytest

from metrics.components import add_into
from metrics.figures import figures
from metrics.history import DAY_S, floor_to, is_closed
from offline.history import closed_windows, rows, segment_hours
from ops.broker import EmbeddedBroker
from ops.processes import Child, free_port, wait_http
from ops.scrape import scrape, total
from ops.topics import create_topics
from streams.history.query import Query, answer
from streams.history.store import open_store
from streams.settings import Settings
from tests.integration.helpers import (
    KILLED_COMMIT_INTERVAL_S,
    kill_while_busy,
    processed,
    progress,
    wait_until,
)
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulated import item_bytes

pytestmark = pytest.mark.integration
START = datetime(2026, 10, 30, 0, 0, tzinfo=UTC)
EVENTS = 30_000
PG = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = f"history_it_{os.getpid()}"
METRICS = ("calls.service_level", "fcr.rate", "tickets.complaint.closure_rate",
           "surveys.after_sales_10.overall_index", "calls/offered")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The file (0.15 events/s: 2.3 days of event time) and its expected closed windows."""
    folder = tmp_path_factory.mktemp("history")
    path = folder / "events.jsonl"
    config = SimulatorConfig(seed=11, rate_per_s=0.15, invalid_share=0.01,
                             duplicate_share=0.02, late_share=0.01)
    path.write_bytes(b"".join(item_bytes(item) + b"\n"
                              for item in generate(config, None, START, count=EVENTS)))
    settings = Settings()
    report, hours = segment_hours(path, settings)
    windows = closed_windows(hours, settings.active_views().values(), settings.history_grace_s,
                             report.clock_s)
    days = {w.start_s for w in windows if w.size_s == DAY_S}
    assert len(days) >= 2, "the file must close at least two days"
    return {"path": path, "folder": folder, "report": report, "hours": hours,
            "expected": rows(windows)}


@pytest.fixture(scope="module")
def stores(world):
    """The two store URLs: a fresh PostgreSQL schema (dropped at the end) and a SQLite file."""
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    urls = [f"sqlite:///{world['folder'] / 'history.sqlite'}",
            f"{PG}?options=-csearch_path%3D{SCHEMA}"]
    yield urls
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


@pytest.fixture(scope="module")
def pipeline(world, stores):
    """The broker and a factory of workers writing history to both stores."""
    folder = world["folder"]
    children: list[Child] = []
    with EmbeddedBroker(port=free_port(), log_path=folder / "broker.log") as broker:
        create_topics(Settings(broker_url=broker.url))

        def start(worker_id: str, port: int | None = None, **extra: str) -> Child:
            port = port or free_port()
            env = {"CXPULSE_BROKER_URL": broker.url, "CXPULSE_WORKER_ID": worker_id,
                   "CXPULSE_WEB_PORT": str(port), "CXPULSE_DATA_DIR": str(folder / "data"),
                   "CXPULSE_HISTORY_URLS": json.dumps(stores), **extra}
            child = Child(f"worker {worker_id}", [sys.executable, "-m", "ops.cli", "worker"],
                          folder / f"worker-{worker_id}-{len(children)}.log", env)
            child.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
            children.append(child.start())
            wait_http(child.url + "/metrics", 60, child)  # type: ignore[attr-defined]
            return child

        yield broker, start, children
        for child in children:
            child.stop()


def _replay(broker, path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "replay", str(path), "--broker-url", broker.url,
         "--envelope", "100", "--send-invalid"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _processed(url: str) -> float:
    return processed(progress(url))


def _differences(expected: dict, got: dict, limit: int = 10) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(got)):
        want, have = expected.get(key), got.get(key)
        if want is None or have is None or not math.isclose(want, have, rel_tol=1e-9,
                                                            abs_tol=1e-6):
            problems.append(f"{key}: expected {want}, stored {have}")
    return problems[:limit] + [f"{len(problems)} rows differ"] if problems else []


def _stored(url: str, settings: Settings) -> dict:
    store = open_store(url, {n: v.dimensions for n, v in settings.active_views().items()})
    try:
        return store.rows()
    finally:
        store.close()


def _await_rows(urls: list[str], expected: dict, timeout_s: float = 240) -> None:
    settings = Settings()
    deadline = time.monotonic() + timeout_s
    problems: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        problems = {url: found for url in urls
                    if (found := _differences(expected, _stored(url, settings)))}
        if not problems:
            return
        time.sleep(3)
    raise AssertionError("history differs from the report:\n" + "\n".join(
        f"{url}:\n  " + "\n  ".join(found) for url, found in problems.items()))


def test_a_worker_killed_mid_replay_leaves_exactly_the_reports_windows(world, stores, pipeline):
    broker, start, children = pipeline
    first = start("w1")
    second = start("w2", CXPULSE_COMMIT_INTERVAL_S=str(KILLED_COMMIT_INTERVAL_S))
    replay = _replay(broker, world["path"])
    killed_at = kill_while_busy(second, second.url, EVENTS * 0.1)
    assert killed_at < EVENTS * 0.6, "the kill came too late to be mid-replay"
    time.sleep(2)
    restarted = start("w2", port=int(second.url.rsplit(":", 1)[1]))
    assert replay.wait(timeout=600) == 0, replay.stderr.read()[-2000:]
    _await_rows(stores, world["expected"])
    scraped = [scrape(child.url + "/metrics", timeout_s=60) for child in (first, restarted)]
    replays = sum(total(s, "cxpulse_events_replayed_total")
                  + total(s, "cxpulse_partials_total", result="replayed") for s in scraped)
    # Or Faust dropped the fetched replay and the restarted worker sought to its saved position.
    seeks = total(scraped[1], "cxpulse_source_seeks_total")
    assert replays + seeks > 0, "the kill exercised no replay path"


def test_monthly_reaggregation_equals_the_offline_figure(world, stores, pipeline):
    settings = Settings()
    data = settings.data_config()
    clock = world["report"].clock_s
    month = datetime.fromtimestamp(START.timestamp(), UTC).replace(day=1)
    offline: dict[str, dict] = {}
    for (segment, hour), bucket in world["hours"].items():
        day = floor_to(hour, DAY_S)
        when = datetime.fromtimestamp(day, UTC)
        if is_closed(day, DAY_S, settings.history_grace_s, clock) and \
                (when.year, when.month) == (month.year, month.month):
            add_into(offline.setdefault(segment.split("|")[0], {}), bucket)
    assert offline
    for url in stores:
        store = open_store(url, {n: v.dimensions for n, v in settings.active_views().items()})
        try:
            for metric in METRICS:
                got = answer(store, Query(metric, by=("region",), granularity="month",
                                          until_s=int(datetime(month.year, month.month + 1, 1,
                                                               tzinfo=UTC).timestamp())),
                             settings)
                assert {row["period"] for row in got} == {month.isoformat()}
                values = {row["region"]: row["value"] for row in got}
                want = {region: (bucket.get(metric, 0) if "/" in metric else figures(
                    bucket, data.catalogue(), data.survey_targets.rules()).get(metric))
                    for region, bucket in offline.items()}
                assert values.keys() == want.keys()
                for region, value in want.items():
                    assert value is not None and math.isclose(values[region], value,
                                                              rel_tol=1e-12), (url, metric)
        finally:
            store.close()
    # The same query over HTTP, from a worker (its first store is the SQLite file).
    worker = next(child for child in pipeline[2] if child.alive)
    with urllib.request.urlopen(worker.url + "/history?metric=fcr.rate&by=region"
                                "&granularity=month", timeout=30) as response:
        served = json.loads(response.read())["rows"]
    store = open_store(stores[0], {n: v.dimensions for n, v in settings.active_views().items()})
    try:
        assert served == answer(store, Query("fcr.rate", by=("region",), granularity="month"),
                                settings)
    finally:
        store.close()


def test_a_second_replay_changes_no_row(world, stores, pipeline):
    broker, _, children = pipeline
    settings = Settings()
    before = {url: _stored(url, settings) for url in stores}
    alive = [child for child in children if child.alive]
    counted = sum(_processed(child.url) for child in alive)
    replay = _replay(broker, world["path"])
    assert replay.wait(timeout=600) == 0, replay.stderr.read()[-2000:]
    # Every line is counted again (as a duplicate, late or rejected) before rows are compared.
    wait_until(lambda: sum(_processed(child.url) for child in alive),
               lambda n: n >= counted + EVENTS, timeout_s=300, interval_s=1)
    time.sleep(8)   # two stage-2 flushes and the sink
    after = {url: _stored(url, settings) for url in stores}
    assert after == before
