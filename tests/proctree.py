"""The process tree read from /proc: what a command started, and whether any of it still runs.

psutil is not a dependency; /proc is enough on Linux, where these tests run. A process is
identified by (pid, start time) so that a recycled pid never passes for a survivor.
"""

import time
from pathlib import Path
from typing import NamedTuple


class Proc(NamedTuple):
    """One process as seen once in /proc."""

    pid: int
    started: int  # clock ticks after boot (field 22 of /proc/<pid>/stat)
    argv: str


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state letter, start ticks) of ``pid``; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name may hold spaces and parentheses
    return int(fields[1]), fields[0], int(fields[19])


def _argv(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def descendants(root: int) -> list[Proc]:
    """Every living process below ``root`` (children, grandchildren ...), in pid order."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            stat = _stat(pid)
            if stat is not None and stat[1] != "Z":
                found.append(Proc(pid, stat[2], _argv(pid)))
            todo.append(pid)
    return sorted(found)


def running(procs: list[Proc]) -> list[Proc]:
    """Those of ``procs`` still running; a zombie has released everything and counts as gone."""
    alive = []
    for proc in procs:
        stat = _stat(proc.pid)
        if stat is not None and stat[1] != "Z" and stat[2] == proc.started:
            alive.append(proc)
    return alive


def wait_gone(procs: list[Proc], timeout_s: float) -> list[Proc]:
    """Wait up to ``timeout_s`` for ``procs`` to end; those still running at the deadline."""
    deadline = time.monotonic() + timeout_s
    while (alive := running(procs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive
