"""Stage 1 against the real broker and a real worker: every event counted once, in its place."""

import base64
import json
from collections import Counter

import pytest
from kafka import KafkaProducer

from metrics.events import reasons
from ops.scrape import scrape
from streams.settings import Settings
from tests import factories
from tests.integration.helpers import counted, dead_letters, nonzero, wait_until
from traffic.producer import EventProducer

pytestmark = pytest.mark.integration
MAX_BYTES = 8_192


def _raw(event: dict) -> bytes:
    return json.dumps(event).encode()


def test_every_event_is_counted_once_in_the_right_place(broker, start_worker):
    worker = start_worker(max_message_bytes=str(MAX_BYTES))
    settings = Settings(broker_url=broker.url)
    raw = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    topics = settings.source_topics

    singles = [factories.call() for _ in range(30)] + [factories.ticket() for _ in range(20)] \
        + [factories.survey() for _ in range(20)]
    for event in singles:
        raw.send(topics[event["type"]], key=event["customer_id"].encode(), value=_raw(event))
    enveloped = [factories.call() for _ in range(50)] + [factories.survey() for _ in range(30)]
    duplicates = singles[:5] + singles[30:33] + enveloped[:4]
    producer = EventProducer(settings, envelope_size=25)
    for event in enveloped + duplicates:
        producer.send(event)
    producer.flush()

    naive = factories.ticket(occurred_at="2026-11-02T09:30:00")
    mixed_envelope = {"type": "envelope", "events": [factories.call(), naive | {"type": "call"},
                                                     factories.call(wait_s="7")]}
    invalid = [
        (topics["call"], b"{not json", reasons.BAD_JSON),
        (topics["call"], _raw(factories.call(wait_s="7")), reasons.WRONG_TYPE),
        (topics["survey"], _raw(factories.survey(scores={"overall": 11})),
         reasons.SCORE_OUT_OF_RANGE),
        (topics["ticket"], _raw(naive), reasons.NAIVE_TIMESTAMP),
        (topics["ticket"], _raw(factories.ticket(kind="warranty")), reasons.UNKNOWN_VALUE),
        (topics["call"], _raw(factories.call(note="x" * MAX_BYTES)), reasons.OVERSIZED),
        (topics["ticket"], _raw(factories.call()), reasons.WRONG_TOPIC),
        (topics["survey"], _raw(factories.survey(mood="sunny")), reasons.UNKNOWN_FIELD),
        (topics["call"], b"[1, 2]", reasons.NOT_AN_OBJECT),
        (topics["call"], b'{"type": "envelope", "events": []}', reasons.BAD_ENVELOPE),
        (topics["ticket"], _raw(factories.ticket(occurred_at="2099-01-01T00:00:00+00:00")),
         reasons.FUTURE_TIMESTAMP),
        (topics["survey"], _raw(factories.survey(type="feedback")), reasons.UNKNOWN_TYPE),
    ]
    for topic, value, _ in invalid:
        raw.send(topic, key=b"cust-bad", value=value)
    raw.send(topics["call"], key=None, value=_raw(mixed_envelope), partition=0)
    raw.flush()

    accepted = len(singles) + len(enveloped) + 1
    rejected = len(invalid) + 2
    expected = {"accepted": accepted, "rejected": rejected, "duplicate": len(duplicates),
                "late": 0}
    wait_until(lambda: counted(worker.metrics_url), lambda c: c == expected, timeout_s=60)

    samples = scrape(worker.metrics_url)
    by_topic = Counter(e["type"] for e in singles + enveloped)
    assert nonzero(samples, "cxpulse_events_accepted_total") == {
        (("topic", topics["call"]),): by_topic["call"] + 1,
        (("topic", topics["ticket"]),): by_topic["ticket"],
        (("topic", topics["survey"]),): by_topic["survey"],
    }
    assert nonzero(samples, "cxpulse_events_duplicate_total") == {
        (("topic", topics["call"]),): 9,
        (("topic", topics["ticket"]),): 3,
    }
    expected_rejections = Counter((topic, reason) for topic, _, reason in invalid)
    expected_rejections[(topics["call"], reasons.NAIVE_TIMESTAMP)] += 1
    expected_rejections[(topics["call"], reasons.WRONG_TYPE)] += 1
    assert nonzero(samples, "cxpulse_events_rejected_total") == {
        (("reason", reason), ("topic", topic)): count
        for (topic, reason), count in expected_rejections.items()
    }

    letters = dead_letters(settings.bootstrap_servers[0], settings.deadletter_topic, rejected)
    assert Counter((d["source_topic"], d["reason"]) for d in letters) == expected_rejections
    originals = {base64.b64decode(d["original_b64"]) for d in letters if d["envelope_index"] is None}
    for topic, value, reason in invalid:
        if reason != reasons.OVERSIZED:
            assert value in originals, reason
    from_envelope = sorted((d["envelope_index"], json.loads(base64.b64decode(d["original_b64"])))
                           for d in letters if d["envelope_index"] is not None)
    assert from_envelope == [(1, mixed_envelope["events"][1]), (2, mixed_envelope["events"][2])]


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
def test_duplicates_are_still_recognised_after_a_restart(broker, start_worker, store):
    settings = Settings(broker_url=broker.url)
    first = start_worker(store=store)
    # No call before the restart: cx.calls partitions first get events while no worker runs,
    # the path that stalled before `cxpulse topics create` committed start offsets.
    events = [factories.survey() for _ in range(20)] + [factories.ticket() for _ in range(10)]
    producer = EventProducer(settings)
    for event in events:
        producer.send(event)
    producer.flush()
    wait_until(lambda: counted(first.metrics_url)["accepted"], lambda n: n == 30, timeout_s=60)
    first.stop()

    fresh = [factories.call() for _ in range(5)]
    for event in events + fresh:
        producer.send(event)
    producer.close()
    second = start_worker(store=store)
    # Delivery is at-least-once: messages the first worker processed but had not committed
    # come again and must be recognised too, so duplicates may exceed 30; accepted may not.
    final = wait_until(lambda: counted(second.metrics_url),
                       lambda c: c["accepted"] >= 5 and c["duplicate"] >= 30, timeout_s=90)
    assert final["accepted"] == 5 and final["rejected"] == 0, final
