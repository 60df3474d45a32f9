"""End to end: a simulated scenario breaks one queue's service level; two real workers, a real
Prometheus with rules generated from a test spec, a real Alertmanager and the notify bridge
deliver the page to local receivers, then its resolution; the unaffected queues get nothing.

The test spec (``_test_spec``) keeps the shipped routing shape and the service-level objective
(80 %) but shrinks the burn-rate tier to real seconds: long 1m, short 15s, ``for: 10s``;
Prometheus scrapes and evaluates every second, Alertmanager groups for 1 s. The simulator runs
at 10x event time from a past weekday 10:00 (peak traffic), so 1 real second is 10 seconds
of the operation, and the counters the burn rate reads move in real seconds.
"""

import json
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from alerts import alertmanager
from alerts.build import render_all
from alerts.spec import AlertSpec, load_spec
from ops.broker import EmbeddedBroker
from ops.monitoring import (
    ALERTMANAGER_CANDIDATES,
    PROMETHEUS_CANDIDATES,
    find_binary,
    prometheus_config,
    write_yaml,
)
from ops.processes import Child, free_port, wait_http
from ops.topics import create_topics
from streams.settings import Settings
from tests.integration.helpers import wait_until, worker_pair

pytestmark = pytest.mark.integration
SPEEDUP = 10.0
RATE = 5.0                       # events per event-second over the day; x 2.04 at 10:00
SCENARIO_FROM_MIN, SCENARIO_UNTIL_MIN, DURATION_MIN = 3, 9, 20
BROKEN = "repairs"


class Receiver(ThreadingHTTPServer):
    """Records every POST (path, JSON body, arrival time) and answers as a robot would."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, float]] = []
        super().__init__(("127.0.0.1", free_port()), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def bodies(self, prefix: str) -> list[tuple[dict, float]]:
        return [(body, at) for path, body, at in list(self.posts) if path.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.posts.append((self.path, body, time.monotonic()))  # type: ignore[attr-defined]
        answer = b'{"errcode":0,"code":0}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


def _test_spec(receiver: str, bridge: str) -> AlertSpec:
    """The shipped spec, its tier shortened to seconds and its receivers made local."""
    shipped = load_spec().model_dump(by_alias=True)
    data = {**shipped,
            "burn_rate": {"period": "30d", "tiers": [
                {"severity": "critical", "long": "1m", "short": "15s", "budget_share": 0.02,
                 "max_error_ratio": 0.5, "for": "10s"}]},
            "objectives": {"service_level": {**shipped["objectives"]["service_level"],
                                             "min_events": 20}},
            "thresholds": {}, "pipeline": {},
            "routing": {"receiver": "page", "group_by": ["alertname", "severity", "view",
                                                         "queue"],
                        "group_wait": "1s", "group_interval": "2s", "repeat_interval": "1h",
                        "bridge_url": bridge,
                        "routes": [
                            {"match": {"severity": "critical"}, "receiver": "page",
                             "continue": True},
                            {"match": {"queue": BROKEN}, "receiver": "team-dingtalk",
                             "continue": True},
                            {"match": {"queue": BROKEN}, "receiver": "team-feishu"}],
                        "receivers": {"page": {"webhook": f"{receiver}/page"},
                                      "team-dingtalk": {"bridge": "dingtalk"},
                                      "team-feishu": {"bridge": "feishu"}}}}
    return AlertSpec.model_validate(data)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Broker, two workers, the bridge, Alertmanager and Prometheus, shared by the module."""
    folder = tmp_path_factory.mktemp("alerting")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    children: list[Child] = []
    broker = EmbeddedBroker(port=free_port(), log_path=folder / "broker.log").start()
    try:
        create_topics(Settings(broker_url=broker.url))
        cli = [sys.executable, "-m", "ops.cli"]
        workers, ports = worker_pair(broker.url, folder)
        children.extend(workers)
        bridge_port = free_port()
        children.append(Child("bridge", [*cli, "notify-bridge", "--port", str(bridge_port)],
                              folder / "bridge.log", {
                                  "CXPULSE_NOTIFY_DINGTALK_URL":
                                      f"{receiver.url}/robot/send?access_token=test",
                                  "CXPULSE_NOTIFY_DINGTALK_SECRET": "SECtest",
                                  "CXPULSE_NOTIFY_FEISHU_URL":
                                      f"{receiver.url}/open-apis/bot/v2/hook/test",
                                  "CXPULSE_NOTIFY_FEISHU_SECRET": "feishu-test"}).start())
        wait_http(f"http://127.0.0.1:{bridge_port}/-/ready", 30, children[-1])
        spec = _test_spec(receiver.url, f"http://127.0.0.1:{bridge_port}")
        for name, text in render_all(Settings(), spec).items():
            if name.startswith("rules/"):
                (folder / name).parent.mkdir(exist_ok=True)
                (folder / name).write_text(text)
        am_port = free_port()
        am_config = write_yaml(folder / "alertmanager.yml", alertmanager.config(spec))
        am = find_binary(ALERTMANAGER_CANDIDATES)
        assert am, "Alertmanager is missing: `make setup` installs it"
        children.append(Child("alertmanager", [
            am, f"--config.file={am_config}", f"--storage.path={folder / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
            folder / "alertmanager.log").start())
        wait_http(f"http://127.0.0.1:{am_port}/-/ready", 30, children[-1])
        prometheus = find_binary(PROMETHEUS_CANDIDATES)
        assert prometheus, "Prometheus is missing: `make setup` installs it"
        config = write_yaml(folder / "prometheus.yml", prometheus_config(
            ports, am_port, rules_dir=folder / "rules", scrape_interval_s=1))
        prom_port = free_port()
        children.append(Child("prometheus", [
            prometheus, f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}"], folder / "prometheus.log").start())
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", 30, children[-1])
        for child, port in zip(children, ports):
            wait_http(f"http://127.0.0.1:{port}/metrics", 60, child)
        yield {"broker": broker, "receiver": receiver, "folder": folder, "cli": cli,
               "workers": [f"http://127.0.0.1:{p}" for p in ports],
               "prometheus": f"http://127.0.0.1:{prom_port}"}
    finally:
        for child in reversed(children):
            child.stop()
        broker.stop()
        receiver.shutdown()


def _accepted(url: str) -> float:
    with urllib.request.urlopen(url + "/progress", timeout=5) as answer:
        events = json.loads(answer.read())["events"]
    return sum(n for key, n in events.items() if key.endswith("/accepted"))


def _firing(receiver: Receiver, status: str) -> list[tuple[dict, float]]:
    return [(alert, at) for body, at in receiver.bodies("/page")
            for alert in body["alerts"] if alert["status"] == status]


def test_a_broken_queue_pages_with_its_figures_then_resolves(stack):
    folder, receiver = stack["folder"], stack["receiver"]
    scenario = folder / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"description": "repairs hotline unstaffed", "effects": [
        {"from_minute": SCENARIO_FROM_MIN, "until_minute": SCENARIO_UNTIL_MIN,
         "match": {"queue": BROKEN, "kind": "call"}, "wait_factor": 40.0}]}))
    local = timezone(timedelta(hours=8))
    start = (datetime.now(local) - timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                              microsecond=0)
    simulator = Child("simulator", [
        *stack["cli"], "simulate", "--broker-url", stack["broker"].url, "--rate", str(RATE),
        "--speedup", str(SPEEDUP), "--start", start.isoformat(), "--seed", "11",
        "--duration-s", str(DURATION_MIN * 60), "--scenario", str(scenario)],
        folder / "simulator.log").start()
    try:
        first = wait_until(lambda: sum(map(_accepted, stack["workers"])), lambda n: n > 0,
                           timeout_s=60, interval_s=0.2)
        assert first
        sending_at = time.monotonic()   # within ~1 s of the first event sent (flush interval)
        scenario_at = sending_at + SCENARIO_FROM_MIN * 60 / SPEEDUP
        ended_at = sending_at + SCENARIO_UNTIL_MIN * 60 / SPEEDUP

        pages = wait_until(lambda: _firing(receiver, "firing"), bool, timeout_s=150)
        page, paged_at = pages[0]
        resolved = wait_until(lambda: _firing(receiver, "resolved"), bool,
                              timeout_s=DURATION_MIN * 60 / SPEEDUP + 60)
        resolved_at = resolved[0][1]
    finally:
        simulator.stop()

    time_to_page = paged_at - scenario_at
    print(f"\ntime to page: {time_to_page:.1f} s after the scenario started "
          f"({(paged_at - sending_at):.1f} s after the first event); resolved "
          f"{resolved_at - ended_at:.1f} s after the scenario ended")
    labels, notes = page["labels"], page["annotations"]
    assert labels["alertname"] == "CxpulseServiceLevelBudgetBurn"
    assert (labels["view"], labels["queue"], labels["severity"]) == ("queue", BROKEN, "critical")
    assert notes["summary"].startswith(f"queue|{BROKEN}: service level")
    figures = re.search(r"was ([\d.]+)% over the last 1m \(objective 80%\), on (\d+) calls",
                        notes["description"])
    assert figures, notes["description"]
    assert float(figures[1]) < 50 and int(figures[2]) >= 20
    assert resolved[0][0]["labels"]["queue"] == BROKEN
    assert {a["labels"]["queue"] for a, _ in _firing(receiver, "firing")} == {BROKEN}
    assert 0 < time_to_page < 120

    dingtalk = receiver.bodies("/robot/send")
    feishu = receiver.bodies("/open-apis/bot/v2/hook/test")
    assert dingtalk and feishu
    message = dingtalk[0][0]
    assert message["msgtype"] == "markdown"
    assert f"queue|{BROKEN}" in message["markdown"]["text"] and "calls" in message["markdown"]["text"]
    dingtalk_paths = [path for path, _, _ in receiver.posts if path.startswith("/robot/send")]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(dingtalk_paths[0]).query)
    assert query["access_token"] == ["test"] and query["sign"] and query["timestamp"]
    card = feishu[0][0]
    assert card["msg_type"] == "interactive" and card["sign"] and card["timestamp"]
    assert f"queue|{BROKEN}" in card["card"]["elements"][0]["text"]["content"]
    assert any(body["card"]["header"]["template"] == "green" for body, _ in feishu)
