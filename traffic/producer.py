"""Producer client (kafka-python): validate, key by customer, batch into envelopes per partition.

Envelopes must land on the partition a single event with the same key would, or per-customer
state would split across partitions; so the partition is chosen with Kafka's default murmur2
partitioner on the customer key (streams/partitioning.py), exactly as the broker-side default
would.
"""

import json
import logging
from collections import defaultdict
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from metrics.errors import RejectedEvent
from metrics.events import decode_message
from streams.partitioning import partition_for_key
from streams.settings import Settings
from traffic.errors import ProducerError

log = logging.getLogger(__name__)
_ENVELOPE_OVERHEAD_BYTES = 64


class EventProducer:
    """Send events to their source topic; ``envelope_size`` > 1 batches them per partition.

    :meth:`send` validates against the contract and raises :class:`RejectedEvent` on bad
    input; :meth:`send_raw` skips validation (replaying recorded bad input on purpose).
    Call :meth:`flush` before exit: buffered envelopes are sent only then or when full.
    """

    def __init__(self, settings: Settings, envelope_size: int = 1) -> None:
        if envelope_size < 1:
            raise ValueError("envelope_size must be at least 1")
        self._settings = settings
        self._envelope_size = envelope_size
        self._limits = settings.input_limits()
        # The workers' catalogue: a survey they would reject is refused here, before sending.
        self._questionnaires = settings.data_config().catalogue()
        self._max_bytes = settings.max_message_bytes - _ENVELOPE_OVERHEAD_BYTES
        try:
            self._producer = KafkaProducer(
                bootstrap_servers=settings.bootstrap_servers,
                client_id=f"{settings.app_id}-producer",
                acks="all",
                linger_ms=20,
                batch_size=256 * 1024,
                max_request_size=settings.max_message_bytes + 4096,
                retries=10,
            )
        except KafkaError as error:
            raise ProducerError(f"cannot connect to {settings.broker_url}: {error}") from error
        self._partitions: dict[str, list[int]] = {}
        self._buffers: dict[tuple[str, int], list[bytes]] = defaultdict(list)
        self._buffer_bytes: dict[tuple[str, int], int] = defaultdict(int)
        self._failures: list[BaseException] = []
        self.events_sent = 0
        self.messages_sent = 0

    def send(self, event: dict[str, Any] | Any) -> None:
        """Validate one event (a dict or a contract model) and queue it for its topic."""
        if isinstance(event, dict):
            value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        else:
            value = event.model_dump_json().encode()
        self.send_bytes(value)

    def send_bytes(self, value: bytes) -> None:
        """Validate one serialised event and queue exactly these bytes for its topic."""
        decoded = decode_message(value, None, self._limits, questionnaires=self._questionnaires)
        if decoded.rejected or decoded.envelope:
            first = decoded.rejected[0] if decoded.rejected else None
            reason = first.reason if first else "bad_envelope"
            detail = first.detail if first else "send() takes single events, not envelopes"
            raise RejectedEvent(reason, detail)
        item = decoded.events[0]
        topic = self._settings.source_topics[item.type]
        self._queue(topic, item.customer_id.encode(), value)

    def send_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue bytes without validation, as a single message (never inside an envelope)."""
        self._produce(topic, key, value, None)
        self.events_sent += 1

    def _queue(self, topic: str, key: bytes, value: bytes) -> None:
        self.events_sent += 1
        if self._envelope_size == 1:
            self._produce(topic, key, value, None)
            return
        partition = self._partition_for(topic, key)
        slot = (topic, partition)
        if self._buffer_bytes[slot] + len(value) + 1 > self._max_bytes:
            self._flush_slot(slot)
        self._buffers[slot].append(value)
        self._buffer_bytes[slot] += len(value) + 1
        if len(self._buffers[slot]) >= self._envelope_size:
            self._flush_slot(slot)

    def _partition_for(self, topic: str, key: bytes) -> int:
        partitions = self._partitions.get(topic)
        if partitions is None:
            found = self._producer.partitions_for(topic)
            if not found:
                raise ProducerError(f"topic {topic} does not exist; run cxpulse topics create")
            partitions = self._partitions[topic] = sorted(found)
        return partition_for_key(key, partitions)

    def _flush_slot(self, slot: tuple[str, int]) -> None:
        items = self._buffers.pop(slot, None)
        self._buffer_bytes.pop(slot, None)
        if not items:
            return
        value = b'{"type":"envelope","events":[' + b",".join(items) + b"]}"
        self._produce(slot[0], None, value, slot[1])

    def _produce(self, topic: str, key: bytes | None, value: bytes, partition: int | None) -> None:
        future = self._producer.send(topic, key=key, value=value, partition=partition)
        future.add_errback(self._failures.append)
        self.messages_sent += 1

    def flush(self, timeout_s: float = 60.0) -> None:
        """Send every buffered envelope and wait for all acknowledgements."""
        for slot in list(self._buffers):
            self._flush_slot(slot)
        self._producer.flush(timeout=timeout_s)
        if self._failures:
            failures, self._failures = self._failures, []
            raise ProducerError(f"{len(failures)} messages failed; first: {failures[0]!r}")

    def close(self) -> None:
        """Flush and close the connection."""
        try:
            self.flush()
        finally:
            self._producer.close()
