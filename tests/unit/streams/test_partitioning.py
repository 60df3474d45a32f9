"""partition_for_key: the partition Kafka's default (Java) partitioner picks for a key."""

import random

import pytest
from kafka.partitioner.default import DefaultPartitioner, murmur2

from streams.partitioning import partition_for_key

# Utils.murmur2 of the Java client (signed 32-bit): Kafka's UtilsTest.testMurmur2 vectors
# (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java), plus the empty key.
JAVA_MURMUR2 = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
    (b"", 275646681),
]


@pytest.mark.parametrize(("key", "java"), JAVA_MURMUR2)
def test_kafka_python_murmur2_matches_the_java_client(key, java):
    assert murmur2(key) == java & 0xFFFFFFFF


@pytest.mark.parametrize(
    ("key", "partitions", "expected"),
    [
        # Java: Utils.toPositive(murmur2(key)) % count, worked out from the signed values above
        (b"21", [0, 1, 2, 3], 0),
        (b"foobar", [0, 1, 2, 3], 2),
        (b"foobar", [0, 1, 2], 0),
        (b"a-little-bit-long-string", [0, 1, 2, 3], 0),
        (b"a-little-bit-long-string", [0, 1, 2, 3, 4, 5, 6], 1),
        (b"abc", [0, 1, 2, 3], 3),
        (b"", [0, 1, 2, 3], 1),
        (b"", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 9),
        (b"foobar", [0], 0),
        (b"foobar", [3, 5, 8, 13], 8),  # an index into the sorted partition ids
    ],
)
def test_partition_for_key(key, partitions, expected):
    assert partition_for_key(key, partitions) == expected


class _Cluster:
    """The three questions DefaultPartitioner asks of cluster metadata, for one topic."""

    def __init__(self, partitions: set[int]) -> None:
        self._partitions = partitions

    def topics(self) -> set[str]:
        return {"cx.calls"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions


@pytest.mark.parametrize("count", [1, 2, 4, 12, 97])
def test_agrees_with_kafka_python_default_partitioner(count):
    rng = random.Random(count)
    keys = [f"cust-{n}".encode() for n in range(300)] + [rng.randbytes(rng.randrange(40))
                                                        for _ in range(300)]
    partitions = list(range(count))
    cluster = _Cluster(set(partitions))
    partitioner = DefaultPartitioner()

    ours = [partition_for_key(key, partitions) for key in keys]
    theirs = [partitioner.partition("cx.calls", None, key, None, None, cluster) for key in keys]

    assert ours == theirs
