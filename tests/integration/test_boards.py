"""Every panel's PromQL against a real Prometheus that scraped two real workers fed by the
simulator; then the PNG renderer on the same stack.

One module, one broker, one worker pair, one Prometheus (the repository's rules, scrape and
evaluation every second). The simulator replays three hours of a weekday from 08:00 at 60x
(3 minutes), with invalid, duplicate and late events so the pipeline panels have data too.
"""

import json
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from dashboards.boards.satisfaction import dive_views
from dashboards.build import BUILD_DIR
from dashboards.context import Context
from dashboards.promql import (
    annotation_queries,
    fill,
    label_values,
    panel_queries,
    variable_queries,
)
from dashboards.queries import dives
from dashboards.render import Prometheus, PrometheusError, is_sql_board, render_boards
from ops.broker import EmbeddedBroker
from ops.monitoring import PROMETHEUS_CANDIDATES, find_binary, prometheus_config, write_yaml
from ops.processes import Child, free_port, wait_http
from ops.topics import create_topics
from streams.settings import Settings
from tests.integration.helpers import wait_until, worker_pair

pytestmark = pytest.mark.integration
SPEEDUP, RATE, EVENT_MINUTES = 60.0, 3.0, 180

EXPECTED_EMPTY = {
    # substring of the expression -> why it has no series after a few minutes
    "offset 1h": "compares with an hour ago: Prometheus has only minutes of history",
    "cxpulse_view_partials_folded_total": "no view reaches its key cap (500 keys) in the test",
    "cxpulse_dive_detector_ratio": "the time detector runs on a 7-day baseline "
                                   "(dives.baseline_days); the stack has 3 hours of events",
    "cxpulse_dive_active": "no dive is on, starting or ending (time dives need a 7-day "
                           "baseline); test_dive_queries_see_every_judged_key runs the same "
                           "expressions on every judged key",
}


def _local_morning() -> datetime:
    local = timezone(timedelta(hours=8))
    day = datetime.now(local) - timedelta(days=2)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.replace(hour=8, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Broker, two workers and Prometheus with traffic from the simulator, shared."""
    folder = tmp_path_factory.mktemp("boards")
    children: list[Child] = []
    broker = EmbeddedBroker(port=free_port(), log_path=folder / "broker.log").start()
    try:
        create_topics(Settings(broker_url=broker.url))
        cli = [sys.executable, "-m", "ops.cli"]
        workers, ports = worker_pair(broker.url, folder)
        children.extend(workers)
        for child, port in zip(children, ports):
            wait_http(f"http://127.0.0.1:{port}/metrics", 60, child)
        binary = find_binary(PROMETHEUS_CANDIDATES)
        assert binary, "Prometheus is missing: `make setup` installs it"
        prom_port = free_port()
        config = write_yaml(folder / "prometheus.yml",
                            prometheus_config(ports, None, scrape_interval_s=1))
        children.append(Child("prometheus", [
            binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}"], folder / "prometheus.log").start())
        url = f"http://127.0.0.1:{prom_port}"
        wait_http(url + "/-/ready", 30, children[-1])
        children.append(Child("simulator", [
            *cli, "simulate", "--broker-url", broker.url, "--rate", str(RATE),
            "--speedup", str(SPEEDUP), "--start", _local_morning().isoformat(), "--seed", "5",
            "--duration-s", str(EVENT_MINUTES * 60), "--invalid-share", "0.01",
            "--duplicate-share", "0.01", "--late-share", "0.005"],
            folder / "simulator.log").start())
        prometheus = Prometheus(url)
        started = time.monotonic()
        # Surveys follow resolved tickets, so they are the last families to appear; the region
        # and journey keys of a survey can sit on different workers, so wait for both views.
        wait_until(lambda: [prometheus.instant(
            f'{series}:cxpulse_survey_index:ratio{{window="1h"}}') for series in (
                "view_region_window_questionnaire_dimension",
                "view_business_line_journey_stage_window_questionnaire_dimension")],
            lambda found: all(found), timeout_s=240, interval_s=2)
        remaining = EVENT_MINUTES * 60 / SPEEDUP - (time.monotonic() - started)
        time.sleep(max(remaining, 0) + 5)
        yield {"prometheus": prometheus, "folder": folder}
    finally:
        for child in reversed(children):
            child.stop()
        broker.stop()


def _boards() -> dict[str, dict]:
    """The Prometheus boards (the History board's SQL: tests/integration/test_history_board.py)."""
    boards = {p.stem: json.loads(p.read_text()) for p in sorted(BUILD_DIR.glob("*.json"))}
    return {uid: board for uid, board in boards.items() if not is_sql_board(board)}


def test_every_panel_query_parses_and_returns_series(stack):
    prometheus = stack["prometheus"]
    empty, failed, counted = [], [], 0
    for board in _boards().values():
        for query in panel_queries(board) + annotation_queries(board):
            counted += 1
            expr = fill(query.expr, window="1h", range_s=600)
            try:
                result = prometheus.instant(expr)
            except PrometheusError as error:
                failed.append(f"{query.board} / {query.panel} / {query.ref}: {error}")
                continue
            if not result:
                empty.append((query, expr))
    assert not failed, "\n".join(failed)
    unexplained = []
    print(f"\n{counted} queries, {len(empty)} without series:")
    for query, expr in empty:
        reason = next((r for p, r in EXPECTED_EMPTY.items() if p in expr), None)
        print(f"  {query.board} / {query.panel} / {query.legend}: {reason or 'UNEXPLAINED'}")
        if reason is None:
            unexplained.append(f"{query.board} / {query.panel} / {query.ref}: {expr}")
    assert not unexplained, "\n".join(unexplained)


def test_dive_queries_see_every_judged_key(stack):
    """The dive table's expressions with "on now" widened to every judged key: each dive
    view's keys come back with the key and driver labels joined (the gauges exist as 0)."""
    prometheus = stack["prometheus"]
    views = dive_views(Context.from_settings(Settings()))
    for view in views:
        expr = fill(dives.on_now([view], "cxpulse_dive_responses", state=">= 0",
                                 side="reference"))
        rows = prometheus.instant(expr)
        assert rows, f"no judged key of view {view.name}: {expr}"
        assert all(r["metric"]["key"].startswith(f"{view.name}") and "measure" in r["metric"]
                   for r in rows), rows[:3]


def test_every_key_variable_lists_keys(stack):
    prometheus = stack["prometheus"]
    for board in _boards().values():
        for name, query in variable_queries(board).items():
            selector, label = label_values(query)
            assert prometheus.label_values(label, selector), f"{board['uid']}: ${name}"


def test_every_board_renders_to_png(stack):
    out = stack["folder"] / "png"
    paths = render_boards(BUILD_DIR, stack["prometheus"].url, out, range_s=240)
    assert sorted(p.stem for p in paths) == sorted(_boards())
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 50_000
