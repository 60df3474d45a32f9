"""Process helpers: a stop reaches the child's whole tree, escalates to SIGKILL, and a child
does not outlive an abrupt end of its parent. Real short-lived processes (sh, sleep), no broker."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ops.processes import interrupt_on_sigterm, spawn, stop_group
from tests.proctree import descendants, wait_gone

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG and /proc are Linux only")
pytestmark = linux_only


def _wait_for_tree(pid: int, size: int) -> list:
    """The descendants of ``pid`` once there are ``size`` of them (sh forks asynchronously)."""
    for _ in range(100):
        tree = descendants(pid)
        if len(tree) >= size:
            return tree
        time.sleep(0.05)
    raise AssertionError(f"{pid} never had {size} descendants: {descendants(pid)}")


def test_a_spawned_child_leads_its_own_session_and_group():
    child = spawn(["sleep", "30"], subprocess.DEVNULL, dict(os.environ))
    try:
        assert os.getsid(child.pid) == child.pid
        assert os.getpgid(child.pid) == child.pid
    finally:
        stop_group(child, 5)


def test_stop_reaches_the_grandchildren():
    child = spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"], subprocess.DEVNULL,
                  dict(os.environ))
    tree = _wait_for_tree(child.pid, 2)

    code = stop_group(child, 5)

    assert code == -signal.SIGTERM
    assert wait_gone(tree, 5) == []


def test_stop_kills_a_child_that_ignores_sigterm_after_the_timeout():
    child = spawn(["sh", "-c", "trap '' TERM; sleep 30 & wait"], subprocess.DEVNULL,
                  dict(os.environ))
    tree = _wait_for_tree(child.pid, 1)

    code = stop_group(child, 0.5)

    assert code == -signal.SIGKILL
    assert wait_gone(tree, 5) == []


def test_stop_of_an_ended_child_returns_its_code_again():
    child = spawn(["sh", "-c", "exit 3"], subprocess.DEVNULL, dict(os.environ))
    child.wait(5)

    assert stop_group(child, 1) == 3
    assert stop_group(child, 1) == 3


def test_a_child_ends_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, subprocess, sys, time
        from ops.processes import spawn
        child = spawn(["sleep", "30"], subprocess.DEVNULL, dict(os.environ))
        print(child.pid, flush=True)
        time.sleep(30)
    """)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    tree = descendants(parent.pid)
    assert [proc.pid for proc in tree] == [child_pid]

    parent.kill()
    parent.wait(5)

    assert wait_gone(tree, 5) == []


def test_sigterm_raises_keyboard_interrupt_once_asked():
    previous = signal.getsignal(signal.SIGTERM)
    try:
        interrupt_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    finally:
        signal.signal(signal.SIGTERM, previous)

