"""Ticket lifecycle events: one event per state change of a ticket."""

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from metrics.events.base import EventBase, Id, Label


class TicketKind(StrEnum):
    """Complaint, repair, inquiry or suggestion (投诉, 维修, 咨询, 建议)."""

    COMPLAINT = "complaint"
    REPAIR = "repair"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"


class TicketAction(StrEnum):
    """Lifecycle step; ``paused``/``resumed`` bracket time spent waiting on the customer."""

    CREATED = "created"
    FIRST_RESPONSE = "first_response"
    UPDATED = "updated"
    PAUSED = "paused"
    RESUMED = "resumed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class TicketEvent(EventBase):
    """A state change of ticket ``ticket_id``; ``occurred_at`` is when it happened."""

    type: Literal["ticket"]
    ticket_id: Id
    kind: TicketKind
    action: TicketAction
    due_at: AwareDatetime | None = Field(None, description="Rectification due date, if known.")
    asset_id: Id | None = Field(None, description="Repaired asset, for repeat-repair detection.")
    issue_category: Label | None = Field(None, description="Issue category, for repeat complaints.")
    resolved_at_first_contact: bool | None = Field(
        None,
        strict=True, description="On resolved: the agent solved it within the first contact."
    )
