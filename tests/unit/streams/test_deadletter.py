"""deadletter_value: the JSON written to cx.deadletter carries the exact rejected bytes."""

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from metrics.events import Rejection, decode_message, reasons
from streams.deadletter import deadletter_value
from tests import factories

# Decoding as the stream does, against the shipped data file's questionnaires.
decode_configured = partial(decode_message, questionnaires=factories.questionnaires())

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "rejection",
    [
        Rejection(reasons.BAD_JSON, "not JSON: Expecting value", b"{not json"),
        Rejection(reasons.BAD_JSON, "not JSON: invalid start byte", b'{"x":"\xff\x00"}'),
        Rejection(reasons.WRONG_TYPE, "wait_s: Input should be a valid number", b'{"a":1}', 3),
        Rejection(reasons.BAD_FORMAT, "region: 华东 东", "华东 东".encode(), 0),
        Rejection(reasons.PROCESSING_ERROR, "RuntimeError()", b""),
    ],
    ids=["bad-json", "binary-bytes", "envelope-item", "unicode", "empty"],
)
def test_round_trip(rejection):
    before = datetime.now(UTC)

    value = json.loads(deadletter_value(rejection, "cx.calls", 2, 1041, "w1"))

    assert base64.b64decode(value.pop("original_b64"), validate=True) == rejection.original
    rejected_at = datetime.fromisoformat(value.pop("rejected_at"))
    assert before <= rejected_at <= datetime.now(UTC)
    assert value == {
        "reason": rejection.reason,
        "detail": rejection.detail,
        "source_topic": "cx.calls",
        "source_partition": 2,
        "source_offset": 1041,
        "envelope_index": rejection.index,
        "worker_id": "w1",
    }


def test_value_is_utf8_json_with_the_documented_keys():
    rejection = Rejection(reasons.NAIVE_TIMESTAMP, "occurred_at: 华东", b"{}")

    raw = deadletter_value(rejection, "cx.tickets", 0, 7, "w2")

    assert "华东".encode() in raw
    assert list(json.loads(raw.decode("utf-8"))) == [
        "reason", "detail", "source_topic", "source_partition", "source_offset",
        "envelope_index", "rejected_at", "worker_id", "original_b64",
    ]


def test_dead_lettered_envelope_item_decodes_to_the_same_reason():
    bad = factories.call(occurred_at="2026-11-02T09:30:00")
    envelope = json.dumps({"type": "envelope", "events": [factories.call(), bad]}).encode()
    rejection, = decode_configured(envelope, "call", now=NOW).rejected

    value = json.loads(deadletter_value(rejection, "cx.calls", 0, 5, "w1"))
    replayed = decode_configured(base64.b64decode(value["original_b64"]), "call",
                              now=NOW + timedelta(days=1))

    assert (value["reason"], value["envelope_index"]) == (reasons.NAIVE_TIMESTAMP, 1)
    assert [r.reason for r in replayed.rejected] == [reasons.NAIVE_TIMESTAMP]
    assert json.loads(base64.b64decode(value["original_b64"])) == bad
