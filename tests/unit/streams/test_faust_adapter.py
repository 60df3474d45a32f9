"""The Faust adapter: the production host on a real (unstarted) faust.App, the fake host
keeping to the same protocol, and no other module of the product reaching Faust's internals."""

import asyncio
import pathlib
import re
import tomllib
from types import SimpleNamespace

import faust
import pytest
from faust.streams import current_event

from aiokafka.errors import ProducerClosed
from aiokafka.record.default_records import DefaultRecordBatch
from faust.exceptions import NotReady

import streams
from streams import faust_adapter
from streams.faust_adapter import FaustHost, StreamHost
from tests.unit.streams.fake_host import FakeHost

REPO = pathlib.Path(streams.__file__).parent.parent
#: Every package the product installs (pyproject's setuptools list, so a new one is covered
#: without a list here): the worker and the tools around it.
PACKAGES = tuple(pattern.rstrip("*") for pattern in tomllib.loads(
    (REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"])
ADAPTER = REPO / "streams" / "faust_adapter.py"
#: Faust internals the stages once used directly; only the adapter may name them.
PRIVATE = {
    "current event variable": r"_current_event",
    "table store": r"table\.data\b|\.data\[",
    "producer": r"_ensure_producer|send_batch",
    "changelog send": r"send_changelog",
    "generation": r"generation_id",
    "assignor": r"\.assignor\b",
    "consumer": r"\.consumer\.",
    "recovery flag": r"in_recovery",
    "rebalancing flag": r"\.rebalancing\b",
    "flow control": r"flow_control",
}
#: Modules that build or run the Faust app and may import faust's public API.
FAUST_IMPORTERS = {"streams/faust_adapter.py", "streams/app.py", "streams/worker.py"}


@pytest.fixture(scope="module")
def app() -> faust.App:
    return faust.App("adapter-test", broker="memory://", store="memory://", autodiscover=False)


class Event:
    """What scoping reads of a Faust event: its partition (weak-referenceable, as Faust's)."""

    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition)


def test_both_hosts_keep_to_the_protocol(app):
    assert isinstance(FaustHost(app), StreamHost)
    assert isinstance(FakeHost(), StreamHost)


def test_scoped_sets_fausts_current_event_unless_one_of_its_partition_is():
    host = FaustHost(faust.App("adapter-scope", broker="memory://", autodiscover=False))
    outer, same, other = Event(1), Event(1), Event(2)
    assert current_event() is None
    with host.scoped(outer):
        assert current_event() is outer
        with host.scoped(same):
            assert current_event() is outer     # an event of the partition is current
        with host.scoped(other):
            assert current_event() is other
        assert current_event() is outer
    assert current_event() is None


@pytest.mark.parametrize(("generation", "stale"), [(None, False), (0, False), (1, True)])
def test_a_message_of_another_generation_is_stale(app, generation, stale):
    app.consumer_generation_id = 0
    assert FaustHost(app).is_stale(SimpleNamespace(generation_id=generation)) is stale


@pytest.mark.parametrize(("in_recovery", "rebalancing", "settled"), [
    (False, False, True), (True, False, False), (False, True, False), (True, True, False)])
def test_restoring_tables_or_rebalancing_is_not_settled(in_recovery, rebalancing, settled):
    app = faust.App("adapter-settled", broker="memory://", autodiscover=False)
    app.in_recovery, app.rebalancing = in_recovery, rebalancing
    assert FaustHost(app).settled() is settled


@pytest.mark.parametrize("error, should_stop, stopping", [
    (ProducerClosed(), True, True), (NotReady("Producer service not yet started"), True, True),
    (ProducerClosed(), False, False), (ValueError("a bug"), True, False)])
def test_only_a_closed_producer_while_the_app_stops_is_stopping(error, should_stop, stopping):
    app = SimpleNamespace(should_stop=should_stop)
    assert FaustHost(app).stopping(error) is stopping


def test_a_fresh_app_has_nothing_assigned(app):
    assert FaustHost(app).assigned() == set()


class Table(dict):
    """Faust's table surface the adapter writes through: a store and changelog sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[tuple[int, bytes, asyncio.Future]] = []

    @property
    def data(self) -> "Table":
        return self

    changelog_topic = SimpleNamespace(get_topic_name=lambda: "adapter-test-changelog")

    def send_changelog(self, partition: int, key: bytes, value: bytes | None) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.sends.append((partition, key, future))
        return future


class Producer:
    """aiokafka's batch surface: batches handed over, each with its delivery future."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, int, list[tuple[bytes, bytes | None]], asyncio.Future]] = []

    async def send_batch(self, batch, topic: str, *, partition: int) -> asyncio.Future:
        records = [(record.key, record.value)
                   for record in DefaultRecordBatch(bytearray(batch._build()))]
        future = asyncio.get_running_loop().create_future()
        self.batches.append((topic, partition, records, future))
        return future


class BulkHost(FaustHost):
    def __init__(self, app: faust.App, producer: Producer) -> None:
        super().__init__(app)
        self.fake = producer

    def _producer(self) -> Producer:
        return self.fake


def settle() -> list:
    return [asyncio.sleep(0) for _ in range(5)]


def test_a_write_returns_only_once_every_changelog_record_is_written(app):
    table, producer = Table(), Producer()

    async def scenario() -> None:
        write = asyncio.create_task(BulkHost(app, producer).write(
            table, 3, [(b"3/0", b"a"), (b"3/1", None), (b"3/2", b"c")]))
        for step in settle():
            await step
        assert table == {b"3/0": b"a", b"3/2": b"c"}   # None deletes
        # all but the last in one batch; the last alone, so the partition ends with a
        # one-record batch
        [(topic, partition, records, bulk)] = producer.batches
        assert (topic, partition, records) == ("adapter-test-changelog", 3,
                                               [(b"3/0", b"a"), (b"3/1", None)])
        assert [(p, k) for p, k, _ in table.sends] == [(3, b"3/2")]
        table.sends[0][2].set_result(None)
        for step in settle():
            await step
        assert not write.done()
        bulk.set_result(None)
        await write

    asyncio.run(scenario())


def test_a_bulk_write_splits_its_batches_by_size(app, monkeypatch):
    monkeypatch.setattr(faust_adapter, "BULK_BATCH_BYTES", 1_000)
    table, producer = Table(), Producer()
    records = [(f"0/c/{n}".encode(), bytes(300)) for n in range(10)]

    async def scenario() -> None:
        write = asyncio.create_task(BulkHost(app, producer).write(table, 0, records))
        for step in settle():
            await step
        for *_, future in producer.batches:
            future.set_result(None)
        table.sends[0][2].set_result(None)
        await write

    asyncio.run(scenario())
    sent = [records for _, _, records, _ in producer.batches]
    assert [record for batch in sent for record in batch] == records[:-1]
    assert len(sent) >= 3 and all(len(batch) <= 3 for batch in sent)


def test_a_cancelled_write_leaves_fausts_futures_alone(app):
    """Faust's delivery callback fails on a cancelled future: stopping the worker while a
    flush waits must not cancel the sends."""
    table = Table()

    async def scenario() -> None:
        write = asyncio.create_task(FaustHost(app).write(table, 0, [(b"0/0", b"a")]))
        for _ in range(3):
            await asyncio.sleep(0)
        write.cancel()
        with pytest.raises(asyncio.CancelledError):
            await write
        assert not table.sends[0][2].cancelled()

    asyncio.run(scenario())


def modules() -> list[pathlib.Path]:
    assert {"streams", "traffic", "offline", "ops"} <= set(PACKAGES)
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


@pytest.mark.parametrize("pattern", PRIVATE.values(), ids=PRIVATE.keys())
def test_only_the_adapter_touches_fausts_internals(pattern):
    assert re.search(pattern, ADAPTER.read_text()), "the pattern no longer finds its use"
    users = [str(path.relative_to(REPO)) for path in modules()
             if path != ADAPTER and re.search(pattern, path.read_text())]
    assert users == []


def test_stages_do_not_import_faust():
    importing = re.compile(r"^\s*(from|import)\s+faust\b", re.MULTILINE)
    assert importing.search(ADAPTER.read_text())
    users = [str(path.relative_to(REPO)) for path in modules()
             if str(path.relative_to(REPO)) not in FAUST_IMPORTERS
             and importing.search(path.read_text())]
    assert users == []


def test_without_bulk_every_record_goes_through_fausts_own_send(app):
    table, producer = Table(), Producer()
    host = BulkHost(app, producer)
    host.bulk = False

    async def scenario() -> None:
        write = asyncio.create_task(host.write(table, 2, [(b"2/0", b"a"), (b"2/1", b"b")]))
        for step in settle():
            await step
        assert producer.batches == []
        assert [(p, k) for p, k, _ in table.sends] == [(2, b"2/0"), (2, b"2/1")]
        for *_, future in table.sends:
            future.set_result(None)
        await write

    asyncio.run(scenario())
