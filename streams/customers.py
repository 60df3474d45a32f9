"""Per-customer state in a changelogged Faust table, with idle eviction per partition.

Stage 1 reads and writes a customer's record only while processing an event of that customer,
so every changelog write (and tombstone) goes to the partition the customer lives on. Records
carry their partition so the eviction index can be rebuilt from the table after recovery.
"""

from collections import OrderedDict
from collections.abc import Iterable, MutableMapping
from typing import Any, Protocol

from metrics.exposition import IngestMetrics


class CustomerTable(Protocol):
    """The slice of a Faust table we use; a dict serves in unit tests."""

    def __getitem__(self, key: str) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def items(self) -> Iterable[tuple[str, Any]]: ...


class CustomerStore:
    """Customer records plus an LRU-by-event-time index per partition for eviction."""

    def __init__(
        self,
        table: CustomerTable | MutableMapping[str, Any],
        ttl_s: float,
        max_per_partition: int,
        metrics: IngestMetrics,
    ) -> None:
        self._table = table
        self._ttl_s = ttl_s
        self._max = max_per_partition
        self._metrics = metrics
        self._index: dict[int, OrderedDict[str, float]] = {}

    def load(self, partition: int, customer_id: str) -> dict[str, Any]:
        """The customer's record (a fresh one if unknown); mutate it, then :meth:`save`."""
        self._index_for(partition)
        record = self._table.get(customer_id)
        return dict(record) if record else {"p": partition}

    def save(self, partition: int, customer_id: str, record: dict[str, Any]) -> None:
        """Persist ``record`` (one changelog write) and mark the customer active."""
        self._table[customer_id] = record
        index = self._index_for(partition)
        index[customer_id] = record.get("newest_s", 0.0)
        index.move_to_end(customer_id)

    def evict_idle(self, partition: int, watermark_s: float) -> None:
        """Drop customers idle for ``ttl_s`` before ``watermark_s`` or beyond the cap."""
        index = self._index_for(partition)
        cutoff = watermark_s - self._ttl_s
        while index:
            customer_id, newest_s = next(iter(index.items()))
            if newest_s >= cutoff and len(index) <= self._max:
                break
            cause = "ttl" if newest_s < cutoff else "cap"
            del index[customer_id]
            del self._table[customer_id]
            self._metrics.customers_evicted.labels(cause).inc()

    def forget_partitions(self, partitions: Iterable[int]) -> None:
        """Drop the in-memory index of revoked partitions (rebuilt on next use)."""
        for partition in partitions:
            self._index.pop(partition, None)

    def _index_for(self, partition: int) -> OrderedDict[str, float]:
        index = self._index.get(partition)
        if index is None:
            rows = [
                (newest, key)
                for key, value in self._table.items()
                if value and value.get("p") == partition
                for newest in (value.get("newest_s", 0.0),)
            ]
            rows.sort()
            index = OrderedDict((key, newest) for newest, key in rows)
            self._index[partition] = index
        return index
