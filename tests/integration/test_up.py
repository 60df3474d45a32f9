"""``cxpulse up`` brings the embedded stack up: workers count simulated events, Prometheus
scrapes them and loads the alert rules, Alertmanager answers, and Ctrl-C stops it cleanly."""

import json
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from ops.scrape import scrape, total
from tests.conftest import free_port
from tests.integration.helpers import wait_until

pytestmark = pytest.mark.integration


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _prometheus_sum(base: str, expr: str) -> float:
    query = urllib.parse.urlencode({"query": expr})
    result = _get_json(f"{base}/api/v1/query?{query}")["data"]["result"]
    return sum(float(series["value"][1]) for series in result)


def _safe(probe):
    def wrapped():
        try:
            return probe()
        except OSError:
            return None
    return wrapped


def test_up_runs_the_embedded_stack_and_stops_cleanly(tmp_path):
    ports = {name: free_port() for name in ("broker", "web1", "prom", "am")}
    command = [
        sys.executable, "-m", "ops.cli", "up", "--workers", "2", "--rate", "3000",
        "--run-dir", str(tmp_path / "run"), "--broker-port", str(ports["broker"]),
        "--web-port", str(ports["web1"]), "--prometheus-port", str(ports["prom"]),
        "--alertmanager-port", str(ports["am"]), "--duration-s", "240",
    ]
    log = open(tmp_path / "up.log", "wb")
    up = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    prometheus = f"http://127.0.0.1:{ports['prom']}"
    workers = [f"http://127.0.0.1:{ports['web1'] + i}/metrics" for i in range(2)]
    try:
        def accepted() -> list[float]:
            if up.poll() is not None:
                pytest.fail(f"cxpulse up exited {up.returncode}:\n"
                            + (tmp_path / "up.log").read_text()[-3000:])
            return [total(scrape(url, timeout_s=30), "cxpulse_events_accepted_total")
                    for url in workers]

        wait_until(_safe(accepted), lambda v: v is not None and all(n > 0 for n in v), 120)
        # Both workers survive past their first periodic lag refresh (every 5 s).
        wait_until(_safe(lambda: scrape(workers[0]).get("cxpulse_consumer_lag_messages")),
                   bool, 60)
        scraped = wait_until(
            _safe(lambda: _prometheus_sum(prometheus, "sum(cxpulse_events_accepted_total)")),
            lambda v: v is not None and v > 0, 60)
        assert scraped > 0
        rules = _get_json(f"{prometheus}/api/v1/rules")["data"]["groups"]
        assert rules, "Prometheus loaded no rule group from alerts/rules"
        assert all(r["health"] == "ok" for g in rules for r in g["rules"] if "health" in r)
        # A target is "unknown" until its first scrape (every 5 s).
        wait_until(lambda: sorted(t["health"] for t in _get_json(
            f"{prometheus}/api/v1/targets")["data"]["activeTargets"]),
            lambda health: health == ["up", "up"], 30)
        status = _get_json(f"http://127.0.0.1:{ports['am']}/api/v2/status")
        assert status["cluster"]["status"] in {"disabled", "ready"}
        assert up.poll() is None, (tmp_path / "up.log").read_text()
    finally:
        up.send_signal(signal.SIGINT)
        code = up.wait(60)
        log.close()
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
    for url in workers:
        with pytest.raises(OSError):
            scrape(url, timeout_s=1)
