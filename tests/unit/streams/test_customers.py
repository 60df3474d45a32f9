"""CustomerStore on a plain dict: load/save, idle eviction by TTL and cap, index recovery."""

import pytest
from prometheus_client import CollectorRegistry

from metrics.exposition import IngestMetrics
from streams.customers import CustomerStore

TTL_S = 100.0


def _store(table: dict, max_per_partition: int = 1_000) -> tuple[CustomerStore, CollectorRegistry]:
    registry = CollectorRegistry()
    store = CustomerStore(table, TTL_S, max_per_partition, IngestMetrics(registry, []))
    return store, registry


def _evicted(registry: CollectorRegistry, cause: str) -> float | None:
    return registry.get_sample_value("cxpulse_customers_evicted_total", {"cause": cause})


def _save(store: CustomerStore, partition: int, customer_id: str, newest_s: float) -> None:
    record = store.load(partition, customer_id)
    record["newest_s"] = newest_s
    store.save(partition, customer_id, record)


def test_unknown_customer_loads_a_fresh_record_of_its_partition():
    store, _ = _store({})

    assert store.load(2, "c1") == {"p": 2}


def test_saved_record_is_loaded_back_and_written_to_the_table():
    table: dict = {}
    store, _ = _store(table)
    record = store.load(0, "c1")
    record.update(newest_s=10.0, ids={"e1": 10.0})

    store.save(0, "c1", record)

    assert table == {"c1": {"p": 0, "newest_s": 10.0, "ids": {"e1": 10.0}}}
    assert store.load(0, "c1") == {"p": 0, "newest_s": 10.0, "ids": {"e1": 10.0}}


def test_load_returns_a_copy_until_saved():
    table = {"c1": {"p": 0, "newest_s": 1.0}}
    store, _ = _store(table)

    store.load(0, "c1")["newest_s"] = 99.0

    assert table["c1"]["newest_s"] == 1.0


@pytest.mark.parametrize(
    ("watermark_s", "kept", "ttl_evictions"),
    [
        (100.0, ["a", "b", "c"], 0),
        (110.0, ["a", "b", "c"], 0),  # a is exactly ttl_s idle: kept (cutoff uses >=)
        (110.001, ["b", "c"], 1),
        (150.0, ["c"], 2),
        (1_000.0, [], 3),
    ],
)
def test_ttl_eviction_by_watermark(watermark_s, kept, ttl_evictions):
    table: dict = {}
    store, registry = _store(table)
    for customer_id, newest_s in (("a", 10.0), ("b", 20.0), ("c", 60.0)):
        _save(store, 0, customer_id, newest_s)

    store.evict_idle(0, watermark_s)

    assert sorted(table) == kept
    assert (_evicted(registry, "ttl"), _evicted(registry, "cap")) == (ttl_evictions, 0.0)


def test_cap_evicts_the_least_recently_saved():
    table: dict = {}
    store, registry = _store(table, max_per_partition=2)
    for customer_id, newest_s in (("a", 10.0), ("b", 20.0), ("c", 30.0)):
        _save(store, 0, customer_id, newest_s)
    _save(store, 0, "a", 40.0)  # a is active again: b is now the least recent

    store.evict_idle(0, 40.0)

    assert sorted(table) == ["a", "c"]
    assert (_evicted(registry, "ttl"), _evicted(registry, "cap")) == (0.0, 1.0)


def test_ttl_and_cap_are_counted_by_cause():
    table: dict = {}
    store, registry = _store(table, max_per_partition=2)
    for customer_id, newest_s in (("a", 10.0), ("b", 200.0), ("c", 210.0), ("d", 220.0)):
        _save(store, 0, customer_id, newest_s)

    store.evict_idle(0, 220.0)

    assert sorted(table) == ["c", "d"]
    assert (_evicted(registry, "ttl"), _evicted(registry, "cap")) == (1.0, 1.0)


def test_eviction_leaves_other_partitions_alone():
    table: dict = {}
    store, registry = _store(table, max_per_partition=1)
    _save(store, 0, "a", 10.0)
    _save(store, 1, "b", 10.0)
    _save(store, 1, "c", 10.0)

    store.evict_idle(0, 1_000.0)

    assert sorted(table) == ["b", "c"]
    assert _evicted(registry, "ttl") == 1.0


def test_index_is_built_from_the_table_after_recovery():
    table = {
        "old": {"p": 0, "newest_s": 10.0},
        "mid": {"p": 0, "newest_s": 50.0},
        "new": {"p": 0, "newest_s": 90.0},
        "other": {"p": 1, "newest_s": 0.0},
        "unplaced": {"newest_s": 0.0},
    }
    store, registry = _store(table, max_per_partition=1)

    store.evict_idle(0, 150.0)

    assert sorted(table) == ["new", "other", "unplaced"]
    assert (_evicted(registry, "ttl"), _evicted(registry, "cap")) == (1.0, 1.0)


def test_forget_partitions_rebuilds_the_index_from_the_table():
    table: dict = {}
    store, registry = _store(table)
    _save(store, 0, "a", 10.0)
    _save(store, 1, "b", 10.0)
    store.evict_idle(0, 0.0)
    # written by another worker while partition 0 was away, restored from the changelog
    table["restored"] = {"p": 0, "newest_s": 20.0}
    store.forget_partitions([0])

    store.evict_idle(0, 1_000.0)

    assert sorted(table) == ["b"]
    assert _evicted(registry, "ttl") == 2.0


def test_without_forget_partitions_the_index_misses_restored_records():
    table: dict = {}
    store, _ = _store(table)
    _save(store, 0, "a", 10.0)
    table["restored"] = {"p": 0, "newest_s": 20.0}

    store.evict_idle(0, 1_000.0)

    assert sorted(table) == ["restored"]


def test_forgotten_partition_keeps_its_records():
    table: dict = {}
    store, registry = _store(table)
    _save(store, 0, "a", 10.0)
    _save(store, 1, "b", 10.0)

    store.forget_partitions([0, 7])

    assert sorted(table) == ["a", "b"]
    assert _evicted(registry, "ttl") == 0.0
