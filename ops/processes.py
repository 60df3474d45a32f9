"""Child processes of ``cxpulse up`` and ``cxpulse broker``: start, probe readiness, stop cleanly.

Every child is spawned by :func:`spawn`, which gives two guarantees:

- A clean stop reaches the child's whole tree. Each child leads its own session, so Ctrl-C on the
  terminal reaches only the supervisor, which then stops the children in order; the stop signals
  the child's process group, so anything the child started goes too.
- No orphan outlives an abrupt end of the supervisor (SIGKILL, OOM killer, a closed terminal).
  On Linux the child asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``).
  A process group cannot give this: nobody is left to signal it. Elsewhere this guarantee is
  absent and only clean stops apply.

The supervisor's own SIGTERM must unwind its ``finally`` blocks for the first guarantee to hold:
:func:`interrupt_on_sigterm`.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it; racy only in theory)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt, as Ctrl-C does, in this process.

    Python's default for SIGTERM ends the process at once, skipping the ``finally`` blocks that
    stop the children. Call it from the main thread of a command that supervises children.
    """
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when this process dies; None elsewhere.

    SIGTERM, not SIGKILL, so that a worker or Prometheus still shuts down in its own way. A
    preexec_fn runs in the forked child, where another thread's lock may be held; this one only
    calls prctl, resolved here in the parent, and getppid. The parent may die before prctl
    runs; the getppid check closes that gap.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent, sigterm = os.getpid(), int(signal.SIGTERM)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sigterm)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def spawn(argv: Sequence[str], output: IO[bytes] | int,
          env: dict[str, str]) -> "subprocess.Popen[bytes]":
    """Start ``argv`` in a session of its own that ends when this process dies (Linux).

    ``output`` receives stdout and stderr (a file or subprocess.DEVNULL). Call it from the
    thread that lives as long as the child should: Linux signals the child when the thread that
    forked it ends, and every caller here forks from the main thread.
    """
    return subprocess.Popen(
        list(argv), stdout=output, stderr=subprocess.STDOUT, env=env,
        start_new_session=True, preexec_fn=_die_with_parent(),
    )


def stop_group(process: "subprocess.Popen[bytes]", timeout_s: float) -> int:
    """SIGTERM to the child's process group, SIGKILL after ``timeout_s``; its exit code.

    The group is signalled only while its leader is unreaped, so its id cannot belong to
    anyone else yet. Idempotent.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout_s)
    return process.wait()


class Child:
    """One supervised child process writing to ``log_path``."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path,
                 env: dict[str, str] | None = None, inherit_env: bool = True) -> None:
        """``env`` is added to this process's environment, or used alone without inherit_env."""
        self.name, self.argv, self.log_path = name, list(argv), log_path
        self.env = {**(os.environ if inherit_env else {}), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Child":
        """Spawn the process (see :func:`spawn`), appending its output to the log."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = spawn(self.argv, log, self.env)
        return self

    @property
    def pid(self) -> int:
        """The child's pid (after :meth:`start`)."""
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM to the child and its descendants, SIGKILL after ``timeout_s``; exit code."""
        if self.process is None:
            return None
        return stop_group(self.process, timeout_s)

    def tail(self, lines: int = 20) -> str:
        """The last lines of the log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def wait_http(url: str, timeout_s: float, child: Child | None = None) -> None:
    """Block until ``url`` answers 200; raise TimeoutError (or RuntimeError if child died)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and not child.alive:
            raise RuntimeError(f"{child.name} exited early; log tail:\n{child.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")
