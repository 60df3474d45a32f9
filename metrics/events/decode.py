"""Turn one Kafka message (a single event or an envelope) into valid events and rejections.

Never raises on bad input: every problem becomes a :class:`Rejection` with a reason from
:mod:`metrics.events.reasons`, a human-readable detail and the offending bytes.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from metrics.events import reasons
from metrics.events.base import DEFAULT_MAX_FUTURE_S, EARLIEST
from metrics.events.calls import CallEvent
from metrics.events.envelope import DEFAULT_MAX_ENVELOPE_EVENTS
from metrics.events.surveys import SurveyEvent
from metrics.events.tickets import TicketEvent
from metrics.questionnaires import Questionnaire, check_survey

DEFAULT_MAX_MESSAGE_BYTES = 1_048_576
AnyEvent = Annotated[CallEvent | TicketEvent | SurveyEvent, Field(discriminator="type")]
_EVENT = TypeAdapter(AnyEvent)
EVENT_TYPES = ("call", "ticket", "survey")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected message or envelope item; ``index`` is the item's place in its envelope."""

    reason: str
    detail: str
    original: bytes
    index: int | None = None


@dataclass(slots=True)
class Decoded:
    """What one message held: valid events in order, and the rejections."""

    events: list[Any] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    envelope: bool = False


@dataclass(frozen=True, slots=True)
class Limits:
    """Input bounds; see docs/events.md."""

    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_envelope_events: int = DEFAULT_MAX_ENVELOPE_EVENTS
    max_future_s: float = DEFAULT_MAX_FUTURE_S


def _describe(error: ValidationError) -> tuple[str, str]:
    """(reason, detail) of the first error, with a count of the others."""
    errors = error.errors(include_url=False, include_input=False)
    first = errors[0]
    if first["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        return reasons.UNKNOWN_TYPE, f"type must be one of {', '.join(EVENT_TYPES)}"
    loc = ".".join(str(part) for part in first["loc"][1:]) or "event"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return reasons.from_pydantic(first["type"]), f"{loc}: {first['msg']}{more}"


def _item_bytes(item: Any) -> bytes:
    """Compact JSON of an envelope item; ASCII escapes when it holds lone surrogates."""
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(item, separators=(",", ":"), default=str).encode()


def _validate(item: Any, expected_type: str | None, latest: datetime,
              questionnaires: Mapping[str, Questionnaire]) -> Any:
    """Validate one decoded JSON item; returns the event or raises _RejectedItem.

    ``latest`` is the last acceptable ``occurred_at`` (receiver's now + allowed skew); a
    survey must fit its questionnaire in ``questionnaires``.
    """
    if not isinstance(item, dict):
        raise _RejectedItem(reasons.NOT_AN_OBJECT, "an event must be a JSON object")
    try:
        event = _EVENT.validate_python(item)
    except ValidationError as error:
        raise _RejectedItem(*_describe(error)) from None
    occurred_at = event.occurred_at
    if occurred_at > latest:
        raise _RejectedItem(
            reasons.FUTURE_TIMESTAMP,
            f"occurred_at: {occurred_at.isoformat()} is after {latest.isoformat()} "
            "(receiver clock + allowed skew)",
        )
    if occurred_at < EARLIEST:
        raise _RejectedItem(
            reasons.ANCIENT_TIMESTAMP, f"occurred_at: {occurred_at.isoformat()} is before 2000"
        )
    if expected_type is not None and event.type != expected_type:
        raise _RejectedItem(
            reasons.WRONG_TOPIC, f"a {event.type} event on the {expected_type} topic"
        )
    if event.type == "survey":
        problem = check_survey(event, questionnaires)
        if problem is not None:
            raise _RejectedItem(reasons.UNKNOWN_QUESTIONNAIRE, problem)
    return event


class _RejectedItem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason, self.detail = reason, detail


def decode_message(
    raw: bytes | None,
    expected_type: str | None = None,
    limits: Limits = Limits(),
    now: datetime | None = None,
    *,
    questionnaires: Mapping[str, Questionnaire],
) -> Decoded:
    """Decode ``raw`` (UTF-8 JSON) into events of ``expected_type`` (None accepts any type).

    ``now`` anchors the future-timestamp check (default: wall clock); surveys are checked
    against ``questionnaires``, the configured catalogue (required: a default here would let a
    caller check against other questionnaires than the stream's).
    """
    out = Decoded()
    raw = raw or b""
    if len(raw) > limits.max_message_bytes:
        detail = f"{len(raw)} bytes exceeds the {limits.max_message_bytes}-byte limit"
        out.rejected.append(Rejection(reasons.OVERSIZED, detail, raw[:65_536]))
        return out
    try:
        # Decode first: json.loads(bytes) would silently accept UTF-16 and UTF-32.
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        out.rejected.append(Rejection(reasons.BAD_JSON, f"not UTF-8 JSON: {error}", raw))
        return out
    except RecursionError:
        out.rejected.append(Rejection(reasons.BAD_JSON, "JSON nested too deeply", raw))
        return out
    latest = (now or datetime.now(UTC)) + timedelta(seconds=limits.max_future_s)
    if isinstance(obj, dict) and obj.get("type") == "envelope":
        out.envelope = True
        items = obj.get("events")
        extra = set(obj) - {"type", "events"}
        if not isinstance(items, list) or not items or extra:
            detail = "an envelope is {type: envelope, events: [one or more events]}"
            out.rejected.append(Rejection(reasons.BAD_ENVELOPE, detail, raw))
            return out
        if len(items) > limits.max_envelope_events:
            detail = f"{len(items)} events exceeds the {limits.max_envelope_events}-event limit"
            out.rejected.append(Rejection(reasons.BAD_ENVELOPE, detail, raw))
            return out
        for index, item in enumerate(items):
            try:
                out.events.append(_validate(item, expected_type, latest, questionnaires))
            except _RejectedItem as rejected:
                out.rejected.append(
                    Rejection(rejected.reason, rejected.detail, _item_bytes(item), index)
                )
        return out
    try:
        out.events.append(_validate(obj, expected_type, latest, questionnaires))
    except _RejectedItem as rejected:
        out.rejected.append(Rejection(rejected.reason, rejected.detail, raw))
    return out
