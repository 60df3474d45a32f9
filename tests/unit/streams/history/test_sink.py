"""The history sink's restart point over several stores."""

from prometheus_client import CollectorRegistry

from metrics.history import DAY_S, ClosedWindow
from streams.history.sink import Sink
from streams.serving.history import SinkMetrics
from streams.history.store import open_store
from streams.settings import Settings

SEGMENT = "segment|north|phone|q1|residential|usage|old|all"


def _sink(tmp_path) -> tuple[Sink, list]:
    urls = [f"sqlite:///{tmp_path / name}" for name in ("first.sqlite", "second.sqlite")]
    settings = Settings(history_urls=urls)
    dimensions = {name: view.dimensions for name, view in settings.active_views().items()}
    sink = Sink(None, settings, dimensions, None, SinkMetrics(CollectorRegistry()))
    return sink, [open_store(url, dimensions) for url in urls]


def _write(store, topic: str, offset: int) -> None:
    window = ClosedWindow(SEGMENT, 20_000 * DAY_S, DAY_S, {"calls/offered": offset})
    store.upsert([window], (topic, 0, offset))


def test_reading_resumes_where_the_store_furthest_behind_needs_it(tmp_path):
    # A crash between the two stores' transactions: the first holds offset 7, the second 4.
    sink, (first, second) = _sink(tmp_path)
    _write(first, sink.topic, 7)
    _write(second, sink.topic, 4)
    assert sink._saved(0) == 5


def test_a_store_with_nothing_saved_does_not_hold_the_others_back(tmp_path):
    sink, (first, _) = _sink(tmp_path)
    assert sink._saved(0) is None
    _write(first, sink.topic, 7)
    assert sink._saved(0) == 8
