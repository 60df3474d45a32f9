"""Kafka's default keyed partitioning, shared by the worker's stage-1 routing and the producers.

Stage 1 routes a view key to a cx.partials partition, and the producer, replay and the offline
report put a customer's events on a source partition; all must pick the partition the Java
client's default partitioner would, or per-key state would split across partitions.
"""

from kafka.partitioner.default import murmur2


def partition_for_key(key: bytes, partitions: list[int]) -> int:
    """Kafka's default keyed partitioning (Java client murmur2, positive, modulo count)."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
