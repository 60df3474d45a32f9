"""A flush in progress and the revocation that waits for it: the wait ends when the flush
does; a revoke during a stage-1 flush drops the ledger only once the flush wrote everything
(and acked: its effects are saved); a flush that outlives the wait is logged and counted
instead of holding the rebalance, and then acks nothing."""

import asyncio
import logging
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry, Counter

from streams.flushing import Flushing, drop_revoked, unless_stopping
from tests.unit.streams.test_stage1 import flushing_stage, settle


@dataclass
class State:
    flushing: Flushing = field(default_factory=Flushing)
    detached: bool = False


def abandoned() -> tuple[Counter, CollectorRegistry]:
    registry = CollectorRegistry()
    return Counter("abandoned", "flush waits abandoned", registry=registry), registry


def test_a_flush_is_active_only_inside_its_block_even_when_it_fails():
    flushing = Flushing()
    assert not flushing.active
    with pytest.raises(RuntimeError):
        with flushing.running():
            assert flushing.active
            raise RuntimeError("broker gone")
    assert not flushing.active


def test_waiting_without_a_flush_in_progress_returns_at_once():
    assert asyncio.run(Flushing().finished(timeout_s=0.0)) is True


def test_a_revoke_during_a_flush_drops_the_state_once_the_flush_ended():
    counter, registry = abandoned()

    async def scenario() -> None:
        states = {1: State(), 2: State()}
        state = states[1]
        release = asyncio.Event()

        async def flush() -> None:
            with state.flushing.running():
                await release.wait()

        flushing = asyncio.create_task(flush())
        await settle()
        revoke = asyncio.create_task(drop_revoked(states, {1, 3}, counter))
        await settle()
        assert state.detached and 1 in states and not revoke.done()
        release.set()
        assert await revoke == [1]
        await flushing
        assert list(states) == [2]

    asyncio.run(scenario())
    assert registry.get_sample_value("abandoned_total") == 0


def test_a_flush_that_outlives_the_wait_is_logged_counted_and_dropped(caplog):
    counter, registry = abandoned()

    async def scenario() -> None:
        states = {1: State()}
        never = asyncio.Event()

        async def flush() -> None:
            with states[1].flushing.running():
                await never.wait()

        flushing = asyncio.create_task(flush())
        await settle()
        with caplog.at_level(logging.ERROR, logger="streams.flushing"):
            assert await drop_revoked(states, {1}, counter, timeout_s=0.001) == [1]
        assert states == {}
        flushing.cancel()

    asyncio.run(scenario())
    assert registry.get_sample_value("abandoned_total") == 1
    assert "partition 1 revoked while its flush still ran" in caplog.text


def test_a_revoke_during_a_stage1_flush_waits_for_its_writes():
    """Every record of the flush is written before the ledger is dropped, so the flush
    completes: it acks and counts (a redelivery to the new owner is then a replay)."""
    stage1, host, partials, event = flushing_stage()
    ledger = stage1.ledger(1)

    async def scenario() -> None:
        flush = asyncio.create_task(stage1.flush(ledger))
        await settle()
        assert host.writes[-1] == (1, b"1/meta")   # after the outbox
        revoke = asyncio.create_task(stage1.revoke({1}))
        await settle()
        assert ledger.detached and stage1.ledgers.get(1) is ledger and not revoke.done()
        for _ in range(3):                   # meta, chunks, meta marked sent
            host.confirm()
            await settle()
        await flush
        await revoke
        assert 1 not in stage1.ledgers

    asyncio.run(scenario())
    assert [key for _, key in host.writes][-1] == b"1/meta" and partials.sent
    assert event.acks == 1
    assert stage1.metrics.flushes._value.get() == 1
    assert stage1.metrics.revoke_waits_abandoned._value.get() == 0


def test_a_revoke_that_stops_waiting_leaves_the_flush_to_ack_nothing():
    stage1, host, partials, event = flushing_stage()
    stage1.revoke_wait_s = 0.001
    ledger = stage1.ledger(1)

    async def scenario() -> None:
        flush = asyncio.create_task(stage1.flush(ledger))
        await settle()
        await stage1.revoke({1})             # the broker has not confirmed the intent yet
        assert 1 not in stage1.ledgers
        for _ in range(3):
            host.confirm()
            await settle()
        await flush

    asyncio.run(scenario())
    assert event.acks == 0                   # the new owner reads it again
    assert stage1.metrics.flushes._value.get() == 0
    assert stage1.metrics.revoke_waits_abandoned._value.get() == 1


def test_a_revoked_ledger_never_starts_a_flush():
    stage1, host, partials, event = flushing_stage()
    ledger = stage1.ledger(1)
    asyncio.run(stage1.revoke({1}))
    asyncio.run(stage1.flush(ledger))
    assert host.writes == [] and partials.sent == [] and event.acks == 0


def test_a_flush_cut_short_by_the_stop_acks_nothing_and_is_not_a_crash(caplog):
    """Faust stops its producer while agents and timers still run: the flush in flight
    fails, its messages stay unacked (read again at the next start) and the worker stops
    cleanly."""
    stage1, host, partials, event = flushing_stage()
    host.hold = False
    host.stopped = True
    host.refuse = ConnectionAbortedError("producer closed")
    with caplog.at_level(logging.INFO, logger="streams.flushing"):
        finished = asyncio.run(unless_stopping(host, stage1.flush(stage1.ledger(1))))
    assert finished is False
    assert event.acks == 0 and host.writes == []
    assert stage1.metrics.flushes._value.get() == 0
    assert "cut short by the worker stopping" in caplog.text


def test_the_same_failure_while_running_propagates():
    """Not stopping: a refused write is a real failure, and the worker must stop on it."""
    stage1, host, partials, event = flushing_stage()
    host.hold = False
    host.refuse = ConnectionAbortedError("producer closed")
    with pytest.raises(ConnectionAbortedError):
        asyncio.run(unless_stopping(host, stage1.flush(stage1.ledger(1))))
    assert event.acks == 0
    stage1, host, partials, event = flushing_stage()
    host.hold = False
    host.stopped, host.refuse = True, ValueError("a bug")   # stopping, but not the producer
    with pytest.raises(ValueError):
        asyncio.run(unless_stopping(host, stage1.flush(stage1.ledger(1))))
    assert event.acks == 0
