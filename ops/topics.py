"""The topic catalogue and its idempotent creation (kafka-python admin client)."""

import logging
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata
from kafka.errors import KafkaError, TopicAlreadyExistsError

from ops.errors import BrokerError
from streams.settings import Settings

log = logging.getLogger(__name__)


def topic_names(settings: Settings) -> list[str]:
    """Every topic cxpulse produces to or consumes from (Faust creates its changelogs itself)."""
    return [*settings.source_topics.values(), settings.partials_topic, settings.deadletter_topic,
            settings.dives_topic, settings.history_topic]


def consumed_topics(settings: Settings) -> list[str]:
    """Topics the worker group reads: the sources (stage 1), the partials (stage 2) and the
    closed windows (the history sink)."""
    return [*settings.source_topics.values(), settings.partials_topic, settings.history_topic]


def admin_client(settings: Settings, timeout_s: float = 30.0) -> KafkaAdminClient:
    """An admin client for the configured cluster, retrying until ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return KafkaAdminClient(
                bootstrap_servers=settings.bootstrap_servers,
                client_id=f"{settings.app_id}-admin",
                request_timeout_ms=10_000,
            )
        except KafkaError as error:
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"no Kafka broker answered at {settings.broker_url}: {error}"
                ) from error
            time.sleep(0.5)


def create_topics(settings: Settings, timeout_s: float = 30.0) -> dict[str, int]:
    """Create missing topics with ``settings.topic_partitions``; return name -> partitions.

    Also commits the start offset for source partitions the worker group never committed
    (:func:`initialise_group_offsets`).

    Existing topics are kept; one whose partition count differs is an error, because the
    co-partitioning of the source topics (all keyed by customer) would silently break.
    """
    admin = admin_client(settings, timeout_s)
    try:
        wanted = topic_names(settings)
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name, settings.topic_partitions, settings.topic_replication)
            for name in wanted
            if name not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing, timeout_ms=int(timeout_s * 1000))
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently")
        found: dict[str, int] = {}
        for _ in range(50):
            described = admin.describe_topics(wanted)
            found = {t["name"]: len(t["partitions"]) for t in described if t["partitions"]}
            if len(found) == len(wanted):
                break
            time.sleep(0.2)
    finally:
        admin.close()
    source = consumed_topics(settings)
    wrong = {name: n for name, n in found.items() if name in source and n != settings.topic_partitions}
    if wrong:
        raise BrokerError(
            f"source topics must have CXPULSE_TOPIC_PARTITIONS={settings.topic_partitions} "
            f"partitions to stay co-partitioned; found {wrong}"
        )
    initialise_group_offsets(settings)
    return found


def initialise_group_offsets(settings: Settings) -> int:
    """Commit the log-start offset for source partitions the worker group never committed.

    Workers read from the earliest offset when their group has none, but that relies on a
    reset through ListOffsets at assignment; on the embedded broker, a partition first
    written while no worker ran was sometimes never read (docs/decisions.md, "Topics created
    up front"). Committing the start explicitly, before any worker joins, means an event
    produced before the first worker starts is never skipped. Returns how many partitions
    were initialised; an active group is left alone (its offsets are its own).
    """
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=settings.app_id,
        enable_auto_commit=False, client_id=f"{settings.app_id}-offsets-init",
    )
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in consumed_topics(settings)
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        missing = [tp for tp in partitions if consumer.committed(tp) is None]
        if not missing:
            return 0
        consumer.assign(missing)
        consumer.seek_to_beginning(*missing)
        offsets = {tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in missing}
        consumer.commit(offsets)
        return len(missing)
    except KafkaError as error:
        log.warning("left group offsets to the reset policy: %s", error)
        return 0
    finally:
        consumer.close()
