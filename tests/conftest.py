"""Session-wide fixtures: free ports, the real embedded broker, real worker processes."""

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ops.broker import EmbeddedBroker
from ops.monitoring import PROMETHEUS_CANDIDATES, find_binary, prometheus_config, write_yaml
from ops.processes import Child, free_port, wait_http
from ops.topics import create_topics
from streams.settings import Settings

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A fresh Tansu broker (memory storage) with the cxpulse topics, per test."""
    with EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log") as running:
        create_topics(Settings(broker_url=running.url))
        yield running


WorkerFactory = Callable[..., Child]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def start_worker(
    broker: EmbeddedBroker, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[WorkerFactory]:
    """Start ``cxpulse worker`` processes against the test broker; all stopped at teardown.

    Keyword arguments become CXPULSE_* variables (``store="rocksdb://"``). The returned Child
    has ``metrics_url``.
    """
    children: list[Child] = []

    def start(worker_id: str = "w1", port: int | None = None, **env: str) -> Child:
        port = port or free_port()
        variables = {
            "CXPULSE_BROKER_URL": broker.url,
            "CXPULSE_WORKER_ID": worker_id,
            "CXPULSE_WEB_PORT": str(port),
            "CXPULSE_DATA_DIR": str(tmp_path / "data"),
            **{f"CXPULSE_{key.upper()}": str(value) for key, value in env.items()},
        }
        child = Child(f"worker {worker_id}", [sys.executable, "-m", "ops.cli", "worker"],
                      tmp_path / f"worker-{worker_id}.log", variables)
        child.metrics_url = f"http://127.0.0.1:{port}/metrics"  # type: ignore[attr-defined]
        children.append(child.start())
        wait_http(child.metrics_url, 60, child)  # type: ignore[attr-defined]
        return child

    yield start
    for child in children:
        child.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for child in children:  # shown under "Captured stdout teardown" in CI output
            print(f"--- {child.name} log tail ---\n{child.tail(60)}")


@pytest.fixture(autouse=True)
def _no_proxy() -> None:
    """Loopback HTTP must never go through a proxy from the environment."""
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


@pytest.fixture
def start_prometheus(tmp_path: Path) -> Iterator[Callable[[list[int]], str]]:
    """Start the real Prometheus (installed by the project's set-up) scraping the given worker
    ports every second with the repo's rules; returns its base URL. Stopped at teardown."""
    children: list[Child] = []

    def start(worker_ports: list[int]) -> str:
        binary = find_binary(PROMETHEUS_CANDIDATES)
        assert binary, "Prometheus is missing: `make setup` installs it"
        port = free_port()
        folder = tmp_path / f"prometheus-{port}"
        config = write_yaml(folder / "prometheus.yml",
                            prometheus_config(worker_ports, None, scrape_interval_s=1))
        child = Child("prometheus", [
            binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ], folder / "prometheus.log")
        children.append(child.start())
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/-/ready", 30, child)
        return url

    yield start
    for child in children:
        child.stop()
