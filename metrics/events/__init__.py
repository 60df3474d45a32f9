"""The event contract: what producers send to cx.calls, cx.tickets and cx.surveys.

See docs/events.md for the rules and schemas/ for the exported JSON Schema.
"""

from metrics.events.base import Channel, EventBase, Segment
from metrics.events.calls import CallEvent, CallOutcome
from metrics.events.decode import Decoded, Limits, Rejection, decode_message
from metrics.events.envelope import Envelope
from metrics.events.surveys import SurveyEvent
from metrics.events.tickets import TicketAction, TicketEvent, TicketKind

Event = CallEvent | TicketEvent | SurveyEvent

__all__ = [
    "CallEvent",
    "CallOutcome",
    "Channel",
    "Decoded",
    "Envelope",
    "Event",
    "Limits",
    "Rejection",
    "EventBase",
    "Segment",
    "SurveyEvent",
    "TicketAction",
    "TicketEvent",
    "TicketKind",
    "decode_message",
]
