"""``cxpulse broker`` and ``cxpulse up`` leave no process behind: after SIGTERM or SIGINT every
process they started has ended and every port is free; after SIGKILL (no clean-up possible) the
children still end, because Linux signals them when their parent dies."""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ops.broker import port_is_free
from ops.monitoring import ALERTMANAGER_CANDIDATES, PROMETHEUS_CANDIDATES, find_binary
from ops.processes import free_port, wait_http
from tests.integration.helpers import wait_until
from tests.proctree import Proc, descendants, wait_gone

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def _as_from_a_terminal() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python then keeps it ignored; a
    # test run from such a job would otherwise never see its SIGINT arrive.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Run:
    """One ``python -m ops.cli`` process and, once seen, the processes it started."""

    process: subprocess.Popen
    log_path: Path
    tree: list[Proc] = field(default_factory=list)

    def log(self) -> str:
        """The end of its output, for failure messages."""
        return self.log_path.read_text(errors="replace")[-3000:]

    def running(self) -> None:
        """Fail the test, with the log, if the process has ended."""
        if self.process.poll() is not None:
            pytest.fail(f"exited {self.process.returncode} while starting:\n{self.log()}")

    def wait_for_output(self, text: str) -> None:
        """Block until ``text`` appears in its output."""
        def probe() -> str:
            self.running()
            return self.log()

        wait_until(probe, lambda output: text in output, 60, interval_s=0.2)

    def wait_for_tree(self, names: list[str]) -> list[Proc]:
        """The processes below it once one matches each of ``names`` (argv substrings)."""
        def probe() -> list[Proc]:
            self.running()
            return descendants(self.process.pid)

        def complete(tree: list[Proc]) -> bool:
            return all(sum(name in proc.argv for proc in tree) >= names.count(name)
                       for name in names)

        self.tree = wait_until(probe, complete, 60, interval_s=0.2)
        return self.tree


@pytest.fixture
def cxpulse(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """``cxpulse(*args)`` runs ``python -m ops.cli *args``; whatever a failed test left
    running is killed at teardown, so that one failure does not hold ports for the next."""
    runs: list[Run] = []

    def start(*args: str) -> Run:
        log_path = tmp_path / f"cxpulse-{len(runs)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "ops.cli", *args], stdout=log,
                                       stderr=subprocess.STDOUT, preexec_fn=_as_from_a_terminal)
        runs.append(Run(process, log_path))
        return runs[-1]

    yield start
    for run in runs:
        run.process.kill()
        run.process.wait()
        for proc in wait_gone(run.tree, 0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)


def _start_broker(cxpulse: Callable[..., Run]) -> tuple[Run, int]:
    port = free_port()
    broker = cxpulse("broker", "--port", str(port))
    broker.wait_for_output("embedded broker ready")
    broker.wait_for_tree(["tansu"])
    assert not port_is_free("127.0.0.1", port)
    return broker, port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_broker_stops_tansu_on(sig, cxpulse):
    broker, port = _start_broker(cxpulse)

    broker.process.send_signal(sig)

    assert broker.process.wait(15) == 0, broker.log()
    assert wait_gone(broker.tree, 0) == []
    assert port_is_free("127.0.0.1", port)


def test_tansu_ends_when_the_broker_command_is_killed(cxpulse):
    broker, port = _start_broker(cxpulse)

    broker.process.kill()
    broker.process.wait(5)

    assert wait_gone(broker.tree, 10) == []
    assert port_is_free("127.0.0.1", port)


def _start_up(cxpulse: Callable[..., Run], tmp_path: Path) -> tuple[Run, list[int]]:
    ports = {name: free_port() for name in ("broker", "web1", "prom", "am")}
    up = cxpulse("up", "--workers", "2", "--rate", "500", "--run-dir", str(tmp_path / "run"),
                 "--broker-port", str(ports["broker"]), "--web-port", str(ports["web1"]),
                 "--prometheus-port", str(ports["prom"]),
                 "--alertmanager-port", str(ports["am"]))
    ports["web2"] = ports["web1"] + 1  # up numbers worker ports from --web-port
    expected = ["tansu", "ops.cli worker", "ops.cli worker", "ops.cli simulate"]
    if find_binary(PROMETHEUS_CANDIDATES):
        expected.append("--storage.tsdb.path")
    if find_binary(ALERTMANAGER_CANDIDATES):
        expected.append("--cluster.listen-address")
    up.wait_for_tree(expected)
    for name in ("web1", "web2"):
        wait_http(f"http://127.0.0.1:{ports[name]}/metrics", 60)
    return up, list(ports.values())


def test_up_stops_everything_it_started_on_sigterm(cxpulse, tmp_path):
    up, ports = _start_up(cxpulse, tmp_path)

    up.process.send_signal(signal.SIGTERM)

    assert up.process.wait(60) == 0, up.log()
    assert wait_gone(up.tree, 0) == []
    assert [port for port in ports if not port_is_free("127.0.0.1", port)] == []


def test_what_up_started_ends_when_up_is_killed(cxpulse, tmp_path):
    up, ports = _start_up(cxpulse, tmp_path)

    up.process.kill()
    up.process.wait(5)

    assert wait_gone(up.tree, 30) == []
    assert [port for port in ports if not port_is_free("127.0.0.1", port)] == []
