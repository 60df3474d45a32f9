"""Process helpers for the benchmark: pinned children, /proc readings, clean stops."""

import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from ops.processes import Child

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of every thread of ``pid`` (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` line of /proc/<pid>/status, e.g. VmHWM (peak RSS) or VmRSS."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def core_busy_seconds() -> dict[int, tuple[float, float]]:
    """Per core from /proc/stat: (busy seconds, steal seconds) since boot."""
    out: dict[int, tuple[float, float]] = {}
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
        busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
        out[int(name[3:])] = (busy / _TICKS, ticks[7] / _TICKS)
    return out


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment without any CXPULSE_* variable of the caller, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXPULSE_")}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


class Proc(Child):
    """A child process pinned to ``cores``, with a clean environment and a start time."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path,
                 env: dict[str, str], cores: set[int] | None) -> None:
        argv = list(argv)
        if cores and shutil.which("taskset"):
            argv = ["taskset", "-c", ",".join(map(str, sorted(cores))), *argv]
        super().__init__(name, argv, log_path, env, inherit_env=False)
        self.cores = cores
        self.started_at = 0.0

    def start(self) -> "Proc":
        super().start()
        self.started_at = time.time()
        if self.cores and not shutil.which("taskset"):
            os.sched_setaffinity(self.pid, self.cores)
        return self

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout_s``, to the process group it leads."""
        return super().stop(timeout_s)

    def tail(self, lines: int = 25) -> str:
        """The last lines of the log."""
        return super().tail(lines)
