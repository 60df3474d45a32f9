"""decode_message: every rejection reason with its exact input, valid events, envelopes, junk."""

import json
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from metrics.events import Limits, decode_message, reasons
from tests import factories

# Decoding as the stream does, against the shipped data file's questionnaires.
decode_configured = partial(decode_message, questionnaires=factories.questionnaires())

# A day after the factories' base time, so factory timestamps are never "future".
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def _raw(event: object) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


def _without(event: dict, key: str) -> dict:
    return {k: v for k, v in event.items() if k != key}


def _envelope(*items: object) -> bytes:
    return _raw({"type": "envelope", "events": list(items)})


def _at(offset: timedelta) -> str:
    return (NOW + offset).isoformat()


SMALL = Limits(max_message_bytes=1_024, max_envelope_events=2)

# (raw message, expected type of the topic, limits, reason)
REJECTED = [
    pytest.param(b"{not json", None, Limits(), reasons.BAD_JSON, id="bad_json-syntax"),
    pytest.param(b'{"type": "call"', None, Limits(), reasons.BAD_JSON, id="bad_json-truncated"),
    pytest.param(b'{"type":"call","event_id":"\xff"}', None, Limits(), reasons.BAD_JSON,
                 id="bad_json-invalid-utf8"),
    pytest.param(b"", None, Limits(), reasons.BAD_JSON, id="bad_json-empty"),
    pytest.param(None, None, Limits(), reasons.BAD_JSON, id="bad_json-no-value"),
    pytest.param(b'{"type":"call\x00"}', None, Limits(), reasons.BAD_JSON,
                 id="bad_json-raw-control-char"),
    # docs/events.md: bad_json is "not UTF-8 JSON"; json.loads(bytes) also sniffs UTF-16/32.
    pytest.param(json.dumps(factories.call()).encode("utf-16"), None, Limits(), reasons.BAD_JSON,
                 id="bad_json-utf16"),
    pytest.param(_raw(factories.call(attributes={"pad": "x" * 1_024})), None, SMALL,
                 reasons.OVERSIZED, id="oversized"),
    pytest.param(b"[1, 2]", None, Limits(), reasons.NOT_AN_OBJECT, id="not_an_object-list"),
    pytest.param(b'"call"', None, Limits(), reasons.NOT_AN_OBJECT, id="not_an_object-string"),
    pytest.param(b"null", None, Limits(), reasons.NOT_AN_OBJECT, id="not_an_object-null"),
    pytest.param(b"42", None, Limits(), reasons.NOT_AN_OBJECT, id="not_an_object-number"),
    pytest.param(_raw({"type": "envelope", "events": []}), None, Limits(), reasons.BAD_ENVELOPE,
                 id="bad_envelope-empty-list"),
    pytest.param(_raw({"type": "envelope", "events": {"0": factories.call()}}), None, Limits(),
                 reasons.BAD_ENVELOPE, id="bad_envelope-not-a-list"),
    pytest.param(_raw({"type": "envelope", "events": None}), None, Limits(),
                 reasons.BAD_ENVELOPE, id="bad_envelope-null"),
    pytest.param(_raw({"type": "envelope"}), None, Limits(), reasons.BAD_ENVELOPE,
                 id="bad_envelope-no-events"),
    pytest.param(_raw({"type": "envelope", "events": [factories.call()], "partition": 1}), None,
                 Limits(), reasons.BAD_ENVELOPE, id="bad_envelope-extra-key"),
    pytest.param(_envelope(factories.call(), factories.call(), factories.call()), None, SMALL,
                 reasons.BAD_ENVELOPE, id="bad_envelope-too-many-events"),
    pytest.param(_raw(factories.survey(type="feedback")), None, Limits(), reasons.UNKNOWN_TYPE,
                 id="unknown_type-feedback"),
    pytest.param(_raw(_without(factories.call(), "type")), None, Limits(), reasons.UNKNOWN_TYPE,
                 id="unknown_type-missing"),
    pytest.param(_raw(factories.call(type=5)), None, Limits(), reasons.UNKNOWN_TYPE,
                 id="unknown_type-number"),
    pytest.param(_raw(factories.call()), "ticket", Limits(), reasons.WRONG_TOPIC,
                 id="wrong_topic-call-on-tickets"),
    pytest.param(_raw(factories.survey()), "call", Limits(), reasons.WRONG_TOPIC,
                 id="wrong_topic-survey-on-calls"),
    pytest.param(_raw(factories.survey(mood="sunny")), None, Limits(), reasons.UNKNOWN_FIELD,
                 id="unknown_field"),
    pytest.param(_raw(_without(factories.call(), "wait_s")), None, Limits(),
                 reasons.MISSING_FIELD, id="missing_field-wait_s"),
    pytest.param(_raw(_without(factories.ticket(), "kind")), None, Limits(),
                 reasons.MISSING_FIELD, id="missing_field-kind"),
    pytest.param(_raw(factories.ticket(occurred_at="2026-11-02T09:30:00")), None, Limits(),
                 reasons.NAIVE_TIMESTAMP, id="naive_timestamp-occurred_at"),
    pytest.param(_raw(factories.ticket(due_at="2026-11-09T00:00:00")), None, Limits(),
                 reasons.NAIVE_TIMESTAMP, id="naive_timestamp-due_at"),
    pytest.param(_raw(factories.ticket(occurred_at=_at(timedelta(days=1)))), None, Limits(),
                 reasons.FUTURE_TIMESTAMP, id="future_timestamp-a-day-ahead"),
    pytest.param(_raw(factories.ticket(occurred_at="1999-12-31T23:59:59+00:00")), None,
                 Limits(), reasons.ANCIENT_TIMESTAMP, id="ancient_timestamp"),
    pytest.param(_raw(factories.ticket(occurred_at="2000-01-01T00:30:00+01:00")), None,
                 Limits(), reasons.ANCIENT_TIMESTAMP, id="ancient_timestamp-offset-before-2000"),
    pytest.param(_raw(factories.call(channel="fax")), None, Limits(), reasons.UNKNOWN_VALUE,
                 id="unknown_value-channel"),
    pytest.param(_raw(factories.ticket(kind="warranty")), None, Limits(), reasons.UNKNOWN_VALUE,
                 id="unknown_value-ticket-kind"),
    pytest.param(_raw(factories.call(outcome="dropped")), None, Limits(), reasons.UNKNOWN_VALUE,
                 id="unknown_value-call-outcome"),
    pytest.param(_raw(factories.ticket(action="escalated")), None, Limits(),
                 reasons.UNKNOWN_VALUE, id="unknown_value-ticket-action"),
    pytest.param(_raw(factories.survey(scores={"overall": 11})), None, Limits(),
                 reasons.SCORE_OUT_OF_RANGE, id="score_out_of_range-above-scale_max"),
    pytest.param(_raw(factories.survey(scores={"overall": 0})), None, Limits(),
                 reasons.SCORE_OUT_OF_RANGE, id="score_out_of_range-below-scale_min"),
    pytest.param(_raw(factories.call(wait_s=-1.0)), None, Limits(), reasons.OUT_OF_RANGE,
                 id="out_of_range-negative-wait_s"),
    pytest.param(_raw(factories.call(transfers=101)), None, Limits(), reasons.OUT_OF_RANGE,
                 id="out_of_range-transfers"),
    pytest.param(_raw(factories.call(schema_version=2)), None, Limits(), reasons.OUT_OF_RANGE,
                 id="out_of_range-schema_version"),
    pytest.param(_raw(factories.call(wait_s="7")), None, Limits(), reasons.WRONG_TYPE,
                 id="wrong_type-string-number"),
    pytest.param(_raw(factories.call(wait_s=True)), None, Limits(), reasons.WRONG_TYPE,
                 id="wrong_type-bool-for-float"),
    pytest.param(_raw(factories.call(rings=2.0)), None, Limits(), reasons.WRONG_TYPE,
                 id="wrong_type-float-for-int"),
    pytest.param(_raw(factories.survey(scores={"overall": "9"})), None, Limits(),
                 reasons.WRONG_TYPE, id="wrong_type-string-score"),
    pytest.param(_raw(factories.ticket(resolved_at_first_contact="true")), None, Limits(),
                 reasons.WRONG_TYPE, id="wrong_type-string-bool"),
    pytest.param(_raw(factories.call(event_id=123)), None, Limits(), reasons.WRONG_TYPE,
                 id="wrong_type-number-for-id"),
    pytest.param(_raw(factories.call(event_id="x" * 129)), None, Limits(), reasons.BAD_FORMAT,
                 id="bad_format-id-too-long"),
    pytest.param(_raw(factories.call(event_id="")), None, Limits(), reasons.BAD_FORMAT,
                 id="bad_format-id-empty"),
    pytest.param(_raw(factories.call(event_id="call 1")), None, Limits(), reasons.BAD_FORMAT,
                 id="bad_format-id-with-space"),
    pytest.param(_raw(factories.call(customer_id="c\t1")), None, Limits(), reasons.BAD_FORMAT,
                 id="bad_format-id-with-tab"),
    pytest.param(_raw(factories.call(region="east side")), None, Limits(), reasons.BAD_FORMAT,
                 id="bad_format-label-with-space"),
    pytest.param(_raw(factories.call(outcome="abandoned", talk_s=3.0)), None, Limits(),
                 reasons.INCONSISTENT, id="inconsistent-abandoned-with-talk_s"),
    # A lone surrogate escape is valid JSON syntax but no Unicode string: the fallback reason.
    pytest.param(_raw(factories.call()).replace(b'"east"', b'"\\ud800"'), None, Limits(),
                 reasons.INVALID, id="invalid-lone-surrogate"),
    pytest.param(_raw(factories.survey(questionnaire="nps_11")), None, Limits(),
                 reasons.UNKNOWN_QUESTIONNAIRE, id="unknown_questionnaire-id"),
    pytest.param(_raw(factories.survey(scale_max=5, scores={"overall": 5})), None, Limits(),
                 reasons.UNKNOWN_QUESTIONNAIRE, id="unknown_questionnaire-other-scale"),
    pytest.param(_raw(factories.survey(scores={"overall": 9, "wifi": 3})), None, Limits(),
                 reasons.UNKNOWN_QUESTIONNAIRE, id="unknown_questionnaire-unknown-dimension"),
]

# The reason decode_message never produces: processing_error is set by the ingest agent when
# it fails.
NOT_FROM_INPUT = {reasons.PROCESSING_ERROR}


@pytest.mark.parametrize(("raw", "expected_type", "limits", "reason"), REJECTED)
def test_rejection_reason(raw, expected_type, limits, reason):
    decoded = decode_configured(raw, expected_type, limits, now=NOW)

    assert [r.reason for r in decoded.rejected] == [reason], decoded.rejected
    assert decoded.events == []
    assert decoded.rejected[0].index is None
    assert decoded.rejected[0].original == (raw or b"")
    assert decoded.rejected[0].detail


def test_every_input_reason_has_a_row():
    covered = {param.values[3] for param in REJECTED}
    assert covered == set(reasons.ALL) - NOT_FROM_INPUT


@pytest.mark.parametrize(
    ("occurred_at", "max_future_s", "accepted"),
    [
        (NOW + timedelta(seconds=300), 300.0, True),
        (NOW + timedelta(seconds=300, microseconds=1), 300.0, False),
        (NOW, 0.0, True),
        (NOW + timedelta(microseconds=1), 0.0, False),
        (NOW + timedelta(hours=1), 3_600.0, True),
        (NOW + timedelta(hours=1, microseconds=1), 3_600.0, False),
    ],
)
def test_max_future_s_boundary(occurred_at, max_future_s, accepted):
    raw = _raw(factories.call(occurred_at=occurred_at.isoformat()))

    decoded = decode_configured(raw, "call", Limits(max_future_s=max_future_s), now=NOW)

    assert (len(decoded.events), [r.reason for r in decoded.rejected]) == (
        (1, []) if accepted else (0, [reasons.FUTURE_TIMESTAMP])
    )


@pytest.mark.parametrize(
    ("occurred_at", "accepted"),
    [
        ("2000-01-01T00:00:00+00:00", True),
        ("1999-12-31T23:59:59.999999+00:00", False),
        ("2000-01-01T08:00:00+08:00", True),
        ("2000-01-01T07:59:59.999999+08:00", False),
    ],
)
def test_earliest_boundary(occurred_at, accepted):
    decoded = decode_configured(_raw(factories.call(occurred_at=occurred_at)), now=NOW)

    assert (len(decoded.events), [r.reason for r in decoded.rejected]) == (
        (1, []) if accepted else (0, [reasons.ANCIENT_TIMESTAMP])
    )


@pytest.mark.parametrize(
    "size_delta, reason",
    [(-1, None), (0, None), (1, reasons.OVERSIZED)],
    ids=["below-limit", "at-limit", "one-byte-over"],
)
def test_max_message_bytes_boundary(size_delta, reason):
    limit = 1_024
    event = _raw(factories.call())
    raw = event + b" " * (limit + size_delta - len(event))  # JSON allows trailing whitespace

    decoded = decode_configured(raw, "call", Limits(max_message_bytes=limit), now=NOW)

    assert [r.reason for r in decoded.rejected] == ([reason] if reason else [])
    assert len(decoded.events) == (0 if reason else 1)


def test_oversized_keeps_only_the_first_64_kib():
    raw = b"x" * 100_000

    decoded = decode_configured(raw, None, Limits(max_message_bytes=1_024), now=NOW)

    assert decoded.rejected[0].original == raw[:65_536]


@pytest.mark.parametrize(
    ("count", "accepted"), [(2, True), (3, False)], ids=["at-limit", "one-over"]
)
def test_max_envelope_events_boundary(count, accepted):
    raw = _envelope(*(factories.call() for _ in range(count)))

    decoded = decode_configured(raw, "call", Limits(max_envelope_events=2), now=NOW)

    assert decoded.envelope
    assert (len(decoded.events), [r.reason for r in decoded.rejected]) == (
        (count, []) if accepted else (0, [reasons.BAD_ENVELOPE])
    )


VALID = [
    pytest.param(factories.call(), id="answered-call"),
    pytest.param(factories.call(outcome="abandoned", talk_s=None, wait_s=0), id="abandoned-call"),
    pytest.param(factories.call(rings=1_000, transfers=100, wait_s=86_400), id="call-at-maxima"),
    pytest.param(factories.ticket(), id="ticket-created"),
    pytest.param(
        factories.ticket(
            kind="complaint", action="resolved", due_at="2026-11-09T00:00:00+08:00",
            asset_id="boiler-7", issue_category="no_heat", resolved_at_first_contact=True,
            customer_since="2024-01-01", value_tier="gold", agent_id="a-1", schema_version=1,
        ),
        id="ticket-every-optional-field",
    ),
    pytest.param(factories.survey(), id="survey"),
    pytest.param(factories.survey(questionnaire="segue", scale_max=5,
                                  scores={"satisfactory": 1, "effective": 5}),
                 id="survey-scores-at-both-scale-ends"),
    pytest.param(factories.call(region="华东"), id="unicode-label"),
    pytest.param(factories.call(event_id="e" * 128), id="id-at-max-length"),
    pytest.param(factories.call(occurred_at="2026-11-02T17:30:00+08:00"), id="non-utc-offset"),
    pytest.param(factories.call(attributes={f"k{i}": "v" * 256 for i in range(16)}),
                 id="attributes-at-maxima"),
]


@pytest.mark.parametrize("event", VALID)
def test_valid_event_is_accepted(event):
    decoded = decode_configured(_raw(event), event["type"], now=NOW)

    assert decoded.rejected == []
    assert not decoded.envelope
    assert [(e.type, e.event_id, e.customer_id) for e in decoded.events] == [
        (event["type"], event["event_id"], event["customer_id"])
    ]


def test_envelope_rejects_only_its_bad_items_with_index_and_item_bytes():
    good = [factories.call(), factories.call(), factories.call()]
    string_wait = factories.call(wait_s="7")
    ticket = factories.ticket()
    raw = _envelope(good[0], string_wait, good[1], 5, ticket, good[2])

    decoded = decode_configured(raw, "call", now=NOW)

    assert decoded.envelope
    assert [e.event_id for e in decoded.events] == [e["event_id"] for e in good]
    assert [(r.index, r.reason) for r in decoded.rejected] == [
        (1, reasons.WRONG_TYPE), (3, reasons.NOT_AN_OBJECT), (4, reasons.WRONG_TOPIC),
    ]
    originals = [r.original for r in decoded.rejected]
    assert originals[1] == b"5"
    assert [json.loads(originals[0]), json.loads(originals[2])] == [string_wait, ticket]


def test_envelope_item_bytes_are_compact_utf8_json():
    raw = b'{"type": "envelope", "events": [{"type": "feedback", "x": "\xc3\xa9"}]}'

    decoded = decode_configured(raw, None, now=NOW)

    assert decoded.rejected[0].original == '{"type":"feedback","x":"é"}'.encode()


def test_envelope_inside_an_envelope_is_an_unknown_type():
    decoded = decode_configured(_envelope({"type": "envelope", "events": [factories.call()]}),
                             now=NOW)

    assert [(r.index, r.reason) for r in decoded.rejected] == [(0, reasons.UNKNOWN_TYPE)]


HOSTILE = [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deeply-nested-list"),
    pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="deeply-nested-object"),
    pytest.param(_envelope([[[[[[[[[[]]]]]]]]]]), id="nested-lists-in-envelope"),
    pytest.param(_raw(factories.call()).replace(b"7.5", b"1e999"), id="float-overflow"),
    pytest.param(_raw(factories.call()).replace(b"7.5", b"9" * 5_000), id="5000-digit-int"),
    pytest.param(_raw(factories.call(rings=10**400)), id="400-digit-int"),
    pytest.param(_raw(factories.call()).replace(b"7.5", b"NaN"), id="nan"),
    pytest.param(_raw(factories.call()).replace(b"7.5", b"-Infinity"), id="minus-infinity"),
    pytest.param(b"NaN", id="bare-nan"),
    pytest.param(b"\x00", id="null-byte"),
    pytest.param(b"\x00" * 1_000, id="null-bytes"),
    pytest.param(_raw(factories.call(region="a\x00b")), id="escaped-null-in-label"),
    pytest.param(b'{"type": "envelope", "events": [NaN, null, {}, []]}', id="junk-envelope"),
    pytest.param(b'{"type": "envelope", "events": [{"type": "call", "x": "\\ud800"}]}',
                 id="lone-surrogate-in-envelope-item"),
    pytest.param(b'{"type": "envelope", "events": ["\\udfff"]}',
                 id="lone-surrogate-envelope-item"),
    pytest.param(b"\xef\xbb\xbf" + _raw(factories.call()), id="utf8-bom"),
    pytest.param(bytes(range(256)), id="every-byte"),
    pytest.param(_raw(factories.call(attributes={"k": {"nested": [1, 2]}})), id="object-attr"),
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_input_never_raises(raw):
    decoded = decode_configured(raw, "call", now=NOW)

    assert decoded.events or decoded.rejected
    assert {r.reason for r in decoded.rejected} <= set(reasons.ALL) - NOT_FROM_INPUT
